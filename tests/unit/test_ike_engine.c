// SPDX-License-Identifier: MIT
/*
 * Two engines against each other (tests/unit/ike_pair.h): every exchange,
 * each message's payloads in RFC notation, the error paths, rekeys and
 * their collisions, loss and retransmission, cookies, liveness and NAT.
 */
#include "ike_pair.h"

static const char *PSK = "engine-test-psk-0123456789";
static const char *CHACHA = "chacha20poly1305-prfsha256-x25519";
static const char *GCM = "aes256gcm16-prfsha512-x25519";

struct setup {
	const char *ike_a, *ike_b, *esp_a, *esp_b;
	const char *lts_a, *rts_a, *lts_b, *rts_b;
	const char *psk_b, *rid_b;
	uint32_t dpd_a, child_rekey_a, child_rekey_b;
	uint8_t dpd_action_a, nat_a;
	struct ike_opts oa, ob;
};

static struct ike_child_cfg ca, cb;

static void setup(struct pair *pr, const struct setup *s)
{
	struct ike_conn_cfg a, b;

	pair_init(pr, &s->oa, &s->ob);
	conn_default(&a, "net", "192.0.2.1", "192.0.2.2", "a.test", "b.test", PSK,
		     s->ike_a ? s->ike_a : CHACHA);
	conn_default(&b, "net", "192.0.2.2", "%any", "b.test", s->rid_b ? s->rid_b : "a.test",
		     s->psk_b ? s->psk_b : PSK, s->ike_b ? s->ike_b : CHACHA);
	child_default(&ca, "net", s->lts_a ? s->lts_a : "10.1.0.0/24", s->rts_a ? s->rts_a : "10.2.0.0/24",
		      s->esp_a ? s->esp_a : "chacha20poly1305");
	child_default(&cb, "net", s->lts_b ? s->lts_b : "10.2.0.0/24", s->rts_b ? s->rts_b : "10.1.0.0/24",
		      s->esp_b ? s->esp_b : "chacha20poly1305");
	if (s->child_rekey_a)
		ca.rekey_time = s->child_rekey_a;
	if (s->child_rekey_b)
		cb.rekey_time = s->child_rekey_b;
	a.dpd_delay = s->dpd_a;
	a.dpd_action = s->dpd_action_a;
	a.nat_t = s->nat_a;
	a.n_children = 1;
	a.children = &ca;
	b.n_children = 1;
	b.children = &cb;
	ok(ike_conn_add(pr->p[0].e, &a, pr->now) == NULL && ike_conn_add(pr->p[1].e, &b, pr->now) == NULL,
	   "connections load");
}

/* Assert the log from `at` on equals the lines given, in order. */
static int expect_log(struct pair *pr, int at, const char *what, const char *const *lines, int n)
{
	int ok_all = 1;

	for (int i = 0; i < n; i++) {
		if (at + i >= pr->n_log || strcmp(pr->log[at + i], lines[i])) {
			ok_all = 0;
			break;
		}
	}
	if (!ok(ok_all, "%s: message sequence", what)) {
		for (int i = 0; i < n; i++)
			printf("#   want %s\n", lines[i]);
		dump_log(pr);
	}
	return at + n;
}

static void up(struct pair *pr, const char *what)
{
	ok(ike_initiate(pr->p[0].e, "net", "net", pr->now) == 0, "%s: initiate", what);
	pair_run(pr, pr->now + 5000);
}

static void happy(const char *ike, const char *esp, const char *what)
{
	static struct pair pr;
	struct setup s = { .ike_a = ike, .ike_b = ike, .esp_a = esp, .esp_b = esp };
	static const char *const seq[] = {
		"A>B IKE_SA_INIT request 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) }",
		"B>A IKE_SA_INIT response 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) }",
		"A>B IKE_AUTH request 1 { IDi N(INITIAL_CONTACT) IDr AUTH SA TSi TSr }",
		"B>A IKE_AUTH response 1 { IDr AUTH SA TSi TSr }",
	};
	struct ike_stats st;

	setup(&pr, &s);
	up(&pr, what);
	expect_log(&pr, 0, what, seq, 4);
	ok(ev_find(&pr.p[0], "ike-up net") >= 0 && ev_find(&pr.p[1], "ike-up net") >= 0,
	   "%s: ike-up on both sides", what);
	ok(ev_find(&pr.p[0], "child-up net/net") >= 0 && ev_find(&pr.p[1], "child-up net/net") >= 0,
	   "%s: child-up on both sides", what);
	ok(children_match(&pr), "%s: one CHILD SA pair, SPIs and keys agree", what);
	ok(!pr.p[0].inst[0].encap && pr.p[0].inst[0].lport == 500, "%s: no NAT, no encapsulation", what);
	is_str(pr.p[0].inst[0].ts, "10.1.0.0/24 === 10.2.0.0/24", "%s: initiator's selectors", what);
	is_str(pr.p[1].inst[0].ts, "10.2.0.0/24 === 10.1.0.0/24", "%s: responder's selectors", what);
	ike_get_stats(pr.p[1].e, &st);
	ok(st.ike_sas == 1 && st.half_open == 0 && st.children == 1, "%s: responder holds 1 IKE SA, 1 child", what);
	pair_free(&pr);
}

static void wrong_psk(void)
{
	static struct pair pr;
	struct setup s = { .psk_b = "another-psk-0123456789" };
	struct ike_stats a, b;

	setup(&pr, &s);
	up(&pr, "wrong PSK");
	ok(log_find(&pr, 0, "B>A IKE_AUTH response 1 { N(AUTHENTICATION_FAILED) }") >= 0,
	   "wrong PSK: responder answers AUTHENTICATION_FAILED");
	ok(ev_find(&pr.p[1], "auth-failed net: AUTH from 'a.test' does not verify") >= 0,
	   "wrong PSK: responder's event names the peer and the key");
	ok(ev_find(&pr.p[0], "auth-failed net: AUTHENTICATION_FAILED from peer") >= 0,
	   "wrong PSK: initiator's event says the peer refused");
	ike_get_stats(pr.p[0].e, &a);
	ike_get_stats(pr.p[1].e, &b);
	ok(a.ike_sas == 0 && b.ike_sas == 0 && live_children(&pr.p[0]) == 0 &&
	   live_children(&pr.p[1]) == 0, "wrong PSK: no SA left on either side");
	ok(ev_find(&pr.p[0], "ike-up") < 0, "wrong PSK: never up");
	pair_free(&pr);
}

static void wrong_identity(void)
{
	static struct pair pr;
	struct setup s = { .rid_b = "c.test" };

	setup(&pr, &s);
	up(&pr, "wrong identity");
	ok(ev_find(&pr.p[1], "auth-failed net: no connection accepts peer identity 'a.test'") >= 0,
	   "wrong identity: responder says which identity it refused");
	ok(ev_find(&pr.p[0], "auth-failed") >= 0, "wrong identity: initiator learns it");
	pair_free(&pr);
}

static void no_proposal_ike(void)
{
	static struct pair pr;
	struct setup s = { .ike_a = "aes256gcm16-prfsha256-x25519", .ike_b = CHACHA };

	if (!ike_aead_supported(ENCR_AES_GCM_16, 256)) {
		tap_skip("needs AES-GCM");
		return;
	}
	setup(&pr, &s);
	up(&pr, "IKE NO_PROPOSAL_CHOSEN");
	ok(log_find(&pr, 0, "B>A IKE_SA_INIT response 0 { N(NO_PROPOSAL_CHOSEN) }") >= 0,
	   "IKE proposal mismatch: NO_PROPOSAL_CHOSEN");
	ok(ev_find(&pr.p[1], "negotiation-failed net") >= 0, "responder reports the mismatch");
	is_str(pr.p[1].neg_offered[0], "#1 IKE aes256gcm16-prfsha256-x25519: no common ENCR (we accept chacha20poly1305)",
	       "responder's event: what the peer offered and which transform failed");
	is_str(pr.p[1].neg_accepted[0], "IKE chacha20poly1305-prfsha256-x25519",
	       "responder's event: what the connection accepts");
	is_str(pr.p[1].last_neg.stage, "ike-proposal", "stage ike-proposal");
	ok(ev_find(&pr.p[0], "negotiation-failed net: NO_PROPOSAL_CHOSEN from peer") >= 0,
	   "initiator reports the peer's refusal");
	is_str(pr.p[0].neg_offered[0], "IKE aes256gcm16-prfsha256-x25519", "initiator lists what it offered");
	pair_free(&pr);
}

static void no_proposal_esp(void)
{
	static struct pair pr;
	struct setup s = { .esp_a = "chacha20poly1305-esn", .esp_b = "chacha20poly1305-noesn" };

	setup(&pr, &s);
	up(&pr, "ESP NO_PROPOSAL_CHOSEN");
	ok(log_find(&pr, 0, "B>A IKE_AUTH response 1 { IDr AUTH N(NO_PROPOSAL_CHOSEN) }") >= 0,
	   "ESP mismatch in IKE_AUTH: IKE up, child refused");
	is_str(pr.p[1].neg_offered[0], "#1 ESP chacha20poly1305-esn: no common ESN setting",
	       "responder explains the ESN mismatch");
	is_str(pr.p[1].neg_accepted[0], "ESP chacha20poly1305", "responder lists its ESP proposal");
	ok(ev_find(&pr.p[0], "ike-up") >= 0 && live_children(&pr.p[0]) == 0 && live_children(&pr.p[1]) == 0,
	   "IKE SA stays, no CHILD SA");
	pair_free(&pr);
}

static void ts_unacceptable(void)
{
	static struct pair pr;
	struct setup s = { .lts_a = "10.9.0.0/24" };

	setup(&pr, &s);
	up(&pr, "TS_UNACCEPTABLE");
	ok(log_find(&pr, 0, "B>A IKE_AUTH response 1 { IDr AUTH N(TS_UNACCEPTABLE) }") >= 0,
	   "selector mismatch: TS_UNACCEPTABLE");
	is_str(pr.p[1].last_neg.stage, "ts", "stage ts");
	is_str(pr.p[1].neg_offered[0], "TSi 10.9.0.0/24", "responder shows the offered TSi");
	is_str(pr.p[1].neg_accepted[0], "TSi 10.1.0.0/24", "responder shows the accepted TSi");
	is_str(pr.p[1].neg_reason, "TS_UNACCEPTABLE: TSi 10.9.0.0/24 shares nothing with our 10.1.0.0/24",
	       "responder's reason, selector by selector");
	ok(ev_find(&pr.p[0], "negotiation-failed net: TS_UNACCEPTABLE from peer") >= 0,
	   "initiator reports TS_UNACCEPTABLE");
	pair_free(&pr);
}

static void ts_narrowing(void)
{
	static struct pair pr;
	struct setup s = { .lts_a = "10.0.0.0/8", .rts_a = "10.2.0.0/16" };

	setup(&pr, &s);
	up(&pr, "narrowing");
	ok(children_match(&pr), "narrowed child is up");
	is_str(pr.p[0].inst[0].ts, "10.1.0.0/24 === 10.2.0.0/24", "initiator gets the narrowed selectors");
	is_str(pr.p[1].inst[0].ts, "10.2.0.0/24 === 10.1.0.0/24", "responder installs its policy");
	pair_free(&pr);
}

static bool drop_some(struct pair *p, int seq, const struct dgram *d)
{
	return seq == 0 || seq == 4;
}

static void retransmit_loss(void)
{
	static struct pair pr;
	struct setup s = { 0 };
	struct ike_stats st;
	int at;

	setup(&pr, &s);
	/* Lose the first IKE_SA_INIT request, then the first IKE_AUTH response. */
	pr.drop = drop_some;
	up(&pr, "loss");
	ok(children_match(&pr), "loss: the SA comes up through retransmissions");
	at = log_find(&pr, 0, "A>B IKE_SA_INIT request 0");
	ok(at >= 0 && log_find(&pr, at + 1, "A>B IKE_SA_INIT request 0") == at + 1 &&
	   pr.log_time[at + 1] - pr.log_time[at] == 1000, "loss: IKE_SA_INIT retransmitted after 1 s");
	at = log_find(&pr, 0, "A>B IKE_AUTH request 1");
	ok(at >= 0 && log_find(&pr, at + 2, "A>B IKE_AUTH request 1") == at + 2 &&
	   pr.log_time[at + 2] - pr.log_time[at] == 1000, "loss: IKE_AUTH retransmitted after 1 s");
	ike_get_stats(pr.p[1].e, &st);
	is_int(st.replays, 1, "loss: responder replayed its cached IKE_AUTH response once");
	is_int(st.ike_up, 1, "loss: responder established exactly one IKE SA");
	pair_free(&pr);
}


static bool drop_all(struct pair *p, int seq, const struct dgram *d)
{
	return true;
}

static void backoff(void)
{
	static struct pair pr;
	struct setup s = { .oa = { .retransmit_tries = 3 } };
	int at;

	setup(&pr, &s);
	pr.drop = drop_all;
	up(&pr, "backoff");
	pair_run(&pr, pr.now + 60000);
	at = log_find(&pr, 0, "A>B IKE_SA_INIT");
	ok(at == 0 && pr.n_log == 4 && pr.log_time[1] - pr.log_time[0] == 1000 &&
	   pr.log_time[2] - pr.log_time[1] == 2000 && pr.log_time[3] - pr.log_time[2] == 4000,
	   "backoff: 1 + 3 tries at 1 s, 2 s, 4 s");
	if (pr.n_log != 4)
		dump_log(&pr);
	ok(ev_find(&pr.p[0], "ike-up") < 0 && pr.p[0].e->n_sas == 0, "backoff: gives up after the last try");
	pair_free(&pr);
}

static void cookies(void)
{
	static struct pair pr;
	struct setup s = { .ob = { .always_cookie = true } };
	static const char *const seq[] = {
		"A>B IKE_SA_INIT request 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) }",
		"B>A IKE_SA_INIT response 0 { N(COOKIE) }",
		"A>B IKE_SA_INIT request 0 { N(COOKIE) SA KE No N(NATD_S_IP) N(NATD_D_IP) }",
		"B>A IKE_SA_INIT response 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) }",
	};
	struct ike_stats st;

	setup(&pr, &s);
	up(&pr, "cookie");
	expect_log(&pr, 0, "cookie", seq, 4);
	ok(children_match(&pr), "cookie: the SA comes up after the cookie round");
	ike_get_stats(pr.p[1].e, &st);
	is_int(st.cookies_sent, 1, "cookie: one cookie sent");
	pair_free(&pr);
}

/* A hand-made IKE_SA_INIT request (SPIi seed), for the responder-only tests. */
static size_t craft_init(uint8_t *out, uint64_t spi, uint16_t ke_group, size_t ke_len,
			 bool with_nonce, bool critical_unknown, const uint16_t *dh, unsigned n_dh)
{
	struct ike_hdr h = { .spi_i = spi, .exchange = EXCH_IKE_SA_INIT, .flags = HDR_F_INITIATOR };
	struct wbuf w;
	struct wb_prop p;
	uint8_t ke[64], nonce[32];
	unsigned t = 0;

	memset(ke, 9, sizeof(ke));
	memset(nonce, 7, sizeof(nonce));
	memset(&p, 0, sizeof(p));
	p.num = 1;
	p.proto = PROTO_IKE;
	p.tr[t++] = (struct pld_transform){ TRANS_ENCR, ENCR_CHACHA20_POLY1305, 0, false };
	p.tr[t++] = (struct pld_transform){ TRANS_PRF, PRF_HMAC_SHA2_256, 0, false };
	for (unsigned i = 0; i < n_dh; i++)
		p.tr[t++] = (struct pld_transform){ TRANS_DH, dh[i], 0, false };
	p.n_tr = (uint16_t)t;
	wb_init(&w, out, IKE_MSG_MAX, &h);
	wb_sa(&w, &p, 1);
	wb_ke(&w, ke_group, ke, ke_len);
	if (with_nonce)
		wb_nonce(&w, nonce, sizeof(nonce));
	if (critical_unknown) {
		size_t at = wb_begin(&w, 200, true);

		wb_u32(&w, 0);
		wb_end(&w, at);
	}
	wb_finish(&w);
	return w.len;
}

static void responder_errors(void)
{
	static struct pair pr;
	struct setup s = { .ob = { .half_open_max = 2, .cookie_threshold = 100 } };
	static uint8_t m[IKE_MSG_MAX];
	struct ike_endpoint from = { .port = 500 }, to = { .port = 500 };
	uint16_t both[2] = { 19, DH_CURVE25519 }, x[1] = { DH_CURVE25519 };
	struct ike_stats st;
	size_t n;

	setup(&pr, &s);
	from.addr = pr.p[0].addr;
	to.addr = pr.p[1].addr;
	/* Initiator offers ecp256 and x25519 and guesses ecp256 for KE. */
	n = craft_init(m, 0x1111, 19, 64, true, false, both, 2);
	pr.n_log = 0;
	ike_input(pr.p[1].e, &from, &to, m, n, pr.now);
	ok(pr.n_log == 1 && strstr(pr.log[0], "IKE_SA_INIT response 0 { N(INVALID_KE_PAYLOAD) }"),
	   "KE of an unsupported group: INVALID_KE_PAYLOAD");
	{
		struct ike_msg r;
		struct pld_notify nn;

		ok(pld_parse(&r, pr.wire[0].data, pr.wire[0].len) == PLD_OK &&
		   !pld_get_notify(&r.p[0], &nn) && nn.len == 2 && get_be16(nn.data) == DH_CURVE25519,
		   "INVALID_KE_PAYLOAD names group 31");
	}
	ike_get_stats(pr.p[1].e, &st);
	is_int(st.half_open, 0, "INVALID_KE_PAYLOAD keeps no state");
	pr.n_wire = 0;
	n = craft_init(m, 0x2222, DH_CURVE25519, 32, false, false, x, 1);
	ike_input(pr.p[1].e, &from, &to, m, n, pr.now);
	ok(pr.n_log == 2 && strstr(pr.log[1], "{ N(INVALID_SYNTAX) }"), "no nonce: INVALID_SYNTAX");
	pr.n_wire = 0;
	n = craft_init(m, 0x3333, DH_CURVE25519, 32, true, true, x, 1);
	ike_input(pr.p[1].e, &from, &to, m, n, pr.now);
	ok(pr.n_log == 3 && strstr(pr.log[2], "{ N(UNSUPPORTED_CRITICAL_PAYLOAD) }"),
	   "unknown critical payload: UNSUPPORTED_CRITICAL_PAYLOAD");
	pr.n_wire = 0;
	/* Half-open cap: two SAs are kept, the third request is dropped. */
	for (uint64_t spi = 0x4440; spi < 0x4443; spi++) {
		n = craft_init(m, spi, DH_CURVE25519, 32, true, false, x, 1);
		m[IKE_HDR_LEN + 60] ^= 1;	/* a distinct public value each time */
		ike_input(pr.p[1].e, &from, &to, m, n, pr.now);
	}
	ike_get_stats(pr.p[1].e, &st);
	ok(st.half_open == 2 && pr.n_log == 5, "half-open cap: 2 answered, the third dropped");
	if (pr.n_log != 5 || st.half_open != 2) {
		printf("#   half_open %u\n", st.half_open);
		dump_log(&pr);
	}
	/* The same request again is a retransmission: same answer, no new SA. */
	n = craft_init(m, 0x4440, DH_CURVE25519, 32, true, false, x, 1);
	m[IKE_HDR_LEN + 60] ^= 1;
	ike_input(pr.p[1].e, &from, &to, m, n, pr.now);
	ike_get_stats(pr.p[1].e, &st);
	ok(st.half_open == 2 && st.replays == 1 && pr.n_log == 6 &&
	   !memcmp(pr.wire[pr.n_wire - 1].data, pr.wire[0].data, pr.wire[0].len),
	   "retransmitted IKE_SA_INIT gets the cached response");
	pr.n_wire = 0;
	pair_run(&pr, pr.now + 31000);
	ike_get_stats(pr.p[1].e, &st);
	is_int(st.half_open, 0, "half-open SAs expire");
	pair_free(&pr);
}

static void child_rekey(bool pfs)
{
	static struct pair pr;
	const char *esp = pfs ? "chacha20poly1305-x25519" : "chacha20poly1305";
	struct setup s = { .esp_a = esp, .esp_b = esp };
	const char *what = pfs ? "child rekey with PFS" : "child rekey";
	uint32_t old_a;
	int at;
	static const char *const seq[] = {
		"A>B CREATE_CHILD_SA request 2 { N(REKEY_SA) SA No TSi TSr }",
		"B>A CREATE_CHILD_SA response 2 { SA No TSi TSr }",
		"A>B INFORMATIONAL request 3 { D }",
		"B>A INFORMATIONAL response 3 { D }",
	};
	static const char *const seq_pfs[] = {
		"A>B CREATE_CHILD_SA request 2 { N(REKEY_SA) SA No KE TSi TSr }",
		"B>A CREATE_CHILD_SA response 2 { SA No KE TSi TSr }",
		"A>B INFORMATIONAL request 3 { D }",
		"B>A INFORMATIONAL response 3 { D }",
	};

	setup(&pr, &s);
	up(&pr, what);
	old_a = pr.p[0].inst[0].spi_in;
	at = pr.n_log;
	ok(ike_rekey(pr.p[0].e, "net", "net", false, pr.now) == 0, "%s: requested", what);
	pair_run(&pr, pr.now + 5000);
	expect_log(&pr, at, what, pfs ? seq_pfs : seq, 4);
	ok(children_match(&pr) && live_children(&pr.p[0]) == 1, "%s: one new pair, keys agree", what);
	ok(pr.p[0].inst[0].live ? pr.p[0].inst[0].spi_in != old_a : true, "%s: new SPI", what);
	ok(ev_find(&pr.p[0], "rekeyed net/net") >= 0 && ev_find(&pr.p[1], "rekeyed net/net") >= 0,
	   "%s: rekeyed events", what);
	ok(ev_find(&pr.p[0], "child-down") < 0 && ev_find(&pr.p[1], "child-down") < 0,
	   "%s: no child-down for the replaced SA", what);
	is_int(pr.p[0].n_removes, 1, "%s: old SA removed from the datapath", what);
	pair_free(&pr);
}

static void ike_rekey_test(void)
{
	static struct pair pr;
	struct setup s = { 0 };
	uint64_t old_spi;
	int at;
	static const char *const seq[] = {
		"A>B CREATE_CHILD_SA request 2 { SA No KE }",
		"B>A CREATE_CHILD_SA response 2 { SA No KE }",
		"A>B INFORMATIONAL request 3 { D }",
		"B>A INFORMATIONAL response 3 { }",
		"A>B CREATE_CHILD_SA request 0 { N(REKEY_SA) SA No TSi TSr }",
		"B>A CREATE_CHILD_SA response 0 { SA No TSi TSr }",
	};

	setup(&pr, &s);
	up(&pr, "IKE rekey");
	old_spi = pr.p[0].e->sas->spi_i;
	at = pr.n_log;
	ike_rekey(pr.p[0].e, "net", NULL, true, pr.now);
	pair_run(&pr, pr.now + 5000);
	/* The children now live on the new SA: rekey one over it. */
	ike_rekey(pr.p[0].e, "net", "net", false, pr.now);
	pair_run(&pr, pr.now + 5000);
	expect_log(&pr, at, "IKE rekey", seq, 6);
	ok(pr.p[0].e->n_sas == 1 && pr.p[1].e->n_sas == 1 && pr.p[0].e->sas->spi_i != old_spi,
	   "IKE rekey: one new IKE SA on each side");
	ok(children_match(&pr) && live_children(&pr.p[0]) == 1, "IKE rekey: the child moved and rekeys");
	ok(ev_find(&pr.p[0], "ike-down") < 0 && ev_find(&pr.p[1], "ike-down") < 0,
	   "IKE rekey: no ike-down for the replaced SA");
	ok(ev_find(&pr.p[0], "rekeyed net") >= 0, "IKE rekey: rekeyed event");
	ok(tables_sound(pr.p[0].e) && tables_sound(pr.p[1].e),
	   "IKE rekey: every SA filed once under its SPI, nothing stale");
	pair_free(&pr);
}

static void child_collision(void)
{
	static struct pair pr;
	struct setup s = { 0 };

	setup(&pr, &s);
	up(&pr, "child collision");
	/* Both start a rekey of the same child before seeing the other's. */
	ike_rekey(pr.p[0].e, "net", "net", false, pr.now);
	ike_rekey(pr.p[1].e, "net", "net", false, pr.now);
	pair_run(&pr, pr.now + 10000);
	ok(children_match(&pr) && live_children(&pr.p[0]) == 1 && live_children(&pr.p[1]) == 1,
	   "child collision: exactly one CHILD SA pair survives, keys agree");
	ok(pr.p[0].n_installs == 3 && pr.p[1].n_installs == 3,
	   "child collision: each side made the original and two replacements");
	if (!children_match(&pr) || live_children(&pr.p[0]) != 1)
		dump_log(&pr);
	pair_free(&pr);
}

static void ike_collision(void)
{
	static struct pair pr;
	struct setup s = { 0 };

	setup(&pr, &s);
	up(&pr, "IKE collision");
	ike_rekey(pr.p[0].e, "net", NULL, true, pr.now);
	ike_rekey(pr.p[1].e, "net", NULL, true, pr.now);
	pair_run(&pr, pr.now + 10000);
	ok(pr.p[0].e->n_sas == 1 && pr.p[1].e->n_sas == 1 &&
	   pr.p[0].e->sas->spi_i == pr.p[1].e->sas->spi_i && pr.p[0].e->sas->spi_r == pr.p[1].e->sas->spi_r,
	   "IKE collision: one IKE SA survives on both sides, the same one");
	ok(pr.p[0].e->sas->children && pr.p[1].e->sas->children && children_match(&pr),
	   "IKE collision: the child lives on the survivor");
	if (pr.p[0].e->n_sas != 1 || pr.p[1].e->n_sas != 1)
		dump_log(&pr);
	/* And the survivor works: a child rekey over it. */
	ike_rekey(pr.p[0].e, "net", "net", false, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(children_match(&pr) && live_children(&pr.p[0]) == 1, "IKE collision: the survivor carries a rekey");
	ok(tables_sound(pr.p[0].e) && tables_sound(pr.p[1].e), "IKE collision: SPI tables sound");
	pair_free(&pr);
}

static void lifetimes(void)
{
	static struct pair pr;
	struct setup s = { .child_rekey_a = 60, .child_rekey_b = 600 };
	uint32_t first;

	setup(&pr, &s);
	up(&pr, "lifetime");
	first = pr.p[0].inst[0].spi_in;
	pair_run(&pr, pr.now + 61000);
	ok(log_find(&pr, 4, "A>B CREATE_CHILD_SA request 2 { N(REKEY_SA)") >= 0,
	   "lifetime: the child rekeys by itself within rekey_time");
	ok(children_match(&pr) && live_children(&pr.p[0]) == 1 &&
	   (pr.p[0].inst[0].live ? pr.p[0].inst[0].spi_in : pr.p[0].inst[1].spi_in) != first,
	   "lifetime: a new pair replaced the first");
	pair_free(&pr);
}

static void dpd(bool restart)
{
	static struct pair pr;
	struct setup s = { .dpd_a = 5, .dpd_action_a = restart ? IKE_DPD_RESTART : IKE_DPD_CLEAR,
			   .oa = { .retransmit_tries = 2 } };
	int at;
	const char *what = restart ? "DPD restart" : "DPD clear";

	setup(&pr, &s);
	up(&pr, what);
	at = pr.n_log;
	pair_run(&pr, pr.now + 6000);
	ok(log_find(&pr, 0, "A>B INFORMATIONAL request 2 { }") >= 0 &&
	   log_find(&pr, 0, "B>A INFORMATIONAL response 2 { }") >= 0,
	   "%s: a quiet peer gets an empty INFORMATIONAL and answers", what);
	/* Now the peer dies. */
	pr.dead[1] = true;
	at = pr.n_log;
	pair_run(&pr, pr.now + 5000 + 1000 + 2000 + 4000 + 1000);
	ok(ev_find(&pr.p[0], "ike-down net: dead peer") >= 0, "%s: dead peer detected within dpd + retransmissions", what);
	ok(ev_find(&pr.p[0], "child-down net/net: dead peer") >= 0, "%s: children cleared", what);
	if (restart)
		ok(log_find(&pr, at, "A>B IKE_SA_INIT request 0") >= 0, "%s: re-initiates", what);
	else
		ok(log_find(&pr, at, "A>B IKE_SA_INIT request 0") < 0 && pr.p[0].e->n_sas == 0,
		   "%s: nothing left, nothing restarted", what);
	pair_free(&pr);
}

static void terminate(void)
{
	static struct pair pr;
	struct setup s = { 0 };
	int at;

	setup(&pr, &s);
	up(&pr, "terminate");
	at = pr.n_log;
	ok(ike_terminate(pr.p[1].e, "net", "net", pr.now) == 0, "terminate child from the responder");
	pair_run(&pr, pr.now + 5000);
	/* The responder's own requests count from 0 (§2.2). */
	ok(log_find(&pr, at, "B>A INFORMATIONAL request 0 { D }") >= 0 &&
	   log_find(&pr, at, "A>B INFORMATIONAL response 0 { D }") >= 0, "child delete exchanged");
	ok(live_children(&pr.p[0]) == 0 && live_children(&pr.p[1]) == 0, "child gone on both sides");
	ok(ev_find(&pr.p[0], "child-down net/net: deleted by peer") >= 0, "peer sees child-down");
	at = pr.n_log;
	ike_initiate(pr.p[0].e, "net", "net", pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(log_find(&pr, at, "A>B CREATE_CHILD_SA request 2 { SA No TSi TSr }") >= 0 && children_match(&pr),
	   "a new child over the existing IKE SA");
	ike_terminate(pr.p[0].e, "net", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ok(pr.p[0].e->n_sas == 0 && pr.p[1].e->n_sas == 0 && live_children(&pr.p[1]) == 0,
	   "terminate IKE: nothing left on either side");
	ok(ev_find(&pr.p[1], "ike-down net: deleted by peer") >= 0, "peer sees ike-down");
	pair_free(&pr);
}

static void shutdown_and_replay(void)
{
	static struct pair pr;
	struct setup s = { 0 };
	struct dgram d;
	struct ike_stats st;
	int at;

	setup(&pr, &s);
	/* Keep a copy of A's IKE_AUTH request to replay it later. */
	ok(ike_initiate(pr.p[0].e, "net", "net", pr.now) == 0, "replay: initiate");
	pair_flush(&pr);
	pair_flush(&pr);
	at = log_find(&pr, 0, "A>B IKE_AUTH request 1");
	pair_run(&pr, pr.now + 1000);
	ok(at >= 0, "replay: IKE_AUTH seen");
	/* Re-inject: find it again by re-sending A's cached request. */
	d.len = pr.p[0].e->sas->act.req_len;
	(void)d;
	ike_get_stats(pr.p[1].e, &st);
	{
		struct ike_sa *sa = pr.p[1].e->sas;
		struct ike_endpoint from = { .addr = pr.p[0].addr, .port = 500 };
		struct ike_endpoint to = { .addr = pr.p[1].addr, .port = 500 };
		uint64_t replays = st.replays;
		int n = pr.n_log;

		/* B's cached response is to message 1; craft the duplicate from A's
		 * last request buffer, which still holds IKE_AUTH. */
		ike_input(pr.p[1].e, &from, &to, pr.p[0].e->sas->act.req, pr.p[0].e->sas->act.req_len, pr.now);
		ike_get_stats(pr.p[1].e, &st);
		ok(st.replays == replays + 1 && pr.n_log == n + 1 && sa->state == IKE_ST_ESTABLISHED,
		   "duplicate IKE_AUTH request: cached response replayed, state unchanged");
		pair_flush(&pr);
	}
	ike_shutdown(pr.p[0].e, pr.now);
	pair_run(&pr, pr.now + 1000);
	ok(pr.p[0].e->n_sas == 0 && pr.p[1].e->n_sas == 0 && live_children(&pr.p[1]) == 0,
	   "shutdown deletes the SAs on the peer too");
	pair_free(&pr);
}

static void nat(void)
{
	static struct pair pr;
	struct setup s = { 0 };
	static const char *const seq[] = {
		"A>B IKE_SA_INIT request 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) }",
		"B>A IKE_SA_INIT response 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) }",
		"A>B IKE_AUTH request 1 { IDi N(INITIAL_CONTACT) IDr AUTH SA TSi TSr } @4500",
		"B>A IKE_AUTH response 1 { IDr AUTH SA TSi TSr } @4500",
	};

	setup(&pr, &s);
	pr.nat = true;
	addr_parse("198.51.100.7", &pr.nat_addr);
	pr.nat_port_base = 30000;
	up(&pr, "NAT");
	expect_log(&pr, 0, "NAT", seq, 4);
	ok(children_match(&pr), "NAT: the child comes up");
	ok(pr.p[0].inst[0].encap && pr.p[1].inst[0].encap, "NAT: both sides encapsulate ESP in UDP");
	ok(pr.p[1].inst[0].rport == 34500 && pr.p[1].inst[0].lport == 4500,
	   "NAT: the responder sends to the NAT's mapped port");
	ok(pr.p[0].e->sas->nat_local && !pr.p[0].e->sas->nat_remote && pr.p[1].e->sas->nat_remote,
	   "NAT: each side knows who is behind it");
	pair_run(&pr, pr.now + 21000);
	ok(log_find(&pr, 4, "A>B keepalive") >= 0, "NAT: the NATed side sends keepalives");
	pair_free(&pr);
}

static void force_natt(void)
{
	static struct pair pr;
	struct setup s = { .nat_a = IKE_NAT_FORCE };

	setup(&pr, &s);
	up(&pr, "nat_t force");
	ok(log_find(&pr, 0, "A>B IKE_AUTH request 1") >= 0 && strstr(pr.log[2], "@4500"),
	   "nat_t force: IKE moves to 4500 without a NAT");
	ok(children_match(&pr) && pr.p[0].inst[0].encap && pr.p[1].inst[0].encap,
	   "nat_t force: ESP is UDP-encapsulated on both sides");
	pair_free(&pr);
}

/* Hundreds of IKE SAs between the pair: the SPI table (and with it the
 * index by peer identity) grows several times on both sides and every SA
 * still finds its way; then one peer restarts, and its INITIAL_CONTACT
 * replaces its own old SA and nothing else. */
static void many(void)
{
	static struct pair pr;
	static struct ike_conn_cfg a, b;
	struct ike_stats sa, sb;
	enum { N = 300 };
	char name[32], id[64];

	pair_init(&pr, NULL, NULL);
	conn_default(&b, "any", "192.0.2.2", "%any", "b.test", "%any", PSK, CHACHA);
	child_default(&cb, "net", "10.2.0.0/24", "10.1.0.0/24", "chacha20poly1305");
	b.n_children = 1;
	b.children = &cb;
	ike_conn_add(pr.p[1].e, &b, pr.now);
	child_default(&ca, "net", "10.1.0.0/24", "10.2.0.0/24", "chacha20poly1305");
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		snprintf(id, sizeof(id), "load-%d@a.test", i);
		conn_default(&a, name, "192.0.2.1", "192.0.2.2", id, "b.test", PSK, CHACHA);
		a.n_children = 1;
		a.children = &ca;
		ike_conn_add(pr.p[0].e, &a, pr.now);
		ike_initiate(pr.p[0].e, name, NULL, pr.now);
		/* Keep the wire short: settle every few initiations. */
		if (i % 16 == 15)
			pair_flush(&pr);
	}
	pair_run(&pr, pr.now + 5000);
	ike_get_stats(pr.p[0].e, &sa);
	ike_get_stats(pr.p[1].e, &sb);
	ok(sa.ike_sas == N && sb.ike_sas == N && sa.children == N && sb.children == N,
	   "%d IKE SAs with distinct identities up on both sides (got %u/%u)", N, sa.ike_sas, sb.ike_sas);
	ok(pr.p[0].e->hash_size >= N / 2 && pr.p[1].e->hash_size >= N / 2, "the SPI tables grew");
	ike_terminate(pr.p[0].e, "c7", NULL, pr.now);
	pair_run(&pr, pr.now + 5000);
	ike_get_stats(pr.p[1].e, &sb);
	is_int(sb.ike_sas, N - 1, "one of them deleted: the right SA was found by SPI");
	{
		struct ike_env env = pr.p[0].e->env;
		int replaced = 0, downs = 0;

		ike_engine_free(pr.p[0].e);
		memset(pr.p[0].inst, 0, sizeof(pr.p[0].inst));
		pr.p[0].e = ike_engine_new(NULL, &env);
		pr.p[0].e->env.ctx = pr.p[0].e;
		conn_default(&a, "c77", "192.0.2.1", "192.0.2.2", "load-77@a.test", "b.test", PSK, CHACHA);
		a.n_children = 1;
		a.children = &ca;
		ike_conn_add(pr.p[0].e, &a, pr.now);
		pr.p[1].n_ev = 0;
		ike_initiate(pr.p[0].e, "c77", NULL, pr.now);
		pair_run(&pr, pr.now + 5000);
		for (int i = 0; i < pr.p[1].n_ev; i++) {
			replaced += !strcmp(pr.p[1].ev[i], "ike-down any: replaced (INITIAL_CONTACT from peer)");
			downs += !strncmp(pr.p[1].ev[i], "ike-down", 8);
		}
		ike_get_stats(pr.p[1].e, &sb);
		ok(replaced == 1 && downs == 1 && sb.ike_sas == N - 1,
		   "c77 restarts: its INITIAL_CONTACT replaced its own old SA, no other (%d replaced, %d down, %u IKE SAs)",
		   replaced, downs, sb.ike_sas);
	}
	pair_free(&pr);
}

int main(void)
{
	log_init("test", "/dev/null", LOG_LVL_ERR);
	happy(CHACHA, "chacha20poly1305", "chacha20poly1305");
	if (ike_aead_supported(ENCR_AES_GCM_16, 256))
		happy(GCM, "aes256gcm16", "aes256gcm16 + prfsha512");
	else
		tap_skip("aes256gcm16: no AES instructions");
	wrong_psk();
	wrong_identity();
	no_proposal_ike();
	no_proposal_esp();
	ts_unacceptable();
	ts_narrowing();
	retransmit_loss();
	backoff();
	cookies();
	responder_errors();
	child_rekey(false);
	child_rekey(true);
	ike_rekey_test();
	child_collision();
	ike_collision();
	lifetimes();
	dpd(false);
	dpd(true);
	terminate();
	shutdown_and_replay();
	nat();
	force_natt();
	many();
	return tap_done();
}
