// SPDX-License-Identifier: MIT
#include "ident.h"
#include "addr.h"
#include "hex.h"

#include <string.h>

const char *ident_parse(const char *s, struct ident *out)
{
	size_t n = strlen(s);
	struct ip_addr a;

	memset(out, 0, sizeof(*out));
	if (n == 0 || strcmp(s, "%any") == 0)
		return NULL;
	if (n > IDENT_MAX + 2)
		return "identity is longer than 255 bytes";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "identity contains a control character";
	if (!addr_parse(s, &a)) {
		out->type = a.family == IPF_V4 ? IDENT_IPV4_ADDR : IDENT_IPV6_ADDR;
		out->len = (uint16_t)ip_family_len(a.family);
		memcpy(out->data, a.b, out->len);
		return NULL;
	}
	if (s[0] == '@' && s[1] == '#') {
		size_t hn = n - 2;

		if (hn == 0 || hn % 2)
			return "a key ID (@#…) needs an even number of hex digits";
		if (hn / 2 > IDENT_MAX)
			return "identity is longer than 255 bytes";
		if (hex_decode(s + 2, hn, out->data, IDENT_MAX) < 0)
			return "a key ID (@#…) must be hex digits";
		out->type = IDENT_KEY_ID;
		out->len = (uint16_t)(hn / 2);
		return NULL;
	}
	if (s[0] == '@') {
		s++;
		n--;
		if (n == 0)
			return "an FQDN identity (@name) needs a name after @";
		out->type = IDENT_FQDN;
	} else if (strchr(s, '@')) {
		const char *at = strchr(s, '@');

		if (at == s || at[1] == '\0')
			return "an e-mail identity needs text on both sides of @";
		out->type = IDENT_RFC822_ADDR;
	} else {
		out->type = IDENT_FQDN;
	}
	if (n > IDENT_MAX)
		return "identity is longer than 255 bytes";
	memcpy(out->data, s, n);
	out->len = (uint16_t)n;
	return NULL;
}
