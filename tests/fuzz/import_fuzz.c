/* libFuzzer target for `mlp register import`: every input is read from
 * memory as an export archive into a real repository. An import either
 * creates a version or fails with one line and leaves no version, no
 * staging file and no new object behind. The seeds are small exports (make fuzz runs this
 * target with a larger input limit; fuzz: max_len=8192). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/registry.h"
#include "repo/repo.h"
#include "store/store.h"

static struct mlp_db *db;
static struct mlp_store *st;
static char *top;

static void
cleanup(void)
{
	char *cmd = xasprintf("rm -rf '%s'", top);

	mlp_store_free(st);
	mlp_db_close(db);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", top);
	free(cmd);
}

static void
setup(void)
{
	char tmpl[] = "/tmp/mlp-import-fuzz.XXXXXX";
	struct mlp_repo *repo;
	struct mlp_err err;
	int existed;

	/* tmpfs when there is one: stored objects are fsynced */
	if (access("/dev/shm", W_OK) == 0)
		memcpy(tmpl, "/dev/shm", 8);
	if (!mkdtemp(tmpl))
		abort();
	top = xstrdup(tmpl);
	if (mlp_repo_init(&repo, top, &existed, &err) < 0 ||
	    mlp_repo_open_db(repo, &db, &err) < 0 ||
	    mlp_store_open(&st, repo->dir, NULL, NULL, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		abort();
	}
	mlp_repo_free(repo);
	atexit(cleanup);
}

static int64_t
versions(void)
{
	sqlite3_stmt *q = NULL;
	struct mlp_err err;
	int64_t n = -1;

	if (mlp_db_prepare(db, &q, "SELECT count(*) FROM model_version",
	    &err) < 0)
		abort();
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static int
tmp_empty(void)
{
	DIR *d = opendir(mlp_store_tmp_dir(st));
	struct dirent *e;
	int empty = 1;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

static int
count_one(const struct mlp_oid *oid, const char *path, void *ud)
{
	(void)oid;
	(void)path;
	(*(uint64_t *)ud)++;
	return 0;
}

static uint64_t
objects(void)
{
	struct mlp_err err;
	uint64_t n = 0;

	if (mlp_store_foreach(st, count_one, &n, &err) < 0)
		abort();
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlp_import_opts o = { 0 };
	struct mlp_import_result res;
	struct mlp_err err;
	int64_t before;
	uint64_t nobj;
	int rc;

	if (!db)
		setup();
	before = versions();
	nobj = objects();
	o.user = "fuzz";
	o.with_aliases = size & 1;
	mlp_err_clear(&err);
	rc = mlp_registry_import_mem(db, st, data, size, "fuzz.tar.gz", &o,
	    &res, &err);
	if (rc == 0) {
		if (res.version <= 0 || !res.name || versions() != before + 1)
			abort();
	} else {
		/* one line, naming the archive, and nothing created */
		if (rc != err.code || !err.msg[0] || strchr(err.msg, '\n') ||
		    strncmp(err.msg, "'fuzz.tar.gz'", 13) != 0 ||
		    versions() != before || res.name || objects() != nobj)
			abort();
	}
	if (!tmp_empty())
		abort();
	mlp_import_result_release(&res);
	return 0;
}
