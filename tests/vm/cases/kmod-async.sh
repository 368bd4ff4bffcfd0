#!/bin/bash
# SPDX-License-Identifier: MIT
#
# secgw_esp.ko's asynchronous crypto path: loaded with async_crypto=1, the
# module wraps its AEADs in cryptd, which completes every request later from
# its own workqueue, so every packet of the SA goes through the module's
# crypto worker (queued from softirq, sealed or opened in process context,
# waiting for the completion). Against Linux's own ESP, as kmod-xfrm does
# (IPv4; tunnel mode with plain ESP for both AEADs, transport mode with ESP
# in UDP): ping and TCP both ways; after each AEAD's traffic the module's
# count of completions that came later has grown (the -EINPROGRESS branch
# really ran); packets were deferred to the worker with no authentication
# failure or queue drop; the module unloads cleanly right after.
#
#   hl ------ gl (native XFRM) ====== gr (secgw_esp.ko, async AEAD) ------ hr
#
# vm-modules: cryptd
# vm-timeout: 180
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/kmod.sh
. /vm/lib/dmesg.sh

tap_plan 23

[ -d /sys/module/secgw_esp ] && /bin/busybox rmmod secgw_esp
modules() {
	xfrm_modules_load && modprobe cryptd
}
tap_check "XFRM, ESP, AEADs and cryptd load" modules
tap_check "secgw_esp.ko loads with async_crypto=1" kmod_load async_crypto=1
setup() {
	topo_routers 4 && kmod_ctl_start gr4 && xfrm_udpencap_start gl4 &&
	kmod_ctl gr4 encap "$SA_PORT" && net_iperf_server hr4 && net_iperf_server gr4
}
tap_check "topology, espnl in gr, encapsulation sockets, iperf3 servers" setup

install_pair() {
	xfrm_native_install gl4 a replace && kmod_install gr4 b
}

# later_than N INNER : the module's count of completions that came later,
# now above N (it is module-wide; each AEAD's share is the growth over its
# run), and a cryptd instance of INNER (the kernel's name of the AEAD, which
# cryptd keeps) registered: the module did not fall back to a plain
# implementation.
LATER=0
later_than() {
	local before=$1 inner=$2
	kmod_ctl gr4 stats >/dev/null || return 1
	LATER=$(_kmod_field async)
	echo "completions that came later: $((LATER - before)) (total $LATER)"
	grep -B1 -E '^driver *: cryptd\(' /proc/crypto
	grep -B1 -E '^driver *: cryptd\(' /proc/crypto | grep -qF ": $inner" &&
		[ "$LATER" -gt "$before" ]
}

tunnel() {
	sa_pair tunnel "$1" none "$TOPO_GL4" "$TOPO_GR4" "$TOPO_NET_L4" "$TOPO_NET_R4"
	local name="IPv4 tunnel ESP $1, async" before=$LATER
	tap_check "$name: SAs installed" install_pair
	tap_check "$name: ping hl -> hr" net_ping hl4 "$TOPO_HR4"
	tap_check "$name: ping hr -> hl" net_ping hr4 "$TOPO_HL4"
	tap_check "$name: iperf3 TCP hl -> hr" net_iperf hl4 "$TOPO_HR4"
	tap_check "$name: iperf3 TCP hr -> hl" net_iperf hl4 "$TOPO_HR4" -R
	tap_check "$name: completions came later" later_than "$before" "$SA_ALG"
}
tunnel aes256gcm16
tunnel chacha20poly1305

sa_pair transport aes256gcm16 udp "$TOPO_GL4" "$TOPO_GR4"
name="IPv4 transport ESP-in-UDP aes256gcm16, async"
before=$LATER
tap_check "$name: SAs installed" install_pair
tap_check "$name: ping gl -> gr" net_ping gl4 "$TOPO_GR4"
tap_check "$name: ping gr -> gl" net_ping gr4 "$TOPO_GL4"
tap_check "$name: iperf3 TCP gl -> gr" net_iperf gl4 "$TOPO_GR4"
tap_check "$name: completions came later" later_than "$before" "$SA_ALG"

async_counted() {
	kmod_ctl gr4 stats || return 1
	echo "$KANSWER"
	[ "$(_kmod_field deferred)" -gt 0 ] &&
		[ "$(_kmod_field drop_auth)" = 0 ] && [ "$(_kmod_field drop_queue_full)" = 0 ]
}
tap_check "the module deferred packets to its worker, no drop" async_counted
net_cleanup
mark=$(dmesg_mark)
unload() {
	/bin/busybox rmmod secgw_esp && [ ! -d /sys/module/secgw_esp ]
}
tap_check "unloaded with the worker idle" unload
dmesg_check "$mark" "kernel log clean after unloading with async traffic done"
