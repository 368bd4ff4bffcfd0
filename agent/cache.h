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
/* Look up (revision, key); a hit comes with a reference for the caller. */
struct cached_body *cache_get(struct list_cache *c, int64_t revision, const char *key);
/* Keep body (takes its own reference). */
void cache_put(struct list_cache *c, int64_t revision, const char *key, struct cached_body *body);

#endif
