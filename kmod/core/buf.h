/* SPDX-License-Identifier: MIT */
/*
 * The packet buffer the core works on: a window [off, off+len) inside
 * storage of `cap` bytes, so headers are pushed into headroom and trailers
 * put into tailroom without copying. The host converts at its edge (an
 * sk_buff in the kernel, a preallocated slot in userspace). Every function
 * refuses, rather than overruns, when the room is not there.
 */
#ifndef ESP_BUF_H
#define ESP_BUF_H

#include "compat.h"

struct esp_buf {
	uint8_t *base;
	uint32_t cap;
	uint32_t off;
	uint32_t len;
};

static inline void esp_buf_init(struct esp_buf *b, uint8_t *base, uint32_t cap,
				uint32_t headroom)
{
	b->base = base;
	b->cap = cap;
	b->off = headroom <= cap ? headroom : cap;
	b->len = 0;
}

static inline uint8_t *esp_buf_data(const struct esp_buf *b)
{
	return b->base + b->off;
}

static inline uint32_t esp_buf_headroom(const struct esp_buf *b)
{
	return b->off;
}

static inline uint32_t esp_buf_tailroom(const struct esp_buf *b)
{
	return b->cap - b->off - b->len;
}

/* Grow at the front by n; the new first byte, or NULL without headroom. */
static inline uint8_t *esp_buf_push(struct esp_buf *b, uint32_t n)
{
	if (b->off < n)
		return NULL;
	b->off -= n;
	b->len += n;
	return b->base + b->off;
}

/* Drop n bytes at the front; the new first byte, or NULL when shorter. */
static inline uint8_t *esp_buf_pull(struct esp_buf *b, uint32_t n)
{
	if (b->len < n)
		return NULL;
	b->off += n;
	b->len -= n;
	return b->base + b->off;
}

/* Grow at the end by n; the first new byte, or NULL without tailroom. */
static inline uint8_t *esp_buf_put(struct esp_buf *b, uint32_t n)
{
	uint8_t *p;

	if (esp_buf_tailroom(b) < n)
		return NULL;
	p = b->base + b->off + b->len;
	b->len += n;
	return p;
}

/* Shorten to n bytes (never lengthens). */
static inline void esp_buf_trim(struct esp_buf *b, uint32_t n)
{
	if (n < b->len)
		b->len = n;
}

#endif
