// SPDX-License-Identifier: MIT
/* secgw user … and secgw token …: people and scripts (admin for users). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void date(const json_t *v, char *out, size_t len)
{
	time_t t;
	struct tm tm;

	if (!json_is_integer(v)) {
		snprintf(out, len, "-");
		return;
	}
	t = (time_t)json_integer_value(v);
	strftime(out, len, "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
}

/* GET a list and print the columns named (dates for the keys in dates). */
static int list(struct cli *c, const char *path, unsigned n, const char *const *heads, const char *const *keys)
{
	json_t *body, *it;
	struct table *t;
	size_t i;
	int rc = cli_get(c, path, &body);

	if (rc || !body)
		return rc;
	t = table_new(n, heads);
	json_array_foreach(json_object_get(body, "items"), i, it) {
		char text[8][128];
		const char *cells[8];

		for (unsigned k = 0; k < n && k < 8; k++) {
			const json_t *v = json_object_get(it, keys[k]);

			if (!strcmp(keys[k], "created") || !strcmp(keys[k], "expires") || !strcmp(keys[k], "revoked"))
				date(v, text[k], sizeof(text[k]));
			else
				value_text(v, text[k], sizeof(text[k]));
			cells[k] = text[k];
		}
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(body);
	return EXIT_DONE;
}

static int call(struct cli *c, const char *method, const char *path, json_t *body, const char *done)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct resp r;
	int rc;

	rc = cli_call(c, method, path, text, text ? strlen(text) : 0, NULL, &r);
	if (text) {
		cli_wipe(text, strlen(text));
		free(text);
	}
	if (!rc && !cli_print_raw(c, &r))
		printf("%s\n", done);
	resp_free(&r);
	return rc;
}

/* A password: from FILE, - or the prompt (twice, so a typo does not lock anyone out). */
static long password(const char *src, const char *user, char *out, size_t max)
{
	char again[CLI_SECRET_MAX + 1], prompt[128];
	long n;

	snprintf(prompt, sizeof(prompt), "Password for %s: ", user);
	n = cli_read_secret(src, prompt, out, max);
	if (n < 0 || src)
		return n;
	if (cli_read_secret(NULL, "Again: ", again, sizeof(again)) != n || strcmp(again, out) != 0) {
		fprintf(stderr, "secgw: the two passwords differ\n");
		n = -1;
	}
	cli_wipe(again, sizeof(again));
	return n;
}

/* {"password": …} built and wiped here. */
static json_t *with_password(json_t *o, const char *pw, long n)
{
	json_object_set_new(o, "password", json_stringn(pw, (size_t)n));
	return o;
}

static void wipe_password(json_t *o)
{
	json_t *p = json_object_get(o, "password");

	if (p)
		cli_wipe((char *)json_string_value(p), json_string_length(p));
}

int cmd_user(struct cli *c, int argc, char **argv)
{
	static const char *const heads[] = { "NAME", "ROLE", "CREATED" };
	static const char *const keys[] = { "name", "role", "created" };
	const char *verb = argc ? argv[0] : NULL, *role = NULL, *src = NULL;
	char path[CLI_PATH_MAX], pw[CLI_SECRET_MAX + 1], done[160];
	json_t *body;
	long n;
	int rc;

	if (!verb || !strcmp(verb, "list"))
		return list(c, "/users", 3, heads, keys);
	if (argc < 2)
		return cli_usage("user %s needs a user name", verb);
	cli_path(path, sizeof(path), (const char *[]){ "users", argv[1], NULL });
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--role") && i + 1 < argc)
			role = argv[++i];
		else if (!src)
			src = argv[i];
		else
			return cli_usage("user %s: unexpected %s", verb, argv[i]);
	}
	if (!strcmp(verb, "rm") && argc == 2) {
		snprintf(done, sizeof(done), "user %s removed", argv[1]);
		return call(c, "DELETE", path, NULL, done);
	}
	if (!strcmp(verb, "show") && argc == 2) {
		json_t *doc;
		char w[32];

		if ((rc = cli_get(c, path, &doc)) || !doc)
			return rc;
		date(json_object_get(doc, "created"), w, sizeof(w));
		printf("name:    %s\nrole:    %s\ncreated: %s\n", json_string_value(json_object_get(doc, "name")),
		       json_string_value(json_object_get(doc, "role")), w);
		json_decref(doc);
		return EXIT_DONE;
	}
	if (!strcmp(verb, "add")) {
		if (!role)
			return cli_usage("user add NAME --role admin|operator|viewer [PASSWORD-FILE|-]");
		if ((n = password(src, argv[1], pw, sizeof(pw))) < 0)
			return EXIT_USAGE;
		body = with_password(json_pack("{s:s, s:s}", "name", argv[1], "role", role), pw, n);
		cli_wipe(pw, sizeof(pw));
		snprintf(done, sizeof(done), "user %s created (%s)", argv[1], role);
		rc = call(c, "POST", "/users", body, done);
		wipe_password(body);
		json_decref(body);
		return rc;
	}
	if (!strcmp(verb, "set") && role && !src) {
		snprintf(done, sizeof(done), "user %s is now %s", argv[1], role);
		body = json_pack("{s:s}", "role", role);
		rc = call(c, "PATCH", path, body, done);
		json_decref(body);
		return rc;
	}
	if (!strcmp(verb, "passwd") && !role) {
		if ((n = password(src, argv[1], pw, sizeof(pw))) < 0)
			return EXIT_USAGE;
		body = with_password(json_object(), pw, n);
		cli_wipe(pw, sizeof(pw));
		snprintf(done, sizeof(done), "password of %s changed", argv[1]);
		rc = call(c, "PATCH", path, body, done);
		wipe_password(body);
		json_decref(body);
		return rc;
	}
	return cli_usage("user: list | show NAME | add NAME --role R [FILE|-] | set NAME --role R | "
			 "passwd NAME [FILE|-] | rm NAME");
}

int cmd_token(struct cli *c, int argc, char **argv)
{
	static const char *const heads[] = { "ID", "NAME", "USER", "EXPIRES", "REVOKED" };
	static const char *const keys[] = { "id", "name", "user", "expires", "revoked" };
	const char *verb = argc ? argv[0] : NULL;
	char path[CLI_PATH_MAX];

	if (!verb || !strcmp(verb, "list"))
		return list(c, "/tokens", 5, heads, keys);
	if (!strcmp(verb, "revoke") && argc == 2) {
		char done[96];

		cli_path(path, sizeof(path), (const char *[]){ "tokens", argv[1], NULL });
		snprintf(done, sizeof(done), "token %s revoked", argv[1]);
		return call(c, "DELETE", path, NULL, done);
	}
	if (!strcmp(verb, "create") && argc >= 2) {
		json_t *body = json_pack("{s:s}", "name", argv[1]), *doc;
		struct resp r;
		char *text;
		int rc;

		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--expires-in") && i + 1 < argc) {
				json_object_set_new(body, "expires_in", json_integer(strtoll(argv[++i], NULL, 10)));
			} else if (!strcmp(argv[i], "--user") && i + 1 < argc) {
				json_object_set_new(body, "user", json_string(argv[++i]));
			} else {
				json_decref(body);
				return cli_usage("token create NAME [--expires-in SECONDS] [--user NAME]");
			}
		}
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		rc = cli_call(c, "POST", "/tokens", text, strlen(text), NULL, &r);
		free(text);
		if (!rc && !cli_print_raw(c, &r) && (doc = resp_json(&r))) {
			/* Shown once, on stdout alone, so that $(secgw token create x) is the token. */
			printf("%s\n", json_string_value(json_object_get(doc, "token")));
			fprintf(stderr, "secgw: token %lld (%s) created; it is shown this once\n",
				(long long)json_integer_value(json_object_get(doc, "id")), argv[1]);
			json_decref(doc);
		}
		if (r.body)
			cli_wipe(r.body, r.len);
		resp_free(&r);
		return rc;
	}
	return cli_usage("token: create NAME [--expires-in S] [--user U] | list | revoke ID");
}
