// SPDX-License-Identifier: MIT
/*
 * secgw sa list, initiate, terminate: live SAs, through the agent and
 * secgw-iked. While the engine is not connected the agent answers 503
 * (engine-not-connected) and this says so plainly (exit 2).
 */
#include "cli/cli.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "1234567" bytes as "1.2M": a table column stays narrow. */
static void human(uint64_t v, char *out, size_t len)
{
	static const char units[] = "kMGTP";
	double d = (double)v;
	int u = -1;

	while (d >= 1000 && u < (int)sizeof(units) - 2) {
		d /= 1000;
		u++;
	}
	if (u < 0)
		snprintf(out, len, "%llu", (unsigned long long)v);
	else
		snprintf(out, len, "%.1f%c", d, units[u]);
}

static void str_of(const json_t *o, const char *k, char *out, size_t len)
{
	const json_t *v = json_object_get(o, k);

	if (json_is_null(v) || !v)
		snprintf(out, len, "-");
	else
		value_text(v, out, len);
}

/*
 * One row per CHILD SA (or configured child without one), so a connection
 * with three children shows three lines; a connection without children
 * still gets its row. Bytes are in then out; --output json has it all
 * (identities, IKE proposal, packets, drops).
 */
static void sa_rows(struct table *t, const json_t *conn)
{
	const json_t *ch;
	char name[80], state[40], childn[80], cstate[40], espp[80], spis[40], bytes[40], rekey[24], a[16], b[16];
	size_t i;

	str_of(conn, "name", name, sizeof(name));
	str_of(conn, "state", state, sizeof(state));
	if (json_array_size(json_object_get(conn, "children")) == 0) {
		table_add(t, (const char *const[]){ name, state, "-", "-", "-", "-", "-", "-" });
		return;
	}
	json_array_foreach(json_object_get(conn, "children"), i, ch) {
		const char *si = json_string_value(json_object_get(ch, "spi_in"));
		const char *so = json_string_value(json_object_get(ch, "spi_out"));

		str_of(ch, "name", childn, sizeof(childn));
		str_of(ch, "state", cstate, sizeof(cstate));
		str_of(ch, "proposal", espp, sizeof(espp));
		str_of(ch, "rekey_in", rekey, sizeof(rekey));
		snprintf(spis, sizeof(spis), "%s/%s", si ? si : "-", so ? so : "-");
		human((uint64_t)json_integer_value(json_object_get(ch, "bytes_in")), a, sizeof(a));
		human((uint64_t)json_integer_value(json_object_get(ch, "bytes_out")), b, sizeof(b));
		snprintf(bytes, sizeof(bytes), "%s/%s", a, b);
		table_add(t, (const char *const[]){ i ? "" : name, i ? "" : state, childn, cstate, espp, spis,
						    bytes, rekey });
	}
}

int cmd_sa(struct cli *c, int argc, char **argv)
{
	static const char *const heads[] = { "CONN", "STATE", "CHILD", "SA", "ESP", "SPI IN/OUT",
					     "BYTES IN/OUT", "REKEY" };
	json_t *body, *conn;
	struct table *t;
	size_t i;
	int rc;

	if (argc > 1 || (argc == 1 && strcmp(argv[0], "list") != 0))
		return cli_usage("sa list");
	if ((rc = cli_get(c, "/sas", &body)) || !body)
		return rc;
	t = table_new(sizeof(heads) / sizeof(heads[0]), heads);
	if (!t) {
		json_decref(body);
		return EXIT_REJECTED;
	}
	json_array_foreach(json_object_get(body, "connections"), i, conn)
		sa_rows(t, conn);
	table_print(t, stdout);
	table_free(t);
	if (json_array_size(json_object_get(body, "connections")) == 0)
		printf("(no connection loaded in secgw-iked)\n");
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
