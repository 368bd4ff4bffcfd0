// SPDX-License-Identifier: MIT
/*
 * iked's state: reconciling a new configuration by connection name, shared
 * routes and sockets, status for the control socket.
 */
#include "iked.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int iked_init(struct iked *k, struct loop *loop, struct dp *dp, const struct ike_opts *opts)
{
	memset(k, 0, sizeof(*k));
	k->loop = loop;
	k->dp = dp;
	k->started = time(NULL);
	k->cfg = calloc(1, sizeof(*k->cfg));
	k->next_policy_id = 1;
	k->ifa_fd = -1;
	if (!k->cfg || iked_udp_init(k) != 0 || iked_ike_open(k, opts) != 0) {
		free(k->cfg);
		k->cfg = NULL;
		iked_close_sockets(k);
		return -ENOMEM;
	}
	return 0;
}

uint32_t iked_policy_id(struct iked *k)
{
	return k->next_policy_id++;
}

/* ---- datapath events ------------------------------------------------------------ */

void iked_dp_event(void *arg, const struct dp_event *ev)
{
	struct iked *k = arg;
	const char *child = "?", *conn;

	if (iked_ike_dp_event(k, ev))
		return;
	if (ev->kind == DP_EV_ACQUIRE) {
		log_debug("datapath: acquire for policy %u (no SA yet)", ev->policy_id);
		return;
	}
	conn = manual_sa_owner(k, &ev->sa, &child);
	log_warn("datapath: %s expire of %s SA %08x (%s/%s)%s", ev->kind == DP_EV_HARD_EXPIRE ? "hard" : "soft",
		 ev->sa.dir == DP_IN ? "inbound" : "outbound", ev->sa.spi, conn ? conn : "?", child,
		 ev->seq_exhausted ? ": sequence number space exhausted" : "");
	if (k->ctl) {
		json_t *e = json_pack("{s:s, s:I, s:s, s:s, s:b, s:s}", "event", "expire",
				      "time", (json_int_t)time(NULL), "connection", conn ? conn : "",
				      "child", child, "hard", ev->kind == DP_EV_HARD_EXPIRE,
				      "reason", ev->seq_exhausted ? "sequence number space exhausted"
								  : "lifetime reached");

		ctl_broadcast(k->ctl, e);
		json_decref(e);
	}
}

/* ---- reconcile ------------------------------------------------------------------- */

static void conn_down(struct iked *k, struct iked_conn *c)
{
	if (c->state == IKED_IKE) {
		iked_ike_conn_remove(k, c);
		log_info("connection %s removed from the IKE engine", c->name);
		return;
	}
	manual_remove(k, c);
	log_info("connection %s removed from the datapath", c->name);
}

static void conn_up(struct iked *k, const struct cfg *cfg, struct iked_conn *c)
{
	c->error[0] = '\0';
	if (!c->cfg->enabled) {
		c->state = IKED_DISABLED;
		return;
	}
	/* One backend per instance (--datapath): a connection meant for
	 * another one fails here, visibly, rather than land somewhere else. */
	if (strcmp(cfg_datapath_name(c->cfg->datapath), k->dp->ops->name) != 0) {
		c->state = IKED_FAILED;
		snprintf(c->error, sizeof(c->error), "the connection asks for the %s datapath; this "
			 "secgw-iked runs %s (--datapath)", cfg_datapath_name(c->cfg->datapath), k->dp->ops->name);
		log_err("connection %s: %s", c->name, c->error);
		return;
	}
	if (c->cfg->keying == CFG_KEYING_IKE) {
		if (iked_ike_conn_add(k, cfg, c, c->error, sizeof(c->error)) != 0) {
			c->state = IKED_FAILED;
			log_err("connection %s: %s", c->name, c->error);
			return;
		}
		c->state = IKED_IKE;
		log_info("connection %s loaded (%u children, IKE)", c->name, c->cfg->n_children);
		return;
	}
	if (manual_install(k, c, c->error, sizeof(c->error)) != 0) {
		c->state = IKED_FAILED;
		log_err("connection %s: %s", c->name, c->error);
		return;
	}
	c->state = IKED_INSTALLED;
	c->established = time(NULL);
	log_info("connection %s installed (%u children, manual keying)", c->name, c->cfg->n_children);
}

static bool is_up(const struct iked_conn *c)
{
	return c->state == IKED_INSTALLED || c->state == IKED_IKE;
}

int iked_load(struct iked *k, struct cfg *cfg, long long revision, json_t **result,
	      struct cfg_errors *errs)
{
	json_t *added = json_array(), *changed = json_array(), *removed = json_array();
	json_t *unchanged = json_array(), *failed = json_array();
	struct iked_conn *nc = calloc(cfg->n_conns ? cfg->n_conns : 1, sizeof(*nc));
	bool *kept = calloc(k->n_conns ? k->n_conns : 1, sizeof(*kept));

	memset(errs, 0, sizeof(*errs));
	manual_check(k, cfg, errs);
	iked_ike_check(k, cfg, errs);
	if (errs->n || !nc || !kept) {
		if (!errs->n) {
			errs->n = 1;
			snprintf(errs->e[0].field, sizeof(errs->e[0].field), "config");
			snprintf(errs->e[0].message, sizeof(errs->e[0].message), "out of memory");
		}
		free(nc);
		free(kept);
		json_decref(added);
		json_decref(changed);
		json_decref(removed);
		json_decref(unchanged);
		json_decref(failed);
		return -1;
	}

	/* Match by name: unchanged connections keep their state and SAs. */
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *n = &cfg->conns[i];

		snprintf(nc[i].name, sizeof(nc[i].name), "%s", n->name);
		nc[i].cfg = n;
		nc[i].state = (enum iked_conn_state)-1;
		for (unsigned j = 0; j < k->n_conns; j++) {
			struct iked_conn *o = &k->conns[j];

			if (strcmp(o->name, n->name) != 0)
				continue;
			kept[j] = true;
			if (cfg_conn_equal(o->cfg, k->cfg, n, cfg) && o->state != IKED_FAILED) {
				nc[i] = *o;
				nc[i].cfg = n;
				json_array_append_new(unchanged, json_string(n->name));
			} else {
				if (is_up(o))
					conn_down(k, o);
				json_array_append_new(changed, json_string(n->name));
			}
		}
	}
	for (unsigned j = 0; j < k->n_conns; j++)
		if (!kept[j]) {
			if (is_up(&k->conns[j]))
				conn_down(k, &k->conns[j]);
			json_array_append_new(removed, json_string(k->conns[j].name));
		}
	/* Removals first, so an SPI or route can move between connections. */
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		bool was_known = false;

		if (nc[i].state != (enum iked_conn_state)-1)
			continue;
		for (unsigned j = 0; j < k->n_conns; j++)
			was_known |= strcmp(k->conns[j].name, nc[i].name) == 0;
		if (!was_known)
			json_array_append_new(added, json_string(nc[i].name));
		conn_up(k, cfg, &nc[i]);
		if (nc[i].state == IKED_FAILED)
			json_array_append_new(failed, json_pack("{s:s, s:s}", "name", nc[i].name,
								"message", nc[i].error));
	}
	free(kept);
	free(k->conns);
	k->conns = nc;
	k->n_conns = cfg->n_conns;
	cfg_free(k->cfg);
	k->cfg = cfg;
	k->revision = revision;
	/* Into effect before the reply says so. */
	iked_udp_flush(k);
	*result = json_pack("{s:I, s:o, s:o, s:o, s:o}", "revision", (json_int_t)revision,
			    "added", added, "changed", changed, "removed", removed, "unchanged", unchanged);
	if (json_array_size(failed))
		json_object_set_new(*result, "failed", failed);
	else
		json_decref(failed);
	log_info("configuration revision %lld loaded: %zu added, %zu changed, %zu removed, %zu unchanged",
		 revision, json_array_size(json_object_get(*result, "added")),
		 json_array_size(json_object_get(*result, "changed")),
		 json_array_size(json_object_get(*result, "removed")),
		 json_array_size(json_object_get(*result, "unchanged")));
	if (k->ctl) {
		json_t *e = json_pack("{s:s, s:I, s:I}", "event", "loaded", "time", (json_int_t)time(NULL),
				      "revision", (json_int_t)revision);

		ctl_broadcast(k->ctl, e);
		json_decref(e);
	}
	return 0;
}

void iked_shutdown(struct iked *k)
{
	/* Deletes to every peer while the sockets and the datapath still work;
	 * the engine removes its CHILD SAs from the datapath on the way. */
	iked_ike_close(k);
	for (unsigned i = 0; i < k->n_conns; i++)
		if (k->conns[i].state == IKED_INSTALLED)
			conn_down(k, &k->conns[i]);
	free(k->conns);
	k->conns = NULL;
	k->n_conns = 0;
	for (unsigned i = 0; i < k->n_routes; i++)
		dp_route_del(k->dp, &k->routes[i].r);
	free(k->routes);
	k->routes = NULL;
	k->n_routes = 0;
	iked_addrs_forget(k);
	iked_udp_unwatch(k);
	cfg_free(k->cfg);
	k->cfg = NULL;
}

/* ---- status ------------------------------------------------------------------------ */

json_t *iked_list_sas(struct iked *k, const char *only)
{
	json_t *conns = json_array();

	for (unsigned i = 0; i < k->n_conns; i++) {
		const struct iked_conn *c = &k->conns[i];
		json_t *o;
		const char *state;

		if (only && strcmp(only, c->name) != 0)
			continue;
		state = c->state == IKED_INSTALLED ? "installed"
			: c->state == IKED_DISABLED ? "disabled" : "failed";
		o = json_pack("{s:s, s:s, s:s, s:s}", "name", c->name,
			      "keying", cfg_keying_name(c->cfg->keying),
			      "datapath", cfg_datapath_name(c->cfg->datapath), "state", state);
		if (c->state == IKED_FAILED)
			json_object_set_new(o, "error", json_string(c->error));
		if (c->cfg->keying == CFG_KEYING_MANUAL) {
			json_object_set_new(o, "ike", json_null());
			json_object_set_new(o, "children", manual_children_json(k, c));
		} else {
			iked_ike_status(k, c, o);
		}
		json_array_append_new(conns, o);
	}
	return json_pack("{s:I, s:o}", "revision", (json_int_t)k->revision, "connections", conns);
}

json_t *iked_stats(struct iked *k)
{
	struct dp_stats s;
	json_t *drops = json_object(), *d;
	unsigned installed = 0;

	dp_stats(k->dp, &s);
	for (unsigned r = 1; r < ESP_DROP__MAX; r++)
		json_object_set_new(drops, esp_drop_name(r), json_integer((json_int_t)s.drops[r]));
	d = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "backend", k->dp->ops->name,
		      "packets_in", (json_int_t)s.packets_in, "packets_out", (json_int_t)s.packets_out,
		      "keepalives", (json_int_t)s.keepalives, "ike_datagrams", (json_int_t)s.ike,
		      "drops", drops);
	for (unsigned i = 0; i < s.n_extra; i++)
		json_object_set_new(d, s.extra[i].name, json_integer((json_int_t)s.extra[i].value));
	for (unsigned i = 0; i < k->n_conns; i++)
		installed += is_up(&k->conns[i]);
	return json_pack("{s:I, s:I, s:I, s:o, s:o}", "revision", (json_int_t)k->revision,
			 "uptime", (json_int_t)(time(NULL) - k->started),
			 "connections_installed", (json_int_t)installed, "datapath", d,
			 "ike", iked_ike_stats(k));
}
