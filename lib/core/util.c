/* Time, random ids, strict number parsing and the logging hook. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core.h"

int64_t
mlp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
mlp_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
mlp_fmt_time(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, n, "%lld", (long long)ms);
}

void
mlp_fmt_duration(int64_t ms, char *out, size_t n)
{
	if (ms < 0)
		snprintf(out, n, "-");
	else if (ms < 1000)
		snprintf(out, n, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(out, n, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(out, n, "%lldm%02llds", (long long)(ms / 60000),
		    (long long)(ms / 1000 % 60));
	else
		snprintf(out, n, "%lldh%02lldm", (long long)(ms / 3600000),
		    (long long)(ms / 60000 % 60));
}

int
mlp_random(void *out, size_t n, struct mlp_err *err)
{
	unsigned char *p = out;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return mlp_err_set(err, MLP_EFAIL,
			    "cannot get random bytes: %s", strerror(errno));
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int
mlp_new_id(char out[33], struct mlp_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	int rc;

	if ((rc = mlp_random(raw, sizeof(raw), err)) < 0)
		return rc;
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[32] = '\0';
	return 0;
}

int
mlp_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	/* strtod accepts "nan", "inf" and "infinity" in any case, as MLflow's
	 * float() does; hex floats are refused to keep the input unambiguous */
	if (strchr(s, 'x') || strchr(s, 'X'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s)
		return -1;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end)
		return -1;
	/* a subnormal or an underflow to 0 is a float64 still, as MLflow's
	 * float() takes it; a literal past DBL_MAX is no number (inf and nan
	 * are spelled out, and strtod sets no ERANGE for them) */
	if (errno == ERANGE && isinf(v))
		return -2;
	*out = v;
	return 0;
}

int
mlp_parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end || errno == ERANGE)
		return -1;
	*out = v;
	return 0;
}

int
mlp_parse_age_ms(const char *s, int64_t *ms)
{
	static const struct {
		const char *name;
		double ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1e3 }, { "sec", 1e3 }, { "second", 1e3 },
		{ "m", 6e4 }, { "min", 6e4 }, { "minute", 6e4 },
		{ "h", 3.6e6 }, { "hour", 3.6e6 }, { "d", 8.64e7 },
		{ "day", 8.64e7 }, { "w", 6.048e8 }, { "week", 6.048e8 },
		{ "month", 2.592e9 }, { "year", 3.1536e10 },
	};
	char unit[16];
	const char *u;
	size_t len;
	char *end;
	double v;

	if (strcmp(s, "now") == 0) {
		*ms = 0;
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || v < 0 || !isfinite(v) || strchr(s, 'x') ||
	    strchr(s, 'X'))
		return -1;
	/* git's approxidate spelling: 2.weeks.ago */
	u = *end == '.' ? end + 1 : end;
	len = strcspn(u, ".");
	if (len >= sizeof(unit))
		return -1;
	memcpy(unit, u, len);
	unit[len] = '\0';
	if (u[len] && strcmp(u + len, ".ago") != 0)
		return -1;
	if (len > 1 && unit[len - 1] == 's' && strcmp(unit, "ms") != 0)
		unit[len - 1] = '\0';
	if (!*unit) {
		*ms = (int64_t)(v * 1e3);
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		if (strcmp(unit, units[i].name) == 0) {
			*ms = (int64_t)(v * units[i].ms);
			return 0;
		}
	}
	return -1;
}

void
mlp_fmt_double(double v, char *out, size_t n)
{
	if (isnan(v)) {
		snprintf(out, n, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, v > 0 ? "inf" : "-inf");
		return;
	}
	/* a whole number prints whole (a timestamp in ms is not 1.7e+12),
	 * up to where %g would switch to an exponent in Python and JS */
	if (v == trunc(v) && fabs(v) < 1e16) {
		snprintf(out, n, "%.0f", v);
		return;
	}
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static mlp_log_fn log_fn;
static void *log_ud;

void
mlp_log_set(mlp_log_fn fn, void *ud)
{
	log_fn = fn;
	log_ud = ud;
}

void
mlp_log(enum mlp_log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(lvl, msg, log_ud);
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 &&
	    errno != ENOENT)
		return -1;
	return 0;
}

int
mlp_remove_tree(const char *path, struct mlp_err *err)
{
	if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 &&
	    errno != ENOENT)
		return mlp_err_set(err, MLP_EFAIL, "cannot remove '%s': %s",
		    path, strerror(errno));
	return 0;
}

int
mlp_err_write(struct mlp_err *err, int e, int in_repo, const char *fmt, ...)
{
	const char *why = "";
	int code = MLP_EFAIL;
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (e == ENOSPC || e == EDQUOT) {
		code = MLP_ENOSPACE;
		why = "disk is full: ";
	} else if (in_repo && (e == EROFS || e == EACCES || e == EPERM)) {
		code = MLP_EREADONLY;
		why = "repository is read-only: ";
	}
	return mlp_err_set(err, code, "%s%s: %s", why, what, strerror(e));
}

int
mlp_create_beside(const char *path, char **tmp, struct mlp_err *err)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[6] = { 0 };
		int fd;

		(void)mlp_random(r, sizeof(r), NULL);
		*tmp = xasprintf("%s.tmp-%02x%02x%02x%02x%02x%02x", path, r[0],
		    r[1], r[2], r[3], r[4], r[5]);
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST) {
			/* the user named path: the temporary name would only
			 * puzzle them */
			int rc = mlp_err_write(err, errno, 0, "cannot create "
			    "'%s'", path);

			free(*tmp);
			*tmp = NULL;
			return rc;
		}
		free(*tmp);
		*tmp = NULL;
	}
	return mlp_err_set(err, MLP_EFAIL, "cannot create a file beside '%s'",
	    path);
}

int
mlp_output_open(const char *path, char **tmp, struct mlp_err *err)
{
	struct stat sb;
	int fd;

	*tmp = NULL;
	if (lstat(path, &sb) < 0 || S_ISREG(sb.st_mode))
		return mlp_create_beside(path, tmp, err);
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	return fd;
}

int
mlp_write_file(const char *path, const void *buf, size_t n,
    struct mlp_err *err)
{
	const char *p = buf;
	char *tmp;
	int fd, rc = 0;

	if ((fd = mlp_output_open(path, &tmp, err)) < 0)
		return fd;
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	if (n > 0 || close(fd) < 0 || (tmp && rename(tmp, path) < 0)) {
		rc = mlp_err_write(err, errno ? errno : ENOSPC, 0,
		    "cannot write '%s'", path);
		if (n > 0)
			close(fd);
		if (tmp)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

static int
hex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	    c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int
mlp_file_uri(const char *s, char **path, struct mlp_err *err)
{
	const char *p;
	char *out, *o;

	*path = NULL;
	if (strncasecmp(s, "file://", 7) != 0)
		return 0;
	p = s + 7;
	if (strncasecmp(p, "localhost/", 10) == 0)
		p += 9;
	if (*p != '/')
		return mlp_err_set(err, MLP_EINVAL, "'%s': only local file URIs "
		    "(file:///PATH) are model sources", s);
	o = out = xmalloc(strlen(p) + 1);
	for (; *p; p++) {
		int hi, lo;

		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		hi = hex_digit((unsigned char)p[1]);
		lo = hi < 0 ? -1 : hex_digit((unsigned char)p[2]);
		if (lo < 0 || (hi | lo) == 0) {
			free(out);
			return mlp_err_set(err, MLP_EINVAL, "'%s': bad %%-escape "
			    "at '%.3s'", s, p);
		}
		*o++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*o = '\0';
	*path = out;
	return 1;
}

int
mlp_read_file(const char *path, size_t max, char **out, size_t *len,
    struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	int in = strcmp(path, "-") == 0;
	const char *name = in ? "standard input" : path;
	struct stat st;
	int fd, rc = 0;

	*out = NULL;
	*len = 0;
	if ((fd = in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is a directory", path);
		goto out;
	}
	mlp_buf_grow(&b, S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : 4096);
	for (;;) {
		ssize_t got;

		mlp_buf_grow(&b, 4096);
		got = read(fd, b.s + b.len, b.alloc - b.len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    name, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		b.len += (size_t)got;
		b.s[b.len] = '\0';
		if (b.len > max) {
			rc = mlp_err_set(err, MLP_EINVAL, "'%s' is larger than "
			    "%zu MiB", name, max >> 20);
			goto out;
		}
	}
	*len = b.len;
	*out = mlp_buf_detach(&b);
out:
	if (!in)
		close(fd);
	mlp_buf_release(&b);
	return rc;
}

int
mlp_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

long
mlp_utf8_invalid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], need;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return (long)i;
		}
		if (n - i <= need)
			return (long)i;
		for (unsigned k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return (long)i;
		i += need + 1;
	}
	return -1;
}

int
mlp_check_utf8(const char *what, const char *s, struct mlp_err *err)
{
	long at = mlp_utf8_invalid(s, strlen(s)), cut;
	struct mlp_buf b;

	if (at < 0)
		return 0;
	/* the valid text before the bad byte (its last 40 bytes at most, cut
	 * at a character), then the byte itself, escaped */
	cut = at > 40 ? at - 40 : 0;
	while (cut > 0 && (s[cut] & 0xc0) == 0x80)
		cut++;
	mlp_buf_init(&b);
	if (cut > 0)
		mlp_buf_adds(&b, "...");
	mlp_buf_add(&b, s + cut, (size_t)(at - cut));
	mlp_buf_addf(&b, "\\x%02x", (unsigned char)s[at]);
	mlp_err_set(err, MLP_EINVAL, "%s '%s' is not valid UTF-8 (byte %ld)",
	    what, b.s, at + 1);
	mlp_buf_release(&b);
	return MLP_EINVAL;
}

size_t
mlp_edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[64], prev;

	if (na >= 64 || nb >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t sub = prev + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			size_t best = (row[j] < row[j - 1] ? row[j] :
			    row[j - 1]) + 1;

			prev = row[j];
			row[j] = sub < best ? sub : best;
		}
	}
	return row[nb];
}
