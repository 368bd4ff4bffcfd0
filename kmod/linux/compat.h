/* SPDX-License-Identifier: MIT */
/*
 * Every difference between the kernel versions secgw_esp.ko supports lives
 * here, so the rest of the module and kmod/core are written against one API
 * without #if. Two halves:
 *
 *  1. kmod/core's host mapping (the contract of kmod/core/compat.h): types,
 *     atomics, the replay lock, branch hints. kmod/core/compat.h includes
 *     "compat_kernel.h", which is only a pointer to this file.
 *  2. The kernel API differences the module meets (generic netlink policies,
 *     netif_rx from process context, per-CPU device statistics).
 *
 * Intended range: Linux 4.14 to 6.x. 4.14 is the last long-term kernel that
 * still had arch/blackfin (removed in 4.17), the oldest a Blackfin router can
 * run; 6.x is what Debian and the VM harness boot. Built and tested: 6.1 only
 * (Debian 12); the branches below for older kernels follow the upstream
 * history and are compile-untested until a 4.x/5.x build is set up.
 */
#ifndef SECGW_COMPAT_H
#define SECGW_COMPAT_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(4, 14, 0)
#error "secgw_esp.ko needs Linux 4.14 or later (see kmod/linux/README.md)"
#endif

/* ---- 1. kmod/core's host mapping ---- */

typedef atomic64_t esp_atomic64_t;
typedef atomic_t esp_atomic32_t;
typedef spinlock_t esp_lock_t;

static inline void esp_atomic64_set(esp_atomic64_t *a, uint64_t v)
{
	atomic64_set(a, (s64)v);
}

static inline uint64_t esp_atomic64_read(const esp_atomic64_t *a)
{
	return (uint64_t)atomic64_read(a);
}

static inline uint64_t esp_atomic64_fetch_add(esp_atomic64_t *a, uint64_t v)
{
	return (uint64_t)atomic64_fetch_add((s64)v, a);
}

static inline uint32_t esp_atomic32_fetch_or(esp_atomic32_t *a, uint32_t v)
{
	return (uint32_t)atomic_fetch_or((int)v, a);
}

static inline uint32_t esp_atomic32_read(const esp_atomic32_t *a)
{
	return (uint32_t)atomic_read(a);
}

static inline void esp_lock_init(esp_lock_t *l)
{
	spin_lock_init(l);
}

/* Taken in softirq (receive, transmit) and process context (the crypto
 * worker): bottom halves off. */
static inline void esp_lock(esp_lock_t *l)
{
	spin_lock_bh(l);
}

static inline void esp_unlock(esp_lock_t *l)
{
	spin_unlock_bh(l);
}

#define esp_likely(x)   likely(x)
#define esp_unlikely(x) unlikely(x)

/* ---- 2. kernel API differences ---- */

/*
 * Attribute policies sat on each generic netlink operation until 5.1; 5.2
 * moved them to the family and made validation strict for new families
 * (unknown attribute types and wrong lengths refused). One family-wide table
 * serves both: put these two macros in the op and family initialisers.
 * Before 5.2 unknown attributes are ignored rather than refused, and nested
 * policies are not followed: the handlers parse nests with their own policy
 * and check every length again, so nothing depends on the core's check.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 2, 0)
#define COMPAT_GENL_OP_POLICY(p)	.policy = (p),
#define COMPAT_GENL_FAMILY_POLICY(p)
#define COMPAT_NLA_EXACT_LEN(n)		{ .type = NLA_BINARY, .len = (n) }
#define COMPAT_NLA_NESTED(p)		{ .type = NLA_NESTED }
#define compat_nla_parse_nested(tb, max, nla, pol) \
	nla_parse_nested(tb, max, nla, pol, NULL)
#else
#define COMPAT_GENL_OP_POLICY(p)
#define COMPAT_GENL_FAMILY_POLICY(p)	.policy = (p),
#define COMPAT_NLA_EXACT_LEN(n)		NLA_POLICY_EXACT_LEN(n)
#define COMPAT_NLA_NESTED(p)		NLA_POLICY_NESTED(p)
#define compat_nla_parse_nested(tb, max, nla, pol) \
	nla_parse_nested(tb, max, nla, pol, NULL)
#endif

/* 5.18 made netif_rx safe from any context; before, process context
 * (the crypto worker) needed netif_rx_ni. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 18, 0)
#define compat_netif_rx_any(skb)	(in_interrupt() ? netif_rx(skb) : netif_rx_ni(skb))
#else
#define compat_netif_rx_any(skb)	netif_rx(skb)
#endif

/* Per-CPU device statistics: dev->tstats and dev_get_tstats64 are 5.10+;
 * older kernels get the same sums from our own loop. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
void compat_get_tstats64(struct net_device *dev, struct rtnl_link_stats64 *s);
#define COMPAT_GET_TSTATS64 compat_get_tstats64
#else
#define COMPAT_GET_TSTATS64 dev_get_tstats64
#endif

/* Cleared skb fields between namespaces (4.14-6.x all have nf_reset_ct
 * since 5.4; nf_reset before). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 4, 0)
#define compat_nf_reset(skb)	nf_reset(skb)
#else
#define compat_nf_reset(skb)	nf_reset_ct(skb)
#endif

#endif
