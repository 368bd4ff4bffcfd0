// SPDX-License-Identifier: MIT
/* /audit (admin): who changed what, when, from where; newest first. */
#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/routes.h"

#include <stdlib.h>
#include <string.h>

enum hres api_audit_list(struct req *r)
{
	static const char sql[] =
		"SELECT id, time, user, source, action, target, status, revision, detail FROM audit "
		"WHERE id < ?1 AND (?2 IS NULL OR user = ?2) AND (?3 IS NULL OR action LIKE ?3 || '%') "
		"AND time >= ?4 ORDER BY id DESC LIMIT ?5";
	struct db *d = store_db(r->ag->store);
	const char *user = req_query(r, "user"), *action = req_query(r, "action");
	const char *since = req_query(r, "since");
	long long limit, before, from = 0;
	unsigned n = 0;
	sqlite3_stmt *st;
	json_t *items;
	char *end;
	bool more = false;

	if (!d)
		return H_FATAL;
	if (!list_number_params(r, &limit, &before))
		return H_ANSWERED;
	if (since && ((from = strtoll(since, &end, 10)) < 0 || *end || !*since))
		return reply_problemf(r, P_BAD_REQUEST, "since must be a time in unix seconds");
	if (action && (strlen(action) > 64 || strpbrk(action, "%_\\")))
		return reply_problemf(r, P_BAD_REQUEST, "action must be a plain prefix such as \"connection.\"");
	if (user && strlen(user) > 64)
		return reply_problemf(r, P_BAD_REQUEST, "user must be a user name");
	st = db_stmt(d, sql);
	if (!st)
		return H_FATAL;
	sqlite3_bind_int64(st, 1, before);
	if (user)
		sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
	if (action)
		sqlite3_bind_text(st, 3, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, limit + 1);
	items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *row;

		if (n++ == limit) {
			more = true;
			break;
		}
		row = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:s}",
				"id", (json_int_t)sqlite3_column_int64(st, 0),
				"time", (json_int_t)sqlite3_column_int64(st, 1),
				"user", sqlite3_column_text(st, 2), "source", sqlite3_column_text(st, 3),
				"action", sqlite3_column_text(st, 4), "target", sqlite3_column_text(st, 5),
				"status", sqlite3_column_int(st, 6), "detail", sqlite3_column_text(st, 8));
		json_object_set_new(row, "revision", sqlite3_column_type(st, 7) == SQLITE_NULL ? json_null()
				    : json_integer(sqlite3_column_int64(st, 7)));
		json_array_append_new(items, row);
	}
	db_done(st);
	{
		json_t *body = json_pack("{s:o}", "items", items);
		char next[24];

		if (more) {
			snprintf(next, sizeof(next), "%lld", (long long)json_integer_value(json_object_get(
				json_array_get(items, (size_t)limit - 1), "id")));
			json_object_set_new(body, "next_cursor", json_string(next));
		} else {
			json_object_set_new(body, "next_cursor", json_null());
		}
		return reply_json_tagged(r, body, NULL);
	}
}
