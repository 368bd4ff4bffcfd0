// SPDX-License-Identifier: MIT
/* secgw import / secgw export: the whole configuration as JSON or CSV. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The whole file (or stdin), at most CLI_FILE_MAX bytes. */
static char *slurp(const char *src, size_t *len)
{
	FILE *f = strcmp(src, "-") == 0 ? stdin : fopen(src, "rbe");
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (!f) {
		fprintf(stderr, "secgw: cannot read %s: %s\n", src, strerror(errno));
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		size_t k = fread(buf + n, 1, cap - n, f);

		n += k;
		if (n < cap)
			break;
		if (cap >= CLI_FILE_MAX) {
			fprintf(stderr, "secgw: %s is larger than %d MiB\n", src, CLI_FILE_MAX >> 20);
			free(buf);
			buf = NULL;
			break;
		}
		{
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

int cmd_import(struct cli *c, int argc, char **argv)
{
	const char *src = NULL;
	bool dry = false, replace = false, csv = false, json = false;
	char path[64];
	struct resp r;
	json_t *doc;
	size_t len;
	char *body;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (!strcmp(argv[i], "--replace"))
			replace = true;
		else if (!strcmp(argv[i], "--csv"))
			csv = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!src)
			src = argv[i];
		else
			return cli_usage("import FILE|- [--dry-run] [--replace] [--csv|--json]: unexpected %s", argv[i]);
	}
	if (!src || (csv && json))
		return cli_usage("import FILE|- [--dry-run] [--replace] [--csv|--json]");
	body = slurp(src, &len);
	if (!body)
		return EXIT_USAGE;
	/* The form: as told, else by the name, else by the first character. */
	if (!csv && !json) {
		size_t n = strlen(src);
		const char *p = body;

		while (p < body + len && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
			p++;
		csv = (n > 4 && !strcmp(src + n - 4, ".csv")) || !(p < body + len && *p == '{');
	}
	snprintf(path, sizeof(path), "/import?mode=%s%s", replace ? "replace" : "merge", dry ? "&dry_run=true" : "");
	rc = dry ? cli_call(c, "POST", path, body, len, csv ? "text/csv" : "application/json", &r)
		 : cli_mutate(c, "POST", path, body, len, csv ? "text/csv" : "application/json", &r);
	free(body);
	if (rc || cli_print_raw(c, &r) || !(doc = resp_json(&r))) {
		resp_free(&r);
		return rc;
	}
	diff_print(json_object_get(doc, "diff"), stdout);
	printf("%lld unchanged\n", (long long)json_integer_value(json_object_get(doc, "unchanged")));
	if (dry)
		printf("dry run: nothing was written (against revision %lld)\n",
		       (long long)json_integer_value(json_object_get(doc, "base_revision")));
	else if (json_is_integer(json_object_get(doc, "revision")))
		printf("imported as revision %lld\n", (long long)json_integer_value(json_object_get(doc, "revision")));
	else
		printf("nothing differed: no new revision\n");
	cli_note_confirm(c, &r);
	resp_free(&r);
	json_decref(doc);
	return EXIT_DONE;
}

int cmd_export(struct cli *c, int argc, char **argv)
{
	bool csv = false;
	struct resp r;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--csv"))
			csv = true;
		else
			return cli_usage("export [--csv]: unexpected %s", argv[i]);
	}
	rc = cli_call(c, "GET", csv ? "/export?format=csv" : "/export", NULL, 0, NULL, &r);
	/* The document as the agent wrote it, in either output mode: it is what import takes. */
	if (!rc) {
		fwrite(r.body, 1, r.len, stdout);
		if (!csv)
			putchar('\n');
	}
	resp_free(&r);
	return rc;
}
