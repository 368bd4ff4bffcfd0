#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The guest half of bench/kmod.sh (a tests/vm case, run on its own): iperf3
# TCP from hl to hr through the routers gl and gr, in one boot, on the same
# namespaces: without a tunnel, through Linux's own ESP (ip xfrm on both
# routers) and through secgw_esp.ko (ipsec0 on both routers), tunnel mode,
# plain ESP, for each AEAD. Prints "bench: NAME_mbps=N" diagnostics that
# the host half turns into its result line.
#
# vm-timeout: 400
. /vm/lib/tap.sh
. /vm/lib/net.sh
. /vm/lib/xfrm.sh
. /vm/lib/kmod.sh

SECS=${KMOD_BENCH_SECS:-8}
AEADS="aes256gcm16 chacha20poly1305"
tap_plan 8

# measure NAME : one iperf3 run of SECS seconds; its receiver rate (Mbit/s).
measure() {
	local out=$VM_STATE/bench.$1 mbps
	net_in hlb iperf3 -c "$TOPO_HR4" -p "$NET_IPERF_PORT" -t "$SECS" -f m >"$out" 2>&1 || {
		cat "$out"
		return 1
	}
	mbps=$(awk '/receiver/ { print $7 }' "$out")
	[ -n "$mbps" ] || { cat "$out"; return 1; }
	tap_diag "bench: $1_mbps=$mbps"
}
setup() {
	xfrm_modules_load && kmod_load && topo_routers b && net_iperf_server hrb &&
	kmod_ctl_start glb && kmod_ctl_start grb
}
tap_check "modules, topology, iperf3 server, espnl in both routers" setup
tap_check "no tunnel" measure plain
for aead in $AEADS; do
	NATIVE_RUN=
	sa_pair tunnel "$aead" none "$TOPO_GL4" "$TOPO_GR4" "$TOPO_NET_L4" "$TOPO_NET_R4"
	native() {
		xfrm_native_install glb a replace && xfrm_native_install grb b replace &&
		measure "native_$aead${NATIVE_RUN:-}" && NATIVE_RUN=_again && xfrm_native_flush glb && xfrm_native_flush grb
	}
	kmod() {
		kmod_install glb a && kmod_install grb b && measure "kmod_$aead" &&
		kmod_ctl glb flush && kmod_ctl grb flush &&
		net_batch glb <<<"route replace $TOPO_NET_R4 via $TOPO_GR4" &&
		net_batch grb <<<"route replace $TOPO_NET_L4 via $TOPO_GL4"
	}
	tap_check "native XFRM, $aead" native
	tap_check "secgw_esp.ko, $aead" kmod
	tap_check "native XFRM, $aead, again (drift check)" native
done
net_cleanup
