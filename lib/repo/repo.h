/* The repository: finding and creating .mlp/, its config (git-config syntax
 * through libgit2) and code lineage from the user's git work tree. */
#ifndef MLP_REPO_H
#define MLP_REPO_H

#include "../core/core.h"
#include "../db/db.h"

struct mlp_repo {
	char *root;	/* the directory holding .mlp/ (the work tree) */
	char *dir;	/* the .mlp directory itself, absolute */
};

/* Finds the repository: $MLP_DIR when mlp_dir is not NULL (the .mlp
 * directory itself, like GIT_DIR), else walks up from start looking for a
 * .mlp directory. MLP_ENOREPO when there is none; the message names start.
 * The caller frees *out with mlp_repo_free(). */
int mlp_repo_discover(struct mlp_repo **out, const char *start,
    const char *mlp_dir, struct mlp_err *err);

/* Creates DIR/.mlp with config, mlp.db, objects/ and tmp/, making DIR when
 * missing. Safe to run again: *existed is set to 1 and anything missing is
 * added. MLP_EEXISTS when DIR is inside a repository's .mlp directory.
 * The caller frees *out. */
int mlp_repo_init(struct mlp_repo **out, const char *dir, int *existed,
    struct mlp_err *err);

/* Opens the repository's metadata database (applying migrations). */
int mlp_repo_open_db(const struct mlp_repo *r, struct mlp_db **out,
    struct mlp_err *err);

/* A newly allocated path inside .mlp/ (caller frees). */
char *mlp_repo_path(const struct mlp_repo *r, const char *rel);

void mlp_repo_free(struct mlp_repo *r);

/* Config. Keys are git-config keys ("section.name" or
 * "section.sub.name"); libgit2 validates them. */

/* The global config file: $XDG_CONFIG_HOME/mlp/config or
 * ~/.config/mlp/config (caller frees). */
char *mlp_config_global_path(void);

/* Reads key, the repository level (when r is not NULL) overriding the global
 * one. *out is newly allocated; MLP_ENOTFOUND when unset. */
int mlp_config_get(const struct mlp_repo *r, const char *key, char **out,
    struct mlp_err *err);

/* Writes or removes key in the config file at path, creating the file and
 * its parent directory when needed. unset gives MLP_ENOTFOUND when the key
 * is not there. */
int mlp_config_set(const char *path, const char *key, const char *value,
    struct mlp_err *err);
int mlp_config_unset(const char *path, const char *key, struct mlp_err *err);

/* Calls fn for every entry: of the file at path when path is not NULL, else
 * of the global and repository levels merged (a later level's entry is
 * reported after the earlier one's, as git config --list does). */
typedef int (*mlp_config_fn)(const char *key, const char *value, void *ud);
int mlp_config_list(const struct mlp_repo *r, const char *path,
    mlp_config_fn fn, void *ud, struct mlp_err *err);

/* Code lineage of the git work tree containing dir. */
struct mlp_git_info {
	char commit[41];
	char *branch;	/* NULL when HEAD is detached */
	int dirty;	/* tracked files differ from HEAD */
};

/* Fills out from the git work tree holding dir; MLP_ENOTFOUND when dir is
 * not in one (or HEAD has no commit yet). Release with
 * mlp_git_info_release(). */
int mlp_git_describe(const char *dir, struct mlp_git_info *out,
    struct mlp_err *err);
void mlp_git_info_release(struct mlp_git_info *gi);

#endif
