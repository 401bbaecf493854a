/* The online feature store's benchmark driver (tests/perf/feature_online.sh):
 *   feature_online_bench get REPO URI VIEW N [AT]
 *	N reads of one random entity (driver_id 1000..100999) of every
 *	output of VIEW, each timed: prints the mean, p50, p99 and p99.9 in
 *	microseconds (lib/ in process, as the feature server calls it)
 *   feature_online_bench batch REPO URI VIEW N BATCH [AT]
 *	reads of BATCH random entities at once (one backend call, pipelined
 *	for Redis) until N entities were read: prints entities per second
 * REPO is the directory holding .mlp; AT an ISO-8601 time (default
 * 2021-01-31T00:00:00Z, the data's end). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "feature/feature.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct mlp_db *db = NULL;
	struct mlp_fspec *spec = NULL;
	struct mlp_fget_plan *plan = NULL;
	struct mlp_online *o = NULL;
	struct mlp_fget_res res;
	struct mlp_fget_req req = { 0 };
	struct mlp_strv refs = MLP_STRV_INIT;
	const struct mlp_fview *v;
	struct mlp_err err;
	const char *knames[] = { "driver_id" };
	const struct mlp_fval *kcols[1];
	struct mlp_fval *keys;
	char *p, *mlpdir;
	long n, batch = 1;
	int isbatch, ai;
	int64_t at;

	if (argc < 5 || (strcmp(argv[1], "get") && strcmp(argv[1], "batch"))) {
		fprintf(stderr, "usage: feature_online_bench get|batch REPO URI "
		    "VIEW N [BATCH] [AT]\n");
		return 2;
	}
	isbatch = strcmp(argv[1], "batch") == 0;
	n = atol(argv[5]);
	if (isbatch)
		batch = argc > 6 ? atol(argv[6]) : 512;
	ai = isbatch ? 7 : 6;
	if (mlp_ts_parse(argc > ai ? argv[ai] : "2021-01-31T00:00:00Z",
	    strlen(argc > ai ? argv[ai] : "2021-01-31T00:00:00Z"),
	    MLP_TSFMT_ISO8601, &at) < 0 || n <= 0 || batch <= 0) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	mlpdir = xasprintf("%s/.mlp", argv[2]);
	p = xasprintf("%s/mlp.db", mlpdir);
	if (mlp_db_open(&db, p, 0, &err) < 0 ||
	    mlp_fcatalog_load(db, &spec, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (!(v = mlp_fspec_view(spec, argv[4]))) {
		fprintf(stderr, "no view %s\n", argv[4]);
		return 1;
	}
	for (size_t i = 0; i < mlp_fview_noutputs(v); i++) {
		struct mlp_foutput out;

		mlp_fview_output(v, i, &out);
		mlp_strv_push_owned(&refs, xasprintf("%s:%s", v->name,
		    out.name));
	}
	if (mlp_fget_prepare(spec, (const char *const *)refs.v, refs.n, &plan,
	    &err) < 0 || mlp_online_open(&o, argv[3], mlpdir, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	memset(&res, 0, sizeof(res));
	keys = xcalloc((size_t)batch, sizeof(*keys));
	kcols[0] = keys;
	req.key_names = knames;
	req.key_cols = kcols;
	req.nkeys = 1;
	req.at = at;
	if (!isbatch) {
		double *lat = xcalloc((size_t)n, sizeof(*lat)), sum = 0;
		long found = 0;

		req.n = 1;
		keys[0].type = MLP_FT_INT;
		/* warm the caches a little first */
		for (long i = 0; i < n / 10 + 1; i++) {
			keys[0].v.i = 1000 + (int64_t)(next() % 100000);
			mlp_fget(o, plan, &req, &res, &err);
		}
		for (long i = 0; i < n; i++) {
			double t0;

			keys[0].v.i = 1000 + (int64_t)(next() % 100000);
			t0 = now_us();
			if (mlp_fget(o, plan, &req, &res, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			lat[i] = now_us() - t0;
			sum += lat[i];
			found += res.status[0] != MLP_FSTATUS_NOT_FOUND;
		}
		qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
		printf("get %ld: mean %.1f us, p50 %.1f us, p99 %.1f us, "
		    "p99.9 %.1f us (%ld found)\n", n, sum / (double)n,
		    lat[n / 2], lat[n * 99 / 100], lat[n * 999 / 1000], found);
		free(lat);
	} else {
		double t0 = now_us(), s;
		long done = 0;

		req.n = (size_t)batch;
		while (done < n) {
			for (long i = 0; i < batch; i++) {
				keys[i].type = MLP_FT_INT;
				keys[i].v.i = 1000 + (int64_t)(next() % 100000);
			}
			if (mlp_fget(o, plan, &req, &res, &err) < 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
			done += batch;
		}
		s = (now_us() - t0) / 1e6;
		printf("batch %ld x %ld: %.3f s, %.0f entities/s\n", done / batch,
		    batch, s, (double)done / s);
	}
	free(keys);
	mlp_fget_res_release(&res);
	mlp_fget_plan_free(plan);
	mlp_online_close(o);
	mlp_strv_release(&refs);
	mlp_fspec_free(spec);
	mlp_db_close(db);
	free(p);
	free(mlpdir);
	return 0;
}
