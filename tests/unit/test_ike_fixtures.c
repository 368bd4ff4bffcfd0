// SPDX-License-Identifier: MIT
/*
 * Real IKEv2 messages from another implementation: two strongSwan 5.9
 * charons, captured with their keys (tests/fixtures/ike/, one capture per
 * suite). Every IKE message in them must parse, every SK payload must verify
 * and decrypt with the logged SK_e keys, the inner payloads must be what
 * charon sent, and our AUTH, CHILD key and NAT detection computations must
 * reproduce charon's values from the same inputs.
 */
#include <errno.h>
#include <stdlib.h>

#include <sodium.h>

#include "ikev2/crypto.h"
#include "ikev2/pld.h"
#include "ikev2/sk.h"
#include "proposal.h"
#include "tap.h"

enum { MAX_PKTS = 32, PCAP_MAX = 65536 };

static const char psk[] = "swan-pair-test-psk-0123456789abcdef";

struct pkt {
	struct ip_addr src, dst;
	uint16_t sport, dport;
	size_t len;
	uint8_t data[2048];
};

struct capture {
	unsigned n;
	struct pkt pkts[MAX_PKTS];
};

struct keys {
	uint64_t spi_i, spi_r;
	uint8_t sk_d[32], sk_ei[36], sk_er[36], sk_pi[32], sk_pr[32];
	uint8_t child_i[36], child_r[36];
	uint32_t spi_in_i, spi_out_i;	/* as seen by the initiator 192.0.2.1 */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A pcap of Ethernet frames: IKE on UDP 500, and on UDP 4500 behind the
 * four-zero-byte non-ESP marker (RFC 3948); ESP-in-UDP is left out. */
static int read_pcap(const char *path, struct capture *c)
{
	static uint8_t buf[PCAP_MAX];
	FILE *f = fopen(path, "rb");
	size_t len, off = 24;

	c->n = 0;
	if (!f)
		return -1;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (len < 24 || le32(buf) != 0xa1b2c3d4 || le32(buf + 20) != 1)
		return -1;
	while (off + 16 <= len) {
		uint32_t incl = le32(buf + off + 8);
		const uint8_t *fr = buf + off + 16, *ip, *udp, *pl;
		size_t ihl, plen;
		struct pkt *p;

		if (incl > len - off - 16)
			return -1;
		off += 16 + incl;
		if (incl < 14 + 20 + 8 || get_be16(fr + 12) != 0x0800)
			continue;
		ip = fr + 14;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		if (ip[9] != 17 || incl < 14 + ihl + 8)
			continue;
		udp = ip + ihl;
		pl = udp + 8;
		plen = get_be16(udp + 4) - 8u;
		if (plen > incl - 14 - ihl - 8)
			return -1;
		if (get_be16(udp + 2) == 4500 || get_be16(udp) == 4500) {
			if (plen < 4 || get_be32(pl) != 0)
				continue;	/* ESP */
			pl += 4;
			plen -= 4;
		}
		if (c->n >= MAX_PKTS || plen > sizeof(c->pkts[0].data))
			return -1;
		p = &c->pkts[c->n++];
		p->src.family = p->dst.family = IPF_V4;
		memcpy(p->src.b, ip + 12, 4);
		memcpy(p->dst.b, ip + 16, 4);
		p->sport = get_be16(udp);
		p->dport = get_be16(udp + 2);
		p->len = plen;
		memcpy(p->data, pl, plen);
	}
	return 0;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static int read_keys(const char *path, struct keys *k)
{
	char line[512], a[200], b[200];
	FILE *f = fopen(path, "r");
	int got = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long x, y;

		if (sscanf(line, "IKE_SA net SPIi %llx SPIr %llx", &x, &y) == 2) {
			k->spi_i = x;
			k->spi_r = y;
			got++;
		} else if (sscanf(line, " %199s %199s", a, b) == 2) {
			if (!strcmp(a, "Sk_d")) got += !unhex(b, k->sk_d, 32);
			else if (!strcmp(a, "Sk_ei")) got += !unhex(b, k->sk_ei, 36);
			else if (!strcmp(a, "Sk_er")) got += !unhex(b, k->sk_er, 36);
			else if (!strcmp(a, "Sk_pi")) got += !unhex(b, k->sk_pi, 32);
			else if (!strcmp(a, "Sk_pr")) got += !unhex(b, k->sk_pr, 32);
			else if (!strcmp(a, "encryption_initiator")) got += !unhex(b, k->child_i, 36);
			else if (!strcmp(a, "encryption_responder")) got += !unhex(b, k->child_r, 36);
		}
	}
	fclose(f);
	return got == 8 ? 0 : -1;
}

static void check_suite(const char *name, unsigned encr, const char *const *expect, unsigned n_expect)
{
	static struct capture cap;
	struct keys k;
	struct ike_keys ik;
	char path[512], desc[512];
	const char *root = getenv("SECGW_ROOT");
	/* What the IKE_AUTH checks need from earlier messages. */
	static uint8_t msg1[2048], msg2[2048];
	size_t msg1_len = 0, msg2_len = 0;
	uint8_t ni[256], nr[256];
	uint16_t ni_len = 0, nr_len = 0;
	unsigned ike = 0;

	snprintf(path, sizeof(path), "%s/tests/fixtures/ike/%s.pcap", root ? root : ".", name);
	if (!ok(read_pcap(path, &cap) == 0, "%s: capture read", name))
		return;
	snprintf(path, sizeof(path), "%s/tests/fixtures/ike/%s.keys.txt", root ? root : ".", name);
	if (!ok(read_keys(path, &k) == 0, "%s: keys read", name))
		return;
	memset(&ik, 0, sizeof(ik));
	ik.prf = PRF_HMAC_SHA2_256;
	ik.prf_len = 32;
	ik.encr = (uint16_t)encr;
	ik.encr_bits = encr == ENCR_AES_GCM_16 ? 256 : 0;
	ik.e_len = 36;
	memcpy(ik.sk_d, k.sk_d, 32);
	memcpy(ik.sk_ei, k.sk_ei, 36);
	memcpy(ik.sk_er, k.sk_er, 36);
	memcpy(ik.sk_pi, k.sk_pi, 32);
	memcpy(ik.sk_pr, k.sk_pr, 32);
	is_int(cap.n, n_expect, "%s: IKE messages found in the capture", name);

	for (unsigned i = 0; i < cap.n && i < n_expect; i++, ike++) {
		struct pkt *p = &cap.pkts[i];
		struct ike_msg m;
		enum pld_err e = pld_parse(&m, p->data, p->len);

		if (!ok(e == PLD_OK, "%s: message %u parses (%s)", name, i, pld_err_str(e)))
			continue;
		ok(m.hdr.spi_i == k.spi_i, "%s: message %u has the logged SPIi", name, i);
		is_int(pld_check_protected(&m), PLD_OK, "%s: message %u protects what it must", name, i);
		if (m.hdr.exchange == EXCH_IKE_SA_INIT) {
			const struct pld *no = pld_find(&m, PLD_NONCE), *sa = pld_find(&m, PLD_SA);
			const uint8_t *d;
			uint16_t l;

			ok(sa && pld_sa_validate(sa) == PLD_OK, "%s: message %u SA validates", name, i);
			if (no && pld_get_nonce(no, &d, &l) == PLD_OK) {
				if (m.hdr.flags & HDR_F_RESPONSE) {
					memcpy(nr, d, l); nr_len = l;
					memcpy(msg2, p->data, p->len); msg2_len = p->len;
				} else {
					memcpy(ni, d, l); ni_len = l;
					memcpy(msg1, p->data, p->len); msg1_len = p->len;
				}
			}
			if (m.hdr.flags & HDR_F_RESPONSE) {
				/* The responder's choice: one proposal, the logged suite. */
				struct pld_sa_iter it;
				struct pld_proposal pr;
				struct pld_tr_iter ti;
				struct pld_transform t;
				unsigned props = 0, enc = 0, prf = 0, dh = 0;

				pld_sa_iter_init(&it, sa);
				while (pld_sa_next(&it, &pr)) {
					props++;
					pld_tr_iter_init(&ti, &pr);
					while (pld_tr_next(&ti, &t)) {
						if (t.type == TRANS_ENCR) enc = t.id;
						if (t.type == TRANS_PRF) prf = t.id;
						if (t.type == TRANS_DH) dh = t.id;
					}
				}
				ok(props == 1 && enc == encr && prf == PRF_HMAC_SHA2_256 &&
				   dh == DH_CURVE25519, "%s: chosen proposal is the logged suite", name);
			} else {
				/* NATD_D_IP = SHA-1(SPIi | 0 | dst | dport): charon
				 * computes it honestly (only the source one is faked
				 * to force UDP encapsulation for kernel-libipsec). */
				const struct pld *nd = pld_find_notify(&m, N_NAT_DETECTION_DESTINATION_IP);
				struct pld_notify n;
				uint8_t h[IKE_SHA1_LEN];

				ike_natd_hash(m.hdr.spi_i, 0, &p->dst, p->dport, h);
				ok(nd && pld_get_notify(nd, &n) == PLD_OK && n.len == IKE_SHA1_LEN &&
				   memcmp(n.data, h, IKE_SHA1_LEN) == 0,
				   "%s: NATD_D_IP matches our SHA-1 of the destination", name);
			}
		} else {
			uint8_t tampered[2048];
			struct ike_msg t;

			/* A flipped bit anywhere in the ciphertext must fail. */
			memcpy(tampered, p->data, p->len);
			tampered[p->len - 20] ^= 0x01;
			ok(pld_parse(&t, tampered, p->len) == PLD_OK &&
			   sk_open(&t, tampered, &ik) == PLD_E_ICV,
			   "%s: message %u with one flipped bit is refused", name, i);
			e = sk_open(&m, p->data, &ik);
			if (!ok(e == PLD_OK, "%s: message %u SK decrypts and verifies (%s)", name, i,
				pld_err_str(e)))
				continue;
		}
		is_str(pld_describe(&m, desc, sizeof(desc)), expect[i], "%s: message %u", name, i);

		if (m.hdr.exchange == EXCH_IKE_AUTH) {
			bool resp = m.hdr.flags & HDR_F_RESPONSE;
			const struct pld *id = pld_find(&m, resp ? PLD_IDR : PLD_IDI);
			const struct pld *au = pld_find(&m, PLD_AUTH);
			struct pld_auth a;
			uint8_t want[32];

			if (!ok(id && au && pld_get_auth(au, &a) == PLD_OK && a.method == AUTH_PSK &&
				a.len == 32, "%s: message %u carries a PSK AUTH", name, i))
				continue;
			/* §2.15: the signer's IKE_SA_INIT message, the other nonce,
			 * prf(SK_p, ID). Equal only if every input is right. */
			if (resp)
				ike_psk_auth(PRF_HMAC_SHA2_256, (const uint8_t *)psk, strlen(psk),
					     msg2, msg2_len, ni, ni_len, k.sk_pr, 32, id->body, id->len, want);
			else
				ike_psk_auth(PRF_HMAC_SHA2_256, (const uint8_t *)psk, strlen(psk),
					     msg1, msg1_len, nr, nr_len, k.sk_pi, 32, id->body, id->len, want);
			is_mem(a.data, want, 32, "%s: message %u AUTH equals our PSK AUTH", name, i);
		}
	}
	{
		/* KEYMAT = prf+(SK_d, Ni | Nr): initiator's key+salt, then the responder's. */
		uint8_t km[72];

		ok(ike_child_keymat(&ik, NULL, 0, ni, ni_len, nr, nr_len, km, sizeof(km)) == 0,
		   "%s: CHILD keymat derived", name);
		is_mem(km, k.child_i, 36, "%s: ESP key initiator->responder matches charon's", name);
		is_mem(km + 36, k.child_r, 36, "%s: ESP key responder->initiator matches charon's", name);
	}
	(void)ike;
	(void)msg2_len;
}

int main(void)
{
	static const char *const expect[] = {
		"IKE_SA_INIT request 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(REDIRECT_SUPPORTED) }",
		"IKE_SA_INIT response 0 { SA KE No N(NATD_S_IP) N(NATD_D_IP) N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) N(CHILDLESS_IKEV2_SUPPORTED) N(MULTIPLE_AUTH_SUPPORTED) }",
		"IKE_AUTH request 1 { IDi N(INITIAL_CONTACT) IDr AUTH SA TSi TSr N(MULTIPLE_AUTH_SUPPORTED) N(EAP_ONLY_AUTHENTICATION) N(IKEV2_MESSAGE_ID_SYNC_SUPPORTED) }",
		"IKE_AUTH response 1 { IDr AUTH SA TSi TSr }",
		"INFORMATIONAL request 2 { D }",
		"INFORMATIONAL response 2 { }",
	};

	if (sodium_init() < 0)
		return 1;
	check_suite("chacha20poly1305", ENCR_CHACHA20_POLY1305, expect, 6);
	if (ike_aead_supported(ENCR_AES_GCM_16, 256))
		check_suite("aes256gcm16", ENCR_AES_GCM_16, expect, 6);
	else
		tap_skip("AES-256-GCM: this CPU has no AES instructions for libsodium");
	return tap_done();
}
