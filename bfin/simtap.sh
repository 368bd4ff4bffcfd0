#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bfin/simtap.sh — run Blackfin test programs in the simulator, relay as TAP.
#
#   bfin/simtap.sh [--run CMD] [--fault 'PROG ARGS']... PROG...
#
# Each PROG is a TAP program (tests/unit/tap.h) built for Blackfin. It runs in
# CMD (default: bfin-elf-run) and its test lines are renumbered into one TAP
# stream, named "PROG: …". A program that crashes, exits non-zero, or whose
# plan does not match what it ran adds one failing test saying so: the exit
# status and the simulator's last words (e.g. "Unhandled exception 0x24 …
# (Unaligned data access)") are shown as diagnostics.
#
# Each --fault program is one that must NOT pass: it must be stopped by the
# simulator with "Unaligned data access" and exit status 4 (the chip's
# misaligned-access exception). It counts as one test.
#
# Prints the plan last and exits 0 only if every test passed. Sourced (by
# tests/bfin/suite), it only defines simtap_prog, simtap_fault and the
# counters TAP_N and TAP_FAIL, so the caller can add tests of its own.
set -u

TAP_N=${TAP_N:-0}
TAP_FAIL=${TAP_FAIL:-0}
SIMTAP_RUN=${SIMTAP_RUN:-bfin-elf-run}
# A test program stuck in a loop would hang make check: the simulator gets a
# bound. Our slowest program (the libsodium KAT, 6 X25519 operations) takes
# about a second.
SIMTAP_TIMEOUT=${SIMTAP_TIMEOUT:-120}
# Exit status bfin-elf-run gives a program stopped by a hardware exception.
SIMTAP_FAULT_RC=4

simtap_ok() { TAP_N=$((TAP_N + 1)); printf 'ok %d - %s\n' "$TAP_N" "$*"; }
simtap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAIL=$((TAP_FAIL + 1)); printf 'not ok %d - %s\n' "$TAP_N" "$*"; }
simtap_diag() { sed -e 's/^/#   /'; }

# simtap_exec OUTFILE PROG ARGS...: run in the simulator, output (both
# streams) to OUTFILE; returns the program's exit status.
simtap_exec() {
	local out=$1; shift
	# shellcheck disable=SC2086 # SIMTAP_RUN may carry options
	timeout "$SIMTAP_TIMEOUT" $SIMTAP_RUN "$@" >"$out" 2>&1 </dev/null
}

# simtap_prog PROG [ARGS...]: run one TAP program and relay its tests.
simtap_prog() {
	local prog=$1 name out rc=0 relay
	name=$(basename "$prog")
	out=$(mktemp)
	simtap_exec "$out" "$@" || rc=$?
	# Renumber ok / not ok lines, keep directives (# skip, # TODO) and the
	# diagnostics under a failing test; report the program's own plan.
	relay=$(awk -v n="$TAP_N" -v name="$name" '
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; sawplan = 1; next }
		/^(not )?ok [0-9]+/ {
			bad = ($1 == "not"); line = $0
			sub(/^(not )?ok [0-9]+( - )?/, "", line)
			n++; ran++
			if (bad && line !~ /# TODO/) failed++
			printf "%sok %d - %s: %s\n", bad ? "not " : "", n, name, line
			next
		}
		/^#/ { print; next }
		END { printf "RELAY %d %d %d %d\n", n, ran, failed, sawplan ? plan : -1 }' "$out")
	printf '%s\n' "$relay" | grep -v '^RELAY '
	local n ran failed plan
	read -r _ n ran failed plan <<<"$(printf '%s\n' "$relay" | grep '^RELAY ')"
	TAP_N=$n
	TAP_FAIL=$((TAP_FAIL + failed))
	if [ "$rc" -eq 124 ]; then
		simtap_not_ok "$name: killed after ${SIMTAP_TIMEOUT}s in the simulator"
	elif [ "$plan" -lt 0 ] || [ "$plan" -ne "$ran" ]; then
		simtap_not_ok "$name: planned ${plan/#-1/no} tests, ran $ran (exit status $rc)"
		tail -n 5 "$out" | simtap_diag
	elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
		simtap_not_ok "$name: exit status $rc with no failing test"
		tail -n 5 "$out" | simtap_diag
	fi
	rm -f "$out"
}

# simtap_fault PROG [ARGS...]: the program must die of a misaligned access.
simtap_fault() {
	local prog=$1 name out rc=0
	name=$(basename "$prog")
	if [ $# -gt 1 ]; then name="$name ${*:2}"; fi
	out=$(mktemp)
	simtap_exec "$out" "$@" || rc=$?
	if [ "$rc" -eq "$SIMTAP_FAULT_RC" ] && grep -q 'Unaligned data access' "$out"; then
		simtap_ok "$name: stopped by the simulator, \"Unaligned data access\", exit status $rc"
	else
		simtap_not_ok "$name: should fault with \"Unaligned data access\" and exit status $SIMTAP_FAULT_RC, got exit status $rc"
		tail -n 5 "$out" | simtap_diag
	fi
	rm -f "$out"
}

simtap_main() {
	local faults=() progs=() f
	while [ $# -gt 0 ]; do
		case $1 in
		--run) SIMTAP_RUN=$2; shift 2 ;;
		--fault) faults+=("$2"); shift 2 ;;
		-h | --help) sed -n '4,19p' "$0" | sed 's/^# \{0,1\}//'; return 0 ;;
		*) progs+=("$1"); shift ;;
		esac
	done
	for f in "${progs[@]}"; do
		simtap_prog "$f"
	done
	for f in "${faults[@]}"; do
		# shellcheck disable=SC2086 # 'PROG ARGS' is split on purpose
		simtap_fault $f
	done
	printf '1..%d\n' "$TAP_N"
	[ "$TAP_FAIL" -eq 0 ]
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	simtap_main "$@"
fi
