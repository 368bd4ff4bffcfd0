// SPDX-License-Identifier: MIT
/*
 * IKEv2 cryptography over libsodium (and Mbed TLS for SHA-1 alone).
 * Everything here is a plain function over caller buffers; intermediates
 * that could reveal a key are wiped before returning.
 */
#include "crypto.h"

#include <string.h>

#include <mbedtls/sha1.h>
#include <sodium.h>

#include "pld.h"
#include "proposal.h"

bool ike_prf_supported(unsigned prf_id)
{
	return prf_id == PRF_HMAC_SHA2_256 || prf_id == PRF_HMAC_SHA2_512;
}

size_t ike_prf_len(unsigned prf_id)
{
	switch (prf_id) {
	case PRF_HMAC_SHA2_256: return crypto_auth_hmacsha256_BYTES;
	case PRF_HMAC_SHA2_512: return crypto_auth_hmacsha512_BYTES;
	}
	return 0;
}

bool ike_aead_supported(unsigned encr_id, unsigned keybits)
{
	switch (encr_id) {
	case ENCR_CHACHA20_POLY1305:
		return keybits == 0 || keybits == 256;
	case ENCR_AES_GCM_16:
		return keybits == 256 && crypto_aead_aes256gcm_is_available();
	}
	return false;
}

void ike_prf(unsigned prf_id, const uint8_t *key, size_t klen,
	     const struct ike_iov *parts, unsigned n, uint8_t *out)
{
	if (prf_id == PRF_HMAC_SHA2_512) {
		crypto_auth_hmacsha512_state st;

		crypto_auth_hmacsha512_init(&st, key, klen);
		for (unsigned i = 0; i < n; i++)
			crypto_auth_hmacsha512_update(&st, parts[i].p, parts[i].len);
		crypto_auth_hmacsha512_final(&st, out);
		sodium_memzero(&st, sizeof(st));
	} else {
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, key, klen);
		for (unsigned i = 0; i < n; i++)
			crypto_auth_hmacsha256_update(&st, parts[i].p, parts[i].len);
		crypto_auth_hmacsha256_final(&st, out);
		sodium_memzero(&st, sizeof(st));
	}
}

enum { PRFPLUS_MAX_PARTS = 6 };

int ike_prfplus(unsigned prf_id, const uint8_t *key, size_t klen,
		const struct ike_iov *seed, unsigned n, uint8_t *out, size_t outlen)
{
	size_t hlen = ike_prf_len(prf_id), done = 0;
	uint8_t t[IKE_PRF_MAX], counter = 1;
	struct ike_iov parts[PRFPLUS_MAX_PARTS + 2];

	if (hlen == 0 || n > PRFPLUS_MAX_PARTS || outlen > 255 * hlen)
		return -1;
	while (done < outlen) {
		unsigned k = 0;
		size_t take;

		/* T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
		if (counter > 1)
			parts[k++] = (struct ike_iov){ t, hlen };
		for (unsigned i = 0; i < n; i++)
			parts[k++] = seed[i];
		parts[k++] = (struct ike_iov){ &counter, 1 };
		ike_prf(prf_id, key, klen, parts, k, t);
		take = outlen - done < hlen ? outlen - done : hlen;
		memcpy(out + done, t, take);
		done += take;
		counter++;
	}
	sodium_memzero(t, sizeof(t));
	return 0;
}

void ike_dh_keypair(uint8_t priv[IKE_X25519_LEN], uint8_t pub[IKE_X25519_LEN])
{
	randombytes_buf(priv, IKE_X25519_LEN);
	crypto_scalarmult_base(pub, priv);
}

int ike_dh_shared(const uint8_t priv[IKE_X25519_LEN], const uint8_t *peer_pub,
		  size_t peer_len, uint8_t out[IKE_X25519_LEN])
{
	if (peer_len != IKE_X25519_LEN)
		return -1;
	/* libsodium refuses (returns -1) when the result is all zero: the peer
	 * sent a low-order point, which RFC 8031 §2 says to reject. */
	if (crypto_scalarmult(out, priv, peer_pub) != 0) {
		sodium_memzero(out, IKE_X25519_LEN);
		return -1;
	}
	return 0;
}

int ike_derive_keys(struct ike_keys *k, unsigned prf, unsigned encr, unsigned encr_bits,
		    const uint8_t *shared, size_t shared_len,
		    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		    uint64_t spi_i, uint64_t spi_r,
		    unsigned old_prf, const uint8_t *old_sk_d)
{
	uint8_t skeyseed[IKE_PRF_MAX], spis[16];
	uint8_t keymat[3 * IKE_PRF_MAX + 2 * IKE_SK_E_MAX];
	size_t plen = ike_prf_len(prf), elen;
	int rc;

	elen = proposal_encr_keylen(encr, encr_bits) + proposal_encr_saltlen(encr);
	if (!plen || !ike_aead_supported(encr, encr_bits) || elen > IKE_SK_E_MAX)
		return -1;
	memset(k, 0, sizeof(*k));
	k->prf = (uint16_t)prf;
	k->encr = (uint16_t)encr;
	k->encr_bits = (uint16_t)encr_bits;
	k->prf_len = (uint8_t)plen;
	k->e_len = (uint8_t)elen;
	if (old_sk_d) {
		struct ike_iov d[3] = { { shared, shared_len }, { ni, ni_len }, { nr, nr_len } };

		ike_prf(old_prf, old_sk_d, ike_prf_len(old_prf), d, 3, skeyseed);
	} else {
		/* For HMAC the key is simply Ni | Nr (§2.14). */
		uint8_t nn[2 * IKE_NONCE_MAX];
		struct ike_iov d = { shared, shared_len };

		memcpy(nn, ni, ni_len);
		memcpy(nn + ni_len, nr, nr_len);
		ike_prf(prf, nn, ni_len + nr_len, &d, 1, skeyseed);
		sodium_memzero(nn, sizeof(nn));
	}
	put_be64(spis, spi_i);
	put_be64(spis + 8, spi_r);
	{
		struct ike_iov s[3] = { { ni, ni_len }, { nr, nr_len }, { spis, 16 } };
		size_t total = 3 * plen + 2 * elen;

		rc = ike_prfplus(prf, skeyseed, plen, s, 3, keymat, total);
	}
	if (rc == 0) {
		const uint8_t *q = keymat;

		memcpy(k->sk_d, q, plen); q += plen;
		memcpy(k->sk_ei, q, elen); q += elen;
		memcpy(k->sk_er, q, elen); q += elen;
		memcpy(k->sk_pi, q, plen); q += plen;
		memcpy(k->sk_pr, q, plen);
	}
	sodium_memzero(skeyseed, sizeof(skeyseed));
	sodium_memzero(keymat, sizeof(keymat));
	return rc;
}

int ike_child_keymat(const struct ike_keys *k, const uint8_t *shared, size_t shared_len,
		     const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		     uint8_t *out, size_t outlen)
{
	struct ike_iov s[3];
	unsigned n = 0;

	if (shared)
		s[n++] = (struct ike_iov){ shared, shared_len };
	s[n++] = (struct ike_iov){ ni, ni_len };
	s[n++] = (struct ike_iov){ nr, nr_len };
	return ike_prfplus(k->prf, k->sk_d, k->prf_len, s, n, out, outlen);
}

static void nonce_of(const uint8_t *key_salt, unsigned keylen, const uint8_t *iv, uint8_t n[12])
{
	memcpy(n, key_salt + keylen, IKE_AEAD_SALT_LEN);
	memcpy(n + IKE_AEAD_SALT_LEN, iv, IKE_AEAD_IV_LEN);
}

int ike_aead_seal(unsigned encr_id, const uint8_t *key_salt, const uint8_t iv[IKE_AEAD_IV_LEN],
		  const uint8_t *aad, size_t aad_len, uint8_t *m, size_t m_len,
		  uint8_t icv[IKE_AEAD_ICV_LEN])
{
	uint8_t nonce[12];

	nonce_of(key_salt, 32, iv, nonce);
	if (encr_id == ENCR_CHACHA20_POLY1305)
		return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			m, icv, NULL, m, m_len, aad, aad_len, NULL, nonce, key_salt);
	if (encr_id == ENCR_AES_GCM_16 && crypto_aead_aes256gcm_is_available())
		return crypto_aead_aes256gcm_encrypt_detached(
			m, icv, NULL, m, m_len, aad, aad_len, NULL, nonce, key_salt);
	return -1;
}

int ike_aead_open(unsigned encr_id, const uint8_t *key_salt, const uint8_t iv[IKE_AEAD_IV_LEN],
		  const uint8_t *aad, size_t aad_len, uint8_t *c, size_t c_len,
		  const uint8_t icv[IKE_AEAD_ICV_LEN])
{
	uint8_t nonce[12];

	nonce_of(key_salt, 32, iv, nonce);
	if (encr_id == ENCR_CHACHA20_POLY1305)
		return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
			c, NULL, c, c_len, icv, aad, aad_len, nonce, key_salt);
	if (encr_id == ENCR_AES_GCM_16 && crypto_aead_aes256gcm_is_available())
		return crypto_aead_aes256gcm_decrypt_detached(
			c, NULL, c, c_len, icv, aad, aad_len, nonce, key_salt);
	return -1;
}

static const char key_pad[] = "Key Pad for IKEv2";

void ike_psk_auth(unsigned prf_id, const uint8_t *psk, size_t psk_len,
		  const uint8_t *message, size_t msg_len,
		  const uint8_t *nonce, size_t nonce_len,
		  const uint8_t *sk_p, size_t sk_p_len,
		  const uint8_t *id_body, size_t id_len, uint8_t *out)
{
	uint8_t inner[IKE_PRF_MAX], maced_id[IKE_PRF_MAX];
	size_t plen = ike_prf_len(prf_id);
	struct ike_iov pad = { key_pad, sizeof(key_pad) - 1 };
	struct ike_iov id = { id_body, id_len };
	struct ike_iov octets[3] = { { message, msg_len }, { nonce, nonce_len },
				     { maced_id, plen } };

	ike_prf(prf_id, sk_p, sk_p_len, &id, 1, maced_id);
	ike_prf(prf_id, psk, psk_len, &pad, 1, inner);
	ike_prf(prf_id, inner, plen, octets, 3, out);
	sodium_memzero(inner, sizeof(inner));
}

void ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct ip_addr *ip, uint16_t port,
		   uint8_t out[IKE_SHA1_LEN])
{
	uint8_t b[8 + 8 + 16 + 2];
	size_t alen = ip_family_len(ip->family);

	put_be64(b, spi_i);
	put_be64(b + 8, spi_r);
	memcpy(b + 16, ip->b, alen);
	put_be16(b + 16 + alen, port);
	mbedtls_sha1_ret(b, 16 + alen + 2, out);
}

int ike_memcmp_ct(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len);
}
