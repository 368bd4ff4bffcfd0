/* SPDX-License-Identifier: MIT */
/*
 * Commit-confirmed: a change sent with ?confirm=SECONDS is reverted by the
 * agent itself unless POST /commit/confirm arrives before the deadline. It is
 * meant for the change that might cut the operator off a remote router: if
 * they can no longer reach it to confirm, the router puts itself back.
 *
 * The pending change lives in the pending_confirm table (so a restart after
 * the deadline still reverts, at start, before serving) and, for cheap reads
 * by /health and the timer, in struct confirm_state. While a change is
 * pending every other configuration change is refused with 409, so the
 * revert restores exactly what the operator had before; the one exception is
 * a rollback to the pending change's revert_to, which is the revert done now.
 */
#ifndef SECGW_AGENT_CONFIRM_H
#define SECGW_AGENT_CONFIRM_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	CONFIRM_MIN_S = 1,
	CONFIRM_MAX_S = 24 * 3600,
};

/* The pending change as last committed; revision 0 means none. */
struct confirm_state {
	pthread_mutex_t lock;
	int64_t revision;	/* the change awaiting confirmation */
	int64_t revert_to;	/* restored at the deadline */
	int64_t deadline;	/* unix seconds */
	char author[72];
};

struct agent;
struct db;

void confirm_init(struct confirm_state *c);
void confirm_destroy(struct confirm_state *c);
void confirm_set(struct confirm_state *c, int64_t revision, int64_t revert_to, int64_t deadline,
		 const char *author);
void confirm_clear(struct confirm_state *c);
/* {"revision","revert_to","deadline","remaining_s","author"} or JSON null. */
json_t *confirm_json(struct confirm_state *c);
/* The deadline of the pending change, 0 when none. */
int64_t confirm_deadline(struct confirm_state *c);

/* At start, before serving: load the pending change and revert it now when
 * its deadline has passed (the agent was down at the time). 0 or -1. */
int confirm_start(struct agent *ag);
/* Called by the main loop about once a second: revert when the deadline has
 * passed (a failed revert is logged and tried again on the next tick). */
void confirm_tick(struct agent *ag);

/* Inside a write transaction: the pending row, false when none. */
bool confirm_read(struct db *d, int64_t *revision, int64_t *revert_to, int64_t *deadline);

#endif
