/* TEMPORARY stand-in for lib/model (written in another worktree): just the
 * functions the linear learners need, for MLP_MODEL_LINEAR only, as
 * model.h describes them. Drop this file when lib/model is merged. */
#include <math.h>
#include <stdlib.h>

#include "model.h"

struct mlp_model *
mlp_model_new(void)
{
	struct mlp_model *m = xcalloc(1, sizeof(*m));

	m->num_class = m->ngroup = m->nout = 1;
	return m;
}

void
mlp_model_free(struct mlp_model *m)
{
	if (!m)
		return;
	for (size_t j = 0; j < m->nfeat; j++) {
		free(m->feat[j].name);
		for (size_t l = 0; l < m->feat[j].nlevels; l++)
			free(m->feat[j].levels[l]);
		free(m->feat[j].levels);
	}
	free(m->feat);
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
	free(m);
}

void
mlp_model_set_features(struct mlp_model *m, const struct mlp_column *cols,
    size_t n)
{
	m->feat = xcalloc(n ? n : 1, sizeof(*m->feat));
	m->nfeat = n;
	for (size_t j = 0; j < n; j++) {
		m->feat[j].name = xstrdup(cols[j].name);
		m->feat[j].type = cols[j].type;
		m->feat[j].nlevels = cols[j].nlevels;
		if (!cols[j].levels)
			continue;
		m->feat[j].levels = xcalloc(cols[j].nlevels ? cols[j].nlevels :
		    1, sizeof(char *));
		for (size_t l = 0; l < cols[j].nlevels; l++)
			m->feat[j].levels[l] = xstrdup(cols[j].levels[l]);
	}
}

void
mlp_model_margin(const struct mlp_model *m, const float *x, double *margin)
{
	for (int g = 0; g < m->ngroup; g++) {
		const double *w = m->weight + (size_t)g * m->nslots;
		double s = m->bias[g];

		for (size_t j = 0; j < m->nfeat; j++) {
			size_t k = m->slot[j];

			if (isnan(x[j]))
				continue;
			if (m->feat[j].type == MLP_COL_NUM) {
				s += w[k] * ((x[j] - m->mean[k]) / m->scale[k]);
			} else if (x[j] >= 0 && x[j] < m->feat[j].nlevels) {
				s += w[k + (size_t)x[j]];
			}
		}
		margin[g] = s;
	}
}

void
mlp_model_predict_row(const struct mlp_model *m, const float *x, double *out)
{
	double margin;

	mlp_model_margin(m, x, &margin);
	if (m->objective == MLP_OBJ_LOGISTIC)
		margin = 1 / (1 + exp(-margin));
	out[0] = margin;
}
