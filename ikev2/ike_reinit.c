// SPDX-License-Identifier: MIT
/*
 * New attempts for a connection whose initiation failed before its IKE SA
 * was up: no answer (the peer is down, not yet started, unreachable), or
 * a refusal (a peer whose configuration is not loaded yet answers
 * NO_PROPOSAL_CHOSEN) — but not a failed authentication, which only a
 * configuration change mends (and which a peer should not see repeated
 * every minute as if it were an attack). A connection meant to be
 * up — a start_action start child, or a restart after a dead peer — tries
 * again after a delay that doubles up to a cap, forever, until it is
 * terminated or removed; an IKE SA established resets the back-off.
 *
 * Few connections wait at once, so they are not in the SA timer heap: the
 * engine scans its connections only while some attempt is pending.
 */
#include "ike_int.h"

#include <sodium.h>

bool conn_keep_up(const struct conn *c)
{
	for (unsigned i = 0; i < c->cfg.n_children; i++)
		if (c->children[i].start_action == IKE_START_START)
			return true;
	return false;
}

static void want_child(struct conn *c, const struct ike_child_cfg *cfg)
{
	if (cfg && cfg >= c->children && cfg < c->children + c->cfg.n_children)
		c->reinit_children |= 1ull << (cfg - c->children);
}

void reinit_arm(struct ike_sa *sa)
{
	struct ike_engine *e = sa->e;
	struct conn *c = sa->conn;
	uint64_t d;
	unsigned shift;

	if (!c || !c->keep_up || sa->superseded || sa->auth_refused)
		return;
	/* Bring up again what this attempt was for. */
	if (sa->hs)
		want_child(c, sa->hs->first_child);
	if (sa->act.kind == TASK_CHILD_CREATE && sa->act.child)
		want_child(c, sa->act.child->cfg);
	for (unsigned i = 0; i < sa->n_tasks; i++)
		if (sa->tasks[i].kind == TASK_CHILD_CREATE)
			want_child(c, sa->tasks[i].cfg);
	shift = c->reinit_tries < 16 ? c->reinit_tries : 16;
	d = (uint64_t)IKE_REINIT_FIRST_MS << shift;
	if (d > IKE_REINIT_MAX_MS)
		d = IKE_REINIT_MAX_MS;
	d += randombytes_uniform((uint32_t)(d * IKE_REINIT_JITTER_PCT / 100) + 1);
	if (c->reinit_tries < UINT8_MAX)
		c->reinit_tries++;
	if (!c->reinit_at)
		e->n_reinit++;
	c->reinit_at = e->now + d;
	log_info("%s: not up, attempt %u in %llu ms", c->cfg.name,
		 (unsigned)c->reinit_tries + 1, (unsigned long long)d);
}

void reinit_clear(struct ike_engine *e, struct conn *c, bool reset_tries)
{
	if (c->reinit_at && e->n_reinit)
		e->n_reinit--;
	c->reinit_at = 0;
	if (reset_tries) {
		c->reinit_tries = 0;
		c->reinit_children = 0;
	}
}

void reinit_tick(struct ike_engine *e, uint64_t now)
{
	if (!e->n_reinit)
		return;
	for (struct conn *c = e->conns; c; c = c->next) {
		uint64_t want;
		bool any = false;

		if (!c->reinit_at || c->reinit_at > now)
			continue;
		want = c->reinit_children;
		reinit_clear(e, c, false);
		c->reinit_children = 0;
		log_info("%s: trying again (attempt %u)", c->cfg.name, (unsigned)c->reinit_tries + 1);
		for (unsigned i = 0; i < c->cfg.n_children && i < 64; i++)
			if (want & (1ull << i)) {
				ike_initiate(e, c->cfg.name, c->children[i].name, now);
				any = true;
			}
		if (!any)
			ike_initiate(e, c->cfg.name, NULL, now);
	}
}

uint64_t reinit_next(const struct ike_engine *e)
{
	uint64_t t = UINT64_MAX;

	if (!e->n_reinit)
		return t;
	for (const struct conn *c = e->conns; c; c = c->next)
		if (c->reinit_at && c->reinit_at < t)
			t = c->reinit_at;
	return t;
}

int64_t ike_conn_reinit_in(struct ike_engine *e, const char *name, uint64_t now)
{
	const struct conn *c = conn_find(e, name);

	if (!c || !c->reinit_at)
		return -1;
	return c->reinit_at > now ? (int64_t)(c->reinit_at - now) : 0;
}
