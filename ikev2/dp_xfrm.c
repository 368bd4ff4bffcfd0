// SPDX-License-Identifier: MIT
/*
 * The "xfrm" datapath backend (the Native form): the host kernel's own
 * IPsec, driven over NETLINK_XFRM with libmnl.
 *
 * What one instance installs, and how it keeps to its own:
 *   - every state (SA) carries this instance's reqid, XD_REQID_BASE + pid:
 *     strongSwan numbers its reqids from 1, and the kernel binds a policy
 *     template to a state only when the reqids are equal, so neither side's
 *     policies can ever pick the other's SAs;
 *   - per dp policy three XFRM policies (out, and in + fwd with the
 *     selectors swapped) whose ESP template names that reqid; the out
 *     template also names the outbound SPI, so a rekey is an in-place
 *     UPDPOLICY, never a moment where the old and new SA compete;
 *   - routes toward the remote selectors in the main table, tagged with our
 *     own rtm_protocol, and only where none existed (dp_xfrm_route.c);
 *   - per IKE socket a bypass socket policy (IP_XFRM_POLICY), and on the
 *     4500 socket UDP_ENCAP_ESPINUDP.
 * Everything is remembered here and removed by exactly that on close; what
 * others installed is never touched (no flush).
 *
 * Netlink answers are parsed with libmnl's length checks (dp_xfrm_nl.c) and
 * every fixed-size payload is checked against its struct before a memcpy.
 * Key material passes through one request buffer, wiped after each send;
 * NETLINK_CAP_ACK keeps the kernel from echoing it back in error replies.
 * The key's other copies (the attribute built here) are wiped too.
 */
#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp_xfrm.h"
#include "log.h"
#include "proposal.h"

static bool key_eq(const struct dp_sa_key *a, const struct dp_sa_key *b)
{
	return a->dir == b->dir && a->spi == b->spi && addr_equal(&a->dst, &b->dst);
}

static struct xd *X(struct dp *dp)
{
	return dp->priv;
}

static void lifetime_none(struct xfrm_lifetime_cfg *l)
{
	l->soft_byte_limit = l->hard_byte_limit = XFRM_INF;
	l->soft_packet_limit = l->hard_packet_limit = XFRM_INF;
}

/* ---- SAs ------------------------------------------------------------------------ */

static const char *alg_name(uint16_t alg)
{
	switch (alg) {
	case ENCR_AES_GCM_16:
		return "rfc4106(gcm(aes))";
	case ENCR_CHACHA20_POLY1305:
		return "rfc7539esp(chacha20,poly1305)";
	default:
		return NULL;
	}
}

static const char *xfrm_alg_unavailable(struct dp *dp, uint16_t alg)
{
	return alg_name(alg) ? NULL : "the xfrm datapath installs AES-GCM-16 and ChaCha20-Poly1305 only";
}

static struct xd_sa *sa_find(struct xd *x, const struct dp_sa_key *k)
{
	for (unsigned i = 0; i < x->n_sas; i++)
		if (key_eq(&x->sas[i].key, k))
			return &x->sas[i];
	return NULL;
}

static int sa_msg(struct xd *x, const struct dp_sa *sa, uint16_t type, char *err, size_t errlen)
{
	unsigned klen = proposal_encr_keylen(sa->alg, sa->keybits);
	const char *name = alg_name(sa->alg);
	struct nlmsghdr *nlh;
	struct xfrm_usersa_info *u;
	uint8_t aead[sizeof(struct xfrm_algo_aead) + DP_KEY_MAX];
	uint8_t replay[sizeof(struct xfrm_replay_state_esn) + XD_REPLAY_MAX / 8];
	uint32_t window = sa->replay_window;
	int af = dpx_af(sa->id.dst.family);

	if (!name || !klen || sa->keylen != klen + ESP_AEAD_SALT_LEN) {
		snprintf(err, errlen, "%s", !name ? xfrm_alg_unavailable(NULL, sa->alg)
						  : "key material does not fit the algorithm");
		return -1;
	}
	if (af == AF_UNSPEC || sa->src.family != sa->id.dst.family) {
		snprintf(err, errlen, "outer addresses must be of one family");
		return -1;
	}
	if (sa->esn && window < XD_REPLAY_ESN_MIN)
		window = XD_REPLAY_ESN_MIN;
	if (window > XD_REPLAY_MAX) {
		snprintf(err, errlen, "replay window %u above the kernel's %u", window, (unsigned)XD_REPLAY_MAX);
		return -1;
	}
	nlh = dpx_msg(x, type, type == XFRM_MSG_NEWSA ? NLM_F_CREATE | NLM_F_EXCL : 0);
	u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	/* Tunnel mode: an empty selector of no family, so one SA carries
	 * either inner family; the policies do the selecting. */
	u->sel.family = sa->mode == DP_TUNNEL ? AF_UNSPEC : (uint16_t)af;
	dpx_addr(&sa->id.dst, &u->id.daddr);
	u->id.spi = htonl(sa->id.spi);
	u->id.proto = IPPROTO_ESP;
	dpx_addr(&sa->src, &u->saddr);
	lifetime_none(&u->lft);
	if (sa->soft_bytes)
		u->lft.soft_byte_limit = sa->soft_bytes;
	if (sa->hard_bytes)
		u->lft.hard_byte_limit = sa->hard_bytes;
	if (sa->soft_packets)
		u->lft.soft_packet_limit = sa->soft_packets;
	if (sa->hard_packets)
		u->lft.hard_packet_limit = sa->hard_packets;
	u->reqid = x->reqid;
	u->family = (uint16_t)af;
	u->mode = sa->mode == DP_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
	u->flags = (sa->esn ? XFRM_STATE_ESN : 0) | (sa->mode == DP_TUNNEL ? XFRM_STATE_AF_UNSPEC : 0);

	/* Key and salt together, as rfc4106 and rfc7539esp take them. */
	memset(aead, 0, sizeof(aead));
	{
		struct xfrm_algo_aead h;

		memset(&h, 0, sizeof(h));
		snprintf(h.alg_name, sizeof(h.alg_name), "%s", name);
		h.alg_key_len = sa->keylen * 8;
		h.alg_icv_len = XD_ICV_BITS;
		memcpy(aead, &h, sizeof(h));
		memcpy(aead + sizeof(h), sa->keymat, sa->keylen);
		mnl_attr_put(nlh, XFRMA_ALG_AEAD, sizeof(h) + sa->keylen, aead);
		sodium_memzero(aead, sizeof(aead));
	}
	if (window) {
		struct xfrm_replay_state_esn r;
		unsigned words = (window + 31) / 32;

		/* Header then an all-zero bitmap of the window's words. */
		memset(&r, 0, sizeof(r));
		r.bmp_len = words;
		r.replay_window = window;
		memset(replay, 0, sizeof(r) + words * sizeof(uint32_t));
		memcpy(replay, &r, sizeof(r));
		mnl_attr_put(nlh, XFRMA_REPLAY_ESN_VAL, sizeof(r) + words * sizeof(uint32_t), replay);
	}
	if (sa->encap_sport || sa->encap_dport) {
		struct xfrm_encap_tmpl e;

		memset(&e, 0, sizeof(e));
		e.encap_type = UDP_ENCAP_ESPINUDP;
		e.encap_sport = htons(sa->encap_sport);
		e.encap_dport = htons(sa->encap_dport);
		mnl_attr_put(nlh, XFRMA_ENCAP, sizeof(e), &e);
	}
	if (sa->tfc_pad && sa->mode == DP_TUNNEL && sa->id.dir == DP_OUT)
		mnl_attr_put_u32(nlh, XFRMA_TFCPAD, sa->tfc_pad);
	return 0;
}

static int xfrm_sa_add(struct dp *dp, const struct dp_sa *sa, char *err, size_t errlen)
{
	struct xd *x = X(dp);
	struct xd_sa *s, *grown;

	if (sa_find(x, &sa->id)) {
		snprintf(err, errlen, "SA %08x exists", sa->id.spi);
		return -1;
	}
	grown = dpx_grow(x->sas, &x->cap_sas, x->n_sas, sizeof(*x->sas));
	if (!grown) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->sas = grown;
	if (sa_msg(x, sa, XFRM_MSG_NEWSA, err, errlen) != 0) {
		sodium_memzero(x->buf, sizeof(x->buf));
		return -1;
	}
	if (dpx_request(x, x->nl, (struct nlmsghdr *)x->buf, NULL, NULL) != 0) {
		dpx_err(x, "the kernel refused the SA", err, errlen);
		return -1;
	}
	s = &x->sas[x->n_sas++];
	s->key = sa->id;
	s->src = sa->src;
	s->mode = sa->mode;
	return 0;
}

static void put_said(struct nlmsghdr *nlh, const struct dp_sa_key *k)
{
	struct xfrm_usersa_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));

	dpx_addr(&k->dst, &id->daddr);
	id->spi = htonl(k->spi);
	id->family = (uint16_t)dpx_af(k->dst.family);
	id->proto = IPPROTO_ESP;
}

static int xfrm_sa_del(struct dp *dp, const struct dp_sa_key *k)
{
	struct xd *x = X(dp);
	struct xd_sa *s = sa_find(x, k);
	struct nlmsghdr *nlh;
	int rc;

	if (!s)
		return -1;
	nlh = dpx_msg(x, XFRM_MSG_DELSA, 0);
	put_said(nlh, k);
	rc = dpx_request(x, x->nl, nlh, NULL, NULL);
	/* ESRCH: the kernel removed it at its hard limit already. */
	if (rc != 0 && x->err != ESRCH)
		log_warn("xfrm: deleting SA %08x: %s", k->spi, strerror(x->err));
	*s = x->sas[--x->n_sas];
	return 0;
}

static int on_sa(const struct nlmsghdr *nlh, void *data)
{
	struct dp_sa_stats *out = ((struct xd *)data)->cb_data;
	struct xfrm_usersa_info u;

	/* A reply shorter than the struct would be a kernel bug; refuse it. */
	if (nlh->nlmsg_type != XFRM_MSG_NEWSA || mnl_nlmsg_get_payload_len(nlh) < sizeof(u))
		return MNL_CB_OK;
	memcpy(&u, mnl_nlmsg_get_payload(nlh), sizeof(u));
	out->bytes = u.curlft.bytes;
	out->packets = u.curlft.packets;
	out->drops[ESP_DROP_REPLAY] = (uint64_t)u.stats.replay + u.stats.replay_window;
	out->drops[ESP_DROP_AUTH] = u.stats.integrity_failed;
	return MNL_CB_OK;
}

static int xfrm_sa_stats(struct dp *dp, const struct dp_sa_key *k, struct dp_sa_stats *out)
{
	struct xd *x = X(dp);
	struct nlmsghdr *nlh;

	if (!sa_find(x, k))
		return -1;
	memset(out, 0, sizeof(*out));
	nlh = dpx_msg(x, XFRM_MSG_GETSA, 0);
	put_said(nlh, k);
	return dpx_request(x, x->nl, nlh, on_sa, out);
}

/* ---- policies ------------------------------------------------------------------- */

/* A selector side from a traffic selector: XFRM matches a prefix and a
 * port under a mask, so the range must be one prefix and the ports one
 * aligned block (every selector iked makes from a CIDR is). */
static int to_xsel(const struct ts *t, xfrm_address_t *addr, uint8_t *plen, __be16 *port, __be16 *mask)
{
	unsigned len = ip_family_len(t->family), n = len * 8, p = 0, span;

	if (t->dynamic || !len)
		return -1;
	while (p < n && ((t->lo[p / 8] ^ t->hi[p / 8]) & (0x80 >> (p % 8))) == 0)
		p++;
	for (unsigned b = p; b < n; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));

		if ((t->lo[b / 8] & m) || !(t->hi[b / 8] & m))
			return -1;
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, t->lo, len);
	*plen = (uint8_t)p;
	span = (unsigned)t->port_hi - t->port_lo + 1;
	if (t->port_hi < t->port_lo || (span & (span - 1)) || (t->port_lo & (span - 1)))
		return -1;
	*port = span == 65536 ? 0 : htons(t->port_lo);
	*mask = span == 65536 ? 0 : htons((uint16_t)~(span - 1));
	return 0;
}

static int to_sel(const struct ts *src, const struct ts *dst, struct xfrm_selector *s)
{
	memset(s, 0, sizeof(*s));
	if (src->family != dst->family || src->proto != dst->proto ||
	    to_xsel(src, &s->saddr, &s->prefixlen_s, &s->sport, &s->sport_mask) != 0 ||
	    to_xsel(dst, &s->daddr, &s->prefixlen_d, &s->dport, &s->dport_mask) != 0)
		return -1;
	s->family = (uint16_t)dpx_af(src->family);
	s->proto = src->proto;
	return 0;
}

static struct xd_pol *pol_find(struct xd *x, uint32_t id)
{
	for (unsigned i = 0; i < x->n_pols; i++)
		if (x->pols[i].id == id)
			return &x->pols[i];
	return NULL;
}

/* One XFRM policy of a dp policy. The template's outer addresses and mode
 * come from the outbound SA; with none yet (a trap: SPI 0) the template
 * names only the peer, so the first packet finds no state and the kernel
 * raises an acquire. */
static void pol_msg(struct xd *x, const struct dp_policy *p, const struct xfrm_selector *sel, uint8_t dir,
		    uint16_t type)
{
	struct nlmsghdr *nlh = dpx_msg(x, type, type == XFRM_MSG_NEWPOLICY ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct xfrm_userpolicy_info *u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	const struct xd_sa *sa = p->sa.spi ? sa_find(x, &p->sa) : NULL;
	struct xfrm_user_tmpl t;

	u->sel = *sel;
	lifetime_none(&u->lft);
	u->priority = XD_PRIORITY;
	u->dir = dir;
	u->action = p->action == DP_DISCARD ? XFRM_POLICY_BLOCK : XFRM_POLICY_ALLOW;
	if (p->action != DP_PROTECT)
		return;
	memset(&t, 0, sizeof(t));
	t.id.proto = IPPROTO_ESP;
	t.family = (uint16_t)dpx_af(p->sa.dst.family);
	t.reqid = x->reqid;
	t.mode = sa && sa->mode == DP_TRANSPORT ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	t.aalgos = t.ealgos = t.calgos = ~0u;
	if (dir == XFRM_POLICY_OUT) {
		dpx_addr(&p->sa.dst, &t.id.daddr);
		t.id.spi = htonl(p->sa.spi);
		if (sa)
			dpx_addr(&sa->src, &t.saddr);
	} else if (sa) {
		dpx_addr(&sa->src, &t.id.daddr);
		dpx_addr(&p->sa.dst, &t.saddr);
	} else {
		dpx_addr(&p->sa.dst, &t.saddr);
	}
	if (t.mode == XFRM_MODE_TRANSPORT)
		t.family = u->sel.family;
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
}

static int pol_del_dir(struct xd *x, const struct xfrm_selector *sel, uint8_t dir)
{
	struct nlmsghdr *nlh = dpx_msg(x, XFRM_MSG_DELPOLICY, 0);
	struct xfrm_userpolicy_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));

	id->sel = *sel;
	id->dir = dir;
	return dpx_request(x, x->nl, nlh, NULL, NULL);
}

static const uint8_t pol_dirs[XD_DIRS] = { XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD };

/* Install (type NEWPOLICY) or replace (UPDPOLICY) the three policies. On
 * failure of a NEWPOLICY the ones already added are removed again. */
static int pol_put(struct xd *x, const struct dp_policy *p, const struct xfrm_selector *out,
		   const struct xfrm_selector *in, uint16_t type, char *err, size_t errlen)
{
	for (unsigned d = 0; d < XD_DIRS; d++) {
		pol_msg(x, p, pol_dirs[d] == XFRM_POLICY_OUT ? out : in, pol_dirs[d], type);
		if (dpx_request(x, x->nl, (struct nlmsghdr *)x->buf, NULL, NULL) != 0) {
			dpx_err(x, "the kernel refused the policy", err, errlen);
			while (type == XFRM_MSG_NEWPOLICY && d-- > 0)
				pol_del_dir(x, pol_dirs[d] == XFRM_POLICY_OUT ? out : in, pol_dirs[d]);
			return -1;
		}
	}
	return 0;
}

static int sels(const struct dp_policy *p, struct xfrm_selector *out, struct xfrm_selector *in, char *err,
		size_t errlen)
{
	if (p->action != DP_PROTECT && p->action != DP_BYPASS && p->action != DP_DISCARD) {
		snprintf(err, errlen, "unknown policy action %u", p->action);
		return -1;
	}
	if (to_sel(&p->src, &p->dst, out) != 0 || to_sel(&p->dst, &p->src, in) != 0) {
		snprintf(err, errlen, "the xfrm datapath needs selectors of one family, each one prefix "
			 "with any port, one port or an aligned block of ports");
		return -1;
	}
	if (p->action == DP_PROTECT && !ip_family_len(p->sa.dst.family)) {
		snprintf(err, errlen, "a protect policy needs the peer's address");
		return -1;
	}
	return 0;
}

static int xfrm_policy_add(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen)
{
	struct xd *x = X(dp);
	struct xfrm_selector out, in;
	struct xd_pol *n, *grown;

	if (pol_find(x, p->id)) {
		snprintf(err, errlen, "policy %u exists", p->id);
		return -1;
	}
	if (sels(p, &out, &in, err, errlen) != 0)
		return -1;
	grown = dpx_grow(x->pols, &x->cap_pols, x->n_pols, sizeof(*x->pols));
	if (!grown) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->pols = grown;
	if (pol_put(x, p, &out, &in, XFRM_MSG_NEWPOLICY, err, errlen) != 0)
		return -1;
	n = &x->pols[x->n_pols++];
	n->id = p->id;
	n->p = *p;
	n->out = out;
	n->in = in;
	return 0;
}

static void pol_remove(struct xd *x, const struct xd_pol *q)
{
	for (unsigned d = 0; d < XD_DIRS; d++)
		if (pol_del_dir(x, pol_dirs[d] == XFRM_POLICY_OUT ? &q->out : &q->in, pol_dirs[d]) != 0 &&
		    x->err != ENOENT)
			log_warn("xfrm: deleting policy %u (dir %u): %s", q->id, pol_dirs[d], strerror(x->err));
}

static int xfrm_policy_del(struct dp *dp, uint32_t id)
{
	struct xd *x = X(dp);
	struct xd_pol *q = pol_find(x, id);

	if (!q)
		return -1;
	pol_remove(x, q);
	*q = x->pols[--x->n_pols];
	return 0;
}

static int xfrm_policy_update(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen)
{
	struct xd *x = X(dp);
	struct xd_pol *q = pol_find(x, p->id);
	struct xfrm_selector out, in;

	if (!q) {
		snprintf(err, errlen, "no policy %u", p->id);
		return -1;
	}
	if (sels(p, &out, &in, err, errlen) != 0)
		return -1;
	if (memcmp(&out, &q->out, sizeof(out)) == 0) {
		/* The same selectors: replaced in place, never absent. */
		if (pol_put(x, p, &out, &in, XFRM_MSG_UPDPOLICY, err, errlen) != 0)
			return -1;
	} else {
		if (pol_put(x, p, &out, &in, XFRM_MSG_NEWPOLICY, err, errlen) != 0)
			return -1;
		pol_remove(x, q);
	}
	q->p = *p;
	q->out = out;
	q->in = in;
	return 0;
}

/* ---- routes (dp_xfrm_route.c) ----------------------------------------------------- */

static int xfrm_route_add(struct dp *dp, const struct dp_route *r, char *err, size_t errlen)
{
	return dpx_route_add(X(dp), r, err, errlen);
}

static int xfrm_route_del(struct dp *dp, const struct dp_route *r)
{
	return dpx_route_del(X(dp), r);
}

/* ---- sockets -------------------------------------------------------------------- */

/* IKE must pass in the clear even when a policy covers the peer (transport
 * mode, or a tunnel to 0.0.0.0/0): a per-socket policy allowing both ways
 * outranks every SPD entry. */
static int xfrm_bypass_socket(struct dp *dp, int fd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct xfrm_userpolicy_info p;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(err, errlen, "bypass: %s", strerror(errno));
		return -1;
	}
	for (uint8_t dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		int rc;

		memset(&p, 0, sizeof(p));
		lifetime_none(&p.lft);
		p.sel.family = ss.ss_family;
		p.dir = dir;
		p.action = XFRM_POLICY_ALLOW;
		if (ss.ss_family == AF_INET6)
			rc = setsockopt(fd, IPPROTO_IPV6, IPV6_XFRM_POLICY, &p, sizeof(p));
		else
			rc = setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &p, sizeof(p));
		if (rc < 0) {
			snprintf(err, errlen, "IKE socket bypass policy: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The kernel takes ESP in UDP off this socket (RFC 3948: non-zero first
 * four bytes) and leaves IKE (the non-ESP marker) and keepalives to us. */
static int xfrm_encap_attach(struct dp *dp, int fd, char *err, size_t errlen)
{
	int type = UDP_ENCAP_ESPINUDP;

	if (xfrm_bypass_socket(dp, fd, err, errlen) != 0)
		return -1;
	if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) {
		snprintf(err, errlen, "UDP_ENCAP on the IKE socket: %s", strerror(errno));
		return -1;
	}
	return DP_ENCAP_ENGINE_READS;
}

/* ---- events --------------------------------------------------------------------- */

static void acquire(struct dp *dp, const struct nlmsghdr *nlh)
{
	struct xd *x = X(dp);
	struct xfrm_user_acquire a;
	struct dp_event e;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(a)) {
		x->event_errors++;
		return;
	}
	memcpy(&a, mnl_nlmsg_get_payload(nlh), sizeof(a));
	/* Another IKE daemon's policies raise acquires too: only ours count. */
	for (unsigned i = 0; i < x->n_pols; i++)
		if (memcmp(&x->pols[i].out, &a.policy.sel, sizeof(a.policy.sel)) == 0 &&
		    a.policy.dir == XFRM_POLICY_OUT) {
			memset(&e, 0, sizeof(e));
			e.kind = DP_EV_ACQUIRE;
			e.policy_id = x->pols[i].id;
			dp->hooks.event(dp->hooks.arg, &e);
			return;
		}
	x->acquires_foreign++;
}

static void expire(struct dp *dp, const struct nlmsghdr *nlh)
{
	struct xd *x = X(dp);
	struct xfrm_user_expire ex;
	struct dp_sa_key k;
	struct dp_event e;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ex)) {
		x->event_errors++;
		return;
	}
	memcpy(&ex, mnl_nlmsg_get_payload(nlh), sizeof(ex));
	if (ex.state.reqid != x->reqid || ex.state.id.proto != IPPROTO_ESP ||
	    (ex.state.family != AF_INET && ex.state.family != AF_INET6)) {
		x->expires_foreign++;
		return;
	}
	memset(&k, 0, sizeof(k));
	k.spi = ntohl(ex.state.id.spi);
	k.dst.family = ex.state.family == AF_INET ? IPF_V4 : IPF_V6;
	memcpy(k.dst.b, &ex.state.id.daddr, ip_family_len(k.dst.family));
	for (k.dir = DP_IN; k.dir <= DP_OUT; k.dir++)
		if (sa_find(x, &k))
			break;
	if (k.dir > DP_OUT) {
		x->expires_foreign++;
		return;
	}
	memset(&e, 0, sizeof(e));
	e.kind = ex.hard ? DP_EV_HARD_EXPIRE : DP_EV_SOFT_EXPIRE;
	e.sa = k;
	dp->hooks.event(dp->hooks.arg, &e);
}

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	struct dp *dp = data;

	X(dp)->events++;
	if (!dp->hooks.event)
		return MNL_CB_OK;
	if (nlh->nlmsg_type == XFRM_MSG_ACQUIRE)
		acquire(dp, nlh);
	else if (nlh->nlmsg_type == XFRM_MSG_EXPIRE)
		expire(dp, nlh);
	return MNL_CB_OK;
}

static void on_events(void *arg, int fd, unsigned events)
{
	struct dp *dp = arg;
	struct xd *x = X(dp);

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(x->ev, x->evbuf, sizeof(x->evbuf));

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			/* ENOBUFS: the kernel dropped events while we were busy.
			 * A lost acquire comes again once the kernel's larval
			 * state times out (30 s); a lost soft expire lets the SA
			 * reach its hard limit, and the CHILD SA goes instead of
			 * being rekeyed. ENOSPC: a message larger than our
			 * buffer (libmnl saw MSG_TRUNC). Counted; reading goes on. */
			x->event_errors++;
			if (errno == ENOBUFS || errno == ENOSPC)
				continue;
			return;
		}
		if (mnl_cb_run(x->evbuf, (size_t)n, 0, 0, on_event, dp) < 0)
			x->event_errors++;
	}
}

/* ---- open, close, stats --------------------------------------------------------- */

static void xfrm_close(struct dp *dp)
{
	struct xd *x = X(dp);

	if (!x)
		return;
	/* Policies first: no packet meets a policy whose SA is gone. */
	while (x->n_pols)
		xfrm_policy_del(dp, x->pols[0].id);
	while (x->n_sas)
		xfrm_sa_del(dp, &x->sas[0].key);
	while (x->n_routes)
		xfrm_route_del(dp, &x->routes[0].r);
	if (x->ev) {
		loop_fd_del(dp->loop, mnl_socket_get_fd(x->ev));
		mnl_socket_close(x->ev);
	}
	if (x->nl)
		mnl_socket_close(x->nl);
	if (x->rt)
		mnl_socket_close(x->rt);
	free(x->sas);
	free(x->pols);
	free(x->routes);
	free(x);
	dp->priv = NULL;
}

static int xfrm_open(struct dp *dp, const struct dp_options *o, char *err, size_t errlen)
{
	struct xd *x = calloc(1, sizeof(*x));
	unsigned groups = (1u << (XFRMNLGRP_ACQUIRE - 1)) | (1u << (XFRMNLGRP_EXPIRE - 1));
	int rc, rcvbuf = XD_EVENT_RCVBUF;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dp->priv = x;
	x->reqid = XD_REQID_BASE + (uint32_t)getpid();
	x->seq = (uint32_t)time(NULL);
	x->nl = dpx_open(NETLINK_XFRM, 0, 0, err, errlen);
	x->rt = x->nl ? dpx_open(NETLINK_ROUTE, 0, 0, err, errlen) : NULL;
	x->ev = x->rt ? dpx_open(NETLINK_XFRM, groups, SOCK_NONBLOCK, err, errlen) : NULL;
	if (!x->ev) {
		xfrm_close(dp);
		return -1;
	}
	/* Room for a burst: many SAs reaching their soft limit at once. */
	setsockopt(mnl_socket_get_fd(x->ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	rc = loop_fd_add(dp->loop, mnl_socket_get_fd(x->ev), LOOP_IN, on_events, dp);
	if (rc < 0) {
		snprintf(err, errlen, "cannot watch XFRM events: %s", strerror(-rc));
		mnl_socket_close(x->ev);
		x->ev = NULL;
		xfrm_close(dp);
		return -1;
	}
	log_info("xfrm datapath: reqid %u", x->reqid);
	return 0;
}

/* /proc/net/xfrm_stat: the namespace's counters (everyone's, not just
 * ours), mapped onto the drop reasons they mean. */
static void xfrm_stats(struct dp *dp, struct dp_stats *out)
{
	static const struct {
		const char *name;
		enum esp_drop reason;
	} map[] = {
		{ "XfrmInHdrError", ESP_DROP_MALFORMED },
		{ "XfrmInNoStates", ESP_DROP_NO_SA },
		{ "XfrmInStateProtoError", ESP_DROP_AUTH },
		{ "XfrmInStateSeqError", ESP_DROP_REPLAY },
		{ "XfrmInStateExpired", ESP_DROP_EXPIRED },
		{ "XfrmInTmplMismatch", ESP_DROP_SELECTOR },
		{ "XfrmInNoPols", ESP_DROP_NO_POLICY },
		{ "XfrmInPolBlock", ESP_DROP_POLICY },
		{ "XfrmOutPolBlock", ESP_DROP_POLICY },
		{ "XfrmOutStateExpired", ESP_DROP_EXPIRED },
		{ "XfrmOutStateSeqError", ESP_DROP_SEQ_EXHAUSTED },
		{ "XfrmOutNoStates", ESP_DROP_NO_SA },
	};
	struct xd *x = X(dp);
	char name[64];
	unsigned long long v;
	FILE *f = fopen("/proc/net/xfrm_stat", "re");

	memset(out, 0, sizeof(*out));
	while (f && fscanf(f, "%63s %llu", name, &v) == 2)
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(map[i].name, name) == 0)
				out->drops[map[i].reason] += v;
	if (f)
		fclose(f);
#define EXTRA(n, v) out->extra[out->n_extra].name = n, out->extra[out->n_extra++].value = v
	EXTRA("reqid", x->reqid);
	EXTRA("sas", x->n_sas);
	EXTRA("policies", x->n_pols);
	EXTRA("routes", x->n_routes);
	EXTRA("events", x->events);
	EXTRA("event_errors", x->event_errors);
	EXTRA("foreign_events", x->acquires_foreign + x->expires_foreign);
#undef EXTRA
}

const struct dp_ops dp_xfrm_ops = {
	.name = "xfrm",
	.open = xfrm_open,
	.close = xfrm_close,
	.alg_unavailable = xfrm_alg_unavailable,
	.sa_add = xfrm_sa_add,
	.sa_del = xfrm_sa_del,
	.sa_stats = xfrm_sa_stats,
	.policy_add = xfrm_policy_add,
	.policy_del = xfrm_policy_del,
	.policy_update = xfrm_policy_update,
	.route_add = xfrm_route_add,
	.route_del = xfrm_route_del,
	.encap_attach = xfrm_encap_attach,
	.bypass_socket = xfrm_bypass_socket,
	.stats = xfrm_stats,
};
