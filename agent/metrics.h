/* SPDX-License-Identifier: MIT */
/*
 * Request counters by route and status and a latency histogram, kept in
 * atomics (no lock on the request path), rendered in Prometheus text format
 * at /api/v1/metrics together with the counts of configured objects.
 */
#ifndef SECGW_AGENT_METRICS_H
#define SECGW_AGENT_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum {
	METRICS_STATUSES = 20,		/* the statuses the API answers, see metrics.c */
	METRICS_BUCKETS = 10,
};

struct metrics {
	unsigned n_routes;		/* rows: one per route, plus "unmatched" */
	_Atomic uint64_t *requests;	/* [n_routes + 1][METRICS_STATUSES] */
	_Atomic uint64_t buckets[METRICS_BUCKETS + 1];	/* the last is +Inf */
	_Atomic uint64_t sum_us;
	_Atomic uint64_t count;
};

int metrics_init(struct metrics *m, unsigned n_routes);
void metrics_destroy(struct metrics *m);
/* route_index -1: no route matched. */
void metrics_record(struct metrics *m, int route_index, unsigned status, uint64_t ns);

struct agent;
/* The whole exposition; caller frees. */
char *metrics_render(struct agent *ag, size_t *len);

#endif
