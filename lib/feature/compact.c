/* mlp feature compact: a view's batches merged into one, partition by
 * partition, rows in the order the join reads them, recorded in one
 * transaction that replaces the batches merged; and the size-tiered
 * policy that picks which batches an ingest or a push merges by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "fonline.h"
#include "internal.h"

/* A merged batch's segment open, and its columns in the output's order. */
struct cbatch {
	const struct fbatch *fb;
	struct fseg seg;
	long open;		/* -1: none */
	int *col;
	uint64_t k, kend;	/* the keys of the partition being written */
};

struct compact {
	const struct mlp_fview *view;
	struct mlp_store *st;
	struct cbatch *b;
	size_t nb;
	unsigned bits;		/* the output's */
	/* the columns, from the first segment opened */
	char **names;
	enum mlp_ftype *types;
	size_t ncols;
	int has_cts, have_cols;
	struct fkeys keys;
	struct frun *runs;
	struct frows rows;
	/* the segments written */
	struct cseg {
		uint32_t part;
		uint64_t rows, size;
		struct mlp_oid oid;
	} *segs;
	size_t nsegs;
	struct mlp_fcompact_view *res;
};

/*
 * The policy (also in mlp-feature(1)). Taking a view's batches from the
 * newest back, the next older batch joins while it holds at most
 * MLP_FCOMPACT_RATIO times the rows of those taken; once at least
 * MLP_FCOMPACT_MIN are taken they are merged. So each batch a view keeps
 * holds more than twice the rows of the batches after it (but for the
 * fewer than MLP_FCOMPACT_MIN newest): a view keeps a few batches per
 * tripling of its rows, a large ingest is rewritten only once what came
 * after it is of its size, and a row is rewritten a few times per
 * tripling of the view: a push costs, amortized, its own rows times the
 * log of the view's, never the whole view.
 */
size_t
mlp_fcompact_pick(const uint64_t *rows, size_t n)
{
	uint64_t sum;
	size_t j;

	if (n < MLP_FCOMPACT_MIN)
		return n;
	j = n - 1;
	sum = rows[j];
	while (j > 0 && rows[j - 1] <= MLP_FCOMPACT_RATIO * sum) {
		j--;
		sum += rows[j];
	}
	return n - j >= MLP_FCOMPACT_MIN ? j : n;
}

/* The output's columns from segment s, or s checked against them: the
 * same names of the same types. */
static int
columns(struct compact *c, struct cbatch *b, struct mlp_err *err)
{
	const struct fseg *s = &b->seg;

	if (!c->have_cols) {
		c->ncols = s->ncols;
		c->names = xcalloc(s->ncols + 1, sizeof(*c->names));
		c->types = xcalloc(s->ncols + 1, sizeof(*c->types));
		for (size_t j = 0; j < s->ncols; j++) {
			c->names[j] = xstrndup(s->cols[j].name,
			    s->cols[j].name_len);
			c->types[j] = s->cols[j].type;
		}
		c->have_cols = 1;
	}
	if (s->ncols != c->ncols)
		goto differ;
	b->col = xrealloc(b->col, (c->ncols + 1) * sizeof(*b->col));
	for (size_t j = 0; j < c->ncols; j++) {
		int k = fseg_col_find(s, c->names[j]);

		if (k < 0 || s->cols[k].type != c->types[j])
			goto differ;
		b->col[j] = k;
	}
	return 0;
differ:
	return mlp_err_set(err, MLP_EINVAL, "feature batch %lld holds other "
	    "columns than the batches before it", (long long)b->fb->id);
}

/* Opens each batch's segment of partition part and adds its keys there to
 * the merge. */
static int
open_part(struct compact *c, uint32_t part, struct mlp_err *err)
{
	int rc;

	fkeys_reset(&c->keys);
	for (size_t i = 0; i < c->nb; i++) {
		struct cbatch *b = &c->b[i];
		long g = fbatch_seg_of(b->fb, c->bits, part);

		b->k = b->kend = 0;
		if (g < 0)
			continue;
		if (b->open != g) {
			if (b->open >= 0)
				fseg_close(&b->seg);
			b->open = -1;
			if ((rc = fbatch_open(b->fb, g, c->st, &b->seg,
			    err)) < 0)
				return rc;
			b->open = g;
			if ((rc = columns(c, b, err)) < 0)
				return rc;
			c->has_cts |= b->seg.cts != NULL;
		}
		fseg_part_keys(&b->seg, c->bits, part, &b->k, &b->kend);
		fkeys_add(&c->keys, &b->seg, b->k, b->kend, i);
	}
	return 0;
}

/* Writes the rows of key runs[0..n) at row o of w (key index k). */
static void
put_key(struct compact *c, struct fseg_w *w, uint64_t k, uint64_t *o,
    uint64_t *ko, uint64_t *so, size_t n)
{
	const struct frun *u = &c->runs[0];
	const struct fseg *ks = u->seg;
	uint64_t kl = ks->key_off[u->k + 1] - ks->key_off[u->k], i;
	size_t r;

	w->key_hash[k] = ks->key_hash[u->k];
	w->key_start[k] = *o;
	w->key_off[k] = *ko;
	memcpy(w->key_heap + *ko, ks->key_heap + ks->key_off[u->k], kl);
	*ko += kl;
	w->key_off[k + 1] = *ko;
	frows_reset(&c->rows);
	for (size_t j = 0; j < n; j++)
		frows_add(&c->rows, c->runs[j].seg, c->runs[j].a,
		    c->runs[j].a + c->runs[j].n, c->runs[j].src, j);
	while (frows_next(&c->rows, &r, &i)) {
		const struct fseg *s = c->runs[r].seg;
		const struct cbatch *b = &c->b[c->runs[r].src];

		w->ets[*o] = s->ets[i];
		if (w->cts)
			w->cts[*o] = s->cts ? s->cts[i] : MLP_TS_NONE;
		if (s->ets[i] < c->res->min_ts)
			c->res->min_ts = s->ets[i];
		if (s->ets[i] > c->res->max_ts)
			c->res->max_ts = s->ets[i];
		for (size_t j = 0; j < c->ncols; j++) {
			const struct fseg_col *sc = &s->cols[b->col[j]];
			struct fseg_wcol *wc = &w->cols[j];

			if (sc->has_nulls && fseg_is_null(sc->nulls, i))
				fseg_set_null(wc->nulls, *o);
			switch (c->types[j]) {
			case MLP_FT_FLOAT:
			case MLP_FT_INT:
				((uint64_t *)wc->values)[*o] =
				    ((const uint64_t *)sc->values)[i];
				break;
			case MLP_FT_BOOL:
				((uint8_t *)wc->values)[*o] =
				    ((const uint8_t *)sc->values)[i];
				break;
			case MLP_FT_STRING: {
				const uint64_t *x = sc->values;
				uint64_t len = x[i + 1] - x[i];

				wc->str_off[*o] = so[j];
				memcpy(wc->heap + so[j], sc->heap + x[i], len);
				so[j] += len;
				wc->str_off[*o + 1] = so[j];
				break;
			}
			}
		}
		(*o)++;
	}
}

/* Merges partition part of the batches into one segment, stored. */
static int
partition(struct compact *c, uint32_t part, struct mlp_put_stats *ps,
    struct mlp_err *err)
{
	struct fseg_spec sp = { 0 };
	struct fseg_w w;
	uint64_t *heap_len = NULL, *so = NULL, o = 0, ko = 0, k = 0;
	struct cseg *g;
	size_t n;
	int rc;

	if ((rc = open_part(c, part, err)) < 0)
		return rc;
	/* first the sizes, then the segment */
	heap_len = xcalloc(c->ncols + 1, sizeof(*heap_len));
	so = xcalloc(c->ncols + 1, sizeof(*so));
	while ((n = fkeys_next(&c->keys, c->runs)) > 0) {
		const struct frun *u = &c->runs[0];

		sp.nkeys++;
		sp.key_heap_len += u->seg->key_off[u->k + 1] -
		    u->seg->key_off[u->k];
		for (size_t j = 0; j < n; j++) {
			const struct frun *x = &c->runs[j];
			const struct cbatch *b = &c->b[x->src];

			sp.nrows += x->n;
			for (size_t q = 0; q < c->ncols; q++)
				if (c->types[q] == MLP_FT_STRING) {
					const uint64_t *off =
					    x->seg->cols[b->col[q]].values;

					heap_len[q] += off[x->a + x->n] -
					    off[x->a];
				}
		}
	}
	if (sp.nrows == 0)
		goto out;
	sp.part_bits = c->bits;
	sp.partition = part;
	sp.has_cts = c->has_cts;
	sp.ncols = c->ncols;
	sp.names = (const char *const *)c->names;
	sp.types = c->types;
	sp.heap_len = heap_len;
	if ((rc = fseg_w_init(&w, &sp, err)) < 0)
		goto out;
	fkeys_reset(&c->keys);
	for (size_t i = 0; i < c->nb; i++)
		if (c->b[i].open >= 0)
			fkeys_add(&c->keys, &c->b[i].seg, c->b[i].k,
			    c->b[i].kend, i);
	while ((n = fkeys_next(&c->keys, c->runs)) > 0)
		put_key(c, &w, k++, &o, &ko, so, n);
	w.key_start[k] = o;
	fseg_w_finish(&w);
	c->segs = xrealloc(c->segs, (c->nsegs + 1) * sizeof(*c->segs));
	g = &c->segs[c->nsegs];
	g->part = part;
	g->rows = sp.nrows;
	g->size = w.size;
	if ((rc = mlp_store_put_buf(c->st, w.buf, w.size, &g->oid, ps,
	    err)) == 0) {
		c->nsegs++;
		c->res->bytes += g->size;
		c->res->rows += g->rows;
	}
	fseg_w_release(&w);
out:
	free(heap_len);
	free(so);
	return rc;
}

/* The merged batch's digest: of the digests of the batches it merges
 * (each merged once, so no two compactions share one, nor with an
 * ingest, whose digests start otherwise) and of its segment list. */
static int
digest(struct compact *c, char out[65], struct mlp_err *err)
{
	struct mlp_sha256 h;
	struct mlp_oid d;
	char line[160], hex[MLP_OID_HEXSZ + 1];
	int rc;

	if ((rc = mlp_sha256_begin(&h, err)) < 0)
		return rc;
	snprintf(line, sizeof(line), "mlp feature compaction 1\n");
	mlp_sha256_update(&h, line, strlen(line));
	for (size_t i = 0; i < c->nb; i++) {
		snprintf(line, sizeof(line), "batch %s\n", c->b[i].fb->digest);
		mlp_sha256_update(&h, line, strlen(line));
	}
	snprintf(line, sizeof(line), "bits %u\n", c->bits);
	mlp_sha256_update(&h, line, strlen(line));
	for (size_t i = 0; i < c->nsegs; i++) {
		mlp_oid_fmt(&c->segs[i].oid, hex);
		snprintf(line, sizeof(line), "%u %s %llu\n", c->segs[i].part,
		    hex, (unsigned long long)c->segs[i].rows);
		mlp_sha256_update(&h, line, strlen(line));
	}
	mlp_sha256_end(&h, &d);
	mlp_oid_fmt(&d, out);
	return 0;
}

/* Steps *q, a count of batches, and finalizes it: 0 when the count is
 * that of the batches merged, else MLP_ELOCKED (*q is then left for the
 * caller to finalize). */
static int
count_is(struct mlp_db *db, sqlite3_stmt **q, const struct compact *c,
    struct mlp_err *err)
{
	if (sqlite3_step(*q) != SQLITE_ROW)
		return mlp_db_error(db, err, "cannot read feature batches");
	if ((size_t)sqlite3_column_int64(*q, 0) != c->nb)
		return mlp_err_set(err, MLP_ELOCKED, "the batches of feature "
		    "view '%s' changed while they were compacted",
		    c->view->name);
	sqlite3_finalize(*q);
	*q = NULL;
	return 0;
}

/* Records the merged batch in place of the batches merged, in one
 * transaction, once they are still there, still next to each other in
 * the view's order: MLP_ELOCKED when another process changed them. */
static int
record(struct mlp_db *db, struct compact *c, const struct fbatches *bs,
    const char *user, struct mlp_err *err)
{
	sqlite3_stmt *q = NULL;
	struct mlp_buf ids = MLP_BUF_INIT, sql = MLP_BUF_INIT;
	struct mlp_fcompact_view *res = c->res;
	int64_t lo = c->b[0].fb->seq, hi = c->b[c->nb - 1].fb->seq, id;
	char *path = xasprintf("compact:%s", c->view->name);
	int rc;

	for (size_t i = 0; i < c->nb; i++)
		mlp_buf_addf(&ids, "%s%lld", i ? ", " : "",
		    (long long)c->b[i].fb->id);
	if ((rc = mlp_db_begin(db, err)) < 0)
		goto out;
	/* the live batches from the first merged to the last are those
	 * merged, and they all are still live */
	if ((rc = mlp_db_prepare(db, &q, "SELECT count(*) FROM feature_ingest "
	    "WHERE view = ? AND view_version = ? AND replaced_by IS NULL AND "
	    "coalesce(seq, id) BETWEEN ? AND ?", err)) < 0)
		goto fail;
	sqlite3_bind_text(q, 1, c->view->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, bs->version);
	sqlite3_bind_int64(q, 3, lo);
	sqlite3_bind_int64(q, 4, hi);
	if ((rc = count_is(db, &q, c, err)) < 0)
		goto fail;
	mlp_buf_addf(&sql, "SELECT count(*) FROM feature_ingest WHERE id IN "
	    "(%s) AND replaced_by IS NULL", ids.s);
	if ((rc = mlp_db_prepare(db, &q, sql.s, err)) < 0 ||
	    (rc = count_is(db, &q, c, err)) < 0)
		goto fail;
	if ((rc = mlp_db_prepare(db, &q, "INSERT INTO feature_ingest (source, "
	    "view, view_version, digest, bits, rows, min_event_ts, "
	    "max_event_ts, path, user, created, seq) VALUES (?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?)", err)) < 0)
		goto fail;
	sqlite3_bind_text(q, 1, c->view->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, c->view->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, bs->version);
	sqlite3_bind_text(q, 4, res->digest, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, (int)c->bits);
	sqlite3_bind_int64(q, 6, (int64_t)res->rows);
	sqlite3_bind_int64(q, 7, res->min_ts);
	sqlite3_bind_int64(q, 8, res->max_ts);
	sqlite3_bind_text(q, 9, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 10, user ? user : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 11, mlp_now_ms());
	sqlite3_bind_int64(q, 12, hi);
	if ((rc = mlp_db_step(db, q, "cannot record the compaction",
	    err)) < 0)
		goto fail;
	id = sqlite3_last_insert_rowid(db->h);
	sqlite3_finalize(q);
	q = NULL;
	if ((rc = mlp_db_prepare(db, &q, "INSERT INTO feature_segment "
	    "(ingest, partition, oid, rows, size) VALUES (?, ?, ?, ?, ?)",
	    err)) < 0)
		goto fail;
	for (size_t s = 0; s < c->nsegs; s++) {
		char hex[MLP_OID_HEXSZ + 1];

		mlp_oid_fmt(&c->segs[s].oid, hex);
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, c->segs[s].part);
		sqlite3_bind_text(q, 3, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 4, (int64_t)c->segs[s].rows);
		sqlite3_bind_int64(q, 5, (int64_t)c->segs[s].size);
		if ((rc = mlp_db_step(db, q, "cannot record a segment",
		    err)) < 0)
			goto fail;
	}
	sqlite3_finalize(q);
	q = NULL;
	/* the batches merged, and those they had replaced, now point at
	 * the one batch holding their rows; their segments go to gc */
	mlp_buf_reset(&sql);
	mlp_buf_addf(&sql, "UPDATE feature_ingest SET replaced_by = %lld "
	    "WHERE id IN (%s) OR replaced_by IN (%s); DELETE FROM "
	    "feature_segment WHERE ingest IN (%s)", (long long)id, ids.s,
	    ids.s, ids.s);
	if ((rc = mlp_db_exec(db, sql.s, err)) < 0)
		goto fail;
	if ((rc = mlp_db_commit(db, err)) < 0)
		goto out;
	res->id = id;
	goto out;
fail:
	sqlite3_finalize(q);
	q = NULL;
	mlp_db_rollback(db);
out:
	sqlite3_finalize(q);
	mlp_buf_release(&ids);
	mlp_buf_release(&sql);
	free(path);
	return rc;
}

static void
compact_release(struct compact *c)
{
	for (size_t i = 0; i < c->nb; i++) {
		if (c->b[i].open >= 0)
			fseg_close(&c->b[i].seg);
		free(c->b[i].col);
	}
	free(c->b);
	for (size_t j = 0; j < c->ncols; j++)
		free(c->names[j]);
	free(c->names);
	free(c->types);
	fkeys_release(&c->keys);
	frows_release(&c->rows);
	free(c->runs);
	free(c->segs);
}

int
mlp_fcompact(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const char *name, int how,
    const char *user, struct mlp_fcompact_view *res, struct mlp_err *err)
{
	const struct mlp_fview *view;
	struct fbatches bs;
	struct compact c;
	struct mlp_put_stats ps = { 0 };
	uint64_t *rows = NULL, total = 0;
	size_t from;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	memset(&bs, 0, sizeof(bs));
	if ((rc = fonline_view(spec, name, &view, err)) < 0)
		return rc;
	res->view = view->name;
	res->min_ts = INT64_MAX;
	res->max_ts = INT64_MIN;
	if ((rc = fbatches_load(db, view->name, &bs, err)) < 0)
		return rc;
	res->version = bs.version;
	res->before = res->after = bs.n;
	if (bs.version == 0)
		return mlp_err_set(err, MLP_ENOTFOUND, "feature view '%s' has "
		    "no ingested data", view->name);
	rows = xcalloc(bs.n + 1, sizeof(*rows));
	for (size_t i = 0; i < bs.n; i++)
		rows[i] = bs.b[i].rows;
	from = how == MLP_FCOMPACT_AUTO ? mlp_fcompact_pick(rows, bs.n) : 0;
	if (bs.n - from < 2)
		goto out;
	c.view = view;
	c.st = st;
	c.nb = bs.n - from;
	c.b = xcalloc(c.nb, sizeof(*c.b));
	c.runs = xcalloc(c.nb, sizeof(*c.runs));
	for (size_t i = 0; i < c.nb; i++) {
		const struct fbatch *fb = &bs.b[from + i];

		c.b[i].fb = fb;
		c.b[i].open = -1;
		total += fb->rows;
		if (fb->bits > c.bits)
			c.bits = fb->bits;
	}
	if (fingest_bits(total) > c.bits)
		c.bits = fingest_bits(total);
	c.res = res;
	for (uint64_t p = 0; p < (UINT64_C(1) << c.bits); p++)
		if ((rc = partition(&c, (uint32_t)p, &ps, err)) < 0)
			goto out;
	res->partitions = 1u << c.bits;
	res->segments = c.nsegs;
	res->merged = c.nb;
	res->objects_written = ps.objects_written;
	if ((rc = digest(&c, res->digest, err)) < 0 ||
	    (rc = record(db, &c, &bs, user, err)) < 0)
		goto out;
	res->after = bs.n - c.nb + 1;
out:
	if (rc < 0)
		mlp_err_prefix(err, "feature view '%s'", view->name);
	if (!res->id) {
		res->merged = 0;
		res->rows = res->bytes = 0;
		res->min_ts = res->max_ts = 0;
	}
	free(rows);
	compact_release(&c);
	fbatches_release(&bs);
	return rc;
}
