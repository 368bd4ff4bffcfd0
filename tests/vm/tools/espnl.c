// SPDX-License-Identifier: MIT
/*
 * espnl — speak secgw_esp.ko's generic netlink family from the test VM.
 *
 *   espnl version        print the module's protocol version (GET_INFO)
 *   espnl get-info HEX   send GET_INFO with HEX as its raw attribute bytes,
 *                        malformed on purpose in hostile-input tests; print
 *                        "version N" or "error ENAME: kernel's message"
 *   espnl batch          the two commands above, one per line on stdin, one
 *                        result line each on stdout (for a coprocess)
 *   espnl loop [MS]      look the family up and ask GET_INFO over and over,
 *                        racing the module's load and unload, until SIGTERM
 *                        or SIGINT, pausing MS milliseconds between rounds
 *                        (default 0); then print "answered N absent N"
 *                        (absent: the family was not there, ENOENT at either
 *                        step)
 *
 *
 * Control commands (one line each in batch mode; key=value arguments):
 *   sa-add dir=in|out spi=N mode=tunnel|transport src=ADDR dst=ADDR
 *          alg=KERNEL_NAME key=HEX lts=CIDR rts=CIDR [encap=PORT]
 *          [window=N] [hard-packets=N] [soft-packets=N]
 *   sa-del dir=in|out spi=N dst=ADDR
 *   sa-get dir=in|out spi=N dst=ADDR   -> "sa bytes N packets N drop_NAME N…"
 *   policy-add id=N action=protect|bypass|discard src=CIDR dst=CIDR
 *          [spi=N sadst=ADDR]            (the outbound SA of protect)
 *   policy-del id=N
 *   flush
 *   stats                               -> "stats NAME=N …" (drops, counters)
 *   mark N                              -> SET_CONFIG OUT_MARK
 *   encap PORT                          bind a dual-stack UDP socket to PORT
 *                                       and hand it to the module (kept open
 *                                       while espnl runs)
 *   raw CMD HEX                         command number CMD with HEX as its
 *                                       attributes, for hostile-input tests
 *   unprivileged                        become nobody (tests CAP_NET_ADMIN)
 *   events                              subscribe to the events group; each
 *                                       later line of output may be preceded
 *                                       by "event acquire|expire …" lines
 *   ok / "error ENAME: message" answers the control commands.
 *
 * Exit status: 0 answered (loop: no error but ENOENT), 1 refused by the
 * kernel (errno name printed), 2 usage, 3 the family is not registered,
 * 4 local failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmod/core/esp.h"
#include "kmod/linux/secgw_esp.h"

enum {
	RAW_ATTRS_MAX = 512,	/* bytes of hand-made attributes accepted */
	LOOP_PAUSE_MAX_MS = 10000,
	NL_BUF_SIZE = 16384,	/* bigger than any reply of the module */
	WORDS_MAX = 16,		/* words of a batch line */
	ADDR_BYTES = 16,
	NOBODY = 65534,
	EXIT_ANSWERED = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_NO_FAMILY = 3,
	EXIT_LOCAL = 4,
};

struct reply {
	uint16_t family_id;	/* from CTRL_CMD_GETFAMILY */
	int have_version;
	uint32_t version;	/* from SECGW_ESP_CMD_GET_INFO */
	int error;		/* errno the kernel answered, 0 for an ACK */
	char message[256];	/* its extended-ACK text, if any */
	char text[2048];	/* control commands: the reply, formatted */
};

static int ctrl_attr(const struct nlattr *a, void *data)
{
	struct reply *r = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		r->family_id = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int info_attr(const struct nlattr *a, void *data)
{
	struct reply *r = data;

	if (mnl_attr_get_type(a) == SECGW_ESP_A_VERSION &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
		r->version = mnl_attr_get_u32(a);
		r->have_version = 1;
	}
	return MNL_CB_OK;
}

static int on_ctrl(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), ctrl_attr, data);
}

static int on_info(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), info_attr, data);
}

static int ext_ack_attr(const struct nlattr *a, void *data)
{
	struct reply *r = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(r->message, sizeof(r->message), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* NLMSG_ERROR carries both ACKs (error 0) and refusals; keep the errno and
 * the kernel's extended-ACK message for the caller to print. */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		r->error = EBADMSG;
		return MNL_CB_ERROR;
	}
	r->error = -e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_nlmsg_size(off) <= nlh->nlmsg_len)
		mnl_attr_parse(nlh, off, ext_ack_attr, r);
	return MNL_CB_STOP;
}

static int on_noop(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

/* Send one request and read until its ACK or error. */
static int transact(struct mnl_socket *nl, struct nlmsghdr *nlh,
		    mnl_cb_t on_data, struct reply *r)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = on_noop,
		[NLMSG_ERROR] = on_error,
	};
	char buf[NL_BUF_SIZE];
	unsigned portid = mnl_socket_get_portid(nl);
	unsigned seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run2(buf, (size_t)n, seq, portid, on_data, r,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	return ret < 0 && r->error == 0 ? -1 : 0;
}

static struct nlmsghdr *put_request(char *buf, uint16_t type, uint8_t cmd,
				    uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static int hex_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s), i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

/*
 * One family lookup and one GET_INFO carrying raw attribute bytes. Returns
 * an exit status; r holds the version or the kernel's errno and message.
 */
static int query(struct mnl_socket *nl, const uint8_t *raw, size_t raw_len,
		 struct reply *r)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;

	memset(r, 0, sizeof(*r));
	nlh = put_request(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SECGW_ESP_GENL_NAME);
	if (transact(nl, nlh, on_ctrl, r) < 0)
		return EXIT_LOCAL;
	if (r->error || !r->family_id) {
		if (!r->error)
			r->error = ENOENT;
		return EXIT_NO_FAMILY;
	}

	nlh = put_request(buf, r->family_id, SECGW_ESP_CMD_GET_INFO, SECGW_ESP_GENL_VERSION);
	if (raw_len) {
		memcpy((char *)nlh + nlh->nlmsg_len, raw, raw_len);
		nlh->nlmsg_len += (uint32_t)raw_len;
	}
	memset(r, 0, sizeof(*r));
	if (transact(nl, nlh, on_info, r) < 0)
		return EXIT_LOCAL;
	if (r->error)
		return EXIT_REFUSED;
	if (!r->have_version) {
		r->error = EBADMSG;
		snprintf(r->message, sizeof(r->message), "reply without a version attribute");
		return EXIT_REFUSED;
	}
	return EXIT_ANSWERED;
}

/* Race the module: the family may vanish between lookup and request. The
 * pause keeps the racing from starving the loader when vCPUs are scarce. */
static int loop(struct mnl_socket *nl, unsigned pause_ms)
{
	const struct timespec pause = {
		.tv_sec = pause_ms / 1000,
		.tv_nsec = (long)(pause_ms % 1000) * 1000000L,
	};
	struct sigaction sa;
	struct reply r;
	unsigned long answered = 0, absent = 0;
	int rc = EXIT_ANSWERED;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;	/* no SA_RESTART: a blocked recv returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		int q = query(nl, NULL, 0, &r);

		if (q == EXIT_ANSWERED) {
			answered++;
		} else if (r.error == ENOENT) {
			absent++;
		} else if (q == EXIT_LOCAL && errno == EINTR && stop) {
			break;
		} else {
			printf("error %s: %s\n", strerrorname_np(r.error ? r.error : errno),
			       r.message[0] ? r.message : strerror(r.error ? r.error : errno));
			rc = q;
			break;
		}
		if (pause_ms)
			nanosleep(&pause, NULL);
	}
	printf("answered %lu absent %lu\n", answered, absent);
	return rc;
}

/* ---- control commands (sa-add, policy-add, …) ---- */

static uint16_t family_id;		/* resolved once per command */
static uint32_t events_group;		/* multicast group id, 0 until asked */
static unsigned long ev_acquire, ev_soft, ev_hard;
static int encap_fd = -1;

static int ctrl_group(const struct nlattr *a, void *data)
{
	const struct nlattr *g, *f;
	uint32_t id = 0;
	const char *name = NULL;

	(void)data;
	if (mnl_attr_get_type(a) != CTRL_ATTR_MCAST_GROUPS)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(g, a) {
		id = 0;
		name = NULL;
		mnl_attr_for_each_nested(f, g) {
			if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_ID &&
			    mnl_attr_validate(f, MNL_TYPE_U32) == 0)
				id = mnl_attr_get_u32(f);
			if (mnl_attr_get_type(f) == CTRL_ATTR_MCAST_GRP_NAME &&
			    mnl_attr_validate(f, MNL_TYPE_NUL_STRING) == 0)
				name = mnl_attr_get_str(f);
		}
		if (name && strcmp(name, SECGW_ESP_MCGRP_EVENTS) == 0)
			events_group = id;
	}
	return MNL_CB_OK;
}

static int on_ctrl_groups(const struct nlmsghdr *nlh, void *data)
{
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), ctrl_attr, data);
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), ctrl_group, data);
}

static int resolve(struct mnl_socket *nl, struct reply *r)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;

	memset(r, 0, sizeof(*r));
	nlh = put_request(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, SECGW_ESP_GENL_NAME);
	if (transact(nl, nlh, on_ctrl_groups, r) < 0)
		return EXIT_LOCAL;
	if (r->error || !r->family_id)
		return EXIT_NO_FAMILY;
	family_id = r->family_id;
	memset(r, 0, sizeof(*r));
	return EXIT_ANSWERED;
}

static void appendf(struct reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void appendf(struct reply *r, const char *fmt, ...)
{
	size_t n = strlen(r->text);
	va_list ap;

	if (n >= sizeof(r->text) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(r->text + n, sizeof(r->text) - n, fmt, ap);
	va_end(ap);
}

static int nested_u64(const struct nlattr *nest, struct reply *r, const char *(*name)(unsigned))
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			appendf(r, " %s=%llu", name(mnl_attr_get_type(a)),
				(unsigned long long)mnl_attr_get_u64(a));
	return MNL_CB_OK;
}

static const char *drop_name(unsigned t)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "drop_%s", esp_drop_name(t));
	return buf;
}

static const char *ctr_name(unsigned t)
{
	static const char *const names[SECGW_ESP_CTR_MAX + 1] = {
		[SECGW_ESP_CTR_PACKETS_IN] = "packets_in",
		[SECGW_ESP_CTR_PACKETS_OUT] = "packets_out",
		[SECGW_ESP_CTR_KEEPALIVES] = "keepalives",
		[SECGW_ESP_CTR_IKE] = "ike",
		[SECGW_ESP_CTR_PASSED_ON] = "passed_on",
		[SECGW_ESP_CTR_TX_ERRORS] = "tx_errors",
		[SECGW_ESP_CTR_NO_ROUTE] = "no_route",
		[SECGW_ESP_CTR_LOOP] = "loop",
		[SECGW_ESP_CTR_ACQUIRES] = "acquires",
		[SECGW_ESP_CTR_EVENTS_LOST] = "events_lost",
		[SECGW_ESP_CTR_DEFERRED] = "deferred",
		[SECGW_ESP_CTR_ASYNC] = "async",
		[SECGW_ESP_CTR_BYPASSED] = "bypassed",
		[SECGW_ESP_CTR_OBJ_SAS] = "obj_sas",
		[SECGW_ESP_CTR_OBJ_TABLES] = "obj_tables",
		[SECGW_ESP_CTR_OBJ_SOCKETS] = "obj_sockets",
		[SECGW_ESP_CTR_OBJ_QUEUED] = "obj_queued",
	};

	return t <= SECGW_ESP_CTR_MAX && names[t] ? names[t] : "unknown";
}

static int data_attr(const struct nlattr *a, void *data)
{
	struct reply *r = data;

	switch (mnl_attr_get_type(a)) {
	case SECGW_ESP_A_SA_BYTES:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			appendf(r, " bytes %llu", (unsigned long long)mnl_attr_get_u64(a));
		break;
	case SECGW_ESP_A_SA_PACKETS:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			appendf(r, " packets %llu", (unsigned long long)mnl_attr_get_u64(a));
		break;
	case SECGW_ESP_A_DROPS:
		return nested_u64(a, r, drop_name);
	case SECGW_ESP_A_COUNTERS:
		return nested_u64(a, r, ctr_name);
	}
	return MNL_CB_OK;
}

/* Replies, and events that arrived in between (counted, not printed). */
static int on_data(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
		return MNL_CB_OK;
	if (g->cmd == SECGW_ESP_CMD_EVENT_ACQUIRE) {
		ev_acquire++;
		return MNL_CB_OK;
	}
	if (g->cmd == SECGW_ESP_CMD_EVENT_EXPIRE) {
		int hard = 0;

		mnl_attr_for_each(a, nlh, sizeof(*g))
			hard |= mnl_attr_get_type(a) == SECGW_ESP_A_EXPIRE_HARD;
		hard ? ev_hard++ : ev_soft++;
		return MNL_CB_OK;
	}
	return mnl_attr_parse(nlh, sizeof(*g), data_attr, data);
}

/* key=value words */
static const char *arg(int argc, char **argv, const char *key)
{
	size_t n = strlen(key);
	int i;

	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

static int parse_addr(const char *s, uint8_t out[ADDR_BYTES], uint8_t *family)
{
	memset(out, 0, ADDR_BYTES);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = 6;
		return 0;
	}
	return -1;
}

/* "ADDR/PLEN" (or ADDR alone) -> a nested selector of the whole range. */
static int put_cidr(struct nlmsghdr *nlh, uint16_t type, const char *s)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	uint8_t lo[ADDR_BYTES], hi[ADDR_BYTES], family;
	unsigned plen, bits, i;
	struct nlattr *nest;

	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (parse_addr(addr, lo, &family) < 0)
		return -1;
	bits = family == 4 ? 32 : 128;
	plen = slash ? (unsigned)strtoul(slash + 1, NULL, 10) : bits;
	if (plen > bits)
		return -1;
	memcpy(hi, lo, sizeof(hi));
	for (i = plen; i < bits; i++) {
		lo[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		hi[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	}
	nest = mnl_attr_nest_start(nlh, type);
	mnl_attr_put_u8(nlh, SECGW_ESP_SEL_FAMILY, family);
	mnl_attr_put(nlh, SECGW_ESP_SEL_LO, ADDR_BYTES, lo);
	mnl_attr_put(nlh, SECGW_ESP_SEL_HI, ADDR_BYTES, hi);
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

static int put_ts(struct nlmsghdr *nlh, uint16_t type, const char *cidr)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	if (put_cidr(nlh, SECGW_ESP_A_TS_SEL, cidr) < 0)
		return -1;
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

static int put_dir(struct nlmsghdr *nlh, const char *dir)
{
	if (!dir || (strcmp(dir, "in") && strcmp(dir, "out")))
		return -1;
	mnl_attr_put_u8(nlh, SECGW_ESP_A_SA_DIR, strcmp(dir, "in") == 0 ? ESP_DIR_IN : ESP_DIR_OUT);
	return 0;
}

/* SPI and destination (and family) of an SA name. */
static int put_name(struct nlmsghdr *nlh, const char *spi, const char *dst)
{
	uint8_t a[ADDR_BYTES], family;

	if (!spi || !dst || parse_addr(dst, a, &family) < 0)
		return -1;
	mnl_attr_put_u32(nlh, SECGW_ESP_A_SA_SPI, (uint32_t)strtoul(spi, NULL, 0));
	mnl_attr_put_u8(nlh, SECGW_ESP_A_SA_FAMILY, family);
	mnl_attr_put(nlh, SECGW_ESP_A_SA_DST, ADDR_BYTES, a);
	return 0;
}

static int build_sa_add(struct nlmsghdr *nlh, int argc, char **argv)
{
	const char *mode = arg(argc, argv, "mode"), *src = arg(argc, argv, "src");
	const char *alg = arg(argc, argv, "alg"), *key = arg(argc, argv, "key");
	const char *lts = arg(argc, argv, "lts"), *rts = arg(argc, argv, "rts");
	const char *encap = arg(argc, argv, "encap"), *win = arg(argc, argv, "window");
	const char *hp = arg(argc, argv, "hard-packets"), *sp = arg(argc, argv, "soft-packets");
	uint8_t a[ADDR_BYTES], k[64], family;
	size_t klen;

	if (put_dir(nlh, arg(argc, argv, "dir")) < 0 ||
	    put_name(nlh, arg(argc, argv, "spi"), arg(argc, argv, "dst")) < 0 ||
	    !mode || !src || !alg || !key || !lts || !rts || parse_addr(src, a, &family) < 0)
		return -1;
	if (strncmp(key, "0x", 2) == 0)
		key += 2;
	if (hex_decode(key, k, sizeof(k), &klen) < 0)
		return -1;
	mnl_attr_put_u8(nlh, SECGW_ESP_A_SA_MODE,
			strcmp(mode, "tunnel") == 0 ? ESP_MODE_TUNNEL : ESP_MODE_TRANSPORT);
	mnl_attr_put(nlh, SECGW_ESP_A_SA_SRC, ADDR_BYTES, a);
	mnl_attr_put_strz(nlh, SECGW_ESP_A_SA_ALG, alg);
	mnl_attr_put(nlh, SECGW_ESP_A_SA_KEY, klen, k);
	if (encap) {
		mnl_attr_put_u16(nlh, SECGW_ESP_A_SA_ENCAP_SPORT, (uint16_t)atoi(encap));
		mnl_attr_put_u16(nlh, SECGW_ESP_A_SA_ENCAP_DPORT, (uint16_t)atoi(encap));
	}
	if (win)
		mnl_attr_put_u32(nlh, SECGW_ESP_A_SA_REPLAY_WINDOW, (uint32_t)atoi(win));
	if (hp)
		mnl_attr_put_u64(nlh, SECGW_ESP_A_SA_HARD_PACKETS, strtoull(hp, NULL, 0));
	if (sp)
		mnl_attr_put_u64(nlh, SECGW_ESP_A_SA_SOFT_PACKETS, strtoull(sp, NULL, 0));
	return put_ts(nlh, SECGW_ESP_A_SA_LOCAL_TS, lts) < 0 ||
	       put_ts(nlh, SECGW_ESP_A_SA_REMOTE_TS, rts) < 0 ? -1 : 0;
}

static int build_policy_add(struct nlmsghdr *nlh, int argc, char **argv)
{
	const char *id = arg(argc, argv, "id"), *action = arg(argc, argv, "action");
	const char *src = arg(argc, argv, "src"), *dst = arg(argc, argv, "dst");
	const char *spi = arg(argc, argv, "spi"), *sadst = arg(argc, argv, "sadst");
	uint8_t act;

	if (!id || !action || !src || !dst)
		return -1;
	act = strcmp(action, "protect") == 0 ? 1 : strcmp(action, "bypass") == 0 ? 2 :
	      strcmp(action, "discard") == 0 ? 3 : 0;
	if (!act)
		return -1;
	mnl_attr_put_u32(nlh, SECGW_ESP_A_POL_ID, (uint32_t)strtoul(id, NULL, 0));
	mnl_attr_put_u8(nlh, SECGW_ESP_A_POL_ACTION, act);
	if (put_cidr(nlh, SECGW_ESP_A_POL_SRC, src) < 0 || put_cidr(nlh, SECGW_ESP_A_POL_DST, dst) < 0)
		return -1;
	if (spi && put_name(nlh, spi, sadst) < 0)
		return -1;
	return 0;
}

/* A dual-stack UDP socket on port, handed to the module, kept open. */
static int encap_open(unsigned port, struct reply *r)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	int off = 0, fd = socket(AF_INET6, SOCK_DGRAM, 0);

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r->error = errno;
		snprintf(r->message, sizeof(r->message), "UDP socket on port %u: %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One control command; prints "ok[ text]" or "error ENAME: message". */
static int control(struct mnl_socket *nl, int argc, char **argv)
{
	char buf[NL_BUF_SIZE];
	struct nlmsghdr *nlh;
	struct reply r;
	const char *c = argv[0];
	int rc, bad = 0, fd = -1;
	uint8_t cmd;

	if (strcmp(c, "unprivileged") == 0) {
		/* From here on this espnl is nobody: no CAP_NET_ADMIN. */
		if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0) {
			printf("error %s: dropping privileges\n", strerrorname_np(errno));
			return EXIT_LOCAL;
		}
		printf("ok\n");
		return EXIT_ANSWERED;
	}
	rc = resolve(nl, &r);
	if (rc != EXIT_ANSWERED) {
		printf("error ENOENT: generic netlink family %s not found\n", SECGW_ESP_GENL_NAME);
		return rc;
	}
	if (strcmp(c, "events") == 0) {
		if (events_group && mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &events_group,
							  sizeof(events_group)) < 0) {
			printf("error %s: joining the events group\n", strerrorname_np(errno));
			return EXIT_LOCAL;
		}
		printf("events acquire=%lu soft=%lu hard=%lu\n", ev_acquire, ev_soft, ev_hard);
		return EXIT_ANSWERED;
	}
	if (strcmp(c, "sa-add") == 0)
		cmd = SECGW_ESP_CMD_SA_ADD;
	else if (strcmp(c, "sa-del") == 0)
		cmd = SECGW_ESP_CMD_SA_DEL;
	else if (strcmp(c, "sa-get") == 0)
		cmd = SECGW_ESP_CMD_SA_GET;
	else if (strcmp(c, "policy-add") == 0)
		cmd = SECGW_ESP_CMD_POLICY_ADD;
	else if (strcmp(c, "policy-del") == 0)
		cmd = SECGW_ESP_CMD_POLICY_DEL;
	else if (strcmp(c, "flush") == 0)
		cmd = SECGW_ESP_CMD_FLUSH;
	else if (strcmp(c, "stats") == 0)
		cmd = SECGW_ESP_CMD_STATS;
	else if (strcmp(c, "mark") == 0)
		cmd = SECGW_ESP_CMD_SET_CONFIG;
	else if (strcmp(c, "encap") == 0)
		cmd = SECGW_ESP_CMD_ENCAP_ATTACH;
	else if (strcmp(c, "raw") == 0 && argc == 3)
		cmd = (uint8_t)atoi(argv[1]);
	else {
		printf("error usage: unknown command %s\n", c);
		return EXIT_USAGE;
	}
	nlh = put_request(buf, family_id, cmd, SECGW_ESP_GENL_VERSION);
	switch (cmd) {
	case SECGW_ESP_CMD_SA_ADD:
		if (strcmp(c, "raw") != 0)
			bad = build_sa_add(nlh, argc, argv);
		break;
	case SECGW_ESP_CMD_SA_DEL:
	case SECGW_ESP_CMD_SA_GET:
		if (strcmp(c, "raw") != 0)
			bad = put_dir(nlh, arg(argc, argv, "dir")) < 0 ||
			      put_name(nlh, arg(argc, argv, "spi"), arg(argc, argv, "dst")) < 0;
		break;
	case SECGW_ESP_CMD_POLICY_ADD:
		if (strcmp(c, "raw") != 0)
			bad = build_policy_add(nlh, argc, argv);
		break;
	case SECGW_ESP_CMD_POLICY_DEL:
		if (strcmp(c, "raw") != 0) {
			const char *id = arg(argc, argv, "id");

			bad = !id;
			if (id)
				mnl_attr_put_u32(nlh, SECGW_ESP_A_POL_ID, (uint32_t)strtoul(id, NULL, 0));
		}
		break;
	case SECGW_ESP_CMD_SET_CONFIG:
		if (strcmp(c, "raw") != 0) {
			bad = argc != 2;
			if (!bad)
				mnl_attr_put_u32(nlh, SECGW_ESP_A_OUT_MARK, (uint32_t)strtoul(argv[1], NULL, 0));
		}
		break;
	case SECGW_ESP_CMD_ENCAP_ATTACH:
		if (strcmp(c, "raw") != 0) {
			bad = argc != 2;
			if (!bad) {
				fd = encap_open((unsigned)atoi(argv[1]), &r);
				if (fd < 0) {
					printf("error %s: %s\n", strerrorname_np(r.error), r.message);
					return EXIT_LOCAL;
				}
				mnl_attr_put_u32(nlh, SECGW_ESP_A_FD, (uint32_t)fd);
			}
		}
		break;
	}
	if (strcmp(c, "raw") == 0) {
		uint8_t raw[RAW_ATTRS_MAX];
		size_t raw_len;

		if (hex_decode(argv[2], raw, sizeof(raw), &raw_len) < 0) {
			printf("error usage: HEX\n");
			return EXIT_USAGE;
		}
		memcpy((char *)nlh + nlh->nlmsg_len, raw, raw_len);
		nlh->nlmsg_len += (uint32_t)raw_len;
	}
	if (bad) {
		printf("error usage: bad or missing arguments for %s\n", c);
		return EXIT_USAGE;
	}
	memset(&r, 0, sizeof(r));
	if (transact(nl, nlh, on_data, &r) < 0) {
		printf("error %s: netlink: %s\n", strerrorname_np(errno), strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_LOCAL;
	}
	if (r.error) {
		printf("error %s: %s\n", strerrorname_np(r.error),
		       r.message[0] ? r.message : strerror(r.error));
		if (fd >= 0)
			close(fd);
		return EXIT_REFUSED;
	}
	if (fd >= 0) {
		if (encap_fd >= 0)
			close(encap_fd);
		encap_fd = fd;
	}
	printf("ok%s\n", r.text);
	return EXIT_ANSWERED;
}

static void usage(void)
{
	fprintf(stderr, "usage: espnl version\n"
			"       espnl get-info HEX   (raw attribute bytes, up to %d)\n"
			"       espnl loop [MS]      (until SIGTERM; MS pause, 0-%d)\n"
			"       espnl batch          (version / get-info HEX lines on stdin)\n",
		RAW_ATTRS_MAX, LOOP_PAUSE_MAX_MS);
}

/* One version or get-info command: prints its one result line. */
static int one_command(struct mnl_socket *nl, int argc, char **argv)
{
	uint8_t raw[RAW_ATTRS_MAX];
	size_t raw_len = 0;
	struct reply r;
	int rc;

	if (argc == 1 && strcmp(argv[0], "version") == 0) {
		/* no attributes */
	} else if (argc == 2 && strcmp(argv[0], "get-info") == 0) {
		if (hex_decode(argv[1], raw, sizeof(raw), &raw_len) < 0) {
			printf("error usage: HEX must be an even number of hex digits, at most %d bytes\n",
			       RAW_ATTRS_MAX);
			return EXIT_USAGE;
		}
	} else if (argc >= 1) {
		return control(nl, argc, argv);
	} else {
		printf("error usage: version | get-info HEX | control command\n");
		return EXIT_USAGE;
	}
	rc = query(nl, raw, raw_len, &r);
	switch (rc) {
	case EXIT_ANSWERED:
		printf("version %u\n", r.version);
		break;
	case EXIT_NO_FAMILY:
		printf("error %s: generic netlink family %s not found\n",
		       strerrorname_np(r.error), SECGW_ESP_GENL_NAME);
		break;
	case EXIT_REFUSED:
		printf("error %s: %s\n", strerrorname_np(r.error),
		       r.message[0] ? r.message : strerror(r.error));
		break;
	default:
		printf("error %s: netlink: %s\n", strerrorname_np(errno), strerror(errno));
	}
	return rc;
}

/*
 * Commands from stdin, one per line, one result line each, flushed: a test
 * keeps one espnl as a coprocess instead of starting one per question
 * (every exec is expensive under TCG). Ends at EOF, exit status 0.
 */
static int batch(struct mnl_socket *nl)
{
	char line[2 * RAW_ATTRS_MAX + 64];
	char *words[WORDS_MAX + 1];

	while (fgets(line, sizeof(line), stdin)) {
		int n = 0;
		char *save = NULL, *w;

		if (!strchr(line, '\n') && !feof(stdin)) {
			int c;

			while ((c = getchar()) != EOF && c != '\n')
				;
			printf("error usage: line longer than %zu bytes\n", sizeof(line) - 2);
			fflush(stdout);
			continue;
		}
		for (w = strtok_r(line, " \t\n", &save); w && n <= WORDS_MAX;
		     w = strtok_r(NULL, " \t\n", &save))
			words[n++] = w;
		if (n == 0)
			continue;
		if (n > WORDS_MAX) {
			printf("error usage: more than %d words\n", WORDS_MAX);
			fflush(stdout);
			continue;
		}
		one_command(nl, n, words);
		fflush(stdout);
	}
	return EXIT_ANSWERED;
}

int main(int argc, char **argv)
{
	struct mnl_socket *nl;
	int one = 1, rc = EXIT_LOCAL;
	unsigned long pause_ms = 0;
	enum { ONE, LOOP, BATCH } mode = ONE;

	if (argc == 2 && strcmp(argv[1], "batch") == 0) {
		mode = BATCH;
	} else if ((argc == 2 || argc == 3) && strcmp(argv[1], "loop") == 0) {
		char *end = NULL;

		mode = LOOP;
		if (argc == 3) {
			errno = 0;
			pause_ms = strtoul(argv[2], &end, 10);
			if (errno || *end || end == argv[2] || pause_ms > LOOP_PAUSE_MAX_MS) {
				usage();
				return EXIT_USAGE;
			}
		}
	} else if (argc < 2) {
		usage();
		return EXIT_USAGE;
	}

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("espnl: netlink socket");
		goto out;
	}
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));

	switch (mode) {
	case LOOP:
		rc = loop(nl, (unsigned)pause_ms);
		break;
	case BATCH:
		rc = batch(nl);
		break;
	default:
		rc = one_command(nl, argc - 1, argv + 1);
	}
out:
	if (nl)
		mnl_socket_close(nl);
	return rc;
}
