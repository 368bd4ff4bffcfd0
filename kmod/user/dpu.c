// SPDX-License-Identifier: MIT
/*
 * The userspace datapath's control side: the SA and policy lists, snapshot
 * publication with a QSBR grace period, routes and rules, the event queue.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aead_sodium.h"
#include "dpu_int.h"
#include "rtnl.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

enum {
	SAD_MIN_SLOTS = 16,
	SA_BUCKETS_MIN = 64,
	GRACE_POLL_US = 50,
	RAW_RCVBUF = 4 << 20,
	ACQUIRE_PER_SEC = 10,
};

__attribute__((format(printf, 3, 4)))
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- the control state's SA index ------------------------------------------- */

static bool same_addr(const struct esp_addr *a, const struct esp_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, esp_addr_len(a->family)) == 0;
}

static struct dpu_sa_node *node_of(struct esp_sa *sa)
{
	return (struct dpu_sa_node *)((char *)sa - offsetof(struct dpu_sa_node, sa));
}

static size_t sa_bucket(const struct dpu *d, uint8_t dir, uint32_t spi)
{
	return ((spi ^ (uint32_t)dir << 31) * 2654435761u) & (d->sa_buckets - 1);
}

/* O(1) by (direction, SPI, destination): thousands of SAs are normal. */
static struct esp_sa *find_sa(struct dpu *d, uint8_t dir, uint32_t spi, const struct esp_addr *dst)
{
	if (!d->sa_buckets)
		return NULL;
	for (struct dpu_sa_node *n = d->sa_hash[sa_bucket(d, dir, spi)]; n; n = n->hnext)
		if (n->sa.p.dir == dir && n->sa.p.spi == spi && same_addr(&n->sa.p.dst, dst))
			return &n->sa;
	return NULL;
}

static int index_grow(struct dpu *d)
{
	size_t nb = d->sa_buckets ? 2 * d->sa_buckets : SA_BUCKETS_MIN;
	struct dpu_sa_node **h = calloc(nb, sizeof(*h));

	if (!h)
		return -1;
	for (size_t i = 0; i < d->sa_buckets; i++)
		for (struct dpu_sa_node *n = d->sa_hash[i], *next; n; n = next) {
			size_t b = ((n->sa.p.spi ^ (uint32_t)n->sa.p.dir << 31) * 2654435761u) & (nb - 1);

			next = n->hnext;
			n->hnext = h[b];
			h[b] = n;
		}
	free(d->sa_hash);
	d->sa_hash = h;
	d->sa_buckets = nb;
	return 0;
}

/* ---- publication ------------------------------------------------------------ */

/*
 * Changes are made to the control state and published together by
 * dpu_commit: one snapshot per batch of changes rather than per change, so
 * installing thousands of CHILD SAs stays linear. What a new snapshot no
 * longer references (older snapshots, deleted SAs) is freed once every
 * worker has passed a quiescent point (QSBR): waited for when SAs were
 * deleted (their keys should not linger), checked in passing otherwise.
 */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t c = SAD_MIN_SLOTS;

	while (c < n)
		c <<= 1;
	return c;
}

static bool all_quiescent(struct dpu *d, uint64_t e)
{
	for (unsigned i = 0; i < d->n_workers; i++)
		if (!dpu_worker_quiescent(d->w[i], e))
			return false;
	return true;
}

/* Wait until every worker has passed a quiescent point after epoch e. */
static void synchronize(struct dpu *d, uint64_t e)
{
	for (unsigned i = 0; i < d->n_workers; i++) {
		if (dpu_worker_quiescent(d->w[i], e))
			continue;
		dpu_worker_kick(d->w[i]);
		while (!dpu_worker_quiescent(d->w[i], e)) {
			struct timespec ts = { 0, GRACE_POLL_US * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

static void free_sa(struct esp_sa *sa)
{
	struct dpu_sa_node *n = node_of(sa);

	aead_sodium_free(sa->p.aead);
	sodium_memzero(n, sizeof(*n));
	free(n);
}

/*
 * Free what no worker can see any more; wait for them when asked to.
 * Retired SAs only right after a publish: until then the current snapshot
 * may still point at them.
 */
static void reclaim(struct dpu *d, bool wait, bool sas)
{
	uint64_t e = atomic_load(&d->epoch);

	if (!d->n_old_tables && !(sas && d->n_retired))
		return;
	if (wait)
		synchronize(d, e);
	else if (!all_quiescent(d, e))
		return;
	for (unsigned i = 0; i < d->n_old_tables; i++)
		free(d->old_tables[i]);
	d->n_old_tables = 0;
	if (!sas)
		return;
	for (unsigned i = 0; i < d->n_retired; i++)
		free_sa(d->retired[i]);
	d->n_retired = 0;
}

/* Build a snapshot of the control state and make it the one workers read.
 * Returns 0, or -ENOMEM with nothing changed. */
static int publish(struct dpu *d)
{
	unsigned n_in = 0;
	uint32_t cap;
	struct dpu_tables *t, *old;
	struct esp_sa **slots;
	struct esp_policy *pols;

	if (d->n_old_tables == DPU_OLD_TABLES_MAX)
		reclaim(d, true, false);
	for (unsigned i = 0; i < d->n_sas; i++)
		n_in += d->sas[i]->p.dir == ESP_DIR_IN;
	cap = pow2_at_least(2 * n_in + 2);
	t = calloc(1, sizeof(*t) + cap * sizeof(*slots) + (d->n_pols + 1) * sizeof(*pols));
	if (!t)
		return -ENOMEM;
	slots = (struct esp_sa **)(t + 1);
	pols = (struct esp_policy *)(slots + cap);
	esp_sad_init(&t->sad, slots, cap);
	for (unsigned i = 0; i < d->n_sas; i++)
		if (d->sas[i]->p.dir == ESP_DIR_IN)
			esp_sad_insert(&t->sad, d->sas[i]);
	esp_spd_init(&t->spd, pols, d->n_pols);
	for (unsigned i = 0; i < d->n_pols; i++) {
		struct esp_policy p = d->pols[i].pol;

		p.sa = NULL;
		if (p.action == ESP_POLICY_PROTECT && d->pols[i].sa_spi)
			p.sa = find_sa(d, ESP_DIR_OUT, d->pols[i].sa_spi, &d->pols[i].sa_dst);
		esp_spd_add(&t->spd, &p);
	}
	t->n_encap = d->n_encap;
	memcpy(t->encap, d->encap, sizeof(d->encap));

	old = atomic_exchange(&d->tables, t);
	atomic_fetch_add(&d->epoch, 1);
	d->old_tables[d->n_old_tables++] = old;
	return 0;
}

int dpu_commit(struct dpu *d)
{
	if (d->dirty) {
		if (publish(d) != 0)
			return -ENOMEM;	/* still dirty: the next commit tries again */
		d->dirty = false;
		/* New sockets: workers must poll them now, not in DPU_POLL_MS. */
		if (d->kick)
			for (unsigned i = 0; i < d->n_workers; i++)
				dpu_worker_kick(d->w[i]);
		d->kick = false;
	}
	reclaim(d, d->n_retired > 0, true);
	return 0;
}

/* ---- SAs, policies, routes ---------------------------------------------- */

int dpu_sa_add(struct dpu *d, const struct esp_sa_params *p, const uint8_t *key,
	       size_t keylen, char *err, size_t errlen)
{
	struct esp_sa_params q = *p;
	struct dpu_sa_node *n;
	const char *why;
	size_t b;

	if (find_sa(d, p->dir, p->spi, &p->dst)) {
		set_err(err, errlen, "%s", "an SA with this direction, SPI and destination exists");
		return -1;
	}
	if (d->n_sas == d->cap_sas) {
		unsigned nc = d->cap_sas ? 2 * d->cap_sas : 16;
		struct esp_sa **a = realloc(d->sas, nc * sizeof(*a));

		if (!a) {
			set_err(err, errlen, "%s", "out of memory");
			return -1;
		}
		d->sas = a;
		d->cap_sas = nc;
	}
	if (d->n_sas >= d->sa_buckets && index_grow(d) != 0) {
		set_err(err, errlen, "%s", "out of memory");
		return -1;
	}
	q.aead = aead_sodium_new(p->alg, key, keylen, &why);
	if (!q.aead) {
		set_err(err, errlen, "%s", why);
		return -1;
	}
	if (p->dir == ESP_DIR_OUT)
		randombytes_buf(q.iv_mask, sizeof(q.iv_mask));
	/* One block: the node, then the SA's selectors and replay ring. */
	n = calloc(1, sizeof(*n) + esp_sa_extra(&q));
	why = n ? esp_sa_init(&n->sa, &q, n + 1, esp_sa_extra(&q)) : "out of memory";
	if (why) {
		set_err(err, errlen, "%s", why);
		aead_sodium_free(q.aead);
		free(n);
		return -1;
	}
	n->idx = d->n_sas;
	d->sas[d->n_sas++] = &n->sa;
	b = sa_bucket(d, p->dir, p->spi);
	n->hnext = d->sa_hash[b];
	d->sa_hash[b] = n;
	d->dirty = true;
	return 0;
}

int dpu_sa_del(struct dpu *d, uint8_t dir, uint32_t spi, const struct esp_addr *dst)
{
	struct esp_sa *sa = find_sa(d, dir, spi, dst);
	struct dpu_sa_node *n, **pp;
	bool now = false;

	if (!sa)
		return -ENOENT;
	if (d->n_retired == d->cap_retired) {
		unsigned nc = d->cap_retired ? 2 * d->cap_retired : 16;
		struct esp_sa **a = realloc(d->retired, nc * sizeof(*a));

		if (a) {
			d->retired = a;
			d->cap_retired = nc;
		} else {
			now = true;	/* no room to defer: publish and wait below */
		}
	}
	n = node_of(sa);
	for (pp = &d->sa_hash[sa_bucket(d, dir, spi)]; *pp != n; pp = &(*pp)->hnext)
		;
	*pp = n->hnext;
	d->sas[n->idx] = d->sas[--d->n_sas];
	node_of(d->sas[n->idx])->idx = n->idx;
	/* Policies naming it find no SA (acquire) in the next snapshot; the
	 * workers may use it until then. */
	d->dirty = true;
	if (now) {
		while (dpu_commit(d) != 0) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
		synchronize(d, atomic_load(&d->epoch));
		free_sa(sa);
		return 0;
	}
	d->retired[d->n_retired++] = sa;
	return 0;
}

int dpu_sa_stats(struct dpu *d, uint8_t dir, uint32_t spi, const struct esp_addr *dst,
		 struct dpu_sa_stats *out)
{
	struct esp_sa *sa = find_sa(d, dir, spi, dst);

	if (!sa)
		return -ENOENT;
	out->bytes = esp_atomic64_read(&sa->st.bytes);
	out->packets = esp_atomic64_read(&sa->st.packets);
	for (unsigned i = 0; i < ESP_DROP__MAX; i++)
		out->drops[i] = esp_atomic64_read(&sa->st.drops[i]);
	return 0;
}

int dpu_policy_add(struct dpu *d, const struct esp_policy *pol, uint32_t sa_spi,
		   const struct esp_addr *sa_dst, char *err, size_t errlen)
{
	for (unsigned i = 0; i < d->n_pols; i++)
		if (d->pols[i].pol.id == pol->id) {
			set_err(err, errlen, "%s", "a policy with this id exists");
			return -1;
		}
	if (d->n_pols == d->cap_pols) {
		unsigned nc = d->cap_pols ? 2 * d->cap_pols : 16;
		struct dpu_policy_rec *n = realloc(d->pols, nc * sizeof(*n));

		if (!n) {
			set_err(err, errlen, "%s", "out of memory");
			return -1;
		}
		d->pols = n;
		d->cap_pols = nc;
	}
	d->pols[d->n_pols].pol = *pol;
	d->pols[d->n_pols].sa_spi = sa_spi;
	if (sa_dst)
		d->pols[d->n_pols].sa_dst = *sa_dst;
	else
		memset(&d->pols[d->n_pols].sa_dst, 0, sizeof(*sa_dst));
	d->n_pols++;
	d->dirty = true;
	return 0;
}

int dpu_policy_del(struct dpu *d, uint32_t id)
{
	for (unsigned i = 0; i < d->n_pols; i++)
		if (d->pols[i].pol.id == id) {
			memmove(&d->pols[i], &d->pols[i + 1], (d->n_pols - i - 1) * sizeof(d->pols[0]));
			d->n_pols--;
			d->dirty = true;
			return 0;
		}
	return -ENOENT;
}

int dpu_policy_update(struct dpu *d, const struct esp_policy *pol, uint32_t sa_spi,
		      const struct esp_addr *sa_dst, char *err, size_t errlen)
{
	for (unsigned i = 0; i < d->n_pols; i++)
		if (d->pols[i].pol.id == pol->id) {
			d->pols[i].pol = *pol;
			d->pols[i].sa_spi = sa_spi;
			if (sa_dst)
				d->pols[i].sa_dst = *sa_dst;
			else
				memset(&d->pols[i].sa_dst, 0, sizeof(*sa_dst));
			d->dirty = true;
			return 0;
		}
	set_err(err, errlen, "%s", "no policy with this id");
	return -1;
}

int dpu_route_add(struct dpu *d, uint8_t family, const uint8_t *net, unsigned plen,
		  const struct esp_addr *src, char *err, size_t errlen)
{
	int rc = rtnl_route(true, family, net, plen, d->cfg.table, d->ifindex,
			    src && src->family == family ? src->b : NULL);

	if (rc < 0)
		set_err(err, errlen, "route into %s refused: %s", d->tun_name, strerror(-rc));
	return rc;
}

int dpu_route_del(struct dpu *d, uint8_t family, const uint8_t *net, unsigned plen)
{
	return rtnl_route(false, family, net, plen, d->cfg.table, d->ifindex, NULL);
}

int dpu_encap_attach(struct dpu *d, int fd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1;
	struct dpu_encap *e;

	if (d->n_encap == DPU_ENCAP_MAX) {
		set_err(err, errlen, "%s", "too many encapsulation sockets");
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		set_err(err, errlen, "%s", "not a bound UDP socket");
		return -1;
	}
	e = &d->encap[d->n_encap];
	e->fd = fd;
	if (ss.ss_family == AF_INET) {
		e->family = ESP_AF_INET;
		e->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else {
		e->family = ESP_AF_INET6;
		e->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	/* Trains of ESP datagrams arrive as one (UDP GRO, Linux 5.0+); the
	 * workers cut them back. Without it, one datagram per read. */
	if (d->offload)
		setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	/* Marked: ESP and IKE to the peer use the main table, not the TUN. */
	if (dpu_socket_bypass(d, fd, err, errlen) != 0)
		return -1;
	{
		int sz = RAW_RCVBUF;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	}
	d->n_encap++;
	d->dirty = d->kick = true;
	if (dpu_commit(d) != 0) {
		d->n_encap--;
		set_err(err, errlen, "%s", "out of memory");
		return -1;
	}
	return 0;
}

int dpu_socket_bypass(struct dpu *d, int fd, char *err, size_t errlen)
{
	uint32_t mark = d->cfg.fwmark;

	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		set_err(err, errlen, "SO_MARK on a UDP socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- events -------------------------------------------------------------- */

void dpu_emit(struct dpu *d, const struct dpu_event *ev, const uint8_t *msg, uint32_t len)
{
	uint8_t *copy = NULL;
	uint64_t one = 1;
	bool queued = false;

	if (ev->kind == DPU_EV_ACQUIRE && !log_ratelimit_ok(&d->acquire_rl))
		return;
	if (msg) {
		copy = malloc(len ? len : 1);	/* IKE only: control traffic, not ESP */
		if (!copy) {
			atomic_fetch_add(&d->event_queue_full, 1);
			return;
		}
		memcpy(copy, msg, len);
	}
	pthread_mutex_lock(&d->ev_lock);
	if (d->ev_count < DPU_EVENT_QUEUE) {
		struct dpu_ev_slot *s = &d->ring[(d->ev_head + d->ev_count) % DPU_EVENT_QUEUE];

		s->ev = *ev;
		s->ev.len = len;
		s->msg = copy;
		d->ev_count++;
		queued = true;
	}
	pthread_mutex_unlock(&d->ev_lock);
	if (!queued) {
		free(copy);
		atomic_fetch_add(&d->event_queue_full, 1);
		return;
	}
	if (write(d->ev_fd, &one, sizeof(one)) < 0) {
		/* eventfd counter saturated: it is readable anyway */
	}
}

int dpu_event_fd(const struct dpu *d)
{
	return d->ev_fd;
}

bool dpu_event_next(struct dpu *d, struct dpu_event *ev)
{
	bool got = false;
	uint64_t v;

	free(d->ev_current);
	d->ev_current = NULL;
	pthread_mutex_lock(&d->ev_lock);
	if (d->ev_count) {
		struct dpu_ev_slot *s = &d->ring[d->ev_head];

		*ev = s->ev;
		ev->msg = s->msg;
		d->ev_current = s->msg;
		d->ev_head = (d->ev_head + 1) % DPU_EVENT_QUEUE;
		d->ev_count--;
		got = true;
	}
	pthread_mutex_unlock(&d->ev_lock);
	if (!got && read(d->ev_fd, &v, sizeof(v)) < 0) {
		/* nothing pending: EAGAIN */
	}
	return got;
}

/* ---- statistics ------------------------------------------------------------ */

void dpu_stats(struct dpu *d, struct dpu_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < d->n_workers; i++) {
		const struct dpu_wstats *s = dpu_worker_stats(d->w[i]);

		for (unsigned r = 0; r < ESP_DROP__MAX; r++)
			out->drops[r] += esp_atomic64_read(&s->esp.drops[r]);
		out->keepalives += esp_atomic64_read(&s->esp.keepalives);
		out->ike += esp_atomic64_read(&s->esp.ike);
		out->packets_in += esp_atomic64_read(&s->esp.packets_in);
		out->packets_out += esp_atomic64_read(&s->esp.packets_out);
		out->host.tun_read_errors += atomic_load(&s->tun_read_errors);
		out->host.tun_write_errors += atomic_load(&s->tun_write_errors);
		out->host.send_errors += atomic_load(&s->send_errors);
		out->host.no_socket += atomic_load(&s->no_socket);
		out->host.gso_segments += atomic_load(&s->gso_segments);
		out->host.gso_bad += atomic_load(&s->gso_bad);
	}
	out->host.event_queue_full = atomic_load(&d->event_queue_full);
}

/* ---- life cycle ------------------------------------------------------------ */

const char *dpu_tun_name(const struct dpu *d)
{
	return d->tun_name;
}

static int raw_socket(int family, uint32_t mark, char *err, size_t errlen)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
	int one = 1, sz = RAW_RCVBUF;

	if (fd < 0) {
		snprintf(err, errlen, "raw ESP socket (IPv%d): %s", family == AF_INET ? 4 : 6,
			 strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	return fd;
}

int dpu_open(const struct dpu_config *cfg, struct dpu **out, char *err, size_t errlen)
{
	struct dpu *d = calloc(1, sizeof(*d));
	const char *name;
	long ncpu;
	int fds[DPU_WORKERS_MAX], rc;
	unsigned i;

	*out = NULL;
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		free(d);
		return -1;
	}
	d->cfg = *cfg;
	if (!d->cfg.mtu)
		d->cfg.mtu = DPU_MTU_DEFAULT;
	if (!d->cfg.fwmark)
		d->cfg.fwmark = DPU_FWMARK_DEFAULT;
	if (!d->cfg.table)
		d->cfg.table = DPU_TABLE_DEFAULT;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	d->n_workers = cfg->workers ? cfg->workers : (ncpu > 0 ? (unsigned)ncpu : 1);
	if (d->n_workers > DPU_WORKERS_MAX)
		d->n_workers = DPU_WORKERS_MAX;
	d->offload = !cfg->no_offload;
	d->raw4 = d->raw6 = d->ev_fd = -1;
	pthread_mutex_init(&d->ev_lock, NULL);
	d->acquire_rl.interval_ms = 1000;
	d->acquire_rl.burst = ACQUIRE_PER_SEC;
	d->drop_rl.interval_ms = 1000;
	d->drop_rl.burst = 5;
	name = cfg->tun_name && *cfg->tun_name ? cfg->tun_name : "secgw%d";

	for (i = 0; i < d->n_workers; i++) {
		fds[i] = tun_open(i ? d->tun_name : name, true, d->offload, d->tun_name, &d->ifindex,
				  err, errlen);
		if (fds[i] < 0)
			goto fail_fds;
	}
	rc = rtnl_link_up(d->ifindex, d->cfg.mtu);
	if (rc < 0) {
		snprintf(err, errlen, "cannot bring %s up: %s", d->tun_name, strerror(-rc));
		goto fail_fds;
	}
	d->raw4 = raw_socket(AF_INET, d->cfg.fwmark, err, errlen);
	d->raw6 = raw_socket(AF_INET6, d->cfg.fwmark, err, errlen);
	d->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->raw4 < 0 || d->raw6 < 0 || d->ev_fd < 0)
		goto fail_fds;
	/* The rule may exist already (left by a run that died, or another
	 * instance in this namespace): then it is not ours to remove. */
	rc = rtnl_rule(true, 4, d->cfg.fwmark, d->cfg.table, DPU_RULE_PRIORITY);
	d->rule4 = rc == 0;
	if (rc == -EEXIST)
		rc = 0;
	if (rc == 0) {
		rc = rtnl_rule(true, 6, d->cfg.fwmark, d->cfg.table, DPU_RULE_PRIORITY);
		d->rule6 = rc == 0;
		if (rc == -EEXIST)
			rc = 0;
	}
	if (rc < 0) {
		snprintf(err, errlen, "cannot add the routing rule for table %u: %s", d->cfg.table,
			 strerror(-rc));
		goto fail_fds;
	}
	atomic_store(&d->tables, calloc(1, sizeof(struct dpu_tables)));
	if (!atomic_load(&d->tables)) {
		snprintf(err, errlen, "out of memory");
		goto fail_fds;
	}
	for (i = 0; i < d->n_workers; i++) {
		if (dpu_worker_start(d, i, fds[i], err, errlen) != 0) {
			for (unsigned k = i + 1; k < d->n_workers; k++)
				close(fds[k]);
			d->n_workers = i;
			dpu_close(d);
			return -1;
		}
	}
	*out = d;
	return 0;

fail_fds:
	for (unsigned k = 0; k < i; k++)
		close(fds[k]);
	d->n_workers = 0;
	dpu_close(d);
	return -1;
}

void dpu_close(struct dpu *d)
{
	struct dpu_event ev;

	if (!d)
		return;
	atomic_store(&d->stop, true);
	for (unsigned i = 0; i < d->n_workers; i++)
		dpu_worker_stop(d->w[i]);	/* closes its TUN queue: the last one removes the device */
	if (d->rule4)
		rtnl_rule(false, 4, d->cfg.fwmark, d->cfg.table, DPU_RULE_PRIORITY);
	if (d->rule6)
		rtnl_rule(false, 6, d->cfg.fwmark, d->cfg.table, DPU_RULE_PRIORITY);
	if (d->raw4 >= 0)
		close(d->raw4);
	if (d->raw6 >= 0)
		close(d->raw6);
	while (d->ev_fd >= 0 && dpu_event_next(d, &ev))
		;
	free(d->ev_current);
	if (d->ev_fd >= 0)
		close(d->ev_fd);
	/* The workers are gone: nothing is read any more. */
	for (unsigned i = 0; i < d->n_sas; i++)
		free_sa(d->sas[i]);
	for (unsigned i = 0; i < d->n_retired; i++)
		free_sa(d->retired[i]);
	for (unsigned i = 0; i < d->n_old_tables; i++)
		free(d->old_tables[i]);
	free(d->sas);
	free(d->retired);
	free(d->sa_hash);
	free(d->pols);
	free(atomic_load(&d->tables));
	pthread_mutex_destroy(&d->ev_lock);
	free(d);
}
