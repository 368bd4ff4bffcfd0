# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Network namespaces as test routers. Source this file (root needed). Every
# namespace made here is recorded in $NETNS_MADE so netns_cleanup removes
# exactly those and nothing else.
#
#   netns_add  NAME                        a namespace with lo up
#   netns_veth NS1 IF1 NS2 IF2             a veth pair, both ends up (names ≤ 15 chars)
#   netns_addr NS IF ADDR/PLEN...          add addresses (IPv6 without DAD delay)
#   netns_cleanup                          kill what runs in them, delete them

NETNS_MADE=${NETNS_MADE:-}

netns_add() {
	ip netns add "$1" || return 1
	NETNS_MADE="$NETNS_MADE $1"
	ip -n "$1" link set lo up
	# IPv6 addresses usable at once: no duplicate address detection wait.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null || true
}

netns_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

netns_addr() {
	local ns=$1 ifc=$2 a; shift 2
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip -n "$ns" addr add "$a" dev "$ifc" nodad || return 1
		else
			ip -n "$ns" addr add "$a" dev "$ifc" || return 1
		fi
	done
}

netns_cleanup() {
	local ns pid
	for ns in $NETNS_MADE; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	NETNS_MADE=
}
