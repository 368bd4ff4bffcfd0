// SPDX-License-Identifier: MIT
#include "replay.h"

uint32_t esp_replay_words(uint32_t window)
{
	uint32_t need = (window + 31) / 32 + 1, w = 2;

	while (w < need)
		w <<= 1;
	return w;
}

void esp_replay_init(struct esp_replay *r, uint32_t *ring, uint32_t window, bool esn,
		     uint64_t top)
{
	r->top = top;
	r->window = window;
	r->esn = esn;
	r->ring = ring;
	r->words = ring ? esp_replay_words(window) : 0;
	if (ring)
		memset(ring, 0, r->words * sizeof(*ring));
}

uint64_t esp_replay_infer(const struct esp_replay *r, uint32_t seq_lo)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t w = r->window, sh;

	if (!r->esn)
		return seq_lo;
	if (tl >= w - 1) {
		/* The window lies inside one 2^32 subspace: a number below its
		 * left edge can only be from the next subspace. */
		sh = seq_lo >= tl - w + 1 ? th : th + 1;
	} else {
		/* The window straddles a subspace boundary: a large low half
		 * belongs to the previous subspace (if there is one). */
		sh = (seq_lo >= tl - w + 1 && th > 0) ? th - 1 : th;
	}
	return (uint64_t)sh << 32 | seq_lo;
}

static bool bit_is_set(const struct esp_replay *r, uint64_t seq)
{
	uint32_t bit = (uint32_t)seq & (r->words * 32 - 1);

	return (r->ring[bit >> 5] >> (bit & 31)) & 1;
}

bool esp_replay_check(const struct esp_replay *r, uint64_t seq)
{
	/* Sequence number 0 is never sent (RFC 4303 §3.3.3): a packet with it
	 * is forged or from a broken peer. Without ESN the 32-bit space ends. */
	if (seq == 0 || (!r->esn && seq > 0xffffffffu) || !r->words)
		return false;
	if (seq > r->top)
		return true;
	if (r->top - seq >= r->window)
		return false;
	return !bit_is_set(r, seq);
}

bool esp_replay_update(struct esp_replay *r, uint64_t seq)
{
	uint32_t bit;

	if (!esp_replay_check(r, seq))
		return false;
	if (seq > r->top) {
		uint64_t diff = (seq >> 5) - (r->top >> 5);

		if (diff >= r->words) {
			memset(r->ring, 0, r->words * sizeof(*r->ring));
		} else {
			uint32_t w = (uint32_t)(r->top >> 5);

			while (diff--) {
				w++;
				r->ring[w & (r->words - 1)] = 0;
			}
		}
		r->top = seq;
	}
	bit = (uint32_t)seq & (r->words * 32 - 1);
	r->ring[bit >> 5] |= (uint32_t)1 << (bit & 31);
	return true;
}
