// SPDX-License-Identifier: MIT
/*
 * The configuration the agent loads into secgw-iked: the stored connection
 * documents (enabled ones only) and the values of exactly the secrets they
 * name. This is the one place secret values leave the vault; the result is
 * wiped when freed, and the line written to the socket is wiped after use.
 */
#include "agent/engine.h"
#include "agent/conf.h"
#include "agent/revision.h"
#include "agent/store.h"
#include "agent/vault.h"
#include "log.h"

#include <sodium.h>
#include <string.h>

struct build {
	json_t *conns;
	json_t *names;		/* secret names referenced: object name -> true */
};

static void want_secret(struct build *b, const json_t *name)
{
	if (json_is_string(name))
		json_object_set_new(b->names, json_string_value(name), json_true());
}

static int add_conn(void *ctx, const json_t *doc)
{
	struct build *b = ctx;
	const json_t *en = json_object_get(doc, "enabled"), *ch;
	size_t i;

	if (json_is_false(en))
		return 0;
	want_secret(b, json_object_get(doc, "psk"));
	json_array_foreach(json_object_get(doc, "children"), i, ch) {
		const json_t *m = json_object_get(ch, "manual");

		want_secret(b, json_object_get(m, "key_in"));
		want_secret(b, json_object_get(m, "key_out"));
	}
	return json_array_append(b->conns, (json_t *)doc);
}

/* The value of one secret as iked wants it: a psk as text, a key in hex. */
static json_t *secret_value(struct db *d, const unsigned char *key, const char *name)
{
	static const char sql[] = "SELECT type, nonce, box FROM secrets WHERE name = ?1";
	sqlite3_stmt *st = db_stmt(d, sql);
	uint8_t plain[VAULT_VALUE_MAX];
	char text[2 * VAULT_VALUE_MAX + 1];
	json_t *out = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0);
		const uint8_t *nonce = sqlite3_column_blob(st, 1), *box = sqlite3_column_blob(st, 2);
		int nlen = sqlite3_column_bytes(st, 1), blen = sqlite3_column_bytes(st, 2);
		size_t plen;

		if (!type || !nonce || !box || nlen != VAULT_NONCE_BYTES || blen < VAULT_MAC_BYTES ||
		    blen - VAULT_MAC_BYTES > VAULT_VALUE_MAX ||
		    vault_open(key, box, (size_t)blen, nonce, plain) < 0) {
			log_err("engine: secret \"%s\" cannot be opened (tampered with, or another master key)", name);
		} else {
			plen = (size_t)blen - VAULT_MAC_BYTES;
			if (strcmp(type, "key") == 0)
				sodium_bin2hex(text, sizeof(text), plain, plen);
			else {
				memcpy(text, plain, plen);
				text[plen] = '\0';
			}
			out = json_pack("{s:s, s:s}", "type", type, "value", text);
		}
	}
	db_done(st);
	sodium_memzero(plain, sizeof(plain));
	sodium_memzero(text, sizeof(text));
	return out;
}

json_t *engine_config_build(struct db *d, const unsigned char *key, int64_t *revision)
{
	struct build b = { json_array(), json_object() };
	json_t *secrets = json_object(), *config = NULL;
	const char *name;
	json_t *v;

	if (!b.conns || !b.names || !secrets || db_read_begin(d) < 0)
		goto out;
	*revision = revision_current(d);
	if (conf_conn_each(d, add_conn, &b) < 0) {
		db_read_end(d);
		goto out;
	}
	json_object_foreach(b.names, name, v) {
		json_t *s = secret_value(d, key, name);

		/* A missing value fails the whole load in iked, which names it: better than a silent gap. */
		if (s)
			json_object_set_new(secrets, name, s);
	}
	db_read_end(d);
	config = json_pack("{s:O, s:O}", "connections", b.conns, "secrets", secrets);
out:
	json_decref(b.conns);
	json_decref(b.names);
	if (!config)
		engine_config_free(secrets);
	else
		json_decref(secrets);
	return config;
}

/* Wipe every secret value in place before the strings are freed. */
void engine_config_free(json_t *config)
{
	json_t *secrets = json_object_get(config, "secrets"), *v;
	const char *name;

	if (!config)
		return;
	if (!secrets && json_is_object(config) && !json_object_get(config, "connections"))
		secrets = config;	/* the bare secrets object */
	json_object_foreach(secrets, name, v) {
		json_t *val = json_object_get(v, "value");

		if (json_is_string(val))
			sodium_memzero((char *)json_string_value(val), json_string_length(val));
	}
	json_decref(config);
}
