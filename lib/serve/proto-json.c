/* A JSON scanner for request bodies: tokens in one flat array, strings and
 * numbers converted on demand (proto-json.h says why). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "../data/data.h"
#include "proto-json.h"

static int
is_digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

static inline const unsigned char *
ws(const unsigned char *p, const unsigned char *e)
{
	while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	return p;
}

static void
grow(struct sj_doc *d)
{
	size_t na = d->alloc * 2;

	if (d->tok == d->first) {
		d->tok = xmalloc(na * sizeof(*d->tok));
		memcpy(d->tok, d->first, d->ntok * sizeof(*d->tok));
	} else {
		d->tok = xrealloc(d->tok, na * sizeof(*d->tok));
	}
	d->alloc = na;
}

static size_t
new_tok(struct sj_doc *d, int type, size_t start)
{
	struct sj_tok *t;

	if (d->ntok == d->alloc)
		grow(d);
	t = &d->tok[d->ntok];
	t->type = (uint8_t)type;
	t->esc = 0;
	t->start = (uint32_t)start;
	t->len = 0;
	t->skip = 0;
	t->count = 0;
	return d->ntok++;
}

/* The value of 4 hex digits at p (before e), or -1. */
static long
hex4(const unsigned char *p, const unsigned char *e)
{
	long v = 0;

	if (e - p < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		unsigned char c = p[k];

		v <<= 4;
		if (is_digit(c))
			v |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return v;
}

/* Scans the string whose quote is at p into token t: the position after
 * its closing quote, or NULL with *bad where it goes wrong. Escapes are
 * checked as cJSON checks them (a surrogate only in a pair). */
static const unsigned char *
string(struct sj_tok *t, const unsigned char *s, const unsigned char *p,
    const unsigned char *e, const unsigned char **bad)
{
	const unsigned char *q = p + 1;

	for (;;) {
		unsigned char c;

		if (q >= e) {
			*bad = e;
			return NULL;
		}
		c = *q;
		if (c == '"')
			break;
		if (c < 0x20) {
			*bad = q;
			return NULL;
		}
		if (c != '\\') {
			q++;
			continue;
		}
		t->esc = 1;
		if (q + 1 >= e) {
			*bad = e;
			return NULL;
		}
		c = q[1];
		if (c == 'u') {
			long u = hex4(q + 2, e), v;

			if (u < 0 || (u >= 0xdc00 && u <= 0xdfff)) {
				*bad = q;
				return NULL;
			}
			if (u >= 0xd800 && u <= 0xdbff) {
				if (e - q < 12 || q[6] != '\\' || q[7] != 'u' ||
				    (v = hex4(q + 8, e)) < 0xdc00 || v > 0xdfff) {
					*bad = q;
					return NULL;
				}
				q += 12;
			} else {
				q += 6;
			}
			continue;
		}
		if (!memchr("\"\\/bfnrt", c, 8)) {
			*bad = q;
			return NULL;
		}
		q += 2;
	}
	t->start = (uint32_t)(p + 1 - s);
	t->len = (uint32_t)(q - p - 1);
	return q + 1;
}

/* The end of the number at p (RFC 8259's grammar), or NULL. */
static const unsigned char *
number(const unsigned char *p, const unsigned char *e)
{
	if (p < e && *p == '-')
		p++;
	if (p >= e)
		return NULL;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < e && is_digit(*p))
			p++;
	} else {
		return NULL;
	}
	if (p < e && *p == '.') {
		if (++p >= e || !is_digit(*p))
			return NULL;
		while (p < e && is_digit(*p))
			p++;
	}
	if (p < e && (*p | 0x20) == 'e') {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !is_digit(*p))
			return NULL;
		while (p < e && is_digit(*p))
			p++;
	}
	return p;
}

void
sj_line_col(const char *text, size_t at, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < at; i++) {
		if (text[i] == '\n')
			(*line)++, *col = 1;
		else if (((unsigned char)text[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

int
sj_parse(struct sj_doc *d, const char *text, size_t n, struct mlp_err *err)
{
	const unsigned char *s = (const unsigned char *)text, *p, *e = s + n;
	const unsigned char *bad = NULL;
	uint32_t stack[SJ_MAX_DEPTH];
	int depth = 0;
	size_t t, line, col;

	d->text = text;
	d->n = n;
	d->tok = d->first;
	d->ntok = 0;
	d->alloc = SJ_STACK_TOKS;
	if (n >= UINT32_MAX)
		return mlp_err_set(err, MLP_EINVAL, "request body: 4 GiB or "
		    "more"), 413;
	p = ws(s, e);
value:
	if (p >= e)
		goto fail;
	switch (*p) {
	case '{':
	case '[':
		if (depth == SJ_MAX_DEPTH)
			return mlp_err_set(err, MLP_EINVAL, "request body: "
			    "nested deeper than %d levels", SJ_MAX_DEPTH), 400;
		t = new_tok(d, *p == '{' ? SJ_OBJ : SJ_ARR, (size_t)(p - s));
		stack[depth++] = (uint32_t)t;
		p = ws(p + 1, e);
		if (p < e && *p == (d->tok[t].type == SJ_OBJ ? '}' : ']'))
			goto close;
		if (d->tok[t].type == SJ_OBJ)
			goto key;
		goto value;
	case '"':
		t = new_tok(d, SJ_STR, 0);
		if (!(p = string(&d->tok[t], s, p, e, &bad)))
			goto fail;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };
		int k = *p == 't' ? 0 : *p == 'f' ? 1 : 2;
		size_t len = strlen(lit[k]);

		if ((size_t)(e - p) < len || memcmp(p, lit[k], len) != 0)
			goto fail;
		t = new_tok(d, SJ_TRUE + k, (size_t)(p - s));
		d->tok[t].len = (uint32_t)len;
		p += len;
		break;
	}
	default: {
		const unsigned char *q = number(p, e);

		if (!q)
			goto fail;
		t = new_tok(d, SJ_NUM, (size_t)(p - s));
		d->tok[t].len = (uint32_t)(q - p);
		p = q;
		break;
	}
	}
	d->tok[t].skip = (uint32_t)d->ntok;
done:
	p = ws(p, e);
	if (depth == 0) {
		if (p == e)
			return 0;
		goto fail;
	}
	t = stack[depth - 1];
	d->tok[t].count++;
	if (p >= e)
		goto fail;
	if (*p == ',') {
		p = ws(p + 1, e);
		if (d->tok[t].type == SJ_OBJ)
			goto key;
		goto value;
	}
	if (*p != (d->tok[t].type == SJ_OBJ ? '}' : ']'))
		goto fail;
close:
	t = stack[--depth];
	p++;
	d->tok[t].skip = (uint32_t)d->ntok;
	d->tok[t].len = (uint32_t)((size_t)(p - s) - d->tok[t].start);
	goto done;
key:
	if (p >= e || *p != '"')
		goto fail;
	t = new_tok(d, SJ_STR, 0);
	if (!(p = string(&d->tok[t], s, p, e, &bad)))
		goto fail;
	d->tok[t].skip = (uint32_t)d->ntok;
	p = ws(p, e);
	if (p >= e || *p != ':')
		goto fail;
	p = ws(p + 1, e);
	goto value;
fail:
	if (bad)
		p = bad;
	if (p >= e)
		return mlp_err_set(err, MLP_EINVAL, "request body: %s",
		    n == 0 || ws(s, e) == e ? "empty, expected a JSON value" :
		    "invalid JSON: it ends too soon"), 400;
	sj_line_col(text, (size_t)(p - s), &line, &col);
	return mlp_err_set(err, MLP_EINVAL, "request body: invalid JSON at "
	    "line %zu column %zu", line, col), 400;
}

void
sj_release(struct sj_doc *d)
{
	if (d->tok && d->tok != d->first)
		free(d->tok);
	d->tok = NULL;
	d->ntok = d->alloc = 0;
}

/* Appends code point u as UTF-8. */
static void
add_utf8(struct mlp_buf *out, unsigned long u)
{
	char b[4];
	size_t k;

	if (u < 0x80) {
		b[0] = (char)u, k = 1;
	} else if (u < 0x800) {
		b[0] = (char)(0xc0 | u >> 6), b[1] = (char)(0x80 | (u & 63));
		k = 2;
	} else if (u < 0x10000) {
		b[0] = (char)(0xe0 | u >> 12);
		b[1] = (char)(0x80 | ((u >> 6) & 63));
		b[2] = (char)(0x80 | (u & 63));
		k = 3;
	} else {
		b[0] = (char)(0xf0 | u >> 18);
		b[1] = (char)(0x80 | ((u >> 12) & 63));
		b[2] = (char)(0x80 | ((u >> 6) & 63));
		b[3] = (char)(0x80 | (u & 63));
		k = 4;
	}
	mlp_buf_add(out, b, k);
}

int
sj_str(const struct sj_doc *d, size_t i, struct mlp_buf *out)
{
	const struct sj_tok *t = &d->tok[i];
	const unsigned char *p = (const unsigned char *)d->text + t->start;
	const unsigned char *e = p + t->len;

	mlp_buf_grow(out, t->len);
	if (!t->esc) {
		mlp_buf_add(out, p, t->len);
		return 0;
	}
	while (p < e) {
		const unsigned char *q = memchr(p, '\\', (size_t)(e - p));
		unsigned long u;

		if (!q) {
			mlp_buf_add(out, p, (size_t)(e - p));
			break;
		}
		mlp_buf_add(out, p, (size_t)(q - p));
		switch (q[1]) {
		case 'b':
			mlp_buf_addc(out, '\b');
			break;
		case 'f':
			mlp_buf_addc(out, '\f');
			break;
		case 'n':
			mlp_buf_addc(out, '\n');
			break;
		case 'r':
			mlp_buf_addc(out, '\r');
			break;
		case 't':
			mlp_buf_addc(out, '\t');
			break;
		case 'u':
			/* checked by the scan: a pair, or not a surrogate */
			u = (unsigned long)hex4(q + 2, e);
			if (u >= 0xd800 && u <= 0xdbff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    ((unsigned long)hex4(q + 8, e) - 0xdc00);
				q += 6;
			}
			if (u == 0)
				return -1;
			add_utf8(out, u);
			q += 4;
			break;
		default:	/* " \ / */
			mlp_buf_addc(out, (char)q[1]);
			break;
		}
		p = q + 2;
	}
	return 0;
}

int
sj_str_is(const struct sj_doc *d, size_t i, const char *s)
{
	const struct sj_tok *t = &d->tok[i];
	struct mlp_buf b = MLP_BUF_INIT;
	int same;

	if (!t->esc)
		return t->len == strlen(s) &&
		    memcmp(d->text + t->start, s, t->len) == 0;
	same = sj_str(d, i, &b) == 0 && b.len == strlen(s) &&
	    memcmp(b.s, s, b.len) == 0;
	mlp_buf_release(&b);
	return same;
}

double
sj_num(const struct sj_doc *d, size_t i)
{
	const struct sj_tok *t = &d->tok[i];

	return mlp_decimal_value(d->text + t->start, t->len);
}

/* Numbers straight into floats: sj_float, sj_rows. The value of a number
 * is (float) of the double sj_num gives, bit for bit, as fast_value in
 * proto-mlflow.c stores a number token into a numeric column. */

/* Powers of ten a double holds exactly (Clinger's fast path), and the
 * doubles nearest their inverses. */
static const double exact10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};
static const double inv10[23] = {
	1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10,
	1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19,
	1e-20, 1e-21, 1e-22,
};
static const uint64_t scale10[9] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

/* The 8 bytes at p, the first in the low byte. */
static inline uint64_t
load8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The number of digits (0 to 8) that begin the bytes w, and in *val
 * their value (0 when there are none): all eight at once, with
 * three multiplications (simdjson's trick), no branch on how many. */
static inline unsigned
digits8(uint64_t w, uint64_t *val)
{
	uint64_t x = w ^ 0x3030303030303030ull;	/* digits now 0..9 */
	uint64_t stop = (((x & 0x7f7f7f7f7f7f7f7full) +
	    0x7676767676767676ull) | x) & 0x8080808080808080ull;
	unsigned n = stop ? (unsigned)__builtin_ctzll(stop) >> 3 : 8;
	/* the digits to the top bytes, zeros before them (two shifts: one
	 * of 64 bits, for no digits, is undefined in C) */
	uint64_t d = x << (32 - 4 * n) << (32 - 4 * n);

	d = d * 10 + (d >> 8);
	*val = ((d & 0x000000ff000000ffull) * (100 + (1000000ull << 32)) +
	    ((d >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32))) >> 32;
	return n;
}

/* The float nearest the double nearest m * 10^e10 (m at most 2^53, e10
 * from -22 to 22: Clinger's fast path), negated when neg. */
static inline float
to_float(uint64_t m, long e10, uint64_t neg)
{
	uint64_t bits;
	double v = (double)m;

	if (e10 < 0) {
		/* m / 10^k, the double correctly rounded, is what the float
		 * must come from; m * 10^-k is within 3 units in its last
		 * place, so the two round to the same float unless a float
		 * midpoint (the low 29 bits of the double near 2^28) lies that
		 * close, where the division, slower than the rest, settles
		 * it. No float is subnormal here (the least is 1e-22). */
		v *= inv10[-e10];
		memcpy(&bits, &v, sizeof(bits));
		if ((bits & 0x1fffffffull) - 0x10000000ull + 8 <= 16)
			v = (double)m / exact10[-e10];
	} else {
		v *= exact10[e10];
	}
	memcpy(&bits, &v, sizeof(bits));
	bits |= neg << 63;
	memcpy(&v, &bits, sizeof(v));
	return (float)v;
}

/* sj_float for the numbers a client writes: [-]d[.d][e[+-]d] with at
 * most 7 digits before the point, 19 in all, up to 3 in the exponent, a
 * value Clinger's fast path gives; NULL for any other (num_slow's). Reads
 * up to 32 bytes from p, which must be there. Digits go eight at a time,
 * with no branch on how many there are. */
static inline const unsigned char *
num_fast(const unsigned char *p, float *out)
{
	uint64_t neg = *p == '-', m, f;
	unsigned n, nd;
	long e10 = 0;

	p += neg;
	n = digits8(load8(p), &m);
	/* none, eight (maybe more), or a leading zero */
	if (n - 1 > 6 || (*p == '0' && n > 1))
		return NULL;
	p += n;
	nd = n;
	if (*p == '.') {
		if ((n = digits8(load8(p + 1), &f)) == 0)
			return NULL;
		m = m * scale10[n] + f;
		p += 1 + n;
		nd += n;
		e10 = -(long)n;
		if (n == 8) {
			n = digits8(load8(p), &f);
			if (n == 8 || nd + n > 19)
				return NULL;
			m = m * scale10[n] + f;
			p += n;
			e10 -= (long)n;
		}
	}
	if ((*p | 0x20) == 'e') {
		int eneg = p[1] == '-', x = 0, k;

		p += 1 + (p[1] == '-' || p[1] == '+');
		for (k = 0; k < 4 && is_digit(p[k]); k++)
			x = x * 10 + (p[k] - '0');
		if (k == 0 || k == 4)
			return NULL;
		p += k;
		e10 += eneg ? -x : x;
	}
	if (m > (1ull << 53) || e10 < -22 || e10 > 22)
		return NULL;
	*out = to_float(m, e10, neg);
	return p;
}

/* sj_float for any number: the token road's, number and sj_num. */
static const unsigned char *
num_slow(const unsigned char *p, const unsigned char *e, float *out)
{
	const unsigned char *q = number(p, e);
	double v;

	if (!q || q - p >= 64)
		return NULL;
	v = mlp_decimal_value((const char *)p, (size_t)(q - p));
	if (!isfinite(v))
		return NULL;
	*out = (float)v;
	return q;
}

const char *
sj_float(const char *p, const char *e, float *out)
{
	const unsigned char *s = (const unsigned char *)p, *q = NULL;

	if (e - p >= 32)
		q = num_fast(s, out);
	if (!q)
		q = num_slow(s, (const unsigned char *)e, out);
	return (const char *)q;
}

/* The separators of a row's values, ',' and ']', among the 64 bytes at
 * p, which must be there: bit i for p[i]. */
static inline uint64_t
seps64(const unsigned char *p)
{
	uint64_t m = 0;
#if defined(__SSE2__)
	const __m128i comma = _mm_set1_epi8(','), close = _mm_set1_epi8(']');

	for (int i = 0; i < 4; i++) {
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + 16 * i));

		m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(b, comma), _mm_cmpeq_epi8(b, close))) <<
		    (16 * i);
	}
#else
	for (int i = 0; i < 8; i++) {
		uint64_t w = load8(p + 8 * i);
		uint64_t c = w ^ 0x2c2c2c2c2c2c2c2cull;	/* ',' now 0 */
		uint64_t b = w ^ 0x5d5d5d5d5d5d5d5dull;	/* ']' */
		/* 0x80 in each byte that is 0 in c or b */
		uint64_t z = ~((((c & 0x7f7f7f7f7f7f7f7full) +
		    0x7f7f7f7f7f7f7f7full) | c) & (((b & 0x7f7f7f7f7f7f7f7full) +
		    0x7f7f7f7f7f7f7f7full) | b)) & 0x8080808080808080ull;

		/* byte k's flag to bit k, and the 8 bits to their place */
		m |= (((z >> 7) * 0x0102040810204080ull) >> 56) << (8 * i);
	}
#endif
	return m;
}

/* The separators of the block of 64 bytes at p (before e): those past e
 * are none. */
static inline uint64_t
seps(const unsigned char *p, const unsigned char *e)
{
	unsigned char pad[64];

	if (e - p >= 64)
		return seps64(p);
	memset(pad, ' ', sizeof(pad));
	memcpy(pad, p, (size_t)(e - p));
	return seps64(pad);
}

/* The separators ahead: the bits of the block at blk in mask; on the
 * AVX-512 road, their offsets from lo (32 bits: sj_rows takes that road
 * for less than 2 GB) in at, next_sep's i to n, found 32 blocks at a
 * time by compressing each block's mask, blk the block after them. */
#define SEPQ_BLOCKS 32
struct sepq {
	const unsigned char *blk, *lo;
	uint64_t mask;
	uint32_t at[SEPQ_BLOCKS * 64 + 64];
};

#if defined(__x86_64__)
#define AVX512 "avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi2,bmi2"

/* The separators of the next blocks into q->at: how many, 0 at e. The
 * offsets of a block's separators are its mask's bits compressed. */
__attribute__((target(AVX512))) static unsigned
sepq_fill(struct sepq *q, const unsigned char *e)
{
	const __m512i iota = _mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56,
	    55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40,
	    39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24,
	    23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
	    6, 5, 4, 3, 2, 1, 0);
	unsigned char at8[64];
	unsigned n = 0;

	for (int k = 0; k < SEPQ_BLOCKS && q->blk < e; k++, q->blk += 64) {
		uint64_t in = e - q->blk >= 64 ? ~0ull :
		    (1ull << (e - q->blk)) - 1;
		__m512i v = _mm512_maskz_loadu_epi8(in, q->blk);
		__m512i off = _mm512_set1_epi32((int)(q->blk - q->lo));
		uint64_t m = (_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(',')) |
		    _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(']'))) & in;
		unsigned c = (unsigned)__builtin_popcountll(m);

		v = _mm512_maskz_compress_epi8(m, iota);
		_mm512_storeu_si512(q->at + n, _mm512_add_epi32(
		    _mm512_cvtepu8_epi32(_mm512_castsi512_si128(v)), off));
		if (c > 16) {
			_mm512_storeu_si512(at8, v);
			for (unsigned j = 16; j < c; j += 16)
				_mm512_storeu_si512(q->at + n + j,
				    _mm512_add_epi32(_mm512_cvtepu8_epi32(
				    _mm_loadu_si128((const void *)(at8 + j))),
				    off));
		}
		n += c;
	}
	return n;
}
#endif

/* The next separator; NULL at e. The list's place is in *i and *n, not
 * in q, whose address sepq_fill takes: there each went through memory,
 * a wait of several cycles on every value. */
static inline __attribute__((always_inline)) const unsigned char *
next_sep(struct sepq *q, unsigned *i, unsigned *n, const unsigned char *e,
    int simd)
{
	const unsigned char *sep;

#if defined(__x86_64__)
	if (simd >= 2) {
		if (*i == *n) {
			if ((*n = sepq_fill(q, e)) == 0)
				return NULL;
			*i = 0;
		}
		return q->lo + q->at[(*i)++];
	}
#endif
	while (!q->mask) {
		if (e - q->blk <= 64)
			return NULL;
		q->blk += 64;
		q->mask = seps(q->blk, e);
	}
	sep = q->blk + __builtin_ctzll(q->mask);
	q->mask &= q->mask - 1;
	return sep;
}

#if defined(__x86_64__)
/* The next four separators into s: 0, or -1 at e. */
static inline __attribute__((always_inline)) int
next_sep4(struct sepq *q, unsigned *i, unsigned *n, const unsigned char *e,
    const unsigned char **s)
{
	if (*n - *i >= 4) {
#pragma GCC unroll 4
		for (int j = 0; j < 4; j++)
			s[j] = q->lo + q->at[*i + j];
		*i += 4;
		return 0;
	}
	for (int j = 0; j < 4; j++)
		if (!(s[j] = next_sep(q, i, n, e, 2)))
			return -1;
	return 0;
}

/* A number of up to 16 bytes, [-]d[.d], read with SSSE3's shuffle and
 * multiply-adds: where it ends is known (sep, the separator after it),
 * so its bytes are checked and its digits put together all at once, in
 * about half the instructions num_fast takes, with no branch on its
 * shape. NULL for any other (num_fast's or num_slow's). Reads the 16
 * bytes at p, which must be there. */
static const signed char ramp[32] = {
	-16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};
static const signed char ones[48] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

__attribute__((target("ssse3"))) static inline const unsigned char *
num_ssse3(const unsigned char *p, const unsigned char *sep, float *out)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p), x;
	unsigned len = (unsigned)(sep - p), neg = *p == '-';
	unsigned span = (1u << len) - 1;
	unsigned dig = (unsigned)_mm_movemask_epi8(_mm_and_si128(
	    _mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
	    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))));
	unsigned dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v,
	    _mm_set1_epi8('.'))) & span;
	unsigned pt = dots & -dots;	/* the point's bit, 0 for none */
	unsigned dot = (unsigned)__builtin_ctz(pt | 1u << len);
	/* the digits after the point; 31 without one (see ones) */
	unsigned frac = (len - dot - 1) & 31;
	uint64_t g;

	/* only digits but the sign and the point, a digit after each, no
	 * leading zero */
	if ((((~dig & span) ^ (neg | pt)) | (((neg + 1) | pt << 1) & ~dig)) |
	    ((p[neg] == '0') & (dot > neg + 1)))
		return NULL;
	/* the digits to the last lanes, the point taken out (the lanes up
	 * to it take the byte before): lane i takes byte i + len - 16, less
	 * one in the 16 - frac lanes up to the point (ones + frac: none
	 * without one) */
	x = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)
	    (ramp + len)), _mm_loadu_si128((const __m128i *)(const void *)
	    (ones + frac)));
	/* the sign and the lanes before the number are 0 too */
	x = _mm_subs_epu8(_mm_shuffle_epi8(v, x), _mm_set1_epi8('0'));
	/* 16 digits to 8 pairs, 4 fours, 2 eights */
	x = _mm_maddubs_epi16(x, _mm_set1_epi16(1 << 8 | 10));
	x = _mm_madd_epi16(x, _mm_set1_epi32(1 << 16 | 100));
	x = _mm_packs_epi32(x, x);
	x = _mm_madd_epi16(x, _mm_set1_epi32(1 << 16 | 10000));
	g = (uint64_t)_mm_cvtsi128_si64(x);
	g = (g & 0xffffffffull) * 100000000 + (g >> 32);
	if (g > (1ull << 53))
		return NULL;
	*out = to_float(g, pt ? -(long)frac : 0, neg);
	return sep;
}
#endif

/* The value of a row in p[0..sep) (before e; white space after it
 * allowed) into *out: the byte after it, or NULL for what sj_rows does
 * not read. */
static inline __attribute__((always_inline)) const unsigned char *
row_value(const unsigned char *p, const unsigned char *sep,
    const unsigned char *e, float *out, int simd)
{
	const unsigned char *q;

#if defined(__x86_64__)
	if (simd && e - p >= 16 && sep - p <= 16 &&
	    (q = num_ssse3(p, sep, out)))
		return q;
#endif
	if (e - p >= 32 && (q = num_fast(p, out)))
		return q;
	if (*p == 'n' && sep - p >= 4 && memcmp(p, "null", 4) == 0) {
		*out = NAN;
		return p + 4;
	}
	if (*p == 't' && sep - p >= 4 && memcmp(p, "true", 4) == 0) {
		*out = 1.0f;
		return p + 4;
	}
	if (*p == 'f' && sep - p >= 5 && memcmp(p, "false", 5) == 0) {
		*out = 0.0f;
		return p + 5;
	}
	return num_slow(p, sep, out);
}

/* The value at p, up to sep (before e; white space around it allowed),
 * into *out: 0, or -1 for what sj_rows does not read. */
static inline __attribute__((always_inline)) int
value(const unsigned char *p, const unsigned char *sep,
    const unsigned char *e, float *out, int simd)
{
	const unsigned char *q;

	if (*p <= ' ')
		p = ws(p, sep);
	if (p == sep || !(q = row_value(p, sep, e, out, simd)) ||
	    (q != sep && ws(q, sep) != sep))
		return -1;
	return 0;
}

#if defined(__x86_64__)
/* Four values of a row at once, b[k] up to s[k] (the separator after
 * it), one to each 128-bit lane of a register, read as num_ssse3 reads
 * one, into *dst[k]. The 16 bytes that end with s[k] (which must be
 * there) go to lane k: a number of up to 15 bytes, its separator at the
 * lane's top. What the bytes are is a mask of 64 bits, one per byte, and
 * the checks of all four numbers are a few operations on those masks,
 * each lane's bits kept from the next by its top bit (the separator),
 * which stops the carries. Then one shuffle, multiply-add chain and
 * conversion for the four. The shuffle takes the point out by moving the
 * bytes up to it one place up, or, without one, all the bytes (the
 * separator's place is then a point after the last digit): a number with
 * a point comes out with a 0 after its last digit, which one more power
 * of ten in the division takes back; to_float's steps give the same float
 * for it (their argument holds for m / 10^k whatever m and k). Returns
 * the lanes (bit k for lane k) it did not read, the values of another
 * shape (an exponent, white space, null...), whose *dst it left to be
 * read the slower way; 15 for a value longer than 15 bytes, or for a
 * separator other than ',', or ']' for the last of a row (last). */
__attribute__((target(AVX512))) static inline unsigned
num4_avx512(const unsigned char *const *b, const unsigned char *const *s,
    float *const *dst, int last)
{
	const uint64_t low = 0x0001000100010001ull;	/* each lane's first */
	const uint64_t top = 0x8000800080008000ull;	/* and last byte */
	const uint64_t rest = 0x7fff7fff7fff7fffull;
	uint64_t first = 0, span, dig, pt, minus, lead, bad, before;
	__m512i v, x, w, g;
	__m512d f;
	float out[8];

	if (((s[0] - b[0]) | (s[1] - b[1]) | (s[2] - b[2]) |
	    (s[3] - b[3])) & ~(ptrdiff_t)15)
		return 15;
	v = _mm512_castsi128_si512(_mm_loadu_si128((const void *)(s[0] - 15)));
	v = _mm512_inserti32x4(v, _mm_loadu_si128((const void *)(s[1] - 15)),
	    1);
	v = _mm512_inserti32x4(v, _mm_loadu_si128((const void *)(s[2] - 15)),
	    2);
	v = _mm512_inserti32x4(v, _mm_loadu_si128((const void *)(s[3] - 15)),
	    3);
	/* the separators: ',', and ']' after the row's last value */
	if (((_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(',')) &
	    ~((uint64_t)last << 63)) | (_mm512_cmpeq_epi8_mask(v,
	    _mm512_set1_epi8(']')) & (uint64_t)last << 63) | ~top) != ~0ull)
		return 15;
	/* each number's first byte, and its bytes */
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++)
		first |= 1ull << (16 * k + 15 - (s[k] - b[k]));
	span = top - first;
	dig = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')),
	    _mm512_set1_epi8(10));
	pt = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.')) & span;
	minus = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-')) & span;
	lead = ((first ^ minus) | minus << 1) &
	    _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('0'));
	/* only digits but a sign first and a point, a digit last, a digit
	 * either side of the point, one point, no leading zero */
	bad = (span & ~(dig | minus | pt)) | (minus & ~first) |
	    (pt & first) | ((pt >> 1 | pt << 1) & ~dig) |
	    (pt & ((pt | top) - low)) | (lead << 1 & dig & span) |
	    (top >> 1 & ~dig);
	bad = _pext_u64((((bad & rest) + rest) | bad) & top, top);
	if (bad == 15)
		return 15;
	/* the bytes up to the point, or all without one, take the byte
	 * before: the point out */
	before = (pt | top) ^ ((pt | top) - low);
	x = _mm512_maskz_sub_epi8(dig & span, v, _mm512_set1_epi8('0'));
	w = _mm512_set_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2,
	    1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
	    15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
	    15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
	w = _mm512_mask_sub_epi8(w, before, w, _mm512_set1_epi8(1));
	x = _mm512_shuffle_epi8(x, w);
	x = _mm512_maddubs_epi16(x, _mm512_set1_epi16(1 << 8 | 10));
	x = _mm512_madd_epi16(x, _mm512_set1_epi32(1 << 16 | 100));
	x = _mm512_packs_epi32(x, x);
	x = _mm512_madd_epi16(x, _mm512_set1_epi32(1 << 16 | 10000));
	/* each lane's first 64 bits: the value of its (up to) 16 digits,
	 * below 10^15 */
	g = _mm512_add_epi64(_mm512_mul_epu32(x,
	    _mm512_set1_epi64(100000000)), _mm512_srli_epi64(x, 32));
	/* the bytes after the point (after it, the separator), and 16 for
	 * a sign, in each lane's 64 bits */
	w = _mm512_maskz_mov_epi8(~before, _mm512_set1_epi8(1));
	w = _mm512_mask_mov_epi8(w, minus, _mm512_set1_epi8(16));
	w = _mm512_sad_epu8(w, _mm512_setzero_si512());
	w = _mm512_add_epi64(w, _mm512_shuffle_epi32(w, _MM_PERM_BADC));
	/* to_float's steps, four at once */
	f = _mm512_mul_pd(_mm512_cvtepu64_pd(g), _mm512_permutex2var_pd(
	    _mm512_loadu_pd(inv10), w, _mm512_loadu_pd(inv10 + 8)));
	{
		__mmask8 mid = _mm512_cmple_epu64_mask(_mm512_add_epi64(
		    _mm512_and_si512(_mm512_castpd_si512(f),
		    _mm512_set1_epi64(0x1fffffff)),
		    _mm512_set1_epi64(8 - 0x10000000)),
		    _mm512_set1_epi64(16));

		if (mid)
			f = _mm512_mask_div_pd(f, mid, _mm512_cvtepu64_pd(g),
			    _mm512_permutex2var_pd(_mm512_loadu_pd(exact10),
			    w, _mm512_loadu_pd(exact10 + 8)));
	}
	/* the sign: bit 4 of the count to bit 63 */
	f = _mm512_castsi512_pd(_mm512_ternarylogic_epi64(
	    _mm512_castpd_si512(f), _mm512_slli_epi64(w, 59),
	    _mm512_set1_epi64((long long)(1ull << 63)), 0xf8));
	_mm256_storeu_ps(out, _mm512_cvtpd_ps(f));
#pragma GCC unroll 4
	for (int k = 0; k < 4; k++)
		*dst[k] = out[2 * k];
	return (unsigned)bad;
}
#endif

/* The separators after each value (',' or ']') are found 64 bytes at a
 * time, so that where a value ends is known before it is parsed: the
 * values of a row are parsed side by side, where reading them one after
 * the other (each from the end of the last) made the processor wait on
 * every byte. */
static inline __attribute__((always_inline)) int
rows(const char **pp, const char *end, struct sj_rows *r, int simd)
{
	const unsigned char *p = (const unsigned char *)*pp;
	const unsigned char *e = (const unsigned char *)end, *sep;
	struct sepq q;
	unsigned qi = 0, qn = 0;
	float sink = 0;		/* where dropped values go */

	if (r->n == 0) {
		p = ws(p, e);
		if (p >= e || *p != '[')
			return -1;
		p = ws(p + 1, e);
		if (p < e && *p == ']') {
			*pp = (const char *)p + 1;
			return 0;
		}
	}
	q.lo = q.blk = p;
	if (simd < 2)
		q.mask = seps(q.blk, e);
	for (;;) {
		size_t i = r->n, k = 0;

		p = ws(p, e);
		if (p >= e || *p != '[')
			return -1;
		p++;
#if defined(__x86_64__)
		for (; simd >= 2 && k + 4 <= r->width; k += 4) {
			const unsigned char *b[4], *s[4];
			float *dst[4];
			unsigned slow;

			if (next_sep4(&q, &qi, &qn, e, s) < 0)
				return -1;
			/* unrolled, so that b, s and dst stay in registers;
			 * in a body written with ", " (Python's json.dumps),
			 * the space skipped (reading it in the others took 6%
			 * longer: one more wait on memory for each value) */
#pragma GCC unroll 4
			for (int j = 0; j < 4; j++) {
				b[j] = simd == 3 ? p + (*p == ' ') : p;
				p = s[j] + 1;
				dst[j] = r->col[k + j] ? &r->col[k + j][i] :
				    &sink;
			}
			/* the first values of a call may lie too near the
			 * bytes it may read; num4_avx512 checks the separators
			 * of the lanes it reads */
			slow = s[0] - q.lo >= 15 ? num4_avx512(b, s, dst,
			    k + 4 == r->width) : 15;
			for (int j = 0; slow; j++, slow >>= 1)
				if ((slow & 1) && (*s[j] != (k + j + 1 <
				    r->width ? ',' : ']') ||
				    value(b[j], s[j], e, dst[j], simd) < 0))
					return -1;
		}
#endif
		for (; k < r->width; k++) {
			float *dst = r->col[k] ? &r->col[k][i] : &sink;

			sep = next_sep(&q, &qi, &qn, e, simd);
			if (!sep || *sep != (k + 1 < r->width ? ',' : ']'))
				return -1;
			if (value(p, sep, e, dst, simd) < 0)
				return -1;
			p = sep + 1;
		}
		r->n++;
		if (!(sep = next_sep(&q, &qi, &qn, e, simd)) || ws(p, sep) != sep)
			return -1;
		if (*sep == ']') {
			*pp = (const char *)sep + 1;
			return 0;
		}
		p = sep + 1;
		if (r->n == r->cap) {
			*pp = (const char *)p;
			return 1;
		}
	}
}

#if defined(__x86_64__)
__attribute__((target("ssse3"))) static int
rows_ssse3(const char **pp, const char *end, struct sj_rows *r)
{
	return rows(pp, end, r, 1);
}

/* 3 for a body that puts a space after its first comma, 2 for others */
__attribute__((target(AVX512))) static int
rows_avx512(const char **pp, const char *end, struct sj_rows *r)
{
	const char *c = memchr(*pp, ',', (size_t)(end - *pp < 256 ?
	    end - *pp : 256));

	if (c && c + 1 < end && c[1] == ' ')
		return rows(pp, end, r, 3);
	return rows(pp, end, r, 2);
}
#endif

int
sj_rows(const char **pp, const char *end, struct sj_rows *r)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vbmi2") &&
	    __builtin_cpu_supports("bmi2") && end - *pp < INT32_MAX)
		return rows_avx512(pp, end, r);
	if (__builtin_cpu_supports("ssse3"))
		return rows_ssse3(pp, end, r);
#endif
	return rows(pp, end, r, 0);
}
