// SPDX-License-Identifier: MIT
#include "agent/revision.h"
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/http.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t revision_current(struct db *d)
{
	return db_int(d, "SELECT COALESCE(MAX(number), 0) FROM revisions", 0);
}

int mutation_begin(struct mutation *m, struct req *r, const char *action, const char *target)
{
	static const char sql[] =
		"INSERT INTO revisions (number, time, author, source, comment, summary) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	const char *comment = req_header(r, COMMENT_HEADER);
	char summary[sizeof(m->action) + sizeof(m->target) + 2];
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof(*m));
	m->r = r;
	m->d = store_db(r->ag->store);
	snprintf(m->action, sizeof(m->action), "%s", action);
	snprintf(m->target, sizeof(m->target), "%s", target ? target : "");
	if (!m->d || store_write_begin(m->d) < 0)
		return -1;
	m->revision = revision_current(m->d) + 1;
	snprintf(summary, sizeof(summary), "%s %s", m->action, m->target);
	st = db_stmt(m->d, sql);
	if (!st) {
		store_rollback(m->d);
		return -1;
	}
	sqlite3_bind_int64(st, 1, m->revision);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	sqlite3_bind_text(st, 3, r->who.name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, comment ? comment : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, summary, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE) {
		log_err("revision: %s", sqlite3_errmsg(db_handle(m->d)));
		store_rollback(m->d);
		return -1;
	}
	return 0;
}

int mutation_change(struct mutation *m, const char *kind, const char *name,
		    const json_t *old_doc, const json_t *new_doc)
{
	static const char sql[] =
		"INSERT INTO revision_changes (revision, seq, kind, name, old, new) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = db_stmt(m->d, sql);
	char *o = old_doc ? json_dumps(old_doc, JSON_COMPACT) : NULL;
	char *n = new_doc ? json_dumps(new_doc, JSON_COMPACT) : NULL;
	int rc;

	if (!st || (old_doc && !o) || (new_doc && !n)) {
		free(o);
		free(n);
		return -1;
	}
	sqlite3_bind_int64(st, 1, m->revision);
	sqlite3_bind_int(st, 2, (int)++m->seq);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
	if (o)
		sqlite3_bind_text(st, 5, o, -1, free);
	else
		sqlite3_bind_null(st, 5);
	if (n)
		sqlite3_bind_text(st, 6, n, -1, free);
	else
		sqlite3_bind_null(st, 6);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE) {
		log_err("revision: change: %s", sqlite3_errmsg(db_handle(m->d)));
		return -1;
	}
	return 0;
}

static void published(void *ctx)
{
	struct mutation *m = ctx;
	struct agent *ag = m->r->ag;
	const char *comment = req_header(m->r, COMMENT_HEADER);

	atomic_store(&ag->revision, m->revision);
	events_publish(&ag->events, "revision",
		       json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "revision", (json_int_t)m->revision,
				 "author", m->r->who.name, "action", m->action, "target", m->target,
				 "comment", comment ? comment : "", "time", (json_int_t)time(NULL)));
}

int mutation_commit(struct mutation *m, unsigned status)
{
	if (audit_write(m->d, m->r, NULL, m->action, m->target, status, m->revision, "") < 0) {
		store_rollback(m->d);
		return -1;
	}
	return store_commit_then(m->d, published, m);
}

void mutation_abort(struct mutation *m)
{
	if (m->d)
		store_rollback(m->d);
}
