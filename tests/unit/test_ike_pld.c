// SPDX-License-Identifier: MIT
/*
 * The payload codec on crafted bytes: a built message parses back to what
 * was put in, every byte-shortened prefix of it is refused, and every file
 * of the malformed corpus (tests/fuzz/corpus/ike_parse/NAME.ERROR.bin,
 * written by tests/fuzz/ike_malformed.py) is refused with its ERROR.
 */
#include <dirent.h>
#include <stdlib.h>

#include "ikev2/pld.h"
#include "ikev2/sk.h"
#include "proposal.h"
#include "tap.h"

static enum pld_err full_parse(const uint8_t *buf, size_t len)
{
	static struct ike_msg m;
	enum pld_err e = pld_parse(&m, buf, len);

	return e ? e : pld_validate_all(&m);
}

static size_t build(uint8_t *buf)
{
	struct ike_hdr h = { .spi_i = 0x0102030405060708ull, .exchange = EXCH_IKE_SA_INIT,
			     .flags = HDR_F_INITIATOR };
	struct wbuf w;
	struct wb_prop p[2];
	uint8_t ke[32], n[32];
	struct ts t[2];

	memset(p, 0, sizeof(p));
	for (int i = 0; i < 2; i++) {
		p[i].num = (uint8_t)(i + 1);
		p[i].proto = PROTO_IKE;
		p[i].tr[0] = (struct pld_transform){ TRANS_ENCR, ENCR_AES_GCM_16, 256, false };
		p[i].tr[1] = (struct pld_transform){ TRANS_PRF, PRF_HMAC_SHA2_256, 0, false };
		p[i].tr[2] = (struct pld_transform){ TRANS_DH, DH_CURVE25519, 0, false };
		p[i].n_tr = 3;
	}
	p[1].tr[0] = (struct pld_transform){ TRANS_ENCR, ENCR_CHACHA20_POLY1305, 0, false };
	memset(ke, 0x11, sizeof(ke));
	memset(n, 0x22, sizeof(n));
	ts_parse("10.1.0.0/24", &t[0]);
	ts_parse("2001:db8::/64[tcp/443]", &t[1]);
	wb_init(&w, buf, IKE_MSG_MAX, &h);
	wb_sa(&w, p, 2);
	wb_ke(&w, DH_CURVE25519, ke, sizeof(ke));
	wb_nonce(&w, n, sizeof(n));
	wb_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, n, 20);
	wb_ts(&w, PLD_TSI, t, 2);
	wb_finish(&w);
	return w.len;
}

static void roundtrip(void)
{
	static uint8_t buf[IKE_MSG_MAX];
	static struct ike_msg m;
	size_t len = build(buf);
	struct pld_sa_iter it;
	struct pld_proposal pr;
	struct pld_tr_iter ti;
	struct pld_transform t;
	struct pld_ke ke;
	struct pld_ts ts;
	char d[256], a[TS_STR_MAX];
	unsigned props = 0;
	bool all_refused = true;

	is_int(pld_parse(&m, buf, len), PLD_OK, "built message parses");
	is_int(pld_validate_all(&m), PLD_OK, "and validates");
	is_str(pld_describe(&m, d, sizeof(d)), "IKE_SA_INIT request 0 { SA KE No N(NATD_S_IP) TSi }",
	       "described in RFC notation");
	ok(m.hdr.spi_i == 0x0102030405060708ull && m.hdr.flags == HDR_F_INITIATOR && m.hdr.length == len,
	   "header fields survive");
	pld_sa_iter_init(&it, pld_find(&m, PLD_SA));
	while (pld_sa_next(&it, &pr)) {
		props++;
		pld_tr_iter_init(&ti, &pr);
		ok(pld_tr_next(&ti, &t) && t.type == TRANS_ENCR &&
		   t.id == (props == 1 ? ENCR_AES_GCM_16 : ENCR_CHACHA20_POLY1305) &&
		   t.keybits == (props == 1 ? 256 : 0), "proposal %u: ENCR and key length", props);
	}
	is_int(props, 2, "two proposals");
	ok(pld_get_ke(pld_find(&m, PLD_KE), &ke) == PLD_OK && ke.group == DH_CURVE25519 && ke.len == 32,
	   "KE group and length");
	ok(pld_get_ts(pld_find(&m, PLD_TSI), &ts) == PLD_OK && ts.n == 2, "two selectors");
	is_str(ts_format(&ts.ts[1], a, sizeof(a)), "2001:db8::/64[tcp/443]", "IPv6 selector with port");
	/* Every truncation of a valid message is refused, none read past it
	 * (ASan would tell). */
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, buf, n);
		if (full_parse(copy, n) == PLD_OK)
			all_refused = false;
		free(copy);
	}
	ok(all_refused, "every one of the %zu truncations is refused", len);
}

static void builder_overflow(void)
{
	uint8_t small[40];
	struct ike_hdr h = { .exchange = EXCH_INFORMATIONAL };
	struct wbuf w;
	uint8_t n[32] = { 0 };

	wb_init(&w, small, sizeof(small), &h);
	wb_nonce(&w, n, sizeof(n));
	is_int(wb_finish(&w), PLD_E_NO_SPACE, "builder: overflow is reported, not written");
}

static void sk_roundtrip(void)
{
	static uint8_t buf[IKE_MSG_MAX];
	static struct ike_msg m;
	struct ike_keys k;
	struct ike_hdr h = { .spi_i = 1, .spi_r = 2, .exchange = EXCH_IKE_AUTH, .flags = HDR_F_INITIATOR,
			     .msgid = 1 };
	struct wbuf w;
	uint8_t id[] = "a.test", au[32] = { 1 };
	char d[256];

	memset(&k, 0, sizeof(k));
	k.encr = ENCR_CHACHA20_POLY1305;
	k.e_len = 36;
	memset(k.sk_ei, 0x5a, sizeof(k.sk_ei));
	memset(k.sk_er, 0xa5, sizeof(k.sk_er));
	wb_init(&w, buf, sizeof(buf), &h);
	wb_begin_sk(&w, IKE_AEAD_IV_LEN);
	wb_id(&w, PLD_IDI, ID_FQDN, id, 6);
	wb_auth(&w, AUTH_PSK, au, sizeof(au));
	is_int(sk_seal(&w, &k, true), PLD_OK, "SK: sealed");
	ok(pld_parse(&m, buf, w.len) == PLD_OK && sk_open(&m, buf, &k) == PLD_OK, "SK: opened with SK_ei");
	is_str(pld_describe(&m, d, sizeof(d)), "IKE_AUTH request 1 { IDi AUTH }", "SK: inner payloads");
	buf[30] ^= 1;		/* inside the SK header's reserved/next area: AAD */
	ok(pld_parse(&m, buf, w.len) != PLD_OK || sk_open(&m, buf, &k) != PLD_OK,
	   "SK: altered associated data refused");
}

static void corpus(void)
{
	const char *root = getenv("SECGW_ROOT");
	char dir[512], path[1024];
	DIR *dp;
	struct dirent *de;
	static uint8_t buf[IKE_MSG_MAX + 16];
	unsigned n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/ike_parse", root ? root : ".");
	dp = opendir(dir);
	if (!ok(dp != NULL, "malformed corpus found at %s", dir))
		return;
	while ((de = readdir(dp))) {
		char want[64];
		const char *dot = strchr(de->d_name, '.'), *end = strstr(de->d_name, ".bin");
		FILE *f;
		size_t len;
		enum pld_err got;

		if (!dot || !end || end <= dot || !strstr(de->d_name, ".PLD_E_"))
			continue;
		snprintf(want, sizeof(want), "%.*s", (int)(end - dot - 1), dot + 1);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		got = full_parse(buf, len);
		is_str(pld_err_name(got), want, "malformed %.*s refused as %s", (int)(dot - de->d_name),
		       de->d_name, want);
		n++;
	}
	closedir(dp);
	ok(n >= 30, "%u malformed messages checked", n);
}

int main(void)
{
	roundtrip();
	builder_overflow();
	sk_roundtrip();
	corpus();
	return tap_done();
}
