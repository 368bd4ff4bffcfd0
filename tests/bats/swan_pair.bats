#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# The strongSwan peer harness (tests/tools/swan.bash) against itself: two
# charons bring a tunnel up and carry a ping. Every interoperability test and
# benchmark stands on this harness, so it is proven on its own first.
#
#   netns sA                                   netns sB
#   lo  10.1.0.1/24                            lo  10.2.0.1/24
#   a0  192.0.2.1/24  <------ veth ------>     b0  192.0.2.2/24
#   ipsec0 (charon, kernel-libipsec)           ipsec0

load helpers

setup_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	source "$SECGW_ROOT/tests/tools/swan.bash"
	local t; t=$(run_tag)
	export NSA=sA$t NSB=sB$t DIR=$BATS_FILE_TMPDIR/swan
	netns_add "$NSA"; netns_add "$NSB"
	netns_veth "$NSA" a0 "$NSB" b0
	netns_addr "$NSA" a0 192.0.2.1/24; netns_addr "$NSA" lo 10.1.0.1/24
	netns_addr "$NSB" b0 192.0.2.2/24; netns_addr "$NSB" lo 10.2.0.1/24
	export NETNS_MADE
	mkdir -p "$DIR/A" "$DIR/B"
	SWAN_LOCAL_ADDRS=192.0.2.1 SWAN_REMOTE_ADDRS=192.0.2.2 SWAN_LOCAL_ID=a.swan.test \
		SWAN_REMOTE_ID=b.swan.test SWAN_PSK=harness-test-psk-0123456789 \
		SWAN_LOCAL_TS=10.1.0.0/24 SWAN_REMOTE_TS=10.2.0.0/24 swan_conn_conf >"$DIR/A/swanctl.conf"
	SWAN_LOCAL_ADDRS=192.0.2.2 SWAN_REMOTE_ADDRS=192.0.2.1 SWAN_LOCAL_ID=b.swan.test \
		SWAN_REMOTE_ID=a.swan.test SWAN_PSK=harness-test-psk-0123456789 \
		SWAN_LOCAL_TS=10.2.0.0/24 SWAN_REMOTE_TS=10.1.0.0/24 swan_conn_conf >"$DIR/B/swanctl.conf"
}

teardown_file() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	source "$SECGW_ROOT/tests/tools/swan.bash"
	swan_stop "$DIR/A"; swan_stop "$DIR/B"
	netns_cleanup
}

setup() {
	require_root
	require_cmd swanctl
	source "$SECGW_ROOT/tests/tools/swan.bash"
}

@test "two charons start in their namespaces and answer on VICI" {
	swan_start "$DIR/A" "$NSA"
	swan_start "$DIR/B" "$NSB"
	swan_ctl "$DIR/A" --stats | grep -q 'uptime'
	swan_ctl "$DIR/B" --stats | grep -q 'uptime'
}

@test "the tunnel comes up and carries a ping" {
	swan_ctl "$DIR/A" --initiate --child net --timeout 10 >"$DIR/initiate.out"
	wait_until 10 swan_child_installed "$DIR/B" net
	wait_until 10 ip netns exec "$NSA" ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1
	# ESP really carried it: the CHILD_SA on B counted inbound bytes.
	swan_ctl "$DIR/B" --list-sas | grep -Eq '^ +in +[0-9a-f]+[^,]*, +[1-9][0-9]* bytes'
}

@test "swan_stop stops only our charons" {
	local a b
	a=$(swan_pid "$DIR/A"); b=$(swan_pid "$DIR/B")
	swan_stop "$DIR/A"; swan_stop "$DIR/B"
	! kill -0 "$a" 2>/dev/null || false
	! kill -0 "$b" 2>/dev/null || false
}
