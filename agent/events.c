// SPDX-License-Identifier: MIT
#include "agent/events.h"
#include "agent/agent.h"
#include "agent/routes.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct events_client {
	struct events *hub;
	struct MHD_Connection *conn;
	struct events_client *next;
	uint64_t sent_id;	/* last event id written */
	bool suspended;
	bool keepalive_due;
	char *pending;		/* frame being written */
	size_t pending_len, pending_off;
};

void events_init(struct events *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
}

void events_destroy(struct events *h)
{
	for (unsigned i = 0; i < EVENTS_RING; i++)
		free(h->ring[i].frame);
	pthread_mutex_destroy(&h->lock);
}

static void resume_all(struct events *h)
{
	for (struct events_client *c = h->clients; c; c = c->next)
		if (c->suspended) {
			c->suspended = false;
			MHD_resume_connection(c->conn);
		}
}

void events_publish(struct events *h, const char *type, json_t *data)
{
	char *json = data ? json_dumps(data, JSON_COMPACT) : NULL;
	char *frame;
	size_t n;
	uint64_t id;

	json_decref(data);
	if (!json)
		return;
	n = strlen(json) + strlen(type) + 64;
	frame = malloc(n);
	if (!frame || n > EVENTS_FRAME_MAX) {
		log_err("events: %s event dropped (%s)", type, frame ? "too large" : "out of memory");
		free(frame);
		free(json);
		return;
	}
	pthread_mutex_lock(&h->lock);
	id = ++h->last_id;
	/* JSON from json_dumps has no newline, so it is one data: line. */
	snprintf(frame, n, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)id, type, json);
	free(h->ring[id % EVENTS_RING].frame);
	h->ring[id % EVENTS_RING].frame = frame;
	h->ring[id % EVENTS_RING].id = id;
	resume_all(h);
	pthread_mutex_unlock(&h->lock);
	free(json);
}

void events_keepalive(struct events *h)
{
	pthread_mutex_lock(&h->lock);
	for (struct events_client *c = h->clients; c; c = c->next)
		c->keepalive_due = true;
	resume_all(h);
	pthread_mutex_unlock(&h->lock);
}

void events_shutdown(struct events *h)
{
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	resume_all(h);
	pthread_mutex_unlock(&h->lock);
}

unsigned events_clients(struct events *h)
{
	unsigned n;

	pthread_mutex_lock(&h->lock);
	n = h->n_clients;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* Called with the lock held: the next frame to write, or NULL. */
static bool next_frame(struct events_client *c)
{
	struct events *h = c->hub;
	uint64_t want = c->sent_id + 1;

	if (want > h->last_id)
		return false;
	/* Fell behind the ring: skip to the oldest kept (the client can refetch). */
	if (h->last_id - want >= EVENTS_RING)
		want = h->last_id - EVENTS_RING + 1;
	if (h->ring[want % EVENTS_RING].id != want || !h->ring[want % EVENTS_RING].frame)
		return false;
	c->pending = strdup(h->ring[want % EVENTS_RING].frame);
	if (!c->pending)
		return false;
	c->pending_len = strlen(c->pending);
	c->pending_off = 0;
	c->sent_id = want;
	return true;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct events_client *c = cls;
	struct events *h = c->hub;
	ssize_t n = 0;

	(void)pos;
	pthread_mutex_lock(&h->lock);
	if (!c->pending && !next_frame(c)) {
		if (h->stopping) {
			pthread_mutex_unlock(&h->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (c->keepalive_due) {
			static const char ka[] = ": keepalive\n\n";

			c->keepalive_due = false;
			pthread_mutex_unlock(&h->lock);
			if (max < sizeof(ka) - 1)
				return 0;
			memcpy(buf, ka, sizeof(ka) - 1);
			return (ssize_t)(sizeof(ka) - 1);
		}
		/* Nothing to say: give the worker thread back until someone publishes. */
		c->suspended = true;
		MHD_suspend_connection(c->conn);
		pthread_mutex_unlock(&h->lock);
		return 0;
	}
	pthread_mutex_unlock(&h->lock);
	n = (ssize_t)(c->pending_len - c->pending_off);
	if ((size_t)n > max)
		n = (ssize_t)max;
	memcpy(buf, c->pending + c->pending_off, (size_t)n);
	c->pending_off += (size_t)n;
	if (c->pending_off == c->pending_len) {
		free(c->pending);
		c->pending = NULL;
	}
	return n;
}

static void client_free(void *cls)
{
	struct events_client *c = cls;
	struct events *h = c->hub;

	pthread_mutex_lock(&h->lock);
	for (struct events_client **p = &h->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	h->n_clients--;
	pthread_mutex_unlock(&h->lock);
	free(c->pending);
	free(c);
}

enum hres api_events(struct req *r)
{
	struct agent *ag = r->ag;
	struct events *h = &ag->events;
	struct events_client *c;
	struct MHD_Response *resp;
	const char *last = req_header(r, "Last-Event-ID");
	json_t *hello;
	char *hello_json;
	size_t n;

	c = calloc(1, sizeof(*c));
	if (!c)
		return H_FATAL;
	c->hub = h;
	c->conn = r->conn;
	hello = json_pack("{s:I, s:s, s:b, s:I}", "revision", (json_int_t)atomic_load(&ag->revision),
			  "engine", engine_connected(ag->engine) ? "up" : "down",
			  "engine_connected", engine_connected(ag->engine),
			  "revision_applied", (json_int_t)engine_revision_applied(ag->engine));
	hello_json = json_dumps(hello, JSON_COMPACT);
	json_decref(hello);
	n = hello_json ? strlen(hello_json) + 32 : 0;
	c->pending = hello_json ? malloc(n) : NULL;
	if (!c->pending) {
		free(hello_json);
		free(c);
		return H_FATAL;
	}
	/* The hello frame carries no id, so it never moves Last-Event-ID. */
	snprintf(c->pending, n, "event: hello\ndata: %s\n\n", hello_json);
	free(hello_json);
	c->pending_len = strlen(c->pending);

	pthread_mutex_lock(&h->lock);
	if (h->n_clients >= EVENTS_CLIENTS_MAX || h->stopping) {
		pthread_mutex_unlock(&h->lock);
		free(c->pending);
		free(c);
		return reply_problemf(r, P_UNAVAILABLE, "%s", h->stopping ? "the agent is shutting down"
						: "too many event streams are open");
	}
	c->sent_id = h->last_id;
	if (last) {
		char *end;
		unsigned long long v = strtoull(last, &end, 10);

		if (*end == '\0' && v <= h->last_id)
			c->sent_id = v;
	}
	c->next = h->clients;
	h->clients = c;
	h->n_clients++;
	pthread_mutex_unlock(&h->lock);

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, c, client_free);
	if (!resp) {
		client_free(c);
		return H_FATAL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	/* A stream is not "in flight": shutdown ends it instead of waiting for it. */
	if (r->counted_in_flight) {
		atomic_fetch_sub(&ag->in_flight, 1);
		r->counted_in_flight = false;
	}
	r->streaming = true;
	return reply_response(r, 200, resp);
}
