// SPDX-License-Identifier: MIT
/*
 * The engine thread: one non-blocking connection to secgw-iked's control
 * socket, polled together with a wake-up pipe. What arrives is untrusted in
 * the sense that iked may die mid-line or a stranger may sit on the socket
 * path: lines are bounded (ENGINE_LINE_MAX), every member is type-checked
 * before use, and a line that is not JSON is logged and skipped.
 */
#include "agent/engine.h"
#include "agent/agent.h"
#include "agent/audit.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
	ENGINE_READ_CHUNK = 65536,
	ENGINE_ID_SUBSCRIBE = 1,
	ENGINE_ID_LOAD = 2,
};

struct engine {
	struct agent *ag;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	pthread_t thread;
	bool started;
	int wake[2];
	_Atomic bool stop;
	_Atomic bool connected;
	_Atomic bool want_push;
	_Atomic int64_t applied;
	_Atomic uint64_t counts[ENGINE_C_N];
	pthread_mutex_t lock;			/* last_error */
	char last_error[ENGINE_ERROR_TEXT];
	/* Owned by the engine thread. */
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	int64_t load_sent;			/* revision of the load awaiting its answer, 0: none */
	int64_t load_deadline_ms;
	unsigned backoff_ms;
	int64_t next_try_ms;
};

static const char *const counter_names[ENGINE_C_N] = {
	[ENGINE_C_IKE_UP] = "ike-up",
	[ENGINE_C_IKE_DOWN] = "ike-down",
	[ENGINE_C_CHILD_UP] = "child-up",
	[ENGINE_C_CHILD_DOWN] = "child-down",
	[ENGINE_C_REKEYED] = "rekeyed",
	[ENGINE_C_AUTH_FAILED] = "auth-failed",
	[ENGINE_C_NEG_FAILED] = "negotiation-failed",
	[ENGINE_C_EXPIRE] = "expire",
	[ENGINE_C_CONNECTS] = "connects",
	[ENGINE_C_LOADS] = "loads",
	[ENGINE_C_LOAD_ERRORS] = "load-errors",
};

const char *engine_counter_name(enum engine_counter c)
{
	return c < ENGINE_C_N ? counter_names[c] : "?";
}

uint64_t engine_count(const struct engine *e, enum engine_counter c)
{
	return e && c < ENGINE_C_N ? atomic_load(&e->counts[c]) : 0;
}

bool engine_connected(const struct engine *e)
{
	return e && atomic_load(&e->connected);
}

int64_t engine_revision_applied(const struct engine *e)
{
	return e ? atomic_load(&e->applied) : 0;
}

void engine_last_error(struct engine *e, char *buf, size_t len)
{
	if (!e) {
		snprintf(buf, len, "%s", "");
		return;
	}
	pthread_mutex_lock(&e->lock);
	snprintf(buf, len, "%s", e->last_error);
	pthread_mutex_unlock(&e->lock);
}

static void set_error(struct engine *e, const char *text)
{
	pthread_mutex_lock(&e->lock);
	snprintf(e->last_error, sizeof(e->last_error), "%s", text);
	pthread_mutex_unlock(&e->lock);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(struct engine *e)
{
	char c = 1;

	/* A full pipe already means "wake up": nothing is lost by EAGAIN. */
	if (write(e->wake[1], &c, 1) < 0 && errno != EAGAIN)
		log_warn("engine: wake-up: %s", strerror(errno));
}

void engine_config_changed(struct engine *e)
{
	if (!e)
		return;
	atomic_store(&e->want_push, true);
	wake(e);
}

static int connect_unix(const char *path, bool nonblock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* The engine's state for /events listeners and the audit log. */
static void announce(struct engine *e, bool up)
{
	struct db *d = store_db(e->ag->store);

	events_publish(&e->ag->events, "engine",
		       json_pack("{s:b, s:s, s:I}", "engine_connected", up, "engine", up ? "up" : "down",
				 "revision_applied", (json_int_t)atomic_load(&e->applied)));
	if (d)
		audit_write(d, NULL, "(engine)", up ? "engine.up" : "engine.down", e->path, 200,
			    atomic_load(&e->ag->revision), up ? "connected to secgw-iked"
			    : "lost the connection to secgw-iked");
}

static void disconnect(struct engine *e, const char *why)
{
	bool was = atomic_load(&e->connected);

	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	e->in_len = 0;
	if (e->out)
		sodium_memzero(e->out, e->out_len);
	free(e->out);
	e->out = NULL;
	e->out_len = e->out_off = 0;
	e->load_sent = 0;
	atomic_store(&e->connected, false);
	e->next_try_ms = now_ms() + e->backoff_ms;
	e->backoff_ms = e->backoff_ms * 2 > ENGINE_BACKOFF_MAX_MS ? ENGINE_BACKOFF_MAX_MS : e->backoff_ms * 2;
	if (was) {
		log_warn("engine: %s: %s; reconnecting", e->path, why);
		announce(e, false);
	}
}

/* Queue one line (the text is copied; a secret in it is wiped when sent). */
static int queue_line(struct engine *e, const char *text)
{
	size_t n = strlen(text);
	char *nb;

	if (e->out_off == e->out_len) {
		if (e->out)
			sodium_memzero(e->out, e->out_len);
		e->out_len = e->out_off = 0;
	}
	nb = malloc(e->out_len - e->out_off + n + 1);
	if (!nb)
		return -1;
	if (e->out_len > e->out_off)
		memcpy(nb, e->out + e->out_off, e->out_len - e->out_off);
	memcpy(nb + e->out_len - e->out_off, text, n);
	nb[e->out_len - e->out_off + n] = '\n';
	if (e->out)
		sodium_memzero(e->out, e->out_len);
	free(e->out);
	e->out_len = e->out_len - e->out_off + n + 1;
	e->out_off = 0;
	e->out = nb;
	return 0;
}

static void push(struct engine *e)
{
	struct db *d = store_db(e->ag->store);
	int64_t rev = 0;
	json_t *config, *req;
	char *line;

	atomic_store(&e->want_push, false);
	config = d ? engine_config_build(d, e->ag->master_key, &rev) : NULL;
	if (!config) {
		/* Try again at the next wake-up rather than never. */
		atomic_store(&e->want_push, true);
		return;
	}
	req = json_pack("{s:i, s:s, s:I, s:O}", "id", ENGINE_ID_LOAD, "cmd", "load", "revision",
			(json_int_t)rev, "config", config);
	line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	engine_config_free(config);
	if (!line || queue_line(e, line) < 0) {
		atomic_store(&e->want_push, true);
	} else {
		e->load_sent = rev;
		e->load_deadline_ms = now_ms() + ENGINE_LOAD_TIMEOUT_MS;
		log_info("engine: loading revision %lld into secgw-iked", (long long)rev);
	}
	if (line) {
		sodium_memzero(line, strlen(line));
		free(line);
	}
}

static void try_connect(struct engine *e)
{
	char sub[64];

	e->fd = connect_unix(e->path, true);
	if (e->fd < 0) {
		e->next_try_ms = now_ms() + e->backoff_ms;
		e->backoff_ms = e->backoff_ms * 2 > ENGINE_BACKOFF_MAX_MS ? ENGINE_BACKOFF_MAX_MS : e->backoff_ms * 2;
		return;
	}
	snprintf(sub, sizeof(sub), "{\"id\":%d,\"cmd\":\"subscribe\"}", ENGINE_ID_SUBSCRIBE);
	if (queue_line(e, sub) < 0) {
		disconnect(e, "out of memory");
		return;
	}
	atomic_store(&e->connected, true);
	atomic_fetch_add(&e->counts[ENGINE_C_CONNECTS], 1);
	e->backoff_ms = ENGINE_BACKOFF_MIN_MS;
	log_info("engine: connected to secgw-iked at %s", e->path);
	/* iked keeps no configuration: every connection starts with a full load. */
	push(e);
	announce(e, true);
}

static void on_load_reply(struct engine *e, const json_t *msg)
{
	int64_t rev = e->load_sent;

	e->load_sent = 0;
	if (json_is_true(json_object_get(msg, "ok"))) {
		const json_t *failed = json_object_get(json_object_get(msg, "result"), "failed");

		atomic_store(&e->applied, rev);
		atomic_fetch_add(&e->counts[ENGINE_C_LOADS], 1);
		if (json_array_size(failed) > 0) {
			char *t = json_dumps(failed, JSON_COMPACT);

			log_warn("engine: revision %lld loaded; the datapath refused %s", (long long)rev, t ? t : "?");
			set_error(e, t ? t : "");
			free(t);
		} else {
			set_error(e, "");
			log_info("engine: secgw-iked runs revision %lld", (long long)rev);
		}
		events_publish(&e->ag->events, "engine",
			       json_pack("{s:b, s:s, s:I}", "engine_connected", 1, "engine", "up",
					 "revision_applied", (json_int_t)rev));
	} else {
		char *t = json_dumps(json_object_get(msg, "error"), JSON_COMPACT);

		atomic_fetch_add(&e->counts[ENGINE_C_LOAD_ERRORS], 1);
		log_err("engine: secgw-iked refused revision %lld: %s", (long long)rev, t ? t : "?");
		set_error(e, t ? t : "refused");
		free(t);
	}
}

/* Tunnel state changes are kept in the audit log: who saw what, when. */
static void audit_event(struct engine *e, const char *name, const json_t *msg)
{
	const char *conn = json_string_value(json_object_get(msg, "connection"));
	const char *child = json_string_value(json_object_get(msg, "child"));
	const char *reason = json_string_value(json_object_get(msg, "reason"));
	char action[48], target[160];
	struct db *d;

	if (strcmp(name, "rekeyed") == 0 || strcmp(name, "loaded") == 0)
		return;		/* routine, and frequent: counted, not audited */
	d = store_db(e->ag->store);
	if (!d)
		return;
	snprintf(action, sizeof(action), "tunnel.%s", name);
	snprintf(target, sizeof(target), "%s%s%s", conn ? conn : "", child ? "/" : "", child ? child : "");
	audit_write(d, NULL, "(engine)", action, target, 200, atomic_load(&e->applied), reason ? reason : "");
}

static void on_line(struct engine *e, char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	const json_t *ev, *id;

	if (!json_is_object(msg)) {
		log_warn("engine: skipped a line from secgw-iked that is not a JSON object (%s)", jerr.text);
		json_decref(msg);
		return;
	}
	ev = json_object_get(msg, "event");
	id = json_object_get(msg, "id");
	if (json_is_string(ev)) {
		const char *name = json_string_value(ev);

		for (unsigned c = 0; c < ENGINE_C_CONNECTS; c++)
			if (strcmp(name, counter_names[c]) == 0)
				atomic_fetch_add(&e->counts[c], 1);
		audit_event(e, name, msg);
		/* Relayed under iked's own name, with iked's data (docs/web.md). */
		events_publish(&e->ag->events, name, json_incref(msg));
	} else if (json_integer_value(id) == ENGINE_ID_LOAD && e->load_sent) {
		on_load_reply(e, msg);
	} else if (json_integer_value(id) == ENGINE_ID_SUBSCRIBE) {
		if (!json_is_true(json_object_get(msg, "ok")))
			log_err("engine: secgw-iked refused the subscription: events will not be relayed");
	}
	json_decref(msg);
}

static void do_read(struct engine *e)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (e->in_cap - e->in_len < ENGINE_READ_CHUNK) {
			size_t cap = e->in_cap + ENGINE_READ_CHUNK * 2;
			char *nb;

			if (cap > ENGINE_LINE_MAX + ENGINE_READ_CHUNK * 2) {
				disconnect(e, "a line longer than the limit");
				return;
			}
			nb = realloc(e->in, cap);
			if (!nb) {
				disconnect(e, "out of memory");
				return;
			}
			e->in = nb;
			e->in_cap = cap;
		}
		n = read(e->fd, e->in + e->in_len, e->in_cap - e->in_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			disconnect(e, n == 0 ? "secgw-iked closed the connection" : strerror(errno));
			return;
		}
		e->in_len += (size_t)n;
		while ((nl = memchr(e->in, '\n', e->in_len))) {
			size_t l = (size_t)(nl - e->in);

			on_line(e, e->in, l);
			memmove(e->in, nl + 1, e->in_len - l - 1);
			e->in_len -= l + 1;
			if (e->fd < 0)
				return;
		}
		if (e->in_len > ENGINE_LINE_MAX) {
			disconnect(e, "a line longer than the limit");
			return;
		}
	}
}

static void do_write(struct engine *e)
{
	while (e->out_off < e->out_len) {
		ssize_t n = send(e->fd, e->out + e->out_off, e->out_len - e->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			disconnect(e, strerror(errno));
			return;
		}
		e->out_off += (size_t)n;
	}
}

static void *engine_main(void *arg)
{
	struct engine *e = arg;

	while (!atomic_load(&e->stop)) {
		struct pollfd p[2] = { { .fd = e->wake[0], .events = POLLIN } };
		int np = 1, timeout = -1;
		int64_t now = now_ms();

		if (e->fd < 0 && now >= e->next_try_ms)
			try_connect(e);
		if (e->fd >= 0 && atomic_load(&e->want_push) && !e->load_sent)
			push(e);
		if (e->fd >= 0 && e->load_sent && now > e->load_deadline_ms)
			disconnect(e, "no answer to a load");
		if (e->fd >= 0) {
			p[1].fd = e->fd;
			p[1].events = POLLIN | (e->out_off < e->out_len ? POLLOUT : 0);
			np = 2;
			if (e->load_sent)
				timeout = (int)(e->load_deadline_ms - now);
		} else {
			timeout = (int)(e->next_try_ms - now);
		}
		if (timeout < 0 && (e->fd < 0 || e->load_sent))
			timeout = 0;
		if (poll(p, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			log_err("engine: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents & POLLIN) {
			char buf[64];

			while (read(e->wake[0], buf, sizeof(buf)) > 0)
				;
		}
		if (np == 2 && e->fd >= 0 && (p[1].revents & POLLOUT))
			do_write(e);
		if (np == 2 && e->fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			do_read(e);
	}
	if (e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
	return NULL;
}

struct engine *engine_start(struct agent *ag, const char *path)
{
	struct engine *e;

	if (strlen(path) >= sizeof(e->path)) {
		log_err("engine: the control socket path %s is too long (at most %zu bytes)", path,
			sizeof(e->path) - 1);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ag = ag;
	e->fd = -1;
	e->backoff_ms = ENGINE_BACKOFF_MIN_MS;
	snprintf(e->path, sizeof(e->path), "%s", path);
	pthread_mutex_init(&e->lock, NULL);
	if (pipe2(e->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_err("engine: pipe: %s", strerror(errno));
		pthread_mutex_destroy(&e->lock);
		free(e);
		return NULL;
	}
	if (pthread_create(&e->thread, NULL, engine_main, e) != 0) {
		log_err("engine: cannot start the engine thread");
		engine_stop(e);
		return NULL;
	}
	e->started = true;
	return e;
}

void engine_stop(struct engine *e)
{
	if (!e)
		return;
	atomic_store(&e->stop, true);
	if (e->started) {
		wake(e);
		pthread_join(e->thread, NULL);
	}
	close(e->wake[0]);
	close(e->wake[1]);
	if (e->fd >= 0)
		close(e->fd);
	if (e->out)
		sodium_memzero(e->out, e->out_len);
	free(e->out);
	free(e->in);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Read one line within the deadline; the answer is the first line with our id. */
json_t *engine_call(struct engine *e, json_t *req, char *err, size_t errlen)
{
	static _Atomic uint64_t next_id = 1000;
	uint64_t id = atomic_fetch_add(&next_id, 1);
	int64_t deadline = now_ms() + ENGINE_CALL_TIMEOUT_MS;
	char *line, *buf = NULL;
	size_t len = 0, cap = 0, sent = 0, n;
	json_t *reply = NULL;
	int fd;

	if (!engine_connected(e)) {
		snprintf(err, errlen, "the IKE engine (secgw-iked) is not connected");
		return NULL;
	}
	fd = connect_unix(e->path, true);
	if (fd < 0) {
		snprintf(err, errlen, "the IKE engine (secgw-iked) is not connected (%s)", strerror(errno));
		return NULL;
	}
	json_object_set_new(req, "id", json_integer((json_int_t)id));
	line = json_dumps(req, JSON_COMPACT);
	n = line ? strlen(line) : 0;
	if (line)
		line[n++] = '\n';	/* json_dumps' NUL becomes the line end; n no longer counts a NUL */
	while (line && now_ms() < deadline) {
		struct pollfd p = { .fd = fd, .events = sent < n ? POLLOUT : POLLIN };
		ssize_t r;

		if (poll(&p, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		if (sent < n) {
			r = send(fd, line + sent, n - sent, MSG_NOSIGNAL);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				break;
			if (r > 0)
				sent += (size_t)r;
			continue;
		}
		if (cap - len < ENGINE_READ_CHUNK) {
			char *nb;

			if (cap > ENGINE_LINE_MAX)
				break;
			nb = realloc(buf, cap + ENGINE_READ_CHUNK * 2);
			if (!nb)
				break;
			buf = nb;
			cap += ENGINE_READ_CHUNK * 2;
		}
		r = read(fd, buf + len, cap - len);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		{
			char *start = buf, *nl;

			while ((nl = memchr(start, '\n', len - (size_t)(start - buf)))) {
				json_t *m = json_loadb(start, (size_t)(nl - start), 0, NULL);

				if (json_is_object(m) && json_integer_value(json_object_get(m, "id")) == (json_int_t)id) {
					reply = m;
					goto done;
				}
				json_decref(m);
				start = nl + 1;
			}
			memmove(buf, start, len - (size_t)(start - buf));
			len -= (size_t)(start - buf);
		}
	}
done:
	close(fd);
	free(line);
	free(buf);
	if (!reply)
		snprintf(err, errlen, "the IKE engine (secgw-iked) did not answer within %d ms",
			 ENGINE_CALL_TIMEOUT_MS);
	return reply;
}
