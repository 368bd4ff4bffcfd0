// SPDX-License-Identifier: MIT
/*
 * /sas and /connections/{name}[/children/{child}]/initiate|terminate: live
 * SAs, through secgw-iked (agent/engine.h). The configuration is checked
 * first (the connection and child exist here), so a typo gets a 404 whether
 * or not the engine is up; what iked refuses (a disabled or manual-keyed
 * connection, nothing to rekey…) comes back as a 409 in iked's own words.
 */
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/conf.h"
#include "agent/routes.h"

#include <string.h>

enum {
	ENGINE_ERR_TEXT = 256,
};

/* 404 unless the connection (and the child, when given) is configured. */
static enum hres check_target(struct req *r, const char *conn, const char *child, bool *answered)
{
	struct db *d = store_db(r->ag->store);
	const json_t *c;
	bool err, found = !child;
	json_t *doc;
	size_t i;

	*answered = true;
	if (!d)
		return H_FATAL;
	doc = conf_conn_get(d, conn, NULL, &err);
	if (err)
		return H_FATAL;
	if (!doc)
		return reply_problemf(r, P_NOT_FOUND, "no connection named \"%s\"", conn);
	json_array_foreach(json_object_get(doc, "children"), i, c) {
		const char *n = json_string_value(json_object_get(c, "name"));

		if (child && n && strcmp(n, child) == 0)
			found = true;
	}
	json_decref(doc);
	if (!found)
		return reply_problemf(r, P_NOT_FOUND, "connection \"%s\" has no child named \"%s\"", conn, child);
	*answered = false;
	return H_ANSWERED;
}

static enum hres act(struct req *r, const char *cmd, const char *verb, bool with_child)
{
	const char *conn = req_param(r, 0), *child = with_child ? req_param(r, 1) : NULL;
	char err[ENGINE_ERR_TEXT], action[40], target[160];
	bool answered;
	enum hres h = check_target(r, conn, child, &answered);
	json_t *req, *reply;
	unsigned status;

	if (answered)
		return h;
	if (!engine_connected(r->ag->engine))
		return reply_problemf(r, P_ENGINE_DOWN, "cannot %s \"%s\": the IKE engine (secgw-iked) is not connected",
				      verb, conn);
	req = json_pack("{s:s, s:s}", "cmd", cmd, "connection", conn);
	if (!req)
		return H_FATAL;
	if (child)
		json_object_set_new(req, "child", json_string(child));
	reply = engine_call(r->ag->engine, req, err, sizeof(err));
	json_decref(req);
	snprintf(action, sizeof(action), "connection.%s", cmd);
	snprintf(target, sizeof(target), "%s%s%s", conn, child ? "/" : "", child ? child : "");
	if (!reply) {
		h = reply_problemf(r, P_ENGINE_DOWN, "cannot %s \"%s\": %s", verb, target, err);
		status = 503;
	} else if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *msg = json_string_value(json_object_get(json_object_get(reply, "error"), "message"));

		h = reply_problemf(r, P_CONFLICT, "cannot %s \"%s\": %s", verb, target,
				   msg ? msg : "secgw-iked refused without a reason");
		status = 409;
	} else {
		/* Queued in iked; the outcome arrives as events (/events). */
		h = reply_json(r, 202, json_pack("{s:s, s:s, s:s?}", "status", "queued", "connection", conn,
						 "child", child));
		status = 202;
	}
	json_decref(reply);
	audit_write(store_db(r->ag->store), r, NULL, action, target, status, 0, "");
	return h;
}

enum hres api_engine_initiate(struct req *r)
{
	return act(r, "initiate", "initiate", false);
}

enum hres api_engine_terminate(struct req *r)
{
	return act(r, "terminate", "terminate", false);
}

enum hres api_engine_child_initiate(struct req *r)
{
	return act(r, "initiate", "initiate", true);
}

enum hres api_engine_child_terminate(struct req *r)
{
	return act(r, "terminate", "terminate", true);
}

/* iked's list-sas result, with the engine's own state beside it. */
json_t *engine_sas(struct agent *ag, const char *conn, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "cmd", "list-sas"), *reply, *res = NULL;

	if (!req)
		return NULL;
	if (conn)
		json_object_set_new(req, "connection", json_string(conn));
	reply = engine_call(ag->engine, req, err, errlen);
	json_decref(req);
	if (reply && json_is_true(json_object_get(reply, "ok")) &&
	    json_is_object(json_object_get(reply, "result"))) {
		res = json_incref(json_object_get(reply, "result"));
		json_object_set_new(res, "engine", json_string("up"));
		json_object_set_new(res, "revision_applied", json_integer(engine_revision_applied(ag->engine)));
	} else if (reply) {
		const char *msg = json_string_value(json_object_get(json_object_get(reply, "error"), "message"));

		snprintf(err, errlen, "secgw-iked: %s", msg ? msg : "list-sas failed");
	}
	json_decref(reply);
	return res;
}

enum hres api_engine_sas(struct req *r)
{
	char err[ENGINE_ERR_TEXT];
	const char *conn = req_query(r, "connection");
	json_t *res;

	if (conn && !name_valid(conn))
		return reply_problemf(r, P_BAD_REQUEST, "connection must be a name (1 to 64 of A-Z a-z 0-9 _ . -)");
	if (!engine_connected(r->ag->engine))
		return reply_problem(r, P_ENGINE_DOWN,
				     "no SA information: the IKE engine (secgw-iked) is not connected", NULL);
	res = engine_sas(r->ag, conn, err, sizeof(err));
	if (!res)
		return reply_problemf(r, P_ENGINE_DOWN, "no SA information: %s", err);
	return reply_json(r, 200, res);
}
