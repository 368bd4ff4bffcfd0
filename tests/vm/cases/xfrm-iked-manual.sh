#!/bin/bash
# SPDX-License-Identifier: MIT
#
# secgw-iked's xfrm datapath (the kernel's own ESP, driven over XFRM
# netlink) against secgw-iked's user datapath, keyed by hand: two different
# ESP implementations agreeing on the wire, and the xfrm backend installing
# states, policies and routes the kernel really uses, then removing them.
#
#   hl ------ gl ======= ESP ======= gr ------ hr
#             secgw-iked             secgw-iked
#             --datapath xfrm        --datapath user
#
# One tunnel-mode child carries both inner families (10.1.0.0/24 and
# fd00:1::/64 <-> 10.2.0.0/24 and fd00:2::/64). The routers' plain routes to
# the far LAN are deleted first, so only the tunnel can carry anything.
# Four configurations cover each pair of outer family (IPv4, IPv6),
# encapsulation (plain ESP, ESP-in-UDP on 4500) and AEAD (chacha20poly1305,
# aes256gcm16): per configuration, a load on both sides, pings both ways in
# both inner families, a TCP transfer each way, and the xfrm side's
# counters (XFRM_MSG_GETSA through list-sas) grown in both directions.
# Finally the xfrm side stops and leaves no state, policy or route.
#
# vm-timeout: 150
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/iked.sh

# outer family, encapsulation, AEAD: a pairwise covering of the 2x2x2.
COMBOS="4:off:chacha20poly1305 4:force:aes256gcm16 6:off:aes256gcm16 6:force:chacha20poly1305"
PER_COMBO=7
tap_plan $((4 + 4 * PER_COMBO + 2))

key() { head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
KEY_LR=$(key)
KEY_RL=$(key)

tap_check "XFRM, ESP and both AEADs' kernel modules load" xfrm_modules_load
setup() {
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
tap_check "routers topology up, no plain route between the LANs" setup
tap_check "iperf3 server in hr" net_iperf_server hr
start() {
	iked_start X gl --datapath xfrm && iked_start U gr --datapath user
}
tap_check "secgw-iked: xfrm datapath in gl, user datapath in gr" start

# conf SIDE(l|r) FAMILY NAT AEAD : one manual connection, as that side sees it.
conf() {
	local side=$1 fam=$2 nat=$3 aead=$4 la ra lts rts dp spi_in spi_out kin kout
	if [ "$fam" = 4 ]; then la=$TOPO_GL4 ra=$TOPO_GR4; else la=$TOPO_GL6 ra=$TOPO_GR6; fi
	lts="\"$TOPO_NET_L4\",\"$TOPO_NET_L6\"" rts="\"$TOPO_NET_R4\",\"$TOPO_NET_R6\""
	dp=xfrm spi_in=4096 spi_out=8192 kin=krl kout=klr
	if [ "$side" = r ]; then
		local x=$la; la=$ra; ra=$x
		x=$lts; lts=$rts; rts=$x
		dp=user spi_in=8192 spi_out=4096 kin=klr kout=krl
	fi
	cat <<-EOF
	{"connections": [{"name": "t", "keying": "manual", "datapath": "$dp", "local_addrs": ["$la"],
	  "remote_addrs": ["$ra"], "nat_t": "$nat", "children": [{"name": "c", "mode": "tunnel",
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
	IFS=: read -r fam nat aead <<<"$combo"
	name="outer IPv$fam, $([ "$nat" = force ] && echo ESP-in-UDP || echo ESP), $aead"
	load_both() {
		iked_load X "$(conf l "$fam" "$nat" "$aead")" && iked_load U "$(conf r "$fam" "$nat" "$aead")"
	}
	tap_check "$name: loaded on both sides" load_both
	if [ "$nat" = force ]; then
		tap_check "$name: the kernel holds the SAs, UDP-encapsulated" xfrm_state_has "encap type espinudp sport 4500 dport 4500"
	else
		tap_check "$name: the kernel holds the SAs" xfrm_state_has "aead rfc"
	fi
	tap_check "$name: ping hl -> hr, IPv4 and IPv6 inside" eval "net_ping hl $TOPO_HR4 && net_ping hl $TOPO_HR6"
	tap_check "$name: ping hr -> hl, IPv4 and IPv6 inside" eval "net_ping hr $TOPO_HL4 && net_ping hr $TOPO_HL6"
	eval "dst=\$TOPO_HR$fam"
	tap_check "$name: TCP hl -> hr" net_iperf hl "$dst"
	tap_check "$name: TCP hr -> hl" net_iperf hl "$dst" -R
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
