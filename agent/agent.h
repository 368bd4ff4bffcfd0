/* SPDX-License-Identifier: MIT */
/*
 * The agent's state, passed to every handler through struct req: the store,
 * the master key for secrets, the current revision, the event hub, metrics,
 * the login limiter and the list cache. One instance per process; nothing
 * here is a global, so unit tests can build one around a temporary database.
 */
#ifndef SECGW_AGENT_AGENT_H
#define SECGW_AGENT_AGENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/auth.h"
#include "agent/cache.h"
#include "agent/confirm.h"
#include "agent/engine.h"
#include "agent/events.h"
#include "agent/metrics.h"
#include "agent/store.h"

#define AGENT_VERSION "0.1.0"

enum {
	AGENT_PASSWORD_CHARS = 20,	/* generated admin password */
};

struct agent {
	char *state_dir;
	struct store *store;
	unsigned char *master_key;	/* sodium_malloc'd, crypto_secretbox_KEYBYTES */
	bool tls;
	_Atomic int64_t revision;	/* the latest committed revision */
	_Atomic int in_flight;		/* requests being handled (not event streams) */
	_Atomic bool stopping;
	struct events events;
	struct metrics metrics;
	struct login_limiter limiter;
	struct list_cache cache;
	struct confirm_state confirm;	/* the change awaiting confirmation, if any */
	struct engine *engine;		/* secgw-iked's control socket; NULL: not started */
	unsigned history_max;		/* revisions kept (--history) */
	char dummy_hash[128];		/* for constant-time answers to unknown users */
};

/*
 * Open (creating) the state directory: the database (migrated), the master
 * key (0600, created on first start). On a first start — no user yet — the
 * admin user is created with a generated password, written to
 * STATE/admin-password (0600) and returned in *first_password (caller frees;
 * NULL otherwise). Returns 0 or -1 (logged).
 */
int agent_open(struct agent *ag, const char *state_dir, char **first_password);
void agent_close(struct agent *ag);

#endif
