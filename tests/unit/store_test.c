/* Unit tests of lib/store on real files: hashing against known vectors and
 * sha256sum, one-pass puts small and large, the stat cache and its racy
 * guard, trees and their manifest, checkout by copy and hardlink, tamper
 * detection, prefixes, and refusal of malformed or escaping trees. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "store/store.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-store-test.XXXXXX";
static struct mlp_db *db;

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static char *
path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
write_bytes(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		perror(p);
		exit(2);
	}
}

static void
write_str(const char *rel, const char *s)
{
	char *p = path(rel);

	write_bytes(p, s, strlen(s));
	free(p);
}

/* Pseudo-random bytes, the same every run. */
static unsigned char *
random_bytes(size_t n, uint64_t seed)
{
	unsigned char *b = xmalloc(n);
	uint64_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)(x >> 24);
	}
	return b;
}

/* The whole file, NUL-terminated; NULL when it cannot be read. */
static char *
slurp(const char *p, size_t *len)
{
	struct mlp_buf b = MLP_BUF_INIT;
	char tmp[65536];
	size_t r;
	FILE *f = fopen(p, "rb");

	if (!f)
		return NULL;
	while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0)
		mlp_buf_add(&b, tmp, r);
	fclose(f);
	if (len)
		*len = b.len;
	if (!b.s)
		mlp_buf_add(&b, "", 0);
	return mlp_buf_detach(&b);
}

static char *
sha256sum(const char *p)
{
	char *cmd = xasprintf("sha256sum '%s'", p);
	char line[256] = "";
	FILE *f = popen(cmd, "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		pclose(f);
	}
	free(cmd);
	line[64] = '\0';
	return xstrdup(line);
}

static const char *
hex(const struct mlp_oid *oid)
{
	static char h[4][MLP_OID_HEXSZ + 1];
	static int i;

	i = (i + 1) % 4;
	mlp_oid_fmt(oid, h[i]);
	return h[i];
}

static int
same_file(const char *a, const char *b)
{
	size_t na, nb;
	char *x = slurp(a, &na), *y = slurp(b, &nb);
	int same = x && y && na == nb && memcmp(x, y, na) == 0;

	free(x);
	free(y);
	return same;
}

static int
exists(const char *p)
{
	struct stat sb;

	return lstat(p, &sb) == 0;
}

static unsigned
mode_of(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 0;
}

/* The number of entries in a directory, "." and ".." aside. */
static int
count_dir(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int
count_cb(const struct mlp_oid *oid, const char *p, void *ud)
{
	(*(int *)ud)++;
	return 0;
}

static int
count_objects(struct mlp_store *st)
{
	int n = 0;

	mlp_store_foreach(st, count_cb, &n, NULL);
	return n;
}

static long long
query_int(const char *sql)
{
	sqlite3_stmt *q;
	long long v = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &q, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void
exec_sql(const char *sql)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		printf("# sql failed: %s\n", sqlite3_errmsg(db->h));
}

/* Makes every stat cache entry look recorded long after the files changed,
 * as if time had passed since the put. */
static void
age_cache(void)
{
	exec_sql("UPDATE stat_cache SET recorded_ns = recorded_ns + 10000000000");
}

static struct mlp_store *
open_store(const char *policy, struct mlp_db *cache)
{
	struct mlp_store *st = NULL;
	struct mlp_err err;
	char *mlp = path(".mlp");

	if (mlp_store_open(&st, mlp, policy, cache, &err) < 0) {
		printf("# cannot open store: %s\n", err.msg);
		exit(2);
	}
	free(mlp);
	return st;
}

static void
test_oid(void)
{
	struct mlp_oid a, b;
	struct mlp_err err;
	char h[MLP_OID_HEXSZ + 1];

	ok(mlp_oid_hash("", 0, &a, &err) == 0, "hash the empty string");
	mlp_oid_fmt(&a, h);
	is_str(h, EMPTY_SHA, "SHA-256 of \"\"");
	ok(mlp_oid_hash("abc", 3, &a, &err) == 0, "hash abc");
	is_str(hex(&a), ABC_SHA, "SHA-256 of \"abc\"");
	ok(mlp_oid_parse(ABC_SHA, &b, &err) == 0 && mlp_oid_cmp(&a, &b) == 0,
	    "parse the hex back");
	ok(mlp_oid_parse("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
	    &b, &err) == 0 && mlp_oid_cmp(&a, &b) == 0, "upper case parses");
	is_int(mlp_oid_parse("ba78", &b, &err), MLP_EINVAL, "short id refused");
	is_int(mlp_oid_parse(ABC_SHA "0", &b, &err), MLP_EINVAL,
	    "long id refused");
	is_int(mlp_oid_parse("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    &b, &err), MLP_EINVAL, "non-hex refused");
}

static void
test_open(void)
{
	struct mlp_store *st = NULL;
	struct mlp_err err;
	char *mlp = path(".mlp"), *missing = path("nope");

	is_int(mlp_store_open(&st, mlp, "copy,bogus", NULL, &err), MLP_EINVAL,
	    "unknown link method refused");
	ok(strstr(err.msg, "'bogus'") && strstr(err.msg, "reflink"),
	    "the message names it and the known ones: %s", err.msg);
	is_int(mlp_store_open(&st, mlp, "copy,copy", NULL, &err), MLP_EINVAL,
	    "repeated link method refused");
	is_int(mlp_store_open(&st, mlp, "copy,", NULL, &err), MLP_EINVAL,
	    "trailing comma refused");
	is_int(mlp_store_open(&st, missing, NULL, NULL, &err), MLP_ENOTFOUND,
	    "missing .mlp is ENOTFOUND");
	ok(st == NULL, "no store on failure");
	ok(mlp_store_open(&st, mlp, "hardlink,reflink,copy", NULL, &err) == 0,
	    "all three methods accepted");
	mlp_store_free(st);
	free(mlp);
	free(missing);
}

static void
test_put_small(void)
{
	struct mlp_store *st = open_store(NULL, NULL);
	struct mlp_put_stats s = { 0 };
	struct mlp_oid oid;
	struct mlp_err err;
	char *p, *obj, *c;
	int fd;
	uint64_t size;

	ok(mlp_store_put_buf(st, "", 0, &oid, &s, &err) == 0, "put \"\"");
	is_str(hex(&oid), EMPTY_SHA, "its id is SHA-256 of \"\"");
	obj = mlp_store_object_path(st, &oid);
	p = path(".mlp/objects/e3/b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	is_str(obj, p, "stored at objects/e3/b0c4...");
	ok(exists(p), "the object exists");
	is_int(mode_of(p), 0444, "objects are read-only");
	free(p);
	free(obj);
	is_int(s.objects_written, 1, "one object written");
	ok(mlp_store_put_buf(st, "", 0, &oid, &s, &err) == 0, "put \"\" again");
	is_int(s.objects_written, 1, "nothing written the second time");

	write_str("abc.txt", "abc");
	p = path("abc.txt");
	memset(&s, 0, sizeof(s));
	ok(mlp_store_put_file(st, p, &oid, &s, &err) == 0, "put a small file");
	is_str(hex(&oid), ABC_SHA, "its id is SHA-256 of \"abc\"");
	c = sha256sum(p);
	is_str(hex(&oid), c, "and what sha256sum says");
	free(c);
	is_int(s.files, 1, "stats: one file");
	is_int(s.bytes, 3, "stats: 3 bytes");
	is_int(s.bytes_written, 3, "stats: 3 bytes written");
	ok(mlp_store_has(st, &oid), "has() finds it");
	ok(mlp_store_open_object(st, &oid, &fd, &size, &err) == 0 && size == 3,
	    "open_object gives the size");
	close(fd);
	ok(mlp_store_verify(st, &oid, &err) == 0, "verify passes");
	free(p);

	write_str("empty", "");
	p = path("empty");
	ok(mlp_store_put_file(st, p, &oid, NULL, &err) == 0 &&
	    strcmp(hex(&oid), EMPTY_SHA) == 0, "an empty file is the empty blob");
	free(p);

	p = path("nope");
	is_int(mlp_store_put_file(st, p, &oid, NULL, &err), MLP_ENOTFOUND,
	    "a missing file is ENOTFOUND");
	free(p);
	p = path(".mlp");
	is_int(mlp_store_put_file(st, p, &oid, NULL, &err), MLP_EINVAL,
	    "a directory is not a file");
	free(p);
	mlp_store_free(st);
}

static uint64_t prog_done, prog_total, prog_calls;

static void
progress(uint64_t done, uint64_t total, void *ud)
{
	prog_done = done;
	prog_total = total;
	prog_calls++;
}

static void
test_put_large(void)
{
	struct mlp_store *st = open_store(NULL, db);
	struct mlp_put_stats s = { 0 };
	struct mlp_oid oid, again;
	struct mlp_err err;
	size_t n = (20u << 20) + 12345;
	unsigned char *data = random_bytes(n, 1);
	char *p = path("big.bin"), *sum, *obj;

	write_bytes(p, data, n);
	mlp_store_set_progress(st, progress, NULL);
	ok(mlp_store_put_file(st, p, &oid, &s, &err) == 0,
	    "put a 20 MiB file not aligned to 4096");
	sum = sha256sum(p);
	is_str(hex(&oid), sum, "its id is what sha256sum says");
	free(sum);
	obj = mlp_store_object_path(st, &oid);
	ok(same_file(obj, p), "the object holds the file's bytes");
	is_int(mode_of(obj), 0444, "read-only");
	is_int(s.bytes_written, n, "all bytes written once");
	is_int(s.bytes_hashed, n, "and hashed once");
	is_int(s.objects_written, 1, "one object");
	ok(prog_calls >= 3 && prog_done == n && prog_total == n,
	    "progress reported up to the total (%llu calls)",
	    (unsigned long long)prog_calls);
	mlp_store_set_progress(st, NULL, NULL);
	is_int(count_dir(mlp_store_tmp_dir(st)), 0, "tmp/ is empty again");
	is_int(query_int("SELECT count(*) FROM stat_cache"), 1,
	    "a stat cache entry was recorded");

	/* just written: the entry is racy, so the file is hashed again */
	memset(&s, 0, sizeof(s));
	ok(mlp_store_put_file(st, p, &again, &s, &err) == 0 &&
	    mlp_oid_cmp(&oid, &again) == 0, "second put, same id");
	is_int(s.cache_hits, 0, "a file changed just before the entry was "
	    "recorded is not trusted");
	is_int(s.bytes_written, 0, "no object bytes written");
	is_int(s.objects_written, 0, "no object written");
	is_int(count_dir(mlp_store_tmp_dir(st)), 0, "the temporary file is gone");

	age_cache();
	memset(&s, 0, sizeof(s));
	ok(mlp_store_put_file(st, p, &again, &s, &err) == 0 &&
	    mlp_oid_cmp(&oid, &again) == 0, "third put, same id");
	is_int(s.cache_hits, 1, "stat cache hit");
	is_int(s.bytes_hashed, 0, "nothing read");
	is_int(s.bytes_written, 0, "nothing written");
	is_int(s.bytes, n, "but the bytes are counted");

	/* same size, new content, new mtime */
	data[n / 2] ^= 0x55;
	write_bytes(p, data, n);
	memset(&s, 0, sizeof(s));
	ok(mlp_store_put_file(st, p, &again, &s, &err) == 0 &&
	    mlp_oid_cmp(&oid, &again) != 0, "a modified file gets a new id");
	is_int(s.cache_hits, 0, "no cache hit");
	sum = sha256sum(p);
	is_str(hex(&again), sum, "the new id is right");
	free(sum);

	/* a missing object is not vouched for */
	age_cache();
	obj = (free(obj), mlp_store_object_path(st, &again));
	unlink(obj);
	memset(&s, 0, sizeof(s));
	ok(mlp_store_put_file(st, p, &oid, &s, &err) == 0 &&
	    mlp_oid_cmp(&oid, &again) == 0 && s.cache_hits == 0 &&
	    s.objects_written == 1, "a cached id whose object is gone is "
	    "stored again");
	free(obj);

	/* a multiple of the chunk size: the last read is empty */
	{
		size_t m = 16u << 20;
		char *q = path("aligned.bin");

		write_bytes(q, data, m);
		ok(mlp_store_put_file(st, q, &oid, NULL, &err) == 0,
		    "put a 16 MiB file");
		sum = sha256sum(q);
		is_str(hex(&oid), sum, "right id");
		free(sum);
		obj = mlp_store_object_path(st, &oid);
		ok(same_file(obj, q), "right bytes");
		free(obj);
		free(q);
	}
	free(data);
	free(p);
	mlp_store_free(st);
}

/* The racy guard, exercised with a hand-made entry: everything matches but
 * the entry was recorded within 2 s of the file's last change. */
static void
test_racy(void)
{
	struct mlp_store *st = open_store(NULL, db);
	struct mlp_put_stats s = { 0 };
	struct mlp_oid xyz, oid;
	struct mlp_err err;
	char *p = path("racy.txt"), *real, *sql;
	struct stat sb;
	long long m, c, newest;

	ok(mlp_store_put_buf(st, "xyz", 3, &xyz, NULL, &err) == 0,
	    "put xyz");
	write_str("racy.txt", "abc");
	stat(p, &sb);
	real = realpath(p, NULL);
	m = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	c = (long long)sb.st_ctim.tv_sec * 1000000000LL + sb.st_ctim.tv_nsec;
	newest = m > c ? m : c;
	/* an entry claiming the file holds "xyz", recorded 1 ms after the
	 * file changed: a write in the same tick would not show */
	sql = xasprintf("INSERT OR REPLACE INTO stat_cache VALUES ('%s', %lld, "
	    "%lld, 3, %lld, %lld, '%s', %lld)", real, (long long)sb.st_dev,
	    (long long)sb.st_ino, m, c, hex(&xyz), newest + 1000000);
	exec_sql(sql);
	free(sql);
	ok(mlp_store_put_file(st, p, &oid, &s, &err) == 0, "put racy.txt");
	is_str(hex(&oid), ABC_SHA, "a racy entry is not trusted: the file "
	    "is hashed");
	is_int(s.cache_hits, 0, "no cache hit");

	sql = xasprintf("UPDATE stat_cache SET oid = '%s', recorded_ns = %lld "
	    "WHERE path = '%s'", hex(&xyz), newest + 10000000000LL, real);
	exec_sql(sql);
	free(sql);
	memset(&s, 0, sizeof(s));
	ok(mlp_store_put_file(st, p, &oid, &s, &err) == 0 &&
	    mlp_oid_cmp(&oid, &xyz) == 0 && s.cache_hits == 1,
	    "the same entry recorded 10 s later is trusted (so the guard is "
	    "what refused it)");

	/* a real write in the same instant: ctime and mtime change or not,
	 * the answer must be right */
	write_str("racy.txt", "abd");
	ok(mlp_store_put_file(st, p, &oid, &s, &err) == 0, "put after a "
	    "same-size write");
	{
		struct mlp_oid want;

		mlp_oid_hash("abd", 3, &want, NULL);
		ok(mlp_oid_cmp(&oid, &want) == 0, "the new content is hashed");
	}
	free(real);
	free(p);
	mlp_store_free(st);
}

static void
mkdirs(const char *rel)
{
	char *p = path(rel);
	char *cmd = xasprintf("mkdir -p '%s'", p);

	if (system(cmd) != 0)
		exit(2);
	free(cmd);
	free(p);
}

static void
test_tree(void)
{
	struct mlp_store *st = open_store(NULL, db);
	struct mlp_put_stats s = { 0 };
	struct mlp_oid tree, tree2, a, run, x, sp;
	struct mlp_tree t;
	struct mlp_err err;
	struct mlp_buf want = MLP_BUF_INIT;
	char *p, *m;
	int is_tree = -1;

	mkdirs("d/bin");
	mkdirs("d/sub/deep");
	mkdirs("d/empty/dir");
	write_str("d/a.txt", "hello\n");
	write_str("d/bin/run.sh", "#!/bin/sh\necho hi\n");
	p = path("d/bin/run.sh");
	chmod(p, 0755);
	free(p);
	write_str("d/sub/deep/x.bin", "xx");
	write_str("d/with space.txt", "spaces");
	mlp_oid_hash("hello\n", 6, &a, NULL);
	mlp_oid_hash("#!/bin/sh\necho hi\n", 18, &run, NULL);
	mlp_oid_hash("xx", 2, &x, NULL);
	mlp_oid_hash("spaces", 6, &sp, NULL);
	mlp_buf_addf(&want, "644 6 %s a.txt\n", hex(&a));
	mlp_buf_addf(&want, "755 18 %s bin/run.sh\n", hex(&run));
	mlp_buf_addf(&want, "644 2 %s sub/deep/x.bin\n", hex(&x));
	mlp_buf_addf(&want, "644 6 %s with space.txt\n", hex(&sp));

	p = path("d");
	ok(mlp_store_put_path(st, p, &tree, &is_tree, &s, &err) == 0,
	    "put a directory");
	is_int(is_tree, 1, "it is a tree");
	is_int(s.files, 4, "four files");
	is_int(s.objects_written, 5, "four blobs and a manifest");
	ok(mlp_store_read_object(st, &tree, 1 << 20, &m, NULL, &err) == 0,
	    "read the manifest");
	is_str(m, want.s, "the manifest is exactly as specified");
	free(m);
	ok(mlp_store_read_tree(st, &tree, &t, &err) == 0, "parse it");
	ok(t.n == 4 && t.v[1].mode == 0755 && t.v[0].mode == 0644 &&
	    strcmp(t.v[3].path, "with space.txt") == 0 && t.v[2].size == 2,
	    "entries, modes and sizes");
	mlp_tree_release(&t);
	ok(mlp_store_has(st, &a) && mlp_store_has(st, &sp),
	    "the files are objects");
	is_int(count_dir(mlp_store_tmp_dir(st)), 0, "tmp/ is empty");

	/* the next version shares what did not change */
	age_cache();
	write_str("d/a.txt", "hello, world\n");
	memset(&s, 0, sizeof(s));
	ok(mlp_store_put_path(st, p, &tree2, &is_tree, &s, &err) == 0,
	    "put the second version");
	ok(mlp_oid_cmp(&tree, &tree2) != 0, "a new tree");
	is_int(s.objects_written, 2, "only the changed file and the manifest "
	    "are new");
	is_int(s.cache_hits, 3, "unchanged files come from the stat cache");
	ok(mlp_store_read_tree(st, &tree2, &t, &err) == 0 && t.n == 4 &&
	    mlp_oid_cmp(&t.v[1].oid, &run) == 0 &&
	    mlp_oid_cmp(&t.v[3].oid, &sp) == 0 &&
	    mlp_oid_cmp(&t.v[0].oid, &a) != 0, "shared entries keep their ids");
	mlp_tree_release(&t);
	free(p);

	/* a symlink inside: refused, nothing written */
	{
		int before = count_objects(st);
		char *l = path("d/sub/link");

		if (symlink("../a.txt", l) != 0)
			perror("symlink");
		write_str("d/zzz-new.txt", "not stored");
		p = path("d");
		is_int(mlp_store_put_path(st, p, &tree2, NULL, NULL, &err),
		    MLP_EUNSUPPORTED, "a symlink inside is refused");
		ok(strstr(err.msg, "sub/link") && strstr(err.msg, "symbolic"),
		    "the message names it: %s", err.msg);
		is_int(count_objects(st), before, "no object was written");
		unlink(l);
		free(l);
		l = path("d/zzz-new.txt");
		unlink(l);
		free(l);
		free(p);
	}

	/* a newline in a name */
	{
		char *nl = path("d/bad\nname");

		write_bytes(nl, "x", 1);
		p = path("d");
		is_int(mlp_store_put_path(st, p, &tree2, NULL, NULL, &err),
		    MLP_EINVAL, "a newline in a path is refused");
		ok(strstr(err.msg, "newline") != NULL, "and says why: %s",
		    err.msg);
		unlink(nl);
		free(nl);
		free(p);
	}

	/* a file put with put_path */
	p = path("d/a.txt");
	ok(mlp_store_put_path(st, p, &tree2, &is_tree, NULL, &err) == 0 &&
	    is_tree == 0, "put_path of a file is a blob");
	free(p);

	/* an empty directory is the empty manifest */
	p = path("d/empty");
	ok(mlp_store_put_path(st, p, &tree2, &is_tree, NULL, &err) == 0 &&
	    is_tree == 1 && strcmp(hex(&tree2), EMPTY_SHA) == 0,
	    "an empty directory tree is the empty manifest");
	free(p);

	/* building a tree by hand */
	mlp_tree_init(&t);
	mlp_tree_add(&t, "z", 0644, 2, &x);
	mlp_tree_add(&t, "a b/c", 0755, 6, &a);
	ok(mlp_store_put_tree(st, &t, &tree2, NULL, &err) == 0,
	    "put a tree built by hand");
	is_str(t.v[0].path, "a b/c", "it was sorted");
	mlp_tree_add(&t, "z/y", 0644, 2, &x);
	is_int(mlp_store_put_tree(st, &t, &tree2, NULL, &err), MLP_EINVAL,
	    "a path that is a file and a directory is refused");
	mlp_tree_release(&t);
	mlp_tree_add(&t, "../up", 0644, 2, &x);
	is_int(mlp_store_put_tree(st, &t, &tree2, NULL, &err), MLP_EINVAL,
	    "'..' refused when formatting");
	mlp_tree_release(&t);
	mlp_tree_add(&t, "f", 0600, 2, &x);
	is_int(mlp_store_put_tree(st, &t, &tree2, NULL, &err), MLP_EINVAL,
	    "mode 600 refused");
	mlp_tree_release(&t);
	mlp_tree_add(&t, "f", 0644, 2, &x);
	mlp_tree_add(&t, "f", 0644, 2, &x);
	is_int(mlp_store_put_tree(st, &t, &tree2, NULL, &err), MLP_EINVAL,
	    "a duplicate refused");
	mlp_tree_release(&t);

	mlp_buf_release(&want);
	mlp_store_free(st);
}

/* tmpl with every '@' replaced by oid. */
static char *
with_oid(const char *tmpl, const char *oid)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (const char *c = tmpl; *c; c++)
		if (*c == '@')
			mlp_buf_adds(&b, oid);
		else
			mlp_buf_addc(&b, *c);
	return mlp_buf_detach(&b);
}

static void
test_parse(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "600 1 @ a\n", "mode 600" },
		{ "644 01 @ a\n", "leading zero in size" },
		{ "644 -1 @ a\n", "negative size" },
		{ "644 99999999999999999999 @ a\n", "size overflow" },
		{ "644 1 @ a", "no final newline" },
		{ "644 1 @ \n", "empty path" },
		{ "644 1 @ /a\n", "absolute path" },
		{ "644 1 @ a//b\n", "empty component" },
		{ "644 1 @ a/\n", "trailing slash" },
		{ "644 1 @ a/./b\n", "'.' component" },
		{ "644 1 @ ../x\n", "'..' component" },
		{ "644 1 @ b\n644 1 @ a\n", "unsorted" },
		{ "644 1 @ a\n644 1 @ a\n", "duplicate" },
		{ "644 1 @ a\n644 1 @ a-b\n644 1 @ a/b\n", "file and dir" },
		{ "644  1 @ a\n", "two spaces" },
		{ "644 1 @\n", "no path" },
		{ "\n", "empty line" },
	};
	const char *oid = ABC_SHA;
	struct mlp_tree t;
	struct mlp_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *text = with_oid(bad[i].text, oid);

		is_int(mlp_tree_parse(text, strlen(text), &t, &err),
		    MLP_ECORRUPT, "malformed manifest: %s (%s)", bad[i].why,
		    err.msg);
		free(text);
	}
	{
		char text[] = "644 1 " ABC_SHA " a\n";

		text[10] = 'A';
		is_int(mlp_tree_parse(text, strlen(text), &t, &err),
		    MLP_ECORRUPT, "upper-case hex is not canonical");
	}
	{
		char text[] = "644 1 " ABC_SHA " a\0b\n";

		is_int(mlp_tree_parse(text, sizeof(text) - 1, &t, &err),
		    MLP_ECORRUPT, "a NUL in a path");
	}
	{
		char *text = xasprintf("644 0 %s a b\n755 18446744073709551615 "
		    "%s a-b/\xff\n", oid, oid);

		ok(mlp_tree_parse(text, strlen(text), &t, &err) == 0 &&
		    t.n == 2 && strcmp(t.v[0].path, "a b") == 0 &&
		    t.v[1].size == UINT64_MAX && t.v[1].mode == 0755,
		    "spaces, odd bytes and the largest size parse");
		mlp_tree_release(&t);
		free(text);
	}
	ok(mlp_tree_parse("", 0, &t, &err) == 0 && t.n == 0,
	    "the empty manifest parses");
}

static void
test_checkout(void)
{
	struct mlp_store *copy = open_store("copy", NULL);
	struct mlp_store *hard = open_store("hardlink,copy", NULL);
	struct mlp_store *dflt = open_store(NULL, NULL);
	struct mlp_oid tree, big;
	struct mlp_err err;
	struct stat sa, so;
	char *src = path("d"), *out = path("out1"), *q, *r, *obj;

	umask(022);
	ok(mlp_store_put_path(copy, src, &tree, NULL, NULL, &err) == 0,
	    "put d");
	ok(mlp_store_checkout(copy, &tree, 1, out, 0, &err) == 0,
	    "check out by copy");
	q = path("out1/bin/run.sh");
	r = path("d/bin/run.sh");
	ok(same_file(q, r), "run.sh has its content");
	is_int(mode_of(q), 0755, "and mode 755");
	free(q);
	free(r);
	q = path("out1/with space.txt");
	r = path("d/with space.txt");
	ok(same_file(q, r), "'with space.txt' has its content");
	is_int(mode_of(q), 0644, "and mode 644");
	free(q);
	free(r);
	q = path("out1/sub/deep/x.bin");
	ok(exists(q), "nested directories are created");
	free(q);
	q = path("out1/empty");
	ok(!exists(q), "empty directories are not represented");
	free(q);

	is_int(mlp_store_checkout(copy, &tree, 1, out, 0, &err), MLP_EEXISTS,
	    "a second checkout refuses to overwrite");
	ok(strstr(err.msg, "a.txt") != NULL, "naming a file: %s", err.msg);
	write_str("out1/a.txt", "local edit");
	ok(mlp_store_checkout(copy, &tree, 1, out, 1, &err) == 0,
	    "unless asked to");
	q = path("out1/a.txt");
	r = path("d/a.txt");
	ok(same_file(q, r), "the file is restored");
	free(q);
	free(r);
	is_int(count_dir(out), 4, "no temporary files are left");

	/* hardlink */
	free(out);
	out = path("out2");
	ok(mlp_store_checkout(hard, &tree, 1, out, 0, &err) == 0,
	    "check out by hardlink");
	q = path("out2/a.txt");
	stat(q, &sa);
	{
		struct mlp_tree t;

		mlp_store_read_tree(hard, &tree, &t, &err);
		obj = mlp_store_object_path(hard, &t.v[0].oid);
		mlp_tree_release(&t);
	}
	stat(obj, &so);
	ok(sa.st_ino == so.st_ino && sa.st_nlink >= 2,
	    "a.txt is the object's inode");
	is_int(mode_of(q), 0444, "and read-only");
	free(q);
	free(obj);
	q = path("out2/bin/run.sh");
	stat(q, &sa);
	ok(sa.st_nlink == 1 && mode_of(q) == 0755,
	    "an executable is copied, with mode 755");
	free(q);
	ok(mlp_store_checkout(hard, &tree, 1, out, 1, &err) == 0,
	    "hardlinks again over the same links");
	is_int(count_dir(out), 4, "no temporary names are left");
	q = path("out2/bin");
	is_int(count_dir(q), 1, "nor in subdirectories");
	free(q);

	/* the default, reflink then copy (this filesystem may not clone) */
	free(out);
	out = path("out3");
	ok(mlp_store_checkout(dflt, &tree, 1, out, 0, &err) == 0,
	    "check out with reflink,copy");
	q = path("out3/sub/deep/x.bin");
	r = path("d/sub/deep/x.bin");
	ok(same_file(q, r), "contents right");
	free(q);
	free(r);

	/* a blob */
	q = path("big.bin");
	ok(mlp_store_put_file(copy, q, &big, NULL, NULL) == 0, "put big.bin");
	free(out);
	out = path("out4/deeper/big.copy");
	ok(mlp_store_checkout(copy, &big, 0, out, 0, &err) == 0,
	    "check out a large blob into a new directory");
	ok(same_file(q, out), "its content is right");
	is_int(mode_of(out), 0644, "mode 644");
	is_int(mlp_store_checkout(copy, &big, 0, out, 0, &err), MLP_EEXISTS,
	    "refuses to overwrite a file");
	ok(mlp_store_checkout(copy, &big, 0, out, 1, &err) == 0,
	    "unless asked to");
	free(q);
	q = path("out4");
	is_int(mlp_store_checkout(copy, &big, 0, q, 1, &err), MLP_EEXISTS,
	    "a directory is never replaced by a file");
	free(q);

	free(src);
	free(out);
	mlp_store_free(copy);
	mlp_store_free(hard);
	mlp_store_free(dflt);
}

static void
flip_byte(const char *p, off_t at)
{
	int fd;
	unsigned char c;

	chmod(p, 0644);
	fd = open(p, O_RDWR);
	if (fd < 0 || pread(fd, &c, 1, at) != 1)
		exit(2);
	c ^= 1;
	if (pwrite(fd, &c, 1, at) != 1)
		exit(2);
	close(fd);
	chmod(p, 0444);
}

static void
test_tamper(void)
{
	struct mlp_store *copy = open_store("copy", NULL);
	struct mlp_store *hard = open_store("hardlink", NULL);
	struct mlp_oid small, large, tree;
	struct mlp_err err;
	unsigned char *data = random_bytes(3u << 20, 7);
	char *p, *obj, *out;
	char h[MLP_OID_HEXSZ + 1];

	mlp_store_put_buf(copy, "tamper me, please", 17, &small, NULL, &err);
	mlp_store_put_buf(copy, data, 3u << 20, &large, NULL, &err);
	obj = mlp_store_object_path(copy, &small);
	flip_byte(obj, 3);
	free(obj);
	obj = mlp_store_object_path(copy, &large);
	flip_byte(obj, (3 << 20) - 5);
	free(obj);

	mlp_oid_fmt(&small, h);
	is_int(mlp_store_verify(copy, &small, &err), MLP_ECORRUPT,
	    "verify finds a flipped byte");
	ok(strstr(err.msg, h) && strstr(err.msg, "hashes to"),
	    "naming the object and the hash found: %s", err.msg);
	is_int(mlp_store_verify(copy, &large, &err), MLP_ECORRUPT,
	    "and in a large object");

	out = path("tamper/small");
	is_int(mlp_store_checkout(copy, &small, 0, out, 0, &err),
	    MLP_ECORRUPT, "checkout by copy refuses it");
	ok(!exists(out), "and leaves no file");
	free(out);
	out = path("tamper/large");
	is_int(mlp_store_checkout(copy, &large, 0, out, 0, &err),
	    MLP_ECORRUPT, "a large one too");
	ok(!exists(out), "no file");
	is_int(mlp_store_checkout(hard, &large, 0, out, 0, &err),
	    MLP_ECORRUPT, "checkout by hardlink verifies first");
	ok(!exists(out), "no file");
	free(out);
	out = path("tamper");
	is_int(count_dir(out), 0, "no temporary files are left");
	free(out);

	/* a tree naming a damaged object */
	{
		struct mlp_tree t = MLP_TREE_INIT;

		mlp_tree_add(&t, "ok.txt", 0644, 3, &large);
		mlp_store_put_tree(copy, &t, &tree, NULL, &err);
		mlp_tree_release(&t);
	}
	out = path("tamper-tree");
	is_int(mlp_store_checkout(copy, &tree, 1, out, 0, &err), MLP_ECORRUPT,
	    "a tree checkout stops at a damaged object");
	is_int(count_dir(out), 0, "and leaves nothing for it");
	free(out);

	/* a damaged manifest */
	obj = mlp_store_object_path(copy, &tree);
	flip_byte(obj, 0);
	free(obj);
	mlp_oid_fmt(&tree, h);
	{
		struct mlp_tree t;

		is_int(mlp_store_read_tree(copy, &tree, &t, &err), MLP_ECORRUPT,
		    "a damaged manifest is refused");
		ok(strstr(err.msg, h) != NULL, "naming it: %s", err.msg);
	}

	p = path(".mlp/tmp");
	is_int(count_dir(p), 0, "tmp/ is empty");
	free(p);
	free(data);
	mlp_store_free(copy);
	mlp_store_free(hard);
}

static void
test_malformed_and_escape(void)
{
	struct mlp_store *st = open_store("copy", NULL);
	struct mlp_oid abc, bad, esc;
	struct mlp_tree t;
	struct mlp_err err;
	struct mlp_buf b = MLP_BUF_INIT;
	char h[MLP_OID_HEXSZ + 1];
	char *out, *p, *q;

	mlp_store_put_buf(st, "abc", 3, &abc, NULL, &err);
	mlp_buf_adds(&b, "644 3 nothex a\n");
	mlp_store_put_buf(st, b.s, b.len, &bad, NULL, &err);
	mlp_oid_fmt(&bad, h);
	is_int(mlp_store_read_tree(st, &bad, &t, &err), MLP_ECORRUPT,
	    "a malformed manifest is ECORRUPT");
	ok(strstr(err.msg, h) && strstr(err.msg, "line 1"),
	    "naming the object and the line: %s", err.msg);
	out = path("mal");
	is_int(mlp_store_checkout(st, &bad, 1, out, 0, &err), MLP_ECORRUPT,
	    "and cannot be checked out");
	free(out);

	/* a hand-made manifest escaping the destination */
	mlp_buf_reset(&b);
	mlp_buf_addf(&b, "644 3 %s ../x\n", hex(&abc));
	mlp_store_put_buf(st, b.s, b.len, &esc, NULL, &err);
	out = path("esc/dest");
	is_int(mlp_store_checkout(st, &esc, 1, out, 0, &err), MLP_ECORRUPT,
	    "a path escaping the destination is refused: %s", err.msg);
	p = path("esc/x");
	ok(!exists(p), "and nothing is written outside");
	free(p);
	free(out);

	/* a symbolic link in the destination leading out */
	mlp_buf_reset(&b);
	mlp_buf_addf(&b, "644 3 %s sub/f\n", hex(&abc));
	mlp_store_put_buf(st, b.s, b.len, &esc, NULL, &err);
	mkdirs("esc2/dest");
	mkdirs("esc2/outside");
	p = path("esc2/dest/sub");
	if (symlink("../outside", p) != 0)
		perror("symlink");
	free(p);
	out = path("esc2/dest");
	is_int(mlp_store_checkout(st, &esc, 1, out, 1, &err), MLP_EEXISTS,
	    "a symlink in the destination is not followed");
	ok(strstr(err.msg, "symbolic link") != NULL, "and said so: %s", err.msg);
	q = path("esc2/outside");
	is_int(count_dir(q), 0, "nothing written through it");
	free(q);
	free(out);
	mlp_buf_release(&b);
	mlp_store_free(st);
}

static void
test_resolve(void)
{
	struct mlp_store *st = open_store(NULL, NULL);
	struct mlp_oid o1, o2, got;
	struct mlp_err err;
	char h1[MLP_OID_HEXSZ + 1], h2[MLP_OID_HEXSZ + 1], pre[80];
	char *s1 = NULL, *s2 = NULL;
	int found = 0;

	/* two contents whose ids share 4 hex digits (about 300 tries) */
	{
		static uint16_t seen[65536];
		static int who[65536];

		for (int i = 1; i < 100000 && !found; i++) {
			char s[32];
			unsigned k;

			snprintf(s, sizeof(s), "content %d", i);
			mlp_oid_hash(s, strlen(s), &o1, NULL);
			k = (unsigned)o1.hash[0] << 8 | o1.hash[1];
			if (seen[k]) {
				s1 = xasprintf("content %d", who[k]);
				s2 = xstrdup(s);
				found = 1;
			}
			seen[k] = 1;
			who[k] = i;
		}
	}
	ok(found, "found two ids sharing a prefix");
	if (!found)
		return;
	mlp_store_put_buf(st, s1, strlen(s1), &o1, NULL, &err);
	mlp_store_put_buf(st, s2, strlen(s2), &o2, NULL, &err);
	mlp_oid_fmt(&o1, h1);
	mlp_oid_fmt(&o2, h2);
	snprintf(pre, sizeof(pre), "%.4s", h1);
	is_int(mlp_store_resolve(st, pre, &got, &err), MLP_EAMBIGUOUS,
	    "a shared prefix is ambiguous");
	ok(strstr(err.msg, h1) && strstr(err.msg, h2),
	    "the candidates are listed: %s", err.msg);
	snprintf(pre, sizeof(pre), "%.63s", h1);
	ok(mlp_store_resolve(st, pre, &got, &err) == 0 &&
	    mlp_oid_cmp(&got, &o1) == 0, "a longer prefix resolves");
	ok(mlp_store_resolve(st, h2, &got, &err) == 0 &&
	    mlp_oid_cmp(&got, &o2) == 0, "a full id resolves");
	is_int(mlp_store_resolve(st, "ba78", &got, &err), 0,
	    "a unique 4-digit prefix resolves");
	is_str(hex(&got), ABC_SHA, "to abc");
	is_int(mlp_store_resolve(st, "BA7816BF", &got, &err), 0,
	    "upper case too");
	is_int(mlp_store_resolve(st, "ba7", &got, &err), MLP_EINVAL,
	    "3 digits are too few");
	is_int(mlp_store_resolve(st, "ba7g", &got, &err), MLP_EINVAL,
	    "not hex");
	snprintf(pre, sizeof(pre), "%.63s", h1);
	pre[62] = pre[62] == '0' ? '1' : '0';
	is_int(mlp_store_resolve(st, pre, &got, &err), MLP_ENOTFOUND,
	    "a prefix no object has is ENOTFOUND");
	{
		char full[MLP_OID_HEXSZ + 1];

		memcpy(full, h1, sizeof(full));
		full[63] = full[63] == '0' ? '1' : '0';
		is_int(mlp_store_resolve(st, full, &got, &err), MLP_ENOTFOUND,
		    "a missing full id is ENOTFOUND");
	}
	free(s1);
	free(s2);
	mlp_store_free(st);
}

struct walk {
	int n, sorted, paths_ok;
	struct mlp_oid last;
	struct mlp_store *st;
};

static int
walk_cb(const struct mlp_oid *oid, const char *p, void *ud)
{
	struct walk *w = ud;
	char *want = mlp_store_object_path(w->st, oid);

	if (w->n > 0 && mlp_oid_cmp(&w->last, oid) >= 0)
		w->sorted = 0;
	if (strcmp(want, p) != 0)
		w->paths_ok = 0;
	free(want);
	w->last = *oid;
	w->n++;
	return w->n == 1000000 ? 7 : 0;
}

static int
stop_cb(const struct mlp_oid *oid, const char *p, void *ud)
{
	return 42;
}

static void
test_foreach(void)
{
	struct mlp_store *st = open_store(NULL, NULL);
	struct walk w = { 0, 1, 1, { { 0 } }, st };
	struct mlp_err err;
	char *stray = path(".mlp/objects/ab/not-an-object");

	mkdirs(".mlp/objects/ab");
	write_bytes(stray, "x", 1);
	ok(mlp_store_foreach(st, walk_cb, &w, &err) == 0, "walk the objects");
	ok(w.n > 10, "found %d", w.n);
	ok(w.sorted, "in id order");
	ok(w.paths_ok, "with their paths");
	is_int(mlp_store_foreach(st, stop_cb, NULL, &err), 42,
	    "a callback's non-zero return stops the walk");
	unlink(stray);
	free(stray);
	mlp_store_free(st);
}

/* Staging: nothing reaches objects/ before a commit, a wrong id is
 * refused, freeing removes every staged file. */
static void
test_stage(void)
{
	struct mlp_store *st = open_store(NULL, NULL);
	struct mlp_store_stage *sg;
	struct mlp_put_stats s = { 0 };
	struct mlp_tree t = MLP_TREE_INIT;
	struct mlp_oid abc, bad, got, tree;
	struct mlp_err err;
	char *tmp = path(".mlp/tmp"), *man;
	int before = count_objects(st);

	mlp_oid_hash("stage-abc", 9, &abc, &err);
	memset(&bad, 0x11, sizeof(bad));
	sg = mlp_store_stage_new(st);
	ok(mlp_store_stage_begin(sg, &abc, &err) == 0 &&
	    mlp_store_stage_write(sg, "stage-", 6, &err) == 0 &&
	    mlp_store_stage_write(sg, "abc", 3, &err) == 0 &&
	    mlp_store_stage_end(sg, &got, &err) == 0 &&
	    mlp_oid_cmp(&got, &abc) == 0, "stage an object in two pieces");
	is_int(count_objects(st), before, "not an object before the commit");
	is_int(count_dir(tmp), 1, "its file waits in tmp/");
	ok(mlp_store_stage_begin(sg, &bad, &err) == 0 &&
	    mlp_store_stage_write(sg, "other", 5, &err) == 0,
	    "stage content under a wrong id");
	is_int(mlp_store_stage_end(sg, &got, &err), MLP_ECORRUPT,
	    "its end is refused");
	ok(strstr(err.msg, "content hashes to ") && strstr(err.msg, " not "
	    "1111"), "naming both ids: %s", err.msg);
	is_int(count_dir(tmp), 1, "and its file is gone at once");
	ok(mlp_store_stage_begin(sg, NULL, &err) == 0 &&
	    mlp_store_stage_write(sg, "unfinished", 10, &err) == 0,
	    "start another object");
	mlp_store_stage_free(sg);
	is_int(count_dir(tmp), 0, "free removes every staged file");
	is_int(count_objects(st), before, "and the store is as it was");

	/* a tree read from the stage, then a commit */
	sg = mlp_store_stage_new(st);
	mlp_tree_add(&t, "a.txt", 0644, 9, &abc);
	{
		struct mlp_buf b = MLP_BUF_INIT;

		mlp_tree_format(&t, &b, &err);
		mlp_oid_hash(b.s, b.len, &tree, &err);
		ok(mlp_store_stage_begin(sg, &tree, &err) == 0 &&
		    mlp_store_stage_write(sg, b.s, b.len, &err) == 0 &&
		    mlp_store_stage_end(sg, &got, &err) == 0, "stage a tree");
		mlp_buf_release(&b);
	}
	mlp_tree_release(&t);
	ok(mlp_store_stage_begin(sg, &abc, &err) == 0 &&
	    mlp_store_stage_write(sg, "stage-abc", 9, &err) == 0 &&
	    mlp_store_stage_end(sg, &got, &err) == 0, "and its file");
	ok(mlp_store_stage_read_tree(sg, &tree, &t, &err) == 0 && t.n == 1 &&
	    strcmp(t.v[0].path, "a.txt") == 0, "read the staged tree");
	mlp_tree_release(&t);
	ok(mlp_store_stage_commit(sg, &s, &err) == 0, "commit");
	is_int(s.objects_written, 2, "two objects written");
	is_int(s.bytes_written, (long long)(9 + strlen("644 9 ") + 64 +
	    strlen(" a.txt\n")), "their bytes counted");
	ok(mlp_store_has(st, &abc) && mlp_store_has(st, &tree),
	    "both are objects now");
	man = mlp_store_object_path(st, &abc);
	is_int(mode_of(man), 0444, "read-only, as every object");
	ok(mlp_store_verify(st, &abc, &err) == 0, "and intact");
	free(man);
	mlp_store_stage_free(sg);
	ok(mlp_store_has(st, &abc), "free after a commit removes nothing");
	is_int(count_dir(tmp), 0, "tmp/ is empty");

	/* an object the store holds is only hashed, and still checked */
	sg = mlp_store_stage_new(st);
	ok(mlp_store_stage_begin(sg, &abc, &err) == 0, "stage it again");
	is_int(count_dir(tmp), 0, "nothing is written for it");
	mlp_store_stage_write(sg, "stage-abX", 9, &err);
	is_int(mlp_store_stage_end(sg, &got, &err), MLP_ECORRUPT,
	    "wrong content is refused all the same");
	s.objects_written = 0;
	ok(mlp_store_stage_commit(sg, &s, &err) == 0 && s.objects_written == 0,
	    "an empty commit writes nothing");
	mlp_store_stage_free(sg);
	free(tmp);
	mlp_store_free(st);
}

int
main(void)
{
	struct mlp_err err;
	char *p;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	mkdirs(".mlp");
	p = path(".mlp/mlp.db");
	if (mlp_db_open(&db, p, 1, &err) < 0) {
		printf("# %s\n", err.msg);
		return 2;
	}
	free(p);

	test_oid();
	test_open();
	test_put_small();
	test_put_large();
	test_racy();
	test_tree();
	test_parse();
	test_checkout();
	test_tamper();
	test_malformed_and_escape();
	test_resolve();
	test_foreach();
	test_stage();

	mlp_db_close(db);
	p = xasprintf("rm -rf '%s'", dir);
	if (system(p) != 0)
		printf("# cannot remove %s\n", dir);
	free(p);
	return tap_done();
}
