/* Times the feature expression evaluator in process: expr_bench [ROWS]
 * compiles "rating * 2" and a ten-operation expression and prints, for
 * each, the mean ns per row of mlp_expr_eval over ROWS rows (default
 * 10,000,000; best of 3), the rows cycling through 4096 distinct ones
 * with some nulls. */
#include <stdio.h>
#include <stdlib.h>

#include "feature/feature.h"

#define DISTINCT 4096

static const struct mlp_expr_var vars[] = {
	{ "rating", 0, MLP_FT_FLOAT },
	{ "fare", 1, MLP_FT_FLOAT },
	{ "trips", 2, MLP_FT_INT },
};

static const char *const exprs[] = {
	"rating * 2",
	/* abs, log1p, *, >, if, +, /, -, and clip's max and min */
	"clip(log1p(abs(fare)) * 2 + if(trips > 10, 1, 0) - rating / 5, 0, "
	"100)",
};

int
main(int argc, char **argv)
{
	static struct mlp_fval rows[DISTINCT][3];
	struct mlp_expr_env env = { vars, 3 };
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	struct mlp_err err;
	unsigned x = 12345;

	for (int r = 0; r < DISTINCT; r++) {
		x = x * 1103515245 + 12345;
		rows[r][0].type = MLP_FT_FLOAT;
		rows[r][0].v.f = (x >> 8) % 500 / 100.0;
		rows[r][0].null = (x >> 4) % 50 == 0;
		rows[r][1].type = MLP_FT_FLOAT;
		rows[r][1].v.f = (double)((x >> 12) % 10000) / 7.0 - 100;
		rows[r][1].null = 0;
		rows[r][2].type = MLP_FT_INT;
		rows[r][2].v.i = (x >> 16) % 30;
		rows[r][2].null = 0;
	}
	for (size_t k = 0; k < sizeof(exprs) / sizeof(exprs[0]); k++) {
		struct mlp_expr *e;
		double best = -1, sum = 0;

		if (mlp_expr_compile(exprs[k], &env, &e, &err) < 0) {
			fprintf(stderr, "expr_bench: %s\n", err.msg);
			return 1;
		}
		for (int rep = 0; rep < 3; rep++) {
			double t0 = mlp_mono(), t;

			for (long i = 0; i < n; i++) {
				struct mlp_fval out;

				mlp_expr_eval(e, rows[i % DISTINCT], &out);
				if (!out.null)
					sum += out.type == MLP_FT_FLOAT ?
					    out.v.f : (double)out.v.i;
			}
			t = mlp_mono() - t0;
			if (best < 0 || t < best)
				best = t;
		}
		printf("%-10s %.1f ns/row  (%s; checksum %g)\n",
		    k ? "ten_ops" : "rating_x2", best * 1e9 / (double)n,
		    exprs[k], sum);
		mlp_expr_free(e);
	}
	return 0;
}
