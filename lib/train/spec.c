/* Training specs: the YAML file `mlp train SPEC.yaml` reads (libyaml). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "../data/data.h"
#include "../feature/feature.h"
#include "runner.h"

void
mlp_train_spec_init(struct mlp_train_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->ckpt_keep = 3;
}

void
mlp_train_spec_release(struct mlp_train_spec *s)
{
	free(s->path);
	free(s->experiment);
	free(s->name);
	free(s->data);
	free(s->target);
	free(s->valid);
	free(s->algo);
	free(s->output);
	free(s->register_name);
	free(s->cmd);
	mlp_params_release(&s->params);
	mlp_strv_release(&s->features);
	mlp_strv_release(&s->categorical);
	mlp_strv_release(&s->register_aliases);
	free(s->fstore.spine);
	free(s->fstore.service);
	free(s->fstore.ts_column);
	mlp_strv_release(&s->fstore.refs);
	mlp_train_spec_init(s);
}

struct ctx {
	yaml_document_t *doc;
	const char *file;
	const char *dir;	/* the file's directory, "" for the cwd */
	struct mlp_err *err;
};

static int
at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mlp_err_set(c->err, MLP_EINVAL, "'%s' line %lu: %s", c->file,
	    (unsigned long)n->start_mark.line + 1, msg);
}

static const char *
scalar(struct ctx *c, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		at(c, n, "'%s' must be a single value", key);
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int
set_str(struct ctx *c, const yaml_node_t *n, const char *key, char **out)
{
	const char *v = scalar(c, n, key);

	if (!v)
		return MLP_EINVAL;
	if (!*v)
		return at(c, n, "'%s' is empty", key);
	free(*out);
	*out = xstrdup(v);
	return 0;
}

/* a path relative to the spec's directory */
static int
set_path(struct ctx *c, const yaml_node_t *n, const char *key, char **out)
{
	int rc = set_str(c, n, key, out);

	if (rc == 0 && **out != '/' && *c->dir && strcmp(*out, "-") != 0) {
		char *p = xasprintf("%s/%s", c->dir, *out);

		free(*out);
		*out = p;
	}
	return rc;
}

static int
set_long(struct ctx *c, const yaml_node_t *n, const char *key, long min,
    long max, long *out)
{
	const char *v = scalar(c, n, key);
	char *end;
	long x;

	if (!v)
		return MLP_EINVAL;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end)
		return at(c, n, "'%s': '%s' is not an integer", key, v);
	if (x < min || x > max)
		return at(c, n, "'%s': %ld is out of range [%ld, %ld]", key, x,
		    min, max);
	*out = x;
	return 0;
}

static int
set_int(struct ctx *c, const yaml_node_t *n, const char *key, long min,
    long max, int *out)
{
	long x;
	int rc = set_long(c, n, key, min, max, &x);

	if (rc == 0)
		*out = (int)x;
	return rc;
}

/* a list of names, or one name */
static int
set_list(struct ctx *c, const yaml_node_t *n, const char *key,
    struct mlp_strv *out)
{
	mlp_strv_release(out);
	if (n->type == YAML_SCALAR_NODE) {
		mlp_strv_push(out, (const char *)n->data.scalar.value);
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return at(c, n, "'%s' must be a list", key);
	for (yaml_node_item_t *i = n->data.sequence.items.start;
	    i < n->data.sequence.items.top; i++) {
		const yaml_node_t *e = yaml_document_get_node(c->doc, *i);
		const char *v;

		if (!e || !(v = scalar(c, e, key)))
			return MLP_EINVAL;
		mlp_strv_push(out, v);
	}
	return 0;
}

static int
set_params(struct ctx *c, const yaml_node_t *n, struct mlp_params *p)
{
	if (n->type != YAML_MAPPING_NODE)
		return at(c, n, "'params' must be a mapping of NAME: VALUE");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *ks, *vs;

		if (!k || !v || !(ks = scalar(c, k, "params")))
			return MLP_EINVAL;
		if (v->type == YAML_SEQUENCE_NODE) {
			/* eval_metric: [auc, logloss] */
			struct mlp_strv l = MLP_STRV_INIT;
			struct mlp_buf j = MLP_BUF_INIT;
			int rc = set_list(c, v, ks, &l);

			for (size_t i = 0; rc == 0 && i < l.n; i++)
				mlp_buf_addf(&j, "%s%s", i ? "," : "", l.v[i]);
			if (rc == 0)
				mlp_params_set(p, ks, mlp_buf_str(&j));
			mlp_buf_release(&j);
			mlp_strv_release(&l);
			if (rc < 0)
				return rc;
			continue;
		}
		if (!(vs = scalar(c, v, ks)))
			return MLP_EINVAL;
		/* a later -p wins over the spec: the caller sets those after */
		mlp_params_set(p, ks, vs);
	}
	return 0;
}

#define SPEC_KEYS "experiment, name, data, target, valid, valid_fraction, " \
	"algo, params, features, categorical, seed, threads, output, " \
	"checkpoint, register"

static int
set_checkpoint(struct ctx *c, const yaml_node_t *n, struct mlp_train_spec *s)
{
	if (n->type != YAML_MAPPING_NODE)
		return at(c, n, "'checkpoint' must be a mapping (every, "
		    "seconds, keep)");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *ks;
		int rc;

		if (!k || !v || !(ks = scalar(c, k, "checkpoint")))
			return MLP_EINVAL;
		if (strcmp(ks, "every") == 0)
			rc = set_int(c, v, "checkpoint.every", 0, 1000000,
			    &s->ckpt_every);
		else if (strcmp(ks, "seconds") == 0)
			rc = set_int(c, v, "checkpoint.seconds", 0, 86400 * 7,
			    &s->ckpt_seconds);
		else if (strcmp(ks, "keep") == 0)
			rc = set_int(c, v, "checkpoint.keep", 1, 1000,
			    &s->ckpt_keep);
		else
			rc = at(c, k, "unknown key 'checkpoint.%s' (valid: "
			    "every, seconds, keep)", ks);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
set_register(struct ctx *c, const yaml_node_t *n, struct mlp_train_spec *s)
{
	if (n->type == YAML_SCALAR_NODE)
		return set_str(c, n, "register", &s->register_name);
	if (n->type != YAML_MAPPING_NODE)
		return at(c, n, "'register' must be a model name or a mapping "
		    "(name, aliases)");
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *ks;
		int rc;

		if (!k || !v || !(ks = scalar(c, k, "register")))
			return MLP_EINVAL;
		if (strcmp(ks, "name") == 0)
			rc = set_str(c, v, "register.name", &s->register_name);
		else if (strcmp(ks, "aliases") == 0 || strcmp(ks, "alias") == 0)
			rc = set_list(c, v, "register.aliases",
			    &s->register_aliases);
		else
			rc = at(c, k, "unknown key 'register.%s' (valid: name, "
			    "aliases)", ks);
		if (rc < 0)
			return rc;
	}
	if (!s->register_name)
		return at(c, n, "'register' needs a name");
	return 0;
}

#define FS_KEYS "spine, service, refs, timestamp_column, timestamp_format, " \
	"full_names"

/* features: as a mapping, the training set from the feature store */
static int
set_fstore(struct ctx *c, const yaml_node_t *n, struct mlp_train_spec *s)
{
	struct mlp_train_fsource *f = &s->fstore;
	const yaml_node_t *svc = NULL, *refs = NULL;

	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	    pr < n->data.mapping.pairs.top; pr++) {
		const yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *ks, *x;
		enum mlp_tsfmt fmt;
		int rc = 0;

		if (!k || !v || !(ks = scalar(c, k, "features")))
			return MLP_EINVAL;
		if (strcmp(ks, "spine") == 0) {
			if ((rc = set_path(c, v, "features.spine",
			    &f->spine)) == 0 && strcmp(f->spine, "-") == 0)
				rc = at(c, v, "'features.spine' must name a "
				    "file (a resumed run reads it again)");
		} else if (strcmp(ks, "service") == 0) {
			rc = set_str(c, v, "features.service", &f->service);
			svc = k;
		} else if (strcmp(ks, "refs") == 0) {
			rc = set_list(c, v, "features.refs", &f->refs);
			refs = k;
			for (size_t i = 0; rc == 0 && i < f->refs.n; i++)
				if (!*f->refs.v[i])
					rc = at(c, v, "'features.refs' holds "
					    "an empty reference");
			if (rc == 0 && f->refs.n == 0)
				rc = at(c, v, "'features.refs' is empty");
		} else if (strcmp(ks, "timestamp_column") == 0) {
			rc = set_str(c, v, "features.timestamp_column",
			    &f->ts_column);
		} else if (strcmp(ks, "timestamp_format") == 0) {
			if (!(x = scalar(c, v, "features.timestamp_format")))
				return MLP_EINVAL;
			if (mlp_tsfmt_parse(x, &fmt) < 0)
				return at(c, v, "'features.timestamp_format': "
				    "'%s' is not iso8601, epoch_s or epoch_ms",
				    x);
			f->tsfmt = (int)fmt;
		} else if (strcmp(ks, "full_names") == 0) {
			if (!(x = scalar(c, v, "features.full_names")))
				return MLP_EINVAL;
			if (strcmp(x, "true") == 0)
				f->full_names = 1;
			else if (strcmp(x, "false") == 0)
				f->full_names = 0;
			else
				return at(c, v, "'features.full_names': '%s' "
				    "is not true or false", x);
		} else {
			rc = at(c, k, "unknown key 'features.%s' (valid: "
			    FS_KEYS ")", ks);
		}
		if (rc < 0)
			return rc;
	}
	if (!f->spine)
		return at(c, n, "'features' as a mapping needs 'spine' (a CSV "
		    "of join keys, timestamps and the target)");
	if (svc && refs)
		return at(c, refs, "'features' takes 'service' or 'refs', not "
		    "both");
	if (!svc && !refs)
		return at(c, n, "'features' needs 'service' or 'refs' (the "
		    "features to join onto the spine)");
	return 0;
}

static int
set_key(struct ctx *c, const char *k, const yaml_node_t *kn,
    const yaml_node_t *v, struct mlp_train_spec *s)
{
	long l;
	int rc;

	if (strcmp(k, "experiment") == 0)
		return set_str(c, v, k, &s->experiment);
	if (strcmp(k, "name") == 0)
		return set_str(c, v, k, &s->name);
	if (strcmp(k, "data") == 0)
		return set_path(c, v, k, &s->data);
	if (strcmp(k, "target") == 0)
		return set_str(c, v, k, &s->target);
	if (strcmp(k, "valid") == 0)
		return set_path(c, v, k, &s->valid);
	if (strcmp(k, "algo") == 0)
		return set_str(c, v, k, &s->algo);
	if (strcmp(k, "output") == 0)
		return set_str(c, v, k, &s->output);
	if (strcmp(k, "params") == 0)
		return set_params(c, v, &s->params);
	if (strcmp(k, "features") == 0 && v->type == YAML_MAPPING_NODE)
		return set_fstore(c, v, s);
	if (strcmp(k, "features") == 0)
		return set_list(c, v, k, &s->features);
	if (strcmp(k, "categorical") == 0)
		return set_list(c, v, k, &s->categorical);
	if (strcmp(k, "checkpoint") == 0)
		return set_checkpoint(c, v, s);
	if (strcmp(k, "register") == 0)
		return set_register(c, v, s);
	if (strcmp(k, "seed") == 0)
		return set_long(c, v, k, 0, 0x7fffffffL, &s->seed);
	if (strcmp(k, "threads") == 0) {
		rc = set_long(c, v, k, 0, 256, &l);
		s->threads = (int)l;
		return rc;
	}
	if (strcmp(k, "valid_fraction") == 0) {
		const char *x = scalar(c, v, k);
		char *end;
		double f;

		if (!x)
			return MLP_EINVAL;
		f = strtod(x, &end);
		if (end == x || *end || !(f > 0 && f < 1))
			return at(c, v, "'valid_fraction': '%s' is not a number "
			    "between 0 and 1", x);
		s->valid_fraction = f;
		return 0;
	}
	return at(c, kn, "unknown key '%s' (valid: " SPEC_KEYS ")", k);
}

int
mlp_train_spec_load(struct mlp_train_spec *s, const char *path,
    struct mlp_err *err)
{
	yaml_document_t doc;
	const yaml_node_t *root;
	struct ctx c;
	char *dir = NULL;
	const char *slash;
	int rc;

	if ((rc = mlp_yaml_load(path, &doc, err)) < 0)
		return rc;
	slash = strrchr(path, '/');
	dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path)))
	    : xstrdup("");
	c.doc = &doc;
	c.file = path;
	c.dir = dir;
	c.err = err;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is empty", path);
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		rc = at(&c, root, "a training spec is a mapping of keys (" SPEC_KEYS
		    ")");
		goto out;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top && rc == 0; pr++) {
		const yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
		const yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
		const char *ks;

		if (!k || !v || !(ks = scalar(&c, k, "key")))
			rc = MLP_EINVAL;
		else
			rc = set_key(&c, ks, k, v, s);
	}
	if (rc == 0) {
		free(s->path);
		s->path = xstrdup(path);
	}
out:
	yaml_document_delete(&doc);
	free(dir);
	return rc;
}

int
mlp_train_spec_check(const struct mlp_train_spec *s, struct mlp_err *err)
{
	const char *algo = s->algo ? s->algo : "gbdt";
	const struct mlp_train_fsource *f = &s->fstore;

	if (s->data && f->spine)
		return mlp_err_set(err, MLP_EINVAL, "give the training data as "
		    "'data:' (a CSV file) or as 'features: {spine: ...}' (from "
		    "the feature store), not both");
	if (!s->data && !f->spine)
		return mlp_err_set(err, MLP_EINVAL, "no training data: give "
		    "--data FILE or 'data:' in a spec (or 'features: {spine: "
		    "FILE, service: NAME}' from the feature store)");
	if (f->spine && s->features.n)
		return mlp_err_set(err, MLP_EINVAL, "feature columns "
		    "(--features) do not go with features from the feature store: the "
		    "model's inputs are the features of 'features.%s'",
		    f->service ? "service" : "refs");
	if (f->spine && s->valid)
		return mlp_err_set(err, MLP_EINVAL, "a validation file does not "
		    "go with features from the feature store: hold out a "
		    "fraction of the spine with valid_fraction");
	if (f->spine && !!f->service == !!f->refs.n)
		return mlp_err_set(err, MLP_EINVAL, "features from the feature "
		    "store need a service or references, one of them");
	if (!s->target)
		return mlp_err_set(err, MLP_EINVAL, "no target column: give "
		    "--target COL or 'target:' in a spec");
	if (s->valid && s->valid_fraction > 0)
		return mlp_err_set(err, MLP_EINVAL, "give a validation file or "
		    "a validation fraction, not both");
	if (!mlp_learner_find(algo)) {
		struct mlp_buf b = MLP_BUF_INIT;
		int rc;

		for (size_t i = 0; mlp_learners[i]; i++)
			mlp_buf_addf(&b, "%s%s", i ? ", " : "",
			    mlp_learners[i]->name);
		rc = mlp_err_set(err, MLP_EINVAL, "unknown learner '%s' "
		    "(valid: %s)", algo, mlp_buf_str(&b));
		mlp_buf_release(&b);
		return rc;
	}
	for (size_t i = 0; i < s->features.n; i++)
		if (strcmp(s->features.v[i], s->target) == 0)
			return mlp_err_set(err, MLP_EINVAL, "the target '%s' is "
			    "also listed as a feature", s->target);
	return 0;
}

int
mlp_train_spec_check_cmd(const struct mlp_train_spec *s, struct mlp_err *err)
{
	const char *files[2] = { s->data, s->valid };
	const char *bad = s->algo ? "algo" : s->features.n ||
	    s->fstore.spine ? "features" :
	    s->categorical.n ? "categorical" : s->valid_fraction > 0 ?
	    "valid_fraction" : s->seed ? "seed" : s->threads ? "threads" :
	    s->ckpt_every || s->ckpt_seconds ? "checkpoint" : NULL;

	if (bad)
		return mlp_err_set(err, MLP_EINVAL, "'%s' is for the built-in "
		    "learners: an external trainer (--cmd) is given data, "
		    "valid, target and params only", bad);
	for (size_t i = 0; i < s->params.n; i++) {
		const char *k = s->params.key[i];

		if (strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.-") != strlen(k))
			return mlp_err_set(err, MLP_EINVAL, "parameter name '%s' "
			    "for an external trainer: use letters, digits, "
			    "'_', '.' and '-'", k);
	}
	for (int i = 0; i < 2; i++) {
		int fd;

		if (!files[i] || strcmp(files[i], "-") == 0)
			continue;
		if ((fd = open(files[i], O_RDONLY | O_CLOEXEC)) < 0)
			return mlp_err_set(err, errno == ENOENT ?
			    MLP_ENOTFOUND : MLP_EFAIL, "cannot open '%s': %s",
			    files[i], strerror(errno));
		close(fd);
	}
	return 0;
}

static void
add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

static void
add_list(cJSON *o, const char *k, const struct mlp_strv *l)
{
	cJSON *a = cJSON_AddArrayToObject(o, k);

	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
}

/* an absolute path, so that a run can be continued from anywhere */
static void
add_path(cJSON *o, const char *k, const char *v)
{
	char *abs;

	if (!v)
		return;
	abs = strcmp(v, "-") != 0 ? realpath(v, NULL) : NULL;
	cJSON_AddStringToObject(o, k, abs ? abs : v);
	free(abs);
}

int
mlp_train_spec_write_json(const struct mlp_train_spec *s, const char *path,
    struct mlp_err *err)
{
	cJSON *o = cJSON_CreateObject(), *p;
	char *text, *tmp = xasprintf("%s.tmp", path);
	FILE *f;
	int rc = 0;

	add_path(o, "path", s->path);
	add_str(o, "experiment", s->experiment);
	add_str(o, "name", s->name);
	add_path(o, "data", s->data);
	add_str(o, "target", s->target);
	add_path(o, "valid", s->valid);
	add_str(o, "algo", s->algo);
	add_str(o, "output", s->output);
	cJSON_AddNumberToObject(o, "valid_fraction", s->valid_fraction);
	p = cJSON_AddObjectToObject(o, "params");
	for (size_t i = 0; i < s->params.n; i++)
		cJSON_AddStringToObject(p, s->params.key[i], s->params.val[i]);
	add_list(o, "features", &s->features);
	add_list(o, "categorical", &s->categorical);
	cJSON_AddNumberToObject(o, "seed", (double)s->seed);
	cJSON_AddNumberToObject(o, "threads", s->threads);
	cJSON_AddNumberToObject(o, "checkpoint_every", s->ckpt_every);
	cJSON_AddNumberToObject(o, "checkpoint_seconds", s->ckpt_seconds);
	cJSON_AddNumberToObject(o, "checkpoint_keep", s->ckpt_keep);
	add_str(o, "register", s->register_name);
	add_list(o, "aliases", &s->register_aliases);
	add_str(o, "cmd", s->cmd);
	cJSON_AddBoolToObject(o, "shell", s->shell);
	if (s->fstore.spine) {
		cJSON *fs = cJSON_AddObjectToObject(o, "feature_store");

		add_path(fs, "spine", s->fstore.spine);
		add_str(fs, "service", s->fstore.service);
		add_list(fs, "refs", &s->fstore.refs);
		add_str(fs, "timestamp_column", s->fstore.ts_column);
		add_str(fs, "timestamp_format",
		    mlp_tsfmt_name((enum mlp_tsfmt)s->fstore.tsfmt));
		cJSON_AddBoolToObject(fs, "full_names", s->fstore.full_names);
	}
	text = cJSON_PrintUnformatted(o);
	if (!(f = fopen(tmp, "w")) || fputs(text, f) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0)
		rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s", path,
		    strerror(errno));
	free(text);
	free(tmp);
	cJSON_Delete(o);
	return rc;
}

static void
get_str(const cJSON *o, const char *k, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsString(v)) {
		free(*out);
		*out = xstrdup(v->valuestring);
	}
}

static void
get_list(const cJSON *o, const char *k, struct mlp_strv *out)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k), *e;

	cJSON_ArrayForEach(e, a)
		if (cJSON_IsString(e))
			mlp_strv_push(out, e->valuestring);
}

static double
get_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

int
mlp_train_spec_read_json(struct mlp_train_spec *s, const char *path,
    struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	char chunk[8192];
	const cJSON *p, *e;
	cJSON *o;
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mlp_buf_add(&b, chunk, n);
	fclose(f);
	o = cJSON_Parse(mlp_buf_str(&b));
	mlp_buf_release(&b);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return mlp_err_set(err, MLP_ECORRUPT, "'%s' is not a training "
		    "spec", path);
	}
	get_str(o, "path", &s->path);
	get_str(o, "experiment", &s->experiment);
	get_str(o, "name", &s->name);
	get_str(o, "data", &s->data);
	get_str(o, "target", &s->target);
	get_str(o, "valid", &s->valid);
	get_str(o, "algo", &s->algo);
	get_str(o, "output", &s->output);
	s->valid_fraction = get_num(o, "valid_fraction");
	p = cJSON_GetObjectItemCaseSensitive(o, "params");
	cJSON_ArrayForEach(e, p)
		if (cJSON_IsString(e) && e->string)
			mlp_params_set(&s->params, e->string, e->valuestring);
	get_list(o, "features", &s->features);
	get_list(o, "categorical", &s->categorical);
	s->seed = (long)get_num(o, "seed");
	s->threads = (int)get_num(o, "threads");
	s->ckpt_every = (int)get_num(o, "checkpoint_every");
	s->ckpt_seconds = (int)get_num(o, "checkpoint_seconds");
	s->ckpt_keep = (int)get_num(o, "checkpoint_keep");
	get_str(o, "register", &s->register_name);
	get_list(o, "aliases", &s->register_aliases);
	get_str(o, "cmd", &s->cmd);
	s->shell = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "shell"));
	p = cJSON_GetObjectItemCaseSensitive(o, "feature_store");
	if (cJSON_IsObject(p)) {
		const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(p,
		    "timestamp_format");
		enum mlp_tsfmt tf = MLP_TSFMT_ISO8601;

		get_str(p, "spine", &s->fstore.spine);
		get_str(p, "service", &s->fstore.service);
		get_list(p, "refs", &s->fstore.refs);
		get_str(p, "timestamp_column", &s->fstore.ts_column);
		if (cJSON_IsString(fmt))
			mlp_tsfmt_parse(fmt->valuestring, &tf);
		s->fstore.tsfmt = (int)tf;
		s->fstore.full_names = cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(p, "full_names"));
	}
	cJSON_Delete(o);
	return 0;
}
