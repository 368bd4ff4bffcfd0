// SPDX-License-Identifier: MIT
/*
 * Validation of the configuration model (agent/model.c): defaults, every
 * rule of docs/config.md with the JSON path it must name, references,
 * secret values and JSON merge patch.
 */
#include "agent/model.h"
#include "tap.h"

#include <stdio.h>

static json_t *J(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, 0, &err);

	if (!v)
		printf("# bad test JSON: %s: %s\n", text, err.text);
	return v;
}

/* The connection is valid; returns the normalised document. */
static json_t *valid(const char *text)
{
	struct ferrs e;
	json_t *in = J(text), *out;

	ferrs_init(&e);
	out = model_connection(in, "", &e);
	if (!ok(out != NULL, "valid: %s", text)) {
		char *s = json_dumps(e.list, 0);

		printf("#   errors: %s\n", s);
		free(s);
	}
	ferrs_free(&e);
	json_decref(in);
	return out;
}

/* The connection is invalid and one error names field (with msg in its message). */
static void invalid(const char *text, const char *field, const char *msg)
{
	struct ferrs e;
	json_t *in = J(text), *out, *it;
	size_t i;
	bool found = false;

	ferrs_init(&e);
	out = model_connection(in, "", &e);
	json_array_foreach(e.list, i, it)
		if (strcmp(json_string_value(json_object_get(it, "field")), field) == 0 &&
		    strstr(json_string_value(json_object_get(it, "message")), msg))
			found = true;
	if (!ok(!out && found, "%s -> %s: %s", text, field, msg)) {
		char *s = json_dumps(e.list, 0);

		printf("#   errors: %s\n", s);
		free(s);
	}
	json_decref(out);
	ferrs_free(&e);
	json_decref(in);
}

static void child_invalid(const char *conn, const char *child, const char *field, const char *msg)
{
	struct ferrs e;
	json_t *c = J(conn), *in = J(child), *out, *it;
	size_t i;
	bool found = false;

	ferrs_init(&e);
	out = model_child(in, "", c, &e);
	json_array_foreach(e.list, i, it)
		if (strcmp(json_string_value(json_object_get(it, "field")), field) == 0 &&
		    strstr(json_string_value(json_object_get(it, "message")), msg))
			found = true;
	ok(!out && found, "child %s -> %s: %s", child, field, msg);
	json_decref(out);
	json_decref(c);
	json_decref(in);
	ferrs_free(&e);
}

struct refs {
	char text[512];
};

static void collect(void *ctx, const char *field, const char *secret, const char *type)
{
	struct refs *r = ctx;

	snprintf(r->text + strlen(r->text), sizeof(r->text) - strlen(r->text), "%s=%s:%s;", field,
		 secret, type);
}

int main(void)
{
	json_t *d, *p, *m;
	uint8_t buf[64];
	size_t n;
	struct refs refs = { "" };

	/* Defaults, as documented. */
	d = valid("{\"name\":\"hq\",\"psk\":\"k\",\"children\":[{\"name\":\"lan\"}]}");
	is_int(json_is_true(json_object_get(d, "enabled")), 1, "enabled defaults to true");
	is_str(json_string_value(json_array_get(json_object_get(d, "local_addrs"), 0)), "%any", "local_addrs default");
	is_int(json_integer_value(json_object_get(d, "local_port")), 500, "local_port default");
	is_str(json_string_value(json_object_get(d, "remote_id")), "%any", "remote_id default");
	is_str(json_string_value(json_object_get(d, "local_id")), "", "local_id default");
	is_int(json_integer_value(json_object_get(d, "rekey_time")), 14400, "IKE rekey_time default");
	is_int(json_integer_value(json_object_get(d, "dpd_delay")), 30, "dpd_delay default");
	is_str(json_string_value(json_object_get(d, "keying")), "ike", "keying default");
	is_str(json_string_value(json_array_get(json_object_get(d, "ike_proposals"), 1)),
	       "aes256gcm16-prfsha256-x25519", "ike_proposals default");
	{
		json_t *c = json_array_get(json_object_get(d, "children"), 0);

		is_int(json_integer_value(json_object_get(c, "rekey_time")), 3600, "child rekey_time default");
		is_int(json_integer_value(json_object_get(c, "replay_window")), 128, "replay_window default");
		is_str(json_string_value(json_array_get(json_object_get(c, "local_ts"), 0)), "dynamic", "local_ts default");
		is_str(json_string_value(json_object_get(c, "start_action")), "none", "start_action default");
		ok(json_object_get(c, "manual") == NULL, "no manual block for IKE keying");
	}
	{
		const char *key;
		json_t *v;
		const char *order[] = { "name", "enabled", "local_addrs", "remote_addrs", "local_port" };
		unsigned i = 0;
		bool in_order = true;

		json_object_foreach(d, key, v)
			if (i < 5 && strcmp(key, order[i++]) != 0)
				in_order = false;
		ok(in_order, "fields come out in the documented order");
	}
	model_connection_refs(d, "", collect, &refs);
	is_str(refs.text, "psk=k:psk;", "references: the psk");
	json_decref(d);

	d = valid("{\"name\":\"v6\",\"psk\":\"k\",\"local_addrs\":[\"2001:db8::1\",\"%any6\"],"
		  "\"remote_addrs\":[\"2001:db8:1::/48\"],\"remote_id\":\"@#00ff\",\"rekey_time\":0,\"dpd_delay\":0}");
	json_decref(d);
	d = valid("{\"name\":\"init\",\"psk\":\"k\",\"remote_addrs\":[\"198.51.100.1\"],\"children\":"
		  "[{\"name\":\"c\",\"start_action\":\"start\",\"local_ts\":[\"10.0.0.0/8[tcp/443]\",\"dynamic[udp]\"],"
		  "\"remote_ts\":[\"10.1.0.5-10.1.0.9\"],\"esp_proposals\":[\"aes256gcm16-x25519-esn\"],"
		  "\"life_bytes\":4611686018427387904,\"replay_window\":4096}]}");
	json_decref(d);
	d = valid("{\"name\":\"man\",\"keying\":\"manual\",\"local_addrs\":[\"192.0.2.1\"],\"remote_addrs\":[\"192.0.2.2\"],"
		  "\"children\":[{\"name\":\"c\",\"manual\":{\"spi_in\":256,\"spi_out\":4294967295,\"key_in\":\"ki\",\"key_out\":\"ko\"}}]}");
	refs.text[0] = '\0';
	model_connection_refs(d, "", collect, &refs);
	is_str(refs.text, "children[0].manual.key_in=ki:key;children[0].manual.key_out=ko:key;",
	       "references: manual keys with their paths");
	json_decref(d);

	invalid("{\"psk\":\"k\"}", "name", "required");
	invalid("{\"name\":\"a/b\",\"psk\":\"k\"}", "name", "A-Z");
	invalid("{\"name\":\"a\"}", "psk", "required");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"x\":1}", "x", "unknown field");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"enabled\":1}", "enabled", "true or false");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"local_port\":65536}", "local_port", "1 to 65535");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"rekey_time\":59}", "rekey_time", "0 or 60 to 31536000");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"dpd_delay\":-1}", "dpd_delay", "0 or 1 to 3600");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"local_addrs\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]}",
		"local_addrs", "1 to 8 entries");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"remote_addrs\":[\"%any\",\"300.1.1.1\"]}", "remote_addrs[1]", "not an IPv4");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"remote_addrs\":[\"10.1.1.1/24\"]}", "remote_addrs[0]", "host bits");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"remote_id\":\"a\\u0001b\"}", "remote_id", "control character");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"local_id\":\"%any\"}", "local_id", "only allowed for remote_id");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"auth\":\"pubkey\"}", "auth", "not supported yet");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"nat_t\":\"yes\"}", "nat_t", "\"auto\", \"force\", \"off\"");
	invalid("{\"name\":\"a\",\"psk\":\"bad name\"}", "psk", "secret name");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"ike_proposals\":[\"aes256gcm16-prfsha256\"]}", "ike_proposals[0]", "DH group");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"ike_proposals\":[\"3des-sha1-modp1024\"]}", "ike_proposals[0]", "unsupported");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\",\"esp_proposals\":[\"aes256gcm16-prfsha512\"]}]}",
		"children[0].esp_proposals[0]", "IKE proposals");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\",\"local_ts\":[\"10.0.0.0/8\",\"10.0.0.0/8[tcp/1-0]\"]}]}",
		"children[0].local_ts[1]", "reversed");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\",\"protocol\":\"ah\"}]}",
		"children[0].protocol", "not supported yet");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\",\"replay_window\":31}]}",
		"children[0].replay_window", "32 to 4096");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\",\"life_packets\":4611686018427387905}]}",
		"children[0].life_packets", "to 4611686018427387904");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\"},{\"name\":\"c\"}]}", "children[1].name", "another child");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\",\"start_action\":\"trap\"}]}",
		"remote_addrs[0]", "initiator");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":[{\"name\":\"c\",\"manual\":{}}]}", "children[0].manual", "only allowed");
	invalid("{\"name\":\"a\",\"keying\":\"manual\",\"local_addrs\":[\"192.0.2.1\"],\"remote_addrs\":[\"192.0.2.2\"],"
		"\"children\":[{\"name\":\"c\",\"manual\":{\"spi_in\":100,\"spi_out\":300,\"key_in\":\"k\"}}]}",
		"children[0].manual.spi_in", "256 to 4294967295");
	invalid("{\"name\":\"a\",\"keying\":\"manual\",\"local_addrs\":[\"192.0.2.1\"],\"remote_addrs\":[\"192.0.2.2\"],"
		"\"children\":[{\"name\":\"c\",\"manual\":{\"spi_in\":300,\"spi_out\":300,\"key_in\":\"k\"}}]}",
		"children[0].manual.key_out", "required");
	invalid("{\"name\":\"a\",\"keying\":\"manual\",\"remote_addrs\":[\"192.0.2.2\"]}", "local_addrs[0]", "plain address");
	invalid("{\"name\":\"a\",\"psk\":\"k\",\"children\":{}}", "children", "array");
	invalid("[1]", "", "must be an object");

	child_invalid("{\"keying\":\"ike\",\"remote_addrs\":[\"%any\"]}", "{\"name\":\"c\",\"start_action\":\"start\"}",
		      "start_action", "plain address to initiate");
	child_invalid("{\"keying\":\"manual\"}", "{\"name\":\"c\"}", "manual", "required");
	child_invalid("{\"keying\":\"ike\"}", "{\"name\":\"c\",\"local_ts\":[\"10.0.0.0/8\",5]}", "local_ts[1]", "string");

	/* Secret values: never echoed, checked by type. */
	ok(!model_secret_value("psk", "12345678", 8, buf, sizeof(buf), &n) && n == 8, "psk of 8 bytes");
	ok(model_secret_value("psk", "1234567", 7, buf, sizeof(buf), &n) != NULL, "psk of 7 bytes refused");
	ok(model_secret_value("psk", "1234\0" "5678", 9, buf, sizeof(buf), &n) != NULL, "psk with NUL refused");
	{
		char hex[80];

		for (int i = 0; i < KEY_BYTES; i++)
			snprintf(hex + 2 * i, 3, "%02x", i + 1);
		ok(!model_secret_value("key", hex, 72, buf, sizeof(buf), &n) && n == KEY_BYTES && buf[0] == 1 &&
		   buf[35] == 36, "key of 72 hex digits decoded");
		ok(model_secret_value("key", hex, 70, buf, sizeof(buf), &n) != NULL, "key of 70 hex digits refused");
		hex[5] = 'g';
		ok(model_secret_value("key", hex, 72, buf, sizeof(buf), &n) != NULL, "key with a non-hex digit refused");
		ok(strstr(model_secret_value("key", hex, 72, buf, sizeof(buf), &n), hex) == NULL,
		   "the message does not contain the value");
	}
	ok(model_secret_value("cert", "x", 1, buf, sizeof(buf), &n) != NULL, "unknown type refused");

	/* RFC 7386 merge patch. */
	d = J("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":[1,2]}");
	p = J("{\"a\":null,\"b\":{\"c\":5},\"e\":[9],\"f\":\"new\"}");
	m = model_merge_patch(d, p);
	{
		char *s = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);

		is_str(s, "{\"b\":{\"c\":5,\"d\":3},\"e\":[9],\"f\":\"new\"}", "merge patch: delete, merge, replace, add");
		free(s);
	}
	ok(json_integer_value(json_object_get(d, "a")) == 1, "merge patch leaves the target alone");
	json_decref(d);
	json_decref(p);
	json_decref(m);
	return tap_done();
}
