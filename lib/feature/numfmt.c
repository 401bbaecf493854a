/* Numbers as the feature store reads and writes them: strict decimal
 * parsing of ints, doubles and bools, and doubles printed the shortest way
 * that reads back exactly (Python's repr), fast. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../data/data.h"
#include "internal.h"

static inline int
digit(unsigned char c)
{
	return (unsigned)(c - '0') < 10;
}

static void
trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

static const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Checks and converts in one pass: the digits' value as an integer m and
 * a power of ten; Clinger's fast path (one exact operation) when m <=
 * 2^53 and the power is at most 22, as mlp_decimal_value, which does the
 * rest. */
int
fnum_parse_double(const char *s, size_t n, double *out)
{
	const unsigned char *p, *e;
	uint64_t m = 0;
	size_t nd = 0;
	long e10 = 0;
	int neg = 0;
	double v;

	trim(&s, &n);
	if (n && *s == '+')
		s++, n--;
	p = (const unsigned char *)s;
	e = p + n;
	if (p < e && *p == '-')
		neg = 1, p++;
	for (; p < e && digit(*p); p++, nd++)
		m = m * 10 + (uint64_t)(*p - '0');
	if (p < e && *p == '.')
		for (p++; p < e && digit(*p); p++, nd++, e10--)
			m = m * 10 + (uint64_t)(*p - '0');
	if (nd == 0)
		return -1;
	if (p < e && (*p == 'e' || *p == 'E')) {
		size_t ne = 0;
		long x = 0;
		int eneg = 0;

		p++;
		if (p < e && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < e && digit(*p); p++, ne++)
			if (x < 100000)
				x = x * 10 + (*p - '0');
		if (ne == 0)
			return -1;
		e10 += eneg ? -x : x;
	}
	if (p != e)
		return -1;
	if (nd <= 19 && m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
		v = (double)m;
		v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
		*out = neg ? -v : v;
		return 0;
	}
	v = mlp_decimal_value(s, n);
	if (!isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int
fnum_parse_int(const char *s, size_t n, int64_t *out)
{
	uint64_t m = 0, lim;
	size_t i = 0;
	int neg = 0;

	trim(&s, &n);
	if (n && (s[0] == '-' || s[0] == '+'))
		neg = s[0] == '-', i = 1;
	if (i == n)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || m > (lim - d) / 10)
			return -1;
		m = m * 10 + d;
	}
	*out = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

int
fnum_parse_bool(const char *s, size_t n, int *out)
{
	trim(&s, &n);
	if ((n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 1 && *s == '1'))
		*out = 1;
	else if ((n == 5 && strncasecmp(s, "false", 5) == 0) ||
	    (n == 1 && *s == '0'))
		*out = 0;
	else
		return -1;
	return 0;
}

size_t
fnum_fmt_int(int64_t v, char *out)
{
	char tmp[24];
	uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, len = 0;

	do {
		tmp[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	out[len] = '\0';
	return len;
}

/* 10^0 .. 10^27, exact as long doubles (5^27 < 2^64). */
static const long double pow10l_exact[28] = {
	1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L,
	1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
	1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

static const uint64_t pow10_u[20] = {
	UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000),
	UINT64_C(10000), UINT64_C(100000), UINT64_C(1000000),
	UINT64_C(10000000), UINT64_C(100000000), UINT64_C(1000000000),
	UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
};

/* Lays out the digits d[0..nd) (no trailing zeros) with decimal exponent
 * e10 (of the first digit) as repr does; returns the length. */
static size_t
layout(char *out, int neg, const char *d, int nd, int e10)
{
	char *o = out;

	if (neg)
		*o++ = '-';
	if (e10 >= -4 && e10 < 16) {
		if (e10 >= 0) {
			for (int i = 0; i <= e10; i++)
				*o++ = i < nd ? d[i] : '0';
			*o++ = '.';
			if (nd > e10 + 1) {
				memcpy(o, d + e10 + 1, (size_t)(nd - e10 - 1));
				o += nd - e10 - 1;
			} else {
				*o++ = '0';
			}
		} else {
			*o++ = '0';
			*o++ = '.';
			for (int i = -1; i > e10; i--)
				*o++ = '0';
			memcpy(o, d, (size_t)nd);
			o += nd;
		}
	} else {
		int x = e10 < 0 ? -e10 : e10;

		*o++ = d[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)(nd - 1));
			o += nd - 1;
		}
		*o++ = 'e';
		*o++ = e10 < 0 ? '-' : '+';
		if (x >= 100)
			*o++ = (char)('0' + x / 100);
		*o++ = (char)('0' + x / 10 % 10);
		*o++ = (char)('0' + x % 10);
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* The p significant digits of a (> 0) rounded, and the exponent of the
 * first: 0, or -1 when a is outside the range the table covers. */
static int
digits(double a, int p, uint64_t *m, int *e10)
{
	int e2, e, k;
	long double x;
	uint64_t r;

	frexp(a, &e2);
	/* 10^e <= a < 10^(e+1), give or take one */
	e = (int)floor((e2 - 1) * 0.30102999566398120);
	k = p - 1 - e;
	if (k > 27 || k < -27)
		return -1;
	x = k >= 0 ? (long double)a * pow10l_exact[k] :
	    (long double)a / pow10l_exact[-k];
	r = (uint64_t)nearbyintl(x);
	if (r >= pow10_u[p]) {
		e++;
		k--;
		if (k > 27 || k < -27)
			return -1;
		x = k >= 0 ? (long double)a * pow10l_exact[k] :
		    (long double)a / pow10l_exact[-k];
		r = (uint64_t)nearbyintl(x);
	} else if (r < pow10_u[p - 1]) {
		e--;
		k++;
		if (k > 27)
			return -1;
		x = k >= 0 ? (long double)a * pow10l_exact[k] :
		    (long double)a / pow10l_exact[-k];
		r = (uint64_t)nearbyintl(x);
	}
	if (r >= pow10_u[p]) {	/* rounded up to a power of ten */
		r /= 10;
		e++;
	}
	if (r < pow10_u[p - 1])
		return -1;
	*m = r;
	*e10 = e;
	return 0;
}


static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"68697071727374757677787980818283848586878889909192939495969798"
	"99";

/* Writes m's decimal digits ending at end (exclusive); returns the start. */
static char *
digits_back(uint64_t m, char *end)
{
	while (m >= 100) {
		unsigned r = (unsigned)(m % 100);

		m /= 100;
		end -= 2;
		memcpy(end, digit_pairs + 2 * r, 2);
	}
	if (m >= 10) {
		end -= 2;
		memcpy(end, digit_pairs + 2 * m, 2);
	} else {
		*--end = (char)('0' + m);
	}
	return end;
}

typedef unsigned __int128 u128;

/* 10^0 .. 10^22 */
static const u128 pow10_128[23] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, UINT64_C(10000000000), UINT64_C(100000000000),
	UINT64_C(1000000000000), UINT64_C(10000000000000),
	UINT64_C(100000000000000), UINT64_C(1000000000000000),
	UINT64_C(10000000000000000), UINT64_C(100000000000000000),
	UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
	(u128)UINT64_C(10000000000000000000) * 10,
	(u128)UINT64_C(10000000000000000000) * 100,
	(u128)UINT64_C(10000000000000000000) * 1000,
};

/* The p significant digits of a (> 0, normal), rounded exactly, and
 * whether they read back as a: 1 yes, 0 no, -1 when a is out of the range
 * 128-bit integers cover (or a power of two, whose lower neighbour is
 * nearer). a = m / 2^s; the digits D stand for D / 10^k; they read back
 * when |D / 10^k - m / 2^s| < 1 / 2^(s+1) (half an ulp; a tie goes to the
 * even m), that is |D * 2^(s+1) - 2 m 10^k| < 10^k, all in integers. */
static int
exact_digits(double a, int p, uint64_t *dout, int *e10out)
{
	uint64_t bits, m;
	int be, s, e10;

	memcpy(&bits, &a, 8);
	be = (int)(bits >> 52 & 0x7ff);
	m = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(1) << 52;
	s = 1075 - be;		/* a = m / 2^s */
	if (be == 0 || s < 1 || s > 70 || m == UINT64_C(1) << 52)
		return -1;
	/* 10^e10 <= a < 10^(e10+1), give or take one: floor((e2 - 1) *
	 * log10(2)) for a in [2^(e2-1), 2^e2), e2 = be - 1022 */
	e10 = ((be - 1023) * 78913) >> 18;
	for (int tries = 0; tries < 3; tries++) {
		int k = p - 1 - e10;
		u128 n, d, rem, lhs, rhs, diff;

		if (k < 0 || k > 22)
			return -1;
		n = (u128)m * pow10_128[k];
		/* rounded half to even, as Python's repr */
		d = n >> s;
		rem = n & (((u128)1 << s) - 1);
		if (rem > (u128)1 << (s - 1) || (rem == (u128)1 << (s - 1) &&
		    (d & 1)))
			d++;
		if (d >= pow10_u[p]) {
			e10++;
			continue;
		}
		if (d < pow10_u[p - 1]) {
			e10--;
			continue;
		}
		lhs = d << (s + 1);
		rhs = n << 1;
		diff = lhs > rhs ? lhs - rhs : rhs - lhs;
		*dout = (uint64_t)d;
		*e10out = e10;
		return diff < pow10_128[k] || (diff == pow10_128[k] && !(m & 1));
	}
	return -1;
}

/* Values as data often holds them, a few decimals: the least k <= 8 for
 * which m = round(a * 10^k) gives m / 10^k == a. Both are exact doubles
 * (m < 2^53), so that division is what a correctly rounding reader
 * computes for the text of m with k decimals: the text reads back as a,
 * and with the fewest digits a fixed form can have. A product far from a
 * whole number is passed over without dividing. Returns the length, or 0
 * when no such k is found. */
static size_t
fmt_fixed(double a, int neg, char *out)
{
	for (int k = 0; k <= 8; k++) {
		double x = a * pow10_exact[k], r;
		uint64_t m, ip, fp;
		char tmp[24], *p, *o = out;

		if (x >= 9007199254740992.0)
			return 0;
		r = (double)(uint64_t)(x + 0.5);
		if (fabs(x - r) > x * 1e-15 + 1e-300 || r / pow10_exact[k] != a)
			continue;
		m = (uint64_t)r;
		if (neg)
			*o++ = '-';
		ip = m / (uint64_t)pow10_exact[k];
		fp = m % (uint64_t)pow10_exact[k];
		p = digits_back(ip, tmp + sizeof(tmp));
		memcpy(o, p, (size_t)(tmp + sizeof(tmp) - p));
		o += tmp + sizeof(tmp) - p;
		*o++ = '.';
		if (k == 0) {
			*o++ = '0';
		} else {
			p = digits_back(fp, tmp + sizeof(tmp));
			for (int z = (int)(tmp + sizeof(tmp) - p); z < k; z++)
				*o++ = '0';
			memcpy(o, p, (size_t)(tmp + sizeof(tmp) - p));
			o += tmp + sizeof(tmp) - p;
		}
		*o = '\0';
		return (size_t)(o - out);
	}
	return 0;
}

size_t
fnum_fmt_double(double v, char *out)
{
	double a = fabs(v);
	int neg = signbit(v) != 0;
	size_t len;

	if (a == 0)
		return layout(out, neg, "0", 1, 0);
	if (a >= 1e-4 && a < 1e15 && (len = fmt_fixed(a, neg, out)) > 0)
		return len;
	/* the first of 15, 16 and 17 digits that reads back, exactly: of
	 * normal doubles, one that has a form of 15 digits or fewer has it
	 * as its 15 digits rounded, trailing zeros dropped */
	for (int p = 15; p <= 17; p++) {
		char d[24], *q;
		uint64_t m;
		int e10, r = exact_digits(a, p, &m, &e10), nd;

		/* out of range: 15 digits of 1e15 and more need a k < 0
		 * that 16 do not; else none will do */
		if (r <= 0)
			continue;
		q = digits_back(m, d + sizeof(d));
		nd = (int)(d + sizeof(d) - q);
		while (nd > 1 && q[nd - 1] == '0')
			nd--;
		return layout(out, neg, q, nd, e10);
	}
	/* past what 128 bits cover: long doubles, checked by reading back */
	for (int p = 15; p <= 17; p++) {
		char d[20], txt[40];
		uint64_t m;
		int e10, nd = p;

		if (digits(a, p, &m, &e10) < 0)
			break;
		for (int i = p - 1; i >= 0; i--) {
			d[i] = (char)('0' + m % 10);
			m /= 10;
		}
		while (nd > 1 && d[nd - 1] == '0')
			nd--;
		if (mlp_decimal_value(txt, layout(txt, 0, d, nd, e10)) == a)
			return layout(out, neg, d, nd, e10);
	}
	/* far out of range, or a rounding the fast path got wrong: as
	 * above, the first of 15, 16 and 17 digits that reads back; a
	 * subnormal, of fewer bits, may need fewer digits than 15 */
	for (int p = a < DBL_MIN ? 1 : 15; p <= 17; p++) {
		char txt[40], *e, d[20];
		int nd = 0, e10;

		snprintf(txt, sizeof(txt), "%.*e", p - 1, a);
		if (mlp_decimal_value(txt, strlen(txt)) != a && p < 17)
			continue;
		/* "d.ddde+XX" */
		e = strchr(txt, 'e');
		for (char *c = txt; c < e; c++)
			if (*c != '.')
				d[nd++] = *c;
		while (nd > 1 && d[nd - 1] == '0')
			nd--;
		e10 = (int)strtol(e + 1, NULL, 10);
		return layout(out, neg, d, nd, e10);
	}
	return 0;
}
