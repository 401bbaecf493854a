/* Unit tests of export and import (lib/registry/archive.c): suffixes, a
 * round trip through memory, and the limits, on a real repository. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/registry.h"
#include "repo/repo.h"
#include "store/store.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-archive-test.XXXXXX";
static struct mlp_db *db;
static struct mlp_store *st;

static void
test_suffixes(void)
{
	enum mlp_archive_compression c;
	struct mlp_err err;

	ok(mlp_registry_archive_compression("m.tar.gz", &c, &err) == 0 &&
	    c == MLP_ARCHIVE_GZIP, ".tar.gz is gzip");
	ok(mlp_registry_archive_compression("m.tgz", &c, &err) == 0 &&
	    c == MLP_ARCHIVE_GZIP, ".tgz is gzip too");
	ok(mlp_registry_archive_compression("a/m.tar.zst", &c, &err) == 0 &&
	    c == MLP_ARCHIVE_ZSTD, ".tar.zst is zstd");
	ok(mlp_registry_archive_compression("m.zip", &c, &err) == MLP_EINVAL &&
	    strstr(err.msg, ".tar.gz") && strstr(err.msg, ".tgz") &&
	    strstr(err.msg, ".tar.zst"),
	    "others name the valid ones: %s", err.msg);
	ok(mlp_registry_archive_compression(".tar.gz", &c, &err) == MLP_EINVAL,
	    "a bare suffix is not a name");
}

static struct mlp_model_version *
get(const char *uri)
{
	struct mlp_model_uri u;
	struct mlp_model_version *mv = NULL;
	struct mlp_err err;

	if (mlp_model_uri_parse(uri, &u, &err) < 0)
		return NULL;
	mlp_registry_resolve(db, &u, &mv, &err);
	mlp_model_uri_release(&u);
	return mv;
}

/* Reads a whole file into memory. */
static char *
slurp(const char *path, size_t *n)
{
	struct stat sb;
	char *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb) < 0)
		abort();
	p = xmalloc((size_t)sb.st_size + 1);
	if (read(fd, p, (size_t)sb.st_size) != sb.st_size)
		abort();
	close(fd);
	*n = (size_t)sb.st_size;
	return p;
}

static void
test_round_trip(void)
{
	struct mlp_tree t = MLP_TREE_INIT;
	struct mlp_version_new vn = { 0 };
	struct mlp_import_opts o = { 0 };
	struct mlp_import_result res;
	struct mlp_export_stats stats = { 0 };
	struct mlp_model_version *mv;
	struct mlp_err err;
	struct mlp_oid a, b, tree;
	char hex[MLP_OID_HEXSZ + 1], *file, *buf;
	const char *aliases[] = { "champion" };
	size_t n;
	int64_t v;

	ok(mlp_store_put_buf(st, "alpha", 5, &a, NULL, &err) == 0 &&
	    mlp_store_put_buf(st, "beta", 4, &b, NULL, &err) == 0, "objects");
	mlp_tree_add(&t, "a.txt", 0644, 5, &a);
	mlp_tree_add(&t, "bin/run", 0755, 4, &b);
	mlp_tree_add(&t, "copy.txt", 0644, 5, &a);
	ok(mlp_store_put_tree(st, &t, &tree, NULL, &err) == 0, "tree");
	mlp_tree_release(&t);
	mlp_oid_fmt(&tree, hex);
	vn.name = "m";
	vn.oid = hex;
	vn.is_tree = 1;
	vn.size = 14;
	vn.source = "model/";
	vn.user = "ann";
	vn.description = "d";
	vn.aliases = aliases;
	vn.naliases = 1;
	ok(mlp_registry_create_version(db, &vn, &v, &err) == 0, "version");
	mv = get("models:/m/1");
	file = xasprintf("%s/m.tar.gz", dir);
	ok(mv && mlp_registry_export(st, mv, file, -1, MLP_ARCHIVE_GZIP, NULL,
	    NULL, &stats, &err) == 0, "export: %s", err.msg);
	is_int(stats.objects, 3, "the manifest and two objects (one twice)");
	ok(stats.bytes > 9, "bytes counted, the manifest's too");
	mlp_model_version_free(mv);

	buf = slurp(file, &n);
	o.user = "bob";
	o.name = "copy";
	ok(mlp_registry_import_mem(db, st, buf, n, "m.tar.gz", &o, &res,
	    &err) == 0, "import: %s", err.msg);
	ok(res.name && strcmp(res.name, "copy") == 0 && res.version == 1 &&
	    res.exported_version == 1 && strcmp(res.oid, hex) == 0 &&
	    res.bytes_written == 0, "into copy/1, sharing every object");
	mlp_import_result_release(&res);
	mv = get("models:/copy/1");
	ok(mv && mv->aliases.n == 0 && strcmp(mv->user, "bob") == 0 &&
	    strcmp(mv->description, "d") == 0 &&
	    strcmp(mv->source, "model/") == 0, "no aliases, the importer, "
	    "the description and source");
	mlp_model_version_free(mv);
	o.with_aliases = 1;
	ok(mlp_registry_import_mem(db, st, buf, n, "m.tar.gz", &o, &res,
	    &err) == 0 && res.version == 2, "again: version 2");
	mlp_import_result_release(&res);
	mv = get("models:/copy@champion");
	ok(mv && mv->version == 2, "with the alias when asked");
	mlp_model_version_free(mv);

	/* every prefix of the archive but the whole fails, creating nothing */
	{
		int fails = 1;

		for (size_t i = 0; i < n; i += 7) {
			if (mlp_registry_import_mem(db, st, buf, i, "cut", &o,
			    &res, &err) == 0 || err.code != MLP_EFAIL ||
			    strncmp(err.msg, "'cut': ", 7) != 0)
				fails = 0;
			mlp_import_result_release(&res);
		}
		ok(fails, "every truncation is refused: %s", err.msg);
		mv = get("models:/copy/3");
		ok(mv == NULL, "and leaves no version");
		mlp_model_version_free(mv);
	}
	free(buf);
	free(file);
}

/* A tree with more files than mlp-export.json can list: refused before
 * any archive is written (its objects need not even exist). */
static void
test_too_many(void)
{
	struct mlp_tree t = MLP_TREE_INIT;
	struct mlp_version_new vn = { 0 };
	struct mlp_model_version *mv;
	struct mlp_err err;
	struct mlp_oid oid, tree;
	char hex[MLP_OID_HEXSZ + 1], path[32], *file;
	size_t n = MLP_IMPORT_MAX_META / 80;
	int64_t v;

	memset(&oid, 0, sizeof(oid));
	for (size_t i = 0; i < n; i++) {
		memcpy(oid.hash, &i, sizeof(i));
		snprintf(path, sizeof(path), "f%zu", i);
		mlp_tree_add(&t, path, 0644, 1, &oid);
	}
	ok(mlp_store_put_tree(st, &t, &tree, NULL, &err) == 0, "a large tree");
	mlp_tree_release(&t);
	mlp_oid_fmt(&tree, hex);
	vn.name = "huge";
	vn.oid = hex;
	vn.is_tree = 1;
	vn.size = n;
	vn.source = "x";
	vn.user = "ann";
	ok(mlp_registry_create_version(db, &vn, &v, &err) == 0,
	    "its version");
	mv = get("models:/huge/1");
	file = xasprintf("%s/huge.tar.gz", dir);
	ok(mv && mlp_registry_export(st, mv, file, -1, MLP_ARCHIVE_GZIP, NULL,
	    NULL, NULL, &err) == MLP_EUNSUPPORTED, "export refused: %s",
	    err.msg);
	ok(access(file, F_OK) < 0, "no file written");
	mlp_model_version_free(mv);
	free(file);
}

int
main(void)
{
	struct mlp_repo *repo;
	struct mlp_err err;
	char *cmd;
	int existed;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	if (mlp_repo_init(&repo, dir, &existed, &err) < 0 ||
	    mlp_repo_open_db(repo, &db, &err) < 0 ||
	    mlp_store_open(&st, repo->dir, NULL, NULL, &err) < 0) {
		printf("# %s\n", err.msg);
		return 2;
	}
	mlp_repo_free(repo);
	test_suffixes();
	test_round_trip();
	test_too_many();
	mlp_store_free(st);
	mlp_db_close(db);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	free(cmd);
	return tap_done();
}
