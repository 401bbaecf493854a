/* Export and import of model versions as tar archives, through libarchive
 * loaded on first use (see registry.h for the format and the rules). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>

#include "../core/dl.h"
#include "../store/store.h"
#include "registry.h"

#ifndef MLP_LIBARCHIVE_SONAME
#define MLP_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

/* The functions mlp uses; each pointer has the exact type of libarchive's
 * declaration. */
#define ARCHIVE_FUNCS(X) \
	X(archive_error_string) \
	X(archive_errno) \
	X(archive_entry_new) \
	X(archive_entry_free) \
	X(archive_entry_clear) \
	X(archive_entry_set_pathname) \
	X(archive_entry_set_size) \
	X(archive_entry_set_filetype) \
	X(archive_entry_set_perm) \
	X(archive_entry_set_mtime) \
	X(archive_entry_pathname) \
	X(archive_entry_size) \
	X(archive_entry_size_is_set) \
	X(archive_entry_filetype) \
	X(archive_entry_hardlink) \
	X(archive_entry_symlink) \
	X(archive_write_new) \
	X(archive_write_add_filter_gzip) \
	X(archive_write_add_filter_zstd) \
	X(archive_write_set_format_pax_restricted) \
	X(archive_write_set_filter_option) \
	X(archive_write_set_bytes_in_last_block) \
	X(archive_write_open_fd) \
	X(archive_write_header) \
	X(archive_write_data) \
	X(archive_write_close) \
	X(archive_write_free) \
	X(archive_read_new) \
	X(archive_read_support_filter_gzip) \
	X(archive_read_support_filter_zstd) \
	X(archive_read_support_format_tar) \
	X(archive_read_open_fd) \
	X(archive_read_open_memory) \
	X(archive_read_next_header) \
	X(archive_read_data) \
	X(archive_read_free)

static struct {
	ARCHIVE_FUNCS(MLP_DL_MEMBER)
} la;

/* Bytes read or written at a time. */
#define CHUNK (256u << 10)

static int
load(struct mlp_err *err)
{
#define SYM(fn) { #fn, (void **)&la.fn },
	static const struct mlp_dl_sym syms[] = { ARCHIVE_FUNCS(SYM) };
#undef SYM

	return mlp_dl_load("libarchive", MLP_LIBARCHIVE_SONAME, syms,
	    sizeof(syms) / sizeof(*syms), err);
}

static const char *
archive_msg(struct archive *a)
{
	const char *s = a ? la.archive_error_string(a) : NULL;
	int e = a ? la.archive_errno(a) : 0;

	/* a full disk is a "Write error" in libarchive's words */
	if (e == ENOSPC || e == EDQUOT)
		return strerror(e);
	/* libarchive gives no reason for some damage (a cut gzip trailer) */
	return s ? s : "damaged or truncated archive";
}

int
mlp_registry_archive_compression(const char *file,
    enum mlp_archive_compression *out, struct mlp_err *err)
{
	if (mlp_ends_with(file, ".tar.gz") || mlp_ends_with(file, ".tgz")) {
		*out = MLP_ARCHIVE_GZIP;
		return 0;
	}
	if (mlp_ends_with(file, ".tar.zst")) {
		*out = MLP_ARCHIVE_ZSTD;
		return 0;
	}
	return mlp_err_set(err, MLP_EINVAL, "'%s': unknown archive type (name "
	    "it FILE.tar.gz, FILE.tgz or FILE.tar.zst)", file);
}

/* The object path of an id in an archive: objects/ab/cdef... */
static void
object_name(const struct mlp_oid *oid, char out[MLP_OID_HEXSZ + 10])
{
	char hex[MLP_OID_HEXSZ + 1];

	mlp_oid_fmt(oid, hex);
	snprintf(out, MLP_OID_HEXSZ + 10, "objects/%.2s/%s", hex, hex + 2);
}

/* Export. */

struct export_obj {
	struct mlp_oid oid;
	uint64_t size;
};

static int
cmp_export_obj(const void *a, const void *b)
{
	const struct export_obj *x = a, *y = b;

	return mlp_oid_cmp(&x->oid, &y->oid);
}

/* The objects of mv, in archive order: the manifest then the files'
 * objects by id, each once; or the single object. */
static int
export_objects(struct mlp_store *st, const struct mlp_model_version *mv,
    struct export_obj **out, size_t *n, struct mlp_err *err)
{
	struct mlp_tree t = MLP_TREE_INIT;
	struct export_obj *v = NULL;
	struct mlp_oid oid;
	uint64_t size;
	size_t m = 0;
	int rc, fd;

	if ((rc = mlp_oid_parse(mv->oid, &oid, err)) < 0)
		return rc;
	if (!mv->is_tree) {
		v = xmalloc(sizeof(*v));
		v->oid = oid;
		v->size = mv->size;
		*out = v;
		*n = 1;
		return 0;
	}
	if ((rc = mlp_store_read_tree(st, &oid, &t, err)) < 0)
		goto out;
	/* the manifest's size is that of its object */
	if ((rc = mlp_store_open_object(st, &oid, &fd, &size, err)) < 0)
		goto out;
	close(fd);
	v = xcalloc(t.n + 1, sizeof(*v));
	for (size_t i = 0; i < t.n; i++) {
		v[i + 1].oid = t.v[i].oid;
		v[i + 1].size = t.v[i].size;
	}
	qsort(v + 1, t.n, sizeof(*v), cmp_export_obj);
	v[0].oid = oid;
	v[0].size = size;
	m = 1;
	for (size_t i = 1; i <= t.n; i++) {
		if (mlp_oid_cmp(&v[i].oid, &oid) == 0)
			continue;
		if (m > 1 && mlp_oid_cmp(&v[i].oid, &v[m - 1].oid) == 0) {
			if (v[i].size != v[m - 1].size) {
				char hex[MLP_OID_HEXSZ + 1];

				mlp_oid_fmt(&v[i].oid, hex);
				rc = mlp_err_set(err, MLP_ECORRUPT, "tree %s "
				    "gives object %s two sizes", mv->oid, hex);
				goto out;
			}
			continue;
		}
		v[m++] = v[i];
	}
	*out = v;
	*n = m;
	v = NULL;
out:
	free(v);
	mlp_tree_release(&t);
	return rc;
}

static char *
export_meta(const struct mlp_model_version *mv, const struct export_obj *v,
    size_t n)
{
	cJSON *o = cJSON_CreateObject(), *a, *t;
	char *p, *s;

	cJSON_AddStringToObject(o, "format", "mlp-export");
	cJSON_AddNumberToObject(o, "format_version", MLP_EXPORT_FORMAT);
	cJSON_AddStringToObject(o, "name", mv->name);
	cJSON_AddNumberToObject(o, "version", (double)mv->version);
	cJSON_AddStringToObject(o, "description", mv->description);
	a = cJSON_AddArrayToObject(o, "aliases");
	for (size_t i = 0; i < mv->aliases.n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(mv->aliases.v[i]));
	t = cJSON_AddObjectToObject(o, "tags");
	for (size_t i = 0; i < mv->ntags; i++)
		cJSON_AddStringToObject(t, mv->tags[i].key, mv->tags[i].value);
	cJSON_AddStringToObject(o, "stage", mv->stage);
	cJSON_AddStringToObject(o, "source", mv->source);
	cJSON_AddStringToObject(o, "object", mv->oid);
	cJSON_AddBoolToObject(o, "is_tree", mv->is_tree);
	cJSON_AddNumberToObject(o, "size", (double)mv->size);
	if (mv->run_uuid)
		cJSON_AddStringToObject(o, "run_id", mv->run_uuid);
	else
		cJSON_AddNullToObject(o, "run_id");
	if (mv->code_commit)
		cJSON_AddStringToObject(o, "code_commit", mv->code_commit);
	else
		cJSON_AddNullToObject(o, "code_commit");
	cJSON_AddStringToObject(o, "user", mv->user);
	cJSON_AddNumberToObject(o, "created", (double)mv->created);
	a = cJSON_AddArrayToObject(o, "objects");
	for (size_t i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();
		char hex[MLP_OID_HEXSZ + 1];

		mlp_oid_fmt(&v[i].oid, hex);
		cJSON_AddStringToObject(e, "id", hex);
		cJSON_AddNumberToObject(e, "size", (double)v[i].size);
		cJSON_AddItemToArray(a, e);
	}
	p = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!p)
		abort();	/* cJSON fails only when out of memory */
	s = xasprintf("%s\n", p);
	cJSON_free(p);
	return s;
}

struct exporter {
	struct archive *a;
	struct archive_entry *e;
	const char *file;
	time_t mtime;
	unsigned char *buf;
	uint64_t done, total;
	mlp_archive_progress_fn progress;
	void *ud;
};

static int
write_header(struct exporter *x, const char *name, unsigned perm,
    uint64_t size, struct mlp_err *err)
{
	la.archive_entry_clear(x->e);
	la.archive_entry_set_pathname(x->e, name);
	la.archive_entry_set_filetype(x->e, AE_IFREG);
	la.archive_entry_set_perm(x->e, perm);
	la.archive_entry_set_size(x->e, (la_int64_t)size);
	la.archive_entry_set_mtime(x->e, x->mtime, 0);
	if (la.archive_write_header(x->a, x->e) != ARCHIVE_OK)
		return mlp_err_set(err, MLP_EFAIL, "cannot write '%s': entry "
		    "'%s': %s", x->file, name, archive_msg(x->a));
	return 0;
}

static int
write_data(struct exporter *x, const void *p, size_t n, struct mlp_err *err)
{
	la_ssize_t w = la.archive_write_data(x->a, p, n);

	if (w < 0 || (size_t)w != n)
		return mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s",
		    x->file, archive_msg(x->a));
	return 0;
}

static int
write_object(struct exporter *x, struct mlp_store *st,
    const struct export_obj *o, struct mlp_err *err)
{
	char name[MLP_OID_HEXSZ + 10], hex[MLP_OID_HEXSZ + 1];
	uint64_t size, left;
	int rc, fd;

	mlp_oid_fmt(&o->oid, hex);
	if ((rc = mlp_store_open_object(st, &o->oid, &fd, &size, err)) < 0)
		return rc;
	if (size != o->size) {
		rc = mlp_err_set(err, MLP_ECORRUPT, "object %s is %llu byte%s, "
		    "not the %llu its version records", hex,
		    (unsigned long long)size, size == 1 ? "" : "s",
		    (unsigned long long)o->size);
		goto out;
	}
	object_name(&o->oid, name);
	if ((rc = write_header(x, name, 0444, size, err)) < 0)
		goto out;
	for (left = size; left > 0;) {
		ssize_t r = read(fd, x->buf, left < CHUNK ? left : CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = mlp_err_set(err, r < 0 ? MLP_EFAIL : MLP_ECORRUPT,
			    "cannot read object %s: %s", hex, r < 0 ?
			    strerror(errno) : "shorter than its size");
			goto out;
		}
		if ((rc = write_data(x, x->buf, (size_t)r, err)) < 0)
			goto out;
		left -= (uint64_t)r;
		x->done += (uint64_t)r;
		if (x->progress)
			x->progress(x->done, x->total, x->ud);
	}
out:
	close(fd);
	return rc;
}

int
mlp_registry_export(struct mlp_store *st,
    const struct mlp_model_version *mv, const char *file, int fd,
    enum mlp_archive_compression comp, mlp_archive_progress_fn progress,
    void *progress_ud, struct mlp_export_stats *stats, struct mlp_err *err)
{
	struct exporter x = { 0 };
	struct export_obj *v = NULL;
	char *meta = NULL, *tmp = NULL;
	size_t n = 0, mlen;
	int rc, out = fd, owned = -1;	/* owned: out, when opened here */

	if ((rc = load(err)) < 0)
		return rc;
	if ((rc = export_objects(st, mv, &v, &n, err)) < 0)
		goto out;
	meta = export_meta(mv, v, n);
	mlen = strlen(meta);
	if (mlen > MLP_IMPORT_MAX_META) {
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "models:/%s/%lld has "
		    "too many files to export: %s would be %zu bytes (at most "
		    "%u)", mv->name, (long long)mv->version, MLP_EXPORT_META,
		    mlen, MLP_IMPORT_MAX_META);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		x.total += v[i].size;
	if (out < 0 && (out = owned = mlp_output_open(file, &tmp, err)) < 0) {
		rc = out;
		goto out;
	}
	x.file = file;
	x.mtime = (time_t)(mv->created / 1000);
	x.progress = progress;
	x.ud = progress_ud;
	x.buf = xmalloc(CHUNK);
	x.a = la.archive_write_new();
	x.e = la.archive_entry_new();
	if (!x.a || !x.e)
		abort();
	/* no padding after the compressed stream (gzip -d would call it
	 * trailing garbage), and no time in the gzip header: the same
	 * version exports to the same bytes */
	if ((comp == MLP_ARCHIVE_GZIP ?
	    la.archive_write_add_filter_gzip(x.a) :
	    la.archive_write_add_filter_zstd(x.a)) != ARCHIVE_OK ||
	    (comp == MLP_ARCHIVE_GZIP && la.archive_write_set_filter_option(x.a,
	    "gzip", "timestamp", NULL) != ARCHIVE_OK) ||
	    la.archive_write_set_format_pax_restricted(x.a) != ARCHIVE_OK ||
	    la.archive_write_set_bytes_in_last_block(x.a, 1) != ARCHIVE_OK ||
	    la.archive_write_open_fd(x.a, out) != ARCHIVE_OK) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s", file,
		    archive_msg(x.a));
		goto out;
	}
	if ((rc = write_header(&x, MLP_EXPORT_META, 0644, mlen, err)) < 0 ||
	    (rc = write_data(&x, meta, mlen, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = write_object(&x, st, &v[i], err)) < 0)
			goto out;
	if (la.archive_write_close(x.a) != ARCHIVE_OK) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s", file,
		    archive_msg(x.a));
		goto out;
	}
	if (tmp) {
		owned = -1;	/* closed here, and renamed */
		if (fsync(out) < 0 || close(out) < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s",
			    tmp, strerror(errno));
			out = -1;
			goto out;
		}
		out = -1;
		if (rename(tmp, file) < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot rename '%s' to "
			    "'%s': %s", tmp, file, strerror(errno));
			goto out;
		}
		free(tmp);
		tmp = NULL;
	} else if (owned >= 0) {
		owned = -1;
		if (close(out) < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot write '%s': %s",
			    file, strerror(errno));
			goto out;
		}
	}
	if (stats) {
		stats->objects = n;
		stats->bytes = x.total;
	}
out:
	if (x.a)
		la.archive_write_free(x.a);
	if (x.e)
		la.archive_entry_free(x.e);
	if (tmp) {
		if (out >= 0)
			close(out);
		unlink(tmp);
		free(tmp);
	} else if (owned >= 0) {
		close(owned);
	}
	free(x.buf);
	free(meta);
	free(v);
	return rc;
}

/* Import. */

struct import_obj {
	struct mlp_oid oid;
	uint64_t size;
	int seen, used;
};

struct importer {
	struct mlp_db *db;
	struct mlp_store *st;
	struct mlp_store_stage *stage;	/* the objects until all is checked */
	const char *file;
	const struct mlp_import_opts *o;
	struct archive *a;
	unsigned char *buf;
	uint64_t entries, done;
	struct mlp_put_stats stats;

	/* from mlp-export.json */
	cJSON *meta;
	const char *name, *description, *source, *run_id, *code_commit;
	int64_t version;
	struct mlp_oid oid;
	char hex[MLP_OID_HEXSZ + 1];
	int is_tree;
	uint64_t size, total;
	struct mlp_strv aliases;
	struct mlp_kv *tags;
	size_t ntags;
	struct import_obj *objs;	/* sorted by id */
	size_t nobjs;
};

void
mlp_import_result_release(struct mlp_import_result *r)
{
	free(r->name);
	free(r->exported_name);
	memset(r, 0, sizeof(*r));
}

/* An entry's name as messages quote it: control bytes escaped, long
 * names cut. */
static void
shown_name(const char *s, char *out, size_t size)
{
	size_t n = 0;

	if (!s)
		s = "(unreadable name)";
	for (; *s && n + 8 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '\'')
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	if (*s)
		n += (size_t)snprintf(out + n, size - n, "...");
	out[n] = '\0';
}

static int
refuse(struct importer *im, const char *name, const char *why,
    struct mlp_err *err)
{
	char shown[256];

	shown_name(name, shown, sizeof(shown));
	return mlp_err_set(err, MLP_EFAIL, "'%s': entry '%s': refused: %s",
	    im->file, shown, why);
}

static int
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* 1 when a component of the '/'-separated path is "..". */
static int
has_dotdot(const char *p)
{
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

/* objects, objects/, objects/ab or objects/ab/ */
static int
is_objects_dir(const char *p)
{
	size_t n = strlen(p);

	if (n > 0 && p[n - 1] == '/')
		n--;
	return (n == 7 && strncmp(p, "objects", 7) == 0) ||
	    (n == 10 && strncmp(p, "objects/", 8) == 0 && is_hex(p + 8, 2));
}

/* objects/ab/cdef... (62 more hex digits) into *oid */
static int
parse_object_name(const char *p, struct mlp_oid *oid)
{
	char hex[MLP_OID_HEXSZ + 1];

	if (strlen(p) != 11 + MLP_OID_HEXSZ - 2 ||
	    strncmp(p, "objects/", 8) != 0 || p[10] != '/' ||
	    !is_hex(p + 8, 2) || !is_hex(p + 11, MLP_OID_HEXSZ - 2))
		return -1;
	memcpy(hex, p + 8, 2);
	memcpy(hex + 2, p + 11, MLP_OID_HEXSZ - 2);
	hex[MLP_OID_HEXSZ] = '\0';
	return mlp_oid_parse(hex, oid, NULL);
}

static int
cmp_import_obj(const void *a, const void *b)
{
	const struct import_obj *x = a, *y = b;

	return mlp_oid_cmp(&x->oid, &y->oid);
}

static struct import_obj *
find_obj(struct importer *im, const struct mlp_oid *oid)
{
	struct import_obj key;

	key.oid = *oid;
	return bsearch(&key, im->objs, im->nobjs, sizeof(*im->objs),
	    cmp_import_obj);
}

/* Metadata. */

static int
meta_error(struct importer *im, struct mlp_err *err, const char *what)
{
	return mlp_err_set(err, MLP_EFAIL, "'%s': %s: %s", im->file,
	    MLP_EXPORT_META, what);
}

/* A text field of the metadata that will be stored or shown: valid
 * UTF-8, as everything mlp stores. */
static int
meta_text(struct importer *im, const char *field, const char *value,
    struct mlp_err *err)
{
	int rc;

	if (!value || (rc = mlp_check_utf8(field, value, err)) == 0)
		return 0;
	return mlp_err_prefix(err, "'%s': %s", im->file, MLP_EXPORT_META);
}

/* A whole number 0 <= v <= max from a JSON number. */
static int
json_uint(const cJSON *j, uint64_t max, uint64_t *out)
{
	double v;

	if (!cJSON_IsNumber(j))
		return -1;
	v = j->valuedouble;
	if (!(v >= 0 && v <= (double)max && v <= 9007199254740992.0) ||
	    (double)(uint64_t)v != v)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* The string member key, or NULL when it is missing or null; -1 when it
 * is something else. */
static int
json_opt_str(const cJSON *o, const char *key, const char **out)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!j || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsString(j))
		return -1;
	*out = j->valuestring;
	return 0;
}

static int
parse_objects(struct importer *im, const cJSON *arr, struct mlp_err *err)
{
	const cJSON *j;
	int n = cJSON_GetArraySize(arr);

	if (n <= 0)
		return meta_error(im, err, "\"objects\" is empty");
	if ((unsigned)n > MLP_IMPORT_MAX_ENTRIES)
		return meta_error(im, err, "\"objects\" lists more objects "
		    "than an import takes");
	im->objs = xcalloc((size_t)n, sizeof(*im->objs));
	cJSON_ArrayForEach(j, arr) {
		struct import_obj *o = &im->objs[im->nobjs];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
		const cJSON *size = cJSON_GetObjectItemCaseSensitive(j, "size");

		if (!cJSON_IsString(id) || strlen(id->valuestring) !=
		    MLP_OID_HEXSZ || !is_hex(id->valuestring, MLP_OID_HEXSZ) ||
		    mlp_oid_parse(id->valuestring, &o->oid, NULL) < 0 ||
		    json_uint(size, MLP_IMPORT_MAX_BYTES, &o->size) < 0)
			return meta_error(im, err, "each of \"objects\" must be "
			    "{\"id\": 64 lowercase hex digits, \"size\": "
			    "bytes}");
		im->total += o->size;
		im->nobjs++;
		if (im->total > MLP_IMPORT_MAX_BYTES)
			return mlp_err_set(err, MLP_EFAIL, "'%s': its objects "
			    "hold more than %llu GiB, the most an import "
			    "takes", im->file, MLP_IMPORT_MAX_BYTES >> 30);
	}
	qsort(im->objs, im->nobjs, sizeof(*im->objs), cmp_import_obj);
	for (size_t i = 1; i < im->nobjs; i++)
		if (mlp_oid_cmp(&im->objs[i].oid, &im->objs[i - 1].oid) == 0)
			return meta_error(im, err, "\"objects\" lists an "
			    "object twice");
	return 0;
}

/* An upper bound of the values a JSON text holds: its ',', ':', '[' and
 * '{' outside strings. Parsed, each value costs cJSON some 64 bytes, so
 * "[0,0,0,...]" would cost 32 times its size. */
static size_t
json_values(const char *s, size_t n)
{
	size_t v = 1;
	int in_str = 0;

	for (size_t i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
		} else if (s[i] == '"') {
			in_str = 1;
		} else if (s[i] == ',' || s[i] == ':' || s[i] == '[' ||
		    s[i] == '{') {
			v++;
		}
	}
	return v;
}

static int
parse_meta(struct importer *im, const char *buf, size_t n,
    struct mlp_err *err)
{
	const cJSON *o, *j;
	const char *s;
	uint64_t u;
	size_t alloc = 0;
	int rc;

	/* a listed object takes 4 (its id and size, and the commas) in 80
	 * bytes or more */
	if (json_values(buf, n) > MLP_IMPORT_MAX_META / 16)
		return meta_error(im, err, "too many JSON values");
	if (!(im->meta = cJSON_ParseWithLength(buf, n)) ||
	    !cJSON_IsObject(im->meta))
		return meta_error(im, err, "not a JSON object");
	o = im->meta;
	if (json_opt_str(o, "format", &s) < 0 || !s ||
	    strcmp(s, "mlp-export") != 0)
		return mlp_err_set(err, MLP_EFAIL, "'%s': not an mlp export "
		    "(%s has no \"format\": \"mlp-export\")", im->file,
		    MLP_EXPORT_META);
	j = cJSON_GetObjectItemCaseSensitive(o, "format_version");
	if (json_uint(j, INT32_MAX, &u) < 0 || u == 0)
		return meta_error(im, err, "\"format_version\" must be a "
		    "positive number");
	if (u > MLP_EXPORT_FORMAT)
		return mlp_err_set(err, MLP_EUNSUPPORTED, "'%s': written by a "
		    "newer mlp (export format %llu; this mlp reads %d)",
		    im->file, (unsigned long long)u, MLP_EXPORT_FORMAT);
	if (json_opt_str(o, "name", &im->name) < 0 || !im->name)
		return meta_error(im, err, "\"name\" must be a string");
	if ((rc = meta_text(im, "\"name\"", im->name, err)) < 0)
		return rc;
	if (!im->o->name && (rc = mlp_registry_check_name(im->name, err)) < 0)
		return mlp_err_prefix(err, "'%s': %s", im->file,
		    MLP_EXPORT_META);
	j = cJSON_GetObjectItemCaseSensitive(o, "version");
	if (json_uint(j, INT64_MAX, &u) < 0 || u == 0)
		return meta_error(im, err, "\"version\" must be a positive "
		    "number");
	im->version = (int64_t)u;
	if (json_opt_str(o, "object", &s) < 0 || !s ||
	    strlen(s) != MLP_OID_HEXSZ || !is_hex(s, MLP_OID_HEXSZ) ||
	    mlp_oid_parse(s, &im->oid, NULL) < 0)
		return meta_error(im, err, "\"object\" must be an object id "
		    "(64 lowercase hex digits)");
	memcpy(im->hex, s, sizeof(im->hex));
	j = cJSON_GetObjectItemCaseSensitive(o, "is_tree");
	if (!cJSON_IsBool(j))
		return meta_error(im, err, "\"is_tree\" must be true or false");
	im->is_tree = cJSON_IsTrue(j);
	j = cJSON_GetObjectItemCaseSensitive(o, "size");
	if (json_uint(j, MLP_IMPORT_MAX_BYTES, &im->size) < 0)
		return meta_error(im, err, "\"size\" must be a number of bytes");
	if (json_opt_str(o, "description", &im->description) < 0 ||
	    json_opt_str(o, "source", &im->source) < 0 ||
	    json_opt_str(o, "stage", &s) < 0 ||
	    json_opt_str(o, "user", &s) < 0)
		return meta_error(im, err, "\"description\", \"source\", "
		    "\"stage\" and \"user\" must be strings");
	if ((rc = meta_text(im, "\"description\"", im->description,
	    err)) < 0 || (rc = meta_text(im, "\"source\"", im->source,
	    err)) < 0)
		return rc;
	if (json_opt_str(o, "run_id", &im->run_id) < 0 || (im->run_id &&
	    (strlen(im->run_id) != 32 || !is_hex(im->run_id, 32))))
		return meta_error(im, err, "\"run_id\" must be a run id (32 "
		    "lowercase hex digits) or null");
	if (json_opt_str(o, "code_commit", &im->code_commit) < 0 ||
	    (im->code_commit && (strlen(im->code_commit) == 0 ||
	    strlen(im->code_commit) > 64 ||
	    !is_hex(im->code_commit, strlen(im->code_commit)))))
		return meta_error(im, err, "\"code_commit\" must be a commit "
		    "id (hex) or null");
	j = cJSON_GetObjectItemCaseSensitive(o, "aliases");
	if (j && !cJSON_IsNull(j)) {
		const cJSON *a;

		if (!cJSON_IsArray(j))
			return meta_error(im, err, "\"aliases\" must be an "
			    "array of strings");
		cJSON_ArrayForEach(a, j) {
			if (!cJSON_IsString(a))
				return meta_error(im, err, "\"aliases\" must be "
				    "an array of strings");
			if (!im->o->with_aliases)
				continue;
			if ((rc = mlp_registry_check_alias(a->valuestring,
			    err)) < 0)
				return mlp_err_prefix(err, "'%s': %s", im->file,
				    MLP_EXPORT_META);
			mlp_strv_push(&im->aliases, a->valuestring);
		}
	}
	j = cJSON_GetObjectItemCaseSensitive(o, "tags");
	if (j && !cJSON_IsNull(j)) {
		const cJSON *t;

		if (!cJSON_IsObject(j))
			return meta_error(im, err, "\"tags\" must be an object "
			    "of strings");
		cJSON_ArrayForEach(t, j) {
			char what[64];

			if (!cJSON_IsString(t) || !t->string)
				return meta_error(im, err, "\"tags\" must be an "
				    "object of strings");
			if ((rc = meta_text(im, "a key of \"tags\"", t->string,
			    err)) < 0)
				return rc;
			if ((rc = mlp_track_check_key("tag", t->string,
			    err)) < 0)
				return mlp_err_prefix(err, "'%s': %s", im->file,
				    MLP_EXPORT_META);
			snprintf(what, sizeof(what), "\"tags\" '%.40s'",
			    t->string);
			if ((rc = meta_text(im, what, t->valuestring, err)) < 0)
				return rc;
			mlp_grow(&im->tags, &alloc, im->ntags + 1,
			    sizeof(*im->tags));
			im->tags[im->ntags].key = xstrdup(t->string);
			im->tags[im->ntags++].value = xstrdup(t->valuestring);
		}
	}
	j = cJSON_GetObjectItemCaseSensitive(o, "objects");
	if (!cJSON_IsArray(j))
		return meta_error(im, err, "\"objects\" must be an array");
	if ((rc = parse_objects(im, j, err)) < 0)
		return rc;
	{
		struct import_obj *top = find_obj(im, &im->oid);

		if (!top)
			return meta_error(im, err, "\"objects\" does not list "
			    "the version's \"object\"");
		if (!im->is_tree && (im->nobjs != 1 || top->size != im->size))
			return meta_error(im, err, "a one-file version lists "
			    "one object, of the version's \"size\"");
	}
	return 0;
}

/* Reads the data of the current entry, expected to be size bytes, and
 * hands each chunk to fn. */
static int
read_entry(struct importer *im, const char *name, uint64_t size,
    int (*fn)(struct importer *, const void *, size_t, void *,
    struct mlp_err *), void *ud, struct mlp_err *err)
{
	uint64_t got = 0;
	int rc;

	for (;;) {
		la_ssize_t r = la.archive_read_data(im->a, im->buf, CHUNK);
		char shown[256];

		if (r == 0)
			break;
		if (r < 0) {
			shown_name(name, shown, sizeof(shown));
			return mlp_err_set(err, MLP_EFAIL, "'%s': entry '%s': "
			    "%s", im->file, shown, archive_msg(im->a));
		}
		got += (uint64_t)r;
		if (got > size)
			return refuse(im, name, "more data than its size", err);
		if ((rc = fn(im, im->buf, (size_t)r, ud, err)) < 0)
			return rc;
	}
	if (got != size)
		return refuse(im, name, "less data than its size", err);
	return 0;
}

static int
to_buf(struct importer *im, const void *p, size_t n, void *ud,
    struct mlp_err *err)
{
	mlp_buf_add(ud, p, n);
	return 0;
}

/* The version the import will create, from the metadata. */
static void
version_new(const struct importer *im, struct mlp_version_new *vn)
{
	memset(vn, 0, sizeof(*vn));
	vn->name = im->o->name ? im->o->name : im->name;
	vn->oid = im->hex;
	vn->is_tree = im->is_tree;
	vn->size = im->size;
	vn->source = im->source ? im->source : im->file;
	vn->run_uuid = im->run_id;
	vn->code_commit = im->code_commit;
	vn->description = im->description;
	vn->user = im->o->user;
	vn->aliases = (const char *const *)im->aliases.v;
	vn->naliases = im->aliases.n;
	vn->tags = im->tags;
	vn->ntags = im->ntags;
}

static int
read_meta(struct importer *im, const char *name, uint64_t size,
    struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	int rc;

	if (size > MLP_IMPORT_MAX_META) {
		char why[96];

		snprintf(why, sizeof(why), "larger than %u MiB",
		    MLP_IMPORT_MAX_META >> 20);
		return refuse(im, name, why, err);
	}
	mlp_buf_grow(&b, (size_t)size);
	if ((rc = read_entry(im, name, size, to_buf, &b, err)) == 0)
		rc = parse_meta(im, b.s ? b.s : "", b.len, err);
	mlp_buf_release(&b);
	if (rc == 0) {
		struct mlp_version_new vn;

		/* what the version would store, before any object is read */
		version_new(im, &vn);
		if ((rc = mlp_registry_check_version(&vn, err)) < 0)
			mlp_err_prefix(err, "'%s': %s", im->file,
			    MLP_EXPORT_META);
	}
	return rc;
}

/* Hands a chunk of an object entry to the stage. */
static int
to_stage(struct importer *im, const void *p, size_t n, void *ud,
    struct mlp_err *err)
{
	int rc;

	(void)ud;
	if ((rc = mlp_store_stage_write(im->stage, p, n, err)) < 0)
		return rc;
	im->done += n;
	if (im->o->progress)
		im->o->progress(im->done, im->total, im->o->progress_ud);
	return 0;
}

/* Streams an object entry into the stage, hashing it on the way: content
 * that is not the object its name gives is refused and never stored. */
static int
read_object(struct importer *im, const char *name, struct import_obj *obj,
    struct mlp_err *err)
{
	struct mlp_oid got;
	char shown[256];
	int rc;

	if ((rc = mlp_store_stage_begin(im->stage, &obj->oid, err)) < 0 ||
	    (rc = read_entry(im, name, obj->size, to_stage, NULL, err)) < 0)
		return rc;
	if ((rc = mlp_store_stage_end(im->stage, &got, err)) < 0) {
		shown_name(name, shown, sizeof(shown));
		return mlp_err_prefix(err, "'%s': entry '%s'", im->file, shown);
	}
	obj->seen = 1;
	return 0;
}

static const char *
type_name(unsigned type)
{
	switch (type) {
	case AE_IFCHR:
		return "a character device";
	case AE_IFBLK:
		return "a block device";
	case AE_IFIFO:
		return "a FIFO";
	case AE_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

static int
import_entry(struct importer *im, struct archive_entry *e,
    struct mlp_err *err)
{
	const char *name = la.archive_entry_pathname(e);
	const char *link;
	unsigned type = (unsigned)la.archive_entry_filetype(e);
	struct import_obj *obj;
	struct mlp_oid oid;
	la_int64_t size;
	char why[256], target[200];

	if (!name || !*name)
		return refuse(im, name, "no readable name", err);
	if (name[0] == '/')
		return refuse(im, name, "absolute path", err);
	if (has_dotdot(name))
		return refuse(im, name, "path escapes the archive", err);
	if ((link = la.archive_entry_hardlink(e)) != NULL) {
		shown_name(link, target, sizeof(target));
		snprintf(why, sizeof(why), "hard link to '%s'", target);
		return refuse(im, name, why, err);
	}
	if (type == AE_IFLNK) {
		link = la.archive_entry_symlink(e);
		shown_name(link ? link : "", target, sizeof(target));
		snprintf(why, sizeof(why), "symbolic link to '%s'", target);
		return refuse(im, name, why, err);
	}
	if (!im->meta && strcmp(name, MLP_EXPORT_META) != 0)
		return mlp_err_set(err, MLP_EFAIL, "'%s': not an mlp export (no "
		    "%s at its start)", im->file, MLP_EXPORT_META);
	if (type == AE_IFDIR) {
		if (is_objects_dir(name))
			return 0;
		return refuse(im, name, "unexpected directory", err);
	}
	if (type != AE_IFREG)
		return refuse(im, name, type_name(type), err);
	if (!la.archive_entry_size_is_set(e) ||
	    (size = la.archive_entry_size(e)) < 0)
		return refuse(im, name, "no size", err);
	if (!im->meta)
		return read_meta(im, name, (uint64_t)size, err);
	if (strcmp(name, MLP_EXPORT_META) == 0)
		return refuse(im, name, "a second metadata document", err);
	if (parse_object_name(name, &oid) < 0)
		return refuse(im, name, "not an object name (objects/XX/ and 62 "
		    "more lowercase hex digits)", err);
	if (!(obj = find_obj(im, &oid)))
		return refuse(im, name, "not listed in " MLP_EXPORT_META, err);
	if (obj->seen)
		return refuse(im, name, "a second copy of the object", err);
	if ((uint64_t)size != obj->size) {
		snprintf(why, sizeof(why), "%lld byte%s, not the %llu listed in "
		    "%s", (long long)size, size == 1 ? "" : "s",
		    (unsigned long long)obj->size, MLP_EXPORT_META);
		return refuse(im, name, why, err);
	}
	return read_object(im, name, obj, err);
}

/* After the last entry: everything listed arrived and makes up the
 * version. */
static int
check_version(struct importer *im, struct mlp_err *err)
{
	struct mlp_tree t = MLP_TREE_INIT;
	char hex[MLP_OID_HEXSZ + 1];
	uint64_t sum = 0;
	int rc = 0;

	if (!im->meta)
		return mlp_err_set(err, MLP_EFAIL, "'%s': not an mlp export (no "
		    "%s)", im->file, MLP_EXPORT_META);
	for (size_t i = 0; i < im->nobjs; i++)
		if (!im->objs[i].seen) {
			mlp_oid_fmt(&im->objs[i].oid, hex);
			return mlp_err_set(err, MLP_EFAIL, "'%s': object %s "
			    "listed in %s is missing from the archive",
			    im->file, hex, MLP_EXPORT_META);
		}
	if (!im->is_tree)
		return 0;
	if ((rc = mlp_store_stage_read_tree(im->stage, &im->oid, &t,
	    err)) < 0) {
		mlp_err_prefix(err, "'%s': the version's tree", im->file);
		goto out;
	}
	find_obj(im, &im->oid)->used = 1;
	if ((rc = mlp_tree_check_utf8(&t, err)) < 0) {
		mlp_err_prefix(err, "'%s': the version's tree", im->file);
		goto out;
	}
	for (size_t i = 0; i < t.n; i++) {
		struct import_obj *obj = find_obj(im, &t.v[i].oid);
		char shown[256];

		shown_name(t.v[i].path, shown, sizeof(shown));
		mlp_oid_fmt(&t.v[i].oid, hex);
		if (!obj) {
			rc = mlp_err_set(err, MLP_EFAIL, "'%s': the tree names "
			    "object %s ('%s'), which the archive does not "
			    "hold", im->file, hex, shown);
			goto out;
		}
		if (obj->size != t.v[i].size) {
			rc = mlp_err_set(err, MLP_EFAIL, "'%s': the tree gives "
			    "'%s' %llu byte%s, but its object has %llu",
			    im->file, shown, (unsigned long long)t.v[i].size,
			    t.v[i].size == 1 ? "" : "s",
			    (unsigned long long)obj->size);
			goto out;
		}
		obj->used = 1;
		sum += t.v[i].size;
	}
	for (size_t i = 0; i < im->nobjs; i++)
		if (!im->objs[i].used) {
			mlp_oid_fmt(&im->objs[i].oid, hex);
			rc = mlp_err_set(err, MLP_EFAIL, "'%s': object %s is "
			    "not part of the version", im->file, hex);
			goto out;
		}
	if (sum != im->size)
		rc = mlp_err_set(err, MLP_EFAIL, "'%s': %s gives the size %llu, "
		    "but the tree's files hold %llu byte%s", im->file,
		    MLP_EXPORT_META, (unsigned long long)im->size,
		    (unsigned long long)sum, sum == 1 ? "" : "s");
out:
	mlp_tree_release(&t);
	return rc;
}

static int
create_version(struct importer *im, struct mlp_import_result *out,
    struct mlp_err *err)
{
	struct mlp_version_new vn;
	int64_t version = 0;
	int rc;

	version_new(im, &vn);
	if (im->o->keep_version) {
		struct mlp_version_import vi = { 0 };

		vi.name = vn.name;
		vi.version = version = im->version;
		vi.oid = vn.oid;
		vi.is_tree = vn.is_tree;
		vi.size = vn.size;
		vi.source = vn.source;
		vi.run_uuid = vn.run_uuid;
		vi.code_commit = vn.code_commit;
		vi.description = vn.description;
		vi.user = vn.user;
		vi.tags = vn.tags;
		vi.ntags = vn.ntags;
		if ((rc = mlp_registry_import_version(im->db, &vi, &out->existed,
		    err)) < 0)
			return mlp_err_prefix(err, "'%s'", im->file);
	} else if ((rc = mlp_registry_create_version(im->db, &vn, &version,
	    err)) < 0)
		return mlp_err_prefix(err, "'%s'", im->file);
	out->name = xstrdup(vn.name);
	out->version = version;
	memcpy(out->oid, im->hex, sizeof(out->oid));
	out->is_tree = im->is_tree;
	out->size = im->size;
	out->objects = im->nobjs;
	out->bytes_written = im->stats.bytes_written;
	out->exported_name = xstrdup(im->name);
	out->exported_version = im->version;
	return 0;
}

/* libarchive's reason, and what an export is when libarchive, which
 * detects the format as it opens, does not recognise the file (its
 * ARCHIVE_ERRNO_FILE_FORMAT is EILSEQ on Linux). */
static int
read_error(struct importer *im, int opening, struct mlp_err *err)
{
	int unknown = opening && la.archive_errno(im->a) == EILSEQ;

	return mlp_err_set(err, MLP_EFAIL, "'%s': %s%s", im->file,
	    archive_msg(im->a), unknown ? " (an mlp export is a .tar.gz or "
	    ".tar.zst)" : "");
}

static int
import_run(struct importer *im, struct mlp_import_result *out,
    struct mlp_err *err)
{
	struct archive_entry *e;
	int r, rc;

	for (;;) {
		r = la.archive_read_next_header(im->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK)
			return read_error(im, 0, err);
		if (++im->entries > MLP_IMPORT_MAX_ENTRIES ||
		    (im->meta && im->entries > im->nobjs + 258))
			return mlp_err_set(err, MLP_EFAIL, "'%s': more entries "
			    "than its objects need", im->file);
		if ((rc = import_entry(im, e, err)) < 0)
			return rc;
	}
	/* objects first, durable; then the one transaction */
	if ((rc = check_version(im, err)) < 0 ||
	    (rc = mlp_store_stage_commit(im->stage, &im->stats, err)) < 0)
		return rc;
	return create_version(im, out, err);
}

/* Imports from fd, or from n bytes at buf when buf is not NULL. */
static int
import(struct mlp_db *db, struct mlp_store *st, const char *file, int fd,
    const void *buf, size_t n, const struct mlp_import_opts *o,
    struct mlp_import_result *out, struct mlp_err *err)
{
	struct importer im = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	im.db = db;
	im.st = st;
	im.file = file;
	im.o = o;
	if ((rc = load(err)) < 0)
		return rc;
	if (!(im.a = la.archive_read_new()))
		abort();
	/* gzip and zstd (and plain tar) only: no external programs */
	if (la.archive_read_support_filter_gzip(im.a) != ARCHIVE_OK ||
	    la.archive_read_support_filter_zstd(im.a) != ARCHIVE_OK ||
	    la.archive_read_support_format_tar(im.a) != ARCHIVE_OK ||
	    (buf ? la.archive_read_open_memory(im.a, buf, n) :
	    la.archive_read_open_fd(im.a, fd, CHUNK)) != ARCHIVE_OK) {
		rc = read_error(&im, 1, err);
		goto out;
	}
	im.buf = xmalloc(CHUNK);
	im.stage = mlp_store_stage_new(st);
	rc = import_run(&im, out, err);
out:
	if (rc < 0) {
		/* the archive's fault, not the user's (exit 1), and one line
		 * whatever its names hold */
		if (rc != MLP_EUNSUPPORTED && rc != MLP_ENOTFOUND &&
		    rc != MLP_ELOCKED && rc != MLP_EREADONLY &&
		    rc != MLP_ENOSPACE && !(rc == MLP_EEXISTS &&
		    o->keep_version))
			rc = err->code = MLP_EFAIL;
		for (char *p = err->msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		mlp_import_result_release(out);
	}
	la.archive_read_free(im.a);
	mlp_store_stage_free(im.stage);
	cJSON_Delete(im.meta);
	mlp_strv_release(&im.aliases);
	mlp_kvs_free(im.tags, im.ntags);
	free(im.objs);
	free(im.buf);
	return rc;
}

int
mlp_registry_import(struct mlp_db *db, struct mlp_store *st,
    const char *file, int fd, const struct mlp_import_opts *o,
    struct mlp_import_result *out, struct mlp_err *err)
{
	struct stat sb;
	int rc, own = -1;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		if ((own = fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			return mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
			    MLP_EFAIL, "cannot open '%s': %s", file,
			    strerror(errno));
		if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			close(own);
			return mlp_err_set(err, MLP_EFAIL, "'%s' is a directory, "
			    "not an archive", file);
		}
	}
	rc = import(db, st, file, fd, NULL, 0, o, out, err);
	if (own >= 0)
		close(own);
	return rc;
}

int
mlp_registry_import_mem(struct mlp_db *db, struct mlp_store *st,
    const void *buf, size_t n, const char *name,
    const struct mlp_import_opts *o, struct mlp_import_result *out,
    struct mlp_err *err)
{
	return import(db, st, name, -1, buf ? buf : "", n, o, out, err);
}
