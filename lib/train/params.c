/* Learner parameters: key=value text checked against a learner's table. */
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train.h"

void
mlp_params_release(struct mlp_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->key[i]);
		free(p->val[i]);
	}
	free(p->key);
	free(p->val);
	memset(p, 0, sizeof(*p));
}

void
mlp_params_set(struct mlp_params *p, const char *key, const char *val)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->key[i], key) == 0) {
			free(p->val[i]);
			p->val[i] = xstrdup(val);
			return;
		}
	}
	if (p->n == p->alloc) {
		size_t a = p->alloc;

		mlp_grow(&p->key, &a, p->n + 1, sizeof(*p->key));
		mlp_grow(&p->val, &p->alloc, p->n + 1, sizeof(*p->val));
	}
	p->key[p->n] = xstrdup(key);
	p->val[p->n] = xstrdup(val);
	p->n++;
}

int
mlp_params_parse(struct mlp_params *p, const char *kv, struct mlp_err *err)
{
	const char *eq = strchr(kv, '=');
	char *key;

	if (!eq || eq == kv)
		return mlp_err_set(err, MLP_EINVAL,
		    "invalid parameter '%s': expected NAME=VALUE", kv);
	key = xstrndup(kv, (size_t)(eq - kv));
	mlp_params_set(p, key, eq + 1);
	free(key);
	return 0;
}

int
mlp_params_unset(struct mlp_params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->key[i], key) != 0)
			continue;
		free(p->key[i]);
		free(p->val[i]);
		memmove(&p->key[i], &p->key[i + 1], (p->n - i - 1) *
		    sizeof(*p->key));
		memmove(&p->val[i], &p->val[i + 1], (p->n - i - 1) *
		    sizeof(*p->val));
		p->n--;
		return 1;
	}
	return 0;
}

const char *
mlp_params_get(const struct mlp_params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	return NULL;
}

static const struct mlp_param_def *
find_def(const struct mlp_param_def *defs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, key) == 0)
			return &defs[i];
	return NULL;
}

/* 1 when word is one of the comma-separated choices */
static int
in_choices(const char *choices, const char *word, size_t len)
{
	const char *c = choices;

	while (c && *c) {
		size_t l = strcspn(c, ",");

		if (l == len && strncmp(c, word, len) == 0)
			return 1;
		c += l;
		if (*c == ',')
			c++;
	}
	return 0;
}

/* The parameter key names, by its name or one of its aliases. */
static const struct mlp_param_def *
find_alias(const struct mlp_param_def *defs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (in_choices(defs[i].aliases, key, strlen(key)))
			return &defs[i];
	return NULL;
}

/* How near a candidate name (c[0..n)) is to key: its edit distance, at
 * most 2 when one holds the other ("depth" in "max_depth"); SIZE_MAX when
 * it is too far to suggest. */
static size_t
nearness(const char *key, const char *c, size_t n)
{
	size_t kl = strlen(key), d = mlp_edit_distance(key, strlen(key), c, n);
	char *cs = xstrndup(c, n);
	int inside = kl >= 3 && n >= 3 && (strstr(cs, key) ||
	    strstr(key, cs));

	free(cs);
	if (inside && d > 2)
		d = 2;
	return d <= 2 && d < kl ? d : SIZE_MAX;
}

/* MLP_EINVAL for an unknown key: the nearest name or alias when one is
 * near, and the valid names. */
static int
unknown(const char *key, const char *learner,
    const struct mlp_param_def *defs, size_t n, struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	const char *best = NULL;
	size_t best_n = 0, best_d = SIZE_MAX;
	int rc;

	for (size_t j = 0; j < n; j++) {
		const char *c = defs[j].name;
		size_t d = nearness(key, c, strlen(c));

		if (d < best_d)
			best = c, best_n = strlen(c), best_d = d;
		for (c = defs[j].aliases; c && *c;) {
			size_t l = strcspn(c, ",");

			if ((d = nearness(key, c, l)) < best_d)
				best = c, best_n = l, best_d = d;
			c += l;
			if (*c == ',')
				c++;
		}
		mlp_buf_addf(&b, "%s%s", j ? ", " : "", defs[j].name);
	}
	if (best)
		rc = mlp_err_set(err, MLP_EINVAL, "unknown parameter '%s' for "
		    "%s, did you mean '%.*s'? (valid: %s)", key, learner,
		    (int)best_n, best, mlp_buf_str(&b));
	else
		rc = mlp_err_set(err, MLP_EINVAL, "unknown parameter '%s' for "
		    "%s (valid: %s)", key, learner, mlp_buf_str(&b));
	mlp_buf_release(&b);
	return rc;
}

int
mlp_params_canonical(struct mlp_params *p, const char *learner,
    const struct mlp_param_def *defs, size_t n, struct mlp_err *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct mlp_param_def *d;

		if (find_def(defs, n, p->key[i]))
			continue;
		if (!(d = find_alias(defs, n, p->key[i])))
			return unknown(p->key[i], learner, defs, n, err);
		if (mlp_params_get(p, d->name))
			return mlp_err_set(err, MLP_EINVAL, "parameter '%s' is "
			    "given twice, as '%s' too", d->name, p->key[i]);
		free(p->key[i]);
		p->key[i] = xstrdup(d->name);
	}
	return 0;
}

static int
parse_number(const struct mlp_param_def *d, const char *val, double *out)
{
	char *end;

	errno = 0;
	if (d->type == MLP_PARAM_INT) {
		long long v = strtoll(val, &end, 10);

		if (errno || end == val || *end)
			return -1;
		*out = (double)v;
	} else {
		*out = strtod(val, &end);
		if (errno || end == val || *end || !isfinite(*out))
			return -1;
	}
	return 0;
}

static void
range_text(const struct mlp_param_def *d, struct mlp_buf *b)
{
	int inf_max = isinf(d->max);

	mlp_buf_addf(b, "%c%g, ", d->min_open ? '(' : '[', d->min);
	if (inf_max)
		mlp_buf_adds(b, "inf)");
	else
		mlp_buf_addf(b, "%g%c", d->max, d->max_open ? ')' : ']');
}

static int
check_one(const struct mlp_param_def *d, const char *val, struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	double v;
	int rc = 0;

	switch (d->type) {
	case MLP_PARAM_INT:
	case MLP_PARAM_FLOAT:
		if (parse_number(d, val, &v) < 0) {
			rc = mlp_err_set(err, MLP_EINVAL,
			    "parameter '%s': '%s' is not %s", d->name, val,
			    d->type == MLP_PARAM_INT ? "an integer" :
			    "a number");
			break;
		}
		if (v < d->min || (d->min_open && v == d->min) ||
		    v > d->max || (d->max_open && v == d->max)) {
			range_text(d, &b);
			rc = mlp_err_set(err, MLP_EINVAL,
			    "parameter '%s': %s is out of range %s", d->name,
			    val, mlp_buf_str(&b));
		}
		break;
	case MLP_PARAM_ENUM:
		if (!in_choices(d->choices, val, strlen(val)))
			rc = mlp_err_set(err, MLP_EINVAL,
			    "parameter '%s': '%s' is not one of %s", d->name,
			    val, d->choices);
		break;
	case MLP_PARAM_LIST:
		for (const char *w = val; *w;) {
			size_t l = strcspn(w, ",");

			if (!in_choices(d->choices, w, l)) {
				rc = mlp_err_set(err, MLP_EINVAL,
				    "parameter '%s': '%.*s' is not one of %s",
				    d->name, (int)l, w, d->choices);
				break;
			}
			w += l;
			if (*w == ',')
				w++;
		}
		break;
	}
	mlp_buf_release(&b);
	return rc;
}

int
mlp_params_check(const struct mlp_params *p, const char *learner,
    const struct mlp_param_def *defs, size_t n, struct mlp_err *err)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct mlp_param_def *d = find_def(defs, n, p->key[i]);
		int rc;

		if (!d)
			return unknown(p->key[i], learner, defs, n, err);
		if ((rc = check_one(d, p->val[i], err)) < 0)
			return rc;
	}
	return 0;
}

const char *
mlp_params_str(const struct mlp_params *p, const struct mlp_param_def *defs,
    size_t n, const char *key)
{
	const char *v = mlp_params_get(p, key);
	const struct mlp_param_def *d;

	if (v)
		return v;
	d = find_def(defs, n, key);
	return d ? d->def : NULL;
}

long
mlp_params_int(const struct mlp_params *p, const struct mlp_param_def *defs,
    size_t n, const char *key)
{
	const char *v = mlp_params_str(p, defs, n, key);

	return v ? strtol(v, NULL, 10) : 0;
}

double
mlp_params_float(const struct mlp_params *p, const struct mlp_param_def *defs,
    size_t n, const char *key)
{
	const char *v = mlp_params_str(p, defs, n, key);

	return v ? strtod(v, NULL) : 0;
}

const char *
mlp_train_where(const struct mlp_train_data *d, size_t i, char *buf,
    size_t n)
{
	if (d->where)
		d->where(d, i, buf, n);
	else
		snprintf(buf, n, "row %zu", i + 1);
	return buf;
}

int
mlp_train_threads(int nthreads)
{
	long n;

	if (nthreads > 0)
		return nthreads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}
