// SPDX-License-Identifier: MIT
/* secgw rev … and secgw confirm: history, diff, rollback, commit-confirmed. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void when(long long t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(out, len, "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
}

static void pending_line(const json_t *p)
{
	char w[32];

	if (!json_is_object(p))
		return;
	when(json_integer_value(json_object_get(p, "deadline")), w, sizeof(w));
	printf("revision %lld awaits confirmation until %s (%llds left): `secgw confirm`, "
	       "or it is reverted to %lld\n", (long long)json_integer_value(json_object_get(p, "revision")), w,
	       (long long)json_integer_value(json_object_get(p, "remaining_s")),
	       (long long)json_integer_value(json_object_get(p, "revert_to")));
}

static int rev_list(struct cli *c, int argc, char **argv)
{
	static const char *const heads[] = { "REV", "TIME", "AUTHOR", "SUMMARY", "COMMENT" };
	char path[64];
	long limit = 20;
	json_t *body, *it;
	struct table *t;
	size_t i;
	int rc;

	for (int k = 0; k < argc; k++) {
		if (!strcmp(argv[k], "--limit") && k + 1 < argc)
			limit = strtol(argv[++k], NULL, 10);
		else
			return cli_usage("rev list [--limit N]: unexpected %s", argv[k]);
	}
	if (limit < 1 || limit > 1000)
		return cli_usage("--limit must be 1 to 1000");
	snprintf(path, sizeof(path), "/revisions?limit=%ld", limit);
	if ((rc = cli_get(c, path, &body)) || !body)
		return rc;
	t = table_new(5, heads);
	json_array_foreach(json_object_get(body, "items"), i, it) {
		char num[24], w[32];
		const char *cells[5];

		snprintf(num, sizeof(num), "%lld%s", (long long)json_integer_value(json_object_get(it, "number")),
			 json_is_true(json_object_get(it, "pending_confirm")) ? "*" : "");
		when(json_integer_value(json_object_get(it, "time")), w, sizeof(w));
		cells[0] = num;
		cells[1] = w;
		cells[2] = json_string_value(json_object_get(it, "author"));
		cells[3] = json_string_value(json_object_get(it, "summary"));
		cells[4] = json_string_value(json_object_get(it, "comment"));
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	pending_line(json_object_get(body, "pending_confirm"));
	json_decref(body);
	return EXIT_DONE;
}

static bool number(const char *s, long long *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	return *s && !*end && *out >= 0;
}

static int rev_show(struct cli *c, const char *n)
{
	char path[64], w[32];
	long long v;
	json_t *doc;
	int rc;

	if (!number(n, &v))
		return cli_usage("rev show: %s is not a revision number", n);
	snprintf(path, sizeof(path), "/revisions/%lld", v);
	if ((rc = cli_get(c, path, &doc)) || !doc)
		return rc;
	when(json_integer_value(json_object_get(doc, "time")), w, sizeof(w));
	printf("revision %lld  %s  by %s from %s\n", v, w, json_string_value(json_object_get(doc, "author")),
	       json_string_value(json_object_get(doc, "source")));
	printf("%s\n", json_string_value(json_object_get(doc, "summary")));
	if (*json_string_value(json_object_get(doc, "comment")))
		printf("comment: %s\n", json_string_value(json_object_get(doc, "comment")));
	printf("\n");
	diff_print(json_object_get(doc, "diff"), stdout);
	json_decref(doc);
	return EXIT_DONE;
}

/* The current revision, for `rev diff A` (against now). */
static int current(struct cli *c, long long *out)
{
	struct resp r;
	json_t *h;
	int rc = cli_call(c, "GET", "/health", NULL, 0, NULL, &r);

	*out = 0;
	if (!rc && (h = resp_json(&r))) {
		*out = json_integer_value(json_object_get(h, "revision"));
		json_decref(h);
	} else if (!rc) {
		rc = EXIT_REJECTED;
	}
	resp_free(&r);
	return rc;
}

static int rev_diff(struct cli *c, int argc, char **argv)
{
	char path[96];
	long long a = 0, b = 0;
	json_t *doc;
	int rc;

	if (argc < 1 || argc > 2 || !number(argv[0], &a) || (argc == 2 && !number(argv[1], &b)))
		return cli_usage("rev diff A [B]: revision numbers (B: the current one)");
	if (argc == 1 && (rc = current(c, &b)))
		return rc;
	snprintf(path, sizeof(path), "/revisions/%lld/diff/%lld", a, b);
	if ((rc = cli_get(c, path, &doc)) || !doc)
		return rc;
	printf("from revision %lld to %lld:\n", a, b);
	diff_print(doc, stdout);
	json_decref(doc);
	return EXIT_DONE;
}

static void names_line(const char *what, const json_t *list)
{
	char text[512];

	if (!json_array_size(list))
		return;
	value_text(list, text, sizeof(text));
	printf("%s: %s\n", what, text);
}

static int rev_rollback(struct cli *c, const char *n)
{
	char path[64];
	long long v;
	struct resp r;
	json_t *doc;
	int rc;

	if (!number(n, &v))
		return cli_usage("rev rollback: %s is not a revision number", n);
	snprintf(path, sizeof(path), "/revisions/%lld/rollback", v);
	rc = cli_mutate(c, "POST", path, NULL, 0, NULL, &r);
	if (rc || cli_print_raw(c, &r) || !(doc = resp_json(&r))) {
		resp_free(&r);
		return rc;
	}
	printf("configuration of revision %lld restored as revision %lld\n", v,
	       (long long)json_integer_value(json_object_get(doc, "revision")));
	diff_print(json_object_get(doc, "diff"), stdout);
	names_line("secrets kept (created since; a rollback never deletes a value)", json_object_get(doc, "secrets_kept"));
	names_line("secrets not restored (deleted since; values are not kept in the history)",
		   json_object_get(doc, "secrets_not_restored"));
	cli_note_confirm(c, &r);
	resp_free(&r);
	json_decref(doc);
	return EXIT_DONE;
}

int cmd_rev(struct cli *c, int argc, char **argv)
{
	const char *verb = argc ? argv[0] : NULL;

	if (!verb || !strcmp(verb, "list"))
		return rev_list(c, argc ? argc - 1 : 0, argv + 1);
	if (!strcmp(verb, "show") && argc == 2)
		return rev_show(c, argv[1]);
	if (!strcmp(verb, "diff"))
		return rev_diff(c, argc - 1, argv + 1);
	if (!strcmp(verb, "rollback") && argc == 2)
		return rev_rollback(c, argv[1]);
	return cli_usage("rev: list | show N | diff A [B] | rollback N");
}

int cmd_confirm(struct cli *c, int argc, char **argv)
{
	struct resp r;
	json_t *doc;
	int rc;

	if (argc == 1 && !strcmp(argv[0], "status")) {
		if ((rc = cli_get(c, "/commit/confirm", &doc)) || !doc)
			return rc;
		if (json_is_object(json_object_get(doc, "pending")))
			pending_line(json_object_get(doc, "pending"));
		else
			printf("no change awaits confirmation (revision %lld)\n",
			       (long long)json_integer_value(json_object_get(doc, "revision")));
		json_decref(doc);
		return EXIT_DONE;
	}
	if (argc)
		return cli_usage("confirm [status]");
	rc = cli_call(c, "POST", "/commit/confirm", NULL, 0, NULL, &r);
	if (!rc && !cli_print_raw(c, &r) && (doc = resp_json(&r))) {
		printf("revision %lld confirmed: it stays\n", (long long)json_integer_value(json_object_get(doc, "confirmed")));
		json_decref(doc);
	}
	resp_free(&r);
	return rc;
}
