/* Staging: objects that arrive piece by piece from outside are written to
 * tmp/ while hashed, and renamed into objects/ together on commit, under
 * the id their content hashes to (store.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct staged {
	char *tmp;		/* NULL once committed */
	struct mlp_oid oid;
	uint64_t size;
};

struct mlp_store_stage {
	struct mlp_store *st;
	struct staged *v;
	size_t n, alloc;
	unsigned seq;
	/* the object being written */
	int active, fd, has_want;
	char *path;
	struct mlp_sha256 h;
	struct mlp_oid want;
	uint64_t size;
};

struct mlp_store_stage *
mlp_store_stage_new(struct mlp_store *st)
{
	struct mlp_store_stage *sg = xcalloc(1, sizeof(*sg));

	sg->st = st;
	sg->fd = -1;
	return sg;
}

/* Drops the object being written, its file included. */
static void
drop_current(struct mlp_store_stage *sg)
{
	if (!sg->active)
		return;
	if (sg->fd >= 0)
		close(sg->fd);
	if (sg->path)
		unlink(sg->path);
	free(sg->path);
	sg->path = NULL;
	sg->fd = -1;
	mlp_sha256_abort(&sg->h);
	sg->active = 0;
}

static int
create_tmp(struct mlp_store_stage *sg, struct mlp_err *err)
{
	const char *dir = mlp_store_tmp_dir(sg->st);

	for (int tries = 0; tries < 100; tries++) {
		unsigned char r[4] = { 0 };

		(void)mlp_random(r, sizeof(r), NULL);
		sg->path = xasprintf("%s/stage-%ld-%u-%02x%02x%02x%02x", dir,
		    (long)getpid(), sg->seq++, r[0], r[1], r[2], r[3]);
		sg->fd = open(sg->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0444);
		if (sg->fd >= 0)
			return 0;
		if (errno != EEXIST) {
			int rc = mlp_err_set(err, MLP_EFAIL, "cannot create "
			    "'%s': %s", sg->path, strerror(errno));

			free(sg->path);
			sg->path = NULL;
			return rc;
		}
		free(sg->path);
		sg->path = NULL;
	}
	return mlp_err_set(err, MLP_EFAIL, "cannot create a file in '%s'",
	    dir);
}

int
mlp_store_stage_begin(struct mlp_store_stage *sg, const struct mlp_oid *want,
    struct mlp_err *err)
{
	int rc;

	drop_current(sg);
	sg->size = 0;
	sg->has_want = want != NULL;
	if (want)
		sg->want = *want;
	if ((rc = mlp_sha256_begin(&sg->h, err)) < 0)
		return rc;
	sg->active = 1;
	/* content the store holds already is only hashed; the object is
	 * freshened, as a put does, since it is about to be used again */
	if (want && mlp_store_has(sg->st, want)) {
		char *p = mlp_store_object_path(sg->st, want);

		(void)utimensat(AT_FDCWD, p, NULL, 0);
		free(p);
		return 0;
	}
	if ((rc = create_tmp(sg, err)) < 0)
		drop_current(sg);
	return rc;
}

int
mlp_store_stage_write(struct mlp_store_stage *sg, const void *p, size_t n,
    struct mlp_err *err)
{
	int rc;

	if (!sg->active)
		return mlp_err_set(err, MLP_EFAIL, "no staged object is being "
		    "written");
	mlp_sha256_update(&sg->h, p, n);
	sg->size += n;
	if (sg->fd >= 0 && (rc = store_write_all(sg->fd, p, n, sg->path,
	    err)) < 0) {
		drop_current(sg);
		return rc;
	}
	return 0;
}

int
mlp_store_stage_end(struct mlp_store_stage *sg, struct mlp_oid *got,
    struct mlp_err *err)
{
	char want[MLP_OID_HEXSZ + 1], found[MLP_OID_HEXSZ + 1];
	struct staged *s;

	if (!sg->active)
		return mlp_err_set(err, MLP_EFAIL, "no staged object is being "
		    "written");
	mlp_sha256_end(&sg->h, got);
	if (sg->has_want && mlp_oid_cmp(got, &sg->want) != 0) {
		mlp_oid_fmt(got, found);
		mlp_oid_fmt(&sg->want, want);
		drop_current(sg);
		return mlp_err_set(err, MLP_ECORRUPT, "content hashes to %s not "
		    "%s", found, want);
	}
	if (sg->fd < 0 || mlp_store_has(sg->st, got)) {
		/* nothing written, or the object arrived meanwhile */
		drop_current(sg);
		return 0;
	}
	if (close(sg->fd) < 0) {
		int rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s",
		    sg->path, strerror(errno));

		sg->fd = -1;
		drop_current(sg);
		return rc;
	}
	sg->fd = -1;
	mlp_grow(&sg->v, &sg->alloc, sg->n + 1, sizeof(*sg->v));
	s = &sg->v[sg->n++];
	s->tmp = sg->path;
	s->oid = *got;
	s->size = sg->size;
	sg->path = NULL;
	sg->active = 0;
	return 0;
}

int
mlp_store_stage_read_tree(struct mlp_store_stage *sg,
    const struct mlp_oid *oid, struct mlp_tree *out, struct mlp_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	for (size_t i = 0; i < sg->n; i++) {
		if (!sg->v[i].tmp || mlp_oid_cmp(&sg->v[i].oid, oid) != 0)
			continue;
		mlp_tree_init(out);
		/* hashed as it was staged; no one else writes there */
		if ((rc = mlp_read_file(sg->v[i].tmp, STORE_TREE_MAX, &buf,
		    &len, err)) < 0)
			return rc;
		return store_tree_parse(buf, len, oid, out, err);
	}
	return mlp_store_read_tree(sg->st, oid, out, err);
}

int
mlp_store_stage_commit(struct mlp_store_stage *sg,
    struct mlp_put_stats *stats, struct mlp_err *err)
{
	int rc;

	if (sg->active)
		return mlp_err_set(err, MLP_EFAIL, "a staged object is still "
		    "being written");
	if (sg->n == 0)
		return 0;
	/* the data first, in one journal commit, so no object appears
	 * before its content is durable; then the renames */
	if ((rc = store_sync_fs(mlp_store_tmp_dir(sg->st), err)) < 0)
		return rc;
	for (size_t i = 0; i < sg->n; i++) {
		struct staged *s = &sg->v[i];
		char *dest = mlp_store_object_path(sg->st, &s->oid);
		char *dir = xstrdup(dest);
		struct stat sb;

		*strrchr(dir, '/') = '\0';
		if (lstat(dest, &sb) == 0) {
			/* stored meanwhile by another command */
			unlink(s->tmp);
			(void)utimensat(AT_FDCWD, dest, NULL, 0);
		} else if ((mkdir(dir, 0777) < 0 && errno != EEXIST) ||
		    rename(s->tmp, dest) < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot rename '%s' to "
			    "'%s': %s", s->tmp, dest, strerror(errno));
		} else if (stats) {
			stats->objects_written++;
			stats->bytes_written += s->size;
		}
		free(dir);
		free(dest);
		if (rc < 0)
			return rc;
		free(s->tmp);
		s->tmp = NULL;
	}
	return store_sync_fs(mlp_store_objects_dir(sg->st), err);
}

void
mlp_store_stage_free(struct mlp_store_stage *sg)
{
	if (!sg)
		return;
	drop_current(sg);
	for (size_t i = 0; i < sg->n; i++) {
		if (sg->v[i].tmp)
			unlink(sg->v[i].tmp);
		free(sg->v[i].tmp);
	}
	free(sg->v);
	free(sg);
}
