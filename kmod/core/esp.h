/* SPDX-License-Identifier: MIT */
/*
 * The portable ESP core (RFC 4303): security associations, encapsulation and
 * decapsulation in tunnel and transport mode, IPv4 and IPv6, plain ESP and
 * ESP in UDP (RFC 3948). Hosts: kmod/user (userspace datapath) and
 * kmod/linux (kernel module). Pure C over compat.h; no allocation: the host
 * owns every struct and every buffer.
 */
#ifndef ESP_ESP_H
#define ESP_ESP_H

#include "aead.h"
#include "buf.h"
#include "compat.h"
#include "replay.h"

enum esp_family {
	ESP_AF_NONE = 0,
	ESP_AF_INET = 4,
	ESP_AF_INET6 = 6,
};

enum esp_dir {
	ESP_DIR_IN = 1,
	ESP_DIR_OUT = 2,
};

enum esp_mode {
	ESP_MODE_TUNNEL = 1,
	ESP_MODE_TRANSPORT = 2,
};

/* IANA IKEv2 transform IDs, as in lib/proposal.h. */
enum esp_alg {
	ESP_ALG_AES_GCM_16 = 20,
	ESP_ALG_CHACHA20_POLY1305 = 28,
};

enum esp_proto {
	ESP_PROTO_HOPOPTS = 0,
	ESP_PROTO_ICMP = 1,
	ESP_PROTO_IPIP = 4,
	ESP_PROTO_TCP = 6,
	ESP_PROTO_UDP = 17,
	ESP_PROTO_IPV6 = 41,
	ESP_PROTO_ROUTING = 43,
	ESP_PROTO_FRAGMENT = 44,
	ESP_PROTO_ESP = 50,
	ESP_PROTO_ICMPV6 = 58,
	ESP_PROTO_NONE = 59,	/* "no next header": an ESP dummy packet */
	ESP_PROTO_DSTOPTS = 60,
	ESP_PROTO_SCTP = 132,
};

enum {
	ESP_HDR_LEN = 8,		/* SPI + sequence number */
	ESP_IV_LEN = ESP_AEAD_IV_LEN,
	ESP_ICV_LEN = ESP_AEAD_ICV_LEN,
	ESP_TRAILER_MIN = 2,		/* pad length + next header */
	ESP_PAD_ALIGN = 4,		/* RFC 4303 §2.4: 4-byte alignment for AEADs with 1-byte blocks */
	ESP_OVERHEAD_MAX = ESP_HDR_LEN + ESP_IV_LEN + ESP_PAD_ALIGN - 1 + ESP_TRAILER_MIN + ESP_ICV_LEN,
	ESP_IPV4_HDR_LEN = 20,
	ESP_IPV6_HDR_LEN = 40,
	ESP_UDP_HDR_LEN = 8,
	ESP_OUTER_MAX = ESP_IPV6_HDR_LEN + ESP_UDP_HDR_LEN,
	/* The room a host leaves in front of an inner packet for esp_output and
	 * esp_push_outer, and behind it for the trailer (TFC padding extra). */
	ESP_HEADROOM = ESP_OUTER_MAX + ESP_HDR_LEN + ESP_IV_LEN,
	ESP_TAILROOM = ESP_PAD_ALIGN - 1 + ESP_TRAILER_MIN + ESP_ICV_LEN,
	ESP_SEL_MAX = 16,		/* traffic selectors per side of an SA */
	ESP_TFC_PAD_MAX = 1500,
	ESP_NAT_KEEPALIVE = 0xff,	/* RFC 3948 §2.3: the one-byte keepalive */
	ESP_NON_ESP_MARKER_LEN = 4,	/* RFC 3948 §2.2: four zero bytes before IKE */
	ESP_SPI_MIN = 256,		/* 1-255 are reserved by IANA, 0 is never sent */
};

/* Every reason a packet is dropped; each is counted. 0 is "not dropped". */
enum esp_drop {
	ESP_OK = 0,
	ESP_DROP_MALFORMED,		/* outer header, UDP or ESP header too short or inconsistent */
	ESP_DROP_NO_SA,			/* unknown SPI */
	ESP_DROP_ENCAP_MISMATCH,	/* UDP-encapsulated for a plain SA or the reverse */
	ESP_DROP_REPLAY,		/* duplicate or left of the window */
	ESP_DROP_AUTH,			/* ICV does not verify */
	ESP_DROP_PAD,			/* pad length past the payload, or pad bytes not 1, 2, 3, … */
	ESP_DROP_NEXT_HDR,		/* next header does not fit the SA's mode */
	ESP_DROP_INNER,			/* decrypted inner packet malformed */
	ESP_DROP_SELECTOR,		/* inner packet outside the SA's traffic selectors */
	ESP_DROP_DUMMY,			/* next header 59: TFC dummy packet, dropped silently */
	ESP_DROP_EXPIRED,		/* SA past a hard lifetime */
	ESP_DROP_SEQ_EXHAUSTED,		/* outbound sequence number space used up */
	ESP_DROP_NO_POLICY,		/* no SPD entry for an outbound packet */
	ESP_DROP_POLICY,		/* SPD says discard (or bypass, where the host cannot) */
	ESP_DROP_NO_ROOM,		/* buffer lacks head- or tailroom */
	ESP_DROP_CRYPTO,		/* the host's AEAD failed to seal */
	ESP_DROP_FRAGMENT,		/* outer fragment (the host reassembles before the core) */
	ESP_DROP_QUEUE,			/* host queue full (counted by hosts) */
	ESP_DROP__MAX
};

/* Short, stable names ("replay", "auth", …) for counters in JSON and logs. */
const char *esp_drop_name(unsigned reason);

/* Events an SA raises once each; returned to the host, which tells the control plane. */
enum esp_event {
	ESP_EV_SOFT_EXPIRE = 1u << 0,
	ESP_EV_HARD_EXPIRE = 1u << 1,
	ESP_EV_SEQ_EXHAUSTED = 1u << 2,	/* always with HARD_EXPIRE */
};

struct esp_addr {
	uint8_t family;		/* enum esp_family */
	uint8_t b[16];		/* network byte order; IPv4 in b[0..3] */
};

/*
 * A traffic selector: inclusive address range, protocol (0 = any), inclusive
 * port range (0-65535 = any); for ICMP/ICMPv6 the "port" is type<<8|code
 * (RFC 4301 §4.4.1.1), the layout of lib/addr.h's struct ts.
 */
struct esp_sel {
	uint8_t family;
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint8_t lo[16], hi[16];
};

/* What the host knows about an outbound-looking or decapsulated packet. */
struct esp_tuple {
	uint8_t family;
	uint8_t proto;		/* upper-layer protocol after extension headers */
	bool ports_known;	/* false for non-first fragments */
	uint16_t sport, dport;	/* ICMP: both type<<8|code */
	uint8_t src[16], dst[16];
};

/*
 * An SA's settings. The host fills a struct esp_sa_params (selectors in
 * place); the SA keeps the same fields as a struct esp_sa_conf whose
 * selectors point into storage sized for the SA (esp_sa_extra), so an SA
 * with one selector a side doesn't carry room for sixteen.
 */
#define ESP_SA_SETTINGS \
	uint32_t spi; \
	uint8_t dir;		/* enum esp_dir */ \
	uint8_t mode;		/* enum esp_mode */ \
	uint16_t alg;		/* enum esp_alg (the ICV is 16 bytes for both) */ \
	bool esn; \
	struct esp_addr src, dst;	/* outer: in = peer -> us, out = us -> peer */ \
	uint16_t encap_sport, encap_dport;	/* non-zero: ESP in UDP (RFC 3948) */ \
	uint32_t replay_window;		/* inbound: ESP_REPLAY_MIN..ESP_REPLAY_MAX */ \
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;	/* 0 = none */ \
	uint16_t tfc_pad;	/* tunnel mode: pad inner packets up to this size */ \
	uint8_t salt[ESP_AEAD_SALT_LEN]; \
	uint8_t iv_mask[ESP_IV_LEN];	/* IV = seq XOR mask: unique per packet, not guessable from seq */ \
	uint64_t seq_out;	/* last sequence number sent (0 for a new SA) */ \
	uint64_t seq_in;	/* highest sequence number seen (0 for a new SA) */ \
	uint8_t n_local_ts, n_remote_ts; \
	struct esp_aead *aead;	/* host-keyed AEAD, owned by the host */

struct esp_sa_params {
	ESP_SA_SETTINGS
	struct esp_sel local_ts[ESP_SEL_MAX], remote_ts[ESP_SEL_MAX];
};

struct esp_sa_conf {
	ESP_SA_SETTINGS
	struct esp_sel *local_ts, *remote_ts;	/* in the SA's extra storage */
};

/* Per-SA counters, read by the host for list-sas; updated without locks. */
struct esp_sa_stats {
	esp_atomic64_t bytes, packets;
	esp_atomic64_t drops[ESP_DROP__MAX];
};

struct esp_sa {
	struct esp_sa_conf p;
	esp_atomic64_t seq_out;
	esp_atomic32_t events;	/* enum esp_event bits already raised */
	esp_lock_t lock;	/* guards replay */
	struct esp_replay replay;
	struct esp_sa_stats st;
};

/* Global drop counters (no SA known yet, or summed). The host may keep one
 * per thread or per CPU and add them up when asked. */
struct esp_stats {
	esp_atomic64_t drops[ESP_DROP__MAX];
	esp_atomic64_t keepalives, ike, packets_in, packets_out;
};

/*
 * Bytes of extra storage (4-byte aligned) an SA made from p needs beside
 * its struct: the replay ring of an inbound SA and the selectors. At most
 * ESP_SA_EXTRA_MAX; a host that allocates an SA puts both in one block.
 */
size_t esp_sa_extra(const struct esp_sa_params *p);
#define ESP_SA_EXTRA_MAX (ESP_REPLAY_WORDS_MAX * 4 + 2 * ESP_SEL_MAX * sizeof(struct esp_sel))

/*
 * Fill an SA from params after checking them; returns NULL or a static
 * message naming the bad parameter. The caller owns sa (zeroed or not) and
 * extra, extra_len bytes (at least esp_sa_extra(p)), for the SA's life.
 */
const char *esp_sa_init(struct esp_sa *sa, const struct esp_sa_params *p, void *extra,
			size_t extra_len);

/*
 * Protect the inner IP packet in b (data = its first byte) with an outbound
 * SA: on ESP_OK b holds the ESP packet from SPI to ICV (outer headers not
 * included; see esp_push_outer). *events gets the events this packet raised.
 * Needs ESP_HEADROOM/ESP_TAILROOM (+ TFC padding) around the packet.
 */
enum esp_drop esp_output(struct esp_sa *sa, struct esp_buf *b, struct esp_stats *st,
			 uint32_t *events);

/* An ESP dummy packet (next header 59) of `len` zero bytes, for traffic-flow
 * confidentiality: b must be empty with the usual room. */
enum esp_drop esp_output_dummy(struct esp_sa *sa, struct esp_buf *b, uint32_t len,
			       struct esp_stats *st, uint32_t *events);

/* Prepend the outer IPv4/IPv6 header, and the UDP header for ESP in UDP, to
 * the ESP packet made by esp_output (for hosts that send on a raw path).
 * IPv4 gets its header checksum; UDP over IPv4 a zero checksum (RFC 3948
 * §2.1), over IPv6 a real one (RFC 8200 §8.1). */
enum esp_drop esp_push_outer(const struct esp_sa *sa, struct esp_buf *b, uint8_t ttl);

/* Lower layers of the ESP seal/open, exported for known-answer tests and
 * hosts with their own framing. esp_seal: payload in b -> SPI..ICV. */
enum esp_drop esp_seal(struct esp_sa *sa, struct esp_buf *b, uint8_t next_header,
		       uint32_t tfc_extra, uint64_t *seq_used);

/* What arrived with a ciphertext packet, from the host's socket. */
struct esp_rx_meta {
	struct esp_addr src, dst;	/* outer addresses */
	bool udp;			/* arrived ESP-in-UDP */
	uint16_t sport, dport;
	uint8_t ttl;			/* outer TTL/hop limit (transport mode keeps it) */
};

enum esp_verdict {
	ESP_RX_PACKET,		/* b holds the inner IP packet, rx.sa its SA */
	ESP_RX_IKE,		/* b holds an IKE message (non-ESP marker stripped) */
	ESP_RX_KEEPALIVE,	/* a NAT-T keepalive: nothing to do */
	ESP_RX_DROP,		/* rx.drop says why; counted */
};

struct esp_rx {
	struct esp_sa *sa;	/* NULL before the SA is known */
	enum esp_drop drop;
	uint32_t events;
};

struct esp_sad;

/* A full outer IP packet (IPv4 or IPv6 header first): plain ESP (protocol
 * 50) or ESP in UDP to udp_port (0 = any UDP port). */
enum esp_verdict esp_input_ip(const struct esp_sad *sad, struct esp_buf *b,
			      uint16_t udp_port, struct esp_stats *st, struct esp_rx *rx);

/* A UDP payload from an encapsulation socket (RFC 3948: keepalive, non-ESP
 * marker + IKE, or ESP). meta->udp must be set. */
enum esp_verdict esp_input_udp(const struct esp_sad *sad, struct esp_buf *b,
			       const struct esp_rx_meta *meta, struct esp_stats *st,
			       struct esp_rx *rx);

/* An ESP packet starting at the SPI. */
enum esp_verdict esp_input_esp(const struct esp_sad *sad, struct esp_buf *b,
			       const struct esp_rx_meta *meta, struct esp_stats *st,
			       struct esp_rx *rx);

/* ESP open with an explicit SA (known-answer tests, hosts that look SAs up
 * themselves): replay check, ICV, trailer; b becomes the payload. */
enum esp_drop esp_open(struct esp_sa *sa, struct esp_buf *b, uint8_t *next_header);

/* Parse an IP packet into the tuple the SPD and selectors match on. */
enum esp_drop esp_tuple_parse(const uint8_t *p, uint32_t len, struct esp_tuple *t);
bool esp_sel_match(const struct esp_sel *s, uint8_t family, const uint8_t *addr,
		   uint8_t proto, bool ports_known, uint16_t port);

/* Internet checksum over p[0..len) added to a running sum (folded by the caller). */
uint32_t esp_csum_add(uint32_t sum, const uint8_t *p, uint32_t len);
uint16_t esp_csum_fold(uint32_t sum);

static inline unsigned esp_addr_len(unsigned family)
{
	return family == ESP_AF_INET ? 4 : family == ESP_AF_INET6 ? 16 : 0;
}

static inline void esp_count(esp_atomic64_t *c, uint64_t n)
{
	esp_atomic64_fetch_add(c, n);
}

#endif
