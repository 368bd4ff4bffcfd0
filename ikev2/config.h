/* SPDX-License-Identifier: MIT */
/*
 * The configuration model of docs/config.md as plain C structs: every field
 * parsed and validated, defaults filled in, every error collected with the
 * JSON path of its field (not just the first one). A configuration with any
 * error is refused whole; iked installs nothing from it.
 *
 * Consumers: the manual-keying code (manual.c) and the IKE engine (issue 5),
 * which reads the connections with keying CFG_KEYING_IKE from the same
 * structs (identities, proposals, lifetimes, DPD, NAT-T, PSK by secret).
 */
#ifndef SECGW_CONFIG_H
#define SECGW_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "proposal.h"

enum {
	CFG_NAME_MAX = 64,
	CFG_ADDRS_MAX = 8,
	CFG_PROPOSALS_MAX = 8,
	CFG_TS_MAX = 16,
	CFG_CHILDREN_MAX = 64,
	CFG_ID_MAX = 255,
	CFG_KEY_LEN = 36,		/* AEAD key (32) + salt (4) */
	CFG_PSK_MIN = 8,
	CFG_PSK_MAX = 256,
	CFG_ERRORS_MAX = 64,		/* collected; the rest are counted */
	CFG_FIELD_MAX = 160,
	CFG_MESSAGE_MAX = 200,
	CFG_REKEY_MIN = 60,
	CFG_REKEY_MAX = 31536000,
	CFG_DPD_MAX = 3600,
	CFG_REPLAY_MIN = 32,
	CFG_REPLAY_MAX = 4096,
	CFG_SPI_MIN = 256,
	CFG_NATT_PORT = 4500,
	CFG_IKE_PORT = 500,
};
#define CFG_LIFE_MAX (1ull << 62)

enum cfg_source {
	CFG_SRC_FILE,		/* --config FILE: "hex:" key literals allowed */
	CFG_SRC_CONTROL,	/* the agent over the control socket */
};

enum cfg_auth { CFG_AUTH_PSK, CFG_AUTH_PUBKEY };
enum cfg_dpd_action { CFG_DPD_CLEAR, CFG_DPD_RESTART };
enum cfg_nat_t { CFG_NAT_AUTO, CFG_NAT_FORCE, CFG_NAT_OFF };
enum cfg_datapath { CFG_DP_USER, CFG_DP_KMOD, CFG_DP_XFRM };
enum cfg_keying { CFG_KEYING_IKE, CFG_KEYING_MANUAL };
enum cfg_mode { CFG_MODE_TUNNEL, CFG_MODE_TRANSPORT };
enum cfg_start { CFG_START_NONE, CFG_START_TRAP, CFG_START_START };
enum cfg_secret_type { CFG_SECRET_PSK, CFG_SECRET_KEY };

struct cfg_endpoint {
	char text[ADDR_STR_MAX + 8];
	struct ip_addr addr;	/* family IPF_NONE for %any */
	unsigned plen;		/* full length for a plain address, 0 for %any forms */
};

struct cfg_proposal {
	char text[PROP_STR_MAX];
	struct proposal p;
};

struct cfg_ts {
	char text[TS_STR_MAX];
	struct ts ts;
};

/* A key reference: a secret's name, or (file only) a literal. */
struct cfg_keyref {
	char name[CFG_NAME_MAX + 1];	/* "" for a literal */
	uint8_t value[CFG_KEY_LEN];	/* resolved; wiped by cfg_free */
};

struct cfg_manual {
	uint32_t spi_in, spi_out;
	struct cfg_keyref key_in, key_out;
};

struct cfg_child {
	char name[CFG_NAME_MAX + 1];
	enum cfg_mode mode;
	unsigned n_local_ts, n_remote_ts, n_esp;
	struct cfg_ts local_ts[CFG_TS_MAX], remote_ts[CFG_TS_MAX];
	struct cfg_proposal esp[CFG_PROPOSALS_MAX];
	enum cfg_start start_action;
	uint32_t rekey_time;
	uint64_t life_bytes, life_packets;
	uint32_t replay_window;
	bool has_manual;
	struct cfg_manual manual;
};

struct cfg_conn {
	char name[CFG_NAME_MAX + 1];
	bool enabled;
	unsigned n_local_addrs, n_remote_addrs, n_ike;
	struct cfg_endpoint local_addrs[CFG_ADDRS_MAX], remote_addrs[CFG_ADDRS_MAX];
	uint16_t local_port, remote_port;
	char local_id[CFG_ID_MAX + 1], remote_id[CFG_ID_MAX + 1];
	enum cfg_auth auth;
	char psk[CFG_NAME_MAX + 1];	/* secret name; "" when none */
	struct cfg_proposal ike[CFG_PROPOSALS_MAX];
	uint32_t rekey_time, dpd_delay;
	enum cfg_dpd_action dpd_action;
	enum cfg_nat_t nat_t;
	enum cfg_datapath datapath;
	enum cfg_keying keying;
	unsigned n_children;
	struct cfg_child *children;
};

struct cfg_secret {
	char name[CFG_NAME_MAX + 1];
	enum cfg_secret_type type;
	size_t len;
	uint8_t value[CFG_PSK_MAX];	/* wiped by cfg_free */
};

struct cfg {
	unsigned n_conns, n_secrets;
	struct cfg_conn *conns;
	struct cfg_secret *secrets;
};

struct cfg_error {
	char field[CFG_FIELD_MAX];
	char message[CFG_MESSAGE_MAX];
};

struct cfg_errors {
	unsigned n;		/* collected in e[] */
	unsigned more;		/* beyond CFG_ERRORS_MAX */
	struct cfg_error e[CFG_ERRORS_MAX];
};

/*
 * Parse and validate a configuration document. Returns 0 with *out set, or
 * -1 with every error in errs (errs->n > 0) and *out NULL.
 */
int cfg_parse(const json_t *doc, enum cfg_source src, struct cfg **out, struct cfg_errors *errs);
/* The same from a file (JSON syntax errors are reported with line:column). */
int cfg_load_file(const char *path, struct cfg **out, struct cfg_errors *errs);
/* Wipes secrets and keys. NULL is fine. */
void cfg_free(struct cfg *c);

const struct cfg_secret *cfg_secret_find(const struct cfg *c, const char *name);
const struct cfg_conn *cfg_conn_find(const struct cfg *c, const char *name);

/* Deep equality of two connections, including the values of the secrets
 * they reference (a changed key is a changed connection). */
bool cfg_conn_equal(const struct cfg_conn *a, const struct cfg *ca,
		    const struct cfg_conn *b, const struct cfg *cb);

/* Names for the enums, as written in JSON. */
const char *cfg_keying_name(enum cfg_keying k);
const char *cfg_datapath_name(enum cfg_datapath d);
const char *cfg_mode_name(enum cfg_mode m);

/* The errors as a JSON array [{field, message}]. */
json_t *cfg_errors_json(const struct cfg_errors *errs);

#endif
