/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for the C unit tests: every check is one test line,
 * the plan is printed at the end, and main() returns tap_done().
 *
 *	ok(cond, "what was checked %d", x);
 *	is_int(got, want, "name");
 *	is_str(got, want, "name");
 *	is_mem(got, want, len, "name");
 */
#ifndef SECGW_TAP_H
#define SECGW_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 4, 5), unused))
static int tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   at %s:%d\n", file, line);
	}
	fflush(stdout);
	return pass;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...) do {						\
	long long g_ = (long long)(got), w_ = (long long)(want);		\
	if (!tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))		\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

#define is_str(got, want, ...) do {						\
	const char *g_ = (got), *w_ = (want);					\
	int p_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;			\
	if (!tap_ok(p_, __FILE__, __LINE__, __VA_ARGS__))			\
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)",	\
		       w_ ? w_ : "(null)");					\
} while (0)

#define is_mem(got, want, len, ...) do {					\
	const unsigned char *g_ = (const unsigned char *)(got);			\
	const unsigned char *w_ = (const unsigned char *)(want);		\
	size_t l_ = (len), i_;							\
	int p_ = memcmp(g_, w_, l_) == 0;					\
	if (!tap_ok(p_, __FILE__, __LINE__, __VA_ARGS__)) {			\
		for (i_ = 0; i_ < l_ && g_[i_] == w_[i_]; i_++)			\
			;							\
		printf("#   first difference at byte %zu of %zu: "		\
		       "got %02x, want %02x\n", i_, l_, g_[i_], w_[i_]);	\
	}									\
} while (0)

__attribute__((unused))
static void tap_skip(const char *why)
{
	tap_n++;
	printf("ok %d # skip %s\n", tap_n, why);
}

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
