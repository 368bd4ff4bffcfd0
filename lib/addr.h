/* SPDX-License-Identifier: MIT */
/*
 * IP addresses, prefixes and traffic selectors as operators write them, in
 * strongSwan's swanctl.conf syntax, shared by the agent (validation) and
 * secgw-iked (negotiation). Parsers return NULL on success or a static
 * message fit to show next to the field that held the text.
 */
#ifndef SECGW_ADDR_H
#define SECGW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ip_family {
	IPF_NONE = 0,	/* %any: either family */
	IPF_V4 = 4,
	IPF_V6 = 6,
};

/* Network byte order; IPv4 uses b[0..3]. */
struct ip_addr {
	uint8_t family;		/* enum ip_family */
	uint8_t b[16];
};

enum {
	ADDR_STR_MAX = 46,	/* INET6_ADDRSTRLEN */
	TS_STR_MAX = 128,
};

static inline unsigned ip_family_len(unsigned family)
{
	return family == IPF_V4 ? 4 : family == IPF_V6 ? 16 : 0;
}

/* A literal IPv4 or IPv6 address. */
const char *addr_parse(const char *s, struct ip_addr *out);

/*
 * An endpoint as written in local_addrs/remote_addrs: an address, "%any"
 * (family IPF_NONE), "%any4"/"%any6" (family set, all-zero), or a CIDR prefix
 * (matches any peer inside it; *plen is its length, otherwise the full
 * address length, and 0 for the %any forms).
 */
const char *addr_parse_endpoint(const char *s, struct ip_addr *out, unsigned *plen);

/* "a.b.c.d/n" or "x::/n"; host bits below the prefix must be zero. */
const char *prefix_parse(const char *s, struct ip_addr *net, unsigned *plen);

/* Writes the canonical text (inet_ntop) and returns buf. */
char *addr_format(const struct ip_addr *a, char *buf, size_t len);

bool addr_equal(const struct ip_addr *a, const struct ip_addr *b);
bool addr_is_zero(const struct ip_addr *a);

/*
 * A traffic selector (RFC 7296 §3.13.1): an inclusive address range, an IP
 * protocol (0 = any) and an inclusive port range (0-65535 = any). For ICMP
 * and ICMPv6 the "port" is type << 8 | code, as in RFC 4301 §4.4.1.1.
 *
 * Text forms: "10.1.0.0/24", "10.1.0.5", "10.1.0.5-10.1.0.9", "dynamic"
 * (the tunnel's own address, filled in at negotiation), each optionally
 * followed by "[proto]", "[proto/port]" or "[proto/lo-hi]" where proto is a
 * name (tcp, udp, sctp, icmp, ipv6-icmp, gre, …), a number or %any, and the
 * port a number, a range, or %any.
 */
struct ts {
	uint8_t family;		/* enum ip_family; IPF_NONE only when dynamic */
	bool dynamic;
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint8_t lo[16], hi[16];
};

const char *ts_parse(const char *s, struct ts *out);
/* Canonical text: a prefix when the range is one, else a range; then the
 * protocol/port part when it is not "any". Returns buf. */
char *ts_format(const struct ts *t, char *buf, size_t len);
/* Is every address/port/protocol of `inner` also in `outer`? */
bool ts_contains(const struct ts *outer, const struct ts *inner);
/* The intersection of a and b (RFC 7296 §2.9 narrowing); false when empty. */
bool ts_intersect(const struct ts *a, const struct ts *b, struct ts *out);
/* Does the packet tuple fall in the selector? addr has the selector's length. */
bool ts_match(const struct ts *t, const uint8_t *addr, uint8_t proto, uint16_t port);

/* Protocol number by name ("tcp" -> 6), or -1. */
int ip_proto_by_name(const char *name);
/* Name of a protocol number, or NULL when there is none. */
const char *ip_proto_name(unsigned proto);

#endif
