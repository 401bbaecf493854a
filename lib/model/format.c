/* Predictions as text: what mlp predict prints and mlp serve answers, so
 * that both give the same bytes for the same rows. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

/* 10^0 .. 10^19, exact in 64 bits. */
static const uint64_t p10[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
	10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
	100000000000ull, 1000000000000ull, 10000000000000ull,
	100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull,
};

/* "00" "01" ... "99": two decimal digits at a time. */
static const char pairs[201] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

/* The nine significant digits of a (finite, 1e-14 <= a < 2^53) as printf
 * rounds them (exactly, ties to even) into *d, 10^8 <= *d < 10^9, and the
 * decimal exponent of the first into *x: 1 on success, 0 when a lies
 * outside the range this exact integer method covers. */
static int
digits9(double a, uint64_t *d, int *x)
{
	int bexp, e10, k;
	uint64_t m, bits;

	memcpy(&bits, &a, sizeof(bits));
	if (!(bits >> 52))	/* subnormal: far below 1e-14 */
		return 0;
	/* a = m * 2^k exactly, 2^52 <= m < 2^53; a = f * 2^bexp with
	 * 0.5 <= f < 1, as frexp says */
	m = (bits & ((1ull << 52) - 1)) | 1ull << 52;
	k = (int)(bits >> 52 & 0x7ff) - 1075;
	bexp = k + 53;
	if (k > 0)
		return 0;
	/* floor(log10(a)) or one less; fixed below */
	e10 = (int)((bexp - 1) * 0.30102999566398120) - ((bexp - 1) < 0);
	for (int tries = 0; tries < 3; tries++) {
		int p = 8 - e10, sh = -k;
		unsigned __int128 num, rem, half;
		uint64_t q;

		if (p < 0 || p > 22 || sh > 126)
			return 0;
		num = (unsigned __int128)m * p10[p < 19 ? p : 19];
		if (p > 19)	/* m * 10^22 < 2^127 */
			num *= p10[p - 19];
		q = (uint64_t)(num >> sh);
		rem = num & (((unsigned __int128)1 << sh) - 1);
		half = sh ? (unsigned __int128)1 << (sh - 1) : 0;
		if (sh && (rem > half || (rem == half && (q & 1))))
			q++;
		if (q >= 1000000000u) {
			e10++;
			continue;
		}
		if (q < 100000000u) {
			e10--;
			continue;
		}
		*d = q;
		*x = e10;
		return 1;
	}
	return 0;
}

/* "%.9g" of v, exact as printf, without printf for the values
 * predictions take; anything else goes to snprintf. */
static size_t
fmt_g9(double v, char *buf)
{
	char dig[9], *p = buf;
	uint64_t d;
	int x, nd = 9;

	if (!isfinite(v) || v == 0 || !digits9(fabs(v), &d, &x)) {
		int k = snprintf(buf, MLP_PRED_CHARS, "%.9g", v);
		return k < 0 ? 0 : (size_t)k;
	}
	{
		/* the first digit, then four pairs of two, each independent
		 * of the others */
		uint32_t lo8 = (uint32_t)(d % 100000000u);
		uint32_t a = lo8 / 10000, b = lo8 % 10000;

		dig[0] = (char)('0' + d / 100000000u);
		memcpy(dig + 1, pairs + 2 * (a / 100), 2);
		memcpy(dig + 3, pairs + 2 * (a % 100), 2);
		memcpy(dig + 5, pairs + 2 * (b / 100), 2);
		memcpy(dig + 7, pairs + 2 * (b % 100), 2);
	}
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (v < 0)
		*p++ = '-';
	if (x < -4 || x >= 9) {
		*p++ = dig[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)nd - 1);
			p += nd - 1;
		}
		/* |x| <= 15 in the range digits9 takes: two digits, as
		 * printf's "e%+03d" gives */
		*p++ = 'e';
		*p++ = x < 0 ? '-' : '+';
		memcpy(p, pairs + 2 * (x < 0 ? -x : x), 2);
		p += 2;
		*p = '\0';
		return (size_t)(p - buf);
	}
	if (x < 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = -1; i > x; i--)
			*p++ = '0';
		memcpy(p, dig, (size_t)nd);
		p += nd;
	} else {
		memcpy(p, dig, (size_t)x + 1);
		p += x + 1;
		if (nd > x + 1) {
			*p++ = '.';
			memcpy(p, dig + x + 1, (size_t)(nd - x - 1));
			p += nd - x - 1;
		}
	}
	*p = '\0';
	return (size_t)(p - buf);
}

size_t
mlp_pred_format(double v, int json, char *buf)
{
	if (json && !isfinite(v)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	return fmt_g9(v, buf);
}

void
mlp_pred_append(struct mlp_buf *out, const struct mlp_model *m,
    const double *pred, size_t nrows, int json, int first)
{
	size_t nout = m->nout > 0 ? (size_t)m->nout : 1;

	for (size_t i = 0; i < nrows; i++) {
		const double *p = pred + i * nout;
		char *w;

		/* room for the row: its numbers (each written with its
		 * '\0'), separators and brackets */
		mlp_buf_grow(out, nout * (MLP_PRED_CHARS + 1) + 3);
		w = out->s + out->len;
		if (json) {
			if (!first || i)
				*w++ = ',';
			if (nout > 1)
				*w++ = '[';
		}
		for (size_t k = 0; k < nout; k++) {
			if (k)
				*w++ = ',';
			w += mlp_pred_format(p[k], json, w);
		}
		if (json && nout > 1)
			*w++ = ']';
		if (!json)
			*w++ = '\n';
		out->len = (size_t)(w - out->s);
		out->s[out->len] = '\0';
	}
}
