#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Crash consistency of a bulk import: the agent is killed with SIGKILL while
# it writes a 10,000-tunnel import (its uncommitted pages are already
# spilling into the WAL). After a restart the database passes
# integrity_check and holds all of the import or none of it.
bats_require_minimum_version 1.5.0
load agent_helpers

setup() {
	AGENT_DIR=$BATS_TEST_TMPDIR/state
	AGENT_LOG=$BATS_TEST_TMPDIR/agent.log
	TOKEN=
	AGENT_PID=
	CLIENT_PID=
}

teardown() {
	[[ -z ${CLIENT_PID:-} ]] || stop_pid "$CLIENT_PID" 5
	[[ -z ${AGENT_PID:-} ]] || stop_pid "$AGENT_PID" 20
}

wal_size() {
	stat -c %s "$AGENT_DB-wal" 2>/dev/null || echo 0
}

# The import is writing: the WAL has grown by a MiB of uncommitted pages,
# or the answer came (then the kill lands after the commit: still a valid run).
writing_or_done() {
	(($(wal_size) > WAL0 + 1048576)) || ! pid_alive "$CLIENT_PID"
}

@test "kill -9 in the middle of a 10,000-tunnel import: integrity holds, all or nothing" {
	local f=$BATS_TEST_TMPDIR/10k.csv n answered
	agent_start
	api PUT /secrets/k '{"type":"psk","value":"crash psk 12345"}'
	expect_status 201
	{
		echo 'name,remote_addrs,psk,child.name,child.local_ts,child.remote_ts'
		for ((i = 0; i < 10000; i++)); do
			echo "c$i,10.$((i / 256 % 256)).$((i % 256)).1,k,lan,192.168.0.0/24,10.$((i / 256)).$((i % 256)).0/24"
		done
	} >"$f"
	WAL0=$(wal_size)
	"$TC" -t "$TOKEN" -H 'Content-Type: text/csv' -d "@$f" -o "$BATS_TEST_TMPDIR/answer" \
		POST "$AGENT_URL/api/v1/import" >"$BATS_TEST_TMPDIR/status" 2>&1 &
	CLIENT_PID=$!
	wait_until 120 writing_or_done
	local wal_at_kill=$(wal_size)
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=
	wait "$CLIENT_PID" || true
	CLIENT_PID=
	answered=$(cat "$BATS_TEST_TMPDIR/status")
	[[ $(sqlite3 "$AGENT_DB" "PRAGMA integrity_check") == ok ]]
	n=$(sqlite3 "$AGENT_DB" "SELECT count(*) FROM connections WHERE name LIKE 'c%'")
	echo "# killed with the WAL at $wal_at_kill bytes (from $WAL0); client saw '$answered'; $n of 10000 stored" >&3
	[[ $n == 0 || $n == 10000 ]]
	# An acknowledged import is never lost.
	[[ $answered != 200 || $n == 10000 ]]
	# History agrees with the tables: the import's revision exists iff its rows do.
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM revisions WHERE summary LIKE 'import %'") == $((n / 10000)) ]]
	[[ $(sqlite3 "$AGENT_DB" "SELECT count(*) FROM revision_changes WHERE name LIKE 'c%'") == "$n" ]]
	agent_start
	api GET '/connections?prefix=c&limit=1'
	expect_status 200
	api POST /connections '{"name":"after","psk":"k"}'
	expect_status 201
	agent_stop
}
