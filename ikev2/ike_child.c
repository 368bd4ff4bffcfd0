// SPDX-License-Identifier: MIT
/*
 * CHILD SAs: their records, the negotiation shared by IKE_AUTH and
 * CREATE_CHILD_SA (§1.3), make-before-break rekeying with the §2.8.1
 * collision rule, and the hand-over to the datapath.
 */
#include "ike_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char *const child_states[] = {
	[CHILD_ST_CREATING] = "CREATING",
	[CHILD_ST_INSTALLED] = "INSTALLED",
	[CHILD_ST_REKEYING] = "REKEYING",
	[CHILD_ST_REKEYED] = "REKEYED",
	[CHILD_ST_DELETING] = "DELETING",
	[CHILD_ST_DEAD] = "DEAD",
};

const char *child_state_name(enum child_state s)
{
	return child_states[s];
}

static const char *cname(const struct child *c)
{
	return c->cfg ? c->cfg->name : "?";
}

void child_set_state(struct child *c, enum child_state st)
{
	if (c->state == st)
		return;
	log_info("CHILD SA %s/%s[%08x]: %s -> %s", sa_name(c->sa), cname(c), c->spi_in,
		 child_states[c->state], child_states[st]);
	c->state = st;
}

uint32_t child_alloc_spi(struct ike_engine *e)
{
	for (;;) {
		uint32_t spi = randombytes_random();

		if (spi >= IKE_MIN_SPI && !child_find(e, spi))
			return spi;
	}
}

struct child *child_new(struct ike_sa *sa, const struct ike_child_cfg *cfg)
{
	struct child *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sa = sa;
	c->cfg = cfg;
	c->state = CHILD_ST_CREATING;
	c->spi_in = child_alloc_spi(sa->e);
	if (child_index(sa->e, c) < 0) {
		free(c);
		return NULL;
	}
	c->mode = cfg ? cfg->mode : IKE_MODE_TUNNEL;
	c->next = sa->children;
	sa->children = c;
	sa->e->n_children++;
	return c;
}

struct child *child_by_spi_in(struct ike_sa *sa, uint32_t spi)
{
	for (struct child *c = sa->children; c; c = c->next)
		if (c->spi_in == spi)
			return c;
	return NULL;
}

struct child *child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
	for (struct child *c = sa->children; c; c = c->next)
		if (c->spi_out == spi && c->state != CHILD_ST_CREATING)
			return c;
	return NULL;
}

static void fill_sa(const struct child *c, struct ike_child_sa *s)
{
	const struct ike_sa *sa = c->sa;

	memset(s, 0, sizeof(*s));
	s->conn = sa_name(sa);
	s->child = cname(c);
	s->spi_in = c->spi_in;
	s->spi_out = c->spi_out;
	s->mode = c->mode;
	s->encr = c->encr;
	s->encr_bits = c->encr_bits;
	s->esn = c->esn;
	s->local = sa->local;
	s->remote = sa->remote;
	s->encap = sa->encap;
	s->n_local_ts = c->n_local_ts;
	s->n_remote_ts = c->n_remote_ts;
	s->local_ts = c->ts;
	s->remote_ts = c->ts ? c->ts + c->n_local_ts : NULL;
	s->replaces = c->replaces ? c->replaces->spi_in : 0;
	s->initiated = c->initiated;
	if (c->cfg) {
		s->replay_window = c->cfg->replay_window;
		s->life_bytes = c->cfg->life_bytes;
		s->life_packets = c->cfg->life_packets;
	}
}

void child_free(struct child *c, bool remove_from_dp, const char *reason)
{
	struct ike_sa *sa = c->sa;
	struct ike_engine *e = sa->e;
	struct child **pp;

	if (c->installed && remove_from_dp && e->env.child_remove) {
		struct ike_child_sa s;

		fill_sa(c, &s);
		e->env.child_remove(e->env.ctx, &s);
	}
	/* A child replaced by a rekey ends quietly: its successor is up. */
	if (c->installed && reason && c->state != CHILD_ST_REKEYED)
		sa_emit(sa, IKE_EV_CHILD_DOWN, c, reason);
	child_set_state(c, CHILD_ST_DEAD);
	for (pp = &sa->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	for (struct child *o = sa->children; o; o = o->next)
		if (o->replaces == c)
			o->replaces = NULL;
	if (sa->act.child == c)
		sa->act.child = NULL;
	if (sa->act.new_child == c)
		sa->act.new_child = NULL;
	for (unsigned i = 0; i < sa->n_tasks;) {
		if (sa->tasks[i].child == c) {
			memmove(&sa->tasks[i], &sa->tasks[i + 1],
				(sa->n_tasks - i - 1) * sizeof(sa->tasks[0]));
			sa->n_tasks--;
		} else {
			i++;
		}
	}
	e->n_children--;
	child_unindex(e, c);
	free(c->ts);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

void child_schedule(struct child *c)
{
	uint32_t t = c->cfg ? c->cfg->rekey_time : 0;
	uint64_t now = c->sa->e->now;

	c->rekey_at = sa_jitter(now, t);
	c->expire_at = t ? now + (uint64_t)t * 1000 * (100 + IKE_OVERTIME_PCT) / 100 : 0;
}

/* keymat: the initiator→responder key+salt, then responder→initiator. */
int child_install(struct child *c, const uint8_t *keymat, bool initiator_of_exchange)
{
	struct ike_engine *e = c->sa->e;
	struct ike_child_sa s;
	unsigned klen = proposal_encr_keylen(c->encr, c->encr_bits) + proposal_encr_saltlen(c->encr);

	fill_sa(c, &s);
	s.key_len = (uint8_t)klen;
	s.key_out = initiator_of_exchange ? keymat : keymat + klen;
	s.key_in = initiator_of_exchange ? keymat + klen : keymat;
	if (e->env.child_install && e->env.child_install(e->env.ctx, &s) != 0)
		return -1;
	c->installed = true;
	c->established = e->now;
	e->st.child_up++;
	child_set_state(c, CHILD_ST_INSTALLED);
	child_schedule(c);
	return 0;
}

static void keep_min_nonce(struct child *c, const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	/* §2.8.1 orders colliding rekeys by the lowest of their nonces. */
	const uint8_t *m = memcmp(a, b, al < bl ? al : bl) <= 0 ? a : b;
	size_t ml = m == a ? al : bl;

	memset(c->min_nonce, 0, sizeof(c->min_nonce));
	memcpy(c->min_nonce, m, ml < IKE_NONCE_KEEP ? ml : IKE_NONCE_KEEP);
}

static bool set_ts(struct child *c, const struct ts *l, unsigned nl, const struct ts *r, unsigned nr)
{
	struct ts *t = malloc((nl + nr) * sizeof(*t));

	if (!t)
		return false;
	memcpy(t, l, nl * sizeof(*t));
	memcpy(t + nl, r, nr * sizeof(*t));
	free(c->ts);
	c->ts = t;
	c->n_local_ts = (uint8_t)nl;
	c->n_remote_ts = (uint8_t)nr;
	return true;
}

static unsigned esp_keymat_len(const struct child *c)
{
	return 2 * (proposal_encr_keylen(c->encr, c->encr_bits) + proposal_encr_saltlen(c->encr));
}

void child_build_request(struct ike_sa *sa, struct wbuf *w, struct child *c,
			 const struct exch *xc, bool with_nonce)
{
	struct exch *x = (struct exch *)xc;
	const struct ike_child_cfg *cfg = c->cfg;
	struct ts l[IKE_CFG_MAX_TS], r[IKE_CFG_MAX_TS];
	uint8_t spi[4];

	if (cfg->mode == IKE_MODE_TRANSPORT)
		wb_notify(w, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	put_be32(spi, c->spi_in);
	x->dh_group = 0;
	if (with_nonce && cfg->n_esp && cfg->esp[0].n_dh && cfg->esp[0].dh[0] == DH_CURVE25519)
		x->dh_group = DH_CURVE25519;	/* PFS with the preferred group */
	build_proposals(w, PROTO_ESP, cfg->esp, cfg->n_esp, spi, 4, x->dh_group, with_nonce);
	if (with_nonce) {
		randombytes_buf(x->nonce, sizeof(x->nonce));
		wb_nonce(w, x->nonce, sizeof(x->nonce));
		if (x->dh_group) {
			uint8_t pub[IKE_X25519_LEN];

			ike_dh_keypair(x->dh_priv, pub);
			wb_ke(w, x->dh_group, pub, sizeof(pub));
		}
	}
	ike_ts_resolve(cfg->local_ts, cfg->n_local_ts, &sa->local.addr, l);
	ike_ts_resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote.addr, r);
	wb_ts(w, PLD_TSI, l, cfg->n_local_ts);
	wb_ts(w, PLD_TSR, r, cfg->n_remote_ts);
}

/* Our side of what the peer may narrow us to: every selector it returns
 * must lie inside one we offered. */
static bool within(const struct pld_ts *got, const struct ts *offered, unsigned n)
{
	for (unsigned i = 0; i < got->n; i++) {
		bool in = false;

		for (unsigned j = 0; j < n && !in; j++)
			in = ts_contains(&offered[j], &got->ts[i]);
		if (!in)
			return false;
	}
	return got->n > 0;
}

static void explain_request(struct ike_sa *sa, const struct child *c)
{
	struct ike_engine *e = sa->e;
	char b[PROP_STR_MAX];
	struct ts l[IKE_CFG_MAX_TS], r[IKE_CFG_MAX_TS];

	explain_reset(e);
	if (!c->cfg)
		return;
	for (unsigned i = 0; i < c->cfg->n_esp; i++)
		explain_add(e, 0, "ESP %s", proposal_format(PROP_ESP, &c->cfg->esp[i], b, sizeof(b)));
	ike_ts_resolve(c->cfg->local_ts, c->cfg->n_local_ts, &sa->local.addr, l);
	ike_ts_resolve(c->cfg->remote_ts, c->cfg->n_remote_ts, &sa->remote.addr, r);
	for (unsigned i = 0; i < c->cfg->n_local_ts; i++)
		explain_add(e, 0, "TSi %s", ts_format(&l[i], b, sizeof(b)));
	for (unsigned i = 0; i < c->cfg->n_remote_ts; i++)
		explain_add(e, 0, "TSr %s", ts_format(&r[i], b, sizeof(b)));
}

int child_complete(struct ike_sa *sa, struct child *c, const struct ike_msg *m,
		   const struct exch *x, const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len)
{
	struct ike_engine *e = sa->e;
	const struct ike_child_cfg *cfg = c->cfg;
	const struct pld *psa = pld_find(m, PLD_SA), *pi = pld_find(m, PLD_TSI);
	const struct pld *pr = pld_find(m, PLD_TSR);
	static struct pld_ts tsi, tsr;
	struct ts l[IKE_CFG_MAX_TS], r[IKE_CFG_MAX_TS];
	struct chosen ch;
	uint8_t keymat[2 * IKE_SK_E_MAX], shared[IKE_X25519_LEN];
	bool pfs = false, transport;
	const char *fail = NULL;
	int rc;

	for (unsigned i = 0; i < m->n; i++) {
		struct pld_notify n;

		if (m->p[i].type == PLD_NOTIFY && !pld_get_notify(&m->p[i], &n) &&
		    n.type <= N_ERROR_MAX) {
			const char *nn = pld_notify_name(n.type);
			const char *stage = n.type == N_TS_UNACCEPTABLE ? "ts" : "esp-proposal";

			explain_request(sa, c);
			snprintf(e->reason, sizeof(e->reason), "%s from peer", nn ? nn : "error");
			if (n.type == N_NO_PROPOSAL_CHOSEN || n.type == N_TS_UNACCEPTABLE ||
			    n.type == N_INVALID_KE_PAYLOAD)
				ike_emit_neg(e, sa_name(sa), stage, e->reason);
			else
				log_warn("%s: CHILD SA %s refused by peer: %s", sa_name(sa), cname(c),
					 e->reason);
			rc = n.type == N_TEMPORARY_FAILURE ? -2 : -1;
			child_free(c, false, NULL);
			return rc;
		}
	}
	ch.dh = x->dh_group ? 0 : 0xffff;
	if (!psa || !pi || !pr || pld_get_ts(pi, &tsi) || pld_get_ts(pr, &tsr))
		fail = "response lacks SA or traffic selectors";
	else if (check_chosen(psa, PROTO_ESP, cfg->esp, cfg->n_esp, &ch) || ch.spi_size != 4)
		fail = "responder chose an ESP proposal we did not offer";
	if (!fail && x->dh_group) {
		const struct pld *pk = pld_find(m, PLD_KE);
		struct pld_ke ke;

		if (ch.dh != x->dh_group || !pk || pld_get_ke(pk, &ke) || ke.group != x->dh_group ||
		    ike_dh_shared(x->dh_priv, ke.data, ke.len, shared) < 0)
			fail = "responder's PFS key exchange is missing or invalid";
		else
			pfs = true;
	}
	if (!fail) {
		ike_ts_resolve(cfg->local_ts, cfg->n_local_ts, &sa->local.addr, l);
		ike_ts_resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote.addr, r);
		if (!within(&tsi, l, cfg->n_local_ts) || !within(&tsr, r, cfg->n_remote_ts))
			fail = "responder's traffic selectors lie outside ours";
	}
	if (fail) {
		explain_request(sa, c);
		snprintf(e->reason, sizeof(e->reason), "%s", fail);
		ike_emit_neg(e, sa_name(sa), "esp-proposal", fail);
		child_free(c, false, NULL);
		return -1;
	}
	transport = cfg->mode == IKE_MODE_TRANSPORT && pld_find_notify(m, N_USE_TRANSPORT_MODE);
	if (cfg->mode == IKE_MODE_TRANSPORT && !transport)
		log_warn("%s: peer refused transport mode for %s, using tunnel mode", sa_name(sa),
			 cname(c));
	c->mode = transport ? IKE_MODE_TRANSPORT : IKE_MODE_TUNNEL;
	c->encr = ch.encr;
	c->encr_bits = ch.encr_bits;
	c->esn = ch.esn;
	c->dh = pfs ? (uint8_t)x->dh_group : 0;
	c->spi_out = get_be32(ch.spi);
	c->initiated = true;
	keep_min_nonce(c, ni, ni_len, nr, nr_len);
	if (!set_ts(c, tsi.ts, tsi.n, tsr.ts, tsr.n) ||
	    ike_child_keymat(&sa->keys, pfs ? shared : NULL, sizeof(shared), ni, ni_len, nr, nr_len,
			     keymat, esp_keymat_len(c)) ||
	    child_install(c, keymat, true)) {
		sodium_memzero(keymat, sizeof(keymat));
		sodium_memzero(shared, sizeof(shared));
		log_err("%s: CHILD SA %s could not be installed", sa_name(sa), cname(c));
		child_free(c, false, NULL);
		return -1;
	}
	sodium_memzero(keymat, sizeof(keymat));
	sodium_memzero(shared, sizeof(shared));
	sa_emit(sa, c->replaces ? IKE_EV_REKEYED : IKE_EV_CHILD_UP, c, NULL);
	return 0;
}

struct child *child_respond(struct ike_sa *sa, const struct ike_msg *m, struct wbuf *w,
			    const uint8_t *ni, size_t ni_len, const uint8_t *nr_in, size_t nr_in_len,
			    bool in_auth, struct child *old)
{
	struct ike_engine *e = sa->e;
	const struct pld *psa = pld_find(m, PLD_SA), *pi = pld_find(m, PLD_TSI);
	const struct pld *pr = pld_find(m, PLD_TSR);
	static struct pld_ts tsi, tsr;
	static struct ts ni_ts[IKE_MAX_TS], nr_ts[IKE_MAX_TS];
	struct ts l[IKE_CFG_MAX_TS], r[IKE_CFG_MAX_TS];
	const struct ike_child_cfg *win = NULL, *first_ts = NULL, *first_prop = NULL;
	unsigned n_i = 0, n_r = 0;
	struct chosen ch;
	uint8_t keymat[2 * IKE_SK_E_MAX], shared[IKE_X25519_LEN], nr[IKE_NONCE_LEN];
	uint8_t pub[IKE_X25519_LEN], dh_priv[IKE_X25519_LEN];
	bool pfs = false;
	struct child *c;
	uint8_t spi[4];

	if (!psa || !pi || !pr || pld_sa_validate(psa) || pld_get_ts(pi, &tsi) ||
	    pld_get_ts(pr, &tsr)) {
		wb_notify(w, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
		return NULL;
	}
	/* The first child, in configured order, whose selectors and proposals
	 * both fit; a rekey stays with the child it replaces. */
	for (unsigned k = 0; k < sa->conn->cfg.n_children && !win; k++) {
		const struct ike_child_cfg *cfg = &sa->conn->cfg.children[k];

		if (old && old->cfg != cfg)
			continue;
		explain_reset(e);
		ike_ts_resolve(cfg->local_ts, cfg->n_local_ts, &sa->local.addr, l);
		ike_ts_resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote.addr, r);
		/* TSi is the initiator's side: our remote. */
		n_i = ts_narrow(e, "TSi", &tsi, r, cfg->n_remote_ts, ni_ts, IKE_MAX_TS);
		n_r = n_i ? ts_narrow(e, "TSr", &tsr, l, cfg->n_local_ts, nr_ts, IKE_MAX_TS) : 0;
		if (!n_i || !n_r) {
			if (!first_ts)
				first_ts = cfg;
			continue;
		}
		ch.dh = in_auth ? 0xffff : 0;
		if (select_proposal(e, psa, PROTO_ESP, cfg->esp, cfg->n_esp, &ch)) {
			if (!first_prop)
				first_prop = cfg;
			continue;
		}
		win = cfg;
	}
	if (!win) {
		/* Explain against the first child that got furthest. */
		const struct ike_child_cfg *cfg = first_prop ? first_prop : first_ts;
		bool ts_fail = !first_prop;

		explain_reset(e);
		if (cfg && ts_fail) {
			ike_ts_resolve(cfg->local_ts, cfg->n_local_ts, &sa->local.addr, l);
			ike_ts_resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote.addr, r);
			if (ts_narrow(e, "TSi", &tsi, r, cfg->n_remote_ts, ni_ts, IKE_MAX_TS))
				ts_narrow(e, "TSr", &tsr, l, cfg->n_local_ts, nr_ts, IKE_MAX_TS);
		} else if (cfg) {
			ch.dh = in_auth ? 0xffff : 0;
			select_proposal(e, psa, PROTO_ESP, cfg->esp, cfg->n_esp, &ch);
		} else {
			snprintf(e->reason, sizeof(e->reason), "the connection has no children");
		}
		ike_emit_neg(e, sa_name(sa), ts_fail ? "ts" : "esp-proposal",
			     ts_fail ? "TS_UNACCEPTABLE" : "NO_PROPOSAL_CHOSEN");
		wb_notify(w, 0, NULL, 0, ts_fail ? N_TS_UNACCEPTABLE : N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return NULL;
	}
	if (!in_auth && ch.dh && ch.dh != 0xffff) {
		const struct pld *pk = pld_find(m, PLD_KE);
		struct pld_ke ke;

		if (!pk || pld_get_ke(pk, &ke) || ke.group != ch.dh) {
			uint8_t g[2];

			put_be16(g, ch.dh);
			wb_notify(w, 0, NULL, 0, N_INVALID_KE_PAYLOAD, g, 2);
			return NULL;
		}
		ike_dh_keypair(dh_priv, pub);
		if (ike_dh_shared(dh_priv, ke.data, ke.len, shared) < 0) {
			sodium_memzero(dh_priv, sizeof(dh_priv));
			wb_notify(w, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
			return NULL;
		}
		sodium_memzero(dh_priv, sizeof(dh_priv));
		pfs = true;
	}
	if (!nr_in) {
		randombytes_buf(nr, sizeof(nr));
		nr_in = nr;
		nr_in_len = sizeof(nr);
	}
	c = child_new(sa, win);
	if (!c) {
		wb_notify(w, 0, NULL, 0, N_NO_ADDITIONAL_SAS, NULL, 0);
		return NULL;
	}
	c->mode = win->mode == IKE_MODE_TRANSPORT && pld_find_notify(m, N_USE_TRANSPORT_MODE)
		? IKE_MODE_TRANSPORT : IKE_MODE_TUNNEL;
	c->encr = ch.encr;
	c->encr_bits = ch.encr_bits;
	c->esn = ch.esn;
	c->dh = pfs ? (uint8_t)ch.dh : 0;
	c->spi_out = get_be32(ch.spi);
	c->replaces = old;
	keep_min_nonce(c, ni, ni_len, nr_in, nr_in_len);
	/* Our local selectors are the narrowed TSr, the remote ones TSi. */
	if (!set_ts(c, nr_ts, n_r, ni_ts, n_i) ||
	    ike_child_keymat(&sa->keys, pfs ? shared : NULL, sizeof(shared), ni, ni_len, nr_in,
			     nr_in_len, keymat, esp_keymat_len(c)) ||
	    child_install(c, keymat, false)) {
		sodium_memzero(keymat, sizeof(keymat));
		sodium_memzero(shared, sizeof(shared));
		child_free(c, false, NULL);
		wb_notify(w, 0, NULL, 0, N_NO_ADDITIONAL_SAS, NULL, 0);
		return NULL;
	}
	sodium_memzero(keymat, sizeof(keymat));
	sodium_memzero(shared, sizeof(shared));
	if (c->mode == IKE_MODE_TRANSPORT)
		wb_notify(w, 0, NULL, 0, N_USE_TRANSPORT_MODE, NULL, 0);
	put_be32(spi, c->spi_in);
	memcpy(ch.spi, spi, 4);
	ch.spi_size = 4;
	if (in_auth)
		ch.dh = 0;
	build_chosen(w, PROTO_ESP, &ch);
	if (!in_auth) {
		wb_nonce(w, nr_in, nr_in_len);
		if (pfs)
			wb_ke(w, ch.dh, pub, sizeof(pub));
	}
	wb_ts(w, PLD_TSI, ni_ts, n_i);
	wb_ts(w, PLD_TSR, nr_ts, n_r);
	if (old && old->state == CHILD_ST_INSTALLED)
		child_set_state(old, CHILD_ST_REKEYED);	/* the initiator will delete it */
	if (old)
		old->rekey_at = 0;
	sa_emit(sa, old ? IKE_EV_REKEYED : IKE_EV_CHILD_UP, c, NULL);
	return c;
}

/* ---- tasks ---- */

int child_create_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	if (!x->child || !x->child->cfg)
		return -1;
	child_build_request(sa, w, x->child, x, true);
	return 0;
}

static int nonce_of(const struct ike_msg *m, const uint8_t **n, uint16_t *len)
{
	const struct pld *p = pld_find(m, PLD_NONCE);

	return p ? (int)pld_get_nonce(p, n, len) : -1;
}

int child_create_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	const uint8_t *nr = NULL;
	uint16_t nr_len = 0;
	struct child *c = x->child;

	if (!c)
		return 0;
	if (nonce_of(m, &nr, &nr_len) && !pld_find(m, PLD_NOTIFY)) {
		child_free(c, false, NULL);
		return 0;
	}
	if (!nr) {
		nr = x->nonce;	/* error responses carry no nonce */
		nr_len = sizeof(x->nonce);
	}
	child_complete(sa, c, m, x, x->nonce, sizeof(x->nonce), nr, nr_len);
	return 0;
}

int child_rekey_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	struct child *old = x->child, *c;
	uint8_t spi[4];

	if (!old || old->state != CHILD_ST_INSTALLED)
		return -1;
	c = child_new(sa, old->cfg);
	if (!c)
		return -1;
	c->replaces = old;
	x->new_child = c;
	child_set_state(old, CHILD_ST_REKEYING);
	/* §1.3.3: REKEY_SA names the SA being replaced by our inbound SPI. */
	put_be32(spi, old->spi_in);
	wb_notify(w, PROTO_ESP, spi, 4, N_REKEY_SA, NULL, 0);
	child_build_request(sa, w, c, x, true);
	return 0;
}

/* The child a peer's colliding rekey created for the same old child. */
static struct child *passive_rekey_of(struct ike_sa *sa, const struct child *old,
				      const struct child *mine)
{
	for (struct child *c = sa->children; c; c = c->next)
		if (c != mine && c->replaces == old && !c->initiated && c->state == CHILD_ST_INSTALLED)
			return c;
	return NULL;
}

int child_rekey_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	struct child *old = x->child, *c = x->new_child, *other;
	const uint8_t *nr = NULL;
	uint16_t nr_len = 0;
	int rc;

	if (!c)
		return 0;
	if (nonce_of(m, &nr, &nr_len)) {
		nr = x->nonce;
		nr_len = sizeof(x->nonce);
	}
	rc = child_complete(sa, c, m, x, x->nonce, sizeof(x->nonce), nr, nr_len);
	if (rc < 0) {
		if (old && old->state == CHILD_ST_REKEYING) {
			child_set_state(old, CHILD_ST_INSTALLED);
			/* §2.25: TEMPORARY_FAILURE means try again a little later. */
			old->retry_at = sa->e->now + IKE_RETRY_MS + randombytes_uniform(IKE_RETRY_MS);
		}
		return 0;
	}
	if (!old) {
		/* The peer deleted the old one meanwhile: ours simply stays. */
		return 0;
	}
	other = passive_rekey_of(sa, old, c);
	if (other && memcmp(c->min_nonce, other->min_nonce, IKE_NONCE_KEEP) < 0) {
		/* §2.8.1: ours has the lowest nonce, so ours is redundant; we
		 * close it, and the peer closes the old one. */
		log_info("%s: rekey collision on %s, the peer's rekey wins", sa_name(sa), cname(c));
		child_set_state(c, CHILD_ST_REKEYED);
		child_set_state(old, CHILD_ST_REKEYED);
		c->rekey_at = c->expire_at = 0;
		sa_queue(sa, TASK_CHILD_DELETE, NULL, c);
		return 0;
	}
	if (other)
		log_info("%s: rekey collision on %s, our rekey wins", sa_name(sa), cname(c));
	child_set_state(old, CHILD_ST_REKEYED);
	old->rekey_at = 0;
	sa_queue(sa, TASK_CHILD_DELETE, NULL, old);
	return 0;
}

int child_delete_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	struct child *c = x->child;
	uint8_t spi[4];

	if (!c || c->state == CHILD_ST_DEAD)
		return -1;
	if (c->state != CHILD_ST_REKEYED)
		child_set_state(c, CHILD_ST_DELETING);
	put_be32(spi, c->spi_in);
	wb_delete(w, PROTO_ESP, spi, 4, 1);
	return 0;
}

int child_delete_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	if (x->child)
		child_free(x->child, true, "deleted");
	return 0;
}

void create_child_respond(struct ike_sa *sa, struct ike_msg *m)
{
	const struct pld *psa = pld_find(m, PLD_SA), *prk = pld_find_notify(m, N_REKEY_SA);
	const uint8_t *ni;
	uint16_t ni_len;
	struct child *old = NULL;
	struct wbuf w;
	struct pld_sa_iter it;
	struct pld_proposal pr;

	msg_begin(sa, &w, EXCH_CREATE_CHILD_SA, true, m->hdr.msgid);
	if (!psa || pld_sa_validate(psa) || nonce_of(m, &ni, &ni_len)) {
		wb_notify(&w, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
		goto out;
	}
	if (sa->state != IKE_ST_ESTABLISHED) {
		/* §2.25.2: closing or rekeyed SAs take nothing new. */
		wb_notify(&w, 0, NULL, 0, N_TEMPORARY_FAILURE, NULL, 0);
		goto out;
	}
	pld_sa_iter_init(&it, psa);
	if (pld_sa_next(&it, &pr) && pr.proto == PROTO_IKE) {
		ike_rekey_respond(sa, m, &w, ni, ni_len);
		goto out;
	}
	if (prk) {
		struct pld_notify n;

		if (pld_get_notify(prk, &n) || n.proto != PROTO_ESP || n.spi_size != 4) {
			wb_notify(&w, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
			goto out;
		}
		old = child_by_spi_out(sa, get_be32(n.spi));
		if (!old || old->state == CHILD_ST_DELETING || old->state == CHILD_ST_REKEYED) {
			wb_notify(&w, PROTO_ESP, n.spi, 4, old ? N_TEMPORARY_FAILURE : N_CHILD_SA_NOT_FOUND,
				  NULL, 0);
			goto out;
		}
	}
	child_respond(sa, m, &w, ni, ni_len, NULL, 0, false, old);
out:
	if (msg_end(sa, &w) == PLD_OK)
		sa_send_response(sa, &w);
}
