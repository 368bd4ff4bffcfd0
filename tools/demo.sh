#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tools/demo.sh start BINDIR | stop     (`make demo`, `make demo-stop`)
#
# Two routers, each a network namespace with secgw-iked inside and a
# secgw-agent on this host's 127.0.0.1 at its own port, joined by a veth
# "wire"; a tunnel between their inside networks is provisioned with the CLI
# alone, shown up, and pinged across. Everything the demo makes is written
# down in var/demo/made, and `stop` removes exactly that.
#
#   router A: wire 192.0.2.1, inside 10.1.0.1/24     router B: wire 192.0.2.2, inside 10.2.0.1/24
set -u
D=var/demo
MADE=$D/made

die() { echo "demo: $*" >&2; [[ -f $MADE ]] && echo "demo: make demo-stop removes what was made" >&2; exit 1; }

# until SECONDS CMD…: poll CMD every 100 ms.
until_ok() {
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.1
	done
}

port_free() { ! ss -Htln "sport = :$1" | grep -q .; }

stop() {
	local kind what
	[[ -f $MADE ]] || { echo "demo: nothing to stop (no $MADE)"; return 0; }
	# Processes first (newest first), then namespaces.
	tac "$MADE" | while read -r kind what; do
		case $kind in
		pid) kill -TERM "$what" 2>/dev/null && until_ok 10 bash -c "! kill -0 $what 2>/dev/null" ||
			kill -KILL "$what" 2>/dev/null ;;
		netns) ip netns del "$what" 2>/dev/null ;;
		esac
	done
	rm -rf "$D"
	echo "demo: stopped; both routers removed"
}

start() {
	local bin=$1 tag r ns port psk
	[[ $(id -u) -eq 0 ]] || die "the demo makes network namespaces and TUN devices: run it as root (sudo make demo)"
	[[ -f $MADE ]] && die "a demo is already running (make demo-stop first)"
	mkdir -p "$D" && chmod 700 "$D"
	: >"$MADE"
	tag=$(printf '%04x' $(($$ & 0xffff)))
	declare -A NS=([A]=sgdA$tag [B]=sgdB$tag) WIRE=([A]=192.0.2.1 [B]=192.0.2.2) \
		IN=([A]=10.1.0.1 [B]=10.2.0.1) NET=([A]=10.1.0.0/24 [B]=10.2.0.0/24) PORT=() URL=()
	for r in A B; do
		ip netns add "${NS[$r]}" || die "cannot make namespace ${NS[$r]}"
		echo "netns ${NS[$r]}" >>"$MADE"
		ip -n "${NS[$r]}" link set lo up
		ip -n "${NS[$r]}" addr add "${IN[$r]}/24" dev lo
	done
	ip link add "dmA$tag" netns "${NS[A]}" type veth peer name "dmB$tag" netns "${NS[B]}" || die "cannot make the wire"
	ip -n "${NS[A]}" addr add 192.0.2.1/24 dev "dmA$tag"; ip -n "${NS[A]}" link set "dmA$tag" up
	ip -n "${NS[B]}" addr add 192.0.2.2/24 dev "dmB$tag"; ip -n "${NS[B]}" link set "dmB$tag" up

	port=8081
	for r in A B; do
		mkdir -p "$D/$r"
		setsid ip netns exec "${NS[$r]}" "$bin/secgw-iked" --control "$D/$r/iked.sock" --datapath user \
			--log "$D/$r/iked.log" </dev/null >/dev/null 2>&1 &
		echo "pid $!" >>"$MADE"
		until port_free "$port"; do port=$((port + 1)); done
		PORT[$r]=$port
		URL[$r]=http://127.0.0.1:$port
		setsid "$bin/secgw-agent" --state-dir "$D/$r/state" --listen "127.0.0.1:$port" \
			--engine "$D/$r/iked.sock" --log "$D/$r/agent.log" </dev/null >"$D/$r/agent.out" 2>&1 &
		echo "pid $!" >>"$MADE"
		port=$((port + 1))
	done
	for r in A B; do
		until_ok 20 curl -fs "${URL[$r]}/api/v1/health" || die "router $r's agent did not start (see $D/$r/agent.log)"
		until_ok 20 bash -c "curl -fs ${URL[$r]}/api/v1/health | grep -q '\"engine\":\"up\"'" ||
			die "router $r's agent did not reach its secgw-iked (see $D/$r/iked.log)"
		"$bin/secgw-agent" bootstrap-token --state-dir "$D/$r/state" --name demo >"$D/$r/token" 2>/dev/null ||
			die "no token for router $r"
		chmod 600 "$D/$r/token"
	done

	# The shared key: random, in a file only root reads, never on a command line.
	psk=$D/psk
	(umask 077; head -c 24 /dev/urandom | base64 >"$psk")
	echo
	echo "== provisioning the tunnel with the CLI (B answers, A starts it)"
	for r in B A; do
		local peer; [[ $r == A ]] && peer=B || peer=A
		local c=("$bin/secgw" --url "${URL[$r]}" --token "$(cat "$D/$r/token")")
		"${c[@]}" secret set demo-psk "$psk" --type psk || die "secret on $r"
		"${c[@]}" --comment "demo tunnel" conn add demo "local_addrs=${WIRE[$r]}" "remote_addrs=${WIRE[$peer]}" \
			"local_id=router-$r.demo" "remote_id=router-$peer.demo" psk=demo-psk || die "connection on $r"
		"${c[@]}" child add demo lan "local_ts=${NET[$r]}" "remote_ts=${NET[$peer]}" \
			"start_action=$([[ $r == A ]] && echo start || echo none)" || die "child on $r"
	done
	echo
	echo "== waiting for the tunnel"
	until_ok 20 bash -c "'$bin/secgw' --url ${URL[A]} --token $(cat "$D/A/token") --output json sa list | grep -q '\"state\": *\"installed\"'" ||
		die "the tunnel did not come up (see $D/A/iked.log and $D/B/iked.log)"
	until_ok 10 ip netns exec "${NS[A]}" ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 || die "no ping across the tunnel"
	for r in A B; do
		echo "-- router $r: secgw sa list"
		"$bin/secgw" --url "${URL[$r]}" --token "$(cat "$D/$r/token")" sa list
	done
	echo
	echo "== ping from router A's inside network (10.1.0.1) to router B's (10.2.0.1), through the tunnel"
	ip netns exec "${NS[A]}" ping -c 3 -i 0.2 -I 10.1.0.1 10.2.0.1
	cat <<-EOF

	== the demo is running; look around:
	  router A: ${URL[A]}/   user admin, password $(cat "$D/A/state/admin-password")
	  router B: ${URL[B]}/   user admin, password $(cat "$D/B/state/admin-password")
	  CLI:      $bin/secgw --url ${URL[A]} --token \$(cat $D/A/token) sa list
	            $bin/secgw --url ${URL[B]} --token \$(cat $D/B/token) terminate demo
	  curl:     curl -s ${URL[A]}/api/v1/health
	            curl -s -H "Authorization: Bearer \$(cat $D/A/token)" ${URL[A]}/api/v1/sas
	            curl -sN -H "Authorization: Bearer \$(cat $D/A/token)" ${URL[A]}/api/v1/events
	  traffic:  ip netns exec ${NS[A]} ping -I 10.1.0.1 10.2.0.1
	  logs:     $D/A/*.log $D/B/*.log
	  stop:     make demo-stop
	EOF
}

case ${1:-} in
start) start "${2:?usage: tools/demo.sh start BINDIR}" ;;
stop) stop ;;
*) die "usage: tools/demo.sh start BINDIR | stop" ;;
esac
