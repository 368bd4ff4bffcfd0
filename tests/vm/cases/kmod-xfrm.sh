#!/bin/bash
# SPDX-License-Identifier: MIT
#
# secgw_esp.ko against Linux's own ESP (issue 6, test 2): the module's wire
# format proved against the kernel's esp4/esp6 with manual keys.
#
#   hl ------ gl ====== ESP ====== gr ------ hr
#           native XFRM          secgw_esp.ko (ipsec0)
#           (ip xfrm)            (generic netlink: espnl)
#        tunnel mode: hl <-> hr    transport mode: gl <-> gr
#
# For each family (IPv4, IPv6), mode (tunnel, transport), encapsulation
# (ESP, ESP-in-UDP on 4500: a UDP_ENCAP socket on gl, the socket espnl hands
# the module on gr) and AEAD (rfc7539esp, rfc4106(gcm(aes)); 36-byte keys):
# side a of the SA pair installed natively on gl, side b through the module
# on gr, then ping both ways, an iperf3 TCP transfer both ways, and the
# counters of all four SAs risen with no bad ICV (replays are reported:
# emulated CPUs reorder). Finally the module's drop counters show no
# authentication failure and every SA and table it made is accounted for.
#
# vm-timeout: 300
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/kmod.sh

FAMILIES=${KMOD_FAMILIES:-4 6}	# VM_ENV_KMOD_FAMILIES=6 on the host: one family
MODES="tunnel transport"
ENCAPS="none udp"
AEADS="chacha20poly1305 aes256gcm16"
PER_COMBO=6
MIN_PACKETS=3
tap_plan $((5 + $(echo $FAMILIES | wc -w) * 2 * 2 * 2 * PER_COMBO + 1))

tap_check "XFRM, ESP and both AEADs' kernel modules load" xfrm_modules_load
tap_check "secgw_esp.ko loads" kmod_load

setup() {
	local f
	for f in $FAMILIES; do
		topo_routers "$f" && kmod_ctl_start "gr$f" || return 1
	done
}
udpencap() {
	local f
	for f in $FAMILIES; do
		xfrm_udpencap_start "gl$f" && kmod_ctl "gr$f" encap "$SA_PORT" || return 1
	done
}
iperf_servers() {
	local f
	for f in $FAMILIES; do
		net_iperf_server "hr$f" && net_iperf_server "gr$f" || return 1
	done
}
tap_check "routers topology up, one copy per family, espnl in each gr" setup
tap_check "UDP_ENCAP socket on 4500 in gl, module's encapsulation socket in gr" udpencap
tap_check "iperf3 servers in hr (tunnel mode) and gr (transport mode)" iperf_servers

install_pair() {
	xfrm_native_install "$1" a replace && kmod_install "$2" b
}

# counters_rose GL GR : all four SAs carried traffic; no bad ICV anywhere.
counters_rose() {
	local spi bytes packets window replayed failed seen= bad=0 dir spi_ dst line
	while read -r spi bytes packets window replayed failed; do
		echo "$1 (native): $spi $bytes $packets $window $replayed $failed"
		[ "$spi" = "$SA_SPI_AB" ] || [ "$spi" = "$SA_SPI_BA" ] || continue
		seen="$seen $spi"
		if [ "$packets" -lt "$MIN_PACKETS" ] || [ "$failed" -ne 0 ]; then
			echo "$1: SA $spi: want >= $MIN_PACKETS packets, 0 bad ICV"
			bad=1
		fi
	done < <(xfrm_sa_stats "$1")
	[ "$(echo "$seen" | wc -w)" = 2 ] || { echo "$1: SAs missing ($seen)"; bad=1; }
	for line in "out $SA_SPI_BA $SA_A" "in $SA_SPI_AB $SA_B"; do
		read -r dir spi_ dst <<<"$line"
		read -r packets failed replayed < <(kmod_sa_counts "$2" "$dir" "$spi_" "$dst")
		echo "$2 (module): $dir $spi_: packets ${packets:-?} auth ${failed:-?} replay ${replayed:-?}"
		if [ "${packets:-0}" -lt "$MIN_PACKETS" ] || [ "${failed:-1}" -ne 0 ]; then
			bad=1
		fi
	done
	return $bad
}

MATRIX_INSTALLED="native SAs on gl, module SAs on gr"
MATRIX_COUNTED="all four SAs counted traffic, no bad ICV"

pids=
for fam in $FAMILIES; do
	sa_matrix "$fam" &
	pids="$pids $!"
done
for pid in $pids; do
	wait "$pid"
done

module_clean() {
	local f
	for f in $FAMILIES; do
		kmod_ctl "gr$f" stats || return 1
		[ "$(_kmod_field drop_auth)" = 0 ] || return 1
		kmod_ctl "gr$f" flush >/dev/null || return 1
	done
}
tap_check "module: no authentication failure counted, flush accepted" module_clean
net_cleanup
