/* libgit2, loaded on first use (lib/core/dl.h). Linking it would make every
 * command load 18 shared libraries at start-up (3x the time of
 * `git --version`); most commands never touch git, so the few that do load
 * it here. Only this module and its users in lib/repo include it. */
#ifndef MLP_REPO_GIT_H
#define MLP_REPO_GIT_H

#include <git2.h>

#include "../core/core.h"
#include "../core/dl.h"

/* The functions mlp uses; each pointer has the exact type of the libgit2
 * declaration, so a signature change fails the build. */
#define MLP_GIT_FUNCS(X) \
	X(git_libgit2_init) \
	X(git_error_last) \
	X(git_buf_dispose) \
	X(git_config_new) \
	X(git_config_add_file_ondisk) \
	X(git_config_open_ondisk) \
	X(git_config_get_entry) \
	X(git_config_entry_free) \
	X(git_config_set_string) \
	X(git_config_delete_entry) \
	X(git_config_foreach) \
	X(git_config_free) \
	X(git_repository_open_ext) \
	X(git_repository_free) \
	X(git_repository_head) \
	X(git_repository_is_bare) \
	X(git_reference_free) \
	X(git_reference_target) \
	X(git_reference_shorthand) \
	X(git_reference_is_branch) \
	X(git_oid_tostr) \
	X(git_status_list_new) \
	X(git_status_list_entrycount) \
	X(git_status_list_free)

struct mlp_git {
	MLP_GIT_FUNCS(MLP_DL_MEMBER)
};

/* Loads libgit2 and initialises it, once; the returned table lives for the
 * process. NULL with err set when the library cannot be loaded. */
const struct mlp_git *mlp_git_load(struct mlp_err *err);

/* Sets err from libgit2's last error, with what was being done in front. */
int mlp_git_error(const struct mlp_git *g, struct mlp_err *err, int code,
    const char *what);

#endif
