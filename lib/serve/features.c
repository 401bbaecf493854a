/* The feature store in mlp serve: Feast's POST /get-online-features and
 * POST /push, and models trained on feature-store features answered from
 * entity keys (the online features fetched, the same expressions applied).
 * The catalog is read at start and again when the database changes; the
 * online store's handles are pooled, one per request in flight. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "db/db.h"
#include "feature/feature.h"
#include "internal.h"
#include "proto.h"
#include "store/store.h"

/* Plans made for a catalog, by what they were asked for ("s:SERVICE",
 * "r:REF,REF", "m:MODEL/VERSION"). */
#define PLANS_MAX 256

struct fplan {
	char *key;
	struct mlp_fget_plan *plan;
};

/* A catalog as read once: requests hold a reference while they use it. */
struct fcat {
	atomic_int refs;
	struct mlp_fspec *spec;
	pthread_mutex_t lock;	/* plans */
	struct fplan *plans;
	size_t nplans;
};

struct sv_features {
	char *mlp_dir, *db_path, *uri;
	pthread_mutex_t lock;	/* cat and pool */
	struct fcat *cat;
	struct mlp_online **pool;
	size_t npool, apool;
	pthread_mutex_t push_lock;	/* one offline push at a time */
};

static void
fcat_release(struct fcat *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (size_t i = 0; i < c->nplans; i++) {
		free(c->plans[i].key);
		mlp_fget_plan_free(c->plans[i].plan);
	}
	free(c->plans);
	pthread_mutex_destroy(&c->lock);
	mlp_fspec_free(c->spec);
	free(c);
}

static struct fcat *
fcat_get(struct sv_features *f)
{
	struct fcat *c;

	pthread_mutex_lock(&f->lock);
	c = f->cat;
	if (c)
		atomic_fetch_add(&c->refs, 1);
	pthread_mutex_unlock(&f->lock);
	return c;
}

/* The plan for key (refs[0..n) when it must be made), made once per
 * catalog. */
static int
fcat_plan(struct fcat *c, const char *key, const char *const *refs,
    size_t n, const struct mlp_fget_plan **out, struct mlp_err *err)
{
	struct mlp_fget_plan *p = NULL;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nplans; i++)
		if (strcmp(c->plans[i].key, key) == 0) {
			*out = c->plans[i].plan;
			goto out;
		}
	if ((rc = mlp_fget_prepare(c->spec, refs, n, &p, err)) < 0)
		goto out;
	if (c->nplans == PLANS_MAX) {
		/* requests may still use the plans: keep this one apart */
		*out = p;
		rc = 1;
		goto out;
	}
	c->plans = xrealloc(c->plans, (c->nplans + 1) * sizeof(*c->plans));
	c->plans[c->nplans].key = xstrdup(key);
	c->plans[c->nplans++].plan = p;
	*out = p;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static int
load_catalog(struct sv_features *f, struct mlp_db *db, struct mlp_err *err)
{
	struct mlp_fspec *spec = NULL;
	struct fcat *c, *old;
	int rc;

	if ((rc = mlp_fcatalog_load(db, &spec, err)) < 0)
		return rc;
	c = xcalloc(1, sizeof(*c));
	atomic_init(&c->refs, 1);
	c->spec = spec;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_lock(&f->lock);
	old = f->cat;
	f->cat = c;
	pthread_mutex_unlock(&f->lock);
	fcat_release(old);
	return 0;
}

int
sv_features_open(struct server *s, struct mlp_db *db, const char *uri,
    struct mlp_err *err)
{
	struct sv_features *f = xcalloc(1, sizeof(*f));
	const char *slash = strrchr(db->path, '/');
	int rc;

	pthread_mutex_init(&f->lock, NULL);
	pthread_mutex_init(&f->push_lock, NULL);
	f->mlp_dir = slash ? xstrndup(db->path, (size_t)(slash - db->path)) :
	    xstrdup(".");
	f->db_path = xstrdup(db->path);
	f->uri = xstrdup(uri ? uri : MLP_ONLINE_DEFAULT);
	if ((rc = load_catalog(f, db, err)) < 0) {
		s->features = f;
		sv_features_close(s);
		return rc;
	}
	s->features = f;
	return 0;
}

void
sv_features_reload(struct server *s, struct mlp_db *db)
{
	struct mlp_err err;

	/* a catalog that cannot be read keeps the one before */
	if (s->features)
		load_catalog(s->features, db, &err);
}

void
sv_features_close(struct server *s)
{
	struct sv_features *f = s->features;

	if (!f)
		return;
	for (size_t i = 0; i < f->npool; i++)
		mlp_online_close(f->pool[i]);
	free(f->pool);
	fcat_release(f->cat);
	pthread_mutex_destroy(&f->lock);
	pthread_mutex_destroy(&f->push_lock);
	free(f->mlp_dir);
	free(f->db_path);
	free(f->uri);
	free(f);
	s->features = NULL;
}

/* An online store handle for one request: an idle one, else a new one. */
static int
online_take(struct sv_features *f, struct mlp_online **o,
    struct mlp_err *err)
{
	pthread_mutex_lock(&f->lock);
	*o = f->npool ? f->pool[--f->npool] : NULL;
	pthread_mutex_unlock(&f->lock);
	return *o ? 0 : mlp_online_open(o, f->uri, f->mlp_dir, err);
}

/* Gives o back, or closes it after a failure (a Redis connection out of
 * step). */
static void
online_give(struct sv_features *f, struct mlp_online *o, int failed)
{
	if (!o)
		return;
	if (failed) {
		mlp_online_close(o);
		return;
	}
	pthread_mutex_lock(&f->lock);
	mlp_grow(&f->pool, &f->apool, f->npool + 1, sizeof(*f->pool));
	f->pool[f->npool++] = o;
	pthread_mutex_unlock(&f->lock);
}

static int
status_of(int rc)
{
	return rc == MLP_EINVAL ? 400 : rc == MLP_ENOTFOUND ? 404 :
	    rc == MLP_EFAIL ? 503 : 500;
}

/* The time features are read at: the X-MLP-Feature-Time header
 * (ISO-8601, for replaying a moment), else now. */
static int
feature_time(struct MHD_Connection *conn, int64_t *at, struct reply *r)
{
	const char *h = sv_header(conn, "X-MLP-Feature-Time");

	if (!h) {
		*at = mlp_now_ms() * 1000;
		return 0;
	}
	if (mlp_ts_parse(h, strlen(h), MLP_TSFMT_ISO8601, at) < 0) {
		reply_error(r, 400, "X-MLP-Feature-Time: '%.60s' is not an "
		    "ISO-8601 time", h);
		return -1;
	}
	return 0;
}

/* POST /get-online-features */
static void
get_online(struct server *s, struct MHD_Connection *conn,
    const struct mlp_buf *body, struct reply *r)
{
	struct sv_features *f = s->features;
	struct serve_feast_get g;
	struct fcat *c = fcat_get(f);
	const struct mlp_fget_plan *plan = NULL;
	struct mlp_fget_req req = { 0 };
	struct mlp_fget_res res = { 0 };
	struct mlp_online *o = NULL;
	struct mlp_buf key = MLP_BUF_INIT;
	struct mlp_err err;
	const char *const *refs;
	size_t nrefs;
	int rc, own = 0;

	mlp_err_clear(&err);
	if ((rc = serve_decode_feast_get(body->s, body->len, &g, &err)) != 0) {
		reply_error(r, rc, "%s", err.msg);
		fcat_release(c);
		return;
	}
	if (g.service) {
		const struct mlp_fservice *sv = mlp_fspec_service(c->spec,
		    g.service);

		if (!sv) {
			reply_error(r, 404, "feature_service: no feature "
			    "service '%.100s'", g.service);
			goto out;
		}
		refs = (const char *const *)sv->refs;
		nrefs = sv->nrefs;
		mlp_buf_addf(&key, "s:%s", g.service);
	} else {
		refs = (const char *const *)g.refs;
		nrefs = g.nrefs;
		mlp_buf_adds(&key, "r:");
		for (size_t i = 0; i < nrefs; i++)
			mlp_buf_addf(&key, "%s%s", i ? "," : "", refs[i]);
	}
	if ((rc = fcat_plan(c, key.s, refs, nrefs, &plan, &err)) < 0) {
		reply_error(r, status_of(rc), "%s", err.msg);
		goto out;
	}
	own = rc == 1;
	req.key_names = (const char *const *)g.key_names;
	req.key_cols = (const struct mlp_fval *const *)g.key_cols;
	req.nkeys = g.nkeys;
	req.n = g.n;
	if (feature_time(conn, &req.at, r) < 0)
		goto out;
	if ((rc = online_take(f, &o, &err)) < 0) {
		reply_error(r, 503, "%s", err.msg);
		goto out;
	}
	rc = mlp_fget(o, plan, &req, &res, &err);
	online_give(f, o, rc < 0 && rc != MLP_EINVAL);
	if (rc < 0) {
		reply_error(r, status_of(rc), "%s", err.msg);
		goto out;
	}
	r->code = 200;
	mlp_fget_json(plan, &req, &res, g.full_names, &r->body);
out:
	if (own)
		mlp_fget_plan_free((struct mlp_fget_plan *)plan);
	mlp_fget_res_release(&res);
	mlp_buf_release(&key);
	serve_feast_get_release(&g);
	fcat_release(c);
}

/* A value of Feast's push "df" column: a number (int when whole), a
 * string, a bool or null. */
static void
df_value(const cJSON *v, struct mlp_fval *out)
{
	memset(out, 0, sizeof(*out));
	if (cJSON_IsString(v)) {
		out->type = MLP_FT_STRING;
		out->v.str.s = v->valuestring;
		out->v.str.n = strlen(v->valuestring);
	} else if (cJSON_IsBool(v)) {
		out->type = MLP_FT_BOOL;
		out->v.b = cJSON_IsTrue(v);
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		/* whole numbers as ints: a float column takes them, an
		 * int column needs them */
		if (d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
		    d == (double)(int64_t)d) {
			out->type = MLP_FT_INT;
			out->v.i = (int64_t)d;
		} else {
			out->type = MLP_FT_FLOAT;
			out->v.f = d;
		}
	} else {
		out->type = MLP_FT_FLOAT;
		out->null = 1;
	}
}

/* POST /push: {"push_source_name": VIEW, "df": {column: [values]},
 * "to": "online" | "offline" | "online_and_offline"}. Feast pushes to a
 * push source; specs here have none, so the name is a feature view's. */
static void
push(struct server *s, const struct mlp_buf *body, struct reply *r)
{
	struct sv_features *f = s->features;
	struct fcat *c = fcat_get(f);
	struct mlp_fpusher *p = NULL;
	struct mlp_online *o = NULL;
	struct mlp_fpush_stats stats = { 0 };
	struct mlp_fval **cols = NULL;
	const char **names = NULL;
	cJSON *doc = NULL;
	const cJSON *name, *df, *to, *col;
	struct mlp_err err;
	size_t ncols = 0, n = 0;
	unsigned where = MLP_FPUSH_ONLINE;
	int rc;

	mlp_err_clear(&err);
	if ((rc = serve_check_body(body->s, body->len, &err)) != 0 ||
	    (rc = serve_json_parse(body->s, body->len, &doc, &err)) != 0) {
		reply_error(r, rc, "%s", err.msg);
		goto out;
	}
	name = cJSON_GetObjectItemCaseSensitive(doc, "push_source_name");
	df = cJSON_GetObjectItemCaseSensitive(doc, "df");
	to = cJSON_GetObjectItemCaseSensitive(doc, "to");
	if (!cJSON_IsString(name)) {
		reply_error(r, 400, "push_source_name: expected a feature "
		    "view's name");
		goto out;
	}
	if (!cJSON_IsObject(df) || !df->child) {
		reply_error(r, 400, "df: expected an object of columns to "
		    "lists of values");
		goto out;
	}
	if (to && (!cJSON_IsString(to) ||
	    (strcmp(to->valuestring, "online") != 0 &&
	    strcmp(to->valuestring, "offline") != 0 &&
	    strcmp(to->valuestring, "online_and_offline") != 0))) {
		reply_error(r, 400, "to: expected \"online\", \"offline\" or "
		    "\"online_and_offline\"");
		goto out;
	}
	if (to)
		where = strcmp(to->valuestring, "online") == 0 ?
		    MLP_FPUSH_ONLINE : strcmp(to->valuestring, "offline") ==
		    0 ? MLP_FPUSH_OFFLINE : MLP_FPUSH_ONLINE |
		    MLP_FPUSH_OFFLINE;
	ncols = (size_t)cJSON_GetArraySize(df);
	names = xcalloc(ncols, sizeof(*names));
	cols = xcalloc(ncols, sizeof(*cols));
	{
		size_t k = 0;

		cJSON_ArrayForEach(col, df) {
			size_t len, i = 0;
			const cJSON *v;

			names[k] = col->string;
			if (!cJSON_IsArray(col)) {
				reply_error(r, 400, "df.%.60s: expected a "
				    "list of values", col->string);
				goto out;
			}
			len = (size_t)cJSON_GetArraySize(col);
			if (k == 0)
				n = len;
			else if (len != n) {
				reply_error(r, 400, "df.%.60s: %zu values "
				    "where df.%.60s has %zu", col->string, len,
				    names[0], n);
				goto out;
			}
			cols[k] = xcalloc(len ? len : 1, sizeof(**cols));
			cJSON_ArrayForEach(v, col)
				df_value(v, &cols[k][i++]);
			k++;
		}
	}
	if ((rc = mlp_fpush_new(c->spec, name->valuestring, where, &p,
	    &err)) < 0 || (rc = mlp_fpush_columns(p, names,
	    (const struct mlp_fval *const *)cols, ncols, n, &err)) < 0) {
		reply_error(r, status_of(rc), "%s", err.msg);
		goto out;
	}
	if ((where & MLP_FPUSH_ONLINE) && (rc = online_take(f, &o, &err)) < 0) {
		reply_error(r, 503, "%s", err.msg);
		goto out;
	}
	if (where & MLP_FPUSH_OFFLINE) {
		struct mlp_db *db = NULL;
		struct mlp_store *st = NULL;
		struct mlp_fpush_offline off = { 0 };
		char *tmp = xasprintf("%s/tmp", f->mlp_dir);

		/* the offline store takes one batch at a time */
		pthread_mutex_lock(&f->push_lock);
		if ((rc = mlp_db_open(&db, f->db_path, 0, &err)) == 0 &&
		    (rc = mlp_store_open(&st, f->mlp_dir, NULL, NULL,
		    &err)) == 0) {
			off.db = db;
			off.st = st;
			off.tmpdir = tmp;
			off.user = "mlp-serve";
			rc = mlp_fpush_flush(p, where, o, &off, &stats, &err);
		}
		pthread_mutex_unlock(&f->push_lock);
		mlp_store_free(st);
		mlp_db_close(db);
		free(tmp);
	} else {
		rc = mlp_fpush_flush(p, where, o, NULL, &stats, &err);
	}
	online_give(f, o, rc < 0);
	o = NULL;
	if (rc < 0) {
		reply_error(r, status_of(rc), "%s", err.msg);
		goto out;
	}
	r->code = 200;
	mlp_buf_addf(&r->body, "{\"events\":%zu,\"online_records\":%llu,"
	    "\"offline_events\":%llu}\n", n, (unsigned long long)
	    stats.records, (unsigned long long)stats.offline_events);
out:
	if (o)
		online_give(f, o, 0);
	for (size_t k = 0; k < ncols; k++)
		free(cols ? cols[k] : NULL);
	free(cols);
	free(names);
	mlp_fpush_free(p);
	cJSON_Delete(doc);
	fcat_release(c);
}

int
sv_features_route(struct server *s, struct MHD_Connection *conn,
    const char *url, const char *method, const struct mlp_buf *body,
    struct reply *r)
{
	int get = sv_is(url, "/get-online-features"), put = sv_is(url, "/push");

	if (!get && !put)
		return 0;
	r->proto = SV_OTHER;
	if (!sv_is(method, "POST")) {
		sv_method_not_allowed(r, "POST", method);
		return 1;
	}
	if (!s->features) {
		reply_error(r, 404, "this server has no feature store (it "
		    "serves -m models only)");
		return 1;
	}
	if (get)
		get_online(s, conn, body, r);
	else
		push(s, body, r);
	return 1;
}

/* Models trained on feature-store features, asked with entity keys. */

/* A named column of entity keys from a request. */
struct kcol {
	const char *name;
	const cJSON *vals;	/* an array, or NULL for records */
};

/* Flattens OIP's data ([n] or [n, 1], flat or nested) of one input. */
static int
oip_values(const cJSON *data, cJSON **flat)
{
	const cJSON *v;

	*flat = cJSON_CreateArray();
	cJSON_ArrayForEach(v, data) {
		if (cJSON_IsArray(v)) {
			if (cJSON_GetArraySize(v) != 1)
				return -1;
			cJSON_AddItemReferenceToArray(*flat, v->child);
		} else {
			cJSON_AddItemReferenceToArray(*flat, (cJSON *)v);
		}
	}
	return 0;
}

/* The key columns the body names (*cols, *records for the record forms:
 * one object per entity); 0, or -1 when the body has none of the forms. */
static int
key_columns(const cJSON *doc, enum sv_proto proto, struct kcol *cols,
    size_t max, size_t *ncols, const cJSON **records, cJSON *keep)
{
	const cJSON *x, *it;
	int rc;

	*ncols = 0;
	*records = NULL;
	if (!cJSON_IsObject(doc))
		return -1;
	if (proto == SV_OIP) {
		if (!cJSON_IsArray(x = cJSON_GetObjectItemCaseSensitive(doc,
		    "inputs")))
			return -1;
		cJSON_ArrayForEach(it, x) {
			const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it,
			    "name"), *d = cJSON_GetObjectItemCaseSensitive(it,
			    "data");
			cJSON *flat;

			if (!cJSON_IsString(nm) || !cJSON_IsArray(d) ||
			    *ncols == max)
				return -1;
			rc = oip_values(d, &flat);
			cJSON_AddItemToArray(keep, flat);
			if (rc < 0)
				return -1;
			cols[*ncols].name = nm->valuestring;
			cols[(*ncols)++].vals = flat;
		}
		return 0;
	}
	if (proto == SV_MLFLOW && (x = cJSON_GetObjectItemCaseSensitive(doc,
	    "dataframe_split"))) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(x, "columns"),
		    *d = cJSON_GetObjectItemCaseSensitive(x, "data");
		int k = 0;

		if (!cJSON_IsArray(c) || !cJSON_IsArray(d))
			return -1;
		cJSON_ArrayForEach(it, c) {
			cJSON *col = cJSON_CreateArray();
			const cJSON *row;

			if (!cJSON_IsString(it) || *ncols == max) {
				cJSON_Delete(col);
				return -1;
			}
			cJSON_AddItemToArray(keep, col);
			cJSON_ArrayForEach(row, d) {
				const cJSON *v = cJSON_GetArrayItem(row, k);

				if (!cJSON_IsArray(row) || !v)
					return -1;
				cJSON_AddItemReferenceToArray(col, (cJSON *)v);
			}
			cols[*ncols].name = it->valuestring;
			cols[(*ncols)++].vals = col;
			k++;
		}
		return 0;
	}
	if (proto == SV_MLFLOW && cJSON_IsObject(x =
	    cJSON_GetObjectItemCaseSensitive(doc, "inputs"))) {
		cJSON_ArrayForEach(it, x) {
			if (!cJSON_IsArray(it) || *ncols == max)
				return -1;
			cols[*ncols].name = it->string;
			cols[(*ncols)++].vals = it;
		}
		return 0;
	}
	x = proto == SV_MLFLOW ? cJSON_GetObjectItemCaseSensitive(doc,
	    "dataframe_records") : NULL;
	if (!x)
		x = cJSON_GetObjectItemCaseSensitive(doc, "instances");
	if (!cJSON_IsArray(x) || !cJSON_IsObject(x->child))
		return -1;
	*records = x;
	cJSON_ArrayForEach(it, x->child) {
		if (*ncols == max)
			return -1;
		cols[*ncols].name = it->string;
		cols[(*ncols)++].vals = NULL;
	}
	return 0;
}

/* An entity key as the feature store takes it: an integer or a string. */
static int
key_fval(const cJSON *v, const char *key, size_t i, struct mlp_fval *out,
    struct mlp_err *err)
{
	memset(out, 0, sizeof(*out));
	if (cJSON_IsString(v)) {
		out->type = MLP_FT_STRING;
		out->v.str.s = v->valuestring;
		out->v.str.n = strlen(v->valuestring);
		return 0;
	}
	if (cJSON_IsNumber(v) && v->valuedouble >= -9007199254740992.0 &&
	    v->valuedouble <= 9007199254740992.0 &&
	    v->valuedouble == (double)(int64_t)v->valuedouble) {
		out->type = MLP_FT_INT;
		out->v.i = (int64_t)v->valuedouble;
		return 0;
	}
	return mlp_err_set(err, MLP_EINVAL, "'%s'[%zu]: an entity key must "
	    "be an integer or a string", key, i);
}

/* The model input j's value from a feature's: floats and ints as numbers,
 * strings and bools as the levels training saw (dataset prints bools as
 * true and false), NaN for null. The value, not the status: an entity
 * the store has not seen has the values dataset gives one without rows
 * (a count of 0, derived features of nulls), NOT_FOUND. */
static float
input_value(const struct mlp_column *c, const struct mlp_fval *v)
{
	float x = NAN;

	if (v->null)
		return NAN;
	switch (v->type) {
	case MLP_FT_FLOAT:
		return c->type == MLP_COL_NUM ? (float)v->v.f : NAN;
	case MLP_FT_INT:
		return c->type == MLP_COL_NUM ? (float)v->v.i : NAN;
	case MLP_FT_BOOL:
		mlp_column_value(c, v->v.b ? "true" : "false", v->v.b ? 4 : 5,
		    &x);
		return x;
	case MLP_FT_STRING:
		if (mlp_column_value(c, v->v.str.s, v->v.str.n, &x) < 0)
			return NAN;
		return x;
	}
	return NAN;
}

int
sv_features_rows(struct server *s, struct MHD_Connection *conn,
    enum sv_proto proto, const struct mlp_model *m,
    const struct mlp_buf *body, struct serve_req *out, struct reply *r)
{
	const struct mlp_model_fstore *fs = m->fstore;
	struct sv_features *f = s->features;
	struct kcol cols[64];
	const cJSON *records = NULL;
	cJSON *doc = NULL, *keep = NULL;
	struct fcat *c = NULL;
	const struct mlp_fget_plan *plan = NULL;
	struct mlp_fget_req req = { 0 };
	struct mlp_fget_res res = { 0 };
	struct mlp_online *o = NULL;
	struct mlp_fval **kv = NULL;
	const char **kn = NULL;
	const char **refs = NULL;
	struct mlp_buf key = MLP_BUF_INIT;
	struct mlp_err err;
	size_t ncols, n = 0;
	int rc = 1, own = 0;
	float **x;

	mlp_err_clear(&err);
	memset(out, 0, sizeof(*out));
	if (!fs || !f || fs->nkeys == 0 || fs->nrefs != m->nfeat ||
	    serve_check_body(body->s, body->len, NULL) != 0 ||
	    serve_json_parse(body->s, body->len, &doc, NULL) != 0)
		goto out;
	keep = cJSON_CreateArray();
	if (key_columns(doc, proto, cols, 64, &ncols, &records, keep) < 0)
		goto out;
	/* an entity request names every join key and no model input */
	for (size_t k = 0; k < fs->nkeys; k++) {
		size_t i = 0;

		while (i < ncols && strcmp(cols[i].name, fs->keys[k].name))
			i++;
		if (i == ncols)
			goto out;
	}
	for (size_t i = 0; i < ncols; i++)
		for (size_t j = 0; j < m->nfeat; j++)
			if (strcmp(cols[i].name, m->feat[j].name) == 0)
				goto out;
	rc = 400;
	n = records ? (size_t)cJSON_GetArraySize(records) :
	    ncols ? (size_t)cJSON_GetArraySize(cols[0].vals) : 0;
	if (n == 0) {
		reply_error(r, 400, "no entities given");
		goto out;
	}
	if (n > SERVE_MAX_ROWS) {
		rc = 413;
		reply_error(r, 413, "more than %zu entities",
		    (size_t)SERVE_MAX_ROWS);
		goto out;
	}
	kn = xcalloc(fs->nkeys, sizeof(*kn));
	kv = xcalloc(fs->nkeys, sizeof(*kv));
	for (size_t k = 0; k < fs->nkeys; k++) {
		const char *name = fs->keys[k].name;
		size_t ci = 0;

		while (strcmp(cols[ci].name, name))
			ci++;
		kn[k] = name;
		kv[k] = xcalloc(n, sizeof(**kv));
		if (!records && (size_t)cJSON_GetArraySize(cols[ci].vals) !=
		    n) {
			reply_error(r, 400, "'%s': %d values for %zu entities",
			    name, cJSON_GetArraySize(cols[ci].vals), n);
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			const cJSON *v = records ?
			    cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetArrayItem(records, (int)i), name) :
			    cJSON_GetArrayItem(cols[ci].vals, (int)i);

			if (key_fval(v, name, i, &kv[k][i], &err) < 0) {
				reply_error(r, 400, "%s", err.msg);
				goto out;
			}
		}
	}
	c = fcat_get(f);
	refs = xcalloc(fs->nrefs, sizeof(*refs));
	mlp_buf_adds(&key, "r:");
	for (size_t i = 0; i < fs->nrefs; i++) {
		refs[i] = fs->refs[i].ref;
		mlp_buf_addf(&key, "%s%s", i ? "," : "", refs[i]);
	}
	if ((rc = fcat_plan(c, key.s, refs, fs->nrefs, &plan, &err)) < 0) {
		rc = status_of(rc) == 404 ? 503 : status_of(rc);
		reply_error(r, rc, "the model's features: %s", err.msg);
		goto out;
	}
	own = rc == 1;
	req.key_names = kn;
	req.key_cols = (const struct mlp_fval *const *)kv;
	req.nkeys = fs->nkeys;
	req.n = n;
	if (feature_time(conn, &req.at, r) < 0) {
		rc = 400;
		goto out;
	}
	if ((rc = online_take(f, &o, &err)) < 0) {
		rc = 503;
		reply_error(r, rc, "%s", err.msg);
		goto out;
	}
	rc = mlp_fget(o, plan, &req, &res, &err);
	online_give(f, o, rc < 0 && rc != MLP_EINVAL);
	if (rc < 0) {
		rc = status_of(rc);
		reply_error(r, rc, "%s", err.msg);
		goto out;
	}
	x = serve_req_alloc(out, m->nfeat, n, NULL, 0);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < m->nfeat; j++)
			x[j][i] = input_value(&m->feat[j],
			    &res.values[i * m->nfeat + j]);
	rc = 0;
out:
	if (own)
		mlp_fget_plan_free((struct mlp_fget_plan *)plan);
	mlp_fget_res_release(&res);
	for (size_t k = 0; kv && k < fs->nkeys; k++)
		free(kv[k]);
	free(kv);
	free(kn);
	free(refs);
	mlp_buf_release(&key);
	cJSON_Delete(keep);
	cJSON_Delete(doc);
	fcat_release(c);
	return rc;
}
