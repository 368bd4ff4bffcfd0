// SPDX-License-Identifier: MIT
/* secgw conn … and secgw child …: connections and their CHILD SAs. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

enum {
	PAGE = 1000,
};

static const char *const conn_fields[] = {
	"enabled", "local_addrs", "remote_addrs", "local_port", "remote_port", "local_id", "remote_id", "auth",
	"psk", "ike_proposals", "rekey_time", "dpd_delay", "dpd_action", "nat_t", "datapath", "keying", NULL,
};

static void child_row(struct table *t, const json_t *ch)
{
	char lts[256], rts[256], mode[32];
	const char *cells[5];

	value_text(json_object_get(ch, "local_ts"), lts, sizeof(lts));
	value_text(json_object_get(ch, "remote_ts"), rts, sizeof(rts));
	value_text(json_object_get(ch, "mode"), mode, sizeof(mode));
	cells[0] = json_string_value(json_object_get(ch, "name"));
	cells[1] = mode;
	cells[2] = lts;
	cells[3] = rts;
	cells[4] = json_string_value(json_object_get(ch, "start_action"));
	table_add(t, cells);
}

static const char *const child_heads[] = { "CHILD", "MODE", "LOCAL_TS", "REMOTE_TS", "START" };

/* Every field as "key: value", then the children as a table. */
static void show_conn(const json_t *doc)
{
	const json_t *ch;
	struct table *t;
	size_t i;

	printf("%-14s %s\n", "name:", json_string_value(json_object_get(doc, "name")));
	for (unsigned k = 0; conn_fields[k]; k++) {
		char v[512], key[32];

		if (!json_object_get(doc, conn_fields[k]))
			continue;
		value_text(json_object_get(doc, conn_fields[k]), v, sizeof(v));
		snprintf(key, sizeof(key), "%s:", conn_fields[k]);
		printf("%-14s %s\n", key, v);
	}
	if (!json_array_size(json_object_get(doc, "children"))) {
		printf("(no children: secgw child add %s NAME key=value…)\n", json_string_value(json_object_get(doc, "name")));
		return;
	}
	printf("\n");
	t = table_new(5, child_heads);
	json_array_foreach(json_object_get(doc, "children"), i, ch)
		child_row(t, ch);
	table_print(t, stdout);
	table_free(t);
}

static int conn_list(struct cli *c, int argc, char **argv)
{
	static const char *const heads[] = { "NAME", "ENABLED", "REMOTE", "KEYING", "CHILDREN" };
	const char *prefix = NULL;
	char cursor[128] = "", path[CLI_PATH_MAX];
	struct table *t = table_new(5, heads);
	int rc = EXIT_DONE;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--prefix") && i + 1 < argc)
			prefix = argv[++i];
		else {
			table_free(t);
			return cli_usage("conn list [--prefix P]: unexpected %s", argv[i]);
		}
	}
	do {
		struct resp r;
		json_t *body, *it;
		size_t i;
		char *pe = prefix ? curl_easy_escape(NULL, prefix, 0) : NULL;

		snprintf(path, sizeof(path), "/connections?limit=%d%s%s%s%s", PAGE, pe ? "&prefix=" : "", pe ? pe : "",
			 cursor[0] ? "&cursor=" : "", cursor);
		curl_free(pe);
		rc = cli_call(c, "GET", path, NULL, 0, NULL, &r);
		body = rc ? NULL : resp_json(&r);
		if (!body) {
			resp_free(&r);
			rc = rc ? rc : EXIT_REJECTED;
			break;
		}
		/* --output json: each page as sent, one per line; the table otherwise. */
		if (!cli_print_raw(c, &r)) {
			json_array_foreach(json_object_get(body, "items"), i, it) {
				char remote[256], kids[256] = "";
				const json_t *ch;
				size_t k;
				const char *cells[5];

				value_text(json_object_get(it, "remote_addrs"), remote, sizeof(remote));
				json_array_foreach(json_object_get(it, "children"), k, ch)
					snprintf(kids + strlen(kids), sizeof(kids) - strlen(kids), "%s%s", k ? ", " : "",
						 json_string_value(json_object_get(ch, "name")));
				cells[0] = json_string_value(json_object_get(it, "name"));
				cells[1] = json_is_true(json_object_get(it, "enabled")) ? "yes" : "no";
				cells[2] = remote;
				cells[3] = json_string_value(json_object_get(it, "keying"));
				cells[4] = kids[0] ? kids : "-";
				table_add(t, cells);
			}
		}
		cursor[0] = '\0';
		if (json_is_string(json_object_get(body, "next_cursor")))
			snprintf(cursor, sizeof(cursor), "%s", json_string_value(json_object_get(body, "next_cursor")));
		json_decref(body);
		resp_free(&r);
	} while (cursor[0]);
	if (!rc && !c->json)
		table_print(t, stdout);
	table_free(t);
	return rc;
}

/* GET a document and print it (show). */
static int show(struct cli *c, const char *path, void (*print)(const json_t *))
{
	json_t *doc;
	int rc = cli_get(c, path, &doc);

	if (rc || !doc)
		return rc;
	print(doc);
	json_decref(doc);
	return EXIT_DONE;
}

/* A mutation with a JSON body; says what happened. */
static int change(struct cli *c, const char *method, const char *path, json_t *body, const char *what)
{
	struct resp r;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc;

	json_decref(body);
	rc = cli_mutate(c, method, path, text, text ? strlen(text) : 0, NULL, &r);
	free(text);
	if (!rc && !cli_print_raw(c, &r)) {
		long long rev = resp_revision(&r);

		if (rev)
			printf("%s (revision %lld)\n", what, rev);
		else
			printf("%s\n", what);
		cli_note_confirm(c, &r);
	}
	resp_free(&r);
	return rc;
}

int cmd_conn(struct cli *c, int argc, char **argv)
{
	const char *verb = argc ? argv[0] : NULL;
	char path[CLI_PATH_MAX], what[160];
	json_t *body;

	if (!verb || !strcmp(verb, "list"))
		return conn_list(c, argc ? argc - 1 : 0, argv + 1);
	if (argc < 2)
		return cli_usage("conn %s needs a connection name", verb);
	cli_path(path, sizeof(path), (const char *[]){ "connections", argv[1], NULL });
	if (!strcmp(verb, "show") && argc == 2)
		return show(c, path, show_conn);
	if (!strcmp(verb, "rm") && argc == 2) {
		snprintf(what, sizeof(what), "connection %s removed", argv[1]);
		return change(c, "DELETE", path, NULL, what);
	}
	if (!strcmp(verb, "add")) {
		if (!(body = fields_parse("Connection", argc - 2, argv + 2, false)))
			return EXIT_USAGE;
		json_object_set_new(body, "name", json_string(argv[1]));
		snprintf(what, sizeof(what), "connection %s created", argv[1]);
		return change(c, "POST", "/connections", body, what);
	}
	if (!strcmp(verb, "set")) {
		if (argc < 3)
			return cli_usage("conn set %s needs key=value fields", argv[1]);
		if (!(body = fields_parse("Connection", argc - 2, argv + 2, true)))
			return EXIT_USAGE;
		snprintf(what, sizeof(what), "connection %s updated", argv[1]);
		return change(c, "PATCH", path, body, what);
	}
	return cli_usage("conn: unknown verb or arguments: %s", verb);
}

static void show_child(const json_t *ch)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)ch, key, v) {
		char text[512], k[40];

		value_text(v, text, sizeof(text));
		snprintf(k, sizeof(k), "%s:", key);
		printf("%-15s %s\n", k, text);
	}
}

static void list_children(const json_t *body)
{
	struct table *t = table_new(5, child_heads);
	const json_t *ch;
	size_t i;

	json_array_foreach(json_object_get(body, "items"), i, ch)
		child_row(t, ch);
	table_print(t, stdout);
	table_free(t);
}

int cmd_child(struct cli *c, int argc, char **argv)
{
	const char *verb = argc ? argv[0] : NULL;
	char path[CLI_PATH_MAX], what[200];
	json_t *body;

	if (!verb)
		return cli_usage("child needs a verb: list, show, add, set, rm");
	if (argc < 2)
		return cli_usage("child %s needs a connection name", verb);
	if (!strcmp(verb, "list") && argc == 2) {
		cli_path(path, sizeof(path), (const char *[]){ "connections", argv[1], "children", NULL });
		return show(c, path, list_children);
	}
	if (argc < 3)
		return cli_usage("child %s needs a connection and a child name", verb);
	cli_path(path, sizeof(path), (const char *[]){ "connections", argv[1], "children", argv[2], NULL });
	if (!strcmp(verb, "show") && argc == 3)
		return show(c, path, show_child);
	if (!strcmp(verb, "rm") && argc == 3) {
		snprintf(what, sizeof(what), "child %s of %s removed", argv[2], argv[1]);
		return change(c, "DELETE", path, NULL, what);
	}
	if (!strcmp(verb, "add")) {
		if (!(body = fields_parse("Child", argc - 3, argv + 3, false)))
			return EXIT_USAGE;
		json_object_set_new(body, "name", json_string(argv[2]));
		cli_path(path, sizeof(path), (const char *[]){ "connections", argv[1], "children", NULL });
		snprintf(what, sizeof(what), "child %s of %s created", argv[2], argv[1]);
		return change(c, "POST", path, body, what);
	}
	if (!strcmp(verb, "set")) {
		if (argc < 4)
			return cli_usage("child set %s %s needs key=value fields", argv[1], argv[2]);
		if (!(body = fields_parse("Child", argc - 3, argv + 3, true)))
			return EXIT_USAGE;
		snprintf(what, sizeof(what), "child %s of %s updated", argv[2], argv[1]);
		return change(c, "PATCH", path, body, what);
	}
	return cli_usage("child: unknown verb or arguments: %s", verb);
}
