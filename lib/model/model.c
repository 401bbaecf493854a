/* The model object: allocation, its signature, objectives, and the checks
 * that let the predictors walk a loaded model without bounds checks. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const objective_names[] = {
	[MLP_OBJ_SQUARED] = "reg:squarederror",
	[MLP_OBJ_LOGISTIC] = "binary:logistic",
	[MLP_OBJ_SOFTMAX] = "multi:softmax",
	[MLP_OBJ_SOFTPROB] = "multi:softprob",
};

int
mlp_objective_parse(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < sizeof(objective_names) /
	    sizeof(objective_names[0]); i++)
		if (strcmp(name, objective_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
mlp_objective_name(int obj)
{
	if (obj < 0 || (size_t)obj >= sizeof(objective_names) /
	    sizeof(objective_names[0]))
		return NULL;
	return objective_names[obj];
}

struct mlp_model *
mlp_model_new(void)
{
	struct mlp_model *m = xcalloc(1, sizeof(*m));

	m->kind = MLP_MODEL_GBDT;
	m->objective = MLP_OBJ_SQUARED;
	m->num_class = m->ngroup = m->nout = 1;
	return m;
}

static void
free_features(struct mlp_column *feat, size_t n)
{
	for (size_t j = 0; feat && j < n; j++) {
		free(feat[j].name);
		for (size_t k = 0; feat[j].levels && k < feat[j].nlevels; k++)
			free(feat[j].levels[k]);
		free(feat[j].levels);
	}
	free(feat);
}

void
mlp_model_free(struct mlp_model *m)
{
	if (!m)
		return;
	free_features(m->feat, m->nfeat);
	free(m->base_margin);
	free(m->tree_root);
	free(m->tree_group);
	free(m->split_feat);
	free(m->split_value);
	free(m->left);
	free(m->default_left);
	free(m->slot);
	free(m->mean);
	free(m->scale);
	free(m->weight);
	free(m->bias);
	free(m->origin);
	mlp_model_fstore_free(m->fstore);
	model_walk_free(m->walk);
	free(m);
}

size_t
mlp_model_bytes(const struct mlp_model *m)
{
	size_t b = sizeof(*m);

	for (size_t j = 0; j < m->nfeat; j++) {
		b += sizeof(m->feat[j]) + strlen(m->feat[j].name) + 1;
		for (size_t k = 0; k < m->feat[j].nlevels; k++)
			b += sizeof(char *) + strlen(m->feat[j].levels[k]) + 1;
	}
	b += (size_t)m->ngroup * (sizeof(double) * 2);
	b += m->ntrees * (sizeof(uint32_t) + sizeof(int32_t));
	b += m->nnodes * (sizeof(int32_t) + sizeof(float) + sizeof(uint32_t) +
	    sizeof(uint8_t));
	b += m->nfeat * sizeof(uint32_t);
	b += m->nslots * 2 * sizeof(double);
	b += (size_t)m->ngroup * m->nslots * sizeof(double);
	/* the batch predictor's tables, counted before they are built */
	b += model_walk_bytes(m);
	return b;
}

void
mlp_model_set_features(struct mlp_model *m, const struct mlp_column *cols,
    size_t n)
{
	struct mlp_column *feat = n ? xcalloc(n, sizeof(*feat)) : NULL;

	for (size_t j = 0; j < n; j++) {
		feat[j].name = xstrdup(cols[j].name ? cols[j].name : "");
		feat[j].type = cols[j].type;
		if (cols[j].type == MLP_COL_CAT && cols[j].nlevels) {
			feat[j].nlevels = cols[j].nlevels;
			feat[j].levels = xcalloc(cols[j].nlevels,
			    sizeof(char *));
			for (size_t k = 0; k < cols[j].nlevels; k++)
				feat[j].levels[k] = xstrdup(cols[j].levels[k] ?
				    cols[j].levels[k] : "");
		}
	}
	free_features(m->feat, m->nfeat);
	m->feat = feat;
	m->nfeat = n;
}

static int
check_features(const struct mlp_model *m, struct mlp_err *err)
{
	if (m->nfeat && !m->feat)
		return mlp_err_set(err, MLP_ECORRUPT, "no features");
	for (size_t j = 0; j < m->nfeat; j++) {
		const struct mlp_column *c = &m->feat[j];

		if (!c->name)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "feature %zu has no name", j);
		if (mlp_utf8_invalid(c->name, strlen(c->name)) >= 0) {
			char what[40];

			snprintf(what, sizeof(what), "feature %zu name", j);
			return mlp_check_utf8(what, c->name, err);
		}
		if (c->type != MLP_COL_NUM && c->type != MLP_COL_CAT)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "feature '%s' has an unknown type", c->name);
		if (c->type == MLP_COL_NUM && c->nlevels)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "numeric feature '%s' has levels", c->name);
		if (c->nlevels && !c->levels)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "feature '%s' has no levels", c->name);
		for (size_t k = 0; k < c->nlevels; k++) {
			char what[120];

			if (!c->levels[k])
				return mlp_err_set(err, MLP_ECORRUPT,
				    "feature '%s' level %zu is missing",
				    c->name, k);
			snprintf(what, sizeof(what), "feature '%.60s' level",
			    c->name);
			if (mlp_check_utf8(what, c->levels[k], err) < 0)
				return MLP_EINVAL;
		}
	}
	return 0;
}

static int
check_trees(const struct mlp_model *m, struct mlp_err *err)
{
	if (m->ntrees && (!m->tree_root || !m->tree_group))
		return mlp_err_set(err, MLP_ECORRUPT, "tree arrays missing");
	if (m->nnodes && (!m->split_feat || !m->split_value || !m->left ||
	    !m->default_left))
		return mlp_err_set(err, MLP_ECORRUPT, "node arrays missing");
	if (m->nnodes > UINT32_MAX)
		return mlp_err_set(err, MLP_ECORRUPT, "too many nodes");
	if (m->ntrees) {
		/* every class has a tree: num_class is backed by the file */
		unsigned char *seen = xcalloc((size_t)m->ngroup, 1);
		int missing = -1;

		for (size_t t = 0; t < m->ntrees; t++)
			if (m->tree_group[t] >= 0 &&
			    m->tree_group[t] < m->ngroup)
				seen[m->tree_group[t]] = 1;
		for (int g = 0; g < m->ngroup && missing < 0; g++)
			if (!seen[g])
				missing = g;
		free(seen);
		if (missing >= 0)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "num_class %d, but no tree for class %d",
			    m->num_class, missing);
	}
	for (size_t t = 0; t < m->ntrees; t++) {
		if (m->tree_root[t] >= m->nnodes)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "tree %zu: root %u out of range (%zu node%s)", t,
			    m->tree_root[t], m->nnodes, m->nnodes == 1 ? "" :
			    "s");
		if (m->tree_group[t] < 0 || m->tree_group[t] >= m->ngroup)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "tree %zu: group %d out of range (%d group%s)", t,
			    (int)m->tree_group[t], m->ngroup, m->ngroup == 1 ?
			    "" : "s");
	}
	for (size_t n = 0; n < m->nnodes; n++) {
		int32_t f = m->split_feat[n];

		if (!isfinite(m->split_value[n]))
			return mlp_err_set(err, MLP_ECORRUPT,
			    "node %zu: value is not finite", n);
		if (f < 0) {
			if (f != -1)
				return mlp_err_set(err, MLP_ECORRUPT,
				    "node %zu: feature %d out of range", n,
				    (int)f);
			continue;
		}
		if ((size_t)f >= m->nfeat)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "node %zu: feature %d out of range (%zu feature%s)",
			    n, (int)f, m->nfeat, m->nfeat == 1 ? "" : "s");
		/* children after their parent: a walk only goes forward, so
		 * it cannot loop */
		if (m->left[n] <= n || (size_t)m->left[n] + 1 >= m->nnodes)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "node %zu: child %u out of range (children must "
			    "follow their parent, %zu node%s)", n, m->left[n],
			    m->nnodes, m->nnodes == 1 ? "" : "s");
		if (m->default_left[n] > 1)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "node %zu: default_left is %u, not 0 or 1", n,
			    m->default_left[n]);
	}
	return 0;
}

static int
check_linear(const struct mlp_model *m, struct mlp_err *err)
{
	size_t nw;

	if (!m->bias || (m->nfeat && !m->slot) || (m->nslots &&
	    (!m->mean || !m->scale || !m->weight)))
		return mlp_err_set(err, MLP_ECORRUPT, "linear arrays missing");
	if (m->nslots > SIZE_MAX / 8 / (size_t)m->ngroup)
		return mlp_err_set(err, MLP_ECORRUPT, "too many slots");
	nw = (size_t)m->ngroup * m->nslots;
	for (size_t j = 0; j < m->nfeat; j++) {
		size_t w = m->feat[j].type == MLP_COL_CAT ?
		    m->feat[j].nlevels : 1;

		if (m->slot[j] > m->nslots || w > m->nslots - m->slot[j])
			return mlp_err_set(err, MLP_ECORRUPT,
			    "feature '%s': slots %u..%zu out of range (%zu "
			    "slots)", m->feat[j].name, m->slot[j],
			    (size_t)m->slot[j] + w, m->nslots);
		if (m->feat[j].type != MLP_COL_NUM)
			continue;
		if (!isfinite(m->mean[m->slot[j]]) ||
		    !isfinite(m->scale[m->slot[j]]) ||
		    m->scale[m->slot[j]] == 0)
			return mlp_err_set(err, MLP_ECORRUPT,
			    "feature '%s': mean and scale must be finite and "
			    "the scale not 0", m->feat[j].name);
	}
	for (size_t i = 0; i < nw; i++)
		if (!isfinite(m->weight[i]))
			return mlp_err_set(err, MLP_ECORRUPT,
			    "weight %zu is not finite", i);
	for (int g = 0; g < m->ngroup; g++)
		if (!isfinite(m->bias[g]))
			return mlp_err_set(err, MLP_ECORRUPT,
			    "bias %d is not finite", g);
	return 0;
}

int
model_err_oneline(struct mlp_err *err, int rc)
{
	if (rc < 0 && err)
		for (char *p = err->msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	return rc;
}

static int
check(const struct mlp_model *m, struct mlp_err *err)
{
	int multi, rc;

	if (!m)
		return mlp_err_set(err, MLP_ECORRUPT, "no model");
	if (m->kind != MLP_MODEL_GBDT && m->kind != MLP_MODEL_LINEAR)
		return mlp_err_set(err, MLP_ECORRUPT, "unknown model kind %d",
		    (int)m->kind);
	if (!mlp_objective_name((int)m->objective))
		return mlp_err_set(err, MLP_ECORRUPT, "unknown objective %d",
		    (int)m->objective);
	multi = m->objective == MLP_OBJ_SOFTMAX ||
	    m->objective == MLP_OBJ_SOFTPROB;
	if (m->num_class > MLP_MODEL_MAX_CLASSES)
		return mlp_err_set(err, MLP_ECORRUPT,
		    "num_class %d is more than %d", m->num_class,
		    MLP_MODEL_MAX_CLASSES);
	if (m->num_class < 1 || (!multi && m->num_class != 1))
		return mlp_err_set(err, MLP_ECORRUPT,
		    "num_class %d does not suit objective %s", m->num_class,
		    mlp_objective_name((int)m->objective));
	if (m->ngroup != (multi ? m->num_class : 1))
		return mlp_err_set(err, MLP_ECORRUPT,
		    "ngroup %d, expected %d", m->ngroup,
		    multi ? m->num_class : 1);
	if (m->nout != (m->objective == MLP_OBJ_SOFTPROB ? m->num_class : 1))
		return mlp_err_set(err, MLP_ECORRUPT, "nout %d, expected %d",
		    m->nout, m->objective == MLP_OBJ_SOFTPROB ?
		    m->num_class : 1);
	if (m->nfeat > INT32_MAX)
		return mlp_err_set(err, MLP_ECORRUPT, "too many features");
	if ((rc = check_features(m, err)) < 0)
		return rc;
	if (!m->base_margin)
		return mlp_err_set(err, MLP_ECORRUPT, "no base_margin");
	for (int g = 0; g < m->ngroup; g++)
		if (!isfinite(m->base_margin[g]))
			return mlp_err_set(err, MLP_ECORRUPT,
			    "base_margin %d is not finite", g);
	if (m->best_iteration < 0)
		return mlp_err_set(err, MLP_ECORRUPT,
		    "best_iteration %d is negative", m->best_iteration);
	if (m->origin && mlp_check_utf8("origin", m->origin, err) < 0)
		return MLP_EINVAL;
	if (m->kind == MLP_MODEL_GBDT)
		return check_trees(m, err);
	return check_linear(m, err);
}

int
mlp_model_check(const struct mlp_model *m, struct mlp_err *err)
{
	return model_err_oneline(err, check(m, err));
}

void
mlp_model_split_counts(const struct mlp_model *m, double *counts)
{
	for (size_t j = 0; j < m->nfeat; j++)
		counts[j] = 0;
	if (m->kind != MLP_MODEL_GBDT)
		return;
	for (size_t n = 0; n < m->nnodes; n++)
		if (m->split_feat[n] >= 0)
			counts[m->split_feat[n]] += 1;
}
