// SPDX-License-Identifier: MIT
/*
 * Parsing and validation of docs/config.md. Each object is checked for
 * unknown members first (a typo must never be ignored), then each member in
 * turn; errors are collected with their JSON path and parsing goes on, so
 * one reply names every problem.
 */
#include "config.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PATH_MAX_LEN = CFG_FIELD_MAX };

struct pctx {
	struct cfg_errors *errs;
	enum cfg_source src;
	char path[PATH_MAX_LEN];
	size_t plen;
};

/* Copy with truncation; the destination is always terminated. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- errors and paths ------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static void fail(struct pctx *c, const char *member, const char *fmt, ...)
{
	struct cfg_error *e;
	va_list ap;

	if (c->errs->n >= CFG_ERRORS_MAX) {
		c->errs->more++;
		return;
	}
	e = &c->errs->e[c->errs->n++];
	if (member && *member) {
		if (snprintf(e->field, sizeof(e->field), "%s%s%s", c->path, c->plen ? "." : "",
			     member) >= (int)sizeof(e->field))
			e->field[sizeof(e->field) - 2] = '~';	/* marks a cut path */
	} else {
		copy_str(e->field, sizeof(e->field), c->plen ? c->path : "config");
	}
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* Descend into a member ("name") or an index (name=NULL, i). Returns the
 * old length for pop(). */
static size_t push(struct pctx *c, const char *name, long idx)
{
	size_t old = c->plen;
	int n;

	if (name)
		n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%s",
			     c->plen ? "." : "", name);
	else
		n = snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "[%ld]", idx);
	if (n > 0)
		c->plen = strlen(c->path);
	return old;
}

static void pop(struct pctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

json_t *cfg_errors_json(const struct cfg_errors *errs)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < errs->n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "field", errs->e[i].field,
						   "message", errs->e[i].message));
	if (errs->more) {
		char m[64];

		snprintf(m, sizeof(m), "%u more errors not listed", errs->more);
		json_array_append_new(a, json_pack("{s:s, s:s}", "field", "config", "message", m));
	}
	return a;
}

/* ---- member readers ----------------------------------------------------------- */

static bool check_members(struct pctx *c, const json_t *o, const char *const *allowed)
{
	const char *k;
	json_t *v;
	bool good = true;

	json_object_foreach((json_t *)o, k, v) {
		bool known = false;

		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, k) == 0)
				known = true;
		if (!known) {
			fail(c, k, "unknown field");
			good = false;
		}
	}
	return good;
}

/* String member: copied into out (max bytes incl. NUL). Returns 1 when
 * present and good, 0 when absent, -1 on error. */
static int get_str(struct pctx *c, const json_t *o, const char *k, char *out, size_t max)
{
	const json_t *v = json_object_get(o, k);
	size_t n;

	if (!v)
		return 0;
	if (!json_is_string(v)) {
		fail(c, k, "must be a string");
		return -1;
	}
	n = json_string_length(v);
	if (n >= max) {
		fail(c, k, "too long (at most %zu bytes)", max - 1);
		return -1;
	}
	if (strlen(json_string_value(v)) != n) {
		fail(c, k, "must not contain NUL characters");
		return -1;
	}
	memcpy(out, json_string_value(v), n + 1);
	return 1;
}

static int get_int(struct pctx *c, const json_t *o, const char *k, long long lo, long long hi,
		   long long *out, const char *rule)
{
	const json_t *v = json_object_get(o, k);
	long long x;

	if (!v)
		return 0;
	if (!json_is_integer(v)) {
		fail(c, k, "must be an integer (%s)", rule);
		return -1;
	}
	x = json_integer_value(v);
	if (x < lo || x > hi) {
		fail(c, k, "out of range: %s", rule);
		return -1;
	}
	*out = x;
	return 1;
}

/* Duration-like: 0, or lo..hi. */
static void get_zero_or_range(struct pctx *c, const json_t *o, const char *k, long long lo,
			      long long hi, uint32_t *out, const char *rule)
{
	long long x;

	if (get_int(c, o, k, 0, hi, &x, rule) == 1) {
		if (x != 0 && x < lo)
			fail(c, k, "out of range: %s", rule);
		else
			*out = (uint32_t)x;
	}
}

static void get_bool(struct pctx *c, const json_t *o, const char *k, bool *out)
{
	const json_t *v = json_object_get(o, k);

	if (!v)
		return;
	if (!json_is_boolean(v))
		fail(c, k, "must be true or false");
	else
		*out = json_is_true(v);
}

/* One of names[] (NULL-terminated); writes the index. */
static void get_enum(struct pctx *c, const json_t *o, const char *k, const char *const *names,
		     int *out)
{
	char s[32], list[128] = "";
	int r = get_str(c, o, k, s, sizeof(s));

	if (r == 0)
		return;
	for (int i = 0; names[i]; i++) {
		if (r == 1 && strcmp(s, names[i]) == 0) {
			*out = i;
			return;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
			 i ? ", " : "", names[i]);
	}
	if (r == 1)
		fail(c, k, "must be one of %s", list);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > CFG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static void get_name(struct pctx *c, const json_t *o, const char *k, char *out, bool required)
{
	char buf[CFG_NAME_MAX + 64];
	int r = get_str(c, o, k, buf, sizeof(buf));

	if (r == 0 && required)
		fail(c, k, "required");
	if (r != 1)
		return;
	if (!name_ok(buf)) {
		fail(c, k, "must be 1-64 characters of A-Z a-z 0-9 _ . -");
		return;
	}
	memcpy(out, buf, strlen(buf) + 1);
}

/* An array member of strings: calls each(c, i, str) with the path at [i].
 * Returns the count, or -1 when absent. */
static int get_str_array(struct pctx *c, const json_t *o, const char *k, unsigned min, unsigned max,
			 void (*each)(struct pctx *, void *, unsigned, const char *), void *arg)
{
	const json_t *v = json_object_get(o, k);
	size_t old, i;
	const json_t *it;

	if (!v)
		return -1;
	if (!json_is_array(v)) {
		fail(c, k, "must be an array of strings");
		return 0;
	}
	if (json_array_size(v) < min || json_array_size(v) > max) {
		fail(c, k, "must have %u to %u entries", min, max);
		return 0;
	}
	old = push(c, k, 0);
	json_array_foreach(v, i, it) {
		size_t o2 = push(c, NULL, (long)i);

		if (!json_is_string(it) || strlen(json_string_value(it)) != json_string_length(it))
			fail(c, NULL, "must be a string");
		else
			each(c, arg, (unsigned)i, json_string_value(it));
		pop(c, o2);
	}
	pop(c, old);
	return (int)json_array_size(v);
}

/* ---- element parsers ------------------------------------------------------------ */

static void each_endpoint(struct pctx *c, void *arg, unsigned i, const char *s)
{
	struct cfg_endpoint *e = (struct cfg_endpoint *)arg + i;
	const char *err;

	if (strlen(s) >= sizeof(e->text)) {
		fail(c, NULL, "not an address (too long)");
		return;
	}
	err = addr_parse_endpoint(s, &e->addr, &e->plen);
	if (err)
		fail(c, NULL, "%s", err);
	copy_str(e->text, sizeof(e->text), s);
}

static void each_prop(struct pctx *c, enum prop_kind kind, struct cfg_proposal *p, const char *s)
{
	const char *err = proposal_parse(kind, s, &p->p);

	if (err)
		fail(c, NULL, "%s", err);
	else
		copy_str(p->text, sizeof(p->text), s);
}

static void each_ike(struct pctx *c, void *arg, unsigned i, const char *s)
{
	each_prop(c, PROP_IKE, (struct cfg_proposal *)arg + i, s);
}

static void each_esp(struct pctx *c, void *arg, unsigned i, const char *s)
{
	each_prop(c, PROP_ESP, (struct cfg_proposal *)arg + i, s);
}

/* A proposal list, or the two defaults when absent; returns the count. */
static unsigned get_proposals(struct pctx *c, const json_t *o, const char *k, enum prop_kind kind,
			      struct cfg_proposal *out, const char *def0, const char *def1)
{
	int n = get_str_array(c, o, k, 1, CFG_PROPOSALS_MAX, kind == PROP_IKE ? each_ike : each_esp, out);

	if (n >= 0)
		return (unsigned)n;
	each_prop(c, kind, &out[0], def0);
	each_prop(c, kind, &out[1], def1);
	return 2;
}

static void each_ts(struct pctx *c, void *arg, unsigned i, const char *s)
{
	struct cfg_ts *t = (struct cfg_ts *)arg + i;
	const char *err = ts_parse(s, &t->ts);

	if (err)
		fail(c, NULL, "%s", err);
	else
		copy_str(t->text, sizeof(t->text), s);
}

static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int v = 0;

		for (int k = 0; k < 2; k++) {
			char ch = s[2 * i + (size_t)k];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				v |= ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				v |= ch - 'A' + 10;
			else
				return -1;
		}
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static bool identity_ok(struct pctx *c, const char *k, const char *s, bool remote)
{
	if (strcmp(s, "%any") == 0) {
		if (!remote) {
			fail(c, k, "%%any matches any peer: it cannot be our own identity");
			return false;
		}
		return true;
	}
	if (strncmp(s, "@#", 2) == 0) {
		uint8_t buf[CFG_ID_MAX];
		int n = unhex(s + 2, buf, sizeof(buf));

		if (n <= 0) {
			fail(c, k, "a KEY_ID identity (@#…) needs an even number of hex digits");
			return false;
		}
	}
	return true;
}

/* ---- objects ---------------------------------------------------------------------- */

static void parse_keyref(struct pctx *c, const json_t *o, const char *k, struct cfg_keyref *kr,
			 const struct cfg *cfg, const json_t *secrets)
{
	char text[2 * CFG_KEY_LEN + 16];
	int r = get_str(c, o, k, text, sizeof(text));

	if (r == 0)
		fail(c, k, "required (the name of a secret of type key)");
	if (r != 1)
		goto out;
	if (strncmp(text, "hex:", 4) == 0) {
		if (c->src != CFG_SRC_FILE) {
			fail(c, k, "key literals are accepted only in a --config file: name a secret");
			goto out;
		}
		if (unhex(text + 4, kr->value, CFG_KEY_LEN) != CFG_KEY_LEN)
			fail(c, k, "a key literal must be hex:<72 hex digits>: the 32-byte key, then the 4-byte salt");
		kr->name[0] = '\0';
		goto out;
	}
	if (!name_ok(text)) {
		fail(c, k, "must name a secret (1-64 characters of A-Z a-z 0-9 _ . -)");
		goto out;
	}
	copy_str(kr->name, sizeof(kr->name), text);
	{
		const json_t *s = json_object_get(secrets, text);
		const json_t *t = s ? json_object_get(s, "type") : NULL;

		if (!s)
			fail(c, k, "no secret named \"%s\" in secrets", text);
		else if (!json_is_string(t) || strcmp(json_string_value(t), "key") != 0)
			fail(c, k, "secret \"%s\" is not of type key", text);
		/* The value itself is checked (and copied) with the secrets. */
	}
	(void)cfg;
out:
	sodium_memzero(text, sizeof(text));
}

static void parse_manual(struct pctx *c, const json_t *o, struct cfg_child *ch, const struct cfg *cfg,
			 const json_t *secrets)
{
	static const char *const members[] = { "spi_in", "spi_out", "key_in", "key_out", NULL };
	long long v;

	if (!json_is_object(o)) {
		fail(c, NULL, "must be an object");
		return;
	}
	check_members(c, o, members);
	if (get_int(c, o, "spi_in", CFG_SPI_MIN, 0xffffffffll, &v, "256-4294967295") == 1)
		ch->manual.spi_in = (uint32_t)v;
	else if (!json_object_get(o, "spi_in"))
		fail(c, "spi_in", "required");
	if (get_int(c, o, "spi_out", CFG_SPI_MIN, 0xffffffffll, &v, "256-4294967295") == 1)
		ch->manual.spi_out = (uint32_t)v;
	else if (!json_object_get(o, "spi_out"))
		fail(c, "spi_out", "required");
	parse_keyref(c, o, "key_in", &ch->manual.key_in, cfg, secrets);
	parse_keyref(c, o, "key_out", &ch->manual.key_out, cfg, secrets);
}

static void set_default_ts(struct cfg_ts *t)
{
	snprintf(t->text, sizeof(t->text), "dynamic");
	ts_parse("dynamic", &t->ts);
}

static void parse_child(struct pctx *c, const json_t *o, struct cfg_conn *conn, struct cfg_child *ch,
			const struct cfg *cfg, const json_t *secrets)
{
	static const char *const members[] = {
		"name", "mode", "protocol", "local_ts", "remote_ts", "esp_proposals", "start_action",
		"rekey_time", "life_bytes", "life_packets", "replay_window", "manual", NULL,
	};
	static const char *const modes[] = { "tunnel", "transport", NULL };
	static const char *const protos[] = { "esp", "ah", NULL };
	static const char *const starts[] = { "none", "trap", "start", NULL };
	int mode = CFG_MODE_TUNNEL, proto = 0, start = CFG_START_NONE, n;
	long long v;
	const json_t *m;

	if (!json_is_object(o)) {
		fail(c, NULL, "must be an object");
		return;
	}
	check_members(c, o, members);
	get_name(c, o, "name", ch->name, true);
	get_enum(c, o, "mode", modes, &mode);
	ch->mode = (enum cfg_mode)mode;
	get_enum(c, o, "protocol", protos, &proto);
	if (proto == 1)
		fail(c, "protocol", "ah is not supported yet");
	n = get_str_array(c, o, "local_ts", 1, CFG_TS_MAX, each_ts, ch->local_ts);
	ch->n_local_ts = n < 0 ? 1 : (unsigned)n;
	if (n < 0)
		set_default_ts(&ch->local_ts[0]);
	n = get_str_array(c, o, "remote_ts", 1, CFG_TS_MAX, each_ts, ch->remote_ts);
	ch->n_remote_ts = n < 0 ? 1 : (unsigned)n;
	if (n < 0)
		set_default_ts(&ch->remote_ts[0]);
	ch->n_esp = get_proposals(c, o, "esp_proposals", PROP_ESP, ch->esp, "chacha20poly1305",
				  "aes256gcm16");
	get_enum(c, o, "start_action", starts, &start);
	ch->start_action = (enum cfg_start)start;
	ch->rekey_time = 3600;
	get_zero_or_range(c, o, "rekey_time", CFG_REKEY_MIN, CFG_REKEY_MAX, &ch->rekey_time,
			  "0 (never) or 60-31536000 seconds");
	if (get_int(c, o, "life_bytes", 0, (long long)CFG_LIFE_MAX, &v, "0 (none) to 2^62") == 1)
		ch->life_bytes = (uint64_t)v;
	if (get_int(c, o, "life_packets", 0, (long long)CFG_LIFE_MAX, &v, "0 (none) to 2^62") == 1)
		ch->life_packets = (uint64_t)v;
	ch->replay_window = 128;
	if (get_int(c, o, "replay_window", CFG_REPLAY_MIN, CFG_REPLAY_MAX, &v, "32-4096 packets") == 1)
		ch->replay_window = (uint32_t)v;
	m = json_object_get(o, "manual");
	if (conn->keying == CFG_KEYING_MANUAL) {
		if (!m) {
			fail(c, "manual", "required when the connection's keying is manual");
		} else {
			size_t old = push(c, "manual", 0);

			ch->has_manual = true;
			parse_manual(c, m, ch, cfg, secrets);
			pop(c, old);
		}
	} else if (m) {
		fail(c, "manual", "only allowed when the connection's keying is manual");
	}
}

static bool plain_addr(const struct cfg_endpoint *e)
{
	return e->addr.family != IPF_NONE && e->plen == ip_family_len(e->addr.family) * 8 &&
	       !addr_is_zero(&e->addr);
}

static void parse_conn(struct pctx *c, const json_t *o, struct cfg_conn *conn, const struct cfg *cfg,
		       const json_t *secrets)
{
	static const char *const members[] = {
		"name", "enabled", "local_addrs", "remote_addrs", "local_port", "remote_port",
		"local_id", "remote_id", "auth", "psk", "ike_proposals", "rekey_time", "dpd_delay",
		"dpd_action", "nat_t", "datapath", "keying", "children", NULL,
	};
	static const char *const auths[] = { "psk", "pubkey", NULL };
	static const char *const dpds[] = { "clear", "restart", NULL };
	static const char *const nats[] = { "auto", "force", "off", NULL };
	static const char *const dps[] = { "user", "kmod", "xfrm", NULL };
	static const char *const keyings[] = { "ike", "manual", NULL };
	int auth = 0, dpd = 0, nat = 0, dp = 0, keying = 0, n;
	long long v;
	const json_t *ch;
	bool lp = false, rp = false;

	if (!json_is_object(o)) {
		fail(c, NULL, "must be an object");
		return;
	}
	check_members(c, o, members);
	get_name(c, o, "name", conn->name, true);
	conn->enabled = true;
	get_bool(c, o, "enabled", &conn->enabled);
	n = get_str_array(c, o, "local_addrs", 1, CFG_ADDRS_MAX, each_endpoint, conn->local_addrs);
	conn->n_local_addrs = n < 0 ? 1 : (unsigned)n;
	if (n < 0)
		each_endpoint(c, conn->local_addrs, 0, "%any");
	n = get_str_array(c, o, "remote_addrs", 1, CFG_ADDRS_MAX, each_endpoint, conn->remote_addrs);
	conn->n_remote_addrs = n < 0 ? 1 : (unsigned)n;
	if (n < 0)
		each_endpoint(c, conn->remote_addrs, 0, "%any");
	conn->local_port = conn->remote_port = CFG_IKE_PORT;
	if (get_int(c, o, "local_port", 1, 65535, &v, "1-65535") == 1) {
		conn->local_port = (uint16_t)v;
		lp = true;
	}
	if (get_int(c, o, "remote_port", 1, 65535, &v, "1-65535") == 1) {
		conn->remote_port = (uint16_t)v;
		rp = true;
	}
	if (get_str(c, o, "local_id", conn->local_id, sizeof(conn->local_id)) == 1)
		identity_ok(c, "local_id", conn->local_id, false);
	snprintf(conn->remote_id, sizeof(conn->remote_id), "%%any");
	if (get_str(c, o, "remote_id", conn->remote_id, sizeof(conn->remote_id)) == 1)
		identity_ok(c, "remote_id", conn->remote_id, true);
	get_enum(c, o, "auth", auths, &auth);
	conn->auth = (enum cfg_auth)auth;
	if (auth == CFG_AUTH_PUBKEY)
		fail(c, "auth", "pubkey is not supported yet");
	conn->n_ike = get_proposals(c, o, "ike_proposals", PROP_IKE, conn->ike,
				    "chacha20poly1305-prfsha256-x25519", "aes256gcm16-prfsha256-x25519");
	conn->rekey_time = 14400;
	get_zero_or_range(c, o, "rekey_time", CFG_REKEY_MIN, CFG_REKEY_MAX, &conn->rekey_time,
			  "0 (never) or 60-31536000 seconds");
	conn->dpd_delay = 30;
	get_zero_or_range(c, o, "dpd_delay", 1, CFG_DPD_MAX, &conn->dpd_delay,
			  "0 (off) or 1-3600 seconds");
	get_enum(c, o, "dpd_action", dpds, &dpd);
	conn->dpd_action = (enum cfg_dpd_action)dpd;
	get_enum(c, o, "nat_t", nats, &nat);
	conn->nat_t = (enum cfg_nat_t)nat;
	get_enum(c, o, "datapath", dps, &dp);
	conn->datapath = (enum cfg_datapath)dp;
	get_enum(c, o, "keying", keyings, &keying);
	conn->keying = (enum cfg_keying)keying;

	if (get_str(c, o, "psk", conn->psk, sizeof(conn->psk)) == 1) {
		const json_t *s = json_object_get(secrets, conn->psk);
		const json_t *t = s ? json_object_get(s, "type") : NULL;

		if (!name_ok(conn->psk))
			fail(c, "psk", "must name a secret (1-64 characters of A-Z a-z 0-9 _ . -)");
		else if (!s)
			fail(c, "psk", "no secret named \"%s\" in secrets", conn->psk);
		else if (!json_is_string(t) || strcmp(json_string_value(t), "psk") != 0)
			fail(c, "psk", "secret \"%s\" is not of type psk", conn->psk);
	} else if (!json_object_get(o, "psk") && conn->keying == CFG_KEYING_IKE &&
		   conn->auth == CFG_AUTH_PSK) {
		fail(c, "psk", "required with keying ike and auth psk (the name of a psk secret)");
	}

	if (conn->keying == CFG_KEYING_MANUAL) {
		/* ESP in UDP between 4500s unless ports were chosen. */
		if (conn->nat_t == CFG_NAT_FORCE) {
			if (!lp && !rp)
				conn->local_port = conn->remote_port = CFG_NATT_PORT;
		}
		if (!plain_addr(&conn->local_addrs[0]))
			fail(c, "local_addrs[0]", "manual keying needs a plain address here (the SA's outer source)");
		if (!plain_addr(&conn->remote_addrs[0]))
			fail(c, "remote_addrs[0]", "manual keying needs a plain address here (the SA's outer destination)");
		if (plain_addr(&conn->local_addrs[0]) && plain_addr(&conn->remote_addrs[0]) &&
		    conn->local_addrs[0].addr.family != conn->remote_addrs[0].addr.family)
			fail(c, "remote_addrs[0]", "must be of the same address family as local_addrs[0]");
	}

	ch = json_object_get(o, "children");
	if (ch && !json_is_array(ch)) {
		fail(c, "children", "must be an array of objects");
	} else if (ch && json_array_size(ch) > CFG_CHILDREN_MAX) {
		fail(c, "children", "at most %d children", CFG_CHILDREN_MAX);
	} else if (ch && json_array_size(ch)) {
		size_t old = push(c, "children", 0), i;
		const json_t *it;

		conn->n_children = (unsigned)json_array_size(ch);
		conn->children = calloc(conn->n_children, sizeof(*conn->children));
		if (!conn->children) {
			fail(c, NULL, "out of memory");
			conn->n_children = 0;
		}
		for (i = 0; i < conn->n_children; i++) {
			size_t o2 = push(c, NULL, (long)i);

			it = json_array_get(ch, i);
			parse_child(c, it, conn, &conn->children[i], cfg, secrets);
			for (size_t k = 0; k < i; k++)
				if (conn->children[i].name[0] &&
				    strcmp(conn->children[k].name, conn->children[i].name) == 0)
					fail(c, "name", "another child of this connection is named \"%s\"",
					     conn->children[i].name);
			pop(c, o2);
		}
		pop(c, old);
	}
	if (conn->keying == CFG_KEYING_IKE) {
		bool initiates = false;

		for (unsigned i = 0; i < conn->n_children; i++)
			initiates |= conn->children[i].start_action != CFG_START_NONE;
		if (initiates && !plain_addr(&conn->remote_addrs[0]))
			fail(c, "remote_addrs[0]", "a connection that initiates (start_action start or trap) needs a plain address here");
	}
}

static bool utf8_ok(const uint8_t *s, size_t n)
{
	/* jansson guarantees valid UTF-8 for strings it parsed. */
	(void)s;
	(void)n;
	return true;
}

static void parse_secrets(struct pctx *c, const json_t *o, struct cfg *cfg)
{
	static const char *const members[] = { "type", "value", NULL };
	static const char *const types[] = { "psk", "key", NULL };
	const char *k;
	json_t *v;
	size_t old;

	if (!o)
		return;
	if (!json_is_object(o)) {
		fail(c, "secrets", "must be an object of name: {type, value}");
		return;
	}
	cfg->secrets = calloc(json_object_size(o) + 1, sizeof(*cfg->secrets));
	if (!cfg->secrets) {
		fail(c, "secrets", "out of memory");
		return;
	}
	old = push(c, "secrets", 0);
	json_object_foreach((json_t *)o, k, v) {
		struct cfg_secret *s = &cfg->secrets[cfg->n_secrets];
		size_t o2 = push(c, k, 0);
		int type = 0;
		char text[2 * CFG_PSK_MAX + 8];

		if (!name_ok(k)) {
			fail(c, NULL, "a secret's name must be 1-64 characters of A-Z a-z 0-9 _ . -");
			pop(c, o2);
			continue;
		}
		if (!json_is_object(v)) {
			fail(c, NULL, "must be an object {type, value}");
			pop(c, o2);
			continue;
		}
		check_members(c, v, members);
		copy_str(s->name, sizeof(s->name), k);
		if (!json_object_get(v, "type"))
			fail(c, "type", "required (psk or key)");
		get_enum(c, v, "type", types, &type);
		s->type = (enum cfg_secret_type)type;
		switch (get_str(c, v, "value", text, sizeof(text))) {
		case 0:
			fail(c, "value", "required");
			break;
		case 1:
			if (s->type == CFG_SECRET_PSK) {
				size_t n = strlen(text);

				if (n < CFG_PSK_MIN || n > CFG_PSK_MAX || !utf8_ok((uint8_t *)text, n))
					fail(c, "value", "a psk must be 8-256 bytes of UTF-8");
				else
					memcpy(s->value, text, s->len = n);
			} else if (unhex(text, s->value, CFG_KEY_LEN) != CFG_KEY_LEN) {
				fail(c, "value", "a key must be 36 bytes in hex (72 digits, optionally 0x-prefixed): the 32-byte key, then the 4-byte salt");
			} else {
				s->len = CFG_KEY_LEN;
			}
			break;
		}
		sodium_memzero(text, sizeof(text));
		cfg->n_secrets++;
		pop(c, o2);
	}
	pop(c, old);
}

static void resolve_key(struct cfg_keyref *kr, const struct cfg *cfg)
{
	const struct cfg_secret *s;

	if (!kr->name[0])
		return;
	s = cfg_secret_find(cfg, kr->name);
	if (s && s->type == CFG_SECRET_KEY && s->len == CFG_KEY_LEN)
		memcpy(kr->value, s->value, CFG_KEY_LEN);
}

/* Cross-connection rules: unique names, unique inbound SPIs per address. */
static void check_global(struct pctx *c, struct cfg *cfg)
{
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		struct cfg_conn *a = &cfg->conns[i];
		size_t old = push(c, "connections", 0);
		size_t o2 = push(c, NULL, (long)i);

		for (unsigned k = 0; k < i; k++)
			if (a->name[0] && strcmp(a->name, cfg->conns[k].name) == 0)
				fail(c, "name", "another connection is named \"%s\"", a->name);
		for (unsigned x = 0; a->keying == CFG_KEYING_MANUAL && x < a->n_children; x++) {
			struct cfg_child *ca = &a->children[x];

			resolve_key(&ca->manual.key_in, cfg);
			resolve_key(&ca->manual.key_out, cfg);
			for (unsigned k = 0; k <= i; k++) {
				struct cfg_conn *b = &cfg->conns[k];

				if (b->keying != CFG_KEYING_MANUAL ||
				    !addr_equal(&a->local_addrs[0].addr, &b->local_addrs[0].addr))
					continue;
				for (unsigned y = 0; y < (k == i ? x : b->n_children); y++)
					if (b->children[y].manual.spi_in == ca->manual.spi_in && ca->manual.spi_in) {
						char f[CFG_FIELD_MAX];

						snprintf(f, sizeof(f), "children[%u].manual.spi_in", x);
						fail(c, f, "SPI %u is already the inbound SPI of %s/%s on this address",
						     ca->manual.spi_in, b->name, b->children[y].name);
					}
			}
		}
		pop(c, o2);
		pop(c, old);
	}
}

int cfg_parse(const json_t *doc, enum cfg_source src, struct cfg **out, struct cfg_errors *errs)
{
	static const char *const members[] = { "connections", "secrets", NULL };
	struct pctx c = { .errs = errs, .src = src };
	struct cfg *cfg = calloc(1, sizeof(*cfg));
	const json_t *conns, *secrets;

	*out = NULL;
	memset(errs, 0, sizeof(*errs));
	if (!cfg) {
		fail(&c, NULL, "out of memory");
		return -1;
	}
	if (!json_is_object(doc)) {
		fail(&c, NULL, "must be an object {\"connections\": […], \"secrets\": {…}}");
		cfg_free(cfg);
		return -1;
	}
	check_members(&c, doc, members);
	secrets = json_object_get(doc, "secrets");
	parse_secrets(&c, secrets, cfg);
	if (!json_is_object(secrets))
		secrets = NULL;
	conns = json_object_get(doc, "connections");
	if (conns && !json_is_array(conns)) {
		fail(&c, "connections", "must be an array of connections");
	} else if (conns && json_array_size(conns)) {
		size_t i;
		const json_t *it;

		cfg->conns = calloc(json_array_size(conns), sizeof(*cfg->conns));
		if (!cfg->conns) {
			fail(&c, "connections", "out of memory");
		} else {
			json_array_foreach(conns, i, it) {
				size_t old = push(&c, "connections", 0);
				size_t o2 = push(&c, NULL, (long)i);

				parse_conn(&c, it, &cfg->conns[i], cfg, secrets);
				cfg->n_conns++;
				pop(&c, o2);
				pop(&c, old);
			}
		}
	}
	check_global(&c, cfg);
	if (errs->n) {
		cfg_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

int cfg_load_file(const char *path, struct cfg **out, struct cfg_errors *errs)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	int rc;

	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	if (!doc) {
		struct cfg_error *e = &errs->e[errs->n++];

		snprintf(e->field, sizeof(e->field), "%s", path);
		snprintf(e->message, sizeof(e->message), "line %d, column %d: %s", je.line, je.column,
			 je.text);
		return -1;
	}
	rc = cfg_parse(doc, CFG_SRC_FILE, out, errs);
	json_decref(doc);
	return rc;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n_conns; i++) {
		if (c->conns[i].children)
			sodium_memzero(c->conns[i].children,
				       c->conns[i].n_children * sizeof(*c->conns[i].children));
		free(c->conns[i].children);
	}
	free(c->conns);
	if (c->secrets)
		sodium_memzero(c->secrets, c->n_secrets * sizeof(*c->secrets));
	free(c->secrets);
	free(c);
}

const struct cfg_secret *cfg_secret_find(const struct cfg *c, const char *name)
{
	for (unsigned i = 0; i < c->n_secrets; i++)
		if (strcmp(c->secrets[i].name, name) == 0)
			return &c->secrets[i];
	return NULL;
}

const struct cfg_conn *cfg_conn_find(const struct cfg *c, const char *name)
{
	for (unsigned i = 0; c && i < c->n_conns; i++)
		if (strcmp(c->conns[i].name, name) == 0)
			return &c->conns[i];
	return NULL;
}

const char *cfg_keying_name(enum cfg_keying k)
{
	return k == CFG_KEYING_MANUAL ? "manual" : "ike";
}

const char *cfg_datapath_name(enum cfg_datapath d)
{
	return d == CFG_DP_KMOD ? "kmod" : d == CFG_DP_XFRM ? "xfrm" : "user";
}

const char *cfg_mode_name(enum cfg_mode m)
{
	return m == CFG_MODE_TRANSPORT ? "transport" : "tunnel";
}
