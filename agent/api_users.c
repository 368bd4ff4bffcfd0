// SPDX-License-Identifier: MIT
/*
 * /users[/{name}] (admin only): people who log in. Passwords are Argon2id
 * hashes; no answer carries one. The last admin cannot be removed or
 * demoted, so the agent can always be administered. Changes to users are
 * audited; they are not configuration, so they make no revision.
 */
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/routes.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static json_t *user_row(sqlite3_stmt *st)
{
	return json_pack("{s:s, s:s, s:I, s:I}", "name", sqlite3_column_text(st, 0),
			 "role", sqlite3_column_text(st, 1),
			 "created", (json_int_t)sqlite3_column_int64(st, 2),
			 "updated", (json_int_t)sqlite3_column_int64(st, 3));
}

enum hres api_users_list(struct req *r)
{
	static const char sql[] = "SELECT name, role, created, updated FROM users ORDER BY name";
	struct db *d = store_db(r->ag->store);
	sqlite3_stmt *st = d ? db_stmt(d, sql) : NULL;
	json_t *items = json_array();

	if (!st) {
		json_decref(items);
		return H_FATAL;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, user_row(st));
	db_done(st);
	return reply_json_tagged(r, json_pack("{s:o}", "items", items), NULL);
}

/* The user as served, and (etag not NULL) its validator, which also covers the password hash. */
static json_t *user_get(struct db *d, const char *name, char *etag)
{
	static const char sql[] = "SELECT name, role, created, updated, pwhash FROM users WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	json_t *u = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		u = user_row(st);
		if (u && etag)
			etag_content(etag, ETAG_CONTENT_MAX, u, (const char *)sqlite3_column_text(st, 4));
	}
	db_done(st);
	return u;
}

/* Answer with the user and its ETag. */
static enum hres reply_user(struct req *r, unsigned status, struct db *d, const char *name)
{
	char etag[ETAG_CONTENT_MAX];
	json_t *u = user_get(d, name, etag);

	if (!u)
		return H_FATAL;
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	return reply_json(r, status, u);
}

/* Inside the write transaction: does If-Match (if any) name the user as it is now? */
static bool user_unchanged(struct req *r, struct db *d, const char *name)
{
	char etag[ETAG_CONTENT_MAX];
	json_t *u = user_get(d, name, etag);
	bool found = u != NULL;

	json_decref(u);
	return etag_check(r, found ? etag : NULL);
}

/* Fields of a users body: role, password (and name for POST). */
static void check_fields(struct req *r, bool create, struct ferrs *e)
{
	const char *key;
	json_t *v;

	ferrs_init(e);
	json_object_foreach(r->json, key, v) {
		if (strcmp(key, "role") == 0) {
			if (role_parse(json_string_value(v)) < 0)
				ferrs_add(e, key, "must be \"admin\", \"operator\" or \"viewer\"");
		} else if (strcmp(key, "password") == 0) {
			size_t n = json_string_length(v);

			if (!json_is_string(v))
				ferrs_add(e, key, "must be a string");
			else if (n < PASSWORD_MIN || n > PASSWORD_MAX || memchr(json_string_value(v), 0, n))
				ferrs_addf(e, key, "must be %d to %d bytes", PASSWORD_MIN, PASSWORD_MAX);
		} else if (strcmp(key, "name") == 0 && create) {
			if (!json_is_string(v) || !name_valid(json_string_value(v)))
				ferrs_add(e, key, "must be 1 to 64 of A-Z a-z 0-9 _ . -");
		} else {
			ferrs_add(e, key, "unknown field");
		}
	}
	if (create) {
		if (!json_object_get(r->json, "name"))
			ferrs_add(e, "name", "is required");
		if (!json_object_get(r->json, "role"))
			ferrs_add(e, "role", "is required");
		if (!json_object_get(r->json, "password"))
			ferrs_add(e, "password", "is required");
	}
}

/* The body is fine; or 422 was answered. */
static bool fields_ok(struct req *r, bool create)
{
	struct ferrs e;

	check_fields(r, create, &e);
	if (ferrs_count(&e)) {
		reply_invalid(r, &e);
		return false;
	}
	ferrs_free(&e);
	return true;
}

enum hres api_users_create(struct req *r)
{
	static const char sql[] = "INSERT INTO users (name, role, pwhash, created, updated) "
				  "VALUES (?1, ?2, ?3, ?4, ?4)";
	struct db *d = store_db(r->ag->store);
	const char *name = json_string_value(json_object_get(r->json, "name"));
	char hash[crypto_pwhash_STRBYTES], location[128];
	sqlite3_stmt *st;
	int rc;

	if (!d)
		return H_FATAL;
	if (!fields_ok(r, true))
		return H_ANSWERED;
	/* Hash before taking the write lock: Argon2 is slow on purpose. */
	if (auth_password_hash(json_string_value(json_object_get(r->json, "password")), hash) < 0)
		return H_FATAL;
	if (store_write_begin(d) < 0)
		return H_FATAL;
	st = db_stmt(d, sql);
	if (!st) {
		store_rollback(d);
		return H_FATAL;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(r->json, "role")), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	db_done(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		store_rollback(d);
		return reply_problemf(r, P_CONFLICT, "a user named \"%s\" exists already", name);
	}
	if (rc != SQLITE_DONE || audit_write(d, r, NULL, "user.create", name, 201, 0,
					     json_string_value(json_object_get(r->json, "role"))) < 0 ||
	    store_commit(d) < 0) {
		store_rollback(d);
		return H_FATAL;
	}
	snprintf(location, sizeof(location), API_PREFIX "/users/%s", name);
	reply_header(r, MHD_HTTP_HEADER_LOCATION, location);
	return reply_user(r, 201, d, name);
}

enum hres api_user_get(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	char etag[ETAG_CONTENT_MAX];
	json_t *u = d ? user_get(d, req_param(r, 0), etag) : NULL;

	if (!d)
		return H_FATAL;
	if (!u)
		return reply_problemf(r, P_NOT_FOUND, "no user named \"%s\"", req_param(r, 0));
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (etag_fresh(r, etag)) {
		json_decref(u);
		return reply_empty(r, 304);
	}
	return reply_json(r, 200, u);
}

/* Would this leave no admin? (inside the write transaction) */
static bool last_admin(struct db *d, const char *name)
{
	static const char sql[] = "SELECT count(*) FROM users WHERE role = 'admin' AND name <> ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	int64_t others = 1;

	if (!st)
		return true;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		others = sqlite3_column_int64(st, 0);
	db_done(st);
	return others == 0;
}

static const char *current_role(struct db *d, const char *name, char *out)
{
	static const char sql[] = "SELECT role FROM users WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	const char *res = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out, 16, "%s", sqlite3_column_text(st, 0));
		res = out;
	}
	db_done(st);
	return res;
}

enum hres api_user_patch(struct req *r)
{
	static const char sql[] = "UPDATE users SET role = COALESCE(?2, role), pwhash = COALESCE(?3, pwhash), "
				  "updated = ?4 WHERE name = ?1";
	static const char end_sessions[] = "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)";
	struct db *d = store_db(r->ag->store);
	const char *name = req_param(r, 0);
	const char *role = json_string_value(json_object_get(r->json, "role"));
	const char *pw = json_string_value(json_object_get(r->json, "password"));
	char hash[crypto_pwhash_STRBYTES], cur[16];
	sqlite3_stmt *st;
	int rc;

	if (!d)
		return H_FATAL;
	if (!fields_ok(r, false))
		return H_ANSWERED;
	if (pw && auth_password_hash(pw, hash) < 0)
		return H_FATAL;
	if (store_write_begin(d) < 0)
		return H_FATAL;
	if (!current_role(d, name, cur)) {
		store_rollback(d);
		return reply_problemf(r, P_NOT_FOUND, "no user named \"%s\"", name);
	}
	if (!user_unchanged(r, d, name)) {
		store_rollback(d);
		return H_ANSWERED;
	}
	if (role && strcmp(cur, "admin") == 0 && strcmp(role, "admin") != 0 && last_admin(d, name)) {
		store_rollback(d);
		return reply_problemf(r, P_CONFLICT, "\"%s\" is the last admin; make another admin first", name);
	}
	st = db_stmt(d, sql);
	if (!st) {
		store_rollback(d);
		return H_FATAL;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (role)
		sqlite3_bind_text(st, 2, role, -1, SQLITE_TRANSIENT);
	if (pw)
		sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	db_done(st);
	/* A new password or role ends the user's web sessions (tokens stay: revoke those explicitly). */
	if (rc == SQLITE_DONE && (pw || role)) {
		st = db_stmt(d, end_sessions);
		if (st) {
			sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
			rc = sqlite3_step(st);
			db_done(st);
		}
	}
	if (rc != SQLITE_DONE || audit_write(d, r, NULL, "user.update", name, 200, 0,
					     pw ? (role ? "role and password" : "password") : "role") < 0 ||
	    store_commit(d) < 0) {
		store_rollback(d);
		return H_FATAL;
	}
	return reply_user(r, 200, d, name);
}

enum hres api_user_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM users WHERE name = ?1";
	struct db *d = store_db(r->ag->store);
	const char *name = req_param(r, 0);
	char cur[16];
	sqlite3_stmt *st;
	int rc;

	if (!d || store_write_begin(d) < 0)
		return H_FATAL;
	if (!current_role(d, name, cur)) {
		store_rollback(d);
		return reply_problemf(r, P_NOT_FOUND, "no user named \"%s\"", name);
	}
	if (!user_unchanged(r, d, name)) {
		store_rollback(d);
		return H_ANSWERED;
	}
	if (strcmp(cur, "admin") == 0 && last_admin(d, name)) {
		store_rollback(d);
		return reply_problemf(r, P_CONFLICT, "\"%s\" is the last admin and cannot be removed", name);
	}
	st = db_stmt(d, sql);
	if (!st) {
		store_rollback(d);
		return H_FATAL;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE || audit_write(d, r, NULL, "user.delete", name, 204, 0, "") < 0 ||
	    store_commit(d) < 0) {
		store_rollback(d);
		return H_FATAL;
	}
	return reply_empty(r, 204);
}
