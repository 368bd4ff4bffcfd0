#!/bin/bash
# SPDX-License-Identifier: MIT
#
# secgw-iked's xfrm datapath (the kernel's own ESP, driven over XFRM
# netlink) against secgw-iked's user datapath, keyed by hand: two different
# ESP implementations agreeing on the wire, and the xfrm backend installing
# states, policies and routes the kernel really uses, then removing them.
#
#   hl ------ gl ======= ESP ======= gr ------ hr
#             secgw-iked             secgw-iked      (transport mode: gl <-> gr)
#             --datapath xfrm        --datapath user
#
# One tunnel-mode child carries both inner families (10.1.0.0/24 and
# fd00:1::/64 <-> 10.2.0.0/24 and fd00:2::/64). The routers' plain routes to
# the far LAN are deleted first, so only the tunnel can carry anything.
# Four configurations cover each pair of outer family (IPv4, IPv6),
# encapsulation (plain ESP, ESP-in-UDP on 4500) and AEAD (chacha20poly1305,
# aes256gcm16); a fifth is transport mode between gl and gr. Per
# configuration: a load on both sides, pings both ways (both inner families
# in tunnel mode), a TCP transfer each way, and the xfrm side's counters
# (XFRM_MSG_GETSA through list-sas) grown in both directions.
# Finally the xfrm side stops and leaves no state, policy or route.
#
# vm-timeout: 150
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/iked.sh

# outer family, encapsulation, AEAD, mode: a pairwise covering of the
# 2x2x2 in tunnel mode, then transport mode between the routers themselves
# with ESP in UDP (which also needs the bypass on the 4500 socket: the
# policy covers the peer's address).
COMBOS="4:off:chacha20poly1305:tunnel 4:force:aes256gcm16:tunnel 6:off:aes256gcm16:tunnel
	6:force:chacha20poly1305:tunnel 4:force:aes256gcm16:transport"
PER_COMBO=7
tap_plan $((5 + 5 * PER_COMBO + 2))

key() { head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
KEY_LR=$(key)
KEY_RL=$(key)

tap_check "XFRM, ESP and both AEADs' kernel modules load" xfrm_modules_load
tap_check "routers topology up, no plain route between the LANs" topo_tunnel_only
tap_check "iperf3 server in hr" net_iperf_server hr
tap_check "iperf3 server in gr" net_iperf_server gr
start() {
	iked_start X gl --datapath xfrm && iked_start U gr --datapath user
}
tap_check "secgw-iked: xfrm datapath in gl, user datapath in gr" start

# conf SIDE(l|r) FAMILY NAT AEAD MODE : one manual connection, as that side sees it.
conf() {
	local side=$1 fam=$2 nat=$3 aead=$4 mode=$5 la ra lts rts dp spi_in spi_out kin kout
	if [ "$fam" = 4 ]; then la=$TOPO_GL4 ra=$TOPO_GR4; else la=$TOPO_GL6 ra=$TOPO_GR6; fi
	lts="\"$TOPO_NET_L4\",\"$TOPO_NET_L6\"" rts="\"$TOPO_NET_R4\",\"$TOPO_NET_R6\""
	[ "$mode" = transport ] && lts='"dynamic"' rts='"dynamic"'
	dp=xfrm spi_in=4096 spi_out=8192 kin=krl kout=klr
	if [ "$side" = r ]; then
		local x=$la; la=$ra; ra=$x
		x=$lts; lts=$rts; rts=$x
		dp=user spi_in=8192 spi_out=4096 kin=klr kout=krl
	fi
	cat <<-EOF
	{"connections": [{"name": "t", "keying": "manual", "datapath": "$dp", "local_addrs": ["$la"],
	  "remote_addrs": ["$ra"], "nat_t": "$nat", "children": [{"name": "c", "mode": "$mode",
	  "local_ts": [$lts], "remote_ts": [$rts], "esp_proposals": ["$aead"],
	  "manual": {"spi_in": $spi_in, "spi_out": $spi_out, "key_in": "$kin", "key_out": "$kout"}}]}],
	 "secrets": {"klr": {"type": "key", "value": "$KEY_LR"}, "krl": {"type": "key", "value": "$KEY_RL"}}}
	EOF
}

# counters_grew : the xfrm side's SAs both counted packets (list-sas reads
# them from the kernel with XFRM_MSG_GETSA), and the inbound one no bad ICV.
counters_grew() {
	local c
	c=$(iked_sas X '.connections[0].children[0] | "\(.packets_in) \(.packets_out) \(.drops.auth)"')
	echo "xfrm side: packets_in packets_out auth_drops = $c"
	set -- $c
	[ "$1" -ge 4 ] && [ "$2" -ge 4 ] && [ "$3" -eq 0 ]
}

# what the xfrm side has in the kernel
xfrm_state_has() { ip -n gl xfrm state list | grep -q "$1"; }

for combo in $COMBOS; do
	IFS=: read -r fam nat aead mode <<<"$combo"
	name="$mode, outer IPv$fam, $([ "$nat" = force ] && echo ESP-in-UDP || echo ESP), $aead"
	load_both() {
		iked_load X "$(conf l "$fam" "$nat" "$aead" "$mode")" &&
		iked_load U "$(conf r "$fam" "$nat" "$aead" "$mode")"
	}
	tap_check "$name: loaded on both sides" load_both
	if [ "$nat" = force ]; then
		tap_check "$name: the kernel holds the SAs, UDP-encapsulated" xfrm_state_has "encap type espinudp sport 4500 dport 4500"
	else
		tap_check "$name: the kernel holds the SAs" xfrm_state_has "aead rfc"
	fi
	if [ "$mode" = tunnel ]; then
		tap_check "$name: ping hl -> hr, IPv4 and IPv6 inside" eval "net_ping hl $TOPO_HR4 && net_ping hl $TOPO_HR6"
		tap_check "$name: ping hr -> hl, IPv4 and IPv6 inside" eval "net_ping hr $TOPO_HL4 && net_ping hr $TOPO_HL6"
		eval "dst=\$TOPO_HR$fam"
		tap_check "$name: TCP hl -> hr" net_iperf hl "$dst"
		tap_check "$name: TCP hr -> hl" net_iperf hl "$dst" -R
	else
		eval "dst=\$TOPO_GR$fam src=\$TOPO_GL$fam"
		tap_check "$name: ping gl -> gr" net_ping gl "$dst"
		tap_check "$name: ping gr -> gl" net_ping gr "$src"
		tap_check "$name: TCP gl -> gr" net_iperf gl "$dst"
		tap_check "$name: TCP gr -> gl" net_iperf gl "$dst" -R
	fi
	tap_check "$name: xfrm side counted both ways, no ICV failure" counters_grew
done

tap_check "secgw-iked (xfrm) stops cleanly" iked_stop X
nothing_left() {
	local s p r
	s=$(ip -n gl xfrm state list) p=$(ip -n gl xfrm policy list) r=$(ip -n gl route show proto 201)
	echo "states: $s"; echo "policies: $p"; echo "routes: $r"
	[ -z "$s" ] && [ -z "$p" ] && [ -z "$r" ] && [ -z "$(ip -n gl -6 route show proto 201)" ]
}
tap_check "nothing of it left in gl: no state, policy or route" nothing_left
iked_stop U
net_cleanup
