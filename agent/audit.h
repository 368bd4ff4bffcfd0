/* SPDX-License-Identifier: MIT */
/* The audit log: who did what, when, from where, with what outcome. */
#ifndef SECGW_AGENT_AUDIT_H
#define SECGW_AGENT_AUDIT_H

#include <stdint.h>

struct db;
struct req;

/*
 * Append one row. Inside a write transaction it joins it (so a mutation and
 * its audit row land together); otherwise it is its own transaction.
 * user may be NULL (the request's user, or "" when none).
 */
int audit_write(struct db *d, struct req *r, const char *user, const char *action,
		const char *target, unsigned status, int64_t revision, const char *detail);

#endif
