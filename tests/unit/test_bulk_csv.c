// SPDX-License-Identifier: MIT
/*
 * The CSV of bulk import/export (agent/csv.c, agent/bulk.c) on crafted
 * text: RFC 4180 quoting, CRLF, a byte order mark, line breaks inside
 * quotes, every malformed form refused with its line, the formula guard,
 * and write-then-read giving back every value.
 */
#include "agent/bulk.h"
#include "agent/csv.h"
#include "agent/model.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static struct csv_record rec;

/* Read the first record of text; returns csv_next's result. */
static int first(const char *text, const char **err)
{
	struct csv_reader rd;

	*err = NULL;
	csv_reader_init(&rd, text, strlen(text));
	return csv_next(&rd, &rec, err);
}

static void bad(const char *text, unsigned line, const char *why)
{
	struct csv_reader rd;
	const char *err = NULL;
	int rc;

	csv_reader_init(&rd, text, strlen(text));
	while ((rc = csv_next(&rd, &rec, &err)) == 1)
		;
	ok(rc == -1 && err && strstr(err, why) && rec.line == line, "refused at line %u (%s): %s", line, why,
	   err ? err : "(accepted)");
}

int main(void)
{
	const char *err;
	struct csv_reader rd;
	struct body_writer w;
	static const char *const values[] = { "plain", "with,comma", "with \"quotes\"", "=1+1", "+x", "-y",
					      "@z", "'quoted", "two\nlines", "", NULL };

	is_int(first("a,b,c\n", &err), 1, "a record");
	is_int(rec.n, 3, "three cells");
	is_str(rec.cell[2], "c", "the last cell");
	first("\xef\xbb\xbf\"x, y\",\"say \"\"hi\"\"\",\r\n", &err);
	is_int(rec.n, 3, "BOM, quotes, CRLF: three cells (the last empty)");
	is_str(rec.cell[0], "x, y", "a comma inside quotes");
	is_str(rec.cell[1], "say \"hi\"", "doubled quotes");
	is_str(rec.cell[2], "", "an empty last cell");
	first("\"a\nb\",c", &err);
	is_str(rec.cell[0], "a\nb", "a line break inside quotes, no newline at the end");
	first("'=cmd,''x", &err);
	is_str(rec.cell[0], "=cmd", "one leading apostrophe removed");
	is_str(rec.cell[1], "'x", "only one");

	csv_reader_init(&rd, "\n\na\r\n\r\nb\n", 9);
	ok(csv_next(&rd, &rec, &err) == 1 && rec.line == 3, "blank lines skipped (record on line 3)");
	ok(csv_next(&rd, &rec, &err) == 1 && rec.line == 5 && !strcmp(rec.cell[0], "b"), "next on line 5");
	ok(csv_next(&rd, &rec, &err) == 0, "then the end");

	bad("a,b\n\"open,c\n", 2, "not closed");
	bad("a\nb\"c\n", 2, "quote inside an unquoted cell");
	bad("\"a\"b\n", 1, "after a closing quote");
	bad("a\rb\n", 1, "carriage return");
	{
		char many[4 * CSV_CELLS_MAX + 8] = "";

		for (int i = 0; i <= CSV_CELLS_MAX; i++)
			strcat(many, "x,");
		bad(many, 1, "more than 64 cells");
	}
	{
		char *big = malloc(CSV_RECORD_MAX + 16);

		memset(big, 'x', CSV_RECORD_MAX + 8);
		big[CSV_RECORD_MAX + 8] = '\0';
		bad(big, 1, "longer than 16 KiB");
		free(big);
	}
	{
		static const char nul[] = "a,b\0c\n";

		csv_reader_init(&rd, nul, sizeof(nul) - 1);
		ok(csv_next(&rd, &rec, &err) == -1 && strstr(err, "NUL"), "a NUL byte is refused");
	}

	/* Every value written by csv_cell reads back the same. */
	body_writer_init(&w);
	for (unsigned i = 0; values[i]; i++)
		csv_cell(&w, values[i], i == 0);
	csv_end_record(&w);
	ok(strstr(w.b->data, ",'=1+1,'+x,'-y,'@z,''quoted,") != NULL, "formula-like cells are guarded");
	csv_reader_init(&rd, w.b->data, w.b->len);
	ok(csv_next(&rd, &rec, &err) == 1, "the written record reads");
	for (unsigned i = 0; values[i]; i++)
		is_str(rec.cell[i], values[i], "value %u round-trips", i);
	free(w.b);

	/* The header follows the model's table. */
	body_writer_init(&w);
	bulk_csv_header(&w);
	ok(!strncmp(w.b->data, "name,enabled,local_addrs,remote_addrs,", 38), "header starts with the connection");
	ok(strstr(w.b->data, ",keying,child.name,child.mode,") != NULL, "then child.name and the child fields");
	ok(strstr(w.b->data, ",child.replay_window,child.manual.spi_in,child.manual.spi_out,child.manual.key_in,"
			     "child.manual.key_out\r\n") != NULL, "manual keying last");
	free(w.b);

	/* Parsing: rows grouped by connection, typed by the model, errors by row. */
	{
		struct ferrs e;
		const char *csv = "name,enabled,local_port,remote_addrs,child.name,child.replay_window,child.manual.spi_in\n"
				  "a,TRUE,4500,192.0.2.1 192.0.2.2,c1,64,0x1000\n"
				  "a,true,4500,\"192.0.2.1,192.0.2.2\",c2,,\n"
				  "b,maybe,x,,,,\n";
		json_t *list, *a;

		ferrs_init(&e);
		list = bulk_csv_parse(csv, strlen(csv), &e);
		a = json_array_get(json_array_get(list, 0), 0);
		is_int(json_array_size(list), 2, "two connections");
		ok(json_is_true(json_object_get(a, "enabled")), "TRUE is true");
		is_int(json_integer_value(json_object_get(a, "local_port")), 4500, "an integer");
		is_int(json_array_size(json_object_get(a, "remote_addrs")), 2, "a list, spaces or commas");
		is_int(json_array_size(json_object_get(a, "children")), 2, "both rows' children");
		is_int(json_integer_value(json_object_get(json_object_get(json_array_get(json_object_get(a, "children"), 0),
									  "manual"), "spi_in")), 4096, "manual.spi_in in hex");
		is_int(ferrs_count(&e), 2, "two errors on row 4");
		is_str(json_string_value(json_object_get(json_array_get(e.list, 0), "field")), "enabled", "enabled named");
		is_int(json_integer_value(json_object_get(json_array_get(e.list, 1), "row")), 4, "with its row");
		bulk_csv_error(&e, json_array_get(json_array_get(list, 0), 1), "children[1].local_ts[0]", "m");
		is_str(json_string_value(json_object_get(json_array_get(e.list, 2), "field")), "child.local_ts[0]",
		       "a child's path becomes its column");
		is_int(json_integer_value(json_object_get(json_array_get(e.list, 2), "row")), 3, "and its row");
		json_decref(list);
		ferrs_free(&e);
	}
	return tap_done();
}
