/* Pushing and pulling model versions to and from a remote: which objects,
 * in which order, and the metadata documents beside them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "../store/remote.h"
#include "../store/store.h"
#include "internal.h"
#include "registry.h"

/* Trees are read into memory: a manifest larger than this is refused. */
#define MAX_MANIFEST (256u << 20)
#define MAX_DOC (16u << 20)

/* Model names in keys: bytes other than letters, digits, '.', '_' and '-'
 * (and a leading '.') as %XX, so a name is always one path component. */
static void
key_name(struct mlp_buf *b, const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (isalnum(*p) || *p == '_' || *p == '-' ||
		    (*p == '.' && p != (const unsigned char *)name))
			mlp_buf_addc(b, (char)*p);
		else
			mlp_buf_addf(b, "%%%02X", *p);
	}
}

static char *
unkey_name(const char *s, size_t n)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (s[i] == '%' && i + 2 < n &&
		    sscanf(s + i + 1, "%2x", &v) == 1) {
			mlp_buf_addc(&b, (char)v);
			i += 2;
		} else {
			mlp_buf_addc(&b, s[i]);
		}
	}
	mlp_buf_grow(&b, 0);
	return mlp_buf_detach(&b);
}

static char *
doc_key(const char *name, int64_t version)
{
	struct mlp_buf b = MLP_BUF_INIT;

	mlp_buf_adds(&b, "models/");
	key_name(&b, name);
	if (version > 0)
		mlp_buf_addf(&b, "/%lld.json", (long long)version);
	else
		mlp_buf_adds(&b, "/aliases.json");
	return mlp_buf_detach(&b);
}

/* Splits "models/NAME/N.json" into a name and a number; 0 or -1. */
static int
parse_doc_key(const char *key, char **name, int64_t *version)
{
	const char *s, *slash, *dot;
	char num[24];

	if (strncmp(key, "models/", 7) != 0)
		return -1;
	s = key + 7;
	if (!(slash = strchr(s, '/')) || slash == s)
		return -1;
	dot = strrchr(slash, '.');
	if (!dot || strcmp(dot, ".json") != 0 || dot - slash - 1 <= 0 ||
	    dot - slash - 1 >= (long)sizeof(num))
		return -1;
	memcpy(num, slash + 1, (size_t)(dot - slash - 1));
	num[dot - slash - 1] = '\0';
	if (!isdigit((unsigned char)num[0]) || mlp_parse_int64(num, version) <
	    0 || *version <= 0)
		return -1;
	*name = unkey_name(s, (size_t)(slash - s));
	return 0;
}

/* Object id lists. */

struct oids {
	struct mlp_oid *v;
	size_t n, alloc;
};

static void
oids_add(struct oids *o, const struct mlp_oid *oid)
{
	mlp_grow(&o->v, &o->alloc, o->n + 1, sizeof(*o->v));
	o->v[o->n++] = *oid;
}

static int
cmp_oid(const void *a, const void *b)
{
	return mlp_oid_cmp(a, b);
}

/* Sorts and removes duplicates. */
static void
oids_uniq(struct oids *o)
{
	size_t j = 0;

	if (o->n == 0)
		return;
	qsort(o->v, o->n, sizeof(*o->v), cmp_oid);
	for (size_t i = 1; i < o->n; i++)
		if (mlp_oid_cmp(&o->v[i], &o->v[j]) != 0)
			o->v[++j] = o->v[i];
	o->n = j + 1;
}

static int
oids_find(const struct oids *o, const struct mlp_oid *oid)
{
	return o->n && bsearch(oid, o->v, o->n, sizeof(*o->v), cmp_oid) != NULL;
}

/* Selecting local versions. */

struct versions {
	struct mlp_model_version **v;
	size_t n, alloc;
};

static void
versions_add(struct versions *vs, struct mlp_model_version *mv)
{
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i]->version == mv->version &&
		    strcmp(vs->v[i]->name, mv->name) == 0) {
			mlp_model_version_free(mv);
			return;
		}
	mlp_grow(&vs->v, &vs->alloc, vs->n + 1, sizeof(*vs->v));
	vs->v[vs->n++] = mv;
}

static void
versions_release(struct versions *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		mlp_model_version_free(vs->v[i]);
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

static int
add_model_versions(struct mlp_db *db, const char *name, struct versions *vs,
    struct mlp_err *err)
{
	struct mlp_model_version **v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = mlp_registry_versions(db, name, 0, &v, &n, err)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		versions_add(vs, v[i]);
	free(v);
	return 0;
}

/* "models:/NAME" with nothing after the name: every version. */
static int
whole_model(const char *uri)
{
	return strncmp(uri, "models:/", 8) == 0 && uri[8] &&
	    !strchr(uri + 8, '/') && !strchr(uri + 8, '@');
}

static int
select_local(struct mlp_db *db, char *const *uris, size_t nuris,
    struct versions *vs, struct mlp_err *err)
{
	int rc;

	if (nuris == 0) {
		struct mlp_model_info *models = NULL;
		size_t n = 0;

		if ((rc = mlp_registry_list(db, NULL, &models, &n, err)) < 0)
			return rc;
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = add_model_versions(db, models[i].name, vs, err);
		mlp_model_infos_free(models, n);
		return rc;
	}
	for (size_t i = 0; i < nuris; i++) {
		struct mlp_model_version *mv = NULL;
		struct mlp_model_uri u;

		if (whole_model(uris[i])) {
			if ((rc = mlp_registry_check_name(uris[i] + 8, err)) <
			    0 || (rc = add_model_versions(db, uris[i] + 8, vs,
			    err)) < 0)
				return rc;
			continue;
		}
		if ((rc = mlp_model_uri_parse(uris[i], &u, err)) < 0)
			return rc;
		rc = mlp_registry_resolve(db, &u, &mv, err);
		mlp_model_uri_release(&u);
		if (rc < 0)
			return rc;
		if (strcmp(mv->lifecycle, "active") != 0) {
			rc = mlp_err_set(err, MLP_EINVAL, "version %lld of '%s' "
			    "is deleted", (long long)mv->version, mv->name);
			mlp_model_version_free(mv);
			return rc;
		}
		versions_add(vs, mv);
	}
	return 0;
}

/* The objects a local version reaches: its entries (blobs) and, for a
 * tree, the manifest (trees). */
static int
version_objects(struct mlp_store *st, const struct mlp_model_version *mv,
    struct oids *blobs, struct oids *trees, struct mlp_err *err)
{
	struct mlp_tree t = MLP_TREE_INIT;
	struct mlp_oid root;
	int rc;

	if ((rc = mlp_oid_parse(mv->oid, &root, err)) < 0)
		return rc;
	if (!mv->is_tree) {
		oids_add(blobs, &root);
		return 0;
	}
	if ((rc = mlp_store_read_tree(st, &root, &t, err)) < 0)
		return mlp_err_prefix(err, "version %lld of '%s'",
		    (long long)mv->version, mv->name);
	for (size_t i = 0; i < t.n; i++)
		oids_add(blobs, &t.v[i].oid);
	mlp_tree_release(&t);
	oids_add(trees, &root);
	return 0;
}

/* The metadata document of a version. */
static char *
version_doc(const struct mlp_model_version *mv)
{
	cJSON *o = cJSON_CreateObject(), *tags = cJSON_CreateObject();
	char *s;

	cJSON_AddNumberToObject(o, "format", 1);
	cJSON_AddStringToObject(o, "name", mv->name);
	cJSON_AddNumberToObject(o, "version", (double)mv->version);
	cJSON_AddStringToObject(o, "object", mv->oid);
	cJSON_AddBoolToObject(o, "is_tree", mv->is_tree);
	cJSON_AddNumberToObject(o, "size", (double)mv->size);
	cJSON_AddStringToObject(o, "source", mv->source);
	if (mv->run_uuid)
		cJSON_AddStringToObject(o, "run_id", mv->run_uuid);
	if (mv->code_commit)
		cJSON_AddStringToObject(o, "code_commit", mv->code_commit);
	cJSON_AddStringToObject(o, "description", mv->description);
	cJSON_AddStringToObject(o, "stage", mv->stage);
	cJSON_AddStringToObject(o, "user", mv->user);
	cJSON_AddNumberToObject(o, "created", (double)mv->created);
	cJSON_AddNumberToObject(o, "updated", (double)mv->updated);
	for (size_t i = 0; i < mv->ntags; i++)
		cJSON_AddStringToObject(tags, mv->tags[i].key,
		    mv->tags[i].value);
	cJSON_AddItemToObject(o, "tags", tags);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* Reads a remote document as JSON: *out NULL when it does not exist. */
static int
get_json(struct mlp_remote *r, const char *key, cJSON **out,
    struct mlp_err *err)
{
	char *s = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	rc = mlp_remote_get_doc(r, key, &s, &n, err);
	if (rc == MLP_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	*out = cJSON_ParseWithLength(s, n);
	free(s);
	if (!*out)
		return mlp_err_set(err, MLP_ECORRUPT, "'%s' on the remote is not "
		    "JSON", key);
	return 0;
}

static const char *
json_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double
json_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The remote version document's object id, checked. */
static int
doc_object(const cJSON *doc, const char *key, struct mlp_oid *oid,
    struct mlp_err *err)
{
	const char *s = json_str(doc, "object");

	if (!s || mlp_oid_parse(s, oid, NULL) < 0 || json_num(doc, "version")
	    <= 0)
		return mlp_err_set(err, MLP_ECORRUPT, "'%s' on the remote names "
		    "no valid object or version", key);
	return 0;
}

static void
add_conflict(struct mlp_sync_stats *stats, const char *name, int64_t version,
    const char *here, const char *there)
{
	struct mlp_sync_conflict *c;

	mlp_grow(&stats->conflicts, &stats->aconflicts, stats->nconflicts + 1,
	    sizeof(*stats->conflicts));
	c = &stats->conflicts[stats->nconflicts++];
	c->name = xstrdup(name);
	c->version = version;
	snprintf(c->here, sizeof(c->here), "%s", here ? here : "");
	snprintf(c->there, sizeof(c->there), "%s", there ? there : "");
}

void
mlp_sync_stats_release(struct mlp_sync_stats *s)
{
	for (size_t i = 0; i < s->nconflicts; i++)
		free(s->conflicts[i].name);
	free(s->conflicts);
	s->conflicts = NULL;
	s->nconflicts = s->aconflicts = 0;
}

/* The result of a transfer that left conflicts out. */
static int
conflicts_error(const struct mlp_sync_stats *stats, struct mlp_err *err)
{
	if (stats->nconflicts == 0)
		return 0;
	return mlp_err_set(err, MLP_EEXISTS, "%zu version%s differ%s on both "
	    "sides and %s not transferred", stats->nconflicts,
	    stats->nconflicts == 1 ? "" : "s", stats->nconflicts == 1 ? "s" :
	    "", stats->nconflicts == 1 ? "was" : "were");
}

/* A pulled version document's text, checked before anything is fetched:
 * what would be stored must be valid UTF-8 (and a string), the tags
 * tracking keys. MLP_ECORRUPT naming the document and the field. */
static int
check_doc(const cJSON *doc, const char *key, const char *name,
    struct mlp_err *err)
{
	static const char *const fields[] = { "source", "description",
		"user", "run_id", "code_commit", "stage" };
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(doc, "tags");
	const cJSON *t;
	int rc = 0;

	if ((rc = mlp_registry_check_name(name, err)) < 0)
		goto bad;
	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		const cJSON *j = cJSON_GetObjectItemCaseSensitive(doc,
		    fields[i]);

		if (!j || cJSON_IsNull(j))
			continue;
		if (!cJSON_IsString(j)) {
			rc = mlp_err_set(err, MLP_ECORRUPT, "\"%s\" is not a "
			    "string", fields[i]);
			goto bad;
		}
		if ((rc = mlp_check_utf8(fields[i], j->valuestring, err)) < 0)
			goto bad;
	}
	if (tags && !cJSON_IsNull(tags) && !cJSON_IsObject(tags)) {
		rc = mlp_err_set(err, MLP_ECORRUPT, "\"tags\" is not an "
		    "object");
		goto bad;
	}
	cJSON_ArrayForEach(t, tags) {
		char what[MLP_KEY_MAX + 32];

		if ((rc = mlp_check_utf8("tag name", t->string, err)) < 0 ||
		    (rc = mlp_track_check_key("tag", t->string, err)) < 0)
			goto bad;
		if (!cJSON_IsString(t)) {
			rc = mlp_err_set(err, MLP_ECORRUPT, "tag '%s' is not a "
			    "string", t->string);
			goto bad;
		}
		snprintf(what, sizeof(what), "tag '%s' value", t->string);
		if ((rc = mlp_check_utf8(what, t->valuestring, err)) < 0)
			goto bad;
	}
	return 0;
bad:
	err->code = MLP_ECORRUPT;
	return mlp_err_prefix(err, "'%s' on the remote", key);
}

/* 1 when the local registry has alias set on model name */
static int
has_alias(struct mlp_db *db, const char *name, const char *alias)
{
	struct mlp_model_uri u = { 0 };
	struct mlp_model_version *mv = NULL;
	int rc;

	u.name = (char *)name;
	u.alias = (char *)alias;
	rc = mlp_registry_resolve(db, &u, &mv, NULL);
	mlp_model_version_free(mv);
	return rc == 0;
}

/* left[i] is set for the versions in conflict: their aliases stay. */
static int
push_aliases(struct mlp_db *db, struct mlp_remote *r, const char *name,
    const struct versions *vs, const unsigned char *left, unsigned flags,
    struct mlp_sync_stats *stats, struct mlp_err *err)
{
	char *key = doc_key(name, 0), *s;
	cJSON *doc = NULL, *e, *next;
	int changed = 0, rc;

	if ((rc = get_json(r, key, &doc, err)) < 0)
		goto out;
	if (!doc)
		doc = cJSON_CreateObject();
	if (flags & MLP_SYNC_PRUNE) {
		for (e = doc->child; e; e = next) {
			next = e->next;
			if (e->string && has_alias(db, name, e->string))
				continue;
			cJSON_Delete(cJSON_DetachItemViaPointer(doc, e));
			stats->aliases_removed++;
			changed = 1;
		}
	}
	for (size_t i = 0; i < vs->n; i++) {
		const struct mlp_model_version *mv = vs->v[i];

		if (strcmp(mv->name, name) != 0 || left[i])
			continue;
		for (size_t j = 0; j < mv->aliases.n; j++) {
			const char *a = mv->aliases.v[j];

			if (json_num(doc, a) == (double)mv->version)
				continue;
			cJSON_DeleteItemFromObjectCaseSensitive(doc, a);
			cJSON_AddNumberToObject(doc, a, (double)mv->version);
			stats->aliases++;
			changed = 1;
		}
	}
	if (changed) {
		s = cJSON_PrintUnformatted(doc);
		rc = mlp_remote_put_doc(r, key, s, strlen(s), err);
		free(s);
	}
out:
	cJSON_Delete(doc);
	free(key);
	return rc;
}

int
mlp_registry_push(struct mlp_db *db, struct mlp_store *st,
    struct mlp_remote *r, char *const *uris, size_t nuris, unsigned flags,
    struct mlp_sync_stats *stats, struct mlp_err *err)
{
	struct versions vs = { 0 };
	struct oids blobs = { 0 }, trees = { 0 }, missing = { 0 };
	unsigned char *todo = NULL, *have = NULL, *left = NULL;
	struct mlp_xfer_stats xs = { 0 };
	int rc;

	memset(stats, 0, sizeof(*stats));
	if ((rc = select_local(db, uris, nuris, &vs, err)) < 0)
		goto out;
	todo = xcalloc(vs.n + 1, 1);
	left = xcalloc(vs.n + 1, 1);
	/* versions already there: the same object is skipped, another one
	 * is a conflict left out while the rest goes */
	for (size_t i = 0; i < vs.n; i++) {
		char *key = doc_key(vs.v[i]->name, vs.v[i]->version);
		struct mlp_oid there, here;
		cJSON *doc = NULL;

		rc = get_json(r, key, &doc, err);
		if (rc == 0 && doc && (rc = doc_object(doc, key, &there,
		    err)) == 0 && (rc = mlp_oid_parse(vs.v[i]->oid, &here,
		    err)) == 0 && mlp_oid_cmp(&there, &here) != 0) {
			add_conflict(stats, vs.v[i]->name, vs.v[i]->version,
			    vs.v[i]->oid, json_str(doc, "object"));
			left[i] = 1;
		} else if (rc == 0 && doc) {
			stats->versions_skipped++;
		}
		todo[i] = rc == 0 && !doc;
		cJSON_Delete(doc);
		free(key);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < vs.n; i++)
		if (todo[i] && (rc = version_objects(st, vs.v[i], &blobs, &trees,
		    err)) < 0)
			goto out;
	oids_uniq(&blobs);
	oids_uniq(&trees);
	/* entries first, then manifests, so a tree on the remote never names
	 * a missing object; each with one batched existence check */
	for (int pass = 0; pass < 2; pass++) {
		struct oids *o = pass ? &trees : &blobs;

		free(have);
		have = xcalloc(o->n + 1, 1);
		if ((rc = mlp_remote_has(r, o->v, o->n, have, err)) < 0)
			goto out;
		missing.n = 0;
		for (size_t i = 0; i < o->n; i++)
			if (!have[i])
				oids_add(&missing, &o->v[i]);
		stats->objects_skipped += o->n - missing.n;
		if ((rc = mlp_remote_push_objects(r, st, missing.v, missing.n,
		    &xs, err)) < 0)
			goto out;
	}
	stats->objects = xs.objects;
	stats->bytes = xs.bytes;
	/* then the documents: a version appears on the remote whole */
	for (size_t i = 0; i < vs.n; i++) {
		char *key, *doc;

		if (!todo[i])
			continue;
		key = doc_key(vs.v[i]->name, vs.v[i]->version);
		doc = version_doc(vs.v[i]);
		rc = mlp_remote_put_doc(r, key, doc, strlen(doc), err);
		free(key);
		free(doc);
		if (rc < 0)
			goto out;
		stats->versions++;
	}
	for (size_t i = 0; i < vs.n; i++) {
		int seen = 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(vs.v[j]->name, vs.v[i]->name) == 0;
		if (!seen && (rc = push_aliases(db, r, vs.v[i]->name, &vs,
		    left, flags, stats, err)) < 0)
			goto out;
	}
	rc = conflicts_error(stats, err);
out:
	free(todo);
	free(left);
	free(have);
	free(blobs.v);
	free(trees.v);
	free(missing.v);
	versions_release(&vs);
	return rc;
}

/* Pulling. */

struct remote_version {
	char *name;
	int64_t version;
	cJSON *doc;
	struct mlp_oid oid;
	int is_tree;
	int skip;		/* here already with the same object */
	int conflict;		/* here with another object: left out */
	char *manifest;		/* a tree's, fetched before its entries */
	size_t manifest_len;
};

struct remote_versions {
	struct remote_version *v;
	size_t n, alloc;
};

static void
rv_add(struct remote_versions *rv, const char *name, int64_t version)
{
	for (size_t i = 0; i < rv->n; i++)
		if (rv->v[i].version == version &&
		    strcmp(rv->v[i].name, name) == 0)
			return;
	mlp_grow(&rv->v, &rv->alloc, rv->n + 1, sizeof(*rv->v));
	memset(&rv->v[rv->n], 0, sizeof(*rv->v));
	rv->v[rv->n].name = xstrdup(name);
	rv->v[rv->n++].version = version;
}

static void
rv_release(struct remote_versions *rv)
{
	for (size_t i = 0; i < rv->n; i++) {
		free(rv->v[i].name);
		cJSON_Delete(rv->v[i].doc);
		free(rv->v[i].manifest);
	}
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

static int
cmp_rv(const void *a, const void *b)
{
	const struct remote_version *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->version > y->version) - (x->version < y->version);
}

/* Listings come in no particular order: by name, then number. */
static void
rv_sort(struct remote_versions *rv)
{
	if (rv->n > 1)
		qsort(rv->v, rv->n, sizeof(*rv->v), cmp_rv);
}

struct list_ctx {
	struct remote_versions *rv;
	const char *only;	/* a model name, or NULL */
	int64_t latest;		/* for models:/NAME/latest: the highest */
};

static int
list_version(const char *key, uint64_t size, void *ud)
{
	struct list_ctx *lc = ud;
	char *name = NULL;
	int64_t v;

	/* a name mlp would refuse (not UTF-8, say) is no version of ours */
	if (parse_doc_key(key, &name, &v) == 0 &&
	    mlp_registry_check_name(name, NULL) == 0) {
		if (!lc->only || strcmp(lc->only, name) == 0) {
			if (lc->rv)
				rv_add(lc->rv, name, v);
			if (v > lc->latest)
				lc->latest = v;
		}
	}
	free(name);
	return 0;
}

static int
list_model(struct mlp_remote *r, const char *name, struct list_ctx *lc,
    struct mlp_err *err)
{
	struct mlp_buf prefix = MLP_BUF_INIT;
	int rc;

	mlp_buf_adds(&prefix, "models/");
	if (name) {
		key_name(&prefix, name);
		mlp_buf_addc(&prefix, '/');
	}
	rc = mlp_remote_list(r, prefix.s, list_version, lc, err);
	mlp_buf_release(&prefix);
	return rc;
}

static int
select_remote(struct mlp_remote *r, char *const *uris, size_t nuris,
    struct remote_versions *rv, struct mlp_err *err)
{
	struct list_ctx lc = { rv, NULL, 0 };
	int rc;

	if (nuris == 0) {
		rc = list_model(r, NULL, &lc, err);
		rv_sort(rv);
		return rc;
	}
	for (size_t i = 0; i < nuris; i++) {
		struct mlp_model_uri u;

		if (whole_model(uris[i])) {
			lc.only = uris[i] + 8;
			if ((rc = mlp_registry_check_name(lc.only, err)) < 0 ||
			    (rc = list_model(r, lc.only, &lc, err)) < 0)
				return rc;
			continue;
		}
		if ((rc = mlp_model_uri_parse(uris[i], &u, err)) < 0)
			return rc;
		if (u.version > 0) {
			rv_add(rv, u.name, u.version);
		} else if (u.latest) {
			struct list_ctx one = { NULL, u.name, 0 };

			if ((rc = list_model(r, u.name, &one, err)) == 0 &&
			    one.latest == 0)
				rc = mlp_err_set(err, MLP_ENOTFOUND, "the remote "
				    "has no version of '%s'", u.name);
			if (rc == 0)
				rv_add(rv, u.name, one.latest);
		} else if (u.alias) {
			char *key = doc_key(u.name, 0);
			cJSON *doc = NULL;

			rc = get_json(r, key, &doc, err);
			free(key);
			if (rc == 0 && json_num(doc, u.alias) <= 0)
				rc = mlp_err_set(err, MLP_ENOTFOUND, "the remote "
				    "has no alias '%s' of '%s'", u.alias, u.name);
			if (rc == 0)
				rv_add(rv, u.name,
				    (int64_t)json_num(doc, u.alias));
			cJSON_Delete(doc);
		} else {
			rc = mlp_err_set(err, MLP_EINVAL, "'%s': pull takes "
			    "models:/NAME/VERSION, models:/NAME@ALIAS, "
			    "models:/NAME/latest or models:/NAME", uris[i]);
		}
		mlp_model_uri_release(&u);
		if (rc < 0)
			return rc;
	}
	rv_sort(rv);
	return 0;
}

/* The local version with that number, or NULL. */
static int
local_version(struct mlp_db *db, const char *name, int64_t version,
    struct mlp_model_version **out, struct mlp_err *err)
{
	struct mlp_model_uri u = { 0 };
	int rc;

	*out = NULL;
	u.name = (char *)name;
	u.version = version;
	rc = mlp_registry_resolve(db, &u, out, err);
	if (rc == MLP_ENOTFOUND) {
		mlp_err_clear(err);
		return 0;
	}
	return rc;
}

static int
import_one(struct mlp_db *db, const struct remote_version *v,
    struct mlp_err *err)
{
	struct mlp_version_import vi;
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(v->doc, "tags");
	const cJSON *t;
	struct mlp_kv *kv = NULL;
	size_t n = 0, alloc = 0;
	const char *stage = NULL;
	char hex[MLP_OID_HEXSZ + 1];
	int skipped = 0, rc;

	memset(&vi, 0, sizeof(vi));
	mlp_oid_fmt(&v->oid, hex);
	if (json_str(v->doc, "stage") && mlp_registry_stage_parse(
	    json_str(v->doc, "stage"), &stage, NULL) < 0)
		stage = NULL;
	cJSON_ArrayForEach(t, tags) {
		if (!cJSON_IsString(t) || !t->string)
			continue;
		mlp_grow(&kv, &alloc, n + 1, sizeof(*kv));
		kv[n].key = t->string;
		kv[n++].value = t->valuestring;
	}
	vi.name = v->name;
	vi.version = v->version;
	vi.oid = hex;
	vi.is_tree = v->is_tree;
	vi.size = (uint64_t)json_num(v->doc, "size");
	vi.source = json_str(v->doc, "source");
	vi.run_uuid = json_str(v->doc, "run_id");
	vi.code_commit = json_str(v->doc, "code_commit");
	vi.description = json_str(v->doc, "description");
	vi.stage = stage;
	vi.user = json_str(v->doc, "user");
	vi.created = (int64_t)json_num(v->doc, "created");
	vi.updated = (int64_t)json_num(v->doc, "updated");
	vi.tags = kv;
	vi.ntags = n;
	rc = mlp_registry_import_version(db, &vi, &skipped, err);
	free(kv);
	return rc;
}

/* Removes the local aliases of name that the remote's document lacks. */
static int
prune_local(struct mlp_db *db, const char *name, const cJSON *doc,
    const char *user, struct mlp_sync_stats *stats, struct mlp_err *err)
{
	struct mlp_strv gone = MLP_STRV_INIT;
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &q, "SELECT a.name FROM alias a JOIN "
	    "model m ON m.id = a.model WHERE m.name = ?1", err)) < 0)
		goto out;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *a = mlp_db_text(q, 0);

		if (!doc || !cJSON_GetObjectItemCaseSensitive(doc, a))
			mlp_strv_push(&gone, a);
	}
	if (rc != SQLITE_DONE) {
		rc = mlp_db_error(db, err, "cannot read aliases");
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < gone.n; i++) {
		if ((rc = mlp_registry_delete_alias(db, name, gone.v[i], user,
		    err)) < 0)
			goto out;
		stats->aliases_removed++;
	}
out:
	sqlite3_finalize(q);
	mlp_strv_release(&gone);
	return rc;
}

static int
pull_aliases(struct mlp_db *db, struct mlp_remote *r,
    const struct remote_versions *rv, const char *name, unsigned flags,
    const char *user, struct mlp_sync_stats *stats, struct mlp_err *err)
{
	char *key = doc_key(name, 0);
	const cJSON *a;
	cJSON *doc = NULL;
	int rc;

	if ((rc = get_json(r, key, &doc, err)) < 0)
		goto out;
	if ((flags & MLP_SYNC_PRUNE) && (rc = prune_local(db, name, doc, user,
	    stats, err)) < 0)
		goto out;
	if (!doc)
		goto out;
	cJSON_ArrayForEach(a, doc) {
		struct mlp_model_version *mv = NULL;
		int selected = 0;

		if (!cJSON_IsNumber(a) || !a->string ||
		    mlp_registry_check_alias(a->string, NULL) < 0)
			continue;
		for (size_t i = 0; i < rv->n && !selected; i++)
			selected = rv->v[i].version == (int64_t)a->valuedouble &&
			    !rv->v[i].conflict && strcmp(rv->v[i].name, name) == 0;
		if (!selected)
			continue;
		/* already there: no move, nothing recorded */
		{
			struct mlp_model_uri u = { 0 };

			u.name = (char *)name;
			u.alias = a->string;
			if (mlp_registry_resolve(db, &u, &mv, NULL) == 0 &&
			    mv->version == (int64_t)a->valuedouble) {
				mlp_model_version_free(mv);
				continue;
			}
			mlp_model_version_free(mv);
		}
		if ((rc = mlp_registry_set_alias(db, name, a->string,
		    (int64_t)a->valuedouble, user, err)) < 0)
			goto out;
		stats->aliases++;
	}
out:
	cJSON_Delete(doc);
	free(key);
	return rc;
}

int
mlp_registry_pull(struct mlp_db *db, struct mlp_store *st,
    struct mlp_remote *r, char *const *uris, size_t nuris, unsigned flags,
    const char *user, struct mlp_sync_stats *stats, struct mlp_err *err)
{
	struct remote_versions rv = { 0 };
	struct oids blobs = { 0 };
	struct mlp_xfer_stats xs = { 0 };
	int rc;

	memset(stats, 0, sizeof(*stats));
	if ((rc = select_remote(r, uris, nuris, &rv, err)) < 0)
		goto out;
	/* the documents, and what the local registry says of each number */
	for (size_t i = 0; i < rv.n; i++) {
		struct remote_version *v = &rv.v[i];
		struct mlp_model_version *mv = NULL;
		char *key = doc_key(v->name, v->version);

		rc = get_json(r, key, &v->doc, err);
		if (rc == 0 && !v->doc)
			rc = mlp_err_set(err, MLP_ENOTFOUND, "the remote has no "
			    "version %lld of '%s'", (long long)v->version,
			    v->name);
		if (rc == 0)
			rc = doc_object(v->doc, key, &v->oid, err);
		if (rc == 0)
			rc = check_doc(v->doc, key, v->name, err);
		free(key);
		if (rc < 0)
			goto out;
		v->is_tree = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		    v->doc, "is_tree"));
		if ((rc = local_version(db, v->name, v->version, &mv, err)) < 0)
			goto out;
		if (mv) {
			char hex[MLP_OID_HEXSZ + 1];

			mlp_oid_fmt(&v->oid, hex);
			if (strcmp(hex, mv->oid) != 0) {
				add_conflict(stats, v->name, v->version,
				    mv->oid, hex);
				v->conflict = 1;
			} else {
				stats->versions_skipped++;
			}
			v->skip = 1;
			mlp_model_version_free(mv);
		}
	}
	/* the objects: a tree's manifest first (verified, kept in memory),
	 * its entries, then the manifest is stored */
	for (size_t i = 0; i < rv.n; i++) {
		struct remote_version *v = &rv.v[i];
		struct mlp_tree t = MLP_TREE_INIT;
		int dup = 0;

		if (v->skip || mlp_store_has(st, &v->oid))
			continue;
		if (!v->is_tree) {
			oids_add(&blobs, &v->oid);
			continue;
		}
		/* versions sharing a tree (a copy in another model): once */
		for (size_t j = 0; j < i && !dup; j++)
			dup = rv.v[j].manifest && mlp_oid_cmp(&rv.v[j].oid,
			    &v->oid) == 0;
		if (dup)
			continue;
		if ((rc = mlp_remote_read_object(r, st, &v->oid, MAX_MANIFEST,
		    &v->manifest, &v->manifest_len, err)) < 0)
			goto out;
		if ((rc = mlp_tree_parse(v->manifest, v->manifest_len, &t,
		    err)) < 0 || (rc = mlp_tree_check_utf8(&t, err)) < 0) {
			err->code = rc = MLP_ECORRUPT;
			mlp_err_prefix(err, "the tree of version %lld of '%s' on "
			    "the remote", (long long)v->version, v->name);
			mlp_tree_release(&t);
			goto out;
		}
		for (size_t j = 0; j < t.n; j++)
			oids_add(&blobs, &t.v[j].oid);
		mlp_tree_release(&t);
	}
	oids_uniq(&blobs);
	if ((rc = mlp_remote_pull_objects(r, st, blobs.v, blobs.n, &xs,
	    err)) < 0)
		goto out;
	for (size_t i = 0; i < rv.n; i++) {
		struct mlp_put_stats ps = { 0 };
		struct mlp_oid got;

		if (!rv.v[i].manifest)
			continue;
		if ((rc = mlp_store_put_buf(st, rv.v[i].manifest,
		    rv.v[i].manifest_len, &got, &ps, err)) < 0)
			goto out;
		xs.objects++;
		xs.bytes += rv.v[i].manifest_len;
	}
	stats->objects = xs.objects;
	stats->bytes = xs.bytes;
	stats->objects_skipped = xs.skipped;
	/* then the registry: each version in one transaction */
	for (size_t i = 0; i < rv.n; i++) {
		struct mlp_model_version *mv = NULL;
		char hex[MLP_OID_HEXSZ + 1];
		struct mlp_err e;

		if (rv.v[i].skip)
			continue;
		if ((rc = import_one(db, &rv.v[i], err)) == 0) {
			stats->versions++;
			continue;
		}
		/* registered here meanwhile with another object */
		if (rc != MLP_EEXISTS || local_version(db, rv.v[i].name,
		    rv.v[i].version, &mv, &e) < 0 || !mv)
			goto out;
		mlp_oid_fmt(&rv.v[i].oid, hex);
		add_conflict(stats, rv.v[i].name, rv.v[i].version, mv->oid, hex);
		rv.v[i].conflict = 1;
		mlp_model_version_free(mv);
		rc = 0;
	}
	for (size_t i = 0; i < rv.n; i++) {
		int seen = 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(rv.v[j].name, rv.v[i].name) == 0;
		if (!seen && (rc = pull_aliases(db, r, &rv, rv.v[i].name, flags,
		    user, stats, err)) < 0)
			goto out;
	}
	rc = conflicts_error(stats, err);
out:
	free(blobs.v);
	rv_release(&rv);
	return rc;
}

/* Status. */

struct remote_objects {
	struct oids oids;
	uint64_t *sizes;
	size_t alloc_sizes;
};

static int
list_object(const char *key, uint64_t size, void *ud)
{
	struct remote_objects *ro = ud;
	char hex[MLP_OID_HEXSZ + 1];
	struct mlp_oid oid;

	/* objects/ab/cdef... */
	if (strlen(key) != MLP_REMOTE_KEYSZ - 1 || key[10] != '/')
		return 0;
	memcpy(hex, key + 8, 2);
	memcpy(hex + 2, key + 11, MLP_OID_HEXSZ - 2);
	hex[MLP_OID_HEXSZ] = '\0';
	if (mlp_oid_parse(hex, &oid, NULL) < 0)
		return 0;
	mlp_grow(&ro->sizes, &ro->alloc_sizes, ro->oids.n + 1,
	    sizeof(*ro->sizes));
	ro->sizes[ro->oids.n] = size;
	oids_add(&ro->oids, &oid);
	return 0;
}

int
mlp_registry_remote_status(struct mlp_db *db, struct mlp_store *st,
    struct mlp_remote *r, struct mlp_remote_status *out, struct mlp_err *err)
{
	struct versions vs = { 0 };
	struct remote_versions rv = { 0 };
	struct list_ctx lc = { &rv, NULL, 0 };
	struct remote_objects ro = { { 0 }, NULL, 0 };
	struct oids here = { 0 }, sorted = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = select_local(db, NULL, 0, &vs, err)) < 0 ||
	    (rc = list_model(r, NULL, &lc, err)) < 0 ||
	    (rc = mlp_remote_list(r, "objects/", list_object, &ro, err)) < 0)
		goto out;
	rv_sort(&rv);
	for (size_t i = 0; i < vs.n; i++) {
		int there = 0;

		for (size_t j = 0; j < rv.n && !there; j++)
			there = rv.v[j].version == vs.v[i]->version &&
			    strcmp(rv.v[j].name, vs.v[i]->name) == 0;
		if (!there)
			mlp_strv_push_owned(&out->versions_here, xasprintf(
			    "models:/%s/%lld", vs.v[i]->name,
			    (long long)vs.v[i]->version));
		if ((rc = version_objects(st, vs.v[i], &here, &here, err)) < 0)
			goto out;
	}
	for (size_t j = 0; j < rv.n; j++) {
		struct mlp_model_version *mv = NULL;

		if ((rc = local_version(db, rv.v[j].name, rv.v[j].version, &mv,
		    err)) < 0)
			goto out;
		if (!mv)
			mlp_strv_push_owned(&out->versions_there, xasprintf(
			    "models:/%s/%lld", rv.v[j].name,
			    (long long)rv.v[j].version));
		mlp_model_version_free(mv);
	}
	oids_uniq(&here);
	/* a sorted copy of the remote's ids, for lookups */
	sorted.v = xmalloc((ro.oids.n + 1) * sizeof(*sorted.v));
	if (ro.oids.n)
		memcpy(sorted.v, ro.oids.v, ro.oids.n * sizeof(*sorted.v));
	sorted.n = ro.oids.n;
	qsort(sorted.v, sorted.n, sizeof(*sorted.v), cmp_oid);
	for (size_t i = 0; i < here.n; i++) {
		if (oids_find(&sorted, &here.v[i]))
			continue;
		char *path = mlp_store_object_path(st, &here.v[i]);
		struct stat sb;

		out->objects_here++;
		if (stat(path, &sb) == 0)
			out->bytes_here += (uint64_t)sb.st_size;
		free(path);
	}
	for (size_t i = 0; i < ro.oids.n; i++) {
		if (mlp_store_has(st, &ro.oids.v[i]))
			continue;
		out->objects_there++;
		out->bytes_there += ro.sizes[i];
	}
out:
	versions_release(&vs);
	rv_release(&rv);
	free(ro.oids.v);
	free(ro.sizes);
	free(here.v);
	free(sorted.v);
	if (rc < 0)
		mlp_remote_status_release(out);
	return rc;
}

void
mlp_remote_status_release(struct mlp_remote_status *s)
{
	mlp_strv_release(&s->versions_here);
	mlp_strv_release(&s->versions_there);
}

/* Importing a version with its number. */

static int
step(struct mlp_db *db, sqlite3_stmt *st, const char *what,
    struct mlp_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return mlp_db_error(db, err, what);
	return 0;
}

int
mlp_registry_import_version(struct mlp_db *db,
    const struct mlp_version_import *vi, int *skipped, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t model = 0, now = mlp_now_ms();
	int rc;

	*skipped = 0;
	if ((rc = mlp_registry_check_name(vi->name, err)) < 0)
		return rc;
	if (vi->version <= 0)
		return mlp_err_set(err, MLP_EINVAL, "version %lld of '%s' is not "
		    "a version number", (long long)vi->version, vi->name);
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "SELECT id FROM model WHERE name = ?",
	    err)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, vi->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		model = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (!model) {
		if ((rc = mlp_db_prepare(db, &st, "INSERT INTO model (name, "
		    "created, updated) VALUES (?1, ?2, ?2)", err)) < 0)
			goto out;
		sqlite3_bind_text(st, 1, vi->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now);
		rc = step(db, st, "cannot create model", err);
		st = NULL;
		if (rc < 0)
			goto out;
		model = sqlite3_last_insert_rowid(db->h);
	} else {
		if ((rc = mlp_db_prepare(db, &st, "SELECT oid FROM model_version "
		    "WHERE model = ? AND version = ?", err)) < 0)
			goto out;
		sqlite3_bind_int64(st, 1, model);
		sqlite3_bind_int64(st, 2, vi->version);
		if (sqlite3_step(st) == SQLITE_ROW) {
			if (strcmp(mlp_db_text(st, 0), vi->oid) == 0)
				*skipped = 1;
			else
				rc = mlp_err_set(err, MLP_EEXISTS, "version %lld "
				    "of '%s' exists with another object (%.12s, "
				    "not %.12s)", (long long)vi->version,
				    vi->name, mlp_db_text(st, 0), vi->oid);
			sqlite3_finalize(st);
			st = NULL;
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((rc = registry_insert_version(db, model, vi, err)) < 0)
		goto out;
	rc = mlp_db_commit(db, err);
out:
	sqlite3_finalize(st);
	if (rc < 0 || *skipped)
		mlp_db_rollback(db);
	return rc;
}
