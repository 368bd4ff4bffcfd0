// SPDX-License-Identifier: MIT
#include "agent/conf.h"
#include "agent/model.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *load_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s ? json_loads(s, 0, NULL) : NULL;
}

/* The document of connection id: its config plus its children in order. */
static json_t *assemble(struct db *d, int64_t id, json_t *doc)
{
	static const char sql[] = "SELECT config FROM children WHERE conn_id = ?1 ORDER BY position";
	sqlite3_stmt *st = db_stmt(d, sql);
	json_t *children = json_array();
	int rc;

	if (!st || !doc || !children) {
		json_decref(doc);
		json_decref(children);
		return NULL;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *c = load_text(st, 0);

		if (c)
			json_array_append_new(children, c);
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		json_decref(doc);
		json_decref(children);
		return NULL;
	}
	json_object_set_new(doc, "children", children);
	return doc;
}

json_t *conf_conn_get(struct db *d, const char *name, int64_t *revision, bool *err)
{
	static const char sql[] = "SELECT id, config, revision FROM connections WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	json_t *doc = NULL;
	int64_t id = 0;
	int rc;

	*err = false;
	if (!st) {
		*err = true;
		return NULL;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		doc = load_text(st, 1);
		if (revision)
			*revision = sqlite3_column_int64(st, 2);
	} else if (rc != SQLITE_DONE) {
		*err = true;
	}
	db_done(st);
	if (rc != SQLITE_ROW)
		return NULL;
	doc = assemble(d, id, doc);
	if (!doc)
		*err = true;
	return doc;
}

static int put_children(struct db *d, int64_t conn_id, const json_t *children)
{
	static const char del[] = "DELETE FROM children WHERE conn_id = ?1";
	static const char ins[] = "INSERT INTO children (conn_id, name, position, config, key_in, key_out) "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *st = db_stmt(d, del);
	const json_t *c;
	size_t i;
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, conn_id);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return -1;
	json_array_foreach(children, i, c) {
		const json_t *m = json_object_get(c, "manual");
		char *text = json_dumps(c, JSON_COMPACT);

		st = db_stmt(d, ins);
		if (!st || !text) {
			free(text);
			return -1;
		}
		sqlite3_bind_int64(st, 1, conn_id);
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(c, "name")), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		sqlite3_bind_text(st, 4, text, -1, free);
		if (m) {
			sqlite3_bind_text(st, 5, json_string_value(json_object_get(m, "key_in")), -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 6, json_string_value(json_object_get(m, "key_out")), -1, SQLITE_TRANSIENT);
		}
		rc = sqlite3_step(st);
		db_done(st);
		if (rc != SQLITE_DONE) {
			log_err("conf: child: %s", sqlite3_errmsg(db_handle(d)));
			return -1;
		}
	}
	return 0;
}

int conf_conn_put(struct db *d, const json_t *doc, int64_t revision)
{
	static const char upsert[] =
		"INSERT INTO connections (name, config, psk, created, updated, revision) "
		"VALUES (?1, ?2, ?3, ?4, ?4, ?5) "
		"ON CONFLICT(name) DO UPDATE SET config = excluded.config, psk = excluded.psk, "
		"updated = excluded.updated, revision = excluded.revision RETURNING id";
	json_t *children = json_incref(json_object_get(doc, "children"));
	const char *psk = json_string_value(json_object_get(doc, "psk"));
	sqlite3_stmt *st;
	char *text;
	int64_t id = -1;
	int rc;

	/*
	 * The row keeps the connection without its children: they are taken out
	 * for the dump and put back (last, where the model has them), instead of
	 * copying the whole object for every one of an import's thousands.
	 */
	json_object_del((json_t *)doc, "children");
	text = json_dumps(doc, JSON_COMPACT);
	if (children)
		json_object_set_new((json_t *)doc, "children", children);
	st = db_stmt(d, upsert);
	if (!st || !text) {
		free(text);
		return -1;
	}
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(doc, "name")), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, text, -1, free);
	if (psk)
		sqlite3_bind_text(st, 3, psk, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 5, revision);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else
		log_err("conf: connection: %s", sqlite3_errmsg(db_handle(d)));
	db_done(st);
	if (id < 0)
		return -1;
	return put_children(d, id, children);
}

int conf_conn_delete(struct db *d, const char *name)
{
	static const char sql[] = "DELETE FROM connections WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(db_handle(d)) > 0 ? 1 : 0;
}

int conf_conn_write(struct db *d, const char *prefix, const char *after, unsigned limit,
		    json_dump_callback_t fn, void *ctx, char *last, bool *more)
{
	/*
	 * Names are [A-Za-z0-9_.-], all below 0x7f, so "prefix" .. "prefix\x7f"
	 * is exactly the names starting with prefix, and the index serves it.
	 */
	static const char sql[] =
		"SELECT id, config, name FROM connections WHERE name > ?1 AND name >= ?2 AND name < ?3 "
		"ORDER BY name LIMIT ?4";
	sqlite3_stmt *st = db_stmt(d, sql);
	char hi[NAME_MAX_LEN + 2];
	unsigned n = 0;
	int rc;

	*more = false;
	last[0] = '\0';
	if (!st)
		return -1;
	snprintf(hi, sizeof(hi), "%s\x7f", prefix ? prefix : "");
	sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, prefix ? prefix : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, hi, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)limit + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *doc;
		int w;

		if (n == limit) {
			*more = true;
			break;
		}
		snprintf(last, NAME_MAX_LEN + 1, "%s", sqlite3_column_text(st, 2));
		doc = assemble(d, sqlite3_column_int64(st, 0), load_text(st, 1));
		if (!doc || (n && fn(",", 1, ctx) < 0)) {
			json_decref(doc);
			db_done(st);
			return -1;
		}
		w = json_dump_callback(doc, fn, ctx, JSON_COMPACT);
		json_decref(doc);
		if (w < 0) {
			db_done(st);
			return -1;
		}
		n++;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int conf_conn_each(struct db *d, int (*fn)(void *ctx, const json_t *doc), void *ctx)
{
	static const char sql[] = "SELECT id, config FROM connections ORDER BY name";
	sqlite3_stmt *st = db_stmt(d, sql);
	int rc, out = 0;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *doc = assemble(d, sqlite3_column_int64(st, 0), load_text(st, 1));

		out = doc ? fn(ctx, doc) : -1;
		json_decref(doc);
		if (out < 0)
			break;
	}
	db_done(st);
	return out < 0 || (rc != SQLITE_ROW && rc != SQLITE_DONE) ? -1 : 0;
}

bool conf_secret_type(struct db *d, const char *name, char *type)
{
	static const char sql[] = "SELECT type FROM secrets WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	bool found = false;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(type, 8, "%s", sqlite3_column_text(st, 0));
		found = true;
	}
	db_done(st);
	return found;
}

struct refs_ctx {
	struct db *d;
	struct ferrs *e;
};

static void check_one(void *ctx, const char *field, const char *secret, const char *want)
{
	struct refs_ctx *c = ctx;
	char type[8];

	if (!secret)
		return;
	if (!conf_secret_type(c->d, secret, type))
		ferrs_addf(c->e, field, "no secret named \"%s\" (create it with PUT /api/v1/secrets/%s)",
			   secret, secret);
	else if (strcmp(type, want) != 0)
		ferrs_addf(c->e, field, "secret \"%s\" is of type %s, a %s is needed here", secret, type, want);
}

void conf_check_refs(struct db *d, const json_t *conn, const char *base, struct ferrs *e)
{
	struct refs_ctx c = { d, e };

	model_connection_refs(conn, base, check_one, &c);
}

void conf_check_child_refs(struct db *d, const json_t *child, const char *base, struct ferrs *e)
{
	struct refs_ctx c = { d, e };

	model_child_refs(child, base, check_one, &c);
}

json_t *conf_secret_users(struct db *d, const char *name)
{
	static const char sql[] =
		"SELECT name FROM connections WHERE psk = ?1 UNION ALL "
		"SELECT c.name || '/' || ch.name FROM children ch JOIN connections c ON c.id = ch.conn_id "
		"WHERE ch.key_in = ?1 OR ch.key_out = ?1 LIMIT 20";
	sqlite3_stmt *st = db_stmt(d, sql);
	json_t *out = json_array();

	if (!st)
		return out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_string((const char *)sqlite3_column_text(st, 0)));
	db_done(st);
	return out;
}
