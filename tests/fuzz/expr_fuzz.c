/* libFuzzer target for the feature expression language (lib/feature/
 * expr.c): any input is compiled against a fixed environment. A failure is
 * MLP_ESYNTAX with a position inside the text and a message that names
 * the column; a success evaluates on rows of ordinary values, nulls,
 * extremes, NaN and empty strings, giving values of the compiled type and
 * never NaN or an infinity. Its canonical text compiles to an expression
 * that prints as itself, has the same type and gives the same values, bit
 * for bit. fuzz: max_len=1024 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "feature/feature.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSLOTS 10

static const struct mlp_expr_var vars[] = {
	{ "f", 0, MLP_FT_FLOAT },
	{ "i", 1, MLP_FT_INT },
	{ "s", 2, MLP_FT_STRING },
	{ "b", 3, MLP_FT_BOOL },
	{ "g h", 4, MLP_FT_FLOAT },
	{ "j", 5, MLP_FT_INT },
	{ "t", 6, MLP_FT_STRING },
	{ "c", 7, MLP_FT_BOOL },
	{ "not", 9, MLP_FT_INT },
};
static const struct mlp_expr_env env = {
	vars, sizeof(vars) / sizeof(vars[0]),
};

#define NROWS 6
static struct mlp_fval rows[NROWS][NSLOTS];

static void
put(struct mlp_fval *r, double f, int64_t i, const char *s, int b,
    double g, int64_t j, const char *t, int c, int64_t k)
{
	for (int n = 0; n < NSLOTS; n++)
		r[n].null = 0;
	r[0].type = MLP_FT_FLOAT, r[0].v.f = f;
	r[1].type = MLP_FT_INT, r[1].v.i = i;
	r[2].type = MLP_FT_STRING, r[2].v.str.s = s, r[2].v.str.n = strlen(s);
	r[3].type = MLP_FT_BOOL, r[3].v.b = b;
	r[4].type = MLP_FT_FLOAT, r[4].v.f = g;
	r[5].type = MLP_FT_INT, r[5].v.i = j;
	r[6].type = MLP_FT_STRING, r[6].v.str.s = t, r[6].v.str.n = strlen(t);
	r[7].type = MLP_FT_BOOL, r[7].v.b = c;
	r[8].type = MLP_FT_FLOAT, r[8].null = 1;	/* no name reads it */
	r[9].type = MLP_FT_INT, r[9].v.i = k;
}

static void
setup(void)
{
	put(rows[0], 1.5, 3, "abc", 1, -2.25, 7, "x", 0, 2);
	put(rows[1], DBL_MAX, INT64_MIN, "", 0, -DBL_MAX, INT64_MAX, "", 1,
	    -1);
	put(rows[2], -0.0, 0, "\xc3\xa9t\xc3\xa9", 1, 5e-324, -1, "zz", 1, 0);
	put(rows[3], NAN, 1, "a", 0, INFINITY, 2, "b", 0, INT64_MIN);
	put(rows[4], 1e-300, -7, "a", 1, 1e300, 3074457345618258603, "a", 1,
	    INT64_MAX);
	for (int n = 0; n < NSLOTS; n++) {	/* all null */
		rows[5][n] = rows[0][n];
		rows[5][n].null = 1;
	}
}

/* Evaluates e over row r into *out, checking what any value must be. */
static void
eval_ok(const struct mlp_expr *e, const struct mlp_fval *r,
    struct mlp_fval *out)
{
	if (mlp_expr_eval(e, r, out) != 0 || out->type != mlp_expr_type(e))
		abort();
	if (out->null)
		return;
	switch (out->type) {
	case MLP_FT_FLOAT:
		if (!isfinite(out->v.f))
			abort();
		break;
	case MLP_FT_BOOL:
		if (out->v.b != 0 && out->v.b != 1)
			abort();
		break;
	case MLP_FT_STRING:
		/* readable (ASan checks) and valid UTF-8 */
		if (out->v.str.n && (!out->v.str.s ||
		    mlp_utf8_invalid(out->v.str.s, out->v.str.n) >= 0))
			abort();
		break;
	default:
		break;
	}
}

static int
same(const struct mlp_fval *a, const struct mlp_fval *b)
{
	if (a->type != b->type || a->null != b->null)
		return 0;
	if (a->null)
		return 1;
	switch (a->type) {
	case MLP_FT_FLOAT:
		return memcmp(&a->v.f, &b->v.f, sizeof(double)) == 0;
	case MLP_FT_INT:
		return a->v.i == b->v.i;
	case MLP_FT_BOOL:
		return a->v.b == b->v.b;
	default:
		return a->v.str.n == b->v.str.n && (a->v.str.n == 0 ||
		    memcmp(a->v.str.s, b->v.str.s, a->v.str.n) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mlp_expr *e = NULL, *e2 = NULL;
	struct mlp_fval out, out2;
	struct mlp_err err;
	const size_t *slots;
	size_t n;
	char *s = malloc(size + 1);
	const char *text;

	if (!ready) {
		setup();
		ready = 1;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	if (mlp_expr_compile(s, &env, &e, &err) < 0) {
		if (e || err.code != MLP_ESYNTAX || err.pos < 0 ||
		    (size_t)err.pos > strlen(s) ||
		    (strncmp(err.msg, "column ", 7) != 0 &&
		    strncmp(err.msg, "line ", 5) != 0))
			abort();
		free(s);
		return 0;
	}
	n = mlp_expr_slots_used(e, &slots);
	for (size_t k = 0; k < n; k++)
		if (slots[k] >= NSLOTS || slots[k] == 8 ||
		    (k && slots[k] <= slots[k - 1]))
			abort();

	text = mlp_expr_text(e);
	if (strlen(text) <= 65536) {
		if (mlp_expr_compile(text, &env, &e2, &err) < 0 ||
		    strcmp(mlp_expr_text(e2), text) != 0 ||
		    mlp_expr_type(e2) != mlp_expr_type(e))
			abort();
	}
	for (int r = 0; r < NROWS; r++) {
		eval_ok(e, rows[r], &out);
		if (e2) {
			eval_ok(e2, rows[r], &out2);
			if (!same(&out, &out2))
				abort();
		}
	}
	mlp_expr_free(e);
	mlp_expr_free(e2);
	free(s);
	return 0;
}
