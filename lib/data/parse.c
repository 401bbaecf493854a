/* The CSV record parser both readers share, number parsing as
 * (float)strtod gives it, pandas' missing markers, and sets of levels. */
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Powers of ten a double holds exactly (Clinger's fast path). */
static const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void
make_c_locale(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod on s[0..n), which the caller has checked is a decimal number, in
 * the C locale whatever the program's is. */
static __attribute__((noinline)) double
slow_strtod(const unsigned char *s, size_t n)
{
	char stack[128], *b = n < sizeof(stack) ? stack : xmalloc(n + 1);
	double d;

	memcpy(b, s, n);
	b[n] = '\0';
	pthread_once(&c_locale_once, make_c_locale);
	d = c_locale ? strtod_l(b, NULL, c_locale) : strtod(b, NULL);
	if (b != stack)
		free(b);
	return d;
}

static inline int
is_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

double
mlp_decimal_value(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	const unsigned char *p = s, *e = s + n;
	uint64_t m = 0;
	long e10 = 0;
	int neg = 0, nd = 0;
	double v;

	if (*p == '-')
		neg = 1, p++;
	for (; p < e && is_digit(*p); p++, nd++)
		m = m * 10 + (uint64_t)(*p - '0');
	if (p < e && *p == '.')
		for (p++; p < e && is_digit(*p); p++, nd++, e10--)
			m = m * 10 + (uint64_t)(*p - '0');
	if (p < e) {		/* the exponent */
		int eneg = 0;
		long x = 0;

		p++;
		if (*p == '-' || *p == '+')
			eneg = *p == '-', p++;
		for (; p < e; p++)
			if (x < 100000)
				x = x * 10 + (*p - '0');
		e10 += eneg ? -x : x;
	}
	if (nd > 19 || m > (1ull << 53) || e10 < -22 || e10 > 22) {
		if (nd <= 19 && m == 0)
			return neg ? -0.0 : 0.0;
		return slow_strtod(s, n);
	}
	v = (double)m;
	v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
	return neg ? -v : v;
}

static const uint64_t pow10_u64[9] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

/* The number of decimal digits (up to 8) that start at p, and their value
 * in *val. Reads 8 bytes at p, which must be readable (DATA_PAD). */
static inline unsigned
digits8(const unsigned char *p, uint64_t *val)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x, stop;
	unsigned n;

	memcpy(&x, p, 8);
	x ^= 0x3030303030303030ull;	/* digits now 0..9, others not */
	stop = (((x & 0x7f7f7f7f7f7f7f7full) + 0x7676767676767676ull) | x) &
	    0x8080808080808080ull;
	n = stop ? (unsigned)__builtin_ctzll(stop) >> 3 : 8;
	if (n == 0) {
		*val = 0;
		return 0;
	}
	/* the digits to the top bytes, zeros before them; then the 8-digit
	 * conversion of simdjson's parse_eight_digits_unrolled */
	x <<= 8 * (8 - n);
	x = x * 10 + (x >> 8);
	x = ((x & 0x000000ff000000ffull) * (100 + (1000000ull << 32)) +
	    ((x >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32))) >> 32;
	*val = x;
	return n;
#else
	uint64_t v = 0;
	unsigned n = 0;

	while (n < 8 && is_digit(p[n]))
		v = v * 10 + (p[n++] - '0');
	*val = v;
	return n;
#endif
}

/* Reads a run of digits at *pp into *m (m * 10^n + digits, wrapping past
 * 19 digits) and returns its length. */
static inline size_t
digit_run(const unsigned char **pp, uint64_t *m)
{
	const unsigned char *p = *pp, *s = p;
	uint64_t v;
	unsigned n;

	do {
		n = digits8(p, &v);
		*m = *m * pow10_u64[n] + v;
		p += n;
	} while (n == 8);
	*pp = p;
	return (size_t)(p - s);
}

/* Parses [+-]digits[.digits][(e|E)[+-]digits], with a digit before the
 * exponent, at p into *out as (float)strtod would. Returns the end, or
 * NULL when p does not start such a number. DATA_PAD bytes must be
 * readable after the first byte that cannot continue the number. With at
 * most 19 digits, a mantissa up to 2^53 and a power of ten up to 22, both
 * operands are exact doubles, so one correctly rounded operation gives
 * strtod's double (Clinger's fast path); else strtod itself. */
static inline __attribute__((always_inline)) const unsigned char *
num_parse(const unsigned char *p, float *out)
{
	const unsigned char *s = p;
	uint64_t m = 0;
	int64_t e = 0;
	size_t nd, nf;
	int neg = *p == '-';
	double v;

	p += (*p == '-') | (*p == '+');
	nd = digit_run(&p, &m);
	if (*p == '.') {
		p++;
		nf = digit_run(&p, &m);
		nd += nf;
		e = -(int64_t)nf;
	}
	if (nd == 0)
		return NULL;
	if ((*p | 0x20) == 'e') {
		const unsigned char *q = p + 1;
		int eneg = *q == '-';
		int64_t x = 0;

		q += (*q == '-') | (*q == '+');
		if (!is_digit(*q))
			return NULL;
		while (is_digit(*q)) {
			if (x < 1000000)
				x = x * 10 + (*q - '0');
			q++;
		}
		e += eneg ? -x : x;
		p = q;
	}
	if (nd <= 19 && m <= (1ull << 53) && e >= -22 && e <= 22) {
		v = (double)m;
		v = e < 0 ? v / pow10_exact[-e] : v * pow10_exact[e];
	} else if (nd <= 19 && m == 0)
		v = 0;
	else {
		*out = (float)slow_strtod(s, (size_t)(p - s));
		return p;
	}
	*out = neg ? -(float)v : (float)v;
	return p;
}

/* pandas' default missing markers (pandas._libs.parsers.STR_NA_VALUES). */
static const struct {
	unsigned char n;
	char s[9];
} na_values[] = {
	{ 2, "NA" }, { 3, "N/A" }, { 3, "NaN" }, { 3, "nan" },
	{ 4, "NULL" }, { 4, "null" }, { 3, "n/a" }, { 4, "-NaN" },
	{ 4, "-nan" }, { 4, "<NA>" }, { 4, "#N/A" }, { 3, "#NA" },
	{ 8, "#N/A N/A" }, { 7, "-1.#IND" }, { 8, "-1.#QNAN" },
	{ 6, "1.#IND" }, { 7, "1.#QNAN" },
};

int
data_is_missing(const char *s, size_t n)
{
	if (n == 0)
		return 1;
	if (n > 8)
		return 0;
	for (size_t i = 0; i < sizeof(na_values) / sizeof(*na_values); i++)
		if (na_values[i].n == n && memcmp(na_values[i].s, s, n) == 0)
			return 1;
	return 0;
}

static int
is_inf(const char *s, size_t n, float *out)
{
	int neg = n > 0 && s[0] == '-';

	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		s++, n--;
	if ((n == 3 && strncasecmp(s, "inf", 3) == 0) ||
	    (n == 8 && strncasecmp(s, "infinity", 8) == 0)) {
		*out = neg ? -INFINITY : INFINITY;
		return 1;
	}
	return 0;
}

int
data_parse_float(const char *s, size_t n, float *out)
{
	char stack[80], *b;
	const unsigned char *end;
	int rc;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (data_is_missing(s, n)) {
		*out = NAN;
		return 0;
	}
	if (is_inf(s, n, out))
		return 0;
	/* a copy ending in NULs, so that the parser stops at its end */
	b = n + DATA_PAD <= sizeof(stack) ? stack : xmalloc(n + DATA_PAD);
	memcpy(b, s, n);
	memset(b + n, 0, DATA_PAD);
	end = num_parse((const unsigned char *)b, out);
	rc = end == (const unsigned char *)b + n ? 0 : -1;
	if (b != stack)
		free(b);
	return rc;
}

int
mlp_column_value(const struct mlp_column *c, const char *s, size_t n,
    float *out)
{
	int64_t code;

	if (c->type == MLP_COL_NUM)
		return data_parse_float(s, n, out);
	code = data_is_missing(s, n) ? -1 : data_level_find(c->levels, NULL,
	    c->nlevels, s, n);
	*out = code < 0 ? NAN : (float)code;
	return 0;
}

/* Level sets. */

static uint64_t
hash_bytes(const char *s, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = n * k, v;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&v, s, 8);
		h = (h ^ v) * k;
		h ^= h >> 29;
	}
	if (n > 0) {
		v = 0;
		memcpy(&v, s, n);
		h = (h ^ v) * k;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

void
data_strset_init(struct data_strset *set)
{
	memset(set, 0, sizeof(*set));
}

void
data_strset_release(struct data_strset *set)
{
	free(set->slot);
	free(set->str);
	free(set->pool);
	data_strset_init(set);
}

void
data_strset_reset(struct data_strset *set)
{
	if (set->slot)
		memset(set->slot, 0, (set->mask + 1) * sizeof(*set->slot));
	set->n = 0;
	set->plen = 0;
}

static void
rehash(struct data_strset *set)
{
	size_t nslot = set->slot ? (set->mask + 1) * 2 : 16;

	if (nslot > SIZE_MAX / sizeof(*set->slot))
		abort();
	free(set->slot);
	set->slot = xcalloc(nslot, sizeof(*set->slot));
	set->mask = nslot - 1;
	for (size_t id = 0; id < set->n; id++) {
		size_t i = set->str[id].hash & set->mask;

		while (set->slot[i])
			i = (i + 1) & set->mask;
		set->slot[i] = (uint32_t)(id + 1);
	}
}

static int64_t
lookup(const struct data_strset *set, const char *s, size_t n, uint64_t h,
    size_t *slot)
{
	size_t i = h & set->mask;

	for (;; i = (i + 1) & set->mask) {
		uint32_t k = set->slot[i];
		const struct data_str *e;

		if (!k)
			break;
		e = &set->str[k - 1];
		if (e->hash == h && e->len == n &&
		    memcmp(set->pool + e->off, s, n) == 0)
			return k - 1;
	}
	*slot = i;
	return -1;
}

int64_t
data_strset_add(struct data_strset *set, const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n);
	size_t i;
	int64_t id;

	if (!set->slot || set->n * 2 >= set->mask + 1)
		rehash(set);
	if ((id = lookup(set, s, n, h, &i)) >= 0)
		return id;
	if (set->n >= UINT32_MAX - 1)
		return -1;
	if (set->plen + n < set->plen)
		abort();
	mlp_grow(&set->pool, &set->palloc, set->plen + n + 1, 1);
	memcpy(set->pool + set->plen, s, n);
	mlp_grow(&set->str, &set->alloc, set->n + 1, sizeof(*set->str));
	set->str[set->n] = (struct data_str){ h, set->plen, n };
	set->plen += n;
	set->slot[i] = (uint32_t)(set->n + 1);
	return (int64_t)set->n++;
}

int64_t
data_strset_find(const struct data_strset *set, const char *s, size_t n)
{
	size_t i;

	if (!set->slot)
		return -1;
	return lookup(set, s, n, hash_bytes(s, n), &i);
}

const char *
data_strset_get(const struct data_strset *set, size_t id, size_t *len)
{
	*len = set->str[id].len;
	return set->pool ? set->pool + set->str[id].off : "";
}

int
data_bytes_cmp(const char *s, size_t n, const char *t, size_t m)
{
	int c = memcmp(s, t, n < m ? n : m);

	if (c)
		return c;
	return (n > m) - (n < m);
}

static int
rank_cmp(const void *a, const void *b, void *arg)
{
	const struct data_strset *set = arg;
	const struct data_str *x = &set->str[*(const uint32_t *)a];
	const struct data_str *y = &set->str[*(const uint32_t *)b];

	return data_bytes_cmp(set->pool + x->off, x->len, set->pool + y->off,
	    y->len);
}

void
data_strset_rank(const struct data_strset *set, uint32_t *rank)
{
	uint32_t *ids;

	if (set->n == 0)
		return;
	ids = xmalloc(set->n * sizeof(*ids));
	for (size_t i = 0; i < set->n; i++)
		ids[i] = (uint32_t)i;
	qsort_r(ids, set->n, sizeof(*ids), rank_cmp, (void *)set);
	for (size_t i = 0; i < set->n; i++)
		rank[ids[i]] = (uint32_t)i;
	free(ids);
}

/* The record parser. */

int
data_parser_init(struct data_parser *ps, char sep)
{
	memset(ps, 0, sizeof(*ps));
	ps->sep = sep ? sep : ',';
	if (strchr("\"\r\n.+-0123456789eE", ps->sep))
		return -1;
	ps->special[(unsigned char)ps->sep] = 1;
	ps->special['\n'] = 1;
	ps->special['\r'] = 1;
	ps->special['\0'] = 1;
	return 0;
}

void
data_worker_grow(struct data_worker *w, size_t nout, size_t want)
{
	/* the first size as asked: it was estimated, or it is a chunk's */
	size_t cap = w->cap ? w->cap : want > 0 ? want : 1;

	while (cap < want) {
		if (cap > SIZE_MAX / 2 / sizeof(float))
			abort();
		cap *= 2;
	}
	if (cap == w->cap)
		return;
	for (size_t j = 0; j < nout; j++)
		w->cols[j] = xrealloc(w->cols[j], cap * sizeof(float));
	w->cap = cap;
}

void
data_worker_release(struct data_worker *w, size_t nout)
{
	for (size_t j = 0; j < nout; j++) {
		if (w->cols)
			free(w->cols[j]);
		if (w->sets)
			data_strset_release(&w->sets[j]);
		if (w->map)
			free(w->map[j]);
	}
	free(w->cols);
	free(w->sets);
	free(w->map);
	free(w->nonnum);
	free(w->marks);
	mlp_strv_release(&w->names);
	mlp_buf_release(&w->scratch);
	memset(w, 0, sizeof(*w));
}

/* The end of the plain (unquoted) field text at p: a separator, a line
 * end ('\n', "\r\n" or a lone '\r'), or the end of the data; NULL when
 * the data ends first and more may follow (or a '\r' ends what is read,
 * which a '\n' may follow). */
static inline const unsigned char *
plain_end(const struct data_parser *ps, const unsigned char *p,
    const unsigned char *e, int eof)
{
	for (;;) {
		while (!ps->special[*p])
			p++;
		if (*p == (unsigned char)ps->sep || *p == '\n')
			return p;
		if (p == e)
			return eof ? p : NULL;
		if (*p == '\r')
			return p + 1 == e && !eof ? NULL : p;
		p++;		/* a NUL byte inside the field */
	}
}

/* Whether q, just after a number, ends the field for certain. */
static inline int
ends_field(const struct data_parser *ps, const unsigned char *q,
    const unsigned char *e, int eof)
{
	if (*q == (unsigned char)ps->sep || *q == '\n')
		return 1;
	if (*q == '\r')
		return q + 1 < e || eof;
	return q == e && eof;
}

/* Unescapes the quoted field at *pp (at its quote) into w->scratch, with
 * what follows the closing quote up to the field's end (pandas keeps it),
 * and moves *pp to the field's end. 0, REC_MORE or REC_ERR (not closed). */
static int
quoted(const struct data_parser *ps, struct data_worker *w,
    const unsigned char **pp, const unsigned char *e, int eof, uint64_t *nl)
{
	const unsigned char *p = *pp + 1, *q, *r;

	mlp_buf_reset(&w->scratch);
	for (;;) {
		q = memchr(p, '"', (size_t)(e - p));
		if (!q)
			return eof ? REC_ERR : REC_MORE;
		for (r = p; (r = memchr(r, '\n', (size_t)(q - r))); r++)
			(*nl)++;
		mlp_buf_add(&w->scratch, p, (size_t)(q - p));
		if (q + 1 < e && q[1] == '"') {
			mlp_buf_addc(&w->scratch, '"');
			p = q + 2;
			continue;
		}
		if (q + 1 == e && !eof)
			return REC_MORE;
		p = q + 1;
		break;
	}
	if (!(q = plain_end(ps, p, e, eof)))
		return REC_MORE;
	mlp_buf_add(&w->scratch, p, (size_t)(q - p));
	*pp = q;
	return 0;
}

/* Copies a value for a message: control bytes as '?', cut short (at a
 * character boundary) with "...". */
static void
quote_text(char *out, const char *s, size_t n)
{
	size_t k = n;

	if (k > DATA_TEXT_MAX) {
		k = DATA_TEXT_MAX;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (k < n)
		memcpy(out + k, "...", 3), k += 3;
	out[k] = '\0';
}

/* Stores field j, s[0..n), as spec says; 0 or a REC_E* code. */
static int
store(const struct data_parser *ps, struct data_worker *w, size_t j,
    const char *s, size_t n)
{
	const struct data_spec *sp;
	float *dst;
	float v;

	if (!ps->nfields) {
		mlp_strv_push_owned(&w->names, xstrndup(s, n));
		return 0;
	}
	if (j >= ps->nfields)
		return 0;
	sp = &ps->spec[j];
	dst = ps->nout ? &w->cols[sp->out][w->nrows] : NULL;
	switch (sp->kind) {
	case KIND_SKIP:
	case KIND_NAME:
		break;
	case KIND_NUM:
		if (data_parse_float(s, n, &v) < 0)
			return REC_ENUMBER;
		*dst = v;
		break;
	case KIND_CAT: {
		uint32_t u = UINT32_MAX;

		if (!data_is_missing(s, n)) {
			int64_t id = data_strset_add(&w->sets[sp->out], s, n);

			if (id < 0)
				return REC_ELEVELS;
			u = (uint32_t)id;
		}
		memcpy(dst, &u, sizeof(u));
		break;
	}
	case KIND_MAP: {
		int64_t code = data_is_missing(s, n) ? -1 :
		    data_level_find(sp->levels, sp->levlen, sp->nlevels, s, n);

		*dst = code < 0 ? NAN : (float)code;
		break;
	}
	case KIND_INFER:
		if (!w->nonnum[j] && data_parse_float(s, n, &v) < 0)
			w->nonnum[j] = 1;
		break;
	}
	return 0;
}

/* Drops the header names a record that needs more data pushed: it is
 * parsed again from its start. */
static int
more(struct data_worker *w, size_t names)
{
	while (w->names.n > names)
		free(w->names.v[--w->names.n]);
	return REC_MORE;
}

/* Notes the line row starts on when rows no longer follow lines one to
 * one (after blank lines or a record of several lines). */
static void
mark(struct data_worker *w, size_t row, uint64_t line)
{
	const struct mlp_line_mark *last = w->nmarks ?
	    &w->marks[w->nmarks - 1] : NULL;

	if (last && line - last->line == row - last->row)
		return;
	mlp_grow(&w->marks, &w->amarks, w->nmarks + 1, sizeof(*w->marks));
	w->marks[w->nmarks++] = (struct mlp_line_mark){ row, line };
}

int
data_parse_record(const struct data_parser *ps, struct data_worker *w,
    const char **pp, const char *end, int eof)
{
	const unsigned char *p = (const unsigned char *)*pp;
	const unsigned char *e = (const unsigned char *)end;
	const unsigned char sep = (unsigned char)ps->sep;
	size_t j = 0, row = w->nrows, names = w->names.n;
	uint64_t nl = 0;
	int bad = 0;

	/* a line of spaces is empty too (as pandas has it) */
	if ((*p == ' ' || *p == '\t') && *p != sep) {
		const unsigned char *q = p;

		while ((*q == ' ' || *q == '\t') && *q != sep)
			q++;
		if (*q == '\n' || *q == '\r' || q == e) {
			if ((q == e || (*q == '\r' && q + 1 == e)) && !eof)
				return REC_MORE;
			p = q;
		}
	}
	/* an empty line */
	if (p == e) {
		*pp = (const char *)p;
		return REC_BLANK;
	}
	if (*p == '\n' || *p == '\r') {
		if (*p == '\r' && p + 1 == e && !eof)
			return REC_MORE;
		if (*p == '\r' && p[1] == '\n')
			p++;
		p++;
		w->lines++;
		*pp = (const char *)p;
		return REC_BLANK;
	}
	if (ps->nout && row == w->cap)
		data_worker_grow(w, ps->nout, row + 1);
	for (;; j++) {
		const struct data_spec *sp = j < ps->nfields ? &ps->spec[j] :
		    NULL;
		const unsigned char *q;
		const char *s;
		uint64_t fline = nl;
		size_t n;
		int rc;

		if (*p == '"' && p < e) {
			if ((rc = quoted(ps, w, &p, e, eof, &nl)) != 0) {
				if (rc == REC_MORE)
					return more(w, names);
				w->err.kind = REC_EQUOTE;
				w->err.line = w->lines + fline;
				return REC_ERR;
			}
			s = mlp_buf_str(&w->scratch);
			n = w->scratch.len;
		} else {
			if (sp && sp->kind == KIND_NUM) {
				float v;

				q = num_parse(p, &v);
				if (q && ends_field(ps, q, e, eof)) {
					w->cols[sp->out][row] = v;
					p = q;
					goto next;
				}
			}
			if (!(q = plain_end(ps, p, e, eof)))
				return more(w, names);
			s = (const char *)p;
			n = (size_t)(q - p);
			p = q;
		}
		if ((rc = store(ps, w, j, s, n)) != 0 && !bad) {
			bad = rc;
			w->err.kind = rc;
			w->err.line = w->lines + fline;
			w->err.col = j;
			quote_text(w->err.text, s, n);
		}
next:
		if (*p != sep)
			break;
		p++;
	}
	j++;
	/* p is at the line's end: '\n', "\r\n", '\r', or the data's */
	if (p < e) {
		if (*p == '\r' && p[1] == '\n')
			p++;
		p++;
		nl++;
	}
	if (ps->nfields && j != ps->nfields) {
		w->err.kind = REC_EFIELDS;
		w->err.line = w->lines;
		w->err.want = ps->nfields;
		w->err.found = j;
		return REC_ERR;
	}
	if (bad)
		return REC_ERR;
	if (ps->nfields)
		mark(w, row, w->lines);
	w->lines += nl;
	w->nrows++;
	*pp = (const char *)p;
	return REC_ROW;
}

uint64_t
mlp_marks_line(const struct mlp_line_mark *marks, size_t n,
    size_t row)
{
	size_t lo = 0, hi = n;

	if (n == 0)
		return 0;
	/* the last mark at or before row */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (marks[mid].row <= row)
			lo = mid;
		else
			hi = mid;
	}
	return marks[lo].line + (row - marks[lo].row);
}

int
data_rec_error(struct mlp_err *err, const char *src, char *const *names,
    const struct data_rec_err *re, uint64_t base)
{
	uint64_t line = base + re->line;

	switch (re->kind) {
	case REC_EFIELDS:
		return mlp_err_set(err, MLP_EINVAL,
		    "'%s' line %" PRIu64 ": expected %zu fields, found %zu",
		    src, line, re->want, re->found);
	case REC_ENUMBER:
	case REC_ELEVELS: {
		char name[DATA_TEXT_MAX + 4];
		const char *nm = names ? names[re->col] : "";

		quote_text(name, nm, strlen(nm));
		if (re->kind == REC_ELEVELS)
			return mlp_err_set(err, MLP_EINVAL,
			    "'%s' line %" PRIu64 " column %zu ('%s'): too many "
			    "distinct values", src, line, re->col + 1, name);
		return mlp_err_set(err, MLP_EINVAL,
		    "'%s' line %" PRIu64 " column %zu ('%s'): '%s' is not a "
		    "number", src, line, re->col + 1, name, re->text);
	}
	case REC_EQUOTE:
		return mlp_err_set(err, MLP_EINVAL,
		    "'%s' line %" PRIu64 ": quoted field not closed before the "
		    "end of the file", src, line);
	}
	return mlp_err_set(err, MLP_EINVAL, "'%s' line %" PRIu64 ": bad record",
	    src, line);
}

const char *
data_source_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "stdin" : path;
}

int64_t
data_level_find(char *const *levels, const size_t *len, size_t nlevels,
    const char *s, size_t n)
{
	size_t lo = 0, hi = nlevels;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = data_bytes_cmp(s, n, levels[mid], len ? len[mid] :
		    strlen(levels[mid]));

		if (c == 0)
			return (int64_t)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

void
data_copy_columns(struct mlp_column *dst, const struct mlp_column *src,
    size_t n)
{
	for (size_t k = 0; k < n; k++) {
		dst[k].name = xstrdup(src[k].name);
		dst[k].type = src[k].type;
		dst[k].nlevels = src[k].type == MLP_COL_CAT ? src[k].nlevels :
		    0;
		dst[k].levels = NULL;
		if (dst[k].nlevels == 0)
			continue;
		dst[k].levels = xcalloc(dst[k].nlevels, sizeof(char *));
		for (size_t i = 0; i < dst[k].nlevels; i++)
			dst[k].levels[i] = xstrdup(src[k].levels[i]);
	}
}
