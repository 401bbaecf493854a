/* Loading libgit2 on first use (see git.h for why). */
#include "../core/dl.h"
#include "git.h"

#ifndef MLP_LIBGIT2_SONAME
#define MLP_LIBGIT2_SONAME "libgit2.so"
#endif

const struct mlp_git *
mlp_git_load(struct mlp_err *err)
{
	static struct mlp_git g;
	static int initialised;
#define SYM(fn) { #fn, (void **)&g.fn },
	static const struct mlp_dl_sym syms[] = { MLP_GIT_FUNCS(SYM) };
#undef SYM

	if (initialised)
		return &g;
	if (mlp_dl_load("libgit2", MLP_LIBGIT2_SONAME, syms,
	    sizeof(syms) / sizeof(*syms), err) < 0)
		return NULL;
	if (g.git_libgit2_init() < 0) {
		mlp_err_set(err, MLP_EFAIL, "cannot initialise libgit2");
		return NULL;
	}
	initialised = 1;
	return &g;
}

int
mlp_git_error(const struct mlp_git *g, struct mlp_err *err, int code,
    const char *what)
{
	const git_error *e = g->git_error_last();

	return mlp_err_set(err, code, "%s: %s", what,
	    e && e->message ? e->message : "unknown libgit2 error");
}
