/* SPDX-License-Identifier: MIT */
/*
 * Who is asking: bearer tokens (scripts), cookie sessions with a CSRF header
 * (the web UI), Argon2id passwords, and the failed-login limiter.
 *
 * Tokens and session cookies are 32 random bytes (base64url) shown once and
 * stored only as a BLAKE2b hash, so a copy of the database lets nobody in.
 * The adversary here is a guesser on the network: failed logins are limited
 * per (user, source address), unknown users cost the same time as known ones,
 * and every failure is audited.
 */
#ifndef SECGW_AGENT_AUTH_H
#define SECGW_AGENT_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/http.h"

enum {
	AUTH_SECRET_BYTES = 32,		/* tokens, session cookies, CSRF tokens */
	AUTH_SECRET_TEXT = 48,		/* prefix + base64url of 32 bytes + NUL */
	AUTH_HASH_BYTES = 32,
	SESSION_TTL_S = 8 * 3600,
	TOKEN_TTL_MAX_S = 10 * 366 * 86400,
	PASSWORD_MIN = 8,
	PASSWORD_MAX = 128,
	/* Argon2id cost: OWASP's 19 MiB, t=2 (tolerable on a small router). */
	PW_OPSLIMIT = 2,
	PW_MEMLIMIT = 19 * 1024 * 1024,
	LOGIN_FAILS_MAX = 5,		/* failures per (user, address) in a window */
	LOGIN_WINDOW_S = 300,
	LOGIN_TRACK_MAX = 1024,		/* (user, address) pairs remembered */
};

#define SESSION_COOKIE "secgw_session"
#define CSRF_HEADER "X-CSRF-Token"
#define TOKEN_PREFIX "sgw_"

struct login_limiter {
	pthread_mutex_t lock;
	struct {
		uint64_t key;		/* keyed hash of user and address */
		uint32_t fails;
		int64_t first;		/* start of the window */
	} e[LOGIN_TRACK_MAX];
	unsigned char hkey[16];
};

void limiter_init(struct login_limiter *l);
void limiter_destroy(struct login_limiter *l);
/* Seconds until (user, addr) may try again; 0 when it may now. */
int limiter_wait(struct login_limiter *l, const char *user, const char *addr, int64_t now);
void limiter_fail(struct login_limiter *l, const char *user, const char *addr, int64_t now);
void limiter_clear(struct login_limiter *l, const char *user, const char *addr);

/* Argon2id (crypto_pwhash_str); out must hold crypto_pwhash_STRBYTES. */
int auth_password_hash(const char *pw, char *out);
bool auth_password_verify(const char *hash, const char *pw);
/* A random secret as text, "<prefix>" + base64url(32 bytes). */
void auth_new_secret(const char *prefix, char *out, size_t len);
void auth_hash(const char *secret, uint8_t out[AUTH_HASH_BYTES]);
/* A random password of AGENT_PASSWORD_CHARS letters and digits. */
void auth_new_password(char *out, size_t len);

struct req;
struct db;
/* Authenticate the request, check the route's role and (for cookie
 * sessions) the CSRF header. Answers 401/403 itself; H_OK when allowed. */
enum hres auth_request(struct req *r);

/* Create a token for user_id; the text (shown once) goes to out. Returns the id or -1. */
int64_t auth_token_create(struct db *d, int64_t user_id, const char *name, int64_t expires,
			  char *out, size_t len);

#endif
