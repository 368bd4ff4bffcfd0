// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the exchanges behind authentication. Two engines in memory
 * establish a real IKE SA; each input then becomes the inner payload chain
 * of a message that the initiator's keys seal correctly — as a request in
 * the responder's window or as a response to the initiator's outstanding
 * request — so the fuzzer reaches what only an authenticated peer can:
 * IKE_AUTH, CREATE_CHILD_SA (child, rekey, IKE rekey) and INFORMATIONAL
 * processing with arbitrary payloads. When an input ends the SA, the next
 * one builds a fresh pair.
 *
 * Input: [0] exchange (0 IKE_AUTH, 1 CREATE_CHILD_SA, 2 INFORMATIONAL,
 *        3 as a response to a pending request of ours), [1] first inner
 *        payload type, [2] bit 0: to the initiator instead, rest: payloads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ikev2/ike_int.h"
#include "ikev2/sk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { QMAX = 64 };

static struct {
	struct ike_engine *e[2];
	struct ike_endpoint addr[2];
	uint64_t now;
	int nq;
	struct {
		int to;
		size_t len;
		uint8_t b[IKE_MSG_MAX + 4];
	} q[QMAX];
	struct ike_child_cfg ch[2];
} w;

static void wire_send(void *ctx, const struct ike_endpoint *from, const struct ike_endpoint *to,
		      const uint8_t *d, size_t n)
{
	if (w.nq >= QMAX || n > sizeof(w.q[0].b))
		return;
	w.q[w.nq].to = ctx == w.e[0] ? 1 : 0;
	w.q[w.nq].len = n;
	memcpy(w.q[w.nq].b, d, n);
	w.nq++;
}

static int install(void *ctx, const struct ike_child_sa *sa)
{
	return 0;
}

static void flush(void)
{
	for (int guard = 0; w.nq && guard < 1000; guard++) {
		int to = w.q[0].to;
		size_t n = w.q[0].len;
		static uint8_t b[IKE_MSG_MAX + 4];

		memcpy(b, w.q[0].b, n);
		memmove(&w.q[0], &w.q[1], (size_t)(w.nq - 1) * sizeof(w.q[0]));
		w.nq--;
		ike_input(w.e[to], &w.addr[!to], &w.addr[to], b, n, w.now);
	}
}

static void conn(int i, const char *local, const char *remote, const char *lid, const char *rid)
{
	struct ike_conn_cfg c;
	unsigned plen;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "fz");
	c.n_local = c.n_remote = 1;
	addr_parse_endpoint(local, &c.local_addrs[0], &plen);
	c.local_plen[0] = (uint8_t)plen;
	addr_parse_endpoint(remote, &c.remote_addrs[0], &plen);
	c.remote_plen[0] = (uint8_t)plen;
	c.local_port = c.remote_port = 500;
	ike_id_parse(lid, &c.local_id);
	ike_id_parse(rid, &c.remote_id);
	c.psk_len = 12;
	memcpy(c.psk, "fuzz-psk-123", 12);
	c.n_ike = 1;
	proposal_parse(PROP_IKE, "chacha20poly1305-prfsha256-x25519", &c.ike[0]);
	c.rekey_time = 14400;
	memset(&w.ch[i], 0, sizeof(w.ch[i]));
	strcpy(w.ch[i].name, "net");
	w.ch[i].n_local_ts = w.ch[i].n_remote_ts = 1;
	ts_parse("10.0.0.0/8", &w.ch[i].local_ts[0]);
	ts_parse("10.0.0.0/8", &w.ch[i].remote_ts[0]);
	w.ch[i].n_esp = 1;
	proposal_parse(PROP_ESP, "chacha20poly1305-x25519", &w.ch[i].esp[0]);
	w.ch[i].rekey_time = 3600;
	c.n_children = 1;
	c.children = &w.ch[i];
	ike_conn_add(w.e[i], &c, w.now);
}

static struct ike_sa *live_sa(int i)
{
	for (struct ike_sa *sa = w.e[i]->sas; sa; sa = sa->next)
		if (sa->state == IKE_ST_ESTABLISHED)
			return sa;
	return NULL;
}

/* The other side of the same IKE SA (after rekeys both have several). */
static struct ike_sa *mate(int i, const struct ike_sa *of)
{
	for (struct ike_sa *sa = w.e[i]->sas; sa; sa = sa->next)
		if (sa->spi_i == of->spi_i && sa->spi_r == of->spi_r && sa->keys.prf &&
		    sa->state != IKE_ST_DEAD)
			return sa;
	return NULL;
}

static void fresh_pair(void)
{
	struct ike_env env = { .send = wire_send, .child_install = install };

	for (int i = 0; i < 2; i++) {
		if (w.e[i])
			ike_engine_free(w.e[i]);
		w.e[i] = ike_engine_new(NULL, &env);
		w.e[i]->env.ctx = w.e[i];
	}
	w.nq = 0;
	conn(0, "192.0.2.1", "192.0.2.2", "a.fz", "b.fz");
	conn(1, "192.0.2.2", "%any", "b.fz", "%any");
	ike_initiate(w.e[0], "fz", NULL, w.now);
	flush();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t exch[4] = { EXCH_IKE_AUTH, EXCH_CREATE_CHILD_SA, EXCH_INFORMATIONAL,
					 EXCH_INFORMATIONAL };
	static uint8_t out[IKE_MSG_MAX];
	struct ike_sa *from, *to;
	struct ike_hdr h;
	struct wbuf wb;
	int target;

	if (!w.e[0]) {
		log_init("fuzz", "/dev/null", LOG_LVL_ERR);
		addr_parse("192.0.2.1", &w.addr[0].addr);
		addr_parse("192.0.2.2", &w.addr[1].addr);
		w.addr[0].port = w.addr[1].port = 500;
		w.now = 1000;
	}
	if (size < 3 || size > IKE_MSG_MAX - 256)
		return 0;
	if (!w.e[0] || !live_sa(0) || !live_sa(1))
		fresh_pair();
	target = data[2] & 1 ? 0 : 1;
	to = live_sa(target);
	from = to ? mate(!target, to) : NULL;
	if (!from) {
		/* The two sides no longer share an SA (one deleted, the other
		 * not told): start over rather than stall. */
		fresh_pair();
		to = live_sa(target);
		from = to ? mate(!target, to) : NULL;
		if (!from)
			return 0;
	}
	if ((data[0] & 3) == 3) {
		/* A response: make the target start an exchange first. */
		ike_rekey(w.e[target], "fz", "net", false, w.now);
		w.nq = 0;	/* the real request never arrives at the other side */
		if (to->act.kind == TASK_NONE)
			return 0;
	}
	memset(&h, 0, sizeof(h));
	h.spi_i = to->spi_i;
	h.spi_r = to->spi_r;
	h.exchange = exch[data[0] & 3];
	/* Sent by the target's peer: its Initiator flag is the peer's role. */
	h.flags = from->initiator ? HDR_F_INITIATOR : 0;
	if ((data[0] & 3) == 3) {
		h.flags |= HDR_F_RESPONSE;
		h.msgid = to->act.msgid;
		h.exchange = task_table[to->act.kind].exchange;
	} else {
		h.msgid = to->msgid_in;
	}
	wb_init(&wb, out, sizeof(out), &h);
	wb_begin_sk(&wb, IKE_AEAD_IV_LEN);
	wb.p[wb.sk_at] = data[1];
	wb_bytes(&wb, data + 3, size - 3);
	if (sk_seal(&wb, &from->keys, from->initiator) != PLD_OK)
		return 0;
	ike_input(w.e[target], &w.addr[!target], &w.addr[target], wb.p, wb.len, w.now);
	flush();
	w.now += 10;
	ike_tick(w.e[0], w.now);
	ike_tick(w.e[1], w.now);
	flush();
	return 0;
}
