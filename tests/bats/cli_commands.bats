#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# secgw, the CLI, against a real agent: every noun and verb, fields typed
# from the API's description (lists, ints in hex, booleans, dotted manual
# keys), --output json unchanged, tables within 80 columns, and the exit
# status of each failure class (1 usage, 2 refused, 3 unreachable).
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	agent_start
	export SECGW_URL=$AGENT_URL SECGW_TOKEN=$TOKEN HOME=$BATS_FILE_TMPDIR/home
	export KEYHEX=$(printf '%02x' $(seq 40 75))
	mkdir -p "$HOME"
}

teardown_file() {
	agent_stop
}

S() {
	"$SECGW_BIN/secgw" "$@"
}

@test "the README's tunnel: secret, connection, child, through the CLI" {
	run S secret set hqkey - <<<'correct horse battery staple'
	[[ $status -eq 0 && $output == "secret hqkey created (revision 1)" ]]
	run S conn add hq remote_addrs=192.0.2.9 psk=hqkey
	[[ $status -eq 0 && $output == "connection hq created (revision 2)" ]]
	run S child add hq lan local_ts=10.1.0.0/24 remote_ts=10.2.0.0/24 start_action=start
	[[ $status -eq 0 ]]
	api GET /connections/hq
	[[ $(jq_body '.remote_addrs|join(",")') == 192.0.2.9 && $(jq_body .psk) == hqkey ]]
	[[ $(jq_body '.children[0]|"\(.name) \(.local_ts[0]) \(.remote_ts[0]) \(.start_action)"') == "lan 10.1.0.0/24 10.2.0.0/24 start" ]]
}

@test "conn and child: list, show, set (typed: lists, ints, bools; key= resets), rm" {
	run S conn set hq dpd_delay=0x14 enabled=false ike_proposals=aes256gcm16-prfsha256-x25519,chacha20poly1305-prfsha256-x25519
	[[ $status -eq 0 ]]
	api GET /connections/hq
	[[ $(jq_body .dpd_delay) == 20 && $(jq_body .enabled) == false && $(jq_body '.ike_proposals|length') == 2 ]]
	run S conn set hq dpd_delay= enabled=yes
	api GET /connections/hq
	[[ $(jq_body .dpd_delay) == 30 && $(jq_body .enabled) == true ]]
	run S conn list
	[[ $status -eq 0 && ${lines[0]} == NAME* && ${lines[1]} == "hq "*"192.0.2.9"*"lan" ]]
	run S conn show hq
	[[ $status -eq 0 && $output == *"remote_addrs:  192.0.2.9"* && $output == *"lan    tunnel"* ]]
	run S child set hq lan replay_window=64 remote_ts=10.2.0.0/24,10.3.0.0/24
	[[ $status -eq 0 ]]
	run S child show hq lan
	[[ $output == *"replay_window:  64"* && $output == *"10.2.0.0/24, 10.3.0.0/24"* ]]
	run S child list hq
	[[ ${lines[1]} == lan* ]]
	run S child add hq tmp
	run S child rm hq tmp
	[[ $status -eq 0 && $output == "child tmp of hq removed"* ]]
	run S conn add gone psk=hqkey
	run S conn rm gone
	[[ $status -eq 0 ]]
	api GET /connections/gone
	expect_status 404
}

@test "manual keying through dotted keys; key secrets from a file" {
	printf '%s\n' "$KEYHEX" >"$BATS_TEST_TMPDIR/kin"
	run S secret set kin "$BATS_TEST_TMPDIR/kin" --type key
	[[ $status -eq 0 ]]
	run S secret set kout --type key - <<<"0x$KEYHEX"
	[[ $status -eq 0 ]]
	run S conn add m keying=manual local_addrs=192.0.2.10 remote_addrs=192.0.2.11
	[[ $status -eq 0 ]]
	run S child add m c manual.spi_in=0x1000 manual.spi_out=4097 manual.key_in=kin manual.key_out=kout
	[[ $status -eq 0 ]]
	api GET /connections/m/children/c
	[[ $(jq_body '.manual|"\(.spi_in) \(.spi_out) \(.key_in) \(.key_out)"') == "4096 4097 kin kout" ]]
	run S child set m c manual.spi_in=0x2000
	api GET /connections/m/children/c
	[[ $(jq_body .manual.spi_in) == 8192 && $(jq_body .manual.key_in) == kin ]]
	run S secret list
	[[ $output =~ kin\ +key ]]
	run S secret show hqkey
	[[ $output == *"used by: hq"* ]]
	run S fields child
	[[ $output == *manual.spi_in* && $output == *esp_proposals* ]]
}

@test "rev list, show, diff, rollback; --comment; --confirm and confirm" {
	run S --comment "widen dpd" conn set hq dpd_delay=45
	[[ $status -eq 0 ]]
	local rev=${output##*revision }
	rev=${rev%)}
	run S rev list --limit 3
	[[ $status -eq 0 && ${lines[1]} == "$rev "*"connection.update hq"*"widen dpd" ]]
	run S rev show "$rev"
	[[ $output == *"dpd_delay: 30 -> 45"* && $output == *"comment: widen dpd"* ]]
	run S rev diff $((rev - 1))
	[[ $output == *"~ connection hq"* && $output == *"0 added, 1 changed, 0 removed" ]]
	run S rev rollback $((rev - 1))
	[[ $status -eq 0 && $output == *"restored as revision $((rev + 1))"* ]]
	api GET /connections/hq
	[[ $(jq_body .dpd_delay) == 30 ]]
	run S --confirm 60 conn set hq dpd_delay=50
	[[ $status -eq 0 && $output == *"awaiting confirmation until"* ]]
	run S confirm status
	[[ $output == *"revision $((rev + 2)) awaits confirmation"* ]]
	run S conn set hq dpd_delay=51
	[[ $status -eq 2 && $output == *"awaits confirmation"* ]]
	run S confirm
	[[ $status -eq 0 && $output == "revision $((rev + 2)) confirmed: it stays" ]]
	run S confirm
	[[ $status -eq 2 ]]
}

@test "export and import: JSON and CSV, stdin, dry run, replace" {
	run S export
	[[ $status -eq 0 ]]
	[[ $(jq -r .format <<<"$output") == secgw-export ]]
	S export --csv >"$BATS_TEST_TMPDIR/all.csv"
	head -n1 "$BATS_TEST_TMPDIR/all.csv" | grep -q '^name,enabled,'
	run S import --dry-run "$BATS_TEST_TMPDIR/all.csv"
	[[ $status -eq 0 && $output == *"0 added, 0 changed, 0 removed"* && $output == *"dry run: nothing was written"* ]]
	printf 'name,remote_addrs,psk\nnew1,192.0.2.77,hqkey\n' | S import - >"$BATS_TEST_TMPDIR/out"
	grep -q '^+ connection new1$' "$BATS_TEST_TMPDIR/out"
	grep -q '^imported as revision' "$BATS_TEST_TMPDIR/out"
	S export >"$BATS_TEST_TMPDIR/all.json"
	jq 'del(.connections[] | select(.name == "new1"))' "$BATS_TEST_TMPDIR/all.json" >"$BATS_TEST_TMPDIR/less.json"
	run S import --replace --dry-run "$BATS_TEST_TMPDIR/less.json"
	[[ $output == *"- connection new1"* && $output == *"0 added, 0 changed, 1 removed"* ]]
	run S import --replace "$BATS_TEST_TMPDIR/less.json"
	[[ $status -eq 0 ]]
	api GET /connections/new1
	expect_status 404
	printf 'name,remote_addrs,psk\nx1,192.0.2.300,hqkey\nx2,192.0.2.1,nope\n' >"$BATS_TEST_TMPDIR/bad.csv"
	run --separate-stderr S import "$BATS_TEST_TMPDIR/bad.csv"
	[[ $status -eq 2 ]]
	[[ $stderr == *"row 2, remote_addrs[0]: not an IPv4"* && $stderr == *"row 3, psk: no secret named"* ]]
}

@test "users, tokens, audit" {
	run S user add ops --role operator - <<<'ops-password-1'
	[[ $status -eq 0 ]]
	run S user list
	[[ $output == *"ops    operator"* ]]
	run S user set ops --role viewer
	run S user show ops
	[[ $output == *"role:    viewer"* ]]
	run S user passwd ops - <<<'ops-password-2'
	[[ $status -eq 0 ]]
	API_TOKEN= api POST /session '{"username":"ops","password":"ops-password-2"}'
	expect_status 201
	run --separate-stderr S token create script1 --expires-in 3600
	[[ $status -eq 0 && $output =~ ^sgw_[A-Za-z0-9_-]{43}$ && $stderr == *"shown this once"* ]]
	SECGW_TOKEN=$output run S conn list
	[[ $status -eq 0 ]]
	run S token list
	[[ $output == *script1* ]]
	local id=$(S -o json token list | jq -r '.items[]|select(.name=="script1")|.id')
	run S token revoke "$id"
	[[ $status -eq 0 ]]
	run S audit --action user. --limit 5
	[[ $status -eq 0 && $output == *user.create*ops* ]]
	run S user rm ops
	[[ $status -eq 0 ]]
}

@test "--output json prints the API's answer unchanged" {
	local m
	for m in "conn show hq:/connections/hq" "rev list:/revisions?limit=20" "secret list:/secrets?limit=1000" \
		 "child show hq lan:/connections/hq/children/lan" "confirm status:/commit/confirm"; do
		S -o json ${m%%:*} >"$BATS_TEST_TMPDIR/cli.json"
		api GET "${m#*:}"
		printf '\n' >>"$RESP"
		cmp "$RESP" "$BATS_TEST_TMPDIR/cli.json" || { echo "differs: $m" >&2; return 1; }
	done
	run S -o json conn add bad bogus_free_text=1
	[[ $status -eq 1 ]]
	run --separate-stderr S -o json conn set hq remote_addrs=999.1.1.1
	[[ $status -eq 2 && $(jq -r .type <<<"$output") == urn:secgw:problem:invalid ]]
}

@test "tables fit 80 columns, whatever the data" {
	local long=$(printf 'x%.0s' {1..60})
	run S --comment "a very long comment that goes on and on and would push any table past eighty columns" \
		conn add "${long:0:60}" remote_addrs=192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5 psk=hqkey
	[[ $status -eq 0 ]]
	run S child add "${long:0:60}" c local_ts=10.1.0.0/24,10.2.0.0/24,10.3.0.0/24 remote_ts=10.4.0.0/24[tcp/443],10.5.0.0/24
	local cmd
	for cmd in "conn list" "rev list" "secret list" "token list" "user list" "audit" "child list ${long:0:60}"; do
		S $cmd >"$BATS_TEST_TMPDIR/t"
		if awk 'length > 80 { bad = 1 } END { exit !bad }' "$BATS_TEST_TMPDIR/t"; then
			echo "$cmd: a line is wider than 80 columns:" >&2
			cat "$BATS_TEST_TMPDIR/t" >&2
			return 1
		fi
	done
}

@test "exit status: 1 usage (nothing sent), 2 refused (reason and fields on stderr), 3 unreachable" {
	local sum=$(db_sum)
	run S frobnicate
	[[ $status -eq 1 ]]
	run S conn add hq2 nosuchfield=1
	[[ $status -eq 1 && $output == *"no such field"* ]]
	run S conn add hq2 dpd_delay=ten
	[[ $status -eq 1 && $output == *"integer"* ]]
	run S --confirm 0 conn set hq dpd_delay=1
	[[ $status -eq 1 ]]
	run S rev show nine
	[[ $status -eq 1 ]]
	run S
	[[ $status -eq 1 ]]
	[[ $(db_sum) == "$sum" ]]
	run --separate-stderr S conn add hq2 remote_addrs=192.0.2.999 dpd_delay=99999 psk=hqkey
	[[ $status -eq 2 && $stderr == *"HTTP 422"* && $stderr == *"remote_addrs[0]:"* && $stderr == *"dpd_delay: must be"* ]]
	run S conn show nosuch
	[[ $status -eq 2 && $output == *"HTTP 404"* ]]
	run S conn add hq psk=hqkey
	[[ $status -eq 2 && $output == *"HTTP 409"* ]]
	SECGW_TOKEN=sgw_wrong run S conn list
	[[ $status -eq 2 && $output == *"HTTP 401"* && $output == *"secgw login"* ]]
	[[ $(db_sum) == "$sum" ]]
	run S --url "http://127.0.0.1:$(free_port)" conn list
	[[ $status -eq 3 && $output == *"cannot reach the agent"* ]]
}

@test "sa list, initiate, terminate say plainly that the engine is not connected" {
	run S sa list
	[[ $status -eq 2 && $output == *"not connected"* && $output == *"secgw-iked"* ]]
	run S initiate hq
	[[ $status -eq 2 && $output == *"not connected"* ]]
	run S terminate hq
	[[ $status -eq 2 && $output == *"not connected"* ]]
	run S initiate nosuch
	[[ $status -eq 2 && $output == *"HTTP 404"* ]]
}
