// SPDX-License-Identifier: MIT
/*
 * udpencap PORT — hold the sockets that let a network namespace receive
 * ESP-in-UDP (RFC 3948) on PORT, for VM tests that key SAs by hand with
 * `ip xfrm`. Linux decapsulates UDP-encapsulated ESP only on a UDP socket
 * carrying the UDP_ENCAP_ESPINUDP option (an IKE daemon's port 4500
 * socket); without one the packets reach a closed port and are dropped.
 *
 * Like an IKE daemon, each socket also carries a per-socket bypass policy
 * in both directions: the kernel checks a UDP packet against the XFRM
 * policies before handing it to the encapsulation hook, so in transport
 * mode (whose policy covers all traffic between the two peers, port 4500
 * included) the ESP-in-UDP packets would otherwise be dropped as plain text
 * that should have been protected (XfrmInTmplMismatch).
 *
 * The kernel compiles socket policies through a key manager: xfrm_user
 * must be loaded (an IKE daemon's XFRM netlink socket loads it), or the
 * setsockopt fails with EINVAL.
 *
 * Binds one IPv4 and one IPv6-only socket, prints "ready" on stdout, then
 * waits for SIGTERM or SIGINT and exits 0.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/xfrm.h>

enum { PORT_MAX = 65535 };

/* A policy that lets this socket's traffic bypass the SPD in direction dir. */
static int bypass(int fd, int family, uint8_t dir)
{
	struct xfrm_userpolicy_info pol;

	memset(&pol, 0, sizeof(pol));
	pol.sel.family = (uint16_t)family;
	pol.dir = dir;
	pol.action = XFRM_POLICY_ALLOW;
	pol.lft.soft_byte_limit = XFRM_INF;
	pol.lft.hard_byte_limit = XFRM_INF;
	pol.lft.soft_packet_limit = XFRM_INF;
	pol.lft.hard_packet_limit = XFRM_INF;
	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_XFRM_POLICY, &pol, sizeof(pol));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_XFRM_POLICY, &pol, sizeof(pol));
}

static int open_encap(int family, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd, one = 1, encap = UDP_ENCAP_ESPINUDP;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sslen = sizeof(*sin6);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if ((family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) < 0 ||
	    bypass(fd, family, XFRM_POLICY_IN) < 0 ||
	    bypass(fd, family, XFRM_POLICY_OUT) < 0 ||
	    setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof(encap)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long port;
	sigset_t set;
	int sig, fd4, fd6;

	if (argc != 2) {
		fprintf(stderr, "usage: udpencap PORT\n");
		return 2;
	}
	errno = 0;
	port = strtoul(argv[1], &end, 10);
	if (errno || *end || end == argv[1] || port == 0 || port > PORT_MAX) {
		fprintf(stderr, "udpencap: bad port '%s' (1-%d)\n", argv[1], PORT_MAX);
		return 2;
	}
	/* Block the signals before announcing readiness, so a stop sent right
	 * after "ready" is never lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	fd4 = open_encap(AF_INET, (unsigned)port);
	if (fd4 < 0) {
		fprintf(stderr, "udpencap: IPv4 port %lu: %s\n", port, strerror(errno));
		return 1;
	}
	fd6 = open_encap(AF_INET6, (unsigned)port);
	if (fd6 < 0) {
		fprintf(stderr, "udpencap: IPv6 port %lu: %s\n", port, strerror(errno));
		close(fd4);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	close(fd6);
	close(fd4);
	return 0;
}
