// SPDX-License-Identifier: MIT
/*
 * The engine's core: sending with the NAT-T marker, the queue of exchanges
 * we start (one outstanding at a time), message-ID windows with replay of
 * the cached response, and the dispatch of every received message to its
 * exchange. SA records live in ike_sa.c, timers in ike_timer.c.
 */
#include "ike_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sk.h"

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
		/* Its own buffer: responders still read the request (in e->in)
		 * after answering it. */
		uint8_t *b = e->wire;

		if (len + 4 > sizeof(e->wire))
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

bool sa_task_insert(struct ike_sa *sa, unsigned at, struct task t)
{
	if (sa->n_tasks == sa->cap_tasks) {
		unsigned nc = sa->cap_tasks ? 2 * sa->cap_tasks : 2;
		struct task *q;

		if (sa->n_tasks >= IKE_TASKS_MAX)
			return false;
		if (nc > IKE_TASKS_MAX)
			nc = IKE_TASKS_MAX;
		if (!(q = realloc(sa->tasks, nc * sizeof(*q))))
			return false;
		sa->tasks = q;
		sa->cap_tasks = nc;
	}
	if (at > sa->n_tasks)
		at = sa->n_tasks;
	memmove(&sa->tasks[at + 1], &sa->tasks[at], (sa->n_tasks - at) * sizeof(sa->tasks[0]));
	sa->tasks[at] = t;
	sa->n_tasks++;
	return true;
}

/* An idle SA (most of them, most of the time) holds no queue. */
static void tasks_trim(struct ike_sa *sa)
{
	if (sa->n_tasks == 0 && sa->tasks) {
		free(sa->tasks);
		sa->tasks = NULL;
		sa->cap_tasks = 0;
	}
}

void sa_queue(struct ike_sa *sa, enum task_kind k, const struct ike_child_cfg *cfg,
	      struct child *c)
{
	for (unsigned i = 0; i < sa->n_tasks; i++)
		if (sa->tasks[i].kind == k && sa->tasks[i].cfg == cfg && sa->tasks[i].child == c)
			return;
	if (sa->act.kind == k && sa->act.child == c && c)
		return;
	/* Deletes go first: nothing else should start on what is going away. */
	if (!sa_task_insert(sa, k == TASK_IKE_DELETE ? 0 : sa->n_tasks, (struct task){ k, cfg, c }))
		log_warn("IKE SA %s: too many queued exchanges (or out of memory), dropping one",
			 sa_name(sa));
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
		tasks_trim(sa);
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
	sa_reap(e);
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
	e->phash = calloc(e->hash_size, sizeof(*e->phash));
	e->ihash = calloc(e->hash_size, sizeof(*e->ihash));
	if (!e->hash || !e->phash || !e->ihash) {
		free(e->hash);
		free(e->phash);
		free(e->ihash);
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
		e->sas->state = IKE_ST_DEAD;	/* quietly: the engine goes, not the SA */
		e->n_dead++;
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
	free(e->phash);
	free(e->ihash);
	free(e->chash);
	free(e->nhash);
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
