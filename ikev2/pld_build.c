// SPDX-License-Identifier: MIT
/*
 * Building IKEv2 messages into a caller's buffer. A write past the capacity
 * sets a flag instead of writing, so a whole message is composed without a
 * check per field and refused once, at wb_finish().
 */
#include "pld.h"

#include <string.h>

static bool room(struct wbuf *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return false;
	}
	return true;
}

void wb_init(struct wbuf *w, uint8_t *buf, size_t cap, const struct ike_hdr *h)
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->sk_at = 0;
	w->overflow = false;
	if (!room(w, IKE_HDR_LEN))
		return;
	put_be64(buf, h->spi_i);
	put_be64(buf + 8, h->spi_r);
	buf[16] = PLD_NONE;
	buf[17] = IKE_VERSION;
	buf[18] = h->exchange;
	buf[19] = h->flags;
	put_be32(buf + 20, h->msgid);
	put_be32(buf + 24, 0);
	w->len = IKE_HDR_LEN;
	w->next_at = 16;
}

void wb_u8(struct wbuf *w, uint8_t v)
{
	if (room(w, 1))
		w->p[w->len++] = v;
}

void wb_u16(struct wbuf *w, uint16_t v)
{
	if (room(w, 2)) {
		put_be16(w->p + w->len, v);
		w->len += 2;
	}
}

void wb_u32(struct wbuf *w, uint32_t v)
{
	if (room(w, 4)) {
		put_be32(w->p + w->len, v);
		w->len += 4;
	}
}

void wb_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (n && room(w, n)) {
		memcpy(w->p + w->len, p, n);
		w->len += n;
	}
}

size_t wb_begin(struct wbuf *w, uint8_t type, bool critical)
{
	size_t at = w->len;

	if (!room(w, IKE_PLD_HDR_LEN))
		return at;
	w->p[w->next_at] = type;
	w->p[at] = PLD_NONE;
	w->p[at + 1] = critical ? 0x80 : 0;
	put_be16(w->p + at + 2, 0);
	w->next_at = at;
	w->len += IKE_PLD_HDR_LEN;
	return at;
}

void wb_end(struct wbuf *w, size_t at)
{
	if (w->overflow)
		return;
	if (w->len - at > 0xffff) {
		w->overflow = true;
		return;
	}
	put_be16(w->p + at + 2, (uint16_t)(w->len - at));
}

void wb_begin_sk(struct wbuf *w, size_t iv_len)
{
	size_t at = wb_begin(w, PLD_SK, false);
	uint8_t zero[16] = { 0 };

	w->sk_at = at;
	/* The inner chain starts in the SK header's own Next Payload field. */
	w->next_at = at;
	wb_bytes(w, zero, iv_len);
}

enum pld_err wb_finish(struct wbuf *w)
{
	if (w->overflow || w->len > IKE_MSG_MAX)
		return PLD_E_NO_SPACE;
	put_be32(w->p + 24, (uint32_t)w->len);
	return PLD_OK;
}

void wb_notify(struct wbuf *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
	       uint16_t type, const void *data, size_t len)
{
	size_t at = wb_begin(w, PLD_NOTIFY, false);

	wb_u8(w, proto);
	wb_u8(w, spi_size);
	wb_u16(w, type);
	wb_bytes(w, spi, spi_size);
	wb_bytes(w, data, len);
	wb_end(w, at);
}

void wb_nonce(struct wbuf *w, const uint8_t *n, size_t len)
{
	size_t at = wb_begin(w, PLD_NONCE, false);

	wb_bytes(w, n, len);
	wb_end(w, at);
}

/* KE, ID and AUTH share one layout: a 1- or 2-byte type, reserved bytes
 * up to 4, then the data. */
static void typed(struct wbuf *w, uint8_t pld_type, uint16_t type, bool wide, const uint8_t *data,
		  size_t len)
{
	size_t at = wb_begin(w, pld_type, false);

	if (wide) {
		wb_u16(w, type);
	} else {
		wb_u8(w, (uint8_t)type);
		wb_u8(w, 0);
	}
	wb_u16(w, 0);
	wb_bytes(w, data, len);
	wb_end(w, at);
}

void wb_ke(struct wbuf *w, uint16_t group, const uint8_t *pub, size_t len)
{
	typed(w, PLD_KE, group, true, pub, len);
}

void wb_id(struct wbuf *w, uint8_t pld_type, uint8_t id_type, const uint8_t *data, size_t len)
{
	typed(w, pld_type, id_type, false, data, len);
}

void wb_auth(struct wbuf *w, uint8_t method, const uint8_t *data, size_t len)
{
	typed(w, PLD_AUTH, method, false, data, len);
}

void wb_ts(struct wbuf *w, uint8_t pld_type, const struct ts *ts, unsigned n)
{
	size_t at = wb_begin(w, pld_type, false);

	wb_u8(w, (uint8_t)n);
	wb_u8(w, 0);
	wb_u16(w, 0);
	for (unsigned i = 0; i < n; i++) {
		unsigned alen = ip_family_len(ts[i].family);

		wb_u8(w, alen == 4 ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE);
		wb_u8(w, ts[i].proto);
		wb_u16(w, (uint16_t)(8 + 2 * alen));
		wb_u16(w, ts[i].port_lo);
		wb_u16(w, ts[i].port_hi);
		wb_bytes(w, ts[i].lo, alen);
		wb_bytes(w, ts[i].hi, alen);
	}
	wb_end(w, at);
}

void wb_delete(struct wbuf *w, uint8_t proto, const uint8_t *spis, uint8_t spi_size, unsigned n)
{
	size_t at = wb_begin(w, PLD_DELETE, false);

	wb_u8(w, proto);
	wb_u8(w, spi_size);
	wb_u16(w, (uint16_t)n);
	wb_bytes(w, spis, (size_t)spi_size * n);
	wb_end(w, at);
}

void wb_sa(struct wbuf *w, const struct wb_prop *props, unsigned n)
{
	size_t at = wb_begin(w, PLD_SA, false);

	for (unsigned i = 0; i < n; i++) {
		const struct wb_prop *pr = &props[i];
		size_t pat = w->len;

		wb_u8(w, i + 1 == n ? 0 : 2);
		wb_u8(w, 0);
		wb_u16(w, 0);
		wb_u8(w, pr->num);
		wb_u8(w, pr->proto);
		wb_u8(w, pr->spi_size);
		wb_u8(w, (uint8_t)pr->n_tr);
		wb_bytes(w, pr->spi, pr->spi_size);
		for (unsigned t = 0; t < pr->n_tr; t++) {
			const struct pld_transform *tr = &pr->tr[t];

			wb_u8(w, t + 1 == pr->n_tr ? 0 : 3);
			wb_u8(w, 0);
			wb_u16(w, tr->keybits ? 12 : 8);
			wb_u8(w, tr->type);
			wb_u8(w, 0);
			wb_u16(w, tr->id);
			if (tr->keybits) {
				wb_u16(w, 0x8000 | ATTR_KEY_LENGTH);
				wb_u16(w, tr->keybits);
			}
		}
		if (!w->overflow)
			put_be16(w->p + pat + 2, (uint16_t)(w->len - pat));
	}
	wb_end(w, at);
}
