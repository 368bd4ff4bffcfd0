// SPDX-License-Identifier: MIT
/*
 * secgw login / logout. login asks for the password (prompt without echo,
 * or --password-file FILE|-), opens a session, makes a bearer token for this
 * CLI, closes the session, and keeps URL and token in the login file (mode
 * 0600, replaced atomically). The password itself is never stored.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int save(const struct cli *c, const char *token, long long id)
{
	char path[1024], tmp[1100], text[CLI_URL_MAX * 2 + CLI_TOKEN_MAX + 64];
	int fd, n;

	cli_login_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	if (mkdirs(tmp) < 0)
		return -1;
	n = snprintf(text, sizeof(text), "url=%s\ntoken=%s\ntoken_id=%lld\n%s%s%s", c->url, token, id,
		     c->cacert[0] ? "cacert=" : "", c->cacert, c->cacert[0] ? "\n" : "");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "secgw: cannot write %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		cli_wipe(text, sizeof(text));
		return -1;
	}
	cli_wipe(text, sizeof(text));
	return 0;
}

int cmd_login(struct cli *c, int argc, char **argv)
{
	const char *user = "admin", *src = NULL;
	char pw[CLI_SECRET_MAX + 1], prompt[160], host[64] = "host", name[128], path[1024];
	json_t *body, *doc;
	struct resp r;
	char *text;
	long n;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!strcmp(argv[i], "--url") && i + 1 < argc)
			cli_set_url(c, argv[++i]);
		else if (!strcmp(argv[i], "--password-file") && i + 1 < argc)
			src = argv[++i];
		else
			return cli_usage("login [--url URL] [--user NAME] [--password-file FILE|-]");
	}
	if (snprintf(prompt, sizeof(prompt), "Password for %s at %s: ", user, c->url) >= (int)sizeof(prompt))
		snprintf(prompt, sizeof(prompt), "Password for %.64s: ", user);
	if ((n = cli_read_secret(src, prompt, pw, sizeof(pw))) < 0)
		return EXIT_USAGE;
	body = json_pack("{s:s, s:s#}", "username", user, "password", pw, (int)n);
	cli_wipe(pw, sizeof(pw));
	text = json_dumps(body, JSON_COMPACT);
	cli_wipe((char *)json_string_value(json_object_get(body, "password")), (size_t)n);
	json_decref(body);
	c->token[0] = '\0';	/* the session, not an old token, makes the new one */
	rc = cli_call(c, "POST", "/session", text, strlen(text), NULL, &r);
	cli_wipe(text, strlen(text));
	free(text);
	if (rc || !(doc = resp_json(&r))) {
		resp_free(&r);
		return rc ? rc : EXIT_REJECTED;
	}
	snprintf(c->csrf, sizeof(c->csrf), "%s", json_string_value(json_object_get(doc, "csrf_token")));
	json_decref(doc);
	resp_free(&r);
	gethostname(host, sizeof(host) - 1);
	snprintf(name, sizeof(name), "secgw-cli-%.40s-%lld", host, (long long)time(NULL));
	body = json_pack("{s:s}", "name", name);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	rc = cli_call(c, "POST", "/tokens", text, strlen(text), NULL, &r);
	free(text);
	if (!rc && (doc = resp_json(&r))) {
		if (save(c, json_string_value(json_object_get(doc, "token")),
			 (long long)json_integer_value(json_object_get(doc, "id"))) < 0)
			rc = EXIT_USAGE;
		else
			printf("logged in to %s as %s (token %s kept in %s)\n", c->url, user, name,
			       cli_login_path(path, sizeof(path)));
		cli_wipe((char *)json_string_value(json_object_get(doc, "token")),
			 json_string_length(json_object_get(doc, "token")));
		json_decref(doc);
	}
	cli_wipe(r.body, r.len);
	resp_free(&r);
	/* The session was only the way to the token. */
	{
		struct resp bye;

		cli_call(c, "DELETE", "/session", NULL, 0, NULL, &bye);
		resp_free(&bye);
	}
	c->csrf[0] = '\0';
	return rc;
}

int cmd_logout(struct cli *c, int argc, char **argv)
{
	char path[1024], line[256], url[CLI_PATH_MAX];
	long long id = 0;
	struct resp r;
	FILE *f;
	int rc = EXIT_DONE;

	if (argc)
		return cli_usage("logout takes no arguments");
	f = fopen(cli_login_path(path, sizeof(path)), "re");
	if (!f) {
		printf("not logged in (no %s)\n", path);
		return EXIT_DONE;
	}
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "token_id=", 9))
			id = strtoll(line + 9, NULL, 10);
	cli_wipe(line, sizeof(line));
	fclose(f);
	if (id > 0) {
		snprintf(url, sizeof(url), "/tokens/%lld", id);
		rc = cli_call(c, "DELETE", url, NULL, 0, NULL, &r);
		resp_free(&r);
		/* Already revoked or gone: the file goes all the same. */
		if (rc == EXIT_REJECTED)
			rc = EXIT_DONE;
	}
	if (rc == EXIT_DONE && unlink(path) < 0) {
		fprintf(stderr, "secgw: cannot remove %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (rc == EXIT_DONE)
		printf("logged out (token revoked, %s removed)\n", path);
	return rc;
}
