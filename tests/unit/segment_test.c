/* Unit tests of the offline store's formats: canonical entity keys and
 * their hash (pinned: segments on disk depend on it), the segment format
 * written and read back, damaged segments (truncated, out of bounds, out
 * of order, random bytes flipped: MLP_ECORRUPT, never a crash), numbers
 * printed the shortest exact way, and the CSV record scanner. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "feature/internal.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-segment-test.XXXXXX";

/* ---- keys ---- */

static void
test_keys(void)
{
	struct mlp_fval v[3];
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;
	unsigned counts[16] = { 0 };
	int even = 1;

	ok(mlp_fkey_hash("", 0) == UINT64_C(0x5a7b6241d3b4433d) &&
	    mlp_fkey_hash("1001", 4) == UINT64_C(0x419517cb038fcc83) &&
	    mlp_fkey_hash("driver\x1f" "42", 9) ==
	    UINT64_C(0xef1c2f792bcbd4cd) &&
	    mlp_fkey_hash("abcdefgh", 8) == UINT64_C(0xc17868f556dd93ba) &&
	    mlp_fkey_hash("abcdefghi", 9) == UINT64_C(0xeec21becff3562c0),
	    "the key hash is pinned");
	for (int i = 1; i <= 160000; i++) {
		char k[16];
		int n = snprintf(k, sizeof(k), "%d", i);

		counts[mlp_fkey_partition(mlp_fkey_hash(k, (size_t)n), 4)]++;
	}
	for (int p = 0; p < 16; p++)
		if (counts[p] < 9500 || counts[p] > 10500)
			even = 0;
	ok(even, "keys 1..160000 spread evenly over 16 partitions");
	is_int(mlp_fkey_partition(UINT64_C(0xf000000000000000), 4), 15,
	    "a partition is the hash's top bits");
	is_int(mlp_fkey_partition(UINT64_C(0xf000000000000000), 0), 0,
	    "one partition");

	memset(v, 0, sizeof(v));
	v[0].type = MLP_FT_STRING;
	v[0].v.str.s = "sf";
	v[0].v.str.n = 2;
	v[1].type = MLP_FT_INT;
	v[1].v.i = -42;
	ok(mlp_fkey_canon(v, 2, &b, &err) == 0 && b.len == 6 &&
	    memcmp(b.s, "sf\x1f-42", 6) == 0, "a compound canonical key");
	mlp_buf_reset(&b);
	v[1].v.i = INT64_MIN;
	ok(mlp_fkey_canon(v + 1, 1, &b, &err) == 0 &&
	    strcmp(b.s, "-9223372036854775808") == 0, "the least int");
	mlp_buf_reset(&b);
	v[1].null = 1;
	is_int(mlp_fkey_canon(v, 2, &b, &err), MLP_EINVAL, "a null key");
	is_str(err.msg, "key value 2 is null", "names which");
	v[2].type = MLP_FT_FLOAT;
	is_int(mlp_fkey_canon(v + 2, 1, &b, &err), MLP_EINVAL, "a float key");
	v[0].v.str.s = "a\x1f";
	is_int(mlp_fkey_canon(v, 1, &b, &err), MLP_EINVAL,
	    "a string holding the separator");
	mlp_buf_release(&b);
}

/* ---- segments ---- */

static const char *const names[] = { "rating", "trips", "vip", "car" };
static const enum mlp_ftype types[] = { MLP_FT_FLOAT, MLP_FT_INT,
	MLP_FT_BOOL, MLP_FT_STRING };

/* A segment of two keys ("1": 3 rows, "22": 2 rows) in partition p of
 * 2^bits, where both keys must fall. */
static void
build(struct fseg_w *w, unsigned bits)
{
	const char *keys[2] = { "1", "22" };
	uint64_t h[2] = { mlp_fkey_hash("1", 1), mlp_fkey_hash("22", 2) };
	uint64_t heap_len[4] = { 0, 0, 0, 9 };
	struct fseg_spec sp = { 0 };
	struct mlp_err err;
	int swap = h[0] > h[1];
	const char *strs[5] = { "a", "bb", "", "cccc", "dd" };

	sp.part_bits = bits;
	sp.partition = mlp_fkey_partition(h[0], bits);
	sp.nrows = 5;
	sp.nkeys = 2;
	sp.key_heap_len = 3;
	sp.has_cts = 1;
	sp.ncols = 4;
	sp.names = names;
	sp.types = types;
	sp.heap_len = heap_len;
	if (fseg_w_init(w, &sp, &err) < 0) {
		fprintf(stderr, "build: %s\n", err.msg);
		exit(2);
	}
	for (int k = 0, o = 0; k < 2; k++) {
		int x = swap ? 1 - k : k;

		w->key_hash[k] = h[x];
		w->key_off[k] = (uint64_t)o;
		memcpy(w->key_heap + o, keys[x], strlen(keys[x]));
		o += (int)strlen(keys[x]);
		w->key_off[k + 1] = (uint64_t)o;
		w->key_start[k] = k == 0 ? 0 : (swap ? 2 : 3);
	}
	w->key_start[2] = 5;
	for (uint64_t i = 0, so = 0; i < 5; i++) {
		w->ets[i] = (int64_t)(i % 3) * 10;
		w->cts[i] = MLP_TS_NONE;
		((double *)w->cols[0].values)[i] = 0.5 + (double)i;
		((int64_t *)w->cols[1].values)[i] = (int64_t)i * 100;
		((uint8_t *)w->cols[2].values)[i] = i & 1;
		w->cols[3].str_off[i] = so;
		memcpy(w->cols[3].heap + so, strs[i], strlen(strs[i]));
		so += strlen(strs[i]);
		w->cols[3].str_off[i + 1] = so;
	}
	fseg_set_null(w->cols[0].nulls, 2);
	fseg_w_finish(w);
}

static void
test_roundtrip(void)
{
	struct fseg_w w;
	struct fseg s;
	struct mlp_err err;
	uint64_t h1 = mlp_fkey_hash("1", 1), h22 = mlp_fkey_hash("22", 2);
	uint64_t k;

	build(&w, 0);
	is_int(fseg_open_mem(&s, w.buf, w.size, "test", &err), 0,
	    "a segment reads back (%s)", err.msg);
	ok(s.nrows == 5 && s.nkeys == 2 && s.ncols == 4 && s.cts &&
	    s.min_ets == 0 && s.max_ets == 20, "its header");
	ok(w.size % 8 == 0, "its size is a multiple of 8");
	is_int(fseg_col_find(&s, "car"), 3, "columns by name");
	is_int(fseg_col_find(&s, "ca"), -1, "a prefix is not a name");
	ok(s.cols[0].has_nulls && !s.cols[1].has_nulls &&
	    fseg_is_null(s.cols[0].nulls, 2) && !fseg_is_null(s.cols[0].nulls,
	    1), "null bitmaps and flags");
	for (int j = 0; j < 4; j++)
		ok((uintptr_t)s.cols[j].values % 8 == 0 &&
		    (uintptr_t)s.cols[j].nulls % 8 == 0,
		    "column %d is 8-byte aligned", j);
	k = fseg_seek_key(&s, 0, h22, "22", 2);
	ok(fseg_key_is(&s, k, h22, "22", 2), "seek finds '22'");
	k = fseg_seek_key(&s, 0, h1, "1", 1);
	ok(fseg_key_is(&s, k, h1, "1", 1), "seek finds '1'");
	k = fseg_seek_key(&s, 0, h1, "1x", 2);
	ok(!fseg_key_is(&s, k, h1, "1x", 2), "a key that is not there");
	fseg_close(&s);
	fseg_w_release(&w);

	build(&w, 3);
	is_int(fseg_open_mem(&s, w.buf, w.size, "test", &err),
	    mlp_fkey_partition(h1, 3) == mlp_fkey_partition(h22, 3) ? 0 :
	    MLP_ECORRUPT, "keys outside the segment's partition are damage");
	fseg_close(&s);
	fseg_w_release(&w);
}

/* Reads everything an open segment offers, as a join would. */
static double
walk(const struct fseg *s)
{
	double sum = 0;

	for (uint64_t k = 0; k < s->nkeys; k++)
		for (uint64_t i = s->key_start[k]; i < s->key_start[k + 1]; i++) {
			sum += (double)s->ets[i];
			if (s->cts)
				sum += (double)(s->cts[i] & 1);
			for (uint32_t j = 0; j < s->ncols; j++) {
				const struct fseg_col *c = &s->cols[j];

				if (fseg_is_null(c->nulls, i))
					continue;
				if (c->type == MLP_FT_STRING) {
					const uint64_t *so = c->values;

					for (uint64_t b = so[i]; b < so[i + 1];
					    b++)
						sum += c->heap[b];
				} else if (c->type == MLP_FT_BOOL) {
					sum += ((const uint8_t *)c->values)[i];
				} else {
					sum += (double)((const int64_t *)
					    c->values)[i];
				}
			}
		}
	return sum;
}

static void
wr64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static int
damaged(unsigned char *buf, size_t n, const char *what, const char *want)
{
	struct fseg s;
	struct mlp_err err;
	int rc = fseg_open_mem(&s, buf, n, "segment x", &err);

	ok(rc == MLP_ECORRUPT && (!want || strstr(err.msg, want)),
	    "%s: %s", what, rc ? err.msg : "opened");
	if (rc == 0)
		fseg_close(&s);
	return rc;
}

static void
test_damage(void)
{
	struct fseg_w w;
	struct fseg s;
	struct mlp_err err;
	unsigned char *b;
	size_t n;
	uint64_t seed = 88172645463325252ull;
	int opened = 0, refused = 0;

	build(&w, 0);
	n = w.size;
	b = xmalloc(n);

	memcpy(b, w.buf, n);
	damaged(b, 10, "shorter than a header", "not a feature segment");
	damaged(b, n - 8, "truncated", "its size is not the size");
	b[0] = 'X';
	damaged(b, n, "a wrong magic", "not a feature segment");
	memcpy(b, w.buf, n);
	b[8] = 2;
	damaged(b, n, "a newer format", "format version 2");
	memcpy(b, w.buf, n);
	wr64(b + 24, UINT64_C(1) << 40);
	damaged(b, n, "more rows than the file holds", NULL);
	memcpy(b, w.buf, n);
	wr64(b + 72, n - 8);
	damaged(b, n, "an array past the end", "outside the file");
	memcpy(b, w.buf, n);
	wr64(b + 72, 155);
	damaged(b, n, "a misaligned array", "outside the file");
	memcpy(b, w.buf, n);
	((int64_t *)(b + (w.ets - (int64_t *)w.buf) * 8))[1] = -5;
	damaged(b, n, "rows out of time order", "time order");
	memcpy(b, w.buf, n);
	b[(unsigned char *)w.key_heap - w.buf] ^= 1;
	damaged(b, n, "a key changed", "does not match its hash");
	memcpy(b, w.buf, n);
	((uint64_t *)(b + ((unsigned char *)w.key_start - w.buf)))[1] = 7;
	damaged(b, n, "key rows out of order", "key rows");
	memcpy(b, w.buf, n);
	((uint64_t *)(b + ((unsigned char *)w.cols[3].str_off - w.buf)))[2] =
	    1000;
	damaged(b, n, "a string offset past its heap", "string offsets");
	memcpy(b, w.buf, n);
	{
		/* the two keys' places swapped, with their hashes */
		uint64_t *kh = (uint64_t *)(b + ((unsigned char *)w.key_hash -
		    w.buf)), t = kh[0];

		kh[0] = kh[1];
		kh[1] = t;
		damaged(b, n, "keys out of order", NULL);
	}

	/* bytes flipped at random, a thousand times: refused or read, never
	 * past the buffer (AddressSanitizer watches) */
	for (int round = 0; round < 3000; round++) {
		int flips = 1 + round % 4;

		memcpy(b, w.buf, n);
		for (int f = 0; f < flips; f++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			b[seed % n] ^= (unsigned char)(1u << (seed >> 40) % 8);
		}
		mlp_err_clear(&err);
		if (fseg_open_mem(&s, b, n, "segment x", &err) == 0) {
			opened++;
			(void)walk(&s);
			fseg_close(&s);
		} else if (err.code == MLP_ECORRUPT) {
			refused++;
		}
	}
	ok(opened + refused == 3000, "3000 random damages: %d refused, %d "
	    "read safely (values only)", refused, opened);
	free(b);
	fseg_w_release(&w);
}

static void
test_store(void)
{
	struct mlp_store *st;
	struct mlp_oid oid;
	struct fseg_w w;
	struct fseg s;
	struct mlp_err err;

	if (mlp_store_open(&st, dir, NULL, NULL, &err) < 0) {
		fprintf(stderr, "store: %s\n", err.msg);
		exit(2);
	}
	build(&w, 0);
	ok(mlp_store_put_buf(st, w.buf, w.size, &oid, NULL, &err) == 0,
	    "a segment stored");
	is_int(fseg_open(&s, st, &oid, &err), 0, "mapped from the store (%s)",
	    err.msg);
	ok(s.map && s.nrows == 5 && walk(&s) > 0, "and read");
	fseg_close(&s);
	fseg_close(&s);
	ok(1, "closing twice is harmless");
	ok(mlp_store_put_buf(st, "not a segment", 13, &oid, NULL, &err) == 0,
	    "another object");
	is_int(fseg_open(&s, st, &oid, &err), MLP_ECORRUPT,
	    "an object that is not a segment");
	ok(strncmp(err.msg, "segment ", 8) == 0, "names it (%s)", err.msg);
	memset(&oid, 0x5a, sizeof(oid));
	is_int(fseg_open(&s, st, &oid, &err), MLP_ENOTFOUND, "a missing one");
	fseg_w_release(&w);
	mlp_store_free(st);
}

/* ---- numbers ---- */

static const char *
fmt(double v)
{
	static char out[40];

	fnum_fmt_double(v, out);
	return out;
}

static void
test_numbers(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int exact = 1, shortest = 1;
	double d;
	int64_t i;
	int b;

	is_str(fmt(0.1), "0.1", "0.1");
	is_str(fmt(3.0), "3.0", "a whole float keeps .0");
	is_str(fmt(-0.0), "-0.0", "negative zero");
	is_str(fmt(100.0), "100.0", "100.0");
	is_str(fmt(1e-5), "1e-05", "small numbers as Python writes them");
	is_str(fmt(0.0001), "0.0001", "0.0001 stays plain");
	is_str(fmt(1e16), "1e+16", "1e+16");
	is_str(fmt(1.5e16), "1.5e+16", "1.5e+16");
	is_str(fmt(123456789012345.6), "123456789012345.6", "16 digits");
	is_str(fmt(0.30000000000000004), "0.30000000000000004", "17 digits");
	is_str(fmt(1.7976931348623157e308), "1.7976931348623157e+308",
	    "the largest double");
	is_str(fmt(5e-324), "5e-324", "the least subnormal");
	is_str(fmt(2.2250738585072014e-308), "2.2250738585072014e-308",
	    "the least normal");
	is_str(fmt(-12.345678), "-12.345678", "a negative");
	is_str(fmt(233115890514796.125), "233115890514796.12",
	    "a tie at 17 digits goes to the even digit, as repr's");
	is_str(fmt(1716481631878246.25), "1716481631878246.2",
	    "and above 1e15");
	is_str(fmt(1e15 + 10), "1000000000000010.0", "1e15 and more, whole");
	is_str(fmt(1.0 / 3), "0.3333333333333333", "16 digits");
	is_str(fmt(2.0 / 3), "0.6666666666666666", "16 digits, rounded");
	is_str(fmt(9007199254740993.0), "9007199254740992.0", "2^53 + 1");
	for (int n = 0; n < 200000; n++) {
		double v, back;
		char out[40], ref[40];
		size_t len;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		if (n % 2) {
			memcpy(&v, &seed, 8);
			if (!isfinite(v))
				continue;
		} else {
			/* values as data has them: few digits */
			v = (double)(int64_t)(seed % 2000000001) / 1000.0 -
			    1e6;
		}
		len = fnum_fmt_double(v, out);
		back = strtod(out, NULL);
		if (memcmp(&back, &v, 8) != 0 || len != strlen(out)) {
			if (exact)
				printf("# %.17g -> %s\n", v, out);
			exact = 0;
		}
		/* the shortest: no fewer digits read back exactly */
		for (int p = 1; p < 17; p++) {
			snprintf(ref, sizeof(ref), "%.*e", p - 1, v);
			if (strtod(ref, NULL) == v) {
				size_t nd = 0;

				for (const char *c = out; *c && *c != 'e'; c++)
					nd += *c >= '1' && *c <= '9';
				(void)nd;
				if (strlen(out) > (size_t)p + 8) {
					if (shortest)
						printf("# %s vs %s\n", out, ref);
					shortest = 0;
				}
				break;
			}
		}
	}
	ok(exact, "200000 doubles read back exactly");
	ok(shortest, "and are about as short as can be");

	ok(fnum_parse_double("1", 1, &d) == 0 && d == 1, "parse 1");
	ok(fnum_parse_double("-1.5e3", 6, &d) == 0 && d == -1500, "-1.5e3");
	ok(fnum_parse_double("+2", 2, &d) == 0 && d == 2, "+2");
	ok(fnum_parse_double(".5", 2, &d) == 0 && d == 0.5, ".5");
	ok(fnum_parse_double("5.", 2, &d) == 0 && d == 5, "5.");
	ok(fnum_parse_double(" 2 ", 3, &d) == 0 && d == 2, "blanks around");
	ok(fnum_parse_double("0.1000000000000000055511151231257827", 36,
	    &d) == 0 && d == 0.1, "many digits");
	ok(fnum_parse_double("abc", 3, &d) < 0 &&
	    fnum_parse_double("1e", 2, &d) < 0 &&
	    fnum_parse_double("nan", 3, &d) < 0 &&
	    fnum_parse_double("inf", 3, &d) < 0 &&
	    fnum_parse_double("1e400", 5, &d) < 0 &&
	    fnum_parse_double("0x10", 4, &d) < 0 &&
	    fnum_parse_double("1,5", 3, &d) < 0 &&
	    fnum_parse_double(".", 1, &d) < 0 &&
	    fnum_parse_double("-", 1, &d) < 0, "not floats");
	ok(fnum_parse_int("007", 3, &i) == 0 && i == 7, "int 007");
	ok(fnum_parse_int("-0", 2, &i) == 0 && i == 0, "-0");
	ok(fnum_parse_int("9223372036854775807", 19, &i) == 0 &&
	    i == INT64_MAX, "the largest int");
	ok(fnum_parse_int("-9223372036854775808", 20, &i) == 0 &&
	    i == INT64_MIN, "the least int");
	ok(fnum_parse_int("9223372036854775808", 19, &i) < 0 &&
	    fnum_parse_int("1.0", 3, &i) < 0 &&
	    fnum_parse_int("-", 1, &i) < 0 && fnum_parse_int("", 0, &i) < 0,
	    "not ints");
	ok(fnum_parse_bool("TRUE", 4, &b) == 0 && b == 1 &&
	    fnum_parse_bool("0", 1, &b) == 0 && b == 0 &&
	    fnum_parse_bool("yes", 3, &b) < 0, "bools");
}

/* ---- CSV ---- */

static char *
records(const char *text, size_t chunk, int *rc)
{
	struct mlp_buf b = MLP_BUF_INIT;
	struct fcsv c;
	struct mlp_err err;
	char *p = xasprintf("%s/r.csv", dir);
	FILE *f = fopen(p, "wb");

	fwrite(text, 1, strlen(text), f);
	fclose(f);
	fcsv_chunk = chunk;
	if ((*rc = fcsv_open(&c, p, "r.csv", &err)) == 0) {
		while ((*rc = fcsv_next(&c, &err)) > 0) {
			mlp_buf_addf(&b, "%llu:", (unsigned long long)c.rec_line);
			for (size_t j = 0; j < c.nf; j++)
				mlp_buf_addf(&b, "%s[%.*s]", j ? "," : "",
				    (int)c.f[j].n, c.f[j].p);
			mlp_buf_addf(&b, "{%.*s}|", (int)c.rec_len, c.rec);
		}
		fcsv_close(&c);
	}
	if (*rc < 0)
		mlp_buf_addf(&b, "error: %s", err.msg);
	fcsv_chunk = (size_t)4 << 20;
	free(p);
	return b.s ? mlp_buf_detach(&b) : xstrdup("");
}

static void
test_csv(void)
{
	const char *text = "\xef\xbb\xbf" "a,b\r\n1,\"x,\"\"y\"\"\nz\"\r\n\r\n"
	    "\n2,\r3,4\n\"\",5";
	const char *want = "1:[a],[b]{a,b}|2:[1],[x,\"y\"\nz]{1,\"x,\"\"y\"\"\n"
	    "z\"}|6:[2],[]{2,}|7:[3],[4]{3,4}|8:[],[5]{\"\",5}|";
	struct mlp_buf big = MLP_BUF_INIT;
	char *got;
	int rc;

	for (size_t chunk = 1; chunk <= 64; chunk *= 2) {
		got = records(text, chunk, &rc);
		is_str(got, want, "records, read %zu bytes at a time: quotes, "
		    "CRLF, CR, blank lines, a BOM, no final newline", chunk);
		free(got);
	}
	got = records("a\n\"open", 4, &rc);
	is_str(got, "1:[a]{a}|error: 'r.csv' line 2: unterminated quoted field",
	    "an unterminated quote");
	free(got);
	got = records("a,b\n\"x\"y,1\n", 4, &rc);
	is_str(got, "1:[a],[b]{a,b}|error: 'r.csv' line 2: text after a "
	    "closing quote", "text after a quote");
	free(got);
	mlp_buf_addf(&big, "k,v\n");
	for (int i = 0; i < 20000; i++)
		mlp_buf_addf(&big, "%d,%s\n", i, i % 7 ? "plain" : "\"q,\"");
	got = records(big.s, 4096, &rc);
	ok(rc == 0 && strstr(got, "20000:[19998],[plain]{19998,plain}|"
	    "20001:[19999],[q,]{19999,\"q,\"}|"),
	    "20000 records across chunks");
	free(got);
	mlp_buf_release(&big);
	{
		struct mlp_buf b = MLP_BUF_INIT;

		fcsv_add_field(&b, "plain", 5);
		mlp_buf_addc(&b, '|');
		fcsv_add_field(&b, "a,\"b\"\n", 6);
		is_str(b.s, "plain|\"a,\"\"b\"\"\n\"", "fields quoted when "
		    "they need it");
		mlp_buf_release(&b);
	}
}

int
main(void)
{
	struct mlp_err err;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_keys();
	test_roundtrip();
	test_damage();
	test_store();
	test_numbers();
	test_csv();
	mlp_remove_tree(dir, &err);
	return tap_done();
}
