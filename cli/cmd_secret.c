// SPDX-License-Identifier: MIT
/*
 * secgw secret …: pre-shared keys and manual keys. A value is read from a
 * file, from standard input ("-") or typed at a prompt without echo — never
 * taken from the command line, where ps and the shell's history would keep
 * it — and wiped from memory once sent.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int secret_list(struct cli *c)
{
	static const char *const heads[] = { "NAME", "TYPE", "UPDATED" };
	json_t *body, *it;
	struct table *t;
	size_t i;
	int rc = cli_get(c, "/secrets?limit=1000", &body);

	if (rc || !body)
		return rc;
	t = table_new(3, heads);
	json_array_foreach(json_object_get(body, "items"), i, it) {
		char when[32];
		time_t tt = (time_t)json_integer_value(json_object_get(it, "updated"));
		struct tm tm;
		const char *cells[3];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", localtime_r(&tt, &tm));
		cells[0] = json_string_value(json_object_get(it, "name"));
		cells[1] = json_string_value(json_object_get(it, "type"));
		cells[2] = when;
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(body);
	return EXIT_DONE;
}

static int secret_set(struct cli *c, int argc, char **argv)
{
	const char *name = NULL, *src = NULL, *type = "psk";
	char value[CLI_SECRET_MAX + 1], path[CLI_PATH_MAX], prompt[128];
	json_t *body;
	char *text;
	struct resp r;
	long n;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--type") && i + 1 < argc)
			type = argv[++i];
		else if (!name)
			name = argv[i];
		else if (!src)
			src = argv[i];
		else
			return cli_usage("secret set NAME [FILE|-] [--type psk|key]: unexpected %s", argv[i]);
	}
	if (!name)
		return cli_usage("secret set needs a name");
	snprintf(prompt, sizeof(prompt), "%s for %s (not shown): ", !strcmp(type, "key") ? "Key (hex)" : "Pre-shared key", name);
	n = cli_read_secret(src, prompt, value, sizeof(value));
	if (n < 0)
		return EXIT_USAGE;
	body = json_pack("{s:s, s:s#}", "type", type, "value", value, (int)n);
	cli_wipe(value, sizeof(value));
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	/* jansson's own copy of the value: wipe it too before it is freed. */
	if (body)
		cli_wipe((char *)json_string_value(json_object_get(body, "value")),
			 json_string_length(json_object_get(body, "value")));
	json_decref(body);
	if (!text)
		return EXIT_USAGE;
	cli_path(path, sizeof(path), (const char *[]){ "secrets", name, NULL });
	rc = cli_call(c, "PUT", path, text, strlen(text), NULL, &r);
	cli_wipe(text, strlen(text));
	free(text);
	if (!rc && !cli_print_raw(c, &r))
		printf("secret %s %s (revision %lld)\n", name, r.status == 201 ? "created" : "updated", resp_revision(&r));
	resp_free(&r);
	return rc;
}

static void show_secret(const json_t *s)
{
	char users[512];

	value_text(json_object_get(s, "used_by"), users, sizeof(users));
	printf("name:    %s\ntype:    %s\nused by: %s\n", json_string_value(json_object_get(s, "name")),
	       json_string_value(json_object_get(s, "type")), json_array_size(json_object_get(s, "used_by")) ? users : "-");
}

int cmd_secret(struct cli *c, int argc, char **argv)
{
	const char *verb = argc ? argv[0] : NULL;
	char path[CLI_PATH_MAX];
	struct resp r;
	json_t *doc;
	int rc;

	if (!verb || !strcmp(verb, "list"))
		return argc > 1 ? cli_usage("secret list takes no arguments") : secret_list(c);
	if (!strcmp(verb, "set"))
		return secret_set(c, argc - 1, argv + 1);
	if (argc != 2)
		return cli_usage("secret %s NAME", verb);
	cli_path(path, sizeof(path), (const char *[]){ "secrets", argv[1], NULL });
	if (!strcmp(verb, "rm")) {
		rc = cli_call(c, "DELETE", path, NULL, 0, NULL, &r);
		if (!rc && !cli_print_raw(c, &r))
			printf("secret %s removed\n", argv[1]);
		resp_free(&r);
		return rc;
	}
	if (!strcmp(verb, "show")) {
		if ((rc = cli_get(c, path, &doc)) || !doc)
			return rc;
		show_secret(doc);
		json_decref(doc);
		return EXIT_DONE;
	}
	return cli_usage("secret: unknown verb %s", verb);
}
