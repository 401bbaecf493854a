/* Checking objects and trees out into the work tree: reflink, hardlink or
 * copy per store.link, each file under a temporary name, then renamed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct co {
	struct mlp_store *st;
	int overwrite;
	int no_reflink;		/* the destination refused a clone */
	unsigned seq;
};

/* Creates dir and its missing parents. */
static int
mkdir_p(const char *dir, struct mlp_err *err)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			rc = mlp_err_write(err, errno, 0, "cannot create "
			    "'%s'", p);
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* Creates a temporary file beside the destination (in the directory open
 * as dfd); its name goes to tmp. */
static int
tmp_beside(struct co *c, int dfd, unsigned mode, char tmp[64],
    struct mlp_err *err)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[4] = { 0 };
		int fd;

		(void)mlp_random(r, sizeof(r), NULL);
		snprintf(tmp, 64, ".mlp-checkout-%ld-%u-%02x%02x%02x%02x",
		    (long)getpid(), c->seq++, r[0], r[1], r[2], r[3]);
		fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return mlp_err_write(err, errno, 0, "cannot create a "
			    "file beside it");
	}
	return mlp_err_set(err, MLP_EFAIL, "cannot create a file beside it");
}

/* Renames tmp to name in dfd, refusing to replace a file unless asked. */
static int
finish(struct co *c, int dfd, const char *tmp, const char *name,
    const char *shown, struct mlp_err *err)
{
	int r;

	if (c->overwrite) {
		r = renameat(dfd, tmp, dfd, name);
		/* renaming a link over another link to the same inode does
		 * nothing and succeeds, leaving tmp behind */
		if (r == 0)
			unlinkat(dfd, tmp, 0);
	} else {
		r = renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE);
		if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* no RENAME_NOREPLACE here: a link cannot replace
			 * either */
			r = linkat(dfd, tmp, dfd, name, 0);
			if (r == 0)
				unlinkat(dfd, tmp, 0);
		}
	}
	if (r == 0)
		return 0;
	if (errno == EEXIST)
		return mlp_err_set(err, MLP_EEXISTS, "cannot check out '%s': it "
		    "exists", shown);
	return mlp_err_write(err, errno, 0, "cannot check out '%s'", shown);
}

/* Hashes the open file fd from its start and compares with oid. */
static int
check_fd(struct co *c, int fd, const struct mlp_oid *oid, uint64_t size,
    const char *name, struct mlp_err *err)
{
	struct mlp_oid got;
	uint64_t bytes;
	int rc;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s", name,
		    strerror(errno));
	if ((rc = store_hash_fd(c->st, fd, name, size, &got, &bytes, err)) < 0)
		return rc;
	if (mlp_oid_cmp(&got, oid) != 0)
		return store_corrupt(err, oid, &got);
	return 0;
}

/* Copies src to dst and hashes in the same pass. */
static int
copy_fd(struct co *c, int src, int dst, const struct mlp_oid *oid,
    uint64_t size, const char *obj, const char *shown, struct mlp_err *err)
{
	struct mlp_oid got;
	uint64_t bytes;
	int rc;

	if (size >= STORE_SMALL) {
		rc = store_stream(c->st, src, obj, dst, shown, 0, &got, &bytes,
		    err);
	} else {
		struct mlp_sha256 h;
		char buf[65536];

		if ((rc = mlp_sha256_begin(&h, err)) < 0)
			return rc;
		for (;;) {
			ssize_t r = read(src, buf, sizeof(buf));

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = mlp_err_set(err, MLP_EFAIL, "cannot read "
				    "'%s': %s", obj, strerror(errno));
				break;
			}
			if (r == 0)
				break;
			mlp_sha256_update(&h, buf, (size_t)r);
			store_progress(c->st, (uint64_t)r);
			if ((rc = store_write_all(dst, buf, (size_t)r, shown,
			    err)) < 0)
				break;
		}
		if (rc < 0) {
			mlp_sha256_abort(&h);
			return rc;
		}
		mlp_sha256_end(&h, &got);
	}
	if (rc < 0)
		return rc;
	if (mlp_oid_cmp(&got, oid) != 0)
		return store_corrupt(err, oid, &got);
	return 0;
}

/* Whether a failed clone or link means "not here", so the next method may
 * work. */
static int
fall_through(int e)
{
	return e == EOPNOTSUPP || e == ENOTSUP || e == EXDEV || e == EINVAL ||
	    e == ENOTTY || e == EPERM || e == EMLINK || e == ENOSYS;
}

/* Writes the object to name in dfd with one method: 0 when done, 1 when
 * the method does not apply here, or an error. */
static int
try_method(struct co *c, enum store_link how, int dfd, const char *name,
    const char *shown, const struct mlp_oid *oid, unsigned mode,
    struct mlp_err *err)
{
	char tmp[64], hex[MLP_OID_HEXSZ + 1];
	char *obj = NULL;
	struct stat sb;
	int sfd = -1, tfd = -1, rc, made = 0;

	if ((how == LINK_REFLINK && c->no_reflink) ||
	    (how == LINK_HARDLINK && mode != 0644))
		return 1;
	if ((rc = store_open_object(c->st, oid, &sfd, &sb, err)) < 0)
		return rc;
	mlp_oid_fmt(oid, hex);
	switch (how) {
	case LINK_REFLINK:
		if ((tfd = tmp_beside(c, dfd, mode, tmp, err)) < 0) {
			rc = tfd;
			goto fail;
		}
		made = 1;
		if (ioctl(tfd, FICLONE, sfd) < 0) {
			if (!fall_through(errno)) {
				rc = mlp_err_set(err, MLP_EFAIL, "cannot clone "
				    "object %s: %s", hex, strerror(errno));
				goto fail;
			}
			c->no_reflink = 1;
			rc = 1;
			goto fail;
		}
		/* the clone shares the object's blocks: hashing it checks
		 * both */
		if ((rc = check_fd(c, tfd, oid, (uint64_t)sb.st_size, shown,
		    err)) < 0)
			goto fail;
		break;
	case LINK_HARDLINK:
		if ((rc = check_fd(c, sfd, oid, (uint64_t)sb.st_size, hex,
		    err)) < 0)
			goto fail;
		obj = mlp_store_object_path(c->st, oid);
		for (int tries = 0;; tries++) {
			unsigned char r[4] = { 0 };

			(void)mlp_random(r, sizeof(r), NULL);
			snprintf(tmp, sizeof(tmp), ".mlp-checkout-%ld-%u-%02x%02x"
			    "%02x%02x", (long)getpid(), c->seq++, r[0], r[1],
			    r[2], r[3]);
			if (linkat(AT_FDCWD, obj, dfd, tmp, 0) == 0)
				break;
			if (errno == EEXIST && tries < 100)
				continue;
			if (fall_through(errno)) {
				rc = 1;
				goto fail;
			}
			rc = mlp_err_write(err, errno, 0, "cannot link object "
			    "%s to '%s'", hex, shown);
			goto fail;
		}
		made = 1;
		break;
	case LINK_COPY:
		if ((tfd = tmp_beside(c, dfd, mode, tmp, err)) < 0) {
			rc = tfd;
			goto fail;
		}
		made = 1;
		if ((rc = copy_fd(c, sfd, tfd, oid, (uint64_t)sb.st_size, hex,
		    shown, err)) < 0)
			goto fail;
		break;
	}
	if (tfd >= 0 && close(tfd) < 0) {
		tfd = -1;
		rc = mlp_err_write(err, errno, 0, "cannot write '%s'", shown);
		goto fail;
	}
	tfd = -1;
	if ((rc = finish(c, dfd, tmp, name, shown, err)) < 0)
		goto fail;
	close(sfd);
	free(obj);
	return 0;
fail:
	if (tfd >= 0)
		close(tfd);
	if (made)
		unlinkat(dfd, tmp, 0);
	close(sfd);
	free(obj);
	return rc;
}

static int
write_file(struct co *c, int dfd, const char *name, const char *shown,
    const struct mlp_oid *oid, unsigned mode, struct mlp_err *err)
{
	int rc;

	for (size_t i = 0; i < c->st->nlinks; i++)
		if ((rc = try_method(c, c->st->links[i], dfd, name, shown, oid,
		    mode, err)) <= 0)
			return rc;
	return try_method(c, LINK_COPY, dfd, name, shown, oid, mode, err);
}

/* Refuses to replace a directory, or a file unless overwriting. */
static int
check_target(struct co *c, int dfd, const char *rel, const char *shown,
    struct mlp_err *err)
{
	struct stat sb;

	if (fstatat(dfd, rel, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR)
			return mlp_err_set(err, MLP_EEXISTS, "cannot check out "
			    "'%s': a parent of it is not a directory", shown);
		return mlp_err_set(err, MLP_EFAIL, "cannot check out '%s': %s",
		    shown, strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return mlp_err_set(err, MLP_EEXISTS, "cannot check out '%s': it "
		    "is a directory", shown);
	if (!c->overwrite)
		return mlp_err_set(err, MLP_EEXISTS, "cannot check out '%s': it "
		    "exists", shown);
	return 0;
}

static int
checkout_blob(struct co *c, const struct mlp_oid *oid, const char *dest,
    struct mlp_err *err)
{
	char *dir = xstrdup(dest), *slash = strrchr(dir, '/');
	const char *name = dest;
	struct stat sb;
	int dfd = -1, rc, fd;

	if (slash) {
		name = dest + (slash - dir) + 1;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	} else {
		strcpy(dir, ".");
	}
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		rc = mlp_err_set(err, MLP_EINVAL, "cannot check out to '%s': "
		    "not a file name", dest);
		goto out;
	}
	if ((rc = store_open_object(c->st, oid, &fd, &sb, err)) < 0)
		goto out;
	close(fd);
	store_progress_begin(c->st, (uint64_t)sb.st_size);
	if ((rc = mkdir_p(dir, err)) < 0)
		goto out;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot open '%s': %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((rc = check_target(c, dfd, name, dest, err)) < 0)
		goto out;
	rc = write_file(c, dfd, name, dest, oid, 0644, err);
out:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

/* Opens (creating) the directory holding rel below dfd without following
 * symbolic links; *name gets rel's last component. */
static int
open_parent(int dfd, const char *dest, const char *rel, int *out,
    const char **name, struct mlp_err *err)
{
	const char *s = rel, *slash;
	int cur = dfd;

	while ((slash = strchr(s, '/'))) {
		char *comp = xstrndup(s, (size_t)(slash - s));
		int nfd;

		if (mkdirat(cur, comp, 0777) < 0 && errno != EEXIST) {
			int e = errno;

			free(comp);
			if (cur != dfd)
				close(cur);
			return mlp_err_write(err, e, 0, "cannot create "
			    "'%s/%.*s'", dest, (int)(slash - rel), rel);
		}
		nfd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd < 0) {
			int e = errno;
			struct stat sb;
			const char *why = strerror(e);

			if (e == ELOOP || e == ENOTDIR) {
				why = fstatat(cur, comp, &sb,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(sb.st_mode) ? "is a symbolic link" :
				    "is not a directory";
			}
			free(comp);
			if (cur != dfd)
				close(cur);
			return mlp_err_set(err, e == ELOOP || e == ENOTDIR ?
			    MLP_EEXISTS : MLP_EFAIL, "cannot check out "
			    "'%s/%s': '%s/%.*s' %s", dest, rel, dest,
			    (int)(slash - rel), rel, why);
		}
		free(comp);
		if (cur != dfd)
			close(cur);
		cur = nfd;
		s = slash + 1;
	}
	*out = cur;
	*name = s;
	return 0;
}

static int
checkout_tree(struct co *c, const struct mlp_oid *oid, const char *dest,
    struct mlp_err *err)
{
	struct mlp_tree t = MLP_TREE_INIT;
	struct mlp_buf shown = MLP_BUF_INIT;
	uint64_t total = 0;
	int dfd = -1, pfd = -1, rc;
	char *pdir = NULL;	/* the directory pfd is open on */

	if ((rc = mlp_store_read_tree(c->st, oid, &t, err)) < 0)
		return rc;
	if ((rc = mkdir_p(dest, err)) < 0)
		goto out;
	if ((dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = mlp_err_set(err, errno == ENOTDIR ? MLP_EEXISTS : MLP_EFAIL,
		    "cannot check out to '%s': %s", dest, strerror(errno));
		goto out;
	}
	/* refuse before writing anything */
	for (size_t i = 0; i < t.n; i++) {
		mlp_buf_reset(&shown);
		mlp_buf_addf(&shown, "%s/%s", dest, t.v[i].path);
		if ((rc = check_target(c, dfd, t.v[i].path, shown.s, err)) < 0)
			goto out;
		total += t.v[i].size;
	}
	store_progress_begin(c->st, total);
	for (size_t i = 0; i < t.n; i++) {
		const char *rel = t.v[i].path, *slash = strrchr(rel, '/');
		size_t plen = slash ? (size_t)(slash - rel) : 0;
		const char *name;

		/* entries are sorted, so files of one directory are
		 * consecutive: reopen the parent only when it changes */
		if (!pdir || strlen(pdir) != plen || memcmp(pdir, rel, plen)) {
			if (pfd >= 0 && pfd != dfd)
				close(pfd);
			pfd = -1;
			free(pdir);
			pdir = NULL;
			if ((rc = open_parent(dfd, dest, rel, &pfd, &name,
			    err)) < 0)
				goto out;
			pdir = xstrndup(rel, plen);
		}
		name = slash ? slash + 1 : rel;
		mlp_buf_reset(&shown);
		mlp_buf_addf(&shown, "%s/%s", dest, rel);
		if ((rc = write_file(c, pfd, name, shown.s, &t.v[i].oid,
		    t.v[i].mode, err)) < 0)
			goto out;
	}
out:
	if (pfd >= 0 && pfd != dfd)
		close(pfd);
	if (dfd >= 0)
		close(dfd);
	free(pdir);
	mlp_buf_release(&shown);
	mlp_tree_release(&t);
	return rc;
}

int
mlp_store_checkout(struct mlp_store *st, const struct mlp_oid *oid,
    int is_tree, const char *dest, int overwrite, struct mlp_err *err)
{
	struct co c = { st, overwrite, 0, 0 };

	if (!*dest)
		return mlp_err_set(err, MLP_EINVAL, "empty checkout "
		    "destination");
	return is_tree ? checkout_tree(&c, oid, dest, err) :
	    checkout_blob(&c, oid, dest, err);
}

int
mlp_store_checkout_scratch(struct mlp_store *st, const struct mlp_oid *oid,
    int is_tree, const char *prefix, const char *name, char **dir,
    struct mlp_err *err)
{
	const char *sys = getenv("TMPDIR");
	char *dest;
	int rc;

	for (int outside = 0;; outside = 1) {
		*dir = outside ? xasprintf("%s/mlp-%s-XXXXXX", sys && *sys ?
		    sys : "/tmp", prefix) : xasprintf("%s/%s-XXXXXX",
		    st->tmp, prefix);
		if (!mkdtemp(*dir)) {
			rc = mlp_err_write(err, errno, !outside, "cannot "
			    "create '%s'", *dir);
		} else {
			dest = xasprintf("%s/%s", *dir, name);
			rc = mlp_store_checkout(st, oid, is_tree, dest, 0, err);
			free(dest);
			if (rc < 0)
				mlp_remove_tree(*dir, NULL);
		}
		if (rc == 0)
			return 0;
		free(*dir);
		*dir = NULL;
		/* a read-only or full repository can still be read: only its
		 * scratch space moves */
		if (outside || (rc != MLP_EREADONLY && rc != MLP_ENOSPACE))
			return rc;
	}
}
