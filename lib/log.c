// SPDX-License-Identifier: MIT
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

enum sink { SINK_STDERR, SINK_SYSLOG, SINK_FILE };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum sink sink = SINK_STDERR;
static enum log_level cur_level = LOG_LVL_INFO;
static FILE *file;
static char *file_path;
static const char *ident = "secgw";

static const char *const level_names[] = {
	[LOG_LVL_ERR] = "err",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

int log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcmp(s, "error") == 0)
		return LOG_LVL_ERR;
	if (strcmp(s, "warning") == 0)
		return LOG_LVL_WARN;
	return -1;
}

void log_set_level(enum log_level level)
{
	__atomic_store_n(&cur_level, level, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return __atomic_load_n(&cur_level, __ATOMIC_RELAXED);
}

static int open_file(void)
{
	FILE *f = fopen(file_path, "ae");

	if (!f)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	if (file)
		fclose(file);
	file = f;
	return 0;
}

int log_init(const char *id, const char *target, enum log_level level)
{
	int rc = 0;

	pthread_mutex_lock(&log_lock);
	if (id)
		ident = id;
	cur_level = level;
	if (sink == SINK_SYSLOG)
		closelog();
	if (file) {
		fclose(file);
		file = NULL;
	}
	free(file_path);
	file_path = NULL;
	sink = SINK_STDERR;
	if (!target || strcmp(target, "stderr") == 0) {
		/* stderr */
	} else if (strcmp(target, "syslog") == 0) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		sink = SINK_SYSLOG;
	} else {
		file_path = strdup(target);
		if (file_path && open_file() == 0) {
			sink = SINK_FILE;
		} else {
			int e = errno;

			free(file_path);
			file_path = NULL;
			errno = e;
			rc = -1;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

int log_reopen(void)
{
	int rc = 0;

	pthread_mutex_lock(&log_lock);
	if (sink == SINK_FILE)
		rc = open_file();
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const int syslog_prio[] = {
		[LOG_LVL_ERR] = LOG_ERR,
		[LOG_LVL_WARN] = LOG_WARNING,
		[LOG_LVL_INFO] = LOG_INFO,
		[LOG_LVL_DEBUG] = LOG_DEBUG,
	};
	char msg[1024];
	va_list ap;

	if (level > log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	if (sink == SINK_SYSLOG) {
		syslog(syslog_prio[level], "%s", msg);
	} else {
		FILE *out = sink == SINK_FILE ? file : stderr;
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(out, "%s.%03ldZ %s[%s] %s\n", when, ts.tv_nsec / 1000000,
			ident, level_names[level], msg);
		fflush(out);
	}
	pthread_mutex_unlock(&log_lock);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint32_t log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = now_ms();
	uint32_t n;

	if (now - rl->window_start_ms >= rl->interval_ms) {
		rl->window_start_ms = now;
		rl->in_window = 0;
	}
	if (rl->in_window >= rl->burst) {
		rl->suppressed++;
		return 0;
	}
	rl->in_window++;
	n = rl->suppressed + 1;
	rl->suppressed = 0;
	return n;
}
