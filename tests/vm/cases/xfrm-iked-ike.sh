#!/bin/bash
# SPDX-License-Identifier: MIT
#
# IKE between secgw-iked on the xfrm datapath (the kernel's ESP) and
# secgw-iked on the user datapath, through the kernel's own events:
#
#   hl ------ gl ======= IKE + ESP ======= gr ------ hr
#             secgw-iked X                 secgw-iked U
#             --datapath xfrm, trap        --datapath user, responder
#
# - acquire: X loads its child with start_action trap; its trap policies
#   (out, in, fwd per inner family, under X's reqid) are in the kernel; a
#   ping from hl makes the kernel raise XFRM_MSG_ACQUIRE, X initiates, and
#   the tunnel comes up (both inner families in one child);
# - rekey while traffic flows: X's child has life_packets 1000, so the
#   kernel's soft packet limit (900) sends XFRM_MSG_EXPIRE; X rekeys the
#   CHILD SA (an in-place UPDPOLICY of the outbound SPI) during a UDP stream
#   of ~2500 packets from hl to hr; afterwards the new SAs carry pings and a
#   TCP transfer both ways;
# - counters: list-sas on X (XFRM_MSG_GETSA) grows with traffic;
# - stop: X removes every state, policy and route it installed.
#
# vm-timeout: 120
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/iked.sh

PSK=xfrm-iked-ike-psk-0123456789abcdef
LIFE_PACKETS=1000
tap_plan 17

tap_check "XFRM, ESP and both AEADs' kernel modules load" xfrm_modules_load
tap_check "routers topology up, no plain route between the LANs" topo_tunnel_only
tap_check "iperf3 server in hr" net_iperf_server hr

conf() { iked_trap_conf "$1" xfrm user "$PSK" "$LIFE_PACKETS"; }

start() {
	iked_start X gl --datapath xfrm && iked_start U gr --datapath user &&
	iked_load X "$(conf l)" && iked_load U "$(conf r)"
}
tap_check "secgw-iked X (xfrm, trap) in gl and U (user) in gr, configurations loaded" start

reqid=$(sed -n 's/.*xfrm datapath: reqid \([0-9]*\).*/\1/p' "$VM_RESULTS/X.log")
trap_policies() {
	local n
	ip -n gl xfrm policy list
	n=$(ip -n gl xfrm policy list | grep -c "proto esp reqid $reqid mode tunnel")
	[ "$n" -eq 6 ] && [ "$(iked_sas X '.connections[0].children[0].state')" = trap ]
}
tap_check "trap: out, in and fwd policies for both inner families under X's reqid, child waiting" trap_policies

# A packet into the trap: dropped, but the kernel raises the acquire.
up() { _net_bb hl ping -q -c 1 -W 1 "$TOPO_HR4" >/dev/null 2>&1; }
tap_check "acquire: pings from hl bring the tunnel up" wait_until 30 up
tap_check "X initiated because of the kernel's acquire" grep -q "traffic on its trap policy, initiating" "$VM_RESULTS/X.log"
installed() {
	[ "$(iked_sas X '.connections[0].children | map(.state) | join(",")')" = installed ] &&
	[ "$(iked_sas U '.connections[0].children | map(.state) | join(",")')" = installed ]
}
tap_check "the CHILD SA is installed on both sides" installed
tap_check "ping hl -> hr and hr -> hl, IPv4 and IPv6 inside" \
	eval "net_ping hl $TOPO_HR4 && net_ping hl $TOPO_HR6 && net_ping hr $TOPO_HL4 && net_ping hr $TOPO_HL6"

out_packets() { iked_sas X '.connections[0].children[0].packets_out'; }
grows() {
	local a b
	a=$(out_packets)
	net_ping hl "$TOPO_HR4" 10 >/dev/null
	b=$(out_packets)
	echo "packets_out: $a -> $b"
	[ "$a" -ge 1 ] && [ "$b" -ge $((a + 10)) ]
}
tap_check "X's counters (XFRM_MSG_GETSA) grow with the traffic" grows

spi0=$(iked_sas X '.connections[0].children[0].spi_in')
# ~2500 datagrams hl -> hr at 500 a second: the outbound SA meets its soft
# limit (900 packets) at least twice while the stream runs.
stream() {
	net_in hl iperf3 -c "$TOPO_HR4" -p "$NET_IPERF_PORT" -u -b 400K -l 100 -t 5 --connect-timeout 5000
}
tap_check "a UDP stream of ~2500 packets hl -> hr" stream
rekeyed() {
	local spi
	grep "expire of" "$VM_RESULTS/X.log"
	spi=$(iked_sas X '[.connections[0].children[] | select(.state == "installed")][0].spi_in')
	echo "spi_in before the stream $spi0, now $spi"
	grep -q "soft expire of outbound SA .*: rekeying" "$VM_RESULTS/X.log" &&
	[ -n "$spi" ] && [ "$spi" != null ] && [ "$spi" != "$spi0" ]
}
tap_check "the kernel's soft expire made X rekey the CHILD SA during the stream" wait_until 20 rekeyed
tap_check "after the rekey: ping both ways over the new SAs" \
	eval "net_ping hl $TOPO_HR4 && net_ping hr $TOPO_HL6"
tap_check "after the rekey: TCP hl -> hr" net_iperf hl "$TOPO_HR4"
tap_check "after the rekey: TCP hr -> hl" net_iperf hl "$TOPO_HR4" -R

tap_check "secgw-iked X stops cleanly" iked_stop X
nothing_left() {
	local s p r
	s=$(ip -n gl xfrm state list) p=$(ip -n gl xfrm policy list) r=$(ip -n gl route show proto 201)
	echo "states: $s"; echo "policies: $p"; echo "routes: $r"
	# Larval states of an acquire are the kernel's own (they expire by
	# themselves): only a full state would be ours.
	! grep -q "reqid $reqid" <<<"$s" && [ -z "$p" ] && [ -z "$r" ] &&
	[ -z "$(ip -n gl -6 route show proto 201)" ]
}
tap_check "nothing of X left in gl: no state, policy or route" nothing_left
iked_stop U
net_cleanup
