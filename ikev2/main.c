// SPDX-License-Identifier: MIT
/*
 * secgw-iked: the IKEv2 daemon and manual keying, on one datapath backend.
 *
 *   secgw-iked [--config FILE] [--control PATH] [--datapath user|xfrm]
 *              [--tun NAME] [--workers N] [--log TARGET] [--log-level LEVEL]
 *              [--retransmit-ms MS] [--retransmit-tries N]
 *              [--half-open-max N] [--cookie-threshold N]
 *
 * SIGTERM/SIGINT: a Delete to every IKE peer, then remove every SA, policy,
 * route and the TUN device, exit 0.
 * SIGHUP: reopen the log file.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iked.h"
#include "log.h"

enum {
	EXIT_USAGE = 2,
	EXIT_CONFIG = 3,
	EXIT_START = 4,
	ERR_MAX = 256,
	CONTROL_MODE = 0660,
	RETRANSMIT_MS_MAX = 60000,
	RETRANSMIT_TRIES_MAX = 20,
	HALF_OPEN_LIMIT = 1000000,
};

static const char DEFAULT_CONTROL[] = "/run/secgw/iked.sock";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secgw-iked [options]\n"
		"  --config FILE       load this configuration at start (docs/config.md)\n"
		"  --control PATH      control socket (default %s, mode 0660)\n"
		"  --datapath NAME     ESP backend: user (default) or xfrm (docs/datapath.md)\n"
		"  --tun NAME          TUN device of the user datapath (default secgw%%d)\n"
		"  --workers N         datapath worker threads (default: one per CPU)\n"
		"  --log TARGET        stderr (default), syslog, or a file\n"
		"  --log-level LEVEL   err, warn, info (default), debug\n"
		"  --retransmit-ms MS  first IKE retransmission after MS (default 1000), doubling\n"
		"  --retransmit-tries N  IKE retransmissions before the peer is given up (default 5)\n"
		"  --half-open-max N   half-open IKE SAs kept at once (default 1024)\n"
		"  --cookie-threshold N  half-open IKE SAs from which COOKIEs are demanded (default 64)\n",
		DEFAULT_CONTROL);
}

/* A number in [lo, hi] for option name, or exit with a usage error. */
static long number(const char *name, const char *s, long lo, long hi)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (!*s || *end || n < lo || n > hi) {
		fprintf(stderr, "secgw-iked: --%s must be %ld to %ld\n", name, lo, hi);
		exit(EXIT_USAGE);
	}
	return n;
}

static void on_stop(void *arg, int signo)
{
	log_info("signal %d: shutting down", signo);
	loop_stop(arg);
}

static void on_hup(void *arg, int signo)
{
	log_reopen();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 's' },
		{ "datapath", required_argument, NULL, 'd' },
		{ "tun", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "retransmit-ms", required_argument, NULL, 'R' },
		{ "retransmit-tries", required_argument, NULL, 'T' },
		{ "half-open-max", required_argument, NULL, 'H' },
		{ "cookie-threshold", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *control = DEFAULT_CONTROL, *datapath = "user", *logt = NULL;
	struct dp_options dopt;
	struct ike_opts iopt;
	struct dp_hooks hooks;
	struct loop *loop;
	struct iked k;
	struct dp *dp;
	char err[ERR_MAX];
	int c, level = LOG_LVL_INFO, rc = 0;

	memset(&dopt, 0, sizeof(dopt));
	memset(&iopt, 0, sizeof(iopt));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			control = optarg;
			break;
		case 'd':
			datapath = optarg;
			break;
		case 't':
			dopt.tun_name = optarg;
			break;
		case 'w':
			dopt.workers = (unsigned)number("workers", optarg, 1, 8);
			break;
		case 'R':
			iopt.retransmit_ms = (uint32_t)number("retransmit-ms", optarg, 50, RETRANSMIT_MS_MAX);
			break;
		case 'T':
			iopt.retransmit_tries = (uint8_t)number("retransmit-tries", optarg, 1, RETRANSMIT_TRIES_MAX);
			break;
		case 'H':
			iopt.half_open_max = (uint32_t)number("half-open-max", optarg, 1, HALF_OPEN_LIMIT);
			break;
		case 'C':
			iopt.cookie_threshold = (uint32_t)number("cookie-threshold", optarg, 1, HALF_OPEN_LIMIT);
			break;
		case 'l':
			logt = optarg;
			break;
		case 'L':
			level = log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "secgw-iked: --log-level must be err, warn, info or debug\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (log_init("secgw-iked", logt, (enum log_level)level) != 0)
		fprintf(stderr, "secgw-iked: cannot open log %s; logging to stderr\n", logt);
	signal(SIGPIPE, SIG_IGN);

	loop = loop_new();
	if (!loop) {
		log_err("cannot create the event loop");
		return EXIT_START;
	}
	/* Signals first: the datapath's threads inherit the blocked mask. */
	loop_signal_add(loop, SIGTERM, on_stop, loop);
	loop_signal_add(loop, SIGINT, on_stop, loop);
	loop_signal_add(loop, SIGHUP, on_hup, NULL);

	memset(&hooks, 0, sizeof(hooks));
	hooks.arg = &k;
	hooks.event = iked_dp_event;
	hooks.ike_rx = iked_ike_rx;
	dp = dp_open(datapath, loop, &hooks, &dopt, err, sizeof(err));
	if (!dp) {
		log_err("datapath %s: %s", datapath, err);
		loop_free(loop);
		return EXIT_START;
	}
	if (iked_init(&k, loop, dp, &iopt) != 0) {
		log_err("out of memory");
		dp_close(dp);
		loop_free(loop);
		return EXIT_START;
	}
	if (config) {
		struct cfg_errors *errs = calloc(1, sizeof(*errs));
		struct cfg *cfg = NULL;
		json_t *res = NULL;

		if (!errs || cfg_load_file(config, &cfg, errs) != 0 ||
		    iked_load(&k, cfg, 0, &res, errs) != 0) {
			if (cfg && errs && errs->n)
				cfg_free(cfg);
			for (unsigned i = 0; errs && i < errs->n; i++)
				log_err("%s: %s: %s", config, errs->e[i].field, errs->e[i].message);
			if (errs && errs->more)
				log_err("%s: %u more errors", config, errs->more);
			log_err("%s: configuration refused, nothing installed", config);
			free(errs);
			rc = EXIT_CONFIG;
			goto out;
		}
		json_decref(res);
		free(errs);
	}
	k.ctl = ctl_open(loop, control, CONTROL_MODE, iked_commands, &k, err, sizeof(err));
	if (!k.ctl) {
		log_err("%s", err);
		rc = EXIT_START;
		goto out;
	}
	log_info("ready: control socket %s, datapath %s", control, datapath);
	if (loop_run(loop) != 0) {
		log_err("event loop failed");
		rc = EXIT_START;
	}
out:
	ctl_close(k.ctl);
	k.ctl = NULL;
	iked_shutdown(&k);
	dp_close(dp);
	iked_close_sockets(&k);
	loop_free(loop);
	log_info("stopped");
	return rc;
}
