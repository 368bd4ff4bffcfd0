/* SPDX-License-Identifier: MIT */
/*
 * The userspace implementation of kmod/core/aead.h on libsodium:
 * ChaCha20-Poly1305 (IETF, RFC 8439) everywhere, AES-256-GCM only where
 * libsodium can run it (x86-64 with AES-NI and PCLMUL); elsewhere adding
 * such an SA fails with a message that says so.
 */
#ifndef SECGW_AEAD_SODIUM_H
#define SECGW_AEAD_SODIUM_H

#include <stddef.h>
#include <stdint.h>

struct esp_aead;

/* NULL when the algorithm can run here, else why not. */
const char *aead_sodium_unavailable(uint16_t alg);

/*
 * A keyed AEAD for an IKEv2 encryption transform ID (20 = AES-GCM-16 with a
 * 256-bit key, 28 = ChaCha20-Poly1305) from the 32-byte key (the salt is the
 * SA's business). NULL with *err set when the algorithm or key is unusable.
 */
struct esp_aead *aead_sodium_new(uint16_t alg, const uint8_t *key, size_t keylen,
				 const char **err);
/* Wipes the key. NULL is fine. */
void aead_sodium_free(struct esp_aead *a);

#endif
