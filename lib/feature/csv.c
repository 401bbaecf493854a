/* CSV records as bytes for the feature store (sources and spines): read in
 * chunks from a file or standard input, or from text in memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* the first buffer; tests lower it to cross chunk boundaries */
size_t fcsv_chunk = (size_t)4 << 20;

enum { REC_ROW, REC_BLANK, REC_MORE, REC_ERR };

int
fcsv_open(struct fcsv *c, const char *path, const char *name,
    struct mlp_err *err)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->line = 1;
	if (strcmp(path, "-") == 0) {
		c->fd = 0;
	} else {
		if ((c->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
			    MLP_EFAIL, "cannot open '%s': %s", path,
			    strerror(errno));
		c->own_fd = 1;
	}
	c->alloc = fcsv_chunk;
	c->buf = xmalloc(c->alloc + 1);
	return 0;
}

void
fcsv_open_range(struct fcsv *c, int fd, uint64_t start, uint64_t end,
    uint64_t line, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->line = line;
	c->fd = fd;
	c->range = 1;
	c->off = start;
	c->end = end;
	c->started = 1;
	c->alloc = fcsv_chunk;
	c->buf = xmalloc(c->alloc + 1);
}

uint64_t
fcsv_offset(const struct fcsv *c)
{
	return c->off - (c->len - c->pos);
}

void
fcsv_open_mem(struct fcsv *c, const char *text, size_t n, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->line = 1;
	c->fd = -1;
	c->buf = (char *)text;
	c->len = n;
	c->eof = 1;
	if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		c->pos = 3;
}

void
fcsv_close(struct fcsv *c)
{
	if (c->own_fd && !c->range)
		close(c->fd);
	if (c->fd >= 0)
		free(c->buf);
	free(c->f);
	free(c->qoff);
	mlp_buf_release(&c->scratch);
	memset(c, 0, sizeof(*c));
}

static void
add_field(struct fcsv *c, const char *p, size_t n, size_t qoff)
{
	if (c->nf == c->af) {
		mlp_grow(&c->f, &c->af, c->nf + 1, sizeof(*c->f));
		c->aq = c->af;
		c->qoff = xrealloc(c->qoff, c->aq * sizeof(*c->qoff));
	}
	c->f[c->nf].p = p;
	c->f[c->nf].n = n;
	c->qoff[c->nf++] = qoff;
}

/* A record with quotes or carriage returns, byte by byte. */
static int
scan_slow(struct fcsv *c, const char *p, const char *end, const char **next,
    uint64_t *lines, struct mlp_err *err)
{
	const char *q = p;

	*lines = 0;
	for (;;) {
		if (q < end && *q == '"') {
			size_t start = c->scratch.len;

			for (q++;;) {
				const char *e = memchr(q, '"', (size_t)(end - q));

				if (!e)
					return c->eof ? mlp_err_set(err,
					    MLP_EINVAL, "'%s' line %llu: "
					    "unterminated quoted field", c->name,
					    (unsigned long long)c->line) :
					    REC_MORE;
				for (const char *t = q; t < e; t++)
					if (*t == '\n' || (*t == '\r' &&
					    (t + 1 == e || t[1] != '\n')))
						(*lines)++;
				mlp_buf_add(&c->scratch, q, (size_t)(e - q));
				q = e + 1;
				if (q < end && *q == '"') {
					mlp_buf_addc(&c->scratch, '"');
					q++;
					continue;
				}
				if (q == end && !c->eof)
					return REC_MORE;
				break;
			}
			add_field(c, NULL, c->scratch.len - start, start + 1);
			if (q < end && *q != ',' && *q != '\n' && *q != '\r')
				return mlp_err_set(err, MLP_EINVAL, "'%s' line "
				    "%llu: text after a closing quote", c->name,
				    (unsigned long long)(c->line + *lines));
		} else {
			const char *s = q;

			while (q < end && *q != ',' && *q != '\n' && *q != '\r')
				q++;
			if (q == end && !c->eof)
				return REC_MORE;
			add_field(c, s, (size_t)(q - s), 0);
		}
		if (q < end && *q == ',') {
			q++;
			continue;
		}
		c->rec_len = (size_t)(q - p);
		if (q < end && *q == '\r') {
			q++;
			if (q == end && !c->eof)
				return REC_MORE;
			if (q < end && *q == '\n')
				q++;
			(*lines)++;
		} else if (q < end) {
			q++;
			(*lines)++;
		}
		*next = q;
		return REC_ROW;
	}
}

/* One record at p (before end): REC_ROW, REC_BLANK, REC_MORE or REC_ERR
 * (err set); *next is past its line end. */
static int
scan(struct fcsv *c, const char *p, const char *end, const char **next,
    uint64_t *lines, struct mlp_err *err)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *le = nl ? nl : end, *q = p;

	c->nf = 0;
	mlp_buf_reset(&c->scratch);
	c->rec = p;
	if (!nl && !c->eof)
		return REC_MORE;
	if (le == p) {		/* an empty line */
		*next = nl ? nl + 1 : end;
		*lines = nl ? 1 : 0;
		return REC_BLANK;
	}
	if (memchr(p, '"', (size_t)(le - p)) || memchr(p, '\r',
	    (size_t)(le - p))) {
		int rc;

		if (memchr(p, '"', (size_t)(le - p)))
			c->saw_quote = 1;
		if (*p == '\r') {	/* "\r\n" or a lone "\r": empty */
			*next = p + 1 + (p + 1 < end && p[1] == '\n');
			if (p + 1 == end && !c->eof)
				return REC_MORE;
			*lines = 1;
			return REC_BLANK;
		}
		if ((rc = scan_slow(c, p, end, next, lines, err)) != REC_ROW)
			return rc < 0 ? REC_ERR : rc;
		for (size_t j = 0; j < c->nf; j++)
			if (c->qoff[j])
				c->f[j].p = c->scratch.s + c->qoff[j] - 1;
		return REC_ROW;
	}
	for (;;) {
		const char *e = memchr(q, ',', (size_t)(le - q));

		if (!e) {
			add_field(c, q, (size_t)(le - q), 0);
			break;
		}
		add_field(c, q, (size_t)(e - q), 0);
		q = e + 1;
	}
	c->rec_len = (size_t)(le - p);
	*next = nl ? nl + 1 : end;
	*lines = nl ? 1 : 0;
	return REC_ROW;
}

/* Reads more of the file after what is left from pos. */
static int
refill(struct fcsv *c, struct mlp_err *err)
{
	size_t left = c->len - c->pos;

	if (c->pos > 0) {
		memmove(c->buf, c->buf + c->pos, left);
		c->len = left;
		c->pos = 0;
	}
	if (c->len == c->alloc) {
		c->alloc *= 2;
		c->buf = xrealloc(c->buf, c->alloc + 1);
	}
	while (c->len < c->alloc) {
		size_t want = c->alloc - c->len;
		ssize_t r;

		if (c->range && want > c->end - c->off)
			want = (size_t)(c->end - c->off);
		r = want == 0 ? 0 : c->range ? pread(c->fd, c->buf + c->len,
		    want, (off_t)c->off) : read(c->fd, c->buf + c->len, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    c->name, strerror(errno));
		if (r == 0) {
			c->eof = 1;
			break;
		}
		c->len += (size_t)r;
		c->off += (uint64_t)r;
	}
	c->buf[c->len] = '\0';
	return 0;
}

/* Past a UTF-8 BOM at the start of the data, once. */
static int
skip_bom(struct fcsv *c, struct mlp_err *err)
{
	int rc;

	if (c->started)
		return 0;
	while (c->len < 3 && !c->eof)
		if ((rc = refill(c, err)) < 0)
			return rc;
	if (c->len >= 3 && memcmp(c->buf, "\xef\xbb\xbf", 3) == 0)
		c->pos = 3;
	c->started = 1;
	return 0;
}

int
fcsv_next(struct fcsv *c, struct mlp_err *err)
{
	int rc;

	for (;;) {
		const char *next = NULL;
		uint64_t lines;

		if (c->pos == c->len) {
			if (c->eof)
				return 0;
			if ((rc = refill(c, err)) < 0 ||
			    (rc = skip_bom(c, err)) < 0)
				return rc;
			continue;
		}
		rc = scan(c, c->buf + c->pos, c->buf + c->len, &next, &lines,
		    err);
		if (rc == REC_ERR)
			return err->code;
		if (rc == REC_MORE) {
			if (c->fd < 0)
				return mlp_err_set(err, MLP_EFAIL, "'%s': "
				    "internal error: short record", c->name);
			if ((rc = refill(c, err)) < 0)
				return rc;
			continue;
		}
		c->rec_line = c->line;
		c->line += lines;
		c->pos = (size_t)(next - c->buf);
		if (rc == REC_ROW)
			return 1;
	}
}

int
fcsv_next_line(struct fcsv *c, struct mlp_err *err)
{
	int rc;

	for (;;) {
		const char *s = c->buf + c->pos, *nl;
		size_t n;

		if (c->pos == c->len) {
			if (c->eof || c->fd < 0)
				return 0;
			if ((rc = refill(c, err)) < 0 ||
			    (rc = skip_bom(c, err)) < 0)
				return rc;
			continue;
		}
		nl = memchr(s, '\n', c->len - c->pos);
		if (!nl && !c->eof && c->fd >= 0) {
			if ((rc = refill(c, err)) < 0)
				return rc;
			continue;
		}
		n = nl ? (size_t)(nl - s) : c->len - c->pos;
		c->rec = s;
		c->rec_len = n && s[n - 1] == '\r' ? n - 1 : n;
		c->rec_line = c->line++;
		c->pos += nl ? n + 1 : n;
		return 1;
	}
}

int
fcsv_peek(struct fcsv *c, struct mlp_err *err)
{
	int rc;

	for (;;) {
		for (size_t i = c->pos; i < c->len; i++) {
			char ch = c->buf[i];

			if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n')
				return (unsigned char)ch;
		}
		if (c->eof)
			return 0;
		if ((rc = refill(c, err)) < 0 || (rc = skip_bom(c, err)) < 0)
			return rc;
	}
}

void
fcsv_add_field(struct mlp_buf *b, const char *s, size_t n)
{
	int quote = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') {
			quote = 1;
			break;
		}
	if (n == 0)
		return;
	if (!quote) {
		mlp_buf_add(b, s, n);
		return;
	}
	mlp_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			mlp_buf_addc(b, '"');
		mlp_buf_addc(b, s[i]);
	}
	mlp_buf_addc(b, '"');
}
