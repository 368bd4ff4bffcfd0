/* SPDX-License-Identifier: MIT */
/*
 * The stored configuration: connection documents (with their children) and
 * secret metadata, read and written as the normalised JSON of agent/model.h.
 * Writers call these inside a mutation (agent/revision.h); the functions do
 * not begin or commit anything. Issue 3's import, export and rollback are
 * meant to use exactly these.
 */
#ifndef SECGW_AGENT_CONF_H
#define SECGW_AGENT_CONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/problem.h"
#include "agent/store.h"

enum {
	LIST_LIMIT_DEFAULT = 100,
	LIST_LIMIT_MAX = 1000,
};

/* The connection document with its children; NULL when absent (or on error,
 * *err set). *revision: the last revision that changed it. */
json_t *conf_conn_get(struct db *d, const char *name, int64_t *revision, bool *err);

/*
 * Insert or replace (by name) a normalised connection document and its
 * children, stamped with revision. Returns 0, or -1 (logged).
 */
int conf_conn_put(struct db *d, const json_t *doc, int64_t revision);
/* 1 deleted, 0 absent, -1 error. */
int conf_conn_delete(struct db *d, const char *name);

/*
 * One page of connections ordered by name: names > after (NULL: from the
 * start) starting with prefix (NULL: any), at most limit of them, written
 * as comma-separated JSON documents through fn (jansson's dump callback).
 * Each document is built, written and freed before the next, so a page of
 * 1000 costs one connection's tree, not a thousand. last (NAME_MAX_LEN+1
 * bytes) gets the last name written; *more tells whether others follow.
 */
int conf_conn_write(struct db *d, const char *prefix, const char *after, unsigned limit,
		    json_dump_callback_t fn, void *ctx, char *last, bool *more);

/* Every connection document, ordered by name, one at a time (fn must not
 * keep doc); stops at the first fn that returns < 0. 0 or -1. */
int conf_conn_each(struct db *d, int (*fn)(void *ctx, const json_t *doc), void *ctx);

/*
 * Check that every secret a connection (or child) document names exists and
 * has the right type; errors are added with the document's paths.
 */
void conf_check_refs(struct db *d, const json_t *conn, const char *base, struct ferrs *e);
void conf_check_child_refs(struct db *d, const json_t *child, const char *base, struct ferrs *e);

/* "psk"/"key" of a stored secret, copied into type (8 bytes); false when absent. */
bool conf_secret_type(struct db *d, const char *name, char *type);
/* Connections (and children, as "conn/child") that reference a secret. */
json_t *conf_secret_users(struct db *d, const char *name);

#endif
