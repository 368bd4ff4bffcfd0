# SPDX-License-Identifier: MIT
# Shared helpers for the Bats suites: `load helpers` at the top of a .bats file.
#
# Conventions every suite follows:
# - binaries come from $SECGW_BUILD/bin (tests/run sets SECGW_BUILD; a suite run
#   by hand defaults to build/check);
# - anything global (network namespaces, veth names, ports) carries a per-run
#   unique suffix, so two runs on one machine never collide;
# - nothing sleeps to synchronise: wait_until polls a condition with a timeout.

SECGW_ROOT=${SECGW_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
SECGW_BUILD=${SECGW_BUILD:-$SECGW_ROOT/build/check}
SECGW_BIN=$SECGW_BUILD/bin
export SECGW_ROOT SECGW_BUILD SECGW_BIN

# A short unique tag for this test file's run: names of namespaces and links
# (veth names are limited to 15 characters, so keep prefixes to 5 or fewer).
run_tag() {
	if [[ -z ${SECGW_RUN_TAG:-} ]]; then
		SECGW_RUN_TAG=$(printf '%04x%04x' $((RANDOM)) $(($$ & 0xffff)))
		export SECGW_RUN_TAG
	fi
	printf '%s' "$SECGW_RUN_TAG"
}

# netns_file_cleanup: teardown_file of a file whose setup_file made network
# namespaces (as root, with tests/tools/netns.bash): remove them and what
# runs in them.
netns_file_cleanup() {
	[[ $(id -u) -eq 0 ]] || return 0
	source "$SECGW_ROOT/tests/tools/netns.bash"
	netns_cleanup
}

# wait_until SECONDS COMMAND... : poll COMMAND every 50 ms until it succeeds;
# fail (with the command in the message) when SECONDS pass first.
wait_until() {
	local timeout=$1; shift
	local deadline=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			echo "wait_until: timed out after ${timeout}s: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# require_root: skip the test (with the reason) unless we can make namespaces.
require_root() {
	if [[ $(id -u) -ne 0 ]]; then
		skip "needs root (network namespaces)"
	fi
}

# require_cmd CMD...: skip unless every command exists.
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# pid_alive PID
pid_alive() {
	[[ -n $1 ]] && kill -0 "$1" 2>/dev/null
}

# stop_pid PID [SECONDS]: SIGTERM, wait, then SIGKILL; only the pid given.
stop_pid() {
	local pid=$1 t=${2:-10}
	pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	wait_until "$t" eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}
