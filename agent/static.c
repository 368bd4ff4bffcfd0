// SPDX-License-Identifier: MIT
/*
 * The web UI's files. The adversary is a page on another site that frames
 * ours (clickjacking), or text of an attacker's (a connection name, an audit
 * detail) that the UI might one day render as markup: the policy below lets
 * the UI run only its own files — no inline script or style, no eval, no
 * string-to-HTML sinks (Trusted Types), no framing, no form posted elsewhere —
 * so such text stays text even if a bug would have let it through.
 */
#include "agent/static.h"
#include "agent/embed.h"

#include <string.h>

const char static_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; "
	"frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
};

static const char *content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (unsigned i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

static const struct embed_web_file *find(const char *url)
{
	const char *name = strcmp(url, "/") == 0 ? "index.html" : url + 1;

	for (const struct embed_web_file *f = embed_web; f->name; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

void static_serve(struct req *r, const char *url)
{
	const struct embed_web_file *f;

	reply_header(r, "Content-Security-Policy", static_csp);
	reply_header(r, "Referrer-Policy", "no-referrer");
	reply_header(r, "X-Frame-Options", "DENY");
	reply_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	if (r->method != M_GET && r->method != M_HEAD) {
		reply_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
		reply_problemf(r, P_METHOD, "the web UI's files are read-only (allowed: GET, HEAD)");
		return;
	}
	f = url[0] == '/' ? find(url) : NULL;
	if (!f) {
		reply_problemf(r, P_NOT_FOUND, "no such page or route: %s (the API is under /api/v1/)", url);
		return;
	}
	reply_header(r, MHD_HTTP_HEADER_ETAG, f->etag);
	/* Cached, but asked again every time: a new agent must never run an old UI. */
	reply_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	if (etag_fresh(r, f->etag)) {
		reply_empty(r, 304);
		return;
	}
	reply_buf(r, 200, content_type(f->name), f->data, f->len, NULL, NULL);
}
