#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# The agent as a process: clean stop on SIGTERM under load, crash consistency
# after kill -9 in the middle of a burst of writes, schema upgrades in place,
# log reopening on SIGHUP, dropping root with --user, one agent per state
# directory. Each test runs its own agent on its own state directory.
bats_require_minimum_version 1.5.0
load agent_helpers

setup() {
	AGENT_DIR=$BATS_TEST_TMPDIR/state
	AGENT_LOG=$BATS_TEST_TMPDIR/agent.log
	TOKEN=
	AGENT_PID=
}

teardown() {
	[[ -z ${AGENT_PID:-} ]] || stop_pid "$AGENT_PID" 20
	[[ -z ${BURST_PID:-} ]] || stop_pid "$BURST_PID" 5
	[[ -z ${USER_DIR:-} ]] || rm -rf "$USER_DIR"
}

# burst_until N: start POSTing connections in the background, return once N
# have been acknowledged (the ack file lists each 201 as it arrives).
burst_until() {
	ACK=$BATS_TEST_TMPDIR/acked
	: >"$ACK"
	api PUT /secrets/burst-psk '{"type":"psk","value":"burst psk 1234"}'
	expect_status 201
	"$TC" burst "$AGENT_URL/api/v1/connections" -t "$TOKEN" --count 100000 --prefix b \
		--ack "$ACK" >"$BATS_TEST_TMPDIR/burst.out" 2>&1 &
	BURST_PID=$!
	wait_until 60 eval "[[ \$(wc -l <'$ACK') -ge $1 ]]"
}

# every acknowledged name is in the database
all_acked_present() {
	sqlite3 "$AGENT_DB" "SELECT name FROM connections WHERE name LIKE 'b-%'" | sort >"$BATS_TEST_TMPDIR/stored"
	sort "$ACK" >"$BATS_TEST_TMPDIR/acked.sorted"
	local missing
	missing=$(comm -23 "$BATS_TEST_TMPDIR/acked.sorted" "$BATS_TEST_TMPDIR/stored" | wc -l)
	echo "acked $(wc -l <"$ACK"), stored $(wc -l <"$BATS_TEST_TMPDIR/stored"), missing $missing" >&3
	((missing == 0)) && (($(wc -l <"$ACK") > 0))
}

@test "SIGTERM under load: in-flight requests finish, no acknowledged write is lost, the database is closed" {
	agent_start
	burst_until 100
	kill -TERM "$AGENT_PID"
	local rc=0
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=
	((rc == 0))
	wait "$BURST_PID" || true
	BURST_PID=
	grep -q 'SIGTERM: stopping' "$AGENT_LOG"
	grep -q 'agent: stopped' "$AGENT_LOG"
	agent_log_clean
	# Closed cleanly: the last connection checkpointed and removed the WAL.
	[[ ! -e $AGENT_DB-wal ]]
	all_acked_present
	[[ $(sqlite3 "$AGENT_DB" "PRAGMA integrity_check") == ok ]]
}

@test "kill -9 mid-burst: integrity holds, every acknowledged write is there, the agent serves again" {
	agent_start
	burst_until 150
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=
	wait "$BURST_PID" || true
	BURST_PID=
	[[ $(sqlite3 "$AGENT_DB" "PRAGMA integrity_check") == ok ]]
	all_acked_present
	# Every stored connection is whole: its revision and its child are there.
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM connections c WHERE NOT EXISTS (SELECT 1 FROM children h WHERE h.conn_id = c.id) AND c.name LIKE 'b-%'") == 0 ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM connections c WHERE NOT EXISTS (SELECT 1 FROM revision_changes x WHERE x.revision = c.revision AND x.name = c.name)") == 0 ]]
	agent_start
	api POST /connections '{"name":"after-crash","psk":"burst-psk"}'
	expect_status 201
	api GET "/connections?prefix=b-&limit=1000"
	expect_status 200
	(($(jq_body '.items|length') >= $(wc -l <"$ACK")))
}

@test "an older database is upgraded in place, keeping its data" {
	mkdir -p "$AGENT_DIR"
	local db=$AGENT_DIR/secgw.db
	sqlite3 "$db" <"$SECGW_ROOT/schema/001_init.sql"
	sqlite3 "$db" "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL);
		INSERT INTO schema_version VALUES (1, '001_init.sql', 0);
		INSERT INTO revisions (number, time, author, source) VALUES (7, 0, 'old', 'local');
		INSERT INTO connections (name, config, created, updated, revision)
			VALUES ('legacy', '{\"name\":\"legacy\",\"enabled\":true,\"remote_addrs\":[\"192.0.2.77\"]}', 0, 0, 7);"
	[[ -z $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE name = 'audit_time'") ]]
	agent_start
	local latest=$(ls "$SECGW_ROOT"/schema/*.sql | wc -l)
	[[ $(sqlite3 "$db" "SELECT max(version) FROM schema_version") == "$latest" ]]
	[[ $(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE name = 'audit_time'") == audit_time ]]
	grep -q 'applied migration 002_indexes.sql' "$AGENT_LOG"
	! grep -q 'applied migration 001_init.sql' "$AGENT_LOG" || false
	api GET /connections/legacy
	expect_status 200
	[[ $(jq_body '.remote_addrs[0]') == 192.0.2.77 ]]
	API_TOKEN= api GET /health
	[[ $(jq_body .revision) == 7 ]]
}

@test "a database from a newer agent is refused, untouched" {
	mkdir -p "$AGENT_DIR"
	sqlite3 "$AGENT_DIR/secgw.db" "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL);
		INSERT INTO schema_version VALUES (999, '999_future.sql', 0);"
	local before=$(sha256sum <"$AGENT_DIR/secgw.db")
	run "$AGENT" --state-dir "$AGENT_DIR" --listen 127.0.0.1:0
	echo "$output"
	[[ $status -ne 0 ]]
	[[ $output == *"newer than this agent"* ]]
	[[ $(sha256sum <"$AGENT_DIR/secgw.db") == "$before" ]]
}

@test "SIGHUP reopens the log file (rotation)" {
	local log=$BATS_TEST_TMPDIR/file.log
	agent_start --log "$log" --log-level debug
	grep -q 'agent: serving' "$log"
	mv "$log" "$log.1"
	kill -HUP "$AGENT_PID"
	wait_until 10 grep -q 'log reopened' "$log"
	pid_alive "$AGENT_PID"
	api GET /connections
	expect_status 200
	! grep -q 'log reopened' "$log.1" || false
}

@test "--user drops root after binding; the state belongs to that user" {
	require_root
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	USER_DIR=$(mktemp -d /tmp/secgw-user.XXXXXX)
	chmod 711 "$USER_DIR"
	AGENT_DIR=$USER_DIR/state
	agent_start --user nobody
	local uid=$(id -u nobody)
	[[ $(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$AGENT_PID/status") == "$uid $uid $uid $uid" ]]
	[[ $(stat -c %U "$AGENT_DIR") == nobody && $(stat -c %U "$AGENT_DIR/secgw.db") == nobody ]]
	[[ $(stat -c %U "$AGENT_DIR/master.key") == nobody ]]
	grep -q 'running as nobody' "$AGENT_LOG"
	api PUT /secrets/k '{"type":"psk","value":"unprivileged 1"}'
	expect_status 201
}

@test "one agent per state directory; bad arguments are refused clearly" {
	agent_start
	run "$AGENT" --state-dir "$AGENT_DIR" --listen 127.0.0.1:0
	echo "$output"
	[[ $status -ne 0 && $output == *"another secgw-agent uses this state directory"* ]]
	api GET /connections
	expect_status 200
	run "$AGENT" --state-dir "$AGENT_DIR" --listen "localhost:80"
	echo "$output"
	[[ $status -ne 0 && $output == *"literal address"* ]]
	run "$AGENT" --log-level chatty
	echo "$output"
	[[ $status -eq 2 && $output == *"unknown log level"* ]]
	run "$AGENT" bootstrap-token --state-dir "$AGENT_DIR" --expires-in 0
	echo "$output"
	[[ $status -eq 2 ]]
}
