// SPDX-License-Identifier: MIT
/*
 * What a CHILD SA puts into the datapath besides its two SAs, shared by
 * manual keying and IKE: an outbound policy for every (local, remote)
 * selector pair of one family, and routes into the datapath for the remote
 * selectors (shared between children by reference count). Also the SA
 * counters as list-sas shows them.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iked.h"

/* ---- shared routes ------------------------------------------------------------ */

static bool route_eq(const struct dp_route *a, const struct dp_route *b)
{
	return a->family == b->family && a->plen == b->plen && memcmp(a->net, b->net, 16) == 0;
}

int iked_route_ref(struct iked *k, const struct dp_route *r, char *err, size_t errlen)
{
	for (unsigned i = 0; i < k->n_routes; i++)
		if (route_eq(&k->routes[i].r, r)) {
			k->routes[i].refs++;
			return 0;
		}
	if (k->n_routes == k->cap_routes) {
		unsigned nc = k->cap_routes ? 2 * k->cap_routes : 16;
		struct iked_route *n = realloc(k->routes, nc * sizeof(*n));

		if (!n) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		k->routes = n;
		k->cap_routes = nc;
	}
	if (dp_route_add(k->dp, r, err, errlen) != 0)
		return -1;
	k->routes[k->n_routes].r = *r;
	k->routes[k->n_routes++].refs = 1;
	return 0;
}

void iked_route_unref(struct iked *k, const struct dp_route *r)
{
	for (unsigned i = 0; i < k->n_routes; i++)
		if (route_eq(&k->routes[i].r, r)) {
			if (--k->routes[i].refs == 0) {
				dp_route_del(k->dp, &k->routes[i].r);
				k->routes[i] = k->routes[--k->n_routes];
			}
			return;
		}
}

/* ---- selectors as prefixes ------------------------------------------------------- */

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

/*
 * The host's addresses. Asking the kernel (getifaddrs: a netlink dump of
 * every link and address) for each CHILD SA cost more than the rest of
 * installing it, so the list is kept, and a netlink socket subscribed to
 * address events says when it is stale. The socket is drained at every
 * lookup, without waiting: the kernel queues an event before the change
 * it reports returns to whoever made it, so a change made before a lookup
 * is always seen by it. Without the socket, every lookup asks.
 */
void iked_addrs_forget(struct iked *k)
{
	if (k->ifa_fd >= 0)
		close(k->ifa_fd);
	k->ifa_fd = -1;
	free(k->ifa);
	k->ifa = NULL;
	k->n_ifa = 0;
	k->ifa_valid = false;
}

static void addrs_watch(struct iked *k)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	k->ifa_fd = fd;
}

/* Did the kernel report an address change since the last call? */
static bool addrs_changed(struct iked *k)
{
	char buf[8192];
	bool changed = false;

	for (;;) {
		ssize_t n = recv(k->ifa_fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0 || (n < 0 && errno == ENOBUFS))
			changed = true;		/* an event, or events lost */
		else if (!(n < 0 && errno == EINTR))
			return changed;		/* EAGAIN: nothing more */
	}
}

static int addrs_load(struct iked *k)
{
	struct ifaddrs *ifa, *i;
	unsigned n = 0;

	k->ifa_valid = false;
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i; i = i->ifa_next)
		n += i->ifa_addr && (i->ifa_addr->sa_family == AF_INET ||
				     i->ifa_addr->sa_family == AF_INET6);
	free(k->ifa);
	k->n_ifa = 0;
	k->ifa = calloc(n ? n : 1, sizeof(*k->ifa));
	if (!k->ifa) {
		freeifaddrs(ifa);
		return -1;
	}
	for (i = ifa; i; i = i->ifa_next) {
		struct ip_addr *a = &k->ifa[k->n_ifa];

		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			a->family = IPF_V4;
			memcpy(a->b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a->family = IPF_V6;
			memcpy(a->b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		k->n_ifa++;
	}
	freeifaddrs(ifa);
	k->ifa_valid = true;
	return 0;
}

/* A local address inside one of the selectors, to be the source of packets
 * routed into the tunnel (otherwise the kernel picks one the peer's
 * selectors refuse). */
static bool local_addr_in(struct iked *k, const struct ts *t, unsigned n, uint8_t family,
			  struct ip_addr *out)
{
	unsigned len = ip_family_len(family);

	if (k->ifa_fd < 0)
		addrs_watch(k);		/* before the first load: no change is missed */
	if ((k->ifa_fd < 0 || addrs_changed(k) || !k->ifa_valid) && addrs_load(k) < 0)
		return false;
	for (unsigned a = 0; a < k->n_ifa; a++) {
		if (k->ifa[a].family != family)
			continue;
		for (unsigned j = 0; j < n; j++)
			if (t[j].family == family && memcmp(t[j].lo, k->ifa[a].b, len) <= 0 &&
			    memcmp(k->ifa[a].b, t[j].hi, len) <= 0) {
				*out = k->ifa[a];
				return true;
			}
	}
	return false;
}

/* ---- one child's policies and routes ---------------------------------------------- */

void iked_spd_del(struct iked *k, struct iked_spd *s)
{
	for (unsigned i = 0; i < s->n_pols; i++)
		dp_policy_del(k->dp, s->pols[i]);
	for (unsigned i = 0; i < s->n_routes; i++)
		iked_route_unref(k, &s->routes[i]);
	free(s->pols);
	free(s->routes);
	memset(s, 0, sizeof(*s));
}

int iked_spd_add(struct iked *k, struct iked_spd *s, bool transport, const struct ip_addr *local,
		 const struct ts *lts, unsigned nl, const struct ts *rts, unsigned nr,
		 const struct dp_sa_key *out, char *err, size_t errlen)
{
	struct dp_route r[IKED_ROUTES_PER_TS];
	char e2[160];
	unsigned n_routes = 0;

	memset(s, 0, sizeof(*s));
	s->pols = calloc((size_t)nl * nr, sizeof(*s->pols));
	/* Sized exactly (many children may be up at once): count first. */
	for (unsigned j = 0; j < nr; j++) {
		int n = range_prefixes(rts[j].family, rts[j].lo, rts[j].hi, r, IKED_ROUTES_PER_TS);

		if (n < 0) {
			snprintf(err, errlen, "remote_ts[%u] needs more than %d routes: use a prefix", j,
				 IKED_ROUTES_PER_TS);
			goto fail;
		}
		n_routes += (unsigned)n;
	}
	s->routes = calloc(n_routes ? n_routes : 1, sizeof(*s->routes));
	if (!s->pols || !s->routes) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < nl; i++)
		for (unsigned j = 0; j < nr; j++) {
			struct dp_policy p;

			if (lts[i].family != rts[j].family)
				continue;
			memset(&p, 0, sizeof(p));
			p.id = iked_policy_id(k);
			p.action = DP_PROTECT;
			p.src = lts[i];
			p.dst = rts[j];
			p.sa = *out;
			if (dp_policy_add(k->dp, &p, e2, sizeof(e2)) != 0) {
				snprintf(err, errlen, "policy: %s", e2);
				goto fail;
			}
			s->pols[s->n_pols++] = p.id;
		}
	for (unsigned j = 0; j < nr; j++) {
		struct ip_addr src;
		int n = range_prefixes(rts[j].family, rts[j].lo, rts[j].hi, r, IKED_ROUTES_PER_TS);
		bool have_src = false;

		if (transport && local->family == rts[j].family) {
			src = *local;
			have_src = true;
		} else {
			have_src = local_addr_in(k, lts, nl, rts[j].family, &src);
		}
		for (int x = 0; x < n; x++) {
			if (have_src)
				r[x].src = src;
			r[x].peer = out->dst;
			if (iked_route_ref(k, &r[x], e2, sizeof(e2)) != 0) {
				snprintf(err, errlen, "%s", e2);
				goto fail;
			}
			s->routes[s->n_routes++] = r[x];
		}
	}
	return 0;
fail:
	iked_spd_del(k, s);
	return -1;
}

int iked_spd_repoint(struct iked *k, struct iked_spd *s, const struct ts *lts, unsigned nl,
		     const struct ts *rts, unsigned nr, const struct dp_sa_key *out, char *err,
		     size_t errlen)
{
	unsigned n = 0;

	/* The same walk as iked_spd_add, so the ids line up with the pairs. */
	for (unsigned i = 0; i < nl; i++)
		for (unsigned j = 0; j < nr; j++) {
			struct dp_policy p;

			if (lts[i].family != rts[j].family)
				continue;
			if (n == s->n_pols) {
				snprintf(err, errlen, "selectors differ from the installed policies");
				return -1;
			}
			memset(&p, 0, sizeof(p));
			p.id = s->pols[n++];
			p.action = DP_PROTECT;
			p.src = lts[i];
			p.dst = rts[j];
			p.sa = *out;
			if (dp_policy_update(k->dp, &p, err, errlen) != 0)
				return -1;
		}
	return 0;
}

/* ---- counters ------------------------------------------------------------------- */

void iked_sa_counters(struct iked *k, const struct dp_sa_key *in, const struct dp_sa_key *out,
		      json_t *o)
{
	struct dp_sa_stats si, so;
	json_t *drops = json_object();

	memset(&si, 0, sizeof(si));
	memset(&so, 0, sizeof(so));
	if (in)
		dp_sa_stats(k->dp, in, &si);
	if (out)
		dp_sa_stats(k->dp, out, &so);
	for (unsigned r = 1; r < ESP_DROP__MAX; r++)
		json_object_set_new(drops, esp_drop_name(r), json_integer((json_int_t)(si.drops[r] + so.drops[r])));
	json_object_set_new(o, "bytes_in", json_integer((json_int_t)si.bytes));
	json_object_set_new(o, "bytes_out", json_integer((json_int_t)so.bytes));
	json_object_set_new(o, "packets_in", json_integer((json_int_t)si.packets));
	json_object_set_new(o, "packets_out", json_integer((json_int_t)so.packets));
	json_object_set_new(o, "drops", drops);
}
