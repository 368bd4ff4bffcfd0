// SPDX-License-Identifier: MIT
/*
 * The packet path of the userspace datapath. One thread per worker, each
 * with its own TUN queue (plaintext out of the host) and a share of the
 * ciphertext sockets (ESP into the host): batched reads, the ESP core, one
 * sendmmsg per batch. No lock and no allocation per packet: tables are read
 * from the published snapshot under QSBR, buffers are the worker's own.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dpu_int.h"
#include "gso.h"

enum {
	RX_HEAD = 64,			/* room to push a rebuilt IP header and the virtio header */
	TX_HEAD = ESP_HEADROOM,
	CMSG_LEN_MAX = 64,
	POLL_MAX = 2 + 2 + DPU_ENCAP_MAX,
	SEND_RETRY_MS = 20,
	UDP_GSO_SEGS = 64,		/* UDP_MAX_SEGMENTS of older kernels */
	UDP_GSO_BYTES = 65000,
};

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

enum rx_kind { RX_RAW4, RX_RAW6, RX_UDP };

struct dpu_worker {
	struct dpu *d;
	unsigned idx;
	pthread_t th;
	int tun, wake;
	_Atomic uint64_t seen;		/* epoch last observed; UINT64_MAX while blocked */
	struct dpu_wstats st;

	struct mmsghdr rmsg[DPU_RX_BATCH];
	struct iovec riov[DPU_RX_BATCH];
	struct sockaddr_storage rname[DPU_RX_BATCH];
	_Alignas(struct cmsghdr) uint8_t rcmsg[DPU_RX_BATCH][CMSG_LEN_MAX];
	uint8_t rbuf[DPU_RX_BATCH][DPU_RX_SLOT];

	uint8_t tunbuf[DPU_TUN_READ];
	uint8_t tbuf[DPU_TX_BATCH][DPU_SLOT];
	uint8_t *seg[DPU_TX_BATCH];
	uint32_t seglen[DPU_TX_BATCH];
	struct mmsghdr smsg[DPU_TX_BATCH];
	struct iovec siov[DPU_TX_BATCH];
	struct sockaddr_storage sname[DPU_TX_BATCH];
	_Alignas(struct cmsghdr) uint8_t scmsg[DPU_TX_BATCH][CMSG_LEN_MAX];
	unsigned n_pending, n_used, n_iov;
	int pending_fd;
	/* The open UDP GSO train: the last message, its SA and segment size. */
	const struct esp_sa *train_sa;
	uint32_t train_seg, train_bytes;
	unsigned train_n;
	bool train_open;

	struct gro gro;
	uint8_t grobuf[GSO_HDR_LEN + GRO_MAX];
};

const struct dpu_wstats *dpu_worker_stats(const struct dpu_worker *w)
{
	return &w->st;
}

bool dpu_worker_quiescent(struct dpu_worker *w, uint64_t e)
{
	return atomic_load(&w->seen) >= e;
}

void dpu_worker_kick(struct dpu_worker *w)
{
	uint64_t one = 1;

	if (write(w->wake, &one, sizeof(one)) < 0) {
		/* saturated: already readable */
	}
}

static void emit_sa_events(struct dpu *d, const struct esp_sa *sa, uint32_t ev)
{
	struct dpu_event e;

	if (!ev)
		return;
	memset(&e, 0, sizeof(e));
	e.dir = sa->p.dir;
	e.spi = sa->p.spi;
	e.dst = sa->p.dst;
	e.seq_exhausted = ev & ESP_EV_SEQ_EXHAUSTED;
	if (ev & ESP_EV_SOFT_EXPIRE) {
		e.kind = DPU_EV_SOFT_EXPIRE;
		dpu_emit(d, &e, NULL, 0);
	}
	if (ev & ESP_EV_HARD_EXPIRE) {
		e.kind = DPU_EV_HARD_EXPIRE;
		dpu_emit(d, &e, NULL, 0);
	}
}

/* ---- sending ---------------------------------------------------------------- */

static void flush(struct dpu_worker *w)
{
	unsigned done = 0;

	while (done < w->n_pending) {
		int n = sendmmsg(w->pending_fd, w->smsg + done, w->n_pending - done, 0);

		if (n > 0) {
			done += (unsigned)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			/* Socket buffer full: wait a little for room rather than
			 * drop a whole batch of a TCP flow. */
			struct pollfd p = { .fd = w->pending_fd, .events = POLLOUT };

			if (poll(&p, 1, SEND_RETRY_MS) > 0)
				continue;
		} else if (n < 0 && errno == EINTR) {
			continue;
		}
		/* Unreachable peer, no route, …: count the datagram, go on. */
		atomic_fetch_add(&w->st.send_errors, 1);
		done++;
	}
	w->n_pending = 0;
	w->n_iov = 0;
	w->train_open = false;
}

/*
 * Send everything and free every slot. Only from_tun may call this, between
 * packets: a flush inside queue_send (the socket changed, the batch is
 * full) leaves the slots allocated, since the packet being queued, and the
 * rest of its TSO train, still live in them.
 */
static void flush_all(struct dpu_worker *w)
{
	if (w->n_pending)
		flush(w);
	w->n_used = 0;
}

static int socket_for(struct dpu_worker *w, const struct dpu_tables *t, const struct esp_sa *sa)
{
	if (!sa->p.encap_dport)
		return sa->p.dst.family == ESP_AF_INET ? w->d->raw4 : w->d->raw6;
	for (unsigned i = 0; i < t->n_encap; i++)
		if (t->encap[i].family == sa->p.dst.family && t->encap[i].port == sa->p.encap_sport)
			return t->encap[i].fd;
	return -1;
}

/*
 * Queue the ESP packet in b for sa's peer. ESP in UDP of one SA goes out as
 * UDP GSO trains (UDP_SEGMENT): equal-sized datagrams in one message, cut by
 * the kernel after one pass through the stack — the send-side twin of TSO.
 */
static void queue_send(struct dpu_worker *w, int fd, const struct esp_sa *sa, struct esp_buf *b)
{
	unsigned i;
	struct msghdr *m;
	struct cmsghdr *c;
	bool udp = sa->p.encap_dport != 0;

	if (w->n_pending && fd != w->pending_fd)
		flush(w);
	if (udp && w->train_open && w->train_sa == sa && b->len <= w->train_seg &&
	    w->train_n < UDP_GSO_SEGS && w->train_bytes + b->len <= UDP_GSO_BYTES) {
		m = &w->smsg[w->n_pending - 1].msg_hdr;
		w->siov[w->n_iov].iov_base = esp_buf_data(b);
		w->siov[w->n_iov].iov_len = b->len;
		w->n_iov++;
		m->msg_iovlen++;
		w->train_n++;
		w->train_bytes += b->len;
		if (b->len < w->train_seg)
			w->train_open = false;	/* only the last may be shorter */
		if (w->n_iov == DPU_TX_BATCH)
			flush(w);
		return;
	}
	i = w->n_pending++;
	w->pending_fd = fd;
	m = &w->smsg[i].msg_hdr;
	memset(m, 0, sizeof(*m));
	w->siov[w->n_iov].iov_base = esp_buf_data(b);
	w->siov[w->n_iov].iov_len = b->len;
	m->msg_iov = &w->siov[w->n_iov++];
	m->msg_iovlen = 1;
	m->msg_name = &w->sname[i];
	m->msg_control = w->scmsg[i];
	m->msg_controllen = CMSG_LEN_MAX;
	c = CMSG_FIRSTHDR(m);
	if (sa->p.dst.family == ESP_AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&w->sname[i];
		struct in_pktinfo pi;

		memset(s, 0, sizeof(*s));
		s->sin_family = AF_INET;
		s->sin_port = htons(sa->p.encap_dport);
		memcpy(&s->sin_addr, sa->p.dst.b, 4);
		m->msg_namelen = sizeof(*s);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, sa->p.src.b, 4);
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		m->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&w->sname[i];
		struct in6_pktinfo pi;

		memset(s, 0, sizeof(*s));
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(sa->p.encap_dport);
		memcpy(&s->sin6_addr, sa->p.dst.b, 16);
		m->msg_namelen = sizeof(*s);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi6_addr, sa->p.src.b, 16);
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		m->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	w->train_open = false;
	if (udp && w->d->offload) {
		uint16_t seg = (uint16_t)b->len;
		size_t used = m->msg_controllen;

		c = (struct cmsghdr *)((uint8_t *)m->msg_control + used);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		m->msg_controllen = used + CMSG_SPACE(sizeof(seg));
		w->train_open = true;
		w->train_sa = sa;
		w->train_seg = b->len;
		w->train_bytes = b->len;
		w->train_n = 1;
	}
	if (w->n_pending == DPU_TX_BATCH || w->n_iov == DPU_TX_BATCH)
		flush(w);
}

static void count_drop(struct dpu_worker *w, enum esp_drop why)
{
	esp_count(&w->st.esp.drops[why], 1);
}

/* One plaintext packet in slot k (at TX_HEAD, len bytes): policy, ESP, queue. */
static void protect(struct dpu_worker *w, const struct dpu_tables *t, uint8_t *slot, uint32_t len)
{
	struct esp_buf b;
	struct esp_tuple tp;
	const struct esp_policy *pol;
	enum esp_drop why;
	uint32_t ev;
	int fd;

	esp_buf_init(&b, slot, DPU_SLOT, TX_HEAD);
	b.len = len;
	why = esp_tuple_parse(esp_buf_data(&b), len, &tp);
	if (why) {
		count_drop(w, why);
		return;
	}
	pol = esp_spd_lookup(&t->spd, &tp);
	if (!pol) {
		count_drop(w, ESP_DROP_NO_POLICY);
		return;
	}
	if (pol->action != ESP_POLICY_PROTECT) {
		/* Bypass cannot be honoured here: the packet came through the
		 * TUN, so the plain route points back at us. */
		count_drop(w, ESP_DROP_POLICY);
		return;
	}
	if (!pol->sa) {
		struct dpu_event e;

		memset(&e, 0, sizeof(e));
		e.kind = DPU_EV_ACQUIRE;
		e.policy_id = pol->id;
		dpu_emit(w->d, &e, NULL, 0);
		count_drop(w, ESP_DROP_NO_SA);
		return;
	}
	why = esp_output(pol->sa, &b, &w->st.esp, &ev);
	emit_sa_events(w->d, pol->sa, ev);
	if (why)
		return;	/* counted by the core */
	fd = socket_for(w, t, pol->sa);
	if (fd < 0) {
		atomic_fetch_add(&w->st.no_socket, 1);
		return;
	}
	queue_send(w, fd, pol->sa, &b);
}

static void from_tun(struct dpu_worker *w, const struct dpu_tables *t)
{
	bool vnet = w->d->offload;

	for (unsigned r = 0; r < DPU_TUN_READS; r++) {
		ssize_t n = read(w->tun, w->tunbuf, sizeof(w->tunbuf));
		struct virtio_net_hdr h;
		const uint8_t *pkt = w->tunbuf;
		uint32_t len;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				atomic_fetch_add(&w->st.tun_read_errors, 1);
			break;
		}
		len = (uint32_t)n;
		memset(&h, 0, sizeof(h));
		if (vnet) {
			if (len < GSO_HDR_LEN) {
				atomic_fetch_add(&w->st.tun_read_errors, 1);
				continue;
			}
			memcpy(&h, w->tunbuf, GSO_HDR_LEN);
			pkt += GSO_HDR_LEN;
			len -= GSO_HDR_LEN;
		}
		if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			int segs;

			/* Every segment needs a slot until the batch is sent. */
			if (h.gso_size && w->n_used + len / h.gso_size + 1 > DPU_TX_BATCH)
				flush_all(w);
			for (unsigned k = 0; k < DPU_TX_BATCH - w->n_used; k++)
				w->seg[k] = w->tbuf[w->n_used + k] + TX_HEAD;
			segs = gso_segment(&h, pkt, len, w->seg,
					   DPU_SLOT - TX_HEAD - ESP_TAILROOM,
					   w->seglen, DPU_TX_BATCH - w->n_used);
			if (segs < 0) {
				atomic_fetch_add(&w->st.gso_bad, 1);
				continue;
			}
			atomic_fetch_add(&w->st.gso_segments, (uint64_t)segs);
			for (int k = 0; k < segs; k++) {
				uint8_t *slot = w->tbuf[w->n_used++];

				protect(w, t, slot, w->seglen[k]);
			}
		} else {
			uint8_t *slot;

			if (len > DPU_SLOT - TX_HEAD - ESP_TAILROOM) {
				atomic_fetch_add(&w->st.gso_bad, 1);
				continue;
			}
			if (w->n_used == DPU_TX_BATCH)
				flush_all(w);
			slot = w->tbuf[w->n_used++];
			memcpy(slot + TX_HEAD, pkt, len);
			if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
			    gso_csum(slot + TX_HEAD, len, h.csum_start, h.csum_offset) != 0) {
				atomic_fetch_add(&w->st.gso_bad, 1);
				continue;
			}
			protect(w, t, slot, len);
		}
	}
	flush_all(w);
}

/* ---- receiving ------------------------------------------------------------- */

static void write_tun(struct dpu_worker *w, const uint8_t *p, uint32_t len)
{
	if (write(w->tun, p, len) < 0)
		atomic_fetch_add(&w->st.tun_write_errors, 1);
}

static void gro_flush(struct dpu_worker *w)
{
	uint32_t n = gro_finish(&w->gro);

	if (n)
		write_tun(w, w->gro.buf, n);
}

/* A decrypted packet into the TUN: joined with its predecessors when it
 * continues their TCP train, so the stack sees one packet per train. */
static void to_tun(struct dpu_worker *w, struct esp_buf *b)
{
	uint8_t *h;

	if (w->d->offload) {
		if (gro_add(&w->gro, esp_buf_data(b), b->len))
			return;
		gro_flush(w);
		if (gro_add(&w->gro, esp_buf_data(b), b->len))
			return;
		h = esp_buf_push(b, GSO_HDR_LEN);
		if (!h) {
			atomic_fetch_add(&w->st.tun_write_errors, 1);
			return;
		}
		memset(h, 0, GSO_HDR_LEN);
		h[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	write_tun(w, esp_buf_data(b), b->len);
}

static void addr_from(const struct sockaddr_storage *ss, struct esp_addr *a, uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		a->family = ESP_AF_INET;
		memcpy(a->b, &s->sin_addr, 4);
		*port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		a->family = ESP_AF_INET6;
		memcpy(a->b, &s->sin6_addr, 16);
		*port = ntohs(s->sin6_port);
	}
}

static void dst_from_cmsg(struct msghdr *m, struct esp_addr *a)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a->family = ESP_AF_INET;
			memcpy(a->b, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			a->family = ESP_AF_INET6;
			memcpy(a->b, &pi.ipi6_addr, 16);
		}
	}
}

static void log_drop(struct dpu_worker *w, const struct esp_rx *rx, const struct esp_rx_meta *m)
{
	uint32_t n;

	/* Dummy packets are dropped silently by design (RFC 4303 §2.6). */
	if (rx->drop == ESP_DROP_DUMMY)
		return;
	n = log_ratelimit_ok(&w->d->drop_rl);
	if (n)
		log_info("esp: dropped an inbound packet (%s) SPI %08x%s; %u drops logged as one",
			 esp_drop_name(rx->drop), rx->sa ? rx->sa->p.spi : 0,
			 m && m->udp ? " in UDP" : "", n);
}

/* One datagram (or one segment of a UDP GRO train) in b. */
static void rx_one(struct dpu_worker *w, const struct dpu_tables *t, int fd, enum rx_kind kind,
		   struct esp_buf *b, const struct esp_rx_meta *meta, const struct sockaddr_storage *from)
{
	struct esp_rx rx;
	enum esp_verdict v;

	if (kind == RX_RAW4)
		v = esp_input_ip(&t->sad, b, 0, &w->st.esp, &rx);
	else if (kind == RX_UDP)
		v = esp_input_udp(&t->sad, b, meta, &w->st.esp, &rx);
	else
		v = esp_input_esp(&t->sad, b, meta, &w->st.esp, &rx);
	if (rx.sa)
		emit_sa_events(w->d, rx.sa, rx.events);
	switch (v) {
	case ESP_RX_PACKET:
		to_tun(w, b);
		break;
	case ESP_RX_IKE: {
		struct dpu_event e;
		socklen_t sl = sizeof(e.to);

		memset(&e, 0, sizeof(e));
		e.kind = DPU_EV_IKE;
		e.fd = fd;
		memcpy(&e.from, from, sizeof(e.from));
		getsockname(fd, (struct sockaddr *)&e.to, &sl);
		if (meta->dst.family == ESP_AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)&e.to;

			memcpy(&s->sin_addr, meta->dst.b, 4);
		} else if (meta->dst.family == ESP_AF_INET6) {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)&e.to;

			memcpy(&s->sin6_addr, meta->dst.b, 16);
		}
		/* Hand over the datagram as read, marker included. */
		esp_buf_push(b, ESP_NON_ESP_MARKER_LEN);
		dpu_emit(w->d, &e, esp_buf_data(b), b->len);
		break;
	}
	case ESP_RX_KEEPALIVE:
		break;
	case ESP_RX_DROP:
		log_drop(w, &rx, kind == RX_RAW4 ? NULL : meta);
		break;
	}
}

/* The segment size of a UDP GRO train (0: a single datagram). */
static uint32_t gro_size_from_cmsg(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (uint32_t)v : 0;
		}
	return 0;
}

static void from_socket(struct dpu_worker *w, const struct dpu_tables *t, int fd, enum rx_kind kind,
			uint16_t port)
{
	int n;

	for (unsigned i = 0; i < DPU_RX_BATCH; i++) {
		struct msghdr *m = &w->rmsg[i].msg_hdr;

		memset(m, 0, sizeof(*m));
		w->riov[i].iov_base = w->rbuf[i] + RX_HEAD;
		w->riov[i].iov_len = DPU_RX_SLOT - RX_HEAD;
		m->msg_iov = &w->riov[i];
		m->msg_iovlen = 1;
		m->msg_name = &w->rname[i];
		m->msg_namelen = sizeof(w->rname[i]);
		m->msg_control = w->rcmsg[i];
		m->msg_controllen = CMSG_LEN_MAX;
	}
	n = recvmmsg(fd, w->rmsg, DPU_RX_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		struct msghdr *m = &w->rmsg[i].msg_hdr;
		uint32_t len = w->rmsg[i].msg_len, seg = len, off;
		struct esp_rx_meta meta;

		if (m->msg_flags & MSG_TRUNC) {
			count_drop(w, ESP_DROP_MALFORMED);
			continue;
		}
		memset(&meta, 0, sizeof(meta));
		if (kind != RX_RAW4) {
			addr_from(&w->rname[i], &meta.src, &meta.sport);
			dst_from_cmsg(m, &meta.dst);
		}
		if (kind == RX_UDP) {
			meta.udp = true;
			meta.dport = port;
			seg = gro_size_from_cmsg(m);
			if (!seg || seg > len)
				seg = len;
		}
		/* A UDP GRO train is cut back into its datagrams in place: each
		 * segment may push headers into the one before it, which is
		 * done with by then. */
		for (off = 0; off < len || (len == 0 && off == 0); off += seg) {
			struct esp_buf b;

			esp_buf_init(&b, w->rbuf[i], DPU_RX_SLOT, RX_HEAD + off);
			b.len = len - off < seg ? len - off : seg;
			rx_one(w, t, fd, kind, &b, &meta, &w->rname[i]);
			if (len == 0)
				break;
		}
	}
	gro_flush(w);
}

/* ---- the loop -------------------------------------------------------------- */

static void *run(void *arg)
{
	struct dpu_worker *w = arg;
	struct dpu *d = w->d;

	while (!atomic_load(&d->stop)) {
		struct pollfd pf[POLL_MAX];
		enum rx_kind kind[POLL_MAX];
		uint16_t port[POLL_MAX];
		unsigned np = 0, rx_index = 0;
		struct dpu_tables *t = atomic_load(&d->tables);

		pf[np++] = (struct pollfd){ .fd = w->wake, .events = POLLIN };
		pf[np++] = (struct pollfd){ .fd = w->tun, .events = POLLIN };
		/* Ciphertext sockets are shared out among workers, each to one
		 * worker: a flow is then decrypted in order. */
		for (unsigned i = 0; i < 2 + t->n_encap; i++, rx_index++) {
			if (rx_index % d->n_workers != w->idx)
				continue;
			if (i == 0) {
				kind[np] = RX_RAW4;
				pf[np] = (struct pollfd){ .fd = d->raw4, .events = POLLIN };
			} else if (i == 1) {
				kind[np] = RX_RAW6;
				pf[np] = (struct pollfd){ .fd = d->raw6, .events = POLLIN };
			} else {
				kind[np] = RX_UDP;
				port[np] = t->encap[i - 2].port;
				pf[np] = (struct pollfd){ .fd = t->encap[i - 2].fd, .events = POLLIN };
			}
			np++;
		}
		/* Offline while blocked: a writer need not wait for us. */
		atomic_store(&w->seen, UINT64_MAX);
		if (poll(pf, np, DPU_POLL_MS) < 0 && errno != EINTR)
			break;
		atomic_store(&w->seen, atomic_load(&d->epoch));
		t = atomic_load(&d->tables);
		if (pf[0].revents & POLLIN) {
			uint64_t v;

			if (read(w->wake, &v, sizeof(v)) < 0) {
				/* spurious */
			}
		}
		if (atomic_load(&d->stop))
			break;
		if (pf[1].revents & POLLIN)
			from_tun(w, t);
		for (unsigned i = 2; i < np; i++)
			if (pf[i].revents & POLLIN)
				from_socket(w, t, pf[i].fd, kind[i], port[i]);
	}
	atomic_store(&w->seen, UINT64_MAX);
	return NULL;
}

int dpu_worker_start(struct dpu *d, unsigned idx, int tun_fd, char *err, size_t errlen)
{
	struct dpu_worker *w = calloc(1, sizeof(*w));
	int rc;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		close(tun_fd);
		return -1;
	}
	w->d = d;
	w->idx = idx;
	w->tun = tun_fd;
	w->gro.buf = w->grobuf;
	w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	atomic_store(&w->seen, UINT64_MAX);
	if (w->wake < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		close(tun_fd);
		free(w);
		return -1;
	}
	d->w[idx] = w;
	rc = pthread_create(&w->th, NULL, run, w);
	if (rc) {
		snprintf(err, errlen, "cannot start a worker thread: %s", strerror(rc));
		d->w[idx] = NULL;
		close(w->wake);
		close(tun_fd);
		free(w);
		return -1;
	}
	return 0;
}

void dpu_worker_stop(struct dpu_worker *w)
{
	if (!w)
		return;
	dpu_worker_kick(w);
	pthread_join(w->th, NULL);
	close(w->tun);
	close(w->wake);
	free(w);
}
