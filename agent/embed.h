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

/* schema/NNN_name.sql in order, ended by an entry with name NULL. */
extern const struct embed_file embed_migrations[];
/* docs/openapi.json, served at /api/v1/openapi.json. */
extern const struct embed_file embed_openapi;

#endif
