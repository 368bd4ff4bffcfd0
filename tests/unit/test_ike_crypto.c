// SPDX-License-Identifier: MIT
/*
 * Known answers for the IKE crypto: X25519 (RFC 7748 §6.1), HMAC-SHA2 (RFC
 * 4231 cases 1, 2 and 6), ChaCha20-Poly1305 (RFC 8439 §2.8.2), AES-256-GCM
 * (McGrew-Viega test case 16), plus prf+ from its definition and the
 * RFC 8031 all-zero refusal.
 */
#include <sodium.h>

#include "ikev2/crypto.h"
#include "proposal.h"
#include "tap.h"

static size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static void x25519(void)
{
	uint8_t a[32], b[32], apub[32], bpub[32], want[32], s1[32], s2[32], pub[32];
	uint8_t zero[32] = { 0 };

	hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a, 32);
	hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", apub, 32);
	hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b, 32);
	hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bpub, 32);
	hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", want, 32);
	crypto_scalarmult_base(pub, a);
	is_mem(pub, apub, 32, "X25519: Alice's public key (RFC 7748 6.1)");
	ok(ike_dh_shared(a, bpub, 32, s1) == 0, "X25519: Alice computes the shared secret");
	ok(ike_dh_shared(b, apub, 32, s2) == 0, "X25519: Bob computes the shared secret");
	is_mem(s1, want, 32, "X25519: Alice's shared secret is RFC 7748's");
	is_mem(s2, want, 32, "X25519: Bob's shared secret is RFC 7748's");
	ok(ike_dh_shared(a, zero, 32, s1) == -1, "X25519: an all-zero result is refused (RFC 8031)");
	ok(ike_dh_shared(a, bpub, 31, s1) == -1, "X25519: a 31-byte public value is refused");
	ike_dh_keypair(a, apub);
	ike_dh_keypair(b, bpub);
	ok(ike_dh_shared(a, bpub, 32, s1) == 0 && ike_dh_shared(b, apub, 32, s2) == 0 &&
	   memcmp(s1, s2, 32) == 0, "X25519: fresh key pairs agree");
}

static void hmac_case(const char *name, const uint8_t *key, size_t klen, const char *data,
		      const char *h256, const char *h512)
{
	uint8_t out[64], want[64];
	struct ike_iov d = { data, strlen(data) };

	ike_prf(PRF_HMAC_SHA2_256, key, klen, &d, 1, out);
	hex(h256, want, 32);
	is_mem(out, want, 32, "HMAC-SHA2-256 %s", name);
	ike_prf(PRF_HMAC_SHA2_512, key, klen, &d, 1, out);
	hex(h512, want, 64);
	is_mem(out, want, 64, "HMAC-SHA2-512 %s", name);
}

static void hmac(void)
{
	uint8_t k1[20], k6[131];

	memset(k1, 0x0b, sizeof(k1));
	memset(k6, 0xaa, sizeof(k6));
	hmac_case("RFC 4231 case 1", k1, 20, "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
		  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
		  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
	hmac_case("RFC 4231 case 2", (const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	hmac_case("RFC 4231 case 6", k6, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
		  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

static void prfplus(void)
{
	uint8_t key[32], out[100], t1[32], t2[32], t3[32];
	uint8_t one = 1, two = 2, three = 3;
	const char *s = "seed";
	struct ike_iov seed = { s, 4 };

	memset(key, 0x42, sizeof(key));
	ok(ike_prfplus(PRF_HMAC_SHA2_256, key, 32, &seed, 1, out, sizeof(out)) == 0, "prf+ runs");
	/* T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02), … (RFC 7296 §2.13) */
	{
		struct ike_iov a[2] = { { s, 4 }, { &one, 1 } };
		struct ike_iov b[3] = { { t1, 32 }, { s, 4 }, { &two, 1 } };
		struct ike_iov c[3] = { { t2, 32 }, { s, 4 }, { &three, 1 } };

		ike_prf(PRF_HMAC_SHA2_256, key, 32, a, 2, t1);
		ike_prf(PRF_HMAC_SHA2_256, key, 32, b, 3, t2);
		ike_prf(PRF_HMAC_SHA2_256, key, 32, c, 3, t3);
	}
	is_mem(out, t1, 32, "prf+ T1");
	is_mem(out + 32, t2, 32, "prf+ T2");
	is_mem(out + 64, t3, 32, "prf+ T3");
	ok(ike_prfplus(PRF_HMAC_SHA2_256, key, 32, &seed, 1, out, 255 * 32 + 1) == -1,
	   "prf+ refuses more than 255 blocks");
}

static void chacha(void)
{
	const char *pt = "Ladies and Gentlemen of the class of '99: If I could offer you only one "
			 "tip for the future, sunscreen would be it.";
	uint8_t key[36], iv[8], aad[12], m[200], icv[16], want[200], tag[16];
	size_t n = strlen(pt);

	for (unsigned i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	hex("07000000", key + 32, 4);	/* the "constant" part of the nonce is the salt */
	hex("4041424344454647", iv, 8);
	hex("50515253c0c1c2c3c4c5c6c7", aad, 12);
	hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	    "3ff4def08e4b7a9de576d26586cec64b6116", want, sizeof(want));
	hex("1ae10b594f09e26a7e902ecbd0600691", tag, 16);
	memcpy(m, pt, n);
	ok(ike_aead_seal(ENCR_CHACHA20_POLY1305, key, iv, aad, 12, m, n, icv) == 0,
	   "ChaCha20-Poly1305 seals");
	is_mem(m, want, n, "ChaCha20-Poly1305 ciphertext (RFC 8439 2.8.2)");
	is_mem(icv, tag, 16, "ChaCha20-Poly1305 tag (RFC 8439 2.8.2)");
	ok(ike_aead_open(ENCR_CHACHA20_POLY1305, key, iv, aad, 12, m, n, icv) == 0 &&
	   memcmp(m, pt, n) == 0, "ChaCha20-Poly1305 opens to the plaintext");
	memcpy(m, want, n);
	aad[0] ^= 1;
	ok(ike_aead_open(ENCR_CHACHA20_POLY1305, key, iv, aad, 12, m, n, tag) == -1,
	   "ChaCha20-Poly1305 refuses altered associated data");
}

static void gcm(void)
{
	uint8_t key[36], iv[8], aad[20], m[64], icv[16], pt[64], want[64], tag[16];
	size_t n;

	if (!ike_aead_supported(ENCR_AES_GCM_16, 256)) {
		tap_skip("AES-256-GCM: no AES instructions on this CPU");
		return;
	}
	hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308cafebabe", key, 36);
	hex("facedbaddecaf888", iv, 8);
	hex("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, 20);
	n = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39", pt, sizeof(pt));
	hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662", want, sizeof(want));
	hex("76fc6ece0f4e1768cddf8853bb2d551b", tag, 16);
	memcpy(m, pt, n);
	ok(ike_aead_seal(ENCR_AES_GCM_16, key, iv, aad, 20, m, n, icv) == 0, "AES-256-GCM seals");
	is_mem(m, want, n, "AES-256-GCM ciphertext (test case 16)");
	is_mem(icv, tag, 16, "AES-256-GCM tag (test case 16)");
	ok(ike_aead_open(ENCR_AES_GCM_16, key, iv, aad, 20, m, n, icv) == 0 &&
	   memcmp(m, pt, n) == 0, "AES-256-GCM opens to the plaintext");
	memcpy(m, want, n);
	tag[15] ^= 0x80;
	ok(ike_aead_open(ENCR_AES_GCM_16, key, iv, aad, 20, m, n, tag) == -1,
	   "AES-256-GCM refuses a wrong tag");
}

static void derive(void)
{
	/* Both sides of one exchange derive the same keys; the keys differ by
	 * role and by suite, and a rekey yields new ones. */
	struct ike_keys a, b, r;
	uint8_t g[32], ni[32], nr[32];

	memset(g, 1, 32); memset(ni, 2, 32); memset(nr, 3, 32);
	ok(ike_derive_keys(&a, PRF_HMAC_SHA2_512, ENCR_CHACHA20_POLY1305, 0, g, 32, ni, 32, nr, 32,
			   1, 2, 0, NULL) == 0, "keys derived (prfsha512, chacha20poly1305)");
	ok(ike_derive_keys(&b, PRF_HMAC_SHA2_512, ENCR_CHACHA20_POLY1305, 0, g, 32, ni, 32, nr, 32,
			   1, 2, 0, NULL) == 0 && memcmp(&a, &b, sizeof(a)) == 0, "derivation is deterministic");
	is_int(a.prf_len, 64, "SK_d is 64 bytes with prfsha512");
	is_int(a.e_len, 36, "SK_e is key plus salt");
	ok(memcmp(a.sk_ei, a.sk_er, 36) != 0 && memcmp(a.sk_pi, a.sk_pr, 64) != 0,
	   "initiator and responder keys differ");
	ok(ike_derive_keys(&r, PRF_HMAC_SHA2_256, ENCR_CHACHA20_POLY1305, 0, g, 32, ni, 32, nr, 32,
			   3, 4, PRF_HMAC_SHA2_512, a.sk_d) == 0 && memcmp(r.sk_ei, a.sk_ei, 36) != 0,
	   "rekey derivation from the old SK_d yields new keys");
	ok(ike_derive_keys(&r, 99, ENCR_CHACHA20_POLY1305, 0, g, 32, ni, 32, nr, 32, 1, 2, 0, NULL) == -1,
	   "unknown PRF refused");
	sodium_memzero(&a, sizeof(a));
	sodium_memzero(&b, sizeof(b));
	sodium_memzero(&r, sizeof(r));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	x25519();
	hmac();
	prfplus();
	chacha();
	gcm();
	derive();
	return tap_done();
}
