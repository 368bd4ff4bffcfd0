/* SPDX-License-Identifier: MIT */
/*
 * The IKEv2 engine (RFC 7296): initiator and responder, single-threaded and
 * event-driven, with a narrow boundary so that it runs the same inside
 * secgw-iked and inside a unit test with two engines wired to each other.
 *
 * In:   ike_input()  one UDP payload, exactly as received, with the addresses
 *                    and ports it came from and arrived at (on the NAT-T port
 *                    an IKE message starts with the 4-byte non-ESP marker;
 *                    the engine checks and strips it);
 *       ike_tick()   the clock: call it at ike_next_timer() (monotonic ms);
 *       ike_conn_add/remove, ike_initiate/terminate/rekey, ike_acquire,
 *       ike_child_expire, ike_shutdown: configuration and control.
 * Out:  struct ike_env: send a UDP payload (exact bytes, marker included)
 *       from one endpoint to another, report an event, install or remove a
 *       CHILD SA pair in the datapath.
 *
 * Time is always passed in (milliseconds of a monotonic clock), never read,
 * so tests drive it. The engine never blocks and allocates only per SA.
 */
#ifndef SECGW_IKEV2_IKE_H
#define SECGW_IKEV2_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "proposal.h"

enum {
	IKE_NAME_MAX = 65,		/* 64 characters and the NUL */
	IKE_CFG_MAX_ADDRS = 8,
	IKE_CFG_MAX_PROPS = 8,
	IKE_CFG_MAX_TS = 16,
	IKE_CFG_MAX_CHILDREN = 64,
	IKE_PSK_MIN = 8,
	IKE_PSK_MAX = 256,
	IKE_IDENT_MAX = 255,
	IKE_NATT_PORT = 4500,
};

struct ike_endpoint {
	struct ip_addr addr;
	uint16_t port;
};

enum ike_dpd_action { IKE_DPD_CLEAR, IKE_DPD_RESTART };
enum ike_nat_t { IKE_NAT_AUTO, IKE_NAT_FORCE, IKE_NAT_OFF };
enum ike_mode { IKE_MODE_TUNNEL, IKE_MODE_TRANSPORT };
enum ike_start_action { IKE_START_NONE, IKE_START_TRAP, IKE_START_START };

/* An IKE identity (docs/config.md "Identities"). */
struct ike_id {
	uint8_t type;		/* enum ike_id_type; 0 with any = %any, 0 alone = unset */
	bool any;
	uint8_t len;
	uint8_t data[IKE_IDENT_MAX];
};
/* "1.2.3.4", "::1", "user@example.com", "@vpn.example.com", "@#0a1b…",
 * "%any", other text (FQDN), or "" (unset: the local address is used). */
const char *ike_id_parse(const char *s, struct ike_id *out);
char *ike_id_format(const struct ike_id *id, char *buf, size_t len);
bool ike_id_equal(const struct ike_id *a, const struct ike_id *b);

/* A child as in docs/config.md, parsed. */
struct ike_child_cfg {
	char name[IKE_NAME_MAX];
	uint8_t mode;			/* enum ike_mode */
	uint8_t start_action;		/* enum ike_start_action */
	uint8_t n_local_ts, n_remote_ts, n_esp;
	struct ts local_ts[IKE_CFG_MAX_TS];
	struct ts remote_ts[IKE_CFG_MAX_TS];
	struct proposal esp[IKE_CFG_MAX_PROPS];
	uint32_t rekey_time;		/* s; 0 = never */
	uint64_t life_bytes, life_packets;
	uint32_t replay_window;
};

/* A connection with `keying: ike`, as in docs/config.md, parsed. */
struct ike_conn_cfg {
	char name[IKE_NAME_MAX];
	uint8_t n_local, n_remote;
	struct ip_addr local_addrs[IKE_CFG_MAX_ADDRS];
	uint8_t local_plen[IKE_CFG_MAX_ADDRS];
	struct ip_addr remote_addrs[IKE_CFG_MAX_ADDRS];
	uint8_t remote_plen[IKE_CFG_MAX_ADDRS];
	uint16_t local_port, remote_port;
	struct ike_id local_id, remote_id;
	uint16_t psk_len;
	uint8_t psk[IKE_PSK_MAX];
	uint8_t n_ike;
	struct proposal ike[IKE_CFG_MAX_PROPS];
	uint32_t rekey_time;		/* s; 0 = never */
	uint32_t dpd_delay;		/* s; 0 = off */
	uint8_t dpd_action;		/* enum ike_dpd_action */
	uint8_t nat_t;			/* enum ike_nat_t */
	unsigned n_children;
	const struct ike_child_cfg *children;	/* copied by ike_conn_add */
};

/* Engine-wide settings; zero fields take the defaults in brackets. */
struct ike_opts {
	uint32_t retransmit_ms;		/* first retransmission timeout [1000], doubled each try */
	uint8_t retransmit_tries;	/* retransmissions before giving up [5] */
	uint32_t half_open_max;		/* half-open IKE SAs kept at once [1024] */
	uint32_t cookie_threshold;	/* half-open SAs from which COOKIEs are demanded [64] */
	uint32_t half_open_timeout_ms;	/* a half-open SA dies after [30000] */
	uint32_t keepalive_ms;		/* NAT keepalive interval [20000] */
	uint16_t natt_port;		/* [4500] */
	bool always_cookie;		/* demand COOKIEs always (tests) */
};

enum ike_event_type {
	IKE_EV_IKE_UP,
	IKE_EV_IKE_DOWN,
	IKE_EV_CHILD_UP,
	IKE_EV_CHILD_DOWN,
	IKE_EV_REKEYED,
	IKE_EV_AUTH_FAILED,
	IKE_EV_NEG_FAILED,
};

const char *ike_event_name(enum ike_event_type t);

/*
 * Everything points into engine memory valid only during the callback.
 * For IKE_EV_NEG_FAILED, `offered` and `accepted` list what the peer offered
 * and what the connection accepts, one line per proposal or selector, and
 * `reason` says which transform or selector did not match.
 */
struct ike_event {
	enum ike_event_type type;
	const char *conn;
	const char *child;		/* NULL for IKE SA events */
	uint64_t spi_i, spi_r;
	uint32_t spi_in, spi_out, old_spi_in;
	const char *proposal;
	const char *reason;
	const char *stage;		/* "ike-proposal", "esp-proposal", "ts" */
	unsigned n_offered, n_accepted;
	const char *const *offered;
	const char *const *accepted;
};

/* One negotiated CHILD SA pair, for the datapath. */
struct ike_child_sa {
	const char *conn, *child;
	uint32_t spi_in, spi_out;
	uint8_t mode;			/* enum ike_mode */
	uint16_t encr, encr_bits;	/* IANA ENCR id, key length attribute */
	bool esn;
	struct ike_endpoint local, remote;
	bool encap;			/* UDP-encapsulated ESP between local/remote ports */
	uint8_t key_len;		/* key plus salt */
	const uint8_t *key_in, *key_out;	/* NULL on remove */
	uint8_t n_local_ts, n_remote_ts;
	const struct ts *local_ts, *remote_ts;
	uint32_t replay_window;
	uint64_t life_bytes, life_packets;
	/* Make-before-break: the inbound SPI of the pair this one rekeys (0:
	 * a new CHILD SA), and whether we initiated the exchange that made it.
	 * The initiator of a rekey may send on the new SA at once; the
	 * responder keeps sending on the old one until it is deleted, since
	 * the initiator installs the new SA only when the response arrives. */
	uint32_t replaces;
	bool initiated;
};

struct ike_env {
	void *ctx;
	void (*send)(void *ctx, const struct ike_endpoint *from, const struct ike_endpoint *to,
		     const uint8_t *data, size_t len);
	void (*event)(void *ctx, const struct ike_event *ev);
	/* 0, or -1 when the datapath refused (the CHILD SA then fails). */
	int (*child_install)(void *ctx, const struct ike_child_sa *sa);
	void (*child_remove)(void *ctx, const struct ike_child_sa *sa);
};

struct ike_engine;

struct ike_engine *ike_engine_new(const struct ike_opts *opts, const struct ike_env *env);
/* Frees everything without sending anything (see ike_shutdown). */
void ike_engine_free(struct ike_engine *e);

/* Add or replace (by name) a connection. Replacing tears down its SAs.
 * Returns NULL or a message. */
const char *ike_conn_add(struct ike_engine *e, const struct ike_conn_cfg *c, uint64_t now);
/* Delete its SAs (with a Delete to the peer) and forget it. -1 if unknown. */
int ike_conn_remove(struct ike_engine *e, const char *name, uint64_t now);

/* Control: child NULL = every child of the connection. 0, or -1 (unknown
 * connection or child, or nothing to act on). */
int ike_initiate(struct ike_engine *e, const char *conn, const char *child, uint64_t now);
int ike_terminate(struct ike_engine *e, const char *conn, const char *child, uint64_t now);
int ike_rekey(struct ike_engine *e, const char *conn, const char *child, bool ike, uint64_t now);
/* A trap policy saw traffic (start_action trap). */
int ike_acquire(struct ike_engine *e, const char *conn, const char *child, uint64_t now);
/* The datapath's soft (rekey now) or hard (gone) limit on a CHILD SA. */
void ike_child_expire(struct ike_engine *e, uint32_t spi_in, bool hard, uint64_t now);
/* Delete every IKE SA (one Delete each, not retransmitted) and forget them. */
void ike_shutdown(struct ike_engine *e, uint64_t now);

void ike_input(struct ike_engine *e, const struct ike_endpoint *from,
	       const struct ike_endpoint *to, const uint8_t *data, size_t len, uint64_t now);
void ike_tick(struct ike_engine *e, uint64_t now);
/* Absolute time of the next ike_tick() needed; UINT64_MAX when none. */
uint64_t ike_next_timer(const struct ike_engine *e);

/* Selectors with "dynamic" resolved to the address dyn (swanctl's meaning:
 * the tunnel's own outer address). */
void ike_ts_resolve(const struct ts *in, unsigned n, const struct ip_addr *dyn, struct ts *out);

/* Status for list-sas. */
struct ike_child_info {
	const char *name;
	const char *state;
	uint8_t mode;
	char proposal[PROP_STR_MAX];
	uint32_t spi_in, spi_out;
	uint8_t n_local_ts, n_remote_ts;
	const struct ts *local_ts, *remote_ts;
	uint64_t established;		/* engine ms */
	int64_t rekey_in_ms;		/* -1: never */
};

struct ike_sa_info {
	const char *conn;
	const char *state;
	bool initiator;
	uint64_t spi_i, spi_r;
	struct ike_endpoint local, remote;
	char local_id[IKE_IDENT_MAX * 2 + 8], remote_id[IKE_IDENT_MAX * 2 + 8];
	char proposal[PROP_STR_MAX];
	bool nat_local, nat_remote;
	uint64_t established;
	int64_t rekey_in_ms;
	unsigned n_children;
	const struct ike_child_info *children;
};

/* Calls cb for every IKE SA (of one connection when conn is not NULL). */
void ike_foreach_sa(struct ike_engine *e, const char *conn, uint64_t now,
		    void (*cb)(void *ctx, const struct ike_sa_info *sa), void *ctx);

/* Milliseconds until the connection's next attempt after an unanswered
 * one (start_action start, restart after a dead peer); -1: none pending. */
int64_t ike_conn_reinit_in(struct ike_engine *e, const char *conn, uint64_t now);

/* Counters for `stats`. */
struct ike_stats {
	uint64_t rx, tx, rx_dropped, retransmits, replays;
	uint64_t ike_up, ike_failed, child_up, cookies_sent;
	uint32_t ike_sas, half_open, children;
};
void ike_get_stats(const struct ike_engine *e, struct ike_stats *out);

#endif
