// SPDX-License-Identifier: MIT
#include "aead_sodium.h"

#include <sodium.h>
#include <stdlib.h>

#include "kmod/core/aead.h"
#include "kmod/core/esp.h"

enum { AEAD_STATE_ALIGN = 64 };

struct esp_aead {
	/* First: libsodium's AES-GCM state wants 16-byte alignment. */
	crypto_aead_aes256gcm_state gcm;
	uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
	uint16_t alg;
};

static bool sodium_ready(void)
{
	return sodium_init() >= 0;
}

const char *aead_sodium_unavailable(uint16_t alg)
{
	if (!sodium_ready())
		return "libsodium failed to initialise";
	switch (alg) {
	case ESP_ALG_CHACHA20_POLY1305:
		return NULL;
	case ESP_ALG_AES_GCM_16:
		if (!crypto_aead_aes256gcm_is_available())
			return "AES-256-GCM is not available on this CPU "
			       "(libsodium needs AES-NI and PCLMUL): use chacha20poly1305";
		return NULL;
	}
	return "unsupported ESP algorithm";
}

struct esp_aead *aead_sodium_new(uint16_t alg, const uint8_t *key, size_t keylen,
				 const char **err)
{
	struct esp_aead *a;

	*err = aead_sodium_unavailable(alg);
	if (*err)
		return NULL;
	if (keylen != crypto_aead_chacha20poly1305_ietf_KEYBYTES) {
		*err = "key must be 32 bytes";
		return NULL;
	}
	if (posix_memalign((void **)&a, AEAD_STATE_ALIGN, sizeof(*a)) != 0) {
		*err = "out of memory";
		return NULL;
	}
	memset(a, 0, sizeof(*a));
	a->alg = alg;
	if (alg == ESP_ALG_AES_GCM_16)
		crypto_aead_aes256gcm_beforenm(&a->gcm, key);
	else
		memcpy(a->key, key, keylen);
	return a;
}

void aead_sodium_free(struct esp_aead *a)
{
	if (!a)
		return;
	sodium_memzero(a, sizeof(*a));
	free(a);
}

int esp_aead_seal(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, uint8_t tag[ESP_AEAD_ICV_LEN])
{
	unsigned long long tl;

	if (a->alg == ESP_ALG_AES_GCM_16)
		return crypto_aead_aes256gcm_encrypt_detached_afternm(
			data, tag, &tl, data, len, aad, aad_len, NULL, nonce, &a->gcm);
	return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
		data, tag, &tl, data, len, aad, aad_len, NULL, nonce, a->key);
}

int esp_aead_open(struct esp_aead *a, const uint8_t nonce[ESP_AEAD_NONCE_LEN],
		  const uint8_t *aad, uint32_t aad_len,
		  uint8_t *data, uint32_t len, const uint8_t tag[ESP_AEAD_ICV_LEN])
{
	if (a->alg == ESP_ALG_AES_GCM_16)
		return crypto_aead_aes256gcm_decrypt_detached_afternm(
			data, NULL, data, len, tag, aad, aad_len, nonce, &a->gcm);
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
		data, NULL, data, len, tag, aad, aad_len, nonce, a->key);
}
