/* SPDX-License-Identifier: MIT */
/*
 * IKEv2 cryptography: X25519 (DH group 31, RFC 8031), the PRFs
 * HMAC-SHA2-256/512, prf+ and the key derivations of RFC 7296 §2.13-2.18,
 * the AEAD ciphers of the SK payload (ChaCha20-Poly1305 RFC 7634, AES-256-GCM
 * with a 16-byte ICV RFC 5282), the PSK AUTH value (§2.15) and the NAT
 * detection hashes (SHA-1, §2.23). libsodium does all of it but SHA-1, which
 * comes from Mbed TLS. Callers wipe what they keep with sodium_memzero;
 * functions here wipe their own intermediates.
 */
#ifndef SECGW_IKEV2_CRYPTO_H
#define SECGW_IKEV2_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum {
	IKE_PRF_MAX = 64,		/* HMAC-SHA2-512 output */
	IKE_X25519_LEN = 32,
	IKE_AEAD_KEY_MAX = 32,
	IKE_AEAD_SALT_LEN = 4,
	IKE_SK_E_MAX = IKE_AEAD_KEY_MAX + IKE_AEAD_SALT_LEN,
	IKE_AEAD_IV_LEN = 8,		/* explicit IV in SK and ESP (RFC 5282, 7634) */
	IKE_AEAD_ICV_LEN = 16,
	IKE_SHA1_LEN = 20,
	IKE_PRFPLUS_MAX = 255 * 32,	/* prf+ stops after 255 blocks (§2.13) */
};

/* Is this PRF / AEAD supported here (AES-GCM needs the CPU's AES support)? */
bool ike_prf_supported(unsigned prf_id);
bool ike_aead_supported(unsigned encr_id, unsigned keybits);
size_t ike_prf_len(unsigned prf_id);

/* prf(key, data…): the data is the concatenation of n parts. */
struct ike_iov {
	const void *p;
	size_t len;
};
void ike_prf(unsigned prf_id, const uint8_t *key, size_t klen,
	     const struct ike_iov *parts, unsigned n, uint8_t *out);

/* prf+(key, seed) (§2.13) into out[0..outlen); returns -1 when outlen is
 * more than 255 blocks. */
int ike_prfplus(unsigned prf_id, const uint8_t *key, size_t klen,
		const struct ike_iov *seed, unsigned n, uint8_t *out, size_t outlen);

/* X25519 (RFC 7748) for group 31. */
void ike_dh_keypair(uint8_t priv[IKE_X25519_LEN], uint8_t pub[IKE_X25519_LEN]);
/* Returns -1 when the peer's value has the wrong length or the shared
 * secret is all zero (RFC 8031 §2: a low-order point). */
int ike_dh_shared(const uint8_t priv[IKE_X25519_LEN], const uint8_t *peer_pub,
		  size_t peer_len, uint8_t out[IKE_X25519_LEN]);

/* The keys of an IKE SA (§2.14). AEAD suites have no SK_a. */
struct ike_keys {
	uint16_t prf, encr, encr_bits;
	uint8_t prf_len, e_len;
	uint8_t sk_d[IKE_PRF_MAX];
	uint8_t sk_ei[IKE_SK_E_MAX], sk_er[IKE_SK_E_MAX];
	uint8_t sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
};

/*
 * SKEYSEED and the SK_* keys. For the first IKE SA, old_sk_d is NULL and
 * SKEYSEED = prf(Ni | Nr, g^ir); for a rekey (§2.18) SKEYSEED =
 * prf(SK_d(old), g^ir | Ni | Nr) with the old SA's PRF (old_prf).
 * Returns -1 on an unsupported suite.
 */
int ike_derive_keys(struct ike_keys *k, unsigned prf, unsigned encr, unsigned encr_bits,
		    const uint8_t *shared, size_t shared_len,
		    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		    uint64_t spi_i, uint64_t spi_r,
		    unsigned old_prf, const uint8_t *old_sk_d);

/*
 * CHILD SA key material (§2.17): prf+(SK_d, [g^ir (new)] | Ni | Nr),
 * taken as the initiator→responder key first, then responder→initiator.
 * `shared` is NULL without PFS.
 */
int ike_child_keymat(const struct ike_keys *k, const uint8_t *shared, size_t shared_len,
		     const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		     uint8_t *out, size_t outlen);

/*
 * AEAD over the SK payload or anything else: key is the encryption key
 * followed by the 4-byte salt; nonce = salt | iv. Seal encrypts m in place
 * and writes the ICV; open verifies the ICV and decrypts in place (nothing
 * is decrypted when the ICV is wrong). Both return 0 or -1.
 */
int ike_aead_seal(unsigned encr_id, const uint8_t *key_salt, const uint8_t iv[IKE_AEAD_IV_LEN],
		  const uint8_t *aad, size_t aad_len, uint8_t *m, size_t m_len,
		  uint8_t icv[IKE_AEAD_ICV_LEN]);
int ike_aead_open(unsigned encr_id, const uint8_t *key_salt, const uint8_t iv[IKE_AEAD_IV_LEN],
		  const uint8_t *aad, size_t aad_len, uint8_t *c, size_t c_len,
		  const uint8_t icv[IKE_AEAD_ICV_LEN]);

/*
 * The PSK AUTH value (§2.15):
 *   prf(prf(psk, "Key Pad for IKEv2"), message | nonce | prf(SK_p, ID body))
 * `message` is the IKE_SA_INIT message the signer sent, `nonce` the other
 * side's nonce, `id_body` the signer's ID payload body (type, 3 reserved
 * bytes, data), sk_p the signer's SK_pi or SK_pr.
 */
void ike_psk_auth(unsigned prf_id, const uint8_t *psk, size_t psk_len,
		  const uint8_t *message, size_t msg_len,
		  const uint8_t *nonce, size_t nonce_len,
		  const uint8_t *sk_p, size_t sk_p_len,
		  const uint8_t *id_body, size_t id_len, uint8_t *out);

/* NAT detection hash (§2.23): SHA-1(SPIi | SPIr | IP | port). */
void ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct ip_addr *ip, uint16_t port,
		   uint8_t out[IKE_SHA1_LEN]);

/* Constant-time compare; 0 when equal. */
int ike_memcmp_ct(const void *a, const void *b, size_t len);

#endif
