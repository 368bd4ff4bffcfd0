// SPDX-License-Identifier: MIT
/*
 * The anti-replay window on its own (kmod/core/replay.c): in order,
 * reordered, duplicates, too old, every window size's edge, and the ESN
 * high-half inference across a 2^32 boundary in both directions.
 */
#include "esp_test.h"
#include "kmod/core/replay.h"

/* Rings sized exactly as an SA gets them; a canary word after each ring
 * catches a write past its end. */
enum { CANARY = 0x5ec6a1u };
static uint32_t ring[ESP_REPLAY_WORDS_MAX + 1];

static void init(struct esp_replay *r, uint32_t window, bool esn, uint64_t top)
{
	esp_replay_init(r, ring, window, esn, top);
	ring[esp_replay_words(window)] = CANARY;
}

static bool accept(struct esp_replay *r, uint64_t seq)
{
	return esp_replay_check(r, seq) && esp_replay_update(r, seq);
}

enum { RING_BITS_MAX = ESP_REPLAY_WORDS_MAX * 32 };

/* Each window's ring: a power of two of words, one more than it can touch. */
static void ring_sizes(void)
{
	ok(esp_replay_words(32) == 2 && esp_replay_words(64) == 4 && esp_replay_words(128) == 8 &&
	   esp_replay_words(4096) == ESP_REPLAY_WORDS_MAX && esp_replay_words(100) == 8,
	   "ring words: 2 for 32 packets, 8 for the default 128, %u for 4096",
	   (unsigned)ESP_REPLAY_WORDS_MAX);
}

static void in_order_and_duplicates(void)
{
	struct esp_replay r;
	bool all = true;

	init(&r, 128, false, 0);
	ok(!esp_replay_check(&r, 0), "sequence number 0 is refused");
	for (uint64_t s = 1; s <= 1000; s++)
		all = all && accept(&r, s);
	ok(all, "1..1000 in order are all accepted");
	ok(!accept(&r, 1000), "duplicate of the newest is refused");
	ok(!accept(&r, 900), "duplicate inside the window is refused");
	ok(!accept(&r, 873), "left of the window (1000-127 = 873 is the edge) ... 873 was seen");
	ok(!accept(&r, 872), "left of the window is refused");
	ok(!esp_replay_check(&r, 0x100000000ull), "without ESN, nothing beyond 2^32-1");
}

static void reordered(void)
{
	struct esp_replay r;

	init(&r, 64, false, 0);
	ok(accept(&r, 10), "10 first");
	ok(accept(&r, 5), "then 5 (late, inside the window)");
	ok(accept(&r, 7), "then 7");
	ok(!accept(&r, 5), "5 again is a replay");
	ok(accept(&r, 70), "70 slides the window");
	ok(accept(&r, 9), "9 is still inside (70-63 = 7 is the edge)");
	ok(!accept(&r, 6), "6 is now too old");
	ok(accept(&r, 8), "8 was never seen");
	ok(!accept(&r, 7), "7 is too old and was seen");
}

/* Every window size's exact edge, and a jump larger than the ring. */
static void edges(void)
{
	static const uint32_t sizes[] = { 32, 33, 64, 100, 128, 1000, 4095, 4096 };
	bool good = true;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct esp_replay r;
		uint32_t w = sizes[i];
		uint64_t top = 100000;

		init(&r, w, false, 0);
		good = good && accept(&r, top);
		good = good && accept(&r, top - w + 1);	/* the oldest still inside */
		good = good && !accept(&r, top - w);	/* the first outside */
		good = good && accept(&r, top + 5 * RING_BITS_MAX);	/* jump past the ring */
		good = good && accept(&r, top + 5 * RING_BITS_MAX - 1);
		good = good && !accept(&r, top);	/* long gone */
		good = good && ring[esp_replay_words(w)] == CANARY;
		if (!good)
			printf("# window %u failed\n", (unsigned)w);
	}
	ok(good, "window edges for sizes 32 to 4096, and jumps larger than the ring");
}

/* A window slides one ring word at a time: bits from a previous lap of the
 * ring must never be mistaken for a replay. */
static void ring_laps(void)
{
	struct esp_replay r;
	bool all = true;

	init(&r, 4096, false, 0);
	for (uint64_t s = 1; s <= 5 * RING_BITS_MAX; s += 3)
		all = all && accept(&r, s);
	for (uint64_t s = 5 * RING_BITS_MAX - 3000; s <= 5 * RING_BITS_MAX; s++)
		if ((s - 1) % 3 != 0)
			all = all && accept(&r, s);
	ok(all, "five laps of the ring, then filling the holes of the last 3000");
}

/* The same with the smallest rings, which lap every 64 to 256 packets. */
static void small_ring_laps(void)
{
	static const uint32_t sizes[] = { 32, 33, 64, 128 };
	bool all = true;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct esp_replay r;
		uint32_t w = sizes[i], bits = esp_replay_words(w) * 32;
		uint64_t end = 7 * (uint64_t)bits;

		init(&r, w, false, 0);
		for (uint64_t s = 1; s <= end; s += 3)
			all = all && accept(&r, s);
		for (uint64_t s = end - w + 1; s <= end; s++)
			if ((s - 1) % 3 != 0)
				all = all && accept(&r, s);
			else
				all = all && !accept(&r, s);
		all = all && !accept(&r, end - w) && ring[esp_replay_words(w)] == CANARY;
		if (!all)
			printf("# window %u failed\n", (unsigned)w);
	}
	ok(all, "windows of 32 to 128 packets: seven laps of their small rings, then the holes");
}

static void esn(void)
{
	struct esp_replay r;

	init(&r, 128, true, 0xfffffff0ull);
	is_int(esp_replay_infer(&r, 0xfffffff5u), 0xfffffff5ull, "ESN: low half ahead, same subspace");
	is_int(esp_replay_infer(&r, 0x00000003u), 0x100000003ull, "ESN: small low half means the next subspace");
	ok(accept(&r, 0x100000003ull), "ESN: 2^32+3 accepted across the boundary");
	/* The window now straddles the boundary (top low half 3 < 127). */
	is_int(esp_replay_infer(&r, 0xfffffff8u), 0xfffffff8ull, "ESN: a late packet from the old subspace");
	ok(accept(&r, 0xfffffff8ull), "ESN: late packet before the boundary accepted");
	ok(!accept(&r, 0xfffffff8ull), "ESN: and refused the second time");
	is_int(esp_replay_infer(&r, 0x00000002u), 0x100000002ull, "ESN: just after the boundary");
	ok(accept(&r, 0x100000002ull), "ESN: 2^32+2 accepted (reordered)");
	/* Left of the straddling window: RFC 4303 A2.2 reads it as far ahead in
	 * the current subspace; only the ICV can confirm that guess. */
	is_int(esp_replay_infer(&r, 0xffffff00u), 0x1ffffff00ull, "ESN: left of the window infers far ahead");
	ok(!esp_replay_check(&r, 0xffffff00ull), "ESN: the old-subspace reading is outside the window");

	init(&r, 32, true, 0);
	is_int(esp_replay_infer(&r, 0xfffffff0u), 0xfffffff0ull,
	       "ESN: with no previous subspace, a large low half stays in subspace 0");
}

int main(void)
{
	ring_sizes();
	in_order_and_duplicates();
	reordered();
	edges();
	ring_laps();
	small_ring_laps();
	esn();
	return tap_done();
}
