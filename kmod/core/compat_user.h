/* SPDX-License-Identifier: MIT */
/*
 * Userspace host mapping of compat.h (see there for the contract): libc for
 * memory, GCC/Clang __atomic builtins for atomics and a test-and-set spin
 * lock, so that it needs no pthread and also builds with a bare newlib
 * cross toolchain (Blackfin simulator).
 */
#ifndef ESP_COMPAT_USER_H
#define ESP_COMPAT_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct { uint64_t v; } esp_atomic64_t;
typedef struct { uint32_t v; } esp_atomic32_t;
typedef struct { unsigned char held; } esp_lock_t;

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

static inline uint32_t esp_atomic32_fetch_or(esp_atomic32_t *a, uint32_t v)
{
	return __atomic_fetch_or(&a->v, v, __ATOMIC_RELAXED);
}

static inline uint32_t esp_atomic32_read(const esp_atomic32_t *a)
{
	return __atomic_load_n(&a->v, __ATOMIC_RELAXED);
}

static inline void esp_lock_init(esp_lock_t *l)
{
	__atomic_clear(&l->held, __ATOMIC_RELEASE);
}

static inline void esp_lock(esp_lock_t *l)
{
	while (__atomic_test_and_set(&l->held, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
			;
}

static inline void esp_unlock(esp_lock_t *l)
{
	__atomic_clear(&l->held, __ATOMIC_RELEASE);
}

#define esp_likely(x)   __builtin_expect(!!(x), 1)
#define esp_unlikely(x) __builtin_expect(!!(x), 0)

#endif
