/* SPDX-License-Identifier: MIT */
/*
 * Every error the API answers, in one table: a code, its HTTP status, its
 * title and its type URI (RFC 9457 problem details). Handlers name a code and
 * a detail; they never pick a status or an error shape themselves. The CLI and
 * the web UI key on the type URI (urn:secgw:problem:SLUG), which never changes.
 */
#ifndef SECGW_AGENT_PROBLEM_H
#define SECGW_AGENT_PROBLEM_H

#include <jansson.h>
#include <stdarg.h>

enum problem {
	P_MALFORMED_JSON,	/* 400: the body does not parse (line and column given) */
	P_BAD_REQUEST,		/* 400: a query parameter or header is wrong */
	P_UNAUTHORIZED,		/* 401: no valid token, cookie or password */
	P_FORBIDDEN,		/* 403: the role does not allow it */
	P_CSRF,			/* 403: cookie-authenticated mutation without the CSRF header */
	P_NOT_FOUND,		/* 404: no such route or object */
	P_METHOD,		/* 405: the route exists, the method does not (Allow says which) */
	P_CONFLICT,		/* 409: exists already, still referenced, last admin… */
	P_PRECONDITION,		/* 412: If-Match does not match the current ETag */
	P_TOO_LARGE,		/* 413: body over AGENT_BODY_MAX */
	P_URI_TOO_LONG,		/* 414: URL over AGENT_URL_MAX */
	P_MEDIA_TYPE,		/* 415: a body that is not application/json */
	P_INVALID,		/* 422: fields with wrong types or values (errors[] names each) */
	P_RATE_LIMITED,		/* 429: too many failed logins (Retry-After) */
	P_INTERNAL,		/* 500: our fault; the log has the cause */
	P_ENGINE_DOWN,		/* 503: secgw-iked is not connected */
	P_UNAVAILABLE,		/* 503: shutting down, or too many event streams */
	P__COUNT,
};

struct problem_info {
	unsigned status;
	const char *slug;	/* type URI is "urn:secgw:problem:" slug */
	const char *title;
};

const struct problem_info *problem_info(enum problem p);

/*
 * The problem+json document: {type, title, status, detail[, errors]}.
 * `errors` (an array of {field, message}, may be NULL) is stolen.
 */
json_t *problem_build(enum problem p, const char *detail, json_t *errors);

/*
 * Field errors, collected while validating a body so that all of them are
 * reported at once. Paths are relative to the request body:
 * "children[0].local_ts[1]". At most FIELD_ERRORS_MAX are kept (the rest are
 * counted in one last entry), so a hostile body cannot grow the answer.
 */
enum {
	FIELD_ERRORS_MAX = 64,
	FIELD_PATH_MAX = 192,
};

struct ferrs {
	json_t *list;		/* array of {field, message} */
	unsigned dropped;
};

void ferrs_init(struct ferrs *e);
void ferrs_add(struct ferrs *e, const char *field, const char *msg);
__attribute__((format(printf, 3, 4)))
void ferrs_addf(struct ferrs *e, const char *field, const char *fmt, ...);
static inline int ferrs_count(const struct ferrs *e)
{
	return (int)json_array_size(e->list) + (int)e->dropped;
}
/* The array for problem_build (ownership passes to the caller), NULL when empty. */
json_t *ferrs_take(struct ferrs *e);
void ferrs_free(struct ferrs *e);

/* Path helpers: "base.key" (or "key" when base is empty) and "base[i]". */
void field_key(char *out, const char *base, const char *key);
void field_index(char *out, const char *base, size_t i);

#endif
