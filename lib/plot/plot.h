/* Line plots of metrics against step: Unicode braille text and SVG. */
#ifndef MLP_PLOT_H
#define MLP_PLOT_H

#include <stddef.h>

#include "core/core.h"

/* One line of a plot. The arrays are borrowed for the length of the call. */
struct mlp_series {
	const char *label;	/* legend text: a short run id and name */
	const double *x;	/* n steps (ascending is typical, not needed) */
	const double *y;	/* n values; NaN and ±Inf points are skipped */
	size_t n;
};

struct mlp_plot_opts {
	int width, height;	/* text: columns and rows of the whole plot,
				 * legend included; svg: pixels
				 * (0 = default 80x20 / 800x450) */
	int color;		/* text only: ANSI colours, one per series */
	const char *title;	/* may be NULL */
	const char *xlabel;	/* may be NULL for "step" */
	const char *ylabel;	/* may be NULL for none */
};

/*
 * Renders the series as a text plot appended to out: braille dots joined
 * by line segments, a y axis with tick labels on the left, an x axis with
 * step ticks at the bottom, the title above and one legend line per series
 * below. The output is exactly height lines of at most width columns, each
 * ending in a newline, with no trailing spaces (user text counts one
 * column a character; control characters in it are shown as '?'). Y tick
 * labels sit on the row holding their value. Without colour (or with more
 * than six series) and with several series, each line is tagged where it
 * ends with the digit or letter the legend shows for it.
 *
 * o may be NULL for the defaults. Points whose x or y is NaN or infinite
 * are skipped (the line joins the points either side). The caller owns
 * out and releases it with mlp_buf_release(); nothing is appended on
 * failure.
 *
 * Returns 0, or MLP_EINVAL when there is no finite point to plot, a
 * series has n > 0 but no arrays, or the size is too small (below 20x5,
 * too short for the legend, too narrow for the y labels) or too large
 * (above 1000x1000).
 */
int mlp_plot_text(struct mlp_buf *out, const struct mlp_series *s, size_t ns,
    const struct mlp_plot_opts *o, struct mlp_err *err);

/*
 * Renders the same plot as a standalone SVG 1.1 document appended to out:
 * white background, grid lines at the ticks, one polyline per series with
 * at least one finite point (dots on the points of sparse series), title
 * and axis labels, and a legend in the corner of the plot area that hides
 * the least, or beside or below the plot when every corner hides lines.
 * Text is XML-escaped; dense series are thinned to the first, lowest,
 * highest and last point of each half pixel column, which draws the same
 * picture (unsorted x defeats this: the output grows with n). Colours
 * match the text plot's; series past the sixth are dashed. o->color is
 * ignored.
 *
 * Ownership and errors as for mlp_plot_text(); the size limits are
 * 200x120 to 20000x20000 pixels.
 */
int mlp_plot_svg(struct mlp_buf *out, const struct mlp_series *s, size_t ns,
    const struct mlp_plot_opts *o, struct mlp_err *err);

#define MLP_PLOT_MAXTICKS 16

/* Tick marks along one axis: values and their labels. */
struct mlp_plot_ticks {
	int n;			/* number of ticks */
	double step;		/* distance between ticks */
	double v[MLP_PLOT_MAXTICKS];
	char label[MLP_PLOT_MAXTICKS][32];	/* "0.25", "1500", "1.5e+06" */
};

/*
 * Chooses ticks for the range [lo, hi]: the smallest step of 1, 2 or 5
 * times a power of ten that gives at most max ticks. With loose set the
 * ticks enclose the range (the first <= lo, the last >= hi) so they can
 * serve as the axis limits; otherwise, or when no step can (max 2 on a
 * range around zero), they lie inside it. Labels use as few digits as the
 * step needs, switching to exponent form from 1e6 up or for steps below
 * 1e-4. Falls back to the two ends of the range when no step fits (ranges
 * near the limits of double).
 *
 * Returns 0, or MLP_EINVAL when lo or hi is not finite, lo >= hi, or max
 * is outside 2..MLP_PLOT_MAXTICKS. err may be NULL.
 */
int mlp_plot_ticks(struct mlp_plot_ticks *t, double lo, double hi, int max,
    int loose, struct mlp_err *err);

#endif
