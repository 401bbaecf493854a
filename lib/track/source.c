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

/* Appends a system tag. What the system records is not the user's input
 * to refuse: bytes that are not UTF-8 (a directory's name) are written
 * as \xNN, and a value is cut to the tag limit at a character. */
static void
push(struct mlp_kv **v, size_t *n, size_t *alloc, const char *k,
    const char *val)
{
	struct mlp_buf b = MLP_BUF_INIT;
	size_t len = strlen(val);
	long bad;

	while ((bad = mlp_utf8_invalid(val, len)) >= 0) {
		mlp_buf_add(&b, val, (size_t)bad);
		mlp_buf_addf(&b, "\\x%02x", (unsigned char)val[bad]);
		val += bad + 1;
		len -= (size_t)bad + 1;
	}
	mlp_buf_add(&b, val, len);
	if (b.len > MLP_TAG_VALUE_MAX) {
		size_t cut = MLP_TAG_VALUE_MAX;

		while (cut > 0 && ((unsigned char)b.s[cut] & 0xc0) == 0x80)
			cut--;
		b.len = cut;
		b.s[cut] = '\0';
	}
	mlp_grow(v, alloc, *n + 1, sizeof(**v));
	(*v)[*n].key = xstrdup(k);
	(*v)[*n].value = mlp_buf_detach(&b);
	(*n)++;
}

char *
mlp_track_user(const struct mlp_repo *repo)
{
	const char *u = getenv("MLP_USER");
	struct passwd *pw;
	struct mlp_err err;
	char *name = NULL;

	if (u && *u)
		return xstrdup(u);
	/* git's rule: the configured name first, then who is logged in */
	mlp_err_clear(&err);
	if (mlp_config_get(repo, "user.name", &name, &err) == 0 && *name)
		return name;
	free(name);
	if ((u = getenv("USER")) && *u)
		return xstrdup(u);
	pw = getpwuid(getuid());
	return xstrdup(pw && pw->pw_name ? pw->pw_name : "unknown");
}

int
mlp_track_source_tags(const char *cmdline, const char *user,
    struct mlp_kv **out, size_t *n)
{
	char host[256], cwd[PATH_MAX];
	struct mlp_git_info gi;
	struct mlp_err err;
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	if (user)
		push(out, n, &alloc, "mlp.user", user);
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
