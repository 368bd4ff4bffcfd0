/* SPDX-License-Identifier: MIT */
/*
 * Inside the IKEv2 engine: the IKE SA and CHILD SA records, their state
 * enums, the exchange table, and the helpers the exchange files share.
 * Nothing outside ikev2/ike_*.c includes this.
 */
#ifndef SECGW_IKEV2_IKE_INT_H
#define SECGW_IKEV2_IKE_INT_H

#include "crypto.h"
#include "ike.h"
#include "log.h"
#include "pld.h"

enum {
	IKE_NONCE_LEN = 32,		/* what we send: twice the PRF strength of SHA-256 */
	IKE_NONCE_KEEP = 32,		/* prefix kept for collision ordering */
	IKE_TASKS_MAX = 16,		/* queued exchanges per IKE SA */
	IKE_REKEY_JITTER_PCT = 10,	/* rekey up to this much early (spread collisions) */
	IKE_OVERTIME_PCT = 10,		/* hard lifetime beyond rekey_time */
	IKE_RETRY_MS = 1000,		/* after TEMPORARY_FAILURE */
	IKE_COOKIE_SECRET_MS = 120000,	/* cookie secret rotation */
	IKE_COOKIE_LEN = 1 + 32,	/* version byte and HMAC-SHA-256 */
	IKE_EXPLAIN_MAX = 16,		/* lines in a negotiation-failed event */
	IKE_EXPLAIN_LINE = 320,
	IKE_MIN_SPI = 256,		/* ESP SPIs 1-255 are reserved */
	IKE_REINIT_FIRST_MS = 1000,	/* first new attempt after a failed one */
	IKE_REINIT_MAX_MS = 60000,	/* the back-off doubles up to this */
	IKE_REINIT_JITTER_PCT = 20,	/* spread peers that failed together */
};

enum ike_state {
	IKE_ST_INIT_SENT,		/* initiator: IKE_SA_INIT request out */
	IKE_ST_HALF_OPEN,		/* responder: IKE_SA_INIT answered */
	IKE_ST_AUTH_SENT,		/* initiator: IKE_AUTH request out */
	IKE_ST_ESTABLISHED,
	IKE_ST_REKEYED,			/* superseded by a rekey, waiting for its delete */
	IKE_ST_DELETING,		/* our Delete is out */
	IKE_ST_DEAD,			/* to be freed */
};

enum child_state {
	CHILD_ST_CREATING,
	CHILD_ST_INSTALLED,
	CHILD_ST_REKEYING,		/* our rekey of it is out */
	CHILD_ST_REKEYED,		/* replaced, waiting for its delete */
	CHILD_ST_DELETING,		/* our Delete is out */
	CHILD_ST_DEAD,
};

/* Exchanges we initiate; one row each in the exchange table. */
enum task_kind {
	TASK_NONE,
	TASK_IKE_INIT,
	TASK_IKE_AUTH,
	TASK_CHILD_CREATE,
	TASK_CHILD_REKEY,
	TASK_IKE_REKEY,
	TASK_CHILD_DELETE,
	TASK_IKE_DELETE,
	TASK_DPD,
	TASK_COUNT,
};

struct conn {
	struct conn *next;		/* configured order */
	struct conn *hnext;		/* by name */
	struct ike_sa *last_sa;		/* the newest SA of this connection */
	unsigned n_sas;
	struct ike_conn_cfg cfg;	/* cfg.children points at children below */
	struct ike_child_cfg *children;
	uint32_t generation;
	/* Keep trying while the peer does not answer: start_action start, or
	 * restarted after a dead peer; until terminated or removed. */
	bool keep_up;
	uint8_t reinit_tries;		/* unanswered attempts in a row */
	uint64_t reinit_at;		/* next attempt; 0: none pending */
	uint64_t reinit_children;	/* bit i: children[i] to bring up then */
};

struct child {
	struct child *next;
	struct child *hnext;		/* engine-wide, by inbound SPI */
	struct ike_sa *sa;
	const struct ike_child_cfg *cfg;
	enum child_state state;
	uint32_t spi_in, spi_out;
	uint16_t encr, encr_bits;
	uint8_t dh;			/* PFS group used, 0 none */
	bool esn, installed;
	uint8_t mode;
	uint8_t n_local_ts, n_remote_ts;
	struct ts *ts;			/* local then remote, one allocation */
	uint64_t established, rekey_at, expire_at, retry_at;
	struct child *replaces;		/* old child this one rekeys */
	/* Collision ordering (§2.8.1): the lowest nonce of the exchange that made it. */
	uint8_t min_nonce[IKE_NONCE_KEEP];
	bool initiated;			/* we initiated the exchange that made it */
};

/* An exchange we started and whose response is outstanding (window 1). */
struct exch {
	enum task_kind kind;
	uint32_t msgid;
	uint8_t tries;
	uint64_t retransmit_at;
	uint8_t *req;
	uint16_t req_len, req_cap;
	struct child *child;		/* created, rekeyed or deleted */
	struct child *new_child;	/* CHILD_REKEY: the replacement */
	uint16_t dh_group;
	uint8_t dh_priv[IKE_X25519_LEN];
	uint8_t nonce[IKE_NONCE_LEN];
	uint64_t new_spi;		/* IKE_REKEY: our SPI of the new SA */
};

struct task {
	enum task_kind kind;
	const struct ike_child_cfg *cfg;	/* CHILD_CREATE */
	struct child *child;			/* CHILD_REKEY / CHILD_DELETE */
};

/* What IKE_SA_INIT leaves for IKE_AUTH; freed once the SA is up. */
struct handshake {
	uint8_t dh_priv[IKE_X25519_LEN];
	uint16_t dh_group;
	uint16_t ni_len, nr_len;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	uint8_t *msg_i, *msg_r;		/* the IKE_SA_INIT request and response */
	uint16_t msg_i_len, msg_r_len;
	uint8_t cookie[IKE_COOKIE_MAX];
	uint8_t cookie_len;
	uint8_t ke_retries, cookie_retries;
	const struct ike_child_cfg *first_child;	/* to create in IKE_AUTH */
};

struct ike_sa {
	struct ike_sa *hnext;		/* by local SPI */
	struct ike_sa *inext;		/* once established: by the peer's identity */
	bool iindexed;
	struct ike_sa *pnext;		/* responders: by the initiator's SPI */
	bool pindexed;
	struct ike_sa *next;		/* all SAs */
	struct ike_engine *e;
	struct conn *conn;
	enum ike_state state;
	bool initiator;			/* original initiator of this SA */
	uint64_t spi_i, spi_r;
	struct ike_endpoint local, remote;
	bool nat_local, nat_remote, encap;
	struct ike_keys keys;
	uint16_t dh_group;
	struct ike_id peer_id, my_id;
	uint32_t msgid_out;		/* next request we send */
	uint32_t msgid_in;		/* next request we expect */
	uint8_t *resp;			/* cached last response, for replays */
	uint16_t resp_len, resp_cap;
	bool resp_valid;
	struct exch act;
	struct task *tasks;		/* queued, allocated while any are (sa_task_insert) */
	unsigned n_tasks, cap_tasks;
	struct child *children;
	struct handshake *hs;
	uint64_t created, established, last_in;
	uint64_t rekey_at, expire_at, dpd_at, keepalive_at, timeout_at, retry_at;
	size_t heap_idx;
	uint64_t heap_key;
	/* IKE rekey collision (§2.8.1): the SA a peer's rekey created while ours
	 * was outstanding, and the lowest nonce of each exchange. */
	struct ike_sa *passive_new;
	uint8_t min_nonce[IKE_NONCE_KEEP];
	struct ike_sa *rekeyed_to;	/* REKEYED: the SA that replaced this one */
	bool pointed_at;		/* some SA's passive_new or rekeyed_to is this one */
	bool superseded;		/* replaced by a rekey: its end is no ike-down */
	bool redundant;			/* lost a rekey collision; the peer should delete it */
	bool restart_on_down;
	bool auth_refused;		/* failed authentication: no new attempt mends that */
};

struct cookie_secret {
	uint8_t version;
	uint8_t key[32], prev[32];
	uint64_t rotated_at;
};

struct ike_engine {
	struct ike_opts o;
	struct ike_env env;
	struct conn *conns;
	struct ike_sa *sas;
	struct ike_sa **hash, **phash;	/* by our SPI; responders by SPIi */
	struct ike_sa **ihash;		/* established ones by peer identity (same size) */
	size_t n_dead;			/* DEAD SAs waiting for sa_reap */
	size_t hash_size, n_sas, n_half_open, n_children;
	struct child **chash;		/* CHILD SAs by inbound SPI */
	size_t chash_size;
	struct conn **nhash;		/* connections by name */
	size_t nhash_size, n_conns;
	size_t n_reinit;		/* connections with reinit_at set */
	struct ike_sa **heap;
	size_t heap_len, heap_cap;
	struct cookie_secret cookie;
	struct ike_stats st;
	uint64_t now;
	struct log_ratelimit rl;
	/* Scratch, so that no message costs an allocation. */
	uint8_t in[IKE_MSG_MAX];	/* the message being processed (decrypted in place) */
	uint8_t out[IKE_MSG_MAX];	/* the message being built */
	uint8_t wire[IKE_MSG_MAX + 4];	/* what is sent, with the NAT-T marker */
	char explain[2][IKE_EXPLAIN_MAX][IKE_EXPLAIN_LINE];
	const char *explain_ptr[2][IKE_EXPLAIN_MAX];
	unsigned n_explain[2];
	char reason[IKE_EXPLAIN_LINE];
	struct ike_child_info cinfo[2 * IKE_CFG_MAX_CHILDREN];
};

/* ---- ike_sa.c, ike_timer.c, ike_engine.c: records, timers, sending ---- */
int timer_add(struct ike_engine *e, struct ike_sa *sa);
void timer_del(struct ike_engine *e, struct ike_sa *sa);
void sa_reap(struct ike_engine *e);
struct ike_sa *sa_new(struct ike_engine *e, bool initiator, uint64_t now);
void sa_free(struct ike_sa *sa);
void sa_set_state(struct ike_sa *sa, enum ike_state st);
/* Change the SPIs of a filed SA (every lookup table follows). */
void sa_set_spis(struct ike_sa *sa, uint64_t spi_i, uint64_t spi_r);
struct ike_sa *sa_by_spi(struct ike_engine *e, uint64_t local_spi);
/* A responder SA by the initiator's SPI and address (IKE_SA_INIT retransmissions). */
struct ike_sa *sa_by_peer(struct ike_engine *e, uint64_t spi_i, const struct ike_endpoint *from);
/* The first of the SAs that were established with a peer of this identity
 * (follow ->inext; each still needs ike_id_equal, buckets are shared). */
struct ike_sa *sa_by_peer_id(struct ike_engine *e, const struct ike_id *id);
void sa_set_conn(struct ike_sa *sa, struct conn *c);
struct conn *conn_find(struct ike_engine *e, const char *name);
int conn_index(struct ike_engine *e, struct conn *c);
void conn_unindex(struct ike_engine *e, struct conn *c);
int child_index(struct ike_engine *e, struct child *c);
void child_unindex(struct ike_engine *e, struct child *c);
struct child *child_find(struct ike_engine *e, uint32_t spi_in);
void sa_timers(struct ike_sa *sa);
uint64_t sa_jitter(uint64_t now, uint32_t rekey_s);
void sa_schedule_rekey(struct ike_sa *sa);
uint64_t sa_my_spi(const struct ike_sa *sa);
const char *sa_name(const struct ike_sa *sa);
void sa_down(struct ike_sa *sa, const char *reason, bool notify_children);
void sa_queue(struct ike_sa *sa, enum task_kind k, const struct ike_child_cfg *cfg,
	      struct child *c);
void sa_run(struct ike_sa *sa);
/* Put t at position `at` of the queue (0: next); false when the queue is
 * at IKE_TASKS_MAX or memory ran out. */
bool sa_task_insert(struct ike_sa *sa, unsigned at, struct task t);
void sa_emit(struct ike_sa *sa, enum ike_event_type t, const struct child *c, const char *reason);
void ike_emit_neg(struct ike_engine *e, const char *conn, const char *stage, const char *reason);
void send_raw(struct ike_engine *e, const struct ike_endpoint *from,
	      const struct ike_endpoint *to, const uint8_t *p, size_t len);
/* Start a message on the SA: header with our role's flags; SK opened when
 * the exchange is not IKE_SA_INIT. */
void msg_begin(struct ike_sa *sa, struct wbuf *w, uint8_t exch, bool response, uint32_t msgid);
/* Seal (SK) and finish; PLD_OK or an error (logged). */
enum pld_err msg_end(struct ike_sa *sa, struct wbuf *w);
/* Keep a copy for retransmission and send it. */
void sa_send_request(struct ike_sa *sa, const struct wbuf *w);
/* Keep a copy for replays and send it. */
void sa_send_response(struct ike_sa *sa, const struct wbuf *w);
bool buf_keep(uint8_t **p, uint16_t *len, uint16_t *cap, const uint8_t *src, size_t n);
void explain_reset(struct ike_engine *e);
void explain_add(struct ike_engine *e, int side, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- new attempts after unanswered ones (ike_reinit.c) ---- */
/* The SA's initiation failed: schedule another if its connection wants
 * to stay up. */
void reinit_arm(struct ike_sa *sa);
/* No attempt pending any more (established, terminated, removed). */
void reinit_clear(struct ike_engine *e, struct conn *c, bool reset_tries);
/* Start the attempts that are due. */
void reinit_tick(struct ike_engine *e, uint64_t now);
uint64_t reinit_next(const struct ike_engine *e);
bool conn_keep_up(const struct conn *c);

/* ---- child records (ike_child.c) ---- */
struct child *child_new(struct ike_sa *sa, const struct ike_child_cfg *cfg);
void child_set_state(struct child *c, enum child_state st);
void child_free(struct child *c, bool remove_from_dp, const char *reason);
struct child *child_by_spi_in(struct ike_sa *sa, uint32_t spi);
struct child *child_by_spi_out(struct ike_sa *sa, uint32_t spi);
uint32_t child_alloc_spi(struct ike_engine *e);
int child_install(struct child *c, const uint8_t *keymat, bool initiator_of_exchange);
void child_schedule(struct child *c);
const char *child_state_name(enum child_state s);

/* Build the child part of a request (SA, Ni, [KE], TSi, TSr, mode) and
 * process it on either side; shared by IKE_AUTH and CREATE_CHILD_SA. */
void child_build_request(struct ike_sa *sa, struct wbuf *w, struct child *c,
			 const struct exch *x, bool with_nonce);
/* Responder: select, narrow, install; writes the response payloads or an
 * error notify. Returns the child or NULL. */
struct child *child_respond(struct ike_sa *sa, const struct ike_msg *m, struct wbuf *w,
			    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
			    bool in_auth, struct child *old);
/* Initiator: complete a child from the response. 0 or -1 (child freed). */
int child_complete(struct ike_sa *sa, struct child *c, const struct ike_msg *m,
		   const struct exch *x, const uint8_t *ni, size_t ni_len,
		   const uint8_t *nr, size_t nr_len);

/* ---- exchange table (ike_exchange.c) ---- */
struct task_ops {
	const char *name;
	uint8_t exchange;
	/* Build the request into w (msg_begin already called). -1: nothing to do. */
	int (*build)(struct ike_sa *sa, struct exch *x, struct wbuf *w);
	/* Handle the response; the SA may be freed (returns -1 then). */
	int (*process)(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
};
extern const struct task_ops task_table[TASK_COUNT];

/* Responder side of each exchange. */
void ike_init_respond(struct ike_engine *e, const struct ike_endpoint *from,
		      const struct ike_endpoint *to, struct ike_msg *m);
void auth_respond(struct ike_sa *sa, struct ike_msg *m);
void create_child_respond(struct ike_sa *sa, struct ike_msg *m);
void info_respond(struct ike_sa *sa, struct ike_msg *m);
void ike_rekey_respond(struct ike_sa *sa, const struct ike_msg *m, struct wbuf *w,
		       const uint8_t *ni, size_t ni_len);
/* Move the children of a rekeyed IKE SA to its successor. */
void sa_adopt_children(struct ike_sa *to, struct ike_sa *from);

/* Task implementations, in the files of their exchange. */
int ike_init_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int ike_init_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
int auth_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int auth_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
int child_create_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int child_create_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
int child_rekey_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int child_rekey_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
int ike_rekey_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int ike_rekey_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
int child_delete_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int child_delete_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
int ike_delete_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int ike_delete_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);
int dpd_build(struct ike_sa *sa, struct exch *x, struct wbuf *w);
int dpd_process(struct ike_sa *sa, struct exch *x, struct ike_msg *m);

/* ---- proposal selection and traffic selectors (ike_select.c) ---- */
struct chosen {
	uint8_t num;
	uint16_t encr, encr_bits, prf, dh;
	bool esn;
	uint8_t spi_size;
	uint8_t spi[8];
};
/*
 * Pick from the peer's SA payload (validated) the first of our proposals,
 * in our order, that one of theirs matches. On failure, fills the engine's
 * explanation (offered vs accepted, transform by transform) and returns -1.
 */
int select_proposal(struct ike_engine *e, const struct pld *sa, unsigned proto,
		    const struct proposal *ours, unsigned n_ours, struct chosen *out);
/* Does the peer's SA payload contain exactly one proposal we offered? */
int check_chosen(const struct pld *sa, unsigned proto, const struct proposal *ours,
		 unsigned n_ours, struct chosen *out);
/* Our proposals as SA payload content. */
void build_proposals(struct wbuf *w, unsigned proto, const struct proposal *p, unsigned n,
		     const uint8_t *spi, uint8_t spi_size, uint16_t only_dh, bool pfs_ok);
void build_chosen(struct wbuf *w, unsigned proto, const struct chosen *c);
char *chosen_format(unsigned proto, const struct chosen *c, char *buf, size_t len);
/*
 * §2.9 narrowing: every intersection of the peer's selectors with ours.
 * Returns the count (0: nothing in common, explanation filled).
 */
unsigned ts_narrow(struct ike_engine *e, const char *what, const struct pld_ts *theirs,
		   const struct ts *ours, unsigned n_ours, struct ts *out, unsigned cap);

/* ---- identities and addresses (ike_id.c) ---- */
bool ike_id_matches(const struct ike_id *want, const struct ike_id *got);
void ike_id_of_addr(const struct ip_addr *a, struct ike_id *out);
bool conn_addr_match(const struct conn *c, const struct ike_endpoint *local,
		     const struct ike_endpoint *remote);

/* ---- cookies (ike_init.c) ---- */
void cookie_make(struct ike_engine *e, uint8_t version, const uint8_t *ni, size_t ni_len,
		 const struct ike_endpoint *from, uint64_t spi_i, uint8_t out[IKE_COOKIE_LEN]);

#endif
