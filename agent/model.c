// SPDX-License-Identifier: MIT
#include "agent/model.h"
#include "agent/http.h"
#include "addr.h"
#include "hex.h"
#include "ident.h"
#include "proposal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum ftype {
	FT_BOOL,
	FT_INT,
	FT_ENUM,
	FT_ENDPOINTS,	/* local_addrs / remote_addrs */
	FT_IDENT,
	FT_SECRET,	/* the name of a secret */
	FT_PROPOSALS,
	FT_SELECTORS,
};

struct fspec {
	const char *key;
	enum ftype type;
	const char *dflt;		/* JSON text of the default; NULL: none (may stay absent) */
	int64_t min, max;		/* FT_INT; zero_ok: 0 is allowed below min */
	bool zero_ok;
	const char *const *choices;	/* FT_ENUM, NULL-terminated */
	const char *reserved;		/* FT_ENUM value that is "not supported yet" */
	unsigned lmin, lmax;		/* list lengths */
	enum prop_kind kind;		/* FT_PROPOSALS */
	bool remote;			/* FT_IDENT: %any allowed */
	const char *secret_type;	/* FT_SECRET */
};

static const char *const auths[] = { "psk", "pubkey", NULL };
static const char *const dpd_actions[] = { "clear", "restart", NULL };
static const char *const nat_ts[] = { "auto", "force", "off", NULL };
static const char *const datapaths[] = { "user", "kmod", "xfrm", NULL };
static const char *const keyings[] = { "ike", "manual", NULL };
static const char *const modes[] = { "tunnel", "transport", NULL };
static const char *const protocols[] = { "esp", "ah", NULL };
static const char *const start_actions[] = { "none", "trap", "start", NULL };

#define LIFE_MAX 31536000	/* one year */
#define BYTES_MAX (1LL << 62)

static const struct fspec conn_fields[] = {
	{ .key = "enabled", .type = FT_BOOL, .dflt = "true" },
	{ .key = "local_addrs", .type = FT_ENDPOINTS, .dflt = "[\"%any\"]", .lmin = 1, .lmax = 8 },
	{ .key = "remote_addrs", .type = FT_ENDPOINTS, .dflt = "[\"%any\"]", .lmin = 1, .lmax = 8 },
	{ .key = "local_port", .type = FT_INT, .dflt = "500", .min = 1, .max = 65535 },
	{ .key = "remote_port", .type = FT_INT, .dflt = "500", .min = 1, .max = 65535 },
	{ .key = "local_id", .type = FT_IDENT, .dflt = "\"\"" },
	{ .key = "remote_id", .type = FT_IDENT, .dflt = "\"%any\"", .remote = true },
	{ .key = "auth", .type = FT_ENUM, .dflt = "\"psk\"", .choices = auths, .reserved = "pubkey" },
	{ .key = "psk", .type = FT_SECRET, .secret_type = "psk" },
	{ .key = "ike_proposals", .type = FT_PROPOSALS, .kind = PROP_IKE, .lmin = 1, .lmax = 8,
	  .dflt = "[\"chacha20poly1305-prfsha256-x25519\", \"aes256gcm16-prfsha256-x25519\"]" },
	{ .key = "rekey_time", .type = FT_INT, .dflt = "14400", .min = 60, .max = LIFE_MAX, .zero_ok = true },
	{ .key = "dpd_delay", .type = FT_INT, .dflt = "30", .min = 1, .max = 3600, .zero_ok = true },
	{ .key = "dpd_action", .type = FT_ENUM, .dflt = "\"clear\"", .choices = dpd_actions },
	{ .key = "nat_t", .type = FT_ENUM, .dflt = "\"auto\"", .choices = nat_ts },
	{ .key = "datapath", .type = FT_ENUM, .dflt = "\"user\"", .choices = datapaths },
	{ .key = "keying", .type = FT_ENUM, .dflt = "\"ike\"", .choices = keyings },
};

static const struct fspec child_fields[] = {
	{ .key = "mode", .type = FT_ENUM, .dflt = "\"tunnel\"", .choices = modes },
	{ .key = "protocol", .type = FT_ENUM, .dflt = "\"esp\"", .choices = protocols, .reserved = "ah" },
	{ .key = "local_ts", .type = FT_SELECTORS, .dflt = "[\"dynamic\"]", .lmin = 1, .lmax = 16 },
	{ .key = "remote_ts", .type = FT_SELECTORS, .dflt = "[\"dynamic\"]", .lmin = 1, .lmax = 16 },
	{ .key = "esp_proposals", .type = FT_PROPOSALS, .kind = PROP_ESP, .lmin = 1, .lmax = 8,
	  .dflt = "[\"chacha20poly1305\", \"aes256gcm16\"]" },
	{ .key = "start_action", .type = FT_ENUM, .dflt = "\"none\"", .choices = start_actions },
	{ .key = "rekey_time", .type = FT_INT, .dflt = "3600", .min = 60, .max = LIFE_MAX, .zero_ok = true },
	{ .key = "life_bytes", .type = FT_INT, .dflt = "0", .min = 0, .max = BYTES_MAX },
	{ .key = "life_packets", .type = FT_INT, .dflt = "0", .min = 0, .max = BYTES_MAX },
	{ .key = "replay_window", .type = FT_INT, .dflt = "128", .min = 32, .max = 4096 },
};

static const struct fspec manual_fields[] = {
	{ .key = "spi_in", .type = FT_INT, .min = 256, .max = 4294967295LL },
	{ .key = "spi_out", .type = FT_INT, .min = 256, .max = 4294967295LL },
	{ .key = "key_in", .type = FT_SECRET, .secret_type = "key" },
	{ .key = "key_out", .type = FT_SECRET, .secret_type = "key" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct fspec *find_spec(const struct fspec *t, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].key, key) == 0)
			return &t[i];
	return NULL;
}

/* One string element of a list: checked by the list's kind. */
static const char *check_item(const struct fspec *f, const char *s)
{
	struct ip_addr a;
	struct ts t;
	struct proposal p;
	unsigned plen;

	switch (f->type) {
	case FT_ENDPOINTS:
		return addr_parse_endpoint(s, &a, &plen);
	case FT_SELECTORS:
		return ts_parse(s, &t);
	case FT_PROPOSALS:
		return proposal_parse(f->kind, s, &p);
	default:
		return NULL;
	}
}

/* Validate one present value; false (with errors) when wrong. */
static bool check_value(const struct fspec *f, const json_t *v, const char *path, struct ferrs *e)
{
	char ipath[FIELD_PATH_MAX];

	switch (f->type) {
	case FT_BOOL:
		if (!json_is_boolean(v)) {
			ferrs_add(e, path, "must be true or false");
			return false;
		}
		return true;
	case FT_INT: {
		json_int_t i;

		if (!json_is_integer(v)) {
			ferrs_add(e, path, "must be an integer");
			return false;
		}
		i = json_integer_value(v);
		if (f->zero_ok && i == 0)
			return true;
		if (i < f->min || i > f->max) {
			if (f->zero_ok)
				ferrs_addf(e, path, "must be 0 or %lld to %lld", (long long)f->min,
					   (long long)f->max);
			else
				ferrs_addf(e, path, "must be %lld to %lld", (long long)f->min,
					   (long long)f->max);
			return false;
		}
		return true;
	}
	case FT_ENUM: {
		const char *s = json_string_value(v);
		char list[128] = "";

		if (s && f->reserved && strcmp(s, f->reserved) == 0) {
			ferrs_addf(e, path, "\"%s\" is not supported yet", f->reserved);
			return false;
		}
		for (unsigned i = 0; s && f->choices[i]; i++)
			if (strcmp(s, f->choices[i]) == 0)
				return true;
		for (unsigned i = 0; f->choices[i]; i++) {
			if (f->reserved && strcmp(f->choices[i], f->reserved) == 0)
				continue;
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
				 *list ? ", " : "", f->choices[i]);
		}
		ferrs_addf(e, path, "must be one of %s", list);
		return false;
	}
	case FT_IDENT: {
		const char *s = json_string_value(v), *err;
		struct ident id;

		if (!s || json_string_length(v) != strlen(s)) {
			ferrs_add(e, path, "must be a string");
			return false;
		}
		if (!f->remote && strcmp(s, "%any") == 0) {
			ferrs_add(e, path, "%any is only allowed for remote_id (leave local_id empty to use the address)");
			return false;
		}
		err = ident_parse(s, &id);
		if (err) {
			ferrs_add(e, path, err);
			return false;
		}
		return true;
	}
	case FT_SECRET: {
		const char *s = json_string_value(v);

		if (!s) {
			ferrs_add(e, path, "must be a string (the name of a secret)");
			return false;
		}
		if (!name_valid(s)) {
			ferrs_add(e, path, "must be a secret name: 1 to 64 of A-Z a-z 0-9 _ . -");
			return false;
		}
		return true;
	}
	case FT_ENDPOINTS:
	case FT_PROPOSALS:
	case FT_SELECTORS: {
		size_t i, n;
		const json_t *it;
		bool good = true;

		if (!json_is_array(v)) {
			ferrs_add(e, path, "must be an array of strings");
			return false;
		}
		n = json_array_size(v);
		if (n < f->lmin || n > f->lmax) {
			ferrs_addf(e, path, "must have %u to %u entries", f->lmin, f->lmax);
			return false;
		}
		json_array_foreach(v, i, it) {
			const char *s = json_string_value(it), *err;

			field_index(ipath, path, i);
			if (!s || json_string_length(it) != strlen(s)) {
				ferrs_add(e, ipath, "must be a string");
				good = false;
				continue;
			}
			err = check_item(f, s);
			if (err) {
				ferrs_add(e, ipath, err);
				good = false;
			}
		}
		return good;
	}
	}
	return false;
}

/*
 * Defaults are written as JSON text in the tables; parsed once, then copied
 * into each document (a bulk import fills in thousands of them).
 */
static json_t *defaults[N(conn_fields) + N(child_fields) + N(manual_fields)];
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static void parse_defaults(void)
{
	const struct { const struct fspec *t; size_t n; } all[] = {
		{ conn_fields, N(conn_fields) }, { child_fields, N(child_fields) }, { manual_fields, N(manual_fields) },
	};
	size_t k = 0;

	for (size_t a = 0; a < N(all); a++)
		for (size_t i = 0; i < all[a].n; i++, k++)
			defaults[k] = all[a].t[i].dflt ? json_loads(all[a].t[i].dflt, JSON_DECODE_ANY, NULL) : NULL;
}

static json_t *default_of(const struct fspec *f)
{
	size_t k;

	pthread_once(&defaults_once, parse_defaults);
	if (f >= conn_fields && f < conn_fields + N(conn_fields))
		k = (size_t)(f - conn_fields);
	else if (f >= child_fields && f < child_fields + N(child_fields))
		k = N(conn_fields) + (size_t)(f - child_fields);
	else
		k = N(conn_fields) + N(child_fields) + (size_t)(f - manual_fields);
	/*
	 * Scalars are shared (nothing changes a value in place; jansson's
	 * reference counts are atomic); lists are copied, as a caller may edit
	 * its own document's arrays.
	 */
	return json_is_array(defaults[k]) ? json_deep_copy(defaults[k]) : json_incref(defaults[k]);
}

/*
 * Fields of one object by a spec table: unknown keys are errors, known ones
 * are checked, missing ones take their default. `skip` lists keys the caller
 * handles itself (name, children, manual).
 */
static json_t *check_object(const json_t *in, const char *base, const struct fspec *t, size_t n,
			    const char *const *skip, struct ferrs *e, json_t *out)
{
	const char *key;
	const json_t *v;
	char path[FIELD_PATH_MAX];

	json_object_foreach((json_t *)in, key, v) {
		bool skipped = false;

		for (unsigned i = 0; skip && skip[i]; i++)
			if (strcmp(key, skip[i]) == 0)
				skipped = true;
		if (!skipped && !find_spec(t, n, key)) {
			field_key(path, base, key);
			ferrs_add(e, path, "unknown field");
		}
	}
	for (size_t i = 0; i < n; i++) {
		v = json_object_get(in, t[i].key);
		field_key(path, base, t[i].key);
		if (v) {
			if (check_value(&t[i], v, path, e))
				json_object_set_new(out, t[i].key, json_deep_copy(v));
		} else if (t[i].dflt) {
			json_object_set_new(out, t[i].key, default_of(&t[i]));
		}
	}
	return out;
}

static const char *check_name(const json_t *in, const char *base, struct ferrs *e, json_t *out)
{
	const json_t *v = json_object_get(in, "name");
	char path[FIELD_PATH_MAX];
	const char *s = json_string_value(v);

	field_key(path, base, "name");
	if (!v) {
		ferrs_add(e, path, "is required");
		return NULL;
	}
	if (!s || !name_valid(s)) {
		ferrs_add(e, path, "must be 1 to 64 of A-Z a-z 0-9 _ . -");
		return NULL;
	}
	json_object_set_new(out, "name", json_string(s));
	return s;
}

static bool plain_addr(const json_t *list, size_t i)
{
	struct ip_addr a;
	const char *s = json_string_value(json_array_get(list, i));

	return s && !addr_parse(s, &a);
}

static const char *const child_skip[] = { "name", "manual", NULL };
static const char *const manual_skip[] = { NULL };

json_t *model_child(const json_t *in, const char *base, const json_t *conn, struct ferrs *e)
{
	int before = ferrs_count(e);
	json_t *out = json_object();
	const json_t *manual = json_object_get(in, "manual");
	const char *keying = json_string_value(json_object_get(conn, "keying"));
	const char *start;
	char path[FIELD_PATH_MAX];

	if (!json_is_object(in)) {
		ferrs_add(e, base, "must be an object");
		json_decref(out);
		return NULL;
	}
	check_name(in, base, e, out);
	check_object(in, base, child_fields, N(child_fields), child_skip, e, out);

	field_key(path, base, "manual");
	if (keying && strcmp(keying, "manual") == 0) {
		if (!manual) {
			ferrs_add(e, path, "is required when the connection's keying is \"manual\"");
		} else if (!json_is_object(manual)) {
			ferrs_add(e, path, "must be an object with spi_in, spi_out, key_in, key_out");
		} else {
			char mbase[FIELD_PATH_MAX];
			json_t *m;

			snprintf(mbase, sizeof(mbase), "%s", path);
			m = check_object(manual, mbase, manual_fields, N(manual_fields), manual_skip, e, json_object());
			for (size_t i = 0; i < N(manual_fields); i++)
				if (!json_object_get(manual, manual_fields[i].key)) {
					char mp[FIELD_PATH_MAX];

					field_key(mp, mbase, manual_fields[i].key);
					ferrs_add(e, mp, "is required");
				}
			json_object_set_new(out, "manual", m);
		}
	} else if (manual) {
		ferrs_add(e, path, "is only allowed when the connection's keying is \"manual\"");
	}

	/* An initiator must know where to send IKE_SA_INIT. */
	start = json_string_value(json_object_get(out, "start_action"));
	if (start && strcmp(start, "none") != 0 && conn && !base[0] &&
	    json_object_get(conn, "remote_addrs") &&
	    !plain_addr(json_object_get(conn, "remote_addrs"), 0) &&
	    !(keying && strcmp(keying, "manual") == 0)) {
		field_key(path, base, "start_action");
		ferrs_add(e, path, "the connection's remote_addrs[0] must be a plain address to initiate");
	}
	if (ferrs_count(e) > before) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static const char *const conn_skip[] = { "name", "children", NULL };

json_t *model_connection(const json_t *in, const char *base, struct ferrs *e)
{
	int before = ferrs_count(e);
	json_t *out, *children = json_array();
	const json_t *cin;
	char path[FIELD_PATH_MAX];
	const char *keying, *auth;

	if (!json_is_object(in)) {
		ferrs_add(e, base, "must be an object");
		json_decref(children);
		return NULL;
	}
	out = json_object();
	check_name(in, base, e, out);
	check_object(in, base, conn_fields, N(conn_fields), conn_skip, e, out);

	keying = json_string_value(json_object_get(out, "keying"));
	auth = json_string_value(json_object_get(out, "auth"));
	if (!keying)
		keying = json_object_get(in, "keying") ? "" : "ike";
	if (!auth)
		auth = "";
	if (strcmp(keying, "ike") == 0 && strcmp(auth, "psk") == 0 && !json_object_get(in, "psk")) {
		field_key(path, base, "psk");
		ferrs_add(e, path, "is required with auth \"psk\" (the name of a secret of type psk)");
	}
	if (strcmp(keying, "manual") == 0) {
		const char *const ends[] = { "local_addrs", "remote_addrs" };

		for (unsigned k = 0; k < 2; k++) {
			const json_t *l = json_object_get(out, ends[k]);

			if (l && !plain_addr(l, 0)) {
				char p2[FIELD_PATH_MAX];

				field_key(p2, base, ends[k]);
				field_index(path, p2, 0);
				ferrs_add(e, path, "manual keying needs a plain address here (the SA's outer address)");
			}
		}
	}

	field_key(path, base, "children");
	cin = json_object_get(in, "children");
	if (cin && !json_is_array(cin)) {
		ferrs_add(e, path, "must be an array of children");
	} else if (cin && json_array_size(cin) > CHILDREN_MAX) {
		ferrs_addf(e, path, "must have at most %d children", CHILDREN_MAX);
	} else if (cin) {
		size_t i;
		const json_t *c;
		bool initiates = false;

		json_array_foreach(cin, i, c) {
			char cpath[FIELD_PATH_MAX];
			json_t *ch;

			field_index(cpath, path, i);
			ch = model_child(c, cpath, out, e);
			if (!ch)
				continue;
			for (size_t j = 0; j < json_array_size(children); j++) {
				const char *other = json_string_value(
					json_object_get(json_array_get(children, j), "name"));

				if (strcmp(other, json_string_value(json_object_get(ch, "name"))) == 0) {
					char np[FIELD_PATH_MAX];

					field_key(np, cpath, "name");
					ferrs_add(e, np, "another child of this connection has this name");
				}
			}
			if (strcmp(json_string_value(json_object_get(ch, "start_action")), "none") != 0)
				initiates = true;
			json_array_append_new(children, ch);
		}
		if (initiates && strcmp(keying, "ike") == 0 && json_object_get(out, "remote_addrs") &&
		    !plain_addr(json_object_get(out, "remote_addrs"), 0)) {
			char p2[FIELD_PATH_MAX];

			field_key(p2, base, "remote_addrs");
			field_index(path, p2, 0);
			ferrs_add(e, path, "an initiator (a child with start_action start or trap) needs a plain address first");
		}
	}
	json_object_set_new(out, "children", children);
	if (ferrs_count(e) > before) {
		json_decref(out);
		return NULL;
	}
	return out;
}

void model_child_refs(const json_t *child, const char *base, model_ref_fn fn, void *ctx)
{
	const json_t *m = json_object_get(child, "manual");
	char mbase[FIELD_PATH_MAX], path[FIELD_PATH_MAX];

	if (!m)
		return;
	field_key(mbase, base, "manual");
	field_key(path, mbase, "key_in");
	fn(ctx, path, json_string_value(json_object_get(m, "key_in")), "key");
	field_key(path, mbase, "key_out");
	fn(ctx, path, json_string_value(json_object_get(m, "key_out")), "key");
}

void model_connection_refs(const json_t *conn, const char *base, model_ref_fn fn, void *ctx)
{
	const json_t *psk = json_object_get(conn, "psk"), *c;
	char path[FIELD_PATH_MAX], cbase[FIELD_PATH_MAX];
	size_t i;

	if (json_is_string(psk)) {
		field_key(path, base, "psk");
		fn(ctx, path, json_string_value(psk), "psk");
	}
	field_key(path, base, "children");
	json_array_foreach(json_object_get(conn, "children"), i, c) {
		field_index(cbase, path, i);
		model_child_refs(c, cbase, fn, ctx);
	}
}

const char *model_secret_value(const char *type, const char *value, size_t len,
			       uint8_t *out, size_t out_max, size_t *out_len)
{
	if (strcmp(type, "psk") == 0) {
		if (len < PSK_MIN || len > PSK_MAX)
			return "a psk must be 8 to 256 bytes";
		if (memchr(value, '\0', len))
			return "a psk must not contain NUL characters";
		if (len > out_max)
			return "too long";
		memcpy(out, value, len);
		*out_len = len;
		return NULL;
	}
	if (strcmp(type, "key") == 0) {
		size_t n = len;

		if (n >= 2 && value[0] == '0' && (value[1] == 'x' || value[1] == 'X')) {
			value += 2;
			n -= 2;
		}
		if (n != 2 * KEY_BYTES)
			return "a key must be 72 hex digits (36 bytes: the AEAD key and its 4-byte salt)";
		if (hex_decode(value, n, out, out_max) != KEY_BYTES)
			return "a key must be hex digits";
		*out_len = KEY_BYTES;
		return NULL;
	}
	return "type must be \"psk\" or \"key\"";
}

static const struct fspec *scope_table(enum model_scope scope, size_t *n)
{
	switch (scope) {
	case MODEL_CONNECTION:
		*n = N(conn_fields);
		return conn_fields;
	case MODEL_CHILD:
		*n = N(child_fields);
		return child_fields;
	case MODEL_MANUAL:
		*n = N(manual_fields);
		return manual_fields;
	}
	*n = 0;
	return NULL;
}

enum model_kind model_field_kind(enum model_scope scope, const char *key)
{
	size_t n;
	const struct fspec *t = scope_table(scope, &n), *f;

	if (strcmp(key, "name") == 0)
		return MK_STRING;
	f = t ? find_spec(t, n, key) : NULL;
	if (!f)
		return MK_UNKNOWN;
	switch (f->type) {
	case FT_BOOL:
		return MK_BOOL;
	case FT_INT:
		return MK_INT;
	case FT_ENDPOINTS:
	case FT_PROPOSALS:
	case FT_SELECTORS:
		return MK_LIST;
	case FT_ENUM:
	case FT_IDENT:
	case FT_SECRET:
		return MK_STRING;
	}
	return MK_UNKNOWN;
}

const char *model_field_name(enum model_scope scope, unsigned i)
{
	size_t n;
	const struct fspec *t = scope_table(scope, &n);

	return t && i < n ? t[i].key : NULL;
}

json_t *model_merge_patch(const json_t *target, const json_t *patch)
{
	json_t *out;
	const char *key;
	json_t *v;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(target) ? json_deep_copy(target) : json_object();
	json_object_foreach((json_t *)patch, key, v) {
		if (json_is_null(v)) {
			json_object_del(out, key);
		} else {
			json_t *merged = model_merge_patch(json_object_get(out, key), v);

			json_object_set_new(out, key, merged);
		}
	}
	return out;
}
