#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Commit-confirmed through the real agent: a change sent with ?confirm=S is
# reverted at its deadline unless POST /commit/confirm comes first; the
# pending change shows in /health and /revisions, survives a restart (a
# restart after the deadline reverts at start), refuses other changes with
# 409, and pruning keeps the revision it reverts to.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	agent_start
	api PUT /secrets/hqkey '{"type":"psk","value":"confirm psk 123"}'
	api POST /connections '{"name":"hq","remote_addrs":["192.0.2.9"],"psk":"hqkey"}'
	[[ $STATUS == 201 ]]
}

teardown_file() {
	agent_stop
}

teardown() {
	# A test's own agent (own_agent) never outlives it, even when it fails.
	[[ -z ${OWN:-} ]] || stop_pid "$AGENT_PID" 20
}

dpd() {
	api GET /connections/hq
	jq_body .dpd_delay
}

revision() {
	API_TOKEN= api GET /health
	jq_body .revision
}

no_pending() {
	API_TOKEN= api GET /health
	[[ $(jq_body .pending_confirm) == null ]]
}

@test "unconfirmed: reverted at the deadline by the agent, announced on /events" {
	local ev=$BATS_TEST_TMPDIR/events before
	before=$(revision)
	"$TC" events "$AGENT_URL/api/v1/events" -t "$TOKEN" --until rolled-back --max-time 40 >"$ev" &
	local pid=$!
	wait_until 10 grep -q '^event: hello' "$ev"
	api PATCH '/connections/hq?confirm=6' '{"dpd_delay":5}'
	expect_status 200
	[[ $(header X-Secgw-Confirm-Deadline) =~ ^[0-9]+$ ]]
	[[ $(dpd) == 5 ]]
	API_TOKEN= api GET /health
	[[ $(jq_body .pending_confirm.revision) == $((before + 1)) && $(jq_body .pending_confirm.revert_to) == "$before" ]]
	api GET /revisions
	[[ $(jq_body .pending_confirm.revision) == $((before + 1)) && $(jq_body '.items[0].pending_confirm') == true ]]
	wait_until 20 no_pending
	[[ $(dpd) == 30 && $(revision) == $((before + 2)) ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT author||'|'||summary FROM revisions WHERE number=$((before + 2))") == "(agent)|confirm.revert to $before" ]]
	wait "$pid"
	grep -q '"reason":"confirm-deadline"' "$ev"
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM pending_confirm") == 0 ]]
}

@test "confirmed in time: the change stays after its deadline" {
	local before deadline
	before=$(revision)
	api PATCH '/connections/hq?confirm=5' '{"dpd_delay":7}'
	expect_status 200
	deadline=$(header X-Secgw-Confirm-Deadline)
	api GET /commit/confirm
	[[ $(jq_body .pending.revision) == $((before + 1)) ]]
	api POST /commit/confirm
	expect_status 200
	[[ $(jq_body .confirmed) == $((before + 1)) ]]
	no_pending
	# Let the deadline pass (time itself is what is waited for), then look again.
	wait_until 10 eval "(( \$(date +%s) > $deadline + 1 ))"
	[[ $(dpd) == 7 && $(revision) == $((before + 1)) ]]
	api POST /commit/confirm
	expect_status 409
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM audit WHERE action='commit.confirm'") == 1 ]]
}

@test "while a change awaits confirmation every other change is refused with 409; its revert can be done at once" {
	local before sum
	before=$(revision)
	api PATCH '/connections/hq?confirm=60' '{"dpd_delay":9}'
	expect_status 200
	sum=$(db_sum)
	api PATCH '/connections/hq?confirm=60' '{"dpd_delay":11}'
	expect_status 409
	[[ $(jq_body .detail) == *"awaits confirmation"* ]]
	api PATCH /connections/hq '{"dpd_delay":11}'
	expect_status 409
	api POST /connections '{"name":"other","psk":"hqkey"}'
	expect_status 409
	api PUT /secrets/x '{"type":"psk","value":"some psk value"}'
	expect_status 409
	api POST /import '{"connections":[]}'
	expect_status 409
	api POST /revisions/1/rollback
	expect_status 409
	[[ $(db_sum) == "$sum" ]]
	# The one rollback accepted: to revert_to, which is the revert, now.
	api POST "/revisions/$before/rollback"
	expect_status 200
	[[ $(dpd) == 7 ]]
	no_pending
	api PATCH /connections/hq '{"dpd_delay":8}'
	expect_status 200
}

@test "confirm is refused on secrets and out of range" {
	local sum=$(db_sum)
	api PUT '/secrets/hqkey?confirm=30' '{"type":"psk","value":"rotated psk 456"}'
	expect_status 400
	[[ $(jq_body .detail) == *"old value"* ]]
	api PATCH '/connections/hq?confirm=0' '{"dpd_delay":3}'
	expect_status 400
	api PATCH '/connections/hq?confirm=99999' '{"dpd_delay":3}'
	expect_status 400
	api PATCH '/connections/hq?confirm=abc' '{"dpd_delay":3}'
	expect_status 400
	[[ $(db_sum) == "$sum" ]]
}

# Restarts happen on an agent of the test's own (the file's agent keeps its port).
own_agent() {
	OWN=1
	AGENT_DIR=$BATS_TEST_TMPDIR/own AGENT_LOG=$BATS_TEST_TMPDIR/own.log TOKEN= agent_start "$@"
	api PUT /secrets/hqkey '{"type":"psk","value":"confirm psk 123"}'
	api POST /connections '{"name":"hq","remote_addrs":["192.0.2.9"],"psk":"hqkey"}'
	expect_status 201
}

@test "the pending change survives a restart; a restart after the deadline reverts before serving" {
	local before deadline
	own_agent
	before=$(revision)
	api PATCH '/connections/hq?confirm=30' '{"dpd_delay":12}'
	expect_status 200
	agent_stop
	agent_start
	API_TOKEN= api GET /health
	[[ $(jq_body .pending_confirm.revision) == $((before + 1)) ]]
	api POST /commit/confirm
	expect_status 200
	[[ $(dpd) == 12 ]]

	before=$(revision)
	api PATCH '/connections/hq?confirm=4' '{"dpd_delay":13}'
	expect_status 200
	deadline=$(header X-Secgw-Confirm-Deadline)
	# Down at once (kill -9: the pending change is on disk, nothing else is
	# needed), and still down when the deadline passes.
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	wait_until 15 eval "(( \$(date +%s) > $deadline ))"
	agent_start
	# The first answer already sees the reverted configuration.
	API_TOKEN= api GET /health
	[[ $(jq_body .pending_confirm) == null && $(jq_body .revision) == $((before + 2)) ]]
	[[ $(dpd) == 12 ]]
	grep -q "passed its deadline while the agent was down" "$AGENT_LOG"
	agent_stop
}

@test "bounded history: pruning keeps the newest N, and never the revision a pending confirm reverts to" {
	own_agent --history 1
	api PATCH /connections/hq '{"dpd_delay":5}'
	[[ $(sqlite3 "$AGENT_DB" "SELECT group_concat(number) FROM revisions") == 3 ]]
	api PATCH '/connections/hq?confirm=60' '{"dpd_delay":6}'
	expect_status 200
	[[ $(sqlite3 "$AGENT_DB" "SELECT group_concat(number) FROM revisions ORDER BY number") == 3,4 ]]
	api GET /revisions/3/diff/4
	expect_status 200
	api POST /revisions/3/rollback
	expect_status 200
	[[ $(dpd) == 5 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT group_concat(number) FROM revisions") == 5 ]]
	api GET /revisions/4
	expect_status 404
	agent_stop
}
