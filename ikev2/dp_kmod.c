// SPDX-License-Identifier: MIT
/*
 * The "kmod" datapath backend: secgw_esp.ko driven over its generic
 * netlink family (kmod/linux/secgw_esp.h is the contract) with libmnl.
 *
 * Two netlink sockets: one for requests, answered synchronously on the loop
 * thread (the module answers at once; a request never waits on traffic),
 * and one joined to the module's events group, watched by the loop, for
 * acquires and expiries. Routing follows the user backend's model: routes
 * into ipsec0 live in a table of their own, consulted by the rule "not
 * fwmark MARK lookup TABLE", and the module marks what it sends with MARK
 * (SET_CONFIG), so ciphertext never loops back into ipsec0. The UDP 4500
 * socket is handed to the module (ENCAP_ATTACH): ESP in UDP is diverted in
 * the kernel, IKE keeps arriving on the socket for the engine to read.
 *
 * Everything from the kernel is parsed with mnl_attr_validate before use.
 */
#include "dp.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "kmod/linux/secgw_esp.h"
#include "kmod/user/rtnl.h"
#include "log.h"
#include "proposal.h"

enum {
	KMOD_TABLE_DEFAULT = 1517,	/* beside the user backend's 1516 */
	KMOD_FWMARK_DEFAULT = 0x5ec1,
	KMOD_RULE_PRIO = 1000,
	KMOD_MTU = 1400,		/* the module's ipsec0 default */
	KMOD_BUF = 16384,		/* larger than any reply of the module */
	KMOD_ADDR = 16,
};

struct kmod {
	struct mnl_socket *req, *ev;
	uint16_t family;
	uint32_t group;
	uint32_t seq;
	int ifindex;
	uint32_t table, mark;
	bool rules[2];			/* v4, v6 rule installed */
	bool watching;			/* ev is on the loop */
};

/* What a reply carried. */
struct answer {
	int error;
	char msg[160];
	uint16_t family;
	uint32_t group, ifindex;
	struct dp_sa_stats *sa;
	struct dp_stats *stats;
};

static struct kmod *K(struct dp *dp)
{
	return dp->priv;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct answer *a = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		a->error = EBADMSG;
		return MNL_CB_ERROR;
	}
	a->error = -e->error;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		const struct nlattr *t;
		size_t off = sizeof(*e);

		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_for_each(t, nlh, off)
				if (mnl_attr_get_type(t) == NLMSGERR_ATTR_MSG &&
				    mnl_attr_validate(t, MNL_TYPE_NUL_STRING) == 0)
					snprintf(a->msg, sizeof(a->msg), "%s", mnl_attr_get_str(t));
	}
	return MNL_CB_STOP;
}

static int on_noop(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

static int ctrl_attr(const struct nlattr *at, void *data)
{
	struct answer *a = data;
	const struct nlattr *g, *f;

	if (mnl_attr_get_type(at) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(at, MNL_TYPE_U16) == 0)
		a->family = mnl_attr_get_u16(at);
	if (mnl_attr_get_type(at) != CTRL_ATTR_MCAST_GROUPS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(g, at) {
		uint32_t id = 0;
		bool ours = false;

		mnl_attr_for_each_nested(f, g) {
			if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(f, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(f);
			if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(f, MNL_TYPE_NUL_STRING) == 0)
				ours = strcmp(mnl_attr_get_str(f), SECGW_ESP_MCGRP_EVENTS) == 0;
		}
		if (ours)
			a->group = id;
	}
	return MNL_CB_OK;
}

static void drops(const struct nlattr *nest, uint64_t *out)
{
	const struct nlattr *d;

	mnl_attr_for_each_nested(d, nest)
		if (mnl_attr_get_type(d) < ESP_DROP__MAX && mnl_attr_validate(d, MNL_TYPE_U64) == 0)
			out[mnl_attr_get_type(d)] = mnl_attr_get_u64(d);
}

static void counters(const struct nlattr *nest, struct dp_stats *s)
{
	static const struct { uint16_t type; const char *name; } extra[] = {
		{ SECGW_ESP_CTR_PASSED_ON, "passed_on" },
		{ SECGW_ESP_CTR_TX_ERRORS, "tx_errors" },
		{ SECGW_ESP_CTR_NO_ROUTE, "no_route" },
		{ SECGW_ESP_CTR_LOOP, "loop" },
		{ SECGW_ESP_CTR_ACQUIRES, "acquires" },
		{ SECGW_ESP_CTR_DEFERRED, "deferred" },
		{ SECGW_ESP_CTR_EVENTS_LOST, "events_lost" },
		{ SECGW_ESP_CTR_BYPASSED, "bypassed" },
	};
	const struct nlattr *c;

	mnl_attr_for_each_nested(c, nest) {
		uint64_t v;

		if (mnl_attr_validate(c, MNL_TYPE_U64) != 0)
			continue;
		v = mnl_attr_get_u64(c);
		switch (mnl_attr_get_type(c)) {
		case SECGW_ESP_CTR_PACKETS_IN: s->packets_in = v; break;
		case SECGW_ESP_CTR_PACKETS_OUT: s->packets_out = v; break;
		case SECGW_ESP_CTR_KEEPALIVES: s->keepalives = v; break;
		case SECGW_ESP_CTR_IKE: s->ike = v; break;
		default:
			for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
				if (extra[i].type == mnl_attr_get_type(c) && s->n_extra < DP_EXTRA_MAX) {
					s->extra[s->n_extra].name = extra[i].name;
					s->extra[s->n_extra++].value = v;
				}
		}
	}
}

static int data_attr(const struct nlattr *at, void *data)
{
	struct answer *a = data;

	switch (mnl_attr_get_type(at)) {
	case SECGW_ESP_A_IFINDEX:
		if (mnl_attr_validate(at, MNL_TYPE_U32) == 0)
			a->ifindex = mnl_attr_get_u32(at);
		break;
	case SECGW_ESP_A_SA_BYTES:
		if (a->sa && mnl_attr_validate(at, MNL_TYPE_U64) == 0)
			a->sa->bytes = mnl_attr_get_u64(at);
		break;
	case SECGW_ESP_A_SA_PACKETS:
		if (a->sa && mnl_attr_validate(at, MNL_TYPE_U64) == 0)
			a->sa->packets = mnl_attr_get_u64(at);
		break;
	case SECGW_ESP_A_DROPS:
		if (a->sa)
			drops(at, a->sa->drops);
		if (a->stats)
			drops(at, a->stats->drops);
		break;
	case SECGW_ESP_A_COUNTERS:
		if (a->stats)
			counters(at, a->stats);
		break;
	}
	return MNL_CB_OK;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), ctrl_attr, data);
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), data_attr, data);
}

static struct nlmsghdr *request(struct kmod *k, char *buf, uint16_t type, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++k->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = SECGW_ESP_GENL_VERSION;
	return nlh;
}

/* Send, read to the ACK. 0, or -errno with a->msg possibly set. */
static int transact(struct kmod *k, struct nlmsghdr *nlh, struct answer *a)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_NOOP] = on_noop, [NLMSG_ERROR] = on_error };
	char buf[KMOD_BUF];
	unsigned portid = mnl_socket_get_portid(k->req);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(k->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(k->req, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(buf, (size_t)n, nlh->nlmsg_seq, portid, on_data, a, ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	if (a->error)
		return -a->error;
	return ret < 0 ? -EPROTO : 0;
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type, const struct ip_addr *ad)
{
	uint8_t b[KMOD_ADDR] = { 0 };

	memcpy(b, ad->b, ad->family == IPF_V4 ? 4 : 16);
	mnl_attr_put(nlh, type, KMOD_ADDR, b);
}

static int put_key(struct nlmsghdr *nlh, const struct dp_sa_key *key)
{
	if (key->dst.family != IPF_V4 && key->dst.family != IPF_V6)
		return -1;
	mnl_attr_put_u8(nlh, SECGW_ESP_A_SA_DIR, key->dir);
	mnl_attr_put_u32(nlh, SECGW_ESP_A_SA_SPI, key->spi);
	mnl_attr_put_u8(nlh, SECGW_ESP_A_SA_FAMILY, key->dst.family);
	put_addr(nlh, SECGW_ESP_A_SA_DST, &key->dst);
	return 0;
}

static int put_sel(struct nlmsghdr *nlh, uint16_t type, const struct ts *t)
{
	struct nlattr *n;

	if (t->dynamic || (t->family != IPF_V4 && t->family != IPF_V6))
		return -1;
	n = mnl_attr_nest_start(nlh, type);
	mnl_attr_put_u8(nlh, SECGW_ESP_SEL_FAMILY, t->family);
	mnl_attr_put_u8(nlh, SECGW_ESP_SEL_PROTO, t->proto);
	mnl_attr_put_u16(nlh, SECGW_ESP_SEL_PORT_LO, t->port_lo);
	mnl_attr_put_u16(nlh, SECGW_ESP_SEL_PORT_HI, t->port_hi);
	mnl_attr_put(nlh, SECGW_ESP_SEL_LO, KMOD_ADDR, t->lo);
	mnl_attr_put(nlh, SECGW_ESP_SEL_HI, KMOD_ADDR, t->hi);
	mnl_attr_nest_end(nlh, n);
	return 0;
}

static int put_ts(struct nlmsghdr *nlh, uint16_t type, const struct ts *v, unsigned n)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	for (unsigned i = 0; i < n; i++)
		if (put_sel(nlh, SECGW_ESP_A_TS_SEL, &v[i]) < 0)
			return -1;
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

static void fail(char *err, size_t errlen, const char *what, int rc, const struct answer *a)
{
	snprintf(err, errlen, "%s: %s%s%s", what, strerror(-rc), a->msg[0] ? ": " : "", a->msg);
}

static void on_event(void *arg, int fd, unsigned events)
{
	struct dp *dp = arg;
	struct kmod *k = K(dp);
	char buf[KMOD_BUF];
	ssize_t n = mnl_socket_recvfrom(k->ev, buf, sizeof(buf));
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	size_t left = n > 0 ? (size_t)n : 0;

	for (; mnl_nlmsg_ok(nlh, (int)left); nlh = mnl_nlmsg_next(nlh, (int *)&left)) {
		const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
		const struct nlattr *at;
		struct dp_event e;

		if (nlh->nlmsg_type != k->family || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
			continue;
		memset(&e, 0, sizeof(e));
		if (g->cmd == SECGW_ESP_CMD_EVENT_ACQUIRE)
			e.kind = DP_EV_ACQUIRE;
		else if (g->cmd == SECGW_ESP_CMD_EVENT_EXPIRE)
			e.kind = DP_EV_SOFT_EXPIRE;
		else
			continue;
		mnl_attr_for_each(at, nlh, sizeof(*g)) {
			switch (mnl_attr_get_type(at)) {
			case SECGW_ESP_A_POL_ID:
				if (mnl_attr_validate(at, MNL_TYPE_U32) == 0)
					e.policy_id = mnl_attr_get_u32(at);
				break;
			case SECGW_ESP_A_SA_DIR:
				if (mnl_attr_validate(at, MNL_TYPE_U8) == 0)
					e.sa.dir = mnl_attr_get_u8(at);
				break;
			case SECGW_ESP_A_SA_SPI:
				if (mnl_attr_validate(at, MNL_TYPE_U32) == 0)
					e.sa.spi = mnl_attr_get_u32(at);
				break;
			case SECGW_ESP_A_SA_FAMILY:
				if (mnl_attr_validate(at, MNL_TYPE_U8) == 0)
					e.sa.dst.family = mnl_attr_get_u8(at);
				break;
			case SECGW_ESP_A_SA_DST:
				if (mnl_attr_get_payload_len(at) == KMOD_ADDR)
					memcpy(e.sa.dst.b, mnl_attr_get_payload(at), KMOD_ADDR);
				break;
			case SECGW_ESP_A_EXPIRE_HARD:
				e.kind = DP_EV_HARD_EXPIRE;
				break;
			case SECGW_ESP_A_EXPIRE_SEQ:
				e.seq_exhausted = true;
				break;
			}
		}
		if (e.sa.dst.family == IPF_V4)
			memset(e.sa.dst.b + 4, 0, 12);
		if (dp->hooks.event)
			dp->hooks.event(dp->hooks.arg, &e);
	}
}

static void kmod_close(struct dp *dp)
{
	struct kmod *k = K(dp);
	char buf[KMOD_BUF];
	struct answer a;

	if (!k)
		return;
	if (k->family) {
		memset(&a, 0, sizeof(a));
		transact(k, request(k, buf, k->family, SECGW_ESP_CMD_FLUSH), &a);
	}
	for (int i = 0; i < 2; i++)
		if (k->rules[i])
			rtnl_rule(false, i ? 6 : 4, k->mark, k->table, KMOD_RULE_PRIO);
	if (k->watching)
		loop_fd_del(dp->loop, mnl_socket_get_fd(k->ev));
	if (k->ev)
		mnl_socket_close(k->ev);
	if (k->req)
		mnl_socket_close(k->req);
	free(k);
	dp->priv = NULL;
}

static int kmod_open(struct dp *dp, const struct dp_options *o, char *err, size_t errlen)
{
	struct kmod *k = calloc(1, sizeof(*k));
	char buf[KMOD_BUF];
	struct nlmsghdr *nlh;
	struct answer a;
	int one = 1, rc;

	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dp->priv = k;
	k->seq = (uint32_t)time(NULL);
	k->table = o->table ? o->table : KMOD_TABLE_DEFAULT;
	k->mark = o->fwmark ? o->fwmark : KMOD_FWMARK_DEFAULT;
	k->req = mnl_socket_open(NETLINK_GENERIC);
	k->ev = mnl_socket_open(NETLINK_GENERIC);
	if (!k->req || !k->ev || mnl_socket_bind(k->req, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(k->ev, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "generic netlink socket: %s", strerror(errno));
		goto fail;
	}
	mnl_socket_setsockopt(k->req, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(k->req, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A lookup by name loads the module (its family alias). */
	memset(&a, 0, sizeof(a));
	nlh = request(k, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SECGW_ESP_GENL_NAME);
	rc = transact(k, nlh, &a);
	if (rc < 0 || !a.family || !a.group) {
		snprintf(err, errlen, "secgw_esp.ko is not loaded (generic netlink family %s: %s)",
			 SECGW_ESP_GENL_NAME, strerror(rc < 0 ? -rc : ENOENT));
		goto fail;
	}
	k->family = a.family;
	k->group = a.group;
	memset(&a, 0, sizeof(a));
	rc = transact(k, request(k, buf, k->family, SECGW_ESP_CMD_GET_INFO), &a);
	if (rc < 0 || !a.ifindex) {
		snprintf(err, errlen, "secgw_esp.ko: no %s in this namespace", SECGW_ESP_IFNAME);
		goto fail;
	}
	k->ifindex = (int)a.ifindex;
	memset(&a, 0, sizeof(a));
	nlh = request(k, buf, k->family, SECGW_ESP_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, SECGW_ESP_A_OUT_MARK, k->mark);
	rc = transact(k, nlh, &a);
	if (rc < 0) {
		fail(err, errlen, "secgw_esp.ko SET_CONFIG", rc, &a);
		goto fail;
	}
	/* Start from nothing: a previous instance's leftovers would catch traffic. */
	memset(&a, 0, sizeof(a));
	transact(k, request(k, buf, k->family, SECGW_ESP_CMD_FLUSH), &a);
	rc = rtnl_link_up(k->ifindex, KMOD_MTU);
	if (rc < 0) {
		snprintf(err, errlen, "%s up: %s", SECGW_ESP_IFNAME, strerror(-rc));
		goto fail;
	}
	for (int i = 0; i < 2; i++) {
		rtnl_rule(false, i ? 6 : 4, k->mark, k->table, KMOD_RULE_PRIO);
		rc = rtnl_rule(true, i ? 6 : 4, k->mark, k->table, KMOD_RULE_PRIO);
		if (rc < 0) {
			snprintf(err, errlen, "routing rule for table %u: %s", k->table, strerror(-rc));
			goto fail;
		}
		k->rules[i] = true;
	}
	if (mnl_socket_setsockopt(k->ev, NETLINK_ADD_MEMBERSHIP, &k->group, sizeof(k->group)) < 0 ||
	    loop_fd_add(dp->loop, mnl_socket_get_fd(k->ev), LOOP_IN, on_event, dp) < 0) {
		snprintf(err, errlen, "secgw_esp.ko events: %s", strerror(errno));
		goto fail;
	}
	k->watching = true;
	log_info("kmod datapath: %s (ifindex %d), table %u, mark 0x%x", SECGW_ESP_IFNAME,
		 k->ifindex, k->table, k->mark);
	return 0;
fail:
	kmod_close(dp);
	return -1;
}

static const char *kmod_alg_name(uint16_t alg)
{
	return alg == ENCR_AES_GCM_16 ? "rfc4106(gcm(aes))" :
	       alg == ENCR_CHACHA20_POLY1305 ? "rfc7539esp(chacha20,poly1305)" : NULL;
}

static const char *kmod_alg_unavailable(struct dp *dp, uint16_t alg)
{
	return kmod_alg_name(alg) ? NULL : "secgw_esp.ko has AES-GCM-16 and ChaCha20-Poly1305 only";
}

static int kmod_sa_add(struct dp *dp, const struct dp_sa *sa, char *err, size_t errlen)
{
	struct kmod *k = K(dp);
	const char *alg = kmod_alg_name(sa->alg);
	char buf[KMOD_BUF];
	struct nlmsghdr *nlh;
	struct answer a;
	int rc;

	if (!alg) {
		snprintf(err, errlen, "%s", kmod_alg_unavailable(dp, sa->alg));
		return -1;
	}
	nlh = request(k, buf, k->family, SECGW_ESP_CMD_SA_ADD);
	if (put_key(nlh, &sa->id) < 0 || sa->src.family != sa->id.dst.family) {
		snprintf(err, errlen, "SA outer addresses: two of one family");
		return -1;
	}
	mnl_attr_put_u8(nlh, SECGW_ESP_A_SA_MODE, sa->mode);
	put_addr(nlh, SECGW_ESP_A_SA_SRC, &sa->src);
	mnl_attr_put_strz(nlh, SECGW_ESP_A_SA_ALG, alg);
	mnl_attr_put(nlh, SECGW_ESP_A_SA_KEY, sa->keylen, sa->keymat);
	if (sa->encap_dport) {
		mnl_attr_put_u16(nlh, SECGW_ESP_A_SA_ENCAP_SPORT, sa->encap_sport);
		mnl_attr_put_u16(nlh, SECGW_ESP_A_SA_ENCAP_DPORT, sa->encap_dport);
	}
	if (sa->replay_window)
		mnl_attr_put_u32(nlh, SECGW_ESP_A_SA_REPLAY_WINDOW, sa->replay_window);
	if (sa->esn)
		mnl_attr_put(nlh, SECGW_ESP_A_SA_ESN, 0, NULL);
	mnl_attr_put_u64(nlh, SECGW_ESP_A_SA_SOFT_BYTES, sa->soft_bytes);
	mnl_attr_put_u64(nlh, SECGW_ESP_A_SA_HARD_BYTES, sa->hard_bytes);
	mnl_attr_put_u64(nlh, SECGW_ESP_A_SA_SOFT_PACKETS, sa->soft_packets);
	mnl_attr_put_u64(nlh, SECGW_ESP_A_SA_HARD_PACKETS, sa->hard_packets);
	if (sa->tfc_pad)
		mnl_attr_put_u16(nlh, SECGW_ESP_A_SA_TFC_PAD, sa->tfc_pad);
	if (put_ts(nlh, SECGW_ESP_A_SA_LOCAL_TS, sa->local_ts, sa->n_local_ts) < 0 ||
	    put_ts(nlh, SECGW_ESP_A_SA_REMOTE_TS, sa->remote_ts, sa->n_remote_ts) < 0) {
		snprintf(err, errlen, "traffic selectors must be resolved addresses");
		return -1;
	}
	memset(&a, 0, sizeof(a));
	rc = transact(k, nlh, &a);
	/* The key travelled in buf: wipe it before the stack frame goes. */
	sodium_memzero(buf, sizeof(buf));
	if (rc < 0) {
		fail(err, errlen, "secgw_esp.ko refused the SA", rc, &a);
		return -1;
	}
	return 0;
}

static int kmod_simple(struct dp *dp, uint8_t cmd, const struct dp_sa_key *key, uint32_t pol_id,
		       struct answer *a)
{
	struct kmod *k = K(dp);
	char buf[KMOD_BUF];
	struct nlmsghdr *nlh = request(k, buf, k->family, cmd);

	if (key && put_key(nlh, key) < 0)
		return -EINVAL;
	if (pol_id)
		mnl_attr_put_u32(nlh, SECGW_ESP_A_POL_ID, pol_id);
	return transact(k, nlh, a);
}

static int kmod_sa_del(struct dp *dp, const struct dp_sa_key *key)
{
	struct answer a;

	memset(&a, 0, sizeof(a));
	return kmod_simple(dp, SECGW_ESP_CMD_SA_DEL, key, 0, &a) < 0 ? -1 : 0;
}

static int kmod_sa_stats(struct dp *dp, const struct dp_sa_key *key, struct dp_sa_stats *out)
{
	struct answer a;

	memset(&a, 0, sizeof(a));
	memset(out, 0, sizeof(*out));
	a.sa = out;
	return kmod_simple(dp, SECGW_ESP_CMD_SA_GET, key, 0, &a) < 0 ? -1 : 0;
}

static int kmod_policy_add(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen)
{
	struct kmod *k = K(dp);
	char buf[KMOD_BUF];
	struct nlmsghdr *nlh = request(k, buf, k->family, SECGW_ESP_CMD_POLICY_ADD);
	struct answer a;
	int rc;

	mnl_attr_put_u32(nlh, SECGW_ESP_A_POL_ID, p->id);
	mnl_attr_put_u8(nlh, SECGW_ESP_A_POL_ACTION, p->action);
	if (put_sel(nlh, SECGW_ESP_A_POL_SRC, &p->src) < 0 ||
	    put_sel(nlh, SECGW_ESP_A_POL_DST, &p->dst) < 0) {
		snprintf(err, errlen, "policy selectors must be resolved addresses");
		return -1;
	}
	if (p->action == DP_PROTECT && p->sa.spi) {
		mnl_attr_put_u32(nlh, SECGW_ESP_A_SA_SPI, p->sa.spi);
		mnl_attr_put_u8(nlh, SECGW_ESP_A_SA_FAMILY, p->sa.dst.family);
		put_addr(nlh, SECGW_ESP_A_SA_DST, &p->sa.dst);
	}
	memset(&a, 0, sizeof(a));
	rc = transact(k, nlh, &a);
	if (rc < 0) {
		fail(err, errlen, "secgw_esp.ko refused the policy", rc, &a);
		return -1;
	}
	return 0;
}

static int kmod_policy_del(struct dp *dp, uint32_t id)
{
	struct answer a;

	memset(&a, 0, sizeof(a));
	return kmod_simple(dp, SECGW_ESP_CMD_POLICY_DEL, NULL, id, &a) < 0 ? -1 : 0;
}

static int kmod_route_add(struct dp *dp, const struct dp_route *r, char *err, size_t errlen)
{
	struct kmod *k = K(dp);
	int rc = rtnl_route(true, r->family, r->net, r->plen, k->table, k->ifindex,
			    r->src.family == r->family ? r->src.b : NULL);

	if (rc < 0)
		snprintf(err, errlen, "route into %s refused: %s", SECGW_ESP_IFNAME, strerror(-rc));
	return rc < 0 ? -1 : 0;
}

static int kmod_route_del(struct dp *dp, const struct dp_route *r)
{
	struct kmod *k = K(dp);

	return rtnl_route(false, r->family, r->net, r->plen, k->table, k->ifindex, NULL) < 0 ? -1 : 0;
}

/* IKE leaves with the module's mark: the main table, never ipsec0 (in
 * transport mode the peer itself is routed into ipsec0). */
static int kmod_bypass_socket(struct dp *dp, int fd, char *err, size_t errlen)
{
	uint32_t mark = K(dp)->mark;

	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		snprintf(err, errlen, "SO_MARK on the IKE socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int kmod_encap_attach(struct dp *dp, int fd, char *err, size_t errlen)
{
	struct kmod *k = K(dp);
	char buf[KMOD_BUF];
	struct nlmsghdr *nlh = request(k, buf, k->family, SECGW_ESP_CMD_ENCAP_ATTACH);
	struct answer a;
	int rc;

	if (kmod_bypass_socket(dp, fd, err, errlen) != 0)
		return -1;
	mnl_attr_put_u32(nlh, SECGW_ESP_A_FD, (uint32_t)fd);
	memset(&a, 0, sizeof(a));
	rc = transact(k, nlh, &a);
	if (rc < 0) {
		fail(err, errlen, "secgw_esp.ko would not take the UDP socket", rc, &a);
		return -1;
	}
	return DP_ENCAP_ENGINE_READS;
}

static void kmod_stats(struct dp *dp, struct dp_stats *out)
{
	struct answer a;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	a.stats = out;
	if (kmod_simple(dp, SECGW_ESP_CMD_STATS, NULL, 0, &a) < 0)
		log_warn("kmod datapath: STATS refused: %s", strerror(a.error));
}

const struct dp_ops dp_kmod_ops = {
	.name = "kmod",
	.open = kmod_open,
	.close = kmod_close,
	.alg_unavailable = kmod_alg_unavailable,
	.sa_add = kmod_sa_add,
	.sa_del = kmod_sa_del,
	.sa_stats = kmod_sa_stats,
	.policy_add = kmod_policy_add,
	.policy_del = kmod_policy_del,
	.route_add = kmod_route_add,
	.route_del = kmod_route_del,
	.encap_attach = kmod_encap_attach,
	.bypass_socket = kmod_bypass_socket,
	.stats = kmod_stats,
};
