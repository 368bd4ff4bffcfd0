// SPDX-License-Identifier: MIT
/*
 * More two-engine cases (tests/unit/ike_pair.h): every identity type,
 * IPv6 end to end, transport mode, start_action start, datapath expiries,
 * and the initiator refusing the responder's identity.
 */
#include "ike_pair.h"

static const char *PSK = "cases-test-psk-0123456789";
static struct ike_child_cfg ca, cb;

struct cfg {
	const char *la, *ra, *lb, *rb;		/* addresses; rb may be %any */
	const char *ida_l, *ida_r, *idb_l, *idb_r;
	const char *tsa_l, *tsa_r, *tsb_l, *tsb_r;
	uint8_t mode_a, mode_b, start_a;
};

static void pair_up_cfg(struct pair *pr, const struct cfg *k)
{
	struct ike_conn_cfg a, b;

	pair_init(pr, NULL, NULL);
	addr_parse(k->la, &pr->p[0].addr);
	addr_parse(k->lb, &pr->p[1].addr);
	conn_default(&a, "net", k->la, k->ra, k->ida_l, k->ida_r, PSK,
		     "chacha20poly1305-prfsha256-x25519");
	conn_default(&b, "net", k->lb, k->rb, k->idb_l, k->idb_r, PSK,
		     "chacha20poly1305-prfsha256-x25519");
	child_default(&ca, "net", k->tsa_l, k->tsa_r, "chacha20poly1305");
	child_default(&cb, "net", k->tsb_l, k->tsb_r, "chacha20poly1305");
	ca.mode = k->mode_a;
	cb.mode = k->mode_b;
	ca.start_action = k->start_a;
	a.n_children = b.n_children = 1;
	a.children = &ca;
	b.children = &cb;
	ok(ike_conn_add(pr->p[1].e, &b, pr->now) == NULL, "responder loads");
	ok(ike_conn_add(pr->p[0].e, &a, pr->now) == NULL, "initiator loads");
}

static void identities(void)
{
	static const struct {
		const char *a, *b, *type;
	} ids[] = {
		{ "192.0.2.1", "192.0.2.2", "ID_IPV4_ADDR" },
		{ "2001:db8::a", "2001:db8::b", "ID_IPV6_ADDR" },
		{ "@a.example", "@b.example", "ID_FQDN" },
		{ "alice@example.com", "bob@example.com", "ID_RFC822_ADDR" },
		{ "@#0a1b2c3d", "@#deadbeef", "ID_KEY_ID" },
	};

	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		static struct pair pr;
		struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", ids[i].a, ids[i].b,
				 ids[i].b, ids[i].a, "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24",
				 "10.1.0.0/24", 0, 0, 0 };
		char got[600];

		pair_up_cfg(&pr, &k);
		ike_initiate(pr.p[0].e, "net", NULL, pr.now);
		pair_run(&pr, pr.now + 5000);
		ok(children_match(&pr), "%s: SA up with identities %s / %s", ids[i].type, ids[i].a, ids[i].b);
		ike_id_format(&pr.p[1].e->sas->peer_id, got, sizeof(got));
		is_str(got, ids[i].a[0] == '@' && ids[i].a[1] != '#' ? ids[i].a + 1 : ids[i].a,
		       "%s: responder saw the initiator's identity", ids[i].type);
		pair_free(&pr);
	}
	{
		/* An empty local_id means our address (docs/config.md). */
		static struct pair pr;
		struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "", "%any", "", "192.0.2.1",
				 "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24", "10.1.0.0/24", 0, 0, 0 };
		char got[64];

		pair_up_cfg(&pr, &k);
		ike_initiate(pr.p[0].e, "net", NULL, pr.now);
		pair_run(&pr, pr.now + 5000);
		ok(children_match(&pr), "empty local_id: SA up, identified by address");
		is_str(ike_id_format(&pr.p[0].e->sas->peer_id, got, sizeof(got)), "192.0.2.2",
		       "empty local_id: the responder presented its address");
		pair_free(&pr);
	}
}

static void id_parse(void)
{
	struct ike_id id;
	char b[600];

	ok(!ike_id_parse("vpn.example.com", &id) && id.type == ID_FQDN && id.len == 15, "bare text is an FQDN");
	ok(!ike_id_parse("@vpn.example.com", &id) && id.type == ID_FQDN && id.len == 15, "@ is stripped");
	ok(!ike_id_parse("u@x.org", &id) && id.type == ID_RFC822_ADDR, "user@host is RFC822");
	ok(!ike_id_parse("10.0.0.1", &id) && id.type == ID_IPV4_ADDR && id.len == 4, "IPv4");
	ok(!ike_id_parse("::1", &id) && id.type == ID_IPV6_ADDR && id.len == 16, "IPv6");
	ok(!ike_id_parse("@#00ff", &id) && id.type == ID_KEY_ID && id.len == 2 && id.data[1] == 0xff, "KEY_ID");
	ok(ike_id_parse("@#0g", &id) != NULL, "KEY_ID with a non-hex digit refused");
	ok(ike_id_parse("@#abc", &id) != NULL, "KEY_ID with an odd digit count refused");
	ok(!ike_id_parse("%any", &id) && id.any, "%%any");
	memset(b, 'a', 300);
	b[300] = 0;
	ok(ike_id_parse(b, &id) != NULL, "longer than 255 bytes refused");
	id.type = ID_FQDN;
	id.any = false;
	id.len = 4;
	memcpy(id.data, "a\nb\x01", 4);
	is_str(ike_id_format(&id, b, sizeof(b)), "a\\x0ab\\x01", "a peer's control characters are escaped");
}

static void ipv6(void)
{
	static struct pair pr;
	struct cfg k = { "2001:db8::1", "2001:db8::2", "2001:db8::2", "%any6", "a.test", "b.test",
			 "b.test", "a.test", "2001:db8:1::/64", "2001:db8:2::/64", "2001:db8:2::/64",
			 "2001:db8:1::/64", 0, 0, 0 };

	pair_up_cfg(&pr, &k);
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(children_match(&pr), "IPv6 outer addresses and selectors");
	is_str(pr.p[0].inst[0].ts, "2001:db8:1::/64 === 2001:db8:2::/64", "IPv6 selectors installed");
	ok(!pr.p[0].e->sas->nat_local && !pr.p[0].e->sas->nat_remote, "IPv6 NAT detection sees no NAT");
	pair_free(&pr);
}

static void transport(void)
{
	static struct pair pr;
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "b.test", "b.test",
			 "a.test", "dynamic", "dynamic", "dynamic", "dynamic", IKE_MODE_TRANSPORT,
			 IKE_MODE_TRANSPORT, IKE_START_START };

	/* start_action start: loading the connection initiates it. */
	pair_up_cfg(&pr, &k);
	pair_run(&pr, pr.now + 5000);
	ok(log_find(&pr, 0, "A>B IKE_AUTH request 1 { IDi N(INITIAL_CONTACT) IDr AUTH N(USE_TRANSPORT_MODE) SA TSi TSr }") >= 0,
	   "start_action start initiates on load; transport mode requested");
	ok(log_find(&pr, 0, "B>A IKE_AUTH response 1 { IDr AUTH N(USE_TRANSPORT_MODE) SA TSi TSr }") >= 0,
	   "transport mode accepted");
	ok(children_match(&pr) && pr.p[0].inst[0].mode == IKE_MODE_TRANSPORT &&
	   pr.p[1].inst[0].mode == IKE_MODE_TRANSPORT, "both install transport mode");
	is_str(pr.p[0].inst[0].ts, "192.0.2.1 === 192.0.2.2", "dynamic selectors are the hosts");
	pair_free(&pr);
}

static void tunnel_fallback(void)
{
	static struct pair pr;
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "b.test", "b.test",
			 "a.test", "dynamic", "dynamic", "dynamic", "dynamic", IKE_MODE_TRANSPORT,
			 IKE_MODE_TUNNEL, 0 };

	pair_up_cfg(&pr, &k);
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(children_match(&pr) && pr.p[0].inst[0].mode == IKE_MODE_TUNNEL,
	   "a responder configured for tunnel mode answers a transport request with tunnel");
	pair_free(&pr);
}

static void expiries(void)
{
	static struct pair pr;
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "b.test", "b.test",
			 "a.test", "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24", "10.1.0.0/24", 0, 0, 0 };
	uint32_t spi;
	int at;

	pair_up_cfg(&pr, &k);
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	spi = pr.p[1].inst[0].spi_in;
	at = pr.n_log;
	/* The responder's datapath says: soft limit reached. */
	ike_child_expire(pr.p[1].e, spi, false, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(log_find(&pr, at, "B>A CREATE_CHILD_SA request 0 { N(REKEY_SA) SA No TSi TSr }") >= 0 &&
	   children_match(&pr) && live_children(&pr.p[1]) == 1, "soft expiry from the datapath rekeys");
	at = pr.n_log;
	ike_child_expire(pr.p[0].e, pr.p[0].inst[0].live ? pr.p[0].inst[0].spi_in : pr.p[0].inst[1].spi_in,
			 true, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(log_find(&pr, at, "A>B INFORMATIONAL request 2 { D }") >= 0 && live_children(&pr.p[0]) == 0 &&
	   live_children(&pr.p[1]) == 0, "hard expiry deletes the CHILD SA on both sides");
	ike_child_expire(pr.p[0].e, 12345, true, pr.now);
	ok(pr.n_wire == 0, "an expiry for an unknown SPI does nothing");
	pair_free(&pr);
}

static void initiator_refuses(void)
{
	static struct pair pr;
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "%any", "c.test",
			 "a.test", "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24", "10.1.0.0/24", 0, 0, 0 };
	struct ike_conn_cfg a;

	pair_up_cfg(&pr, &k);
	/* The initiator expects and names b.test; the responder is c.test. */
	conn_default(&a, "net", "192.0.2.1", "192.0.2.2", "a.test", "b.test", PSK,
		     "chacha20poly1305-prfsha256-x25519");
	a.n_children = 1;
	a.children = &ca;
	ike_conn_add(pr.p[0].e, &a, pr.now);
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(ev_find(&pr.p[0], "auth-failed net: peer authenticated as 'c.test', connection expects 'b.test'") >= 0,
	   "initiator refuses the responder's identity and says why");
	ok(log_find(&pr, 0, "A>B INFORMATIONAL request 2 { N(AUTHENTICATION_FAILED) }") >= 0,
	   "and tells the responder (RFC 7296 2.21.2)");
	ok(ev_find(&pr.p[1], "auth-failed net: AUTHENTICATION_FAILED from peer") >= 0 &&
	   pr.p[0].e->n_sas == 0 && pr.p[1].e->n_sas == 0 && live_children(&pr.p[1]) == 0,
	   "the responder tears its side down too");
	pair_free(&pr);
}

static void cookie_threshold(void)
{
	static struct pair pr;
	struct ike_opts ob = { .cookie_threshold = 1 };
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "b.test", "b.test",
			 "a.test", "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24", "10.1.0.0/24", 0, 0, 0 };
	struct ike_conn_cfg a2;
	struct ike_stats st;

	pair_up_cfg(&pr, &k);
	ike_engine_free(pr.p[1].e);
	{
		struct ike_env env = pr.p[0].e->env;
		struct ike_conn_cfg b;

		pr.p[1].e = ike_engine_new(&ob, &env);
		pr.p[1].e->env.ctx = pr.p[1].e;
		conn_default(&b, "net", "192.0.2.2", "%any", "b.test", "%any", PSK,
			     "chacha20poly1305-prfsha256-x25519");
		b.n_children = 1;
		b.children = &cb;
		ike_conn_add(pr.p[1].e, &b, pr.now);
	}
	/* First SA: below the threshold, no cookie. Hold its IKE_AUTH back so
	 * it stays half-open while a second one arrives. */
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_deliver(&pr, 2);	/* IKE_SA_INIT request and response */
	pr.n_wire = 0;		/* the IKE_AUTH request is lost */
	conn_default(&a2, "two", "192.0.2.1", "192.0.2.2", "a2.test", "b.test", PSK,
		     "chacha20poly1305-prfsha256-x25519");
	a2.n_children = 1;
	a2.children = &ca;
	ike_conn_add(pr.p[0].e, &a2, pr.now);
	ike_initiate(pr.p[0].e, "two", NULL, pr.now);
	pair_run(&pr, pr.now + 10000);
	ike_get_stats(pr.p[1].e, &st);
	ok(log_find(&pr, 0, "B>A IKE_SA_INIT response 0 { N(COOKIE) }") >= 0 && st.cookies_sent == 1,
	   "with one SA half-open, the next IKE_SA_INIT gets a cookie");
	if (st.cookies_sent != 1)
		dump_log(&pr);
	ok(st.ike_sas == 2 && children_match(&pr) && live_children(&pr.p[0]) == 2,
	   "both SAs come up (the first through a retransmission)");
	pair_free(&pr);
}

struct seen {
	int n;
	char line[4][2048];
};

static void collect_sa(void *ctx, const struct ike_sa_info *in)
{
	struct seen *s = ctx;
	char l[ADDR_STR_MAX], r[ADDR_STR_MAX], a[TS_STR_MAX], b[TS_STR_MAX];

	if (s->n >= 4)
		return;
	snprintf(s->line[s->n++], sizeof(s->line[0]),
		 "%s %s %s %s[%u] %s[%u] %s %s %s children=%u %s %s %s %s===%s spi_ok=%d rekey=%d",
		 in->conn, in->state, in->initiator ? "initiator" : "responder",
		 addr_format(&in->local.addr, l, sizeof(l)), in->local.port,
		 addr_format(&in->remote.addr, r, sizeof(r)), in->remote.port, in->local_id,
		 in->remote_id, in->proposal, in->n_children,
		 in->n_children ? in->children[0].name : "-", in->n_children ? in->children[0].state : "-",
		 in->n_children ? in->children[0].proposal : "-",
		 in->n_children ? ts_format(&in->children[0].local_ts[0], a, sizeof(a)) : "-",
		 in->n_children ? ts_format(&in->children[0].remote_ts[0], b, sizeof(b)) : "-",
		 in->spi_i && in->spi_r && in->n_children && in->children[0].spi_in >= 256,
		 in->rekey_in_ms > 0 && in->rekey_in_ms <= 14400000);
}

static void status(void)
{
	static struct pair pr;
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "b.test", "b.test",
			 "a.test", "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24", "10.1.0.0/24", 0, 0, 0 };
	struct seen a = { 0 }, b = { 0 };

	pair_up_cfg(&pr, &k);
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ike_foreach_sa(pr.p[0].e, NULL, pr.now, collect_sa, &a);
	ike_foreach_sa(pr.p[1].e, "net", pr.now, collect_sa, &b);
	is_int(a.n, 1, "list: one IKE SA on the initiator");
	is_str(a.line[0], "net established initiator 192.0.2.1[500] 192.0.2.2[500] a.test b.test "
	       "chacha20poly1305-prfsha256-x25519 children=1 net installed chacha20poly1305 "
	       "10.1.0.0/24===10.2.0.0/24 spi_ok=1 rekey=1", "list: the initiator's view");
	is_str(b.line[0], "net established responder 192.0.2.2[500] 192.0.2.1[500] b.test a.test "
	       "chacha20poly1305-prfsha256-x25519 children=1 net installed chacha20poly1305 "
	       "10.2.0.0/24===10.1.0.0/24 spi_ok=1 rekey=1", "list: the responder's view");
	b.n = 0;
	ike_foreach_sa(pr.p[1].e, "other", pr.now, collect_sa, &b);
	is_int(b.n, 0, "list: filtered by connection");
	pair_free(&pr);
}

/* A peer that restarted says INITIAL_CONTACT; its old SAs go. Over
 * NAT-T, where the response is sent with the non-ESP marker before the
 * request's INITIAL_CONTACT is looked at. */
static void initial_contact(void)
{
	static struct pair pr;
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "b.test", "b.test",
			 "a.test", "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24", "10.1.0.0/24", 0, 0, 0 };
	struct ike_conn_cfg a;
	struct ike_stats st;

	pair_up_cfg(&pr, &k);
	conn_default(&a, "net", "192.0.2.1", "192.0.2.2", "a.test", "b.test", PSK,
		     "chacha20poly1305-prfsha256-x25519");
	a.nat_t = IKE_NAT_FORCE;
	a.n_children = 1;
	a.children = &ca;
	ike_conn_add(pr.p[0].e, &a, pr.now);
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(children_match(&pr), "INITIAL_CONTACT: first SA up (NAT-T forced)");
	/* The initiator restarts: a new engine, same configuration. */
	{
		struct ike_env env = pr.p[0].e->env;

		ike_engine_free(pr.p[0].e);
		memset(pr.p[0].inst, 0, sizeof(pr.p[0].inst));
		pr.p[0].e = ike_engine_new(NULL, &env);
		pr.p[0].e->env.ctx = pr.p[0].e;
		ike_conn_add(pr.p[0].e, &a, pr.now);
	}
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ike_get_stats(pr.p[1].e, &st);
	ok(st.ike_sas == 1 && live_children(&pr.p[1]) == 1 && children_match(&pr),
	   "INITIAL_CONTACT over 4500: the responder dropped the old SA and its child");
	ok(ev_find(&pr.p[1], "ike-down net: replaced (INITIAL_CONTACT from peer)") >= 0,
	   "INITIAL_CONTACT: the old SA's end is reported");
	pair_free(&pr);
}

/* The responder takes our second proposal: its answer carries number 2. */
static void second_proposal(void)
{
	static struct pair pr;
	struct cfg k = { "192.0.2.1", "192.0.2.2", "192.0.2.2", "%any", "a.test", "b.test", "b.test",
			 "a.test", "10.1.0.0/24", "10.2.0.0/24", "10.2.0.0/24", "10.1.0.0/24", 0, 0, 0 };
	struct ike_conn_cfg a;

	pair_up_cfg(&pr, &k);
	conn_default(&a, "net", "192.0.2.1", "192.0.2.2", "a.test", "b.test", PSK,
		     "chacha20poly1305-prfsha512-x25519");
	proposal_parse(PROP_IKE, "chacha20poly1305-prfsha256-x25519", &a.ike[1]);
	a.n_ike = 2;
	a.n_children = 1;
	a.children = &ca;
	ike_conn_add(pr.p[0].e, &a, pr.now);
	ike_initiate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(children_match(&pr), "a responder's choice of our proposal #2 is accepted");
	pair_free(&pr);
}

int main(void)
{
	log_init("test", "/dev/null", LOG_LVL_ERR);
	id_parse();
	identities();
	ipv6();
	transport();
	tunnel_fallback();
	expiries();
	initiator_refuses();
	cookie_threshold();
	status();
	initial_contact();
	second_proposal();
	return tap_done();
}
