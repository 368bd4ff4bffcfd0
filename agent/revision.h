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
 */
#ifndef SECGW_AGENT_REVISION_H
#define SECGW_AGENT_REVISION_H

#include <jansson.h>
#include <stdint.h>

#include "agent/store.h"

enum {
	REVISION_COMMENT_MAX = 256,	/* bytes of X-Secgw-Comment */
};

#define COMMENT_HEADER "X-Secgw-Comment"

struct req;

struct mutation {
	struct req *r;
	struct db *d;
	int64_t revision;
	unsigned seq;
	char action[48];
	char target[160];
};

int mutation_begin(struct mutation *m, struct req *r, const char *action, const char *target);
/* old or new may be NULL (added / removed). */
int mutation_change(struct mutation *m, const char *kind, const char *name,
		    const json_t *old_doc, const json_t *new_doc);
/* Commit; status is what the request will answer (for the audit row). */
int mutation_commit(struct mutation *m, unsigned status);
void mutation_abort(struct mutation *m);

/* The current revision number as stored (0 before the first mutation). */
int64_t revision_current(struct db *d);

#endif
