// SPDX-License-Identifier: MIT
#include "agent/revision.h"
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/confirm.h"
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

/*
 * ?confirm=SECONDS: 0 when absent, -1 (answered 400) when it is not a
 * number in range or asks the impossible.
 */
static int64_t confirm_param(struct req *r, const char *action)
{
	const char *s = req_query(r, "confirm");
	char *end;
	long long v;

	if (!s)
		return 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || v < CONFIRM_MIN_S || v > CONFIRM_MAX_S) {
		reply_problemf(r, P_BAD_REQUEST, "confirm must be %d to %d seconds", CONFIRM_MIN_S, CONFIRM_MAX_S);
		return -1;
	}
	/* A revert could restore a secret's name and type but never its old value. */
	if (strncmp(action, "secret.", 7) == 0) {
		reply_problemf(r, P_BAD_REQUEST, "a secret cannot be changed with confirm: no revert could "
			       "bring its old value back (values are never kept in the history)");
		return -1;
	}
	return v;
}

static int begin(struct mutation *m, const char *action, const char *target)
{
	static const char sql[] =
		"INSERT INTO revisions (number, time, author, source, comment, summary) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	char summary[sizeof(m->action) + sizeof(m->target) + 2];
	sqlite3_stmt *st;
	int rc;

	snprintf(m->action, sizeof(m->action), "%s", action);
	snprintf(m->target, sizeof(m->target), "%s", target ? target : "");
	m->d = store_db(m->ag->store);
	if (!m->d || store_write_begin(m->d) < 0) {
		m->d = NULL;
		return -1;
	}
	if (confirm_read(m->d, &m->pending_revision, &m->pending_revert_to, &m->pending_deadline) &&
	    !(m->flags & MUT_PENDING_OK)) {
		char when[32];
		time_t t = (time_t)m->pending_deadline;
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		store_rollback(m->d);
		m->d = NULL;
		if (m->r)
			reply_problemf(m->r, P_CONFLICT,
				       "revision %lld awaits confirmation until %s: no other change is accepted "
				       "until it is confirmed (POST /api/v1/commit/confirm) or reverted",
				       (long long)m->pending_revision, when);
		return -1;
	}
	m->revision = revision_current(m->d) + 1;
	snprintf(summary, sizeof(summary), "%s %s", m->action, m->target);
	st = db_stmt(m->d, sql);
	if (!st) {
		mutation_abort(m);
		return -1;
	}
	sqlite3_bind_int64(st, 1, m->revision);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	sqlite3_bind_text(st, 3, m->author, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, m->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, m->comment, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, summary, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE) {
		log_err("revision: %s", sqlite3_errmsg(db_handle(m->d)));
		mutation_abort(m);
		return -1;
	}
	return 0;
}

int mutation_begin_flags(struct mutation *m, struct req *r, const char *action, const char *target,
			 unsigned flags)
{
	const char *comment = req_header(r, COMMENT_HEADER);

	memset(m, 0, sizeof(*m));
	m->ag = r->ag;
	m->r = r;
	m->flags = flags;
	snprintf(m->author, sizeof(m->author), "%s", r->who.name);
	snprintf(m->source, sizeof(m->source), "%s", r->source);
	snprintf(m->comment, sizeof(m->comment), "%s", comment ? comment : "");
	m->confirm_s = confirm_param(r, action);
	if (m->confirm_s < 0)
		return -1;
	return begin(m, action, target);
}

int mutation_begin(struct mutation *m, struct req *r, const char *action, const char *target)
{
	return mutation_begin_flags(m, r, action, target, 0);
}

int mutation_begin_system(struct mutation *m, struct agent *ag, const char *action, const char *target,
			  const char *comment, unsigned flags)
{
	memset(m, 0, sizeof(*m));
	m->ag = ag;
	m->flags = flags;
	snprintf(m->author, sizeof(m->author), "(agent)");
	snprintf(m->source, sizeof(m->source), "local");
	snprintf(m->comment, sizeof(m->comment), "%s", comment ? comment : "");
	return begin(m, action, target);
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

/*
 * The one place where a committed revision becomes the agent's: called with
 * the write lock still held, so whatever it publishes is ordered like the
 * commits. The engine thread is told to load the new configuration into
 * secgw-iked (rollbacks and commit-confirmed reverts are revisions too).
 */
static void revision_committed(void *ctx)
{
	struct mutation *m = ctx;
	struct agent *ag = m->ag;
	json_t *ev;

	atomic_store(&ag->revision, m->revision);
	if (m->confirm_s)
		confirm_set(&ag->confirm, m->revision, m->revision - 1, m->deadline, m->author);
	else if (m->flags & MUT_ENDS_CONFIRM)
		confirm_clear(&ag->confirm);
	ev = json_pack("{s:I, s:s, s:s, s:s, s:s, s:I}", "revision", (json_int_t)m->revision,
		       "author", m->author, "action", m->action, "target", m->target,
		       "comment", m->comment, "time", (json_int_t)time(NULL));
	if (ev && m->confirm_s)
		json_object_set_new(ev, "confirm_deadline", json_integer(m->deadline));
	events_publish(&ag->events, "revision", ev);
	engine_config_changed(ag->engine);
}

/* Keep the newest history_max revisions, and always the one a pending confirm reverts to. */
static int prune(struct mutation *m)
{
	static const char sql[] =
		"DELETE FROM revisions WHERE number <= ?1 - ?2 AND "
		"number < COALESCE((SELECT revert_to FROM pending_confirm WHERE id = 1), ?1)";
	sqlite3_stmt *st = db_stmt(m->d, sql);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, m->revision);
	sqlite3_bind_int64(st, 2, m->ag->history_max ? m->ag->history_max : HISTORY_DEFAULT);
	rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int pending_write(struct mutation *m)
{
	static const char ins[] =
		"INSERT INTO pending_confirm (id, revision, revert_to, deadline, author, source, created) "
		"VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)";
	static const char del[] = "DELETE FROM pending_confirm";
	sqlite3_stmt *st;
	int rc;

	if (m->flags & MUT_ENDS_CONFIRM)
		return db_exec(m->d, del);
	if (!m->confirm_s)
		return 0;
	m->deadline = (int64_t)time(NULL) + m->confirm_s;
	st = db_stmt(m->d, ins);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, m->revision);
	sqlite3_bind_int64(st, 2, m->revision - 1);
	sqlite3_bind_int64(st, 3, m->deadline);
	sqlite3_bind_text(st, 4, m->author, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, m->source, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int mutation_commit(struct mutation *m, unsigned status)
{
	if (pending_write(m) < 0 || prune(m) < 0 ||
	    audit_write(m->d, m->r, m->author, m->action, m->target, status, m->revision, m->comment) < 0) {
		log_err("revision: %s", sqlite3_errmsg(db_handle(m->d)));
		mutation_abort(m);
		return -1;
	}
	if (store_commit_then(m->d, revision_committed, m) < 0) {
		m->d = NULL;
		return -1;
	}
	m->d = NULL;
	if (m->r && m->confirm_s) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)m->deadline);
		reply_header(m->r, "X-Secgw-Confirm-Deadline", v);
	}
	return 0;
}

void mutation_abort(struct mutation *m)
{
	if (m->d)
		store_rollback(m->d);
	m->d = NULL;
}
