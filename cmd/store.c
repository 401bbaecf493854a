/* The object store's plumbing: mlp fsck and mlp gc. */
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "store/store.h"
#include "cmd.h"

enum { O_FULL = 1, O_PRUNE, O_DRY };

static const struct mlp_opt fsck_opts[] = {
	{ O_FULL, 0, "full", NULL, "also re-hash the objects nothing "
	    "references" },
	{ 0, 0, NULL, NULL, NULL },
};

static void
print_problem(const char *problem, void *ud)
{
	cJSON *arr = ud;

	if (arr)
		cJSON_AddItemToArray(arr, cJSON_CreateString(problem));
	else
		printf("%s\n", problem);
}

static int
fsck_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_fsck_stats stats;
	struct mlp_store *st;
	struct mlp_err err;
	cJSON *problems = NULL;
	int r, rc = 0, full = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_FULL) {
			full = 1;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		goto out;
	}
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	if (ctx->json)
		problems = cJSON_CreateArray();
	if (mlp_registry_fsck(ctx->db, st, full, print_problem, problems,
	    &stats, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "references",
		    (double)stats.references);
		cJSON_AddNumberToObject(o, "objects", (double)stats.objects);
		cJSON_AddNumberToObject(o, "bytes", (double)stats.bytes);
		if (full)
			cJSON_AddNumberToObject(o, "unreachable",
			    (double)stats.unreachable);
		cJSON_AddItemToObject(o, "problems", problems);
		problems = NULL;
		mlp_print_json(o);
	} else {
		char b[32];

		mlp_fmt_bytes(stats.bytes, b, sizeof(b));
		mlp_info(ctx, "checked %llu object%s (%s) reached from %llu "
		    "reference%s%s: %llu problem%s",
		    (unsigned long long)stats.objects, mlp_plural_s(stats.objects), b,
		    (unsigned long long)stats.references,
		    mlp_plural_s(stats.references), full ?
		    " and every other object" : "",
		    (unsigned long long)stats.problems,
		    stats.problems == 1 ? "" : "s");
	}
	rc = stats.problems ? 1 : 0;
out:
	cJSON_Delete(problems);
	mlp_opt_release(&p);
	return rc;
}

const struct mlp_command cmd_fsck = {
	.name = "fsck",
	.run = fsck_run,
	.setup = NEED_REPO,
	.summary = "Verify the object store against the database: every "
	    "referenced object present and intact",
	.opts = fsck_opts,
	.args = "",
};

static const struct mlp_opt gc_opts[] = {
	{ O_PRUNE, 0, "prune", "AGE", "remove unreferenced objects older than "
	    "AGE (default 2.weeks.ago; now removes all)" },
	{ O_DRY, 'n', "dry-run", NULL, "only say what would be removed" },
	{ 0, 0, NULL, NULL, NULL },
};

static void
print_removed(const char *oid, void *ud)
{
	struct mlp_ctx *ctx = ud;

	if (ctx->verbose)
		printf("%s\n", oid);
}

static int
gc_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_gc_stats stats;
	struct mlp_store *st;
	struct mlp_err err;
	int64_t age = 14LL * 86400000;	/* two weeks, as git */
	int r, rc = 0, dry = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_DRY) {
			dry = 1;
		} else if (r == O_PRUNE) {
			if (mlp_parse_age_ms(p.arg, &age) < 0) {
				rc = mlp_usage_error(ctx, "--prune '%s' is not an "
				    "age like now, 2.weeks.ago, 14d or 12h",
				    p.arg);
				goto out;
			}
		} else {
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		goto out;
	}
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	if (mlp_registry_gc(ctx->db, st, mlp_now_ms() - age, dry,
	    print_removed, ctx, &stats, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "dry_run", dry);
		cJSON_AddNumberToObject(o, "objects", (double)stats.objects);
		cJSON_AddNumberToObject(o, "bytes", (double)stats.bytes);
		cJSON_AddNumberToObject(o, "kept_young",
		    (double)stats.kept_young);
		cJSON_AddNumberToObject(o, "tmp_files",
		    (double)stats.tmp_files);
		mlp_print_json(o);
	} else {
		char b[32];

		mlp_fmt_bytes(stats.bytes, b, sizeof(b));
		mlp_info(ctx, "%s %llu object%s (%s) and %llu temporary file%s; "
		    "kept %llu unreferenced object%s younger than the grace "
		    "period", dry ? "would remove" : "removed",
		    (unsigned long long)stats.objects, mlp_plural_s(stats.objects), b,
		    (unsigned long long)stats.tmp_files,
		    mlp_plural_s(stats.tmp_files),
		    (unsigned long long)stats.kept_young,
		    mlp_plural_s(stats.kept_young));
	}
out:
	mlp_opt_release(&p);
	return rc;
}

const struct mlp_command cmd_gc = {
	.name = "gc",
	.run = gc_run,
	.setup = NEED_REPO,
	.summary = "Remove objects that no run artifact, model version or "
	    "feature segment reaches",
	.opts = gc_opts,
	.args = "",
};
