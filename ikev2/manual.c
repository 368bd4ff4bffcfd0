// SPDX-License-Identifier: MIT
/*
 * Manual keying: a connection with keying "manual" becomes, per child, an
 * inbound and an outbound SA, outbound policies for every pair of its
 * selectors, and routes into the datapath for the remote selectors. Install
 * is all or nothing per connection; remove undoes exactly what was done.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iked.h"
#include "log.h"

struct manual_child {
	bool in_done, out_done;
	struct dp_sa_key in, out;
	uint32_t *pols;
	unsigned n_pols;
	struct dp_route *routes;
	unsigned n_routes;
};

/* ---- selectors ---------------------------------------------------------------- */

/* "dynamic" means the tunnel's own address (swanctl semantics). */
static void resolve_ts(const struct ts *t, const struct ip_addr *outer, struct ts *out)
{
	*out = *t;
	if (!t->dynamic)
		return;
	out->dynamic = false;
	out->family = outer->family;
	memset(out->lo, 0, 16);
	memset(out->hi, 0, 16);
	memcpy(out->lo, outer->b, ip_family_len(outer->family));
	memcpy(out->hi, outer->b, ip_family_len(outer->family));
}

static bool bit(const uint8_t *a, unsigned i)
{
	return a[i / 8] & (0x80 >> (i % 8));
}

/* The fewest prefixes covering [lo, hi]; -1 when more than max. */
static int range_prefixes(uint8_t family, const uint8_t *lo, const uint8_t *hi, struct dp_route *out,
			  unsigned max)
{
	unsigned len = ip_family_len(family), nbits = len * 8, n = 0;
	uint8_t cur[16];

	memcpy(cur, lo, len);
	for (;;) {
		unsigned plen;
		uint8_t last[16];

		/* Shortest prefix starting at cur (aligned) that stays <= hi. */
		for (plen = 0; plen <= nbits; plen++) {
			bool aligned = true;

			for (unsigned b = plen; b < nbits && aligned; b++)
				aligned = !bit(cur, b);
			if (!aligned)
				continue;
			memcpy(last, cur, len);
			for (unsigned b = plen; b < nbits; b++)
				last[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			if (memcmp(last, hi, len) <= 0)
				break;
		}
		if (n == max)
			return -1;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = family;
		memcpy(out[n].net, cur, len);
		out[n].plen = plen;
		n++;
		if (memcmp(last, hi, len) >= 0)
			return (int)n;
		/* cur = last + 1 */
		memcpy(cur, last, len);
		for (int i = (int)len - 1; i >= 0; i--)
			if (++cur[i] != 0)
				break;
	}
}

/* A local address inside t, to be the source of packets routed into the
 * tunnel (otherwise the kernel picks one the peer's selectors refuse). */
static bool local_addr_in(const struct ts *t, struct ip_addr *out)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		struct ip_addr a;

		if (!i->ifa_addr)
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET && t->family == IPF_V4) {
			a.family = IPF_V4;
			memcpy(a.b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6 && t->family == IPF_V6) {
			a.family = IPF_V6;
			memcpy(a.b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		if (memcmp(t->lo, a.b, ip_family_len(a.family)) <= 0 &&
		    memcmp(a.b, t->hi, ip_family_len(a.family)) <= 0) {
			*out = a;
			found = true;
		}
	}
	freeifaddrs(ifa);
	return found;
}

/* ---- one child --------------------------------------------------------------- */

static void child_remove(struct iked *k, struct manual_child *m)
{
	for (unsigned i = 0; i < m->n_pols; i++)
		dp_policy_del(k->dp, m->pols[i]);
	for (unsigned i = 0; i < m->n_routes; i++)
		iked_route_unref(k, &m->routes[i]);
	if (m->out_done)
		dp_sa_del(k->dp, &m->out);
	if (m->in_done)
		dp_sa_del(k->dp, &m->in);
	free(m->pols);
	free(m->routes);
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
		resolve_ts(&ch->local_ts[i].ts, local, &lts[i]);
	for (unsigned i = 0; i < ch->n_remote_ts; i++)
		resolve_ts(&ch->remote_ts[i].ts, remote, &rts[i]);

	if (c->nat_t == CFG_NAT_FORCE) {
		int reader;

		if (iked_udp_socket(k, local->family, c->local_port, &reader, e2, sizeof(e2)) < 0) {
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

	/* A policy for every (local, remote) pair of one family. */
	m->pols = calloc((size_t)ch->n_local_ts * ch->n_remote_ts, sizeof(*m->pols));
	m->routes = calloc((size_t)ch->n_remote_ts * IKED_ROUTES_PER_TS, sizeof(*m->routes));
	if (!m->pols || !m->routes) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < ch->n_local_ts; i++)
		for (unsigned j = 0; j < ch->n_remote_ts; j++) {
			struct dp_policy p;

			if (lts[i].family != rts[j].family)
				continue;
			memset(&p, 0, sizeof(p));
			p.id = iked_policy_id(k);
			p.action = DP_PROTECT;
			p.src = lts[i];
			p.dst = rts[j];
			p.sa = m->out;
			if (dp_policy_add(k->dp, &p, e2, sizeof(e2)) != 0) {
				snprintf(err, errlen, "child %s: policy: %s", ch->name, e2);
				return -1;
			}
			m->pols[m->n_pols++] = p.id;
		}
	for (unsigned j = 0; j < ch->n_remote_ts; j++) {
		struct dp_route r[IKED_ROUTES_PER_TS];
		struct ip_addr src;
		int n = range_prefixes(rts[j].family, rts[j].lo, rts[j].hi, r, IKED_ROUTES_PER_TS);
		bool have_src = false;

		if (n < 0) {
			snprintf(err, errlen, "child %s: remote_ts[%u] needs more than %d routes: use a prefix",
				 ch->name, j, IKED_ROUTES_PER_TS);
			return -1;
		}
		if (ch->mode == CFG_MODE_TRANSPORT && local->family == rts[j].family) {
			src = *local;
			have_src = true;
		}
		for (unsigned i = 0; i < ch->n_local_ts && !have_src; i++)
			if (lts[i].family == rts[j].family)
				have_src = local_addr_in(&lts[i], &src);
		for (int x = 0; x < n; x++) {
			if (have_src)
				r[x].src = src;
			if (iked_route_ref(k, &r[x], e2, sizeof(e2)) != 0) {
				snprintf(err, errlen, "child %s: %s", ch->name, e2);
				return -1;
			}
			m->routes[m->n_routes++] = r[x];
		}
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

		resolve_ts(&t[i].ts, outer, &r);
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
		struct dp_sa_stats in, out;
		char spi_in[9], spi_out[9], prop[PROP_STR_MAX];
		json_t *o, *drops = json_object();
		bool live = c->state == IKED_INSTALLED && c->mc && c->mc[i].in_done && c->mc[i].out_done;

		memset(&in, 0, sizeof(in));
		memset(&out, 0, sizeof(out));
		if (live) {
			dp_sa_stats(k->dp, &c->mc[i].in, &in);
			dp_sa_stats(k->dp, &c->mc[i].out, &out);
		}
		for (unsigned r = 1; r < ESP_DROP__MAX; r++)
			json_object_set_new(drops, esp_drop_name(r), json_integer((json_int_t)(in.drops[r] + out.drops[r])));
		snprintf(spi_in, sizeof(spi_in), "%08x", ch->manual.spi_in);
		snprintf(spi_out, sizeof(spi_out), "%08x", ch->manual.spi_out);
		proposal_format(PROP_ESP, &ch->esp[0].p, prop, sizeof(prop));
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:n}",
			      "name", ch->name,
			      "state", live ? "installed" : c->state == IKED_DISABLED ? "disabled" : "failed",
			      "mode", cfg_mode_name(ch->mode), "proposal", prop,
			      "spi_in", spi_in, "spi_out", spi_out,
			      "local_ts", ts_list(ch->local_ts, ch->n_local_ts, &cc->local_addrs[0].addr),
			      "remote_ts", ts_list(ch->remote_ts, ch->n_remote_ts, &cc->remote_addrs[0].addr),
			      "bytes_in", (json_int_t)in.bytes, "bytes_out", (json_int_t)out.bytes,
			      "packets_in", (json_int_t)in.packets, "packets_out", (json_int_t)out.packets,
			      "drops", drops,
			      "established", live ? json_integer((json_int_t)c->established) : json_null(),
			      "rekey_in");
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
