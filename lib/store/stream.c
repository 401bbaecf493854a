/* The one-pass pipeline: a reader thread fills aligned chunks, the calling
 * thread hashes them, a writer thread writes them (with O_DIRECT for new
 * objects, so a 1 GiB put does not pay for 1 GiB of page cache). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

struct pipe {
	struct mlp_store *st;
	int in, out, direct;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	size_t len[STORE_NBUF];
	uint64_t filled, hashed, written;	/* chunks done by each stage */
	int eof;				/* filled is final */
	int rd_errno, wr_errno, stop;
	const char *wr_what;
};

/* The number of chunks every consumer is done with. */
static uint64_t
consumed(const struct pipe *p)
{
	if (p->out >= 0 && p->written < p->hashed)
		return p->written;
	return p->hashed;
}

static void *
reader(void *arg)
{
	struct pipe *p = arg;

	for (uint64_t s = 0;; s++) {
		unsigned char *buf = p->st->bufs[s % STORE_NBUF];
		size_t got = 0;
		int e = 0;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && s >= consumed(p) + STORE_NBUF)
			pthread_cond_wait(&p->cond, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (p->stop)
			break;
		while (got < STORE_CHUNK) {
			ssize_t r = read(p->in, buf + got, STORE_CHUNK - got);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				e = errno;
				break;
			}
			if (r == 0)
				break;
			got += (size_t)r;
		}
		pthread_mutex_lock(&p->mu);
		if (e) {
			p->rd_errno = e;
			p->stop = 1;
		} else {
			p->len[s % STORE_NBUF] = got;
			p->filled = s + 1;
			if (got < STORE_CHUNK)
				p->eof = 1;
		}
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->mu);
		if (e || got < STORE_CHUNK)
			break;
	}
	return NULL;
}

static int
clear_direct(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl & ~O_DIRECT);
}

/* Writes one chunk; 0 or an errno. */
static int
write_chunk(struct pipe *p, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		size_t want = n;
		ssize_t r;

		if (p->direct && n % STORE_ALIGN) {
			/* only the last chunk can be short: write its
			 * aligned part directly, the tail buffered */
			want = n - n % STORE_ALIGN;
			if (want == 0) {
				if (clear_direct(p->out) < 0)
					return errno;
				p->direct = 0;
				continue;
			}
		}
		r = write(p->out, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && p->direct) {
			/* the filesystem refuses O_DIRECT here */
			if (clear_direct(p->out) < 0)
				return errno;
			p->direct = 0;
			continue;
		}
		if (r < 0)
			return errno;
		if (r == 0)
			return EIO;
		buf += r;
		n -= (size_t)r;
		if (p->direct && (size_t)r % STORE_ALIGN) {
			/* a short direct write left us unaligned */
			if (clear_direct(p->out) < 0)
				return errno;
			p->direct = 0;
		}
	}
	return 0;
}

static void *
writer(void *arg)
{
	struct pipe *p = arg;

	for (uint64_t s = 0;; s++) {
		size_t n;
		int e;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && s >= p->filled && !p->eof)
			pthread_cond_wait(&p->cond, &p->mu);
		if (p->stop || s >= p->filled) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		n = p->len[s % STORE_NBUF];
		pthread_mutex_unlock(&p->mu);
		e = write_chunk(p, p->st->bufs[s % STORE_NBUF], n);
		pthread_mutex_lock(&p->mu);
		if (e) {
			p->wr_errno = e;
			p->stop = 1;
		} else {
			p->written = s + 1;
		}
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->mu);
		if (e)
			break;
	}
	return NULL;
}

static int
alloc_bufs(struct mlp_store *st, struct mlp_err *err)
{
	for (int i = 0; i < STORE_NBUF; i++) {
		void *b;

		if (st->bufs[i])
			continue;
		if (posix_memalign(&b, STORE_ALIGN, STORE_CHUNK) != 0)
			return mlp_err_set(err, MLP_EFAIL, "cannot allocate "
			    "%u MiB of buffers",
			    STORE_NBUF * (STORE_CHUNK >> 20));
		st->bufs[i] = b;
	}
	return 0;
}

int
store_stream(struct mlp_store *st, int in, const char *in_name, int out,
    const char *out_name, int direct, struct mlp_oid *oid, uint64_t *bytes,
    struct mlp_err *err)
{
	struct pipe p;
	struct mlp_sha256 h;
	pthread_t rd, wr;
	int rc, have_wr = 0, e;
	uint64_t total = 0;

	if ((rc = alloc_bufs(st, err)) < 0)
		return rc;
	if ((rc = mlp_sha256_begin(&h, err)) < 0)
		return rc;
	memset(&p, 0, sizeof(p));
	p.st = st;
	p.in = in;
	p.out = out;
	p.direct = direct;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cond, NULL);
	if ((e = pthread_create(&rd, NULL, reader, &p)) != 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot start a thread: %s",
		    strerror(e));
		goto out_sync;
	}
	if (out >= 0) {
		if ((e = pthread_create(&wr, NULL, writer, &p)) != 0) {
			pthread_mutex_lock(&p.mu);
			p.stop = 1;
			pthread_cond_broadcast(&p.cond);
			pthread_mutex_unlock(&p.mu);
			pthread_join(rd, NULL);
			rc = mlp_err_set(err, MLP_EFAIL, "cannot start a "
			    "thread: %s", strerror(e));
			goto out_sync;
		}
		have_wr = 1;
	}
	for (uint64_t s = 0;; s++) {
		size_t n;

		pthread_mutex_lock(&p.mu);
		while (!p.stop && s >= p.filled && !p.eof)
			pthread_cond_wait(&p.cond, &p.mu);
		if (p.stop || s >= p.filled) {
			pthread_mutex_unlock(&p.mu);
			break;
		}
		n = p.len[s % STORE_NBUF];
		pthread_mutex_unlock(&p.mu);
		mlp_sha256_update(&h, st->bufs[s % STORE_NBUF], n);
		total += n;
		store_progress(st, n);
		pthread_mutex_lock(&p.mu);
		p.hashed = s + 1;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.mu);
	}
	pthread_join(rd, NULL);
	if (have_wr)
		pthread_join(wr, NULL);
	if (p.rd_errno)
		rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
		    in_name, strerror(p.rd_errno));
	else if (p.wr_errno)
		rc = mlp_err_write(err, p.wr_errno, 0, "cannot write '%s'",
		    out_name);
out_sync:
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.mu);
	if (rc < 0) {
		mlp_sha256_abort(&h);
		return rc;
	}
	mlp_sha256_end(&h, oid);
	*bytes = total;
	return 0;
}

int
store_write_all(int fd, const void *p, size_t n, const char *name,
    struct mlp_err *err)
{
	const char *c = p;

	while (n > 0) {
		ssize_t r = write(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return mlp_err_write(err, r < 0 ? errno : ENOSPC, 0,
			    "cannot write '%s'", name);
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int
store_hash_fd(struct mlp_store *st, int fd, const char *name, uint64_t size,
    struct mlp_oid *oid, uint64_t *bytes, struct mlp_err *err)
{
	struct mlp_sha256 h;
	unsigned char buf[65536];
	uint64_t total = 0;
	int rc;

	if (size >= STORE_SMALL)
		return store_stream(st, fd, name, -1, NULL, 0, oid, bytes, err);
	if ((rc = mlp_sha256_begin(&h, err)) < 0)
		return rc;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			mlp_sha256_abort(&h);
			return mlp_err_set(err, MLP_EFAIL, "cannot read "
			    "'%s': %s", name, strerror(errno));
		}
		if (r == 0)
			break;
		mlp_sha256_update(&h, buf, (size_t)r);
		total += (uint64_t)r;
		store_progress(st, (uint64_t)r);
	}
	mlp_sha256_end(&h, oid);
	*bytes = total;
	return 0;
}
