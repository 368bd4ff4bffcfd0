#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Revisions through the real agent: every change is one numbered revision
# with author, source and comment; GET /revisions[/{n}], the diff between
# any two revisions (added, changed with old and new, removed; secret values
# never), rollback as a new revision, and what a rollback does with secrets
# (never destroys or invents a value).
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	export PSK="rev-psk-$RANDOM-$RANDOM-never-shown"
	agent_start
	api PUT /secrets/hqkey "{\"type\":\"psk\",\"value\":\"$PSK\"}"
	api POST /connections '{"name":"hq","remote_addrs":["192.0.2.9"],"psk":"hqkey","children":[{"name":"lan","local_ts":["10.1.0.0/24"],"remote_ts":["10.2.0.0/24"]}]}' \
		-H 'X-Secgw-Comment: tunnel to HQ'
	api PATCH /connections/hq '{"dpd_delay":10,"remote_addrs":["192.0.2.10"]}'
	api POST /connections/hq/children '{"name":"voice","remote_ts":["10.3.0.0/16[udp/5060]"]}'
	api POST /connections '{"name":"branch","remote_addrs":["198.51.100.7"],"psk":"hqkey"}'
	api DELETE /connections/branch
	# revisions 1..6: secret, hq, patch, child, branch, -branch
	[[ $STATUS == 204 ]]
}

teardown_file() {
	agent_stop
}

@test "every change is one revision: number, time, author, source, comment, summary" {
	api GET /revisions
	expect_status 200
	[[ $(jq_body .current) == 6 && $(jq_body .oldest) == 1 && $(jq_body '.items|length') == 6 ]]
	[[ $(jq_body '.items|map(.number)|join(",")') == 6,5,4,3,2,1 ]]
	[[ $(jq_body '.items[4].comment') == "tunnel to HQ" && $(jq_body '.items[4].summary') == "connection.create hq" ]]
	[[ $(jq_body '.items[4].author') == admin && $(jq_body '.items[4].source') == 127.0.0.1 ]]
	[[ $(jq_body '.items[2].summary') == "child.create hq/voice" && $(jq_body '.items[2].changes') == 1 ]]
	[[ $(jq_body .pending_confirm) == null && $(jq_body .history_max) == 1000 ]]
	api GET '/revisions?limit=2'
	[[ $(jq_body '.items|map(.number)|join(",")') == 6,5 && $(jq_body .next_cursor) == 5 ]]
	api GET '/revisions?limit=2&cursor=5'
	[[ $(jq_body '.items|map(.number)|join(",")') == 4,3 ]]
}

@test "GET /revisions/{n}: what that revision changed, field by field" {
	api GET /revisions/3
	expect_status 200
	[[ $(jq_body .summary) == "connection.update hq" ]]
	[[ $(jq_body '.diff.summary|[.added,.changed,.removed]|join(",")') == 0,1,0 ]]
	[[ $(jq_body '.diff.changed[0].fields|map(.path)|sort|join(",")') == dpd_delay,remote_addrs ]]
	[[ $(jq_body '.diff.changed[0].fields[]|select(.path=="dpd_delay")|"\(.old)->\(.new)"') == "30->10" ]]
	[[ $(jq_body '.diff.changed[0].fields[]|select(.path=="remote_addrs")|.new[0]') == 192.0.2.10 ]]
	api GET /revisions/4
	[[ $(jq_body '.diff.changed[0].fields[0].path') == "children[voice]" ]]
	[[ $(jq_body '.diff.changed[0].fields[0].old') == null && $(jq_body '.diff.changed[0].fields[0].new.name') == voice ]]
	api GET /revisions/99
	expect_status 404
	api GET /revisions/x
	expect_status 400
}

@test "diff between any two revisions, either order; secret values never appear" {
	api GET /revisions/1/diff/6
	expect_status 200
	[[ $(jq_body '.from') == 1 && $(jq_body '.to') == 6 ]]
	[[ $(jq_body '.added|map(.name)|join(",")') == hq && $(jq_body '.removed|length') == 0 ]]
	api GET /revisions/6/diff/2
	[[ $(jq_body '.changed[0].name') == hq ]]
	[[ $(jq_body '.changed[0].fields|map(.path)|sort|join(",")') == "children[voice],dpd_delay,remote_addrs" ]]
	api GET /revisions/0/diff/6
	[[ $(jq_body '.added|map("\(.kind):\(.name)")|sort|join(",")') == "connection:hq,secret:hqkey" ]]
	[[ $(jq_body '.added[]|select(.kind=="secret")|.new|keys|join(",")') == name,type ]]
	api GET /revisions/5/diff/6
	[[ $(jq_body '.removed[0].name') == branch && $(jq_body '.removed[0].old.remote_addrs[0]') == 198.51.100.7 ]]
	# A value set again shows as value_changed, never as the value.
	api PUT /secrets/hqkey '{"type":"psk","value":"another long psk value"}'
	api GET /revisions/6/diff/7
	[[ $(jq_body '.changed[0].kind') == secret && $(jq_body '.changed[0].value_changed') == true ]]
	api GET /revisions/1/diff/99
	expect_status 404
	absent "$PSK" "$BATS_FILE_TMPDIR/responses.log"
	absent "another long psk value" "$BATS_FILE_TMPDIR/responses.log"
}

@test "a viewer reads history without secrets (entries and summaries)" {
	api POST /users '{"name":"v","role":"viewer","password":"viewer-pass-1"}'
	api POST /tokens '{"name":"vt","user":"v"}'
	local vt=$(jq_body .token)
	API_TOKEN=$vt api GET /revisions
	expect_status 200
	absent hqkey "$RESP"
	[[ $(jq_body '.items[]|select(.number==1)|.summary') == secret.set ]]
	# Secret entries are left out (a connection still names its psk, as GET /connections does).
	API_TOKEN=$vt api GET /revisions/0/diff/6
	expect_status 200
	[[ $(jq_body '[.added[],.changed[],.removed[]]|map(select(.kind=="secret"))|length') == 0 ]]
	[[ $(jq_body '.summary.added') == 1 && $(jq_body '.added[0].name') == hq ]]
	API_TOKEN=$vt api POST /revisions/2/rollback
	expect_status 403
}

@test "rollback restores a revision's configuration as a new revision, and can itself be rolled back" {
	local before
	api GET /health
	before=$(jq_body .revision)
	api POST /revisions/2/rollback '' -H 'X-Secgw-Comment: back to the first hq'
	expect_status 200
	[[ $(jq_body .rolled_back_to) == 2 && $(jq_body .revision) == $((before + 1)) ]]
	[[ $(jq_body '.diff.changed[0].fields|map(.path)|sort|join(",")') == "children[voice],dpd_delay,remote_addrs" ]]
	api GET /connections/hq
	[[ $(jq_body .dpd_delay) == 30 && $(jq_body '.remote_addrs[0]') == 192.0.2.9 && $(jq_body '.children|length') == 1 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT summary||'|'||comment FROM revisions WHERE number=$((before + 1))") == "revision.rollback to 2|back to the first hq" ]]
	# Undo the rollback: the configuration of the revision before it.
	api POST "/revisions/$before/rollback"
	expect_status 200
	api GET /connections/hq
	[[ $(jq_body .dpd_delay) == 10 && $(jq_body '.children|length') == 2 ]]
	# Rolling back to the configuration we already have changes nothing.
	api GET /health
	before=$(jq_body .revision)
	api POST "/revisions/$before/rollback"
	expect_status 200
	[[ $(jq_body .revision) == "$before" && $(jq_body .diff.summary.changed) == 0 ]]
	api POST /revisions/999/rollback
	expect_status 404
}

@test "rollback never destroys or invents a secret value: kept, not restored, or 409 naming it" {
	api PUT /secrets/tmpkey '{"type":"psk","value":"temporary psk 1"}'
	api POST /connections '{"name":"tmp","remote_addrs":["192.0.2.50"],"psk":"tmpkey"}'
	expect_status 201
	api GET /health
	local with_tmp=$(jq_body .revision)
	api DELETE /connections/tmp
	api DELETE /secrets/tmpkey
	expect_status 204
	# The configuration of $with_tmp needs tmpkey, which is gone: refused, nothing changes.
	local before=$(db_sum)
	api POST "/revisions/$with_tmp/rollback"
	expect_status 409
	[[ $(jq_body '.errors[0].field') == "connections[tmp].psk" && $(jq_body '.errors[0].message') == *tmpkey* ]]
	[[ $(db_sum) == "$before" ]]
	# Set it again: the rollback goes through.
	api PUT /secrets/tmpkey '{"type":"psk","value":"temporary psk 2"}'
	api POST "/revisions/$with_tmp/rollback"
	expect_status 200
	api GET /connections/tmp
	expect_status 200
	# Back before tmpkey existed: the secret is kept (named), not deleted.
	api POST "/revisions/$((with_tmp - 2))/rollback"
	expect_status 200
	[[ $(jq_body '.secrets_kept|join(",")') == tmpkey ]]
	api GET /secrets/tmpkey
	expect_status 200
}

@test "rollback is announced on /events (revision, then rolled-back)" {
	local ev=$BATS_TEST_TMPDIR/events
	"$TC" events "$AGENT_URL/api/v1/events" -t "$TOKEN" --until rolled-back --max-time 20 >"$ev" &
	local pid=$!
	wait_until 10 grep -q '^event: hello' "$ev"
	api POST /revisions/3/rollback
	expect_status 200
	wait "$pid"
	grep -q '"reason":"rollback"' "$ev"
	grep -q '"to":3' "$ev"
}
