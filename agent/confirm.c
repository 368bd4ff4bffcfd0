// SPDX-License-Identifier: MIT
#include "agent/confirm.h"
#include "agent/agent.h"
#include "agent/history.h"
#include "agent/revision.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	REVERT_LOG_EVERY_S = 60,	/* a revert that keeps failing is logged this often */
};

void confirm_init(struct confirm_state *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

void confirm_destroy(struct confirm_state *c)
{
	pthread_mutex_destroy(&c->lock);
}

void confirm_set(struct confirm_state *c, int64_t revision, int64_t revert_to, int64_t deadline,
		 const char *author)
{
	pthread_mutex_lock(&c->lock);
	c->revision = revision;
	c->revert_to = revert_to;
	c->deadline = deadline;
	snprintf(c->author, sizeof(c->author), "%s", author);
	pthread_mutex_unlock(&c->lock);
}

void confirm_clear(struct confirm_state *c)
{
	pthread_mutex_lock(&c->lock);
	c->revision = c->revert_to = c->deadline = 0;
	c->author[0] = '\0';
	pthread_mutex_unlock(&c->lock);
}

json_t *confirm_json(struct confirm_state *c)
{
	json_t *out;
	int64_t left;

	pthread_mutex_lock(&c->lock);
	if (!c->revision) {
		pthread_mutex_unlock(&c->lock);
		return json_null();
	}
	left = c->deadline - (int64_t)time(NULL);
	out = json_pack("{s:I, s:I, s:I, s:I, s:s}", "revision", (json_int_t)c->revision,
			"revert_to", (json_int_t)c->revert_to, "deadline", (json_int_t)c->deadline,
			"remaining_s", (json_int_t)(left > 0 ? left : 0), "author", c->author);
	pthread_mutex_unlock(&c->lock);
	return out;
}

int64_t confirm_deadline(struct confirm_state *c)
{
	int64_t d;

	pthread_mutex_lock(&c->lock);
	d = c->revision ? c->deadline : 0;
	pthread_mutex_unlock(&c->lock);
	return d;
}

bool confirm_read(struct db *d, int64_t *revision, int64_t *revert_to, int64_t *deadline)
{
	static const char sql[] = "SELECT revision, revert_to, deadline FROM pending_confirm WHERE id = 1";
	sqlite3_stmt *st = db_stmt(d, sql);
	bool found = false;

	*revision = *revert_to = *deadline = 0;
	if (!st)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*revision = sqlite3_column_int64(st, 0);
		*revert_to = sqlite3_column_int64(st, 1);
		*deadline = sqlite3_column_int64(st, 2);
		found = true;
	}
	db_done(st);
	return found;
}

/*
 * The deadline passed: restore revert_to as a new revision, authored by the
 * agent, and tell every event stream. 0 done (or nothing was pending any
 * more: a confirm won the race for the write lock), -1 failed.
 */
static int revert(struct agent *ag)
{
	struct mutation m;
	struct diff df;
	struct ferrs conflicts;
	json_t *kept = json_array(), *not_restored = json_array();
	char target[48], comment[96];
	int64_t reverted, to;
	int rc = -1;

	pthread_mutex_lock(&ag->confirm.lock);
	reverted = ag->confirm.revision;
	to = ag->confirm.revert_to;
	pthread_mutex_unlock(&ag->confirm.lock);
	snprintf(target, sizeof(target), "to %lld", (long long)to);
	snprintf(comment, sizeof(comment), "revision %lld was not confirmed in time", (long long)reverted);
	diff_init(&df, true);
	ferrs_init(&conflicts);
	if (mutation_begin_system(&m, ag, "confirm.revert", target, comment,
				  MUT_PENDING_OK | MUT_ENDS_CONFIRM) < 0)
		goto out;
	/* Confirmed meanwhile (the confirm took the write lock first): nothing to do. */
	if (m.pending_revision != reverted || m.pending_revert_to != to) {
		mutation_abort(&m);
		if (!m.pending_revision)
			confirm_clear(&ag->confirm);
		rc = 0;
		goto out;
	}
	if (history_restore(&m, to, &df, &conflicts, kept, not_restored) < 0 || ferrs_count(&conflicts)) {
		char *why = json_dumps(conflicts.list, JSON_COMPACT);

		log_err("confirm: cannot revert revision %lld to %lld%s%s", (long long)reverted, (long long)to,
			why ? ": " : "", why ? why : "");
		free(why);
		mutation_abort(&m);
		goto out;
	}
	if (mutation_commit(&m, 200) < 0)
		goto out;
	log_warn("confirm: revision %lld was not confirmed before its deadline: reverted to %lld as revision %lld",
		 (long long)reverted, (long long)to, (long long)m.revision);
	events_publish(&ag->events, "rolled-back",
		       json_pack("{s:I, s:I, s:I, s:s, s:s}", "revision", (json_int_t)m.revision,
				 "to", (json_int_t)to, "reverted", (json_int_t)reverted,
				 "reason", "confirm-deadline", "author", "(agent)"));
	rc = 0;
out:
	diff_free(&df);
	ferrs_free(&conflicts);
	json_decref(kept);
	json_decref(not_restored);
	return rc;
}

int confirm_start(struct agent *ag)
{
	struct db *d = store_db(ag->store);
	int64_t rev, to, deadline;

	if (!d)
		return -1;
	if (!confirm_read(d, &rev, &to, &deadline))
		return 0;
	confirm_set(&ag->confirm, rev, to, deadline, "");
	if ((int64_t)time(NULL) < deadline) {
		log_info("confirm: revision %lld awaits confirmation for %llds more", (long long)rev,
			 (long long)(deadline - (int64_t)time(NULL)));
		return 0;
	}
	log_warn("confirm: revision %lld passed its deadline while the agent was down", (long long)rev);
	return revert(ag);
}

void confirm_tick(struct agent *ag)
{
	static time_t last_log;
	int64_t deadline = confirm_deadline(&ag->confirm);
	time_t now = time(NULL);

	if (!deadline || now < deadline)
		return;
	if (revert(ag) < 0 && now - last_log >= REVERT_LOG_EVERY_S) {
		log_err("confirm: the revert failed; trying again every second");
		last_log = now;
	}
}
