// SPDX-License-Identifier: MIT
/* IKE identities as written in local_id/remote_id (lib/ident.h). */
#include "ident.h"
#include "tap.h"

static void kind(const char *in, unsigned type, unsigned len)
{
	struct ident id;
	const char *err = ident_parse(in, &id);

	if (!ok(err == NULL && id.type == type && id.len == len, "'%s' is type %u, %u bytes", in, type, len))
		printf("#   got %s type %u len %u\n", err ? err : "ok", id.type, id.len);
}

static void bad(const char *in, const char *part)
{
	struct ident id;
	const char *err = ident_parse(in, &id);

	ok(err && strstr(err, part), "'%s' rejected: %s", in, err ? err : "(accepted)");
}

int main(void)
{
	struct ident id;
	char longname[300];

	kind("", IDENT_ANY, 0);
	kind("%any", IDENT_ANY, 0);
	kind("192.0.2.1", IDENT_IPV4_ADDR, 4);
	kind("2001:db8::1", IDENT_IPV6_ADDR, 16);
	kind("vpn.example.com", IDENT_FQDN, 15);
	kind("@vpn.example.com", IDENT_FQDN, 15);
	kind("user@example.com", IDENT_RFC822_ADDR, 16);
	kind("@#0a1b2c", IDENT_KEY_ID, 3);
	ok(!ident_parse("@vpn.example.com", &id) && memcmp(id.data, "vpn.example.com", 15) == 0,
	   "leading @ stripped from an FQDN");
	ok(!ident_parse("@#0a1B2c", &id) && id.data[0] == 0x0a && id.data[1] == 0x1b && id.data[2] == 0x2c,
	   "key ID decoded from hex (either case)");
	ok(!ident_parse("10.0.0.1", &id) && id.data[0] == 10 && id.data[3] == 1, "IPv4 bytes in network order");

	bad("@#abc", "even number");
	bad("@#zz", "hex");
	bad("@#", "even number");
	bad("@", "needs a name");
	bad("user@", "both sides");
	bad("a\tb", "control character");
	memset(longname, 'a', 256);
	longname[256] = '\0';
	bad(longname, "255 bytes");
	memset(longname, 'a', 255);
	longname[255] = '\0';
	kind(longname, IDENT_FQDN, 255);
	return tap_done();
}
