/* SPDX-License-Identifier: MIT */
/*
 * The web UI: the files of web/, compiled into the agent (agent/embed.sh),
 * served at every path outside /api/v1 ("/" is index.html). Nothing is read
 * from the file system at run time, so no URL can name a file the build did
 * not put there.
 */
#ifndef SECGW_AGENT_STATIC_H
#define SECGW_AGENT_STATIC_H

#include "agent/http.h"

/*
 * Answer a request for a UI path (decoded, without the query): 200 with the
 * file (HEAD: its headers), 304 when If-None-Match names its ETag, 404 for
 * anything else, 405 for methods other than GET and HEAD. Every answer
 * carries the UI's security headers.
 */
void static_serve(struct req *r, const char *url);

/* The Content-Security-Policy of the UI (tests compare it). */
extern const char static_csp[];

#endif
