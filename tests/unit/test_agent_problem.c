// SPDX-License-Identifier: MIT
/* The problem+json builder, the error table and field-error collection. */
#include "agent/problem.h"
#include "tap.h"

#include <stdio.h>

int main(void)
{
	json_t *p, *errs;
	struct ferrs e;
	char path[FIELD_PATH_MAX], path2[FIELD_PATH_MAX];
	unsigned seen[600] = { 0 };

	/* Every code has a status, a slug and a title; statuses are the documented ones. */
	for (int i = 0; i < P__COUNT; i++) {
		const struct problem_info *pi = problem_info((enum problem)i);

		ok(pi->status >= 400 && pi->status < 600 && pi->slug && pi->title,
		   "problem %d: %u %s", i, pi->status, pi->slug);
	}
	is_int(problem_info(P_INVALID)->status, 422, "invalid is 422");
	is_int(problem_info(P_TOO_LARGE)->status, 413, "too large is 413");
	is_int(problem_info(P_MEDIA_TYPE)->status, 415, "media type is 415");
	is_int(problem_info(P_PRECONDITION)->status, 412, "precondition is 412");
	is_int(problem_info(P_ENGINE_DOWN)->status, 503, "engine down is 503");
	is_int(problem_info(P__COUNT)->status, 500, "an out-of-range code is internal");
	for (int i = 0; i < P__COUNT; i++)
		seen[problem_info((enum problem)i)->status]++;
	ok(seen[400] == 2 && seen[403] == 2 && seen[503] == 2, "shared statuses are told apart by type");

	p = problem_build(P_NOT_FOUND, "no connection named \"hq\"", NULL);
	is_str(json_string_value(json_object_get(p, "type")), "urn:secgw:problem:not-found", "type URI");
	is_str(json_string_value(json_object_get(p, "title")), "Not found", "title");
	is_int(json_integer_value(json_object_get(p, "status")), 404, "status member");
	is_str(json_string_value(json_object_get(p, "detail")), "no connection named \"hq\"", "detail");
	ok(json_object_get(p, "errors") == NULL, "no errors member without errors");
	json_decref(p);

	p = problem_build(P_FORBIDDEN, NULL, NULL);
	is_str(json_string_value(json_object_get(p, "detail")), problem_info(P_FORBIDDEN)->title,
	       "missing detail falls back to the title");
	json_decref(p);

	field_key(path, "", "children");
	field_index(path2, path, 3);
	field_key(path, path2, "local_ts");
	field_index(path2, path, 1);
	is_str(path2, "children[3].local_ts[1]", "paths compose relative to the body");
	field_key(path, "manual", "key_in");
	is_str(path, "manual.key_in", "nested object path");

	ferrs_init(&e);
	is_int(ferrs_count(&e), 0, "no errors yet");
	ok(ferrs_take(&e) == NULL, "taking no errors gives NULL");
	ferrs_free(&e);

	ferrs_init(&e);
	ferrs_add(&e, "name", "is required");
	ferrs_addf(&e, "local_port", "must be %d to %d", 1, 65535);
	is_int(ferrs_count(&e), 2, "two errors");
	errs = ferrs_take(&e);
	p = problem_build(P_INVALID, "2 fields are invalid", errs);
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(p, "errors"), 1), "field")),
	       "local_port", "errors[1].field");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(p, "errors"), 1), "message")),
	       "must be 1 to 65535", "errors[1].message formatted");
	json_decref(p);
	ferrs_free(&e);

	/* A hostile body cannot grow the answer past FIELD_ERRORS_MAX (+1 summary). */
	ferrs_init(&e);
	for (int i = 0; i < 1000; i++) {
		field_index(path, "remote_addrs", (size_t)i);
		ferrs_add(&e, path, "not an IPv4 or IPv6 address");
	}
	is_int(ferrs_count(&e), 1000, "all errors counted");
	errs = ferrs_take(&e);
	is_int(json_array_size(errs), FIELD_ERRORS_MAX + 1, "answer capped, with a summary entry");
	is_str(json_string_value(json_object_get(json_array_get(errs, FIELD_ERRORS_MAX), "message")),
	       "936 more errors not listed", "summary says how many were left out");
	json_decref(errs);
	ferrs_free(&e);
	return tap_done();
}
