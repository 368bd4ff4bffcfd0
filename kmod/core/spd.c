// SPDX-License-Identifier: MIT
#include "spd.h"

void esp_spd_init(struct esp_spd *s, struct esp_policy *storage, uint32_t cap)
{
	s->cap = cap;
	s->n = 0;
	s->v = storage;
}

int esp_spd_add(struct esp_spd *s, const struct esp_policy *p)
{
	if (s->n >= s->cap)
		return -1;
	s->v[s->n++] = *p;
	return 0;
}

const struct esp_policy *esp_spd_lookup(const struct esp_spd *s, const struct esp_tuple *t)
{
	uint32_t i;

	for (i = 0; i < s->n; i++) {
		const struct esp_policy *p = &s->v[i];

		if (esp_sel_match(&p->src, t->family, t->src, t->proto, t->ports_known, t->sport) &&
		    esp_sel_match(&p->dst, t->family, t->dst, t->proto, t->ports_known, t->dport))
			return p;
	}
	return NULL;
}
