/* Streaming a CSV file through a known schema (prediction): read() in
 * blocks into a buffer that holds a few records, frames of a chunk of rows
 * at a time. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* The buffer's first size; it grows only for a record longer than it. */
#define STREAM_BUF (256u << 10)

struct mlp_csv_stream {
	int fd;
	char *path;
	const char *name;
	struct data_parser ps;
	struct data_worker w;
	struct mlp_strv header;		/* the file's column names */
	struct mlp_column *schema;	/* a copy */
	size_t **levlen;		/* the lengths of its levels */
	size_t ncols;
	char *buf;			/* cap bytes and DATA_PAD */
	size_t cap, off, len;
	int eof;
	uint64_t chunk_line;
	struct mlp_frame *frame;	/* the last one filled */
	size_t frame_cap;
	struct mlp_err failed;		/* once failed, always */
};

/* Moves what is left to the front, growing the buffer when a record fills
 * it, and reads more: until what is left has doubled at least, so that a
 * long record coming in small reads is parsed again only a few times. */
static int
fill(struct mlp_csv_stream *s, struct mlp_err *err)
{
	size_t want;
	ssize_t n;

	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len == s->cap) {
		if (s->cap > SIZE_MAX / 4)
			return mlp_err_set(err, MLP_EINVAL,
			    "'%s': a record is too long", s->name);
		s->cap *= 2;
		s->buf = xrealloc(s->buf, s->cap + DATA_PAD);
	}
	want = s->len < s->cap / 2 ? 2 * s->len : s->cap;
	do {
		n = read(s->fd, s->buf + s->len, s->cap - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mlp_err_set(err, MLP_EFAIL,
			    "cannot read '%s': %s", s->name, strerror(errno));
		if (n == 0)
			s->eof = 1;
		s->len += (size_t)n;
	} while (!s->eof && s->len < want);
	memset(s->buf + s->len, 0, DATA_PAD);
	return 0;
}

/* Parses the next record into s->w: REC_ROW, REC_BLANK, REC_ERR (err set)
 * or -1 at the end of the data. */
static int
next_record(struct mlp_csv_stream *s, struct mlp_err *err)
{
	for (;;) {
		const char *p = s->buf + s->off;
		int rc;

		if (s->off == s->len) {
			if (s->eof)
				return -1;
			if (fill(s, err) < 0)
				return REC_ERR;
			continue;
		}
		rc = data_parse_record(&s->ps, &s->w, &p, s->buf + s->len,
		    s->eof);
		if (rc == REC_MORE) {
			if (fill(s, err) < 0)
				return REC_ERR;
			continue;
		}
		if (rc == REC_ERR) {
			data_rec_error(err, s->name, s->header.v, &s->w.err, 1);
			return rc;
		}
		s->off = (size_t)(p - s->buf);
		return rc;
	}
}

/* Reads the header and matches the schema's columns to its fields. */
static int
read_header(struct mlp_csv_stream *s, struct mlp_err *err)
{
	struct data_strset set;
	uint64_t start = 0;
	const char *first;
	size_t nf;
	int rc;

	data_strset_init(&set);
	while (s->len < 3 && !s->eof)
		if ((rc = fill(s, err)) < 0)
			goto out;
	if (s->len >= 3 && memcmp(s->buf, "\xef\xbb\xbf", 3) == 0)
		s->off = 3;
	do {
		mlp_strv_release(&s->w.names);
		start = s->w.lines;
		rc = next_record(s, err);
	} while (rc == REC_BLANK);
	if (rc == -1) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is empty", s->name);
		goto out;
	}
	if (rc == REC_ERR) {
		rc = err ? err->code : MLP_EINVAL;
		goto out;
	}
	s->header = s->w.names;
	memset(&s->w.names, 0, sizeof(s->w.names));
	nf = s->header.n;
	first = nf ? s->header.v[0] + strspn(s->header.v[0], " \t\r\n") : "";
	if (*first == '{' || *first == '[') {
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "'%s' is JSON, not "
		    "CSV (it begins with '%c')", s->name, *first);
		goto out;
	}
	for (size_t j = 0; j < nf; j++)
		data_strset_add(&set, s->header.v[j], strlen(s->header.v[j]));
	s->ps.nfields = nf;
	s->ps.nout = s->ncols;
	s->ps.spec = xcalloc(nf, sizeof(*s->ps.spec));
	for (size_t k = 0; k < s->ncols; k++) {
		const struct mlp_column *c = &s->schema[k];
		int64_t j = data_strset_find(&set, c->name, strlen(c->name));
		struct data_spec *sp;

		if (j < 0) {
			rc = mlp_err_set(err, MLP_EINVAL,
			    "'%s' has no column '%s'", s->name, c->name);
			goto out;
		}
		sp = &s->ps.spec[j];
		/* a second field of that name, or a name twice in the schema */
		for (size_t i = (size_t)j + 1; i < nf; i++)
			if (strcmp(s->header.v[i], c->name) == 0)
				sp = NULL;
		if (!sp || sp->kind != KIND_SKIP) {
			rc = mlp_err_set(err, MLP_EINVAL,
			    "'%s' line %" PRIu64 ": duplicate column '%s'",
			    s->name, 1 + start, c->name);
			goto out;
		}
		sp->out = k;
		if (c->type == MLP_COL_CAT) {
			sp->kind = KIND_MAP;
			sp->levels = c->levels;
			sp->levlen = s->levlen[k];
			sp->nlevels = c->nlevels;
		} else
			sp->kind = KIND_NUM;
	}
	rc = 0;
out:
	mlp_strv_release(&s->w.names);
	data_strset_release(&set);
	return rc;
}

/* A stream of path for schema with nothing read and no file open yet
 * (fd -1); the caller closes *out whatever this returns. */
static int
stream_new(struct mlp_csv_stream **out, const char *path,
    const struct mlp_column *schema, size_t ncols,
    const struct mlp_csv_opts *opts, struct mlp_err *err)
{
	struct mlp_csv_stream *s = xcalloc(1, sizeof(*s));

	*out = s;
	s->fd = -1;
	s->path = xstrdup(path);
	s->name = data_source_name(s->path);
	s->ncols = ncols;
	s->schema = xcalloc(ncols + 1, sizeof(*s->schema));
	data_copy_columns(s->schema, schema, ncols);
	s->levlen = xcalloc(ncols + 1, sizeof(*s->levlen));
	for (size_t k = 0; k < ncols; k++) {
		s->levlen[k] = xcalloc(s->schema[k].nlevels + 1,
		    sizeof(size_t));
		for (size_t i = 0; i < s->schema[k].nlevels; i++)
			s->levlen[k][i] = strlen(s->schema[k].levels[i]);
	}
	if (data_parser_init(&s->ps, opts ? opts->sep : 0) < 0)
		return mlp_err_set(err, MLP_EINVAL,
		    "cannot use byte %d as a CSV separator", opts->sep);
	return 0;
}

int
mlp_csv_stream_open(struct mlp_csv_stream **out, const char *path,
    const struct mlp_column *schema, size_t ncols,
    const struct mlp_csv_opts *opts, struct mlp_err *err)
{
	struct mlp_csv_stream *s;
	int rc;

	*out = NULL;
	if ((rc = stream_new(&s, path, schema, ncols, opts, err)) < 0)
		goto out;
	if (strcmp(path, "-") == 0)
		s->fd = STDIN_FILENO;
	else if ((s->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	s->cap = STREAM_BUF;
	s->buf = xcalloc(1, s->cap + DATA_PAD);
	if ((rc = read_header(s, err)) < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	mlp_csv_stream_close(s);
	return rc;
}

/* Makes *frame a frame of the schema's columns with room for rows rows. */
static int
setup_frame(struct mlp_csv_stream *s, struct mlp_frame **frame, size_t rows,
    struct mlp_err *err)
{
	struct mlp_frame *f = *frame;

	if (rows > SIZE_MAX / sizeof(float))
		return mlp_err_set(err, MLP_EINVAL, "too many rows asked for");
	if (!f) {
		f = xcalloc(1, sizeof(*f));
		f->ncols = s->ncols;
		f->col = xcalloc(s->ncols + 1, sizeof(*f->col));
		f->cols = xcalloc(s->ncols + 1, sizeof(*f->cols));
		data_copy_columns(f->col, s->schema, s->ncols);
		f->source = xstrdup(s->path);
		*frame = f;
		s->frame = NULL;
	} else if (f->ncols != s->ncols)
		return mlp_err_set(err, MLP_EINVAL,
		    "a frame of %zu columns for a schema of %zu", f->ncols,
		    s->ncols);
	if (f != s->frame || s->frame_cap < rows) {
		for (size_t k = 0; k < s->ncols; k++)
			f->cols[k] = xrealloc(f->cols[k], rows * sizeof(float));
		s->frame = f;
		s->frame_cap = rows;
	}
	f->digest[0] = '\0';
	return 0;
}

int
mlp_csv_stream_next(struct mlp_csv_stream *s, size_t max_rows,
    struct mlp_frame **frame, size_t *nrows, struct mlp_err *err)
{
	uint64_t before;
	int rc;

	*nrows = 0;
	if (s->failed.code) {
		if (err)
			*err = s->failed;
		return s->failed.code;
	}
	if (max_rows == 0)
		return mlp_err_set(err, MLP_EINVAL, "no rows asked for");
	if ((rc = setup_frame(s, frame, max_rows, err)) < 0)
		return rc;
	s->w.cols = (*frame)->cols;
	s->w.cap = s->frame_cap;
	s->w.nrows = 0;
	s->w.nmarks = 0;
	while (s->w.nrows < max_rows) {
		before = s->w.lines;
		rc = next_record(s, err);
		if (rc == -1)
			break;
		if (rc == REC_ERR) {
			rc = err ? err->code : MLP_EINVAL;
			if (err)
				s->failed = *err;
			else
				s->failed.code = rc;
			(*frame)->nrows = 0;
			s->w.cols = NULL;
			return rc;
		}
		if (rc == REC_ROW && s->w.nrows == 1)
			s->chunk_line = 1 + before;
	}
	(*frame)->nrows = *nrows = s->w.nrows;
	(*frame)->marks = xrealloc((*frame)->marks, (s->w.nmarks + 1) *
	    sizeof(*(*frame)->marks));
	(*frame)->nmarks = s->w.nmarks;
	for (size_t k = 0; k < s->w.nmarks; k++)
		(*frame)->marks[k] = (struct mlp_line_mark){
			s->w.marks[k].row, 1 + s->w.marks[k].line
		};
	s->w.cols = NULL;
	return 0;
}

int
mlp_csv_read_mem(const char *text, size_t n, const char *name,
    const struct mlp_column *schema, size_t ncols,
    const struct mlp_csv_opts *opts, struct mlp_frame **out,
    struct mlp_err *err)
{
	struct mlp_csv_stream *s;
	struct mlp_frame *f = NULL;
	int rc;

	*out = NULL;
	if ((rc = stream_new(&s, name, schema, ncols, opts, err)) < 0)
		goto out;
	/* all of it read already: the buffer is the text and its pad */
	s->cap = n ? n : 1;
	s->buf = xmalloc(s->cap + DATA_PAD);
	memcpy(s->buf, text, n);
	memset(s->buf + n, 0, DATA_PAD);
	s->len = n;
	s->eof = 1;
	if ((rc = read_header(s, err)) < 0)
		goto out;
	f = xcalloc(1, sizeof(*f));
	f->ncols = ncols;
	f->col = xcalloc(ncols + 1, sizeof(*f->col));
	f->cols = xcalloc(ncols + 1, sizeof(*f->cols));
	data_copy_columns(f->col, s->schema, ncols);
	f->source = xstrdup(name);
	/* the worker grows the columns as rows come */
	s->w.cols = f->cols;
	s->w.cap = 0;
	s->w.nrows = 0;
	s->w.nmarks = 0;
	while ((rc = next_record(s, err)) != -1)
		if (rc == REC_ERR) {
			rc = err ? err->code : MLP_EINVAL;
			goto out;
		}
	if (s->w.cap == 0)
		data_worker_grow(&s->w, ncols, 1);
	f->nrows = s->w.nrows;
	f->marks = xcalloc(s->w.nmarks + 1, sizeof(*f->marks));
	f->nmarks = s->w.nmarks;
	for (size_t k = 0; k < s->w.nmarks; k++)
		f->marks[k] = (struct mlp_line_mark){
			s->w.marks[k].row, 1 + s->w.marks[k].line
		};
	*out = f;
	f = NULL;
	rc = 0;
out:
	if (s)
		s->w.cols = NULL;	/* the frame's */
	mlp_frame_free(f);
	mlp_csv_stream_close(s);
	return rc;
}

int
mlp_csv_header(const char *path, const struct mlp_csv_opts *opts,
    struct mlp_strv *names, struct mlp_err *err)
{
	struct mlp_csv_stream *s;
	int rc;

	if ((rc = mlp_csv_stream_open(&s, path, NULL, 0, opts, err)) < 0)
		return rc;
	for (size_t j = 0; j < s->header.n; j++)
		mlp_strv_push(names, s->header.v[j]);
	mlp_csv_stream_close(s);
	return 0;
}

uint64_t
mlp_csv_stream_line(const struct mlp_csv_stream *s)
{
	return s->chunk_line;
}

void
mlp_csv_stream_close(struct mlp_csv_stream *s)
{
	if (!s)
		return;
	if (s->fd >= 0 && s->fd != STDIN_FILENO)
		close(s->fd);
	for (size_t k = 0; k < s->ncols; k++) {
		free(s->schema[k].name);
		for (size_t i = 0; i < s->schema[k].nlevels; i++)
			free(s->schema[k].levels[i]);
		free(s->schema[k].levels);
		free(s->levlen[k]);
	}
	free(s->schema);
	free(s->levlen);
	free(s->ps.spec);
	data_worker_release(&s->w, 0);
	mlp_strv_release(&s->header);
	free(s->buf);
	free(s->path);
	free(s);
}
