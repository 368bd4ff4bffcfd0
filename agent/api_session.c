// SPDX-License-Identifier: MIT
/*
 * /session: log in with a password (POST), see who is logged in (GET), log
 * out (DELETE). The session lives in an HttpOnly, SameSite=Strict cookie
 * (Secure under HTTPS); the answer to the login carries the CSRF token that
 * every mutation made with the cookie must echo in X-CSRF-Token.
 *
 * The adversary is a password guesser: failures are limited per (user,
 * source address) with 429 and Retry-After, an unknown user costs the same
 * Argon2 verification as a known one, and every failure is audited.
 */
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/routes.h"
#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static json_t *session_info(struct req *r, const char *csrf, int64_t expires)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "user", r->who.name, "role", role_name(r->who.role),
			      "auth", r->who.kind == AUTH_TOKEN ? "token" : "session");

	if (csrf)
		json_object_set_new(o, "csrf_token", json_string(csrf));
	if (expires)
		json_object_set_new(o, "expires", json_integer(expires));
	return o;
}

enum hres api_session_get(struct req *r)
{
	static const char sql[] = "SELECT csrf, expires FROM sessions WHERE id = ?1";
	struct db *d = store_db(r->ag->store);
	sqlite3_stmt *st;
	json_t *o;

	if (r->who.kind != AUTH_SESSION)
		return reply_json(r, 200, session_info(r, NULL, 0));
	st = d ? db_stmt(d, sql) : NULL;
	if (!st)
		return H_FATAL;
	sqlite3_bind_int64(st, 1, r->who.session_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = session_info(r, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
	else
		o = session_info(r, NULL, 0);
	db_done(st);
	return reply_json(r, 200, o);
}

/* The stored hash and role of a user; false when there is no such user. */
static bool user_lookup(struct db *d, const char *name, char *hash, size_t hlen, struct principal *p)
{
	static const char sql[] = "SELECT id, role, pwhash FROM users WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	bool found = false;

	if (!st)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->user_id = sqlite3_column_int64(st, 0);
		p->role = role_parse((const char *)sqlite3_column_text(st, 1));
		snprintf(hash, hlen, "%s", sqlite3_column_text(st, 2));
		snprintf(p->name, sizeof(p->name), "%s", name);
		found = true;
	}
	db_done(st);
	return found;
}

enum hres api_session_login(struct req *r)
{
	static const char sql[] = "INSERT INTO sessions (user_id, hash, csrf, created, expires, source) "
				  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	struct agent *ag = r->ag;
	struct db *d = store_db(ag->store);
	const char *user = json_string_value(json_object_get(r->json, "username"));
	const char *pw = json_string_value(json_object_get(r->json, "password"));
	char hash[crypto_pwhash_STRBYTES], cookie[AUTH_SECRET_TEXT], csrf[AUTH_SECRET_TEXT];
	char header[256];
	uint8_t h[AUTH_HASH_BYTES];
	int64_t now = (int64_t)time(NULL), expires = now + SESSION_TTL_S;
	struct principal p = { 0 };
	struct ferrs e;
	const char *key;
	json_t *v;
	bool known, good;
	sqlite3_stmt *st;
	int wait, rc;

	if (!d)
		return H_FATAL;
	ferrs_init(&e);
	json_object_foreach(r->json, key, v)
		if (strcmp(key, "username") != 0 && strcmp(key, "password") != 0)
			ferrs_add(&e, key, "unknown field");
	if (!user || !name_valid(user))
		ferrs_add(&e, "username", "is required (a user name)");
	if (!pw || json_string_length(json_object_get(r->json, "password")) > PASSWORD_MAX)
		ferrs_add(&e, "password", "is required (a string of at most 128 bytes)");
	if (ferrs_count(&e))
		return reply_invalid(r, &e);
	ferrs_free(&e);

	wait = limiter_wait(&ag->limiter, user, r->source, now);
	if (wait > 0) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%d", wait);
		reply_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
		audit_write(d, r, user, "login.limited", user, 429, 0, "too many failed logins");
		return reply_problemf(r, P_RATE_LIMITED, "too many failed logins for \"%s\" from %s; "
				      "try again in %d seconds", user, r->source, wait);
	}
	known = user_lookup(d, user, hash, sizeof(hash), &p);
	/* Verify even for an unknown user, so timing does not tell who exists. */
	good = auth_password_verify(known ? hash : ag->dummy_hash, pw) && known;
	sodium_memzero(hash, sizeof(hash));
	if (!good) {
		limiter_fail(&ag->limiter, user, r->source, now);
		audit_write(d, r, user, "login.failed", user, 401, 0,
			    known ? "wrong password" : "unknown user");
		return reply_problem(r, P_UNAUTHORIZED, "wrong user name or password", NULL);
	}
	limiter_clear(&ag->limiter, user, r->source);

	auth_new_secret("", cookie, sizeof(cookie));
	auth_new_secret("", csrf, sizeof(csrf));
	auth_hash(cookie, h);
	if (store_write_begin(d) < 0)
		return H_FATAL;
	/* Sweep expired sessions while we hold the lock anyway. */
	db_exec(d, "DELETE FROM sessions WHERE expires <= strftime('%s','now')");
	st = db_stmt(d, sql);
	if (!st) {
		store_rollback(d);
		return H_FATAL;
	}
	sqlite3_bind_int64(st, 1, p.user_id);
	sqlite3_bind_blob(st, 2, h, sizeof(h), SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, csrf, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires);
	sqlite3_bind_text(st, 6, r->source, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	p.kind = AUTH_SESSION;
	r->who = p;
	if (rc != SQLITE_DONE || audit_write(d, r, NULL, "login", user, 201, 0, "") < 0 ||
	    store_commit(d) < 0) {
		store_rollback(d);
		return H_FATAL;
	}
	snprintf(header, sizeof(header), SESSION_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s",
		 cookie, SESSION_TTL_S, ag->tls ? "; Secure" : "");
	sodium_memzero(cookie, sizeof(cookie));
	reply_header(r, MHD_HTTP_HEADER_SET_COOKIE, header);
	return reply_json(r, 201, session_info(r, csrf, expires));
}

enum hres api_session_logout(struct req *r)
{
	static const char sql[] = "DELETE FROM sessions WHERE id = ?1";
	struct db *d = store_db(r->ag->store);
	sqlite3_stmt *st;

	if (r->who.kind != AUTH_SESSION)
		return reply_problem(r, P_BAD_REQUEST, "not logged in with a session (tokens are revoked at /tokens)", NULL);
	if (!d || store_write_begin(d) < 0)
		return H_FATAL;
	st = db_stmt(d, sql);
	if (st) {
		sqlite3_bind_int64(st, 1, r->who.session_id);
		sqlite3_step(st);
		db_done(st);
	}
	if (!st || audit_write(d, r, NULL, "logout", r->who.name, 204, 0, "") < 0 || store_commit(d) < 0) {
		store_rollback(d);
		return H_FATAL;
	}
	reply_header(r, MHD_HTTP_HEADER_SET_COOKIE,
		     SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
	return reply_empty(r, 204);
}
