// SPDX-License-Identifier: MIT
/*
 * From configuration to SAs and back to the control protocol: two
 * docs/config.md documents parsed by ikev2/config.c, mapped to engine
 * connections (ikev2/ike_cfg.c), brought up between two engines, and the
 * resulting events and list-sas status rendered as docs/control.md JSON.
 */
#include <sodium.h>

#include "ike_pair.h"
#include "ikev2/ike_cfg.h"

static const char *DOC_A =
	"{\"connections\":[{\"name\":\"hq\",\"local_addrs\":[\"192.0.2.1\"],\"remote_addrs\":[\"192.0.2.2\"],"
	"\"local_id\":\"@a.example\",\"remote_id\":\"@b.example\",\"psk\":\"p\","
	"\"ike_proposals\":[\"aes256gcm16-prfsha512-x25519\",\"chacha20poly1305-prfsha256-x25519\"],"
	"\"dpd_delay\":10,\"dpd_action\":\"restart\",\"nat_t\":\"force\",\"rekey_time\":7200,"
	"\"children\":[{\"name\":\"lan\",\"local_ts\":[\"10.1.0.0/24\"],\"remote_ts\":[\"10.2.0.0/24\"],"
	"\"esp_proposals\":[\"chacha20poly1305\"],\"rekey_time\":600,\"life_bytes\":1000000,"
	"\"replay_window\":256,\"start_action\":\"start\"}]}],"
	"\"secrets\":{\"p\":{\"type\":\"psk\",\"value\":\"correct horse battery\"}}}";

static const char *DOC_B =
	"{\"connections\":[{\"name\":\"branch\",\"local_addrs\":[\"192.0.2.2\"],\"remote_addrs\":[\"%any\"],"
	"\"local_id\":\"@b.example\",\"remote_id\":\"@a.example\",\"psk\":\"p\","
	"\"ike_proposals\":[\"chacha20poly1305-prfsha256-x25519\"],"
	"\"children\":[{\"name\":\"lan\",\"local_ts\":[\"10.2.0.0/24\"],\"remote_ts\":[\"10.1.0.0/24\"]}]},"
	"{\"name\":\"manual\",\"keying\":\"manual\",\"local_addrs\":[\"192.0.2.2\"],\"remote_addrs\":[\"192.0.2.9\"],"
	"\"children\":[{\"name\":\"m\",\"manual\":{\"spi_in\":4096,\"spi_out\":4097,\"key_in\":\"k\",\"key_out\":\"k\"}}]}],"
	"\"secrets\":{\"p\":{\"type\":\"psk\",\"value\":\"correct horse battery\"},"
	"\"k\":{\"type\":\"key\",\"value\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223\"}}}";

static struct cfg *parse(const char *doc)
{
	json_error_t je;
	json_t *j = json_loads(doc, 0, &je);
	static struct cfg_errors errs;
	struct cfg *c = NULL;

	if (!j || cfg_parse(j, CFG_SRC_CONTROL, &c, &errs) != 0) {
		printf("# config refused: %s %s\n", j ? errs.e[0].field : je.text, j ? errs.e[0].message : "");
		c = NULL;
	}
	json_decref(j);
	return c;
}

static char *dump(json_t *j)
{
	static char buf[4096];
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
	free(s);
	json_decref(j);
	return buf;
}

static void mapping(void)
{
	struct cfg *a = parse(DOC_A), *b = parse(DOC_B);
	static struct ike_conn_cfg c;
	static struct ike_child_cfg ch[4];
	char buf[PROP_STR_MAX];

	if (!ok(a && b, "both documents parse"))
		return;
	is_str(ike_conn_from_cfg(a, &a->conns[0], &c, ch), NULL, "hq maps to an engine connection");
	ok(c.n_local == 1 && c.local_plen[0] == 32 && c.remote_addrs[0].b[3] == 2 && c.local_port == 500,
	   "addresses and ports");
	ok(c.local_id.type == ID_FQDN && c.local_id.len == 9 && !memcmp(c.local_id.data, "a.example", 9) &&
	   c.remote_id.type == ID_FQDN, "identities (@ stripped)");
	ok(c.psk_len == 21 && !memcmp(c.psk, "correct horse battery", 21), "the PSK value comes from secrets");
	ok(c.n_ike == 2 && !strcmp(proposal_format(PROP_IKE, &c.ike[1], buf, sizeof(buf)),
				    "chacha20poly1305-prfsha256-x25519"), "IKE proposals in order");
	ok(c.dpd_delay == 10 && c.dpd_action == IKE_DPD_RESTART && c.nat_t == IKE_NAT_FORCE &&
	   c.rekey_time == 7200, "DPD, NAT-T and rekey settings");
	ok(c.n_children == 1 && !strcmp(ch[0].name, "lan") && ch[0].rekey_time == 600 &&
	   ch[0].life_bytes == 1000000 && ch[0].replay_window == 256 && ch[0].start_action == IKE_START_START,
	   "child lifetimes, replay window, start action");
	is_str(ts_format(&ch[0].local_ts[0], buf, sizeof(buf)), "10.1.0.0/24", "child selectors");
	ok(ike_conn_from_cfg(b, &b->conns[1], &c, ch) != NULL, "a manual connection is not the engine's");
	sodium_memzero(&c, sizeof(c));
	cfg_free(a);
	cfg_free(b);
}

static void collect(void *ctx, const struct ike_sa_info *in)
{
	/* The children array lives in the engine; valid until the next call. */
	*(struct ike_sa_info *)ctx = *in;
}

static void end_to_end(void)
{
	static struct pair pr;
	struct cfg *a = parse(DOC_A), *b = parse(DOC_B);
	static struct ike_conn_cfg ca, cb;
	static struct ike_child_cfg cha[2], chb[2];
	struct ike_sa_info *seen = NULL;
	char ev[1024];

	if (!a || !b)
		return;
	pair_init(&pr, NULL, NULL);
	ike_conn_from_cfg(b, &b->conns[0], &cb, chb);
	ike_conn_add(pr.p[1].e, &cb, pr.now);
	ike_conn_from_cfg(a, &a->conns[0], &ca, cha);
	/* start_action start: loading it initiates. */
	ok(ike_conn_add(pr.p[0].e, &ca, pr.now) == NULL, "hq loads and starts");
	pair_run(&pr, pr.now + 5000);
	ok(children_match(&pr) && pr.p[0].inst[0].encap, "configured connections come up (nat_t force: encapsulated)");
	if (!children_match(&pr))
		dump_log(&pr);
	ok(ev_find(&pr.p[0], "child-up hq/lan") >= 0 && ev_find(&pr.p[1], "child-up branch/lan") >= 0,
	   "each side names its own connection");
	{
		struct ike_event e = { .type = IKE_EV_CHILD_UP, .conn = "hq", .child = "lan",
				       .spi_in = 0xd757a2f9, .spi_out = 0x2d2fa118, .proposal = "aes256gcm16" };
		static const char *const off[] = { "TSi 10.9.0.0/24" }, *const acc[] = { "TSi 10.1.0.0/24" };
		struct ike_event n = { .type = IKE_EV_NEG_FAILED, .conn = "hq", .stage = "ts",
				       .reason = "TS_UNACCEPTABLE: …", .n_offered = 1, .offered = off,
				       .n_accepted = 1, .accepted = acc };

		snprintf(ev, sizeof(ev), "%s", dump(ike_event_json(&e, 1700000000)));
		is_str(ev, "{\"child\":\"lan\",\"connection\":\"hq\",\"event\":\"child-up\",\"proposal\":\"aes256gcm16\","
		       "\"spi_in\":\"d757a2f9\",\"spi_out\":\"2d2fa118\",\"time\":1700000000}",
		       "child-up event as docs/control.md writes it");
		snprintf(ev, sizeof(ev), "%s", dump(ike_event_json(&n, 1700000000)));
		is_str(ev, "{\"accepted\":[\"TSi 10.1.0.0/24\"],\"connection\":\"hq\",\"event\":\"negotiation-failed\","
		       "\"offered\":[\"TSi 10.9.0.0/24\"],\"reason\":\"TS_UNACCEPTABLE: …\",\"stage\":\"ts\",\"time\":1700000000}",
		       "negotiation-failed event with offered and accepted");
	}
	{
		struct ike_sa_info copy;
		json_t *ike, *child;
		char *s;

		seen = &copy;
		memset(&copy, 0, sizeof(copy));
		ike_foreach_sa(pr.p[0].e, "hq", pr.now, collect, &copy);
		ike = ike_sa_json(&copy, pr.now, 1700000000);
		ok(!strcmp(json_string_value(json_object_get(ike, "state")), "established") &&
		   json_is_true(json_object_get(ike, "initiator")) &&
		   !strcmp(json_string_value(json_object_get(ike, "local")), "192.0.2.1[4500]") &&
		   !strcmp(json_string_value(json_object_get(ike, "remote_id")), "b.example") &&
		   !strcmp(json_string_value(json_object_get(ike, "proposal")), "chacha20poly1305-prfsha256-x25519") &&
		   /* up 5 s before "now" on the test clock */
		   json_integer_value(json_object_get(ike, "established")) == 1700000000 - 5 &&
		   json_integer_value(json_object_get(ike, "rekey_in")) > 6000 &&
		   /* nat_t force fakes a NAT for the peer; our own detection sees none */
		   json_is_false(json_object_get(json_object_get(ike, "nat"), "local")),
		   "list-sas: the ike object");
		s = json_dumps(ike, JSON_COMPACT);
		printf("# %s\n", s);
		free(s);
		json_decref(ike);
		if (!ok(copy.n_children == 1, "list-sas: one child"))
			goto out;
		child = ike_child_json(&copy.children[0], pr.now, 1700000000);
		ok(!strcmp(json_string_value(json_object_get(child, "name")), "lan") &&
		   !strcmp(json_string_value(json_object_get(child, "state")), "installed") &&
		   strlen(json_string_value(json_object_get(child, "spi_in"))) == 8 &&
		   !strcmp(json_string_value(json_array_get(json_object_get(child, "remote_ts"), 0)), "10.2.0.0/24"),
		   "list-sas: a child entry");
		json_decref(child);
	}
out:
	(void)seen;
	pair_free(&pr);
	sodium_memzero(&ca, sizeof(ca));
	sodium_memzero(&cb, sizeof(cb));
	cfg_free(a);
	cfg_free(b);
}

int main(void)
{
	log_init("test", "/dev/null", LOG_LVL_ERR);
	if (sodium_init() < 0)
		return 1;
	mapping();
	end_to_end();
	return tap_done();
}
