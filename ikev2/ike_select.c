// SPDX-License-Identifier: MIT
/*
 * Proposal selection and traffic-selector narrowing, and — when they fail —
 * the explanation an operator needs: every proposal the peer offered beside
 * every proposal the connection accepts, and which transform type or which
 * selector found no partner. A bare NO_PROPOSAL_CHOSEN is the most common
 * support question in the field; here the log and the event answer it.
 */
#include "ike_int.h"

#include <stdio.h>
#include <string.h>

/* Display names for transforms we do not implement, so that what a peer
 * offered reads like a proposal string and not like numbers. */
static const char *foreign_name(unsigned type, unsigned id, unsigned keybits, char *buf,
				size_t len)
{
	const char *n = proposal_transform_name(type, id, keybits);

	if (n)
		return n;
	switch (type) {
	case TRANS_ENCR:
		switch (id) {
		case 3: n = "3des"; break;
		case 12: snprintf(buf, len, "aes%u", keybits ? keybits : 128); return buf;
		case 13: snprintf(buf, len, "aes%uctr", keybits ? keybits : 128); return buf;
		case 14: snprintf(buf, len, "aes%uccm8", keybits ? keybits : 128); return buf;
		case 16: snprintf(buf, len, "aes%uccm16", keybits ? keybits : 128); return buf;
		case 18: snprintf(buf, len, "aes%ugcm8", keybits ? keybits : 128); return buf;
		case 19: snprintf(buf, len, "aes%ugcm12", keybits ? keybits : 128); return buf;
		case 20: snprintf(buf, len, "aes%ugcm16", keybits ? keybits : 128); return buf;
		}
		break;
	case TRANS_PRF:
		switch (id) {
		case 1: n = "prfmd5"; break;
		case 2: n = "prfsha1"; break;
		case 4: n = "prfaesxcbc"; break;
		case 6: n = "prfsha384"; break;
		case 8: n = "prfaescmac"; break;
		}
		break;
	case TRANS_INTEG:
		switch (id) {
		case 0: n = "nointeg"; break;
		case 1: n = "md5"; break;
		case 2: n = "sha1"; break;
		case 5: n = "aesxcbc"; break;
		case 12: n = "sha256"; break;
		case 13: n = "sha384"; break;
		case 14: n = "sha512"; break;
		}
		break;
	case TRANS_DH:
		switch (id) {
		case 0: n = "nodh"; break;
		case 2: n = "modp1024"; break;
		case 5: n = "modp1536"; break;
		case 14: n = "modp2048"; break;
		case 15: n = "modp3072"; break;
		case 16: n = "modp4096"; break;
		case 19: n = "ecp256"; break;
		case 20: n = "ecp384"; break;
		case 21: n = "ecp521"; break;
		case 32: n = "x448"; break;
		}
		break;
	}
	if (n)
		return n;
	if (keybits)
		snprintf(buf, len, "type%u:%u/%u", type, id, keybits);
	else
		snprintf(buf, len, "type%u:%u", type, id);
	return buf;
}

static const char *type_name(unsigned type)
{
	switch (type) {
	case TRANS_ENCR: return "ENCR";
	case TRANS_PRF: return "PRF";
	case TRANS_INTEG: return "INTEG";
	case TRANS_DH: return "DH";
	case TRANS_ESN: return "ESN";
	}
	return "transform";
}

static size_t cat(char *buf, size_t len, size_t at, const char *s)
{
	int n = snprintf(buf + (at < len ? at : len), at < len ? len - at : 0, "%s", s);

	return at + (n > 0 ? (size_t)n : 0);
}

/* "aes128-sha256-modp2048" from the peer's proposal. */
static void describe_offer(const struct pld_proposal *pr, char *buf, size_t len)
{
	struct pld_tr_iter it;
	struct pld_transform t;
	size_t at = 0;
	char nb[32];

	buf[0] = '\0';
	pld_tr_iter_init(&it, pr);
	while (pld_tr_next(&it, &t)) {
		if (at)
			at = cat(buf, len, at, "-");
		at = cat(buf, len, at, foreign_name(t.type, t.id, t.keybits, nb, sizeof(nb)));
		if (t.unknown_attr)
			at = cat(buf, len, at, "(unknown attribute)");
	}
}

static const char *proto_name(unsigned proto)
{
	return proto == PROTO_IKE ? "IKE" : proto == PROTO_ESP ? "ESP" : proto == PROTO_AH ? "AH" : "?";
}

struct offer {
	uint8_t n_encr, n_prf, n_dh, n_esn, n_integ;
	bool integ_none, dh_none, unknown_type;
	struct prop_encr encr[IKE_MAX_TRANSFORMS];
	uint16_t prf[IKE_MAX_TRANSFORMS], dh[IKE_MAX_TRANSFORMS], esn[4];
};

static void collect(const struct pld_proposal *pr, struct offer *o)
{
	struct pld_tr_iter it;
	struct pld_transform t;

	memset(o, 0, sizeof(*o));
	pld_tr_iter_init(&it, pr);
	while (pld_tr_next(&it, &t)) {
		/* §3.3.6: a transform with an attribute we do not know is
		 * one we must not select. */
		if (t.unknown_attr)
			continue;
		switch (t.type) {
		case TRANS_ENCR:
			if (o->n_encr < IKE_MAX_TRANSFORMS)
				o->encr[o->n_encr++] = (struct prop_encr){ t.id, t.keybits };
			break;
		case TRANS_PRF:
			if (o->n_prf < IKE_MAX_TRANSFORMS)
				o->prf[o->n_prf++] = t.id;
			break;
		case TRANS_INTEG:
			o->n_integ++;
			if (t.id == 0)
				o->integ_none = true;
			break;
		case TRANS_DH:
			if (t.id == 0)
				o->dh_none = true;
			else if (o->n_dh < IKE_MAX_TRANSFORMS)
				o->dh[o->n_dh++] = t.id;
			break;
		case TRANS_ESN:
			if (o->n_esn < 4)
				o->esn[o->n_esn++] = t.id;
			break;
		default:
			o->unknown_type = true;
		}
	}
}

static bool has16(const uint16_t *l, unsigned n, uint16_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (l[i] == v)
			return true;
	return false;
}

/*
 * Match one of our proposals against one of theirs. On success fills c;
 * on failure writes into why which transform type found no partner.
 */
static bool match(const struct proposal *ours, unsigned proto, const struct offer *o, bool no_dh,
		  struct chosen *c, char *why, size_t wlen)
{
	unsigned i, j;
	char ob[PROP_STR_MAX];

	memset(c, 0, sizeof(*c));
	if (o->unknown_type) {
		snprintf(why, wlen, "contains a transform type we do not know");
		return false;
	}
	for (i = 0; i < ours->n_encr && !c->encr; i++)
		for (j = 0; j < o->n_encr; j++)
			if (o->encr[j].id == ours->encr[i].id &&
			    o->encr[j].keybits == ours->encr[i].keybits &&
			    ike_aead_supported(ours->encr[i].id, ours->encr[i].keybits)) {
				c->encr = ours->encr[i].id;
				c->encr_bits = ours->encr[i].keybits;
				break;
			}
	if (!c->encr) {
		size_t at = 0;

		ob[0] = '\0';
		for (i = 0; i < ours->n_encr; i++)
			at = cat(ob, sizeof(ob), at, i ? " " : ""),
			at = cat(ob, sizeof(ob), at, proposal_transform_name(TRANS_ENCR,
					ours->encr[i].id, ours->encr[i].keybits));
		snprintf(why, wlen, "no common ENCR (we accept %s)", ob);
		return false;
	}
	/* We only do AEAD: integrity must be absent or NONE (RFC 5282 §8). */
	if (o->n_integ && !o->integ_none) {
		snprintf(why, wlen, "INTEG required, but we accept only AEAD ciphers");
		return false;
	}
	if (proto == PROTO_IKE) {
		for (i = 0; i < ours->n_prf && !c->prf; i++)
			if (has16(o->prf, o->n_prf, ours->prf[i]) && ike_prf_supported(ours->prf[i]))
				c->prf = ours->prf[i];
		if (!c->prf) {
			snprintf(why, wlen, "no common PRF");
			return false;
		}
	}
	if (!no_dh) {
		for (i = 0; i < ours->n_dh && !c->dh; i++)
			if (has16(o->dh, o->n_dh, ours->dh[i]))
				c->dh = ours->dh[i];
		if (!c->dh && (proto == PROTO_IKE || ours->n_dh)) {
			snprintf(why, wlen, "no common DH group%s",
				 proto == PROTO_ESP ? " (PFS required by us)" : "");
			return false;
		}
		if (!c->dh && o->n_dh && !o->dh_none) {
			snprintf(why, wlen, "peer requires PFS (a DH group), we have none configured");
			return false;
		}
	}
	if (proto == PROTO_ESP) {
		bool found = false;

		if (o->n_esn == 0) {
			/* No ESN transform means no ESN. */
			found = has16(ours->esn, ours->n_esn, ESN_NO);
			c->esn = false;
		}
		for (i = 0; i < ours->n_esn && !found; i++)
			if (has16(o->esn, o->n_esn, ours->esn[i])) {
				found = true;
				c->esn = ours->esn[i] == ESN_YES;
			}
		if (!found) {
			snprintf(why, wlen, "no common ESN setting");
			return false;
		}
	}
	return true;
}

int select_proposal(struct ike_engine *e, const struct pld *sa, unsigned proto,
		    const struct proposal *ours, unsigned n_ours, struct chosen *out)
{
	static struct offer o;	/* large; single-threaded engine */
	struct pld_sa_iter it;
	struct pld_proposal pr;
	char why[160], desc[IKE_EXPLAIN_LINE - 64], ob[PROP_STR_MAX];
	bool no_dh = out->dh == 0xffff;	/* caller's marker: IKE_AUTH ignores DH */

	explain_reset(e);
	for (unsigned i = 0; i < n_ours; i++) {
		pld_sa_iter_init(&it, sa);
		while (pld_sa_next(&it, &pr)) {
			if (pr.proto != proto)
				continue;
			if (proto == PROTO_ESP && pr.spi_size != 4)
				continue;
			collect(&pr, &o);
			if (match(&ours[i], proto, &o, no_dh, out, why, sizeof(why))) {
				out->num = pr.num;
				out->spi_size = pr.spi_size;
				memcpy(out->spi, pr.spi, sizeof(out->spi));
				return 0;
			}
		}
	}
	/* Nothing matched: say what was offered and why each one failed. */
	pld_sa_iter_init(&it, sa);
	while (pld_sa_next(&it, &pr)) {
		describe_offer(&pr, desc, sizeof(desc));
		if (pr.proto != proto) {
			explain_add(e, 0, "#%u %s %.200s: wrong protocol (we want %s)", pr.num,
				    proto_name(pr.proto), desc, proto_name(proto));
			continue;
		}
		collect(&pr, &o);
		/* Report against our first proposal: the one we would prefer. */
		if (n_ours)
			match(&ours[0], proto, &o, no_dh, out, why, sizeof(why));
		explain_add(e, 0, "#%u %s %.120s: %.150s", pr.num, proto_name(pr.proto), desc,
			    n_ours ? why : "we have no proposal");
		if (!e->reason[0])
			snprintf(e->reason, sizeof(e->reason), "NO_PROPOSAL_CHOSEN: peer's #%u %.120s: %.150s",
				 pr.num, desc, n_ours ? why : "no proposal configured");
	}
	for (unsigned i = 0; i < n_ours; i++)
		explain_add(e, 1, "%s %s", proto_name(proto),
			    proposal_format(proto == PROTO_IKE ? PROP_IKE : PROP_ESP, &ours[i], ob,
					    sizeof(ob)));
	if (!e->reason[0])
		snprintf(e->reason, sizeof(e->reason), "NO_PROPOSAL_CHOSEN: peer offered no %s proposal",
			 proto_name(proto));
	(void)type_name;
	return -1;
}

int check_chosen(const struct pld *sa, unsigned proto, const struct proposal *ours,
		 unsigned n_ours, struct chosen *out)
{
	static struct offer o;
	struct pld_sa_iter it;
	struct pld_proposal pr;
	char why[160];
	bool no_dh = out->dh == 0xffff;
	unsigned n = 0;

	if (pld_sa_validate(sa) != PLD_OK)
		return -1;
	pld_sa_iter_init(&it, sa);
	while (pld_sa_next(&it, &pr))
		n++;
	if (n != 1)
		return -1;
	pld_sa_iter_init(&it, sa);
	pld_sa_next(&it, &pr);
	if (pr.proto != proto)
		return -1;
	collect(&pr, &o);
	/* Exactly one transform of each type (§3.3.6). */
	if (o.n_encr != 1 || (proto == PROTO_IKE && (o.n_prf != 1 || o.n_dh != 1)) ||
	    o.n_dh > 1 || o.n_esn > 1 || o.n_integ > 1)
		return -1;
	for (unsigned i = 0; i < n_ours; i++)
		if (match(&ours[i], proto, &o, no_dh, out, why, sizeof(why))) {
			out->num = pr.num;
			out->spi_size = pr.spi_size;
			memcpy(out->spi, pr.spi, sizeof(out->spi));
			return 0;
		}
	return -1;
}

void build_proposals(struct wbuf *w, unsigned proto, const struct proposal *p, unsigned n,
		     const uint8_t *spi, uint8_t spi_size, uint16_t only_dh, bool pfs_ok)
{
	struct wb_prop props[IKE_CFG_MAX_PROPS];
	unsigned np = 0;

	for (unsigned i = 0; i < n && i < IKE_CFG_MAX_PROPS; i++) {
		struct wb_prop *b = &props[np];
		unsigned t = 0;

		memset(b, 0, sizeof(*b));
		b->num = (uint8_t)(np + 1);
		b->proto = (uint8_t)proto;
		b->spi_size = spi_size;
		if (spi_size)
			memcpy(b->spi, spi, spi_size);
		for (unsigned k = 0; k < p[i].n_encr && t < IKE_WB_MAX_TR; k++)
			if (ike_aead_supported(p[i].encr[k].id, p[i].encr[k].keybits))
				b->tr[t++] = (struct pld_transform){ TRANS_ENCR, p[i].encr[k].id,
								     p[i].encr[k].keybits, false };
		if (t == 0)
			continue;	/* nothing of it runs on this CPU */
		if (proto == PROTO_IKE)
			for (unsigned k = 0; k < p[i].n_prf && t < IKE_WB_MAX_TR; k++)
				b->tr[t++] = (struct pld_transform){ TRANS_PRF, p[i].prf[k], 0, false };
		if (proto == PROTO_IKE || pfs_ok) {
			bool any = false;

			for (unsigned k = 0; k < p[i].n_dh && t < IKE_WB_MAX_TR; k++) {
				if (only_dh && p[i].dh[k] != only_dh)
					continue;
				b->tr[t++] = (struct pld_transform){ TRANS_DH, p[i].dh[k], 0, false };
				any = true;
			}
			if (!any && proto == PROTO_IKE)
				continue;	/* cannot match the KE we send */
		}
		if (proto == PROTO_ESP)
			for (unsigned k = 0; k < p[i].n_esn && t < IKE_WB_MAX_TR; k++)
				b->tr[t++] = (struct pld_transform){ TRANS_ESN, p[i].esn[k], 0, false };
		b->n_tr = (uint16_t)t;
		np++;
	}
	wb_sa(w, props, np);
}

void build_chosen(struct wbuf *w, unsigned proto, const struct chosen *c)
{
	struct wb_prop b;
	unsigned t = 0;

	memset(&b, 0, sizeof(b));
	b.num = c->num;
	b.proto = (uint8_t)proto;
	b.spi_size = c->spi_size;
	memcpy(b.spi, c->spi, sizeof(b.spi));
	b.tr[t++] = (struct pld_transform){ TRANS_ENCR, c->encr, c->encr_bits, false };
	if (proto == PROTO_IKE)
		b.tr[t++] = (struct pld_transform){ TRANS_PRF, c->prf, 0, false };
	if (c->dh && c->dh != 0xffff)
		b.tr[t++] = (struct pld_transform){ TRANS_DH, c->dh, 0, false };
	if (proto == PROTO_ESP)
		b.tr[t++] = (struct pld_transform){ TRANS_ESN, c->esn ? ESN_YES : ESN_NO, 0, false };
	b.n_tr = (uint16_t)t;
	wb_sa(w, &b, 1);
}

char *chosen_format(unsigned proto, const struct chosen *c, char *buf, size_t len)
{
	struct proposal p;

	memset(&p, 0, sizeof(p));
	p.n_encr = 1;
	p.encr[0].id = c->encr;
	p.encr[0].keybits = c->encr_bits;
	if (proto == PROTO_IKE) {
		p.n_prf = 1;
		p.prf[0] = c->prf;
	}
	if (c->dh && c->dh != 0xffff) {
		p.n_dh = 1;
		p.dh[0] = c->dh;
	}
	p.n_esn = 1;
	p.esn[0] = c->esn ? ESN_YES : ESN_NO;
	if (!proposal_transform_name(TRANS_ENCR, c->encr, c->encr_bits)) {
		snprintf(buf, len, "?");
		return buf;
	}
	return proposal_format(proto == PROTO_IKE ? PROP_IKE : PROP_ESP, &p, buf, len);
}

void ike_ts_resolve(const struct ts *in, unsigned n, const struct ip_addr *dyn, struct ts *out)
{
	for (unsigned i = 0; i < n; i++) {
		out[i] = in[i];
		if (in[i].dynamic) {
			unsigned alen = ip_family_len(dyn->family);

			out[i].dynamic = false;
			out[i].family = dyn->family;
			memset(out[i].lo, 0, sizeof(out[i].lo));
			memset(out[i].hi, 0, sizeof(out[i].hi));
			memcpy(out[i].lo, dyn->b, alen);
			memcpy(out[i].hi, dyn->b, alen);
		}
	}
}

unsigned ts_narrow(struct ike_engine *e, const char *what, const struct pld_ts *theirs,
		   const struct ts *ours, unsigned n_ours, struct ts *out, unsigned cap)
{
	unsigned n = 0;
	char a[TS_STR_MAX], b[TS_STR_MAX];

	for (unsigned i = 0; i < theirs->n; i++)
		for (unsigned j = 0; j < n_ours; j++) {
			struct ts r;
			bool dup = false;

			if (!ts_intersect(&theirs->ts[i], &ours[j], &r))
				continue;
			for (unsigned k = 0; k < n; k++)
				if (!memcmp(&out[k], &r, sizeof(r)))
					dup = true;
			if (!dup && n < cap)
				out[n++] = r;
		}
	if (n)
		return 0 + n;
	for (unsigned i = 0; i < theirs->n; i++)
		explain_add(e, 0, "%s %s", what, ts_format(&theirs->ts[i], a, sizeof(a)));
	for (unsigned j = 0; j < n_ours; j++)
		explain_add(e, 1, "%s %s", what, ts_format(&ours[j], b, sizeof(b)));
	snprintf(e->reason, sizeof(e->reason), "TS_UNACCEPTABLE: %s %s%s shares nothing with our %s%s",
		 what, ts_format(&theirs->ts[0], a, sizeof(a)), theirs->n > 1 ? " (and more)" : "",
		 n_ours ? ts_format(&ours[0], b, sizeof(b)) : "(none)", n_ours > 1 ? " (and more)" : "");
	return 0;
}
