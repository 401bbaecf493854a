/* The feature catalog: applied specs in SQLite as canonical JSON, one
 * version per change, with plan (a diff against the files) and apply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../db/db.h"
#include "feature.h"

static const char *const kind_names[] = { "entity", "source", "view",
	"service" };
static const char *const kind_titles[] = { "entity", "source",
	"feature view", "feature service" };
static const char *const action_names[] = { "unchanged", "create", "update",
	"delete" };

const char *
mlp_fkind_name(enum mlp_fkind k)
{
	return kind_names[k];
}

const char *
mlp_fkind_title(enum mlp_fkind k)
{
	return kind_titles[k];
}

int
mlp_fkind_parse(const char *s, enum mlp_fkind *k)
{
	for (int i = 0; i < MLP_FK_COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*k = (enum mlp_fkind)i;
			return 0;
		}
	return -1;
}

const char *
mlp_faction_name(enum mlp_faction a)
{
	return action_names[a];
}

static int
action_parse(const char *s, enum mlp_faction *a)
{
	for (int i = 1; i < 4; i++)
		if (strcmp(s, action_names[i]) == 0) {
			*a = (enum mlp_faction)i;
			return 0;
		}
	return -1;
}

/* The canonical form. */

static void
add_str(cJSON *o, const char *key, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

/* The window of output name i of a, as the spec spells it. */
static const char *
window_text(const struct mlp_fagg *a, size_t i)
{
	return a->names[i] + strlen(a->column) + 1 +
	    strlen(mlp_aggop_name(a->op)) + 1;
}

static cJSON *
entity_json(const struct mlp_fentity *e)
{
	cJSON *o = cJSON_CreateObject(), *k, *t;

	cJSON_AddStringToObject(o, "name", e->name);
	k = cJSON_AddArrayToObject(o, "join_keys");
	t = cJSON_AddArrayToObject(o, "types");
	for (size_t i = 0; i < e->nkeys; i++) {
		cJSON_AddItemToArray(k, cJSON_CreateString(e->join_keys[i]));
		cJSON_AddItemToArray(t, cJSON_CreateString(
		    mlp_ftype_name(e->key_types[i])));
	}
	add_str(o, "description", e->description);
	return o;
}

static cJSON *
source_json(const struct mlp_fsource *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "path", s->path);
	cJSON_AddStringToObject(o, "format", s->format == MLP_FFMT_JSONL ?
	    "jsonl" : "csv");
	cJSON_AddStringToObject(o, "timestamp", s->timestamp);
	add_str(o, "created_timestamp", s->created_timestamp);
	cJSON_AddStringToObject(o, "timestamp_format",
	    mlp_tsfmt_name(s->tsfmt));
	add_str(o, "description", s->description);
	return o;
}

static cJSON *
view_json(const struct mlp_fview *v)
{
	cJSON *o = cJSON_CreateObject(), *a, *t;
	char ttl[48];

	cJSON_AddStringToObject(o, "name", v->name);
	cJSON_AddStringToObject(o, "entity", v->entity);
	cJSON_AddStringToObject(o, "source", v->source);
	mlp_duration_format(v->ttl, ttl);
	add_str(o, "ttl", v->ttl ? ttl : NULL);
	a = cJSON_AddArrayToObject(o, "features");
	for (size_t i = 0; i < v->nfeatures; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", v->features[i].name);
		cJSON_AddStringToObject(f, "type",
		    mlp_ftype_name(v->features[i].type));
		cJSON_AddItemToArray(a, f);
	}
	a = cJSON_AddArrayToObject(o, "aggregations");
	for (size_t i = 0; i < v->naggs; i++) {
		const struct mlp_fagg *g = &v->aggs[i];
		cJSON *f = cJSON_CreateObject(), *w;

		cJSON_AddStringToObject(f, "column", g->column);
		cJSON_AddStringToObject(f, "op", mlp_aggop_name(g->op));
		w = cJSON_AddArrayToObject(f, "windows");
		for (size_t j = 0; j < g->nwindows; j++)
			cJSON_AddItemToArray(w, cJSON_CreateString(
			    window_text(g, j)));
		cJSON_AddItemToArray(a, f);
	}
	a = cJSON_AddArrayToObject(o, "derived");
	for (size_t i = 0; i < v->nderived; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", v->derived[i].name);
		cJSON_AddStringToObject(f, "expr", v->derived[i].expr);
		cJSON_AddItemToArray(a, f);
	}
	add_str(o, "description", v->description);
	t = cJSON_AddObjectToObject(o, "tags");
	for (size_t i = 0; i < v->ntags; i++)
		cJSON_AddStringToObject(t, v->tag_keys[i], v->tag_values[i]);
	return o;
}

static cJSON *
service_json(const struct mlp_fservice *s)
{
	cJSON *o = cJSON_CreateObject(), *a;

	cJSON_AddStringToObject(o, "name", s->name);
	a = cJSON_AddArrayToObject(o, "features");
	for (size_t i = 0; i < s->nrefs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->refs[i]));
	add_str(o, "description", s->description);
	return o;
}

char *
mlp_fspec_json(const struct mlp_fspec *s, enum mlp_fkind kind, size_t i)
{
	cJSON *o = kind == MLP_FK_ENTITY ? entity_json(&s->entities[i]) :
	    kind == MLP_FK_SOURCE ? source_json(&s->sources[i]) :
	    kind == MLP_FK_VIEW ? view_json(&s->views[i]) :
	    service_json(&s->services[i]);
	char *text = cJSON_PrintUnformatted(o);

	cJSON_Delete(o);
	if (!text)
		abort();	/* cJSON fails only when out of memory */
	return text;
}

static size_t
kind_count(const struct mlp_fspec *s, enum mlp_fkind kind)
{
	return kind == MLP_FK_ENTITY ? s->nentities : kind == MLP_FK_SOURCE ?
	    s->nsources : kind == MLP_FK_VIEW ? s->nviews : s->nservices;
}

static const char *
kind_obj_name(const struct mlp_fspec *s, enum mlp_fkind kind, size_t i)
{
	return kind == MLP_FK_ENTITY ? s->entities[i].name :
	    kind == MLP_FK_SOURCE ? s->sources[i].name :
	    kind == MLP_FK_VIEW ? s->views[i].name : s->services[i].name;
}

static const struct mlp_fpos *
kind_obj_pos(const struct mlp_fspec *s, enum mlp_fkind kind, size_t i)
{
	return kind == MLP_FK_ENTITY ? &s->entities[i].pos :
	    kind == MLP_FK_SOURCE ? &s->sources[i].pos :
	    kind == MLP_FK_VIEW ? &s->views[i].pos : &s->services[i].pos;
}

/* The form back into structs: appended to s, which owns whatever was
 * filled when a later field fails (mlp_fspec_free frees it). */

static int
damaged(struct mlp_err *err, enum mlp_fkind kind, const char *name,
    const char *what)
{
	return mlp_err_set(err, MLP_ECORRUPT, "the feature catalog's %s '%s' "
	    "is damaged: %s", kind_titles[kind], name, what);
}

/* The string under key; NULL when absent, null or not a string (*bad set
 * unless null is allowed). */
static const char *
jstr(const cJSON *o, const char *key, int nullable, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v))
		return v->valuestring;
	if (!(nullable && (!v || cJSON_IsNull(v))))
		*bad = 1;
	return NULL;
}

static char *
jdup(const cJSON *o, const char *key, int nullable, int *bad)
{
	const char *s = jstr(o, key, nullable, bad);

	return s ? xstrdup(s) : NULL;
}

static const cJSON *
jarray(const cJSON *o, const char *key, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsArray(v)) {
		*bad = 1;
		return NULL;
	}
	return v;
}

static int
entity_from(struct mlp_fspec *s, const cJSON *o, int *bad)
{
	struct mlp_fentity *e;
	const cJSON *k, *t;
	int n;

	s->entities = xrealloc(s->entities, (s->nentities + 1) *
	    sizeof(*e));
	e = &s->entities[s->nentities++];
	memset(e, 0, sizeof(*e));
	e->name = jdup(o, "name", 0, bad);
	e->description = jdup(o, "description", 1, bad);
	k = jarray(o, "join_keys", bad);
	t = jarray(o, "types", bad);
	if (*bad)
		return 0;
	n = cJSON_GetArraySize(k);
	if (n < 1 || n != cJSON_GetArraySize(t)) {
		*bad = 1;
		return 0;
	}
	e->join_keys = xcalloc((size_t)n, sizeof(*e->join_keys));
	e->key_types = xcalloc((size_t)n, sizeof(*e->key_types));
	for (int i = 0; i < n; i++) {
		const cJSON *ki = cJSON_GetArrayItem(k, i);
		const cJSON *ti = cJSON_GetArrayItem(t, i);

		if (!cJSON_IsString(ki) || !cJSON_IsString(ti) ||
		    mlp_ftype_parse(ti->valuestring, &e->key_types[i]) < 0) {
			*bad = 1;
			return 0;
		}
		e->join_keys[e->nkeys++] = xstrdup(ki->valuestring);
	}
	return 0;
}

static int
source_from(struct mlp_fspec *s, const cJSON *o, int *bad)
{
	struct mlp_fsource *src;
	const char *f;

	s->sources = xrealloc(s->sources, (s->nsources + 1) * sizeof(*src));
	src = &s->sources[s->nsources++];
	memset(src, 0, sizeof(*src));
	src->name = jdup(o, "name", 0, bad);
	src->path = jdup(o, "path", 0, bad);
	src->timestamp = jdup(o, "timestamp", 0, bad);
	src->created_timestamp = jdup(o, "created_timestamp", 1, bad);
	src->description = jdup(o, "description", 1, bad);
	if ((f = jstr(o, "format", 0, bad)))
		src->format = strcmp(f, "jsonl") == 0 ? MLP_FFMT_JSONL :
		    MLP_FFMT_CSV;
	if ((f = jstr(o, "timestamp_format", 0, bad)) &&
	    mlp_tsfmt_parse(f, &src->tsfmt) < 0)
		*bad = 1;
	return 0;
}

static void
view_features_from(struct mlp_fview *v, const cJSON *a, int *bad)
{
	int n = cJSON_GetArraySize(a);

	v->features = xcalloc(n ? (size_t)n : 1, sizeof(*v->features));
	for (int i = 0; i < n && !*bad; i++) {
		const cJSON *f = cJSON_GetArrayItem(a, i);
		const char *t = jstr(f, "type", 0, bad);
		struct mlp_ffeature *ff = &v->features[v->nfeatures];

		ff->name = jdup(f, "name", 0, bad);
		v->nfeatures += ff->name != NULL;
		if (t && mlp_ftype_parse(t, &ff->type) < 0)
			*bad = 1;
	}
}

static void
view_aggs_from(struct mlp_fview *v, const cJSON *a, int *bad)
{
	int n = cJSON_GetArraySize(a);

	v->aggs = xcalloc(n ? (size_t)n : 1, sizeof(*v->aggs));
	for (int i = 0; i < n && !*bad; i++) {
		const cJSON *g = cJSON_GetArrayItem(a, i), *w;
		struct mlp_fagg *ag = &v->aggs[v->naggs++];
		const char *op = jstr(g, "op", 0, bad);
		int nw;

		ag->column = jdup(g, "column", 0, bad);
		w = jarray(g, "windows", bad);
		if (*bad || mlp_aggop_parse(op, &ag->op) < 0 ||
		    (nw = cJSON_GetArraySize(w)) < 1) {
			*bad = 1;
			return;
		}
		ag->windows = xcalloc((size_t)nw, sizeof(*ag->windows));
		ag->names = xcalloc((size_t)nw, sizeof(*ag->names));
		for (int j = 0; j < nw; j++) {
			const cJSON *x = cJSON_GetArrayItem(w, j);

			if (!cJSON_IsString(x) ||
			    mlp_duration_parse(x->valuestring,
			    &ag->windows[j]) < 0) {
				*bad = 1;
				return;
			}
			ag->names[ag->nwindows++] = xasprintf("%s_%s_%s",
			    ag->column, op, x->valuestring);
		}
	}
}

static void
view_derived_from(struct mlp_fview *v, const cJSON *a, int *bad)
{
	int n = cJSON_GetArraySize(a);

	v->derived = xcalloc(n ? (size_t)n : 1, sizeof(*v->derived));
	for (int i = 0; i < n && !*bad; i++) {
		const cJSON *f = cJSON_GetArrayItem(a, i);
		struct mlp_fderived *d = &v->derived[v->nderived];

		d->name = jdup(f, "name", 0, bad);
		v->nderived += d->name != NULL;
		d->expr = jdup(f, "expr", 0, bad);
	}
}

static int
view_from(struct mlp_fspec *s, const cJSON *o, int *bad)
{
	struct mlp_fview *v;
	const cJSON *a, *t, *x;
	const char *ttl;
	size_t nt = 0;

	s->views = xrealloc(s->views, (s->nviews + 1) * sizeof(*v));
	v = &s->views[s->nviews++];
	memset(v, 0, sizeof(*v));
	v->name = jdup(o, "name", 0, bad);
	v->entity = jdup(o, "entity", 0, bad);
	v->source = jdup(o, "source", 0, bad);
	v->description = jdup(o, "description", 1, bad);
	if ((ttl = jstr(o, "ttl", 1, bad)) &&
	    mlp_duration_parse(ttl, &v->ttl) < 0)
		*bad = 1;
	if ((a = jarray(o, "features", bad)))
		view_features_from(v, a, bad);
	if (!*bad && (a = jarray(o, "aggregations", bad)))
		view_aggs_from(v, a, bad);
	if (!*bad && (a = jarray(o, "derived", bad)))
		view_derived_from(v, a, bad);
	t = cJSON_GetObjectItemCaseSensitive(o, "tags");
	if (*bad || !cJSON_IsObject(t)) {
		*bad = 1;
		return 0;
	}
	cJSON_ArrayForEach(x, t)
		nt++;
	v->tag_keys = xcalloc(nt ? nt : 1, sizeof(*v->tag_keys));
	v->tag_values = xcalloc(nt ? nt : 1, sizeof(*v->tag_values));
	cJSON_ArrayForEach(x, t) {
		if (!cJSON_IsString(x) || !x->string) {
			*bad = 1;
			return 0;
		}
		v->tag_keys[v->ntags] = xstrdup(x->string);
		v->tag_values[v->ntags++] = xstrdup(x->valuestring);
	}
	return 0;
}

static int
service_from(struct mlp_fspec *s, const cJSON *o, int *bad)
{
	struct mlp_fservice *sv;
	const cJSON *a;
	int n;

	s->services = xrealloc(s->services, (s->nservices + 1) *
	    sizeof(*sv));
	sv = &s->services[s->nservices++];
	memset(sv, 0, sizeof(*sv));
	sv->name = jdup(o, "name", 0, bad);
	sv->description = jdup(o, "description", 1, bad);
	if (!(a = jarray(o, "features", bad)))
		return 0;
	n = cJSON_GetArraySize(a);
	sv->refs = xcalloc(n ? (size_t)n : 1, sizeof(*sv->refs));
	for (int i = 0; i < n; i++) {
		const cJSON *r = cJSON_GetArrayItem(a, i);

		if (!cJSON_IsString(r)) {
			*bad = 1;
			return 0;
		}
		sv->refs[sv->nrefs++] = xstrdup(r->valuestring);
	}
	return 0;
}

/* Parses text, the form of kind/name, into a new object at the end of
 * s's array of kind. */
static int
object_from(struct mlp_fspec *s, enum mlp_fkind kind, const char *name,
    const char *text, struct mlp_err *err)
{
	cJSON *o = cJSON_Parse(text);
	const char *got;
	int bad = 0;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return damaged(err, kind, name, "its spec is not a JSON "
		    "object");
	}
	if (kind == MLP_FK_ENTITY)
		entity_from(s, o, &bad);
	else if (kind == MLP_FK_SOURCE)
		source_from(s, o, &bad);
	else if (kind == MLP_FK_VIEW)
		view_from(s, o, &bad);
	else
		service_from(s, o, &bad);
	got = kind_obj_name(s, kind, kind_count(s, kind) - 1);
	if (!bad && (!got || strcmp(got, name) != 0))
		bad = 1;
	cJSON_Delete(o);
	return bad ? damaged(err, kind, name, "its spec lacks a field or "
	    "has one of the wrong type") : 0;
}

/* The catalog's rows. */

struct row {
	enum mlp_fkind kind;
	char *name;
	int64_t version;
	char *spec;		/* NULL: deleted */
};

static void
rows_free(struct row *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].name);
		free(r[i].spec);
	}
	free(r);
}

static int
read_rows(struct mlp_db *db, struct row **out, size_t *n,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	struct row *r = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT kind, name, version, spec "
	    "FROM feature_object ORDER BY name", err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum mlp_fkind k;

		if (mlp_fkind_parse(mlp_db_text(st, 0), &k) < 0)
			continue;
		mlp_grow(&r, &alloc, *n + 1, sizeof(*r));
		r[*n].kind = k;
		r[*n].name = xstrdup(mlp_db_text(st, 1));
		r[*n].version = sqlite3_column_int64(st, 2);
		r[*n].spec = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL :
		    xstrdup(mlp_db_text(st, 3));
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read the "
	    "feature catalog");
	sqlite3_finalize(st);
	if (rc < 0)
		rows_free(r, *n);
	else
		*out = r;
	return rc;
}

static struct row *
find_row(struct row *r, size_t n, enum mlp_fkind kind, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == kind && strcmp(r[i].name, name) == 0)
			return &r[i];
	return NULL;
}

/* Plans. */

static void
change_release(struct mlp_fchange *c)
{
	free(c->name);
	for (size_t i = 0; i < c->nfields; i++)
		free(c->fields[i]);
	free(c->fields);
	for (size_t i = 0; i < c->nbreaking; i++)
		free(c->breaking[i]);
	free(c->breaking);
	free(c->spec);
}

void
mlp_fplan_free(struct mlp_fplan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		change_release(&p->changes[i]);
	free(p->changes);
	free(p);
}

static void
push_str(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* "driver_id (int), trip_id (string)" */
static char *
keys_text(const cJSON *o)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "join_keys");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "types");
	struct mlp_buf b = MLP_BUF_INIT;
	int n = cJSON_GetArraySize(k);

	for (int i = 0; i < n; i++) {
		const cJSON *ki = cJSON_GetArrayItem(k, i);
		const cJSON *ti = cJSON_GetArrayItem(t, i);

		mlp_buf_addf(&b, "%s%s (%s)", i ? ", " : "",
		    cJSON_IsString(ki) ? ki->valuestring : "?",
		    cJSON_IsString(ti) ? ti->valuestring : "?");
	}
	return mlp_buf_detach(&b);
}

/* The type of feature name in a view's form, or NULL. */
static const char *
feature_type(const cJSON *view, const char *name)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(view,
	    "features")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(f, "name");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");

		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return cJSON_IsString(t) ? t->valuestring : NULL;
	}
	return NULL;
}

/* The fields that differ and the breaking changes among them. */
static void
diff(struct mlp_fchange *c, const cJSON *old, const cJSON *new)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, new) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(old,
		    x->string);

		if (!o || !cJSON_Compare(o, x, 1))
			push_str(&c->fields, &c->nfields, xstrdup(x->string));
	}
	cJSON_ArrayForEach(x, old)
		if (!cJSON_GetObjectItemCaseSensitive(new, x->string))
			push_str(&c->fields, &c->nfields, xstrdup(x->string));
	if (c->kind == MLP_FK_ENTITY) {
		char *a = keys_text(old), *b = keys_text(new);

		if (strcmp(a, b) != 0)
			push_str(&c->breaking, &c->nbreaking, xasprintf("join "
			    "keys change from %s to %s", a, b));
		free(a);
		free(b);
	} else if (c->kind == MLP_FK_VIEW) {
		const cJSON *eo = cJSON_GetObjectItemCaseSensitive(old,
		    "entity");
		const cJSON *en = cJSON_GetObjectItemCaseSensitive(new,
		    "entity");
		const cJSON *f;

		if (cJSON_IsString(eo) && cJSON_IsString(en) &&
		    strcmp(eo->valuestring, en->valuestring) != 0)
			push_str(&c->breaking, &c->nbreaking, xasprintf(
			    "entity changes from '%s' to '%s'",
			    eo->valuestring, en->valuestring));
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(new,
		    "features")) {
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(f,
			    "name");
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(f,
			    "type");
			const char *was;

			if (!cJSON_IsString(n) || !cJSON_IsString(t) ||
			    !(was = feature_type(old, n->valuestring)) ||
			    strcmp(was, t->valuestring) == 0)
				continue;
			push_str(&c->breaking, &c->nbreaking, xasprintf(
			    "feature '%s' changes type from %s to %s",
			    n->valuestring, was, t->valuestring));
		}
	}
}

static int
change_cmp(const void *a, const void *b)
{
	const struct mlp_fchange *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
plan_rows(struct row *rows, size_t nrows, const struct mlp_fspec *spec,
    struct mlp_fplan **out, struct mlp_err *err)
{
	struct mlp_fplan *p = xcalloc(1, sizeof(*p));
	size_t alloc = 0;
	int rc = 0;

	for (int k = 0; k < MLP_FK_COUNT && rc == 0; k++)
		for (size_t i = 0; i < kind_count(spec, k) && rc == 0; i++) {
			const char *name = kind_obj_name(spec, k, i);
			struct row *r = find_row(rows, nrows, k, name);
			struct mlp_fchange *c;

			mlp_grow(&p->changes, &alloc, p->n + 1,
			    sizeof(*p->changes));
			c = &p->changes[p->n++];
			memset(c, 0, sizeof(*c));
			c->kind = k;
			c->name = xstrdup(name);
			c->spec = mlp_fspec_json(spec, k, i);
			c->pos = *kind_obj_pos(spec, k, i);
			c->from_version = r ? r->version : 0;
			c->version = c->from_version + 1;
			if (!r || !r->spec) {
				c->action = MLP_FA_CREATE;
			} else if (strcmp(r->spec, c->spec) == 0) {
				c->action = MLP_FA_NONE;
				c->version = r->version;
			} else {
				cJSON *old = cJSON_Parse(r->spec);
				cJSON *new = cJSON_Parse(c->spec);

				c->action = MLP_FA_UPDATE;
				if (!cJSON_IsObject(old))
					rc = damaged(err, k, name, "its spec "
					    "is not a JSON object");
				else
					diff(c, old, new);
				cJSON_Delete(old);
				cJSON_Delete(new);
			}
		}
	for (size_t i = 0; i < nrows && rc == 0; i++) {
		struct mlp_fchange *c;
		int defined = 0;

		if (!rows[i].spec)
			continue;
		for (size_t j = 0; j < kind_count(spec, rows[i].kind) &&
		    !defined; j++)
			defined = strcmp(kind_obj_name(spec, rows[i].kind, j),
			    rows[i].name) == 0;
		if (defined)
			continue;
		mlp_grow(&p->changes, &alloc, p->n + 1, sizeof(*p->changes));
		c = &p->changes[p->n++];
		memset(c, 0, sizeof(*c));
		c->kind = rows[i].kind;
		c->name = xstrdup(rows[i].name);
		c->action = MLP_FA_DELETE;
		c->from_version = rows[i].version;
		c->version = rows[i].version + 1;
	}
	if (rc < 0) {
		mlp_fplan_free(p);
		return rc;
	}
	if (p->n > 1)
		qsort(p->changes, p->n, sizeof(*p->changes), change_cmp);
	for (size_t i = 0; i < p->n; i++) {
		const struct mlp_fchange *c = &p->changes[i];

		p->ncreate += c->action == MLP_FA_CREATE;
		p->nupdate += c->action == MLP_FA_UPDATE;
		p->ndelete += c->action == MLP_FA_DELETE;
		p->nunchanged += c->action == MLP_FA_NONE;
		p->nbreaking += c->nbreaking;
	}
	*out = p;
	return 0;
}

int
mlp_fcatalog_plan(struct mlp_db *db, const struct mlp_fspec *spec,
    struct mlp_fplan **out, struct mlp_err *err)
{
	struct row *rows = NULL;
	size_t nrows = 0;
	int rc;

	*out = NULL;
	if ((rc = read_rows(db, &rows, &nrows, err)) < 0)
		return rc;
	rc = plan_rows(rows, nrows, spec, out, err);
	rows_free(rows, nrows);
	return rc;
}

/* Records one change. */
static int
write_change(struct mlp_db *db, const struct mlp_fchange *c,
    const char *user, int64_t now, int forced, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	struct mlp_buf fields = MLP_BUF_INIT;
	int64_t id;
	int rc;

	if (c->from_version == 0)
		rc = mlp_db_prepare(db, &st, "INSERT INTO feature_object (kind, "
		    "name, version, spec, created, updated) VALUES (?1, ?2, "
		    "?3, ?4, ?5, ?5) RETURNING id", err);
	else
		rc = mlp_db_prepare(db, &st, "UPDATE feature_object SET "
		    "version = ?3, spec = ?4, updated = ?5 WHERE kind = ?1 AND "
		    "name = ?2 RETURNING id", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, kind_names[c->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->version);
	if (c->spec)
		sqlite3_bind_text(st, 4, c->spec, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, now);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = mlp_db_error(db, err, "cannot record the feature catalog");
		goto out;
	}
	id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < c->nfields; i++)
		mlp_buf_addf(&fields, "%s%s", i ? "," : "", c->fields[i]);
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO feature_version "
	    "(object, version, action, spec, changed, forced, file, line, col, "
	    "user, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	    err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, c->version);
	sqlite3_bind_text(st, 3, action_names[c->action], -1, SQLITE_STATIC);
	if (c->spec)
		sqlite3_bind_text(st, 4, c->spec, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, mlp_buf_str(&fields), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, forced && c->nbreaking > 0);
	if (c->pos.file) {
		sqlite3_bind_text(st, 7, c->pos.file, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, c->pos.line);
		sqlite3_bind_int(st, 9, c->pos.col);
	}
	sqlite3_bind_text(st, 10, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = mlp_db_error(db, err, "cannot record the feature catalog");
out:
	sqlite3_finalize(st);
	mlp_buf_release(&fields);
	return rc;
}

int
mlp_fcatalog_apply(struct mlp_db *db, const struct mlp_fspec *spec,
    int force, const char *user, struct mlp_fplan **out,
    struct mlp_err *err)
{
	struct mlp_fplan *p = NULL;
	int64_t now = mlp_now_ms();
	int rc;

	*out = NULL;
	/* nothing to change needs no write (a read-only repository too) */
	if ((rc = mlp_fcatalog_plan(db, spec, &p, err)) < 0)
		return rc;
	if (p->ncreate + p->nupdate + p->ndelete == 0) {
		*out = p;
		return 0;
	}
	mlp_fplan_free(p);
	p = NULL;
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = mlp_fcatalog_plan(db, spec, &p, err)) < 0)
		goto fail;
	if (p->nbreaking && !force) {
		const struct mlp_fchange *c = p->changes;

		while (!c->nbreaking)
			c++;
		rc = mlp_err_set(err, MLP_EFAIL, "%s '%s': %s%s",
		    kind_titles[c->kind], c->name, c->breaking[0],
		    p->nbreaking > 1 ? ", and more breaking changes" : "");
		goto fail;
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->changes[i].action != MLP_FA_NONE &&
		    (rc = write_change(db, &p->changes[i], user, now, force,
		    err)) < 0)
			goto fail;
	if ((rc = mlp_db_commit(db, err)) < 0)
		goto out;
	*out = p;
	return 0;
fail:
	mlp_db_rollback(db);
out:
	*out = p;
	return rc;
}

/* Reading the catalog. */

static const char *
intern_file(struct mlp_fspec *s, const char *file)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i], file) == 0)
			return s->files[i];
	s->files = xrealloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
	s->files[s->nfiles] = xstrdup(file);
	return s->files[s->nfiles++];
}

static struct mlp_fpos *
last_pos(struct mlp_fspec *s, enum mlp_fkind kind)
{
	return (struct mlp_fpos *)kind_obj_pos(s, kind, kind_count(s, kind) -
	    1);
}

int
mlp_fcatalog_load(struct mlp_db *db, struct mlp_fspec **out,
    struct mlp_err *err)
{
	struct mlp_fspec *s = xcalloc(1, sizeof(*s));
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = mlp_db_prepare(db, &st, "SELECT o.kind, o.name, o.version, "
	    "o.spec, v.file, v.line, v.col FROM feature_object o JOIN "
	    "feature_version v ON v.object = o.id AND v.version = o.version "
	    "WHERE o.spec IS NOT NULL ORDER BY o.name", err)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = mlp_db_text(st, 1);
		struct mlp_fpos *pos;
		enum mlp_fkind k;

		if (mlp_fkind_parse(mlp_db_text(st, 0), &k) < 0)
			continue;
		if ((rc = object_from(s, k, name, mlp_db_text(st, 3), err)) < 0)
			goto out;
		pos = last_pos(s, k);
		pos->file = intern_file(s, sqlite3_column_type(st, 4) ==
		    SQLITE_NULL ? "the feature catalog" : mlp_db_text(st, 4));
		pos->line = sqlite3_column_int(st, 5);
		pos->col = sqlite3_column_int(st, 6);
		if (k == MLP_FK_VIEW)
			s->views[s->nviews - 1].version =
			    sqlite3_column_int64(st, 2);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read the "
	    "feature catalog");
	/* what was applied compiled then; a derived feature that no longer
	 * does (a newer build's language) is named */
	for (size_t i = 0; rc == 0 && i < s->nviews; i++)
		rc = mlp_fview_type_derived(&s->views[i], err);
out:
	sqlite3_finalize(st);
	if (rc < 0)
		mlp_fspec_free(s);
	else
		*out = s;
	return rc;
}

static int
object_cmp(const void *a, const void *b)
{
	const struct mlp_fobject *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return strcmp(x->name, y->name);
}

int
mlp_fcatalog_list(struct mlp_db *db, int kind, int deleted,
    struct mlp_fobject **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	struct mlp_fobject *o = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT o.kind, o.name, o.version, "
	    "o.spec, v.user, o.created, o.updated FROM feature_object o JOIN "
	    "feature_version v ON v.object = o.id AND v.version = o.version",
	    err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum mlp_fkind k;
		int gone = sqlite3_column_type(st, 3) == SQLITE_NULL;

		if (mlp_fkind_parse(mlp_db_text(st, 0), &k) < 0 ||
		    (kind >= 0 && (int)k != kind) || (gone && !deleted))
			continue;
		mlp_grow(&o, &alloc, *n + 1, sizeof(*o));
		o[*n] = (struct mlp_fobject){
			.kind = k,
			.name = xstrdup(mlp_db_text(st, 1)),
			.version = sqlite3_column_int64(st, 2),
			.spec = gone ? NULL : xstrdup(mlp_db_text(st, 3)),
			.user = xstrdup(mlp_db_text(st, 4)),
			.created = sqlite3_column_int64(st, 5),
			.updated = sqlite3_column_int64(st, 6),
		};
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read the "
	    "feature catalog");
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_fobjects_free(o, *n);
		*n = 0;
		return rc;
	}
	if (*n > 1)
		qsort(o, *n, sizeof(*o), object_cmp);
	*out = o;
	return 0;
}

void
mlp_fobjects_free(struct mlp_fobject *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].name);
		free(o[i].spec);
		free(o[i].user);
	}
	free(o);
}

int
mlp_fcatalog_history(struct mlp_db *db, enum mlp_fkind kind,
    const char *name, struct mlp_fversion **out, size_t *n,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	struct mlp_fversion *v = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT v.version, v.action, "
	    "v.spec, v.changed, v.forced, v.file, v.line, v.col, v.user, v.ts "
	    "FROM feature_version v JOIN feature_object o ON o.id = v.object "
	    "WHERE o.kind = ?1 AND o.name = ?2 ORDER BY v.version", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, kind_names[kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_fversion *x;

		mlp_grow(&v, &alloc, *n + 1, sizeof(*v));
		x = &v[(*n)++];
		memset(x, 0, sizeof(*x));
		x->version = sqlite3_column_int64(st, 0);
		if (action_parse(mlp_db_text(st, 1), &x->action) < 0)
			x->action = MLP_FA_UPDATE;
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			x->spec = xstrdup(mlp_db_text(st, 2));
		x->changed = xstrdup(mlp_db_text(st, 3));
		x->forced = sqlite3_column_int(st, 4);
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			x->file = xstrdup(mlp_db_text(st, 5));
		x->line = sqlite3_column_int(st, 6);
		x->col = sqlite3_column_int(st, 7);
		x->user = xstrdup(mlp_db_text(st, 8));
		x->ts = sqlite3_column_int64(st, 9);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read the "
	    "feature catalog");
	sqlite3_finalize(st);
	if (rc == 0 && *n == 0)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no %s '%s' in the feature "
		    "catalog", kind_titles[kind], name);
	if (rc < 0) {
		mlp_fversions_free(v, *n);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

void
mlp_fversions_free(struct mlp_fversion *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].spec);
		free(v[i].changed);
		free(v[i].file);
		free(v[i].user);
	}
	free(v);
}

int
mlp_fcatalog_names(struct mlp_db *db, int kind, const char *prefix,
    struct mlp_strv *out, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT DISTINCT name FROM "
	    "feature_object WHERE spec IS NOT NULL AND (?1 IS NULL OR kind = "
	    "?1) ORDER BY name", err)) < 0)
		return rc;
	if (kind >= 0)
		sqlite3_bind_text(st, 1, kind_names[kind], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = mlp_db_text(st, 0);

		if (strncmp(s, prefix, strlen(prefix)) == 0)
			mlp_strv_push(out, s);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read the "
	    "feature catalog");
	sqlite3_finalize(st);
	return rc;
}
