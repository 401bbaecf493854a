/* The cost of mlp serve's protocol work for one 28-feature row, without
 * the HTTP around it: decode, score (by row and by batch) and encode an
 * OIP request and an MLflow dataframe_split one, against cJSON's parse of
 * the same body (what a decoder built on it would start from), the
 * features named f0..f27 as serve.sh's model names them. Prints
 * the best of 5 rounds in ns per request. Then the decode of a 1000-row
 * dataframe_split body (tests/perf/serve.sh's inv1000.json: FILE, else
 * one made alike: its features' spread, numbers as Python writes the
 * floats of "%.6g") and of its UTF-8 check alone, in us per body.
 * Usage: serve_proto_bench [N [FILE]] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/model.h"
#include "serve/proto.h"

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

/* Full trees of depth 6 at random over 28 features: the model. */
static struct mlp_model *
gbdt(size_t ntrees, int depth, size_t nfeat)
{
	struct mlp_model *m = mlp_model_new();
	struct mlp_column *c = xcalloc(nfeat, sizeof(*c));
	size_t per = ((size_t)1 << (depth + 1)) - 1, nn = ntrees * per;
	struct mlp_err err;

	for (size_t j = 0; j < nfeat; j++)
		c[j].name = xasprintf("f%zu", j);
	mlp_model_set_features(m, c, nfeat);
	for (size_t j = 0; j < nfeat; j++)
		free(c[j].name);
	free(c);
	m->objective = MLP_OBJ_LOGISTIC;
	m->base_margin = xcalloc(1, sizeof(double));
	m->ntrees = ntrees;
	m->nnodes = nn;
	m->tree_root = xcalloc(ntrees, sizeof(uint32_t));
	m->tree_group = xcalloc(ntrees, sizeof(int32_t));
	m->split_feat = xcalloc(nn, sizeof(int32_t));
	m->split_value = xcalloc(nn, sizeof(float));
	m->left = xcalloc(nn, sizeof(uint32_t));
	m->default_left = xcalloc(nn, 1);
	for (size_t t = 0; t < ntrees; t++) {
		size_t base = t * per;

		m->tree_root[t] = (uint32_t)base;
		/* heap order: children of i at 2i+1, 2i+2 */
		for (size_t i = 0; i < per; i++) {
			size_t n = base + i;

			if (2 * i + 1 < per) {
				m->split_feat[n] = (int32_t)(rnd() % nfeat);
				m->split_value[n] = (float)(urand() * 8 - 4);
				m->left[n] = (uint32_t)(base + 2 * i + 1);
				m->default_left[n] = (uint8_t)(rnd() & 1);
			} else {
				m->split_feat[n] = -1;
				m->split_value[n] = (float)(urand() - 0.5);
			}
		}
	}
	if (mlp_model_check(m, &err) < 0) {
		fprintf(stderr, "serve_proto_bench: %s\n", err.msg);
		exit(1);
	}
	return m;
}

enum { CJSON, OIP_DECODE, OIP_ENCODE, SPLIT_DECODE, SPLIT_ENCODE, ROW,
	BATCH, NSTEPS };
static const char *const names[NSTEPS] = {
	"cJSON parse + delete of the OIP body",
	"OIP decode",
	"OIP encode (predict + probabilities)",
	"dataframe_split decode",
	"dataframe_split encode",
	"score: mlp_model_predict_row",
	"score: mlp_model_predict, 1 row",
};

/* A 1000-row body as tests/perf/serve_model.py writes inv1000.json:
 * gen-data.py's features (normal, uniform, one wide and shifted, one
 * tiny), each through "%.6g" and written as Python's repr writes the
 * float ("100.0", "1.23457e-05"), without white space. */
static void
split1000(struct mlp_buf *b)
{
	mlp_buf_adds(b, "{\"dataframe_split\":{\"columns\":[");
	for (int j = 0; j < 28; j++)
		mlp_buf_addf(b, "%s\"f%d\"", j ? "," : "", j);
	mlp_buf_adds(b, "],\"data\":[");
	for (int i = 0; i < 1000; i++) {
		mlp_buf_adds(b, i ? ",[" : "[");
		for (int j = 0; j < 28; j++) {
			double v;
			char t[32];

			if (j < 14)
				v = sqrt(-2 * log(1 - urand())) *
				    cos(6.283185307179586 * urand());
			else
				v = urand() * 2 - 1;
			if (j == 10)
				v = v * 50 + 100;
			if (j == 20)
				v *= 1e-3;
			snprintf(t, sizeof(t), "%.6g", v);
			if (!strpbrk(t, ".e"))
				strcat(t, ".0");
			mlp_buf_addf(b, "%s%s", j ? "," : "", t);
		}
		mlp_buf_addc(b, ']');
	}
	mlp_buf_adds(b, "]}}");
}

/* The best of 5 rounds of n decodes of body (and of its check alone),
 * in us per body. */
static void
bench_big(const struct mlp_model *m, const struct mlp_buf *body, long n)
{
	double dec = 1e300, chk = 1e300;
	struct serve_req r;
	struct mlp_err err;

	for (int round = 0; round < 5; round++) {
		double t0 = mlp_mono(), dt;

		for (long i = 0; i < n; i++) {
			if (serve_decode_mlflow(body->s, body->len,
			    "application/json", m, &r, &err) != 0) {
				fprintf(stderr, "%s\n", err.msg);
				exit(1);
			}
			serve_req_release(&r);
		}
		dt = (mlp_mono() - t0) / (double)n * 1e6;
		if (dt < dec)
			dec = dt;
		t0 = mlp_mono();
		for (long i = 0; i < n; i++)
			if (serve_check_body(body->s, body->len, &err) != 0)
				exit(1);
		dt = (mlp_mono() - t0) / (double)n * 1e6;
		if (dt < chk)
			chk = dt;
	}
	printf("%zu-byte dataframe_split body; best of 5 rounds of %ld\n",
	    body->len, n);
	printf("%-40s %8.1f us\n", "decode", dec);
	printf("%-40s %8.1f us\n", "of which the UTF-8 check", chk);
}

int
main(int argc, char **argv)
{
	struct mlp_model *m = gbdt(100, 6, 28);
	struct mlp_buf oip = MLP_BUF_INIT, split = MLP_BUF_INIT;
	struct mlp_buf out = MLP_BUF_INIT;
	struct serve_req r;
	struct mlp_err err;
	double best[NSTEPS], pred[2];
	float x[28];
	long n = argc > 1 ? atol(argv[1]) : 100000;

	mlp_buf_adds(&oip, "{\"id\": \"42\", \"inputs\": [{\"name\": "
	    "\"input-0\", \"shape\": [1, 28], \"datatype\": \"FP32\", "
	    "\"data\": [");
	mlp_buf_adds(&split, "{\"dataframe_split\": {\"columns\": [");
	for (int j = 0; j < 28; j++)
		mlp_buf_addf(&split, "%s\"f%d\"", j ? ", " : "", j);
	mlp_buf_adds(&split, "], \"data\": [[");
	for (int j = 0; j < 28; j++) {
		x[j] = (float)(urand() * 8 - 4);
		mlp_buf_addf(&oip, "%s%.7g", j ? ", " : "", x[j]);
		mlp_buf_addf(&split, "%s%.7g", j ? ", " : "", x[j]);
	}
	mlp_buf_adds(&oip, "]}]}");
	mlp_buf_adds(&split, "]]}}");
	for (int s = 0; s < NSTEPS; s++)
		best[s] = 1e300;
	for (int round = 0; round < 5; round++) {
		for (int s = 0; s < NSTEPS; s++) {
			double t0 = mlp_mono(), dt;

			for (long i = 0; i < n; i++) {
				switch (s) {
				case CJSON:
					cJSON_Delete(cJSON_ParseWithLength(oip.s,
					    oip.len));
					break;
				case OIP_DECODE:
					if (serve_decode_oip(oip.s, oip.len, m,
					    &r, &err) != 0) {
						fprintf(stderr, "%s\n", err.msg);
						return 1;
					}
					serve_req_release(&r);
					break;
				case SPLIT_DECODE:
					if (serve_decode_mlflow(split.s,
					    split.len, "application/json", m,
					    &r, &err) != 0) {
						fprintf(stderr, "%s\n", err.msg);
						return 1;
					}
					serve_req_release(&r);
					break;
				case OIP_ENCODE:
				case SPLIT_ENCODE:
					if (i == 0)
						serve_decode_oip(oip.s, oip.len,
						    m, &r, &err);
					mlp_buf_reset(&out);
					if (s == OIP_ENCODE)
						serve_encode_oip(&out, "m", "1",
						    &r, m, pred);
					else
						serve_encode_predictions(&out,
						    m, pred, 1);
					if (i == n - 1)
						serve_req_release(&r);
					break;
				case ROW:
					mlp_model_predict_row(m, x, pred);
					break;
				case BATCH: {
					const float *cols[28];

					for (int j = 0; j < 28; j++)
						cols[j] = &x[j];
					mlp_model_predict(m, cols, 1, pred, 1,
					    &err);
					break;
				}
				}
			}
			dt = (mlp_mono() - t0) / (double)n * 1e9;
			if (dt < best[s])
				best[s] = dt;
		}
	}
	printf("one 28-feature row, 100 trees of depth 6; best of 5 rounds "
	    "of %ld\n", n);
	for (int s = 0; s < NSTEPS; s++)
		printf("%-40s %8.0f ns\n", names[s], best[s]);
	printf("%-40s %8.0f ns\n", "OIP request (decode + row + encode)",
	    best[OIP_DECODE] + best[ROW] + best[OIP_ENCODE]);
	printf("%-40s %8.0f ns\n", "dataframe_split request",
	    best[SPLIT_DECODE] + best[ROW] + best[SPLIT_ENCODE]);
	mlp_buf_reset(&split);
	if (argc > 2) {
		char *text;
		size_t len;

		if (mlp_read_file(argv[2], (size_t)1 << 30, &text, &len,
		    &err) < 0) {
			fprintf(stderr, "serve_proto_bench: %s\n", err.msg);
			return 1;
		}
		mlp_buf_add(&split, text, len);
		free(text);
	} else {
		split1000(&split);
	}
	bench_big(m, &split, n / 200 > 0 ? n / 200 : 1);
	mlp_buf_release(&oip);
	mlp_buf_release(&split);
	mlp_buf_release(&out);
	mlp_model_free(m);
	return 0;
}
