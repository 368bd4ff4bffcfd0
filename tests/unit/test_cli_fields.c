// SPDX-License-Identifier: MIT
/*
 * One model, two readers of text: the CLI types key=value by
 * docs/openapi.json (cli/fields.c), the CSV import by the agent's model
 * table (agent/model.c). This checks they agree on every field, both ways,
 * and that key=value arguments become the JSON the API takes.
 */
#include "agent/model.h"
#include "cli/cli.h"
#include "tap.h"

#include <string.h>

static enum field_kind want(enum model_kind k)
{
	switch (k) {
	case MK_STRING: return FK_STRING;
	case MK_INT: return FK_INT;
	case MK_BOOL: return FK_BOOL;
	case MK_LIST: return FK_LIST;
	default: return FK_UNKNOWN;
	}
}

static void agree(enum model_scope scope, const char *schema, const char *prefix)
{
	const char *key;
	char dotted[96], all[2048], *p;
	unsigned n = 0;

	for (unsigned i = 0; (key = model_field_name(scope, i)); i++, n++) {
		snprintf(dotted, sizeof(dotted), "%s%s", prefix, key);
		is_int(fields_kind(schema, dotted), want(model_field_kind(scope, key)), "%s %s: same type", schema, dotted);
	}
	/* …and the document has no field the model lacks. */
	fields_list(schema, all, sizeof(all));
	for (p = strtok(all, " "); p; p = strtok(NULL, " ")) {
		if (strncmp(p, prefix, strlen(prefix)) != 0 || strchr(p + strlen(prefix), '.'))
			continue;
		ok(model_field_kind(scope, p + strlen(prefix)) != MK_UNKNOWN, "%s %s is in the model", schema, p);
	}
	ok(n > 3, "%s has fields", schema);
}

int main(void)
{
	char *argv[] = { "remote_addrs=192.0.2.1,192.0.2.2", "dpd_delay=0x10", "enabled=no", "local_id=CN=a,O=b" };
	char *cargv[] = { "manual.spi_in=4096", "manual.key_in=k", "esp_proposals=aes256gcm16" };
	char *bad[] = { "nosuch=1" };
	char *badint[] = { "dpd_delay=10s" };
	char *reset[] = { "dpd_delay=" };
	json_t *o;
	char *s;

	agree(MODEL_CONNECTION, "Connection", "");
	agree(MODEL_CHILD, "Child", "");
	agree(MODEL_MANUAL, "Child", "manual.");

	o = fields_parse("Connection", 4, argv, false);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"dpd_delay\":16,\"enabled\":false,\"local_id\":\"CN=a,O=b\",\"remote_addrs\":[\"192.0.2.1\",\"192.0.2.2\"]}",
	       "key=value typed as JSON");
	free(s);
	json_decref(o);
	o = fields_parse("Child", 3, cargv, false);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"esp_proposals\":[\"aes256gcm16\"],\"manual\":{\"key_in\":\"k\",\"spi_in\":4096}}", "dotted keys nest");
	free(s);
	json_decref(o);
	o = fields_parse("Connection", 1, reset, true);
	ok(json_is_null(json_object_get(o, "dpd_delay")), "key= is null in a patch (back to the default)");
	json_decref(o);
	ok(fields_parse("Connection", 1, bad, false) == NULL, "an unknown field is refused");
	ok(fields_parse("Connection", 1, badint, false) == NULL, "a non-integer is refused");
	return tap_done();
}
