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
 * Exit status: 0 answered (loop: no error but ENOENT), 1 refused by the
 * kernel (errno name printed), 2 usage, 3 the family is not registered,
 * 4 local failure.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kmod/linux/secgw_esp.h"

enum {
	RAW_ATTRS_MAX = 512,	/* bytes of hand-made attributes accepted */
	LOOP_PAUSE_MAX_MS = 10000,
	NL_BUF_SIZE = 8192,	/* libmnl's suggested size, as a constant */
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
	} else {
		printf("error usage: version | get-info HEX\n");
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
	char *words[3];

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
		for (w = strtok_r(line, " \t\n", &save); w && n < 3; w = strtok_r(NULL, " \t\n", &save))
			words[n++] = w;
		if (n == 0)
			continue;
		if (w)
			n = 3;	/* more words than any command takes */
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
	} else if (!((argc == 2 && strcmp(argv[1], "version") == 0) ||
		     (argc == 3 && strcmp(argv[1], "get-info") == 0))) {
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
