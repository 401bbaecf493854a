/* Reading a whole CSV file into a frame: the file is mapped, one thread
 * digests it while others parse chunks split where a record starts (found
 * by speculation and checked), and frames, digests of files. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "store/store.h"

size_t data_min_chunk = 1u << 20;

/* The rows read for type inference: those starting in the first 64 KiB of
 * data, and at least 1000. */
#define SAMPLE_BYTES (64u << 10)
#define SAMPLE_ROWS 1000
#define MAX_THREADS 64
/* Files smaller than this are digested on the calling thread. */
#define HASH_THREAD_MIN (1u << 20)
#define READ_BLOCK (1u << 20)

void
mlp_frame_free(struct mlp_frame *f)
{
	if (!f)
		return;
	for (size_t j = 0; j < f->ncols; j++) {
		if (f->col) {
			free(f->col[j].name);
			for (size_t k = 0; k < f->col[j].nlevels; k++)
				free(f->col[j].levels[k]);
			free(f->col[j].levels);
		}
		if (f->cols)
			free(f->cols[j]);
	}
	free(f->col);
	free(f->cols);
	free(f->marks);
	free(f->source);
	free(f);
}

uint64_t
mlp_frame_line(const struct mlp_frame *f, size_t row)
{
	return mlp_marks_line(f->marks, f->nmarks, row);
}

int
mlp_frame_find(const struct mlp_frame *f, const char *name)
{
	for (size_t j = 0; j < f->ncols; j++)
		if (strcmp(f->col[j].name, name) == 0)
			return j > INT32_MAX ? -1 : (int)j;
	return -1;
}

static int
open_file(const char *path, int *fd, struct stat *sb, struct mlp_err *err)
{
	if (strcmp(path, "-") == 0)
		*fd = STDIN_FILENO;
	else if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(*fd, sb) < 0 || S_ISDIR(sb->st_mode)) {
		int e = S_ISDIR(sb->st_mode) ? EISDIR : errno;

		if (*fd != STDIN_FILENO)
			close(*fd);
		return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
		    data_source_name(path), strerror(e));
	}
	return 0;
}

int
mlp_data_digest(const char *path, char out[65], struct mlp_err *err)
{
	struct mlp_sha256 sha;
	struct mlp_oid oid;
	struct stat sb;
	char *buf = NULL;
	ssize_t n;
	int fd, rc;

	if ((rc = open_file(path, &fd, &sb, err)) < 0)
		return rc;
	if ((rc = mlp_sha256_begin(&sha, err)) < 0)
		goto out;
	buf = xmalloc(READ_BLOCK);
	while ((n = read(fd, buf, READ_BLOCK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    data_source_name(path), strerror(errno));
			mlp_sha256_abort(&sha);
			goto out;
		}
		mlp_sha256_update(&sha, buf, (size_t)n);
	}
	mlp_sha256_end(&sha, &oid);
	mlp_oid_fmt(&oid, out);
out:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/* Everything a read holds, released in one place. */
struct reader {
	const char *path, *name;
	/* the data, with a NUL readable at data[size] */
	const char *data;
	size_t size;
	void *map;
	size_t maplen;
	char *heap;
	/* the digest, on its own thread for a large mapped file */
	struct mlp_sha256 sha;
	int sha_open;
	pthread_t sha_thread;
	int sha_running;
	/* parsing */
	struct data_parser ps;
	char **names;
	size_t ncols;
	struct data_worker *w;
	size_t nw;
	struct mlp_frame *frame;	/* being filled by the copy jobs */
};

/* Reads all of fd into memory (stdin, pipes), digesting it as it comes. */
static int
slurp(struct reader *r, int fd, struct mlp_err *err)
{
	size_t len = 0, alloc = 0;
	ssize_t n;

	for (;;) {
		mlp_grow(&r->heap, &alloc, len + READ_BLOCK + DATA_PAD, 1);
		n = read(fd, r->heap + len, alloc - len - DATA_PAD);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mlp_err_set(err, MLP_EFAIL,
			    "cannot read '%s': %s", r->name, strerror(errno));
		if (n == 0)
			break;
		mlp_sha256_update(&r->sha, r->heap + len, (size_t)n);
		len += (size_t)n;
	}
	memset(r->heap + len, 0, DATA_PAD);
	r->data = r->heap;
	r->size = len;
	return 0;
}

/* Maps the regular file fd of size bytes with zeros reserved after it, so
 * that DATA_PAD bytes after its end read as NULs even when size is a
 * multiple of the page size. */
static int
map_file(struct reader *r, int fd, size_t size, struct mlp_err *err)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	if (size > SIZE_MAX - 2 * pg - DATA_PAD)
		return mlp_err_set(err, MLP_EFAIL, "'%s' is too large",
		    r->name);
	r->maplen = (size + DATA_PAD + pg - 1) & ~(pg - 1);
	r->map = mmap(NULL, r->maplen, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return mlp_err_set(err, MLP_EFAIL, "cannot map '%s': %s",
		    r->name, strerror(errno));
	}
	p = mmap(r->map, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		return mlp_err_set(err, MLP_EFAIL, "cannot map '%s': %s",
		    r->name, strerror(errno));
	madvise(r->map, size, MADV_WILLNEED);
	r->data = r->map;
	r->size = size;
	return 0;
}

static void *
sha_main(void *arg)
{
	struct reader *r = arg;

	for (size_t off = 0; off < r->size; off += READ_BLOCK) {
		size_t n = r->size - off < READ_BLOCK ? r->size - off :
		    READ_BLOCK;

		mlp_sha256_update(&r->sha, r->data + off, n);
	}
	return NULL;
}

/* Opens the data and starts its digest. */
static int
load(struct reader *r, struct mlp_err *err)
{
	struct stat sb;
	int fd, rc;

	if ((rc = open_file(r->path, &fd, &sb, err)) < 0)
		return rc;
	if ((rc = mlp_sha256_begin(&r->sha, err)) < 0)
		goto out;
	r->sha_open = 1;
	if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
		if ((uint64_t)sb.st_size > SIZE_MAX / 2) {
			rc = mlp_err_set(err, MLP_EFAIL, "'%s' is too large",
			    r->name);
			goto out;
		}
		/* some file systems cannot map: read those */
		if (map_file(r, fd, (size_t)sb.st_size, err) < 0) {
			if (r->map)
				munmap(r->map, r->maplen);
			r->map = NULL;
			rc = slurp(r, fd, err);
			goto out;
		}
		if (r->size < HASH_THREAD_MIN || pthread_create(&r->sha_thread,
		    NULL, sha_main, r) != 0)
			sha_main(r);
		else
			r->sha_running = 1;
	} else if ((rc = slurp(r, fd, err)) < 0)
		goto out;
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

static void
sha_join(struct reader *r)
{
	if (r->sha_running)
		pthread_join(r->sha_thread, NULL);
	r->sha_running = 0;
}

static void
reader_release(struct reader *r)
{
	sha_join(r);
	if (r->sha_open)
		mlp_sha256_abort(&r->sha);
	for (size_t i = 0; i < r->nw; i++)
		data_worker_release(&r->w[i], r->ncols);
	free(r->w);
	if (r->names)
		for (size_t j = 0; j < r->ncols; j++)
			free(r->names[j]);
	free(r->names);
	free(r->ps.spec);
	if (r->map)
		munmap(r->map, r->maplen);
	free(r->heap);
}

/* Reads the header at *pp into r->names; *line is the line after it. */
static int
read_header(struct reader *r, const char **pp, uint64_t *line,
    struct mlp_err *err)
{
	const char *end = r->data + r->size;
	struct data_worker w = { 0 };
	struct data_strset set;
	uint64_t start = 0;
	const char *first;
	int rc = 0;

	data_strset_init(&set);
	for (;;) {
		start = w.lines;
		if (*pp >= end) {
			rc = mlp_err_set(err, MLP_EINVAL, "'%s' is empty",
			    r->name);
			goto out;
		}
		rc = data_parse_record(&r->ps, &w, pp, end, 1);
		if (rc == REC_ERR) {
			rc = data_rec_error(err, r->name, NULL, &w.err, 1);
			goto out;
		}
		if (rc == REC_ROW)
			break;
	}
	rc = 0;
	r->ncols = w.names.n;
	r->names = w.names.v;
	w.names.v = NULL;
	w.names.n = 0;
	first = r->ncols ? r->names[0] + strspn(r->names[0], " \t\r\n") : "";
	if (*first == '{' || *first == '[') {
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "'%s' is JSON, not CSV "
		    "(it begins with '%c')", r->name, *first);
		goto out;
	}
	for (size_t j = 0; j < r->ncols; j++) {
		char what[DATA_TEXT_MAX + 64];

		snprintf(what, sizeof(what), "'%.*s' line %" PRIu64
		    " column %zu: name", DATA_TEXT_MAX, r->name, 1 + start,
		    j + 1);
		if ((rc = mlp_check_utf8(what, r->names[j], err)) < 0)
			goto out;
		/* unnamed columns (a trailing comma, pandas' index) may repeat:
		 * no one can ask for them by name */
		if (r->names[j][0] && data_strset_find(&set, r->names[j],
		    strlen(r->names[j])) >= 0) {
			rc = mlp_err_set(err, MLP_EINVAL,
			    "'%s' line %" PRIu64 ": duplicate column '%s'",
			    r->name, 1 + start, r->names[j]);
			goto out;
		}
		data_strset_add(&set, r->names[j], strlen(r->names[j]));
	}
	*line = 1 + w.lines;
out:
	data_strset_release(&set);
	data_worker_release(&w, 0);
	return rc;
}

/* Marks the columns opts names categorical and infers the others' types
 * from the first rows at p (starting at line). */
static int
infer_types(struct reader *r, const char *p, uint64_t line,
    const struct mlp_csv_opts *opts, size_t *avg_row, struct mlp_err *err)
{
	const char *start = p, *end = r->data + r->size;
	struct data_worker w = { 0 };
	int rc = 0;

	r->ps.nfields = r->ncols;
	r->ps.spec = xcalloc(r->ncols, sizeof(*r->ps.spec));
	for (size_t j = 0; j < r->ncols; j++) {
		r->ps.spec[j].kind = KIND_INFER;
		r->ps.spec[j].out = j;
	}
	for (const char *const *c = opts ? opts->categorical : NULL; c && *c;
	    c++) {
		size_t j;

		for (j = 0; j < r->ncols; j++)
			if (strcmp(r->names[j], *c) == 0)
				break;
		if (j == r->ncols) {
			rc = mlp_err_set(err, MLP_EINVAL,
			    "'%s' has no column '%s'", r->name, *c);
			goto out;
		}
		/* left alone while sampling */
		r->ps.spec[j].kind = KIND_SKIP;
	}
	w.nonnum = xcalloc(r->ncols, 1);
	while (p < end && (w.nrows < SAMPLE_ROWS ||
	    (size_t)(p - start) < SAMPLE_BYTES)) {
		if (data_parse_record(&r->ps, &w, &p, end, 1) == REC_ERR) {
			rc = data_rec_error(err, r->name, r->names, &w.err,
			    line);
			goto out;
		}
	}
	if (w.nrows == 0) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' has no rows", r->name);
		goto out;
	}
	*avg_row = (size_t)(p - start) / w.nrows + 1;
	for (size_t j = 0; j < r->ncols; j++)
		r->ps.spec[j].kind = r->ps.spec[j].kind == KIND_SKIP ||
		    w.nonnum[j] ? KIND_CAT : KIND_NUM;
out:
	data_worker_release(&w, 0);
	return rc;
}

/* Parses the records of w that start before w->limit. */
static void
run_worker(const struct data_parser *ps, struct data_worker *w,
    const char *end)
{
	const char *p = w->start;

	while (p < w->limit)
		if (data_parse_record(ps, w, &p, end, 1) == REC_ERR)
			break;
	w->stop = p;
}

struct job {
	struct reader *r;
	struct data_worker *w;
	pthread_t th;
	int running;
	void (*fn)(struct reader *, struct data_worker *);
};

static void
parse_job(struct reader *r, struct data_worker *w)
{
	run_worker(&r->ps, w, r->data + r->size);
}

static void *
job_main(void *arg)
{
	struct job *jb = arg;

	jb->fn(jb->r, jb->w);
	return NULL;
}

/* Runs fn for every worker, workers 1.. on threads of their own. */
static void
run_all(struct reader *r, void (*fn)(struct reader *, struct data_worker *))
{
	struct job *jobs = xcalloc(r->nw, sizeof(*jobs));

	for (size_t i = 1; i < r->nw; i++) {
		jobs[i] = (struct job){ r, &r->w[i], 0, 0, fn };
		jobs[i].running = pthread_create(&jobs[i].th, NULL, job_main,
		    &jobs[i]) == 0;
	}
	fn(r, &r->w[0]);
	for (size_t i = 1; i < r->nw; i++) {
		if (jobs[i].running)
			pthread_join(jobs[i].th, NULL);
		else
			fn(r, &r->w[i]);
	}
	free(jobs);
}

/* Splits the data at p between up to nthreads workers: each starts after
 * a newline and parses the records that start before the next one's
 * start; whether that start was outside a quoted field is checked later. */
static void
plan(struct reader *r, const char *p, int nthreads, size_t avg_row)
{
	const char *end = r->data + r->size;
	size_t len = (size_t)(end - p), n, est, most;
	long ncpu;

	if (nthreads <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu > 0 ? (int)(ncpu < MAX_THREADS ? ncpu :
		    MAX_THREADS) : 1;
	}
	n = (size_t)(nthreads < MAX_THREADS ? nthreads : MAX_THREADS);
	if (len / (data_min_chunk ? data_min_chunk : 1) < n)
		n = len / (data_min_chunk ? data_min_chunk : 1);
	if (n < 1)
		n = 1;
	r->nw = n;
	r->w = xcalloc(n, sizeof(*r->w));
	for (size_t i = 0; i < n; i++) {
		struct data_worker *w = &r->w[i];
		const char *s = p;

		if (i > 0) {
			const char *nominal = p + len / n * i - 1, *nl;

			if (nominal < r->w[i - 1].start)
				nominal = r->w[i - 1].start;
			nl = memchr(nominal, '\n', (size_t)(end - nominal));
			s = nl ? nl + 1 : end;
			r->w[i - 1].limit = s;
		}
		w->start = s;
		w->limit = end;
		w->cols = xcalloc(r->ncols, sizeof(*w->cols));
		w->sets = xcalloc(r->ncols, sizeof(*w->sets));
		w->map = xcalloc(r->ncols, sizeof(*w->map));
	}
	/* room for the rows each chunk likely has, with a margin; a row has
	 * at least ncols bytes */
	for (size_t i = 0; i < n; i++) {
		struct data_worker *w = &r->w[i];
		size_t bytes = (size_t)(w->limit - w->start);

		est = bytes / avg_row + bytes / avg_row / 16 + 64;
		most = bytes / (r->ncols ? r->ncols : 1) + 2;
		data_worker_grow(w, r->ncols, est < most ? est : most);
	}
}

static void
worker_reset(struct reader *r, struct data_worker *w)
{
	w->nrows = 0;
	w->lines = 0;
	w->nmarks = 0;
	memset(&w->err, 0, sizeof(w->err));
	for (size_t j = 0; j < r->ncols; j++)
		data_strset_reset(&w->sets[j]);
}

/* Maps each worker's level ids of column j to codes in the sorted union
 * of levels, which go to col. */
static void
merge_levels(struct reader *r, size_t j, struct mlp_column *col)
{
	struct data_strset all;
	uint32_t *rank;

	data_strset_init(&all);
	for (size_t i = 0; i < r->nw; i++) {
		struct data_strset *set = &r->w[i].sets[j];

		r->w[i].map[j] = xmalloc((set->n + 1) * sizeof(uint32_t));
		for (size_t k = 0; k < set->n; k++) {
			size_t len;
			const char *s = data_strset_get(set, k, &len);

			/* cannot be full: a worker's set was not */
			r->w[i].map[j][k] = (uint32_t)data_strset_add(&all, s,
			    len);
		}
	}
	rank = xmalloc((all.n + 1) * sizeof(*rank));
	data_strset_rank(&all, rank);
	for (size_t i = 0; i < r->nw; i++)
		for (size_t k = 0; k < r->w[i].sets[j].n; k++)
			r->w[i].map[j][k] = rank[r->w[i].map[j][k]];
	col->nlevels = all.n;
	col->levels = xcalloc(all.n + 1, sizeof(*col->levels));
	for (size_t k = 0; k < all.n; k++) {
		size_t len;
		const char *s = data_strset_get(&all, k, &len);

		col->levels[rank[k]] = xstrndup(s, len);
	}
	free(rank);
	data_strset_release(&all);
}

static void
copy_job(struct reader *r, struct data_worker *w)
{
	struct mlp_frame *f = r->frame;

	for (size_t j = 0; j < r->ncols; j++) {
		float *dst = f->cols[j] + w->off;
		const float *src = w->cols[j] ? w->cols[j] : dst;

		if (r->ps.spec[j].kind == KIND_NUM) {
			if (src != dst)
				memcpy(dst, src, w->nrows * sizeof(float));
			continue;
		}
		for (size_t i = 0; i < w->nrows; i++) {
			uint32_t u;

			memcpy(&u, &src[i], sizeof(u));
			dst[i] = u == UINT32_MAX ? NAN : (float)w->map[j][u];
		}
	}
}

/* Levels go into models and JSON output: each must be valid UTF-8. The
 * message names the first line holding a bad one. */
static int
check_levels(const struct reader *r, const struct mlp_frame *f,
    struct mlp_err *err)
{
	for (size_t j = 0; j < f->ncols; j++) {
		const struct mlp_column *c = &f->col[j];

		for (size_t k = 0; k < c->nlevels; k++) {
			char what[2 * DATA_TEXT_MAX + 96], name[DATA_TEXT_MAX + 4];
			size_t i = 0;

			if (mlp_utf8_invalid(c->levels[k],
			    strlen(c->levels[k])) < 0)
				continue;
			while (i < f->nrows && f->cols[j][i] != (float)k)
				i++;
			snprintf(name, sizeof(name), "%.*s", DATA_TEXT_MAX,
			    c->name);
			snprintf(what, sizeof(what), "'%.*s' line %" PRIu64
			    " column %zu ('%s'): value", DATA_TEXT_MAX, r->name,
			    mlp_frame_line(f, i), j + 1, name);
			return mlp_check_utf8(what, c->levels[k], err);
		}
	}
	return 0;
}

int
mlp_csv_read(const char *path, const struct mlp_csv_opts *opts,
    struct mlp_frame **out, struct mlp_err *err)
{
	struct reader r = { 0 };
	struct mlp_frame *f = NULL;
	const char *p, *expect;
	size_t avg_row = 1, total = 0, amarks = 0;
	uint64_t line = 1;
	struct mlp_oid oid;
	int rc;

	*out = NULL;
	r.path = path;
	r.name = data_source_name(path);
	if (data_parser_init(&r.ps, opts ? opts->sep : 0) < 0)
		return mlp_err_set(err, MLP_EINVAL,
		    "cannot use byte %d as a CSV separator", opts->sep);
	if ((rc = load(&r, err)) < 0)
		goto out;
	p = r.data;
	if (r.size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if ((rc = read_header(&r, &p, &line, err)) < 0)
		goto out;
	if ((rc = infer_types(&r, p, line, opts, &avg_row, err)) < 0)
		goto out;
	r.ps.nout = r.ncols;
	plan(&r, p, opts ? opts->nthreads : 0, avg_row);
	run_all(&r, parse_job);

	/* a worker whose start was inside a record (in a quoted field) is
	 * parsed again from where the one before it stopped */
	expect = p;
	f = xcalloc(1, sizeof(*f));
	for (size_t i = 0; i < r.nw; i++) {
		struct data_worker *w = &r.w[i];

		if (w->start != expect) {
			worker_reset(&r, w);
			w->start = expect;
			run_worker(&r.ps, w, r.data + r.size);
		}
		if (w->err.kind) {
			rc = data_rec_error(err, r.name, r.names, &w->err,
			    line);
			goto out;
		}
		w->off = total;
		mlp_grow(&f->marks, &amarks, f->nmarks + w->nmarks + 1,
		    sizeof(*f->marks));
		for (size_t k = 0; k < w->nmarks; k++)
			f->marks[f->nmarks++] = (struct mlp_line_mark){
				total + w->marks[k].row, line + w->marks[k].line
			};
		total += w->nrows;
		line += w->lines;
		expect = w->stop;
	}
	if (total == 0) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' has no rows", r.name);
		goto out;
	}

	f->nrows = total;
	f->ncols = r.ncols;
	f->col = xcalloc(r.ncols, sizeof(*f->col));
	f->cols = xcalloc(r.ncols, sizeof(*f->cols));
	f->source = xstrdup(path);
	for (size_t j = 0; j < r.ncols; j++) {
		f->col[j].name = r.names[j];
		r.names[j] = NULL;
		if (r.ps.spec[j].kind == KIND_CAT) {
			f->col[j].type = MLP_COL_CAT;
			merge_levels(&r, j, &f->col[j]);
		}
		/* worker 0's rows are first: its array grows to hold all */
		f->cols[j] = xrealloc(r.w[0].cols[j], total * sizeof(float));
		r.w[0].cols[j] = NULL;
	}
	r.frame = f;
	run_all(&r, copy_job);
	if ((rc = check_levels(&r, f, err)) < 0)
		goto out;

	sha_join(&r);
	mlp_sha256_end(&r.sha, &oid);
	r.sha_open = 0;
	mlp_oid_fmt(&oid, f->digest);
	*out = f;
	f = NULL;
out:
	mlp_frame_free(f);
	reader_release(&r);
	return rc;
}
