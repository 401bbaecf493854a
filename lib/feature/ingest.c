/* mlp feature ingest: a source's rows, type-checked for every view on it,
 * partitioned by key hash, sorted, and stored as segments, one batch per
 * view, recorded in one transaction. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/db.h"
#include "internal.h"

/* A column read from the source, with one type. */
struct in_col {
	const char *name;
	enum mlp_ftype type;
	const char *why;	/* a view that needs it, for messages */
	int field;		/* CSV field, -1 until found */
	struct mlp_buf heap;	/* strings */
};

/* A slot of the key table: keys of up to 8 bytes are compared there. */
struct islot {
	uint64_t kb;		/* the key's first 8 bytes, zero-padded */
	uint32_t id1;		/* id + 1; 0: empty */
	uint32_t len;
};

#define PEND 64

/* An entity's keys: interned canonical keys and each row's key id. Keys
 * wait in pend until PEND of them are there: their slots are prefetched
 * together, as a table of 100,000 keys does not fit in a cache. */
struct in_ent {
	const struct mlp_fentity *ent;
	const char *why;
	int *field;		/* per join key */
	uint32_t *kid;		/* per row */
	struct islot *slot;
	size_t mask;
	uint64_t *hash, *off;
	uint32_t *len;
	size_t nkeys, akeys;
	struct mlp_buf heap;
	struct {
		uint64_t hash;
		size_t row, off, len;
	} pend[PEND];
	size_t npend;
	struct mlp_buf pkeys;
	/* the order: keys by (hash, bytes), rows by (key, ets, cts, row) */
	uint32_t *rank_key;	/* nkeys */
	uint64_t *kstart;	/* nkeys + 1: first position in perm */
	uint32_t *perm;		/* nrows */
};

struct in_view {
	const struct mlp_fview *view;
	struct in_ent *ent;
	size_t *cols;		/* in_col indices */
	const char **names;	/* the segment's column names */
	enum mlp_ftype *types;
	size_t ncols;
	struct mlp_fingest_view *res;
	struct seg_rec {
		uint32_t part;
		struct mlp_oid oid;
		uint64_t rows, size;
	} *segs;
	size_t nsegs;
};

/*
 * Rows are kept row-major, stride words a row, so that gathering a row in
 * key order touches one or two cache lines: the event time, the created
 * time (when the source has one), nmask words of null bits (bit c: column
 * c is null), then a cell per column (a double's bits, an int64, a bool,
 * or a string as its offset in the column's heap << 24 | its length).
 */
#define PAR_MAX 4		/* threads reading a CSV file */

struct ingest {
	const struct mlp_fspec *spec;
	const struct mlp_fsource *src;
	const char *name;	/* the file, for messages */
	struct in_col *cols;
	size_t ncols;
	struct in_ent *ents;
	size_t nents;
	struct in_view *views;
	size_t nviews;
	int ets_field, cts_field, has_cts;
	uint64_t *rows;
	size_t stride, nmask, cell0;	/* cell0: the first cell's word */
	size_t nrows, arows;
	/* rows other threads read, from row xfirst[i] on (not copied) */
	uint64_t *xrows[PAR_MAX];
	size_t xfirst[PAR_MAX], nx;
	struct mlp_buf tmp;
};

#define STR_MAX ((UINT64_C(1) << 24) - 1)

static inline uint64_t *
row_at(const struct ingest *g, size_t row)
{
	for (size_t i = g->nx; i > 0; i--)
		if (row >= g->xfirst[i - 1])
			return g->xrows[i - 1] + (row - g->xfirst[i - 1]) *
			    g->stride;
	return g->rows + row * g->stride;
}

static inline int
cell_null(const struct ingest *g, const uint64_t *rec, size_t c)
{
	return (rec[(size_t)g->has_cts + 1 + c / 64] >> (c % 64)) & 1;
}

#define TEXT_MAX 60

/* ---- what the views need ---- */

static size_t
need_col(struct ingest *g, const char *name, enum mlp_ftype type,
    const char *why)
{
	for (size_t i = 0; i < g->ncols; i++)
		if (strcmp(g->cols[i].name, name) == 0 &&
		    g->cols[i].type == type)
			return i;
	g->cols = xrealloc(g->cols, (g->ncols + 1) * sizeof(*g->cols));
	memset(&g->cols[g->ncols], 0, sizeof(*g->cols));
	g->cols[g->ncols].name = name;
	g->cols[g->ncols].type = type;
	g->cols[g->ncols].why = why;
	g->cols[g->ncols].field = -1;
	return g->ncols++;
}

static void
view_col(struct in_view *v, size_t col, const char *name, enum mlp_ftype t)
{
	for (size_t j = 0; j < v->ncols; j++)
		if (strcmp(v->names[j], name) == 0)
			return;
	v->cols = xrealloc(v->cols, (v->ncols + 1) * sizeof(*v->cols));
	v->names = xrealloc(v->names, (v->ncols + 1) * sizeof(*v->names));
	v->types = xrealloc(v->types, (v->ncols + 1) * sizeof(*v->types));
	v->cols[v->ncols] = col;
	v->names[v->ncols] = name;
	v->types[v->ncols++] = t;
}

static const struct mlp_fentity *
find_entity(const struct mlp_fspec *spec, const char *name)
{
	for (size_t i = 0; i < spec->nentities; i++)
		if (strcmp(spec->entities[i].name, name) == 0)
			return &spec->entities[i];
	return NULL;
}

static int
plan(struct ingest *g, const char *source, struct mlp_err *err)
{
	const struct mlp_fspec *spec = g->spec;

	for (size_t i = 0; i < spec->nsources; i++)
		if (strcmp(spec->sources[i].name, source) == 0)
			g->src = &spec->sources[i];
	if (!g->src) {
		const char *best = NULL;
		size_t bd = 3;

		for (size_t i = 0; i < spec->nsources; i++) {
			size_t d = mlp_edit_distance(source, strlen(source),
			    spec->sources[i].name,
			    strlen(spec->sources[i].name));

			if (d < bd)
				bd = d, best = spec->sources[i].name;
		}
		return mlp_err_set(err, MLP_ENOTFOUND, "no source '%s'%s%s%s",
		    source, best ? " (did you mean '" : "", best ? best : "",
		    best ? "'?)" : "");
	}
	/* at most one entity per view: views point into ents */
	g->ents = xcalloc(spec->nviews + 1, sizeof(*g->ents));
	for (size_t i = 0; i < spec->nviews; i++) {
		const struct mlp_fview *fv = &spec->views[i];
		const struct mlp_fentity *fe;
		struct in_view *v;
		struct in_ent *e = NULL;

		if (strcmp(fv->source, source) != 0)
			continue;
		if (!(fe = find_entity(spec, fv->entity)))
			return mlp_err_set(err, MLP_EINVAL, "feature view '%s' "
			    "names the unknown entity '%s'", fv->name,
			    fv->entity);
		for (size_t k = 0; k < g->nents; k++)
			if (g->ents[k].ent == fe)
				e = &g->ents[k];
		if (fe->nkeys == 0 || fe->nkeys > 64)
			return mlp_err_set(err, MLP_EUNSUPPORTED, "entity '%s' "
			    "has %zu join keys (1 to 64 work)", fe->name,
			    fe->nkeys);
		if (!e) {
			e = &g->ents[g->nents++];
			e->ent = fe;
			e->why = fv->name;
			e->field = xcalloc(fe->nkeys + 1, sizeof(*e->field));
			for (size_t k = 0; k < fe->nkeys; k++)
				e->field[k] = -1;
		}
		g->views = xrealloc(g->views, (g->nviews + 1) *
		    sizeof(*g->views));
		v = &g->views[g->nviews++];
		memset(v, 0, sizeof(*v));
		v->view = fv;
		v->ent = e;
		for (size_t k = 0; k < fv->nfeatures; k++) {
			const struct mlp_ffeature *f = &fv->features[k];

			view_col(v, need_col(g, f->name, f->type, fv->name),
			    f->name, f->type);
		}
		for (size_t k = 0; k < fv->naggs; k++) {
			const struct mlp_fagg *a = &fv->aggs[k];
			enum mlp_ftype t = MLP_FT_FLOAT;

			for (size_t j = 0; j < fv->nfeatures; j++)
				if (strcmp(fv->features[j].name, a->column) == 0)
					t = fv->features[j].type;
			if (t == MLP_FT_STRING)
				return mlp_err_set(err, MLP_EINVAL, "feature "
				    "view '%s' aggregates the string feature "
				    "'%s'", fv->name, a->column);
			view_col(v, need_col(g, a->column, t, fv->name),
			    a->column, t);
		}
	}
	if (g->nviews == 0)
		return mlp_err_set(err, MLP_EINVAL, "no feature view uses "
		    "source '%s'", source);
	return 0;
}

/* ---- rows ---- */

static void
grow_rows(struct ingest *g)
{
	size_t n = g->arows ? g->arows + g->arows / 2 : 65536;

	if (!g->stride) {
		g->nmask = (g->ncols + 63) / 64;
		g->cell0 = 1 + (size_t)g->has_cts + g->nmask;
		g->stride = g->cell0 + g->ncols;
	}
	g->rows = xrealloc(g->rows, n * g->stride * sizeof(*g->rows));
	for (size_t i = 0; i < g->nents; i++)
		g->ents[i].kid = xrealloc(g->ents[i].kid, n *
		    sizeof(*g->ents[i].kid));
	g->arows = n;
}

/* Quotes a value for a message, cut to TEXT_MAX bytes. */
static const char *
quote_val(struct ingest *g, const char *s, size_t n)
{
	mlp_buf_reset(&g->tmp);
	mlp_buf_add(&g->tmp, s, n > TEXT_MAX ? TEXT_MAX : n);
	if (n > TEXT_MAX)
		mlp_buf_adds(&g->tmp, "...");
	for (size_t i = 0; i < g->tmp.len; i++)
		if ((unsigned char)g->tmp.s[i] < 0x20)
			g->tmp.s[i] = '?';
	if (mlp_utf8_invalid(g->tmp.s, g->tmp.len) >= 0)
		return "(not UTF-8)";
	return g->tmp.s;
}

/* "'f.csv' line 12 column 3 ('fare')" or, for JSON, without the column. */
static int
field_err(struct ingest *g, struct mlp_err *err, uint64_t line, int field,
    const char *name, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int
field_err(struct ingest *g, struct mlp_err *err, uint64_t line, int field,
    const char *name, const char *fmt, ...)
{
	char where[256], what[384];
	va_list ap;

	if (field >= 0)
		snprintf(where, sizeof(where), "'%s' line %llu column %d ('%s')",
		    g->name, (unsigned long long)line, field + 1, name);
	else
		snprintf(where, sizeof(where), "'%s' line %llu ('%s')", g->name,
		    (unsigned long long)line, name);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return mlp_err_set(err, MLP_EINVAL, "%s: %s", where, what);
}

static const char *
type_article(enum mlp_ftype t)
{
	return t == MLP_FT_INT ? "an int" : t == MLP_FT_FLOAT ? "a float" :
	    t == MLP_FT_BOOL ? "a bool" : "a string";
}

static int
take_value(struct ingest *g, size_t ci, uint64_t *rec, const char *s,
    size_t n, uint64_t line, int field, struct mlp_err *err)
{
	struct in_col *c = &g->cols[ci];
	uint64_t *cell = &rec[g->cell0 + ci];

	if (n == 0) {
		rec[(size_t)g->has_cts + 1 + ci / 64] |= UINT64_C(1) << (ci % 64);
		*cell = 0;
		return 0;
	}
	switch (c->type) {
	case MLP_FT_FLOAT: {
		double d;

		if (fnum_parse_double(s, n, &d) < 0)
			goto bad;
		memcpy(cell, &d, 8);
		return 0;
	}
	case MLP_FT_INT: {
		int64_t i;

		if (fnum_parse_int(s, n, &i) < 0)
			goto bad;
		*cell = (uint64_t)i;
		return 0;
	}
	case MLP_FT_BOOL: {
		int b;

		if (fnum_parse_bool(s, n, &b) < 0)
			goto bad;
		*cell = (uint64_t)b;
		return 0;
	}
	case MLP_FT_STRING:
		if (mlp_utf8_invalid(s, n) >= 0)
			return field_err(g, err, line, field, c->name,
			    "not valid UTF-8");
		if (n > STR_MAX || c->heap.len >= (UINT64_C(1) << 40))
			return field_err(g, err, line, field, c->name,
			    "a string of %zu bytes is too long", n);
		*cell = (uint64_t)c->heap.len << 24 | n;
		mlp_buf_add(&c->heap, s, n);
		return 0;
	}
bad:
	return field_err(g, err, line, field, c->name, "'%s' is not %s",
	    quote_val(g, s, n), type_article(c->type));
}

static int
take_ts(struct ingest *g, const char *col, const char *s, size_t n,
    uint64_t line, int field, int64_t *out, struct mlp_err *err)
{
	if (n == 0)
		return field_err(g, err, line, field, col, "an empty timestamp");
	if (mlp_ts_parse(s, n, g->src->tsfmt, out) < 0)
		return field_err(g, err, line, field, col, "'%s' is not an %s "
		    "timestamp", quote_val(g, s, n),
		    mlp_tsfmt_name(g->src->tsfmt));
	return 0;
}

static uint64_t
key_head(const char *k, size_t n)
{
	uint64_t kb = 0;

	memcpy(&kb, k, n < 8 ? n : 8);
	return kb;
}

static void
rehash(struct in_ent *e)
{
	size_t n = e->mask ? (e->mask + 1) * 2 : 1024;

	free(e->slot);
	e->slot = xcalloc(n, sizeof(*e->slot));
	e->mask = n - 1;
	for (size_t id = 0; id < e->nkeys; id++) {
		size_t i = e->hash[id] & e->mask;

		while (e->slot[i].id1)
			i = (i + 1) & e->mask;
		e->slot[i].kb = key_head(e->heap.s + e->off[id], e->len[id]);
		e->slot[i].len = e->len[id];
		e->slot[i].id1 = (uint32_t)id + 1;
	}
}

/* The id of canonical key k[0..n) with hash h, added when new. */
static int
intern(struct in_ent *e, const char *k, size_t n, uint64_t h, uint32_t *id)
{
	uint64_t kb = key_head(k, n);
	size_t i;

	if ((e->nkeys + 1) * 2 > e->mask)
		rehash(e);
	for (i = h & e->mask; e->slot[i].id1; i = (i + 1) & e->mask) {
		const struct islot *sl = &e->slot[i];
		size_t x = sl->id1 - 1;

		if (sl->kb == kb && sl->len == n && (n <= 8 ||
		    (e->hash[x] == h && memcmp(e->heap.s + e->off[x], k,
		    n) == 0))) {
			*id = (uint32_t)x;
			return 0;
		}
	}
	if (e->nkeys >= UINT32_MAX - 1 || n > UINT32_MAX)
		return -1;
	if (e->nkeys == e->akeys) {
		e->akeys = e->akeys ? e->akeys * 2 : 1024;
		e->hash = xrealloc(e->hash, e->akeys * sizeof(*e->hash));
		e->off = xrealloc(e->off, e->akeys * sizeof(*e->off));
		e->len = xrealloc(e->len, e->akeys * sizeof(*e->len));
	}
	e->hash[e->nkeys] = h;
	e->off[e->nkeys] = e->heap.len;
	e->len[e->nkeys] = (uint32_t)n;
	mlp_buf_add(&e->heap, k, n);
	e->slot[i].kb = kb;
	e->slot[i].len = (uint32_t)n;
	e->slot[i].id1 = (uint32_t)e->nkeys + 1;
	*id = (uint32_t)e->nkeys++;
	return 0;
}

/* Interns the keys waiting: their slots first prefetched together. */
static int
flush_keys(struct ingest *g, struct in_ent *e, struct mlp_err *err)
{
	if (e->mask)
		for (size_t i = 0; i < e->npend; i++)
			__builtin_prefetch(&e->slot[e->pend[i].hash & e->mask]);
	for (size_t i = 0; i < e->npend; i++)
		if (intern(e, e->pkeys.s + e->pend[i].off, e->pend[i].len,
		    e->pend[i].hash, &e->kid[e->pend[i].row]) < 0)
			return mlp_err_set(err, MLP_EINVAL, "'%s' has too many "
			    "keys of entity '%s'", g->name, e->ent->name);
	e->npend = 0;
	mlp_buf_reset(&e->pkeys);
	return 0;
}

/* The key of entity e from its join-key texts, interned when PEND keys
 * are waiting. */
static int
take_key(struct ingest *g, struct in_ent *e, size_t row,
    const struct fcsv_field *vals, uint64_t line, const int *fields,
    struct mlp_err *err)
{
	size_t start = e->pkeys.len;
	char num[24];

	for (size_t k = 0; k < e->ent->nkeys; k++) {
		const char *s = vals[k].p, *name = e->ent->join_keys[k];
		size_t n = vals[k].n;
		int f = fields ? fields[k] : -1;

		if (n == 0)
			return field_err(g, err, line, f, name, "an empty join "
			    "key");
		if (k > 0)
			mlp_buf_addc(&e->pkeys, MLP_FKEY_SEP);
		if (e->ent->key_types[k] == MLP_FT_INT) {
			int64_t i;

			if (fnum_parse_int(s, n, &i) < 0)
				return field_err(g, err, line, f, name, "'%s' "
				    "is not an int", quote_val(g, s, n));
			mlp_buf_add(&e->pkeys, num, fnum_fmt_int(i, num));
		} else {
			if (mlp_utf8_invalid(s, n) >= 0)
				return field_err(g, err, line, f, name, "not "
				    "valid UTF-8");
			if (memchr(s, MLP_FKEY_SEP, n))
				return field_err(g, err, line, f, name, "a key "
				    "holding the byte 0x1f");
			mlp_buf_add(&e->pkeys, s, n);
		}
	}
	e->pend[e->npend].off = start;
	e->pend[e->npend].len = e->pkeys.len - start;
	e->pend[e->npend].hash = mlp_fkey_hash(e->pkeys.s + start,
	    e->pkeys.len - start);
	e->pend[e->npend++].row = row;
	return e->npend == PEND ? flush_keys(g, e, err) : 0;
}

/* ---- CSV ---- */

static int
find_field(struct ingest *g, const struct fcsv *c, const char *name,
    const char *why, int *out, struct mlp_err *err)
{
	*out = -1;
	for (size_t j = 0; j < c->nf; j++)
		if (c->f[j].n == strlen(name) &&
		    memcmp(c->f[j].p, name, c->f[j].n) == 0) {
			if (*out >= 0)
				return mlp_err_set(err, MLP_EINVAL, "'%s' has "
				    "two columns '%s'", g->name, name);
			*out = (int)j;
		}
	if (*out < 0)
		return mlp_err_set(err, MLP_EINVAL, "'%s' has no column '%s' "
		    "(%s)", g->name, name, why);
	return 0;
}

static int
csv_header(struct ingest *g, struct fcsv *c, struct mlp_err *err)
{
	char why[300];
	int rc;

	if ((rc = fcsv_next(c, err)) < 0)
		return rc;
	if (rc == 0)
		return mlp_err_set(err, MLP_EINVAL, "'%s' is empty", g->name);
	snprintf(why, sizeof(why), "the event timestamp of source '%s'",
	    g->src->name);
	if ((rc = find_field(g, c, g->src->timestamp, why, &g->ets_field,
	    err)) < 0)
		return rc;
	g->cts_field = -1;
	if (g->src->created_timestamp) {
		snprintf(why, sizeof(why), "the created timestamp of source "
		    "'%s'", g->src->name);
		if ((rc = find_field(g, c, g->src->created_timestamp, why,
		    &g->cts_field, err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < g->nents; i++) {
		struct in_ent *e = &g->ents[i];

		for (size_t k = 0; k < e->ent->nkeys; k++) {
			snprintf(why, sizeof(why), "a join key of entity '%s'",
			    e->ent->name);
			if ((rc = find_field(g, c, e->ent->join_keys[k], why,
			    &e->field[k], err)) < 0)
				return rc;
		}
	}
	for (size_t i = 0; i < g->ncols; i++) {
		snprintf(why, sizeof(why), "needed by feature view '%s'",
		    g->cols[i].why);
		if ((rc = find_field(g, c, g->cols[i].name, why,
		    &g->cols[i].field, err)) < 0)
			return rc;
	}
	return 0;
}

static int
csv_row(struct ingest *g, const struct fcsv *c, size_t hdr_fields,
    struct mlp_err *err)
{
	size_t row = g->nrows;
	uint64_t line = c->rec_line, *rec;
	struct fcsv_field kv[64];
	int64_t ts;
	int rc;

	if (c->nf != hdr_fields)
		return mlp_err_set(err, MLP_EINVAL, "'%s' line %llu: expected "
		    "%zu fields, found %zu", g->name, (unsigned long long)line,
		    hdr_fields, c->nf);
	if (row == g->arows)
		grow_rows(g);
	rec = row_at(g, row);
	memset(rec, 0, g->cell0 * sizeof(*rec));
	if ((rc = take_ts(g, g->src->timestamp, c->f[g->ets_field].p,
	    c->f[g->ets_field].n, line, g->ets_field, &ts, err)) < 0)
		return rc;
	rec[0] = (uint64_t)ts;
	if (g->has_cts) {
		if ((rc = take_ts(g, g->src->created_timestamp,
		    c->f[g->cts_field].p, c->f[g->cts_field].n, line,
		    g->cts_field, &ts, err)) < 0)
			return rc;
		rec[1] = (uint64_t)ts;
	}
	for (size_t i = 0; i < g->ncols; i++) {
		const struct fcsv_field *f = &c->f[g->cols[i].field];

		if ((rc = take_value(g, i, rec, f->p, f->n, line,
		    g->cols[i].field, err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < g->nents; i++) {
		struct in_ent *e = &g->ents[i];

		for (size_t k = 0; k < e->ent->nkeys; k++)
			kv[k] = c->f[e->field[k]];
		if ((rc = take_key(g, e, row, kv, line, e->field, err)) < 0)
			return rc;
	}
	g->nrows++;
	return 0;
}

static int
read_csv(struct ingest *g, struct fcsv *c, struct mlp_err *err)
{
	size_t hdr;
	int rc;

	if ((rc = csv_header(g, c, err)) < 0)
		return rc;
	hdr = c->nf;
	while ((rc = fcsv_next(c, err)) > 0)
		if ((rc = csv_row(g, c, hdr, err)) < 0)
			return rc;
	return rc;
}

/* ---- CSV on several threads ---- */

/* Files smaller than this are read on one thread (tests lower it). */
uint64_t fingest_par_min = (uint64_t)16 << 20;
/* What a parallel read says when it has to be redone on one thread: a
 * quoted field (which may hold a line end a split fell into), or an
 * error past the first range (whose line it cannot number). */
#define AGAIN 1

/* A thread's share of the file: lines [start, end), read into a state of
 * its own that shares g's plan (columns, entities, fields). */
struct par_job {
	struct ingest g;
	int fd;
	uint64_t start, end, line;
	size_t hdr;
	int rc, saw_quote;
	struct mlp_err err;
	pthread_t th;
};

static void
fork_state(const struct ingest *g, struct ingest *k)
{
	*k = *g;
	k->cols = xcalloc(g->ncols + 1, sizeof(*k->cols));
	for (size_t i = 0; i < g->ncols; i++) {
		k->cols[i] = g->cols[i];
		mlp_buf_init(&k->cols[i].heap);
	}
	k->ents = xcalloc(g->nents + 1, sizeof(*k->ents));
	for (size_t i = 0; i < g->nents; i++) {
		k->ents[i].ent = g->ents[i].ent;
		k->ents[i].why = g->ents[i].why;
		k->ents[i].field = g->ents[i].field;
	}
	k->views = NULL;
	k->nviews = 0;
	k->rows = NULL;
	k->nrows = k->arows = 0;
	mlp_buf_init(&k->tmp);
}

static void
fork_release(struct ingest *k)
{
	for (size_t i = 0; i < k->ncols; i++)
		mlp_buf_release(&k->cols[i].heap);
	free(k->cols);
	for (size_t i = 0; i < k->nents; i++) {
		struct in_ent *e = &k->ents[i];

		free(e->kid);
		free(e->slot);
		free(e->hash);
		free(e->off);
		free(e->len);
		mlp_buf_release(&e->heap);
		mlp_buf_release(&e->pkeys);
	}
	free(k->ents);
	free(k->rows);
	mlp_buf_release(&k->tmp);
}

static void *
par_main(void *arg)
{
	struct par_job *j = arg;
	struct fcsv c;

	fcsv_open_range(&c, j->fd, j->start, j->end, j->line, j->g.name);
	mlp_err_clear(&j->err);
	while ((j->rc = fcsv_next(&c, &j->err)) > 0)
		if ((j->rc = csv_row(&j->g, &c, j->hdr, &j->err)) < 0)
			break;
	for (size_t i = 0; j->rc == 0 && i < j->g.nents; i++)
		j->rc = flush_keys(&j->g, &j->g.ents[i], &j->err);
	j->saw_quote = c.saw_quote;
	fcsv_close(&c);
	return NULL;
}

/* Appends the rows k read to g: k's keys interned in g's tables, its
 * strings appended to g's heaps. */
/* Appends the rows k read to g: k's keys interned in g's tables, its
 * strings appended to g's heaps, its rows taken over as they are. */
static int
merge_state(struct ingest *g, struct ingest *k, struct mlp_err *err)
{
	size_t base = g->nrows, total = g->nrows + k->nrows;

	if (k->nrows == 0)
		return 0;
	for (size_t i = 0; i < g->nents; i++) {
		struct in_ent *e = &g->ents[i], *f = &k->ents[i];
		uint32_t *map = xmalloc((f->nkeys + 1) * sizeof(*map));

		for (size_t x = 0; x < f->nkeys; x++)
			if (intern(e, f->heap.s + f->off[x], f->len[x],
			    f->hash[x], &map[x]) < 0) {
				free(map);
				return mlp_err_set(err, MLP_EINVAL, "'%s' has "
				    "too many keys of entity '%s'", g->name,
				    e->ent->name);
			}
		e->kid = xrealloc(e->kid, (total + 1) * sizeof(*e->kid));
		for (size_t r = 0; r < k->nrows; r++)
			e->kid[base + r] = map[f->kid[r]];
		free(map);
	}
	for (size_t c = 0; c < g->ncols; c++) {
		uint64_t add = g->cols[c].heap.len;

		if (g->cols[c].type != MLP_FT_STRING || add == 0)
			goto append;
		if (add + k->cols[c].heap.len >= (UINT64_C(1) << 40))
			return mlp_err_set(err, MLP_EINVAL, "'%s': column '%s' "
			    "holds too many bytes", g->name, g->cols[c].name);
		for (size_t r = 0; r < k->nrows; r++) {
			uint64_t *rec = k->rows + r * g->stride;

			if (!cell_null(g, rec, c))
				rec[g->cell0 + c] += add << 24;
		}
append:
		if (k->cols[c].heap.len)
			mlp_buf_add(&g->cols[c].heap, k->cols[c].heap.s,
			    k->cols[c].heap.len);
	}
	g->xrows[g->nx] = k->rows;
	g->xfirst[g->nx++] = base;
	k->rows = NULL;
	g->arows = g->nrows = total;
	return 0;
}

/* The first line start at or after off, or end. */
static int
line_start(int fd, uint64_t off, uint64_t end, uint64_t *at)
{
	char buf[65536];

	while (off < end) {
		size_t want = end - off < sizeof(buf) ? (size_t)(end - off) :
		    sizeof(buf);
		ssize_t r = pread(fd, buf, want, (off_t)(off - 1));
		char *nl;

		if (r <= 0)
			return -1;
		if ((nl = memchr(buf, '\n', (size_t)r))) {
			*at = off + (uint64_t)(nl - buf);
			return 0;
		}
		off += (uint64_t)r;
	}
	*at = end;
	return 0;
}

/* The data rows of an open CSV file, whose header c has read, on n
 * threads: 0, an error of the first range, or AGAIN. */
static int
read_csv_par(struct ingest *g, struct fcsv *c, uint64_t size, int n,
    struct mlp_err *err)
{
	struct par_job *jobs;
	uint64_t start = fcsv_offset(c);
	int nj = 0, rc = 0, again = 0;

	jobs = xcalloc((size_t)n, sizeof(*jobs));
	for (int k = 0; k < n; k++) {
		uint64_t s = k == 0 ? start : start + (size - start) *
		    (uint64_t)k / (uint64_t)n;

		if (k > 0 && (line_start(c->fd, s, size, &s) < 0 ||
		    s <= jobs[nj - 1].start || s >= size))
			continue;
		if (nj > 0)
			jobs[nj - 1].end = s;
		jobs[nj].start = s;
		jobs[nj].end = size;
		jobs[nj].fd = c->fd;
		jobs[nj].hdr = c->nf;
		jobs[nj].line = k == 0 ? c->line : 1;
		if (k == 0)
			jobs[nj].g = *g;
		else
			fork_state(g, &jobs[nj].g);
		nj++;
	}
	for (int k = 1; k < nj; k++)
		if (pthread_create(&jobs[k].th, NULL, par_main, &jobs[k]) != 0) {
			jobs[k].rc = MLP_EFAIL;
			jobs[k].th = 0;
			again = 1;
		}
	par_main(&jobs[0]);
	*g = jobs[0].g;
	for (int k = 1; k < nj; k++)
		if (jobs[k].th)
			pthread_join(jobs[k].th, NULL);
	for (int k = 0; k < nj; k++)
		again |= jobs[k].saw_quote;
	if (!again && jobs[0].rc < 0) {
		rc = jobs[0].rc;
		*err = jobs[0].err;
	}
	for (int k = 1; k < nj; k++)
		again |= jobs[k].rc < 0;
	for (int k = 1; k < nj && !again && rc == 0; k++)
		rc = merge_state(g, &jobs[k].g, err);
	for (int k = 1; k < nj; k++)
		fork_release(&jobs[k].g);
	free(jobs);
	return again ? AGAIN : rc;
}

/* ---- JSON lines ---- */

/* The text a JSON value stands for, as a CSV field would hold it; NULL
 * with err set for an object or an array. */
static int
json_text(struct ingest *g, const cJSON *v, struct mlp_buf *b,
    uint64_t line, const char *name, struct mlp_err *err)
{
	char num[40];

	mlp_buf_reset(b);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v)) {
		mlp_buf_adds(b, v->valuestring);
	} else if (cJSON_IsBool(v)) {
		mlp_buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!isfinite(d))
			return field_err(g, err, line, -1, name, "a number out "
			    "of range");
		if (d == trunc(d) && fabs(d) < 9007199254740992.0)
			mlp_buf_add(b, num, fnum_fmt_int((int64_t)d, num));
		else
			mlp_buf_add(b, num, fnum_fmt_double(d, num));
	} else {
		return field_err(g, err, line, -1, name, "an %s, not a value",
		    cJSON_IsArray(v) ? "array" : "object");
	}
	return 0;
}

static int
json_row(struct ingest *g, const char *text, size_t n, uint64_t line,
    struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT, keys[64];
	struct fcsv_field kv[64];
	size_t row = g->nrows;
	uint64_t *rec;
	int64_t ts;
	cJSON *doc;
	int rc = 0;

	for (size_t k = 0; k < 64; k++)
		mlp_buf_init(&keys[k]);
	if (!(doc = cJSON_ParseWithLength(text, n)) || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return mlp_err_set(err, MLP_EINVAL, "'%s' line %llu: not a JSON "
		    "object", g->name, (unsigned long long)line);
	}
	if (row == g->arows)
		grow_rows(g);
	rec = row_at(g, row);
	memset(rec, 0, g->cell0 * sizeof(*rec));
	if ((rc = json_text(g, cJSON_GetObjectItemCaseSensitive(doc,
	    g->src->timestamp), &b, line, g->src->timestamp, err)) < 0 ||
	    (rc = take_ts(g, g->src->timestamp, b.s, b.len, line, -1, &ts,
	    err)) < 0)
		goto out;
	rec[0] = (uint64_t)ts;
	if (g->has_cts) {
		if ((rc = json_text(g, cJSON_GetObjectItemCaseSensitive(doc,
		    g->src->created_timestamp), &b, line,
		    g->src->created_timestamp, err)) < 0 ||
		    (rc = take_ts(g, g->src->created_timestamp, b.s, b.len,
		    line, -1, &ts, err)) < 0)
			goto out;
		rec[1] = (uint64_t)ts;
	}
	for (size_t i = 0; i < g->ncols; i++) {
		struct in_col *col = &g->cols[i];

		if ((rc = json_text(g, cJSON_GetObjectItemCaseSensitive(doc,
		    col->name), &b, line, col->name, err)) < 0 ||
		    (rc = take_value(g, i, rec, b.s, b.len, line, -1,
		    err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < g->nents; i++) {
		struct in_ent *e = &g->ents[i];

		for (size_t k = 0; k < e->ent->nkeys; k++) {
			const char *name = e->ent->join_keys[k];

			if ((rc = json_text(g, cJSON_GetObjectItemCaseSensitive(
			    doc, name), &keys[k], line, name, err)) < 0)
				goto out;
			kv[k].p = mlp_buf_str(&keys[k]);
			kv[k].n = keys[k].len;
		}
		if ((rc = take_key(g, e, row, kv, line, NULL, err)) < 0)
			goto out;
	}
	g->nrows++;
out:
	for (size_t k = 0; k < 64; k++)
		mlp_buf_release(&keys[k]);
	mlp_buf_release(&b);
	cJSON_Delete(doc);
	return rc;
}

static int
read_jsonl(struct ingest *g, struct fcsv *c, struct mlp_err *err)
{
	int rc;

	/* one object a line, read as lines, not as CSV records: a compact
	 * line ({"a":1,"b":"x"}, as kcat writes them) is not CSV */
	while ((rc = fcsv_next_line(c, err)) > 0) {
		const char *s = c->rec;
		size_t n = c->rec_len;

		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		if (n == 0)
			continue;
		if ((rc = json_row(g, s, n, c->rec_line, err)) < 0)
			return rc;
	}
	return rc;
}

/* ---- order and segments ---- */

static int
key_order(const void *a, const void *b, void *arg)
{
	const struct in_ent *e = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	size_t m;
	int c;

	if (e->hash[x] != e->hash[y])
		return e->hash[x] < e->hash[y] ? -1 : 1;
	m = e->len[x] < e->len[y] ? e->len[x] : e->len[y];
	if ((c = memcmp(e->heap.s + e->off[x], e->heap.s + e->off[y], m)))
		return c;
	return e->len[x] < e->len[y] ? -1 : e->len[x] > e->len[y];
}

static int
row_order(const void *a, const void *b, void *arg)
{
	const struct ingest *g = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	const uint64_t *rx = row_at(g, x), *ry = row_at(g, y);

	if (rx[0] != ry[0])
		return (int64_t)rx[0] < (int64_t)ry[0] ? -1 : 1;
	if (g->has_cts && rx[1] != ry[1])
		return (int64_t)rx[1] < (int64_t)ry[1] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* rank_key, kstart and perm of e: keys by (hash, bytes), rows by key and
 * then input order (write_segment puts each key's rows in time order). */
static void
order_rows(struct ingest *g, struct in_ent *e)
{
	uint32_t *rank = xmalloc((e->nkeys + 1) * sizeof(*rank));
	uint64_t *at;

	e->rank_key = xmalloc((e->nkeys + 1) * sizeof(*e->rank_key));
	for (size_t k = 0; k < e->nkeys; k++)
		e->rank_key[k] = (uint32_t)k;
	qsort_r(e->rank_key, e->nkeys, sizeof(*e->rank_key), key_order, e);
	for (size_t r = 0; r < e->nkeys; r++)
		rank[e->rank_key[r]] = (uint32_t)r;
	e->kstart = xcalloc(e->nkeys + 1, sizeof(*e->kstart));
	for (size_t i = 0; i < g->nrows; i++)
		e->kstart[rank[e->kid[i]] + 1]++;
	for (size_t r = 0; r < e->nkeys; r++)
		e->kstart[r + 1] += e->kstart[r];
	e->perm = xmalloc((g->nrows + 1) * sizeof(*e->perm));
	at = xmalloc((e->nkeys + 1) * sizeof(*at));
	memcpy(at, e->kstart, e->nkeys * sizeof(*at));
	for (size_t i = 0; i < g->nrows; i++)
		e->perm[at[rank[e->kid[i]]]++] = (uint32_t)i;
	free(at);
	free(rank);
}

uint64_t fingest_part_rows = MLP_FPART_ROWS;

unsigned
fingest_bits(uint64_t rows)
{
	unsigned bits = 0;

	while (bits < MLP_FPART_MAX_BITS && (rows >> bits) > fingest_part_rows)
		bits++;
	return bits;
}

/* Builds into w the segment of v holding keys of ranks [r0, r1): key by
 * key, each key's rows put in time order and gathered, while they are in
 * the cache, into the segment's columns. */
static int
build_segment(struct ingest *g, struct in_view *v, unsigned bits,
    uint32_t part, size_t r0, size_t r1, struct fseg_w *w,
    struct mlp_err *err)
{
	struct in_ent *e = v->ent;
	uint64_t base = e->kstart[r0], nrows = e->kstart[r1] - base;
	uint64_t *heap_len = xcalloc(v->ncols + 1, sizeof(*heap_len));
	uint64_t *so = xcalloc(v->ncols + 1, sizeof(*so));
	uint32_t *perm = e->perm + base;
	struct fseg_spec sp = { 0 };
	struct mlp_fingest_view *res = v->res;
	int rc, strings = 0;

	sp.part_bits = bits;
	sp.partition = part;
	sp.nrows = nrows;
	sp.nkeys = r1 - r0;
	for (size_t r = r0; r < r1; r++)
		sp.key_heap_len += e->len[e->rank_key[r]];
	sp.has_cts = g->has_cts;
	sp.ncols = v->ncols;
	sp.names = v->names;
	sp.types = v->types;
	for (size_t j = 0; j < v->ncols; j++)
		strings |= v->types[j] == MLP_FT_STRING;
	if (strings)
		for (uint64_t i = 0; i < nrows; i++) {
			const uint64_t *rec = row_at(g, perm[i]);

			for (size_t j = 0; j < v->ncols; j++)
				if (v->types[j] == MLP_FT_STRING)
					heap_len[j] += rec[g->cell0 +
					    v->cols[j]] & STR_MAX;
		}
	sp.heap_len = heap_len;
	if ((rc = fseg_w_init(w, &sp, err)) < 0) {
		free(heap_len);
		free(so);
		return rc;
	}
	for (size_t r = r0, ko = 0; r < r1; r++) {
		uint32_t id = e->rank_key[r], *run = e->perm + e->kstart[r];
		size_t n = (size_t)(e->kstart[r + 1] - e->kstart[r]);
		uint64_t o = e->kstart[r] - base;

		w->key_hash[r - r0] = e->hash[id];
		w->key_start[r - r0] = o;
		w->key_off[r - r0] = ko;
		memcpy(w->key_heap + ko, e->heap.s + e->off[id], e->len[id]);
		ko += e->len[id];
		w->key_off[r - r0 + 1] = ko;
		/* the next key's rows are far apart in memory: ask for them
		 * while this key's are gathered */
		if (r + 1 < r1)
			for (uint64_t i = e->kstart[r + 1]; i < e->kstart[r + 2];
			    i++)
				__builtin_prefetch(row_at(g, e->perm[i]));
		for (size_t i = 1; i < n; i++) {
			const uint64_t *a = row_at(g, run[i - 1]),
			    *b = row_at(g, run[i]);

			/* in input order already unless a time goes back */
			if ((int64_t)a[0] > (int64_t)b[0] || (g->has_cts &&
			    a[0] == b[0] && (int64_t)a[1] > (int64_t)b[1])) {
				qsort_r(run, n, sizeof(*run), row_order, g);
				break;
			}
		}
		for (size_t i = 0; i < n; i++, o++) {
			const uint64_t *rec = row_at(g, run[i]);

			w->ets[o] = (int64_t)rec[0];
			if (w->cts)
				w->cts[o] = (int64_t)rec[1];
			if (w->ets[o] < res->min_ts)
				res->min_ts = w->ets[o];
			if (w->ets[o] > res->max_ts)
				res->max_ts = w->ets[o];
			for (size_t j = 0; j < v->ncols; j++) {
				struct fseg_wcol *wc = &w->cols[j];
				size_t c = v->cols[j];
				uint64_t cell = rec[g->cell0 + c];

				if (cell_null(g, rec, c))
					fseg_set_null(wc->nulls, o);
				switch (v->types[j]) {
				case MLP_FT_FLOAT:
				case MLP_FT_INT:
					((uint64_t *)wc->values)[o] = cell;
					break;
				case MLP_FT_BOOL:
					((uint8_t *)wc->values)[o] =
					    (uint8_t)cell;
					break;
				case MLP_FT_STRING:
					wc->str_off[o] = so[j];
					/* a column of empty strings has no
					 * heap at all */
					if (cell & STR_MAX)
						memcpy(wc->heap + so[j],
						    g->cols[c].heap.s +
						    (cell >> 24),
						    cell & STR_MAX);
					so[j] += cell & STR_MAX;
					wc->str_off[o + 1] = so[j];
					break;
				}
			}
		}
	}
	w->key_start[r1 - r0] = nrows;
	fseg_w_finish(w);
	free(heap_len);
	free(so);
	return 0;
}

/* Stores the segment w of partition part of v and frees it. */
static int
store_segment(struct in_view *v, struct mlp_store *st, uint32_t part,
    uint64_t rows, struct fseg_w *w, struct mlp_put_stats *ps,
    struct mlp_err *err)
{
	struct seg_rec *sr;
	int rc;

	v->segs = xrealloc(v->segs, (v->nsegs + 1) * sizeof(*v->segs));
	sr = &v->segs[v->nsegs];
	sr->part = part;
	sr->rows = rows;
	sr->size = w->size;
	if ((rc = mlp_store_put_buf(st, w->buf, w->size, &sr->oid, ps,
	    err)) == 0)
		v->nsegs++;
	fseg_w_release(w);
	return rc;
}

/* The segments of a view in partition order, built on a thread of their
 * own while the caller stores the one before: a queue of at most QMAX
 * built segments between them. */
#define QMAX 2

struct seg_job {
	uint32_t part;
	size_t r0, r1;
	struct fseg_w w;
	int done, rc;
	struct mlp_err err;
};

struct builder {
	struct ingest *g;
	struct in_view *v;
	unsigned bits;
	struct seg_job *jobs;
	size_t n, next, stored;
	int stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *
builder_main(void *arg)
{
	struct builder *b = arg;

	for (size_t i = 0; i < b->n; i++) {
		struct seg_job *j = &b->jobs[i];

		pthread_mutex_lock(&b->mu);
		while (!b->stop && i >= b->stored + QMAX)
			pthread_cond_wait(&b->cv, &b->mu);
		if (b->stop) {
			pthread_mutex_unlock(&b->mu);
			break;
		}
		pthread_mutex_unlock(&b->mu);
		mlp_err_clear(&j->err);
		j->rc = build_segment(b->g, b->v, b->bits, j->part, j->r0, j->r1,
		    &j->w, &j->err);
		pthread_mutex_lock(&b->mu);
		j->done = 1;
		pthread_cond_broadcast(&b->cv);
		pthread_mutex_unlock(&b->mu);
		if (j->rc < 0)
			break;
	}
	return NULL;
}

static int
write_view(struct ingest *g, struct in_view *v, struct mlp_store *st,
    int nthreads, struct mlp_put_stats *ps, struct mlp_err *err)
{
	struct in_ent *e = v->ent;
	unsigned bits = fingest_bits(g->nrows);
	struct mlp_fingest_view *res = v->res;
	struct builder b;
	struct mlp_sha256 h;
	struct mlp_oid d;
	char line[128], hex[MLP_OID_HEXSZ + 1];
	pthread_t th;
	int rc = 0, threaded = 0;

	res->min_ts = INT64_MAX;
	res->max_ts = INT64_MIN;
	memset(&b, 0, sizeof(b));
	b.g = g;
	b.v = v;
	b.bits = bits;
	b.jobs = xcalloc(e->nkeys + 1, sizeof(*b.jobs));
	for (size_t r0 = 0; r0 < e->nkeys;) {
		uint32_t part = mlp_fkey_partition(e->hash[e->rank_key[r0]],
		    bits);
		size_t r1 = r0 + 1;

		while (r1 < e->nkeys && mlp_fkey_partition(
		    e->hash[e->rank_key[r1]], bits) == part)
			r1++;
		b.jobs[b.n].part = part;
		b.jobs[b.n].r0 = r0;
		b.jobs[b.n++].r1 = r1;
		r0 = r1;
	}
	if (nthreads > 1 && b.n > 1) {
		pthread_mutex_init(&b.mu, NULL);
		pthread_cond_init(&b.cv, NULL);
		threaded = pthread_create(&th, NULL, builder_main, &b) == 0;
		if (!threaded) {
			pthread_mutex_destroy(&b.mu);
			pthread_cond_destroy(&b.cv);
		}
	}
	for (size_t i = 0; i < b.n; i++) {
		struct seg_job *j = &b.jobs[i];

		if (threaded) {
			pthread_mutex_lock(&b.mu);
			while (!j->done)
				pthread_cond_wait(&b.cv, &b.mu);
			pthread_mutex_unlock(&b.mu);
		} else {
			j->rc = build_segment(g, v, bits, j->part, j->r0, j->r1,
			    &j->w, &j->err);
		}
		if ((rc = j->rc) < 0) {
			*err = j->err;
			break;
		}
		rc = store_segment(v, st, j->part, e->kstart[j->r1] -
		    e->kstart[j->r0], &j->w, ps, err);
		if (threaded) {
			pthread_mutex_lock(&b.mu);
			b.stored = i + 1;
			if (rc < 0)
				b.stop = 1;
			pthread_cond_broadcast(&b.cv);
			pthread_mutex_unlock(&b.mu);
		}
		if (rc < 0)
			break;
	}
	if (threaded) {
		pthread_mutex_lock(&b.mu);
		b.stop = 1;
		pthread_cond_broadcast(&b.cv);
		pthread_mutex_unlock(&b.mu);
		pthread_join(th, NULL);
		pthread_mutex_destroy(&b.mu);
		pthread_cond_destroy(&b.cv);
	}
	/* segments built and not stored (after an error) */
	for (size_t i = 0; i < b.n; i++)
		if (b.jobs[i].w.buf)
			fseg_w_release(&b.jobs[i].w);
	free(b.jobs);
	if (rc < 0)
		return rc;
	/* the batch's digest: of its segment list */
	if ((rc = mlp_sha256_begin(&h, err)) < 0)
		return rc;
	snprintf(line, sizeof(line), "mlp feature batch 1\nbits %u\n", bits);
	mlp_sha256_update(&h, line, strlen(line));
	for (size_t i = 0; i < v->nsegs; i++) {
		mlp_oid_fmt(&v->segs[i].oid, hex);
		snprintf(line, sizeof(line), "%u %s %llu\n", v->segs[i].part,
		    hex, (unsigned long long)v->segs[i].rows);
		mlp_sha256_update(&h, line, strlen(line));
		res->bytes += v->segs[i].size;
	}
	mlp_sha256_end(&h, &d);
	mlp_oid_fmt(&d, res->digest);
	res->rows = g->nrows;
	res->partitions = 1u << bits;
	res->segments = v->nsegs;
	return 0;
}

/* ---- the record ---- */

static int
record(struct mlp_db *db, struct ingest *g, const char *path,
    const char *user, struct mlp_err *err)
{
	sqlite3_stmt *q = NULL, *ins = NULL, *seg = NULL;
	int rc;

	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &q, "SELECT coalesce(replaced_by, id) "
	    "FROM feature_ingest WHERE view = ? AND view_version = ? AND "
	    "digest = ?", err)) < 0 ||
	    (rc = mlp_db_prepare(db, &ins, "INSERT INTO feature_ingest "
	    "(source, view, view_version, digest, bits, rows, min_event_ts, "
	    "max_event_ts, path, user, created) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?)", err)) < 0 ||
	    (rc = mlp_db_prepare(db, &seg, "INSERT INTO feature_segment "
	    "(ingest, partition, oid, rows, size) VALUES (?, ?, ?, ?, ?)",
	    err)) < 0)
		goto out;
	for (size_t i = 0; i < g->nviews; i++) {
		struct in_view *v = &g->views[i];
		struct mlp_fingest_view *res = v->res;
		unsigned bits = 0;

		while ((1u << bits) < res->partitions)
			bits++;
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, v->view->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, res->version);
		sqlite3_bind_text(q, 3, res->digest, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			res->unchanged = 1;
			res->id = sqlite3_column_int64(q, 0);
			continue;
		}
		if (rc != SQLITE_DONE) {
			rc = mlp_db_error(db, err, "cannot read feature batches");
			goto out;
		}
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, g->src->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, v->view->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 3, res->version);
		sqlite3_bind_text(ins, 4, res->digest, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 5, (int)bits);
		sqlite3_bind_int64(ins, 6, (int64_t)res->rows);
		sqlite3_bind_int64(ins, 7, res->min_ts);
		sqlite3_bind_int64(ins, 8, res->max_ts);
		sqlite3_bind_text(ins, 9, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 10, user ? user : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 11, mlp_now_ms());
		if ((rc = mlp_db_step(db, ins, "cannot record the ingest",
		    err)) < 0)
			goto out;
		res->id = sqlite3_last_insert_rowid(db->h);
		for (size_t s = 0; s < v->nsegs; s++) {
			char hex[MLP_OID_HEXSZ + 1];

			mlp_oid_fmt(&v->segs[s].oid, hex);
			sqlite3_reset(seg);
			sqlite3_bind_int64(seg, 1, res->id);
			sqlite3_bind_int64(seg, 2, v->segs[s].part);
			sqlite3_bind_text(seg, 3, hex, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(seg, 4, (int64_t)v->segs[s].rows);
			sqlite3_bind_int64(seg, 5, (int64_t)v->segs[s].size);
			if ((rc = mlp_db_step(db, seg, "cannot record a segment",
			    err)) < 0)
				goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	sqlite3_finalize(seg);
	if (rc == 0)
		return mlp_db_commit(db, err);
	mlp_db_rollback(db);
	return rc;
}

/* ---- the whole ---- */

static void
ingest_release(struct ingest *g)
{
	for (size_t i = 0; i < g->ncols; i++)
		mlp_buf_release(&g->cols[i].heap);
	free(g->cols);
	for (size_t i = 0; i < g->nents; i++) {
		struct in_ent *e = &g->ents[i];

		free(e->field);
		free(e->kid);
		free(e->slot);
		mlp_buf_release(&e->pkeys);
		free(e->hash);
		free(e->off);
		free(e->len);
		mlp_buf_release(&e->heap);
		free(e->rank_key);
		free(e->kstart);
		free(e->perm);
	}
	free(g->ents);
	for (size_t i = 0; i < g->nviews; i++) {
		free(g->views[i].cols);
		free(g->views[i].names);
		free(g->views[i].types);
		free(g->views[i].segs);
	}
	free(g->views);
	free(g->rows);
	for (size_t i = 0; i < g->nx; i++)
		free(g->xrows[i]);
	mlp_buf_release(&g->tmp);
}

void
mlp_fingest_result_free(struct mlp_fingest_result *r)
{
	if (!r)
		return;
	free(r->views);
	free(r->path);
	free(r->compact_error);
	free(r);
}

/* One go at an ingest; AGAIN when a parallel read must be redone on one
 * thread. */
static int
ingest_once(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const struct mlp_fingest_opts *opts,
    int nthreads, struct mlp_fingest_result *res, struct mlp_err *err)
{
	struct ingest g;
	struct mlp_put_stats ps = { 0 };
	struct fcsv c;
	struct stat sb;
	char *path = NULL;
	double t = mlp_mono();
	int rc, opened = 0, json;

	memset(&g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	g.spec = spec;
	if ((rc = plan(&g, opts->source, err)) < 0)
		goto out;
	if (opts->file)
		path = xstrdup(opts->file);
	else if (g.src->path[0] == '/' || !opts->root)
		path = xstrdup(g.src->path);
	else
		path = xasprintf("%s/%s", opts->root, g.src->path);
	free(res->path);
	res->path = xstrdup(opts->file ? opts->file : g.src->path);
	g.name = strcmp(path, "-") == 0 ? "stdin" : res->path;
	g.has_cts = g.src->created_timestamp != NULL;
	if ((rc = fcsv_open(&c, path, g.name, err)) < 0)
		goto out;
	opened = 1;
	if ((rc = fcsv_peek(&c, err)) < 0)
		goto out;
	json = g.src->format == MLP_FFMT_JSONL || rc == '{';
	if (json) {
		rc = read_jsonl(&g, &c, err);
	} else if (nthreads > 1 && fstat(c.fd, &sb) == 0 &&
	    S_ISREG(sb.st_mode) && (uint64_t)sb.st_size >= fingest_par_min) {
		if ((rc = csv_header(&g, &c, err)) == 0)
			rc = read_csv_par(&g, &c, (uint64_t)sb.st_size,
			    nthreads, err);
	} else {
		rc = read_csv(&g, &c, err);
	}
	if (rc != 0)
		goto out;
	if (g.nrows == 0) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' has no rows", g.name);
		goto out;
	}
	for (size_t i = 0; i < g.nents; i++)
		if ((rc = flush_keys(&g, &g.ents[i], err)) < 0)
			goto out;
	res->rows = g.nrows;
	res->nviews = g.nviews;
	res->views = xcalloc(g.nviews, sizeof(*res->views));
	res->read_s = mlp_mono() - t;
	t = mlp_mono();
	for (size_t i = 0; i < g.nents; i++)
		order_rows(&g, &g.ents[i]);
	res->order_s = mlp_mono() - t;
	t = mlp_mono();
	for (size_t i = 0; i < g.nviews; i++) {
		struct in_view *v = &g.views[i];
		size_t vi = (size_t)(v->view - spec->views);

		v->res = &res->views[i];
		v->res->view = v->view->name;
		v->res->version = opts->versions ? opts->versions[vi] :
		    v->view->version > 0 ? v->view->version : 1;
		if ((rc = write_view(&g, v, st, nthreads, &ps, err)) < 0)
			goto out;
	}
	if ((rc = record(db, &g, opts->origin ? opts->origin : res->path,
	    opts->user, err)) < 0)
		goto out;
	res->write_s = mlp_mono() - t;
	res->objects_written = ps.objects_written;
	res->bytes_written = ps.bytes_written;
out:
	if (opened)
		fcsv_close(&c);
	ingest_release(&g);
	free(path);
	return rc;
}

/* Compacts each view that got a batch by the size-tiered policy. Another
 * process compacting the same batches at once is no failure: one of the
 * two does it. */
static void
compact_after(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const char *user,
    struct mlp_fingest_result *res)
{
	for (size_t i = 0; i < res->nviews; i++) {
		struct mlp_fingest_view *v = &res->views[i];
		struct mlp_fcompact_view cv;
		struct mlp_err e;

		if (v->unchanged)
			continue;
		mlp_err_clear(&e);
		if (mlp_fcompact(db, st, spec, v->view, MLP_FCOMPACT_AUTO, user,
		    &cv, &e) < 0) {
			if (e.code != MLP_ELOCKED && !res->compact_error)
				res->compact_error = xstrdup(e.msg);
			continue;
		}
		v->compacted = cv.id;
		v->merged = cv.merged;
	}
}

int
mlp_fingest(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const struct mlp_fingest_opts *opts,
    struct mlp_fingest_result **out, struct mlp_err *err)
{
	struct mlp_fingest_result *res = xcalloc(1, sizeof(*res));
	int n = opts->nthreads, rc;

	*out = NULL;
	if (n <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		n = c < 1 ? 1 : c > PAR_MAX ? PAR_MAX : (int)c;
	}
	if ((rc = ingest_once(db, st, spec, opts, n, res, err)) == AGAIN)
		rc = ingest_once(db, st, spec, opts, 1, res, err);
	if (rc < 0) {
		mlp_fingest_result_free(res);
		return rc;
	}
	if (!opts->no_compact)
		compact_after(db, st, spec, opts->user, res);
	*out = res;
	return 0;
}
