/* mlp feature get and the feature server's reads: feature values of
 * entities from their online records at a time, by the point-in-time
 * rules and aggregations of pit.c and agg.c and the views' compiled
 * derived features. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fonline.h"
#include "internal.h"

/* A view the plan reads. */
struct gview {
	const struct mlp_fview *v;
	const struct mlp_fentity *e;
	struct frec_schema sc;
	size_t *keycol;		/* per join key: the plan's key */
	size_t nout;
	uint8_t *need;		/* per output: computed */
	struct mlp_fderiver *der;	/* NULL: no derived feature needed */
	size_t upto;		/* derived features 0..upto are computed */
};

struct gref {
	size_t view;		/* in the plan's views */
	size_t out;		/* the output's index in its view */
	struct mlp_foutput o;
	char *full;		/* VIEW__FEATURE */
};

struct mlp_fget_plan {
	struct gview *views;
	size_t nviews;
	struct gref *refs;
	size_t nrefs;
	const char **keys;
	enum mlp_ftype *ktypes;
	size_t nkeys;
};

/* What one mlp_fget needs besides the answer; kept in the result so a
 * reused one allocates nothing. */
struct fget_scratch {
	struct mlp_buf kbuf;
	size_t *koff;
	struct mlp_online_key *keys;
	struct mlp_online_rec *recs;
	size_t akeys;
	struct mlp_fval *kv;
	size_t akv;
	struct frec rec;
	struct frec empty;	/* a record without a row or events */
	struct mlp_fval *slots;
	uint8_t *sstat;
	int64_t *sts;
	size_t aslots;
	/* cells holding a string: their offset in res->strs */
	size_t *fix, *fixoff;
	size_t nfix, afix;
	size_t *col;		/* per plan key: the request's column */
	size_t acol;
};

void
mlp_fget_plan_free(struct mlp_fget_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nviews; i++) {
		frec_schema_release(&p->views[i].sc);
		free(p->views[i].keycol);
		free(p->views[i].need);
		mlp_fderiver_free(p->views[i].der);
	}
	free(p->views);
	for (size_t i = 0; i < p->nrefs; i++)
		free(p->refs[i].full);
	free(p->refs);
	free(p->keys);
	free(p->ktypes);
	free(p);
}

/* The plan's view for v, added with its entity's keys when new. */
static int
plan_view(struct mlp_fget_plan *p, const struct mlp_fspec *spec,
    const struct mlp_fview *v, size_t *at, struct mlp_err *err)
{
	struct gview *g;
	int rc;

	for (size_t i = 0; i < p->nviews; i++)
		if (p->views[i].v == v) {
			*at = i;
			return 0;
		}
	p->views = xrealloc(p->views, (p->nviews + 1) * sizeof(*p->views));
	g = &p->views[p->nviews];
	memset(g, 0, sizeof(*g));
	g->v = v;
	if (!(g->e = mlp_fspec_entity(spec, v->entity)))
		return mlp_err_set(err, MLP_EINVAL, "feature view '%s' names "
		    "the unknown entity '%s'", v->name, v->entity);
	if ((rc = frec_schema_init(&g->sc, v, err)) < 0)
		return rc;
	p->nviews++;
	g->nout = mlp_fview_noutputs(v);
	g->need = xcalloc(g->nout + 1, 1);
	g->keycol = xcalloc(g->e->nkeys + 1, sizeof(*g->keycol));
	for (size_t k = 0; k < g->e->nkeys; k++) {
		const char *name = g->e->join_keys[k];
		size_t j = 0;

		while (j < p->nkeys && strcmp(p->keys[j], name) != 0)
			j++;
		if (j < p->nkeys && p->ktypes[j] != g->e->key_types[k])
			return mlp_err_set(err, MLP_EINVAL, "join key '%s' is "
			    "%s %s in entity '%s' and %s %s elsewhere", name,
			    g->e->key_types[k] == MLP_FT_INT ? "an" : "a",
			    mlp_ftype_name(g->e->key_types[k]), g->e->name,
			    p->ktypes[j] == MLP_FT_INT ? "an" : "a",
			    mlp_ftype_name(p->ktypes[j]));
		if (j == p->nkeys) {
			p->keys = xrealloc(p->keys, (j + 1) * sizeof(*p->keys));
			p->ktypes = xrealloc(p->ktypes, (j + 1) *
			    sizeof(*p->ktypes));
			p->keys[j] = name;
			p->ktypes[j] = g->e->key_types[k];
			p->nkeys++;
		}
		g->keycol[k] = j;
	}
	*at = p->nviews - 1;
	return 0;
}

/* Marks what computing v's derived features 0..upto reads. */
static void
need_derived(struct gview *g)
{
	size_t base = g->nout - g->v->nderived;

	for (size_t d = 0; d <= g->upto; d++) {
		const size_t *slots;
		size_t n = mlp_expr_slots_used(mlp_fderiver_expr(g->der, d),
		    &slots);

		for (size_t i = 0; i < n; i++)
			if (slots[i] < g->nout)
				g->need[slots[i]] = 1;
		g->need[base + d] = 1;
	}
}

int
mlp_fget_prepare(const struct mlp_fspec *spec, const char *const *refs,
    size_t nrefs, struct mlp_fget_plan **out, struct mlp_err *err)
{
	struct mlp_fget_plan *p = xcalloc(1, sizeof(*p));
	int rc = 0;

	*out = NULL;
	p->refs = xcalloc(nrefs + 1, sizeof(*p->refs));
	for (size_t i = 0; i < nrefs; i++) {
		struct gref *r = &p->refs[i];
		const struct mlp_fview *v;
		struct gview *g;
		size_t vi = 0;

		if ((rc = mlp_fspec_resolve(spec, refs[i], &v, &r->o,
		    err)) < 0 || (rc = plan_view(p, spec, v, &vi, err)) < 0)
			goto out;
		p->nrefs++;
		r->view = vi;
		r->full = xasprintf("%s__%s", v->name, r->o.name);
		g = &p->views[vi];
		for (size_t j = 0; j < g->nout; j++) {
			struct mlp_foutput o;

			mlp_fview_output(v, j, &o);
			if (strcmp(o.name, r->o.name) == 0)
				r->out = j;
		}
		g->need[r->out] = 1;
		if (r->o.kind == MLP_FOUT_DERIVED) {
			if (!g->der) {
				if ((rc = mlp_fderiver_new(v, &g->der,
				    err)) < 0)
					goto out;
				g->upto = 0;
			}
			if (r->o.index > g->upto)
				g->upto = r->o.index;
		}
	}
	for (size_t i = 0; i < p->nviews; i++)
		if (p->views[i].der)
			need_derived(&p->views[i]);
out:
	if (rc < 0) {
		mlp_fget_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

size_t
mlp_fget_plan_keys(const struct mlp_fget_plan *p, const char *const **names,
    const enum mlp_ftype **types)
{
	if (names)
		*names = p->keys;
	if (types)
		*types = p->ktypes;
	return p->nkeys;
}

size_t
mlp_fget_plan_nrefs(const struct mlp_fget_plan *p)
{
	return p->nrefs;
}

const char *
mlp_fget_plan_name(const struct mlp_fget_plan *p, size_t i, int full)
{
	return full ? p->refs[i].full : p->refs[i].o.name;
}

enum mlp_ftype
mlp_fget_plan_type(const struct mlp_fget_plan *p, size_t i)
{
	return p->refs[i].o.type;
}

/* ---- reading ---- */

void
mlp_fget_res_release(struct mlp_fget_res *res)
{
	struct fget_scratch *s = res->scratch;

	if (s) {
		mlp_buf_release(&s->kbuf);
		free(s->koff);
		free(s->keys);
		free(s->recs);
		free(s->kv);
		frec_release(&s->rec);
		frec_release(&s->empty);
		free(s->slots);
		free(s->sstat);
		free(s->sts);
		free(s->fix);
		free(s->fixoff);
		free(s->col);
		free(s);
	}
	free(res->values);
	free(res->status);
	free(res->event_ts);
	mlp_buf_release(&res->strs);
	memset(res, 0, sizeof(*res));
}

static void
grow(void *pp, size_t *alloc, size_t need, size_t size)
{
	if (need > *alloc) {
		size_t n = *alloc * 2 > need ? *alloc * 2 : need;

		*(void **)pp = xrealloc(*(void **)pp, n * size);
		*alloc = n;
	}
}

/* The request's key values of entity e for view g into s->kv. */
static int
key_values(const struct mlp_fget_plan *p, const struct gview *g,
    const struct mlp_fget_req *req, const struct fget_scratch *s, size_t e,
    struct mlp_err *err)
{
	for (size_t k = 0; k < g->e->nkeys; k++) {
		size_t j = g->keycol[k];
		const struct mlp_fval *v = &req->key_cols[s->col[j]][e];
		struct mlp_fval *o = &s->kv[k];

		*o = *v;
		if (v->null)
			return mlp_err_set(err, MLP_EINVAL, "join key '%s': "
			    "value %zu is null", p->keys[j], e + 1);
		if (p->ktypes[j] == MLP_FT_INT && v->type == MLP_FT_FLOAT &&
		    v->v.f == trunc(v->v.f) && fabs(v->v.f) < 9.2e18) {
			o->type = MLP_FT_INT;
			o->v.i = (int64_t)v->v.f;
		} else if (v->type != p->ktypes[j]) {
			return mlp_err_set(err, MLP_EINVAL, "join key '%s': "
			    "value %zu is %s %s, not %s %s", p->keys[j], e + 1,
			    v->type == MLP_FT_INT ? "an" : "a",
			    mlp_ftype_name(v->type),
			    p->ktypes[j] == MLP_FT_INT ? "an" : "a",
			    mlp_ftype_name(p->ktypes[j]));
		}
	}
	return 0;
}

/* Keeps a string cell's bytes in res (pointers are set at the end, as
 * res->strs may move). */
static void
keep_string(struct mlp_fget_res *res, struct fget_scratch *s, size_t cell)
{
	struct mlp_fval *v = &res->values[cell];

	if (v->null || v->type != MLP_FT_STRING)
		return;
	grow(&s->fix, &s->afix, s->nfix + 1, sizeof(*s->fix));
	s->fixoff = xrealloc(s->fixoff, s->afix * sizeof(*s->fixoff));
	s->fix[s->nfix] = cell;
	s->fixoff[s->nfix++] = res->strs.len;
	mlp_buf_add(&res->strs, v->v.str.s, v->v.str.n);
}

/* The values of g's needed outputs for one entity (rec decoded, or NULL)
 * into s->slots, s->sstat and s->sts. */
static int
compute(const struct gview *g, const struct frec *rec, int64_t at,
    struct fget_scratch *s, struct mlp_err *err)
{
	const struct frec_schema *sc = &g->sc;
	int64_t evts = MLP_TS_NONE, rowts = MLP_TS_NONE, vts;
	int row = 0, found = 1;
	size_t hi_all = 0;
	int rc;

	for (size_t i = 0; i < g->nout; i++) {
		struct mlp_foutput o;

		mlp_fview_output(g->v, i, &o);
		memset(&s->slots[i], 0, sizeof(s->slots[i]));
		s->slots[i].type = o.type;
		s->slots[i].null = 1;
		s->sstat[i] = MLP_FSTATUS_NOT_FOUND;
		s->sts[i] = MLP_TS_NONE;
	}
	if (!rec) {
		/* the values of an entity without events, as dataset has
		 * them (count 0), NOT_FOUND */
		rec = &s->empty;
		found = 0;
	}
	if (rec->has_row && mlp_fpit_visible(rec->row_ets, rec->row_cts, at,
	    0)) {
		row = mlp_fpit_fresh(rec->row_ets, at, g->v->ttl) ? 1 : -1;
		rowts = rec->row_ets;
	}
	if (rec->nev) {
		size_t lo;

		mlp_fpit_window(rec->ets, rec->nev, at, INT64_MAX, &lo, &hi_all);
		if (hi_all)
			evts = rec->ets[hi_all - 1];
	}
	vts = rowts > evts ? rowts : evts;
	for (size_t i = 0; i < g->nout; i++) {
		struct mlp_foutput o;
		struct mlp_fval *v = &s->slots[i];

		if (!g->need[i])
			continue;
		mlp_fview_output(g->v, i, &o);
		if (o.kind == MLP_FOUT_FEATURE) {
			if (row == 0)
				continue;
			s->sts[i] = rowts;
			if (row < 0) {
				s->sstat[i] = MLP_FSTATUS_OUTSIDE_MAX_AGE;
				continue;
			}
			*v = rec->row[o.index];
		} else if (o.kind == MLP_FOUT_AGG) {
			const struct mlp_fagg *a = &g->v->aggs[o.index];
			size_t k = sc->agg_in[o.index], lo = 0, hi = 0;
			struct mlp_fagg_acc acc;

			mlp_fagg_acc_init(&acc);
			if (rec->nev)
				mlp_fpit_window(rec->ets, rec->nev, at,
				    a->windows[o.window], &lo, &hi);
			for (size_t e = lo; e < hi; e++)
				if (!rec->xnull[e * sc->nin + k])
					mlp_fagg_acc_add(&acc,
					    rec->x[e * sc->nin + k]);
			mlp_fagg_acc_value(&acc, a->op, v);
			s->sts[i] = evts;
		} else {
			continue;
		}
		s->sstat[i] = !found ? MLP_FSTATUS_NOT_FOUND : v->null ?
		    MLP_FSTATUS_NULL_VALUE : MLP_FSTATUS_PRESENT;
	}
	if (g->der) {
		size_t base = g->nout - g->v->nderived;

		if ((rc = mlp_fderiver_eval(g->der, s->slots, g->upto,
		    err)) < 0)
			return rc;
		for (size_t d = 0; d <= g->upto; d++) {
			s->sstat[base + d] = !found ? MLP_FSTATUS_NOT_FOUND :
			    s->slots[base + d].null ? MLP_FSTATUS_NULL_VALUE :
			    MLP_FSTATUS_PRESENT;
			s->sts[base + d] = vts;
		}
	}
	return 0;
}

/* One view's values for every entity. */
static int
get_view(struct mlp_online *o, const struct mlp_fget_plan *p, size_t vi,
    const struct mlp_fget_req *req, struct mlp_fget_res *res,
    struct mlp_err *err)
{
	const struct gview *g = &p->views[vi];
	struct fget_scratch *s = res->scratch;
	size_t n = req->n;
	int rc;

	mlp_buf_reset(&s->kbuf);
	grow(&s->kv, &s->akv, g->e->nkeys + 1, sizeof(*s->kv));
	for (size_t e = 0; e < n; e++) {
		size_t start = s->kbuf.len;

		s->koff[e] = start;
		if ((rc = key_values(p, g, req, s, e, err)) < 0)
			return rc;
		mlp_buf_adds(&s->kbuf, g->e->name);
		mlp_buf_addc(&s->kbuf, ':');
		if ((rc = mlp_fkey_canon(s->kv, g->e->nkeys, &s->kbuf,
		    err)) < 0)
			return mlp_err_prefix(err, "entity %zu of '%s'", e + 1,
			    g->e->name);
		s->keys[e].n = s->kbuf.len - start;
	}
	for (size_t e = 0; e < n; e++)
		s->keys[e].s = s->kbuf.s + s->koff[e];
	if ((rc = mlp_online_get(o, g->v->name, s->keys, n, s->recs,
	    err)) < 0)
		return rc;
	grow(&s->slots, &s->aslots, g->nout + 1, sizeof(*s->slots));
	s->sstat = xrealloc(s->sstat, s->aslots);
	s->sts = xrealloc(s->sts, s->aslots * sizeof(*s->sts));
	for (size_t e = 0; e < n; e++) {
		const struct frec *rec = NULL;

		if (s->recs[e].value) {
			if ((rc = frec_decode(&g->sc, s->recs[e].value,
			    s->recs[e].vlen, &s->rec, err)) < 0)
				return rc;
			rec = &s->rec;
		}
		if ((rc = compute(g, rec, req->at, s, err)) < 0)
			return rc;
		for (size_t r = 0; r < p->nrefs; r++) {
			size_t cell = e * p->nrefs + r;

			if (p->refs[r].view != vi)
				continue;
			res->values[cell] = s->slots[p->refs[r].out];
			res->status[cell] = s->sstat[p->refs[r].out];
			res->event_ts[cell] = s->sts[p->refs[r].out];
			keep_string(res, s, cell);
		}
	}
	return 0;
}

int
mlp_fget(struct mlp_online *o, const struct mlp_fget_plan *p,
    const struct mlp_fget_req *req, struct mlp_fget_res *res,
    struct mlp_err *err)
{
	struct fget_scratch *s;
	size_t cells = req->n * p->nrefs;
	int rc = 0;

	if (!res->scratch) {
		res->scratch = xcalloc(1, sizeof(*res->scratch));
		frec_init(&res->scratch->rec);
		frec_init(&res->scratch->empty);
	}
	s = res->scratch;
	if (cells > res->cap) {
		res->values = xrealloc(res->values, cells * sizeof(*res->values));
		res->status = xrealloc(res->status, cells);
		res->event_ts = xrealloc(res->event_ts, cells *
		    sizeof(*res->event_ts));
		res->cap = cells;
	}
	res->n = req->n;
	res->nrefs = p->nrefs;
	mlp_buf_reset(&res->strs);
	s->nfix = 0;
	if (s->akeys < req->n) {
		s->akeys = req->n;
		s->koff = xrealloc(s->koff, req->n * sizeof(*s->koff));
		s->keys = xrealloc(s->keys, req->n * sizeof(*s->keys));
		s->recs = xrealloc(s->recs, req->n * sizeof(*s->recs));
	}
	grow(&s->col, &s->acol, p->nkeys + 1, sizeof(*s->col));
	for (size_t j = 0; j < p->nkeys; j++) {
		size_t c = 0;

		while (c < req->nkeys && strcmp(req->key_names[c],
		    p->keys[j]) != 0)
			c++;
		if (c == req->nkeys) {
			const struct gview *g = NULL;

			for (size_t i = 0; i < p->nviews && !g; i++)
				for (size_t k = 0; k < p->views[i].e->nkeys;
				    k++)
					if (p->views[i].keycol[k] == j)
						g = &p->views[i];
			res->n = 0;
			return mlp_err_set(err, MLP_EINVAL, "no values for join "
			    "key '%s' (of entity '%s')", p->keys[j],
			    g ? g->e->name : "?");
		}
		s->col[j] = c;
	}
	/* the views of one moment, and the store's locks taken once */
	if (p->nviews > 1 && req->n)
		rc = mlp_online_read_begin(o, err);
	for (size_t i = 0; i < p->nviews && rc == 0 && req->n; i++)
		rc = get_view(o, p, i, req, res, err);
	if (p->nviews > 1 && req->n)
		mlp_online_read_end(o);
	if (rc < 0) {
		res->n = 0;
		return rc;
	}
	for (size_t i = 0; i < s->nfix; i++)
		res->values[s->fix[i]].v.str.s = res->strs.s + s->fixoff[i];
	return 0;
}

/* ---- Feast's answer ---- */

static void
value_json(struct mlp_buf *b, const struct mlp_fval *v)
{
	char num[40];

	if (v->null) {
		mlp_buf_add(b, "null", 4);
		return;
	}
	switch (v->type) {
	case MLP_FT_FLOAT:
		if (!isfinite(v->v.f))
			mlp_buf_add(b, "null", 4);
		else
			mlp_buf_add(b, num, fnum_fmt_double(v->v.f, num));
		return;
	case MLP_FT_INT:
		mlp_buf_add(b, num, fnum_fmt_int(v->v.i, num));
		return;
	case MLP_FT_BOOL:
		mlp_buf_adds(b, v->v.b ? "true" : "false");
		return;
	case MLP_FT_STRING:
		mlp_buf_json_strn(b, v->v.str.s, v->v.str.n);
		return;
	}
	mlp_buf_add(b, "null", 4);
}

/* One of Feast's results: n values, every stride-th of vals, with their
 * statuses and times (status, ts NULL: PRESENT, at the epoch). */
static void
result_json(struct mlp_buf *b, const struct mlp_fval *vals, size_t stride,
    const unsigned char *status, const int64_t *ts, size_t n)
{
	char t[48];

	mlp_buf_adds(b, "{\"values\":[");
	for (size_t e = 0; e < n; e++) {
		if (e)
			mlp_buf_addc(b, ',');
		value_json(b, &vals[e * stride]);
	}
	mlp_buf_adds(b, "],\"statuses\":[");
	for (size_t e = 0; e < n; e++) {
		mlp_buf_adds(b, e ? ",\"" : "\"");
		mlp_buf_adds(b, status ? mlp_fstatus_name(status[e * stride]) :
		    "PRESENT");
		mlp_buf_addc(b, '"');
	}
	mlp_buf_adds(b, "],\"event_timestamps\":[");
	for (size_t e = 0; e < n; e++) {
		int64_t us = ts ? ts[e * stride] : 0;

		mlp_ts_format(us == MLP_TS_NONE ? 0 : us, t);
		mlp_buf_adds(b, e ? ",\"" : "\"");
		mlp_buf_adds(b, t);
		mlp_buf_addc(b, '"');
	}
	mlp_buf_adds(b, "]}");
}

void
mlp_fget_json(const struct mlp_fget_plan *p, const struct mlp_fget_req *req,
    const struct mlp_fget_res *res, int full, struct mlp_buf *out)
{
	size_t *col = xmalloc((p->nkeys + 1) * sizeof(*col));

	mlp_buf_adds(out, "{\"metadata\":{\"feature_names\":[");
	for (size_t j = 0; j < p->nkeys; j++) {
		col[j] = 0;
		while (col[j] < req->nkeys && strcmp(req->key_names[col[j]],
		    p->keys[j]) != 0)
			col[j]++;
		if (j)
			mlp_buf_addc(out, ',');
		mlp_buf_json_str(out, p->keys[j]);
	}
	for (size_t r = 0; r < p->nrefs; r++) {
		if (r || p->nkeys)
			mlp_buf_addc(out, ',');
		mlp_buf_json_str(out, mlp_fget_plan_name(p, r, full));
	}
	mlp_buf_adds(out, "]},\"results\":[");
	/* the join keys first, as Feast answers: PRESENT at the epoch */
	for (size_t j = 0; j < p->nkeys; j++) {
		if (j)
			mlp_buf_addc(out, ',');
		result_json(out, col[j] < req->nkeys ? req->key_cols[col[j]] :
		    NULL, 1, NULL, NULL, col[j] < req->nkeys ? res->n : 0);
	}
	for (size_t r = 0; r < p->nrefs; r++) {
		if (r || p->nkeys)
			mlp_buf_addc(out, ',');
		result_json(out, res->values + r, res->nrefs, res->status + r,
		    res->event_ts + r, res->n);
	}
	mlp_buf_adds(out, "]}");
	free(col);
}
