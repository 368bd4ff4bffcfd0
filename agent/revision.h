/* SPDX-License-Identifier: MIT */
/*
 * A mutation of the configuration: one write transaction that inserts one
 * row in `revisions` (number, author, time, source, comment from the
 * X-Secgw-Comment header), one row in `revision_changes` per object changed
 * (whole old and new documents; secrets by name and type only), one audit
 * row, and on commit moves the global revision and publishes a "revision"
 * event. Either all of it lands or none of it.
 *
 *	struct mutation m;
 *	if (mutation_begin(&m, r, "connection.create", name) < 0) return H_FATAL;
 *	… store changes, mutation_change(&m, "connection", name, old, new) …
 *	mutation_commit(&m, 201);   or   mutation_abort(&m);
 *
 * mutation_begin also carries commit-confirmed (agent/confirm.h): it reads
 * ?confirm=SECONDS (400 when malformed, or on a secret, whose value no revert
 * could restore) and refuses every change while another awaits confirmation
 * (409). In those cases it has answered the request itself and returns -1;
 * the caller returns H_FATAL as for any failure, which the HTTP core treats
 * as answered because a status was sent.
 *
 * Every commit ends in revision_committed (revision.c): the one place where
 * "a new revision of the configuration exists" happens — the global counter,
 * the event, and (issue 7) the push to secgw-iked.
 */
#ifndef SECGW_AGENT_REVISION_H
#define SECGW_AGENT_REVISION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/store.h"

enum {
	REVISION_COMMENT_MAX = 256,	/* bytes of X-Secgw-Comment */
	HISTORY_DEFAULT = 1000,		/* revisions kept (--history) */
	HISTORY_MIN = 1,
	HISTORY_MAX = 1000000,
};

#define COMMENT_HEADER "X-Secgw-Comment"

enum mutation_flags {
	/* The caller deals with a pending confirm itself (rollback, the revert):
	 * mutation_begin does not refuse, and fills m->pending_*. */
	MUT_PENDING_OK = 1 << 0,
	/* This change settles the pending confirm (the revert, or a rollback to
	 * its revert_to): the pending row goes with the commit. */
	MUT_ENDS_CONFIRM = 1 << 1,
};

struct req;
struct agent;

struct mutation {
	struct agent *ag;
	struct req *r;		/* NULL: the agent's own change (a commit-confirmed revert) */
	struct db *d;
	int64_t revision;
	unsigned seq;		/* rows written to revision_changes */
	unsigned flags;		/* enum mutation_flags */
	int64_t confirm_s;	/* ?confirm=SECONDS; 0: an ordinary change */
	int64_t deadline;	/* set at commit when confirm_s */
	int64_t pending_revision, pending_revert_to, pending_deadline;	/* MUT_PENDING_OK */
	char action[48];
	char target[160];
	char author[72];
	char source[64];
	char comment[REVISION_COMMENT_MAX + 1];
};

int mutation_begin(struct mutation *m, struct req *r, const char *action, const char *target);
int mutation_begin_flags(struct mutation *m, struct req *r, const char *action, const char *target,
			 unsigned flags);
/* The agent's own change: no request, author "(agent)". */
int mutation_begin_system(struct mutation *m, struct agent *ag, const char *action, const char *target,
			  const char *comment, unsigned flags);
/* old or new may be NULL (added / removed). */
int mutation_change(struct mutation *m, const char *kind, const char *name,
		    const json_t *old_doc, const json_t *new_doc);
/* Commit; status is what the request will answer (for the audit row). */
int mutation_commit(struct mutation *m, unsigned status);
void mutation_abort(struct mutation *m);

/* The current revision number as stored (0 before the first mutation). */
int64_t revision_current(struct db *d);

#endif
