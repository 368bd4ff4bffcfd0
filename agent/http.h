/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side of the agent: libmicrohttpd glue, one request context, the
 * limits checked before anything is allocated, and the reply functions every
 * handler uses. Routing is table-driven (agent/routes.c); each resource has
 * its own api_*.c file.
 *
 * A handler is called once the whole body is in (and parsed, for routes that
 * take JSON). It must answer exactly once, through reply_*; it returns
 * H_OK (answered), H_ANSWERED (a client error was answered) or H_FATAL
 * (nothing answered yet: the core sends 500 and logs).
 */
#ifndef SECGW_AGENT_HTTP_H
#define SECGW_AGENT_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/problem.h"

enum {
	AGENT_URL_MAX = 2048,		/* path + query; longer is 414 */
	AGENT_BODY_MAX = 1 << 20,	/* 1 MiB; larger is 413, before reading it */
	AGENT_BULK_BODY_MAX = 16 << 20,	/* RF_BULK routes (POST /import): 10,000 tunnels fit in 8 */
	AGENT_JSON_DEPTH_MAX = 16,	/* nesting; deeper is 400 before parsing */
	AGENT_HEADERS_MAX = 16 * 1024,	/* MHD's per-connection memory: request line + headers */
	AGENT_PARAMS_MAX = 4,		/* {placeholders} in one route */
	AGENT_REPLY_HEADERS_MAX = 8,
	AGENT_THREADS = 2,		/* MHD worker threads (epoll each); the box has 2 cores */
	AGENT_CONN_LIMIT = 256,		/* open connections */
	AGENT_CONN_TIMEOUT_S = 60,	/* idle keep-alive connection */
};

enum http_method {
	M_GET = 1 << 0,
	M_POST = 1 << 1,
	M_PUT = 1 << 2,
	M_PATCH = 1 << 3,
	M_DELETE = 1 << 4,
	M_HEAD = 1 << 5,
};

enum role {
	ROLE_PUBLIC = 0,	/* routes only: no user needed */
	ROLE_VIEWER = 1,
	ROLE_OPERATOR = 2,
	ROLE_ADMIN = 3,
};

enum auth_kind {
	AUTH_NONE,
	AUTH_TOKEN,
	AUTH_SESSION,
};

enum hres {
	H_OK,
	H_ANSWERED,
	H_FATAL,
};

enum route_flags {
	RF_JSON = 1 << 0,	/* takes a JSON object body (415 otherwise) */
	RF_STREAM = 1 << 1,	/* long-lived response (SSE): not counted as in flight */
	RF_BULK = 1 << 2,	/* takes a body up to AGENT_BULK_BODY_MAX (the handler parses it) */
};

struct req;
struct agent;
typedef enum hres (*handler_fn)(struct req *r);

struct route {
	enum http_method method;
	const char *pattern;	/* under /api/v1; "{x}" matches one path segment */
	handler_fn fn;
	enum role min_role;
	unsigned flags;		/* enum route_flags */
};

struct principal {
	enum auth_kind kind;
	enum role role;
	int64_t user_id;
	int64_t session_id;	/* AUTH_SESSION */
	int64_t token_id;	/* AUTH_TOKEN */
	char name[72];		/* user name */
};

struct reply_header {
	const char *name;
	char *value;
};

struct req {
	struct agent *ag;
	struct MHD_Connection *conn;
	enum http_method method;
	const struct route *route;
	int route_index;		/* -1: no route matched */
	char url[AGENT_URL_MAX + 1];	/* the decoded path as requested (audit, logs) */
	char path[AGENT_URL_MAX + 1];	/* copy under /api/v1; params point into it */
	const char *params[AGENT_PARAMS_MAX];
	unsigned n_params;
	char source[64];		/* client address, for audit and revisions */

	char *body;
	size_t body_len, body_cap;
	bool body_too_large;
	json_t *json;			/* parsed body (RF_JSON routes) */

	struct principal who;
	unsigned status;		/* answered status, 0 until then */
	uint64_t t_start_ns;
	bool counted_in_flight;
	bool streaming;

	struct reply_header hdrs[AGENT_REPLY_HEADERS_MAX];
	unsigned n_hdrs;
};

/* Start serving on an already bound, listening socket. */
struct MHD_Daemon *http_start(struct agent *ag, int listen_fd,
			      const char *tls_cert_pem, const char *tls_key_pem);

/* Query parameter (decoded) or NULL. */
const char *req_query(struct req *r, const char *name);
/* Request header or NULL. */
const char *req_header(struct req *r, const char *name);
/* The value of a cookie, copied into out (at most len-1 bytes); NULL if absent. */
const char *req_cookie(struct req *r, const char *name, char *out, size_t len);
/* The n-th {placeholder} of the route. */
static inline const char *req_param(struct req *r, unsigned n)
{
	return n < r->n_params ? r->params[n] : "";
}

/* Add a header to the reply about to be sent (value copied). */
void reply_header(struct req *r, const char *name, const char *value);

/* JSON reply (body stolen; NULL means "out of memory" and answers 500). */
enum hres reply_json(struct req *r, unsigned status, json_t *body);
/* Raw bytes; free_fn (may be NULL for static data) releases buf with cls. */
enum hres reply_buf(struct req *r, unsigned status, const char *content_type,
		    const void *buf, size_t len, void (*free_fn)(void *), void *cls);
enum hres reply_empty(struct req *r, unsigned status);
/* Answer a problem; errors (array of {field,message}, may be NULL) is stolen.
 * Returns H_ANSWERED (H_OK never: this is the client-error path). */
enum hres reply_problem(struct req *r, enum problem p, const char *detail, json_t *errors);
__attribute__((format(printf, 3, 4)))
enum hres reply_problemf(struct req *r, enum problem p, const char *fmt, ...);
/* 422 with the collected field errors; takes them (e is left empty, and
 * ferrs_free on it stays harmless). */
enum hres reply_invalid(struct req *r, struct ferrs *e);
/* An MHD response built elsewhere (SSE). */
enum hres reply_response(struct req *r, unsigned status, struct MHD_Response *resp);

/*
 * ETags (RFC 9110 §8.8.3). etag_check answers 412 and returns false when the
 * request has an If-Match that does not match current ("*" matches anything
 * that exists; current NULL means the resource does not exist).
 */
bool etag_check(struct req *r, const char *current);
/* GET: If-None-Match equal to current → true (the caller answers 304). */
bool etag_fresh(struct req *r, const char *current);
/* Format the ETag of a revision number: "\"r<n>\"". */
void etag_revision(char *out, size_t len, int64_t revision);
/*
 * Resources that are not configuration (users, tokens, audit, the history
 * itself) make no revision, so their validator is a digest of what is
 * served plus any hidden state that changes without showing in it (a user's
 * password hash: a new password in the same second still moves the tag).
 * "\"c<32 hex>\"", ETAG_CONTENT_MAX bytes with the NUL.
 */
enum { ETAG_CONTENT_MAX = 40 };
void etag_content(char *out, size_t len, const json_t *body, const char *hidden);
/* 200 with a content ETag, or 304 when If-None-Match holds it (body stolen). */
enum hres reply_json_tagged(struct req *r, json_t *body, const char *hidden);

/* Is JSON text nested at most AGENT_JSON_DEPTH_MAX deep? (Checked before parsing.) */
bool json_depth_ok(const char *p, size_t n);

/* Shared helpers for handlers. */
bool name_valid(const char *s);
const char *role_name(enum role r);
int role_parse(const char *s);	/* -1 when unknown */
uint64_t now_ns(void);

#endif
