// SPDX-License-Identifier: MIT
/*
 * /export: the whole configuration in one document, read in one snapshot.
 * JSON (default): {"format": "secgw-export", "version": 1, "revision",
 * "exported", "connections": [… with children …], "secrets": [{"name",
 * "type"}]} — secrets by name only; format=csv: agent/bulk.h's CSV. Both are
 * what POST /import takes.
 */
#include "agent/agent.h"
#include "agent/bulk.h"
#include "agent/conf.h"
#include "agent/model.h"
#include "agent/revision.h"
#include "agent/routes.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int write_json(struct db *d, struct body_writer *w, int64_t rev)
{
	static const char sql[] = "SELECT name, type FROM secrets ORDER BY name";
	char head[128], last[NAME_MAX_LEN + 1];
	json_t *secrets = json_array();
	sqlite3_stmt *st = db_stmt(d, sql);
	bool more;

	if (!st) {
		json_decref(secrets);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(secrets, json_pack("{s:s, s:s}", "name", sqlite3_column_text(st, 0),
							 "type", sqlite3_column_text(st, 1)));
	db_done(st);
	snprintf(head, sizeof(head), "{\"format\":\"secgw-export\",\"version\":1,\"revision\":%lld,"
		 "\"exported\":%lld,\"connections\":[", (long long)rev, (long long)time(NULL));
	if (body_write(head, strlen(head), w) < 0 ||
	    conf_conn_write(d, NULL, NULL, UINT_MAX - 1, body_write, w, last, &more) < 0 ||
	    body_write("],\"secrets\":", 12, w) < 0 || body_write_json(w, secrets) < 0 ||
	    body_write("}", 1, w) < 0)
		return -1;
	return 0;
}

static int csv_rows(void *ctx, const json_t *doc)
{
	return bulk_csv_rows(ctx, doc);
}

enum hres api_export(struct req *r)
{
	struct db *d = store_db(r->ag->store);
	const char *format = req_query(r, "format");
	bool csv = format && strcmp(format, "csv") == 0;
	struct body_writer w;
	char disposition[96];
	int64_t rev;
	int rc;

	if (!d)
		return H_FATAL;
	if (format && !csv && strcmp(format, "json") != 0)
		return reply_problemf(r, P_BAD_REQUEST, "format must be json or csv");
	if (body_writer_init(&w) < 0)
		return H_FATAL;
	if (db_read_begin(d) < 0) {
		free(w.b);
		return H_FATAL;
	}
	rev = revision_current(d);
	if (csv)
		rc = bulk_csv_header(&w) < 0 ? -1 : conf_conn_each(d, csv_rows, &w);
	else
		rc = write_json(d, &w, rev);
	db_read_end(d);
	if (rc < 0) {
		free(w.b);
		return H_FATAL;
	}
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"secgw-r%lld.%s\"", (long long)rev,
		 csv ? "csv" : "json");
	reply_header(r, "Content-Disposition", disposition);
	{
		char etag[32];

		etag_revision(etag, sizeof(etag), rev);
		reply_header(r, MHD_HTTP_HEADER_ETAG, etag);
	}
	return reply_buf(r, 200, csv ? "text/csv; charset=utf-8" : "application/json", w.b->data, w.b->len,
			 cached_body_unref, w.b);
}
