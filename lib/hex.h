/* SPDX-License-Identifier: MIT */
/*
 * Hex text to bytes, for key material and key IDs as operators write them:
 * the agent's "key" secrets, "@#…" identities, and the "hex:" literals of
 * secgw-iked's config file (docs/config.md).
 */
#ifndef SECGW_HEX_H
#define SECGW_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);

/*
 * Decode exactly n hex digits (n even) into out (at most max bytes).
 * Returns the number of bytes, or -1 when n is odd, a digit is not hex, or
 * the result would not fit. Nothing is assumed about NUL termination.
 */
long hex_decode(const char *s, size_t n, uint8_t *out, size_t max);

#endif
