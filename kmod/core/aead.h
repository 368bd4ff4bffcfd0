/* SPDX-License-Identifier: MIT */
/*
 * The AEAD seam: the core builds nonces, AAD and the ESP layout; the host
 * does the cipher (userspace: libsodium in kmod/user/aead_sodium.c; kernel:
 * the crypto API). Both ESP AEADs here use a 12-byte nonce (4-byte salt from
 * the key material, then the 8-byte IV carried in the packet) and a 16-byte
 * ICV: ChaCha20-Poly1305 (RFC 7634) and AES-GCM-16 (RFC 4106).
 *
 * `struct esp_aead` is the host's keyed state, opaque to the core; the host
 * creates it when the SA is added and frees it after the SA is gone.
 */
#ifndef ESP_AEAD_H
#define ESP_AEAD_H

#include "compat.h"

enum {
	ESP_AEAD_NONCE_LEN = 12,
	ESP_AEAD_SALT_LEN = 4,
	ESP_AEAD_IV_LEN = 8,
	ESP_AEAD_ICV_LEN = 16,
	ESP_AEAD_KEY_MAX = 32,
};

struct esp_aead;

/*
 * Encrypt data[0..len) in place and write the 16-byte tag. Returns 0, or
 * non-zero when the host failed (counted as a crypto drop).
 */
int esp_aead_seal(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, uint8_t tag[ESP_AEAD_ICV_LEN]);

/*
 * Verify the tag over aad and data[0..len), then decrypt in place. Returns 0,
 * or non-zero when the tag does not verify (data is then left unspecified).
 */
int esp_aead_open(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, const uint8_t tag[ESP_AEAD_ICV_LEN]);

#endif
