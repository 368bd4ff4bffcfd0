// SPDX-License-Identifier: MIT
/*
 * The engine's core: IKE SA records (by SPI in a hash, by deadline in a
 * heap), the one state setter, sending with the NAT-T marker, message-ID
 * windows with replay of the cached response, retransmission, and the
 * dispatch of every received message to its exchange.
 */
#include "ike_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sk.h"

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

/* ---- the deadline heap: one entry per SA, keyed by its earliest timer ---- */

static void heap_swap(struct ike_engine *e, size_t a, size_t b)
{
	struct ike_sa *t = e->heap[a];

	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->heap[a]->heap_idx = a;
	e->heap[b]->heap_idx = b;
}

static void heap_fix(struct ike_engine *e, size_t i)
{
	while (i > 0 && e->heap[(i - 1) / 2]->heap_key > e->heap[i]->heap_key) {
		heap_swap(e, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < e->heap_len && e->heap[l]->heap_key < e->heap[m]->heap_key)
			m = l;
		if (r < e->heap_len && e->heap[r]->heap_key < e->heap[m]->heap_key)
			m = r;
		if (m == i)
			break;
		heap_swap(e, i, m);
		i = m;
	}
}

static int heap_add(struct ike_engine *e, struct ike_sa *sa)
{
	if (e->heap_len == e->heap_cap) {
		size_t cap = e->heap_cap ? 2 * e->heap_cap : 64;
		struct ike_sa **h = realloc(e->heap, cap * sizeof(*h));

		if (!h)
			return -1;
		e->heap = h;
		e->heap_cap = cap;
	}
	sa->heap_key = UINT64_MAX;
	sa->heap_idx = e->heap_len;
	e->heap[e->heap_len++] = sa;
	heap_fix(e, sa->heap_idx);
	return 0;
}

static void heap_del(struct ike_engine *e, struct ike_sa *sa)
{
	size_t i = sa->heap_idx;

	if (i >= e->heap_len || e->heap[i] != sa)
		return;
	heap_swap(e, i, e->heap_len - 1);
	e->heap_len--;
	if (i < e->heap_len)
		heap_fix(e, i);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

void sa_timers(struct ike_sa *sa)
{
	uint64_t k = 0;

	if (sa->act.kind != TASK_NONE)
		k = earliest(k, sa->act.retransmit_at);
	k = earliest(k, sa->rekey_at);
	k = earliest(k, sa->expire_at);
	k = earliest(k, sa->dpd_at);
	k = earliest(k, sa->keepalive_at);
	k = earliest(k, sa->timeout_at);
	k = earliest(k, sa->retry_at);
	for (struct child *c = sa->children; c; c = c->next) {
		k = earliest(k, c->rekey_at);
		k = earliest(k, c->expire_at);
		k = earliest(k, c->retry_at);
	}
	if (sa->state == IKE_ST_DEAD)
		k = 0;
	sa->heap_key = k ? k : UINT64_MAX;
	heap_fix(sa->e, sa->heap_idx);
}

uint64_t sa_jitter(uint64_t now, uint32_t rekey_s)
{
	uint64_t ms = (uint64_t)rekey_s * 1000, jitter = ms * IKE_REKEY_JITTER_PCT / 100;

	if (!rekey_s)
		return 0;
	/* Rekey a little early, by a random amount, so that two peers with
	 * the same lifetime rarely start at once (§2.8.1 still handles it). */
	if (jitter)
		ms -= randombytes_uniform((uint32_t)(jitter > UINT32_MAX ? UINT32_MAX : jitter));
	return now + ms;
}

void sa_schedule_rekey(struct ike_sa *sa)
{
	uint32_t t = sa->conn ? sa->conn->cfg.rekey_time : 0;
	uint64_t now = sa->e->now;

	sa->rekey_at = sa_jitter(now, t);
	sa->expire_at = t ? now + (uint64_t)t * 1000 * (100 + IKE_OVERTIME_PCT) / 100 : 0;
	if (sa->conn && sa->conn->cfg.dpd_delay)
		sa->dpd_at = now + (uint64_t)sa->conn->cfg.dpd_delay * 1000;
	else
		sa->dpd_at = 0;
}

/* ---- the SPI hash ---- */

uint64_t sa_my_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static size_t spi_bucket(const struct ike_engine *e, uint64_t spi)
{
	/* SPIs are random, so their low bits spread well. */
	return (size_t)(spi ^ (spi >> 32)) & (e->hash_size - 1);
}

static void hash_insert(struct ike_engine *e, struct ike_sa *sa)
{
	size_t b = spi_bucket(e, sa_my_spi(sa));

	sa->hnext = e->hash[b];
	e->hash[b] = sa;
}

static void hash_remove(struct ike_engine *e, struct ike_sa *sa)
{
	struct ike_sa **pp = &e->hash[spi_bucket(e, sa_my_spi(sa))];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == sa) {
			*pp = sa->hnext;
			return;
		}
}

static void hash_grow(struct ike_engine *e)
{
	size_t n = e->hash_size * 2;
	struct ike_sa **h = calloc(n, sizeof(*h));

	if (!h)
		return;		/* longer chains, still correct */
	free(e->hash);
	e->hash = h;
	e->hash_size = n;
	for (struct ike_sa *sa = e->sas; sa; sa = sa->next)
		hash_insert(e, sa);
}

struct ike_sa *sa_by_spi(struct ike_engine *e, uint64_t spi)
{
	for (struct ike_sa *sa = e->hash[spi_bucket(e, spi)]; sa; sa = sa->hnext)
		if (sa_my_spi(sa) == spi && sa->state != IKE_ST_DEAD)
			return sa;
	return NULL;
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
	if (heap_add(e, sa) < 0) {
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

/* Re-file an SA whose own SPI changed (not used for random SPIs we pick,
 * kept for rekeys that adopt a prepared SPI). */
void sa_rehash(struct ike_sa *sa)
{
	hash_remove(sa->e, sa);
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
	hash_remove(e, sa);
	heap_del(e, sa);
	for (pp = &e->sas; *pp; pp = &(*pp)->next)
		if (*pp == sa) {
			*pp = sa->next;
			break;
		}
	/* Anyone pointing at us loses the pointer, not the memory. */
	for (struct ike_sa *o = e->sas; o; o = o->next) {
		if (o->passive_new == sa)
			o->passive_new = NULL;
		if (o->rekeyed_to == sa)
			o->rekeyed_to = NULL;
		if (o->act.new_sa == sa)
			o->act.new_sa = NULL;
	}
	e->n_sas--;
	e->st.ike_sas = (uint32_t)e->n_sas;
	e->st.half_open = (uint32_t)e->n_half_open;
	hs_free(sa->hs);
	free(sa->resp);
	free(sa->act.req);
	sodium_memzero(sa, sizeof(*sa));
	free(sa);
}

static void reap(struct ike_engine *e)
{
	struct ike_sa *sa = e->sas, *next;

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

/* ---- sending ---- */

void send_raw(struct ike_engine *e, const struct ike_endpoint *from,
	      const struct ike_endpoint *to, const uint8_t *p, size_t len)
{
	/* On the NAT-T port every IKE message carries the non-ESP marker
	 * (RFC 3948 §2.2); a 1-byte keepalive does not. */
	static const uint8_t zero[4];

	e->st.tx++;
	if (!e->env.send)
		return;
	if (from->port == e->o.natt_port && len > 1) {
		uint8_t *b = e->in;	/* free while we send: input is done with it */

		if (len + 4 > sizeof(e->in) || p == b)
			return;
		memcpy(b, zero, 4);
		memcpy(b + 4, p, len);
		e->env.send(e->env.ctx, from, to, b, len + 4);
		return;
	}
	e->env.send(e->env.ctx, from, to, p, len);
}

void msg_begin(struct ike_sa *sa, struct wbuf *w, uint8_t exch, bool response, uint32_t msgid)
{
	struct ike_hdr h = {
		.spi_i = sa->spi_i,
		.spi_r = sa->spi_r,
		.exchange = exch,
		.flags = (uint8_t)((sa->initiator ? HDR_F_INITIATOR : 0) |
				   (response ? HDR_F_RESPONSE : 0)),
		.msgid = msgid,
	};

	wb_init(w, sa->e->out, sizeof(sa->e->out), &h);
	if (exch != EXCH_IKE_SA_INIT)
		wb_begin_sk(w, IKE_AEAD_IV_LEN);
}

enum pld_err msg_end(struct ike_sa *sa, struct wbuf *w)
{
	enum pld_err err;

	if (w->sk_at)
		err = sk_seal(w, &sa->keys, sa->initiator);
	else
		err = wb_finish(w);
	if (err)
		log_err("IKE SA %s: cannot build a message: %s", sa_name(sa), pld_err_str(err));
	else if (log_get_level() >= LOG_LVL_DEBUG) {
		/* Describe what we send from our own plaintext view. */
		struct ike_msg m;
		char d[512];

		if (!w->sk_at && pld_parse(&m, w->p, w->len) == PLD_OK)
			log_debug("%s: sending %s", sa_name(sa), pld_describe(&m, d, sizeof(d)));
	}
	return err;
}

bool buf_keep(uint8_t **p, uint16_t *len, uint16_t *cap, const uint8_t *src, size_t n)
{
	if (n > *cap) {
		uint8_t *q = realloc(*p, n);

		if (!q)
			return false;
		*p = q;
		*cap = (uint16_t)n;
	}
	memcpy(*p, src, n);
	*len = (uint16_t)n;
	return true;
}

void sa_send_request(struct ike_sa *sa, const struct wbuf *w)
{
	struct ike_engine *e = sa->e;

	if (!buf_keep(&sa->act.req, &sa->act.req_len, &sa->act.req_cap, w->p, w->len)) {
		sa_down(sa, "out of memory", true);
		return;
	}
	sa->act.tries = 0;
	sa->act.retransmit_at = e->now + e->o.retransmit_ms;
	send_raw(e, &sa->local, &sa->remote, sa->act.req, sa->act.req_len);
	sa_timers(sa);
}

void sa_send_response(struct ike_sa *sa, const struct wbuf *w)
{
	if (buf_keep(&sa->resp, &sa->resp_len, &sa->resp_cap, w->p, w->len))
		sa->resp_valid = true;
	/* The request is answered: the window moves on (§2.3). */
	sa->msgid_in++;
	send_raw(sa->e, &sa->local, &sa->remote, w->p, w->len);
}

/* ---- tasks: queued exchanges, one outstanding at a time ---- */

void sa_queue(struct ike_sa *sa, enum task_kind k, const struct ike_child_cfg *cfg,
	      struct child *c)
{
	for (unsigned i = 0; i < sa->n_tasks; i++)
		if (sa->tasks[i].kind == k && sa->tasks[i].cfg == cfg && sa->tasks[i].child == c)
			return;
	if (sa->act.kind == k && sa->act.child == c && c)
		return;
	if (sa->n_tasks >= IKE_TASKS_MAX) {
		log_warn("IKE SA %s: too many queued exchanges, dropping one", sa_name(sa));
		return;
	}
	/* Deletes go first: nothing else should start on what is going away. */
	if (k == TASK_IKE_DELETE) {
		memmove(&sa->tasks[1], &sa->tasks[0], sa->n_tasks * sizeof(sa->tasks[0]));
		sa->tasks[0] = (struct task){ k, cfg, c };
		sa->n_tasks++;
		return;
	}
	sa->tasks[sa->n_tasks++] = (struct task){ k, cfg, c };
}

void sa_run(struct ike_sa *sa)
{
	while (sa->act.kind == TASK_NONE && sa->n_tasks && sa->state != IKE_ST_DEAD) {
		struct task t = sa->tasks[0];
		const struct task_ops *op = &task_table[t.kind];
		struct wbuf w;
		uint32_t msgid = t.kind == TASK_IKE_INIT ? 0 : sa->msgid_out;

		memmove(&sa->tasks[0], &sa->tasks[1], (sa->n_tasks - 1) * sizeof(sa->tasks[0]));
		sa->n_tasks--;
		/* Only the delete of the SA itself may start before it is up. */
		if (sa->state != IKE_ST_ESTABLISHED && t.kind != TASK_IKE_INIT &&
		    t.kind != TASK_IKE_AUTH && t.kind != TASK_IKE_DELETE) {
			if (sa->state == IKE_ST_INIT_SENT || sa->state == IKE_ST_AUTH_SENT) {
				/* Put it back; it runs once the SA is up. */
				sa_queue(sa, t.kind, t.cfg, t.child);
				return;
			}
			continue;
		}
		memset(&sa->act, 0, offsetof(struct exch, req));
		sa->act.kind = t.kind;
		sa->act.child = t.child;
		sa->act.msgid = msgid;
		msg_begin(sa, &w, op->exchange, false, msgid);
		if (t.kind == TASK_CHILD_CREATE) {
			struct child *c = child_new(sa, t.cfg);

			if (!c) {
				sa->act.kind = TASK_NONE;
				continue;
			}
			sa->act.child = c;
		}
		if (op->build(sa, &sa->act, &w) < 0 || msg_end(sa, &w) != PLD_OK) {
			sa->act.kind = TASK_NONE;
			continue;
		}
		if (t.kind != TASK_IKE_INIT)
			sa->msgid_out++;
		log_debug("IKE SA %s: %s request %u", sa_name(sa), op->name, msgid);
		sa_send_request(sa, &w);
	}
	sa_timers(sa);
}

/* ---- timers ---- */

static void sa_dead_peer(struct ike_sa *sa)
{
	struct conn *c = sa->conn;
	bool restart = c && (c->cfg.dpd_action == IKE_DPD_RESTART || sa->restart_on_down) &&
		       sa->state == IKE_ST_ESTABLISHED;
	const struct ike_child_cfg *kids[IKE_CFG_MAX_CHILDREN];
	unsigned n = 0;
	const char *name = c ? c->cfg.name : NULL;

	if (restart)
		for (struct child *ch = sa->children; ch && n < IKE_CFG_MAX_CHILDREN; ch = ch->next)
			if (ch->cfg && ch->state != CHILD_ST_REKEYED)
				kids[n++] = ch->cfg;
	if (sa->state == IKE_ST_INIT_SENT || sa->state == IKE_ST_AUTH_SENT)
		sa_down(sa, "peer not responding", true);
	else
		sa_down(sa, "dead peer", true);
	if (restart && name) {
		log_info("%s: dead peer, restarting", name);
		if (n == 0)
			ike_initiate(sa->e, name, NULL, sa->e->now);
		for (unsigned i = 0; i < n; i++)
			ike_initiate(sa->e, name, kids[i]->name, sa->e->now);
	}
}

static void sa_timeout(struct ike_sa *sa, uint64_t now)
{
	struct ike_engine *e = sa->e;

	if (sa->timeout_at && sa->timeout_at <= now) {
		sa->timeout_at = 0;
		sa_down(sa, sa->state == IKE_ST_HALF_OPEN ? "half-open timeout"
							  : "negotiation timeout", true);
		return;
	}
	if (sa->act.kind != TASK_NONE && sa->act.retransmit_at && sa->act.retransmit_at <= now) {
		if (sa->act.tries >= e->o.retransmit_tries) {
			log_warn("IKE SA %s: no response after %u retransmissions", sa_name(sa),
				 sa->act.tries);
			sa_dead_peer(sa);
			return;
		}
		sa->act.tries++;
		e->st.retransmits++;
		sa->act.retransmit_at = now + ((uint64_t)e->o.retransmit_ms << sa->act.tries);
		log_debug("IKE SA %s: retransmit %u of message %u", sa_name(sa), sa->act.tries,
			  sa->act.msgid);
		send_raw(e, &sa->local, &sa->remote, sa->act.req, sa->act.req_len);
	}
	if (sa->expire_at && sa->expire_at <= now) {
		sa->expire_at = 0;
		if (sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_REKEYED) {
			log_warn("IKE SA %s: hard lifetime reached", sa_name(sa));
			sa_queue(sa, TASK_IKE_DELETE, NULL, NULL);
		}
	}
	if (sa->rekey_at && sa->rekey_at <= now) {
		sa->rekey_at = 0;
		if (sa->state == IKE_ST_ESTABLISHED)
			sa_queue(sa, TASK_IKE_REKEY, NULL, NULL);
	}
	if (sa->retry_at && sa->retry_at <= now)
		sa->retry_at = 0;
	if (sa->dpd_at && sa->dpd_at <= now) {
		uint64_t d = sa->conn ? (uint64_t)sa->conn->cfg.dpd_delay * 1000 : 0;

		sa->dpd_at = d ? now + d : 0;
		/* Only a quiet peer is asked: any message from it proves life. */
		if (d && sa->last_in + d <= now && sa->act.kind == TASK_NONE && sa->n_tasks == 0 &&
		    sa->state == IKE_ST_ESTABLISHED)
			sa_queue(sa, TASK_DPD, NULL, NULL);
		else if (d && sa->last_in + d > now)
			sa->dpd_at = sa->last_in + d;
	}
	if (sa->keepalive_at && sa->keepalive_at <= now) {
		static const uint8_t ka = 0xff;

		sa->keepalive_at = now + e->o.keepalive_ms;
		send_raw(e, &sa->local, &sa->remote, &ka, 1);
	}
	for (struct child *c = sa->children; c; c = c->next) {
		if (c->expire_at && c->expire_at <= now) {
			c->expire_at = 0;
			c->rekey_at = 0;
			log_warn("IKE SA %s: CHILD SA %s hard lifetime reached", sa_name(sa),
				 c->cfg ? c->cfg->name : "?");
			sa_queue(sa, TASK_CHILD_DELETE, NULL, c);
		}
		if (c->rekey_at && c->rekey_at <= now) {
			c->rekey_at = 0;
			if (c->state == CHILD_ST_INSTALLED)
				sa_queue(sa, TASK_CHILD_REKEY, NULL, c);
		}
		if (c->retry_at && c->retry_at <= now) {
			c->retry_at = 0;
			if (c->state == CHILD_ST_INSTALLED)
				sa_queue(sa, TASK_CHILD_REKEY, NULL, c);
		}
	}
	sa_run(sa);
}

void ike_tick(struct ike_engine *e, uint64_t now)
{
	unsigned guard = 0;

	e->now = now;
	while (e->heap_len && e->heap[0]->heap_key <= now && guard++ < 100000) {
		struct ike_sa *sa = e->heap[0];
		uint64_t before = sa->heap_key;

		sa_timeout(sa, now);
		if (sa->state == IKE_ST_DEAD) {
			heap_del(e, sa);
			sa->heap_key = UINT64_MAX;
			continue;
		}
		sa_timers(sa);
		/* A timer that fired but was not moved must not spin us. */
		if (sa->heap_key <= now && sa->heap_key == before) {
			log_err("IKE SA %s: timer did not advance", sa_name(sa));
			sa->heap_key = now + 1000;
			heap_fix(e, sa->heap_idx);
		}
	}
	reap(e);
}

uint64_t ike_next_timer(const struct ike_engine *e)
{
	return e->heap_len ? e->heap[0]->heap_key : UINT64_MAX;
}

/* ---- receiving ---- */

static void drop(struct ike_engine *e, const char *why, const struct ike_endpoint *from)
{
	char a[ADDR_STR_MAX];

	e->st.rx_dropped++;
	if (log_ratelimit_ok(&e->rl))
		log_info("dropped IKE message from %s[%u]: %s", addr_format(&from->addr, a, sizeof(a)),
			 from->port, why);
}

/* An error notify in the clear, as the only payload of a response to a
 * message we could not take (IKE_SA_INIT only: no keys yet). */
static void answer_plain(struct ike_engine *e, const struct ike_endpoint *from,
			 const struct ike_endpoint *to, const struct ike_hdr *h, uint16_t type,
			 const void *data, size_t len)
{
	struct ike_hdr r = { .spi_i = h->spi_i, .spi_r = 0, .exchange = h->exchange,
			     .flags = HDR_F_RESPONSE, .msgid = h->msgid };
	struct wbuf w;

	wb_init(&w, e->out, sizeof(e->out), &r);
	wb_notify(&w, 0, NULL, 0, type, data, len);
	if (wb_finish(&w) == PLD_OK)
		send_raw(e, to, from, w.p, w.len);
}

/* An encrypted response carrying one error notify. */
static void answer_error(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
			 const void *data, size_t len)
{
	struct wbuf w;

	msg_begin(sa, &w, m->hdr.exchange, true, m->hdr.msgid);
	wb_notify(&w, 0, NULL, 0, type, data, len);
	if (msg_end(sa, &w) == PLD_OK)
		sa_send_response(sa, &w);
}

static void handle_response(struct ike_sa *sa, struct ike_msg *m)
{
	struct exch *x = &sa->act;
	enum task_kind k = x->kind;

	if (k == TASK_NONE || m->hdr.msgid != x->msgid) {
		drop(sa->e, "response to no request of ours", &sa->remote);
		return;
	}
	if (task_table[k].exchange != m->hdr.exchange) {
		drop(sa->e, "response of the wrong exchange type", &sa->remote);
		return;
	}
	x->retransmit_at = 0;
	if (task_table[k].process(sa, x, m) < 0)
		return;		/* the task ended the SA or restarted itself */
	if (sa->act.kind == k && sa->act.msgid == m->hdr.msgid) {
		sodium_memzero(x->dh_priv, sizeof(x->dh_priv));
		x->kind = TASK_NONE;
	}
	sa_run(sa);
}

static void handle_request(struct ike_sa *sa, struct ike_msg *m)
{
	switch (m->hdr.exchange) {
	case EXCH_IKE_AUTH:
		auth_respond(sa, m);
		break;
	case EXCH_CREATE_CHILD_SA:
		create_child_respond(sa, m);
		break;
	case EXCH_INFORMATIONAL:
		info_respond(sa, m);
		break;
	default:
		drop(sa->e, "unknown exchange type", &sa->remote);
		return;
	}
	sa_run(sa);
}

static void input(struct ike_engine *e, const struct ike_endpoint *from,
		  const struct ike_endpoint *to, const uint8_t *data, size_t len)
{
	struct ike_msg m;
	struct ike_sa *sa;
	enum pld_err err;
	bool response;
	uint64_t spi;

	if (to->port == e->o.natt_port) {
		if (len == 1 && data[0] == 0xff)
			return;		/* NAT keepalive */
		/* ESP in UDP has a non-zero SPI here; it is the datapath's. */
		if (len < 4 || data[0] | data[1] | data[2] | data[3]) {
			drop(e, "not an IKE message (no non-ESP marker)", from);
			return;
		}
		data += 4;
		len -= 4;
	}
	if (len > sizeof(e->in)) {
		drop(e, "message too large", from);
		return;
	}
	memcpy(e->in, data, len);
	err = pld_parse(&m, e->in, len);
	if (err == PLD_E_SHORT || err == PLD_E_VERSION || err == PLD_E_LENGTH ||
	    err == PLD_E_TOO_BIG) {
		drop(e, pld_err_str(err), from);
		return;
	}
	response = m.hdr.flags & HDR_F_RESPONSE;
	if (m.hdr.exchange == EXCH_IKE_SA_INIT) {
		if (!response) {
			if (err == PLD_E_CRITICAL) {
				uint8_t t = m.unknown_critical;

				answer_plain(e, from, to, &m.hdr, N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
				return;
			}
			if (err) {
				drop(e, pld_err_str(err), from);
				return;
			}
			if (pld_validate_all(&m) != PLD_OK) {
				answer_plain(e, from, to, &m.hdr, N_INVALID_SYNTAX, NULL, 0);
				return;
			}
			ike_init_respond(e, from, to, &m);
			return;
		}
		sa = sa_by_spi(e, m.hdr.spi_i);
		if (!err)
			err = pld_validate_all(&m);
		if (!sa || !sa->initiator || sa->state != IKE_ST_INIT_SENT || err) {
			drop(e, err ? pld_err_str(err) : "IKE_SA_INIT response for no SA of ours", from);
			return;
		}
		sa->local = *to;	/* the address the peer reached us at */
		handle_response(sa, &m);
		return;
	}
	/* After IKE_SA_INIT: the SPI that is ours depends on who sent it. */
	spi = (m.hdr.flags & HDR_F_INITIATOR) ? m.hdr.spi_r : m.hdr.spi_i;
	sa = sa_by_spi(e, spi);
	if (!sa || sa->state == IKE_ST_INIT_SENT ||
	    (sa->initiator ? m.hdr.spi_r : m.hdr.spi_i) != (sa->initiator ? sa->spi_r : sa->spi_i) ||
	    !(m.hdr.flags & HDR_F_INITIATOR) == !sa->initiator) {
		drop(e, "unknown IKE SA", from);
		return;
	}
	if (err) {
		drop(e, pld_err_str(err), from);
		return;
	}
	if (!response) {
		/* §2.3: a retransmitted request gets the very same response. */
		if (m.hdr.msgid + 1 == sa->msgid_in && sa->resp_valid) {
			if (sk_open(&m, e->in, &sa->keys) != PLD_OK) {
				drop(e, "retransmission that does not authenticate", from);
				return;
			}
			e->st.replays++;
			send_raw(e, &sa->local, &sa->remote, sa->resp, sa->resp_len);
			return;
		}
		if (m.hdr.msgid != sa->msgid_in) {
			drop(e, "request outside the window", from);
			return;
		}
	}
	err = sk_open(&m, e->in, &sa->keys);
	if (err == PLD_E_ICV || err == PLD_E_MISSING) {
		drop(e, err == PLD_E_ICV ? "integrity check failed" : "no SK payload", from);
		return;
	}
	if (!err)
		err = pld_validate_all(&m);
	/* Authentic from here on. */
	sa->last_in = e->now;
	if (sa->conn && sa->conn->cfg.dpd_delay)
		sa->dpd_at = e->now + (uint64_t)sa->conn->cfg.dpd_delay * 1000;
	if (!response && (sa->nat_remote || sa->nat_local || to->port == e->o.natt_port)) {
		/* §2.23: behind a NAT the peer's mapping may move; follow
		 * authenticated requests. */
		sa->local = *to;
		sa->remote = *from;
	}
	if (err) {
		if (response)
			return;
		if (err == PLD_E_CRITICAL) {
			uint8_t t = m.unknown_critical;

			answer_error(sa, &m, N_UNSUPPORTED_CRITICAL_PAYLOAD, &t, 1);
		} else {
			answer_error(sa, &m, N_INVALID_SYNTAX, NULL, 0);
		}
		log_warn("IKE SA %s: refused request %u: %s", sa_name(sa), m.hdr.msgid,
			 pld_err_str(err));
		/* §2.21.2: a broken IKE_AUTH ends the SA. */
		if (m.hdr.exchange == EXCH_IKE_AUTH)
			sa_down(sa, "invalid IKE_AUTH request", true);
		return;
	}
	if (log_get_level() >= LOG_LVL_DEBUG) {
		char d[512];

		log_debug("%s: received %s", sa_name(sa), pld_describe(&m, d, sizeof(d)));
	}
	if (response)
		handle_response(sa, &m);
	else
		handle_request(sa, &m);
}

void ike_input(struct ike_engine *e, const struct ike_endpoint *from,
	       const struct ike_endpoint *to, const uint8_t *data, size_t len, uint64_t now)
{
	e->now = now;
	e->st.rx++;
	input(e, from, to, data, len);
	reap(e);
}

/* ---- life cycle ---- */

struct ike_engine *ike_engine_new(const struct ike_opts *o, const struct ike_env *env)
{
	struct ike_engine *e;

	if (sodium_init() < 0)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (o)
		e->o = *o;
	if (!e->o.retransmit_ms)
		e->o.retransmit_ms = 1000;
	if (!e->o.retransmit_tries)
		e->o.retransmit_tries = 5;
	if (!e->o.half_open_max)
		e->o.half_open_max = 1024;
	if (!e->o.cookie_threshold)
		e->o.cookie_threshold = 64;
	if (!e->o.half_open_timeout_ms)
		e->o.half_open_timeout_ms = 30000;
	if (!e->o.keepalive_ms)
		e->o.keepalive_ms = 20000;
	if (!e->o.natt_port)
		e->o.natt_port = IKE_NATT_PORT;
	e->env = *env;
	e->hash_size = 64;
	e->hash = calloc(e->hash_size, sizeof(*e->hash));
	if (!e->hash) {
		free(e);
		return NULL;
	}
	e->rl.interval_ms = 1000;
	e->rl.burst = 20;
	e->cookie.version = 1;
	randombytes_buf(e->cookie.key, sizeof(e->cookie.key));
	randombytes_buf(e->cookie.prev, sizeof(e->cookie.prev));
	return e;
}

void ike_engine_free(struct ike_engine *e)
{
	if (!e)
		return;
	while (e->sas) {
		e->sas->state = IKE_ST_DEAD;
		sa_free(e->sas);
	}
	while (e->conns) {
		struct conn *c = e->conns;

		e->conns = c->next;
		sodium_memzero(c->cfg.psk, sizeof(c->cfg.psk));
		free(c->children);
		free(c);
	}
	free(e->hash);
	free(e->heap);
	sodium_memzero(&e->cookie, sizeof(e->cookie));
	free(e);
}

void ike_get_stats(const struct ike_engine *e, struct ike_stats *out)
{
	*out = e->st;
	out->children = (uint32_t)e->n_children;
	out->ike_sas = (uint32_t)e->n_sas;
	out->half_open = (uint32_t)e->n_half_open;
}
