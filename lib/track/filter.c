/* The run search language: a recursive-descent parser for MLflow's filter
 * grammar plus OR, NOT and parentheses, and its compiler to SQL. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"

#define MAX_LEN		65536	/* bytes of filter text */
#define MAX_DEPTH	64	/* nested parentheses and NOTs */
#define MAX_ARGS	10000	/* bound values, well under SQLite's limit */
#define MAX_KEY		250	/* MLflow's limit on a key */
#define FLAT_MAX	16	/* AND/OR terms emitted in a row before nesting */
#define SNIP		48	/* bytes of user text quoted in a message */

/* SQLite's parser has a fixed stack (YYSTACKDEPTH, 100 entries before
 * 3.46) and refuses expression trees deeper than 1000. The compiled SQL is
 * costed in the same units before it is accepted: S_MAX parser entries for
 * the nesting of groups (about 30 more go to the widest comparison and the
 * caller's query around it), H_MAX levels of expression tree. */
#define S_MAX		56
#define H_MAX		900
#define LEAF_H		10	/* tree height of the deepest comparison */

struct attr {
	const char *name;	/* canonical */
	const char *column;
	int numeric;
	int nullable;
};

static const struct attr attrs[] = {
	{ "run_id", "r.uuid", 0, 0 },
	{ "run_name", "r.name", 0, 0 },
	{ "status", "r.status", 0, 0 },
	{ "user_id", "r.user", 0, 0 },
	{ "lifecycle_stage", "r.lifecycle", 0, 0 },
	{ "experiment_id", "r.experiment", 1, 0 },
	{ "start_time", "r.start_time", 1, 0 },
	{ "end_time", "r.end_time", 1, 1 },
};

static const struct {
	const char *alias, *name;
} attr_aliases[] = {
	{ "run name", "run_name" },
	{ "created", "start_time" },
};

#define VALID_ATTRS "run_id, run_name, status, user_id, lifecycle_stage, " \
	"experiment_id, start_time, end_time"

static const struct {
	const char *name;
	enum mlp_field_kind kind;
} prefixes[] = {
	{ "metrics", MLP_FIELD_METRIC },
	{ "metric", MLP_FIELD_METRIC },
	{ "params", MLP_FIELD_PARAM },
	{ "param", MLP_FIELD_PARAM },
	{ "parameters", MLP_FIELD_PARAM },
	{ "parameter", MLP_FIELD_PARAM },
	{ "tags", MLP_FIELD_TAG },
	{ "tag", MLP_FIELD_TAG },
	{ "attributes", MLP_FIELD_ATTR },
	{ "attribute", MLP_FIELD_ATTR },
	{ "attr", MLP_FIELD_ATTR },
	{ "run", MLP_FIELD_ATTR },
	{ "datasets", MLP_FIELD_DATASET },
	{ "dataset", MLP_FIELD_DATASET },
};

/* A run's dataset inputs are its tags mlp.dataset.CONTEXT.FIELD (mlp train
 * writes them); datasets.name, .digest and .context match when any one of
 * the run's datasets does, as in MLflow. */
#define DATASET_TAG "mlp.dataset."
#define DATASET_KEY_AT "13"	/* 1 + strlen(DATASET_TAG) */
#define DATASET_CUT "19"	/* strlen(DATASET_TAG) + strlen(".digest") */
static const char *const dataset_fields[] = { "name", "digest", "context" };

static const char *const keywords[] = {
	"AND", "OR", "NOT", "IN", "LIKE", "ILIKE",
};

enum tok_type {
	T_EOF, T_WORD, T_NUM, T_STR, T_QKEY, T_LP, T_RP, T_COMMA, T_OP,
};

struct tok {
	enum tok_type type;
	int pos, len;
};

enum op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_LIKE, OP_ILIKE, OP_NOT_LIKE, OP_NOT_ILIKE, OP_IN, OP_NOT_IN,
};

static const char *const op_sql[] = {
	[OP_EQ] = "=", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
	[OP_GT] = ">", [OP_GE] = ">=", [OP_LIKE] = "LIKE",
	[OP_ILIKE] = "ILIKE", [OP_NOT_LIKE] = "NOT LIKE",
	[OP_NOT_ILIKE] = "NOT ILIKE", [OP_IN] = "IN", [OP_NOT_IN] = "NOT IN",
};

struct value {
	char *s;	/* a string value, else NULL */
	double d;
	int64_t i;
	int is_int;	/* i holds the number exactly */
};

enum node_type { N_TRUE, N_OR, N_AND, N_NOT, N_CMP };

struct node {
	enum node_type type;
	int pos;		/* where it starts in the filter text */
	struct node **kids;	/* N_OR, N_AND; N_NOT has one */
	size_t nkids, kids_alloc;
	struct mlp_field field;	/* N_CMP */
	const struct attr *attr;
	enum op op;
	int neg;		/* N_CMP: negated */
	struct value *vals;
	size_t nvals, vals_alloc;
	int s, h, crit;		/* SQL cost (see plan()); where it peaks */
};

struct mlp_filter {
	struct node *root;
};

struct parser {
	const char *s;
	int at;			/* where the lexer scans next */
	struct tok tok;		/* the current token */
	int depth;
	int nargs;
	struct mlp_err *err;
};

static int parse_or(struct parser *p, struct node **out);

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_word(int c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == ':' ||
	    c == '/' || c == '-';
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Bytes in the UTF-8 character at s, never past a NUL; a stray byte is one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n = 1;

	if (*s < 0xc0)
		return 1;
	while (n < 4 && (s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* Copies at most SNIP bytes of s[0..n) into out, cut on a character
 * boundary, with "..." when cut. */
static void
snip(char *out, size_t outsz, const char *s, int n)
{
	int m = n;

	if (m > SNIP) {
		m = SNIP;
		while (m > 0 && ((unsigned char)s[m] & 0xc0) == 0x80)
			m--;
	}
	snprintf(out, outsz, "%.*s%s", m, s, m < n ? "..." : "");
}

static int
syntax(struct parser *p, int pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
syntax(struct parser *p, int pos, const char *fmt, ...)
{
	char msg[sizeof(p->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mlp_err_set(p->err, MLP_ESYNTAX, "%s", msg);
	if (p->err)
		p->err->pos = pos;
	return MLP_ESYNTAX;
}

/* Describes the current token for "found ...": strings show their quotes,
 * anything else is put in quotes. */
static void
tok_desc(const struct parser *p, char *out, size_t outsz)
{
	char s[SNIP + 8];

	snip(s, sizeof(s), p->s + p->tok.pos, p->tok.len);
	if (p->tok.type == T_STR || p->tok.type == T_QKEY)
		snprintf(out, outsz, "%s", s);
	else
		snprintf(out, outsz, "'%s'", s);
}

/* The error for a token other than the one expected (what). */
static int
unexpected(struct parser *p, const char *what)
{
	char found[SNIP + 16];

	if (p->tok.type == T_EOF)
		return syntax(p, p->tok.pos,
		    "unexpected end of filter, expected %s", what);
	tok_desc(p, found, sizeof(found));
	return syntax(p, p->tok.pos, "expected %s, found %s", what, found);
}

/* Reads the next token into p->tok. */
static int
next(struct parser *p)
{
	const char *s = p->s;
	int i = p->at, j;
	unsigned char c;

	while (is_space((unsigned char)s[i]))
		i++;
	c = (unsigned char)s[i];
	p->tok.pos = i;
	p->tok.len = 1;
	if (c == '\0') {
		p->tok.type = T_EOF;
		p->tok.len = 0;
	} else if (c == '(') {
		p->tok.type = T_LP;
	} else if (c == ')') {
		p->tok.type = T_RP;
	} else if (c == ',') {
		p->tok.type = T_COMMA;
	} else if (c == '=' || c == '<' || c == '>' ||
	    (c == '!' && s[i + 1] == '=')) {
		p->tok.type = T_OP;
		if ((c != '=' && s[i + 1] == '=') ||
		    (c == '<' && s[i + 1] == '>'))
			p->tok.len = 2;
	} else if (c == '\'' || c == '"' || c == '`') {
		/* a doubled quote stands for itself, as in SQL */
		for (j = i + 1;; j++) {
			if (s[j] == '\0')
				return syntax(p, i, c == '`' ?
				    "unterminated quoted key" :
				    "unterminated string");
			if (s[j] == (char)c) {
				if (s[j + 1] != (char)c)
					break;
				j++;
			}
		}
		p->tok.type = c == '`' ? T_QKEY : T_STR;
		p->tok.len = j + 1 - i;
	} else if (is_digit(c) || (c == '.' && is_digit(s[i + 1])) ||
	    ((c == '+' || c == '-') && (is_digit(s[i + 1]) ||
	    (s[i + 1] == '.' && is_digit(s[i + 2]))))) {
		j = i;
		if (s[j] == '+' || s[j] == '-')
			j++;
		while (is_digit(s[j]))
			j++;
		if (s[j] == '.')
			for (j++; is_digit(s[j]); j++)
				;
		if (s[j] == 'e' || s[j] == 'E') {
			int k = j + 1;

			if (s[k] == '+' || s[k] == '-')
				k++;
			if (is_digit(s[k])) {
				while (is_digit(s[k]))
					k++;
				j = k;
			}
		}
		if (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_' ||
		    s[j] == '.') {
			char bad[SNIP + 8];

			while (is_word((unsigned char)s[j]))
				j++;
			snip(bad, sizeof(bad), s + i, j - i);
			return syntax(p, i, "invalid number '%s'", bad);
		}
		p->tok.type = T_NUM;
		p->tok.len = j - i;
	} else if (is_alpha(c) || c == '_') {
		for (j = i + 1; is_word((unsigned char)s[j]); j++)
			;
		p->tok.type = T_WORD;
		p->tok.len = j - i;
	} else if (c < 0x20 || c == 0x7f ||
	    (c >= 0x80 && utf8_len((const unsigned char *)s + i) == 1)) {
		return syntax(p, i, "unexpected byte 0x%02x", c);
	} else {
		return syntax(p, i, "unexpected character '%.*s'",
		    (int)utf8_len((const unsigned char *)s + i), s + i);
	}
	p->at = p->tok.pos + p->tok.len;
	return 0;
}

static int
is_kw(const struct parser *p, const char *kw)
{
	size_t n = strlen(kw);

	return p->tok.type == T_WORD && (size_t)p->tok.len == n &&
	    strncasecmp(p->s + p->tok.pos, kw, n) == 0;
}

static int
is_any_kw(const struct parser *p)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (is_kw(p, keywords[i]))
			return 1;
	return 0;
}

/* The contents of the quoted token at s (len bytes, quotes included). */
static char *
unquote(const char *s, int len)
{
	char *out = xmalloc((size_t)len), *o = out;
	char q = s[0];

	for (int i = 1; i < len - 1; i++) {
		*o++ = s[i];
		if (s[i] == q)
			i++;
	}
	*o = '\0';
	return out;
}

static const struct attr *
attr_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(attr_aliases) / sizeof(attr_aliases[0]); i++)
		if (strcmp(name, attr_aliases[i].alias) == 0) {
			name = attr_aliases[i].name;
			break;
		}
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		if (strcmp(name, attrs[i].name) == 0)
			return &attrs[i];
	return NULL;
}

static int
is_key_tok(const struct parser *p)
{
	return p->tok.type == T_QKEY ||
	    (p->tok.type == T_STR && p->s[p->tok.pos] == '"');
}

/* Parses an identifier at the current token into f (and *attr for an
 * attribute), leaving the token after it current; [*start, *end) is its
 * text. */
static int
parse_ident(struct parser *p, struct mlp_field *f, const struct attr **attr,
    int *start, int *end)
{
	const char *w = p->s + p->tok.pos;
	char s[SNIP + 8];
	int rc;

	f->key = NULL;
	f->kind = MLP_FIELD_ATTR;
	*attr = NULL;
	*start = p->tok.pos;
	if (is_key_tok(p)) {
		f->key = unquote(w, p->tok.len);
	} else if (p->tok.type == T_WORD && !is_any_kw(p)) {
		const char *dot = memchr(w, '.', (size_t)p->tok.len);
		int plen, rest;
		size_t i;

		if (!dot) {
			f->key = xstrndup(w, (size_t)p->tok.len);
			goto got;
		}
		plen = (int)(dot - w);
		rest = p->tok.len - plen - 1;
		for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
			if ((size_t)plen == strlen(prefixes[i].name) &&
			    strncasecmp(w, prefixes[i].name, (size_t)plen) == 0)
				break;
		if (i == sizeof(prefixes) / sizeof(prefixes[0])) {
			char pre[SNIP + 8];

			snip(pre, sizeof(pre), w, plen);
			snip(s, sizeof(s), w, p->tok.len);
			return syntax(p, *start, "unknown prefix '%s' in '%s' "
			    "(valid: metrics, params, tags, attributes, datasets)",
			    pre, s);
		}
		f->kind = prefixes[i].kind;
		if (rest > 0) {
			f->key = xstrndup(dot + 1, (size_t)rest);
			goto got;
		}
		/* metrics.`f1 score`: the quoted key follows the dot at once */
		if ((rc = next(p)) < 0)
			return rc;
		if (!is_key_tok(p) || p->tok.pos != (int)(dot + 1 - p->s)) {
			char what[SNIP + 24];

			snip(s, sizeof(s), w, plen + 1);
			snprintf(what, sizeof(what), "a key after '%s'", s);
			return unexpected(p, what);
		}
		f->key = unquote(p->s + p->tok.pos, p->tok.len);
	} else {
		return unexpected(p, "a field name");
	}
got:
	*end = p->tok.pos + p->tok.len;
	snip(s, sizeof(s), p->s + *start, *end - *start);
	if (f->key[0] == '\0')
		return syntax(p, *start, "empty key in '%s'", s);
	if (strlen(f->key) > MAX_KEY)
		return syntax(p, *start, "key too long in '%s' (%zu bytes; "
		    "at most %d)", s, strlen(f->key), MAX_KEY);
	if (f->kind == MLP_FIELD_DATASET) {
		size_t i;

		for (i = 0; i < sizeof(dataset_fields) / sizeof(*dataset_fields);
		    i++)
			if (strcasecmp(f->key, dataset_fields[i]) == 0)
				break;
		if (i == sizeof(dataset_fields) / sizeof(*dataset_fields))
			return syntax(p, *start, "unknown dataset field in '%s' "
			    "(valid: datasets.name, datasets.digest, "
			    "datasets.context)", s);
		free(f->key);
		f->key = xstrdup(dataset_fields[i]);
	}
	if (f->kind == MLP_FIELD_ATTR) {
		if (!(*attr = attr_find(f->key))) {
			snip(s, sizeof(s), f->key, (int)strlen(f->key));
			return syntax(p, *start, "unknown attribute '%s' "
			    "(valid: " VALID_ATTRS ")", s);
		}
		free(f->key);
		f->key = xstrdup((*attr)->name);
	}
	return next(p);
}

static struct node *
node_new(enum node_type type)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->type = type;
	return n;
}

static void
node_add(struct node *n, struct node *kid)
{
	mlp_grow(&n->kids, &n->kids_alloc, n->nkids + 1, sizeof(*n->kids));
	n->kids[n->nkids++] = kid;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	for (i = 0; i < n->nvals; i++)
		free(n->vals[i].s);
	free(n->vals);
	mlp_field_release(&n->field);
	free(n);
}

/* Parses a number token into v; integers that fit are kept exactly too. */
static void
parse_number(const char *s, int len, struct value *v)
{
	char *t = xstrndup(s, (size_t)len);

	v->d = strtod(t, NULL);
	if (!strpbrk(t, ".eE")) {
		errno = 0;
		v->i = strtoll(t, NULL, 10);
		v->is_int = errno != ERANGE;
	}
	free(t);
}

/* Parses one value for comparison n on the field named name. */
static int
parse_value(struct parser *p, struct node *n, const char *name)
{
	int numeric = n->field.kind == MLP_FIELD_METRIC ||
	    (n->attr && n->attr->numeric);
	const char *w = p->s + p->tok.pos;
	char found[SNIP + 16];
	struct value v;

	memset(&v, 0, sizeof(v));
	if (++p->nargs > MAX_ARGS)
		return syntax(p, p->tok.pos, "filter too large (more than %d "
		    "values)", MAX_ARGS);
	if (p->tok.type == T_EOF)
		return unexpected(p, "a value");
	tok_desc(p, found, sizeof(found));
	if (p->tok.type == T_NUM && numeric) {
		parse_number(w, p->tok.len, &v);
	} else if (p->tok.type == T_NUM) {
		return syntax(p, p->tok.pos, "%s: expected a quoted string, "
		    "found the number %.*s (quote it: '%.*s')", name,
		    p->tok.len > SNIP ? SNIP : p->tok.len, w,
		    p->tok.len > SNIP ? SNIP : p->tok.len, w);
	} else if (p->tok.type == T_STR && !numeric) {
		v.s = unquote(w, p->tok.len);
	} else if (p->tok.type == T_STR && n->attr &&
	    strcmp(n->attr->name, "experiment_id") == 0) {
		/* MLflow's experiment ids are strings: accept '3' too */
		int i, len = p->tok.len - 2;

		for (i = 1; i <= len && is_digit(w[i]); i++)
			;
		if (len == 0 || len > 18 || i <= len)
			return syntax(p, p->tok.pos, "%s: expected a number, "
			    "found %s", name, found);
		parse_number(w + 1, len, &v);
	} else {
		return syntax(p, p->tok.pos, "%s: expected %s, found %s", name,
		    numeric ? "a number" : "a quoted string", found);
	}
	mlp_grow(&n->vals, &n->vals_alloc, n->nvals + 1, sizeof(*n->vals));
	n->vals[n->nvals++] = v;
	return next(p);
}

static int
parse_compare(struct parser *p, struct node **out)
{
	struct node *n = node_new(N_CMP);
	char name[SNIP + 8], what[SNIP + 48];
	int start, end, op_pos, numeric, rc;

	n->pos = p->tok.pos;
	if ((rc = parse_ident(p, &n->field, &n->attr, &start, &end)) < 0)
		goto out;
	snip(name, sizeof(name), p->s + start, end - start);
	numeric = n->field.kind == MLP_FIELD_METRIC ||
	    (n->attr && n->attr->numeric);
	op_pos = p->tok.pos;
	if (p->tok.type == T_OP) {
		const char *o = p->s + p->tok.pos;

		if (o[0] == '=')
			n->op = OP_EQ;
		else if (o[0] == '!' || (o[0] == '<' && o[1] == '>'))
			n->op = OP_NE;
		else if (o[0] == '<')
			n->op = p->tok.len == 2 ? OP_LE : OP_LT;
		else
			n->op = p->tok.len == 2 ? OP_GE : OP_GT;
	} else if (is_kw(p, "LIKE")) {
		n->op = OP_LIKE;
	} else if (is_kw(p, "ILIKE")) {
		n->op = OP_ILIKE;
	} else if (is_kw(p, "IN")) {
		n->op = OP_IN;
	} else if (is_kw(p, "NOT")) {
		if ((rc = next(p)) < 0)
			goto out;
		if (is_kw(p, "LIKE")) {
			n->op = OP_NOT_LIKE;
		} else if (is_kw(p, "ILIKE")) {
			n->op = OP_NOT_ILIKE;
		} else if (is_kw(p, "IN")) {
			n->op = OP_NOT_IN;
		} else {
			rc = unexpected(p, "LIKE, ILIKE or IN after NOT");
			goto out;
		}
	} else {
		snprintf(what, sizeof(what), "a comparison operator after '%s'",
		    name);
		rc = unexpected(p, what);
		goto out;
	}
	if (numeric && n->op >= OP_LIKE && n->op <= OP_NOT_ILIKE) {
		rc = syntax(p, op_pos, "%s: '%s' is not allowed on a number "
		    "(use =, !=, <, <=, >, >=, IN or NOT IN)", name,
		    op_sql[n->op]);
		goto out;
	}
	if (!numeric && n->op >= OP_LT && n->op <= OP_GE) {
		rc = syntax(p, op_pos, "%s: '%s' is not allowed on a string "
		    "(use =, !=, LIKE, ILIKE, NOT LIKE, NOT ILIKE, IN or "
		    "NOT IN)", name, op_sql[n->op]);
		goto out;
	}
	if ((rc = next(p)) < 0)
		goto out;
	/* the key (and a LIKE's range) take bound values too */
	if ((p->nargs += 3) > MAX_ARGS) {
		rc = syntax(p, op_pos, "filter too large (more than %d values)",
		    MAX_ARGS);
		goto out;
	}
	if (n->op == OP_IN || n->op == OP_NOT_IN) {
		if (p->tok.type != T_LP) {
			snprintf(what, sizeof(what), "'(' after %s",
			    op_sql[n->op]);
			rc = unexpected(p, what);
			goto out;
		}
		if ((rc = next(p)) < 0)
			goto out;
		for (;;) {
			if ((rc = parse_value(p, n, name)) < 0)
				goto out;
			if (p->tok.type == T_RP)
				break;
			if (p->tok.type != T_COMMA) {
				rc = unexpected(p, "',' or ')'");
				goto out;
			}
			if ((rc = next(p)) < 0)
				goto out;
		}
		rc = next(p);
	} else {
		rc = parse_value(p, n, name);
	}
out:
	if (rc < 0) {
		node_free(n);
		n = NULL;
	}
	*out = n;
	return rc;
}

static int
parse_unary(struct parser *p, struct node **out)
{
	struct node *n = NULL, *kid = NULL;
	int not = is_kw(p, "NOT"), rc;

	*out = NULL;
	if (!not && p->tok.type != T_LP)
		return parse_compare(p, out);
	if (p->depth >= MAX_DEPTH)
		return syntax(p, p->tok.pos, "filter nested too deeply (at most "
		    "%d levels of parentheses and NOT)", MAX_DEPTH);
	p->depth++;
	if ((rc = next(p)) < 0)
		goto out;
	if (not) {
		if ((rc = parse_unary(p, &kid)) < 0)
			goto out;
		n = node_new(N_NOT);
		node_add(n, kid);
		kid = NULL;
	} else {
		if ((rc = parse_or(p, &kid)) < 0)
			goto out;
		if (p->tok.type != T_RP) {
			rc = unexpected(p, "')'");
			goto out;
		}
		if ((rc = next(p)) < 0)
			goto out;
		n = kid;
		kid = NULL;
	}
	p->depth--;
out:
	node_free(kid);
	*out = n;
	return rc;
}

/* sub ( kw sub )*, as one node of type with all the terms as children. */
static int
parse_chain(struct parser *p, struct node **out, enum node_type type,
    const char *kw, int (*sub)(struct parser *, struct node **))
{
	struct node *n = NULL, *kid;
	int rc;

	if ((rc = sub(p, &kid)) < 0)
		goto out;
	if (!is_kw(p, kw)) {
		n = kid;
		goto out;
	}
	n = node_new(type);
	node_add(n, kid);
	while (is_kw(p, kw)) {
		if ((rc = next(p)) < 0 || (rc = sub(p, &kid)) < 0)
			goto out;
		node_add(n, kid);
	}
out:
	if (rc < 0) {
		node_free(n);
		n = NULL;
	}
	*out = n;
	return rc;
}

static int
parse_and(struct parser *p, struct node **out)
{
	return parse_chain(p, out, N_AND, "AND", parse_unary);
}

static int
parse_or(struct parser *p, struct node **out)
{
	return parse_chain(p, out, N_OR, "OR", parse_and);
}

static int
parser_start(struct parser *p, const char *s, struct mlp_err *err)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->err = err;
	if (strnlen(s, MAX_LEN + 1) > MAX_LEN)
		return syntax(p, MAX_LEN, "filter too long (at most %d bytes)",
		    MAX_LEN);
	return next(p);
}

/* Rewrites n without NOT nodes, negation moving into the comparisons by De
 * Morgan's laws (exact here: every comparison is true or false, never
 * NULL), and with lists merged into a parent list of the same kind; returns
 * the new node, freeing those it replaces. */
static struct node *
normalize(struct node *n, int neg)
{
	struct node **kids, *k;
	size_t nkids, i, j;

	switch (n->type) {
	case N_NOT:
		k = n->kids[0];
		n->nkids = 0;
		node_free(n);
		return normalize(k, !neg);
	case N_CMP:
		n->neg ^= neg;
		return n;
	case N_AND:
	case N_OR:
		if (neg)
			n->type = n->type == N_AND ? N_OR : N_AND;
		kids = n->kids;
		nkids = n->nkids;
		n->kids = NULL;
		n->nkids = n->kids_alloc = 0;
		for (i = 0; i < nkids; i++) {
			k = normalize(kids[i], neg);
			if (k->type != n->type) {
				node_add(n, k);
				continue;
			}
			for (j = 0; j < k->nkids; j++)
				node_add(n, k->kids[j]);
			k->nkids = 0;
			node_free(k);
		}
		free(kids);
		return n;
	case N_TRUE:
		break;
	}
	return n;
}

/* The cost of emit_list(n, lo, hi): in a list "(a OR b OR c)" SQLite's
 * parser holds "(" while it parses a, then "( expr OR" while it parses each
 * of the others, and the left-deep tree puts a and b deepest. */
static void
range_cost(const struct node *n, size_t lo, size_t hi, int *s, int *h,
    int *crit)
{
	size_t i, k = hi - lo, d;
	int s2, h2, crit2;

	if (k > FLAT_MAX) {
		range_cost(n, lo, lo + k / 2, s, h, crit);
		range_cost(n, lo + k / 2, hi, &s2, &h2, &crit2);
		*s += 1;
		if (s2 + 3 > *s) {
			*s = s2 + 3;
			*crit = crit2;
		}
		*h = (*h > h2 ? *h : h2) + 1;
		return;
	}
	*s = n->kids[lo]->s + 1;
	*crit = n->kids[lo]->crit;
	*h = 0;
	for (i = lo; i < hi; i++) {
		const struct node *kid = n->kids[i];

		d = i - lo + 1 < 2 ? 2 : i - lo + 1;
		if (kid->h + (int)(k - d + 1) > *h)
			*h = kid->h + (int)(k - d + 1);
		if (i > lo && kid->s + 3 > *s) {
			*s = kid->s + 3;
			*crit = kid->crit;
		}
	}
}

/* Orders each list's terms costliest first, which keeps the parser's stack
 * shallow (and changes nothing else: the terms have no side effects), and
 * sets the cost of every node. */
static void
plan(struct node *n)
{
	size_t i, j;

	switch (n->type) {
	case N_AND:
	case N_OR:
		for (i = 0; i < n->nkids; i++)
			plan(n->kids[i]);
		for (i = 1; i < n->nkids; i++) {
			struct node *k = n->kids[i];

			for (j = i; j > 0 && n->kids[j - 1]->s < k->s; j--)
				n->kids[j] = n->kids[j - 1];
			n->kids[j] = k;
		}
		range_cost(n, 0, n->nkids, &n->s, &n->h, &n->crit);
		break;
	case N_NOT:
		plan(n->kids[0]);
		n->s = n->kids[0]->s + 2;
		n->h = n->kids[0]->h + 1;
		n->crit = n->kids[0]->crit;
		break;
	case N_CMP:
		n->s = 0;
		n->h = LEAF_H;
		n->crit = n->pos;
		break;
	case N_TRUE:
		n->h = 1;
		break;
	}
}

int
mlp_filter_parse(const char *expr, struct mlp_filter **out,
    struct mlp_err *err)
{
	struct parser p;
	struct node *root = NULL;
	int rc;

	*out = NULL;
	if ((rc = parser_start(&p, expr, err)) < 0)
		goto out;
	if (p.tok.type == T_EOF) {
		root = node_new(N_TRUE);
		goto out;
	}
	if ((rc = parse_or(&p, &root)) < 0)
		goto out;
	if (p.tok.type != T_EOF) {
		char found[SNIP + 16];

		tok_desc(&p, found, sizeof(found));
		rc = syntax(&p, p.tok.pos, "trailing input after the filter: %s",
		    found);
		goto out;
	}
	root = normalize(root, 0);
	plan(root);
	if (root->s > S_MAX || root->h > H_MAX)
		rc = syntax(&p, root->crit, "filter too complex: its groups "
		    "nest too deeply to compile");
out:
	if (rc < 0) {
		node_free(root);
		return rc;
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->root = root;
	return 0;
}

void
mlp_filter_free(struct mlp_filter *f)
{
	if (!f)
		return;
	node_free(f->root);
	free(f);
}

static void
collect_fields(const struct node *n, struct mlp_field **v, size_t *nv,
    size_t *alloc)
{
	if (n->type == N_CMP) {
		for (size_t i = 0; i < *nv; i++)
			if ((*v)[i].kind == n->field.kind &&
			    strcmp((*v)[i].key, n->field.key) == 0)
				return;
		mlp_grow(v, alloc, *nv + 1, sizeof(**v));
		(*v)[*nv].kind = n->field.kind;
		(*v)[(*nv)++].key = xstrdup(n->field.key);
	}
	for (size_t i = 0; i < n->nkids; i++)
		collect_fields(n->kids[i], v, nv, alloc);
}

void
mlp_filter_fields(const struct mlp_filter *f, struct mlp_field **out,
    size_t *n)
{
	size_t alloc = 0;

	*out = NULL;
	*n = 0;
	collect_fields(f->root, out, n, &alloc);
}

static void
emit(const struct node *n, struct mlp_buf *sql, struct mlp_sqlargs *args);

/* Emits kids[lo..hi) joined by op; long lists nest in halves so that
 * SQLite's expression tree stays shallow. */
static void
emit_list(const struct node *n, size_t lo, size_t hi, struct mlp_buf *sql,
    struct mlp_sqlargs *args)
{
	const char *op = n->type == N_OR ? " OR " : " AND ";
	size_t i, mid;

	mlp_buf_addc(sql, '(');
	if (hi - lo <= FLAT_MAX) {
		for (i = lo; i < hi; i++) {
			if (i > lo)
				mlp_buf_adds(sql, op);
			emit(n->kids[i], sql, args);
		}
	} else {
		mid = lo + (hi - lo) / 2;
		emit_list(n, lo, mid, sql, args);
		mlp_buf_adds(sql, op);
		emit_list(n, mid, hi, sql, args);
	}
	mlp_buf_addc(sql, ')');
}

static void
emit_arg(const struct node *n, const struct value *v,
    struct mlp_sqlargs *args)
{
	if (v->s)
		mlp_sqlargs_text(args, v->s);
	else if (n->attr && v->is_int)
		mlp_sqlargs_int(args, v->i);
	else
		mlp_sqlargs_double(args, v->d);
}

/* For LIKE 'abc%' on an indexed column: the range [abc, abd) that holds
 * every match, so SQLite searches the index instead of scanning the key. */
static int
like_range(const char *pat, char **lo, char **hi)
{
	size_t n = strcspn(pat, "%_");

	if (n == 0 || (unsigned char)pat[n - 1] >= 0x7f)
		return 0;
	*lo = xstrndup(pat, n);
	*hi = xstrndup(pat, n);
	(*hi)[n - 1]++;
	return 1;
}

/* The test on column col for comparison n. */
static void
emit_test(const struct node *n, const char *col, int indexed,
    struct mlp_buf *sql, struct mlp_sqlargs *args)
{
	char *lo, *hi;
	size_t i;

	switch (n->op) {
	case OP_LIKE:
	case OP_ILIKE:
	case OP_NOT_LIKE:
	case OP_NOT_ILIKE:
		if (n->op == OP_LIKE && indexed &&
		    like_range(n->vals[0].s, &lo, &hi)) {
			mlp_buf_addf(sql, "%s >= ? AND %s < ? AND ", col, col);
			mlp_sqlargs_text(args, lo);
			mlp_sqlargs_text(args, hi);
			free(lo);
			free(hi);
		}
		mlp_buf_addf(sql, "%smlp_like(?, %s, %d)",
		    n->op == OP_NOT_LIKE || n->op == OP_NOT_ILIKE ? "NOT " : "",
		    col, n->op == OP_ILIKE || n->op == OP_NOT_ILIKE);
		mlp_sqlargs_text(args, n->vals[0].s);
		break;
	case OP_IN:
	case OP_NOT_IN:
		mlp_buf_addf(sql, "%s %sIN (", col,
		    n->op == OP_NOT_IN ? "NOT " : "");
		for (i = 0; i < n->nvals; i++) {
			mlp_buf_adds(sql, i ? ", ?" : "?");
			emit_arg(n, &n->vals[i], args);
		}
		mlp_buf_addc(sql, ')');
		break;
	default:
		mlp_buf_addf(sql, "%s %s ?", col, op_sql[n->op]);
		emit_arg(n, &n->vals[0], args);
		break;
	}
}

static void
emit_cmp(const struct node *n, struct mlp_buf *sql, struct mlp_sqlargs *args)
{
	const char *table = n->field.kind == MLP_FIELD_PARAM ? "param" : "tag";

	switch (n->field.kind) {
	case MLP_FIELD_METRIC:
		mlp_buf_addf(sql, "(r.id %sIN (SELECT run FROM latest_metric "
		    "WHERE key = (SELECT id FROM metric_key WHERE name = ?) "
		    "AND ", n->neg ? "NOT " : "");
		mlp_sqlargs_text(args, n->field.key);
		emit_test(n, "value", 1, sql, args);
		mlp_buf_adds(sql, "))");
		break;
	case MLP_FIELD_PARAM:
	case MLP_FIELD_TAG:
		mlp_buf_addf(sql, "(r.id %sIN (SELECT run FROM %s WHERE "
		    "key = ? AND ", n->neg ? "NOT " : "", table);
		mlp_sqlargs_text(args, n->field.key);
		emit_test(n, "value", 1, sql, args);
		mlp_buf_adds(sql, "))");
		break;
	case MLP_FIELD_DATASET:
		/* the context is the middle of mlp.dataset.CONTEXT.digest;
		 * every dataset has a digest */
		mlp_buf_addf(sql, "(r.id %sIN (SELECT run FROM tag WHERE "
		    "key GLOB ? AND ", n->neg ? "NOT " : "");
		if (strcmp(n->field.key, "context") == 0) {
			mlp_sqlargs_text(args, DATASET_TAG "*.digest");
			emit_test(n, "substr(key, " DATASET_KEY_AT ", length(key) - "
			    DATASET_CUT ")", 0, sql, args);
		} else {
			char *glob = xasprintf(DATASET_TAG "*.%s",
			    n->field.key);

			mlp_sqlargs_text(args, glob);
			free(glob);
			emit_test(n, "value", 0, sql, args);
		}
		mlp_buf_adds(sql, "))");
		break;
	case MLP_FIELD_ATTR:
		/* a NULL column is a missing value: the test is false, not
		 * NULL, so that NOT includes the run */
		mlp_buf_adds(sql, n->neg ? "(NOT (" : "(");
		if (n->attr->nullable)
			mlp_buf_addf(sql, "%s IS NOT NULL AND ", n->attr->column);
		emit_test(n, n->attr->column, 0, sql, args);
		mlp_buf_adds(sql, n->neg ? "))" : ")");
		break;
	}
}

static void
emit(const struct node *n, struct mlp_buf *sql, struct mlp_sqlargs *args)
{
	switch (n->type) {
	case N_TRUE:
		mlp_buf_adds(sql, "1");
		break;
	case N_OR:
	case N_AND:
		emit_list(n, 0, n->nkids, sql, args);
		break;
	case N_NOT:	/* normalize() leaves none */
		mlp_buf_adds(sql, "(NOT ");
		emit(n->kids[0], sql, args);
		mlp_buf_addc(sql, ')');
		break;
	case N_CMP:
		emit_cmp(n, sql, args);
		break;
	}
}

int
mlp_filter_sql(const struct mlp_filter *f, struct mlp_buf *sql,
    struct mlp_sqlargs *args, struct mlp_err *err)
{
	if (!f || !f->root)
		mlp_buf_adds(sql, "1");
	else
		emit(f->root, sql, args);
	return 0;
}

int
mlp_field_parse(const char *s, struct mlp_field *out, struct mlp_err *err)
{
	struct parser p;
	const struct attr *attr;
	int start, end, rc;

	out->kind = MLP_FIELD_ATTR;
	out->key = NULL;
	if ((rc = parser_start(&p, s, err)) < 0)
		goto out;
	if ((rc = parse_ident(&p, out, &attr, &start, &end)) < 0)
		goto out;
	if (out->kind == MLP_FIELD_DATASET) {
		char name[SNIP + 8];

		snip(name, sizeof(name), s + start, end - start);
		rc = syntax(&p, start, "'%s': datasets.* can be used only in "
		    "a filter", name);
		goto out;
	}
	if (p.tok.type != T_EOF) {
		char name[SNIP + 8], found[SNIP + 16];

		snip(name, sizeof(name), s + start, end - start);
		tok_desc(&p, found, sizeof(found));
		rc = syntax(&p, p.tok.pos, "trailing input after '%s': %s",
		    name, found);
	}
out:
	if (rc < 0)
		mlp_field_release(out);
	return rc;
}

void
mlp_field_release(struct mlp_field *f)
{
	free(f->key);
	f->key = NULL;
}

int
mlp_field_sql(const struct mlp_field *f, struct mlp_buf *sql,
    struct mlp_sqlargs *args)
{
	const struct attr *attr;

	switch (f->kind) {
	case MLP_FIELD_METRIC:
		mlp_buf_adds(sql, "(SELECT value FROM latest_metric WHERE "
		    "run = r.id AND key = (SELECT id FROM metric_key WHERE "
		    "name = ?))");
		break;
	case MLP_FIELD_PARAM:
		mlp_buf_adds(sql, "(SELECT value FROM param WHERE run = r.id "
		    "AND key = ?)");
		break;
	case MLP_FIELD_TAG:
		mlp_buf_adds(sql, "(SELECT value FROM tag WHERE run = r.id "
		    "AND key = ?)");
		break;
	case MLP_FIELD_DATASET:
		return MLP_EINVAL;
	case MLP_FIELD_ATTR:
		if (!(attr = attr_find(f->key)))
			return MLP_EINVAL;
		mlp_buf_adds(sql, attr->column);
		return 0;
	}
	mlp_sqlargs_text(args, f->key);
	return 0;
}

int
mlp_like_match(const char *pattern, const char *s, int nocase)
{
	const unsigned char *p = (const unsigned char *)pattern;
	const unsigned char *t = (const unsigned char *)s;
	const unsigned char *star_p = NULL, *star_t = NULL;

	/* greedy, going back to the last % on a mismatch: O(len * len) at
	 * worst, no recursion */
	while (*t) {
		if (*p == '%') {
			while (*p == '%')
				p++;
			if (!*p)
				return 1;
			star_p = p;
			star_t = t;
		} else if (*p == '_') {
			p++;
			t += utf8_len(t);
		} else if (*p && (*p == *t ||
		    (nocase && lower(*p) == lower(*t)))) {
			p++;
			t++;
		} else if (star_p) {
			star_t += utf8_len(star_t);
			t = star_t;
			p = star_p;
		} else {
			return 0;
		}
	}
	while (*p == '%')
		p++;
	return *p == '\0';
}

static void
sql_like(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *pat, *s;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	pat = sqlite3_value_text(argv[0]);
	s = sqlite3_value_text(argv[1]);
	if (!pat || !s) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_int(ctx, mlp_like_match((const char *)pat,
	    (const char *)s, sqlite3_value_int(argv[2])));
}

int
mlp_filter_register_sql(struct mlp_db *db, struct mlp_err *err)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;

#ifdef SQLITE_INNOCUOUS
	flags |= SQLITE_INNOCUOUS;
#endif
	if (sqlite3_create_function_v2(db->h, "mlp_like", 3, flags, NULL,
	    sql_like, NULL, NULL, NULL) != SQLITE_OK)
		return mlp_db_error(db, err,
		    "cannot register SQL function 'mlp_like'");
	return 0;
}
