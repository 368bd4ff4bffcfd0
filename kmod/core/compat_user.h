/* SPDX-License-Identifier: MIT */
/*
 * Userspace host mapping of compat.h (see there for the contract): libc for
 * memory, GCC/Clang __atomic builtins for atomics and a spin lock, so that it
 * needs no pthread and also builds with a bare newlib cross toolchain
 * (Blackfin simulator).
 *
 * What the CPU can do atomically is asked of the compiler, not of an
 * architecture list (__GCC_ATOMIC_*_LOCK_FREE is 2 when always lock-free):
 *   - 32- and 64-bit read-modify-write (x86-64, arm64, armv7): used as is;
 *   - 32-bit only (32-bit targets without a double-word exchange; Blackfin
 *     under uClinux, whose compiler calls the kernel's fixed-code atomic
 *     sequences): each 64-bit counter carries its own spin lock, as compat.h
 *     allows (they are off the per-byte path);
 *   - none (bare-metal Blackfin, bfin-elf: the chip has no atomic
 *     read-modify-write and newlib there has no threads): such a host runs
 *     one thread, and the lock and the counters are plain memory.
 * Zeroed memory is a counter at 0 and an unlocked lock in every case.
 */
#ifndef ESP_COMPAT_USER_H
#define ESP_COMPAT_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define esp_likely(x)   __builtin_expect(!!(x), 1)
#define esp_unlikely(x) __builtin_expect(!!(x), 0)

typedef struct { uint32_t held; } esp_lock_t;

#if __GCC_ATOMIC_INT_LOCK_FREE == 2

typedef struct { uint32_t v; } esp_atomic32_t;

static inline void esp_lock_init(esp_lock_t *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

static inline void esp_lock(esp_lock_t *l)
{
	while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
			;
}

static inline void esp_unlock(esp_lock_t *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

static inline uint32_t esp_atomic32_fetch_or(esp_atomic32_t *a, uint32_t v)
{
	return __atomic_fetch_or(&a->v, v, __ATOMIC_RELAXED);
}

static inline uint32_t esp_atomic32_read(const esp_atomic32_t *a)
{
	return __atomic_load_n(&a->v, __ATOMIC_RELAXED);
}

#else /* no atomic instructions: one thread */

/* Plain memory is only safe where nothing can run beside us. A Linux target
 * (uClinux included) has threads and signals, so there a compiler without
 * lock-free int atomics is a configuration error, not a licence. */
#if defined(__linux__) || defined(__unix__) || defined(_REENTRANT)
#error "compat_user.h: no lock-free 32-bit atomics on a threaded target"
#endif

typedef struct { uint32_t v; } esp_atomic32_t;

static inline void esp_lock_init(esp_lock_t *l)
{
	l->held = 0;
}

static inline void esp_lock(esp_lock_t *l)
{
	l->held = 1;
}

static inline void esp_unlock(esp_lock_t *l)
{
	l->held = 0;
}

static inline uint32_t esp_atomic32_fetch_or(esp_atomic32_t *a, uint32_t v)
{
	uint32_t old = a->v;

	a->v = old | v;
	return old;
}

static inline uint32_t esp_atomic32_read(const esp_atomic32_t *a)
{
	return a->v;
}

#endif

#if __GCC_ATOMIC_LLONG_LOCK_FREE == 2 && __GCC_ATOMIC_INT_LOCK_FREE == 2

typedef struct { uint64_t v; } esp_atomic64_t;

static inline void esp_atomic64_set(esp_atomic64_t *a, uint64_t v)
{
	__atomic_store_n(&a->v, v, __ATOMIC_RELAXED);
}

static inline uint64_t esp_atomic64_read(const esp_atomic64_t *a)
{
	return __atomic_load_n(&a->v, __ATOMIC_RELAXED);
}

static inline uint64_t esp_atomic64_fetch_add(esp_atomic64_t *a, uint64_t v)
{
	return __atomic_fetch_add(&a->v, v, __ATOMIC_RELAXED);
}

#else /* a 64-bit value is two words: a lock keeps them together */

/* `l` is mutable even in a counter read through a const pointer: readers
 * take it too, or they could see the low word of one value and the high
 * word of another. */
typedef struct { uint64_t v; esp_lock_t l; } esp_atomic64_t;

static inline void esp_atomic64_set(esp_atomic64_t *a, uint64_t v)
{
	esp_lock(&a->l);
	a->v = v;
	esp_unlock(&a->l);
}

static inline uint64_t esp_atomic64_read(const esp_atomic64_t *a)
{
	esp_atomic64_t *m = (esp_atomic64_t *)(uintptr_t)a;
	uint64_t v;

	esp_lock(&m->l);
	v = m->v;
	esp_unlock(&m->l);
	return v;
}

static inline uint64_t esp_atomic64_fetch_add(esp_atomic64_t *a, uint64_t v)
{
	uint64_t old;

	esp_lock(&a->l);
	old = a->v;
	a->v = old + v;
	esp_unlock(&a->l);
	return old;
}

#endif

#endif
