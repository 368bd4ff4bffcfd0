/* SPDX-License-Identifier: MIT */
/*
 * The event stream (/api/v1/events, Server-Sent Events). Events are kept in
 * a small ring; each stream sends what it has not sent yet and otherwise is
 * suspended (MHD_suspend_connection), so an idle stream holds a socket but
 * no worker thread. Publishing resumes the waiting streams; a keepalive
 * comment every EVENTS_KEEPALIVE_S also notices clients that went away.
 *
 * Types: "hello" (first, with the current revision), "revision" (a mutation
 * was committed), "rolled-back" (a rollback or a commit-confirmed revert),
 * "confirmed" (a pending change was confirmed); the engine integration adds
 * the SA events of docs/control.md.
 */
#ifndef SECGW_AGENT_EVENTS_H
#define SECGW_AGENT_EVENTS_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	EVENTS_RING = 128,		/* events a slow or reconnecting client can catch up on */
	EVENTS_CLIENTS_MAX = 64,	/* open streams */
	EVENTS_KEEPALIVE_S = 15,
	EVENTS_FRAME_MAX = 16384,	/* one SSE frame */
};

struct events_client;

struct events {
	pthread_mutex_t lock;
	uint64_t last_id;
	struct {
		uint64_t id;
		char *frame;		/* "id: …\nevent: …\ndata: …\n\n" */
	} ring[EVENTS_RING];
	struct events_client *clients;
	unsigned n_clients;
	bool stopping;
};

void events_init(struct events *h);
void events_destroy(struct events *h);
/* Publish an event; data is stolen. */
void events_publish(struct events *h, const char *type, json_t *data);
/* Wake every stream to send a keepalive comment. */
void events_keepalive(struct events *h);
/* End every stream (shutdown): returns once none is suspended any more. */
void events_shutdown(struct events *h);
unsigned events_clients(struct events *h);

#endif
