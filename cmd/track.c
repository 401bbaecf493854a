/* mlp track: experiments, runs, logging, search, comparison and plots. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plot/plot.h"
#include "store/store.h"
#include "track/track.h"
#include "cmd.h"

/* Shared helpers */

/* Ends the runs (or the one run) whose mlp train process died: what a
 * listing shows RUNNING is running. Best effort: a repository that cannot
 * be written to (read-only, locked) is shown as it is. */
static void
reconcile(struct mlp_ctx *ctx, const char *uuid)
{
	struct mlp_err err;

	mlp_err_clear(&err);
	mlp_track_reconcile(ctx->db, uuid, NULL, &err);
}

/* Resolves RUN (or $MLP_RUN_ID when ref is NULL) to a run. Returns 0, or
 * the exit code after printing why. */
static int
resolve_run(struct mlp_ctx *ctx, const char *ref, struct mlp_run_info *ri)
{
	struct mlp_err err;

	mlp_err_clear(&err);
	if (!ref) {
		ref = getenv("MLP_RUN_ID");
		if (!ref || !*ref)
			return mlp_usage_error(ctx, "no run given: pass RUN or "
			    "set MLP_RUN_ID");
	}
	if (mlp_track_run_resolve(ctx->db, ref, ri, &err) < 0)
		return mlp_fail(ctx, &err);
	return 0;
}

/* Terminal columns of UTF-8 text: code points, as the table counts. */
static int
text_cols(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* How much of a filter an error echoes before and after the column at
 * fault: a 64 KB filter is not printed whole. */
#define ECHO_BEFORE 60
#define ECHO_AFTER 30

/* Prints a filter or order-by syntax error with the text (the part of it
 * around the column when it is long, control characters escaped) and a
 * caret under the column. */
static int
syntax_error(struct mlp_ctx *ctx, const char *what, const char *text,
    const struct mlp_err *err)
{
	size_t len = strlen(text), pos = err->pos < 0 ? 0 : (size_t)err->pos;
	size_t a, b;
	char *pre, *part, *shown;

	shown = mlp_display(err->msg);
	mlp_failf(ctx, 2, "%s: %s", what, shown);
	free(shown);
	if (pos > len)
		pos = len;
	a = pos > ECHO_BEFORE ? pos - ECHO_BEFORE : 0;
	b = len - pos > ECHO_AFTER ? pos + ECHO_AFTER : len;
	/* cut at characters */
	while (a < pos && ((unsigned char)text[a] & 0xc0) == 0x80)
		a++;
	while (b < len && ((unsigned char)text[b] & 0xc0) == 0x80)
		b++;
	part = xstrndup(text + a, pos - a);
	pre = mlp_display(part);
	free(part);
	part = xstrndup(text + a, b - a);
	shown = mlp_display(part);
	free(part);
	fprintf(stderr, "  %s%s%s\n  %*s^\n", a ? "..." : "", shown,
	    b < len ? "..." : "", (a ? 3 : 0) + text_cols(pre), "");
	free(pre);
	free(shown);
	return 2;
}

static void
fmt_num(double v, char *out, size_t n)
{
	mlp_fmt_double(v, out, n);
}

/* Splits "KEY=VALUE" without touching s (the command line is recorded
 * as typed): *k is a new string the caller frees, *v points into s or is
 * NULL when there is no '='. */
static void
split_kv(const char *s, char **k, char **v)
{
	const char *eq = strchr(s, '=');

	*k = xstrndup(s, eq ? (size_t)(eq - s) : strlen(s));
	*v = eq ? (char *)eq + 1 : NULL;
}

/* A metric value in JSON: a number, or "NaN", "Infinity", "-Infinity" as
 * strings (JSON has no such numbers). */
static cJSON *
metric_json(double v)
{
	if (isnan(v))
		return cJSON_CreateString("NaN");
	if (isinf(v))
		return cJSON_CreateString(v > 0 ? "Infinity" : "-Infinity");
	return cJSON_CreateNumber(v);
}

/* JSON of a run, as MLflow's search_runs names the fields. */
static cJSON *
run_json(const struct mlp_run *r)
{
	cJSON *o = cJSON_CreateObject(), *m, *pa, *t;
	char ts[32];

	cJSON_AddStringToObject(o, "run_id", r->info.uuid);
	snprintf(ts, sizeof(ts), "%lld", (long long)r->info.experiment);
	cJSON_AddStringToObject(o, "experiment_id", ts);
	cJSON_AddStringToObject(o, "experiment", r->info.experiment_name);
	cJSON_AddStringToObject(o, "run_name", r->info.name);
	cJSON_AddStringToObject(o, "status", r->info.status);
	cJSON_AddStringToObject(o, "user_id", r->info.user);
	cJSON_AddNumberToObject(o, "start_time", (double)r->info.start_time);
	if (r->info.end_time)
		cJSON_AddNumberToObject(o, "end_time",
		    (double)r->info.end_time);
	else
		cJSON_AddNullToObject(o, "end_time");
	cJSON_AddStringToObject(o, "lifecycle_stage", r->info.lifecycle);
	m = cJSON_AddObjectToObject(o, "metrics");
	for (size_t i = 0; i < r->nmetrics; i++)
		cJSON_AddItemToObject(m, r->metrics[i].key,
		    metric_json(r->metrics[i].value));
	pa = cJSON_AddObjectToObject(o, "params");
	for (size_t i = 0; i < r->nparams; i++)
		cJSON_AddStringToObject(pa, r->params[i].key,
		    r->params[i].value);
	t = cJSON_AddObjectToObject(o, "tags");
	for (size_t i = 0; i < r->ntags; i++)
		cJSON_AddStringToObject(t, r->tags[i].key, r->tags[i].value);
	return o;
}

/* Experiments */

enum { O_ALL = 1, O_DELETED };

static const struct mlp_opt experiments_opts[] = {
	{ O_ALL, 'a', "all", NULL, "include deleted experiments" },
	{ O_DELETED, 0, "deleted", NULL, "only deleted experiments" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
track_experiments(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_experiment *v = NULL;
	enum mlp_view view = MLP_VIEW_ACTIVE;
	struct mlp_err err;
	size_t n = 0;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_ALL)
			view = MLP_VIEW_ALL;
		else if (r == O_DELETED)
			view = MLP_VIEW_DELETED;
		else {
			mlp_opt_release(&p);
			return OPT_EXIT(r);
		}
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		goto out;
	}
	if (mlp_track_experiment_list(ctx->db, view, &v, &n, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			char id[32];

			snprintf(id, sizeof(id), "%lld", (long long)v[i].id);
			cJSON_AddStringToObject(o, "experiment_id", id);
			cJSON_AddStringToObject(o, "name", v[i].name);
			cJSON_AddStringToObject(o, "lifecycle_stage",
			    v[i].lifecycle);
			cJSON_AddNumberToObject(o, "creation_time",
			    (double)v[i].created);
			cJSON_AddNumberToObject(o, "last_update_time",
			    (double)v[i].updated);
			cJSON_AddNumberToObject(o, "runs", (double)v[i].nruns);
			cJSON_AddItemToArray(arr, o);
		}
		mlp_print_json(arr);
	} else {
		static const char *const hdr[] = { "ID", "NAME", "RUNS",
			"CREATED", "STATE" };
		struct mlp_table t;

		mlp_table_init(&t, view == MLP_VIEW_ACTIVE ? 4 : 5, hdr);
		t.right[0] = t.right[2] = 1;
		for (size_t i = 0; i < n; i++) {
			char id[32], runs[32], created[32];
			const char *row[5] = { id, v[i].name, runs, created,
				v[i].lifecycle };

			snprintf(id, sizeof(id), "%lld", (long long)v[i].id);
			snprintf(runs, sizeof(runs), "%lld",
			    (long long)v[i].nruns);
			mlp_fmt_time(v[i].created, created, sizeof(created));
			mlp_table_add(&t, row);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	mlp_experiments_free(v, n);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt none_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

/* experiment create|rename|rm|restore share one shape. */
static int
experiment_verb(struct mlp_ctx *ctx, int argc, char **argv, int nargs)
{
	const char *args = ctx->verb->args;
	struct mlp_optparse p;
	struct mlp_err err;
	int r, rc = 0;
	int64_t id = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		mlp_opt_release(&p);
		return OPT_EXIT(r);
	}
	if (p.npos != nargs) {
		rc = mlp_usage_error(ctx, p.npos < nargs ? "missing %s" :
		    "too many arguments (expected %s)", args);
		goto out;
	}
	if (strcmp(argv[0], "create") == 0)
		r = mlp_track_experiment_create(ctx->db, p.pos[0], &id, &err);
	else if (strcmp(argv[0], "rename") == 0)
		r = mlp_track_experiment_rename(ctx->db, p.pos[0], p.pos[1],
		    &err);
	else if (strcmp(argv[0], "rm") == 0)
		r = mlp_track_experiment_delete(ctx->db, p.pos[0], &err);
	else
		r = mlp_track_experiment_restore(ctx->db, p.pos[0], &err);
	if (r < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (strcmp(argv[0], "create") == 0) {
		if (ctx->json) {
			cJSON *o = cJSON_CreateObject();
			char s[32];

			snprintf(s, sizeof(s), "%lld", (long long)id);
			cJSON_AddStringToObject(o, "experiment_id", s);
			cJSON_AddStringToObject(o, "name", p.pos[0]);
			mlp_print_json(o);
		} else {
			printf("%lld\n", (long long)id);
		}
	}
out:
	mlp_opt_release(&p);
	return rc;
}

static int
track_exp_create(struct mlp_ctx *ctx, int argc, char **argv)
{
	return experiment_verb(ctx, argc, argv, 1);
}

static int
track_exp_rename(struct mlp_ctx *ctx, int argc, char **argv)
{
	return experiment_verb(ctx, argc, argv, 2);
}

static int
track_exp_rm(struct mlp_ctx *ctx, int argc, char **argv)
{
	return experiment_verb(ctx, argc, argv, 1);
}

static int
track_exp_restore(struct mlp_ctx *ctx, int argc, char **argv)
{
	return experiment_verb(ctx, argc, argv, 1);
}

/* Runs */

enum { O_EXP = 1, O_NAME, O_TAG, O_STATUS, O_PARAM, O_METRIC, O_BATCH,
	O_DELTAG, O_FILTER, O_ORDER, O_LIMIT, O_COLUMNS, O_CSV, O_SVG,
	O_WIDTH, O_HEIGHT, O_OLDER, O_RALL, O_RDELETED };

static const struct mlp_opt start_opts[] = {
	{ O_EXP, 'e', "experiment", "EXP", "experiment name or id (default: "
	    "Default)" },
	{ O_NAME, 'n', "name", "NAME", "run name (default: generated)" },
	{ O_TAG, 't', "tag", "TAG=VALUE", "set a tag (repeatable)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
track_start(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run_start rs = { 0 };
	struct mlp_kv *tags = NULL, *src = NULL;
	size_t ntags = 0, nsrc = 0, alloc = 0;
	struct mlp_err err;
	char uuid[33], *cmdline, *user = NULL;
	int r, rc = 0, created = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		char *k, *v;

		switch (r) {
		case O_EXP:
			rs.experiment = p.arg;
			break;
		case O_NAME:
			rs.name = p.arg;
			break;
		case O_TAG:
			split_kv(p.arg, &k, &v);
			if (!v) {
				rc = mlp_usage_error(ctx, "--tag '%s': expected "
				    "KEY=VALUE", k);
				free(k);
				goto out;
			}
			mlp_grow(&tags, &alloc, ntags + 1, sizeof(*tags));
			tags[ntags].key = k;
			tags[ntags++].value = v;
			break;
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		goto out;
	}
	user = mlp_track_user(ctx->repo);
	cmdline = mlp_ctx_cmdline(ctx);
	mlp_track_source_tags(cmdline, user, &src, &nsrc);
	free(cmdline);
	/* user tags come after the system ones, so they may override */
	src = xrealloc(src, (nsrc + ntags) * sizeof(*src));
	for (size_t i = 0; i < ntags; i++) {
		src[nsrc].key = xstrdup(tags[i].key);
		src[nsrc++].value = xstrdup(tags[i].value);
	}
	rs.user = user;
	rs.tags = src;
	rs.ntags = nsrc;
	rs.created_experiment = &created;
	if (mlp_track_run_start(ctx->db, &rs, uuid, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (created)
		mlp_info(ctx, "created experiment '%s'", rs.experiment);
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "run_id", uuid);
		mlp_print_json(o);
	} else {
		printf("%s\n", uuid);
	}
out:
	mlp_kvs_free(src, nsrc);
	for (size_t i = 0; i < ntags; i++)
		free(tags[i].key);
	free(tags);
	free(user);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt end_opts[] = {
	{ O_STATUS, 's', "status", "STATUS", "finished (default), failed or "
	    "killed" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
track_end(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run_info ri = { 0 };
	const char *status = "FINISHED";
	struct mlp_err err;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_STATUS) {
			if (mlp_track_status_parse(p.arg, &status, &err) < 0 ||
			    strcmp(status, "RUNNING") == 0 ||
			    strcmp(status, "SCHEDULED") == 0) {
				rc = mlp_usage_error(ctx, "--status '%s': give "
				    "finished, failed or killed", p.arg);
				goto out;
			}
		} else {
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if (p.npos > 1) {
		rc = mlp_usage_error(ctx, "too many arguments");
		goto out;
	}
	if ((rc = resolve_run(ctx, p.npos ? p.pos[0] : NULL, &ri)) != 0)
		goto out;
	if (mlp_track_run_end(ctx->db, ri.uuid, status, 0, &err) < 0)
		rc = mlp_fail(ctx, &err);
out:
	mlp_run_info_release(&ri);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt log_opts[] = {
	{ O_PARAM, 'p', "param", "PARAM=VALUE", "log a param (repeatable)" },
	{ O_METRIC, 'm', "metric", "METRIC=VALUE[@STEP]", "log a metric point "
	    "(repeatable)" },
	{ O_TAG, 't', "tag", "TAG=VALUE", "set a tag (repeatable)" },
	{ O_DELTAG, 0, "delete-tag", "TAG", "delete a tag (repeatable)" },
	{ O_BATCH, 'b', "batch", "FILE", "log JSON lines or MLflow "
	    "log-batch/log-inputs bodies from FILE (- for stdin)" },
	{ 0, 0, NULL, NULL, NULL },
};

struct log_item {
	int kind;	/* O_PARAM, O_METRIC, O_TAG, O_DELTAG */
	char *key, *value;
	double num;
	int64_t step;
};

static int
log_batch_file(struct mlp_ctx *ctx, struct mlp_logger *lg, const char *path,
    struct mlp_err *err)
{
	struct mlp_batch_reader *br;
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	static char chunk[1 << 20];
	size_t n;
	int rc = 0;

	if (!fp)
		return mlp_err_set(err, MLP_EFAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	mlp_batch_new(&br, strcmp(path, "-") == 0 ? "stdin" : path);
	do {
		n = fread(chunk, 1, sizeof(chunk), fp);
		if (n == 0 && ferror(fp)) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    path, strerror(errno));
			break;
		}
		rc = mlp_batch_feed(br, lg, chunk, n, n == 0, err);
	} while (rc == 0 && n > 0);
	mlp_batch_free(br);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

static int
track_log(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run_info ri = { 0 };
	struct mlp_logger *lg = NULL;
	struct log_item *items = NULL;
	size_t nitems = 0, alloc = 0;
	const char *batch = NULL;
	struct mlp_err err;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		struct log_item it = { r, NULL, NULL, 0, 0 };
		char *k, *v, *at;

		switch (r) {
		case O_BATCH:
			if (batch) {
				rc = mlp_usage_error(ctx, "give --batch once");
				goto out;
			}
			batch = p.arg;
			continue;
		case O_DELTAG:
			it.key = xstrdup(p.arg);
			break;
		case O_PARAM:
		case O_TAG:
		case O_METRIC:
			split_kv(p.arg, &k, &v);
			if (!v) {
				rc = mlp_usage_error(ctx, "'%s': expected "
				    "KEY=VALUE", k);
				free(k);
				goto out;
			}
			it.key = k;
			it.value = v;
			mlp_grow(&items, &alloc, nitems + 1, sizeof(*items));
			items[nitems++] = it;
			if (r != O_METRIC)
				continue;
			v = xstrdup(v);
			if ((at = strrchr(v, '@'))) {
				*at = '\0';
				if (mlp_parse_int64(at + 1,
				    &items[nitems - 1].step) < 0) {
					rc = mlp_usage_error(ctx, "metric '%s': "
					    "step '%s' is not an integer", k,
					    at + 1);
					free(v);
					goto out;
				}
			}
			if ((r = mlp_parse_double(v,
			    &items[nitems - 1].num)) < 0) {
				rc = mlp_usage_error(ctx, r == -2 ? "metric "
				    "'%s': '%s' is out of range for a 64-bit "
				    "float (write inf for infinity)" :
				    "metric '%s': '%s' is not a number", k, v);
				free(v);
				goto out;
			}
			free(v);
			continue;
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
		mlp_grow(&items, &alloc, nitems + 1, sizeof(*items));
		items[nitems++] = it;
	}
	if (p.npos > 1) {
		rc = mlp_usage_error(ctx, "too many arguments");
		goto out;
	}
	if (nitems == 0 && !batch) {
		rc = mlp_usage_error(ctx, "nothing to log: give -p, -m, -t, "
		    "--delete-tag or --batch");
		goto out;
	}
	if ((rc = resolve_run(ctx, p.npos ? p.pos[0] : NULL, &ri)) != 0)
		goto out;
	if ((r = mlp_logger_begin(ctx->db, ri.uuid, &lg, &err)) < 0)
		goto fail;
	for (size_t i = 0; i < nitems; i++) {
		struct log_item *it = &items[i];

		switch (it->kind) {
		case O_PARAM:
			r = mlp_logger_param(lg, it->key, it->value, &err);
			break;
		case O_TAG:
			r = mlp_logger_tag(lg, it->key, it->value, &err);
			break;
		case O_DELTAG:
			r = mlp_logger_delete_tag(lg, it->key, &err);
			break;
		default:
			r = mlp_logger_metric(lg, it->key, it->num, it->step, 0,
			    &err);
			break;
		}
		if (r < 0)
			goto fail;
	}
	if (batch && (r = log_batch_file(ctx, lg, batch, &err)) < 0)
		goto fail;
	{
		int64_t nm, np, nt;

		mlp_logger_counts(lg, &nm, &np, &nt);
		r = mlp_logger_commit(lg, &err);
		lg = NULL;
		if (r < 0)
			goto fail;
		if (ctx->json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "run_id", ri.uuid);
			cJSON_AddNumberToObject(o, "metrics", (double)nm);
			cJSON_AddNumberToObject(o, "params", (double)np);
			cJSON_AddNumberToObject(o, "tags", (double)nt);
			mlp_print_json(o);
		} else if (ctx->verbose) {
			mlp_info(ctx, "logged %lld metric %s, %lld %s, %lld "
			    "%s to %s", (long long)nm, mlp_plural(nm, "point",
			    "points"), (long long)np, mlp_plural(np, "param",
			    "params"), (long long)nt, mlp_plural(nt, "tag",
			    "tags"), ri.uuid);
		}
	}
	goto out;
fail:
	mlp_logger_abort(lg);
	rc = mlp_fail(ctx, &err);
out:
	for (size_t i = 0; i < nitems; i++)
		free(items[i].key);
	free(items);
	mlp_run_info_release(&ri);
	mlp_opt_release(&p);
	return rc;
}

/* Splits a comma-separated list of identifiers, keeping commas inside
 * backticks or double quotes. */
static int
split_columns(const char *list, struct mlp_strv *out)
{
	const char *s = list, *start = list;
	char q = 0;

	for (;; s++) {
		if (q) {
			if (*s == q)
				q = 0;
			else if (!*s)
				return -1;
			continue;
		}
		if (*s == '`' || *s == '"') {
			q = *s;
			continue;
		}
		if (*s == ',' || !*s) {
			const char *a = start, *b = s;

			while (a < b && isspace((unsigned char)*a))
				a++;
			while (b > a && isspace((unsigned char)b[-1]))
				b--;
			if (b > a)
				mlp_strv_push_owned(out, xstrndup(a,
				    (size_t)(b - a)));
			if (!*s)
				return 0;
			start = s + 1;
		}
	}
}

static const struct mlp_opt runs_opts[] = {
	{ O_EXP, 'e', "experiment", "EXP", "only runs of EXP (repeatable)" },
	{ O_FILTER, 'f', "filter", "EXPR", "MLflow search filter, with OR, "
	    "NOT and ( )" },
	{ O_ORDER, 'o', "order-by", "FIELD [asc|desc]", "sort key "
	    "(repeatable; default start_time desc)" },
	{ O_LIMIT, 'n', "limit", "N", "show at most N runs" },
	{ O_COLUMNS, 'c', "columns", "LIST", "comma-separated columns, e.g. "
	    "run_id,metrics.auc,params.depth" },
	{ O_CSV, 0, "csv", NULL, "print CSV" },
	{ O_RALL, 'a', "all", NULL, "include deleted runs" },
	{ O_RDELETED, 0, "deleted", NULL, "only deleted runs" },
	{ 0, 0, NULL, NULL, NULL },
};

struct runs_state {
	struct mlp_ctx *ctx;
	const char **hdr;	/* CSV header, printed before the first row */
	size_t nhdr;
	const struct mlp_field *cols;
	char **colnames;
	size_t ncols;
	int csv, defaults;
	struct mlp_table table;
	cJSON *json;
	int64_t now;
};

static void
value_text(const struct mlp_value *v, char *out, size_t n)
{
	if (v->type == MLP_VAL_NULL)
		snprintf(out, n, "%s", "");
	else if (v->type == MLP_VAL_NUM)
		fmt_num(v->d, out, n);
	else
		snprintf(out, n, "%s", v->s);
}

static void
csv_header(struct runs_state *rs)
{
	for (size_t i = 0; i < rs->nhdr; i++)
		mlp_csv_field(stdout, rs->hdr[i], i + 1 == rs->nhdr ? '\n' : ',');
	rs->nhdr = 0;
}

/* The default columns: short id, name, status, start and duration. */
#define NDEFAULT 5

static int
runs_row(const struct mlp_run_info *ri, const struct mlp_value *cols,
    void *ud)
{
	struct runs_state *rs = ud;
	size_t n = (rs->defaults ? NDEFAULT : 0) + rs->ncols, k = 0;
	char **cells = xcalloc(n, sizeof(*cells));
	struct mlp_err err;
	char buf[64];
	int64_t dur;
	int rc = 0;

	if (rs->json) {
		struct mlp_run *r;

		mlp_err_clear(&err);
		if (mlp_track_run_get(rs->ctx->db, ri->uuid, &r, &err) < 0) {
			free(cells);
			return mlp_fail(rs->ctx, &err);
		}
		cJSON_AddItemToArray(rs->json, run_json(r));
		mlp_run_free(r);
		free(cells);
		return 0;
	}
	if (rs->defaults) {
		cells[k++] = xstrndup(ri->uuid, rs->csv ? 32 : 8);
		cells[k++] = xstrdup(ri->name);
		cells[k++] = xstrdup(ri->status);
		if (rs->csv)
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)ri->start_time);
		else
			mlp_fmt_time(ri->start_time, buf, sizeof(buf));
		cells[k++] = xstrdup(buf);
		/* a run not ended has lasted until now, in CSV too */
		dur = (ri->end_time ? ri->end_time : rs->now) - ri->start_time;
		if (dur < 0)
			dur = 0;
		if (rs->csv)
			snprintf(buf, sizeof(buf), "%lld", (long long)dur);
		else
			mlp_fmt_duration(dur, buf, sizeof(buf));
		cells[k++] = xstrdup(buf);
	}
	for (size_t i = 0; i < rs->ncols; i++) {
		char v[64];

		if (cols[i].type == MLP_VAL_TEXT) {
			cells[k++] = xstrdup(cols[i].s);
			continue;
		}
		value_text(&cols[i], v, sizeof(v));
		cells[k++] = xstrdup(v);
	}
	if (rs->csv) {
		csv_header(rs);
		for (size_t i = 0; i < n; i++)
			mlp_csv_field(stdout, cells[i], i + 1 == n ? '\n' : ',');
	} else {
		mlp_table_add(&rs->table, (const char *const *)cells);
		if (rs->defaults) {
			const char *st = ri->status;
			const char *col = strcmp(st, "FINISHED") == 0 ? C_GREEN :
			    strcmp(st, "RUNNING") == 0 ? C_CYAN :
			    strcmp(st, "FAILED") == 0 ? C_RED : C_YELLOW;

			mlp_table_set_color(&rs->table, rs->table.nrows - 1, 0,
			    C_YELLOW);
			mlp_table_set_color(&rs->table, rs->table.nrows - 1, 2,
			    col);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
	return rc;
}

static int
track_runs(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_search q = { 0 };
	struct runs_state rs = { 0 };
	struct mlp_strv colnames = MLP_STRV_INIT, orders = MLP_STRV_INIT;
	struct mlp_order *order = NULL;
	struct mlp_field *cols = NULL;
	int64_t *exps = NULL;
	size_t nexps = 0, nexps_alloc = 0, nord = 0, ncols = 0;
	const char *columns = NULL;
	struct mlp_err err;
	int r, rc = 0, csv = 0;

	mlp_err_clear(&err);
	q.limit = -1;
	q.view = MLP_VIEW_ACTIVE;
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		struct mlp_experiment e;
		const char *next;

		switch (r) {
		case O_EXP:
			if (mlp_track_experiment_get(ctx->db, p.arg, &e,
			    &err) < 0) {
				rc = mlp_fail(ctx, &err);
				goto out;
			}
			mlp_grow(&exps, &nexps_alloc, nexps + 1, sizeof(*exps));
			exps[nexps++] = e.id;
			mlp_experiment_release(&e);
			break;
		case O_FILTER:
			q.filter = p.arg;
			break;
		case O_ORDER:
			/* "--order-by metrics.auc desc" or one word with
			 * the direction inside */
			next = mlp_opt_peek(&p);
			if (next && (strcasecmp(next, "asc") == 0 ||
			    strcasecmp(next, "desc") == 0)) {
				mlp_strv_push_owned(&orders, xasprintf("%s %s",
				    p.arg, next));
				mlp_opt_skip(&p);
			} else {
				mlp_strv_push(&orders, p.arg);
			}
			break;
		case O_LIMIT:
			if (mlp_parse_int64(p.arg, &q.limit) < 0 ||
			    q.limit < 0) {
				rc = mlp_usage_error(ctx, "--limit '%s' is not "
				    "a whole number", p.arg);
				goto out;
			}
			break;
		case O_COLUMNS:
			columns = p.arg;
			break;
		case O_CSV:
			csv = 1;
			break;
		case O_RALL:
			q.view = MLP_VIEW_ALL;
			break;
		case O_RDELETED:
			q.view = MLP_VIEW_DELETED;
			break;
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		goto out;
	}
	order = xcalloc(orders.n + 1, sizeof(*order));
	for (size_t i = 0; i < orders.n; i++) {
		char *s = orders.v[i], *end = s + strlen(s), *sp;

		while (end > s && isspace((unsigned char)end[-1]))
			*--end = '\0';
		sp = strrchr(s, ' ');
		if (sp && (strcasecmp(sp + 1, "asc") == 0 ||
		    strcasecmp(sp + 1, "desc") == 0)) {
			order[nord].desc = strcasecmp(sp + 1, "desc") == 0;
			*sp = '\0';
		}
		if (mlp_field_parse(s, &order[nord].field, &err) < 0) {
			rc = syntax_error(ctx, "bad --order-by", s, &err);
			goto out;
		}
		nord++;
	}
	if (columns && split_columns(columns, &colnames) < 0) {
		rc = mlp_usage_error(ctx, "--columns: unterminated quote");
		goto out;
	}
	/* without --columns: the defaults, then the sort keys */
	if (!columns)
		for (size_t i = 0; i < orders.n; i++)
			mlp_strv_push(&colnames, orders.v[i]);
	cols = xcalloc(colnames.n + 1, sizeof(*cols));
	for (size_t i = 0; i < colnames.n; i++) {
		if (mlp_field_parse(colnames.v[i], &cols[ncols], &err) < 0) {
			rc = syntax_error(ctx, "bad --columns", colnames.v[i],
			    &err);
			goto out;
		}
		ncols++;
	}
	q.experiments = exps;
	q.nexperiments = nexps;
	q.order = order;
	q.norder = nord;
	q.columns = cols;
	q.ncolumns = ncols;
	rs.ctx = ctx;
	rs.cols = cols;
	rs.ncols = ncols;
	rs.csv = csv;
	rs.defaults = !columns;
	rs.now = mlp_now_ms();
	if (ctx->json) {
		rs.json = cJSON_CreateArray();
	} else {
		size_t n = (rs.defaults ? NDEFAULT : 0) + ncols, k = 0;
		const char **hdr = xcalloc(n, sizeof(*hdr));

		if (rs.defaults) {
			hdr[k++] = csv ? "run_id" : "RUN";
			hdr[k++] = csv ? "run_name" : "NAME";
			hdr[k++] = csv ? "status" : "STATUS";
			hdr[k++] = csv ? "start_time" : "STARTED";
			hdr[k++] = csv ? "duration_ms" : "DURATION";
		}
		for (size_t i = 0; i < ncols; i++)
			hdr[k++] = colnames.v[i];
		if (csv) {
			rs.hdr = hdr;
			rs.nhdr = n;
		} else {
			mlp_table_init(&rs.table, n, hdr);
			for (size_t i = 0; i < ncols; i++)
				rs.table.right[k - ncols + i] =
				    cols[i].kind == MLP_FIELD_METRIC;
			free(hdr);
		}
	}
	reconcile(ctx, NULL);
	r = mlp_track_search(ctx->db, &q, runs_row, &rs, &err);
	if (r == MLP_ESYNTAX) {
		rc = syntax_error(ctx, "bad --filter", q.filter, &err);
	} else if (r < 0) {
		rc = mlp_fail(ctx, &err);
	} else if (r > 0) {
		rc = r;
	} else if (rs.json) {
		mlp_print_json(rs.json);
		rs.json = NULL;
	} else if (csv) {
		csv_header(&rs);
	} else {
		mlp_table_print(ctx, &rs.table);
	}
	free(rs.hdr);
	cJSON_Delete(rs.json);
	if (!ctx->json && !csv)
		mlp_table_release(&rs.table);
out:
	for (size_t i = 0; i < nord; i++)
		mlp_field_release(&order[i].field);
	for (size_t i = 0; i < ncols; i++)
		mlp_field_release(&cols[i]);
	free(order);
	free(cols);
	free(exps);
	mlp_strv_release(&colnames);
	mlp_strv_release(&orders);
	mlp_opt_release(&p);
	return rc;
}

/* show, compare */

static int
load_runs(struct mlp_ctx *ctx, int n, char **refs, struct mlp_run ***out)
{
	struct mlp_run **runs = xcalloc((size_t)n, sizeof(*runs));
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	for (int i = 0; i < n; i++) {
		struct mlp_run_info ri;

		if ((rc = resolve_run(ctx, refs[i], &ri)) != 0)
			goto fail;
		if (strcmp(ri.status, "RUNNING") == 0)
			reconcile(ctx, ri.uuid);
		if (mlp_track_run_get(ctx->db, ri.uuid, &runs[i], &err) < 0) {
			mlp_run_info_release(&ri);
			rc = mlp_fail(ctx, &err);
			goto fail;
		}
		mlp_run_info_release(&ri);
	}
	*out = runs;
	return 0;
fail:
	for (int i = 0; i < n; i++)
		mlp_run_free(runs[i]);
	free(runs);
	return rc;
}

static void
free_runs(struct mlp_run **runs, int n)
{
	for (int i = 0; i < n; i++)
		mlp_run_free(runs[i]);
	free(runs);
}

/* Prints text on one line, control characters escaped as tables show
 * them. */
static void
print_shown(const char *before, const char *text, const char *after)
{
	char *s = mlp_display(text);

	printf("%s%s%s", before, s, after);
	free(s);
}

static int
track_show(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run **runs = NULL;
	struct mlp_run *r;
	char t1[32], t2[32], dur[32], v[64];
	int rc;

	mlp_opt_init(&p, ctx, argc, argv);
	while ((rc = mlp_opt_next(&p)) != 0) {
		mlp_opt_release(&p);
		return OPT_EXIT(rc);
	}
	if (p.npos != 1) {
		rc = mlp_usage_error(ctx, p.npos ? "give one RUN" :
		    "missing RUN");
		mlp_opt_release(&p);
		return rc;
	}
	if ((rc = load_runs(ctx, 1, p.pos, &runs)) != 0) {
		mlp_opt_release(&p);
		return rc;
	}
	r = runs[0];
	if (ctx->json) {
		mlp_print_json(run_json(r));
		goto out;
	}
	mlp_fmt_time(r->info.start_time, t1, sizeof(t1));
	if (r->info.end_time)
		mlp_fmt_time(r->info.end_time, t2, sizeof(t2));
	mlp_fmt_duration((r->info.end_time ? r->info.end_time : mlp_now_ms()) -
	    r->info.start_time, dur, sizeof(dur));
	printf("%srun %s%s\n", mlp_color(ctx, C_YELLOW), r->info.uuid,
	    mlp_color(ctx, C_RESET));
	print_shown("name:        ", r->info.name, "\n");
	print_shown("experiment:  ", r->info.experiment_name, "");
	printf(" (%lld)\n", (long long)r->info.experiment);
	printf("status:      %s%s\n", r->info.status,
	    strcmp(r->info.lifecycle, "active") ? " (deleted)" : "");
	print_shown("user:        ", r->info.user, "\n");
	printf("started:     %s\n", t1);
	if (r->info.end_time)
		printf("ended:       %s (%s)\n", t2, dur);
	else
		printf("running for: %s\n", dur);
	if (r->nparams) {
		printf("\n%sparams%s\n", mlp_color(ctx, C_BOLD),
		    mlp_color(ctx, C_RESET));
		for (size_t i = 0; i < r->nparams; i++) {
			printf("  %-24s ", r->params[i].key);
			print_shown("", r->params[i].value, "\n");
		}
	}
	if (r->nmetrics) {
		printf("\n%smetrics%s (latest)\n", mlp_color(ctx, C_BOLD),
		    mlp_color(ctx, C_RESET));
		for (size_t i = 0; i < r->nmetrics; i++) {
			fmt_num(r->metrics[i].value, v, sizeof(v));
			printf("  %-24s %-14s step %lld\n", r->metrics[i].key,
			    v, (long long)r->metrics[i].step);
		}
	}
	if (r->ntags) {
		printf("\n%stags%s\n", mlp_color(ctx, C_BOLD),
		    mlp_color(ctx, C_RESET));
		for (size_t i = 0; i < r->ntags; i++) {
			printf("  %-24s ", r->tags[i].key);
			print_shown("", r->tags[i].value, "\n");
		}
	}
out:
	free_runs(runs, 1);
	mlp_opt_release(&p);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted union of param (or metric) keys across runs, for compare. */
static void
key_union(struct mlp_run **runs, int n, int metrics, struct mlp_strv *out)
{
	size_t w = 0;

	for (int i = 0; i < n; i++) {
		size_t cnt = metrics ? runs[i]->nmetrics : runs[i]->nparams;

		for (size_t j = 0; j < cnt; j++)
			mlp_strv_push(out, metrics ? runs[i]->metrics[j].key :
			    runs[i]->params[j].key);
	}
	if (out->n == 0)
		return;
	qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	for (size_t r = 1; r < out->n; r++) {
		if (strcmp(out->v[r], out->v[w]) == 0)
			free(out->v[r]);
		else
			out->v[++w] = out->v[r];
	}
	out->n = w + 1;
	out->v[out->n] = NULL;
}

static const char *
param_of(const struct mlp_run *r, const char *k)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].key, k) == 0)
			return r->params[i].value;
	return NULL;
}

static const struct mlp_metric *
metric_of(const struct mlp_run *r, const char *k)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		if (strcmp(r->metrics[i].key, k) == 0)
			return &r->metrics[i];
	return NULL;
}

static int
track_compare(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run **runs = NULL;
	struct mlp_strv pk = MLP_STRV_INIT, mk = MLP_STRV_INIT;
	struct mlp_table t;
	const char **row;
	char **vals;
	int n, rc;

	mlp_opt_init(&p, ctx, argc, argv);
	while ((rc = mlp_opt_next(&p)) != 0) {
		mlp_opt_release(&p);
		return OPT_EXIT(rc);
	}
	if (p.npos < 2) {
		rc = mlp_usage_error(ctx, "give at least two runs");
		mlp_opt_release(&p);
		return rc;
	}
	n = p.npos;
	if ((rc = load_runs(ctx, n, p.pos, &runs)) != 0) {
		mlp_opt_release(&p);
		return rc;
	}
	key_union(runs, n, 0, &pk);
	key_union(runs, n, 1, &mk);
	vals = xcalloc((size_t)n, sizeof(*vals));
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *ids, *diff;

		ids = cJSON_AddArrayToObject(o, "runs");
		for (int i = 0; i < n; i++)
			cJSON_AddItemToArray(ids,
			    cJSON_CreateString(runs[i]->info.uuid));
		diff = cJSON_CreateArray();
		for (int pass = 0; pass < 2; pass++) {
			struct mlp_strv *keys = pass ? &mk : &pk;
			cJSON *sect = cJSON_AddObjectToObject(o, pass ?
			    "metrics" : "params");

			for (size_t k = 0; k < keys->n; k++) {
				cJSON *a = cJSON_AddArrayToObject(sect,
				    keys->v[k]), *first = NULL;
				int same = 1;

				for (int i = 0; i < n; i++) {
					const struct mlp_metric *m = pass ?
					    metric_of(runs[i], keys->v[k]) : NULL;
					const char *v = pass ? NULL :
					    param_of(runs[i], keys->v[k]);
					cJSON *item = pass ? (m ?
					    metric_json(m->value) :
					    cJSON_CreateNull()) : (v ?
					    cJSON_CreateString(v) :
					    cJSON_CreateNull());

					if (first && !cJSON_Compare(first, item, 1))
						same = 0;
					cJSON_AddItemToArray(a, item);
					if (!first)
						first = item;
				}
				if (!same) {
					char *dk = xasprintf("%s.%s", pass ?
					    "metrics" : "params", keys->v[k]);

					cJSON_AddItemToArray(diff,
					    cJSON_CreateString(dk));
					free(dk);
				}
			}
		}
		cJSON_AddItemToObject(o, "differs", diff);
		mlp_print_json(o);
		goto out;
	}
	{
		const char **hdr = xcalloc((size_t)n + 2, sizeof(*hdr));
		char **names = xcalloc((size_t)n, sizeof(*names));

		hdr[0] = "";
		hdr[1] = "";
		for (int i = 0; i < n; i++) {
			names[i] = xstrndup(runs[i]->info.uuid, 8);
			hdr[i + 2] = names[i];
		}
		mlp_table_init(&t, (size_t)n + 2, hdr);
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		free(hdr);
	}
	row = xcalloc((size_t)n + 2, sizeof(*row));
	row[0] = "";
	row[1] = "name";
	for (int i = 0; i < n; i++)
		row[i + 2] = runs[i]->info.name;
	mlp_table_add(&t, row);
	row[1] = "status";
	for (int i = 0; i < n; i++)
		row[i + 2] = runs[i]->info.status;
	mlp_table_add(&t, row);
	for (int pass = 0; pass < 2; pass++) {
		struct mlp_strv *keys = pass ? &mk : &pk;

		for (size_t k = 0; k < keys->n; k++) {
			char *label = xasprintf("%s.%s", pass ? "metrics" :
			    "params", keys->v[k]);
			int same = 1;

			for (int i = 0; i < n; i++) {
				if (pass) {
					const struct mlp_metric *m =
					    metric_of(runs[i], keys->v[k]);
					char b[64] = "";

					if (m)
						fmt_num(m->value, b, sizeof(b));
					vals[i] = xstrdup(m ? b : "-");
				} else {
					const char *v = param_of(runs[i],
					    keys->v[k]);

					vals[i] = xstrdup(v ? v : "-");
				}
				if (strcmp(vals[i], vals[0]) != 0)
					same = 0;
				row[i + 2] = vals[i];
			}
			row[0] = same ? "" : "*";
			row[1] = label;
			mlp_table_add(&t, row);
			if (!same)
				for (int i = 0; i < n + 2; i++)
					mlp_table_set_color(&t, t.nrows - 1,
					    (size_t)i, C_YELLOW);
			for (int i = 0; i < n; i++)
				free(vals[i]);
			free(label);
		}
	}
	for (int i = 0; i < n; i++)
		t.right[i + 2] = 0;
	mlp_table_print(ctx, &t);
	mlp_table_release(&t);
	free(row);
out:
	free(vals);
	mlp_strv_release(&pk);
	mlp_strv_release(&mk);
	free_runs(runs, n);
	mlp_opt_release(&p);
	return 0;
}

/* history, plot */

static const struct mlp_opt history_opts[] = {
	{ O_CSV, 0, "csv", NULL, "print CSV" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
track_history(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run_info ri = { 0 };
	struct mlp_metric *pts = NULL;
	struct mlp_err err;
	size_t n = 0;
	int r, rc = 0, csv = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_CSV) {
			csv = 1;
			continue;
		}
		mlp_opt_release(&p);
		return OPT_EXIT(r);
	}
	if (p.npos != 2) {
		rc = mlp_usage_error(ctx, "give RUN and METRIC");
		goto out;
	}
	if ((rc = resolve_run(ctx, p.pos[0], &ri)) != 0)
		goto out;
	if (mlp_track_metric_history(ctx->db, ri.uuid, p.pos[1], &pts, &n,
	    &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "key", p.pos[1]);
			cJSON_AddItemToObject(o, "value",
			    metric_json(pts[i].value));
			cJSON_AddNumberToObject(o, "step", (double)pts[i].step);
			cJSON_AddNumberToObject(o, "timestamp",
			    (double)pts[i].ts);
			cJSON_AddItemToArray(arr, o);
		}
		mlp_print_json(arr);
	} else if (csv) {
		char v[64];

		printf("step,value,timestamp\n");
		for (size_t i = 0; i < n; i++) {
			fmt_num(pts[i].value, v, sizeof(v));
			printf("%lld,%s,%lld\n", (long long)pts[i].step, v,
			    (long long)pts[i].ts);
		}
	} else {
		static const char *const hdr[] = { "STEP", "VALUE", "TIME" };
		struct mlp_table t;

		/* columns as wide as their widest value (a 17-digit value
		 * included) */
		mlp_table_init(&t, 3, hdr);
		t.right[0] = t.right[1] = 1;
		for (size_t i = 0; i < n; i++) {
			char st[32], v[64], ts[32];
			const char *row[3] = { st, v, ts };

			snprintf(st, sizeof(st), "%lld", (long long)pts[i].step);
			fmt_num(pts[i].value, v, sizeof(v));
			mlp_fmt_time(pts[i].ts, ts, sizeof(ts));
			mlp_table_add(&t, row);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	free(pts);
	mlp_run_info_release(&ri);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt plot_opts[] = {
	{ O_METRIC, 'm', "metric", "METRIC", "the metric to plot (required)" },
	{ O_SVG, 0, "svg", "FILE", "write an SVG file instead" },
	{ O_WIDTH, 'W', "width", "N", "columns (SVG: pixels)" },
	{ O_HEIGHT, 'H', "height", "N", "rows (SVG: pixels)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
track_plot(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_plot_opts po = { 0 };
	struct mlp_series *series = NULL;
	struct mlp_buf out = MLP_BUF_INIT;
	const char *metric = NULL, *svg = NULL;
	struct mlp_err err;
	char **labels = NULL;
	int r, rc = 0, n = 0;
	int64_t w = 0, h = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		switch (r) {
		case O_METRIC:
			metric = p.arg;
			break;
		case O_SVG:
			svg = p.arg;
			break;
		case O_WIDTH:
		case O_HEIGHT:
			if (mlp_parse_int64(p.arg, r == O_WIDTH ? &w : &h) < 0 ||
			    (r == O_WIDTH ? w : h) <= 0 ||
			    (r == O_WIDTH ? w : h) > 10000) {
				rc = mlp_usage_error(ctx, "--%s '%s' is not a "
				    "size", r == O_WIDTH ? "width" : "height",
				    p.arg);
				goto out;
			}
			break;
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if (!metric || p.npos < 1) {
		rc = mlp_usage_error(ctx, !metric ? "give the metric with -m "
		    "METRIC" : "give at least one RUN");
		goto out;
	}
	series = xcalloc((size_t)p.npos, sizeof(*series));
	labels = xcalloc((size_t)p.npos, sizeof(*labels));
	for (n = 0; n < p.npos; n++) {
		struct mlp_run_info ri;
		struct mlp_metric *pts = NULL;
		size_t np = 0;
		double *x, *y;

		if ((rc = resolve_run(ctx, p.pos[n], &ri)) != 0)
			goto out;
		if (mlp_track_metric_history(ctx->db, ri.uuid, metric, &pts,
		    &np, &err) < 0) {
			mlp_run_info_release(&ri);
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		x = xcalloc(np + 1, sizeof(*x));
		y = xcalloc(np + 1, sizeof(*y));
		for (size_t i = 0; i < np; i++) {
			x[i] = (double)pts[i].step;
			y[i] = pts[i].value;
		}
		free(pts);
		{
			char *name = mlp_display(ri.name);

			labels[n] = xasprintf("%.8s %s", ri.uuid, name);
			free(name);
		}
		series[n].label = labels[n];
		series[n].x = x;
		series[n].y = y;
		series[n].n = np;
		mlp_run_info_release(&ri);
	}
	po.width = (int)w;
	po.height = (int)h;
	po.title = metric;
	po.xlabel = "step";
	po.ylabel = NULL;
	po.color = ctx->color && !svg;
	r = svg ? mlp_plot_svg(&out, series, (size_t)n, &po, &err) :
	    mlp_plot_text(&out, series, (size_t)n, &po, &err);
	if (r < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (svg && strcmp(svg, "-") != 0) {
		if (mlp_write_file(svg, out.s, out.len, &err) < 0) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		mlp_info(ctx, "wrote %s", svg);
	} else {
		fwrite(out.s, 1, out.len, stdout);
	}
out:
	for (int i = 0; i < n; i++) {
		free((void *)series[i].x);
		free((void *)series[i].y);
		free(labels[i]);
	}
	free(series);
	free(labels);
	mlp_buf_release(&out);
	mlp_opt_release(&p);
	return rc;
}

/* rm, restore, gc */

static int
lifecycle_verb(struct mlp_ctx *ctx, int argc, char **argv, int del)
{
	struct mlp_optparse p;
	struct mlp_err err;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		mlp_opt_release(&p);
		return OPT_EXIT(r);
	}
	if (p.npos < 1) {
		rc = mlp_usage_error(ctx, "give at least one RUN");
		goto out;
	}
	for (int i = 0; i < p.npos; i++) {
		struct mlp_run_info ri;

		if ((rc = resolve_run(ctx, p.pos[i], &ri)) != 0)
			goto out;
		r = del ? mlp_track_run_delete(ctx->db, ri.uuid, &err) :
		    mlp_track_run_restore(ctx->db, ri.uuid, &err);
		mlp_run_info_release(&ri);
		if (r < 0) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
	}
out:
	mlp_opt_release(&p);
	return rc;
}

static int
track_rm(struct mlp_ctx *ctx, int argc, char **argv)
{
	return lifecycle_verb(ctx, argc, argv, 1);
}

static int
track_restore(struct mlp_ctx *ctx, int argc, char **argv)
{
	return lifecycle_verb(ctx, argc, argv, 0);
}

static const struct mlp_opt gc_opts[] = {
	{ O_OLDER, 0, "older-than", "AGE", "only what was deleted at least "
	    "AGE ago (e.g. 30d, 12h, 90m, 45s; default: everything)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
track_gc(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_strv purged = MLP_STRV_INIT;
	struct mlp_err err;
	int64_t older = 0, nruns, nexps;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_OLDER) {
			if (mlp_parse_age_ms(p.arg, &older) < 0) {
				rc = mlp_usage_error(ctx, "--older-than '%s' is "
				    "not an age like 30d, 12h or 90m", p.arg);
				goto out;
			}
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		goto out;
	}
	if (mlp_track_gc(ctx->db, older, &nruns, &nexps, &purged, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	/* what mlp train kept beside each run: checkpoints, its spec, a
	 * Slurm job's output */
	for (size_t i = 0; i < purged.n; i++) {
		char *dir = xasprintf("%s/checkpoints/%s", ctx->repo->dir,
		    purged.v[i]);

		if (mlp_remove_tree(dir, &err) < 0)
			rc = mlp_fail(ctx, &err);	/* said; go on */
		free(dir);
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "runs", (double)nruns);
		cJSON_AddNumberToObject(o, "experiments", (double)nexps);
		mlp_print_json(o);
	} else {
		mlp_info(ctx, "removed %lld %s and %lld %s",
		    (long long)nruns, mlp_plural(nruns, "run", "runs"),
		    (long long)nexps, mlp_plural(nexps, "experiment",
		    "experiments"));
	}
out:
	mlp_strv_release(&purged);
	mlp_opt_release(&p);
	return rc;
}

/* artifact, artifacts */

enum { O_AS = 100 };

static const struct mlp_opt artifact_opts[] = {
	{ O_AS, 0, "as", "NAME", "the artifact's name in the run (default: "
	    "the file or directory name; one PATH only)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
track_artifact(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run_info ri = { 0 };
	struct mlp_store *st;
	struct mlp_err err;
	const char *as = NULL, *run = NULL;
	char **paths;
	int r, rc = 0, npaths;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_AS) {
			as = p.arg;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	/* [RUN] PATH...: the first word is a run when it resolves as one and
	 * is not also a file */
	paths = p.pos;
	npaths = p.npos;
	if (npaths >= 2 || (npaths == 1 && getenv("MLP_RUN_ID") == NULL)) {
		if (access(p.pos[0], F_OK) != 0 || npaths >= 2) {
			run = p.pos[0];
			paths++;
			npaths--;
		}
	}
	if (npaths < 1) {
		rc = mlp_usage_error(ctx, "give a PATH to store");
		goto out;
	}
	if (as && npaths > 1) {
		rc = mlp_usage_error(ctx, "--as goes with one PATH");
		goto out;
	}
	if ((rc = resolve_run(ctx, run, &ri)) != 0 ||
	    (rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	for (int i = 0; i < npaths; i++) {
		struct mlp_put_stats stats = { 0 };
		struct mlp_oid oid;
		char hex[65], *base, *name;
		int is_tree;
		size_t len = strlen(paths[i]);

		while (len > 1 && paths[i][len - 1] == '/')
			len--;
		base = xstrndup(paths[i], len);
		name = xstrdup(as ? as : strrchr(base, '/') ?
		    strrchr(base, '/') + 1 : base);
		r = mlp_track_check_artifact_path(name, &err);
		if (r == 0)
			r = mlp_store_put_path(st, paths[i], &oid, &is_tree,
			    &stats, &err);
		if (r == 0) {
			mlp_oid_fmt(&oid, hex);
			r = mlp_track_artifact_add(ctx->db, ri.uuid, name, hex,
			    is_tree, stats.bytes, &err);
		}
		if (r == 0 && ctx->verbose)
			mlp_info(ctx, "%s -> runs:/%s/%s (%.12s)", paths[i],
			    ri.uuid, name, hex);
		free(base);
		free(name);
		if (r < 0) {
			rc = mlp_fail(ctx, &err);
			if (!as && strstr(err.msg, "artifact name"))
				mlp_hint(ctx, "name it in the run with --as "
				    "NAME");
			goto out;
		}
	}
out:
	mlp_run_info_release(&ri);
	mlp_opt_release(&p);
	return rc;
}

static int
track_artifacts(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_run_info ri = { 0 };
	struct mlp_artifact *a = NULL;
	struct mlp_err err;
	size_t n = 0;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos > 1) {
		rc = mlp_usage_error(ctx, "too many arguments");
		goto out;
	}
	if ((rc = resolve_run(ctx, p.npos ? p.pos[0] : NULL, &ri)) != 0)
		goto out;
	if (mlp_track_artifacts(ctx->db, ri.uuid, &a, &n, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			char *uri = xasprintf("runs:/%s/%s", ri.uuid, a[i].path);

			cJSON_AddStringToObject(o, "path", a[i].path);
			cJSON_AddStringToObject(o, "uri", uri);
			cJSON_AddBoolToObject(o, "is_dir", a[i].is_tree);
			cJSON_AddNumberToObject(o, "file_size", (double)a[i].size);
			cJSON_AddStringToObject(o, "object", a[i].oid);
			cJSON_AddItemToArray(arr, o);
			free(uri);
		}
		mlp_print_json(arr);
	} else {
		static const char *const hdr[] = { "PATH", "KIND", "SIZE",
			"OBJECT" };
		struct mlp_table t;

		mlp_table_init(&t, 4, hdr);
		t.right[2] = 1;
		for (size_t i = 0; i < n; i++) {
			char size[32], obj[16];
			const char *row[4] = { a[i].path, a[i].is_tree ? "dir" :
				"file", size, obj };

			mlp_fmt_bytes(a[i].size, size, sizeof(size));
			snprintf(obj, sizeof(obj), "%.12s", a[i].oid);
			mlp_table_add(&t, row);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	mlp_artifacts_free(a, n);
	mlp_run_info_release(&ri);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_verb verbs[] = {
	{ "start", track_start, start_opts, "",
	    "Start a run and print its id" },
	{ "end", track_end, end_opts, "[RUN]",
	    "End a run with a status (default finished)" },
	{ "log", track_log, log_opts, "[RUN]",
	    "Log params, metrics and tags to a run" },
	{ "runs", track_runs, runs_opts, "", "List and search runs" },
	{ "show", track_show, none_opts, "RUN",
	    "Show a run's attributes, params, metrics and tags" },
	{ "compare", track_compare, none_opts, "RUN RUN...",
	    "Compare runs side by side" },
	{ "history", track_history, history_opts, "RUN METRIC",
	    "Print every point of a metric" },
	{ "plot", track_plot, plot_opts, "RUN...",
	    "Plot a metric against step (terminal or SVG)" },
	{ "artifact", track_artifact, artifact_opts, "[RUN] PATH...",
	    "Store files or directories as run artifacts (runs:/RUN/NAME)" },
	{ "artifacts", track_artifacts, none_opts, "[RUN]",
	    "List a run's artifacts" },
	{ "rm", track_rm, none_opts, "RUN...", "Delete runs (restorable)" },
	{ "restore", track_restore, none_opts, "RUN...",
	    "Restore deleted runs" },
	{ "gc", track_gc, gc_opts, "",
	    "Permanently remove deleted runs and experiments" },
	{ "experiments", track_experiments, experiments_opts, "",
	    "List experiments" },
	{ "experiment create", track_exp_create, none_opts, "NAME",
	    "Create an experiment" },
	{ "experiment rename", track_exp_rename, none_opts, "EXP NEW_NAME",
	    "Rename an experiment" },
	{ "experiment rm", track_exp_rm, none_opts, "EXP",
	    "Delete an experiment (restorable)" },
	{ "experiment restore", track_exp_restore, none_opts, "EXP",
	    "Restore a deleted experiment" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct mlp_command cmd_track = {
	.name = "track",
	.run = NULL,
	.setup = NEED_REPO,
	.summary = "Record and query experiment runs",
	.opts = NULL,
	.args = NULL,
	.verbs = verbs,
};
