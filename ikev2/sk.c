// SPDX-License-Identifier: MIT
#include "sk.h"

#include <sodium.h>

enum pld_err sk_seal(struct wbuf *w, const struct ike_keys *k, bool from_initiator)
{
	const uint8_t *key = from_initiator ? k->sk_ei : k->sk_er;
	uint8_t zero[IKE_AEAD_ICV_LEN] = { 0 };
	size_t iv_at, m_at, icv_at;
	enum pld_err e;

	if (!w->sk_at)
		return PLD_E_MISSING;
	/* AEAD needs no block alignment: no padding, a zero Pad Length. */
	wb_u8(w, 0);
	wb_bytes(w, zero, sizeof(zero));
	e = wb_finish(w);
	if (e)
		return e;
	wb_end(w, w->sk_at);
	iv_at = w->sk_at + IKE_PLD_HDR_LEN;
	m_at = iv_at + IKE_AEAD_IV_LEN;
	icv_at = w->len - IKE_AEAD_ICV_LEN;
	/* A counter would do, but a random IV leaks nothing and needs no state. */
	randombytes_buf(w->p + iv_at, IKE_AEAD_IV_LEN);
	if (ike_aead_seal(k->encr, key, w->p + iv_at, w->p, iv_at, w->p + m_at, icv_at - m_at,
			  w->p + icv_at) != 0)
		return PLD_E_ICV;
	return PLD_OK;
}

enum pld_err sk_open(struct ike_msg *m, uint8_t *buf, const struct ike_keys *k)
{
	const struct pld *sk;
	const uint8_t *key;
	uint8_t *iv, *c, *icv;
	size_t aad_len, c_len, pad;

	if (m->sk < 0)
		return PLD_E_MISSING;
	sk = &m->p[m->sk];
	key = (m->hdr.flags & HDR_F_INITIATOR) ? k->sk_ei : k->sk_er;
	/* IV, at least the Pad Length byte, and the ICV must be there. */
	if (sk->len < IKE_AEAD_IV_LEN + 1 + IKE_AEAD_ICV_LEN)
		return PLD_E_SYNTAX;
	iv = buf + (sk->body - m->buf);
	aad_len = (size_t)(iv - buf);
	c = iv + IKE_AEAD_IV_LEN;
	c_len = sk->len - IKE_AEAD_IV_LEN - IKE_AEAD_ICV_LEN;
	icv = c + c_len;
	if (ike_aead_open(k->encr, key, iv, buf, aad_len, c, c_len, icv) != 0)
		return PLD_E_ICV;
	pad = c[c_len - 1];
	/* An authenticated peer can still send nonsense padding. */
	if (pad + 1 > c_len)
		return PLD_E_SYNTAX;
	m->sk_opened = true;
	return pld_parse_inner(m, m->sk_first, c, c_len - 1 - pad);
}
