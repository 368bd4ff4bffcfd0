#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Bulk import and export through the real agent: JSON and CSV, dry run
# (writes nothing), merge and replace, all-or-nothing with every error named
# by row or path, round trips (export -> import changes nothing), and a
# 10,000-row CSV in one revision.
bats_require_minimum_version 1.5.0
load agent_helpers

HEADER='name,remote_addrs,psk,child.name,child.local_ts,child.remote_ts,child.start_action'

setup_file() {
	agent_start
	api PUT /secrets/k '{"type":"psk","value":"bulk psk 12345"}'
	[[ $STATUS == 201 ]]
}

teardown_file() {
	agent_stop
}

# csv_import FILE [QUERY]: POST it as text/csv
csv_import() {
	api POST "/import${2:+?$2}" "@$1" -H 'Content-Type: text/csv'
}

@test "merge adds and updates in one revision; dry run answers the same diff and writes nothing" {
	local f=$BATS_TEST_TMPDIR/a.csv before sum
	printf '%s\n' "$HEADER" \
		'a1,192.0.2.1,k,lan,10.1.0.0/24,10.2.0.0/24,start' \
		'a1,192.0.2.1,k,voice,10.1.0.0/24[udp/5060],10.2.0.0/24,none' \
		'a2,192.0.2.2,k,,,,' >"$f"
	sum=$(db_sum)
	csv_import "$f" dry_run=true
	expect_status 200
	[[ $(jq_body .dry_run) == true && $(jq_body .revision) == null ]]
	[[ $(jq_body '.diff.summary|[.added,.changed,.removed]|join(",")') == 2,0,0 ]]
	[[ $(db_sum) == "$sum" ]]
	API_TOKEN= api GET /health
	before=$(jq_body .revision)
	csv_import "$f"
	expect_status 200
	[[ $(jq_body .revision) == $((before + 1)) && $(jq_body .diff.summary.added) == 2 ]]
	api GET /connections/a1
	[[ $(jq_body '.children|map(.name)|join(",")') == lan,voice && $(jq_body '.children[1].local_ts[0]') == "10.1.0.0/24[udp/5060]" ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM revision_changes WHERE revision=$((before + 1))") == 2 ]]
	# Update one, leave the other: merge keeps what the file does not name.
	printf '%s\n' "$HEADER" 'a2,192.0.2.22,k,,,,' >"$f"
	csv_import "$f" dry_run=true
	[[ $(jq_body '.diff.changed[0].fields[0]|"\(.path) \(.old[0]) \(.new[0])"') == "remote_addrs 192.0.2.2 192.0.2.22" ]]
	csv_import "$f"
	expect_status 200
	[[ $(jq_body .diff.summary.changed) == 1 && $(jq_body .unchanged) == 0 ]]
	api GET /connections/a1
	expect_status 200
	# The same file again: nothing differs, no empty revision.
	csv_import "$f"
	[[ $(jq_body .revision) == null && $(jq_body .unchanged) == 1 ]]
}

@test "replace also removes what the document lacks (JSON form)" {
	api POST /import '{"connections":[{"name":"r1","psk":"k"},{"name":"r2","psk":"k"}]}'
	expect_status 200
	api POST '/import?mode=replace&dry_run=true' '{"connections":[{"name":"r1","psk":"k"}]}'
	expect_status 200
	[[ $(jq_body '.diff.removed|map(.name)|sort|join(",")') == a1,a2,r2 ]]
	api POST '/import?mode=replace' '{"connections":[{"name":"r1","psk":"k"}],"secrets":[{"name":"k","type":"psk"}]}'
	expect_status 200
	api GET /connections
	[[ $(jq_body '.items|map(.name)|join(",")') == r1 ]]
	# Secrets are never removed by an import.
	api GET /secrets/k
	expect_status 200
}

@test "a file with 3 bad rows fails whole and names all 3 (row and column)" {
	local f=$BATS_TEST_TMPDIR/bad.csv sum
	printf '%s\n' "$HEADER" \
		'b1,192.0.2.1,k,lan,10.1.0.0/24,10.2.0.0/24,none' \
		'b2,192.0.2.300,k,lan,10.1.0.0/24,10.2.0.0/24,none' \
		'b3,192.0.2.3,k,lan,10.1.0.0/24,10.2.0.0/33,none' \
		'b4,192.0.2.4,nosuchkey,lan,10.1.0.0/24,10.2.0.0/24,none' \
		'b5,192.0.2.5,k,lan,10.1.0.0/24,10.2.0.0/24,start' >"$f"
	sum=$(db_sum)
	csv_import "$f"
	expect_status 422
	[[ $(db_sum) == "$sum" ]]
	jq -c '.errors[]' "$RESP" >&3
	[[ $(jq_body '[.errors[]|"\(.row):\(.field)"]|join(" ")') == "3:remote_addrs[0] 4:child.remote_ts[0] 5:psk" ]]
	[[ $(jq_body '.errors[]|select(.row==5)|.message') == *nosuchkey* ]]
}

@test "CSV details: quoted cells, CRLF and a BOM, formula guard, repeated columns must agree, bad headers" {
	local f=$BATS_TEST_TMPDIR/q.csv
	printf '\xef\xbb\xbfname,remote_addrs,psk,local_id,child.name,child.remote_ts\r\n"q1","192.0.2.1,192.0.2.2",k,=cmd,c1,"10.1.0.0/24 10.2.0.0/24"\r\n' >"$f"
	csv_import "$f"
	expect_status 200
	api GET /connections/q1
	[[ $(jq_body '.remote_addrs|join(" ")') == "192.0.2.1 192.0.2.2" && $(jq_body .local_id) == "=cmd" ]]
	[[ $(jq_body '.children[0].remote_ts|length') == 2 ]]
	# Exported, the identity a spreadsheet would evaluate is guarded with an apostrophe.
	api GET '/export?format=csv'
	expect_status 200
	[[ $(header Content-Type) == text/csv* ]]
	grep -q "^q1,.*,'=cmd," "$RESP"
	printf '%s\n' "$HEADER" 'd1,192.0.2.1,k,c1,,,' 'd1,192.0.2.9,k,c2,,,' >"$f"
	csv_import "$f"
	expect_status 422
	[[ $(jq_body '.errors[0]|"\(.row):\(.field)"') == "3:remote_addrs" && $(jq_body '.errors[0].message') == *"row 2"* ]]
	printf 'name,bogus\nx,1\n' >"$f"
	csv_import "$f"
	expect_status 422
	[[ $(jq_body '.errors[0]|"\(.row):\(.field)"') == "1:bogus" ]]
	printf 'name,psk\n"x,k\n' >"$f"
	csv_import "$f"
	expect_status 422
	[[ $(jq_body '.errors[0].message') == *quoted* ]]
	api POST /import 'name,psk' -H 'Content-Type: text/plain'
	expect_status 415
	api POST '/import?mode=sideways' '{"connections":[]}'
	expect_status 400
}

@test "JSON errors are named by path; secrets listed must exist here" {
	local sum=$(db_sum)
	api POST /import '{"connections":[{"name":"j1","psk":"k"},{"name":"j1","psk":"k"},{"name":"j2","psk":"k","dpd_delay":-1}],"secrets":[{"name":"gone","type":"psk"}],"extra":1}'
	expect_status 422
	[[ $(jq_body '[.errors[].field]|sort|join(" ")') == "connections[1].name connections[2].dpd_delay extra secrets[0]" ]]
	[[ $(db_sum) == "$sum" ]]
}

@test "round trips: export (JSON and CSV) then import dry-run shows no change" {
	api POST /connections/r1/children '{"name":"m","local_ts":["10.9.0.0/24[tcp/443]"],"remote_ts":["0.0.0.0/0"],"esp_proposals":["aes256gcm16"]}'
	api GET /export
	expect_status 200
	[[ $(jq_body .format) == secgw-export && $(jq_body '.secrets[0]|keys|join(",")') == name,type ]]
	cp "$RESP" "$BATS_TEST_TMPDIR/e.json"
	api POST '/import?dry_run=true&mode=replace' "@$BATS_TEST_TMPDIR/e.json"
	expect_status 200
	[[ $(jq_body '.diff.summary|[.added,.changed,.removed]|join(",")') == 0,0,0 && $(jq_body .unchanged) -ge 2 ]]
	api GET '/export?format=csv'
	cp "$RESP" "$BATS_TEST_TMPDIR/e.csv"
	head -n1 "$BATS_TEST_TMPDIR/e.csv" | grep -q '^name,enabled,local_addrs,remote_addrs,.*,child.name,child.mode,.*,child.manual.key_out'
	csv_import "$BATS_TEST_TMPDIR/e.csv" 'dry_run=true&mode=replace'
	expect_status 200
	[[ $(jq_body '.diff.summary|[.added,.changed,.removed]|join(",")') == 0,0,0 ]]
}

@test "10,000 tunnels from one CSV: one revision, all there" {
	local f=$BATS_TEST_TMPDIR/10k.csv before start
	{
		echo "$HEADER"
		for ((i = 0; i < 10000; i++)); do
			echo "t$i,10.$((i / 256 % 256)).$((i % 256)).1,k,lan,192.168.0.0/24,10.$((i / 256)).$((i % 256)).0/24,none"
		done
	} >"$f"
	API_TOKEN= api GET /health
	before=$(jq_body .revision)
	start=$(date +%s%N)
	csv_import "$f"
	expect_status 200
	echo "# 10,000-row import (sanitizer build): $(( ($(date +%s%N) - start) / 1000000 )) ms" >&3
	[[ $(jq_body .revision) == $((before + 1)) && $(jq_body .diff.summary.added) == 10000 && $(jq_body .diff.truncated) == true ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM connections WHERE name LIKE 't%'") == 10000 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM revisions WHERE number > $before") == 1 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM children c JOIN connections n ON n.id = c.conn_id WHERE n.name = 't9999'") == 1 ]]
}
