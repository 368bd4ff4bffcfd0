// SPDX-License-Identifier: MIT
#include "agent/csv.h"

#include <string.h>

void csv_reader_init(struct csv_reader *rd, const char *text, size_t len)
{
	rd->p = text;
	rd->end = text + len;
	rd->line = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		rd->p += 3;
}

static bool at_eol(const struct csv_reader *rd)
{
	return rd->p < rd->end && (*rd->p == '\n' || (*rd->p == '\r' && rd->p + 1 < rd->end && rd->p[1] == '\n'));
}

static void skip_eol(struct csv_reader *rd)
{
	if (*rd->p == '\r')
		rd->p++;
	rd->p++;
	rd->line++;
}

int csv_next(struct csv_reader *rd, struct csv_record *rec, const char **err)
{
	size_t used = 0;

	while (at_eol(rd))
		skip_eol(rd);
	rec->n = 0;
	rec->line = rd->line;
	if (rd->p >= rd->end)
		return 0;
	for (;;) {
		char *cell = rec->buf + used;
		size_t len = 0;

		if (rec->n == CSV_CELLS_MAX) {
			*err = "more than 64 cells in one record";
			return -1;
		}
		if (rd->p < rd->end && *rd->p == '"') {
			rd->p++;
			for (;;) {
				if (rd->p >= rd->end) {
					*err = "a quoted cell is not closed";
					return -1;
				}
				if (*rd->p == '"') {
					if (rd->p + 1 < rd->end && rd->p[1] == '"') {
						rd->p++;
					} else {
						rd->p++;
						break;
					}
				} else if (*rd->p == '\n') {
					rd->line++;
				}
				if (*rd->p == '\0') {
					*err = "a NUL byte";
					return -1;
				}
				if (used + len >= CSV_RECORD_MAX) {
					*err = "a record longer than 16 KiB";
					return -1;
				}
				cell[len++] = *rd->p++;
			}
			if (rd->p < rd->end && *rd->p != ',' && !at_eol(rd)) {
				*err = "text after a closing quote (a quote inside a cell is written \"\")";
				return -1;
			}
		} else {
			while (rd->p < rd->end && *rd->p != ',' && !at_eol(rd)) {
				if (*rd->p == '"') {
					*err = "a quote inside an unquoted cell (quote the cell, and write \"\" for a quote)";
					return -1;
				}
				if (*rd->p == '\0' || (*rd->p == '\r')) {
					*err = *rd->p ? "a carriage return inside a cell" : "a NUL byte";
					return -1;
				}
				if (used + len >= CSV_RECORD_MAX) {
					*err = "a record longer than 16 KiB";
					return -1;
				}
				cell[len++] = *rd->p++;
			}
		}
		cell[len] = '\0';
		/* The apostrophe that kept a spreadsheet from evaluating the cell. */
		rec->cell[rec->n++] = cell[0] == '\'' ? cell + 1 : cell;
		used += len + 1;
		if (rd->p >= rd->end)
			return 1;
		if (*rd->p == ',') {
			rd->p++;
			continue;
		}
		skip_eol(rd);
		return 1;
	}
}

int csv_cell(struct body_writer *w, const char *s, bool first)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	bool guard = strchr("=+-@'", s[0]) && s[0];

	if (!first && body_write(",", 1, w) < 0)
		return -1;
	if (quote && body_write("\"", 1, w) < 0)
		return -1;
	if (guard && body_write("'", 1, w) < 0)
		return -1;
	for (const char *p = s; *p; ) {
		size_t n = quote ? strcspn(p, "\"") : strlen(p);

		if (body_write(p, n, w) < 0)
			return -1;
		p += n;
		if (*p == '"') {
			if (body_write("\"\"", 2, w) < 0)
				return -1;
			p++;
		}
	}
	if (quote && body_write("\"", 1, w) < 0)
		return -1;
	return 0;
}

int csv_end_record(struct body_writer *w)
{
	return body_write("\r\n", 2, w);
}
