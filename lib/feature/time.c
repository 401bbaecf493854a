/* Feature-store time: timestamps, durations, and the names of types and ops. */
#include <stdio.h>
#include <string.h>

#include "feature/feature.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly w digits at s[*i]; -1 when they are not there. */
static int
digits(const char *s, size_t n, size_t *i, int w)
{
	int v = 0;

	if (*i + (size_t)w > n)
		return -1;
	for (int k = 0; k < w; k++) {
		char c = s[*i + (size_t)k];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)w;
	return v;
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
parse_iso(const char *s, size_t n, int64_t *us)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	size_t i = 0;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, zone = 0;

	if ((y = digits(s, n, &i, 4)) < 0 || i >= n || s[i++] != '-' ||
	    (mo = digits(s, n, &i, 2)) < 0 || i >= n || s[i++] != '-' ||
	    (d = digits(s, n, &i, 2)) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
		i++;
		if ((h = digits(s, n, &i, 2)) < 0 || i >= n || s[i++] != ':' ||
		    (mi = digits(s, n, &i, 2)) < 0)
			return -1;
		if (i < n && s[i] == ':') {
			i++;
			if ((sec = digits(s, n, &i, 2)) < 0)
				return -1;
			if (i < n && (s[i] == '.' || s[i] == ',')) {
				int k = 0;
				i++;
				if (i >= n || s[i] < '0' || s[i] > '9')
					return -1;
				for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
					if (k < 6) {
						frac = frac * 10 + (s[i] - '0');
						k++;
					}
				for (; k < 6; k++)
					frac *= 10;
			}
		}
		/* 24:00:00 is not taken: one spelling per instant */
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i++] == '-' ? -1 : 1, zh, zm = 0;
			if ((zh = digits(s, n, &i, 2)) < 0)
				return -1;
			if (i < n && s[i] == ':') {
				i++;
				if ((zm = digits(s, n, &i, 2)) < 0)
					return -1;
			} else if (i < n) {
				if ((zm = digits(s, n, &i, 2)) < 0)
					return -1;
			}
			if (zh > 23 || zm > 59)
				return -1;
			zone = sign * (zh * 60 + zm);
		}
	}
	if (i != n)
		return -1;
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		   (int64_t)zone * 60) *
		      MLP_US_PER_SEC) +
	      frac;
	return 0;
}

/* An epoch number: optional '-', digits, optional '.' and digits; scaled
 * by unit microseconds, truncating below a microsecond. */
static int
parse_epoch(const char *s, size_t n, int64_t unit, int64_t *us)
{
	size_t i = 0;
	int neg = 0, nd = 0;
	int64_t whole = 0, frac = 0, scale = unit;

	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	}
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
		if (whole > (INT64_MAX / unit - 9) / 10)
			return -1;
		whole = whole * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.') {
		i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (scale >= 10) {
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
		}
	}
	if (i != n || nd == 0)
		return -1;
	*us = (whole * unit + frac) * (neg ? -1 : 1);
	return 0;
}

int
mlp_ts_parse(const char *s, size_t n, enum mlp_tsfmt fmt, int64_t *us)
{
	switch (fmt) {
	case MLP_TSFMT_ISO8601:
		return parse_iso(s, n, us);
	case MLP_TSFMT_EPOCH_S:
		return parse_epoch(s, n, MLP_US_PER_SEC, us);
	case MLP_TSFMT_EPOCH_MS:
		return parse_epoch(s, n, 1000, us);
	}
	return -1;
}

void
mlp_ts_format(int64_t us, char out[48])
{
	int64_t secs = us / MLP_US_PER_SEC, frac = us % MLP_US_PER_SEC, days,
		rem, y;
	int m, d;

	if (frac < 0) {
		frac += MLP_US_PER_SEC;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (frac)
		snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		    (int)y, m, d, (int)(rem / 3600),
		    (int)(rem / 60 % 60), (int)(rem % 60), (int)frac);
	else
		snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    (int)y, m, d, (int)(rem / 3600),
		    (int)(rem / 60 % 60), (int)(rem % 60));
}

static const char *const tsfmt_names[] = { "iso8601", "epoch_s", "epoch_ms" };

int
mlp_tsfmt_parse(const char *s, enum mlp_tsfmt *fmt)
{
	for (size_t i = 0; i < sizeof(tsfmt_names) / sizeof(*tsfmt_names); i++)
		if (strcmp(s, tsfmt_names[i]) == 0) {
			*fmt = (enum mlp_tsfmt)i;
			return 0;
		}
	return -1;
}

const char *
mlp_tsfmt_name(enum mlp_tsfmt fmt)
{
	return tsfmt_names[fmt];
}

static const struct {
	char unit;
	int64_t us;
} dur_units[] = {
	{ 'w', 604800 * MLP_US_PER_SEC }, { 'd', 86400 * MLP_US_PER_SEC },
	{ 'h', 3600 * MLP_US_PER_SEC }, { 'm', 60 * MLP_US_PER_SEC },
	{ 's', MLP_US_PER_SEC },
};

int
mlp_duration_parse(const char *s, int64_t *us)
{
	int64_t v = 0;
	size_t i = 0;

	if (strcmp(s, "0") == 0) {
		*us = 0;
		return 0;
	}
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > 1000000000)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (i == 0 || v == 0 || s[i] == '\0' || s[i + 1] != '\0')
		return -1;
	for (size_t k = 0; k < sizeof(dur_units) / sizeof(*dur_units); k++)
		if (s[i] == dur_units[k].unit) {
			if (v > INT64_MAX / dur_units[k].us)
				return -1;	/* past int64 microseconds */
			*us = v * dur_units[k].us;
			return 0;
		}
	return -1;
}

void
mlp_duration_format(int64_t us, char out[48])
{
	if (us == 0) {
		snprintf(out, 48, "0");
		return;
	}
	for (size_t k = 0; k < sizeof(dur_units) / sizeof(*dur_units); k++)
		if (us % dur_units[k].us == 0) {
			snprintf(out, 48, "%lld%c",
			    (long long)(us / dur_units[k].us),
			    dur_units[k].unit);
			return;
		}
	snprintf(out, 48, "%lldus", (long long)us);
}

static const char *const ftype_names[] = { "float", "int", "string", "bool" };

int
mlp_ftype_parse(const char *s, enum mlp_ftype *t)
{
	static const struct {
		const char *name;
		enum mlp_ftype t;
	} alias[] = {
		{ "float", MLP_FT_FLOAT }, { "float64", MLP_FT_FLOAT },
		{ "float32", MLP_FT_FLOAT }, { "double", MLP_FT_FLOAT },
		{ "int", MLP_FT_INT }, { "int64", MLP_FT_INT },
		{ "int32", MLP_FT_INT }, { "string", MLP_FT_STRING },
		{ "bool", MLP_FT_BOOL },
	};

	for (size_t i = 0; i < sizeof(alias) / sizeof(*alias); i++)
		if (strcmp(s, alias[i].name) == 0) {
			*t = alias[i].t;
			return 0;
		}
	return -1;
}

const char *
mlp_ftype_name(enum mlp_ftype t)
{
	return ftype_names[t];
}

static const char *const aggop_names[] = { "count", "sum", "avg", "min",
	"max", "last", "stddev" };

int
mlp_aggop_parse(const char *s, enum mlp_aggop *op)
{
	for (size_t i = 0; i < sizeof(aggop_names) / sizeof(*aggop_names); i++)
		if (strcmp(s, aggop_names[i]) == 0) {
			*op = (enum mlp_aggop)i;
			return 0;
		}
	return -1;
}

const char *
mlp_aggop_name(enum mlp_aggop op)
{
	return aggop_names[op];
}
