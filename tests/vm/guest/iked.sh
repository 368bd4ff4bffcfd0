# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# secgw-iked in the guest: started in a namespace, driven over its control
# socket (docs/control.md), stopped with SIGTERM and checked.
#
#	iked_start X gl --datapath xfrm     secgw-iked in gl; log $VM_RESULTS/X.log
#	iked_load X "$CONFIG_JSON"          a load request; fails unless ok:true
#	iked_ctl X '{"id":2,"cmd":"list-sas"}'   one request, its reply line on stdout
#	iked_stop X                          SIGTERM; fails unless it stopped cleanly
#	iked_trap_conf l|r DP_L DP_R PSK LIFE   a trap connection between gl and gr
#	topo_tunnel_only                     topo_routers without the routers' routes
#	                                     between the LANs (only a tunnel carries)
#
# A control client is a socat coprocess per request: the reply line is read
# as soon as it comes (socat alone would linger for its -t after EOF).
#
# vm-needs: build:bin/secgw-iked /usr/bin/socat /usr/bin/jq
# vm-modules: tun

IKED_REV=0

# iked_start NAME NS [ARGS…] : secgw-iked in NS, control socket
# $VM_STATE/NAME.sock; returns once the socket is there.
iked_start() {
	local name=$1 ns=$2
	shift 2
	# The user datapath's TUN: the module makes the device node (devtmpfs).
	if [ ! -c /dev/net/tun ]; then
		modprobe tun && wait_until 5 test -c /dev/net/tun || return 1
	fi
	# The pid is iked's own (bash execs it), whether or not nsenter forks.
	net_in "$ns" bash -c 'echo $$ >"$0"; exec "$@"' "$VM_STATE/$name.pid" \
		"$(type -P secgw-iked)" --control "$VM_STATE/$name.sock" --workers 1 \
		--retransmit-ms 500 --retransmit-tries 5 "$@" >"$VM_RESULTS/$name.log" 2>&1 &
	wait_until 20 test -S "$VM_STATE/$name.sock"
}

# iked_ctl NAME REQUEST-JSON-LINE : the reply line.
iked_ctl() {
	local reply=
	coproc IKEDC { exec socat - "UNIX-CONNECT:$VM_STATE/$1.sock" 2>/dev/null; }
	printf '%s\n' "$2" >&"${IKEDC[1]}"
	IFS= read -r -t 30 reply <&"${IKEDC[0]}" || true
	kill "$IKEDC_PID" 2>/dev/null
	wait "$IKEDC_PID" 2>/dev/null || true
	printf '%s\n' "$reply"
}

# iked_load NAME CONFIG-JSON : load it as the next revision; the reply on
# stdout, and success only for ok:true without any failed connection.
iked_load() {
	local r c=${2//$'\n'/ }
	IKED_REV=$((IKED_REV + 1))
	# One request per line: the configuration's own line breaks go.
	r=$(iked_ctl "$1" "{\"id\":1,\"cmd\":\"load\",\"revision\":$IKED_REV,\"config\":${c//$'\t'/ }}")
	printf '%s\n' "$r"
	[[ $r == *'"ok":true'* && $r != *'"failed"'* ]]
}

# iked_sas NAME JQ-FILTER : the filter applied to list-sas's result.
iked_sas() {
	iked_ctl "$1" '{"id":2,"cmd":"list-sas"}' | jq -r ".result | $2"
}

# iked_stop NAME : SIGTERM, wait for the exit; fails on a sanitizer report
# or when the log lacks the clean stop.
iked_stop() {
	local pid
	pid=$(cat "$VM_STATE/$1.pid" 2>/dev/null) || return 1
	kill -TERM "$pid" 2>/dev/null
	wait_until 20 eval "! kill -0 $pid 2>/dev/null" || { kill -KILL "$pid"; return 1; }
	if grep -q 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$VM_RESULTS/$1.log"; then
		grep -m1 -A30 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$VM_RESULTS/$1.log"
		return 1
	fi
	grep -q 'secgw-iked\[info\] stopped' "$VM_RESULTS/$1.log"
}

# iked_trap_conf l|r DP_L DP_R PSK LIFE_PACKETS : one PSK connection "t"
# between gl and gr, one child "net" joining both LANs (both inner
# families) with aes256gcm16, as gl (l: datapath DP_L, start_action trap,
# the packet limit) or gr (r: datapath DP_R, responder) sees it.
iked_trap_conf() {
	local la=$TOPO_GL4 ra=$TOPO_GR4 lid=gl.test rid=gr.test dp=$2 child
	local lts="\"$TOPO_NET_L4\",\"$TOPO_NET_L6\"" rts="\"$TOPO_NET_R4\",\"$TOPO_NET_R6\""
	child="\"start_action\": \"trap\", \"life_packets\": $5,"
	if [ "$1" = r ]; then
		la=$TOPO_GR4 ra=$TOPO_GL4 lid=gr.test rid=gl.test dp=$3 child=
		local x=$lts; lts=$rts; rts=$x
	fi
	cat <<-EOF
	{"connections": [{"name": "t", "datapath": "$dp", "local_addrs": ["$la"], "remote_addrs": ["$ra"],
	  "local_id": "$lid", "remote_id": "$rid", "psk": "k", "dpd_delay": 0,
	  "children": [{"name": "net", $child "local_ts": [$lts], "remote_ts": [$rts],
	  "esp_proposals": ["aes256gcm16"]}]}],
	 "secrets": {"k": {"type": "psk", "value": "$4"}}}
	EOF
}

# topo_tunnel_only : topo_routers, then gl and gr forget the far LAN, so
# that nothing but a tunnel (and the routes its datapath adds) joins them.
topo_tunnel_only() {
	topo_routers &&
	net_batch gl <<-EOF &&
		route del $TOPO_NET_R4
		route del $TOPO_NET_R6
	EOF
	net_batch gr <<-EOF
		route del $TOPO_NET_L4
		route del $TOPO_NET_L6
	EOF
}
