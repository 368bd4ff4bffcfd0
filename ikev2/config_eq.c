// SPDX-License-Identifier: MIT
/*
 * Deep equality of connections, for reconcile by name: a connection whose
 * every field and every referenced secret value is the same keeps its SAs
 * and counters; anything else is a changed connection.
 */
#include <sodium.h>
#include <string.h>

#include "config.h"

static bool ep_eq(const struct cfg_endpoint *a, const struct cfg_endpoint *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!addr_equal(&a[i].addr, &b[i].addr) || a[i].plen != b[i].plen)
			return false;
	return true;
}

static bool prop_eq(const struct cfg_proposal *a, const struct cfg_proposal *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(&a[i].p, &b[i].p, sizeof(a[i].p)) != 0)
			return false;
	return true;
}

static bool ts_eq(const struct cfg_ts *a, const struct cfg_ts *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (memcmp(&a[i].ts, &b[i].ts, sizeof(a[i].ts)) != 0)
			return false;
	return true;
}

static bool secret_eq(const char *name, const struct cfg *ca, const struct cfg *cb)
{
	const struct cfg_secret *a = cfg_secret_find(ca, name), *b = cfg_secret_find(cb, name);

	if (!a || !b)
		return a == b;
	return a->type == b->type && a->len == b->len && sodium_memcmp(a->value, b->value, a->len) == 0;
}

static bool child_eq(const struct cfg_child *a, const struct cfg_child *b)
{
	return strcmp(a->name, b->name) == 0 && a->mode == b->mode &&
	       a->n_local_ts == b->n_local_ts && ts_eq(a->local_ts, b->local_ts, a->n_local_ts) &&
	       a->n_remote_ts == b->n_remote_ts && ts_eq(a->remote_ts, b->remote_ts, a->n_remote_ts) &&
	       a->n_esp == b->n_esp && prop_eq(a->esp, b->esp, a->n_esp) &&
	       a->start_action == b->start_action && a->rekey_time == b->rekey_time &&
	       a->life_bytes == b->life_bytes && a->life_packets == b->life_packets &&
	       a->replay_window == b->replay_window && a->has_manual == b->has_manual &&
	       (!a->has_manual ||
		(a->manual.spi_in == b->manual.spi_in && a->manual.spi_out == b->manual.spi_out &&
		 strcmp(a->manual.key_in.name, b->manual.key_in.name) == 0 &&
		 strcmp(a->manual.key_out.name, b->manual.key_out.name) == 0 &&
		 sodium_memcmp(a->manual.key_in.value, b->manual.key_in.value, CFG_KEY_LEN) == 0 &&
		 sodium_memcmp(a->manual.key_out.value, b->manual.key_out.value, CFG_KEY_LEN) == 0));
}

bool cfg_conn_equal(const struct cfg_conn *a, const struct cfg *ca,
		    const struct cfg_conn *b, const struct cfg *cb)
{
	if (strcmp(a->name, b->name) || a->enabled != b->enabled ||
	    a->n_local_addrs != b->n_local_addrs || !ep_eq(a->local_addrs, b->local_addrs, a->n_local_addrs) ||
	    a->n_remote_addrs != b->n_remote_addrs ||
	    !ep_eq(a->remote_addrs, b->remote_addrs, a->n_remote_addrs) ||
	    a->local_port != b->local_port || a->remote_port != b->remote_port ||
	    strcmp(a->local_id, b->local_id) || strcmp(a->remote_id, b->remote_id) ||
	    a->auth != b->auth || strcmp(a->psk, b->psk) || a->n_ike != b->n_ike ||
	    !prop_eq(a->ike, b->ike, a->n_ike) || a->rekey_time != b->rekey_time ||
	    a->dpd_delay != b->dpd_delay || a->dpd_action != b->dpd_action || a->nat_t != b->nat_t ||
	    a->datapath != b->datapath || a->keying != b->keying || a->n_children != b->n_children)
		return false;
	if (a->psk[0] && !secret_eq(a->psk, ca, cb))
		return false;
	for (unsigned i = 0; i < a->n_children; i++)
		if (!child_eq(&a->children[i], &b->children[i]))
			return false;
	return true;
}

