// SPDX-License-Identifier: MIT
/*
 * Hostile and broken packets into the inbound path: each must be dropped
 * and counted under the right reason, and nothing may read or write outside
 * the buffer (this test runs under ASan/UBSan, and in the Blackfin simulator).
 * Bad padding, bad next headers and bad inner packets are built with the
 * real key, so that they pass the ICV and reach the checks behind it.
 */
#include "esp_test.h"

static const char KEY[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 01020304";
static const uint8_t I4A[4] = { 10, 1, 0, 1 }, I4B[4] = { 10, 2, 0, 1 };
enum { SPI = 0x4242 };

static struct esp_sa *in, *in_udp, *slots[8];
static struct esp_sad sad;
static struct esp_stats st;
static struct esp_rx_meta meta;
static uint32_t next_seq = 1;

/* Hand-made ESP: SPI, seq, IV, then `plain` (payload + trailer as given)
 * sealed with the SA's key, so the ICV verifies whatever the trailer says. */
static size_t craft(uint8_t *out, uint32_t spi, const uint8_t *plain, size_t len)
{
	uint8_t nonce[12], aad[8];
	uint32_t seq = next_seq++;

	out[0] = (uint8_t)(spi >> 24);
	out[1] = (uint8_t)(spi >> 16);
	out[2] = (uint8_t)(spi >> 8);
	out[3] = (uint8_t)spi;
	out[4] = (uint8_t)(seq >> 24);
	out[5] = (uint8_t)(seq >> 16);
	out[6] = (uint8_t)(seq >> 8);
	out[7] = (uint8_t)seq;
	memset(out + 8, 0x11, 8);
	out[15] = (uint8_t)seq;
	memcpy(nonce, in->p.salt, 4);
	memcpy(nonce + 4, out + 8, 8);
	memcpy(aad, out, 8);
	memcpy(out + 16, plain, len);
	esp_aead_seal(in->p.aead, nonce, aad, 8, out + 16, (uint32_t)len, out + 16 + len);
	return 16 + len + 16;
}

static enum esp_verdict feed(const uint8_t *p, size_t n, struct esp_rx *rx)
{
	static struct tbuf t;

	tbuf_set(&t, p, n);
	return esp_input_esp(&sad, &t.b, &meta, &st, rx);
}

static void expect_drop(const uint8_t *p, size_t n, enum esp_drop why, const char *what)
{
	struct esp_rx rx;
	uint64_t before = drops(&st, why);
	enum esp_verdict v = feed(p, n, &rx);

	ok(v == ESP_RX_DROP && rx.drop == why && drops(&st, why) == before + 1,
	   "%s: dropped as %s", what, esp_drop_name(why));
	if (v != ESP_RX_DROP || rx.drop != why)
		printf("#   verdict %d, reason %s\n", v, esp_drop_name(rx.drop));
}

/* Inner packet + the trailer bytes given. */
static size_t with_trailer(uint8_t *plain, const uint8_t *inner, size_t n, const uint8_t *tr, size_t tn)
{
	memcpy(plain, inner, n);
	memcpy(plain + n, tr, tn);
	return n + tn;
}

static void esp_layer(void)
{
	static uint8_t pkt[512], plain[512], inner[256], good[512];
	size_t in_len = make_udp(inner, ESP_AF_INET, I4A, I4B, 1, 2, 18);	/* 46 bytes */
	size_t n, gl;
	struct esp_rx rx;
	bool all = true;

	/* A valid packet first, to prove the set-up. */
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x04", 4);
	gl = craft(good, SPI, plain, n);
	is_int(feed(good, gl, &rx), ESP_RX_PACKET, "a well-formed packet is accepted");
	expect_drop(good, gl, ESP_DROP_REPLAY, "the same packet again");

	/* Every truncation of a fresh valid packet. */
	gl = craft(good, SPI, plain, n);
	for (size_t cut = 0; cut < gl; cut++) {
		struct esp_rx r;

		all = all && feed(good, cut, &r) == ESP_RX_DROP &&
		      (r.drop == ESP_DROP_MALFORMED || r.drop == ESP_DROP_AUTH);
	}
	ok(all, "every truncation (0..%zu bytes) is dropped as malformed or auth", gl - 1);

	memcpy(pkt, good, gl);
	pkt[gl - 1] ^= 1;
	expect_drop(pkt, gl, ESP_DROP_AUTH, "ICV with one bit flipped");
	memcpy(pkt, good, gl);
	pkt[20] ^= 0x80;
	expect_drop(pkt, gl, ESP_DROP_AUTH, "ciphertext with one bit flipped");
	memcpy(pkt, good, gl);
	pkt[3] ^= 0x10;
	expect_drop(pkt, gl, ESP_DROP_NO_SA, "unknown SPI");
	memcpy(pkt, good, gl);
	memset(pkt, 0, 3);
	pkt[3] = 200;
	expect_drop(pkt, gl, ESP_DROP_MALFORMED, "reserved SPI 200");
	memcpy(pkt, good, gl);
	memset(pkt + 4, 0, 4);
	expect_drop(pkt, gl, ESP_DROP_REPLAY, "sequence number 0");

	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x03\x02\x04", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_PAD, "pad bytes 1, 3 instead of 1, 2");
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\xff\x04", 2);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_PAD, "pad length 255 past the payload");
	plain[0] = 0;
	plain[1] = 4;
	expect_drop(pkt, craft(pkt, SPI, plain, 2), ESP_DROP_INNER, "empty payload in tunnel mode");
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x3b", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_DUMMY, "next header 59 (dummy)");
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x11", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_NEXT_HDR, "next header UDP in tunnel mode");
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x29", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_INNER, "next header IPv6 over an IPv4 packet");

	inner[3] += 40;	/* inner total length beyond the payload */
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x04", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_INNER, "inner IPv4 length longer than the payload");
	inner[3] -= 40;
	inner[0] = 0x44;	/* IHL 4 */
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x04", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_INNER, "inner IPv4 header length 16");
	inner[0] = 0x45;
	inner[19] = 99;	/* destination 10.2.0.99: outside local_ts 10.2.0.1/32 */
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x04", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_SELECTOR, "inner destination outside the selectors");
	inner[19] = 1;
	in_len = make_udp(inner, ESP_AF_INET, I4A, I4B, 1, 2, 18);
	inner[9] = 6;	/* TCP, but only 26 bytes: ports are there, selectors are any-port */
	inner[3] = 22;
	n = with_trailer(plain, inner, 22, (const uint8_t *)"\x01\x02\x02\x04", 4);
	expect_drop(pkt, craft(pkt, SPI, plain, n), ESP_DROP_INNER, "inner TCP header cut before its ports");

	/* Plain ESP aimed at the UDP-encapsulated SA. */
	in_len = make_udp(inner, ESP_AF_INET, I4A, I4B, 1, 2, 18);
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x04", 4);
	gl = craft(pkt, SPI + 1, plain, n);
	expect_drop(pkt, gl, ESP_DROP_ENCAP_MISMATCH, "plain ESP for an ESP-in-UDP SA");
}

static enum esp_verdict feed_udp(const uint8_t *p, size_t n, struct esp_rx *rx)
{
	static struct tbuf t;
	struct esp_rx_meta m = meta;

	m.udp = true;
	m.sport = m.dport = 4500;
	tbuf_set(&t, p, n);
	return esp_input_udp(&sad, &t.b, &m, &st, rx);
}

static void udp_layer(void)
{
	static uint8_t pkt[512], plain[512], inner[256];
	struct esp_rx rx;
	size_t n, in_len = make_udp(inner, ESP_AF_INET, I4A, I4B, 1, 2, 18);

	is_int(feed_udp((const uint8_t *)"\xff", 1, &rx), ESP_RX_KEEPALIVE, "UDP: 0xff alone is a NAT keepalive");
	ok(feed_udp((const uint8_t *)"\x00", 1, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "UDP: one zero byte is malformed");
	ok(feed_udp((const uint8_t *)"\xff\xff", 2, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "UDP: two bytes are malformed");
	ok(feed_udp((const uint8_t *)"", 0, &rx) == ESP_RX_DROP, "UDP: an empty datagram is dropped");
	is_int(feed_udp((const uint8_t *)"\0\0\0\0IKE", 7, &rx), ESP_RX_IKE, "UDP: the non-ESP marker means IKE");
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x04", 4);
	n = craft(pkt, SPI + 1, plain, n);
	is_int(feed_udp(pkt, n, &rx), ESP_RX_PACKET, "UDP: ESP for the ESP-in-UDP SA is accepted");
	n = with_trailer(plain, inner, in_len, (const uint8_t *)"\x01\x02\x02\x04", 4);
	n = craft(pkt, SPI, plain, n);
	ok(feed_udp(pkt, n, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_ENCAP_MISMATCH,
	   "UDP: ESP in UDP for a plain-ESP SA is refused");
}

static enum esp_verdict feed_ip(const uint8_t *p, size_t n, struct esp_rx *rx)
{
	static struct tbuf t;

	tbuf_set(&t, p, n);
	return esp_input_ip(&sad, &t.b, 4500, &st, rx);
}

static void ip_layer(void)
{
	/* IPv4 192.0.2.1 -> 192.0.2.2, UDP 4500 -> 4500, keepalive. */
	static const uint8_t ka4[] = {
		0x45, 0, 0, 29, 0, 0, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
		0x11, 0x94, 0x11, 0x94, 0, 9, 0, 0, 0xff,
	};
	static uint8_t p[256];
	struct esp_rx rx;

	is_int(feed_ip(ka4, sizeof(ka4), &rx), ESP_RX_KEEPALIVE, "IP: a well-formed keepalive datagram");
	memcpy(p, ka4, sizeof(ka4));
	p[3] = 200;
	ok(feed_ip(p, sizeof(ka4), &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IP: total length beyond the buffer");
	memcpy(p, ka4, sizeof(ka4));
	p[0] = 0x44;
	ok(feed_ip(p, sizeof(ka4), &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED, "IP: IHL 4");
	memcpy(p, ka4, sizeof(ka4));
	p[0] = 0x4f;
	ok(feed_ip(p, sizeof(ka4), &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IP: IHL 15 (60 bytes) beyond the packet");
	memcpy(p, ka4, sizeof(ka4));
	p[6] = 0x20;	/* more fragments */
	ok(feed_ip(p, sizeof(ka4), &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_FRAGMENT, "IP: a fragment");
	memcpy(p, ka4, sizeof(ka4));
	p[25] = 200;	/* UDP length beyond the datagram */
	ok(feed_ip(p, sizeof(ka4), &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IP: UDP length beyond the datagram");
	memcpy(p, ka4, sizeof(ka4));
	p[25] = 7;	/* UDP length below its header */
	ok(feed_ip(p, sizeof(ka4), &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IP: UDP length below 8");
	memcpy(p, ka4, sizeof(ka4));
	p[23] = 0x95;	/* port 4501 */
	ok(feed_ip(p, sizeof(ka4), &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IP: UDP to another port");
	ok(feed_ip(ka4, 27, &rx) == ESP_RX_DROP, "IP: datagram cut inside the UDP header");
	p[0] = 0x75;
	ok(feed_ip(p, 40, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED, "IP: version 7");

	/* IPv6 with a chain of hop-by-hop headers, each pointing at the next. */
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	p[5] = 8 * 10;
	p[6] = 0;
	for (int i = 0; i < 10; i++)
		p[40 + 8 * i] = 0;
	ok(feed_ip(p, 40 + 80, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IPv6: ten chained extension headers are refused");
	p[5] = 8;
	p[41] = 200;	/* extension header claims 1608 bytes */
	ok(feed_ip(p, 48, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IPv6: extension header longer than the packet");
	p[6] = 44;
	ok(feed_ip(p, 48, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_FRAGMENT, "IPv6: a fragment");
	p[6] = 50;
	p[5] = 0;
	ok(feed_ip(p, 40, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED, "IPv6: ESP with no bytes");
	p[5] = 100;
	ok(feed_ip(p, 60, &rx) == ESP_RX_DROP && rx.drop == ESP_DROP_MALFORMED,
	   "IPv6: payload length beyond the buffer");
}

/* An SA's storage is sized for it: its selectors, and a replay ring for an
 * inbound SA only; too little is refused, not overrun. */
static void storage(void)
{
	static struct esp_sa_params p;
	static uint32_t extra[ESP_SA_EXTRA_MAX / 4 + 1];
	static struct esp_sa sa;
	size_t need;
	bool same = true;

	sa_params(&p, ESP_DIR_IN, ESP_MODE_TUNNEL, ESP_ALG_CHACHA20_POLY1305, SPI + 2, KEY);
	is_int(esp_sa_extra(&p), 8 * 4 + 4 * sizeof(struct esp_sel),
	       "inbound, 2+2 selectors, window 128: 32 bytes of ring and four selectors");
	p.dir = ESP_DIR_OUT;
	is_int(esp_sa_extra(&p), 4 * sizeof(struct esp_sel), "outbound: the selectors alone");
	p.dir = ESP_DIR_IN;
	p.replay_window = ESP_REPLAY_MAX;
	p.n_local_ts = p.n_remote_ts = ESP_SEL_MAX;
	for (unsigned i = 0; i < ESP_SEL_MAX; i++) {
		sel_prefix(&p.local_ts[i], ESP_AF_INET, I4B, 32);
		sel_prefix(&p.remote_ts[i], ESP_AF_INET, I4A, 16 + i);
	}
	need = esp_sa_extra(&p);
	is_int(need, ESP_SA_EXTRA_MAX, "the largest SA needs ESP_SA_EXTRA_MAX");
	ok(esp_sa_init(&sa, &p, extra, need - 1) != NULL, "one byte short of that is refused");
	extra[need / 4] = 0x5ec6a1u;
	ok(esp_sa_init(&sa, &p, extra, need) == NULL && extra[need / 4] == 0x5ec6a1u,
	   "exactly that is enough, and nothing is written past it");
	for (unsigned i = 0; i < ESP_SEL_MAX; i++)
		same = same && !memcmp(&sa.p.local_ts[i], &p.local_ts[i], sizeof(p.local_ts[i])) &&
		       !memcmp(&sa.p.remote_ts[i], &p.remote_ts[i], sizeof(p.remote_ts[i]));
	ok(same, "the SA holds all 16+16 selectors");
	aead_sodium_free(p.aead);
}

int main(void)
{
	struct esp_sa_params p;

	if (sa_params(&p, ESP_DIR_IN, ESP_MODE_TUNNEL, ESP_ALG_CHACHA20_POLY1305, SPI, KEY) != 0)
		return ok(0, "SA set-up"), tap_done();
	p.n_local_ts = p.n_remote_ts = 1;
	sel_prefix(&p.local_ts[0], ESP_AF_INET, I4B, 32);
	sel_prefix(&p.remote_ts[0], ESP_AF_INET, I4A, 24);
	in = sa_new(&p);
	sa_params(&p, ESP_DIR_IN, ESP_MODE_TUNNEL, ESP_ALG_CHACHA20_POLY1305, SPI + 1, KEY);
	p.encap_sport = p.encap_dport = 4500;
	in_udp = sa_new(&p);
	esp_sad_init(&sad, slots, 8);
	esp_sad_insert(&sad, in);
	esp_sad_insert(&sad, in_udp);
	memset(&st, 0, sizeof(st));
	memset(&meta, 0, sizeof(meta));
	meta.src = in->p.src;
	meta.dst = in->p.dst;
	esp_layer();
	udp_layer();
	ip_layer();
	storage();
	sa_free(in);
	sa_free(in_udp);
	return tap_done();
}
