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
 *     own rtm_protocol, and only where none existed;
 *   - per IKE socket a bypass socket policy (IP_XFRM_POLICY), and on the
 *     4500 socket UDP_ENCAP_ESPINUDP.
 * Everything is remembered here and removed by exactly that on close; what
 * others installed is never touched (no flush).
 *
 * Netlink answers are parsed with libmnl's length checks (mnl_cb_run) and
 * every fixed-size payload is checked against its struct before a memcpy.
 * Key material passes through one request buffer, wiped after each send;
 * NETLINK_CAP_ACK keeps the kernel from echoing it back in error replies.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp.h"
#include "log.h"
#include "proposal.h"

enum {
	XD_REQID_BASE = 0x40000000,	/* + pid: far above strongSwan's 1, 2, … */
	XD_PRIORITY = 1000,		/* one priority: ties go to the policy added first */
	XD_ICV_BITS = 128,
	XD_ALG_NAME_MAX = 64,
	XD_REPLAY_ESN_MIN = 32,		/* the kernel wants a window with ESN, even outbound */
	XD_REPLAY_MAX = XFRMA_REPLAY_ESN_MAX / 4 * 32,	/* bitmap words the kernel accepts */
	XD_RT_PROTO = 201,		/* rtm_protocol of our routes: tells them apart in `ip route` */
	XD_BUF = 8192,			/* MNL_SOCKET_BUFFER_SIZE: one request or one answer */
	XD_DIRS = 3,			/* out, in, fwd */
	XD_ERRMSG_MAX = 120,
};

struct xd_sa {
	struct dp_sa_key key;
	struct ip_addr src;
	uint8_t mode;
};

struct xd_pol {
	uint32_t id;
	struct dp_policy p;
	struct xfrm_selector out, in;	/* in serves in and fwd */
};

struct xd_route {
	struct dp_route r;
	uint32_t oif;
	bool owned;			/* false: a route was there before us; not ours to delete */
};

struct xd {
	struct mnl_socket *nl, *ev, *rt;
	uint32_t seq, reqid;
	struct xd_sa *sas;
	struct xd_pol *pols;
	struct xd_route *routes;
	unsigned n_sas, cap_sas, n_pols, cap_pols, n_routes, cap_routes;
	uint64_t events, event_errors, acquires_foreign, expires_foreign;
	int err;			/* errno of the last failed request */
	void *cb_data;			/* what request()'s answer callback fills */
	char errmsg[XD_ERRMSG_MAX];	/* the kernel's extended ack, when it said more */
	uint8_t buf[XD_BUF];		/* requests and their answers */
	uint8_t evbuf[XD_BUF];
};

static struct xd *X(struct dp *dp)
{
	return dp->priv;
}

static int af_of(uint8_t family)
{
	return family == IPF_V4 ? AF_INET : family == IPF_V6 ? AF_INET6 : AF_UNSPEC;
}

static void to_xaddr(const struct ip_addr *a, xfrm_address_t *x)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, a->b, ip_family_len(a->family));
}

static bool addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, ip_family_len(a->family)) == 0;
}

static bool key_eq(const struct dp_sa_key *a, const struct dp_sa_key *b)
{
	return a->dir == b->dir && a->spi == b->spi && addr_eq(&a->dst, &b->dst);
}

/* Grow *arr (of *cap elements of size sz) to hold n + 1. */
static int grow(void *arr, unsigned *cap, unsigned n, size_t sz)
{
	void **a = arr;
	unsigned nc;
	void *p;

	if (n < *cap)
		return 0;
	nc = *cap ? 2 * *cap : 16;
	p = realloc(*a, (size_t)nc * sz);
	if (!p)
		return -1;
	*a = p;
	*cap = nc;
	return 0;
}

/* ---- requests ------------------------------------------------------------------- */

/* NLMSG_ERROR: the errno, and the kernel's own words when it gave them
 * (extended ack; the request itself is not echoed: NETLINK_CAP_ACK). */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct xd *x = data;
	struct nlmsgerr e;
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (len < sizeof(e)) {
		x->err = EBADMSG;
		return MNL_CB_ERROR;
	}
	memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	if (e.error == 0)
		return MNL_CB_STOP;
	x->err = e.error < 0 ? -e.error : e.error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		const struct nlattr *attr;
		size_t off = sizeof(e);

		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e.msg.nlmsg_len > sizeof(e.msg) ? e.msg.nlmsg_len - sizeof(e.msg) : 0;
		if (off <= len) {
			const void *tlvs = (const uint8_t *)mnl_nlmsg_get_payload(nlh) + off;

			mnl_attr_for_each_payload(tlvs, len - off) {
				if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
				    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
					snprintf(x->errmsg, sizeof(x->errmsg), "%s", mnl_attr_get_str(attr));
			}
		}
	}
	return MNL_CB_ERROR;
}

static int on_done(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_STOP;
}

/* Send the request at x->buf on s and read until its ack. cb sees data
 * answers. Returns 0, or -1 with x->err (and maybe x->errmsg). */
static int request(struct xd *x, struct mnl_socket *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_error, [NLMSG_DONE] = on_done };
	uint32_t seq = ++x->seq, portid = mnl_socket_get_portid(s);
	ssize_t n;
	int rc = MNL_CB_OK;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	x->err = 0;
	x->errmsg[0] = '\0';
	x->cb_data = data;
	n = mnl_socket_sendto(s, nlh, nlh->nlmsg_len);
	sodium_memzero(x->buf, nlh->nlmsg_len);	/* it may have held a key */
	if (n < 0) {
		x->err = errno;
		return -1;
	}
	while (rc > MNL_CB_STOP) {
		n = mnl_socket_recvfrom(s, x->buf, sizeof(x->buf));
		if (n < 0) {
			x->err = errno;
			return -1;
		}
		rc = mnl_cb_run2(x->buf, (size_t)n, seq, portid, cb, x, ctl, NLMSG_MIN_TYPE);
	}
	if (rc < 0 && !x->err)
		x->err = errno ? errno : EPROTO;
	return rc < 0 ? -1 : 0;
}

static void req_err(struct xd *x, const char *what, char *err, size_t errlen)
{
	if (x->errmsg[0])
		snprintf(err, errlen, "%s: %s (%s)", what, strerror(x->err), x->errmsg);
	else
		snprintf(err, errlen, "%s: %s", what, strerror(x->err));
}

static struct nlmsghdr *msg_start(struct xd *x, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(x->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
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
	int af = af_of(sa->id.dst.family);

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
	nlh = msg_start(x, type, type == XFRM_MSG_NEWSA ? NLM_F_CREATE | NLM_F_EXCL : 0);
	u = mnl_nlmsg_put_extra_header(nlh, sizeof(*u));
	/* Tunnel mode: an empty selector of no family, so one SA carries
	 * either inner family; the policies do the selecting. */
	u->sel.family = sa->mode == DP_TUNNEL ? AF_UNSPEC : (uint16_t)af;
	to_xaddr(&sa->id.dst, &u->id.daddr);
	u->id.spi = htonl(sa->id.spi);
	u->id.proto = IPPROTO_ESP;
	to_xaddr(&sa->src, &u->saddr);
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
	struct xd_sa *s;

	if (sa_find(x, &sa->id)) {
		snprintf(err, errlen, "SA %08x exists", sa->id.spi);
		return -1;
	}
	if (grow(&x->sas, &x->cap_sas, x->n_sas, sizeof(*x->sas)) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sa_msg(x, sa, XFRM_MSG_NEWSA, err, errlen) != 0) {
		sodium_memzero(x->buf, sizeof(x->buf));
		return -1;
	}
	if (request(x, x->nl, (struct nlmsghdr *)x->buf, NULL, NULL) != 0) {
		req_err(x, "the kernel refused the SA", err, errlen);
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

	to_xaddr(&k->dst, &id->daddr);
	id->spi = htonl(k->spi);
	id->family = (uint16_t)af_of(k->dst.family);
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
	nlh = msg_start(x, XFRM_MSG_DELSA, 0);
	put_said(nlh, k);
	rc = request(x, x->nl, nlh, NULL, NULL);
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
	nlh = msg_start(x, XFRM_MSG_GETSA, 0);
	put_said(nlh, k);
	return request(x, x->nl, nlh, on_sa, out);
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
	s->family = (uint16_t)af_of(src->family);
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
	struct nlmsghdr *nlh = msg_start(x, type, type == XFRM_MSG_NEWPOLICY ? NLM_F_CREATE | NLM_F_EXCL : 0);
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
	t.family = (uint16_t)af_of(p->sa.dst.family);
	t.reqid = x->reqid;
	t.mode = sa && sa->mode == DP_TRANSPORT ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	t.aalgos = t.ealgos = t.calgos = ~0u;
	if (dir == XFRM_POLICY_OUT) {
		to_xaddr(&p->sa.dst, &t.id.daddr);
		t.id.spi = htonl(p->sa.spi);
		if (sa)
			to_xaddr(&sa->src, &t.saddr);
	} else if (sa) {
		to_xaddr(&sa->src, &t.id.daddr);
		to_xaddr(&p->sa.dst, &t.saddr);
	} else {
		to_xaddr(&p->sa.dst, &t.saddr);
	}
	if (t.mode == XFRM_MODE_TRANSPORT)
		t.family = u->sel.family;
	mnl_attr_put(nlh, XFRMA_TMPL, sizeof(t), &t);
}

static int pol_del_dir(struct xd *x, const struct xfrm_selector *sel, uint8_t dir)
{
	struct nlmsghdr *nlh = msg_start(x, XFRM_MSG_DELPOLICY, 0);
	struct xfrm_userpolicy_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));

	id->sel = *sel;
	id->dir = dir;
	return request(x, x->nl, nlh, NULL, NULL);
}

static const uint8_t pol_dirs[XD_DIRS] = { XFRM_POLICY_OUT, XFRM_POLICY_IN, XFRM_POLICY_FWD };

/* Install (type NEWPOLICY) or replace (UPDPOLICY) the three policies. On
 * failure of a NEWPOLICY the ones already added are removed again. */
static int pol_put(struct xd *x, const struct dp_policy *p, const struct xfrm_selector *out,
		   const struct xfrm_selector *in, uint16_t type, char *err, size_t errlen)
{
	for (unsigned d = 0; d < XD_DIRS; d++) {
		pol_msg(x, p, pol_dirs[d] == XFRM_POLICY_OUT ? out : in, pol_dirs[d], type);
		if (request(x, x->nl, (struct nlmsghdr *)x->buf, NULL, NULL) != 0) {
			req_err(x, "the kernel refused the policy", err, errlen);
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
	struct xd_pol *n;

	if (pol_find(x, p->id)) {
		snprintf(err, errlen, "policy %u exists", p->id);
		return -1;
	}
	if (sels(p, &out, &in, err, errlen) != 0)
		return -1;
	if (grow(&x->pols, &x->cap_pols, x->n_pols, sizeof(*x->pols)) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
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

/* ---- routes --------------------------------------------------------------------- */

struct route_found {
	uint32_t oif;
	bool have_gw;
	uint8_t gw[16];
};

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	struct route_found *f = ((struct xd *)data)->cb_data;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(struct rtmsg)) {
		uint16_t len = mnl_attr_get_payload_len(attr);

		if (mnl_attr_get_type(attr) == RTA_OIF && mnl_attr_validate(attr, MNL_TYPE_U32) == 0) {
			f->oif = mnl_attr_get_u32(attr);
		} else if (mnl_attr_get_type(attr) == RTA_GATEWAY && (len == 4 || len == 16)) {
			memset(f->gw, 0, sizeof(f->gw));
			memcpy(f->gw, mnl_attr_get_payload(attr), len);
			f->have_gw = true;
		}
	}
	return MNL_CB_OK;
}

static void route_msg(struct nlmsghdr *nlh, const struct xd_route *r, bool with_src)
{
	struct rtmsg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	unsigned len = ip_family_len(r->r.family);

	m->rtm_family = (uint8_t)af_of(r->r.family);
	m->rtm_dst_len = (uint8_t)r->r.plen;
	m->rtm_table = RT_TABLE_MAIN;
	m->rtm_protocol = XD_RT_PROTO;
	m->rtm_scope = RT_SCOPE_UNIVERSE;
	m->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, len, r->r.net);
	mnl_attr_put_u32(nlh, RTA_OIF, r->oif);
	if (with_src && r->r.src.family == r->r.family)
		mnl_attr_put(nlh, RTA_PREFSRC, len, r->r.src.b);
}

/* The kernel routes a packet before XFRM sees it, so the remote selectors
 * need a route; it leaves by the interface that reaches the peer (the
 * packet is encapsulated toward the peer anyway), with the preferred source
 * inside the local selectors so our own packets match the policy. */
static int xfrm_route_add(struct dp *dp, const struct dp_route *r, char *err, size_t errlen)
{
	struct xd *x = X(dp);
	struct route_found f;
	struct nlmsghdr *nlh;
	struct rtmsg *m;
	struct xd_route n;

	if (!ip_family_len(r->family) || !ip_family_len(r->peer.family)) {
		snprintf(err, errlen, "a route needs its family and the peer's address");
		return -1;
	}
	if (grow(&x->routes, &x->cap_routes, x->n_routes, sizeof(*x->routes)) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&f, 0, sizeof(f));
	nlh = msg_start(x, RTM_GETROUTE, 0);
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->rtm_family = (uint8_t)af_of(r->peer.family);
	m->rtm_dst_len = (uint8_t)(ip_family_len(r->peer.family) * 8);
	mnl_attr_put(nlh, RTA_DST, ip_family_len(r->peer.family), r->peer.b);
	if (request(x, x->rt, nlh, on_route, &f) != 0 || !f.oif) {
		if (!x->err)
			x->err = ENETUNREACH;
		req_err(x, "no route to the peer", err, errlen);
		return -1;
	}
	memset(&n, 0, sizeof(n));
	n.r = *r;
	n.oif = f.oif;
	nlh = msg_start(x, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	route_msg(nlh, &n, true);
	if (f.have_gw && r->family == r->peer.family)
		mnl_attr_put(nlh, RTA_GATEWAY, ip_family_len(r->family), f.gw);
	if (request(x, x->rt, nlh, NULL, NULL) != 0) {
		if (x->err != EEXIST) {
			req_err(x, "the kernel refused the route", err, errlen);
			return -1;
		}
		log_info("xfrm: a route to the remote selectors exists already; it stays as it is");
	} else {
		n.owned = true;
	}
	x->routes[x->n_routes++] = n;
	return 0;
}

static int xfrm_route_del(struct dp *dp, const struct dp_route *r)
{
	struct xd *x = X(dp);

	for (unsigned i = 0; i < x->n_routes; i++) {
		struct xd_route *q = &x->routes[i];

		if (q->r.family != r->family || q->r.plen != r->plen || memcmp(q->r.net, r->net, 16) != 0)
			continue;
		if (q->owned) {
			struct nlmsghdr *nlh = msg_start(x, RTM_DELROUTE, 0);

			route_msg(nlh, q, false);
			if (request(x, x->rt, nlh, NULL, NULL) != 0 && x->err != ESRCH)
				log_warn("xfrm: deleting a route: %s", strerror(x->err));
		}
		*q = x->routes[--x->n_routes];
		return 0;
	}
	return -1;
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
			/* ENOBUFS: events were lost while we were busy; the
			 * kernel retries acquires and hard expiries act anyway. */
			if (errno == ENOBUFS)
				x->event_errors++;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno != ENOBUFS && errno != EINTR)
				return;
			continue;
		}
		if (mnl_cb_run(x->evbuf, (size_t)n, 0, 0, on_event, dp) < 0)
			x->event_errors++;
	}
}

/* ---- open, close, stats --------------------------------------------------------- */

static struct mnl_socket *nl_open(int bus, unsigned groups, int flags, char *err, size_t errlen)
{
	struct mnl_socket *s = mnl_socket_open2(bus, SOCK_CLOEXEC | flags);
	int one = 1;

	if (!s || mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink (%s): %s", bus == NETLINK_XFRM ? "XFRM" : "route", strerror(errno));
		if (s)
			mnl_socket_close(s);
		return NULL;
	}
	mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
	return s;
}

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
	int rc;

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dp->priv = x;
	x->reqid = XD_REQID_BASE + (uint32_t)getpid();
	x->seq = (uint32_t)time(NULL);
	x->nl = nl_open(NETLINK_XFRM, 0, 0, err, errlen);
	x->rt = x->nl ? nl_open(NETLINK_ROUTE, 0, 0, err, errlen) : NULL;
	x->ev = x->rt ? nl_open(NETLINK_XFRM, groups, SOCK_NONBLOCK, err, errlen) : NULL;
	if (!x->ev) {
		xfrm_close(dp);
		return -1;
	}
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
