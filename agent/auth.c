// SPDX-License-Identifier: MIT
#include "agent/auth.h"
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/routes.h"
#include "log.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void limiter_init(struct login_limiter *l)
{
	memset(l->e, 0, sizeof(l->e));
	pthread_mutex_init(&l->lock, NULL);
	randombytes_buf(l->hkey, sizeof(l->hkey));
}

void limiter_destroy(struct login_limiter *l)
{
	pthread_mutex_destroy(&l->lock);
}

/* A keyed hash, so that nobody can aim colliding pairs at one slot. */
static uint64_t pair_key(struct login_limiter *l, const char *user, const char *addr)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t k;

	{
		unsigned char buf[256 + 64];
		size_t ul = strnlen(user, 200), al = strnlen(addr, 63);

		memcpy(buf, user, ul);
		buf[ul] = 0;
		memcpy(buf + ul + 1, addr, al);
		crypto_shorthash(out, buf, ul + 1 + al, l->hkey);
	}
	memcpy(&k, out, sizeof(k));
	return k | 1;	/* 0 marks a free slot */
}

/* The slot for key: its own, else a free or expired one, else the oldest. */
static int slot(struct login_limiter *l, uint64_t key, int64_t now, bool create)
{
	int free_i = -1, oldest = 0;

	for (int i = 0; i < LOGIN_TRACK_MAX; i++) {
		if (l->e[i].key == key)
			return i;
		if (free_i < 0 && (l->e[i].key == 0 || now - l->e[i].first >= LOGIN_WINDOW_S))
			free_i = i;
		if (l->e[i].first < l->e[oldest].first)
			oldest = i;
	}
	if (!create)
		return -1;
	if (free_i < 0)
		free_i = oldest;
	l->e[free_i].key = key;
	l->e[free_i].fails = 0;
	l->e[free_i].first = now;
	return free_i;
}

int limiter_wait(struct login_limiter *l, const char *user, const char *addr, int64_t now)
{
	uint64_t key = pair_key(l, user, addr);
	int wait = 0, i;

	pthread_mutex_lock(&l->lock);
	i = slot(l, key, now, false);
	if (i >= 0 && now - l->e[i].first < LOGIN_WINDOW_S && l->e[i].fails >= LOGIN_FAILS_MAX)
		wait = (int)(l->e[i].first + LOGIN_WINDOW_S - now);
	pthread_mutex_unlock(&l->lock);
	return wait > 0 ? wait : 0;
}

void limiter_fail(struct login_limiter *l, const char *user, const char *addr, int64_t now)
{
	uint64_t key = pair_key(l, user, addr);
	int i;

	pthread_mutex_lock(&l->lock);
	i = slot(l, key, now, true);
	if (now - l->e[i].first >= LOGIN_WINDOW_S) {
		l->e[i].first = now;
		l->e[i].fails = 0;
	}
	l->e[i].fails++;
	pthread_mutex_unlock(&l->lock);
}

void limiter_clear(struct login_limiter *l, const char *user, const char *addr)
{
	uint64_t key = pair_key(l, user, addr);
	int i;

	pthread_mutex_lock(&l->lock);
	i = slot(l, key, 0, false);
	if (i >= 0)
		l->e[i].key = 0;
	pthread_mutex_unlock(&l->lock);
}

int auth_password_hash(const char *pw, char *out)
{
	return crypto_pwhash_str(out, pw, strlen(pw), PW_OPSLIMIT, PW_MEMLIMIT);
}

bool auth_password_verify(const char *hash, const char *pw)
{
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void auth_new_secret(const char *prefix, char *out, size_t len)
{
	unsigned char raw[AUTH_SECRET_BYTES];
	size_t pl = strlen(prefix);

	randombytes_buf(raw, sizeof(raw));
	if (len < pl + sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
		out[0] = '\0';
		return;
	}
	memcpy(out, prefix, pl);
	sodium_bin2base64(out + pl, len - pl, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void auth_hash(const char *secret, uint8_t out[AUTH_HASH_BYTES])
{
	crypto_generichash(out, AUTH_HASH_BYTES, (const unsigned char *)secret, strlen(secret), NULL, 0);
}

void auth_new_password(char *out, size_t len)
{
	/* No look-alikes (0/O, 1/l/I): people type it once from a terminal. */
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	size_t n = len - 1 < AGENT_PASSWORD_CHARS ? len - 1 : AGENT_PASSWORD_CHARS;

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[n] = '\0';
}

int64_t auth_token_create(struct db *d, int64_t user_id, const char *name, int64_t expires,
			  char *out, size_t len)
{
	static const char sql[] = "INSERT INTO tokens (user_id, name, hash, created, expires) "
				  "VALUES (?1, ?2, ?3, ?4, ?5)";
	uint8_t h[AUTH_HASH_BYTES];
	sqlite3_stmt *st = db_stmt(d, sql);
	int64_t id = -1;

	if (!st)
		return -1;
	auth_new_secret(TOKEN_PREFIX, out, len);
	auth_hash(out, h);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, h, sizeof(h), SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	if (expires > 0)
		sqlite3_bind_int64(st, 5, expires);
	else
		sqlite3_bind_null(st, 5);
	if (sqlite3_step(st) == SQLITE_DONE)
		id = sqlite3_last_insert_rowid(db_handle(d));
	else
		log_err("auth: creating a token: %s", sqlite3_errmsg(db_handle(d)));
	db_done(st);
	return id;
}

static enum hres deny(struct req *r, struct db *d, const char *why)
{
	audit_write(d, r, "", "auth.failed", r->url, 401, 0, why);
	reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"secgw\"");
	return reply_problemf(r, P_UNAUTHORIZED, "%s", why);
}

static enum hres by_token(struct req *r, struct db *d, const char *token)
{
	static const char sql[] =
		"SELECT t.id, t.expires, t.revoked, u.id, u.name, u.role FROM tokens t "
		"JOIN users u ON u.id = t.user_id WHERE t.hash = ?1";
	uint8_t h[AUTH_HASH_BYTES];
	sqlite3_stmt *st = db_stmt(d, sql);
	const char *why = NULL;

	if (!st)
		return H_FATAL;
	auth_hash(token, h);
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		why = "unknown bearer token";
	} else if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		why = "the bearer token was revoked";
	} else if (sqlite3_column_type(st, 1) != SQLITE_NULL &&
		   sqlite3_column_int64(st, 1) <= (int64_t)time(NULL)) {
		why = "the bearer token has expired";
	} else {
		r->who.kind = AUTH_TOKEN;
		r->who.token_id = sqlite3_column_int64(st, 0);
		r->who.user_id = sqlite3_column_int64(st, 3);
		snprintf(r->who.name, sizeof(r->who.name), "%s", sqlite3_column_text(st, 4));
		r->who.role = role_parse((const char *)sqlite3_column_text(st, 5));
	}
	db_done(st);
	return why ? deny(r, d, why) : H_OK;
}

static enum hres by_session(struct req *r, struct db *d, const char *cookie, char *csrf, size_t csrf_len)
{
	static const char sql[] =
		"SELECT s.id, s.expires, s.csrf, u.id, u.name, u.role FROM sessions s "
		"JOIN users u ON u.id = s.user_id WHERE s.hash = ?1";
	uint8_t h[AUTH_HASH_BYTES];
	sqlite3_stmt *st = db_stmt(d, sql);
	const char *why = NULL;

	if (!st)
		return H_FATAL;
	auth_hash(cookie, h);
	sqlite3_bind_blob(st, 1, h, sizeof(h), SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		why = "unknown or ended session (log in again)";
	} else if (sqlite3_column_int64(st, 1) <= (int64_t)time(NULL)) {
		why = "the session has expired (log in again)";
	} else {
		r->who.kind = AUTH_SESSION;
		r->who.session_id = sqlite3_column_int64(st, 0);
		snprintf(csrf, csrf_len, "%s", sqlite3_column_text(st, 2));
		r->who.user_id = sqlite3_column_int64(st, 3);
		snprintf(r->who.name, sizeof(r->who.name), "%s", sqlite3_column_text(st, 4));
		r->who.role = role_parse((const char *)sqlite3_column_text(st, 5));
	}
	db_done(st);
	return why ? deny(r, d, why) : H_OK;
}

enum hres auth_request(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	const char *authz = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	char cookie[AUTH_SECRET_TEXT + 16], csrf[AUTH_SECRET_TEXT + 16] = "";
	enum hres h;

	if (!d) {
		reply_problem(r, P_INTERNAL, "the database is not available", NULL);
		return H_ANSWERED;
	}
	if (authz) {
		if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > AUTH_SECRET_TEXT + 16)
			return deny(r, d, "the Authorization header must be \"Bearer <token>\"");
		h = by_token(r, d, authz + 7);
	} else if (req_cookie(r, SESSION_COOKIE, cookie, sizeof(cookie))) {
		h = by_session(r, d, cookie, csrf, sizeof(csrf));
	} else {
		return deny(r, d, "no bearer token or session cookie");
	}
	if (h != H_OK)
		return h;
	if ((int)r->who.role < (int)r->route->min_role) {
		char detail[160];

		snprintf(detail, sizeof(detail), "%s %s needs the %s role (user %s is %s)",
			 method_name(r->method), r->route->pattern, role_name(r->route->min_role),
			 r->who.name, role_name(r->who.role));
		audit_write(d, r, NULL, "auth.forbidden", r->url, 403, 0, detail);
		return reply_problem(r, P_FORBIDDEN, detail, NULL);
	}
	if (r->who.kind == AUTH_SESSION && r->method != M_GET && r->method != M_HEAD) {
		/* SameSite=Strict stops most cross-site requests; the header stops the rest. */
		const char *given = req_header(r, CSRF_HEADER);

		if (!given || strlen(given) != strlen(csrf) ||
		    sodium_memcmp(given, csrf, strlen(csrf)) != 0) {
			audit_write(d, r, NULL, "auth.csrf", r->url, 403, 0, "missing or wrong " CSRF_HEADER);
			return reply_problemf(r, P_CSRF, "a request with a session cookie that changes something "
					      "needs the %s header from the login answer", CSRF_HEADER);
		}
	}
	return H_OK;
}
