// SPDX-License-Identifier: MIT
/*
 * The xfrm backend's netlink plumbing: one request at a time on a blocking
 * socket, answers parsed by libmnl (every message length checked against
 * the datagram before a callback sees it), the kernel's extended ack kept
 * for the operator, and the request buffer wiped after each send because
 * it may have held key material.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_xfrm.h"

int dpx_af(uint8_t family)
{
	return family == IPF_V4 ? AF_INET : family == IPF_V6 ? AF_INET6 : AF_UNSPEC;
}

void dpx_addr(const struct ip_addr *a, xfrm_address_t *x)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, a->b, ip_family_len(a->family));
}

/* arr (of *cap elements of size sz), grown to hold n + 1: arr itself, a
 * new array, or NULL when memory ran out (arr then still valid). */
void *dpx_grow(void *arr, unsigned *cap, unsigned n, size_t sz)
{
	unsigned nc;
	void *p;

	if (n < *cap)
		return arr;
	nc = *cap ? 2 * *cap : 16;
	p = realloc(arr, (size_t)nc * sz);
	if (p)
		*cap = nc;
	return p;
}

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
int dpx_request(struct xd *x, struct mnl_socket *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
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

void dpx_err(struct xd *x, const char *what, char *err, size_t errlen)
{
	if (x->errmsg[0])
		snprintf(err, errlen, "%s: %s (%s)", what, strerror(x->err), x->errmsg);
	else
		snprintf(err, errlen, "%s: %s", what, strerror(x->err));
}

struct nlmsghdr *dpx_msg(struct xd *x, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(x->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

struct mnl_socket *dpx_open(int bus, unsigned groups, int flags, char *err, size_t errlen)
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
