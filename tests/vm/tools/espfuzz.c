// SPDX-License-Identifier: MIT
/*
 * espfuzz — hostile ESP for the module's receive paths (issue 6, test 5).
 *
 *   espfuzz esp DST SPI COUNT        raw IP protocol 50 packets to DST
 *   espfuzz udp DST SPI COUNT PORT   the same as UDP payloads to DST:PORT,
 *                                    plus NAT-T keepalives and non-ESP
 *                                    markers (IKE) among them
 *
 * DST is IPv4 or IPv6. Packets cycle through kinds: random bytes behind
 * the receiver's SPI (authentication or padding failures), ESP headers cut
 * short (malformed), random SPIs (not the module's: passed on to XFRM),
 * reserved SPIs below 256, and empty or tiny packets. Prints "sent N" (N
 * counts datagrams the kernel accepted for sending).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	PKT_MAX = 1400,
	ESP_HDR = 8,
	KINDS = 7,
	COUNT_MAX = 100000,
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static unsigned rnd(unsigned n)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)rand();
	return n ? v % n : 0;
}

/* One packet of the given kind into p; returns its length. */
static size_t make(unsigned kind, uint32_t spi, uint8_t *p, int udp)
{
	size_t len;

	switch (kind) {
	case 0:		/* our SPI, random sequence and body: fails the ICV */
		len = ESP_HDR + 40 + rnd(PKT_MAX - ESP_HDR - 40);
		getrandom(p, len, 0);
		put_be32(p, spi);
		return len;
	case 1:		/* our SPI, cut short of IV + trailer + ICV */
		len = ESP_HDR + rnd(26);
		getrandom(p, len, 0);
		put_be32(p, spi);
		return len;
	case 2:		/* somebody else's SPI */
		len = ESP_HDR + rnd(200);
		getrandom(p, len, 0);
		put_be32(p, spi ^ 0x5a5a0000u ^ rnd(0xffff));
		return len;
	case 3:		/* reserved SPI */
		len = ESP_HDR + 40;
		getrandom(p, len, 0);
		put_be32(p, rnd(256));
		if (udp && !p[0] && !p[1] && !p[2] && !p[3])
			p[3] = 1;	/* not the non-ESP marker */
		return len;
	case 4:		/* tiny */
		len = rnd(ESP_HDR);
		getrandom(p, len, 0);
		if (udp && len == 1)
			p[0] = 0;	/* not a keepalive */
		return len;
	case 5:		/* keepalive (UDP) / SPI only (IP) */
		if (udp) {
			p[0] = 0xff;
			return 1;
		}
		put_be32(p, spi);
		return 4;
	default:	/* non-ESP marker + garbage (UDP: IKE for the socket) */
		len = 4 + rnd(100);
		getrandom(p, len, 0);
		put_be32(p, udp ? 0 : spi);
		return len;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	uint8_t pkt[PKT_MAX];
	socklen_t sl;
	unsigned long count, sent = 0, i;
	uint32_t spi;
	int udp, fd, family;

	if (argc < 5 || (strcmp(argv[1], "esp") && strcmp(argv[1], "udp")) ||
	    (strcmp(argv[1], "udp") == 0 && argc != 6)) {
		fprintf(stderr, "usage: espfuzz esp DST SPI COUNT | espfuzz udp DST SPI COUNT PORT\n");
		return 2;
	}
	udp = strcmp(argv[1], "udp") == 0;
	spi = (uint32_t)strtoul(argv[3], NULL, 0);
	count = strtoul(argv[4], NULL, 0);
	if (count > COUNT_MAX)
		count = COUNT_MAX;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[2], &s4->sin_addr) == 1) {
		family = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = udp ? htons((uint16_t)atoi(argv[5])) : 0;
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[2], &s6->sin6_addr) == 1) {
		family = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = udp ? htons((uint16_t)atoi(argv[5])) : 0;
		sl = sizeof(*s6);
	} else {
		fprintf(stderr, "espfuzz: %s is not an address\n", argv[2]);
		return 2;
	}
	fd = udp ? socket(family, SOCK_DGRAM, 0) : socket(family, SOCK_RAW, IPPROTO_ESP);
	if (fd < 0) {
		perror("espfuzz: socket");
		return 1;
	}
	for (i = 0; i < count; i++) {
		size_t len = make((unsigned)(i % KINDS), spi, pkt, udp);

		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sl) == (ssize_t)len)
			sent++;
	}
	close(fd);
	printf("sent %lu\n", sent);
	return sent ? 0 : 1;
}
