// SPDX-License-Identifier: MIT
/*
 * IKEv2 message parsing: header, payload chain, and the payloads we read.
 * Every length below comes from the peer and is checked before use, in the
 * same order everywhere: the header fits, its declared length covers the
 * header, the declared length stays within what is left, and the inside
 * adds up to the declared length.
 */
#include "pld.h"

#include <stdio.h>
#include <string.h>

const char *pld_err_str(enum pld_err e)
{
	switch (e) {
	case PLD_OK: return "ok";
	case PLD_E_SHORT: return "shorter than an IKE header";
	case PLD_E_VERSION: return "not IKE version 2";
	case PLD_E_LENGTH: return "header length disagrees with the datagram";
	case PLD_E_TOO_BIG: return "message too large";
	case PLD_E_TRUNCATED: return "a payload runs past the end of the message";
	case PLD_E_PLD_LENGTH: return "a payload length is shorter than its header";
	case PLD_E_TRAILING: return "bytes after the last payload";
	case PLD_E_TOO_MANY: return "too many payloads or entries";
	case PLD_E_CRITICAL: return "unknown payload marked critical";
	case PLD_E_SK_NOT_LAST: return "SK payload is not the last payload";
	case PLD_E_SYNTAX: return "malformed payload";
	case PLD_E_MISSING: return "required payload missing";
	case PLD_E_DUPLICATE: return "duplicate payload";
	case PLD_E_NOT_PROTECTED: return "payload that must be encrypted sent in the clear";
	case PLD_E_ICV: return "integrity check failed";
	case PLD_E_NO_SPACE: return "message does not fit";
	}
	return "unknown error";
}

const char *pld_err_name(enum pld_err e)
{
	static const char *const names[] = {
		"PLD_OK", "PLD_E_SHORT", "PLD_E_VERSION", "PLD_E_LENGTH", "PLD_E_TOO_BIG",
		"PLD_E_TRUNCATED", "PLD_E_PLD_LENGTH", "PLD_E_TRAILING", "PLD_E_TOO_MANY",
		"PLD_E_CRITICAL", "PLD_E_SK_NOT_LAST", "PLD_E_SYNTAX", "PLD_E_MISSING",
		"PLD_E_DUPLICATE", "PLD_E_NOT_PROTECTED", "PLD_E_ICV", "PLD_E_NO_SPACE",
	};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

const char *pld_type_name(unsigned type)
{
	switch (type) {
	case PLD_SA: return "SA";
	case PLD_KE: return "KE";
	case PLD_IDI: return "IDi";
	case PLD_IDR: return "IDr";
	case PLD_CERT: return "CERT";
	case PLD_CERTREQ: return "CERTREQ";
	case PLD_AUTH: return "AUTH";
	case PLD_NONCE: return "No";
	case PLD_NOTIFY: return "N";
	case PLD_DELETE: return "D";
	case PLD_VENDOR: return "V";
	case PLD_TSI: return "TSi";
	case PLD_TSR: return "TSr";
	case PLD_SK: return "SK";
	case PLD_CP: return "CP";
	case PLD_EAP: return "EAP";
	case PLD_SKF: return "SKF";
	}
	return NULL;
}

const char *pld_notify_name(unsigned t)
{
	switch (t) {
	case N_UNSUPPORTED_CRITICAL_PAYLOAD: return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case N_INVALID_IKE_SPI: return "INVALID_IKE_SPI";
	case N_INVALID_MAJOR_VERSION: return "INVALID_MAJOR_VERSION";
	case N_INVALID_SYNTAX: return "INVALID_SYNTAX";
	case N_INVALID_MESSAGE_ID: return "INVALID_MESSAGE_ID";
	case N_INVALID_SPI: return "INVALID_SPI";
	case N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
	case N_INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
	case N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case N_SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
	case N_NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
	case N_INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
	case N_FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
	case N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case N_INVALID_SELECTORS: return "INVALID_SELECTORS";
	case N_TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
	case N_CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
	case N_INITIAL_CONTACT: return "INITIAL_CONTACT";
	case N_SET_WINDOW_SIZE: return "SET_WINDOW_SIZE";
	case N_ADDITIONAL_TS_POSSIBLE: return "ADDITIONAL_TS_POSSIBLE";
	case N_IPCOMP_SUPPORTED: return "IPCOMP_SUPPORTED";
	case N_NAT_DETECTION_SOURCE_IP: return "NATD_S_IP";
	case N_NAT_DETECTION_DESTINATION_IP: return "NATD_D_IP";
	case N_COOKIE: return "COOKIE";
	case N_USE_TRANSPORT_MODE: return "USE_TRANSPORT_MODE";
	case N_HTTP_CERT_LOOKUP_SUPPORTED: return "HTTP_CERT_LOOKUP_SUPPORTED";
	case N_REKEY_SA: return "REKEY_SA";
	case N_ESP_TFC_PADDING_NOT_SUPPORTED: return "ESP_TFC_PADDING_NOT_SUPPORTED";
	case N_NON_FIRST_FRAGMENTS_ALSO: return "NON_FIRST_FRAGMENTS_ALSO";
	case N_MOBIKE_SUPPORTED: return "MOBIKE_SUPPORTED";
	case N_MULTIPLE_AUTH_SUPPORTED: return "MULTIPLE_AUTH_SUPPORTED";
	case N_REDIRECT_SUPPORTED: return "REDIRECT_SUPPORTED";
	case N_EAP_ONLY_AUTHENTICATION: return "EAP_ONLY_AUTHENTICATION";
	case N_CHILDLESS_IKEV2_SUPPORTED: return "CHILDLESS_IKEV2_SUPPORTED";
	case N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED: return "IKEV2_MESSAGE_ID_SYNC_SUPPORTED";
	case N_IKEV2_FRAGMENTATION_SUPPORTED: return "IKEV2_FRAGMENTATION_SUPPORTED";
	case N_SIGNATURE_HASH_ALGORITHMS: return "SIGNATURE_HASH_ALGORITHMS";
	}
	return NULL;
}

const char *pld_exchange_name(unsigned exch)
{
	switch (exch) {
	case EXCH_IKE_SA_INIT: return "IKE_SA_INIT";
	case EXCH_IKE_AUTH: return "IKE_AUTH";
	case EXCH_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case EXCH_INFORMATIONAL: return "INFORMATIONAL";
	}
	return NULL;
}

enum pld_err pld_parse_hdr(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	if (len < IKE_HDR_LEN)
		return PLD_E_SHORT;
	h->spi_i = get_be64(buf);
	h->spi_r = get_be64(buf + 8);
	h->next = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = get_be32(buf + 20);
	h->length = get_be32(buf + 24);
	/* RFC 7296 §3.1: a different major version gets INVALID_MAJOR_VERSION;
	 * a higher minor version is fine. */
	if ((h->version >> 4) != 2)
		return PLD_E_VERSION;
	return PLD_OK;
}

static bool known_type(unsigned t)
{
	return pld_type_name(t) != NULL;
}

/*
 * Walk a payload chain starting with type `next` over p[0..len). The SK
 * payload ends the outer chain (its Next Payload names the first inner
 * payload, recorded by the caller).
 */
static enum pld_err walk(struct ike_msg *m, uint8_t next, const uint8_t *p, size_t len,
			 bool inner)
{
	size_t off = 0;

	while (next != PLD_NONE) {
		uint8_t type = next, flags;
		uint16_t plen;

		/* A peer can claim more payloads than the datagram holds. */
		if (len - off < IKE_PLD_HDR_LEN)
			return PLD_E_TRUNCATED;
		next = p[off];
		flags = p[off + 1];
		plen = get_be16(p + off + 2);
		if (plen < IKE_PLD_HDR_LEN)
			return PLD_E_PLD_LENGTH;
		if (plen > len - off)
			return PLD_E_TRUNCATED;
		if (!known_type(type) || (inner && type == PLD_SK)) {
			/* §2.5: skip unknown payloads unless they are critical. */
			if (flags & 0x80) {
				m->unknown_critical = type;
				return PLD_E_CRITICAL;
			}
			off += plen;
			continue;
		}
		if (m->n >= IKE_MAX_PAYLOADS)
			return PLD_E_TOO_MANY;
		m->p[m->n].type = type;
		m->p[m->n].critical = flags & 0x80;
		m->p[m->n].inner = inner;
		m->p[m->n].len = (uint16_t)(plen - IKE_PLD_HDR_LEN);
		m->p[m->n].body = p + off + IKE_PLD_HDR_LEN;
		off += plen;
		if (type == PLD_SK || type == PLD_SKF) {
			/* The SK payload must be the last one (§3.14): its
			 * Next Payload field names the first inner payload,
			 * and nothing may follow it. */
			if (off != len)
				return PLD_E_SK_NOT_LAST;
			if (type == PLD_SKF)	/* fragments are not supported */
				return PLD_E_SYNTAX;
			m->sk = (int)m->n;
			m->sk_first = next;
			m->n++;
			return PLD_OK;
		}
		m->n++;
	}
	return off == len ? PLD_OK : PLD_E_TRAILING;
}

enum pld_err pld_parse(struct ike_msg *m, const uint8_t *buf, size_t len)
{
	enum pld_err e;

	m->buf = buf;
	m->len = len;
	m->n = 0;
	m->sk = -1;
	m->sk_opened = false;
	m->unknown_critical = 0;
	if (len > IKE_MSG_MAX)
		return PLD_E_TOO_BIG;
	e = pld_parse_hdr(buf, len, &m->hdr);
	if (e)
		return e;
	/* The datagram is the message: the declared length must match it, so a
	 * second message smuggled behind the first is refused too. */
	if (m->hdr.length != len)
		return PLD_E_LENGTH;
	return walk(m, m->hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, false);
}

enum pld_err pld_parse_inner(struct ike_msg *m, uint8_t first, const uint8_t *p, size_t len)
{
	return walk(m, first, p, len, true);
}

const struct pld *pld_find(const struct ike_msg *m, unsigned type)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->p[i].type == type)
			return &m->p[i];
	return NULL;
}

const struct pld *pld_find_notify(const struct ike_msg *m, unsigned ntype)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->p[i].type == PLD_NOTIFY && m->p[i].len >= 4 &&
		    get_be16(m->p[i].body + 2) == ntype)
			return &m->p[i];
	return NULL;
}

enum pld_err pld_check_protected(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct pld *p = &m->p[i];

		if (p->inner || p->type == PLD_SK)
			continue;
		if (m->hdr.exchange == EXCH_IKE_SA_INIT) {
			switch (p->type) {
			case PLD_SA: case PLD_KE: case PLD_NONCE: case PLD_NOTIFY:
			case PLD_VENDOR: case PLD_CERTREQ:
				continue;
			}
			return PLD_E_NOT_PROTECTED;
		}
		/* After IKE_SA_INIT everything travels inside SK (§3.14).
		 * An unprotected error notify is only ever a hint, never acted on. */
		return PLD_E_NOT_PROTECTED;
	}
	if (m->hdr.exchange == EXCH_IKE_SA_INIT && m->sk >= 0)
		return PLD_E_SYNTAX;
	if (m->hdr.exchange != EXCH_IKE_SA_INIT && m->sk < 0)
		return PLD_E_MISSING;
	return PLD_OK;
}

char *pld_describe(const struct ike_msg *m, char *buf, size_t len)
{
	size_t at = 0;
	const char *x = pld_exchange_name(m->hdr.exchange);
	int n;

#define OUT(...) do {								\
	n = snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, __VA_ARGS__); \
	at += n > 0 ? (size_t)n : 0;						\
} while (0)
	if (len)
		buf[0] = '\0';
	if (x)
		OUT("%s", x);
	else
		OUT("EXCHANGE_%u", m->hdr.exchange);
	OUT(" %s %u {", m->hdr.flags & HDR_F_RESPONSE ? "response" : "request", m->hdr.msgid);
	for (unsigned i = 0; i < m->n; i++) {
		const struct pld *p = &m->p[i];

		/* Once decrypted, the inner payloads stand for the SK payload. */
		if (p->type == PLD_SK && m->sk_opened)
			continue;
		if (p->type == PLD_NOTIFY && p->len >= 4) {
			unsigned t = get_be16(p->body + 2);
			const char *nn = pld_notify_name(t);

			if (nn)
				OUT(" N(%s)", nn);
			else
				OUT(" N(%u)", t);
		} else {
			OUT(" %s", pld_type_name(p->type));
		}
	}
	OUT(" }");
#undef OUT
	return buf;
}

enum pld_err pld_get_ke(const struct pld *p, struct pld_ke *out)
{
	if (p->len < 4 + 1)
		return PLD_E_SYNTAX;
	out->group = get_be16(p->body);
	out->len = (uint16_t)(p->len - 4);
	out->data = p->body + 4;
	return PLD_OK;
}

enum pld_err pld_get_id(const struct pld *p, struct pld_id *out)
{
	if (p->len < 4 + 1 || p->len - 4 > IKE_ID_MAX)
		return PLD_E_SYNTAX;
	out->type = p->body[0];
	out->len = (uint16_t)(p->len - 4);
	out->data = p->body + 4;
	return PLD_OK;
}

enum pld_err pld_get_auth(const struct pld *p, struct pld_auth *out)
{
	if (p->len < 4 + 1)
		return PLD_E_SYNTAX;
	out->method = p->body[0];
	out->len = (uint16_t)(p->len - 4);
	out->data = p->body + 4;
	return PLD_OK;
}

enum pld_err pld_get_nonce(const struct pld *p, const uint8_t **data, uint16_t *len)
{
	/* §2.10: nonces are at least 16 and at most 256 octets. */
	if (p->len < IKE_NONCE_MIN || p->len > IKE_NONCE_MAX)
		return PLD_E_SYNTAX;
	*data = p->body;
	*len = p->len;
	return PLD_OK;
}

enum pld_err pld_get_notify(const struct pld *p, struct pld_notify *out)
{
	if (p->len < 4)
		return PLD_E_SYNTAX;
	out->proto = p->body[0];
	out->spi_size = p->body[1];
	out->type = get_be16(p->body + 2);
	if (out->spi_size > p->len - 4)
		return PLD_E_SYNTAX;
	out->spi = p->body + 4;
	out->data = p->body + 4 + out->spi_size;
	out->len = (uint16_t)(p->len - 4 - out->spi_size);
	return PLD_OK;
}

enum pld_err pld_get_delete(const struct pld *p, struct pld_delete *out)
{
	if (p->len < 4)
		return PLD_E_SYNTAX;
	out->proto = p->body[0];
	out->spi_size = p->body[1];
	out->n_spi = get_be16(p->body + 2);
	out->spis = p->body + 4;
	if (out->proto == PROTO_IKE) {
		if (out->spi_size != 0 || out->n_spi != 0 || p->len != 4)
			return PLD_E_SYNTAX;
		return PLD_OK;
	}
	if (out->spi_size != 4)
		return PLD_E_SYNTAX;
	if (out->n_spi > IKE_MAX_DELETE_SPIS)
		return PLD_E_TOO_MANY;
	/* The count must account for every byte, no more and no less. */
	if ((size_t)out->n_spi * 4 != (size_t)p->len - 4)
		return PLD_E_SYNTAX;
	return PLD_OK;
}

enum pld_err pld_get_ts(const struct pld *p, struct pld_ts *out)
{
	size_t off = 4;
	unsigned n;

	if (p->len < 4)
		return PLD_E_SYNTAX;
	n = p->body[0];
	if (n == 0)
		return PLD_E_SYNTAX;
	if (n > IKE_MAX_TS)
		return PLD_E_TOO_MANY;
	out->n = 0;
	for (unsigned i = 0; i < n; i++) {
		struct ts *t = &out->ts[i];
		uint8_t type;
		uint16_t slen;
		unsigned alen;

		if (p->len - off < 4)
			return PLD_E_SYNTAX;
		type = p->body[off];
		slen = get_be16(p->body + off + 2);
		if (slen < 8 || slen > p->len - off)
			return PLD_E_SYNTAX;
		if (type == TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (type == TS_IPV6_ADDR_RANGE)
			alen = 16;
		else
			return PLD_E_SYNTAX;
		if (slen != 8 + 2 * alen)
			return PLD_E_SYNTAX;
		memset(t, 0, sizeof(*t));
		t->family = alen == 4 ? IPF_V4 : IPF_V6;
		t->proto = p->body[off + 1];
		t->port_lo = get_be16(p->body + off + 4);
		t->port_hi = get_be16(p->body + off + 6);
		memcpy(t->lo, p->body + off + 8, alen);
		memcpy(t->hi, p->body + off + 8 + alen, alen);
		off += slen;
		out->n++;
	}
	/* The declared count must use up the payload exactly. */
	if (off != p->len)
		return PLD_E_SYNTAX;
	return PLD_OK;
}

/* ---- SA payload ---- */

static enum pld_err validate_transforms(const uint8_t *p, size_t len, unsigned count)
{
	size_t off = 0;

	for (unsigned i = 0; i < count; i++) {
		uint8_t last;
		uint16_t tlen;
		size_t aoff;
		unsigned nattr = 0;

		if (len - off < 8)
			return PLD_E_SYNTAX;
		last = p[off];
		tlen = get_be16(p + off + 2);
		if (tlen < 8 || tlen > len - off)
			return PLD_E_SYNTAX;
		/* "Last Substruc" must say 3 (more) on all but the last. */
		if (last != (i + 1 == count ? 0 : 3))
			return PLD_E_SYNTAX;
		for (aoff = off + 8; aoff < off + tlen;) {
			uint16_t at;

			if (off + tlen - aoff < 4)
				return PLD_E_SYNTAX;
			if (++nattr > IKE_MAX_ATTRS)
				return PLD_E_TOO_MANY;
			at = get_be16(p + aoff);
			if (at & 0x8000) {
				aoff += 4;		/* TV: value in the header */
			} else {
				uint16_t alen = get_be16(p + aoff + 2);

				if (alen > off + tlen - aoff - 4)
					return PLD_E_SYNTAX;
				aoff += 4 + (size_t)alen;
			}
		}
		off += tlen;
	}
	return off == len ? PLD_OK : PLD_E_SYNTAX;
}

enum pld_err pld_sa_validate(const struct pld *sa)
{
	const uint8_t *p = sa->body;
	size_t len = sa->len, off = 0;
	unsigned n = 0, prev = 0;

	if (len == 0)
		return PLD_E_SYNTAX;
	while (off < len) {
		uint8_t last, num, spi_size, ntr;
		uint16_t plen;
		enum pld_err e;

		if (len - off < 8)
			return PLD_E_SYNTAX;
		last = p[off];
		plen = get_be16(p + off + 2);
		num = p[off + 4];
		spi_size = p[off + 6];
		ntr = p[off + 7];
		if (plen < 8 || plen > len - off)
			return PLD_E_SYNTAX;
		if (++n > IKE_MAX_PROPOSALS)
			return PLD_E_TOO_MANY;
		if (ntr > IKE_MAX_TRANSFORMS)
			return PLD_E_TOO_MANY;
		/* §3.3.1: numbers are never 0 and go up by at most one. An
		 * offer starts at 1, but a responder's single chosen proposal
		 * keeps the number it had in the offer. */
		if (num < 1 || (prev && (num < prev || num > prev + 1)))
			return PLD_E_SYNTAX;
		prev = num;
		if (spi_size > 8 || (size_t)8 + spi_size > plen)
			return PLD_E_SYNTAX;
		if (last != (off + plen == len ? 0 : 2))
			return PLD_E_SYNTAX;
		e = validate_transforms(p + off + 8 + spi_size, plen - 8 - spi_size, ntr);
		if (e)
			return e;
		off += plen;
	}
	return PLD_OK;
}

void pld_sa_iter_init(struct pld_sa_iter *it, const struct pld *sa)
{
	it->p = sa->body;
	it->left = sa->len;
}

bool pld_sa_next(struct pld_sa_iter *it, struct pld_proposal *out)
{
	uint16_t plen;

	/* Only ever called on a validated payload; the checks stay anyway so
	 * a missed pld_sa_validate cannot become an overread. */
	if (it->left < 8)
		return false;
	plen = get_be16(it->p + 2);
	if (plen < 8 || plen > it->left || (size_t)8 + it->p[6] > plen || it->p[6] > 8)
		return false;
	out->num = it->p[4];
	out->proto = it->p[5];
	out->spi_size = it->p[6];
	out->n_transforms = it->p[7];
	memset(out->spi, 0, sizeof(out->spi));
	memcpy(out->spi, it->p + 8, out->spi_size);
	out->transforms = it->p + 8 + out->spi_size;
	out->transforms_len = (uint16_t)(plen - 8 - out->spi_size);
	it->p += plen;
	it->left -= plen;
	return true;
}

void pld_tr_iter_init(struct pld_tr_iter *it, const struct pld_proposal *prop)
{
	it->p = prop->transforms;
	it->left = prop->transforms_len;
}

bool pld_tr_next(struct pld_tr_iter *it, struct pld_transform *out)
{
	uint16_t tlen;
	size_t aoff;

	if (it->left < 8)
		return false;
	tlen = get_be16(it->p + 2);
	if (tlen < 8 || tlen > it->left)
		return false;
	out->type = it->p[4];
	out->id = get_be16(it->p + 6);
	out->keybits = 0;
	out->unknown_attr = false;
	for (aoff = 8; aoff + 4 <= tlen;) {
		uint16_t at = get_be16(it->p + aoff);

		if (at & 0x8000) {
			if ((at & 0x7fff) == ATTR_KEY_LENGTH)
				out->keybits = get_be16(it->p + aoff + 2);
			else
				out->unknown_attr = true;
			aoff += 4;
		} else {
			/* Variable-length attributes: none is known to us. */
			out->unknown_attr = true;
			aoff += 4 + (size_t)get_be16(it->p + aoff + 2);
		}
	}
	it->p += tlen;
	it->left -= tlen;
	return true;
}

enum pld_err pld_validate_all(const struct ike_msg *m)
{
	static struct pld_ts ts;	/* large; the engine is single-threaded */

	for (unsigned i = 0; i < m->n; i++) {
		const struct pld *p = &m->p[i];
		enum pld_err e = PLD_OK;
		union {
			struct pld_ke ke;
			struct pld_id id;
			struct pld_auth au;
			struct pld_notify n;
			struct pld_delete d;
		} u;
		const uint8_t *nd;
		uint16_t nl;

		switch (p->type) {
		case PLD_SA: e = pld_sa_validate(p); break;
		case PLD_KE: e = pld_get_ke(p, &u.ke); break;
		case PLD_IDI:
		case PLD_IDR: e = pld_get_id(p, &u.id); break;
		case PLD_AUTH: e = pld_get_auth(p, &u.au); break;
		case PLD_NONCE: e = pld_get_nonce(p, &nd, &nl); break;
		case PLD_NOTIFY: e = pld_get_notify(p, &u.n); break;
		case PLD_DELETE: e = pld_get_delete(p, &u.d); break;
		case PLD_TSI:
		case PLD_TSR: e = pld_get_ts(p, &ts); break;
		case PLD_SK:
			/* IV, Pad Length and ICV at the least (RFC 5282). */
			if (!m->sk_opened && p->len < 8 + 1 + 16)
				e = PLD_E_SYNTAX;
			break;
		}
		if (e)
			return e;
	}
	return PLD_OK;
}
