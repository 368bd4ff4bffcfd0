// SPDX-License-Identifier: MIT
/*
 * IKE_SA_INIT (RFC 7296 §1.2) on both sides, with its three retries —
 * COOKIE (§2.6), INVALID_KE_PAYLOAD (§1.2) — and NAT detection (§2.23).
 *
 * The responder is the engine's exposed face: anyone can send it an
 * IKE_SA_INIT from any address. Everything before the half-open SA is
 * created is stateless (cookies, INVALID_KE, NO_PROPOSAL_CHOSEN), the number
 * of half-open SAs is capped, and each costs one fixed-size record plus the
 * two IKE_SA_INIT messages.
 */
#include "ike_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

enum { INIT_MAX_RETRIES = 3 };	/* COOKIE and INVALID_KE rounds, each */

static void natd_hashes(struct ike_sa *sa, uint64_t spi_r, uint8_t src[IKE_SHA1_LEN],
			uint8_t dst[IKE_SHA1_LEN])
{
	ike_natd_hash(sa->spi_i, spi_r, &sa->local.addr, sa->local.port, src);
	ike_natd_hash(sa->spi_i, spi_r, &sa->remote.addr, sa->remote.port, dst);
	/* nat_t force: a source hash that cannot match makes the peer see a
	 * NAT in front of us, so both sides encapsulate (what charon does). */
	if (sa->conn && sa->conn->cfg.nat_t == IKE_NAT_FORCE)
		randombytes_buf(src, IKE_SHA1_LEN);
}

/* Compare the peer's NAT detection notifies with what we see. Returns
 * false when the peer sent none (it does not do NAT-T). */
static bool natd_check(struct ike_sa *sa, const struct ike_msg *m, uint64_t spi_r)
{
	uint8_t src[IKE_SHA1_LEN], dst[IKE_SHA1_LEN];
	bool any_src = false, src_ok = false, any_dst = false, dst_ok = false;

	/* Their source is our remote; their destination is our local. */
	ike_natd_hash(sa->spi_i, spi_r, &sa->remote.addr, sa->remote.port, src);
	ike_natd_hash(sa->spi_i, spi_r, &sa->local.addr, sa->local.port, dst);
	for (unsigned i = 0; i < m->n; i++) {
		struct pld_notify n;

		if (m->p[i].type != PLD_NOTIFY || pld_get_notify(&m->p[i], &n) != PLD_OK)
			continue;
		if (n.len != IKE_SHA1_LEN)
			continue;
		/* Several source hashes may come (multi-homed peers). */
		if (n.type == N_NAT_DETECTION_SOURCE_IP) {
			any_src = true;
			src_ok |= !ike_memcmp_ct(n.data, src, IKE_SHA1_LEN);
		} else if (n.type == N_NAT_DETECTION_DESTINATION_IP) {
			any_dst = true;
			dst_ok |= !ike_memcmp_ct(n.data, dst, IKE_SHA1_LEN);
		}
	}
	if (!any_src || !any_dst)
		return false;
	sa->nat_remote = !src_ok;
	sa->nat_local = !dst_ok;
	return true;
}

/* Move IKE to the NAT-T port once a NAT is seen or forced (§2.23). */
static void float_ports(struct ike_sa *sa, bool peer_natt)
{
	struct ike_engine *e = sa->e;
	bool force = sa->conn && sa->conn->cfg.nat_t == IKE_NAT_FORCE;

	if (sa->conn && sa->conn->cfg.nat_t == IKE_NAT_OFF)
		return;
	sa->encap = peer_natt && (sa->nat_local || sa->nat_remote || force);
	if (force && !peer_natt)
		log_warn("%s: nat_t force, but the peer does not do NAT traversal", sa_name(sa));
	if (!sa->encap)
		return;
	if (sa->initiator) {
		sa->local.port = e->o.natt_port;
		if (sa->remote.port == 500)
			sa->remote.port = e->o.natt_port;
	}
	/* The side behind the NAT keeps its mapping open. */
	if (sa->nat_local || force)
		sa->keepalive_at = e->now + e->o.keepalive_ms;
}

static void init_payloads(struct ike_sa *sa, struct wbuf *w)
{
	struct handshake *hs = sa->hs;
	const struct ike_conn_cfg *c = &sa->conn->cfg;
	uint8_t pub[IKE_X25519_LEN], src[IKE_SHA1_LEN], dst[IKE_SHA1_LEN];

	/* §2.6: the cookie must be the first payload. */
	if (hs->cookie_len)
		wb_notify(w, 0, NULL, 0, N_COOKIE, hs->cookie, hs->cookie_len);
	build_proposals(w, PROTO_IKE, c->ike, c->n_ike, NULL, 0, hs->dh_group, true);
	crypto_scalarmult_base(pub, hs->dh_priv);
	wb_ke(w, hs->dh_group, pub, sizeof(pub));
	wb_nonce(w, hs->ni, hs->ni_len);
	if (c->nat_t != IKE_NAT_OFF) {
		natd_hashes(sa, 0, src, dst);
		wb_notify(w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
		wb_notify(w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, dst, sizeof(dst));
	}
}

int ike_init_build(struct ike_sa *sa, struct exch *x, struct wbuf *w)
{
	struct handshake *hs = sa->hs;

	if (!hs || !sa->conn)
		return -1;
	if (!hs->ni_len) {
		hs->ni_len = IKE_NONCE_LEN;
		randombytes_buf(hs->ni, hs->ni_len);
		ike_dh_keypair(hs->dh_priv, (uint8_t[IKE_X25519_LEN]){ 0 });
	}
	init_payloads(sa, w);
	sa->timeout_at = 0;
	return 0;
}

/* Send the IKE_SA_INIT request again (after COOKIE or INVALID_KE), as
 * message 0 with the same SPI. */
static int init_resend(struct ike_sa *sa)
{
	struct wbuf w;

	memset(&sa->act, 0, offsetof(struct exch, req));
	sa->act.kind = TASK_IKE_INIT;
	msg_begin(sa, &w, EXCH_IKE_SA_INIT, false, 0);
	init_payloads(sa, &w);
	if (msg_end(sa, &w) != PLD_OK) {
		sa_down(sa, "cannot build IKE_SA_INIT", true);
		return -1;
	}
	sa_send_request(sa, &w);
	return -1;
}

static bool offers_group(const struct ike_conn_cfg *c, uint16_t g)
{
	for (unsigned i = 0; i < c->n_ike; i++)
		for (unsigned k = 0; k < c->ike[i].n_dh; k++)
			if (c->ike[i].dh[k] == g)
				return true;
	return false;
}

static void explain_ours(struct ike_sa *sa)
{
	const struct ike_conn_cfg *c = &sa->conn->cfg;
	char b[PROP_STR_MAX];

	explain_reset(sa->e);
	for (unsigned i = 0; i < c->n_ike; i++)
		explain_add(sa->e, 0, "IKE %s", proposal_format(PROP_IKE, &c->ike[i], b, sizeof(b)));
}

int ike_init_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m)
{
	struct ike_engine *e = sa->e;
	struct handshake *hs = sa->hs;
	const struct ike_conn_cfg *c = &sa->conn->cfg;
	const struct pld *p;
	struct pld_notify n;
	struct pld_ke ke;
	struct chosen ch;
	const uint8_t *nr;
	uint16_t nr_len;
	uint8_t shared[IKE_X25519_LEN];
	bool peer_natt;

	if (pld_check_protected(m) != PLD_OK) {
		log_warn("%s: malformed IKE_SA_INIT response ignored", sa_name(sa));
		return -1;	/* keep retransmitting; a forgery must not end us */
	}
	if ((p = pld_find_notify(m, N_COOKIE)) && pld_get_notify(p, &n) == PLD_OK) {
		if (n.len < 1 || n.len > IKE_COOKIE_MAX || hs->cookie_retries++ >= INIT_MAX_RETRIES) {
			sa_down(sa, "responder keeps demanding cookies", true);
			return -1;
		}
		memcpy(hs->cookie, n.data, n.len);
		hs->cookie_len = (uint8_t)n.len;
		log_info("%s: responder demands a cookie, retrying", sa_name(sa));
		return init_resend(sa);
	}
	if ((p = pld_find_notify(m, N_INVALID_KE_PAYLOAD)) && pld_get_notify(p, &n) == PLD_OK) {
		uint16_t g = n.len == 2 ? get_be16(n.data) : 0;

		if (g && g != hs->dh_group && g == DH_CURVE25519 && offers_group(c, g) &&
		    hs->ke_retries++ < INIT_MAX_RETRIES) {
			log_info("%s: responder wants DH group %u, retrying", sa_name(sa), g);
			hs->dh_group = g;
			ike_dh_keypair(hs->dh_priv, (uint8_t[IKE_X25519_LEN]){ 0 });
			return init_resend(sa);
		}
		explain_ours(sa);
		snprintf(e->reason, sizeof(e->reason),
			 "INVALID_KE_PAYLOAD: peer wants DH group %u, which we %s", g,
			 offers_group(c, g) ? "already sent" : "do not offer");
		ike_emit_neg(e, sa_name(sa), "ike-proposal", "INVALID_KE_PAYLOAD");
		sa_down(sa, "INVALID_KE_PAYLOAD", true);
		return -1;
	}
	for (unsigned i = 0; i < m->n; i++)
		if (m->p[i].type == PLD_NOTIFY && pld_get_notify(&m->p[i], &n) == PLD_OK &&
		    n.type <= N_ERROR_MAX) {
			const char *nn = pld_notify_name(n.type);

			explain_ours(sa);
			snprintf(e->reason, sizeof(e->reason), "%s from peer", nn ? nn : "error");
			if (n.type == N_NO_PROPOSAL_CHOSEN)
				ike_emit_neg(e, sa_name(sa), "ike-proposal", "NO_PROPOSAL_CHOSEN");
			sa_down(sa, nn ? nn : "error notify from peer", true);
			return -1;
		}
	ch.dh = 0;
	if (!(p = pld_find(m, PLD_SA)) || check_chosen(p, PROTO_IKE, c->ike, c->n_ike, &ch) ||
	    ch.dh != hs->dh_group) {
		sa_down(sa, "responder chose a proposal we did not offer", true);
		return -1;
	}
	if (!(p = pld_find(m, PLD_KE)) || pld_get_ke(p, &ke) || ke.group != hs->dh_group ||
	    !(p = pld_find(m, PLD_NONCE)) || pld_get_nonce(p, &nr, &nr_len) || !m->hdr.spi_r) {
		sa_down(sa, "IKE_SA_INIT response lacks KE, nonce or SPI", true);
		return -1;
	}
	if (ike_dh_shared(hs->dh_priv, ke.data, ke.len, shared) < 0) {
		sa_down(sa, "peer's X25519 value is invalid", true);
		return -1;
	}
	sa_set_spis(sa, sa->spi_i, m->hdr.spi_r);
	memcpy(hs->nr, nr, nr_len);
	hs->nr_len = nr_len;
	if (ike_derive_keys(&sa->keys, ch.prf, ch.encr, ch.encr_bits, shared, sizeof(shared),
			    hs->ni, hs->ni_len, hs->nr, hs->nr_len, sa->spi_i, sa->spi_r, 0, NULL)) {
		sodium_memzero(shared, sizeof(shared));
		sa_down(sa, "key derivation failed", true);
		return -1;
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(hs->dh_priv, sizeof(hs->dh_priv));
	sa->dh_group = hs->dh_group;
	/* §2.15 signs the messages exactly as sent and received. */
	if (!buf_keep(&hs->msg_i, &hs->msg_i_len, &(uint16_t){ 0 }, x->req, x->req_len) ||
	    !buf_keep(&hs->msg_r, &hs->msg_r_len, &(uint16_t){ 0 }, m->buf, m->len)) {
		sa_down(sa, "out of memory", true);
		return -1;
	}
	peer_natt = natd_check(sa, m, sa->spi_r);
	float_ports(sa, peer_natt);
	sa_set_state(sa, IKE_ST_AUTH_SENT);
	/* IKE_AUTH goes next, before anything queued. */
	if (!sa_task_insert(sa, 0, (struct task){ TASK_IKE_AUTH, NULL, NULL })) {
		sa_down(sa, "out of memory", true);
		return -1;
	}
	sa->msgid_out = 1;
	return 0;
}

/* ---- responder ---- */

static void cookie_rotate(struct ike_engine *e)
{
	if (e->now - e->cookie.rotated_at < IKE_COOKIE_SECRET_MS && e->cookie.rotated_at)
		return;
	memcpy(e->cookie.prev, e->cookie.key, sizeof(e->cookie.key));
	randombytes_buf(e->cookie.key, sizeof(e->cookie.key));
	e->cookie.version++;
	e->cookie.rotated_at = e->now;
}

void cookie_make(struct ike_engine *e, uint8_t version, const uint8_t *ni, size_t ni_len,
		 const struct ike_endpoint *from, uint64_t spi_i, uint8_t out[IKE_COOKIE_LEN])
{
	/* §2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>) */
	const uint8_t *key = version == e->cookie.version ? e->cookie.key : e->cookie.prev;
	uint8_t spi[8], port[2];
	struct ike_iov d[4] = { { ni, ni_len }, { from->addr.b, ip_family_len(from->addr.family) },
				{ port, 2 }, { spi, 8 } };

	put_be64(spi, spi_i);
	put_be16(port, from->port);
	out[0] = version;
	ike_prf(PRF_HMAC_SHA2_256, key, 32, d, 4, out + 1);
}

static bool cookie_ok(struct ike_engine *e, const struct ike_msg *m, const uint8_t *ni,
		      size_t ni_len, const struct ike_endpoint *from)
{
	struct pld_notify n;
	uint8_t want[IKE_COOKIE_LEN];

	if (m->n == 0 || m->p[0].type != PLD_NOTIFY || pld_get_notify(&m->p[0], &n) ||
	    n.type != N_COOKIE || n.len != IKE_COOKIE_LEN)
		return false;
	if (n.data[0] != e->cookie.version && n.data[0] != (uint8_t)(e->cookie.version - 1))
		return false;
	cookie_make(e, n.data[0], ni, ni_len, from, m->hdr.spi_i, want);
	return ike_memcmp_ct(want, n.data, IKE_COOKIE_LEN) == 0;
}

static void answer(struct ike_engine *e, const struct ike_endpoint *from,
		   const struct ike_endpoint *to, const struct ike_msg *m, uint16_t type,
		   const void *data, size_t len)
{
	struct ike_hdr h = { .spi_i = m->hdr.spi_i, .exchange = EXCH_IKE_SA_INIT,
			     .flags = HDR_F_RESPONSE, .msgid = 0 };
	struct wbuf w;

	wb_init(&w, e->out, sizeof(e->out), &h);
	wb_notify(&w, 0, NULL, 0, type, data, len);
	if (wb_finish(&w) == PLD_OK)
		send_raw(e, to, from, w.p, w.len);
}

void ike_init_respond(struct ike_engine *e, const struct ike_endpoint *from,
		      const struct ike_endpoint *to, struct ike_msg *m)
{
	const struct pld *psa, *pke, *pno;
	struct pld_ke ke;
	const uint8_t *ni;
	uint16_t ni_len;
	struct conn *conn = NULL, *first = NULL;
	struct chosen ch;
	struct ike_sa *sa;
	struct handshake *hs;
	uint8_t pub[IKE_X25519_LEN], shared[IKE_X25519_LEN];
	uint8_t src[IKE_SHA1_LEN], dst[IKE_SHA1_LEN];
	struct wbuf w;
	bool peer_natt;
	char addr[ADDR_STR_MAX];

	if (m->hdr.spi_r != 0 || m->hdr.msgid != 0 || !(m->hdr.flags & HDR_F_INITIATOR))
		return;
	if ((sa = sa_by_peer(e, m->hdr.spi_i, from))) {
		/* A retransmission: the same answer, no new state (§2.1). */
		if (sa->resp_valid && sa->state == IKE_ST_HALF_OPEN) {
			e->st.replays++;
			send_raw(e, &sa->local, &sa->remote, sa->resp, sa->resp_len);
		}
		return;
	}
	psa = pld_find(m, PLD_SA);
	pke = pld_find(m, PLD_KE);
	pno = pld_find(m, PLD_NONCE);
	if (pld_check_protected(m) || !psa || !pke || !pno || pld_sa_validate(psa) ||
	    pld_get_ke(pke, &ke) || pld_get_nonce(pno, &ni, &ni_len)) {
		answer(e, from, to, m, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	cookie_rotate(e);
	if ((e->o.always_cookie || e->n_half_open >= e->o.cookie_threshold) &&
	    !cookie_ok(e, m, ni, ni_len, from)) {
		uint8_t ck[IKE_COOKIE_LEN];

		cookie_make(e, e->cookie.version, ni, ni_len, from, m->hdr.spi_i, ck);
		e->st.cookies_sent++;
		answer(e, from, to, m, N_COOKIE, ck, sizeof(ck));
		return;
	}
	if (e->n_half_open >= e->o.half_open_max) {
		if (log_ratelimit_ok(&e->rl))
			log_warn("half-open IKE SAs at the limit (%u): IKE_SA_INIT from %s dropped",
				 e->o.half_open_max, addr_format(&from->addr, addr, sizeof(addr)));
		e->st.rx_dropped++;
		return;
	}
	for (struct conn *c = e->conns; c; c = c->next) {
		if (!conn_addr_match(c, to, from))
			continue;
		if (!first)
			first = c;
		ch.dh = 0;
		if (select_proposal(e, psa, PROTO_IKE, c->cfg.ike, c->cfg.n_ike, &ch) == 0) {
			conn = c;
			break;
		}
	}
	if (!conn) {
		if (first) {
			ch.dh = 0;
			select_proposal(e, psa, PROTO_IKE, first->cfg.ike, first->cfg.n_ike, &ch);
			ike_emit_neg(e, first->cfg.name, "ike-proposal", "NO_PROPOSAL_CHOSEN");
		} else if (log_ratelimit_ok(&e->rl)) {
			log_warn("IKE_SA_INIT from %s: no connection matches these addresses",
				 addr_format(&from->addr, addr, sizeof(addr)));
		}
		e->st.ike_failed++;
		answer(e, from, to, m, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ke.group != ch.dh) {
		uint8_t g[2];

		/* §1.2: tell the initiator which group to use; keep no state. */
		put_be16(g, ch.dh);
		answer(e, from, to, m, N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	sa = sa_new(e, false, e->now);
	hs = calloc(1, sizeof(*hs));
	if (!sa || !hs) {
		free(hs);
		if (sa)
			sa_down(sa, "out of memory", false);
		return;
	}
	sa->hs = hs;
	sa_set_conn(sa, conn);
	sa->local = *to;
	sa->remote = *from;
	sa_set_spis(sa, m->hdr.spi_i, sa->spi_r);	/* findable by SPIi for retransmissions */
	sa->dh_group = ch.dh;
	hs->dh_group = ch.dh;
	memcpy(hs->ni, ni, ni_len);
	hs->ni_len = ni_len;
	hs->nr_len = IKE_NONCE_LEN;
	randombytes_buf(hs->nr, hs->nr_len);
	ike_dh_keypair(hs->dh_priv, pub);
	if (ike_dh_shared(hs->dh_priv, ke.data, ke.len, shared) < 0 ||
	    ike_derive_keys(&sa->keys, ch.prf, ch.encr, ch.encr_bits, shared, sizeof(shared),
			    hs->ni, hs->ni_len, hs->nr, hs->nr_len, sa->spi_i, sa->spi_r, 0, NULL)) {
		sodium_memzero(shared, sizeof(shared));
		answer(e, from, to, m, N_INVALID_SYNTAX, NULL, 0);
		sa_down(sa, "invalid key exchange", false);
		return;
	}
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(hs->dh_priv, sizeof(hs->dh_priv));
	peer_natt = natd_check(sa, m, 0);
	/* Keep the request as received for the AUTH check of IKE_AUTH. */
	if (!buf_keep(&hs->msg_i, &hs->msg_i_len, &(uint16_t){ 0 }, m->buf, m->len)) {
		sa_down(sa, "out of memory", false);
		return;
	}
	msg_begin(sa, &w, EXCH_IKE_SA_INIT, true, 0);
	build_chosen(&w, PROTO_IKE, &ch);
	wb_ke(&w, ch.dh, pub, sizeof(pub));
	wb_nonce(&w, hs->nr, hs->nr_len);
	if (peer_natt && conn->cfg.nat_t != IKE_NAT_OFF) {
		natd_hashes(sa, sa->spi_r, src, dst);
		wb_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
		wb_notify(&w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, dst, sizeof(dst));
	}
	if (msg_end(sa, &w) != PLD_OK ||
	    !buf_keep(&hs->msg_r, &hs->msg_r_len, &(uint16_t){ 0 }, w.p, w.len)) {
		sa_down(sa, "cannot build IKE_SA_INIT response", false);
		return;
	}
	float_ports(sa, peer_natt);
	sa->msgid_in = 0;	/* sa_send_response moves it to 1 */
	sa->timeout_at = e->now + e->o.half_open_timeout_ms;
	sa_send_response(sa, &w);
	sa_timers(sa);
}
