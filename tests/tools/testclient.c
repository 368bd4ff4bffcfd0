// SPDX-License-Identifier: MIT
/*
 * secgw-testclient: the libcurl client of the agent's test suites.
 *
 *   secgw-testclient [opts] METHOD URL
 *	prints the HTTP status on stdout (nothing else); the body goes to -o
 *	FILE (default: discarded), the response headers to -D FILE.
 *	-d BODY | -d @FILE   request body (Content-Type application/json unless -H says)
 *	-H 'Name: value'     extra header (repeatable)
 *	-t TOKEN             bearer token
 *	-c JAR               cookie jar, read and updated
 *	--cacert FILE        trust this CA (HTTPS)
 *	--interface ADDR     local address to send from (e.g. 127.0.0.2)
 *	exit 0 when an answer came, 3 when the agent could not be reached.
 *
 *   secgw-testclient burst URL -t TOKEN --count N --prefix P --ack FILE
 *	POST N connections P-000001… over one keep-alive connection; append the
 *	name of each one acknowledged (201) to FILE as soon as it is; stop at
 *	the first failure. Prints the number acknowledged.
 *
 *   secgw-testclient events URL -t TOKEN --until TYPE [--count N] [--max-time S]
 *	read the SSE stream, copy it to stdout, exit 0 once N events of TYPE
 *	arrived (1 by default), 1 at --max-time (default 10 s).
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	BODY_FILE_MAX = 4 << 20,
	HEADERS_MAX = 32,
};

struct opts {
	const char *method, *url, *body, *token, *jar, *cacert, *iface;
	const char *out, *dump, *prefix, *ack, *until;
	const char *headers[HEADERS_MAX];
	unsigned n_headers;
	long count, max_time;
};

static void die(const char *msg)
{
	fprintf(stderr, "secgw-testclient: %s\n", msg);
	exit(2);
}

static char *slurp(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f)
		die("cannot open the body file");
	buf = malloc(BODY_FILE_MAX + 1);
	if (!buf)
		die("out of memory");
	n = fread(buf, 1, BODY_FILE_MAX, f);
	buf[n] = '\0';
	if (f != stdin)
		fclose(f);
	return buf;
}

static struct curl_slist *base_headers(const struct opts *o, bool json)
{
	struct curl_slist *h = NULL;
	char auth[256];
	bool has_ct = false;

	for (unsigned i = 0; i < o->n_headers; i++) {
		h = curl_slist_append(h, o->headers[i]);
		if (strncasecmp(o->headers[i], "Content-Type:", 13) == 0)
			has_ct = true;
	}
	if (json && !has_ct)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (o->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->token);
		h = curl_slist_append(h, auth);
	}
	/* No "Expect: 100-continue" round trip. */
	h = curl_slist_append(h, "Expect:");
	return h;
}

static void common(CURL *c, const struct opts *o)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
	if (o->jar) {
		curl_easy_setopt(c, CURLOPT_COOKIEFILE, o->jar);
		curl_easy_setopt(c, CURLOPT_COOKIEJAR, o->jar);
	}
	if (o->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (o->iface)
		curl_easy_setopt(c, CURLOPT_INTERFACE, o->iface);
}

static size_t to_file(char *p, size_t sz, size_t n, void *f)
{
	return fwrite(p, sz, n, f);
}

static size_t discard(char *p, size_t sz, size_t n, void *f)
{
	(void)p;
	(void)f;
	return sz * n;
}

static int one_request(const struct opts *o)
{
	CURL *c = curl_easy_init();
	FILE *out = NULL, *dump = NULL;
	struct curl_slist *h;
	char *body = NULL;
	long status = 0;
	CURLcode rc;

	if (!c)
		die("curl_easy_init failed");
	if (o->body)
		body = o->body[0] == '@' ? slurp(o->body + 1) : strdup(o->body);
	h = base_headers(o, body != NULL);
	common(c, o);
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
	if (strcmp(o->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->max_time ? o->max_time : 30L);
	if (o->out) {
		out = fopen(o->out, "wb");
		if (!out)
			die("cannot write the -o file");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_file);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	} else {
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	}
	if (o->dump) {
		dump = fopen(o->dump, "wb");
		if (!dump)
			die("cannot write the -D file");
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, to_file);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, dump);
	}
	rc = curl_easy_perform(c);
	if (out)
		fclose(out);
	if (dump)
		fclose(dump);
	curl_slist_free_all(h);
	free(body);
	if (rc != CURLE_OK) {
		fprintf(stderr, "secgw-testclient: %s\n", curl_easy_strerror(rc));
		curl_easy_cleanup(c);
		return 3;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	printf("%ld\n", status);
	curl_easy_cleanup(c);
	return 0;
}

static int burst(const struct opts *o)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = base_headers(o, true);
	FILE *ack = o->ack ? fopen(o->ack, "a") : NULL;
	long acked = 0;

	if (!c || (o->ack && !ack))
		die("cannot start the burst");
	common(c, o);
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	for (long i = 1; i <= o->count; i++) {
		char name[96], body[512];
		long status = 0;

		snprintf(name, sizeof(name), "%s-%06ld", o->prefix, i);
		snprintf(body, sizeof(body),
			 "{\"name\":\"%s\",\"remote_addrs\":[\"192.0.2.%ld\"],\"keying\":\"ike\","
			 "\"auth\":\"psk\",\"psk\":\"burst-psk\",\"children\":[{\"name\":\"lan\","
			 "\"local_ts\":[\"10.%ld.%ld.0/24\"],\"remote_ts\":[\"10.200.0.0/16\"]}]}",
			 name, i % 250 + 1, (i / 256) % 256, i % 256);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (curl_easy_perform(c) != CURLE_OK)
			break;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != 201) {
			fprintf(stderr, "secgw-testclient: burst: %s answered %ld\n", name, status);
			break;
		}
		acked++;
		if (ack) {
			fprintf(ack, "%s\n", name);
			fflush(ack);
		}
	}
	if (ack)
		fclose(ack);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	printf("%ld\n", acked);
	return 0;
}

struct sse {
	const char *until;
	long want, seen;
	char line[8192];
	size_t len;
};

static size_t on_sse(char *p, size_t sz, size_t n, void *cls)
{
	struct sse *s = cls;
	size_t total = sz * n;

	fwrite(p, 1, total, stdout);
	fflush(stdout);
	for (size_t i = 0; i < total; i++) {
		if (p[i] == '\n') {
			s->line[s->len] = '\0';
			if (strncmp(s->line, "event: ", 7) == 0 && strcmp(s->line + 7, s->until) == 0)
				s->seen++;
			s->len = 0;
			if (s->seen >= s->want)
				return 0;	/* done: abort the transfer */
		} else if (s->len < sizeof(s->line) - 1) {
			s->line[s->len++] = p[i];
		}
	}
	return total;
}

static int events(const struct opts *o)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = base_headers(o, false);
	struct sse s = { .until = o->until ? o->until : "hello", .want = o->count ? o->count : 1 };

	if (!c)
		die("curl_easy_init failed");
	common(c, o);
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_sse);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->max_time ? o->max_time : 10L);
	curl_easy_perform(c);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return s.seen >= s.want ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	const char *mode = "request";
	const char *pos[2] = { NULL, NULL };
	unsigned npos = 0;
	int rc;

	if (argc > 1 && (strcmp(argv[1], "burst") == 0 || strcmp(argv[1], "events") == 0)) {
		mode = argv[1];
		argv++;
		argc--;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define ARG(flag, field) if (strcmp(a, flag) == 0) { if (!v) die("missing value for " flag); o.field = v; i++; continue; }
		ARG("-d", body) ARG("-t", token) ARG("-c", jar) ARG("--cacert", cacert)
		ARG("--interface", iface) ARG("-o", out) ARG("-D", dump) ARG("--prefix", prefix)
		ARG("--ack", ack) ARG("--until", until)
#undef ARG
		if (strcmp(a, "-H") == 0 && v) {
			if (o.n_headers >= HEADERS_MAX)
				die("too many -H");
			o.headers[o.n_headers++] = v;
			i++;
		} else if (strcmp(a, "--count") == 0 && v) {
			o.count = atol(v);
			i++;
		} else if (strcmp(a, "--max-time") == 0 && v) {
			o.max_time = atol(v);
			i++;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			die("usage: see the comment at the top of tests/tools/testclient.c");
		}
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(mode, "request") == 0) {
		if (npos != 2)
			die("usage: secgw-testclient [opts] METHOD URL");
		o.method = pos[0];
		o.url = pos[1];
		rc = one_request(&o);
	} else {
		if (npos != 1)
			die("usage: secgw-testclient burst|events URL [opts]");
		o.url = pos[0];
		rc = strcmp(mode, "burst") == 0 ? burst(&o) : events(&o);
	}
	curl_global_cleanup();
	return rc;
}
