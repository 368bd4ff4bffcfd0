/* SPDX-License-Identifier: MIT */
/*
 * The one place where kmod/core meets its host. Core files include this
 * header and nothing else from outside kmod/core: no libc header, no kernel
 * header, no #ifdef for a host inside a core file.
 *
 * A host mapping (compat_user.h for userspace, compat_kernel.h for the Linux
 * module, written beside kmod/linux/) must provide exactly this:
 *
 * Types (with their C99 meaning):
 *   uint8_t uint16_t uint32_t uint64_t int32_t int64_t size_t bool true false NULL
 *
 * Memory (standard semantics; the core never allocates):
 *   memcpy memmove memset memcmp
 *
 * 64-bit atomics on `esp_atomic64_t` (relaxed ordering is enough: they carry
 * counters and the outbound sequence number, never publish other memory):
 *   void     esp_atomic64_set(esp_atomic64_t *a, uint64_t v)
 *   uint64_t esp_atomic64_read(const esp_atomic64_t *a)
 *   uint64_t esp_atomic64_fetch_add(esp_atomic64_t *a, uint64_t v)  returns the old value
 *   uint32_t esp_atomic32_fetch_or(esp_atomic32_t *a, uint32_t v)   returns the old value
 *   uint32_t esp_atomic32_read(const esp_atomic32_t *a)
 *   (kernel: atomic64_t / atomic_t; a host without 64-bit atomics may use a
 *    lock, they are off the per-byte path.)
 *
 * A short, non-sleeping lock `esp_lock_t` guarding one SA's replay window,
 * taken on the packet path (kernel: spinlock_t with spin_lock_bh, as it is
 * taken in softirq and process context):
 *   void esp_lock_init(esp_lock_t *l)
 *   void esp_lock(esp_lock_t *l)
 *   void esp_unlock(esp_lock_t *l)
 *
 * Branch hints: esp_likely(x) esp_unlikely(x)
 *
 * The core also needs the AEAD functions of aead.h, implemented by the host.
 *
 * Everything else is pure C on the core's own byte readers (bytes.h), so the
 * core has no endianness or alignment assumption: Blackfin faults on a
 * misaligned 16- or 32-bit load, and packets are never aligned.
 */
#ifndef ESP_COMPAT_H
#define ESP_COMPAT_H

#ifdef __KERNEL__
#include "compat_kernel.h"
#else
#include "compat_user.h"
#endif

#endif
