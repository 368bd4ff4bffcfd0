/* SPDX-License-Identifier: MIT */
/*
 * The control socket of docs/control.md: a Unix stream socket, one JSON
 * object per line, requests {id, cmd, …} answered in order on the same
 * connection, events to subscribed connections. ctl.c knows the framing and
 * nothing of iked; the commands are a table (cmd.c) of name -> handler, so a
 * new command is one row there.
 */
#ifndef SECGW_CTL_H
#define SECGW_CTL_H

#include <jansson.h>
#include <stddef.h>

#include "loop.h"

enum {
	CTL_LINE_MAX = 4 << 20,		/* a longer line closes the connection */
	CTL_CLIENTS_MAX = 64,
	CTL_OUT_MAX = 64 << 20,		/* a client that reads nothing is dropped */
	CTL_MESSAGE_MAX = 256,
};

struct ctl;
struct ctl_client;

/* A failed request: a message, optionally errors [{field, message}]. */
struct ctl_error {
	char message[CTL_MESSAGE_MAX];
	json_t *errors;		/* owned by ctl after the handler returns */
};

/*
 * A handler returns 0 with *result set (an object, ownership passed) or -1
 * with err filled in. req is the whole request object.
 */
typedef int (*ctl_handler)(void *app, struct ctl_client *c, const json_t *req, json_t **result,
			   struct ctl_error *err);

struct ctl_command {
	const char *name;
	ctl_handler fn;
};

/* Listen on path (its directory is created if missing; a stale socket is
 * replaced) with mode, dispatching to commands (terminated by {NULL}). */
struct ctl *ctl_open(struct loop *loop, const char *path, unsigned mode,
		     const struct ctl_command *commands, void *app, char *err, size_t errlen);
/* Closes every client and removes the socket file. NULL is fine. */
void ctl_close(struct ctl *ctl);

/* Events: mark a client as subscribed; send an event object to every
 * subscribed client (ev is not consumed). */
void ctl_subscribe(struct ctl_client *c);
void ctl_broadcast(struct ctl *ctl, const json_t *ev);

#endif
