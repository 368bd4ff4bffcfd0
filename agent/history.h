/* SPDX-License-Identifier: MIT */
/*
 * The configuration through time, from revision_changes alone: what each
 * object looked like at any kept revision, the readable difference between
 * two revisions, and restoring an old revision's configuration as a new
 * change (rollback, and the commit-confirmed revert).
 *
 * revision_changes holds, per change, the whole old and new document of the
 * object. The configuration at revision n is therefore the current one with
 * every change after n undone: for each object changed in (n, now], its
 * "old" in the first such change. That needs only the revisions after n,
 * which pruning (oldest first) always keeps.
 *
 * The diff shape (answers of /revisions/{a}/diff/{b}, /revisions/{n},
 * rollback and import):
 *   {"summary": {"added": N, "changed": N, "removed": N},
 *    "added":   [{"kind": "connection"|"secret", "name", "new": {…}}],
 *    "changed": [{"kind", "name", "fields": [{"path", "old", "new"}…]
 *                 [, "value_changed": true (secrets)]}],
 *    "removed": [{"kind", "name", "old": {…}}],
 *    "truncated": false}
 * Paths name children by name: "remote_addrs", "children[lan].start_action",
 * "children[lan].manual.spi_in", "children[voice]" (a child added or removed:
 * old or new is null), "children" (only the order changed). Secrets appear as
 * {"name","type"}; their values never, only that one changed.
 */
#ifndef SECGW_AGENT_HISTORY_H
#define SECGW_AGENT_HISTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/problem.h"

enum {
	DIFF_LIST_MAX = 1000,	/* entries listed per list; the summary counts all */
};

struct db;
struct mutation;

struct diff {
	json_t *added, *changed, *removed;
	unsigned n_added, n_changed, n_removed;
	bool with_secrets;	/* viewers never see secret names */
};

void diff_init(struct diff *df, bool with_secrets);
/* Record one object (old or new NULL: added / removed; equal: nothing). */
void diff_object(struct diff *df, const char *kind, const char *name, const json_t *old_doc,
		 const json_t *new_doc, bool value_changed);
/* The diff document (see above); df is emptied. */
json_t *diff_finish(struct diff *df);
void diff_free(struct diff *df);

/*
 * Is revision n one whose configuration can be rebuilt? Kept revisions are,
 * and 0 (the empty configuration) while revision 1 is kept.
 */
bool history_has(struct db *d, int64_t n);

/* The difference from the configuration at a to the one at b (either order). */
int history_diff(struct db *d, int64_t a, int64_t b, struct diff *df);

/*
 * Inside mutation m: make the configuration that of revision `to` again.
 * Connections are put back exactly. Secrets: a rollback never destroys or
 * invents a value — a secret created since `to` is kept (named in *kept), a
 * secret deleted since is not restored (named in *not_restored), and a
 * connection that needs a secret which no longer exists (or changed type)
 * is a conflict, added to conflicts with the connection's path; the caller
 * then aborts. Each change is recorded in m and in df. 0, or -1 (fatal).
 */
int history_restore(struct mutation *m, int64_t to, struct diff *df, struct ferrs *conflicts,
		    json_t *kept, json_t *not_restored);

#endif
