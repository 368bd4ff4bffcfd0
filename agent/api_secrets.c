// SPDX-License-Identifier: MIT
/*
 * /secrets[/{name}]: pre-shared keys and manual keys. Values are write-only:
 * they are sealed (agent/vault.h) on the way in and no answer, log line,
 * error message or revision record ever carries one. Errors about a value
 * say what is wrong with it, never what it was.
 */
#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/model.h"
#include "agent/revision.h"
#include "agent/routes.h"
#include "agent/vault.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>


static json_t *meta_row(sqlite3_stmt *st)
{
	return json_pack("{s:s, s:s, s:I, s:I}", "name", sqlite3_column_text(st, 0),
			 "type", sqlite3_column_text(st, 1),
			 "created", (json_int_t)sqlite3_column_int64(st, 2),
			 "updated", (json_int_t)sqlite3_column_int64(st, 3));
}

enum hres api_secrets_list(struct req *r)
{
	static const char sql[] =
		"SELECT name, type, created, updated FROM secrets WHERE name > ?1 AND name >= ?2 "
		"AND name < ?3 ORDER BY name LIMIT ?4";
	struct db *d = store_db(r->ag->store);
	unsigned limit, n = 0;
	const char *cursor, *prefix;
	char hi[NAME_MAX_LEN + 2];
	sqlite3_stmt *st;
	json_t *items;
	bool more = false;

	if (!d)
		return H_FATAL;
	if (!list_params(r, &limit, &cursor, &prefix))
		return H_ANSWERED;
	st = db_stmt(d, sql);
	if (!st)
		return H_FATAL;
	snprintf(hi, sizeof(hi), "%s\x7f", prefix ? prefix : "");
	sqlite3_bind_text(st, 1, cursor ? cursor : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, prefix ? prefix : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, hi, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)limit + 1);
	items = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			more = true;
			break;
		}
		json_array_append_new(items, meta_row(st));
	}
	db_done(st);
	return reply_json(r, 200, json_pack("{s:o, s:s?}", "items", items, "next_cursor",
		more ? json_string_value(json_object_get(json_array_get(items, limit - 1), "name")) : NULL));
}

/* Metadata of one secret and its revision; NULL when absent. */
static json_t *meta_get(struct db *d, const char *name, int64_t *rev)
{
	static const char sql[] = "SELECT name, type, created, updated, revision FROM secrets WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	json_t *m = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		m = meta_row(st);
		*rev = sqlite3_column_int64(st, 4);
	}
	db_done(st);
	return m;
}

enum hres api_secret_get(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	int64_t rev = 0;
	json_t *m;
	char etag[32];

	if (!d)
		return H_FATAL;
	m = meta_get(d, req_param(r, 0), &rev);
	if (!m)
		return reply_problemf(r, P_NOT_FOUND, "no secret named \"%s\"", req_param(r, 0));
	json_object_set_new(m, "used_by", conf_secret_users(d, req_param(r, 0)));
	etag_revision(etag, sizeof(etag), rev);
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	return reply_json(r, 200, m);
}

/* The fields of a PUT body; the value is checked without ever being echoed. */
static bool check_body(struct req *r, const char *name, const char **type, const char **value,
		       size_t *value_len, struct ferrs *e)
{
	const char *key;
	json_t *v;

	json_object_foreach(r->json, key, v)
		if (strcmp(key, "name") != 0 && strcmp(key, "type") != 0 && strcmp(key, "value") != 0)
			ferrs_add(e, key, "unknown field");
	v = json_object_get(r->json, "name");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), name) != 0))
		ferrs_addf(e, "name", "must be \"%s\" as in the URL", name);
	*type = json_string_value(json_object_get(r->json, "type"));
	if (!*type || (strcmp(*type, "psk") != 0 && strcmp(*type, "key") != 0))
		ferrs_add(e, "type", json_object_get(r->json, "type") ? "must be \"psk\" or \"key\""
									  : "is required (\"psk\" or \"key\")");
	v = json_object_get(r->json, "value");
	*value = json_string_value(v);
	*value_len = json_string_length(v);
	if (!v)
		ferrs_add(e, "value", "is required");
	else if (!*value)
		ferrs_add(e, "value", "must be a string");
	else if (*value_len > SECRET_VALUE_MAX)
		ferrs_addf(e, "value", "must be at most %d bytes", SECRET_VALUE_MAX);
	return ferrs_count(e) == 0;
}

enum hres api_secret_put(struct req *r)
{
	const char *name = req_param(r, 0), *type, *value;
	uint8_t plain[SECRET_VALUE_MAX], nonce[VAULT_NONCE_BYTES], box[SECRET_VALUE_MAX + VAULT_MAC_BYTES];
	size_t value_len, plain_len = 0;
	struct ferrs e;
	struct mutation m = { 0 };
	json_t *old = NULL, *neu = NULL, *users = NULL;
	int64_t rev = 0;
	char etag[32], location[128];
	const char *err;
	unsigned status;
	enum hres h = H_FATAL;

	ferrs_init(&e);
	if (!name_valid(name)) {
		ferrs_add(&e, "name", "must be 1 to 64 of A-Z a-z 0-9 _ . -");
		h = reply_invalid(r, &e);
		goto out;
	}
	if (!check_body(r, name, &type, &value, &value_len, &e)) {
		h = reply_invalid(r, &e);
		goto out;
	}
	err = model_secret_value(type, value, value_len, plain, sizeof(plain), &plain_len);
	if (err) {
		ferrs_add(&e, "value", err);
		h = reply_invalid(r, &e);
		goto out;
	}
	if (vault_seal(r->ag->master_key, plain, plain_len, nonce, box) < 0)
		goto out;
	if (mutation_begin(&m, r, "secret.set", name) < 0)
		goto out;
	old = meta_get(m.d, name, &rev);
	if (old)
		etag_revision(etag, sizeof(etag), rev);
	if (!etag_check(r, old ? etag : NULL)) {
		h = H_ANSWERED;
		goto out;
	}
	if (old && strcmp(json_string_value(json_object_get(old, "type")), type) != 0 &&
	    json_array_size(users = conf_secret_users(m.d, name)) > 0) {
		char *list = json_dumps(users, JSON_COMPACT);

		h = reply_problemf(r, P_CONFLICT, "secret \"%s\" is a %s used by %s; its type cannot change",
				   name, json_string_value(json_object_get(old, "type")), list ? list : "?");
		free(list);
		goto out;
	}
	{
		static const char sql[] =
			"INSERT INTO secrets (name, type, nonce, box, created, updated, revision) "
			"VALUES (?1, ?2, ?3, ?4, strftime('%s','now'), strftime('%s','now'), ?5) "
			"ON CONFLICT(name) DO UPDATE SET type = excluded.type, nonce = excluded.nonce, "
			"box = excluded.box, updated = excluded.updated, revision = excluded.revision";
		sqlite3_stmt *st = db_stmt(m.d, sql);
		int rc;

		if (!st)
			goto out;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 3, nonce, sizeof(nonce), SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 4, box, plain_len + VAULT_MAC_BYTES, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, m.revision);
		rc = sqlite3_step(st);
		db_done(st);
		if (rc != SQLITE_DONE)
			goto out;
	}
	/* History knows that a value changed, never what it was. */
	neu = json_pack("{s:s, s:s}", "name", name, "type", type);
	if (old) {
		json_object_del(old, "created");
		json_object_del(old, "updated");
	}
	if (mutation_change(&m, "secret", name, old, neu) < 0)
		goto out;
	status = old ? 200 : 201;
	if (mutation_commit(&m, status) < 0) {
		m.d = NULL;
		goto out;
	}
	m.d = NULL;
	etag_revision(etag, sizeof(etag), m.revision);
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (status == 201) {
		snprintf(location, sizeof(location), API_PREFIX "/secrets/%s", name);
		reply_header(r, MHD_HTTP_HEADER_LOCATION, location);
	}
	{
		int64_t rev2;
		json_t *meta = meta_get(store_db(r->ag->store), name, &rev2);

		h = reply_json(r, status, meta ? meta : json_incref(neu));
	}
out:
	if (m.d)
		mutation_abort(&m);
	sodium_memzero(plain, sizeof(plain));
	ferrs_free(&e);
	json_decref(old);
	json_decref(neu);
	json_decref(users);
	return h;
}

enum hres api_secret_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM secrets WHERE name = ?1";
	const char *name = req_param(r, 0);
	struct mutation m;
	json_t *old, *users;
	int64_t rev = 0;
	char etag[32];
	sqlite3_stmt *st;
	int rc;

	if (mutation_begin(&m, r, "secret.delete", name) < 0)
		return H_FATAL;
	old = meta_get(m.d, name, &rev);
	if (!old) {
		mutation_abort(&m);
		return reply_problemf(r, P_NOT_FOUND, "no secret named \"%s\"", name);
	}
	etag_revision(etag, sizeof(etag), rev);
	if (!etag_check(r, etag)) {
		mutation_abort(&m);
		json_decref(old);
		return H_ANSWERED;
	}
	users = conf_secret_users(m.d, name);
	if (json_array_size(users)) {
		char *list = json_dumps(users, JSON_COMPACT);

		mutation_abort(&m);
		json_decref(old);
		json_decref(users);
		reply_problemf(r, P_CONFLICT, "secret \"%s\" is still used by %s", name, list ? list : "?");
		free(list);
		return H_ANSWERED;
	}
	json_decref(users);
	st = db_stmt(m.d, sql);
	if (!st) {
		mutation_abort(&m);
		json_decref(old);
		return H_FATAL;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	json_object_del(old, "created");
	json_object_del(old, "updated");
	if (rc != SQLITE_DONE || mutation_change(&m, "secret", name, old, NULL) < 0 ||
	    mutation_commit(&m, 204) < 0) {
		mutation_abort(&m);
		json_decref(old);
		return H_FATAL;
	}
	json_decref(old);
	return reply_empty(r, 204);
}
