/* mlp register: the model registry's command line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "registry/registry.h"
#include "store/store.h"
#include "cmd.h"

enum { O_NAME = 1, O_ALIAS, O_TAG, O_DESC, O_FILTER, O_ARCHIVE, O_ALL,
	O_FORCE, O_FLAVOR };

static int
usage_args(struct mlp_ctx *ctx, struct mlp_optparse *p, int min, int max)
{
	if (p->npos < min || (max >= 0 && p->npos > max))
		return mlp_usage_error(ctx, p->npos < min ? "missing %s" :
		    "too many arguments (expected %s)", ctx->verb->args);
	return 0;
}

/* Parses a models:/ URI argument; prints why on failure. */
static int
parse_uri(struct mlp_ctx *ctx, const char *s, struct mlp_model_uri *u)
{
	struct mlp_err err;

	mlp_err_clear(&err);
	if (mlp_model_uri_parse(s, u, &err) < 0)
		return mlp_fail(ctx, &err);
	return 0;
}

static int
resolve(struct mlp_ctx *ctx, const char *s, struct mlp_model_version **mv)
{
	struct mlp_model_uri u;
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	if ((rc = parse_uri(ctx, s, &u)) != 0)
		return rc;
	rc = mlp_registry_resolve(ctx->db, &u, mv, &err);
	mlp_model_uri_release(&u);
	return rc < 0 ? mlp_fail(ctx, &err) : 0;
}

static int
parse_version(struct mlp_ctx *ctx, const char *s, int64_t *v)
{
	if (s[0] == 'v' || s[0] == 'V')
		s++;
	if (mlp_parse_int64(s, v) < 0 || *v <= 0)
		return mlp_usage_error(ctx, "'%s' is not a version number", s);
	return 0;
}

/* Tags as one JSON object. */
static cJSON *
tags_json(const struct mlp_kv *tags, size_t n)
{
	cJSON *t = cJSON_CreateObject();

	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(t, tags[i].key, tags[i].value);
	return t;
}

static cJSON *
version_json(const struct mlp_model_version *mv)
{
	cJSON *o = cJSON_CreateObject(), *a;
	char v[32];

	cJSON_AddStringToObject(o, "name", mv->name);
	snprintf(v, sizeof(v), "%lld", (long long)mv->version);
	cJSON_AddStringToObject(o, "version", v);
	cJSON_AddStringToObject(o, "source", mv->source);
	if (mv->run_uuid)
		cJSON_AddStringToObject(o, "run_id", mv->run_uuid);
	else
		cJSON_AddNullToObject(o, "run_id");
	cJSON_AddStringToObject(o, "current_stage", mv->stage);
	cJSON_AddStringToObject(o, "description", mv->description);
	cJSON_AddStringToObject(o, "user_id", mv->user);
	cJSON_AddNumberToObject(o, "creation_timestamp", (double)mv->created);
	cJSON_AddNumberToObject(o, "last_updated_timestamp",
	    (double)mv->updated);
	cJSON_AddStringToObject(o, "status", strcmp(mv->lifecycle, "active") ?
	    "DELETED" : "READY");
	cJSON_AddStringToObject(o, "object", mv->oid);
	cJSON_AddBoolToObject(o, "is_tree", mv->is_tree);
	cJSON_AddNumberToObject(o, "size", (double)mv->size);
	if (mv->code_commit)
		cJSON_AddStringToObject(o, "code_commit", mv->code_commit);
	a = cJSON_AddArrayToObject(o, "aliases");
	for (size_t i = 0; i < mv->aliases.n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(mv->aliases.v[i]));
	cJSON_AddItemToObject(o, "tags", tags_json(mv->tags, mv->ntags));
	return o;
}

/* list */

static const struct mlp_opt list_opts[] = {
	{ O_FILTER, 'f', "filter", "PATTERN", "only models whose name matches "
	    "(SQL LIKE; a bare word matches anywhere in the name, as MLflow)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
register_list(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model_info *mi = NULL;
	struct mlp_err err;
	char *like = NULL;
	size_t n = 0;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r != O_FILTER) {
			rc = OPT_EXIT(r);
			goto out;
		}
		free(like);
		like = strpbrk(p.arg, "%_") ? xstrdup(p.arg) :
		    xasprintf("%%%s%%", p.arg);
	}
	if ((rc = usage_args(ctx, &p, 0, 0)) != 0)
		goto out;
	if (mlp_registry_list(ctx->db, like, &mi, &n, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject(), *a;

			cJSON_AddStringToObject(o, "name", mi[i].name);
			cJSON_AddStringToObject(o, "description",
			    mi[i].description);
			cJSON_AddNumberToObject(o, "latest_version",
			    (double)mi[i].latest);
			cJSON_AddNumberToObject(o, "versions",
			    (double)mi[i].nversions);
			cJSON_AddNumberToObject(o, "creation_timestamp",
			    (double)mi[i].created);
			cJSON_AddNumberToObject(o, "last_updated_timestamp",
			    (double)mi[i].updated);
			cJSON_AddItemToObject(o, "tags", tags_json(mi[i].tags,
			    mi[i].ntags));
			a = cJSON_AddObjectToObject(o, "aliases");
			for (size_t j = 0; j < mi[i].aliases.n; j++) {
				char *eq = strrchr(mi[i].aliases.v[j], '=');

				*eq = '\0';
				cJSON_AddStringToObject(a, mi[i].aliases.v[j],
				    eq + 1);
				*eq = '=';
			}
			cJSON_AddItemToArray(arr, o);
		}
		mlp_print_json(arr);
	} else {
		static const char *const hdr[] = { "NAME", "LATEST", "VERSIONS",
			"ALIASES", "TAGS", "UPDATED" };
		struct mlp_table t;

		mlp_table_init(&t, 6, hdr);
		t.right[1] = t.right[2] = 1;
		for (size_t i = 0; i < n; i++) {
			char latest[32], nv[32], upd[32];
			struct mlp_buf al = MLP_BUF_INIT, tg = MLP_BUF_INIT;
			const char *row[6] = { mi[i].name, latest, nv, NULL, NULL,
				upd };

			snprintf(latest, sizeof(latest), "%lld",
			    (long long)mi[i].latest);
			snprintf(nv, sizeof(nv), "%lld",
			    (long long)mi[i].nversions);
			mlp_fmt_time(mi[i].updated, upd, sizeof(upd));
			for (size_t j = 0; j < mi[i].aliases.n; j++)
				mlp_buf_addf(&al, "%s%s", j ? " " : "",
				    mi[i].aliases.v[j]);
			for (size_t j = 0; j < mi[i].ntags; j++)
				mlp_buf_addf(&tg, "%s%s=%s", j ? " " : "",
				    mi[i].tags[j].key, mi[i].tags[j].value);
			row[3] = mlp_buf_str(&al);
			row[4] = mlp_buf_str(&tg);
			mlp_table_add(&t, row);
			mlp_buf_release(&al);
			mlp_buf_release(&tg);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	mlp_model_infos_free(mi, n);
	free(like);
	mlp_opt_release(&p);
	return rc;
}

/* alias, alias rm, history */

static const struct mlp_opt none_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

static int
register_alias(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_err err;
	int64_t v;
	char *user = mlp_track_user(ctx->repo);
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 3, 3)) != 0 ||
	    (rc = parse_version(ctx, p.pos[2], &v)) != 0)
		goto out;
	if (mlp_registry_set_alias(ctx->db, p.pos[0], p.pos[1], v, user,
	    &err) < 0)
		rc = mlp_fail(ctx, &err);
	else
		mlp_info(ctx, "models:/%s@%s -> version %lld", p.pos[0],
		    p.pos[1], (long long)v);
out:
	free(user);
	mlp_opt_release(&p);
	return rc;
}

static int
register_alias_rm(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_err err;
	char *user = mlp_track_user(ctx->repo);
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 2, 2)) != 0)
		goto out;
	if (mlp_registry_delete_alias(ctx->db, p.pos[0], p.pos[1], user,
	    &err) < 0)
		rc = mlp_fail(ctx, &err);
out:
	free(user);
	mlp_opt_release(&p);
	return rc;
}

static int
register_history(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_alias_event *ev = NULL;
	struct mlp_err err;
	size_t n = 0;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 2)) != 0)
		goto out;
	if (mlp_registry_alias_history(ctx->db, p.pos[0], p.npos > 1 ?
	    p.pos[1] : NULL, &ev, &n, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "alias", ev[i].alias);
			if (ev[i].from_version)
				cJSON_AddNumberToObject(o, "from_version",
				    (double)ev[i].from_version);
			else
				cJSON_AddNullToObject(o, "from_version");
			if (ev[i].to_version)
				cJSON_AddNumberToObject(o, "to_version",
				    (double)ev[i].to_version);
			else
				cJSON_AddNullToObject(o, "to_version");
			cJSON_AddStringToObject(o, "user", ev[i].user);
			cJSON_AddNumberToObject(o, "timestamp",
			    (double)ev[i].ts);
			cJSON_AddItemToArray(arr, o);
		}
		mlp_print_json(arr);
	} else {
		static const char *const hdr[] = { "WHEN", "ALIAS", "FROM", "TO",
			"WHO" };
		struct mlp_table t;

		mlp_table_init(&t, 5, hdr);
		t.right[2] = t.right[3] = 1;
		for (size_t i = 0; i < n; i++) {
			char when[32], from[32], to[32];
			const char *row[5] = { when, ev[i].alias, from, to,
				ev[i].user };

			mlp_fmt_time(ev[i].ts, when, sizeof(when));
			snprintf(from, sizeof(from), ev[i].from_version ?
			    "%lld" : "-", (long long)ev[i].from_version);
			snprintf(to, sizeof(to), ev[i].to_version ? "%lld" :
			    "(removed)", (long long)ev[i].to_version);
			mlp_table_add(&t, row);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	mlp_alias_events_free(ev, n);
	mlp_opt_release(&p);
	return rc;
}

/* tag, stage, rm */

static const struct mlp_opt tag_opts[] = {
	{ O_TAG, 'd', "delete", NULL, "delete the tag KEY" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
register_tag(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model_version *mv = NULL;
	struct mlp_err err;
	const char *target, *key, *value = NULL;
	int r, rc = 0, del = 0;
	int64_t version = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_TAG) {
			del = 1;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 2, 2)) != 0)
		goto out;
	target = p.pos[0];
	key = p.pos[1];
	if (!del) {
		char *eq = strchr(p.pos[1], '=');

		if (!eq) {
			rc = mlp_usage_error(ctx, "'%s': expected KEY=VALUE (or "
			    "--delete KEY)", p.pos[1]);
			goto out;
		}
		*eq = '\0';
		value = eq + 1;
	}
	/* a models:/ URI tags that version; a bare name tags the model */
	if (strncmp(target, "models:/", 8) == 0) {
		if ((rc = resolve(ctx, target, &mv)) != 0)
			goto out;
		version = mv->version;
		target = mv->name;
	}
	if (mlp_registry_set_tag(ctx->db, target, version, key, value,
	    &err) < 0)
		rc = mlp_fail(ctx, &err);
out:
	mlp_model_version_free(mv);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt stage_opts[] = {
	{ O_ARCHIVE, 0, "archive-existing", NULL, "move the versions now in "
	    "that stage to archived" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
register_stage(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_err err;
	const char *stage;
	int r, rc = 0, archive = 0;
	int64_t v;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_ARCHIVE) {
			archive = 1;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 3, 3)) != 0 ||
	    (rc = parse_version(ctx, p.pos[1], &v)) != 0)
		goto out;
	if (mlp_registry_stage_parse(p.pos[2], &stage, &err) < 0 ||
	    mlp_registry_set_stage(ctx->db, p.pos[0], v, stage, archive,
	    &err) < 0)
		rc = mlp_fail(ctx, &err);
out:
	mlp_opt_release(&p);
	return rc;
}

static int
register_rm(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model_version *mv = NULL;
	struct mlp_model_uri u = { 0 };
	struct mlp_err err;
	char *user = mlp_track_user(ctx->repo);
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0)
		goto out;
	if ((rc = parse_uri(ctx, p.pos[0], &u)) != 0)
		goto out;
	if (!u.version) {
		rc = mlp_usage_error(ctx, "give the version to delete by number "
		    "(models:/NAME/VERSION)");
		goto out;
	}
	if (mlp_registry_delete_version(ctx->db, u.name, u.version, user,
	    &err) < 0)
		rc = mlp_fail(ctx, &err);
out:
	mlp_model_uri_release(&u);
	mlp_model_version_free(mv);
	free(user);
	mlp_opt_release(&p);
	return rc;
}

static int load_files(struct mlp_store *st, const struct mlp_model_version *mv,
    struct mlp_tree *t, struct mlp_err *err);

/* Datasets a run read, as mlp train (or an MLflow log-inputs body) records
 * them: the tags mlp.dataset.CONTEXT.digest, .name, .source and .rows. */
#define DATASET_TAG "mlp.dataset."

/* The context of tag i when it is a dataset's digest, else NULL; in buf. */
static const char *
dataset_context(const struct mlp_run *run, size_t i, char *buf, size_t n)
{
	const char *k = run->tags[i].key, *dot;
	size_t len = strlen(k), pre = strlen(DATASET_TAG);

	if (strncmp(k, DATASET_TAG, pre) != 0 || len <= pre + 7 ||
	    strcmp(k + len - 7, ".digest") != 0)
		return NULL;
	dot = k + len - 7;
	if ((size_t)(dot - (k + pre)) >= n)
		return NULL;
	memcpy(buf, k + pre, (size_t)(dot - (k + pre)));
	buf[dot - (k + pre)] = '\0';
	return buf;
}

static const char *
run_tag(const struct mlp_run *run, const char *context, const char *field)
{
	char key[160];

	snprintf(key, sizeof(key), DATASET_TAG "%s.%s", context, field);
	for (size_t i = 0; i < run->ntags; i++)
		if (strcmp(run->tags[i].key, key) == 0)
			return run->tags[i].value;
	return NULL;
}

/* "datasets": [{"context", "digest", "name", "source", "rows"}], MLflow's
 * dataset inputs in spirit */
static void
datasets_json(cJSON *o, const struct mlp_run *run)
{
	cJSON *a = cJSON_AddArrayToObject(o, "datasets");
	char buf[128];

	for (size_t i = 0; i < run->ntags; i++) {
		const char *c = dataset_context(run, i, buf, sizeof(buf)), *v;
		cJSON *d;

		if (!c)
			continue;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "context", c);
		cJSON_AddStringToObject(d, "digest", run->tags[i].value);
		if ((v = run_tag(run, c, "name")))
			cJSON_AddStringToObject(d, "name", v);
		if ((v = run_tag(run, c, "source")))
			cJSON_AddStringToObject(d, "source", v);
		if ((v = run_tag(run, c, "rows")))
			cJSON_AddNumberToObject(d, "rows", atof(v));
		cJSON_AddItemToArray(a, d);
	}
}

/* The feature_store section of the version's MLmodel (a model trained
 * on feature-store features), NULL without one. */
static int
version_fstore(struct mlp_store *st, const struct mlp_tree *files,
    struct mlp_model_fstore **out, struct mlp_err *err)
{
	char *text = NULL;
	size_t len;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < files->n; i++) {
		if (strcmp(files->v[i].path, "MLmodel") != 0)
			continue;
		if ((rc = mlp_store_read_object(st, &files->v[i].oid,
		    MLP_MODEL_MAX_BYTES, &text, &len, err)) == 0)
			rc = mlp_model_fstore_read("MLmodel", text, len, out,
			    err);
		break;
	}
	free(text);
	return rc;
}

/* "feature_store": the features the model was trained on, as MLmodel
 * records them */
static cJSON *
fstore_json(const struct mlp_model_fstore *f)
{
	cJSON *o = cJSON_CreateObject(), *a;

	if (f->service)
		cJSON_AddStringToObject(o, "service", f->service);
	else
		cJSON_AddNullToObject(o, "service");
	cJSON_AddStringToObject(o, "timestamp_column", f->timestamp_column);
	cJSON_AddStringToObject(o, "timestamp_format", f->timestamp_format);
	cJSON_AddBoolToObject(o, "full_names", f->full_names);
	a = cJSON_AddArrayToObject(o, "join_keys");
	for (size_t i = 0; i < f->nkeys; i++) {
		cJSON *k = cJSON_CreateObject();

		cJSON_AddStringToObject(k, "name", f->keys[i].name);
		cJSON_AddStringToObject(k, "type", f->keys[i].type);
		cJSON_AddStringToObject(k, "entity", f->keys[i].entity);
		cJSON_AddItemToArray(a, k);
	}
	a = cJSON_AddArrayToObject(o, "views");
	for (size_t i = 0; i < f->nviews; i++) {
		cJSON *v = cJSON_CreateObject();

		cJSON_AddStringToObject(v, "name", f->views[i].name);
		cJSON_AddNumberToObject(v, "version",
		    (double)f->views[i].version);
		cJSON_AddStringToObject(v, "entity", f->views[i].entity);
		cJSON_AddStringToObject(v, "ttl", f->views[i].ttl);
		cJSON_AddItemToArray(a, v);
	}
	a = cJSON_AddArrayToObject(o, "features");
	for (size_t i = 0; i < f->nrefs; i++) {
		const struct mlp_model_fref *r = &f->refs[i];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "ref", r->ref);
		cJSON_AddStringToObject(x, "input", r->input);
		cJSON_AddStringToObject(x, "view", r->view);
		cJSON_AddStringToObject(x, "feature", r->feature);
		cJSON_AddStringToObject(x, "kind", r->kind);
		cJSON_AddStringToObject(x, "type", r->type);
		if (r->expr)
			cJSON_AddStringToObject(x, "expr", r->expr);
		else
			cJSON_AddNullToObject(x, "expr");
		cJSON_AddItemToArray(a, x);
	}
	return o;
}

static void
fstore_print(const struct mlp_model_fstore *f)
{
	if (f->service)
		printf("  service:   %s\n", f->service);
	for (size_t i = 0; i < f->nkeys; i++)
		printf("  join key:  %s (%s, entity %s)\n", f->keys[i].name,
		    f->keys[i].type, f->keys[i].entity);
	printf("  timestamp: %s (%s)\n", f->timestamp_column,
	    f->timestamp_format);
	for (size_t i = 0; i < f->nviews; i++)
		printf("  view:      %s version %lld (entity %s, ttl %s)\n",
		    f->views[i].name, (long long)f->views[i].version,
		    f->views[i].entity, f->views[i].ttl);
	for (size_t i = 0; i < f->nrefs; i++) {
		const struct mlp_model_fref *r = &f->refs[i];

		printf("  feature    %-20s %s (%s%s%s)\n", r->input, r->ref,
		    r->type, r->expr ? " = " : "", r->expr ? r->expr : "");
	}
}

/* show */

static int
register_show(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model_version *mv = NULL;
	struct mlp_tree files = MLP_TREE_INIT;
	struct mlp_store *st;
	struct mlp_run *run = NULL;
	struct mlp_kv *mtags = NULL;
	struct mlp_model_fstore *fs = NULL;
	struct mlp_err err, ferr, serr;
	char when[32], v[64];
	size_t nmtags = 0;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0 ||
	    (rc = resolve(ctx, p.pos[0], &mv)) != 0)
		goto out;
	if (mlp_registry_model_tags(ctx->db, mv->name, &mtags, &nmtags,
	    &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	/* the run may have been collected since; the version stands alone */
	if (mv->run_uuid)
		mlp_track_run_get(ctx->db, mv->run_uuid, &run, &err);
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	/* a damaged store should not hide the version's record */
	mlp_err_clear(&ferr);
	if (load_files(st, mv, &files, &ferr) < 0)
		mlp_tree_release(&files);
	/* nor a damaged MLmodel: it is said where the features would be */
	mlp_err_clear(&serr);
	version_fstore(st, &files, &fs, &serr);
	if (ctx->json) {
		cJSON *o = version_json(mv), *fa;

		cJSON_AddItemToObject(o, "model_tags", tags_json(mtags,
		    nmtags));
		if (fs)
			cJSON_AddItemToObject(o, "feature_store",
			    fstore_json(fs));
		else
			cJSON_AddNullToObject(o, "feature_store");

		fa = cJSON_AddArrayToObject(o, "files");
		for (size_t i = 0; i < files.n; i++) {
			cJSON *f = cJSON_CreateObject();

			cJSON_AddStringToObject(f, "path", files.v[i].path);
			cJSON_AddNumberToObject(f, "size",
			    (double)files.v[i].size);
			cJSON_AddItemToArray(fa, f);
		}

		if (run) {
			cJSON *ro = cJSON_AddObjectToObject(o, "run"), *m, *pa;

			cJSON_AddStringToObject(ro, "run_id", run->info.uuid);
			cJSON_AddStringToObject(ro, "run_name", run->info.name);
			cJSON_AddStringToObject(ro, "status", run->info.status);
			m = cJSON_AddObjectToObject(ro, "metrics");
			for (size_t i = 0; i < run->nmetrics; i++)
				cJSON_AddNumberToObject(m, run->metrics[i].key,
				    run->metrics[i].value);
			pa = cJSON_AddObjectToObject(ro, "params");
			for (size_t i = 0; i < run->nparams; i++)
				cJSON_AddStringToObject(pa, run->params[i].key,
				    run->params[i].value);
			datasets_json(ro, run);
		}
		mlp_print_json(o);
		goto out;
	}
	mlp_fmt_time(mv->created, when, sizeof(when));
	printf("%smodels:/%s/%lld%s%s\n", mlp_color(ctx, C_YELLOW), mv->name,
	    (long long)mv->version, mlp_color(ctx, C_RESET),
	    strcmp(mv->lifecycle, "active") ? " (deleted)" : "");
	if (mv->aliases.n) {
		printf("aliases:     ");
		for (size_t i = 0; i < mv->aliases.n; i++)
			printf("%s%s", i ? ", " : "", mv->aliases.v[i]);
		printf("\n");
	}
	printf("stage:       %s\n", mv->stage);
	printf("registered:  %s by %s\n", when, mv->user);
	printf("source:      %s\n", mv->source);
	printf("object:      %s (%s, %llu byte%s)\n", mv->oid,
	    mv->is_tree ? "tree" : "file", (unsigned long long)mv->size,
	    mv->size == 1 ? "" : "s");
	if (*mv->description)
		printf("description: %s\n", mv->description);
	printf("\n%slineage%s\n", mlp_color(ctx, C_BOLD),
	    mlp_color(ctx, C_RESET));
	printf("  run:       %s\n", mv->run_uuid ? mv->run_uuid : "-");
	printf("  code:      %s\n", mv->code_commit ? mv->code_commit : "-");
	for (size_t i = 0; run && i < run->ntags; i++) {
		char buf[128];
		const char *c = dataset_context(run, i, buf, sizeof(buf));
		const char *src = c ? run_tag(run, c, "source") : NULL;
		const char *rows = c ? run_tag(run, c, "rows") : NULL;

		if (!c)
			continue;
		printf("  data:      %s %.12s %s", c, run->tags[i].value,
		    src ? src : run_tag(run, c, "name") ?
		    run_tag(run, c, "name") : "-");
		if (rows)
			printf(" (%s rows)", rows);
		printf("\n");
	}
	if (fs)
		fstore_print(fs);
	else if (serr.code)
		printf("  features:  (cannot read: %s)\n", serr.msg);
	if (run) {
		for (size_t i = 0; i < run->nparams; i++)
			printf("  param      %-20s %s\n", run->params[i].key,
			    run->params[i].value);
		for (size_t i = 0; i < run->nmetrics; i++) {
			mlp_fmt_double(run->metrics[i].value, v, sizeof(v));
			printf("  metric     %-20s %s\n", run->metrics[i].key, v);
		}
	}
	if (mv->ntags) {
		printf("\n%stags%s\n", mlp_color(ctx, C_BOLD),
		    mlp_color(ctx, C_RESET));
		for (size_t i = 0; i < mv->ntags; i++)
			printf("  %-24s %s\n", mv->tags[i].key,
			    mv->tags[i].value);
	}
	if (nmtags) {
		printf("\n%smodel tags%s\n", mlp_color(ctx, C_BOLD),
		    mlp_color(ctx, C_RESET));
		for (size_t i = 0; i < nmtags; i++)
			printf("  %-24s %s\n", mtags[i].key, mtags[i].value);
	}
	printf("\n%sfiles%s\n", mlp_color(ctx, C_BOLD),
	    mlp_color(ctx, C_RESET));
	if (ferr.code)
		printf("  (cannot list: %s)\n", ferr.msg);
	for (size_t i = 0; i < files.n; i++) {
		char size[32];

		mlp_fmt_bytes(files.v[i].size, size, sizeof(size));
		printf("  %10s  %s\n", size, files.v[i].path);
	}
out:
	mlp_model_fstore_free(fs);
	mlp_kvs_free(mtags, nmtags);
	mlp_tree_release(&files);
	mlp_run_free(run);
	mlp_model_version_free(mv);
	mlp_opt_release(&p);
	return rc;
}

/* create (the default verb) */

static const struct mlp_opt create_opts[] = {
	{ O_NAME, 'n', "name", "MODEL", "the model to add a version to "
	    "(created when new)" },
	{ O_ALIAS, 'a', "alias", "ALIAS", "point an alias at the new version "
	    "(repeatable)" },
	{ O_TAG, 't', "tag", "KEY=VALUE", "tag the version (repeatable)" },
	{ O_DESC, 'd', "description", "TEXT", "describe the version" },
	{ O_FLAVOR, 0, "flavor", "FLAVOR", "convert a model file saved by "
	    "another tool: xgboost (an XGBoost JSON model)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
register_create(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_version_new vn = { 0 };
	struct mlp_source src = { 0 };
	struct mlp_strv aliases = MLP_STRV_INIT;
	struct mlp_kv *tags = NULL;
	struct mlp_store *st;
	struct mlp_err err;
	size_t ntags = 0, alloc = 0;
	char *user = mlp_track_user(ctx->repo), *converted = NULL;
	const char *flavor = NULL;
	int64_t version = 0;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		const char *eq;

		switch (r) {
		case O_NAME:
			vn.name = p.arg;
			break;
		case O_ALIAS:
			mlp_strv_push(&aliases, p.arg);
			break;
		case O_DESC:
			vn.description = p.arg;
			break;
		case O_FLAVOR:
			flavor = p.arg;
			break;
		case O_TAG:
			if (!(eq = strchr(p.arg, '='))) {
				rc = mlp_usage_error(ctx, "--tag '%s': expected "
				    "KEY=VALUE", p.arg);
				goto out;
			}
			mlp_grow(&tags, &alloc, ntags + 1, sizeof(*tags));
			tags[ntags].key = xstrndup(p.arg, (size_t)(eq - p.arg));
			tags[ntags++].value = xstrdup(eq + 1);
			break;
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0)
		goto out;
	if (!vn.name) {
		rc = mlp_usage_error(ctx, "give the model's name with -n NAME");
		goto out;
	}
	/* refuse bad names and text before storing anything */
	vn.source = p.pos[0];
	vn.user = user;
	vn.aliases = (const char *const *)aliases.v;
	vn.naliases = aliases.n;
	vn.tags = tags;
	vn.ntags = ntags;
	if (mlp_registry_check_version(&vn, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	/* objects first, durable; then the one transaction that makes the
	 * version visible */
	if (flavor && mlp_registry_import_flavor(st, p.pos[0], flavor,
	    &converted, &err) < 0) {
		rc = err.code == MLP_EINVAL && strncmp(err.msg, "unknown flavor",
		    14) == 0 ? mlp_usage_error(ctx, "%s", err.msg) :
		    mlp_failf(ctx, 1, "%s", err.msg);
		goto out;
	}
	if (mlp_registry_source(ctx->db, st, converted ? converted : p.pos[0],
	    &src, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	vn.oid = src.oid;
	vn.is_tree = src.is_tree;
	vn.size = src.size;
	vn.source = converted ? p.pos[0] : src.source;
	vn.run_uuid = src.run_uuid;
	vn.code_commit = src.code_commit;
	if (mlp_registry_create_version(ctx->db, &vn, &version, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();
		char v[32];

		snprintf(v, sizeof(v), "%lld", (long long)version);
		cJSON_AddStringToObject(o, "name", vn.name);
		cJSON_AddStringToObject(o, "version", v);
		cJSON_AddStringToObject(o, "object", src.oid);
		cJSON_AddNumberToObject(o, "size", (double)src.size);
		cJSON_AddNumberToObject(o, "bytes_written",
		    (double)src.bytes_written);
		mlp_print_json(o);
	} else {
		char size[32], written[32];

		mlp_fmt_bytes(src.size, size, sizeof(size));
		mlp_fmt_bytes(src.bytes_written, written, sizeof(written));
		printf("models:/%s/%lld\n", vn.name, (long long)version);
		mlp_info(ctx, "registered %s (%s, %s new in the store)",
		    p.pos[0], size, written);
	}
out:
	if (converted) {
		/* the directory's parent in tmp/ */
		*strrchr(converted, '/') = '\0';
		mlp_remove_tree(converted, NULL);
		free(converted);
	}
	mlp_source_release(&src);
	mlp_strv_release(&aliases);
	mlp_kvs_free(tags, ntags);
	free(user);
	mlp_opt_release(&p);
	return rc;
}

/* checkout, diff */

static const struct mlp_opt checkout_opts[] = {
	{ O_FORCE, 'f', "force", NULL, "overwrite files that exist" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
register_checkout(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model_version *mv = NULL;
	struct mlp_store *st;
	struct mlp_err err;
	struct mlp_oid oid;
	int r, rc = 0, force = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_FORCE) {
			force = 1;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 2, 2)) != 0)
		goto out;
	if (strncmp(p.pos[0], "runs:/", 6) == 0) {
		/* a run's artifact, as a model source names it */
		struct mlp_source src = { 0 };

		if ((rc = mlp_ctx_store(ctx, &st)) != 0)
			goto out;
		if (mlp_registry_source(ctx->db, st, p.pos[0], &src, &err) < 0 ||
		    mlp_oid_parse(src.oid, &oid, &err) < 0 ||
		    mlp_store_checkout(st, &oid, src.is_tree, p.pos[1], force,
		    &err) < 0)
			rc = mlp_fail(ctx, &err);
		else
			mlp_info(ctx, "checked out %s into %s", p.pos[0],
			    p.pos[1]);
		mlp_source_release(&src);
		goto out;
	}
	if ((rc = resolve(ctx, p.pos[0], &mv)) != 0 ||
	    (rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	if (mlp_oid_parse(mv->oid, &oid, &err) < 0 ||
	    mlp_store_checkout(st, &oid, mv->is_tree, p.pos[1], force,
	    &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	mlp_info(ctx, "checked out models:/%s/%lld into %s", mv->name,
	    (long long)mv->version, p.pos[1]);
out:
	mlp_model_version_free(mv);
	mlp_opt_release(&p);
	return rc;
}

/* The files of a version: its tree, or one entry for a single file. */
static int
load_files(struct mlp_store *st, const struct mlp_model_version *mv,
    struct mlp_tree *t, struct mlp_err *err)
{
	struct mlp_oid oid;
	int rc;

	if ((rc = mlp_oid_parse(mv->oid, &oid, err)) < 0)
		return rc;
	if (!mv->is_tree) {
		const char *base = strrchr(mv->source, '/');

		mlp_tree_add(t, base && base[1] ? base + 1 : mv->source, 0644,
		    mv->size, &oid);
		return 0;
	}
	return mlp_store_read_tree(st, &oid, t, err);
}

static int
version_files(struct mlp_ctx *ctx, struct mlp_store *st,
    const struct mlp_model_version *mv, struct mlp_tree *t)
{
	struct mlp_err err;

	mlp_err_clear(&err);
	if (load_files(st, mv, t, &err) < 0)
		return mlp_fail(ctx, &err);
	return 0;
}

static int
register_diff(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model_version *a = NULL, *b = NULL;
	struct mlp_tree ta = MLP_TREE_INIT, tb = MLP_TREE_INIT;
	struct mlp_store *st;
	cJSON *o = NULL, *lists[3] = { NULL, NULL, NULL };
	size_t i = 0, j = 0;
	int r, rc = 0;

	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 2, 2)) != 0 ||
	    (rc = resolve(ctx, p.pos[0], &a)) != 0 ||
	    (rc = resolve(ctx, p.pos[1], &b)) != 0 ||
	    (rc = mlp_ctx_store(ctx, &st)) != 0 ||
	    (rc = version_files(ctx, st, a, &ta)) != 0 ||
	    (rc = version_files(ctx, st, b, &tb)) != 0)
		goto out;
	if (ctx->json) {
		o = cJSON_CreateObject();
		lists[0] = cJSON_AddArrayToObject(o, "added");
		lists[1] = cJSON_AddArrayToObject(o, "removed");
		lists[2] = cJSON_AddArrayToObject(o, "changed");
	}
	/* both manifests are sorted by path: one merge pass */
	while (i < ta.n || j < tb.n) {
		int c = i >= ta.n ? 1 : j >= tb.n ? -1 :
		    strcmp(ta.v[i].path, tb.v[j].path);
		const char *path = c <= 0 ? ta.v[i].path : tb.v[j].path;
		int kind = -1;	/* 0 added, 1 removed, 2 changed */

		if (c < 0) {
			kind = 1;
			i++;
		} else if (c > 0) {
			kind = 0;
			j++;
		} else {
			if (mlp_oid_cmp(&ta.v[i].oid, &tb.v[j].oid) != 0 ||
			    ta.v[i].mode != tb.v[j].mode)
				kind = 2;
			i++;
			j++;
		}
		if (kind < 0)
			continue;
		if (o)
			cJSON_AddItemToArray(lists[kind],
			    cJSON_CreateString(path));
		else
			printf("%s%c %s%s\n", mlp_color(ctx, kind == 0 ? C_GREEN :
			    kind == 1 ? C_RED : C_YELLOW), "ADM"[kind], path,
			    mlp_color(ctx, C_RESET));
	}
	if (o) {
		mlp_print_json(o);
		o = NULL;
	}
out:
	cJSON_Delete(o);
	mlp_tree_release(&ta);
	mlp_tree_release(&tb);
	mlp_model_version_free(a);
	mlp_model_version_free(b);
	mlp_opt_release(&p);
	return rc;
}

/* export, import */

enum { O_OUTPUT = 100, O_COMPRESSION, O_WITH_ALIASES };

static const struct mlp_opt export_opts[] = {
	{ O_OUTPUT, 'o', "output", "FILE", "the archive to write: "
	    "FILE.tar.gz (or .tgz) or FILE.tar.zst, or - for standard output" },
	{ O_COMPRESSION, 0, "compression", "gzip|zstd", "the compression "
	    "with -o - (default gzip)" },
	{ 0, 0, NULL, NULL, NULL },
};

static void
export_progress(uint64_t done, uint64_t total, void *ud)
{
	mlp_progress(ud, "exporting", done, total);
}

static int
register_export(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model_version *mv = NULL;
	struct mlp_export_stats stats = { 0 };
	enum mlp_archive_compression comp = MLP_ARCHIVE_GZIP;
	struct mlp_store *st;
	struct mlp_err err;
	const char *output = NULL, *compression = NULL;
	int r, rc = 0, to_stdout;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_OUTPUT) {
			output = p.arg;
			continue;
		}
		if (r == O_COMPRESSION) {
			compression = p.arg;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0)
		goto out;
	if (!output) {
		rc = mlp_usage_error(ctx, "give the archive to write with -o "
		    "FILE.tar.gz, -o FILE.tar.zst or -o -");
		goto out;
	}
	to_stdout = strcmp(output, "-") == 0;
	if (compression && strcmp(compression, "gzip") != 0 &&
	    strcmp(compression, "zstd") != 0) {
		rc = mlp_usage_error(ctx, "--compression '%s': expected gzip or "
		    "zstd", compression);
		goto out;
	}
	if (!to_stdout) {
		/* --compression names the type of a file named otherwise
		 * (/dev/stdout, a FIFO) */
		if (mlp_registry_archive_compression(output, &comp, &err) < 0) {
			if (!compression) {
				rc = mlp_fail(ctx, &err);
				goto out;
			}
			comp = strcmp(compression, "zstd") == 0 ?
			    MLP_ARCHIVE_ZSTD : MLP_ARCHIVE_GZIP;
		} else if (compression && strcmp(compression,
		    comp == MLP_ARCHIVE_GZIP ? "gzip" : "zstd") != 0) {
			rc = mlp_usage_error(ctx, "--compression %s contradicts "
			    "the name '%s'", compression, output);
			goto out;
		}
	} else if (compression && strcmp(compression, "zstd") == 0) {
		comp = MLP_ARCHIVE_ZSTD;
	}
	if (to_stdout && isatty(STDOUT_FILENO)) {
		rc = mlp_failf(ctx, 1, "refusing to write an archive to a "
		    "terminal");
		mlp_hint(ctx, "redirect standard output, or use -o FILE.tar.gz");
		goto out;
	}
	if ((rc = resolve(ctx, p.pos[0], &mv)) != 0 ||
	    (rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	if (mlp_registry_export(st, mv, to_stdout ? "<stdout>" : output,
	    to_stdout ? STDOUT_FILENO : -1, comp, export_progress, ctx, &stats,
	    &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json && !to_stdout) {
		cJSON *o = cJSON_CreateObject();
		char v[32];

		snprintf(v, sizeof(v), "%lld", (long long)mv->version);
		cJSON_AddStringToObject(o, "name", mv->name);
		cJSON_AddStringToObject(o, "version", v);
		cJSON_AddStringToObject(o, "file", output);
		cJSON_AddNumberToObject(o, "objects", (double)stats.objects);
		cJSON_AddNumberToObject(o, "bytes", (double)stats.bytes);
		mlp_print_json(o);
	} else {
		char size[32];

		mlp_fmt_bytes(stats.bytes, size, sizeof(size));
		mlp_info(ctx, "exported models:/%s/%lld to %s (%llu object%s, "
		    "%s)", mv->name, (long long)mv->version, to_stdout ?
		    "standard output" : output,
		    (unsigned long long)stats.objects,
		    stats.objects == 1 ? "" : "s", size);
	}
out:
	mlp_model_version_free(mv);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt import_opts[] = {
	{ O_NAME, 'n', "name", "MODEL", "the model to add the version to "
	    "(default: the exported name; created when new)" },
	{ O_WITH_ALIASES, 0, "with-aliases", NULL, "point the exported "
	    "aliases at the new version" },
	{ 0, 0, NULL, NULL, NULL },
};

static void
import_progress(uint64_t done, uint64_t total, void *ud)
{
	mlp_progress(ud, "importing", done, total);
}

static int
register_import(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_import_opts o = { 0 };
	struct mlp_import_result res = { 0 };
	struct mlp_store *st;
	struct mlp_err err;
	const char *file;
	char *user = mlp_track_user(ctx->repo);
	int r, rc = 0, from_stdin;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_NAME) {
			o.name = p.arg;
			continue;
		}
		if (r == O_WITH_ALIASES) {
			o.with_aliases = 1;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0)
		goto out;
	if (o.name && mlp_registry_check_name(o.name, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	file = p.pos[0];
	from_stdin = strcmp(file, "-") == 0;
	if (from_stdin && isatty(STDIN_FILENO)) {
		rc = mlp_failf(ctx, 1, "refusing to read an archive from a "
		    "terminal");
		mlp_hint(ctx, "redirect standard input, or give the FILE");
		goto out;
	}
	o.user = user;
	o.progress = import_progress;
	o.progress_ud = ctx;
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	if (mlp_registry_import(ctx->db, st, from_stdin ? "<stdin>" : file,
	    from_stdin ? STDIN_FILENO : -1, &o, &res, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *j = cJSON_CreateObject();
		char v[32];

		snprintf(v, sizeof(v), "%lld", (long long)res.version);
		cJSON_AddStringToObject(j, "name", res.name);
		cJSON_AddStringToObject(j, "version", v);
		cJSON_AddStringToObject(j, "object", res.oid);
		cJSON_AddNumberToObject(j, "size", (double)res.size);
		cJSON_AddNumberToObject(j, "objects", (double)res.objects);
		cJSON_AddNumberToObject(j, "bytes_written",
		    (double)res.bytes_written);
		snprintf(v, sizeof(v), "%lld", (long long)res.exported_version);
		cJSON_AddStringToObject(j, "exported_name", res.exported_name);
		cJSON_AddStringToObject(j, "exported_version", v);
		mlp_print_json(j);
	} else {
		char size[32], written[32];

		mlp_fmt_bytes(res.size, size, sizeof(size));
		mlp_fmt_bytes(res.bytes_written, written, sizeof(written));
		printf("models:/%s/%lld\n", res.name, (long long)res.version);
		mlp_info(ctx, "imported models:/%s/%lld from %s (exported as "
		    "models:/%s/%lld; %s, %s new in the store)", res.name,
		    (long long)res.version, from_stdin ? "standard input" :
		    file, res.exported_name, (long long)res.exported_version,
		    size, written);
	}
out:
	mlp_import_result_release(&res);
	free(user);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_verb verbs[] = {
	{ "create", register_create, create_opts, "SOURCE",
	    "Register a path, runs:/RUN/PATH or models:/ URI as the next "
	    "version of a model (the default verb)" },
	{ "list", register_list, list_opts, "",
	    "List registered models with their latest version and aliases" },
	{ "show", register_show, none_opts, "URI",
	    "Show a version: aliases, stage, source, lineage, tags" },
	{ "alias", register_alias, none_opts, "MODEL ALIAS VERSION",
	    "Point an alias at a version (recorded in the history)" },
	{ "alias rm", register_alias_rm, none_opts, "MODEL ALIAS",
	    "Remove an alias (recorded in the history)" },
	{ "history", register_history, none_opts, "MODEL [ALIAS]",
	    "Every alias move: when, who, from which version to which" },
	{ "tag", register_tag, tag_opts, "MODEL|URI KEY=VALUE",
	    "Set a tag on a model or (with a models:/ URI) a version" },
	{ "stage", register_stage, stage_opts, "MODEL VERSION STAGE",
	    "Move a version to none, staging, production or archived "
	    "(deprecated in MLflow; prefer aliases)" },
	{ "rm", register_rm, none_opts, "URI",
	    "Delete a version (soft; its aliases are removed)" },
	{ "checkout", register_checkout, checkout_opts, "URI DIR",
	    "Write a version's files (or a run artifact's) into DIR" },
	{ "diff", register_diff, none_opts, "URI URI",
	    "Files added, removed and changed between two versions" },
	{ "export", register_export, export_opts, "URI",
	    "Write a version and its objects to a .tar.gz or .tar.zst "
	    "archive" },
	{ "import", register_import, import_opts, "FILE",
	    "Add the version in an exported archive as the next version of "
	    "a model" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct mlp_command cmd_register = {
	.name = "register",
	.run = NULL,
	.setup = NEED_REPO,
	.summary = "Register models: versions, aliases, lineage",
	.opts = NULL,
	.args = NULL,
	.verbs = verbs,
	.default_verb = "create",
};
