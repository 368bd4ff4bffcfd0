// SPDX-License-Identifier: MIT
/*
 * The OpenAPI document (docs/openapi.json, compiled into the agent) and the
 * router agree: every route has an operation in the document and every
 * operation in the document has a route, with the same method. Also checks
 * that the document is well formed where clients rely on it.
 */
#include "agent/embed.h"
#include "agent/routes.h"
#include "tap.h"

#include <ctype.h>
#include <jansson.h>

static void lower(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

int main(void)
{
	json_error_t err;
	json_t *doc = json_loadb(embed_openapi.data, embed_openapi.len, 0, &err);
	json_t *paths = json_object_get(doc, "paths");
	const char *path;
	json_t *item;
	unsigned doc_ops = 0;

	if (!ok(doc != NULL, "docs/openapi.json parses")) {
		printf("#   %d:%d %s\n", err.line, err.column, err.text);
		return tap_done();
	}
	is_str(json_string_value(json_object_get(doc, "openapi")), "3.1.0", "OpenAPI 3.1");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(doc, "servers"), 0), "url")),
	       API_PREFIX, "server URL is the API prefix");

	for (unsigned i = 0; i < routes_count; i++) {
		char m[8];
		json_t *op;

		lower(method_name(routes[i].method), m, sizeof(m));
		op = json_object_get(json_object_get(paths, routes[i].pattern), m);
		ok(op != NULL, "route %s %s is documented", method_name(routes[i].method), routes[i].pattern);
		if (op) {
			json_t *sec = json_object_get(op, "security");
			bool public_doc = json_is_array(sec) && json_array_size(sec) == 0;

			ok(public_doc == (routes[i].min_role == ROLE_PUBLIC),
			   "%s %s: documented as %s", method_name(routes[i].method), routes[i].pattern,
			   public_doc ? "public" : "authenticated");
			ok(json_object_get(op, "responses") != NULL, "%s %s has responses",
			   method_name(routes[i].method), routes[i].pattern);
		}
	}
	json_object_foreach(paths, path, item) {
		const char *key;
		json_t *op;

		json_object_foreach(item, key, op) {
			bool found = false;

			if (strcmp(key, "parameters") == 0)
				continue;
			doc_ops++;
			for (unsigned i = 0; i < routes_count; i++) {
				char m[8];

				lower(method_name(routes[i].method), m, sizeof(m));
				if (strcmp(routes[i].pattern, path) == 0 && strcmp(m, key) == 0)
					found = true;
			}
			ok(found, "documented %s %s has a route", key, path);
		}
	}
	is_int(doc_ops, routes_count, "as many operations documented as routes");
	json_decref(doc);
	return tap_done();
}
