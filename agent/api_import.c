// SPDX-License-Identifier: MIT
/*
 * POST /import: many connections in one change. The body is /export's JSON
 * (application/json) or CSV (text/csv). Every connection is validated before
 * anything is written, and every error is reported at once, named by JSON
 * path or by CSV row and column. Then one transaction, one revision: merge
 * adds and updates; replace also removes the connections the document lacks.
 * Secrets are never created or removed by an import (a document carries no
 * values): the ones it names must exist. dry_run=true answers the diff and
 * writes nothing.
 */
#include "agent/agent.h"
#include "agent/bulk.h"
#include "agent/conf.h"
#include "agent/history.h"
#include "agent/model.h"
#include "agent/revision.h"
#include "agent/routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What an import works on: each connection with where it came from. */
struct doc_set {
	struct db *d;
	json_t *docs;	/* normalised documents, in document order */
	json_t *rows;	/* CSV: per document, its rows; JSON: NULL */
	json_t *names;	/* name -> index, for duplicates and replace */
	bool csv;
};

/* An error about document i at path (relative to the document). */
static void doc_error(struct doc_set *s, size_t i, struct ferrs *e, const char *path, const char *msg)
{
	char full[FIELD_PATH_MAX], base[32];

	if (s->csv) {
		bulk_csv_error(e, json_array_get(s->rows, i), path, msg);
		return;
	}
	snprintf(base, sizeof(base), "connections[%zu]", i);
	field_key(full, base, path);
	ferrs_add(e, path[0] ? full : base, msg);
}

/* Move the errors of one document (paths relative to it) into e. */
static void move_errors(struct doc_set *s, size_t i, struct ferrs *tmp, struct ferrs *e)
{
	const json_t *it;
	size_t k;

	json_array_foreach(tmp->list, k, it)
		doc_error(s, i, e, json_string_value(json_object_get(it, "field")),
			  json_string_value(json_object_get(it, "message")));
	json_array_clear(tmp->list);
}

static void add_doc(struct doc_set *s, const json_t *raw, const json_t *rows, struct ferrs *e)
{
	size_t i = json_array_size(s->docs);
	struct ferrs tmp;
	json_t *doc;
	const char *name;

	ferrs_init(&tmp);
	doc = model_connection(raw, "", &tmp);
	json_array_append_new(s->docs, doc ? doc : json_null());
	if (s->csv)
		json_array_append(s->rows, (json_t *)rows);
	/* Checked again inside the transaction; here so that one answer lists every error. */
	conf_check_refs(s->d, doc ? doc : raw, "", &tmp);
	move_errors(s, i, &tmp, e);
	ferrs_free(&tmp);
	if (!doc)
		return;
	name = json_string_value(json_object_get(doc, "name"));
	if (json_object_get(s->names, name)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "another connection of this document is also named %s", name);
		doc_error(s, i, e, "name", msg);
		return;
	}
	json_object_set_new(s->names, name, json_integer((json_int_t)i));
}

static const char *const top_keys[] = { "format", "version", "revision", "exported", "connections", "secrets", NULL };

/* The JSON form; the named secrets must exist with their type. */
static bool parse_json(struct req *r, struct db *d, struct doc_set *s, struct ferrs *e)
{
	json_error_t err;
	json_t *root, *conns, *v;
	const char *key;
	size_t i;

	if (!json_depth_ok(r->body ? r->body : "", r->body_len)) {
		reply_problemf(r, P_MALFORMED_JSON, "JSON nested deeper than %d levels", AGENT_JSON_DEPTH_MAX);
		return false;
	}
	root = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		reply_problemf(r, P_MALFORMED_JSON, "line %d, column %d: %s", err.line, err.column, err.text);
		return false;
	}
	if (!json_is_object(root)) {
		ferrs_add(e, "", "the body must be a JSON object with \"connections\" (as GET /export answers)");
		json_decref(root);
		return true;
	}
	json_object_foreach(root, key, v) {
		bool known = false;

		for (unsigned k = 0; top_keys[k]; k++)
			known |= strcmp(key, top_keys[k]) == 0;
		if (!known)
			ferrs_add(e, key, "unknown field");
	}
	conns = json_object_get(root, "connections");
	if (!json_is_array(conns))
		ferrs_add(e, "connections", conns ? "must be an array of connections" : "is required");
	json_array_foreach(conns, i, v)
		add_doc(s, v, NULL, e);
	v = json_object_get(root, "secrets");
	if (v && !json_is_array(v))
		ferrs_add(e, "secrets", "must be an array of {name, type}");
	json_array_foreach(v, i, conns) {
		const char *name = json_string_value(json_object_get(conns, "name"));
		const char *type = json_string_value(json_object_get(conns, "type"));
		char path[32], have[8];

		snprintf(path, sizeof(path), "secrets[%zu]", i);
		if (!name || !type)
			ferrs_add(e, path, "must be {\"name\", \"type\"}");
		else if (!conf_secret_type(d, name, have))
			ferrs_addf(e, path, "no secret named \"%s\" here (values are never exported: set it with "
				   "PUT /api/v1/secrets/%s first)", name, name);
		else if (strcmp(have, type) != 0)
			ferrs_addf(e, path, "secret \"%s\" is a %s here, not a %s", name, have, type);
	}
	json_decref(root);
	return true;
}

static bool parse_csv(struct req *r, struct doc_set *s, struct ferrs *e)
{
	json_t *list = bulk_csv_parse(r->body ? r->body : "", r->body_len, e), *it;
	size_t i;

	if (!list)
		return ferrs_count(e) > 0 ? true : false;
	json_array_foreach(list, i, it) {
		add_doc(s, json_array_get(it, 0), json_array_get(it, 1), e);
		/* The raw document is done with: 10,000 of them need not wait for the last. */
		json_array_set_new(it, 0, json_null());
	}
	json_decref(list);
	return true;
}

struct apply {
	struct db *d;
	struct mutation *m;	/* NULL: a dry run */
	struct diff df;
	unsigned unchanged;
};

static int apply_doc(struct apply *a, struct doc_set *s, size_t i, struct ferrs *e)
{
	const json_t *doc = json_array_get(s->docs, i);
	const char *name = json_string_value(json_object_get(doc, "name"));
	struct ferrs tmp;
	json_t *cur;
	bool err;
	int rc = 0;

	ferrs_init(&tmp);
	conf_check_refs(a->d, doc, "", &tmp);
	if (ferrs_count(&tmp)) {
		move_errors(s, i, &tmp, e);
		ferrs_free(&tmp);
		return 0;
	}
	ferrs_free(&tmp);
	cur = conf_conn_get(a->d, name, NULL, &err);
	if (err)
		return -1;
	if (cur && json_equal(cur, doc)) {
		a->unchanged++;
	} else {
		diff_object(&a->df, "connection", name, cur, doc, false);
		if (a->m && !ferrs_count(e) &&
		    (conf_conn_put(a->d, doc, a->m->revision) < 0 ||
		     mutation_change(a->m, "connection", name, cur, doc) < 0))
			rc = -1;
	}
	json_decref(cur);
	return rc;
}

/* replace: the stored connections the document does not name. */
static int remove_absent(struct apply *a, struct doc_set *s)
{
	static const char sql[] = "SELECT name FROM connections ORDER BY name";
	sqlite3_stmt *st = db_stmt(a->d, sql);
	json_t *gone = json_array(), *n;
	size_t i;
	int rc = 0;

	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (!json_object_get(s->names, name))
			json_array_append_new(gone, json_string(name));
	}
	db_done(st);
	json_array_foreach(gone, i, n) {
		const char *name = json_string_value(n);
		bool err;
		json_t *cur = conf_conn_get(a->d, name, NULL, &err);

		if (!cur) {
			rc = -1;
			break;
		}
		diff_object(&a->df, "connection", name, cur, NULL, false);
		if (a->m && (conf_conn_delete(a->d, name) < 0 ||
			     mutation_change(a->m, "connection", name, cur, NULL) < 0))
			rc = -1;
		json_decref(cur);
		if (rc < 0)
			break;
	}
	json_decref(gone);
	return rc;
}

enum hres api_import(struct req *r)
{
	const char *mode = req_query(r, "mode"), *dry = req_query(r, "dry_run");
	const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct db *d = store_db(r->ag->store);
	struct doc_set s = { d, json_array(), json_array(), json_object(), false };
	struct ferrs e;
	struct mutation m = { 0 };
	struct apply a = { 0 };
	bool replace = mode && strcmp(mode, "replace") == 0, dry_run = dry && (!strcmp(dry, "true") || !strcmp(dry, "1"));
	char target[64];
	int64_t base;
	enum hres h = H_FATAL;
	bool ok;
	json_t *body;

	ferrs_init(&e);
	diff_init(&a.df, true);
	if (!d)
		goto out;
	if (mode && !replace && strcmp(mode, "merge") != 0) {
		h = reply_problemf(r, P_BAD_REQUEST, "mode must be merge or replace");
		goto out;
	}
	if (dry && !dry_run && strcmp(dry, "false") != 0 && strcmp(dry, "0") != 0) {
		h = reply_problemf(r, P_BAD_REQUEST, "dry_run must be true or false");
		goto out;
	}
	if (!ct || (strncasecmp(ct, "text/csv", 8) != 0 && strncasecmp(ct, "application/json", 16) != 0)) {
		h = reply_problemf(r, P_MEDIA_TYPE, "the body must be application/json or text/csv (got %s)",
				   ct ? ct : "no Content-Type");
		goto out;
	}
	/* One read snapshot for every reference check, not one per query. */
	if (db_read_begin(d) < 0)
		goto out;
	s.csv = strncasecmp(ct, "text/csv", 8) == 0;
	ok = s.csv ? parse_csv(r, &s, &e) : parse_json(r, d, &s, &e);
	db_read_end(d);
	if (!ok) {
		h = r->status ? H_ANSWERED : H_FATAL;
		goto out;
	}
	if (ferrs_count(&e)) {
		h = reply_invalid(r, &e);
		goto out;
	}
	snprintf(target, sizeof(target), "%s of %zu connections", replace ? "replace" : "merge",
		 json_array_size(s.docs));
	if (dry_run) {
		if (db_read_begin(d) < 0)
			goto out;
	} else {
		if (mutation_begin(&m, r, "import", target) < 0)
			goto out;
		d = m.d;
		a.m = &m;
	}
	a.d = d;
	base = revision_current(d) - (dry_run ? 0 : 1);
	for (size_t i = 0; i < json_array_size(s.docs); i++)
		if (apply_doc(&a, &s, i, &e) < 0)
			goto fail;
	if (!ferrs_count(&e) && replace && remove_absent(&a, &s) < 0)
		goto fail;
	if (ferrs_count(&e)) {
		if (dry_run)
			db_read_end(d);
		mutation_abort(&m);
		h = reply_invalid(r, &e);
		goto out;
	}
	body = json_pack("{s:b, s:s, s:I, s:i}", "dry_run", dry_run, "mode", replace ? "replace" : "merge",
			 "base_revision", (json_int_t)base, "unchanged", (int)a.unchanged);
	if (dry_run) {
		db_read_end(d);
		json_object_set_new(body, "revision", json_null());
	} else if (!m.seq) {
		/* Nothing differs: no empty revision. */
		mutation_abort(&m);
		json_object_set_new(body, "revision", json_null());
	} else {
		if (mutation_commit(&m, 200) < 0) {
			json_decref(body);
			goto out;
		}
		json_object_set_new(body, "revision", json_integer(m.revision));
	}
	json_object_set_new(body, "diff", diff_finish(&a.df));
	json_object_set_new(body, "pending_confirm", confirm_json(&r->ag->confirm));
	h = reply_json(r, 200, body);
	goto out;
fail:
	if (dry_run)
		db_read_end(d);
	mutation_abort(&m);
out:
	ferrs_free(&e);
	diff_free(&a.df);
	json_decref(s.docs);
	json_decref(s.rows);
	json_decref(s.names);
	return h;
}
