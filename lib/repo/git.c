/* Loading libgit2 on first use (see git.h for why). */
#include <dlfcn.h>
#include <stdio.h>

#include "git.h"

#ifndef MLP_LIBGIT2_SONAME
#define MLP_LIBGIT2_SONAME "libgit2.so"
#endif

const struct mlp_git *
mlp_git_load(struct mlp_err *err)
{
	static struct mlp_git g;
	static int loaded;
	void *h;

	if (loaded)
		return &g;
	h = dlopen(MLP_LIBGIT2_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		mlp_err_set(err, MLP_EUNSUPPORTED, "cannot load libgit2: %s",
		    dlerror());
		return NULL;
	}
#define MLP_GIT_LOAD(fn) \
	*(void **)&g.fn = dlsym(h, #fn); \
	if (!g.fn) { \
		mlp_err_set(err, MLP_EUNSUPPORTED, \
		    "cannot load libgit2: '%s' is missing from %s", #fn, \
		    MLP_LIBGIT2_SONAME); \
		return NULL; \
	}
	MLP_GIT_FUNCS(MLP_GIT_LOAD)
#undef MLP_GIT_LOAD
	if (g.git_libgit2_init() < 0) {
		mlp_err_set(err, MLP_EFAIL, "cannot initialise libgit2");
		return NULL;
	}
	loaded = 1;
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
