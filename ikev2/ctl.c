// SPDX-License-Identifier: MIT
/*
 * Framing for the control socket. Clients are local but not trusted to be
 * well-behaved: lines are bounded, output to a client that stops reading is
 * bounded, and a bad line gets an answer, never a crash.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

enum { READ_CHUNK = 65536 };

struct ctl_client {
	struct ctl *ctl;
	int fd;
	bool subscribed, closing;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	struct ctl_client *next;
};

struct ctl {
	struct loop *loop;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct ctl_command *commands;
	void *app;
	struct ctl_client *clients;
	unsigned n_clients;
};

static void client_free(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;

	for (struct ctl_client **pp = &ctl->clients; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctl->n_clients--;
	loop_fd_del(ctl->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void flush_out(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			c->closing = true;
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	loop_fd_mod(c->ctl->loop, c->fd, LOOP_IN | (c->out_len ? LOOP_OUT : 0));
}

/* Queue one JSON line (obj is not consumed). */
static void send_json(struct ctl_client *c, const json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	size_t n;

	if (!s) {
		c->closing = true;
		return;
	}
	n = strlen(s);
	if (c->out_len + n + 1 > CTL_OUT_MAX) {
		log_warn("control: a client stopped reading; closing it");
		free(s);
		c->closing = true;
		return;
	}
	if (c->out_len + n + 1 > c->out_cap) {
		size_t cap = (c->out_len + n + 1) * 2;
		char *o = realloc(c->out, cap);

		if (!o) {
			free(s);
			c->closing = true;
			return;
		}
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out[c->out_len + n] = '\n';
	c->out_len += n + 1;
	free(s);
	flush_out(c);
}

static void reply_error(struct ctl_client *c, json_t *id, const char *message, json_t *errors)
{
	json_t *err = json_pack("{s:s}", "message", message);
	json_t *r;

	if (errors)
		json_object_set_new(err, "errors", errors);
	r = json_pack("{s:O, s:b, s:o}", "id", id ? id : json_null(), "ok", 0, "error", err);
	send_json(c, r);
	json_decref(r);
}

static void handle_line(struct ctl_client *c, const char *line, size_t len)
{
	json_error_t je;
	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je), *id, *cmd, *result = NULL;
	struct ctl_error err;
	const struct ctl_command *k;

	if (!req || !json_is_object(req)) {
		char m[CTL_MESSAGE_MAX];

		if (!req)
			snprintf(m, sizeof(m), "not JSON: %s (column %d)", je.text, je.column);
		else
			snprintf(m, sizeof(m), "a request must be a JSON object with \"id\" and \"cmd\"");
		reply_error(c, NULL, m, NULL);
		json_decref(req);
		return;
	}
	id = json_object_get(req, "id");
	if (id && !json_is_number(id) && !json_is_string(id))
		id = NULL;
	cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd)) {
		reply_error(c, id, "\"cmd\" is required (a string)", NULL);
		json_decref(req);
		return;
	}
	for (k = c->ctl->commands; k->name; k++)
		if (strcmp(k->name, json_string_value(cmd)) == 0)
			break;
	if (!k->name) {
		char m[CTL_MESSAGE_MAX];
		size_t at;

		at = (size_t)snprintf(m, sizeof(m), "unknown cmd (known:");
		for (k = c->ctl->commands; k->name && at < sizeof(m); k++)
			at += (size_t)snprintf(m + at, sizeof(m) - at, " %s", k->name);
		if (at < sizeof(m))
			snprintf(m + at, sizeof(m) - at, ")");
		reply_error(c, id, m, NULL);
		json_decref(req);
		return;
	}
	memset(&err, 0, sizeof(err));
	if (k->fn(c->ctl->app, c, req, &result, &err) == 0) {
		json_t *r = json_pack("{s:O, s:b, s:o}", "id", id ? id : json_null(), "ok", 1, "result",
				      result ? result : json_object());

		send_json(c, r);
		json_decref(r);
	} else {
		json_decref(result);
		reply_error(c, id, err.message[0] ? err.message : "failed", err.errors);
	}
	json_decref(req);
}

static void on_client(void *arg, int fd, unsigned events)
{
	struct ctl_client *c = arg;

	if (events & LOOP_OUT)
		flush_out(c);
	if (events & LOOP_IN) {
		for (;;) {
			ssize_t n;
			char *nl;

			if (c->in_cap - c->in_len < READ_CHUNK) {
				size_t cap = c->in_cap ? c->in_cap * 2 : 2 * READ_CHUNK;
				char *b;

				if (cap > CTL_LINE_MAX + 2 * READ_CHUNK)
					cap = CTL_LINE_MAX + 2 * READ_CHUNK;
				b = realloc(c->in, cap);
				if (!b) {
					c->closing = true;
					break;
				}
				c->in = b;
				c->in_cap = cap;
			}
			n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
			if (n == 0) {
				c->closing = true;
				break;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					c->closing = true;
				break;
			}
			c->in_len += (size_t)n;
			while ((nl = memchr(c->in, '\n', c->in_len)) && !c->closing) {
				size_t ll = (size_t)(nl - c->in);

				if (ll > CTL_LINE_MAX) {
					c->closing = true;
					break;
				}
				if (ll && !(ll == 1 && c->in[0] == '\r'))
					handle_line(c, c->in, ll);
				memmove(c->in, nl + 1, c->in_len - ll - 1);
				c->in_len -= ll + 1;
			}
			/* A line that outgrows the limit without its newline. */
			if (c->in_len > CTL_LINE_MAX) {
				log_warn("control: a request line longer than %d bytes; closing", CTL_LINE_MAX);
				c->closing = true;
			}
			if (c->closing)
				break;
		}
	}
	if (c->closing)
		client_free(c);
}

static void on_accept(void *arg, int fd, unsigned events)
{
	struct ctl *ctl = arg;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_client *c;

		if (cfd < 0)
			return;
		if (ctl->n_clients >= CTL_CLIENTS_MAX) {
			log_warn("control: too many clients (%d); refusing one", CTL_CLIENTS_MAX);
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || loop_fd_add(ctl->loop, cfd, LOOP_IN, on_client, c) < 0) {
			free(c);
			close(cfd);
			continue;
		}
		c->ctl = ctl;
		c->fd = cfd;
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->n_clients++;
	}
}

static int mkdir_parent(const char *path)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *dir;

	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

struct ctl *ctl_open(struct loop *loop, const char *path, unsigned mode,
		     const struct ctl_command *commands, void *app, char *err, size_t errlen)
{
	struct ctl *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sa;
	struct stat st;

	if (!ctl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long (at most %zu bytes)", sizeof(sa.sun_path) - 1);
		goto fail;
	}
	mkdir_parent(path);
	/* Replace a socket left by a dead instance, never any other file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			goto fail;
		}
		unlink(path);
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (ctl->fd < 0 || bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, mode) < 0 || listen(ctl->fd, 16) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	ctl->loop = loop;
	ctl->commands = commands;
	ctl->app = app;
	if (loop_fd_add(loop, ctl->fd, LOOP_IN, on_accept, ctl) < 0) {
		snprintf(err, errlen, "cannot watch the control socket");
		unlink(path);
		goto fail;
	}
	return ctl;
fail:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl);
	return NULL;
}

void ctl_close(struct ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	loop_fd_del(ctl->loop, ctl->fd);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

void ctl_subscribe(struct ctl_client *c)
{
	c->subscribed = true;
}

void ctl_broadcast(struct ctl *ctl, const json_t *ev)
{
	for (struct ctl_client *c = ctl->clients; c; c = c->next) {
		if (!c->subscribed)
			continue;
		send_json(c, ev);
		/* Freed from its own callback (we may be inside it now): ask
		 * for one more event on it. */
		if (c->closing)
			loop_fd_mod(ctl->loop, c->fd, LOOP_IN | LOOP_OUT);
	}
}
