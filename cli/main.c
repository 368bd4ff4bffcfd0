// SPDX-License-Identifier: MIT
/*
 * secgw — the command-line client of secgw-agent's REST API.
 *
 *   secgw [--url URL] [--token TOKEN] [--output table|json] [--comment TEXT]
 *         [--confirm SECONDS] [--cacert FILE] NOUN VERB [ARGS]
 *
 * docs/secgw.1 is the manual; `secgw help` the summary.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

struct group {
	const char *noun;
	group_fn fn;
	const char *usage;	/* one line per verb */
};

static const struct group groups[] = {
	{ "conn", cmd_conn,
	  "conn list [--prefix P]\n"
	  "conn show NAME\n"
	  "conn add NAME key=value…        e.g. remote_addrs=192.0.2.9 psk=hqkey\n"
	  "conn set NAME key=value…        (key= puts a field back to its default)\n"
	  "conn rm NAME\n" },
	{ "child", cmd_child,
	  "child list CONN\n"
	  "child show CONN CHILD\n"
	  "child add CONN CHILD key=value… e.g. local_ts=10.1.0.0/24 remote_ts=10.2.0.0/24\n"
	  "child set CONN CHILD key=value… (manual keying: manual.spi_in=0x1000 …)\n"
	  "child rm CONN CHILD\n" },
	{ "secret", cmd_secret,
	  "secret list\n"
	  "secret show NAME\n"
	  "secret set NAME [FILE|-] [--type psk|key]   (the value: a prompt, a file or stdin; never argv)\n"
	  "secret rm NAME\n" },
	{ "rev", cmd_rev,
	  "rev list [--limit N]\n"
	  "rev show N\n"
	  "rev diff A [B]                  (B: the current revision)\n"
	  "rev rollback N\n" },
	{ "confirm", cmd_confirm,
	  "confirm                         keep the change made with --confirm\n"
	  "confirm status\n" },
	{ "import", cmd_import, "import FILE|- [--dry-run] [--replace] [--csv|--json]\n" },
	{ "export", cmd_export, "export [--csv]\n" },
	{ "user", cmd_user,
	  "user list\n"
	  "user show NAME\n"
	  "user add NAME --role admin|operator|viewer [PASSWORD-FILE|-]\n"
	  "user set NAME --role ROLE\n"
	  "user passwd NAME [PASSWORD-FILE|-]\n"
	  "user rm NAME\n" },
	{ "token", cmd_token,
	  "token create NAME [--expires-in SECONDS] [--user NAME]\n"
	  "token list\n"
	  "token revoke ID\n" },
	{ "audit", cmd_audit, "audit [--user U] [--action PREFIX] [--since UNIXTIME] [--limit N]\n" },
	{ "sa", cmd_sa, "sa list                         live SAs (needs the IKE engine)\n" },
	{ "initiate", cmd_initiate, "initiate CONN                   bring a connection up (needs the IKE engine)\n" },
	{ "terminate", cmd_terminate, "terminate CONN                  take it down (needs the IKE engine)\n" },
	{ "login", cmd_login, "login [--url URL] [--user NAME] [--password-file FILE|-]\n" },
	{ "logout", cmd_logout, "logout\n" },
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

static void help(FILE *f)
{
	fprintf(f,
		"usage: secgw [options] NOUN VERB [ARGS]\n"
		"\n"
		"options:\n"
		"  --url URL           the agent (also SECGW_URL, the login file; default %s)\n"
		"  --token TOKEN       bearer token (also SECGW_TOKEN, or `secgw login`)\n"
		"  --output table|json json: the API's answers unchanged, for scripts\n"
		"  --comment TEXT      recorded with the revision a change makes\n"
		"  --confirm SECONDS   revert the change unless `secgw confirm` comes in time\n"
		"  --cacert FILE       trust this CA for https (also SECGW_CACERT)\n"
		"\n"
		"commands:\n", CLI_DEFAULT_URL);
	for (unsigned i = 0; i < N_GROUPS; i++) {
		const char *p = groups[i].usage;

		while (*p) {
			size_t n = strcspn(p, "\n");

			fprintf(f, "  %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	fprintf(f, "\nexit status: 0 done, 1 usage, 2 refused by the agent, 3 agent unreachable.\n"
		   "Fields are the API's (docs/config.md); `secgw fields conn|child` lists them.\n");
}

/* Hidden helpers for bash completion (docs/secgw-completion.bash). */
static int complete(struct cli *c, int argc, char **argv)
{
	char all[2048];

	if (argc == 1 && !strcmp(argv[0], "nouns")) {
		for (unsigned i = 0; i < N_GROUPS; i++)
			printf("%s\n", groups[i].noun);
		printf("help\nfields\n");
		return EXIT_DONE;
	}
	if (argc == 2 && !strcmp(argv[0], "verbs")) {
		for (unsigned i = 0; i < N_GROUPS; i++) {
			const char *p = groups[i].usage;

			if (strcmp(groups[i].noun, argv[1]) != 0)
				continue;
			/* the second word of each usage line */
			while (*p) {
				const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');

				if (sp && (!nl || sp < nl)) {
					size_t n = strcspn(sp + 1, " \n");

					if (n && sp[1] != '[' && sp[1] != '-' && (sp[1] < 'A' || sp[1] > 'Z'))
						printf("%.*s\n", (int)n, sp + 1);
				}
				if (!nl)
					break;
				p = nl + 1;
			}
		}
		return EXIT_DONE;
	}
	if (argc == 1 && !strcmp(argv[0], "conns")) {
		struct resp r;
		json_t *b, *it;
		size_t i;

		if (cli_call(c, "GET", "/connections?limit=1000", NULL, 0, NULL, &r) == EXIT_DONE &&
		    (b = resp_json(&r))) {
			json_array_foreach(json_object_get(b, "items"), i, it)
				printf("%s\n", json_string_value(json_object_get(it, "name")));
			json_decref(b);
		}
		resp_free(&r);
		return EXIT_DONE;
	}
	(void)all;
	return EXIT_USAGE;
}

/* secgw fields conn|child: the key=value names, from the API's own description. */
static int fields(int argc, char **argv)
{
	char all[2048];

	if (argc != 1 || (strcmp(argv[0], "conn") && strcmp(argv[0], "child")))
		return cli_usage("fields conn|child");
	fields_list(!strcmp(argv[0], "conn") ? "Connection" : "Child", all, sizeof(all));
	for (char *p = strtok(all, " "); p; p = strtok(NULL, " "))
		printf("%s\n", p);
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	struct cli c;
	const char *url = NULL, *token = NULL, *cacert = NULL;
	int i, rc;

	memset(&c, 0, sizeof(c));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			help(stdout);
			return EXIT_DONE;
		}
		if (!strcmp(o, "--version")) {
			printf("secgw %s\n", CLI_VERSION);
			return EXIT_DONE;
		}
		if (!v)
			return cli_usage("%s needs a value", o);
		if (!strcmp(o, "--url"))
			url = v;
		else if (!strcmp(o, "--token"))
			token = v;
		else if (!strcmp(o, "--cacert"))
			cacert = v;
		else if (!strcmp(o, "--comment"))
			c.comment = v;
		else if (!strcmp(o, "--output") || !strcmp(o, "-o")) {
			if (strcmp(v, "json") && strcmp(v, "table"))
				return cli_usage("--output is table or json");
			c.json = !strcmp(v, "json");
		} else if (!strcmp(o, "--confirm")) {
			char *end;

			c.confirm = strtol(v, &end, 10);
			if (*end || c.confirm < 1 || c.confirm > 86400)
				return cli_usage("--confirm wants 1 to 86400 seconds");
		} else {
			return cli_usage("unknown option %s", o);
		}
		i++;
	}
	if (i >= argc || !strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			for (unsigned g = 0; g < N_GROUPS; g++)
				if (!strcmp(groups[g].noun, argv[i + 1])) {
					fputs(groups[g].usage, stdout);
					return EXIT_DONE;
				}
		}
		help(i >= argc ? stderr : stdout);
		return i >= argc ? EXIT_USAGE : EXIT_DONE;
	}
	if (!strcmp(argv[i], "fields"))
		return fields(argc - i - 1, argv + i + 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cli_config(&c, url, token, cacert);
	rc = -1;
	if (!strcmp(argv[i], "__complete"))
		rc = complete(&c, argc - i - 1, argv + i + 1);
	for (unsigned g = 0; g < N_GROUPS && rc < 0; g++) {
		if (strcmp(groups[g].noun, argv[i]) != 0)
			continue;
		for (int k = i + 1; k < argc; k++)
			if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h") ||
			    (k == i + 1 && !strcmp(argv[k], "help"))) {
				fputs(groups[g].usage, stdout);
				rc = EXIT_DONE;
				break;
			}
		if (rc < 0)
			rc = groups[g].fn(&c, argc - i - 1, argv + i + 1);
	}
	if (rc < 0)
		rc = cli_usage("unknown command %s", argv[i]);
	if (c.curl)
		curl_easy_cleanup(c.curl);
	cli_wipe(c.token, sizeof(c.token));
	curl_global_cleanup();
	return rc;
}
