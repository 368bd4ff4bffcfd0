// SPDX-License-Identifier: MIT
/* /connections and /connections/{name}: IKE connections with their children. */
#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/model.h"
#include "agent/revision.h"
#include "agent/routes.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* limit, cursor and prefix of a list request; answers 400 itself. */

bool list_params(struct req *r, unsigned *limit, const char **cursor, const char **prefix)
{
	const char *l = req_query(r, "limit");

	*limit = LIST_LIMIT_DEFAULT;
	*cursor = req_query(r, "cursor");
	*prefix = req_query(r, "prefix");
	if (l) {
		char *end;
		unsigned long v = strtoul(l, &end, 10);

		if (!*l || *end || v < 1 || v > LIST_LIMIT_MAX) {
			reply_problemf(r, P_BAD_REQUEST, "limit must be 1 to %d", LIST_LIMIT_MAX);
			return false;
		}
		*limit = (unsigned)v;
	}
	if (*cursor && !name_valid(*cursor)) {
		reply_problemf(r, P_BAD_REQUEST, "cursor must be the next_cursor of a previous page");
		return false;
	}
	if (*prefix && **prefix && !name_valid(*prefix)) {
		reply_problemf(r, P_BAD_REQUEST, "prefix must be the start of a name (A-Z a-z 0-9 _ . -)");
		return false;
	}
	if (*prefix && !**prefix)
		*prefix = NULL;
	return true;
}

bool list_number_params(struct req *r, long long *limit, long long *before)
{
	const char *l = req_query(r, "limit"), *cursor = req_query(r, "cursor");
	char *end;

	*limit = LIST_LIMIT_DEFAULT;
	*before = INT64_MAX;
	if (l && ((*limit = strtoll(l, &end, 10)) < 1 || *limit > LIST_LIMIT_MAX || *end || !*l)) {
		reply_problemf(r, P_BAD_REQUEST, "limit must be 1 to %d", LIST_LIMIT_MAX);
		return false;
	}
	if (cursor && ((*before = strtoll(cursor, &end, 10)) < 1 || *end || !*cursor)) {
		reply_problemf(r, P_BAD_REQUEST, "cursor must be the next_cursor of a previous page");
		return false;
	}
	return true;
}

static enum hres reply_doc(struct req *r, unsigned status, json_t *doc, int64_t revision,
			   const char *location)
{
	char etag[32];

	etag_revision(etag, sizeof(etag), revision);
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (location)
		reply_header(r, MHD_HTTP_HEADER_LOCATION, location);
	return reply_json(r, status, doc);
}

/*
 * {"items":[…],"next_cursor":…,"revision":N}. Every value is encoded by
 * jansson; only the three member names and the brackets are written here.
 */
static struct cached_body *list_body(struct db *d, const char *prefix, const char *cursor,
				     unsigned limit, int64_t rev)
{
	struct body_writer o;
	char last[NAME_MAX_LEN + 1];
	bool more;

	if (body_writer_init(&o) < 0)
		return NULL;
	if (body_write("{\"items\":[", 10, &o) < 0 ||
	    conf_conn_write(d, prefix, cursor, limit, body_write, &o, last, &more) < 0 ||
	    body_write("],\"next_cursor\":", 16, &o) < 0 ||
	    body_write_json(&o, more ? json_string(last) : json_null()) < 0 ||
	    body_write(",\"revision\":", 12, &o) < 0 ||
	    body_write_json(&o, json_integer(rev)) < 0 || body_write("}", 1, &o) < 0) {
		free(o.b);
		return NULL;
	}
	return o.b;
}

enum hres api_connections_list(struct req *r)
{
	struct agent *ag = r->ag;
	struct db *d = store_db(ag->store);
	unsigned limit;
	const char *cursor, *prefix;
	char key[LIST_CACHE_KEY_MAX], etag[32];
	struct cached_body *b;
	int64_t rev = atomic_load(&ag->revision);

	if (!d)
		return H_FATAL;
	if (!list_params(r, &limit, &cursor, &prefix))
		return H_ANSWERED;
	etag_revision(etag, sizeof(etag), rev);
	if (etag_fresh(r, etag)) {
		reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
		return reply_empty(r, 304);
	}
	snprintf(key, sizeof(key), "connections|%u|%s|%s", limit, cursor ? cursor : "", prefix ? prefix : "");
	b = cache_get(&ag->cache, rev, key);
	if (b) {
		reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
		return reply_buf(r, 200, "application/json", b->data, b->len, cached_body_unref, b);
	}

	/* One snapshot: the revision and the rows it describes agree. */
	if (db_read_begin(d) < 0)
		return H_FATAL;
	rev = revision_current(d);
	b = list_body(d, prefix, cursor, limit, rev);
	db_read_end(d);
	if (!b)
		return H_FATAL;
	cache_put(&ag->cache, rev, key, b);
	etag_revision(etag, sizeof(etag), rev);
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	return reply_buf(r, 200, "application/json", b->data, b->len, cached_body_unref, b);
}

/*
 * Store a validated connection document as one mutation. old_doc is the
 * stored one (NULL when creating); etag_rev its revision for If-Match.
 */
static enum hres save(struct req *r, const char *action, json_t *doc, bool creating_ok)
{
	const char *name = json_string_value(json_object_get(doc, "name"));
	struct mutation m;
	struct ferrs e;
	json_t *old;
	int64_t old_rev = 0;
	char etag[32], location[160];
	bool err;
	unsigned status;

	if (mutation_begin(&m, r, action, name) < 0) {
		json_decref(doc);
		return H_FATAL;
	}
	old = conf_conn_get(m.d, name, &old_rev, &err);
	if (err)
		goto fatal;
	if (old)
		etag_revision(etag, sizeof(etag), old_rev);
	if (!etag_check(r, old ? etag : NULL))
		goto answered;
	if (!old && strcmp(action, "connection.update") == 0) {
		reply_problemf(r, P_NOT_FOUND, "no connection named \"%s\"", name);
		goto answered;
	}
	if (old && !creating_ok) {
		reply_problemf(r, P_CONFLICT, "a connection named \"%s\" exists already", name);
		goto answered;
	}
	ferrs_init(&e);
	conf_check_refs(m.d, doc, "", &e);
	if (ferrs_count(&e)) {
		reply_invalid(r, &e);
		ferrs_free(&e);
		goto answered;
	}
	ferrs_free(&e);
	if (conf_conn_put(m.d, doc, m.revision) < 0 ||
	    mutation_change(&m, "connection", name, old, doc) < 0)
		goto fatal;
	status = old ? 200 : 201;
	if (mutation_commit(&m, status) < 0) {
		json_decref(old);
		json_decref(doc);
		return H_FATAL;
	}
	json_decref(old);
	snprintf(location, sizeof(location), API_PREFIX "/connections/%s", name);
	return reply_doc(r, status, doc, m.revision, status == 201 ? location : NULL);
answered:
	mutation_abort(&m);
	json_decref(old);
	json_decref(doc);
	return H_ANSWERED;
fatal:
	mutation_abort(&m);
	json_decref(old);
	json_decref(doc);
	return H_FATAL;
}

/* Validate a connection body (after any merge) and store it. */
static enum hres validate_save(struct req *r, const json_t *body, const char *action, bool creating_ok)
{
	struct ferrs e;
	json_t *doc;

	ferrs_init(&e);
	doc = model_connection(body, "", &e);
	if (!doc)
		return reply_invalid(r, &e);
	ferrs_free(&e);
	return save(r, action, doc, creating_ok);
}

enum hres api_connections_create(struct req *r)
{
	return validate_save(r, r->json, "connection.create", false);
}

enum hres api_connection_get(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	int64_t rev = 0;
	bool err;
	json_t *doc;
	char etag[32];

	if (!d)
		return H_FATAL;
	doc = conf_conn_get(d, req_param(r, 0), &rev, &err);
	if (err)
		return H_FATAL;
	if (!doc)
		return reply_problemf(r, P_NOT_FOUND, "no connection named \"%s\"", req_param(r, 0));
	etag_revision(etag, sizeof(etag), rev);
	if (etag_fresh(r, etag)) {
		json_decref(doc);
		reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
		return reply_empty(r, 304);
	}
	return reply_doc(r, 200, doc, rev, NULL);
}

/*
 * The body's "name" must be absent (it is taken from the URL) or equal to
 * the URL's: no renames by accident. false (422 answered) when it differs.
 */
static bool name_matches(struct req *r, json_t *body)
{
	const char *url_name = req_param(r, 0);
	const json_t *n = json_object_get(body, "name");
	struct ferrs e;

	if (!n) {
		json_object_set_new(body, "name", json_string(url_name));
		return true;
	}
	if (json_is_string(n) && strcmp(json_string_value(n), url_name) == 0)
		return true;
	ferrs_init(&e);
	ferrs_addf(&e, "name", "must be \"%s\" as in the URL (renaming is not supported)", url_name);
	reply_invalid(r, &e);
	return false;
}

enum hres api_connection_put(struct req *r)
{
	if (!name_matches(r, r->json))
		return H_ANSWERED;
	return validate_save(r, r->json, "connection.replace", true);
}

enum hres api_connection_patch(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	json_t *stored, *merged;
	enum hres h;
	bool err;

	if (!d)
		return H_FATAL;
	/* Read, merge, validate outside the lock; save() re-checks If-Match inside it. */
	stored = conf_conn_get(d, req_param(r, 0), NULL, &err);
	if (err)
		return H_FATAL;
	if (!stored)
		return reply_problemf(r, P_NOT_FOUND, "no connection named \"%s\"", req_param(r, 0));
	merged = model_merge_patch(stored, r->json);
	json_decref(stored);
	h = name_matches(r, merged) ? validate_save(r, merged, "connection.update", true) : H_ANSWERED;
	json_decref(merged);
	return h;
}

enum hres api_connection_delete(struct req *r)
{
	const char *name = req_param(r, 0);
	struct mutation m;
	json_t *old;
	int64_t rev = 0;
	char etag[32];
	bool err;

	if (mutation_begin(&m, r, "connection.delete", name) < 0)
		return H_FATAL;
	old = conf_conn_get(m.d, name, &rev, &err);
	if (err) {
		mutation_abort(&m);
		return H_FATAL;
	}
	if (!old) {
		mutation_abort(&m);
		return reply_problemf(r, P_NOT_FOUND, "no connection named \"%s\"", name);
	}
	etag_revision(etag, sizeof(etag), rev);
	if (!etag_check(r, etag)) {
		mutation_abort(&m);
		json_decref(old);
		return H_ANSWERED;
	}
	if (conf_conn_delete(m.d, name) < 0 || mutation_change(&m, "connection", name, old, NULL) < 0 ||
	    mutation_commit(&m, 204) < 0) {
		mutation_abort(&m);
		json_decref(old);
		return H_FATAL;
	}
	json_decref(old);
	return reply_empty(r, 204);
}
