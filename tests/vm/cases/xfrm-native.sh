#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Linux's own ESP (esp4/esp6 through XFRM), keyed by hand with `ip xfrm`
# between the routers of topo_routers: the reference that secgw_esp.ko will
# be checked against (issue 6, test 2), and proof that the VM carries a
# working IPsec stack with both AEADs.
#
#   hl ------ gl ====== ESP ====== gr ------ hr
#        tunnel mode: hl <-> hr    transport mode: gl <-> gr
#
# (one copy of this topology per family, the two families side by side)
#
# For each family (IPv4, IPv6), mode (tunnel, transport), encapsulation
# (ESP, ESP-in-UDP on 4500) and AEAD (chacha20poly1305 = rfc7539esp,
# aes256gcm16 = rfc4106(gcm(aes)); 36-byte keys, 128-bit ICV): SAs and
# policies installed on both routers, ping both ways, a short iperf3 TCP
# transfer both ways (net_iperf), and the counters of all four SAs risen
# with no replayed packet or bad ICV. Finally, no XFRM error counted on
# either router.
#
# vm-timeout: 300
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh

FAMILIES="4 6"
MODES="tunnel transport"
ENCAPS="none udp"
AEADS="chacha20poly1305 aes256gcm16"
PER_COMBO=6
MIN_PACKETS=3	# each SA carries at least the pings of its direction
tap_plan $((4 + 2 * 2 * 2 * 2 * PER_COMBO + 1))

tap_check "XFRM, ESP and both AEADs' kernel modules load" xfrm_modules_load

# One copy of the topology per family (hl4 gl4 gr4 hr4, hl6 …): the two
# families run side by side, one per vCPU, each its own chain of commands.
setup() {
	local f
	for f in $FAMILIES; do
		topo_routers "$f" || return 1
	done
}
udpencap() {
	local f
	for f in $FAMILIES; do
		xfrm_udpencap_start "gl$f" && xfrm_udpencap_start "gr$f" || return 1
	done
}
iperf_servers() {
	local f
	for f in $FAMILIES; do
		net_iperf_server "hr$f" && net_iperf_server "gr$f" || return 1
	done
}
tap_check "routers topology up, one copy per family" setup
tap_check "UDP_ENCAP sockets on 4500 in every router" udpencap
tap_check "iperf3 servers in hr (tunnel mode) and gr (transport mode)" iperf_servers

# install_pair GL GR
install_pair() {
	xfrm_native_install "$1" a replace && xfrm_native_install "$2" b replace
}

# counters_rose GL GR : every SA of the pair, on both routers, carried
# traffic, and none saw a replayed packet or a bad ICV (xfrm_sa_stats: SPI
# BYTES PACKETS OUTSIDE_WINDOW REPLAYED INTEGRITY_FAILED). Packets older than
# the replay window are only reported: forwarded TCP on two emulated CPUs is
# reordered by more than any window when the host deschedules one vCPU.
counters_rose() {
	local ns spi bytes packets window replayed failed seen bad=0
	for ns in "$1" "$2"; do
		seen=
		while read -r spi bytes packets window replayed failed; do
			echo "$ns: $spi $bytes $packets $window $replayed $failed"
			[ "$spi" = "$SA_SPI_AB" ] || [ "$spi" = "$SA_SPI_BA" ] || continue
			seen="$seen $spi"
			if [ "$packets" -lt "$MIN_PACKETS" ] || [ "$replayed" -ne 0 ] || [ "$failed" -ne 0 ]; then
				echo "$ns: SA $spi: want >= $MIN_PACKETS packets, 0 replayed, 0 bad ICV"
				bad=1
			elif [ "$window" -ne 0 ]; then
				echo "$ns: SA $spi: $window packets arrived behind the replay window (reordering)"
			fi
		done < <(xfrm_sa_stats "$ns")
		for spi in "$SA_SPI_AB" "$SA_SPI_BA"; do
			case $seen in *" $spi"*) ;; *) echo "$ns: SA $spi missing"; bad=1 ;; esac
		done
	done
	return $bad
}


pids=
for fam in $FAMILIES; do
	sa_matrix "$fam" &
	pids="$pids $!"
done
for pid in $pids; do
	wait "$pid"
done

# /proc/net/xfrm_stat: the kernel's XFRM error counters, per namespace. Two
# count events that are no error here: XfrmInStateSeqError (packets behind
# the replay window, see counters_rose; real replays fail counters_rose) and
# XfrmOutStateModeError (a tunnel-mode packet too big for the path MTU once
# ESP is added, answered with ICMP "fragmentation needed": PMTU discovery).
xfrm_errors() {
	local ns bad=0
	for ns in gl4 gr4 gl6 gr6; do
		_net_bb "$ns" cat /proc/net/xfrm_stat | awk -v ns="$ns" '
			$2 == 0 { next }
			$1 == "XfrmInStateSeqError" || $1 == "XfrmOutStateModeError" { print ns ": " $0 " (tolerated)"; next }
			{ print ns ": " $0; bad = 1 }
			END { exit bad }' || bad=1
	done
	return $bad
}
tap_check "no XFRM error counted in any router (/proc/net/xfrm_stat)" xfrm_errors
net_cleanup
