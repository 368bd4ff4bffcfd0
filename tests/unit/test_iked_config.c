// SPDX-License-Identifier: MIT
/* ikev2/config.c: defaults, every error collected with its path, manual
 * keying rules, and deep equality for reconcile. */
#include <stdlib.h>

#include "ikev2/config.h"
#include "tap.h"

#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
/* The same length, another first byte. */
#define KEY2 "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"

static json_t *doc(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		printf("# bad test JSON: %s\n", e.text);
	return j;
}

static bool has_error(const struct cfg_errors *e, const char *field, const char *needle)
{
	for (unsigned i = 0; i < e->n; i++)
		if (strcmp(e->e[i].field, field) == 0 && (!needle || strstr(e->e[i].message, needle)))
			return true;
	return false;
}

static void defaults(void)
{
	struct cfg_errors errs;
	struct cfg *c;
	json_t *j = doc("{\"connections\":[{\"name\":\"hq\",\"psk\":\"p\",\"children\":[{\"name\":\"lan\"}]}],"
			"\"secrets\":{\"p\":{\"type\":\"psk\",\"value\":\"0123456789\"}}}");

	is_int(cfg_parse(j, CFG_SRC_CONTROL, &c, &errs), 0, "a minimal IKE connection parses");
	if (!c) {
		json_decref(j);
		return;
	}
	ok(c->conns[0].enabled && c->conns[0].local_port == 500 && c->conns[0].remote_port == 500 &&
	   c->conns[0].n_ike == 2 && c->conns[0].rekey_time == 14400 && c->conns[0].dpd_delay == 30 &&
	   c->conns[0].keying == CFG_KEYING_IKE && c->conns[0].datapath == CFG_DP_USER &&
	   strcmp(c->conns[0].remote_id, "%any") == 0 && c->conns[0].local_addrs[0].addr.family == IPF_NONE,
	   "connection defaults as docs/config.md says");
	ok(c->conns[0].children[0].mode == CFG_MODE_TUNNEL && c->conns[0].children[0].n_esp == 2 &&
	   c->conns[0].children[0].replay_window == 128 && c->conns[0].children[0].rekey_time == 3600 &&
	   c->conns[0].children[0].local_ts[0].ts.dynamic,
	   "child defaults as docs/config.md says");
	cfg_free(c);
	json_decref(j);
}

static void collects_every_error(void)
{
	struct cfg_errors errs;
	struct cfg *c;
	json_t *j = doc("{\"connections\":[{\"name\":\"a\",\"rekey_time\":5,\"dpd_action\":\"maybe\","
			"\"children\":[{\"name\":\"c\",\"protocol\":\"ah\",\"life_bytes\":-1}]},"
			"{\"name\":\"a\",\"keying\":\"manual\",\"children\":[{\"name\":\"c\"}]}],\"extra\":1}");

	is_int(cfg_parse(j, CFG_SRC_CONTROL, &c, &errs), -1, "a bad document is refused");
	ok(c == NULL, "and nothing is returned");
	ok(has_error(&errs, "connections[0].rekey_time", "60-31536000"), "rekey_time range named");
	ok(has_error(&errs, "connections[0].dpd_action", "\"clear\""), "dpd_action choices listed");
	ok(has_error(&errs, "connections[0].psk", "required"), "psk required for IKE with PSK");
	ok(has_error(&errs, "connections[0].children[0].protocol", "not supported yet"), "ah refused");
	ok(has_error(&errs, "connections[0].children[0].life_bytes", NULL), "negative life_bytes refused");
	ok(has_error(&errs, "connections[1].children[0].manual", "required"), "manual block required");
	ok(has_error(&errs, "connections[1].local_addrs[0]", "plain address"), "manual needs outer addresses");
	ok(has_error(&errs, "connections[1].name", "another connection"), "duplicate names refused");
	ok(has_error(&errs, "extra", "unknown field"), "unknown top-level member refused");
	ok(errs.n >= 9, "all errors collected, not just the first (%u)", errs.n);
	json_decref(j);
}

static struct cfg *manual(const char *key, unsigned spi_in, enum cfg_source src)
{
	struct cfg_errors errs;
	struct cfg *c = NULL;
	char text[1024];
	json_t *j;

	snprintf(text, sizeof(text),
		 "{\"connections\":[{\"name\":\"m\",\"keying\":\"manual\",\"local_addrs\":[\"192.0.2.1\"],"
		 "\"remote_addrs\":[\"192.0.2.2\"],\"nat_t\":\"force\",\"children\":[{\"name\":\"c\","
		 "\"manual\":{\"spi_in\":%u,\"spi_out\":4097,\"key_in\":\"k\",\"key_out\":\"hex:%s\"}}]}],"
		 "\"secrets\":{\"k\":{\"type\":\"key\",\"value\":\"%s\"}}}",
		 spi_in, KEY, key);
	j = doc(text);
	if (cfg_parse(j, src, &c, &errs) != 0)
		for (unsigned i = 0; i < errs.n; i++)
			printf("# %s: %s\n", errs.e[i].field, errs.e[i].message);
	json_decref(j);
	return c;
}

static void manual_and_equality(void)
{
	struct cfg *a = manual(KEY, 4096, CFG_SRC_FILE), *b = manual(KEY, 4096, CFG_SRC_FILE);
	struct cfg *k2 = manual("0x" KEY2, 4096, CFG_SRC_FILE);
	struct cfg *s2 = manual(KEY, 4098, CFG_SRC_FILE);

	ok(a && b && k2 && s2, "manual connections parse from a file (key literal and secret)");
	if (!(a && b && k2 && s2))
		goto out;
	ok(a->conns[0].local_port == 4500 && a->conns[0].remote_port == 4500,
	   "nat_t force moves manual ESP to UDP 4500");
	is_mem(a->conns[0].children[0].manual.key_in.value, "\x00\x01\x02\x03", 4, "the secret's key is resolved");
	ok(cfg_conn_equal(&a->conns[0], a, &b->conns[0], b), "identical connections are equal");
	ok(!cfg_conn_equal(&a->conns[0], a, &k2->conns[0], k2), "a changed secret value makes a change");
	ok(!cfg_conn_equal(&a->conns[0], a, &s2->conns[0], s2), "a changed SPI makes a change");
	ok(manual(KEY, 4096, CFG_SRC_CONTROL) == NULL, "key literals are refused over the control socket");
out:
	cfg_free(a);
	cfg_free(b);
	cfg_free(k2);
	cfg_free(s2);
}

int main(void)
{
	defaults();
	collects_every_error();
	manual_and_equality();
	return tap_done();
}
