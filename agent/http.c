// SPDX-License-Identifier: MIT
#include "agent/http.h"
#include "agent/agent.h"
#include "agent/audit.h"
#include "agent/revision.h"
#include "agent/routes.h"
#include "agent/static.h"
#include "hex.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool name_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' && s[n] != '.' && s[n] != '-')
			return false;
	return n >= 1 && n <= 64;
}

static const char *const role_names[] = {
	[ROLE_PUBLIC] = "public",
	[ROLE_VIEWER] = "viewer",
	[ROLE_OPERATOR] = "operator",
	[ROLE_ADMIN] = "admin",
};

const char *role_name(enum role r)
{
	return r <= ROLE_ADMIN ? role_names[r] : "?";
}

int role_parse(const char *s)
{
	for (int i = ROLE_VIEWER; i <= ROLE_ADMIN; i++)
		if (s && strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

const char *req_query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(struct req *r, const char *name, char *out, size_t len)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);

	if (!v || strlen(v) >= len)
		return NULL;
	memcpy(out, v, strlen(v) + 1);
	return out;
}

void reply_header(struct req *r, const char *name, const char *value)
{
	if (r->n_hdrs >= AGENT_REPLY_HEADERS_MAX)
		return;
	r->hdrs[r->n_hdrs].name = name;
	r->hdrs[r->n_hdrs].value = strdup(value);
	r->n_hdrs++;
}

static enum hres queue(struct req *r, unsigned status, struct MHD_Response *resp, const char *ctype)
{
	enum MHD_Result ok;

	if (!resp)
		return H_FATAL;
	if (r->status) {
		/* A handler answering twice is a bug: keep the first answer. */
		log_err("http: second answer (%u after %u) to %s", status, r->status, r->url);
		MHD_destroy_response(resp);
		return H_OK;
	}
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (unsigned i = 0; i < r->n_hdrs; i++)
		MHD_add_response_header(resp, r->hdrs[i].name, r->hdrs[i].value);
	/* API answers are never cached; the UI's files say otherwise themselves. */
	if (!MHD_get_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ok = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	if (ok != MHD_YES)
		return H_FATAL;
	r->status = status;
	return H_OK;
}

enum hres reply_buf(struct req *r, unsigned status, const char *content_type,
		    const void *buf, size_t len, void (*free_fn)(void *), void *cls)
{
	struct MHD_Response *resp;

	if (free_fn)
		resp = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)buf, free_fn, cls);
	else
		resp = MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_PERSISTENT);
	if (!resp && free_fn)
		free_fn(cls);
	return queue(r, status, resp, content_type);
}

enum hres reply_response(struct req *r, unsigned status, struct MHD_Response *resp)
{
	return queue(r, status, resp, NULL);
}

static enum hres reply_json_type(struct req *r, unsigned status, json_t *body, const char *ctype)
{
	char *s;
	size_t len;

	if (!body)
		return H_FATAL;
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!s)
		return H_FATAL;
	len = strlen(s);
	return reply_buf(r, status, ctype, s, len, free, s);
}

enum hres reply_json(struct req *r, unsigned status, json_t *body)
{
	return reply_json_type(r, status, body, "application/json");
}

enum hres reply_empty(struct req *r, unsigned status)
{
	return reply_buf(r, status, NULL, "", 0, NULL, NULL);
}

enum hres reply_problem(struct req *r, enum problem p, const char *detail, json_t *errors)
{
	json_t *doc = problem_build(p, detail, errors);

	if (reply_json_type(r, problem_info(p)->status, doc, "application/problem+json") != H_OK)
		return H_FATAL;
	return p == P_INTERNAL ? H_OK : H_ANSWERED;
}

enum hres reply_problemf(struct req *r, enum problem p, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return reply_problem(r, p, detail, NULL);
}

enum hres reply_invalid(struct req *r, struct ferrs *e)
{
	int n = ferrs_count(e);
	char detail[64];

	snprintf(detail, sizeof(detail), "%d field%s invalid", n, n == 1 ? " is" : "s are");
	return reply_problem(r, P_INVALID, detail, ferrs_take(e));	/* ferrs_take empties e */
}

void etag_revision(char *out, size_t len, int64_t revision)
{
	snprintf(out, len, "\"r%lld\"", (long long)revision);
}

/* The tag of a representation's exact bytes (and its hidden state). */
static void etag_of_text(char *out, size_t len, const char *text, const char *hidden)
{
	unsigned char h[16];
	crypto_generichash_state st;
	char hex[sizeof(h) * 2 + 1];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	if (text)
		crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	/* A separator no JSON text contains keeps body/hidden splits apart. */
	crypto_generichash_update(&st, (const unsigned char *)"", 1);
	if (hidden)
		crypto_generichash_update(&st, (const unsigned char *)hidden, strlen(hidden));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, len, "\"c%s\"", hex);
}

void etag_content(char *out, size_t len, const json_t *body, const char *hidden)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	etag_of_text(out, len, text, hidden);
	free(text);
}

/* The body is serialised once: the tag is taken from the very bytes sent. */
enum hres reply_json_tagged(struct req *r, json_t *body, const char *hidden)
{
	char etag[ETAG_CONTENT_MAX];
	char *text;

	if (!body)
		return H_FATAL;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return H_FATAL;
	etag_of_text(etag, sizeof(etag), text, hidden);
	reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	if (etag_fresh(r, etag)) {
		free(text);
		return reply_empty(r, 304);
	}
	return reply_buf(r, 200, "application/json", text, strlen(text), free, text);
}

/* Does a comma-separated list of entity tags contain tag (strong comparison)? */
static bool etag_list_has(const char *list, const char *tag, bool weak_ok)
{
	size_t tl = strlen(tag);
	const char *p = list;

	while (*p) {
		const char *end;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		{
			const char *s = p, *e = end;

			while (e > s && e[-1] == ' ')
				e--;
			if (weak_ok && e - s > 2 && s[0] == 'W' && s[1] == '/')
				s += 2;
			if ((size_t)(e - s) == tl && memcmp(s, tag, tl) == 0)
				return true;
			if (e - s == 1 && *s == '*')
				return true;
		}
		p = end;
	}
	return false;
}

bool etag_check(struct req *r, const char *current)
{
	const char *im = req_header(r, MHD_HTTP_HEADER_IF_MATCH);

	if (!im)
		return true;
	if (current && etag_list_has(im, current, false))
		return true;
	reply_problemf(r, P_PRECONDITION, "If-Match %s does not match the current ETag %s", im,
		       current ? current : "(none: the resource does not exist)");
	return false;
}

bool etag_fresh(struct req *r, const char *current)
{
	const char *inm = req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);

	return inm && current && etag_list_has(inm, current, true);
}

static enum http_method parse_method(const char *m)
{
	static const struct { const char *name; enum http_method m; } t[] = {
		{ "GET", M_GET }, { "HEAD", M_HEAD }, { "POST", M_POST },
		{ "PUT", M_PUT }, { "PATCH", M_PATCH }, { "DELETE", M_DELETE },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(m, t[i].name) == 0)
			return t[i].m;
	return 0;
}

static void client_address(struct req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(r->source, sizeof(r->source), "?");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		inet_ntop(AF_INET, &sin.sin_addr, r->source, sizeof(r->source));
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		inet_ntop(AF_INET6, &sin6.sin6_addr, r->source, sizeof(r->source));
	}
}

static bool json_content_type(const char *ct)
{
	size_t n;

	if (!ct)
		return false;
	n = strcspn(ct, "; ");
	return (n == 16 && strncasecmp(ct, "application/json", 16) == 0) ||
	       (n == 28 && strncasecmp(ct, "application/merge-patch+json", 28) == 0);
}

static size_t body_max(const struct req *r)
{
	return r->route && (r->route->flags & RF_BULK) ? AGENT_BULK_BODY_MAX : AGENT_BODY_MAX;
}

/* Checks that need no body: route, method, size, auth, role, CSRF, type. */
static void begin(struct req *r, const char *url, const char *method)
{
	const char *path;
	const char *cl;
	unsigned allow = 0;

	r->method = parse_method(method);
	if (strlen(url) > AGENT_URL_MAX) {
		reply_problemf(r, P_URI_TOO_LONG, "the URL is longer than %d bytes", AGENT_URL_MAX);
		return;
	}
	snprintf(r->url, sizeof(r->url), "%s", url);
	if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0 ||
	    (url[strlen(API_PREFIX)] != '/' && url[strlen(API_PREFIX)] != '\0')) {
		static_serve(r, url);
		return;
	}
	path = url + strlen(API_PREFIX);
	/* An unknown method (OPTIONS, TRACE…) matches no route but still learns Allow. */
	if (!routes_match(r, path, r->method, &allow)) {
		char allow_text[64];

		if (!allow) {
			reply_problemf(r, P_NOT_FOUND, "no such route: %s", url);
			return;
		}
		routes_allow_text(allow, allow_text, sizeof(allow_text));
		reply_header(r, MHD_HTTP_HEADER_ALLOW, allow_text);
		reply_problemf(r, P_METHOD, "%s is not allowed on %s (allowed: %s)", method, url, allow_text);
		return;
	}
	/* Content-Length is a claim: it only lets us refuse early; the bytes are counted too. */
	cl = req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > body_max(r)) {
		reply_problemf(r, P_TOO_LARGE, "the body is larger than %zu bytes", body_max(r));
		return;
	}
	{
		const char *comment = req_header(r, COMMENT_HEADER);

		if (comment && strlen(comment) > REVISION_COMMENT_MAX) {
			reply_problemf(r, P_BAD_REQUEST, "%s is longer than %d bytes", COMMENT_HEADER,
				       REVISION_COMMENT_MAX);
			return;
		}
	}
	if (r->route->min_role != ROLE_PUBLIC && auth_request(r) != H_OK)
		return;
	if ((r->route->flags & RF_JSON) && !json_content_type(req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);

		reply_problemf(r, P_MEDIA_TYPE, "the body must be application/json (got %s)",
			       ct ? ct : "no Content-Type");
		return;
	}
}

/*
 * jansson allows 2048 levels of nesting; we allow AGENT_JSON_DEPTH_MAX, and
 * check before parsing so a body of a million '[' costs a scan, not a tree.
 */
bool json_depth_ok(const char *p, size_t n)
{
	unsigned depth = 0;
	bool in_str = false, esc = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > AGENT_JSON_DEPTH_MAX)
				return false;
		} else if ((c == ']' || c == '}') && depth)
			depth--;
	}
	return true;
}

static enum hres dispatch(struct req *r)
{
	if (r->body_too_large)
		return reply_problemf(r, P_TOO_LARGE, "the body is larger than %zu bytes", body_max(r));
	if (r->route->flags & RF_JSON) {
		json_error_t err;

		if (!json_depth_ok(r->body ? r->body : "", r->body_len))
			return reply_problemf(r, P_MALFORMED_JSON, "JSON nested deeper than %d levels",
					      AGENT_JSON_DEPTH_MAX);
		r->json = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES, &err);
		if (!r->json)
			return reply_problemf(r, P_MALFORMED_JSON, "line %d, column %d: %s",
					      err.line, err.column, err.text);
		if (!json_is_object(r->json)) {
			struct ferrs e;

			ferrs_init(&e);
			ferrs_add(&e, "", "the body must be a JSON object");
			return reply_invalid(r, &e);
		}
	}
	return r->route->fn(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct agent *ag = cls;
	struct req *r = *con_cls;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->ag = ag;
		r->conn = c;
		r->route_index = -1;
		r->t_start_ns = now_ns();
		atomic_fetch_add(&ag->in_flight, 1);
		r->counted_in_flight = true;
		client_address(r);
		if (atomic_load(&ag->stopping)) {
			reply_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
			reply_problem(r, P_UNAVAILABLE, "the agent is shutting down", NULL);
			return MHD_YES;
		}
		begin(r, url, method);
		return MHD_YES;
	}
	if (*upload_size) {
		/* Answered early (413, 401…): drain what the client still sends. */
		if (!r->status && !r->body_too_large) {
			if (r->body_len + *upload_size > body_max(r)) {
				r->body_too_large = true;
				free(r->body);
				r->body = NULL;
				r->body_len = r->body_cap = 0;
			} else {
				if (r->body_len + *upload_size > r->body_cap) {
					size_t cap = r->body_cap ? r->body_cap : 4096;
					char *nb;

					while (cap < r->body_len + *upload_size)
						cap *= 2;
					if (cap > body_max(r))
						cap = body_max(r);
					nb = realloc(r->body, cap);
					if (!nb)
						return MHD_NO;
					r->body = nb;
					r->body_cap = cap;
				}
				memcpy(r->body + r->body_len, upload, *upload_size);
				r->body_len += *upload_size;
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->status || r->streaming)
		return MHD_YES;
	if (dispatch(r) != H_OK && !r->status) {
		log_err("http: %s %s failed (internal)", method, url);
		reply_problem(r, P_INTERNAL, "internal error; the agent's log has the cause", NULL);
	}
	if (!r->status)
		return MHD_NO;
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct agent *ag = cls;
	struct req *r = *con_cls;

	(void)c;
	(void)toe;
	if (!r)
		return;
	metrics_record(&ag->metrics, r->route_index, r->status, now_ns() - r->t_start_ns);
	if (r->counted_in_flight)
		atomic_fetch_sub(&ag->in_flight, 1);
	for (unsigned i = 0; i < r->n_hdrs; i++)
		free(r->hdrs[i].value);
	json_decref(r->json);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/*
 * Percent-decoding of the path and query, as libmicrohttpd does it, except
 * %00: a decoded NUL would end the C string early, so "/index.html%00.js"
 * would name /index.html and "/connections/hq%00x" would name hq. It stays
 * "%00", which names nothing.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	const char *r = s;
	char *w = s;

	(void)cls;
	(void)c;
	while (*r) {
		int hi = r[0] == '%' ? hex_digit(r[1]) : -1;
		int lo = hi >= 0 ? hex_digit(r[2]) : -1;

		if (lo >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

struct MHD_Daemon *http_start(struct agent *ag, int listen_fd,
			      const char *tls_cert_pem, const char *tls_key_pem)
{
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[16];
	unsigned n = 0;

#define OPT(o, v, p) (opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) })
	OPT(MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL);
	OPT(MHD_OPTION_THREAD_POOL_SIZE, AGENT_THREADS, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, AGENT_CONN_LIMIT, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, AGENT_CONN_TIMEOUT_S, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, AGENT_HEADERS_MAX + 4096, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, ag);
	OPT(MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL);
	OPT(MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL);
	if (tls_cert_pem && tls_key_pem) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key_pem);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, ag,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}
