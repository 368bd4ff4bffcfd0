// SPDX-License-Identifier: MIT
/* Addresses, prefixes and traffic selectors as operators write them. */
#include "addr.h"
#include "tap.h"

static void accepts(const char *in, const char *canon)
{
	struct ts t;
	char buf[TS_STR_MAX];
	const char *err = ts_parse(in, &t);

	if (!ok(err == NULL, "ts '%s' accepted", in)) {
		printf("#   error: %s\n", err);
		return;
	}
	is_str(ts_format(&t, buf, sizeof(buf)), canon, "ts '%s' formats as '%s'", in, canon);
}

static void rejects(const char *in, const char *why_part)
{
	struct ts t;
	const char *err = ts_parse(in, &t);

	ok(err && strstr(err, why_part), "ts '%s' rejected: %s", in, err ? err : "(accepted)");
}

int main(void)
{
	struct ip_addr a;
	unsigned plen;

	ok(!addr_parse("192.0.2.1", &a) && a.family == IPF_V4, "IPv4 literal");
	ok(!addr_parse("2001:db8::1", &a) && a.family == IPF_V6, "IPv6 literal");
	ok(addr_parse("192.0.2.256", &a) != NULL, "IPv4 octet > 255 rejected");
	ok(addr_parse("010.0.0.1", &a) != NULL, "IPv4 leading zero rejected");
	ok(addr_parse("fe80::1%eth0", &a) != NULL, "IPv6 zone rejected");
	ok(strstr(addr_parse("vpn.example.com", &a), "host names") != NULL, "host name gets its own message");
	ok(addr_parse("", &a) != NULL, "empty rejected");

	ok(!addr_parse_endpoint("%any", &a, &plen) && a.family == IPF_NONE && plen == 0, "%%any");
	ok(!addr_parse_endpoint("%any6", &a, &plen) && a.family == IPF_V6, "%%any6");
	ok(!addr_parse_endpoint("198.51.100.0/24", &a, &plen) && plen == 24, "endpoint prefix");
	ok(!addr_parse_endpoint("198.51.100.7", &a, &plen) && plen == 32, "endpoint address is /32");

	ok(!prefix_parse("10.0.0.0/8", &a, &plen) && plen == 8, "prefix /8");
	ok(!prefix_parse("::/0", &a, &plen) && plen == 0 && a.family == IPF_V6, "::/0");
	ok(strstr(prefix_parse("10.1.0.1/24", &a, &plen), "host bits") != NULL, "host bits set rejected");
	ok(prefix_parse("10.0.0.0/33", &a, &plen) != NULL, "/33 rejected");
	ok(prefix_parse("10.0.0.0/", &a, &plen) != NULL, "empty length rejected");
	ok(prefix_parse("10.0.0.0/08", &a, &plen) != NULL, "leading zero length rejected");
	ok(prefix_parse("2001:db8::/129", &a, &plen) != NULL, "/129 rejected");

	accepts("10.1.0.0/24", "10.1.0.0/24");
	accepts("10.1.0.5", "10.1.0.5");
	accepts("10.1.0.0-10.1.0.255", "10.1.0.0/24");
	accepts("10.1.0.5-10.1.0.9", "10.1.0.5-10.1.0.9");
	accepts("0.0.0.0/0", "0.0.0.0/0");
	accepts("2001:db8:1::/48", "2001:db8:1::/48");
	accepts("10.1.0.0/24[tcp/443]", "10.1.0.0/24[tcp/443]");
	accepts("10.1.0.0/24[udp/1000-2000]", "10.1.0.0/24[udp/1000-2000]");
	accepts("10.1.0.0/24[tcp/%any]", "10.1.0.0/24[tcp]");
	accepts("10.1.0.0/24[tcp]", "10.1.0.0/24[tcp]");
	accepts("10.1.0.0/24[17]", "10.1.0.0/24[udp]");
	accepts("10.1.0.0/24[253]", "10.1.0.0/24[253]");
	accepts("10.1.0.0/24[icmp/8]", "10.1.0.0/24[icmp/8]");
	accepts("dynamic", "dynamic");
	accepts("dynamic[udp/500]", "dynamic[udp/500]");
	accepts("::/0[ipv6-icmp]", "::/0[ipv6-icmp]");

	rejects("10.1.0.0/24[tcp/70000]", "port");
	rejects("10.1.0.0/24[tcp/2000-1000]", "reversed");
	rejects("10.1.0.0/24[%any/53]", "needs a protocol");
	rejects("10.1.0.0/24[gre/1]", "no ports");
	rejects("10.1.0.0/24[bogus]", "unknown protocol");
	rejects("10.1.0.0/24[tcp", "missing ]");
	rejects("10.1.0.9-10.1.0.1", "reversed");
	rejects("10.1.0.1-2001:db8::1", "mixes");
	rejects("10.1.0.1/24", "host bits");
	rejects("", "required");
	rejects("lan.example", "host names");

	{
		struct ts x, y, r;
		char buf[TS_STR_MAX];

		ts_parse("10.0.0.0/8", &x);
		ts_parse("10.1.0.0/16[tcp/80]", &y);
		ok(ts_contains(&x, &y), "10/8 contains 10.1/16[tcp/80]");
		ok(!ts_contains(&y, &x), "10.1/16[tcp/80] does not contain 10/8");
		ok(ts_intersect(&x, &y, &r), "intersection exists");
		is_str(ts_format(&r, buf, sizeof(buf)), "10.1.0.0/16[tcp/80]", "intersection narrows");
		ts_parse("192.168.0.0/16", &y);
		ok(!ts_intersect(&x, &y, &r), "disjoint ranges do not intersect");
		ts_parse("2001:db8::/32", &y);
		ok(!ts_intersect(&x, &y, &r), "families do not intersect");
		{
			uint8_t in[4] = { 10, 9, 8, 7 }, out[4] = { 11, 0, 0, 1 };

			ok(ts_match(&x, in, 6, 80), "10.9.8.7 matches 10/8");
			ok(!ts_match(&x, out, 6, 80), "11.0.0.1 does not match 10/8");
		}
	}
	return tap_done();
}
