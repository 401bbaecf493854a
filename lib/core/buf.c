/* Errors, allocation wrappers, growable buffers and string lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int
mlp_err_set(struct mlp_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->pos = -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
mlp_err_prefix(struct mlp_err *err, const char *fmt, ...)
{
	struct mlp_buf b = MLP_BUF_INIT;
	va_list ap;
	size_t n;

	if (!err)
		return MLP_EFAIL;
	va_start(ap, fmt);
	mlp_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	mlp_buf_adds(&b, ": ");
	mlp_buf_adds(&b, err->msg);
	n = b.len < sizeof(err->msg) - 1 ? b.len : sizeof(err->msg) - 1;
	memcpy(err->msg, b.s, n);
	err->msg[n] = '\0';
	mlp_buf_release(&b);
	return err->code;
}

void
mlp_err_clear(struct mlp_err *err)
{
	err->code = 0;
	err->pos = -1;
	err->msg[0] = '\0';
}

static void
oom(size_t n)
{
	fprintf(stderr, "mlp: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct mlp_buf b = MLP_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	mlp_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return mlp_buf_detach(&b);
}

void
mlp_grow(void *pp, size_t *alloc, size_t need, size_t sz)
{
	void **p = pp;
	size_t n = *alloc;

	if (need <= n)
		return;
	n = n ? n : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2 / sz)
			oom(SIZE_MAX);
		n *= 2;
	}
	*p = xrealloc(*p, n * sz);
	*alloc = n;
}

void
mlp_buf_init(struct mlp_buf *b)
{
	b->s = NULL;
	b->len = b->alloc = 0;
}

void
mlp_buf_release(struct mlp_buf *b)
{
	free(b->s);
	mlp_buf_init(b);
}

void
mlp_buf_reset(struct mlp_buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void
mlp_buf_grow(struct mlp_buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->alloc)
		mlp_grow(&b->s, &b->alloc, b->len + extra + 1, 1);
}

void
mlp_buf_add(struct mlp_buf *b, const void *data, size_t n)
{
	mlp_buf_grow(b, n);
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
mlp_buf_adds(struct mlp_buf *b, const char *s)
{
	mlp_buf_add(b, s, strlen(s));
}

void
mlp_buf_addc(struct mlp_buf *b, char c)
{
	mlp_buf_add(b, &c, 1);
}

void
mlp_buf_vaddf(struct mlp_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	mlp_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->s + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->alloc - b->len) {
		mlp_buf_grow(b, (size_t)n);
		vsnprintf(b->s + b->len, b->alloc - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
mlp_buf_addf(struct mlp_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mlp_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *
mlp_buf_detach(struct mlp_buf *b)
{
	char *s = b->s ? b->s : xstrdup("");

	mlp_buf_init(b);
	return s;
}

const char *
mlp_buf_str(const struct mlp_buf *b)
{
	return b->s ? b->s : "";
}

void
mlp_strv_push(struct mlp_strv *sv, const char *s)
{
	mlp_strv_push_owned(sv, xstrdup(s));
}

void
mlp_strv_push_owned(struct mlp_strv *sv, char *s)
{
	mlp_grow(&sv->v, &sv->alloc, sv->n + 2, sizeof(*sv->v));
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
mlp_strv_release(struct mlp_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

void
mlp_buf_json_str(struct mlp_buf *out, const char *s)
{
	mlp_buf_json_strn(out, s, strlen(s));
}

void
mlp_buf_json_strn(struct mlp_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	mlp_buf_addc(out, '"');
	while (i < n) {
		unsigned c = p[i];
		char esc[8];
		size_t k = 0;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			run++, i++;
			continue;
		}
		if (c >= 0x80) {
			/* a valid sequence as it is, a bad byte as U+FFFD */
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			if (n - i >= need &&
			    mlp_utf8_invalid((const char *)p + i, need) < 0) {
				run += need, i += need;
				continue;
			}
			memcpy(esc, "\\ufffd", 6), k = 6;
		} else if (c == '"' || c == '\\') {
			esc[k++] = '\\';
			esc[k++] = (char)c;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 2), k = 2;
		} else if (c == '\t') {
			memcpy(esc, "\\t", 2), k = 2;
		} else if (c == '\r') {
			memcpy(esc, "\\r", 2), k = 2;
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		mlp_buf_add(out, p + i - run, run);
		mlp_buf_add(out, esc, k);
		run = 0;
		i++;
	}
	mlp_buf_add(out, p + i - run, run);
	mlp_buf_addc(out, '"');
}
