// SPDX-License-Identifier: MIT
/*
 * Round trips through the core: tunnel mode (every pairing of inner and
 * outer family) and transport mode, plain ESP and ESP in UDP, both AEADs;
 * the outer headers esp_push_outer writes must carry valid checksums, and
 * esp_input_ip must give back exactly the packet that went in. Then TFC
 * padding, dummy packets, ESN across 2^32, lifetimes and sequence exhaustion,
 * and the SPD's ordering.
 */
#include "esp_test.h"

static const char KEY[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f cafebabe";
static const uint8_t V4A[4] = { 192, 0, 2, 1 }, V4B[4] = { 192, 0, 2, 2 };
static const uint8_t V6A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t V6B[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t I4A[4] = { 10, 1, 0, 1 }, I4B[4] = { 10, 2, 0, 1 };
static const uint8_t I6A[16] = { 0xfd, 0, 0, 1, [15] = 1 }, I6B[16] = { 0xfd, 0, 0, 2, [15] = 1 };

struct pair {
	struct esp_sa *out, *in;
	struct esp_sa *slots[16];
	struct esp_sad sad;
	struct esp_stats st;
};

static void outer(struct esp_sa_params *p, uint8_t fam, bool from_a)
{
	const uint8_t *a = fam == ESP_AF_INET ? V4A : V6A, *b = fam == ESP_AF_INET ? V4B : V6B;
	unsigned n = esp_addr_len(fam);

	p->src.family = p->dst.family = fam;
	memcpy(p->src.b, from_a ? a : b, n);
	memcpy(p->dst.b, from_a ? b : a, n);
}

/* A -> B: out SA on A, in SA on B. */
static int pair_make(struct pair *pr, uint16_t alg, uint8_t mode, uint8_t ofam, bool udp, bool esn)
{
	struct esp_sa_params p;

	memset(pr, 0, sizeof(*pr));
	if (sa_params(&p, ESP_DIR_OUT, mode, alg, 0x1000, KEY) != 0)
		return -1;
	outer(&p, ofam, true);
	p.esn = esn;
	if (udp)
		p.encap_sport = p.encap_dport = 4500;
	p.iv_mask[3] = 0x5a;
	pr->out = sa_new(&p);
	if (sa_params(&p, ESP_DIR_IN, mode, alg, 0x1000, KEY) != 0)
		return -1;
	outer(&p, ofam, true);
	p.esn = esn;
	if (udp)
		p.encap_sport = p.encap_dport = 4500;
	pr->in = sa_new(&p);
	esp_sad_init(&pr->sad, pr->slots, 16);
	if (!pr->out || !pr->in || esp_sad_insert(&pr->sad, pr->in) != ESP_SAD_OK)
		return -1;
	return 0;
}

static void pair_free(struct pair *pr)
{
	sa_free(pr->out);
	sa_free(pr->in);
}

static bool ipv4_csum_ok(const uint8_t *h)
{
	return esp_csum_fold(esp_csum_add(0, h, (uint32_t)(h[0] & 15) * 4)) == 0;
}

static bool udp6_csum_ok(const uint8_t *h)
{
	uint32_t len = (uint32_t)h[4] << 8 | h[5];
	uint32_t sum = esp_csum_add(0, h + 8, 32) + len + 17;

	return esp_csum_fold(esp_csum_add(sum, h + 40, len)) == 0;
}

static void round_trip(uint16_t alg, uint8_t mode, uint8_t ofam, uint8_t ifam, bool udp)
{
	static struct tbuf t;
	static uint8_t pkt[2048];
	struct pair pr;
	struct esp_rx rx;
	uint32_t ev;
	size_t n;
	const char *name = alg == ESP_ALG_AES_GCM_16 ? "aes256gcm16" : "chacha20poly1305";
	bool good;

	if (aead_sodium_unavailable(alg)) {
		tap_skip(aead_sodium_unavailable(alg));
		return;
	}
	if (pair_make(&pr, alg, mode, ofam, udp, false) != 0) {
		ok(0, "SA pair set-up");
		return;
	}
	if (mode == ESP_MODE_TUNNEL)
		n = make_udp(pkt, ifam, ifam == ESP_AF_INET ? I4A : I6A, ifam == ESP_AF_INET ? I4B : I6B,
			     1234, 5678, 1000);
	else
		n = make_udp(pkt, ifam, ifam == ESP_AF_INET ? V4A : V6A, ifam == ESP_AF_INET ? V4B : V6B,
			     1234, 5678, 333);
	tbuf_set(&t, pkt, n);
	good = esp_output(pr.out, &t.b, &pr.st, &ev) == ESP_OK &&
	       esp_push_outer(pr.out, &t.b, 64) == ESP_OK;
	if (good) {
		const uint8_t *h = esp_buf_data(&t.b);

		if (ofam == ESP_AF_INET)
			good = ipv4_csum_ok(h) && h[9] == (udp ? 17 : 50);
		else
			good = h[6] == (udp ? 17 : 50) && (!udp || udp6_csum_ok(h));
	}
	good = good && esp_input_ip(&pr.sad, &t.b, udp ? 4500 : 0, &pr.st, &rx) == ESP_RX_PACKET &&
	       rx.sa == pr.in && t.b.len == n && memcmp(esp_buf_data(&t.b), pkt, n) == 0;
	ok(good, "%s %s, outer IPv%u, inner IPv%u, %s: the packet comes back unchanged", name,
	   mode == ESP_MODE_TUNNEL ? "tunnel" : "transport", ofam, ifam, udp ? "ESP in UDP" : "plain ESP");
	pair_free(&pr);
}

static void tfc_and_dummy(void)
{
	static struct tbuf t;
	static uint8_t pkt[2048];
	struct pair pr;
	struct esp_rx rx;
	struct esp_rx_meta m;
	uint32_t ev;
	size_t n;

	pair_make(&pr, ESP_ALG_CHACHA20_POLY1305, ESP_MODE_TUNNEL, ESP_AF_INET, false, false);
	pr.out->p.tfc_pad = 1200;
	n = make_udp(pkt, ESP_AF_INET, I4A, I4B, 1, 2, 10);
	tbuf_set(&t, pkt, n);
	is_int(esp_output(pr.out, &t.b, &pr.st, &ev), ESP_OK, "TFC: output");
	ok(t.b.len >= 1200 + 16 + 16, "TFC: the ESP packet is padded to hide the 38-byte inner packet (%u)", (unsigned)t.b.len);
	memset(&m, 0, sizeof(m));
	m.src = pr.in->p.src;
	m.dst = pr.in->p.dst;
	ok(esp_input_esp(&pr.sad, &t.b, &m, &pr.st, &rx) == ESP_RX_PACKET && t.b.len == n &&
	   memcmp(esp_buf_data(&t.b), pkt, n) == 0, "TFC: the receiver cuts the padding off by the inner length");

	esp_buf_init(&t.b, t.mem + 1, TBUF_CAP, TBUF_HEAD);
	is_int(esp_output_dummy(pr.out, &t.b, 100, &pr.st, &ev), ESP_OK, "dummy packet: output");
	is_int(esp_input_esp(&pr.sad, &t.b, &m, &pr.st, &rx), ESP_RX_DROP, "dummy packet: dropped");
	is_int(rx.drop, ESP_DROP_DUMMY, "dummy packet: counted as dummy, nothing delivered");
	pair_free(&pr);
}

static void esn_rollover(void)
{
	static struct tbuf t[4];
	static uint8_t pkt[256];
	struct pair pr;
	struct esp_rx rx;
	struct esp_rx_meta m;
	uint32_t ev;
	size_t n = make_udp(pkt, ESP_AF_INET, I4A, I4B, 1, 2, 20);
	int i;
	bool good = true;

	pair_make(&pr, ESP_ALG_CHACHA20_POLY1305, ESP_MODE_TUNNEL, ESP_AF_INET, false, true);
	esp_atomic64_set(&pr.out->seq_out, 0xfffffffdull);
	esp_replay_init(&pr.in->replay, pr.in->replay.ring, 128, true, 0xfffffff0ull);
	for (i = 0; i < 4; i++) {	/* seq 0xfffffffe, 0xffffffff, 2^32, 2^32+1 */
		tbuf_set(&t[i], pkt, n);
		good = good && esp_output(pr.out, &t[i].b, &pr.st, &ev) == ESP_OK;
	}
	ok(good, "ESN: four packets sent across 2^32");
	memset(&m, 0, sizeof(m));
	m.src = pr.in->p.src;
	m.dst = pr.in->p.dst;
	/* Delivered out of order: 2^32, 0xfffffffe, 2^32+1, 0xffffffff. */
	good = true;
	for (i = 0; i < 4; i++) {
		static const int order[4] = { 2, 0, 3, 1 };

		good = good && esp_input_esp(&pr.sad, &t[order[i]].b, &m, &pr.st, &rx) == ESP_RX_PACKET;
	}
	ok(good, "ESN: all four accepted out of order across the boundary");
	is_int(pr.in->replay.top, 0x100000001ull, "ESN: the window's top is 2^32+1");
	pair_free(&pr);
}

static void lifetimes(void)
{
	static struct tbuf t;
	static uint8_t pkt[256];
	struct pair pr;
	uint32_t ev, all = 0;
	size_t n = make_udp(pkt, ESP_AF_INET, I4A, I4B, 1, 2, 20);
	int i, sent = 0;

	pair_make(&pr, ESP_ALG_CHACHA20_POLY1305, ESP_MODE_TUNNEL, ESP_AF_INET, false, false);
	pr.out->p.soft_packets = 3;
	pr.out->p.hard_packets = 5;
	for (i = 0; i < 8; i++) {
		tbuf_set(&t, pkt, n);
		if (esp_output(pr.out, &t.b, &pr.st, &ev) == ESP_OK)
			sent++;
		if (i == 2)
			is_int(ev, ESP_EV_SOFT_EXPIRE, "soft packet limit raises the soft event on packet 3");
		all |= ev;
	}
	is_int(sent, 5, "hard packet limit: exactly 5 packets leave");
	ok(all & ESP_EV_HARD_EXPIRE, "hard packet limit raises the hard event");
	is_int(esp_atomic64_read(&pr.out->st.drops[ESP_DROP_EXPIRED]), 3, "the other 3 are counted as expired");
	pair_free(&pr);

	pair_make(&pr, ESP_ALG_CHACHA20_POLY1305, ESP_MODE_TUNNEL, ESP_AF_INET, false, false);
	pr.out->p.hard_bytes = 3 * n;
	for (i = 0, sent = 0; i < 5; i++) {
		tbuf_set(&t, pkt, n);
		sent += esp_output(pr.out, &t.b, &pr.st, &ev) == ESP_OK;
	}
	is_int(sent, 3, "hard byte limit: 3 packets of %zu bytes fit in %zu", n, 3 * n);
	pair_free(&pr);

	pair_make(&pr, ESP_ALG_CHACHA20_POLY1305, ESP_MODE_TUNNEL, ESP_AF_INET, false, false);
	esp_atomic64_set(&pr.out->seq_out, 0xfffffffeull);
	tbuf_set(&t, pkt, n);
	is_int(esp_output(pr.out, &t.b, &pr.st, &ev), ESP_OK, "without ESN, sequence number 2^32-1 is sent");
	tbuf_set(&t, pkt, n);
	is_int(esp_output(pr.out, &t.b, &pr.st, &ev), ESP_DROP_SEQ_EXHAUSTED, "... and the next packet is refused, never wrapped");
	ok((ev & (ESP_EV_HARD_EXPIRE | ESP_EV_SEQ_EXHAUSTED)) == (ESP_EV_HARD_EXPIRE | ESP_EV_SEQ_EXHAUSTED),
	   "sequence exhaustion raises a hard expire");
	tbuf_set(&t, pkt, n);
	ok(esp_output(pr.out, &t.b, &pr.st, &ev) != ESP_OK && ev == 0, "later packets are refused without new events");
	pair_free(&pr);
}

static void spd_order(void)
{
	struct esp_policy store[4], pol;
	struct esp_spd spd;
	struct esp_tuple tp;
	static uint8_t pkt[256];
	const struct esp_policy *hit;
	size_t n;

	esp_spd_init(&spd, store, 4);
	memset(&pol, 0, sizeof(pol));
	pol.id = 1;
	pol.action = ESP_POLICY_DISCARD;
	sel_prefix(&pol.src, ESP_AF_INET, I4A, 24);
	sel_prefix(&pol.dst, ESP_AF_INET, I4B, 32);
	pol.dst.proto = 17;
	pol.dst.port_lo = pol.dst.port_hi = 53;
	esp_spd_add(&spd, &pol);
	pol.id = 2;
	pol.action = ESP_POLICY_PROTECT;
	sel_prefix(&pol.dst, ESP_AF_INET, I4B, 16);
	esp_spd_add(&spd, &pol);

	n = make_udp(pkt, ESP_AF_INET, I4A, I4B, 1000, 53, 10);
	ok(esp_tuple_parse(pkt, (uint32_t)n, &tp) == ESP_OK && (hit = esp_spd_lookup(&spd, &tp)) && hit->id == 1,
	   "SPD: the first matching policy wins (discard UDP 53)");
	n = make_udp(pkt, ESP_AF_INET, I4A, I4B, 1000, 54, 10);
	ok(esp_tuple_parse(pkt, (uint32_t)n, &tp) == ESP_OK && (hit = esp_spd_lookup(&spd, &tp)) && hit->id == 2,
	   "SPD: other ports fall through to protect");
	n = make_udp(pkt, ESP_AF_INET, I4B, I4A, 1000, 54, 10);
	ok(esp_tuple_parse(pkt, (uint32_t)n, &tp) == ESP_OK && !esp_spd_lookup(&spd, &tp),
	   "SPD: no policy for the reverse direction");
}

int main(void)
{
	static const uint16_t algs[] = { ESP_ALG_CHACHA20_POLY1305, ESP_ALG_AES_GCM_16 };

	for (int a = 0; a < 2; a++)
		for (int udp = 0; udp < 2; udp++) {
			round_trip(algs[a], ESP_MODE_TUNNEL, ESP_AF_INET, ESP_AF_INET, udp);
			round_trip(algs[a], ESP_MODE_TUNNEL, ESP_AF_INET, ESP_AF_INET6, udp);
			round_trip(algs[a], ESP_MODE_TUNNEL, ESP_AF_INET6, ESP_AF_INET, udp);
			round_trip(algs[a], ESP_MODE_TUNNEL, ESP_AF_INET6, ESP_AF_INET6, udp);
			round_trip(algs[a], ESP_MODE_TRANSPORT, ESP_AF_INET, ESP_AF_INET, udp);
			round_trip(algs[a], ESP_MODE_TRANSPORT, ESP_AF_INET6, ESP_AF_INET6, udp);
		}
	tfc_and_dummy();
	esn_rollover();
	lifetimes();
	spd_order();
	return tap_done();
}
