/* mlp feature materialize: each entity's latest row and its aggregation
 * events, read from a view's segments partition by partition with the
 * point-in-time rules of pit.c, written as online records. */
#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "fonline.h"
#include "internal.h"

/* Records put at once, and bytes of their values. */
#define PUT_RECORDS 65536
#define PUT_BYTES ((size_t)16 << 20)

/* A batch of the view: its segment open, and that one's columns. */
struct mbatch {
	const struct fbatch *fb;
	struct fseg seg;
	long open;		/* the segment open in seg, -1: none */
	int *fcol, *icol;	/* seg's column of each feature, input */
};

struct mat {
	const struct mlp_fview *view;
	const struct mlp_fentity *ent;
	struct frec_schema sc;
	struct fbatches bs;
	struct mbatch *b;
	size_t nb;
	unsigned bits;		/* the most of the batches' */
	int64_t start, end;
	struct mlp_online *o;
	struct mlp_store *st;
	struct frec rec;
	/* records waiting to be put: keys and values in buf */
	struct mlp_online_rec *recs;
	size_t *koff, *voff;
	size_t nrecs;
	struct mlp_buf buf;
	struct mlp_fmat_view *res;
	/* the merges of the partition's keys and of one entity's rows */
	struct fkeys keys;
	struct frun *runs;
	struct frows rows;
	double *x;
	uint8_t *xnull;
};

void
mlp_fmat_result_free(struct mlp_fmat_result *r)
{
	if (!r)
		return;
	free(r->views);
	free(r);
}

/* The batches of the view's newest ingested version, as dataset reads
 * them; *version 0 when there are none. */
static int
load_batches(struct mlp_db *db, struct mat *m, int64_t *version,
    struct mlp_err *err)
{
	int rc;

	if ((rc = fbatches_load(db, m->view->name, &m->bs, err)) < 0)
		return rc;
	*version = m->bs.version;
	m->bits = m->bs.bits;
	m->nb = m->bs.n;
	m->b = xcalloc(m->nb + 1, sizeof(*m->b));
	for (size_t i = 0; i < m->nb; i++) {
		m->b[i].fb = &m->bs.b[i];
		m->b[i].open = -1;
		m->b[i].fcol = xcalloc(m->sc.nfeat + 1, sizeof(*m->b[i].fcol));
		m->b[i].icol = xcalloc(m->sc.nin + 1, sizeof(*m->b[i].icol));
	}
	return 0;
}

/* The columns of the view in b's open segment, checked as dataset checks
 * them: a feature of its type, an aggregated column a number. */
static int
map_columns(struct mat *m, struct mbatch *b, struct mlp_err *err)
{
	const struct fseg *s = &b->seg;

	for (size_t i = 0; i < m->sc.nfeat + m->sc.nin; i++) {
		int feat = i < m->sc.nfeat;
		const char *name = feat ? m->view->features[i].name :
		    m->sc.in_names[i - m->sc.nfeat];
		enum mlp_ftype want = feat ? m->view->features[i].type :
		    MLP_FT_FLOAT;
		int j = fseg_col_find(s, name);

		if (j < 0)
			return mlp_err_set(err, MLP_EINVAL, "%s has no column "
			    "'%s'", s->name, name);
		if (feat ? s->cols[j].type != want :
		    s->cols[j].type == MLP_FT_STRING)
			return mlp_err_set(err, MLP_EINVAL, "%s holds column "
			    "'%s' as %s, not %s", s->name, name,
			    mlp_ftype_name(s->cols[j].type), feat ?
			    mlp_ftype_name(want) : "a number");
		if (feat)
			b->fcol[i] = j;
		else
			b->icol[i - m->sc.nfeat] = j;
	}
	return 0;
}

/* Opens b's segment holding partition part of 2^m->bits (kept open while
 * the next partitions are in it) and adds the keys of part in it to the
 * merge, as batch src. */
static int
open_part(struct mat *m, struct mbatch *b, size_t src, uint32_t part,
    struct mlp_err *err)
{
	long i = fbatch_seg_of(b->fb, m->bits, part);
	uint64_t k, kend;
	int rc;

	if (i < 0)
		return 0;
	if (b->open != i) {
		if (b->open >= 0)
			fseg_close(&b->seg);
		b->open = -1;
		if ((rc = fbatch_open(b->fb, i, m->st, &b->seg, err)) < 0)
			return rc;
		b->open = i;
		if ((rc = map_columns(m, b, err)) < 0)
			return rc;
	}
	fseg_part_keys(&b->seg, m->bits, part, &k, &kend);
	fkeys_add(&m->keys, &b->seg, k, kend, src);
	return 0;
}

static int64_t
cts_at(const struct fseg *s, uint64_t i)
{
	return s->cts ? s->cts[i] : MLP_TS_NONE;
}


static void
row_value(struct mlp_fval *v, const struct fseg_col *c, uint64_t i)
{
	v->null = c->has_nulls && fseg_is_null(c->nulls, i);
	if (v->null)
		return;
	switch (c->type) {
	case MLP_FT_FLOAT:
		v->v.f = ((const double *)c->values)[i];
		break;
	case MLP_FT_INT:
		v->v.i = ((const int64_t *)c->values)[i];
		break;
	case MLP_FT_BOOL:
		v->v.b = ((const uint8_t *)c->values)[i];
		break;
	case MLP_FT_STRING: {
		const uint64_t *so = c->values;

		v->v.str.s = c->heap + so[i];
		v->v.str.n = (size_t)(so[i + 1] - so[i]);
		break;
	}
	}
}

static int
flush_recs(struct mat *m, struct mlp_err *err)
{
	size_t w = 0;
	int rc;

	for (size_t i = 0; i < m->nrecs; i++) {
		m->recs[i].key.s = m->buf.s + m->koff[i];
		m->recs[i].value = m->buf.s + m->voff[i];
	}
	rc = mlp_online_put(m->o, m->recs, m->nrecs, &w, err);
	if (rc == 0) {
		m->res->entities += m->nrecs;
		m->res->written += w;
	}
	m->nrecs = 0;
	mlp_buf_reset(&m->buf);
	return rc;
}

/* The record of the entity whose runs are m->runs[0..nruns): the latest
 * row at or before end (from start on), and the events of the longest
 * window ending at end, merged as dataset merges them. */
static int
entity(struct mat *m, size_t nruns, struct mlp_err *err)
{
	const struct frun *best = NULL, *ku = &m->runs[0];
	const struct fseg *ks = ku->seg;
	struct frec *r = &m->rec;
	struct mlp_online_rec *o;
	uint64_t bi = 0;

	frec_reset(r, &m->sc);
	for (size_t j = 0; j < nruns; j++) {
		const struct frun *u = &m->runs[j];
		const struct fseg *s = u->seg;
		long i;

		m->res->rows += u->n;
		i = mlp_fpit_pick(s->ets + u->a, s->cts ? s->cts + u->a : NULL,
		    (size_t)u->n, m->end, 0, 0);
		if (i < 0)
			continue;
		/* a later batch wins a tie, as dataset's join has it */
		if (!best || mlp_fpit_supersedes(s->ets[u->a + (uint64_t)i],
		    cts_at(s, u->a + (uint64_t)i), best->seg->ets[bi],
		    cts_at(best->seg, bi))) {
			best = u;
			bi = u->a + (uint64_t)i;
		}
	}
	if (!best)
		return 0;
	if (m->start == MLP_TS_NONE || best->seg->ets[bi] >= m->start) {
		const struct mbatch *bb = &m->b[best->src];

		r->has_row = 1;
		r->row_ets = best->seg->ets[bi];
		r->row_cts = cts_at(best->seg, bi);
		for (size_t i = 0; i < m->sc.nfeat; i++)
			row_value(&r->row[i],
			    &best->seg->cols[bb->fcol[i]], bi);
	}
	if (m->sc.longest > 0) {
		/* the events of the longest window ending at the newest event
		 * at or before end, not at end: a read at any time from that
		 * event on then sees every event its windows hold */
		int64_t newest = MLP_TS_NONE;
		size_t j;
		uint64_t i;

		for (j = 0; j < nruns; j++) {
			const struct frun *u = &m->runs[j];
			size_t lo, hi;

			mlp_fpit_window(u->seg->ets + u->a, (size_t)u->n,
			    m->end, INT64_MAX, &lo, &hi);
			if (hi && u->seg->ets[u->a + hi - 1] > newest)
				newest = u->seg->ets[u->a + hi - 1];
		}
		if (newest == MLP_TS_NONE)
			newest = m->end;
		if (__builtin_sub_overflow(newest, m->sc.longest, &r->horizon))
			r->horizon = MLP_TS_NONE;
		frows_reset(&m->rows);
		for (j = 0; j < nruns; j++) {
			const struct frun *u = &m->runs[j];
			size_t lo, hi;

			mlp_fpit_window(u->seg->ets + u->a, (size_t)u->n,
			    newest, m->sc.longest, &lo, &hi);
			frows_add(&m->rows, u->seg, u->a + lo, u->a + hi,
			    u->src, j);
		}
		while (frows_next(&m->rows, &j, &i)) {
			const struct frun *u = &m->runs[j];
			const struct mbatch *mb = &m->b[u->src];

			for (size_t k = 0; k < m->sc.nin; k++) {
				const struct fseg_col *c =
				    &u->seg->cols[mb->icol[k]];

				m->xnull[k] = c->has_nulls &&
				    fseg_is_null(c->nulls, i);
				m->x[k] = m->xnull[k] ? 0.0 : fseg_num_at(c, i);
			}
			frec_insert(r, &m->sc, u->seg->ets[i],
			    cts_at(u->seg, i), m->x, m->xnull);
		}
	}
	if (!r->has_row && !r->nev)
		return 0;
	m->res->events += r->nev;
	o = &m->recs[m->nrecs];
	memset(o, 0, sizeof(*o));
	o->view = m->view->name;
	o->event_ts = best->seg->ets[bi];
	o->created_ts = cts_at(best->seg, bi);
	o->ttl = fonline_keep(&m->sc);
	m->koff[m->nrecs] = m->buf.len;
	fonline_key(&m->buf, m->ent->name, ks->key_heap + ks->key_off[ku->k],
	    (size_t)(ks->key_off[ku->k + 1] - ks->key_off[ku->k]));
	o->key.n = m->buf.len - m->koff[m->nrecs];
	m->voff[m->nrecs] = m->buf.len;
	frec_encode(&m->sc, r, &m->buf);
	o->vlen = m->buf.len - m->voff[m->nrecs];
	if (++m->nrecs == PUT_RECORDS || m->buf.len >= PUT_BYTES)
		return flush_recs(m, err);
	return 0;
}

/* Every entity of partition part, in key order across the batches. */
static int
partition(struct mat *m, uint32_t part, struct mlp_err *err)
{
	size_t n;
	int rc;

	fkeys_reset(&m->keys);
	for (size_t b = 0; b < m->nb; b++)
		if ((rc = open_part(m, &m->b[b], b, part, err)) < 0)
			return rc;
	while ((n = fkeys_next(&m->keys, m->runs)) > 0) {
		if ((rc = entity(m, n, err)) < 0)
			return rc;
	}
	return 0;
}

static void
mat_release(struct mat *m)
{
	for (size_t b = 0; b < m->nb; b++) {
		if (m->b[b].open >= 0)
			fseg_close(&m->b[b].seg);
		free(m->b[b].fcol);
		free(m->b[b].icol);
	}
	free(m->b);
	fbatches_release(&m->bs);
	frec_schema_release(&m->sc);
	frec_release(&m->rec);
	free(m->recs);
	free(m->koff);
	free(m->voff);
	mlp_buf_release(&m->buf);
	fkeys_release(&m->keys);
	frows_release(&m->rows);
	free(m->runs);
	free(m->x);
	free(m->xnull);
}

/* The latest end view was materialized to at version into online, or
 * MLP_TS_NONE. */
static int
last_end(struct mlp_db *db, const char *view, int64_t version,
    const char *online, int64_t *end, struct mlp_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc;

	*end = MLP_TS_NONE;
	if ((rc = mlp_db_prepare(db, &q, "SELECT max(end_ts) FROM "
	    "feature_materialization WHERE view = ? AND view_version = ? AND "
	    "online = ?", err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, view, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	sqlite3_bind_text(q, 3, online, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		*end = sqlite3_column_int64(q, 0);
	rc = rc == SQLITE_ROW ? 0 : mlp_db_error(db, err,
	    "cannot read materializations");
	sqlite3_finalize(q);
	return rc;
}

static int
record(struct mlp_db *db, const struct mlp_fmat_opts *opts,
    const struct mlp_fmat_view *v, struct mlp_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &q, "INSERT INTO feature_materialization "
	    "(view, view_version, online, start_ts, end_ts, entities, written, "
	    "user, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, v->view, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, v->version);
	sqlite3_bind_text(q, 3, opts->online ? opts->online : "", -1,
	    SQLITE_STATIC);
	if (v->start == MLP_TS_NONE)
		sqlite3_bind_null(q, 4);
	else
		sqlite3_bind_int64(q, 4, v->start);
	sqlite3_bind_int64(q, 5, v->end);
	sqlite3_bind_int64(q, 6, (int64_t)v->entities);
	sqlite3_bind_int64(q, 7, (int64_t)v->written);
	sqlite3_bind_text(q, 8, opts->user ? opts->user : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, mlp_now_ms());
	rc = mlp_db_step(db, q, "cannot record the materialization", err);
	sqlite3_finalize(q);
	return rc;
}

/* Materializes one view into res. */
static int
view_one(struct mlp_db *db, struct mlp_store *st, struct mlp_online *o,
    const struct mlp_fspec *spec, const struct mlp_fmat_opts *opts,
    const struct mlp_fview *v, int named, struct mlp_fmat_view *res,
    struct mlp_err *err)
{
	struct mat m;
	double t0 = mlp_mono();
	uint64_t nparts;
	int64_t version = 0;
	int rc;

	memset(&m, 0, sizeof(m));
	frec_init(&m.rec);
	res->view = v->name;
	m.view = v;
	m.o = o;
	m.st = st;
	m.res = res;
	m.end = opts->end;
	if (!(m.ent = mlp_fspec_entity(spec, v->entity))) {
		rc = mlp_err_set(err, MLP_EINVAL, "feature view '%s' names the "
		    "unknown entity '%s'", v->name, v->entity);
		goto out;
	}
	if ((rc = frec_schema_init(&m.sc, v, err)) < 0 ||
	    (rc = load_batches(db, &m, &version, err)) < 0)
		goto out;
	res->version = version;
	res->end = opts->end;
	res->start = opts->start;
	if (version == 0) {
		if (named) {
			rc = mlp_err_set(err, MLP_ENOTFOUND, "feature view "
			    "'%s' has no ingested data", v->name);
			goto out;
		}
		res->skipped = 1;
		goto out;
	}
	if (opts->incremental) {
		int64_t last;

		if ((rc = last_end(db, v->name, version, opts->online ?
		    opts->online : "", &last, err)) < 0)
			goto out;
		if (last != MLP_TS_NONE)
			res->start = last;
		else if (v->ttl > 0 && !__builtin_sub_overflow(opts->end,
		    v->ttl, &res->start))
			;
		else
			res->start = MLP_TS_NONE;
		if (last != MLP_TS_NONE && last >= opts->end) {
			res->skipped = 2;
			goto out;
		}
	}
	if (res->start != MLP_TS_NONE && res->start > res->end) {
		rc = mlp_err_set(err, MLP_EINVAL, "feature view '%s': the start "
		    "is after the end", v->name);
		goto out;
	}
	m.start = res->start;
	m.recs = xcalloc(PUT_RECORDS, sizeof(*m.recs));
	m.koff = xcalloc(PUT_RECORDS, sizeof(*m.koff));
	m.voff = xcalloc(PUT_RECORDS, sizeof(*m.voff));
	m.runs = xcalloc(m.nb + 1, sizeof(*m.runs));
	m.x = xcalloc(m.sc.nin + 1, sizeof(*m.x));
	m.xnull = xcalloc(m.sc.nin + 1, sizeof(*m.xnull));
	nparts = UINT64_C(1) << m.bits;
	for (uint64_t p = 0; p < nparts; p++) {
		if ((rc = partition(&m, (uint32_t)p, err)) < 0) {
			mlp_err_prefix(err, "feature view '%s'", v->name);
			goto out;
		}
		if (opts->progress)
			opts->progress(opts->progress_ud, v->name, p + 1,
			    nparts);
	}
	if (m.nrecs && (rc = flush_recs(&m, err)) < 0)
		goto out;
	rc = record(db, opts, res, err);
out:
	res->seconds = mlp_mono() - t0;
	mat_release(&m);
	return rc;
}

int
mlp_fmaterialize(struct mlp_db *db, struct mlp_store *st,
    struct mlp_online *o, const struct mlp_fspec *spec,
    const struct mlp_fmat_opts *opts, struct mlp_fmat_result **out,
    struct mlp_err *err)
{
	struct mlp_fmat_result *r = xcalloc(1, sizeof(*r));
	const struct mlp_fview **views;
	size_t n = opts->nviews ? opts->nviews : spec->nviews;
	int rc = 0;

	*out = r;
	views = xcalloc(n + 1, sizeof(*views));
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!opts->nviews)
			views[i] = &spec->views[i];
		else
			rc = fonline_view(spec, opts->views[i], &views[i], err);
	}
	if (rc == 0 && opts->start != MLP_TS_NONE && !opts->incremental &&
	    opts->start > opts->end)
		rc = mlp_err_set(err, MLP_EINVAL, "the start is after the end");
	r->views = xcalloc(n + 1, sizeof(*r->views));
	for (size_t i = 0; i < n && rc == 0; i++) {
		int dup = 0;

		for (size_t j = 0; j < i; j++)
			dup |= views[j] == views[i];
		if (dup)
			continue;
		rc = view_one(db, st, o, spec, opts, views[i],
		    opts->nviews > 0, &r->views[r->nviews], err);
		r->nviews++;
	}
	free(views);
	return rc;
}
