// SPDX-License-Identifier: MIT
#include "gso.h"

#include <string.h>

#include "kmod/core/bytes.h"
#include "kmod/core/esp.h"

enum {
	TCP_HDR_MIN = 20,
	TCP_FIN = 0x01,
	TCP_PSH = 0x08,
	TCP_CWR = 0x80,
};

int gso_csum(uint8_t *p, uint32_t len, uint32_t start, uint32_t off)
{
	uint16_t c;

	if (start > len || off > len - start || len - start - off < 2)
		return -1;
	/* The kernel left the pseudo-header sum in the field: summing from
	 * start over it completes the checksum (RFC 1071 arithmetic). */
	c = esp_csum_fold(esp_csum_add(0, p + start, len - start));
	put_be16(p + start + off, c);
	return 0;
}

static uint16_t tcp_csum(const uint8_t *ip, uint8_t family, const uint8_t *tcp, uint32_t tcplen)
{
	uint32_t sum;

	if (family == ESP_AF_INET)
		sum = esp_csum_add(0, ip + 12, 8);
	else
		sum = esp_csum_add(0, ip + 8, 32);
	sum += ESP_PROTO_TCP + tcplen;
	return esp_csum_fold(esp_csum_add(sum, tcp, tcplen));
}

int gso_segment(const struct virtio_net_hdr *h, const uint8_t *p, uint32_t len,
		uint8_t *const *slot, uint32_t slot_cap, uint32_t *seg_len, unsigned max_segs)
{
	uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN, family;
	uint32_t hl, thl, hdrs, payload, mss = h->gso_size, seq, off;
	uint16_t id = 0;
	unsigned n, i;

	if (len < 1 || mss == 0)
		return -1;
	if (type == VIRTIO_NET_HDR_GSO_TCPV4 && p[0] >> 4 == 4) {
		family = ESP_AF_INET;
		if (len < ESP_IPV4_HDR_LEN)
			return -1;
		hl = (uint32_t)(p[0] & 15) * 4;
		if (hl < ESP_IPV4_HDR_LEN || p[9] != ESP_PROTO_TCP)
			return -1;
		id = get_be16(p + 4);
	} else if (type == VIRTIO_NET_HDR_GSO_TCPV6 && p[0] >> 4 == 6) {
		family = ESP_AF_INET6;
		hl = ESP_IPV6_HDR_LEN;
		if (len < hl || p[6] != ESP_PROTO_TCP)	/* no extension headers from our own stack */
			return -1;
	} else {
		return -1;
	}
	if (len - hl < TCP_HDR_MIN)
		return -1;
	thl = (uint32_t)(p[hl + 12] >> 4) * 4;
	if (thl < TCP_HDR_MIN || thl > len - hl)
		return -1;
	hdrs = hl + thl;
	payload = len - hdrs;
	n = payload ? (payload + mss - 1) / mss : 1;
	if (n > max_segs || hdrs + mss > slot_cap)
		return -1;
	seq = get_be32(p + hl + 4);
	for (i = 0, off = 0; i < n; i++, off += mss) {
		uint32_t chunk = payload - off < mss ? payload - off : mss;
		uint8_t *s = slot[i], *t = s + hl;

		memcpy(s, p, hdrs);
		memcpy(s + hdrs, p + hdrs + off, chunk);
		if (family == ESP_AF_INET) {
			put_be16(s + 2, (uint16_t)(hdrs + chunk));
			put_be16(s + 4, (uint16_t)(id + i));
			put_be16(s + 10, 0);
			put_be16(s + 10, esp_csum_fold(esp_csum_add(0, s, hl)));
		} else {
			put_be16(s + 4, (uint16_t)(thl + chunk));
		}
		put_be32(t + 4, seq + off);
		if (i + 1 < n)
			t[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)
			t[13] &= (uint8_t)~TCP_CWR;
		put_be16(t + 16, 0);
		put_be16(t + 16, tcp_csum(s, family, t, thl + chunk));
		seg_len[i] = hdrs + chunk;
	}
	return (int)n;
}

enum {
	TCP_ACK = 0x10,
	GRO_HDRS_MAX = 40 + 60,
};

/* Header length of an eligible TCP segment, 0 when not eligible. */
static uint32_t gro_headers(const uint8_t *p, uint32_t len, uint8_t *family, uint32_t *hl)
{
	uint32_t thl;
	uint8_t flags;

	if (len < 1)
		return 0;
	if (p[0] == 0x45) {	/* IPv4 without options */
		if (len < 40 || p[9] != ESP_PROTO_TCP || (get_be16(p + 6) & 0x3fff) ||
		    get_be16(p + 2) != len)
			return 0;
		*family = ESP_AF_INET;
		*hl = ESP_IPV4_HDR_LEN;
	} else if (p[0] >> 4 == 6) {
		if (len < 60 || p[6] != ESP_PROTO_TCP || (uint32_t)get_be16(p + 4) + 40 != len)
			return 0;
		*family = ESP_AF_INET6;
		*hl = ESP_IPV6_HDR_LEN;
	} else {
		return 0;
	}
	thl = (uint32_t)(p[*hl + 12] >> 4) * 4;
	flags = p[*hl + 13];
	if (thl < TCP_HDR_MIN || *hl + thl >= len || (flags & ~TCP_PSH) != TCP_ACK)
		return 0;
	return *hl + thl;
}

static bool same_headers(const struct gro *g, const uint8_t *p)
{
	const uint8_t *q = g->buf + GSO_HDR_LEN, *a = q + g->hl, *b = p + g->hl;

	if (g->family == ESP_AF_INET) {
		if (memcmp(q, p, 2) || memcmp(q + 6, p + 6, 4) || memcmp(q + 12, p + 12, 8))
			return false;
	} else if (memcmp(q, p, 4) || memcmp(q + 6, p + 6, 34)) {
		return false;
	}
	/* ports, ACK number, header length, window, options; flags apart from PSH */
	return memcmp(a, b, 4) == 0 && memcmp(a + 8, b + 8, 5) == 0 &&
	       (a[13] & ~TCP_PSH) == (b[13] & ~TCP_PSH) && memcmp(a + 14, b + 14, 2) == 0 &&
	       memcmp(a + 20, b + 20, g->thl - TCP_HDR_MIN) == 0;
}

bool gro_add(struct gro *g, const uint8_t *p, uint32_t len)
{
	uint8_t family;
	uint32_t hl, hdrs = gro_headers(p, len, &family, &hl), payload;

	if (!hdrs)
		return false;
	payload = len - hdrs;
	if (g->open) {
		if (g->closed || family != g->family || hl != g->hl ||
		    hdrs != g->hl + g->thl || payload > g->mss ||
		    get_be32(p + hl + 4) != g->next_seq || g->len + payload > GRO_MAX ||
		    !same_headers(g, p))
			return false;
		memcpy(g->buf + GSO_HDR_LEN + g->len, p + hdrs, payload);
		g->len += payload;
		g->segs++;
		g->next_seq += payload;
		/* A short segment or a push ends the train, as in TCP GRO. */
		if (payload < g->mss || (p[hl + 13] & TCP_PSH)) {
			g->closed = true;
			g->buf[GSO_HDR_LEN + hl + 13] |= p[hl + 13] & TCP_PSH;
		}
		return true;
	}
	memcpy(g->buf + GSO_HDR_LEN, p, len);
	g->len = len;
	g->family = family;
	g->hl = hl;
	g->thl = hdrs - hl;
	g->mss = payload;
	g->next_seq = get_be32(p + hl + 4) + payload;
	g->segs = 1;
	g->open = true;
	g->closed = (p[hl + 13] & TCP_PSH) != 0;
	return true;
}

uint32_t gro_finish(struct gro *g)
{
	struct virtio_net_hdr h;
	uint8_t *p = g->buf + GSO_HDR_LEN;
	uint32_t total;

	if (!g->open)
		return 0;
	g->open = false;
	memset(&h, 0, sizeof(h));
	total = g->len;
	if (g->segs == 1) {
		/* Authenticated by the ICV end to end: the stack need not verify
		 * the inner checksum again (WireGuard does the same). */
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	} else {
		uint32_t tcplen = total - g->hl, sum;

		if (g->family == ESP_AF_INET) {
			put_be16(p + 2, (uint16_t)total);
			put_be16(p + 10, 0);
			put_be16(p + 10, esp_csum_fold(esp_csum_add(0, p, g->hl)));
			sum = esp_csum_add(0, p + 12, 8);
			h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		} else {
			put_be16(p + 4, (uint16_t)tcplen);
			sum = esp_csum_add(0, p + 8, 32);
			h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		}
		/* CHECKSUM_PARTIAL: the pseudo-header sum, not inverted, in
		 * the field; the stack (or the NIC, when forwarded) ends it. */
		sum += ESP_PROTO_TCP + tcplen;
		put_be16(p + g->hl + 16, (uint16_t)~esp_csum_fold(sum));
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.hdr_len = (uint16_t)(g->hl + g->thl);
		h.gso_size = (uint16_t)g->mss;
		h.csum_start = (uint16_t)g->hl;
		h.csum_offset = 16;
	}
	memcpy(g->buf, &h, sizeof(h));
	return GSO_HDR_LEN + total;
}
