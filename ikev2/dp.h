/* SPDX-License-Identifier: MIT */
/*
 * The datapath backend interface: how secgw-iked installs SAs, policies and
 * routes into whichever ESP implementation an instance uses —
 *   user: kmod/user in this process (dp_user.c),
 *   kmod: secgw_esp.ko over generic netlink (dp_kmod.c, issue 6),
 *   xfrm: the host kernel's XFRM (dp_xfrm.c, issue 6).
 * Three implementations exist, so this is the one function-pointer table in
 * iked. Callers use the dp_* wrappers below, never ops directly.
 *
 * Everything runs on the loop thread; events come back through dp_hooks,
 * also on the loop thread.
 *
 * A backend may apply SA and policy changes in batches: they are certain to
 * reach the packet path only at dp_commit(). Callers commit before they
 * tell a peer about an SA (before sending the IKE message that completes
 * it) and at the end of every request they serve. The user backend
 * publishes one snapshot per commit (thousands of SAs stay cheap); the
 * kernel backends apply each change at once and need no commit op.
 *
 * ESP in UDP and IKE share UDP port 4500 (RFC 3948) and only one socket can
 * own it, so the engine creates and binds that socket and calls
 * dp_encap_attach(fd). The return value says who reads it afterwards:
 *   DP_ENCAP_ENGINE_READS (kmod, xfrm): the kernel diverts ESP; IKE keeps
 *     arriving on fd and the engine reads it as before.
 *   DP_ENCAP_HOOK (user): the datapath's workers read fd; every non-ESP
 *     datagram (IKE, non-ESP marker included, exactly as recvfrom would
 *     return it) is handed to hooks.ike_rx. The engine must not read fd,
 *     but sends on it as usual.
 *
 * The engine's other sockets (UDP 500, or a connection's own IKE port) are
 * passed to dp_bypass_socket(fd): IKE to a peer must never be caught by the
 * datapath's policies or routes, even when a selector covers the peer's own
 * address (transport mode, or a tunnel to 0.0.0.0/0). The xfrm backend does
 * this with a per-socket bypass policy, the user backend with its fwmark.
 */
#ifndef SECGW_DP_H
#define SECGW_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "addr.h"
#include "kmod/core/esp.h"
#include "loop.h"

enum {
	DP_TS_MAX = ESP_SEL_MAX,
	DP_KEY_MAX = 36,		/* AEAD key + 4-byte salt */
	DP_EXTRA_MAX = 8,
};

enum dp_dir { DP_IN = ESP_DIR_IN, DP_OUT = ESP_DIR_OUT };
enum dp_mode { DP_TUNNEL = ESP_MODE_TUNNEL, DP_TRANSPORT = ESP_MODE_TRANSPORT };
enum dp_action { DP_PROTECT = 1, DP_BYPASS = 2, DP_DISCARD = 3 };
enum dp_encap_reader { DP_ENCAP_ENGINE_READS = 0, DP_ENCAP_HOOK = 1 };

/* An SA is named by direction, SPI and outer destination. */
struct dp_sa_key {
	uint8_t dir;
	uint32_t spi;
	struct ip_addr dst;
};

struct dp_sa {
	struct dp_sa_key id;
	uint8_t mode;			/* enum dp_mode */
	uint16_t alg;			/* IKEv2 ENCR transform ID (lib/proposal.h) */
	uint16_t keybits;		/* 256 for AES-GCM, 0 for ChaCha20-Poly1305 */
	bool esn;
	struct ip_addr src;		/* outer source (id.dst is the destination) */
	uint16_t encap_sport, encap_dport;	/* both 0: plain ESP */
	uint8_t keymat[DP_KEY_MAX];	/* key then salt */
	unsigned keylen;
	uint32_t replay_window;
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;	/* 0: none */
	uint16_t tfc_pad;
	unsigned n_local_ts, n_remote_ts;	/* resolved: no "dynamic" here */
	struct ts local_ts[DP_TS_MAX], remote_ts[DP_TS_MAX];
};

struct dp_sa_stats {
	uint64_t bytes, packets;
	uint64_t drops[ESP_DROP__MAX];	/* names: esp_drop_name() */
};

/* Outbound policy; evaluated in the order added, first match wins. */
struct dp_policy {
	uint32_t id;
	uint8_t action;			/* enum dp_action */
	struct ts src, dst;		/* families must match; proto/ports inside */
	struct dp_sa_key sa;		/* PROTECT: the outbound SA; spi 0 = none yet (acquire) */
};

struct dp_route {
	uint8_t family;
	uint8_t net[16];
	unsigned plen;
	struct ip_addr src;		/* preferred source; family IPF_NONE for none */
	struct ip_addr peer;		/* the SA's outer destination: backends routing through
					 * the host's own stack (xfrm) leave the way it is reached */
};

enum dp_event_kind {
	DP_EV_ACQUIRE = 1,		/* a packet met a protect policy with no SA */
	DP_EV_SOFT_EXPIRE,
	DP_EV_HARD_EXPIRE,		/* the SA no longer passes traffic */
};

struct dp_event {
	enum dp_event_kind kind;
	struct dp_sa_key sa;		/* expire */
	uint32_t policy_id;		/* acquire */
	bool seq_exhausted;		/* hard expire because the sequence space ran out */
};

struct dp_hooks {
	void *arg;
	void (*event)(void *arg, const struct dp_event *ev);
	/* DP_ENCAP_HOOK backends: a non-ESP datagram that arrived on an
	 * attached socket fd, from -> to. */
	void (*ike_rx)(void *arg, int fd, const uint8_t *msg, size_t len,
		       const struct sockaddr_storage *from, const struct sockaddr_storage *to);
};

struct dp_options {
	const char *tun_name;		/* user: TUN device name ("secgw%d") */
	unsigned workers;		/* user: worker threads (0: one per CPU) */
	unsigned mtu;			/* user: TUN MTU */
	uint32_t fwmark, table;		/* user: routing mark and table (0: defaults) */
};

struct dp_stats {
	uint64_t drops[ESP_DROP__MAX];
	uint64_t packets_in, packets_out, keepalives, ike;
	unsigned n_extra;		/* backend-specific counters */
	struct {
		const char *name;
		uint64_t value;
	} extra[DP_EXTRA_MAX];
};

struct dp;

struct dp_ops {
	const char *name;
	int (*open)(struct dp *dp, const struct dp_options *o, char *err, size_t errlen);
	void (*close)(struct dp *dp);
	/* NULL when alg can be installed here, else why not. */
	const char *(*alg_unavailable)(struct dp *dp, uint16_t alg);
	int (*sa_add)(struct dp *dp, const struct dp_sa *sa, char *err, size_t errlen);
	int (*sa_del)(struct dp *dp, const struct dp_sa_key *key);
	int (*sa_stats)(struct dp *dp, const struct dp_sa_key *key, struct dp_sa_stats *out);
	int (*policy_add)(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen);
	int (*policy_del)(struct dp *dp, uint32_t id);
	/* Replace the policy with p->id in place (its SA, when a CHILD SA is
	 * rekeyed, or its selectors), keeping its position in the order. NULL:
	 * not supported (callers then add the new policy and delete the old). */
	int (*policy_update)(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen);
	int (*route_add)(struct dp *dp, const struct dp_route *r, char *err, size_t errlen);
	int (*route_del)(struct dp *dp, const struct dp_route *r);
	/* Returns enum dp_encap_reader, or -1 with err set. */
	int (*encap_attach)(struct dp *dp, int fd, char *err, size_t errlen);
	/* Make every change so far effective; NULL: each already is. 0 or
	 * -errno (the changes stay pending; the next commit tries again). */
	int (*commit)(struct dp *dp);
	/* Exempt fd's traffic from policies and routes; NULL: nothing to do. */
	int (*bypass_socket)(struct dp *dp, int fd, char *err, size_t errlen);
	void (*stats)(struct dp *dp, struct dp_stats *out);
};

struct dp {
	const struct dp_ops *ops;
	struct loop *loop;
	struct dp_hooks hooks;
	void *priv;
};

extern const struct dp_ops dp_user_ops;
extern const struct dp_ops dp_kmod_ops;
extern const struct dp_ops dp_xfrm_ops;

/* Open the backend called name ("user", "kmod" or "xfrm").
 * NULL with err set when unknown or when it fails to start. */
struct dp *dp_open(const char *name, struct loop *loop, const struct dp_hooks *hooks,
		   const struct dp_options *o, char *err, size_t errlen);
/* Removes everything the backend installed. NULL is fine. */
void dp_close(struct dp *dp);

static inline const char *dp_alg_unavailable(struct dp *dp, uint16_t alg)
{
	return dp->ops->alg_unavailable(dp, alg);
}
static inline int dp_sa_add(struct dp *dp, const struct dp_sa *sa, char *err, size_t errlen)
{
	return dp->ops->sa_add(dp, sa, err, errlen);
}
static inline int dp_sa_del(struct dp *dp, const struct dp_sa_key *key)
{
	return dp->ops->sa_del(dp, key);
}
static inline int dp_sa_stats(struct dp *dp, const struct dp_sa_key *key, struct dp_sa_stats *out)
{
	return dp->ops->sa_stats(dp, key, out);
}
static inline int dp_policy_add(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen)
{
	return dp->ops->policy_add(dp, p, err, errlen);
}
static inline int dp_policy_del(struct dp *dp, uint32_t id)
{
	return dp->ops->policy_del(dp, id);
}
static inline int dp_policy_update(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen)
{
	if (!dp->ops->policy_update) {
		snprintf(err, errlen, "the %s datapath cannot update a policy in place", dp->ops->name);
		return -1;
	}
	return dp->ops->policy_update(dp, p, err, errlen);
}
static inline int dp_route_add(struct dp *dp, const struct dp_route *r, char *err, size_t errlen)
{
	return dp->ops->route_add(dp, r, err, errlen);
}
static inline int dp_route_del(struct dp *dp, const struct dp_route *r)
{
	return dp->ops->route_del(dp, r);
}
static inline int dp_encap_attach(struct dp *dp, int fd, char *err, size_t errlen)
{
	return dp->ops->encap_attach(dp, fd, err, errlen);
}
static inline int dp_commit(struct dp *dp)
{
	return dp->ops->commit ? dp->ops->commit(dp) : 0;
}
static inline int dp_bypass_socket(struct dp *dp, int fd, char *err, size_t errlen)
{
	return dp->ops->bypass_socket ? dp->ops->bypass_socket(dp, fd, err, errlen) : 0;
}
static inline void dp_stats(struct dp *dp, struct dp_stats *out)
{
	dp->ops->stats(dp, out);
}

#endif
