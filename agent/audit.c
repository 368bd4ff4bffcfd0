// SPDX-License-Identifier: MIT
#include "agent/audit.h"
#include "agent/http.h"
#include "agent/store.h"
#include "log.h"

#include <time.h>

int audit_write(struct db *d, struct req *r, const char *user, const char *action,
		const char *target, unsigned status, int64_t revision, const char *detail)
{
	static const char sql[] =
		"INSERT INTO audit (time, user, source, action, target, status, revision, detail) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	bool own = !store_in_write(d);
	sqlite3_stmt *st;
	int rc = -1;

	if (own && store_write_begin(d) < 0)
		return -1;
	st = db_stmt(d, sql);
	if (st) {
		sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
		sqlite3_bind_text(st, 2, user ? user : (r ? r->who.name : ""), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, r ? r->source : "local", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, action, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, target ? target : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 6, (int)status);
		if (revision > 0)
			sqlite3_bind_int64(st, 7, revision);
		else
			sqlite3_bind_null(st, 7);
		sqlite3_bind_text(st, 8, detail ? detail : "", -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
		if (rc < 0)
			log_err("audit: %s", sqlite3_errmsg(db_handle(d)));
		db_done(st);
	}
	if (own) {
		if (rc == 0)
			rc = store_commit(d);
		else
			store_rollback(d);
	}
	return rc;
}
