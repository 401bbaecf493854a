/* fsck and gc: the object store checked and collected against the
 * references in the database. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../store/store.h"
#include "registry.h"

/* An object some row reaches, with the first row that reaches it. */
struct reach {
	struct mlp_oid oid;
	uint64_t size;		/* expected size, UINT64_MAX when unknown */
	char *by;
	int reported;		/* a problem with it was reported already */
};

struct reach_set {
	struct reach *v;
	size_t n, alloc;
};

static struct reach *
reach_add(struct reach_set *rs, const struct mlp_oid *oid, uint64_t size,
    const char *by)
{
	struct reach *r;

	mlp_grow(&rs->v, &rs->alloc, rs->n + 1, sizeof(*rs->v));
	r = &rs->v[rs->n++];
	r->oid = *oid;
	r->size = size;
	r->by = xstrdup(by);
	r->reported = 0;
	return r;
}

static int
reach_cmp(const void *a, const void *b)
{
	return mlp_oid_cmp(&((const struct reach *)a)->oid,
	    &((const struct reach *)b)->oid);
}

/* Sorts by id and keeps the first of each. */
static void
reach_finish(struct reach_set *rs)
{
	size_t w = 0;

	if (rs->n == 0)
		return;
	qsort(rs->v, rs->n, sizeof(*rs->v), reach_cmp);
	for (size_t r = 1; r < rs->n; r++) {
		if (mlp_oid_cmp(&rs->v[r].oid, &rs->v[w].oid) == 0) {
			if (rs->v[w].size == UINT64_MAX)
				rs->v[w].size = rs->v[r].size;
			rs->v[w].reported |= rs->v[r].reported;
			free(rs->v[r].by);
		} else {
			rs->v[++w] = rs->v[r];
		}
	}
	rs->n = w + 1;
}

static int
reach_has(const struct reach_set *rs, const struct mlp_oid *oid)
{
	struct reach key;

	key.oid = *oid;
	return rs->n && bsearch(&key, rs->v, rs->n, sizeof(*rs->v),
	    reach_cmp) != NULL;
}

static void
reach_release(struct reach_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i].by);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static void
problem(mlp_problem_fn fn, void *ud, uint64_t *count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
problem(mlp_problem_fn fn, void *ud, uint64_t *count, const char *fmt, ...)
{
	struct mlp_buf b = MLP_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	mlp_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	(*count)++;
	if (fn)
		fn(b.s, ud);
	mlp_buf_release(&b);
}

/* Every object the database reaches: artifacts, model versions and the
 * entries of their trees, and the segments of the offline feature store.
 * A reference that cannot be followed (bad id, missing or damaged tree)
 * is a problem; with strict it is an error. */
static int
collect(struct mlp_db *db, struct mlp_store *st, struct reach_set *rs,
    int strict, mlp_problem_fn fn, void *ud, uint64_t *problems,
    uint64_t *refs, struct mlp_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &q, "SELECT a.oid, a.is_tree, a.size, "
	    "'runs:/' || r.uuid || '/' || a.path FROM artifact a JOIN run r ON "
	    "r.id = a.run UNION ALL SELECT v.oid, v.is_tree, v.size, "
	    "'models:/' || m.name || '/' || v.version FROM model_version v "
	    "JOIN model m ON m.id = v.model UNION ALL SELECT s.oid, 0, "
	    "s.size, 'feature view ' || i.view || ' batch ' || i.id || "
	    "' partition ' || s.partition FROM feature_segment s JOIN "
	    "feature_ingest i ON i.id = s.ingest", err)) < 0)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *hex = mlp_db_text(q, 0), *by = mlp_db_text(q, 3);
		int is_tree = sqlite3_column_int(q, 1);
		uint64_t size = (uint64_t)sqlite3_column_int64(q, 2);
		struct mlp_tree t = MLP_TREE_INIT;
		struct reach *root;
		struct mlp_oid oid;
		struct mlp_err e;

		(*refs)++;
		mlp_err_clear(&e);
		if (mlp_oid_parse(hex, &oid, &e) < 0) {
			problem(fn, ud, problems, "%s: invalid object id '%s'",
			    by, hex);
			if (strict) {
				rc = mlp_err_set(err, MLP_ECORRUPT, "%s: invalid "
				    "object id '%s'", by, hex);
				goto out;
			}
			continue;
		}
		root = reach_add(rs, &oid, is_tree ? UINT64_MAX : size, by);
		if (!is_tree)
			continue;
		if (mlp_store_read_tree(st, &oid, &t, &e) < 0) {
			root->reported = 1;
			problem(fn, ud, problems, "%s: %s", by, e.msg);
			if (strict) {
				rc = mlp_err_set(err, MLP_ECORRUPT, "%s: %s; gc "
				    "stops rather than guess what it reaches",
				    by, e.msg);
				goto out;
			}
			continue;
		}
		for (size_t i = 0; i < t.n; i++) {
			char *eby = xasprintf("%s (%s)", by, t.v[i].path);

			reach_add(rs, &t.v[i].oid, t.v[i].size, eby);
			free(eby);
		}
		mlp_tree_release(&t);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read references");
out:
	sqlite3_finalize(q);
	if (rc == 0)
		reach_finish(rs);
	return rc;
}

static int
db_checks(struct mlp_db *db, mlp_problem_fn fn, void *ud, uint64_t *problems,
    struct mlp_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &q, "PRAGMA quick_check", err)) < 0)
		return rc;
	while (sqlite3_step(q) == SQLITE_ROW)
		if (strcmp(mlp_db_text(q, 0), "ok") != 0)
			problem(fn, ud, problems, "database: %s",
			    mlp_db_text(q, 0));
	sqlite3_finalize(q);
	if ((rc = mlp_db_prepare(db, &q, "PRAGMA foreign_key_check", err)) < 0)
		return rc;
	while (sqlite3_step(q) == SQLITE_ROW)
		problem(fn, ud, problems, "database: row %lld of %s refers to "
		    "a missing %s", (long long)sqlite3_column_int64(q, 1),
		    mlp_db_text(q, 0), mlp_db_text(q, 2));
	sqlite3_finalize(q);
	return 0;
}

struct full_ctx {
	struct mlp_store *st;
	const struct reach_set *rs;
	struct mlp_fsck_stats *stats;
	mlp_problem_fn fn;
	void *ud;
};

static int
check_unreachable(const struct mlp_oid *oid, const char *path, void *p)
{
	struct full_ctx *fc = p;
	struct mlp_err e;
	struct stat sb;

	if (reach_has(fc->rs, oid))
		return 0;
	fc->stats->unreachable++;
	mlp_err_clear(&e);
	if (mlp_store_verify(fc->st, oid, &e) < 0)
		problem(fc->fn, fc->ud, &fc->stats->problems, "%s", e.msg);
	else if (stat(path, &sb) == 0)
		fc->stats->bytes += (uint64_t)sb.st_size;
	return 0;
}

int
mlp_registry_fsck(struct mlp_db *db, struct mlp_store *st, int full,
    mlp_problem_fn fn, void *ud, struct mlp_fsck_stats *stats,
    struct mlp_err *err)
{
	struct reach_set rs = { 0 };
	int rc;

	memset(stats, 0, sizeof(*stats));
	if ((rc = db_checks(db, fn, ud, &stats->problems, err)) < 0)
		return rc;
	if ((rc = collect(db, st, &rs, 0, fn, ud, &stats->problems,
	    &stats->references, err)) < 0)
		goto out;
	for (size_t i = 0; i < rs.n; i++) {
		struct reach *r = &rs.v[i];
		char hex[MLP_OID_HEXSZ + 1];
		struct mlp_err e;
		uint64_t size;
		int fd;

		mlp_oid_fmt(&r->oid, hex);
		mlp_err_clear(&e);
		stats->objects++;
		if (r->reported)
			continue;
		if (mlp_store_open_object(st, &r->oid, &fd, &size, &e) < 0) {
			problem(fn, ud, &stats->problems, "missing object %s, "
			    "needed by %s", hex, r->by);
			continue;
		}
		close(fd);
		if (r->size != UINT64_MAX && size != r->size) {
			problem(fn, ud, &stats->problems, "object %s has %llu "
			    "byte%s, %s expects %llu", hex,
			    (unsigned long long)size, size == 1 ? "" : "s",
			    r->by, (unsigned long long)r->size);
			continue;
		}
		if (mlp_store_verify(st, &r->oid, &e) < 0)
			problem(fn, ud, &stats->problems, "%s (needed by %s)",
			    e.msg, r->by);
		else
			stats->bytes += size;
	}
	if (full) {
		struct full_ctx fc = { st, &rs, stats, fn, ud };

		rc = mlp_store_foreach(st, check_unreachable, &fc, err);
	}
out:
	reach_release(&rs);
	return rc;
}

struct gc_ctx {
	const struct reach_set *rs;
	int64_t cutoff_ms;
	int dry_run;
	struct mlp_gc_stats *stats;
	mlp_problem_fn fn;
	void *ud;
};

static int64_t
mtime_ms(const struct stat *sb)
{
	return (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
}

static int
gc_one(const struct mlp_oid *oid, const char *path, void *p)
{
	struct gc_ctx *gc = p;
	struct stat sb;

	if (reach_has(gc->rs, oid) || lstat(path, &sb) < 0)
		return 0;
	if (mtime_ms(&sb) > gc->cutoff_ms) {
		gc->stats->kept_young++;
		return 0;
	}
	if (!gc->dry_run && unlink(path) < 0)
		return 0;
	gc->stats->objects++;
	gc->stats->bytes += (uint64_t)sb.st_size;
	if (gc->fn) {
		char hex[MLP_OID_HEXSZ + 1];

		mlp_oid_fmt(oid, hex);
		gc->fn(hex, gc->ud);
	}
	return 0;
}

int
mlp_registry_gc(struct mlp_db *db, struct mlp_store *st, int64_t cutoff_ms,
    int dry_run, mlp_problem_fn fn, void *ud, struct mlp_gc_stats *stats,
    struct mlp_err *err)
{
	struct reach_set rs = { 0 };
	struct gc_ctx gc = { &rs, cutoff_ms, dry_run, stats, fn, ud };
	uint64_t problems = 0, refs = 0;
	const char *tmp = mlp_store_tmp_dir(st);
	struct dirent *de;
	DIR *d;
	int rc;

	memset(stats, 0, sizeof(*stats));
	/* a full disk is what gc is for; a read-only repository keeps all */
	if (!dry_run && mlp_db_readonly(db) &&
	    db->readonly_code == MLP_EREADONLY)
		return mlp_err_set(err, MLP_EREADONLY, "cannot remove "
		    "objects: %s", mlp_db_readonly(db));
	if ((rc = mlp_store_lock_exclusive(st, 10000, err)) < 0)
		return rc;
	if ((rc = collect(db, st, &rs, 1, NULL, NULL, &problems, &refs,
	    err)) < 0)
		goto out;
	if ((rc = mlp_store_foreach(st, gc_one, &gc, err)) < 0)
		goto out;
	/* debris of interrupted puts */
	if ((d = opendir(tmp))) {
		while ((de = readdir(d))) {
			char *p;
			struct stat sb;

			if (de->d_name[0] == '.')
				continue;
			p = xasprintf("%s/%s", tmp, de->d_name);
			if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    mtime_ms(&sb) <= cutoff_ms &&
			    (dry_run || unlink(p) == 0))
				stats->tmp_files++;
			free(p);
		}
		closedir(d);
	}
out:
	reach_release(&rs);
	return rc;
}
