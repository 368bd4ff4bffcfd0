// SPDX-License-Identifier: MIT
#include "agent/agent.h"
#include "agent/revision.h"
#include "agent/routes.h"
#include "agent/vault.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Write a small file with mode 0600, replacing any old one. */
static int write_private(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t n = strlen(text);

	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) < 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) < 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* First start: no user at all. Create "admin" with a generated password. */
static int first_admin(struct agent *ag, char **first_password)
{
	static const char sql[] = "INSERT INTO users (name, role, pwhash, created, updated) "
				  "VALUES ('admin', 'admin', ?1, ?2, ?2)";
	struct db *d = store_db(ag->store);
	char pw[AGENT_PASSWORD_CHARS + 1], hash[crypto_pwhash_STRBYTES], path[4096], line[64];
	sqlite3_stmt *st;
	int rc;

	if (!d)
		return -1;
	if (db_int(d, "SELECT count(*) FROM users", -1) != 0)
		return 0;
	auth_new_password(pw, sizeof(pw));
	if (auth_password_hash(pw, hash) < 0)
		return -1;
	if (store_write_begin(d) < 0)
		return -1;
	/* Two processes may race on a fresh directory: only one creates the admin. */
	if (db_int(d, "SELECT count(*) FROM users", -1) != 0) {
		store_rollback(d);
		return 0;
	}
	st = db_stmt(d, sql);
	if (!st) {
		store_rollback(d);
		return -1;
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	db_done(st);
	snprintf(path, sizeof(path), "%s/admin-password", ag->state_dir);
	snprintf(line, sizeof(line), "%s\n", pw);
	if (rc != SQLITE_DONE || write_private(path, line) < 0) {
		log_err("agent: cannot create the admin user (%s)", rc != SQLITE_DONE
			? sqlite3_errmsg(db_handle(d)) : strerror(errno));
		store_rollback(d);
		sodium_memzero(pw, sizeof(pw));
		sodium_memzero(line, sizeof(line));
		return -1;
	}
	if (store_commit(d) < 0)
		return -1;
	sodium_memzero(line, sizeof(line));
	if (first_password)
		*first_password = strdup(pw);
	sodium_memzero(pw, sizeof(pw));
	log_info("agent: first start: created user admin (password in %s, mode 0600)", path);
	return 0;
}

int agent_open(struct agent *ag, const char *state_dir, char **first_password)
{
	char path[4096];
	struct stat st;

	memset(ag, 0, sizeof(*ag));
	if (first_password)
		*first_password = NULL;
	if (sodium_init() < 0) {
		log_err("agent: libsodium failed to initialise");
		return -1;
	}
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		log_err("agent: cannot create the state directory %s: %s", state_dir, strerror(errno));
		return -1;
	}
	if (stat(state_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_err("agent: %s is not a directory", state_dir);
		return -1;
	}
	ag->state_dir = strdup(state_dir);
	events_init(&ag->events);
	cache_init(&ag->cache);
	confirm_init(&ag->confirm);
	ag->history_max = HISTORY_DEFAULT;
	limiter_init(&ag->limiter);
	if (!ag->state_dir || metrics_init(&ag->metrics, routes_count) < 0)
		goto fail;
	ag->master_key = vault_key_load(state_dir);
	if (!ag->master_key)
		goto fail;
	snprintf(path, sizeof(path), "%s/secgw.db", state_dir);
	ag->store = store_open(path);
	if (!ag->store)
		goto fail;
	/* The database may hold values: keep it from other local users. */
	chmod(path, 0600);
	{
		struct db *d = store_db(ag->store);

		if (!d)
			goto fail;
		atomic_store(&ag->revision, revision_current(d));
	}
	if (first_admin(ag, first_password) < 0)
		goto fail;
	return 0;
fail:
	agent_close(ag);
	return -1;
}

void agent_close(struct agent *ag)
{
	if (ag->store)
		store_close(ag->store);
	ag->store = NULL;
	vault_key_free(ag->master_key);
	ag->master_key = NULL;
	metrics_destroy(&ag->metrics);
	events_destroy(&ag->events);
	cache_destroy(&ag->cache);
	confirm_destroy(&ag->confirm);
	limiter_destroy(&ag->limiter);
	free(ag->state_dir);
	ag->state_dir = NULL;
}
