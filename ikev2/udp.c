// SPDX-License-Identifier: MIT
/*
 * iked's UDP sockets: one per (family, port), opened on first use and kept
 * until shutdown. The NAT-T port (and a manual connection's encapsulation
 * port) is handed to the datapath, which reads it and passes IKE back; every
 * other port is read here. Reads learn the address a datagram was sent to
 * (IP_PKTINFO / IPV6_PKTINFO): a socket bound to the wildcard address
 * cannot tell otherwise, and the engine needs it to match connections by
 * local address and to compute NAT detection hashes. Sends set the source
 * address the same way, so replies leave from the address the peer used.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iked.h"
#include "log.h"

enum {
	UDP_RX_BATCH = 64,	/* datagrams per wake-up, so timers get their turn */
	UDP_RX_MAX = 65536,
	UDP_CMSG_MAX = 64,
};

void iked_udp_endpoint(const struct sockaddr_storage *ss, struct ike_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 s6;

		memcpy(&s6, ss, sizeof(s6));
		ep->addr.family = IPF_V6;
		memcpy(ep->addr.b, &s6.sin6_addr, 16);
		ep->port = ntohs(s6.sin6_port);
	} else if (ss->ss_family == AF_INET) {
		struct sockaddr_in s4;

		memcpy(&s4, ss, sizeof(s4));
		ep->addr.family = IPF_V4;
		memcpy(ep->addr.b, &s4.sin_addr, 4);
		ep->port = ntohs(s4.sin_port);
	}
}

static socklen_t to_sockaddr(uint8_t family, const uint8_t *addr, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == IPF_V6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		if (addr)
			memcpy(&s->sin6_addr, addr, 16);
		return sizeof(*s);
	}
	{
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		if (addr)
			memcpy(&s->sin_addr, addr, 4);
		return sizeof(*s);
	}
}

/* The destination address of a received datagram, from its PKTINFO. */
static void dst_from_cmsg(struct msghdr *m, struct sockaddr_storage *to)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    to->ss_family == AF_INET) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(&((struct sockaddr_in *)to)->sin_addr, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   to->ss_family == AF_INET6) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(&((struct sockaddr_in6 *)to)->sin6_addr, &pi.ipi6_addr, 16);
		}
	}
}

static void on_udp(void *arg, int fd, unsigned events)
{
	static uint8_t buf[UDP_RX_MAX];
	struct iked *k = arg;

	for (int i = 0; i < UDP_RX_BATCH; i++) {
		struct sockaddr_storage from, to;
		socklen_t tl = sizeof(to);
		union {
			char b[UDP_CMSG_MAX];
			struct cmsghdr align;
		} cm;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b) };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

		if (n < 0)
			return;
		if (m.msg_flags & MSG_TRUNC)
			continue;	/* larger than any IKE message we take */
		/* The port (and family) from the socket, the address from PKTINFO. */
		getsockname(fd, (struct sockaddr *)&to, &tl);
		dst_from_cmsg(&m, &to);
		iked_ike_rx(k, fd, buf, (size_t)n, &from, &to);
	}
}

int iked_udp_socket(struct iked *k, uint8_t family, uint16_t port, bool encap, char *err,
		    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, rc;

	for (unsigned i = 0; i < k->n_udp; i++)
		if (k->udp[i].family == family && k->udp[i].port == port) {
			if (k->udp[i].encap != encap) {
				snprintf(err, errlen, "UDP port %u cannot carry both ESP in UDP and plain IKE "
					 "(use %u for ESP in UDP)", port, IKE_NATT_PORT);
				return -1;
			}
			return k->udp[i].fd;
		}
	if (k->n_udp == IKED_UDP_MAX) {
		snprintf(err, errlen, "too many UDP ports in use (at most %d)", IKED_UDP_MAX);
		return -1;
	}
	sl = to_sockaddr(family, NULL, port, &ss);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		snprintf(err, errlen, "UDP socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == IPF_V6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		snprintf(err, errlen, "cannot bind UDP port %u (IPv%u): %s", port, family, strerror(errno));
		close(fd);
		return -1;
	}
	rc = encap ? dp_encap_attach(k->dp, fd, err, errlen) : DP_ENCAP_ENGINE_READS;
	if (rc < 0 || (!encap && dp_bypass_socket(k->dp, fd, err, errlen) != 0)) {
		close(fd);
		return -1;
	}
	if (rc == DP_ENCAP_ENGINE_READS && loop_fd_add(k->loop, fd, LOOP_IN, on_udp, k) < 0) {
		snprintf(err, errlen, "cannot watch UDP port %u", port);
		close(fd);
		return -1;
	}
	k->udp[k->n_udp++] = (struct iked_udp){ family, port, fd, rc, encap };
	return fd;
}

void iked_udp_send(struct iked *k, const struct ike_endpoint *from, const struct ike_endpoint *to,
		   const uint8_t *data, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to->addr.family, to->addr.b, to->port, &ss);
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { (void *)data, len };
	struct msghdr m = { .msg_name = &ss, .msg_namelen = sl, .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = -1;

	for (unsigned i = 0; i < k->n_udp && fd < 0; i++)
		if (k->udp[i].family == to->addr.family && k->udp[i].port == from->port)
			fd = k->udp[i].fd;
	if (fd < 0) {
		k->udp_no_socket++;
		log_debug("ike: no IPv%u socket on port %u to send from", to->addr.family, from->port);
		return;
	}
	/* Leave from the address the engine chose (the one the peer used);
	 * none yet (an initiator's first message): the kernel picks. */
	memset(&cm, 0, sizeof(cm));
	if (from->addr.family == IPF_V4 && !addr_is_zero(&from->addr)) {
		struct cmsghdr *c;
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, from->addr.b, 4);
		m.msg_control = cm.b;
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else if (from->addr.family == IPF_V6 && !addr_is_zero(&from->addr)) {
		struct cmsghdr *c;
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi6_addr, from->addr.b, 16);
		m.msg_control = cm.b;
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	/* Lost sends are the retransmission timer's business. */
	if (sendmsg(fd, &m, MSG_DONTWAIT) < 0) {
		k->udp_send_errors++;
		log_debug("ike: sendmsg to port %u: %s", to->port, strerror(errno));
	}
}

void iked_close_sockets(struct iked *k)
{
	for (unsigned i = 0; i < k->n_udp; i++)
		close(k->udp[i].fd);
	k->n_udp = 0;
}

void iked_udp_unwatch(struct iked *k)
{
	for (unsigned i = 0; i < k->n_udp; i++)
		if (k->udp[i].reader == DP_ENCAP_ENGINE_READS)
			loop_fd_del(k->loop, k->udp[i].fd);
}
