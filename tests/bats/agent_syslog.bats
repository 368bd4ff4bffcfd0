#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# --log syslog: the agent's lines reach the system logger (the /dev/log
# datagram socket) with the ident secgw-agent, and --log-level filters them.
# The logger here is BusyBox syslogd inside a private mount namespace whose
# /dev is a fresh tmpfs, so the host's own /dev/log (if any) never sees our
# lines and a host without a syslog daemon can still run the test.
bats_require_minimum_version 1.5.0
load agent_helpers

# run_with_syslog LEVEL: start syslogd and the agent (--log syslog
# --log-level LEVEL) in their own mount namespace, wait until the agent
# serves, stop it with SIGTERM, and leave what syslogd wrote in $SYSLOG.
run_with_syslog() {
	SYSLOG=$BATS_TEST_TMPDIR/messages
	local port=$(free_port) script=$BATS_TEST_TMPDIR/inner.sh
	cat >"$script" <<-'INNER'
	set -eu
	mount -t tmpfs -o mode=755 secgw-dev /dev
	mknod -m 666 /dev/null c 1 3
	mknod -m 666 /dev/urandom c 1 9
	mknod -m 666 /dev/random c 1 8
	busybox syslogd -n -O "$SYSLOG" &
	slog=$!
	for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
	[ -S /dev/log ] || { echo "syslogd made no /dev/log" >&2; exit 1; }
	"$AGENT" --state-dir "$STATE" --listen "127.0.0.1:$PORT" --log syslog --log-level "$LEVEL" \
		>"$OUT" 2>"$ERR" &
	agent=$!
	ok=
	for _ in $(seq 200); do
		if [ "$("$TC" GET "http://127.0.0.1:$PORT/api/v1/health" 2>/dev/null)" = 200 ]; then ok=1; break; fi
		kill -0 "$agent" 2>/dev/null || break
		sleep 0.05
	done
	kill -TERM "$agent" 2>/dev/null || true
	wait "$agent" || true
	# syslogd writes each datagram as it comes; stop it only after the agent is gone.
	kill "$slog"; wait "$slog" 2>/dev/null || true
	[ -n "$ok" ] || { echo "the agent never served" >&2; cat "$ERR" >&2; exit 1; }
	INNER
	SYSLOG=$SYSLOG AGENT=$AGENT TC=$TC PORT=$port LEVEL=$1 STATE=$BATS_TEST_TMPDIR/state \
		OUT=$BATS_TEST_TMPDIR/agent.out ERR=$BATS_TEST_TMPDIR/agent.err \
		unshare --mount --propagation private bash "$script"
}

@test "--log syslog: info lines reach syslog as secgw-agent, nothing on stderr" {
	require_root
	run_with_syslog info
	grep -q 'secgw-agent\[[0-9]*\]: agent: serving' "$SYSLOG"
	grep -q 'secgw-agent\[[0-9]*\]: agent: stopped' "$SYSLOG"
	# Everything went to syslog; stderr keeps only sanitizer reports, and there are none.
	[[ ! -s $BATS_TEST_TMPDIR/agent.err ]]
}

@test "--log syslog --log-level err: info lines are filtered out" {
	require_root
	run_with_syslog err
	[[ -f $SYSLOG ]] || touch "$SYSLOG"
	run grep -c 'agent: serving' "$SYSLOG"
	[[ $output == 0 ]]
	[[ ! -s $BATS_TEST_TMPDIR/agent.err ]]
}
