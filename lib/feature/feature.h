/* The feature store: specs, time, and the types the stores share. */
#ifndef MLP_FEATURE_H
#define MLP_FEATURE_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/*
 * Time. Every timestamp inside the feature store is int64 microseconds
 * since the Unix epoch, UTC; every duration (TTL, window) is int64
 * microseconds. MLP_TS_NONE marks a missing timestamp (no created time).
 */
#define MLP_TS_NONE INT64_MIN
#define MLP_US_PER_SEC INT64_C(1000000)

enum mlp_tsfmt {
	MLP_TSFMT_ISO8601 = 0,	/* 2021-04-12T10:59:42Z, +02:00, naive = UTC */
	MLP_TSFMT_EPOCH_S,	/* 1618225182 (decimals allowed) */
	MLP_TSFMT_EPOCH_MS,	/* 1618225182000 */
};

/* Parses s[0..n) as a timestamp in format fmt into *us. ISO-8601 takes
 * "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]" and an optional zone
 * "Z", "+HH:MM", "+HHMM" or "+HH" (none means UTC); the fraction is
 * truncated to microseconds. 0, or -1 for anything else (the caller names
 * the file, line and column). */
int mlp_ts_parse(const char *s, size_t n, enum mlp_tsfmt fmt, int64_t *us);

/* Formats us as ISO-8601 UTC, "2021-04-12T10:59:42Z", with ".ffffff" only
 * when there are microseconds. out needs 48 bytes. */
void mlp_ts_format(int64_t us, char out[48]);

/* Parses a timestamp format name ("iso8601", "epoch_s", "epoch_ms"). 0/-1. */
int mlp_tsfmt_parse(const char *s, enum mlp_tsfmt *fmt);
const char *mlp_tsfmt_name(enum mlp_tsfmt fmt);

/* Parses a duration: a positive integer and a unit s, m, h, d or w
 * ("90s", "15m", "1h", "7d", "2w"), or "0" (no TTL). 0 or -1. */
int mlp_duration_parse(const char *s, int64_t *us);

/* Formats a duration the way spec names use it: the largest unit that
 * divides it exactly ("7d", "90m", "45s", "0"). out needs 48 bytes. */
void mlp_duration_format(int64_t us, char out[48]);

/* Value types of features and join keys. */
enum mlp_ftype {
	MLP_FT_FLOAT = 0,	/* double; "float", "float64", "float32", "double" */
	MLP_FT_INT,		/* int64; "int", "int64", "int32" */
	MLP_FT_STRING,		/* UTF-8 text; "string" */
	MLP_FT_BOOL,		/* "bool" */
};

/* Parses a type name (above) into *t: 0 or -1. */
int mlp_ftype_parse(const char *s, enum mlp_ftype *t);
/* The canonical name: "float", "int", "string", "bool". */
const char *mlp_ftype_name(enum mlp_ftype t);

/* Aggregation operators. */
enum mlp_aggop {
	MLP_AGG_COUNT = 0, MLP_AGG_SUM, MLP_AGG_AVG, MLP_AGG_MIN, MLP_AGG_MAX,
	MLP_AGG_LAST, MLP_AGG_STDDEV,
};

int mlp_aggop_parse(const char *s, enum mlp_aggop *op);
const char *mlp_aggop_name(enum mlp_aggop op);

/*
 * A parsed spec. Every object remembers where it was written (file, line,
 * column, 1-based) so later checks can name it.
 */
struct mlp_fpos {
	const char *file;	/* borrowed from the spec's file list */
	int line, col;
};

struct mlp_fentity {
	char *name;
	char **join_keys;	/* nkeys names, in order */
	enum mlp_ftype *key_types;	/* "types:" or "type:"; default int */
	size_t nkeys;
	char *description;	/* may be NULL */
	struct mlp_fpos pos;
};

struct mlp_fsource {
	char *name;
	char *path;		/* as written; relative to the spec's directory */
	char *timestamp;	/* event-timestamp column */
	char *created_timestamp;	/* may be NULL */
	enum mlp_tsfmt tsfmt;
	struct mlp_fpos pos;
};

struct mlp_ffeature {
	char *name;
	enum mlp_ftype type;
	struct mlp_fpos pos;
};

struct mlp_fderived {
	char *name;
	char *expr;		/* the expression text, compiled by lib/feature/expr */
	struct mlp_fpos pos;
};

/* One aggregation line: op over column for each window; the output
 * features are named COLUMN_OP_WINDOW ("fare_sum_7d"), one per window. */
struct mlp_fagg {
	char *column;
	enum mlp_aggop op;
	int64_t *windows;	/* microseconds, nwindows > 0 */
	char **names;		/* output names, one per window */
	size_t nwindows;
	struct mlp_fpos pos;
};

struct mlp_fview {
	char *name;
	char *entity;		/* an entity's name */
	char *source;		/* a source's name */
	int64_t ttl;		/* microseconds; 0 = no lower bound */
	struct mlp_ffeature *features;
	size_t nfeatures;
	struct mlp_fderived *derived;
	size_t nderived;
	struct mlp_fagg *aggs;
	size_t naggs;
	struct mlp_fpos pos;
};

struct mlp_fservice {
	char *name;
	char **refs;		/* "VIEW:FEATURE" */
	size_t nrefs;
	struct mlp_fpos pos;
};

struct mlp_fspec {
	struct mlp_fentity *entities;
	size_t nentities;
	struct mlp_fsource *sources;
	size_t nsources;
	struct mlp_fview *views;
	size_t nviews;
	struct mlp_fservice *services;
	size_t nservices;
	char **files;		/* the files read, for mlp_fpos.file */
	size_t nfiles;
};

/* A value as the expression evaluator and the stores see it. A string is
 * borrowed (s, n) from whoever holds the row. */
struct mlp_fval {
	enum mlp_ftype type;
	int null;		/* 1: SQL NULL (type still says what it would be) */
	union {
		double f;
		int64_t i;
		int b;
		struct {
			const char *s;
			size_t n;
		} str;
	} v;
};

/*
 * ---- Expressions (expr.c) ----
 * Declarations for the expression language go here.
 */

/*
 * The expression language of derived features ("rating * 2"), compiled
 * once to a small typed stack machine and evaluated by dataset,
 * materialize, push, get and the server alike.
 *
 * Values are int (int64), float (double), string, bool and null.
 * Literals: 12 is an int (an integer too large for int64 is a float, as
 * in SQLite); 1.5, .5, 5., 1e3 and 2.5E-3 are floats; 'text' or "text"
 * is a string (a doubled quote inside stands for itself: 'it''s');
 * true, false and null. A name [A-Za-z_][A-Za-z0-9_]* refers to a
 * feature of the environment; `any name` (backquotes, `` for one) to a
 * feature with other characters or one named like a keyword. The
 * keywords and, or, not, true, false, null and the function names are
 * case-insensitive; feature names are not. A name followed by '(' is a
 * function call.
 *
 * Operators, loosest first: or; and; not; comparisons = == != <> < <= >
 * >= (which do not chain: a < b < c is an error); + -; * / %; unary -
 * and +. 'not' binds looser than a comparison (not a = b is not (a = b))
 * and so needs parentheses after a comparison or arithmetic operator:
 * a = (not b).
 *
 * Semantics follow SQL (SQLite) where it has one:
 * - Any arithmetic, comparison or function of a null is null, except
 *   is_null, coalesce, if and the three-valued and, or, not (false and
 *   null is false, true or null is true, not null is null).
 * - int + - * % int is an int, and an overflow is null (never wraps);
 *   int with float is a float; / always gives a float; x / 0 and x % 0
 *   are null; % is C's fmod for floats (the sign of x).
 * - A float result that would be NaN or infinite is null, as is a float
 *   feature holding NaN or an infinity: no NaN leaves the evaluator.
 * - Comparisons: numbers with numbers (int against float exactly, with
 *   no rounding), strings with strings (bytewise), bools with bools
 *   (false < true); anything else is a compile error.
 * - and, or, not and if's condition take bools only; arithmetic takes
 *   numbers only (no bool arithmetic, no string concatenation).
 * Functions:
 *   log(x) ln, null for x <= 0	log1p(x) ln(1+x), null for x <= -1
 *   exp(x) null on overflow	sqrt(x) null for x < 0
 *   abs(x) keeps int for int (abs of the smallest int64 is null)
 *   min(a, b, ...), max(a, b, ...): two or more numbers, strings or
 *	bools; null when any argument is null (SQLite's scalar min/max)
 *   clip(x, lo, hi): min(max(x, lo), hi); hi when lo > hi
 *   coalesce(a, b, ...): the first non-null argument
 *   if(cond, a, b): a when cond is true, else b (also when cond is null,
 *	as SQL's CASE)
 *   is_null(x): true or false, never null
 *   bucket(x, e1, ..., ek): the number of constant, strictly ascending
 *	edges e <= x (0..k) as an int, numpy.digitize's bin; null for null x
 * The arguments of min, max, coalesce and if's two branches must share a
 * type (int and float mix, giving float). Everything is computed eagerly
 * (there are no side effects or errors to skip); parts made only of
 * constants are computed once at compile time.
 * The type of a result is known at compile time (mlp_expr_type); an
 * expression whose value can only be null (null, if(c, null, null)) is a
 * float.
 *
 * Limits, each a compile error: 65536 bytes of text, 256 levels of
 * nested parentheses, calls and prefix operators, and 512 values pending
 * at once during evaluation (operands waiting for the rest of their
 * operator, which only deep nesting reaches).
 */
struct mlp_expr;

/* One name an expression may refer to: its value is slots[slot] when
 * the expression is evaluated. */
struct mlp_expr_var {
	const char *name;
	size_t slot;		/* below UINT32_MAX */
	enum mlp_ftype type;
};

/* The names an expression may refer to (a feature view's features, and
 * the derived features before it when those may be used). A name given
 * twice means its first entry. */
struct mlp_expr_env {
	const struct mlp_expr_var *vars;
	size_t nvars;
};

/* Compiles text against env into *out, which the caller frees with
 * mlp_expr_free(). Every error in the text, a type error included, is
 * MLP_ESYNTAX with err->pos the byte offset at fault and a message that
 * starts with its 1-based column in characters ("column 9: expected ')'
 * after the arguments of 'clip'"; "line 2, column 3: ..." when the text
 * has several lines); an unknown name suggests a near one ("column 1:
 * unknown feature 'ratng' (did you mean 'rating'?)"). MLP_EINVAL for an
 * env entry with a bad type or slot. */
int mlp_expr_compile(const char *text, const struct mlp_expr_env *env,
    struct mlp_expr **out, struct mlp_err *err);

/* Frees a compiled expression; accepts NULL. */
void mlp_expr_free(struct mlp_expr *e);

/* The type of the values e gives. */
enum mlp_ftype mlp_expr_type(const struct mlp_expr *e);

/* The slots e reads, ascending, each once (*slots borrowed from e), so a
 * caller fetches only those; returns how many. */
size_t mlp_expr_slots_used(const struct mlp_expr *e, const size_t **slots);

/* The expression re-printed canonically, for lineage: keywords and
 * function names in lower case, '=' and '!=' for the comparisons, one
 * space around binary operators and after commas, strings in single
 * quotes, numbers in their shortest exact form (floats always with a '.'
 * or an exponent), names backquoted only when they must be, and only the
 * parentheses the grammar needs. Texts that differ only in such spelling
 * print alike; the canonical text compiles to the same program and
 * prints as itself. Borrowed from e. (A re-print rather than a listing of
 * the bytecode, so lineage stays readable and does not change when the
 * machine does.) */
const char *mlp_expr_text(const struct mlp_expr *e);

/* Evaluates e over one row: slots[k] is the value of the name with slot
 * k (only the slots mlp_expr_slots_used names are read; a null slot may
 * have any type). Sets *out to the result, type mlp_expr_type(e); a
 * string result borrows from slots or from e. Never allocates; safe to
 * call from several threads at once. 0, or MLP_EINVAL when a slot read
 * is not null and not of the type its env entry declared. */
int mlp_expr_eval(const struct mlp_expr *e, const struct mlp_fval *slots,
    struct mlp_fval *out);

/*
 * ---- Specs and the catalog (spec.c, catalog.c) ----
 * Declarations for loading specs and recording them go here.
 */

/*
 * ---- The offline store (segment.c, pit.c, offline.c) ----
 * Declarations for ingest, segments, the point-in-time join and
 * aggregations go here.
 */

#endif
