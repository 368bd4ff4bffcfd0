// SPDX-License-Identifier: MIT
/*
 * The control-socket commands (docs/control.md). One row per command; the
 * IKE engine (issue 5) replaces the "not yet" rows with real handlers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iked.h"

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
	const json_t *conn = json_object_get(req, "connection");

	if (conn && !json_is_string(conn)) {
		snprintf(err->message, sizeof(err->message), "invalid request");
		err->errors = json_pack("[{s:s, s:s}]", "field", "connection", "message", "must be a string");
		return -1;
	}
	*result = iked_list_sas(app, conn ? json_string_value(conn) : NULL);
	return 0;
}

static int cmd_stats(void *app, struct ctl_client *c, const json_t *req, json_t **result,
		     struct ctl_error *err)
{
	*result = iked_stats(app);
	return 0;
}

static int cmd_needs_ike(void *app, struct ctl_client *c, const json_t *req, json_t **result,
			 struct ctl_error *err)
{
	snprintf(err->message, sizeof(err->message), "%s: the IKE engine is not built into this secgw-iked yet",
		 json_string_value(json_object_get(req, "cmd")));
	return -1;
}

const struct ctl_command iked_commands[] = {
	{ "load", cmd_load },
	{ "list-sas", cmd_list_sas },
	{ "stats", cmd_stats },
	{ "initiate", cmd_needs_ike },
	{ "terminate", cmd_needs_ike },
	{ "rekey", cmd_needs_ike },
	{ "subscribe", cmd_needs_ike },
	{ NULL, NULL },
};
