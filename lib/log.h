/* SPDX-License-Identifier: MIT */
/*
 * Logging for every secgw program: levels, stderr or syslog or a file, a
 * reopen for SIGHUP (log rotation), and a rate limiter for the packet path so
 * that a flood of bad packets costs a counter, not a disk.
 */
#ifndef SECGW_LOG_H
#define SECGW_LOG_H

#include <stdint.h>

enum log_level {
	LOG_LVL_ERR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/*
 * target: "stderr" (the default when NULL), "syslog", or a file path that is
 * opened for appending. Returns 0, or -1 with errno set when a file cannot
 * be opened (logging then stays on stderr).
 */
int log_init(const char *ident, const char *target, enum log_level level);
/* Reopen the file target (after rotation). Not async-signal-safe: call it
 * from the main loop when a SIGHUP flag is seen. */
int log_reopen(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "err", "warn", "info", "debug" -> level; -1 when unknown. */
int log_level_parse(const char *s);

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) do {						\
	if (log_get_level() >= LOG_LVL_DEBUG)				\
		log_msg(LOG_LVL_DEBUG, __VA_ARGS__);			\
} while (0)

/*
 * At most `burst` lines per `interval_ms`; the rest are counted and reported
 * in the next line that is allowed. Zero-initialise, then set the two limits.
 * Thread-safe enough for counters (a lost update only misreports the count).
 */
struct log_ratelimit {
	uint32_t interval_ms;
	uint32_t burst;
	uint64_t window_start_ms;
	uint32_t in_window;
	uint32_t suppressed;
};

/* Returns the number of lines suppressed since the last allowed one plus one
 * (so non-zero means "log now"), or 0 when this line must be dropped. */
uint32_t log_ratelimit_ok(struct log_ratelimit *rl);

#endif
