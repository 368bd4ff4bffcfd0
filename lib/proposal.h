/* SPDX-License-Identifier: MIT */
/*
 * Proposal strings in strongSwan's swanctl.conf syntax, the one engineers
 * already know: "chacha20poly1305-prfsha256-x25519" for IKE,
 * "aes256gcm16" or "chacha20poly1305-x25519-esn" for ESP. A string may name
 * several algorithms of one kind; each kind keeps the order it was written in,
 * which is the order of preference.
 *
 * The numbers are IANA's IKEv2 transform IDs (RFC 7296 §3.3.2 and the
 * registries), so secgw-iked puts them on the wire as they are.
 */
#ifndef SECGW_PROPOSAL_H
#define SECGW_PROPOSAL_H

#include <stddef.h>
#include <stdint.h>

enum prop_kind {
	PROP_IKE,
	PROP_ESP,
};

enum ikev2_transform_type {
	TRANS_ENCR = 1,
	TRANS_PRF = 2,
	TRANS_INTEG = 3,
	TRANS_DH = 4,
	TRANS_ESN = 5,
};

enum ikev2_encr {
	ENCR_AES_GCM_16 = 20,
	ENCR_CHACHA20_POLY1305 = 28,
};

enum ikev2_prf {
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_512 = 7,
};

enum ikev2_dh {
	DH_NONE = 0,
	DH_CURVE25519 = 31,
};

enum ikev2_esn {
	ESN_NO = 0,
	ESN_YES = 1,
};

enum {
	PROP_MAX_ALGS = 8,	/* per transform type in one proposal */
	PROP_STR_MAX = 256,
};

struct prop_encr {
	uint16_t id;		/* enum ikev2_encr */
	uint16_t keybits;	/* key length attribute (0: the algorithm has one size) */
};

struct proposal {
	uint8_t n_encr, n_prf, n_dh, n_esn;
	struct prop_encr encr[PROP_MAX_ALGS];
	uint16_t prf[PROP_MAX_ALGS];
	uint16_t dh[PROP_MAX_ALGS];
	uint16_t esn[2];
};

/*
 * Parse one proposal string. IKE needs an encryption algorithm, a PRF and a
 * DH group; ESP needs an encryption algorithm, may name DH groups (PFS on
 * rekey) and esn/noesn (noesn when neither is given), and has no PRF.
 * Returns NULL, or a message naming the offending token's problem.
 */
const char *proposal_parse(enum prop_kind kind, const char *s, struct proposal *out);

/* Canonical string (the names this file parses). Returns buf. */
char *proposal_format(enum prop_kind kind, const struct proposal *p, char *buf, size_t len);

/* Name of a transform, e.g. (TRANS_ENCR, 20, 256) -> "aes256gcm16"; NULL if unknown. */
const char *proposal_transform_name(unsigned type, unsigned id, unsigned keybits);

/* The supported algorithm names, space separated, for help and errors. */
const char *proposal_supported(enum prop_kind kind);

/* Key material of an AEAD in bytes: the key and the salt that follows it
 * (RFC 4106 §8.1, RFC 7634 §2): 32+4 for both algorithms here. 0 if unknown. */
unsigned proposal_encr_keylen(unsigned id, unsigned keybits);
unsigned proposal_encr_saltlen(unsigned id);

#endif
