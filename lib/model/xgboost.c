/* The XGBoost importer: a JSON model (Booster.save_model("m.json"), the
 * schema of XGBoost's doc/model.schema) into the flat predictor, nodes
 * renumbered so that every node's children are adjacent. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Limits that keep a damaged file from asking for gigabytes: features
 * (each gets a name) and classes (mlp_model_check also wants a tree for
 * each). */
#define XGB_MAX_FEATURES (1L << 20)
#define XGB_MAX_CLASSES ((long)MLP_MODEL_MAX_CLASSES)

struct xrd {
	const char *path;
	struct mlp_err *err;
};

static int
xbad(struct xrd *x, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* MLP_EINVAL naming the file and the field. */
static int
xbad(struct xrd *x, const char *field, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return mlp_err_set(x->err, MLP_EINVAL, "'%s': field '%s': %s",
	    x->path, field, what);
}

static const cJSON *
get(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* XGBoost writes parameters as strings ("5E-1"); plain numbers are taken
 * too. */
static int
param_double(struct xrd *x, const cJSON *o, const char *name,
    const char *field, double *out)
{
	const cJSON *v = get(o, name);

	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v))
		return xbad(x, field, v ? "expected a number as a string" :
		    "missing");
	if (mlp_parse_double(v->valuestring, out) < 0 || !isfinite(*out))
		return xbad(x, field, "'%.40s' is not a number",
		    v->valuestring);
	return 0;
}

/* The base score of each of the ng groups: one number for all ("5E-1", a
 * number, or from XGBoost 3.1 "[5E-1]"), or a list of one per group
 * ("[1E-1,2E-1,3E-1]", XGBoost 3.1 multi-class models). */
static int
base_scores(struct xrd *x, const cJSON *lmp, int ng, double *out)
{
	static const char field[] = "learner.learner_model_param.base_score";
	const cJSON *v = get(lmp, "base_score");
	const char *s, *end;
	int n = 0, rc;

	if (!cJSON_IsString(v) || v->valuestring[0] != '[') {
		if ((rc = param_double(x, lmp, "base_score", field, out)) < 0)
			return rc;
		for (int g = 1; g < ng; g++)
			out[g] = out[0];
		return 0;
	}
	s = v->valuestring + 1;
	end = strchr(s, ']');
	if (!end || end[1])
		return xbad(x, field, "'%.40s' is not a list of numbers",
		    v->valuestring);
	while (s < end) {
		size_t len = strcspn(s, ",]");
		char buf[64];

		if (len == 0 || len >= sizeof(buf) || n == ng)
			break;
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (mlp_parse_double(buf, &out[n]) < 0 || !isfinite(out[n]))
			break;
		n++;
		s += len;
		if (*s == ',')
			s++;
	}
	if (s < end || n == 0 || (n != 1 && n != ng))
		return xbad(x, field, "'%.40s' is not one number or %d",
		    v->valuestring, ng);
	for (int g = n; g < ng; g++)
		out[g] = out[0];
	return 0;
}

static int
param_int(struct xrd *x, const cJSON *o, const char *name, const char *field,
    long lo, long hi, long *out)
{
	double d;
	int rc;

	if ((rc = param_double(x, o, name, field, &d)) < 0)
		return rc;
	if (d != floor(d) || d < lo || d > hi)
		return xbad(x, field, "%.17g is not an integer in %ld..%ld",
		    d, lo, hi);
	*out = (long)d;
	return 0;
}

/* A tree's array of n numbers; booleans are numbers (old default_left). */
static int
tree_array(struct xrd *x, const cJSON *tree, const char *name, size_t t,
    size_t n, double **out)
{
	const cJSON *a = get(tree, name), *v;
	char field[64];
	size_t i = 0;
	double *d;

	snprintf(field, sizeof(field), "trees[%zu].%s", t, name);
	*out = NULL;
	if (!cJSON_IsArray(a))
		return xbad(x, field, a ? "expected an array" : "missing");
	if ((size_t)cJSON_GetArraySize(a) != n)
		return xbad(x, field, "expected %zu value%s (num_nodes), found "
		    "%d", n, n == 1 ? "" : "s", cJSON_GetArraySize(a));
	d = xmalloc((n ? n : 1) * sizeof(double));
	cJSON_ArrayForEach(v, a) {
		if (cJSON_IsNumber(v))
			d[i] = v->valuedouble;
		else if (cJSON_IsBool(v))
			d[i] = cJSON_IsTrue(v);
		else {
			free(d);
			return xbad(x, field, "value %zu is not a number", i);
		}
		i++;
	}
	*out = d;
	return 0;
}

/* Whether every value of the optional array name is 0 (split_type: only
 * numerical splits are supported). */
static int
all_zero(const cJSON *tree, const char *name)
{
	const cJSON *a = get(tree, name), *v;

	cJSON_ArrayForEach(v, a)
		if (!cJSON_IsNumber(v) || v->valuedouble != 0)
			return 0;
	return 1;
}

struct xtree {
	double *left, *right, *feat, *cond, *dl;
	size_t n;
};

static void
xtree_release(struct xtree *xt)
{
	free(xt->left);
	free(xt->right);
	free(xt->feat);
	free(xt->cond);
	free(xt->dl);
}

/* Appends tree t to m, breadth first from XGBoost's root (node 0), so that
 * a node's children get adjacent numbers after it. */
static int
add_tree(struct xrd *x, struct mlp_model *m, size_t t, const struct xtree *xt,
    size_t *alloc, long nfeat)
{
	uint32_t *queue = xmalloc(xt->n * sizeof(uint32_t));
	uint8_t *seen = xcalloc(xt->n, 1);
	size_t head = 0, tail = 0, base = m->nnodes;
	char field[64];
	int rc = 0;

	snprintf(field, sizeof(field), "trees[%zu]", t);
	if (base + xt->n > *alloc) {
		/* the four node arrays grow together */
		*alloc = *alloc * 2 > base + xt->n ? *alloc * 2 : base + xt->n;
		m->split_feat = xrealloc(m->split_feat, *alloc *
		    sizeof(int32_t));
		m->split_value = xrealloc(m->split_value, *alloc *
		    sizeof(float));
		m->left = xrealloc(m->left, *alloc * sizeof(uint32_t));
		m->default_left = xrealloc(m->default_left, *alloc);
	}
	queue[tail++] = 0;
	seen[0] = 1;
	while (head < tail) {
		size_t old = queue[head], n = base + head++;
		double l = xt->left[old], r = xt->right[old];
		double f = xt->feat[old], c = xt->cond[old];

		if (!(fabs(c) <= FLT_MAX)) {
			rc = xbad(x, field, "node %zu: split_conditions is not "
			    "finite", old);
			goto out;
		}
		m->split_value[n] = (float)c;
		m->default_left[n] = xt->dl[old] != 0;
		if (l == -1) {
			m->split_feat[n] = -1;
			m->left[n] = 0;
			continue;
		}
		if (l != floor(l) || r != floor(r) || l < 1 || r < 1 ||
		    l >= xt->n || r >= xt->n || l == r) {
			rc = xbad(x, field, "node %zu: children %.17g, %.17g "
			    "out of range (num_nodes %zu)", old, l, r, xt->n);
			goto out;
		}
		if (seen[(size_t)l] || seen[(size_t)r]) {
			rc = xbad(x, field, "node %zu: a child has two parents",
			    old);
			goto out;
		}
		if (f != floor(f) || f < 0 || f >= nfeat) {
			rc = xbad(x, field, "node %zu: split_indices %.17g out "
			    "of range (num_feature %ld)", old, f, nfeat);
			goto out;
		}
		m->split_feat[n] = (int32_t)f;
		m->left[n] = (uint32_t)(base + tail);
		seen[(size_t)l] = seen[(size_t)r] = 1;
		queue[tail++] = (uint32_t)l;
		queue[tail++] = (uint32_t)r;
	}
	m->nnodes = base + tail;
out:
	free(queue);
	free(seen);
	return rc;
}

static int
read_tree(struct xrd *x, const cJSON *tree, size_t t, struct xtree *xt)
{
	const cJSON *tp = get(tree, "tree_param");
	char field[64];
	long n;
	int rc;

	memset(xt, 0, sizeof(*xt));
	snprintf(field, sizeof(field), "trees[%zu].tree_param.num_nodes", t);
	if (!cJSON_IsObject(tree))
		return xbad(x, "trees", "tree %zu is not an object", t);
	if ((rc = param_int(x, tp, "num_nodes", field, 1, INT32_MAX, &n)) < 0)
		return rc;
	xt->n = (size_t)n;
	if (!all_zero(tree, "split_type")) {
		snprintf(field, sizeof(field), "trees[%zu].split_type", t);
		return mlp_err_set(x->err, MLP_EUNSUPPORTED, "'%s': field '%s':"
		    " categorical splits are not supported", x->path, field);
	}
	if ((rc = tree_array(x, tree, "left_children", t, xt->n,
	    &xt->left)) < 0 ||
	    (rc = tree_array(x, tree, "right_children", t, xt->n,
	    &xt->right)) < 0 ||
	    (rc = tree_array(x, tree, "split_indices", t, xt->n,
	    &xt->feat)) < 0 ||
	    (rc = tree_array(x, tree, "split_conditions", t, xt->n,
	    &xt->cond)) < 0 ||
	    (rc = tree_array(x, tree, "default_left", t, xt->n, &xt->dl)) < 0)
		return rc;
	return 0;
}

static int
read_features(struct xrd *x, const cJSON *learner, struct mlp_model *m,
    long nfeat)
{
	const cJSON *names = get(learner, "feature_names");
	const cJSON *types = get(learner, "feature_types"), *v;
	size_t j = 0;

	if (names && !cJSON_IsArray(names))
		return xbad(x, "learner.feature_names", "expected an array");
	if (types && !cJSON_IsArray(types))
		return xbad(x, "learner.feature_types", "expected an array");
	if (cJSON_GetArraySize(names) > 0 &&
	    cJSON_GetArraySize(names) != nfeat)
		return xbad(x, "learner.feature_names", "%d name%s for %ld "
		    "feature%s", cJSON_GetArraySize(names),
		    cJSON_GetArraySize(names) == 1 ? "" : "s", nfeat,
		    nfeat == 1 ? "" : "s");
	cJSON_ArrayForEach(v, types)
		if (!cJSON_IsString(v) || strcmp(v->valuestring, "c") == 0)
			return mlp_err_set(x->err, MLP_EUNSUPPORTED, "'%s': "
			    "field 'learner.feature_types': categorical "
			    "features are not supported", x->path);
	m->nfeat = (size_t)nfeat;
	m->feat = nfeat ? xcalloc((size_t)nfeat, sizeof(*m->feat)) : NULL;
	cJSON_ArrayForEach(v, names) {
		if (!cJSON_IsString(v))
			return xbad(x, "learner.feature_names", "name %zu is "
			    "not a string", j);
		m->feat[j++].name = xstrdup(v->valuestring);
	}
	for (j = 0; j < m->nfeat; j++)
		if (!m->feat[j].name)
			m->feat[j].name = xasprintf("f%zu", j);
	return 0;
}

/* The objective and the starting margin XGBoost adds to every row:
 * base_score through the objective's ProbToMargin, in float as XGBoost
 * computes it. */
static int
read_objective(struct xrd *x, const cJSON *learner, const cJSON *lmp,
    struct mlp_model *m)
{
	const cJSON *obj = get(get(learner, "objective"), "name");
	const char *name;
	long nc;
	int rc;

	if (!cJSON_IsString(obj))
		return xbad(x, "learner.objective.name", obj ?
		    "expected a string" : "missing");
	name = obj->valuestring;
	if (strcmp(name, "reg:linear") == 0)
		name = "reg:squarederror";
	else if (strcmp(name, "reg:logistic") == 0)
		name = "binary:logistic";
	if ((rc = mlp_objective_parse(name)) < 0)
		return mlp_err_set(x->err, MLP_EUNSUPPORTED, "'%s': objective "
		    "'%.60s' is not supported (only reg:squarederror, "
		    "binary:logistic, multi:softmax, multi:softprob)", x->path,
		    obj->valuestring);
	m->objective = (enum mlp_objective)rc;
	if ((rc = param_int(x, lmp, "num_class",
	    "learner.learner_model_param.num_class", 0, XGB_MAX_CLASSES,
	    &nc)) < 0)
		return rc;
	if (m->objective == MLP_OBJ_SOFTMAX ||
	    m->objective == MLP_OBJ_SOFTPROB) {
		if (nc < 1)
			return xbad(x, "learner.learner_model_param.num_class",
			    "%ld for objective %s", nc, name);
		m->num_class = m->ngroup = (int)nc;
		m->nout = m->objective == MLP_OBJ_SOFTPROB ? (int)nc : 1;
	} else if (nc > 1) {
		return xbad(x, "learner.learner_model_param.num_class",
		    "%ld for objective %s", nc, name);
	}
	m->base_margin = xmalloc((size_t)m->ngroup * sizeof(double));
	if ((rc = base_scores(x, lmp, m->ngroup, m->base_margin)) < 0)
		return rc;
	for (int g = 0; g < m->ngroup; g++) {
		double bs = m->base_margin[g];
		float b;

		if (!(fabs(bs) <= FLT_MAX))
			return xbad(x, "learner.learner_model_param.base_score",
			    "%.17g is not a finite float", bs);
		b = (float)bs;
		if (m->objective == MLP_OBJ_LOGISTIC) {
			if (!(b > 0 && b < 1))
				return xbad(x, "learner.learner_model_param."
				    "base_score", "%.9g is not a probability "
				    "in (0, 1)", (double)b);
			b = -logf(1.0f / b - 1.0f);
		}
		m->base_margin[g] = b;
	}
	return 0;
}

int
model_from_xgboost(const cJSON *doc, const char *path,
    struct mlp_model **out, struct mlp_err *err)
{
	struct mlp_model *m = mlp_model_new();
	struct xrd x = { path, err };
	const cJSON *learner = get(doc, "learner"), *lmp, *gb, *gbname;
	const cJSON *model, *trees, *info, *tree, *ti;
	struct xtree xt = { 0 };
	size_t t = 0, alloc = 0;
	long nfeat, ntarget = 1;
	int rc;

	*out = NULL;
	if (!cJSON_IsObject(learner)) {
		rc = xbad(&x, "learner", "missing");
		goto out;
	}
	lmp = get(learner, "learner_model_param");
	gb = get(learner, "gradient_booster");
	gbname = get(gb, "name");
	if (!cJSON_IsString(gbname)) {
		rc = xbad(&x, "learner.gradient_booster.name", "missing");
		goto out;
	}
	if (strcmp(gbname->valuestring, "gbtree") != 0) {
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "'%s': booster '%.40s' "
		    "is not supported (only gbtree)", path,
		    gbname->valuestring);
		goto out;
	}
	if (!cJSON_IsObject(lmp)) {
		rc = xbad(&x, "learner.learner_model_param", "missing");
		goto out;
	}
	if (get(lmp, "num_target") && (rc = param_int(&x, lmp, "num_target",
	    "learner.learner_model_param.num_target", 0, INT32_MAX,
	    &ntarget)) < 0)
		goto out;
	if (ntarget > 1) {
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "'%s': %ld targets: "
		    "multi-target models are not supported", path, ntarget);
		goto out;
	}
	if ((rc = param_int(&x, lmp, "num_feature",
	    "learner.learner_model_param.num_feature", 0, XGB_MAX_FEATURES,
	    &nfeat)) < 0 ||
	    (rc = read_objective(&x, learner, lmp, m)) < 0 ||
	    (rc = read_features(&x, learner, m, nfeat)) < 0)
		goto out;
	model = get(gb, "model");
	trees = get(model, "trees");
	info = get(model, "tree_info");
	if (!cJSON_IsArray(trees)) {
		rc = xbad(&x, "learner.gradient_booster.model.trees",
		    trees ? "expected an array" : "missing");
		goto out;
	}
	if (!cJSON_IsArray(info) ||
	    cJSON_GetArraySize(info) != cJSON_GetArraySize(trees)) {
		rc = xbad(&x, "learner.gradient_booster.model.tree_info",
		    "expected an array with a group for each tree (%d)",
		    cJSON_GetArraySize(trees));
		goto out;
	}
	m->ntrees = (size_t)cJSON_GetArraySize(trees);
	m->tree_root = xmalloc((m->ntrees ? m->ntrees : 1) * sizeof(uint32_t));
	m->tree_group = xmalloc((m->ntrees ? m->ntrees : 1) * sizeof(int32_t));
	ti = info->child;
	cJSON_ArrayForEach(tree, trees) {
		double g = cJSON_IsNumber(ti) ? ti->valuedouble : -1;

		if (g != floor(g) || g < 0 || g >= m->ngroup) {
			rc = xbad(&x,
			    "learner.gradient_booster.model.tree_info",
			    "tree %zu: group out of range (%d group%s)", t,
			    m->ngroup, m->ngroup == 1 ? "" : "s");
			goto out;
		}
		if ((rc = read_tree(&x, tree, t, &xt)) < 0)
			goto out;
		if (m->nnodes + xt.n > UINT32_MAX) {
			rc = xbad(&x, "learner.gradient_booster.model.trees",
			    "too many nodes");
			goto out;
		}
		m->tree_group[t] = (int32_t)g;
		m->tree_root[t] = (uint32_t)m->nnodes;
		if ((rc = add_tree(&x, m, t, &xt, &alloc, nfeat)) < 0)
			goto out;
		xtree_release(&xt);
		memset(&xt, 0, sizeof(xt));
		ti = ti->next;
		t++;
	}
	m->origin = xstrdup("xgboost");
	if ((rc = mlp_model_check(m, err)) < 0) {
		mlp_err_prefix(err, "'%s'", path);
		goto out;
	}
	*out = m;
	m = NULL;
out:
	xtree_release(&xt);
	mlp_model_free(m);
	return rc;
}

int
mlp_model_import_xgboost(const char *path, struct mlp_model **out,
    struct mlp_err *err)
{
	return model_load_json(path, model_from_xgboost, out, err);
}
