// SPDX-License-Identifier: MIT
/* The "user" datapath backend: kmod/user (TUN + sockets + kmod/core) in
 * this process. Converts dp.h's types to the core's and relays events from
 * the workers to the loop thread. */
#include "dp.h"

#include <stdio.h>
#include <string.h>

#include "kmod/user/aead_sodium.h"
#include "kmod/user/dpu.h"
#include "log.h"
#include "proposal.h"

static struct dpu *U(struct dp *dp)
{
	return dp->priv;
}

static void to_esp_addr(const struct ip_addr *a, struct esp_addr *e)
{
	memset(e, 0, sizeof(*e));
	e->family = a->family == IPF_V4 ? ESP_AF_INET : a->family == IPF_V6 ? ESP_AF_INET6 : ESP_AF_NONE;
	memcpy(e->b, a->b, 16);
}

static void from_esp_addr(const struct esp_addr *e, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = e->family == ESP_AF_INET ? IPF_V4 : e->family == ESP_AF_INET6 ? IPF_V6 : IPF_NONE;
	memcpy(a->b, e->b, 16);
}

static int to_sel(const struct ts *t, struct esp_sel *s)
{
	if (t->dynamic || (t->family != IPF_V4 && t->family != IPF_V6))
		return -1;
	memset(s, 0, sizeof(*s));
	s->family = t->family == IPF_V4 ? ESP_AF_INET : ESP_AF_INET6;
	s->proto = t->proto;
	s->port_lo = t->port_lo;
	s->port_hi = t->port_hi;
	memcpy(s->lo, t->lo, 16);
	memcpy(s->hi, t->hi, 16);
	return 0;
}

static void on_events(void *arg, int fd, unsigned events)
{
	struct dp *dp = arg;
	struct dpu_event ev;

	while (dpu_event_next(U(dp), &ev)) {
		if (ev.kind == DPU_EV_IKE) {
			if (dp->hooks.ike_rx)
				dp->hooks.ike_rx(dp->hooks.arg, ev.fd, ev.msg, ev.len, &ev.from, &ev.to);
		} else if (dp->hooks.event) {
			struct dp_event e;

			memset(&e, 0, sizeof(e));
			e.kind = ev.kind == DPU_EV_ACQUIRE ? DP_EV_ACQUIRE
				 : ev.kind == DPU_EV_SOFT_EXPIRE ? DP_EV_SOFT_EXPIRE : DP_EV_HARD_EXPIRE;
			e.sa.dir = ev.dir;
			e.sa.spi = ev.spi;
			from_esp_addr(&ev.dst, &e.sa.dst);
			e.policy_id = ev.policy_id;
			e.seq_exhausted = ev.seq_exhausted;
			dp->hooks.event(dp->hooks.arg, &e);
		}
	}
}

static int user_open(struct dp *dp, const struct dp_options *o, char *err, size_t errlen)
{
	struct dpu_config c;
	struct dpu *u;
	int rc;

	memset(&c, 0, sizeof(c));
	c.tun_name = o->tun_name;
	c.workers = o->workers;
	c.mtu = o->mtu;
	c.fwmark = o->fwmark;
	c.table = o->table;
	if (dpu_open(&c, &u, err, errlen) != 0)
		return -1;
	dp->priv = u;
	rc = loop_fd_add(dp->loop, dpu_event_fd(u), LOOP_IN, on_events, dp);
	if (rc < 0) {
		snprintf(err, errlen, "cannot watch the datapath's events: %s", strerror(-rc));
		dpu_close(u);
		return -1;
	}
	log_info("user datapath: TUN %s", dpu_tun_name(u));
	/* The two AES-GCM libraries differ in speed and in timing safety:
	 * say which one this CPU gets (aead_sodium.h). */
	{
		const char *gcm = aead_sodium_impl_name(ENCR_AES_GCM_16);

		log_info("user datapath: AES-256-GCM from %s, ChaCha20-Poly1305 from %s",
			 gcm ? gcm : "nowhere (unavailable on this CPU)",
			 aead_sodium_impl_name(ENCR_CHACHA20_POLY1305));
	}
	return 0;
}

static void user_close(struct dp *dp)
{
	loop_fd_del(dp->loop, dpu_event_fd(U(dp)));
	dpu_close(U(dp));
}

static const char *user_alg_unavailable(struct dp *dp, uint16_t alg)
{
	return aead_sodium_unavailable(alg);
}

static int user_sa_add(struct dp *dp, const struct dp_sa *sa, char *err, size_t errlen)
{
	struct esp_sa_params p;
	unsigned klen = proposal_encr_keylen(sa->alg, sa->keybits);

	memset(&p, 0, sizeof(p));
	if (!klen || sa->keylen != klen + ESP_AEAD_SALT_LEN) {
		snprintf(err, errlen, "key material must be %u bytes for this algorithm",
			 klen + ESP_AEAD_SALT_LEN);
		return -1;
	}
	if (sa->n_local_ts > DP_TS_MAX || sa->n_remote_ts > DP_TS_MAX) {
		snprintf(err, errlen, "too many traffic selectors");
		return -1;
	}
	p.spi = sa->id.spi;
	p.dir = sa->id.dir;
	p.mode = sa->mode;
	p.alg = sa->alg;
	p.esn = sa->esn;
	to_esp_addr(&sa->src, &p.src);
	to_esp_addr(&sa->id.dst, &p.dst);
	p.encap_sport = sa->encap_sport;
	p.encap_dport = sa->encap_dport;
	p.replay_window = sa->replay_window;
	p.soft_bytes = sa->soft_bytes;
	p.hard_bytes = sa->hard_bytes;
	p.soft_packets = sa->soft_packets;
	p.hard_packets = sa->hard_packets;
	p.tfc_pad = sa->tfc_pad;
	memcpy(p.salt, sa->keymat + klen, ESP_AEAD_SALT_LEN);
	p.n_local_ts = (uint8_t)sa->n_local_ts;
	p.n_remote_ts = (uint8_t)sa->n_remote_ts;
	for (unsigned i = 0; i < sa->n_local_ts; i++)
		if (to_sel(&sa->local_ts[i], &p.local_ts[i]) != 0)
			goto bad_ts;
	for (unsigned i = 0; i < sa->n_remote_ts; i++)
		if (to_sel(&sa->remote_ts[i], &p.remote_ts[i]) != 0)
			goto bad_ts;
	return dpu_sa_add(U(dp), &p, sa->keymat, klen, err, errlen);
bad_ts:
	snprintf(err, errlen, "traffic selectors must be resolved (no dynamic) before install");
	return -1;
}

static int user_sa_del(struct dp *dp, const struct dp_sa_key *k)
{
	struct esp_addr dst;

	to_esp_addr(&k->dst, &dst);
	return dpu_sa_del(U(dp), k->dir, k->spi, &dst);
}

static int user_sa_stats(struct dp *dp, const struct dp_sa_key *k, struct dp_sa_stats *out)
{
	struct esp_addr dst;
	struct dpu_sa_stats s;
	int rc;

	to_esp_addr(&k->dst, &dst);
	rc = dpu_sa_stats(U(dp), k->dir, k->spi, &dst, &s);
	if (rc == 0) {
		out->bytes = s.bytes;
		out->packets = s.packets;
		memcpy(out->drops, s.drops, sizeof(out->drops));
	}
	return rc;
}

static int to_policy(const struct dp_policy *p, struct esp_policy *e, struct esp_addr *dst,
		     char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	e->id = p->id;
	e->action = p->action;
	if (to_sel(&p->src, &e->src) != 0 || to_sel(&p->dst, &e->dst) != 0 || e->src.family != e->dst.family) {
		snprintf(err, errlen, "policy selectors must be resolved and of one family");
		return -1;
	}
	to_esp_addr(&p->sa.dst, dst);
	return 0;
}

static int user_policy_add(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen)
{
	struct esp_policy e;
	struct esp_addr dst;

	if (to_policy(p, &e, &dst, err, errlen) != 0)
		return -1;
	return dpu_policy_add(U(dp), &e, p->sa.spi, &dst, err, errlen);
}

static int user_policy_update(struct dp *dp, const struct dp_policy *p, char *err, size_t errlen)
{
	struct esp_policy e;
	struct esp_addr dst;

	if (to_policy(p, &e, &dst, err, errlen) != 0)
		return -1;
	return dpu_policy_update(U(dp), &e, p->sa.spi, &dst, err, errlen);
}

static int user_policy_del(struct dp *dp, uint32_t id)
{
	return dpu_policy_del(U(dp), id);
}

static int user_route_add(struct dp *dp, const struct dp_route *r, char *err, size_t errlen)
{
	struct esp_addr src;

	to_esp_addr(&r->src, &src);
	return dpu_route_add(U(dp), r->family, r->net, r->plen, src.family ? &src : NULL, err, errlen);
}

static int user_route_del(struct dp *dp, const struct dp_route *r)
{
	return dpu_route_del(U(dp), r->family, r->net, r->plen);
}

static int user_encap_attach(struct dp *dp, int fd, char *err, size_t errlen)
{
	return dpu_encap_attach(U(dp), fd, err, errlen) == 0 ? DP_ENCAP_HOOK : -1;
}

static int user_commit(struct dp *dp)
{
	return dpu_commit(U(dp));
}

static int user_bypass_socket(struct dp *dp, int fd, char *err, size_t errlen)
{
	return dpu_socket_bypass(U(dp), fd, err, errlen);
}

static void user_stats(struct dp *dp, struct dp_stats *out)
{
	struct dpu_stats s;

	dpu_stats(U(dp), &s);
	memset(out, 0, sizeof(*out));
	memcpy(out->drops, s.drops, sizeof(out->drops));
	out->packets_in = s.packets_in;
	out->packets_out = s.packets_out;
	out->keepalives = s.keepalives;
	out->ike = s.ike;
#define EXTRA(n, v) out->extra[out->n_extra].name = n, out->extra[out->n_extra++].value = v
	EXTRA("tun_read_errors", s.host.tun_read_errors);
	EXTRA("tun_write_errors", s.host.tun_write_errors);
	EXTRA("send_errors", s.host.send_errors);
	EXTRA("no_socket", s.host.no_socket);
	EXTRA("event_queue_full", s.host.event_queue_full);
	EXTRA("tso_segments", s.host.gso_segments);
	EXTRA("tso_bad", s.host.gso_bad);
#undef EXTRA
}

const struct dp_ops dp_user_ops = {
	.name = "user",
	.open = user_open,
	.close = user_close,
	.alg_unavailable = user_alg_unavailable,
	.sa_add = user_sa_add,
	.sa_del = user_sa_del,
	.sa_stats = user_sa_stats,
	.policy_add = user_policy_add,
	.policy_del = user_policy_del,
	.policy_update = user_policy_update,
	.route_add = user_route_add,
	.route_del = user_route_del,
	.encap_attach = user_encap_attach,
	.commit = user_commit,
	.bypass_socket = user_bypass_socket,
	.stats = user_stats,
};
