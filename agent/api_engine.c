// SPDX-License-Identifier: MIT
/*
 * /sas and /connections/{name}/initiate|terminate: live SAs, through
 * secgw-iked. The engine is not connected yet (the integration issue wires
 * the control socket of docs/control.md), so these answer 503 with a problem
 * that says so, after the checks any request gets (auth, role, the
 * connection exists).
 */
#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/routes.h"

/* Until secgw-iked is connected (the engine integration), SAs cannot be acted on. */
static enum hres engine_absent(struct req *r, const char *what)
{
	struct db *d = store_db(r->ag->store);
	bool err;
	json_t *doc;

	if (!d)
		return H_FATAL;
	doc = conf_conn_get(d, req_param(r, 0), NULL, &err);
	if (err)
		return H_FATAL;
	if (!doc)
		return reply_problemf(r, P_NOT_FOUND, "no connection named \"%s\"", req_param(r, 0));
	json_decref(doc);
	return reply_problemf(r, P_ENGINE_DOWN, "cannot %s \"%s\": the IKE engine (secgw-iked) is not connected",
			      what, req_param(r, 0));
}

enum hres api_engine_initiate(struct req *r)
{
	return engine_absent(r, "initiate");
}

enum hres api_engine_terminate(struct req *r)
{
	return engine_absent(r, "terminate");
}

enum hres api_engine_sas(struct req *r)
{
	return reply_problem(r, P_ENGINE_DOWN,
			     "no SA information: the IKE engine (secgw-iked) is not connected", NULL);
}
