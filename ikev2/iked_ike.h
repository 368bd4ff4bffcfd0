/* SPDX-License-Identifier: MIT */
/*
 * Between iked_ike.c (the engine in iked: sockets, timer, events, control,
 * status) and iked_child.c (the CHILD SAs the engine negotiates, and trap
 * policies, in the datapath). Nothing else includes this.
 */
#ifndef SECGW_IKED_IKE_H
#define SECGW_IKED_IKE_H

#include "iked.h"

struct iked_child;
struct iked_slot;

struct iked_ike {
	struct ike_engine *e;
	struct loop_timer timer;
	/* CHILD SAs in the datapath, by inbound SPI (unique engine-wide). */
	struct iked_child **chash;
	size_t chash_size, n_children;
	struct iked_slot *traps;	/* trap slots: start_action trap children */
	uint64_t seq;			/* install order */
	uint64_t acquires, expires, install_failures;
};

/* The engine's clock (monotonic ms) and re-arming its one timer after any
 * call into it. */
uint64_t iked_ike_now(void);
void iked_ike_rearm(struct iked *k);

/* iked_child.c: the engine's child_install / child_remove callbacks. */
int iked_child_install(void *ctx, const struct ike_child_sa *sa);
void iked_child_remove(void *ctx, const struct ike_child_sa *sa);
/* Trap policies (SPI 0) for the connection's start_action trap children;
 * all or nothing. */
int iked_child_traps_add(struct iked *k, const struct cfg_conn *c, char *err, size_t errlen);
void iked_child_traps_remove(struct iked *k, const char *conn);
/* Is a trap policy for conn/child waiting for traffic (no CHILD SA)? */
bool iked_child_trapped(struct iked *k, const char *conn, const char *child);
/* The datapath keys of the CHILD SA with this inbound SPI; false if none. */
bool iked_child_keys(struct iked *k, uint32_t spi_in, struct dp_sa_key *in, struct dp_sa_key *out);
/* Acquire on a trap policy, soft or hard expire of an IKE CHILD SA. */
bool iked_child_dp_event(struct iked *k, const struct dp_event *ev);
/* After the engine is gone: free whatever is left (trap slots). */
void iked_child_free_all(struct iked *k);

#endif
