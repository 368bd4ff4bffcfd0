// SPDX-License-Identifier: MIT
/*
 * IKE SA records: creation and destruction, the lookup tables (our SPI;
 * the peer's SPI for half-open retransmissions; CHILD SAs by inbound SPI;
 * connections by name), the one state setter, and the events and
 * explanations the engine reports.
 */
#include "ike_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>


static const char *const state_names[] = {
	[IKE_ST_INIT_SENT] = "CONNECTING",
	[IKE_ST_HALF_OPEN] = "HALF_OPEN",
	[IKE_ST_AUTH_SENT] = "AUTHENTICATING",
	[IKE_ST_ESTABLISHED] = "ESTABLISHED",
	[IKE_ST_REKEYED] = "REKEYED",
	[IKE_ST_DELETING] = "DELETING",
	[IKE_ST_DEAD] = "DEAD",
};

const char *ike_event_name(enum ike_event_type t)
{
	switch (t) {
	case IKE_EV_IKE_UP: return "ike-up";
	case IKE_EV_IKE_DOWN: return "ike-down";
	case IKE_EV_CHILD_UP: return "child-up";
	case IKE_EV_CHILD_DOWN: return "child-down";
	case IKE_EV_REKEYED: return "rekeyed";
	case IKE_EV_AUTH_FAILED: return "auth-failed";
	case IKE_EV_NEG_FAILED: return "negotiation-failed";
	}
	return "?";
}
/* ---- the SPI hash ---- */

uint64_t sa_my_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static size_t spi_bucket(const struct ike_engine *e, uint64_t spi)
{
	/* SPIs are random (ours) or chosen by a peer (SPIi): mix both halves,
	 * so that a peer choosing SPIi cannot pile SAs into one chain easily. */
	uint64_t h = spi * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (e->hash_size - 1);
}

static void hash_insert(struct ike_engine *e, struct ike_sa *sa)
{
	size_t b = spi_bucket(e, sa_my_spi(sa));

	sa->hnext = e->hash[b];
	e->hash[b] = sa;
	/* Responders are also found by the initiator's SPI, for
	 * retransmitted IKE_SA_INIT requests. */
	if (!sa->initiator && sa->spi_i) {
		b = spi_bucket(e, sa->spi_i);
		sa->pnext = e->phash[b];
		e->phash[b] = sa;
		sa->pindexed = true;
	}
}

static void hash_remove(struct ike_engine *e, struct ike_sa *sa)
{
	struct ike_sa **pp = &e->hash[spi_bucket(e, sa_my_spi(sa))];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == sa) {
			*pp = sa->hnext;
			break;
		}
	if (!sa->pindexed)
		return;
	for (pp = &e->phash[spi_bucket(e, sa->spi_i)]; *pp; pp = &(*pp)->pnext)
		if (*pp == sa) {
			*pp = sa->pnext;
			break;
		}
	sa->pindexed = false;
}

/* By peer identity: what INITIAL_CONTACT and duplicate detection look
 * for, without walking every SA for every new one. */
static size_t id_bucket(const struct ike_engine *e, const struct ike_id *id)
{
	uint32_t h = 2166136261u;	/* FNV-1a over what ike_id_equal compares */

	h = (h ^ id->type) * 16777619u;
	h = (h ^ id->any) * 16777619u;
	for (unsigned i = 0; i < id->len; i++)
		h = (h ^ id->data[i]) * 16777619u;
	return h & (e->hash_size - 1);
}

static void id_insert(struct ike_engine *e, struct ike_sa *sa)
{
	size_t b = id_bucket(e, &sa->peer_id);

	sa->inext = e->ihash[b];
	e->ihash[b] = sa;
	sa->iindexed = true;
}

static void id_remove(struct ike_engine *e, struct ike_sa *sa)
{
	if (!sa->iindexed)
		return;
	for (struct ike_sa **pp = &e->ihash[id_bucket(e, &sa->peer_id)]; *pp; pp = &(*pp)->inext)
		if (*pp == sa) {
			*pp = sa->inext;
			break;
		}
	sa->iindexed = false;
}

struct ike_sa *sa_by_peer_id(struct ike_engine *e, const struct ike_id *id)
{
	return e->ihash[id_bucket(e, id)];
}

static void hash_grow(struct ike_engine *e)
{
	size_t n = e->hash_size * 2;
	struct ike_sa **h = calloc(n, sizeof(*h)), **p = calloc(n, sizeof(*p));
	struct ike_sa **ih = calloc(n, sizeof(*ih));

	if (!h || !p || !ih) {
		free(h);
		free(p);
		free(ih);
		return;		/* longer chains, still correct */
	}
	free(e->hash);
	free(e->phash);
	free(e->ihash);
	e->hash = h;
	e->phash = p;
	e->ihash = ih;
	e->hash_size = n;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next) {
		sa->pindexed = false;
		hash_insert(e, sa);
		if (sa->iindexed)
			id_insert(e, sa);
	}
}

struct ike_sa *sa_by_spi(struct ike_engine *e, uint64_t spi)
{
	for (struct ike_sa *sa = e->hash[spi_bucket(e, spi)]; sa; sa = sa->hnext)
		if (sa_my_spi(sa) == spi && sa->state != IKE_ST_DEAD)
			return sa;
	return NULL;
}

struct ike_sa *sa_by_peer(struct ike_engine *e, uint64_t spi_i, const struct ike_endpoint *from)
{
	for (struct ike_sa *sa = e->phash[spi_bucket(e, spi_i)]; sa; sa = sa->pnext)
		if (sa->spi_i == spi_i && sa->state != IKE_ST_DEAD &&
		    addr_equal(&sa->remote.addr, &from->addr) && sa->remote.port == from->port)
			return sa;
	return NULL;
}

void sa_set_conn(struct ike_sa *sa, struct conn *c)
{
	if (sa->conn == c)
		return;
	if (sa->conn) {
		sa->conn->n_sas--;
		if (sa->conn->last_sa == sa)
			sa->conn->last_sa = NULL;
	}
	sa->conn = c;
	if (c) {
		c->n_sas++;
		c->last_sa = sa;
	}
}

/* ---- connections by name, CHILD SAs by inbound SPI ---- */

static size_t name_bucket(const char *name, size_t size)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h & (size - 1);
}

struct conn *conn_find(struct ike_engine *e, const char *name)
{
	if (!e->nhash)
		return NULL;
	for (struct conn *c = e->nhash[name_bucket(name, e->nhash_size)]; c; c = c->hnext)
		if (!strcmp(c->cfg.name, name))
			return c;
	return NULL;
}

int conn_index(struct ike_engine *e, struct conn *c)
{
	size_t b;

	if (!e->nhash || e->n_conns + 1 > 2 * e->nhash_size) {
		size_t n = e->nhash_size ? 2 * e->nhash_size : 64;
		struct conn **h = calloc(n, sizeof(*h));

		if (!h)
			return -1;
		free(e->nhash);
		e->nhash = h;
		e->nhash_size = n;
		for (struct conn *o = e->conns; o; o = o->next) {
			if (o == c)
				continue;
			b = name_bucket(o->cfg.name, n);
			o->hnext = h[b];
			h[b] = o;
		}
	}
	b = name_bucket(c->cfg.name, e->nhash_size);
	c->hnext = e->nhash[b];
	e->nhash[b] = c;
	e->n_conns++;
	return 0;
}

void conn_unindex(struct ike_engine *e, struct conn *c)
{
	struct conn **pp;

	if (!e->nhash)
		return;
	for (pp = &e->nhash[name_bucket(c->cfg.name, e->nhash_size)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			e->n_conns--;
			return;
		}
}

static size_t child_bucket(uint32_t spi, size_t size)
{
	return (size_t)((spi * 2654435761u) >> 8) & (size - 1);
}

struct child *child_find(struct ike_engine *e, uint32_t spi)
{
	if (!e->chash)
		return NULL;
	for (struct child *c = e->chash[child_bucket(spi, e->chash_size)]; c; c = c->hnext)
		if (c->spi_in == spi)
			return c;
	return NULL;
}

int child_index(struct ike_engine *e, struct child *c)
{
	size_t b;

	if (!e->chash || e->n_children + 1 > 2 * e->chash_size) {
		size_t n = e->chash_size ? 2 * e->chash_size : 64;
		struct child **h = calloc(n, sizeof(*h));

		if (!h)
			return -1;
		/* Re-file every child we have indexed so far. */
		for (size_t i = 0; i < e->chash_size; i++)
			for (struct child *o = e->chash[i], *nx; o; o = nx) {
				nx = o->hnext;
				b = child_bucket(o->spi_in, n);
				o->hnext = h[b];
				h[b] = o;
			}
		free(e->chash);
		e->chash = h;
		e->chash_size = n;
	}
	b = child_bucket(c->spi_in, e->chash_size);
	c->hnext = e->chash[b];
	e->chash[b] = c;
	return 0;
}

void child_unindex(struct ike_engine *e, struct child *c)
{
	struct child **pp;

	if (!e->chash)
		return;
	for (pp = &e->chash[child_bucket(c->spi_in, e->chash_size)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			return;
		}
}

static uint64_t fresh_spi(struct ike_engine *e)
{
	uint64_t spi;

	do
		randombytes_buf(&spi, sizeof(spi));
	while (spi == 0 || sa_by_spi(e, spi));
	return spi;
}

struct ike_sa *sa_new(struct ike_engine *e, bool initiator, uint64_t now)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	if (timer_add(e, sa) < 0) {
		free(sa);
		return NULL;
	}
	sa->e = e;
	sa->initiator = initiator;
	if (initiator)
		sa->spi_i = fresh_spi(e);
	else
		sa->spi_r = fresh_spi(e);
	sa->created = now;
	sa->last_in = now;
	sa->state = initiator ? IKE_ST_INIT_SENT : IKE_ST_HALF_OPEN;
	if (!initiator)
		e->n_half_open++;
	/* Grow first: hash_grow re-files every SA on the list, and this one
	 * must be filed exactly once. */
	if (e->n_sas + 1 > 2 * e->hash_size)
		hash_grow(e);
	sa->next = e->sas;
	e->sas = sa;
	e->n_sas++;
	hash_insert(e, sa);
	e->st.ike_sas = (uint32_t)e->n_sas;
	return sa;
}

void sa_set_spis(struct ike_sa *sa, uint64_t spi_i, uint64_t spi_r)
{
	/* Un-file under the SPIs it was filed with, then file it anew. */
	hash_remove(sa->e, sa);
	sa->spi_i = spi_i;
	sa->spi_r = spi_r;
	hash_insert(sa->e, sa);
}

const char *sa_name(const struct ike_sa *sa)
{
	return sa->conn ? sa->conn->cfg.name : "(unknown)";
}

void sa_set_state(struct ike_sa *sa, enum ike_state st)
{
	struct ike_engine *e = sa->e;

	if (sa->state == st)
		return;
	log_info("IKE SA %s[%016llx]: %s -> %s", sa_name(sa), (unsigned long long)sa_my_spi(sa),
		 state_names[sa->state], state_names[st]);
	if (sa->state == IKE_ST_HALF_OPEN && e->n_half_open)
		e->n_half_open--;
	if (st == IKE_ST_HALF_OPEN)
		e->n_half_open++;
	if (st == IKE_ST_ESTABLISHED && !sa->iindexed)
		id_insert(e, sa);	/* the peer's identity is known from here on */
	if (st == IKE_ST_DEAD)
		e->n_dead++;
	sa->state = st;
	e->st.half_open = (uint32_t)e->n_half_open;
	sa_timers(sa);
}

static void hs_free(struct handshake *hs)
{
	if (!hs)
		return;
	free(hs->msg_i);
	free(hs->msg_r);
	sodium_memzero(hs, sizeof(*hs));
	free(hs);
}

void sa_free(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct ike_sa **pp;

	while (sa->children)
		child_free(sa->children, true, NULL);
	if (sa->state == IKE_ST_HALF_OPEN && e->n_half_open)
		e->n_half_open--;
	if (sa->state == IKE_ST_DEAD && e->n_dead)
		e->n_dead--;
	sa_set_conn(sa, NULL);
	hash_remove(e, sa);
	id_remove(e, sa);
	timer_del(e, sa);
	for (pp = &e->sas; *pp; pp = &(*pp)->next)
		if (*pp == sa) {
			*pp = sa->next;
			break;
		}
	/* Anyone pointing at us loses the pointer, not the memory (only a
	 * rekey's SAs are pointed at: no walk of every SA for every end). */
	for (struct ike_sa *o = sa->pointed_at ? e->sas : NULL; o; o = o->next) {
		if (o->passive_new == sa)
			o->passive_new = NULL;
		if (o->rekeyed_to == sa)
			o->rekeyed_to = NULL;
	}
	e->n_sas--;
	e->st.ike_sas = (uint32_t)e->n_sas;
	e->st.half_open = (uint32_t)e->n_half_open;
	hs_free(sa->hs);
	free(sa->tasks);
	free(sa->resp);
	free(sa->act.req);
	sodium_memzero(sa, sizeof(*sa));
	free(sa);
}

void sa_reap(struct ike_engine *e)
{
	struct ike_sa *sa = e->sas, *next;

	if (!e->n_dead)
		return;		/* every input and tick comes here: no walk for nothing */
	for (; sa; sa = next) {
		next = sa->next;
		if (sa->state == IKE_ST_DEAD)
			sa_free(sa);
	}
}

/* ---- events ---- */

void sa_emit(struct ike_sa *sa, enum ike_event_type t, const struct child *c, const char *reason)
{
	struct ike_event ev;
	char prop[PROP_STR_MAX];

	if (!sa->e->env.event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.conn = sa_name(sa);
	ev.spi_i = sa->spi_i;
	ev.spi_r = sa->spi_r;
	ev.reason = reason;
	if (c) {
		struct chosen ch = { .encr = c->encr, .encr_bits = c->encr_bits, .dh = c->dh,
				     .esn = c->esn };

		ev.child = c->cfg ? c->cfg->name : "";
		ev.spi_in = c->spi_in;
		ev.spi_out = c->spi_out;
		if (c->replaces)
			ev.old_spi_in = c->replaces->spi_in;
		ev.proposal = chosen_format(PROTO_ESP, &ch, prop, sizeof(prop));
	} else if (sa->keys.prf) {
		struct chosen ch = { .encr = sa->keys.encr, .encr_bits = sa->keys.encr_bits,
				     .prf = sa->keys.prf, .dh = sa->dh_group };

		ev.proposal = chosen_format(PROTO_IKE, &ch, prop, sizeof(prop));
	}
	sa->e->env.event(sa->e->env.ctx, &ev);
}

void explain_reset(struct ike_engine *e)
{
	e->n_explain[0] = e->n_explain[1] = 0;
	e->reason[0] = '\0';
}

void explain_add(struct ike_engine *e, int side, const char *fmt, ...)
{
	va_list ap;
	unsigned n = e->n_explain[side];

	if (n >= IKE_EXPLAIN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(e->explain[side][n], IKE_EXPLAIN_LINE, fmt, ap);
	va_end(ap);
	e->explain_ptr[side][n] = e->explain[side][n];
	e->n_explain[side] = n + 1;
}

void ike_emit_neg(struct ike_engine *e, const char *conn, const char *stage, const char *reason)
{
	struct ike_event ev;

	log_warn("%s: negotiation failed at %s: %s", conn, stage, reason);
	for (unsigned i = 0; i < e->n_explain[0]; i++)
		log_warn("%s:   offered  %s", conn, e->explain[0][i]);
	for (unsigned i = 0; i < e->n_explain[1]; i++)
		log_warn("%s:   accepted %s", conn, e->explain[1][i]);
	if (e->reason[0])
		log_warn("%s:   mismatch: %s", conn, e->reason);
	if (!e->env.event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = IKE_EV_NEG_FAILED;
	ev.conn = conn;
	ev.stage = stage;
	ev.reason = e->reason[0] ? e->reason : reason;
	ev.n_offered = e->n_explain[0];
	ev.offered = e->explain_ptr[0];
	ev.n_accepted = e->n_explain[1];
	ev.accepted = e->explain_ptr[1];
	e->env.event(e->env.ctx, &ev);
}

void sa_down(struct ike_sa *sa, const char *reason, bool notify_children)
{
	bool was_up = sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_DELETING ||
		      sa->state == IKE_ST_REKEYED;

	if (sa->state == IKE_ST_DEAD)
		return;
	/* Our attempt failed before the SA was up: maybe try again. */
	if (sa->initiator && (sa->state == IKE_ST_INIT_SENT || sa->state == IKE_ST_AUTH_SENT))
		reinit_arm(sa);
	while (sa->children) {
		struct child *c = sa->children;

		child_free(c, true, notify_children ? reason : NULL);
	}
	if (was_up && !sa->superseded)
		sa_emit(sa, IKE_EV_IKE_DOWN, NULL, reason);
	log_info("IKE SA %s[%016llx] down: %s", sa_name(sa), (unsigned long long)sa_my_spi(sa),
		 reason);
	sa_set_state(sa, IKE_ST_DEAD);
}
