/* SPDX-License-Identifier: MIT */
/*
 * The agent's side of secgw-iked's control socket (docs/control.md).
 *
 * One thread of its own keeps a non-blocking connection to iked: on every
 * connect it subscribes to events and loads the whole configuration with its
 * revision; after every committed revision (engine_config_changed, called
 * from revision_committed) it loads again. It records the revision iked
 * acknowledged, relays iked's events to /events, writes tunnel state changes
 * to the audit log and counts them for /metrics. When iked goes away it
 * reconnects with a back-off and pushes again, so either side may restart.
 *
 * Requests made for an HTTP client (list-sas, initiate, terminate) go over a
 * short connection of their own (engine_call): iked answers each connection
 * in order, so a slow list-sas never holds up the event relay, and a request
 * that times out leaves nothing behind on the shared connection.
 */
#ifndef SECGW_AGENT_ENGINE_H
#define SECGW_AGENT_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	ENGINE_LINE_MAX = 4 * 1024 * 1024,	/* iked's own limit (docs/control.md) */
	ENGINE_BACKOFF_MIN_MS = 100,		/* first reconnect attempt after a loss */
	ENGINE_BACKOFF_MAX_MS = 2000,		/* iked back within 2 s is seen within 2 s */
	ENGINE_CALL_TIMEOUT_MS = 5000,		/* an HTTP request waits this long for iked */
	ENGINE_LOAD_TIMEOUT_MS = 30000,		/* a load unanswered this long: reconnect */
	ENGINE_ERROR_TEXT = 512,		/* the last load error kept for /health */
};

enum engine_counter {
	ENGINE_C_IKE_UP,
	ENGINE_C_IKE_DOWN,
	ENGINE_C_CHILD_UP,
	ENGINE_C_CHILD_DOWN,
	ENGINE_C_REKEYED,
	ENGINE_C_AUTH_FAILED,
	ENGINE_C_NEG_FAILED,
	ENGINE_C_EXPIRE,
	ENGINE_C_CONNECTS,
	ENGINE_C_LOADS,
	ENGINE_C_LOAD_ERRORS,
	ENGINE_C_N,
};

struct agent;
struct engine;

/* Start the thread that connects to the control socket at path. NULL on error (logged). */
struct engine *engine_start(struct agent *ag, const char *path);
/* Stop the thread, close the connection, free. NULL is fine. */
void engine_stop(struct engine *e);
/* A revision was committed: push the configuration (soon, from the engine thread). */
void engine_config_changed(struct engine *e);
bool engine_connected(const struct engine *e);
/* The last revision iked acknowledged (0: none yet). */
int64_t engine_revision_applied(const struct engine *e);
/* The last load's error text ("" when it was accepted), copied into buf. */
void engine_last_error(struct engine *e, char *buf, size_t len);
uint64_t engine_count(const struct engine *e, enum engine_counter c);
const char *engine_counter_name(enum engine_counter c);

/*
 * One request on a connection of its own: req gets an "id"; returns iked's
 * whole reply (caller decrefs) or NULL with err filled in (iked is down or
 * did not answer in time).
 */
json_t *engine_call(struct engine *e, json_t *req, char *err, size_t errlen);

/* iked's list-sas result (optionally one connection's), plus "engine" and
 * "revision_applied"; NULL with err filled in (agent/api_engine.c). */
json_t *engine_sas(struct agent *ag, const char *conn, char *err, size_t errlen);

/*
 * The configuration to load (docs/control.md's `config`) as of the database
 * snapshot d is in: enabled connections and the values of the secrets they
 * name, decrypted with key. *revision gets the snapshot's revision. NULL on
 * error (logged). The result holds secret values: free it with
 * engine_config_free, which wipes them.
 */
struct db;
json_t *engine_config_build(struct db *d, const unsigned char *key, int64_t *revision);
void engine_config_free(json_t *config);

#endif
