// SPDX-License-Identifier: MIT
/*
 * IKE SA rekeying (RFC 7296 §1.3.2, §2.18): a CREATE_CHILD_SA exchange
 * whose SA payload carries protocol IKE and the new SPI, new keys from
 * SK_d of the old SA, the children moving over, and the initiator deleting
 * the old SA. When both peers rekey at once, the exchange with the lowest
 * nonce loses (§2.8.1): its initiator deletes the SA it made.
 */
#include "ike_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void sa_adopt_children(struct ike_sa *to, struct ike_sa *from)
{
	struct child *c;

	while ((c = from->children)) {
		from->children = c->next;
		c->sa = to;
		c->next = to->children;
		to->children = c;
	}
	/* Nothing queued on the old SA may act on children it no longer has. */
	for (unsigned i = 0; i < from->n_tasks;) {
		if (from->tasks[i].child) {
			memmove(&from->tasks[i], &from->tasks[i + 1],
				(from->n_tasks - i - 1) * sizeof(from->tasks[0]));
			from->n_tasks--;
		} else {
			i++;
		}
	}
	if (from->act.kind != TASK_IKE_REKEY) {
		from->act.child = NULL;
		from->act.new_child = NULL;
	}
	sa_timers(to);
}

/* A successor SA carrying over everything but keys and SPIs. */
static struct ike_sa *successor(struct ike_sa *old, bool initiator, uint64_t my_spi,
				uint64_t peer_spi)
{
	struct ike_engine *e = old->e;
	struct ike_sa *n = sa_new(e, initiator, e->now);

	if (!n)
		return NULL;
	/* sa_new drew a SPI; take the one already on the wire instead. */
	if (initiator)
		sa_set_spis(n, my_spi, peer_spi);
	else
		sa_set_spis(n, peer_spi, my_spi);
	sa_set_conn(n, old->conn);
	n->local = old->local;
	n->remote = old->remote;
	n->nat_local = old->nat_local;
	n->nat_remote = old->nat_remote;
	n->encap = old->encap;
	n->peer_id = old->peer_id;
	n->my_id = old->my_id;
	n->restart_on_down = old->restart_on_down;
	if (old->keepalive_at)
		n->keepalive_at = e->now + e->o.keepalive_ms;
	return n;
}

static void up(struct ike_sa *n)
{
	n->established = n->e->now;
	sa_set_state(n, IKE_ST_ESTABLISHED);
	sa_schedule_rekey(n);
}

static void supersede(struct ike_sa *old, struct ike_sa *n)
{
	old->superseded = true;
	old->rekeyed_to = n;
	n->pointed_at = true;
	old->rekey_at = old->dpd_at = old->keepalive_at = 0;
	sa_set_state(old, IKE_ST_REKEYED);
}

int ike_rekey_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	struct ike_engine *e = sa->e;
	uint8_t spi[8], pub[IKE_X25519_LEN];

	if (sa->state != IKE_ST_ESTABLISHED || !sa->conn)
		return -1;
	do
		randombytes_buf(&x->new_spi, sizeof(x->new_spi));
	while (!x->new_spi || sa_by_spi(e, x->new_spi));
	put_be64(spi, x->new_spi);
	x->dh_group = sa->dh_group ? sa->dh_group : DH_CURVE25519;
	build_proposals(w, PROTO_IKE, sa->conn->cfg.ike, sa->conn->cfg.n_ike, spi, 8, x->dh_group, true);
	randombytes_buf(x->nonce, sizeof(x->nonce));
	wb_nonce(w, x->nonce, sizeof(x->nonce));
	ike_dh_keypair(x->dh_priv, pub);
	wb_ke(w, x->dh_group, pub, sizeof(pub));
	return 0;
}

static void keep_min(uint8_t out[IKE_NONCE_KEEP], const uint8_t *a, size_t al, const uint8_t *b,
		     size_t bl)
{
	const uint8_t *m = memcmp(a, b, al < bl ? al : bl) <= 0 ? a : b;
	size_t ml = m == a ? al : bl;

	memset(out, 0, IKE_NONCE_KEEP);
	memcpy(out, m, ml < IKE_NONCE_KEEP ? ml : IKE_NONCE_KEEP);
}

int ike_rekey_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	struct ike_engine *e = sa->e;
	const struct conn *c = sa->conn;
	const struct pld *psa = pld_find(m, PLD_SA), *pke = pld_find(m, PLD_KE);
	const struct pld *pno = pld_find(m, PLD_NONCE);
	struct pld_notify n;
	struct pld_ke ke;
	struct chosen ch;
	const uint8_t *nr;
	uint16_t nr_len;
	uint8_t shared[IKE_X25519_LEN], mine[IKE_NONCE_KEEP];
	struct ike_sa *ns;

	for (unsigned i = 0; i < m->n; i++)
		if (m->p[i].type == PLD_NOTIFY && !pld_get_notify(&m->p[i], &n) &&
		    n.type <= N_ERROR_MAX) {
			const char *nn = pld_notify_name(n.type);

			log_warn("%s: IKE rekey refused by peer: %s", sa_name(sa), nn ? nn : "error");
			if (sa->passive_new) {
				/* The peer's own rekey went through instead. */
				struct ike_sa *p = sa->passive_new;

				sa->passive_new = NULL;
				sa_adopt_children(p, sa);
				supersede(sa, p);
				return 0;
			}
			/* Try again later; the hard lifetime still bounds it. */
			sa->rekey_at = e->now + IKE_RETRY_MS + randombytes_uniform(4 * IKE_RETRY_MS);
			return 0;
		}
	ch.dh = 0;
	if (!psa || !pke || !pno || check_chosen(psa, PROTO_IKE, c->cfg.ike, c->cfg.n_ike, &ch) ||
	    ch.spi_size != 8 || ch.dh != x->dh_group || pld_get_ke(pke, &ke) ||
	    ke.group != x->dh_group || pld_get_nonce(pno, &nr, &nr_len) ||
	    ike_dh_shared(x->dh_priv, ke.data, ke.len, shared) < 0) {
		log_warn("%s: invalid IKE rekey response, keeping the SA", sa_name(sa));
		sa->rekey_at = e->now + IKE_RETRY_MS;
		return 0;
	}
	ns = successor(sa, true, x->new_spi, get_be64(ch.spi));
	if (!ns || ike_derive_keys(&ns->keys, ch.prf, ch.encr, ch.encr_bits, shared, sizeof(shared),
				   x->nonce, sizeof(x->nonce), nr, nr_len, ns->spi_i, ns->spi_r,
				   sa->keys.prf, sa->keys.sk_d)) {
		sodium_memzero(shared, sizeof(shared));
		if (ns)
			sa_down(ns, "key derivation failed", false);
		return 0;
	}
	sodium_memzero(shared, sizeof(shared));
	ns->dh_group = ch.dh;
	up(ns);
	keep_min(mine, x->nonce, sizeof(x->nonce), nr, nr_len);
	if (sa->passive_new && memcmp(mine, sa->min_nonce, IKE_NONCE_KEEP) < 0) {
		/* §2.8.1: our exchange has the lowest nonce, ours is redundant. */
		struct ike_sa *p = sa->passive_new;

		log_info("%s: IKE rekey collision, the peer's rekey wins", sa_name(sa));
		sa->passive_new = NULL;
		sa_adopt_children(p, sa);
		supersede(sa, p);
		ns->superseded = true;
		sa_queue(ns, TASK_IKE_DELETE, NULL, NULL);
		sa_run(ns);
		return 0;
	}
	if (sa->passive_new) {
		struct ike_sa *p = sa->passive_new;

		log_info("%s: IKE rekey collision, our rekey wins", sa_name(sa));
		/*
		 * The peer deletes its redundant SA once it has our answer
		 * (§2.8.1). If that answer was lost, our Delete of the old SA
		 * ends its exchange first and a peer may drop the SA without a
		 * word (strongSwan does): once our Delete has had all its
		 * retransmissions, nothing can complete the peer's rekey, and
		 * we end the SA ourselves.
		 */
		p->redundant = p->superseded = true;
		p->rekey_at = p->dpd_at = 0;
		p->expire_at = e->now + ((uint64_t)e->o.retransmit_ms << (e->o.retransmit_tries + 1));
		sa_timers(p);
	}
	sa->passive_new = NULL;
	sa_adopt_children(ns, sa);
	supersede(sa, ns);
	sa_emit(ns, IKE_EV_REKEYED, NULL, NULL);
	sa_queue(sa, TASK_IKE_DELETE, NULL, NULL);
	sa_run(ns);
	return 0;
}

void ike_rekey_respond(struct ike_sa *sa, const struct ike_msg *m, struct wbuf *w,
		       const uint8_t *ni, size_t ni_len)
{
	struct ike_engine *e = sa->e;
	const struct conn *c = sa->conn;
	const struct pld *psa = pld_find(m, PLD_SA), *pke = pld_find(m, PLD_KE);
	struct pld_ke ke;
	struct chosen ch;
	uint8_t nr[IKE_NONCE_LEN], pub[IKE_X25519_LEN], priv[IKE_X25519_LEN];
	uint8_t shared[IKE_X25519_LEN], spi[8];
	struct ike_sa *ns;
	uint64_t my_spi;

	/* §2.25.2: not while our own child exchange is in flight. */
	if (sa->act.kind == TASK_CHILD_CREATE || sa->act.kind == TASK_CHILD_REKEY) {
		wb_notify(w, 0, NULL, 0, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	ch.dh = 0;
	if (select_proposal(e, psa, PROTO_IKE, c->cfg.ike, c->cfg.n_ike, &ch) || ch.spi_size != 8) {
		ike_emit_neg(e, sa_name(sa), "ike-proposal", "NO_PROPOSAL_CHOSEN");
		wb_notify(w, 0, NULL, 0, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (!pke || pld_get_ke(pke, &ke) || ke.group != ch.dh) {
		uint8_t g[2];

		put_be16(g, ch.dh);
		wb_notify(w, 0, NULL, 0, N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	ike_dh_keypair(priv, pub);
	if (ike_dh_shared(priv, ke.data, ke.len, shared) < 0) {
		sodium_memzero(priv, sizeof(priv));
		wb_notify(w, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	sodium_memzero(priv, sizeof(priv));
	randombytes_buf(nr, sizeof(nr));
	do
		randombytes_buf(&my_spi, sizeof(my_spi));
	while (!my_spi || sa_by_spi(e, my_spi));
	ns = successor(sa, false, my_spi, get_be64(ch.spi));
	if (!ns || ike_derive_keys(&ns->keys, ch.prf, ch.encr, ch.encr_bits, shared, sizeof(shared),
				   ni, ni_len, nr, sizeof(nr), ns->spi_i, ns->spi_r, sa->keys.prf,
				   sa->keys.sk_d)) {
		sodium_memzero(shared, sizeof(shared));
		if (ns)
			sa_down(ns, "key derivation failed", false);
		wb_notify(w, 0, NULL, 0, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	sodium_memzero(shared, sizeof(shared));
	ns->dh_group = ch.dh;
	up(ns);
	put_be64(spi, my_spi);
	memcpy(ch.spi, spi, 8);
	build_chosen(w, PROTO_IKE, &ch);
	wb_nonce(w, nr, sizeof(nr));
	wb_ke(w, ch.dh, pub, sizeof(pub));
	if (sa->act.kind == TASK_IKE_REKEY) {
		/* A collision: which one survives is settled when our own
		 * rekey's response arrives. */
		sa->passive_new = ns;
		ns->pointed_at = true;
		keep_min(sa->min_nonce, ni, ni_len, nr, sizeof(nr));
		return;
	}
	sa_adopt_children(ns, sa);
	supersede(sa, ns);
	sa_emit(ns, IKE_EV_REKEYED, NULL, NULL);
}
