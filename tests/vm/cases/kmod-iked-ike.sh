#!/bin/bash
# SPDX-License-Identifier: MIT
#
# IKE between secgw-iked on the kmod datapath (secgw_esp.ko) and secgw-iked
# on the xfrm datapath (the kernel's own ESP), with a rekey while traffic
# flows (issue 6, test 4). Everything that starts and rekeys the tunnel
# comes from the module's events:
#
#   hl ------ gl ======= IKE + ESP ======= gr ------ hr
#             secgw-iked K                 secgw-iked X
#             --datapath kmod, trap        --datapath xfrm, responder
#
# - acquire: K loads its child with start_action trap: protect policies
#   without an SA in the module, routes into ipsec0; a ping from hl makes
#   the module send EVENT_ACQUIRE, K initiates, the tunnel comes up (both
#   inner families in one child);
# - rekey while traffic flows: K's child has life_packets 1000, so the
#   module's soft limit sends EVENT_EXPIRE; K rekeys the CHILD SA during a
#   UDP stream of ~2500 packets from hl to hr; afterwards the new SAs carry
#   pings and TCP both ways;
# - stop: K removes everything it installed in the module.
#
# vm-timeout: 150
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/kmod.sh
. /vm/lib/iked.sh

PSK=kmod-iked-ike-psk-0123456789abcdef
LIFE_PACKETS=1000
tap_plan 15

setup() {
	xfrm_modules_load && kmod_load && topo_tunnel_only && kmod_ctl_start gl &&
	net_iperf_server hr
}
tap_check "modules, routers without routes between the LANs, espnl in gl, iperf3 in hr" setup

conf() { iked_trap_conf "$1" kmod xfrm "$PSK" "$LIFE_PACKETS"; }

start() {
	iked_start K gl --datapath kmod && iked_start X gr --datapath xfrm &&
	iked_load K "$(conf l)" && iked_load X "$(conf r)"
}
tap_check "secgw-iked K (kmod, trap) in gl and X (xfrm) in gr, configurations loaded" start
trapped() {
	[ "$(iked_sas K '.connections[0].children[0].state')" = trap ]
}
tap_check "K's child waits on its trap" trapped

up() { _net_bb hl ping -q -c 1 -W 1 "$TOPO_HR4" >/dev/null 2>&1; }
tap_check "acquire: pings from hl bring the tunnel up" wait_until 30 up
tap_check "K initiated because of the module's acquire" grep -q "traffic on its trap policy, initiating" "$VM_RESULTS/K.log"
installed() {
	[ "$(iked_sas K '.connections[0].children | map(.state) | join(",")')" = installed ] &&
	[ "$(iked_sas X '.connections[0].children | map(.state) | join(",")')" = installed ]
}
tap_check "the CHILD SA is installed on both sides" installed
tap_check "ping hl -> hr and hr -> hl, IPv4 and IPv6 inside" \
	eval "net_ping hl $TOPO_HR4 && net_ping hl $TOPO_HR6 && net_ping hr $TOPO_HL4 && net_ping hr $TOPO_HL6"

spi0=$(iked_sas K '.connections[0].children[0].spi_in')
stream() {
	net_in hl iperf3 -c "$TOPO_HR4" -p "$NET_IPERF_PORT" -u -b 400K -l 100 -t 5 --connect-timeout 5000
}
tap_check "a UDP stream of ~2500 packets hl -> hr" stream
rekeyed() {
	local spi
	grep "expire of" "$VM_RESULTS/K.log"
	spi=$(iked_sas K '[.connections[0].children[] | select(.state == "installed")][0].spi_in')
	echo "spi_in before the stream $spi0, now $spi"
	grep -q "soft expire of outbound SA .*: rekeying" "$VM_RESULTS/K.log" &&
	[ -n "$spi" ] && [ "$spi" != null ] && [ "$spi" != "$spi0" ]
}
tap_check "the module's soft expire made K rekey the CHILD SA during the stream" wait_until 20 rekeyed
tap_check "after the rekey: ping both ways over the new SAs" \
	eval "net_ping hl $TOPO_HR4 && net_ping hr $TOPO_HL6"
tap_check "after the rekey: TCP hl -> hr" net_iperf hl "$TOPO_HR4"
tap_check "after the rekey: TCP hr -> hl" net_iperf hl "$TOPO_HR4" -R
clean_module() {
	kmod_ctl gl stats >/dev/null && echo "$KANSWER"
	[ "$(_kmod_field drop_auth)" = 0 ] && [ "$(_kmod_field acquires)" -gt 0 ]
}
tap_check "the module raised acquires and saw no authentication failure" clean_module
tap_check "secgw-iked K stops cleanly" iked_stop K
nothing_left() {
	kmod_ctl gl stats >/dev/null && echo "$KANSWER"
	echo "table 1517: $(ip -n gl route show table 1517) $(ip -n gl -6 route show table 1517)"
	[ "$(_kmod_field obj_sas)" = 0 ] && [ "$(_kmod_field obj_sockets)" = 0 ] &&
	[ -z "$(ip -n gl route show table 1517)" ] && [ -z "$(ip -n gl -6 route show table 1517)" ]
}
tap_check "nothing of K left: no SA, socket or route of the module" nothing_left
iked_stop X
net_cleanup
