// SPDX-License-Identifier: MIT
#include "agent/store.h"
#include "agent/embed.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct db {
	struct store *store;
	sqlite3 *h;
	bool writing;
	unsigned n_stmts;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[STORE_STMT_CACHE];
};

struct store {
	char *path;
	pthread_mutex_t write_lock;
	pthread_mutex_t conns_lock;
	pthread_key_t key;
	unsigned n_conns;
	struct db *conns[STORE_MAX_CONNS];
	int version;
};

static int open_handle(const char *path, sqlite3 **out)
{
	sqlite3 *h = NULL;
	char pragmas[256];
	int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		log_err("store: cannot open %s: %s", path, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		return -1;
	}
	sqlite3_busy_timeout(h, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(h, 1);
	/*
	 * synchronous=FULL: an acknowledged write survives a power cut, not only
	 * a crash of the agent; on a router that matters more than the ~1 ms a
	 * commit costs here (mutations are rare next to reads).
	 */
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
		 "PRAGMA cache_size=-%d; PRAGMA temp_store=MEMORY;", STORE_CACHE_KIB);
	if (sqlite3_exec(h, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		log_err("store: %s: %s", path, sqlite3_errmsg(h));
		sqlite3_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

static void db_free(struct db *d)
{
	for (unsigned i = 0; i < d->n_stmts; i++)
		sqlite3_finalize(d->stmts[i].st);
	sqlite3_close(d->h);
	free(d);
}

static struct db *db_new(struct store *s)
{
	struct db *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->store = s;
	if (open_handle(s->path, &d->h) < 0) {
		free(d);
		return NULL;
	}
	return d;
}

static int migrate(struct store *s, struct db *d)
{
	int have, latest = 0;

	if (db_exec(d, "CREATE TABLE IF NOT EXISTS schema_version ("
		       " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied INTEGER NOT NULL)") < 0)
		return -1;
	have = (int)db_int(d, "SELECT COALESCE(MAX(version), 0) FROM schema_version", -1);
	if (have < 0)
		return -1;
	for (const struct embed_file *m = embed_migrations; m->name; m++) {
		int v = atoi(m->name);
		sqlite3_stmt *st;
		char *err = NULL;

		latest = v;
		if (v <= have)
			continue;
		if (store_write_begin(d) < 0)
			return -1;
		if (sqlite3_exec(d->h, m->data, NULL, NULL, &err) != SQLITE_OK) {
			log_err("store: migration %s failed: %s", m->name, err ? err : "?");
			sqlite3_free(err);
			store_rollback(d);
			return -1;
		}
		st = db_stmt(d, "INSERT INTO schema_version (version, name, applied) "
			     "VALUES (?1, ?2, strftime('%s','now'))");
		sqlite3_bind_int(st, 1, v);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			log_err("store: recording migration %s: %s", m->name, sqlite3_errmsg(d->h));
			db_done(st);
			store_rollback(d);
			return -1;
		}
		db_done(st);
		if (store_commit(d) < 0)
			return -1;
		log_info("store: applied migration %s", m->name);
	}
	if (have > latest) {
		log_err("store: %s has schema version %d, newer than this agent knows (%d); "
			"refusing to run an older agent on it", s->path, have, latest);
		return -1;
	}
	s->version = latest > have ? latest : have;
	return 0;
}

static void forget_thread(void *p)
{
	(void)p;	/* connections are closed by store_close, not per thread */
}

/*
 * A database written by a newer agent is refused before anything touches it
 * (even switching to WAL rewrites the header), so the newer agent can still
 * use it. Read-only look; a file without schema_version is ours to create.
 */
static bool newer_than_us(const char *path)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int latest = 0, have = 0;

	for (const struct embed_file *m = embed_migrations; m->name; m++)
		latest = atoi(m->name);
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return false;
	}
	sqlite3_busy_timeout(h, STORE_BUSY_TIMEOUT_MS);
	if (sqlite3_prepare_v2(h, "SELECT MAX(version) FROM schema_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	if (have > latest) {
		log_err("store: %s has schema version %d, newer than this agent knows (%d); "
			"refusing to run an older agent on it", path, have, latest);
		return true;
	}
	return false;
}

struct store *store_open(const char *path)
{
	struct store *s;
	struct db *d;

	if (access(path, F_OK) == 0 && newer_than_us(path))
		return NULL;
	s = calloc(1, sizeof(*s));

	if (!s || !(s->path = strdup(path))) {
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->write_lock, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	pthread_key_create(&s->key, forget_thread);
	d = store_db(s);
	if (!d || migrate(s, d) < 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

int store_schema_version(struct store *s)
{
	return s->version;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n_conns; i++)
		db_free(s->conns[i]);
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->write_lock);
	pthread_mutex_destroy(&s->conns_lock);
	free(s->path);
	free(s);
}

struct db *store_db(struct store *s)
{
	struct db *d = pthread_getspecific(s->key);

	if (d)
		return d;
	pthread_mutex_lock(&s->conns_lock);
	if (s->n_conns >= STORE_MAX_CONNS) {
		pthread_mutex_unlock(&s->conns_lock);
		log_err("store: more than %d threads want a connection", STORE_MAX_CONNS);
		return NULL;
	}
	d = db_new(s);
	if (d)
		s->conns[s->n_conns++] = d;
	pthread_mutex_unlock(&s->conns_lock);
	if (d)
		pthread_setspecific(s->key, d);
	return d;
}

sqlite3 *db_handle(struct db *d)
{
	return d->h;
}

sqlite3_stmt *db_stmt(struct db *d, const char *sql)
{
	sqlite3_stmt *st = NULL;

	for (unsigned i = 0; i < d->n_stmts; i++)
		if (d->stmts[i].sql == sql)
			return d->stmts[i].st;
	if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_err("store: prepare failed: %s (%s)", sqlite3_errmsg(d->h), sql);
		return NULL;
	}
	if (d->n_stmts < STORE_STMT_CACHE) {
		d->stmts[d->n_stmts].sql = sql;
		d->stmts[d->n_stmts].st = st;
		d->n_stmts++;
	} else {
		/* Full: evict the oldest; rare statements pay a prepare each time. */
		sqlite3_finalize(d->stmts[0].st);
		memmove(&d->stmts[0], &d->stmts[1], sizeof(d->stmts[0]) * (STORE_STMT_CACHE - 1));
		d->stmts[STORE_STMT_CACHE - 1].sql = sql;
		d->stmts[STORE_STMT_CACHE - 1].st = st;
	}
	return st;
}

void db_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

int db_exec(struct db *d, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(d->h, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("store: %s (%s)", err ? err : "?", sql);
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int db_read_begin(struct db *d)
{
	return d->writing ? 0 : db_exec(d, "BEGIN");
}

void db_read_end(struct db *d)
{
	if (!d->writing)
		db_exec(d, "COMMIT");
}

int store_write_begin(struct db *d)
{
	pthread_mutex_lock(&d->store->write_lock);
	if (db_exec(d, "BEGIN IMMEDIATE") < 0) {
		pthread_mutex_unlock(&d->store->write_lock);
		return -1;
	}
	d->writing = true;
	return 0;
}

int store_commit_then(struct db *d, void (*fn)(void *), void *ctx)
{
	int rc = db_exec(d, "COMMIT");

	if (rc < 0)
		db_exec(d, "ROLLBACK");
	else if (fn)
		fn(ctx);
	d->writing = false;
	pthread_mutex_unlock(&d->store->write_lock);
	return rc;
}

int store_commit(struct db *d)
{
	int rc = db_exec(d, "COMMIT");

	if (rc < 0)
		db_exec(d, "ROLLBACK");
	d->writing = false;
	pthread_mutex_unlock(&d->store->write_lock);
	return rc;
}

void store_rollback(struct db *d)
{
	if (!d->writing)
		return;
	db_exec(d, "ROLLBACK");
	d->writing = false;
	pthread_mutex_unlock(&d->store->write_lock);
}

bool store_in_write(struct db *d)
{
	return d->writing;
}

int64_t db_int(struct db *d, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st = db_stmt(d, sql);
	int64_t v = dflt;

	if (!st)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	db_done(st);
	return v;
}
