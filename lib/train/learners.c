/* The table of built-in learners. */
#include <string.h>

#include "train.h"

const struct mlp_learner *const mlp_learners[] = {
	&mlp_learner_gbdt,
	&mlp_learner_linear,
	&mlp_learner_logistic,
	NULL,
};

const struct mlp_learner *
mlp_learner_find(const char *name)
{
	for (size_t i = 0; mlp_learners[i]; i++)
		if (strcmp(mlp_learners[i]->name, name) == 0)
			return mlp_learners[i];
	return NULL;
}
