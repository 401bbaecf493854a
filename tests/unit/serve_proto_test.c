/* Unit tests of mlp serve's protocols (lib/serve/proto.h): OIP v2, KServe
 * V1 and MLflow requests, good and bad, into frames; responses as text,
 * compared with what `mlp predict` prints for the same rows; and the time
 * a one-row request takes to decode and encode (printed, not asserted). */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"
#include "serve/internal.h"
#include "serve/proto.h"
#include "frames.h"
#include "tap.h"

/* Model building, as tests/unit/model_test.c does */

static uint64_t rng_state = 88172645463325252ULL;

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

struct gen {
	struct mlp_model *m;
	size_t alloc;
};

static uint32_t
gen_alloc(struct gen *g, size_t k)
{
	struct mlp_model *m = g->m;
	uint32_t n = (uint32_t)m->nnodes;

	if (m->nnodes + k > g->alloc) {
		g->alloc = (m->nnodes + k) * 2;
		m->split_feat = xrealloc(m->split_feat, g->alloc * 4);
		m->split_value = xrealloc(m->split_value, g->alloc * 4);
		m->left = xrealloc(m->left, g->alloc * 4);
		m->default_left = xrealloc(m->default_left, g->alloc);
	}
	m->nnodes += k;
	return n;
}

static void
node(struct mlp_model *m, uint32_t n, int32_t f, float v, uint32_t l,
    int dl)
{
	m->split_feat[n] = f;
	m->split_value[n] = v;
	m->left[n] = l;
	m->default_left[n] = (uint8_t)dl;
}

static void
gen_fill(struct gen *g, uint32_t n, int depth)
{
	struct mlp_model *m = g->m;
	uint32_t c;

	if (depth == 0) {
		node(m, n, -1, (float)(urand() * 2 - 1), 0, 0);
		return;
	}
	c = gen_alloc(g, 2);
	node(m, n, (int32_t)(rnd() % m->nfeat),
	    (float)((int)(rnd() % 17) - 8) / 4, c, (int)(rnd() & 1));
	gen_fill(g, c, depth - 1);
	gen_fill(g, c + 1, depth - 1);
}

/* ntrees random trees of the given depth over cols (names and types). */
static struct mlp_model *
random_model(int obj, int nclass, size_t ntrees, int depth,
    const struct mlp_column *cols, size_t nfeat)
{
	struct mlp_model *m = mlp_model_new();
	struct gen g = { m, 0 };
	int multi = obj == MLP_OBJ_SOFTMAX || obj == MLP_OBJ_SOFTPROB;
	struct mlp_err err;

	m->objective = (enum mlp_objective)obj;
	m->num_class = m->ngroup = multi ? nclass : 1;
	m->nout = obj == MLP_OBJ_SOFTPROB ? nclass : 1;
	mlp_model_set_features(m, cols, nfeat);
	m->base_margin = xmalloc((size_t)m->ngroup * sizeof(double));
	for (int k = 0; k < m->ngroup; k++)
		m->base_margin[k] = urand() - 0.5;
	m->ntrees = ntrees;
	m->tree_root = xmalloc(ntrees * sizeof(uint32_t));
	m->tree_group = xmalloc(ntrees * sizeof(int32_t));
	for (size_t t = 0; t < ntrees; t++) {
		uint32_t r = gen_alloc(&g, 1);

		m->tree_root[t] = r;
		m->tree_group[t] = (int32_t)(t % (size_t)m->ngroup);
		gen_fill(&g, r, depth);
	}
	m->origin = xstrdup("mlp");
	if (mlp_model_check(m, &err) < 0) {
		printf("Bail out! a test model does not check: %s\n", err.msg);
		exit(1);
	}
	return m;
}

static char lv_1[] = "1", lv_basic[] = "basic", lv_pro[] = "pro";
static char *plan_levels[] = { lv_1, lv_basic, lv_pro };

/* Regression over a, b and plan (categorical: "1", "basic", "pro"). */
static struct mlp_model *
reg_model(void)
{
	struct mlp_column c[3] = {
		{ .name = "a", .type = MLP_COL_NUM },
		{ .name = "b", .type = MLP_COL_NUM },
		{ .name = "plan", .type = MLP_COL_CAT, .levels = plan_levels,
		    .nlevels = 3 },
	};

	return random_model(MLP_OBJ_SQUARED, 1, 20, 3, c, 3);
}

/* binary:logistic over x0 .. x(n-1). */
static struct mlp_model *
bin_model(size_t n, size_t ntrees, int depth)
{
	struct mlp_column *c = xcalloc(n, sizeof(*c));
	struct mlp_model *m;

	for (size_t j = 0; j < n; j++)
		c[j].name = xasprintf("x%zu", j);
	m = random_model(MLP_OBJ_LOGISTIC, 1, ntrees, depth, c, n);
	for (size_t j = 0; j < n; j++)
		free(c[j].name);
	free(c);
	return m;
}

/* multi:softprob (or softmax) of 3 classes over u and v. */
static struct mlp_model *
prob_model(int obj)
{
	struct mlp_column c[2] = {
		{ .name = "u", .type = MLP_COL_NUM },
		{ .name = "v", .type = MLP_COL_NUM },
	};

	return random_model(obj, 3, 12, 3, c, 2);
}

/* Decoding */

/* The frame's rows as text, "1,2,-;..." with NaN as "-". */
static char *
render(const struct serve_req *r)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (size_t i = 0; i < r->nrows; i++) {
		for (size_t j = 0; j < r->frame->ncols; j++) {
			float v = r->frame->cols[j][i];

			if (isnan(v))
				mlp_buf_addf(&b, "%s-", j ? "," : "");
			else
				mlp_buf_addf(&b, "%s%.9g", j ? "," : "", v);
		}
		mlp_buf_addc(&b, ';');
	}
	mlp_buf_addc(&b, '\0');
	return mlp_buf_detach(&b);
}

/* The input on one line, cut short, for TAP. */
static char *
one_line(const char *s)
{
	char *o = xstrndup(s, strnlen(s, 90));

	for (char *p = o; *p; p++)
		if (*p == '\n' || (unsigned char)*p < 0x20)
			*p = ' ';
	return o;
}

enum proto { OIP, V1, MLFLOW };

static int
decode(enum proto p, const char *body, size_t n, const char *ct,
    const struct mlp_model *m, struct serve_req *r, struct mlp_err *err)
{
	mlp_err_clear(err);
	switch (p) {
	case OIP:
		return serve_decode_oip(body, n, m, r, err);
	case V1:
		return serve_decode_v1(body, n, m, r, err);
	default:
		return serve_decode_mlflow(body, n, ct, m, r, err);
	}
}

/* body decodes to the rows want. */
static void
good_ct(enum proto p, const struct mlp_model *m, const char *ct,
    const char *body, const char *want)
{
	struct serve_req r;
	struct mlp_err err;
	char *what = one_line(body);
	int rc = decode(p, body, strlen(body), ct, m, &r, &err);

	is_int(rc, 0, "decodes %s", what);
	if (rc != 0) {
		printf("#   %s\n", err.msg);
	} else {
		char *got = render(&r);

		is_str(got, want, "rows of %s", what);
		ok(r.frame->nrows == r.nrows && r.frame->ncols == m->nfeat,
		    "%zu rows of %zu features", r.nrows, m->nfeat);
		free(got);
	}
	serve_req_release(&r);
	free(what);
}

static void
good(enum proto p, const struct mlp_model *m, const char *body,
    const char *want)
{
	good_ct(p, m, "application/json", body, want);
}

/* body is refused with status and message msg. */
static void
bad_ct(enum proto p, const struct mlp_model *m, const char *ct,
    const char *body, size_t n, int status, const char *msg)
{
	struct serve_req r;
	struct mlp_err err;
	char *what = one_line(body);
	int rc = decode(p, body, n, ct, m, &r, &err);

	is_int(rc, status, "refuses %s", what);
	is_str(err.msg, msg, "says why");
	ok(r.frame == NULL && r.id == NULL && r.nrows == 0,
	    "and leaves the request empty");
	serve_req_release(&r);
	free(what);
}

static void
bad(enum proto p, const struct mlp_model *m, const char *body, int status,
    const char *msg)
{
	bad_ct(p, m, "application/json", body, strlen(body), status, msg);
}

static void
test_oip_good(const struct mlp_model *reg, const struct mlp_model *prob)
{
	struct serve_req r;
	struct mlp_err err;
	const char *body;

	/* one tensor, flat or nested, any name; numbers for plan are its
	 * levels' text ("1"), as mlp predict reads them */
	good(OIP, reg, "{\"inputs\": [{\"name\": \"input-0\", \"shape\": [1, "
	    "3], \"datatype\": \"FP64\", \"data\": [0.25, -3, 1]}]}",
	    "0.25,-3,0;");
	good(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], "
	    "\"datatype\": \"FP32\", \"data\": [[1.5, 2, 7], [null, 1e-3, "
	    "1]]}]}", "1.5,2,-;-,0.00100000005,0;");
	good(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], "
	    "\"datatype\": \"INT32\", \"data\": [1, 2, 3, -4, 5, 1]}]}",
	    "1,2,-;-4,5,0;");
	good(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"BOOL\", \"data\": [true, false, true]}]}",
	    "1,0,-;");
	/* one input per feature, in any order, [batch] or [batch, 1];
	 * BYTES for a categorical feature's levels */
	good(OIP, reg, "{\"id\": \"r1\", \"parameters\": {\"content_type\": "
	    "\"np\"}, \"inputs\": [{\"name\": \"plan\", \"shape\": [2], "
	    "\"datatype\": \"BYTES\", \"data\": [\"pro\", \"gold\"], "
	    "\"parameters\": {}}, {\"name\": \"b\", \"shape\": [2, 1], "
	    "\"datatype\": \"UINT8\", \"data\": [[255], [0]]}, {\"name\": "
	    "\"a\", \"shape\": [2], \"datatype\": \"FP64\", \"data\": [1e-300, "
	    "null]}], \"outputs\": [{\"name\": \"predict\"}]}",
	    "0,255,2;-,0,-;");
	good(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"INT64\", \"data\": [-9223372036854775808]}, "
	    "{\"name\": \"b\", \"shape\": [1], \"datatype\": \"UINT64\", "
	    "\"data\": [18446744073709549568]}, {\"name\": \"plan\", "
	    "\"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"NA\"]}]}",
	    "-9.22337204e+18,1.84467441e+19,-;");
	good(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"INT8\", \"data\": [-128]}, {\"name\": \"b\", "
	    "\"shape\": [1], \"datatype\": \"INT16\", \"data\": [32767]}, "
	    "{\"name\": \"plan\", \"shape\": [1], \"datatype\": \"UINT16\", "
	    "\"data\": [1]}]}", "-128,32767,0;");
	/* an empty batch is a batch */
	good(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [0, 3], "
	    "\"datatype\": \"FP32\", \"data\": []}]}", "");
	good(OIP, reg, " \r\n{\"inputs\": [{\"name\": \"x\", \"shape\": [0, "
	    "3], \"datatype\": \"FP32\", \"data\": []}], \"other\": 1}\n\t ",
	    "");

	/* id and outputs */
	body = "{\"id\": \"req-\\u00e9\\\"1\", \"inputs\": [{\"name\": \"u\", "
	    "\"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}, {\"name\": "
	    "\"v\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [2]}], "
	    "\"outputs\": [{\"name\": \"probabilities\", \"parameters\": "
	    "{\"binary_data\": false}}]}";
	is_int(serve_decode_oip(body, strlen(body), prob, &r, &err), 0,
	    "decodes an id and outputs");
	is_str(r.id, "req-\xc3\xa9\"1", "keeps the id");
	is_int(r.outputs, SERVE_OUT_PROBA, "and the outputs asked for");
	serve_req_release(&r);
	ok(r.frame == NULL && r.id == NULL && r.mem == NULL,
	    "release empties the request");
	serve_req_release(&r);
	body = "{\"inputs\": [{\"name\": \"t\", \"shape\": [1, 2], "
	    "\"datatype\": \"FP32\", \"data\": [1, 2]}], \"outputs\": []}";
	is_int(serve_decode_oip(body, strlen(body), prob, &r, &err), 0,
	    "decodes empty outputs");
	is_int(r.outputs, 0, "as the default set");
	ok(r.id == NULL, "without an id");
	serve_req_release(&r);
}

static void
test_oip_bad(const struct mlp_model *reg, const struct mlp_model *prob,
    const struct mlp_model *bin)
{
	const char *one = "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}";
	char buf[512];

	/* bodies */
	bad(OIP, reg, "", 400, "request body: empty, expected a JSON value");
	bad(OIP, reg, "{\"inputs\": [", 400, "request body: invalid JSON: "
	    "it ends too soon");
	bad(OIP, reg, "{\"inputs\":\n [1,]}", 400, "request body: invalid "
	    "JSON at line 2 column 5");
	snprintf(buf, sizeof(buf), "%s {}", one);
	{
		char want[100];

		snprintf(want, sizeof(want), "request body: invalid JSON at "
		    "line 1 column %zu", strlen(one) + 2);
		bad(OIP, reg, buf, 400, want);
	}
	bad(OIP, reg, "[1, 2]", 400, "request body: expected an object with "
	    "\"inputs\"");
	bad_ct(OIP, reg, NULL, "{\"id\": \"a\0b\"}", 13, 400, "request body: "
	    "a NUL byte at offset 9");
	bad(OIP, reg, "{\"id\": \"caf\xe9\"}", 400, "request body: not valid "
	    "UTF-8 at offset 11");
	bad(OIP, reg, "{\"id\": \"\xed\xa0\x80\"}", 400, "request body: not "
	    "valid UTF-8 at offset 8");
	bad(OIP, reg, "{\"id\": \"\\ud800\"}", 400, "request body: invalid "
	    "JSON at line 1 column 9");
	bad(OIP, reg, "{}", 400, "inputs: missing (give one [batch, 3] "
	    "tensor, or one input per feature)");
	bad(OIP, reg, "{\"inputs\": {}}", 400, "inputs: expected a list "
	    "(give one [batch, 3] tensor, or one input per feature)");
	bad(OIP, reg, "{\"inputs\": []}", 400, "inputs: empty (give one "
	    "[batch, 3] tensor, or one input per feature)");
	bad(OIP, reg, "{\"inputs\": [], \"inputs\": []}", 400, "inputs: given "
	    "twice");
	bad(OIP, reg, "{\"id\": 7, \"inputs\": []}", 400, "id: expected a "
	    "string");
	bad(OIP, reg, "{\"parameters\": [], \"inputs\": []}", 400,
	    "parameters: expected an object");

	/* fields of an input */
	bad(OIP, reg, "{\"inputs\": [1]}", 400, "inputs[0]: expected an "
	    "object with name, shape, datatype and data");
	bad(OIP, reg, "{\"inputs\": [{\"shape\": [1, 3], \"datatype\": "
	    "\"FP64\", \"data\": [1, 2, 3]}]}", 400, "inputs[0].name: missing");
	bad(OIP, reg, "{\"inputs\": [{\"name\": 1, \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].name: expected a string");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"data\": [1, 2, 3]}]}", 400, "inputs[0].datatype: missing");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP64\", "
	    "\"data\": [1, 2, 3]}]}", 400, "inputs[0].shape: missing");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\"}]}", 400, "inputs[0].data: missing");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": 1}]}", 400, "inputs[0].data: "
	    "expected a list of values");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3], \"parameters\": "
	    "7}]}", 400, "inputs[0].parameters: expected an object");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"name\": \"y\"}]}",
	    400, "inputs[0].name: given twice");

	/* datatypes */
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FLOAT\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].datatype: \"FLOAT\" is not a datatype of the protocol "
	    "(BOOL, UINT8 to UINT64, INT8 to INT64, FP32, FP64, BYTES)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP16\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].datatype: FP16 is not served: JSON numbers do not say "
	    "how to round them; send FP32 or FP64");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"BYTES\", \"data\": [\"1\", \"2\", \"3\"]}]}", 400,
	    "inputs[0].datatype: BYTES is not served for a [batch, 3] tensor: "
	    "send numbers (FP32, FP64, INT, UINT, BOOL), or give each "
	    "categorical feature an input of its own");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"plan\", \"shape\": [1], "
	    "\"datatype\": \"BYTES\", \"data\": [\"pro\"]}, {\"name\": \"a\", "
	    "\"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"1\"]}]}", 400,
	    "inputs[1].datatype: BYTES is for categorical features; 'a' is "
	    "numeric (send FP32, FP64, INT or UINT)");

	/* shapes */
	bad(OIP, bin, "{\"inputs\": [{\"name\": \"input-0\", \"shape\": [1, "
	    "27], \"datatype\": \"FP32\", \"data\": [1]}]}", 400,
	    "inputs[0].shape: expected [batch, 28], got [1, 27]");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].shape: expected [batch, 3], got [3]");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [-1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].shape[0]: expected a size (a whole number from 0), got "
	    "-1");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2.5], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].shape[1]: expected a size (a whole number from 0), got "
	    "2.5");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [\"1\", 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].shape[0]: expected a size (a whole number from 0), got "
	    "\"1\"");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1e300, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].shape[0]: expected a size (a whole number from 0), got "
	    "1e+300");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].shape: expected [batch, N] or [batch], got 3 "
	    "dimensions");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [], "
	    "\"datatype\": \"FP64\", \"data\": [1]}]}", 400,
	    "inputs[0].shape: expected [batch, N] or [batch], got 0 "
	    "dimensions");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": 3, "
	    "\"datatype\": \"FP64\", \"data\": [1]}]}", 400,
	    "inputs[0].shape: expected a list of sizes");
	/* data against shape */
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3, 4, 5]}]}", 400,
	    "inputs[0].data: 5 values; shape [2, 3] holds 6");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": "
	    "[4503599627370496, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 2, 3]}]}", 400,
	    "inputs[0].data: 3 values; shape [4503599627370496, 3] holds "
	    "13510798882111488");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], "
	    "\"datatype\": \"FP64\", \"data\": [[1, 2, 3]]}]}", 400,
	    "inputs[0].data: 1 rows; shape [2, 3] has 2");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], "
	    "\"datatype\": \"FP64\", \"data\": [[1, 2, 3], [4, 5]]}]}", 400,
	    "inputs[0].data[1]: expected a list of 3 values (shape [2, 3])");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], "
	    "\"datatype\": \"FP64\", \"data\": [[1, 2, 3], 4, 5, 6]}]}", 400,
	    "inputs[0].data: 4 rows; shape [2, 3] has 2");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, [2], 3]}]}", 400,
	    "inputs[0].data[1]: a list is not of datatype FP64");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [[1, [2], 3]]}]}", 400,
	    "inputs[0].data[0][1]: a list is not of datatype FP64");

	/* values against their datatype */
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"UINT8\", \"data\": [1, 300, 3]}]}", 400,
	    "inputs[0].data[1]: 300 is not of datatype UINT8 (a whole number "
	    "from 0 to 255)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"UINT32\", \"data\": [1, -1, 3]}]}", 400,
	    "inputs[0].data[1]: -1 is not of datatype UINT32 (a whole number "
	    "from 0 to 4294967295)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"INT32\", \"data\": [[1, 2, 1.5]]}]}", 400,
	    "inputs[0].data[0][2]: 1.5 is not of datatype INT32 (a whole "
	    "number from -2147483648 to 2147483647)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"INT64\", \"data\": [1, 9223372036854775808, 3]}]}",
	    400, "inputs[0].data[1]: 9223372036854775808 is not of datatype "
	    "INT64 (a whole number from -9223372036854775808 to "
	    "9223372036854775807)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, 1e999, 3]}]}", 400,
	    "inputs[0].data[1]: a number too large for FP64");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": [1, -1e300, 3]}]}", 400,
	    "inputs[0].data[1]: -1e+300 is past the FP32 range the model "
	    "computes in");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP32\", \"data\": [1, 3.5e38, 3]}]}", 400,
	    "inputs[0].data[1]: 3.5e+38 is not of datatype FP32 (at most "
	    "3.40282347e+38 in size)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP32\", \"data\": [1, \"2\", 3]}]}", 400,
	    "inputs[0].data[1]: \"2\" is not of datatype FP32");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP32\", \"data\": [true, 2, 3]}]}", 400,
	    "inputs[0].data[0]: true is not of datatype FP32");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"BOOL\", \"data\": [true, 1, false]}]}", 400,
	    "inputs[0].data[1]: 1 is not of datatype BOOL");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"INT32\", \"data\": [1, null, 3]}]}", 400,
	    "inputs[0].data[1]: null is not of datatype INT32 (a missing value "
	    "needs FP32 or FP64)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP32\", \"data\": [1, {}, 3]}]}", 400,
	    "inputs[0].data[1]: an object is not of datatype FP32");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"plan\", \"shape\": [1], "
	    "\"datatype\": \"BYTES\", \"data\": [3]}, {\"name\": \"a\", "
	    "\"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}, {\"name\": "
	    "\"b\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}]}",
	    400, "inputs[0].data[0]: 3 is not of datatype BYTES");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP32\", \"data\": [\"a very long string that "
	    "goes on and on and on and on\", 2, 3]}]}", 400,
	    "inputs[0].data[0]: \"a very long string that goes on and on "
	    "a...\" is not of datatype FP32");

	/* inputs by name */
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1]}, {\"name\": \"bb\", "
	    "\"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}]}", 400,
	    "inputs[1].name: \"bb\" is not a feature of the model (did you mean "
	    "'b'?)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1]}, {\"name\": \"zzzzz\", "
	    "\"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}]}", 400,
	    "inputs[1].name: \"zzzzz\" is not a feature of the model (give one "
	    "input per feature, or one [batch, 3] tensor)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1]}, {\"name\": \"a\", "
	    "\"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}]}", 400,
	    "inputs[1].name: 'a' is given twice (inputs[0] too)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1]}, {\"name\": \"b\", "
	    "\"shape\": [1], \"datatype\": \"FP32\", \"data\": [1]}]}", 400,
	    "inputs: no input for feature 'plan' (give one input per feature, "
	    "or one [batch, 3] tensor)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1]}]}", 400,
	    "inputs: no input for feature 'b' (give one input per feature, "
	    "or one [batch, 3] tensor)");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1]}, {\"name\": \"b\", "
	    "\"shape\": [2], \"datatype\": \"FP32\", \"data\": [1, 2]}]}", 400,
	    "inputs[1].shape: a batch of 2, inputs[0] has 1");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1]}, {\"name\": \"b\", "
	    "\"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]}]}",
	    400, "inputs[1].shape: expected [batch] or [batch, 1] for feature "
	    "'b', got [1, 2]");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [1], "
	    "\"datatype\": \"FP32\", \"data\": [1, 2]}, {\"name\": \"b\"}]}",
	    400, "inputs[1].datatype: missing");
	bad(OIP, reg, "{\"inputs\": [{\"name\": \"a\", \"shape\": [2], "
	    "\"datatype\": \"FP32\", \"data\": [1]}, {\"name\": \"b\", "
	    "\"shape\": [2], \"datatype\": \"FP32\", \"data\": [1, 2]}, "
	    "{\"name\": \"plan\", \"shape\": [2], \"datatype\": \"FP32\", "
	    "\"data\": [1, 2]}]}", 400, "inputs[0].data: 1 values; shape [2] "
	    "holds 2");

	/* outputs */
	bad(OIP, reg, "{\"outputs\": [{\"name\": \"probabilities\"}], "
	    "\"inputs\": []}", 400, "outputs[0].name: a reg:squarederror model "
	    "has no probabilities, only 'predict'");
	bad(OIP, prob, "{\"outputs\": [{\"name\": \"predict\"}, {\"name\": "
	    "\"proba\"}], \"inputs\": []}", 400, "outputs[1].name: \"proba\" is "
	    "not an output of the model (predict, probabilities)");
	bad(OIP, prob, "{\"outputs\": {\"name\": \"predict\"}, \"inputs\": "
	    "[]}", 400, "outputs: expected a list of {\"name\": ...}");
	bad(OIP, prob, "{\"outputs\": [\"predict\"], \"inputs\": []}", 400,
	    "outputs[0]: expected an object with a name");
	bad(OIP, prob, "{\"outputs\": [{}], \"inputs\": []}", 400,
	    "outputs[0].name: missing");
	bad(OIP, prob, "{\"outputs\": [{\"name\": \"predict\", \"parameters\": "
	    "1}], \"inputs\": []}", 400, "outputs[0].parameters: expected an "
	    "object");
}

/* Bodies that must be refused quickly, whatever their size. */
static void
test_abuse(const struct mlp_model *reg, const struct mlp_model *prob)
{
	struct mlp_buf b = MLP_BUF_INIT;
	struct serve_req r;
	struct mlp_err err;
	struct mlp_model *wide;
	double t0;
	int rc;

	/* a million levels of nesting: cJSON stops at 1000 */
	for (int i = 0; i < 1000000; i++)
		mlp_buf_addc(&b, '[');
	t0 = mlp_mono();
	for (enum proto p = OIP; p <= MLFLOW; p++) {
		rc = decode(p, b.s, b.len, "application/json", reg, &r, &err);
		is_int(rc, 400, "deep nesting is a 400 (%s)", err.msg);
		serve_req_release(&r);
	}
	mlp_buf_reset(&b);
	mlp_buf_adds(&b, "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 3], "
	    "\"datatype\": \"FP64\", \"data\": ");
	for (int i = 0; i < 990; i++)
		mlp_buf_addc(&b, '[');
	for (int i = 0; i < 990; i++)
		mlp_buf_addc(&b, ']');
	mlp_buf_adds(&b, "}]}");
	rc = serve_decode_oip(b.s, b.len, reg, &r, &err);
	is_int(rc, 400, "deep nesting within cJSON's limit is a 400 too (%s)",
	    err.msg);
	ok(mlp_mono() - t0 < 5, "and quick (%.3fs)", mlp_mono() - t0);

	/* rows beyond SERVE_MAX_ROWS: 413 before anything is allocated */
	mlp_buf_reset(&b);
	mlp_buf_addf(&b, "{\"inputs\": [{\"name\": \"t\", \"shape\": [%zu, 2], "
	    "\"datatype\": \"INT8\", \"data\": [", SERVE_MAX_ROWS + 1);
	for (size_t i = 0; i < 2 * (SERVE_MAX_ROWS + 1); i++)
		mlp_buf_adds(&b, i ? ",0" : "0");
	mlp_buf_adds(&b, "]}]}");
	rc = serve_decode_oip(b.s, b.len, prob, &r, &err);
	is_int(rc, 413, "too many rows are a 413");
	is_str(err.msg, "1048577 rows: at most 1048576 may be scored at once",
	    "saying so");
	serve_req_release(&r);
	/* and answers beyond SERVE_MAX_VALUES */
	wide = prob_model(MLP_OBJ_SOFTPROB);
	wide->num_class = wide->nout = 10000;
	mlp_buf_reset(&b);
	mlp_buf_adds(&b, "{\"dataframe_split\": {\"columns\": [\"u\", \"v\"], "
	    "\"data\": [");
	for (size_t i = 0; i < 900; i++)
		mlp_buf_adds(&b, i ? ",[1,2]" : "[1,2]");
	mlp_buf_adds(&b, "]}}");
	rc = serve_decode_mlflow(b.s, b.len, "application/json", wide, &r,
	    &err);
	is_int(rc, 413, "answers too large are a 413");
	is_str(err.msg, "900 rows of 20000 outputs: at most 16777216 values "
	    "may be answered at once", "saying so");
	serve_req_release(&r);
	mlp_buf_reset(&b);
	mlp_buf_adds(&b, "u,v\n");
	for (size_t i = 0; i < 900; i++)
		mlp_buf_adds(&b, "1,2\n");
	rc = serve_decode_mlflow(b.s, b.len, "text/csv", wide, &r, &err);
	is_int(rc, 413, "in CSV too");
	serve_req_release(&r);
	mlp_model_free(wide);
	mlp_buf_release(&b);
}

/* The acceptor's look at a first request for its body's length. */
static void
test_peek(void)
{
	static const struct {
		const char *req;
		size_t want;
	} t[] = {
		{ "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: "
		    "270000\r\n\r\n{", 270000 },
		{ "POST / HTTP/1.1\r\ncontent-length:\t12\r\n\r\n", 12 },
		{ "POST / HTTP/1.1\r\nCONTENT-LENGTH: 99999\r\n", 99999 },
		{ "POST / HTTP/1.1\nContent-Length: 7\n\n", 7 },
		/* the end of the headers, then what looks like one */
		{ "POST / HTTP/1.1\r\nHost: x\r\n\r\nContent-Length: 5\r\n", 0 },
		{ "POST / HTTP/1.1\r\nX-Content-Length: 5\r\n\r\n", 0 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0 },
		{ "Content-Length: 5\r\n", 0 },	/* no line before it */
		{ "POST / HTTP/1.1\r\nContent-Length: 123", 123 },
		{ "POST / HTTP/1.1\r\nContent-Len", 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999"
		    "\r\n", (size_t)-1 },
		{ "", 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
		ok(sv_peek_body_length(t[i].req, strlen(t[i].req)) ==
		    t[i].want, "peek: request %zu's body length", i);
	/* never past n */
	ok(sv_peek_body_length("POST / HTTP/1.1\r\nContent-Length: 45", 34) ==
	    4, "peek: the digits within n only");
}

static void
test_v1(const struct mlp_model *reg)
{
	good(V1, reg, "{\"instances\": [[1, 2, \"pro\"], [null, \"3\", 1]]}",
	    "1,2,2;-,3,0;");
	good(V1, reg, "{\"instances\": [{\"plan\": \"basic\", \"a\": 0.5, "
	    "\"b\": -1}, {\"a\": 1}]}", "0.5,-1,1;1,-,-;");
	good(V1, reg, "{\"instances\": []}", "");
	bad(V1, reg, "{\"inputs\": [[1, 2, 3]]}", 400, "instances: missing "
	    "(KServe V1 takes {\"instances\": [rows]})");
	bad(V1, reg, "[[1, 2, 3]]", 400, "instances: missing (KServe V1 takes "
	    "{\"instances\": [rows]})");
	bad(V1, reg, "{\"instances\": {\"a\": 1}}", 400, "instances: expected "
	    "a list of rows");
	bad(V1, reg, "{\"instances\": [[1, 2]]}", 400, "instances[0]: "
	    "expected a list of 3 values");
	bad(V1, reg, "{\"instances\": [[1, \"x\", 3]]}", 400, "instances[0][1] "
	    "('b'): \"x\" is not a number");
	bad(V1, reg, "{\"instances\": [[1, 2, 3]], \"inputs\": []}", 400,
	    "both instances and inputs: give exactly one");
	bad(V1, reg, "{\"instances\": [[1, 2, 3]]} x", 400, "request body: "
	    "invalid JSON at line 1 column 28");
	/* what cJSON, and so mlp predict, reads is read */
	good(V1, reg, "{\"instances\": [[01, 2., 1]]}", "1,2,0;");
}

static void
test_mlflow(const struct mlp_model *reg)
{
	const char *rows = "1,2,2;-,3,0;";
	const char *split = "{\"dataframe_split\": {\"columns\": [\"b\", "
	    "\"plan\", \"a\", \"extra\"], \"index\": [0, 1], \"data\": [[2, "
	    "\"pro\", 1, \"x\"], [3, 1, null, 0]]}}";
	const char *csv = "a,plan,b\n1,pro,2\n,1,3\n";

	/* the four JSON forms and CSV give the same rows */
	good(MLFLOW, reg, split, rows);
	good(MLFLOW, reg, "{\"dataframe_records\": [{\"a\": 1, \"b\": 2, "
	    "\"plan\": \"pro\"}, {\"b\": 3, \"plan\": \"1\"}]}", rows);
	good(MLFLOW, reg, "{\"instances\": [[1, 2, \"pro\"], [null, 3, 1]], "
	    "\"params\": {\"k\": 1}}", rows);
	good(MLFLOW, reg, "{\"inputs\": {\"a\": [1, null], \"b\": [2, 3], "
	    "\"plan\": [\"pro\", \"1\"]}}", rows);
	good_ct(MLFLOW, reg, "text/csv", csv, rows);
	good_ct(MLFLOW, reg, "text/csv; charset=utf-8", "\xef\xbb\xbf"
	    "plan,b,a\r\n\"pro\",2,1\r\n\r\n1,\"3\",\r\n", rows);
	good_ct(MLFLOW, reg, "text/csv", "a,b,plan\n1,2,pro\nNA,3,1", rows);
	good_ct(MLFLOW, reg, "text/csv", "a,b,plan\n", "");
	/* content types as MLflow takes them, ignoring case */
	good_ct(MLFLOW, reg, "Application/JSON; Charset=UTF-8", split, rows);
	good_ct(MLFLOW, reg, "application/json;charset=\"utf-8\";", split,
	    rows);
	good_ct(MLFLOW, reg, " application/json ", split, rows);
	good_ct(MLFLOW, reg, "application/json; charset\t\t\t= utf-8 ", split,
	    rows);

	/* the common forms take the fast road, the others the reader */
	{
		struct serve_req r;
		struct mlp_err err;
		const char *lists = "{\"instances\": [[1, 2, \"pro\"]]}";
		const char *recs = "{\"dataframe_records\": [{\"a\": 1, "
		    "\"b\": 2, \"plan\": \"pro\"}]}";

		serve_decode_mlflow(split, strlen(split), "application/json",
		    reg, &r, &err);
		ok(r.mem != NULL, "dataframe_split: the fast road");
		serve_req_release(&r);
		serve_decode_v1(lists, strlen(lists), reg, &r, &err);
		ok(r.mem != NULL, "instances as lists: the fast road");
		serve_req_release(&r);
		serve_decode_mlflow(recs, strlen(recs), "application/json",
		    reg, &r, &err);
		ok(r.mem == NULL && r.frame, "dataframe_records: the reader");
		serve_req_release(&r);
	}

	/* two features of one name: the reader's first column for both */
	{
		struct mlp_column c[2] = {
			{ .name = "a", .type = MLP_COL_NUM },
			{ .name = "a", .type = MLP_COL_NUM },
		};
		struct mlp_model *dup = random_model(MLP_OBJ_SQUARED, 1, 2, 1,
		    c, 2);

		good(MLFLOW, dup, "{\"dataframe_split\": {\"columns\": [\"a\", "
		    "\"a\"], \"data\": [[1, 2]]}}", "1,1;");
		good(MLFLOW, dup, "{\"dataframe_split\": {\"columns\": [\"b\", "
		    "\"a\", \"a\"], \"data\": [[0, 1, 2]]}}", "1,1;");
		mlp_model_free(dup);
	}

	/* numeric features: columns in the model's order, in another order
	 * or named twice take the fast road to the same rows */
	{
		struct mlp_column c[3] = {
			{ .name = "x", .type = MLP_COL_NUM },
			{ .name = "y", .type = MLP_COL_NUM },
			{ .name = "z", .type = MLP_COL_NUM },
		};
		struct mlp_model *num = random_model(MLP_OBJ_SQUARED, 1, 2, 1,
		    c, 3);
		const char *in_order = "{\"dataframe_split\": {\"columns\": "
		    "[\"x\", \"y\", \"z\"], \"data\": [[1, 2, 3]]}}";
		struct serve_req r;
		struct mlp_err err;

		good(MLFLOW, num, in_order, "1,2,3;");
		good(MLFLOW, num, "{\"dataframe_split\": {\"columns\": [\"z\", "
		    "\"x\", \"y\"], \"data\": [[3, 1, 2]]}}", "1,2,3;");
		good(MLFLOW, num, "{\"dataframe_split\": {\"columns\": [\"x\", "
		    "\"y\", \"z\", \"x\"], \"data\": [[1, 2, 3, 9]]}}", "1,2,3;");
		good(MLFLOW, num, "{\"dataframe_split\": {\"columns\": [\"x\", "
		    "\"xx\", \"y\", \"z\"], \"data\": [[1, 7, 2, 3]]}}",
		    "1,2,3;");
		bad(MLFLOW, num, "{\"dataframe_split\": {\"columns\": [\"x\", "
		    "\"y\", \"y\"], \"data\": [[1, 2, 3]]}}", 400,
		    "dataframe_split.columns has no 'z'");
		serve_decode_mlflow(in_order, strlen(in_order),
		    "application/json", num, &r, &err);
		ok(r.mem != NULL, "columns in the model's order: the fast road");
		serve_req_release(&r);
		mlp_model_free(num);
	}

	bad_ct(MLFLOW, reg, NULL, split, strlen(split), 415, "Content-Type: "
	    "missing; send application/json or text/csv");
	bad_ct(MLFLOW, reg, "text/plain", split, strlen(split), 415,
	    "Content-Type: 'text/plain' is not served; send application/json "
	    "or text/csv");
	bad_ct(MLFLOW, reg, "application/json; charset=latin-1", split,
	    strlen(split), 415, "Content-Type: charset 'latin-1' is not served; "
	    "send UTF-8");
	bad_ct(MLFLOW, reg, "application/json; format=pandas-split", split,
	    strlen(split), 415, "Content-Type: parameter 'format' is not served "
	    "(MLflow 2's scoring protocol names the format in the body: "
	    "{\"dataframe_split\": ...})");
	bad_ct(MLFLOW, reg, "application/json\x01\xff", split, strlen(split),
	    415, "Content-Type: 'application/json?" "?' is not served; send "
	    "application/json or text/csv");
	bad(MLFLOW, reg, "{\"dataframe_split\": {\"data\": []}, \"instances\": "
	    "[]}", 400, "both dataframe_split and instances: give exactly one");
	bad(MLFLOW, reg, "{\"params\": {}}", 400, "expected one of "
	    "dataframe_split, dataframe_records, instances or inputs");
	bad(MLFLOW, reg, "{\"columns\": [\"a\"], \"data\": [[1]]}", 400,
	    "{\"columns\", \"data\"} is MLflow 1.x's format: wrap it as "
	    "{\"dataframe_split\": {\"columns\": ..., \"data\": ...}}");
	bad(MLFLOW, reg, "{\"dataframe_split\": {\"columns\": [\"a\", \"b\"], "
	    "\"data\": [[1, 2]]}}", 400, "dataframe_split.columns has no "
	    "'plan'");
	bad(MLFLOW, reg, "{\"dataframe_records\": [{\"a\": \"x\", \"b\": 1, "
	    "\"plan\": 1}]}", 400, "dataframe_records[0] ('a'): \"x\" is not a "
	    "number");
	bad(MLFLOW, reg, "{\"dataframe_split\": ", 400, "request body: invalid "
	    "JSON: it ends too soon");
	bad(MLFLOW, reg, "{\"instances\": [[1, 2, \"caf\xc3\"]]}", 400,
	    "request body: not valid UTF-8 at offset 26");
	bad_ct(MLFLOW, reg, "text/csv", "a,b\n1,2\n", 8, 400, "'request' has "
	    "no column 'plan'");
	bad_ct(MLFLOW, reg, "text/csv", "a,b,plan\n1,2\n", 13, 400, "'request' "
	    "line 2: expected 3 fields, found 2");
	bad_ct(MLFLOW, reg, "text/csv", "a,b,plan\n1,x,pro\n", 17, 400,
	    "'request' line 2 column 2 ('b'): 'x' is not a number");
	bad_ct(MLFLOW, reg, "text/csv", "", 0, 400, "'request' is empty");
	bad_ct(MLFLOW, reg, "text/csv", split, strlen(split), 400, "'request' "
	    "is JSON, not CSV (it begins with '{')");
	bad_ct(MLFLOW, reg, "text/csv", "a,b,plan\n1,2,\"pro\0\"\n", 20, 400,
	    "request body: a NUL byte at offset 17");
}

/* The fastest road (a numeric model, dataframe_split or lists, read
 * straight into floats) gives the floats strtod's doubles round to, for
 * numbers of every shape; and whatever it does not take still decodes. */
static void
test_fastest(void)
{
	struct mlp_column c[3] = {
		{ .name = "x", .type = MLP_COL_NUM },
		{ .name = "y", .type = MLP_COL_NUM },
		{ .name = "z", .type = MLP_COL_NUM },
	};
	struct mlp_model *m = random_model(MLP_OBJ_SQUARED, 1, 2, 1, c, 3);
	struct mlp_buf body = MLP_BUF_INIT;
	size_t nrows = 3000, bad = 0, n = 0;
	float *want = xmalloc(nrows * 3 * sizeof(float));
	struct serve_req r;
	struct mlp_err err;
	int rc;

	for (int form = 0; form < 2; form++) {
		mlp_buf_reset(&body);
		mlp_buf_adds(&body, form ? "{\"instances\": [" :
		    "{\"dataframe_split\": {\"columns\": [\"z\", \"x\", "
		    "\"y\"], \"data\": [");
		for (size_t i = 0; i < nrows; i++) {
			mlp_buf_adds(&body, i ? ",\n [" : "[");
			for (int k = 0; k < 3; k++) {
				uint64_t u = rnd();
				double v = (urand() - 0.5) *
				    pow(10, (int)(u % 40) - 20);
				char t[80];

				switch ((u >> 8) % 9) {
				case 0:
					snprintf(t, sizeof(t), "%.*g",
					    (int)((u >> 16) % 17) + 1, v);
					break;
				case 1:
					snprintf(t, sizeof(t), "%.*e",
					    (int)((u >> 16) % 20), v);
					break;
				case 2:
					snprintf(t, sizeof(t), "%lld",
					    (long long)(int64_t)(u >> 20) -
					    (1ll << 42));
					break;
				case 3:	/* more digits than 19 */
					snprintf(t, sizeof(t), "%.25f", v);
					break;
				case 4:
					snprintf(t, sizeof(t), "%s",
					    (u >> 16) % 3 == 0 ? "null" :
					    (u >> 16) % 3 == 1 ? "true" :
					    "false");
					break;
				case 5:	/* float midpoints and near them */
					snprintf(t, sizeof(t), "%.17g",
					    (double)(float)v +
					    ldexp(1, ilogb((float)v) - 24) *
					    (1 + ((int)((u >> 16) % 3) - 1) *
					    1e-9));
					break;
				default:
					snprintf(t, sizeof(t), "%.6f", v);
				}
				if ((u >> 30) % 7 == 0)
					mlp_buf_addc(&body, ' ');
				mlp_buf_adds(&body, k ? ", " : "");
				mlp_buf_adds(&body, t);
				/* the model's order is x, y, z; dataframe_split
				 * gives z, x, y */
				want[i * 3 + (form ? k : (k + 2) % 3)] =
				    strcmp(t, "null") == 0 ? NAN :
				    strcmp(t, "true") == 0 ? 1.0f :
				    strcmp(t, "false") == 0 ? 0.0f :
				    (float)strtod(t, NULL);
			}
			mlp_buf_addc(&body, ']');
		}
		mlp_buf_adds(&body, form ? "]}" : "]}}");
		rc = serve_decode_mlflow(body.s, body.len, "application/json",
		    m, &r, &err);
		ok(rc == 0 && r.mem && r.nrows == nrows, "%s: %zu rows on the "
		    "fastest road", form ? "instances" : "dataframe_split",
		    nrows);
		for (size_t i = 0; rc == 0 && i < nrows; i++)
			for (size_t j = 0; j < 3; j++, n++) {
				float g = r.frame->cols[j][i],
				    w = want[i * 3 + j];

				if (memcmp(&g, &w, sizeof(g)) != 0 &&
				    !(g != g && w != w) && bad++ < 5)
					printf("# row %zu col %zu: %.9g, want "
					    "%.9g\n", i, j, g, w);
			}
		serve_req_release(&r);
	}
	ok(bad == 0, "the fastest road reads %zu numbers as strtod does "
	    "(%zu differ)", n, bad);
	{
		/* exponents past the exact powers, either way (a fuzzer found
		 * the table read past its end) */
		const char *t = "{\"instances\": [[1e30, 33333332E66, "
		    "12e-30]]}";

		rc = serve_decode_mlflow(t, strlen(t), "application/json", m,
		    &r, &err);
		ok(rc == 0 && r.frame->cols[0][0] == (float)1e30 &&
		    r.frame->cols[1][0] == (float)strtod("33333332E66", NULL) &&
		    r.frame->cols[2][0] == (float)12e-30, "exponents past 22 "
		    "and -22");
		serve_req_release(&r);
	}
	free(want);
	mlp_buf_release(&body);
	mlp_model_free(m);
}

/* Feast's /get-online-features: the request's entities and features,
 * and its errors. */
static void
test_feast(void)
{
	struct serve_feast_get g;
	struct mlp_err err;
	const char *body = "{\"entities\": {\"driver_id\": [1001, 1002], "
	    "\"city\": [\"sf\", \"caf\\u00e9\"]}, \"features\": "
	    "[\"driver_profile:rating\", \"driver_trips:fare_sum_7d\"], "
	    "\"full_feature_names\": true}";

	ok(serve_decode_feast_get(body, strlen(body), &g, &err) == 0 &&
	    g.nkeys == 2 && g.n == 2 && g.nrefs == 2 && g.full_names &&
	    !g.service && strcmp(g.key_names[1], "city") == 0 &&
	    g.key_cols[0][1].type == MLP_FT_INT &&
	    g.key_cols[0][1].v.i == 1002 &&
	    g.key_cols[1][1].type == MLP_FT_STRING &&
	    g.key_cols[1][1].v.str.n == 5 &&
	    memcmp(g.key_cols[1][1].v.str.s, "caf\xc3\xa9", 5) == 0 &&
	    strcmp(g.refs[1], "driver_trips:fare_sum_7d") == 0,
	    "feast: entities by join key, features, full names");
	serve_feast_get_release(&g);
	body = "{\"entities\": {\"driver_id\": [1]}, \"feature_service\": "
	    "\"eta\"}";
	ok(serve_decode_feast_get(body, strlen(body), &g, &err) == 0 &&
	    strcmp(g.service, "eta") == 0 && !g.full_names && g.nrefs == 0,
	    "feast: a feature service");
	serve_feast_get_release(&g);
#define FEAST_BAD(text, code, want) do { \
	const char *t_ = (text); \
	int rc_ = serve_decode_feast_get(t_, strlen(t_), &g, &err); \
	ok(rc_ == (code) && strcmp(err.msg, (want)) == 0, \
	    "feast: %s -> %d %s", t_, rc_, err.msg); \
} while (0)
	FEAST_BAD("[]", 400, "expected an object {\"entities\": ..., "
	    "\"features\": [...] or \"feature_service\": ...}");
	FEAST_BAD("{\"entities\": {}, \"features\": [\"a:b\"]}", 400,
	    "entities: expected an object of join keys to lists of values "
	    "({\"driver_id\": [1001]})");
	FEAST_BAD("{\"entities\": {\"a\": [1]}}", 400, "give exactly one of "
	    "features (a list of \"VIEW:FEATURE\") and feature_service");
	FEAST_BAD("{\"entities\": {\"a\": [1]}, \"features\": [\"ab\"]}", 400,
	    "features[0]: expected \"VIEW:FEATURE\"");
	FEAST_BAD("{\"entities\": {\"a\": [1, 2], \"b\": [1]}, \"features\": "
	    "[\"v:f\"]}", 400, "entities.b: 1 values where entities.a has 2");
	FEAST_BAD("{\"entities\": {\"a\": [1.5]}, \"features\": [\"v:f\"]}",
	    400, "entities.a[0]: expected an integer or a string");
	FEAST_BAD("{\"entities\": {\"a\": [null]}, \"features\": [\"v:f\"]}",
	    400, "entities.a[0]: null: an entity needs its key");
	FEAST_BAD("{\"entities\": {\"a\": [1]}, \"features\": [\"v:f\"], "
	    "\"project\": 1}", 400, "unknown field 'project' (the fields are "
	    "entities, features, feature_service, full_feature_names)");
	FEAST_BAD("{\"entities\": {\"a\": [1]}, \"features\": [\"v:f\"], "
	    "\"full_feature_names\": 1}", 400, "full_feature_names: expected "
	    "true or false");
	FEAST_BAD("{\"entities\": ", 400, "request body: invalid JSON: it "
	    "ends too soon");
#undef FEAST_BAD
}

/* Encoding */

static void
test_encode(const struct mlp_model *reg, const struct mlp_model *bin,
    const struct mlp_model *prob)
{
	struct mlp_model *smax = prob_model(MLP_OBJ_SOFTMAX);
	struct serve_req r = { 0 };
	struct mlp_buf b = MLP_BUF_INIT;
	double pred[6] = { 0.25, 1.0 / 3, 0.75, 0.1, 0.2, 0.7 };
	double p2[6] = { 0.2, 0.5, 0.3, 0.6, 0.2, 0.2 };
	const char *versions[] = { "1", "2" };
	char *want;

	r.nrows = 2;
	serve_encode_oip(&b, "churn", "3", &r, reg, pred);
	want = xasprintf("{\"model_name\":\"churn\",\"model_version\":\"3\","
	    "\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP64\","
	    "\"shape\":[2],\"data\":[0.25,0.333333333]}]}\n");
	is_str(b.s, want, "OIP: regression");
	free(want);

	mlp_buf_reset(&b);
	r.id = xstrdup("a\"b");
	serve_encode_oip(&b, "m", NULL, &r, bin, pred + 1);
	want = xasprintf("{\"model_name\":\"m\",\"id\":\"a\\\"b\",\"outputs\":"
	    "[{\"name\":\"predict\",\"datatype\":\"FP64\",\"shape\":[2],"
	    "\"data\":[0.333333333,0.75]},{\"name\":\"probabilities\","
	    "\"datatype\":\"FP64\",\"shape\":[2,2],\"data\":[0.666666667,"
	    "0.333333333,0.25,0.75]}]}\n");
	is_str(b.s, want, "OIP: binary, id echoed, no version");
	free(want);
	free(r.id);
	r.id = NULL;

	mlp_buf_reset(&b);
	r.outputs = SERVE_OUT_PROBA;
	serve_encode_oip(&b, "m", "1", &r, prob, p2);
	is_str(b.s, "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":"
	    "[{\"name\":\"probabilities\",\"datatype\":\"FP64\",\"shape\":[2,3]"
	    ",\"data\":[0.2,0.5,0.3,0.6,0.2,0.2]}]}\n", "OIP: softprob, only "
	    "the probabilities asked for");
	mlp_buf_reset(&b);
	r.outputs = 0;
	serve_encode_oip(&b, "m", "1", &r, prob, p2);
	is_str(b.s, "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":"
	    "[{\"name\":\"predict\",\"datatype\":\"INT64\",\"shape\":[2],"
	    "\"data\":[1,0]},{\"name\":\"probabilities\",\"datatype\":\"FP64\","
	    "\"shape\":[2,3],\"data\":[0.2,0.5,0.3,0.6,0.2,0.2]}]}\n",
	    "OIP: softprob predicts the most probable class, the first of "
	    "equals");
	mlp_buf_reset(&b);
	{
		double cls[2] = { 2, 0 };

		serve_encode_oip(&b, "m", "1", &r, smax, cls);
		is_str(b.s, "{\"model_name\":\"m\",\"model_version\":\"1\","
		    "\"outputs\":[{\"name\":\"predict\",\"datatype\":\"INT64\","
		    "\"shape\":[2],\"data\":[2,0]}]}\n", "OIP: softmax gives "
		    "classes only");
	}
	mlp_buf_reset(&b);
	r.nrows = 0;
	serve_encode_oip(&b, "m", "1", &r, bin, pred);
	is_str(b.s, "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":"
	    "[{\"name\":\"predict\",\"datatype\":\"FP64\",\"shape\":[0],"
	    "\"data\":[]},{\"name\":\"probabilities\",\"datatype\":\"FP64\","
	    "\"shape\":[0,2],\"data\":[]}]}\n", "OIP: an empty batch");
	mlp_buf_reset(&b);
	{
		double odd[2] = { NAN, -INFINITY };

		r.nrows = 2;
		serve_encode_oip(&b, "m", "1", &r, reg, odd);
		ok(strstr(b.s, "\"data\":[null,null]") != NULL, "what JSON "
		    "cannot hold is null");
		mlp_buf_reset(&b);
		serve_encode_predictions(&b, reg, odd, 2);
		is_str(b.s, "{\"predictions\":[null,null]}\n", "in "
		    "predictions too");
	}

	mlp_buf_reset(&b);
	serve_encode_predictions(&b, prob, p2, 2);
	is_str(b.s, "{\"predictions\":[[0.2,0.5,0.3],[0.6,0.2,0.2]]}\n",
	    "predictions: class probabilities");
	mlp_buf_reset(&b);
	serve_encode_predictions(&b, bin, pred, 3);
	is_str(b.s, "{\"predictions\":[0.25,0.333333333,0.75]}\n",
	    "predictions: values");
	mlp_buf_reset(&b);
	serve_encode_predictions(&b, bin, pred, 0);
	is_str(b.s, "{\"predictions\":[]}\n", "predictions: none");

	mlp_buf_reset(&b);
	serve_encode_oip_model(&b, "churn", versions, 2, reg);
	is_str(b.s, "{\"name\":\"churn\",\"versions\":[\"1\",\"2\"],"
	    "\"platform\":\"mlp\",\"inputs\":[{\"name\":\"a\",\"datatype\":"
	    "\"FP64\",\"shape\":[-1]},{\"name\":\"b\",\"datatype\":\"FP64\","
	    "\"shape\":[-1]},{\"name\":\"plan\",\"datatype\":\"BYTES\","
	    "\"shape\":[-1]}],\"outputs\":[{\"name\":\"predict\",\"datatype\":"
	    "\"FP64\",\"shape\":[-1]}]}\n", "model metadata: regression");
	mlp_buf_reset(&b);
	free(smax->origin);
	smax->origin = xstrdup("xgboost");
	serve_encode_oip_model(&b, "s", NULL, 0, smax);
	is_str(b.s, "{\"name\":\"s\",\"platform\":\"xgboost\",\"inputs\":"
	    "[{\"name\":\"u\",\"datatype\":\"FP64\",\"shape\":[-1]},{\"name\":"
	    "\"v\",\"datatype\":\"FP64\",\"shape\":[-1]}],\"outputs\":[{\"name\":"
	    "\"predict\",\"datatype\":\"INT64\",\"shape\":[-1]}]}\n",
	    "model metadata: an imported softmax model, no versions");
	mlp_buf_reset(&b);
	serve_encode_oip_model(&b, "p", versions, 1, prob);
	ok(strstr(b.s, "\"versions\":[\"1\"]") && strstr(b.s, "{\"name\":"
	    "\"probabilities\",\"datatype\":\"FP64\",\"shape\":[-1,3]}]}\n"),
	    "model metadata: softprob has probabilities");

	mlp_buf_reset(&b);
	serve_encode_error(&b, "a \"b\" \\ c\nd\te\x01 caf\xc3\xa9 \xe9\xff "
	    "\xf0\x9f\x98\x80 \xe2\x82");
	is_str(b.s, "{\"error\":\"a \\\"b\\\" \\\\ c\\nd\\te\\u0001 caf\xc3\xa9 "
	    "\\ufffd\\ufffd \xf0\x9f\x98\x80 \\ufffd\\ufffd\"}\n", "errors are "
	    "escaped, bad UTF-8 replaced");
	mlp_buf_reset(&b);
	serve_encode_mlflow_error(&b, "BAD_REQUEST", "no \"x\"");
	is_str(b.s, "{\"error_code\":\"BAD_REQUEST\",\"message\":\"no "
	    "\\\"x\\\"\"}\n", "MLflow's error body");
	mlp_buf_release(&b);
	mlp_model_free(smax);
}

/* The end to end check: rows through each protocol give the bytes
 * `mlp predict` prints for the same rows. */

static char *mlp_bin;
static char tmpdir[] = "/tmp/mlp-serve-test.XXXXXX";

static char *
run_predict(const char *model_dir, const char *csv)
{
	char *cmd = xasprintf("'%s' predict '%s' -i '%s' --json", mlp_bin,
	    model_dir, csv);
	struct mlp_buf b = MLP_BUF_INIT;
	char chunk[4096];
	FILE *p = popen(cmd, "r");
	size_t n;

	free(cmd);
	if (!p)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		mlp_buf_add(&b, chunk, n);
	if (pclose(p) != 0) {
		mlp_buf_release(&b);
		return NULL;
	}
	mlp_buf_addc(&b, '\0');
	return mlp_buf_detach(&b);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Scores req with m and encodes it as V1/MLflow do. */
static char *
answer(const struct mlp_model *m, const struct serve_req *r)
{
	double *pred = xcalloc(r->nrows * (size_t)m->nout + 1, sizeof(double));
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_err err;

	if (mlp_model_predict(m, (const float *const *)r->frame->cols,
	    r->nrows, pred, 1, &err) < 0)
		printf("# %s\n", err.msg);
	serve_encode_predictions(&b, m, pred, r->nrows);
	free(pred);
	mlp_buf_addc(&b, '\0');
	return mlp_buf_detach(&b);
}

static void
same_as_predict(const char *label, const struct mlp_model *m,
    const char *csv, const char *oip)
{
	struct mlp_model_meta meta = { .artifact_path = "model" };
	char *dir = xasprintf("%s/%s", tmpdir, label);
	char *path = xasprintf("%s/%s.csv", tmpdir, label);
	char *want, *got;
	struct serve_req r;
	struct mlp_err err;
	double *pred;
	struct mlp_buf b = MLP_BUF_INIT;

	if (mlp_model_write_dir(m, &meta, dir, &err) < 0) {
		ok(0, "%s: model written (%s)", label, err.msg);
		goto out;
	}
	write_text(path, csv);
	want = run_predict(dir, path);
	ok(want != NULL, "%s: mlp predict --json ran", label);
	if (!want)
		goto out;
	is_int(serve_decode_mlflow(csv, strlen(csv), "text/csv", m, &r, &err),
	    0, "%s: CSV decodes", label);
	got = answer(m, &r);
	is_str(got, want, "%s: /invocations (CSV) answers what mlp predict "
	    "prints", label);
	free(got);
	serve_req_release(&r);
	if (oip) {
		char *inner;

		is_int(serve_decode_oip(oip, strlen(oip), m, &r, &err), 0,
		    "%s: OIP decodes the same rows", label);
		if (r.frame) {
			got = answer(m, &r);
			is_str(got, want, "%s: the same predictions", label);
			free(got);
			pred = xcalloc(r.nrows * (size_t)m->nout + 1,
			    sizeof(double));
			mlp_model_predict(m, (const float *const *)
			    r.frame->cols, r.nrows, pred, 1, &err);
			r.outputs = SERVE_OUT_PREDICT;
			serve_encode_oip(&b, "m", "1", &r, m, pred);
			/* {"predictions":[...]}\n: its list is OIP's data */
			inner = xasprintf("\"data\":[%.*s]}]}\n",
			    (int)strlen(want) - 19, want + 16);
			ok(m->nout > 1 || strstr(b.s, inner) != NULL,
			    "%s: OIP's predict output prints as mlp predict "
			    "does", label);
			if (m->nout == 1 && !strstr(b.s, inner))
				printf("#   %s", b.s);
			free(inner);
			free(pred);
		}
		serve_req_release(&r);
	}
	free(want);
out:
	mlp_buf_release(&b);
	free(dir);
	free(path);
}

static void
test_same_as_predict(const struct mlp_model *reg, const struct mlp_model *bin,
    const struct mlp_model *prob)
{
	struct mlp_model *smax = prob_model(MLP_OBJ_SOFTMAX);
	struct mlp_buf csv = MLP_BUF_INIT, oip = MLP_BUF_INIT;
	char *dir;

	if (!mlp_bin || access(mlp_bin, X_OK) != 0) {
		printf("ok %d # skip no mlp binary at %s\n", ++tap_n,
		    mlp_bin ? mlp_bin : "(none)");
		mlp_model_free(smax);
		return;
	}
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		exit(1);
	}
	same_as_predict("reg", reg, "a,b,plan\n0.25,-3,pro\n,2,basic\n"
	    "1.5,,1\n-7,0.125,\n3,1e-3,gold\n", "{\"inputs\": [{\"name\": "
	    "\"a\", \"shape\": [5], \"datatype\": \"FP64\", \"data\": [0.25, "
	    "null, 1.5, -7, 3]}, {\"name\": \"b\", \"shape\": [5], "
	    "\"datatype\": \"FP32\", \"data\": [-3, 2, null, 0.125, 1e-3]}, "
	    "{\"name\": \"plan\", \"shape\": [5], \"datatype\": \"BYTES\", "
	    "\"data\": [\"pro\", \"basic\", \"1\", \"\", \"gold\"]}]}");
	/* 28 features, random rows with missing values */
	mlp_buf_adds(&csv, "x0");
	for (int j = 1; j < 28; j++)
		mlp_buf_addf(&csv, ",x%d", j);
	mlp_buf_addc(&csv, '\n');
	mlp_buf_adds(&oip, "{\"inputs\": [{\"name\": \"input-0\", \"shape\": "
	    "[50, 28], \"datatype\": \"FP64\", \"data\": [");
	for (int i = 0; i < 50; i++) {
		mlp_buf_addc(&oip, '[');
		for (int j = 0; j < 28; j++) {
			double u = urand();
			char v[32];

			if (u < 0.1)
				snprintf(v, sizeof(v), "%s", "");
			else
				snprintf(v, sizeof(v), "%.6g", urand() * 8 - 4);
			mlp_buf_addf(&csv, "%s%s", j ? "," : "", v);
			mlp_buf_addf(&oip, "%s%s", j ? ", " : "", *v ? v :
			    "null");
		}
		mlp_buf_addc(&csv, '\n');
		mlp_buf_adds(&oip, i < 49 ? "], " : "]");
	}
	mlp_buf_adds(&oip, "]}]}");
	same_as_predict("bin", bin, csv.s, oip.s);
	same_as_predict("softprob", prob, "u,v\n0.5,-1\n,2\n-3,\n1.75,0.25\n",
	    "{\"inputs\": [{\"name\": \"t\", \"shape\": [4, 2], \"datatype\": "
	    "\"FP32\", \"data\": [0.5, -1, null, 2, -3, null, 1.75, 0.25]}]}");
	same_as_predict("softmax", smax, "u,v\n0.5,-1\n,2\n-3,\n1.75,0.25\n",
	    "{\"inputs\": [{\"name\": \"t\", \"shape\": [4, 2], \"datatype\": "
	    "\"FP32\", \"data\": [0.5, -1, null, 2, -3, null, 1.75, 0.25]}]}");
	mlp_buf_release(&csv);
	mlp_buf_release(&oip);
	mlp_model_free(smax);
	dir = xasprintf("rm -rf '%s'", tmpdir);
	if (system(dir) != 0)
		printf("# could not remove %s\n", tmpdir);
	free(dir);
}

/* One 28-feature row, decoded and encoded in a loop: ns per request. */
static void
bench(const struct mlp_model *bin)
{
	struct mlp_buf body = MLP_BUF_INIT, out = MLP_BUF_INIT;
	struct serve_req r;
	struct mlp_err err;
	double pred[1], t0, per[3];
	const char *names[3] = { "OIP", "dataframe_split",
		"OIP, scored (100 trees)" };
	int iters = 20000;

	for (int k = 0; k < 3; k++) {
		mlp_buf_reset(&body);
		if (k == 1) {
			mlp_buf_adds(&body, "{\"dataframe_split\": {\"columns\": "
			    "[");
			for (int j = 0; j < 28; j++)
				mlp_buf_addf(&body, "%s\"x%d\"", j ? ", " : "",
				    j);
			mlp_buf_adds(&body, "], \"data\": [[");
		} else {
			mlp_buf_adds(&body, "{\"id\": \"42\", \"inputs\": "
			    "[{\"name\": \"input-0\", \"shape\": [1, 28], "
			    "\"datatype\": \"FP32\", \"data\": [");
		}
		for (int j = 0; j < 28; j++)
			mlp_buf_addf(&body, "%s%.6g", j ? ", " : "",
			    urand() * 8 - 4);
		mlp_buf_adds(&body, k == 1 ? "]]}}" : "]}]}");
		t0 = mlp_mono();
		for (int i = 0; i < iters; i++) {
			int rc = k == 1 ? serve_decode_mlflow(body.s, body.len,
			    "application/json", bin, &r, &err) :
			    serve_decode_oip(body.s, body.len, bin, &r, &err);

			if (rc != 0) {
				printf("# bench: %s\n", err.msg);
				break;
			}
			if (k == 2) {
				float x[28];

				for (int j = 0; j < 28; j++)
					x[j] = r.frame->cols[j][0];
				mlp_model_predict_row(bin, x, pred);
			} else
				pred[0] = 0.5;
			mlp_buf_reset(&out);
			if (k == 1)
				serve_encode_predictions(&out, bin, pred, 1);
			else
				serve_encode_oip(&out, "m", "1", &r, bin, pred);
			serve_req_release(&r);
		}
		per[k] = (mlp_mono() - t0) / iters * 1e9;
	}
	for (int k = 0; k < 3; k++)
		printf("# %s: one 28-feature row, decode + encode: %.0f ns per "
		    "request\n", names[k], per[k]);
	ok(1, "bench ran (%d requests each)", iters);
	mlp_buf_release(&body);
	mlp_buf_release(&out);
}

int
main(int argc, char **argv)
{
	struct mlp_model *reg = reg_model(), *bin = bin_model(28, 100, 6);
	struct mlp_model *prob = prob_model(MLP_OBJ_SOFTPROB);
	char *self = xstrdup(argv[0]);

	(void)argc;
	mlp_bin = getenv("MLP") ? xstrdup(getenv("MLP")) :
	    xasprintf("%s/../mlp", dirname(self));
	test_oip_good(reg, prob);
	test_oip_bad(reg, prob, bin);
	test_abuse(reg, prob);
	test_peek();
	test_v1(reg);
	test_mlflow(reg);
	test_fastest();
	test_feast();
	test_encode(reg, bin, prob);
	test_same_as_predict(reg, bin, prob);
	bench(bin);
	mlp_model_free(reg);
	mlp_model_free(bin);
	mlp_model_free(prob);
	free(mlp_bin);
	free(self);
	return tap_done();
}
