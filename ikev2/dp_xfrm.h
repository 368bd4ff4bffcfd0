/* SPDX-License-Identifier: MIT */
/*
 * Inside the xfrm datapath backend (dp_xfrm.c): its state, shared with the
 * netlink plumbing (dp_xfrm_nl.c) and the routes (dp_xfrm_route.c). Not for
 * use outside these three files: iked sees only dp_xfrm_ops (dp.h).
 */
#ifndef SECGW_DP_XFRM_H
#define SECGW_DP_XFRM_H

#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <stdbool.h>
#include <stdint.h>

#include "dp.h"

enum {
	XD_REQID_BASE = 0x40000000,	/* + pid: far above strongSwan's 1, 2, … */
	XD_PRIORITY = 1000,		/* one priority: ties go to the policy added first */
	XD_ICV_BITS = 128,
	XD_REPLAY_ESN_MIN = 32,		/* the kernel wants a window with ESN, even outbound */
	XD_REPLAY_MAX = XFRMA_REPLAY_ESN_MAX / 4 * 32,	/* bitmap words the kernel accepts */
	XD_RT_PROTO = 201,		/* rtm_protocol of our routes: tells them apart in `ip route` */
	XD_BUF = 8192,			/* MNL_SOCKET_BUFFER_SIZE: one request or one answer */
	XD_EVENT_RCVBUF = 1 << 20,	/* the event socket's receive buffer */
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

int dpx_af(uint8_t family);
void dpx_addr(const struct ip_addr *a, xfrm_address_t *x);
/* arr grown to hold n + 1 elements of size sz: arr, a new array, or NULL. */
void *dpx_grow(void *arr, unsigned *cap, unsigned n, size_t sz);
/* A netlink socket on bus, bound to groups, with extended and capped acks. */
struct mnl_socket *dpx_open(int bus, unsigned groups, int flags, char *err, size_t errlen);
/* A new request of type in x->buf. */
struct nlmsghdr *dpx_msg(struct xd *x, uint16_t type, uint16_t flags);
/* Send it on s, wipe it, read to its ack; cb (may be NULL) sees the data
 * answers with x, data in x->cb_data. 0, or -1 with x->err and x->errmsg. */
int dpx_request(struct xd *x, struct mnl_socket *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* "what: strerror (the kernel's words)" into err. */
void dpx_err(struct xd *x, const char *what, char *err, size_t errlen);

int dpx_route_add(struct xd *x, const struct dp_route *r, char *err, size_t errlen);
int dpx_route_del(struct xd *x, const struct dp_route *r);

#endif
