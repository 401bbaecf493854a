/* mlp init [DIR]: create a repository. */
#include <stdlib.h>

#include "cmd.h"

static const struct mlp_opt opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

static int
init_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_repo *repo = NULL;
	struct mlp_err err;
	int r, existed = 0;
	const char *dir;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r < 0) {
			mlp_opt_release(&p);
			return OPT_EXIT(r);
		}
	}
	if (p.npos > 1) {
		r = mlp_usage_error(ctx, "too many arguments");
		mlp_opt_release(&p);
		return r;
	}
	dir = p.npos ? p.pos[0] : ".";
	if (mlp_repo_init(&repo, dir, &existed, &err) < 0) {
		r = mlp_fail(ctx, &err);
		if (err.code == MLP_EEXISTS)
			mlp_hint(ctx, "run 'mlp init' in the directory that "
			    "holds .mlp, not inside it");
		mlp_opt_release(&p);
		return r;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "path", repo->dir);
		cJSON_AddBoolToObject(o, "existed", existed);
		mlp_print_json(o);
	} else if (!ctx->quiet) {
		printf("%s mlp repository in %s\n", existed ?
		    "Reinitialized existing" : "Initialized empty", repo->dir);
	}
	mlp_repo_free(repo);
	mlp_opt_release(&p);
	return 0;
}

const struct mlp_command cmd_init = {
	.name = "init",
	.run = init_run,
	.setup = NO_REPO,
	.summary = "Create an mlp repository (.mlp/) in DIR, or the current "
	    "directory",
	.opts = opts,
	.args = "[DIR]",
};
