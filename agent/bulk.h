/* SPDX-License-Identifier: MIT */
/*
 * The CSV form of the configuration, for spreadsheets (docs/api.md, "CSV").
 * One row per child; a connection without children is one row whose child
 * columns are empty. The connection's columns repeat on each of its rows and
 * must agree. Columns, in order: name, every connection field of
 * docs/config.md, child.name, every child field as child.FIELD, and the
 * manual keying block as child.manual.FIELD — taken from the model's own
 * table (agent/model.h), so the header follows the model. Lists are written
 * space-separated (a comma is accepted too); an empty cell is the default.
 */
#ifndef SECGW_AGENT_BULK_H
#define SECGW_AGENT_BULK_H

#include <jansson.h>
#include <stddef.h>

#include "agent/cache.h"
#include "agent/problem.h"

int bulk_csv_header(struct body_writer *w);
/* The rows of one normalised connection document. */
int bulk_csv_rows(struct body_writer *w, const json_t *doc);

/*
 * A CSV import as connection documents, not yet validated: an array of
 * [doc, rows] where rows lists the line of the connection's first row and
 * then of each child's row. Errors (with "row") are added to e; the result
 * is NULL only when the file cannot be read at all.
 */
json_t *bulk_csv_parse(const char *text, size_t len, struct ferrs *e);

/* An error at a JSON path of a document parsed from CSV, named by row and column. */
void bulk_csv_error(struct ferrs *e, const json_t *rows, const char *path, const char *msg);

#endif
