/* SPDX-License-Identifier: MIT */
/*
 * secgw, the command-line client: shared state, the HTTP call, output.
 *
 * Exit statuses (one table for every command, like the agent's problem
 * table): 0 done; 1 the command line is wrong (nothing was sent); 2 the
 * agent refused (its problem detail and every field error are on stderr);
 * 3 the agent cannot be reached.
 */
#ifndef SECGW_CLI_H
#define SECGW_CLI_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cli_exit {
	EXIT_DONE = 0,
	EXIT_USAGE = 1,
	EXIT_REJECTED = 2,
	EXIT_UNREACHABLE = 3,
};

enum {
	CLI_URL_MAX = 1024,
	CLI_TOKEN_MAX = 128,
	CLI_PATH_MAX = 2048,
	CLI_SECRET_MAX = 512,		/* bytes of a PSK, key or password read */
	CLI_FILE_MAX = 16 << 20,	/* an import file (the agent's limit) */
	CLI_TIMEOUT_S = 120,		/* a 10,000-tunnel import under a sanitizer build */
	TABLE_WIDTH = 80,
};

#define CLI_VERSION "0.1.0"
#define CLI_DEFAULT_URL "http://127.0.0.1:8080"

struct cli {
	char url[CLI_URL_MAX];
	char token[CLI_TOKEN_MAX];
	char cacert[CLI_URL_MAX];
	bool json;		/* --output json */
	const char *comment;	/* --comment: X-Secgw-Comment */
	long confirm;		/* --confirm SECONDS, 0: none */
	CURL *curl;		/* one handle: keep-alive, and the session cookie of `login` */
	char csrf[128];		/* `login` only */
};

/* An answer: status, body (NUL-terminated), and the headers we use. */
struct resp {
	long status;
	char *body;
	size_t len;
	char etag[32];
	char deadline[24];	/* X-Secgw-Confirm-Deadline */
};

/* Resolve URL, token and CA from options, SECGW_URL/SECGW_TOKEN, then the login file. */
void cli_config(struct cli *c, const char *url, const char *token, const char *cacert);
const char *cli_login_path(char *out, size_t len);
/* Set the agent's URL ("…/", "…/api/v1" and "…" all mean the same agent). */
void cli_set_url(struct cli *c, const char *url);

/*
 * One request to PATH (under /api/v1, query included). body may be NULL;
 * ctype defaults to application/json. Returns EXIT_DONE for 2xx; otherwise
 * prints why (problem detail and field errors on stderr; with --output json
 * the problem document on stdout too) and returns EXIT_REJECTED or
 * EXIT_UNREACHABLE. r->body is always freed by resp_free.
 */
int cli_call(struct cli *c, const char *method, const char *path, const char *body, size_t len,
	     const char *ctype, struct resp *r);
/*
 * GET a JSON document. With --output json it is printed as sent and *doc is
 * NULL; otherwise *doc is the parsed document (the caller's). The status as
 * cli_call's.
 */
int cli_get(struct cli *c, const char *path, json_t **doc);
/* Like cli_call, adding ?confirm=/&confirm= from --confirm to a mutation. */
int cli_mutate(struct cli *c, const char *method, const char *path, const char *body, size_t len,
	       const char *ctype, struct resp *r);
void resp_free(struct resp *r);
/* The body parsed (NULL with a message when it is not JSON). */
json_t *resp_json(const struct resp *r);
/* With --output json: print the body as the API sent it. true when printed. */
bool cli_print_raw(const struct cli *c, const struct resp *r);
/* The revision number of an ETag "r<N>", 0 when none. */
long long resp_revision(const struct resp *r);
/* After a mutation: "awaiting confirmation until …" when --confirm was used. */
void cli_note_confirm(const struct cli *c, const struct resp *r);

/* "/connections/hq%20x/children": each segment percent-encoded. */
void cli_path(char *out, size_t len, const char *const *segs);

/* Usage error: message to stderr, returns EXIT_USAGE. */
__attribute__((format(printf, 1, 2))) int cli_usage(const char *fmt, ...);

/*
 * A secret value (PSK, key, password) from a file, from stdin ("-"), or,
 * with src NULL, from the terminal without echo. Never from the command
 * line. One trailing newline is dropped. Returns the length or -1 (told).
 */
long cli_read_secret(const char *src, const char *prompt, char *out, size_t max);
void cli_wipe(void *p, size_t n);

/* Field types from the compiled-in OpenAPI document. */
enum field_kind {
	FK_UNKNOWN,
	FK_STRING,
	FK_INT,
	FK_BOOL,
	FK_LIST,
	FK_OBJECT,	/* reached by dotted keys: manual.spi_in */
};
enum field_kind fields_kind(const char *schema, const char *dotted);
/* Fields of a schema ("Connection", "Child"…) as "a b c", dotted for objects. */
void fields_list(const char *schema, char *out, size_t len);
/*
 * key=value arguments into a JSON object by the schema's types. patch: an
 * empty value is null (back to the default). Returns NULL (told) on error.
 */
json_t *fields_parse(const char *schema, int argc, char **argv, bool patch);

/* Tables that fit TABLE_WIDTH columns: cells are cut with "~" when needed. */
struct table;
struct table *table_new(unsigned ncols, const char *const *heads);
void table_add(struct table *t, const char *const *cells);
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);
/* A JSON value as one line of text: strings bare, lists "a, b", others compact JSON. */
void value_text(const json_t *v, char *out, size_t len);

/* Command groups: argv[0] is the verb (NULL when none was given). */
typedef int (*group_fn)(struct cli *c, int argc, char **argv);
int cmd_conn(struct cli *c, int argc, char **argv);
int cmd_child(struct cli *c, int argc, char **argv);
int cmd_secret(struct cli *c, int argc, char **argv);
int cmd_rev(struct cli *c, int argc, char **argv);
int cmd_confirm(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
int cmd_user(struct cli *c, int argc, char **argv);
int cmd_token(struct cli *c, int argc, char **argv);
int cmd_audit(struct cli *c, int argc, char **argv);
int cmd_sa(struct cli *c, int argc, char **argv);
int cmd_initiate(struct cli *c, int argc, char **argv);
int cmd_terminate(struct cli *c, int argc, char **argv);
int cmd_login(struct cli *c, int argc, char **argv);
int cmd_logout(struct cli *c, int argc, char **argv);

/* The diff of docs/api.md as text (rev show/diff/rollback, import). */
void diff_print(const json_t *diff, FILE *f);

/* Does argv[i] ask for help? */
bool is_help(const char *arg);

#endif
