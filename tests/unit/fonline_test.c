/* Unit tests of the online half of the feature store: the record's
 * encoding (every truncation and many damaged copies refused, never a
 * crash), the lib API the feature server calls (mlp_fget_*, columns
 * pushed with mlp_fpush_columns, bad keys), and a randomized check in a
 * scratch repository: rows ingested in two batches, materialized, then
 * events pushed late and early into both stores, after which get at T
 * equals dataset at T bit for bit for every entity, window edges and
 * created-time ties included; and one plan read by four threads. */
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "feature/fonline.h"
#include "feature/internal.h"
#include "store/store.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-fonline-test.XXXXXX";
static struct mlp_db *db;
static struct mlp_store *st;
static struct mlp_fspec *spec;

#define US MLP_US_PER_SEC
#define MIN (60 * US)
#define HOUR (3600 * US)
#define DAY (86400 * US)
#define T0 INT64_C(1618228800000000)	/* 2021-04-12T12:00:00Z */

static const char yaml[] =
    "entities:\n"
    "  - {name: driver, join_keys: [driver_id]}\n"
    "  - {name: rider, join_keys: [driver_id]}\n"
    "sources:\n"
    "  - {name: ev, path: ev.csv, timestamp: event_ts, "
    "created_timestamp: created_ts}\n"
    "feature_views:\n"
    "  - name: v\n"
    "    entity: driver\n"
    "    source: ev\n"
    "    ttl: 2d\n"
    "    features: [{name: x, type: float}, {name: n, type: int},\n"
    "               {name: s, type: string}, {name: b, type: bool}]\n"
    "    aggregations:\n"
    "      - {column: x, op: sum, windows: [1h, 1d, 3d]}\n"
    "      - {column: x, op: count, windows: [1h, 3d]}\n"
    "      - {column: x, op: avg, windows: [1d]}\n"
    "      - {column: x, op: stddev, windows: [1d, 3d]}\n"
    "      - {column: x, op: min, windows: [1d]}\n"
    "      - {column: x, op: max, windows: [1d]}\n"
    "      - {column: x, op: last, windows: [1h]}\n"
    "      - {column: n, op: sum, windows: [1d]}\n"
    "    derived: [{name: y, expr: \"x * 2 + n\"}, {name: z, expr: "
    "\"coalesce(y, -1.5)\"}]\n"
    "  - name: w\n"
    "    entity: rider\n"
    "    source: ev\n"
    "    features: [{name: x, type: float}]\n";

static char *
path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
write_file(const char *name, const char *text, size_t n)
{
	char *p = path(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		perror(p);
	close(fd);
	free(p);
}

/* ---- the record ---- */

static void
test_record(void)
{
	const struct mlp_fview *v = mlp_fspec_view(spec, "v");
	struct frec_schema sc;
	struct frec r, d;
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;
	double x[2];
	uint8_t xn[2];
	int bad = 0, crashed = 0;

	frec_schema_init(&sc, v, &err);
	ok(sc.nfeat == 4 && sc.nin == 2 && sc.longest == 3 * DAY,
	    "schema: 4 features, 2 inputs (x, n), the longest window 3d");
	frec_init(&r);
	frec_init(&d);
	frec_reset(&r, &sc);
	r.has_row = 1;
	r.row_ets = T0;
	r.row_cts = MLP_TS_NONE;
	r.row[0].null = 0;
	r.row[0].v.f = 0.1;
	r.row[1].null = 0;
	r.row[1].v.i = -7;
	r.row[2].null = 0;
	r.row[2].v.str.s = "h\0i";
	r.row[2].v.str.n = 3;
	r.horizon = T0 - 3 * DAY;
	for (int i = 0; i < 5; i++) {
		x[0] = i * 0.5;
		x[1] = i;
		xn[0] = i == 2;
		xn[1] = 0;
		/* arrival order among equals is kept */
		frec_insert(&r, &sc, T0 - (i % 3) * HOUR, i == 4 ? 1 : 0, x,
		    xn);
	}
	/* in order: 2 (x null), 1, 4 (created later), 0, 3 (arrived later) */
	ok(r.nev == 5 && r.ets[0] == T0 - 2 * HOUR && r.ets[4] == T0 &&
	    r.xnull[0] && r.x[2 * 1] == 0.5 && r.x[2 * 2] == 2.0 &&
	    r.x[2 * 3] == 0.0 && r.x[2 * 4] == 1.5,
	    "events inserted in (time, created, arrival) order");
	frec_encode(&sc, &r, &b);
	ok(frec_decode(&sc, b.s, b.len, &d, &err) == 0 && d.has_row &&
	    d.row_ets == T0 && d.row_cts == MLP_TS_NONE &&
	    d.row[0].v.f == 0.1 && d.row[1].v.i == -7 &&
	    d.row[2].v.str.n == 3 && memcmp(d.row[2].v.str.s, "h\0i", 3) == 0 &&
	    d.row[3].null && d.nev == 5 && d.horizon == T0 - 3 * DAY &&
	    d.xnull[2 * 4] == 0 && d.xnull[0] == 1 && d.xnull[1] == 0 &&
	    memcmp(d.x, r.x, 5 * 2 * 8) == 0, "a record reads back: %s",
	    err.msg);
	for (size_t n = 0; n < b.len; n++)
		if (frec_decode(&sc, b.s, n, &d, &err) == 0)
			bad++;
	ok(!bad, "every truncation is refused (%d were not)", bad);
	srand(7);
	for (int i = 0; i < 20000; i++) {
		char *c = xmalloc(b.len + 8);
		size_t n = b.len + (size_t)(rand() % 3) * 4;

		memcpy(c, b.s, b.len);
		memset(c + b.len, 0, 8);
		for (int k = 0; k < 1 + rand() % 4; k++)
			c[rand() % (int)n] ^= (char)(1 << (rand() % 8));
		/* only the outcome matters: an answer or an error */
		if (frec_decode(&sc, c, n, &d, &err) == 0 && d.nev > 5)
			crashed++;
		free(c);
	}
	ok(!crashed, "20,000 damaged copies: no crash, nothing made up");
	b.s[8] ^= 1;
	ok(frec_decode(&sc, b.s, b.len, &d, &err) == MLP_EFAIL &&
	    strstr(err.msg, "another definition"), "another fingerprint: %s",
	    err.msg);
	b.s[8] ^= 1;
	b.s[0] = 9;
	ok(frec_decode(&sc, b.s, b.len, &d, &err) == MLP_ECORRUPT &&
	    strstr(err.msg, "unknown version"), "another version: %s",
	    err.msg);
	r.horizon = T0 - HOUR;
	frec_prune(&r, &sc);
	ok(r.nev == 2 && r.ets[0] == T0, "prune drops events at or before "
	    "the horizon");
	frec_release(&r);
	frec_release(&d);
	frec_schema_release(&sc);
	mlp_buf_release(&b);
}

/* ---- the randomized check ---- */

struct event {
	int64_t key, ets, cts;
	double x;
	int xnull;
	int64_t n;
	int s, b;
};

#define NENT 40
#define NEV 1500

static int64_t
edge_time(int i)
{
	/* exactly at T0, at T0 - a window, a tick inside, else anywhere in
	 * four days, on the minute so that times tie */
	static const int64_t edges[] = { 0, HOUR, DAY, 3 * DAY, HOUR - 1,
		DAY - 1, 2 * DAY };

	if (i % 9 == 0)
		return T0 - edges[(i / 9) % 7];
	return T0 - (int64_t)(rand() % (4 * 24 * 60)) * MIN;
}

static void
event_csv(struct mlp_buf *b, const struct event *e)
{
	char t1[48], t2[48], num[40];

	mlp_ts_format(e->ets, t1);
	mlp_ts_format(e->cts, t2);
	mlp_buf_addf(b, "%lld,%s,%s,", (long long)e->key, t1, t2);
	if (!e->xnull) {
		num[fnum_fmt_double(e->x, num)] = '\0';
		mlp_buf_adds(b, num);
	}
	mlp_buf_addf(b, ",%lld,s%d,%s\n", (long long)e->n, e->s,
	    e->b ? "true" : "false");
}

static int
ingest(const char *file, struct mlp_err *err)
{
	struct mlp_fingest_opts io = { 0 };
	struct mlp_fingest_result *r = NULL;
	char *p = path(file);
	int rc;

	io.source = "ev";
	io.file = p;
	io.root = dir;
	io.user = "t";
	io.nthreads = 1;
	rc = mlp_fingest(db, st, spec, &io, &r, err);
	mlp_fingest_result_free(r);
	free(p);
	return rc;
}

/* Pushes events [a, b) as columns, as the feature server would. */
static int
push_columns(struct mlp_fpusher *p, const struct event *ev, size_t a,
    size_t b, struct mlp_err *err)
{
	static const char *names[] = { "driver_id", "event_ts", "created_ts",
		"x", "n", "s", "b", "unused" };
	struct mlp_fval *cols[8];
	char (*strs)[16] = xcalloc(b - a, 16);
	char (*ts)[48] = xcalloc(b - a, 48);
	int rc;

	for (int c = 0; c < 8; c++)
		cols[c] = xcalloc(b - a, sizeof(struct mlp_fval));
	for (size_t i = a; i < b; i++) {
		const struct event *e = &ev[i];
		struct mlp_fval *v;
		size_t j = i - a;

		/* keys and values typed; times as ints or text */
		cols[0][j].type = MLP_FT_INT;
		cols[0][j].v.i = e->key;
		v = &cols[1][j];
		if (e->ets % US == 0 && i % 2) {
			v->type = MLP_FT_INT;
			v->v.i = e->ets / US;
		} else {
			mlp_ts_format(e->ets, ts[j]);
			v->type = MLP_FT_STRING;
			v->v.str.s = ts[j];
			v->v.str.n = strlen(ts[j]);
		}
		cols[2][j].type = MLP_FT_FLOAT;
		cols[2][j].v.f = (double)e->cts / US;
		cols[3][j].type = MLP_FT_FLOAT;
		cols[3][j].null = e->xnull;
		cols[3][j].v.f = e->x;
		cols[4][j].type = MLP_FT_INT;
		cols[4][j].v.i = e->n;
		snprintf(strs[j], 16, "s%d", e->s);
		cols[5][j].type = MLP_FT_STRING;
		cols[5][j].v.str.s = strs[j];
		cols[5][j].v.str.n = strlen(strs[j]);
		cols[6][j].type = MLP_FT_BOOL;
		cols[6][j].v.b = e->b;
		cols[7][j].type = MLP_FT_INT;
	}
	rc = mlp_fpush_columns(p, names, (const struct mlp_fval *const *)cols,
	    8, b - a, err);
	for (int c = 0; c < 8; c++)
		free(cols[c]);
	free(strs);
	free(ts);
	return rc;
}

/* The value of a cell as dataset writes it. */
static void
cell_text(const struct mlp_fval *v, struct mlp_buf *b)
{
	char num[40];

	mlp_buf_reset(b);
	if (v->null)
		return;
	switch (v->type) {
	case MLP_FT_FLOAT:
		mlp_buf_add(b, num, fnum_fmt_double(v->v.f, num));
		break;
	case MLP_FT_INT:
		mlp_buf_add(b, num, fnum_fmt_int(v->v.i, num));
		break;
	case MLP_FT_BOOL:
		mlp_buf_adds(b, v->v.b ? "true" : "false");
		break;
	case MLP_FT_STRING:
		mlp_buf_add(b, v->v.str.s, v->v.str.n);
		break;
	}
}

/* dataset at t for keys 1..NENT + 2 against get at t; returns the cells
 * that differ. */
static int
compare(struct mlp_online *o, const struct mlp_fget_plan *plan,
    const char *const *refs, size_t nrefs, int64_t t, int *cells)
{
	struct mlp_fdataset_opts dopts = { 0 };
	struct mlp_fdataset_result dres;
	struct mlp_fget_res res;
	struct mlp_fget_req req = { 0 };
	struct mlp_fval keys[NENT + 2];
	const struct mlp_fval *kcols[] = { keys };
	const char *knames[] = { "driver_id" };
	struct mlp_buf sp = MLP_BUF_INIT, cell = MLP_BUF_INIT;
	struct mlp_err err;
	char *spine = path("spine.csv"), *out = path("out.csv"), *text = NULL;
	char ts[48];
	struct fcsv c;
	size_t len;
	int fd, diff = 0, row = 0;

	memset(&res, 0, sizeof(res));
	mlp_ts_format(t, ts);
	mlp_buf_adds(&sp, "driver_id,event_ts\n");
	for (int k = 0; k < NENT + 2; k++) {
		memset(&keys[k], 0, sizeof(keys[k]));
		keys[k].type = MLP_FT_INT;
		keys[k].v.i = k + 1;
		mlp_buf_addf(&sp, "%d,%s\n", k + 1, ts);
	}
	write_file("spine.csv", sp.s, sp.len);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dopts.spine = spine;
	dopts.refs = refs;
	dopts.nrefs = nrefs;
	dopts.out_fd = fd;
	dopts.nthreads = 1;
	if (mlp_fdataset(db, st, spec, &dopts, &dres, &err) < 0) {
		printf("# dataset: %s\n", err.msg);
		diff = -1;
	}
	close(fd);
	req.key_names = knames;
	req.key_cols = kcols;
	req.nkeys = 1;
	req.n = NENT + 2;
	req.at = t;
	if (diff == 0 && mlp_fget(o, plan, &req, &res, &err) < 0) {
		printf("# get: %s\n", err.msg);
		diff = -1;
	}
	if (diff == 0 && mlp_read_file(out, SIZE_MAX, &text, &len, &err) < 0)
		diff = -1;
	if (diff == 0) {
		fcsv_open_mem(&c, text, len, "out.csv");
		fcsv_next(&c, &err);	/* the header */
		while (fcsv_next(&c, &err) > 0) {
			for (size_t r = 0; r < nrefs; r++) {
				const struct fcsv_field *f = &c.f[2 + r];
				size_t i = (size_t)row * nrefs + r;

				cell_text(&res.values[i], &cell);
				(*cells)++;
				if (f->n != cell.len || (f->n &&
				    memcmp(f->p, cell.s, f->n) != 0)) {
					if (diff++ < 5)
						printf("#   key %d %s: dataset "
						    "'%.*s', online '%s' (%s)\n",
						    row + 1, refs[r], (int)f->n,
						    f->p, mlp_buf_str(&cell),
						    mlp_fstatus_name(
						    res.status[i]));
				}
			}
			row++;
		}
		fcsv_close(&c);
	}
	if (row != NENT + 2 && diff == 0)
		diff = -1;
	free(text);
	free(spine);
	free(out);
	mlp_buf_release(&sp);
	mlp_buf_release(&cell);
	mlp_fget_res_release(&res);
	return diff;
}

struct worker {
	const struct mlp_fget_plan *plan;
	const struct mlp_fget_res *want;
	int64_t t;
	int bad;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct mlp_online *o = NULL;
	struct mlp_fget_res res;
	struct mlp_fget_req req = { 0 };
	struct mlp_fval keys[NENT + 2];
	const struct mlp_fval *kcols[] = { keys };
	const char *knames[] = { "driver_id" };
	struct mlp_err err;
	char *uri = xasprintf("sqlite:%s/online.db", dir);

	memset(&res, 0, sizeof(res));
	if (mlp_online_open(&o, uri, dir, &err) < 0) {
		w->bad = 1;
		free(uri);
		return NULL;
	}
	for (int k = 0; k < NENT + 2; k++) {
		memset(&keys[k], 0, sizeof(keys[k]));
		keys[k].type = MLP_FT_INT;
		keys[k].v.i = k + 1;
	}
	req.key_names = knames;
	req.key_cols = kcols;
	req.nkeys = 1;
	req.n = NENT + 2;
	req.at = w->t;
	for (int it = 0; it < 100 && !w->bad; it++) {
		if (mlp_fget(o, w->plan, &req, &res, &err) < 0) {
			w->bad = 1;
			break;
		}
		for (size_t i = 0; i < res.n * res.nrefs; i++) {
			const struct mlp_fval *a = &res.values[i],
			    *b = &w->want->values[i];

			if (res.status[i] != w->want->status[i] ||
			    a->null != b->null || (!a->null &&
			    (a->type == MLP_FT_STRING ? a->v.str.n !=
			    b->v.str.n || memcmp(a->v.str.s, b->v.str.s,
			    a->v.str.n) : memcmp(&a->v, &b->v, 8))))
				w->bad = 1;
		}
	}
	mlp_fget_res_release(&res);
	mlp_online_close(o);
	free(uri);
	return NULL;
}

static void
test_random(void)
{
	const struct mlp_fview *v = mlp_fspec_view(spec, "v");
	struct event *ev = xcalloc(NEV, sizeof(*ev));
	struct mlp_buf csv1 = MLP_BUF_INIT, csv2 = MLP_BUF_INIT;
	struct mlp_strv refs = MLP_STRV_INIT;
	struct mlp_fmat_opts mo = { 0 };
	struct mlp_fmat_result *mr = NULL;
	struct mlp_fpusher *p = NULL;
	struct mlp_fpush_offline off;
	struct mlp_fpush_stats stats = { 0 };
	struct mlp_fget_plan *plan = NULL;
	struct mlp_online *o = NULL;
	struct mlp_err err;
	char *uri = xasprintf("sqlite:%s/online.db", dir), *tmp = path("tmp");
	int64_t m = T0 - 2 * HOUR;	/* the materialization's end */
	size_t split, n1 = 0;
	int cells = 0, d;

	mlp_err_clear(&err);
	srand(11);
	for (size_t i = 0; i < NEV; i++) {
		struct event *e = &ev[i];

		e->key = 1 + rand() % NENT;
		e->ets = edge_time((int)i);
		/* created times tie often */
		e->cts = e->ets + (rand() % 3) * MIN;
		e->x = rand() % 7 == 0 ? 1e16 : (rand() % 100000) / 1000.0 +
		    0.1;
		e->xnull = rand() % 10 == 0;
		e->n = rand() % 1000 - 500;
		e->s = rand() % 5;
		e->b = rand() % 2;
	}
	/* the first two thirds that are not after m: ingested, in two
	 * batches; the rest pushed, late and early ones mixed */
	split = NEV * 2 / 3;
	mlp_buf_adds(&csv1, "driver_id,event_ts,created_ts,x,n,s,b\n");
	mlp_buf_adds(&csv2, "driver_id,event_ts,created_ts,x,n,s,b\n");
	for (size_t i = 0; i < split; i++) {
		if (ev[i].ets > m) {
			/* pushed instead: move it to the end */
			struct event e = ev[i];

			memmove(&ev[i], &ev[i + 1], (NEV - i - 1) * sizeof(*ev));
			ev[NEV - 1] = e;
			split--;
			i--;
			continue;
		}
		event_csv(i % 2 ? &csv2 : &csv1, &ev[i]);
		n1++;
	}
	write_file("b1.csv", csv1.s, csv1.len);
	write_file("b2.csv", csv2.s, csv2.len);
	ok(ingest("b1.csv", &err) == 0 && ingest("b2.csv", &err) == 0,
	    "%zu rows ingested in two batches: %s", n1, err.msg);
	ok(mlp_online_open(&o, uri, dir, &err) == 0, "online store: %s",
	    err.msg);
	mo.start = MLP_TS_NONE;
	mo.end = m;
	mo.online = uri;
	mo.user = "t";
	ok(mlp_fmaterialize(db, st, o, spec, &mo, &mr, &err) == 0 &&
	    mr->nviews == 2 && mr->views[0].entities == NENT,
	    "materialized to T - 2h: %s", err.msg);
	mlp_fmat_result_free(mr);
	ok(mlp_fpush_new(spec, "v", MLP_FPUSH_ONLINE | MLP_FPUSH_OFFLINE, &p,
	    &err) == 0, "a pusher");
	off.db = db;
	off.st = st;
	off.tmpdir = tmp;
	off.user = "t";
	/* in three flushes; within each, events of one entity in order */
	for (size_t a = split, k = 0; a < NEV; k++) {
		size_t b = k == 2 ? NEV : a + (NEV - split) / 3;

		if (push_columns(p, ev, a, b, &err) < 0 ||
		    mlp_fpush_flush(p, MLP_FPUSH_ONLINE | MLP_FPUSH_OFFLINE, o,
		    &off, &stats, &err) < 0) {
			ok(0, "push: %s", err.msg);
			break;
		}
		a = b;
	}
	ok(stats.events == NEV - split && stats.offline_events == NEV - split,
	    "%zu events pushed to both stores", NEV - split);
	for (size_t i = 0; i < mlp_fview_noutputs(v); i++) {
		struct mlp_foutput out;

		mlp_fview_output(v, i, &out);
		mlp_strv_push_owned(&refs, xasprintf("v:%s", out.name));
	}
	ok(mlp_fget_prepare(spec, (const char *const *)refs.v, refs.n, &plan,
	    &err) == 0, "a plan of every output: %s", err.msg);
	d = compare(o, plan, (const char *const *)refs.v, refs.n, T0, &cells);
	ok(d == 0, "get at T equals dataset at T: %d of %d cells differ", d,
	    cells);
	cells = 0;
	d = compare(o, plan, (const char *const *)refs.v, refs.n,
	    T0 + HOUR + 30 * MIN, &cells);
	ok(d == 0, "and 90 minutes later: %d of %d cells differ", d, cells);
	cells = 0;
	d = compare(o, plan, (const char *const *)refs.v, refs.n, T0 + 2 * DAY,
	    &cells);
	ok(d == 0, "and at T + 2d, at the ttl's end: %d of %d differ", d,
	    cells);
	{
		/* one plan, four threads each with its own store handle */
		struct mlp_fget_res want;
		struct mlp_fget_req req = { 0 };
		struct mlp_fval keys[NENT + 2];
		const struct mlp_fval *kcols[] = { keys };
		const char *knames[] = { "driver_id" };
		struct worker w[4];
		pthread_t th[4];
		int bad = 0;

		memset(&want, 0, sizeof(want));
		for (int k = 0; k < NENT + 2; k++) {
			memset(&keys[k], 0, sizeof(keys[k]));
			keys[k].type = MLP_FT_INT;
			keys[k].v.i = k + 1;
		}
		req.key_names = knames;
		req.key_cols = kcols;
		req.nkeys = 1;
		req.n = NENT + 2;
		req.at = T0;
		mlp_fget(o, plan, &req, &want, &err);
		for (int i = 0; i < 4; i++) {
			w[i].plan = plan;
			w[i].want = &want;
			w[i].t = T0;
			w[i].bad = 0;
			pthread_create(&th[i], NULL, worker_main, &w[i]);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(th[i], NULL);
			bad += w[i].bad;
		}
		ok(!bad, "four threads on one plan read what one thread reads");
		mlp_fget_res_release(&want);
	}
	mlp_fget_plan_free(plan);
	mlp_fpush_free(p);
	mlp_online_close(o);
	mlp_strv_release(&refs);
	mlp_buf_release(&csv1);
	mlp_buf_release(&csv2);
	free(ev);
	free(uri);
	free(tmp);
}

/* ---- the API's errors ---- */

static void
test_errors(void)
{
	struct mlp_fget_plan *plan = NULL;
	struct mlp_fget_res res;
	struct mlp_fget_req req = { 0 };
	struct mlp_fpusher *p = NULL;
	struct mlp_online *o = NULL;
	struct mlp_fval k = { .type = MLP_FT_STRING, .v.str = { "x", 1 } };
	const struct mlp_fval *kc[] = { &k };
	const char *kn[] = { "driver_id" }, *other[] = { "rider_key" };
	const char *refs[] = { "v:x", "v:z" };
	const char *bad_refs[] = { "v:xx" };
	struct mlp_err err;
	char *uri = xasprintf("sqlite:%s/online.db", dir);

	memset(&res, 0, sizeof(res));
	ok(mlp_fget_prepare(spec, bad_refs, 1, &plan, &err) == MLP_ENOTFOUND &&
	    strstr(err.msg, "did you mean 'x'"), "an unknown feature: %s",
	    err.msg);
	ok(mlp_fget_prepare(spec, refs, 2, &plan, &err) == 0, "a plan");
	ok(!strcmp(mlp_fget_plan_name(plan, 1, 1), "v__z") &&
	    mlp_fget_plan_type(plan, 1) == MLP_FT_FLOAT &&
	    mlp_fget_plan_keys(plan, NULL, NULL) == 1,
	    "its names, types and keys");
	mlp_online_open(&o, uri, dir, &err);
	req.key_names = kn;
	req.key_cols = kc;
	req.nkeys = 1;
	req.n = 1;
	req.at = T0;
	ok(mlp_fget(o, plan, &req, &res, &err) == MLP_EINVAL &&
	    strstr(err.msg, "join key 'driver_id': value 1 is a string, not "
	    "an int"), "a key of the wrong type: %s", err.msg);
	req.key_names = other;
	ok(mlp_fget(o, plan, &req, &res, &err) == MLP_EINVAL &&
	    strstr(err.msg, "no values for join key 'driver_id' (of entity "
	    "'driver')"), "a missing key column: %s", err.msg);
	ok(mlp_fpush_new(spec, "vv", 3, &p, &err) == MLP_ENOTFOUND &&
	    strstr(err.msg, "did you mean 'v'"), "push to an unknown view: %s",
	    err.msg);
	mlp_fpush_new(spec, "v", MLP_FPUSH_ONLINE, &p, &err);
	{
		static const char *names[] = { "driver_id", "event_ts",
			"created_ts", "x" };
		struct mlp_fval c0[2] = { { .type = MLP_FT_INT, .v.i = 1 },
			{ .type = MLP_FT_INT, .v.i = 2 } };
		struct mlp_fval c1[2] = { { .type = MLP_FT_INT, .v.i = 100 },
			{ .type = MLP_FT_STRING, .v.str = { "noon", 4 } } };
		struct mlp_fval c2[2] = { { .type = MLP_FT_INT, .v.i = 100 },
			{ .type = MLP_FT_INT, .v.i = 100 } };
		struct mlp_fval c3[2] = { { .type = MLP_FT_FLOAT, .v.f = 1 },
			{ .type = MLP_FT_BOOL, .v.b = 1 } };
		const struct mlp_fval *cols[] = { c0, c1, c2, c3 };

		ok(mlp_fpush_columns(p, names, cols, 4, 2, &err) == MLP_EINVAL &&
		    strstr(err.msg, "row 2 ('event_ts'): 'noon' is not an "
		    "iso8601 timestamp") && mlp_fpush_pending(p, 3) == 0,
		    "a bad time, nothing taken: %s", err.msg);
		c1[1] = c1[0];
		ok(mlp_fpush_columns(p, names, cols, 4, 2, &err) == MLP_EINVAL &&
		    strstr(err.msg, "row 2 ('x'): a bool value, not a float") &&
		    mlp_fpush_pending(p, 3) == 0, "a bool for a float: %s",
		    err.msg);
		c3[1].type = MLP_FT_INT;
		ok(mlp_fpush_columns(p, names, cols, 3, 2, &err) == 0 &&
		    mlp_fpush_pending(p, 3) == 2, "a missing feature is null");
		ok(mlp_fpush_flush(p, 3, NULL, NULL, NULL, &err) == MLP_EINVAL,
		    "online needs a store: %s", err.msg);
	}
	ok(mlp_fpush_line(p, "{\"driver_id\": 1, \"event_ts\": 5}", 31, "f",
	    3, &err) == MLP_EINVAL && strstr(err.msg, "'f' line 3 "
	    "('event_ts'): '5' is not an iso8601 timestamp"),
	    "a number for an ISO-8601 time in JSON, as ingest reads it: %s",
	    err.msg);
	mlp_fpush_free(p);
	mlp_fget_res_release(&res);
	mlp_fget_plan_free(plan);
	mlp_online_close(o);
	free(uri);
}

int
main(void)
{
	struct mlp_err err;
	const char *files[1];
	char *p, *tmp;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	write_file("features.yaml", yaml, sizeof(yaml) - 1);
	p = path("mlp.db");
	tmp = path("tmp");
	mkdir(tmp, 0755);
	files[0] = path("features.yaml");
	if (mlp_db_open(&db, p, 1, &err) < 0 ||
	    mlp_store_open(&st, dir, NULL, NULL, &err) < 0 ||
	    mlp_fspec_load(files, 1, dir, &spec, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return 2;
	}
	free(p);
	free(tmp);
	free((char *)files[0]);
	test_record();
	test_random();
	test_errors();
	mlp_fspec_free(spec);
	mlp_store_free(st);
	mlp_db_close(db);
	mlp_remove_tree(dir, &err);
	return tap_done();
}
