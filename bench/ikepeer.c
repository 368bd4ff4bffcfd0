// SPDX-License-Identifier: MIT
/*
 * ikepeer — the IKEv2 engine on real UDP sockets, without a datapath: the
 * load generator of bench/ike.sh and a small IKE peer for interoperability
 * tests. It binds UDP 500 and 4500 (or --port/--natt-port) on one address,
 * runs the engine in a poll loop, and prints one line per event on stdout:
 *
 *   ike-up NAME … | child-up NAME/CHILD spi_in=… spi_out=… | rekeyed … |
 *   child-down … | ike-down … | auth-failed … | negotiation-failed …
 *   install NAME/CHILD spi_in=… spi_out=… LOCAL[port] -> REMOTE[port] encap=… mode=…
 *   all-up N SECONDS RATE    (with --count, once N IKE+CHILD SAs are up)
 *   stats rx=… tx=… dropped=… retransmits=… …   (on SIGTERM, before the deletes)
 *
 * With --count N it makes N connections with distinct identities
 * (ID-PREFIX-i@…) and keeps --parallel of them negotiating at once; a
 * single-address --local-ts then counts up by one per connection.
 * SIGTERM: delete every SA and exit; SIGUSR1: terminate every connection;
 * SIGUSR2: rekey every IKE SA; SIGHUP: rekey every CHILD SA.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ikev2/ike.h"
#include "log.h"

enum { RX_MAX = 65536 };

static struct {
	int s500, s4500, sfd;
	struct ike_endpoint local;
	uint16_t natt_port;
	struct ike_engine *e;
	unsigned count, parallel, started, up, children_up;
	uint64_t t0;
	bool all_up_printed;
	bool want_more;		/* start more from the loop, not from a callback */
	char **names;
} g;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static socklen_t to_sockaddr(const struct ike_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->addr.family == IPF_V6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ep->port);
		memcpy(&s6->sin6_addr, ep->addr.b, 16);
		return sizeof(*s6);
	}
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->addr.b, 4);
		return sizeof(*s4);
	}
}

static void from_sockaddr(const struct sockaddr_storage *ss, struct ike_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		ep->addr.family = IPF_V6;
		memcpy(ep->addr.b, &s6->sin6_addr, 16);
		ep->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		ep->addr.family = IPF_V4;
		memcpy(ep->addr.b, &s4->sin_addr, 4);
		ep->port = ntohs(s4->sin_port);
	}
}

static int udp_bind(const struct ike_endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(ep, &ss);
	int s = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 4 << 20;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(s, (struct sockaddr *)&ss, sl) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static void do_send(void *ctx, const struct ike_endpoint *from, const struct ike_endpoint *to,
		    const uint8_t *data, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = to_sockaddr(to, &ss);
	int s = from->port == g.natt_port ? g.s4500 : g.s500;

	if (sendto(s, data, len, 0, (struct sockaddr *)&ss, sl) < 0 && errno != EAGAIN)
		log_warn("sendto: %s", strerror(errno));
}

static void on_event(void *ctx, const struct ike_event *ev)
{
	printf("%s %s%s%s", ike_event_name(ev->type), ev->conn, ev->child ? "/" : "",
	       ev->child ? ev->child : "");
	if (ev->spi_in)
		printf(" spi_in=%08x spi_out=%08x", ev->spi_in, ev->spi_out);
	if (ev->proposal)
		printf(" proposal=%s", ev->proposal);
	if (ev->stage)
		printf(" stage=%s", ev->stage);
	if (ev->reason)
		printf(" reason=\"%s\"", ev->reason);
	printf("\n");
	for (unsigned i = 0; i < ev->n_offered; i++)
		printf("  offered  %s\n", ev->offered[i]);
	for (unsigned i = 0; i < ev->n_accepted; i++)
		printf("  accepted %s\n", ev->accepted[i]);
	if (ev->type == IKE_EV_IKE_UP)
		g.up++;
	if (ev->type == IKE_EV_CHILD_UP)
		g.children_up++;
	if (g.count && !g.all_up_printed && g.children_up >= g.count) {
		double s = (double)(now_ms() - g.t0) / 1000.0;

		printf("all-up %u %.3f %.1f\n", g.count, s, s > 0 ? g.count / s : 0.0);
		g.all_up_printed = true;
	}
	fflush(stdout);
	/* Callbacks must not call back into the engine: the loop starts them. */
	if (g.count && (ev->type == IKE_EV_CHILD_UP || ev->type == IKE_EV_IKE_DOWN ||
			ev->type == IKE_EV_AUTH_FAILED || ev->type == IKE_EV_NEG_FAILED))
		g.want_more = true;
}

static int on_install(void *ctx, const struct ike_child_sa *sa)
{
	char l[ADDR_STR_MAX], r[ADDR_STR_MAX];

	/* No datapath: the bench and the IKE tests need none; say what a
	 * datapath would have been given, keys aside. */
	if (!g.count)
		printf("install %s/%s spi_in=%08x spi_out=%08x %s[%u] -> %s[%u] encap=%s mode=%s\n",
		       sa->conn, sa->child, sa->spi_in, sa->spi_out,
		       addr_format(&sa->local.addr, l, sizeof(l)), sa->local.port,
		       addr_format(&sa->remote.addr, r, sizeof(r)), sa->remote.port,
		       sa->encap ? "yes" : "no", sa->mode == IKE_MODE_TRANSPORT ? "transport" : "tunnel");
	return 0;
}

static void on_remove(void *ctx, const struct ike_child_sa *sa)
{
}

static void start_more(void)
{
	uint64_t now = now_ms();

	while (g.started < g.count && g.started - g.children_up < g.parallel) {
		ike_initiate(g.e, g.names[g.started], NULL, now);
		g.started++;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ikepeer --local ADDR --remote ADDR --psk PSK [--local-id ID] [--remote-id ID]\n"
		"  [--ike PROP]... [--esp PROP]... [--local-ts TS] [--remote-ts TS] [--mode tunnel|transport]\n"
		"  [--initiate] [--count N [--parallel P] [--id-prefix P]] [--rekey-time S]\n"
		"  [--child-rekey-time S] [--dpd S] [--dpd-action clear|restart] [--nat-t auto|force|off]\n"
		"  [--port P] [--natt-port P] [--retransmit-ms MS] [--tries N] [--half-open-max N]\n"
		"  [--cookie-threshold N] [--log LEVEL]\n");
	exit(2);
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "ikepeer: %s: %s\n", what, why);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct ike_conn_cfg c;
	static struct ike_child_cfg ch;
	struct ike_opts o = { 0 };
	struct ike_env env = { .send = do_send, .event = on_event, .child_install = on_install,
			       .child_remove = on_remove };
	const char *local = NULL, *remote = NULL, *psk = NULL, *lid = "", *rid = "%any";
	const char *prefix = "load", *err;
	bool initiate = false;
	unsigned plen;
	int opt, lvl = LOG_LVL_WARN;
	uint16_t port = 500;
	sigset_t ss;
	static const struct option lo[] = {
		{ "local", 1, 0, 'l' }, { "remote", 1, 0, 'r' }, { "psk", 1, 0, 'k' },
		{ "local-id", 1, 0, 'L' }, { "remote-id", 1, 0, 'R' }, { "ike", 1, 0, 'i' },
		{ "esp", 1, 0, 'e' }, { "local-ts", 1, 0, 't' }, { "remote-ts", 1, 0, 'T' },
		{ "mode", 1, 0, 'm' }, { "initiate", 0, 0, 'I' }, { "count", 1, 0, 'n' },
		{ "parallel", 1, 0, 'p' }, { "id-prefix", 1, 0, 'x' }, { "rekey-time", 1, 0, 'K' },
		{ "child-rekey-time", 1, 0, 'C' }, { "dpd", 1, 0, 'd' }, { "dpd-action", 1, 0, 'a' },
		{ "nat-t", 1, 0, 'N' }, { "port", 1, 0, 'P' }, { "natt-port", 1, 0, 'Q' },
		{ "retransmit-ms", 1, 0, 'M' }, { "tries", 1, 0, 'y' }, { "half-open-max", 1, 0, 'h' },
		{ "cookie-threshold", 1, 0, 'c' }, { "log", 1, 0, 'v' }, { 0, 0, 0, 0 },
	};

	memset(&c, 0, sizeof(c));
	memset(&ch, 0, sizeof(ch));
	snprintf(c.name, sizeof(c.name), "peer");
	snprintf(ch.name, sizeof(ch.name), "net");
	c.rekey_time = 14400;
	ch.rekey_time = 3600;
	ch.replay_window = 128;
	g.natt_port = IKE_NATT_PORT;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'l': local = optarg; break;
		case 'r': remote = optarg; break;
		case 'k': psk = optarg; break;
		case 'L': lid = optarg; break;
		case 'R': rid = optarg; break;
		case 'i':
			if (c.n_ike >= IKE_CFG_MAX_PROPS)
				die("--ike", "too many");
			if ((err = proposal_parse(PROP_IKE, optarg, &c.ike[c.n_ike++])))
				die(optarg, err);
			break;
		case 'e':
			if (ch.n_esp >= IKE_CFG_MAX_PROPS)
				die("--esp", "too many");
			if ((err = proposal_parse(PROP_ESP, optarg, &ch.esp[ch.n_esp++])))
				die(optarg, err);
			break;
		case 't':
			if (ch.n_local_ts >= IKE_CFG_MAX_TS || (err = ts_parse(optarg, &ch.local_ts[ch.n_local_ts++])))
				die(optarg, "bad traffic selector");
			break;
		case 'T':
			if (ch.n_remote_ts >= IKE_CFG_MAX_TS || (err = ts_parse(optarg, &ch.remote_ts[ch.n_remote_ts++])))
				die(optarg, "bad traffic selector");
			break;
		case 'm': ch.mode = strcmp(optarg, "transport") ? IKE_MODE_TUNNEL : IKE_MODE_TRANSPORT; break;
		case 'I': initiate = true; break;
		case 'n': g.count = (unsigned)atoi(optarg); break;
		case 'p': g.parallel = (unsigned)atoi(optarg); break;
		case 'x': prefix = optarg; break;
		case 'K': c.rekey_time = (uint32_t)atoi(optarg); break;
		case 'C': ch.rekey_time = (uint32_t)atoi(optarg); break;
		case 'd': c.dpd_delay = (uint32_t)atoi(optarg); break;
		case 'a': c.dpd_action = strcmp(optarg, "restart") ? IKE_DPD_CLEAR : IKE_DPD_RESTART; break;
		case 'N':
			c.nat_t = !strcmp(optarg, "force") ? IKE_NAT_FORCE
				: !strcmp(optarg, "off") ? IKE_NAT_OFF : IKE_NAT_AUTO;
			break;
		case 'P': port = (uint16_t)atoi(optarg); break;
		case 'Q': g.natt_port = (uint16_t)atoi(optarg); break;
		case 'M': o.retransmit_ms = (uint32_t)atoi(optarg); break;
		case 'y': o.retransmit_tries = (uint8_t)atoi(optarg); break;
		case 'h': o.half_open_max = (uint32_t)atoi(optarg); break;
		case 'c': o.cookie_threshold = (uint32_t)atoi(optarg); break;
		case 'v': lvl = log_level_parse(optarg); break;
		default: usage();
		}
	}
	if (!local || !remote || !psk)
		usage();
	log_init("ikepeer", "stderr", lvl < 0 ? LOG_LVL_WARN : (enum log_level)lvl);
	if (!c.n_ike)
		proposal_parse(PROP_IKE, "chacha20poly1305-prfsha256-x25519", &c.ike[c.n_ike++]);
	if (!ch.n_esp)
		proposal_parse(PROP_ESP, "chacha20poly1305", &ch.esp[ch.n_esp++]);
	if (!ch.n_local_ts)
		ts_parse("dynamic", &ch.local_ts[ch.n_local_ts++]);
	if (!ch.n_remote_ts)
		ts_parse("dynamic", &ch.remote_ts[ch.n_remote_ts++]);
	c.n_local = c.n_remote = 1;
	if ((err = addr_parse_endpoint(local, &c.local_addrs[0], &plen)))
		die(local, err);
	c.local_plen[0] = (uint8_t)plen;
	if ((err = addr_parse_endpoint(remote, &c.remote_addrs[0], &plen)))
		die(remote, err);
	c.remote_plen[0] = (uint8_t)plen;
	c.local_port = port;
	c.remote_port = port;
	if ((err = ike_id_parse(lid, &c.local_id)) || (err = ike_id_parse(rid, &c.remote_id)))
		die("identity", err);
	c.psk_len = (uint16_t)strlen(psk);
	if (c.psk_len > IKE_PSK_MAX)
		die("--psk", "too long");
	memcpy(c.psk, psk, c.psk_len);
	c.n_children = 1;
	c.children = &ch;
	o.natt_port = g.natt_port;

	g.local.addr = c.local_addrs[0];
	g.local.port = port;
	g.s500 = udp_bind(&g.local);
	g.local.port = g.natt_port;
	g.s4500 = udp_bind(&g.local);
	if (g.s500 < 0 || g.s4500 < 0)
		die("bind", strerror(errno));
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	g.sfd = signalfd(-1, &ss, SFD_CLOEXEC);
	g.e = ike_engine_new(&o, &env);
	if (!g.e)
		die("engine", "cannot start");
	if (g.count) {
		g.names = calloc(g.count, sizeof(*g.names));
		if (!g.parallel)
			g.parallel = 16;
		for (unsigned i = 0; i < g.count; i++) {
			char id[IKE_IDENT_MAX];

			snprintf(c.name, sizeof(c.name), "%s%u", prefix, i);
			/* A single-address local selector counts up per SA, so
			 * that every CHILD SA covers its own inside host (a
			 * responder that routes per child needs distinct ones). */
			if (ch.local_ts[0].family == IPF_V4 && !ch.local_ts[0].dynamic &&
			    !memcmp(ch.local_ts[0].lo, ch.local_ts[0].hi, 4)) {
				static uint32_t base;
				uint8_t *b = ch.local_ts[0].lo;

				if (i == 0)
					base = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
				b[0] = (uint8_t)((base + i) >> 24);
				b[1] = (uint8_t)((base + i) >> 16);
				b[2] = (uint8_t)((base + i) >> 8);
				b[3] = (uint8_t)(base + i);
				memcpy(ch.local_ts[0].hi, b, 4);
			}
			snprintf(id, sizeof(id), "%s-%u@load.test", prefix, i);
			if ((err = ike_id_parse(id, &c.local_id)) || (err = ike_conn_add(g.e, &c, now_ms())))
				die(c.name, err);
			g.names[i] = strdup(c.name);
		}
		g.t0 = now_ms();
		start_more();
	} else {
		if ((err = ike_conn_add(g.e, &c, now_ms())))
			die("connection", err);
		if (initiate)
			ike_initiate(g.e, c.name, NULL, now_ms());
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		static uint8_t buf[RX_MAX];
		struct pollfd pf[3] = { { g.s500, POLLIN, 0 }, { g.s4500, POLLIN, 0 }, { g.sfd, POLLIN, 0 } };
		uint64_t now = now_ms(), next = ike_next_timer(g.e);
		int timeout = next == UINT64_MAX ? -1 : next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);

		if (poll(pf, 3, timeout) < 0 && errno != EINTR)
			die("poll", strerror(errno));
		for (int i = 0; i < 2; i++) {
			/* Drain, but bounded, so timers and signals get their turn. */
			for (int k = 0; k < 64 && (pf[i].revents & POLLIN); k++) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				ssize_t n = recvfrom(pf[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
				struct ike_endpoint f, t = g.local;

				if (n < 0)
					break;
				from_sockaddr(&from, &f);
				t.port = i ? g.natt_port : port;
				ike_input(g.e, &f, &t, buf, (size_t)n, now_ms());
			}
		}
		if (pf[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(g.sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
					struct ike_stats st;

					ike_get_stats(g.e, &st);
					printf("stats rx=%llu tx=%llu dropped=%llu retransmits=%llu replays=%llu "
					       "cookies=%llu ike_sas=%u half_open=%u\n",
					       (unsigned long long)st.rx, (unsigned long long)st.tx,
					       (unsigned long long)st.rx_dropped, (unsigned long long)st.retransmits,
					       (unsigned long long)st.replays, (unsigned long long)st.cookies_sent,
					       st.ike_sas, st.half_open);
					ike_shutdown(g.e, now_ms());
					printf("shutdown\n");
					fflush(stdout);
					ike_engine_free(g.e);
					return 0;
				}
				for (unsigned i = 0; i < (g.count ? g.count : 1); i++) {
					const char *n = g.count ? g.names[i] : c.name;

					if (si.ssi_signo == SIGUSR1)
						ike_terminate(g.e, n, NULL, now_ms());
					else if (si.ssi_signo == SIGUSR2)
						ike_rekey(g.e, n, NULL, true, now_ms());
					else if (si.ssi_signo == SIGHUP)
						ike_rekey(g.e, n, NULL, false, now_ms());
				}
			}
		}
		ike_tick(g.e, now_ms());
		if (g.want_more) {
			g.want_more = false;
			start_more();
		}
	}
}
