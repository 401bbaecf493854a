/* Unit tests of the point-in-time rules and windowed aggregations: the rule
 * functions themselves, then ingest and dataset end to end in a scratch
 * repository with specs filled by hand (created-time ties, both TTL ends,
 * rows exactly at T, no TTL, missing entities, duplicate spine rows,
 * compound keys, window edges, filter_by_created_timestamp, batches,
 * re-ingest, bad input). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "feature/internal.h"
#include "store/store.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-pit-test.XXXXXX";
static struct mlp_db *db;
static struct mlp_store *st;

#define US MLP_US_PER_SEC
#define T0 INT64_C(1609459200000000)	/* 2021-01-01T00:00:00Z */
#define DAY (86400 * US)

/* ---- the rules ---- */

static void
test_rules(void)
{
	int64_t ets[] = { 10, 20, 20, 20, 30 };
	int64_t cts[] = { 5, 21, 24, 24, 40 };
	size_t lo, hi;

	ok(mlp_fpit_visible(10, MLP_TS_NONE, 10, 1), "a row at T is visible");
	ok(!mlp_fpit_visible(11, MLP_TS_NONE, 10, 0), "a row after T is not");
	ok(!mlp_fpit_visible(10, 11, 10, 1), "created after T, filtered");
	ok(mlp_fpit_visible(10, 11, 10, 0), "created after T, not filtered");
	ok(mlp_fpit_fresh(90, 100, 10), "exactly T - ttl is fresh");
	ok(!mlp_fpit_fresh(89, 100, 10), "before T - ttl is not");
	ok(mlp_fpit_fresh(INT64_MIN + 1, 100, 0), "ttl 0: no lower bound");
	ok(mlp_fpit_fresh(INT64_MIN + 1, INT64_MIN + 5, 100),
	    "T - ttl below the range does not overflow");
	ok(mlp_fpit_in_window(100, 100, 10), "an event at T is in the window");
	ok(!mlp_fpit_in_window(90, 100, 10), "an event at T - w is not");
	ok(mlp_fpit_in_window(91, 100, 10), "an event just after T - w is");
	ok(!mlp_fpit_in_window(101, 100, 10), "an event after T is not");
	ok(mlp_fpit_supersedes(20, 5, 20, 5), "a full tie: the later wins");
	ok(!mlp_fpit_supersedes(20, 4, 20, 5), "an older created time loses");
	ok(mlp_fpit_supersedes(21, 0, 20, 5), "a later event wins");

	is_int(mlp_fpit_pick(ets, cts, 5, 25, 0, 0), 3,
	    "pick: the greatest created time, the last of a full tie");
	is_int(mlp_fpit_pick(ets, cts, 5, 24, 0, 1), 3,
	    "pick with filter_created: created exactly at T");
	is_int(mlp_fpit_pick(ets, cts, 5, 23, 0, 1), 1,
	    "pick with filter_created: the latest created by T");
	is_int(mlp_fpit_pick(ets, cts, 5, 20, 0, 1), 0,
	    "pick with filter_created: rows created after T skipped");
	is_int(mlp_fpit_pick(ets, cts, 5, 30, 0, 0), 4, "pick: a row at T");
	is_int(mlp_fpit_pick(ets, cts, 5, 9, 0, 0), -1, "pick: none before");
	is_int(mlp_fpit_pick(ets, cts, 5, 30, 10, 0), 4, "pick within ttl");
	is_int(mlp_fpit_pick(ets, cts, 5, 29, 9, 0), 3,
	    "pick at exactly T - ttl");
	is_int(mlp_fpit_pick(ets, cts, 5, 29, 8, 0), -1,
	    "pick: the newest is older than T - ttl");
	is_int(mlp_fpit_pick(ets, NULL, 5, 20, 0, 1), 3,
	    "pick without created times: the last arrival");
	mlp_fpit_window(ets, 5, 30, 10, &lo, &hi);
	ok(lo == 4 && hi == 5, "window (20, 30] is rows [4, 5): [%zu, %zu)",
	    lo, hi);
}

static void
test_aggs(void)
{
	double x[] = { 1, 2, 4, 8 };
	uint64_t nulls = 1u << 2;	/* x[2] null */
	struct mlp_fval v;

	mlp_fagg_run(MLP_AGG_COUNT, x, NULL, 0, &v);
	ok(!v.null && v.type == MLP_FT_INT && v.v.i == 0,
	    "count of nothing is 0");
	mlp_fagg_run(MLP_AGG_SUM, x, NULL, 0, &v);
	ok(v.null, "sum of nothing is null");
	mlp_fagg_run(MLP_AGG_COUNT, x, &nulls, 4, &v);
	is_int(v.v.i, 3, "count skips nulls");
	mlp_fagg_run(MLP_AGG_SUM, x, &nulls, 4, &v);
	ok(v.v.f == 11, "sum skips nulls");
	mlp_fagg_run(MLP_AGG_AVG, x, NULL, 4, &v);
	ok(v.v.f == 3.75, "avg");
	mlp_fagg_run(MLP_AGG_MIN, x, NULL, 4, &v);
	ok(v.v.f == 1, "min");
	mlp_fagg_run(MLP_AGG_MAX, x, NULL, 4, &v);
	ok(v.v.f == 8, "max");
	mlp_fagg_run(MLP_AGG_LAST, x, &nulls, 3, &v);
	ok(v.v.f == 2, "last skips a null at the end");
	mlp_fagg_run(MLP_AGG_STDDEV, x, NULL, 1, &v);
	ok(v.null, "stddev of one input is null");
	mlp_fagg_run(MLP_AGG_STDDEV, x, NULL, 4, &v);
	ok(fabs(v.v.f - 3.0956959) < 1e-6, "stddev is the sample one (%.7f)",
	    v.v.f);
	{
		/* the order is part of the result: 1e16 + 1 + 1 left to
		 * right is not 1 + 1 + 1e16 */
		double a[] = { 1e16, 1, 1 }, b[] = { 1, 1, 1e16 };
		struct mlp_fval va, vb;

		mlp_fagg_run(MLP_AGG_SUM, a, NULL, 3, &va);
		mlp_fagg_run(MLP_AGG_SUM, b, NULL, 3, &vb);
		ok(va.v.f == 1e16 && vb.v.f == 1e16 + 2,
		    "sums are plain left-to-right adds");
	}
}

/* ---- the merges, on segments made by hand ---- */

/* A segment in memory of one int column "v": rows (key, ets, v) sorted by
 * the key's place in order[] (keys by hash), then as given. */
static void
hand_seg(struct fseg_w *w, struct fseg *s, const char *const *order,
    size_t nk, const char *const *rkey, const int64_t *ets,
    const int64_t *v, size_t n)
{
	static const char *names[] = { "v" };
	static const enum mlp_ftype types[] = { MLP_FT_INT };
	struct fseg_spec sp = { 0 };
	struct mlp_err err;
	uint64_t o = 0, ko = 0, k = 0;

	for (size_t j = 0; j < nk; j++) {
		size_t c = 0;

		for (size_t i = 0; i < n; i++)
			c += strcmp(rkey[i], order[j]) == 0;
		if (c) {
			sp.nkeys++;
			sp.key_heap_len += strlen(order[j]);
		}
	}
	sp.nrows = n;
	sp.ncols = 1;
	sp.names = names;
	sp.types = types;
	if (fseg_w_init(w, &sp, &err) < 0)
		abort();
	for (size_t j = 0; j < nk; j++) {
		size_t kl = strlen(order[j]), first = 1;

		for (size_t i = 0; i < n; i++) {
			if (strcmp(rkey[i], order[j]) != 0)
				continue;
			if (first) {
				w->key_hash[k] = mlp_fkey_hash(order[j], kl);
				w->key_start[k] = o;
				w->key_off[k] = ko;
				memcpy(w->key_heap + ko, order[j], kl);
				ko += kl;
				w->key_off[++k] = ko;
				first = 0;
			}
			w->ets[o] = ets[i];
			((int64_t *)w->cols[0].values)[o++] = v[i];
		}
	}
	w->key_start[k] = o;
	fseg_w_finish(w);
	if (fseg_open_mem(s, w->buf, w->size, "hand", &err) < 0) {
		printf("# %s\n", err.msg);
		abort();
	}
}

/* The v of each row the merge of runs[0..n) gives, as text. */
static char *
merged_v(struct frows *m, const struct frun *runs, size_t n)
{
	struct mlp_buf b = MLP_BUF_INIT;
	size_t r;
	uint64_t i;

	frows_reset(m);
	for (size_t j = 0; j < n; j++)
		frows_add(m, runs[j].seg, runs[j].a, runs[j].a + runs[j].n,
		    runs[j].src, j);
	while (frows_next(m, &r, &i))
		mlp_buf_addf(&b, "%s%lld", b.len ? " " : "", (long long)
		    ((const int64_t *)runs[r].seg->cols[0].values)[i]);
	return b.s ? mlp_buf_detach(&b) : xstrdup("");
}

static int
by_hash(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	uint64_t hx = mlp_fkey_hash(x, strlen(x)), hy = mlp_fkey_hash(y,
	    strlen(y));

	return hx < hy ? -1 : hx > hy;
}

static void
test_merges(void)
{
	const char *order[] = { "a", "b", "c", "d" };
	const char *k0[] = { "a", "a", "a", "c" }, *k2[] = { "a", "a", "b" },
	    *k1[] = { "c" };
	int64_t e0[] = { 10, 20, 20, 5 }, v0[] = { 1, 2, 3, 4 };
	int64_t e2[] = { 20, 30, 7 }, v2[] = { 5, 6, 7 };
	int64_t e1[] = { 5 }, v1[] = { 8 };
	struct fseg_w w[3], wm[100];
	struct fseg s[3], sm[100];
	struct fkeys keys = { 0 };
	struct frows rows = { 0 };
	struct frun runs[100];
	struct mlp_buf seen = MLP_BUF_INIT;
	char *t;
	size_t n;

	qsort(order, 4, sizeof(*order), by_hash);
	hand_seg(&w[0], &s[0], order, 4, k0, e0, v0, 4);
	hand_seg(&w[1], &s[1], order, 4, k1, e1, v1, 1);
	hand_seg(&w[2], &s[2], order, 4, k2, e2, v2, 3);
	/* batch 1's keys left out: an empty range adds nothing */
	fkeys_add(&keys, &s[0], 0, s[0].nkeys, 0);
	fkeys_add(&keys, &s[1], 0, 0, 1);
	fkeys_add(&keys, &s[2], 0, s[2].nkeys, 2);
	while ((n = fkeys_next(&keys, runs)) > 0) {
		const struct fseg *ks = runs[0].seg;

		mlp_buf_addf(&seen, "%.*s:", (int)(ks->key_off[runs[0].k + 1] -
		    ks->key_off[runs[0].k]), ks->key_heap +
		    ks->key_off[runs[0].k]);
		for (size_t j = 0; j < n; j++)
			mlp_buf_addf(&seen, "%zu", runs[j].src);
		if (runs[0].seg->key_heap[ks->key_off[runs[0].k]] == 'a') {
			t = merged_v(&rows, runs, n);
			is_str(t, "1 2 3 5 6", "key a: by time, a tie in batch "
			    "order, then line order");
			free(t);
		}
		mlp_buf_addc(&seen, ' ');
	}
	{
		/* the keys in hash order, each with its batches in order */
		struct mlp_buf want = MLP_BUF_INIT;

		for (size_t j = 0; j < 4; j++)
			if (strcmp(order[j], "a") == 0)
				mlp_buf_adds(&want, "a:02 ");
			else if (strcmp(order[j], "b") == 0)
				mlp_buf_adds(&want, "b:2 ");
			else if (strcmp(order[j], "c") == 0)
				mlp_buf_adds(&want, "c:0 ");
		is_str(seen.s, want.s, "the keys merged: %s", want.s);
		mlp_buf_release(&want);
	}
	/* seeking: keys in order, an absent one has no runs; the
	 * segments added in reverse come out in batch order */
	fkeys_reset(&keys);
	for (size_t b = 3; b-- > 0;)
		fkeys_add(&keys, &s[b], 0, s[b].nkeys, b);
	mlp_buf_reset(&seen);
	for (size_t j = 0; j < 4; j++) {
		n = fkeys_seek(&keys, mlp_fkey_hash(order[j], 1), order[j], 1,
		    runs);
		mlp_buf_addf(&seen, "%s:%zu ", order[j], n);
		if (strcmp(order[j], "c") == 0) {
			t = merged_v(&rows, runs, n);
			is_str(t, "4 8", "key c: a tie across batches, the "
			    "earlier first");
			free(t);
		}
	}
	ok(strstr(seen.s, "a:2 ") && strstr(seen.s, "b:1 ") &&
	    strstr(seen.s, "c:2 ") && strstr(seen.s, "d:0 "),
	    "seek: each key's runs, none for an absent key (%s)", seen.s);
	/* 100 batches, one row each at one time: batch order */
	fkeys_reset(&keys);
	for (size_t b = 0; b < 100; b++) {
		const char *ka[] = { "a" };
		int64_t ea[] = { 42 }, va[] = { (int64_t)b };

		hand_seg(&wm[b], &sm[b], order, 4, ka, ea, va, 1);
	}
	/* added out of order: the heap orders them */
	for (size_t b = 0; b < 100; b++)
		fkeys_add(&keys, &sm[(b * 37) % 100], 0, 1, (b * 37) % 100);
	n = fkeys_next(&keys, runs);
	is_int(n, 100, "100 batches of one key: 100 runs");
	ok(n == 100 && runs[0].src == 0 && runs[99].src == 99,
	    "in batch order");
	t = merged_v(&rows, runs, n);
	ok(strncmp(t, "0 1 2 3 ", 8) == 0 && strlen(t) > 4 &&
	    strcmp(t + strlen(t) - 6, " 98 99") == 0, "their rows tied in "
	    "time come in batch order");
	free(t);
	is_int(fkeys_next(&keys, runs), 0, "then the end");
	for (size_t b = 0; b < 100; b++) {
		fseg_close(&sm[b]);
		fseg_w_release(&wm[b]);
	}
	for (size_t b = 0; b < 3; b++) {
		fseg_close(&s[b]);
		fseg_w_release(&w[b]);
	}
	fkeys_release(&keys);
	frows_release(&rows);
	mlp_buf_release(&seen);
}

/* ---- a scratch repository and specs by hand ---- */

static char *
path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
put(const char *name, const char *text)
{
	char *p = path(name);
	FILE *f = fopen(p, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(p);
		exit(2);
	}
	free(p);
}

static char *
slurp(const char *name)
{
	struct mlp_buf b = MLP_BUF_INIT;
	char *p = path(name), tmp[4096];
	FILE *f = fopen(p, "r");
	size_t r;

	free(p);
	if (!f)
		return xstrdup("(missing)");
	while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0)
		mlp_buf_add(&b, tmp, r);
	fclose(f);
	return b.s ? mlp_buf_detach(&b) : xstrdup("");
}

static char *driver_keys[] = { "driver_id" };
static enum mlp_ftype driver_types[] = { MLP_FT_INT };
static char *pair_keys[] = { "city", "driver_id" };
static enum mlp_ftype pair_types[] = { MLP_FT_STRING, MLP_FT_INT };

static struct mlp_fentity entities[] = {
	{ .name = "driver", .join_keys = driver_keys,
	  .key_types = driver_types, .nkeys = 1 },
	{ .name = "city_driver", .join_keys = pair_keys,
	  .key_types = pair_types, .nkeys = 2 },
};

static struct mlp_fsource sources[] = {
	{ .name = "profiles", .path = "profiles.csv", .timestamp = "event_ts",
	  .created_timestamp = "created_ts" },
	{ .name = "trips", .path = "trips.csv", .timestamp = "event_ts" },
	{ .name = "pairs", .path = "pairs.csv", .timestamp = "ts",
	  .tsfmt = MLP_TSFMT_EPOCH_S },
	{ .name = "events", .path = "events.jsonl", .timestamp = "event_ts" },
	{ .name = "rnd", .path = "rnd.csv", .timestamp = "event_ts",
	  .created_timestamp = "created_ts" },
};

static struct mlp_ffeature profile_features[] = {
	{ .name = "rating", .type = MLP_FT_FLOAT },
	{ .name = "trips_today", .type = MLP_FT_INT },
	{ .name = "vip", .type = MLP_FT_BOOL },
	{ .name = "car", .type = MLP_FT_STRING },
};
static struct mlp_fderived profile_derived[] = {
	{ .name = "rating_x2", .expr = "rating * 2" },
};

static int64_t w1d[] = { DAY }, w2[] = { 3600 * US, DAY };
static char *sum_names[] = { "fare_sum_1h", "fare_sum_1d" };
static char *count_names[] = { "fare_count_1d" };
static char *avg_names[] = { "fare_avg_1d" };
static char *min_names[] = { "fare_min_1d" };
static char *max_names[] = { "fare_max_1d" };
static char *last_names[] = { "fare_last_1d" };
static char *sd_names[] = { "fare_stddev_1d" };
static struct mlp_fagg trip_aggs[] = {
	{ .column = "fare", .op = MLP_AGG_SUM, .windows = w2,
	  .names = sum_names, .nwindows = 2 },
	{ .column = "fare", .op = MLP_AGG_COUNT, .windows = w1d,
	  .names = count_names, .nwindows = 1 },
	{ .column = "fare", .op = MLP_AGG_AVG, .windows = w1d,
	  .names = avg_names, .nwindows = 1 },
	{ .column = "fare", .op = MLP_AGG_MIN, .windows = w1d,
	  .names = min_names, .nwindows = 1 },
	{ .column = "fare", .op = MLP_AGG_MAX, .windows = w1d,
	  .names = max_names, .nwindows = 1 },
	{ .column = "fare", .op = MLP_AGG_LAST, .windows = w1d,
	  .names = last_names, .nwindows = 1 },
	{ .column = "fare", .op = MLP_AGG_STDDEV, .windows = w1d,
	  .names = sd_names, .nwindows = 1 },
};
static struct mlp_ffeature pair_features[] = {
	{ .name = "score", .type = MLP_FT_FLOAT },
};
static struct mlp_ffeature event_features[] = {
	{ .name = "speed", .type = MLP_FT_FLOAT },
	{ .name = "label", .type = MLP_FT_STRING },
};

static struct mlp_ffeature rnd_features[] = {
	{ .name = "x", .type = MLP_FT_FLOAT },
	{ .name = "s", .type = MLP_FT_STRING },
};
static int64_t rnd_windows[] = { 3600 * US, 5 * 3600 * US };
static char *rnd_names[7][2] = {
	{ "x_count_1h", "x_count_5h" }, { "x_sum_1h", "x_sum_5h" },
	{ "x_avg_1h", "x_avg_5h" }, { "x_min_1h", "x_min_5h" },
	{ "x_max_1h", "x_max_5h" }, { "x_last_1h", "x_last_5h" },
	{ "x_stddev_1h", "x_stddev_5h" },
};
static struct mlp_fagg rnd_aggs[7];

static struct mlp_fview views[] = {
	{ .name = "driver_profile", .entity = "driver", .source = "profiles",
	  .ttl = 7 * DAY, .features = profile_features, .nfeatures = 4,
	  .derived = profile_derived, .nderived = 1 },
	{ .name = "driver_trips", .entity = "driver", .source = "trips",
	  .ttl = 0, .aggs = trip_aggs, .naggs = 7 },
	{ .name = "pair_scores", .entity = "city_driver", .source = "pairs",
	  .ttl = 0, .features = pair_features, .nfeatures = 1 },
	{ .name = "driver_events", .entity = "driver", .source = "events",
	  .ttl = 0, .features = event_features, .nfeatures = 2 },
	{ .name = "rnd", .entity = "driver", .source = "rnd",
	  .ttl = 3 * 3600 * US, .features = rnd_features, .nfeatures = 2,
	  .aggs = rnd_aggs, .naggs = 7 },
};

static struct mlp_fspec spec = {
	.entities = entities, .nentities = 2,
	.sources = sources, .nsources = 5,
	.views = views, .nviews = 5,
};

static int ingest_threads = 3, no_compact;

static int
ingest(const char *source, const char *file, int64_t version,
    struct mlp_fingest_result **res, struct mlp_err *err)
{
	int64_t versions[5] = { version, version, version, version, version };
	struct mlp_fingest_opts o = { 0 };
	struct mlp_fingest_result *r = NULL;
	int rc;

	o.source = source;
	o.file = file;
	o.root = dir;
	o.versions = versions;
	o.user = "tester";
	o.nthreads = ingest_threads;
	o.no_compact = no_compact;
	rc = mlp_fingest(db, st, &spec, &o, &r, err);
	if (res)
		*res = r;
	else
		mlp_fingest_result_free(r);
	return rc;
}

static int
derive_x2(void *ud, const struct mlp_fview *view, size_t derived,
    const struct mlp_fval *in, struct mlp_fval *out, struct mlp_err *err)
{
	(*(int *)ud)++;
	out->type = MLP_FT_FLOAT;
	out->null = in[0].null;
	out->v.f = in[0].v.f * 2;
	return 0;
}

/* Runs dataset on the spine text with refs (a comma-separated list);
 * returns the output text or the error message, with *rc. */
static char *
dataset(const char *spine, const char *refs, int flags, int *rcp,
    struct mlp_fdataset_result *res)
{
	struct mlp_fdataset_opts o = { 0 };
	struct mlp_fdataset_result r;
	struct mlp_strv sv = MLP_STRV_INIT;
	struct mlp_err err;
	char *list = xstrdup(refs), *tok, *save = NULL, *out, *sp;
	static int derived_calls;
	int fd, rc;

	for (tok = strtok_r(list, ",", &save); tok;
	    tok = strtok_r(NULL, ",", &save))
		mlp_strv_push(&sv, tok);
	free(list);
	put("spine.csv", spine);
	sp = path("spine.csv");
	out = path("out.csv");
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	o.spine = sp;
	o.refs = (const char *const *)sv.v;
	o.nrefs = sv.n;
	o.full_names = flags & 1;
	o.filter_created = (flags & 2) != 0;
	o.nthreads = flags >> 8;
	o.out_fd = fd;
	if (flags & 4) {
		o.derive = derive_x2;
		o.derive_ud = &derived_calls;
	}
	mlp_err_clear(&err);
	rc = mlp_fdataset(db, st, &spec, &o, res ? res : &r, &err);
	close(fd);
	free(sp);
	free(out);
	mlp_strv_release(&sv);
	*rcp = rc;
	if (rc < 0)
		return xstrdup(err.msg);
	return slurp("out.csv");
}

/* ---- end to end ---- */

static void
test_features(void)
{
	struct mlp_fingest_result *res = NULL;
	struct mlp_err err;
	char *out;
	int rc;

	put("profiles.csv",
	    "driver_id,event_ts,created_ts,rating,trips_today,vip,car\n"
	    /* 1001: a tie on event time broken by created time */
	    "1001,2021-01-01T00:00:00Z,2021-01-01T00:00:05Z,4.5,3,true,prius\n"
	    "1001,2021-01-01T00:00:00Z,2021-01-01T00:00:09Z,4.7,4,false,"
	    "\"a, \"\"b\"\"\"\n"
	    "1001,2021-01-01T00:00:00Z,2021-01-01T00:00:01Z,4.6,5,true,x\n"
	    /* 1002: a full tie (the later line wins), then an empty value */
	    "1002,2021-01-02T00:00:00Z,2021-01-02T00:00:00Z,3.0,1,true,old\n"
	    "1002,2021-01-02T00:00:00Z,2021-01-02T00:00:00Z,3.25,2,false,new\n"
	    "1002,2021-01-03T00:00:00Z,2021-01-03T00:00:00Z,,7,,\n"
	    /* 1003: out of order in the file; one created long after */
	    "1003,2021-01-05T00:00:00Z,2021-01-20T00:00:00Z,0.1,9,true,late\n"
	    "1003,2021-01-04T00:00:00Z,2021-01-04T00:00:00Z,0.3,8,false,early\n"
	    "0007,2021-01-01T00:00:00Z,2021-01-01T00:00:00Z,1e-7,0,0,seven\n");
	mlp_err_clear(&err);
	rc = ingest("profiles", NULL, 1, &res, &err);
	is_int(rc, 0, "ingest profiles (%s)", err.msg);
	if (rc == 0) {
		is_int(res->rows, 9, "9 rows");
		is_int(res->nviews, 1, "one view on the source");
		ok(res->views[0].id > 0 && !res->views[0].unchanged,
		    "a batch recorded");
		is_int(res->views[0].partitions, 1, "one partition");
		is_int(res->views[0].min_ts, T0, "min event time");
	}
	mlp_fingest_result_free(res);

	out = dataset("driver_id,event_ts,label\n"
	    "1001,2021-01-01T00:00:00Z,a\n"
	    "1001,2021-01-01T00:00:00Z,dup\n"
	    "1002,2021-01-02T12:00:00Z,b\n"
	    "1002,2021-01-03T00:00:00Z,c\n"
	    "1002,2021-01-01T23:59:59.999999Z,d\n"
	    "1003,2021-01-06T00:00:00Z,e\n"
	    "1003,2021-01-12T00:00:00Z,f\n"
	    "1003,2021-01-12T00:00:00.000001Z,g\n"
	    "9999,2021-01-06T00:00:00Z,h\n"
	    "7,2021-01-02T00:00:00Z,i\n"
	    "1001,2020-12-31T23:59:59Z,j\n",
	    "driver_profile:rating,driver_profile:trips_today,"
	    "driver_profile:vip,driver_profile:car", 0, &rc, NULL);
	is_str(out,
	    "driver_id,event_ts,label,rating,trips_today,vip,car\n"
	    "1001,2021-01-01T00:00:00Z,a,4.7,4,false,\"a, \"\"b\"\"\"\n"
	    "1001,2021-01-01T00:00:00Z,dup,4.7,4,false,\"a, \"\"b\"\"\"\n"
	    "1002,2021-01-02T12:00:00Z,b,3.25,2,false,new\n"
	    "1002,2021-01-03T00:00:00Z,c,,7,,\n"
	    "1002,2021-01-01T23:59:59.999999Z,d,,,,\n"
	    "1003,2021-01-06T00:00:00Z,e,0.1,9,true,late\n"
	    "1003,2021-01-12T00:00:00Z,f,0.1,9,true,late\n"
	    "1003,2021-01-12T00:00:00.000001Z,g,,,,\n"
	    "9999,2021-01-06T00:00:00Z,h,,,,\n"
	    "7,2021-01-02T00:00:00Z,i,1e-07,0,false,seven\n"
	    "1001,2020-12-31T23:59:59Z,j,,,,\n",
	    "created-time ties, full ties, rows at T, the TTL's lower end "
	    "inclusive (f) and one microsecond past it (g), missing entity, "
	    "duplicate spine rows, canonical int keys, quoting");
	free(out);

	/* filter_by_created_timestamp: 1001's rows were created after T */
	out = dataset("driver_id,event_ts\n"
	    "1001,2021-01-01T00:00:06Z\n"
	    "1001,2021-01-01T00:00:00Z\n"
	    "1003,2021-01-06T00:00:00Z\n"
	    "1003,2021-01-21T00:00:00Z\n",
	    "driver_profile:rating", 2, &rc, NULL);
	is_str(out, "driver_id,event_ts,rating\n"
	    "1001,2021-01-01T00:00:06Z,4.5\n"
	    "1001,2021-01-01T00:00:00Z,\n"
	    "1003,2021-01-06T00:00:00Z,0.3\n"
	    "1003,2021-01-21T00:00:00Z,\n",
	    "filter_by_created_timestamp skips rows created after T (the "
	    "last: 0.1 is created on the 20th but the TTL keeps the 4th out)");
	free(out);

	out = dataset("driver_id,event_ts\n1001,2021-01-02T00:00:00Z\n",
	    "driver_profile:rating", 1, &rc, NULL);
	is_str(out, "driver_id,event_ts,driver_profile__rating\n"
	    "1001,2021-01-02T00:00:00Z,4.7\n", "full names");
	free(out);

	out = dataset("driver_id,event_ts\n1001,2021-01-02T00:00:00Z\n"
	    "1002,2021-01-03T00:00:00Z\n",
	    "driver_profile:rating_x2,driver_profile:car", 4, &rc, NULL);
	is_str(out, "driver_id,event_ts,rating_x2,car\n"
	    "1001,2021-01-02T00:00:00Z,9.4,\"a, \"\"b\"\"\"\n"
	    "1002,2021-01-03T00:00:00Z,,\n",
	    "derived features through the derive hook, their inputs hidden");
	free(out);
	out = dataset("driver_id,event_ts\n1001,2021-01-02T00:00:00Z\n",
	    "driver_profile:rating_x2", 0, &rc, NULL);
	is_str(out, "driver_id,event_ts,rating_x2\n"
	    "1001,2021-01-02T00:00:00Z,9.4\n", "without a derive hook, the "
	    "view's own expression");
	free(out);

	/* the same rows again add nothing, at the same version */
	mlp_err_clear(&err);
	rc = ingest("profiles", NULL, 1, &res, &err);
	ok(rc == 0 && res->views[0].unchanged && res->views[0].id == 1 &&
	    res->objects_written == 0, "re-ingesting the same rows adds "
	    "nothing (%s)", err.msg);
	mlp_fingest_result_free(res);
}

static void
test_aggregations(void)
{
	struct mlp_err err;
	char *out;
	int rc;

	put("trips.csv",
	    "driver_id,event_ts,fare\n"
	    "1,2021-01-01T00:00:00Z,10\n"
	    "1,2021-01-01T12:00:00Z,20\n"
	    "1,2021-01-01T23:00:00Z,\n"
	    "1,2021-01-02T00:00:00Z,40\n"
	    "2,2021-01-01T00:00:00Z,5\n");
	mlp_err_clear(&err);
	is_int(ingest("trips", NULL, 1, NULL, &err), 0, "ingest trips (%s)",
	    err.msg);
	out = dataset("driver_id,event_ts\n"
	    "1,2021-01-02T00:00:00Z\n"
	    "1,2021-01-01T23:59:59.999999Z\n"
	    "1,2021-01-02T12:00:00Z\n"
	    "1,2021-01-02T11:59:59.999999Z\n"
	    "3,2021-01-02T00:00:00Z\n"
	    "2,2021-01-01T00:00:00Z\n",
	    "driver_trips:fare_sum_1h,driver_trips:fare_sum_1d,"
	    "driver_trips:fare_count_1d,driver_trips:fare_avg_1d,"
	    "driver_trips:fare_min_1d,driver_trips:fare_max_1d,"
	    "driver_trips:fare_last_1d,driver_trips:fare_stddev_1d",
	    0, &rc, NULL);
	is_str(out, "driver_id,event_ts,fare_sum_1h,fare_sum_1d,"
	    "fare_count_1d,fare_avg_1d,fare_min_1d,fare_max_1d,fare_last_1d,"
	    "fare_stddev_1d\n"
	    /* (Jan 1 00:00, Jan 2 00:00]: 20, null, 40 */
	    "1,2021-01-02T00:00:00Z,40.0,60.0,2,30.0,20.0,40.0,40.0,"
	    "14.142135623730951\n"
	    /* (Dec 31 23:59:59.999999, Jan 1 23:59:59.999999]: 10, 20, and
	     * the 1h window holds only the null */
	    "1,2021-01-01T23:59:59.999999Z,,30.0,2,15.0,10.0,20.0,20.0,"
	    "7.0710678118654755\n"
	    /* (Jan 1 12:00, Jan 2 12:00]: 12:00 itself is out */
	    "1,2021-01-02T12:00:00Z,,40.0,1,40.0,40.0,40.0,40.0,\n"
	    "1,2021-01-02T11:59:59.999999Z,,60.0,2,30.0,20.0,40.0,40.0,"
	    "14.142135623730951\n"
	    "3,2021-01-02T00:00:00Z,,,0,,,,,\n"
	    "2,2021-01-01T00:00:00Z,5.0,5.0,1,5.0,5.0,5.0,5.0,\n",
	    "window edges: an event at T in, at T - w out; count 0 and nulls "
	    "for an empty window; stddev null for one input");
	free(out);

	/* a second batch: its rows count too */
	put("trips2.csv", "driver_id,event_ts,fare\n"
	    "1,2021-01-01T12:00:00Z,1\n"
	    "2,2021-01-01T00:00:00Z,7\n");
	mlp_err_clear(&err);
	is_int(ingest("trips", "trips2.csv", 1, NULL, &err), 0,
	    "ingest a second batch (%s)", err.msg);
	out = dataset("driver_id,event_ts\n1,2021-01-02T00:00:00Z\n"
	    "2,2021-01-01T00:00:00Z\n",
	    "driver_trips:fare_sum_1d,driver_trips:fare_count_1d,"
	    "driver_trips:fare_last_1d", 0, &rc, NULL);
	is_str(out, "driver_id,event_ts,fare_sum_1d,fare_count_1d,"
	    "fare_last_1d\n"
	    "1,2021-01-02T00:00:00Z,61.0,3,40.0\n"
	    "2,2021-01-01T00:00:00Z,12.0,2,7.0\n",
	    "batches merge in event order; a tie goes to the later batch");
	free(out);
}

static void
test_compound(void)
{
	struct mlp_err err;
	char *out;
	int rc;

	put("pairs.csv", "city,driver_id,ts,score\n"
	    "sf,1,1609459200,1.5\n"
	    "sf,2,1609459200,2.5\n"
	    "la,1,1609459200.5,3.5\n"
	    "\"la,x\",1,1609459200,4.5\n");
	mlp_err_clear(&err);
	is_int(ingest("pairs", NULL, 1, NULL, &err), 0, "ingest pairs (%s)",
	    err.msg);
	out = dataset("driver_id,city,event_ts\n"
	    "1,sf,2021-01-01T00:00:00Z\n"
	    "1,la,2021-01-01T00:00:00Z\n"
	    "1,la,2021-01-01T00:00:00.5Z\n"
	    "2,la,2021-01-01T00:00:01Z\n"
	    "1,\"la,x\",2021-01-01T00:00:01Z\n",
	    "pair_scores:score", 0, &rc, NULL);
	is_str(out, "driver_id,city,event_ts,score\n"
	    "1,sf,2021-01-01T00:00:00Z,1.5\n"
	    "1,la,2021-01-01T00:00:00Z,\n"
	    "1,la,2021-01-01T00:00:00.5Z,3.5\n"
	    "2,la,2021-01-01T00:00:01Z,\n"
	    "1,\"la,x\",2021-01-01T00:00:01Z,4.5\n",
	    "compound keys, in any column order; no entity borrows another's");
	free(out);
}

static void
test_jsonl(void)
{
	struct mlp_err err;
	char *out;
	int rc;

	put("events.jsonl",
	    "{\"driver_id\": 5, \"event_ts\": \"2021-01-01T00:00:00Z\", "
	    "\"speed\": 0.30000000000000004, \"label\": \"a,b\"}\n"
	    "\n"
	    "{\"driver_id\": \"6\", \"event_ts\": \"2021-01-01T00:00:00Z\", "
	    "\"speed\": null}\n");
	mlp_err_clear(&err);
	is_int(ingest("events", NULL, 1, NULL, &err), 0, "ingest JSON lines "
	    "(%s)", err.msg);
	out = dataset("driver_id,event_ts\n5,2021-01-02T00:00:00Z\n"
	    "6,2021-01-02T00:00:00Z\n",
	    "driver_events:speed,driver_events:label", 0, &rc, NULL);
	is_str(out, "driver_id,event_ts,speed,label\n"
	    "5,2021-01-02T00:00:00Z,0.30000000000000004,\"a,b\"\n"
	    "6,2021-01-02T00:00:00Z,,\n",
	    "JSON lines: numbers exact, missing keys and null are null");
	free(out);
	put("bad.jsonl", "{\"driver_id\": 5, \"event_ts\": \"2021-01-01\", "
	    "\"speed\": \"fast\"}\n");
	mlp_err_clear(&err);
	is_int(ingest("events", "bad.jsonl", 1, NULL, &err), MLP_EINVAL,
	    "a JSON value of the wrong type");
	is_str(err.msg, "'bad.jsonl' line 1 ('speed'): 'fast' is not a float",
	    "its message");
}

static void
test_errors(void)
{
	struct mlp_fdataset_result r;
	struct mlp_err err;
	char *out;
	int rc;

	put("bad.csv", "driver_id,event_ts,fare\n1,2021-01-01T00:00:00Z,1\n"
	    "2,2021-01-01T00:00:00Z,abc\n");
	mlp_err_clear(&err);
	is_int(ingest("trips", "bad.csv", 1, NULL, &err), MLP_EINVAL,
	    "a type mismatch");
	is_str(err.msg, "'bad.csv' line 3 column 3 ('fare'): 'abc' is not a "
	    "float", "names file, line, column");
	put("bad.csv", "driver_id,event_ts,fare\n,2021-01-01T00:00:00Z,1\n");
	is_int(ingest("trips", "bad.csv", 1, NULL, &err), MLP_EINVAL,
	    "a null key");
	is_str(err.msg, "'bad.csv' line 2 column 1 ('driver_id'): an empty "
	    "join key", "its message");
	put("bad.csv", "driver_id,event_ts,fare\n1,2021-02-30,1\n");
	is_int(ingest("trips", "bad.csv", 1, NULL, &err), MLP_EINVAL,
	    "a malformed timestamp");
	is_str(err.msg, "'bad.csv' line 2 column 2 ('event_ts'): '2021-02-30' "
	    "is not an iso8601 timestamp", "its message");
	put("bad.csv", "driver_id,event_ts,fare\n1,,1\n");
	is_int(ingest("trips", "bad.csv", 1, NULL, &err), MLP_EINVAL,
	    "an empty timestamp");
	put("bad.csv", "driver_id,event_ts\n1,2021-01-01\n");
	is_int(ingest("trips", "bad.csv", 1, NULL, &err), MLP_EINVAL,
	    "a missing column");
	is_str(err.msg, "'bad.csv' has no column 'fare' (needed by feature "
	    "view 'driver_trips')", "its message");
	put("bad.csv", "driver_id,event_ts,fare\n1,2021-01-01,1,2\n");
	is_int(ingest("trips", "bad.csv", 1, NULL, &err), MLP_EINVAL,
	    "a row too long");
	is_str(err.msg, "'bad.csv' line 2: expected 3 fields, found 4",
	    "its message");
	put("bad.csv", "driver_id,event_ts,fare\n");
	is_int(ingest("trips", "bad.csv", 1, NULL, &err), MLP_EINVAL,
	    "no rows");
	is_int(ingest("trip", "bad.csv", 1, NULL, &err), MLP_ENOTFOUND,
	    "an unknown source");
	is_str(err.msg, "no source 'trip' (did you mean 'trips'?)",
	    "with a did-you-mean");
	is_int(ingest("trips", "nothere.csv", 1, NULL, &err), MLP_ENOTFOUND,
	    "a missing file");

	out = dataset("event_ts,label\n2021-01-01,a\n",
	    "driver_trips:fare_sum_1d", 0, &rc, NULL);
	is_int(rc, MLP_EINVAL, "a spine without the join key");
	ok(strstr(out, "spine.csv' has no column 'driver_id' (a join key of "
	    "entity 'driver')") != NULL, "names the key (%s)", out);
	free(out);
	out = dataset("driver_id,event_ts\n1,2021-01-01\n",
	    "driver_trips:fare_sum_7d", 0, &rc, NULL);
	is_str(out, "no feature 'fare_sum_7d' in feature view 'driver_trips' "
	    "(did you mean 'fare_sum_1d'?)",
	    "an unknown feature, with a did-you-mean");
	free(out);
	out = dataset("driver_id,event_ts\n1,2021-01-01\n",
	    "driver_trip:fare_sum_1d", 0, &rc, NULL);
	is_str(out, "no feature view 'driver_trip' (did you mean "
	    "'driver_trips'?)", "an unknown view");
	free(out);
	out = dataset("driver_id,event_ts\n1,yesterday\n",
	    "driver_trips:fare_sum_1d", 0, &rc, NULL);
	ok(rc == MLP_EINVAL && strstr(out, "line 2 column 2 ('event_ts'): "
	    "'yesterday' is not an iso8601 timestamp"),
	    "a bad spine time (%s)", out);
	free(out);
	out = dataset("driver_id,event_ts,fare_sum_1d\n1,2021-01-01,3\n",
	    "driver_trips:fare_sum_1d", 0, &rc, &r);
	is_int(rc, MLP_EINVAL, "a feature named as a spine column");
	free(out);
	out = dataset("driver_id,event_ts\n1,2021-01-01\n",
	    "driver_trips:fare_sum_1d,driver_trips:fare_sum_1d", 0, &rc, &r);
	is_str(out, "feature 'driver_trips:fare_sum_1d' is asked for twice",
	    "a feature asked for twice");
	free(out);
	out = dataset("driver_id,event_ts\n1,2021-01-01\n",
	    "driver_events:speed", 0, &rc, &r);
	ok(rc == 0, "a view ingested: fine (%s)", rc ? out : "");
	free(out);
}

/* ---- against a brute-force reference ---- */

struct rrow {
	int64_t driver, ets, cts;
	int has_x;
	double x;
	char s[8];		/* "" null */
	int batch, line;
};

static uint64_t rseed = 0x853c49e6748fea9bull;

static uint64_t
rnd(uint64_t n)
{
	rseed ^= rseed << 13;
	rseed ^= rseed >> 7;
	rseed ^= rseed << 17;
	return rseed % n;
}

static void
ts_text(struct mlp_buf *b, int64_t us)
{
	char t[48];

	mlp_ts_format(us, t);
	mlp_buf_adds(b, t);
}

/* (ets, cts, batch, line) order */
static int
rrow_before(const struct rrow *a, const struct rrow *b)
{
	if (a->ets != b->ets)
		return a->ets < b->ets;
	if (a->cts != b->cts)
		return a->cts < b->cts;
	if (a->batch != b->batch)
		return a->batch < b->batch;
	return a->line < b->line;
}

static void
cell_float(struct mlp_buf *b, const struct mlp_fval *v)
{
	char num[40];

	mlp_buf_addc(b, ',');
	if (v->null)
		return;
	if (v->type == MLP_FT_INT)
		mlp_buf_add(b, num, fnum_fmt_int(v->v.i, num));
	else
		mlp_buf_add(b, num, fnum_fmt_double(v->v.f, num));
}

/* The training set the rules give, computed row by row over every row. */
static char *
reference(const struct rrow *rows, size_t n, const int64_t *sd,
    const int64_t *stime, size_t ns, int filter)
{
	struct mlp_buf b = MLP_BUF_INIT;
	const struct rrow **win = xcalloc(n + 1, sizeof(*win));

	mlp_buf_adds(&b, "driver_id,event_ts,x,s");
	for (int op = 0; op < 7; op++)
		for (int w = 0; w < 2; w++)
			mlp_buf_addf(&b, ",%s", rnd_names[op][w]);
	mlp_buf_addc(&b, '\n');
	for (size_t i = 0; i < ns; i++) {
		const struct rrow *best = NULL;
		int64_t t = stime[i];

		mlp_buf_addf(&b, "%lld,", (long long)sd[i]);
		ts_text(&b, t);
		for (size_t j = 0; j < n; j++) {
			const struct rrow *r = &rows[j];

			if (r->driver != sd[i] || r->ets > t ||
			    r->ets < t - 3 * 3600 * US ||
			    (filter && r->cts > t))
				continue;
			if (!best || rrow_before(best, r))
				best = r;
		}
		if (best) {
			char num[40];

			mlp_buf_addc(&b, ',');
			if (best->has_x)
				mlp_buf_add(&b, num, fnum_fmt_double(best->x,
				    num));
			mlp_buf_addf(&b, ",%s", best->s);
		} else {
			mlp_buf_adds(&b, ",,");
		}
		for (int op = 0; op < 7; op++)
			for (int w = 0; w < 2; w++) {
				static const enum mlp_aggop ops[7] = {
					MLP_AGG_COUNT, MLP_AGG_SUM, MLP_AGG_AVG,
					MLP_AGG_MIN, MLP_AGG_MAX, MLP_AGG_LAST,
					MLP_AGG_STDDEV };
				struct mlp_fagg_acc acc;
				struct mlp_fval v;
				size_t nw = 0;

				for (size_t j = 0; j < n; j++) {
					const struct rrow *r = &rows[j];
					size_t y;

					if (r->driver != sd[i] || r->ets > t ||
					    r->ets <= t - rnd_windows[w] ||
					    (filter && r->cts > t) || !r->has_x)
						continue;
					for (y = nw; y > 0 &&
					    rrow_before(r, win[y - 1]); y--)
						win[y] = win[y - 1];
					win[y] = r;
					nw++;
				}
				mlp_fagg_acc_init(&acc);
				for (size_t y = 0; y < nw; y++)
					mlp_fagg_acc_add(&acc, win[y]->x);
				mlp_fagg_acc_value(&acc, ops[op], &v);
				cell_float(&b, &v);
			}
		mlp_buf_addc(&b, '\n');
	}
	free(win);
	return mlp_buf_detach(&b);
}

/* One random row, or a copy of one of rows[0..have) (a tie with an
 * earlier batch) once in four when have > 0. */
static void
random_row(struct rrow *r, const struct rrow *rows, size_t have)
{
	if (have && rnd(4) == 0) {
		*r = rows[rnd(have)];
		return;
	}
	r->driver = 1 + (int64_t)rnd(60);
	r->ets = T0 + (int64_t)rnd(48 * 4) * 900 * US;
	r->cts = r->ets + (int64_t)rnd(5) * 1800 * US;
	r->has_x = rnd(10) != 0;
	r->x = (double)(int64_t)rnd(20000) / 100.0 - 50;
	if (rnd(8))
		snprintf(r->s, sizeof(r->s), "s%d", (int)rnd(1000));
	else
		r->s[0] = '\0';
}

static void
row_line(struct mlp_buf *f, const struct rrow *r)
{
	mlp_buf_addf(f, "%lld,", (long long)r->driver);
	ts_text(f, r->ets);
	mlp_buf_addc(f, ',');
	ts_text(f, r->cts);
	mlp_buf_addc(f, ',');
	if (r->has_x) {
		char num[40];

		mlp_buf_add(f, num, fnum_fmt_double(r->x, num));
	}
	mlp_buf_addf(f, ",%s\n", r->s);
}

/* The dataset of the spine against the brute-force reference over
 * rows[0..n), with and without created times filtered, on 1 and 4
 * threads. */
static void
check_random(const struct rrow *rows, size_t n, const int64_t *sd,
    const int64_t *stime, size_t ns, const char *spine, const char *refs,
    const char *what)
{
	struct mlp_fdataset_result res;
	int rc;

	for (int filter = 0; filter < 2; filter++) {
		char *want = reference(rows, n, sd, stime, ns, filter);

		for (int th = 1; th <= 4; th += 3) {
			char *got = dataset(spine, refs, (th << 8) |
			    (filter ? 2 : 0), &rc, &res);

			ok(rc == 0 && strcmp(got, want) == 0, "%zu spine rows "
			    "against a brute-force reference, %s, %d "
			    "thread%s%s (%u partitions)", ns, what, th,
			    th > 1 ? "s" : "", filter ?
			    ", created times filtered" : "", res.partitions);
			if (rc == 0 && strcmp(got, want) != 0) {
				const char *a = got, *b = want;

				while (*a && *a == *b)
					a++, b++;
				while (a > got && a[-1] != '\n')
					a--, b--;
				printf("#   got:  %.200s\n#   want: %.200s\n", a,
				    b);
			} else if (rc) {
				printf("#   %s\n", got);
			}
			free(got);
		}
		free(want);
	}
}

static int64_t
count_int(const char *sql)
{
	sqlite3_stmt *q = NULL;
	struct mlp_err err;
	int64_t v = -1;

	if (mlp_db_prepare(db, &q, sql, &err) == 0 &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void
test_pick(void)
{
	uint64_t big[] = { 1000000, 1, 1, 1, 1, 1, 1, 1, 1 };
	uint64_t tiers[] = { 1000, 300, 100, 30, 1, 1, 1, 1, 1, 1, 1, 1 };
	uint64_t near[] = { 40, 10, 1, 1, 1, 1, 1, 1, 1, 1 };
	uint64_t even[] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };

	is_int(mlp_fcompact_pick(big, 8), 8, "7 small batches after a large "
	    "one: nothing yet");
	is_int(mlp_fcompact_pick(big, 9), 1, "8: they merge, the large one "
	    "stays");
	is_int(mlp_fcompact_pick(even, 7), 7, "fewer than 8 batches: nothing");
	is_int(mlp_fcompact_pick(even, 10), 0, "10 of a size: all of them");
	is_int(mlp_fcompact_pick(tiers, 12), 4, "8 of 1 row merge, not the "
	    "30 before them (more than twice their rows)");
	is_int(mlp_fcompact_pick(tiers, 11), 11, "7 of 1 row: nothing");
	is_int(mlp_fcompact_pick(near, 10), 1, "8 of 1 row take the 10 before "
	    "them (at most twice their 8), not the 40 before that");
}

static void
test_random(void)
{
	static const enum mlp_aggop ops[7] = { MLP_AGG_COUNT, MLP_AGG_SUM,
		MLP_AGG_AVG, MLP_AGG_MIN, MLP_AGG_MAX, MLP_AGG_LAST,
		MLP_AGG_STDDEV };
	size_t n2 = 3000, ns = 700, n1 = 1900, nb = 100, n = n2 + 360;
	struct rrow *rows = xcalloc(n, sizeof(*rows));
	int64_t sd[700], stime[700];
	struct mlp_buf f1 = MLP_BUF_INIT, f2 = MLP_BUF_INIT, sp = MLP_BUF_INIT,
	    refs = MLP_BUF_INIT, fb = MLP_BUF_INIT;
	struct mlp_fcompact_view cv;
	struct mlp_err err;
	size_t at = n2;

	for (int op = 0; op < 7; op++) {
		rnd_aggs[op].column = "x";
		rnd_aggs[op].op = ops[op];
		rnd_aggs[op].windows = rnd_windows;
		rnd_aggs[op].names = rnd_names[op];
		rnd_aggs[op].nwindows = 2;
	}
	/* times on a 15-minute grid: ties and window edges are common */
	mlp_buf_adds(&f1, "driver_id,event_ts,created_ts,x,s\n");
	mlp_buf_adds(&f2, "driver_id,event_ts,created_ts,x,s\n");
	for (size_t i = 0; i < n2; i++) {
		struct rrow *r = &rows[i];

		random_row(r, rows, i >= n1 ? n1 : 0);
		r->batch = i < n1 ? 1 : 2;
		r->line = (int)i;
		row_line(i < n1 ? &f1 : &f2, r);
	}
	put("rnd.csv", f1.s);
	put("rnd2.csv", f2.s);
	fingest_part_rows = 64;
	mlp_err_clear(&err);
	is_int(ingest("rnd", NULL, 1, NULL, &err), 0, "ingest 1900 random "
	    "rows in 32 partitions, read on 3 threads (%s)", err.msg);
	ingest_threads = 1;
	is_int(ingest("rnd", "rnd2.csv", 1, NULL, &err), 0, "and 1100 more "
	    "in 16, on one thread (%s)", err.msg);
	ingest_threads = 3;
	fingest_part_rows = MLP_FPART_ROWS;
	mlp_buf_adds(&sp, "driver_id,event_ts\n");
	for (size_t i = 0; i < ns; i++) {
		sd[i] = (int64_t)rnd(66);
		stime[i] = T0 + ((int64_t)rnd(55 * 4) - 8) * 900 * US;
		mlp_buf_addf(&sp, "%lld,", (long long)sd[i]);
		ts_text(&sp, stime[i]);
		mlp_buf_addc(&sp, '\n');
	}
	mlp_buf_adds(&refs, "rnd:x,rnd:s");
	for (int op = 0; op < 7; op++)
		for (int w = 0; w < 2; w++)
			mlp_buf_addf(&refs, ",rnd:%s", rnd_names[op][w]);
	fdataset_chunk_rows = 37;
	check_random(rows, n2, sd, stime, ns, sp.s, refs.s, "2 batches");

	/* 98 batches more, of 1 to 6 rows, every third in partitions of 2
	 * rows (most of them empty), copies of earlier rows among them: the
	 * join merges 100 runs, more than the 64 it once took */
	no_compact = 1;
	for (size_t b = 3; b <= nb; b++) {
		size_t k = b == nb ? n - at : 1 + rnd(6);
		char name[32];

		if (at + k > n - (nb - b))
			k = 1;
		mlp_buf_reset(&fb);
		mlp_buf_adds(&fb, "driver_id,event_ts,created_ts,x,s\n");
		for (size_t i = at; i < at + k; i++) {
			random_row(&rows[i], rows, i);
			rows[i].batch = (int)b;
			rows[i].line = (int)i;
			row_line(&fb, &rows[i]);
		}
		at += k;
		snprintf(name, sizeof(name), "rnd-%zu.csv", b);
		put(name, fb.s);
		fingest_part_rows = b % 3 ? MLP_FPART_ROWS : 2;
		if (ingest("rnd", name, 1, NULL, &err) < 0)
			ok(0, "ingest %s: %s", name, err.msg);
	}
	fingest_part_rows = MLP_FPART_ROWS;
	is_int(count_int("SELECT count(*) FROM feature_ingest WHERE view = "
	    "'rnd' AND replaced_by IS NULL"), (int64_t)nb, "100 batches");
	check_random(rows, n, sd, stime, ns, sp.s, refs.s, "100 batches");

	/* the size-tiered pick merges the newest small ones only */
	mlp_err_clear(&err);
	is_int(mlp_fcompact(db, st, &spec, "rnd", MLP_FCOMPACT_AUTO, "tester",
	    &cv, &err), 0, "compact by the policy (%s)", err.msg);
	ok(cv.id > 0 && cv.merged == nb - 2 && cv.after == 3, "merges the "
	    "%zu small batches, not the two large ones (%zu left)", cv.merged,
	    cv.after);
	check_random(rows, n, sd, stime, ns, sp.s, refs.s,
	    "some batches compacted");
	is_int(mlp_fcompact(db, st, &spec, "rnd", MLP_FCOMPACT_ALL, "tester",
	    &cv, &err), 0, "compact them all (%s)", err.msg);
	ok(cv.id > 0 && cv.after == 1 && cv.rows == n, "one batch of %llu "
	    "rows", (unsigned long long)cv.rows);
	check_random(rows, n, sd, stime, ns, sp.s, refs.s, "1 batch");
	is_int(mlp_fcompact(db, st, &spec, "rnd", MLP_FCOMPACT_ALL, "tester",
	    &cv, &err), 0, "compacting one batch");
	ok(cv.id == 0 && cv.merged == 0 && cv.after == 1, "does nothing");
	{
		struct mlp_fingest_result *r = NULL;

		is_int(ingest("rnd", "rnd-7.csv", 1, &r, &err), 0,
		    "ingest a compacted batch's file again");
		ok(r && r->views[0].unchanged, "unchanged: its rows are in "
		    "the compacted batch %lld", r ? (long long)r->views[0].id :
		    0LL);
		mlp_fingest_result_free(r);
	}
	is_int(count_int("SELECT count(*) FROM feature_segment s JOIN "
	    "feature_ingest i ON i.id = s.ingest WHERE i.view = 'rnd' AND "
	    "i.replaced_by IS NOT NULL"), 0, "the replaced batches' segments "
	    "are left to gc");
	no_compact = 0;
	fdataset_chunk_rows = 8192;
	mlp_buf_release(&f1);
	mlp_buf_release(&f2);
	mlp_buf_release(&fb);
	mlp_buf_release(&sp);
	mlp_buf_release(&refs);
	free(rows);
}

int
main(void)
{
	char *p;
	struct mlp_err err;

	test_rules();
	test_aggs();
	test_pick();
	test_merges();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	p = path("mlp.db");
	if (mlp_db_open(&db, p, 1, &err) < 0 ||
	    mlp_store_open(&st, dir, NULL, NULL, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return 2;
	}
	free(p);
	if (chdir(dir) < 0) {
		perror(dir);
		return 2;
	}
	/* every CSV file is read on 3 threads, unless it has quotes or an
	 * error past the first third: then again on one */
	fingest_par_min = 0;
	test_features();
	test_aggregations();
	test_compound();
	test_jsonl();
	test_errors();
	test_random();
	mlp_store_free(st);
	mlp_db_close(db);
	mlp_remove_tree(dir, &err);
	return tap_done();
}
