// SPDX-License-Identifier: MIT
/*
 * Outbound ESP: lifetimes and sequence numbers, padding, the seal, and the
 * outer headers for hosts that send on a raw path.
 */
#include "bytes.h"
#include "internal.h"

enum {
	AAD_MAX = 12,		/* SPI + ESN high half + low half */
	IPV4_DF = 0x4000,
	TTL_DEFAULT = 64,
};

/* Hard limits are checked before the packet is sent, soft ones after it is
 * counted; both for either direction (the receiver limits what it accepts). */
bool esp_sa_hard_expired(struct esp_sa *sa, uint32_t len, uint32_t *events)
{
	const struct esp_sa_conf *p = &sa->p;
	uint64_t pk = esp_atomic64_read(&sa->st.packets), by = esp_atomic64_read(&sa->st.bytes);

	if (esp_atomic32_read(&sa->events) & ESP_EV_HARD_EXPIRE)
		return true;
	if ((p->hard_packets && pk + 1 > p->hard_packets) ||
	    (p->hard_bytes && by + len > p->hard_bytes)) {
		*events |= esp_raise(sa, ESP_EV_HARD_EXPIRE | ESP_EV_SOFT_EXPIRE);
		return true;
	}
	return false;
}

void esp_sa_account(struct esp_sa *sa, uint32_t len, uint32_t *events)
{
	const struct esp_sa_conf *p = &sa->p;
	uint64_t pk = esp_atomic64_fetch_add(&sa->st.packets, 1) + 1;
	uint64_t by = esp_atomic64_fetch_add(&sa->st.bytes, len) + len;

	if ((p->soft_packets && pk >= p->soft_packets) || (p->soft_bytes && by >= p->soft_bytes))
		*events |= esp_raise(sa, ESP_EV_SOFT_EXPIRE);
}

enum esp_drop esp_seal(struct esp_sa *sa, struct esp_buf *b, uint8_t next_header,
		       uint32_t tfc_extra, uint64_t *seq_used)
{
	uint8_t nonce[ESP_AEAD_NONCE_LEN], aad[AAD_MAX], *p, *hdr;
	uint32_t plen = b->len, pad, clen, i, aad_len;
	uint64_t seq, max = sa->p.esn ? ~(uint64_t)0 : 0xffffffffu;

	pad = (ESP_PAD_ALIGN - (plen + tfc_extra + ESP_TRAILER_MIN) % ESP_PAD_ALIGN) % ESP_PAD_ALIGN;
	if (esp_buf_headroom(b) < ESP_HDR_LEN + ESP_IV_LEN ||
	    esp_buf_tailroom(b) < tfc_extra + pad + ESP_TRAILER_MIN + ESP_ICV_LEN)
		return ESP_DROP_NO_ROOM;

	/* The counter only grows; once past the space it stays past it, so
	 * no packet ever reuses a (key, nonce) pair, whatever the threads do. */
	seq = esp_atomic64_fetch_add(&sa->seq_out, 1) + 1;
	if (seq == 0 || seq > max)
		return ESP_DROP_SEQ_EXHAUSTED;
	*seq_used = seq;

	p = esp_buf_put(b, tfc_extra + pad + ESP_TRAILER_MIN);
	memset(p, 0, tfc_extra);
	p += tfc_extra;
	for (i = 0; i < pad; i++)
		p[i] = (uint8_t)(i + 1);	/* RFC 4303 §2.4: 1, 2, 3, … */
	p[pad] = (uint8_t)pad;
	p[pad + 1] = next_header;
	clen = b->len;

	hdr = esp_buf_push(b, ESP_HDR_LEN + ESP_IV_LEN);
	put_be32(hdr, sa->p.spi);
	put_be32(hdr + 4, (uint32_t)seq);
	put_be64(hdr + 8, seq);
	for (i = 0; i < ESP_IV_LEN; i++)
		hdr[8 + i] ^= sa->p.iv_mask[i];

	memcpy(nonce, sa->p.salt, ESP_AEAD_SALT_LEN);
	memcpy(nonce + ESP_AEAD_SALT_LEN, hdr + 8, ESP_IV_LEN);
	put_be32(aad, sa->p.spi);
	if (sa->p.esn) {
		put_be32(aad + 4, (uint32_t)(seq >> 32));
		put_be32(aad + 8, (uint32_t)seq);
		aad_len = 12;
	} else {
		put_be32(aad + 4, (uint32_t)seq);
		aad_len = 8;
	}
	p = esp_buf_put(b, ESP_ICV_LEN);
	if (esp_aead_seal(sa->p.aead, nonce, aad, aad_len, hdr + ESP_HDR_LEN + ESP_IV_LEN,
			  clen, p) != 0)
		return ESP_DROP_CRYPTO;
	return ESP_OK;
}

/* Transport mode: take the IP header off, keep its upper-layer protocol. */
static enum esp_drop strip_transport(struct esp_sa *sa, struct esp_buf *b, uint8_t *nh)
{
	const uint8_t *p = esp_buf_data(b);
	uint32_t hl;

	if (sa->p.src.family == ESP_AF_INET) {
		if (b->len < ESP_IPV4_HDR_LEN || p[0] >> 4 != 4)
			return ESP_DROP_INNER;
		hl = (uint32_t)(p[0] & 0x0f) * 4;
		if (hl < ESP_IPV4_HDR_LEN || hl > b->len || get_be16(p + 2) != b->len)
			return ESP_DROP_INNER;
		/* The fragment fields live in the header we drop: a fragment
		 * cannot be carried in transport mode. */
		if (get_be16(p + 6) & 0x3fff)
			return ESP_DROP_FRAGMENT;
		*nh = p[9];
	} else {
		if (b->len < ESP_IPV6_HDR_LEN || p[0] >> 4 != 6 ||
		    (uint32_t)get_be16(p + 4) + ESP_IPV6_HDR_LEN != b->len)
			return ESP_DROP_INNER;
		hl = ESP_IPV6_HDR_LEN;
		*nh = p[6];	/* extension headers travel inside ESP */
	}
	esp_buf_pull(b, hl);
	return ESP_OK;
}

static enum esp_drop output(struct esp_sa *sa, struct esp_buf *b, bool dummy, uint32_t dummy_len,
			    struct esp_stats *st, uint32_t *events)
{
	uint32_t inner_len = b->len, tfc = 0;
	enum esp_drop why;
	uint64_t seq;
	uint8_t nh;

	*events = 0;
	if (sa->p.dir != ESP_DIR_OUT)
		return esp_drop_count(sa, st, ESP_DROP_NO_SA);
	if (esp_sa_hard_expired(sa, inner_len, events))
		return esp_drop_count(sa, st, ESP_DROP_EXPIRED);
	if (dummy) {
		uint8_t *p = esp_buf_put(b, dummy_len);

		if (!p)
			return esp_drop_count(sa, st, ESP_DROP_NO_ROOM);
		memset(p, 0, dummy_len);
		nh = ESP_PROTO_NONE;
	} else if (sa->p.mode == ESP_MODE_TUNNEL) {
		const uint8_t *p = esp_buf_data(b);

		if (b->len < 1)
			return esp_drop_count(sa, st, ESP_DROP_INNER);
		if (p[0] >> 4 == 4)
			nh = ESP_PROTO_IPIP;
		else if (p[0] >> 4 == 6)
			nh = ESP_PROTO_IPV6;
		else
			return esp_drop_count(sa, st, ESP_DROP_INNER);
		/* TFC padding (RFC 4303 §2.7): the inner IP length tells the
		 * receiver where the packet ends, so zeros may follow it. */
		if (sa->p.tfc_pad > b->len) {
			uint32_t room = esp_buf_tailroom(b);
			uint32_t need = ESP_PAD_ALIGN - 1 + ESP_TRAILER_MIN + ESP_ICV_LEN;

			tfc = sa->p.tfc_pad - b->len;
			if (room < need)
				tfc = 0;
			else if (tfc > room - need)
				tfc = room - need;
		}
	} else {
		why = strip_transport(sa, b, &nh);
		if (why)
			return esp_drop_count(sa, st, why);
	}
	why = esp_seal(sa, b, nh, tfc, &seq);
	if (why == ESP_DROP_SEQ_EXHAUSTED)
		*events |= esp_raise(sa, ESP_EV_SEQ_EXHAUSTED | ESP_EV_HARD_EXPIRE | ESP_EV_SOFT_EXPIRE);
	if (why)
		return esp_drop_count(sa, st, why);
	esp_sa_account(sa, inner_len, events);
	if (st)
		esp_count(&st->packets_out, 1);
	return ESP_OK;
}

enum esp_drop esp_output(struct esp_sa *sa, struct esp_buf *b, struct esp_stats *st,
			 uint32_t *events)
{
	return output(sa, b, false, 0, st, events);
}

enum esp_drop esp_output_dummy(struct esp_sa *sa, struct esp_buf *b, uint32_t len,
			       struct esp_stats *st, uint32_t *events)
{
	return output(sa, b, true, len, st, events);
}

enum esp_drop esp_push_outer(const struct esp_sa *sa, struct esp_buf *b, uint8_t ttl)
{
	const struct esp_sa_conf *p = &sa->p;
	bool udp = p->encap_dport != 0;
	uint32_t plen = b->len + (udp ? ESP_UDP_HDR_LEN : 0);
	uint8_t *u = NULL, *h, proto = udp ? ESP_PROTO_UDP : ESP_PROTO_ESP;
	enum esp_drop why;

	if (!ttl)
		ttl = TTL_DEFAULT;
	if (udp) {
		u = esp_buf_push(b, ESP_UDP_HDR_LEN);
		if (!u || plen > 0xffff)
			return ESP_DROP_NO_ROOM;
		put_be16(u, p->encap_sport);
		put_be16(u + 2, p->encap_dport);
		put_be16(u + 4, (uint16_t)plen);
		put_be16(u + 6, 0);
	}
	why = esp_push_ip(b, p->src.family, p->src.b, p->dst.b, proto, ttl,
			  p->src.family == ESP_AF_INET ? IPV4_DF : 0);	/* atomic datagram: ID 0 (RFC 6864) */
	if (why || p->src.family == ESP_AF_INET)
		return why;
	h = esp_buf_data(b);
	if (udp) {
		/* IPv6 has no header checksum, so UDP's is mandatory. */
		uint32_t sum = esp_csum_add(0, h + 8, 32) + plen + ESP_PROTO_UDP;
		uint16_t c;

		sum = esp_csum_add(sum, u, plen);
		c = esp_csum_fold(sum);
		put_be16(u + 6, c ? c : 0xffff);
	}
	return ESP_OK;
}
