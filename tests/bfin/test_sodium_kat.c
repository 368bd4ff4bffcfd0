// SPDX-License-Identifier: MIT
/*
 * Known answers for the libsodium primitives the datapath and IKE depend on,
 * run on Blackfin in bfin-elf-run (and on the host by tests/bfin/suite, so a
 * typo in a vector cannot pass unnoticed on one side only):
 *   - ChaCha20-Poly1305 IETF AEAD: RFC 8439 section 2.8.2, and RFC 7634
 *     appendix A (an ESP packet: nonce = salt || IV, AAD = SPI || seq);
 *   - X25519: RFC 7748 sections 5.2 and 6.1.
 * Every operation is also done on buffers at odd addresses, the way ESP finds
 * its payload inside a received frame: on Blackfin a library that cast those
 * pointers to wider types would fault here.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tests/unit/tap.h"

enum {
	KAT_MAX = 256,		/* largest vector, in bytes */
	ODD = 1,		/* misalignment applied to every buffer */
	AEAD_KEY = crypto_aead_chacha20poly1305_ietf_KEYBYTES,
	AEAD_NONCE = crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
	AEAD_TAG = crypto_aead_chacha20poly1305_ietf_ABYTES,
	X_BYTES = crypto_scalarmult_curve25519_BYTES,
};

struct aead_kat {
	const char *name;
	const char *key, *nonce, *aad, *plain, *cipher_tag;
};

static const struct aead_kat aead_kats[] = {
	{
		.name = "RFC 8439 2.8.2",
		.key = "808182838485868788898a8b8c8d8e8f"
		       "909192939495969798999a9b9c9d9e9f",
		.nonce = "070000004041424344454647",
		.aad = "50515253c0c1c2c3c4c5c6c7",
		/* "Ladies and Gentlemen of the class of '99: If I could offer
		 * you only one tip for the future, sunscreen would be it." */
		.plain = "4c616469657320616e642047656e746c"
			 "656d656e206f662074686520636c6173"
			 "73206f66202739393a20496620492063"
			 "6f756c64206f6666657220796f75206f"
			 "6e6c79206f6e652074697020666f7220"
			 "746865206675747572652c2073756e73"
			 "637265656e20776f756c642062652069"
			 "742e",
		.cipher_tag = "d31a8d34648e60db7b86afbc53ef7ec2"
			      "a4aded51296e08fea9e2b5a736ee62d6"
			      "3dbea45e8ca9671282fafb69da92728b"
			      "1a71de0a9e060b2905d6a5b67ecd3b36"
			      "92ddbd7f2d778b8c9803aee328091b58"
			      "fab324e4fad675945585808b4831d7bc"
			      "3ff4def08e4b7a9de576d26586cec64b"
			      "6116"
			      "1ae10b594f09e26a7e902ecbd0600691",
	},
	{
		/* An ICMP echo request from 198.51.100.5 to 192.0.2.5 in tunnel
		 * mode, SPI 0x01020304, sequence 5; the last four plaintext
		 * bytes are padding 01 02, pad length 2, next header 4 (IPv4). */
		.name = "RFC 7634 A (ESP)",
		.key = "808182838485868788898a8b8c8d8e8f"
		       "909192939495969798999a9b9c9d9e9f",
		.nonce = "a0a1a2a3" "1011121314151617",
		.aad = "01020304" "00000005",
		.plain = "45000054a6f200004001e778c6336405"
			 "c000020508005b7a3a080000553bec10"
			 "0007362708090a0b0c0d0e0f10111213"
			 "1415161718191a1b1c1d1e1f20212223"
			 "2425262728292a2b2c2d2e2f30313233"
			 "3435363701020204",
		.cipher_tag = "24039428b97f417e3c13753a4f05087b"
			      "67c352e6a7fab1b982d466ef407ae5c6"
			      "14ee8099d52844eb61aa95dfab4c02f7"
			      "2aa71e7c4c4f64c9befe2facc638e8f3"
			      "cbec163fac469b502773f6fb94e664da"
			      "9165b82829f641e0"
			      "76aaa8266b7fb0f7b11b369907e1ad43",
	},
};

struct x25519_kat {
	const char *name, *scalar, *point, *out;
};

static const struct x25519_kat x25519_kats[] = {
	{ "RFC 7748 5.2 #1",
	  "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
	{ "RFC 7748 5.2 #2",
	  "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	/* 6.1: each side's public key is its private key times the base point 9. */
	{ "RFC 7748 6.1 Alice public",
	  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	  NULL,
	  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" },
	{ "RFC 7748 6.1 Bob public",
	  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	  NULL,
	  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" },
	{ "RFC 7748 6.1 shared (Alice)",
	  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	{ "RFC 7748 6.1 shared (Bob)",
	  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
};

/* Decode a vector (spaces allowed) into out; -1 if it does not fit. */
static long unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n;

	if (sodium_hex2bin(out, cap, hex, strlen(hex), " ", &n, NULL) != 0)
		return -1;
	return (long)n;
}

/* Buffers with room for the misalignment; the vectors land at +ODD. */
static uint8_t key_b[AEAD_KEY + ODD], nonce_b[AEAD_NONCE + ODD];
static uint8_t aad_b[KAT_MAX + ODD], plain_b[KAT_MAX + ODD];
static uint8_t want_b[KAT_MAX + ODD], out_b[KAT_MAX + ODD], back_b[KAT_MAX + ODD];

static void aead_kat(const struct aead_kat *v)
{
	uint8_t *key = key_b + ODD, *nonce = nonce_b + ODD, *aad = aad_b + ODD;
	uint8_t *plain = plain_b + ODD, *want = want_b + ODD;
	uint8_t *out = out_b + ODD, *back = back_b + ODD;
	long kl = unhex(key, AEAD_KEY, v->key), nl = unhex(nonce, AEAD_NONCE, v->nonce);
	long al = unhex(aad, KAT_MAX, v->aad), pl = unhex(plain, KAT_MAX, v->plain);
	long wl = unhex(want, KAT_MAX, v->cipher_tag);
	unsigned long long clen = 0, mlen = 0;

	if (!ok(kl == AEAD_KEY && nl == AEAD_NONCE && al >= 0 && pl >= 0 &&
		wl == pl + AEAD_TAG, "%s: vector decodes", v->name))
		return;

	memset(out, 0, KAT_MAX);
	ok(crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plain,
		(unsigned long long)pl, aad, (unsigned long long)al, NULL, nonce,
		key) == 0 && clen == (unsigned long long)wl, "%s: seal", v->name);
	is_mem(out, want, (size_t)wl, "%s: ciphertext and tag match", v->name);

	memset(back, 0, KAT_MAX);
	ok(crypto_aead_chacha20poly1305_ietf_decrypt(back, &mlen, NULL, want,
		(unsigned long long)wl, aad, (unsigned long long)al, nonce, key) == 0 &&
		mlen == (unsigned long long)pl, "%s: open", v->name);
	is_mem(back, plain, (size_t)pl, "%s: plaintext recovered", v->name);

	/* An attacker flips one bit of the tag, then of the AAD (the SPI or
	 * sequence number in ESP): both must be refused, with no output. */
	want[wl - 1] ^= 0x01;
	ok(crypto_aead_chacha20poly1305_ietf_decrypt(back, &mlen, NULL, want,
		(unsigned long long)wl, aad, (unsigned long long)al, nonce, key) == -1,
		"%s: forged tag refused", v->name);
	want[wl - 1] ^= 0x01;
	aad[0] ^= 0x80;
	ok(crypto_aead_chacha20poly1305_ietf_decrypt(back, &mlen, NULL, want,
		(unsigned long long)wl, aad, (unsigned long long)al, nonce, key) == -1,
		"%s: altered AAD refused", v->name);
	aad[0] ^= 0x80;

	/* In place, as the datapath encrypts a packet in its own buffer. */
	memcpy(out, plain, (size_t)pl);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, out, (unsigned long long)pl,
		aad, (unsigned long long)al, NULL, nonce, key);
	is_mem(out, want, (size_t)wl, "%s: in-place seal matches", v->name);
}

static void x25519_kat(const struct x25519_kat *v)
{
	static uint8_t s_b[X_BYTES + ODD], p_b[X_BYTES + ODD];
	static uint8_t w_b[X_BYTES + ODD], o_b[X_BYTES + ODD];
	uint8_t *s = s_b + ODD, *p = p_b + ODD, *w = w_b + ODD, *o = o_b + ODD;
	int rc;

	if (!ok(unhex(s, X_BYTES, v->scalar) == X_BYTES && unhex(w, X_BYTES, v->out) == X_BYTES &&
		(!v->point || unhex(p, X_BYTES, v->point) == X_BYTES), "%s: vector decodes", v->name))
		return;
	memset(o, 0, X_BYTES);
	rc = v->point ? crypto_scalarmult_curve25519(o, s, p) : crypto_scalarmult_curve25519_base(o, s);
	ok(rc == 0, "%s: scalar multiplication succeeds", v->name);
	is_mem(o, w, X_BYTES, "%s: result matches", v->name);
}

int main(void)
{
	size_t i;
	uint8_t zero[X_BYTES] = { 0 }, s[X_BYTES], o[X_BYTES];

	/* sodium_init also seeds randombytes; its failure would make every
	 * key the datapath generates suspect, so it is a test of its own. */
	ok(sodium_init() >= 0, "sodium_init");
	for (i = 0; i < sizeof aead_kats / sizeof aead_kats[0]; i++)
		aead_kat(&aead_kats[i]);
	for (i = 0; i < sizeof x25519_kats / sizeof x25519_kats[0]; i++)
		x25519_kat(&x25519_kats[i]);

	/* A peer that sends the all-zero point (small order) forces a zero
	 * shared secret; libsodium must refuse rather than return it. */
	memset(s, 0x42, sizeof s);
	ok(crypto_scalarmult_curve25519(o, s, zero) == -1, "X25519 refuses a small-order point");
	return tap_done();
}
