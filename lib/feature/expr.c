/* The feature expression language: a one-pass parser that type-checks,
 * folds constants and emits a typed stack machine, and its evaluator. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data/data.h"
#include "feature/feature.h"

#define MAX_LEN		65536	/* bytes of text */
#define MAX_DEPTH	256	/* nested parentheses, calls, prefix operators */
#define MAX_STACK	512	/* values pending at once while evaluating */
#define SNIP		48	/* bytes of user text quoted in a message */

/* Static types are enum mlp_ftype plus the type of the literal null,
 * which takes whatever type its context needs. */
#define T_NULL		4

/* Binding strength, loosest first; an atom binds tightest. */
enum { P_OR = 1, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_UNARY, P_ATOM };

enum binop {
	B_OR, B_AND, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE,
	B_ADD, B_SUB, B_MUL, B_DIV, B_MOD,
};

static const struct {
	const char *text;	/* canonical spelling */
	const char *verb;	/* "cannot VERB string and float" */
	int prec;
} binops[] = {
	[B_OR] = { "or", NULL, P_OR },
	[B_AND] = { "and", NULL, P_AND },
	[B_EQ] = { "=", NULL, P_CMP },
	[B_NE] = { "!=", NULL, P_CMP },
	[B_LT] = { "<", NULL, P_CMP },
	[B_LE] = { "<=", NULL, P_CMP },
	[B_GT] = { ">", NULL, P_CMP },
	[B_GE] = { ">=", NULL, P_CMP },
	[B_ADD] = { "+", "add", P_ADD },
	[B_SUB] = { "-", "subtract", P_ADD },
	[B_MUL] = { "*", "multiply", P_MUL },
	[B_DIV] = { "/", "divide", P_MUL },
	[B_MOD] = { "%", "take the remainder of", P_MUL },
};

/* The machine's instructions. Operands are on the stack, the last pushed
 * on top; an instruction replaces its operands by its result. */
enum opcode {
	I_CONST,		/* push consts[arg] */
	I_LOADF, I_LOADI, I_LOADS, I_LOADB,	/* push slots[arg] */
	I_I2F,			/* int to float, on top */
	I_I2F2,			/* the same, below the top */
	I_NEGI, I_NEGF,
	I_ADDI, I_SUBI, I_MULI, I_MODI,
	I_ADDF, I_SUBF, I_MULF, I_DIVF, I_MODF,
	I_CMP,			/* aux: relation (binop - B_EQ), arg: kind */
	I_NOT, I_AND, I_OR,
	I_LOG, I_LOG1P, I_EXP, I_SQRT, I_ABSI, I_ABSF,
	I_MIN, I_MAX,		/* arg: kind */
	I_COALESCE, I_IF, I_ISNULL,
	I_BUCKET,		/* arg: table; aux: 1 when x is a float */
};

/* What a comparison (or min, max) compares. */
enum kind { C_II, C_FF, C_IF, C_FI, C_SS, C_BB };

/* One instruction. A binary operation whose right operand is a constant
 * takes it from consts[arg] (k set) rather than from the stack. */
struct ins {
	uint8_t op;
	uint8_t aux;		/* I_CMP: relation; I_IF, I_COALESCE: 1 for
				 * strings; I_BUCKET: 1 for a float x */
	uint8_t kind;		/* I_CMP, I_MIN, I_MAX: enum kind */
	uint8_t k;		/* the right operand is consts[arg] */
	uint32_t arg;		/* slot, constant or bucket table */
};

/* A value on the machine's stack. Bools are 0 or 1 in i, so that every
 * value but a string is 8 bytes; cells are copied field by field (a
 * whole-struct copy reads back bytes just written in smaller pieces,
 * which stalls the CPU's store forwarding). */
struct cell {
	union {
		double f;
		int64_t i;
		struct {
			const char *s;
			size_t n;
		} str;
	} v;
	int null;
};

struct bucket {
	struct mlp_fval *edges;	/* ascending, int or float, never null */
	size_t n;
};

struct mlp_expr {
	struct ins *code;
	size_t ncode, code_alloc;
	struct cell *consts;
	size_t nconsts, consts_alloc;
	char **strs;		/* owned string constants */
	size_t nstrs, strs_alloc;
	struct bucket *buckets;
	size_t nbuckets, buckets_alloc;
	size_t *slots;		/* read, ascending */
	size_t nslots;
	char *text;		/* canonical */
	int type;		/* static, T_NULL possible */
};

enum functions {
	F_ABS, F_BUCKET, F_CLIP, F_COALESCE, F_EXP, F_IF, F_IS_NULL, F_LOG,
	F_LOG1P, F_MAX, F_MIN, F_SQRT,
};

static const struct fn {
	const char *name;
	int min, max;		/* arguments; max -1: any number */
} fns[] = {
	[F_ABS] = { "abs", 1, 1 },
	[F_BUCKET] = { "bucket", 2, -1 },
	[F_CLIP] = { "clip", 3, 3 },
	[F_COALESCE] = { "coalesce", 2, -1 },
	[F_EXP] = { "exp", 1, 1 },
	[F_IF] = { "if", 3, 3 },
	[F_IS_NULL] = { "is_null", 1, 1 },
	[F_LOG] = { "log", 1, 1 },
	[F_LOG1P] = { "log1p", 1, 1 },
	[F_MAX] = { "max", 2, -1 },
	[F_MIN] = { "min", 2, -1 },
	[F_SQRT] = { "sqrt", 1, 1 },
};
#define NFNS (sizeof(fns) / sizeof(fns[0]))

static const char *const keywords[] = {
	"and", "or", "not", "true", "false", "null",
};

enum tok_type {
	K_EOF, K_INT, K_FLOAT, K_STR, K_NAME, K_QNAME, K_LP, K_RP, K_COMMA,
	K_OP,
};

struct tok {
	enum tok_type type;
	int pos, len;
	int op;			/* K_OP: enum binop */
};

/* A compiled subexpression: its code is e->code[start..ncode). */
struct res {
	int type;
	int prec;		/* of its canonical text */
	int pos;		/* where it starts in the text */
	int konst;		/* made of constants only: then its code is
				 * one I_CONST (folded) */
	size_t start;
	struct mlp_buf text;	/* canonical */
};

struct parser {
	const char *s;
	int at;			/* where the lexer scans next */
	struct tok tok;
	int depth;
	int sp;			/* evaluation stack depth at this point */
	const struct mlp_expr_env *env;
	struct mlp_expr *e;
	struct mlp_err *err;
};

static int parse_expr(struct parser *p, int minprec, struct res *out);

static const char *
type_name(int t)
{
	return t == T_NULL ? "null" : mlp_ftype_name((enum mlp_ftype)t);
}

static int
numeric(int t)
{
	return t == MLP_FT_INT || t == MLP_FT_FLOAT || t == T_NULL;
}

/* The type two values of types a and b share: int and float give float,
 * null takes the other's; -1 when there is none. */
static int
unify(int a, int b)
{
	if (a == T_NULL)
		return b;
	if (b == T_NULL || a == b)
		return a;
	if (numeric(a) && numeric(b))
		return MLP_FT_FLOAT;
	return -1;
}

/* ---- the evaluator ---- */

/* Compares int i with double d exactly: -1, 0 or 1. */
static int
cmp_int_float(int64_t i, double d)
{
	int64_t di;
	double frac;

	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	di = (int64_t)d;
	if (i != di)
		return i < di ? -1 : 1;
	frac = d - (double)di;
	return frac > 0 ? -1 : frac < 0;
}

static int
compare(int kind, const struct cell *a, const struct cell *b)
{
	size_t n;
	int c;

	switch (kind) {
	case C_II:
	case C_BB:
		return (a->v.i > b->v.i) - (a->v.i < b->v.i);
	case C_FF:
		return (a->v.f > b->v.f) - (a->v.f < b->v.f);
	case C_IF:
		return cmp_int_float(a->v.i, b->v.f);
	case C_FI:
		return -cmp_int_float(b->v.i, a->v.f);
	default:
		n = a->v.str.n < b->v.str.n ? a->v.str.n : b->v.str.n;
		c = n ? memcmp(a->v.str.s, b->v.str.s, n) : 0;
		if (c)
			return c < 0 ? -1 : 1;
		return (a->v.str.n > b->v.str.n) - (a->v.str.n < b->v.str.n);
	}
}

static int
holds(int rel, int c)
{
	switch (rel) {
	case B_EQ - B_EQ:
		return c == 0;
	case B_NE - B_EQ:
		return c != 0;
	case B_LT - B_EQ:
		return c < 0;
	case B_LE - B_EQ:
		return c <= 0;
	case B_GT - B_EQ:
		return c > 0;
	default:
		return c >= 0;
	}
}

/* x compared with edge e (an int or a float), x a float when isfloat. */
static int
cmp_edge(const struct cell *x, int isfloat, const struct mlp_fval *e)
{
	if (isfloat)
		return e->type == MLP_FT_FLOAT ?
		    (x->v.f > e->v.f) - (x->v.f < e->v.f) :
		    -cmp_int_float(e->v.i, x->v.f);
	return e->type == MLP_FT_FLOAT ? cmp_int_float(x->v.i, e->v.f) :
	    (x->v.i > e->v.i) - (x->v.i < e->v.i);
}

/* The number of edges of b at or below x: the first edge above x, by
 * binary search. */
static int64_t
bucket_of(const struct bucket *b, const struct cell *x, int isfloat)
{
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_edge(x, isfloat, &b->edges[mid]) >= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int64_t)lo;
}

static void
mov(struct cell *d, const struct cell *s, int isstr)
{
	d->null = s->null;
	if (isstr)
		d->v.str = s->v.str;
	else
		d->v.i = s->v.i;
}

/* A float result: null unless finite. */
#define SETF(cell, expr) do { \
	double r_ = (expr); \
	(cell)->null = !isfinite(r_); \
	(cell)->v.f = r_; \
} while (0)

/* The right operand of a binary instruction: a constant, or popped. */
#define RIGHT(c, t) ((c)->k ? &e->consts[(c)->arg] : --(t))

/* Runs code[0..n) on an empty stack and sets *out to the one value it
 * leaves, a string when isstr. */
static int
run(const struct mlp_expr *e, const struct ins *code, size_t n,
    const struct mlp_fval *slots, struct cell *out, int isstr)
{
	struct cell st[MAX_STACK], *t = st, *a;
	const struct cell *b;
	const struct mlp_fval *s;
	const struct ins *c, *end = code + n;
	int x;

	for (c = code; c < end; c++) {
		switch ((enum opcode)c->op) {
		case I_CONST:
			b = &e->consts[c->arg];
			mov(t++, b, 1);
			break;
		case I_LOADF:
			s = &slots[c->arg];
			if (s->null) {
				t->null = 1;
				t->v.f = 0;
			} else if (s->type != MLP_FT_FLOAT) {
				return MLP_EINVAL;
			} else {
				t->null = !isfinite(s->v.f);
				t->v.f = s->v.f;
			}
			t++;
			break;
		case I_LOADI:
			s = &slots[c->arg];
			if (s->null) {
				t->null = 1;
				t->v.i = 0;
			} else if (s->type != MLP_FT_INT) {
				return MLP_EINVAL;
			} else {
				t->null = 0;
				t->v.i = s->v.i;
			}
			t++;
			break;
		case I_LOADS:
			s = &slots[c->arg];
			if (s->null) {
				t->null = 1;
				t->v.str.s = "";
				t->v.str.n = 0;
			} else if (s->type != MLP_FT_STRING) {
				return MLP_EINVAL;
			} else {
				t->null = 0;
				t->v.str.s = s->v.str.s;
				t->v.str.n = s->v.str.n;
			}
			t++;
			break;
		case I_LOADB:
			s = &slots[c->arg];
			if (s->null) {
				t->null = 1;
				t->v.i = 0;
			} else if (s->type != MLP_FT_BOOL) {
				return MLP_EINVAL;
			} else {
				t->null = 0;
				t->v.i = s->v.b != 0;
			}
			t++;
			break;
		case I_I2F:
		case I_I2F2:
			a = t - (c->op == I_I2F ? 1 : 2);
			if (!a->null)
				a->v.f = (double)a->v.i;
			break;
		case I_NEGI:
			a = t - 1;
			if (!a->null) {
				if (a->v.i == INT64_MIN)
					a->null = 1;
				else
					a->v.i = -a->v.i;
			}
			break;
		case I_NEGF:
			a = t - 1;
			a->v.f = -a->v.f;
			break;
		case I_ADDI:
			b = RIGHT(c, t);
			a = t - 1;
			if (!(a->null |= b->null))
				a->null = __builtin_add_overflow(a->v.i, b->v.i,
				    &a->v.i);
			break;
		case I_SUBI:
			b = RIGHT(c, t);
			a = t - 1;
			if (!(a->null |= b->null))
				a->null = __builtin_sub_overflow(a->v.i, b->v.i,
				    &a->v.i);
			break;
		case I_MULI:
			b = RIGHT(c, t);
			a = t - 1;
			if (!(a->null |= b->null))
				a->null = __builtin_mul_overflow(a->v.i, b->v.i,
				    &a->v.i);
			break;
		case I_MODI:
			b = RIGHT(c, t);
			a = t - 1;
			if ((a->null |= b->null))
				break;
			if (b->v.i == 0)
				a->null = 1;
			else if (b->v.i == -1)	/* INT64_MIN % -1 traps */
				a->v.i = 0;
			else
				a->v.i %= b->v.i;
			break;
		case I_ADDF:
			b = RIGHT(c, t);
			a = t - 1;
			if (!(a->null |= b->null))
				SETF(a, a->v.f + b->v.f);
			break;
		case I_SUBF:
			b = RIGHT(c, t);
			a = t - 1;
			if (!(a->null |= b->null))
				SETF(a, a->v.f - b->v.f);
			break;
		case I_MULF:
			b = RIGHT(c, t);
			a = t - 1;
			if (!(a->null |= b->null))
				SETF(a, a->v.f * b->v.f);
			break;
		case I_DIVF:
			b = RIGHT(c, t);
			a = t - 1;
			if ((a->null |= b->null))
				break;
			if (b->v.f == 0)
				a->null = 1;
			else
				SETF(a, a->v.f / b->v.f);
			break;
		case I_MODF:
			b = RIGHT(c, t);
			a = t - 1;
			if ((a->null |= b->null))
				break;
			if (b->v.f == 0)
				a->null = 1;
			else
				SETF(a, fmod(a->v.f, b->v.f));
			break;
		case I_CMP:
			b = RIGHT(c, t);
			a = t - 1;
			if (!(a->null |= b->null))
				a->v.i = holds(c->aux, compare(c->kind, a, b));
			break;
		case I_NOT:
			a = t - 1;
			a->v.i = !a->v.i;
			break;
		case I_AND:
		case I_OR:
			b = RIGHT(c, t);
			a = t - 1;
			/* x is the value that decides (false for and) */
			x = c->op == I_OR;
			if ((!a->null && a->v.i == x) ||
			    (!b->null && b->v.i == x)) {
				a->null = 0;
				a->v.i = x;
			} else if (!(a->null |= b->null)) {
				a->v.i = !x;
			}
			break;
		case I_LOG:
			a = t - 1;
			if (!a->null) {
				if (a->v.f <= 0)
					a->null = 1;
				else
					a->v.f = log(a->v.f);
			}
			break;
		case I_LOG1P:
			a = t - 1;
			if (!a->null) {
				if (a->v.f <= -1)
					a->null = 1;
				else
					a->v.f = log1p(a->v.f);
			}
			break;
		case I_EXP:
			a = t - 1;
			if (!a->null)
				SETF(a, exp(a->v.f));
			break;
		case I_SQRT:
			a = t - 1;
			if (!a->null) {
				if (a->v.f < 0)
					a->null = 1;
				else
					a->v.f = sqrt(a->v.f);
			}
			break;
		case I_ABSI:
			a = t - 1;
			if (!a->null) {
				if (a->v.i == INT64_MIN)
					a->null = 1;
				else if (a->v.i < 0)
					a->v.i = -a->v.i;
			}
			break;
		case I_ABSF:
			a = t - 1;
			a->v.f = fabs(a->v.f);
			break;
		case I_MIN:
		case I_MAX:
			b = RIGHT(c, t);
			a = t - 1;
			if ((a->null |= b->null))
				break;
			x = compare(c->kind, b, a);
			if (c->op == I_MIN ? x < 0 : x > 0)
				mov(a, b, c->kind == C_SS);
			break;
		case I_COALESCE:
			b = RIGHT(c, t);
			a = t - 1;
			if (a->null)
				mov(a, b, c->aux);
			break;
		case I_IF:
			t -= 2;
			a = t - 1;
			b = !a->null && a->v.i ? &t[0] : &t[1];
			mov(a, b, c->aux);
			break;
		case I_ISNULL:
			a = t - 1;
			a->v.i = a->null;
			a->null = 0;
			break;
		case I_BUCKET:
			a = t - 1;
			if (!a->null)
				a->v.i = bucket_of(&e->buckets[c->arg], a, c->aux);
			break;
		}
	}
	mov(out, &st[0], isstr);
	return 0;
}

static enum mlp_ftype
result_type(int t)
{
	return t == T_NULL ? MLP_FT_FLOAT : (enum mlp_ftype)t;
}

/* Sets *out to the value of cell c of static type t. */
static void
to_fval(const struct cell *c, int t, struct mlp_fval *out)
{
	out->type = result_type(t);
	out->null = c->null;
	switch (out->type) {
	case MLP_FT_STRING:
		out->v.str.s = c->v.str.s;
		out->v.str.n = c->v.str.n;
		break;
	case MLP_FT_BOOL:
		out->v.b = c->v.i != 0;
		break;
	default:
		out->v.i = c->v.i;
		break;
	}
}

int
mlp_expr_eval(const struct mlp_expr *e, const struct mlp_fval *slots,
    struct mlp_fval *out)
{
	struct cell c;
	int rc = run(e, e->code, e->ncode, slots, &c,
	    e->type == MLP_FT_STRING);

	if (rc < 0) {
		out->type = result_type(e->type);
		out->null = 1;
		return rc;
	}
	to_fval(&c, e->type, out);
	return 0;
}

enum mlp_ftype
mlp_expr_type(const struct mlp_expr *e)
{
	return result_type(e->type);
}

size_t
mlp_expr_slots_used(const struct mlp_expr *e, const size_t **slots)
{
	*slots = e->slots;
	return e->nslots;
}

const char *
mlp_expr_text(const struct mlp_expr *e)
{
	return e->text;
}

void
mlp_expr_free(struct mlp_expr *e)
{
	if (!e)
		return;
	free(e->code);
	free(e->consts);
	for (size_t i = 0; i < e->nstrs; i++)
		free(e->strs[i]);
	free(e->strs);
	for (size_t i = 0; i < e->nbuckets; i++)
		free(e->buckets[i].edges);
	free(e->buckets);
	free(e->slots);
	free(e->text);
	free(e);
}

/* ---- errors ---- */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Bytes in the UTF-8 character at s (the text is valid UTF-8). */
static int
utf8_len(const unsigned char *s)
{
	int n = 1;

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

/* "column C" or "line L, column C" for byte offset pos of s, counting
 * characters from 1. */
static void
where(const char *s, int pos, char *out, size_t outsz)
{
	int line = 1, col = 1;

	for (int i = 0; i < pos && s[i]; i++) {
		if (s[i] == '\n')
			line++, col = 1;
		else if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	}
	if (line > 1)
		snprintf(out, outsz, "line %d, column %d", line, col);
	else
		snprintf(out, outsz, "column %d", col);
}

static int
syntax(struct parser *p, int pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
syntax(struct parser *p, int pos, const char *fmt, ...)
{
	char msg[sizeof(p->err->msg)], at[48];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(p->s, pos, at, sizeof(at));
	mlp_err_set(p->err, MLP_ESYNTAX, "%s: %s", at, msg);
	if (p->err)
		p->err->pos = pos;
	return MLP_ESYNTAX;
}

/* The current token for "found ...": quoted, strings with their own
 * quotes. */
static void
tok_desc(const struct parser *p, char *out, size_t outsz)
{
	char s[SNIP + 8];

	snip(s, sizeof(s), p->s + p->tok.pos, p->tok.len);
	if (p->tok.type == K_STR || p->tok.type == K_QNAME)
		snprintf(out, outsz, "%s", s);
	else
		snprintf(out, outsz, "'%s'", s);
}

/* The error for a token other than the one expected (what). */
static int
unexpected(struct parser *p, const char *what)
{
	char found[SNIP + 16];

	if (p->tok.type == K_EOF)
		return syntax(p, p->tok.pos, "expected %s", what);
	tok_desc(p, found, sizeof(found));
	return syntax(p, p->tok.pos, "expected %s, found %s", what, found);
}

/* ---- the lexer ---- */

static int
lex_number(struct parser *p, int i)
{
	const char *s = p->s;
	int j = i, isfloat = 0;
	char bad[SNIP + 8];

	while (is_digit(s[j]))
		j++;
	if (s[j] == '.') {
		isfloat = 1;
		for (j++; is_digit(s[j]); j++)
			;
	}
	if (s[j] == 'e' || s[j] == 'E') {
		int k = j + 1;

		if (s[k] == '+' || s[k] == '-')
			k++;
		if (is_digit(s[k])) {
			isfloat = 1;
			while (is_digit(s[k]))
				k++;
			j = k;
		}
	}
	if (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '.') {
		while (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '.')
			j++;
		snip(bad, sizeof(bad), s + i, j - i);
		return syntax(p, i, "invalid number '%s'", bad);
	}
	p->tok.type = isfloat ? K_FLOAT : K_INT;
	p->tok.len = j - i;
	return 0;
}

/* Reads the next token into p->tok. */
static int
next(struct parser *p)
{
	const char *s = p->s;
	int i = p->at, j, rc;
	unsigned char c;

	while (is_space((unsigned char)s[i]))
		i++;
	c = (unsigned char)s[i];
	p->tok.pos = i;
	p->tok.len = 1;
	p->tok.op = -1;
	switch (c) {
	case '\0':
		p->tok.type = K_EOF;
		p->tok.len = 0;
		break;
	case '(':
		p->tok.type = K_LP;
		break;
	case ')':
		p->tok.type = K_RP;
		break;
	case ',':
		p->tok.type = K_COMMA;
		break;
	case '+':
	case '-':
	case '*':
	case '/':
	case '%':
		p->tok.type = K_OP;
		p->tok.op = c == '+' ? B_ADD : c == '-' ? B_SUB :
		    c == '*' ? B_MUL : c == '/' ? B_DIV : B_MOD;
		break;
	case '=':
		p->tok.type = K_OP;
		p->tok.op = B_EQ;
		p->tok.len = s[i + 1] == '=' ? 2 : 1;
		break;
	case '<':
	case '>':
		p->tok.type = K_OP;
		if (s[i + 1] == '=')
			p->tok.len = 2;
		if (c == '<' && s[i + 1] == '>')
			p->tok.op = B_NE, p->tok.len = 2;
		else if (c == '<')
			p->tok.op = p->tok.len == 2 ? B_LE : B_LT;
		else
			p->tok.op = p->tok.len == 2 ? B_GE : B_GT;
		break;
	case '!':
		if (s[i + 1] != '=')
			return syntax(p, i, "unexpected '!' (write 'not')");
		p->tok.type = K_OP;
		p->tok.op = B_NE;
		p->tok.len = 2;
		break;
	case '&':
	case '|':
		return syntax(p, i, "unexpected '%c' (write '%s')", c,
		    c == '&' ? "and" : "or");
	case '\'':
	case '"':
	case '`':
		/* a doubled quote stands for itself, as in SQL */
		for (j = i + 1;; j++) {
			if (s[j] == '\0')
				return syntax(p, i, c == '`' ?
				    "unterminated quoted name" :
				    "unterminated string");
			if (s[j] == (char)c) {
				if (s[j + 1] != (char)c)
					break;
				j++;
			}
		}
		if (c == '`' && j == i + 1)
			return syntax(p, i, "empty quoted name");
		p->tok.type = c == '`' ? K_QNAME : K_STR;
		p->tok.len = j + 1 - i;
		break;
	default:
		if (is_digit(c) || (c == '.' && is_digit(s[i + 1]))) {
			if ((rc = lex_number(p, i)) < 0)
				return rc;
		} else if (is_alpha(c)) {
			for (j = i + 1; is_alpha(s[j]) || is_digit(s[j]); j++)
				;
			p->tok.type = K_NAME;
			p->tok.len = j - i;
		} else if (c < 0x20 || c == 0x7f) {
			return syntax(p, i, "unexpected byte 0x%02x", c);
		} else {
			return syntax(p, i, "unexpected character '%.*s'",
			    utf8_len((const unsigned char *)s + i), s + i);
		}
	}
	p->at = p->tok.pos + p->tok.len;
	return 0;
}

/* Whether the next token after the current one is '('. */
static int
peek_lp(const struct parser *p)
{
	int i = p->at;

	while (is_space((unsigned char)p->s[i]))
		i++;
	return p->s[i] == '(';
}

static int
word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

static int
is_kw(const struct parser *p, const char *kw)
{
	return p->tok.type == K_NAME &&
	    word_is(p->s + p->tok.pos, (size_t)p->tok.len, kw);
}

/* The binary operator the current token is, or -1. */
static int
tok_binop(const struct parser *p)
{
	if (p->tok.type == K_OP)
		return p->tok.op;
	if (is_kw(p, "and"))
		return B_AND;
	if (is_kw(p, "or"))
		return B_OR;
	return -1;
}

/* The contents of the quoted token at s (len bytes, quotes included). */
static char *
unquote(const char *s, int len, size_t *n)
{
	char *out = xmalloc((size_t)len), *o = out;
	char q = s[0];

	for (int i = 1; i < len - 1; i++) {
		*o++ = s[i];
		if (s[i] == q)
			i++;
	}
	*o = '\0';
	*n = (size_t)(o - out);
	return out;
}

/* ---- code generation ---- */

static void
emit(struct parser *p, int op, int aux, uint32_t arg, int delta)
{
	struct mlp_expr *e = p->e;
	struct ins *c;

	mlp_grow(&e->code, &e->code_alloc, e->ncode + 1, sizeof(*e->code));
	c = &e->code[e->ncode++];
	memset(c, 0, sizeof(*c));
	c->op = (uint8_t)op;
	c->aux = (uint8_t)aux;
	c->arg = arg;
	p->sp += delta;
}

/* Emits a binary operation, taking a constant right operand (the last
 * instruction pushing one) into the instruction. */
static void
emit_binary(struct parser *p, int op, int aux, int kind)
{
	struct mlp_expr *e = p->e;
	struct ins *last = e->ncode ? &e->code[e->ncode - 1] : NULL;

	if (last && last->op == I_CONST) {
		last->op = (uint8_t)op;
		last->aux = (uint8_t)aux;
		last->kind = (uint8_t)kind;
		last->k = 1;
		p->sp--;
		return;
	}
	emit(p, op, aux, 0, -1);
	e->code[e->ncode - 1].kind = (uint8_t)kind;
}

static void
emit_const(struct parser *p, const struct cell *v)
{
	struct mlp_expr *e = p->e;

	mlp_grow(&e->consts, &e->consts_alloc, e->nconsts + 1,
	    sizeof(*e->consts));
	e->consts[e->nconsts] = *v;
	emit(p, I_CONST, 0, (uint32_t)e->nconsts++, 1);
}

static void
res_init(struct res *r, int pos)
{
	memset(r, 0, sizeof(*r));
	mlp_buf_init(&r->text);
	r->pos = pos;
	r->prec = P_ATOM;
}

/* Replaces the code of r, when made of constants only, by its value. */
static void
fold(struct parser *p, struct res *r)
{
	struct mlp_expr *e = p->e;
	struct cell v;

	if (!r->konst || e->ncode - r->start <= 1)
		return;
	run(e, e->code + r->start, e->ncode - r->start, NULL, &v,
	    r->type == MLP_FT_STRING);
	e->ncode = r->start;
	p->sp--;
	emit_const(p, &v);
}

/* Makes r, an int, a float: on top of the stack (top) or just below.
 * For both operands of a binary operation, the top one is made first. */
static void
to_float(struct parser *p, struct res *r, int top)
{
	struct mlp_expr *e = p->e;
	struct cell *v;

	if (r->type != MLP_FT_INT)
		return;
	r->type = MLP_FT_FLOAT;
	if (r->konst) {
		v = &e->consts[e->code[r->start].arg];
		if (!v->null)
			v->v.f = (double)v->v.i;
		return;
	}
	if (!top && e->code[e->ncode - 1].op == I_CONST) {
		/* convert before the constant on top is pushed, which then
		 * stays last for emit_binary to take */
		uint32_t k = e->code[e->ncode - 1].arg;

		e->ncode--;
		emit(p, I_I2F, 0, 0, 0);
		emit(p, I_CONST, 0, k, 0);
		return;
	}
	emit(p, top ? I_I2F : I_I2F2, 0, 0, 0);
}

/* The comparison kind for operands of types a and b, -1 for none. */
static int
cmp_kind(int a, int b)
{
	if (a == T_NULL)
		a = b == T_NULL ? MLP_FT_INT : b;
	if (b == T_NULL)
		b = a;
	if (a == MLP_FT_INT && b == MLP_FT_INT)
		return C_II;
	if (a == MLP_FT_FLOAT && b == MLP_FT_FLOAT)
		return C_FF;
	if (a == MLP_FT_INT && b == MLP_FT_FLOAT)
		return C_IF;
	if (a == MLP_FT_FLOAT && b == MLP_FT_INT)
		return C_FI;
	if (a == MLP_FT_STRING && b == MLP_FT_STRING)
		return C_SS;
	if (a == MLP_FT_BOOL && b == MLP_FT_BOOL)
		return C_BB;
	return -1;
}

/* Appends r's text to b, in parentheses when paren. */
static void
add_text(struct mlp_buf *b, const struct res *r, int paren)
{
	if (paren)
		mlp_buf_addc(b, '(');
	mlp_buf_add(b, r->text.s ? r->text.s : "", r->text.len);
	if (paren)
		mlp_buf_addc(b, ')');
}

/* Wraps r's own text in parentheses. */
static void
paren_text(struct res *r)
{
	struct mlp_buf b = MLP_BUF_INIT;

	add_text(&b, r, 1);
	mlp_buf_release(&r->text);
	r->text = b;
}

static int
check_bool(struct parser *p, const struct res *r, const char *what)
{
	if (r->type == MLP_FT_BOOL || r->type == T_NULL)
		return 0;
	return syntax(p, r->pos, "%s needs a bool, found %s", what,
	    type_name(r->type));
}

/* Combines l (below) and r (on top) with op written at opos; l becomes
 * the result and r is released. */
static int
binary(struct parser *p, int op, int opos, struct res *l, struct res *r)
{
	int prec = binops[op].prec, t, kind, rc = 0;

	switch (op) {
	case B_AND:
	case B_OR:
		if ((rc = check_bool(p, l, op == B_AND ? "'and'" : "'or'")) < 0 ||
		    (rc = check_bool(p, r, op == B_AND ? "'and'" : "'or'")) < 0)
			goto out;
		emit_binary(p, op == B_AND ? I_AND : I_OR, 0, 0);
		t = MLP_FT_BOOL;
		break;
	case B_EQ:
	case B_NE:
	case B_LT:
	case B_LE:
	case B_GT:
	case B_GE:
		if ((kind = cmp_kind(l->type, r->type)) < 0) {
			rc = syntax(p, opos, "cannot compare %s and %s",
			    type_name(l->type), type_name(r->type));
			goto out;
		}
		emit_binary(p, I_CMP, op - B_EQ, kind);
		t = MLP_FT_BOOL;
		break;
	default:
		if (!numeric(l->type) || !numeric(r->type)) {
			rc = syntax(p, opos, "cannot %s %s and %s",
			    binops[op].verb, type_name(l->type),
			    type_name(r->type));
			goto out;
		}
		t = unify(l->type, r->type);
		if (op == B_DIV || t == MLP_FT_FLOAT) {
			to_float(p, r, 1);
			to_float(p, l, 0);
		}
		if (op == B_DIV) {
			t = l->type == T_NULL && r->type == T_NULL ?
			    T_NULL : MLP_FT_FLOAT;
			emit_binary(p, I_DIVF, 0, 0);
		} else if (t == MLP_FT_FLOAT) {
			emit_binary(p, op == B_ADD ? I_ADDF : op == B_SUB ?
			    I_SUBF : op == B_MUL ? I_MULF : I_MODF, 0, 0);
		} else {
			emit_binary(p, op == B_ADD ? I_ADDI : op == B_SUB ?
			    I_SUBI : op == B_MUL ? I_MULI : I_MODI, 0, 0);
		}
		break;
	}

	/* comparisons do not chain, and a right operand as loose as op
	 * keeps its parentheses: a - (b - c) */
	if (l->prec < prec || (prec == P_CMP && l->prec == P_CMP))
		paren_text(l);
	mlp_buf_addc(&l->text, ' ');
	mlp_buf_adds(&l->text, binops[op].text);
	mlp_buf_addc(&l->text, ' ');
	add_text(&l->text, r, r->prec <= prec);
	l->type = t;
	l->prec = prec;
	l->konst = l->konst && r->konst;
	fold(p, l);
out:
	mlp_buf_release(&r->text);
	return rc;
}

/* ---- the parser ---- */

static int
enter(struct parser *p, int pos)
{
	if (++p->depth > MAX_DEPTH)
		return syntax(p, pos, "expression nested too deeply (over %d "
		    "levels)", MAX_DEPTH);
	return 0;
}

/* Writes name[0..n) as the canonical text: bare when it is a plain
 * identifier and no keyword, else in backquotes. */
static void
name_text(struct mlp_buf *b, const char *name, size_t n)
{
	int plain = n > 0 && is_alpha((unsigned char)name[0]);

	for (size_t i = 1; i < n && plain; i++)
		plain = is_alpha((unsigned char)name[i]) ||
		    is_digit((unsigned char)name[i]);
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]) && plain;
	    k++)
		plain = !word_is(name, n, keywords[k]);
	if (plain) {
		mlp_buf_add(b, name, n);
		return;
	}
	mlp_buf_addc(b, '`');
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '`')
			mlp_buf_addc(b, '`');
		mlp_buf_addc(b, name[i]);
	}
	mlp_buf_addc(b, '`');
}

/* The error for a name the environment lacks, with a near name. */
static int
unknown_name(struct parser *p, int pos, const char *name, size_t n)
{
	const struct mlp_expr_env *env = p->env;
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	char q[SNIP + 8];

	snip(q, sizeof(q), name, (int)n);
	for (size_t i = 0; i < NFNS; i++)
		if (word_is(name, n, fns[i].name))
			return syntax(p, pos, "unknown feature '%s' ('%s' is "
			    "a function: write %s(...))", q, fns[i].name,
			    fns[i].name);
	for (size_t i = 0; env && i < env->nvars; i++) {
		size_t d = mlp_edit_distance(name, n, env->vars[i].name,
		    strlen(env->vars[i].name));

		if (d < best_d)
			best_d = d, best = env->vars[i].name;
	}
	for (size_t k = 3; k < sizeof(keywords) / sizeof(keywords[0]); k++) {
		size_t d = mlp_edit_distance(name, n, keywords[k],
		    strlen(keywords[k]));

		if (d < best_d)
			best_d = d, best = keywords[k];
	}
	if (best && best_d <= 2 && best_d < n) {
		char b[SNIP + 8];

		snip(b, sizeof(b), best, (int)strlen(best));
		return syntax(p, pos, "unknown feature '%s' (did you mean "
		    "'%s'?)", q, b);
	}
	return syntax(p, pos, "unknown feature '%s'", q);
}

/* A feature reference at the current token (a name or quoted name). */
static int too_complex(struct parser *p);

static int
parse_name(struct parser *p, struct res *out)
{
	const struct mlp_expr_env *env = p->env;
	const struct mlp_expr_var *v = NULL;
	const char *name = p->s + p->tok.pos;
	char *owned = NULL;
	size_t n = (size_t)p->tok.len;
	int rc, op;

	if (p->tok.type == K_QNAME)
		name = owned = unquote(name, p->tok.len, &n);
	for (size_t i = 0; env && i < env->nvars; i++)
		if (strlen(env->vars[i].name) == n &&
		    memcmp(env->vars[i].name, name, n) == 0) {
			v = &env->vars[i];
			break;
		}
	if (!v) {
		rc = unknown_name(p, p->tok.pos, name, n);
		goto out;
	}
	if ((rc = too_complex(p)) < 0)
		goto out;
	op = v->type == MLP_FT_FLOAT ? I_LOADF : v->type == MLP_FT_INT ?
	    I_LOADI : v->type == MLP_FT_STRING ? I_LOADS : I_LOADB;
	out->start = p->e->ncode;
	emit(p, op, 0, (uint32_t)v->slot, 1);
	out->type = (int)v->type;
	name_text(&out->text, name, n);
	rc = next(p);
out:
	free(owned);
	return rc;
}

/* Appends the canonical spelling of a float constant. */
static void
float_text(struct mlp_buf *b, double d)
{
	char s[64];

	mlp_fmt_double(d, s, sizeof(s));
	mlp_buf_adds(b, s);
	if (!strpbrk(s, ".e"))
		mlp_buf_adds(b, ".0");
}

/* An operand pushed now would be more than the evaluator's stack holds. */
static int
too_complex(struct parser *p)
{
	if (p->sp < MAX_STACK)
		return 0;
	return syntax(p, p->tok.pos, "expression too complex (over %d values "
	    "pending at once)", MAX_STACK);
}

/* A literal at the current token. */
static int
parse_literal(struct parser *p, struct res *out)
{
	const char *w = p->s + p->tok.pos;
	struct cell v;
	int64_t iv = 0;
	int big = 0, rc;

	if ((rc = too_complex(p)) < 0)
		return rc;
	memset(&v, 0, sizeof(v));
	out->start = p->e->ncode;
	out->konst = 1;
	switch (p->tok.type) {
	case K_INT:
		for (int i = 0; i < p->tok.len && !big; i++)
			big = __builtin_mul_overflow(iv, 10, &iv) ||
			    __builtin_add_overflow(iv, w[i] - '0', &iv);
		if (!big) {
			out->type = MLP_FT_INT;
			v.v.i = iv;
			mlp_buf_addf(&out->text, "%lld", (long long)iv);
			break;
		}
		/* too large for an int: a float, as in SQLite */
		/* fall through */
	case K_FLOAT:
		out->type = MLP_FT_FLOAT;
		v.v.f = mlp_decimal_value(w, (size_t)p->tok.len);
		if (!isfinite(v.v.f)) {
			char bad[SNIP + 8];

			snip(bad, sizeof(bad), w, p->tok.len);
			return syntax(p, p->tok.pos, "number '%s' is out of "
			    "range", bad);
		}
		float_text(&out->text, v.v.f);
		break;
	case K_STR: {
		struct mlp_expr *e = p->e;
		size_t n;
		char *s = unquote(w, p->tok.len, &n);

		mlp_grow(&e->strs, &e->strs_alloc, e->nstrs + 1,
		    sizeof(*e->strs));
		e->strs[e->nstrs++] = s;
		out->type = MLP_FT_STRING;
		v.v.str.s = s;
		v.v.str.n = n;
		mlp_buf_addc(&out->text, '\'');
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\'')
				mlp_buf_addc(&out->text, '\'');
			mlp_buf_addc(&out->text, s[i]);
		}
		mlp_buf_addc(&out->text, '\'');
		break;
	}
	default:		/* true, false, null */
		if (is_kw(p, "null")) {
			out->type = T_NULL;
			v.null = 1;
			mlp_buf_adds(&out->text, "null");
			break;
		}
		out->type = MLP_FT_BOOL;
		v.v.i = is_kw(p, "true");
		mlp_buf_adds(&out->text, v.v.i ? "true" : "false");
		break;
	}
	emit_const(p, &v);
	return next(p);
}

/* The edge arg of bucket: a constant number above the last edge. */
static int
bucket_edge(struct parser *p, struct bucket *b, const struct res *arg)
{
	struct mlp_expr *e = p->e;
	struct mlp_fval v;
	const struct cell *c;
	int isfloat = arg->type == MLP_FT_FLOAT;

	if (!arg->konst || (arg->type != MLP_FT_INT && !isfloat))
		return syntax(p, arg->pos, "the edges of 'bucket' must be "
		    "constant numbers");
	c = &e->consts[e->code[arg->start].arg];
	memset(&v, 0, sizeof(v));
	v.type = (enum mlp_ftype)arg->type;
	v.v.i = c->v.i;
	e->ncode = arg->start;
	p->sp--;
	if (b->n) {
		if (cmp_edge(c, isfloat, &b->edges[b->n - 1]) <= 0)
			return syntax(p, arg->pos, "the edges of 'bucket' "
			    "must be ascending");
	}
	b->edges = xrealloc(b->edges, (b->n + 1) * sizeof(*b->edges));
	b->edges[b->n++] = v;
	return 0;
}

/* Adds argument i of a call to f, arg, just compiled (on top of the
 * stack), to acc, the call's result so far; for i 0, acc describes arg. */
static int
call_arg(struct parser *p, int f, int i, struct res *acc,
    struct res *arg, struct bucket *bk)
{
	const char *name = fns[f].name;
	int t, kind;

	if (i == 0) {
		if (f == F_IF)
			return check_bool(p, arg, "the condition of 'if'");
		if (f == F_COALESCE || f == F_IS_NULL || f == F_MIN ||
		    f == F_MAX)
			t = f == F_IS_NULL ? MLP_FT_BOOL : arg->type;
		else if (!numeric(arg->type))
			return syntax(p, arg->pos, "'%s' needs a number, "
			    "found %s", name, type_name(arg->type));
		else
			t = arg->type;
		switch (f) {
		case F_LOG:
		case F_LOG1P:
		case F_EXP:
		case F_SQRT:
			to_float(p, acc, 1);
			emit(p, f == F_LOG ? I_LOG : f == F_LOG1P ? I_LOG1P :
			    f == F_EXP ? I_EXP : I_SQRT, 0, 0, 0);
			t = MLP_FT_FLOAT;
			break;
		case F_ABS:
			emit(p, t == MLP_FT_FLOAT ? I_ABSF : I_ABSI, 0, 0, 0);
			break;
		case F_IS_NULL:
			emit(p, I_ISNULL, 0, 0, 0);
			break;
		}
		acc->type = t;
		return 0;
	}
	switch (f) {
	case F_BUCKET:
		return bucket_edge(p, bk, arg);
	case F_IF:
		if (i == 1) {	/* the condition stays below, for I_IF */
			*acc = *arg;
			mlp_buf_init(&acc->text);
			return 0;
		}
		/* fall through */
	case F_COALESCE:
		if ((t = unify(acc->type, arg->type)) < 0)
			return syntax(p, arg->pos, "'%s' cannot mix %s and %s",
			    name, type_name(acc->type), type_name(arg->type));
		if (t == MLP_FT_FLOAT) {
			to_float(p, arg, 1);
			to_float(p, acc, 0);
		}
		if (f == F_IF)
			emit(p, I_IF, t == MLP_FT_STRING, 0, -2);
		else
			emit_binary(p, I_COALESCE, t == MLP_FT_STRING, 0);
		break;
	default:		/* min, max, clip */
		if (f == F_CLIP && !numeric(arg->type))
			return syntax(p, arg->pos, "'clip' needs a number, "
			    "found %s", type_name(arg->type));
		if ((t = unify(acc->type, arg->type)) < 0)
			return syntax(p, arg->pos, "'%s' cannot mix %s and %s",
			    name, type_name(acc->type), type_name(arg->type));
		if (t == MLP_FT_FLOAT) {
			to_float(p, arg, 1);
			to_float(p, acc, 0);
		}
		kind = cmp_kind(t, t);
		emit_binary(p, f == F_MIN || (f == F_CLIP && i == 2) ? I_MIN :
		    I_MAX, 0, kind);
		break;
	}
	acc->type = t;
	acc->konst = acc->konst && arg->konst;
	if (f != F_IF)
		fold(p, acc);
	return 0;
}

/* A call of function f; the current token is its name. */
static int
parse_call(struct parser *p, int f, struct res *out)
{
	const char *name = fns[f].name;
	struct res acc, arg;
	struct bucket bk = { NULL, 0 };
	int npos = p->tok.pos, nargs = 0, konst = 1, rc;
	char what[64];

	res_init(&acc, npos);
	res_init(&arg, npos);
	mlp_buf_adds(&out->text, name);
	mlp_buf_addc(&out->text, '(');
	out->start = p->e->ncode;
	if ((rc = next(p)) < 0 || (rc = enter(p, p->tok.pos)) < 0 ||
	    (rc = next(p)) < 0)
		goto out;
	while (p->tok.type != K_RP) {
		if (fns[f].max >= 0 && nargs == fns[f].max) {
			rc = syntax(p, p->tok.pos, "too many arguments to "
			    "'%s' (it takes %d)", name, fns[f].max);
			goto out;
		}
		if ((rc = parse_expr(p, P_OR, &arg)) < 0)
			goto out;
		if (nargs)
			mlp_buf_adds(&out->text, ", ");
		add_text(&out->text, &arg, 0);
		konst = konst && arg.konst;
		if (nargs == 0) {
			acc = arg;
			mlp_buf_init(&acc.text);
		}
		rc = call_arg(p, f, nargs, &acc, &arg, &bk);
		mlp_buf_release(&arg.text);
		if (rc < 0)
			goto out;
		nargs++;
		if (p->tok.type != K_COMMA)
			break;
		if ((rc = next(p)) < 0)
			goto out;
	}
	if (p->tok.type != K_RP) {
		if (fns[f].max >= 0 && nargs == fns[f].max)
			snprintf(what, sizeof(what), "')' after the arguments "
			    "of '%s'", name);
		else
			snprintf(what, sizeof(what), "',' or ')' after the "
			    "arguments of '%s'", name);
		rc = unexpected(p, what);
		goto out;
	}
	if (nargs < fns[f].min) {
		rc = syntax(p, npos, "'%s' needs %s%d argument%s, found %d",
		    name, fns[f].max < 0 ? "at least " : "", fns[f].min,
		    fns[f].min == 1 ? "" : "s", nargs);
		goto out;
	}
	if (f == F_BUCKET) {
		struct mlp_expr *e = p->e;

		mlp_grow(&e->buckets, &e->buckets_alloc, e->nbuckets + 1,
		    sizeof(*e->buckets));
		e->buckets[e->nbuckets] = bk;
		bk.edges = NULL;
		emit(p, I_BUCKET, acc.type == MLP_FT_FLOAT,
		    (uint32_t)e->nbuckets++, 0);
		acc.type = MLP_FT_INT;
	}
	p->depth--;
	mlp_buf_addc(&out->text, ')');
	out->type = acc.type;
	out->konst = konst;
	fold(p, out);
	rc = next(p);
out:
	free(bk.edges);
	mlp_buf_release(&arg.text);
	return rc;
}

/* The function named name[0..n), or -1. */
static int
find_fn(const char *name, size_t n)
{
	for (size_t i = 0; i < NFNS; i++)
		if (word_is(name, n, fns[i].name))
			return (int)i;
	return -1;
}

static int
unknown_fn(struct parser *p)
{
	const char *name = p->s + p->tok.pos, *best = NULL;
	size_t n = (size_t)p->tok.len, best_d = SIZE_MAX;
	char q[SNIP + 8];

	snip(q, sizeof(q), name, (int)n);
	for (size_t i = 0; i < NFNS; i++) {
		size_t d = mlp_edit_distance(name, n, fns[i].name,
		    strlen(fns[i].name));

		if (d < best_d)
			best_d = d, best = fns[i].name;
	}
	if (best && best_d <= 2 && best_d < n)
		return syntax(p, p->tok.pos, "unknown function '%s' (did you "
		    "mean '%s'?)", q, best);
	return syntax(p, p->tok.pos, "unknown function '%s' (the functions "
	    "are abs, bucket, clip, coalesce, exp, if, is_null, log, log1p, "
	    "max, min and sqrt)", q);
}

/* An operand: a literal, a name, a call or a parenthesised expression. */
static int
parse_primary(struct parser *p, struct res *out)
{
	int lp, f, rc;

	switch (p->tok.type) {
	case K_INT:
	case K_FLOAT:
	case K_STR:
		return parse_literal(p, out);
	case K_QNAME:
		return parse_name(p, out);
	case K_NAME:
		if (is_kw(p, "true") || is_kw(p, "false") || is_kw(p, "null"))
			return parse_literal(p, out);
		if (is_kw(p, "not"))
			return syntax(p, p->tok.pos, "'not' needs parentheses "
			    "here: (not ...)");
		if (is_kw(p, "and") || is_kw(p, "or"))
			return unexpected(p, "an operand");
		if (!peek_lp(p))
			return parse_name(p, out);
		if ((f = find_fn(p->s + p->tok.pos, (size_t)p->tok.len)) < 0)
			return unknown_fn(p);
		return parse_call(p, f, out);
	case K_LP:
		lp = p->tok.pos;
		if ((rc = enter(p, lp)) < 0 || (rc = next(p)) < 0)
			return rc;
		/* the parentheses are dropped: the canonical text puts back
		 * those the grammar needs */
		if ((rc = parse_expr(p, P_OR, out)) < 0)
			return rc;
		if (p->tok.type != K_RP) {
			char what[96], at[48];

			where(p->s, lp, at, sizeof(at));
			snprintf(what, sizeof(what), "')' to close the '(' at "
			    "%s", at);
			return unexpected(p, what);
		}
		out->pos = lp;
		p->depth--;
		return next(p);
	default:
		return unexpected(p, "an operand");
	}
}

/* An expression of operators binding at least as tightly as minprec. */
static int
parse_expr(struct parser *p, int minprec, struct res *out)
{
	struct res r;
	int pos = p->tok.pos, op, opos, cmp = 0, rc;

	res_init(out, pos);
	res_init(&r, pos);
	if (is_kw(p, "not") && minprec <= P_NOT) {
		if ((rc = enter(p, pos)) < 0 || (rc = next(p)) < 0 ||
		    (rc = parse_expr(p, P_NOT, &r)) < 0 ||
		    (rc = check_bool(p, &r, "'not'")) < 0)
			goto out;
		p->depth--;
		emit(p, I_NOT, 0, 0, 0);
		mlp_buf_adds(&out->text, "not ");
		add_text(&out->text, &r, r.prec < P_NOT);
		out->type = MLP_FT_BOOL;
		out->prec = P_NOT;
		out->start = r.start;
		out->konst = r.konst;
		fold(p, out);
	} else if (p->tok.type == K_OP &&
	    (p->tok.op == B_SUB || p->tok.op == B_ADD)) {
		op = p->tok.op;
		if ((rc = enter(p, pos)) < 0 || (rc = next(p)) < 0 ||
		    (rc = parse_expr(p, P_UNARY, &r)) < 0)
			goto out;
		p->depth--;
		if (!numeric(r.type)) {
			rc = syntax(p, pos, "cannot %s %s", op == B_SUB ?
			    "negate" : "apply unary '+' to",
			    type_name(r.type));
			goto out;
		}
		if (op == B_ADD) {	/* a no-op, dropped */
			*out = r;
			out->pos = pos;
			res_init(&r, pos);
		} else {
			emit(p, r.type == MLP_FT_FLOAT ? I_NEGF : I_NEGI, 0, 0,
			    0);
			mlp_buf_addc(&out->text, '-');
			if (r.text.len && r.text.s[0] == '-')
				mlp_buf_addc(&out->text, ' ');
			add_text(&out->text, &r, r.prec < P_UNARY);
			out->type = r.type;
			out->prec = P_UNARY;
			out->start = r.start;
			out->konst = r.konst;
			fold(p, out);
		}
	} else if ((rc = parse_primary(p, out)) < 0) {
		goto out;
	}
	mlp_buf_release(&r.text);

	while ((op = tok_binop(p)) >= 0 && binops[op].prec >= minprec) {
		opos = p->tok.pos;
		if (binops[op].prec == P_CMP && cmp) {
			rc = syntax(p, opos, "comparisons do not chain (write "
			    "'a < b and b < c')");
			goto out;
		}
		if ((rc = next(p)) < 0 ||
		    (rc = parse_expr(p, binops[op].prec + 1, &r)) < 0 ||
		    (rc = binary(p, op, opos, out, &r)) < 0)
			goto out;
		cmp = binops[op].prec == P_CMP;
	}
	rc = 0;
out:
	mlp_buf_release(&r.text);
	if (rc < 0)
		mlp_buf_release(&out->text);
	return rc;
}

/* Fills e->slots with the slots e's code reads. */
static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static void
collect_slots(struct mlp_expr *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->ncode; i++)
		n += e->code[i].op >= I_LOADF && e->code[i].op <= I_LOADB;
	if (!n)
		return;
	e->slots = xmalloc(n * sizeof(*e->slots));
	for (size_t i = 0; i < e->ncode; i++)
		if (e->code[i].op >= I_LOADF && e->code[i].op <= I_LOADB)
			e->slots[e->nslots++] = e->code[i].arg;
	qsort(e->slots, e->nslots, sizeof(*e->slots), cmp_size);
	n = 0;
	for (size_t i = 0; i < e->nslots; i++)
		if (i == 0 || e->slots[i] != e->slots[n - 1])
			e->slots[n++] = e->slots[i];
	e->nslots = n;
}

int
mlp_expr_compile(const char *text, const struct mlp_expr_env *env,
    struct mlp_expr **out, struct mlp_err *err)
{
	struct parser p;
	struct res r;
	size_t len = strlen(text);
	long bad;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.s = text;
	p.env = env;
	p.err = err;
	res_init(&r, 0);
	for (size_t i = 0; env && i < env->nvars; i++)
		if ((unsigned)env->vars[i].type > MLP_FT_BOOL ||
		    env->vars[i].slot >= UINT32_MAX || !env->vars[i].name)
			return mlp_err_set(err, MLP_EINVAL, "expression "
			    "environment entry %zu is invalid", i);
	if (len > MAX_LEN)
		return syntax(&p, 0, "expression is too long (over %d bytes)",
		    MAX_LEN);
	if ((bad = mlp_utf8_invalid(text, len)) >= 0)
		return syntax(&p, (int)bad, "expression is not valid UTF-8");
	p.e = xcalloc(1, sizeof(*p.e));
	if ((rc = next(&p)) < 0)
		goto out;
	if (p.tok.type == K_EOF) {
		rc = syntax(&p, 0, "empty expression");
		goto out;
	}
	if ((rc = parse_expr(&p, P_OR, &r)) < 0)
		goto out;
	if (p.tok.type != K_EOF) {
		char found[SNIP + 16];

		tok_desc(&p, found, sizeof(found));
		if (is_kw(&p, "is"))
			rc = syntax(&p, p.tok.pos, "unexpected 'is' (write "
			    "is_null(x))");
		else
			rc = syntax(&p, p.tok.pos, "unexpected %s after the "
			    "expression", found);
		goto out;
	}
	p.e->type = r.type;
	p.e->text = mlp_buf_detach(&r.text);
	collect_slots(p.e);
	*out = p.e;
	p.e = NULL;
out:
	mlp_buf_release(&r.text);
	mlp_expr_free(p.e);
	return rc;
}
