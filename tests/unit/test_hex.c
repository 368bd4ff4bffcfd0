// SPDX-License-Identifier: MIT
/* Hex text to bytes (lib/hex.h). */
#include "hex.h"
#include "tap.h"

int main(void)
{
	uint8_t out[4];

	is_int(hex_decode("0aFf10", 6, out, sizeof(out)), 3, "three bytes");
	ok(out[0] == 0x0a && out[1] == 0xff && out[2] == 0x10, "either case, in order");
	is_int(hex_decode("", 0, out, sizeof(out)), 0, "empty is zero bytes");
	is_int(hex_decode("abc", 3, out, sizeof(out)), -1, "odd count refused");
	is_int(hex_decode("0g", 2, out, sizeof(out)), -1, "non-hex refused");
	is_int(hex_decode("0011223344", 10, out, sizeof(out)), -1, "too long for the buffer refused");
	is_int(hex_decode("00112233", 8, out, sizeof(out)), 4, "exactly the buffer");
	is_int(hex_decode("001122334", 8, out, sizeof(out)), 4, "only n digits are read");
	is_int(hex_digit('F'), 15, "F is 15");
	is_int(hex_digit(' '), -1, "space is not a digit");
	return tap_done();
}
