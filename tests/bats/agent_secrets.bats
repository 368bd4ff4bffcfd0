#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Secrets are write-only. A value is set through every path that takes one
# (create, replace, a bad request carrying it, a malformed body around it),
# the whole API is read in every way a client could, and then the database
# file (with its WAL), the agent's log (at debug level) and every answer are
# searched for the value: it must appear nowhere. The master key file must be
# what decrypts it, and a wrong key must not.
bats_require_minimum_version 1.5.0
load agent_helpers

# The values are made once per file (setup_file runs once; the test bodies
# run in other processes and see them through the environment).
setup_file() {
	export PSK="psk-$RANDOM-never-shown-$RANDOM"
	export PSK2="rotated-$RANDOM-psk-$RANDOM"
	export KEYHEX=$(printf '%02x' $(seq 100 135))
	agent_start --log-level debug
}

teardown_file() {
	agent_stop
}

@test "set, use and rotate secrets; read everything back in every way" {
	api PUT /secrets/site-a "{\"type\":\"psk\",\"value\":\"$PSK\"}"
	expect_status 201
	api PUT /secrets/k-in "{\"type\":\"key\",\"value\":\"0x$KEYHEX\"}"
	expect_status 201
	api PUT /secrets/k-out "{\"type\":\"key\",\"value\":\"$KEYHEX\"}"
	expect_status 201
	api POST /connections '{"name":"a","remote_addrs":["192.0.2.1"],"psk":"site-a"}'
	expect_status 201
	api POST /connections '{"name":"m","keying":"manual","local_addrs":["192.0.2.10"],"remote_addrs":["192.0.2.11"],"children":[{"name":"c","manual":{"spi_in":4096,"spi_out":4097,"key_in":"k-in","key_out":"k-out"}}]}'
	expect_status 201
	# Rotate; and bad requests that carry a value.
	api PUT /secrets/site-a "{\"type\":\"psk\",\"value\":\"$PSK2\"}"
	expect_status 200
	api PUT /secrets/site-a "{\"type\":\"key\",\"value\":\"$PSK\"}"
	expect_status 422
	api PUT /secrets/site-a "{\"type\":\"psk\",\"value\":\"$PSK\",\"extra\":1}"
	expect_status 422
	api PUT /secrets/site-a "{\"type\":\"psk\",\"value\":\"$PSK\" bad json}"
	expect_status 400
	api PUT /secrets/site-a "{\"type\":\"psk\",\"value\":\"$PSK\"}" -H "Content-Type: text/plain"
	expect_status 415
	api DELETE /secrets/site-a
	expect_status 409
	# Read everything.
	local p
	for p in /secrets /secrets/site-a /secrets/k-in /connections /connections/a /connections/m \
		/connections/m/children/c /audit /metrics /users /tokens /session /health; do
		api GET "$p"
		[[ $STATUS == 200 ]] || { echo "GET $p: $STATUS" >&2; return 1; }
	done
	api GET /secrets/site-a
	[[ $(jq_body '.used_by|join(",")') == a ]]
}

@test "no value is in any answer, the database, its WAL, the log or the revision history" {
	local f hexpsk
	for v in "$PSK" "$PSK2" "$KEYHEX"; do
		absent "$v" "$BATS_FILE_TMPDIR/responses.log" "$AGENT_LOG" "$AGENT_OUT" "$AGENT_DB"
		[[ ! -f $AGENT_DB-wal ]] || absent "$v" "$AGENT_DB-wal"
		sqlite3 "$AGENT_DB" .dump >"$BATS_TEST_TMPDIR/dump"
		absent "$v" "$BATS_TEST_TMPDIR/dump"
	done
	[[ -n $PSK && -n $PSK2 && ${#KEYHEX} == 72 ]]
	# The key bytes themselves (not only their hex text) are absent too.
	python3 - "$KEYHEX" "$AGENT_DB" "$AGENT_DB-wal" <<'PY'
import os, sys
key = bytes.fromhex(sys.argv[1])
for f in sys.argv[2:]:
    if os.path.exists(f) and key[:16] in open(f, 'rb').read():
        sys.exit(f + " holds the key bytes")
PY
	# History records that a secret changed, never its value.
	[[ $(sqlite3 "$AGENT_DB" "SELECT new FROM revision_changes WHERE kind='secret' AND name='site-a' ORDER BY revision DESC LIMIT 1") == '{"name":"site-a","type":"psk"}' ]]
	# The log did say something about these requests (so it was written at all).
	grep -q 'store: applied migration' "$AGENT_LOG"
}

@test "the stored value opens with the master key (and only with it)" {
	python3 - "$AGENT_DB" "$AGENT_DIR/master.key" "$PSK2" <<'PY'
import sqlite3, sys, ctypes
db, keyfile, want = sys.argv[1], sys.argv[2], sys.argv[3].encode()
nonce, box = sqlite3.connect(db).execute("SELECT nonce, box FROM secrets WHERE name='site-a'").fetchone()
key = open(keyfile, 'rb').read()
na = ctypes.CDLL("libsodium.so.23")
assert na.sodium_init() >= 0
out = ctypes.create_string_buffer(len(box) - 16)
rc = na.crypto_secretbox_open_easy(out, box, ctypes.c_ulonglong(len(box)), nonce, key)
assert rc == 0 and out.raw == want, "the master key does not open the stored PSK"
bad = bytes(b ^ 1 for b in key)
assert na.crypto_secretbox_open_easy(out, box, ctypes.c_ulonglong(len(box)), nonce, bad) != 0
PY
	[[ $(stat -c %a "$AGENT_DIR/master.key") == 600 && $(stat -c %s "$AGENT_DIR/master.key") == 32 ]]
}
