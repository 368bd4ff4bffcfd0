// SPDX-License-Identifier: MIT
/*
 * Blackfin benchmark (bench/bfin.sh runs it in bfin-elf-run): libsodium's
 * ChaCha20-Poly1305 IETF AEAD sealing and opening 1400-byte ESP payloads,
 * timed with the core CYCLES counter.
 *
 *	bfin_aead [seal|open|both|x25519] [ITERATIONS]
 *
 * Prints "op=seal bytes=1400 iters=N cycles=C" per operation timed; x25519
 * times one X25519 shared-secret computation (the DH of every IKE SA). The
 * nonce is salt || 64-bit sequence and the AAD SPI || sequence, as in ESP
 * (RFC 7634), and the sequence advances every packet, so no work is cached.
 * Running one operation alone lets the script difference the simulator's
 * instruction counts of two iteration counts (start-up cancels out).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bfin/cycles.h"

enum {
	PAYLOAD = 1400,		/* a full-size tunnelled packet */
	AAD_LEN = 8,		/* SPI || 32-bit sequence number */
	SALT_LEN = 4,
	TAG = crypto_aead_chacha20poly1305_ietf_ABYTES,
	DEFAULT_ITERS = 200,
	MAX_ITERS = 100000,
};

static uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
static uint8_t plain[PAYLOAD], sealed[PAYLOAD + TAG], opened[PAYLOAD];

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The per-packet ESP inputs for sequence number seq. */
static void esp_inputs(uint32_t seq, uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES],
		       uint8_t aad[AAD_LEN])
{
	memset(nonce, 0, crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
	memset(nonce, 0xa5, SALT_LEN);
	put_be32(nonce + SALT_LEN + 4, seq);
	put_be32(aad, 0x01020304);
	put_be32(aad + 4, seq);
}

static int seal(uint32_t seq)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES], aad[AAD_LEN];
	unsigned long long clen;

	esp_inputs(seq, nonce, aad);
	return crypto_aead_chacha20poly1305_ietf_encrypt(sealed, &clen, plain, PAYLOAD,
							 aad, AAD_LEN, NULL, nonce, key);
}

static int unseal(uint32_t seq)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES], aad[AAD_LEN];
	unsigned long long mlen;

	esp_inputs(seq, nonce, aad);
	return crypto_aead_chacha20poly1305_ietf_decrypt(opened, &mlen, NULL, sealed,
							 PAYLOAD + TAG, aad, AAD_LEN, nonce, key);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "both";
	long iters = argc > 2 ? strtol(argv[2], NULL, 10) : DEFAULT_ITERS;
	int do_seal = strcmp(what, "seal") == 0 || strcmp(what, "both") == 0;
	int do_open = strcmp(what, "open") == 0 || strcmp(what, "both") == 0;
	int do_x25519 = strcmp(what, "x25519") == 0;
	uint64_t c0, c1;
	uint32_t seq;

	if ((!do_seal && !do_open && !do_x25519) || iters < 1 || iters > MAX_ITERS) {
		fprintf(stderr, "usage: bfin_aead [seal|open|both|x25519] [1..%d]\n", MAX_ITERS);
		return 2;
	}
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(0x80 + i);
	for (size_t i = 0; i < sizeof plain; i++)
		plain[i] = (uint8_t)(i * 7);
	bfin_cycles_enable(1);

	if (do_seal) {
		c0 = bfin_cycles();
		for (seq = 1; seq <= (uint32_t)iters; seq++)
			seal(seq);
		c1 = bfin_cycles();
		printf("op=seal bytes=%d iters=%ld cycles=%llu\n", PAYLOAD, iters,
		       (unsigned long long)(c1 - c0));
	}
	if (do_open) {
		/* Open the same packet each time: a fresh one per iteration would
		 * time the sealing too. The sequence in it is 1. */
		if (seal(1) != 0 || unseal(1) != 0 || memcmp(opened, plain, PAYLOAD) != 0) {
			fprintf(stderr, "bfin_aead: round trip failed\n");
			return 1;
		}
		c0 = bfin_cycles();
		for (long i = 0; i < iters; i++)
			if (unseal(1) != 0)
				return 1;
		c1 = bfin_cycles();
		printf("op=open bytes=%d iters=%ld cycles=%llu\n", PAYLOAD, iters,
		       (unsigned long long)(c1 - c0));
	}
	if (do_x25519) {
		uint8_t sk[crypto_scalarmult_BYTES], pk[crypto_scalarmult_BYTES];
		uint8_t shared[crypto_scalarmult_BYTES];

		memset(sk, 0x5a, sizeof sk);
		crypto_scalarmult_base(pk, key);
		c0 = bfin_cycles();
		for (long i = 0; i < iters; i++)
			if (crypto_scalarmult(shared, sk, pk) != 0)
				return 1;
		c1 = bfin_cycles();
		printf("op=x25519 bytes=32 iters=%ld cycles=%llu\n", iters,
		       (unsigned long long)(c1 - c0));
	}
	return 0;
}
