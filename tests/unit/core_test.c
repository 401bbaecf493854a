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

static void
test_utf8(void)
{
	static const struct { const char *s; long bad; } cases[] = {
		{ "", -1 }, { "plain ascii", -1 }, { "caf\xc3\xa9", -1 },
		{ "\xe2\x82\xac and \xf0\x9f\x98\x80", -1 },
		{ "\xef\xbf\xbf", -1 }, { "\xf4\x8f\xbf\xbf", -1 },
		{ "caf\xe9", 3 },		/* latin-1 */
		{ "\xc0\xaf", 0 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 0 },	/* overlong, three bytes */
		{ "\xed\xa0\x80", 0 },	/* a surrogate */
		{ "\xf4\x90\x80\x80", 0 },	/* past U+10FFFF */
		{ "ab\xe2\x82", 2 },	/* cut short */
		{ "\x80", 0 }, { "x\xff", 1 },
	};
	struct mlp_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(mlp_utf8_invalid(cases[i].s, strlen(cases[i].s)),
		    cases[i].bad, "utf8 case %zu", i);
	mlp_err_clear(&err);
	is_int(mlp_check_utf8("run name", "caf\xc3\xa9", &err), 0,
	    "valid name passes");
	is_int(mlp_check_utf8("run name", "caf\xe9", &err), MLP_EINVAL,
	    "latin-1 name refused");
	is_str(err.msg, "run name 'caf\\xe9' is not valid UTF-8 (byte 4)",
	    "the error names the field and shows the byte");
}

int
main(void)
{
	test_utf8();
	test_file_uri();
	test_write_file();
	return tap_done();
}
