// SPDX-License-Identifier: MIT
/*
 * Self-test of the Blackfin harness: that what our tests and benchmarks
 * take for granted about bfin-elf-run holds. ILP32 little-endian, byte
 * readers safe at any address, a working heap, host file I/O and argv (used
 * to find our own ELF file), and a CYCLES counter that runs only when CCEN is
 * set — the benchmarks divide by it.
 *
 *	test_harness            TAP self-test
 *	test_harness exit N     exit with status N at once (the suite checks that
 *	                        argv and exit status pass through the simulator)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfin/cycles.h"
#include "tests/unit/tap.h"

enum {
	SPIN = 1000,		/* loop iterations timed with CYCLES */
	SPIN_MAX_CYCLES = 100,	/* generous per-iteration ceiling */
	HEAP_TRY = 64 * 1024,	/* a worker's worth of buffers */
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof v);	/* a byte copy: no alignment assumed */
	return v;
}

static uint64_t spin(void)
{
	volatile uint32_t sink = 0;
	uint64_t c0 = bfin_cycles();

	for (uint32_t i = 0; i < SPIN; i++)
		sink += i;
	return bfin_cycles() - c0;
}

int main(int argc, char **argv)
{
	static const uint8_t frame[8] = { 0x00, 0xc0, 0xa8, 0x01, 0x02, 0x34, 0x12, 0xff };
	uint32_t word = 0x01020304;
	uint64_t ran, frozen;
	FILE *self;
	uint8_t magic[4] = { 0 };
	uint8_t *heap;
	volatile uint64_t big = 1ULL << 40;

	if (argc == 3 && strcmp(argv[1], "exit") == 0)
		return atoi(argv[2]);

	ok(sizeof(void *) == 4 && sizeof(long) == 4 && sizeof(long long) == 8,
	   "ILP32: pointer %zu, long %zu, long long %zu bytes",
	   sizeof(void *), sizeof(long), sizeof(long long));
	ok(*(const uint8_t *)&word == 0x04, "little-endian");

	is_int(get_be32(frame + 1), 0xc0a80102, "big-endian read at an odd address");
	is_int(get_le16(frame + 5), 0x1234, "little-endian read at an odd address");

	heap = malloc(HEAP_TRY);
	ok(heap != NULL, "malloc(%d)", HEAP_TRY);
	if (heap) {
		memset(heap, 0xa5, HEAP_TRY);
		ok(heap[HEAP_TRY - 1] == 0xa5, "heap memory is writable");
		free(heap);
	} else {
		tap_skip("no heap to write");
	}

	self = fopen(argv[0], "rb");
	ok(self && fread(magic, 1, sizeof magic, self) == sizeof magic &&
	   memcmp(magic, "\177ELF", 4) == 0, "host file I/O: %s is an ELF file", argv[0]);
	if (self)
		fclose(self);

	/* volatile: computed on the target by libgcc, not folded by the compiler */
	is_int(big % 1000003u, 329252, "64-bit modulo (libgcc) gives 2^40 mod 1000003");

	bfin_cycles_enable(1);
	ran = spin();
	ok(ran >= SPIN && ran <= (uint64_t)SPIN * SPIN_MAX_CYCLES,
	   "CYCLES runs with CCEN set: %llu cycles for %d iterations",
	   (unsigned long long)ran, SPIN);
	bfin_cycles_enable(0);
	frozen = spin();
	is_int(frozen, 0, "CYCLES stands still with CCEN clear");
	return tap_done();
}
