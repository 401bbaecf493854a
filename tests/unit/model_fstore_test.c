/* Unit tests of MLmodel's feature_store section (lib/model/mlmodel.c):
 * written with a model directory, read back by mlp_model_load into
 * m->fstore and by mlp_model_fstore_read, and the errors of a section
 * that is malformed or does not fit the model's inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "tap.h"

static char tmpdir[] = "/tmp/mlp-model-fstore-test.XXXXXX";

/* A linear model over rating (numeric) and car (categorical). */
static struct mlp_model *
small_model(void)
{
	struct mlp_model *m = mlp_model_new();
	struct mlp_column cols[2] = {
		{ .name = "rating", .type = MLP_COL_NUM },
		{ .name = "car", .type = MLP_COL_CAT,
		    .levels = (char *[]){ "golf", "prius" }, .nlevels = 2 },
	};

	m->kind = MLP_MODEL_LINEAR;
	m->objective = MLP_OBJ_LOGISTIC;
	mlp_model_set_features(m, cols, 2);
	m->base_margin = xcalloc(1, sizeof(double));
	m->nslots = 3;
	m->slot = xmalloc(2 * sizeof(uint32_t));
	m->slot[0] = 0;
	m->slot[1] = 1;
	m->mean = xcalloc(3, sizeof(double));
	m->scale = xmalloc(3 * sizeof(double));
	for (int s = 0; s < 3; s++)
		m->scale[s] = 1;
	m->weight = xcalloc(3, sizeof(double));
	m->weight[0] = 0.5;
	m->bias = xcalloc(1, sizeof(double));
	return m;
}

/* Its lineage: a derived feature and a string feature of one view. */
static struct mlp_model_fstore *
small_fstore(void)
{
	struct mlp_model_fstore *f = xcalloc(1, sizeof(*f));

	f->service = xstrdup("eta");
	f->timestamp_column = xstrdup("event_ts");
	f->timestamp_format = xstrdup("epoch_ms");
	f->full_names = 0;
	f->nrefs = 2;
	f->refs = xcalloc(2, sizeof(*f->refs));
	f->refs[0].ref = xstrdup("driver_profile:rating");
	f->refs[0].view = xstrdup("driver_profile");
	f->refs[0].feature = xstrdup("rating");
	f->refs[0].input = xstrdup("rating");
	f->refs[0].kind = xstrdup("derived");
	f->refs[0].type = xstrdup("float");
	f->refs[0].expr = xstrdup("coalesce(raw, 0) * 2");
	f->refs[1].ref = xstrdup("driver_profile:car");
	f->refs[1].view = xstrdup("driver_profile");
	f->refs[1].feature = xstrdup("car");
	f->refs[1].input = xstrdup("car");
	f->refs[1].kind = xstrdup("feature");
	f->refs[1].type = xstrdup("string");
	f->nviews = 1;
	f->views = xcalloc(1, sizeof(*f->views));
	f->views[0].name = xstrdup("driver_profile");
	f->views[0].version = 3;
	f->views[0].entity = xstrdup("driver");
	f->views[0].ttl = xstrdup("7d");
	f->nkeys = 2;
	f->keys = xcalloc(2, sizeof(*f->keys));
	f->keys[0].name = xstrdup("city");
	f->keys[0].type = xstrdup("string");
	f->keys[0].entity = xstrdup("driver");
	f->keys[1].name = xstrdup("driver_id");
	f->keys[1].type = xstrdup("int");
	f->keys[1].entity = xstrdup("driver");
	return f;
}

static char *
read_text(const char *path, size_t *len)
{
	struct mlp_err err;
	char *text = NULL;

	if (mlp_read_file(path, 1 << 20, &text, len, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	return text;
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

/* Replaces the first from in the text of path by to. */
static void
edit(const char *path, const char *from, const char *to)
{
	size_t len;
	char *text = read_text(path, &len), *p = strstr(text, from);
	struct mlp_buf b = MLP_BUF_INIT;

	if (!p) {
		fprintf(stderr, "'%s' not in %s\n", from, path);
		exit(1);
	}
	mlp_buf_add(&b, text, (size_t)(p - text));
	mlp_buf_adds(&b, to);
	mlp_buf_adds(&b, p + strlen(from));
	write_text(path, mlp_buf_str(&b));
	mlp_buf_release(&b);
	free(text);
}

static void
test_round_trip(void)
{
	struct mlp_model *m = small_model(), *back = NULL, *again = NULL;
	struct mlp_model_fstore *fs = small_fstore(), *r = NULL;
	struct mlp_model_meta meta = { 0 };
	char *dir = xasprintf("%s/m", tmpdir), *dir2 = xasprintf("%s/m2",
	    tmpdir), *ml = xasprintf("%s/MLmodel", dir), *text;
	struct mlp_err err;
	size_t len;
	int rc;

	meta.fstore = fs;
	rc = mlp_model_write_dir(m, &meta, dir, &err);
	is_int(rc, 0, "a model with a feature_store section is written (%s)",
	    rc ? err.msg : "");
	text = read_text(ml, &len);
	ok(strstr(text, "\nfeature_store:\n  features:\n  - expr: "
	    "'coalesce(raw, 0) * 2'\n") != NULL,
	    "the section comes after artifact_path, keys sorted");
	ok(strstr(text, "    version: 3\n") != NULL, "a view's version is an "
	    "integer");
	rc = mlp_model_fstore_read("MLmodel", text, len, &r, &err);
	is_int(rc, 0, "mlp_model_fstore_read reads it");
	ok(r && r->nrefs == 2 && r->nviews == 1 && r->nkeys == 2,
	    "two references, a view, two join keys");
	if (r && r->nrefs == 2 && r->nviews == 1 && r->nkeys == 2) {
		is_str(r->service, "eta", "the service");
		is_str(r->timestamp_column, "event_ts", "the time column");
		is_str(r->timestamp_format, "epoch_ms", "its format");
		is_int(r->full_names, 0, "no full names");
		is_str(r->refs[0].expr, "coalesce(raw, 0) * 2", "the expression");
		is_str(r->refs[0].kind, "derived", "the kind");
		ok(r->refs[1].expr == NULL, "a plain feature has no expression");
		is_str(r->refs[1].type, "string", "the type");
		is_str(r->keys[0].name, "city", "the join keys in order");
		is_str(r->keys[1].type, "int", "with their types");
		is_int(r->views[0].version, 3, "the view's version");
		is_str(r->views[0].ttl, "7d", "its TTL");
	}
	mlp_model_fstore_free(r);
	free(text);

	rc = mlp_model_load(dir, &back, &err);
	is_int(rc, 0, "the directory loads (%s)", rc ? err.msg : "");
	ok(back && back->fstore && back->fstore->nrefs == 2,
	    "the loaded model carries the section");
	/* written again from the model (as the registry rewrites an
	 * imported one), it stays */
	if (back) {
		rc = mlp_model_write_dir(back, NULL, dir2, &err);
		is_int(rc, 0, "a loaded model is written again");
		rc = mlp_model_load(dir2, &again, &err);
		ok(rc == 0 && again->fstore && strcmp(again->fstore->refs[0].ref,
		    "driver_profile:rating") == 0, "with its section");
	}
	mlp_model_free(again);
	mlp_model_free(back);

	/* a model without one has none */
	mlp_model_fstore_free(fs);
	meta.fstore = NULL;
	free(dir);
	dir = xasprintf("%s/plain", tmpdir);
	mlp_model_write_dir(m, &meta, dir, &err);
	rc = mlp_model_load(dir, &back, &err);
	ok(rc == 0 && back->fstore == NULL, "a plain model has no section");
	mlp_model_free(back);
	free(ml);
	ml = xasprintf("%s/MLmodel", dir);
	text = read_text(ml, &len);
	ok(strstr(text, "feature_store") == NULL, "nor does its MLmodel");
	rc = mlp_model_fstore_read("MLmodel", text, len, &r, &err);
	ok(rc == 0 && r == NULL, "mlp_model_fstore_read gives NULL");
	free(text);
	mlp_model_free(m);
	free(dir);
	free(dir2);
	free(ml);
}

/* Loads a copy of the good directory with one edit: the error. */
static void
bad(const char *from, const char *to, const char *want, const char *what)
{
	static int n;
	char *dir = xasprintf("%s/bad%d", tmpdir, n++), *ml;
	struct mlp_model *m = small_model(), *back = NULL;
	struct mlp_model_fstore *fs = small_fstore();
	struct mlp_model_meta meta = { 0 };
	struct mlp_err err;
	int rc;

	meta.fstore = fs;
	mlp_model_write_dir(m, &meta, dir, &err);
	ml = xasprintf("%s/MLmodel", dir);
	edit(ml, from, to);
	mlp_err_clear(&err);
	rc = mlp_model_load(dir, &back, &err);
	ok(rc == MLP_EINVAL && back == NULL, "%s: refused", what);
	ok(strstr(err.msg, want) != NULL, "%s: says why", what);
	if (!strstr(err.msg, want))
		printf("#   got:  '%s'\n#   want: '...%s...'\n", err.msg, want);
	mlp_model_free(m);
	mlp_model_fstore_free(fs);
	free(ml);
	free(dir);
}

static void
test_errors(void)
{
	bad("    input: car\n", "    input: colour\n",
	    "field 'feature_store.features[1].input': 'colour' is not the "
	    "model's input 2 ('car')", "a reference for another input");
	bad("  - feature: car\n    input: car\n    kind: feature\n"
	    "    ref: driver_profile:car\n    type: string\n"
	    "    view: driver_profile\n", "",
	    "field 'feature_store.features' has 1 reference for 2 model "
	    "inputs", "a reference short");
	bad("    ref: driver_profile:car\n", "",
	    "field 'feature_store.features[1].ref': missing", "no ref");
	bad("    kind: feature\n", "    kind: magic\n",
	    "field 'feature_store.features[1].kind': unknown value",
	    "an unknown kind");
	bad("    type: string\n", "    type: text\n",
	    "field 'feature_store.features[1].type': unknown value",
	    "an unknown type");
	bad("  - expr: 'coalesce(raw, 0) * 2'\n    feature: rating\n",
	    "  - feature: rating\n",
	    "field 'feature_store.features[0].expr': missing",
	    "a derived feature without its expression");
	bad("    version: 3\n", "    version: -3\n",
	    "field 'feature_store.views[0].version': expected a positive "
	    "integer", "a bad view version");
	bad("    name: driver_profile\n", "    name: other\n",
	    "field 'feature_store.features[0].view': not among the views",
	    "a reference to a view not listed");
	bad("  timestamp_column: event_ts\n", "",
	    "field 'feature_store.timestamp_column': missing",
	    "no timestamp column");
	bad("  timestamp_format: epoch_ms\n", "  timestamp_format: unix\n",
	    "field 'feature_store.timestamp_format': unknown value",
	    "an unknown time format");
	bad("  full_names: false\n", "  full_names: maybe\n",
	    "field 'feature_store.full_names': expected true or false",
	    "full_names not a boolean");
	bad("  join_keys:\n", "  join_keys: driver_id\n  x:\n",
	    "field 'feature_store.join_keys': expected a list",
	    "join keys not a list");
}

int
main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_round_trip();
	test_errors();
	mlp_remove_tree(tmpdir, NULL);
	return tap_done();
}
