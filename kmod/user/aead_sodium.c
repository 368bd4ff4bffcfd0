// SPDX-License-Identifier: MIT
/*
 * AES-256-GCM has two sources here. libsodium's needs AES-NI and PCLMUL and
 * is then constant-time; it has no portable AES at all, on purpose. Without
 * those instructions (every router CPU, Blackfin included) Mbed TLS does it
 * in portable C with table-driven AES: correct, but its memory accesses
 * depend on the key, so someone who can watch this CPU's cache (another
 * process on the box, or timing from afar on a quiet one) learns about the
 * key. ChaCha20-Poly1305 has no such weakness anywhere;
 * aead_sodium_impl_name() names the AES-GCM source so that a caller can log
 * it and the choice stays visible.
 *
 * One file for both libraries: the core sees one `struct esp_aead`, and the
 * choice is made once per SA, when it is keyed.
 */
#include "aead_sodium.h"

#include <mbedtls/gcm.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>

#include "kmod/core/aead.h"
#include "kmod/core/esp.h"

enum {
	AEAD_KEY_LEN = 32,
	AEAD_GCM_KEY_BITS = 256,
	/* libsodium's AES-GCM state is declared 16-byte aligned; malloc only
	 * promises 8 on a 32-bit host, and bare newlib has no posix_memalign
	 * (its aligned_alloc calls one that is not there). So the state gets
	 * room to be aligned by hand inside the struct. */
	SODIUM_GCM_ALIGN = 16,
};

struct esp_aead {
	uint16_t alg;
	enum aead_impl impl;	/* SODIUM or MBEDTLS, never AUTO */
	union {
		uint8_t chacha_key[AEAD_KEY_LEN];
		mbedtls_gcm_context gcm;
		uint8_t sodium_gcm[sizeof(crypto_aead_aes256gcm_state) + SODIUM_GCM_ALIGN];
	} u;
};

/* Bytes an AEAD of this kind takes: the key alone for ChaCha20-Poly1305
 * (an SA's key costs 40 bytes, not the 500 of libsodium's GCM state). */
static size_t aead_size(uint16_t alg, enum aead_impl impl)
{
	const struct esp_aead *a = NULL;
	size_t head = offsetof(struct esp_aead, u);

	if (alg == ESP_ALG_CHACHA20_POLY1305)
		return head + sizeof(a->u.chacha_key);
	if (impl == AEAD_IMPL_SODIUM)
		return head + sizeof(a->u.sodium_gcm);
	return head + sizeof(a->u.gcm);
}

static crypto_aead_aes256gcm_state *sodium_gcm(struct esp_aead *a)
{
	uintptr_t p = (uintptr_t)a->u.sodium_gcm;

	p = (p + SODIUM_GCM_ALIGN - 1) & ~(uintptr_t)(SODIUM_GCM_ALIGN - 1);
	return (crypto_aead_aes256gcm_state *)p;
}

static bool sodium_ready(void)
{
	return sodium_init() >= 0;
}

static bool sodium_has_gcm(void)
{
	return crypto_aead_aes256gcm_is_available() != 0;
}

const char *aead_sodium_unavailable(uint16_t alg)
{
	if (!sodium_ready())
		return "libsodium failed to initialise";
	switch (alg) {
	case ESP_ALG_CHACHA20_POLY1305:
	case ESP_ALG_AES_GCM_16:
		return NULL;
	}
	return "unsupported ESP algorithm";
}

const char *aead_sodium_impl_name(uint16_t alg)
{
	if (aead_sodium_unavailable(alg))
		return NULL;
	if (alg == ESP_ALG_CHACHA20_POLY1305)
		return "libsodium";
	if (sodium_has_gcm())
		return "libsodium (AES-NI)";
	return "Mbed TLS (portable C: table-driven AES, not constant-time; "
	       "chacha20poly1305 is the safer choice on this CPU)";
}

struct esp_aead *aead_sodium_new_impl(uint16_t alg, enum aead_impl impl, const uint8_t *key,
				      size_t keylen, const char **err)
{
	struct esp_aead *a;

	*err = aead_sodium_unavailable(alg);
	if (*err)
		return NULL;
	if (keylen != AEAD_KEY_LEN) {
		*err = "key must be 32 bytes";
		return NULL;
	}
	if (impl == AEAD_IMPL_AUTO)
		impl = alg == ESP_ALG_AES_GCM_16 && !sodium_has_gcm() ? AEAD_IMPL_MBEDTLS
								   : AEAD_IMPL_SODIUM;
	if (impl == AEAD_IMPL_MBEDTLS && alg != ESP_ALG_AES_GCM_16) {
		*err = "Mbed TLS is used here for AES-GCM only";
		return NULL;
	}
	if (impl == AEAD_IMPL_SODIUM && alg == ESP_ALG_AES_GCM_16 && !sodium_has_gcm()) {
		*err = "libsodium's AES-256-GCM needs AES-NI and PCLMUL, which this CPU lacks";
		return NULL;
	}
	a = calloc(1, aead_size(alg, impl));
	if (!a) {
		*err = "out of memory";
		return NULL;
	}
	a->alg = alg;
	a->impl = impl;
	if (alg == ESP_ALG_CHACHA20_POLY1305) {
		memcpy(a->u.chacha_key, key, keylen);
	} else if (impl == AEAD_IMPL_SODIUM) {
		crypto_aead_aes256gcm_beforenm(sodium_gcm(a), key);
	} else {
		/* Allocates the AES key schedule: once per SA, never per packet. */
		mbedtls_gcm_init(&a->u.gcm);
		if (mbedtls_gcm_setkey(&a->u.gcm, MBEDTLS_CIPHER_ID_AES, key,
				       AEAD_GCM_KEY_BITS) != 0) {
			aead_sodium_free(a);
			*err = "Mbed TLS could not key AES-256-GCM (out of memory?)";
			return NULL;
		}
	}
	return a;
}

struct esp_aead *aead_sodium_new(uint16_t alg, const uint8_t *key, size_t keylen,
				 const char **err)
{
	return aead_sodium_new_impl(alg, AEAD_IMPL_AUTO, key, keylen, err);
}

void aead_sodium_free(struct esp_aead *a)
{
	if (!a)
		return;
	if (a->alg == ESP_ALG_AES_GCM_16 && a->impl == AEAD_IMPL_MBEDTLS)
		mbedtls_gcm_free(&a->u.gcm);	/* wipes and frees the key schedule */
	sodium_memzero(a, aead_size(a->alg, a->impl));
	free(a);
}

int esp_aead_seal(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, uint8_t tag[ESP_AEAD_ICV_LEN])
{
	unsigned long long tl;

	if (a->alg == ESP_ALG_CHACHA20_POLY1305)
		return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			data, tag, &tl, data, len, aad, aad_len, NULL, nonce, a->u.chacha_key);
	if (a->impl == AEAD_IMPL_SODIUM)
		return crypto_aead_aes256gcm_encrypt_detached_afternm(
			data, tag, &tl, data, len, aad, aad_len, NULL, nonce, sodium_gcm(a));
	return mbedtls_gcm_crypt_and_tag(&a->u.gcm, MBEDTLS_GCM_ENCRYPT, len,
					 nonce, ESP_AEAD_NONCE_LEN, aad, aad_len,
					 data, data, ESP_AEAD_ICV_LEN, tag);
}

int esp_aead_open(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, const uint8_t tag[ESP_AEAD_ICV_LEN])
{
	if (a->alg == ESP_ALG_CHACHA20_POLY1305)
		return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			data, NULL, data, len, tag, aad, aad_len, nonce, a->u.chacha_key);
	if (a->impl == AEAD_IMPL_SODIUM)
		return crypto_aead_aes256gcm_decrypt_detached_afternm(
			data, NULL, data, len, tag, aad, aad_len, nonce, sodium_gcm(a));
	/* Checks the tag in constant time; on a mismatch the output is wiped. */
	return mbedtls_gcm_auth_decrypt(&a->u.gcm, len, nonce, ESP_AEAD_NONCE_LEN,
					aad, aad_len, tag, ESP_AEAD_ICV_LEN, data, data);
}
