/* SPDX-License-Identifier: MIT */
/*
 * secgw-iked's state: the loaded configuration and revision, the runtime
 * state of each connection, the datapath, the control socket, and the
 * shared resources (UDP sockets, routes) connections use.
 *
 * For the IKE engine (issue 5), the seams are:
 *   - iked_load() calls ike_conn_add/ike_conn_del-style hooks for
 *     connections with keying ike (today: state IKED_IKE_PENDING);
 *   - iked_udp_socket() gives the engine its port 500/4500 sockets, already
 *     attached to the datapath where the backend wants that;
 *   - iked_ike_rx() is where IKE datagrams arrive (from the loop, or from
 *     the user datapath's hook), and iked_dp_event() where acquire and
 *     expire events arrive;
 *   - the command table in cmd.c, and ctl_broadcast() for events.
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
#include "loop.h"

enum {
	IKED_UDP_MAX = 8,
	IKED_ERROR_MAX = 200,
	IKED_ROUTES_PER_TS = 32,	/* prefixes one range selector may need */
};

enum iked_conn_state {
	IKED_DISABLED,		/* enabled: false */
	IKED_INSTALLED,		/* manual: SAs, policies and routes are in the datapath */
	IKED_FAILED,		/* manual: the datapath refused something; error says what */
	IKED_IKE_PENDING,	/* keying ike: waiting for the IKE engine */
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
};

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
	uint64_t ike_unhandled;	/* IKE datagrams while no engine is built */
};

int iked_init(struct iked *k, struct loop *loop, struct dp *dp);
/* Uninstall every connection and close the UDP sockets (dp and ctl are the
 * caller's). */
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

/* A UDP socket bound to [any]:port of family (IPF_V4/IPF_V6), opened once
 * and attached to the datapath; its reader (enum dp_encap_reader) tells the
 * IKE engine whether to read it. Returns the fd or -1 with err. */
int iked_udp_socket(struct iked *k, uint8_t family, uint16_t port, int *reader, char *err,
		    size_t errlen);

/* A route shared by connections: added on the first reference. */
int iked_route_ref(struct iked *k, const struct dp_route *r, char *err, size_t errlen);
void iked_route_unref(struct iked *k, const struct dp_route *r);

uint32_t iked_policy_id(struct iked *k);

void iked_ike_rx(void *arg, int fd, const uint8_t *msg, size_t len,
		 const struct sockaddr_storage *from, const struct sockaddr_storage *to);
void iked_dp_event(void *arg, const struct dp_event *ev);

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
