/* SPDX-License-Identifier: MIT */
/*
 * IKE identities as written in local_id/remote_id (docs/config.md,
 * "Identities"), in swanctl.conf's syntax: an address literal is an
 * ID_IPV4_ADDR/ID_IPV6_ADDR, "user@example.com" an ID_RFC822_ADDR,
 * "@#0a1b…" an ID_KEY_ID, "@vpn.example.com" or any other text an ID_FQDN,
 * and "%any" (remote only) matches any identity. Shared by the agent
 * (validation) and secgw-iked (the ID payload).
 */
#ifndef SECGW_IDENT_H
#define SECGW_IDENT_H

#include <stdint.h>

/* IANA IKEv2 Identification Payload ID types (RFC 7296 §3.5); 0 for %any/empty. */
enum ident_type {
	IDENT_ANY = 0,
	IDENT_IPV4_ADDR = 1,
	IDENT_FQDN = 2,
	IDENT_RFC822_ADDR = 3,
	IDENT_IPV6_ADDR = 5,
	IDENT_KEY_ID = 11,
};

enum {
	IDENT_MAX = 255,	/* bytes of identification data */
};

struct ident {
	uint8_t type;		/* enum ident_type */
	uint16_t len;
	uint8_t data[IDENT_MAX];
};

/*
 * Parse an identity. "" parses to IDENT_ANY (the local side then uses its
 * address); "%any" also, and the caller decides where it is allowed.
 * Returns NULL or a message fit to show next to the field.
 */
const char *ident_parse(const char *s, struct ident *out);

#endif
