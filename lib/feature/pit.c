/* The point-in-time rules (feature.h says them) and the join of one
 * partition of spine rows against a view's segments. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
mlp_fpit_visible(int64_t ets, int64_t cts, int64_t t, int filter_created)
{
	return ets <= t && (!filter_created || cts == MLP_TS_NONE || cts <= t);
}

int
mlp_fpit_fresh(int64_t ets, int64_t t, int64_t ttl)
{
	int64_t lo;

	if (ttl <= 0 || __builtin_sub_overflow(t, ttl, &lo))
		return 1;
	return ets >= lo;
}

int
mlp_fpit_supersedes(int64_t ets_a, int64_t cts_a, int64_t ets_b,
    int64_t cts_b)
{
	return ets_a > ets_b || (ets_a == ets_b && cts_a >= cts_b);
}

int
mlp_fpit_in_window(int64_t ets, int64_t t, int64_t w)
{
	int64_t lo;

	if (ets > t)
		return 0;
	if (__builtin_sub_overflow(t, w, &lo))
		return 1;
	return ets > lo;
}

/* The first index in ets[0..n) whose time is > t. */
static size_t
upper(const int64_t *ets, size_t n, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ets[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long
mlp_fpit_pick(const int64_t *ets, const int64_t *cts, size_t n, int64_t t,
    int64_t ttl, int filter_created)
{
	size_t i = upper(ets, n, t);

	/* the rows at or before t, the greatest (ets, cts) and of those the
	 * last to arrive at the end */
	while (i > 0) {
		i--;
		if (!mlp_fpit_fresh(ets[i], t, ttl))
			return -1;
		if (!filter_created || !cts ||
		    mlp_fpit_visible(ets[i], cts[i], t, 1))
			return (long)i;
	}
	return -1;
}

void
mlp_fpit_window(const int64_t *ets, size_t n, int64_t t, int64_t w,
    size_t *lo, size_t *hi)
{
	int64_t start;

	*hi = upper(ets, n, t);
	if (__builtin_sub_overflow(t, w, &start))
		*lo = 0;
	else
		*lo = upper(ets, *hi, start);
}

int
fpit_row_cmp(const void *a, const void *b)
{
	const struct fpit_row *x = a, *y = b;
	size_t m;
	int c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	m = x->klen < y->klen ? x->klen : y->klen;
	if ((c = memcmp(x->key, y->key, m)) != 0)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

uint64_t
fpit_add_string(const struct fpit_table *t, const char *s, uint32_t n)
{
	struct mlp_buf *h = &t->heaps[t->heap];
	uint64_t off = h->len;

	mlp_buf_add(h, &n, 4);
	mlp_buf_add(h, s, n);
	return (uint64_t)t->heap << 56 | off;
}

static void
put_value(const struct fpit_table *tab, const struct fpit_out *o,
    uint32_t row, const struct fseg_col *c, uint64_t i)
{
	uint64_t *cell;

	if (c->has_nulls && fseg_is_null(c->nulls, i))
		return;
	fpit_set(tab, row, o->col);
	cell = fpit_cell(tab, row, o->col);
	switch (c->type) {
	case MLP_FT_FLOAT:
	case MLP_FT_INT:
		*cell = ((const uint64_t *)c->values)[i];
		break;
	case MLP_FT_BOOL:
		*cell = ((const uint8_t *)c->values)[i];
		break;
	case MLP_FT_STRING: {
		const uint64_t *so = c->values;

		*cell = fpit_add_string(tab, c->heap + so[i],
		    (uint32_t)(so[i + 1] - so[i]));
		break;
	}
	}
}

static void
put_fval(const struct fpit_table *tab, const struct fpit_out *o,
    uint32_t row, const struct mlp_fval *v)
{
	uint64_t *cell;

	if (v->null)
		return;
	fpit_set(tab, row, o->col);
	cell = fpit_cell(tab, row, o->col);
	if (v->type == MLP_FT_INT)
		*cell = (uint64_t)v->v.i;
	else
		memcpy(cell, &v->v.f, 8);
}

static int64_t
cts_at(const struct fseg *s, uint64_t i)
{
	return s->cts ? s->cts[i] : MLP_TS_NONE;
}

/* What the join of one partition keeps: per segment (batch) its column
 * of each output, the runs of the entity being joined, the merge of
 * their rows. */
struct join {
	const struct fpit_view *v;
	const struct fpit_table *tab;
	const int *cols;	/* segment b's column of output k: at
				 * b * nouts + k */
	struct frun *runs;
	size_t nruns;
	struct frows rows;
};

/* The feature outputs for one spine row: the pick of each run, the best
 * across runs (a later batch wins a tie). */
static void
join_features(struct join *j, const struct fpit_row *r)
{
	const struct fpit_view *v = j->v;
	const struct frun *best = NULL;
	uint64_t bi = 0;

	for (size_t b = 0; b < j->nruns; b++) {
		const struct frun *u = &j->runs[b];
		const struct fseg *s = u->seg;
		long i;

		i = mlp_fpit_pick(s->ets + u->a, s->cts ? s->cts + u->a : NULL,
		    (size_t)u->n, r->t, v->ttl, v->filter_created);
		if (i < 0)
			continue;
		if (!best || mlp_fpit_supersedes(s->ets[u->a + (uint64_t)i],
		    cts_at(s, u->a + (uint64_t)i), best->seg->ets[bi],
		    cts_at(best->seg, bi))) {
			best = u;
			bi = u->a + (uint64_t)i;
		}
	}
	if (!best)
		return;
	for (size_t k = 0; k < v->nouts; k++)
		if (v->outs[k].kind == FPIT_FEATURE)
			put_value(j->tab, &v->outs[k], r->row,
			    &best->seg->cols[j->cols[best->src * v->nouts + k]],
			    bi);
}

/* The accumulator of output k's window over the runs, in (ets, cts,
 * batch, row) order. */
static void
accumulate(struct join *j, size_t k, const struct fpit_row *r,
    struct mlp_fagg_acc *acc)
{
	const struct fpit_view *v = j->v;
	const struct fpit_out *o = &v->outs[k];
	size_t b;
	uint64_t i;

	mlp_fagg_acc_init(acc);
	frows_reset(&j->rows);
	for (b = 0; b < j->nruns; b++) {
		const struct frun *u = &j->runs[b];
		size_t lo, hi;

		mlp_fpit_window(u->seg->ets + u->a, (size_t)u->n, r->t,
		    o->window, &lo, &hi);
		frows_add(&j->rows, u->seg, u->a + lo, u->a + hi, u->src, b);
	}
	while (frows_next(&j->rows, &b, &i)) {
		const struct frun *u = &j->runs[b];
		const struct fseg *s = u->seg;
		const struct fseg_col *c = &s->cols[j->cols[u->src * v->nouts +
		    k]];

		if (v->filter_created && !mlp_fpit_visible(s->ets[i],
		    cts_at(s, i), r->t, 1))
			continue;
		if (c->has_nulls && fseg_is_null(c->nulls, i))
			continue;
		mlp_fagg_acc_add(acc, fseg_num_at(c, i));
	}
}

/* The aggregation outputs for one spine row; outputs over the same column
 * and window share one pass. */
static void
join_aggs(struct join *j, const struct fpit_row *r, const int *share,
    struct mlp_fagg_acc *accs)
{
	const struct fpit_view *v = j->v;

	for (size_t k = 0; k < v->nouts; k++) {
		struct mlp_fval val;

		if (v->outs[k].kind != FPIT_AGG)
			continue;
		if (share[k] == (int)k)
			accumulate(j, k, r, &accs[k]);
		mlp_fagg_acc_value(&accs[share[k]], v->outs[k].op, &val);
		put_fval(j->tab, &v->outs[k], r->row, &val);
	}
}

static int
map_columns(const struct fpit_view *v, struct fseg *const *segs,
    size_t nsegs, int *cols, struct mlp_err *err)
{
	for (size_t b = 0; b < nsegs; b++)
		for (size_t k = 0; k < v->nouts; k++) {
			const struct fpit_out *o = &v->outs[k];
			int j = fseg_col_find(segs[b], o->column);
			enum mlp_ftype t;

			if (j < 0)
				return mlp_err_set(err, MLP_EINVAL, "%s has no "
				    "column '%s'", segs[b]->name, o->column);
			t = segs[b]->cols[j].type;
			if (o->kind == FPIT_FEATURE ? t != o->type :
			    t == MLP_FT_STRING)
				return mlp_err_set(err, MLP_EINVAL, "%s holds "
				    "column '%s' as %s, not %s", segs[b]->name,
				    o->column, mlp_ftype_name(t),
				    o->kind == FPIT_FEATURE ?
				    mlp_ftype_name(o->type) : "a number");
			cols[b * v->nouts + k] = j;
		}
	return 0;
}

int
fpit_join(const struct fpit_view *v, const struct fpit_table *tab,
    struct fseg *const *segs, size_t nsegs, const struct fpit_row *rows,
    size_t n, struct mlp_err *err)
{
	int *cols = NULL, *share = NULL, nfeat = 0, nagg = 0;
	struct mlp_fagg_acc *accs = NULL;
	struct fkeys keys = { 0 };
	struct join j = { 0 };
	int rc;

	cols = xcalloc(nsegs * v->nouts + 1, sizeof(*cols));
	share = xcalloc(v->nouts + 1, sizeof(*share));
	accs = xcalloc(v->nouts + 1, sizeof(*accs));
	j.v = v;
	j.tab = tab;
	j.cols = cols;
	j.runs = xcalloc(nsegs + 1, sizeof(*j.runs));
	if ((rc = map_columns(v, segs, nsegs, cols, err)) < 0)
		goto out;
	for (size_t k = 0; k < v->nouts; k++) {
		const struct fpit_out *o = &v->outs[k];

		share[k] = (int)k;
		if (o->kind == FPIT_FEATURE) {
			nfeat++;
			continue;
		}
		nagg++;
		for (size_t p = 0; p < k; p++)
			if (v->outs[p].kind == FPIT_AGG &&
			    v->outs[p].window == o->window &&
			    strcmp(v->outs[p].column, o->column) == 0) {
				share[k] = (int)p;
				break;
			}
	}
	for (size_t b = 0; b < nsegs; b++)
		fkeys_add(&keys, segs[b], 0, segs[b]->nkeys, b);
	for (size_t g = 0; g < n;) {
		const struct fpit_row *r = &rows[g];
		size_t e = g + 1;

		while (e < n && rows[e].hash == r->hash &&
		    rows[e].klen == r->klen &&
		    memcmp(rows[e].key, r->key, r->klen) == 0)
			e++;
		j.nruns = fkeys_seek(&keys, r->hash, r->key, r->klen, j.runs);
		for (; g < e; g++) {
			if (nfeat && j.nruns)
				join_features(&j, &rows[g]);
			if (nagg)
				join_aggs(&j, &rows[g], share, accs);
		}
	}
out:
	fkeys_release(&keys);
	frows_release(&j.rows);
	free(j.runs);
	free(cols);
	free(share);
	free(accs);
	return rc;
}
