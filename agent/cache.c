// SPDX-License-Identifier: MIT
#include "agent/cache.h"

#include <stdlib.h>
#include <string.h>

void cache_init(struct list_cache *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

void cache_destroy(struct list_cache *c)
{
	for (unsigned i = 0; i < LIST_CACHE_ENTRIES; i++)
		if (c->e[i].body)
			cached_body_unref(c->e[i].body);
	pthread_mutex_destroy(&c->lock);
}

struct cached_body *cached_body_new(const char *data, size_t len)
{
	struct cached_body *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return NULL;
	atomic_init(&b->refs, 1);
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

void cached_body_unref(void *p)
{
	struct cached_body *b = p;

	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

struct cached_body *cache_get(struct list_cache *c, int64_t revision, const char *key)
{
	struct cached_body *b = NULL;

	if (strlen(key) >= LIST_CACHE_KEY_MAX)
		return NULL;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < LIST_CACHE_ENTRIES; i++)
		if (c->e[i].body && c->e[i].revision == revision && strcmp(c->e[i].key, key) == 0) {
			b = c->e[i].body;
			atomic_fetch_add(&b->refs, 1);
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return b;
}

void cache_put(struct list_cache *c, int64_t revision, const char *key, struct cached_body *body)
{
	unsigned slot;

	if (strlen(key) >= LIST_CACHE_KEY_MAX || body->len > LIST_CACHE_BODY_MAX)
		return;
	pthread_mutex_lock(&c->lock);
	/* Prefer a slot of an older revision: it can never be hit again. */
	slot = c->next;
	for (unsigned i = 0; i < LIST_CACHE_ENTRIES; i++)
		if (!c->e[i].body || c->e[i].revision < revision) {
			slot = i;
			break;
		}
	if (slot == c->next)
		c->next = (c->next + 1) % LIST_CACHE_ENTRIES;
	if (c->e[slot].body)
		cached_body_unref(c->e[slot].body);
	atomic_fetch_add(&body->refs, 1);
	c->e[slot].body = body;
	c->e[slot].revision = revision;
	memcpy(c->e[slot].key, key, strlen(key) + 1);
	pthread_mutex_unlock(&c->lock);
}

int body_writer_init(struct body_writer *w)
{
	w->b = cached_body_new("", 0);
	w->cap = 0;
	return w->b ? 0 : -1;
}

int body_write(const char *p, size_t n, void *ctx)
{
	struct body_writer *w = ctx;

	if (!w->b)
		return -1;
	if (w->b->len + n > w->cap) {
		size_t cap = w->cap * 2 + n + 4096;
		struct cached_body *nb = realloc(w->b, sizeof(*nb) + cap + 1);

		if (!nb)
			return -1;
		w->b = nb;
		w->cap = cap;
	}
	memcpy(w->b->data + w->b->len, p, n);
	w->b->len += n;
	w->b->data[w->b->len] = '\0';
	return 0;
}

int body_write_json(struct body_writer *w, json_t *v)
{
	int rc = v ? json_dump_callback(v, body_write, w, JSON_COMPACT | JSON_ENCODE_ANY) : -1;

	json_decref(v);
	return rc;
}
