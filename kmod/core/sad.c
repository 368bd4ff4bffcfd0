// SPDX-License-Identifier: MIT
#include "sad.h"

static uint32_t hash(uint32_t spi, uint32_t mask)
{
	/* SPIs are chosen by peers: mix them so that a peer picking SPIs in a
	 * pattern cannot line them up in one probe chain cheaply. */
	spi ^= spi >> 16;
	spi *= 0x7feb352du;
	spi ^= spi >> 15;
	spi *= 0x846ca68bu;
	spi ^= spi >> 16;
	return spi & mask;
}

static bool same_dst(const struct esp_sa *sa, const struct esp_addr *dst)
{
	return sa->p.dst.family == dst->family &&
	       memcmp(sa->p.dst.b, dst->b, esp_addr_len(dst->family)) == 0;
}

void esp_sad_init(struct esp_sad *s, struct esp_sa **slots, uint32_t cap)
{
	s->cap = cap;
	s->n = 0;
	s->slot = slots;
	memset(slots, 0, sizeof(*slots) * cap);
}

int esp_sad_insert(struct esp_sad *s, struct esp_sa *sa)
{
	uint32_t mask = s->cap - 1, i;

	if (sa->p.dir != ESP_DIR_IN)
		return ESP_SAD_BAD;
	if (s->cap == 0 || (s->n + 1) * 2 > s->cap)
		return ESP_SAD_FULL;
	for (i = hash(sa->p.spi, mask); s->slot[i]; i = (i + 1) & mask)
		if (s->slot[i]->p.spi == sa->p.spi && same_dst(s->slot[i], &sa->p.dst))
			return ESP_SAD_EXISTS;
	s->slot[i] = sa;
	s->n++;
	return ESP_SAD_OK;
}

struct esp_sa *esp_sad_lookup(const struct esp_sad *s, uint32_t spi, const struct esp_addr *dst)
{
	uint32_t mask = s->cap - 1, i;
	struct esp_sa *first = NULL;

	if (s->cap == 0)
		return NULL;
	for (i = hash(spi, mask); s->slot[i]; i = (i + 1) & mask) {
		struct esp_sa *sa = s->slot[i];

		if (sa->p.spi != spi)
			continue;
		if (!dst || same_dst(sa, dst))
			return sa;
		if (!first)
			first = sa;
	}
	/* A NAT may rewrite the destination we see: fall back to the SPI. */
	return first;
}
