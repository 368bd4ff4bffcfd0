// SPDX-License-Identifier: MIT
/*
 * Known answers: the ESP example of RFC 7634 Appendix A (ChaCha20-Poly1305)
 * and the AES-256 ESP packets of draft-mcgrew-gcm-test-01 (AES-GCM-16, with
 * and without ESN). Each is both produced (esp_seal / esp_output, with the IV
 * the vector used) and opened (the full inbound path or esp_open).
 */
#include "esp_test.h"

struct vec {
	const char *name;
	uint16_t alg;
	const char *key;	/* key + salt */
	uint32_t spi;
	uint64_t seq;
	bool esn;
	const char *iv;
	const char *plain;	/* payload + padding + pad length + next header */
	const char *packet;	/* SPI .. ICV */
};

static const struct vec vecs[] = {
	{ "RFC 7634 A", ESP_ALG_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3",
	  0x01020304, 5, false, "1011121314151617",
	  "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10"
	  "000736270809 0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
	  "2425262728292a2b2c2d2e2f303132333435363701020204",
	  "0102030400000005 1011121314151617"
	  "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6"
	  "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3"
	  "cbec163fac469b502773f6fb94e664da9165b82829f641e0"
	  "76aaa8266b7fb0f7b11b369907e1ad43" },
	{ "gcm-test 4a2cbfe3", ESP_ALG_AES_GCM_16,
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344",
	  0x4a2cbfe3, 2, false, "0102030405060708",
	  "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	  "7002400020bf0000020405b40101040201020201",
	  "4a2cbfe3000000020102030405060708"
	  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	  "748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
	  "15956c96" },
	{ "gcm-test 17405e67 ESN", ESP_ALG_AES_GCM_16,
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab 73616c74",
	  0x17405e67, 0x156f3126dd0db99bull, true, "616e640169766563",
	  "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb712602"
	  "50101f646d540001",
	  "17405e67dd0db99b616e640169766563"
	  "f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57f"
	  "f4d3a31ce673119e451626c2415771e3b7eebca614c89b35" },
	{ "gcm-test 17405e67 ESN text", ESP_ALG_AES_GCM_16,
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab 73616c74",
	  0x17405e67, 0x156f3126dd0db99bull, true, "616e640169766563",
	  "636973636f0172756c65730174686501 6e6574776501646566696e6501746865"
	  "746563686e6f6c6f6769657301746861 7477696c6c01646566696e65746f6d6f"
	  "72726f7701020201",
	  "17405e67dd0db99b616e640169766563"
	  "d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18"
	  "d0a6df10e5487df074113e14c641024e3e6773d91a62ee429b043a10e3efe6b0"
	  "12a49363412364f8c0cac587f249e56b11e24f30e44ccc76" },
	{ "gcm-test 796b6963 ESN top", ESP_ALG_AES_GCM_16,
	  "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961 7475726e",
	  0x796b6963, 0xffffffffffffffffull, true, "333021696765746d",
	  "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
	  "65666768696a6b6c6d6e6f707172737401020201",
	  "796b6963ffffffff333021696765746d"
	  "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
	  "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a32"
	  "9fb4c053" },
};

static void run_vec(const struct vec *v, const char *via)
{
	static struct tbuf t;
	struct esp_sa_params p;
	struct esp_sa *sa;
	uint8_t plain[256], packet[256], nh = 0;
	size_t pl = unhex(v->plain, plain, sizeof(plain));
	size_t kl = unhex(v->packet, packet, sizeof(packet));
	uint32_t payload = (uint32_t)(pl - 2 - plain[pl - 2]);
	uint64_t seq = 0;
	const char *why = aead_sodium_unavailable(v->alg);
	char name[96];

	snprintf(name, sizeof(name), "%s%s", via, v->name);

	if (why) {
		tap_skip(why);
		tap_skip(why);
		tap_skip(why);
		return;
	}
	/* Seal: the payload alone goes in, the vector's whole packet comes out. */
	if (sa_params(&p, ESP_DIR_OUT, ESP_MODE_TUNNEL, v->alg, v->spi, v->key) != 0) {
		ok(0, "%s: key set-up", name);
		return;
	}
	p.esn = v->esn;
	p.seq_out = v->seq - 1;
	iv_for(&p, v->seq, v->iv);
	sa = sa_new(&p);
	if (!sa) {
		ok(0, "%s: SA set-up", name);
		return;
	}
	tbuf_set(&t, plain, payload);
	is_int(esp_seal(sa, &t.b, plain[pl - 1], 0, &seq), ESP_OK, "%s: seal", name);
	ok(t.b.len == kl && memcmp(esp_buf_data(&t.b), packet, kl) == 0,
	   "%s: sealed packet is the vector's (%u of %zu bytes)", name, (unsigned)t.b.len, kl);
	sa_free(sa);

	/* Open: the vector's packet goes in, the payload and next header come out. */
	sa_params(&p, ESP_DIR_IN, ESP_MODE_TUNNEL, v->alg, v->spi, v->key);
	p.esn = v->esn;
	p.seq_in = v->seq > 3 ? v->seq - 3 : 0;	/* the window sits just before the packet */
	sa = sa_new(&p);
	tbuf_set(&t, packet, kl);
	ok(sa && esp_open(sa, &t.b, &nh) == ESP_OK && t.b.len == payload &&
	   memcmp(esp_buf_data(&t.b), plain, payload) == 0 && nh == plain[pl - 1],
	   "%s: open gives the payload and next header %u", name, plain[pl - 1]);
	sa_free(sa);
}

/* The RFC 7634 packet through the whole tunnel-mode path both ways. */
static void rfc7634_full_path(void)
{
	const struct vec *v = &vecs[0];
	static struct tbuf t;
	struct esp_sa_params p;
	struct esp_sa *out, *in, *slots[8];
	struct esp_sad sad;
	struct esp_stats st;
	struct esp_rx rx;
	struct esp_rx_meta m;
	uint8_t plain[256], packet[256];
	size_t pl = unhex(v->plain, plain, sizeof(plain));
	size_t kl = unhex(v->packet, packet, sizeof(packet));
	uint32_t ev;

	memset(&st, 0, sizeof(st));
	sa_params(&p, ESP_DIR_OUT, ESP_MODE_TUNNEL, v->alg, v->spi, v->key);
	p.seq_out = v->seq - 1;
	iv_for(&p, v->seq, v->iv);
	out = sa_new(&p);
	tbuf_set(&t, plain, pl - 4);
	is_int(esp_output(out, &t.b, &st, &ev), ESP_OK, "RFC 7634: esp_output of the inner packet");
	ok(t.b.len == kl && memcmp(esp_buf_data(&t.b), packet, kl) == 0,
	   "RFC 7634: tunnel-mode output is the RFC's packet");

	sa_params(&p, ESP_DIR_IN, ESP_MODE_TUNNEL, v->alg, v->spi, v->key);
	/* Selectors exactly the inner addresses: 198.51.100.5 -> 192.0.2.5. */
	p.n_local_ts = p.n_remote_ts = 1;
	sel_prefix(&p.remote_ts[0], ESP_AF_INET, (const uint8_t *)"\xc6\x33\x64\x05", 32);
	sel_prefix(&p.local_ts[0], ESP_AF_INET, (const uint8_t *)"\xc0\x00\x02\x05", 32);
	in = sa_new(&p);
	esp_sad_init(&sad, slots, 8);
	is_int(esp_sad_insert(&sad, in), ESP_SAD_OK, "SAD insert");
	memset(&m, 0, sizeof(m));
	m.src = p.src;
	m.dst = p.dst;
	tbuf_set(&t, packet, kl);
	is_int(esp_input_esp(&sad, &t.b, &m, &st, &rx), ESP_RX_PACKET, "RFC 7634: input accepts it");
	ok(rx.sa == in && t.b.len == pl - 4 && memcmp(esp_buf_data(&t.b), plain, pl - 4) == 0,
	   "RFC 7634: input yields the inner ICMP packet");
	is_int(esp_atomic64_read(&in->st.packets), 1, "inbound SA counted one packet");
	is_int(esp_atomic64_read(&in->st.bytes), pl - 4, "inbound SA counted its bytes");
	sa_free(out);
	sa_free(in);
}

/* A packet with one flipped ICV bit must not open: the tag is checked, not
 * just computed (each library has its own compare). */
static void tampered(const struct vec *v, const char *via)
{
	static struct tbuf t;
	struct esp_sa_params p;
	struct esp_sa *sa;
	uint8_t packet[256], nh = 0;
	size_t kl = unhex(v->packet, packet, sizeof(packet));

	packet[kl - 1] ^= 0x01;
	if (sa_params(&p, ESP_DIR_IN, ESP_MODE_TUNNEL, v->alg, v->spi, v->key) != 0) {
		ok(0, "%s%s: key set-up", via, v->name);
		return;
	}
	p.esn = v->esn;
	p.seq_in = v->seq > 3 ? v->seq - 3 : 0;
	sa = sa_new(&p);
	tbuf_set(&t, packet, kl);
	ok(sa && esp_open(sa, &t.b, &nh) != ESP_OK,
	   "%s%s: a flipped ICV bit is refused", via, v->name);
	sa_free(sa);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		run_vec(&vecs[i], "");
	/* The portable AES-GCM (Mbed TLS) on every CPU, not only where AUTO
	 * picks it (Blackfin, CPUs without AES-NI): the same vectors. */
	esp_test_impl = AEAD_IMPL_MBEDTLS;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		if (vecs[i].alg != ESP_ALG_AES_GCM_16)
			continue;
		run_vec(&vecs[i], "Mbed TLS: ");
		tampered(&vecs[i], "Mbed TLS: ");
	}
	esp_test_impl = AEAD_IMPL_AUTO;
	tampered(&vecs[0], "");
	rfc7634_full_path();
	return tap_done();
}
