/* mlp feature: the feature store. Specs into the catalog (plan, apply),
 * and what it holds (list, show); rows into the offline store (ingest) and
 * point-in-time training sets out of it (dataset); the online store's
 * records (materialize), values (get) and events streamed into both
 * (push); a view's batches merged (compact). A verb is a row of verbs[]
 * and one function. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feature/feature.h"
#include "track/track.h"
#include "cmd.h"

enum { O_FORCE = 1, O_KIND, O_DETAILED, O_SPINE, O_FEATURES, O_SERVICE,
	O_OUTPUT, O_TSCOL, O_TSFMT, O_FULL, O_FILTER, O_START, O_END, O_INCR,
	O_ONLINE, O_KEY, O_AT, O_FOLLOW, O_TO };

static int
usage_args(struct mlp_ctx *ctx, struct mlp_optparse *p, int min, int max)
{
	if (p->npos < min || (max >= 0 && p->npos > max))
		return mlp_usage_error(ctx, p->npos < min ? "missing %s" :
		    "too many arguments (expected %s)", ctx->verb->args);
	return 0;
}

/* --kind's value into *kind. */
static int
parse_kind(struct mlp_ctx *ctx, const char *s, int *kind)
{
	enum mlp_fkind k;

	if (mlp_fkind_parse(s, &k) < 0)
		return mlp_usage_error(ctx, "--kind '%s': expected entity, "
		    "source, view or service", s);
	*kind = (int)k;
	return 0;
}

/* Specs: the files and directories given, else features.yaml here, else
 * the directory features/. */
static int
load_specs(struct mlp_ctx *ctx, struct mlp_optparse *p,
    struct mlp_fspec **out)
{
	static const char *const defaults[] = { "features.yaml", "features" };
	const char *const *paths = (const char *const *)p->pos;
	size_t n = (size_t)p->npos;
	struct mlp_err err;
	struct stat st;

	if (n == 0) {
		for (size_t i = 0; i < 2 && n == 0; i++)
			if (stat(defaults[i], &st) == 0) {
				paths = &defaults[i];
				n = 1;
			}
		if (n == 0) {
			mlp_failf(ctx, 2, "no spec given, and no features.yaml "
			    "or features/ here");
			mlp_hint(ctx, "name the spec files or directories: "
			    "mlp %s FILE|DIR...", ctx->cmd);
			return 2;
		}
	}
	mlp_err_clear(&err);
	if (mlp_fspec_load(paths, n, ctx->repo->root, out, &err) < 0)
		return mlp_fail(ctx, &err);
	return 0;
}

/* plan and apply */

static cJSON *
plan_json(const struct mlp_fplan *pl)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o,
	    "changes");

	for (size_t i = 0; i < pl->n; i++) {
		const struct mlp_fchange *c = &pl->changes[i];
		cJSON *x, *l;

		if (c->action == MLP_FA_NONE)
			continue;
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "action", mlp_faction_name(c->action));
		cJSON_AddStringToObject(x, "kind", mlp_fkind_name(c->kind));
		cJSON_AddStringToObject(x, "name", c->name);
		if (c->from_version)
			cJSON_AddNumberToObject(x, "from_version",
			    (double)c->from_version);
		else
			cJSON_AddNullToObject(x, "from_version");
		cJSON_AddNumberToObject(x, "version", (double)c->version);
		l = cJSON_AddArrayToObject(x, "fields");
		for (size_t j = 0; j < c->nfields; j++)
			cJSON_AddItemToArray(l, cJSON_CreateString(
			    c->fields[j]));
		l = cJSON_AddArrayToObject(x, "breaking");
		for (size_t j = 0; j < c->nbreaking; j++)
			cJSON_AddItemToArray(l, cJSON_CreateString(
			    c->breaking[j]));
		if (c->pos.file) {
			cJSON_AddStringToObject(x, "file", c->pos.file);
			cJSON_AddNumberToObject(x, "line", c->pos.line);
			cJSON_AddNumberToObject(x, "column", c->pos.col);
		}
		cJSON_AddItemToArray(a, x);
	}
	cJSON_AddNumberToObject(o, "create", (double)pl->ncreate);
	cJSON_AddNumberToObject(o, "update", (double)pl->nupdate);
	cJSON_AddNumberToObject(o, "delete", (double)pl->ndelete);
	cJSON_AddNumberToObject(o, "unchanged", (double)pl->nunchanged);
	cJSON_AddNumberToObject(o, "breaking", (double)pl->nbreaking);
	return o;
}

/* "+ feature view driver_trips" lines, terraform's way. */
static void
print_changes(struct mlp_ctx *ctx, const struct mlp_fplan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		const struct mlp_fchange *c = &pl->changes[i];
		const char *sign = c->action == MLP_FA_CREATE ? "+" :
		    c->action == MLP_FA_UPDATE ? "~" : "-";
		const char *col = c->action == MLP_FA_CREATE ? C_GREEN :
		    c->action == MLP_FA_UPDATE ? C_YELLOW : C_RED;

		if (c->action == MLP_FA_NONE)
			continue;
		printf("%s%s %s %s%s", mlp_color(ctx, col), sign,
		    mlp_fkind_title(c->kind), c->name, mlp_color(ctx,
		    C_RESET));
		for (size_t j = 0; j < c->nfields; j++)
			printf("%s%s", j ? ", " : " (", c->fields[j]);
		printf("%s\n", c->nfields ? ")" : "");
		for (size_t j = 0; j < c->nbreaking; j++)
			printf("    %s! breaking:%s %s\n", mlp_color(ctx, C_RED),
			    mlp_color(ctx, C_RESET), c->breaking[j]);
	}
}

static int
changes_of(const struct mlp_fplan *pl)
{
	return pl->ncreate + pl->nupdate + pl->ndelete > 0;
}

static const struct mlp_opt plan_opts[] = {
	{ O_DETAILED, 0, "detailed-exitcode", NULL, "exit 2 when there are "
	    "changes (0 when none, 1 on errors)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
feature_plan(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_fplan *pl = NULL;
	struct mlp_err err;
	int o, rc = 0, detailed = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o = mlp_opt_next(&p)) != 0) {
		if (o == O_DETAILED) {
			detailed = 1;
			continue;
		}
		rc = OPT_EXIT(o);
		goto out;
	}
	if ((rc = load_specs(ctx, &p, &s)) != 0)
		goto out;
	if (mlp_fcatalog_plan(ctx->db, s, &pl, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		mlp_print_json(plan_json(pl));
	} else if (!changes_of(pl)) {
		printf("No changes. The catalog matches the specs.\n");
	} else {
		print_changes(ctx, pl);
		printf("\nPlan: %zu to create, %zu to update, %zu to delete.\n",
		    pl->ncreate, pl->nupdate, pl->ndelete);
		if (pl->nbreaking)
			printf("%zu breaking change%s: apply needs --force.\n",
			    pl->nbreaking, pl->nbreaking == 1 ? "" : "s");
	}
	rc = detailed && changes_of(pl) ? 2 : 0;
out:
	mlp_fplan_free(pl);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt apply_opts[] = {
	{ O_FORCE, 'f', "force", NULL, "make breaking changes too (a "
	    "feature's type, an entity's join keys, a view's entity)" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
feature_apply(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_fplan *pl = NULL;
	struct mlp_err err;
	char *user = NULL;
	int o, rc = 0, force = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o = mlp_opt_next(&p)) != 0) {
		if (o == O_FORCE) {
			force = 1;
			continue;
		}
		rc = OPT_EXIT(o);
		goto out;
	}
	if ((rc = load_specs(ctx, &p, &s)) != 0)
		goto out;
	user = mlp_track_user(ctx->repo);
	if (mlp_fcatalog_apply(ctx->db, s, force, user, &pl, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		if (pl && pl->nbreaking && !force)
			mlp_hint(ctx, "data recorded under the old definition "
			    "would no longer fit; 'mlp feature plan' lists the "
			    "breaking changes, apply --force makes them");
		goto out;
	}
	if (ctx->json) {
		mlp_print_json(plan_json(pl));
	} else if (!changes_of(pl)) {
		printf("No changes. The catalog matches the specs.\n");
	} else {
		print_changes(ctx, pl);
		printf("\nApplied: %zu created, %zu updated, %zu deleted.\n",
		    pl->ncreate, pl->nupdate, pl->ndelete);
	}
out:
	free(user);
	mlp_fplan_free(pl);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

/* list */

/* "driver_id (int), trip_id (string)" */
static void
keys_text(struct mlp_buf *b, const struct mlp_fentity *e)
{
	for (size_t i = 0; i < e->nkeys; i++)
		mlp_buf_addf(b, "%s%s (%s)", i ? ", " : "", e->join_keys[i],
		    mlp_ftype_name(e->key_types[i]));
}

/* What list shows of an object beside its name. */
static char *
detail(const struct mlp_fspec *s, enum mlp_fkind kind, const char *name)
{
	struct mlp_buf b = MLP_BUF_INIT;

	if (kind == MLP_FK_ENTITY && mlp_fspec_entity(s, name)) {
		keys_text(&b, mlp_fspec_entity(s, name));
	} else if (kind == MLP_FK_SOURCE && mlp_fspec_source(s, name)) {
		const struct mlp_fsource *src = mlp_fspec_source(s, name);

		mlp_buf_addf(&b, "%s (%s)", src->path, src->format ==
		    MLP_FFMT_JSONL ? "jsonl" : "csv");
	} else if (kind == MLP_FK_VIEW && mlp_fspec_view(s, name)) {
		const struct mlp_fview *v = mlp_fspec_view(s, name);
		size_t n = mlp_fview_noutputs(v);
		char ttl[48];

		mlp_duration_format(v->ttl, ttl);
		mlp_buf_addf(&b, "%zu feature%s of %s from %s, ttl %s", n,
		    n == 1 ? "" : "s", v->entity, v->source, v->ttl ? ttl :
		    "none");
	} else if (kind == MLP_FK_SERVICE && mlp_fspec_service(s, name)) {
		size_t n = mlp_fspec_service(s, name)->nrefs;

		mlp_buf_addf(&b, "%zu feature%s", n, n == 1 ? "" : "s");
	}
	return mlp_buf_detach(&b);
}

static const struct mlp_opt list_opts[] = {
	{ O_KIND, 'k', "kind", "KIND", "only objects of this kind: entity, "
	    "source, view or service" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
feature_list(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fobject *obj = NULL;
	struct mlp_fspec *s = NULL;
	struct mlp_err err;
	size_t n = 0;
	int o, rc = 0, kind = -1;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o = mlp_opt_next(&p)) != 0) {
		if (o == O_KIND) {
			if ((rc = parse_kind(ctx, p.arg, &kind)) != 0)
				goto out;
			continue;
		}
		rc = OPT_EXIT(o);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 0, 0)) != 0)
		goto out;
	if (mlp_fcatalog_list(ctx->db, kind, 0, &obj, &n, &err) < 0 ||
	    mlp_fcatalog_load(ctx->db, &s, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *a = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *x = cJSON_CreateObject();

			cJSON_AddStringToObject(x, "kind",
			    mlp_fkind_name(obj[i].kind));
			cJSON_AddStringToObject(x, "name", obj[i].name);
			cJSON_AddNumberToObject(x, "version",
			    (double)obj[i].version);
			cJSON_AddNumberToObject(x, "created",
			    (double)obj[i].created);
			cJSON_AddNumberToObject(x, "updated",
			    (double)obj[i].updated);
			cJSON_AddStringToObject(x, "updated_by", obj[i].user);
			cJSON_AddItemToObject(x, "spec",
			    cJSON_Parse(obj[i].spec));
			cJSON_AddItemToArray(a, x);
		}
		mlp_print_json(a);
	} else {
		static const char *const hdr[] = { "KIND", "NAME", "VERSION",
			"UPDATED", "DETAIL" };
		struct mlp_table t;

		mlp_table_init(&t, 5, hdr);
		t.right[2] = 1;
		for (size_t i = 0; i < n; i++) {
			char ver[32], upd[32], *d = detail(s, obj[i].kind,
			    obj[i].name);
			const char *row[5] = { mlp_fkind_name(obj[i].kind),
				obj[i].name, ver, upd, d };

			snprintf(ver, sizeof(ver), "%lld",
			    (long long)obj[i].version);
			mlp_fmt_time(obj[i].updated, upd, sizeof(upd));
			mlp_table_add(&t, row);
			free(d);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	mlp_fspec_free(s);
	mlp_fobjects_free(obj, n);
	mlp_opt_release(&p);
	return rc;
}

/* show */

/* The object named name (of kind, when kind >= 0) into *kind: a live one
 * first. Returns 0, or the exit code after saying why not. */
static int
find_object(struct mlp_ctx *ctx, const char *name, int *kind,
    int64_t *version, int *deleted)
{
	struct mlp_fobject *obj = NULL;
	struct mlp_err err;
	const struct mlp_fobject *live = NULL, *gone = NULL;
	size_t n = 0, nlive = 0;
	int rc = 0;

	mlp_err_clear(&err);
	if (mlp_check_utf8("name", name, &err) < 0 ||
	    mlp_fcatalog_list(ctx->db, *kind, 1, &obj, &n, &err) < 0)
		return mlp_fail(ctx, &err);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(obj[i].name, name) != 0)
			continue;
		if (obj[i].spec) {
			nlive++;
			if (!live)
				live = &obj[i];
		} else if (!gone) {
			gone = &obj[i];
		}
	}
	if (nlive > 1) {
		struct mlp_buf kinds = MLP_BUF_INIT;

		for (size_t i = 0; i < n; i++)
			if (obj[i].spec && strcmp(obj[i].name, name) == 0)
				mlp_buf_addf(&kinds, "%s%s %s", kinds.len ?
				    " and " : "", obj[i].kind == MLP_FK_ENTITY ?
				    "an" : "a", mlp_fkind_title(obj[i].kind));
		rc = mlp_failf(ctx, 2, "'%s' names %s", name,
		    mlp_buf_str(&kinds));
		mlp_hint(ctx, "say which with --kind");
		mlp_buf_release(&kinds);
	} else if (live || gone) {
		const struct mlp_fobject *x = live ? live : gone;

		*kind = (int)x->kind;
		*version = x->version;
		*deleted = !live;
	} else {
		const char *best = NULL;
		size_t bd = 3;

		for (size_t i = 0; i < n; i++) {
			size_t d = mlp_edit_distance(name, strlen(name),
			    obj[i].name, strlen(obj[i].name));

			if (obj[i].spec && d < bd && d < strlen(name)) {
				bd = d;
				best = obj[i].name;
			}
		}
		rc = mlp_failf(ctx, 1, "no %s named '%s' in the feature "
		    "catalog", *kind >= 0 ? mlp_fkind_title(*kind) :
		    "entity, source, feature view or service", name);
		if (best)
			mlp_hint(ctx, "did you mean '%s'?", best);
		else
			mlp_hint(ctx, "'mlp feature list' lists them");
	}
	mlp_fobjects_free(obj, n);
	return rc;
}

static const char *
out_kind(enum mlp_foutkind k)
{
	return k == MLP_FOUT_FEATURE ? "feature" : k == MLP_FOUT_AGG ?
	    "aggregation" : "derived";
}

/* What defines an output: "sum(fare) over 7d", "rating * 2". */
static char *
out_definition(const struct mlp_fview *v, const struct mlp_foutput *o)
{
	if (o->kind == MLP_FOUT_AGG) {
		const struct mlp_fagg *a = &v->aggs[o->index];
		/* the window as the spec spells it, the end of the name */
		const char *w = o->name + strlen(a->column) + 1 +
		    strlen(mlp_aggop_name(a->op)) + 1;

		return xasprintf("%s(%s) over %s", mlp_aggop_name(a->op),
		    a->column, w);
	}
	if (o->kind == MLP_FOUT_DERIVED)
		return xstrdup(v->derived[o->index].expr);
	return xstrdup("");
}

static cJSON *
history_json(const struct mlp_fversion *h, size_t nh)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < nh; i++) {
		cJSON *x = cJSON_CreateObject(), *c;
		const char *f = h[i].changed;

		cJSON_AddNumberToObject(x, "version", (double)h[i].version);
		cJSON_AddStringToObject(x, "action",
		    mlp_faction_name(h[i].action));
		c = cJSON_AddArrayToObject(x, "changed");
		while (*f) {
			size_t len = strcspn(f, ",");
			char *one = xstrndup(f, len);

			cJSON_AddItemToArray(c, cJSON_CreateString(one));
			free(one);
			f += len + (f[len] == ',');
		}
		cJSON_AddBoolToObject(x, "forced", h[i].forced);
		cJSON_AddStringToObject(x, "user", h[i].user);
		cJSON_AddNumberToObject(x, "timestamp", (double)h[i].ts);
		if (h[i].file) {
			cJSON_AddStringToObject(x, "file", h[i].file);
			cJSON_AddNumberToObject(x, "line", h[i].line);
			cJSON_AddNumberToObject(x, "column", h[i].col);
		} else {
			cJSON_AddNullToObject(x, "file");
		}
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static void
print_history(struct mlp_ctx *ctx, const struct mlp_fversion *h, size_t nh)
{
	static const char *const hdr[] = { "VERSION", "ACTION", "WHEN", "WHO",
		"CHANGED", "FROM" };
	struct mlp_table t;

	printf("\n%shistory%s\n", mlp_color(ctx, C_BOLD), mlp_color(ctx,
	    C_RESET));
	mlp_table_init(&t, 6, hdr);
	t.right[0] = 1;
	for (size_t i = 0; i < nh; i++) {
		char ver[32], when[32], *from = h[i].file ?
		    xasprintf("%s:%d:%d", h[i].file, h[i].line, h[i].col) :
		    xstrdup("");
		char *changed = xasprintf("%s%s", h[i].changed, h[i].forced ?
		    " (forced)" : "");
		const char *row[6] = { ver, mlp_faction_name(h[i].action),
			when, h[i].user, changed, from };

		snprintf(ver, sizeof(ver), "%lld", (long long)h[i].version);
		mlp_fmt_time(h[i].ts, when, sizeof(when));
		mlp_table_add(&t, row);
		free(from);
		free(changed);
	}
	mlp_table_print(ctx, &t);
	mlp_table_release(&t);
}

static void
print_view(struct mlp_ctx *ctx, const struct mlp_fspec *s,
    const struct mlp_fview *v)
{
	static const char *const hdr[] = { "FEATURE", "TYPE", "KIND",
		"DEFINITION" };
	const struct mlp_fentity *e = mlp_fspec_entity(s, v->entity);
	const struct mlp_fsource *src = mlp_fspec_source(s, v->source);
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_table t;
	char ttl[48];

	if (e)
		keys_text(&b, e);
	printf("entity:      %s, join keys %s\n", v->entity,
	    mlp_buf_str(&b));
	printf("source:      %s (%s)\n", v->source, src ? src->path : "?");
	mlp_duration_format(v->ttl, ttl);
	printf("ttl:         %s\n", v->ttl ? ttl : "none");
	if (v->description)
		printf("description: %s\n", v->description);
	for (size_t i = 0; i < v->ntags; i++)
		printf("%s%s=%s\n", i ? "             " : "tags:        ",
		    v->tag_keys[i], v->tag_values[i]);
	printf("\n");
	mlp_table_init(&t, 4, hdr);
	for (size_t i = 0; i < mlp_fview_noutputs(v); i++) {
		struct mlp_foutput o;
		char *def;

		mlp_fview_output(v, i, &o);
		def = out_definition(v, &o);
		{
			const char *row[4] = { o.name,
				mlp_ftype_name(o.type), out_kind(o.kind),
				*def ? def : "-" };

			mlp_table_add(&t, row);
		}
		free(def);
	}
	mlp_table_print(ctx, &t);
	mlp_table_release(&t);
	mlp_buf_release(&b);
}

static void
print_object(struct mlp_ctx *ctx, const struct mlp_fspec *s, int kind,
    const char *name)
{
	struct mlp_buf b = MLP_BUF_INIT;
	const char *desc = NULL;

	if (kind == MLP_FK_VIEW) {
		print_view(ctx, s, mlp_fspec_view(s, name));
		return;
	}
	if (kind == MLP_FK_ENTITY) {
		const struct mlp_fentity *e = mlp_fspec_entity(s, name);

		keys_text(&b, e);
		printf("join keys:   %s\n", mlp_buf_str(&b));
		desc = e->description;
	} else if (kind == MLP_FK_SOURCE) {
		const struct mlp_fsource *src = mlp_fspec_source(s, name);

		printf("path:        %s\n", src->path);
		printf("format:      %s\n", src->format == MLP_FFMT_JSONL ?
		    "jsonl" : "csv");
		printf("timestamp:   %s (%s)\n", src->timestamp,
		    mlp_tsfmt_name(src->tsfmt));
		if (src->created_timestamp)
			printf("created:     %s\n", src->created_timestamp);
		desc = src->description;
	} else {
		const struct mlp_fservice *sv = mlp_fspec_service(s, name);

		for (size_t i = 0; i < sv->nrefs; i++)
			printf("%s%s\n", i ? "             " : "features:    ",
			    sv->refs[i]);
		desc = sv->description;
	}
	if (desc)
		printf("description: %s\n", desc);
	mlp_buf_release(&b);
}

/* The outputs of view v, for --json. */
static cJSON *
outputs_json(const struct mlp_fview *v)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < mlp_fview_noutputs(v); i++) {
		struct mlp_foutput o;
		cJSON *x = cJSON_CreateObject();
		char *def;

		mlp_fview_output(v, i, &o);
		def = out_definition(v, &o);
		cJSON_AddStringToObject(x, "name", o.name);
		cJSON_AddStringToObject(x, "type", mlp_ftype_name(o.type));
		cJSON_AddStringToObject(x, "kind", out_kind(o.kind));
		if (*def)
			cJSON_AddStringToObject(x, "definition", def);
		else
			cJSON_AddNullToObject(x, "definition");
		cJSON_AddItemToArray(a, x);
		free(def);
	}
	return a;
}

/* The batches of a view, for --json. */
static cJSON *
batches_json(const struct mlp_fbatch_info *b, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();
		char t[48];

		cJSON_AddNumberToObject(x, "batch", (double)b[i].id);
		cJSON_AddNumberToObject(x, "version", (double)b[i].version);
		cJSON_AddStringToObject(x, "from", b[i].origin);
		cJSON_AddNumberToObject(x, "replaces", (double)b[i].replaces);
		cJSON_AddNumberToObject(x, "rows", (double)b[i].rows);
		cJSON_AddNumberToObject(x, "partitions", b[i].partitions);
		cJSON_AddNumberToObject(x, "segments", (double)b[i].segments);
		cJSON_AddNumberToObject(x, "bytes", (double)b[i].bytes);
		mlp_ts_format(b[i].min_ts, t);
		cJSON_AddStringToObject(x, "min_event_ts", t);
		mlp_ts_format(b[i].max_ts, t);
		cJSON_AddStringToObject(x, "max_event_ts", t);
		cJSON_AddStringToObject(x, "user", b[i].user);
		mlp_ts_format(b[i].created * 1000, t);
		cJSON_AddStringToObject(x, "created", t);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

/* Batches a view's text shows, the newest; --json lists all. */
#define SHOW_BATCHES 10

static void
print_batches(struct mlp_ctx *ctx, const struct mlp_fbatch_info *b,
    size_t n)
{
	static const char *const hdr[] = { "BATCH", "FROM", "ROWS",
		"SEGMENTS", "SIZE", "CREATED" };
	struct mlp_table t;
	uint64_t rows = 0;

	for (size_t i = 0; i < n; i++)
		rows += b[i].rows;
	printf("\n%sbatches%s", mlp_color(ctx, C_BOLD), mlp_color(ctx,
	    C_RESET));
	if (n == 0) {
		printf(": none, no ingested data\n");
		return;
	}
	printf(" of version %lld: %zu, %llu row%s\n", (long long)b[0].version,
	    n, (unsigned long long)rows, mlp_plural_s(rows));
	mlp_table_init(&t, 6, hdr);
	t.right[0] = t.right[2] = t.right[3] = t.right[4] = 1;
	for (size_t i = n > SHOW_BATCHES ? n - SHOW_BATCHES : 0; i < n; i++) {
		char id[24], nrows[24], segs[24], size[32], when[32];
		char *from = b[i].replaces ? xasprintf("%s (of %zu)",
		    b[i].origin, b[i].replaces) : xstrdup(b[i].origin);
		const char *row[6] = { id, from, nrows, segs, size, when };

		snprintf(id, sizeof(id), "%lld", (long long)b[i].id);
		snprintf(nrows, sizeof(nrows), "%llu",
		    (unsigned long long)b[i].rows);
		snprintf(segs, sizeof(segs), "%zu", b[i].segments);
		mlp_fmt_bytes(b[i].bytes, size, sizeof(size));
		mlp_fmt_time(b[i].created, when, sizeof(when));
		mlp_table_add(&t, row);
		free(from);
	}
	mlp_table_print(ctx, &t);
	mlp_table_release(&t);
	if (n > SHOW_BATCHES)
		printf("(and %zu older: mlp feature show --json lists them)\n",
		    n - SHOW_BATCHES);
}

static const struct mlp_opt show_opts[] = {
	{ O_KIND, 'k', "kind", "KIND", "the kind of object (entity, source, "
	    "view or service), when a name has several" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
feature_show(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_fversion *h = NULL;
	struct mlp_fbatch_info *b = NULL;
	struct mlp_err err;
	int64_t version = 0;
	size_t nh = 0, nb = 0;
	int o, rc = 0, kind = -1, deleted = 0;
	const char *name;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o = mlp_opt_next(&p)) != 0) {
		if (o == O_KIND) {
			if ((rc = parse_kind(ctx, p.arg, &kind)) != 0)
				goto out;
			continue;
		}
		rc = OPT_EXIT(o);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0 ||
	    (rc = find_object(ctx, p.pos[0], &kind, &version, &deleted)) != 0)
		goto out;
	name = p.pos[0];
	if (mlp_fcatalog_load(ctx->db, &s, &err) < 0 ||
	    mlp_fcatalog_history(ctx->db, kind, name, &h, &nh, &err) < 0 ||
	    (kind == MLP_FK_VIEW && !deleted && mlp_fbatch_list(ctx->db, name,
	    &b, &nb, &err) < 0)) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "kind", mlp_fkind_name(kind));
		cJSON_AddStringToObject(x, "name", name);
		cJSON_AddNumberToObject(x, "version", (double)version);
		cJSON_AddBoolToObject(x, "deleted", deleted);
		cJSON_AddItemToObject(x, "spec", deleted ? cJSON_CreateNull() :
		    cJSON_Parse(h[nh - 1].spec));
		if (kind == MLP_FK_VIEW && !deleted) {
			cJSON_AddItemToObject(x, "outputs",
			    outputs_json(mlp_fspec_view(s, name)));
			cJSON_AddItemToObject(x, "batches",
			    batches_json(b, nb));
		}
		cJSON_AddItemToObject(x, "history", history_json(h, nh));
		mlp_print_json(x);
		goto out;
	}
	printf("%s%s %s%s, version %lld%s\n", mlp_color(ctx, C_YELLOW),
	    mlp_fkind_title(kind), name, mlp_color(ctx, C_RESET),
	    (long long)version, deleted ? " (deleted)" : "");
	if (!deleted)
		print_object(ctx, s, kind, name);
	if (kind == MLP_FK_VIEW && !deleted)
		print_batches(ctx, b, nb);
	print_history(ctx, h, nh);
out:
	mlp_fbatch_infos_free(b, nb);
	mlp_fversions_free(h, nh);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

/* ingest */

/* The applied specs; an empty catalog is an error with a hint. */
static int
load_catalog(struct mlp_ctx *ctx, struct mlp_fspec **out)
{
	struct mlp_err err;

	mlp_err_clear(&err);
	if (mlp_fcatalog_load(ctx->db, out, &err) < 0)
		return mlp_fail(ctx, &err);
	if ((*out)->nviews == 0) {
		mlp_failf(ctx, 1, "the catalog has no feature views");
		mlp_hint(ctx, "record the specs first: mlp feature apply "
		    "[FILE|DIR...]");
		return 1;
	}
	return 0;
}

/* 0 when the config's feature.autoCompact turns the compaction after
 * an ingest or a push off. */
static int
auto_compact(struct mlp_ctx *ctx)
{
	char *v = NULL;
	int on = 1;

	if (mlp_config_get(ctx->repo, "feature.autoCompact", &v, NULL) == 0 &&
	    v)
		on = !(strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
		    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0);
	free(v);
	return on;
}

static void
ts_json(cJSON *o, const char *key, int64_t us)
{
	char t[48];

	mlp_ts_format(us, t);
	cJSON_AddStringToObject(o, key, t);
}

static const struct mlp_opt ingest_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

static int
feature_ingest(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_fingest_opts io = { 0 };
	struct mlp_fingest_result *r = NULL;
	struct mlp_store *st;
	struct mlp_err err;
	char *user = NULL;
	int o, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(o);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 2)) != 0 ||
	    (rc = load_catalog(ctx, &s)) != 0 ||
	    (rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	user = mlp_track_user(ctx->repo);
	io.source = p.pos[0];
	io.file = p.npos > 1 ? p.pos[1] : NULL;
	io.root = ctx->repo->root;
	io.user = user;
	io.no_compact = !auto_compact(ctx);
	if (mlp_fingest(ctx->db, st, s, &io, &r, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		if (err.code == MLP_ENOTFOUND && !mlp_fspec_source(s, io.source))
			mlp_hint(ctx, "the sources: mlp feature list --kind "
			    "source");
		goto out;
	}
	if (ctx->json) {
		cJSON *x = cJSON_CreateObject(), *a;

		cJSON_AddStringToObject(x, "source", io.source);
		cJSON_AddStringToObject(x, "path", r->path);
		cJSON_AddNumberToObject(x, "rows", (double)r->rows);
		a = cJSON_AddArrayToObject(x, "views");
		for (size_t i = 0; i < r->nviews; i++) {
			const struct mlp_fingest_view *v = &r->views[i];
			cJSON *y = cJSON_CreateObject();

			cJSON_AddStringToObject(y, "view", v->view);
			cJSON_AddNumberToObject(y, "version", (double)v->version);
			cJSON_AddNumberToObject(y, "batch", (double)v->id);
			cJSON_AddBoolToObject(y, "unchanged", v->unchanged);
			cJSON_AddNumberToObject(y, "partitions", v->partitions);
			cJSON_AddNumberToObject(y, "segments",
			    (double)v->segments);
			cJSON_AddNumberToObject(y, "bytes", (double)v->bytes);
			ts_json(y, "min_event_ts", v->min_ts);
			ts_json(y, "max_event_ts", v->max_ts);
			cJSON_AddStringToObject(y, "digest", v->digest);
			if (v->compacted) {
				cJSON *z = cJSON_AddObjectToObject(y,
				    "compacted");

				cJSON_AddNumberToObject(z, "batch",
				    (double)v->compacted);
				cJSON_AddNumberToObject(z, "merged",
				    (double)v->merged);
			} else {
				cJSON_AddNullToObject(y, "compacted");
			}
			cJSON_AddItemToArray(a, y);
		}
		cJSON_AddNumberToObject(x, "objects_written",
		    (double)r->objects_written);
		cJSON_AddNumberToObject(x, "bytes_written",
		    (double)r->bytes_written);
		mlp_print_json(x);
		goto out;
	}
	printf("%llu row%s of %s\n", (unsigned long long)r->rows,
	    mlp_plural_s(r->rows), r->path);
	for (size_t i = 0; i < r->nviews; i++) {
		const struct mlp_fingest_view *v = &r->views[i];

		if (v->unchanged)
			printf("  %s (version %lld): unchanged, the same rows "
			    "are batch %lld\n", v->view, (long long)v->version,
			    (long long)v->id);
		else {
			char size[32];

			mlp_fmt_bytes(v->bytes, size, sizeof(size));
			printf("  %s (version %lld): batch %lld, %zu segment%s "
			    "in %u partition%s, %s\n", v->view,
			    (long long)v->version, (long long)v->id,
			    v->segments, mlp_plural_s(v->segments),
			    v->partitions, mlp_plural_s(v->partitions), size);
			if (v->compacted)
				printf("  %s: the newest %zu batches compacted "
				    "into batch %lld\n", v->view, v->merged,
				    (long long)v->compacted);
		}
	}
out:
	if (r && r->compact_error)
		fprintf(stderr, "mlp: %s: warning: the rows are stored, but "
		    "compacting after failed: %s\n", ctx->cmd,
		    r->compact_error);
	free(user);
	mlp_fingest_result_free(r);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

/* dataset */

static const struct mlp_opt dataset_opts[] = {
	{ O_SPINE, 0, "spine", "FILE", "the spine: a CSV of join keys, a "
	    "timestamp and labels ('-': standard input)" },
	{ O_FEATURES, 'f', "features", "REF", "the features, VIEW:FEATURE,... "
	    "(repeatable)" },
	{ O_SERVICE, 's', "service", "SERVICE", "the features of a feature "
	    "service" },
	{ O_OUTPUT, 'o', "output", "FILE", "write the dataset to FILE (default: "
	    "standard output)" },
	{ O_TSCOL, 0, "timestamp-column", "COLUMN", "the spine's time column "
	    "(default event_ts)" },
	{ O_TSFMT, 0, "timestamp-format", "iso8601|epoch_s|epoch_ms", "how the "
	    "spine writes times (default iso8601)" },
	{ O_FULL, 0, "full-names", NULL, "name the columns VIEW__FEATURE" },
	{ O_FILTER, 0, "filter-by-created-timestamp", NULL, "also leave out "
	    "rows created after the spine's time" },
	{ 0, 0, NULL, NULL, NULL },
};

static void
dataset_json(const struct mlp_fdataset_result *r, const char *out,
    const struct mlp_strv *refs)
{
	cJSON *x = cJSON_CreateObject(), *a;

	cJSON_AddStringToObject(x, "output", out);
	cJSON_AddNumberToObject(x, "rows", (double)r->rows);
	a = cJSON_AddArrayToObject(x, "features");
	for (size_t i = 0; i < refs->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(refs->v[i]));
	cJSON_AddNumberToObject(x, "partitions", r->partitions);
	cJSON_AddNumberToObject(x, "bytes", (double)r->bytes);
	cJSON_AddStringToObject(x, "sha256", r->digest);
	mlp_print_json(x);
}

static int
feature_dataset(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_fdataset_opts dopts = { 0 };
	struct mlp_fdataset_result r;
	struct mlp_strv refs = MLP_STRV_INIT;
	struct mlp_store *st;
	struct mlp_err err;
	const char *spine = NULL, *service = NULL, *output = NULL;
	char *tmp = NULL;
	int o, rc = 0, fd = -1;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o = mlp_opt_next(&p)) != 0) {
		switch (o) {
		case O_SPINE:
			spine = p.arg;
			break;
		case O_FEATURES:
			for (const char *c = p.arg; *c;) {
				size_t n = strcspn(c, ",");

				if (n)
					mlp_strv_push_owned(&refs,
					    xstrndup(c, n));
				c += n + (c[n] == ',');
			}
			break;
		case O_SERVICE:
			service = p.arg;
			break;
		case O_OUTPUT:
			output = p.arg;
			break;
		case O_TSCOL:
			dopts.ts_column = p.arg;
			break;
		case O_TSFMT:
			if (mlp_tsfmt_parse(p.arg, &dopts.tsfmt) < 0) {
				rc = mlp_usage_error(ctx, "--timestamp-format "
				    "'%s': expected iso8601, epoch_s or "
				    "epoch_ms", p.arg);
				goto out;
			}
			break;
		case O_FULL:
			dopts.full_names = 1;
			break;
		case O_FILTER:
			dopts.filter_created = 1;
			break;
		default:
			rc = OPT_EXIT(o);
			goto out;
		}
	}
	if ((rc = usage_args(ctx, &p, 0, 0)) != 0)
		goto out;
	if (!spine) {
		rc = mlp_usage_error(ctx, "missing --spine FILE");
		goto out;
	}
	if (!!service == !!refs.n) {
		rc = mlp_usage_error(ctx, service ? "--features and --service "
		    "exclude each other" : "missing --features REF,... or "
		    "--service NAME");
		goto out;
	}
	if (ctx->json && !output) {
		rc = mlp_usage_error(ctx, "--json needs -o FILE (the dataset "
		    "would go to standard output too)");
		goto out;
	}
	if ((rc = load_catalog(ctx, &s)) != 0)
		goto out;
	if (service) {
		const struct mlp_fservice *sv = mlp_fspec_service(s, service);

		if (!sv) {
			rc = mlp_failf(ctx, 1, "no feature service '%s'",
			    service);
			mlp_hint(ctx, "the services: mlp feature list --kind "
			    "service");
			goto out;
		}
		for (size_t i = 0; i < sv->nrefs; i++)
			mlp_strv_push(&refs, sv->refs[i]);
	}
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	if (output) {
		if ((fd = mlp_output_open(output, &tmp, &err)) < 0) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
	} else {
		fflush(stdout);
		fd = STDOUT_FILENO;
	}
	dopts.spine = spine;
	dopts.refs = (const char *const *)refs.v;
	dopts.nrefs = refs.n;
	dopts.out_fd = fd;
	if (mlp_fdataset(ctx->db, st, s, &dopts, &r, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		if (err.code == MLP_ENOTFOUND && strstr(err.msg,
		    "no ingested data"))
			mlp_hint(ctx, "load its source first: mlp feature "
			    "ingest SOURCE");
		else if (strstr(err.msg, "full names tell"))
			mlp_hint(ctx, "--full-names names them VIEW__FEATURE");
		goto out;
	}
	if (output) {
		if (tmp && (fsync(fd) < 0 || close(fd) < 0 ||
		    rename(tmp, output) < 0)) {
			mlp_err_write(&err, errno, 0, "cannot write '%s'",
			    output);
			fd = -1;
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		if (!tmp && close(fd) < 0) {
			fd = -1;
			mlp_err_write(&err, errno, 0, "cannot write '%s'",
			    output);
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		fd = -1;
		free(tmp);
		tmp = NULL;
		if (ctx->json)
			dataset_json(&r, output, &refs);
		else
			printf("%llu row%s, %zu feature%s: %s (sha256 %s)\n",
			    (unsigned long long)r.rows, mlp_plural_s(r.rows),
			    r.nfeatures, mlp_plural_s(r.nfeatures), output,
			    r.digest);
	}
out:
	if (output && fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	mlp_strv_release(&refs);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

/* the online store: materialize, get, push */

/* --online's URI, else the config's feature.onlineStore, else sqlite:;
 * the caller frees it. */
static char *
online_uri(struct mlp_ctx *ctx, const char *opt)
{
	char *v = NULL;

	if (opt)
		return xstrdup(opt);
	if (mlp_config_get(ctx->repo, "feature.onlineStore", &v, NULL) == 0 &&
	    v && *v)
		return v;
	free(v);
	return xstrdup(MLP_ONLINE_DEFAULT);
}

static int
open_online(struct mlp_ctx *ctx, const char *uri, struct mlp_online **o)
{
	struct mlp_err err;

	mlp_err_clear(&err);
	if (mlp_online_open(o, uri, ctx->repo->dir, &err) < 0) {
		int rc = mlp_fail(ctx, &err);

		if (err.code == MLP_EINVAL)
			mlp_hint(ctx, "an online store is sqlite:[PATH] or "
			    "redis://[:PASSWORD@]HOST[:PORT][/DB] (--online, or "
			    "the config's feature.onlineStore)");
		return rc;
	}
	return 0;
}

/* Refuses to write a repository that cannot be written (its database
 * says why), before anything is done: 0, or the exit code. */
static int
check_writable(struct mlp_ctx *ctx, const char *what)
{
	struct mlp_err err;

	if (!mlp_db_readonly(ctx->db))
		return 0;
	mlp_err_set(&err, ctx->db->readonly_code, "cannot write %s: %s",
	    what, mlp_db_readonly(ctx->db));
	return mlp_fail(ctx, &err);
}

/* An ISO-8601 time option into *us. */
static int
parse_time(struct mlp_ctx *ctx, const char *opt, const char *s, int64_t *us)
{
	if (mlp_ts_parse(s, strlen(s), MLP_TSFMT_ISO8601, us) < 0)
		return mlp_usage_error(ctx, "%s '%s': expected an ISO-8601 time "
		    "(2021-04-12T10:00:00Z)", opt, s);
	return 0;
}

static cJSON *
ts_or_null(int64_t us)
{
	char t[48];

	if (us == MLP_TS_NONE)
		return cJSON_CreateNull();
	mlp_ts_format(us, t);
	return cJSON_CreateString(t);
}

static const struct mlp_opt materialize_opts[] = {
	{ O_START, 0, "start", "TIME", "the first event time to take "
	    "(default: from the first row)" },
	{ O_END, 0, "end", "TIME", "the last event time to take (default: "
	    "now)" },
	{ O_INCR, 'i', "incremental", NULL, "start each view where it was "
	    "last materialized to this store" },
	{ O_ONLINE, 0, "online", "ONLINE", "the online store (default: the "
	    "config's feature.onlineStore, else sqlite:)" },
	{ 0, 0, NULL, NULL, NULL },
};

struct mat_progress {
	struct mlp_ctx *ctx;
	double last;
};

/* "materialize driver_trips  45% 7/16 partitions", on a terminal. */
static void
mat_progress(void *ud, const char *view, uint64_t done, uint64_t total)
{
	struct mat_progress *mp = ud;
	double now = mlp_mono();

	if (mp->ctx->quiet || !mp->ctx->color_err)
		return;
	if (done < total && now - mp->last < 0.1)
		return;
	mp->last = now;
	fprintf(stderr, "\rmaterialize %s %3d%% %llu/%llu partitions\033[K%s",
	    view, (int)(done * 100 / (total ? total : 1)),
	    (unsigned long long)done, (unsigned long long)total,
	    done >= total ? "\n" : "");
}

static int
feature_materialize(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_fmat_opts mo = { 0 };
	struct mlp_fmat_result *r = NULL;
	struct mat_progress mp = { ctx, 0 };
	struct mlp_online *o = NULL;
	struct mlp_store *st;
	struct mlp_err err;
	const char *online = NULL;
	char *uri = NULL, *user = NULL;
	int o_, rc = 0, failed = 0;

	mlp_err_clear(&err);
	mo.start = MLP_TS_NONE;
	mo.end = mlp_now_ms() * 1000;
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o_ = mlp_opt_next(&p)) != 0) {
		switch (o_) {
		case O_START:
			if ((rc = parse_time(ctx, "--start", p.arg,
			    &mo.start)) != 0)
				goto out;
			break;
		case O_END:
			if ((rc = parse_time(ctx, "--end", p.arg, &mo.end)) != 0)
				goto out;
			break;
		case O_INCR:
			mo.incremental = 1;
			break;
		case O_ONLINE:
			online = p.arg;
			break;
		default:
			rc = OPT_EXIT(o_);
			goto out;
		}
	}
	if (mo.incremental && mo.start != MLP_TS_NONE) {
		rc = mlp_usage_error(ctx, "--incremental and --start exclude "
		    "each other");
		goto out;
	}
	if ((rc = load_catalog(ctx, &s)) != 0 ||
	    (rc = check_writable(ctx, "the materialization")) != 0 ||
	    (rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	uri = online_uri(ctx, online);
	if ((rc = open_online(ctx, uri, &o)) != 0)
		goto out;
	user = mlp_track_user(ctx->repo);
	mo.views = (const char *const *)p.pos;
	mo.nviews = (size_t)p.npos;
	mo.online = uri;
	mo.user = user;
	mo.progress = mat_progress;
	mo.progress_ud = &mp;
	if (mlp_fmaterialize(ctx->db, st, o, s, &mo, &r, &err) < 0) {
		failed = 1;
		rc = mlp_fail(ctx, &err);
		if (err.code == MLP_ENOTFOUND && strstr(err.msg,
		    "no ingested data"))
			mlp_hint(ctx, "load its source first: mlp feature "
			    "ingest SOURCE");
		else if (err.code == MLP_ENOTFOUND)
			mlp_hint(ctx, "the views: mlp feature list --kind view");
		if (!r || r->nviews < 2)
			goto out;
		mlp_info(ctx, "the views before it were materialized:");
	}
	if (ctx->json) {
		cJSON *x = cJSON_CreateObject(), *a;

		cJSON_AddStringToObject(x, "online", uri);
		cJSON_AddItemToObject(x, "end", ts_or_null(mo.end));
		a = cJSON_AddArrayToObject(x, "views");
		for (size_t i = 0; i < r->nviews; i++) {
			const struct mlp_fmat_view *v = &r->views[i];
			cJSON *y = cJSON_CreateObject();

			if (failed && i + 1 == r->nviews)
				break;
			cJSON_AddStringToObject(y, "view", v->view);
			cJSON_AddNumberToObject(y, "version", (double)v->version);
			if (v->skipped)
				cJSON_AddStringToObject(y, "skipped",
				    v->skipped == 1 ? "no ingested data" :
				    "up to date");
			else
				cJSON_AddNullToObject(y, "skipped");
			cJSON_AddItemToObject(y, "start", ts_or_null(v->start));
			cJSON_AddItemToObject(y, "end", ts_or_null(v->end));
			cJSON_AddNumberToObject(y, "entities",
			    (double)v->entities);
			cJSON_AddNumberToObject(y, "written", (double)v->written);
			cJSON_AddNumberToObject(y, "events", (double)v->events);
			cJSON_AddNumberToObject(y, "rows", (double)v->rows);
			cJSON_AddNumberToObject(y, "seconds", v->seconds);
			cJSON_AddItemToArray(a, y);
		}
		mlp_print_json(x);
		goto out;
	}
	for (size_t i = 0; i < r->nviews; i++) {
		const struct mlp_fmat_view *v = &r->views[i];
		char from[48], to[48];

		if (failed && i + 1 == r->nviews)
			break;
		if (v->skipped == 1) {
			printf("%s: no ingested data, skipped\n", v->view);
			continue;
		}
		if (v->skipped == 2) {
			printf("%s (version %lld): up to date\n", v->view,
			    (long long)v->version);
			continue;
		}
		if (v->start == MLP_TS_NONE)
			snprintf(from, sizeof(from), "the first row");
		else
			mlp_ts_format(v->start, from);
		mlp_ts_format(v->end, to);
		printf("%s (version %lld): %llu entit%s (%llu newer than the "
		    "store's), %llu event%s, from %s to %s\n", v->view,
		    (long long)v->version, (unsigned long long)v->entities,
		    v->entities == 1 ? "y" : "ies",
		    (unsigned long long)v->written,
		    (unsigned long long)v->events, mlp_plural_s(v->events),
		    from, to);
	}
out:
	free(user);
	free(uri);
	mlp_online_close(o);
	mlp_fmat_result_free(r);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt get_opts[] = {
	{ O_KEY, 'k', "key", "KEY=VALUE", "a join key's value; KEY=V1,V2,... "
	    "for several entities (repeatable: one per join key)" },
	{ O_AT, 0, "at", "TIME", "the values as of this time (default: now)" },
	{ O_FULL, 0, "full-names", NULL, "name the features VIEW__FEATURE" },
	{ O_ONLINE, 0, "online", "ONLINE", "the online store (default: the "
	    "config's feature.onlineStore, else sqlite:)" },
	{ 0, 0, NULL, NULL, NULL },
};

/* The references a positional names: a view's outputs, a service's, or
 * VIEW:FEATURE itself. Returns 0 or the exit code. */
static int
get_refs(struct mlp_ctx *ctx, const struct mlp_fspec *s, const char *name,
    struct mlp_strv *refs)
{
	const struct mlp_fview *v = mlp_fspec_view(s, name);
	const struct mlp_fservice *sv = mlp_fspec_service(s, name);
	const char *best = NULL;
	size_t bd = 3, n = strlen(name);

	if (strchr(name, ':')) {
		mlp_strv_push(refs, name);
		return 0;
	}
	if (v) {
		for (size_t i = 0; i < mlp_fview_noutputs(v); i++) {
			struct mlp_foutput o;

			mlp_fview_output(v, i, &o);
			mlp_strv_push_owned(refs, xasprintf("%s:%s", v->name,
			    o.name));
		}
		return 0;
	}
	if (sv) {
		for (size_t i = 0; i < sv->nrefs; i++)
			mlp_strv_push(refs, sv->refs[i]);
		return 0;
	}
	for (size_t i = 0; i < s->nviews + s->nservices; i++) {
		const char *c = i < s->nviews ? s->views[i].name :
		    s->services[i - s->nviews].name;
		size_t d = mlp_edit_distance(name, n, c, strlen(c));

		if (d < bd && d < n) {
			bd = d;
			best = c;
		}
	}
	mlp_failf(ctx, 1, "no feature view or service '%s'", name);
	if (best)
		mlp_hint(ctx, "did you mean '%s'?", best);
	else
		mlp_hint(ctx, "the views and services: mlp feature list");
	return 1;
}

/* A --key value's text as a key of type t. */
static int
key_value(struct mlp_ctx *ctx, const char *key, const char *s, size_t n,
    enum mlp_ftype t, struct mlp_fval *out)
{
	char *text = xstrndup(s, n);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->type = t;
	if (t == MLP_FT_INT) {
		if (mlp_parse_int64(text, &out->v.i) < 0)
			rc = mlp_failf(ctx, 2, "--key %s: '%s' is not an int "
			    "(the join key's type)", key, text);
	} else {
		out->v.str.s = s;
		out->v.str.n = n;
	}
	free(text);
	return rc;
}

static void
print_value(struct mlp_buf *b, const struct mlp_fval *v)
{
	char num[40];

	if (v->null) {
		mlp_buf_adds(b, "null");
		return;
	}
	switch (v->type) {
	case MLP_FT_FLOAT:
		mlp_fmt_double(v->v.f, num, sizeof(num));
		mlp_buf_adds(b, num);
		break;
	case MLP_FT_INT:
		mlp_buf_addf(b, "%lld", (long long)v->v.i);
		break;
	case MLP_FT_BOOL:
		mlp_buf_adds(b, v->v.b ? "true" : "false");
		break;
	case MLP_FT_STRING:
		mlp_buf_add(b, v->v.str.s, v->v.str.n);
		break;
	}
}

static int
feature_get(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_fget_plan *plan = NULL;
	struct mlp_fget_res res;
	struct mlp_fget_req req = { 0 };
	struct mlp_online *o = NULL;
	struct mlp_strv refs = MLP_STRV_INIT, keyopts = MLP_STRV_INIT;
	struct mlp_err err;
	const char *online = NULL, *const *knames;
	const enum mlp_ftype *ktypes;
	struct mlp_fval **cols = NULL;
	const char **names = NULL;
	char *uri = NULL;
	size_t nk = 0, n = 0, *counts = NULL;
	int o_, rc = 0, full = 0;

	mlp_err_clear(&err);
	memset(&res, 0, sizeof(res));
	req.at = mlp_now_ms() * 1000;
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o_ = mlp_opt_next(&p)) != 0) {
		switch (o_) {
		case O_KEY:
			mlp_strv_push(&keyopts, p.arg);
			break;
		case O_AT:
			if ((rc = parse_time(ctx, "--at", p.arg, &req.at)) != 0)
				goto out;
			break;
		case O_FULL:
			full = 1;
			break;
		case O_ONLINE:
			online = p.arg;
			break;
		default:
			rc = OPT_EXIT(o_);
			goto out;
		}
	}
	if ((rc = usage_args(ctx, &p, 1, -1)) != 0 ||
	    (rc = load_catalog(ctx, &s)) != 0)
		goto out;
	for (int i = 0; i < p.npos; i++)
		if ((rc = get_refs(ctx, s, p.pos[i], &refs)) != 0)
			goto out;
	if (mlp_fget_prepare(s, (const char *const *)refs.v, refs.n, &plan,
	    &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	nk = mlp_fget_plan_keys(plan, &knames, &ktypes);
	/* --key K=V1,V2: the entities' values of each join key */
	names = xcalloc(keyopts.n + 1, sizeof(*names));
	cols = xcalloc(keyopts.n + 1, sizeof(*cols));
	counts = xcalloc(keyopts.n + 1, sizeof(*counts));
	for (size_t i = 0; i < keyopts.n; i++) {
		const char *kv = keyopts.v[i], *eq = strchr(kv, '=');
		size_t m = 0, j = 0;

		if (!eq || eq == kv) {
			rc = mlp_usage_error(ctx, "--key '%s': expected "
			    "KEY=VALUE", kv);
			goto out;
		}
		names[i] = xstrndup(kv, (size_t)(eq - kv));
		while (j < nk && strcmp(knames[j], names[i]) != 0)
			j++;
		if (j == nk) {
			rc = mlp_failf(ctx, 2, "--key %s: not a join key of "
			    "the features asked for", names[i]);
			if (nk)
				mlp_hint(ctx, "their join keys: %s%s%s",
				    knames[0], nk > 1 ? ", " : "", nk > 1 ?
				    knames[1] : "");
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(names[k], names[i]) == 0) {
				rc = mlp_usage_error(ctx, "--key %s given "
				    "twice (several entities: %s=V1,V2)",
				    names[i], names[i]);
				goto out;
			}
		for (const char *c = eq + 1;; c += strcspn(c, ",") + 1) {
			size_t len = strcspn(c, ",");

			cols[i] = xrealloc(cols[i], (m + 1) * sizeof(**cols));
			if ((rc = key_value(ctx, names[i], c, len, ktypes[j],
			    &cols[i][m])) != 0)
				goto out;
			m++;
			if (!c[len])
				break;
		}
		if (i > 0 && m != n && m != 1 && n != 1) {
			rc = mlp_usage_error(ctx, "--key %s has %zu value%s, "
			    "--key %s %zu: give each join key a value per "
			    "entity, or one for all", names[i], m,
			    mlp_plural_s(m), names[0], n);
			goto out;
		}
		counts[i] = m;
		if (m > n)
			n = m;
	}
	/* a key given once goes with every entity */
	for (size_t i = 0; i < keyopts.n; i++)
		if (counts[i] < n) {
			cols[i] = xrealloc(cols[i], n * sizeof(**cols));
			for (size_t e = 1; e < n; e++)
				cols[i][e] = cols[i][0];
		}
	if (!keyopts.n) {
		rc = mlp_usage_error(ctx, "missing --key %s=VALUE", nk ?
		    knames[0] : "KEY");
		goto out;
	}
	uri = online_uri(ctx, online);
	if ((rc = open_online(ctx, uri, &o)) != 0)
		goto out;
	req.key_names = names;
	req.key_cols = (const struct mlp_fval *const *)cols;
	req.nkeys = keyopts.n;
	req.n = n;
	if (mlp_fget(o, plan, &req, &res, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		if (strstr(err.msg, "no values for join key"))
			mlp_hint(ctx, "give every join key: --key KEY=VALUE "
			    "for each");
		else if (strstr(err.msg, "another definition"))
			mlp_hint(ctx, "materialize the view again: mlp "
			    "feature materialize VIEW");
		goto out;
	}
	if (ctx->json) {
		struct mlp_buf b = MLP_BUF_INIT;

		mlp_fget_json(plan, &req, &res, full, &b);
		printf("%s\n", mlp_buf_str(&b));
		mlp_buf_release(&b);
	} else {
		const char **hdr = xcalloc(nk + 5, sizeof(*hdr));
		struct mlp_table t;
		size_t nr = mlp_fget_plan_nrefs(plan);

		for (size_t j = 0; j < nk; j++)
			hdr[j] = knames[j];
		hdr[nk] = "FEATURE";
		hdr[nk + 1] = "VALUE";
		hdr[nk + 2] = "STATUS";
		hdr[nk + 3] = "EVENT_TS";
		mlp_table_init(&t, nk + 4, hdr);
		for (size_t e = 0; e < n; e++)
			for (size_t r = 0; r < nr; r++) {
				const char **row = xcalloc(nk + 4,
				    sizeof(*row));
				struct mlp_buf *cells = xcalloc(nk + 2,
				    sizeof(*cells));
				size_t c = e * nr + r;
				char ts[48] = "-";

				for (size_t j = 0; j < nk; j++) {
					size_t q = 0;

					while (strcmp(names[q], knames[j]))
						q++;
					print_value(&cells[j], &cols[q][e]);
					row[j] = mlp_buf_str(&cells[j]);
				}
				print_value(&cells[nk], &res.values[c]);
				if (res.event_ts[c] != MLP_TS_NONE)
					mlp_ts_format(res.event_ts[c], ts);
				row[nk] = mlp_fget_plan_name(plan, r, full);
				row[nk + 1] = mlp_buf_str(&cells[nk]);
				row[nk + 2] = mlp_fstatus_name(res.status[c]);
				row[nk + 3] = ts;
				mlp_table_add(&t, row);
				for (size_t j = 0; j < nk + 2; j++)
					mlp_buf_release(&cells[j]);
				free(cells);
				free(row);
			}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
		free(hdr);
	}
out:
	for (size_t i = 0; names && i < keyopts.n; i++) {
		free((char *)names[i]);
		free(cols[i]);
	}
	free(names);
	free(cols);
	free(counts);
	free(uri);
	mlp_fget_res_release(&res);
	mlp_fget_plan_free(plan);
	mlp_online_close(o);
	mlp_strv_release(&refs);
	mlp_strv_release(&keyopts);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_opt push_opts[] = {
	{ O_FOLLOW, 'F', "follow", NULL, "stream: write as events come, skip "
	    "bad lines, and at the end of a file wait for more (as tail -f)" },
	{ O_TO, 0, "to", "online|offline|both", "the stores to write "
	    "(default both)" },
	{ O_ONLINE, 0, "online", "ONLINE", "the online store (default: the "
	    "config's feature.onlineStore, else sqlite:)" },
	{ 0, 0, NULL, NULL, NULL },
};

/* With --follow: events written online at most this many at once, and
 * offline as a batch this many or this often (each batch is an ingest;
 * the compaction after it keeps a view's batches few). */
#define FOLLOW_ONLINE 1000
#define FOLLOW_OFFLINE 100000
#define FOLLOW_OFFLINE_SECONDS 60.0

static volatile sig_atomic_t push_stop;

static void
on_push_stop(int sig)
{
	push_stop = sig;
	signal(sig, SIG_DFL);
}

struct push_state {
	struct mlp_ctx *ctx;
	struct mlp_fpusher *p;
	struct mlp_online *o;
	struct mlp_fpush_offline off;
	struct mlp_fpush_stats stats;
	unsigned to;
	int follow;
	uint64_t lines, skipped;
	double last_offline;
};

static int
push_flush(struct push_state *ps, unsigned to, struct mlp_err *err)
{
	if (mlp_fpush_flush(ps->p, to, ps->o, &ps->off, &ps->stats, err) < 0)
		return -1;
	if (to & MLP_FPUSH_OFFLINE)
		ps->last_offline = mlp_mono();
	return 0;
}

/* One line of the input; with --follow a bad line is reported and
 * skipped. Returns 0, or the exit code. */
static int
push_line(struct push_state *ps, const char *name, char *s, size_t n,
    struct mlp_err *err)
{
	ps->lines++;
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (!n)
		return 0;
	if (mlp_fpush_line(ps->p, s, n, name, ps->lines, err) == 0)
		return 0;
	if (!ps->follow)
		return mlp_fail(ps->ctx, err);
	ps->skipped++;
	fprintf(stderr, "mlp: %s: skipped: %s\n", ps->ctx->cmd, err->msg);
	mlp_err_clear(err);
	return 0;
}

static int
feature_push(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct push_state ps;
	struct mlp_err err;
	struct mlp_buf in = MLP_BUF_INIT;
	struct sigaction sa, old_int, old_term;
	const char *online = NULL, *path = "-", *name = "stdin";
	char *uri = NULL, *user = NULL, *tmpdir = NULL;
	int o_, rc = 0, fd = -1, regular = 0, eof = 0, handlers = 0;
	struct stat sb;

	mlp_err_clear(&err);
	memset(&ps, 0, sizeof(ps));
	ps.ctx = ctx;
	ps.to = MLP_FPUSH_ONLINE | MLP_FPUSH_OFFLINE;
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o_ = mlp_opt_next(&p)) != 0) {
		switch (o_) {
		case O_FOLLOW:
			ps.follow = 1;
			break;
		case O_TO:
			if (strcmp(p.arg, "online") == 0)
				ps.to = MLP_FPUSH_ONLINE;
			else if (strcmp(p.arg, "offline") == 0)
				ps.to = MLP_FPUSH_OFFLINE;
			else if (strcmp(p.arg, "both") == 0)
				ps.to = MLP_FPUSH_ONLINE | MLP_FPUSH_OFFLINE;
			else {
				rc = mlp_usage_error(ctx, "--to '%s': expected "
				    "online, offline or both", p.arg);
				goto out;
			}
			break;
		case O_ONLINE:
			online = p.arg;
			break;
		default:
			rc = OPT_EXIT(o_);
			goto out;
		}
	}
	if ((rc = usage_args(ctx, &p, 1, 2)) != 0 ||
	    (rc = load_catalog(ctx, &s)) != 0)
		goto out;
	if (mlp_fpush_new(s, p.pos[0], ps.to, &ps.p, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		mlp_hint(ctx, "the views: mlp feature list --kind view");
		goto out;
	}
	if (p.npos > 1 && strcmp(p.pos[1], "-") != 0) {
		path = name = p.pos[1];
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = mlp_failf(ctx, 1, "cannot read '%s': %s", path,
			    strerror(errno));
			goto out;
		}
	} else {
		fd = STDIN_FILENO;
	}
	regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	if (ps.to & MLP_FPUSH_ONLINE)
		uri = online_uri(ctx, online);
	/* the offline store and sqlite: are in the repository */
	if (((ps.to & MLP_FPUSH_OFFLINE) || strncmp(uri, "sqlite:", 7) == 0) &&
	    (rc = check_writable(ctx, "the pushed events")) != 0)
		goto out;
	if (ps.to & MLP_FPUSH_ONLINE) {
		if ((rc = open_online(ctx, uri, &ps.o)) != 0)
			goto out;
	}
	if (ps.to & MLP_FPUSH_OFFLINE) {
		if ((rc = mlp_ctx_store(ctx, &ps.off.st)) != 0)
			goto out;
		user = mlp_track_user(ctx->repo);
		tmpdir = mlp_repo_path(ctx->repo, "tmp");
		ps.off.db = ctx->db;
		ps.off.tmpdir = tmpdir;
		ps.off.user = user;
		ps.off.no_compact = !auto_compact(ctx);
	}
	if (ps.follow) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_push_stop;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &old_int);
		sigaction(SIGTERM, &sa, &old_term);
		handlers = 1;
	}
	ps.last_offline = mlp_mono();
	/* lines as they come; a last line without its end counts at the end
	 * of the input */
	while (!eof && !push_stop) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		size_t start = 0;
		ssize_t got;

		if (ps.follow && !regular && poll(&pfd, 1, 0) == 0) {
			/* nothing more for now: what came is written */
			if ((rc = push_flush(&ps, MLP_FPUSH_ONLINE, &err)) < 0)
				break;
			if (mlp_fpush_pending(ps.p, MLP_FPUSH_OFFLINE) &&
			    mlp_mono() - ps.last_offline >=
			    FOLLOW_OFFLINE_SECONDS &&
			    (rc = push_flush(&ps, MLP_FPUSH_OFFLINE, &err)) < 0)
				break;
			if (poll(&pfd, 1, 1000) <= 0)
				continue;
		}
		mlp_buf_grow(&in, 65536);
		got = read(fd, in.s + in.len, 65536);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = mlp_err_set(&err, MLP_EFAIL, "cannot read '%s': %s",
			    name, strerror(errno));
			break;
		}
		if (got == 0 && ps.follow && regular) {
			/* tail -f: what came is written, then wait */
			if ((rc = push_flush(&ps, MLP_FPUSH_ONLINE, &err)) < 0)
				break;
			if (mlp_fpush_pending(ps.p, MLP_FPUSH_OFFLINE) &&
			    mlp_mono() - ps.last_offline >=
			    FOLLOW_OFFLINE_SECONDS &&
			    (rc = push_flush(&ps, MLP_FPUSH_OFFLINE, &err)) < 0)
				break;
			usleep(200000);
			continue;
		}
		in.len += (size_t)got;
		eof = got == 0;
		for (size_t i = 0; i < in.len; i++) {
			if (in.s[i] != '\n')
				continue;
			if ((rc = push_line(&ps, name, in.s + start, i - start,
			    &err)) != 0)
				goto done;
			start = i + 1;
		}
		if (eof && start < in.len) {
			if ((rc = push_line(&ps, name, in.s + start, in.len -
			    start, &err)) != 0)
				goto done;
			start = in.len;
		}
		memmove(in.s, in.s + start, in.len - start);
		in.len -= start;
		if (ps.follow && ((mlp_fpush_pending(ps.p, MLP_FPUSH_ONLINE) >=
		    FOLLOW_ONLINE && (rc = push_flush(&ps, MLP_FPUSH_ONLINE,
		    &err)) < 0) || ((mlp_fpush_pending(ps.p,
		    MLP_FPUSH_OFFLINE) >= FOLLOW_OFFLINE || (mlp_fpush_pending(
		    ps.p, MLP_FPUSH_OFFLINE) && mlp_mono() - ps.last_offline >=
		    FOLLOW_OFFLINE_SECONDS)) && (rc = push_flush(&ps,
		    MLP_FPUSH_OFFLINE, &err)) < 0)))
			break;
	}
	if (rc == 0)
		rc = push_flush(&ps, ps.to, &err);
	if (rc < 0) {
		rc = mlp_fail(ctx, &err);
		goto done;
	}
	if (ctx->json) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "view", p.pos[0]);
		cJSON_AddNumberToObject(x, "lines", (double)ps.lines);
		cJSON_AddNumberToObject(x, "skipped", (double)ps.skipped);
		if (ps.to & MLP_FPUSH_ONLINE) {
			cJSON *y = cJSON_AddObjectToObject(x, "online");

			cJSON_AddStringToObject(y, "store", uri);
			cJSON_AddNumberToObject(y, "events",
			    (double)ps.stats.events);
			cJSON_AddNumberToObject(y, "records",
			    (double)ps.stats.records);
		} else {
			cJSON_AddNullToObject(x, "online");
		}
		if (ps.to & MLP_FPUSH_OFFLINE) {
			cJSON *y = cJSON_AddObjectToObject(x, "offline");

			cJSON_AddNumberToObject(y, "events",
			    (double)ps.stats.offline_events);
			if (ps.stats.batch)
				cJSON_AddNumberToObject(y, "batch",
				    (double)ps.stats.batch);
			else
				cJSON_AddNullToObject(y, "batch");
			cJSON_AddNumberToObject(y, "compactions",
			    (double)ps.stats.compactions);
			cJSON_AddNumberToObject(y, "merged",
			    (double)ps.stats.merged);
		} else {
			cJSON_AddNullToObject(x, "offline");
		}
		mlp_print_json(x);
	} else if (!ctx->quiet) {
		printf("%s:", p.pos[0]);
		if (ps.to & MLP_FPUSH_ONLINE)
			printf(" %llu event%s online (%llu record%s changed)%s",
			    (unsigned long long)ps.stats.events,
			    mlp_plural_s(ps.stats.events),
			    (unsigned long long)ps.stats.records,
			    mlp_plural_s(ps.stats.records),
			    ps.to & MLP_FPUSH_OFFLINE ? "," : "");
		if (ps.to & MLP_FPUSH_OFFLINE) {
			printf(" %llu event%s offline",
			    (unsigned long long)ps.stats.offline_events,
			    mlp_plural_s(ps.stats.offline_events));
			if (ps.stats.batch)
				printf(" (batch %lld)",
				    (long long)ps.stats.batch);
			if (ps.stats.compactions)
				printf(", %llu batch%s compacted",
				    (unsigned long long)ps.stats.merged,
				    ps.stats.merged == 1 ? "" : "es");
		}
		printf("\n");
	}
	if (ps.stats.compact_err.code)
		fprintf(stderr, "mlp: %s: warning: the events are stored, but "
		    "compacting after failed: %s\n", ctx->cmd,
		    ps.stats.compact_err.msg);
	if (ps.skipped)
		rc = mlp_failf(ctx, 1, "%llu bad line%s skipped",
		    (unsigned long long)ps.skipped, mlp_plural_s(ps.skipped));
done:
	if (handlers) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
	}
out:
	if (fd > STDIN_FILENO)
		close(fd);
	mlp_buf_release(&in);
	free(uri);
	free(user);
	free(tmpdir);
	mlp_online_close(ps.o);
	mlp_fpush_free(ps.p);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

/* compact */

static const struct mlp_opt compact_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

static cJSON *
compact_json(const struct mlp_fcompact_view *v)
{
	cJSON *y = cJSON_CreateObject();

	cJSON_AddStringToObject(y, "view", v->view);
	cJSON_AddNumberToObject(y, "version", (double)v->version);
	if (v->id)
		cJSON_AddNumberToObject(y, "batch", (double)v->id);
	else
		cJSON_AddNullToObject(y, "batch");
	cJSON_AddNumberToObject(y, "merged", (double)v->merged);
	cJSON_AddNumberToObject(y, "before", (double)v->before);
	cJSON_AddNumberToObject(y, "after", (double)v->after);
	cJSON_AddNumberToObject(y, "rows", (double)v->rows);
	cJSON_AddNumberToObject(y, "partitions", v->id ? v->partitions : 0);
	cJSON_AddNumberToObject(y, "segments", (double)v->segments);
	cJSON_AddNumberToObject(y, "bytes", (double)v->bytes);
	if (v->id)
		cJSON_AddStringToObject(y, "digest", v->digest);
	else
		cJSON_AddNullToObject(y, "digest");
	return y;
}

static void
compact_text(const struct mlp_fcompact_view *v)
{
	char size[32];

	if (!v->id) {
		printf("%s (version %lld): %zu batch%s, nothing to compact\n",
		    v->view, (long long)v->version, v->before,
		    v->before == 1 ? "" : "es");
		return;
	}
	mlp_fmt_bytes(v->bytes, size, sizeof(size));
	printf("%s (version %lld): %zu batches compacted into batch %lld, "
	    "%llu row%s, %zu segment%s in %u partition%s, %s\n", v->view,
	    (long long)v->version, v->merged, (long long)v->id,
	    (unsigned long long)v->rows, mlp_plural_s(v->rows), v->segments,
	    mlp_plural_s(v->segments), v->partitions,
	    mlp_plural_s(v->partitions), size);
}

static int
feature_compact(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fspec *s = NULL;
	struct mlp_store *st;
	struct mlp_err err;
	cJSON *x = NULL, *a = NULL;
	char *user = NULL;
	size_t n;
	int o, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((o = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(o);
		goto out;
	}
	if ((rc = load_catalog(ctx, &s)) != 0 ||
	    (rc = check_writable(ctx, "the compaction")) != 0 ||
	    (rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	user = mlp_track_user(ctx->repo);
	if (ctx->json) {
		x = cJSON_CreateObject();
		a = cJSON_AddArrayToObject(x, "views");
	}
	n = p.npos ? (size_t)p.npos : s->nviews;
	for (size_t i = 0; i < n; i++) {
		const char *name = p.npos ? p.pos[i] : s->views[i].name;
		struct mlp_fcompact_view v;

		if (mlp_fcompact(ctx->db, st, s, name, MLP_FCOMPACT_ALL, user,
		    &v, &err) < 0) {
			/* unnamed, a view without data has nothing to do */
			if (!p.npos && err.code == MLP_ENOTFOUND &&
			    strstr(err.msg, "no ingested data")) {
				mlp_err_clear(&err);
				continue;
			}
			rc = mlp_fail(ctx, &err);
			if (err.code == MLP_ENOTFOUND && strstr(err.msg,
			    "no ingested data"))
				mlp_hint(ctx, "load its source first: mlp "
				    "feature ingest SOURCE");
			else if (err.code == MLP_ENOTFOUND)
				mlp_hint(ctx, "the views: mlp feature list "
				    "--kind view");
			else if (err.code == MLP_ELOCKED)
				mlp_hint(ctx, "run it again");
			break;
		}
		if (a)
			cJSON_AddItemToArray(a, compact_json(&v));
		else
			compact_text(&v);
	}
	/* the views compacted before a failure stay so: say which */
	if (x)
		mlp_print_json(x);
out:
	free(user);
	mlp_fspec_free(s);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_verb verbs[] = {
	{ "plan", feature_plan, plan_opts, "[FILE|DIR...]",
	    "Show what apply would change: + create, ~ update, - delete" },
	{ "apply", feature_apply, apply_opts, "[FILE|DIR...]",
	    "Record the specs in the catalog, each change a new version" },
	{ "list", feature_list, list_opts, "",
	    "List the entities, sources, feature views and services" },
	{ "show", feature_show, show_opts, "NAME",
	    "Show an object: its definition, version and history" },
	{ "ingest", feature_ingest, ingest_opts, "SOURCE [FILE|-]",
	    "Load a source's rows into the offline store, a batch per view" },
	{ "dataset", feature_dataset, dataset_opts, "",
	    "Build a point-in-time correct training set for a spine" },
	{ "materialize", feature_materialize, materialize_opts, "[VIEW...]",
	    "Write the views' latest values into the online store" },
	{ "get", feature_get, get_opts, "VIEW|SERVICE|REF...",
	    "Read entities' feature values from the online store" },
	{ "push", feature_push, push_opts, "VIEW [FILE|-]",
	    "Stream JSON-lines events into the online and offline stores" },
	{ "compact", feature_compact, compact_opts, "[VIEW...]",
	    "Merge each view's offline batches into one" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct mlp_command cmd_feature = {
	.name = "feature",
	.run = NULL,
	.setup = NEED_REPO,
	.summary = "The feature store: entities, sources, feature views, "
	    "services",
	.opts = NULL,
	.args = NULL,
	.verbs = verbs,
	.default_verb = NULL,
};
