// SPDX-License-Identifier: MIT
#include "agent/metrics.h"
#include "agent/agent.h"
#include "agent/routes.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned statuses[METRICS_STATUSES] = {
	200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
	412, 413, 414, 415, 422, 429, 500, 503, 0, 0,
};

/* Upper bounds in microseconds: 0.5 ms … 5 s. */
static const uint64_t bounds_us[METRICS_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000, 5000000,
};

int metrics_init(struct metrics *m, unsigned n_routes)
{
	memset(m, 0, sizeof(*m));
	m->n_routes = n_routes;
	m->requests = calloc((size_t)(n_routes + 1) * METRICS_STATUSES, sizeof(*m->requests));
	return m->requests ? 0 : -1;
}

void metrics_destroy(struct metrics *m)
{
	free(m->requests);
	m->requests = NULL;
}

void metrics_record(struct metrics *m, int route_index, unsigned status, uint64_t ns)
{
	unsigned row = route_index < 0 ? m->n_routes : (unsigned)route_index;
	unsigned col = METRICS_STATUSES - 1;	/* "other" */
	uint64_t us = ns / 1000;
	unsigned b = 0;

	for (unsigned i = 0; i < METRICS_STATUSES - 2; i++)
		if (statuses[i] == status)
			col = i;
	if (m->requests)
		atomic_fetch_add_explicit(&m->requests[row * METRICS_STATUSES + col], 1,
					  memory_order_relaxed);
	while (b < METRICS_BUCKETS && us > bounds_us[b])
		b++;
	atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, us, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->count, 1, memory_order_relaxed);
}

struct out {
	char *buf;
	size_t len, cap;
	bool oom;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = true;
			return;
		}
		if ((size_t)n < o->cap - o->len)
			break;
		{
			size_t cap = o->cap * 2 + (size_t)n;
			char *nb = realloc(o->buf, cap);

			if (!nb) {
				o->oom = true;
				return;
			}
			o->buf = nb;
			o->cap = cap;
		}
	}
	o->len += (size_t)n;
}

/*
 * The engine: connection, acknowledged revision, event counters (from the
 * engine thread), and, while iked is up, gauges and counters summed over
 * its list-sas (one call per scrape).
 */
static void engine_metrics(struct out *o, struct agent *ag)
{
	bool up = engine_connected(ag->engine);
	uint64_t ike = 0, conns_up = 0, children = 0, bytes_in = 0, bytes_out = 0, pk_in = 0, pk_out = 0, drops = 0;
	const json_t *c, *ch, *v;
	const char *k;
	size_t i, j;
	char err[128];
	json_t *sas = up ? engine_sas(ag, NULL, err, sizeof(err)) : NULL;

	put(o, "# HELP secgw_engine_connected 1 when secgw-iked is connected.\n"
		"# TYPE secgw_engine_connected gauge\nsecgw_engine_connected %d\n", up);
	put(o, "# HELP secgw_engine_revision_applied The revision secgw-iked acknowledged.\n"
		"# TYPE secgw_engine_revision_applied gauge\nsecgw_engine_revision_applied %lld\n",
	    (long long)engine_revision_applied(ag->engine));
	put(o, "# HELP secgw_engine_events_total Events and loads seen from secgw-iked, by kind.\n"
		"# TYPE secgw_engine_events_total counter\n");
	for (unsigned e = 0; e < ENGINE_C_N; e++)
		put(o, "secgw_engine_events_total{kind=\"%s\"} %llu\n", engine_counter_name(e),
		    (unsigned long long)engine_count(ag->engine, e));
	if (!sas)
		return;
	json_array_foreach(json_object_get(sas, "connections"), i, c) {
		const char *cs = json_string_value(json_object_get(c, "state"));

		if (cs && (strcmp(cs, "established") == 0 || strcmp(cs, "installed") == 0))
			conns_up++;
		ike += json_array_size(json_object_get(c, "ike_sas"));
		json_array_foreach(json_object_get(c, "children"), j, ch) {
			const char *st = json_string_value(json_object_get(ch, "state"));

			if (st && strcmp(st, "installed") == 0)
				children++;
			bytes_in += (uint64_t)json_integer_value(json_object_get(ch, "bytes_in"));
			bytes_out += (uint64_t)json_integer_value(json_object_get(ch, "bytes_out"));
			pk_in += (uint64_t)json_integer_value(json_object_get(ch, "packets_in"));
			pk_out += (uint64_t)json_integer_value(json_object_get(ch, "packets_out"));
			json_object_foreach((json_t *)json_object_get(ch, "drops"), k, v)
				drops += (uint64_t)json_integer_value(v);
		}
	}
	json_decref(sas);
	put(o, "# HELP secgw_tunnels_up Connections established (IKE) or installed (manual).\n"
		"# TYPE secgw_tunnels_up gauge\nsecgw_tunnels_up %llu\n", (unsigned long long)conns_up);
	put(o, "# HELP secgw_ike_sas IKE SAs in secgw-iked.\n# TYPE secgw_ike_sas gauge\nsecgw_ike_sas %llu\n",
	    (unsigned long long)ike);
	put(o, "# HELP secgw_child_sas CHILD SAs installed.\n# TYPE secgw_child_sas gauge\nsecgw_child_sas %llu\n",
	    (unsigned long long)children);
	put(o, "# HELP secgw_sa_bytes Bytes through the CHILD SAs up now, by direction.\n"
		"# TYPE secgw_sa_bytes gauge\nsecgw_sa_bytes{direction=\"in\"} %llu\n"
		"secgw_sa_bytes{direction=\"out\"} %llu\n", (unsigned long long)bytes_in, (unsigned long long)bytes_out);
	put(o, "# HELP secgw_sa_packets Packets through the CHILD SAs up now, by direction.\n"
		"# TYPE secgw_sa_packets gauge\nsecgw_sa_packets{direction=\"in\"} %llu\n"
		"secgw_sa_packets{direction=\"out\"} %llu\n", (unsigned long long)pk_in, (unsigned long long)pk_out);
	put(o, "# HELP secgw_sa_drops Packets the CHILD SAs up now dropped (all reasons).\n"
		"# TYPE secgw_sa_drops gauge\nsecgw_sa_drops %llu\n", (unsigned long long)drops);
}

char *metrics_render(struct agent *ag, size_t *len)
{
	struct metrics *m = &ag->metrics;
	struct out o = { .buf = malloc(8192), .cap = 8192 };
	struct db *d = store_db(ag->store);
	uint64_t cum = 0;

	if (!o.buf)
		return NULL;
	o.buf[0] = '\0';
	put(&o, "# HELP secgw_http_requests_total HTTP requests answered, by route, method and status.\n"
		"# TYPE secgw_http_requests_total counter\n");
	for (unsigned r = 0; r <= m->n_routes; r++)
		for (unsigned s = 0; s < METRICS_STATUSES; s++) {
			uint64_t v = atomic_load(&m->requests[r * METRICS_STATUSES + s]);
			char st[8];

			if (!v)
				continue;
			if (s == METRICS_STATUSES - 1)
				snprintf(st, sizeof(st), "other");
			else
				snprintf(st, sizeof(st), "%u", statuses[s]);
			put(&o, "secgw_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
			    r < m->n_routes ? routes[r].pattern : "unmatched",
			    r < m->n_routes ? method_name(routes[r].method) : "",
			    st, (unsigned long long)v);
		}
	put(&o, "# HELP secgw_http_request_duration_seconds Time from the request line to the answer.\n"
		"# TYPE secgw_http_request_duration_seconds histogram\n");
	for (unsigned b = 0; b < METRICS_BUCKETS; b++) {
		cum += atomic_load(&m->buckets[b]);
		put(&o, "secgw_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    (double)bounds_us[b] / 1e6, (unsigned long long)cum);
	}
	cum += atomic_load(&m->buckets[METRICS_BUCKETS]);
	put(&o, "secgw_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	put(&o, "secgw_http_request_duration_seconds_sum %.6f\n", (double)atomic_load(&m->sum_us) / 1e6);
	put(&o, "secgw_http_request_duration_seconds_count %llu\n",
	    (unsigned long long)atomic_load(&m->count));

	put(&o, "# HELP secgw_connections Connections configured.\n# TYPE secgw_connections gauge\n"
		"secgw_connections %lld\n",
	    d ? (long long)db_int(d, "SELECT count(*) FROM connections", 0) : -1LL);
	put(&o, "# HELP secgw_children Children (CHILD SAs) configured.\n# TYPE secgw_children gauge\n"
		"secgw_children %lld\n",
	    d ? (long long)db_int(d, "SELECT count(*) FROM children", 0) : -1LL);
	put(&o, "# HELP secgw_secrets Secrets stored.\n# TYPE secgw_secrets gauge\nsecgw_secrets %lld\n",
	    d ? (long long)db_int(d, "SELECT count(*) FROM secrets", 0) : -1LL);
	put(&o, "# HELP secgw_revision The current configuration revision.\n# TYPE secgw_revision gauge\n"
		"secgw_revision %lld\n", (long long)atomic_load(&ag->revision));
	put(&o, "# HELP secgw_event_streams Open /events streams.\n# TYPE secgw_event_streams gauge\n"
		"secgw_event_streams %u\n", events_clients(&ag->events));
	engine_metrics(&o, ag);
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
