/* SPDX-License-Identifier: MIT */
/*
 * Secrets at rest: libsodium secretbox (XSalsa20-Poly1305) under a master key
 * kept in STATE/master.key (mode 0600, created at first start). A copy of the
 * database alone reveals no secret value; the key file is the thing to guard
 * (and to back up with the database).
 */
#ifndef SECGW_AGENT_VAULT_H
#define SECGW_AGENT_VAULT_H

#include <stddef.h>
#include <stdint.h>

enum {
	VAULT_KEY_BYTES = 32,
	VAULT_NONCE_BYTES = 24,
	VAULT_MAC_BYTES = 16,
	VAULT_VALUE_MAX = 512,
};

/* Load STATE/master.key, creating it (0600) when absent. The key is in
 * sodium_malloc'd, locked memory; vault_key_free wipes it. NULL on error. */
unsigned char *vault_key_load(const char *state_dir);
void vault_key_free(unsigned char *key);

/* box must hold len + VAULT_MAC_BYTES; nonce is generated. */
int vault_seal(const unsigned char *key, const uint8_t *value, size_t len,
	       uint8_t nonce[VAULT_NONCE_BYTES], uint8_t *box);
/* out must hold box_len - VAULT_MAC_BYTES; -1 when the box was tampered with. */
int vault_open(const unsigned char *key, const uint8_t *box, size_t box_len,
	       const uint8_t nonce[VAULT_NONCE_BYTES], uint8_t *out);

#endif
