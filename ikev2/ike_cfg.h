/* SPDX-License-Identifier: MIT */
/*
 * Between secgw-iked and the IKE engine: the configuration model
 * (ikev2/config.h) as the engine's connection, and the engine's events and
 * status as the control protocol's JSON (docs/control.md).
 */
#ifndef SECGW_IKEV2_IKE_CFG_H
#define SECGW_IKEV2_IKE_CFG_H

#include <jansson.h>
#include <time.h>

#include "config.h"
#include "ike.h"

/*
 * A `keying: ike` connection of cfg as an engine connection. children must
 * hold c->n_children entries and outlive the call only until ike_conn_add
 * (which copies). Returns NULL or what is wrong; out->psk holds the secret:
 * wipe it (sodium_memzero) once the engine has its copy.
 */
const char *ike_conn_from_cfg(const struct cfg *cfg, const struct cfg_conn *c,
			      struct ike_conn_cfg *out, struct ike_child_cfg *children);

/* An event line (docs/control.md "Events"); now is wall-clock time. */
json_t *ike_event_json(const struct ike_event *ev, time_t now);
/* The "ike" object of a conn-status, and one entry of its "children"
 * (without the datapath counters, which the caller adds). now_ms is the
 * engine's clock, now the wall clock. */
json_t *ike_sa_json(const struct ike_sa_info *in, uint64_t now_ms, time_t now);
json_t *ike_child_json(const struct ike_child_info *c, uint64_t now_ms, time_t now);

#endif
