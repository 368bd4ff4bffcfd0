// SPDX-License-Identifier: MIT
/*
 * A deliberately wrong program, NOT part of any pass list: it reads a 16- or
 * 32-bit word through a pointer cast at an odd address, which is what parsing
 * a packet by casting would do. Blackfin raises "Unaligned data access"
 * (EXCAUSE 0x24) and bfin-elf-run stops the program with exit status 4.
 * tests/bfin/suite asserts exactly that, proving the simulator catches the
 * mistake the ESP core must never make; it also asserts that -Wcast-align
 * refuses to compile this file.
 *
 *	bad_misalign 16|32
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t frame[16] __attribute__((aligned(4))) = {
	0x45, 0x00, 0x00, 0x54, 0x01, 0x02, 0x03, 0x04,
	0x00, 0x00, 0x00, 0x05, 0x10, 0x11, 0x12, 0x13,
};

static volatile size_t odd_offset = 1;

int main(int argc, char **argv)
{
	/* The offset is read at run time: a gcc that could prove the address
	 * odd would split the access into byte loads (Blackfin is a
	 * strict-alignment target), and there would be nothing to catch. */
	size_t odd = odd_offset;
	uint32_t safe, got;

	if (argc != 2 || (strcmp(argv[1], "16") != 0 && strcmp(argv[1], "32") != 0)) {
		fprintf(stderr, "usage: bad_misalign 16|32\n");
		return 2;
	}
	memcpy(&safe, frame + odd, sizeof safe);	/* the right way: no fault */
	printf("memcpy read 0x%08lx at offset %zu\n", (unsigned long)safe, odd);
	fflush(stdout);
	if (argv[1][0] == '1')
		got = *(volatile uint16_t *)(frame + odd);
	else
		got = *(volatile uint32_t *)(frame + odd);
	printf("cast read 0x%08lx: no fault, which Blackfin would not allow\n", (unsigned long)got);
	return 0;
}
