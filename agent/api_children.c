// SPDX-License-Identifier: MIT
/*
 * /connections/{name}/children[/{child}]: CHILD SAs. A child is stored as
 * part of its connection's document, so every change here is a change of the
 * connection (one revision_changes row with the whole old and new document)
 * and the ETag is the connection's.
 */
#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/model.h"
#include "agent/revision.h"
#include "agent/routes.h"

#include <stdio.h>
#include <string.h>

static ssize_t child_index(const json_t *conn, const char *name)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(conn, "children"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return (ssize_t)i;
	return -1;
}

static enum hres not_found(struct req *r, bool conn_missing)
{
	if (conn_missing)
		return reply_problemf(r, P_NOT_FOUND, "no connection named \"%s\"", req_param(r, 0));
	return reply_problemf(r, P_NOT_FOUND, "connection \"%s\" has no child named \"%s\"",
			      req_param(r, 0), req_param(r, 1));
}

enum hres api_children_list(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	int64_t rev = 0;
	bool err;
	json_t *conn, *body;
	char etag[32];

	if (!d)
		return H_FATAL;
	conn = conf_conn_get(d, req_param(r, 0), &rev, &err);
	if (err)
		return H_FATAL;
	if (!conn)
		return not_found(r, true);
	etag_revision(etag, sizeof(etag), rev);
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	body = json_pack("{s:O, s:I}", "items", json_object_get(conn, "children"), "revision", (json_int_t)rev);
	json_decref(conn);
	return reply_json(r, 200, body);
}

enum hres api_child_get(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	int64_t rev = 0;
	bool err;
	json_t *conn, *child;
	ssize_t i;
	char etag[32];

	if (!d)
		return H_FATAL;
	conn = conf_conn_get(d, req_param(r, 0), &rev, &err);
	if (err)
		return H_FATAL;
	if (!conn)
		return not_found(r, true);
	i = child_index(conn, req_param(r, 1));
	if (i < 0) {
		json_decref(conn);
		return not_found(r, false);
	}
	child = json_incref(json_array_get(json_object_get(conn, "children"), (size_t)i));
	json_decref(conn);
	etag_revision(etag, sizeof(etag), rev);
	if (etag_fresh(r, etag)) {
		json_decref(child);
		reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
		return reply_empty(r, 304);
	}
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	return reply_json(r, 200, child);
}

enum child_op { OP_CREATE, OP_REPLACE, OP_UPDATE, OP_DELETE };

/*
 * Every child mutation: inside one write transaction, load the connection,
 * check If-Match, compute the new child (validated against the connection),
 * store the connection and record the change.
 */
static enum hres mutate(struct req *r, enum child_op op)
{
	static const char *const actions[] = { "child.create", "child.replace", "child.update", "child.delete" };
	const char *cname = req_param(r, 0);
	char target[160], etag[32], location[200];
	struct mutation m;
	struct ferrs e;
	json_t *old = NULL, *neu = NULL, *child = NULL, *body = NULL, *children;
	int64_t rev = 0;
	ssize_t idx = -1;
	unsigned status = 200;
	bool err;
	enum hres h = H_FATAL;
	const char *child_name = op == OP_CREATE ? json_string_value(json_object_get(r->json, "name"))
						 : req_param(r, 1);

	ferrs_init(&e);
	snprintf(target, sizeof(target), "%s/%s", cname, child_name ? child_name : "?");
	if (mutation_begin(&m, r, actions[op], target) < 0)
		goto out;
	old = conf_conn_get(m.d, cname, &rev, &err);
	if (err)
		goto out;
	if (!old) {
		h = not_found(r, true);
		goto out;
	}
	etag_revision(etag, sizeof(etag), rev);
	if (!etag_check(r, etag)) {
		h = H_ANSWERED;
		goto out;
	}
	if (child_name)
		idx = child_index(old, child_name);
	if ((op == OP_UPDATE || op == OP_DELETE) && idx < 0) {
		h = not_found(r, false);
		goto out;
	}
	if (op == OP_CREATE && idx >= 0) {
		h = reply_problemf(r, P_CONFLICT, "connection \"%s\" already has a child named \"%s\"",
				   cname, child_name);
		goto out;
	}

	if (op != OP_DELETE) {
		body = op == OP_UPDATE
			? model_merge_patch(json_array_get(json_object_get(old, "children"), (size_t)idx), r->json)
			: json_incref(r->json);
		if (op != OP_CREATE) {
			const json_t *n = json_object_get(body, "name");

			if (!n)
				json_object_set_new(body, "name", json_string(child_name));
			else if (!json_is_string(n) || strcmp(json_string_value(n), child_name) != 0)
				ferrs_addf(&e, "name", "must be \"%s\" as in the URL (renaming is not supported)",
					   child_name);
		}
		if (!ferrs_count(&e))
			child = model_child(body, "", old, &e);
		if (child)
			conf_check_child_refs(m.d, child, "", &e);
		if (ferrs_count(&e)) {
			h = reply_invalid(r, &e);
			goto out;
		}
	}

	neu = json_deep_copy(old);
	children = json_object_get(neu, "children");
	if (op == OP_DELETE) {
		json_array_remove(children, (size_t)idx);
	} else if (idx >= 0) {
		json_array_set(children, (size_t)idx, child);
	} else {
		if (json_array_size(children) >= CHILDREN_MAX) {
			h = reply_problemf(r, P_CONFLICT, "connection \"%s\" has %d children, the most allowed",
					   cname, CHILDREN_MAX);
			goto out;
		}
		json_array_append(children, child);
		status = 201;
	}
	if (conf_conn_put(m.d, neu, m.revision) < 0 ||
	    mutation_change(&m, "connection", cname, old, neu) < 0)
		goto out;
	if (op == OP_DELETE)
		status = 204;
	if (mutation_commit(&m, status) < 0) {
		m.d = NULL;
		goto out;
	}
	m.d = NULL;
	etag_revision(etag, sizeof(etag), m.revision);
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (status == 204) {
		h = reply_empty(r, 204);
	} else {
		if (status == 201) {
			snprintf(location, sizeof(location), API_PREFIX "/connections/%s/children/%s", cname,
				 json_string_value(json_object_get(child, "name")));
			reply_header(r, MHD_HTTP_HEADER_LOCATION, location);
		}
		h = reply_json(r, status, json_incref(child));
	}
out:
	if (m.d)
		mutation_abort(&m);
	ferrs_free(&e);
	json_decref(old);
	json_decref(neu);
	json_decref(child);
	json_decref(body);
	return h;
}

enum hres api_children_create(struct req *r)
{
	struct ferrs e;
	const json_t *n = json_object_get(r->json, "name");

	/* The name decides the target; check it before taking the write lock. */
	if (!json_is_string(n) || !name_valid(json_string_value(n))) {
		ferrs_init(&e);
		ferrs_add(&e, "name", n ? "must be 1 to 64 of A-Z a-z 0-9 _ . -" : "is required");
		return reply_invalid(r, &e);
	}
	return mutate(r, OP_CREATE);
}

enum hres api_child_put(struct req *r)
{
	return mutate(r, OP_REPLACE);
}

enum hres api_child_patch(struct req *r)
{
	return mutate(r, OP_UPDATE);
}

enum hres api_child_delete(struct req *r)
{
	return mutate(r, OP_DELETE);
}
