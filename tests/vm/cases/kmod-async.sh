#!/bin/bash
# SPDX-License-Identifier: MIT
#
# secgw_esp.ko's asynchronous crypto path: loaded with async_crypto=1, the
# module takes an asynchronous AES-GCM (cryptd where the kernel builds it,
# else aesni's async rfc4106), so every packet of the SA goes through the
# module's crypto worker (queued from softirq, sealed or opened in process
# context, waiting for the completion when it comes later). Against Linux's
# own ESP, as kmod-xfrm does (IPv4; tunnel mode with plain ESP, transport
# mode with ESP in UDP): ping and TCP both ways, then the module's counters
# show packets deferred to the worker and no authentication failure; how
# many completions came later is reported.
#
#   hl ------ gl (native XFRM) ====== gr (secgw_esp.ko, async AEAD) ------ hr
#
# vm-modules: cryptd
# vm-timeout: 180
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/kmod.sh

tap_plan 14

[ -d /sys/module/secgw_esp ] && /bin/busybox rmmod secgw_esp
tap_check "XFRM, ESP, AEADs and cryptd load" xfrm_modules_load
tap_check "secgw_esp.ko loads with async_crypto=1" kmod_load async_crypto=1
setup() {
	topo_routers 4 && kmod_ctl_start gr4 && xfrm_udpencap_start gl4 &&
	kmod_ctl gr4 encap "$SA_PORT" && net_iperf_server hr4 && net_iperf_server gr4
}
tap_check "topology, espnl in gr, encapsulation sockets, iperf3 servers" setup

install_pair() {
	xfrm_native_install gl4 a replace && kmod_install gr4 b
}

sa_pair tunnel aes256gcm16 none "$TOPO_GL4" "$TOPO_GR4" "$TOPO_NET_L4" "$TOPO_NET_R4"
name="IPv4 tunnel ESP aes256gcm16, async"
tap_check "$name: SAs installed" install_pair
tap_check "$name: ping hl -> hr" net_ping hl4 "$TOPO_HR4"
tap_check "$name: ping hr -> hl" net_ping hr4 "$TOPO_HL4"
tap_check "$name: iperf3 TCP hl -> hr" net_iperf hl4 "$TOPO_HR4"
tap_check "$name: iperf3 TCP hr -> hl" net_iperf hl4 "$TOPO_HR4" -R

sa_pair transport aes256gcm16 udp "$TOPO_GL4" "$TOPO_GR4"
name="IPv4 transport ESP-in-UDP aes256gcm16, async"
tap_check "$name: SAs installed" install_pair
tap_check "$name: ping gl -> gr" net_ping gl4 "$TOPO_GR4"
tap_check "$name: ping gr -> gl" net_ping gr4 "$TOPO_GL4"
tap_check "$name: iperf3 TCP gl -> gr" net_iperf gl4 "$TOPO_GR4"

async_counted() {
	kmod_ctl gr4 stats || return 1
	echo "$KANSWER"
	echo "completions that came later: $(_kmod_field async)"
	[ "$(_kmod_field deferred)" -gt 0 ] &&
		[ "$(_kmod_field drop_auth)" = 0 ] && [ "$(_kmod_field drop_queue_full)" = 0 ]
}
tap_check "the module deferred packets to its worker, no drop" async_counted
net_cleanup
unload() {
	/bin/busybox rmmod secgw_esp && [ ! -d /sys/module/secgw_esp ]
}
tap_check "unloaded with the worker idle" unload
