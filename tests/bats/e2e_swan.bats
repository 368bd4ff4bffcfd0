#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# Router A (secgw-iked + secgw-agent, tests/bats/e2e_lib.bash) against a real
# strongSwan 5.9 charon in B's namespace (tests/tools/swan.bash): a tunnel
# created purely through A's REST API comes up and carries traffic both ways.

load helpers
load e2e_lib

setup() {
	e2e_setup swanctl
	source "$SECGW_ROOT/tests/tools/swan.bash"
	mkdir -p "$DIR/swan"
}

teardown() {
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		echo "--- charon (tail)"; tail -n 30 "$DIR/swan/charon.log" 2>/dev/null
	fi
	[[ -d ${DIR:-}/swan ]] && swan_stop "$DIR/swan"
	e2e_teardown
}

@test "a tunnel to strongSwan created only through REST comes up and carries ping both ways" {
	env SWAN_LOCAL_ADDRS=192.0.2.2 SWAN_REMOTE_ADDRS=192.0.2.1 SWAN_LOCAL_ID=B.e2e.test \
		SWAN_REMOTE_ID=A.e2e.test SWAN_PSK=$E2E_PSK SWAN_LOCAL_TS=10.2.0.0/24 \
		SWAN_REMOTE_TS=10.1.0.0/24 bash -c \
		"source '$SECGW_ROOT/tests/tools/swan.bash'; swan_conn_conf" >"$DIR/swan/swanctl.conf"
	swan_start "$DIR/swan" "$NSB"
	iked_start A
	agent_up A
	wait_until 10 engine_is A up
	tunnel A
	wait_until 15 installed A
	wait_until 10 swan_child_installed "$DIR/swan" net
	wait_until 10 pinged A
	ip netns exec "$NSB" ping -c 1 -W 2 -I 10.2.0.1 10.1.0.1
	[ "$(sas A '.connections[0].ike.remote_id')" = B.e2e.test ]
	[ "$(sas A '.connections[0].children[0].packets_in')" -gt 0 ]
}
