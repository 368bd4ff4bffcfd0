// SPDX-License-Identifier: MIT
/*
 * Manual keying: a connection with keying "manual" becomes, per child, an
 * inbound and an outbound SA, outbound policies for every pair of its
 * selectors, and routes into the datapath for the remote selectors. Install
 * is all or nothing per connection; remove undoes exactly what was done.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iked.h"
#include "log.h"

struct manual_child {
	bool in_done, out_done;
	struct dp_sa_key in, out;
	struct iked_spd spd;
};

static void child_remove(struct iked *k, struct manual_child *m)
{
	iked_spd_del(k, &m->spd);
	if (m->out_done)
		dp_sa_del(k->dp, &m->out);
	if (m->in_done)
		dp_sa_del(k->dp, &m->in);
	memset(m, 0, sizeof(*m));
}

static void fill_sa(struct dp_sa *sa, const struct cfg_conn *c, const struct cfg_child *ch, bool in,
		    const struct ts *lts, const struct ts *rts)
{
	const struct prop_encr *e = &ch->esp[0].p.encr[0];
	const struct ip_addr *local = &c->local_addrs[0].addr, *remote = &c->remote_addrs[0].addr;

	memset(sa, 0, sizeof(*sa));
	sa->id.dir = in ? DP_IN : DP_OUT;
	sa->id.spi = in ? ch->manual.spi_in : ch->manual.spi_out;
	sa->id.dst = in ? *local : *remote;
	sa->src = in ? *remote : *local;
	sa->mode = ch->mode == CFG_MODE_TRANSPORT ? DP_TRANSPORT : DP_TUNNEL;
	sa->alg = e->id;
	sa->keybits = e->keybits;
	sa->esn = ch->esp[0].p.esn[0] == ESN_YES;
	if (c->nat_t == CFG_NAT_FORCE) {
		sa->encap_sport = in ? c->remote_port : c->local_port;
		sa->encap_dport = in ? c->local_port : c->remote_port;
	}
	memcpy(sa->keymat, in ? ch->manual.key_in.value : ch->manual.key_out.value, CFG_KEY_LEN);
	sa->keylen = CFG_KEY_LEN;
	sa->replay_window = ch->replay_window;
	/* Manual SAs are never rekeyed: the soft limit only warns, at 90 %. */
	sa->hard_bytes = ch->life_bytes;
	sa->hard_packets = ch->life_packets;
	sa->soft_bytes = ch->life_bytes - ch->life_bytes / 10;
	sa->soft_packets = ch->life_packets - ch->life_packets / 10;
	sa->n_local_ts = ch->n_local_ts;
	sa->n_remote_ts = ch->n_remote_ts;
	memcpy(sa->local_ts, lts, ch->n_local_ts * sizeof(*lts));
	memcpy(sa->remote_ts, rts, ch->n_remote_ts * sizeof(*rts));
}

static int child_install(struct iked *k, const struct cfg_conn *c, const struct cfg_child *ch,
			 struct manual_child *m, char *err, size_t errlen)
{
	const struct ip_addr *local = &c->local_addrs[0].addr, *remote = &c->remote_addrs[0].addr;
	struct ts lts[CFG_TS_MAX], rts[CFG_TS_MAX];
	struct dp_sa sa;
	char e2[160];
	int rc;

	for (unsigned i = 0; i < ch->n_local_ts; i++)
		ike_ts_resolve(&ch->local_ts[i].ts, 1, local, &lts[i]);
	for (unsigned i = 0; i < ch->n_remote_ts; i++)
		ike_ts_resolve(&ch->remote_ts[i].ts, 1, remote, &rts[i]);

	if (c->nat_t == CFG_NAT_FORCE) {
		if (iked_udp_socket(k, local->family, c->local_port, true, e2, sizeof(e2)) < 0) {
			snprintf(err, errlen, "child %s: %s", ch->name, e2);
			return -1;
		}
	}
	/* Inbound first: a packet the peer sends as soon as our outbound SA
	 * exists would otherwise find no SA. */
	for (int in = 1; in >= 0; in--) {
		fill_sa(&sa, c, ch, in, lts, rts);
		rc = dp_sa_add(k->dp, &sa, e2, sizeof(e2));
		sodium_memzero(sa.keymat, sizeof(sa.keymat));
		if (rc != 0) {
			snprintf(err, errlen, "child %s: %s SA %08x: %s", ch->name,
				 in ? "inbound" : "outbound", sa.id.spi, e2);
			return -1;
		}
		*(in ? &m->in : &m->out) = sa.id;
		*(in ? &m->in_done : &m->out_done) = true;
	}

	if (iked_spd_add(k, &m->spd, ch->mode == CFG_MODE_TRANSPORT, local, lts, ch->n_local_ts, rts,
			 ch->n_remote_ts, &m->out, e2, sizeof(e2)) != 0) {
		snprintf(err, errlen, "child %s: %s", ch->name, e2);
		return -1;
	}
	return 0;
}

int manual_install(struct iked *k, struct iked_conn *c, char *err, size_t errlen)
{
	const struct cfg_conn *cc = c->cfg;

	c->mc = calloc(cc->n_children ? cc->n_children : 1, sizeof(*c->mc));
	if (!c->mc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < cc->n_children; i++)
		if (child_install(k, cc, &cc->children[i], &c->mc[i], err, errlen) != 0) {
			manual_remove(k, c);
			return -1;
		}
	return 0;
}

void manual_remove(struct iked *k, struct iked_conn *c)
{
	if (!c->mc)
		return;
	for (unsigned i = 0; i < c->cfg->n_children; i++)
		child_remove(k, &c->mc[i]);
	free(c->mc);
	c->mc = NULL;
}

void manual_check(struct iked *k, const struct cfg *cfg, struct cfg_errors *errs)
{
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *c = &cfg->conns[i];

		if (c->keying != CFG_KEYING_MANUAL || !c->enabled)
			continue;
		for (unsigned j = 0; j < c->n_children; j++) {
			const char *why = dp_alg_unavailable(k->dp, c->children[j].esp[0].p.encr[0].id);

			if (why && errs->n < CFG_ERRORS_MAX) {
				struct cfg_error *e = &errs->e[errs->n++];

				snprintf(e->field, sizeof(e->field),
					 "connections[%u].children[%u].esp_proposals[0]", i, j);
				snprintf(e->message, sizeof(e->message), "%s", why);
			}
		}
	}
}

/* ---- status ---------------------------------------------------------------------- */

static json_t *ts_list(const struct cfg_ts *t, unsigned n, const struct ip_addr *outer)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < n; i++) {
		struct ts r;
		char buf[TS_STR_MAX];

		ike_ts_resolve(&t[i].ts, 1, outer, &r);
		json_array_append_new(a, json_string(ts_format(&r, buf, sizeof(buf))));
	}
	return a;
}

json_t *manual_children_json(struct iked *k, const struct iked_conn *c)
{
	const struct cfg_conn *cc = c->cfg;
	json_t *a = json_array();

	for (unsigned i = 0; i < cc->n_children; i++) {
		const struct cfg_child *ch = &cc->children[i];
		char spi_in[9], spi_out[9], prop[PROP_STR_MAX];
		json_t *o;
		bool live = c->state == IKED_INSTALLED && c->mc && c->mc[i].in_done && c->mc[i].out_done;

		snprintf(spi_in, sizeof(spi_in), "%08x", ch->manual.spi_in);
		snprintf(spi_out, sizeof(spi_out), "%08x", ch->manual.spi_out);
		proposal_format(PROP_ESP, &ch->esp[0].p, prop, sizeof(prop));
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
			      "name", ch->name,
			      "state", live ? "installed" : c->state == IKED_DISABLED ? "disabled" : "failed",
			      "mode", cfg_mode_name(ch->mode), "proposal", prop,
			      "spi_in", spi_in, "spi_out", spi_out,
			      "local_ts", ts_list(ch->local_ts, ch->n_local_ts, &cc->local_addrs[0].addr),
			      "remote_ts", ts_list(ch->remote_ts, ch->n_remote_ts, &cc->remote_addrs[0].addr));
		iked_sa_counters(k, live ? &c->mc[i].in : NULL, live ? &c->mc[i].out : NULL, o);
		json_object_set_new(o, "established",
				    live ? json_integer((json_int_t)c->established) : json_null());
		json_object_set_new(o, "rekey_in", json_null());
		json_array_append_new(a, o);
	}
	return a;
}

const char *manual_sa_owner(struct iked *k, const struct dp_sa_key *key, const char **child)
{
	for (unsigned i = 0; i < k->n_conns; i++) {
		struct iked_conn *c = &k->conns[i];

		if (!c->mc)
			continue;
		for (unsigned j = 0; j < c->cfg->n_children; j++)
			if ((c->mc[j].in_done && c->mc[j].in.spi == key->spi && key->dir == DP_IN) ||
			    (c->mc[j].out_done && c->mc[j].out.spi == key->spi && key->dir == DP_OUT)) {
				*child = c->cfg->children[j].name;
				return c->name;
			}
	}
	return NULL;
}
