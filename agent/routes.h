/* SPDX-License-Identifier: MIT */
/*
 * The route table: every endpoint under /api/v1 with its method, handler,
 * the least role that may call it, and flags. docs/openapi.json must list
 * exactly these (tests/unit/test_agent_openapi.c compares them).
 */
#ifndef SECGW_AGENT_ROUTES_H
#define SECGW_AGENT_ROUTES_H

#include "agent/http.h"

#define API_PREFIX "/api/v1"

extern const struct route routes[];
extern const unsigned routes_count;

/*
 * Find the route for (path under /api/v1, method). On a match, fills
 * r->route, r->route_index and r->params (pointing into r->path) and returns
 * true. Otherwise *allow is the set of methods the path has (0: no such path).
 */
bool routes_match(struct req *r, const char *path, enum http_method m, unsigned *allow);

/* "GET, HEAD, POST" for an Allow header. */
void routes_allow_text(unsigned methods, char *out, size_t len);
const char *method_name(enum http_method m);

/* The limit, cursor and prefix of a list request (answers 400 itself). */
bool list_params(struct req *r, unsigned *limit, const char **cursor, const char **prefix);
/* The same for lists paged by number, newest first (audit, revisions):
 * *before is the cursor (INT64_MAX without one). */
bool list_number_params(struct req *r, long long *limit, long long *before);

/* Handlers, one file per resource (api_*.c). */
enum hres api_health(struct req *r);
enum hres api_metrics(struct req *r);
enum hres api_openapi(struct req *r);
enum hres api_events(struct req *r);

enum hres api_session_get(struct req *r);
enum hres api_session_login(struct req *r);
enum hres api_session_logout(struct req *r);

enum hres api_connections_list(struct req *r);
enum hres api_connections_create(struct req *r);
enum hres api_connection_get(struct req *r);
enum hres api_connection_put(struct req *r);
enum hres api_connection_patch(struct req *r);
enum hres api_connection_delete(struct req *r);

enum hres api_children_list(struct req *r);
enum hres api_children_create(struct req *r);
enum hres api_child_get(struct req *r);
enum hres api_child_put(struct req *r);
enum hres api_child_patch(struct req *r);
enum hres api_child_delete(struct req *r);

enum hres api_engine_initiate(struct req *r);
enum hres api_engine_terminate(struct req *r);
enum hres api_engine_sas(struct req *r);
enum hres api_engine_child_initiate(struct req *r);
enum hres api_engine_child_terminate(struct req *r);

enum hres api_secrets_list(struct req *r);
enum hres api_secret_get(struct req *r);
enum hres api_secret_put(struct req *r);
enum hres api_secret_delete(struct req *r);

enum hres api_users_list(struct req *r);
enum hres api_users_create(struct req *r);
enum hres api_user_get(struct req *r);
enum hres api_user_patch(struct req *r);
enum hres api_user_delete(struct req *r);

enum hres api_tokens_list(struct req *r);
enum hres api_tokens_create(struct req *r);
enum hres api_token_get(struct req *r);
enum hres api_token_delete(struct req *r);

enum hres api_audit_list(struct req *r);

enum hres api_revisions_list(struct req *r);
enum hres api_revision_get(struct req *r);
enum hres api_revisions_diff(struct req *r);
enum hres api_revision_rollback(struct req *r);
enum hres api_confirm_get(struct req *r);
enum hres api_confirm_post(struct req *r);

enum hres api_import(struct req *r);
enum hres api_export(struct req *r);

#endif
