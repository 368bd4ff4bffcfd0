// SPDX-License-Identifier: MIT
/*
 * The Blackfin core cycle counter, for benchmarks and the harness self-test.
 *
 * CYCLES and CYCLES2 form one 64-bit counter that only runs while bit CCEN of
 * SYSCFG is set; reset leaves it clear, on silicon as in bfin-elf-run. The
 * simulator counts about one cycle per instruction and models no memory
 * stalls, so its figures are a lower bound for a real chip running from
 * external SDRAM. Writing SYSCFG needs supervisor mode: fine bare-metal (the
 * -msim BSP runs there); under uClinux the kernel sets CCEN itself.
 *
 * Only for Blackfin programs (tests/bfin, bench): the portable code never
 * includes this.
 */
#ifndef SECGW_BFIN_CYCLES_H
#define SECGW_BFIN_CYCLES_H

#include <stdint.h>

enum bfin_syscfg_bit {
	BFIN_SYSCFG_CCEN = 1,	/* cycle counter enable */
};

static inline void bfin_cycles_enable(int on)
{
	uint32_t t;

	if (on)
		__asm__ volatile("%0 = SYSCFG; BITSET (%0, %1); SYSCFG = %0; CSYNC;"
				 : "=&d"(t) : "i"(BFIN_SYSCFG_CCEN));
	else
		__asm__ volatile("%0 = SYSCFG; BITCLR (%0, %1); SYSCFG = %0; CSYNC;"
				 : "=&d"(t) : "i"(BFIN_SYSCFG_CCEN));
}

/* Reading CYCLES latches CYCLES2, so the low word is read first. */
static inline uint64_t bfin_cycles(void)
{
	uint32_t lo, hi;

	__asm__ volatile("%0 = CYCLES; %1 = CYCLES2;" : "=&d"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
