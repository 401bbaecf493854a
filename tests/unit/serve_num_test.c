/* Unit tests of the fastest road's number reading (lib/serve/proto-json.h:
 * sj_float, sj_rows): numbers of every shape read as the token road reads
 * them, the float of strtod's double bit for bit, or refused as it
 * refuses them; and whole MLflow bodies, good and mutated, decoded into
 * the frame, or refused with the message, of lib/data's JSON reader (the
 * general road: serve_check_body, serve_json_parse, mlp_json_frame_doc);
 * and serve_check_body's quick scan of ASCII. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/model.h"
#include "serve/proto-json.h"
#include "serve/proto.h"
#include "tap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double
urand(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The length of the RFC 8259 number that begins s, written apart from
 * the scanner's, from the grammar: 0 for none, or for a point or an
 * exponent without digits ("1.", "1e+"), which the scanner refuses. */
static size_t
ref_len(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (digit(*p))
			p++;
	else
		return 0;
	if (*p == '.') {
		if (!digit(*++p))
			return 0;
		while (digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		if (*++p == '+' || *p == '-')
			p++;
		if (!digit(*p))
			return 0;
		while (digit(*p))
			p++;
	}
	return (size_t)(p - s);
}

/* A number in one of many shapes (some not JSON) into t. */
static void
gen_number(char *t, size_t size)
{
	uint64_t u = rnd();
	double v = (urand() - 0.5) * pow(10, (int)(u % 50) - 25);
	int prec = (int)((u >> 8) % 21);
	char b[160];

	switch ((u >> 16) % 16) {
	case 0:
		snprintf(t, size, "%.*g", prec + 1, v);
		break;
	case 1:
		snprintf(t, size, (u >> 24) & 1 ? "%.*e" : "%.*E", prec, v);
		break;
	case 2:		/* integers, up to 25 digits */
		snprintf(b, sizeof(b), "%s%llu%llu", (u >> 24) & 1 ? "-" : "",
		    (unsigned long long)(rnd() % 1000000000000ull),
		    (unsigned long long)rnd());
		snprintf(t, size, "%.*s", (int)((u >> 25) % 26) + 1, b);
		break;
	case 3:		/* more digits than 19 */
		snprintf(t, size, "%.*f", 20 + prec, v);
		break;
	case 4:		/* as Python writes floats of "%.6g" */
		snprintf(t, size, "%.6g", v);
		snprintf(t, size, "%.17g", strtod(t, NULL));
		if (!strpbrk(t, ".eEn"))
			strcat(t, ".0");
		break;
	case 5:		/* float midpoints and near them */
		snprintf(t, size, "%.*g", 9 + prec % 9, (double)(float)v +
		    ldexp(1, ilogb((float)v) - 24) *
		    (1 + ((int)((u >> 24) % 3) - 1) * 1e-9));
		break;
	case 6: {
		static const char *const odd[] = { "0", "-0", "0.0", "-0.0",
			"0e5", "-0E-5", "1e308", "1.7976931348623157e308",
			"1e309", "-1e309", "1e-320", "4.9e-324", "1e-400",
			"3.4028235e38", "3.4028236e38", "1e39", "1.4e-45",
			"7e-46", "1e-50", "01", "-01", "00", "1.", "-1.", "+1",
			".5", "-", "1e", "1e+", "1E-", "--1", "1.e5", "0x1",
			"1..2", "1.5e3.2", "9007199254740993",
			"9007199254740992", "18446744073709551616",
			"1e22", "1e23", "1e-22", "1e-23", "123456789012345678",
			"0.00000000000000000000000000001", "1e0000000000000000005",
			"1234567.5", "12345678.5", "0.1234567890123456789",
			"-9.99999999e-05", "1e-0", "1E+0",
		};

		snprintf(t, size, "%s", odd[(u >> 24) %
		    (sizeof(odd) / sizeof(*odd))]);
		break;
	}
	case 7: {	/* a valid one with a byte changed, put in or taken out */
		size_t n, k;

		snprintf(b, sizeof(b), "%.*g", prec + 1, v);
		n = strlen(b);
		k = (size_t)(rnd() % (n + 1));
		switch ((u >> 24) % 3) {
		case 0:
			b[k < n ? k : n - 1] = "0123456789.-+eE x"[rnd() % 17];
			break;
		case 1:
			memmove(b + k + 1, b + k, n - k + 1);
			b[k] = "0123456789.-+eE"[rnd() % 15];
			break;
		default:
			if (k < n)
				memmove(b + k, b + k + 1, n - k);
		}
		snprintf(t, size, "%s", b);
		break;
	}
	default:	/* the usual: a few digits either side of the point */
		snprintf(t, size, "%.*f", prec % 10, v * pow(10, (int)(u % 9)));
	}
}

/* t as a row of one value to sj_rows, with room after it: what it makes
 * of t (sj_rows has a way of its own, by the separator after t). */
static int
row_of_one(const char *t, float *f)
{
	char b[256];
	const char *p = b;
	float *col[1] = { f };
	struct sj_rows r = { 1, col, 1, 0 };

	snprintf(b, sizeof(b), "[[%s]]                                ", t);
	return sj_rows(&p, b + strlen(b), &r);
}

/* Numbers sj_rows takes, of any shape (mostly the usual), and their
 * floats, to fill rows with. */
static char pool[4096][64];
static float pool_f[4096];

static void
fill_pool(void)
{
	for (size_t i = 0; i < 4096; i++) {
		char *t = pool[i];

		do {
			if (rnd() % 4)
				snprintf(t, 64, "%.6g", (urand() - 0.5) *
				    pow(10, (int)(rnd() % 6) - 3));
			else
				gen_number(t, 64);
		} while (!*t || ref_len(t) != strlen(t) ||
		    !isfinite(strtod(t, NULL)));
		pool_f[i] = (float)strtod(t, NULL);
	}
}

/* t as value at of the second row of a body of rows of width values,
 * the others numbers of any shape: sj_rows reads the values four at a
 * time on the AVX-512 road, and any lane of a group, or the values after
 * the last group, may hold t (which may be read, whole, into want, or
 * refused): 0 when it does right. */
static int
row_of_many(const char *t, size_t width, size_t at, int whole, float want)
{
	char b[2048];
	float c[12][2], wx[12], *col[12];
	struct sj_rows r = { width, col, 2, 0 };
	const char *p = b;
	size_t n = 1;
	int rc;

	b[0] = '[';
	for (int i = 0; i < 2; i++) {
		n += (size_t)snprintf(b + n, sizeof(b) - n, "%s[", i ? "," : "");
		for (size_t k = 0; k < width; k++) {
			size_t u = (size_t)(rnd() % 4096);

			wx[k] = i == 1 && k == at ? want : pool_f[u];
			n += (size_t)snprintf(b + n, sizeof(b) - n, "%s%s",
			    k ? "," : "", i == 1 && k == at ? t : pool[u]);
		}
		n += (size_t)snprintf(b + n, sizeof(b) - n, "]");
	}
	n += (size_t)snprintf(b + n, sizeof(b) - n, "]%32s", "");
	for (size_t k = 0; k < width; k++)
		col[k] = c[k];
	rc = sj_rows(&p, b + n, &r);
	if (!whole)
		return rc != -1;
	if (rc != 0 || r.n != 2)
		return 1;
	for (size_t k = 0; k < width; k++)
		if (memcmp(&c[k][1], &wx[k], sizeof(float)) != 0)
			return 1;
	return 0;
}

/* sj_float on t, once with room after it (the quick way), once at the
 * very end of its buffer (the careful way), and sj_rows on it, alone
 * and among others, against strtod: 0 when all are right. */
static int
check_number(const char *t)
{
	size_t n = strlen(t), want = ref_len(t), lead, trail;
	char room[256], prefix[160], *tight = xmalloc(n ? n : 1);
	double d;
	int good, whole, bad = 0;
	float wf, f = -7.0f;

	snprintf(prefix, sizeof(prefix), "%.*s", (int)want, t);
	d = strtod(prefix, NULL);
	good = want > 0 && want < 64 && isfinite(d);
	wf = (float)d;
	memcpy(tight, t, n);
	snprintf(room, sizeof(room), "%s,                                   "
	    "                                   ", t);
	for (int way = 0; way < 2; way++) {
		const char *s = way ? tight : room;
		const char *e = way ? tight + n : room + strlen(room);
		const char *q = sj_float(s, e, &f);

		if (good ? q != s + want || memcmp(&f, &wf, sizeof(f)) != 0 :
		    q != NULL) {
			if (bad++ == 0)
				printf("# '%s' (%s): got %s %.9g, want %s %.9g\n",
				    t, way ? "careful" : "quick", q ? "end" : "NULL",
				    f, good ? "end" : "NULL", wf);
		}
	}
	free(tight);
	/* a row takes the number with white space around it, nothing else */
	lead = strspn(t, " ");
	for (trail = n; trail > lead && t[trail - 1] == ' '; trail--)
		;
	whole = good && lead == 0 && want == trail;
	if (lead > 0 && trail > lead) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(trail - lead),
		    t + lead);
		want = ref_len(prefix);
		d = strtod(prefix, NULL);
		whole = want == trail - lead && want < 64 && isfinite(d);
		wf = (float)d;
	}
	f = -7.0f;
	if (whole ? row_of_one(t, &f) != 0 || memcmp(&f, &wf, sizeof(f)) :
	    row_of_one(t, &f) != -1) {
		if (bad++ == 0)
			printf("# '%s' (a row): got %.9g, want %s %.9g\n", t, f,
			    whole ? "it" : "a refusal", wf);
	}
	{
		size_t width = (size_t)(rnd() % 12) + 1;
		size_t at = (size_t)(rnd() % width);

		if (row_of_many(t, width, at, whole, wf) && bad++ == 0)
			printf("# '%s' (value %zu of a row of %zu): not read "
			    "as alone\n", t, at, width);
	}
	return bad;
}

static void
test_numbers(void)
{
	size_t n = 1000000, bad = 0;
	char t[160];

	for (size_t i = 0; i < n; i++) {
		gen_number(t, sizeof(t));
		if (check_number(t) && bad++ > 10)
			break;
	}
	ok(bad == 0, "sj_float and sj_rows read %zu numbers of many shapes as "
	    "strtod does, or refuse them as the scanner does (%zu differ)", n,
	    bad);
	/* every float's shortest text, near the midpoints between floats,
	 * and the exact halfway cases */
	bad = 0;
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t w = (uint32_t)rnd() & 0x7f7fffffu;
		float f;
		double mid;

		memcpy(&f, &w, sizeof(f));
		mid = ((double)f + (double)nextafterf(f, INFINITY)) / 2;
		snprintf(t, sizeof(t), "%.*g", (int)(rnd() % 12) + 6,
		    i & 1 ? (double)f : mid);
		bad += check_number(t) != 0;
		snprintf(t, sizeof(t), "%.17g", mid);
		bad += check_number(t) != 0;
	}
	ok(bad == 0, "floats and the midpoints between them (%zu differ)",
	    bad);
}

/* A model of 3 numeric features, x y z, for decoding only. */
static struct mlp_model *
model3(void)
{
	struct mlp_column c[3] = {
		{ .name = (char *)"x", .type = MLP_COL_NUM },
		{ .name = (char *)"y", .type = MLP_COL_NUM },
		{ .name = (char *)"z", .type = MLP_COL_NUM },
	};
	struct mlp_model *m = mlp_model_new();

	mlp_model_set_features(m, c, 3);
	return m;
}

/* What the general road answers for an MLflow JSON body: 0 with *f, or
 * the status with err. */
static int
general(const char *body, size_t n, const struct mlp_model *m,
    struct mlp_frame **f, struct mlp_err *err)
{
	cJSON *doc;
	int rc;

	*f = NULL;
	if ((rc = serve_check_body(body, n, err)) != 0 ||
	    (rc = serve_json_parse(body, n, &doc, err)) != 0)
		return rc;
	rc = mlp_json_frame_doc(doc, NULL, m->feat, m->nfeat, f, err) < 0 ?
	    400 : 0;
	cJSON_Delete(doc);
	return rc;
}

static int
same_floats(float a, float b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

/* The decoder and the general road agree on body: 0, or 1 (said why). */
static int
agree(const char *body, size_t n, const struct mlp_model *m, int *taken)
{
	struct serve_req r;
	struct mlp_frame *f;
	struct mlp_err e1, e2;
	int rc1, rc2, bad = 0;

	mlp_err_clear(&e1);
	mlp_err_clear(&e2);
	rc1 = serve_decode_mlflow(body, n, "application/json", m, &r, &e1);
	rc2 = general(body, n, m, &f, &e2);
	if (rc1 != rc2 || (rc1 && strcmp(e1.msg, e2.msg) != 0)) {
		printf("# %d '%s', the general road %d '%s': %.*s\n", rc1,
		    e1.msg, rc2, e2.msg, (int)(n < 300 ? n : 300), body);
		bad = 1;
	} else if (rc1 == 0) {
		if (r.nrows != f->nrows || r.frame->nrows != f->nrows)
			bad = 1;
		for (size_t j = 0; !bad && j < m->nfeat; j++)
			for (size_t i = 0; !bad && i < f->nrows; i++)
				bad = !same_floats(r.frame->cols[j][i],
				    f->cols[j][i]);
		if (bad)
			printf("# other rows: %.*s\n", (int)(n < 300 ? n : 300),
			    body);
		*taken += 1;
	}
	serve_req_release(&r);
	mlp_frame_free(f);
	return bad;
}

/* A body of nrows rows of numbers (some null, true, false) in one of the
 * forms the fastest road takes. */
static void
gen_body(struct mlp_buf *b, size_t nrows, int form, int spaced)
{
	const char *sep = spaced ? ", " : ",";
	char t[160];

	mlp_buf_reset(b);
	if (form == 0)
		mlp_buf_addf(b, "{\"dataframe_split\":%s{\"columns\":%s[\"z\"%s"
		    "\"x\"%s\"w\"%s\"y\"],%s\"data\":%s[", spaced ? " " : "",
		    spaced ? " " : "", sep, sep, sep, spaced ? "\n  " : "",
		    spaced ? " " : "");
	else
		mlp_buf_addf(b, "{\"%s\":%s[", form == 1 ? "instances" :
		    "inputs", spaced ? " " : "");
	for (size_t i = 0; i < nrows; i++) {
		mlp_buf_adds(b, i ? (spaced ? ",\n [" : ",[") : "[");
		for (int k = 0; k < (form == 0 ? 4 : 3); k++) {
			uint64_t u = rnd();

			if (u % 23 == 0)
				snprintf(t, sizeof(t), "%s", u % 3 == 0 ?
				    "null" : u % 3 == 1 ? "true" : "false");
			else
				do
					gen_number(t, sizeof(t));
				while (ref_len(t) != strlen(t) ||
				    strlen(t) >= 64 ||
				    !isfinite(strtod(t, NULL)));
			mlp_buf_addf(b, "%s%s", k ? sep : "", t);
		}
		mlp_buf_addc(b, ']');
	}
	mlp_buf_adds(b, form == 0 ? "]}}" : "]}");
}

static void
test_bodies(void)
{
	struct mlp_model *m = model3();
	struct mlp_buf b = MLP_BUF_INIT, mut = MLP_BUF_INIT;
	size_t bad = 0, nbodies = 0, nmut = 0;
	int taken = 0, mtaken = 0;

	for (int round = 0; round < 300; round++) {
		size_t nrows = round % 10 == 0 ? rnd() % 3 :
		    (size_t)(rnd() % 200) + 1;

		gen_body(&b, nrows, round % 3, (round >> 2) & 1);
		nbodies++;
		bad += agree(b.s, b.len, m, &taken);
		/* mutations: a byte changed, put in or taken out, a span
		 * doubled or cut */
		for (int k = 0; k < 20; k++) {
			size_t at = (size_t)(rnd() % b.len);
			uint64_t u = rnd();
			static const char bytes[] = "0123456789.-+eE ,[]{}\"n\t\x80";

			mlp_buf_reset(&mut);
			mlp_buf_add(&mut, b.s, b.len);
			switch (u % 4) {
			case 0:
				mut.s[at] = bytes[(u >> 8) % (sizeof(bytes) - 1)];
				break;
			case 1:
				mlp_buf_reset(&mut);
				mlp_buf_add(&mut, b.s, at);
				mlp_buf_addc(&mut, bytes[(u >> 8) %
				    (sizeof(bytes) - 1)]);
				mlp_buf_add(&mut, b.s + at, b.len - at);
				break;
			case 2:
				mlp_buf_reset(&mut);
				mlp_buf_add(&mut, b.s, at);
				mlp_buf_add(&mut, b.s + at + 1, b.len - at - 1);
				break;
			default:
				mut.len = at;
			}
			nmut++;
			bad += agree(mut.s, mut.len, m, &mtaken);
			if (bad > 10)
				break;
		}
	}
	{
		/* bodies that end where the rows should begin (the fastest
		 * road sized its frame by dividing by nothing) */
		static const char *const cut[] = { "{\"instances\":",
			"{\"instances\": ", "{\"dataframe_split\": {\"columns\": "
			"[\"x\", \"y\", \"z\"], \"data\":", "{\"inputs\":[[1,2,3]",
		};

		for (size_t i = 0; i < sizeof(cut) / sizeof(*cut); i++)
			bad += agree(cut[i], strlen(cut[i]), m, &mtaken);
	}
	ok(bad == 0, "%zu bodies (%d decoded) and %zu mutations (%d decoded): "
	    "the frame or the message of the general road (%zu differ)",
	    nbodies, taken, nmut, mtaken, bad);
	mlp_buf_release(&b);
	mlp_buf_release(&mut);
	mlp_model_free(m);
}

/* sj_rows itself takes the usual bodies (so the comparisons above test
 * it, not only the roads after it), in parts when told to stop. */
static void
test_rows(void)
{
	struct mlp_buf b = MLP_BUF_INIT;
	float x[3][64], *col[3] = { x[0], x[1], x[2] };
	size_t nbad = 0;

	for (int round = 0; round < 200; round++) {
		struct sj_rows r = { 3, col, 64, 0 };
		const char *p, *e;
		int rc;

		gen_body(&b, (size_t)(rnd() % 64) + 1, 1, round & 1);
		p = strchr(b.s, '[');
		e = b.s + b.len;
		rc = sj_rows(&p, e, &r);
		nbad += rc != 0 || strcmp(p, "}") != 0;
	}
	ok(nbad == 0, "sj_rows reads bodies of numbers, null and booleans");
	{
		const char *t = "[[1, 2, 3], [4, 5, 6],\n[7, 8.5, -9e-3]] x";
		const char *p = t;
		struct sj_rows r = { 3, col, 1, 0 };
		int rc, parts = 0;

		while ((rc = sj_rows(&p, t + strlen(t), &r)) == 1) {
			r.cap = r.n + 1;
			parts++;
		}
		ok(rc == 0 && parts == 2 && r.n == 3 && x[1][2] == 8.5f &&
		    x[2][2] == (float)-9e-3 && strcmp(p, " x") == 0,
		    "sj_rows stops at its room and goes on");
	}
	{
		static const char *const no[] = { "[[1, 2]]", "[[1, 2, 3, 4]]",
			"[[1, 2, \"3\"]]", "[[1, 2, [3]]]", "[[1, 2, 3],]",
			"[[1, 2, 3] [4, 5, 6]]", "[[1, 2, 01]]", "[[1, 2, 1.]]",
			"[[1, 2, 3]", "[[1, 2, 1e999]]", "[[1,, 3]]",
			"[[1, 2, nul]]", "[[1 2, 3]]", "[1, 2, 3]",
		};

		nbad = 0;
		for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
			struct sj_rows r = { 3, col, 64, 0 };
			const char *p = no[i];

			nbad += sj_rows(&p, no[i] + strlen(no[i]), &r) != -1;
		}
		ok(nbad == 0, "sj_rows refuses what it does not read");
	}
	mlp_buf_release(&b);
}

/* serve_check_body, which skips ASCII 32 and 64 bytes at a time, names
 * the first NUL or the first bad UTF-8 wherever they are. */
static void
test_check_body(void)
{
	char *b = xmalloc(1000), want[256];
	size_t nbad = 0;

	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rnd() % 1000) + 1, at = (size_t)(rnd() % n);
		struct mlp_err err;
		const char *nul;
		long bad;
		int rc;

		for (size_t i = 0; i < n; i++)
			b[i] = (char)(' ' + rnd() % 95);
		switch (round % 4) {
		case 0:
			b[at] = '\0';
			break;
		case 1:		/* é, valid */
			if (at + 1 < n)
				b[at] = (char)0xc3, b[at + 1] = (char)0xa9;
			break;
		case 2:
			b[at] = (char)(0x80 + rnd() % 128);
			break;
		}
		if (round % 7 == 0)
			b[(size_t)(rnd() % n)] = '\0';
		nul = memchr(b, 0, n);
		bad = mlp_utf8_invalid(b, n);
		mlp_err_clear(&err);
		rc = serve_check_body(b, n, &err);
		if (nul)
			snprintf(want, sizeof(want), "request body: a NUL byte "
			    "at offset %zu", (size_t)(nul - b));
		else if (bad >= 0)
			snprintf(want, sizeof(want), "request body: not valid "
			    "UTF-8 at offset %ld", bad);
		if ((nul || bad >= 0) ? rc != 400 || strcmp(err.msg, want) != 0 :
		    rc != 0)
			nbad++;
	}
	ok(nbad == 0, "serve_check_body names the first NUL or bad UTF-8 "
	    "(%zu differ)", nbad);
	free(b);
}

int
main(void)
{
	test_check_body();
	fill_pool();
	test_numbers();
	test_rows();
	test_bodies();
	return tap_done();
}
