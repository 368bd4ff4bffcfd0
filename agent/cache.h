/* SPDX-License-Identifier: MIT */
/*
 * A small cache of serialised list answers, keyed by the revision they were
 * built at and the query that asked for them. Lists are the hot read (the
 * dashboard polls, scripts poll); their content changes only with the
 * revision, so one build serves every identical request until the next
 * mutation. Bodies are reference counted and handed to libmicrohttpd without
 * a copy.
 */
#ifndef SECGW_AGENT_CACHE_H
#define SECGW_AGENT_CACHE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum {
	LIST_CACHE_ENTRIES = 8,
	LIST_CACHE_KEY_MAX = 256,
	LIST_CACHE_BODY_MAX = 256 << 10,	/* larger answers are built each time: at most 2 MiB cached */
};

struct cached_body {
	_Atomic int refs;
	size_t len;
	char data[];
};

struct list_cache {
	pthread_mutex_t lock;
	struct {
		int64_t revision;
		char key[LIST_CACHE_KEY_MAX];
		struct cached_body *body;
	} e[LIST_CACHE_ENTRIES];
	unsigned next;
};

void cache_init(struct list_cache *c);
void cache_destroy(struct list_cache *c);
/* A body with one reference (the caller's), or NULL. */
struct cached_body *cached_body_new(const char *data, size_t len);
void cached_body_unref(void *body);
/*
 * A body built piece by piece (jansson's dump callback, CSV rows) straight
 * into a cached_body, so it can be cached or handed to libmicrohttpd as is.
 */
struct body_writer {
	struct cached_body *b;
	size_t cap;	/* data bytes; one more is always there for the NUL */
};

/* 0, or -1 out of memory (w->b is then NULL). */
int body_writer_init(struct body_writer *w);
/* jansson's json_dump_callback_t: 0 or -1. */
int body_write(const char *p, size_t n, void *ctx);
/* Encode v (stolen; NULL is an error) compactly. */
int body_write_json(struct body_writer *w, json_t *v);

/* Look up (revision, key); a hit comes with a reference for the caller. */
struct cached_body *cache_get(struct list_cache *c, int64_t revision, const char *key);
/* Keep body (takes its own reference). */
void cache_put(struct list_cache *c, int64_t revision, const char *key, struct cached_body *body);

#endif
