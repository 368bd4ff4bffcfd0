// SPDX-License-Identifier: MIT
/*
 * secgw-agent: the management agent.
 *
 *   secgw-agent --state-dir DIR --listen ADDR:PORT [--tls-cert F --tls-key F]
 *               [--user NAME] [--log stderr|syslog|FILE] [--log-level LEVEL] [--history N]
 *               [--engine PATH | --no-engine]
 *   secgw-agent bootstrap-token --state-dir DIR [--name NAME] [--expires-in SECONDS]
 *
 * Start-up order matters for least privilege: bind the socket (the only step
 * that may need root), then drop to --user, then open the state (so every
 * file the agent creates belongs to that user), then serve. Signals are
 * handled synchronously in the main thread (sigtimedwait), never in a
 * handler: SIGTERM/SIGINT stop cleanly, SIGHUP reopens the log.
 */
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/confirm.h"
#include "agent/http.h"
#include "agent/revision.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
	SHUTDOWN_GRACE_S = 10,		/* in-flight requests get this long to finish */
	TLS_FILE_MAX = 64 * 1024,
	LISTEN_BACKLOG = 128,
	SWEEP_INTERVAL_S = 60,
	AGENT_MMAP_THRESHOLD = 64 * 1024,
};

struct options {
	const char *state_dir;
	const char *listen;
	const char *tls_cert, *tls_key;
	const char *user;
	const char *log;
	int log_level;
	const char *token_name;
	long long expires_in;
	unsigned history;
	const char *engine;		/* secgw-iked's control socket; NULL: STATE/iked.sock */
	bool no_engine;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: secgw-agent [--state-dir DIR] [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
		"                   [--user NAME] [--log stderr|syslog|FILE] [--log-level err|warn|info|debug]\n"
		"                   [--history N] [--engine PATH | --no-engine]\n"
		"       secgw-agent bootstrap-token --state-dir DIR [--name NAME] [--expires-in SECONDS]\n"
		"\n"
		"Defaults: --state-dir /var/lib/secgw --listen 127.0.0.1:8080 --log stderr --log-level info\n"
		"--history 1000 (revisions kept) --engine STATE-DIR/iked.sock (secgw-iked's control socket).\n"
		"bootstrap-token prints a new admin bearer token on stdout and nothing else.\n");
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "log", required_argument, NULL, 'L' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "name", required_argument, NULL, 'n' },
		{ "expires-in", required_argument, NULL, 'e' },
		{ "history", required_argument, NULL, 'H' },
		{ "engine", required_argument, NULL, 'E' },
		{ "no-engine", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->state_dir = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'c': o->tls_cert = optarg; break;
		case 'k': o->tls_key = optarg; break;
		case 'u': o->user = optarg; break;
		case 'L': o->log = optarg; break;
		case 'n': o->token_name = optarg; break;
		case 'E': o->engine = optarg; break;
		case 'N': o->no_engine = true; break;
		case 'e': {
			char *end;

			o->expires_in = strtoll(optarg, &end, 10);
			if (*end || o->expires_in < 1 || o->expires_in > TOKEN_TTL_MAX_S) {
				fprintf(stderr, "secgw-agent: --expires-in must be 1 to %d seconds\n", TOKEN_TTL_MAX_S);
				return -1;
			}
			break;
		}
		case 'H': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !*optarg || v < HISTORY_MIN || v > HISTORY_MAX) {
				fprintf(stderr, "secgw-agent: --history must be %d to %d revisions\n", HISTORY_MIN,
					HISTORY_MAX);
				return -1;
			}
			o->history = (unsigned)v;
			break;
		}
		case 'v':
			o->log_level = log_level_parse(optarg);
			if (o->log_level < 0) {
				fprintf(stderr, "secgw-agent: unknown log level %s (err, warn, info, debug)\n", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("secgw-agent %s\n", AGENT_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (!!o->tls_cert != !!o->tls_key) {
		fprintf(stderr, "secgw-agent: --tls-cert and --tls-key go together\n");
		return -1;
	}
	return 0;
}

/* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:443" -> a bound, listening socket. */
static int bind_listen(const char *spec)
{
	char host[64];
	const char *colon;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned long port;
	char *end;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host))
			goto bad;
		memcpy(host, spec + 1, (size_t)(rb - spec - 1));
		host[rb - spec - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			goto bad;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	port = strtoul(colon + 1, &end, 10);
	if (*end || !colon[1] || port > 65535)
		goto bad;
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)port);
			sl = sizeof(*sin);
		} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)port);
			sl = sizeof(*sin6);
		} else {
			goto bad;
		}
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		log_err("agent: cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
bad:
	log_err("agent: --listen wants ADDR:PORT with a literal address (e.g. 127.0.0.1:8080 or [::1]:8080), not %s",
		spec);
	return -1;
}

/*
 * Drop root for --user: the state directory is made (or kept) owned by that
 * user first, so the database, the key and the password file are theirs.
 */
static int drop_privileges(const char *user, const char *state_dir)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		log_err("agent: --user %s: no such user", user);
		return -1;
	}
	if (getuid() != 0 && geteuid() != 0) {
		if (getuid() == pw->pw_uid)
			return 0;
		log_err("agent: --user %s needs the agent to start as root", user);
		return -1;
	}
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		log_err("agent: cannot create %s: %s", state_dir, strerror(errno));
		return -1;
	}
	if (chown(state_dir, pw->pw_uid, pw->pw_gid) < 0) {
		log_err("agent: cannot give %s to %s: %s", state_dir, user, strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		log_err("agent: cannot drop privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_err("agent: privileges were not dropped (setuid(0) still works)");
		return -1;
	}
	log_info("agent: running as %s (uid %u)", user, (unsigned)pw->pw_uid);
	return 0;
}

static char *read_small_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f) {
		log_err("agent: cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(TLS_FILE_MAX + 1);
	n = buf ? fread(buf, 1, TLS_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n == 0 || n > TLS_FILE_MAX) {
		log_err("agent: %s is empty or larger than %d bytes", path, TLS_FILE_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static int bootstrap_token(const struct options *o)
{
	struct agent ag;
	char token[AUTH_SECRET_TEXT + 8];
	struct db *d;
	int64_t uid, id;

	if (agent_open(&ag, o->state_dir, NULL) < 0)
		return 1;
	d = store_db(ag.store);
	if (!d || store_write_begin(d) < 0) {
		agent_close(&ag);
		return 1;
	}
	uid = db_int(d, "SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1", -1);
	id = uid < 0 ? -1 : auth_token_create(d, uid, o->token_name ? o->token_name : "bootstrap",
					       o->expires_in ? (int64_t)time(NULL) + o->expires_in : 0,
					       token, sizeof(token));
	if (id < 0 || audit_write(d, NULL, "(bootstrap-token)", "token.create", "bootstrap", 201, 0,
				  "created on the command line") < 0 || store_commit(d) < 0) {
		store_rollback(d);
		log_err("agent: could not create the token");
		agent_close(&ag);
		return 1;
	}
	printf("%s\n", token);
	fflush(stdout);
	sodium_memzero(token, sizeof(token));
	agent_close(&ag);
	return 0;
}

/* Refuse a second agent on the same state directory (two writers, one truth). */
static int lock_state(const char *dir)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/agent.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_err("agent: %s: %s", path, fd < 0 ? strerror(errno)
			: "another secgw-agent uses this state directory");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void shutdown_daemon(struct agent *ag, struct MHD_Daemon *mhd)
{
	int lfd;
	time_t deadline;

	atomic_store(&ag->stopping, true);
	/* Stop accepting; requests already read keep going. */
	lfd = MHD_quiesce_daemon(mhd);
	if (lfd >= 0)
		close(lfd);
	deadline = time(NULL) + SHUTDOWN_GRACE_S;
	while (atomic_load(&ag->in_flight) > 0 && time(NULL) < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (atomic_load(&ag->in_flight) > 0)
		log_warn("agent: %d requests still running after %ds; stopping anyway",
			 atomic_load(&ag->in_flight), SHUTDOWN_GRACE_S);
	/* Streams end; MHD must not be stopped with a connection suspended. */
	events_shutdown(&ag->events);
	deadline = time(NULL) + 2;
	while (events_clients(&ag->events) > 0 && time(NULL) < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		events_shutdown(&ag->events);
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(mhd);
	engine_stop(ag->engine);
	ag->engine = NULL;
}

static int serve(const struct options *o)
{
	struct agent ag;
	struct MHD_Daemon *mhd;
	char *first_password = NULL, *cert = NULL, *key = NULL;
	sigset_t set;
	int lfd, lock_fd, rc = 1;
	time_t last_keepalive = time(NULL), last_sweep = time(NULL);

	lfd = bind_listen(o->listen);
	if (lfd < 0)
		return 1;
	if (o->tls_cert) {
		cert = read_small_file(o->tls_cert);
		key = read_small_file(o->tls_key);
		if (!cert || !key)
			goto out_fd;
	}
	if (o->user && drop_privileges(o->user, o->state_dir) < 0)
		goto out_fd;
	if (agent_open(&ag, o->state_dir, &first_password) < 0)
		goto out_fd;
	lock_fd = lock_state(o->state_dir);
	if (lock_fd < 0)
		goto out_agent;
	ag.tls = cert != NULL;
	if (o->history)
		ag.history_max = o->history;
	/* A change left unconfirmed while the agent was down is reverted before anyone is served. */
	if (confirm_start(&ag) < 0)
		log_err("agent: the pending commit-confirmed change could not be reverted yet; retrying");
	auth_new_password(ag.dummy_hash, sizeof(ag.dummy_hash));
	{
		char pw[sizeof(ag.dummy_hash)];

		memcpy(pw, ag.dummy_hash, sizeof(pw));
		if (auth_password_hash(pw, ag.dummy_hash) < 0)
			goto out_lock;
		sodium_memzero(pw, sizeof(pw));
	}

	/* Block the signals in every thread MHD will start; the main thread waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!o->no_engine) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/iked.sock", o->state_dir);
		ag.engine = engine_start(&ag, o->engine ? o->engine : path);
		if (!ag.engine)
			goto out_lock;
	}
	mhd = http_start(&ag, lfd, cert, key);
	if (!mhd) {
		log_err("agent: the HTTP server did not start%s", cert ? " (is the certificate and key valid PEM?)" : "");
		engine_stop(ag.engine);
		ag.engine = NULL;
		goto out_lock;
	}
	lfd = -1;	/* MHD owns it now */
	{
		const char *scheme = cert ? "https" : "http";

		printf("secgw-agent %s: listening on %s://%s/ (API under %s://%s/api/v1/)\n",
		       AGENT_VERSION, scheme, o->listen, scheme, o->listen);
		if (first_password)
			printf("secgw-agent: first start: user \"admin\", password %s\n"
			       "secgw-agent: (the password is also in %s/admin-password, mode 0600)\n",
			       first_password, o->state_dir);
		fflush(stdout);
	}
	if (first_password) {
		sodium_memzero(first_password, strlen(first_password));
		free(first_password);
		first_password = NULL;
	}
	log_info("agent: serving (state %s, revision %lld)", o->state_dir, (long long)atomic_load(&ag.revision));

	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &ts);
		time_t now = time(NULL);

		if (sig == SIGHUP) {
			if (log_reopen() < 0)
				log_err("agent: cannot reopen the log: %s", strerror(errno));
			else
				log_info("agent: log reopened");
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_info("agent: %s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		confirm_tick(&ag);
		if (now - last_keepalive >= EVENTS_KEEPALIVE_S) {
			events_keepalive(&ag.events);
			last_keepalive = now;
		}
		if (now - last_sweep >= SWEEP_INTERVAL_S) {
			struct db *d = store_db(ag.store);

			if (d && store_write_begin(d) == 0) {
				db_exec(d, "DELETE FROM sessions WHERE expires <= strftime('%s','now')");
				store_commit(d);
			}
			last_sweep = now;
		}
	}
	shutdown_daemon(&ag, mhd);
	rc = 0;
	log_info("agent: stopped (revision %lld)", (long long)atomic_load(&ag.revision));
out_lock:
	close(lock_fd);
out_agent:
	agent_close(&ag);
out_fd:
	if (lfd >= 0)
		close(lfd);
	if (key) {
		sodium_memzero(key, strlen(key));
		free(key);
	}
	free(cert);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {
		.state_dir = "/var/lib/secgw",
		.listen = "127.0.0.1:8080",
		.log = "stderr",
		.log_level = LOG_LVL_INFO,
	};
	bool bootstrap = argc > 1 && strcmp(argv[1], "bootstrap-token") == 0;

	if (bootstrap) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (parse(argc, argv, &o) < 0)
		return 2;
	/* Everything the agent creates (database, WAL, key, password) is private. */
	umask(077);
	/*
	 * A fixed mmap threshold: answers of a few hundred KiB (a page of 1000
	 * connections) go back to the kernel when freed instead of raising
	 * glibc's dynamic threshold and staying in the heap. RSS is a budget
	 * on a router (bench/rest.sh: rss_mib).
	 */
	mallopt(M_MMAP_THRESHOLD, AGENT_MMAP_THRESHOLD);
	if (optind < argc) {
		fprintf(stderr, "secgw-agent: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* bootstrap-token's stdout is the token alone; its log goes to stderr, quietly. */
	if (log_init("secgw-agent", bootstrap ? "stderr" : o.log,
		     bootstrap ? LOG_LVL_WARN : (enum log_level)o.log_level) < 0) {
		fprintf(stderr, "secgw-agent: cannot open log %s: %s\n", o.log, strerror(errno));
		return 1;
	}
	return bootstrap ? bootstrap_token(&o) : serve(&o);
}
