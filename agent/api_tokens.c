// SPDX-License-Identifier: MIT
/*
 * /tokens[/{id}]: bearer tokens for scripts. Every user manages their own;
 * an admin sees and revokes everyone's and may create one for another user.
 * The token text is in the 201 answer and nowhere else, ever: the database
 * keeps a hash. Revoking keeps the row (revoked time) so the list tells what
 * happened.
 */
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/routes.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *token_row(sqlite3_stmt *st)
{
	json_t *t = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			      "name", sqlite3_column_text(st, 1), "user", sqlite3_column_text(st, 2),
			      "created", (json_int_t)sqlite3_column_int64(st, 3));

	json_object_set_new(t, "expires", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null()
				: json_integer(sqlite3_column_int64(st, 4)));
	json_object_set_new(t, "revoked", sqlite3_column_type(st, 5) == SQLITE_NULL ? json_null()
				: json_integer(sqlite3_column_int64(st, 5)));
	return t;
}

#define TOKEN_COLUMNS "SELECT t.id, t.name, u.name, t.created, t.expires, t.revoked " \
		      "FROM tokens t JOIN users u ON u.id = t.user_id "

enum hres api_tokens_list(struct req *r)
{
	static const char all[] = TOKEN_COLUMNS "ORDER BY t.id";
	static const char own[] = TOKEN_COLUMNS "WHERE t.user_id = ?1 ORDER BY t.id";
	struct db *d = store_db(r->ag->store);
	bool admin = r->who.role == ROLE_ADMIN;
	sqlite3_stmt *st = d ? db_stmt(d, admin ? all : own) : NULL;
	json_t *items = json_array();

	if (!st) {
		json_decref(items);
		return H_FATAL;
	}
	if (!admin)
		sqlite3_bind_int64(st, 1, r->who.user_id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(items, token_row(st));
	db_done(st);
	return reply_json_tagged(r, json_pack("{s:o}", "items", items), NULL);
}

/* The token {id} if this user may see it; NULL (404 answered) otherwise. */
static json_t *visible(struct req *r, struct db *d)
{
	static const char sql[] = TOKEN_COLUMNS "WHERE t.id = ?1 AND (?2 OR t.user_id = ?3)";
	char *end;
	long long id = strtoll(req_param(r, 0), &end, 10);
	sqlite3_stmt *st;
	json_t *t = NULL;

	if (*end || id <= 0) {
		reply_problemf(r, P_NOT_FOUND, "no token with id \"%s\"", req_param(r, 0));
		return NULL;
	}
	st = db_stmt(d, sql);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, r->who.role == ROLE_ADMIN);
	sqlite3_bind_int64(st, 3, r->who.user_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = token_row(st);
	db_done(st);
	if (!t)
		reply_problemf(r, P_NOT_FOUND, "no token with id %lld", id);
	return t;
}

enum hres api_token_get(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	json_t *t;

	if (!d)
		return H_FATAL;
	t = visible(r, d);
	if (!t)
		return r->status ? H_ANSWERED : H_FATAL;
	return reply_json_tagged(r, t, NULL);
}

enum hres api_token_delete(struct req *r)
{
	static const char sql[] = "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL";
	struct db *d = store_db(r->ag->store);
	json_t *t;
	sqlite3_stmt *st;
	int rc;
	char target[96];

	if (!d || store_write_begin(d) < 0)
		return H_FATAL;
	t = visible(r, d);
	if (!t) {
		store_rollback(d);
		return r->status ? H_ANSWERED : H_FATAL;
	}
	{
		char etag[ETAG_CONTENT_MAX];

		etag_content(etag, sizeof(etag), t, NULL);
		if (!etag_check(r, etag)) {
			json_decref(t);
			store_rollback(d);
			return H_ANSWERED;
		}
	}
	snprintf(target, sizeof(target), "%lld (%s)",
		 (long long)json_integer_value(json_object_get(t, "id")),
		 json_string_value(json_object_get(t, "name")));
	st = db_stmt(d, sql);
	if (!st) {
		json_decref(t);
		store_rollback(d);
		return H_FATAL;
	}
	sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(t, "id")));
	sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	db_done(st);
	json_decref(t);
	if (rc != SQLITE_DONE || audit_write(d, r, NULL, "token.revoke", target, 204, 0, "") < 0 ||
	    store_commit(d) < 0) {
		store_rollback(d);
		return H_FATAL;
	}
	return reply_empty(r, 204);
}

static int64_t user_id_by_name(struct db *d, const char *name)
{
	static const char sql[] = "SELECT id FROM users WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	int64_t id = -1;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	db_done(st);
	return id;
}

enum hres api_tokens_create(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	const char *name = json_string_value(json_object_get(r->json, "name"));
	const char *user = json_string_value(json_object_get(r->json, "user"));
	const json_t *exp = json_object_get(r->json, "expires_in");
	char token[AUTH_SECRET_TEXT + 8], target[128];
	int64_t uid = r->who.user_id, expires = 0, id;
	struct ferrs e;
	const char *key;
	json_t *v, *t;

	if (!d)
		return H_FATAL;
	ferrs_init(&e);
	json_object_foreach(r->json, key, v)
		if (strcmp(key, "name") != 0 && strcmp(key, "user") != 0 && strcmp(key, "expires_in") != 0)
			ferrs_add(&e, key, "unknown field");
	if (!name || !name_valid(name))
		ferrs_add(&e, "name", json_object_get(r->json, "name") ? "must be 1 to 64 of A-Z a-z 0-9 _ . -"
									: "is required");
	if (exp && (!json_is_integer(exp) || json_integer_value(exp) < 1 ||
		    json_integer_value(exp) > TOKEN_TTL_MAX_S))
		ferrs_addf(&e, "expires_in", "must be seconds, 1 to %d (leave it out for no expiry)",
			   TOKEN_TTL_MAX_S);
	if (json_object_get(r->json, "user") && (!user || !name_valid(user)))
		ferrs_add(&e, "user", "must be a user name");
	if (ferrs_count(&e))
		return reply_invalid(r, &e);
	ferrs_free(&e);
	if (user && strcmp(user, r->who.name) != 0 && r->who.role != ROLE_ADMIN)
		return reply_problem(r, P_FORBIDDEN, "only an admin creates tokens for other users", NULL);
	if (exp)
		expires = (int64_t)time(NULL) + json_integer_value(exp);
	if (store_write_begin(d) < 0)
		return H_FATAL;
	if (user) {
		uid = user_id_by_name(d, user);
		if (uid < 0) {
			store_rollback(d);
			ferrs_init(&e);
			ferrs_addf(&e, "user", "no user named \"%s\"", user);
			return reply_invalid(r, &e);
		}
	}
	id = auth_token_create(d, uid, name, expires, token, sizeof(token));
	snprintf(target, sizeof(target), "%lld (%s) for %s", (long long)id, name, user ? user : r->who.name);
	if (id < 0 || audit_write(d, r, NULL, "token.create", target, 201, 0, "") < 0 || store_commit(d) < 0) {
		store_rollback(d);
		sodium_memzero(token, sizeof(token));
		return H_FATAL;
	}
	t = json_pack("{s:I, s:s, s:s, s:s, s:I}", "id", (json_int_t)id, "name", name,
		      "user", user ? user : r->who.name, "token", token, "created", (json_int_t)time(NULL));
	json_object_set_new(t, "expires", expires ? json_integer(expires) : json_null());
	sodium_memzero(token, sizeof(token));
	snprintf(target, sizeof(target), API_PREFIX "/tokens/%lld", (long long)id);
	reply_header(r, MHD_HTTP_HEADER_LOCATION, target);
	return reply_json(r, 201, t);
}
