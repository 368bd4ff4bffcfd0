// SPDX-License-Identifier: MIT
/*
 * Inbound ESP. Everything here comes from the network and may be hostile:
 * each length is checked before it is used, cheap checks (SPI, replay) come
 * before the expensive one (the ICV), and nothing inside the ciphertext is
 * trusted until the ICV has verified it.
 */
#include "bytes.h"
#include "internal.h"
#include "sad.h"

enum {
	AAD_MAX = 12,
	ESP_MIN_LEN = ESP_HDR_LEN + ESP_IV_LEN + ESP_TRAILER_MIN + ESP_ICV_LEN,
	IPV6_EXT_MAX = 8,
	TTL_DEFAULT = 64,
};

enum esp_drop esp_open(struct esp_sa *sa, struct esp_buf *b, uint8_t *next_header)
{
	uint8_t nonce[ESP_AEAD_NONCE_LEN], aad[AAD_MAX], *p = esp_buf_data(b), *plain;
	uint32_t clen, aad_len, pad, i;
	uint64_t seq;
	bool fresh;

	if (b->len < ESP_MIN_LEN)
		return ESP_DROP_MALFORMED;
	clen = b->len - ESP_HDR_LEN - ESP_IV_LEN - ESP_ICV_LEN;

	/* Replay check before the ICV: a flood of old packets must not cost a
	 * decryption each. The guess of the high half is confirmed by the ICV. */
	esp_lock(&sa->lock);
	seq = esp_replay_infer(&sa->replay, get_be32(p + 4));
	fresh = esp_replay_check(&sa->replay, seq);
	esp_unlock(&sa->lock);
	if (!fresh)
		return ESP_DROP_REPLAY;

	memcpy(nonce, sa->p.salt, ESP_AEAD_SALT_LEN);
	memcpy(nonce + ESP_AEAD_SALT_LEN, p + ESP_HDR_LEN, ESP_IV_LEN);
	memcpy(aad, p, 4);
	if (sa->p.esn) {
		put_be32(aad + 4, (uint32_t)(seq >> 32));
		memcpy(aad + 8, p + 4, 4);
		aad_len = 12;
	} else {
		memcpy(aad + 4, p + 4, 4);
		aad_len = 8;
	}
	plain = p + ESP_HDR_LEN + ESP_IV_LEN;
	if (esp_aead_open(sa->p.aead, nonce, aad, aad_len, plain, clen, plain + clen) != 0)
		return ESP_DROP_AUTH;

	/* Only now, authenticated, may the packet move the window. */
	esp_lock(&sa->lock);
	fresh = esp_replay_update(&sa->replay, seq);
	esp_unlock(&sa->lock);
	if (!fresh)
		return ESP_DROP_REPLAY;

	pad = plain[clen - 2];
	*next_header = plain[clen - 1];
	if (pad + ESP_TRAILER_MIN > clen)
		return ESP_DROP_PAD;
	for (i = 0; i < pad; i++)
		if (plain[clen - ESP_TRAILER_MIN - pad + i] != (uint8_t)(i + 1))
			return ESP_DROP_PAD;
	esp_buf_pull(b, ESP_HDR_LEN + ESP_IV_LEN);
	esp_buf_trim(b, clen - ESP_TRAILER_MIN - pad);
	return ESP_OK;
}

/* Tunnel mode: the payload must be one whole IP packet of the family the
 * next header names; what follows its own length is TFC padding. */
static enum esp_drop tunnel_inner(struct esp_buf *b, uint8_t nh)
{
	const uint8_t *p = esp_buf_data(b);
	uint32_t len;

	if (nh == ESP_PROTO_IPIP) {
		if (b->len < ESP_IPV4_HDR_LEN || p[0] >> 4 != 4)
			return ESP_DROP_INNER;
		len = get_be16(p + 2);
		if (len < (uint32_t)(p[0] & 0x0f) * 4 || (p[0] & 0x0f) < 5 || len > b->len)
			return ESP_DROP_INNER;
	} else if (nh == ESP_PROTO_IPV6) {
		if (b->len < ESP_IPV6_HDR_LEN || p[0] >> 4 != 6)
			return ESP_DROP_INNER;
		len = ESP_IPV6_HDR_LEN + get_be16(p + 4);
		if (len > b->len)
			return ESP_DROP_INNER;
	} else {
		return ESP_DROP_NEXT_HDR;
	}
	esp_buf_trim(b, len);
	return ESP_OK;
}

/* Transport mode: the IP header the sender took off is rebuilt from the
 * outer addresses (they are the inner ones in transport mode). */
static enum esp_drop transport_inner(struct esp_buf *b, uint8_t nh, const struct esp_rx_meta *m)
{
	if (nh == ESP_PROTO_IPIP || nh == ESP_PROTO_IPV6)
		return ESP_DROP_NEXT_HDR;
	return esp_push_ip(b, m->src.family, m->src.b, m->dst.b, nh, m->ttl ? m->ttl : TTL_DEFAULT, 0);
}

/* RFC 4301 §5.2: the decapsulated packet must be one the SA was made for. */
static enum esp_drop check_selectors(const struct esp_sa *sa, const struct esp_buf *b)
{
	struct esp_tuple t;
	unsigned i;
	bool src_ok = false, dst_ok = false;

	if (esp_tuple_parse(esp_buf_data(b), b->len, &t) != ESP_OK)
		return ESP_DROP_INNER;
	for (i = 0; i < sa->p.n_remote_ts && !src_ok; i++)
		src_ok = esp_sel_match(&sa->p.remote_ts[i], t.family, t.src, t.proto,
				       t.ports_known, t.sport);
	for (i = 0; i < sa->p.n_local_ts && !dst_ok; i++)
		dst_ok = esp_sel_match(&sa->p.local_ts[i], t.family, t.dst, t.proto,
				       t.ports_known, t.dport);
	return src_ok && dst_ok ? ESP_OK : ESP_DROP_SELECTOR;
}

static enum esp_verdict rx_drop(struct esp_rx *rx, struct esp_sa *sa, struct esp_stats *st,
				enum esp_drop why)
{
	rx->drop = esp_drop_count(sa, st, why);
	return ESP_RX_DROP;
}

enum esp_verdict esp_input_esp(const struct esp_sad *sad, struct esp_buf *b,
			       const struct esp_rx_meta *meta, struct esp_stats *st,
			       struct esp_rx *rx)
{
	const uint8_t *p = esp_buf_data(b);
	enum esp_drop why;
	struct esp_sa *sa;
	uint32_t spi;
	uint8_t nh;

	rx->sa = NULL;
	rx->drop = ESP_OK;
	rx->events = 0;
	if (b->len < ESP_MIN_LEN)
		return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
	spi = get_be32(p);
	if (spi < ESP_SPI_MIN)
		return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
	sa = esp_sad_lookup(sad, spi, &meta->dst);
	if (!sa)
		return rx_drop(rx, NULL, st, ESP_DROP_NO_SA);
	rx->sa = sa;
	/* An SA negotiated without NAT-T must not be reachable through UDP
	 * (and the reverse): that would let an attacker steer our replies. */
	if ((sa->p.encap_dport != 0) != meta->udp)
		return rx_drop(rx, sa, st, ESP_DROP_ENCAP_MISMATCH);
	if (esp_sa_hard_expired(sa, 0, &rx->events))
		return rx_drop(rx, sa, st, ESP_DROP_EXPIRED);

	why = esp_open(sa, b, &nh);
	if (why)
		return rx_drop(rx, sa, st, why);
	if (nh == ESP_PROTO_NONE)
		return rx_drop(rx, sa, st, ESP_DROP_DUMMY);
	if (sa->p.mode == ESP_MODE_TUNNEL)
		why = tunnel_inner(b, nh);
	else
		why = transport_inner(b, nh, meta);
	if (why)
		return rx_drop(rx, sa, st, why);
	why = check_selectors(sa, b);
	if (why)
		return rx_drop(rx, sa, st, why);
	esp_sa_account(sa, b->len, &rx->events);
	if (st)
		esp_count(&st->packets_in, 1);
	return ESP_RX_PACKET;
}

enum esp_verdict esp_input_udp(const struct esp_sad *sad, struct esp_buf *b,
			       const struct esp_rx_meta *meta, struct esp_stats *st,
			       struct esp_rx *rx)
{
	const uint8_t *p = esp_buf_data(b);

	rx->sa = NULL;
	rx->drop = ESP_OK;
	rx->events = 0;
	if (b->len == 1 && p[0] == ESP_NAT_KEEPALIVE) {
		if (st)
			esp_count(&st->keepalives, 1);
		return ESP_RX_KEEPALIVE;
	}
	if (b->len < ESP_NON_ESP_MARKER_LEN)
		return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
	if (get_be32(p) == 0) {
		esp_buf_pull(b, ESP_NON_ESP_MARKER_LEN);
		if (st)
			esp_count(&st->ike, 1);
		return ESP_RX_IKE;
	}
	return esp_input_esp(sad, b, meta, st, rx);
}

enum esp_verdict esp_input_ip(const struct esp_sad *sad, struct esp_buf *b,
			      uint16_t udp_port, struct esp_stats *st, struct esp_rx *rx)
{
	const uint8_t *p = esp_buf_data(b);
	struct esp_rx_meta m;
	uint32_t hl;
	uint8_t proto;

	rx->sa = NULL;
	rx->drop = ESP_OK;
	rx->events = 0;
	memset(&m, 0, sizeof(m));
	if (b->len < 1)
		return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
	if (p[0] >> 4 == 4) {
		uint32_t total;

		if (b->len < ESP_IPV4_HDR_LEN)
			return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
		hl = (uint32_t)(p[0] & 0x0f) * 4;
		total = get_be16(p + 2);
		if (hl < ESP_IPV4_HDR_LEN || total < hl || total > b->len)
			return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
		if (get_be16(p + 6) & 0x3fff)
			return rx_drop(rx, NULL, st, ESP_DROP_FRAGMENT);
		esp_buf_trim(b, total);	/* link-layer padding */
		m.src.family = m.dst.family = ESP_AF_INET;
		memcpy(m.src.b, p + 12, 4);
		memcpy(m.dst.b, p + 16, 4);
		m.ttl = p[8];
		proto = p[9];
	} else if (p[0] >> 4 == 6) {
		unsigned i;

		if (b->len < ESP_IPV6_HDR_LEN)
			return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
		if ((uint32_t)get_be16(p + 4) + ESP_IPV6_HDR_LEN > b->len)
			return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
		esp_buf_trim(b, (uint32_t)get_be16(p + 4) + ESP_IPV6_HDR_LEN);
		m.src.family = m.dst.family = ESP_AF_INET6;
		memcpy(m.src.b, p + 8, 16);
		memcpy(m.dst.b, p + 24, 16);
		m.ttl = p[7];
		proto = p[6];
		hl = ESP_IPV6_HDR_LEN;
		for (i = 0; i < IPV6_EXT_MAX; i++) {
			uint32_t el;

			if (proto == ESP_PROTO_FRAGMENT)
				return rx_drop(rx, NULL, st, ESP_DROP_FRAGMENT);
			if (proto != ESP_PROTO_HOPOPTS && proto != ESP_PROTO_ROUTING &&
			    proto != ESP_PROTO_DSTOPTS)
				break;
			if (b->len - hl < 8)
				return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
			el = ((uint32_t)p[hl + 1] + 1) * 8;
			if (el > b->len - hl)
				return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
			proto = p[hl];
			hl += el;
		}
		if (i == IPV6_EXT_MAX)
			return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
	} else {
		return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
	}
	esp_buf_pull(b, hl);
	p = esp_buf_data(b);
	if (proto == ESP_PROTO_ESP)
		return esp_input_esp(sad, b, &m, st, rx);
	if (proto != ESP_PROTO_UDP || b->len < ESP_UDP_HDR_LEN)
		return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
	{
		uint32_t ulen = get_be16(p + 4);

		if (ulen < ESP_UDP_HDR_LEN || ulen > b->len)
			return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
		m.sport = get_be16(p);
		m.dport = get_be16(p + 2);
		if (udp_port && m.dport != udp_port)
			return rx_drop(rx, NULL, st, ESP_DROP_MALFORMED);
		esp_buf_trim(b, ulen);
		esp_buf_pull(b, ESP_UDP_HDR_LEN);
	}
	m.udp = true;
	return esp_input_udp(sad, b, &m, st, rx);
}
