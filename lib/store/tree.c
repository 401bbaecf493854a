/* Trees: the manifest format (parsing and formatting) and storing a
 * directory as a tree. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Manifests above this size are refused when read (a million files take
 * about 100 MiB). */

void
mlp_tree_init(struct mlp_tree *t)
{
	t->v = NULL;
	t->n = t->alloc = 0;
}

void
mlp_tree_release(struct mlp_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	mlp_tree_init(t);
}

static struct mlp_tree_entry *
tree_push(struct mlp_tree *t, char *path, unsigned mode, uint64_t size,
    const struct mlp_oid *oid)
{
	struct mlp_tree_entry *e;

	mlp_grow(&t->v, &t->alloc, t->n + 1, sizeof(*t->v));
	e = &t->v[t->n++];
	e->path = path;
	e->mode = mode;
	e->size = size;
	e->oid = *oid;
	return e;
}

void
mlp_tree_add(struct mlp_tree *t, const char *path, unsigned mode,
    uint64_t size, const struct mlp_oid *oid)
{
	tree_push(t, xstrdup(path), mode, size, oid);
}

/* NULL when the n bytes at p are a valid tree path, else why not. */
static const char *
path_problem(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return "empty path";
	if (memchr(p, '\0', n))
		return "NUL in path";
	if (memchr(p, '\n', n))
		return "newline in path";
	if (p[0] == '/')
		return "absolute path";
	while (i <= n) {
		const char *c = p + i, *slash = memchr(c, '/', n - i);
		size_t len = slash ? (size_t)(slash - c) : n - i;

		if (len == 0)
			return i == n ? "trailing '/'" : "empty path component";
		if ((len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return "'.' or '..' component";
		i += len + 1;
	}
	return NULL;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct mlp_tree_entry *)a)->path,
	    ((const struct mlp_tree_entry *)b)->path);
}

static int
cmp_key_entry(const void *key, const void *b)
{
	return strcmp(key, ((const struct mlp_tree_entry *)b)->path);
}

/* The first entry (sorted tree) one of whose parent directories is also a
 * file in the tree, or NULL; *file gets that file's index. */
static const struct mlp_tree_entry *
file_dir_clash(const struct mlp_tree *t, size_t *file)
{
	struct mlp_buf b = MLP_BUF_INIT;
	const struct mlp_tree_entry *bad = NULL;

	for (size_t i = 0; i < t->n && !bad; i++) {
		const char *p = t->v[i].path;

		const char *s;

		for (s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			const struct mlp_tree_entry *f;

			mlp_buf_reset(&b);
			mlp_buf_add(&b, p, (size_t)(s - p));
			f = bsearch(b.s, t->v, t->n, sizeof(*t->v),
			    cmp_key_entry);
			if (f) {
				*file = (size_t)(f - t->v);
				bad = &t->v[i];
				break;
			}
		}
	}
	mlp_buf_release(&b);
	return bad;
}

/* Parses a decimal size without leading zeros into *out; the field runs to
 * the next space. Returns the length consumed, 0 when malformed. */
static size_t
parse_size(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (i == 1 && p[0] == '0')
			return 0;
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (i == 0 || i >= n || p[i] != ' ')
		return 0;
	*out = v;
	return i;
}

static int
corrupt_line(struct mlp_err *err, struct mlp_tree *out, size_t line,
    const char *why)
{
	mlp_tree_release(out);
	return mlp_err_set(err, MLP_ECORRUPT, "line %zu: %s", line, why);
}

int
mlp_tree_parse(const char *buf, size_t n, struct mlp_tree *out,
    struct mlp_err *err)
{
	size_t off = 0, line = 0, file = 0;
	const struct mlp_tree_entry *clash;

	mlp_tree_init(out);
	while (off < n) {
		const char *l = buf + off, *nl = memchr(l, '\n', n - off);
		size_t len, i, k;
		unsigned mode;
		uint64_t size;
		struct mlp_oid oid;
		char hex[MLP_OID_HEXSZ + 1];
		const char *why;

		line++;
		if (!nl)
			return corrupt_line(err, out, line, "no newline at the "
			    "end");
		len = (size_t)(nl - l);
		if (len >= 4 && memcmp(l, "644 ", 4) == 0)
			mode = 0644;
		else if (len >= 4 && memcmp(l, "755 ", 4) == 0)
			mode = 0755;
		else
			return corrupt_line(err, out, line, "mode is not 644 "
			    "or 755");
		i = 4;
		if ((k = parse_size(l + i, len - i, &size)) == 0)
			return corrupt_line(err, out, line, "bad size");
		i += k + 1;
		if (len - i < MLP_OID_HEXSZ + 1 || l[i + MLP_OID_HEXSZ] != ' ')
			return corrupt_line(err, out, line, "bad object id");
		for (k = 0; k < MLP_OID_HEXSZ; k++) {
			char c = l[i + k];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return corrupt_line(err, out, line, "bad object "
				    "id");
			hex[k] = c;
		}
		hex[MLP_OID_HEXSZ] = '\0';
		mlp_oid_parse(hex, &oid, NULL);
		i += MLP_OID_HEXSZ + 1;
		if ((why = path_problem(l + i, len - i)))
			return corrupt_line(err, out, line, why);
		tree_push(out, xstrndup(l + i, len - i), mode, size, &oid);
		if (out->n > 1 && strcmp(out->v[out->n - 2].path,
		    out->v[out->n - 1].path) >= 0)
			return corrupt_line(err, out, line, "paths not sorted "
			    "or repeated");
		off += len + 1;
	}
	if ((clash = file_dir_clash(out, &file))) {
		size_t at = (size_t)(clash - out->v) + 1;

		mlp_tree_release(out);
		return mlp_err_set(err, MLP_ECORRUPT, "line %zu: a parent of "
		    "this path is a file (line %zu)", at, file + 1);
	}
	return 0;
}

int
mlp_tree_format(struct mlp_tree *t, struct mlp_buf *b, struct mlp_err *err)
{
	const struct mlp_tree_entry *clash;
	size_t file = 0;

	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), cmp_entry);
	for (size_t i = 0; i < t->n; i++) {
		const struct mlp_tree_entry *e = &t->v[i];
		const char *why = path_problem(e->path, strlen(e->path));

		if (why)
			return mlp_err_set(err, MLP_EINVAL, "cannot put '%s' in "
			    "a tree: %s", e->path, why);
		if (e->mode != 0644 && e->mode != 0755)
			return mlp_err_set(err, MLP_EINVAL, "cannot put '%s' in "
			    "a tree: mode %o is not 644 or 755", e->path,
			    e->mode);
		if (i > 0 && strcmp(t->v[i - 1].path, e->path) == 0)
			return mlp_err_set(err, MLP_EINVAL, "'%s' appears twice "
			    "in a tree", e->path);
	}
	if ((clash = file_dir_clash(t, &file)))
		return mlp_err_set(err, MLP_EINVAL, "cannot put '%s' in a tree "
		    "holding a file '%s'", clash->path, t->v[file].path);
	for (size_t i = 0; i < t->n; i++) {
		char hex[MLP_OID_HEXSZ + 1];

		mlp_oid_fmt(&t->v[i].oid, hex);
		mlp_buf_addf(b, "%o %llu %s ", t->v[i].mode,
		    (unsigned long long)t->v[i].size, hex);
		mlp_buf_adds(b, t->v[i].path);
		mlp_buf_addc(b, '\n');
	}
	return 0;
}

int
mlp_store_put_tree(struct mlp_store *st, struct mlp_tree *t,
    struct mlp_oid *out, struct mlp_put_stats *stats, struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	int rc;

	if ((rc = mlp_tree_format(t, &b, err)) == 0)
		rc = mlp_store_put_buf(st, b.s ? b.s : "", b.len, out, stats,
		    err);
	mlp_buf_release(&b);
	return rc;
}

int
store_tree_parse(char *buf, size_t len, const struct mlp_oid *oid,
    struct mlp_tree *out, struct mlp_err *err)
{
	char hex[MLP_OID_HEXSZ + 1];
	int rc;

	if ((rc = mlp_tree_parse(buf, len, out, err)) < 0) {
		mlp_oid_fmt(oid, hex);
		mlp_err_prefix(err, "malformed tree %s", hex);
	}
	free(buf);
	return rc;
}

int
mlp_store_read_tree(struct mlp_store *st, const struct mlp_oid *oid,
    struct mlp_tree *out, struct mlp_err *err)
{
	char *buf;
	size_t len;
	int rc;

	mlp_tree_init(out);
	if ((rc = mlp_store_read_object(st, oid, STORE_TREE_MAX, &buf, &len,
	    err)) < 0)
		return rc;
	return store_tree_parse(buf, len, oid, out, err);
}

/* Storing a directory. */

struct scan_ent {
	char *rel;
	struct stat sb;
};

struct scan {
	const char *root;	/* as the caller named it, for messages */
	struct scan_ent *v;
	size_t n, alloc;
};

static int
cmp_scan(const void *a, const void *b)
{
	return strcmp(((const struct scan_ent *)a)->rel,
	    ((const struct scan_ent *)b)->rel);
}

int
mlp_tree_check_utf8(const struct mlp_tree *t, struct mlp_err *err)
{
	for (size_t i = 0; i < t->n; i++)
		if (mlp_utf8_invalid(t->v[i].path, strlen(t->v[i].path)) >= 0)
			return mlp_check_utf8("the path", t->v[i].path, err);
	return 0;
}

/* s with each newline shown as \n, for a message (the caller frees it). */
static char *
escape_nl(const char *s)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (; *s; s++)
		if (*s == '\n')
			mlp_buf_adds(&b, "\\n");
		else
			mlp_buf_addc(&b, *s);
	return mlp_buf_detach(&b);
}

/* Adds the regular files beneath the directory open as dfd (which it
 * takes) to s; rel is the directory's path below the root ("" for it). */
static int
scan_dir(struct scan *s, int dfd, const char *rel, struct mlp_err *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	char *child = NULL;
	int rc = 0;

	if (!d) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s/%s': %s",
		    s->root, rel, strerror(errno));
		close(dfd);
		return rc;
	}
	for (;;) {
		struct stat sb;
		const char *name;

		errno = 0;
		if (!(de = readdir(d))) {
			if (errno)
				rc = mlp_err_set(err, MLP_EFAIL, "cannot read "
				    "'%s/%s': %s", s->root, rel,
				    strerror(errno));
			break;
		}
		name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		free(child);
		child = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
		if (strchr(name, '\n')) {
			char *shown = escape_nl(child);

			rc = mlp_err_set(err, MLP_EINVAL, "cannot store "
			    "'%s/%s': its name holds a newline", s->root,
			    shown);
			free(shown);
			break;
		}
		/* paths are shown in --json output: text, as all mlp keeps */
		if (mlp_utf8_invalid(child, strlen(child)) >= 0) {
			char *path = xasprintf("%s/%s", s->root, child);

			mlp_check_utf8("cannot store: the name", path, err);
			free(path);
			rc = MLP_EINVAL;
			break;
		}
		if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot stat "
			    "'%s/%s': %s", s->root, child, strerror(errno));
			break;
		}
		if (S_ISREG(sb.st_mode)) {
			mlp_grow(&s->v, &s->alloc, s->n + 1, sizeof(*s->v));
			s->v[s->n].rel = child;
			s->v[s->n++].sb = sb;
			child = NULL;
		} else if (S_ISDIR(sb.st_mode)) {
			int cfd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);

			if (cfd < 0) {
				rc = mlp_err_set(err, MLP_EFAIL, "cannot open "
				    "'%s/%s': %s", s->root, child,
				    strerror(errno));
				break;
			}
			if ((rc = scan_dir(s, cfd, child, err)) < 0)
				break;
		} else {
			rc = mlp_err_set(err, MLP_EUNSUPPORTED, "cannot store "
			    "'%s/%s': it is %s, and trees hold regular files "
			    "only", s->root, child, S_ISLNK(sb.st_mode) ?
			    "a symbolic link" : "a special file");
			break;
		}
	}
	free(child);
	closedir(d);
	return rc;
}

static int
put_dir(struct mlp_store *st, const char *path, struct mlp_oid *out,
    struct mlp_put_stats *stats, struct mlp_err *err)
{
	struct scan s = { path, NULL, 0, 0 };
	struct mlp_tree t = MLP_TREE_INIT;
	struct mlp_buf key = MLP_BUF_INIT;
	char *real = NULL;
	uint64_t total = 0;
	int rootfd, fd, rc;

	rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot open '%s': %s", path, strerror(errno));
	if ((fd = dup(rootfd)) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot open '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if ((rc = scan_dir(&s, fd, "", err)) < 0)
		goto out;
	if (s.n > 1)
		qsort(s.v, s.n, sizeof(*s.v), cmp_scan);
	for (size_t i = 0; i < s.n; i++)
		total += (uint64_t)s.v[i].sb.st_size;
	store_progress_begin(st, total);
	if (st->db)
		real = realpath(path, NULL);
	for (size_t i = 0; i < s.n; i++) {
		const struct scan_ent *e = &s.v[i];
		const char *ckey = NULL;
		struct mlp_oid oid;
		uint64_t size = (uint64_t)e->sb.st_size;

		if (real) {
			mlp_buf_reset(&key);
			mlp_buf_addf(&key, "%s%s%s", real,
			    strcmp(real, "/") ? "/" : "", e->rel);
			ckey = key.s;
		}
		if (store_cache_lookup(st, ckey, &e->sb, &oid)) {
			store_count_hit(st, &e->sb, stats);
		} else {
			char *name = xasprintf("%s/%s", path, e->rel);

			/* O_NONBLOCK: a FIFO swapped in must not hang us */
			fd = openat(rootfd, e->rel, O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				rc = mlp_err_set(err, MLP_EFAIL, "cannot open "
				    "'%s': %s", name, strerror(errno));
			else
				rc = store_put_fd(st, fd, &e->sb, name, ckey,
				    &oid, &size, stats, err);
			if (fd >= 0)
				close(fd);
			free(name);
			if (rc < 0)
				goto out;
		}
		tree_push(&t, e->rel, e->sb.st_mode & S_IXUSR ? 0755 : 0644,
		    size, &oid);
		s.v[i].rel = NULL;	/* the tree owns it now */
	}
	rc = mlp_store_put_tree(st, &t, out, stats, err);
out:
	store_cache_flush(st);
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i].rel);
	free(s.v);
	mlp_tree_release(&t);
	mlp_buf_release(&key);
	free(real);
	close(rootfd);
	return rc;
}

int
mlp_store_put_path(struct mlp_store *st, const char *path,
    struct mlp_oid *out, int *is_tree, struct mlp_put_stats *stats,
    struct mlp_err *err)
{
	struct stat sb;
	int dummy;

	if (!is_tree)
		is_tree = &dummy;
	*is_tree = 0;
	if (stat(path, &sb) < 0)
		return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
		    MLP_EFAIL, "cannot stat '%s': %s", path, strerror(errno));
	if (S_ISREG(sb.st_mode))
		return mlp_store_put_file(st, path, out, stats, err);
	if (!S_ISDIR(sb.st_mode))
		return mlp_err_set(err, MLP_EUNSUPPORTED, "cannot store '%s': "
		    "it is neither a regular file nor a directory", path);
	*is_tree = 1;
	return put_dir(st, path, out, stats, err);
}
