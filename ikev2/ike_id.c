// SPDX-License-Identifier: MIT
/*
 * IKE identities as docs/config.md writes them, and which connection an
 * address pair or an identity belongs to.
 */
#include "ike_int.h"

#include "ident.h"

#include <stdio.h>
#include <string.h>

const char *ike_id_parse(const char *s, struct ike_id *out)
{
	struct ident id;
	const char *err;

	/* The syntax is lib/ident.c's, shared with the agent; only the
	 * difference between "" (our address) and %any is ours. */
	memset(out, 0, sizeof(*out));
	if ((err = ident_parse(s, &id)))
		return err;
	if (id.type == IDENT_ANY) {
		out->any = s[0] != '\0';
		return NULL;
	}
	out->type = id.type;
	out->len = (uint8_t)id.len;
	memcpy(out->data, id.data, id.len);
	return NULL;
}

char *ike_id_format(const struct ike_id *id, char *buf, size_t len)
{
	struct ip_addr a;

	if (id->any) {
		snprintf(buf, len, "%%any");
		return buf;
	}
	switch (id->type) {
	case ID_IPV4_ADDR:
	case ID_IPV6_ADDR:
		memset(&a, 0, sizeof(a));
		a.family = id->type == ID_IPV4_ADDR ? IPF_V4 : IPF_V6;
		if (id->len == ip_family_len(a.family)) {
			memcpy(a.b, id->data, id->len);
			return addr_format(&a, buf, len);
		}
		break;
	case ID_FQDN:
	case ID_RFC822_ADDR: {
		/* Printable only: the peer chose these bytes. */
		size_t j = 0;

		for (unsigned i = 0; i < id->len && j + 5 < len; i++) {
			uint8_t c = id->data[i];

			if (c >= 0x20 && c < 0x7f && c != '\\')
				buf[j++] = (char)c;
			else
				j += (size_t)snprintf(buf + j, len - j, "\\x%02x", c);
		}
		if (len)
			buf[j < len ? j : len - 1] = '\0';
		return buf;
	}
	case 0:
		snprintf(buf, len, "%s", "");
		return buf;
	}
	{
		size_t j = (size_t)snprintf(buf, len, "%s", id->type == ID_KEY_ID ? "@#" : "?#");

		for (unsigned i = 0; i < id->len && j + 3 < len; i++)
			j += (size_t)snprintf(buf + j, len - j, "%02x", id->data[i]);
	}
	return buf;
}

bool ike_id_equal(const struct ike_id *a, const struct ike_id *b)
{
	return a->any == b->any && a->type == b->type && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

bool ike_id_matches(const struct ike_id *want, const struct ike_id *got)
{
	if (want->any || (want->type == 0 && want->len == 0))
		return true;
	if (want->type != got->type || want->len != got->len)
		return false;
	/* FQDNs compare without regard to case (DNS names). */
	if (want->type == ID_FQDN) {
		for (unsigned i = 0; i < want->len; i++) {
			uint8_t x = want->data[i], y = got->data[i];

			if (x >= 'A' && x <= 'Z')
				x = (uint8_t)(x + 32);
			if (y >= 'A' && y <= 'Z')
				y = (uint8_t)(y + 32);
			if (x != y)
				return false;
		}
		return true;
	}
	return memcmp(want->data, got->data, want->len) == 0;
}

void ike_id_of_addr(const struct ip_addr *a, struct ike_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = a->family == IPF_V6 ? ID_IPV6_ADDR : ID_IPV4_ADDR;
	out->len = (uint8_t)ip_family_len(a->family);
	memcpy(out->data, a->b, out->len);
}

static bool addr_in(const struct ip_addr *list, const uint8_t *plen, unsigned n,
		    const struct ip_addr *a)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned len = ip_family_len(list[i].family), bits = plen[i], k;

		if (list[i].family == IPF_NONE)
			return true;		/* %any */
		if (list[i].family != a->family)
			continue;
		if (addr_is_zero(&list[i]) && bits == 0)
			return true;		/* %any4 / %any6 */
		if (bits > len * 8)
			bits = len * 8;
		for (k = 0; k < bits / 8; k++)
			if (list[i].b[k] != a->b[k])
				break;
		if (k < bits / 8)
			continue;
		if (bits % 8) {
			uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

			if ((list[i].b[k] ^ a->b[k]) & mask)
				continue;
		}
		return true;
	}
	return n == 0;
}

bool conn_addr_match(const struct conn *c, const struct ike_endpoint *local,
		     const struct ike_endpoint *remote)
{
	return addr_in(c->cfg.local_addrs, c->cfg.local_plen, c->cfg.n_local, &local->addr) &&
	       addr_in(c->cfg.remote_addrs, c->cfg.remote_plen, c->cfg.n_remote, &remote->addr);
}
