/* Remotes: the backend table, and the transfer logic every backend shares
 * (a pool of threads, verification on receipt, installing into the local
 * store). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "remote.h"

static const struct mlp_remote_backend *const backends[] = {
	&mlp_remote_file,
	&mlp_remote_s3,
	&mlp_remote_http,
	&mlp_remote_https,
};
#define NBACKENDS (sizeof(backends) / sizeof(*backends))

struct mlp_remote {
	const struct mlp_remote_backend *be;
	struct mlp_remote_conn *conn;
	char *url, *name;
	int jobs;
	mlp_remote_progress_fn progress;
	void *progress_ud;
};

const char *
mlp_remote_schemes(void)
{
	static char buf[128];

	if (!buf[0]) {
		size_t off = 0;

		for (size_t i = 0; i < NBACKENDS; i++)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s%s://", i ? ", " : "", backends[i]->scheme);
	}
	return buf;
}

static const struct mlp_remote_backend *
find_backend(const char *url, struct mlp_err *err)
{
	const char *colon = strstr(url, "://");

	if (colon)
		for (size_t i = 0; i < NBACKENDS; i++)
			if (strlen(backends[i]->scheme) == (size_t)(colon - url) &&
			    strncmp(url, backends[i]->scheme,
			    (size_t)(colon - url)) == 0)
				return backends[i];
	mlp_err_set(err, MLP_EINVAL, "'%.200s' is not a remote URL of a known "
	    "scheme: %s", url, mlp_remote_schemes());
	return NULL;
}

/* A URL is one line of text: no control characters (a newline would
 * break the config and every message naming it), valid UTF-8. */
static int
check_text(const char *url, struct mlp_err *err)
{
	int rc;

	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return mlp_err_set(err, MLP_EINVAL, "remote URL '%.*s\\x%02x"
			    "...' holds a control character", (int)((const char *)
			    p - url > 200 ? 200 : (const char *)p - url), url, *p);
	if ((rc = mlp_check_utf8("remote URL", url, err)) < 0)
		return rc;
	return 0;
}

int
mlp_remote_check_url(const char *url, struct mlp_err *err)
{
	const struct mlp_remote_backend *be;
	int rc;

	if ((rc = check_text(url, err)) < 0)
		return rc;
	if (!(be = find_backend(url, err)))
		return MLP_EINVAL;
	return be->check(url, err);
}

int
mlp_remote_open(struct mlp_remote **out, const struct mlp_remote_cfg *cfg,
    struct mlp_err *err)
{
	const struct mlp_remote_backend *be = find_backend(cfg->url, err);
	struct mlp_remote *r;
	int rc;

	*out = NULL;
	if (!be)
		return MLP_EINVAL;
	if ((rc = check_text(cfg->url, err)) < 0 ||
	    (rc = be->check(cfg->url, err)) < 0)
		return rc;
	r = xcalloc(1, sizeof(*r));
	r->be = be;
	r->url = xstrdup(cfg->url);
	r->name = xstrdup(cfg->name ? cfg->name : cfg->url);
	r->jobs = cfg->jobs > 0 ? cfg->jobs : MLP_REMOTE_JOBS;
	if ((rc = be->open(&r->conn, cfg, err)) < 0) {
		mlp_err_prefix(err, "remote '%s'", r->name);
		mlp_remote_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
mlp_remote_close(struct mlp_remote *r)
{
	if (!r)
		return;
	if (r->conn)
		r->be->close(r->conn);
	free(r->url);
	free(r->name);
	free(r);
}

const char *
mlp_remote_url(const struct mlp_remote *r)
{
	return r->url;
}

void
mlp_remote_set_progress(struct mlp_remote *r, mlp_remote_progress_fn fn,
    void *ud)
{
	r->progress = fn;
	r->progress_ud = ud;
}

void
mlp_remote_object_key(const struct mlp_oid *oid, char out[MLP_REMOTE_KEYSZ])
{
	char hex[MLP_OID_HEXSZ + 1];

	mlp_oid_fmt(oid, hex);
	snprintf(out, MLP_REMOTE_KEYSZ, "objects/%.2s/%s", hex, hex + 2);
}

/* The pool of threads. */

struct pool {
	mlp_remote_job_fn fn;
	void *ud;
	size_t n;
	atomic_size_t next;
	atomic_int failed;
	pthread_mutex_t lock;
	struct mlp_err err;	/* the first failure */
};

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct mlp_err err;

	mlp_err_clear(&err);
	while (!atomic_load(&p->failed)) {
		size_t i = atomic_fetch_add(&p->next, 1);

		if (i >= p->n)
			break;
		if (p->fn(p->ud, i, &err) < 0) {
			pthread_mutex_lock(&p->lock);
			if (!atomic_load(&p->failed))
				p->err = err;
			atomic_store(&p->failed, 1);
			pthread_mutex_unlock(&p->lock);
			break;
		}
	}
	return NULL;
}

int
mlp_remote_parallel(int jobs, size_t n, mlp_remote_job_fn fn, void *ud,
    struct mlp_err *err)
{
	struct pool p;
	pthread_t *tids;
	int started = 0;

	if (n == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.fn = fn;
	p.ud = ud;
	p.n = n;
	atomic_init(&p.next, 0);
	atomic_init(&p.failed, 0);
	pthread_mutex_init(&p.lock, NULL);
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > n)
		jobs = (int)n;
	if (jobs == 1) {
		worker(&p);
	} else {
		tids = xcalloc((size_t)jobs, sizeof(*tids));
		for (int i = 0; i < jobs; i++)
			if (pthread_create(&tids[i], NULL, worker, &p) == 0)
				started++;
		if (started == 0)
			worker(&p);
		for (int i = 0; i < started; i++)
			pthread_join(tids[i], NULL);
		free(tids);
	}
	pthread_mutex_destroy(&p.lock);
	if (atomic_load(&p.failed)) {
		if (err)
			*err = p.err;
		return p.err.code < 0 ? p.err.code : MLP_EFAIL;
	}
	return 0;
}

int
mlp_remote_has(struct mlp_remote *r, const struct mlp_oid *oids, size_t n,
    unsigned char *have, struct mlp_err *err)
{
	int rc;

	memset(have, 0, n);
	if (n == 0)
		return 0;
	if ((rc = r->be->has_many(r->conn, oids, n, have, err)) < 0)
		mlp_err_prefix(err, "remote '%s'", r->name);
	return rc;
}

/* Transfers. */

struct xfer {
	struct mlp_remote *r;
	struct mlp_store *st;
	const struct mlp_oid *oids;
	size_t n;
	pthread_mutex_t lock;
	struct mlp_xfer_stats *stats;
	uint64_t done;
	atomic_uint seq;
	struct mlp_renames renames;	/* pulled objects of the batch */
	long kill_after;		/* tests: SIGKILL after this many */
};

/* Counts one object transferred. */
static void
count(struct xfer *x, uint64_t bytes, int skipped)
{
	pthread_mutex_lock(&x->lock);
	if (skipped) {
		x->stats->skipped++;
	} else {
		x->stats->objects++;
		x->stats->bytes += bytes;
	}
	x->done++;
	if (x->r->progress)
		x->r->progress(x->done, x->n, x->r->progress_ud);
	pthread_mutex_unlock(&x->lock);
}

/* For tests of interrupted transfers: MLP_TEST_KILL_AFTER=N kills the
 * process, as kill -9 would, once N objects are durable (at the end of the
 * batch that reaches N). */
static void
maybe_die(struct xfer *x)
{
	if (x->kill_after > 0 && x->done >= (uint64_t)x->kill_after)
		raise(SIGKILL);
}

static void
xfer_init(struct xfer *x, struct mlp_remote *r, struct mlp_store *st,
    const struct mlp_oid *oids, size_t n, struct mlp_xfer_stats *stats)
{
	const char *k = getenv("MLP_TEST_KILL_AFTER");

	memset(x, 0, sizeof(*x));
	x->r = r;
	x->st = st;
	x->oids = oids;
	x->n = n;
	x->stats = stats;
	pthread_mutex_init(&x->lock, NULL);
	atomic_init(&x->seq, 0);
	x->kill_after = k ? strtol(k, NULL, 10) : 0;
}

/* Batches of objects made durable together (see remote.h). */

#define XFER_BATCH 128

void
mlp_renames_init(struct mlp_renames *rn)
{
	memset(rn, 0, sizeof(*rn));
	pthread_mutex_init(&rn->lock, NULL);
}

void
mlp_renames_add(struct mlp_renames *rn, char *tmp, char *dest)
{
	pthread_mutex_lock(&rn->lock);
	if (rn->n == rn->alloc) {
		size_t a = rn->alloc;

		mlp_grow(&rn->tmp, &a, rn->n + 1, sizeof(*rn->tmp));
		rn->dest = xrealloc(rn->dest, a * sizeof(*rn->dest));
		rn->alloc = a;
	}
	rn->tmp[rn->n] = tmp;
	rn->dest[rn->n++] = dest;
	pthread_mutex_unlock(&rn->lock);
}

int
store_sync_fs(const char *dir, struct mlp_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || syncfs(fd) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return mlp_err_set(err, MLP_EFAIL, "cannot sync '%s': %s", dir,
		    strerror(e));
	}
	close(fd);
	return 0;
}

int
mlp_renames_commit(struct mlp_renames *rn, const char *sync_dir,
    struct mlp_err *err)
{
	size_t i = 0;
	int rc;

	if (rn->n == 0)
		return 0;
	/* the data first, so no object appears before its content is
	 * durable; then the renames (and new directories) */
	if ((rc = store_sync_fs(sync_dir, err)) < 0)
		goto out;
	for (; i < rn->n; i++) {
		char *dir = xstrdup(rn->dest[i]);

		*strrchr(dir, '/') = '\0';
		if (rename(rn->tmp[i], rn->dest[i]) < 0 &&
		    (errno != ENOENT || mkdir(dir, 0777) < 0 ||
		    rename(rn->tmp[i], rn->dest[i]) < 0)) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot rename '%s' to "
			    "'%s': %s", rn->tmp[i], rn->dest[i],
			    strerror(errno));
			free(dir);
			goto out;
		}
		free(dir);
	}
	rc = store_sync_fs(sync_dir, err);
out:
	for (size_t j = i; j < rn->n; j++)
		unlink(rn->tmp[j]);
	for (size_t j = 0; j < rn->n; j++) {
		free(rn->tmp[j]);
		free(rn->dest[j]);
	}
	rn->n = 0;
	return rc;
}

void
mlp_renames_discard(struct mlp_renames *rn)
{
	for (size_t j = 0; j < rn->n; j++) {
		unlink(rn->tmp[j]);
		free(rn->tmp[j]);
		free(rn->dest[j]);
	}
	rn->n = 0;
}

void
mlp_renames_release(struct mlp_renames *rn)
{
	mlp_renames_discard(rn);
	free(rn->tmp);
	free(rn->dest);
	pthread_mutex_destroy(&rn->lock);
}

/* Runs fn over [0, n) in batches, calling after(ud) between them. */
struct batch {
	mlp_remote_job_fn fn;
	void *ud;
	size_t base;
};

static int
batch_one(void *ud, size_t i, struct mlp_err *err)
{
	struct batch *b = ud;

	return b->fn(b->ud, b->base + i, err);
}

static int
in_batches(int jobs, size_t n, mlp_remote_job_fn fn, void *ud,
    int (*after)(void *ud, struct mlp_err *err), struct mlp_err *err)
{
	struct batch b = { fn, ud, 0 };
	int rc = 0;

	for (b.base = 0; b.base < n && rc == 0; b.base += XFER_BATCH) {
		size_t len = n - b.base < XFER_BATCH ? n - b.base : XFER_BATCH;

		rc = mlp_remote_parallel(jobs, len, batch_one, &b, err);
		if (rc == 0)
			rc = after(ud, err);
	}
	return rc;
}

static int
push_one(void *ud, size_t i, struct mlp_err *err)
{
	struct xfer *x = ud;
	char *path = mlp_store_object_path(x->st, &x->oids[i]);
	struct stat sb;
	int rc;

	if (stat(path, &sb) < 0) {
		char hex[MLP_OID_HEXSZ + 1];

		mlp_oid_fmt(&x->oids[i], hex);
		rc = mlp_err_set(err, MLP_ENOTFOUND, "object %s is missing "
		    "from the local store", hex);
	} else if ((rc = x->r->be->put_object(x->r->conn, &x->oids[i], path,
	    (uint64_t)sb.st_size, err)) == 0) {
		count(x, (uint64_t)sb.st_size, 0);
	}
	free(path);
	return rc;
}

static int
push_flush(void *ud, struct mlp_err *err)
{
	struct xfer *x = ud;
	int rc = x->r->be->flush ? x->r->be->flush(x->r->conn, err) : 0;

	if (rc == 0)
		maybe_die(x);
	return rc;
}

int
mlp_remote_push_objects(struct mlp_remote *r, struct mlp_store *st,
    const struct mlp_oid *oids, size_t n, struct mlp_xfer_stats *stats,
    struct mlp_err *err)
{
	struct xfer x;
	int rc;

	xfer_init(&x, r, st, oids, n, stats);
	rc = in_batches(r->jobs, n, push_one, &x, push_flush, err);
	if (rc < 0 && r->be->discard)
		r->be->discard(r->conn);
	pthread_mutex_destroy(&x.lock);
	if (rc < 0)
		mlp_err_prefix(err, "push to '%s'", r->name);
	return rc;
}

/* Creates a file for a download in the store's tmp/. */
static int
tmp_file(struct xfer *x, char **path, struct mlp_err *err)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char rnd[4] = { 0 };
		int fd;

		(void)mlp_random(rnd, sizeof(rnd), NULL);
		*path = xasprintf("%s/pull-%ld-%u-%02x%02x%02x%02x",
		    mlp_store_tmp_dir(x->st), (long)getpid(),
		    atomic_fetch_add(&x->seq, 1), rnd[0], rnd[1], rnd[2], rnd[3]);
		fd = open(*path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
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
	}
	*path = NULL;
	return mlp_err_set(err, MLP_EFAIL, "cannot create a file in '%s'",
	    mlp_store_tmp_dir(x->st));
}

/* Hashes the file open as fd from its start; *size gets its length. */
static int
hash_fd(int fd, const char *name, struct mlp_oid *out, uint64_t *size,
    struct mlp_err *err)
{
	static __thread unsigned char buf[1 << 16];
	struct mlp_sha256 h;
	ssize_t got;
	int rc;

	*size = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot seek '%s': %s", name,
		    strerror(errno));
	if ((rc = mlp_sha256_begin(&h, err)) < 0)
		return rc;
	while ((got = read(fd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			mlp_sha256_abort(&h);
			return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    name, strerror(errno));
		}
		mlp_sha256_update(&h, buf, (size_t)got);
		*size += (uint64_t)got;
	}
	mlp_sha256_end(&h, out);
	return 0;
}

/* Downloads object i into a file in tmp/ and checks its hash; *path gets
 * the file's name, *fd stays open. */
static int
fetch_verified(struct xfer *x, const struct mlp_oid *oid, char **path,
    int *fdp, uint64_t *size, struct mlp_err *err)
{
	char hex[MLP_OID_HEXSZ + 1], found[MLP_OID_HEXSZ + 1];
	struct mlp_oid got;
	int fd, rc;

	*path = NULL;
	*fdp = -1;
	if ((fd = tmp_file(x, path, err)) < 0)
		return fd;
	mlp_oid_fmt(oid, hex);
	if ((rc = x->r->be->get_object(x->r->conn, oid, fd, err)) < 0) {
		if (rc == MLP_ENOTFOUND)
			mlp_err_set(err, rc, "object %s is missing from the "
			    "remote", hex);
		goto fail;
	}
	if ((rc = hash_fd(fd, *path, &got, size, err)) < 0)
		goto fail;
	if (mlp_oid_cmp(&got, oid) != 0) {
		mlp_oid_fmt(&got, found);
		rc = mlp_err_set(err, MLP_ECORRUPT, "object %s on the remote is "
		    "damaged: its content hashes to %s; nothing was stored",
		    hex, found);
		goto fail;
	}
	*fdp = fd;
	return 0;
fail:
	close(fd);
	unlink(*path);
	free(*path);
	*path = NULL;
	return rc;
}

static int
pull_one(void *ud, size_t i, struct mlp_err *err)
{
	struct xfer *x = ud;
	const struct mlp_oid *oid = &x->oids[i];
	char hex[MLP_OID_HEXSZ + 1];
	char *tmp = NULL;
	uint64_t size = 0;
	int fd = -1, rc;

	if (mlp_store_has(x->st, oid)) {
		count(x, 0, 1);
		return 0;
	}
	if ((rc = fetch_verified(x, oid, &tmp, &fd, &size, err)) < 0)
		return rc;
	mlp_oid_fmt(oid, hex);
	close(fd);
	/* durable and renamed into place with the rest of its batch */
	mlp_renames_add(&x->renames, tmp, xasprintf("%s/%.2s/%s",
	    mlp_store_objects_dir(x->st), hex, hex + 2));
	count(x, size, 0);
	return 0;
}

static int
pull_flush(void *ud, struct mlp_err *err)
{
	struct xfer *x = ud;
	int rc = mlp_renames_commit(&x->renames, mlp_store_objects_dir(x->st),
	    err);

	if (rc == 0)
		maybe_die(x);
	return rc;
}

int
mlp_remote_pull_objects(struct mlp_remote *r, struct mlp_store *st,
    const struct mlp_oid *oids, size_t n, struct mlp_xfer_stats *stats,
    struct mlp_err *err)
{
	struct mlp_oid none;
	struct xfer x;
	int rc;

	/* load libcrypto before the threads need it */
	if ((rc = mlp_oid_hash("", 0, &none, err)) < 0)
		return rc;
	xfer_init(&x, r, st, oids, n, stats);
	mlp_renames_init(&x.renames);
	rc = in_batches(r->jobs, n, pull_one, &x, pull_flush, err);
	mlp_renames_release(&x.renames);
	pthread_mutex_destroy(&x.lock);
	if (rc < 0)
		mlp_err_prefix(err, "pull from '%s'", r->name);
	return rc;
}

int
mlp_remote_read_object(struct mlp_remote *r, struct mlp_store *st,
    const struct mlp_oid *oid, size_t max, char **out, size_t *len,
    struct mlp_err *err)
{
	struct mlp_xfer_stats stats = { 0 };
	struct mlp_oid none;
	struct mlp_buf b = MLP_BUF_INIT;
	struct xfer x;
	char *path = NULL;
	uint64_t size = 0;
	int fd = -1, rc;

	*out = NULL;
	if ((rc = mlp_oid_hash("", 0, &none, err)) < 0)
		return rc;
	xfer_init(&x, r, st, oid, 1, &stats);
	rc = fetch_verified(&x, oid, &path, &fd, &size, err);
	pthread_mutex_destroy(&x.lock);
	if (rc < 0)
		return mlp_err_prefix(err, "remote '%s'", r->name);
	unlink(path);
	if (size > max) {
		rc = mlp_err_set(err, MLP_EINVAL, "object is larger than %zu "
		    "bytes", max);
		goto out;
	}
	mlp_buf_grow(&b, (size_t)size);
	if (pread(fd, b.s, (size_t)size, 0) != (ssize_t)size) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	b.len = (size_t)size;
	b.s[b.len] = '\0';
	if (len)
		*len = b.len;
	*out = mlp_buf_detach(&b);
out:
	mlp_buf_release(&b);
	close(fd);
	free(path);
	return rc;
}

int
mlp_remote_put_doc(struct mlp_remote *r, const char *key, const char *data,
    size_t n, struct mlp_err *err)
{
	int rc = r->be->put_doc(r->conn, key, data, n, err);

	if (rc < 0)
		mlp_err_prefix(err, "remote '%s'", r->name);
	return rc;
}

int
mlp_remote_get_doc(struct mlp_remote *r, const char *key, char **out,
    size_t *n, struct mlp_err *err)
{
	int rc = r->be->get_doc(r->conn, key, out, n, err);

	if (rc < 0 && rc != MLP_ENOTFOUND)
		mlp_err_prefix(err, "remote '%s'", r->name);
	return rc;
}

int
mlp_remote_list(struct mlp_remote *r, const char *prefix,
    mlp_remote_list_fn fn, void *ud, struct mlp_err *err)
{
	int rc = r->be->list(r->conn, prefix, fn, ud, err);

	if (rc < 0)
		mlp_err_prefix(err, "remote '%s'", r->name);
	return rc;
}
