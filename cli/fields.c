// SPDX-License-Identifier: MIT
/*
 * key=value arguments as the API's JSON. The type of each field comes from
 * docs/openapi.json, compiled in, so every field the API has is reachable
 * and none is spelled twice: lists are comma-separated, integers decimal or
 * 0x-hex, booleans true/false (yes/no, on/off, 1/0), and an object's fields
 * are dotted (manual.spi_in=0x1000).
 */
#include "cli/cli.h"
#include "agent/embed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *doc;

static json_t *schemas(void)
{
	if (!doc)
		doc = json_loadb(embed_openapi.data, embed_openapi.len, 0, NULL);
	return json_object_get(json_object_get(doc, "components"), "schemas");
}

/* Follow "$ref" and a one-element "allOf" to the schema meant. */
static json_t *resolve(json_t *s)
{
	for (int hop = 0; hop < 8 && s; hop++) {
		const char *ref = json_string_value(json_object_get(s, "$ref"));
		json_t *all = json_object_get(s, "allOf");

		if (ref && strncmp(ref, "#/components/schemas/", 21) == 0)
			s = json_object_get(schemas(), ref + 21);
		else if (json_array_size(all) == 1)
			s = json_array_get(all, 0);
		else
			break;
	}
	return s;
}

static enum field_kind kind_of(json_t *s)
{
	const char *t;

	s = resolve(s);
	if (!s)
		return FK_UNKNOWN;
	t = json_string_value(json_object_get(s, "type"));
	if (!t && json_object_get(s, "enum"))
		return FK_STRING;
	if (!t)
		return FK_UNKNOWN;
	if (!strcmp(t, "string"))
		return FK_STRING;
	if (!strcmp(t, "integer"))
		return FK_INT;
	if (!strcmp(t, "boolean"))
		return FK_BOOL;
	if (!strcmp(t, "array"))
		return kind_of(json_object_get(s, "items")) == FK_STRING ? FK_LIST : FK_UNKNOWN;
	if (!strcmp(t, "object"))
		return FK_OBJECT;
	return FK_UNKNOWN;
}

/* The schema of a dotted field ("manual.spi_in") in a named schema. */
static json_t *field_schema(const char *schema, const char *dotted)
{
	json_t *s = json_object_get(schemas(), schema);
	char part[64];
	const char *p = dotted;

	while (s && *p) {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		s = json_object_get(json_object_get(resolve(s), "properties"), part);
		p += n;
		if (*p == '.')
			p++;
	}
	return s;
}

enum field_kind fields_kind(const char *schema, const char *dotted)
{
	json_t *s = field_schema(schema, dotted);

	return s ? kind_of(s) : FK_UNKNOWN;
}

static void list_into(json_t *s, const char *prefix, char *out, size_t len)
{
	const char *key;
	json_t *v;

	json_object_foreach(json_object_get(resolve(s), "properties"), key, v) {
		char name[128];
		enum field_kind k = kind_of(v);

		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (!strcmp(name, "name") || (k == FK_UNKNOWN))
			continue;
		if (k == FK_OBJECT) {
			char sub[130];

			snprintf(sub, sizeof(sub), "%s.", name);
			list_into(v, sub, out, len);
			continue;
		}
		snprintf(out + strlen(out), len - strlen(out), "%s%s", *out ? " " : "", name);
	}
}

void fields_list(const char *schema, char *out, size_t len)
{
	out[0] = '\0';
	list_into(json_object_get(schemas(), schema), "", out, len);
}

static json_t *convert(enum field_kind k, const char *key, const char *text)
{
	switch (k) {
	case FK_INT: {
		bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
		char *end;
		long long v;

		errno = 0;
		v = strtoll(text, &end, hex ? 16 : 10);
		if (!*text || *end || errno) {
			cli_usage("%s=%s: an integer is needed (decimal, or hex with 0x)", key, text);
			return NULL;
		}
		return json_integer(v);
	}
	case FK_BOOL: {
		static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };

		for (unsigned i = 0; i < 4; i++) {
			if (!strcasecmp(text, yes[i]))
				return json_true();
			if (!strcasecmp(text, no[i]))
				return json_false();
		}
		cli_usage("%s=%s: true or false is needed", key, text);
		return NULL;
	}
	case FK_LIST: {
		json_t *a = json_array();
		const char *p = text;

		while (*p) {
			size_t n = strcspn(p, ",");

			if (n)
				json_array_append_new(a, json_stringn(p, n));
			p += n;
			if (*p == ',')
				p++;
		}
		return a;
	}
	default:
		return json_string(text);
	}
}

json_t *fields_parse(const char *schema, int argc, char **argv, bool patch)
{
	json_t *out = json_object();

	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		char key[128], all[1024];
		enum field_kind k;
		json_t *v, *into = out;
		char *p;

		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key)) {
			fields_list(schema, all, sizeof(all));
			cli_usage("%s: fields are given as key=value (fields: %s)", argv[i], all);
			goto fail;
		}
		memcpy(key, argv[i], (size_t)(eq - argv[i]));
		key[eq - argv[i]] = '\0';
		k = fields_kind(schema, key);
		if (k == FK_UNKNOWN || k == FK_OBJECT || !strcmp(key, "name")) {
			fields_list(schema, all, sizeof(all));
			if (!strcmp(key, "name"))
				cli_usage("the name is given before the fields, not as name=");
			else if (!strcmp(key, "children"))
				cli_usage("children are added with `secgw child add CONN CHILD key=value…`");
			else
				cli_usage("%s: no such field (fields: %s)", key, all);
			goto fail;
		}
		if (patch && !eq[1])
			v = json_null();
		else if (!(v = convert(k, key, eq + 1)))
			goto fail;
		/* manual.spi_in: walk (and make) the objects on the way. */
		for (p = key; strchr(p, '.'); ) {
			char *dot = strchr(p, '.');
			json_t *sub;

			*dot = '\0';
			sub = json_object_get(into, p);
			if (!json_is_object(sub)) {
				sub = json_object();
				json_object_set_new(into, p, sub);
			}
			into = sub;
			p = dot + 1;
		}
		json_object_set_new(into, p, v);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}
