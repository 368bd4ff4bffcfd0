# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Network namespaces joined by veth pairs, modelling hosts and routers inside
# the VM, the way the Bats suites do on the build machine. Nothing else runs
# in the guest, so names need no per-run suffix; net_cleanup (and the runner
# after every case) deletes what was made.
#
#	net_ns a b                        namespaces (lo up, forwarding on)
#	net_veth a eth0 b eth0 [...]      cables between them, up
#	net_batch a <<-EOF                many ip commands in a, one process
#		addr add 10.0.0.1/24 dev eth0
#		route add default via 10.0.0.2
#	EOF
#	net_in a ping -c 1 10.0.0.2       any command inside a
#	topo_routers [SUFFIX]             the four-namespace topology below
#	net_iperf_server b; net_iperf a ADDR [-R]   a short TCP transfer
#
# Cost matters: under TCG every exec of a dynamically linked program takes a
# noticeable fraction of a second, so iproute2 runs in batches and
# per-namespace commands go through busybox's nsenter (static, no ld.so).
#
# vm-modules: veth

NET_NAMESPACES=
NET_IPERF_PORT=5201
# Enough full-size segments to exercise GSO, PMTU and the replay window;
# little enough that the exec of iperf3 is still a fair share of the cost.
NET_IPERF_BYTES=256K

# New namespaces inherit the initial namespace's settings (devconf_inherit_init_net),
# so these are set once: every namespace may route, and IPv6 addresses are
# usable at once (no duplicate address detection delay).
_net_defaults() {
	[ -n "${_NET_DEFAULTS_DONE:-}" ] && return 0
	sysctl -q -w net.core.devconf_inherit_init_net=1 net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null &&
	_NET_DEFAULTS_DONE=1
}

# net_in NS CMD... : run CMD inside NS. The command is resolved here, by
# path, so that busybox's nsenter runs the real program (a bare "ip" would
# be busybox's own applet). Use net_batch or `ip -n NS` for iproute2.
net_in() {
	local ns=$1 cmd
	cmd=$(type -P "$2") || { echo "net_in: $2: not found" >&2; return 127; }
	shift 2
	nsenter --net="/run/netns/$ns" "$cmd" "$@"
}

# _net_bb NS APPLET... : a busybox applet in NS, without any exec of ld.so.
_net_bb() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" /bin/busybox "$@"
}

# net_batch NS : the iproute2 commands on stdin (one per line, no leading
# "ip") run inside NS by a single ip process; stops at the first error.
net_batch() {
	ip -n "$1" -batch -
}

# net_ns NAME... : new namespaces with lo up.
net_ns() {
	local ns
	_net_defaults || return 1
	printf 'netns add %s\n' "$@" | ip -batch - || return 1
	for ns in "$@"; do
		NET_NAMESPACES="$NET_NAMESPACES $ns"
		_net_bb "$ns" ip link set lo up || return 1
	done
}

# net_veth NS1 IF1 NS2 IF2 [NS1 IF1 NS2 IF2...] : veth pairs, IF1 in NS1 and
# IF2 in NS2, all up.
net_veth() {
	local args=("$@") i
	for ((i = 0; i + 3 < ${#args[@]}; i += 4)); do
		printf 'link add %s netns %s type veth peer name %s netns %s\n' \
			"${args[i + 1]}" "${args[i]}" "${args[i + 3]}" "${args[i + 2]}"
	done | ip -batch - || return 1
	for ((i = 0; i + 3 < ${#args[@]}; i += 4)); do
		_net_bb "${args[i]}" ip link set "${args[i + 1]}" up &&
		_net_bb "${args[i + 2]}" ip link set "${args[i + 3]}" up || return 1
	done
}

# net_tcp_listening NS PORT : true when a TCP socket listens on PORT in NS.
net_tcp_listening() {
	_net_bb "$1" netstat -ltn 2>/dev/null | grep -q "[:.]$2 "
}

# net_ping NS ADDR [COUNT] : COUNT echo requests, each sent as soon as the
# previous answer arrives (-A), giving up after 5 s; all must be answered.
net_ping() {
	_net_bb "$1" ping -A -q -c "${3:-3}" -w 5 "$2"
}

# net_iperf_server NS : an iperf3 server on NET_IPERF_PORT (IPv4 and IPv6)
# for the rest of the case; returns once it listens.
net_iperf_server() {
	net_in "$1" iperf3 -s -p "$NET_IPERF_PORT" >>"$VM_STATE/iperf3-server.$1.log" 2>&1 &
	wait_until 10 net_tcp_listening "$1" "$NET_IPERF_PORT"
}

# net_iperf NS ADDR [iperf3 options…] : a NET_IPERF_BYTES TCP transfer from
# NS to the server at ADDR (-R: from the server to NS); the receiver must
# report data. Between two tests iperf3's server closes and reopens its
# listening socket, so a client that comes at that moment is refused: that
# one answer is retried (for up to NET_IPERF_RETRY_S), nothing else is.
NET_IPERF_RETRY_S=10
net_iperf() {
	local ns=$1 addr=$2 out=$VM_STATE/iperf3.$BASHPID.out rc line got=0 deadline
	shift 2
	deadline=$(($(_vm_now_ms) + NET_IPERF_RETRY_S * 1000))
	while :; do
		net_in "$ns" timeout 60 iperf3 -c "$addr" -p "$NET_IPERF_PORT" -n "$NET_IPERF_BYTES" \
			--connect-timeout 5000 "$@" >"$out" 2>&1
		rc=$?
		[ "$rc" -ne 0 ] && grep -q 'unable to connect to server: Connection refused' "$out" &&
			[ "$(_vm_now_ms)" -lt "$deadline" ] || break
		echo "net_iperf: refused between two tests, once more: $(cat "$out")"
		sleep 0.05
	done
	while IFS= read -r line; do
		printf '%s\n' "$line"
		# "[  5]   0.00-0.31   sec   256 KBytes  6.73 Mbits/sec   receiver"
		case $line in *receiver) set -- $line; [ "${5%%.*}" != 0 ] && got=1 ;; esac
	done <"$out"
	[ "$rc" -eq 0 ] && [ "$got" = 1 ]
}

# net_cleanup : kill what runs in this case's namespaces, then delete them.
net_cleanup() {
	local ns pid
	for ns in $NET_NAMESPACES; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	NET_NAMESPACES=
}

# topo_routers [SUFFIX] : two hosts, each behind its own router, the routers
# joined by a "WAN" link (the addresses are in the TOPO_* variables). With a
# SUFFIX the namespaces are hl$SUFFIX, gl$SUFFIX…: independent copies with
# the same addresses, for work that runs side by side.
#
#   hl --------- gl =========== gr --------- hr
#      lan       |     wan      |      lan
#   10.1.0.2  10.1.0.1  192.0.2.1  192.0.2.2  10.2.0.1  10.2.0.2
#   fd00:1::2 fd00:1::1 2001:db8::1 2001:db8::2 fd00:2::1 fd00:2::2
#
# Plain routing works end to end; a test adds IPsec between gl and gr.
TOPO_HL4=10.1.0.2 TOPO_GL4_LAN=10.1.0.1 TOPO_GL4=192.0.2.1
TOPO_GR4=192.0.2.2 TOPO_GR4_LAN=10.2.0.1 TOPO_HR4=10.2.0.2
TOPO_HL6=fd00:1::2 TOPO_GL6_LAN=fd00:1::1 TOPO_GL6=2001:db8::1
TOPO_GR6=2001:db8::2 TOPO_GR6_LAN=fd00:2::1 TOPO_HR6=fd00:2::2
TOPO_NET_L4=10.1.0.0/24 TOPO_NET_R4=10.2.0.0/24
TOPO_NET_L6=fd00:1::/64 TOPO_NET_R6=fd00:2::/64

# _topo_host NS ADDR4 ADDR6 GW4 GW6 : a host on "lan" with default routes.
_topo_host() {
	net_batch "$1" <<-EOF
		addr add $2/24 dev lan
		addr add $3/64 dev lan
		route add default via $4
		route add default via $5
	EOF
}

# _topo_router NS LAN4 LAN6 WAN4 WAN6 FAR_NET4 FAR_NET6 PEER4 PEER6 : a router
# between "lan" and "wan" that reaches the far LAN through its WAN peer.
_topo_router() {
	net_batch "$1" <<-EOF
		addr add $2/24 dev lan
		addr add $3/64 dev lan
		addr add $4/24 dev wan
		addr add $5/64 dev wan
		route add $6 via $8
		route add $7 via $9
	EOF
}

topo_routers() {
	local s=${1:-}
	net_ns "hl$s" "gl$s" "gr$s" "hr$s" &&
	net_veth "hl$s" lan "gl$s" lan  "gl$s" wan "gr$s" wan  "gr$s" lan "hr$s" lan &&
	_topo_host "hl$s" "$TOPO_HL4" "$TOPO_HL6" "$TOPO_GL4_LAN" "$TOPO_GL6_LAN" &&
	_topo_host "hr$s" "$TOPO_HR4" "$TOPO_HR6" "$TOPO_GR4_LAN" "$TOPO_GR6_LAN" &&
	_topo_router "gl$s" "$TOPO_GL4_LAN" "$TOPO_GL6_LAN" "$TOPO_GL4" "$TOPO_GL6" \
		"$TOPO_NET_R4" "$TOPO_NET_R6" "$TOPO_GR4" "$TOPO_GR6" &&
	_topo_router "gr$s" "$TOPO_GR4_LAN" "$TOPO_GR6_LAN" "$TOPO_GR4" "$TOPO_GR6" \
		"$TOPO_NET_L4" "$TOPO_NET_L6" "$TOPO_GL4" "$TOPO_GL6"
}
