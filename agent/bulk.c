// SPDX-License-Identifier: MIT
#include "agent/bulk.h"
#include "agent/csv.h"
#include "agent/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	COLUMN_NAME_MAX = 48,
};

struct column {
	enum model_scope scope;
	bool child_name;	/* "child.name" */
	const char *key;
	char name[COLUMN_NAME_MAX];
};

/* The header, from the model's table. Returns the number of columns. */
static unsigned columns(struct column *c)
{
	static const struct {
		enum model_scope scope;
		const char *prefix;
	} parts[] = {
		{ MODEL_CONNECTION, "" },
		{ MODEL_CHILD, "child." },
		{ MODEL_MANUAL, "child.manual." },
	};
	unsigned n = 0;

	for (unsigned p = 0; p < sizeof(parts) / sizeof(parts[0]); p++) {
		const char *key;

		if (p < 2) {
			c[n] = (struct column){ .scope = parts[p].scope, .child_name = p == 1, .key = "name" };
			snprintf(c[n].name, sizeof(c[n].name), "%sname", parts[p].prefix);
			n++;
		}
		for (unsigned i = 0; (key = model_field_name(parts[p].scope, i)) && n < CSV_CELLS_MAX; i++) {
			c[n] = (struct column){ .scope = parts[p].scope, .key = key };
			snprintf(c[n].name, sizeof(c[n].name), "%s%s", parts[p].prefix, key);
			n++;
		}
	}
	return n;
}

int bulk_csv_header(struct body_writer *w)
{
	struct column c[CSV_CELLS_MAX];
	unsigned n = columns(c);

	for (unsigned i = 0; i < n; i++)
		if (csv_cell(w, c[i].name, i == 0) < 0)
			return -1;
	return csv_end_record(w);
}

/* A value as a cell: lists space-separated, absent as empty. */
static int cell(struct body_writer *w, const json_t *v, bool first)
{
	char num[32];

	if (!v || json_is_null(v))
		return csv_cell(w, "", first);
	if (json_is_boolean(v))
		return csv_cell(w, json_is_true(v) ? "true" : "false", first);
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		return csv_cell(w, num, first);
	}
	if (json_is_array(v)) {
		struct body_writer tmp;
		const json_t *it;
		size_t i;
		int rc;

		if (body_writer_init(&tmp) < 0)
			return -1;
		json_array_foreach(v, i, it)
			if ((i && body_write(" ", 1, &tmp) < 0) ||
			    body_write(json_string_value(it), json_string_length(it), &tmp) < 0) {
				free(tmp.b);
				return -1;
			}
		rc = csv_cell(w, tmp.b->data, first);
		free(tmp.b);
		return rc;
	}
	return csv_cell(w, json_is_string(v) ? json_string_value(v) : "", first);
}

static int row(struct body_writer *w, const struct column *c, unsigned n, const json_t *conn,
	       const json_t *child)
{
	for (unsigned i = 0; i < n; i++) {
		const json_t *v;

		switch (c[i].scope) {
		case MODEL_CONNECTION:
			v = json_object_get(conn, c[i].key);
			break;
		case MODEL_CHILD:
			v = json_object_get(child, c[i].key);
			break;
		default:
			v = json_object_get(json_object_get(child, "manual"), c[i].key);
			break;
		}
		if (cell(w, v, i == 0) < 0)
			return -1;
	}
	return csv_end_record(w);
}

int bulk_csv_rows(struct body_writer *w, const json_t *doc)
{
	struct column c[CSV_CELLS_MAX];
	unsigned n = columns(c);
	const json_t *children = json_object_get(doc, "children"), *ch;
	size_t i;

	if (json_array_size(children) == 0)
		return row(w, c, n, doc, NULL);
	json_array_foreach(children, i, ch)
		if (row(w, c, n, doc, ch) < 0)
			return -1;
	return 0;
}

static void row_error(struct ferrs *e, unsigned line, const char *field, const char *msg)
{
	if (json_array_size(e->list) >= FIELD_ERRORS_MAX) {
		ferrs_add(e, field, msg);	/* counted as dropped */
		return;
	}
	json_array_append_new(e->list, json_pack("{s:s, s:i, s:s}", "field", field, "row", (int)line,
						 "message", msg));
}

/* A cell's text as the JSON its field takes; NULL (error added) when it is not that. */
static json_t *value(const struct column *c, const char *text, unsigned line, struct ferrs *e)
{
	switch (model_field_kind(c->scope, c->key)) {
	case MK_BOOL:
		if (strcasecmp(text, "true") == 0)
			return json_true();
		if (strcasecmp(text, "false") == 0)
			return json_false();
		row_error(e, line, c->name, "must be true or false");
		return NULL;
	case MK_INT: {
		bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
		char *end;
		long long v;

		errno = 0;
		v = strtoll(text, &end, hex ? 16 : 10);
		if (*end || errno || end == text) {
			row_error(e, line, c->name, "must be an integer");
			return NULL;
		}
		return json_integer(v);
	}
	case MK_LIST: {
		json_t *a = json_array();
		const char *p = text;

		while (*p) {
			size_t n;

			p += strspn(p, " ,\t");
			n = strcspn(p, " ,\t");
			if (n)
				json_array_append_new(a, json_stringn(p, n));
			p += n;
		}
		return a;
	}
	default:
		return json_string(text);
	}
}

/* Connection columns of one row must agree with those of its first row (doc). */
static void agree(struct ferrs *e, const json_t *doc, const json_t *now, unsigned first_line,
		  unsigned line, const char *name)
{
	const char *key;
	json_t *v;
	char msg[192];

	msg[0] = '\0';
	json_object_foreach((json_t *)doc, key, v) {
		if (strcmp(key, "name") == 0 || strcmp(key, "children") == 0 || json_equal(v, json_object_get(now, key)))
			continue;
		if (!msg[0])
			snprintf(msg, sizeof(msg), "differs from row %u, the first row of connection %s "
				 "(its columns repeat on every row of its children)", first_line, name);
		row_error(e, line, key, msg);
	}
	json_object_foreach((json_t *)now, key, v) {
		if (json_object_get(doc, key))
			continue;
		if (!msg[0])
			snprintf(msg, sizeof(msg), "differs from row %u, the first row of connection %s "
				 "(its columns repeat on every row of its children)", first_line, name);
		row_error(e, line, key, msg);
	}
}

static void add_record(const struct csv_record *rec, const struct column *const *map, unsigned ncols,
		       json_t *groups, json_t *order, struct ferrs *e)
{
	json_t *conn = json_object(), *child = NULL, *manual = NULL;
	const char *name = NULL, *child_name = NULL;
	bool child_cells = false;

	for (unsigned i = 0; i < rec->n && i < ncols; i++) {
		const struct column *c = map[i];
		json_t *v, *into;

		if (!rec->cell[i][0])
			continue;
		if (c->scope == MODEL_CONNECTION && strcmp(c->key, "name") == 0) {
			name = rec->cell[i];
			continue;
		}
		if (c->child_name) {
			child_name = rec->cell[i];
			continue;
		}
		if (c->scope != MODEL_CONNECTION)
			child_cells = true;
		v = value(c, rec->cell[i], rec->line, e);
		if (!v)
			continue;
		if (c->scope == MODEL_CONNECTION) {
			into = conn;
		} else if (c->scope == MODEL_CHILD) {
			into = child = child ? child : json_object();
		} else {
			into = manual = manual ? manual : json_object();
		}
		json_object_set_new(into, c->key, v);
	}
	if (rec->n > ncols)
		row_error(e, rec->line, "", "more cells than the header has columns");
	if (!name) {
		row_error(e, rec->line, "name", "is required (the connection's name)");
		goto out;
	}
	{
		json_t *g = json_object_get(groups, name);

		if (!g) {
			json_object_set_new(conn, "name", json_string(name));
			json_object_set_new(conn, "children", json_array());
			g = json_pack("{s:O, s:[i]}", "doc", conn, "rows", (int)rec->line);
			json_object_set_new(groups, name, g);
			json_array_append_new(order, json_string(name));
		} else {
			agree(e, json_object_get(g, "doc"), conn,
			      (unsigned)json_integer_value(json_array_get(json_object_get(g, "rows"), 0)),
			      rec->line, name);
		}
		if (!child_name) {
			if (child_cells)
				row_error(e, rec->line, "child.name", "is required when other child columns are filled");
			goto out;
		}
		if (!child)
			child = json_object();
		json_object_set_new(child, "name", json_string(child_name));
		if (manual)
			json_object_set(child, "manual", manual);
		json_array_append(json_object_get(json_object_get(g, "doc"), "children"), child);
		json_array_append_new(json_object_get(g, "rows"), json_integer(rec->line));
	}
out:
	json_decref(conn);
	json_decref(child);
	json_decref(manual);
}

json_t *bulk_csv_parse(const char *text, size_t len, struct ferrs *e)
{
	struct column c[CSV_CELLS_MAX];
	const struct column *map[CSV_CELLS_MAX];
	unsigned n = columns(c), ncols;
	struct csv_reader rd;
	struct csv_record *rec = malloc(sizeof(*rec));
	json_t *groups = json_object(), *order = json_array(), *out = NULL;
	const char *err;
	bool have_name = false;
	int rc;
	size_t i;
	json_t *name;

	if (!rec)
		goto done;
	csv_reader_init(&rd, text, len);
	rc = csv_next(&rd, rec, &err);
	if (rc <= 0) {
		row_error(e, rec->line, "", rc < 0 ? err : "the file is empty (the first row names the columns)");
		goto done;
	}
	ncols = rec->n;
	for (unsigned i2 = 0; i2 < rec->n; i2++) {
		map[i2] = NULL;
		for (unsigned k = 0; k < n; k++)
			if (strcmp(rec->cell[i2], c[k].name) == 0)
				map[i2] = &c[k];
		for (unsigned k = 0; k < i2; k++)
			if (map[i2] && map[k] == map[i2])
				row_error(e, rec->line, rec->cell[i2], "this column appears twice");
		if (!map[i2])
			row_error(e, rec->line, rec->cell[i2],
				  "unknown column (the columns are those of GET /api/v1/export?format=csv)");
		else if (map[i2] == &c[0])
			have_name = true;
	}
	if (!have_name)
		row_error(e, rec->line, "name", "the header needs a name column");
	if (ferrs_count(e))
		goto done;
	while ((rc = csv_next(&rd, rec, &err)) == 1)
		add_record(rec, map, ncols, groups, order, e);
	if (rc < 0)
		row_error(e, rec->line, "", err);
	out = json_array();
	json_array_foreach(order, i, name) {
		json_t *g = json_object_get(groups, json_string_value(name));

		json_array_append_new(out, json_pack("[O, O]", json_object_get(g, "doc"), json_object_get(g, "rows")));
	}
done:
	free(rec);
	json_decref(groups);
	json_decref(order);
	return out;
}

void bulk_csv_error(struct ferrs *e, const json_t *rows, const char *path, const char *msg)
{
	char field[FIELD_PATH_MAX];
	unsigned long idx;
	char *end;

	if (strncmp(path, "children[", 9) == 0) {
		idx = strtoul(path + 9, &end, 10);
		if (*end == ']') {
			const char *rest = end + 1;

			snprintf(field, sizeof(field), "child%s", rest);
			row_error(e, (unsigned)json_integer_value(json_array_get(rows, idx + 1)), field, msg);
			return;
		}
	}
	row_error(e, (unsigned)json_integer_value(json_array_get(rows, 0)), path, msg);
}
