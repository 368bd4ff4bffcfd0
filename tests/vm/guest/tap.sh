# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# TAP for guest test cases (run by bash; POSIX sh plus local). Every case
# sources this first:
#
#	. /vm/lib/tap.sh
#	tap_plan 3                        optional; the runner checks the count
#	tap_ok "gateway answers"          pass / tap_not_ok "…" fail
#	tap_check "module loads" insmod "$VM_BUILD/kmod/linux/secgw_esp.ko"
#	tap_is "$got" "1" "version is 1"
#	tap_skip "IPv6" "no IPv6 in this kernel"
#	tap_diag "free text" / … | tap_diag
#
# Lines go straight to the TAP channel (the VM's second serial port, set by
# the runner as VM_TAP), prefixed with the case name, unnumbered: the host
# numbers them and adds the plan. Subshells of a case may test side by side
# (each line is one write; the count is kept by appending single bytes). A case's own stdout and stderr go to its
# log, $VM_RESULTS/log, which comes back to the host with the results.
# Outside the VM (a case run by hand) TAP goes to stdout.

: "${VM_CASE:=${0##*/}}"
: "${VM_TAP:=/dev/stdout}"
: "${VM_STATE:=/tmp/vm-state.$$}"
mkdir -p "$VM_STATE"

_tap_line() {
	local up _
	read -r up _ </proc/uptime
	printf '%s - %s: %s\n' "$1" "$VM_CASE" "$2" >>"$VM_TAP"
	# The same line in the case's log, with the guest's clock for profiling.
	printf '%s - %s [%ss]\n' "$1" "$2" "$up"
	printf x >>"$VM_STATE/count"
}

tap_plan() {
	printf '%s\n' "$1" >"$VM_STATE/plan"
}

tap_ok() {
	_tap_line ok "$*"
}

tap_not_ok() {
	_tap_line "not ok" "$*"
	printf x >>"$VM_STATE/failed"
}

# tap_diag TEXT... | tap_diag : diagnostics under the last test line.
tap_diag() {
	if [ $# -gt 0 ]; then
		printf '%s\n' "$*"
	else
		cat
	fi | sed 's/^/#   /' | tee -a "$VM_TAP"
}

# tap_check DESC CMD... : pass when CMD exits 0; on failure show the tail of
# its output (all of it is in the case log either way).
tap_check() {
	local desc=$1 out=$VM_STATE/check.$BASHPID.out rc
	shift
	"$@" >"$out" 2>&1
	rc=$?
	_tap_cat "$out"
	if [ "$rc" -eq 0 ]; then
		tap_ok "$desc"
		return 0
	fi
	tap_not_ok "$desc"
	{ echo "command: $* (exit status $rc)"; tail -n 15 "$out"; } | tap_diag
	return 1
}

# _tap_cat FILE : cat without an exec (each one counts under TCG).
_tap_cat() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
	done <"$1"
}

# tap_is GOT WANT DESC
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_ok "$3"
		return 0
	fi
	tap_not_ok "$3"
	tap_diag "got '$1', want '$2'"
	return 1
}

tap_skip() {
	_tap_line ok "$1 # SKIP $2"
}

# tap_failed: true when this case has failed a test so far.
tap_failed() {
	[ -s "$VM_STATE/failed" ]
}

# wait_until SECONDS CMD... : poll CMD every 50 ms until it succeeds; fail
# (with a message on stderr) when SECONDS pass first. Never a bare sleep.
wait_until() {
	local deadline=$(($(_vm_now_ms) + $1 * 1000))
	shift
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(_vm_now_ms)" -ge "$deadline" ]; then
			echo "wait_until: timed out: $*" >&2
			return 1
		fi
		sleep 0.05
	done
}

_vm_now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}
