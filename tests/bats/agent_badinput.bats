#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Bad input gets a clear answer and changes nothing. Each row of the table is
# one request: the status it must get, the field (or detail text) the answer
# must name, and the database must be byte-for-byte what it was before.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	agent_start
	api PUT /secrets/hqkey '{"type":"psk","value":"a good long psk"}'
	api PUT /secrets/k1 '{"type":"key","value":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"}'
	api POST /connections '{"name":"hq","remote_addrs":["192.0.2.9"],"psk":"hqkey","children":[{"name":"lan"}]}'
	[[ $STATUS == 201 ]]
}

teardown_file() {
	agent_stop
}

# check METHOD PATH BODY STATUS FIELD-OR-DETAIL [testclient options…]
# FIELD-OR-DETAIL: "field=PATH" (one of errors[].field), "detail~TEXT"
# (a substring of detail), or "-" (only the status and the problem type).
check() {
	local method=$1 path=$2 body=$3 want=$4 what=$5
	shift 5
	local before=$(db_sum)
	api "$method" "$path" "$body" "$@"
	expect_status "$want"
	[[ $(header Content-Type) == application/problem+json ]] || { echo "not problem+json: $(header Content-Type)" >&2; return 1; }
	# One jq: the status member, the type URI, and the field or detail asked for.
	jq -e --argjson st "$want" --arg what "$what" '
		.status == $st and (.type | startswith("urn:secgw:problem:")) and
		(if ($what | startswith("field=")) then ([.errors[]?.field] | index($what[6:]) != null)
		 elif ($what | startswith("detail~")) then (.detail | contains($what[7:]))
		 else true end)' "$RESP" >/dev/null ||
		{ echo "the answer does not name '$what':" >&2; cat "$RESP" >&2; return 1; }
	[[ $(db_sum) == "$before" ]] || { echo "the database changed" >&2; return 1; }
}

C='"name":"x1","psk":"hqkey"'

@test "malformed JSON: 400 naming line and column" {
	check POST /connections $'{"name":"x1",\n  "psk": }' 400 "detail~line 2, column"
}

@test "trailing garbage, duplicate keys, empty body: 400" {
	check POST /connections '{"name":"x1"} x' 400 "detail~line 1"
	check POST /connections '{"name":"x1","name":"x2"}' 400 "detail~duplicate"
	check POST /connections '' 400 "detail~line" -H 'Content-Type: application/json'
}

@test "JSON nested deeper than the limit: 400 before parsing" {
	local deep=$(printf '[%.0s' {1..40})
	check POST /connections "{\"name\":\"x1\",\"children\":$deep" 400 "detail~nested deeper"
}

@test "a body that is not an object: 422" {
	check POST /connections '["hq"]' 422 "field="
}

@test "wrong types: 422 naming each field" {
	check POST /connections "{$C,\"enabled\":\"yes\"}" 422 field=enabled
	check POST /connections "{$C,\"local_port\":\"500\"}" 422 field=local_port
	check POST /connections "{$C,\"remote_addrs\":\"192.0.2.1\"}" 422 field=remote_addrs
	check POST /connections "{$C,\"remote_addrs\":[5]}" 422 "field=remote_addrs[0]"
	check POST /connections "{$C,\"children\":{}}" 422 field=children
	check POST /connections "{$C,\"rekey_time\":1.5}" 422 field=rekey_time
}

@test "names: pattern and length" {
	check POST /connections '{"name":"has space","psk":"hqkey"}' 422 field=name
	check POST /connections "{\"name\":\"$(printf 'a%.0s' {1..65})\",\"psk\":\"hqkey\"}" 422 field=name
	check POST /connections '{"psk":"hqkey"}' 422 field=name
	check POST /connections "{$C,\"children\":[{\"name\":\"ok\"},{\"name\":\"ok\"}]}" 422 "field=children[1].name"
}

@test "addresses: IPv4, IPv6, %any, prefixes with host bits, host names" {
	check POST /connections "{$C,\"remote_addrs\":[\"192.0.2.256\"]}" 422 "field=remote_addrs[0]"
	check POST /connections "{$C,\"remote_addrs\":[\"192.0.2.1\",\"2001:db8::g\"]}" 422 "field=remote_addrs[1]"
	check POST /connections "{$C,\"local_addrs\":[\"10.1.0.1/24\"]}" 422 "field=local_addrs[0]"
	check POST /connections "{$C,\"remote_addrs\":[\"vpn.example.com\"]}" 422 "field=remote_addrs[0]"
	check POST /connections "{$C,\"remote_addrs\":[]}" 422 field=remote_addrs
	check POST /connections "{$C,\"local_id\":\"%any\"}" 422 field=local_id
	check POST /connections "{$C,\"remote_id\":\"@#abc\"}" 422 field=remote_id
}

@test "traffic selectors: prefixes, protocols and port ranges, named by child and index" {
	check POST /connections "{$C,\"children\":[{\"name\":\"c\",\"local_ts\":[\"10.0.0.0/8\",\"10.1.0.1/24\"]}]}" 422 "field=children[0].local_ts[1]"
	check POST /connections "{$C,\"children\":[{\"name\":\"c\",\"remote_ts\":[\"10.0.0.0/8[tcp/70000]\"]}]}" 422 "field=children[0].remote_ts[0]"
	check POST /connections "{$C,\"children\":[{\"name\":\"c\",\"remote_ts\":[\"10.0.0.0/8[tcp/90-80]\"]}]}" 422 "field=children[0].remote_ts[0]"
	check POST /connections "{$C,\"children\":[{\"name\":\"c\",\"remote_ts\":[\"10.0.0.0/8[bogus]\"]}]}" 422 "field=children[0].remote_ts[0]"
	check POST /connections/hq/children '{"name":"c","local_ts":["10.0.0.0/33"]}' 422 "field=local_ts[0]"
}

@test "proposals: only the supported algorithms, each in its place" {
	check POST /connections "{$C,\"ike_proposals\":[\"aes128-sha256-modp2048\"]}" 422 "field=ike_proposals[0]"
	check POST /connections "{$C,\"ike_proposals\":[\"chacha20poly1305-x25519\"]}" 422 "field=ike_proposals[0]"
	check POST /connections "{$C,\"ike_proposals\":[]}" 422 field=ike_proposals
	check POST /connections/hq/children '{"name":"c","esp_proposals":["aes256gcm16","chacha20poly1305-prfsha256"]}' 422 "field=esp_proposals[1]"
}

@test "lifetimes and ranges" {
	check POST /connections "{$C,\"rekey_time\":30}" 422 field=rekey_time
	check POST /connections "{$C,\"dpd_delay\":3601}" 422 field=dpd_delay
	check POST /connections "{$C,\"local_port\":0}" 422 field=local_port
	check POST /connections/hq/children '{"name":"c","replay_window":16}' 422 field=replay_window
	check POST /connections/hq/children '{"name":"c","life_bytes":-1}' 422 field=life_bytes
	check POST /connections/hq/children '{"name":"c","rekey_time":31536001}' 422 field=rekey_time
}

@test "enumerations and reserved values" {
	check POST /connections "{$C,\"nat_t\":\"sometimes\"}" 422 field=nat_t
	check POST /connections "{$C,\"auth\":\"pubkey\"}" 422 field=auth
	check POST /connections/hq/children '{"name":"c","protocol":"ah"}' 422 field=protocol
	check POST /connections/hq/children '{"name":"c","mode":"beet"}' 422 field=mode
}

@test "unknown fields are rejected by name, at any depth" {
	check POST /connections "{$C,\"remote_adrs\":[\"192.0.2.1\"]}" 422 field=remote_adrs
	check POST /connections "{$C,\"children\":[{\"name\":\"c\",\"esp\":\"x\"}]}" 422 "field=children[0].esp"
	check PATCH /connections/hq '{"dpd":5}' 422 field=dpd
	check PUT /secrets/s2 '{"type":"psk","value":"12345678","comment":"x"}' 422 field=comment
}

@test "references: the psk must name an existing secret of type psk" {
	check POST /connections '{"name":"x1","psk":"nosuch"}' 422 field=psk
	check POST /connections '{"name":"x1","psk":"k1"}' 422 field=psk
	check POST /connections '{"name":"x1"}' 422 field=psk
	check DELETE /secrets/hqkey '' 409 "detail~hq"
}

@test "manual keying: the manual block, its SPIs and key references" {
	local m='"name":"m1","keying":"manual","local_addrs":["192.0.2.1"],"remote_addrs":["192.0.2.2"]'
	check POST /connections "{$m,\"children\":[{\"name\":\"c\"}]}" 422 "field=children[0].manual"
	check POST /connections "{$m,\"children\":[{\"name\":\"c\",\"manual\":{\"spi_in\":255,\"spi_out\":4096,\"key_in\":\"k1\",\"key_out\":\"k1\"}}]}" 422 "field=children[0].manual.spi_in"
	check POST /connections "{$m,\"children\":[{\"name\":\"c\",\"manual\":{\"spi_in\":4096,\"spi_out\":4097,\"key_in\":\"hqkey\",\"key_out\":\"k1\"}}]}" 422 "field=children[0].manual.key_in"
	check POST /connections "{\"name\":\"m1\",\"keying\":\"manual\",\"children\":[]}" 422 "field=local_addrs[0]"
	check POST /connections/hq/children '{"name":"c","manual":{"spi_in":4096,"spi_out":4097,"key_in":"k1","key_out":"k1"}}' 422 field=manual
}

@test "secrets: type and value rules (the value never echoed)" {
	check PUT /secrets/s2 '{"type":"psk","value":"short"}' 422 field=value
	check PUT /secrets/s2 '{"type":"key","value":"abcd"}' 422 field=value
	check PUT /secrets/s2 '{"type":"cert","value":"12345678"}' 422 field=type
	check PUT /secrets/s2 '{"type":"psk"}' 422 field=value
}

@test "body over 1 MiB: 413 (before reading it)" {
	local big=$BATS_TEST_TMPDIR/big.json
	{ printf '{"name":"x1","psk":"hqkey","local_id":"'; head -c 1100000 /dev/zero | tr '\0' a; printf '"}'; } >"$big"
	check POST /connections "@$big" 413 "-"
}

@test "wrong content type: 415" {
	check POST /connections "{$C}" 415 "detail~application/json" -H "Content-Type: text/plain"
	check PUT /secrets/s3 '{"type":"psk","value":"12345678"}' 415 "-" -H "Content-Type: application/x-www-form-urlencoded"
}

@test "unknown route: 404; wrong method: 405 with Allow" {
	check GET /nosuch '' 404 "detail~no such route"
	check GET /connections/hq/children/lan/extra '' 404 "-"
	check DELETE /connections '' 405 "-"
	[[ $(header Allow) == "GET, HEAD, POST" ]]
	check POST /connections/hq '' 405 "-"
	[[ $(header Allow) == "GET, HEAD, PUT, PATCH, DELETE" ]]
	check OPTIONS /connections/hq/children '' 405 "-"
	[[ $(header Allow) == "GET, HEAD, POST" ]]
}

@test "stale If-Match: 412" {
	check PATCH /connections/hq '{"dpd_delay":5}' 412 "-" -H 'If-Match: "r1"'
	check DELETE /connections/hq '' 412 "-" -H 'If-Match: "r1"'
	check PUT /connections/newone '{"psk":"hqkey"}' 412 "-" -H 'If-Match: "r1"'
}

@test "renames are refused: the body's name must match the URL" {
	check PUT /connections/hq '{"name":"other","psk":"hqkey"}' 422 field=name
	check PATCH /connections/hq/children/lan '{"name":"wan"}' 422 field=name
}

@test "URL longer than the limit: 414" {
	check GET "/connections/$(printf 'a%.0s' {1..2100})" '' 414 "-"
}

@test "bad list parameters: 400" {
	check GET "/connections?cursor=bad%20cursor" '' 400 "detail~cursor"
	check GET "/connections?limit=abc" '' 400 "detail~limit"
	check GET "/audit?since=yesterday" '' 400 "detail~since"
}

@test "many errors at once: every field is named in one answer" {
	check POST /connections '{"name":"x 1","psk":"nosuch","local_port":70000,"nat_t":1,"remote_addrs":["1.2.3.4.5"],"bogus":true}' 422 field=local_port
	[[ $(jq_body '.errors|length') -ge 5 ]]
	for f in name local_port nat_t 'remote_addrs[0]' bogus; do
		jq -e --arg f "$f" '[.errors[].field] | index($f) != null' "$RESP" >/dev/null
	done
}

@test "request headers over the limit: refused by libmicrohttpd (431), the agent keeps serving" {
	local before=$(db_sum)
	api POST /connections "{$C}" -H "X-Padding: $(head -c 24000 /dev/zero | tr '\0' a)"
	expect_status 431
	[[ $(db_sum) == "$before" ]]
	api GET /connections/hq
	expect_status 200
}
