/* The training runner: data, a tracked run, the learner, the model. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../model/model.h"
#include "../registry/registry.h"
#include "../store/store.h"
#include "../track/track.h"
#include "internal.h"
#include "runner.h"

/* The data a learner sees: feature columns and labels, borrowed from the
 * frames or owned after a split. */
struct split {
	size_t n;
	float **x;		/* nfeat columns */
	float *y;
	int owned;		/* x[j] and y are ours */
};

/* Where the rows of one side (training or validation) came from, so that
 * messages name lines of files. */
struct origin {
	const char *file;	/* as named ("stdin" for "-") */
	const struct mlp_line_mark *marks;
	size_t nmarks;
	/* a valid_fraction split: row i is the i-th row r of the file (of
	 * nrows) with held_out(r) == held */
	int split, held;
	uint64_t seed, cut;
	size_t nrows;
};

struct data {
	struct mlp_frame *train;
	size_t nfeat;
	int *fidx;		/* feature j is column fidx[j] of train */
	struct mlp_column *feat;	/* nfeat descriptions (borrowed) */
	struct split tr, va;
	struct origin otr, ova;
	struct mlp_line_mark *vmarks;	/* the validation file's lines */
	size_t nvmarks, avmarks;
	char valid_digest[65];
};

static void
split_release(struct split *s, size_t nfeat)
{
	if (s->owned) {
		for (size_t j = 0; j < nfeat; j++)
			free(s->x[j]);
		free(s->y);
	}
	free(s->x);
	memset(s, 0, sizeof(*s));
}

static void
data_release(struct data *d)
{
	split_release(&d->tr, d->nfeat);
	split_release(&d->va, d->nfeat);
	mlp_frame_free(d->train);
	free(d->fidx);
	free(d->feat);
	free(d->vmarks);
	memset(d, 0, sizeof(*d));
}

static int
no_column(const char *file, char *const *names, size_t n, const char *what,
    const char *name, struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	int rc;

	for (size_t j = 0; j < n && j < 20; j++)
		mlp_buf_addf(&b, "%s%s", j ? ", " : "", names[j]);
	if (n > 20)
		mlp_buf_adds(&b, ", ...");
	rc = mlp_err_set(err, MLP_EINVAL, "'%s' has no %s column '%s' "
	    "(columns: %s)", file, what, name, mlp_buf_str(&b));
	mlp_buf_release(&b);
	return rc;
}

/* The columns a spec names (target, features, categorical) are among
 * names[0..n) of file, and a feature has a name. */
static int
check_columns(const struct mlp_train_spec *s, const char *file,
    char *const *names, size_t n, struct mlp_err *err)
{
	const struct {
		const char *what;
		const struct mlp_strv *v;
	} lists[] = {
		{ "feature", &s->features }, { "categorical", &s->categorical },
	};
	size_t j;

	for (j = 0; j < n && strcmp(names[j], s->target) != 0; j++)
		;
	if (j == n)
		return no_column(file, names, n, "target", s->target, err);
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l].v->n; i++) {
			const char *c = lists[l].v->v[i];

			for (j = 0; j < n && strcmp(names[j], c) != 0; j++)
				;
			if (j == n || !*c)
				return no_column(file, names, n, lists[l].what,
				    c, err);
		}
	}
	if (s->features.n)
		return 0;
	for (j = 0; j < n; j++)
		if (!names[j][0])
			return mlp_err_set(err, MLP_EINVAL, "'%s': column %zu "
			    "has no name (a trailing comma in the header?); "
			    "name it, or choose the features with --features",
			    file, j + 1);
	return 0;
}

/* splitmix64: the valid_fraction split, a pure function of seed and row */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int
held_out(uint64_t seed, uint64_t cut, size_t row)
{
	return mix(seed * 0x100000001b3ULL + row) < cut;
}

/* where() of struct mlp_train_data: the file and line of row i. */
static void
where(const struct mlp_train_data *td, size_t i, char *buf, size_t n)
{
	const struct origin *o = td->where_ud;
	uint64_t line;
	size_t r = i;

	if (o->split)
		for (size_t k = 0, seen = 0; k < o->nrows; k++)
			if (held_out(o->seed, o->cut, k) == o->held &&
			    seen++ == i) {
				r = k;
				break;
			}
	line = mlp_marks_line(o->marks, o->nmarks, r);
	if (line)
		snprintf(buf, n, "'%.100s' line %" PRIu64, o->file, line);
	else
		snprintf(buf, n, "'%.100s' row %zu", o->file, r + 1);
}

/* The learner's view of one side. */
static void
view(struct data *d, int valid, struct mlp_train_data *td)
{
	const struct split *sp = valid ? &d->va : &d->tr;

	memset(td, 0, sizeof(*td));
	td->nrows = sp->n;
	td->nfeat = d->nfeat;
	td->x = (const float *const *)sp->x;
	td->feat = d->feat;
	td->y = sp->y;
	td->where = where;
	td->where_ud = valid ? &d->ova : &d->otr;
}

/* A target must be a finite number in every row. */
static int
check_target(const struct mlp_train_data *td, const char *target,
    struct mlp_err *err)
{
	char at[200];

	for (size_t i = 0; i < td->nrows; i++)
		if (!isfinite(td->y[i]))
			return mlp_err_set(err, MLP_EINVAL, "%s: the target '%s' "
			    "is %s", mlp_train_where(td, i, at, sizeof(at)),
			    target, isnan(td->y[i]) ? "missing or NaN" :
			    "infinite");
	return 0;
}

static void
split_fraction(struct data *d, int ti, double frac, long seed)
{
	const struct mlp_frame *f = d->train;
	unsigned char *in_valid = xmalloc(f->nrows + 1);
	size_t nv = 0, a = 0, b = 0;
	uint64_t cut = (uint64_t)(frac * 18446744073709551615.0);

	for (size_t i = 0; i < f->nrows; i++) {
		in_valid[i] = (unsigned char)held_out((uint64_t)seed, cut, i);
		nv += in_valid[i];
	}
	d->tr.n = f->nrows - nv;
	d->va.n = nv;
	d->tr.owned = d->va.owned = 1;
	d->tr.x = xcalloc(d->nfeat + 1, sizeof(float *));
	d->va.x = xcalloc(d->nfeat + 1, sizeof(float *));
	for (size_t j = 0; j <= d->nfeat; j++) {
		const float *src = f->cols[j < d->nfeat ? d->fidx[j] : ti];
		float *t = xmalloc((d->tr.n + 1) * sizeof(float));
		float *v = xmalloc((d->va.n + 1) * sizeof(float));

		a = b = 0;
		for (size_t i = 0; i < f->nrows; i++) {
			if (in_valid[i])
				v[b++] = src[i];
			else
				t[a++] = src[i];
		}
		if (j < d->nfeat) {
			d->tr.x[j] = t;
			d->va.x[j] = v;
		} else {
			d->tr.y = t;
			d->va.y = v;
		}
	}
	d->otr.split = d->ova.split = 1;
	d->ova.held = 1;
	d->otr.seed = d->ova.seed = (uint64_t)seed;
	d->otr.cut = d->ova.cut = cut;
	d->otr.nrows = d->ova.nrows = f->nrows;
	d->ova.file = d->otr.file;
	d->ova.marks = d->otr.marks;
	d->ova.nmarks = d->otr.nmarks;
	free(in_valid);
}

/* Reads the validation file with the training columns as its schema, so
 * its categories get the training codes. */
static int
read_valid(struct data *d, const char *path, const char *target, int ti,
    struct mlp_err *err)
{
	struct mlp_column *schema = xcalloc(d->nfeat + 1, sizeof(*schema));
	struct mlp_csv_stream *cs = NULL;
	struct mlp_frame *chunk = NULL;
	struct mlp_train_data td;
	size_t alloc = 0, got;
	int rc;

	memcpy(schema, d->feat, d->nfeat * sizeof(*schema));
	schema[d->nfeat] = d->train->col[ti];
	d->va.owned = 1;
	d->va.x = xcalloc(d->nfeat + 1, sizeof(float *));
	d->ova.file = strcmp(path, "-") == 0 ? "stdin" : path;
	if ((rc = mlp_csv_stream_open(&cs, path, schema, d->nfeat + 1, NULL,
	    err)) < 0)
		goto out;
	while ((rc = mlp_csv_stream_next(cs, 65536, &chunk, &got, err)) == 0 &&
	    got > 0) {
		if (d->va.n + got > alloc) {
			alloc = (d->va.n + got) * 2;
			for (size_t j = 0; j < d->nfeat; j++)
				d->va.x[j] = xrealloc(d->va.x[j],
				    alloc * sizeof(float));
			d->va.y = xrealloc(d->va.y, alloc * sizeof(float));
		}
		for (size_t j = 0; j < d->nfeat; j++)
			memcpy(d->va.x[j] + d->va.n, chunk->cols[j],
			    got * sizeof(float));
		memcpy(d->va.y + d->va.n, chunk->cols[d->nfeat],
		    got * sizeof(float));
		mlp_grow(&d->vmarks, &d->avmarks, d->nvmarks + chunk->nmarks +
		    1, sizeof(*d->vmarks));
		for (size_t k = 0; k < chunk->nmarks; k++)
			d->vmarks[d->nvmarks++] = (struct mlp_line_mark){
				d->va.n + chunk->marks[k].row,
				chunk->marks[k].line
			};
		d->va.n += got;
	}
	d->ova.marks = d->vmarks;
	d->ova.nmarks = d->nvmarks;
	if (rc < 0)
		goto out;
	if (d->va.n == 0) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' has no rows", path);
		goto out;
	}
	view(d, 1, &td);
	rc = check_target(&td, target, err);
	if (rc == 0)
		rc = mlp_data_digest(path, d->valid_digest, err);
out:
	mlp_frame_free(chunk);
	mlp_csv_stream_close(cs);
	free(schema);
	return rc;
}

/* Reads s->data (named name in messages) as the training data. */
static int
load_data(const struct mlp_train_spec *s, const char *name, int threads,
    struct data *d, struct mlp_err *err)
{
	struct mlp_csv_opts o = { 0 };
	const char **cat = xcalloc(s->categorical.n + 1, sizeof(*cat));
	struct mlp_train_data td;
	const struct mlp_frame *f;
	char **names;
	int ti, rc;

	for (size_t i = 0; i < s->categorical.n; i++)
		cat[i] = s->categorical.v[i];
	o.nthreads = threads;
	o.categorical = cat;
	rc = mlp_csv_read(s->data, &o, &d->train, err);
	free(cat);
	if (rc < 0)
		return rc;
	f = d->train;
	d->otr.file = strcmp(name, "-") == 0 ? "stdin" : name;
	d->otr.marks = f->marks;
	d->otr.nmarks = f->nmarks;
	names = xcalloc(f->ncols + 1, sizeof(*names));
	for (size_t j = 0; j < f->ncols; j++)
		names[j] = f->col[j].name;
	rc = check_columns(s, d->otr.file, names, f->ncols, err);
	free(names);
	if (rc < 0)
		return rc;
	ti = mlp_frame_find(f, s->target);
	if (f->col[ti].type != MLP_COL_NUM)
		return mlp_err_set(err, MLP_EINVAL, "'%s': the target '%s' is "
		    "not numeric (found '%s'); encode its classes as 0, 1, ...",
		    d->otr.file, s->target, f->col[ti].levels[0]);
	d->nfeat = s->features.n ? s->features.n : f->ncols - 1;
	if (d->nfeat == 0)
		return mlp_err_set(err, MLP_EINVAL, "'%s' has no feature "
		    "columns besides the target '%s'", d->otr.file, s->target);
	d->fidx = xcalloc(d->nfeat, sizeof(int));
	d->feat = xcalloc(d->nfeat, sizeof(*d->feat));
	for (size_t j = 0, k = 0; j < d->nfeat; j++) {
		int c;

		if (s->features.n) {
			c = mlp_frame_find(f, s->features.v[j]);
		} else {
			if ((int)k == ti)
				k++;
			c = (int)k++;
		}
		d->fidx[j] = c;
		d->feat[j] = f->col[c];
	}
	if (s->valid_fraction > 0) {
		split_fraction(d, ti, s->valid_fraction, s->seed);
		if (d->tr.n == 0 || d->va.n == 0)
			return mlp_err_set(err, MLP_EINVAL, "'%s': %zu row%s "
			    "cannot be split to hold out %g of them",
			    d->otr.file, f->nrows, f->nrows == 1 ? "" : "s",
			    s->valid_fraction);
	} else {
		d->tr.n = f->nrows;
		d->tr.x = xcalloc(d->nfeat, sizeof(float *));
		for (size_t j = 0; j < d->nfeat; j++)
			d->tr.x[j] = f->cols[d->fidx[j]];
		d->tr.y = f->cols[ti];
	}
	view(d, 0, &td);
	if ((rc = check_target(&td, s->target, err)) < 0)
		return rc;
	if (d->va.n) {
		view(d, 1, &td);
		return check_target(&td, s->target, err);
	}
	if (s->valid)
		return read_valid(d, s->valid, s->target, ti, err);
	return 0;
}

static int
has_name(const struct mlp_strv *names, const char *c)
{
	for (size_t j = 0; j < names->n; j++)
		if (strcmp(names->v[j], c) == 0)
			return 1;
	return 0;
}

int
mlp_train_check_header(const struct mlp_train_spec *s, struct mlp_err *err)
{
	struct mlp_strv names = MLP_STRV_INIT, vnames = MLP_STRV_INIT;
	const struct mlp_strv *need = &s->features;
	int rc = 0;

	if (s->fstore.spine) {
		/* the features are the catalog's, checked when the run
		 * builds its training set */
		if ((rc = mlp_csv_header(s->fstore.spine, NULL, &names,
		    err)) == 0 && !has_name(&names, s->target))
			rc = no_column(s->fstore.spine, names.v, names.n,
			    "target", s->target, err);
		goto out;
	}
	if (strcmp(s->data, "-") != 0 &&
	    ((rc = mlp_csv_header(s->data, NULL, &names, err)) < 0 ||
	    (rc = check_columns(s, s->data, names.v, names.n, err)) < 0))
		goto out;
	if (!s->valid || strcmp(s->valid, "-") == 0)
		goto out;
	if ((rc = mlp_csv_header(s->valid, NULL, &vnames, err)) < 0)
		goto out;
	if (!has_name(&vnames, s->target)) {
		rc = no_column(s->valid, vnames.v, vnames.n, "target",
		    s->target, err);
		goto out;
	}
	/* the features: those named, else the training file's */
	if (!need->n)
		need = &names;
	for (size_t i = 0; i < need->n; i++)
		if (strcmp(need->v[i], s->target) != 0 &&
		    !has_name(&vnames, need->v[i])) {
			rc = no_column(s->valid, vnames.v, vnames.n, "feature",
			    need->v[i], err);
			goto out;
		}
out:
	mlp_strv_release(&names);
	mlp_strv_release(&vnames);
	return rc;
}

/* The run's bookkeeping while the learner runs. */
struct run {
	const struct mlp_train_env *env;
	const struct mlp_train_spec *spec;
	const struct mlp_train_events *ev;
	const struct train_fset *fset;	/* the training set from the feature
					 * store, or NULL */
	char uuid[33];
	char *ckpt_dir;
	double last_ckpt;
	int iter;
	int not_taken;		/* a submitted run ended before its job */
	struct mlp_err err;	/* a failure inside the callback */
};

static int
log_metrics(struct run *r, const struct mlp_metric_val *m, size_t nm,
    int64_t step, struct mlp_err *err)
{
	struct mlp_logger *lg = NULL;
	int rc;

	if ((rc = mlp_logger_begin(r->env->db, r->uuid, &lg, err)) < 0)
		return rc;
	for (size_t i = 0; i < nm && rc == 0; i++)
		rc = mlp_logger_metric(lg, m[i].name, m[i].value, step, 0, err);
	if (rc < 0) {
		mlp_logger_abort(lg);
		return rc;
	}
	return mlp_logger_commit(lg, err);
}

void
train_note(const struct mlp_train_events *ev, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (!ev || !ev->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev->note(ev->ud, msg);
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The checkpoints in dir (their iterations, ascending); the caller frees
 * *out. */
static size_t
list_checkpoints(const char *dir, int **out)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	size_t n = 0, alloc = 0;

	*out = NULL;
	if (!dh)
		return 0;
	while ((de = readdir(dh))) {
		char *end;
		long it = strtol(de->d_name, &end, 10);

		if (end != de->d_name && strcmp(end, ".json") == 0 && it > 0 &&
		    it < 100000000) {
			mlp_grow(out, &alloc, n + 1, sizeof(**out));
			(*out)[n++] = (int)it;
		}
	}
	closedir(dh);
	if (n)
		qsort(*out, n, sizeof(**out), cmp_int);
	return n;
}

/* Removes all but the newest keep checkpoints (all of them for 0). */
static void
prune_checkpoints(const char *dir, int keep)
{
	int *its;
	size_t n = list_checkpoints(dir, &its);

	for (size_t i = 0; i + (size_t)(keep > 0 ? keep : 0) < n; i++) {
		char *p = xasprintf("%s/%08d.json", dir, its[i]);

		unlink(p);
		free(p);
	}
	free(its);
}

/* Writes the model so far as ckpt_dir/ITER.json (atomically) and keeps the
 * newest spec->ckpt_keep. */
static int
checkpoint(struct run *r, int iter, const struct mlp_model *m,
    struct mlp_err *err)
{
	char *tmp = xasprintf("%s/.%08d.json.tmp", r->ckpt_dir, iter);
	char *dst = xasprintf("%s/%08d.json", r->ckpt_dir, iter);
	int rc;

	if ((rc = mlp_model_write_json(m, tmp, err)) == 0 &&
	    rename(tmp, dst) < 0)
		rc = mlp_err_set(err, MLP_EFAIL, "cannot rename '%s': %s", tmp,
		    strerror(errno));
	if (rc == 0)
		prune_checkpoints(r->ckpt_dir, r->spec->ckpt_keep);
	unlink(tmp);
	free(tmp);
	free(dst);
	return rc;
}

static int
on_iter(void *ud, int iter, int total, const struct mlp_metric_val *m,
    size_t nm, const struct mlp_model *partial)
{
	struct run *r = ud;
	const struct mlp_train_spec *s = r->spec;
	int rc;

	r->iter = iter;
	if ((rc = log_metrics(r, m, nm, iter, &r->err)) < 0)
		return rc;
	if (r->ev && r->ev->progress)
		r->ev->progress(r->ev->ud, iter, total, m, nm);
	if ((s->ckpt_every > 0 && iter % s->ckpt_every == 0) ||
	    (s->ckpt_seconds > 0 && mlp_mono() - r->last_ckpt >=
	    s->ckpt_seconds)) {
		if ((rc = checkpoint(r, iter, partial, &r->err)) < 0)
			return rc;
		r->last_ckpt = mlp_mono();
	}
	if (r->ev && r->ev->stop && *r->ev->stop)
		return mlp_err_set(&r->err, MLP_EINTR, "interrupted at "
		    "iteration %d", iter);
	/* tests simulate a crash (kill -9) at a given iteration */
	{
		const char *k = getenv("MLP_TEST_KILL_AT");

		if (k && atoi(k) == iter)
			raise(SIGKILL);
	}
	return 0;
}

/* A dataset's name, as MLflow's datasets.name: the file's name without
 * its directory ("stdin" for standard input). */
static const char *
dataset_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (strcmp(path, "-") == 0)
		return "stdin";
	return slash && slash[1] ? slash + 1 : path;
}

static int
log_param(struct mlp_logger *lg, const char *k, const char *v,
    struct mlp_err *err)
{
	return v ? mlp_logger_param(lg, k, v, err) : 0;
}

/* Params (every learner parameter with its effective value, as XGBoost's
 * autologging does), the data's digests as tags. */
static int
log_inputs(struct run *r, const struct mlp_learner *l, const struct data *d,
    struct mlp_err *err)
{
	const struct mlp_train_spec *s = r->spec;
	const struct train_fset *fs = r->fset;
	/* where the training rows came from, as the datasets say it */
	const char *src = fs ? fs->source : s->data;
	const char *name = dataset_name(fs ? s->fstore.spine : s->data);
	struct mlp_logger *lg = NULL;
	char buf[64], spine_digest[65];
	int rc;

	if (fs && (rc = mlp_data_digest(s->fstore.spine, spine_digest,
	    err)) < 0)
		return rc;
	if ((rc = mlp_logger_begin(r->env->db, r->uuid, &lg, err)) < 0)
		return rc;
	rc = log_param(lg, "algo", l->name, err);
	for (size_t i = 0; i < l->nparams && rc == 0; i++)
		rc = log_param(lg, l->params[i].name, mlp_params_str(&s->params,
		    l->params, l->nparams, l->params[i].name), err);
	if (rc == 0)
		rc = log_param(lg, "target", s->target, err);
	snprintf(buf, sizeof(buf), "%zu", d->nfeat);
	if (rc == 0)
		rc = log_param(lg, "features", buf, err);
	if (rc == 0)
		rc = mlp_logger_tag(lg, "mlp.dataset.train.digest",
		    d->train->digest, err);
	if (rc == 0)
		rc = mlp_logger_tag(lg, "mlp.dataset.train.source", src, err);
	if (rc == 0)
		rc = mlp_logger_tag(lg, "mlp.dataset.train.name", name, err);
	snprintf(buf, sizeof(buf), "%zu", d->tr.n);
	if (rc == 0)
		rc = mlp_logger_tag(lg, "mlp.dataset.train.rows", buf, err);
	if (rc == 0 && d->va.n) {
		snprintf(buf, sizeof(buf), "%zu", d->va.n);
		rc = mlp_logger_tag(lg, "mlp.dataset.valid.rows", buf, err);
		if (rc == 0)
			rc = mlp_logger_tag(lg, "mlp.dataset.valid.source",
			    s->valid ? s->valid : src, err);
		if (rc == 0)
			rc = mlp_logger_tag(lg, "mlp.dataset.valid.name",
			    s->valid ? dataset_name(s->valid) : name, err);
		if (rc == 0)
			rc = mlp_logger_tag(lg, "mlp.dataset.valid.digest",
			    s->valid ? d->valid_digest : d->train->digest, err);
	}
	if (rc == 0 && fs) {
		/* the spine the training set was joined onto */
		snprintf(buf, sizeof(buf), "%llu",
		    (unsigned long long)fs->rows);
		if ((rc = mlp_logger_tag(lg, "mlp.dataset.spine.digest",
		    spine_digest, err)) == 0 &&
		    (rc = mlp_logger_tag(lg, "mlp.dataset.spine.source",
		    s->fstore.spine, err)) == 0 &&
		    (rc = mlp_logger_tag(lg, "mlp.dataset.spine.name", name,
		    err)) == 0)
			rc = mlp_logger_tag(lg, "mlp.dataset.spine.rows", buf,
			    err);
	}
	if (rc < 0) {
		mlp_logger_abort(lg);
		return rc;
	}
	return mlp_logger_commit(lg, err);
}

/* The metrics of the final step: those eval_metric asks for (what every
 * iteration logged), then the objective's defaults not among them. */
static size_t
final_which(const struct mlp_train_spec *s, int objective,
    enum mlp_metric_id *which, size_t max)
{
	enum mlp_metric_id def[4];
	size_t nd = mlp_metric_defaults(objective, def), n = 0;
	const char *w = mlp_params_get(&s->params, "eval_metric");

	for (; w && *w && n < max;) {
		size_t l = strcspn(w, ",");
		char name[32];
		int m;

		snprintf(name, sizeof(name), "%.*s", (int)l, w);
		if ((m = mlp_metric_parse(name)) >= 0) {
			size_t i = 0;

			while (i < n && which[i] != (enum mlp_metric_id)m)
				i++;
			if (i == n)
				which[n++] = (enum mlp_metric_id)m;
		}
		w += l;
		if (*w == ',')
			w++;
	}
	for (size_t j = 0; j < nd && n < max; j++) {
		size_t i = 0;

		while (i < n && which[i] != def[j])
			i++;
		if (i == n)
			which[n++] = def[j];
	}
	return n;
}

/* Final metrics: the model's own outputs on train and valid, logged one
 * step after the last iteration (as MLflow's XGBoost autologging logs the
 * best iteration's metrics), so that they are the run's latest. */
static int
final_metrics(struct run *r, const struct mlp_model *m, const struct data *d,
    struct mlp_train_result *out, struct mlp_err *err)
{
	struct mlp_model probs;
	enum mlp_metric_id which[MLP_METRIC_COUNT];
	size_t nw = final_which(r->spec, (int)m->objective, which,
	    MLP_METRIC_COUNT), k = 0;
	struct mlp_metric_val vals[2 * MLP_METRIC_COUNT];
	int rc = 0;

	/* the copy shares m's batch tables (freed with m) */
	mlp_model_prepare(m);
	probs = *m;
	if (m->objective == MLP_OBJ_SOFTMAX) {
		probs.objective = MLP_OBJ_SOFTPROB;
		probs.nout = probs.num_class;
	}
	out->metric_names = xcalloc(2 * nw + 1, sizeof(char *));
	out->metric_values = xcalloc(2 * nw + 1, sizeof(double));
	for (int side = 0; side < 2 && rc == 0; side++) {
		const struct split *sp = side ? &d->va : &d->tr;
		double *pred;

		if (sp->n == 0)
			continue;
		pred = xmalloc(sp->n * (size_t)probs.nout * sizeof(double));
		rc = mlp_model_predict(&probs, (const float *const *)sp->x,
		    sp->n, pred, r->spec->threads, err);
		for (size_t i = 0; i < nw && rc == 0; i++) {
			out->metric_names[k] = xasprintf("%s_%s", side ? "valid" :
			    "train", mlp_metric_name(which[i]));
			out->metric_values[k] = mlp_metric_eval(which[i], sp->y,
			    pred, sp->n, probs.num_class);
			vals[k].name = out->metric_names[k];
			vals[k].value = out->metric_values[k];
			k++;
		}
		free(pred);
	}
	out->nmetrics = k;
	if (rc == 0)
		rc = log_metrics(r, vals, k, r->iter + 1, err);
	return rc;
}

/* Trees' split counts per feature as MLflow's XGBoost autologging logs
 * them: the artifact feature_importance_weight.json, {"feature": count}
 * for the features used, written into dir first. */
static int
store_importance(struct run *r, const struct mlp_model *m, const char *dir,
    struct mlp_err *err)
{
	static const char name[] = "feature_importance_weight.json";
	double *counts = xcalloc(m->nfeat + 1, sizeof(double));
	cJSON *o = cJSON_CreateObject();
	char *text, *path = xasprintf("%s/%s", dir, name);
	int rc;

	mlp_model_split_counts(m, counts);
	for (size_t j = 0; j < m->nfeat; j++)
		if (counts[j] > 0)
			cJSON_AddNumberToObject(o, m->feat[j].name, counts[j]);
	text = cJSON_PrintUnformatted(o);
	if (!text)
		abort();	/* out of memory */
	if ((rc = mlp_write_file(path, text, strlen(text), err)) == 0)
		rc = train_store_artifact(r->env, r->uuid, path, name, err);
	free(text);
	free(path);
	free(counts);
	cJSON_Delete(o);
	return rc;
}

/* Writes the model directory into tmp/, stores it and records it as the
 * run's artifact. */
static int
store_model(struct run *r, const struct mlp_model *m,
    const struct mlp_train_result *res, struct mlp_err *err)
{
	const struct mlp_train_spec *s = r->spec;
	const char *name = s->output ? s->output : "model";
	char *base = xasprintf("%s/train-%s", mlp_store_tmp_dir(r->env->st),
	    r->uuid);
	char *dir = xasprintf("%s/%s", base, name);
	struct mlp_model_meta meta = { 0 };
	int rc;

	meta.run_id = r->uuid;
	meta.artifact_path = name;
	meta.metric_names = (const char *const *)res->metric_names;
	meta.metric_values = res->metric_values;
	meta.nmetrics = res->nmetrics;
	meta.fstore = r->fset ? r->fset->lineage : NULL;
	mlp_remove_tree(base, NULL);
	if (mkdir(base, 0777) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s", base,
		    strerror(errno));
		goto out;
	}
	if ((rc = mlp_track_check_artifact_path(name, err)) < 0 ||
	    (rc = mlp_model_write_dir(m, &meta, dir, err)) < 0 ||
	    (rc = train_store_artifact(r->env, r->uuid, dir, name, err)) < 0)
		goto out;
	if (m->kind == MLP_MODEL_GBDT)
		rc = store_importance(r, m, base, err);
out:
	mlp_remove_tree(base, NULL);
	free(base);
	free(dir);
	return rc;
}

int
train_store_artifact(const struct mlp_train_env *env, const char *uuid,
    const char *path, const char *name, struct mlp_err *err)
{
	struct mlp_put_stats ps = { 0 };
	struct mlp_oid oid;
	char hex[65];
	int is_tree, rc;

	if ((rc = mlp_track_check_artifact_path(name, err)) < 0 ||
	    (rc = mlp_store_put_path(env->st, path, &oid, &is_tree, &ps,
	    err)) < 0)
		return rc;
	mlp_oid_fmt(&oid, hex);
	return mlp_track_artifact_add(env->db, uuid, name, hex, is_tree,
	    ps.bytes, err);
}

int
train_register(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, struct mlp_train_result *res,
    struct mlp_err *err)
{
	struct mlp_version_new vn = { 0 };
	struct mlp_source src = { 0 };
	int rc;

	if ((rc = mlp_registry_source(env->db, env->st, res->artifact,
	    &src, err)) < 0)
		goto out;
	vn.name = s->register_name;
	vn.oid = src.oid;
	vn.is_tree = src.is_tree;
	vn.size = src.size;
	vn.source = res->artifact;
	vn.run_uuid = src.run_uuid;
	vn.code_commit = src.code_commit;
	vn.user = env->user;
	vn.aliases = (const char *const *)s->register_aliases.v;
	vn.naliases = s->register_aliases.n;
	rc = mlp_registry_create_version(env->db, &vn, &res->version, err);
out:
	mlp_source_release(&src);
	return rc;
}

/* Checks what can be checked of a spec before a run is started. */
static int
precheck(const struct mlp_train_spec *s, const struct mlp_learner **l,
    struct mlp_err *err)
{
	struct mlp_train_job job = { 0 };
	int rc;

	if ((rc = mlp_train_spec_check(s, err)) < 0)
		return rc;
	*l = mlp_learner_find(s->algo ? s->algo : "gbdt");
	job.params = &s->params;
	if ((rc = (*l)->check(&job, s->valid || s->valid_fraction > 0,
	    err)) < 0)
		return rc;
	return train_check_register(s, err);
}

int
mlp_train_prepare(struct mlp_train_spec *s, struct mlp_err *err)
{
	static const char *const threads[] = { "nthread", "n_jobs" };
	const struct mlp_learner *l;
	int rc;

	/* XGBoost's nthread and scikit-learn's n_jobs are the run's threads,
	 * not the learner's */
	for (size_t i = 0; i < 2; i++) {
		const char *v = mlp_params_get(&s->params, threads[i]);
		char *end;
		long n;

		if (!v)
			continue;
		n = strtol(v, &end, 10);
		if (end == v || *end || n < 0 || n > 256)
			return mlp_err_set(err, MLP_EINVAL, "parameter '%s': "
			    "'%s' is not a number of threads from 0 to 256",
			    threads[i], v);
		s->threads = (int)n;
		mlp_params_unset(&s->params, threads[i]);
	}
	if ((rc = mlp_train_spec_check(s, err)) < 0)
		return rc;
	l = mlp_learner_find(s->algo ? s->algo : "gbdt");
	if ((rc = mlp_params_canonical(&s->params, l->name, l->params,
	    l->nparams, err)) < 0)
		return rc;
	return precheck(s, &l, err);
}

int
train_check_register(const struct mlp_train_spec *s, struct mlp_err *err)
{
	int rc;

	if (!s->register_name)
		return 0;
	if ((rc = mlp_registry_check_name(s->register_name, err)) < 0)
		return rc;
	for (size_t i = 0; i < s->register_aliases.n; i++)
		if ((rc = mlp_registry_check_alias(s->register_aliases.v[i],
		    err)) < 0)
			return rc;
	return 0;
}

int
mlp_train_check_start(struct mlp_db *db, const struct mlp_train_spec *s,
    struct mlp_err *err)
{
	struct mlp_experiment e = { 0 };
	int rc;

	if (s->name && (rc = mlp_check_utf8("run name", s->name, err)) < 0)
		return rc;
	if (!s->experiment)
		return 0;
	/* what starting the run would find, undone: a new name is created
	 * only with the run */
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	rc = mlp_track_experiment_ensure(db, s->experiment, &e, NULL, err);
	mlp_db_rollback(db);
	mlp_experiment_release(&e);
	return rc;
}

int
train_start_run(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, char uuid[33], struct mlp_err *err)
{
	struct mlp_run_start rs = { 0 };
	struct mlp_kv *tags = NULL;
	size_t ntags = 0;
	int rc;

	mlp_track_source_tags(env->cmdline, env->user, &tags, &ntags);
	/* a new experiment name is created, as mlflow.set_experiment does;
	 * this process is recorded, so a run it leaves behind when killed
	 * is found (mlp_track_reconcile) */
	rs.experiment = s->experiment;
	rs.name = s->name;
	rs.user = env->user;
	rs.tags = tags;
	rs.ntags = ntags;
	rs.own = 1;
	rc = mlp_track_run_start(env->db, &rs, uuid, err);
	mlp_kvs_free(tags, ntags);
	return rc;
}

void
train_fail_run(const struct mlp_train_env *env, const char *uuid, int code,
    const struct mlp_err *why)
{
	struct mlp_logger *lg = NULL;
	struct mlp_err e;

	mlp_err_clear(&e);
	if (mlp_logger_begin(env->db, uuid, &lg, &e) == 0) {
		if (mlp_logger_tag(lg, "mlp.error", why->msg, &e) < 0)
			mlp_logger_abort(lg);
		else
			mlp_logger_commit(lg, &e);
	}
	mlp_track_run_end(env->db, uuid, code == MLP_EINTR ? "KILLED" :
	    "FAILED", 0, &e);
}

static int
binary_target(const float *y, size_t n)
{
	int seen0 = 0, seen1 = 0;

	for (size_t i = 0; i < n; i++) {
		if (y[i] == 0)
			seen0 = 1;
		else if (y[i] == 1)
			seen1 = 1;
		else
			return 0;
	}
	return seen0 && seen1;
}

/* Continues from the newest checkpoint (none: from the start), once the
 * data is known to be what the run began with. */
static int
resume_from(struct run *r, const struct data *d, struct mlp_train_job *job,
    struct mlp_model **ckpt, struct mlp_err *err)
{
	struct mlp_run *run = NULL;
	const char *digest = NULL;
	int *its = NULL, rc;
	size_t n;

	if ((rc = mlp_track_run_get(r->env->db, r->uuid, &run, err)) < 0)
		return rc;
	for (size_t i = 0; i < run->ntags; i++)
		if (strcmp(run->tags[i].key, "mlp.dataset.train.digest") == 0)
			digest = run->tags[i].value;
	if (digest && strcmp(digest, d->train->digest) != 0) {
		if (r->fset)
			rc = mlp_err_set(err, MLP_EINVAL, "the training set "
			    "from %s for '%s' changed since run %.8s began "
			    "(digest %.12s, now %.12s): a resumed run must see "
			    "the same data", r->fset->source,
			    r->spec->fstore.spine, r->uuid, digest,
			    d->train->digest);
		else
			rc = mlp_err_set(err, MLP_EINVAL, "'%s' changed since "
			    "run %.8s began (digest %.12s, now %.12s): a "
			    "resumed run must see the same data",
			    r->spec->data, r->uuid, digest, d->train->digest);
		goto out;
	}
	n = list_checkpoints(r->ckpt_dir, &its);
	if (n == 0) {
		train_note(r->ev, "no checkpoint of run %.8s: training from the start",
		    r->uuid);
		goto out;
	}
	{
		char *p = xasprintf("%s/%08d.json", r->ckpt_dir, its[n - 1]);

		rc = mlp_model_read_json(p, ckpt, err);
		free(p);
	}
	if (rc < 0)
		goto out;
	job->resume = *ckpt;
	job->resume_iter = its[n - 1];
	r->iter = its[n - 1];
	train_note(r->ev, "resuming run %.8s from iteration %d", r->uuid,
	    its[n - 1]);
out:
	free(its);
	mlp_run_free(run);
	return rc;
}

/* The run continued (resumed, or a submitted one on its node) loses what
 * it logged past iteration from, which it logs again, so that its history
 * reads as one run; then it is RUNNING again, owned by this process. Two
 * transactions (taking a run up records its owner in one of its own): a
 * crash between them leaves the run as it was, short of points the next
 * resume would remove anyway. A submitted job's run is taken up first, so
 * that a cancel which came before the job started holds. */
static int
continue_run(struct run *r, int from, struct mlp_err *err)
{
	struct mlp_logger *lg = NULL;
	int rc;

	/* a submitted job's run cancelled before it started stays so */
	if (r->env->submitted &&
	    (rc = mlp_track_run_take(r->env->db, r->uuid, err)) < 0) {
		r->not_taken = 1;
		return rc;
	}
	if ((rc = mlp_logger_begin(r->env->db, r->uuid, &lg, err)) < 0)
		return rc;
	if ((rc = mlp_logger_truncate_metrics(lg, from, err)) < 0) {
		mlp_logger_abort(lg);
		return rc;
	}
	if ((rc = mlp_logger_commit(lg, err)) < 0 || r->env->submitted)
		return rc;
	return mlp_track_run_end(r->env->db, r->uuid, "RUNNING", 0, err);
}

/* What train kept beside a finished run: its checkpoints and spec.json
 * go; the directory stays only while it holds a Slurm job's output. */
static void
remove_ckpt_dir(const char *dir)
{
	char *spec = xasprintf("%s/spec.json", dir);

	prune_checkpoints(dir, 0);
	unlink(spec);
	rmdir(dir);
	free(spec);
}

void
train_finished(const struct mlp_train_env *env, const char *uuid)
{
	char *dir = xasprintf("%s/%s", env->ckpt_root, uuid);

	remove_ckpt_dir(dir);
	free(dir);
}

int
mlp_train_run(const struct mlp_train_env *env, const struct mlp_train_spec *s,
    const struct mlp_train_events *ev, struct mlp_train_result *out,
    struct mlp_err *err)
{
	const struct mlp_learner *l = NULL;
	struct mlp_train_data tr, va;
	struct mlp_train_job job = { 0 };
	struct mlp_model *model = NULL;
	struct data d = { 0 };
	struct run r = { 0 };
	struct train_fset fset = { 0 };
	struct mlp_train_spec ds;	/* what load_data reads */
	int rc, started = 0;

	memset(out, 0, sizeof(*out));
	mlp_err_clear(&r.err);
	r.env = env;
	r.spec = s;
	r.ev = ev;
	if ((rc = precheck(s, &l, err)) < 0)
		return rc;
	if (env->run_id) {
		/* a run started elsewhere (a Slurm submission) or one to
		 * continue: its failures are its own from here */
		snprintf(r.uuid, sizeof(r.uuid), "%s", env->run_id);
		memcpy(out->run_id, r.uuid, sizeof(r.uuid));
		started = 1;
	}
	/* the data before a new run exists: a mistake in it leaves none */
	ds = *s;
	if (s->fstore.spine) {
		/* the training set joined from the feature store, read as a
		 * data file whose features are the references' columns (a
		 * shallow copy: ds owns nothing) */
		if ((rc = train_fset_build(env, s, ev, &fset, err)) < 0)
			goto out;
		ds.data = fset.path;
		ds.features = fset.inputs;
		ds.categorical = fset.categorical;
		r.fset = &fset;
	}
	if ((rc = load_data(&ds, s->fstore.spine ? s->fstore.spine : s->data,
	    s->threads, &d, err)) < 0)
		goto out;
	if (l == &mlp_learner_gbdt && !mlp_params_get(&s->params, "objective")
	    && binary_target(d.tr.y, d.tr.n)) {
		/* a 0/1 target is a classification, as XGBClassifier infers;
		 * reg:squarederror stays the default otherwise (xgb.train's) */
		mlp_params_set((struct mlp_params *)&s->params, "objective",
		    "binary:logistic");
		train_note(ev, "objective binary:logistic: the target holds only 0 "
		    "and 1 (-p objective=... to choose another)");
	}
	view(&d, 0, &tr);
	view(&d, 1, &va);
	job.params = &s->params;
	job.train = &tr;
	job.valid = d.va.n ? &va : NULL;
	job.nthreads = s->threads;
	job.on_iter = on_iter;
	job.ud = &r;
	if ((rc = l->check(&job, job.valid != NULL, err)) < 0)
		goto out;
	if (!env->run_id && (rc = train_start_run(env, s, r.uuid, err)) < 0)
		goto out;
	started = 1;
	memcpy(out->run_id, r.uuid, sizeof(r.uuid));
	r.ckpt_dir = xasprintf("%s/%s", env->ckpt_root, r.uuid);
	if ((mkdir(env->ckpt_root, 0777) < 0 && errno != EEXIST) ||
	    (mkdir(r.ckpt_dir, 0777) < 0 && errno != EEXIST)) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s",
		    r.ckpt_dir, strerror(errno));
		goto out;
	}
	if (env->run_id) {
		if ((env->resume && (rc = resume_from(&r, &d, &job, &model,
		    err)) < 0) || (rc = continue_run(&r, job.resume_iter,
		    err)) < 0)
			goto out;
	} else {
		char *sp = xasprintf("%s/spec.json", r.ckpt_dir);

		rc = mlp_train_spec_write_json(s, sp, err);
		free(sp);
		if (rc < 0)
			goto out;
		if (s->path && (rc = train_store_artifact(env, r.uuid, s->path,
		    "spec.yaml", err)) < 0)
			goto out;
	}
	train_note(ev, "training %s on %zu row%s x %zu feature%s%s", l->name,
	    d.tr.n, d.tr.n == 1 ? "" : "s", d.nfeat, d.nfeat == 1 ? "" : "s",
	    d.va.n ? "" : " (no validation set)");
	if ((rc = log_inputs(&r, l, &d, err)) < 0)
		goto out;
	r.last_ckpt = mlp_mono();
	{
		struct mlp_model *ckpt = model;	/* the checkpoint, if any */

		model = NULL;
		rc = l->train(&job, &model, err);
		mlp_model_free(ckpt);
	}
	if (rc < 0) {
		if (r.err.code < 0)	/* the callback's own error */
			*err = r.err;
		rc = err->code < 0 ? err->code : rc;
		goto out;
	}
	out->iterations = r.iter;
	out->best_iteration = model->best_iteration;
	if ((rc = final_metrics(&r, model, &d, out, err)) < 0 ||
	    (rc = store_model(&r, model, out, err)) < 0)
		goto out;
	out->artifact = xasprintf("runs:/%s/%s", r.uuid,
	    s->output ? s->output : "model");
	if ((rc = mlp_track_run_end(env->db, r.uuid, "FINISHED", 0, err)) < 0)
		goto out;
	/* the model is stored: a finished run has nothing to resume */
	remove_ckpt_dir(r.ckpt_dir);
	started = 0;
	if (s->register_name && (rc = train_register(env, s, out, err)) < 0)
		goto out;
out:
	if (rc < 0 && started && !r.not_taken)
		train_fail_run(env, r.uuid, rc, err);
	mlp_model_free(model);
	data_release(&d);
	train_fset_release(&fset);
	free(r.ckpt_dir);
	return rc;
}

void
mlp_train_result_release(struct mlp_train_result *r)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		free(r->metric_names[i]);
	free(r->metric_names);
	free(r->metric_values);
	free(r->artifact);
	memset(r, 0, sizeof(*r));
}
