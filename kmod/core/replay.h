/* SPDX-License-Identifier: MIT */
/*
 * The anti-replay window (RFC 4303 §3.4.3 and Appendix A) with Extended
 * Sequence Numbers. A ring of bits indexed by the low bits of the sequence
 * number, cleared a 32-bit word at a time as the window slides (the method of
 * RFC 6479), so sliding costs nothing per packet and nothing is shifted.
 *
 * Not locked here: the SA holds the lock (esp.c).
 */
#ifndef ESP_REPLAY_H
#define ESP_REPLAY_H

#include "compat.h"

enum {
	ESP_REPLAY_MIN = 32,
	ESP_REPLAY_MAX = 4096,
	ESP_REPLAY_DEFAULT = 128,
	/* The ring of the largest window (see esp_replay_words). */
	ESP_REPLAY_WORDS_MAX = 256,
};

struct esp_replay {
	uint64_t top;		/* highest sequence number accepted (full 64 bits) */
	uint32_t window;
	uint32_t words;		/* ring length in 32-bit words, a power of two */
	bool esn;
	uint32_t *ring;		/* the host's storage, esp_replay_words(window) long */
};

/*
 * Words of ring a window needs: a power of two at least one word more than
 * the window can touch, so a word being cleared as the window slides never
 * holds a bit still inside it (8 words for the default 128 packets).
 */
uint32_t esp_replay_words(uint32_t window);

/* window must be ESP_REPLAY_MIN..ESP_REPLAY_MAX (checked by esp_sa_init);
 * ring has esp_replay_words(window) words. */
void esp_replay_init(struct esp_replay *r, uint32_t *ring, uint32_t window, bool esn,
		     uint64_t top);

/*
 * The full sequence number of a packet carrying the low 32 bits `seq_lo`
 * (RFC 4303 Appendix A2.2: the high half is guessed from the window's
 * position; the ICV then confirms it). Without ESN it is seq_lo.
 */
uint64_t esp_replay_infer(const struct esp_replay *r, uint32_t seq_lo);

/* Would seq be accepted? (not zero, not left of the window, not seen;
 * never on a replay state without a ring, as an outbound SA's) */
bool esp_replay_check(const struct esp_replay *r, uint64_t seq);

/* Record seq as seen (after its ICV verified); false when it no longer
 * passes the check (a concurrent duplicate won the race). */
bool esp_replay_update(struct esp_replay *r, uint64_t seq);

#endif
