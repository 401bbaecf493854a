/* Config files in git-config syntax, read and written with libgit2's config
 * API; and code lineage from the user's git work tree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "git.h"
#include "repo.h"

char *
mlp_config_global_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg == '/')
		return xasprintf("%s/mlp/config", xdg);
	return xasprintf("%s/.config/mlp/config", home && *home ? home : ".");
}

/* Opens the merged view: global, then the repository's own level. */
static int
open_merged(const struct mlp_git *g, const struct mlp_repo *r,
    git_config **out, struct mlp_err *err)
{
	git_config *cfg = NULL;
	char *global = mlp_config_global_path(), *local = NULL;
	struct stat sb;
	int rc = 0;

	if (g->git_config_new(&cfg) < 0) {
		rc = mlp_git_error(g, err, MLP_EFAIL, "cannot read config");
		goto out;
	}
	if (stat(global, &sb) == 0 && g->git_config_add_file_ondisk(cfg, global,
	    GIT_CONFIG_LEVEL_GLOBAL, NULL, 0) < 0) {
		rc = mlp_git_error(g, err, MLP_EINVAL, "cannot read config");
		goto out;
	}
	if (r) {
		local = mlp_repo_path(r, "config");
		if (stat(local, &sb) == 0 && g->git_config_add_file_ondisk(cfg,
		    local, GIT_CONFIG_LEVEL_LOCAL, NULL, 0) < 0) {
			rc = mlp_git_error(g, err, MLP_EINVAL,
			    "cannot read config");
			goto out;
		}
	}
out:
	free(global);
	free(local);
	if (rc < 0) {
		g->git_config_free(cfg);
		cfg = NULL;
	}
	*out = cfg;
	return rc;
}

int
mlp_config_get(const struct mlp_repo *r, const char *key, char **out,
    struct mlp_err *err)
{
	const struct mlp_git *g = mlp_git_load(err);
	git_config *cfg = NULL;
	git_config_entry *e = NULL;
	int rc;

	*out = NULL;
	if (!g)
		return err->code;
	if ((rc = open_merged(g, r, &cfg, err)) < 0)
		return rc;
	rc = g->git_config_get_entry(&e, cfg, key);
	if (rc == GIT_ENOTFOUND) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "'%s' is not set", key);
	} else if (rc < 0) {
		rc = mlp_git_error(g, err, MLP_EINVAL, "cannot read config");
	} else {
		*out = xstrdup(e->value ? e->value : "");
		rc = 0;
	}
	g->git_config_entry_free(e);
	g->git_config_free(cfg);
	return rc;
}

/* libgit2 cannot create a config file whose directory is missing. */
static int
make_parent(const char *path, struct mlp_err *err)
{
	char *dir = xstrdup(path), *slash;
	int rc = 0;

	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s",
			    dir, strerror(errno));
			break;
		}
		*slash = '/';
	}
	free(dir);
	return rc;
}

static int
open_file(const struct mlp_git *g, const char *path, git_config **cfg,
    struct mlp_err *err)
{
	int rc;

	if ((rc = make_parent(path, err)) < 0)
		return rc;
	if (g->git_config_open_ondisk(cfg, path) < 0) {
		char what[300];

		snprintf(what, sizeof(what), "cannot open '%s'", path);
		return mlp_git_error(g, err, MLP_EINVAL, what);
	}
	return 0;
}

/* A failed write of the config file at path. libgit2 words an OS error as
 * "...: strerror(errno)" and clears errno, so a read-only repository or a
 * full disk is recognised from the words. */
static int
write_error(const struct mlp_git *g, const char *path, const char *what,
    struct mlp_err *err)
{
	static const int causes[] = { EROFS, EACCES, EPERM, ENOSPC, EDQUOT };
	const git_error *ge = g->git_error_last();
	char *global;

	for (size_t i = 0; ge && ge->klass == GIT_ERROR_OS && ge->message &&
	    i < sizeof(causes) / sizeof(causes[0]); i++) {
		const char *why = strerror(causes[i]);
		size_t n = strlen(ge->message), k = strlen(why);

		if (n <= k || strcmp(ge->message + n - k, why) != 0)
			continue;
		global = mlp_config_global_path();
		mlp_err_write(err, causes[i], strcmp(path, global) != 0,
		    "cannot write '%s'", path);
		free(global);
		return mlp_err_prefix(err, "%s", what);
	}
	return mlp_git_error(g, err, MLP_EINVAL, what);
}

int
mlp_config_set(const char *path, const char *key, const char *value,
    struct mlp_err *err)
{
	const struct mlp_git *g = mlp_git_load(err);
	git_config *cfg = NULL;
	int rc;

	if (!g)
		return err->code;
	if ((rc = open_file(g, path, &cfg, err)) < 0)
		return rc;
	if (g->git_config_set_string(cfg, key, value) < 0)
		rc = write_error(g, path, "cannot set config", err);
	g->git_config_free(cfg);
	return rc;
}

int
mlp_config_unset(const char *path, const char *key, struct mlp_err *err)
{
	const struct mlp_git *g = mlp_git_load(err);
	git_config *cfg = NULL;
	int rc;

	if (!g)
		return err->code;
	if ((rc = open_file(g, path, &cfg, err)) < 0)
		return rc;
	rc = g->git_config_delete_entry(cfg, key);
	if (rc == GIT_ENOTFOUND)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "'%s' is not set", key);
	else if (rc < 0)
		rc = write_error(g, path, "cannot unset config", err);
	g->git_config_free(cfg);
	return rc;
}

struct list_ctx {
	mlp_config_fn fn;
	void *ud;
};

static int
list_one(const git_config_entry *e, void *payload)
{
	struct list_ctx *lc = payload;

	return lc->fn(e->name, e->value ? e->value : "", lc->ud);
}

int
mlp_config_list(const struct mlp_repo *r, const char *path,
    mlp_config_fn fn, void *ud, struct mlp_err *err)
{
	const struct mlp_git *g = mlp_git_load(err);
	struct list_ctx lc = { fn, ud };
	git_config *cfg = NULL;
	struct stat sb;
	int rc;

	if (!g)
		return err->code;
	if (path) {
		if (stat(path, &sb) < 0)
			return 0;
		if (g->git_config_open_ondisk(&cfg, path) < 0)
			return mlp_git_error(g, err, MLP_EINVAL,
			    "cannot read config");
	} else if ((rc = open_merged(g, r, &cfg, err)) < 0) {
		return rc;
	}
	rc = g->git_config_foreach(cfg, list_one, &lc);
	if (rc < 0 && rc != GIT_EUSER)
		rc = mlp_git_error(g, err, MLP_EFAIL, "cannot list config");
	else if (rc != 0)
		rc = mlp_err_set(err, MLP_EFAIL, "config listing stopped");
	g->git_config_free(cfg);
	return rc;
}

int
mlp_git_describe(const char *dir, struct mlp_git_info *out,
    struct mlp_err *err)
{
	const struct mlp_git *g = mlp_git_load(err);
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_status_list *st = NULL;
	git_status_options so;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!g)
		return err->code;
	if (g->git_repository_open_ext(&repo, dir, 0, NULL) < 0 ||
	    g->git_repository_is_bare(repo)) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "'%s' is not in a git "
		    "work tree", dir);
		goto out;
	}
	if (g->git_repository_head(&head, repo) < 0 ||
	    !g->git_reference_target(head)) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "git HEAD has no commit");
		goto out;
	}
	g->git_oid_tostr(out->commit, sizeof(out->commit),
	    g->git_reference_target(head));
	if (g->git_reference_is_branch(head))
		out->branch = xstrdup(g->git_reference_shorthand(head));
	/* dirty as `git describe --dirty` sees it: tracked files only */
	memset(&so, 0, sizeof(so));
	so.version = GIT_STATUS_OPTIONS_VERSION;
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (g->git_status_list_new(&st, repo, &so) == 0)
		out->dirty = g->git_status_list_entrycount(st) > 0;
out:
	g->git_status_list_free(st);
	g->git_reference_free(head);
	g->git_repository_free(repo);
	return rc;
}

void
mlp_git_info_release(struct mlp_git_info *gi)
{
	free(gi->branch);
	gi->branch = NULL;
}
