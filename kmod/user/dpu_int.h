/* SPDX-License-Identifier: MIT */
/* Internals shared by dpu.c (control) and worker.c (packet path). */
#ifndef SECGW_DPU_INT_H
#define SECGW_DPU_INT_H

#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>

#include "dpu.h"
#include "kmod/core/sad.h"
#include "log.h"

enum {
	DPU_RX_BATCH = 32,	/* datagrams per recvmmsg */
	DPU_TX_BATCH = 64,	/* segments per sendmmsg (one TSO packet fits) */
	DPU_SLOT = 2048,	/* one wire-sized packet with head- and tailroom */
	DPU_RX_SLOT = 65536 + 128,	/* a UDP GRO train of ESP datagrams */
	DPU_TUN_READ = 65536 + 256,	/* a TSO super-packet and its virtio header */
	DPU_TUN_READS = 16,	/* TUN reads per wake-up before polling again */
	DPU_POLL_MS = 500,
	DPU_OLD_TABLES_MAX = 64,	/* snapshots awaiting their grace period */
};

struct dpu_encap {
	int fd;
	uint8_t family;		/* ESP_AF_INET / ESP_AF_INET6 */
	uint16_t port;
};

/* What the packet path reads; immutable once published. */
struct dpu_tables {
	struct esp_sad sad;
	struct esp_spd spd;
	unsigned n_encap;
	struct dpu_encap encap[DPU_ENCAP_MAX];
};

/* Counters a worker owns; others read them relaxed. */
struct dpu_wstats {
	struct esp_stats esp;
	_Atomic uint64_t tun_read_errors, tun_write_errors, send_errors, no_socket;
	_Atomic uint64_t gso_segments, gso_bad;
};

struct dpu_worker;

/* An SA as the control side keeps it: indexed by (direction, SPI). */
struct dpu_sa_node {
	struct dpu_sa_node *hnext;
	unsigned idx;		/* in dpu.sas */
	struct esp_sa sa;
};

struct dpu_policy_rec {
	struct esp_policy pol;
	uint32_t sa_spi;
	struct esp_addr sa_dst;
};

struct dpu_ev_slot {
	struct dpu_event ev;
	uint8_t *msg;		/* IKE datagram copy (control path only) */
};

struct dpu {
	struct dpu_config cfg;
	char tun_name[IF_NAMESIZE];
	int ifindex;
	bool offload;
	int raw4, raw6;
	unsigned n_workers;
	struct dpu_worker *w[DPU_WORKERS_MAX];
	_Atomic(struct dpu_tables *) tables;
	_Atomic uint64_t epoch;
	atomic_bool stop;
	bool rule4, rule6;

	/* Control state, touched only by the control thread; published to the
	 * workers by dpu_commit. */
	struct esp_sa **sas;
	unsigned n_sas, cap_sas;
	struct dpu_sa_node **sa_hash;
	size_t sa_buckets;
	bool dirty, kick;
	/* Unreachable from the newest snapshot, freed after a grace period. */
	struct esp_sa **retired;
	unsigned n_retired, cap_retired;
	struct dpu_tables *old_tables[DPU_OLD_TABLES_MAX];
	unsigned n_old_tables;
	struct dpu_policy_rec *pols;
	unsigned n_pols, cap_pols;
	struct dpu_encap encap[DPU_ENCAP_MAX];
	unsigned n_encap;

	/* Events, from workers to the control thread. */
	pthread_mutex_t ev_lock;
	struct dpu_ev_slot ring[DPU_EVENT_QUEUE];
	unsigned ev_head, ev_count;
	uint8_t *ev_current;
	int ev_fd;
	_Atomic uint64_t event_queue_full;
	struct log_ratelimit acquire_rl, drop_rl;
};

/* worker.c */
int dpu_worker_start(struct dpu *d, unsigned idx, int tun_fd, char *err, size_t errlen);
void dpu_worker_stop(struct dpu_worker *w);
/* Wake it (new tables, stop). */
void dpu_worker_kick(struct dpu_worker *w);
/* QSBR: has the worker passed a quiescent point since epoch e? */
bool dpu_worker_quiescent(struct dpu_worker *w, uint64_t e);
const struct dpu_wstats *dpu_worker_stats(const struct dpu_worker *w);

/* dpu.c, called by workers: queue an event (IKE: msg copied). */
void dpu_emit(struct dpu *d, const struct dpu_event *ev, const uint8_t *msg, uint32_t len);

/* tun.c */
int tun_open(const char *name, bool multi, bool vnet, char *actual, int *ifindex,
	     char *err, size_t errlen);

#endif
