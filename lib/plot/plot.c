/* Line plots of metrics against step: braille text and SVG renderings. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

#define TEXT_MINW 20
#define TEXT_MINH 5
#define TEXT_MAXW 1000
#define TEXT_MAXH 1000
#define SVG_MINW 200
#define SVG_MINH 120
#define SVG_MAXW 20000
#define SVG_MAXH 20000

/* One palette for both renderings: ANSI 256-colour indexes and hex. */
static const struct {
	int ansi;
	const char *hex;
} palette[] = {
	{ 33, "#1f77b4" },	/* blue */
	{ 208, "#ff7f0e" },	/* orange */
	{ 34, "#2ca02c" },	/* green */
	{ 160, "#d62728" },	/* red */
	{ 170, "#b84fc4" },	/* magenta */
	{ 37, "#17becf" },	/* cyan */
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* What the first pass learns: the data ranges and, per series, the count
 * and position of its finite points. */
struct range {
	double xlo, xhi, ylo, yhi;
};

struct sinfo {
	size_t nfinite;
	size_t last;		/* index of the last finite point */
};

/* A grid of dots, each holding the 1-based index of the last series drawn
 * through it (0 = empty). */
struct canvas {
	int w, h;
	uint16_t *d;
};

static int
plot_finite(const struct mlp_series *s, size_t i)
{
	return isfinite(s->x[i]) && isfinite(s->y[i]);
}

static int
plot_scan(const struct mlp_series *s, size_t ns, struct sinfo *si,
    struct range *r, struct mlp_err *err)
{
	size_t total = 0;

	r->xlo = r->ylo = INFINITY;
	r->xhi = r->yhi = -INFINITY;
	for (size_t k = 0; k < ns; k++) {
		si[k].nfinite = 0;
		si[k].last = 0;
		if (s[k].n && (!s[k].x || !s[k].y))
			return mlp_err_set(err, MLP_EINVAL,
			    "series %zu has %zu points but no data", k + 1,
			    s[k].n);
		for (size_t i = 0; i < s[k].n; i++) {
			double x = s[k].x[i], y = s[k].y[i];

			if (!plot_finite(&s[k], i))
				continue;
			if (x < r->xlo)
				r->xlo = x;
			if (x > r->xhi)
				r->xhi = x;
			if (y < r->ylo)
				r->ylo = y;
			if (y > r->yhi)
				r->yhi = y;
			si[k].nfinite++;
			si[k].last = i;
		}
		total += si[k].nfinite;
	}
	if (!total)
		return mlp_err_set(err, MLP_EINVAL,
		    "nothing to plot: no finite values");
	return 0;
}

/* Widens a range that is empty or too narrow to label (all values equal
 * up to rounding) so the data sits in its middle. */
static void
plot_pad(double *lo, double *hi, int isx)
{
	double mid, pad, m = fmax(fabs(*lo), fabs(*hi));

	if (*hi - *lo > m * 1e-12)
		return;
	mid = *lo / 2 + *hi / 2;
	if (isx)
		pad = fabs(mid) >= 20 ? fabs(mid) * 0.05 : 1;
	else
		pad = mid == 0 ? 1 : fabs(mid) * 0.1;
	*lo = mid - pad;
	*hi = mid + pad;
	if (!isfinite(*lo))
		*lo = -DBL_MAX;
	if (!isfinite(*hi))
		*hi = DBL_MAX;
	if (!(*lo < *hi)) {
		/* pad lost to underflow near the smallest doubles */
		*lo = mid - 1;
		*hi = mid + 1;
	}
}

/* Where v lies in [lo, hi], from 0 to 1, without overflowing on ranges
 * wider than DBL_MAX. */
static double
plot_frac(double v, double lo, double hi)
{
	double f, d = hi - lo;

	if (isfinite(d))
		f = (v - lo) / d;
	else
		f = (v / 2 - lo / 2) / (hi / 2 - lo / 2);
	if (!(f >= 0))
		return 0;
	return f > 1 ? 1 : f;
}

static void
tick_label(char *out, size_t sz, double v, int k, int sci)
{
	int p;

	if (v == 0) {
		snprintf(out, sz, "0");
	} else if (!sci) {
		snprintf(out, sz, "%.*f", k < 0 ? -k : 0, v);
	} else {
		p = (int)floor(log10(fabs(v))) - k + 1;
		p = p < 1 ? 1 : p > 17 ? 17 : p;
		snprintf(out, sz, "%.*g", p, v);
	}
}

/* Tries the step m * 10^k; fills t and returns 1 when it gives between
 * 1 (2 when loose) and max ticks. */
static int
ticks_try(struct mlp_plot_ticks *t, double lo, double hi, int m, int k,
    int max, int loose)
{
	double p = pow(10, abs(k)), s = k >= 0 ? m * p : m / p;
	double a, b, maxabs;
	int n;

	if (!isfinite(s) || s <= 0)
		return 0;
	if (loose) {
		a = floor(lo / s + 1e-9);
		b = ceil(hi / s - 1e-9);
	} else {
		a = ceil(lo / s - 1e-9);
		b = floor(hi / s + 1e-9);
	}
	if (!isfinite(a) || !isfinite(b) || b - a + 1 > max ||
	    b - a + 1 < (loose ? 2 : 1))
		return 0;
	n = (int)(b - a + 1);
	for (int i = 0; i < n; i++) {
		/* dividing by 10^-k keeps 0.3 from becoming 0.300...04 */
		double q = a + i, v = k >= 0 ? q * m * p : q * m / p;

		if (!isfinite(v))
			return 0;
		t->v[i] = v == 0 ? 0 : v;
	}
	t->n = n;
	t->step = s;
	maxabs = fmax(fabs(t->v[0]), fabs(t->v[n - 1]));
	for (int i = 0; i < n; i++)
		tick_label(t->label[i], sizeof(t->label[i]), t->v[i], k,
		    maxabs >= 1e6 || k < -4);
	return 1;
}

int
mlp_plot_ticks(struct mlp_plot_ticks *t, double lo, double hi, int max,
    int loose, struct mlp_err *err)
{
	static const int mult[] = { 1, 2, 5 };
	double span;

	if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
		return mlp_err_set(err, MLP_EINVAL,
		    "cannot place ticks on range [%g, %g]", lo, hi);
	if (max < 2 || max > MLP_PLOT_MAXTICKS)
		return mlp_err_set(err, MLP_EINVAL,
		    "tick count %d out of range 2..%d", max,
		    MLP_PLOT_MAXTICKS);
	memset(t, 0, sizeof(*t));
	span = hi / 2 - lo / 2;	/* half the span never overflows */
	if (span > 0) {
		int k0 = (int)floor(log10(span) + log10(2.0) -
		    log10(max - 1));

		for (int k = k0 - 1; k <= k0 + 3; k++)
			for (int j = 0; j < 3; j++)
				if (ticks_try(t, lo, hi, mult[j], k, max,
				    loose))
					return 0;
		if (loose)
			return mlp_plot_ticks(t, lo, hi, max, 0, err);
	}
	t->n = 2;
	t->v[0] = lo;
	t->v[1] = hi;
	t->step = span * 2;
	snprintf(t->label[0], sizeof(t->label[0]), "%.6g", lo);
	snprintf(t->label[1], sizeof(t->label[1]), "%.6g", hi);
	return 0;
}

/* Ticks for one axis, widening [*lo, *hi] to the outer ticks when always
 * is set or when that widens the range by no more than 5%. */
static void
axis_ticks(struct mlp_plot_ticks *t, double *lo, double *hi, int max,
    int always)
{
	struct mlp_plot_ticks tight;

	mlp_plot_ticks(t, *lo, *hi, max, 1, NULL);
	if (!always && t->v[t->n - 1] / 2 - t->v[0] / 2 >
	    (*hi / 2 - *lo / 2) * 1.05) {
		mlp_plot_ticks(&tight, *lo, *hi, max, 0, NULL);
		if (tight.n >= 2) {
			*t = tight;
			return;
		}
	}
	if (t->v[0] < *lo)
		*lo = t->v[0];
	if (t->v[t->n - 1] > *hi)
		*hi = t->v[t->n - 1];
}

static void
canvas_init(struct canvas *cv, int w, int h)
{
	cv->w = w;
	cv->h = h;
	cv->d = xcalloc((size_t)w * (size_t)h, sizeof(*cv->d));
}

static void
canvas_release(struct canvas *cv)
{
	free(cv->d);
	cv->d = NULL;
}

static void
canvas_set(struct canvas *cv, int x, int y, uint16_t id)
{
	if (x >= 0 && x < cv->w && y >= 0 && y < cv->h)
		cv->d[(size_t)y * (size_t)cv->w + (size_t)x] = id;
}

static void
canvas_line(struct canvas *cv, int x0, int y0, int x1, int y1, uint16_t id)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;

	for (;;) {
		int e2 = 2 * e;

		canvas_set(cv, x0, y0, id);
		if (x0 == x1 && y0 == y1)
			break;
		if (e2 >= dy) {
			e += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			e += dx;
			y0 += sy;
		}
	}
}

static void
canvas_map(const struct canvas *cv, const struct range *r, double x,
    double y, int *px, int *py)
{
	*px = (int)lround(plot_frac(x, r->xlo, r->xhi) * (cv->w - 1));
	*py = (int)lround((1 - plot_frac(y, r->ylo, r->yhi)) * (cv->h - 1));
}

/*
 * Draws one series. The points falling in one dot column are joined by
 * vertical moves only, so their union is the span from the lowest to the
 * highest: a column is drawn once when the line leaves it, which keeps
 * millions of points cheap.
 */
static void
canvas_series(struct canvas *cv, const struct mlp_series *s,
    const struct range *r, uint16_t id)
{
	int have = 0, cx = 0, ymin = 0, ymax = 0, ylast = 0, px, py;

	for (size_t i = 0; i < s->n; i++) {
		if (!plot_finite(s, i))
			continue;
		canvas_map(cv, r, s->x[i], s->y[i], &px, &py);
		if (have && px == cx) {
			ymin = py < ymin ? py : ymin;
			ymax = py > ymax ? py : ymax;
			ylast = py;
			continue;
		}
		if (have) {
			canvas_line(cv, cx, ymin, cx, ymax, id);
			canvas_line(cv, cx, ylast, px, py, id);
		}
		have = 1;
		cx = px;
		ymin = ymax = ylast = py;
	}
	if (have)
		canvas_line(cv, cx, ymin, cx, ymax, id);
}

/* Decodes one UTF-8 character; returns its length and the code point in
 * *cp, or 1 and -1 for a byte that does not start a valid character. */
static int
utf8_dec(const unsigned char *s, long *cp)
{
	unsigned c = s[0];
	long v;
	int n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
	} else {
		*cp = -1;
		return 1;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = -1;
			return 1;
		}
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 ||
	    v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff)) {
		*cp = -1;
		return 1;
	}
	*cp = v;
	return n;
}

/* Width of user text in columns, counting a character as one. */
static int
text_cols(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;
	long cp;

	while (*p) {
		p += utf8_dec(p, &cp);
		n++;
	}
	return n;
}

/*
 * Appends user text, cut to max columns with an ellipsis. Control
 * characters (which could drive the terminal) and invalid UTF-8 become
 * '?'; with xml set, & < > " are escaped. Returns the columns written.
 */
static int
add_text(struct mlp_buf *b, const char *s, int max, int xml)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = text_cols(s), n = 0;

	if (max <= 0)
		return 0;
	while (*p) {
		long cp;
		int len;

		if (cols > max && n == max - 1) {
			mlp_buf_adds(b, "…");
			return max;
		}
		len = utf8_dec(p, &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe ||
		    cp == 0xffff)
			mlp_buf_addc(b, '?');
		else if (xml && cp == '&')
			mlp_buf_adds(b, "&amp;");
		else if (xml && cp == '<')
			mlp_buf_adds(b, "&lt;");
		else if (xml && cp == '>')
			mlp_buf_adds(b, "&gt;");
		else if (xml && cp == '"')
			mlp_buf_adds(b, "&quot;");
		else
			mlp_buf_add(b, p, (size_t)len);
		p += len;
		n++;
	}
	return n;
}

static void
add_spaces(struct mlp_buf *b, int n)
{
	while (n-- > 0)
		mlp_buf_addc(b, ' ');
}

/* The character that tags series i where it ends and in the legend. */
static char
series_mark(size_t i)
{
	if (i < 9)
		return (char)('1' + i);
	if (i < 35)
		return (char)('a' + i - 9);
	return '+';
}

static void
ansi_color(struct mlp_buf *b, size_t i)
{
	mlp_buf_addf(b, "\033[38;5;%dm", palette[i % NPALETTE].ansi);
}

/* Text plot layout: rows and columns, and the ticks along each axis. */
struct tlayout {
	int W, H;
	int top;		/* lines above the canvas: 0, 1 or 2 */
	int R, C;		/* canvas rows and columns (characters) */
	int CW;			/* C plus the column for end tags */
	int L;			/* width of the y tick labels */
	int xl;			/* 1 when the x label has its own line */
	struct mlp_plot_ticks yt, xt;
	int xcol[MLP_PLOT_MAXTICKS];	/* canvas column of each x tick */
	int xpos[MLP_PLOT_MAXTICKS];	/* start of its label, -1 = none */
};

/* Places the x tick labels; returns 1 when all fit with two spaces
 * between them. */
static int
text_xlabels(struct tlayout *t, const struct range *r)
{
	int prev = -2, fits = 1;

	for (int i = 0; i < t->xt.n; i++) {
		int len = (int)strlen(t->xt.label[i]), c, start;

		c = (int)lround(plot_frac(t->xt.v[i], r->xlo, r->xhi) *
		    (2 * t->C - 1)) / 2;
		t->xcol[i] = c;
		start = t->L + 2 + c - (len - 1) / 2;
		if (start + len > t->W)
			start = t->W - len;
		if (start < 0)
			start = 0;
		if (i > 0 && start < prev + 2) {
			fits = 0;
			t->xpos[i] = -1;
			continue;
		}
		t->xpos[i] = start;
		prev = start + len;
	}
	return fits;
}

/*
 * Chooses y ticks for a text plot that each fall on the third dot row of
 * a character row, so a label is exact rather than off by up to half a
 * row: a nice step s, g rows per step, and a bottom row value that is a
 * multiple of s/g. Of the choices where the data fits, takes the one it
 * fills most of the height of, preferring 4 to 6 ticks (fewer on short
 * plots), centred. Sets r->ylo and r->yhi to the values at the bottom and
 * top dots; returns 0 when nothing fills at least 60%, leaving t and r
 * alone.
 */
static int
text_yaxis(struct mlp_plot_ticks *t, struct range *r, int R)
{
	static const int mult[] = { 1, 2, 5 };
	double span = r->yhi - r->ylo, best = -1, bb = 0, bu = 0;
	int nmax = (R + 1) / 2, nmin, bm = 0, bk = 0, bg = 0, k0;

	nmax = nmax < 2 ? 2 : nmax > 6 ? 6 : nmax;
	nmin = nmax < 4 ? nmax : 4;
	if (!isfinite(span) || !(span > 0))
		return 0;
	k0 = (int)floor(log10(span) - log10(nmax));
	for (int k = k0 - 1; k <= k0 + 2; k++)
		for (int j = 0; j < 3; j++)
			for (int g = 1; g < R; g++) {
				double p = pow(10, abs(k));
				double s = k >= 0 ? mult[j] * p : mult[j] / p;
				double u = s / g, bi, top, stop, sbot, cov;
				long long b0;
				int n = 0;

				if (!isfinite(s) || !(u > 0) ||
				    (R - 0.25) * u < span)
					continue;
				bi = floor(r->ylo / u + 0.25);
				if (!(fabs(bi) < 1e15))
					continue;
				top = bi + R - 0.5;
				if (top < r->yhi / u)
					continue;
				stop = top - r->yhi / u;
				sbot = r->ylo / u - (bi - 0.25);
				if (stop > sbot)
					bi -= floor((stop - sbot) / 2);
				if (!isfinite((bi + R) * u))
					continue;
				b0 = (long long)bi;
				for (int row = 0; row < R; row++)
					if ((b0 + row) % g == 0)
						n++;
				/* fewer ticks than wanted cost a fifth each */
				cov = span / ((R - 0.25) * u) *
				    pow(0.8, n < nmin ? nmin - n : 0);
				if (n < 2 || n > nmax || cov <= best)
					continue;
				best = cov;
				bb = bi;
				bu = u;
				bm = mult[j];
				bk = k;
				bg = g;
			}
	if (best < 0.6)
		return 0;
	memset(t, 0, sizeof(*t));
	for (int row = 0; row < R; row++) {
		long long q = (long long)bb + row;
		double p = pow(10, abs(bk)), v;

		if (q % bg)
			continue;
		q /= bg;
		v = bk >= 0 ? (double)q * bm * p : (double)q * bm / p;
		t->v[t->n++] = v == 0 ? 0 : v;
	}
	t->step = bk >= 0 ? bm * pow(10, bk) : bm / pow(10, -bk);
	for (int i = 0; i < t->n; i++)
		tick_label(t->label[i], sizeof(t->label[i]), t->v[i], bk,
		    fmax(fabs(t->v[0]), fabs(t->v[t->n - 1])) >= 1e6 ||
		    bk < -4);
	r->ylo = (bb - 0.25) * bu;
	r->yhi = (bb + R - 0.5) * bu;
	return 1;
}

static int
text_layout(struct tlayout *t, struct range *r, size_t ns, int markers,
    const char *title, const char *xlabel, const char *ylabel,
    struct mlp_err *err)
{
	int tw = title ? text_cols(title) : 0, yw = text_cols(ylabel), maxn;
	struct range r0 = *r;

	if (title && yw)
		t->top = yw + 2 + tw <= t->W ? 1 : 2;
	else
		t->top = title || yw ? 1 : 0;
	t->xl = *xlabel ? 1 : 0;
	t->R = t->H - t->top - 2 - t->xl - (int)ns;
	if (t->R < 2 && t->xl) {
		t->xl = 0;
		t->R++;
	}
	if (t->R < 2)
		return mlp_err_set(err, MLP_EINVAL,
		    "plot height %d too small for %zu series", t->H, ns);

	if (!text_yaxis(&t->yt, r, t->R)) {
		maxn = (t->R + 2) / 2;
		maxn = maxn < 3 ? 3 : maxn > 6 ? 6 : maxn;
		axis_ticks(&t->yt, &r->ylo, &r->yhi, maxn, 1);
	}
	t->L = 0;
	for (int i = 0; i < t->yt.n; i++)
		if ((int)strlen(t->yt.label[i]) > t->L)
			t->L = (int)strlen(t->yt.label[i]);
	t->C = t->W - t->L - 2 - (markers ? 2 : 0);
	t->CW = t->C + (markers ? 2 : 0);
	if (t->C < 8)
		return mlp_err_set(err, MLP_EINVAL,
		    "plot width %d too small for the y axis labels", t->W);

	maxn = t->C / 10 + 1;
	maxn = maxn < 2 ? 2 : maxn > 8 ? 8 : maxn;
	for (; maxn >= 2; maxn--) {
		r->xlo = r0.xlo;
		r->xhi = r0.xhi;
		axis_ticks(&t->xt, &r->xlo, &r->xhi, maxn, 0);
		if (text_xlabels(t, r))
			break;
	}
	return 0;
}

/* The braille dot bits of the character cell at row, col of the dot
 * canvas; *id gets the last series drawn through it (0 when empty). */
static int
canvas_cell(const struct canvas *cv, int row, int col, int *id)
{
	static const uint8_t bit[4][2] = {
		{ 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 }
	};
	int bits = 0;

	*id = 0;
	for (int dy = 0; dy < 4; dy++) {
		const uint16_t *d = cv->d + (size_t)(row * 4 + dy) *
		    (size_t)cv->w + (size_t)col * 2;

		for (int dx = 0; dx < 2; dx++)
			if (d[dx]) {
				bits |= bit[dy][dx];
				*id = d[dx] > *id ? d[dx] : *id;
			}
	}
	return bits;
}

/* Appends one canvas row: braille cells, end tags, colours. */
static void
text_row(struct mlp_buf *b, const struct tlayout *t, const struct canvas *cv,
    const char *tags, const uint16_t *tagid, int row, int color)
{
	int pending = 0, cur = 0;

	for (int c = 0; c < t->CW; c++) {
		int bits = 0, id = 0;
		char tag = tags[(size_t)row * (size_t)t->CW + (size_t)c];

		if (c < t->C)
			bits = canvas_cell(cv, row, c, &id);
		if (tag)
			id = tagid[(size_t)row * (size_t)t->CW + (size_t)c];
		if (!bits && !tag) {
			pending++;
			continue;
		}
		add_spaces(b, pending);
		pending = 0;
		if (color && id != cur) {
			ansi_color(b, (size_t)id - 1);
			cur = id;
		}
		if (tag) {
			mlp_buf_addc(b, tag);
		} else {
			/* U+2800 + bits in UTF-8 */
			mlp_buf_addc(b, (char)0xe2);
			mlp_buf_addc(b, (char)(0xa0 | bits >> 6));
			mlp_buf_addc(b, (char)(0x80 | (bits & 0x3f)));
		}
	}
	if (cur)
		mlp_buf_adds(b, "\033[0m");
}

/* Tags each series where it ends with its legend mark, in the first free
 * cell to the right of its last point. */
static void
text_tags(const struct tlayout *t, const struct canvas *cv,
    const struct mlp_series *s, size_t ns, const struct sinfo *si,
    const struct range *r, char *tags, uint16_t *tagid)
{
	static const int drs[] = { 0, -1, 1, -2, 2 };

	for (size_t k = 0; k < ns; k++) {
		int px, py, cr, cc, done = 0;

		if (!si[k].nfinite)
			continue;
		canvas_map(cv, r, s[k].x[si[k].last], s[k].y[si[k].last],
		    &px, &py);
		cr = py / 4;
		cc = px / 2;
		for (int dc = 1; dc <= 2 && !done; dc++)
			for (int j = 0; j < 5 && !done; j++) {
				int row = cr + drs[j], col = cc + dc, id;
				size_t at;

				if (row < 0 || row >= t->R || col >= t->CW)
					continue;
				at = (size_t)row * (size_t)t->CW + (size_t)col;
				if (tags[at] || (col < t->C &&
				    canvas_cell(cv, row, col, &id)))
					continue;
				tags[at] = series_mark(k);
				tagid[at] = (uint16_t)(k + 1);
				done = 1;
			}
	}
}

static void
text_legend(struct mlp_buf *b, const struct tlayout *t,
    const struct mlp_series *s, size_t ns, const struct sinfo *si,
    int markers, int color)
{
	static const char nofin[] = " (no finite values)";
	int indent = t->L + 2;

	if (t->W - indent - 3 - (markers ? 2 : 0) < 12)
		indent = 0;
	for (size_t k = 0; k < ns; k++) {
		const char *label = s[k].label ? s[k].label : "";
		int avail;

		add_spaces(b, indent);
		if (color)
			ansi_color(b, k);
		mlp_buf_adds(b, si[k].nfinite ? "━━" : "──");
		if (color)
			mlp_buf_adds(b, "\033[0m");
		avail = t->W - indent - 2;
		if (markers) {
			mlp_buf_addf(b, " %c", series_mark(k));
			avail -= 2;
		}
		if (*label && avail > 1) {
			int room;

			mlp_buf_addc(b, ' ');
			avail--;
			/* keep room for the note when the label can be cut */
			room = si[k].nfinite ? avail :
			    avail - (int)strlen(nofin);
			avail -= add_text(b, label, room < 4 ? avail : room, 0);
		}
		if (!si[k].nfinite) {
			const char *msg = *label ? nofin : nofin + 1;

			if (avail >= (int)strlen(msg))
				mlp_buf_adds(b, msg);
		}
		mlp_buf_addc(b, '\n');
	}
}

int
mlp_plot_text(struct mlp_buf *out, const struct mlp_series *s, size_t ns,
    const struct mlp_plot_opts *o, struct mlp_err *err)
{
	static const struct mlp_plot_opts defaults;
	struct mlp_buf b = MLP_BUF_INIT;
	struct sinfo *si = NULL;
	struct canvas cv = { 0, 0, NULL };
	struct tlayout t;
	struct range r;
	char *tags = NULL;
	uint16_t *tagid = NULL;
	int *rowlab = NULL;
	const char *title, *xlabel, *ylabel;
	int rc, markers, color;

	if (!o)
		o = &defaults;
	memset(&t, 0, sizeof(t));
	t.W = o->width ? o->width : 80;
	t.H = o->height ? o->height : 20;
	if (t.W < TEXT_MINW || t.H < TEXT_MINH) {
		rc = mlp_err_set(err, MLP_EINVAL,
		    "plot size %dx%d too small: at least %dx%d", t.W, t.H,
		    TEXT_MINW, TEXT_MINH);
		goto out;
	}
	if (t.W > TEXT_MAXW || t.H > TEXT_MAXH) {
		rc = mlp_err_set(err, MLP_EINVAL,
		    "plot size %dx%d too large: at most %dx%d", t.W, t.H,
		    TEXT_MAXW, TEXT_MAXH);
		goto out;
	}
	if (!ns) {
		rc = mlp_err_set(err, MLP_EINVAL,
		    "nothing to plot: no finite values");
		goto out;
	}
	if (ns > (size_t)t.H) {
		rc = mlp_err_set(err, MLP_EINVAL,
		    "plot height %d too small for %zu series", t.H, ns);
		goto out;
	}
	si = xcalloc(ns, sizeof(*si));
	if ((rc = plot_scan(s, ns, si, &r, err)) < 0)
		goto out;
	plot_pad(&r.xlo, &r.xhi, 1);
	plot_pad(&r.ylo, &r.yhi, 0);

	color = !!o->color;
	markers = ns > 1 && (!color || ns > NPALETTE);
	title = o->title && *o->title ? o->title : NULL;
	xlabel = o->xlabel ? o->xlabel : "step";
	ylabel = o->ylabel ? o->ylabel : "";
	if ((rc = text_layout(&t, &r, ns, markers, title, xlabel, ylabel,
	    err)) < 0)
		goto out;

	canvas_init(&cv, 2 * t.C, 4 * t.R);
	for (size_t k = 0; k < ns; k++)
		canvas_series(&cv, &s[k], &r, (uint16_t)(k + 1));
	tags = xcalloc((size_t)t.R * (size_t)t.CW, 1);
	tagid = xcalloc((size_t)t.R * (size_t)t.CW, sizeof(*tagid));
	if (markers)
		text_tags(&t, &cv, s, ns, si, &r, tags, tagid);

	/* title and y label */
	if (t.top) {
		int yw = text_cols(ylabel), tw = title ? text_cols(title) : 0;

		if (yw)
			add_text(&b, ylabel, t.W, 0);
		if (t.top == 2)
			mlp_buf_addc(&b, '\n');
		if (title) {
			int start = tw <= t.C ? t.L + 2 + (t.C - tw) / 2 :
			    tw <= t.W ? (t.W - tw) / 2 : 0;

			if (t.top == 1 && yw && start < yw + 2)
				start = yw + 2;
			add_spaces(&b, t.top == 1 ? start - yw : start);
			if (color)
				mlp_buf_adds(&b, "\033[1m");
			add_text(&b, title, t.W - start, 0);
			if (color)
				mlp_buf_adds(&b, "\033[0m");
		}
		mlp_buf_addc(&b, '\n');
	}

	/* canvas rows with the y axis */
	rowlab = xmalloc((size_t)t.R * sizeof(*rowlab));
	for (int i = 0; i < t.R; i++)
		rowlab[i] = -1;
	for (int i = 0; i < t.yt.n; i++) {
		int row = (int)lround((1 - plot_frac(t.yt.v[i], r.ylo, r.yhi)) *
		    (4 * t.R - 1)) / 4;

		if (rowlab[row] < 0)
			rowlab[row] = i;
	}
	for (int row = 0; row < t.R; row++) {
		const char *lab = rowlab[row] >= 0 ? t.yt.label[rowlab[row]] :
		    "";

		add_spaces(&b, t.L - (int)strlen(lab));
		mlp_buf_adds(&b, lab);
		mlp_buf_adds(&b, rowlab[row] >= 0 ? " ┤" : " │");
		text_row(&b, &t, &cv, tags, tagid, row, color);
		mlp_buf_addc(&b, '\n');
	}

	/* x axis, its tick labels and its name */
	add_spaces(&b, t.L + 1);
	mlp_buf_adds(&b, "└");
	for (int c = 0, i = 0; c < t.C; c++) {
		while (i < t.xt.n && t.xcol[i] < c)
			i++;
		mlp_buf_adds(&b, i < t.xt.n && t.xcol[i] == c ? "┬" : "─");
	}
	mlp_buf_addc(&b, '\n');
	for (int i = 0, at = 0; i < t.xt.n; i++) {
		if (t.xpos[i] < 0)
			continue;
		add_spaces(&b, t.xpos[i] - at);
		mlp_buf_adds(&b, t.xt.label[i]);
		at = t.xpos[i] + (int)strlen(t.xt.label[i]);
	}
	mlp_buf_addc(&b, '\n');
	if (t.xl) {
		int xw = text_cols(xlabel);
		int start = xw <= t.C ? t.L + 2 + (t.C - xw) / 2 :
		    xw <= t.W ? (t.W - xw) / 2 : 0;

		add_spaces(&b, start);
		add_text(&b, xlabel, t.W - start, 0);
		mlp_buf_addc(&b, '\n');
	}
	text_legend(&b, &t, s, ns, si, markers, color);
	mlp_buf_add(out, b.s, b.len);
	rc = 0;
out:
	mlp_buf_release(&b);
	canvas_release(&cv);
	free(si);
	free(tags);
	free(tagid);
	free(rowlab);
	return rc;
}

/* SVG: sizes in pixels for 12px sans-serif text. */
#define SVG_CHARW 7.6
#define SVG_INSET 6.0
#define SVG_ROWH 18.0

static void
svg_num(struct mlp_buf *b, double v)
{
	char tmp[64];
	size_t n;

	if (!isfinite(v))
		v = 0;
	snprintf(tmp, sizeof(tmp), "%.2f", v);
	/* 12.50 -> 12.5, 3.00 -> 3 */
	n = strlen(tmp);
	while (n && tmp[n - 1] == '0')
		n--;
	if (n && tmp[n - 1] == '.')
		n--;
	tmp[n] = '\0';
	mlp_buf_adds(b, strcmp(tmp, "-0") ? tmp : "0");
}

/* Appends " name=\"v\"" with v formatted as a coordinate. */
static void
svg_attr(struct mlp_buf *b, const char *name, double v)
{
	mlp_buf_addf(b, " %s=\"", name);
	svg_num(b, v);
	mlp_buf_addc(b, '"');
}

static void
svg_line(struct mlp_buf *b, double x1, double y1, double x2, double y2)
{
	mlp_buf_adds(b, "<line");
	svg_attr(b, "x1", x1);
	svg_attr(b, "y1", y1);
	svg_attr(b, "x2", x2);
	svg_attr(b, "y2", y2);
	mlp_buf_adds(b, "/>\n");
}

/* The plot area in pixels (the frame), the part of it the data range
 * maps onto (inset, so lines at the limits clear the frame), and that
 * range. */
struct sframe {
	double ax0, ay0, ax1, ay1;
	double x0, y0, x1, y1;
	struct range r;
};

static double
svg_x(const struct sframe *f, double x)
{
	return f->x0 + plot_frac(x, f->r.xlo, f->r.xhi) * (f->x1 - f->x0);
}

static double
svg_y(const struct sframe *f, double y)
{
	return f->y1 - plot_frac(y, f->r.ylo, f->r.yhi) * (f->y1 - f->y0);
}

/* One point kept by the thinning: its index and pixel position. */
struct spt {
	size_t i;
	double x, y;
};

/* The points of one half pixel column: first, lowest, highest, last. */
struct sthin {
	long key;
	int have;
	struct spt p[4];
};

static void
svg_point(struct mlp_buf *b, double x, double y)
{
	svg_num(b, x);
	mlp_buf_addc(b, ',');
	svg_num(b, y);
	mlp_buf_addc(b, ' ');
}

static void
thin_flush(struct mlp_buf *b, struct sthin *th)
{
	struct spt p[4];

	if (!th->have)
		return;
	memcpy(p, th->p, sizeof(p));
	for (int i = 1; i < 4; i++)
		for (int j = i; j > 0 && p[j].i < p[j - 1].i; j--) {
			struct spt tmp = p[j];

			p[j] = p[j - 1];
			p[j - 1] = tmp;
		}
	for (int i = 0; i < 4; i++)
		if (i == 0 || p[i].i != p[i - 1].i)
			svg_point(b, p[i].x, p[i].y);
	th->have = 0;
}

/* The dash pattern of series k: solid until the palette runs out. */
static const char *
series_dash(size_t k)
{
	static const char *dash[] = { NULL, "7 3", "2 3", "9 3 2 3" };

	return dash[k / NPALETTE % 4];
}

static void
svg_series(struct mlp_buf *b, const struct sframe *f,
    const struct mlp_series *s, const struct sinfo *si, size_t k)
{
	struct sthin th = { 0, 0, { { 0, 0, 0 } } };
	const char *da = series_dash(k);

	mlp_buf_addf(b, "<polyline stroke=\"%s\"", palette[k % NPALETTE].hex);
	if (da)
		mlp_buf_addf(b, " stroke-dasharray=\"%s\"", da);
	mlp_buf_adds(b, " points=\"");
	for (size_t i = 0; i < s->n; i++) {
		struct spt p;
		long key;

		if (!plot_finite(s, i))
			continue;
		p.i = i;
		p.x = svg_x(f, s->x[i]);
		p.y = svg_y(f, s->y[i]);
		key = (long)floor((p.x - f->x0) * 2);
		if (th.have && key == th.key) {
			if (p.y < th.p[1].y)
				th.p[1] = p;
			if (p.y > th.p[2].y)
				th.p[2] = p;
			th.p[3] = p;
			continue;
		}
		thin_flush(b, &th);
		th.have = 1;
		th.key = key;
		th.p[0] = th.p[1] = th.p[2] = th.p[3] = p;
	}
	thin_flush(b, &th);
	if (si->nfinite == 1) {
		/* a lone point: a zero-length segment shown by its caps */
		const double *x = &s->x[si->last], *y = &s->y[si->last];

		svg_point(b, svg_x(f, *x), svg_y(f, *y));
	}
	if (b->len && b->s[b->len - 1] == ' ')
		b->s[--b->len] = '\0';
	mlp_buf_adds(b, "\"/>\n");

	/* sparse series (evaluations every few thousand steps) get dots */
	if (si->nfinite > 30)
		return;
	mlp_buf_addf(b, "<g fill=\"%s\" stroke=\"none\">\n",
	    palette[k % NPALETTE].hex);
	for (size_t i = 0; i < s->n; i++) {
		if (!plot_finite(s, i))
			continue;
		mlp_buf_adds(b, "<circle");
		svg_attr(b, "cx", svg_x(f, s->x[i]));
		svg_attr(b, "cy", svg_y(f, s->y[i]));
		mlp_buf_adds(b, " r=\"2.5\"/>\n");
	}
	mlp_buf_adds(b, "</g>\n");
}

/*
 * Lays out the plot area for a W x H picture: margins for the title, the
 * tick labels and axis names, and the legend when it goes to the right
 * (legend 1) or below (legend 2) rather than inside (0). Chooses the
 * ticks, widening the data range r0 to the outer ones when that costs at
 * most 5%, and as many x ticks as fit. Fills f, yt and xt.
 */
static void
svg_layout(struct sframe *f, struct mlp_plot_ticks *yt,
    struct mlp_plot_ticks *xt, const struct range *r0, double W, double H,
    const char *title, const char *xlabel, const char *ylabel, int legend,
    double lw, double lh)
{
	double top = title ? 40 : 16, right = legend == 1 ? lw + 30 : 20;
	double bottom = 34 + (*xlabel ? 20 : 0) + (legend == 2 ? lh + 12 : 0);
	double left;
	int L = 0, maxn = (int)((H - top - bottom) / 50);

	f->r = *r0;
	maxn = maxn < 3 ? 3 : maxn > 6 ? 6 : maxn;
	axis_ticks(yt, &f->r.ylo, &f->r.yhi, maxn, 0);
	for (int i = 0; i < yt->n; i++)
		if ((int)strlen(yt->label[i]) > L)
			L = (int)strlen(yt->label[i]);
	left = 14 + (*ylabel ? 22 : 0) + L * SVG_CHARW + 8;

	/* x ticks: as many as fit, then room for the last label */
	for (int pass = 0; pass < 2; pass++) {
		double pw = W - left - right - 2 * SVG_INSET, half;

		maxn = (int)(pw / 60) + 1;
		maxn = maxn < 2 ? 2 : maxn > 10 ? 10 : maxn;
		for (; maxn >= 2; maxn--) {
			double prev = -1e9;
			int fits = 1;

			f->r.xlo = r0->xlo;
			f->r.xhi = r0->xhi;
			axis_ticks(xt, &f->r.xlo, &f->r.xhi, maxn, 0);
			for (int i = 0; i < xt->n; i++) {
				double c = plot_frac(xt->v[i], f->r.xlo,
				    f->r.xhi) * pw;
				double hw = strlen(xt->label[i]) *
				    SVG_CHARW / 2;

				if (c - hw < prev + 12)
					fits = 0;
				prev = c + hw;
			}
			if (fits)
				break;
		}
		half = strlen(xt->label[xt->n - 1]) * SVG_CHARW / 2 + 4 -
		    SVG_INSET;
		if (legend == 1 || plot_frac(xt->v[xt->n - 1], f->r.xlo,
		    f->r.xhi) < 0.99 || half <= right)
			break;
		right = half;
	}

	f->ax0 = left;
	f->ax1 = W - right;
	f->ay0 = top;
	f->ay1 = H - bottom;
	f->x0 = f->ax0 + SVG_INSET;
	f->x1 = f->ax1 - SVG_INSET;
	f->y0 = f->ay0 + SVG_INSET;
	f->y1 = f->ay1 - SVG_INSET;
}

/* Picks the corner of the plot area where a w x h legend covers the
 * fewest drawn dots; writes its top left corner to *lx, *ly. Returns 1
 * when the legend fits there hiding next to nothing, else 0. */
static int
svg_legend_place(const struct sframe *f, const struct mlp_series *s,
    size_t ns, double w, double h, double *lx, double *ly)
{
	struct canvas cv;
	double pw = f->ax1 - f->ax0, ph = f->ay1 - f->ay0, pad = 8;
	double cx[4], cy[4];
	long best = -1, total = 0;
	int gw = (int)(pw / 4), gh = (int)(ph / 4);

	gw = gw < 2 ? 2 : gw > 400 ? 400 : gw;
	gh = gh < 2 ? 2 : gh > 400 ? 400 : gh;
	canvas_init(&cv, gw, gh);
	for (size_t k = 0; k < ns; k++)
		canvas_series(&cv, &s[k], &f->r, 1);
	for (size_t i = 0; i < (size_t)gw * (size_t)gh; i++)
		total += cv.d[i] != 0;
	/* upper right, upper left, lower left, lower right */
	cx[0] = cx[3] = f->ax1 - pad - w;
	cx[1] = cx[2] = f->ax0 + pad;
	cy[0] = cy[1] = f->ay0 + pad;
	cy[2] = cy[3] = f->ay1 - pad - h;
	*lx = cx[0];
	*ly = cy[0];
	for (int c = 0; c < 4; c++) {
		int gx0 = (int)floor((cx[c] - f->ax0) / pw * gw);
		int gx1 = (int)ceil((cx[c] + w - f->ax0) / pw * gw);
		int gy0 = (int)floor((cy[c] - f->ay0) / ph * gh);
		int gy1 = (int)ceil((cy[c] + h - f->ay0) / ph * gh);
		long n = 0;

		for (int y = gy0 < 0 ? 0 : gy0; y < gy1 && y < gh; y++)
			for (int x = gx0 < 0 ? 0 : gx0; x < gx1 && x < gw; x++)
				n += cv.d[(size_t)y * (size_t)gw +
				    (size_t)x] != 0;
		if (best < 0 || n < best) {
			best = n;
			*lx = cx[c];
			*ly = cy[c];
		}
	}
	canvas_release(&cv);
	return w + 2 * pad <= pw && h + 2 * pad <= ph &&
	    best <= (total / 200 > 2 ? total / 200 : 2);
}

/* Draws the legend box at lx, ly: ncols columns of entries cw wide,
 * filled row by row. */
static void
svg_legend(struct mlp_buf *b, const struct mlp_series *s, size_t ns,
    const struct sinfo *si, double lx, double ly, double cw, size_t ncols,
    int maxc)
{
	size_t rows = (ns + ncols - 1) / ncols;

	mlp_buf_adds(b, "<g>\n<rect");
	svg_attr(b, "x", lx);
	svg_attr(b, "y", ly);
	svg_attr(b, "width", cw * (double)(ns < ncols ? ns : ncols));
	svg_attr(b, "height", (double)rows * SVG_ROWH + 10);
	mlp_buf_adds(b, " rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.9\""
	    " stroke=\"#cccccc\"/>\n");
	for (size_t k = 0; k < ns; k++) {
		const char *da = series_dash(k);
		double x = lx + cw * (double)(k % ncols);
		double y = ly + 5 + SVG_ROWH * ((double)(k / ncols) + 0.5);

		mlp_buf_addf(b, "<line stroke=\"%s\" stroke-width=\"2\"",
		    si[k].nfinite ? palette[k % NPALETTE].hex : "#aaaaaa");
		if (da)
			mlp_buf_addf(b, " stroke-dasharray=\"%s\"", da);
		svg_attr(b, "x1", x + 8);
		svg_attr(b, "y1", y);
		svg_attr(b, "x2", x + 32);
		svg_attr(b, "y2", y);
		mlp_buf_adds(b, "/>\n<text");
		svg_attr(b, "x", x + 38);
		svg_attr(b, "y", y + 4);
		mlp_buf_adds(b, ">");
		add_text(b, s[k].label ? s[k].label : "", maxc, 1);
		if (!si[k].nfinite)
			mlp_buf_adds(b, " (no finite values)");
		mlp_buf_adds(b, "</text>\n");
	}
	mlp_buf_adds(b, "</g>\n");
}

int
mlp_plot_svg(struct mlp_buf *out, const struct mlp_series *s, size_t ns,
    const struct mlp_plot_opts *o, struct mlp_err *err)
{
	static const struct mlp_plot_opts defaults;
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_plot_ticks yt, xt;
	struct sinfo *si = NULL;
	struct sframe f;
	struct range r0;
	const char *title, *xlabel, *ylabel;
	double W, H, lw, lh, lhb, lx, ly;
	size_t ncols = 1;
	int rc, maxc = 0, legend = 0;

	if (!o)
		o = &defaults;
	W = o->width ? o->width : 800;
	H = o->height ? o->height : 450;
	if (W < SVG_MINW || H < SVG_MINH || W > SVG_MAXW || H > SVG_MAXH) {
		rc = mlp_err_set(err, MLP_EINVAL,
		    "plot size %gx%g out of range %dx%d to %dx%d", W, H,
		    SVG_MINW, SVG_MINH, SVG_MAXW, SVG_MAXH);
		goto out;
	}
	if (!ns) {
		rc = mlp_err_set(err, MLP_EINVAL,
		    "nothing to plot: no finite values");
		goto out;
	}
	si = xcalloc(ns, sizeof(*si));
	if ((rc = plot_scan(s, ns, si, &f.r, err)) < 0)
		goto out;
	r0 = f.r;
	plot_pad(&r0.xlo, &r0.xhi, 1);
	plot_pad(&r0.ylo, &r0.yhi, 0);
	title = o->title && *o->title ? o->title : NULL;
	xlabel = o->xlabel ? o->xlabel : "step";
	ylabel = o->ylabel ? o->ylabel : "";

	for (size_t k = 0; k < ns; k++) {
		int c = text_cols(s[k].label ? s[k].label : "") +
		    (si[k].nfinite ? 0 : 19);

		maxc = c > maxc ? c : maxc;
	}
	maxc = maxc > 60 ? 60 : maxc;
	lw = 38 + maxc * SVG_CHARW + 10;
	lh = (double)ns * SVG_ROWH + 10;

	/*
	 * The legend goes in the corner of the plot it hides least of. When
	 * every corner hides lines: to the right of the plot if narrow, else
	 * below it in as many columns as fit, else right after all.
	 */
	svg_layout(&f, &yt, &xt, &r0, W, H, title, xlabel, ylabel, 0, lw, lh);
	if (!svg_legend_place(&f, s, ns, lw, lh, &lx, &ly)) {
		size_t fit = (size_t)((W - 20) / lw);

		ncols = fit < 1 ? 1 : fit > ns ? ns : fit;
		lhb = (double)((ns + ncols - 1) / ncols) * SVG_ROWH + 10;
		if (lw <= W * 0.3)
			legend = 1;
		else if (lhb <= H * 0.4)
			legend = 2;
		else if (lw <= W * 0.5)
			legend = 1;
		if (legend == 1) {
			ncols = 1;
			svg_layout(&f, &yt, &xt, &r0, W, H, title, xlabel,
			    ylabel, legend, lw, lh);
			lx = f.ax1 + 10;
			ly = f.ay0;
		} else if (legend == 2) {
			svg_layout(&f, &yt, &xt, &r0, W, H, title, xlabel,
			    ylabel, legend, lw, lhb);
			lx = (f.ax0 + f.ax1) / 2 - lw * (double)ncols / 2;
			lx = lx + lw * (double)ncols > W - 10 ?
			    W - 10 - lw * (double)ncols : lx;
			lx = lx < 10 ? 10 : lx;
			ly = H - lhb - 6;
		} else {
			ncols = 1;
		}
	}

	mlp_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	mlp_buf_addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\""
	    " version=\"1.1\" width=\"%g\" height=\"%g\""
	    " viewBox=\"0 0 %g %g\" font-family=\"DejaVu Sans, Helvetica,"
	    " Arial, sans-serif\" font-size=\"12\">\n", W, H, W, H);
	mlp_buf_addf(&b,
	    "<rect width=\"%g\" height=\"%g\" fill=\"#ffffff\"/>\n", W, H);
	mlp_buf_adds(&b, "<defs><clipPath id=\"mlp-plot-area\"><rect");
	svg_attr(&b, "x", f.ax0);
	svg_attr(&b, "y", f.ay0);
	svg_attr(&b, "width", f.ax1 - f.ax0);
	svg_attr(&b, "height", f.ay1 - f.ay0);
	mlp_buf_adds(&b, "/></clipPath></defs>\n");

	/* grid */
	mlp_buf_adds(&b, "<g stroke=\"#e5e5e5\" stroke-width=\"1\">\n");
	for (int i = 0; i < yt.n; i++)
		svg_line(&b, f.ax0, svg_y(&f, yt.v[i]), f.ax1,
		    svg_y(&f, yt.v[i]));
	for (int i = 0; i < xt.n; i++)
		svg_line(&b, svg_x(&f, xt.v[i]), f.ay0, svg_x(&f, xt.v[i]),
		    f.ay1);
	mlp_buf_adds(&b, "</g>\n");

	/* frame and tick marks */
	mlp_buf_adds(&b, "<g stroke=\"#555555\" stroke-width=\"1\">\n<rect");
	svg_attr(&b, "x", f.ax0);
	svg_attr(&b, "y", f.ay0);
	svg_attr(&b, "width", f.ax1 - f.ax0);
	svg_attr(&b, "height", f.ay1 - f.ay0);
	mlp_buf_adds(&b, " fill=\"none\"/>\n");
	for (int i = 0; i < yt.n; i++)
		svg_line(&b, f.ax0 - 5, svg_y(&f, yt.v[i]), f.ax0,
		    svg_y(&f, yt.v[i]));
	for (int i = 0; i < xt.n; i++)
		svg_line(&b, svg_x(&f, xt.v[i]), f.ay1, svg_x(&f, xt.v[i]),
		    f.ay1 + 5);
	mlp_buf_adds(&b, "</g>\n");

	/* tick labels */
	mlp_buf_adds(&b, "<g fill=\"#333333\" text-anchor=\"end\">\n");
	for (int i = 0; i < yt.n; i++) {
		mlp_buf_adds(&b, "<text");
		svg_attr(&b, "x", f.ax0 - 8);
		svg_attr(&b, "y", svg_y(&f, yt.v[i]) + 4);
		mlp_buf_addf(&b, ">%s</text>\n", yt.label[i]);
	}
	mlp_buf_adds(&b, "</g>\n<g fill=\"#333333\" text-anchor=\"middle\">\n");
	for (int i = 0; i < xt.n; i++) {
		mlp_buf_adds(&b, "<text");
		svg_attr(&b, "x", svg_x(&f, xt.v[i]));
		svg_attr(&b, "y", f.ay1 + 19);
		mlp_buf_addf(&b, ">%s</text>\n", xt.label[i]);
	}
	mlp_buf_adds(&b, "</g>\n");

	/* axis names and title */
	if (*xlabel) {
		mlp_buf_adds(&b,
		    "<text text-anchor=\"middle\" fill=\"#222222\"");
		svg_attr(&b, "x", (f.ax0 + f.ax1) / 2);
		svg_attr(&b, "y", f.ay1 + 40);
		mlp_buf_adds(&b, ">");
		add_text(&b, xlabel, (int)((f.ax1 - f.ax0) / SVG_CHARW), 1);
		mlp_buf_adds(&b, "</text>\n");
	}
	if (*ylabel) {
		double x = 22, y = (f.ay0 + f.ay1) / 2;

		mlp_buf_adds(&b, "<text text-anchor=\"middle\" fill=\"#222222\""
		    " transform=\"rotate(-90 ");
		svg_num(&b, x);
		mlp_buf_addc(&b, ' ');
		svg_num(&b, y);
		mlp_buf_addc(&b, ')');
		mlp_buf_addc(&b, '"');
		svg_attr(&b, "x", x);
		svg_attr(&b, "y", y);
		mlp_buf_adds(&b, ">");
		add_text(&b, ylabel, (int)((f.ay1 - f.ay0) / SVG_CHARW), 1);
		mlp_buf_adds(&b, "</text>\n");
	}
	if (title) {
		mlp_buf_adds(&b, "<text text-anchor=\"middle\" font-size=\"15\""
		    " font-weight=\"bold\" fill=\"#111111\"");
		svg_attr(&b, "x", (f.ax0 + f.ax1) / 2);
		svg_attr(&b, "y", 25);
		mlp_buf_adds(&b, ">");
		add_text(&b, title, (int)((W - 20) / 9), 1);
		mlp_buf_adds(&b, "</text>\n");
	}

	/* the lines */
	mlp_buf_adds(&b, "<g clip-path=\"url(#mlp-plot-area)\" fill=\"none\""
	    " stroke-width=\"1.6\" stroke-linejoin=\"round\""
	    " stroke-linecap=\"round\">\n");
	for (size_t k = 0; k < ns; k++)
		if (si[k].nfinite)
			svg_series(&b, &f, &s[k], &si[k], k);
	mlp_buf_adds(&b, "</g>\n");

	svg_legend(&b, s, ns, si, lx, ly, lw, ncols, 60);
	mlp_buf_adds(&b, "</svg>\n");
	mlp_buf_add(out, b.s, b.len);
	rc = 0;
out:
	mlp_buf_release(&b);
	free(si);
	return rc;
}
