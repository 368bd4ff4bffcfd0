#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# secgw-agent's happy paths, through the real agent on a loopback port and
# secgw-testclient (libcurl): first start, bootstrap token, every resource's
# CRUD, revisions and audit, pagination, ETags, events, metrics, OpenAPI.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	agent_start
}

teardown_file() {
	agent_stop
}

HQ='{"name":"hq","remote_addrs":["192.0.2.9"],"psk":"hqkey","children":[{"name":"lan","local_ts":["10.1.0.0/24"],"remote_ts":["10.2.0.0/24"],"start_action":"start"}]}'

@test "first start prints the URL and an admin password, kept 0600 in the state dir" {
	grep -q "listening on http://127.0.0.1:$AGENT_PORT/" "$AGENT_OUT"
	grep -q "password $ADMIN_PASSWORD" "$AGENT_OUT"
	[[ $(stat -c %a "$AGENT_DIR/admin-password") == 600 ]]
	[[ $(stat -c %a "$AGENT_DIR/master.key") == 600 ]]
	[[ $(stat -c %a "$AGENT_DB") == 600 ]]
	API_TOKEN= api POST /session "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}"
	expect_status 201
	[[ $(jq_body .role) == admin ]]
}

@test "bootstrap-token prints one admin bearer token and nothing else" {
	run --separate-stderr "$AGENT" bootstrap-token --state-dir "$AGENT_DIR"
	[[ $status -eq 0 ]]
	[[ ${#lines[@]} -eq 1 ]]
	[[ $output =~ ^sgw_[A-Za-z0-9_-]{43}$ ]]
	API_TOKEN=$output api GET /session
	expect_status 200
	[[ $(jq_body .user) == admin && $(jq_body .auth) == token ]]
}

@test "health needs no user; the rest of the API does" {
	API_TOKEN= api GET /health
	expect_status 200
	[[ $(jq_body .status) == ok && $(jq_body .engine_connected) == false ]]
	API_TOKEN= api GET /connections
	expect_status 401
	[[ $(header Content-Type) == application/problem+json ]]
	[[ $(jq_body .type) == urn:secgw:problem:unauthorized ]]
}

@test "secrets: create, read metadata, list; the value never comes back" {
	api PUT /secrets/hqkey '{"type":"psk","value":"correct horse battery"}'
	expect_status 201
	[[ $(header Location) == /api/v1/secrets/hqkey ]]
	[[ $(jq_body 'keys|join(",")') == created,name,type,updated ]]
	api GET /secrets/hqkey
	expect_status 200
	[[ $(jq_body .type) == psk && $(jq_body .value) == null ]]
	api GET /secrets
	expect_status 200
	[[ $(jq_body '.items[0].name') == hqkey ]]
	api PUT /secrets/hqkey '{"type":"psk","value":"another long psk"}'
	expect_status 200
}

@test "connections: create with defaults, read, list, replace, patch, delete" {
	api POST /connections "$HQ" -H "X-Secgw-Comment: first tunnel"
	expect_status 201
	[[ $(header Location) == /api/v1/connections/hq ]]
	[[ $(header ETag) =~ ^\"r[0-9]+\"$ ]]
	[[ $(jq_body .enabled) == true && $(jq_body .local_port) == 500 && $(jq_body .keying) == ike ]]
	[[ $(jq_body '.ike_proposals[0]') == chacha20poly1305-prfsha256-x25519 ]]
	[[ $(jq_body '.children[0].replay_window') == 128 && $(jq_body '.children[0].mode') == tunnel ]]
	api GET /connections/hq
	expect_status 200
	[[ $(jq_body '.remote_addrs[0]') == 192.0.2.9 ]]
	api POST /connections "$HQ"
	expect_status 409
	api GET /connections
	expect_status 200
	[[ $(jq_body '.items|length') == 1 && $(jq_body '.items[0].name') == hq ]]
	api PATCH /connections/hq '{"dpd_delay":10,"local_id":"gw.example.com"}'
	expect_status 200
	[[ $(jq_body .dpd_delay) == 10 && $(jq_body '.children|length') == 1 ]]
	api PUT /connections/hq '{"remote_addrs":["198.51.100.7"],"psk":"hqkey"}'
	expect_status 200
	[[ $(jq_body .dpd_delay) == 30 && $(jq_body '.children|length') == 0 ]]
	api PUT /connections/branch '{"remote_addrs":["198.51.100.8"],"psk":"hqkey"}'
	expect_status 201
	api DELETE /connections/branch
	expect_status 204
	api GET /connections/branch
	expect_status 404
	[[ $(jq_body .type) == urn:secgw:problem:not-found ]]
	# The comment and author made it into the revision.
	[[ $(sqlite3 "$AGENT_DB" "SELECT author||'|'||comment FROM revisions WHERE comment <> ''") == "admin|first tunnel" ]]
}

@test "children: create, read, replace, patch, delete; each is a revision of its connection" {
	local before after
	API_TOKEN= api GET /health
	before=$(jq_body .revision)
	api POST /connections/hq/children '{"name":"dmz","local_ts":["10.9.0.0/24[tcp/443]"],"remote_ts":["0.0.0.0/0"]}'
	expect_status 201
	[[ $(header Location) == /api/v1/connections/hq/children/dmz ]]
	[[ $(jq_body .esp_proposals[0]) == chacha20poly1305 ]]
	api GET /connections/hq/children
	expect_status 200
	[[ $(jq_body '.items|map(.name)|join(",")') == dmz ]]
	api GET /connections/hq/children/dmz
	expect_status 200
	api PATCH /connections/hq/children/dmz '{"start_action":"trap","replay_window":64}'
	expect_status 200
	[[ $(jq_body .start_action) == trap && $(jq_body .replay_window) == 64 ]]
	api PUT /connections/hq/children/voice '{"remote_ts":["10.3.0.0/16[udp/5060]"]}'
	expect_status 201
	api POST /connections/hq/children '{"name":"dmz"}'
	expect_status 409
	api DELETE /connections/hq/children/voice
	expect_status 204
	api GET /connections/hq/children/voice
	expect_status 404
	api GET /connections/hq
	[[ $(jq_body '.children|map(.name)|join(",")') == dmz ]]
	API_TOKEN= api GET /health
	after=$(jq_body .revision)
	((after == before + 4))
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM revision_changes WHERE revision > $before AND kind = 'connection' AND name = 'hq'") == 4 ]]
}

@test "every mutation is one revision with its row-level change and an audit row" {
	API_TOKEN= api GET /health
	local rev=$(jq_body .revision)
	api POST /connections '{"name":"audited","psk":"hqkey"}'
	expect_status 201
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM revisions WHERE number = $rev + 1") == 1 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT kind||'|'||name||'|'||(old IS NULL)||'|'||json_extract(new,'$.psk') FROM revision_changes WHERE revision = $rev + 1") == "connection|audited|1|hqkey" ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT action||'|'||target||'|'||status||'|'||revision FROM audit WHERE revision = $rev + 1") == "connection.create|audited|201|$((rev + 1))" ]]
	api GET "/audit?action=connection.&limit=1"
	expect_status 200
	[[ $(jq_body '.items[0].target') == audited && $(jq_body '.items[0].user') == admin ]]
	[[ $(jq_body .next_cursor) != null ]]
}

@test "pagination: limit and cursor walk every connection once; prefix filters" {
	for i in 1 2 3 4 5 6 7; do
		api POST /connections "{\"name\":\"page-$i\",\"psk\":\"hqkey\"}"
		expect_status 201
	done
	local seen=() cursor=
	while :; do
		api GET "/connections?prefix=page-&limit=3${cursor:+&cursor=$cursor}"
		expect_status 200
		seen+=($(jq_body '.items[].name'))
		cursor=$(jq_body '.next_cursor // empty')
		[[ -n $cursor ]] || break
	done
	[[ "${seen[*]}" == "page-1 page-2 page-3 page-4 page-5 page-6 page-7" ]]
	api GET "/connections?prefix=page-7"
	[[ $(jq_body '.items|length') == 1 && $(jq_body .next_cursor) == null ]]
	api GET "/connections?limit=0"
	expect_status 400
	api GET "/connections?limit=1001"
	expect_status 400
}

@test "ETag and If-Match: 412 on a stale tag, success on the current one, 304 when fresh" {
	api GET /connections/hq
	local etag=$(header ETag)
	api GET /connections/hq '' -H "If-None-Match: $etag"
	expect_status 304
	api PATCH /connections/hq '{"dpd_delay":20}' -H "If-Match: $etag"
	expect_status 200
	local etag2=$(header ETag)
	[[ $etag2 != "$etag" ]]
	local sum=$(db_sum)
	api PATCH /connections/hq '{"dpd_delay":25}' -H "If-Match: $etag"
	expect_status 412
	[[ $(jq_body .type) == urn:secgw:problem:precondition-failed ]]
	[[ $(db_sum) == "$sum" ]]
	api DELETE /connections/hq '' -H "If-Match: $etag"
	expect_status 412
	[[ $(db_sum) == "$sum" ]]
	api PATCH /connections/hq '{"dpd_delay":25}' -H "If-Match: $etag2"
	expect_status 200
	api GET /connections
	local list_etag=$(header ETag)
	api GET /connections '' -H "If-None-Match: $list_etag"
	expect_status 304
}

@test "the engine is not connected: /sas, initiate and terminate answer 503 problem+json" {
	api GET /sas
	expect_status 503
	[[ $(jq_body .type) == urn:secgw:problem:engine-not-connected ]]
	[[ $(jq_body .detail) == *"not connected"* ]]
	api POST /connections/hq/initiate
	expect_status 503
	api POST /connections/hq/terminate
	expect_status 503
	api POST /connections/nosuch/initiate
	expect_status 404
}

@test "events: hello first, then a revision event for a mutation" {
	local out=$BATS_TEST_TMPDIR/events
	"$TC" events "$AGENT_URL/api/v1/events" -t "$TOKEN" --until revision --max-time 15 >"$out" &
	local pid=$!
	wait_until 10 grep -q '^event: hello' "$out"
	api POST /connections '{"name":"evented","psk":"hqkey"}'
	expect_status 201
	wait "$pid"
	grep -q '^event: revision' "$out"
	grep '^data: ' "$out" | tail -n1 | sed 's/^data: //' | jq -e '.action == "connection.create" and .target == "evented" and .author == "admin"'
	# Reconnecting with Last-Event-ID replays what came after it, at once.
	local id=$(sed -n 's/^id: //p' "$out" | tail -n1)
	[[ $id =~ ^[0-9]+$ ]] && ((id > 1))
	"$TC" events "$AGENT_URL/api/v1/events" -t "$TOKEN" -H "Last-Event-ID: $((id - 1))" --until revision --max-time 10 >"$out.2"
	[[ $(sed -n 's/^id: //p' "$out.2") == "$id" ]]
}

@test "metrics: Prometheus text with requests by route and status, latency, counts, revision" {
	api GET /metrics
	expect_status 200
	[[ $(header Content-Type) == text/plain* ]]
	grep -q '^secgw_http_requests_total{route="/connections",method="POST",status="201"} [1-9]' "$RESP"
	grep -q '^secgw_http_request_duration_seconds_bucket{le="+Inf"} [1-9]' "$RESP"
	local n=$(sqlite3 "$AGENT_DB" "SELECT count(*) FROM connections")
	grep -qx "secgw_connections $n" "$RESP"
	API_TOKEN= api GET /health
	local rev=$(jq_body .revision)
	api GET /metrics
	grep -qx "secgw_revision $rev" "$RESP"
}

@test "the OpenAPI document is served and is the one in docs/" {
	api GET /openapi.json
	expect_status 200
	cmp "$RESP" "$SECGW_ROOT/docs/openapi.json"
	[[ $(jq_body .openapi) == 3.1.0 ]]
}

@test "users: create, read, change role, delete; the last admin stays" {
	api POST /users '{"name":"olga","role":"operator","password":"operator-pass-1"}'
	expect_status 201
	[[ $(jq_body .role) == operator && $(jq_body .pwhash) == null && $(jq_body .password) == null ]]
	api POST /users '{"name":"olga","role":"viewer","password":"whatever-1"}'
	expect_status 409
	api PATCH /users/olga '{"role":"viewer"}'
	expect_status 200
	[[ $(jq_body .role) == viewer ]]
	api GET /users
	[[ $(jq_body '.items|map(.name)|join(",")') == admin,olga ]]
	api DELETE /users/admin
	expect_status 409
	api PATCH /users/admin '{"role":"viewer"}'
	expect_status 409
	api DELETE /users/olga
	expect_status 204
	api GET /users/olga
	expect_status 404
}

@test "tokens: create (shown once), list without the token, revoke" {
	api POST /tokens '{"name":"ci","expires_in":3600}'
	expect_status 201
	local t=$(jq_body .token) id=$(jq_body .id)
	[[ $t == sgw_* ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM tokens WHERE hash = x'$(printf %s "$t" | b2sum -l 256 | cut -d' ' -f1)'") == 1 ]]
	api GET /tokens
	expect_status 200
	[[ $(jq_body "[.items[]|select(.id==$id)][0].name") == ci ]]
	absent "$t" "$RESP"
	API_TOKEN=$t api GET /connections
	expect_status 200
	api DELETE "/tokens/$id"
	expect_status 204
	API_TOKEN=$t api GET /connections
	expect_status 401
}
