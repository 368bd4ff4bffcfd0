/* SPDX-License-Identifier: MIT */
/*
 * The generic netlink interface of secgw_esp.ko: the only contract between the
 * module and userspace (secgw-iked's kmod backend, the VM tests). Shared
 * unchanged by both sides, so it uses nothing but fixed-width integers.
 *
 * Numbers are ABI: append new commands and attributes, never renumber.
 * Every attribute has an entry in the module's policy table; a message with
 * an attribute of the wrong type or length, or one the module does not know,
 * is refused with -EINVAL before any handler sees it.
 *
 * Everything is per network namespace: the SAs, policies, ipsec0 and the
 * counters a request sees are those of the namespace its socket lives in.
 * Every command but GET_INFO needs CAP_NET_ADMIN over that namespace.
 *
 * An SA is named by (SA_DIR, SA_SPI, SA_FAMILY, SA_DST). Addresses are always
 * 16 bytes in network order; an IPv4 address sits in the first 4 (the
 * layout of kmod/core's struct esp_addr). Families are 4 and 6.
 */
#ifndef SECGW_ESP_H
#define SECGW_ESP_H

#define SECGW_ESP_GENL_NAME	"secgw_esp"
/* Bumped when a command or attribute changes meaning (adding one does not). */
#define SECGW_ESP_GENL_VERSION	1
/* Multicast group of SECGW_ESP_CMD_EVENT_* messages. */
#define SECGW_ESP_MCGRP_EVENTS	"events"
/* The virtual interface every namespace gets; routes into it are protected. */
#define SECGW_ESP_IFNAME	"ipsec0"

enum secgw_esp_cmd {
	SECGW_ESP_CMD_UNSPEC,
	/* Reply: VERSION, IFINDEX (ipsec0 in the caller's namespace). Anyone
	 * may ask; it changes nothing. */
	SECGW_ESP_CMD_GET_INFO,
	/* An SA: SA_DIR SA_SPI SA_MODE SA_FAMILY SA_SRC SA_DST SA_ALG SA_KEY
	 * SA_LOCAL_TS SA_REMOTE_TS required; SA_ICV_LEN (16), SA_ENCAP_SPORT +
	 * SA_ENCAP_DPORT (ESP in UDP), SA_REPLAY_WINDOW, SA_ESN, lifetimes,
	 * SA_TFC_PAD, SA_SEQ_OUT optional. EEXIST when the name is taken. */
	SECGW_ESP_CMD_SA_ADD,
	/* SA_DIR SA_SPI SA_FAMILY SA_DST. Policies pointing at an outbound SA
	 * keep their place and raise acquires until pointed elsewhere. */
	SECGW_ESP_CMD_SA_DEL,
	/* doit: one SA by name; dumpit: all. Reply: the SA's attributes (never
	 * the key), SA_BYTES SA_PACKETS DROPS. */
	SECGW_ESP_CMD_SA_GET,
	/* POL_ID POL_ACTION POL_SRC POL_DST, and for PROTECT the outbound SA
	 * as SA_SPI SA_FAMILY SA_DST (SA_SPI 0 or absent: none yet, packets
	 * raise acquires). Appended: the first policy that matches wins. */
	SECGW_ESP_CMD_POLICY_ADD,
	SECGW_ESP_CMD_POLICY_DEL,	/* POL_ID */
	/* The same attributes as POLICY_ADD; replaces policy POL_ID in place
	 * (its order kept): how a rekeyed CHILD SA takes over its traffic. */
	SECGW_ESP_CMD_POLICY_UPDATE,
	/* dumpit: every policy in order. */
	SECGW_ESP_CMD_POLICY_GET,
	/* Remove every SA and policy of the namespace. */
	SECGW_ESP_CMD_FLUSH,
	/* Reply: DROPS and COUNTERS of the namespace (module-wide object
	 * counts included, for leak checks). */
	SECGW_ESP_CMD_STATS,
	/* FD: a bound UDP socket of the caller, in its namespace. ESP in UDP
	 * arriving on it is decapsulated here; IKE (non-ESP marker) still
	 * reaches the socket, keepalives are eaten. Like Linux's UDP_ENCAP:
	 * the socket keeps working for sending. Undone when it is closed. */
	SECGW_ESP_CMD_ENCAP_ATTACH,
	/* OUT_MARK: the mark put on ciphertext (and bypassed plaintext) sent
	 * by the module, so that a rule "not fwmark M lookup T" keeps it out
	 * of ipsec0's routes in table T. 0: no mark. */
	SECGW_ESP_CMD_SET_CONFIG,
	/* Events (multicast only). ACQUIRE: POL_ID. EXPIRE: SA_DIR SA_SPI
	 * SA_FAMILY SA_DST, EXPIRE_HARD (flag, absent = soft), EXPIRE_SEQ
	 * (flag: the sequence number space ran out). */
	SECGW_ESP_CMD_EVENT_ACQUIRE,
	SECGW_ESP_CMD_EVENT_EXPIRE,
	__SECGW_ESP_CMD_MAX,
};
#define SECGW_ESP_CMD_MAX (__SECGW_ESP_CMD_MAX - 1)

enum secgw_esp_attr {
	SECGW_ESP_A_UNSPEC,
	SECGW_ESP_A_VERSION,		/* u32: SECGW_ESP_GENL_VERSION of the sender */
	SECGW_ESP_A_IFINDEX,		/* u32 */
	SECGW_ESP_A_SA_DIR,		/* u8: 1 in, 2 out */
	SECGW_ESP_A_SA_SPI,		/* u32, host order; 256 or more */
	SECGW_ESP_A_SA_MODE,		/* u8: 1 tunnel, 2 transport */
	SECGW_ESP_A_SA_FAMILY,		/* u8: 4 or 6, of the outer addresses */
	SECGW_ESP_A_SA_SRC,		/* 16 bytes */
	SECGW_ESP_A_SA_DST,		/* 16 bytes */
	SECGW_ESP_A_SA_ENCAP_SPORT,	/* u16: both ports non-zero: ESP in UDP */
	SECGW_ESP_A_SA_ENCAP_DPORT,	/* u16 */
	SECGW_ESP_A_SA_ALG,		/* string: the kernel's name, "rfc4106(gcm(aes))"
					 * or "rfc7539esp(chacha20,poly1305)" */
	SECGW_ESP_A_SA_KEY,		/* binary: key then 4-byte salt (20, 28, 36 bytes) */
	SECGW_ESP_A_SA_ICV_LEN,		/* u8, bytes: 16 */
	SECGW_ESP_A_SA_REPLAY_WINDOW,	/* u32: 32-4096 (inbound; default 128) */
	SECGW_ESP_A_SA_ESN,		/* flag */
	SECGW_ESP_A_SA_SOFT_BYTES,	/* u64, 0 = none (as the next three) */
	SECGW_ESP_A_SA_HARD_BYTES,	/* u64 */
	SECGW_ESP_A_SA_SOFT_PACKETS,	/* u64 */
	SECGW_ESP_A_SA_HARD_PACKETS,	/* u64 */
	SECGW_ESP_A_SA_TFC_PAD,		/* u16: tunnel mode, pad inner packets to this */
	SECGW_ESP_A_SA_SEQ_OUT,		/* u64: last sequence number sent (default 0) */
	SECGW_ESP_A_SA_LOCAL_TS,	/* nested: 1-16 SECGW_ESP_A_TS_SEL */
	SECGW_ESP_A_SA_REMOTE_TS,	/* nested: 1-16 SECGW_ESP_A_TS_SEL */
	SECGW_ESP_A_SA_BYTES,		/* u64 (replies) */
	SECGW_ESP_A_SA_PACKETS,		/* u64 (replies) */
	SECGW_ESP_A_DROPS,		/* nested: attribute type = kmod/core's enum esp_drop, u64 */
	SECGW_ESP_A_POL_ID,		/* u32, chosen by the caller, non-zero */
	SECGW_ESP_A_POL_ACTION,		/* u8: 1 protect, 2 bypass, 3 discard */
	SECGW_ESP_A_POL_SRC,		/* nested selector (SECGW_ESP_SEL_*) */
	SECGW_ESP_A_POL_DST,		/* nested selector */
	SECGW_ESP_A_FD,			/* u32: a file descriptor of the sender */
	SECGW_ESP_A_OUT_MARK,		/* u32 */
	SECGW_ESP_A_EXPIRE_HARD,	/* flag */
	SECGW_ESP_A_EXPIRE_SEQ,		/* flag */
	SECGW_ESP_A_COUNTERS,		/* nested: type = enum secgw_esp_ctr, u64 */
	__SECGW_ESP_A_MAX,
};
#define SECGW_ESP_A_MAX (__SECGW_ESP_A_MAX - 1)

/* Inside SA_LOCAL_TS / SA_REMOTE_TS: one nested selector each. */
enum secgw_esp_ts_attr {
	SECGW_ESP_A_TS_UNSPEC,
	SECGW_ESP_A_TS_SEL,
	__SECGW_ESP_A_TS_MAX,
};
#define SECGW_ESP_A_TS_MAX (__SECGW_ESP_A_TS_MAX - 1)

/* A traffic selector: an inclusive address range, a protocol (0: any) and
 * an inclusive port range (ICMP: type << 8 | code). Family required. */
enum secgw_esp_sel_attr {
	SECGW_ESP_SEL_UNSPEC,
	SECGW_ESP_SEL_FAMILY,		/* u8: 4 or 6 */
	SECGW_ESP_SEL_PROTO,		/* u8 (default 0) */
	SECGW_ESP_SEL_PORT_LO,		/* u16 (default 0) */
	SECGW_ESP_SEL_PORT_HI,		/* u16 (default 65535) */
	SECGW_ESP_SEL_LO,		/* 16 bytes (default all zeros) */
	SECGW_ESP_SEL_HI,		/* 16 bytes (default all ones) */
	__SECGW_ESP_SEL_MAX,
};
#define SECGW_ESP_SEL_MAX (__SECGW_ESP_SEL_MAX - 1)

/* Counters of SECGW_ESP_A_COUNTERS in a STATS reply. */
enum secgw_esp_ctr {
	SECGW_ESP_CTR_UNSPEC,
	SECGW_ESP_CTR_PACKETS_IN,	/* decapsulated and passed on */
	SECGW_ESP_CTR_PACKETS_OUT,	/* encapsulated and sent */
	SECGW_ESP_CTR_KEEPALIVES,	/* NAT-T keepalives eaten */
	SECGW_ESP_CTR_IKE,		/* non-ESP datagrams left to the socket */
	SECGW_ESP_CTR_PASSED_ON,	/* ESP for an SPI not ours, left to esp4/esp6 */
	SECGW_ESP_CTR_TX_ERRORS,	/* the IP stack refused a packet we sent */
	SECGW_ESP_CTR_NO_ROUTE,		/* no route to an SA's peer */
	SECGW_ESP_CTR_LOOP,		/* ciphertext routed back into ipsec0 */
	SECGW_ESP_CTR_ACQUIRES,		/* acquire events sent */
	SECGW_ESP_CTR_EVENTS_LOST,	/* events that could not be sent */
	SECGW_ESP_CTR_DEFERRED,		/* packets handed to a crypto worker */
	SECGW_ESP_CTR_ASYNC,		/* crypto operations that completed later */
	SECGW_ESP_CTR_BYPASSED,		/* plaintext sent by a bypass policy */
	/* Module-wide objects alive (every namespace): zero once all is gone. */
	SECGW_ESP_CTR_OBJ_SAS,
	SECGW_ESP_CTR_OBJ_TABLES,
	SECGW_ESP_CTR_OBJ_SOCKETS,
	SECGW_ESP_CTR_OBJ_QUEUED,	/* packets waiting for a crypto worker */
	__SECGW_ESP_CTR_MAX,
};
#define SECGW_ESP_CTR_MAX (__SECGW_ESP_CTR_MAX - 1)

#endif
