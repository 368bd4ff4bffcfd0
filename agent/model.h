/* SPDX-License-Identifier: MIT */
/*
 * The configuration model of docs/config.md: validation of connections,
 * children and secret values, with every error named by its JSON path, and
 * normalisation (defaults filled in, fields in the documented order). The
 * stored document is exactly what validation returns, so the API, the push to
 * secgw-iked and an export all read the same shape.
 *
 * Addresses, selectors, proposals and identities are checked with lib/
 * (addr.h, proposal.h, ident.h), so the agent and secgw-iked agree.
 * References to secrets are only named here (model_*_refs); whether the
 * secret exists is a question for the store.
 */
#ifndef SECGW_AGENT_MODEL_H
#define SECGW_AGENT_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/problem.h"

enum {
	NAME_MAX_LEN = 64,
	CHILDREN_MAX = 64,
	PSK_MIN = 8,
	PSK_MAX = 256,
	KEY_BYTES = 36,			/* AEAD key + 4-byte salt (docs/config.md) */
	SECRET_VALUE_MAX = 512,		/* bytes of any secret value as sent */
};

/*
 * Validate a connection (with its children) from a request body. base is the
 * path prefix for errors ("" for a body that is the connection). Returns the
 * normalised document, or NULL with the errors added to e.
 */
json_t *model_connection(const json_t *in, const char *base, struct ferrs *e);

/*
 * Validate one child on its own (a /children body: errors relative to it).
 * conn is the stored, normalised connection it belongs to: its keying decides
 * whether "manual" is required, its remote_addrs whether the child may
 * initiate.
 */
json_t *model_child(const json_t *in, const char *base, const json_t *conn, struct ferrs *e);

/* Secret references of a normalised connection or child, with their paths. */
typedef void (*model_ref_fn)(void *ctx, const char *field, const char *secret, const char *type);
void model_connection_refs(const json_t *conn, const char *base, model_ref_fn fn, void *ctx);
void model_child_refs(const json_t *child, const char *base, model_ref_fn fn, void *ctx);

/*
 * Check a secret value of the given type ("psk" or "key") and produce the
 * bytes to seal: a psk as it is, a key decoded from hex. Returns NULL or the
 * problem (the value itself never appears in it).
 */
const char *model_secret_value(const char *type, const char *value, size_t len,
			       uint8_t *out, size_t out_max, size_t *out_len);

/*
 * What JSON a field takes, for the places that get text instead of JSON (a
 * CSV import): one table (model.c) answers for validation and for them.
 */
enum model_scope {
	MODEL_CONNECTION,
	MODEL_CHILD,
	MODEL_MANUAL,
};

enum model_kind {
	MK_UNKNOWN,
	MK_STRING,
	MK_BOOL,
	MK_INT,
	MK_LIST,	/* array of strings */
};

enum model_kind model_field_kind(enum model_scope scope, const char *key);
/* The i-th field of a scope in documented order (without "name"), NULL past the end. */
const char *model_field_name(enum model_scope scope, unsigned i);

/* RFC 7386 JSON merge patch: a new document (target is not modified). */
json_t *model_merge_patch(const json_t *target, const json_t *patch);

#endif
