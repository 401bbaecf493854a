/* Resolving a model source (path, runs:/, models:/) to stored objects. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../repo/repo.h"
#include "../store/store.h"
#include "registry.h"

void
mlp_source_release(struct mlp_source *s)
{
	free(s->run_uuid);
	free(s->code_commit);
	free(s->source);
	memset(s, 0, sizeof(*s));
}

static uint64_t
tree_size(const struct mlp_tree *t)
{
	uint64_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->v[i].size;
	return n;
}

static int
from_path(struct mlp_store *st, const char *path, struct mlp_source *out,
    struct mlp_err *err)
{
	struct mlp_put_stats stats = { 0 };
	struct mlp_git_info gi;
	struct mlp_err gerr;
	struct mlp_oid oid;
	struct stat sb;
	char *dir;
	int rc;

	if (stat(path, &sb) < 0)
		return mlp_err_set(err, MLP_ENOTFOUND, "source '%s' does not "
		    "exist", path);
	if ((rc = mlp_store_put_path(st, path, &oid, &out->is_tree, &stats,
	    err)) < 0)
		return rc;
	mlp_oid_fmt(&oid, out->oid);
	out->size = stats.bytes;
	out->bytes_written = stats.bytes_written;
	out->files = stats.files;
	/* the code that made it: the git work tree around the source */
	dir = xstrdup(path);
	mlp_err_clear(&gerr);
	if (mlp_git_describe(S_ISDIR(sb.st_mode) ? path : dirname(dir), &gi,
	    &gerr) == 0) {
		out->code_commit = xstrdup(gi.commit);
		mlp_git_info_release(&gi);
	}
	free(dir);
	return 0;
}

/* The run's commit, recorded when it started. */
static char *
run_commit(struct mlp_db *db, const char *uuid)
{
	struct mlp_run *r = NULL;
	struct mlp_err err;
	char *c = NULL;

	if (mlp_track_run_get(db, uuid, &r, &err) < 0)
		return NULL;
	for (size_t i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i].key, "mlp.source.git.commit") == 0)
			c = xstrdup(r->tags[i].value);
	mlp_run_free(r);
	return c;
}

/* Adds the entries of a stored tree (or the single file) under prefix. */
static int
add_artifact(struct mlp_store *st, const struct mlp_artifact *a,
    const char *sub, struct mlp_tree *t, struct mlp_err *err)
{
	struct mlp_tree at = MLP_TREE_INIT;
	struct mlp_oid oid;
	size_t sublen = sub ? strlen(sub) : 0;
	int rc;

	if ((rc = mlp_oid_parse(a->oid, &oid, err)) < 0)
		return rc;
	if (!a->is_tree) {
		const char *base = strrchr(a->path, '/');

		mlp_tree_add(t, base ? base + 1 : a->path, 0644, a->size, &oid);
		return 0;
	}
	if ((rc = mlp_store_read_tree(st, &oid, &at, err)) < 0)
		return rc;
	for (size_t i = 0; i < at.n; i++) {
		const char *p = at.v[i].path;

		if (sub) {
			if (strncmp(p, sub, sublen) != 0 || p[sublen] != '/')
				continue;
			p += sublen + 1;
		}
		mlp_tree_add(t, p, at.v[i].mode, at.v[i].size, &at.v[i].oid);
	}
	mlp_tree_release(&at);
	return 0;
}

static int
from_run(struct mlp_db *db, struct mlp_store *st, const char *source,
    struct mlp_source *out, struct mlp_err *err)
{
	const char *s = source + 6, *slash = strchr(s, '/');
	char *ref = xstrndup(s, slash ? (size_t)(slash - s) : strlen(s));
	const char *path = slash ? slash + 1 : "";
	struct mlp_artifact *arts = NULL;
	struct mlp_tree t = MLP_TREE_INIT;
	struct mlp_put_stats stats = { 0 };
	struct mlp_run_info ri = { 0 };
	struct mlp_oid oid;
	size_t n = 0, plen;
	int rc, found = 0;

	if ((rc = mlp_track_run_resolve(db, ref, &ri, err)) < 0)
		goto out;
	if ((rc = mlp_track_artifacts(db, ri.uuid, &arts, &n, err)) < 0)
		goto out;
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	for (size_t i = 0; i < n; i++) {
		const char *ap = arts[i].path;
		size_t alen = strlen(ap);

		if (plen == 0) {
			/* the whole run: each artifact under its name */
			struct mlp_tree one = MLP_TREE_INIT;

			if ((rc = add_artifact(st, &arts[i], NULL, &one,
			    err)) < 0) {
				mlp_tree_release(&one);
				goto out;
			}
			for (size_t j = 0; j < one.n; j++) {
				char *p = arts[i].is_tree ? xasprintf("%s/%s",
				    ap, one.v[j].path) : xstrdup(ap);

				mlp_tree_add(&t, p, one.v[j].mode,
				    one.v[j].size, &one.v[j].oid);
				free(p);
			}
			mlp_tree_release(&one);
			found = 1;
		} else if (alen == plen && strncmp(ap, path, plen) == 0) {
			/* exactly an artifact: share its object */
			snprintf(out->oid, sizeof(out->oid), "%s",
			    arts[i].oid);
			out->is_tree = arts[i].is_tree;
			out->size = arts[i].size;
			found = 2;
			break;
		} else if (arts[i].is_tree && plen > alen &&
		    strncmp(path, ap, alen) == 0 && path[alen] == '/') {
			/* inside a directory artifact */
			char *sub = xstrndup(path + alen + 1, plen - alen - 1);
			struct mlp_tree at = MLP_TREE_INIT;

			if ((rc = mlp_oid_parse(arts[i].oid, &oid, err)) < 0 ||
			    (rc = mlp_store_read_tree(st, &oid, &at, err)) < 0) {
				free(sub);
				goto out;
			}
			for (size_t j = 0; j < at.n; j++) {
				if (strcmp(at.v[j].path, sub) == 0) {
					mlp_oid_fmt(&at.v[j].oid, out->oid);
					out->is_tree = 0;
					out->size = at.v[j].size;
					found = 2;
				}
			}
			mlp_tree_release(&at);
			if (!found) {
				struct mlp_artifact a = arts[i];

				if ((rc = add_artifact(st, &a, sub, &t,
				    err)) < 0) {
					free(sub);
					goto out;
				}
				found = t.n > 0;
			}
			free(sub);
			break;
		}
	}
	if (!found || (found == 1 && t.n == 0)) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "run %s has no artifact "
		    "'%.*s'", ri.uuid, (int)plen, path);
		goto out;
	}
	if (found == 1) {
		if ((rc = mlp_store_put_tree(st, &t, &oid, &stats, err)) < 0)
			goto out;
		mlp_oid_fmt(&oid, out->oid);
		out->is_tree = 1;
		out->size = tree_size(&t);
		out->bytes_written = stats.bytes_written;
	}
	out->run_uuid = xstrdup(ri.uuid);
	out->code_commit = run_commit(db, ri.uuid);
	/* a prefix may name another run once more runs exist */
	out->source = xasprintf("runs:/%s%s", ri.uuid, slash ? slash : "");
	rc = 0;
out:
	mlp_tree_release(&t);
	mlp_artifacts_free(arts, n);
	mlp_run_info_release(&ri);
	free(ref);
	return rc;
}

int
mlp_registry_source(struct mlp_db *db, struct mlp_store *st,
    const char *source, struct mlp_source *out, struct mlp_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (strncmp(source, "models:/", 8) == 0) {
		struct mlp_model_uri u;
		struct mlp_model_version *mv = NULL;

		if ((rc = mlp_model_uri_parse(source, &u, err)) < 0)
			return rc;
		rc = mlp_registry_resolve(db, &u, &mv, err);
		mlp_model_uri_release(&u);
		if (rc < 0)
			return rc;
		memcpy(out->oid, mv->oid, sizeof(out->oid));
		out->is_tree = mv->is_tree;
		out->size = mv->size;
		out->run_uuid = mv->run_uuid ? xstrdup(mv->run_uuid) : NULL;
		out->code_commit = mv->code_commit ? xstrdup(mv->code_commit) :
		    NULL;
		out->source = xstrdup(source);
		mlp_model_version_free(mv);
		return 0;
	}
	if (strncmp(source, "runs:/", 6) == 0) {
		rc = from_run(db, st, source, out, err);
	} else {
		char *path = NULL;

		if ((rc = mlp_file_uri(source, &path, err)) >= 0)
			rc = from_path(st, path ? path : source, out, err);
		free(path);
		if (rc == 0)
			out->source = xstrdup(source);
	}
	if (rc < 0)
		mlp_source_release(out);
	return rc;
}
