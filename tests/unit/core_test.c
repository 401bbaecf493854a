/* Unit tests for lib/core helpers: file URIs and whole-file output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "tap.h"

static void
uri(const char *s, int want_rc, const char *want)
{
	struct mlp_err err;
	char *path = NULL;
	int rc;

	mlp_err_clear(&err);
	rc = mlp_file_uri(s, &path, &err);
	is_int(rc, want_rc, "mlp_file_uri(%s) returns %d", s, want_rc);
	if (want_rc == 1)
		is_str(path, want, "mlp_file_uri(%s) is %s", s, want);
	else
		ok(path == NULL, "mlp_file_uri(%s) sets no path", s);
	if (want_rc < 0 && want)
		ok(strstr(err.msg, want) != NULL, "error for %s says '%s' (%s)",
		    s, want, err.msg);
	free(path);
}

static void
test_file_uri(void)
{
	uri("model", 0, NULL);
	uri("/abs/model", 0, NULL);
	uri("runs:/abc/model", 0, NULL);
	uri("models:/m/1", 0, NULL);
	uri("file:///tmp/m", 1, "/tmp/m");
	uri("FILE:///tmp/m", 1, "/tmp/m");
	uri("file://localhost/tmp/m", 1, "/tmp/m");
	uri("file:///a%20b/%C3%A9%2f", 1, "/a b/\xc3\xa9/");
	uri("file:///", 1, "/");
	uri("file://host/tmp/m", MLP_EINVAL, "only local file URIs");
	uri("file://", MLP_EINVAL, "only local file URIs");
	uri("file:relative", 0, NULL);
	uri("file:///a%2", MLP_EINVAL, "bad %-escape at '%2'");
	uri("file:///a%g0", MLP_EINVAL, "bad %-escape");
	uri("file:///a%00", MLP_EINVAL, "bad %-escape at '%00'");
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = xcalloc(1, 256);

	if (f) {
		size_t n = fread(buf, 1, 255, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static void
test_write_file(void)
{
	char dir[] = "/tmp/mlp-core-XXXXXX", *f, *link, *missing, *s;
	struct mlp_err err;
	struct stat sb;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	f = xasprintf("%s/out.txt", dir);
	link = xasprintf("%s/link.txt", dir);
	missing = xasprintf("%s/no/such/out.txt", dir);
	mlp_err_clear(&err);
	is_int(mlp_write_file(f, "one\n", 4, &err), 0, "a new file");
	s = slurp(f);
	is_str(s, "one\n", "its content");
	free(s);
	is_int(mlp_write_file(f, "two\n", 4, &err), 0, "replaced whole");
	s = slurp(f);
	is_str(s, "two\n", "the new content");
	free(s);
	ok(symlink("out.txt", link) == 0, "a symlink to it");
	is_int(mlp_write_file(link, "three\n", 6, &err), 0,
	    "written through a symlink");
	ok(lstat(link, &sb) == 0 && S_ISLNK(sb.st_mode),
	    "the symlink is still a symlink");
	s = slurp(f);
	is_str(s, "three\n", "its target has the content");
	free(s);
	is_int(mlp_write_file(missing, "x", 1, &err), MLP_EFAIL,
	    "a missing directory fails");
	ok(strstr(err.msg, "cannot create") != NULL, "and says so: %s",
	    err.msg);
	unlink(link);
	unlink(f);
	rmdir(dir);
	free(f);
	free(link);
	free(missing);
}

int
main(void)
{
	test_file_uri();
	test_write_file();
	return tap_done();
}
