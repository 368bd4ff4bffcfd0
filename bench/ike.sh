#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/ike.sh — IKE SA setup rate and responder memory, secgw vs strongSwan.
#
# One load generator (bench/ikepeer --count N) opens N IKE SAs, each with a
# CHILD SA (10.2.0.0/24 === 10.128.x.y, one inside host per SA) and its own
# identity (load-i@load.test), keeping P negotiations in
# flight, against (a) our responder and (b) strongSwan's charon, in turn,
# same machine, same suite (x25519, chacha20poly1305, PSK):
#
#   netns bA: ikepeer --count N (192.0.2.1) <-- veth --> netns bB: responder (192.0.2.2)
#
# It prints established SAs per second for each, the responder's RSS growth
# and CPU time per established SA (CPU time is the steadier figure on a
# shared machine: the generator and the responder share its cores), and ends
#   bench ike: ratio_vs_strongswan=A/B rss_per_sa_kib=… … cpu_ratio_vs_strongswan=…
#
# RESPONDER selects (a): "iked" (default: secgw-iked, installing every CHILD
# SA into its user datapath, as charon installs them into kernel-libipsec)
# or "ikepeer" (the engine on sockets alone, no datapath). Needs root, make
# (release binaries in build/bin) and strongSwan (see tests/tools/swan.bash).
#   N=2000 P=32 bench/ike.sh
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
N=${N:-2000}
P=${P:-32}
RESPONDER=${RESPONDER:-iked}
BIN=${BIN:-$ROOT/build/bin}
PSK=bench-ike-psk-0123456789abcdef
[[ $(id -u) -eq 0 ]] || { echo "bench/ike.sh: needs root (network namespaces)" >&2; exit 1; }
make -s -j2 >/dev/null || { echo "bench/ike.sh: build failed" >&2; exit 1; }
source tests/tools/netns.bash
source tests/tools/swan.bash

tag=$(printf '%04x' $((RANDOM)))
NSA=bA$tag NSB=bB$tag
WORK=$(mktemp -d /tmp/bench-ike.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	swan_stop "$WORK/swan" 2>/dev/null
	netns_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT
[[ -n ${KEEP:-} ]] && trap - EXIT
netns_add "$NSA"; netns_add "$NSB"
netns_veth "$NSA" a0 "$NSB" b0
netns_addr "$NSA" a0 192.0.2.1/24
netns_addr "$NSB" b0 192.0.2.2/24
# kernel-libipsec routes a child only with a local address inside local_ts.
netns_addr "$NSB" lo 10.2.0.1/24

rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }
# CPU time (user+system) a process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# wait_for FILE PATTERN SECONDS
wait_for() {
	local end=$((SECONDS + $3))
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		((SECONDS < end)) || return 1
		sleep 0.05
	done
}

# load LABEL RESPONDER_PID: run the generator, print
# "rate rss_per_sa_kib responder_cpu_us_per_sa generator_cpu_us_per_sa".
load() {
	local label=$1 rpid=$2 before after line rate out=$WORK/load-$1.out c0 c1 g1
	before=$(rss_kib "$rpid")
	c0=$(cpu_ticks "$rpid")
	ip netns exec "$NSA" "$BIN/ikepeer" --local 192.0.2.1 --remote 192.0.2.2 --psk "$PSK" \
		--remote-id %any --count "$N" --parallel "$P" --retransmit-ms 2000 --tries 3 \
		--local-ts 10.128.0.1 --remote-ts 10.2.0.0/24 \
		>"$out" 2>"$WORK/load-$label.err" &
	local lpid=$!
	pids+=("$lpid")
	if ! wait_for "$out" '^all-up' "${LOAD_TIMEOUT:-120}"; then
		echo "bench/ike.sh: $label: not all $N SAs came up ($(grep -c '^child-up' "$out") did)" >&2
		kill -KILL "$lpid"
		return 1
	fi
	after=$(rss_kib "$rpid")
	c1=$(cpu_ticks "$rpid")
	g1=$(cpu_ticks "$lpid")
	line=$(grep '^all-up' "$out")
	rate=$(awk '{print $4}' <<<"$line")
	# The generator's own counters (retransmissions mean lost datagrams).
	kill -TERM "$lpid"
	wait_for "$out" '^stats' 5 && echo "$label generator: $(grep '^stats' "$out")" >&2
	kill -KILL "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	printf '%s %s %s %s\n' "$rate" "$(awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN{printf "%.2f", (a-b)/n}')" \
		"$(awk -v a="$c1" -v b="$c0" -v n="$N" -v hz="$HZ" 'BEGIN{printf "%.0f", (a-b)*1e6/hz/n}')" \
		"$(awk -v a="$g1" -v n="$N" -v hz="$HZ" 'BEGIN{printf "%.0f", a*1e6/hz/n}')"
}

# (a) ours
case $RESPONDER in
ikepeer)
	ip netns exec "$NSB" "$BIN/ikepeer" --local 192.0.2.2 --remote %any --psk "$PSK" \
		--local-id bench.responder --remote-id %any --half-open-max 100000 \
		--local-ts 10.2.0.0/24 --remote-ts 10.128.0.0/9 \
		--cookie-threshold 100000 >"$WORK/ours.out" 2>"$WORK/ours.err" &
	rpid=$!
	pids+=("$rpid")
	wait_for "$WORK/ours.out" '^ready' 10 || { echo "responder did not start" >&2; exit 1; }
	;;
iked)
	cat >"$WORK/iked.json" <<EOF
{"connections": [{"name": "bench", "local_addrs": ["192.0.2.2"], "remote_addrs": ["%any"],
  "local_id": "bench.responder", "remote_id": "%any", "psk": "k", "dpd_delay": 0,
  "ike_proposals": ["chacha20poly1305-prfsha256-x25519"],
  "children": [{"name": "bench", "local_ts": ["10.2.0.0/24"], "remote_ts": ["10.128.0.0/9"],
                "esp_proposals": ["chacha20poly1305"]}]}],
 "secrets": {"k": {"type": "psk", "value": "$PSK"}}}
EOF
	ip netns exec "$NSB" "$BIN/secgw-iked" --config "$WORK/iked.json" --control "$WORK/iked.sock" \
		--workers 1 --log-level warn --half-open-max 100000 --cookie-threshold 100000 \
		>"$WORK/ours.out" 2>"$WORK/ours.err" &
	rpid=$!
	pids+=("$rpid")
	for ((i = 0; i < 200; i++)); do
		[[ -S $WORK/iked.sock ]] && break
		sleep 0.05
	done
	[[ -S $WORK/iked.sock ]] || { echo "secgw-iked did not start:" >&2; cat "$WORK/ours.err" >&2; exit 1; }
	;;
*)
	echo "bench/ike.sh: RESPONDER must be iked or ikepeer" >&2
	exit 1
	;;
esac
read -r ours_rate ours_rss ours_cpu ours_gen < <(load ours "$rpid") || exit 1
echo "secgw ($RESPONDER) responder: $N IKE+CHILD SAs, $ours_rate per second, RSS +$ours_rss KiB per SA, CPU $ours_cpu us per SA (generator: $ours_gen us per SA)"
kill -KILL "$rpid"

# (b) strongSwan
mkdir -p "$WORK/swan"
cat >"$WORK/swan/swanctl.conf" <<EOF
connections {
	bench {
		version = 2
		local_addrs = 192.0.2.2
		remote_addrs = %any
		proposals = chacha20poly1305-prfsha256-x25519
		encap = yes
		mobike = no
		send_certreq = no
		dpd_delay = 0
		local {
			auth = psk
			id = bench.responder
		}
		remote {
			auth = psk
			id = %any
		}
		children {
			bench {
				local_ts = 10.2.0.0/24
				remote_ts = 10.128.0.0/9
				esp_proposals = chacha20poly1305
				mode = tunnel
			}
		}
	}
}
secrets {
	ike-any {
		secret = "$PSK"
	}
}
EOF
SWAN_LOGLEVEL=${SWAN_LOGLEVEL:--1} SWAN_IKE_LOGLEVEL=${SWAN_IKE_LOGLEVEL:--1} SWAN_CHARON_OPTS="threads = 32
	dos_protection = no
	cookie_threshold = 1000000
	block_threshold = 1000000
	init_limit_half_open = 1000000" swan_start "$WORK/swan" "$NSB" || exit 1
spid=$(swan_pid "$WORK/swan")
read -r swan_rate swan_rss swan_cpu swan_gen < <(load swan "$spid") || exit 1
echo "strongSwan charon responder: $N IKE+CHILD SAs, $swan_rate per second, RSS +$swan_rss KiB per SA, CPU $swan_cpu us per SA (generator: $swan_gen us per SA)"
swan_stop "$WORK/swan"

ratio=$(awk -v a="$ours_rate" -v b="$swan_rate" 'BEGIN{printf "%.2f", (b > 0 ? a / b : 0)}')
cpu_ratio=$(awk -v a="$ours_cpu" -v b="$swan_cpu" 'BEGIN{printf "%.2f", (a > 0 ? b / a : 0)}')
echo "bench ike: ratio_vs_strongswan=$ratio rss_per_sa_kib=$ours_rss ours_sa_per_s=$ours_rate swan_sa_per_s=$swan_rate swan_rss_per_sa_kib=$swan_rss ours_cpu_us_per_sa=$ours_cpu swan_cpu_us_per_sa=$swan_cpu cpu_ratio_vs_strongswan=$cpu_ratio n=$N parallel=$P responder=$RESPONDER"
