// SPDX-License-Identifier: MIT
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

enum { ADDR_TEXT_MAX = 64 };

static const struct {
	const char *name;
	uint8_t proto;
	bool ports;		/* may a selector name ports for it? */
} protos[] = {
	{ "icmp", 1, true },
	{ "igmp", 2, false },
	{ "ipip", 4, false },
	{ "tcp", 6, true },
	{ "udp", 17, true },
	{ "ipv6", 41, false },
	{ "gre", 47, false },
	{ "esp", 50, false },
	{ "ah", 51, false },
	{ "ipv6-icmp", 58, true },
	{ "icmp6", 58, true },
	{ "icmpv6", 58, true },
	{ "ospf", 89, false },
	{ "pim", 103, false },
	{ "vrrp", 112, false },
	{ "l2tp", 115, false },
	{ "sctp", 132, true },
	{ "udplite", 136, true },
	{ "dccp", 33, true },
};

int ip_proto_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcmp(protos[i].name, name) == 0)
			return protos[i].proto;
	return -1;
}

const char *ip_proto_name(unsigned proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

static bool proto_has_ports(unsigned proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].ports;
	return false;
}

static bool is_icmp(unsigned proto)
{
	return proto == 1 || proto == 58;
}

/* Strict unsigned decimal: digits only, no sign, no leading zeros, <= max. */
static bool parse_uint(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool looks_like_hostname(const char *s)
{
	if (strchr(s, ':'))
		return false;
	for (; *s; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
			return true;
	return false;
}

static const char *addr_parse_n(const char *s, size_t n, struct ip_addr *out)
{
	char buf[ADDR_TEXT_MAX];

	if (n == 0)
		return "an address is required";
	if (n >= sizeof(buf))
		return "not an IP address (too long)";
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->b) == 1) {
		out->family = IPF_V4;
		return NULL;
	}
	if (inet_pton(AF_INET6, buf, out->b) == 1) {
		out->family = IPF_V6;
		return NULL;
	}
	if (looks_like_hostname(buf))
		return "not an IP address (host names are not resolved: give an address)";
	return "not an IPv4 or IPv6 address";
}

const char *addr_parse(const char *s, struct ip_addr *out)
{
	return addr_parse_n(s, strlen(s), out);
}

static bool host_bits_zero(const uint8_t *b, unsigned len, unsigned plen)
{
	for (unsigned bit = plen; bit < len * 8; bit++)
		if (b[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static const char *prefix_parse_n(const char *s, size_t n, struct ip_addr *net, unsigned *plen)
{
	const char *slash = memchr(s, '/', n);
	const char *err;
	unsigned max, len;

	if (!slash)
		return "not a prefix (expected address/length, e.g. 10.1.0.0/24)";
	err = addr_parse_n(s, (size_t)(slash - s), net);
	if (err)
		return err;
	max = ip_family_len(net->family) * 8;
	if (!parse_uint(slash + 1, n - (size_t)(slash + 1 - s), max, &len))
		return net->family == IPF_V4 ? "prefix length must be 0 to 32"
					     : "prefix length must be 0 to 128";
	if (!host_bits_zero(net->b, max / 8, len))
		return "host bits are set below the prefix length (give the network address)";
	*plen = len;
	return NULL;
}

const char *prefix_parse(const char *s, struct ip_addr *net, unsigned *plen)
{
	return prefix_parse_n(s, strlen(s), net, plen);
}

const char *addr_parse_endpoint(const char *s, struct ip_addr *out, unsigned *plen)
{
	const char *err;

	memset(out, 0, sizeof(*out));
	*plen = 0;
	if (strcmp(s, "%any") == 0)
		return NULL;
	if (strcmp(s, "%any4") == 0) {
		out->family = IPF_V4;
		return NULL;
	}
	if (strcmp(s, "%any6") == 0) {
		out->family = IPF_V6;
		return NULL;
	}
	if (strchr(s, '/'))
		return prefix_parse(s, out, plen);
	err = addr_parse(s, out);
	if (!err)
		*plen = ip_family_len(out->family) * 8;
	return err;
}

char *addr_format(const struct ip_addr *a, char *buf, size_t len)
{
	if (a->family == IPF_NONE) {
		snprintf(buf, len, "%%any");
		return buf;
	}
	if (!inet_ntop(a->family == IPF_V4 ? AF_INET : AF_INET6, a->b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

bool addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, ip_family_len(a->family)) == 0;
}

bool addr_is_zero(const struct ip_addr *a)
{
	for (unsigned i = 0; i < ip_family_len(a->family); i++)
		if (a->b[i])
			return false;
	return true;
}

/* "proto", "proto/port", "proto/lo-hi" inside the brackets. */
static const char *ts_parse_proto(const char *s, size_t n, struct ts *t)
{
	const char *slash = memchr(s, '/', n);
	size_t pn = slash ? (size_t)(slash - s) : n;
	char name[16];
	unsigned v, lo, hi;

	t->proto = 0;
	t->port_lo = 0;
	t->port_hi = 0xffff;
	if (pn == 0)
		return "protocol missing inside [ ]";
	if (pn == 4 && memcmp(s, "%any", 4) == 0) {
		t->proto = 0;
	} else if (parse_uint(s, pn, 255, &v)) {
		t->proto = (uint8_t)v;
	} else {
		int p;

		if (pn >= sizeof(name))
			return "unknown protocol (use a name such as tcp, udp, icmp, or a number 0-255)";
		memcpy(name, s, pn);
		name[pn] = '\0';
		p = ip_proto_by_name(name);
		if (p < 0)
			return "unknown protocol (use a name such as tcp, udp, icmp, or a number 0-255)";
		t->proto = (uint8_t)p;
	}
	if (!slash)
		return NULL;

	s = slash + 1;
	n -= pn + 1;
	if (n == 4 && memcmp(s, "%any", 4) == 0)
		return NULL;
	if (t->proto == 0)
		return "a port needs a protocol (e.g. [tcp/443])";
	if (!proto_has_ports(t->proto))
		return "this protocol has no ports";
	{
		const char *dash = memchr(s, '-', n);
		unsigned max = is_icmp(t->proto) ? 255 : 65535;

		if (dash) {
			if (!parse_uint(s, (size_t)(dash - s), max, &lo) ||
			    !parse_uint(dash + 1, n - (size_t)(dash + 1 - s), max, &hi))
				return is_icmp(t->proto) ? "ICMP type must be 0 to 255"
							 : "port must be 0 to 65535";
			if (lo > hi)
				return "port range is reversed (low-high)";
		} else {
			if (!parse_uint(s, n, max, &lo))
				return is_icmp(t->proto) ? "ICMP type must be 0 to 255"
							 : "port must be 0 to 65535";
			hi = lo;
		}
	}
	if (is_icmp(t->proto)) {
		/* A type selects every code of it. */
		lo <<= 8;
		hi = hi << 8 | 0xff;
	}
	t->port_lo = (uint16_t)lo;
	t->port_hi = (uint16_t)hi;
	return NULL;
}

const char *ts_parse(const char *s, struct ts *t)
{
	size_t n = strlen(s), an;
	const char *br = memchr(s, '[', n);
	const char *err;
	struct ip_addr a, b;
	unsigned plen;

	memset(t, 0, sizeof(*t));
	t->port_hi = 0xffff;
	if (n == 0)
		return "a traffic selector is required";
	if (n >= TS_STR_MAX)
		return "traffic selector is too long";
	an = br ? (size_t)(br - s) : n;
	if (br) {
		if (s[n - 1] != ']')
			return "missing ] after protocol/port";
		err = ts_parse_proto(br + 1, n - an - 2, t);
		if (err)
			return err;
	}
	if (an == 7 && memcmp(s, "dynamic", 7) == 0) {
		t->dynamic = true;
		t->family = IPF_NONE;
		return NULL;
	}
	if (memchr(s, '/', an)) {
		err = prefix_parse_n(s, an, &a, &plen);
		if (err)
			return err;
		t->family = a.family;
		memcpy(t->lo, a.b, 16);
		memcpy(t->hi, a.b, 16);
		for (unsigned bit = plen; bit < ip_family_len(a.family) * 8; bit++)
			t->hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		return NULL;
	}
	{
		/* A range "a-b"; an IPv6 address has no '-', so the first one splits. */
		const char *dash = memchr(s, '-', an);

		if (dash) {
			err = addr_parse_n(s, (size_t)(dash - s), &a);
			if (!err)
				err = addr_parse_n(dash + 1, an - (size_t)(dash + 1 - s), &b);
			if (err)
				return err;
			if (a.family != b.family)
				return "range mixes IPv4 and IPv6";
			if (memcmp(a.b, b.b, ip_family_len(a.family)) > 0)
				return "address range is reversed (low-high)";
		} else {
			err = addr_parse_n(s, an, &a);
			if (err)
				return err;
			b = a;
		}
	}
	t->family = a.family;
	memcpy(t->lo, a.b, 16);
	memcpy(t->hi, b.b, 16);
	return NULL;
}

/* The prefix length when [lo, hi] is exactly one prefix, else -1. */
static int range_plen(const struct ts *t)
{
	unsigned len = ip_family_len(t->family), bit;

	for (bit = 0; bit < len * 8; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((t->lo[bit / 8] & m) != (t->hi[bit / 8] & m))
			break;
	}
	for (unsigned k = bit; k < len * 8; k++) {
		uint8_t m = (uint8_t)(0x80 >> (k % 8));

		if ((t->lo[k / 8] & m) || !(t->hi[k / 8] & m))
			return -1;
	}
	return (int)bit;
}

char *ts_format(const struct ts *t, char *buf, size_t len)
{
	char a[ADDR_STR_MAX], b[ADDR_STR_MAX], pr[40] = "";
	struct ip_addr x = { .family = t->family }, y = { .family = t->family };
	int plen;

	if (t->proto || t->port_lo != 0 || t->port_hi != 0xffff) {
		const char *name = ip_proto_name(t->proto);
		char pn[8];
		unsigned lo = t->port_lo, hi = t->port_hi;

		if (t->proto == 0)
			snprintf(pn, sizeof(pn), "%%any");
		else if (!name)
			snprintf(pn, sizeof(pn), "%u", t->proto);
		if (is_icmp(t->proto) && (lo & 0xff) == 0 && (hi & 0xff) == 0xff) {
			lo >>= 8;
			hi >>= 8;
		}
		if (t->port_lo == 0 && t->port_hi == 0xffff)
			snprintf(pr, sizeof(pr), "[%s]", name ? name : pn);
		else if (lo == hi)
			snprintf(pr, sizeof(pr), "[%s/%u]", name ? name : pn, lo);
		else
			snprintf(pr, sizeof(pr), "[%s/%u-%u]", name ? name : pn, lo, hi);
	}
	if (t->dynamic) {
		snprintf(buf, len, "dynamic%s", pr);
		return buf;
	}
	memcpy(x.b, t->lo, 16);
	memcpy(y.b, t->hi, 16);
	addr_format(&x, a, sizeof(a));
	plen = range_plen(t);
	if (plen == (int)ip_family_len(t->family) * 8)
		snprintf(buf, len, "%s%s", a, pr);
	else if (plen >= 0)
		snprintf(buf, len, "%s/%d%s", a, plen, pr);
	else
		snprintf(buf, len, "%s-%s%s", a, addr_format(&y, b, sizeof(b)), pr);
	return buf;
}

bool ts_contains(const struct ts *o, const struct ts *i)
{
	unsigned len = ip_family_len(o->family);

	if (o->dynamic || i->dynamic)
		return o->dynamic && i->dynamic;
	if (o->family != i->family)
		return false;
	if (o->proto && o->proto != i->proto)
		return false;
	if (i->port_lo < o->port_lo || i->port_hi > o->port_hi)
		return false;
	return memcmp(o->lo, i->lo, len) <= 0 && memcmp(i->hi, o->hi, len) <= 0;
}

bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out)
{
	unsigned len = ip_family_len(a->family);
	struct ts r;

	if (a->dynamic || b->dynamic || a->family != b->family)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(&r, 0, sizeof(r));
	r.family = a->family;
	r.proto = a->proto ? a->proto : b->proto;
	r.port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	r.port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	if (r.port_lo > r.port_hi)
		return false;
	memcpy(r.lo, memcmp(a->lo, b->lo, len) > 0 ? a->lo : b->lo, len);
	memcpy(r.hi, memcmp(a->hi, b->hi, len) < 0 ? a->hi : b->hi, len);
	if (memcmp(r.lo, r.hi, len) > 0)
		return false;
	*out = r;
	return true;
}

bool ts_match(const struct ts *t, const uint8_t *addr, uint8_t proto, uint16_t port)
{
	unsigned len = ip_family_len(t->family);

	if (t->proto && t->proto != proto)
		return false;
	if (port < t->port_lo || port > t->port_hi)
		return false;
	return memcmp(t->lo, addr, len) <= 0 && memcmp(addr, t->hi, len) <= 0;
}
