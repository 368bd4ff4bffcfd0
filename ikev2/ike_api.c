// SPDX-License-Identifier: MIT
/*
 * The engine's control surface: connections in and out, initiate,
 * terminate, rekey, trap acquires, datapath expiries, shutdown and status.
 */
#include "ike_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const struct ike_child_cfg *child_cfg(const struct conn *c, const char *name)
{
	for (unsigned i = 0; i < c->cfg.n_children; i++)
		if (!strcmp(c->children[i].name, name))
			return &c->children[i];
	return NULL;
}

/* One Delete, not retransmitted: used where we go away regardless. */
static void delete_once(struct ike_sa *sa)
{
	struct wbuf w;

	if (sa->state != IKE_ST_ESTABLISHED && sa->state != IKE_ST_REKEYED &&
	    sa->state != IKE_ST_DELETING)
		return;
	msg_begin(sa, &w, EXCH_INFORMATIONAL, false, sa->msgid_out++);
	wb_delete(&w, PROTO_IKE, NULL, 0, 0);
	if (msg_end(sa, &w) == PLD_OK)
		send_raw(sa->e, &sa->local, &sa->remote, w.p, w.len);
}

/*
 * A responder's half-open SA is not yet anyone's: IKE_SA_INIT only chose
 * a suite, and IKE_AUTH picks the connection by identity.  It outlives a
 * reload of the connection it was first matched to, so a peer whose
 * IKE_SA_INIT crossed our new revision is answered under the new one (or
 * refused, if none accepts it) instead of being dropped as unknown.
 */
static void conn_teardown(struct ike_engine *e, struct conn *c, const char *why)
{
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->conn == c && sa->state != IKE_ST_DEAD && sa->state != IKE_ST_HALF_OPEN) {
			delete_once(sa);
			sa_down(sa, why, true);
		}
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->conn == c)
			sa_set_conn(sa, NULL);	/* half-open ones, and DEAD ones for the next reap */
}

static void conn_free(struct conn *c)
{
	sodium_memzero(c->cfg.psk, sizeof(c->cfg.psk));
	free(c->children);
	free(c);
}

const char *ike_conn_add(struct ike_engine *e, const struct ike_conn_cfg *cfg, uint64_t now)
{
	struct conn *c, *old, **pp;

	e->now = now;
	if (!cfg->name[0])
		return "a connection needs a name";
	if (cfg->n_ike == 0 || cfg->n_ike > IKE_CFG_MAX_PROPS)
		return "1-8 IKE proposals are required";
	if (cfg->psk_len < 1 || cfg->psk_len > IKE_PSK_MAX)
		return "a pre-shared key is required";
	if (cfg->n_children > IKE_CFG_MAX_CHILDREN)
		return "too many children";
	if (cfg->n_local > IKE_CFG_MAX_ADDRS || cfg->n_remote > IKE_CFG_MAX_ADDRS)
		return "too many addresses";
	for (unsigned i = 0; i < cfg->n_children; i++)
		if (cfg->children[i].n_esp == 0 || cfg->children[i].n_local_ts == 0 ||
		    cfg->children[i].n_remote_ts == 0)
			return "a child needs ESP proposals and traffic selectors";
	c = calloc(1, sizeof(*c));
	if (!c)
		return "out of memory";
	c->cfg = *cfg;
	if (cfg->n_children) {
		c->children = calloc(cfg->n_children, sizeof(*c->children));
		if (!c->children) {
			free(c);
			return "out of memory";
		}
		memcpy(c->children, cfg->children, cfg->n_children * sizeof(*c->children));
	}
	c->cfg.children = c->children;
	c->keep_up = conn_keep_up(c);
	if ((old = conn_find(e, cfg->name))) {
		old->keep_up = false;
		conn_teardown(e, old, "connection reloaded");
		reinit_clear(e, old, true);
		conn_unindex(e, old);
		for (pp = &e->conns; *pp; pp = &(*pp)->next)
			if (*pp == old) {
				*pp = old->next;
				break;
			}
		conn_free(old);
	}
	if (conn_index(e, c) < 0) {
		conn_free(c);
		return "out of memory";
	}
	/* Keep the configured order: responders try connections in it. */
	for (pp = &e->conns; *pp; pp = &(*pp)->next)
		;
	*pp = c;
	for (unsigned i = 0; i < c->cfg.n_children; i++)
		if (c->children[i].start_action == IKE_START_START)
			ike_initiate(e, c->cfg.name, c->children[i].name, now);
	return NULL;
}

int ike_conn_remove(struct ike_engine *e, const char *name, uint64_t now)
{
	struct conn *c, **pp;

	e->now = now;
	if (!(c = conn_find(e, name)))
		return -1;
	c->keep_up = false;
	conn_teardown(e, c, "connection removed");
	reinit_clear(e, c, true);
	conn_unindex(e, c);
	for (pp = &e->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	conn_free(c);
	for (struct ike_sa *sa = e->sas, *next; sa; sa = next) {
		next = sa->next;
		if (sa->state == IKE_ST_DEAD)
			sa_free(sa);
	}
	return 0;
}

/* An IKE SA of the connection that is up or on its way up. */
static bool usable(const struct ike_sa *sa)
{
	return sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_INIT_SENT ||
	       sa->state == IKE_ST_AUTH_SENT;
}

static struct ike_sa *usable_sa(struct ike_engine *e, const struct conn *c)
{
	if (c->n_sas == 0)
		return NULL;
	if (c->last_sa && usable(c->last_sa))
		return c->last_sa;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->conn == c && (sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_INIT_SENT ||
				      sa->state == IKE_ST_AUTH_SENT))
			return sa;
	return NULL;
}

static bool child_wanted(const struct ike_sa *sa, const struct ike_child_cfg *cfg)
{
	for (const struct child *c = sa->children; c; c = c->next)
		if (c->cfg == cfg && (c->state == CHILD_ST_INSTALLED || c->state == CHILD_ST_CREATING ||
				      c->state == CHILD_ST_REKEYING))
			return false;
	if (sa->hs && sa->hs->first_child == cfg)
		return false;
	for (unsigned i = 0; i < sa->n_tasks; i++)
		if (sa->tasks[i].kind == TASK_CHILD_CREATE && sa->tasks[i].cfg == cfg)
			return false;
	return true;
}

int ike_initiate(struct ike_engine *e, const char *name, const char *child, uint64_t now)
{
	struct conn *c;
	const struct ike_child_cfg *want[IKE_CFG_MAX_CHILDREN];
	unsigned n = 0;
	struct ike_sa *sa;

	e->now = now;
	if (!(c = conn_find(e, name)))
		return -1;
	if (child) {
		if (!(want[0] = child_cfg(c, child)))
			return -1;
		n = 1;
	} else {
		for (unsigned i = 0; i < c->cfg.n_children; i++)
			want[n++] = &c->children[i];
	}
	sa = usable_sa(e, c);
	if (!sa) {
		const struct ip_addr *ra = &c->cfg.remote_addrs[0];

		/* An initiator needs somewhere to go (docs/config.md). */
		if (!c->cfg.n_remote || ra->family == IPF_NONE || addr_is_zero(ra) ||
		    c->cfg.remote_plen[0] != ip_family_len(ra->family) * 8)
			return -1;
		sa = sa_new(e, true, now);
		if (!sa)
			return -1;
		reinit_clear(e, c, false);	/* this is the attempt */
		sa->hs = calloc(1, sizeof(*sa->hs));
		if (!sa->hs) {
			sa_down(sa, "out of memory", false);
			return -1;
		}
		sa_set_conn(sa, c);
		sa->remote.addr = *ra;
		sa->remote.port = c->cfg.remote_port ? c->cfg.remote_port : 500;
		if (c->cfg.n_local && c->cfg.local_addrs[0].family == ra->family &&
		    c->cfg.local_plen[0] == ip_family_len(ra->family) * 8)
			sa->local.addr = c->cfg.local_addrs[0];
		else
			sa->local.addr.family = ra->family;	/* the host picks the source */
		sa->local.port = c->cfg.local_port ? c->cfg.local_port : 500;
		sa->hs->dh_group = c->cfg.ike[0].n_dh ? c->cfg.ike[0].dh[0] : DH_CURVE25519;
		sa->hs->first_child = n ? want[0] : NULL;
		/* The whole handshake must finish within the retransmission budget. */
		sa_queue(sa, TASK_IKE_INIT, NULL, NULL);
		for (unsigned i = 1; i < n; i++)
			sa_queue(sa, TASK_CHILD_CREATE, want[i], NULL);
		sa_run(sa);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		if (child_wanted(sa, want[i]))
			sa_queue(sa, TASK_CHILD_CREATE, want[i], NULL);
	sa_run(sa);
	return 0;
}

int ike_acquire(struct ike_engine *e, const char *conn, const char *child, uint64_t now)
{
	return ike_initiate(e, conn, child, now);
}

int ike_terminate(struct ike_engine *e, const char *name, const char *child, uint64_t now)
{
	struct conn *c;
	int found = -1;

	e->now = now;
	if (!(c = conn_find(e, name)))
		return -1;
	if (child && !child_cfg(c, child))
		return -1;
	if (!child) {
		/* Down on purpose: no more attempts until initiated or reloaded. */
		c->keep_up = false;
		if (c->reinit_at)
			found = 0;
		reinit_clear(e, c, true);
	}
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		if (sa->conn != c || sa->state == IKE_ST_DEAD)
			continue;
		found = 0;
		if (!child) {
			if (sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_REKEYED) {
				sa->n_tasks = 0;
				sa_queue(sa, TASK_IKE_DELETE, NULL, NULL);
				sa_run(sa);
			} else {
				sa_down(sa, "terminated", true);
			}
			continue;
		}
		for (struct child *ch = sa->children; ch; ch = ch->next)
			if (ch->cfg && !strcmp(ch->cfg->name, child) && ch->state == CHILD_ST_INSTALLED)
				sa_queue(sa, TASK_CHILD_DELETE, NULL, ch);
		sa_run(sa);
	}
	for (struct ike_sa *sa = e->sas, *next; sa; sa = next) {
		next = sa->next;
		if (sa->state == IKE_ST_DEAD)
			sa_free(sa);
	}
	return found;
}

int ike_rekey(struct ike_engine *e, const char *name, const char *child, bool ike, uint64_t now)
{
	struct conn *c;
	int found = -1;

	e->now = now;
	if (!(c = conn_find(e, name)))
		return -1;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		if (sa->conn != c || sa->state != IKE_ST_ESTABLISHED)
			continue;
		if (ike) {
			sa_queue(sa, TASK_IKE_REKEY, NULL, NULL);
			found = 0;
		} else {
			for (struct child *ch = sa->children; ch; ch = ch->next)
				if (ch->state == CHILD_ST_INSTALLED &&
				    (!child || (ch->cfg && !strcmp(ch->cfg->name, child)))) {
					sa_queue(sa, TASK_CHILD_REKEY, NULL, ch);
					found = 0;
				}
		}
		sa_run(sa);
	}
	return found;
}

void ike_child_expire(struct ike_engine *e, uint32_t spi_in, bool hard, uint64_t now)
{
	struct child *c = child_find(e, spi_in);
	struct ike_sa *sa = c ? c->sa : NULL;

	e->now = now;
	if (!c || sa->state == IKE_ST_DEAD)
		return;
	if (hard)
		sa_queue(sa, TASK_CHILD_DELETE, NULL, c);
	else if (c->state == CHILD_ST_INSTALLED)
		sa_queue(sa, TASK_CHILD_REKEY, NULL, c);
	sa_run(sa);
}

void ike_shutdown(struct ike_engine *e, uint64_t now)
{
	e->now = now;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		if (sa->state != IKE_ST_DEAD) {
			delete_once(sa);
			sa_down(sa, "shutdown", true);
		}
	while (e->sas)
		sa_free(e->sas);
}

static const char *state_label(enum ike_state s)
{
	switch (s) {
	case IKE_ST_INIT_SENT: return "connecting";
	case IKE_ST_HALF_OPEN: return "half-open";
	case IKE_ST_AUTH_SENT: return "authenticating";
	case IKE_ST_ESTABLISHED: return "established";
	case IKE_ST_REKEYED: return "rekeyed";
	case IKE_ST_DELETING: return "deleting";
	case IKE_ST_DEAD: return "dead";
	}
	return "?";
}

static const char *child_label(enum child_state s)
{
	switch (s) {
	case CHILD_ST_CREATING: return "creating";
	case CHILD_ST_INSTALLED: return "installed";
	case CHILD_ST_REKEYING: return "rekeying";
	case CHILD_ST_REKEYED: return "rekeyed";
	case CHILD_ST_DELETING: return "deleting";
	case CHILD_ST_DEAD: return "dead";
	}
	return "?";
}

void ike_foreach_sa(struct ike_engine *e, const char *conn, uint64_t now,
		    void (*cb)(void *ctx, const struct ike_sa_info *sa), void *ctx)
{
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		struct ike_sa_info in;
		unsigned n = 0;

		if (sa->state == IKE_ST_DEAD || !sa->conn)
			continue;
		if (conn && strcmp(conn, sa->conn->cfg.name))
			continue;
		memset(&in, 0, sizeof(in));
		in.conn = sa->conn->cfg.name;
		in.state = state_label(sa->state);
		in.initiator = sa->initiator;
		in.spi_i = sa->spi_i;
		in.spi_r = sa->spi_r;
		in.local = sa->local;
		in.remote = sa->remote;
		ike_id_format(&sa->my_id, in.local_id, sizeof(in.local_id));
		ike_id_format(&sa->peer_id, in.remote_id, sizeof(in.remote_id));
		if (sa->keys.prf) {
			struct chosen ch = { .encr = sa->keys.encr, .encr_bits = sa->keys.encr_bits,
					     .prf = sa->keys.prf, .dh = sa->dh_group };

			chosen_format(PROTO_IKE, &ch, in.proposal, sizeof(in.proposal));
		}
		in.nat_local = sa->nat_local;
		in.nat_remote = sa->nat_remote;
		in.established = sa->established;
		in.rekey_in_ms = sa->rekey_at ? (int64_t)(sa->rekey_at - (sa->rekey_at < now ? sa->rekey_at : now)) : -1;
		for (struct child *c = sa->children; c && n < 2 * IKE_CFG_MAX_CHILDREN; c = c->next) {
			struct ike_child_info *ci = &e->cinfo[n++];
			struct chosen ch = { .encr = c->encr, .encr_bits = c->encr_bits, .dh = c->dh,
					     .esn = c->esn };

			memset(ci, 0, sizeof(*ci));
			ci->name = c->cfg ? c->cfg->name : "";
			ci->state = child_label(c->state);
			ci->mode = c->mode;
			if (c->encr)
				chosen_format(PROTO_ESP, &ch, ci->proposal, sizeof(ci->proposal));
			ci->spi_in = c->spi_in;
			ci->spi_out = c->spi_out;
			ci->n_local_ts = c->n_local_ts;
			ci->n_remote_ts = c->n_remote_ts;
			ci->local_ts = c->ts;
			ci->remote_ts = c->ts ? c->ts + c->n_local_ts : NULL;
			ci->established = c->established;
			ci->rekey_in_ms = c->rekey_at ? (int64_t)(c->rekey_at - (c->rekey_at < now ? c->rekey_at : now)) : -1;
		}
		in.n_children = n;
		in.children = e->cinfo;
		cb(ctx, &in);
	}
}
