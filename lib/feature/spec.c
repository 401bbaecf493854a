/* Feature store specs: YAML files into struct mlp_fspec, every name and
 * reference checked, errors naming file, line and column. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "../data/data.h"
#include "feature.h"

/* A reference checked once every file is read: a view's entity or source,
 * or a service's entry. */
enum { P_ENTITY, P_SOURCE, P_REF };
struct pending {
	int what;
	size_t obj, ref;
	struct mlp_fpos pos;
};

struct loader {
	struct mlp_fspec *s;
	yaml_document_t *doc;
	const char *file;	/* as messages name it, owned by s->files */
	char *dir;		/* the file's directory, absolute */
	char *root;		/* the repository's root, absolute, or NULL */
	struct pending *pend;
	size_t npend;
	struct mlp_err *err;
};

static const char *const kind_titles[] = { "entity", "source",
	"feature view", "feature service" };

static int
fail_pos(struct mlp_err *err, const struct mlp_fpos *pos, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static int
fail_pos(struct mlp_err *err, const struct mlp_fpos *pos, const char *fmt,
    ...)
{
	char msg[440];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mlp_err_set(err, MLP_EINVAL, "'%s' line %d column %d: %s",
	    pos->file, pos->line, pos->col, msg);
}

static struct mlp_fpos
pos_of(const struct loader *l, const yaml_node_t *n)
{
	return (struct mlp_fpos){ l->file, (int)n->start_mark.line + 1,
		(int)n->start_mark.column + 1 };
}

static int
at(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
at(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
{
	struct mlp_fpos pos = pos_of(l, n);
	char msg[440];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_pos(l->err, &pos, "%s", msg);
}

const char *
mlp_fname_closest(const char *word, const char *const *names, size_t n)
{
	size_t len = strlen(word), best = SIZE_MAX, limit;
	const char *pick = NULL;

	/* a typo or two, more in a long word, never the whole word */
	limit = len / 2 > 2 ? len / 2 : 2;
	if (limit >= len)
		limit = len ? len - 1 : 0;
	for (size_t i = 0; i < n; i++) {
		size_t d = mlp_edit_distance(word, len, names[i],
		    strlen(names[i]));

		if (d < best) {
			best = d;
			pick = names[i];
		}
	}
	return best <= limit ? pick : NULL;
}

/* " (did you mean 'x'?)" or "", into out[128] */
static const char *
suggest(char out[128], const char *word, const char *const *names, size_t n)
{
	const char *c = mlp_fname_closest(word, names, n);

	if (c)
		snprintf(out, 128, " (did you mean '%.80s'?)", c);
	else
		out[0] = '\0';
	return out;
}

static size_t
count(const char *const *names)
{
	size_t n = 0;

	while (names[n])
		n++;
	return n;
}

static yaml_node_t *
node(struct loader *l, int id)
{
	return yaml_document_get_node(l->doc, id);
}

static const char *
kind_of(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE ? "a mapping" :
	    n->type == YAML_SEQUENCE_NODE ? "a list" : "a single value";
}

/* The value of key in the mapping map, or NULL. */
static yaml_node_t *
get(struct loader *l, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return node(l, p->value);
	}
	return NULL;
}

/* Every key of map is one of valid; where names the object. */
static int
check_keys(struct loader *l, yaml_node_t *map, const char *const *valid,
    const char *where)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key);
		const char *key;
		char dym[128];
		size_t i;

		if (!k)
			continue;
		if (k->type != YAML_SCALAR_NODE)
			return at(l, k, "a key in %s is %s, not a name", where,
			    kind_of(k));
		key = (const char *)k->data.scalar.value;
		for (i = 0; valid[i]; i++)
			if (strcmp(valid[i], key) == 0)
				break;
		if (!valid[i])
			return at(l, k, "unknown key '%.60s' in %s%s", key,
			    where, suggest(dym, key, valid, count(valid)));
	}
	return 0;
}

static int
want(struct loader *l, yaml_node_t *n, yaml_node_type_t type,
    const char *what)
{
	if (n->type == type)
		return 0;
	return at(l, n, "%s must be %s, not %s", what,
	    type == YAML_MAPPING_NODE ? "a mapping (KEY: VALUE)" :
	    type == YAML_SEQUENCE_NODE ? "a list" : "a single value",
	    kind_of(n));
}

/* A plain null ("", "~", "null") written for an optional value. */
static int
is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->type == YAML_SCALAR_NODE &&
	    n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

/* A single value, text without NULs, valid UTF-8. */
static int
scalar(struct loader *l, yaml_node_t *n, const char *what, const char **out)
{
	const char *v;
	struct mlp_err e;
	int rc;

	if ((rc = want(l, n, YAML_SCALAR_NODE, what)) < 0)
		return rc;
	v = (const char *)n->data.scalar.value;
	if (strlen(v) != n->data.scalar.length)
		return at(l, n, "%s holds a NUL character", what);
	mlp_err_clear(&e);
	if (mlp_check_utf8(what, v, &e) < 0)
		return at(l, n, "%s", e.msg);
	*out = v;
	return 0;
}

/* Non-empty text into *out (replacing what was there). */
static int
text(struct loader *l, yaml_node_t *n, const char *what, char **out)
{
	const char *v;
	int rc;

	if ((rc = scalar(l, n, what, &v)) < 0)
		return rc;
	if (!*v)
		return at(l, n, "%s is empty", what);
	free(*out);
	*out = xstrdup(v);
	return 0;
}

/* Optional text: absent or null leaves *out NULL. */
static int
opt_text(struct loader *l, yaml_node_t *map, const char *key,
    const char *what, char **out)
{
	yaml_node_t *n = get(l, map, key);
	const char *v;
	int rc;

	if (!n || is_null(n))
		return 0;
	if ((rc = scalar(l, n, what, &v)) < 0)
		return rc;
	free(*out);
	*out = *v ? xstrdup(v) : NULL;
	return 0;
}

static int
valid_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* A name: [A-Za-z_][A-Za-z0-9_]*. */
static int
ident(struct loader *l, yaml_node_t *n, const char *what, char **out)
{
	const char *v;
	int rc;

	if ((rc = scalar(l, n, what, &v)) < 0)
		return rc;
	if (!*v)
		return at(l, n, "%s is empty", what);
	if (!valid_name(v))
		return at(l, n, "%s '%.60s' is not a name (letters, digits "
		    "and '_', not starting with a digit)", what, v);
	free(*out);
	*out = xstrdup(v);
	return 0;
}

/* The object's name, when it has a valid one, for messages before the
 * keys are checked. */
static const char *
peek_name(struct loader *l, yaml_node_t *map)
{
	yaml_node_t *n = get(l, map, "name");
	const char *v;

	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	v = (const char *)n->data.scalar.value;
	return valid_name(v) ? v : NULL;
}

/* The name of an object of kind (mapping map), its keys checked against
 * valid; *where is "feature view 'x'" for later messages (caller frees). */
static int
begin_object(struct loader *l, yaml_node_t *map, enum mlp_fkind kind,
    const char *const *valid, char **name, char **where)
{
	const char *title = kind_titles[kind], *nm;
	yaml_node_t *n;
	int rc;

	*where = NULL;
	if ((rc = want(l, map, YAML_MAPPING_NODE, title)) < 0)
		return rc;
	nm = peek_name(l, map);
	*where = nm ? xasprintf("%s '%s'", title, nm) : xasprintf("this %s",
	    title);
	if ((rc = check_keys(l, map, valid, *where)) < 0)
		return rc;
	if (!(n = get(l, map, "name")))
		return at(l, map, "%s has no 'name'", *where);
	return ident(l, n, "name", name);
}

/* An object of kind named name must not be defined yet. */
static int
check_unique(struct loader *l, enum mlp_fkind kind, const char *name,
    yaml_node_t *at_node)
{
	const struct mlp_fspec *s = l->s;
	const struct mlp_fpos *first = NULL;

	if (kind == MLP_FK_ENTITY && mlp_fspec_entity(s, name))
		first = &mlp_fspec_entity(s, name)->pos;
	else if (kind == MLP_FK_SOURCE && mlp_fspec_source(s, name))
		first = &mlp_fspec_source(s, name)->pos;
	else if (kind == MLP_FK_VIEW && mlp_fspec_view(s, name))
		first = &mlp_fspec_view(s, name)->pos;
	else if (kind == MLP_FK_SERVICE && mlp_fspec_service(s, name))
		first = &mlp_fspec_service(s, name)->pos;
	if (!first)
		return 0;
	return at(l, at_node, "%s '%s' is defined twice (first at '%s' line "
	    "%d column %d)", kind_titles[kind], name, first->file,
	    first->line, first->col);
}

static void
pend(struct loader *l, int what, size_t obj, size_t ref, yaml_node_t *n)
{
	l->pend = xrealloc(l->pend, (l->npend + 1) * sizeof(*l->pend));
	l->pend[l->npend++] = (struct pending){ what, obj, ref, pos_of(l, n) };
}

/* Type names: what mlp_ftype_parse takes. */
static const char *const type_names[] = { "float", "int", "string", "bool",
	"float64", "float32", "double", "int64", "int32", NULL };

static int
ftype(struct loader *l, yaml_node_t *n, const char *what, int key,
    enum mlp_ftype *t)
{
	const char *v;
	char dym[128];
	int rc;

	if ((rc = scalar(l, n, what, &v)) < 0)
		return rc;
	if (mlp_ftype_parse(v, t) < 0)
		return at(l, n, "%s '%.60s' is not a type (%s)%s", what, v,
		    key ? "int, string" : "float, int, string, bool",
		    suggest(dym, v, type_names, count(type_names)));
	if (key && *t != MLP_FT_INT && *t != MLP_FT_STRING)
		return at(l, n, "%s: a join key is int or string, not %s",
		    what, mlp_ftype_name(*t));
	return 0;
}

/* entities */

static const char *const entity_keys[] = { "name", "join_keys", "type",
	"types", "description", NULL };

static void
entity_release(struct mlp_fentity *e)
{
	free(e->name);
	for (size_t i = 0; i < e->nkeys; i++)
		free(e->join_keys[i]);
	free(e->join_keys);
	free(e->key_types);
	free(e->description);
}

static int
parse_entity_keys(struct loader *l, yaml_node_t *map, struct mlp_fentity *e,
    const char *where)
{
	yaml_node_t *keys = get(l, map, "join_keys"), *t = get(l, map, "type");
	yaml_node_t *ts = get(l, map, "types");
	int rc;

	if (!keys)
		return at(l, map, "%s has no 'join_keys'", where);
	if ((rc = want(l, keys, YAML_SEQUENCE_NODE, "join_keys")) < 0)
		return rc;
	for (yaml_node_item_t *it = keys->data.sequence.items.start;
	    it < keys->data.sequence.items.top; it++) {
		yaml_node_t *k = node(l, *it);
		char *name = NULL;

		if ((rc = ident(l, k, "join key", &name)) < 0)
			return rc;
		for (size_t i = 0; i < e->nkeys; i++)
			if (strcmp(e->join_keys[i], name) == 0) {
				free(name);
				return at(l, k, "join key '%s' of %s is "
				    "listed twice", e->join_keys[i], where);
			}
		e->join_keys = xrealloc(e->join_keys, (e->nkeys + 1) *
		    sizeof(*e->join_keys));
		e->key_types = xrealloc(e->key_types, (e->nkeys + 1) *
		    sizeof(*e->key_types));
		e->join_keys[e->nkeys] = name;
		e->key_types[e->nkeys++] = MLP_FT_INT;
	}
	if (e->nkeys == 0)
		return at(l, keys, "%s has no join keys", where);
	if (t && ts)
		return at(l, ts, "%s has both 'type' and 'types': give one",
		    where);
	if (t) {
		enum mlp_ftype kt;

		if ((rc = ftype(l, t, "type", 1, &kt)) < 0)
			return rc;
		for (size_t i = 0; i < e->nkeys; i++)
			e->key_types[i] = kt;
	}
	if (ts) {
		size_t n;

		if ((rc = want(l, ts, YAML_SEQUENCE_NODE, "types")) < 0)
			return rc;
		n = (size_t)(ts->data.sequence.items.top -
		    ts->data.sequence.items.start);
		if (n != e->nkeys)
			return at(l, ts, "'types' of %s has %zu entr%s for %zu "
			    "join key%s", where, n, n == 1 ? "y" : "ies",
			    e->nkeys, e->nkeys == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++)
			if ((rc = ftype(l, node(l,
			    ts->data.sequence.items.start[i]), "type", 1,
			    &e->key_types[i])) < 0)
				return rc;
	}
	return 0;
}

static int
parse_entity(struct loader *l, yaml_node_t *map)
{
	struct mlp_fentity e = { 0 };
	char *where = NULL;
	int rc;

	e.pos = pos_of(l, map);
	if ((rc = begin_object(l, map, MLP_FK_ENTITY, entity_keys, &e.name,
	    &where)) < 0 ||
	    (rc = check_unique(l, MLP_FK_ENTITY, e.name, get(l, map,
	    "name"))) < 0 ||
	    (rc = parse_entity_keys(l, map, &e, where)) < 0 ||
	    (rc = opt_text(l, map, "description", "description",
	    &e.description)) < 0)
		goto out;
	l->s->entities = xrealloc(l->s->entities, (l->s->nentities + 1) *
	    sizeof(e));
	l->s->entities[l->s->nentities++] = e;
	memset(&e, 0, sizeof(e));
out:
	entity_release(&e);
	free(where);
	return rc;
}

/* sources */

static const char *const source_keys[] = { "name", "path", "timestamp",
	"created_timestamp", "timestamp_format", "format", "description",
	NULL };

static void
source_release(struct mlp_fsource *s)
{
	free(s->name);
	free(s->path);
	free(s->timestamp);
	free(s->created_timestamp);
	free(s->description);
}

/* path made absolute and lexically normal: no ".", "..", "//" */
static char *
normalise(const char *abs)
{
	struct mlp_buf b = MLP_BUF_INIT;
	const char *p = abs;

	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (b.len > 0 && b.s[b.len - 1] != '/')
				b.len--;
			if (b.len > 0)
				b.len--;
			b.s[b.len] = '\0';
		} else {
			mlp_buf_addc(&b, '/');
			mlp_buf_add(&b, p, n);
		}
		p += n;
	}
	if (b.len == 0)
		mlp_buf_addc(&b, '/');
	return mlp_buf_detach(&b);
}

/* The path the catalog keeps for p, written in the spec's directory. */
static char *
store_path(const struct loader *l, const char *p)
{
	char *abs = p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", l->dir, p);
	char *n = normalise(abs);
	size_t rl;

	free(abs);
	if (!l->root)
		return n;
	rl = strlen(l->root);
	if (strcmp(l->root, "/") == 0)
		rl = 0;
	if (strncmp(n, l->root, rl) == 0 && n[rl] == '/') {
		char *rel = xstrdup(n + rl + 1);

		free(n);
		return rel;
	}
	if (strcmp(n, l->root) == 0) {
		free(n);
		return xstrdup(".");
	}
	return n;
}

static int
parse_source(struct loader *l, yaml_node_t *map)
{
	struct mlp_fsource s = { 0 };
	yaml_node_t *n;
	const char *v;
	char *where = NULL, *path = NULL;
	int rc;

	s.pos = pos_of(l, map);
	if ((rc = begin_object(l, map, MLP_FK_SOURCE, source_keys, &s.name,
	    &where)) < 0 ||
	    (rc = check_unique(l, MLP_FK_SOURCE, s.name, get(l, map,
	    "name"))) < 0)
		goto out;
	if (!(n = get(l, map, "path"))) {
		rc = at(l, map, "%s has no 'path'", where);
		goto out;
	}
	if ((rc = text(l, n, "path", &path)) < 0)
		goto out;
	s.path = store_path(l, path);
	if ((n = get(l, map, "format")) && !is_null(n)) {
		if ((rc = scalar(l, n, "format", &v)) < 0)
			goto out;
		if (strcmp(v, "csv") == 0) {
			s.format = MLP_FFMT_CSV;
		} else if (strcmp(v, "jsonl") == 0) {
			s.format = MLP_FFMT_JSONL;
		} else {
			rc = at(l, n, "format '%.60s' of %s is not csv or jsonl",
			    v, where);
			goto out;
		}
	} else if (mlp_ends_with(path, ".csv") || mlp_ends_with(path,
	    ".CSV")) {
		s.format = MLP_FFMT_CSV;
	} else if (mlp_ends_with(path, ".jsonl") || mlp_ends_with(path,
	    ".json") || mlp_ends_with(path, ".ndjson")) {
		s.format = MLP_FFMT_JSONL;
	} else {
		rc = at(l, get(l, map, "path"), "cannot tell the format of "
		    "'%.80s' from its name: add format: csv or format: jsonl "
		    "to %s", path, where);
		goto out;
	}
	s.timestamp = xstrdup("event_ts");
	if ((n = get(l, map, "timestamp")) &&
	    (rc = text(l, n, "timestamp", &s.timestamp)) < 0)
		goto out;
	if ((rc = opt_text(l, map, "created_timestamp", "created_timestamp",
	    &s.created_timestamp)) < 0)
		goto out;
	if (s.created_timestamp && strcmp(s.created_timestamp,
	    s.timestamp) == 0) {
		rc = at(l, get(l, map, "created_timestamp"), "created_timestamp "
		    "of %s is its timestamp column '%.60s' too", where,
		    s.timestamp);
		goto out;
	}
	if ((n = get(l, map, "timestamp_format")) && !is_null(n)) {
		static const char *const fmts[] = { "iso8601", "epoch_s",
			"epoch_ms", NULL };
		char dym[128];

		if ((rc = scalar(l, n, "timestamp_format", &v)) < 0)
			goto out;
		if (mlp_tsfmt_parse(v, &s.tsfmt) < 0) {
			rc = at(l, n, "timestamp_format '%.60s' of %s is not "
			    "iso8601, epoch_s or epoch_ms%s", v, where,
			    suggest(dym, v, fmts, 3));
			goto out;
		}
	}
	if ((rc = opt_text(l, map, "description", "description",
	    &s.description)) < 0)
		goto out;
	l->s->sources = xrealloc(l->s->sources, (l->s->nsources + 1) *
	    sizeof(s));
	l->s->sources[l->s->nsources++] = s;
	memset(&s, 0, sizeof(s));
out:
	source_release(&s);
	free(path);
	free(where);
	return rc;
}

/* feature views */

static const char *const view_keys[] = { "name", "entity", "source", "ttl",
	"features", "derived", "aggregations", "description", "tags", NULL };
static const char *const feature_keys[] = { "name", "type", NULL };
static const char *const derived_keys[] = { "name", "expr", NULL };
static const char *const agg_keys[] = { "column", "op", "windows", NULL };

static void
view_release(struct mlp_fview *v)
{
	free(v->name);
	free(v->entity);
	free(v->source);
	for (size_t i = 0; i < v->nfeatures; i++)
		free(v->features[i].name);
	free(v->features);
	for (size_t i = 0; i < v->nderived; i++) {
		free(v->derived[i].name);
		free(v->derived[i].expr);
	}
	free(v->derived);
	for (size_t i = 0; i < v->naggs; i++) {
		free(v->aggs[i].column);
		free(v->aggs[i].windows);
		for (size_t j = 0; j < v->aggs[i].nwindows; j++)
			free(v->aggs[i].names[j]);
		free(v->aggs[i].names);
	}
	free(v->aggs);
	free(v->description);
	for (size_t i = 0; i < v->ntags; i++) {
		free(v->tag_keys[i]);
		free(v->tag_values[i]);
	}
	free(v->tag_keys);
	free(v->tag_values);
}

/* An output of the view being read, with where it is defined. */
struct out {
	const char *name;
	struct mlp_fpos pos;
};

static int
add_output(struct loader *l, struct out **outs, size_t *n, const char *name,
    yaml_node_t *at_node, const char *where)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*outs)[i].name, name) == 0)
			return at(l, at_node, "%s defines '%s' twice (first at "
			    "line %d column %d)", where, name,
			    (*outs)[i].pos.line, (*outs)[i].pos.col);
	*outs = xrealloc(*outs, (*n + 1) * sizeof(**outs));
	(*outs)[(*n)++] = (struct out){ name, pos_of(l, at_node) };
	return 0;
}

/* The list under key (NULL when absent or null), its length in *n. */
static yaml_node_t *
items_of(struct loader *l, yaml_node_t *map, const char *key, int *rc,
    size_t *n)
{
	yaml_node_t *seq = get(l, map, key);

	*rc = 0;
	*n = 0;
	if (!seq || is_null(seq))
		return NULL;
	if ((*rc = want(l, seq, YAML_SEQUENCE_NODE, key)) < 0)
		return NULL;
	*n = (size_t)(seq->data.sequence.items.top -
	    seq->data.sequence.items.start);
	return seq;
}

static int
parse_features(struct loader *l, yaml_node_t *map, struct mlp_fview *v,
    const char *where, struct out **outs, size_t *nouts)
{
	size_t n;
	int rc;
	yaml_node_t *seq = items_of(l, map, "features", &rc, &n);

	if (rc < 0 || !seq)
		return rc;
	v->features = xcalloc(n ? n : 1, sizeof(*v->features));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *m = node(l, seq->data.sequence.items.start[i]), *t;
		struct mlp_ffeature *f = &v->features[v->nfeatures];
		char *fw;

		if ((rc = want(l, m, YAML_MAPPING_NODE, "a feature")) < 0)
			return rc;
		f->pos = pos_of(l, m);
		fw = peek_name(l, m) ? xasprintf("feature '%s' of %s",
		    peek_name(l, m), where) : xasprintf("a feature of %s",
		    where);
		rc = check_keys(l, m, feature_keys, fw);
		if (rc == 0 && !get(l, m, "name"))
			rc = at(l, m, "%s has no 'name'", fw);
		if (rc == 0)
			rc = ident(l, get(l, m, "name"), "feature name",
			    &f->name);
		v->nfeatures += f->name != NULL;
		if (rc == 0 && !(t = get(l, m, "type")))
			rc = at(l, m, "%s has no 'type'", fw);
		else if (rc == 0)
			rc = ftype(l, t, "type", 0, &f->type);
		free(fw);
		if (rc < 0 || (rc = add_output(l, outs, nouts, f->name,
		    get(l, m, "name"), where)) < 0)
			return rc;
	}
	return 0;
}

static int
parse_derived(struct loader *l, yaml_node_t *map, struct mlp_fview *v,
    const char *where, struct out **outs, size_t *nouts)
{
	size_t n;
	int rc;
	yaml_node_t *seq = items_of(l, map, "derived", &rc, &n);

	if (rc < 0 || !seq)
		return rc;
	v->derived = xcalloc(n ? n : 1, sizeof(*v->derived));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *m = node(l, seq->data.sequence.items.start[i]), *e;
		struct mlp_fderived *d = &v->derived[v->nderived];
		char *dw;

		if ((rc = want(l, m, YAML_MAPPING_NODE, "a derived feature")) <
		    0)
			return rc;
		d->pos = pos_of(l, m);
		dw = peek_name(l, m) ? xasprintf("derived feature '%s' of %s",
		    peek_name(l, m), where) : xasprintf("a derived feature of "
		    "%s", where);
		rc = check_keys(l, m, derived_keys, dw);
		if (rc == 0 && !get(l, m, "name"))
			rc = at(l, m, "%s has no 'name'", dw);
		if (rc == 0)
			rc = ident(l, get(l, m, "name"), "feature name",
			    &d->name);
		v->nderived += d->name != NULL;
		if (rc == 0 && !(e = get(l, m, "expr")))
			rc = at(l, m, "%s has no 'expr'", dw);
		else if (rc == 0)
			rc = text(l, e, "expr", &d->expr);
		free(dw);
		if (rc < 0 || (rc = add_output(l, outs, nouts, d->name,
		    get(l, m, "name"), where)) < 0)
			return rc;
	}
	return 0;
}

/* One aggregation line: column, op, windows; its outputs named
 * COLUMN_OP_WINDOW with each window as written. */
static int
parse_agg(struct loader *l, yaml_node_t *m, struct mlp_fagg *a,
    const char *where, struct out **outs, size_t *nouts)
{
	static const char *const ops[] = { "count", "sum", "avg", "min", "max",
		"last", "stddev", NULL };
	yaml_node_t *n, *ws;
	const char *v;
	char *aw, dym[128];
	size_t nw;
	int rc;

	if ((rc = want(l, m, YAML_MAPPING_NODE, "an aggregation")) < 0)
		return rc;
	a->pos = pos_of(l, m);
	aw = xasprintf("an aggregation of %s", where);
	if ((rc = check_keys(l, m, agg_keys, aw)) < 0)
		goto out;
	if (!(n = get(l, m, "column"))) {
		rc = at(l, m, "%s has no 'column'", aw);
		goto out;
	}
	if ((rc = ident(l, n, "column", &a->column)) < 0)
		goto out;
	if (!(n = get(l, m, "op"))) {
		rc = at(l, m, "%s has no 'op'", aw);
		goto out;
	}
	if ((rc = scalar(l, n, "op", &v)) < 0)
		goto out;
	if (mlp_aggop_parse(v, &a->op) < 0) {
		/* pandas' and SQL's names for avg */
		if (strcmp(v, "mean") == 0 || strcmp(v, "average") == 0)
			snprintf(dym, sizeof(dym), " (did you mean 'avg'?)");
		else
			suggest(dym, v, ops, count(ops));
		rc = at(l, n, "op '%.60s' is not an aggregation (count, sum, "
		    "avg, min, max, last, stddev)%s", v, dym);
		goto out;
	}
	if (!(ws = get(l, m, "windows"))) {
		rc = at(l, m, "%s has no 'windows'", aw);
		goto out;
	}
	if ((rc = want(l, ws, YAML_SEQUENCE_NODE, "windows")) < 0)
		goto out;
	nw = (size_t)(ws->data.sequence.items.top -
	    ws->data.sequence.items.start);
	if (nw == 0) {
		rc = at(l, ws, "%s has no windows", aw);
		goto out;
	}
	a->windows = xcalloc(nw, sizeof(*a->windows));
	a->names = xcalloc(nw, sizeof(*a->names));
	for (size_t i = 0; i < nw; i++) {
		yaml_node_t *w = node(l, ws->data.sequence.items.start[i]);
		int64_t us;

		if ((rc = scalar(l, w, "window", &v)) < 0)
			goto out;
		if (mlp_duration_parse(v, &us) < 0 || us == 0) {
			rc = at(l, w, "window '%.60s' is not a duration (such "
			    "as 90s, 15m, 1h, 7d, 2w)", v);
			goto out;
		}
		for (size_t j = 0; j < a->nwindows; j++)
			if (a->windows[j] == us) {
				const char *first = a->names[j] +
				    strlen(a->column) + 1 +
				    strlen(mlp_aggop_name(a->op)) + 1;

				rc = at(l, w, "window '%.60s' is the same "
				    "time as '%s' in %s", v, first, aw);
				goto out;
			}
		a->names[a->nwindows] = xasprintf("%s_%s_%s", a->column,
		    mlp_aggop_name(a->op), v);
		a->windows[a->nwindows++] = us;
		if (!valid_name(a->names[a->nwindows - 1])) {
			rc = at(l, w, "window '%.60s' makes '%s', which is "
			    "not a name", v, a->names[a->nwindows - 1]);
			goto out;
		}
		if ((rc = add_output(l, outs, nouts, a->names[a->nwindows - 1],
		    w, where)) < 0)
			goto out;
	}
out:
	free(aw);
	return rc;
}

static int
parse_aggs(struct loader *l, yaml_node_t *map, struct mlp_fview *v,
    const char *where, struct out **outs, size_t *nouts)
{
	size_t n;
	int rc;
	yaml_node_t *seq = items_of(l, map, "aggregations", &rc, &n);

	if (rc < 0 || !seq)
		return rc;
	v->aggs = xcalloc(n ? n : 1, sizeof(*v->aggs));
	for (size_t i = 0; i < n; i++) {
		rc = parse_agg(l, node(l, seq->data.sequence.items.start[i]),
		    &v->aggs[i], where, outs, nouts);
		v->naggs++;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
tag_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
parse_tags(struct loader *l, yaml_node_t *map, struct mlp_fview *v)
{
	yaml_node_t *tags = get(l, map, "tags");
	const char *val;
	char **pairs;
	size_t n;
	int rc;

	if (!tags || is_null(tags))
		return 0;
	if ((rc = want(l, tags, YAML_MAPPING_NODE, "tags")) < 0)
		return rc;
	n = (size_t)(tags->data.mapping.pairs.top -
	    tags->data.mapping.pairs.start);
	/* sorted as key, value pairs */
	pairs = xcalloc(2 * n + 1, sizeof(*pairs));
	for (size_t i = 0; i < n; i++) {
		yaml_node_pair_t *p = &tags->data.mapping.pairs.start[i];

		if ((rc = text(l, node(l, p->key), "a tag's key",
		    &pairs[2 * i])) < 0 ||
		    (rc = want(l, node(l, p->value), YAML_SCALAR_NODE,
		    "a tag's value")) < 0)
			goto out;
		if (is_null(node(l, p->value)))
			val = "";
		else if ((rc = scalar(l, node(l, p->value), "a tag's value",
		    &val)) < 0)
			goto out;
		pairs[2 * i + 1] = xstrdup(val);
	}
	qsort(pairs, n, 2 * sizeof(*pairs), tag_cmp);
	v->tag_keys = xcalloc(n ? n : 1, sizeof(*v->tag_keys));
	v->tag_values = xcalloc(n ? n : 1, sizeof(*v->tag_values));
	for (size_t i = 0; i < n; i++) {
		v->tag_keys[i] = pairs[2 * i];
		v->tag_values[i] = pairs[2 * i + 1];
		pairs[2 * i] = pairs[2 * i + 1] = NULL;
	}
	v->ntags = n;
out:
	for (size_t i = 0; i < 2 * n; i++)
		free(pairs[i]);
	free(pairs);
	return rc;
}

static int
parse_view(struct loader *l, yaml_node_t *map)
{
	struct mlp_fview v = { 0 };
	struct out *outs = NULL;
	size_t nouts = 0, idx = l->s->nviews;
	yaml_node_t *n, *en = NULL, *sn = NULL;
	const char *val;
	char *where = NULL;
	int rc;

	v.pos = pos_of(l, map);
	if ((rc = begin_object(l, map, MLP_FK_VIEW, view_keys, &v.name,
	    &where)) < 0 ||
	    (rc = check_unique(l, MLP_FK_VIEW, v.name, get(l, map, "name"))) <
	    0)
		goto out;
	if (!(en = get(l, map, "entity"))) {
		rc = at(l, map, "%s has no 'entity'", where);
		goto out;
	}
	if ((rc = ident(l, en, "entity", &v.entity)) < 0)
		goto out;
	if (!(sn = get(l, map, "source"))) {
		rc = at(l, map, "%s has no 'source'", where);
		goto out;
	}
	if ((rc = ident(l, sn, "source", &v.source)) < 0)
		goto out;
	if ((n = get(l, map, "ttl")) && !is_null(n)) {
		if ((rc = scalar(l, n, "ttl", &val)) < 0)
			goto out;
		if (mlp_duration_parse(val, &v.ttl) < 0) {
			rc = at(l, n, "ttl '%.60s' of %s is not a duration "
			    "(such as 90s, 15m, 1h, 7d, 2w, or 0 for none)",
			    val, where);
			goto out;
		}
	}
	if ((rc = parse_features(l, map, &v, where, &outs, &nouts)) < 0 ||
	    (rc = parse_aggs(l, map, &v, where, &outs, &nouts)) < 0 ||
	    (rc = parse_derived(l, map, &v, where, &outs, &nouts)) < 0)
		goto out;
	if (nouts == 0) {
		rc = at(l, map, "%s has no features (give features, "
		    "aggregations or derived)", where);
		goto out;
	}
	if ((rc = opt_text(l, map, "description", "description",
	    &v.description)) < 0 ||
	    (rc = parse_tags(l, map, &v)) < 0)
		goto out;
	l->s->views = xrealloc(l->s->views, (l->s->nviews + 1) * sizeof(v));
	l->s->views[l->s->nviews++] = v;
	memset(&v, 0, sizeof(v));
	pend(l, P_ENTITY, idx, 0, en);
	pend(l, P_SOURCE, idx, 0, sn);
out:
	view_release(&v);
	free(outs);
	free(where);
	return rc;
}

/* feature services */

static const char *const service_keys[] = { "name", "features",
	"description", NULL };

static void
service_release(struct mlp_fservice *s)
{
	free(s->name);
	for (size_t i = 0; i < s->nrefs; i++)
		free(s->refs[i]);
	free(s->refs);
	free(s->description);
}

static int
parse_service(struct loader *l, yaml_node_t *map)
{
	struct mlp_fservice s = { 0 };
	size_t idx = l->s->nservices, n;
	yaml_node_t *seq;
	char *where = NULL;
	int rc;

	s.pos = pos_of(l, map);
	if ((rc = begin_object(l, map, MLP_FK_SERVICE, service_keys, &s.name,
	    &where)) < 0 ||
	    (rc = check_unique(l, MLP_FK_SERVICE, s.name, get(l, map,
	    "name"))) < 0)
		goto out;
	if (!(seq = get(l, map, "features"))) {
		rc = at(l, map, "%s has no 'features'", where);
		goto out;
	}
	if ((rc = want(l, seq, YAML_SEQUENCE_NODE, "features")) < 0)
		goto out;
	n = (size_t)(seq->data.sequence.items.top -
	    seq->data.sequence.items.start);
	if (n == 0) {
		rc = at(l, seq, "%s lists no features", where);
		goto out;
	}
	s.refs = xcalloc(n, sizeof(*s.refs));
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *r = node(l, seq->data.sequence.items.start[i]);

		if ((rc = text(l, r, "a feature reference", &s.refs[i])) < 0)
			goto out;
		s.nrefs++;
		pend(l, P_REF, idx, i, r);
	}
	if ((rc = opt_text(l, map, "description", "description",
	    &s.description)) < 0)
		goto out;
	l->s->services = xrealloc(l->s->services, (l->s->nservices + 1) *
	    sizeof(s));
	l->s->services[l->s->nservices++] = s;
	memset(&s, 0, sizeof(s));
out:
	service_release(&s);
	free(where);
	return rc;
}

/* A file's document. */
static const char *const top_keys[] = { "entities", "sources",
	"feature_views", "feature_services", NULL };

static int
parse_doc(struct loader *l)
{
	static int (*const parse[])(struct loader *, yaml_node_t *) = {
		parse_entity, parse_source, parse_view, parse_service,
	};
	yaml_node_t *root = yaml_document_get_root_node(l->doc);
	int rc;

	if (!root || is_null(root))
		return 0;	/* an empty file defines nothing */
	if ((rc = want(l, root, YAML_MAPPING_NODE, "a feature spec")) < 0 ||
	    (rc = check_keys(l, root, top_keys, "the spec")) < 0)
		return rc;
	for (int k = 0; k < MLP_FK_COUNT; k++) {
		yaml_node_t *seq = get(l, root, top_keys[k]);

		if (!seq || is_null(seq))
			continue;
		if ((rc = want(l, seq, YAML_SEQUENCE_NODE, top_keys[k])) < 0)
			return rc;
		for (yaml_node_item_t *it = seq->data.sequence.items.start;
		    it < seq->data.sequence.items.top; it++)
			if ((rc = parse[k](l, node(l, *it))) < 0)
				return rc;
	}
	return 0;
}

/* The checks that need every file: references and join keys. */

static const char **
names_of(const struct mlp_fspec *s, enum mlp_fkind kind, size_t *n)
{
	const char **v;

	*n = kind == MLP_FK_ENTITY ? s->nentities : kind == MLP_FK_SOURCE ?
	    s->nsources : kind == MLP_FK_VIEW ? s->nviews : s->nservices;
	v = xcalloc(*n + 1, sizeof(*v));
	for (size_t i = 0; i < *n; i++)
		v[i] = kind == MLP_FK_ENTITY ? s->entities[i].name :
		    kind == MLP_FK_SOURCE ? s->sources[i].name :
		    kind == MLP_FK_VIEW ? s->views[i].name :
		    s->services[i].name;
	return v;
}

static const char **
output_names(const struct mlp_fview *v, size_t *n)
{
	const char **names;

	*n = mlp_fview_noutputs(v);
	names = xcalloc(*n + 1, sizeof(*names));
	for (size_t i = 0; i < *n; i++) {
		struct mlp_foutput o;

		mlp_fview_output(v, i, &o);
		names[i] = o.name;
	}
	return names;
}

/* "no entity 'drivr' (did you mean 'driver'?)" */
static int
dangling(struct mlp_err *err, const struct mlp_fpos *pos,
    const struct mlp_fspec *s, enum mlp_fkind kind, const char *name,
    const char *where)
{
	size_t n;
	const char **names = names_of(s, kind, &n);
	char dym[128];
	int rc;

	rc = fail_pos(err, pos, "%s: no %s '%.60s'%s", where,
	    kind_titles[kind], name, suggest(dym, name, names, n));
	free(names);
	return rc;
}

static const struct mlp_fpos *
output_pos(const struct mlp_fview *v, const struct mlp_foutput *o)
{
	return o->kind == MLP_FOUT_FEATURE ? &v->features[o->index].pos :
	    o->kind == MLP_FOUT_AGG ? &v->aggs[o->index].pos :
	    &v->derived[o->index].pos;
}

static int
check_view(struct mlp_fspec *s, const struct pending *p, struct mlp_err *err)
{
	const struct mlp_fview *v = &s->views[p->obj];
	const struct mlp_fentity *e;
	char where[160];

	snprintf(where, sizeof(where), "feature view '%s'", v->name);
	if (p->what == P_SOURCE)
		return mlp_fspec_source(s, v->source) ? 0 : dangling(err,
		    &p->pos, s, MLP_FK_SOURCE, v->source, where);
	if (!(e = mlp_fspec_entity(s, v->entity)))
		return dangling(err, &p->pos, s, MLP_FK_ENTITY, v->entity,
		    where);
	for (size_t k = 0; k < e->nkeys; k++) {
		struct mlp_foutput o;

		if (mlp_fview_find(v, e->join_keys[k], &o) == 0)
			return fail_pos(err, output_pos(v, &o), "%s: '%s' is "
			    "a join key of its entity '%s', not a feature",
			    where, o.name, e->name);
	}
	return 0;
}

/* Appends ref to service i's new list, once. */
static int
add_ref(struct mlp_strv *refs, const char *ref, const struct pending *p,
    const char *service, struct mlp_err *err)
{
	for (size_t i = 0; i < refs->n; i++)
		if (strcmp(refs->v[i], ref) == 0)
			return fail_pos(err, &p->pos, "feature service '%s' "
			    "lists '%s' twice", service, ref);
	mlp_strv_push(refs, ref);
	return 0;
}

/* A service's entry: "VIEW:FEATURE", or "VIEW" for all its outputs. */
static int
expand_ref(struct mlp_fspec *s, const struct mlp_fservice *sv,
    const struct pending *p, struct mlp_strv *refs, struct mlp_err *err)
{
	const char *raw = sv->refs[p->ref], *colon = strchr(raw, ':');
	char *vname = xstrndup(raw, colon ? (size_t)(colon - raw) :
	    strlen(raw)), where[160];
	const struct mlp_fview *v;
	int rc = 0;

	snprintf(where, sizeof(where), "feature service '%s'", sv->name);
	if (!valid_name(vname) || (colon && (!valid_name(colon + 1)))) {
		rc = fail_pos(err, &p->pos, "%s: '%.60s' is not a feature "
		    "reference (VIEW:FEATURE, or VIEW for all its features)",
		    where, raw);
		goto out;
	}
	if (!(v = mlp_fspec_view(s, vname))) {
		rc = dangling(err, &p->pos, s, MLP_FK_VIEW, vname, where);
		goto out;
	}
	if (colon) {
		size_t n;
		const char **names;
		char dym[128];

		if (mlp_fview_find(v, colon + 1, NULL) == 0) {
			rc = add_ref(refs, raw, p, sv->name, err);
			goto out;
		}
		names = output_names(v, &n);
		rc = fail_pos(err, &p->pos, "%s: no feature '%s' in feature "
		    "view '%s'%s", where, colon + 1, v->name, suggest(dym,
		    colon + 1, names, n));
		free(names);
		goto out;
	}
	for (size_t i = 0; i < mlp_fview_noutputs(v) && rc == 0; i++) {
		struct mlp_foutput o;
		char *ref;

		mlp_fview_output(v, i, &o);
		ref = xasprintf("%s:%s", v->name, o.name);
		rc = add_ref(refs, ref, p, sv->name, err);
		free(ref);
	}
out:
	free(vname);
	return rc;
}

static int
check_refs(struct loader *l)
{
	int rc = 0;

	for (size_t i = 0; i < l->npend && rc == 0; i++)
		if (l->pend[i].what != P_REF)
			rc = check_view(l->s, &l->pend[i], l->err);
	for (size_t si = 0; si < l->s->nservices && rc == 0; si++) {
		struct mlp_fservice *sv = &l->s->services[si];
		struct mlp_strv refs = MLP_STRV_INIT;

		for (size_t i = 0; i < l->npend && rc == 0; i++)
			if (l->pend[i].what == P_REF && l->pend[i].obj == si)
				rc = expand_ref(l->s, sv, &l->pend[i], &refs,
				    l->err);
		if (rc == 0) {
			for (size_t i = 0; i < sv->nrefs; i++)
				free(sv->refs[i]);
			free(sv->refs);
			sv->refs = refs.v;
			sv->nrefs = refs.n;
		} else {
			mlp_strv_release(&refs);
		}
	}
	for (size_t vi = 0; vi < l->s->nviews && rc == 0; vi++)
		rc = mlp_fview_type_derived(&l->s->views[vi], l->err);
	return rc;
}

void
mlp_fview_expr_env(const struct mlp_fview *v, size_t d,
    struct mlp_expr_env *env)
{
	size_t n = v->nfeatures + (mlp_fview_noutputs(v) - v->nfeatures -
	    v->nderived) + d;
	struct mlp_expr_var *vars = xcalloc(n ? n : 1, sizeof(*vars));

	for (size_t i = 0; i < n; i++) {
		struct mlp_foutput o;

		mlp_fview_output(v, i, &o);
		vars[i].name = o.name;
		vars[i].slot = i;
		vars[i].type = o.type;
	}
	env->vars = vars;
	env->nvars = n;
}

int
mlp_fview_type_derived(struct mlp_fview *v, struct mlp_err *err)
{
	int rc = 0;

	for (size_t d = 0; d < v->nderived && rc == 0; d++) {
		struct mlp_expr_env env;
		struct mlp_expr *e = NULL;
		struct mlp_err xerr;

		mlp_fview_expr_env(v, d, &env);
		if (mlp_expr_compile(v->derived[d].expr, &env, &e, &xerr) < 0)
			rc = v->derived[d].pos.file ? fail_pos(err,
			    &v->derived[d].pos, "derived feature '%s' of "
			    "feature view '%s': %s", v->derived[d].name,
			    v->name, xerr.msg) : mlp_err_set(err, MLP_EINVAL,
			    "derived feature '%s' of feature view '%s': %s",
			    v->derived[d].name, v->name, xerr.msg);
		else
			v->derived[d].type = mlp_expr_type(e);
		mlp_expr_free(e);
		free((void *)env.vars);
	}
	return rc;
}

/* Files and directories. */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spec files of directory dir, sorted, appended to files. */
static int
list_dir(const char *dir, struct mlp_strv *files, struct mlp_err *err)
{
	struct mlp_strv names = MLP_STRV_INIT;
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t len = strlen(dir);

	if (!d)
		return mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s", dir,
		    strerror(errno));
	while ((de = readdir(d))) {
		struct stat st;
		char *p;

		if (de->d_name[0] == '.' || !(mlp_ends_with(de->d_name,
		    ".yaml") || mlp_ends_with(de->d_name, ".yml")))
			continue;
		p = xasprintf("%s%s%s", dir, len && dir[len - 1] == '/' ? "" :
		    "/", de->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			mlp_strv_push_owned(&names, p);
		else
			free(p);
	}
	closedir(d);
	if (names.n == 0) {
		mlp_strv_release(&names);
		return mlp_err_set(err, MLP_EINVAL, "'%s' holds no .yaml or "
		    ".yml files", dir);
	}
	qsort(names.v, names.n, sizeof(*names.v), name_cmp);
	for (size_t i = 0; i < names.n; i++) {
		mlp_strv_push_owned(files, names.v[i]);
		names.v[i] = NULL;
	}
	mlp_strv_release(&names);
	return 0;
}

/* The absolute, resolved directory holding file. */
static char *
dir_of(const char *file)
{
	char *copy = xstrdup(file), *slash = strrchr(copy, '/'), *real;
	char buf[PATH_MAX];

	if (!slash)
		strcpy(copy, ".");
	else if (slash == copy)
		copy[1] = '\0';
	else
		*slash = '\0';
	real = realpath(copy, NULL);
	if (!real) {
		if (copy[0] == '/' || !getcwd(buf, sizeof(buf)))
			real = normalise(copy);
		else {
			char *j = xasprintf("%s/%s", buf, copy);

			real = normalise(j);
			free(j);
		}
	}
	free(copy);
	return real;
}

static int
load_file(struct loader *l, const char *path)
{
	yaml_document_t doc;
	int rc;

	if ((rc = mlp_yaml_load(path, &doc, l->err)) < 0)
		return rc;
	l->doc = &doc;
	l->file = l->s->files[l->s->nfiles - 1];
	l->dir = dir_of(path);
	rc = parse_doc(l);
	free(l->dir);
	l->dir = NULL;
	l->doc = NULL;
	yaml_document_delete(&doc);
	return rc;
}

int
mlp_fspec_load(const char *const *paths, size_t npaths, const char *root,
    struct mlp_fspec **out, struct mlp_err *err)
{
	struct mlp_strv files = MLP_STRV_INIT, seen = MLP_STRV_INIT;
	struct loader l = { 0 };
	int rc = 0;

	*out = NULL;
	l.s = xcalloc(1, sizeof(*l.s));
	l.err = err;
	if (root) {
		char *r = realpath(root, NULL);

		l.root = r ? r : normalise(root);
	}
	for (size_t i = 0; i < npaths && rc == 0; i++) {
		struct stat st;

		if (stat(paths[i], &st) < 0)
			rc = mlp_err_set(err, errno == ENOENT ? MLP_ENOTFOUND :
			    MLP_EFAIL, "cannot read '%s': %s", paths[i],
			    strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = list_dir(paths[i], &files, err);
		else
			mlp_strv_push(&files, paths[i]);
	}
	for (size_t i = 0; i < files.n && rc == 0; i++) {
		char *real = realpath(files.v[i], NULL);
		int dup = 0;

		for (size_t j = 0; real && j < seen.n && !dup; j++)
			dup = strcmp(seen.v[j], real) == 0;
		if (dup) {
			free(real);
			continue;
		}
		if (real)
			mlp_strv_push_owned(&seen, real);
		l.s->files = xrealloc(l.s->files, (l.s->nfiles + 1) *
		    sizeof(*l.s->files));
		l.s->files[l.s->nfiles++] = xstrdup(files.v[i]);
		rc = load_file(&l, files.v[i]);
	}
	if (rc == 0)
		rc = check_refs(&l);
	if (rc == 0) {
		*out = l.s;
		l.s = NULL;
	}
	mlp_fspec_free(l.s);
	mlp_strv_release(&files);
	mlp_strv_release(&seen);
	free(l.pend);
	free(l.root);
	return rc;
}

void
mlp_fspec_free(struct mlp_fspec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nentities; i++)
		entity_release(&s->entities[i]);
	free(s->entities);
	for (size_t i = 0; i < s->nsources; i++)
		source_release(&s->sources[i]);
	free(s->sources);
	for (size_t i = 0; i < s->nviews; i++)
		view_release(&s->views[i]);
	free(s->views);
	for (size_t i = 0; i < s->nservices; i++)
		service_release(&s->services[i]);
	free(s->services);
	for (size_t i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	free(s);
}

const struct mlp_fentity *
mlp_fspec_entity(const struct mlp_fspec *s, const char *name)
{
	for (size_t i = 0; i < s->nentities; i++)
		if (strcmp(s->entities[i].name, name) == 0)
			return &s->entities[i];
	return NULL;
}

const struct mlp_fsource *
mlp_fspec_source(const struct mlp_fspec *s, const char *name)
{
	for (size_t i = 0; i < s->nsources; i++)
		if (strcmp(s->sources[i].name, name) == 0)
			return &s->sources[i];
	return NULL;
}

const struct mlp_fview *
mlp_fspec_view(const struct mlp_fspec *s, const char *name)
{
	for (size_t i = 0; i < s->nviews; i++)
		if (strcmp(s->views[i].name, name) == 0)
			return &s->views[i];
	return NULL;
}

const struct mlp_fservice *
mlp_fspec_service(const struct mlp_fspec *s, const char *name)
{
	for (size_t i = 0; i < s->nservices; i++)
		if (strcmp(s->services[i].name, name) == 0)
			return &s->services[i];
	return NULL;
}

size_t
mlp_fview_noutputs(const struct mlp_fview *v)
{
	size_t n = v->nfeatures + v->nderived;

	for (size_t i = 0; i < v->naggs; i++)
		n += v->aggs[i].nwindows;
	return n;
}

void
mlp_fview_output(const struct mlp_fview *v, size_t i,
    struct mlp_foutput *out)
{
	memset(out, 0, sizeof(*out));
	if (i < v->nfeatures) {
		out->name = v->features[i].name;
		out->kind = MLP_FOUT_FEATURE;
		out->type = v->features[i].type;
		out->index = i;
		return;
	}
	i -= v->nfeatures;
	for (size_t a = 0; a < v->naggs; a++) {
		if (i < v->aggs[a].nwindows) {
			out->name = v->aggs[a].names[i];
			out->kind = MLP_FOUT_AGG;
			out->type = v->aggs[a].op == MLP_AGG_COUNT ?
			    MLP_FT_INT : MLP_FT_FLOAT;
			out->index = a;
			out->window = i;
			return;
		}
		i -= v->aggs[a].nwindows;
	}
	out->name = v->derived[i].name;
	out->kind = MLP_FOUT_DERIVED;
	out->type = v->derived[i].type;
	out->index = i;
}

int
mlp_fview_find(const struct mlp_fview *v, const char *name,
    struct mlp_foutput *out)
{
	size_t n = mlp_fview_noutputs(v);

	for (size_t i = 0; i < n; i++) {
		struct mlp_foutput o;

		mlp_fview_output(v, i, &o);
		if (strcmp(o.name, name) == 0) {
			if (out)
				*out = o;
			return 0;
		}
	}
	return -1;
}

int
mlp_fspec_resolve(const struct mlp_fspec *s, const char *ref,
    const struct mlp_fview **view, struct mlp_foutput *out,
    struct mlp_err *err)
{
	const char *colon = strchr(ref, ':'), **names;
	const struct mlp_fview *v;
	char *vname, dym[128];
	size_t n;
	int rc;

	if (!colon || colon == ref || !colon[1] || strchr(colon + 1, ':'))
		return mlp_err_set(err, MLP_EINVAL, "'%.80s' is not a feature "
		    "reference (VIEW:FEATURE)", ref);
	vname = xstrndup(ref, (size_t)(colon - ref));
	if (!(v = mlp_fspec_view(s, vname))) {
		names = names_of(s, MLP_FK_VIEW, &n);
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no feature view '%.80s'%s",
		    vname, suggest(dym, vname, names, n));
		free(names);
		free(vname);
		return rc;
	}
	free(vname);
	if (mlp_fview_find(v, colon + 1, out) < 0) {
		names = output_names(v, &n);
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no feature '%.80s' in "
		    "feature view '%s'%s", colon + 1, v->name, suggest(dym,
		    colon + 1, names, n));
		free(names);
		return rc;
	}
	*view = v;
	return 0;
}
