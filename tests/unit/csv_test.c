/* Unit tests of lib/data: the CSV dialect (quotes, CRLF, BOM, blank lines,
 * missing markers), type inference and categorical codes, every error
 * message, reads split between threads against one thread, the streaming
 * reader, digests, and number parsing against (float)strtod. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/data.h"
#include "data/internal.h"
#include "frames.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-csv-test.XXXXXX";
static char *tpath;		/* dir/t.csv, which most tests write */
static char msg[600];

static char *
path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
write_bytes(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		perror(p);
		exit(2);
	}
}

/* Reads s (written to t.csv) with n threads; NULL and the message in msg
 * on failure. */
static struct mlp_frame *
read_n(const char *s, size_t len, int n, const char *const *cat, int *rc)
{
	struct mlp_csv_opts opts = { 0 };
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	int r;

	write_bytes(tpath, s, len);
	opts.nthreads = n;
	opts.categorical = cat;
	msg[0] = '\0';
	r = mlp_csv_read(tpath, &opts, &f, &err);
	if (r < 0)
		snprintf(msg, sizeof(msg), "%s", err.msg);
	if (rc)
		*rc = r;
	return f;
}

static struct mlp_frame *
read_str(const char *s)
{
	return read_n(s, strlen(s), 1, NULL, NULL);
}

/* The message reading s gives, with the path shown as P. */
static const char *
read_fail(const char *s, int *code)
{
	static char out[600];
	struct mlp_frame *f = read_n(s, strlen(s), 1, NULL, code);
	const char *m = msg, *at;
	size_t n = strlen(tpath);

	mlp_frame_free(f);
	if (f)
		return "(no error)";
	out[0] = '\0';
	while ((at = strstr(m, tpath))) {
		strncat(out, m, (size_t)(at - m));
		strcat(out, "P");
		m = at + n;
	}
	strcat(out, m);
	return out;
}

static uint64_t rng_state = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t
rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

static void
test_dialect(void)
{
	struct mlp_frame *f;

	f = read_str("a,b,c\n1,\"x,y\",3\n2,\"he said \"\"hi\"\"\",4\n"
	    "3,\"multi\nline\",5\n");
	ok(f && f->nrows == 3 && f->ncols == 3, "quoted fields: 3 rows of 3");
	if (f) {
		is_str(f->col[1].name, "b", "column name");
		is_int(f->col[1].type, MLP_COL_CAT, "text is categorical");
		is_int(f->col[1].nlevels, 3, "three levels");
		is_str(f->col[1].levels[0], "he said \"hi\"", "\"\" unescaped");
		is_str(f->col[1].levels[1], "multi\nline", "newline kept");
		is_str(f->col[1].levels[2], "x,y", "separator kept");
		ok(f->cols[1][0] == 2 && f->cols[1][1] == 0 &&
		    f->cols[1][2] == 1, "codes follow sorted levels");
		ok(f->cols[2][2] == 5, "field after a quoted newline");
		is_int(f->col[0].type, MLP_COL_NUM, "numbers are numeric");
	}
	mlp_frame_free(f);

	f = read_str("\xef\xbb\xbf" "a,b\r\n1,2\r\n3,4");
	ok(f && f->nrows == 2, "CRLF, BOM, no final newline");
	if (f) {
		is_str(f->col[0].name, "a", "BOM skipped");
		is_str(f->col[1].name, "b", "CR not in a name");
		ok(f->cols[0][0] == 1 && f->cols[1][0] == 2 &&
		    f->cols[0][1] == 3 && f->cols[1][1] == 4, "values");
	}
	mlp_frame_free(f);

	f = read_str("a,b\r\n1,x\r");
	ok(f && f->nrows == 1 && f->col[1].nlevels == 1 &&
	    strcmp(f->col[1].levels[0], "x") == 0, "a last CR ends the line");
	mlp_frame_free(f);

	f = read_str("\n\na,b\n\n1,2\n\r\n  \n3,4\n\n");
	ok(f && f->nrows == 2 && f->cols[0][1] == 3, "blank lines skipped");
	mlp_frame_free(f);

	f = read_str("a,b\n\"1.5\",\"ab\"cd\n\"\",x\n");
	ok(f && f->cols[0][0] == 1.5f && isnan(f->cols[0][1]),
	    "quoted number; quoted empty is missing");
	ok(f && strcmp(f->col[1].levels[0], "abcd") == 0,
	    "text after a closing quote kept, as pandas");
	mlp_frame_free(f);

	f = read_str("x;y\n1;2\n");
	ok(f && f->ncols == 1, "';' is not a separator by default");
	mlp_frame_free(f);
	{
		struct mlp_csv_opts o = { 0 };
		struct mlp_err err;

		write_bytes(tpath, "x;y\n1;2\n", 8);
		o.sep = ';';
		ok(mlp_csv_read(tpath, &o, &f, &err) == 0 && f->ncols == 2 &&
		    f->cols[1][0] == 2, "opts.sep");
		mlp_frame_free(f);
		o.sep = '"';
		ok(mlp_csv_read(tpath, &o, &f, &err) == MLP_EINVAL,
		    "a quote cannot separate");
	}
}

static void
test_missing(void)
{
	static const char *na[] = { "", "NA", "N/A", "NaN", "nan", "null",
		"NULL", "-NaN", "-nan", "n/a", "#N/A", "<NA>", "#NA",
		"\"NA\"", " " };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_frame *f;
	size_t n = sizeof(na) / sizeof(*na);

	mlp_buf_adds(&b, "num,text\n");
	for (size_t i = 0; i < n; i++)
		mlp_buf_addf(&b, "%s,%s\n", na[i], i == 0 ? "a" : na[i]);
	mlp_buf_adds(&b, "1.25,b\n");
	f = read_str(b.s);
	ok(f && f->nrows == n + 1, "missing markers read");
	if (f) {
		int all = 1;

		for (size_t i = 0; i < n; i++)
			all &= isnan(f->cols[0][i]);
		ok(all, "every marker is NaN in a numeric column");
		is_int(f->col[0].type, MLP_COL_NUM, "the column stays numeric");
		ok(f->cols[0][n] == 1.25f, "the number");
		is_int(f->col[1].type, MLP_COL_CAT, "text column");
		is_int(f->col[1].nlevels, 3, "markers are not levels (' ' is)");
		ok(f->col[1].nlevels == 3 &&
		    strcmp(f->col[1].levels[0], " ") == 0 &&
		    strcmp(f->col[1].levels[1], "a") == 0 &&
		    strcmp(f->col[1].levels[2], "b") == 0, "levels ' ', a, b");
		ok(isnan(f->cols[1][1]) && f->cols[1][0] == 1 &&
		    f->cols[1][n] == 2, "missing text is NaN");
	}
	mlp_frame_free(f);
	mlp_buf_release(&b);

	f = read_str("x\ninf\n-Infinity\n+INF\n 1.5 \n-0\n1e-50\n1e39\n");
	ok(f && f->col[0].type == MLP_COL_NUM, "infinities are numbers");
	if (f) {
		ok(isinf(f->cols[0][0]) && f->cols[0][0] > 0, "inf");
		ok(isinf(f->cols[0][1]) && f->cols[0][1] < 0, "-Infinity");
		ok(isinf(f->cols[0][2]) && f->cols[0][2] > 0, "+INF");
		ok(f->cols[0][3] == 1.5f, "spaces around a number");
		ok(f->cols[0][4] == 0 && signbit(f->cols[0][4]), "-0");
		ok(f->cols[0][5] == 0, "underflow to 0");
		ok(isinf(f->cols[0][6]), "overflow to inf");
	}
	mlp_frame_free(f);
}

static void
test_types(void)
{
	static const char *const cat[] = { "n", NULL };
	static const char *const nocol[] = { "zz", NULL };
	struct mlp_frame *f;
	int rc;

	f = read_n("n,s\n10,c\n2,b\n1,a\n2,b\n", 21, 1, cat, &rc);
	ok(f != NULL, "forced categorical");
	if (f) {
		is_int(f->col[0].type, MLP_COL_CAT, "numbers made categorical");
		ok(f->col[0].nlevels == 3 &&
		    strcmp(f->col[0].levels[0], "1") == 0 &&
		    strcmp(f->col[0].levels[1], "10") == 0 &&
		    strcmp(f->col[0].levels[2], "2") == 0,
		    "levels sorted bytewise: 1, 10, 2");
		ok(f->cols[0][0] == 1 && f->cols[0][1] == 2 &&
		    f->cols[0][2] == 0 && f->cols[0][3] == 2, "their codes");
		ok(f->cols[1][0] == 2 && f->cols[1][1] == 1 &&
		    f->cols[1][2] == 0, "text codes");
		is_int(mlp_frame_find(f, "s"), 1, "mlp_frame_find");
		is_int(mlp_frame_find(f, "t"), -1, "mlp_frame_find: none");
	}
	mlp_frame_free(f);
	f = read_n("n,s\n1,2\n", 8, 1, nocol, &rc);
	ok(!f && rc == MLP_EINVAL, "forcing an unknown column fails");
	ok(strstr(msg, "has no column 'zz'") != NULL, "which it names: %s",
	    msg);

	f = read_str("a,b\n1,x\n2,3\n");
	ok(f && f->col[1].type == MLP_COL_CAT && f->col[0].type == MLP_COL_NUM,
	    "a text value in the sample makes a column categorical");
	ok(f && f->col[1].nlevels == 2 && f->cols[1][1] == 0 &&
	    f->cols[1][0] == 1, "numbers then are levels too (3 < x)");
	mlp_frame_free(f);

	f = read_str("a,b\nNA,\n,NA\n");
	ok(f && f->col[0].type == MLP_COL_NUM && f->col[1].type == MLP_COL_NUM,
	    "an all-missing column is numeric");
	mlp_frame_free(f);
}

/* A file whose column 3 holds a non-number past the sample, with CRLF and
 * quoted newlines before it: the line must still be right. */
static void
test_late_error(void)
{
	struct mlp_buf b = MLP_BUF_INIT;
	uint64_t line = 2;
	char want[300];
	int rc, same = 1;

	mlp_buf_adds(&b, "id,name,age\r\n");
	for (int i = 0; i < 20000; i++) {
		if (i == 15000) {
			snprintf(want, sizeof(want), "'%s' line %llu column 3 "
			    "('age'): 'abc' is not a number", tpath,
			    (unsigned long long)line);
			mlp_buf_addf(&b, "%d,x,abc\r\n", i);
			line++;
			continue;
		}
		if (i % 97 == 0) {
			mlp_buf_addf(&b, "%d,\"two\r\nlines\",%d\r\n", i, i);
			line += 2;
		} else if (i % 89 == 0) {
			mlp_buf_addf(&b, "%d,\"three\n\nlines\",%d\n", i, i);
			line += 3;
		} else if (i % 83 == 0) {
			mlp_buf_addf(&b, "\n%d,n,%d\n", i, i);
			line += 2;
		} else {
			mlp_buf_addf(&b, "%d,n%d,%d\r\n", i, i % 7, i);
			line++;
		}
	}
	for (int n = 1; n <= 5; n++) {
		struct mlp_frame *f;

		data_min_chunk = n == 1 ? 1u << 20 : 4096;
		f = read_n(b.s, b.len, n, NULL, &rc);
		mlp_frame_free(f);
		if (n == 1) {
			ok(!f && rc == MLP_EINVAL, "a late non-number fails");
			is_str(msg, want, "naming line, column and value");
		} else
			same &= !f && strcmp(msg, want) == 0;
	}
	ok(same, "the same error with 2 to 5 threads");
	data_min_chunk = 1u << 20;
	mlp_buf_release(&b);
}

static void
test_errors(void)
{
	struct mlp_frame *f;
	struct mlp_err err;
	char *nope = path("nope.csv"), want[300];
	int rc;

	is_str(read_fail("a,b,c\n1,2,3\n4,5\n", &rc),
	    "'P' line 3: expected 3 fields, found 2", "too few fields");
	is_int(rc, MLP_EINVAL, "MLP_EINVAL");
	is_str(read_fail("a,b\n1,2\n\n\"x\ny\",2,3\n", &rc),
	    "'P' line 4: expected 2 fields, found 3", "too many fields");
	is_str(read_fail("a,b\n1,2\n3,\"4\n\n\"\n5,6,\n", &rc),
	    "'P' line 6: expected 2 fields, found 3",
	    "lines counted through quoted newlines");
	is_str(read_fail("a,b\r\n1,2\r\n3,4,5\r\n", &rc),
	    "'P' line 3: expected 2 fields, found 3", "CRLF lines");
	is_str(read_fail("", &rc), "'P' is empty", "an empty file");
	is_int(rc, MLP_EINVAL, "MLP_EINVAL");
	is_str(read_fail("\n\r\n\n", &rc), "'P' is empty", "blank lines only");
	is_str(read_fail("a,b\n", &rc), "'P' has no rows", "a header only");
	is_str(read_fail("a,b", &rc), "'P' has no rows",
	    "a header without newline");
	is_str(read_fail("a,b\n\n\n", &rc), "'P' has no rows",
	    "a header and blank lines");
	is_str(read_fail("  {\"inputs\": [1]}", &rc),
	    "'P' is JSON, not CSV (it begins with '{')", "JSON");
	is_int(rc, MLP_EUNSUPPORTED, "MLP_EUNSUPPORTED");
	is_str(read_fail("a,b,a\n1,2,3\n", &rc),
	    "'P' line 1: duplicate column 'a'", "duplicate column");
	is_str(read_fail("\na,b,\"b\"\n1,2,3\n", &rc),
	    "'P' line 2: duplicate column 'b'", "duplicate after a blank line");
	is_str(read_fail("a\n1\n\"abc\n", &rc),
	    "'P' line 3: quoted field not closed before the end of the file",
	    "unclosed quote");
	is_str(read_fail("a,age\n1,2\nx,y\n", &rc),
	    "(no error)", "non-numbers in the sample make text columns");

	rc = mlp_csv_read(nope, NULL, &f, &err);
	is_int(rc, MLP_ENOTFOUND, "a missing file: MLP_ENOTFOUND");
	snprintf(want, sizeof(want),
	    "cannot open '%s': No such file or directory", nope);
	is_str(err.msg, want, "its message");
	ok(f == NULL, "no frame");
	rc = mlp_csv_read(dir, NULL, &f, &err);
	ok(rc < 0 && strstr(err.msg, "Is a directory"), "a directory: %s",
	    err.msg);
	free(nope);
}

/* Rows with quoted newlines, escaped quotes, CRLF, blank lines, missing
 * values and levels, built from the PRNG. */
static void
random_rows(struct mlp_buf *b, size_t nrows)
{
	mlp_buf_adds(b, "x,s,y,t\n");
	for (size_t i = 0; i < nrows; i++) {
		size_t k = rnd_below(100);

		mlp_buf_addf(b, "%.*g,", 1 + (int)rnd_below(9),
		    (double)(int64_t)rnd() / 1e15);
		if (k < 10)
			mlp_buf_addf(b, "\"l%zu\n,\n\"\"q\"\"\n\"",
			    rnd_below(50));
		else if (k < 12)
			mlp_buf_adds(b, "\"\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\"");
		else if (k < 15)
			mlp_buf_adds(b, "NA");
		else
			mlp_buf_addf(b, "v%zu", rnd_below(300));
		mlp_buf_addf(b, ",%zu,", rnd_below(1000));
		if (k % 3 == 0)
			mlp_buf_adds(b, "\"a\nb\"");
		else
			mlp_buf_addf(b, "%c", 'a' + (int)rnd_below(26));
		mlp_buf_adds(b, k == 50 ? "\r\n" : k == 51 ? "\n\n" : "\n");
	}
	/* one quoted field longer than several chunks */
	mlp_buf_adds(b, "1,\"");
	for (size_t i = 0; i < 30000; i++)
		mlp_buf_adds(b, i % 5 ? "z," : "\n");
	mlp_buf_adds(b, "\",2,end\n");
	for (size_t i = 0; i < 100; i++)
		mlp_buf_addf(b, "%zu,w,%zu,e\n", i, i);
}

static void
test_threads(void)
{
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_frame *one, *f;
	int rc, same = 1, tries = 0;

	random_rows(&b, 120000);
	ok(b.len > 2u << 20, "a file of %zu bytes", b.len);
	one = read_n(b.s, b.len, 1, NULL, &rc);
	ok(one && one->nrows == 120101, "read with one thread: %s", msg);
	if (!one)
		goto out;
	ok(one->col[1].type == MLP_COL_CAT && one->col[0].type == MLP_COL_NUM,
	    "types");
	for (int n = 2; n <= 4; n++) {
		f = read_n(b.s, b.len, n, NULL, &rc);
		ok(f && frames_equal(one, f), "%d threads, split at 1 MiB", n);
		mlp_frame_free(f);
	}
	for (size_t chunk = 37; chunk <= 70000; chunk = chunk * 3 + 1) {
		data_min_chunk = chunk;
		for (int n = 2; n <= 16; n += 7) {
			f = read_n(b.s, b.len, n, NULL, &rc);
			same &= f && frames_equal(one, f);
			tries++;
			mlp_frame_free(f);
		}
	}
	ok(same, "the same frame in %d reads split in small chunks", tries);
	data_min_chunk = 1u << 20;
	f = read_n(b.s, b.len, 0, NULL, &rc);
	ok(f && frames_equal(one, f), "nthreads 0: the online CPUs");
	mlp_frame_free(f);
out:
	mlp_frame_free(one);
	mlp_buf_release(&b);
}

/* Small random files from a few bytes, read with one thread and with
 * several splitting them anywhere: the same frame or the same error. */
static void
test_split_random(void)
{
	static const char alphabet[] = "a1,,\"\"\n\n\r 5.e-N";
	char buf[200];
	int same = 1, read_ok = 0;

	data_min_chunk = 1;
	for (int t = 0; t < 3000; t++) {
		size_t n = 4 + rnd_below(sizeof(buf) - 4);
		struct mlp_frame *a, *c;
		char m1[600];
		int r1, r2;

		memcpy(buf, "a,b\n", 4);
		for (size_t i = 4; i < n; i++)
			buf[i] = alphabet[rnd_below(sizeof(alphabet) - 1)];
		a = read_n(buf, n, 1, NULL, &r1);
		snprintf(m1, sizeof(m1), "%s", msg);
		c = read_n(buf, n, 2 + (int)rnd_below(5), NULL, &r2);
		if (r1 != r2 || (a && !frames_equal(a, c)) ||
		    (!a && strcmp(m1, msg) != 0)) {
			if (same)
				printf("# differs: '%.*s'\n", (int)n, buf);
			same = 0;
		}
		read_ok += a != NULL;
		mlp_frame_free(a);
		mlp_frame_free(c);
	}
	ok(same, "3000 random files: splitting changes nothing (%d read)",
	    read_ok);
	data_min_chunk = 1u << 20;
}

static void
test_stream(void)
{
	static const char csv[] =
	    "extra,age,color,score\n"
	    "q,30,red,1.5\n"
	    "\n"
	    "\"multi\nline\",40,green,2.5\n"
	    "z,,blue,NA\n"
	    "z,50,\"red\",3\n"
	    "z,60,,4\r\n";
	static char *blue_red[] = { "blue", "red" };
	struct mlp_column schema[3] = {
		{ "score", MLP_COL_NUM, NULL, 0 },
		{ "color", MLP_COL_CAT, blue_red, 2 },
		{ "age", MLP_COL_NUM, NULL, 0 },
	};
	struct mlp_csv_stream *s;
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	size_t n, lines[3];
	char want[300];
	int rc;

	write_bytes(tpath, csv, sizeof(csv) - 1);
	rc = mlp_csv_stream_open(&s, tpath, schema, 3, NULL, &err);
	ok(rc == 0, "stream open: %s", rc ? err.msg : "");
	if (rc)
		return;
	rc = mlp_csv_stream_next(s, 2, &f, &n, &err);
	ok(rc == 0 && n == 2 && f && f->nrows == 2 && f->ncols == 3,
	    "first chunk of 2");
	lines[0] = mlp_csv_stream_line(s);
	ok(f->cols[0][0] == 1.5f && f->cols[1][0] == 1 && f->cols[2][0] == 30,
	    "columns in schema order");
	ok(isnan(f->cols[1][1]) && f->cols[2][1] == 40,
	    "an unseen level is missing");
	is_str(f->col[1].name, "color", "the frame's columns");
	ok(f->col[1].nlevels == 2 && strcmp(f->col[1].levels[1], "red") == 0,
	    "with the schema's levels");
	rc = mlp_csv_stream_next(s, 2, &f, &n, &err);
	lines[1] = mlp_csv_stream_line(s);
	ok(rc == 0 && n == 2 && f->cols[1][0] == 0 && isnan(f->cols[0][0]) &&
	    isnan(f->cols[2][0]) && f->cols[1][1] == 1, "second chunk");
	rc = mlp_csv_stream_next(s, 2, &f, &n, &err);
	lines[2] = mlp_csv_stream_line(s);
	ok(rc == 0 && n == 1 && isnan(f->cols[1][0]) && f->cols[0][0] == 4,
	    "last chunk, CRLF");
	ok(lines[0] == 2 && lines[1] == 6 && lines[2] == 8,
	    "first lines of chunks: %zu %zu %zu", lines[0], lines[1],
	    lines[2]);
	rc = mlp_csv_stream_next(s, 2, &f, &n, &err);
	ok(rc == 0 && n == 0 && f->nrows == 0, "then the end");
	mlp_csv_stream_close(s);
	mlp_frame_free(f);
	f = NULL;

	schema[2].name = "weight";
	rc = mlp_csv_stream_open(&s, tpath, schema, 3, NULL, &err);
	snprintf(want, sizeof(want), "'%s' has no column 'weight'", tpath);
	ok(rc == MLP_EINVAL, "a schema column missing from the file");
	is_str(err.msg, want, "is named");
	schema[2].name = "age";

	write_bytes(tpath, "age,color,score\n1,red,2\n\"x\ny\",red,3\n",
	    strlen("age,color,score\n1,red,2\n\"x\ny\",red,3\n"));
	rc = mlp_csv_stream_open(&s, tpath, schema, 3, NULL, &err);
	ok(rc == 0, "open");
	if (rc == 0) {
		rc = mlp_csv_stream_next(s, 10, &f, &n, &err);
		snprintf(want, sizeof(want), "'%s' line 3 column 1 ('age'): "
		    "'x?y' is not a number", tpath);
		ok(rc == MLP_EINVAL, "a non-number in a numeric column");
		is_str(err.msg, want, "the same message as a read");
		rc = mlp_csv_stream_next(s, 10, &f, &n, &err);
		ok(rc == MLP_EINVAL && n == 0, "and again");
		mlp_csv_stream_close(s);
	}
	mlp_frame_free(f);

	write_bytes(tpath, "", 0);
	rc = mlp_csv_stream_open(&s, tpath, schema, 3, NULL, &err);
	snprintf(want, sizeof(want), "'%s' is empty", tpath);
	ok(rc == MLP_EINVAL && strcmp(err.msg, want) == 0, "an empty file");
	rc = mlp_csv_stream_open(&s, dir, schema, 3, NULL, &err);
	ok(rc < 0, "a directory: %s", err.msg);
}

/* Makes stdin a pipe that a child writes data into, 1000 bytes a write;
 * *saved keeps the old stdin for stdin_restore(). */
static pid_t
stdin_from(const char *data, size_t len, int *saved)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		perror("pipe");
		exit(2);
	}
	if (pid == 0) {
		close(fds[0]);
		for (size_t off = 0; off < len; off += 1000)
			if (write(fds[1], data + off, len - off < 1000 ?
			    len - off : 1000) < 0)
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	*saved = dup(STDIN_FILENO);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	return pid;
}

static void
stdin_restore(pid_t pid, int saved)
{
	int status;

	dup2(saved, STDIN_FILENO);
	close(saved);
	waitpid(pid, &status, 0);
}

/* Streams path through schema (columns 3, 1, 0 of whole) in chunks of 1
 * to 1000 rows; the number of rows that matched whole, or -1. */
static long
stream_compare(const char *p, const struct mlp_frame *whole,
    const struct mlp_column *schema, size_t *chunks)
{
	struct mlp_csv_stream *s;
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	size_t n, at = 0;
	int rc, same = 1;

	*chunks = 0;
	if (mlp_csv_stream_open(&s, p, schema, 3, NULL, &err) < 0) {
		printf("# %s\n", err.msg);
		return -1;
	}
	for (;;) {
		rc = mlp_csv_stream_next(s, 1 + *chunks % 1000, &f, &n, &err);
		if (rc < 0 || n == 0)
			break;
		++*chunks;
		for (size_t i = 0; i < n && at + i < whole->nrows; i++)
			same &= same_float(f->cols[0][i],
			    whole->cols[3][at + i]) &&
			    same_float(f->cols[1][i], whole->cols[1][at + i]) &&
			    same_float(f->cols[2][i], whole->cols[0][at + i]);
		at += n;
	}
	if (rc < 0)
		printf("# %s\n", err.msg);
	if (!f || f->digest[0] != '\0')
		same = 0;
	mlp_csv_stream_close(s);
	mlp_frame_free(f);
	return rc < 0 || !same ? -1 : (long)at;
}

/* A large file streamed in small chunks gives what a read gives: records
 * across the reader's blocks and one longer than its buffer, from a file
 * and from a pipe that delivers it in small writes. */
static void
test_stream_large(void)
{
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_frame *whole;
	struct mlp_column schema[3];
	size_t chunks;
	long got;
	int rc, saved;
	pid_t pid;

	random_rows(&b, 40000);
	/* a field of 600 KB, longer than the stream's buffer */
	mlp_buf_adds(&b, "7,\"");
	for (size_t i = 0; i < 100000; i++)
		mlp_buf_adds(&b, "\nlong,");
	mlp_buf_adds(&b, "\",8,e\n9,v1,10,\"a\nb\"");
	whole = read_n(b.s, b.len, 2, NULL, &rc);
	ok(whole != NULL, "read: %s", msg);
	if (!whole)
		goto out;
	/* t, s, x: another order, and y left out */
	schema[0] = whole->col[3];
	schema[1] = whole->col[1];
	schema[2] = whole->col[0];
	got = stream_compare(tpath, whole, schema, &chunks);
	is_int(got, (long)whole->nrows,
	    "streamed: the same values as a read, in %zu chunks", chunks);

	pid = stdin_from(b.s, b.len, &saved);
	got = stream_compare("-", whole, schema, &chunks);
	stdin_restore(pid, saved);
	is_int(got, (long)whole->nrows, "from a pipe in writes of 1000 bytes");
out:
	mlp_frame_free(whole);
	mlp_buf_release(&b);
}

/* CR line ends (classic Mac) as pandas reads them, and the line of every
 * row through blank lines and records of several lines. */
static void
test_lines(void)
{
	struct mlp_frame *f;
	int rc;

	f = read_str("a,b\r1,x\r\r3,y\r");
	ok(f && f->nrows == 2 && f->ncols == 2, "CR line ends: 2 rows of 2");
	if (f) {
		is_str(f->col[1].name, "b", "no CR in a name");
		ok(f->cols[0][1] == 3 && f->col[1].nlevels == 2 &&
		    strcmp(f->col[1].levels[1], "y") == 0, "values");
		ok(mlp_frame_line(f, 0) == 2 && mlp_frame_line(f, 1) == 4,
		    "lines counted at CRs");
	}
	mlp_frame_free(f);
	is_str(read_fail("a,b\r1,2\r3,4,5\r", &rc),
	    "'P' line 3: expected 2 fields, found 3", "CR lines in errors");
	f = read_str("a,b\r\n1,x\r2,y\n3,z");
	ok(f && f->nrows == 3, "CRLF, CR and LF mixed");
	mlp_frame_free(f);

	f = read_str("\na,b\n1,2\n\n3,4\n\"x\ny\",5\n6,7\n8,9\n");
	ok(f && f->nrows == 5, "5 rows");
	if (f)
		ok(mlp_frame_line(f, 0) == 3 && mlp_frame_line(f, 1) == 5 &&
		    mlp_frame_line(f, 2) == 6 && mlp_frame_line(f, 3) == 8 &&
		    mlp_frame_line(f, 4) == 9 && f->nmarks == 3,
		    "rows' lines through blank and long lines, in 3 marks");
	mlp_frame_free(f);
}

/* Names and levels go into models and JSON: not valid UTF-8 is refused,
 * naming line and column; unnamed columns are read. */
static void
test_names(void)
{
	struct mlp_frame *f;
	int rc;

	is_str(read_fail("a,caf\xe9\n1,2\n", &rc),
	    "'P' line 1 column 2: name 'caf\\xe9' is not valid UTF-8 "
	    "(byte 4)", "a name not in UTF-8");
	is_int(rc, MLP_EINVAL, "MLP_EINVAL");
	is_str(read_fail("a,city\n1,Paris\n\n2,S\xe3o Paulo\n3,x\n", &rc),
	    "'P' line 4 column 2 ('city'): value 'S\\xe3' is not valid "
	    "UTF-8 (byte 2)", "a level not in UTF-8, on its line");
	f = read_str("a,b\n1,S\xc3\xa3o\n");
	ok(f && f->col[1].nlevels == 1, "UTF-8 levels are read");
	mlp_frame_free(f);
	f = read_str(",a,\n0,1,\n1,2,\n");
	ok(f && f->ncols == 3 && f->col[0].name[0] == '\0' &&
	    f->col[2].name[0] == '\0', "unnamed columns (an index, a "
	    "trailing comma) are read");
	mlp_frame_free(f);
}

/* The stream's header read in pieces: a file whose header has no line
 * end (read, then the end seen), a header longer than the stream's
 * buffer, and one arriving through a pipe in small writes. */
static void
test_stream_header(void)
{
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_column schema[2] = {
		{ "b", MLP_COL_NUM, NULL, 0 },
		{ "a", MLP_COL_NUM, NULL, 0 },
	};
	struct mlp_csv_stream *s;
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	size_t n;
	int rc, saved;
	pid_t pid;

	write_bytes(tpath, "a,b", 3);
	rc = mlp_csv_stream_open(&s, tpath, schema, 2, NULL, &err);
	ok(rc == 0, "a header without a line end: %s", rc ? err.msg : "");
	if (rc == 0) {
		rc = mlp_csv_stream_next(s, 10, &f, &n, &err);
		ok(rc == 0 && n == 0, "and no rows");
		mlp_csv_stream_close(s);
	}
	write_bytes(tpath, "a,b\r1,2\r", 8);
	rc = mlp_csv_stream_open(&s, tpath, schema, 2, NULL, &err);
	ok(rc == 0, "CR line ends: %s", rc ? err.msg : "");
	if (rc == 0) {
		rc = mlp_csv_stream_next(s, 10, &f, &n, &err);
		ok(rc == 0 && n == 1 && f->cols[0][0] == 2 &&
		    f->cols[1][0] == 1, "a row");
		mlp_csv_stream_close(s);
	}

	/* 50,000 columns: a header of 600 KB */
	for (int j = 0; j < 50000; j++)
		mlp_buf_addf(&b, "%scolumn_%05d", j ? "," : "", j);
	mlp_buf_adds(&b, ",a,b\n");
	for (int j = 0; j < 50000; j++)
		mlp_buf_adds(&b, "0,");
	mlp_buf_adds(&b, "1,2\n");
	write_bytes(tpath, b.s, b.len);
	rc = mlp_csv_stream_open(&s, tpath, schema, 2, NULL, &err);
	ok(rc == 0, "a header longer than the buffer: %s", rc ? err.msg : "");
	if (rc == 0) {
		rc = mlp_csv_stream_next(s, 10, &f, &n, &err);
		ok(rc == 0 && n == 1 && f->cols[0][0] == 2 &&
		    f->cols[1][0] == 1, "its row");
		mlp_csv_stream_close(s);
	}
	pid = stdin_from(b.s, b.len, &saved);
	rc = mlp_csv_stream_open(&s, "-", schema, 2, NULL, &err);
	ok(rc == 0, "the same through a pipe: %s", rc ? err.msg : "");
	if (rc == 0) {
		rc = mlp_csv_stream_next(s, 10, &f, &n, &err);
		ok(rc == 0 && n == 1 && f->cols[0][0] == 2, "its row");
		mlp_csv_stream_close(s);
	}
	stdin_restore(pid, saved);
	mlp_frame_free(f);
	mlp_buf_release(&b);
}

#define KNOWN "a,b\n1,x\n2,y\n"
#define KNOWN_SHA \
	"15920f3fb7c051cc15fceee84432e8803a139a9b53a4ea832c37bf1109e200cf"

static void
test_digest(void)
{
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_frame *f;
	struct mlp_err err;
	char hex[65], line[200], *cmd;
	FILE *p;
	int fd, saved;
	pid_t pid;

	f = read_str(KNOWN);
	ok(f != NULL, "read");
	is_str(f ? f->digest : "", KNOWN_SHA,
	    "the frame's digest is sha256sum's");
	mlp_frame_free(f);
	ok(mlp_data_digest(tpath, hex, &err) == 0, "mlp_data_digest");
	is_str(hex, KNOWN_SHA, "the same digest");
	ok(mlp_data_digest("/nonexistent/x.csv", hex, &err) == MLP_ENOTFOUND,
	    "digest of a missing file: MLP_ENOTFOUND");

	/* stdin, a file and a pipe */
	saved = dup(STDIN_FILENO);
	fd = open(tpath, O_RDONLY);
	dup2(fd, STDIN_FILENO);
	close(fd);
	ok(mlp_csv_read("-", NULL, &f, &err) == 0 && f->nrows == 2 &&
	    strcmp(f->digest, KNOWN_SHA) == 0, "read from stdin, digested");
	mlp_frame_free(f);
	dup2(saved, STDIN_FILENO);
	close(saved);
	pid = stdin_from(KNOWN, strlen(KNOWN), &saved);
	ok(mlp_csv_read("-", NULL, &f, &err) == 0 && f->nrows == 2 &&
	    strcmp(f->digest, KNOWN_SHA) == 0 &&
	    strcmp(f->source, "-") == 0, "read from a pipe, digested");
	mlp_frame_free(f);
	stdin_restore(pid, saved);
	pid = stdin_from("a\n1\nx\n", 6, &saved);
	f = NULL;
	ok(mlp_csv_read("-", NULL, &f, &err) == 0 && f->nrows == 2,
	    "a pipe");
	mlp_frame_free(f);
	stdin_restore(pid, saved);
	pid = stdin_from("a,b\n1,2\n3\n", 11, &saved);
	ok(mlp_csv_read("-", NULL, &f, &err) == MLP_EINVAL &&
	    strcmp(err.msg, "'stdin' line 3: expected 2 fields, found 1") == 0,
	    "stdin is 'stdin' in messages: %s", err.msg);
	stdin_restore(pid, saved);

	/* a file large enough to be digested on its own thread */
	random_rows(&b, 40000);
	f = read_n(b.s, b.len, 2, NULL, NULL);
	ok(f && mlp_data_digest(tpath, hex, &err) == 0 &&
	    strcmp(f->digest, hex) == 0, "a large file's digest");
	cmd = xasprintf("sha256sum '%s' 2>/dev/null", tpath);
	if ((p = popen(cmd, "r")) && fgets(line, sizeof(line), p)) {
		line[64] = '\0';
		is_str(f ? f->digest : "", line, "is sha256sum's");
	} else
		ok(1, "# skip: no sha256sum");
	if (p)
		pclose(p);
	free(cmd);
	mlp_frame_free(f);
	mlp_buf_release(&b);
}

/* A random decimal string of one of several forms into s. */
static void
random_number(char *s, size_t size)
{
	size_t k = rnd_below(10), i = 0, nd;
	static const char *const sign[] = { "", "", "-", "+" };
	union {
		double d;
		uint64_t u;
	} x;
	float f, g;

	switch (k) {
	case 0:			/* an integer */
		snprintf(s, size, "%s%llu", sign[rnd_below(4)],
		    (unsigned long long)(rnd() >> rnd_below(64)));
		return;
	case 1:			/* %.6g .. %.19g of a random double */
	case 2:
		do
			x.u = rnd();
		while (isnan(x.d) || isinf(x.d));
		snprintf(s, size, "%.*g", k == 1 ? 6 : (int)(6 + rnd_below(14)),
		    x.d);
		return;
	case 3:			/* near halfway between two floats */
		x.u = rnd();
		memcpy(&f, &x.u, sizeof(f));
		if (isnan(f) || isinf(f))
			f = 1.5f;
		g = nextafterf(f, INFINITY);
		snprintf(s, size, "%.*e", (int)(8 + rnd_below(12)),
		    ((double)f + (double)g) / 2 +
		    (double)((int)rnd_below(3) - 1) * 1e-30 * fabs((double)f));
		return;
	case 4:			/* many digits */
		nd = 1 + rnd_below(40);
		s[i++] = '-';
		for (size_t j = 0; j < nd && i < size - 30; j++) {
			s[i++] = (char)('0' + rnd_below(10));
			if (j == nd / 2)
				s[i++] = '.';
		}
		snprintf(s + i, size - i, "e%d", (int)rnd_below(90) - 45);
		return;
	case 5:			/* leading zeros, bare points */
		snprintf(s, size, "%s%s.%0*llu", rnd_below(2) ? "000" : "",
		    rnd_below(2) ? "0" : "", (int)rnd_below(12),
		    (unsigned long long)rnd_below(100000));
		return;
	case 6:
		snprintf(s, size, "%llu.", (unsigned long long)rnd_below(1000));
		return;
	case 7:			/* exponents near float's limits */
		snprintf(s, size, "%d.%llue%d", (int)rnd_below(10),
		    (unsigned long long)rnd_below(1000000),
		    (int)rnd_below(100) - 50);
		return;
	default:		/* a short decimal with an exponent */
		snprintf(s, size, "%s%llu.%lluE%s%d", sign[rnd_below(4)],
		    (unsigned long long)rnd_below(100000),
		    (unsigned long long)rnd_below(1000000000),
		    sign[rnd_below(4)], (int)rnd_below(30));
		return;
	}
}

static void
test_numbers(void)
{
	static const char *const bad[] = { "abc", "1e", "e5", ".", "-", "1.2.3",
		"0x10", "1,5", "1 2", "--1", "nan(1)", "infinit", "1e+", "+-1",
		NULL };
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_frame *f;
	char s[128];
	size_t n = 100000, wrong = 0, wrong_csv = 0;
	float *want = xmalloc(n * sizeof(float)), v;
	int all_bad = 1;

	mlp_buf_adds(&b, "v\n");
	for (size_t i = 0; i < n; i++) {
		random_number(s, sizeof(s));
		want[i] = (float)strtod(s, NULL);
		if (data_parse_float(s, strlen(s), &v) < 0 ||
		    !same_float(v, want[i])) {
			if (wrong++ < 5)
				printf("# '%s': got %a want %a\n", s, v,
				    want[i]);
		}
		mlp_buf_addf(&b, "%s\n", s);
	}
	is_int(wrong, 0, "%zu numbers parse as (float)strtod does", n);
	f = read_n(b.s, b.len, 2, NULL, NULL);
	ok(f && f->nrows == n && f->col[0].type == MLP_COL_NUM,
	    "read as a numeric column: %s", msg);
	for (size_t i = 0; f && i < n; i++)
		wrong_csv += !same_float(f->cols[0][i], want[i]);
	is_int(wrong_csv, 0, "read from a file, the same");
	mlp_frame_free(f);
	for (int i = 0; bad[i]; i++)
		if (data_parse_float(bad[i], strlen(bad[i]), &v) == 0) {
			printf("# '%s' parsed\n", bad[i]);
			all_bad = 0;
		}
	ok(all_bad, "non-numbers are refused");
	ok(data_parse_float("  -1.5e3\t", 9, &v) == 0 && v == -1500.0f,
	    "spaces and tabs around");
	free(want);
	mlp_buf_release(&b);
}

int
main(void)
{
	char *cmd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	tpath = path("t.csv");
	test_dialect();
	test_missing();
	test_types();
	test_errors();
	test_late_error();
	test_threads();
	test_split_random();
	test_stream();
	test_stream_large();
	test_stream_header();
	test_lines();
	test_names();
	test_digest();
	test_numbers();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	free(cmd);
	free(tpath);
	return tap_done();
}
