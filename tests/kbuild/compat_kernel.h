/* SPDX-License-Identifier: MIT */
/*
 * A reference kernel mapping of kmod/core/compat.h, used by the Kbuild
 * compile check (tests/kbuild/suite) to prove the core builds under Kbuild
 * with the kernel's own headers. The module (kmod/linux/) ships its own
 * compat_kernel.h with the same contract; this one may serve as its start.
 */
#ifndef ESP_COMPAT_KERNEL_H
#define ESP_COMPAT_KERNEL_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>

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

/* Taken in softirq (receive) and process context (send): disable BHs. */
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

#endif
