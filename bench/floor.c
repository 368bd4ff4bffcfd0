// SPDX-License-Identifier: MIT
/*
 * bench-rest-floor PORT SIZE: the floor for bench/rest.sh. A libmicrohttpd
 * server configured like secgw-agent (epoll, the same thread pool) that
 * answers every request with one prebuilt response of SIZE bytes of JSON:
 * no routing, no auth, no database, no allocation per request. Whatever the
 * agent does on top of this is what the ratio measures.
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FLOOR_THREADS = 2, FLOOR_SIZE_MAX = 64 << 20 };

static struct MHD_Response *resp;

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)cls; (void)url; (void)method; (void)version; (void)upload; (void)upload_size;
	if (!*con_cls) {
		*con_cls = c;	/* first call: headers only */
		return MHD_YES;
	}
	return MHD_queue_response(c, MHD_HTTP_OK, resp);
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	unsigned long port, size;
	char *body;
	sigset_t set;
	int sig;

	if (argc != 3 || (port = strtoul(argv[1], NULL, 10)) == 0 || port > 65535 ||
	    (size = strtoul(argv[2], NULL, 10)) < 2 || size > FLOOR_SIZE_MAX) {
		fprintf(stderr, "usage: bench-rest-floor PORT SIZE\n");
		return 2;
	}
	body = malloc(size);
	if (!body)
		return 1;
	memset(body, ' ', size);
	body[0] = '[';
	body[size - 1] = ']';
	resp = MHD_create_response_from_buffer(size, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, (uint16_t)port, NULL, NULL, answer, NULL,
			     MHD_OPTION_THREAD_POOL_SIZE, (unsigned)FLOOR_THREADS,
			     MHD_OPTION_CONNECTION_LIMIT, 256u,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "bench-rest-floor: cannot listen on %lu\n", port);
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	MHD_destroy_response(resp);
	free(body);
	return 0;
}
