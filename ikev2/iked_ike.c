// SPDX-License-Identifier: MIT
/*
 * The IKE engine (ike.h) inside secgw-iked: it reads and writes through
 * iked's UDP sockets (udp.c), runs on one loop timer armed at
 * ike_next_timer(), installs what it negotiates through iked_child.c, and
 * reports to the control socket: events as they happen, status and
 * counters on request. Connections come and go with iked_load().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ike_cfg.h"
#include "iked_ike.h"
#include "log.h"

enum { IKED_ERR_MAX = 200 };

uint64_t iked_ike_now(void)
{
	return loop_now_ms();
}

void iked_ike_done(struct iked *k)
{
	struct iked_ike *h = k->ike;
	uint64_t next = ike_next_timer(h->e), now = iked_ike_now();

	iked_udp_flush(k);
	if (next == UINT64_MAX) {
		loop_timer_cancel(k->loop, &h->timer);
		return;
	}
	if (loop_timer_armed(&h->timer) && h->timer.due_ms == next)
		return;
	loop_timer_arm(k->loop, &h->timer, next > now ? next - now : 0);
}

static void on_timer(void *arg)
{
	struct iked *k = arg;

	ike_tick(k->ike->e, iked_ike_now());
	iked_ike_done(k);
}

/* ---- the engine's callbacks -------------------------------------------------------- */

static void on_send(void *ctx, const struct ike_endpoint *from, const struct ike_endpoint *to,
		    const uint8_t *data, size_t len)
{
	iked_udp_send(ctx, from, to, data, len);
}

static void on_event(void *ctx, const struct ike_event *ev)
{
	struct iked *k = ctx;
	json_t *j;

	log_info("ike: %s %s%s%s%s%s", ike_event_name(ev->type), ev->conn, ev->child ? "/" : "",
		 ev->child ? ev->child : "", ev->reason ? ": " : "", ev->reason ? ev->reason : "");
	if (!k->ctl)
		return;
	j = ike_event_json(ev, time(NULL));
	ctl_broadcast(k->ctl, j);
	json_decref(j);
}

void iked_ike_input(struct iked *k, const uint8_t *msg, size_t len,
		    const struct sockaddr_storage *from, const struct sockaddr_storage *to)
{
	struct ike_endpoint f, t;

	iked_udp_endpoint(from, &f);
	iked_udp_endpoint(to, &t);
	ike_input(k->ike->e, &f, &t, msg, len, iked_ike_now());
}

void iked_ike_rx(void *arg, int fd, const uint8_t *msg, size_t len,
		 const struct sockaddr_storage *from, const struct sockaddr_storage *to)
{
	iked_ike_input(arg, msg, len, from, to);
	iked_ike_done(arg);
}

int iked_ike_open(struct iked *k, const struct ike_opts *opts)
{
	struct ike_env env = { .ctx = k, .send = on_send, .event = on_event,
			       .child_install = iked_child_install, .child_remove = iked_child_remove };
	struct iked_ike *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h->e = ike_engine_new(opts, &env);
	if (!h->e) {
		free(h);
		return -1;
	}
	loop_timer_init(&h->timer, on_timer, k);
	k->ike = h;
	return 0;
}

void iked_ike_close(struct iked *k)
{
	struct iked_ike *h = k->ike;

	if (!h)
		return;
	ike_shutdown(h->e, iked_ike_now());
	iked_udp_flush(k);	/* the Deletes */
	ike_engine_free(h->e);
	loop_timer_cancel(k->loop, &h->timer);
	iked_child_free_all(k);
	free(h);
	k->ike = NULL;
}

/* ---- connections ------------------------------------------------------------------- */

/* ESP algorithms this datapath cannot install (AES-GCM without AES
 * instructions) would only fail the CHILD SA after a whole negotiation:
 * they are not offered or accepted. Returns how many proposals remain. */
static unsigned usable_esp(struct iked *k, struct ike_child_cfg *ch)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ch->n_esp; i++) {
		struct proposal p = ch->esp[i];

		p.n_encr = 0;
		for (unsigned j = 0; j < ch->esp[i].n_encr; j++)
			if (!dp_alg_unavailable(k->dp, ch->esp[i].encr[j].id))
				p.encr[p.n_encr++] = ch->esp[i].encr[j];
		if (p.n_encr)
			ch->esp[n++] = p;
	}
	ch->n_esp = (uint8_t)n;
	return n;
}

/* The engine's view of c, or NULL with a message (*child: the index of
 * the child it is about, or -1). */
static const char *map_conn(struct iked *k, const struct cfg *cfg, const struct cfg_conn *c,
			    struct ike_conn_cfg *out, struct ike_child_cfg *children, int *child)
{
	const char *why = ike_conn_from_cfg(cfg, c, out, children);

	*child = -1;
	if (why)
		return why;
	for (unsigned j = 0; j < c->n_children; j++) {
		const struct cfg_child *ch = &c->children[j];
		bool dyn = false;

		*child = (int)j;
		if (!usable_esp(k, &children[j]))
			return "no ESP proposal this datapath can install (AES-GCM needs AES instructions)";
		if (ch->start_action != CFG_START_TRAP)
			continue;
		for (unsigned i = 0; i < ch->n_local_ts; i++)
			dyn |= ch->local_ts[i].ts.dynamic;
		for (unsigned i = 0; i < ch->n_remote_ts; i++)
			dyn |= ch->remote_ts[i].ts.dynamic;
		if (!c->n_remote_addrs || c->remote_addrs[0].addr.family == IPF_NONE ||
		    c->remote_addrs[0].plen != ip_family_len(c->remote_addrs[0].addr.family) * 8 ||
		    (dyn && (!c->n_local_addrs || c->local_addrs[0].addr.family == IPF_NONE ||
			     c->local_addrs[0].plen != ip_family_len(c->local_addrs[0].addr.family) * 8)))
			return "start_action trap needs a plain remote address (and a plain local one "
			       "when a selector is dynamic)";
	}
	return NULL;
}

void iked_ike_check(struct iked *k, const struct cfg *cfg, struct cfg_errors *errs)
{
	struct ike_conn_cfg *cc = malloc(sizeof(*cc));
	struct ike_child_cfg *ch = malloc(CFG_CHILDREN_MAX * sizeof(*ch));

	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *c = &cfg->conns[i];
		const char *why;
		int j = -1;

		if (c->keying != CFG_KEYING_IKE || !c->enabled)
			continue;
		why = cc && ch ? map_conn(k, cfg, c, cc, ch, &j) : "out of memory";
		if (cc)
			sodium_memzero(cc, sizeof(*cc));
		if (why && errs->n < CFG_ERRORS_MAX) {
			struct cfg_error *e = &errs->e[errs->n++];

			if (j < 0)
				snprintf(e->field, sizeof(e->field), "connections[%u]", i);
			else
				snprintf(e->field, sizeof(e->field), "connections[%u].children[%d]", i, j);
			snprintf(e->message, sizeof(e->message), "%s", why);
		} else if (why) {
			errs->more++;
		}
	}
	free(cc);
	free(ch);
}

/* Sockets for IKE on the connection's port and on the NAT-T port, for each
 * family it may use. */
static int conn_sockets(struct iked *k, const struct cfg_conn *c, char *err, size_t errlen)
{
	bool v4 = false, v6 = false, any = false;
	uint16_t port = c->local_port ? c->local_port : CFG_IKE_PORT;

	for (unsigned i = 0; i < c->n_local_addrs; i++) {
		uint8_t f = c->local_addrs[i].addr.family;

		v4 |= f == IPF_V4 || f == IPF_NONE;
		v6 |= f == IPF_V6 || f == IPF_NONE;
		any |= f == IPF_NONE;
	}
	if (!c->n_local_addrs)
		v4 = v6 = any = true;
	for (int f = IPF_V4; f <= IPF_V6; f += IPF_V6 - IPF_V4) {
		char e2[IKED_ERR_MAX];

		if (!(f == IPF_V4 ? v4 : v6))
			continue;
		if ((port != IKE_NATT_PORT && iked_udp_socket(k, (uint8_t)f, port, false, e2, sizeof(e2)) < 0) ||
		    iked_udp_socket(k, (uint8_t)f, IKE_NATT_PORT, true, e2, sizeof(e2)) < 0) {
			/* %any on a host without IPv6 still works over IPv4. */
			if (any && f == IPF_V6 && v4) {
				log_info("connection %s: no IPv6 IKE socket: %s", c->name, e2);
				continue;
			}
			snprintf(err, errlen, "%s", e2);
			return -1;
		}
	}
	return 0;
}

int iked_ike_conn_add(struct iked *k, const struct cfg *cfg, struct iked_conn *ic, char *err,
		      size_t errlen)
{
	const struct cfg_conn *c = ic->cfg;
	struct ike_conn_cfg *cc = calloc(1, sizeof(*cc));
	struct ike_child_cfg *ch = calloc(c->n_children ? c->n_children : 1, sizeof(*ch));
	const char *why;
	int rc = -1, j;

	if (!cc || !ch) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((why = map_conn(k, cfg, c, cc, ch, &j))) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	if (conn_sockets(k, c, err, errlen) != 0 || iked_child_traps_add(k, c, err, errlen) != 0)
		goto out;
	/* The engine copies it (and starts start_action start children). */
	if ((why = ike_conn_add(k->ike->e, cc, iked_ike_now()))) {
		snprintf(err, errlen, "%s", why);
		iked_child_traps_remove(k, c->name);
		goto out;
	}
	rc = 0;
out:
	if (cc)
		sodium_memzero(cc, sizeof(*cc));
	free(cc);
	free(ch);
	iked_ike_done(k);
	return rc;
}

void iked_ike_conn_remove(struct iked *k, struct iked_conn *ic)
{
	ike_conn_remove(k->ike->e, ic->name, iked_ike_now());
	iked_child_traps_remove(k, ic->name);
	iked_ike_done(k);
}

int iked_ike_control(struct iked *k, enum iked_ike_op op, const struct iked_conn *ic,
		     const char *child, char *err, size_t errlen)
{
	struct ike_engine *e = k->ike->e;
	uint64_t now = iked_ike_now();
	int rc = 0;

	switch (op) {
	case IKED_INITIATE:
		if (ike_initiate(e, ic->name, child, now) != 0) {
			snprintf(err, errlen, "%s has no plain remote address to initiate to", ic->name);
			rc = -1;
		}
		break;
	case IKED_TERMINATE:
		ike_terminate(e, ic->name, child, now);	/* nothing up is fine */
		break;
	case IKED_REKEY_CHILD:
	case IKED_REKEY_IKE:
		if (ike_rekey(e, ic->name, child, op == IKED_REKEY_IKE, now) != 0) {
			snprintf(err, errlen, "%s has no established %s to rekey", ic->name,
				 op == IKED_REKEY_IKE ? "IKE SA" : "CHILD SA");
			rc = -1;
		}
		break;
	}
	iked_ike_done(k);
	return rc;
}

bool iked_ike_dp_event(struct iked *k, const struct dp_event *ev)
{
	return iked_child_dp_event(k, ev);
}

/* ---- status ------------------------------------------------------------------------ */

struct status {
	struct iked *k;
	uint64_t now_ms;
	time_t now;
	json_t *ike_sas, *children, *primary;
	int rank;
	const struct cfg_conn *cfg;
	bool *seen;
};

static int rank_of(const char *state)
{
	if (!strcmp(state, "established"))
		return 3;
	if (!strcmp(state, "connecting") || !strcmp(state, "authenticating"))
		return 2;
	return 1;
}

static void status_sa(void *ctx, const struct ike_sa_info *in)
{
	struct status *s = ctx;
	json_t *o = ike_sa_json(in, s->now_ms, s->now);
	int r = rank_of(in->state);

	json_array_append_new(s->ike_sas, o);
	/* The engine lists the newest first: keep the first of the best. */
	if (r > s->rank) {
		s->rank = r;
		s->primary = o;
	}
	for (unsigned i = 0; i < in->n_children; i++) {
		const struct ike_child_info *ci = &in->children[i];
		json_t *c = ike_child_json(ci, s->now_ms, s->now);
		struct dp_sa_key ki, ko;
		bool live = iked_child_keys(s->k, ci->spi_in, &ki, &ko);

		json_t *est = json_incref(json_object_get(c, "established"));
		json_t *rk = json_incref(json_object_get(c, "rekey_in"));

		/* The documented key order: counters before the times. */
		json_object_del(c, "established");
		json_object_del(c, "rekey_in");
		iked_sa_counters(s->k, live ? &ki : NULL, live ? &ko : NULL, c);
		json_object_set_new(c, "established", est);
		json_object_set_new(c, "rekey_in", rk);
		for (unsigned j = 0; j < s->cfg->n_children; j++)
			if (!strcmp(s->cfg->children[j].name, ci->name))
				s->seen[j] = true;
		json_array_append_new(s->children, c);
	}
}

static json_t *cfg_ts_list(const struct cfg_ts *t, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, json_string(t[i].text));
	return a;
}

void iked_ike_status(struct iked *k, const struct iked_conn *ic, json_t *o)
{
	const struct cfg_conn *c = ic->cfg;
	struct status s = { .k = k, .now_ms = iked_ike_now(), .now = time(NULL), .cfg = c };
	bool seen[CFG_CHILDREN_MAX] = { false };

	s.ike_sas = json_array();
	s.children = json_array();
	s.seen = seen;
	if (ic->state == IKED_IKE)
		ike_foreach_sa(k->ike->e, ic->name, s.now_ms, status_sa, &s);
	if (ic->state == IKED_IKE) {
		int64_t retry = s.rank < 2 ? ike_conn_reinit_in(k->ike->e, ic->name, s.now_ms) : -1;

		json_object_set_new(o, "state", json_string(s.rank == 3 ? "established"
							    : s.rank == 2 ? "connecting"
							    : retry >= 0 ? "retrying" : "down"));
		if (retry >= 0)
			json_object_set_new(o, "retry_in", json_integer((json_int_t)((retry + 999) / 1000)));
	}
	json_object_set_new(o, "ike", s.primary ? json_deep_copy(s.primary) : json_null());
	json_object_set_new(o, "ike_sas", s.ike_sas);
	/* Configured children without a CHILD SA, so every child shows. */
	for (unsigned j = 0; j < c->n_children; j++) {
		const struct cfg_child *ch = &c->children[j];
		json_t *d;

		if (seen[j])
			continue;
		d = json_pack("{s:s, s:s, s:s, s:n, s:n, s:n, s:o, s:o}", "name", ch->name,
			      "state", ic->state == IKED_IKE && iked_child_trapped(k, c->name, ch->name)
			      ? "trap" : "down", "mode", cfg_mode_name(ch->mode), "proposal", "spi_in",
			      "spi_out", "local_ts", cfg_ts_list(ch->local_ts, ch->n_local_ts),
			      "remote_ts", cfg_ts_list(ch->remote_ts, ch->n_remote_ts));
		iked_sa_counters(k, NULL, NULL, d);
		json_object_set_new(d, "established", json_null());
		json_object_set_new(d, "rekey_in", json_null());
		json_array_append_new(s.children, d);
	}
	json_object_set_new(o, "children", s.children);
}

json_t *iked_ike_stats(struct iked *k)
{
	struct ike_stats st;
	struct iked_ike *h = k->ike;

	ike_get_stats(h->e, &st);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "rx", (json_int_t)st.rx, "tx", (json_int_t)st.tx,
			 "rx_dropped", (json_int_t)st.rx_dropped, "retransmits", (json_int_t)st.retransmits,
			 "replays", (json_int_t)st.replays, "ike_up", (json_int_t)st.ike_up,
			 "ike_failed", (json_int_t)st.ike_failed, "child_up", (json_int_t)st.child_up,
			 "cookies_sent", (json_int_t)st.cookies_sent, "ike_sas", (json_int_t)st.ike_sas,
			 "half_open", (json_int_t)st.half_open, "children", (json_int_t)st.children,
			 "children_installed", (json_int_t)h->n_children, "acquires", (json_int_t)h->acquires,
			 "expires", (json_int_t)h->expires, "install_failures", (json_int_t)h->install_failures,
			 "send_errors", (json_int_t)(k->udp_send_errors + k->udp_no_socket));
}
