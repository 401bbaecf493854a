/* Model directories: MLmodel (YAML as MLflow writes it, through libyaml)
 * next to the payload, and mlp_model_load, which finds a model in a
 * directory, an MLmodel, a model.json or an XGBoost JSON file. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "internal.h"

/* Writing */

struct emit {
	yaml_emitter_t e;
	int failed;
};

static int
emit_write(void *data, unsigned char *buf, size_t n)
{
	mlp_buf_add(data, buf, n);
	return 1;
}

static void
emit_event(struct emit *em, yaml_event_t *ev)
{
	if (!em->failed && !yaml_emitter_emit(&em->e, ev))
		em->failed = 1;
}

/* Whether s, written plain, reads back as the same string in YAML 1.1 (as
 * PyYAML reads MLmodel): it starts with a letter or digit, holds no
 * character YAML treats specially, is not a boolean or null word, and is
 * not made only of the characters of numbers and dates. */
static int
plain_ok(const char *s)
{
	static const char *const words[] = {
		"y", "n", "yes", "no", "on", "off", "true", "false", "null",
	};

	if (!isalnum((unsigned char)s[0]))
		return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-./:", *p))
			return 0;
	if (s[strlen(s) - 1] == ':')
		return 0;
	if (strspn(s, "0123456789+-._:eExXoObB") == strlen(s))
		return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return 0;
	return 1;
}

static void
emit_scalar(struct emit *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (style == YAML_ANY_SCALAR_STYLE && !plain_ok(s))
		style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)s, (int)strlen(s), 1, 1, style)) {
		em->failed = 1;
		return;
	}
	emit_event(em, &ev);
}

/* A string value. */
static void
emit_str(struct emit *em, const char *key, const char *value)
{
	emit_scalar(em, key, YAML_ANY_SCALAR_STYLE);
	emit_scalar(em, value, YAML_ANY_SCALAR_STYLE);
}

/* A value written plain on purpose: a number or null. */
static void
emit_plain(struct emit *em, const char *key, const char *value)
{
	emit_scalar(em, key, YAML_ANY_SCALAR_STYLE);
	emit_scalar(em, value, YAML_PLAIN_SCALAR_STYLE);
}

static void
emit_map(struct emit *em, const char *key)
{
	yaml_event_t ev;

	if (key)
		emit_scalar(em, key, YAML_ANY_SCALAR_STYLE);
	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_MAPPING_STYLE)) {
		em->failed = 1;
		return;
	}
	emit_event(em, &ev);
}

static void
emit_end(struct emit *em)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	emit_event(em, &ev);
}

static void
emit_seq(struct emit *em, const char *key)
{
	yaml_event_t ev;

	emit_scalar(em, key, YAML_ANY_SCALAR_STYLE);
	if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	    YAML_BLOCK_SEQUENCE_STYLE)) {
		em->failed = 1;
		return;
	}
	emit_event(em, &ev);
}

static void
emit_seq_end(struct emit *em)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	emit_event(em, &ev);
}

/* The feature_store section, keys sorted as PyYAML writes them. */
static void
emit_fstore(struct emit *em, const struct mlp_model_fstore *f)
{
	char num[32];

	emit_map(em, "feature_store");
	emit_seq(em, "features");
	for (size_t i = 0; i < f->nrefs; i++) {
		const struct mlp_model_fref *r = &f->refs[i];

		emit_map(em, NULL);
		if (r->expr)
			emit_str(em, "expr", r->expr);
		emit_str(em, "feature", r->feature);
		emit_str(em, "input", r->input);
		emit_str(em, "kind", r->kind);
		emit_str(em, "ref", r->ref);
		emit_str(em, "type", r->type);
		emit_str(em, "view", r->view);
		emit_end(em);
	}
	emit_seq_end(em);
	emit_plain(em, "full_names", f->full_names ? "true" : "false");
	emit_seq(em, "join_keys");
	for (size_t i = 0; i < f->nkeys; i++) {
		emit_map(em, NULL);
		emit_str(em, "entity", f->keys[i].entity);
		emit_str(em, "name", f->keys[i].name);
		emit_str(em, "type", f->keys[i].type);
		emit_end(em);
	}
	emit_seq_end(em);
	if (f->service)
		emit_str(em, "service", f->service);
	emit_str(em, "timestamp_column", f->timestamp_column);
	emit_str(em, "timestamp_format", f->timestamp_format);
	emit_seq(em, "views");
	for (size_t i = 0; i < f->nviews; i++) {
		emit_map(em, NULL);
		emit_str(em, "entity", f->views[i].entity);
		emit_str(em, "name", f->views[i].name);
		emit_str(em, "ttl", f->views[i].ttl);
		snprintf(num, sizeof(num), "%lld",
		    (long long)f->views[i].version);
		emit_plain(em, "version", num);
		emit_end(em);
	}
	emit_seq_end(em);
	emit_end(em);
}

/* The signature's inputs as MLflow's column specs, a JSON string. */
static char *
signature_inputs(const struct mlp_model *m)
{
	struct mlp_buf b = MLP_BUF_INIT;

	mlp_buf_addc(&b, '[');
	for (size_t j = 0; j < m->nfeat; j++) {
		mlp_buf_addf(&b, "%s{\"type\": \"%s\", \"name\": ", j ? ", " :
		    "", m->feat[j].type == MLP_COL_CAT ? "string" : "double");
		model_json_str(&b, m->feat[j].name);
		mlp_buf_adds(&b, ", \"required\": true}");
	}
	mlp_buf_addc(&b, ']');
	return mlp_buf_detach(&b);
}

static char *
signature_outputs(const struct mlp_model *m)
{
	if (m->nout > 1)
		return xasprintf("[{\"type\": \"tensor\", \"tensor-spec\": "
		    "{\"dtype\": \"float64\", \"shape\": [-1, %d]}}]", m->nout);
	return xasprintf("[{\"type\": \"%s\", \"required\": true}]",
	    m->objective == MLP_OBJ_SOFTMAX ? "long" : "double");
}

/* A metric as a YAML 1.1 float (PyYAML wants a dot and a signed
 * exponent: "1.0e-05", "3.0"). */
static void
fmt_number(double v, char *out, size_t n)
{
	char buf[40], *e;

	if (isnan(v) || isinf(v)) {
		snprintf(out, n, "%s", isnan(v) ? ".nan" : v > 0 ? ".inf" :
		    "-.inf");
		return;
	}
	mlp_fmt_double(v, buf, sizeof(buf));
	if ((e = strpbrk(buf, "eE")))
		*e++ = '\0';
	snprintf(out, n, "%s%s%s%s%s", buf, strchr(buf, '.') ? "" : ".0",
	    e ? "e" : "", e && *e != '-' && *e != '+' ? "+" : "", e ? e : "");
}

/* MLflow's utc_time_created: "2024-01-31 12:34:56.123456". */
static void
utc_now(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d.%06ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

/* The MLmodel text, keys sorted as MLflow (PyYAML) writes them. */
static int
mlmodel_text(const struct mlp_model *m, const struct mlp_model_meta *meta,
    struct mlp_buf *out, struct mlp_err *err)
{
	const struct mlp_model_fstore *fs = meta && meta->fstore ?
	    meta->fstore : m->fstore;
	struct emit em = { .failed = 0 };
	yaml_event_t ev;
	char uuid[33], when[96], num[64];
	char *inputs = signature_inputs(m), *outputs = signature_outputs(m);
	int rc;

	if ((rc = mlp_new_id(uuid, err)) < 0)
		goto out;
	utc_now(when, sizeof(when));
	yaml_emitter_initialize(&em.e);
	yaml_emitter_set_output(&em.e, emit_write, out);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, -1);
	yaml_emitter_set_indent(&em.e, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit_event(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit_event(&em, &ev);
	emit_map(&em, NULL);

	emit_str(&em, "artifact_path", meta && meta->artifact_path ?
	    meta->artifact_path : "model");
	if (fs)
		emit_fstore(&em, fs);
	emit_map(&em, "flavors");
	emit_map(&em, "mlp");
	emit_str(&em, "data", "model.json");
	emit_str(&em, "mlp_version", MLP_VERSION);
	emit_str(&em, "model_type", m->kind == MLP_MODEL_LINEAR ? "linear" :
	    "gbdt");
	snprintf(num, sizeof(num), "%d", m->num_class);
	emit_plain(&em, "num_class", num);
	emit_str(&em, "objective", mlp_objective_name((int)m->objective));
	emit_end(&em);
	if (meta && meta->xgboost_file) {
		emit_map(&em, "xgboost");
		emit_str(&em, "data", "model.xgb.json");
		emit_str(&em, "model_class", "xgboost.core.Booster");
		emit_str(&em, "model_format", "json");
		emit_end(&em);
	}
	emit_end(&em);
	if (meta && meta->nmetrics) {
		emit_map(&em, "metrics");
		for (size_t i = 0; i < meta->nmetrics; i++) {
			fmt_number(meta->metric_values[i], num, sizeof(num));
			emit_plain(&em, meta->metric_names[i], num);
		}
		emit_end(&em);
	}
	emit_str(&em, "model_uuid", uuid);
	if (meta && meta->run_id)
		emit_str(&em, "run_id", meta->run_id);
	emit_map(&em, "signature");
	emit_scalar(&em, "inputs", YAML_ANY_SCALAR_STYLE);
	emit_scalar(&em, inputs, YAML_SINGLE_QUOTED_SCALAR_STYLE);
	emit_scalar(&em, "outputs", YAML_ANY_SCALAR_STYLE);
	emit_scalar(&em, outputs, YAML_SINGLE_QUOTED_SCALAR_STYLE);
	emit_plain(&em, "params", "null");
	emit_end(&em);
	emit_scalar(&em, "utc_time_created", YAML_ANY_SCALAR_STYLE);
	emit_scalar(&em, when, YAML_SINGLE_QUOTED_SCALAR_STYLE);

	emit_end(&em);
	yaml_document_end_event_initialize(&ev, 1);
	emit_event(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit_event(&em, &ev);
	if (em.failed || !yaml_emitter_flush(&em.e))
		rc = mlp_err_set(err, MLP_EFAIL, "cannot write MLmodel: %s",
		    em.e.problem ? em.e.problem : "YAML emitter failed");
	yaml_emitter_delete(&em.e);
out:
	free(inputs);
	free(outputs);
	return rc;
}

/* Creates dir and its missing parents; an existing dir must be empty. */
static int
make_dir(const char *dir, int *created, struct mlp_err *err)
{
	char *p = xstrdup(dir);
	struct dirent *e;
	DIR *d;
	int rc = 0;

	*created = 0;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': "
			    "%s", p, strerror(errno));
			goto out;
		}
		*s = '/';
	}
	if (mkdir(dir, 0777) == 0) {
		*created = 1;
		goto out;
	}
	if (errno != EEXIST || !(d = opendir(dir))) {
		rc = mlp_err_set(err, errno == EEXIST ? MLP_EEXISTS : MLP_EFAIL,
		    "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = mlp_err_set(err, MLP_EEXISTS, "'%s' exists and "
			    "is not empty", dir);
	closedir(d);
out:
	free(p);
	return rc;
}

int
mlp_model_write_dir(const struct mlp_model *m,
    const struct mlp_model_meta *meta, const char *dir, struct mlp_err *err)
{
	struct mlp_buf yaml = MLP_BUF_INIT;
	char *json = xasprintf("%s/model.json", dir);
	char *xgb = xasprintf("%s/model.xgb.json", dir);
	char *mlmodel = xasprintf("%s/MLmodel", dir);
	char *text = NULL;
	size_t len;
	int rc, created = 0;

	if ((rc = mlp_model_check(m, err)) < 0 ||
	    (meta && meta->artifact_path && (rc = mlp_check_utf8("MLmodel "
	    "field 'artifact_path'", meta->artifact_path, err)) < 0) ||
	    (meta && meta->run_id && (rc = mlp_check_utf8("MLmodel field "
	    "'run_id'", meta->run_id, err)) < 0)) {
		mlp_err_prefix(err, "cannot write '%s'", dir);
		goto out;
	}
	for (size_t i = 0; meta && i < meta->nmetrics; i++)
		if ((rc = mlp_check_utf8("MLmodel metric name",
		    meta->metric_names[i], err)) < 0) {
			mlp_err_prefix(err, "cannot write '%s'", dir);
			goto out;
		}
	if ((rc = make_dir(dir, &created, err)) < 0)
		goto out;
	if ((rc = mlp_model_write_json(m, json, err)) < 0)
		goto fail;
	if (meta && meta->xgboost_file &&
	    ((rc = mlp_read_file(meta->xgboost_file, MLP_MODEL_MAX_BYTES,
	    &text, &len, err)) < 0 || (rc = mlp_write_file(xgb, text, len, err)) < 0))
		goto fail;
	/* MLmodel last: its presence says the directory is complete */
	if ((rc = mlmodel_text(m, meta, &yaml, err)) < 0 ||
	    (rc = mlp_write_file(mlmodel, yaml.s, yaml.len, err)) < 0)
		goto fail;
	goto out;
fail:
	unlink(json);
	unlink(xgb);
	unlink(mlmodel);
	if (created)
		rmdir(dir);
out:
	mlp_buf_release(&yaml);
	free(text);
	free(json);
	free(xgb);
	free(mlmodel);
	return rc;
}

/* Reading */

static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strlen((char *)k->data.scalar.value) ==
		    k->data.scalar.length &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *
scalar(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE ||
	    strlen((char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* The feature_store section */

void
mlp_model_fstore_free(struct mlp_model_fstore *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nrefs; i++) {
		free(f->refs[i].ref);
		free(f->refs[i].view);
		free(f->refs[i].feature);
		free(f->refs[i].input);
		free(f->refs[i].kind);
		free(f->refs[i].type);
		free(f->refs[i].expr);
	}
	for (size_t i = 0; i < f->nviews; i++) {
		free(f->views[i].name);
		free(f->views[i].entity);
		free(f->views[i].ttl);
	}
	for (size_t i = 0; i < f->nkeys; i++) {
		free(f->keys[i].name);
		free(f->keys[i].type);
		free(f->keys[i].entity);
	}
	free(f->refs);
	free(f->views);
	free(f->keys);
	free(f->service);
	free(f->timestamp_column);
	free(f->timestamp_format);
	free(f);
}

struct fsread {
	yaml_document_t *doc;
	const char *path;
	struct mlp_err *err;
};

static int
fs_bad(struct fsread *r, const char *field, size_t i, const char *sub,
    const char *what)
{
	char where[160];

	if (!field)
		snprintf(where, sizeof(where), "%s", sub);
	else if (sub)
		snprintf(where, sizeof(where), "%s[%zu].%s", field, i, sub);
	else
		snprintf(where, sizeof(where), "%s", field);
	return mlp_err_set(r->err, MLP_EINVAL, "'%s': field 'feature_store.%s'"
	    ": %s", r->path, where, what);
}

/* The string field key of map into *out: a non-empty scalar; missing is
 * an error when required. */
static int
fs_str(struct fsread *r, yaml_node_t *map, const char *field, size_t i,
    const char *key, int required, char **out)
{
	yaml_node_t *n = map_get(r->doc, map, key);
	const char *v = scalar(n);

	if (!n && !required)
		return 0;
	if (!n)
		return fs_bad(r, field, i, key, "missing");
	if (!v || !*v)
		return fs_bad(r, field, i, key, "expected a name");
	*out = xstrdup(v);
	return 0;
}

/* One of the words in list (NULL-ended). */
static int
fs_word(struct fsread *r, const char *field, size_t i, const char *key,
    const char *v, const char *const *list)
{
	for (size_t k = 0; list[k]; k++)
		if (strcmp(v, list[k]) == 0)
			return 0;
	return fs_bad(r, field, i, key, "unknown value");
}

static yaml_node_t *
fs_seq(struct fsread *r, yaml_node_t *map, const char *key, size_t *n)
{
	yaml_node_t *s = map_get(r->doc, map, key);

	*n = 0;
	if (!s || s->type != YAML_SEQUENCE_NODE) {
		fs_bad(r, key, 0, NULL, s ? "expected a list" : "missing");
		return NULL;
	}
	*n = (size_t)(s->data.sequence.items.top -
	    s->data.sequence.items.start);
	return s;
}

static yaml_node_t *
fs_item(struct fsread *r, yaml_node_t *seq, const char *key, size_t i)
{
	yaml_node_t *e = yaml_document_get_node(r->doc,
	    seq->data.sequence.items.start[i]);

	if (!e || e->type != YAML_MAPPING_NODE) {
		char where[64];

		snprintf(where, sizeof(where), "%s[%zu]", key, i);
		fs_bad(r, where, 0, NULL, "expected a mapping");
		return NULL;
	}
	return e;
}

static int
fstore_parse(struct fsread *r, yaml_node_t *sec, struct mlp_model_fstore *f)
{
	static const char *const kinds[] = { "feature", "aggregation",
		"derived", NULL };
	static const char *const types[] = { "float", "int", "string", "bool",
		NULL };
	static const char *const fmts[] = { "iso8601", "epoch_s", "epoch_ms",
		NULL };
	yaml_node_t *seq, *e, *n;
	const char *v;
	size_t cnt;
	int rc;

	if (sec->type != YAML_MAPPING_NODE)
		return mlp_err_set(r->err, MLP_EINVAL, "'%s': field "
		    "'feature_store': expected a mapping", r->path);
	if (!(seq = fs_seq(r, sec, "features", &cnt)))
		return MLP_EINVAL;
	if (cnt == 0)
		return fs_bad(r, "features", 0, NULL, "empty");
	f->refs = xcalloc(cnt, sizeof(*f->refs));
	for (size_t i = 0; i < cnt; i++) {
		struct mlp_model_fref *x = &f->refs[i];

		f->nrefs = i + 1;	/* freed with f if it fails */
		if (!(e = fs_item(r, seq, "features", i)))
			return MLP_EINVAL;
		if ((rc = fs_str(r, e, "features", i, "ref", 1, &x->ref)) < 0 ||
		    (rc = fs_str(r, e, "features", i, "view", 1,
		    &x->view)) < 0 ||
		    (rc = fs_str(r, e, "features", i, "feature", 1,
		    &x->feature)) < 0 ||
		    (rc = fs_str(r, e, "features", i, "input", 1,
		    &x->input)) < 0 ||
		    (rc = fs_str(r, e, "features", i, "kind", 1,
		    &x->kind)) < 0 ||
		    (rc = fs_str(r, e, "features", i, "type", 1,
		    &x->type)) < 0 ||
		    (rc = fs_str(r, e, "features", i, "expr", 0,
		    &x->expr)) < 0 ||
		    (rc = fs_word(r, "features", i, "kind", x->kind,
		    kinds)) < 0 ||
		    (rc = fs_word(r, "features", i, "type", x->type,
		    types)) < 0)
			return rc;
		if (strcmp(x->kind, "derived") == 0 && !x->expr)
			return fs_bad(r, "features", i, "expr", "missing");
	}
	if (!(seq = fs_seq(r, sec, "views", &cnt)))
		return MLP_EINVAL;
	f->views = xcalloc(cnt + 1, sizeof(*f->views));
	for (size_t i = 0; i < cnt; i++) {
		struct mlp_model_fview *x = &f->views[i];

		f->nviews = i + 1;	/* freed with f if it fails */
		if (!(e = fs_item(r, seq, "views", i)))
			return MLP_EINVAL;
		if ((rc = fs_str(r, e, "views", i, "name", 1, &x->name)) < 0 ||
		    (rc = fs_str(r, e, "views", i, "entity", 1,
		    &x->entity)) < 0 ||
		    (rc = fs_str(r, e, "views", i, "ttl", 1, &x->ttl)) < 0)
			return rc;
		v = scalar(map_get(r->doc, e, "version"));
		if (!v || mlp_parse_int64(v, &x->version) < 0 ||
		    x->version <= 0)
			return fs_bad(r, "views", i, "version", v ?
			    "expected a positive integer" : "missing");
	}
	for (size_t i = 0; i < f->nrefs; i++) {
		size_t k = 0;

		while (k < f->nviews && strcmp(f->views[k].name,
		    f->refs[i].view) != 0)
			k++;
		if (k == f->nviews)
			return fs_bad(r, "features", i, "view", "not among "
			    "the views");
	}
	if (!(seq = fs_seq(r, sec, "join_keys", &cnt)))
		return MLP_EINVAL;
	f->keys = xcalloc(cnt + 1, sizeof(*f->keys));
	for (size_t i = 0; i < cnt; i++) {
		struct mlp_model_fkey *x = &f->keys[i];

		f->nkeys = i + 1;	/* freed with f if it fails */
		if (!(e = fs_item(r, seq, "join_keys", i)))
			return MLP_EINVAL;
		if ((rc = fs_str(r, e, "join_keys", i, "name", 1,
		    &x->name)) < 0 ||
		    (rc = fs_str(r, e, "join_keys", i, "type", 1,
		    &x->type)) < 0 ||
		    (rc = fs_str(r, e, "join_keys", i, "entity", 1,
		    &x->entity)) < 0 ||
		    (rc = fs_word(r, "join_keys", i, "type", x->type,
		    types)) < 0)
			return rc;
	}
	if ((rc = fs_str(r, sec, NULL, 0, "service", 0, &f->service)) < 0 ||
	    (rc = fs_str(r, sec, NULL, 0, "timestamp_column", 1,
	    &f->timestamp_column)) < 0 ||
	    (rc = fs_str(r, sec, NULL, 0, "timestamp_format", 0,
	    &f->timestamp_format)) < 0)
		return rc;
	if (!f->timestamp_format)
		f->timestamp_format = xstrdup("iso8601");
	else if ((rc = fs_word(r, NULL, 0, "timestamp_format",
	    f->timestamp_format, fmts)) < 0)
		return rc;
	if ((n = map_get(r->doc, sec, "full_names"))) {
		v = scalar(n);
		if (v && strcmp(v, "true") == 0)
			f->full_names = 1;
		else if (!v || strcmp(v, "false") != 0)
			return fs_bad(r, "full_names", 0, NULL, "expected true "
			    "or false");
	}
	return 0;
}

/* The section of a parsed MLmodel, NULL when it has none. */
static int
fstore_from_doc(const char *path, yaml_document_t *doc, yaml_node_t *root,
    struct mlp_model_fstore **out, struct mlp_err *err)
{
	struct fsread r = { doc, path, err };
	yaml_node_t *sec = map_get(doc, root, "feature_store");
	int rc;

	*out = NULL;
	if (!sec)
		return 0;
	*out = xcalloc(1, sizeof(**out));
	if ((rc = fstore_parse(&r, sec, *out)) < 0) {
		mlp_model_fstore_free(*out);
		*out = NULL;
	}
	return rc;
}

int
mlp_model_fstore_read(const char *path, const char *text, size_t len,
    struct mlp_model_fstore **out, struct mlp_err *err)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc;

	*out = NULL;
	if ((rc = mlp_yaml_parse(path, text, len, &doc, err)) < 0)
		return rc;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE)
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is not an MLmodel "
		    "mapping", path);
	else
		rc = fstore_from_doc(path, &doc, root, out, err);
	yaml_document_delete(&doc);
	return model_err_oneline(err, rc);
}

/* The model's inputs are the references, one each, in order. */
static int
fstore_check(const char *path, const struct mlp_model *m,
    const struct mlp_model_fstore *f, struct mlp_err *err)
{
	if (f->nrefs != m->nfeat)
		return mlp_err_set(err, MLP_EINVAL, "'%s': field "
		    "'feature_store.features' has %zu reference%s for %zu "
		    "model input%s", path, f->nrefs, f->nrefs == 1 ? "" : "s",
		    m->nfeat, m->nfeat == 1 ? "" : "s");
	for (size_t i = 0; i < f->nrefs; i++)
		if (strcmp(f->refs[i].input, m->feat[i].name) != 0)
			return mlp_err_set(err, MLP_EINVAL, "'%s': field "
			    "'feature_store.features[%zu].input': '%s' is not "
			    "the model's input %zu ('%s')", path, i,
			    f->refs[i].input, i + 1, m->feat[i].name);
	return 0;
}

/* A payload name from MLmodel must stay inside the model directory. */
static int
safe_name(const char *s)
{
	const char *p = s;

	if (!*s || *s == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");

		if ((n == 2 && p[0] == '.' && p[1] == '.') || n == 0)
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

/* The flavor names of the flavors mapping, for a message. */
static void
flavor_names(yaml_document_t *doc, yaml_node_t *fl, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	if (!fl || fl->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = fl->data.mapping.pairs.start;
	    p < fl->data.mapping.pairs.top && used < n; p++) {
		const char *k = scalar(yaml_document_get_node(doc, p->key));

		if (k)
			used += (size_t)snprintf(out + used, n - used, "%s%s",
			    used ? ", " : "", k);
	}
}

/* Loads the model an MLmodel file (text, read from path) describes. */
static int
load_mlmodel(const char *path, const char *text, size_t len,
    struct mlp_model **out, struct mlp_err *err)
{
	yaml_document_t doc;
	yaml_node_t *root, *flavors, *fl;
	const char *data, *fmt, *slash = strrchr(path, '/');
	char *payload = NULL, names[160];
	int rc, xgb = 0;

	if ((rc = mlp_yaml_parse(path, text, len, &doc, err)) < 0)
		return rc;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is not a model (not "
		    "an MLmodel mapping, an mlp model.json or an XGBoost JSON "
		    "model)", path);
		goto out;
	}
	flavors = map_get(&doc, root, "flavors");
	if (!flavors || flavors->type != YAML_MAPPING_NODE) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s': field 'flavors': %s",
		    path, flavors ? "expected a mapping" : "missing");
		goto out;
	}
	if (!(fl = map_get(&doc, flavors, "mlp"))) {
		fl = map_get(&doc, flavors, "xgboost");
		xgb = 1;
	}
	if (!fl) {
		flavor_names(&doc, flavors, names, sizeof(names));
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "'%s' has no mlp or "
		    "xgboost flavor (flavors: %s)", path, names[0] ? names :
		    "none");
		goto out;
	}
	data = scalar(map_get(&doc, fl, "data"));
	if (!data || !safe_name(data)) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s': field 'flavors.%s."
		    "data': %s", path, xgb ? "xgboost" : "mlp", data ?
		    "must name a file inside the model directory" :
		    "missing");
		goto out;
	}
	fmt = scalar(map_get(&doc, fl, "model_format"));
	if (xgb && fmt && strcmp(fmt, "json") != 0) {
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "'%s': field 'flavors."
		    "xgboost.model_format': '%.40s' is not supported (only "
		    "json)", path, fmt);
		goto out;
	}
	payload = slash ? xasprintf("%.*s/%s", (int)(slash - path), path,
	    data) : xstrdup(data);
	rc = xgb ? mlp_model_import_xgboost(payload, out, err) :
	    mlp_model_read_json(payload, out, err);
	if (rc == MLP_ENOTFOUND)
		mlp_err_prefix(err, "'%s': field 'flavors.%s.data'", path,
		    xgb ? "xgboost" : "mlp");
	if (rc == 0 && ((rc = fstore_from_doc(path, &doc, root, &(*out)->fstore,
	    err)) < 0 || ((*out)->fstore && (rc = fstore_check(path, *out,
	    (*out)->fstore, err)) < 0))) {
		mlp_model_free(*out);
		*out = NULL;
	}
out:
	free(payload);
	yaml_document_delete(&doc);
	return rc;
}

/* Loads a file: JSON (an XGBoost model or ours) or an MLmodel. */
static int
load_file(const char *path, struct mlp_model **out, struct mlp_err *err)
{
	cJSON *doc = NULL;
	char *text = NULL;
	const char *p;
	size_t len;
	int rc;

	if ((rc = mlp_read_file(path, MLP_MODEL_MAX_BYTES, &text, &len,
	    err)) < 0)
		return rc;
	p = strrchr(path, '/');
	if (strcmp(p ? p + 1 : path, "MLmodel") == 0) {
		rc = load_mlmodel(path, text, len, out, err);
		goto out;
	}
	for (p = text; p < text + len && isspace((unsigned char)*p); p++)
		;
	if (p == text + len || *p != '{') {
		rc = load_mlmodel(path, text, len, out, err);
		goto out;
	}
	if ((rc = model_parse_json(path, text, len, &doc, err)) < 0)
		goto out;
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "learner")))
		rc = model_from_xgboost(doc, path, out, err);
	else if (cJSON_GetObjectItemCaseSensitive(doc, "format"))
		rc = model_from_json(doc, path, out, err);
	else
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is neither an mlp "
		    "model.json nor an XGBoost JSON model", path);
out:
	cJSON_Delete(doc);
	free(text);
	return rc;
}

int
mlp_model_load(const char *path, struct mlp_model **out,
    struct mlp_err *err)
{
	struct stat st;
	char *mlmodel;
	int rc;

	*out = NULL;
	if (stat(path, &st) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return model_err_oneline(err, load_file(path, out, err));
	mlmodel = xasprintf("%s/MLmodel", path);
	if (access(mlmodel, F_OK) < 0)
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is not a model "
		    "directory (it has no MLmodel)", path);
	else
		rc = load_file(mlmodel, out, err);
	free(mlmodel);
	return model_err_oneline(err, rc);
}
