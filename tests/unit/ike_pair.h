/* SPDX-License-Identifier: MIT */
/*
 * Two IKEv2 engines wired to each other in one process, as strongSwan's
 * exchange tests do: a virtual clock, a wire that can drop, duplicate or
 * NAT-rewrite datagrams, and a log of every message in RFC notation (the
 * SK payload opened with the sender's keys). Included by the engine tests.
 */
#ifndef SECGW_TEST_IKE_PAIR_H
#define SECGW_TEST_IKE_PAIR_H

#include <stdlib.h>

#include "ikev2/ike.h"
#include "ikev2/ike_int.h"
#include "ikev2/sk.h"
#include "tap.h"

enum { WIRE_MAX = 256, LOG_MAX = 512, EV_MAX = 256, INST_MAX = 1024 };

struct dgram {
	int from_peer;
	struct ike_endpoint from, to;
	size_t len;
	uint8_t data[IKE_MSG_MAX + 4];
};

struct installed {
	bool live;
	uint32_t spi_in, spi_out;
	uint8_t key_in[36], key_out[36];
	bool encap;
	uint16_t lport, rport;
	uint8_t mode;
	char ts[128];
};

struct peer {
	const char *name;
	struct ike_engine *e;
	struct ip_addr addr;		/* its own address */
	int n_ev;
	char ev[EV_MAX][256];
	struct ike_event last_neg;
	char neg_offered[IKE_EXPLAIN_MAX][IKE_EXPLAIN_LINE];
	char neg_accepted[IKE_EXPLAIN_MAX][IKE_EXPLAIN_LINE];
	char neg_reason[IKE_EXPLAIN_LINE];
	struct installed inst[INST_MAX];
	int n_installs, n_removes;
};

struct pair {
	struct peer p[2];
	uint64_t now;
	struct dgram wire[WIRE_MAX];
	int n_wire;
	int n_log;
	char log[LOG_MAX][600];
	uint64_t log_time[LOG_MAX];
	/* Drop filter: return true to lose datagram number `seq` (counted
	 * over all datagrams sent). */
	bool (*drop)(struct pair *pr, int seq, const struct dgram *d);
	int seq;
	int dropped;
	/* NAT: peer 0 sits behind a NAT that maps its address to nat_addr and
	 * its ports to nat_port_base + port. */
	bool nat;
	struct ip_addr nat_addr;
	uint16_t nat_port_base;
	/* Stop delivering to peer i (a dead peer). */
	bool dead[2];
};

static struct pair *cur_pair;

static int peer_index(struct pair *pr, struct ike_engine *e)
{
	return pr->p[0].e == e ? 0 : 1;
}

static void describe(struct pair *pr, int from, const struct dgram *d, char *out, size_t len)
{
	static uint8_t buf[IKE_MSG_MAX];
	struct ike_msg m;
	const uint8_t *p = d->data;
	size_t n = d->len;
	char desc[512];
	bool natt = d->to.port == IKE_NATT_PORT || d->from.port == IKE_NATT_PORT;

	if (natt && n == 1) {
		snprintf(out, len, "%s>%s keepalive", pr->p[from].name, pr->p[!from].name);
		return;
	}
	if (natt) {
		p += 4;
		n -= 4;
	}
	memcpy(buf, p, n);
	if (pld_parse(&m, buf, n) != PLD_OK) {
		snprintf(out, len, "%s>%s (unparsable)", pr->p[from].name, pr->p[!from].name);
		return;
	}
	if (m.sk >= 0) {
		/* The sender's SA has the keys; its SPI is the one of its role. */
		for (int k = 0; k < 2; k++) {
			struct ike_engine *e = pr->p[k ? !from : from].e;
			uint64_t spi_mine = ((m.hdr.flags & HDR_F_INITIATOR) != 0) == (k == 0)
				? m.hdr.spi_i : m.hdr.spi_r;
			struct ike_sa *sa = NULL;

			for (struct ike_sa *s = e->sas; s; s = s->next)
				if (sa_my_spi(s) == spi_mine && s->keys.prf)
					sa = s;
			if (sa) {
				memcpy(buf, p, n);
				pld_parse(&m, buf, n);
				if (sk_open(&m, buf, &sa->keys) == PLD_OK)
					break;
			}
		}
	}
	snprintf(out, len, "%s>%s %s%s", pr->p[from].name, pr->p[!from].name,
		 pld_describe(&m, desc, sizeof(desc)), natt ? " @4500" : "");
}

static void w_send(void *ctx, const struct ike_endpoint *from, const struct ike_endpoint *to,
		   const uint8_t *data, size_t len)
{
	struct pair *pr = cur_pair;
	int i = peer_index(pr, ctx);
	struct dgram *d;

	if (pr->n_wire >= WIRE_MAX || len > sizeof(d->data))
		return;
	d = &pr->wire[pr->n_wire++];
	d->from_peer = i;
	d->from = *from;
	d->to = *to;
	d->len = len;
	memcpy(d->data, data, len);
	if (pr->n_log < LOG_MAX) {
		describe(pr, i, d, pr->log[pr->n_log], sizeof(pr->log[0]));
		pr->log_time[pr->n_log] = pr->now;
		pr->n_log++;
	}
}

static void w_event(void *ctx, const struct ike_event *ev)
{
	struct pair *pr = cur_pair;
	struct peer *p = &pr->p[peer_index(pr, ctx)];

	if (p->n_ev < EV_MAX)
		snprintf(p->ev[p->n_ev++], sizeof(p->ev[0]), "%s %s%s%s%s%s", ike_event_name(ev->type),
			 ev->conn, ev->child ? "/" : "", ev->child ? ev->child : "",
			 ev->reason ? ": " : "", ev->reason ? ev->reason : "");
	if (ev->type == IKE_EV_NEG_FAILED) {
		p->last_neg = *ev;
		memset(p->neg_offered, 0, sizeof(p->neg_offered));
		memset(p->neg_accepted, 0, sizeof(p->neg_accepted));
		for (unsigned i = 0; i < ev->n_offered && i < IKE_EXPLAIN_MAX; i++)
			snprintf(p->neg_offered[i], IKE_EXPLAIN_LINE, "%s", ev->offered[i]);
		for (unsigned i = 0; i < ev->n_accepted && i < IKE_EXPLAIN_MAX; i++)
			snprintf(p->neg_accepted[i], IKE_EXPLAIN_LINE, "%s", ev->accepted[i]);
		snprintf(p->neg_reason, sizeof(p->neg_reason), "%s", ev->reason ? ev->reason : "");
	}
}

static int w_install(void *ctx, const struct ike_child_sa *s)
{
	struct pair *pr = cur_pair;
	struct peer *p = &pr->p[peer_index(pr, ctx)];
	char a[TS_STR_MAX], b[TS_STR_MAX];

	for (int i = 0; i < INST_MAX; i++)
		if (!p->inst[i].live) {
			struct installed *in = &p->inst[i];

			in->live = true;
			in->spi_in = s->spi_in;
			in->spi_out = s->spi_out;
			memcpy(in->key_in, s->key_in, s->key_len);
			memcpy(in->key_out, s->key_out, s->key_len);
			in->encap = s->encap;
			in->lport = s->local.port;
			in->rport = s->remote.port;
			in->mode = s->mode;
			snprintf(in->ts, sizeof(in->ts), "%s === %s",
				 s->n_local_ts ? ts_format(&s->local_ts[0], a, sizeof(a)) : "-",
				 s->n_remote_ts ? ts_format(&s->remote_ts[0], b, sizeof(b)) : "-");
			p->n_installs++;
			return 0;
		}
	return -1;
}

static void w_remove(void *ctx, const struct ike_child_sa *s)
{
	struct pair *pr = cur_pair;
	struct peer *p = &pr->p[peer_index(pr, ctx)];

	for (int i = 0; i < INST_MAX; i++)
		if (p->inst[i].live && p->inst[i].spi_in == s->spi_in) {
			p->inst[i].live = false;
			p->n_removes++;
		}
}

__attribute__((unused)) static int live_children(const struct peer *p)
{
	int n = 0;

	for (int i = 0; i < INST_MAX; i++)
		n += p->inst[i].live;
	return n;
}

/* Both ends of every live CHILD SA agree on SPIs and keys. */
__attribute__((unused)) static bool children_match(const struct pair *pr)
{
	int n = 0;

	for (int i = 0; i < INST_MAX; i++) {
		const struct installed *a = &pr->p[0].inst[i];
		bool found = false;

		if (!a->live)
			continue;
		n++;
		for (int j = 0; j < INST_MAX; j++) {
			const struct installed *b = &pr->p[1].inst[j];

			if (b->live && b->spi_in == a->spi_out && b->spi_out == a->spi_in &&
			    !memcmp(a->key_out, b->key_in, 36) && !memcmp(a->key_in, b->key_out, 36))
				found = true;
		}
		if (!found)
			return false;
	}
	return n > 0 && n == live_children(&pr->p[1]);
}

__attribute__((unused)) static void pair_init(struct pair *pr, const struct ike_opts *oa, const struct ike_opts *ob)
{
	const struct ike_opts *o[2] = { oa, ob };

	memset(pr, 0, sizeof(*pr));
	cur_pair = pr;
	pr->now = 1000000;
	pr->p[0].name = "A";
	pr->p[1].name = "B";
	addr_parse("192.0.2.1", &pr->p[0].addr);
	addr_parse("192.0.2.2", &pr->p[1].addr);
	for (int i = 0; i < 2; i++) {
		struct ike_env env = { .send = w_send, .event = w_event, .child_install = w_install,
				       .child_remove = w_remove };

		/* ctx must identify the engine before it exists: patch after. */
		pr->p[i].e = ike_engine_new(o[i], &env);
		pr->p[i].e->env.ctx = pr->p[i].e;
	}
}

__attribute__((unused)) static void pair_free(struct pair *pr)
{
	ike_engine_free(pr->p[0].e);
	ike_engine_free(pr->p[1].e);
}

/* Deliver up to `max` datagrams (in order), ticking no clock; what the
 * deliveries send is delivered too when max allows. */
__attribute__((unused)) static void pair_deliver(struct pair *pr, int max)
{
	static struct dgram d;

	while (pr->n_wire && max-- > 0) {
		int to;

		d = pr->wire[0];
		memmove(&pr->wire[0], &pr->wire[1], (size_t)(pr->n_wire - 1) * sizeof(pr->wire[0]));
		pr->n_wire--;
		to = !d.from_peer;
		if (pr->drop && pr->drop(pr, pr->seq++, &d)) {
			pr->dropped++;
			continue;
		}
		if (pr->dead[to])
			continue;
		if (pr->nat) {
			/* Peer 0's packets leave through the NAT; replies come
			 * back to the mapped address and are translated back. */
			if (d.from_peer == 0) {
				d.from.addr = pr->nat_addr;
				d.from.port = (uint16_t)(pr->nat_port_base + d.from.port);
			} else {
				d.to.addr = pr->p[0].addr;
				d.to.port = (uint16_t)(d.to.port - pr->nat_port_base);
			}
		}
		ike_input(pr->p[to].e, &d.from, &d.to, d.data, d.len, pr->now);
	}
}

__attribute__((unused)) static void pair_flush(struct pair *pr)
{
	pair_deliver(pr, 1 << 30);
}

/* Run until quiet: deliver, then jump the clock to the next timer, up to
 * `until` (absolute ms). */
__attribute__((unused)) static void pair_run(struct pair *pr, uint64_t until)
{
	for (int guard = 0; guard < 100000; guard++) {
		uint64_t t;

		pair_flush(pr);
		t = ike_next_timer(pr->p[0].e);
		if (ike_next_timer(pr->p[1].e) < t)
			t = ike_next_timer(pr->p[1].e);
		if (t > until)
			break;
		if (t > pr->now)
			pr->now = t;
		ike_tick(pr->p[0].e, pr->now);
		ike_tick(pr->p[1].e, pr->now);
	}
	pair_flush(pr);
	if (pr->now < until && until != UINT64_MAX)
		pr->now = until;
}

/* Is `want` among the log lines from index `from` on? Returns its index or -1. */
__attribute__((unused)) static int log_find(const struct pair *pr, int from, const char *want)
{
	for (int i = from; i < pr->n_log; i++)
		if (strstr(pr->log[i], want))
			return i;
	return -1;
}

__attribute__((unused)) static int ev_find(const struct peer *p, const char *prefix)
{
	for (int i = 0; i < p->n_ev; i++)
		if (!strncmp(p->ev[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

__attribute__((unused)) static void dump_log(const struct pair *pr)
{
	for (int i = 0; i < pr->n_log; i++)
		printf("#   %8llu %s\n", (unsigned long long)(pr->log_time[i] - 1000000), pr->log[i]);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < pr->p[k].n_ev; i++)
			printf("#   event %s: %s\n", pr->p[k].name, pr->p[k].ev[i]);
}

/* Every SA of the engine is filed exactly once under its own SPI, and
 * nothing else is filed (white-box: a stale entry is a use-after-free). */
__attribute__((unused)) static bool tables_sound(const struct ike_engine *e)
{
	size_t filed = 0;

	for (size_t b = 0; b < e->hash_size; b++)
		for (const struct ike_sa *x = e->hash[b]; x; x = x->hnext) {
			bool listed = false;

			for (const struct ike_sa *y = e->sas; y; y = y->next)
				listed |= x == y;
			if (!listed || sa_by_spi((struct ike_engine *)e, sa_my_spi(x)) != x)
				return false;
			if (++filed > e->n_sas)
				return false;
		}
	return filed == e->n_sas;
}

/* ---- configuration helpers ---- */

__attribute__((unused)) static void child_default(struct ike_child_cfg *c, const char *name, const char *lts,
			  const char *rts, const char *esp)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->n_local_ts = c->n_remote_ts = 1;
	ts_parse(lts, &c->local_ts[0]);
	ts_parse(rts, &c->remote_ts[0]);
	c->n_esp = 1;
	proposal_parse(PROP_ESP, esp, &c->esp[0]);
	c->rekey_time = 3600;
	c->replay_window = 128;
}

__attribute__((unused)) static void conn_default(struct ike_conn_cfg *c, const char *name, const char *local,
			 const char *remote, const char *lid, const char *rid, const char *psk,
			 const char *ike)
{
	unsigned plen;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->n_local = c->n_remote = 1;
	addr_parse_endpoint(local, &c->local_addrs[0], &plen);
	c->local_plen[0] = (uint8_t)plen;
	addr_parse_endpoint(remote, &c->remote_addrs[0], &plen);
	c->remote_plen[0] = (uint8_t)plen;
	c->local_port = c->remote_port = 500;
	ike_id_parse(lid, &c->local_id);
	ike_id_parse(rid, &c->remote_id);
	c->psk_len = (uint16_t)strlen(psk);
	memcpy(c->psk, psk, c->psk_len);
	c->n_ike = 1;
	proposal_parse(PROP_IKE, ike, &c->ike[0]);
	c->rekey_time = 14400;
	c->dpd_delay = 0;
}

#endif
