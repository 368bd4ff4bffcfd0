/* SPDX-License-Identifier: MIT */
/* Files compiled into the agent by agent/embed.sh (see agent/module.mk). */
#ifndef SECGW_AGENT_EMBED_H
#define SECGW_AGENT_EMBED_H

#include <stddef.h>

struct embed_file {
	const char *name;
	size_t len;
	const char *data;
};

/* A file of the web UI, with its strong ETag ("\"<hash>\""). */
struct embed_web_file {
	const char *name;
	size_t len;
	const char *data;
	const char *etag;
};

/* schema/NNN_name.sql in order, ended by an entry with name NULL. */
extern const struct embed_file embed_migrations[];
/* docs/openapi.json, served at /api/v1/openapi.json. */
extern const struct embed_file embed_openapi;
/* web/PATH as "PATH" (served at /PATH), ended by an entry with name NULL. */
extern const struct embed_web_file embed_web[];

#endif
