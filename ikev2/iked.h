/* SPDX-License-Identifier: MIT */
/*
 * secgw-iked's state: the loaded configuration and revision, the runtime
 * state of each connection, the datapath, the IKE engine and its host
 * (iked_ike.c: sockets, timer, events; iked_child.c: CHILD SAs into the
 * datapath), the control socket, and the shared resources (UDP sockets,
 * routes) connections use.
 */
#ifndef SECGW_IKED_H
#define SECGW_IKED_H

#include <jansson.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "dp.h"
#include "ike.h"
#include "loop.h"

enum {
	IKED_UDP_MAX = 8,
	IKED_ERROR_MAX = 200,
	IKED_ROUTES_PER_TS = 32,	/* prefixes one range selector may need */
	IKED_SENDQ_MAX = 64,		/* IKE messages held until the datapath commits */
	IKED_SENDQ_BYTES = 64 << 10,
};

enum iked_conn_state {
	IKED_DISABLED,		/* enabled: false */
	IKED_INSTALLED,		/* manual: SAs, policies and routes are in the datapath */
	IKED_FAILED,		/* the datapath (or the engine) refused something; error says what */
	IKED_IKE,		/* keying ike: handed to the IKE engine */
};

struct manual_child;

struct iked_conn {
	char name[CFG_NAME_MAX + 1];
	const struct cfg_conn *cfg;	/* points into iked.cfg */
	enum iked_conn_state state;
	char error[IKED_ERROR_MAX];
	time_t established;
	struct manual_child *mc;	/* manual keying: one per child */
};

struct iked_route {
	struct dp_route r;
	unsigned refs;
};

struct iked_udp {
	uint8_t family;		/* IPF_V4 / IPF_V6 */
	uint16_t port;
	int fd;
	int reader;		/* enum dp_encap_reader */
	bool encap;		/* attached to the datapath (ESP in UDP) */
};

/* The policies and routes one CHILD SA (or trap) put into the datapath. */
struct iked_spd {
	uint32_t *pols;
	unsigned n_pols;
	struct dp_route *routes;
	unsigned n_routes;
};

struct iked_ike;
struct iked_sendq;

struct iked {
	struct loop *loop;
	struct dp *dp;
	struct ctl *ctl;
	struct cfg *cfg;
	long long revision;
	time_t started;
	struct iked_conn *conns;
	unsigned n_conns;
	struct iked_route *routes;
	unsigned n_routes, cap_routes;
	struct iked_udp udp[IKED_UDP_MAX];
	unsigned n_udp;
	uint32_t next_policy_id;
	struct iked_ike *ike;		/* the IKE engine and what it installed */
	struct iked_sendq *sendq;
	uint64_t udp_no_socket, udp_send_errors;
	/* The host's addresses (install.c), kept until the kernel reports a
	 * change on ifa_fd: a child install needs one inside its selectors. */
	int ifa_fd;			/* -1: not watching, every lookup asks the kernel */
	bool ifa_valid;
	struct ip_addr *ifa;
	unsigned n_ifa;
};

/* install.c: drop the cached host addresses and stop watching for changes. */
void iked_addrs_forget(struct iked *k);

/* opts: the IKE engine's (retransmissions, DoS limits); NULL for defaults. */
int iked_init(struct iked *k, struct loop *loop, struct dp *dp, const struct ike_opts *opts);
/* Delete every IKE SA (a Delete to each peer), uninstall every connection
 * (dp and ctl are the caller's; the sockets stay open until
 * iked_close_sockets). */
void iked_shutdown(struct iked *k);
/* Close the UDP sockets (after dp_close: the datapath may read them). */
void iked_close_sockets(struct iked *k);

/*
 * Reconcile to cfg (ownership passes on success). Checks what only this
 * process can know (e.g. AES-GCM on this CPU) first: on any error returns
 * -1 with errs filled and nothing changed. On success *result is the load
 * reply's result object.
 */
int iked_load(struct iked *k, struct cfg *cfg, long long revision, json_t **result,
	      struct cfg_errors *errs);

/* udp.c: a UDP socket bound to [any]:port of family (IPF_V4/IPF_V6), opened
 * once. encap: attached to the datapath for ESP in UDP (IKE comes back
 * through its ike_rx hook); otherwise read here for IKE and exempt from the
 * datapath's policies. Returns the fd or -1 with err. */
int iked_udp_socket(struct iked *k, uint8_t family, uint16_t port, bool encap, char *err,
		    size_t errlen);
int iked_udp_init(struct iked *k);
/* Queue for sending from the socket on from->port, with from->addr as the
 * source when set; iked_udp_flush commits the datapath, then sends. */
void iked_udp_send(struct iked *k, const struct ike_endpoint *from, const struct ike_endpoint *to,
		   const uint8_t *data, size_t len);
void iked_udp_flush(struct iked *k);
void iked_udp_endpoint(const struct sockaddr_storage *ss, struct ike_endpoint *ep);
/* Stop reading the sockets (before dp_close and iked_close_sockets). */
void iked_udp_unwatch(struct iked *k);

/* install.c: a route shared by connections, added on the first reference. */
int iked_route_ref(struct iked *k, const struct dp_route *r, char *err, size_t errlen);
void iked_route_unref(struct iked *k, const struct dp_route *r);
/* Policies for every (local, remote) pair of one family pointing at the
 * outbound SA out (SPI 0: a trap), and routes for the remote selectors with
 * a preferred source inside the local ones (transport: local). All or
 * nothing: -1 with err and s empty. */
int iked_spd_add(struct iked *k, struct iked_spd *s, bool transport, const struct ip_addr *local,
		 const struct ts *lts, unsigned nl, const struct ts *rts, unsigned nr,
		 const struct dp_sa_key *out, char *err, size_t errlen);
void iked_spd_del(struct iked *k, struct iked_spd *s);
/* Point the policies iked_spd_add made from these same selectors at
 * another outbound SA, in place (a rekey keeps the policy order). A
 * failure part-way leaves some pointing at each: the caller starts over
 * with iked_spd_add. */
int iked_spd_repoint(struct iked *k, struct iked_spd *s, const struct ts *lts, unsigned nl,
		     const struct ts *rts, unsigned nr, const struct dp_sa_key *out, char *err,
		     size_t errlen);
/* bytes_in/out, packets_in/out and drops (by reason, both SAs) into o;
 * NULL keys count zero. */
void iked_sa_counters(struct iked *k, const struct dp_sa_key *in, const struct dp_sa_key *out,
		      json_t *o);

uint32_t iked_policy_id(struct iked *k);

/* The datapath's ike_rx hook: one datagram, handled completely. */
void iked_ike_rx(void *arg, int fd, const uint8_t *msg, size_t len,
		 const struct sockaddr_storage *from, const struct sockaddr_storage *to);
/* One datagram of a batch; iked_ike_done() ends the batch (commit, send,
 * re-arm the engine's timer). */
void iked_ike_input(struct iked *k, const uint8_t *msg, size_t len,
		    const struct sockaddr_storage *from, const struct sockaddr_storage *to);
void iked_ike_done(struct iked *k);
void iked_dp_event(void *arg, const struct dp_event *ev);

/* iked_ike.c: the IKE engine in iked. */
int iked_ike_open(struct iked *k, const struct ike_opts *opts);
/* Delete every IKE SA (Deletes sent), then free the engine. */
void iked_ike_close(struct iked *k);
/* Preflight of a new configuration's IKE connections. */
void iked_ike_check(struct iked *k, const struct cfg *cfg, struct cfg_errors *errs);
/* Hand a connection (of cfg, not yet iked's) to the engine: sockets, trap
 * policies, start. */
int iked_ike_conn_add(struct iked *k, const struct cfg *cfg, struct iked_conn *c, char *err,
		      size_t errlen);
/* Delete its SAs (a Delete to the peer) and forget it. */
void iked_ike_conn_remove(struct iked *k, struct iked_conn *c);
enum iked_ike_op { IKED_INITIATE, IKED_TERMINATE, IKED_REKEY_CHILD, IKED_REKEY_IKE };
/* 0, or -1 with err (unknown child, nothing to act on). */
int iked_ike_control(struct iked *k, enum iked_ike_op op, const struct iked_conn *c,
		     const char *child, char *err, size_t errlen);
/* The conn-status fields of an IKE connection (state, ike, ike_sas,
 * children) into o. */
void iked_ike_status(struct iked *k, const struct iked_conn *c, json_t *o);
json_t *iked_ike_stats(struct iked *k);
/* A datapath event about IKE's SAs or trap policies; false if not ours. */
bool iked_ike_dp_event(struct iked *k, const struct dp_event *ev);

json_t *iked_list_sas(struct iked *k, const char *only);
json_t *iked_stats(struct iked *k);

/* manual.c */
int manual_install(struct iked *k, struct iked_conn *c, char *err, size_t errlen);
void manual_remove(struct iked *k, struct iked_conn *c);
json_t *manual_children_json(struct iked *k, const struct iked_conn *c);
/* The connection (and *child) an SA belongs to, or NULL. */
const char *manual_sa_owner(struct iked *k, const struct dp_sa_key *key, const char **child);
/* Preflight of a new configuration against this datapath. */
void manual_check(struct iked *k, const struct cfg *cfg, struct cfg_errors *errs);

/* cmd.c: the control commands. */
extern const struct ctl_command iked_commands[];

#endif
