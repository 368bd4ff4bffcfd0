#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Hostile input to secgw_esp.ko (issue 6, test 5). A working tunnel first
# (Linux's ESP on gl, the module on gr, as kmod-xfrm), then from gl:
# thousands of random, truncated, foreign-SPI and reserved-SPI ESP packets
# to gr over IP protocol 50 and over UDP 4500 (where keepalives and
# non-ESP-marker datagrams are mixed in), for each family. Then malformed
# generic netlink: hand-made bad attributes, random attribute bytes for
# every command number, and an unprivileged caller. Throughout, the kernel
# stays up and its log clean, the module's drop counters rise by reason,
# and the tunnel still carries traffic at the end.
#
#   hl ------ gl (native XFRM, espfuzz) ====== gr (secgw_esp.ko) ------ hr
#
# vm-needs: build:tests/vm/espfuzz
# vm-timeout: 180
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/kmod.sh

FUZZ=3000
RANDOM_MSGS=300
tap_plan 24

tap_check "XFRM, ESP and AEAD modules load" xfrm_modules_load
tap_check "secgw_esp.ko loads" kmod_load
setup() {
	topo_routers h && kmod_ctl_start grh && xfrm_udpencap_start glh &&
	kmod_ctl grh encap "$SA_PORT"
}
tap_check "topology, espnl in gr, encapsulation sockets" setup

tunnel() {
	sa_pair tunnel "$1" none "$TOPO_GL4" "$TOPO_GR4" "$TOPO_NET_L4" "$TOPO_NET_R4" &&
	xfrm_native_install glh a replace && kmod_install grh b
}
tap_check "IPv4 tunnel (aes256gcm16) up" tunnel aes256gcm16
tap_check "IPv4 tunnel carries pings" net_ping hlh "$TOPO_HR4"
stats() {
	kmod_ctl grh stats >/dev/null && echo "$KANSWER"
}
before=$(stats)

fuzz() {
	net_in glh espfuzz "$@"
}
tap_check "$FUZZ hostile ESP packets over IPv4" fuzz esp "$TOPO_GR4" "$SA_SPI_AB" "$FUZZ"
tap_check "$FUZZ hostile ESP-in-UDP datagrams over IPv4" fuzz udp "$TOPO_GR4" "$SA_SPI_AB" "$FUZZ" "$SA_PORT"
tap_check "$FUZZ hostile ESP packets over IPv6" fuzz esp "$TOPO_GR6" "$SA_SPI_AB" "$FUZZ"
tap_check "$FUZZ hostile ESP-in-UDP datagrams over IPv6" fuzz udp "$TOPO_GR6" "$SA_SPI_AB" "$FUZZ" "$SA_PORT"

# rose NAME : NAME's counter in stats is higher than it was before.
rose() {
	local now was
	KANSWER=$before was=$(_kmod_field "$1")
	stats >/dev/null
	now=$(_kmod_field "$1")
	echo "$1: $was -> $now"
	[ "$now" -gt "$was" ]
}
tap_check "drops counted: malformed" rose drop_malformed
tap_check "drops counted: authentication (random bodies behind our SPI)" rose drop_auth
tap_check "drops counted: ESP in UDP for a plain-ESP SA" rose drop_encap_mismatch
tap_check "foreign SPIs passed on to the kernel's XFRM" rose passed_on
tap_check "NAT-T keepalives eaten, IKE datagrams left to the socket" eval 'rose keepalives && rose ike'
tap_check "the IPv4 tunnel still carries pings" net_ping hlh "$TOPO_HR4"

# Generic netlink: refusals with the reason (EINVAL, or ERANGE from the
# policy table for a binary attribute of the wrong size; ENOENT; EEXIST).
refused() {
	kmod_ctl grh "$@" >/dev/null
	echo "$KANSWER"
	case $KANSWER in "error EINVAL"* | "error ERANGE"* | "error ENOENT"* | "error EEXIST"*) return 0 ;; esac
	return 1
}
k36=0x$(printf '%072d' 1)
tap_check "SA_ADD with a 16-byte key for ChaCha20-Poly1305: refused" refused sa-add dir=in \
	spi=0x4242 mode=tunnel src=192.0.2.1 dst=192.0.2.2 alg='rfc7539esp(chacha20,poly1305)' \
	key=0x$(printf '%032d' 1) lts=10.0.0.0/8 rts=10.0.0.0/8
tap_check "SA_ADD with an unknown algorithm: refused" refused sa-add dir=in spi=0x4242 \
	mode=tunnel src=192.0.2.1 dst=192.0.2.2 alg='cbc(des)' key=$k36 lts=10.0.0.0/8 rts=10.0.0.0/8
tap_check "SA_ADD of an SA that exists: refused" refused sa-add dir=in spi="$SA_SPI_AB" \
	mode=tunnel src="$TOPO_GL4" dst="$TOPO_GR4" alg="$SA_ALG" key=$k36 lts=10.0.0.0/8 rts=10.0.0.0/8
tap_check "policy naming a missing SA: refused" refused policy-add id=9 action=protect \
	src=10.0.0.0/8 dst=10.0.0.0/8 spi=0x999 sadst=192.0.2.9
# Hand-made attributes (secgw_esp.h numbers: command 4 SA_GET, 2 SA_ADD;
# attribute 8 SA_DST, 22 SA_LOCAL_TS, 1 inside it is TS_SEL).
tap_check "SA_GET with a 4-byte SA_DST: refused by the policy table" refused raw 4 0800080001020304
tap_check "SA_ADD with only a LOCAL_TS holding a stray u32: EINVAL" refused raw 2 0c00160008000100ffffffff

random_msgs() {
	local i=0 cmd hex answered=0
	# All the randomness in one exec; each message takes 4-63 bytes of a line.
	while read -r hex; do
		cmd=$((i % 16))
		kmod_ctl grh raw "$cmd" "${hex:0:$((2 * (4 + RANDOM % 60)))}" >/dev/null
		[ -n "$KANSWER" ] && answered=$((answered + 1))
		i=$((i + 1))
	done < <(xxd -p -c 64 -l $((64 * RANDOM_MSGS)) /dev/urandom)
	echo "$answered of $RANDOM_MSGS answered"
	[ "$answered" = "$RANDOM_MSGS" ] && kmod_ctl grh version >/dev/null
}
tap_check "$RANDOM_MSGS messages of random attributes, every command: each answered" random_msgs
unprivileged() {
	kmod_ctl grh unprivileged >/dev/null || return 1
	kmod_ctl grh flush >/dev/null
	echo "flush as nobody: $KANSWER"
	case $KANSWER in "error EPERM"*) ;; *) return 1 ;; esac
	kmod_ctl grh version >/dev/null
}
tap_check "without CAP_NET_ADMIN: FLUSH refused with EPERM, GET_INFO answered" unprivileged
net_cleanup
unload() {
	/bin/busybox rmmod secgw_esp && [ ! -d /sys/module/secgw_esp ]
}
tap_check "the module unloads afterwards" unload
