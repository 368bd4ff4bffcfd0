// SPDX-License-Identifier: MIT
#include "agent/routes.h"

#include <stdio.h>
#include <string.h>

/*
 * Roles: viewer reads everything but secrets, users and audit; operator also
 * changes connections and secrets and acts on SAs; admin does everything.
 * /tokens is open to every user for their own tokens (the handlers narrow it).
 * History is read by viewers (without secret names); export names secrets,
 * so it is an operator's, like /secrets.
 */
const struct route routes[] = {
	{ M_GET, "/health", api_health, ROLE_PUBLIC, 0 },
	{ M_GET, "/metrics", api_metrics, ROLE_VIEWER, 0 },
	{ M_GET, "/openapi.json", api_openapi, ROLE_VIEWER, 0 },
	{ M_GET, "/events", api_events, ROLE_VIEWER, RF_STREAM },

	{ M_GET, "/session", api_session_get, ROLE_VIEWER, 0 },
	{ M_POST, "/session", api_session_login, ROLE_PUBLIC, RF_JSON },
	{ M_DELETE, "/session", api_session_logout, ROLE_VIEWER, 0 },

	{ M_GET, "/connections", api_connections_list, ROLE_VIEWER, 0 },
	{ M_POST, "/connections", api_connections_create, ROLE_OPERATOR, RF_JSON },
	{ M_GET, "/connections/{name}", api_connection_get, ROLE_VIEWER, 0 },
	{ M_PUT, "/connections/{name}", api_connection_put, ROLE_OPERATOR, RF_JSON },
	{ M_PATCH, "/connections/{name}", api_connection_patch, ROLE_OPERATOR, RF_JSON },
	{ M_DELETE, "/connections/{name}", api_connection_delete, ROLE_OPERATOR, 0 },
	{ M_POST, "/connections/{name}/initiate", api_engine_initiate, ROLE_OPERATOR, 0 },
	{ M_POST, "/connections/{name}/terminate", api_engine_terminate, ROLE_OPERATOR, 0 },

	{ M_GET, "/connections/{name}/children", api_children_list, ROLE_VIEWER, 0 },
	{ M_POST, "/connections/{name}/children", api_children_create, ROLE_OPERATOR, RF_JSON },
	{ M_GET, "/connections/{name}/children/{child}", api_child_get, ROLE_VIEWER, 0 },
	{ M_PUT, "/connections/{name}/children/{child}", api_child_put, ROLE_OPERATOR, RF_JSON },
	{ M_PATCH, "/connections/{name}/children/{child}", api_child_patch, ROLE_OPERATOR, RF_JSON },
	{ M_DELETE, "/connections/{name}/children/{child}", api_child_delete, ROLE_OPERATOR, 0 },
	{ M_POST, "/connections/{name}/children/{child}/initiate", api_engine_child_initiate, ROLE_OPERATOR, 0 },
	{ M_POST, "/connections/{name}/children/{child}/terminate", api_engine_child_terminate, ROLE_OPERATOR, 0 },

	{ M_GET, "/sas", api_engine_sas, ROLE_VIEWER, 0 },

	{ M_GET, "/secrets", api_secrets_list, ROLE_OPERATOR, 0 },
	{ M_GET, "/secrets/{name}", api_secret_get, ROLE_OPERATOR, 0 },
	{ M_PUT, "/secrets/{name}", api_secret_put, ROLE_OPERATOR, RF_JSON },
	{ M_DELETE, "/secrets/{name}", api_secret_delete, ROLE_OPERATOR, 0 },

	{ M_GET, "/users", api_users_list, ROLE_ADMIN, 0 },
	{ M_POST, "/users", api_users_create, ROLE_ADMIN, RF_JSON },
	{ M_GET, "/users/{name}", api_user_get, ROLE_ADMIN, 0 },
	{ M_PATCH, "/users/{name}", api_user_patch, ROLE_ADMIN, RF_JSON },
	{ M_DELETE, "/users/{name}", api_user_delete, ROLE_ADMIN, 0 },

	{ M_GET, "/tokens", api_tokens_list, ROLE_VIEWER, 0 },
	{ M_POST, "/tokens", api_tokens_create, ROLE_VIEWER, RF_JSON },
	{ M_GET, "/tokens/{id}", api_token_get, ROLE_VIEWER, 0 },
	{ M_DELETE, "/tokens/{id}", api_token_delete, ROLE_VIEWER, 0 },

	{ M_GET, "/audit", api_audit_list, ROLE_ADMIN, 0 },

	{ M_GET, "/revisions", api_revisions_list, ROLE_VIEWER, 0 },
	{ M_GET, "/revisions/{n}", api_revision_get, ROLE_VIEWER, 0 },
	{ M_GET, "/revisions/{a}/diff/{b}", api_revisions_diff, ROLE_VIEWER, 0 },
	{ M_POST, "/revisions/{n}/rollback", api_revision_rollback, ROLE_OPERATOR, 0 },
	{ M_GET, "/commit/confirm", api_confirm_get, ROLE_VIEWER, 0 },
	{ M_POST, "/commit/confirm", api_confirm_post, ROLE_OPERATOR, 0 },

	{ M_GET, "/export", api_export, ROLE_OPERATOR, 0 },
	{ M_POST, "/import", api_import, ROLE_OPERATOR, RF_BULK },
};

const unsigned routes_count = sizeof(routes) / sizeof(routes[0]);

const char *method_name(enum http_method m)
{
	switch (m) {
	case M_GET: return "GET";
	case M_POST: return "POST";
	case M_PUT: return "PUT";
	case M_PATCH: return "PATCH";
	case M_DELETE: return "DELETE";
	case M_HEAD: return "HEAD";
	}
	return "?";
}

void routes_allow_text(unsigned methods, char *out, size_t len)
{
	static const enum http_method order[] = { M_GET, M_HEAD, M_POST, M_PUT, M_PATCH, M_DELETE };

	out[0] = '\0';
	if (methods & M_GET)
		methods |= M_HEAD;
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (methods & order[i])
			snprintf(out + strlen(out), len - strlen(out), "%s%s",
				 out[0] ? ", " : "", method_name(order[i]));
}

/*
 * Match path segments against a pattern; "{x}" takes one non-empty segment.
 * params point into buf, where the segments were cut (buf is the request's
 * own copy of the path).
 */
static bool match(const char *pattern, char *buf, const char **params, unsigned *n)
{
	const char *p = pattern;
	char *s = buf;

	*n = 0;
	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		if (*p == '{') {
			char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);

			if (len == 0 || *n >= AGENT_PARAMS_MAX)
				return false;
			params[(*n)++] = s;
			s += len;
			p = strchr(p, '}');
			if (!p)
				return false;
			p++;
		} else {
			const char *pe = strchr(p, '/');
			size_t plen = pe ? (size_t)(pe - p) : strlen(p);

			if (strncmp(p, s, plen) != 0 || (s[plen] != '/' && s[plen] != '\0'))
				return false;
			p += plen;
			s += plen;
		}
	}
	return *p == '\0' && *s == '\0';
}

bool routes_match(struct req *r, const char *path, enum http_method m, unsigned *allow)
{
	char tmp[AGENT_URL_MAX + 1];
	const char *params[AGENT_PARAMS_MAX];
	unsigned n;
	enum http_method want = m == M_HEAD ? M_GET : m;

	*allow = 0;
	if (strlen(path) > AGENT_URL_MAX)
		return false;
	for (unsigned i = 0; i < routes_count; i++) {
		snprintf(tmp, sizeof(tmp), "%s", path);
		if (!match(routes[i].pattern, tmp, params, &n))
			continue;
		*allow |= routes[i].method;
		if (routes[i].method != want)
			continue;
		/* Matched: cut the segments in the request's own copy. */
		snprintf(r->path, sizeof(r->path), "%s", path);
		match(routes[i].pattern, r->path, r->params, &r->n_params);
		for (unsigned k = 0; k < r->n_params; k++) {
			char *slash = strchr(r->params[k], '/');

			if (slash)
				*slash = '\0';
		}
		r->route = &routes[i];
		r->route_index = (int)i;
		return true;
	}
	return false;
}
