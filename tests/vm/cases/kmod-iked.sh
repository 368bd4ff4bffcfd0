#!/bin/bash
# SPDX-License-Identifier: MIT
#
# secgw-iked's kmod backend against its user backend (issue 6, test 3):
# manual keying, the same connection on both routers, one secgw-iked each:
#
#   hl ------ gl (secgw-iked --datapath user: TUN) ====== gr (secgw-iked
#             --datapath kmod: secgw_esp.ko, ipsec0) ------ hr
#
# Tunnel mode with plain ESP and ChaCha20-Poly1305 (hl <-> hr), then
# transport mode with ESP in UDP on 4500 and AES-256-GCM (gl <-> gr; iked
# hands its 4500 socket to the module): ping and TCP both ways, the
# module's counters risen with no authentication failure, and when the
# kmod iked stops, everything it installed in the module is gone.
#
# vm-timeout: 240
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/kmod.sh
. /vm/lib/iked.sh

tap_plan 18
KEY_AB=$(xxd -p -c 36 -l 36 /dev/urandom)
KEY_BA=$(xxd -p -c 36 -l 36 /dev/urandom)

# conf SIDE MODE ENCAP AEAD DATAPATH : a manual connection (tests/bats/esp_lib's shape).
conf() {
	local la=$TOPO_GL4 ra=$TOPO_GR4 lts=\"$TOPO_NET_L4\" rts=\"$TOPO_NET_R4\" nat=off
	local spi_in=4096 spi_out=8192 kin=kba kout=kab
	if [ "$1" = gr ]; then
		la=$TOPO_GR4 ra=$TOPO_GL4 lts=\"$TOPO_NET_R4\" rts=\"$TOPO_NET_L4\"
		spi_in=8192 spi_out=4096 kin=kab kout=kba
	fi
	[ "$2" = transport ] && lts='"dynamic"' rts='"dynamic"'
	[ "$3" = udp ] && nat=force
	cat <<-EOF
	{"connections": [{"name": "t", "keying": "manual", "datapath": "$5",
	  "local_addrs": ["$la"], "remote_addrs": ["$ra"], "nat_t": "$nat",
	  "children": [{"name": "c", "mode": "$2", "local_ts": [$lts], "remote_ts": [$rts],
	  "esp_proposals": ["$4"], "manual": {"spi_in": $spi_in, "spi_out": $spi_out,
	  "key_in": "$kin", "key_out": "$kout"}}]}],
	 "secrets": {"kab": {"type": "key", "value": "$KEY_AB"}, "kba": {"type": "key", "value": "$KEY_BA"}}}
	EOF
}

# start NAME NS DATAPATH CONFIG-JSON : secgw-iked (guest/iked.sh) with it.
start() {
	printf '%s\n' "$4" >"$VM_STATE/$1.json"
	iked_start "$1" "$2" --datapath "$3" --config "$VM_STATE/$1.json"
}

setup() {
	xfrm_modules_load && modprobe tun && kmod_load && topo_routers 4 && kmod_ctl_start gr4 &&
	net_iperf_server hr4 && net_iperf_server gr4
}
tap_check "modules, topology, espnl in gr, iperf3 servers" setup

PAIR=0
pair() {
	PAIR=$((PAIR + 1))
	start "U$PAIR" gl4 user "$(conf gl "$@" user)" && start "K$PAIR" gr4 kmod "$(conf gr "$@" kmod)"
}
module_carried() {
	kmod_ctl gr4 stats || return 1
	echo "$KANSWER"
	[ "$(_kmod_field packets_in)" -gt 0 ] && [ "$(_kmod_field packets_out)" -gt 0 ] &&
		[ "$(_kmod_field drop_auth)" = 0 ]
}
stopped_clean() {
	iked_stop "K$PAIR" && iked_stop "U$PAIR" || return 1
	kmod_ctl gr4 stats || return 1
	echo "$KANSWER"
	[ "$(_kmod_field obj_sas)" = 0 ] && [ "$(_kmod_field obj_sockets)" = 0 ]
}

name="IPv4 tunnel ESP chacha20poly1305"
tap_check "$name: iked on user (gl) and on kmod (gr) up" pair tunnel none chacha20poly1305
tap_check "$name: ping hl -> hr" net_ping hl4 "$TOPO_HR4"
tap_check "$name: ping hr -> hl" net_ping hr4 "$TOPO_HL4"
tap_check "$name: iperf3 TCP hl -> hr" net_iperf hl4 "$TOPO_HR4"
tap_check "$name: iperf3 TCP hr -> hl" net_iperf hl4 "$TOPO_HR4" -R
tap_check "$name: the module carried it, no authentication failure" module_carried
tap_check "$name: both stop; nothing of kmod's iked left in the module" stopped_clean
kmod_ctl gr4 flush >/dev/null	# the counters of the next pair start from here

name="IPv4 transport ESP-in-UDP aes256gcm16"
tap_check "$name: iked on user (gl) and on kmod (gr) up" pair transport udp aes256gcm16
tap_check "$name: ping gl -> gr" net_ping gl4 "$TOPO_GR4"
tap_check "$name: ping gr -> gl" net_ping gr4 "$TOPO_GL4"
tap_check "$name: iperf3 TCP gl -> gr" net_iperf gl4 "$TOPO_GR4"
tap_check "$name: iperf3 TCP gr -> gl" net_iperf gl4 "$TOPO_GR4" -R
tap_check "$name: the module carried it, no authentication failure" module_carried
sa_ike() {
	kmod_ctl gr4 stats >/dev/null && echo "$KANSWER" && [ "$(_kmod_field obj_sockets)" -ge 1 ]
}
tap_check "$name: iked's UDP 4500 socket is attached to the module" sa_ike
tap_check "$name: both stop; nothing of kmod's iked left in the module" stopped_clean

refused() {
	local out
	out=$(net_in gr4 secgw-iked --datapath nosuch --config /dev/null 2>&1)
	echo "$out"
	[[ $out == *'unknown datapath'* ]]
}
tap_check "an unknown datapath name is refused with a clear message" refused
net_cleanup
tap_check "the module unloads after both instances" eval '/bin/busybox rmmod secgw_esp; [ ! -d /sys/module/secgw_esp ]'
