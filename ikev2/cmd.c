// SPDX-License-Identifier: MIT
/*
 * The control-socket commands (docs/control.md). One row per command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iked.h"

/* An optional string member; -1 with err filled when it is not one. */
static int opt_string(const json_t *req, const char *name, const char **out, struct ctl_error *err)
{
	const json_t *v = json_object_get(req, name);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v)) {
		snprintf(err->message, sizeof(err->message), "invalid request");
		err->errors = json_pack("[{s:s, s:s}]", "field", name, "message", "must be a string");
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int cmd_load(void *app, struct ctl_client *c, const json_t *req, json_t **result,
		    struct ctl_error *err)
{
	struct iked *k = app;
	const json_t *rev = json_object_get(req, "revision"), *doc = json_object_get(req, "config");
	struct cfg_errors *errs = calloc(1, sizeof(*errs));
	struct cfg *cfg;
	int rc = -1;

	if (!errs) {
		snprintf(err->message, sizeof(err->message), "out of memory");
		return -1;
	}
	if (!json_is_integer(rev) || json_integer_value(rev) < 0) {
		snprintf(err->message, sizeof(err->message), "invalid request");
		err->errors = json_pack("[{s:s, s:s}]", "field", "revision", "message",
					"required: a non-negative integer");
		goto out;
	}
	if (!json_is_object(doc)) {
		snprintf(err->message, sizeof(err->message), "invalid request");
		err->errors = json_pack("[{s:s, s:s}]", "field", "config", "message",
					"required: an object {connections, secrets}");
		goto out;
	}
	if (cfg_parse(doc, CFG_SRC_CONTROL, &cfg, errs) == 0 &&
	    iked_load(k, cfg, json_integer_value(rev), result, errs) != 0)
		cfg_free(cfg);	/* valid, but not here (e.g. AES-GCM on this CPU) */
	if (errs->n) {
		snprintf(err->message, sizeof(err->message), "invalid configuration");
		err->errors = cfg_errors_json(errs);
		goto out;
	}
	rc = 0;
out:
	free(errs);
	return rc;
}

static int cmd_list_sas(void *app, struct ctl_client *c, const json_t *req, json_t **result,
			struct ctl_error *err)
{
	const char *conn;

	if (opt_string(req, "connection", &conn, err))
		return -1;
	*result = iked_list_sas(app, conn);
	return 0;
}

static int cmd_stats(void *app, struct ctl_client *c, const json_t *req, json_t **result,
		     struct ctl_error *err)
{
	*result = iked_stats(app);
	return 0;
}

/* The IKE connection (and child, when given) a control request names. */
static const struct iked_conn *ike_target(struct iked *k, const json_t *req, const char **child,
					   struct ctl_error *err)
{
	const char *name;

	if (opt_string(req, "connection", &name, err) || opt_string(req, "child", child, err))
		return NULL;
	if (!name) {
		snprintf(err->message, sizeof(err->message), "invalid request");
		err->errors = json_pack("[{s:s, s:s}]", "field", "connection", "message", "required");
		return NULL;
	}
	for (unsigned i = 0; i < k->n_conns; i++) {
		const struct iked_conn *c = &k->conns[i];

		if (strcmp(c->name, name))
			continue;
		if (c->cfg->keying != CFG_KEYING_IKE) {
			snprintf(err->message, sizeof(err->message), "%s uses manual keying: nothing to negotiate",
				 name);
			return NULL;
		}
		if (c->state != IKED_IKE) {
			snprintf(err->message, sizeof(err->message), "%s is %s", name,
				 c->state == IKED_DISABLED ? "disabled" : "not loaded (it failed)");
			return NULL;
		}
		if (*child) {
			bool found = false;

			for (unsigned j = 0; j < c->cfg->n_children && !found; j++)
				found = !strcmp(c->cfg->children[j].name, *child);
			if (!found) {
				snprintf(err->message, sizeof(err->message), "%s has no child %.64s", name, *child);
				return NULL;
			}
		}
		return c;
	}
	snprintf(err->message, sizeof(err->message), "no connection %.64s", name);
	return NULL;
}

static int ike_op(void *app, const json_t *req, enum iked_ike_op op, json_t **result,
		  struct ctl_error *err)
{
	const char *child = NULL;
	const struct iked_conn *c = ike_target(app, req, &child, err);

	if (!c || iked_ike_control(app, op, c, child, err->message, sizeof(err->message)) != 0)
		return -1;
	*result = json_object();
	return 0;
}

static int cmd_initiate(void *app, struct ctl_client *c, const json_t *req, json_t **result,
			struct ctl_error *err)
{
	return ike_op(app, req, IKED_INITIATE, result, err);
}

static int cmd_terminate(void *app, struct ctl_client *c, const json_t *req, json_t **result,
			 struct ctl_error *err)
{
	return ike_op(app, req, IKED_TERMINATE, result, err);
}

static int cmd_rekey(void *app, struct ctl_client *c, const json_t *req, json_t **result,
		     struct ctl_error *err)
{
	const json_t *ike = json_object_get(req, "ike");

	if (ike && !json_is_boolean(ike)) {
		snprintf(err->message, sizeof(err->message), "invalid request");
		err->errors = json_pack("[{s:s, s:s}]", "field", "ike", "message", "must be a boolean");
		return -1;
	}
	return ike_op(app, req, json_is_true(ike) ? IKED_REKEY_IKE : IKED_REKEY_CHILD, result, err);
}

static int cmd_subscribe(void *app, struct ctl_client *c, const json_t *req, json_t **result,
			 struct ctl_error *err)
{
	ctl_subscribe(c);
	*result = json_object();
	return 0;
}

const struct ctl_command iked_commands[] = {
	{ "load", cmd_load },
	{ "list-sas", cmd_list_sas },
	{ "stats", cmd_stats },
	{ "initiate", cmd_initiate },
	{ "terminate", cmd_terminate },
	{ "rekey", cmd_rekey },
	{ "subscribe", cmd_subscribe },
	{ NULL, NULL },
};
