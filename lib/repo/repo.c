/* Finding and creating the .mlp/ directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo.h"

static int
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static struct mlp_repo *
repo_new(const char *dir)
{
	struct mlp_repo *r = xcalloc(1, sizeof(*r));
	const char *slash;

	r->dir = xstrdup(dir);
	slash = strrchr(r->dir, '/');
	if (slash && slash != r->dir)
		r->root = xstrndup(r->dir, (size_t)(slash - r->dir));
	else
		r->root = xstrdup("/");
	return r;
}

int
mlp_repo_discover(struct mlp_repo **out, const char *start,
    const char *mlp_dir, struct mlp_err *err)
{
	char abs[PATH_MAX], *cur;
	size_t len;

	*out = NULL;
	if (mlp_dir && *mlp_dir) {
		if (!realpath(mlp_dir, abs) || !is_dir(abs))
			return mlp_err_set(err, MLP_ENOREPO,
			    "not an mlp repository: MLP_DIR='%s'", mlp_dir);
		*out = repo_new(abs);
		return 0;
	}
	if (!realpath(start, abs))
		return mlp_err_set(err, MLP_ENOREPO, "cannot resolve '%s': %s",
		    start, strerror(errno));
	cur = xmalloc(strlen(abs) + sizeof("/.mlp"));
	strcpy(cur, abs);
	for (;;) {
		len = strlen(cur);
		strcpy(cur + len, len > 1 ? "/.mlp" : ".mlp");
		if (is_dir(cur)) {
			*out = repo_new(cur);
			free(cur);
			return 0;
		}
		cur[len] = '\0';
		if (len <= 1)
			break;
		*strrchr(cur, '/') = '\0';
		if (!*cur)
			strcpy(cur, "/");
	}
	free(cur);
	return mlp_err_set(err, MLP_ENOREPO,
	    "not an mlp repository (or any parent): %s", abs);
}

char *
mlp_repo_path(const struct mlp_repo *r, const char *rel)
{
	return xasprintf("%s/%s", r->dir, rel);
}

int
mlp_repo_open_db(const struct mlp_repo *r, struct mlp_db **out,
    struct mlp_err *err)
{
	char *path = mlp_repo_path(r, "mlp.db");
	int rc = mlp_db_open(out, path, 0, err);

	free(path);
	return rc;
}

static int
make_dir(const char *path, struct mlp_err *err)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s",
		    path, strerror(errno));
	if (!is_dir(path))
		return mlp_err_set(err, MLP_EFAIL,
		    "cannot create '%s': a file is in the way", path);
	return 0;
}

/* mkdir -p */
static int
make_dirs(const char *path, struct mlp_err *err)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (!is_dir(p) && (rc = make_dir(p, err)) < 0)
			break;
		*s = '/';
	}
	if (rc == 0)
		rc = make_dir(p, err);
	free(p);
	return rc;
}

static int
write_new_file(const char *path, const char *text, struct mlp_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	size_t len = strlen(text);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		return mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s",
		    path, strerror(errno));
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s",
		    path, strerror(e));
	}
	close(fd);
	return 0;
}

/* 1 when path is a .mlp directory holding a repository. */
static int
is_repo_dir(const char *path)
{
	const char *base = strrchr(path, '/');
	char *db, *cfg;
	struct stat sb;
	int r;

	if (strcmp(base ? base + 1 : path, ".mlp") != 0)
		return 0;
	db = xasprintf("%s/mlp.db", path);
	cfg = xasprintf("%s/config", path);
	r = stat(db, &sb) == 0 || stat(cfg, &sb) == 0;
	free(db);
	free(cfg);
	return r;
}

/* MLP_EEXISTS when dir is, or would be created, inside a repository's
 * .mlp directory (git init refuses the inside of .git likewise): the
 * nearest existing ancestor is resolved and each of its prefixes
 * checked. */
static int
check_not_inside(const char *dir, struct mlp_err *err)
{
	char real[PATH_MAX], *p = xstrdup(dir), *slash;
	int rc = 0;

	while (!realpath(*p ? p : ".", real)) {
		if (!*p || strcmp(p, ".") == 0) {
			free(p);
			return 0;	/* init itself will say what is wrong */
		}
		if (!(slash = strrchr(p, '/'))) {
			strcpy(p, ".");
		} else if (slash == p) {
			strcpy(p, "/");
		} else {
			*slash = '\0';
		}
	}
	for (char *s = real + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (is_repo_dir(real)) {
				rc = mlp_err_set(err, MLP_EEXISTS, "'%s' is "
				    "already inside the mlp repository '%s'",
				    dir, real);
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	free(p);
	return rc;
}

int
mlp_repo_init(struct mlp_repo **out, const char *dir, int *existed,
    struct mlp_err *err)
{
	char abs[PATH_MAX], *mlp = NULL, *p = NULL;
	struct mlp_db *db = NULL;
	int rc;

	*out = NULL;
	if ((rc = check_not_inside(dir, err)) < 0 ||
	    (rc = make_dirs(dir, err)) < 0)
		return rc;
	if (!realpath(dir, abs))
		return mlp_err_set(err, MLP_EFAIL, "cannot resolve '%s': %s",
		    dir, strerror(errno));
	mlp = xasprintf("%s%s.mlp", abs, strcmp(abs, "/") ? "/" : "");
	*existed = is_dir(mlp);
	if ((rc = make_dir(mlp, err)) < 0)
		goto out;
	*out = repo_new(mlp);
	p = mlp_repo_path(*out, "objects");
	if ((rc = make_dir(p, err)) < 0)
		goto out;
	free(p);
	p = mlp_repo_path(*out, "tmp");
	if ((rc = make_dir(p, err)) < 0)
		goto out;
	free(p);
	p = mlp_repo_path(*out, "config");
	if ((rc = write_new_file(p, "[core]\n\tformat = 1\n", err)) < 0)
		goto out;
	free(p);
	p = mlp_repo_path(*out, "mlp.db");
	rc = mlp_db_open(&db, p, 1, err);
out:
	mlp_db_close(db);
	free(p);
	free(mlp);
	if (rc < 0) {
		mlp_repo_free(*out);
		*out = NULL;
	}
	return rc;
}

void
mlp_repo_free(struct mlp_repo *r)
{
	if (!r)
		return;
	free(r->root);
	free(r->dir);
	free(r);
}
