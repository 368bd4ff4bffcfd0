// SPDX-License-Identifier: MIT
/* The HTTP side of secgw: where the agent is, one request, and why it failed. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

const char *cli_login_path(char *out, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		snprintf(out, len, "%s/secgw/login", xdg);
	else
		snprintf(out, len, "%s/.config/secgw/login", home && *home ? home : ".");
	return out;
}

/* A setting longer than its buffer is left out, not cut: a cut URL or token is wrong. */
static void setting(char *dst, size_t n, const char *v)
{
	size_t l = strlen(v);

	if (l >= n) {
		fprintf(stderr, "secgw: ignoring a setting longer than %zu bytes\n", n - 1);
		return;
	}
	memcpy(dst, v, l + 1);
}

/* The login file: url=, token=, cacert= lines (written by `secgw login`, mode 0600). */
static void read_login(struct cli *c, bool want_url, bool want_token, bool want_ca)
{
	char path[1024], line[CLI_URL_MAX + 16];
	FILE *f = fopen(cli_login_path(path, sizeof(path)), "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (want_url && strncmp(line, "url=", 4) == 0)
			setting(c->url, sizeof(c->url), line + 4);
		else if (want_token && strncmp(line, "token=", 6) == 0)
			setting(c->token, sizeof(c->token), line + 6);
		else if (want_ca && strncmp(line, "cacert=", 7) == 0)
			setting(c->cacert, sizeof(c->cacert), line + 7);
	}
	cli_wipe(line, sizeof(line));
	fclose(f);
}

void cli_config(struct cli *c, const char *url, const char *token, const char *cacert)
{
	const char *eu = getenv("SECGW_URL"), *et = getenv("SECGW_TOKEN"), *ec = getenv("SECGW_CACERT");

	if (!url && eu && *eu)
		url = eu;
	if (!token && et && *et)
		token = et;
	if (!cacert && ec && *ec)
		cacert = ec;
	read_login(c, !url, !token, !cacert);
	if (url)
		setting(c->url, sizeof(c->url), url);
	if (token)
		setting(c->token, sizeof(c->token), token);
	if (cacert)
		setting(c->cacert, sizeof(c->cacert), cacert);
	cli_set_url(c, c->url[0] ? c->url : CLI_DEFAULT_URL);
}

void cli_set_url(struct cli *c, const char *url)
{
	size_t n;

	if (url != c->url)
		setting(c->url, sizeof(c->url), url);
	/* "http://host:8080/" and "http://host:8080/api/v1" both mean the agent. */
	n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	if (n >= 7 && strcmp(c->url + n - 7, "/api/v1") == 0)
		c->url[n - 7] = '\0';
}

void cli_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("secgw: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (secgw help)\n", stderr);
	return EXIT_USAGE;
}

void cli_path(char *out, size_t len, const char *const *segs)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; segs[i]; i++) {
		char *e = curl_easy_escape(NULL, segs[i], 0);

		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "/%s", e ? e : "");
		curl_free(e);
	}
	if (n >= len)
		out[len - 1] = '\0';
}

struct sink {
	char *p;
	size_t len, cap;
	bool too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;
	size_t k = size * n;

	if (s->len + k + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8192;
		char *np;

		while (cap < s->len + k + 1)
			cap *= 2;
		if (cap > (size_t)CLI_FILE_MAX * 4) {
			s->too_big = true;
			return 0;
		}
		np = realloc(s->p, cap);
		if (!np)
			return 0;
		s->p = np;
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, k);
	s->len += k;
	s->p[s->len] = '\0';
	return k;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name);

	if (n > nl + 1 && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
		const char *v = line + nl + 1;
		size_t vl = n - nl - 1;

		while (vl && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl >= len)
			vl = len - 1;
		memcpy(out, v, vl);
		out[vl] = '\0';
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;

	header_value(p, size * n, "ETag", r->etag, sizeof(r->etag));
	header_value(p, size * n, "X-Secgw-Confirm-Deadline", r->deadline, sizeof(r->deadline));
	return size * n;
}

void resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

json_t *resp_json(const struct resp *r)
{
	json_error_t err;
	json_t *v = json_loadb(r->body ? r->body : "", r->len, 0, &err);

	if (!v)
		fprintf(stderr, "secgw: the agent's answer is not JSON (%s)\n", err.text);
	return v;
}

bool cli_print_raw(const struct cli *c, const struct resp *r)
{
	if (!c->json)
		return false;
	fwrite(r->body ? r->body : "", 1, r->len, stdout);
	if (!r->len || r->body[r->len - 1] != '\n')
		putchar('\n');
	return true;
}

long long resp_revision(const struct resp *r)
{
	return r->etag[0] == '"' && r->etag[1] == 'r' ? strtoll(r->etag + 2, NULL, 10) : 0;
}

void cli_note_confirm(const struct cli *c, const struct resp *r)
{
	time_t t;
	struct tm tm;
	char when[32];

	if (c->json || !r->deadline[0])
		return;
	t = (time_t)strtoll(r->deadline, NULL, 10);
	strftime(when, sizeof(when), "%H:%M:%S", localtime_r(&t, &tm));
	printf("awaiting confirmation until %s: run `secgw confirm` in time, or it is reverted\n", when);
}

/* Why the agent said no: the problem document, in words, on stderr. */
static void tell_problem(const struct cli *c, const struct resp *r)
{
	json_t *p = json_loadb(r->body ? r->body : "", r->len, 0, NULL), *e;
	const char *type = json_string_value(json_object_get(p, "type"));
	size_t i;

	if (c->json)
		cli_print_raw(c, r);
	if (!json_is_object(p)) {
		fprintf(stderr, "secgw: the agent answered HTTP %ld\n", r->status);
		json_decref(p);
		return;
	}
	fprintf(stderr, "secgw: %s (HTTP %ld): %s\n", json_string_value(json_object_get(p, "title")), r->status,
		json_string_value(json_object_get(p, "detail")));
	json_array_foreach(json_object_get(p, "errors"), i, e) {
		const char *field = json_string_value(json_object_get(e, "field"));
		const json_t *row = json_object_get(e, "row");

		if (row)
			fprintf(stderr, "  row %lld, %s: %s\n", (long long)json_integer_value(row),
				field && *field ? field : "(the row)", json_string_value(json_object_get(e, "message")));
		else
			fprintf(stderr, "  %s: %s\n", field && *field ? field : "(the body)",
				json_string_value(json_object_get(e, "message")));
	}
	if (type && strcmp(type, "urn:secgw:problem:unauthorized") == 0)
		fprintf(stderr, "secgw: log in with `secgw login`, or set SECGW_TOKEN\n");
	if (type && strcmp(type, "urn:secgw:problem:engine-not-connected") == 0)
		fprintf(stderr, "secgw: the IKE engine (secgw-iked) is not running or not connected to the agent; "
			"live SAs cannot be shown or changed until it is\n");
	json_decref(p);
}

int cli_call(struct cli *c, const char *method, const char *path, const char *body, size_t len,
	     const char *ctype, struct resp *r)
{
	char url[CLI_URL_MAX + CLI_PATH_MAX + 16], auth[CLI_TOKEN_MAX + 32], hdr[512];
	struct curl_slist *h = NULL;
	struct sink s = { 0 };
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (!c->curl) {
		c->curl = curl_easy_init();
		if (!c->curl) {
			fprintf(stderr, "secgw: libcurl failed to start\n");
			return EXIT_UNREACHABLE;
		}
		curl_easy_setopt(c->curl, CURLOPT_COOKIEFILE, "");	/* the session cookie of `login`, in memory */
	}
	snprintf(url, sizeof(url), "%s/api/v1%s", c->url, path);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, (long)CLI_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	if (c->cacert[0])
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cacert);
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype ? ctype : "application/json");
		h = curl_slist_append(h, hdr);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
		if (strcmp(method, "GET") == 0)
			curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	if (c->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, auth);
		cli_wipe(auth, sizeof(auth));
	}
	if (c->csrf[0]) {
		snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", c->csrf);
		h = curl_slist_append(h, hdr);
	}
	if (c->comment && strcmp(method, "GET") != 0) {
		snprintf(hdr, sizeof(hdr), "X-Secgw-Comment: %s", c->comment);
		h = curl_slist_append(h, hdr);
	}
	h = curl_slist_append(h, "Accept: application/json, text/csv");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	rc = curl_easy_perform(c->curl);
	/* The list held the token: wipe it before it goes back to the heap. */
	for (struct curl_slist *it = h; it; it = it->next)
		cli_wipe(it->data, strlen(it->data));
	curl_slist_free_all(h);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	r->body = s.p ? s.p : calloc(1, 1);
	r->len = s.len;
	if (rc != CURLE_OK) {
		fprintf(stderr, "secgw: cannot reach the agent at %s: %s\n", c->url,
			s.too_big ? "the answer is too large" : curl_easy_strerror(rc));
		return EXIT_UNREACHABLE;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status >= 200 && r->status < 300)
		return EXIT_DONE;
	tell_problem(c, r);
	return EXIT_REJECTED;
}

int cli_get(struct cli *c, const char *path, json_t **doc)
{
	struct resp r;
	int rc = cli_call(c, "GET", path, NULL, 0, NULL, &r);

	*doc = NULL;
	if (!rc && !cli_print_raw(c, &r) && !(*doc = resp_json(&r)))
		rc = EXIT_REJECTED;
	resp_free(&r);
	return rc;
}

int cli_mutate(struct cli *c, const char *method, const char *path, const char *body, size_t len,
	       const char *ctype, struct resp *r)
{
	char p[CLI_PATH_MAX + 32];

	if (!c->confirm)
		return cli_call(c, method, path, body, len, ctype, r);
	snprintf(p, sizeof(p), "%s%cconfirm=%ld", path, strchr(path, '?') ? '&' : '?', c->confirm);
	return cli_call(c, method, p, body, len, ctype, r);
}

/* Echo off on the terminal while a secret is typed; restored on every path. */
static long read_tty(const char *prompt, char *out, size_t max)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	struct termios old, quiet;
	size_t n = 0;
	char ch;

	if (fd < 0) {
		fprintf(stderr, "secgw: no terminal to ask on: give a FILE, or - to read standard input\n");
		return -1;
	}
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		fprintf(stderr, "secgw: no terminal to ask on: give a FILE, or - to read standard input\n");
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo goes off before the prompt shows: whatever is typed once it is visible stays unseen. */
	if (tcsetattr(fd, TCSAFLUSH, &quiet) < 0 || write(fd, prompt, strlen(prompt)) < 0) {
		tcsetattr(fd, TCSAFLUSH, &old);
		close(fd);
		return -1;
	}
	while (read(fd, &ch, 1) == 1 && ch != '\n') {
		if (n + 1 >= max) {
			n = max;
			break;
		}
		out[n++] = ch;
	}
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		n = max;
	close(fd);
	cli_wipe(&ch, sizeof(ch));
	if (n >= max) {
		fprintf(stderr, "secgw: longer than %zu bytes\n", max - 1);
		return -1;
	}
	out[n] = '\0';
	return (long)n;
}

long cli_read_secret(const char *src, const char *prompt, char *out, size_t max)
{
	FILE *f;
	size_t n;

	if (!src)
		return read_tty(prompt, out, max);
	f = strcmp(src, "-") == 0 ? stdin : fopen(src, "re");
	if (!f) {
		/* Not echoed: a value typed where the file name goes must not be printed too. */
		fprintf(stderr, "secgw: cannot read the file given: %s (a value is read from a file, from - "
			"(standard input) or typed at a prompt, never taken from the command line)\n",
			strerror(errno));
		return -1;
	}
	n = fread(out, 1, max, f);
	if (f != stdin)
		fclose(f);
	if (n >= max) {
		cli_wipe(out, max);
		fprintf(stderr, "secgw: the value holds more than %zu bytes\n", max - 1);
		return -1;
	}
	if (n && out[n - 1] == '\n')
		n--;
	if (n && out[n - 1] == '\r')
		n--;
	out[n] = '\0';
	return (long)n;
}
