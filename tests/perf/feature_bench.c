/* The offline feature store's benchmark driver (tests/perf/feature.sh):
 *   feature_bench gen DIR [ENTITIES ROWS SPINE]
 *	writes DIR/features.csv (driver_id, event_ts, f0..f4 over 30 days;
 *	each driver's rows at distinct times, about 1% of values empty) and
 *	DIR/spine.csv (row, driver_id, event_ts, label; 5% of drivers
 *	unknown), the same every run
 *   feature_bench ingest MLPDIR FILE [THREADS]
 *	ingests FILE as source "trips" of view "driver_stats" (TTL 7 days)
 *	into MLPDIR (a .mlp directory, created when missing); prints seconds
 *	(reading, sorting, storing) and rows/s
 *   feature_bench dataset MLPDIR SPINE OUT [THREADS]
 *	builds the point-in-time dataset of f0..f4 into OUT; prints seconds
 *	(reading the spine, the join, writing), peak RSS and the digest
 * THREADS: as many as lib/ would pick when not given.
 * Until `mlp feature ingest|dataset` exist this drives lib/ directly. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "feature/feature.h"
#include "store/store.h"

#define DAY INT64_C(86400)
#define START INT64_C(1609459200)	/* 2021-01-01T00:00:00Z */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
ts_text(int64_t s, char *out)
{
	char buf[48];

	mlp_ts_format(s * MLP_US_PER_SEC, buf);
	strcpy(out, buf);
}

/* A value with a few decimals, as data has them; empty 1% of the time. */
static void
value(FILE *f, int j)
{
	uint64_t r = next();

	if (r % 100 == 0)
		return;
	r >>= 8;
	switch (j) {
	case 0:		/* 0..100, 4 decimals */
		fprintf(f, "%.4f", (double)(r % 1000000) / 10000.0);
		break;
	case 1:		/* about -50..50, 2 decimals */
		fprintf(f, "%.2f", (double)((int64_t)(r % 10001) - 5000) /
		    100.0);
		break;
	case 2:		/* 0..1, 6 decimals */
		fprintf(f, "%.6f", (double)(r % 1000000) / 1e6);
		break;
	case 3:		/* counts */
		fprintf(f, "%d", (int)(r % 500));
		break;
	default:	/* large, 3 decimals */
		fprintf(f, "%.3f", (double)(r % 1000000000) / 1000.0 + 1e5);
		break;
	}
}

static int
gen(const char *dir, long nent, long nrows, long nspine)
{
	char *p = xasprintf("%s/features.csv", dir), ts[48];
	FILE *f = fopen(p, "w");
	long per = nrows / nent;
	int64_t slot = 30 * DAY / per;

	if (!f) {
		perror(p);
		return 1;
	}
	fputs("driver_id,event_ts,f0,f1,f2,f3,f4\n", f);
	for (long i = 0; i < nrows; i++) {
		long d = i % nent, k = i / nent;
		int64_t t = START + k * slot + (int64_t)((uint64_t)(d * 7919 +
		    k * 104729) % (uint64_t)slot);

		ts_text(t, ts);
		fprintf(f, "%ld,%s", 1000 + d, ts);
		for (int j = 0; j < 5; j++) {
			fputc(',', f);
			value(f, j);
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		perror(p);
		return 1;
	}
	free(p);
	p = xasprintf("%s/spine.csv", dir);
	if (!(f = fopen(p, "w"))) {
		perror(p);
		return 1;
	}
	fputs("row,driver_id,event_ts,label\n", f);
	for (long i = 0; i < nspine; i++) {
		long d = (long)(next() % (uint64_t)(nent + nent / 20));
		int64_t t = START + (int64_t)(next() % (uint64_t)(32 * DAY));

		ts_text(t, ts);
		fprintf(f, "%ld,%ld,%s,%d\n", i, 1000 + d, ts,
		    (int)(next() & 1));
	}
	if (fclose(f) != 0) {
		perror(p);
		return 1;
	}
	free(p);
	return 0;
}

static char *keys[] = { "driver_id" };
static enum mlp_ftype key_types[] = { MLP_FT_INT };
static struct mlp_fentity ent = { .name = "driver", .join_keys = keys,
	.key_types = key_types, .nkeys = 1 };
static struct mlp_fsource src = { .name = "trips", .path = "features.csv",
	.timestamp = "event_ts" };
static struct mlp_ffeature feats[] = {
	{ .name = "f0", .type = MLP_FT_FLOAT },
	{ .name = "f1", .type = MLP_FT_FLOAT },
	{ .name = "f2", .type = MLP_FT_FLOAT },
	{ .name = "f3", .type = MLP_FT_FLOAT },
	{ .name = "f4", .type = MLP_FT_FLOAT },
};
static struct mlp_fview view = { .name = "driver_stats", .entity = "driver",
	.source = "trips", .ttl = 7 * DAY * MLP_US_PER_SEC, .features = feats,
	.nfeatures = 5 };
static struct mlp_fspec spec = { .entities = &ent, .nentities = 1,
	.sources = &src, .nsources = 1, .views = &view, .nviews = 1 };

static int
open_repo(const char *repo, struct mlp_db **db, struct mlp_store **st)
{
	char *p = xasprintf("%s/mlp.db", repo);
	struct mlp_err err;

	mkdir(repo, 0777);
	if (mlp_db_open(db, p, 1, &err) < 0 ||
	    mlp_store_open(st, repo, NULL, NULL, &err) < 0) {
		fprintf(stderr, "feature_bench: %s\n", err.msg);
		return 1;
	}
	free(p);
	return 0;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long
peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
ingest(const char *repo, const char *file, int threads)
{
	struct mlp_fingest_opts o = { 0 };
	struct mlp_fingest_result *r;
	struct mlp_store *st;
	struct mlp_db *db;
	struct mlp_err err;
	double t0, c0;

	if (open_repo(repo, &db, &st))
		return 1;
	o.source = "trips";
	o.file = file;
	o.nthreads = threads;
	c0 = cpu_s();
	t0 = mlp_mono();
	if (mlp_fingest(db, st, &spec, &o, &r, &err) < 0) {
		fprintf(stderr, "feature_bench: %s\n", err.msg);
		return 1;
	}
	t0 = mlp_mono() - t0;
	printf("%.3f s (read %.3f, sort %.3f, store %.3f), %.0f rows/s, %llu "
	    "rows, %u partitions, %zu segments, %.1f MiB, peak RSS %.0f MiB, "
	    "cpu %.3f s%s\n", t0, r->read_s, r->order_s, r->write_s,
	    (double)r->rows / t0,
	    (unsigned long long)r->rows, r->views[0].partitions,
	    r->views[0].segments, (double)r->views[0].bytes / 1048576.0,
	    (double)peak_rss_kib() / 1024.0, cpu_s() - c0,
	    r->views[0].unchanged ? " (unchanged)" : "");
	mlp_fingest_result_free(r);
	mlp_store_free(st);
	mlp_db_close(db);
	return 0;
}

static int
dataset(const char *repo, const char *spine, const char *out, int threads)
{
	const char *refs[] = { "driver_stats:f0", "driver_stats:f1",
		"driver_stats:f2", "driver_stats:f3", "driver_stats:f4" };
	struct mlp_fdataset_opts o = { 0 };
	struct mlp_fdataset_result r;
	struct mlp_store *st;
	struct mlp_db *db;
	struct mlp_err err;
	double t0, c0;
	int fd;

	if (open_repo(repo, &db, &st))
		return 1;
	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(out);
		return 1;
	}
	o.spine = spine;
	o.refs = refs;
	o.nrefs = 5;
	o.out_fd = fd;
	o.nthreads = threads;
	c0 = cpu_s();
	t0 = mlp_mono();
	if (mlp_fdataset(db, st, &spec, &o, &r, &err) < 0) {
		fprintf(stderr, "feature_bench: %s\n", err.msg);
		return 1;
	}
	t0 = mlp_mono() - t0;
	close(fd);
	printf("%.3f s (spine %.3f, join %.3f, write %.3f), %llu rows, "
	    "%u partitions, peak RSS %.0f MiB, cpu %.3f s, sha256 %s\n", t0,
	    r.read_s, r.join_s, r.write_s, (unsigned long long)r.rows,
	    r.partitions, (double)peak_rss_kib() / 1024.0, cpu_s() - c0,
	    r.digest);
	mlp_store_free(st);
	mlp_db_close(db);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], argc > 3 ? atol(argv[3]) : 100000,
		    argc > 4 ? atol(argv[4]) : 5000000,
		    argc > 5 ? atol(argv[5]) : 1000000);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "ingest") == 0)
		return ingest(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 0);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "dataset") == 0)
		return dataset(argv[2], argv[3], argv[4], argc > 5 ?
		    atoi(argv[5]) : 0);
	fprintf(stderr, "usage: feature_bench gen DIR [ENTITIES ROWS SPINE]\n"
	    "       feature_bench ingest MLPDIR FILE [THREADS]\n"
	    "       feature_bench dataset MLPDIR SPINE OUT [THREADS]\n");
	return 2;
}
