// SPDX-License-Identifier: MIT
/* Human output: tables that fit 80 columns, values as text, diffs. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

enum {
	TABLE_COLS_MAX = 8,
	CELL_MIN = 6,		/* a column is never cut narrower than this */
};

struct table {
	unsigned ncols, nrows, cap;
	const char *head[TABLE_COLS_MAX];
	char **cells;		/* nrows * ncols, owned */
};

/* Display width of UTF-8 text: one column per code point (no wide glyphs here). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

struct table *table_new(unsigned ncols, const char *const *heads)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols > TABLE_COLS_MAX ? TABLE_COLS_MAX : ncols;
	for (unsigned i = 0; i < t->ncols; i++)
		t->head[i] = heads[i];
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 32;
		char **nc = realloc(t->cells, sizeof(char *) * cap * t->ncols);

		if (!nc)
			return;
		t->cells = nc;
		t->cap = cap;
	}
	for (unsigned i = 0; i < t->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		char *d = strdup(s), *nl;

		/* One line per row: a newline in a comment must not break the table. */
		for (nl = d; nl && *nl; nl++)
			if (*nl == '\n' || *nl == '\r' || *nl == '\t')
				*nl = ' ';
		t->cells[t->nrows * t->ncols + i] = d;
	}
	t->nrows++;
}

/* Print s in w columns, cut with "~" when longer. */
static void cell(FILE *f, const char *s, size_t w, bool last)
{
	size_t sw = width(s), used = 0;

	if (sw > w) {
		for (const char *p = s; *p && used < w - 1; used++) {
			const char *q = p + 1;

			while (((unsigned char)*q & 0xc0) == 0x80)
				q++;
			fwrite(p, 1, (size_t)(q - p), f);
			p = q;
		}
		fputc('~', f);
		sw = w;
	} else {
		fputs(s, f);
	}
	if (!last)
		for (size_t i = sw; i < w + 2; i++)
			fputc(' ', f);
}

void table_print(struct table *t, FILE *f)
{
	size_t w[TABLE_COLS_MAX], total = 0;

	for (unsigned c = 0; c < t->ncols; c++) {
		w[c] = width(t->head[c]);
		for (unsigned r = 0; r < t->nrows; r++) {
			size_t cw = width(t->cells[r * t->ncols + c]);

			if (cw > w[c])
				w[c] = cw;
		}
	}
	for (unsigned c = 0; c < t->ncols; c++)
		total += w[c] + (c ? 2 : 0);
	/* Too wide: narrow the widest column, one column at a time, until it fits. */
	while (total > TABLE_WIDTH) {
		unsigned widest = 0;

		for (unsigned c = 1; c < t->ncols; c++)
			if (w[c] > w[widest])
				widest = c;
		if (w[widest] <= CELL_MIN)
			break;
		w[widest]--;
		total--;
	}
	for (unsigned c = 0; c < t->ncols; c++)
		cell(f, t->head[c], w[c], c + 1 == t->ncols);
	fputc('\n', f);
	for (unsigned r = 0; r < t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++)
			cell(f, t->cells[r * t->ncols + c], w[c], c + 1 == t->ncols);
		fputc('\n', f);
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void value_text(const json_t *v, char *out, size_t len)
{
	out[0] = '\0';
	if (!v || json_is_null(v)) {
		snprintf(out, len, "-");
	} else if (json_is_string(v)) {
		snprintf(out, len, "%s", json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) && json_is_string(json_array_get(v, 0))) {
		const json_t *it;
		size_t i;

		json_array_foreach(v, i, it)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? ", " : "",
				 json_is_string(it) ? json_string_value(it) : "?");
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(out, len, "%s", s ? s : "?");
		free(s);
	}
}

/* "old -> new" on one line of at most TABLE_WIDTH columns. */
static void change_line(FILE *f, const json_t *fld)
{
	char *o = json_dumps(json_object_get(fld, "old"), JSON_COMPACT | JSON_ENCODE_ANY);
	char *n = json_dumps(json_object_get(fld, "new"), JSON_COMPACT | JSON_ENCODE_ANY);
	const char *path = json_string_value(json_object_get(fld, "path"));
	char line[4096];
	int k = snprintf(line, sizeof(line), "    %s: %s -> %s", path ? path : "?", o ? o : "?", n ? n : "?");

	if (k > TABLE_WIDTH)
		memcpy(line + TABLE_WIDTH - 1, "~", 2);
	fprintf(f, "%s\n", line);
	free(o);
	free(n);
}

void diff_print(const json_t *diff, FILE *f)
{
	const json_t *e, *fld, *sum = json_object_get(diff, "summary");
	size_t i, k;

	json_array_foreach(json_object_get(diff, "added"), i, e)
		fprintf(f, "+ %s %s\n", json_string_value(json_object_get(e, "kind")),
			json_string_value(json_object_get(e, "name")));
	json_array_foreach(json_object_get(diff, "changed"), i, e) {
		fprintf(f, "~ %s %s%s\n", json_string_value(json_object_get(e, "kind")),
			json_string_value(json_object_get(e, "name")),
			json_is_true(json_object_get(e, "value_changed")) ? " (value changed)" : "");
		json_array_foreach(json_object_get(e, "fields"), k, fld)
			change_line(f, fld);
	}
	json_array_foreach(json_object_get(diff, "removed"), i, e)
		fprintf(f, "- %s %s\n", json_string_value(json_object_get(e, "kind")),
			json_string_value(json_object_get(e, "name")));
	if (json_is_true(json_object_get(diff, "truncated")))
		fprintf(f, "(only the first entries are listed; --output json has the same)\n");
	fprintf(f, "%lld added, %lld changed, %lld removed\n",
		(long long)json_integer_value(json_object_get(sum, "added")),
		(long long)json_integer_value(json_object_get(sum, "changed")),
		(long long)json_integer_value(json_object_get(sum, "removed")));
}

bool is_help(const char *arg)
{
	return arg && (!strcmp(arg, "--help") || !strcmp(arg, "-h") || !strcmp(arg, "help"));
}
