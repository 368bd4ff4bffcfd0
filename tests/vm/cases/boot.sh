#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The harness itself: the kernel booted is the one asked for, tools built by
# the project run (their shared libraries made it into the image, under
# make check the ASan and UBSan runtimes too), modprobe loads a module with
# its dependencies, and the router topology forwards IPv4 and IPv6 end to
# end without IPsec.
#
# vm-needs: build:tests/vm/espnl build:tests/vm/udpencap
# vm-modules: esp4
. /vm/lib/tap.sh
. /vm/lib/net.sh
tap_plan 9

tap_is "$(uname -r)" "$VM_KVER" "booted the kernel the host asked for"

out=$(espnl version 2>&1)
rc=$?
tap_is "$rc:$out" "3:error ENOENT: generic netlink family secgw_esp not found" \
	"espnl runs and finds no secgw_esp family before the module loads"
out=$(udpencap 0 2>&1)
rc=$?
tap_is "$rc:$out" "2:udpencap: bad port '0' (1-65535)" \
	"udpencap runs and refuses a bad port"

tap_check "modprobe esp4 (loads xfrm_algo first)" modprobe esp4
tap_check "both modules are loaded" sh -c 'lsmod | grep -q "^esp4 " && lsmod | grep -q "^xfrm_algo "'
modprobe -r esp4

topo_routers || tap_diag "topology setup failed"
tap_check "IPv4: hl reaches hr through two routers" net_ping hl "$TOPO_HR4"
tap_check "IPv6: hl reaches hr through two routers" net_ping hl "$TOPO_HR6"
net_iperf_server hr || tap_diag "iperf3 server did not start"
tap_check "iperf3 TCP hl -> hr over IPv4" net_iperf hl "$TOPO_HR4"
tap_check "iperf3 TCP hr -> hl over IPv6 (reverse)" net_iperf hl "$TOPO_HR6" -R
net_cleanup
