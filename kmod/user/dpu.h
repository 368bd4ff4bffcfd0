/* SPDX-License-Identifier: MIT */
/*
 * The userspace ESP datapath ("user" backend of secgw-iked): plaintext on a
 * TUN device, ciphertext on raw ESP sockets (IP protocol 50) and on the
 * UDP-encapsulation sockets the engine attaches, worker threads running
 * kmod/core with batched I/O. The packet path reads SAs and policies from an
 * immutable snapshot published by pointer swap; a writer frees an old
 * snapshot only after every worker has passed a quiescent point (QSBR), so
 * workers take no lock.
 *
 * Routing: tunnel routes go into a routing table of their own, consulted by
 * a rule "not fwmark MARK lookup TABLE"; our ciphertext sockets carry MARK,
 * so ESP to a peer never loops back into the TUN even when a selector
 * covers the peer's own address (transport mode, 0.0.0.0/0).
 *
 * All functions but the packet path run on the caller's (control) thread.
 */
#ifndef SECGW_DPU_H
#define SECGW_DPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kmod/core/esp.h"
#include "kmod/core/spd.h"

enum {
	DPU_WORKERS_MAX = 8,
	DPU_MTU_DEFAULT = 1400,
	DPU_TABLE_DEFAULT = 1516,
	DPU_FWMARK_DEFAULT = 0x5ec0,
	DPU_RULE_PRIORITY = 1516,
	DPU_ENCAP_MAX = 8,	/* attached UDP sockets */
	DPU_EVENT_QUEUE = 256,
	DPU_IKE_MAX = 65535,
};

struct dpu_config {
	const char *tun_name;	/* NULL or "" -> "secgw%d" */
	unsigned workers;	/* 0 -> online CPUs (at most DPU_WORKERS_MAX) */
	unsigned mtu;		/* TUN MTU; 0 -> DPU_MTU_DEFAULT */
	uint32_t fwmark;	/* 0 -> DPU_FWMARK_DEFAULT */
	uint32_t table;		/* 0 -> DPU_TABLE_DEFAULT */
	bool no_offload;	/* no TUN checksum/TSO offload (debugging) */
};

enum dpu_event_kind {
	DPU_EV_SOFT_EXPIRE = 1,
	DPU_EV_HARD_EXPIRE,
	DPU_EV_ACQUIRE,		/* a packet hit a protect policy without SA */
	DPU_EV_IKE,		/* a non-ESP datagram on an encap socket */
};

struct dpu_event {
	enum dpu_event_kind kind;
	uint8_t dir;		/* expire: the SA's direction, SPI and destination */
	uint32_t spi;
	struct esp_addr dst;
	bool seq_exhausted;
	uint32_t policy_id;	/* acquire */
	/* IKE: the datagram as read from the socket (non-ESP marker
	 * included), valid until the next dpu_event_next() call. */
	const uint8_t *msg;
	uint32_t len;
	int fd;
	struct sockaddr_storage from, to;
};

/* Host-side counters (drops the core cannot see). */
struct dpu_host_stats {
	uint64_t tun_read_errors, tun_write_errors, send_errors, no_socket;
	uint64_t event_queue_full, gso_segments, gso_bad;
};

struct dpu_stats {
	uint64_t drops[ESP_DROP__MAX];
	uint64_t keepalives, ike, packets_in, packets_out;
	struct dpu_host_stats host;
};

struct dpu_sa_stats {
	uint64_t bytes, packets;
	uint64_t drops[ESP_DROP__MAX];
};

struct dpu;

/* Creates the TUN device, the raw ESP sockets, the routing rule, and starts
 * the workers. Returns 0, or -1 with a message in err. */
int dpu_open(const struct dpu_config *cfg, struct dpu **out, char *err, size_t errlen);
/* Stops the workers, removes the rule and the TUN (and with it its routes),
 * frees every SA (keys wiped). */
void dpu_close(struct dpu *d);
const char *dpu_tun_name(const struct dpu *d);

/* Readable (eventfd) when events are queued; then call dpu_event_next until
 * it returns false. */
int dpu_event_fd(const struct dpu *d);
bool dpu_event_next(struct dpu *d, struct dpu_event *ev);

/*
 * Add an SA: p->aead is ignored and made here from key (32 bytes) for p->alg.
 * (dir, spi, dst) must be new. Returns 0 or -1 with err set.
 */
int dpu_sa_add(struct dpu *d, const struct esp_sa_params *p, const uint8_t *key,
	       size_t keylen, char *err, size_t errlen);
int dpu_sa_del(struct dpu *d, uint8_t dir, uint32_t spi, const struct esp_addr *dst);
int dpu_sa_stats(struct dpu *d, uint8_t dir, uint32_t spi, const struct esp_addr *dst,
		 struct dpu_sa_stats *out);

/* Outbound policy, appended after the existing ones. For PROTECT, the SA is
 * named by (spi, dst) of an outbound SA already added (spi 0: none yet, a
 * packet raises DPU_EV_ACQUIRE). id must be new. */
int dpu_policy_add(struct dpu *d, const struct esp_policy *pol, uint32_t sa_spi,
		   const struct esp_addr *sa_dst, char *err, size_t errlen);
int dpu_policy_del(struct dpu *d, uint32_t id);
/* Replace the policy with pol->id where it stands in the order. */
int dpu_policy_update(struct dpu *d, const struct esp_policy *pol, uint32_t sa_spi,
		      const struct esp_addr *sa_dst, char *err, size_t errlen);

/* A route for net/plen into the TUN, in the datapath's table; src (may be
 * NULL) becomes the preferred source address. */
int dpu_route_add(struct dpu *d, uint8_t family, const uint8_t *net, unsigned plen,
		  const struct esp_addr *src, char *err, size_t errlen);
int dpu_route_del(struct dpu *d, uint8_t family, const uint8_t *net, unsigned plen);

/* Take over reading a bound UDP socket for ESP in UDP; non-ESP datagrams
 * come back as DPU_EV_IKE. The caller keeps ownership (closes it after
 * dpu_close) and may send on it. */
int dpu_encap_attach(struct dpu *d, int fd, char *err, size_t errlen);

/* Mark a socket the datapath does not read (IKE on port 500) so that what
 * it sends uses the main routing table, never the TUN. */
int dpu_socket_bypass(struct dpu *d, int fd, char *err, size_t errlen);

void dpu_stats(struct dpu *d, struct dpu_stats *out);

#endif
