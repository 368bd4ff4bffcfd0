/* SPDX-License-Identifier: MIT */
/*
 * The module's per-namespace state: SAs, the SAD and SPD of kmod/core, the
 * counters, ipsec0 and the crypto worker.
 *
 * Readers (the packet paths, in softirq) see an immutable `secgw_tables`
 * under RCU; a change (generic netlink, serialised by secgw_net.lock)
 * builds a new table, publishes it, waits out the readers and only then
 * frees what the old one alone held. The crypto worker runs under the same
 * lock, so a table cannot change under a packet that sleeps in the crypto.
 */
#ifndef SECGW_STATE_H
#define SECGW_STATE_H

#include <linux/crypto.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "core/esp.h"
#include "core/sad.h"
#include "core/spd.h"
#include "secgw_esp.h"

enum secgw_limits {
	SECGW_SA_MAX = 4096,		/* SAs per namespace */
	SECGW_POLICY_MAX = 1024,	/* policies per namespace */
	SECGW_SAD_MIN = 16,		/* slots of the smallest SAD */
	SECGW_QUEUE_MAX = 1024,		/* packets waiting for the crypto worker */
	SECGW_ACQUIRE_GAP_MS = 1000,	/* one acquire per policy per second */
	SECGW_ENCAP_MAX = 16,		/* encapsulation sockets per namespace */
	SECGW_MTU = 1400,		/* 1500 less the largest ESP-in-UDP/IPv6 overhead, rounded */
};

struct esp_aead;

struct secgw_sa {
	struct esp_sa core;		/* first: kmod/core's SA */
	struct esp_aead *aead;
	char alg[CRYPTO_MAX_ALG_NAME];
	u8 key_len;			/* key without salt, for replies */
};

struct secgw_tables {
	struct rcu_head rcu;
	u32 n_sa;
	struct secgw_sa **sa;		/* every SA, both directions */
	struct esp_sad sad;		/* inbound */
	struct esp_spd spd;		/* outbound policies, in order */
	unsigned long *acquired;	/* per policy: jiffies of the last acquire */
	bool any_async;			/* an inbound SA needs the crypto worker */
};

/* Per-CPU: kmod/core's counters and ours (enum secgw_esp_ctr). Atomics, so
 * a worker that migrates between CPUs still counts right. */
struct secgw_pcpu {
	struct esp_stats core;
	atomic64_t ctr[SECGW_ESP_CTR_MAX + 1];
};

struct secgw_encap {
	struct list_head node;
	struct sock *sk;
	struct net *net;
};

struct secgw_net {
	struct net *net;
	struct mutex lock;		/* every change; the crypto worker */
	struct secgw_tables __rcu *tab;
	struct secgw_pcpu __percpu *pcpu;
	struct net_device *dev;		/* ipsec0 */
	u32 out_mark;
	struct list_head encaps;	/* under secgw_encap_lock (rx.c) */
	unsigned n_encaps;
	struct sk_buff_head queue;	/* for the crypto worker */
	struct work_struct work;
	bool dying;
};

/* The module-wide object counts behind SECGW_ESP_CTR_OBJ_*. */
extern atomic_t secgw_obj_sas, secgw_obj_tables, secgw_obj_sockets, secgw_obj_queued;
extern struct workqueue_struct *secgw_wq;	/* ordered: one crypto worker at a time */

struct secgw_net *secgw_net(const struct net *net);
int secgw_state_init(void);
void secgw_state_exit(void);

static inline void secgw_ctr(struct secgw_net *sn, enum secgw_esp_ctr c)
{
	atomic64_inc(&raw_cpu_ptr(sn->pcpu)->ctr[c]);
}

static inline struct esp_stats *secgw_core_stats(struct secgw_net *sn)
{
	return &raw_cpu_ptr(sn->pcpu)->core;
}

/* Tables: an empty one, a copy with room for changes, publication. */
struct secgw_tables *secgw_tables_build(struct secgw_sa **sas, u32 n_sa,
					const struct esp_policy *pol, u32 n_pol);
void secgw_tables_publish(struct secgw_net *sn, struct secgw_tables *t);
void secgw_tables_free(struct secgw_tables *t);
static inline struct secgw_tables *secgw_tables_locked(struct secgw_net *sn)
{
	return rcu_dereference_protected(sn->tab, lockdep_is_held(&sn->lock));
}

void secgw_sa_free(struct secgw_sa *sa);

/* Events to the multicast group (genl.c); any context. */
void secgw_event_expire(struct secgw_net *sn, const struct secgw_sa *sa, u32 events);
void secgw_event_acquire(struct secgw_net *sn, u32 policy_id);
/* Raise what kmod/core returned for one packet. */
static inline void secgw_events(struct secgw_net *sn, const struct secgw_sa *sa, u32 ev)
{
	if (unlikely(ev))
		secgw_event_expire(sn, sa, ev);
}

/* The packet paths (netdev.c, rx.c). */
int secgw_netdev_create(struct secgw_net *sn);
void secgw_netdev_destroy(struct secgw_net *sn);
/* Defer a packet to the crypto worker; kind in its control block. */
enum secgw_job { SECGW_JOB_TX = 1, SECGW_JOB_RX, SECGW_JOB_RX_UDP };
void secgw_defer(struct secgw_net *sn, struct sk_buff *skb, enum secgw_job job, u16 port);
void secgw_worker(struct work_struct *w);
netdev_tx_t secgw_xmit_one(struct secgw_net *sn, struct sk_buff *skb);
void secgw_rx_one(struct secgw_net *sn, struct sk_buff *skb, u16 udp_port);

int secgw_rx_init(void);
void secgw_rx_exit(void);
int secgw_encap_attach(struct secgw_net *sn, int fd);
void secgw_encap_detach_all(struct secgw_net *sn);

/* The AEAD glue (aead.c): kmod/core's esp_aead_seal/open on the crypto API. */
struct esp_aead *secgw_aead_new(const char *alg, const u8 *key, unsigned key_len,
				  unsigned icv_len, const char **why);
void secgw_aead_free(struct esp_aead *a);
bool secgw_aead_async(const struct esp_aead *a);
bool secgw_in_worker(void);

#endif
