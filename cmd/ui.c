/* Output for humans and scripts: errors, colour, tables, CSV and JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "store/store.h"
#include "cmd.h"

static void
vmsg(struct mlp_ctx *ctx, const char *prefix, const char *color,
    const char *fmt, va_list ap)
{
	fprintf(stderr, "%s%s%s", ctx->color_err ? "\033[" : "",
	    ctx->color_err ? color : "", ctx->color_err ? "m" : "");
	fprintf(stderr, "%s", prefix);
	if (ctx->cmd && *ctx->cmd)
		fprintf(stderr, "%s: ", ctx->cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", ctx->color_err ? "\033[0m" : "");
}

static void
msg(struct mlp_ctx *ctx, const char *prefix, const char *color,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(ctx, prefix, color, fmt, ap);
	va_end(ap);
}

/* Whether s ends in the words of ENOSPC or EDQUOT without saying "disk is
 * full": messages end with strerror(errno), whoever worded them. */
static int
full_unsaid(const char *s)
{
	static const int causes[] = { ENOSPC, EDQUOT };
	size_t n = strlen(s);

	if (strstr(s, "disk is full"))
		return 0;
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		const char *why = strerror(causes[i]);
		size_t k = strlen(why);

		if (n > k && strcmp(s + n - k, why) == 0)
			return 1;
	}
	return 0;
}

int
mlp_failf(struct mlp_ctx *ctx, int code, const char *fmt, ...)
{
	struct mlp_buf b = MLP_BUF_INIT;
	va_list ap;
	int full;

	va_start(ap, fmt);
	mlp_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	full = full_unsaid(mlp_buf_str(&b));
	msg(ctx, "mlp: ", C_RED, "%s%s", full ? "disk is full: " : "",
	    mlp_buf_str(&b));
	if (full)
		mlp_hint(ctx, "free some space and try again");
	mlp_buf_release(&b);
	return code;
}

int
mlp_fail(struct mlp_ctx *ctx, const struct mlp_err *err)
{
	int code = err->code == MLP_EINVAL || err->code == MLP_ESYNTAX ? 2 : 1;

	mlp_failf(ctx, code, "%s", err->msg[0] ? err->msg : "failed");
	if (err->code == MLP_ENOREPO)
		mlp_hint(ctx, "run 'mlp init' to create one here, or use -C "
		    "DIR or MLP_DIR");
	else if (err->code == MLP_ECORRUPT && strstr(err->msg, "mlp.db"))
		mlp_hint(ctx, "the repository's metadata database is damaged "
		    "or not mlp's; restore .mlp/mlp.db from a backup");
	else if (err->code == MLP_ECORRUPT)
		mlp_hint(ctx, "'mlp fsck' lists what is damaged");
	else if (err->code == MLP_ELOCKED)
		mlp_hint(ctx, "another mlp process holds the database; try "
		    "again");
	else if (err->code == MLP_EREADONLY)
		mlp_hint(ctx, "commands that only read still work; writing "
		    "needs a writable mount and write permission on .mlp/");
	else if (err->code == MLP_ENOSPACE)
		mlp_hint(ctx, "free some space and try again ('mlp gc' "
		    "removes objects nothing references)");
	return code;
}

void
mlp_hint(struct mlp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hint: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

int
mlp_usage_error(struct mlp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(ctx, "mlp: ", C_RED, fmt, ap);
	va_end(ap);
	mlp_hint(ctx, "see 'mlp %s -h'", ctx->cmd && *ctx->cmd ? ctx->cmd :
	    "help");
	return 2;
}

void
mlp_info(struct mlp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *
mlp_color(struct mlp_ctx *ctx, const char *code)
{
	static char buf[8][16];
	static int slot;

	if (!ctx->color)
		return "";
	slot = (slot + 1) % 8;
	snprintf(buf[slot], sizeof(buf[slot]), "\033[%sm", code);
	return buf[slot];
}

void
mlp_print_json(cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
	}
	free(s);
	cJSON_Delete(doc);
}

/* cells and color grow together: both hold alloc entries */
static void
table_grow(struct mlp_table *t, size_t need)
{
	size_t old = t->alloc;

	if (need <= old)
		return;
	mlp_grow(&t->cells, &t->alloc, need, sizeof(*t->cells));
	t->color = xrealloc(t->color, t->alloc * sizeof(*t->color));
	memset(t->color + old, 0, (t->alloc - old) * sizeof(*t->color));
}

char *
mlp_display(const char *s)
{
	struct mlp_buf b = MLP_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;

	mlp_buf_adds(&b, "");
	for (; *p; p++) {
		if (*p == '\n')
			mlp_buf_adds(&b, "\\n");
		else if (*p == '\t')
			mlp_buf_adds(&b, "\\t");
		else if (*p == '\r')
			mlp_buf_adds(&b, "\\r");
		else if (*p < 0x20 || *p == 0x7f)
			mlp_buf_addf(&b, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			/* C1 controls: U+0080 to U+009F (CSI among them) */
			mlp_buf_addf(&b, "\\u%04x", *++p);
		else
			mlp_buf_addc(&b, (char)*p);
	}
	return mlp_buf_detach(&b);
}

void
mlp_table_init(struct mlp_table *t, size_t ncols, const char *const *hdr)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->right = xcalloc(ncols, sizeof(*t->right));
	table_grow(t, ncols);
	for (size_t i = 0; i < ncols; i++)
		t->cells[i] = mlp_display(hdr[i]);
}

void
mlp_table_add(struct mlp_table *t, const char *const *row)
{
	size_t base = (t->nrows + 1) * t->ncols;

	table_grow(t, base + t->ncols);
	/* a cell is one line: control characters are shown escaped */
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[base + i] = mlp_display(row[i] ? row[i] : "");
	t->nrows++;
}

void
mlp_table_set_color(struct mlp_table *t, size_t row, size_t col,
    const char *code)
{
	t->color[(row + 1) * t->ncols + col] = code;
}

/* Display width of UTF-8 text: code points, good enough for tables. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
mlp_table_print(struct mlp_ctx *ctx, struct mlp_table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));

	for (size_t r = 0; r <= t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t cw = text_width(t->cells[r * t->ncols + c]);

			if (cw > w[c])
				w[c] = cw;
		}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			const char *col = r == 0 ? C_BOLD :
			    t->color[r * t->ncols + c];
			size_t pad = w[c] - text_width(cell);
			int last = c + 1 == t->ncols;

			if (c)
				fputs("  ", stdout);
			if (t->right[c] && r > 0)
				for (size_t i = 0; i < pad; i++)
					fputc(' ', stdout);
			if (col && ctx->color)
				printf("\033[%sm%s\033[0m", col, cell);
			else
				fputs(cell, stdout);
			if (!(t->right[c] && r > 0) && !last)
				for (size_t i = 0; i < pad; i++)
					fputc(' ', stdout);
		}
		fputc('\n', stdout);
	}
	free(w);
}

void
mlp_table_release(struct mlp_table *t)
{
	for (size_t i = 0; i < (t->nrows + 1) * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t->color);
	memset(t, 0, sizeof(*t));
}

void
mlp_csv_field(FILE *fp, const char *s, char sep)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', fp);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else {
		fputs(s, fp);
	}
	fputc(sep, fp);
}

const char *
mlp_plural(int64_t n, const char *one, const char *many)
{
	return n == 1 || n == -1 ? one : many;
}

const char *
mlp_plural_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

void
mlp_fmt_bytes(uint64_t n, char *out, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(out, size, "%llu B", (unsigned long long)n);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(out, size, "%.1f %s", v, units[u]);
}

/* Like git's delayed progress: an operation draws nothing during its first
 * half second, so quick ones leave no line behind; one that has drawn ends
 * its line when done. An operation starts at the first call after the last
 * one finished. */
int
mlp_term_width(void)
{
	struct winsize ws;
	const char *c = getenv("COLUMNS");
	long n;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	n = c ? strtol(c, NULL, 10) : 0;
	return n > 0 && n < 10000 ? (int)n : 80;
}

void
mlp_progress(struct mlp_ctx *ctx, const char *what, uint64_t done,
    uint64_t total)
{
	static double start, last;
	static int running, shown;
	char d[32], t[32], line[256];
	double now = mlp_mono();
	int pct = total ? (int)(done * 100 / total) : 100;

	if (ctx->quiet || !ctx->color_err)
		return;
	if (!running) {
		running = 1;
		shown = 0;
		start = now;
	}
	if (done >= total)
		running = 0;
	if (!shown && now - start < 0.5)
		return;
	if (done < total && now - last < 0.1)
		return;
	last = now;
	shown = 1;
	mlp_fmt_bytes(done, d, sizeof(d));
	mlp_fmt_bytes(total, t, sizeof(t));
	/* one line: a line that wraps cannot be redrawn with \r */
	snprintf(line, sizeof(line), "%s %3d%% %s / %s", what, pct, d, t);
	fprintf(stderr, "\r%.*s\033[K%s", mlp_term_width() - 1, line,
	    done >= total ? "\n" : "");
}

static void
store_progress(uint64_t done, uint64_t total, void *ud)
{
	mlp_progress(ud, "storing", done, total);
}

int
mlp_ctx_store(struct mlp_ctx *ctx, struct mlp_store **out)
{
	struct mlp_err err;
	char *policy = NULL;
	int rc;

	if (ctx->store) {
		*out = ctx->store;
		return 0;
	}
	mlp_err_clear(&err);
	/* an unset store.link is the default policy */
	rc = mlp_config_get(ctx->repo, "store.link", &policy, &err);
	if (rc < 0 && rc != MLP_ENOTFOUND)
		return mlp_fail(ctx, &err);
	rc = mlp_store_open(&ctx->store, ctx->repo->dir, policy, ctx->db, &err);
	free(policy);
	if (rc < 0)
		return mlp_fail(ctx, &err);
	mlp_store_set_progress(ctx->store, store_progress, ctx);
	*out = ctx->store;
	return 0;
}

char *
mlp_ctx_cmdline(const struct mlp_ctx *ctx)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (int i = 0; i < ctx->argc; i++) {
		const char *a = ctx->argv[i];
		int quote = !*a || strpbrk(a, " \t\n'\"\\$`;&|<>*?()") != NULL;

		if (i)
			mlp_buf_addc(&b, ' ');
		if (!quote) {
			mlp_buf_adds(&b, a);
			continue;
		}
		mlp_buf_addc(&b, '\'');
		for (; *a; a++) {
			if (*a == '\'')
				mlp_buf_adds(&b, "'\\''");
			else
				mlp_buf_addc(&b, *a);
		}
		mlp_buf_addc(&b, '\'');
	}
	return mlp_buf_detach(&b);
}
