/* SPDX-License-Identifier: MIT */
/*
 * CSV as spreadsheets write it (RFC 4180): cells separated by commas, quoted
 * with '"' when they hold a comma, a quote or a line break ('""' inside is a
 * quote), records ended by LF or CRLF, an optional UTF-8 byte order mark.
 *
 * The adversary is a file from anywhere: every record and cell is bounded,
 * a NUL byte or a quote out of place is an error naming the line, and
 * nothing is allocated per cell (cells are cut in a per-row buffer).
 *
 * Formula injection: a cell a spreadsheet would evaluate (one starting with
 * = + - @) is written with a leading apostrophe, which spreadsheets show as
 * text and keep on save; so is a cell that starts with an apostrophe. The
 * reader removes one leading apostrophe, so every value round-trips.
 */
#ifndef SECGW_AGENT_CSV_H
#define SECGW_AGENT_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/cache.h"

enum {
	CSV_CELLS_MAX = 64,		/* cells in one record */
	CSV_RECORD_MAX = 16 * 1024,	/* bytes of one record, unescaped */
};

struct csv_reader {
	const char *p, *end;
	unsigned line;		/* the physical line the next record starts on (1-based) */
};

struct csv_record {
	unsigned n;		/* cells */
	unsigned line;		/* where it started, for error messages */
	const char *cell[CSV_CELLS_MAX];
	char buf[CSV_RECORD_MAX + CSV_CELLS_MAX];
};

void csv_reader_init(struct csv_reader *rd, const char *text, size_t len);
/* 1: a record; 0: the end; -1: malformed (*err says why, rec->line where).
 * Blank lines are skipped. */
int csv_next(struct csv_reader *rd, struct csv_record *rec, const char **err);

/* Append one cell (first: no comma before it), quoted and protected as needed. */
int csv_cell(struct body_writer *w, const char *s, bool first);
int csv_end_record(struct body_writer *w);

#endif
