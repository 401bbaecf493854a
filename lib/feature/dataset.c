/* mlp feature dataset: a spine joined point-in-time against the offline
 * store, partition by partition of the key hash, written as CSV in spine
 * order with its SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../db/db.h"
#include "internal.h"

#define SPINE_MAX ((size_t)16 << 30)
#define OUTBUF ((size_t)1 << 20)

/* The spine's keys for one entity. */
struct ds_ent {
	const struct mlp_fentity *ent;
	int *field;		/* spine field per join key */
	uint64_t *hash;		/* per row */
	uint64_t *koff;
	uint32_t *klen;
	struct mlp_buf heap;
	struct fpit_row *rows;	/* the spine's, by (hash, key, row) */
};

/* An output column. */
struct ds_out {
	char *name;		/* the column's */
	const char *fname;	/* the feature's, borrowed from the spec */
	int hidden;		/* an input of a derived feature only */
	enum mlp_ftype type;
	int derived;		/* 1: computed by the derive callback */
	size_t didx;		/* its index in the view's derived */
	struct ds_view *view;
	uint8_t *vtype;		/* derived: the type of each row's value */
};

struct ds_view {
	const struct mlp_fview *view;
	struct ds_ent *ent;
	struct fbatches bs;
	size_t slot;		/* its first batch's place in a worker's open
				 * segments */
	struct fpit_view pv;
	size_t *pv_out;		/* per pv output: its ds_out */
	int has_derived;
	/* the inputs of its derived features: its features, then its
	 * aggregation outputs, in spec order, as indices of ds_outs */
	size_t *inputs;
	size_t ninputs;
};

struct dataset {
	const struct mlp_fspec *spec;
	const struct mlp_fdataset_opts *o;
	const char *name;	/* the spine, for messages */
	char *text;
	size_t len;
	int mapped;		/* text is a mapping of the file */
	const char *hdr;
	size_t hdr_len;
	struct mlp_strv hdr_names;
	int ts_field;
	size_t nrows, arows;
	uint64_t *rec_off;
	uint32_t *rec_len;
	int64_t *t;
	struct ds_ent *ents;
	size_t nents;
	struct ds_view *views;
	size_t nviews;
	struct ds_out *outs;
	size_t nouts;
	struct fpit_table tab;	/* the values: column i is outs[i] */
	struct mlp_buf *heaps;	/* string values, one heap per worker */
	unsigned bits;
	int nthreads;
	size_t nslots;		/* batches of all views */
	/* the join's workers take partitions in turn */
	uint32_t next_part;
	int stop;
	/* derived features: the caller's callback, else the views' own
	 * expressions (lib/feature/derive.c), compiled on first use */
	mlp_fderive_fn derive;
	void *derive_ud;
	struct mlp_fderiver **derivers;	/* per spec view */
	struct mlp_fval *dslots;
};

/* The derive callback of a dataset whose caller gave none: the view's
 * compiled expressions over its outputs. */
static int
builtin_derive(void *ud, const struct mlp_fview *view, size_t derived,
    const struct mlp_fval *inputs, struct mlp_fval *out, struct mlp_err *err)
{
	struct dataset *d = ud;
	size_t vi = (size_t)(view - d->spec->views), n;
	int rc;

	if (!d->derivers)
		d->derivers = xcalloc(d->spec->nviews ? d->spec->nviews : 1,
		    sizeof(*d->derivers));
	if (!d->derivers[vi] && (rc = mlp_fderiver_new(view,
	    &d->derivers[vi], err)) < 0)
		return rc;
	if (!d->dslots) {
		size_t max = 1;

		for (size_t i = 0; i < d->spec->nviews; i++)
			if (mlp_fview_noutputs(&d->spec->views[i]) > max)
				max = mlp_fview_noutputs(&d->spec->views[i]);
		d->dslots = xcalloc(max, sizeof(*d->dslots));
	}
	n = mlp_fview_noutputs(view) - view->nderived;
	memcpy(d->dslots, inputs, n * sizeof(*inputs));
	if ((rc = mlp_fderiver_eval(d->derivers[vi], d->dslots, derived,
	    err)) < 0)
		return rc;
	*out = d->dslots[n + derived];
	return 0;
}

/* A thread joining partitions: the segments it has open (one per batch,
 * kept while consecutive partitions share it) and its own string heap. */
struct ds_worker {
	struct dataset *d;
	struct mlp_store *st;
	struct fpit_table tab;
	struct fseg *open;
	long *open_seg;		/* the batch's segment open, -1: none */
	struct fseg **segs;	/* the segments of one view's partition */
	int rc;
	struct mlp_err err;
	pthread_t th;
};

/* ---- references ---- */

static struct ds_view *
view_of(struct dataset *d, const struct mlp_fview *fv, struct mlp_err *err)
{
	const struct mlp_fentity *fe = NULL;
	struct ds_view *v;
	struct ds_ent *e = NULL;

	for (size_t i = 0; i < d->nviews; i++)
		if (d->views[i].view == fv)
			return &d->views[i];
	for (size_t i = 0; i < d->spec->nentities; i++)
		if (strcmp(d->spec->entities[i].name, fv->entity) == 0)
			fe = &d->spec->entities[i];
	if (!fe) {
		mlp_err_set(err, MLP_EINVAL, "feature view '%s' names the "
		    "unknown entity '%s'", fv->name, fv->entity);
		return NULL;
	}
	for (size_t i = 0; i < d->nents; i++)
		if (d->ents[i].ent == fe)
			e = &d->ents[i];
	if (!e) {
		e = &d->ents[d->nents++];
		e->ent = fe;
	}
	v = &d->views[d->nviews++];
	v->view = fv;
	v->ent = e;
	return v;
}

/* Output index of (v, what, idx), added (hidden or not) when missing. */
static size_t
add_out(struct dataset *d, struct ds_view *v, int hidden, int kind,
    const char *column, enum mlp_ftype type, enum mlp_aggop op,
    int64_t window, const char *fname, size_t didx)
{
	struct ds_out *o;
	struct fpit_out *po;
	char *name = d->o->full_names ? xasprintf("%s__%s", v->view->name,
	    fname) : xstrdup(fname);

	for (size_t i = 0; i < d->nouts; i++)
		if (d->outs[i].view == v && strcmp(d->outs[i].name, name) == 0) {
			if (!hidden)
				d->outs[i].hidden = 0;
			free(name);
			return i;
		}
	d->outs = xrealloc(d->outs, (d->nouts + 1) * sizeof(*d->outs));
	o = &d->outs[d->nouts];
	memset(o, 0, sizeof(*o));
	o->name = name;
	o->fname = fname;
	o->hidden = hidden;
	o->type = type;
	o->view = v;
	if (kind < 0) {
		o->derived = 1;
		o->didx = didx;
		v->has_derived = 1;
		return d->nouts++;
	}
	v->pv.outs = xrealloc(v->pv.outs, (v->pv.nouts + 1) *
	    sizeof(*v->pv.outs));
	v->pv_out = xrealloc(v->pv_out, (v->pv.nouts + 1) *
	    sizeof(*v->pv_out));
	po = &v->pv.outs[v->pv.nouts];
	memset(po, 0, sizeof(*po));
	po->kind = (enum fpit_kind)kind;
	po->column = column;
	po->type = type;
	po->op = op;
	po->window = window;
	po->col = d->nouts;
	v->pv_out[v->pv.nouts++] = d->nouts;
	return d->nouts++;
}

/* Adds every feature and aggregation of v (hidden unless asked for), as
 * the inputs of its derived features. */
static void
add_inputs(struct dataset *d, struct ds_view *v)
{
	const struct mlp_fview *fv = v->view;
	size_t n = 0;

	if (v->inputs)
		return;
	for (size_t k = 0; k < fv->naggs; k++)
		n += fv->aggs[k].nwindows;
	v->ninputs = fv->nfeatures + n;
	v->inputs = xcalloc(v->ninputs + 1, sizeof(*v->inputs));
	n = 0;
	for (size_t k = 0; k < fv->nfeatures; k++)
		v->inputs[n++] = add_out(d, v, 1, FPIT_FEATURE,
		    fv->features[k].name, fv->features[k].type, MLP_AGG_COUNT,
		    0, fv->features[k].name, 0);
	for (size_t k = 0; k < fv->naggs; k++)
		for (size_t w = 0; w < fv->aggs[k].nwindows; w++)
			v->inputs[n++] = add_out(d, v, 1, FPIT_AGG,
			    fv->aggs[k].column, mlp_fagg_type(fv->aggs[k].op),
			    fv->aggs[k].op, fv->aggs[k].windows[w],
			    fv->aggs[k].names[w], 0);
}

static int
resolve(struct dataset *d, struct mlp_err *err)
{
	d->views = xcalloc(d->o->nrefs + 1, sizeof(*d->views));
	d->ents = xcalloc(d->o->nrefs + 1, sizeof(*d->ents));
	if (d->o->nrefs == 0)
		return mlp_err_set(err, MLP_EINVAL, "no features asked for");
	for (size_t r = 0; r < d->o->nrefs; r++) {
		const char *ref = d->o->refs[r];
		const struct mlp_fview *fv;
		struct mlp_foutput fo;
		struct ds_view *v;
		int rc;

		if ((rc = mlp_fspec_resolve(d->spec, ref, &fv, &fo, err)) < 0)
			return rc;
		if (!(v = view_of(d, fv, err)))
			return err->code;
		for (size_t i = 0; i < d->nouts; i++)
			if (d->outs[i].view == v && !d->outs[i].hidden &&
			    strcmp(d->outs[i].fname, fo.name) == 0)
				return mlp_err_set(err, MLP_EINVAL, "feature "
				    "'%s' is asked for twice", ref);
		switch (fo.kind) {
		case MLP_FOUT_FEATURE:
			add_out(d, v, 0, FPIT_FEATURE, fo.name, fo.type,
			    MLP_AGG_COUNT, 0, fo.name, 0);
			break;
		case MLP_FOUT_AGG: {
			const struct mlp_fagg *a = &fv->aggs[fo.index];

			add_out(d, v, 0, FPIT_AGG, a->column,
			    mlp_fagg_type(a->op), a->op, a->windows[fo.window],
			    fo.name, 0);
			break;
		}
		case MLP_FOUT_DERIVED:
			add_out(d, v, 0, -1, NULL, MLP_FT_FLOAT, MLP_AGG_COUNT,
			    0, fo.name, fo.index);
			add_inputs(d, v);
			break;
		}
	}
	/* names: unique among the outputs shown */
	for (size_t i = 0; i < d->nouts; i++)
		for (size_t j = 0; j < i; j++)
			if (!d->outs[i].hidden && !d->outs[j].hidden &&
			    strcmp(d->outs[i].name, d->outs[j].name) == 0)
				return mlp_err_set(err, MLP_EINVAL, "two "
				    "features would be named '%s' (of views "
				    "'%s' and '%s'); full names tell them "
				    "apart",
				    d->outs[i].name,
				    d->outs[j].view->view->name,
				    d->outs[i].view->view->name);
	return 0;
}

/* ---- the spine ---- */

static int
spine_header(struct dataset *d, struct fcsv *c, struct mlp_err *err)
{
	const char *tsname = d->o->ts_column ? d->o->ts_column : "event_ts";
	int rc;

	if ((rc = fcsv_next(c, err)) < 0)
		return rc;
	if (rc == 0)
		return mlp_err_set(err, MLP_EINVAL, "'%s' is empty", d->name);
	d->hdr = c->rec;
	d->hdr_len = c->rec_len;
	for (size_t j = 0; j < c->nf; j++) {
		char *s = xstrndup(c->f[j].p, c->f[j].n);

		mlp_strv_push_owned(&d->hdr_names, s);
	}
	d->ts_field = -1;
	for (size_t j = 0; j < d->hdr_names.n; j++)
		if (strcmp(d->hdr_names.v[j], tsname) == 0)
			d->ts_field = (int)j;
	if (d->ts_field < 0)
		return mlp_err_set(err, MLP_EINVAL, "'%s' has no column '%s' "
		    "(the spine's timestamp)", d->name, tsname);
	for (size_t i = 0; i < d->nents; i++) {
		struct ds_ent *e = &d->ents[i];

		e->field = xcalloc(e->ent->nkeys + 1, sizeof(*e->field));
		for (size_t k = 0; k < e->ent->nkeys; k++) {
			e->field[k] = -1;
			for (size_t j = 0; j < d->hdr_names.n; j++)
				if (strcmp(d->hdr_names.v[j],
				    e->ent->join_keys[k]) == 0)
					e->field[k] = (int)j;
			if (e->field[k] < 0)
				return mlp_err_set(err, MLP_EINVAL, "'%s' has "
				    "no column '%s' (a join key of entity "
				    "'%s')", d->name, e->ent->join_keys[k],
				    e->ent->name);
		}
	}
	for (size_t i = 0; i < d->nouts; i++)
		for (size_t j = 0; j < d->hdr_names.n && !d->outs[i].hidden;
		    j++)
			if (strcmp(d->outs[i].name, d->hdr_names.v[j]) == 0)
				return mlp_err_set(err, MLP_EINVAL, "feature "
				    "'%s' would repeat the spine's column '%s'",
				    d->outs[i].name, d->hdr_names.v[j]);
	return 0;
}

static const char *
shown(struct mlp_buf *b, const char *s, size_t n)
{
	mlp_buf_reset(b);
	mlp_buf_add(b, s, n > 60 ? 60 : n);
	if (n > 60)
		mlp_buf_adds(b, "...");
	for (size_t i = 0; i < b->len; i++)
		if ((unsigned char)b->s[i] < 0x20)
			b->s[i] = '?';
	return mlp_utf8_invalid(b->s, b->len) >= 0 ? "(not UTF-8)" : b->s;
}

static int
spine_row(struct dataset *d, const struct fcsv *c, struct mlp_buf *tmp,
    struct mlp_err *err)
{
	size_t row = d->nrows;
	const struct fcsv_field *tf;
	char num[24];

	if (c->nf != d->hdr_names.n)
		return mlp_err_set(err, MLP_EINVAL, "'%s' line %llu: expected "
		    "%zu fields, found %zu", d->name,
		    (unsigned long long)c->rec_line, d->hdr_names.n, c->nf);
	if (row >= UINT32_MAX)
		return mlp_err_set(err, MLP_EINVAL, "'%s' has too many rows",
		    d->name);
	if (row == d->arows) {
		d->arows = d->arows ? d->arows + d->arows / 2 : 65536;
		d->rec_off = xrealloc(d->rec_off, d->arows *
		    sizeof(*d->rec_off));
		d->rec_len = xrealloc(d->rec_len, d->arows *
		    sizeof(*d->rec_len));
		d->t = xrealloc(d->t, d->arows * sizeof(*d->t));
		for (size_t i = 0; i < d->nents; i++) {
			struct ds_ent *e = &d->ents[i];

			e->hash = xrealloc(e->hash, d->arows * sizeof(*e->hash));
			e->koff = xrealloc(e->koff, d->arows * sizeof(*e->koff));
			e->klen = xrealloc(e->klen, d->arows * sizeof(*e->klen));
		}
	}
	d->rec_off[row] = (uint64_t)(c->rec - d->text);
	d->rec_len[row] = (uint32_t)c->rec_len;
	if (c->rec_len > UINT32_MAX)
		return mlp_err_set(err, MLP_EINVAL, "'%s' line %llu is too "
		    "long", d->name, (unsigned long long)c->rec_line);
	tf = &c->f[d->ts_field];
	if (tf->n == 0 || mlp_ts_parse(tf->p, tf->n, d->o->tsfmt,
	    &d->t[row]) < 0)
		return mlp_err_set(err, MLP_EINVAL, "'%s' line %llu column %d "
		    "('%s'): '%s' is not an %s timestamp", d->name,
		    (unsigned long long)c->rec_line, d->ts_field + 1,
		    d->hdr_names.v[d->ts_field], shown(tmp, tf->p, tf->n),
		    mlp_tsfmt_name(d->o->tsfmt));
	for (size_t i = 0; i < d->nents; i++) {
		struct ds_ent *e = &d->ents[i];
		size_t start = e->heap.len;

		for (size_t k = 0; k < e->ent->nkeys; k++) {
			const struct fcsv_field *f = &c->f[e->field[k]];
			const char *kn = e->ent->join_keys[k];
			int64_t iv;

			if (k > 0)
				mlp_buf_addc(&e->heap, MLP_FKEY_SEP);
			if (f->n == 0)
				return mlp_err_set(err, MLP_EINVAL, "'%s' line "
				    "%llu column %d ('%s'): an empty join key",
				    d->name, (unsigned long long)c->rec_line,
				    e->field[k] + 1, kn);
			if (e->ent->key_types[k] != MLP_FT_INT) {
				if (mlp_utf8_invalid(f->p, f->n) >= 0 ||
				    memchr(f->p, MLP_FKEY_SEP, f->n))
					return mlp_err_set(err, MLP_EINVAL,
					    "'%s' line %llu column %d ('%s'): "
					    "not a valid key", d->name,
					    (unsigned long long)c->rec_line,
					    e->field[k] + 1, kn);
				mlp_buf_add(&e->heap, f->p, f->n);
			} else if (fnum_parse_int(f->p, f->n, &iv) < 0) {
				return mlp_err_set(err, MLP_EINVAL, "'%s' line "
				    "%llu column %d ('%s'): '%s' is not an int",
				    d->name, (unsigned long long)c->rec_line,
				    e->field[k] + 1, kn, shown(tmp, f->p, f->n));
			} else {
				mlp_buf_add(&e->heap, num, fnum_fmt_int(iv, num));
			}
		}
		e->koff[row] = start;
		e->klen[row] = (uint32_t)(e->heap.len - start);
		e->hash[row] = mlp_fkey_hash(e->heap.s + start, e->klen[row]);
	}
	d->nrows++;
	return 0;
}

/* The spine's text: a regular file is mapped (no copy, and pages of the
 * page cache need no zeroing), standard input read. */
static int
load_spine(struct dataset *d, struct mlp_err *err)
{
	struct stat sb;
	void *map;
	int fd;

	if (strcmp(d->o->spine, "-") == 0)
		return mlp_read_file("-", SPINE_MAX, &d->text, &d->len, err);
	if ((fd = open(d->o->spine, O_RDONLY | O_CLOEXEC)) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", d->o->spine,
		    strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    (uint64_t)sb.st_size > SPINE_MAX) {
		close(fd);
		return mlp_read_file(d->o->spine, SPINE_MAX, &d->text, &d->len,
		    err);
	}
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE |
	    MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return mlp_read_file(d->o->spine, SPINE_MAX, &d->text, &d->len,
		    err);
	d->text = map;
	d->len = (size_t)sb.st_size;
	d->mapped = 1;
	return 0;
}

static int
read_spine(struct dataset *d, struct mlp_err *err)
{
	struct mlp_buf tmp = MLP_BUF_INIT;
	struct fcsv c;
	int rc;

	if ((rc = load_spine(d, err)) < 0)
		return rc;
	fcsv_open_mem(&c, d->text, d->len, d->name);
	if ((rc = spine_header(d, &c, err)) == 0)
		while ((rc = fcsv_next(&c, err)) > 0)
			if ((rc = spine_row(d, &c, &tmp, err)) < 0)
				break;
	fcsv_close(&c);
	mlp_buf_release(&tmp);
	return rc;
}

/* ---- the order: rows by (hash, key, row) ---- */

/* e->rows: the spine's rows for entity e by (hash, key, row), by a
 * counting sort on the hash's top bits (stable: rows of a key stay in
 * spine order) and an insertion sort of each bucket, which is short. */
static void
order_spine(struct dataset *d, struct ds_ent *e)
{
	size_t n = d->nrows, *cnt, nb;
	unsigned bits = 8;

	while (bits < 24 && ((size_t)1 << (bits + 3)) < n)
		bits++;
	nb = (size_t)1 << bits;
	cnt = xcalloc(nb + 1, sizeof(*cnt));
	for (size_t i = 0; i < n; i++)
		cnt[(e->hash[i] >> (64 - bits)) + 1]++;
	for (size_t b = 0; b < nb; b++)
		cnt[b + 1] += cnt[b];
	e->rows = xmalloc((n + 1) * sizeof(*e->rows));
	for (size_t i = 0; i < n; i++) {
		struct fpit_row *r = &e->rows[cnt[e->hash[i] >> (64 - bits)]++];

		r->hash = e->hash[i];
		r->key = e->heap.s + e->koff[i];
		r->klen = e->klen[i];
		r->row = (uint32_t)i;
		r->t = d->t[i];
	}
	free(cnt);
	for (size_t i = 1; i < n; i++) {
		struct fpit_row v = e->rows[i];
		size_t y = i;

		while (y > 0 && fpit_row_cmp(&v, &e->rows[y - 1]) < 0) {
			e->rows[y] = e->rows[y - 1];
			y--;
		}
		e->rows[y] = v;
	}
	free(e->hash);
	free(e->koff);
	free(e->klen);
	e->hash = e->koff = NULL;
	e->klen = NULL;
}

/* ---- the join ---- */

static void
alloc_outputs(struct dataset *d)
{
	d->tab.nmask = (d->nouts + 7) / 8;
	d->tab.stride = d->tab.nmask + d->nouts;
	d->tab.cells = xcalloc(d->nrows * d->tab.stride + 1,
	    sizeof(*d->tab.cells));
	d->heaps = xcalloc((size_t)d->nthreads, sizeof(*d->heaps));
	d->tab.heaps = d->heaps;
	for (size_t i = 0; i < d->nouts; i++)
		if (d->outs[i].derived)
			d->outs[i].vtype = xcalloc(d->nrows + 1, 1);
	for (size_t i = 0; i < d->nviews; i++) {
		struct ds_view *v = &d->views[i];

		v->pv.ttl = v->view->ttl;
		v->pv.filter_created = d->o->filter_created;
		v->slot = d->nslots;
		d->nslots += v->bs.n;
	}
}

/* The segment of batch b of v holding partition part of 2^bits, opened
 * into the worker's slot (or kept open there); NULL when the batch has
 * none. */
static int
batch_seg(struct ds_worker *w, const struct ds_view *v, size_t b,
    unsigned bits, uint32_t part, struct fseg **out, struct mlp_err *err)
{
	const struct fbatch *fb = &v->bs.b[b];
	size_t slot = v->slot + b;
	long i = fbatch_seg_of(fb, bits, part);
	int rc;

	*out = NULL;
	if (i >= 0 && w->open_seg[slot] == i) {
		*out = &w->open[slot];
		return 0;
	}
	if (w->open_seg[slot] >= 0) {
		fseg_close(&w->open[slot]);
		w->open_seg[slot] = -1;
	}
	if (i < 0)
		return 0;
	if ((rc = fbatch_open(fb, i, w->st, &w->open[slot], err)) < 0)
		return rc;
	w->open_seg[slot] = i;
	*out = &w->open[slot];
	return 0;
}

/* Joins partition part of every view. */
static int
join_partition(struct ds_worker *w, uint32_t part, struct mlp_err *err)
{
	struct dataset *d = w->d;
	int rc;

	for (size_t i = 0; i < d->nviews; i++) {
		struct ds_view *v = &d->views[i];
		struct ds_ent *e = v->ent;
		size_t nsegs = 0, n = 0, lo = 0, hi = d->nrows;

		/* the rows of the partition: a range of the hash order */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (mlp_fkey_partition(e->rows[mid].hash, d->bits) < part)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (n = lo; n < d->nrows && mlp_fkey_partition(
		    e->rows[n].hash, d->bits) == part; n++)
			;
		n -= lo;
		if (n == 0)
			continue;
		for (size_t b = 0; b < v->bs.n; b++) {
			struct fseg *s;

			if ((rc = batch_seg(w, v, b, d->bits, part, &s,
			    err)) < 0)
				return rc;
			if (s)
				w->segs[nsegs++] = s;
		}
		if ((rc = fpit_join(&v->pv, &w->tab, w->segs, nsegs,
		    e->rows + lo, n, err)) < 0) {
			mlp_err_prefix(err, "feature view '%s'", v->view->name);
			return rc;
		}
	}
	return 0;
}

static void *
join_worker(void *arg)
{
	struct ds_worker *w = arg;
	struct dataset *d = w->d;

	while (!__atomic_load_n(&d->stop, __ATOMIC_RELAXED)) {
		uint32_t p = __atomic_fetch_add(&d->next_part, 1,
		    __ATOMIC_RELAXED);

		if (p >= (1u << d->bits))
			break;
		mlp_err_clear(&w->err);
		if ((w->rc = join_partition(w, p, &w->err)) < 0) {
			__atomic_store_n(&d->stop, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	for (size_t i = 0; i < d->nslots; i++)
		if (w->open_seg[i] >= 0) {
			fseg_close(&w->open[i]);
			w->open_seg[i] = -1;
		}
	return NULL;
}

/* Joins every partition, on up to nthreads threads, each partition on
 * its own: one partition's segments are mapped at a time per thread. */
static int
join_all(struct dataset *d, struct mlp_store *st, struct mlp_err *err)
{
	unsigned parts = 1u << d->bits;
	int n = d->nthreads < (int)parts ? d->nthreads : (int)parts, rc = 0;
	struct ds_worker *w = xcalloc((size_t)n, sizeof(*w));
	int started = 0;

	for (int i = 0; i < n; i++) {
		w[i].d = d;
		w[i].st = st;
		w[i].tab = d->tab;
		w[i].tab.heap = (unsigned)i;
		w[i].open = xcalloc(d->nslots + 1, sizeof(*w[i].open));
		w[i].open_seg = xmalloc((d->nslots + 1) *
		    sizeof(*w[i].open_seg));
		w[i].segs = xcalloc(d->nslots + 1, sizeof(*w[i].segs));
		for (size_t k = 0; k <= d->nslots; k++)
			w[i].open_seg[k] = -1;
	}
	for (int i = 1; i < n; i++) {
		if (pthread_create(&w[i].th, NULL, join_worker, &w[i]) != 0)
			break;
		started = i;
	}
	join_worker(&w[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(w[i].th, NULL);
	for (int i = 0; i < n; i++) {
		if (w[i].rc < 0 && rc == 0) {
			rc = w[i].rc;
			*err = w[i].err;
		}
		free(w[i].open);
		free(w[i].open_seg);
		free(w[i].segs);
	}
	free(w);
	return rc;
}

/* ---- derived features ---- */

static void
fval_of(const struct dataset *d, size_t col, size_t row, struct mlp_fval *v)
{
	const struct ds_out *o = &d->outs[col];
	uint64_t c = *fpit_cell(&d->tab, row, col);

	memset(v, 0, sizeof(*v));
	v->type = o->derived ? (enum mlp_ftype)o->vtype[row] : o->type;
	if (!fpit_has(&d->tab, row, col)) {
		v->null = 1;
		return;
	}
	switch (v->type) {
	case MLP_FT_FLOAT:
		memcpy(&v->v.f, &c, 8);
		break;
	case MLP_FT_INT:
		v->v.i = (int64_t)c;
		break;
	case MLP_FT_BOOL:
		v->v.b = c != 0;
		break;
	case MLP_FT_STRING: {
		uint32_t n;

		v->v.str.s = fpit_string(&d->tab, c, &n);
		v->v.str.n = n;
		break;
	}
	}
}

/* The place derived features are computed: per output row, after the
 * join, from the row's values of the view's features and aggregations. */
static int
derive_rows(struct dataset *d, struct mlp_err *err)
{
	struct mlp_fval *in = NULL;
	struct mlp_buf tmp = MLP_BUF_INIT;
	size_t max = 0;
	int rc = 0;

	for (size_t i = 0; i < d->nviews; i++)
		if (d->views[i].ninputs > max)
			max = d->views[i].ninputs;
	in = xcalloc(max + 1, sizeof(*in));
	for (size_t oi = 0; oi < d->nouts && rc == 0; oi++) {
		struct ds_out *o = &d->outs[oi];
		struct ds_view *v = o->view;

		if (!o->derived)
			continue;
		for (size_t row = 0; row < d->nrows; row++) {
			uint64_t *cell = fpit_cell(&d->tab, row, oi);
			struct mlp_fval out;

			for (size_t k = 0; k < v->ninputs; k++)
				fval_of(d, v->inputs[k], row, &in[k]);
			memset(&out, 0, sizeof(out));
			if ((rc = d->derive(d->derive_ud, v->view, o->didx,
			    in, &out, err)) < 0) {
				mlp_err_prefix(err, "derived feature '%s:%s'",
				    v->view->name,
				    v->view->derived[o->didx].name);
				break;
			}
			o->vtype[row] = (uint8_t)out.type;
			if (out.null)
				continue;
			fpit_set(&d->tab, row, oi);
			switch (out.type) {
			case MLP_FT_FLOAT:
				memcpy(cell, &out.v.f, 8);
				break;
			case MLP_FT_INT:
				*cell = (uint64_t)out.v.i;
				break;
			case MLP_FT_BOOL:
				*cell = out.v.b != 0;
				break;
			case MLP_FT_STRING:
				/* it may point into the heap it goes to */
				mlp_buf_reset(&tmp);
				if (out.v.str.n)
					mlp_buf_add(&tmp, out.v.str.s,
					    out.v.str.n);
				*cell = fpit_add_string(&d->tab,
				    mlp_buf_str(&tmp), (uint32_t)tmp.len);
				break;
			}
		}
	}
	free(in);
	mlp_buf_release(&tmp);
	return rc;
}

/* ---- the output ---- */

size_t fdataset_chunk_rows = 8192;

/* A growing buffer of formatted text. */
struct fbuf {
	char *s;
	size_t len, cap;
};

static void
fbuf_room(struct fbuf *b, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
}

/* Appends row's value of column col, for which room was made. */
static void
put_cell(struct dataset *d, struct fbuf *k, size_t col, size_t row,
    struct mlp_buf *b)
{
	const struct ds_out *o = &d->outs[col];
	uint64_t c;
	enum mlp_ftype t;

	k->s[k->len++] = ',';
	if (!fpit_has(&d->tab, row, col))
		return;
	c = *fpit_cell(&d->tab, row, col);
	t = o->derived ? (enum mlp_ftype)o->vtype[row] : o->type;
	switch (t) {
	case MLP_FT_FLOAT: {
		double v;

		memcpy(&v, &c, 8);
		k->len += fnum_fmt_double(v, k->s + k->len);
		break;
	}
	case MLP_FT_INT:
		k->len += fnum_fmt_int((int64_t)c, k->s + k->len);
		break;
	case MLP_FT_BOOL:
		memcpy(k->s + k->len, c ? "true" : "false", c ? 4 : 5);
		k->len += c ? 4 : 5;
		break;
	case MLP_FT_STRING: {
		uint32_t n;
		const char *s = fpit_string(&d->tab, c, &n);

		mlp_buf_reset(b);
		fcsv_add_field(b, s, n);
		memcpy(k->s + k->len, mlp_buf_str(b), b->len);
		k->len += b->len;
		break;
	}
	}
}

/* What is written: the columns shown. */
struct layout {
	size_t *shown, nshown;
	int strings;		/* some column may hold a string */
};

/* Room a row needs at most: a number takes up to 32 bytes, a string
 * quoted twice its length and 2. */
static size_t
row_room(const struct dataset *d, size_t row, const struct layout *l)
{
	size_t need = d->rec_len[row] + 1 + l->nshown * 33;

	if (l->strings)
		for (size_t i = 0; i < l->nshown; i++) {
			const struct ds_out *o = &d->outs[l->shown[i]];
			uint32_t n;

			if ((o->type == MLP_FT_STRING || o->derived) &&
			    fpit_has(&d->tab, row, l->shown[i]) && (!o->derived ||
			    o->vtype[row] == MLP_FT_STRING)) {
				fpit_string(&d->tab, *fpit_cell(&d->tab, row,
				    l->shown[i]), &n);
				need += 2 * (size_t)n + 2;
			}
		}
	return need;
}

/* Formats rows [r0, r1) into k (emptied first). */
static void
format_rows(struct dataset *d, const struct layout *l, size_t r0, size_t r1,
    struct fbuf *k, struct mlp_buf *tmp)
{
	k->len = 0;
	for (size_t row = r0; row < r1; row++) {
		fbuf_room(k, row_room(d, row, l));
		memcpy(k->s + k->len, d->text + d->rec_off[row],
		    d->rec_len[row]);
		k->len += d->rec_len[row];
		for (size_t i = 0; i < l->nshown; i++)
			put_cell(d, k, l->shown[i], row, tmp);
		k->s[k->len++] = '\n';
	}
}

struct sink {
	int fd;
	struct mlp_sha256 h;
	uint64_t bytes;
};

static int
sink_write(struct sink *k, const char *p, size_t n, struct mlp_err *err)
{
	mlp_sha256_update(&k->h, p, n);
	k->bytes += n;
	while (n > 0) {
		ssize_t w = write(k->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return mlp_err_write(err, errno, 0, "cannot write the "
			    "dataset");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The formatting threads and the writer share a ring of chunk slots:
 * formatters take chunks in order and fill the slot the chunk maps to
 * once it is free; the writer writes and hashes the slots in order. */
struct ring {
	struct dataset *d;
	const struct layout *l;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t nchunks, next, nslots;
	struct slot {
		long chunk;	/* -1: free */
		int ready;
		struct fbuf buf;
	} *slots;
	int stop;
};

static void *
format_worker(void *arg)
{
	struct ring *r = arg;
	struct mlp_buf tmp = MLP_BUF_INIT;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		size_t c = r->next;
		struct slot *sl = &r->slots[c % r->nslots];
		size_t r0 = c * fdataset_chunk_rows;
		size_t r1 = r0 + fdataset_chunk_rows;

		if (r->stop || c >= r->nchunks)
			break;
		if (sl->chunk != -1) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		sl->chunk = (long)c;
		r->next++;
		pthread_mutex_unlock(&r->mu);
		if (r1 > r->d->nrows)
			r1 = r->d->nrows;
		format_rows(r->d, r->l, r0, r1, &sl->buf, &tmp);
		pthread_mutex_lock(&r->mu);
		sl->ready = 1;
		pthread_cond_broadcast(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	mlp_buf_release(&tmp);
	return NULL;
}

/* Writes the rows, formatted on nthreads threads while this one writes
 * and hashes. */
static int
write_rows(struct dataset *d, const struct layout *l, struct sink *k,
    struct mlp_err *err)
{
	struct ring r;
	pthread_t th[4];
	int nth = d->nthreads > 4 ? 4 : d->nthreads, started = 0, rc = 0;

	memset(&r, 0, sizeof(r));
	r.d = d;
	r.l = l;
	r.nchunks = (d->nrows + fdataset_chunk_rows - 1) /
	    fdataset_chunk_rows;
	if (nth < 2 || r.nchunks < 2) {
		struct fbuf b = { 0 };
		struct mlp_buf tmp = MLP_BUF_INIT;

		for (size_t c = 0; c < r.nchunks && rc == 0; c++) {
			size_t r1 = (c + 1) * fdataset_chunk_rows;

			format_rows(d, l, c * fdataset_chunk_rows,
			    r1 < d->nrows ? r1 : d->nrows, &b, &tmp);
			rc = sink_write(k, b.s, b.len, err);
		}
		free(b.s);
		mlp_buf_release(&tmp);
		return rc;
	}
	r.nslots = (size_t)nth * 2 + 2;
	r.slots = xcalloc(r.nslots, sizeof(*r.slots));
	for (size_t i = 0; i < r.nslots; i++)
		r.slots[i].chunk = -1;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int i = 0; i < nth; i++) {
		if (pthread_create(&th[i], NULL, format_worker, &r) != 0)
			break;
		started++;
	}
	for (size_t c = 0; c < r.nchunks; c++) {
		struct slot *sl = &r.slots[c % r.nslots];

		pthread_mutex_lock(&r.mu);
		while (started && !(sl->chunk == (long)c && sl->ready))
			pthread_cond_wait(&r.cv, &r.mu);
		pthread_mutex_unlock(&r.mu);
		if (!started) {
			/* no thread could start: format here */
			struct mlp_buf tmp = MLP_BUF_INIT;
			size_t r1 = (c + 1) * fdataset_chunk_rows;

			format_rows(d, l, c * fdataset_chunk_rows,
			    r1 < d->nrows ? r1 : d->nrows, &sl->buf, &tmp);
			mlp_buf_release(&tmp);
		}
		if ((rc = sink_write(k, sl->buf.s, sl->buf.len, err)) < 0)
			break;
		pthread_mutex_lock(&r.mu);
		sl->chunk = -1;
		sl->ready = 0;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
	}
	pthread_mutex_lock(&r.mu);
	r.stop = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < r.nslots; i++)
		free(r.slots[i].buf.s);
	free(r.slots);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return rc;
}

static int
write_output(struct dataset *d, struct mlp_fdataset_result *res,
    struct mlp_err *err)
{
	struct sink k = { 0 };
	struct mlp_buf b = MLP_BUF_INIT;
	struct layout l = { 0 };
	struct mlp_oid oid;
	int rc;

	k.fd = d->o->out_fd;
	if ((rc = mlp_sha256_begin(&k.h, err)) < 0)
		return rc;
	l.shown = xcalloc(d->nouts + 1, sizeof(*l.shown));
	mlp_buf_add(&b, d->hdr, d->hdr_len);
	for (size_t i = 0; i < d->nouts; i++) {
		const struct ds_out *o = &d->outs[i];

		if (o->hidden)
			continue;
		l.shown[l.nshown++] = i;
		l.strings |= o->type == MLP_FT_STRING || o->derived;
		mlp_buf_addc(&b, ',');
		fcsv_add_field(&b, o->name, strlen(o->name));
	}
	mlp_buf_addc(&b, '\n');
	if ((rc = sink_write(&k, b.s, b.len, err)) < 0 ||
	    (rc = write_rows(d, &l, &k, err)) < 0) {
		mlp_sha256_abort(&k.h);
		goto out;
	}
	mlp_sha256_end(&k.h, &oid);
	mlp_oid_fmt(&oid, res->digest);
	res->bytes = k.bytes;
	res->nfeatures = l.nshown;
out:
	free(l.shown);
	mlp_buf_release(&b);
	return rc;
}

/* ---- the whole ---- */

static void
dataset_release(struct dataset *d)
{
	if (d->derivers)
		for (size_t i = 0; i < d->spec->nviews; i++)
			mlp_fderiver_free(d->derivers[i]);
	free(d->derivers);
	free(d->dslots);
	if (d->mapped)
		munmap(d->text, d->len);
	else
		free(d->text);
	mlp_strv_release(&d->hdr_names);
	free(d->rec_off);
	free(d->rec_len);
	free(d->t);
	for (size_t i = 0; i < d->nents; i++) {
		struct ds_ent *e = &d->ents[i];

		free(e->field);
		free(e->hash);
		free(e->koff);
		free(e->klen);
		free(e->rows);
		mlp_buf_release(&e->heap);
	}
	free(d->ents);
	for (size_t i = 0; i < d->nviews; i++) {
		struct ds_view *v = &d->views[i];

		fbatches_release(&v->bs);
		free(v->pv.outs);
		free(v->pv_out);
		free(v->inputs);
	}
	free(d->views);
	for (size_t i = 0; i < d->nouts; i++) {
		free(d->outs[i].name);
		free(d->outs[i].vtype);
	}
	free(d->outs);
	free(d->tab.cells);
	for (int i = 0; d->heaps && i < d->nthreads; i++)
		mlp_buf_release(&d->heaps[i]);
	free(d->heaps);
}

int
mlp_fdataset(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const struct mlp_fdataset_opts *opts,
    struct mlp_fdataset_result *res, struct mlp_err *err)
{
	struct dataset d;
	double t;
	int rc;

	memset(&d, 0, sizeof(d));
	memset(res, 0, sizeof(*res));
	d.spec = spec;
	d.o = opts;
	d.derive = opts->derive ? opts->derive : builtin_derive;
	d.derive_ud = opts->derive ? opts->derive_ud : &d;
	d.nthreads = opts->nthreads;
	if (d.nthreads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		d.nthreads = n < 1 ? 1 : n > 4 ? 4 : (int)n;
	}
	d.name = strcmp(opts->spine, "-") == 0 ? "stdin" : opts->spine;
	if ((rc = resolve(&d, err)) < 0)
		goto out;
	for (size_t i = 0; i < d.nviews; i++) {
		struct ds_view *v = &d.views[i];

		if ((rc = fbatches_load(db, v->view->name, &v->bs, err)) < 0)
			goto out;
		if (v->bs.n == 0) {
			rc = mlp_err_set(err, MLP_ENOTFOUND, "feature view '%s' "
			    "has no ingested data", v->view->name);
			goto out;
		}
		if (v->bs.bits > d.bits)
			d.bits = v->bs.bits;
	}
	t = mlp_mono();
	if ((rc = read_spine(&d, err)) < 0)
		goto out;
	for (size_t i = 0; i < d.nents; i++)
		order_spine(&d, &d.ents[i]);
	alloc_outputs(&d);
	res->read_s = mlp_mono() - t;
	t = mlp_mono();
	if ((rc = join_all(&d, st, err)) < 0)
		goto out;
	if ((rc = derive_rows(&d, err)) < 0)
		goto out;
	res->join_s = mlp_mono() - t;
	t = mlp_mono();
	if ((rc = write_output(&d, res, err)) < 0)
		goto out;
	res->write_s = mlp_mono() - t;
	res->rows = d.nrows;
	res->partitions = 1u << d.bits;
out:
	dataset_release(&d);
	return rc;
}
