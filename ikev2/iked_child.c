// SPDX-License-Identifier: MIT
/*
 * The CHILD SAs the IKE engine negotiates, in the datapath: per pair an
 * inbound and an outbound SA, and outbound policies and routes for its
 * selectors.
 *
 * Policies belong to a slot, not to one pair: a CHILD SA and the pairs that
 * rekey it, one after the other, share one slot, and the slot's policies
 * point at one of them at a time (make-before-break). Which one: the newest
 * pair we may send on — one we made as initiator of the rekey (the peer had
 * it installed before answering), or the only one left. A rekey responder
 * thus keeps sending on the old pair until the initiator deletes it, and
 * nothing is lost in between. Re-pointing updates the policies in place so
 * their order among other children's does not change.
 *
 * A child with start_action trap has a slot from the moment its connection
 * is loaded: its policies then name no SA (SPI 0), so the datapath raises
 * an acquire on the first packet, and it returns to that state when its
 * last pair goes away.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iked_ike.h"
#include "log.h"

enum {
	CHASH_MIN = 64,
	ERR_MAX = 200,
};

struct iked_child {
	struct iked_child *hnext;	/* by inbound SPI */
	struct iked_child *snext;	/* in its slot, oldest first */
	struct iked_slot *slot;
	struct dp_sa_key in, out;
	bool out_ok;			/* we may send on it (see above) */
	uint8_t mode;			/* enum ike_mode */
	uint8_t n_local_ts, n_remote_ts;
	struct ts ts[];			/* negotiated: local, then remote */
};

/* What a trap slot keeps while it has no CHILD SA. */
struct iked_trap {
	char conn[IKE_NAME_MAX], child[IKE_NAME_MAX];
	uint8_t mode;
	struct ip_addr local, remote;
	uint8_t n_local_ts, n_remote_ts;
	struct ts ts[];			/* configured, "dynamic" resolved */
};

struct iked_slot {
	struct iked_slot *next;		/* trap slots only: the list of them */
	struct iked_child *children;
	struct iked_child *current;	/* what the policies point at; NULL: the trap */
	bool installed;			/* spd holds policies and routes */
	struct iked_spd spd;
	struct iked_trap *trap;		/* NULL: freed with its last pair */
};

/* ---- the table of pairs --------------------------------------------------------- */

static size_t bucket(const struct iked_ike *h, uint32_t spi)
{
	return (spi * 2654435761u) & (h->chash_size - 1);
}

static struct iked_child *find(const struct iked_ike *h, uint32_t spi_in)
{
	if (!h->chash_size)
		return NULL;
	for (struct iked_child *c = h->chash[bucket(h, spi_in)]; c; c = c->hnext)
		if (c->in.spi == spi_in)
			return c;
	return NULL;
}

static int table_add(struct iked_ike *h, struct iked_child *c)
{
	if (h->n_children + 1 > h->chash_size) {
		size_t nsz = h->chash_size ? 2 * h->chash_size : CHASH_MIN;
		struct iked_child **n = calloc(nsz, sizeof(*n)), **old = h->chash;
		size_t osz = h->chash_size;

		if (!n)
			return -1;
		h->chash = n;
		h->chash_size = nsz;
		for (size_t i = 0; i < osz; i++)
			for (struct iked_child *x = old[i], *next; x; x = next) {
				next = x->hnext;
				x->hnext = h->chash[bucket(h, x->in.spi)];
				h->chash[bucket(h, x->in.spi)] = x;
			}
		free(old);
	}
	c->hnext = h->chash[bucket(h, c->in.spi)];
	h->chash[bucket(h, c->in.spi)] = c;
	h->n_children++;
	return 0;
}

static void table_del(struct iked_ike *h, struct iked_child *c)
{
	if (!h->chash_size)
		return;
	for (struct iked_child **pp = &h->chash[bucket(h, c->in.spi)]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			h->n_children--;
			return;
		}
}

/* ---- slots ----------------------------------------------------------------------- */

static struct iked_child *preferred(const struct iked_slot *s)
{
	struct iked_child *want = NULL, *last = NULL;

	for (struct iked_child *c = s->children; c; c = c->snext) {
		last = c;
		if (c->out_ok)
			want = c;
	}
	return want ? want : last;
}

static bool same_ts(const struct ts *a, unsigned al, unsigned ar, const struct ts *b, unsigned bl,
		    unsigned br)
{
	return al == bl && ar == br && memcmp(a, b, (al + ar) * sizeof(*a)) == 0;
}

/* Point the slot's policies at its preferred pair, or at nothing (trap). */
static int slot_update(struct iked *k, struct iked_slot *s)
{
	struct iked_child *want = preferred(s), *cur = s->current;
	const struct ts *ts;
	unsigned nl, nr;
	bool transport;
	const struct ip_addr *local;
	struct dp_sa_key out;
	struct iked_spd n;
	char err[ERR_MAX];

	if (s->installed && want == cur)
		return 0;
	if (!want && !s->trap) {
		if (s->installed)
			iked_spd_del(k, &s->spd);
		s->installed = false;
		s->current = NULL;
		return 0;
	}
	if (want) {
		ts = want->ts;
		nl = want->n_local_ts;
		nr = want->n_remote_ts;
		transport = want->mode == IKE_MODE_TRANSPORT;
		local = &want->in.dst;
		out = want->out;
	} else {
		ts = s->trap->ts;
		nl = s->trap->n_local_ts;
		nr = s->trap->n_remote_ts;
		transport = s->trap->mode == IKE_MODE_TRANSPORT;
		local = &s->trap->local;
		memset(&out, 0, sizeof(out));
		out.dir = DP_OUT;
		out.dst = s->trap->remote;	/* SPI 0: no SA yet, acquire */
	}
	if (s->installed) {
		/* The same selectors (a rekey, or a trap that got the SA it
		 * asked for): the policies keep their place. */
		const struct ts *cts = cur ? cur->ts : s->trap->ts;
		unsigned cl = cur ? cur->n_local_ts : s->trap->n_local_ts;
		unsigned cr = cur ? cur->n_remote_ts : s->trap->n_remote_ts;

		if (same_ts(ts, nl, nr, cts, cl, cr) &&
		    iked_spd_repoint(k, &s->spd, ts, nl, ts + nl, nr, &out, err, sizeof(err)) == 0) {
			s->current = want;
			return 0;
		}
	}
	/* New policies and routes first, then the old ones go: no gap. */
	if (iked_spd_add(k, &n, transport, local, ts, nl, ts + nl, nr, &out, err, sizeof(err)) != 0) {
		log_err("ike: policies for %08x: %s", want ? want->in.spi : 0, err);
		return -1;
	}
	if (s->installed)
		iked_spd_del(k, &s->spd);
	s->spd = n;
	s->installed = true;
	s->current = want;
	return 0;
}

static struct iked_slot *trap_find(struct iked *k, const char *conn, const char *child)
{
	for (struct iked_slot *s = k->ike->traps; s; s = s->next)
		if (!strcmp(s->trap->conn, conn) && !strcmp(s->trap->child, child))
			return s;
	return NULL;
}

static void slot_free(struct iked *k, struct iked_slot *s)
{
	if (s->installed)
		iked_spd_del(k, &s->spd);
	free(s->trap);
	free(s);
}

/* ---- install and remove --------------------------------------------------------- */

static void fill_sa(struct dp_sa *d, const struct ike_child_sa *sa, bool in)
{
	memset(d, 0, sizeof(*d));
	d->id.dir = in ? DP_IN : DP_OUT;
	d->id.spi = in ? sa->spi_in : sa->spi_out;
	d->id.dst = in ? sa->local.addr : sa->remote.addr;
	d->src = in ? sa->remote.addr : sa->local.addr;
	d->mode = sa->mode == IKE_MODE_TRANSPORT ? DP_TRANSPORT : DP_TUNNEL;
	d->alg = sa->encr;
	d->keybits = sa->encr_bits;
	d->esn = sa->esn;
	if (sa->encap) {
		d->encap_sport = in ? sa->remote.port : sa->local.port;
		d->encap_dport = in ? sa->local.port : sa->remote.port;
	}
	memcpy(d->keymat, in ? sa->key_in : sa->key_out, sa->key_len);
	d->keylen = sa->key_len;
	d->replay_window = sa->replay_window;
	/* The soft limit asks the engine to rekey; the hard one ends the SA. */
	d->hard_bytes = sa->life_bytes;
	d->hard_packets = sa->life_packets;
	d->soft_bytes = sa->life_bytes - sa->life_bytes / 10;
	d->soft_packets = sa->life_packets - sa->life_packets / 10;
	/* Our side and the peer's, whatever the direction. */
	memcpy(d->local_ts, sa->local_ts, sa->n_local_ts * sizeof(struct ts));
	memcpy(d->remote_ts, sa->remote_ts, sa->n_remote_ts * sizeof(struct ts));
	d->n_local_ts = sa->n_local_ts;
	d->n_remote_ts = sa->n_remote_ts;
}

int iked_child_install(void *ctx, const struct ike_child_sa *sa)
{
	struct iked *k = ctx;
	struct iked_ike *h = k->ike;
	struct iked_child *c, *old, **pp;
	struct iked_slot *s = NULL;
	struct dp_sa d;
	char err[ERR_MAX];
	bool in_done = false, alone;
	unsigned nts = (unsigned)sa->n_local_ts + sa->n_remote_ts;

	if (sa->key_len > DP_KEY_MAX || sa->n_local_ts > DP_TS_MAX || sa->n_remote_ts > DP_TS_MAX ||
	    !sa->n_local_ts || !sa->n_remote_ts) {
		log_err("ike: %s/%s: CHILD SA %08x does not fit the datapath (%u+%u selectors)", sa->conn,
			sa->child, sa->spi_in, sa->n_local_ts, sa->n_remote_ts);
		h->install_failures++;
		return -1;
	}
	c = calloc(1, sizeof(*c) + nts * sizeof(struct ts));
	if (!c)
		goto fail;
	/* Inbound first: the peer may use its outbound SA the moment it has
	 * our answer. */
	for (int in = 1; in >= 0; in--) {
		int rc;

		fill_sa(&d, sa, in);
		rc = dp_sa_add(k->dp, &d, err, sizeof(err));
		sodium_memzero(d.keymat, sizeof(d.keymat));
		if (rc != 0) {
			log_err("ike: %s/%s: %s SA %08x refused by the datapath: %s", sa->conn, sa->child,
				in ? "inbound" : "outbound", d.id.spi, err);
			goto fail;
		}
		*(in ? &c->in : &c->out) = d.id;
		in_done = true;
	}
	c->mode = sa->mode;
	c->n_local_ts = sa->n_local_ts;
	c->n_remote_ts = sa->n_remote_ts;
	memcpy(c->ts, sa->local_ts, sa->n_local_ts * sizeof(struct ts));
	memcpy(c->ts + sa->n_local_ts, sa->remote_ts, sa->n_remote_ts * sizeof(struct ts));

	/* Its slot: the one of the pair it rekeys, a waiting trap, or its own. */
	old = sa->replaces ? find(h, sa->replaces) : NULL;
	if (old)
		s = old->slot;
	if (!s && (s = trap_find(k, sa->conn, sa->child)) && s->children)
		s = NULL;
	if (!s && !(s = calloc(1, sizeof(*s))))
		goto fail;
	alone = !s->children;
	c->out_ok = alone || sa->initiated;
	c->slot = s;
	for (pp = &s->children; *pp; pp = &(*pp)->snext)
		;
	*pp = c;
	if (table_add(h, c) != 0 || slot_update(k, s) != 0) {
		table_del(h, c);
		*pp = NULL;
		if (!s->children && !s->trap)
			slot_free(k, s);
		goto fail;
	}
	return 0;
fail:
	h->install_failures++;
	if (c && in_done) {
		if (c->out.spi)
			dp_sa_del(k->dp, &c->out);
		dp_sa_del(k->dp, &c->in);
	}
	free(c);
	return -1;
}

void iked_child_remove(void *ctx, const struct ike_child_sa *sa)
{
	struct iked *k = ctx;
	struct iked_child *c = find(k->ike, sa->spi_in);
	struct iked_slot *s;

	if (!c)
		return;
	s = c->slot;
	for (struct iked_child **pp = &s->children; *pp; pp = &(*pp)->snext)
		if (*pp == c) {
			*pp = c->snext;
			break;
		}
	/* Policies move off the pair (or go) before its SAs do. */
	if (s->current == c && slot_update(k, s) != 0) {
		/* Nothing else to point at: drop them rather than leave them
		 * naming an SA that is about to go. */
		if (s->installed)
			iked_spd_del(k, &s->spd);
		s->installed = false;
		s->current = NULL;
	}
	if (!s->children && !s->trap)
		slot_free(k, s);
	table_del(k->ike, c);
	dp_sa_del(k->dp, &c->out);
	dp_sa_del(k->dp, &c->in);
	free(c);
}

bool iked_child_keys(struct iked *k, uint32_t spi_in, struct dp_sa_key *in, struct dp_sa_key *out)
{
	struct iked_child *c = find(k->ike, spi_in);

	if (!c)
		return false;
	*in = c->in;
	*out = c->out;
	return true;
}

/* ---- traps ----------------------------------------------------------------------- */

int iked_child_traps_add(struct iked *k, const struct cfg_conn *c, char *err, size_t errlen)
{
	const struct ip_addr *local = &c->local_addrs[0].addr, *remote = &c->remote_addrs[0].addr;

	for (unsigned i = 0; i < c->n_children; i++) {
		const struct cfg_child *ch = &c->children[i];
		unsigned nts = ch->n_local_ts + ch->n_remote_ts;
		struct iked_slot *s;
		struct iked_trap *t;

		if (ch->start_action != CFG_START_TRAP)
			continue;
		s = calloc(1, sizeof(*s));
		t = calloc(1, sizeof(*t) + nts * sizeof(struct ts));
		if (!s || !t) {
			free(s);
			free(t);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		snprintf(t->conn, sizeof(t->conn), "%s", c->name);
		snprintf(t->child, sizeof(t->child), "%s", ch->name);
		t->mode = ch->mode == CFG_MODE_TRANSPORT ? IKE_MODE_TRANSPORT : IKE_MODE_TUNNEL;
		t->local = *local;
		t->remote = *remote;
		t->n_local_ts = (uint8_t)ch->n_local_ts;
		t->n_remote_ts = (uint8_t)ch->n_remote_ts;
		for (unsigned j = 0; j < ch->n_local_ts; j++)
			ike_ts_resolve(&ch->local_ts[j].ts, 1, local, &t->ts[j]);
		for (unsigned j = 0; j < ch->n_remote_ts; j++)
			ike_ts_resolve(&ch->remote_ts[j].ts, 1, remote, &t->ts[ch->n_local_ts + j]);
		s->trap = t;
		if (slot_update(k, s) != 0) {
			snprintf(err, errlen, "child %s: the datapath refused its trap policies", ch->name);
			slot_free(k, s);
			goto fail;
		}
		s->next = k->ike->traps;
		k->ike->traps = s;
	}
	return 0;
fail:
	iked_child_traps_remove(k, c->name);
	return -1;
}

void iked_child_traps_remove(struct iked *k, const char *conn)
{
	for (struct iked_slot **pp = &k->ike->traps; *pp;) {
		struct iked_slot *s = *pp;

		if (strcmp(s->trap->conn, conn)) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		if (s->children) {
			/* Its pairs outlive the trap (the engine removes them
			 * itself): the slot becomes an ordinary one. */
			free(s->trap);
			s->trap = NULL;
			s->next = NULL;
			continue;
		}
		slot_free(k, s);
	}
}

bool iked_child_trapped(struct iked *k, const char *conn, const char *child)
{
	struct iked_slot *s = trap_find(k, conn, child);

	return s && !s->children;
}

/* ---- datapath events -------------------------------------------------------------- */

bool iked_child_dp_event(struct iked *k, const struct dp_event *ev)
{
	struct iked_ike *h = k->ike;

	if (ev->kind == DP_EV_ACQUIRE) {
		for (struct iked_slot *s = h->traps; s; s = s->next) {
			if (s->current)
				continue;
			for (unsigned i = 0; i < s->spd.n_pols; i++)
				if (s->spd.pols[i] == ev->policy_id) {
					log_info("ike: %s/%s: traffic on its trap policy, initiating",
						 s->trap->conn, s->trap->child);
					h->acquires++;
					ike_acquire(h->e, s->trap->conn, s->trap->child, iked_ike_now());
					iked_ike_rearm(k);
					return true;
				}
		}
		return false;
	}
	for (size_t b = 0; b < h->chash_size; b++)
		for (struct iked_child *c = h->chash[b]; c; c = c->hnext) {
			const struct dp_sa_key *key = ev->sa.dir == DP_IN ? &c->in : &c->out;

			if (key->spi != ev->sa.spi || !addr_equal(&key->dst, &ev->sa.dst))
				continue;
			log_info("ike: %s expire of %s SA %08x%s", ev->kind == DP_EV_HARD_EXPIRE ? "hard" : "soft",
				 ev->sa.dir == DP_IN ? "inbound" : "outbound", ev->sa.spi,
				 ev->kind == DP_EV_HARD_EXPIRE ? ": deleting the CHILD SA" : ": rekeying");
			h->expires++;
			ike_child_expire(h->e, c->in.spi, ev->kind == DP_EV_HARD_EXPIRE, iked_ike_now());
			iked_ike_rearm(k);
			return true;
		}
	return false;
}

void iked_child_free_all(struct iked *k)
{
	struct iked_ike *h = k->ike;

	while (h->traps) {
		struct iked_slot *s = h->traps;

		h->traps = s->next;
		s->children = NULL;
		slot_free(k, s);
	}
	/* The engine removed every pair on shutdown; anything left is a bug,
	 * but its SAs go with the datapath anyway. */
	for (size_t b = 0; b < h->chash_size; b++)
		while (h->chash[b]) {
			struct iked_child *c = h->chash[b];

			h->chash[b] = c->hnext;
			log_warn("ike: CHILD SA %08x still installed at shutdown", c->in.spi);
			free(c);
		}
	free(h->chash);
	h->chash = NULL;
	h->chash_size = h->n_children = 0;
}
