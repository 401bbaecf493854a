/* Training sets from the feature store: a spec's `features: {spine, ...}`
 * built point-in-time correct, and the lineage its model records. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../data/data.h"
#include "../feature/feature.h"
#include "../model/model.h"
#include "../store/store.h"
#include "internal.h"

void
train_fset_release(struct train_fset *f)
{
	if (f->path) {
		unlink(f->path);
		free(f->path);
	}
	mlp_strv_release(&f->inputs);
	mlp_strv_release(&f->categorical);
	free(f->source);
	mlp_model_fstore_free(f->lineage);
	memset(f, 0, sizeof(*f));
}

static int
no_service(const struct mlp_fspec *spec, const char *name,
    struct mlp_err *err)
{
	char **names = xcalloc(spec->nservices + 1, sizeof(*names));
	struct mlp_buf b = MLP_BUF_INIT;
	const char *near;
	int rc;

	for (size_t i = 0; i < spec->nservices; i++)
		names[i] = spec->services[i].name;
	near = mlp_fname_closest(name, (const char *const *)names,
	    spec->nservices);
	if (near)
		mlp_buf_addf(&b, " (did you mean '%s'?)", near);
	else if (spec->nservices == 0)
		mlp_buf_adds(&b, " (the catalog has none: mlp feature apply)");
	else {
		mlp_buf_adds(&b, " (services: ");
		for (size_t i = 0; i < spec->nservices && i < 10; i++)
			mlp_buf_addf(&b, "%s%s", i ? ", " : "", names[i]);
		mlp_buf_adds(&b, spec->nservices > 10 ? ", ...)" : ")");
	}
	rc = mlp_err_set(err, MLP_ENOTFOUND, "no feature service '%s'%s", name,
	    mlp_buf_str(&b));
	mlp_buf_release(&b);
	free(names);
	return rc;
}

static int
in_list(const struct mlp_strv *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

static const char *
kind_name(enum mlp_foutkind k)
{
	return k == MLP_FOUT_FEATURE ? "feature" : k == MLP_FOUT_AGG ?
	    "aggregation" : "derived";
}

/* What the references resolve to: the lineage, the model's inputs and
 * which of them are categories. derivers[] holds each view's compiled
 * derived features (by index in spec->views), made when first needed. */
struct resolved {
	const struct mlp_fspec *spec;
	struct mlp_fderiver **derivers;
	const struct mlp_fentity **ents;
	size_t nents;
};

static int
add_view(struct resolved *rv, struct mlp_model_fstore *ls,
    const struct mlp_fview *v, struct mlp_err *err)
{
	const struct mlp_fentity *e;
	struct mlp_model_fview *x;
	char ttl[48];
	size_t k;

	for (k = 0; k < ls->nviews; k++)
		if (strcmp(ls->views[k].name, v->name) == 0)
			return 0;
	if (!(e = mlp_fspec_entity(rv->spec, v->entity)))
		return mlp_err_set(err, MLP_ECORRUPT, "feature view '%s' names "
		    "the unknown entity '%s'", v->name, v->entity);
	ls->views = xrealloc(ls->views, (ls->nviews + 1) * sizeof(*ls->views));
	x = &ls->views[ls->nviews++];
	mlp_duration_format(v->ttl, ttl);
	x->name = xstrdup(v->name);
	x->version = v->version;
	x->entity = xstrdup(v->entity);
	x->ttl = xstrdup(ttl);
	for (k = 0; k < rv->nents && rv->ents[k] != e; k++)
		;
	if (k < rv->nents)
		return 0;
	rv->ents[rv->nents++] = e;
	ls->keys = xrealloc(ls->keys, (ls->nkeys + e->nkeys) *
	    sizeof(*ls->keys));
	for (size_t j = 0; j < e->nkeys; j++) {
		struct mlp_model_fkey *y = &ls->keys[ls->nkeys++];

		y->name = xstrdup(e->join_keys[j]);
		y->type = xstrdup(mlp_ftype_name(e->key_types[j]));
		y->entity = xstrdup(e->name);
	}
	return 0;
}

/* The canonical text of derived feature d of v. */
static int
derived_text(struct resolved *rv, const struct mlp_fview *v, size_t d,
    char **out, struct mlp_err *err)
{
	size_t vi = (size_t)(v - rv->spec->views);
	int rc;

	if (!rv->derivers[vi] &&
	    (rc = mlp_fderiver_new(v, &rv->derivers[vi], err)) < 0)
		return rc;
	*out = xstrdup(mlp_expr_text(mlp_fderiver_expr(rv->derivers[vi], d)));
	return 0;
}

static int
resolve_refs(struct resolved *rv, const struct mlp_train_spec *s,
    const struct mlp_strv *refs, struct train_fset *out,
    struct mlp_err *err)
{
	const struct mlp_train_fsource *f = &s->fstore;
	struct mlp_model_fstore *ls = xcalloc(1, sizeof(*ls));
	int rc = 0;

	out->lineage = ls;
	ls->service = f->service ? xstrdup(f->service) : NULL;
	ls->timestamp_column = xstrdup(f->ts_column ? f->ts_column :
	    "event_ts");
	ls->timestamp_format = xstrdup(mlp_tsfmt_name(
	    (enum mlp_tsfmt)f->tsfmt));
	ls->full_names = f->full_names;
	ls->refs = xcalloc(refs->n + 1, sizeof(*ls->refs));
	for (size_t i = 0; i < s->categorical.n; i++)
		mlp_strv_push(&out->categorical, s->categorical.v[i]);
	for (size_t i = 0; i < refs->n; i++) {
		struct mlp_model_fref *x = &ls->refs[ls->nrefs];
		const struct mlp_fview *v;
		struct mlp_foutput o;
		enum mlp_ftype type;

		if ((rc = mlp_fspec_resolve(rv->spec, refs->v[i], &v, &o,
		    err)) < 0) {
			if (f->service)
				mlp_err_prefix(err, "feature service '%s'",
				    f->service);
			return rc;
		}
		if ((rc = add_view(rv, ls, v, err)) < 0)
			return rc;
		type = o.kind == MLP_FOUT_DERIVED ? v->derived[o.index].type :
		    o.type;
		ls->nrefs++;
		x->ref = xasprintf("%s:%s", v->name, o.name);
		x->view = xstrdup(v->name);
		x->feature = xstrdup(o.name);
		x->input = f->full_names ? xasprintf("%s__%s", v->name, o.name) :
		    xstrdup(o.name);
		x->kind = xstrdup(kind_name(o.kind));
		x->type = xstrdup(mlp_ftype_name(type));
		if (o.kind == MLP_FOUT_DERIVED &&
		    (rc = derived_text(rv, v, o.index, &x->expr, err)) < 0)
			return rc;
		mlp_strv_push(&out->inputs, x->input);
		if ((type == MLP_FT_STRING || type == MLP_FT_BOOL) &&
		    !in_list(&out->categorical, x->input))
			mlp_strv_push(&out->categorical, x->input);
	}
	return 0;
}

/* The target is a label of the spine: one of its columns, neither a join
 * key nor its timestamp. */
static int
check_target(const struct mlp_train_spec *s, const struct mlp_strv *cols,
    const struct train_fset *out, struct mlp_err *err)
{
	const struct mlp_model_fstore *ls = out->lineage;
	const char *t = s->target;
	struct mlp_buf b = MLP_BUF_INIT;
	int rc;

	if (strcmp(t, ls->timestamp_column) == 0)
		return mlp_err_set(err, MLP_EINVAL, "the target '%s' is the "
		    "spine's timestamp column", t);
	for (size_t k = 0; k < ls->nkeys; k++)
		if (strcmp(t, ls->keys[k].name) == 0)
			return mlp_err_set(err, MLP_EINVAL, "the target '%s' is "
			    "a join key of entity '%s'", t,
			    ls->keys[k].entity);
	if (in_list(&out->inputs, t))
		return mlp_err_set(err, MLP_EINVAL, "the target '%s' is one of "
		    "the features; the target is a column of the spine", t);
	if (in_list(cols, t))
		return 0;
	for (size_t j = 0; j < cols->n && j < 20; j++)
		mlp_buf_addf(&b, "%s%s", j ? ", " : "", cols->v[j]);
	if (cols->n > 20)
		mlp_buf_adds(&b, ", ...");
	rc = mlp_err_set(err, MLP_EINVAL, "'%s' has no target column '%s' "
	    "(columns: %s)", s->fstore.spine, t, mlp_buf_str(&b));
	mlp_buf_release(&b);
	return rc;
}

/* A view without data: say which source to ingest. */
static void
no_data(const struct mlp_fspec *spec, const struct mlp_model_fstore *ls,
    struct mlp_err *err)
{
	for (size_t k = 0; k < ls->nviews; k++) {
		const struct mlp_fview *v = mlp_fspec_view(spec,
		    ls->views[k].name);
		char what[200];

		snprintf(what, sizeof(what), "feature view '%s' has no",
		    ls->views[k].name);
		if (v && strncmp(err->msg, what, strlen(what)) == 0) {
			mlp_err_set(err, MLP_ENOTFOUND, "feature view '%s' has "
			    "no ingested data: ingest its source first (mlp "
			    "feature ingest %s)", v->name, v->source);
			return;
		}
	}
}

int
train_fset_build(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const struct mlp_train_events *ev,
    struct train_fset *out, struct mlp_err *err)
{
	const struct mlp_train_fsource *f = &s->fstore;
	struct mlp_fdataset_opts o = { 0 };
	struct mlp_fdataset_result res;
	struct mlp_strv cols = MLP_STRV_INIT, svc_refs = MLP_STRV_INIT;
	const struct mlp_strv *refs = &f->refs;
	struct mlp_fspec *spec = NULL;
	struct resolved rv = { 0 };
	struct mlp_buf src = MLP_BUF_INIT;
	int fd = -1, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mlp_csv_header(f->spine, NULL, &cols, err)) < 0 ||
	    (rc = mlp_fcatalog_load(env->db, &spec, err)) < 0)
		goto out;
	if (f->service) {
		const struct mlp_fservice *sv = mlp_fspec_service(spec,
		    f->service);

		if (!sv) {
			rc = no_service(spec, f->service, err);
			goto out;
		}
		for (size_t i = 0; i < sv->nrefs; i++)
			mlp_strv_push(&svc_refs, sv->refs[i]);
		refs = &svc_refs;
		mlp_buf_addf(&src, "feature-service:%s", f->service);
	} else {
		mlp_buf_adds(&src, "feature-refs:");
		for (size_t i = 0; i < refs->n; i++)
			mlp_buf_addf(&src, "%s%s", i ? "," : "", refs->v[i]);
	}
	rv.spec = spec;
	rv.derivers = xcalloc(spec->nviews + 1, sizeof(*rv.derivers));
	rv.ents = xcalloc(spec->nentities + 1, sizeof(*rv.ents));
	if ((rc = resolve_refs(&rv, s, refs, out, err)) < 0 ||
	    (rc = check_target(s, &cols, out, err)) < 0)
		goto out;
	out->path = xasprintf("%s/train-features-XXXXXX.csv",
	    mlp_store_tmp_dir(env->st));
	if ((fd = mkostemps(out->path, 4, O_CLOEXEC)) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s",
		    out->path, strerror(errno));
		free(out->path);
		out->path = NULL;
		goto out;
	}
	o.spine = f->spine;
	o.ts_column = f->ts_column;
	o.tsfmt = (enum mlp_tsfmt)f->tsfmt;
	o.refs = (const char *const *)refs->v;
	o.nrefs = refs->n;
	o.full_names = f->full_names;
	o.out_fd = fd;
	if ((rc = mlp_fdataset(env->db, env->st, spec, &o, &res, err)) < 0) {
		if (rc == MLP_ENOTFOUND)
			no_data(spec, out->lineage, err);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s",
		    out->path, strerror(errno));
		goto out;
	}
	fd = -1;
	memcpy(out->digest, res.digest, sizeof(out->digest));
	out->rows = res.rows;
	out->source = mlp_buf_detach(&src);
	train_note(ev, "training set from %s: %llu row%s, %zu feature%s "
	    "(sha256 %.12s)", out->source, (unsigned long long)res.rows,
	    res.rows == 1 ? "" : "s", out->inputs.n,
	    out->inputs.n == 1 ? "" : "s", res.digest);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		train_fset_release(out);
	for (size_t i = 0; rv.derivers && i < spec->nviews; i++)
		mlp_fderiver_free(rv.derivers[i]);
	free(rv.derivers);
	free(rv.ents);
	mlp_buf_release(&src);
	mlp_strv_release(&cols);
	mlp_strv_release(&svc_refs);
	mlp_fspec_free(spec);
	return rc;
}
