// SPDX-License-Identifier: MIT
/*
 * IP header inspection shared by both directions: the tuple the SPD and the
 * traffic selectors match on, and the Internet checksum. Every header length
 * read from the packet is checked against the bytes that are really there.
 */
#include "bytes.h"
#include "internal.h"

enum {
	IPV6_EXT_MAX = 8,	/* extension headers walked before giving up */
	IPV4_MF = 0x2000,
	IPV4_OFFSET_MASK = 0x1fff,
};

uint32_t esp_csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t esp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool proto_has_ports(uint8_t proto)
{
	switch (proto) {
	case ESP_PROTO_TCP:
	case ESP_PROTO_UDP:
	case ESP_PROTO_SCTP:
	case 33:	/* DCCP */
	case 136:	/* UDP-Lite */
		return true;
	}
	return false;
}

/* Ports (or ICMP type/code) of the upper-layer header at p[0..len). */
static enum esp_drop upper_ports(const uint8_t *p, uint32_t len, struct esp_tuple *t)
{
	t->sport = t->dport = 0;
	if (!t->ports_known)
		return ESP_OK;
	if (proto_has_ports(t->proto)) {
		if (len < 4)
			return ESP_DROP_INNER;
		t->sport = get_be16(p);
		t->dport = get_be16(p + 2);
	} else if (t->proto == ESP_PROTO_ICMP || t->proto == ESP_PROTO_ICMPV6) {
		if (len < 2)
			return ESP_DROP_INNER;
		t->sport = t->dport = get_be16(p);
	}
	return ESP_OK;
}

enum esp_drop esp_tuple_parse(const uint8_t *p, uint32_t len, struct esp_tuple *t)
{
	memset(t, 0, sizeof(*t));
	if (len < 1)
		return ESP_DROP_INNER;
	if (p[0] >> 4 == 4) {
		uint32_t ihl, total;
		uint16_t frag;

		if (len < ESP_IPV4_HDR_LEN)
			return ESP_DROP_INNER;
		ihl = (uint32_t)(p[0] & 0x0f) * 4;
		total = get_be16(p + 2);
		/* A header that claims more than was received, or less than
		 * its own minimum, is a forgery or a truncation. */
		if (ihl < ESP_IPV4_HDR_LEN || total < ihl || total > len)
			return ESP_DROP_INNER;
		frag = get_be16(p + 6);
		t->family = ESP_AF_INET;
		t->proto = p[9];
		memcpy(t->src, p + 12, 4);
		memcpy(t->dst, p + 16, 4);
		t->ports_known = (frag & IPV4_OFFSET_MASK) == 0;
		return upper_ports(p + ihl, total - ihl, t);
	}
	if (p[0] >> 4 == 6) {
		uint32_t off = ESP_IPV6_HDR_LEN, end;
		uint8_t nh;
		unsigned i;

		if (len < ESP_IPV6_HDR_LEN)
			return ESP_DROP_INNER;
		end = ESP_IPV6_HDR_LEN + get_be16(p + 4);
		if (end > len)
			return ESP_DROP_INNER;
		t->family = ESP_AF_INET6;
		memcpy(t->src, p + 8, 16);
		memcpy(t->dst, p + 24, 16);
		nh = p[6];
		t->ports_known = true;
		for (i = 0; i < IPV6_EXT_MAX; i++) {
			if (nh == ESP_PROTO_HOPOPTS || nh == ESP_PROTO_ROUTING ||
			    nh == ESP_PROTO_DSTOPTS) {
				uint32_t hl;

				if (end - off < 8)
					return ESP_DROP_INNER;
				hl = ((uint32_t)p[off + 1] + 1) * 8;
				if (hl > end - off)
					return ESP_DROP_INNER;
				nh = p[off];
				off += hl;
			} else if (nh == ESP_PROTO_FRAGMENT) {
				if (end - off < 8)
					return ESP_DROP_INNER;
				if (get_be16(p + off + 2) & 0xfff8)
					t->ports_known = false;
				nh = p[off];
				off += 8;
			} else {
				break;
			}
		}
		if (i == IPV6_EXT_MAX)
			return ESP_DROP_INNER;
		t->proto = nh;
		return upper_ports(p + off, end - off, t);
	}
	return ESP_DROP_INNER;
}

bool esp_sel_match(const struct esp_sel *s, uint8_t family, const uint8_t *addr,
		   uint8_t proto, bool ports_known, uint16_t port)
{
	unsigned n = esp_addr_len(family);

	if (s->family != family || n == 0)
		return false;
	if (s->proto && s->proto != proto)
		return false;
	if (!(s->port_lo == 0 && s->port_hi == 0xffff)) {
		/* A non-first fragment has no ports: only an any-port selector
		 * can be sure it matches (RFC 4301 §7). */
		if (!ports_known || port < s->port_lo || port > s->port_hi)
			return false;
	}
	return memcmp(s->lo, addr, n) <= 0 && memcmp(addr, s->hi, n) <= 0;
}

enum esp_drop esp_push_ip(struct esp_buf *b, uint8_t family, const uint8_t *src,
			  const uint8_t *dst, uint8_t proto, uint8_t ttl, uint16_t frag)
{
	uint32_t plen = b->len;
	uint8_t *h;

	if (family == ESP_AF_INET) {
		if (plen + ESP_IPV4_HDR_LEN > 0xffff || !(h = esp_buf_push(b, ESP_IPV4_HDR_LEN)))
			return ESP_DROP_NO_ROOM;
		h[0] = 0x45;
		h[1] = 0;
		put_be16(h + 2, (uint16_t)(plen + ESP_IPV4_HDR_LEN));
		put_be16(h + 4, 0);
		put_be16(h + 6, frag);
		h[8] = ttl;
		h[9] = proto;
		put_be16(h + 10, 0);
		memcpy(h + 12, src, 4);
		memcpy(h + 16, dst, 4);
		put_be16(h + 10, esp_csum_fold(esp_csum_add(0, h, ESP_IPV4_HDR_LEN)));
		return ESP_OK;
	}
	if (family != ESP_AF_INET6)
		return ESP_DROP_MALFORMED;
	if (plen > 0xffff || !(h = esp_buf_push(b, ESP_IPV6_HDR_LEN)))
		return ESP_DROP_NO_ROOM;
	put_be32(h, 0x60000000u);
	put_be16(h + 4, (uint16_t)plen);
	h[6] = proto;
	h[7] = ttl;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	return ESP_OK;
}
