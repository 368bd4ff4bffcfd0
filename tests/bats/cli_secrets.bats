#!/usr/bin/env bats
# SPDX-License-Identifier: MIT
# Secrets through the CLI: a PSK or password reaches the agent from a file,
# stdin or a no-echo prompt — never argv — so it is never in `ps`, never in
# anything the CLI prints, never in the login file; `secgw login` keeps only
# a token (0600) and `secgw logout` revokes it.
bats_require_minimum_version 1.5.0
load agent_helpers

setup_file() {
	export PSK="cli-psk-$RANDOM-$RANDOM-never-shown"
	agent_start
	export SECGW_URL=$AGENT_URL HOME=$BATS_FILE_TMPDIR/home
	mkdir -p "$HOME"
}

teardown_file() {
	agent_stop
}

S() {
	"$SECGW_BIN/secgw" "$@"
}

@test "secret set from stdin: the value is not in the process's argv or environment while it runs" {
	local fifo=$BATS_TEST_TMPDIR/in pid
	mkfifo "$fifo"
	# Run directly (not through the S function), so that $! is secgw itself.
	SECGW_TOKEN=$TOKEN "$SECGW_BIN/secgw" secret set site - <"$fifo" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	exec 4>"$fifo"
	# It runs, waiting for the value: look at it from outside.
	running() { tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'secgw secret set site'; }
	wait_until 10 running
	ps -eo args >"$BATS_TEST_TMPDIR/ps"
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$BATS_TEST_TMPDIR/cmdline"
	grep -q 'secret set site' "$BATS_TEST_TMPDIR/cmdline"
	printf '%s\n' "$PSK" >&4
	exec 4>&-
	wait "$pid"
	absent "$PSK" "$BATS_TEST_TMPDIR/ps" "$BATS_TEST_TMPDIR/cmdline" "$BATS_TEST_TMPDIR/out"
	api GET /secrets/site
	expect_status 200
}

@test "secret set on a terminal: a no-echo prompt; what is typed is stored and never shown" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	local fifo=$BATS_TEST_TMPDIR/keys out=$BATS_TEST_TMPDIR/tty.out
	mkfifo "$fifo"
	# script(1) gives secgw a real pseudo-terminal; its stdin is what we "type".
	SECGW_TOKEN=$TOKEN script -qefc "$SECGW_BIN/secgw secret set typed" /dev/null <"$fifo" >"$out" 2>&1 &
	local pid=$!
	exec 4>"$fifo"
	prompted() { grep -q 'Pre-shared key for typed (not shown): ' "$out"; }
	wait_until 10 prompted
	printf '%s\n' "$PSK" >&4
	exec 4>&-
	wait "$pid"
	grep -q 'typed' "$out"
	# The terminal showed the prompt, never the key (echo was off while it was typed).
	absent "$PSK" "$out"
	api GET /secrets/typed
	expect_status 200
	[[ $(jq_body .type) == psk ]]
}

@test "the value is never taken from argv, and nothing the CLI prints contains it" {
	local out=$BATS_TEST_TMPDIR/all
	# A value typed where the FILE goes is refused, not sent, and not echoed.
	run S --token "$TOKEN" secret set oops "$PSK"
	[[ $status -eq 1 && $output == *"never taken from the command line"* ]]
	absent "$PSK" <(printf '%s' "$output")
	api GET /secrets/oops
	expect_status 404
	# No terminal to prompt on: said plainly.
	run setsid -w "$SECGW_BIN/secgw" --token "$TOKEN" secret set noterm </dev/null
	[[ $status -eq 1 && $output == *"no terminal"* ]]
	printf '%s' "$PSK" >"$BATS_TEST_TMPDIR/psk"
	{
		S --token "$TOKEN" secret set fromfile "$BATS_TEST_TMPDIR/psk"
		S --token "$TOKEN" secret list
		S --token "$TOKEN" secret show fromfile
		S --token "$TOKEN" -o json secret show fromfile
		S --token "$TOKEN" -o json secret list
		S --token "$TOKEN" export
		S --token "$TOKEN" export --csv
		S --token "$TOKEN" rev list
		S --token "$TOKEN" rev diff 0
		S --token "$TOKEN" -o json rev show 1
		S --token "$TOKEN" audit
	} >"$out" 2>&1
	grep -q fromfile "$out"
	absent "$PSK" "$out" "$AGENT_LOG"
}

@test "login keeps a token (0600), never the password; logout revokes it" {
	local file=$HOME/.config/secgw/login out=$BATS_TEST_TMPDIR/login.out
	S login --user admin --password-file - <<<"$ADMIN_PASSWORD" >"$out" 2>&1
	grep -q "logged in to $AGENT_URL as admin" "$out"
	[[ $(stat -c %a "$file") == 600 ]]
	grep -q '^token=sgw_' "$file"
	grep -q "^url=$AGENT_URL" "$file"
	absent "$ADMIN_PASSWORD" "$file" "$out"
	absent "$PSK" "$file"
	# The login file is enough: no URL or token given.
	env -u SECGW_URL -u SECGW_TOKEN "$SECGW_BIN/secgw" conn list
	local token=$(sed -n 's/^token=//p' "$file")
	run S logout
	[[ $status -eq 0 && ! -e $file ]]
	API_TOKEN=$token api GET /connections
	expect_status 401
	run env -u SECGW_TOKEN "$SECGW_BIN/secgw" conn list
	[[ $status -eq 2 ]]
	# A wrong password: refused, no file.
	run S login --password-file - <<<"not-the-password"
	[[ $status -eq 2 && ! -e $file ]]
}
