/* Objects: the store handle, putting files and buffers, the stat cache,
 * reading, verifying, resolving prefixes and listing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static const char *const link_names[] = { "reflink", "hardlink", "copy" };

int64_t
store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t
ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

void
store_progress_begin(struct mlp_store *st, uint64_t total)
{
	st->done = 0;
	st->total = total;
}

void
store_progress(struct mlp_store *st, uint64_t n)
{
	st->done += n;
	if (st->progress)
		st->progress(st->done, st->total > st->done ? st->total :
		    st->done, st->progress_ud);
}

static int
parse_policy(struct mlp_store *st, const char *policy, struct mlp_err *err)
{
	const char *p = policy && *policy ? policy : "reflink,copy";

	st->nlinks = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		size_t i;

		for (i = 0; i < 3; i++)
			if (strlen(link_names[i]) == n &&
			    memcmp(p, link_names[i], n) == 0)
				break;
		if (i == 3)
			return mlp_err_set(err, MLP_EINVAL, "unknown link method "
			    "'%.*s' in store.link '%s' (known: reflink, "
			    "hardlink, copy)", (int)n, p, policy);
		for (size_t j = 0; j < st->nlinks; j++)
			if (st->links[j] == (enum store_link)i)
				return mlp_err_set(err, MLP_EINVAL, "link method "
				    "'%s' appears twice in store.link '%s'",
				    link_names[i], policy);
		st->links[st->nlinks++] = (enum store_link)i;
		p += n;
		if (*p == ',' && *++p == '\0')
			return mlp_err_set(err, MLP_EINVAL, "store.link '%s' "
			    "ends with a comma", policy);
	}
	if (st->nlinks == 0)
		return mlp_err_set(err, MLP_EINVAL, "store.link '%s' names no "
		    "link method", policy);
	return 0;
}

static int
make_dir(const char *path, struct mlp_err *err)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s",
		    path, strerror(errno));
	return 0;
}

int
mlp_store_open(struct mlp_store **out, const char *mlp_dir,
    const char *link_policy, struct mlp_db *cache_db, struct mlp_err *err)
{
	struct mlp_store *st;
	struct stat sb;
	int rc;

	*out = NULL;
	if (stat(mlp_dir, &sb) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open the store in '%s': %s", mlp_dir,
		    strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return mlp_err_set(err, MLP_EINVAL, "cannot open the store in "
		    "'%s': not a directory", mlp_dir);
	st = xcalloc(1, sizeof(*st));
	st->dir = xstrdup(mlp_dir);
	st->objects = xasprintf("%s/objects", mlp_dir);
	st->tmp = xasprintf("%s/tmp", mlp_dir);
	st->db = cache_db;
	st->lock_fd = -1;
	if ((rc = parse_policy(st, link_policy, err)) < 0 ||
	    (rc = make_dir(st->objects, err)) < 0 ||
	    (rc = make_dir(st->tmp, err)) < 0) {
		mlp_store_free(st);
		return rc;
	}
	/* a shared lock for as long as the store is open: gc takes it
	 * exclusively, so it never deletes an object between a command
	 * finding it and the transaction that references it */
	st->lock_fd = open(st->objects, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_SH) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot lock '%s': %s",
		    st->objects, strerror(errno));
		mlp_store_free(st);
		return rc;
	}
	*out = st;
	return 0;
}

int
mlp_store_lock_exclusive(struct mlp_store *st, int wait_ms,
    struct mlp_err *err)
{
	for (int waited = 0;; waited += 50) {
		if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return mlp_err_set(err, MLP_EFAIL, "cannot lock '%s': "
			    "%s", st->objects, strerror(errno));
		if (waited >= wait_ms)
			return mlp_err_set(err, MLP_ELOCKED, "the object store "
			    "is in use by another mlp command");
		usleep(50000);
	}
}

void
mlp_store_free(struct mlp_store *st)
{
	if (!st)
		return;
	store_cache_flush(st);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	if (st->lookup)
		sqlite3_finalize(st->lookup);
	for (int i = 0; i < STORE_NBUF; i++)
		free(st->bufs[i]);
	free(st->pending);
	free(st->dir);
	free(st->objects);
	free(st->tmp);
	free(st);
}

void
mlp_store_set_progress(struct mlp_store *st, mlp_store_progress_fn fn,
    void *ud)
{
	st->progress = fn;
	st->progress_ud = ud;
}

const char *
mlp_store_objects_dir(const struct mlp_store *st)
{
	return st->objects;
}

const char *
mlp_store_tmp_dir(const struct mlp_store *st)
{
	return st->tmp;
}

char *
mlp_store_object_path(const struct mlp_store *st, const struct mlp_oid *oid)
{
	char hex[MLP_OID_HEXSZ + 1];

	mlp_oid_fmt(oid, hex);
	return xasprintf("%s/%.2s/%s", st->objects, hex, hex + 2);
}

int
mlp_store_has(struct mlp_store *st, const struct mlp_oid *oid)
{
	char *p = mlp_store_object_path(st, oid);
	struct stat sb;
	int r = lstat(p, &sb) == 0 && S_ISREG(sb.st_mode);

	free(p);
	return r;
}

int
store_corrupt(struct mlp_err *err, const struct mlp_oid *oid,
    const struct mlp_oid *found)
{
	char want[MLP_OID_HEXSZ + 1], got[MLP_OID_HEXSZ + 1];

	mlp_oid_fmt(oid, want);
	mlp_oid_fmt(found, got);
	return mlp_err_set(err, MLP_ECORRUPT, "object %s is corrupt: its "
	    "content hashes to %s", want, got);
}

/* The stat cache. */

static void
cache_warn(struct mlp_store *st, const char *what)
{
	mlp_log(MLP_LOG_WARN, "stat cache: %s: %s", what,
	    sqlite3_errmsg(st->db->h));
}

/* Marks an object as just used: gc keeps objects younger than its grace
 * period, so one that a command is about to reference again must not look
 * old (git freshens its objects the same way). A failure only makes the
 * object older than it should be. */
static void
freshen_path(const char *path)
{
	(void)utimensat(AT_FDCWD, path, NULL, 0);
}

int
store_cache_lookup(struct mlp_store *st, const char *path,
    const struct stat *sb, struct mlp_oid *out)
{
	sqlite3_stmt *q;
	int hit = 0;

	if (!st->db || !path)
		return 0;
	if (!st->lookup && sqlite3_prepare_v2(st->db->h, "SELECT dev, ino, "
	    "size, mtime_ns, ctime_ns, oid, recorded_ns FROM stat_cache "
	    "WHERE path = ?1", -1, &st->lookup, NULL) != SQLITE_OK) {
		cache_warn(st, "cannot read it");
		st->lookup = NULL;
		st->db = NULL;	/* no use trying again for every file */
		return 0;
	}
	q = st->lookup;
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		int64_t m = ts_ns(&sb->st_mtim), c = ts_ns(&sb->st_ctim);
		int64_t newest = m > c ? m : c;
		const char *hex = (const char *)sqlite3_column_text(q, 5);

		hit = sqlite3_column_int64(q, 0) == (int64_t)sb->st_dev &&
		    sqlite3_column_int64(q, 1) == (int64_t)sb->st_ino &&
		    sqlite3_column_int64(q, 2) == (int64_t)sb->st_size &&
		    sqlite3_column_int64(q, 3) == m &&
		    sqlite3_column_int64(q, 4) == c &&
		    newest < sqlite3_column_int64(q, 6) - STORE_RACY_NS &&
		    hex && mlp_oid_parse(hex, out, NULL) == 0;
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (hit) {
		char *p = mlp_store_object_path(st, out);
		struct stat ob;

		hit = lstat(p, &ob) == 0 && S_ISREG(ob.st_mode) &&
		    ob.st_size == sb->st_size;
		if (hit)
			freshen_path(p);
		free(p);
	}
	return hit;
}

static void
cache_record(struct mlp_store *st, const char *path, const struct stat *sb,
    const struct mlp_oid *oid, int64_t recorded_ns)
{
	struct cache_entry *e;

	if (!st->db || !path)
		return;
	mlp_grow(&st->pending, &st->apending, st->npending + 1,
	    sizeof(*st->pending));
	e = &st->pending[st->npending++];
	e->path = xstrdup(path);
	e->sb = *sb;
	e->oid = *oid;
	e->recorded_ns = recorded_ns;
}

void
store_cache_flush(struct mlp_store *st)
{
	sqlite3_stmt *q = NULL;
	int started = 0;

	/* a cache: a database that cannot be written goes without */
	if (!st->db || st->npending == 0 || st->db->readonly)
		goto out;
	if (!st->db->in_tx) {
		struct mlp_err e;

		if (mlp_db_begin(st->db, &e) < 0) {
			mlp_log(MLP_LOG_WARN, "stat cache: %s", e.msg);
			goto out;
		}
		started = 1;
	}
	if (sqlite3_prepare_v2(st->db->h, "INSERT OR REPLACE INTO stat_cache "
	    "(path, dev, ino, size, mtime_ns, ctime_ns, oid, recorded_ns) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &q, NULL) !=
	    SQLITE_OK) {
		cache_warn(st, "cannot update it");
		goto fail;
	}
	for (size_t i = 0; i < st->npending; i++) {
		const struct cache_entry *e = &st->pending[i];
		char hex[MLP_OID_HEXSZ + 1];

		mlp_oid_fmt(&e->oid, hex);
		sqlite3_bind_text(q, 1, e->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (int64_t)e->sb.st_dev);
		sqlite3_bind_int64(q, 3, (int64_t)e->sb.st_ino);
		sqlite3_bind_int64(q, 4, (int64_t)e->sb.st_size);
		sqlite3_bind_int64(q, 5, ts_ns(&e->sb.st_mtim));
		sqlite3_bind_int64(q, 6, ts_ns(&e->sb.st_ctim));
		sqlite3_bind_text(q, 7, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 8, e->recorded_ns);
		if (sqlite3_step(q) != SQLITE_DONE) {
			cache_warn(st, "cannot update it");
			goto fail;
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (started) {
		struct mlp_err e;

		if (mlp_db_commit(st->db, &e) < 0)
			mlp_log(MLP_LOG_WARN, "stat cache: %s", e.msg);
	}
	goto out;
fail:
	sqlite3_finalize(q);
	if (started)
		mlp_db_rollback(st->db);
out:
	for (size_t i = 0; i < st->npending; i++)
		free(st->pending[i].path);
	st->npending = 0;
}

/* Writing objects. */

static int
fsync_dir(const char *path, struct mlp_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return mlp_err_write(err, e, 1, "cannot sync '%s'", path);
	}
	close(fd);
	return 0;
}

/* Creates a new file in tmp/ for writing (mode 0444: it becomes an
 * object); *path gets its name (the caller frees it). direct asks for
 * O_DIRECT and is cleared when the filesystem refuses it. */
static int
tmp_create(struct mlp_store *st, int *direct, char **path,
    struct mlp_err *err)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[6] = { 0 };
		int fd, flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;

		(void)mlp_random(r, sizeof(r), NULL);
		*path = xasprintf("%s/put-%ld-%u-%02x%02x%02x%02x%02x%02x",
		    st->tmp, (long)getpid(), st->tmp_seq++, r[0], r[1], r[2],
		    r[3], r[4], r[5]);
		fd = open(*path, flags | (*direct ? O_DIRECT : 0), 0444);
		if (fd < 0 && errno == EINVAL && *direct) {
			*direct = 0;
			fd = open(*path, flags, 0444);
		}
		if (fd >= 0)
			return fd;
		if (errno != EEXIST) {
			int rc = mlp_err_write(err, errno, 1, "cannot create "
			    "'%s'", *path);

			free(*path);
			*path = NULL;
			return rc;
		}
		free(*path);
		*path = NULL;
	}
	return mlp_err_set(err, MLP_EFAIL, "cannot create a file in '%s'",
	    st->tmp);
}

/* Renames the complete, synced file tmp to the object oid, or removes it
 * when the object exists; *created says which. */
static int
install(struct mlp_store *st, const char *tmp, const struct mlp_oid *oid,
    int *created, struct mlp_err *err)
{
	char hex[MLP_OID_HEXSZ + 1];
	char *dir, *path;
	struct stat sb;
	int rc = 0, new_dir;

	*created = 0;
	mlp_oid_fmt(oid, hex);
	dir = xasprintf("%s/%.2s", st->objects, hex);
	path = xasprintf("%s/%s", dir, hex + 2);
	if (lstat(path, &sb) == 0) {
		unlink(tmp);
		freshen_path(path);
		goto out;
	}
	new_dir = mkdir(dir, 0777) == 0;
	if (!new_dir && errno != EEXIST) {
		rc = mlp_err_write(err, errno, 1, "cannot create '%s'", dir);
		goto out;
	}
	if (new_dir && (rc = fsync_dir(st->objects, err)) < 0)
		goto out;
	if (rename(tmp, path) < 0) {
		rc = mlp_err_write(err, errno, 1, "cannot rename '%s' to '%s'",
		    tmp, path);
		goto out;
	}
	*created = 1;
	rc = fsync_dir(dir, err);
out:
	free(dir);
	free(path);
	return rc;
}

static int
put_bytes(struct mlp_store *st, const void *buf, size_t n,
    const struct mlp_oid *oid, struct mlp_put_stats *stats,
    struct mlp_err *err)
{
	char *tmp = NULL;
	int fd, rc, direct = 0, created = 0;

	if (mlp_store_has(st, oid)) {
		char *path = mlp_store_object_path(st, oid);

		freshen_path(path);
		free(path);
		return 0;
	}
	if ((fd = tmp_create(st, &direct, &tmp, err)) < 0)
		return fd;
	if ((rc = store_write_all(fd, buf, n, tmp, err)) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		rc = mlp_err_write(err, errno, 1, "cannot sync '%s'", tmp);
		goto fail;
	}
	close(fd);
	fd = -1;
	if ((rc = install(st, tmp, oid, &created, err)) < 0)
		goto fail;
	if (created && stats) {
		stats->objects_written++;
		stats->bytes_written += n;
	}
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return rc;
}

int
mlp_store_put_buf(struct mlp_store *st, const void *buf, size_t n,
    struct mlp_oid *out, struct mlp_put_stats *stats, struct mlp_err *err)
{
	int rc;

	if ((rc = mlp_oid_hash(buf, n, out, err)) < 0)
		return rc;
	return put_bytes(st, buf, n, out, stats, err);
}

static int
same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    ts_ns(&a->st_mtim) == ts_ns(&b->st_mtim) &&
	    ts_ns(&a->st_ctim) == ts_ns(&b->st_ctim);
}

/* Reads a small file whole. */
static int
read_small(int fd, const char *name, struct mlp_buf *b, struct mlp_err *err)
{
	for (;;) {
		ssize_t r;

		mlp_buf_grow(b, 65536);
		r = read(fd, b->s + b->len, b->alloc - b->len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    name, strerror(errno));
		if (r == 0)
			break;
		b->len += (size_t)r;
		b->s[b->len] = '\0';
	}
	return 0;
}

/* Streams a large file into a new object. */
static int
put_large(struct mlp_store *st, int fd, const char *name, struct mlp_oid *out,
    uint64_t *bytes, struct mlp_put_stats *stats, struct mlp_err *err)
{
	char *tmp = NULL;
	int tfd, rc, direct = 1, created = 0;

	if ((tfd = tmp_create(st, &direct, &tmp, err)) < 0)
		return tfd;
	if ((rc = store_stream(st, fd, name, tfd, tmp, direct, out, bytes,
	    err)) < 0)
		goto fail;
	if (fsync(tfd) < 0) {
		rc = mlp_err_write(err, errno, 1, "cannot sync '%s'", tmp);
		goto fail;
	}
	close(tfd);
	tfd = -1;
	if ((rc = install(st, tmp, out, &created, err)) < 0)
		goto fail;
	if (created && stats) {
		stats->objects_written++;
		stats->bytes_written += *bytes;
	}
	free(tmp);
	return 0;
fail:
	if (tfd >= 0)
		close(tfd);
	unlink(tmp);
	free(tmp);
	return rc;
}

int
store_put_fd(struct mlp_store *st, int fd, const struct stat *expect,
    const char *name, const char *cache_path, struct mlp_oid *out,
    uint64_t *size, struct mlp_put_stats *stats, struct mlp_err *err)
{
	struct stat sb, after;
	struct mlp_buf b = MLP_BUF_INIT;
	int64_t t0 = store_now_ns();
	uint64_t bytes = 0;
	int rc;

	if (fstat(fd, &sb) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot stat '%s': %s", name,
		    strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return mlp_err_set(err, MLP_EINVAL, "'%s' is not a regular file",
		    name);
	if (expect && (expect->st_dev != sb.st_dev ||
	    expect->st_ino != sb.st_ino))
		return mlp_err_set(err, MLP_EFAIL, "'%s' was replaced while "
		    "being stored", name);
	/* the kernel's readahead doubles for sequential reads */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((uint64_t)sb.st_size < STORE_SMALL) {
		if ((rc = read_small(fd, name, &b, err)) < 0)
			goto out;
		bytes = b.len;
		store_progress(st, bytes);
		if ((rc = mlp_oid_hash(b.s ? b.s : "", b.len, out, err)) < 0 ||
		    (rc = put_bytes(st, b.s ? b.s : "", b.len, out, stats,
		    err)) < 0)
			goto out;
	} else {
		if ((rc = put_large(st, fd, name, out, &bytes, stats, err)) < 0)
			goto out;
	}
	if (stats) {
		stats->files++;
		stats->bytes += bytes;
		stats->bytes_hashed += bytes;
	}
	/* a file that changed while it was read may hold something else by
	 * now: store what was read, but do not vouch for the file */
	if (fstat(fd, &after) == 0 && same_stat(&sb, &after) &&
	    bytes == (uint64_t)sb.st_size)
		cache_record(st, cache_path, &sb, out, t0);
	if (size)
		*size = bytes;
	rc = 0;
out:
	mlp_buf_release(&b);
	return rc;
}

/* A cache hit for a file: counted as if it had been read. */
void
store_count_hit(struct mlp_store *st, const struct stat *sb,
    struct mlp_put_stats *stats)
{
	store_progress(st, (uint64_t)sb->st_size);
	if (stats) {
		stats->files++;
		stats->bytes += (uint64_t)sb->st_size;
		stats->cache_hits++;
	}
}

/* Stores the file at path (followed when it is a link), whose stat is sb
 * and whose cache key is real (may be NULL). */
static int
put_file_at(struct mlp_store *st, const char *path, const struct stat *sb,
    const char *real, struct mlp_oid *out, struct mlp_put_stats *stats,
    struct mlp_err *err)
{
	int fd, rc;

	if (store_cache_lookup(st, real, sb, out)) {
		store_count_hit(st, sb, stats);
		return 0;
	}
	/* O_NONBLOCK: a FIFO put in the file's place must not hang us */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	rc = store_put_fd(st, fd, sb, path, real, out, NULL, stats, err);
	close(fd);
	return rc;
}

int
mlp_store_put_file(struct mlp_store *st, const char *path,
    struct mlp_oid *out, struct mlp_put_stats *stats, struct mlp_err *err)
{
	struct stat sb;
	char *real = NULL;
	int rc;

	if (stat(path, &sb) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot stat '%s': %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return mlp_err_set(err, MLP_EINVAL, "'%s' is not a regular file",
		    path);
	if (st->db)
		real = realpath(path, NULL);
	store_progress_begin(st, (uint64_t)sb.st_size);
	rc = put_file_at(st, path, &sb, real, out, stats, err);
	store_cache_flush(st);
	free(real);
	return rc;
}

/* Reading. */

int
store_open_object(struct mlp_store *st, const struct mlp_oid *oid, int *fd,
    struct stat *sb, struct mlp_err *err)
{
	char *p = mlp_store_object_path(st, oid);
	char hex[MLP_OID_HEXSZ + 1];
	int rc = 0;

	*fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0) {
		mlp_oid_fmt(oid, hex);
		rc = mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, errno == ENOENT ? "object %s does not exist" :
		    "cannot open object %s: %s", hex, strerror(errno));
	} else if (fstat(*fd, sb) < 0 || !S_ISREG(sb->st_mode)) {
		mlp_oid_fmt(oid, hex);
		rc = mlp_err_set(err, MLP_ECORRUPT, "object %s is not a regular "
		    "file", hex);
		close(*fd);
		*fd = -1;
	}
	free(p);
	return rc;
}

int
mlp_store_open_object(struct mlp_store *st, const struct mlp_oid *oid,
    int *fd, uint64_t *size, struct mlp_err *err)
{
	struct stat sb;
	int rc;

	if ((rc = store_open_object(st, oid, fd, &sb, err)) < 0)
		return rc;
	*size = (uint64_t)sb.st_size;
	return 0;
}

int
mlp_store_read_object(struct mlp_store *st, const struct mlp_oid *oid,
    size_t max, char **out, size_t *len, struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_oid got;
	struct stat sb;
	char hex[MLP_OID_HEXSZ + 1];
	int fd, rc;

	*out = NULL;
	if ((rc = store_open_object(st, oid, &fd, &sb, err)) < 0)
		return rc;
	mlp_oid_fmt(oid, hex);
	if ((uint64_t)sb.st_size > max) {
		rc = mlp_err_set(err, MLP_EINVAL, "object %s is %llu bytes, "
		    "more than %zu", hex, (unsigned long long)sb.st_size, max);
		goto out;
	}
	mlp_buf_grow(&b, (size_t)sb.st_size + 1);
	if ((rc = read_small(fd, hex, &b, err)) < 0)
		goto out;
	if (b.len > max) {
		rc = mlp_err_set(err, MLP_EINVAL, "object %s is more than %zu "
		    "bytes", hex, max);
		goto out;
	}
	if ((rc = mlp_oid_hash(b.s, b.len, &got, err)) < 0)
		goto out;
	if (mlp_oid_cmp(&got, oid) != 0) {
		rc = store_corrupt(err, oid, &got);
		goto out;
	}
	if (len)
		*len = b.len;
	*out = mlp_buf_detach(&b);
out:
	close(fd);
	mlp_buf_release(&b);
	return rc;
}

int
mlp_store_verify(struct mlp_store *st, const struct mlp_oid *oid,
    struct mlp_err *err)
{
	struct mlp_oid got;
	struct stat sb;
	char hex[MLP_OID_HEXSZ + 1];
	uint64_t bytes;
	int fd, rc;

	if ((rc = store_open_object(st, oid, &fd, &sb, err)) < 0)
		return rc;
	mlp_oid_fmt(oid, hex);
	store_progress_begin(st, (uint64_t)sb.st_size);
	rc = store_hash_fd(st, fd, hex, (uint64_t)sb.st_size, &got, &bytes,
	    err);
	close(fd);
	if (rc < 0)
		return rc;
	if (mlp_oid_cmp(&got, oid) != 0)
		return store_corrupt(err, oid, &got);
	return 0;
}

/* Resolving and listing. */

static int
is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that are len lowercase hex digits and start with
 * prefix, sorted. ENOENT gives an empty list. */
static int
list_hex(const char *dir, size_t len, const char *prefix,
    struct mlp_strv *out, struct mlp_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t plen = strlen(prefix);

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s", dir,
		    strerror(errno));
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) == len && is_hex_lower(de->d_name, len) &&
		    strncmp(de->d_name, prefix, plen) == 0)
			mlp_strv_push(out, de->d_name);
		errno = 0;
	}
	if (errno) {
		int e = errno;

		closedir(d);
		return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s", dir,
		    strerror(e));
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

int
mlp_store_resolve(struct mlp_store *st, const char *hex_prefix,
    struct mlp_oid *out, struct mlp_err *err)
{
	struct mlp_strv names = MLP_STRV_INIT;
	char pre[MLP_OID_HEXSZ + 1], full[MLP_OID_HEXSZ + 1];
	size_t n = strlen(hex_prefix);
	char *dir;
	int rc;

	if (n < 4 || n > MLP_OID_HEXSZ)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		char c = hex_prefix[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!is_hex_lower(&c, 1))
			goto bad;
		pre[i] = c;
	}
	pre[n] = '\0';
	if (n == MLP_OID_HEXSZ) {
		mlp_oid_parse(pre, out, NULL);
		if (mlp_store_has(st, out))
			return 0;
		return mlp_err_set(err, MLP_ENOTFOUND, "object %s does not "
		    "exist", pre);
	}
	dir = xasprintf("%s/%.2s", st->objects, pre);
	rc = list_hex(dir, MLP_OID_HEXSZ - 2, pre + 2, &names, err);
	free(dir);
	if (rc < 0)
		goto out;
	if (names.n == 0) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no object id starts with "
		    "'%s'", pre);
	} else if (names.n == 1) {
		snprintf(full, sizeof(full), "%.2s%s", pre, names.v[0]);
		rc = mlp_oid_parse(full, out, err);
	} else {
		struct mlp_buf b = MLP_BUF_INIT;

		for (size_t i = 0; i < names.n && i < 5; i++)
			mlp_buf_addf(&b, "%s%.2s%s", i ? ", " : "", pre,
			    names.v[i]);
		if (names.n > 5)
			mlp_buf_addf(&b, " and %zu more", names.n - 5);
		rc = mlp_err_set(err, MLP_EAMBIGUOUS, "object id prefix '%s' is "
		    "ambiguous; candidates: %s", pre, b.s);
		mlp_buf_release(&b);
	}
out:
	mlp_strv_release(&names);
	return rc;
bad:
	return mlp_err_set(err, MLP_EINVAL, "'%s' is not an object id prefix "
	    "(4 to 64 hex digits)", hex_prefix);
}

int
mlp_store_foreach(struct mlp_store *st, mlp_store_object_fn fn, void *ud,
    struct mlp_err *err)
{
	struct mlp_strv dirs = MLP_STRV_INIT;
	int rc;

	if ((rc = list_hex(st->objects, 2, "", &dirs, err)) < 0)
		goto out;
	for (size_t i = 0; i < dirs.n && rc == 0; i++) {
		struct mlp_strv names = MLP_STRV_INIT;
		char *dir = xasprintf("%s/%s", st->objects, dirs.v[i]);

		rc = list_hex(dir, MLP_OID_HEXSZ - 2, "", &names, err);
		for (size_t j = 0; j < names.n && rc == 0; j++) {
			char hex[MLP_OID_HEXSZ + 1];
			char *path = xasprintf("%s/%s", dir, names.v[j]);
			struct mlp_oid oid;

			snprintf(hex, sizeof(hex), "%s%s", dirs.v[i],
			    names.v[j]);
			mlp_oid_parse(hex, &oid, NULL);
			rc = fn(&oid, path, ud);
			free(path);
		}
		mlp_strv_release(&names);
		free(dir);
	}
out:
	mlp_strv_release(&dirs);
	return rc;
}
