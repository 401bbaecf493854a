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

/* The nine significant digits of a (finite, 1e-14 <= a < 2^53) as printf
 * rounds them (exactly, ties to even) into *d, 10^8 <= *d < 10^9, and the
 * decimal exponent of the first into *x: 1 on success, 0 when a lies
 * outside the range this exact integer method covers. */
static int
digits9(double a, uint64_t *d, int *x)
{
	int bexp, e10, k;
	uint64_t m;
	double f = frexp(a, &bexp);	/* a = f * 2^bexp, 0.5 <= f < 1 */

	m = (uint64_t)ldexp(f, 53);	/* exact: a = m * 2^k */
	k = bexp - 53;
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
	for (int i = 8; i >= 0; i--, d /= 10)
		dig[i] = (char)('0' + d % 10);
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
		p += sprintf(p, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
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
	char buf[MLP_PRED_CHARS];
	size_t nout = m->nout > 0 ? (size_t)m->nout : 1;

	for (size_t i = 0; i < nrows; i++) {
		const double *p = pred + i * nout;

		if (json) {
			if (!first || i)
				mlp_buf_addc(out, ',');
			if (nout > 1)
				mlp_buf_addc(out, '[');
		}
		for (size_t k = 0; k < nout; k++) {
			size_t len = mlp_pred_format(p[k], json, buf);

			if (k)
				mlp_buf_addc(out, ',');
			mlp_buf_add(out, buf, len);
		}
		if (json && nout > 1)
			mlp_buf_addc(out, ']');
		if (!json)
			mlp_buf_addc(out, '\n');
	}
}
