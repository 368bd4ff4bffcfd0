// SPDX-License-Identifier: MIT
/*
 * secgw sa list, initiate, terminate: live SAs, through the agent and
 * secgw-iked. Until the engine is connected the agent answers 503
 * (engine-not-connected) and this says so plainly (exit 2).
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

int cmd_sa(struct cli *c, int argc, char **argv)
{
	json_t *body, *it;
	size_t i;
	int rc;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "list") != 0))
		return cli_usage("sa list");
	if ((rc = cli_get(c, "/sas", &body)) || !body)
		return rc;
	/* The engine integration defines the items; print what each says of itself. */
	json_array_foreach(json_object_get(body, "items"), i, it) {
		char *line = json_dumps(it, JSON_COMPACT);

		printf("%s\n", line ? line : "?");
		free(line);
	}
	json_decref(body);
	return EXIT_DONE;
}

static int act(struct cli *c, const char *what, int argc, char **argv)
{
	char path[CLI_PATH_MAX];
	struct resp r;
	int rc;

	if (argc != 1)
		return cli_usage("%s CONNECTION", what);
	cli_path(path, sizeof(path), (const char *[]){ "connections", argv[0], what, NULL });
	rc = cli_call(c, "POST", path, NULL, 0, NULL, &r);
	if (!rc && !cli_print_raw(c, &r))
		printf("%s of %s requested\n", what, argv[0]);
	resp_free(&r);
	return rc;
}

int cmd_initiate(struct cli *c, int argc, char **argv)
{
	return act(c, "initiate", argc, argv);
}

int cmd_terminate(struct cli *c, int argc, char **argv)
{
	return act(c, "terminate", argc, argv);
}
