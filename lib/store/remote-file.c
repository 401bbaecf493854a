/* The file:// remote: a directory (local, or a mounted network
 * filesystem) with the remote layout. Every file is written under a
 * temporary name in ROOT/tmp/, synced and renamed into place, so a reader
 * never sees a partial object or document. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote.h"

struct mlp_remote_conn {
	char *root;
	atomic_uint seq;
	struct mlp_renames renames;	/* objects put, not yet flushed */
};

static int
file_check(const char *url, struct mlp_err *err)
{
	if (strncmp(url, "file://", 7) != 0 || url[7] != '/' || url[8] == '\0')
		return mlp_err_set(err, MLP_EINVAL, "'%.200s' is not a file:// "
		    "URL of an absolute path (file:///path/to/dir)", url);
	return 0;
}

/* mkdir -p */
static int
make_dirs(const char *path, struct mlp_err *err)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0777) < 0 && errno != EEXIST) {
				rc = mlp_err_set(err, MLP_EFAIL, "cannot create "
				    "'%s': %s", p, strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

static void
file_close(struct mlp_remote_conn *c)
{
	if (!c)
		return;
	mlp_renames_release(&c->renames);
	free(c->root);
	free(c);
}

static int
is_dir(const char *root, const char *sub)
{
	char *p = xasprintf("%s/%s", root, sub);
	struct stat sb;
	int r = stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);

	free(p);
	return r;
}

/* 1 when the directory at path holds nothing; -1 when it cannot be read */
static int
is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return -1;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* What is at root, when it is not a remote that can be opened: as git,
 * only a push may make a new one, where nothing (or an empty directory)
 * is; anything else would scatter objects into a stranger's directory or
 * read a typo as an empty remote. */
static int
check_root(const char *root, const struct mlp_remote_cfg *cfg,
    struct mlp_err *err)
{
	struct stat sb;
	int empty;

	if (stat(root, &sb) < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			return mlp_err_set(err, MLP_EFAIL, "cannot open '%s': %s",
			    root, strerror(errno));
		if (cfg->create)
			return 0;
		return mlp_err_set(err, MLP_ENOTFOUND, "'%.200s' is not an mlp "
		    "remote: '%s' does not exist", cfg->url, root);
	}
	if (!S_ISDIR(sb.st_mode))
		return mlp_err_set(err, MLP_ENOTFOUND, "'%.200s' is not an mlp "
		    "remote: '%s' is not a directory", cfg->url, root);
	if (is_dir(root, "objects") || is_dir(root, "models"))
		return 0;
	if ((empty = is_empty_dir(root)) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s", root,
		    strerror(errno));
	if (empty && cfg->create)
		return 0;
	return mlp_err_set(err, MLP_ENOTFOUND, "'%.200s' is not an mlp remote: "
	    "'%s' %s", cfg->url, root, empty ? "is an empty directory" :
	    "holds neither objects/ nor models/");
}

static int
file_open(struct mlp_remote_conn **out, const struct mlp_remote_cfg *cfg,
    struct mlp_err *err)
{
	struct mlp_remote_conn *c = xcalloc(1, sizeof(*c));
	size_t n;
	int rc = 0;

	mlp_renames_init(&c->renames);
	c->root = xstrdup(cfg->url + 7);
	n = strlen(c->root);
	while (n > 1 && c->root[n - 1] == '/')
		c->root[--n] = '\0';
	atomic_init(&c->seq, 0);
	if ((rc = check_root(c->root, cfg, err)) < 0) {
		file_close(c);
		return rc;
	}
	for (int i = 0; i < 3 && rc == 0; i++) {
		static const char *const sub[] = { "objects", "models", "tmp" };
		char *d = xasprintf("%s/%s", c->root, sub[i]);

		rc = make_dirs(d, err);
		free(d);
	}
	if (rc < 0) {
		file_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static char *
object_path(struct mlp_remote_conn *c, const struct mlp_oid *oid)
{
	char key[MLP_REMOTE_KEYSZ];

	mlp_remote_object_key(oid, key);
	return xasprintf("%s/%s", c->root, key);
}

static int
file_has_many(struct mlp_remote_conn *c, const struct mlp_oid *oids,
    size_t n, unsigned char *have, struct mlp_err *err)
{
	struct stat sb;

	for (size_t i = 0; i < n; i++) {
		char *p = object_path(c, &oids[i]);

		have[i] = stat(p, &sb) == 0;
		free(p);
	}
	return 0;
}

/* Copies everything from in to out; copy_file_range first (a reflink or
 * a server-side copy where the filesystem can). */
static int
copy_fd(int in, const char *in_name, int out, const char *out_name,
    struct mlp_err *err)
{
	static __thread char buf[1 << 16];
	ssize_t got;

	for (;;) {
		got = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (got == 0)
			return 0;
		if (got < 0)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
	    errno != EOPNOTSUPP)
		return mlp_err_write(err, errno, 0, "cannot copy '%s' to '%s'",
		    in_name, out_name);
	while ((got = read(in, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    in_name, strerror(errno));
		}
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(out, buf + off, (size_t)(got - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return mlp_err_write(err, errno, 0, "cannot "
				    "write '%s'", out_name);
			}
			off += w;
		}
	}
	return 0;
}

/* A new file in ROOT/tmp/ (read-only once complete: mode 0444). */
static int
tmp_create(struct mlp_remote_conn *c, char **path, struct mlp_err *err)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[4] = { 0 };
		int fd;

		(void)mlp_random(r, sizeof(r), NULL);
		*path = xasprintf("%s/tmp/put-%ld-%u-%02x%02x%02x%02x", c->root,
		    (long)getpid(), atomic_fetch_add(&c->seq, 1), r[0], r[1],
		    r[2], r[3]);
		fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST) {
			int rc = mlp_err_set(err, MLP_EFAIL, "cannot create "
			    "'%s': %s", *path, strerror(errno));

			free(*path);
			*path = NULL;
			return rc;
		}
		free(*path);
	}
	*path = NULL;
	return mlp_err_set(err, MLP_EFAIL, "cannot create a file in '%s/tmp'",
	    c->root);
}

/* Syncs the complete temporary file fd and renames it to dest, creating
 * dest's directory when needed. Removes tmp on failure. */
static int
commit_tmp(int fd, char *tmp, const char *dest, struct mlp_err *err)
{
	int rc = 0;

	if (fdatasync(fd) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot sync '%s': %s", tmp,
		    strerror(errno));
	} else if (rename(tmp, dest) < 0) {
		char *dir = xstrdup(dest);

		*strrchr(dir, '/') = '\0';
		if (errno != ENOENT || (rc = make_dirs(dir, err)) < 0 ||
		    rename(tmp, dest) < 0)
			rc = rc < 0 ? rc : mlp_err_set(err, MLP_EFAIL, "cannot "
			    "rename '%s' to '%s': %s", tmp, dest,
			    strerror(errno));
		free(dir);
	}
	close(fd);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int
file_put_object(struct mlp_remote_conn *c, const struct mlp_oid *oid,
    const char *path, uint64_t size, struct mlp_err *err)
{
	char *tmp = NULL, *dest;
	int in, out, rc;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	if ((out = tmp_create(c, &tmp, err)) < 0) {
		close(in);
		return out;
	}
	dest = object_path(c, oid);
	rc = copy_fd(in, path, out, tmp, err);
	close(out);
	close(in);
	if (rc < 0) {
		unlink(tmp);
		free(tmp);
		free(dest);
		return rc;
	}
	/* durable and visible with the rest of its batch (file_flush) */
	mlp_renames_add(&c->renames, tmp, dest);
	return 0;
}

static int
file_flush(struct mlp_remote_conn *c, struct mlp_err *err)
{
	char *tmpdir = xasprintf("%s/tmp", c->root);
	int rc = mlp_renames_commit(&c->renames, tmpdir, err);

	free(tmpdir);
	return rc;
}

static void
file_discard(struct mlp_remote_conn *c)
{
	mlp_renames_discard(&c->renames);
}

static int
file_get_object(struct mlp_remote_conn *c, const struct mlp_oid *oid, int fd,
    struct mlp_err *err)
{
	char *path = object_path(c, oid);
	int in, rc;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	rc = copy_fd(in, path, fd, "a temporary file", err);
	close(in);
	free(path);
	return rc;
}

static int
file_put_doc(struct mlp_remote_conn *c, const char *key, const char *data,
    size_t n, struct mlp_err *err)
{
	char *tmp = NULL, *dest = xasprintf("%s/%s", c->root, key);
	int fd, rc = 0;

	if ((fd = tmp_create(c, &tmp, err)) < 0) {
		free(dest);
		return fd;
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, data + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s",
			    tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (rc < 0) {
		close(fd);
		unlink(tmp);
		free(tmp);
	} else {
		rc = commit_tmp(fd, tmp, dest, err);
	}
	free(dest);
	return rc;
}

static int
file_get_doc(struct mlp_remote_conn *c, const char *key, char **out,
    size_t *n, struct mlp_err *err)
{
	char *path = xasprintf("%s/%s", c->root, key);
	struct mlp_buf b = MLP_BUF_INIT;
	char chunk[8192];
	ssize_t got;
	int fd, rc = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		return rc;
	}
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    path, strerror(errno));
			break;
		}
		if (b.len + (size_t)got > MLP_REMOTE_MAX_DOC) {
			rc = mlp_err_set(err, MLP_ECORRUPT, "'%s' is larger "
			    "than %u MiB: not a remote's document", path,
			    MLP_REMOTE_MAX_DOC >> 20);
			break;
		}
		mlp_buf_add(&b, chunk, (size_t)got);
	}
	close(fd);
	free(path);
	if (rc < 0) {
		mlp_buf_release(&b);
		return rc;
	}
	if (n)
		*n = b.len;
	mlp_buf_grow(&b, 0);
	*out = mlp_buf_detach(&b);
	return 0;
}

static int
walk(const char *root, struct mlp_buf *rel, mlp_remote_list_fn fn, void *ud,
    struct mlp_err *err)
{
	char *path = xasprintf("%s/%s", root, mlp_buf_str(rel));
	size_t len = rel->len;
	struct dirent *de;
	DIR *d = opendir(path);
	int rc = 0;

	if (!d) {
		if (errno != ENOENT)
			rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
			    path, strerror(errno));
		free(path);
		return rc;
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		rel->len = len;
		if (len && rel->s[len - 1] != '/')
			mlp_buf_addc(rel, '/');
		mlp_buf_adds(rel, de->d_name);
		if (fstatat(dirfd(d), de->d_name, &sb, 0) < 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			rc = walk(root, rel, fn, ud, err);
		else if (S_ISREG(sb.st_mode))
			rc = fn(rel->s, (uint64_t)sb.st_size, ud);
	}
	rel->len = len;
	if (rel->s)
		rel->s[len] = '\0';
	closedir(d);
	free(path);
	return rc;
}

static int
file_list(struct mlp_remote_conn *c, const char *prefix,
    mlp_remote_list_fn fn, void *ud, struct mlp_err *err)
{
	struct mlp_buf rel = MLP_BUF_INIT;
	int rc;

	mlp_buf_adds(&rel, prefix);
	rc = walk(c->root, &rel, fn, ud, err);
	mlp_buf_release(&rel);
	return rc;
}

const struct mlp_remote_backend mlp_remote_file = {
	.scheme = "file",
	.check = file_check,
	.open = file_open,
	.has_many = file_has_many,
	.put_object = file_put_object,
	.get_object = file_get_object,
	.put_doc = file_put_doc,
	.get_doc = file_get_doc,
	.list = file_list,
	.flush = file_flush,
	.discard = file_discard,
	.close = file_close,
};
