/* mlp config: git-config syntax, through libgit2's config API. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

enum { O_GLOBAL = 1, O_GET, O_LIST, O_UNSET };

static const struct mlp_opt opts[] = {
	{ O_GLOBAL, 0, "global", NULL, "use the global file "
	    "(~/.config/mlp/config, or under $XDG_CONFIG_HOME)" },
	{ O_GET, 0, "get", NULL, "print KEY's value (exit 1 when unset)" },
	{ O_LIST, 'l', "list", NULL, "print every KEY=VALUE" },
	{ O_UNSET, 0, "unset", NULL, "remove KEY" },
	{ 0, 0, NULL, NULL, NULL },
};

/* --list: "key=value" lines, or with --json an array of
 * {"key", "value"} in file order (keys may repeat, as in git). */
static int
print_entry(const char *key, const char *value, void *ud)
{
	cJSON *arr = ud, *o;

	if (!arr) {
		printf("%s=%s\n", key, value);
		return 0;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "key", key);
	cJSON_AddStringToObject(o, "value", value);
	cJSON_AddItemToArray(arr, o);
	return 0;
}

static int
config_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_err err;
	int r, global = 0, get = 0, list = 0, unset = 0, rc = 0;
	char *path = NULL, *value = NULL;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		switch (r) {
		case O_GLOBAL: global = 1; break;
		case O_GET: get = 1; break;
		case O_LIST: list = 1; break;
		case O_UNSET: unset = 1; break;
		default:
			mlp_opt_release(&p);
			return OPT_EXIT(r);
		}
	}
	if (get + list + unset > 1) {
		rc = mlp_usage_error(ctx, "--get, --list and --unset do not "
		    "go together");
		goto out;
	}
	if (list ? p.npos != 0 : (unset || get) ? p.npos != 1 :
	    (p.npos < 1 || p.npos > 2)) {
		rc = mlp_usage_error(ctx, p.npos == 0 ? "give a KEY" :
		    "wrong number of arguments");
		goto out;
	}
	if (!global && !ctx->repo && (unset || (!list && p.npos == 2))) {
		err.code = MLP_ENOREPO;
		{
			struct mlp_repo *tmp = NULL;

			mlp_repo_discover(&tmp, ".", NULL, &err);
			mlp_repo_free(tmp);
		}
		rc = mlp_fail(ctx, &err);
		mlp_hint(ctx, "or use --global");
		goto out;
	}
	path = global ? mlp_config_global_path() :
	    ctx->repo ? mlp_repo_path(ctx->repo, "config") : NULL;
	if (list) {
		cJSON *arr = ctx->json ? cJSON_CreateArray() : NULL;

		rc = mlp_config_list(global ? NULL : ctx->repo,
		    global ? path : NULL, print_entry, arr, &err);
		if (arr && rc == 0)
			mlp_print_json(arr);
		else
			cJSON_Delete(arr);
	} else if (unset) {
		rc = mlp_config_unset(path, p.pos[0], &err);
	} else if (get || p.npos == 1) {
		rc = global ? mlp_config_get(NULL, p.pos[0], &value, &err) :
		    mlp_config_get(ctx->repo, p.pos[0], &value, &err);
		if (rc == MLP_ENOTFOUND) {
			/* git config exits 1 silently for an unset key */
			rc = 1;
			goto out;
		}
		if (rc == 0 && ctx->json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "key", p.pos[0]);
			cJSON_AddStringToObject(o, "value", value);
			mlp_print_json(o);
		} else if (rc == 0) {
			printf("%s\n", value);
		}
	} else {
		rc = mlp_config_set(path, p.pos[0], p.pos[1], &err);
	}
	if (rc < 0)
		rc = mlp_fail(ctx, &err);
out:
	free(path);
	free(value);
	mlp_opt_release(&p);
	return rc;
}

const struct mlp_command cmd_config = {
	.name = "config",
	.run = config_run,
	.setup = OPT_REPO,
	.summary = "Get and set options in .mlp/config (or, with --global, "
	    "~/.config/mlp/config)",
	.opts = opts,
	.args = "KEY [VALUE]",
};
