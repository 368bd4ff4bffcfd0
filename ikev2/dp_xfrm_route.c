// SPDX-License-Identifier: MIT
/*
 * The xfrm backend's routes. The kernel routes a packet before XFRM sees
 * it, so the remote selectors need a route; ours leave by the interface
 * that reaches the peer, carry a preferred source inside the local
 * selectors, and are tagged with our own rtm_protocol. A route that was
 * there before is used and never deleted.
 */
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_xfrm.h"
#include "log.h"

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

	m->rtm_family = (uint8_t)dpx_af(r->r.family);
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
int dpx_route_add(struct xd *x, const struct dp_route *r, char *err, size_t errlen)
{
	struct route_found f;
	struct nlmsghdr *nlh;
	struct rtmsg *m;
	struct xd_route n, *grown;

	if (!ip_family_len(r->family) || !ip_family_len(r->peer.family)) {
		snprintf(err, errlen, "a route needs its family and the peer's address");
		return -1;
	}
	grown = dpx_grow(x->routes, &x->cap_routes, x->n_routes, sizeof(*x->routes));
	if (!grown) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->routes = grown;
	memset(&f, 0, sizeof(f));
	nlh = dpx_msg(x, RTM_GETROUTE, 0);
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->rtm_family = (uint8_t)dpx_af(r->peer.family);
	m->rtm_dst_len = (uint8_t)(ip_family_len(r->peer.family) * 8);
	mnl_attr_put(nlh, RTA_DST, ip_family_len(r->peer.family), r->peer.b);
	if (dpx_request(x, x->rt, nlh, on_route, &f) != 0 || !f.oif) {
		if (!x->err)
			x->err = ENETUNREACH;
		dpx_err(x, "no route to the peer", err, errlen);
		return -1;
	}
	memset(&n, 0, sizeof(n));
	n.r = *r;
	n.oif = f.oif;
	nlh = dpx_msg(x, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	route_msg(nlh, &n, true);
	if (f.have_gw && r->family == r->peer.family)
		mnl_attr_put(nlh, RTA_GATEWAY, ip_family_len(r->family), f.gw);
	if (dpx_request(x, x->rt, nlh, NULL, NULL) != 0) {
		if (x->err != EEXIST) {
			dpx_err(x, "the kernel refused the route", err, errlen);
			return -1;
		}
		log_info("xfrm: a route to the remote selectors exists already; it stays as it is");
	} else {
		n.owned = true;
	}
	x->routes[x->n_routes++] = n;
	return 0;
}

int dpx_route_del(struct xd *x, const struct dp_route *r)
{

	for (unsigned i = 0; i < x->n_routes; i++) {
		struct xd_route *q = &x->routes[i];

		if (q->r.family != r->family || q->r.plen != r->plen || memcmp(q->r.net, r->net, 16) != 0)
			continue;
		if (q->owned) {
			struct nlmsghdr *nlh = dpx_msg(x, RTM_DELROUTE, 0);

			route_msg(nlh, q, false);
			if (dpx_request(x, x->rt, nlh, NULL, NULL) != 0 && x->err != ESRCH)
				log_warn("xfrm: deleting a route: %s", strerror(x->err));
		}
		*q = x->routes[--x->n_routes];
		return 0;
	}
	return -1;
}
