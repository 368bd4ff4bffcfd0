#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
#
# A tunnel's life between two routers (tests/bats/e2e_lib.bash): delete,
# rollback, a commit-confirmed change left unconfirmed, initiate and
# terminate with their events on /events, either program killed with -9
# and restarted, and manual keying through REST.

load helpers
load e2e_lib

setup() {
	e2e_setup curl
}

teardown() {
	e2e_teardown
}

# listen R: R's /events into $DIR/R.sse (curl, in the background).
listen() {
	curl -sN -H "Authorization: Bearer $(cat "$DIR/$1/token")" "$(url "$1")/api/v1/events" >"$DIR/$1.sse" &
	E2E_PIDS+=($!)
	wait_until 5 grep -q '^event: hello' "$DIR/$1.sse"
}

# seen R TYPE…: the event types R's stream has carried, in order, include TYPE… in that order.
seen() {
	local r=$1; shift
	local want; want=" $* "
	local got; got=" $(sed -n 's/^event: //p' "$DIR/$r.sse" | grep -v '^hello$\|^revision$' | tr '\n' ' ')"
	# Each wanted type after the previous one.
	local t rest=$got
	for t in "$@"; do
		[[ $rest == *" $t "* ]] || return 1
		rest=${rest#*" $t "}
		rest=" $rest"
	done
	: "$want"
}

up_both() {
	routers
	tunnel B; tunnel A
	wait_until 15 installed A
	wait_until 5 installed B
	wait_until 10 pinged A
}

not_installed() { ! installed "$@"; }

spis() { sas "$1" '[.connections[] | select(.name == "t") | .children[] | select(.state == "installed") | .spi_in] | join(",")'; }

@test "DELETE on one side takes the SAs down on both; a rollback brings the tunnel back" {
	up_both
	local rev; rev=$(health A .revision)
	rapi_ok A DELETE /connections/t
	wait_until 10 no_sa B
	[ "$(sas A '.connections | length')" -eq 0 ]
	! pinged A || false
	rapi_ok A POST "/revisions/$rev/rollback"
	wait_until 15 installed A
	wait_until 10 pinged A
	[ "$(health A '.revision_applied')" -eq "$(health A '.revision')" ]
}

@test "a commit-confirmed change that breaks the tunnel, left unconfirmed, is reverted and the tunnel comes back" {
	up_both
	# The wrong peer identity: B refuses A's authentication.
	rapi_ok A PATCH '/connections/t?confirm=4' '{"remote_id": "nobody.e2e.test"}'
	wait_until 10 not_installed A
	wait_until 20 installed A
	[ "$(health A '.pending_confirm')" = null ]
	[ "$(health A '.revision_applied')" -eq "$(health A '.revision')" ]
	rapi_ok A GET /connections/t
	[ "$(jq -r .remote_id "$RESP")" = B.e2e.test ]
	wait_until 10 pinged A
}

@test "terminate and initiate through REST; /events relays child-up, rekeyed (packet limit) and child-down in order" {
	routers
	listen A
	# life_packets 300: the datapath's soft limit asks for a rekey under a flood.
	tunnel B '{}' '{"life_packets": 300}'; tunnel A '{}' '{"life_packets": 300}'
	wait_until 15 installed A
	wait_until 10 pinged A
	ip netns exec "$NSA" ping -q -f -c 400 -I 10.1.0.1 10.2.0.1 || true
	wait_until 10 seen A child-up rekeyed
	wait_until 10 installed A
	rapi A POST /connections/t/terminate
	[ "$STATUS" = 202 ]
	wait_until 10 no_sa A
	wait_until 5 seen A child-up rekeyed child-down
	rapi A POST /connections/t/children/net/initiate
	[ "$STATUS" = 202 ]
	wait_until 15 installed A
	wait_until 10 pinged A
	wait_until 5 seen A child-up rekeyed child-down child-up
	grep -q '^data: {.*"connection":"t".*"child":"net"' "$DIR/A.sse"
	# Unknown names are 404 before iked is asked; audit has the operator's act.
	rapi A POST /connections/nope/initiate
	[ "$STATUS" = 404 ]
	rapi A POST /connections/t/children/nope/initiate
	[ "$STATUS" = 404 ]
	rapi_ok A GET '/audit?action=connection.'
	[ "$(jq -r '[.items[].action] | index("connection.terminate") != null' "$RESP")" = true ]
}

@test "kill -9 of iked: health and /sas say the engine is down; restarted, it gets the configuration again and the tunnel returns unasked" {
	up_both
	listen A
	iked_kill A
	wait_until 10 engine_is A down
	rapi A GET /sas
	[ "$STATUS" = 503 ]
	grep -q 'not connected' "$RESP"
	rapi A POST /connections/t/initiate
	[ "$STATUS" = 503 ]
	iked_start A
	wait_until 10 engine_is A up
	wait_until 5 bash -c "[[ \$(curl -s $(url A)/api/v1/health | jq '.revision == .revision_applied') == true ]]"
	wait_until 20 installed A
	wait_until 10 pinged A
	wait_until 5 seen A engine engine child-up
}

@test "kill -9 of the agent: the tunnel stays up; the restarted agent resynchronises without disturbing it" {
	up_both
	local before; before=$(spis A)
	agent_kill A
	pinged A
	agent_up A
	wait_until 10 engine_is A up
	[ "$(health A '.revision_applied')" -eq "$(health A '.revision')" ]
	[ "$(spis A)" = "$before" ]
	pinged A
}

@test "manual keying through REST: keys as write-only secrets, SAs installed on both routers, ping crosses" {
	routers
	local r kab kba
	kab=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
	kba=$(head -c 36 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for r in A B; do
		rapi_ok "$r" PUT /secrets/kab "{\"type\":\"key\",\"value\":\"$kab\"}"
		rapi_ok "$r" PUT /secrets/kba "{\"type\":\"key\",\"value\":\"$kba\"}"
	done
	rapi_ok A POST /connections '{"name": "m", "keying": "manual", "local_addrs": ["192.0.2.1"],
		"remote_addrs": ["192.0.2.2"], "children": [{"name": "net", "local_ts": ["10.1.0.0/24"],
		"remote_ts": ["10.2.0.0/24"], "esp_proposals": ["aes256gcm16"],
		"manual": {"spi_in": 4096, "spi_out": 8192, "key_in": "kba", "key_out": "kab"}}]}'
	rapi_ok B POST /connections '{"name": "m", "keying": "manual", "local_addrs": ["192.0.2.2"],
		"remote_addrs": ["192.0.2.1"], "children": [{"name": "net", "local_ts": ["10.2.0.0/24"],
		"remote_ts": ["10.1.0.0/24"], "esp_proposals": ["aes256gcm16"],
		"manual": {"spi_in": 8192, "spi_out": 4096, "key_in": "kab", "key_out": "kba"}}]}'
	wait_until 10 bash -c "[[ \$(curl -s -H 'Authorization: Bearer $(cat "$DIR/A/token")' $(url A)/api/v1/sas | jq -r '.connections[0].state') == installed ]]"
	wait_until 10 pinged A
	[ "$(sas A '.connections[0].children[0].spi_out')" = 00002000 ]
	[ "$(sas B '.connections[0].children[0].packets_in')" -gt 0 ]
	# The keys never come back.
	! grep -qi "$kab\|$kba" "$DIR/responses.log" || false
}
