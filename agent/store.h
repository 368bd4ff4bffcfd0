/* SPDX-License-Identifier: MIT */
/*
 * The SQLite store: one database file in the state directory, WAL mode,
 * foreign keys on, a busy timeout. Each HTTP worker thread reads through its
 * own connection (readers never wait for each other or for the writer, WAL);
 * writers take one process-wide mutex before BEGIN IMMEDIATE, so concurrent
 * mutations queue in order instead of spinning on SQLITE_BUSY. A mutation is
 * always one transaction: store_write_begin … store_commit, or rollback.
 */
#ifndef SECGW_AGENT_STORE_H
#define SECGW_AGENT_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

enum {
	STORE_BUSY_TIMEOUT_MS = 5000,	/* another process (bootstrap-token) holds the lock */
	STORE_CACHE_KIB = 512,		/* page cache per connection: RSS stays flat with 10k rows */
	STORE_STMT_CACHE = 48,		/* prepared statements kept per connection */
	STORE_MAX_CONNS = 32,		/* worker threads + main + spare */
};

struct store;
struct db;

/*
 * Open (creating it) the database at path and bring its schema up to date:
 * every embedded migration newer than schema_version, each in its own
 * transaction. A database newer than this binary is refused (no downgrade).
 * Returns NULL and logs the reason on failure.
 */
struct store *store_open(const char *path);
void store_close(struct store *s);
/* The schema version of the open database (the last migration applied). */
int store_schema_version(struct store *s);

/* This thread's connection (opened on first use); NULL when it cannot be. */
struct db *store_db(struct store *s);
sqlite3 *db_handle(struct db *d);

/*
 * A prepared statement for a constant SQL string, cached per connection by
 * the string's address; reset and unbound by db_done. Not re-entrant for the
 * same SQL.
 */
sqlite3_stmt *db_stmt(struct db *d, const char *sql);
void db_done(sqlite3_stmt *st);

/* Run SQL without results; 0 or -1 (logged). */
int db_exec(struct db *d, const char *sql);

/* Read snapshot: BEGIN (deferred) … db_read_end. */
int db_read_begin(struct db *d);
void db_read_end(struct db *d);

int store_write_begin(struct db *d);
int store_commit(struct db *d);
/* Commit, then call fn(ctx) while still holding the write mutex (so that
 * what fn publishes is ordered like the commits); fn is not called on failure. */
int store_commit_then(struct db *d, void (*fn)(void *), void *ctx);
void store_rollback(struct db *d);
bool store_in_write(struct db *d);

/* Helpers for one-value queries: the first column of the first row. */
int64_t db_int(struct db *d, const char *sql, int64_t dflt);

#endif
