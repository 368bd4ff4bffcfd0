// SPDX-License-Identifier: MIT
/*
 * INFORMATIONAL exchanges (RFC 7296 §1.4): deleting IKE and CHILD SAs,
 * liveness checks (§2.4), and error notifications.
 */
#include "ike_int.h"

#include <string.h>

int ike_delete_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	if (!sa->superseded)
		sa_set_state(sa, IKE_ST_DELETING);
	wb_delete(w, PROTO_IKE, NULL, 0, 0);
	return 0;
}

int ike_delete_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	sa_down(sa, "deleted", true);
	return -1;
}

int dpd_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	return 0;	/* an empty INFORMATIONAL is the liveness check */
}

int dpd_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	return 0;
}

void info_respond(struct ike_sa *sa, struct ike_msg *m)
{
	struct ike_engine *e = sa->e;
	uint8_t ours[IKE_MAX_DELETE_SPIS * 4];
	unsigned n_ours = 0;
	bool delete_ike = false, auth_failed = false;
	struct wbuf w;

	for (unsigned i = 0; i < m->n; i++) {
		const struct pld *p = &m->p[i];
		struct pld_delete d;
		struct pld_notify n;

		if (p->type == PLD_NOTIFY && !pld_get_notify(p, &n) &&
		    n.type == N_AUTHENTICATION_FAILED)
			auth_failed = true;
		if (p->type != PLD_DELETE || pld_get_delete(p, &d))
			continue;
		if (d.proto == PROTO_IKE) {
			delete_ike = true;
			continue;
		}
		if (d.proto != PROTO_ESP)
			continue;
		for (unsigned k = 0; k < d.n_spi; k++) {
			struct child *c = child_by_spi_out(sa, get_be32(d.spis + 4 * k));

			if (!c)
				continue;	/* §1.4.1: unknown SPIs are ignored */
			/* §1.4.1: if we asked to delete it too, the requests
			 * crossed; it goes without a Delete in our answer. */
			if (c->state != CHILD_ST_DELETING && n_ours < IKE_MAX_DELETE_SPIS) {
				put_be32(ours + 4 * n_ours, c->spi_in);
				n_ours++;
			}
			child_free(c, true, "deleted by peer");
		}
	}
	msg_begin(sa, &w, EXCH_INFORMATIONAL, true, m->hdr.msgid);
	if (n_ours)
		wb_delete(&w, PROTO_ESP, ours, 4, n_ours);
	if (msg_end(sa, &w) == PLD_OK)
		sa_send_response(sa, &w);
	if (auth_failed) {
		e->st.ike_failed++;
		sa_emit(sa, IKE_EV_AUTH_FAILED, NULL,
			"AUTHENTICATION_FAILED from peer (it rejected our AUTH)");
		sa_down(sa, "AUTHENTICATION_FAILED from peer", true);
		return;
	}
	if (delete_ike) {
		/* A rekeyed SA's children already live on its successor. */
		if (sa->superseded && sa->rekeyed_to)
			sa_adopt_children(sa->rekeyed_to, sa);
		sa_down(sa, "deleted by peer", true);
	}
}
