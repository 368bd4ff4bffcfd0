/* SPDX-License-Identifier: MIT */
/*
 * TUN offloads (IFF_VNET_HDR): the kernel hands us TCP super-packets of up
 * to 64 KiB (TSO) and packets whose checksum it left for us to finish
 * (CHECKSUM_PARTIAL). Taking one read per 40-odd segments is the main
 * throughput lever of a userspace datapath; this file cuts such packets
 * into wire-sized segments with complete checksums. Every offset in the
 * virtio header is checked against the packet before it is used.
 */
#ifndef SECGW_GSO_H
#define SECGW_GSO_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stdint.h>

enum { GSO_HDR_LEN = sizeof(struct virtio_net_hdr) };

/* Finish a partial checksum at start+off over p[start..len). 0 or -1. */
int gso_csum(uint8_t *p, uint32_t len, uint32_t start, uint32_t off);

/*
 * Cut the TSO packet p[0..len) described by h into segments written at
 * slot[i] (each slot_cap bytes); seg_len[i] gets each length. Returns the
 * number of segments, or -1 when the packet is not a TCP packet we can
 * segment or does not fit max_segs slots.
 */
int gso_segment(const struct virtio_net_hdr *h, const uint8_t *p, uint32_t len,
		uint8_t *const *slot, uint32_t slot_cap, uint32_t *seg_len, unsigned max_segs);

/*
 * Receive side: consecutive TCP segments of one flow, decrypted in one
 * batch, are joined into one super-packet for a single TUN write (what GRO
 * does for a NIC). Only plain segments join: same addresses, ports, ACK,
 * window and options, contiguous sequence numbers, flags ACK (PSH ends a
 * train), equal sizes (a shorter one ends it).
 */
enum { GRO_MAX = 65535 };

struct gro {
	uint8_t *buf;		/* GSO_HDR_LEN + GRO_MAX bytes, owned by the caller */
	uint32_t len;		/* packet bytes after the virtio header */
	uint32_t hl, thl, mss, next_seq;
	unsigned segs;
	uint8_t family;
	bool open, closed;	/* closed: takes no more segments */
};

/* Try to add the IP packet p; true when it was taken (started or joined). */
bool gro_add(struct gro *g, const uint8_t *p, uint32_t len);
/* Finish the train: fills the virtio header, returns the bytes to write
 * (header included) at g->buf, or 0 when nothing is open. */
uint32_t gro_finish(struct gro *g);

#endif
