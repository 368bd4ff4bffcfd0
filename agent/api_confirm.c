// SPDX-License-Identifier: MIT
/*
 * /commit/confirm: the change sent with ?confirm=SECONDS that awaits
 * confirmation (GET), and its confirmation (POST). Confirming makes no new
 * revision: the configuration stays as it is, only the automatic revert is
 * called off. It is audited, and announced on /events as "confirmed".
 */
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/confirm.h"
#include "agent/routes.h"

#include <stdio.h>
#include <time.h>

enum hres api_confirm_get(struct req *r)
{
	return reply_json_tagged(r, json_pack("{s:o, s:I}", "pending", confirm_json(&r->ag->confirm),
					      "revision", (json_int_t)atomic_load(&r->ag->revision)), NULL);
}

struct confirmed {
	struct agent *ag;
	int64_t revision;
	const char *user;
};

static void on_confirmed(void *ctx)
{
	struct confirmed *c = ctx;

	confirm_clear(&c->ag->confirm);
	events_publish(&c->ag->events, "confirmed",
		       json_pack("{s:I, s:s, s:I}", "revision", (json_int_t)c->revision, "author", c->user,
				 "time", (json_int_t)time(NULL)));
}

enum hres api_confirm_post(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	struct confirmed c = { r->ag, 0, r->who.name };
	int64_t rev, to, deadline;
	char target[32];

	if (!d || store_write_begin(d) < 0)
		return H_FATAL;
	if (!confirm_read(d, &rev, &to, &deadline)) {
		store_rollback(d);
		return reply_problemf(r, P_CONFLICT, "no change awaits confirmation");
	}
	if ((int64_t)time(NULL) >= deadline) {
		store_rollback(d);
		return reply_problemf(r, P_CONFLICT, "revision %lld missed its deadline: it is being reverted to %lld",
				      (long long)rev, (long long)to);
	}
	snprintf(target, sizeof(target), "revision %lld", (long long)rev);
	c.revision = rev;
	if (db_exec(d, "DELETE FROM pending_confirm") < 0 ||
	    audit_write(d, r, NULL, "commit.confirm", target, 200, 0, "") < 0) {
		store_rollback(d);
		return H_FATAL;
	}
	if (store_commit_then(d, on_confirmed, &c) < 0)
		return H_FATAL;
	return reply_json(r, 200, json_pack("{s:I, s:I}", "confirmed", (json_int_t)rev,
					    "revision", (json_int_t)atomic_load(&r->ag->revision)));
}
