/* Unit tests for lib/core/plot.c: ticks, text plots, SVG, errors. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"
#include "tap.h"

static double xs5[5] = { 0, 1, 2, 3, 4 };
static double ys5[5] = { 0, 1, 2, 3, 4 };

/* Checks ticks for [lo, hi] against a space-separated list of labels. */
static void
check_ticks(double lo, double hi, int max, int loose, const char *want)
{
	struct mlp_plot_ticks t;
	struct mlp_buf b = MLP_BUF_INIT;
	int rc = mlp_plot_ticks(&t, lo, hi, max, loose, NULL);

	for (int i = 0; rc == 0 && i < t.n; i++)
		mlp_buf_addf(&b, "%s%s", i ? " " : "", t.label[i]);
	is_str(mlp_buf_str(&b), want, "ticks [%g, %g] max %d %s", lo, hi, max,
	    loose ? "loose" : "tight");
	mlp_buf_release(&b);
}

static void
test_ticks(void)
{
	struct mlp_plot_ticks t;
	struct mlp_err err;
	int ok_all;

	check_ticks(0, 1, 6, 1, "0 0.2 0.4 0.6 0.8 1.0");
	check_ticks(0.11, 2.31, 6, 1, "0 0.5 1.0 1.5 2.0 2.5");
	check_ticks(0, 0.3, 8, 1, "0 0.05 0.10 0.15 0.20 0.25 0.30");
	check_ticks(0, 1.5e6, 5, 1, "0 5e+05 1e+06 1.5e+06");
	check_ticks(1, 1000, 6, 0, "200 400 600 800 1000");
	check_ticks(1, 1000, 6, 1, "0 200 400 600 800 1000");
	check_ticks(-3.2, -0.4, 5, 1, "-4 -3 -2 -1 0");
	check_ticks(1e-300, 4e-300, 5, 1, "1e-300 2e-300 3e-300 4e-300");
	check_ticks(0.00012, 0.00048, 5, 1, "0.0001 0.0002 0.0003 0.0004 0.0005");
	check_ticks(1000000.2, 1000000.9, 5, 0,
	    "1000000.2 1000000.4 1000000.6 1000000.8");

	ok(mlp_plot_ticks(&t, 0, 1, 6, 1, NULL) == 0 && t.n == 6 &&
	    fabs(t.step - 0.2) < 1e-12 && t.v[0] == 0 && t.v[5] == 1,
	    "tick values and step for [0, 1]");

	/* every tick count stays within max and ticks are evenly spaced */
	ok_all = 1;
	for (int i = 1; i < 2000; i++) {
		double lo = sin(i) * pow(10, i % 13 - 6);
		double hi = lo + fabs(cos(i * 7.0)) * pow(10, i % 11 - 5) + 1e-9;

		for (int max = 3; max <= 8; max++)
			for (int loose = 0; loose < 2; loose++) {
				if (mlp_plot_ticks(&t, lo, hi, max, loose, NULL) ||
				    t.n < 1 || t.n > max)
					ok_all = 0;
				/* within a billionth of a step counts as on it */
				double eps = t.step * 1e-9;

				if (loose && (t.v[0] > lo + eps ||
				    t.v[t.n - 1] < hi - eps))
					ok_all = 0;
				if (!loose && (t.v[0] < lo - eps ||
				    t.v[t.n - 1] > hi + eps))
					ok_all = 0;
			}
	}
	ok(ok_all, "ticks respect max and enclose or stay inside the range");

	ok(mlp_plot_ticks(&t, -0.1, 0.8, 2, 1, NULL) == 0 && t.n >= 1 &&
	    t.v[0] >= -0.1 && t.v[t.n - 1] <= 0.8,
	    "two loose ticks cannot enclose zero: they fall inside");
	ok(mlp_plot_ticks(&t, -1e300, 1e300, 5, 1, NULL) == 0 && t.n >= 2 &&
	    isfinite(t.v[0]) && isfinite(t.v[t.n - 1]),
	    "ticks on [-1e300, 1e300]");
	ok(mlp_plot_ticks(&t, -DBL_MAX, DBL_MAX, 5, 1, NULL) == 0 &&
	    t.n >= 2 && isfinite(t.v[0]) && isfinite(t.v[t.n - 1]) &&
	    !strstr(t.label[0], "inf"), "ticks on [-DBL_MAX, DBL_MAX]");
	ok(mlp_plot_ticks(&t, 0, 5e-324, 5, 1, NULL) == 0 && t.n == 2,
	    "ticks on the smallest denormal range fall back to the ends");

	is_int(mlp_plot_ticks(&t, 1, 1, 5, 1, &err), MLP_EINVAL,
	    "ticks: empty range");
	is_int(mlp_plot_ticks(&t, NAN, 1, 5, 1, &err), MLP_EINVAL,
	    "ticks: NaN bound");
	is_int(mlp_plot_ticks(&t, 0, INFINITY, 5, 1, &err), MLP_EINVAL,
	    "ticks: infinite bound");
	is_int(mlp_plot_ticks(&t, 0, 1, 1, 1, &err), MLP_EINVAL,
	    "ticks: max below 2");
	is_int(mlp_plot_ticks(&t, 0, 1, MLP_PLOT_MAXTICKS + 1, 1, &err),
	    MLP_EINVAL, "ticks: max above MLP_PLOT_MAXTICKS");
}

/* Columns of one line of text plot output, skipping ANSI escapes. */
static int
line_cols(const char *s, size_t n)
{
	int cols = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\033') {
			while (i < n && s[i] != 'm')
				i++;
			continue;
		}
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cols++;
	}
	return cols;
}

/* Checks the shape of a text plot: exactly h lines, none wider than w,
 * no trailing spaces, a final newline. */
static int
shape_ok(const char *s, int w, int h)
{
	int lines = 0;
	const char *p = s, *nl;

	if (!*s || s[strlen(s) - 1] != '\n')
		return 0;
	while ((nl = strchr(p, '\n'))) {
		size_t n = (size_t)(nl - p);

		if (line_cols(p, n) > w)
			return 0;
		if (n && p[n - 1] == ' ')
			return 0;
		lines++;
		p = nl + 1;
	}
	return lines == h;
}

static int
count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void
test_text_golden(void)
{
	struct mlp_series s = { "diag", xs5, ys5, 5 };
	struct mlp_plot_opts o = { 30, 8, 0, NULL, NULL, NULL };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;

	is_int(mlp_plot_text(&b, &s, 1, &o, &err), 0, "diagonal plots");
	is_str(mlp_buf_str(&b),
	    "5 ┤\n"
	    "  │                  ⢀⣀⣀⡠⠤⠔⠒⠊⠉\n"
	    "  │        ⣀⣀⠤⠤⠔⠒⠒⠊⠉⠉⠁\n"
	    "0 ┤⠤⠤⠒⠒⠒⠉⠉⠉\n"
	    "  └┬────────────┬────────────┬\n"
	    "   0            2            4\n"
	    "              step\n"
	    "   ━━ diag\n",
	    "diagonal of 5 points in 30x8");

	/* taller: every tick on its own row, value exact */
	mlp_buf_reset(&b);
	o.height = 10;
	is_int(mlp_plot_text(&b, &s, 1, &o, &err), 0, "diagonal 30x10 plots");
	is_str(mlp_buf_str(&b),
	    "  │\n"
	    "4 ┤                        ⢀⣀⠤\n"
	    "  │                  ⣀⡠⠤⠒⠊⠉⠁\n"
	    "2 ┤           ⣀⣀⠤⠔⠒⠉⠉\n"
	    "  │    ⢀⣀⠤⠔⠒⠊⠉\n"
	    "0 ┤⠤⠒⠊⠉⠁\n"
	    "  └┬────────────┬────────────┬\n"
	    "   0            2            4\n"
	    "              step\n"
	    "   ━━ diag\n",
	    "diagonal of 5 points in 30x10");
	mlp_buf_release(&b);
}

static void
test_text(void)
{
	double x[40], up[40], down[40];
	double bad[3] = { NAN, INFINITY, -INFINITY };
	double one_x = 10, one_y = 3;
	struct mlp_series s[3];
	struct mlp_plot_opts o = { 40, 12, 0, "loss", NULL, "value" };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;
	const char *out;
	int sizes_ok = 1;

	for (int i = 0; i < 40; i++) {
		x[i] = i * 10;
		up[i] = i * 0.1;
		down[i] = 4 - i * 0.1;
	}
	s[0] = (struct mlp_series){ "alpha", x, up, 40 };
	s[1] = (struct mlp_series){ "beta", x, down, 40 };
	s[2] = (struct mlp_series){ "gamma", x, bad, 3 };

	is_int(mlp_plot_text(&b, s, 3, &o, &err), 0, "three series plot");
	out = mlp_buf_str(&b);
	ok(shape_ok(out, 40, 12), "40x12 plot is 12 lines of at most 40 columns");
	ok(!strchr(out, '\033'), "no escape codes without colour");
	ok(strstr(out, "\n   ━━ 1 alpha\n") || strstr(out, "━━ 1 alpha\n"),
	    "legend line for series 1 carries its mark");
	ok(strstr(out, "━━ 2 beta\n") != NULL, "legend line for series 2");
	ok(strstr(out, "── 3 gamma (no finite values)\n") != NULL,
	    "series without finite values is listed as such");
	ok(strncmp(out, "value", 5) == 0 && strstr(out, "loss\n"),
	    "y label and title share the top line");
	ok(count(out, "1") >= 2 && strstr(out, "2\n"),
	    "lines are tagged where they end");

	mlp_buf_reset(&b);
	o.color = 1;
	is_int(mlp_plot_text(&b, s, 3, &o, &err), 0, "colour plot");
	out = mlp_buf_str(&b);
	ok(shape_ok(out, 40, 12), "colour plot keeps its size");
	ok(strstr(out, "\033[38;5;33m") && strstr(out, "\033[38;5;208m"),
	    "each series has its colour");
	ok(strstr(out, "\033[38;5;33m━━\033[0m alpha\n") != NULL,
	    "colour legend line");
	ok(count(out, "\033[0m") >= 2, "colours are reset");
	ok(!strstr(out, "━━ 1 alpha"), "no marks needed with colour");

	/* sizes are respected */
	o.color = 0;
	for (int w = 20; w <= 120; w += 7)
		for (int h = 9; h <= 40; h += 5) {
			o.width = w;
			o.height = h;
			mlp_buf_reset(&b);
			if (mlp_plot_text(&b, s, 3, &o, &err) ||
			    !shape_ok(mlp_buf_str(&b), w, h))
				sizes_ok = 0;
		}
	ok(sizes_ok, "every size from 20x9 to 120x40 is exact");

	/* defaults */
	mlp_buf_reset(&b);
	is_int(mlp_plot_text(&b, s, 2, NULL, &err), 0, "NULL options");
	ok(shape_ok(mlp_buf_str(&b), 80, 20), "default size is 80x20");
	ok(strstr(mlp_buf_str(&b), "step\n") != NULL, "default x label");

	/* all equal: the line sits on the middle tick */
	{
		static const double flat[5] = { 5, 5, 5, 5, 5 };
		struct mlp_series f = { "flat", xs5, flat, 5 };
		struct mlp_plot_opts fo = { 40, 13, 0, NULL, "", NULL };
		const char *p;
		int row = 0, line = 0;

		mlp_buf_reset(&b);
		is_int(mlp_plot_text(&b, &f, 1, &fo, &err), 0, "flat plots");
		out = mlp_buf_str(&b);
		p = strstr(out, "⠤");
		for (const char *q = out; p && q < p; q++)
			if (*q == '\n')
				row++;
		line = p ? (int)(strstr(out, "5.0 ┤⠤") != NULL) : 0;
		ok(line && row >= 4 && row <= 5,
		    "flat line in the middle row, labelled 5.0 (row %d)", row);
		ok(shape_ok(out, 40, 13), "flat plot keeps its size");
	}

	/* one point is one dot */
	{
		struct mlp_series p1 = { "one", &one_x, &one_y, 1 };
		struct mlp_plot_opts po = { 30, 8, 0, NULL, NULL, NULL };
		int dots = 0;

		mlp_buf_reset(&b);
		is_int(mlp_plot_text(&b, &p1, 1, &po, &err), 0,
		    "single point plots");
		for (const char *q = mlp_buf_str(&b); *q; q++)
			if ((unsigned char)q[0] == 0xe2 &&
			    ((unsigned char)q[1] & 0xfc) == 0xa0 &&
			    strncmp(q, "━", 3) != 0)
				dots++;
		is_int(dots, 1, "a single point is one braille cell");
	}

	/* labels cannot drive the terminal */
	{
		struct mlp_series e = { "\033[2Jevil\x9b\xff", xs5, ys5, 5 };

		mlp_buf_reset(&b);
		is_int(mlp_plot_text(&b, &e, 1, NULL, &err), 0,
		    "hostile label plots");
		ok(!strchr(mlp_buf_str(&b), '\033') &&
		    strstr(mlp_buf_str(&b), "?[2Jevil??\n"),
		    "control characters and bad UTF-8 in labels become '?'");
	}

	/* long labels are cut to the width */
	{
		char longl[300];
		struct mlp_series l = { longl, xs5, ys5, 5 };
		struct mlp_plot_opts lo = { 30, 8, 0, NULL, NULL, NULL };

		memset(longl, 'x', sizeof(longl) - 1);
		longl[sizeof(longl) - 1] = '\0';
		mlp_buf_reset(&b);
		is_int(mlp_plot_text(&b, &l, 1, &lo, &err), 0,
		    "long label plots");
		ok(shape_ok(mlp_buf_str(&b), 30, 8) &&
		    strstr(mlp_buf_str(&b), "x…\n"),
		    "long label is cut with an ellipsis");
	}
	mlp_buf_release(&b);
}

static void
test_text_extremes(void)
{
	static const double vals[][4] = {
		{ 1e300, -1e300, 5e299, 0 },
		{ DBL_MAX, -DBL_MAX, 0, DBL_MAX },
		{ 1e-300, 2e-300, -1e-300, 0 },
		{ 5e-324, 0, 5e-324, 0 },
		{ -7, -8, -9, -7.5 },
		{ 1, 1 + 1e-15, 1, 1 - 1e-15 },
		{ 1e15, 1e15 + 1, 1e15 + 3, 1e15 },
	};
	double x[4] = { 0, 1, 2, 3 }, bigx[4] = { -DBL_MAX, 0, 1, DBL_MAX };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;
	int all = 1;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		for (int k = 0; k < 2; k++) {
			struct mlp_series s = { "v", k ? bigx : x, vals[i], 4 };
			struct mlp_plot_opts o = { 50, 12, 0, NULL, NULL, NULL };
			const char *out;

			mlp_buf_reset(&b);
			if (mlp_plot_text(&b, &s, 1, &o, &err) != 0) {
				all = 0;
				continue;
			}
			out = mlp_buf_str(&b);
			if (!shape_ok(out, 50, 12) || strstr(out, "nan") ||
			    strstr(out, "inf"))
				all = 0;
			mlp_buf_reset(&b);
			if (mlp_plot_svg(&b, &s, 1, NULL, &err) != 0 ||
			    strstr(mlp_buf_str(&b), "nan") ||
			    strstr(mlp_buf_str(&b), "inf"))
				all = 0;
		}
	ok(all, "huge, tiny, negative and nearly equal values plot cleanly");
	mlp_buf_release(&b);
}

static void
test_large(void)
{
	size_t n = 1000000;
	double *x = xmalloc(n * sizeof(*x)), *y = xmalloc(n * sizeof(*y));
	struct mlp_series s = { "big", x, y, n };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;

	for (size_t i = 0; i < n; i++) {
		x[i] = (double)i;
		y[i] = 1 / (1 + i / 1e4) + ((i * 2654435761u) % 1000) / 1e5;
	}
	is_int(mlp_plot_text(&b, &s, 1, NULL, &err), 0, "a million points");
	ok(shape_ok(mlp_buf_str(&b), 80, 20), "a million points keep the size");
	mlp_buf_reset(&b);
	is_int(mlp_plot_svg(&b, &s, 1, NULL, &err), 0,
	    "a million points as SVG");
	ok(b.len < 200000, "SVG is thinned to the pixels (%zu bytes)", b.len);
	ok(count(mlp_buf_str(&b), "<polyline") == 1, "one polyline");
	mlp_buf_release(&b);
	free(x);
	free(y);
}

static void
test_svg(void)
{
	double y2[5] = { 4, NAN, 2, INFINITY, 0 };
	double bad[2] = { NAN, NAN };
	struct mlp_series s[3] = {
		{ "run <&\">", xs5, ys5, 5 },
		{ "second", xs5, y2, 5 },
		{ "nothing", xs5, bad, 2 },
	};
	struct mlp_plot_opts o = { 0, 0, 1, "a & b", "step <n>", "loss \"x\"" };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;
	const char *out;

	is_int(mlp_plot_svg(&b, s, 3, &o, &err), 0, "SVG renders");
	out = mlp_buf_str(&b);
	ok(strncmp(out, "<?xml", 5) == 0, "starts with an XML declaration");
	ok(strstr(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"") &&
	    strstr(out, "viewBox=\"0 0 800 450\""),
	    "svg element with namespace and viewBox, default 800x450");
	ok(b.len > 7 && strcmp(out + b.len - 7, "</svg>\n") == 0,
	    "ends with </svg>");
	ok(strstr(out, "run &lt;&amp;&quot;&gt;") != NULL, "label escaped");
	ok(strstr(out, ">a &amp; b</text>") && strstr(out, "step &lt;n&gt;") &&
	    strstr(out, "loss &quot;x&quot;"), "title and axis names escaped");
	ok(!strstr(out, "<&") && !strstr(out, "<n>"), "no raw markup from labels");
	is_int(count(out, "<polyline"), 2, "one polyline per non-empty series");
	ok(!strstr(out, "nan") && !strstr(out, "NaN") && !strstr(out, "inf"),
	    "no NaN or Inf written");
	ok(strstr(out, "nothing (no finite values)") != NULL,
	    "empty series named in the legend");
	is_int(count(out, "<g"), count(out, "</g>"), "groups balanced");
	is_int(count(out, "<text"), count(out, "</text>"), "texts balanced");
	ok(strstr(out, "#1f77b4") && strstr(out, "#ff7f0e"), "palette colours");

	mlp_buf_reset(&b);
	o.width = 300;
	o.height = 200;
	is_int(mlp_plot_svg(&b, s, 2, &o, &err), 0, "small SVG renders");
	ok(strstr(mlp_buf_str(&b), "viewBox=\"0 0 300 200\"") != NULL,
	    "size is the one asked for");
	mlp_buf_release(&b);
}

static void
test_errors(void)
{
	double empty_y[1] = { NAN };
	struct mlp_series none[2] = { { "a", xs5, ys5, 0 },
		{ "b", xs5, empty_y, 1 } };
	struct mlp_series ok1 = { "a", xs5, ys5, 5 };
	struct mlp_series noarr = { "a", NULL, NULL, 3 };
	struct mlp_series many[30];
	struct mlp_plot_opts o = { 0, 0, 0, NULL, NULL, NULL };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;

	mlp_err_clear(&err);
	is_int(mlp_plot_text(&b, NULL, 0, NULL, &err), MLP_EINVAL,
	    "text: no series");
	is_str(err.msg, "nothing to plot: no finite values", "message");
	is_int(mlp_plot_text(&b, none, 2, NULL, &err), MLP_EINVAL,
	    "text: no finite values");
	is_str(err.msg, "nothing to plot: no finite values", "message");
	is_int(mlp_plot_svg(&b, none, 2, NULL, &err), MLP_EINVAL,
	    "svg: no finite values");
	is_int(mlp_plot_svg(&b, NULL, 0, NULL, &err), MLP_EINVAL,
	    "svg: no series");
	is_int(mlp_plot_text(&b, &noarr, 1, NULL, &err), MLP_EINVAL,
	    "text: points without arrays");

	o.width = 19;
	o.height = 10;
	is_int(mlp_plot_text(&b, &ok1, 1, &o, &err), MLP_EINVAL,
	    "text: too narrow");
	o.width = 40;
	o.height = 4;
	is_int(mlp_plot_text(&b, &ok1, 1, &o, &err), MLP_EINVAL,
	    "text: too short");
	o.height = -3;
	is_int(mlp_plot_text(&b, &ok1, 1, &o, &err), MLP_EINVAL,
	    "text: negative height");
	o.width = 100000;
	o.height = 20;
	is_int(mlp_plot_text(&b, &ok1, 1, &o, &err), MLP_EINVAL,
	    "text: too wide");
	o.width = 100;
	o.height = 50;
	is_int(mlp_plot_svg(&b, &ok1, 1, &o, &err), MLP_EINVAL,
	    "svg: too small");

	for (int i = 0; i < 30; i++)
		many[i] = ok1;
	mlp_buf_reset(&b);
	is_int(mlp_plot_text(&b, many, 30, NULL, &err), MLP_EINVAL,
	    "text: more series than rows");
	is_int(mlp_plot_text(&b, many, 17, NULL, &err), MLP_EINVAL,
	    "text: legend leaves no room for the plot");
	is_int((long long)b.len, 0, "nothing appended on failure");
	mlp_buf_release(&b);
}

int
main(void)
{
	test_ticks();
	test_text_golden();
	test_text();
	test_text_extremes();
	test_large();
	test_svg();
	test_errors();
	return tap_done();
}
