// SPDX-License-Identifier: MIT
#include "agent/problem.h"

#include <stdio.h>
#include <string.h>

static const struct problem_info table[P__COUNT] = {
	[P_MALFORMED_JSON] = { 400, "malformed-json", "The request body is not valid JSON" },
	[P_BAD_REQUEST]    = { 400, "bad-request", "Bad request" },
	[P_UNAUTHORIZED]   = { 401, "unauthorized", "Authentication required" },
	[P_FORBIDDEN]      = { 403, "forbidden", "Not allowed for this user's role" },
	[P_CSRF]           = { 403, "csrf", "Missing or wrong CSRF token" },
	[P_NOT_FOUND]      = { 404, "not-found", "Not found" },
	[P_METHOD]         = { 405, "method-not-allowed", "Method not allowed" },
	[P_CONFLICT]       = { 409, "conflict", "Conflict" },
	[P_PRECONDITION]   = { 412, "precondition-failed", "The resource changed (If-Match does not match)" },
	[P_TOO_LARGE]      = { 413, "too-large", "Request body too large" },
	[P_URI_TOO_LONG]   = { 414, "uri-too-long", "Request URL too long" },
	[P_MEDIA_TYPE]     = { 415, "unsupported-media-type", "Unsupported media type" },
	[P_INVALID]        = { 422, "invalid", "Invalid fields" },
	[P_RATE_LIMITED]   = { 429, "rate-limited", "Too many failed attempts" },
	[P_INTERNAL]       = { 500, "internal", "Internal error" },
	[P_ENGINE_DOWN]    = { 503, "engine-not-connected", "The IKE engine is not connected" },
	[P_UNAVAILABLE]    = { 503, "unavailable", "Service unavailable" },
};

const struct problem_info *problem_info(enum problem p)
{
	return &table[p < P__COUNT ? p : P_INTERNAL];
}

json_t *problem_build(enum problem p, const char *detail, json_t *errors)
{
	const struct problem_info *pi = problem_info(p);
	char type[64];
	json_t *o;

	snprintf(type, sizeof(type), "urn:secgw:problem:%s", pi->slug);
	o = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", pi->title,
		      "status", (int)pi->status, "detail", detail ? detail : pi->title);
	if (o && errors)
		json_object_set_new(o, "errors", errors);
	else if (errors)
		json_decref(errors);
	return o;
}

void ferrs_init(struct ferrs *e)
{
	e->list = json_array();
	e->dropped = 0;
}

void ferrs_add(struct ferrs *e, const char *field, const char *msg)
{
	if (json_array_size(e->list) >= FIELD_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	json_array_append_new(e->list, json_pack("{s:s, s:s}", "field", field, "message", msg));
}

void ferrs_addf(struct ferrs *e, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ferrs_add(e, field, msg);
}

json_t *ferrs_take(struct ferrs *e)
{
	json_t *l = e->list;

	if (e->dropped) {
		char msg[64];

		snprintf(msg, sizeof(msg), "%u more errors not listed", e->dropped);
		json_array_append_new(l, json_pack("{s:s, s:s}", "field", "", "message", msg));
	}
	e->list = NULL;
	e->dropped = 0;
	if (json_array_size(l) == 0) {
		json_decref(l);
		return NULL;
	}
	return l;
}

void ferrs_free(struct ferrs *e)
{
	json_decref(e->list);
	e->list = NULL;
}

void field_key(char *out, const char *base, const char *key)
{
	if (base && *base)
		snprintf(out, FIELD_PATH_MAX, "%s.%s", base, key);
	else
		snprintf(out, FIELD_PATH_MAX, "%s", key);
}

void field_index(char *out, const char *base, size_t i)
{
	snprintf(out, FIELD_PATH_MAX, "%s[%zu]", base ? base : "", i);
}
