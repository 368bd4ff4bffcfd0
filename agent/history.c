// SPDX-License-Identifier: MIT
#include "agent/history.h"
#include "agent/conf.h"
#include "agent/revision.h"
#include "agent/store.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diff_init(struct diff *df, bool with_secrets)
{
	memset(df, 0, sizeof(*df));
	df->added = json_array();
	df->changed = json_array();
	df->removed = json_array();
	df->with_secrets = with_secrets;
}

void diff_free(struct diff *df)
{
	json_decref(df->added);
	json_decref(df->changed);
	json_decref(df->removed);
	df->added = df->changed = df->removed = NULL;
}

/* Paths are bounded by FIELD_PATH_MAX like every field path; a longer one is cut. */
static void join(char *out, size_t len, const char *base, const char *key)
{
	if (snprintf(out, len, "%s%s%s", base, base[0] ? "." : "", key) >= (int)len)
		out[len - 1] = '\0';
}

static void child_path(char *out, size_t len, const char *base, const char *name)
{
	if (snprintf(out, len, "%s[%s]", base, name) >= (int)len)
		out[len - 1] = '\0';
}

static void field(json_t *fields, const char *path, const json_t *o, const json_t *n)
{
	json_array_append_new(fields, json_pack("{s:s, s:O, s:O}", "path", path,
						"old", o ? o : json_null(), "new", n ? n : json_null()));
}

static const json_t *child_named(const json_t *children, const char *name, size_t *at)
{
	const json_t *c;
	size_t i;

	json_array_foreach(children, i, c)
		if (json_is_string(json_object_get(c, "name")) &&
		    strcmp(json_string_value(json_object_get(c, "name")), name) == 0) {
			if (at)
				*at = i;
			return c;
		}
	return NULL;
}

static void compare(json_t *fields, const char *base, const json_t *a, const json_t *b);

/* Children are matched by name, so a change reads "children[lan].local_ts". */
static void compare_children(json_t *fields, const char *base, const json_t *a, const json_t *b)
{
	char path[FIELD_PATH_MAX];
	json_t *order_a = json_array(), *order_b = json_array();
	const json_t *c;
	size_t i;

	json_array_foreach(a, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const json_t *other = name ? child_named(b, name, NULL) : NULL;

		child_path(path, sizeof(path), base, name ? name : "?");
		if (other) {
			compare(fields, path, c, other);
			json_array_append_new(order_a, json_string(name));
		} else {
			field(fields, path, c, NULL);
		}
	}
	json_array_foreach(b, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));

		if (!name)
			continue;
		if (child_named(a, name, NULL)) {
			json_array_append_new(order_b, json_string(name));
		} else {
			child_path(path, sizeof(path), base, name);
			field(fields, path, NULL, c);
		}
	}
	/* The same children in another order: the order is part of the configuration. */
	if (!json_equal(order_a, order_b))
		field(fields, base, order_a, order_b);
	json_decref(order_a);
	json_decref(order_b);
}

static void compare(json_t *fields, const char *base, const json_t *a, const json_t *b)
{
	char path[FIELD_PATH_MAX];
	const char *key;
	json_t *va, *vb;

	json_object_foreach((json_t *)a, key, va) {
		vb = json_object_get(b, key);
		join(path, sizeof(path), base, key);
		if (strcmp(key, "children") == 0 && json_is_array(va) && json_is_array(vb))
			compare_children(fields, path, va, vb);
		else if (json_is_object(va) && json_is_object(vb))
			compare(fields, path, va, vb);
		else if (!vb || !json_equal(va, vb))
			field(fields, path, va, vb);
	}
	json_object_foreach((json_t *)b, key, vb) {
		if (json_object_get(a, key))
			continue;
		join(path, sizeof(path), base, key);
		field(fields, path, NULL, vb);
	}
}

void diff_object(struct diff *df, const char *kind, const char *name, const json_t *old_doc,
		 const json_t *new_doc, bool value_changed)
{
	if (!df->with_secrets && strcmp(kind, "secret") == 0)
		return;
	if (!old_doc && !new_doc)
		return;
	if (!old_doc) {
		if (df->n_added++ < DIFF_LIST_MAX)
			json_array_append_new(df->added, json_pack("{s:s, s:s, s:O}", "kind", kind, "name", name,
								   "new", new_doc));
	} else if (!new_doc) {
		if (df->n_removed++ < DIFF_LIST_MAX)
			json_array_append_new(df->removed, json_pack("{s:s, s:s, s:O}", "kind", kind, "name", name,
								     "old", old_doc));
	} else {
		json_t *fields = json_array(), *e;

		compare(fields, "", old_doc, new_doc);
		if (json_array_size(fields) == 0 && !value_changed) {
			json_decref(fields);
			return;
		}
		if (df->n_changed++ >= DIFF_LIST_MAX) {
			json_decref(fields);
			return;
		}
		e = json_pack("{s:s, s:s, s:o}", "kind", kind, "name", name, "fields", fields);
		if (e && value_changed)
			json_object_set_new(e, "value_changed", json_true());
		json_array_append_new(df->changed, e);
	}
}

json_t *diff_finish(struct diff *df)
{
	json_t *out = json_pack("{s:{s:i, s:i, s:i}, s:o, s:o, s:o, s:b}",
				"summary", "added", (int)df->n_added, "changed", (int)df->n_changed,
				"removed", (int)df->n_removed,
				"added", df->added, "changed", df->changed, "removed", df->removed,
				"truncated", df->n_added > DIFF_LIST_MAX || df->n_changed > DIFF_LIST_MAX ||
					     df->n_removed > DIFF_LIST_MAX);

	df->added = df->changed = df->removed = NULL;
	return out;
}

bool history_has(struct db *d, int64_t n)
{
	static const char sql[] = "SELECT count(*) FROM revisions WHERE number = ?1";
	sqlite3_stmt *st;
	bool found = false;

	if (n < 0)
		return false;
	if (n == 0 && revision_current(d) == 0)
		return true;
	st = db_stmt(d, sql);
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, n == 0 ? 1 : n);
	if (sqlite3_step(st) == SQLITE_ROW)
		found = sqlite3_column_int64(st, 0) > 0;
	db_done(st);
	return found;
}

/* One object changed in (lo, hi]: its document at lo and at hi. */
typedef int (*span_fn)(void *ctx, const char *kind, const char *name, json_t *at_lo, json_t *at_hi,
		       bool value_changed);

static json_t *parse(const char *text)
{
	return text ? json_loads(text, 0, NULL) : NULL;
}

struct group {
	char kind[16];
	char name[80];
	char *first_old, *last_new;
	bool rewritten;		/* a secret was set while it existed */
	bool open;
};

static int flush(struct group *g, span_fn fn, void *ctx)
{
	json_t *lo, *hi;
	int rc;

	if (!g->open)
		return 0;
	lo = parse(g->first_old);
	hi = parse(g->last_new);
	rc = fn(ctx, g->kind, g->name, lo, hi, lo && hi && g->rewritten && strcmp(g->kind, "secret") == 0);
	json_decref(lo);
	json_decref(hi);
	free(g->first_old);
	free(g->last_new);
	memset(g, 0, sizeof(*g));
	return rc;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? strdup(s) : NULL;
}

static int span(struct db *d, int64_t lo, int64_t hi, span_fn fn, void *ctx)
{
	static const char sql[] =
		"SELECT kind, name, old, new FROM revision_changes WHERE revision > ?1 AND revision <= ?2 "
		"ORDER BY kind, name, revision, seq";
	sqlite3_stmt *st = db_stmt(d, sql);
	struct group g;
	int rc, out = 0;

	if (!st)
		return -1;
	memset(&g, 0, sizeof(g));
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);

		if (!g.open || strcmp(g.kind, kind) != 0 || strcmp(g.name, name) != 0) {
			if (flush(&g, fn, ctx) < 0)
				out = -1;
			snprintf(g.kind, sizeof(g.kind), "%s", kind);
			snprintf(g.name, sizeof(g.name), "%s", name);
			g.first_old = dup_col(st, 2);
			g.open = true;
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL && sqlite3_column_type(st, 3) != SQLITE_NULL)
			g.rewritten = true;
		free(g.last_new);
		g.last_new = dup_col(st, 3);
	}
	db_done(st);
	if (flush(&g, fn, ctx) < 0)
		out = -1;
	return rc == SQLITE_DONE ? out : -1;
}

struct diff_ctx {
	struct diff *df;
	bool backwards;
};

static int diff_one(void *ctx, const char *kind, const char *name, json_t *at_lo, json_t *at_hi,
		    bool value_changed)
{
	struct diff_ctx *c = ctx;

	if (c->backwards)
		diff_object(c->df, kind, name, at_hi, at_lo, value_changed);
	else
		diff_object(c->df, kind, name, at_lo, at_hi, value_changed);
	return 0;
}

int history_diff(struct db *d, int64_t a, int64_t b, struct diff *df)
{
	struct diff_ctx c = { df, a > b };

	return span(d, a < b ? a : b, a < b ? b : a, diff_one, &c);
}

/* Restoring writes while reading would disturb the SELECT: collect first. */
static int collect(void *ctx, const char *kind, const char *name, json_t *at_lo, json_t *at_hi,
		   bool value_changed)
{
	(void)at_hi;
	(void)value_changed;
	return json_array_append_new(ctx, json_pack("[s, s, O?]", kind, name, at_lo));
}

static int restore_connection(struct mutation *m, const char *name, json_t *target, struct diff *df,
			      struct ferrs *conflicts)
{
	char base[FIELD_PATH_MAX];
	json_t *cur;
	bool err;
	int before = ferrs_count(conflicts), rc = -1;

	cur = conf_conn_get(m->d, name, NULL, &err);
	if (err)
		return -1;
	if ((!cur && !target) || (cur && target && json_equal(cur, target))) {
		json_decref(cur);
		return 0;
	}
	if (target) {
		snprintf(base, sizeof(base), "connections[%s]", name);
		conf_check_refs(m->d, target, base, conflicts);
		if (ferrs_count(conflicts) > before) {
			json_decref(cur);
			return 0;
		}
	}
	if ((target ? conf_conn_put(m->d, target, m->revision) : conf_conn_delete(m->d, name)) >= 0 &&
	    mutation_change(m, "connection", name, cur, target) == 0) {
		diff_object(df, "connection", name, cur, target, false);
		rc = 0;
	}
	json_decref(cur);
	return rc;
}

int history_restore(struct mutation *m, int64_t to, struct diff *df, struct ferrs *conflicts,
		    json_t *kept, json_t *not_restored)
{
	json_t *todo = json_array(), *e;
	size_t i;
	int rc = 0;

	if (!todo || span(m->d, to, m->revision - 1, collect, todo) < 0) {
		json_decref(todo);
		return -1;
	}
	json_array_foreach(todo, i, e) {
		const char *kind = json_string_value(json_array_get(e, 0));
		const char *name = json_string_value(json_array_get(e, 1));
		json_t *target = json_array_get(e, 2);

		if (json_is_null(target))
			target = NULL;
		if (strcmp(kind, "connection") == 0) {
			if (restore_connection(m, name, target, df, conflicts) < 0)
				rc = -1;
		} else {
			char type[8];
			bool now = conf_secret_type(m->d, name, type);

			if (!target && now)
				json_array_append_new(kept, json_string(name));
			else if (target && (!now || strcmp(type, json_string_value(json_object_get(target, "type"))) != 0))
				json_array_append_new(not_restored, json_string(name));
		}
		if (rc < 0)
			break;
	}
	json_decref(todo);
	return rc;
}
