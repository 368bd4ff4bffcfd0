// SPDX-License-Identifier: MIT
/* secgw audit: who changed what, when, from where (admin). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int cmd_audit(struct cli *c, int argc, char **argv)
{
	static const char *const heads[] = { "TIME", "USER", "SOURCE", "ACTION", "TARGET", "STATUS" };
	static const char *const opts[] = { "--user", "user", "--action", "action", "--since", "since",
					    "--limit", "limit", NULL };
	char path[CLI_PATH_MAX];
	bool limited = false;
	json_t *body, *it;
	struct table *t;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "/audit");
	for (int k = 0; k < argc; k++) {
		bool found = false;

		for (unsigned o = 0; opts[o] && k + 1 < argc && !found; o += 2) {
			char *e;

			if (strcmp(argv[k], opts[o]) != 0)
				continue;
			e = curl_easy_escape(NULL, argv[++k], 0);
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "%c%s=%s",
				 strchr(path, '?') ? '&' : '?', opts[o + 1], e ? e : "");
			curl_free(e);
			limited |= !strcmp(opts[o], "--limit");
			found = true;
		}
		if (!found)
			return cli_usage("audit [--user U] [--action PREFIX] [--since UNIXTIME] [--limit N]");
	}
	if (!limited)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%climit=50", strchr(path, '?') ? '&' : '?');
	if ((rc = cli_get(c, path, &body)) || !body)
		return rc;
	t = table_new(6, heads);
	json_array_foreach(json_object_get(body, "items"), i, it) {
		char w[32], st[8];
		time_t tt = (time_t)json_integer_value(json_object_get(it, "time"));
		struct tm tm;
		const char *cells[6];

		strftime(w, sizeof(w), "%m-%d %H:%M:%S", localtime_r(&tt, &tm));
		snprintf(st, sizeof(st), "%lld", (long long)json_integer_value(json_object_get(it, "status")));
		cells[0] = w;
		cells[1] = json_string_value(json_object_get(it, "user"));
		cells[2] = json_string_value(json_object_get(it, "source"));
		cells[3] = json_string_value(json_object_get(it, "action"));
		cells[4] = json_string_value(json_object_get(it, "target"));
		cells[5] = st;
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(body);
	return EXIT_DONE;
}
