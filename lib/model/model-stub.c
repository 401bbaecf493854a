/* TEMPORARY stand-in for lib/model/model.c (written in another worktree):
 * just enough of model.h for the gbdt learner and its tests to link. Drop
 * this file when merging. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
		if (cols[j].nlevels) {
			m->feat[j].levels = xcalloc(cols[j].nlevels,
			    sizeof(char *));
			for (size_t l = 0; l < cols[j].nlevels; l++)
				m->feat[j].levels[l] =
				    xstrdup(cols[j].levels[l]);
		}
	}
}

void
mlp_model_margin(const struct mlp_model *m, const float *x, double *margin)
{
	for (int g = 0; g < m->ngroup; g++)
		margin[g] = m->base_margin ? m->base_margin[g] : 0;
	for (size_t t = 0; t < m->ntrees; t++) {
		uint32_t n = m->tree_root[t];

		while (m->split_feat[n] >= 0) {
			float v = x[m->split_feat[n]];

			if (isnan(v))
				n = m->left[n] + !m->default_left[n];
			else
				n = m->left[n] + !(v < m->split_value[n]);
		}
		margin[m->tree_group[t]] += m->split_value[n];
	}
}

void
mlp_model_predict_row(const struct mlp_model *m, const float *x, double *out)
{
	double mg[64], mx, sum = 0;
	int k = m->ngroup, best = 0;

	mlp_model_margin(m, x, mg);
	switch (m->objective) {
	case MLP_OBJ_LOGISTIC:
		out[0] = 1 / (1 + exp(-mg[0]));
		break;
	case MLP_OBJ_SOFTMAX:
		for (int c = 1; c < k; c++)
			if (mg[c] > mg[best])
				best = c;
		out[0] = best;
		break;
	case MLP_OBJ_SOFTPROB:
		mx = mg[0];
		for (int c = 1; c < k; c++)
			mx = mg[c] > mx ? mg[c] : mx;
		for (int c = 0; c < k; c++)
			sum += (out[c] = exp(mg[c] - mx));
		for (int c = 0; c < k; c++)
			out[c] /= sum;
		break;
	default:
		out[0] = mg[0];
		break;
	}
}
