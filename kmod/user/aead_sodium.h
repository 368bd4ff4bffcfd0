/* SPDX-License-Identifier: MIT */
/*
 * The userspace implementation of kmod/core/aead.h: ChaCha20-Poly1305 (IETF,
 * RFC 8439) from libsodium everywhere; AES-256-GCM from libsodium where it
 * can run it (x86-64 with AES-NI and PCLMUL), and from Mbed TLS elsewhere
 * (any other CPU: Blackfin, ARM routers, old x86). aead_sodium_impl_name()
 * says which, for a log line: the two are not equal (see aead_sodium.c).
 * secgw-iked's user datapath logs it when it opens.
 */
#ifndef SECGW_AEAD_SODIUM_H
#define SECGW_AEAD_SODIUM_H

#include <stddef.h>
#include <stdint.h>

struct esp_aead;

/* Which library does an algorithm's work. */
enum aead_impl {
	AEAD_IMPL_AUTO,		/* libsodium if it can run the algorithm here, else Mbed TLS */
	AEAD_IMPL_SODIUM,
	AEAD_IMPL_MBEDTLS,	/* AES-GCM only */
};

/* NULL when the algorithm can run here, else why not. */
const char *aead_sodium_unavailable(uint16_t alg);

/* What AEAD_IMPL_AUTO picks for alg on this CPU, as a phrase for a log
 * line ("libsodium (AES-NI)", "Mbed TLS (portable C, ...)"); NULL when the
 * algorithm is not available at all. */
const char *aead_sodium_impl_name(uint16_t alg);

/*
 * A keyed AEAD for an IKEv2 encryption transform ID (20 = AES-GCM-16 with a
 * 256-bit key, 28 = ChaCha20-Poly1305) from the 32-byte key (the salt is the
 * SA's business). NULL with *err set when the algorithm or key is unusable.
 */
struct esp_aead *aead_sodium_new(uint16_t alg, const uint8_t *key, size_t keylen,
				 const char **err);
/* The same with the library chosen (tests use it to run Mbed TLS's AES-GCM
 * on a CPU where AUTO would pick libsodium's). */
struct esp_aead *aead_sodium_new_impl(uint16_t alg, enum aead_impl impl, const uint8_t *key,
				      size_t keylen, const char **err);
/* Wipes the key. NULL is fine. */
void aead_sodium_free(struct esp_aead *a);

#endif
