// SPDX-License-Identifier: MIT
/*
 * Time in the engine: one heap entry per IKE SA keyed by its earliest
 * deadline (retransmission, rekey, expiry, liveness, keepalive, half-open
 * timeout, and those of its children), and what happens when one passes.
 */
#include "ike_int.h"

#include <stdlib.h>

#include <sodium.h>


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

int timer_add(struct ike_engine *e, struct ike_sa *sa)
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

void timer_del(struct ike_engine *e, struct ike_sa *sa)
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
	if (restart)
		c->keep_up = true;	/* until the restart is answered, or terminated */
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
		if (sa->redundant && sa->state == IKE_ST_ESTABLISHED) {
			/* The peer no longer knows it: no Delete to wait for. */
			sa_down(sa, "redundant after a rekey collision, not deleted by the peer", false);
			return;
		}
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
			if (c->state == CHILD_ST_REKEYED)
				log_info("IKE SA %s: CHILD SA %s redundant after a rekey collision and not deleted by the peer",
					 sa_name(sa), c->cfg ? c->cfg->name : "?");
			else
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
			timer_del(e, sa);
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
	reinit_tick(e, now);
	sa_reap(e);
}

uint64_t ike_next_timer(const struct ike_engine *e)
{
	uint64_t t = e->heap_len ? e->heap[0]->heap_key : UINT64_MAX, r = reinit_next(e);

	return r < t ? r : t;
}
