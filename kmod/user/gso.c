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
