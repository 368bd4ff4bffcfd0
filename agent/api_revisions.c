// SPDX-License-Identifier: MIT
/*
 * /revisions, /revisions/{n}, /revisions/{a}/diff/{b}, /revisions/{n}/rollback:
 * the history of the configuration (agent/history.h has the diff shape).
 * Viewers read history too, but never a secret's name: secret entries are
 * left out of their diffs and summaries.
 */
#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/history.h"
#include "agent/revision.h"
#include "agent/routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A revision number from the path; false (400 answered) when it is not one. */
static bool number_param(struct req *r, unsigned i, int64_t *out)
{
	const char *s = req_param(r, i);
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v < 0) {
		reply_problemf(r, P_BAD_REQUEST, "%s is not a revision number", s);
		return false;
	}
	*out = v;
	return true;
}

static bool sees_secrets(struct req *r)
{
	return r->who.role >= ROLE_OPERATOR;
}

/* "secret.set hqkey" reads "secret.set" to a viewer. */
static json_t *summary_for(struct req *r, const char *summary)
{
	if (!sees_secrets(r) && strncmp(summary, "secret.", 7) == 0)
		return json_stringn(summary, strcspn(summary, " "));
	return json_string(summary);
}

static json_t *revision_row(struct req *r, sqlite3_stmt *st, int64_t pending)
{
	int64_t n = sqlite3_column_int64(st, 0);

	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:I, s:b}", "number", (json_int_t)n,
			 "time", (json_int_t)sqlite3_column_int64(st, 1),
			 "author", sqlite3_column_text(st, 2), "source", sqlite3_column_text(st, 3),
			 "comment", sqlite3_column_text(st, 4),
			 "summary", summary_for(r, (const char *)sqlite3_column_text(st, 5)),
			 "changes", (json_int_t)sqlite3_column_int64(st, 6), "pending_confirm", n == pending);
}

#define REVISION_COLUMNS \
	"number, time, author, source, comment, summary, " \
	"(SELECT count(*) FROM revision_changes c WHERE c.revision = number)"

enum hres api_revisions_list(struct req *r)
{
	static const char sql[] =
		"SELECT " REVISION_COLUMNS " FROM revisions WHERE number < ?1 ORDER BY number DESC LIMIT ?2";
	struct db *d = store_db(r->ag->store);
	long long limit, before;
	json_t *items, *pending, *body;
	sqlite3_stmt *st;
	unsigned n = 0;
	bool more = false;

	if (!d)
		return H_FATAL;
	if (!list_number_params(r, &limit, &before))
		return H_ANSWERED;
	pending = confirm_json(&r->ag->confirm);
	if (db_read_begin(d) < 0) {
		json_decref(pending);
		return H_FATAL;
	}
	st = db_stmt(d, sql);
	if (!st) {
		db_read_end(d);
		json_decref(pending);
		return H_FATAL;
	}
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, limit + 1);
	items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			more = true;
			break;
		}
		json_array_append_new(items, revision_row(r, st, json_integer_value(json_object_get(pending,
									"revision"))));
	}
	db_done(st);
	body = json_pack("{s:o, s:I, s:I, s:I, s:o}", "items", items,
			 "current", (json_int_t)revision_current(d),
			 "oldest", (json_int_t)db_int(d, "SELECT COALESCE(MIN(number), 0) FROM revisions", 0),
			 "history_max", (json_int_t)r->ag->history_max, "pending_confirm", pending);
	db_read_end(d);
	if (body) {
		char next[24];

		snprintf(next, sizeof(next), "%lld", (long long)json_integer_value(json_object_get(
			json_array_get(items, json_array_size(items) - 1), "number")));
		json_object_set_new(body, "next_cursor", more ? json_string(next) : json_null());
	}
	return reply_json_tagged(r, body, NULL);
}

enum hres api_revision_get(struct req *r)
{
	static const char sql[] = "SELECT " REVISION_COLUMNS " FROM revisions WHERE number = ?1";
	struct db *d = store_db(r->ag->store);
	json_t *row = NULL, *pending;
	struct diff df;
	sqlite3_stmt *st;
	int64_t n;

	if (!d)
		return H_FATAL;
	if (!number_param(r, 0, &n))
		return H_ANSWERED;
	pending = confirm_json(&r->ag->confirm);
	if (db_read_begin(d) < 0) {
		json_decref(pending);
		return H_FATAL;
	}
	st = db_stmt(d, sql);
	if (st) {
		sqlite3_bind_int64(st, 1, n);
		if (sqlite3_step(st) == SQLITE_ROW)
			row = revision_row(r, st, json_integer_value(json_object_get(pending, "revision")));
		db_done(st);
	}
	json_decref(pending);
	if (!row) {
		db_read_end(d);
		return st ? reply_problemf(r, P_NOT_FOUND, "no revision %lld in the history", (long long)n) : H_FATAL;
	}
	diff_init(&df, sees_secrets(r));
	if (history_diff(d, n - 1, n, &df) < 0) {
		db_read_end(d);
		diff_free(&df);
		json_decref(row);
		return H_FATAL;
	}
	db_read_end(d);
	json_object_set_new(row, "diff", diff_finish(&df));
	return reply_json_tagged(r, row, NULL);
}

/* 404 naming what is kept when n cannot be rebuilt. */
static enum hres not_kept(struct req *r, struct db *d, int64_t n)
{
	return reply_problemf(r, P_NOT_FOUND, "revision %lld is not in the history (kept: %lld to %lld)",
			      (long long)n, (long long)db_int(d, "SELECT COALESCE(MIN(number), 0) FROM revisions", 0),
			      (long long)revision_current(d));
}

enum hres api_revisions_diff(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	struct diff df;
	int64_t a, b;
	json_t *body;

	if (!d)
		return H_FATAL;
	if (!number_param(r, 0, &a) || !number_param(r, 1, &b))
		return H_ANSWERED;
	if (db_read_begin(d) < 0)
		return H_FATAL;
	if (!history_has(d, a) || !history_has(d, b)) {
		enum hres h = not_kept(r, d, history_has(d, a) ? b : a);

		db_read_end(d);
		return h;
	}
	diff_init(&df, sees_secrets(r));
	if (history_diff(d, a, b, &df) < 0) {
		db_read_end(d);
		diff_free(&df);
		return H_FATAL;
	}
	db_read_end(d);
	body = diff_finish(&df);
	json_object_set_new(body, "from", json_integer(a));
	json_object_set_new(body, "to", json_integer(b));
	return reply_json_tagged(r, body, NULL);
}

enum hres api_revision_rollback(struct req *r)
{
	struct mutation m;
	struct diff df;
	struct ferrs conflicts;
	json_t *kept = json_array(), *not_restored = json_array(), *body;
	char target[48];
	int64_t n;
	enum hres h = H_FATAL;

	if (!number_param(r, 0, &n)) {
		json_decref(kept);
		json_decref(not_restored);
		return H_ANSWERED;
	}
	diff_init(&df, sees_secrets(r));
	ferrs_init(&conflicts);
	snprintf(target, sizeof(target), "to %lld", (long long)n);
	if (mutation_begin_flags(&m, r, "revision.rollback", target, MUT_PENDING_OK) < 0)
		goto out;
	if (m.pending_revision) {
		/* While a change awaits confirmation the only rollback is its revert, done now. */
		if (n != m.pending_revert_to || m.confirm_s) {
			h = reply_problemf(r, P_CONFLICT, "revision %lld awaits confirmation: the only rollback "
					   "accepted now is to %lld (its revert, done at once), without confirm",
					   (long long)m.pending_revision, (long long)m.pending_revert_to);
			goto out;
		}
		m.flags |= MUT_ENDS_CONFIRM;
	}
	if (!history_has(m.d, n)) {
		h = not_kept(r, m.d, n);
		goto out;
	}
	if (history_restore(&m, n, &df, &conflicts, kept, not_restored) < 0)
		goto out;
	if (ferrs_count(&conflicts)) {
		h = reply_problem(r, P_CONFLICT, "the configuration of that revision needs secrets that no longer "
				  "exist (or changed type); set them again and retry", ferrs_take(&conflicts));
		goto out;
	}
	body = json_pack("{s:I, s:o, s:o}", "rolled_back_to", (json_int_t)n, "secrets_kept", kept,
			 "secrets_not_restored", not_restored);
	kept = not_restored = NULL;
	if (!m.seq && !(m.flags & MUT_ENDS_CONFIRM)) {
		/* Already that configuration: no empty revision. */
		mutation_abort(&m);
		json_object_set_new(body, "revision", json_integer(atomic_load(&r->ag->revision)));
		json_object_set_new(body, "diff", diff_finish(&df));
		h = reply_json(r, 200, body);
		goto out;
	}
	if (mutation_commit(&m, 200) < 0) {
		json_decref(body);
		goto out;
	}
	events_publish(&r->ag->events, "rolled-back",
		       json_pack("{s:I, s:I, s:s, s:s}", "revision", (json_int_t)m.revision, "to", (json_int_t)n,
				 "reason", "rollback", "author", m.author));
	json_object_set_new(body, "revision", json_integer(m.revision));
	json_object_set_new(body, "diff", diff_finish(&df));
	h = reply_json(r, 200, body);
out:
	mutation_abort(&m);
	diff_free(&df);
	ferrs_free(&conflicts);
	json_decref(kept);
	json_decref(not_restored);
	return h;
}
