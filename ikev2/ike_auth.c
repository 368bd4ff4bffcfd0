// SPDX-License-Identifier: MIT
/*
 * IKE_AUTH (RFC 7296 §1.2) with pre-shared keys (§2.15): identities, the
 * AUTH values, the choice of connection by identity on the responder, and
 * the first CHILD SA. A failure says which side failed and why, because
 * "AUTHENTICATION_FAILED" alone does not tell an operator whether the key
 * or the identity is wrong.
 */
#include "ike_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Our identity: the configured one, else our address (docs/config.md). */
static void my_identity(struct ike_sa *sa, const struct conn *c)
{
	if (c->cfg.local_id.type && !c->cfg.local_id.any)
		sa->my_id = c->cfg.local_id;
	else
		ike_id_of_addr(&sa->local.addr, &sa->my_id);
}

/* The ID payload body as signed: type, three reserved bytes, data. */
static size_t id_body(const struct ike_id *id, uint8_t *out)
{
	out[0] = id->type;
	out[1] = out[2] = out[3] = 0;
	memcpy(out + 4, id->data, id->len);
	return 4 + (size_t)id->len;
}

static void auth_value(const struct ike_sa *sa, const struct conn *c, bool initiator_side,
		       const struct ike_id *id, uint8_t *out)
{
	const struct handshake *hs = sa->hs;
	uint8_t body[4 + IKE_IDENT_MAX];
	size_t blen = id_body(id, body);

	/* InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI and
	 * the responder's mirror image (§2.15). */
	if (initiator_side)
		ike_psk_auth(sa->keys.prf, c->cfg.psk, c->cfg.psk_len, hs->msg_i, hs->msg_i_len,
			     hs->nr, hs->nr_len, sa->keys.sk_pi, sa->keys.prf_len, body, blen, out);
	else
		ike_psk_auth(sa->keys.prf, c->cfg.psk, c->cfg.psk_len, hs->msg_r, hs->msg_r_len,
			     hs->ni, hs->ni_len, sa->keys.sk_pr, sa->keys.prf_len, body, blen, out);
}

static void id_from_pld(const struct pld_id *p, struct ike_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = p->type;
	out->len = (uint8_t)p->len;
	memcpy(out->data, p->data, p->len);
}

static void established(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	char a[2 * IKE_IDENT_MAX + 8], b[2 * IKE_IDENT_MAX + 8];

	sa->timeout_at = 0;
	sa->established = e->now;
	sa_set_state(sa, IKE_ST_ESTABLISHED);
	sa_schedule_rekey(sa);
	if (sa->conn)
		reinit_clear(e, sa->conn, true);	/* the peer answers: back-off over */
	e->st.ike_up++;
	log_info("IKE SA %s[%016llx] established: %s <-> %s", sa_name(sa),
		 (unsigned long long)sa_my_spi(sa), ike_id_format(&sa->my_id, a, sizeof(a)),
		 ike_id_format(&sa->peer_id, b, sizeof(b)));
	sa_emit(sa, IKE_EV_IKE_UP, NULL, NULL);
}

static void hs_done(struct ike_sa *sa)
{
	struct handshake *hs = sa->hs;

	sa->hs = NULL;
	free(hs->msg_i);
	free(hs->msg_r);
	sodium_memzero(hs, sizeof(*hs));
	free(hs);
}

/* §2.21.2: tell the responder we could not accept it, once, then go. */
static void send_auth_failed(struct ike_sa *sa)
{
	struct wbuf w;

	msg_begin(sa, &w, EXCH_INFORMATIONAL, false, sa->msgid_out++);
	wb_notify(&w, 0, NULL, 0, N_AUTHENTICATION_FAILED, NULL, 0);
	if (msg_end(sa, &w) == PLD_OK)
		send_raw(sa->e, &sa->local, &sa->remote, w.p, w.len);
}

/*
 * Any other IKE SA of this connection with this peer, up or on its way up
 * (ours or the peer's)? Then INITIAL_CONTACT would be false (§2.4: "I have
 * no other state with you"): when both ends initiate at once, each would
 * delete the SA the other is setting up and keeps.
 */
static bool has_contact(const struct ike_sa *sa)
{
	for (const struct ike_sa *o = sa->e->sas; o; o = o->next)
		if (o != sa && o->conn == sa->conn && o->state != IKE_ST_DEAD &&
		    o->state != IKE_ST_DELETING && addr_equal(&o->remote.addr, &sa->remote.addr))
			return true;
	return false;
}

/* Does a survive b? The same answer on both ends: SPIs are shared knowledge. */
static bool survives(const struct ike_sa *a, const struct ike_sa *b)
{
	return a->spi_i != b->spi_i ? a->spi_i < b->spi_i : a->spi_r < b->spi_r;
}

/*
 * Both ends initiated at once and both IKE SAs came up: two tunnels where
 * one is wanted. Each end sees the pair once the second is up on it and
 * picks the same survivor; the initiator of the other deletes it with an
 * ordinary (retransmitted) Delete, which its peer answers, so both drop the
 * same SA and its CHILD SAs while the survivor's carry the traffic. Neither
 * end's drop counts as the connection going down.
 */
static void drop_duplicate(struct ike_sa *sa)
{
	for (struct ike_sa *o = sa_by_peer_id(sa->e, &sa->peer_id); o; o = o->inext) {
		struct ike_sa *loser;

		if (o == sa || o->conn != sa->conn || o->state != IKE_ST_ESTABLISHED ||
		    o->initiator == sa->initiator || o->superseded || sa->superseded ||
		    !ike_id_equal(&o->peer_id, &sa->peer_id) || !ike_id_equal(&o->my_id, &sa->my_id))
			continue;
		loser = survives(o, sa) ? sa : o;
		loser->superseded = true;
		log_info("IKE SA %s[%016llx]: duplicate of one the peer initiated at the same time, %s",
			 sa_name(loser), (unsigned long long)sa_my_spi(loser),
			 loser->initiator ? "deleting it" : "the peer deletes it");
		if (loser->initiator) {
			loser->n_tasks = 0;
			/* Going: nothing picks it for new CHILD SAs meanwhile. */
			sa_set_state(loser, IKE_ST_DELETING);
			sa_queue(loser, TASK_IKE_DELETE, NULL, NULL);
			sa_run(loser);
		}
		if (loser == sa)
			return;
	}
}

int auth_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	const struct conn *c = sa->conn;
	uint8_t auth[IKE_PRF_MAX];
	struct child *ch = NULL;

	if (!sa->hs || !c)
		return -1;
	my_identity(sa, c);
	wb_id(w, PLD_IDI, sa->my_id.type, sa->my_id.data, sa->my_id.len);
	/* Forget SAs the responder may still have with us from before a restart. */
	if (!has_contact(sa))
		wb_notify(w, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0);
	if (c->cfg.remote_id.type && !c->cfg.remote_id.any)
		wb_id(w, PLD_IDR, c->cfg.remote_id.type, c->cfg.remote_id.data, c->cfg.remote_id.len);
	auth_value(sa, c, true, &sa->my_id, auth);
	wb_auth(w, AUTH_PSK, auth, sa->keys.prf_len);
	sodium_memzero(auth, sizeof(auth));
	if (sa->hs->first_child && (ch = child_new(sa, sa->hs->first_child))) {
		x->child = ch;
		child_build_request(sa, w, ch, x, false);
	}
	return 0;
}

int auth_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	struct ike_engine *e = sa->e;
	const struct conn *c = sa->conn;
	const struct pld *pid = pld_find(m, PLD_IDR), *pau = pld_find(m, PLD_AUTH);
	struct pld_id id;
	struct pld_auth au;
	uint8_t want[IKE_PRF_MAX];
	char a[2 * IKE_IDENT_MAX + 8], b[2 * IKE_IDENT_MAX + 8];
	bool ok;

	if (pld_find_notify(m, N_AUTHENTICATION_FAILED)) {
		e->st.ike_failed++;
		sa_emit(sa, IKE_EV_AUTH_FAILED, NULL,
			"AUTHENTICATION_FAILED from peer (it rejected our PSK or identity)");
		sa->auth_refused = true;
		sa_down(sa, "AUTHENTICATION_FAILED from peer", true);
		return -1;
	}
	if (!pid || !pau || pld_get_id(pid, &id) || pld_get_auth(pau, &au)) {
		struct pld_notify n;
		const struct pld *pn = pld_find(m, PLD_NOTIFY);
		const char *nn = pn && !pld_get_notify(pn, &n) ? pld_notify_name(n.type) : NULL;

		e->st.ike_failed++;
		sa->auth_refused = true;
		sa_down(sa, nn ? nn : "IKE_AUTH response without IDr or AUTH", true);
		return -1;
	}
	id_from_pld(&id, &sa->peer_id);
	if (!ike_id_matches(&c->cfg.remote_id, &sa->peer_id)) {
		snprintf(e->reason, sizeof(e->reason),
			 "peer authenticated as '%s', connection expects '%s'",
			 ike_id_format(&sa->peer_id, a, sizeof(a)),
			 ike_id_format(&c->cfg.remote_id, b, sizeof(b)));
		ok = false;
	} else {
		auth_value(sa, c, false, &sa->peer_id, want);
		ok = au.method == AUTH_PSK && au.len == sa->keys.prf_len &&
		     ike_memcmp_ct(want, au.data, au.len) == 0;
		sodium_memzero(want, sizeof(want));
		if (!ok)
			snprintf(e->reason, sizeof(e->reason),
				 "peer's AUTH does not verify with our PSK (the keys differ)");
	}
	if (!ok) {
		e->st.ike_failed++;
		sa_emit(sa, IKE_EV_AUTH_FAILED, NULL, e->reason);
		send_auth_failed(sa);
		sa->auth_refused = true;
		sa_down(sa, "AUTHENTICATION_FAILED", true);
		return -1;
	}
	established(sa);
	if (x->child)
		child_complete(sa, x->child, m, x, sa->hs->ni, sa->hs->ni_len, sa->hs->nr,
			       sa->hs->nr_len);
	hs_done(sa);
	drop_duplicate(sa);
	return 0;
}

/* The connection this peer belongs to, now that its identity is known. */
static struct conn *pick_conn(struct ike_sa *sa, const struct ike_id *peer,
			      const struct ike_id *want_local)
{
	struct ike_engine *e = sa->e;
	struct conn *list[2] = { sa->conn, NULL };

	/* The one IKE_SA_INIT chose first, then any other in order. */
	for (unsigned pass = 0; pass < 2; pass++)
		for (struct conn *c = pass ? e->conns : list[0]; c; c = pass ? c->next : NULL) {
			struct ike_id mine;

			if (!conn_addr_match(c, &sa->local, &sa->remote))
				continue;
			if (!ike_id_matches(&c->cfg.remote_id, peer))
				continue;
			if (c->cfg.local_id.type && !c->cfg.local_id.any)
				mine = c->cfg.local_id;
			else
				ike_id_of_addr(&sa->local.addr, &mine);
			if (want_local && !ike_id_matches(want_local, &mine))
				continue;
			/* The suite IKE_SA_INIT chose must be one this connection allows. */
			for (unsigned i = 0; i < c->cfg.n_ike; i++) {
				const struct proposal *p = &c->cfg.ike[i];
				bool enc = false, prf = false, dh = false;

				for (unsigned k = 0; k < p->n_encr; k++)
					enc |= p->encr[k].id == sa->keys.encr &&
					       p->encr[k].keybits == sa->keys.encr_bits;
				for (unsigned k = 0; k < p->n_prf; k++)
					prf |= p->prf[k] == sa->keys.prf;
				for (unsigned k = 0; k < p->n_dh; k++)
					dh |= p->dh[k] == sa->dh_group;
				if (enc && prf && dh)
					return c;
			}
		}
	return NULL;
}

static void auth_reject(struct ike_sa *sa, struct ike_msg *m, const char *why)
{
	struct wbuf w;

	sa->e->st.ike_failed++;
	log_warn("IKE SA %s: authentication of the peer failed: %s", sa_name(sa), why);
	sa_emit(sa, IKE_EV_AUTH_FAILED, NULL, why);
	msg_begin(sa, &w, EXCH_IKE_AUTH, true, m->hdr.msgid);
	wb_notify(&w, 0, NULL, 0, N_AUTHENTICATION_FAILED, NULL, 0);
	if (msg_end(sa, &w) == PLD_OK)
		sa_send_response(sa, &w);
	sa_down(sa, "AUTHENTICATION_FAILED", true);
}

/*
 * Other SAs of this peer from before its restart (INITIAL_CONTACT, §3.10.1).
 * Only those established before this one was begun: one that came up
 * since (or is still being set up) may be one the peer made or answered
 * concurrently and keeps, whatever a late or retransmitted IKE_AUTH says.
 */
static void initial_contact(struct ike_sa *sa)
{
	struct ike_sa *o;

again:	/* from the top after each: what sa_down sets off may re-file the chain */
	for (o = sa_by_peer_id(sa->e, &sa->peer_id); o; o = o->inext)
		if (o != sa && o->conn == sa->conn && o->state == IKE_ST_ESTABLISHED &&
		    o->established < sa->created &&
		    ike_id_equal(&o->peer_id, &sa->peer_id) && ike_id_equal(&o->my_id, &sa->my_id)) {
			sa_down(o, "replaced (INITIAL_CONTACT from peer)", true);
			goto again;
		}
}

void auth_respond(struct ike_sa *sa, struct ike_msg *m)
{
	struct ike_engine *e = sa->e;
	const struct pld *pi = pld_find(m, PLD_IDI), *pr = pld_find(m, PLD_IDR);
	const struct pld *pa = pld_find(m, PLD_AUTH);
	struct pld_id id, idr;
	struct pld_auth au;
	struct ike_id peer, want_local;
	struct conn *c;
	uint8_t want[IKE_PRF_MAX];
	char a[2 * IKE_IDENT_MAX + 8];
	struct wbuf w;
	bool ok;

	if (sa->state != IKE_ST_HALF_OPEN || !sa->hs) {
		struct wbuf iw;

		msg_begin(sa, &iw, EXCH_IKE_AUTH, true, m->hdr.msgid);
		wb_notify(&iw, 0, NULL, 0, N_INVALID_SYNTAX, NULL, 0);
		if (msg_end(sa, &iw) == PLD_OK)
			sa_send_response(sa, &iw);
		return;
	}
	if (!pi || !pa || pld_get_id(pi, &id) || pld_get_auth(pa, &au) ||
	    (pr && pld_get_id(pr, &idr))) {
		auth_reject(sa, m, "IKE_AUTH request without a valid IDi or AUTH");
		return;
	}
	id_from_pld(&id, &peer);
	if (pr)
		id_from_pld(&idr, &want_local);
	c = pick_conn(sa, &peer, pr ? &want_local : NULL);
	/* §2.5 lets IDr only steer the choice: a peer that names us
	 * differently gets our identity, and its own check decides. */
	if (!c && pr)
		c = pick_conn(sa, &peer, NULL);
	if (!c) {
		snprintf(e->reason, sizeof(e->reason),
			 "no connection accepts peer identity '%s'", ike_id_format(&peer, a, sizeof(a)));
		auth_reject(sa, m, e->reason);
		return;
	}
	sa_set_conn(sa, c);
	sa->peer_id = peer;
	auth_value(sa, c, true, &peer, want);
	ok = au.method == AUTH_PSK && au.len == sa->keys.prf_len &&
	     ike_memcmp_ct(want, au.data, au.len) == 0;
	sodium_memzero(want, sizeof(want));
	if (!ok) {
		snprintf(e->reason, sizeof(e->reason),
			 "AUTH from '%s' does not verify with our PSK (the keys differ)",
			 ike_id_format(&peer, a, sizeof(a)));
		auth_reject(sa, m, e->reason);
		return;
	}
	my_identity(sa, c);
	msg_begin(sa, &w, EXCH_IKE_AUTH, true, m->hdr.msgid);
	wb_id(&w, PLD_IDR, sa->my_id.type, sa->my_id.data, sa->my_id.len);
	auth_value(sa, c, false, &sa->my_id, want);
	wb_auth(&w, AUTH_PSK, want, sa->keys.prf_len);
	sodium_memzero(want, sizeof(want));
	/* IKE is up before its first child: a child failure leaves it up. */
	established(sa);
	if (pld_find(m, PLD_SA) || pld_find(m, PLD_TSI))
		child_respond(sa, m, &w, sa->hs->ni, sa->hs->ni_len, sa->hs->nr, sa->hs->nr_len,
			      true, NULL);
	if (msg_end(sa, &w) == PLD_OK)
		sa_send_response(sa, &w);
	if (pld_find_notify(m, N_INITIAL_CONTACT))
		initial_contact(sa);
	hs_done(sa);
	drop_duplicate(sa);
}
