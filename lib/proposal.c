// SPDX-License-Identifier: MIT
#include "proposal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * The algorithms secgw supports. Adding one means a row here and its crypto
 * in secgw-iked and the datapath; the agent validates against this table.
 */
static const struct alg {
	const char *name;
	uint8_t type;		/* enum ikev2_transform_type */
	uint16_t id;
	uint16_t keybits;
	bool ike, esp;		/* allowed in which kind of proposal */
} algs[] = {
	{ "chacha20poly1305", TRANS_ENCR, ENCR_CHACHA20_POLY1305, 0, true, true },
	{ "aes256gcm16", TRANS_ENCR, ENCR_AES_GCM_16, 256, true, true },
	{ "aes256gcm", TRANS_ENCR, ENCR_AES_GCM_16, 256, true, true },	/* alias */
	{ "prfsha256", TRANS_PRF, PRF_HMAC_SHA2_256, 0, true, false },
	{ "prfsha512", TRANS_PRF, PRF_HMAC_SHA2_512, 0, true, false },
	{ "x25519", TRANS_DH, DH_CURVE25519, 0, true, true },
	{ "curve25519", TRANS_DH, DH_CURVE25519, 0, true, true },	/* alias */
	{ "esn", TRANS_ESN, ESN_YES, 0, false, true },
	{ "noesn", TRANS_ESN, ESN_NO, 0, false, true },
};

enum { N_ALGS = sizeof(algs) / sizeof(algs[0]) };

const char *proposal_supported(enum prop_kind kind)
{
	return kind == PROP_IKE
		? "chacha20poly1305 aes256gcm16 prfsha256 prfsha512 x25519"
		: "chacha20poly1305 aes256gcm16 x25519 esn noesn";
}

static const struct alg *find(const char *tok, size_t n)
{
	for (size_t i = 0; i < N_ALGS; i++)
		if (strlen(algs[i].name) == n && memcmp(algs[i].name, tok, n) == 0)
			return &algs[i];
	return NULL;
}

const char *proposal_transform_name(unsigned type, unsigned id, unsigned keybits)
{
	for (size_t i = 0; i < N_ALGS; i++)
		if (algs[i].type == type && algs[i].id == id &&
		    (type != TRANS_ENCR || algs[i].keybits == keybits))
			return algs[i].name;
	return NULL;
}

/* Append v to list[*n] unless present; false when the list is full. */
static bool add_u16(uint16_t *list, uint8_t *n, uint16_t v)
{
	for (unsigned i = 0; i < *n; i++)
		if (list[i] == v)
			return true;
	if (*n >= PROP_MAX_ALGS)
		return false;
	list[(*n)++] = v;
	return true;
}

const char *proposal_parse(enum prop_kind kind, const char *s, struct proposal *p)
{
	const char *tok = s;

	memset(p, 0, sizeof(*p));
	if (!*s)
		return "a proposal is required";
	if (strlen(s) >= PROP_STR_MAX)
		return "proposal is too long";
	while (*tok) {
		const char *end = strchr(tok, '-');
		size_t n = end ? (size_t)(end - tok) : strlen(tok);
		const struct alg *a;

		if (n == 0)
			return "empty algorithm name (two '-' in a row, or one at an end)";
		a = find(tok, n);
		if (!a)
			return kind == PROP_IKE
				? "unknown or unsupported algorithm (IKE supports: chacha20poly1305 aes256gcm16 prfsha256 prfsha512 x25519)"
				: "unknown or unsupported algorithm (ESP supports: chacha20poly1305 aes256gcm16 x25519 esn noesn)";
		if (kind == PROP_IKE && !a->ike)
			return a->type == TRANS_ESN ? "esn/noesn belong in ESP proposals, not IKE"
						    : "algorithm not allowed in an IKE proposal";
		if (kind == PROP_ESP && !a->esp)
			return a->type == TRANS_PRF ? "a PRF belongs in IKE proposals, not ESP"
						    : "algorithm not allowed in an ESP proposal";
		switch (a->type) {
		case TRANS_ENCR: {
			bool dup = false;

			for (unsigned i = 0; i < p->n_encr; i++)
				if (p->encr[i].id == a->id && p->encr[i].keybits == a->keybits)
					dup = true;
			if (dup)
				break;
			if (p->n_encr >= PROP_MAX_ALGS)
				return "too many encryption algorithms in one proposal";
			p->encr[p->n_encr].id = a->id;
			p->encr[p->n_encr].keybits = a->keybits;
			p->n_encr++;
			break;
		}
		case TRANS_PRF:
			if (!add_u16(p->prf, &p->n_prf, a->id))
				return "too many PRFs in one proposal";
			break;
		case TRANS_DH:
			if (!add_u16(p->dh, &p->n_dh, a->id))
				return "too many DH groups in one proposal";
			break;
		case TRANS_ESN:
			if (p->n_esn < 2)
				add_u16(p->esn, &p->n_esn, a->id);
			break;
		}
		if (!end)
			break;
		tok = end + 1;
		if (!*tok)
			return "empty algorithm name (two '-' in a row, or one at an end)";
	}
	if (p->n_encr == 0)
		return "an encryption algorithm is required (e.g. chacha20poly1305 or aes256gcm16)";
	if (kind == PROP_IKE) {
		if (p->n_prf == 0)
			return "a PRF is required with an AEAD (e.g. prfsha256)";
		if (p->n_dh == 0)
			return "a DH group is required (e.g. x25519)";
	} else if (p->n_esn == 0) {
		p->esn[0] = ESN_NO;
		p->n_esn = 1;
	}
	return NULL;
}

static size_t put(char *buf, size_t len, size_t at, const char *name)
{
	int n = snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "%s%s",
			 at ? "-" : "", name);

	return at + (n > 0 ? (size_t)n : 0);
}

char *proposal_format(enum prop_kind kind, const struct proposal *p, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned i = 0; i < p->n_encr; i++)
		at = put(buf, len, at, proposal_transform_name(TRANS_ENCR, p->encr[i].id,
							       p->encr[i].keybits));
	for (unsigned i = 0; i < p->n_prf; i++)
		at = put(buf, len, at, proposal_transform_name(TRANS_PRF, p->prf[i], 0));
	for (unsigned i = 0; i < p->n_dh; i++)
		at = put(buf, len, at, proposal_transform_name(TRANS_DH, p->dh[i], 0));
	/* ESP's default (noesn alone) is left implicit, as operators write it. */
	if (kind == PROP_ESP && !(p->n_esn == 1 && p->esn[0] == ESN_NO))
		for (unsigned i = 0; i < p->n_esn; i++)
			at = put(buf, len, at, proposal_transform_name(TRANS_ESN, p->esn[i], 0));
	return buf;
}

unsigned proposal_encr_keylen(unsigned id, unsigned keybits)
{
	switch (id) {
	case ENCR_CHACHA20_POLY1305:
		return 32;
	case ENCR_AES_GCM_16:
		return keybits / 8;
	}
	return 0;
}

unsigned proposal_encr_saltlen(unsigned id)
{
	switch (id) {
	case ENCR_CHACHA20_POLY1305:
	case ENCR_AES_GCM_16:
		return 4;
	}
	return 0;
}
