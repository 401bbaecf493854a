/* YAML documents read with limits: size, nesting (counted on libyaml's
 * event stream before a document is built) and repeated keys. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "data.h"

/* A problem at a mark: "'f.yaml' line 3: what". */
static int
yaml_fail(struct mlp_err *err, const char *path, size_t line,
    const char *what)
{
	return mlp_err_set(err, MLP_EINVAL, "'%s' line %zu: %s", path,
	    line + 1, what);
}

/* The syntax error the parser met, with its line. */
static int
parse_error(struct mlp_err *err, const char *path, const yaml_parser_t *p)
{
	return mlp_err_set(err, MLP_EINVAL, "'%s' line %zu: not valid YAML "
	    "(%s)", path, p->problem_mark.line + 1, p->problem ? p->problem :
	    "a syntax error");
}

/* Walks the event stream once: nesting within MLP_YAML_MAX_DEPTH, one
 * document at most. libyaml's scanner costs time quadratic in the depth,
 * so this stops at the first level too deep, before more is scanned. */
static int
check_events(const char *path, const char *text, size_t len,
    struct mlp_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, rc = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_type_t t;
		size_t line;

		if (!yaml_parser_parse(&p, &ev)) {
			rc = parse_error(err, path, &p);
			break;
		}
		t = ev.type;
		line = ev.start_mark.line;
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
		if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			rc = yaml_fail(err, path, line, "a second document "
			    "(one is allowed)");
			break;
		}
		if ((t == YAML_SEQUENCE_START_EVENT ||
		    t == YAML_MAPPING_START_EVENT) &&
		    ++depth > MLP_YAML_MAX_DEPTH) {
			char what[80];

			snprintf(what, sizeof(what), "nested more than %d "
			    "levels deep", MLP_YAML_MAX_DEPTH);
			rc = yaml_fail(err, path, line, what);
			break;
		}
		if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT)
			depth--;
	}
	yaml_parser_delete(&p);
	return rc;
}

struct key {
	const char *s;
	size_t n, line;
};

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);

	if (c)
		return c;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* A key given twice in one mapping is refused (libyaml and PyYAML keep
 * the last silently), naming both lines. Each mapping node is visited
 * once, in the document's node table, so aliases cost nothing. */
static int
check_keys(const char *path, yaml_document_t *doc, struct mlp_err *err)
{
	struct key *keys = NULL;
	size_t alloc = 0;
	int rc = 0;

	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top && !rc;
	    n++) {
		size_t nk = 0;

		if (n->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		    pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(doc, pr->key);

			if (!k || k->type != YAML_SCALAR_NODE)
				continue;
			mlp_grow(&keys, &alloc, nk + 1, sizeof(*keys));
			keys[nk++] = (struct key){
				(const char *)k->data.scalar.value,
				k->data.scalar.length, k->start_mark.line
			};
		}
		if (nk > 1)
			qsort(keys, nk, sizeof(*keys), key_cmp);
		for (size_t i = 1; i < nk && !rc; i++) {
			char what[160];

			if (keys[i].n != keys[i - 1].n ||
			    memcmp(keys[i].s, keys[i - 1].s, keys[i].n) != 0)
				continue;
			snprintf(what, sizeof(what), "duplicate key '%.*s' "
			    "(first at line %zu)", keys[i].n > 60 ? 60 :
			    (int)keys[i].n, keys[i].s, keys[i - 1].line + 1);
			rc = yaml_fail(err, path, keys[i].line, what);
		}
	}
	free(keys);
	return rc;
}

int
mlp_yaml_parse(const char *path, const char *text, size_t len,
    struct yaml_document_s *doc, struct mlp_err *err)
{
	yaml_parser_t p;
	int rc;

	memset(doc, 0, sizeof(*doc));
	if (len > MLP_YAML_MAX_BYTES)
		return mlp_err_set(err, MLP_EINVAL, "'%s' is larger than %zu "
		    "MiB", path, MLP_YAML_MAX_BYTES >> 20);
	if ((rc = check_events(path, text, len, err)) < 0)
		return rc;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, doc)) {
		rc = parse_error(err, path, &p);
		yaml_parser_delete(&p);
		memset(doc, 0, sizeof(*doc));
		return rc;
	}
	yaml_parser_delete(&p);
	if ((rc = check_keys(path, doc, err)) < 0) {
		yaml_document_delete(doc);
		memset(doc, 0, sizeof(*doc));
	}
	return rc;
}

int
mlp_yaml_load(const char *path, struct yaml_document_s *doc,
    struct mlp_err *err)
{
	char *text = NULL;
	size_t len;
	int rc;

	memset(doc, 0, sizeof(*doc));
	if ((rc = mlp_read_file(path, MLP_YAML_MAX_BYTES, &text, &len,
	    err)) < 0)
		return rc;
	rc = mlp_yaml_parse(path, text, len, doc, err);
	free(text);
	return rc;
}
