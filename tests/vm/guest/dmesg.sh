# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Kernel log checks: a test fails when the kernel log gained a warning, an
# oops, a BUG, a sanitizer report, a leak or a stall since a mark.
#
#	m=$(dmesg_mark)
#	… load, unload, send traffic …
#	dmesg_check "$m" "kernel log clean after 50 loads"
#
# The runner also checks the log after every case on its own, so a case
# only needs dmesg_check to pin a failure to a step. The kernel ring buffer
# is 1 MiB (log_buf_len on the VM's command line), which no run fills, so
# a line count is a stable mark.

# What the kernel prints when something is wrong with it or with a module:
# WARN_ON splats, BUG/oops, refcount and list corruption, sanitizers, hung
# tasks and RCU stalls, netdev refcount leaks on unregister, crashing
# userspace (segfault lines from the kernel).
DMESG_BAD='WARNING:|BUG[: ]|Oops|general protection fault|Call Trace|RIP: |UBSAN:|KASAN:|kmemleak|memory leak|refcount_t:|list_(add|del) corruption|stack-protector|Kernel panic|unregister_netdevice: waiting|rcu.*detected stall|blocked for more than|segfault at|double free'

dmesg_mark() {
	dmesg | wc -l
}

# dmesg_since MARK: the kernel log lines printed after MARK.
dmesg_since() {
	dmesg | tail -n +"$(($1 + 1))"
}

# dmesg_bad MARK: the offending lines since MARK (nothing when clean).
dmesg_bad() {
	dmesg_since "$1" | grep -E "$DMESG_BAD"
}

# dmesg_check MARK DESC: one test line; on failure the offending lines and
# the context around the first of them follow as diagnostics.
dmesg_check() {
	local bad
	bad=$(dmesg_bad "$1")
	if [ -z "$bad" ]; then
		tap_ok "$2"
		return 0
	fi
	tap_not_ok "$2"
	dmesg_since "$1" | grep -E -m 1 -A 25 "$DMESG_BAD" | tap_diag
	return 1
}
