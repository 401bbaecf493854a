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

/* A batch of the view: its segments by partition, and the one open. */
struct mbatch {
	int64_t id;
	unsigned bits;
	struct mseg {
		uint32_t part;
		struct mlp_oid oid;
	} *segs;
	size_t nsegs;
	struct fseg seg;
	long open;		/* the partition open in seg, -1: none */
	int *fcol, *icol;	/* seg's column of each feature, input */
	uint64_t k, kend;	/* keys of the partition being read */
};

struct mat {
	const struct mlp_fview *view;
	const struct mlp_fentity *ent;
	struct frec_schema sc;
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
	/* the merge of one entity's runs */
	uint64_t *ra, *rn;	/* per batch: first row, rows (0: none) */
	uint64_t *pos, *pend;
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
	sqlite3_stmt *q = NULL, *s = NULL;
	int rc;

	*version = 0;
	if ((rc = mlp_db_prepare(db, &q, "SELECT max(view_version) FROM "
	    "feature_ingest WHERE view = ?", err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, m->view->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		*version = sqlite3_column_int64(q, 0);
	else if (rc != SQLITE_ROW) {
		rc = mlp_db_error(db, err, "cannot read feature batches");
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	rc = 0;
	if (*version == 0)
		goto out;
	if ((rc = mlp_db_prepare(db, &q, "SELECT id, bits FROM feature_ingest "
	    "WHERE view = ? AND view_version = ? ORDER BY id", err)) < 0 ||
	    (rc = mlp_db_prepare(db, &s, "SELECT partition, oid FROM "
	    "feature_segment WHERE ingest = ? ORDER BY partition", err)) < 0)
		goto out;
	sqlite3_bind_text(q, 1, m->view->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, *version);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct mbatch *b;
		int bits = sqlite3_column_int(q, 1);

		m->b = xrealloc(m->b, (m->nb + 1) * sizeof(*m->b));
		b = &m->b[m->nb++];
		memset(b, 0, sizeof(*b));
		b->open = -1;
		b->id = sqlite3_column_int64(q, 0);
		b->fcol = xcalloc(m->sc.nfeat + 1, sizeof(*b->fcol));
		b->icol = xcalloc(m->sc.nin + 1, sizeof(*b->icol));
		if (bits < 0 || bits > FSEG_MAX_BITS) {
			rc = mlp_err_set(err, MLP_ECORRUPT, "feature batch %lld "
			    "has %d partition bits", (long long)b->id, bits);
			goto out;
		}
		b->bits = (unsigned)bits;
		if (b->bits > m->bits)
			m->bits = b->bits;
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, b->id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct mseg *g;

			b->segs = xrealloc(b->segs, (b->nsegs + 1) *
			    sizeof(*b->segs));
			g = &b->segs[b->nsegs++];
			g->part = (uint32_t)sqlite3_column_int64(s, 0);
			if (mlp_oid_parse(mlp_db_text(s, 1), &g->oid, err) < 0) {
				mlp_err_prefix(err, "feature batch %lld",
				    (long long)b->id);
				rc = MLP_ECORRUPT;
				goto out;
			}
		}
		if (rc != SQLITE_DONE) {
			rc = mlp_db_error(db, err, "cannot read feature segments");
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read feature batches");
out:
	sqlite3_finalize(q);
	sqlite3_finalize(s);
	return rc;
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
 * the next partitions are in it) and finds the keys of part in it. */
static int
open_part(struct mat *m, struct mbatch *b, uint32_t part,
    struct mlp_err *err)
{
	uint32_t bp = part >> (m->bits - b->bits);
	size_t lo = 0, hi = b->nsegs;
	const struct fseg *s;
	int rc;

	b->k = b->kend = 0;
	if (b->open != (long)bp) {
		if (b->open >= 0)
			fseg_close(&b->seg);
		b->open = -1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (b->segs[mid].part < bp)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == b->nsegs || b->segs[lo].part != bp)
			return 0;
		if ((rc = fseg_open(&b->seg, m->st, &b->segs[lo].oid,
		    err)) < 0)
			return rc;
		b->open = bp;
		if (b->seg.part_bits != b->bits || b->seg.partition != bp)
			return mlp_err_set(err, MLP_ECORRUPT, "feature batch "
			    "%lld: a segment of partition %u/%u holds "
			    "partition %u/%u", (long long)b->id, bp,
			    1u << b->bits, b->seg.partition,
			    1u << b->seg.part_bits);
		if ((rc = map_columns(m, b, err)) < 0)
			return rc;
	}
	s = &b->seg;
	/* the keys of part: a range of the hash order */
	lo = 0;
	hi = s->nkeys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mlp_fkey_partition(s->key_hash[mid], m->bits) < part)
			lo = mid + 1;
		else
			hi = mid;
	}
	b->k = lo;
	hi = s->nkeys;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mlp_fkey_partition(s->key_hash[mid], m->bits) <= part)
			lo = mid + 1;
		else
			hi = mid;
	}
	b->kend = lo;
	return 0;
}

static int64_t
cts_at(const struct fseg *s, uint64_t i)
{
	return s->cts ? s->cts[i] : MLP_TS_NONE;
}


/* -1, 0, 1 as batch a's current key is before, equal to or after b's. */
static int
key_cmp(const struct mbatch *a, const struct mbatch *b)
{
	const struct fseg *x = &a->seg, *y = &b->seg;
	uint64_t hx = x->key_hash[a->k], hy = y->key_hash[b->k];
	size_t nx, ny, n;
	int c;

	if (hx != hy)
		return hx < hy ? -1 : 1;
	nx = (size_t)(x->key_off[a->k + 1] - x->key_off[a->k]);
	ny = (size_t)(y->key_off[b->k + 1] - y->key_off[b->k]);
	n = nx < ny ? nx : ny;
	if ((c = memcmp(x->key_heap + x->key_off[a->k], y->key_heap +
	    y->key_off[b->k], n)) != 0)
		return c < 0 ? -1 : 1;
	return nx < ny ? -1 : nx > ny;
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

/* The record of the entity whose runs are the batches in eq[0..neq):
 * the latest row at or before end (from start on), and the events of
 * the longest window ending at end, merged as dataset merges them. */
static int
entity(struct mat *m, const size_t *eq, size_t neq, struct mlp_err *err)
{
	const struct mbatch *best = NULL;
	struct frec *r = &m->rec;
	struct mlp_online_rec *o;
	uint64_t bi = 0;
	const struct fseg *ks;
	size_t live = 0;

	frec_reset(r, &m->sc);
	for (size_t j = 0; j < neq; j++) {
		const struct mbatch *b = &m->b[eq[j]];
		const struct fseg *s = &b->seg;
		uint64_t a = s->key_start[b->k], n = s->key_start[b->k + 1] - a;
		long i;

		m->res->rows += n;
		m->ra[j] = a;
		m->rn[j] = n;
		i = mlp_fpit_pick(s->ets + a, s->cts ? s->cts + a : NULL,
		    (size_t)n, m->end, 0, 0);
		if (i < 0)
			continue;
		/* a later batch wins a tie, as dataset's join has it */
		if (!best || mlp_fpit_supersedes(s->ets[a + (uint64_t)i],
		    cts_at(s, a + (uint64_t)i), best->seg.ets[bi],
		    cts_at(&best->seg, bi))) {
			best = b;
			bi = a + (uint64_t)i;
		}
	}
	if (!best)
		return 0;
	if (m->start == MLP_TS_NONE || best->seg.ets[bi] >= m->start) {
		r->has_row = 1;
		r->row_ets = best->seg.ets[bi];
		r->row_cts = cts_at(&best->seg, bi);
		for (size_t i = 0; i < m->sc.nfeat; i++)
			row_value(&r->row[i], &best->seg.cols[best->fcol[i]], bi);
	}
	if (m->sc.longest > 0) {
		/* the events of the longest window ending at the newest event
		 * at or before end, not at end: a read at any time from that
		 * event on then sees every event its windows hold */
		int64_t newest = MLP_TS_NONE;

		for (size_t j = 0; j < neq; j++) {
			const struct fseg *s = &m->b[eq[j]].seg;
			size_t lo = 0, hi = 0;

			if (m->rn[j])
				mlp_fpit_window(s->ets + m->ra[j],
				    (size_t)m->rn[j], m->end, INT64_MAX, &lo,
				    &hi);
			if (hi && s->ets[m->ra[j] + hi - 1] > newest)
				newest = s->ets[m->ra[j] + hi - 1];
		}
		if (newest == MLP_TS_NONE)
			newest = m->end;
		if (__builtin_sub_overflow(newest, m->sc.longest, &r->horizon))
			r->horizon = MLP_TS_NONE;
		for (size_t j = 0; j < neq; j++) {
			const struct fseg *s = &m->b[eq[j]].seg;
			size_t lo = 0, hi = 0;

			if (m->rn[j])
				mlp_fpit_window(s->ets + m->ra[j],
				    (size_t)m->rn[j], newest, m->sc.longest,
				    &lo, &hi);
			m->pos[j] = m->ra[j] + lo;
			m->pend[j] = m->ra[j] + hi;
			if (lo < hi)
				live++;
		}
		while (live) {
			size_t b = neq;
			const struct mbatch *mb;
			uint64_t i;

			/* the run whose next row comes first; an earlier
			 * batch first on a tie */
			for (size_t x = 0; x < neq; x++) {
				const struct fseg *sx = &m->b[eq[x]].seg, *sb;

				if (m->pos[x] >= m->pend[x])
					continue;
				if (b == neq) {
					b = x;
					continue;
				}
				sb = &m->b[eq[b]].seg;
				if (sx->ets[m->pos[x]] < sb->ets[m->pos[b]] ||
				    (sx->ets[m->pos[x]] == sb->ets[m->pos[b]] &&
				    cts_at(sx, m->pos[x]) < cts_at(sb,
				    m->pos[b])))
					b = x;
			}
			mb = &m->b[eq[b]];
			i = m->pos[b]++;
			if (m->pos[b] == m->pend[b])
				live--;
			for (size_t k = 0; k < m->sc.nin; k++) {
				const struct fseg_col *c =
				    &mb->seg.cols[mb->icol[k]];

				m->xnull[k] = c->has_nulls &&
				    fseg_is_null(c->nulls, i);
				m->x[k] = m->xnull[k] ? 0.0 : fseg_num_at(c, i);
			}
			frec_insert(r, &m->sc, mb->seg.ets[i],
			    cts_at(&mb->seg, i), m->x, m->xnull);
		}
	}
	if (!r->has_row && !r->nev)
		return 0;
	m->res->events += r->nev;
	o = &m->recs[m->nrecs];
	memset(o, 0, sizeof(*o));
	o->view = m->view->name;
	o->event_ts = best->seg.ets[bi];
	o->created_ts = cts_at(&best->seg, bi);
	o->ttl = fonline_keep(&m->sc);
	ks = &m->b[eq[0]].seg;
	m->koff[m->nrecs] = m->buf.len;
	fonline_key(&m->buf, m->ent->name, ks->key_heap +
	    ks->key_off[m->b[eq[0]].k], (size_t)(ks->key_off[m->b[eq[0]].k +
	    1] - ks->key_off[m->b[eq[0]].k]));
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
partition(struct mat *m, uint32_t part, size_t *eq, struct mlp_err *err)
{
	int rc;

	for (size_t b = 0; b < m->nb; b++)
		if ((rc = open_part(m, &m->b[b], part, err)) < 0)
			return rc;
	for (;;) {
		size_t neq = 0;

		for (size_t b = 0; b < m->nb; b++) {
			int c;

			if (m->b[b].k >= m->b[b].kend)
				continue;
			c = neq ? key_cmp(&m->b[b], &m->b[eq[0]]) : -1;
			if (c < 0)
				neq = 0;
			if (c <= 0)
				eq[neq++] = b;
		}
		if (!neq)
			return 0;
		if ((rc = entity(m, eq, neq, err)) < 0)
			return rc;
		for (size_t j = 0; j < neq; j++)
			m->b[eq[j]].k++;
	}
}

static void
mat_release(struct mat *m)
{
	for (size_t b = 0; b < m->nb; b++) {
		if (m->b[b].open >= 0)
			fseg_close(&m->b[b].seg);
		free(m->b[b].segs);
		free(m->b[b].fcol);
		free(m->b[b].icol);
	}
	free(m->b);
	frec_schema_release(&m->sc);
	frec_release(&m->rec);
	free(m->recs);
	free(m->koff);
	free(m->voff);
	mlp_buf_release(&m->buf);
	free(m->ra);
	free(m->rn);
	free(m->pos);
	free(m->pend);
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
	size_t *eq = NULL;
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
	m.ra = xcalloc(m.nb + 1, sizeof(*m.ra));
	m.rn = xcalloc(m.nb + 1, sizeof(*m.rn));
	m.pos = xcalloc(m.nb + 1, sizeof(*m.pos));
	m.pend = xcalloc(m.nb + 1, sizeof(*m.pend));
	m.x = xcalloc(m.sc.nin + 1, sizeof(*m.x));
	m.xnull = xcalloc(m.sc.nin + 1, sizeof(*m.xnull));
	eq = xcalloc(m.nb + 1, sizeof(*eq));
	nparts = UINT64_C(1) << m.bits;
	for (uint64_t p = 0; p < nparts; p++) {
		if ((rc = partition(&m, (uint32_t)p, eq, err)) < 0) {
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
	free(eq);
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
