// SPDX-License-Identifier: MIT
/*
 * What the agent loads into secgw-iked (agent/engine_config.c), from a real
 * store in a temporary directory: enabled connections only; the values of
 * exactly the secrets they name (a psk as text, a key in hex), opened from
 * the vault; nothing else; the revision of the same snapshot.
 */
#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/engine.h"
#include "agent/vault.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put_secret(struct agent *ag, struct db *d, const char *name, const char *type, const uint8_t *v,
		      size_t len)
{
	static const char sql[] = "INSERT INTO secrets (name, type, nonce, box, created, updated, revision) "
				  "VALUES (?1, ?2, ?3, ?4, 0, 0, 1)";
	uint8_t nonce[VAULT_NONCE_BYTES], box[VAULT_VALUE_MAX + VAULT_MAC_BYTES];
	sqlite3_stmt *st = db_stmt(d, sql);
	int rc;

	if (!st || vault_seal(ag->master_key, v, len, nonce, box) < 0)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, nonce, sizeof(nonce), SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 4, box, (int)(len + VAULT_MAC_BYTES), SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int main(void)
{
	char tmpl[] = "/tmp/secgw-engine-test.XXXXXX", cmd[128];
	const char *dir = mkdtemp(tmpl);
	struct agent ag;
	struct db *d;
	uint8_t key[36];
	int64_t rev = -1;
	json_t *conf, *s, *hq, *off, *man;

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	if (!dir || agent_open(&ag, dir, NULL) < 0) {
		ok(0, "a store in a temporary directory");
		return tap_done();
	}
	d = store_db(ag.store);
	hq = json_pack("{s:s, s:b, s:[s], s:s, s:[{s:s, s:[s], s:[s]}]}", "name", "hq", "enabled", 1,
		       "remote_addrs", "192.0.2.2", "psk", "hqkey", "children", "name", "lan", "local_ts",
		       "10.1.0.0/24", "remote_ts", "10.2.0.0/24");
	off = json_pack("{s:s, s:b, s:[s], s:s, s:[]}", "name", "off", "enabled", 0, "remote_addrs", "192.0.2.3",
			"psk", "offkey", "children");
	man = json_pack("{s:s, s:b, s:s, s:[s], s:[s], s:[{s:s, s:{s:i, s:i, s:s, s:s}}]}", "name", "man",
			"enabled", 1, "keying", "manual", "local_addrs", "192.0.2.1", "remote_addrs", "192.0.2.2",
			"children", "name", "net", "manual", "spi_in", 4096, "spi_out", 8192, "key_in", "kin",
			"key_out", "kin");
	ok(d && store_write_begin(d) == 0, "write transaction");
	ok(put_secret(&ag, d, "hqkey", "psk", (const uint8_t *)"hq-secret-123", 13) == 0 &&
	   put_secret(&ag, d, "offkey", "psk", (const uint8_t *)"off-secret-456", 14) == 0 &&
	   put_secret(&ag, d, "kin", "key", key, sizeof(key)) == 0 &&
	   put_secret(&ag, d, "unused", "psk", (const uint8_t *)"nobody-uses-me", 14) == 0, "secrets sealed");
	ok(conf_conn_put(d, hq, 1) == 0 && conf_conn_put(d, off, 1) == 0 && conf_conn_put(d, man, 1) == 0,
	   "connections stored");
	ok(db_exec(d, "INSERT INTO revisions (number, time, author, source, comment, summary) "
		      "VALUES (7, 0, 'test', 'local', '', 'test')") == 0, "a revision");
	ok(store_commit(d) == 0, "committed");

	conf = engine_config_build(d, ag.master_key, &rev);
	ok(conf != NULL, "the configuration is built");
	is_int(rev, 7, "with the snapshot's revision");
	is_int(json_array_size(json_object_get(conf, "connections")), 2, "the disabled connection is left out");
	is_str(json_string_value(json_object_get(json_array_get(json_object_get(conf, "connections"), 0), "name")),
	       "hq", "connections in name order");
	s = json_object_get(conf, "secrets");
	is_int(json_object_size(s), 2, "only the secrets the sent connections name");
	is_str(json_string_value(json_object_get(json_object_get(s, "hqkey"), "value")), "hq-secret-123",
	       "a psk as its text");
	is_str(json_string_value(json_object_get(json_object_get(s, "hqkey"), "type")), "psk", "its type");
	is_str(json_string_value(json_object_get(json_object_get(s, "kin"), "value")),
	       "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3",
	       "a key in hex, the 36 bytes");
	ok(!json_object_get(s, "offkey") && !json_object_get(s, "unused"), "nothing else crosses");
	engine_config_free(conf);

	/* A tampered box: the secret is left out (iked then names it), the rest still goes. */
	ok(db_exec(d, "UPDATE secrets SET box = zeroblob(length(box)) WHERE name = 'hqkey'") == 0, "tamper");
	conf = engine_config_build(d, ag.master_key, &rev);
	ok(conf && !json_object_get(json_object_get(conf, "secrets"), "hqkey") &&
	   json_object_get(json_object_get(conf, "secrets"), "kin"), "a box that does not open is not sent");
	engine_config_free(conf);

	json_decref(hq);
	json_decref(off);
	json_decref(man);
	agent_close(&ag);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "clean up");
	return tap_done();
}
