/* Derived features: a view's expressions compiled once, evaluated in
 * order over a row of the view's outputs; the one evaluation dataset,
 * get and the server share. */
#include <stdlib.h>
#include <string.h>

#include "feature.h"

struct mlp_fderiver {
	const struct mlp_fview *view;
	size_t base;		/* slot of derived feature 0 */
	struct mlp_expr **expr;	/* nderived */
};

void
mlp_fderiver_free(struct mlp_fderiver *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->view->nderived; i++)
		mlp_expr_free(d->expr[i]);
	free(d->expr);
	free(d);
}

int
mlp_fderiver_new(const struct mlp_fview *v, struct mlp_fderiver **out,
    struct mlp_err *err)
{
	struct mlp_fderiver *d = xcalloc(1, sizeof(*d));
	int rc = 0;

	d->view = v;
	d->base = mlp_fview_noutputs(v) - v->nderived;
	d->expr = xcalloc(v->nderived ? v->nderived : 1, sizeof(*d->expr));
	for (size_t i = 0; i < v->nderived && rc == 0; i++) {
		struct mlp_expr_env env;

		mlp_fview_expr_env(v, i, &env);
		if ((rc = mlp_expr_compile(v->derived[i].expr, &env,
		    &d->expr[i], err)) < 0)
			mlp_err_prefix(err, "derived feature '%s:%s'", v->name,
			    v->derived[i].name);
		free((void *)env.vars);
	}
	if (rc < 0) {
		mlp_fderiver_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

const struct mlp_expr *
mlp_fderiver_expr(const struct mlp_fderiver *d, size_t i)
{
	return d->expr[i];
}

int
mlp_fderiver_eval(const struct mlp_fderiver *d, struct mlp_fval *slots,
    size_t upto, struct mlp_err *err)
{
	for (size_t i = 0; i <= upto && i < d->view->nderived; i++) {
		struct mlp_fval *out = &slots[d->base + i];

		if (mlp_expr_eval(d->expr[i], slots, out) < 0)
			return mlp_err_set(err, MLP_EINVAL, "derived feature "
			    "'%s:%s': an input is not of its declared type",
			    d->view->name, d->view->derived[i].name);
	}
	return 0;
}
