/* What a run records about where it came from: user, host, directory,
 * command line, mlp version and the git commit of the code. */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../repo/repo.h"
#include "track.h"

static void
push(struct mlp_kv **v, size_t *n, size_t *alloc, const char *k,
    const char *val)
{
	mlp_grow(v, alloc, *n + 1, sizeof(**v));
	(*v)[*n].key = xstrdup(k);
	(*v)[*n].value = xstrdup(val);
	(*n)++;
}

char *
mlp_track_user(void)
{
	const char *u = getenv("MLP_USER");
	struct passwd *pw;

	if (u && *u)
		return xstrdup(u);
	if ((u = getenv("USER")) && *u)
		return xstrdup(u);
	pw = getpwuid(getuid());
	return xstrdup(pw && pw->pw_name ? pw->pw_name : "unknown");
}

int
mlp_track_source_tags(const char *cmdline, struct mlp_kv **out, size_t *n)
{
	char host[256], cwd[PATH_MAX];
	struct mlp_git_info gi;
	struct mlp_err err;
	size_t alloc = 0;
	char *user = mlp_track_user();

	*out = NULL;
	*n = 0;
	push(out, n, &alloc, "mlp.user", user);
	free(user);
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		push(out, n, &alloc, "mlp.source.host", host);
	}
	if (getcwd(cwd, sizeof(cwd)))
		push(out, n, &alloc, "mlp.source.cwd", cwd);
	if (cmdline)
		push(out, n, &alloc, "mlp.source.cmdline", cmdline);
	push(out, n, &alloc, "mlp.version", MLP_VERSION);
	/* outside a git work tree (or without libgit2) there is simply no
	 * code lineage to record */
	mlp_err_clear(&err);
	if (mlp_git_describe(".", &gi, &err) == 0) {
		push(out, n, &alloc, "mlp.source.git.commit", gi.commit);
		if (gi.branch)
			push(out, n, &alloc, "mlp.source.git.branch",
			    gi.branch);
		push(out, n, &alloc, "mlp.source.git.dirty",
		    gi.dirty ? "true" : "false");
		mlp_git_info_release(&gi);
	}
	return 0;
}

void
mlp_kvs_free(struct mlp_kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}
