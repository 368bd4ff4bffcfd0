/* SPDX-License-Identifier: MIT */
/*
 * The IKEv2 message codec (RFC 7296 §3): the header, the payload chain, and
 * each payload secgw interprets. Validation is apart from interpretation, as
 * in OpenBSD iked: pld_parse() walks the chain and checks, in a fixed order,
 * that every header fits, that its declared length covers the header, that
 * it stays inside what is left, and that sub-structures add up. Only then do
 * the pld_get_* readers look inside a payload, and they validate their own
 * payload the same way before returning anything.
 *
 * Nothing here casts packet bytes to wider types (Blackfin faults on
 * misaligned loads): every field is read with the byte readers below. The
 * parsed message holds pointers into the caller's buffer, never copies.
 */
#ifndef SECGW_IKEV2_PLD_H
#define SECGW_IKEV2_PLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
/* get_be16/32/64, put_be16/32/64: the byte readers shared with the ESP core. */
#include "kmod/core/bytes.h"

/* Limits on what a peer may make us look at; all enforced in this codec. */
enum {
	IKE_HDR_LEN = 28,
	IKE_PLD_HDR_LEN = 4,
	IKE_MSG_MAX = 8192,		/* largest message accepted or built */
	IKE_MAX_PAYLOADS = 40,		/* outer plus inner payloads of one message */
	IKE_MAX_PROPOSALS = 32,		/* in one SA payload */
	IKE_MAX_TRANSFORMS = 96,	/* in one proposal (strongSwan's "default" has ~60) */
	IKE_WB_MAX_TR = 32,		/* in one proposal we build (8 ENCR+8 PRF+8 DH+2 ESN) */
	IKE_MAX_ATTRS = 8,		/* in one transform */
	IKE_MAX_TS = 16,		/* in one TS payload */
	IKE_MAX_DELETE_SPIS = 64,	/* in one Delete payload */
	IKE_NONCE_MIN = 16,
	IKE_NONCE_MAX = 256,
	IKE_ID_MAX = 255,
	IKE_COOKIE_MAX = 64,
	IKE_SPI_LEN = 8,
	IKE_VERSION = 0x20,		/* major 2, minor 0 */
};

enum ike_exchange {
	EXCH_IKE_SA_INIT = 34,
	EXCH_IKE_AUTH = 35,
	EXCH_CREATE_CHILD_SA = 36,
	EXCH_INFORMATIONAL = 37,
};

enum ike_hdr_flags {
	HDR_F_INITIATOR = 0x08,		/* sent by the original initiator */
	HDR_F_VERSION = 0x10,
	HDR_F_RESPONSE = 0x20,
};

enum ike_pld_type {
	PLD_NONE = 0,
	PLD_SA = 33,
	PLD_KE = 34,
	PLD_IDI = 35,
	PLD_IDR = 36,
	PLD_CERT = 37,
	PLD_CERTREQ = 38,
	PLD_AUTH = 39,
	PLD_NONCE = 40,
	PLD_NOTIFY = 41,
	PLD_DELETE = 42,
	PLD_VENDOR = 43,
	PLD_TSI = 44,
	PLD_TSR = 45,
	PLD_SK = 46,
	PLD_CP = 47,
	PLD_EAP = 48,
	PLD_SKF = 53,
};

enum ike_proto {
	PROTO_IKE = 1,
	PROTO_AH = 2,
	PROTO_ESP = 3,
};

enum ike_id_type {
	ID_IPV4_ADDR = 1,
	ID_FQDN = 2,
	ID_RFC822_ADDR = 3,
	ID_IPV6_ADDR = 5,
	ID_DER_ASN1_DN = 9,
	ID_DER_ASN1_GN = 10,
	ID_KEY_ID = 11,
};

enum ike_auth_method {
	AUTH_PSK = 2,			/* Shared Key Message Integrity Code */
};

enum ike_ts_type {
	TS_IPV4_ADDR_RANGE = 7,
	TS_IPV6_ADDR_RANGE = 8,
};

enum ike_attr_type {
	ATTR_KEY_LENGTH = 14,
};

/* Notify message types (RFC 7296 §3.10.1 and the IANA registry). */
enum ike_notify {
	N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	N_INVALID_IKE_SPI = 4,
	N_INVALID_MAJOR_VERSION = 5,
	N_INVALID_SYNTAX = 7,
	N_INVALID_MESSAGE_ID = 9,
	N_INVALID_SPI = 11,
	N_NO_PROPOSAL_CHOSEN = 14,
	N_INVALID_KE_PAYLOAD = 17,
	N_AUTHENTICATION_FAILED = 24,
	N_SINGLE_PAIR_REQUIRED = 34,
	N_NO_ADDITIONAL_SAS = 35,
	N_INTERNAL_ADDRESS_FAILURE = 36,
	N_FAILED_CP_REQUIRED = 37,
	N_TS_UNACCEPTABLE = 38,
	N_INVALID_SELECTORS = 39,
	N_TEMPORARY_FAILURE = 43,
	N_CHILD_SA_NOT_FOUND = 44,
	N_ERROR_MAX = 16383,		/* types below 16384 are errors */
	N_INITIAL_CONTACT = 16384,
	N_SET_WINDOW_SIZE = 16385,
	N_ADDITIONAL_TS_POSSIBLE = 16386,
	N_IPCOMP_SUPPORTED = 16387,
	N_NAT_DETECTION_SOURCE_IP = 16388,
	N_NAT_DETECTION_DESTINATION_IP = 16389,
	N_COOKIE = 16390,
	N_USE_TRANSPORT_MODE = 16391,
	N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	N_REKEY_SA = 16393,
	N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	N_MOBIKE_SUPPORTED = 16396,
	N_MULTIPLE_AUTH_SUPPORTED = 16404,
	N_REDIRECT_SUPPORTED = 16406,
	N_EAP_ONLY_AUTHENTICATION = 16417,
	N_CHILDLESS_IKEV2_SUPPORTED = 16418,
	N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,
	N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
	N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

/* Why a message or payload was refused. */
enum pld_err {
	PLD_OK = 0,
	PLD_E_SHORT,		/* shorter than the IKE header */
	PLD_E_VERSION,		/* major version is not 2 */
	PLD_E_LENGTH,		/* header length disagrees with the datagram */
	PLD_E_TOO_BIG,		/* over IKE_MSG_MAX */
	PLD_E_TRUNCATED,	/* a payload header or body runs past the end */
	PLD_E_PLD_LENGTH,	/* a declared payload length is below its header */
	PLD_E_TRAILING,		/* bytes after the last payload */
	PLD_E_TOO_MANY,		/* over a count limit (payloads, proposals, TS…) */
	PLD_E_CRITICAL,		/* an unknown payload with the critical bit */
	PLD_E_SK_NOT_LAST,	/* SK is not the last payload */
	PLD_E_SYNTAX,		/* a payload's inside does not add up */
	PLD_E_MISSING,		/* a required payload is absent */
	PLD_E_DUPLICATE,	/* a payload that may appear once appears twice */
	PLD_E_NOT_PROTECTED,	/* a payload that must be inside SK is outside */
	PLD_E_ICV,		/* the SK payload does not authenticate */
	PLD_E_NO_SPACE,		/* building: the message does not fit */
};

const char *pld_err_str(enum pld_err e);
/* "SA", "KE", "IDi", … or NULL for an unknown type. */
const char *pld_type_name(unsigned type);
/* "NO_PROPOSAL_CHOSEN", "NATD_S_IP", … or NULL. */
const char *pld_notify_name(unsigned type);
const char *pld_exchange_name(unsigned exch);

struct ike_hdr {
	uint64_t spi_i, spi_r;
	uint8_t next, version, exchange, flags;
	uint32_t msgid;
	uint32_t length;
};

struct pld {
	uint8_t type;
	bool critical;
	bool inner;		/* came out of the SK payload */
	uint16_t len;		/* body length, without the generic header */
	const uint8_t *body;
};

struct ike_msg {
	const uint8_t *buf;
	size_t len;
	struct ike_hdr hdr;
	unsigned n;
	struct pld p[IKE_MAX_PAYLOADS];
	int sk;			/* index of the SK payload, or -1 */
	uint8_t sk_first;	/* the SK payload's Next Payload: first inner type */
	bool sk_opened;		/* SK verified and its inner payloads appended */
	uint8_t unknown_critical; /* type of an unknown critical payload, or 0 */
};

/* The header alone (28 bytes), for dispatch before a full parse. */
enum pld_err pld_parse_hdr(const uint8_t *buf, size_t len, struct ike_hdr *h);

/*
 * Validate the header and the outer payload chain of buf[0..len). An SK
 * payload must be last; its body is recorded but not looked into. Unknown
 * payloads without the critical bit are skipped (RFC 7296 §2.5); with it,
 * the walk stops with PLD_E_CRITICAL and m->unknown_critical set so the
 * caller can answer UNSUPPORTED_CRITICAL_PAYLOAD.
 */
enum pld_err pld_parse(struct ike_msg *m, const uint8_t *buf, size_t len);

/* Append the payload chain found in a decrypted SK body, starting with type
 * `first` (the SK payload's Next Payload field). */
enum pld_err pld_parse_inner(struct ike_msg *m, uint8_t first, const uint8_t *p, size_t len);

/*
 * Validate the body of every payload interpreted later (SA, KE, IDs, AUTH,
 * nonce, notify, delete, TS, an unopened SK's minimum size), so that no
 * exchange code ever meets a malformed one. Returns the first error.
 */
enum pld_err pld_validate_all(const struct ike_msg *m);
/* "PLD_E_SYNTAX", … for tests and logs. */
const char *pld_err_name(enum pld_err e);

/* The first payload of a type (outer or inner), or NULL. */
const struct pld *pld_find(const struct ike_msg *m, unsigned type);
/* The first Notify of a type, or NULL. */
const struct pld *pld_find_notify(const struct ike_msg *m, unsigned ntype);
/* Check that payloads which must be encrypted are not outside SK. */
enum pld_err pld_check_protected(const struct ike_msg *m);

/*
 * The message in RFC notation, as strongSwan's tests write it:
 * "IKE_AUTH request 1 { IDi AUTH SA TSi TSr N(INIT_CONTACT) }".
 * Inner payloads replace "SK". Returns buf.
 */
char *pld_describe(const struct ike_msg *m, char *buf, size_t len);

/* ---- interpretation of single payloads; each validates its own body ---- */

struct pld_ke {
	uint16_t group;
	uint16_t len;
	const uint8_t *data;
};
enum pld_err pld_get_ke(const struct pld *p, struct pld_ke *out);

struct pld_id {
	uint8_t type;
	uint16_t len;
	const uint8_t *data;	/* the ID payload body is data - 4 */
};
enum pld_err pld_get_id(const struct pld *p, struct pld_id *out);

struct pld_auth {
	uint8_t method;
	uint16_t len;
	const uint8_t *data;
};
enum pld_err pld_get_auth(const struct pld *p, struct pld_auth *out);

enum pld_err pld_get_nonce(const struct pld *p, const uint8_t **data, uint16_t *len);

struct pld_notify {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type;
	const uint8_t *spi;
	uint16_t len;		/* notification data */
	const uint8_t *data;
};
enum pld_err pld_get_notify(const struct pld *p, struct pld_notify *out);

struct pld_delete {
	uint8_t proto;
	uint8_t spi_size;
	uint16_t n_spi;
	const uint8_t *spis;
};
enum pld_err pld_get_delete(const struct pld *p, struct pld_delete *out);

/* Traffic selectors, converted to lib/addr.h's struct ts. */
struct pld_ts {
	uint8_t n;
	struct ts ts[IKE_MAX_TS];
};
enum pld_err pld_get_ts(const struct pld *p, struct pld_ts *out);

/*
 * SA payloads are read with iterators over the validated bytes, so that a
 * peer's 60-transform proposal costs no memory. pld_sa_validate checks the
 * whole structure first (proposal lengths, transform counts, attribute
 * lengths); the iterators then trust what it checked.
 */
enum pld_err pld_sa_validate(const struct pld *p);

struct pld_transform {
	uint8_t type;
	uint16_t id;
	uint16_t keybits;	/* Key Length attribute, 0 when absent */
	bool unknown_attr;	/* an attribute we do not know: the transform must be ignored */
};

struct pld_proposal {
	uint8_t num, proto, spi_size, n_transforms;
	uint8_t spi[8];
	const uint8_t *transforms;	/* first transform */
	uint16_t transforms_len;
};

struct pld_sa_iter {
	const uint8_t *p;
	size_t left;
};
void pld_sa_iter_init(struct pld_sa_iter *it, const struct pld *sa);
bool pld_sa_next(struct pld_sa_iter *it, struct pld_proposal *out);

struct pld_tr_iter {
	const uint8_t *p;
	size_t left;
};
void pld_tr_iter_init(struct pld_tr_iter *it, const struct pld_proposal *prop);
bool pld_tr_next(struct pld_tr_iter *it, struct pld_transform *out);

/* ---- building ---- */

/*
 * A message under construction in a caller-owned buffer. Every write checks
 * space; on overflow the builder stops writing and remembers it, and
 * wb_finish() reports PLD_E_NO_SPACE, so build code needs no check per call.
 */
struct wbuf {
	uint8_t *p;
	size_t cap, len;
	size_t next_at;		/* offset of the Next Payload field to fill */
	size_t sk_at;		/* offset of the SK payload, 0 when none */
	bool overflow;
};

void wb_init(struct wbuf *w, uint8_t *buf, size_t cap, const struct ike_hdr *h);
/* Start a payload; returns its offset for wb_end(). */
size_t wb_begin(struct wbuf *w, uint8_t type, bool critical);
void wb_end(struct wbuf *w, size_t at);
void wb_u8(struct wbuf *w, uint8_t v);
void wb_u16(struct wbuf *w, uint16_t v);
void wb_u32(struct wbuf *w, uint32_t v);
void wb_bytes(struct wbuf *w, const void *p, size_t n);
/* Start the SK payload: payloads added after it are the inner ones. The IV
 * space (iv_len) is reserved here; the crypto fills it when sealing. */
void wb_begin_sk(struct wbuf *w, size_t iv_len);
/* Writes the total length into the header. */
enum pld_err wb_finish(struct wbuf *w);

/* Payload helpers on top of the builder. */
void wb_notify(struct wbuf *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
	       uint16_t type, const void *data, size_t len);
void wb_nonce(struct wbuf *w, const uint8_t *n, size_t len);
void wb_ke(struct wbuf *w, uint16_t group, const uint8_t *pub, size_t len);
void wb_id(struct wbuf *w, uint8_t pld_type, uint8_t id_type, const uint8_t *data, size_t len);
void wb_auth(struct wbuf *w, uint8_t method, const uint8_t *data, size_t len);
void wb_ts(struct wbuf *w, uint8_t pld_type, const struct ts *ts, unsigned n);
void wb_delete(struct wbuf *w, uint8_t proto, const uint8_t *spis, uint8_t spi_size, unsigned n);

/* One proposal with one transform of each kind given (id 0 = absent). */
struct wb_prop {
	uint8_t num, proto, spi_size;
	uint8_t spi[8];
	uint16_t n_tr;
	struct pld_transform tr[IKE_WB_MAX_TR];
};
/* SA payload from n proposals. */
void wb_sa(struct wbuf *w, const struct wb_prop *props, unsigned n);

#endif
