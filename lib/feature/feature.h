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

/* The file formats of sources. */
enum mlp_fformat {
	MLP_FFMT_CSV = 0,	/* a header line, then rows (lib/data's dialect) */
	MLP_FFMT_JSONL,		/* one JSON object a line */
};

struct mlp_fsource {
	char *name;
	char *path;		/* relative to the repository's root when it
				 * lies inside it, else absolute */
	char *timestamp;	/* event-timestamp column */
	char *created_timestamp;	/* may be NULL */
	enum mlp_tsfmt tsfmt;
	struct mlp_fpos pos;
	enum mlp_fformat format;	/* "format:", else from path's extension */
	char *description;	/* may be NULL */
};

struct mlp_ffeature {
	char *name;
	enum mlp_ftype type;
	struct mlp_fpos pos;
};

struct mlp_fderived {
	char *name;
	char *expr;		/* the expression text, compiled by lib/feature/expr */
	enum mlp_ftype type;	/* its result's, once the spec is checked */
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
	char *description;	/* may be NULL */
	char **tag_keys, **tag_values;	/* ntags, sorted by key */
	size_t ntags;
	/* the catalog's version of the view (mlp_fcatalog_load), 0 for a
	 * spec read from files: with name, the view's identity */
	int64_t version;
};

struct mlp_fservice {
	char *name;
	char **refs;		/* "VIEW:FEATURE" */
	size_t nrefs;
	struct mlp_fpos pos;
	char *description;	/* may be NULL */
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
 *
 * Specs are the YAML files mlp-feature(1) describes (SPEC FORMAT). Names
 * of entities, sources, views, services, join keys and features match
 * [A-Za-z_][A-Za-z0-9_]*. A view's outputs are its features, then its
 * aggregation outputs (COLUMN_OP_WINDOW, the window as the spec spells
 * it: "fare_sum_7d"), then its derived features; each name once.
 */

/* Reads the spec files at paths[0..npaths): a path is a YAML file or a
 * directory, whose *.yaml and *.yml files (not hidden, not recursive) are
 * read in bytewise order. A file named twice is read once. A source's
 * path, written relative to its spec file's directory, is stored relative
 * to root (the repository's root, the directory holding .mlp/) when it
 * lies inside it, else absolute (root NULL: always absolute). Every
 * reference is checked, and a service's "VIEW" entries are expanded to
 * every output of the view ("VIEW:FEATURE"), so refs hold only the
 * latter. The caller frees *out with mlp_fspec_free(). Errors:
 * MLP_ENOTFOUND (a path that does not exist), MLP_EINVAL naming file,
 * line and column: "'features.yaml' line 12 column 5: unknown key 'ttl_s'
 * in feature view 'driver_trips' (did you mean 'ttl'?)"; duplicate keys
 * (mlp_yaml_parse names file and line), duplicate names of a kind across
 * files, dangling references (with a did-you-mean), bad durations, types
 * and operators, an output named twice in a view, a view without outputs,
 * a join key named as an output of a view of its entity. Derived
 * expressions are kept as text here (lib/feature/expr compiles them). */
int mlp_fspec_load(const char *const *paths, size_t npaths,
    const char *root, struct mlp_fspec **out, struct mlp_err *err);

/* Frees s and everything in it; accepts NULL. */
void mlp_fspec_free(struct mlp_fspec *s);

/* The object of s named name, or NULL (borrowed from s). */
const struct mlp_fentity *mlp_fspec_entity(const struct mlp_fspec *s,
    const char *name);
const struct mlp_fsource *mlp_fspec_source(const struct mlp_fspec *s,
    const char *name);
const struct mlp_fview *mlp_fspec_view(const struct mlp_fspec *s,
    const char *name);
const struct mlp_fservice *mlp_fspec_service(const struct mlp_fspec *s,
    const char *name);

/* One output of a view: a feature (index into features), an aggregation
 * output (aggs[index], window window), or a derived feature (derived[index]).
 * type: the feature's; count int, other aggregations float; a derived
 * feature's is known once its expression is compiled, float here. */
enum mlp_foutkind { MLP_FOUT_FEATURE = 0, MLP_FOUT_AGG, MLP_FOUT_DERIVED };
struct mlp_foutput {
	const char *name;	/* borrowed from the view */
	enum mlp_foutkind kind;
	enum mlp_ftype type;
	size_t index, window;
};

/* The name among names[0..n) nearest to word, when near enough to be a
 * typo of it (an edit distance of at most half its length, at least 2,
 * never the whole word), for did-you-mean; else NULL (borrowed). */
const char *mlp_fname_closest(const char *word, const char *const *names,
    size_t n);

/* Compiles v's derived features in order, each against the view's
 * features, aggregation outputs and the derived features before it (slot
 * i is output i of mlp_fview_output), and sets their types. MLP_EINVAL
 * naming the derived feature and where its expression goes wrong.
 * mlp_fspec_load and mlp_fcatalog_load call it for every view. */
int mlp_fview_type_derived(struct mlp_fview *v, struct mlp_err *err);

/* The env of derived feature d of v as above (vars allocated, the caller
 * frees them; names borrowed from v). */
void mlp_fview_expr_env(const struct mlp_fview *v, size_t d,
    struct mlp_expr_env *env);

/* A view's derived features compiled once (mlp_fderiver_new: the caller
 * frees it with mlp_fderiver_free; v must outlive it). slots holds the
 * view's outputs in mlp_fview_output's order (features, aggregation
 * outputs, derived features); mlp_fderiver_eval computes derived features
 * 0..upto into their slots, in order, so a later one sees the earlier
 * ones. String results borrow from slots or the expressions. Safe from
 * several threads (each its own slots). */
struct mlp_fderiver;
int mlp_fderiver_new(const struct mlp_fview *v, struct mlp_fderiver **out,
    struct mlp_err *err);
void mlp_fderiver_free(struct mlp_fderiver *d);
const struct mlp_expr *mlp_fderiver_expr(const struct mlp_fderiver *d,
    size_t i);
int mlp_fderiver_eval(const struct mlp_fderiver *d, struct mlp_fval *slots,
    size_t upto, struct mlp_err *err);

/* The number of outputs of v, and output i (0 <= i < that), in order:
 * features, aggregation outputs, derived features. */
size_t mlp_fview_noutputs(const struct mlp_fview *v);
void mlp_fview_output(const struct mlp_fview *v, size_t i,
    struct mlp_foutput *out);
/* The output of v named name into *out (which may be NULL): 0, or -1 when
 * v has none. */
int mlp_fview_find(const struct mlp_fview *v, const char *name,
    struct mlp_foutput *out);

/* Resolves a feature reference "VIEW:FEATURE" against s into *view and
 * *out. MLP_EINVAL for a malformed reference, MLP_ENOTFOUND for an unknown
 * view or feature, with a did-you-mean: "no feature 'fare_sum_7' in view
 * 'driver_trips' (did you mean 'fare_sum_7d'?)". */
int mlp_fspec_resolve(const struct mlp_fspec *s, const char *ref,
    const struct mlp_fview **view, struct mlp_foutput *out,
    struct mlp_err *err);

/*
 * The catalog: applied specs in the metadata database (migration 5),
 * versioned like alias history. Each object (an entity, source, view or
 * service) has a canonical JSON form (keys in a fixed order, every key
 * present: null, [] or {} when unset) and a version that grows by one
 * each time the form changes; a deletion is a version without a form, and
 * an object defined again goes on from there. A view's identity is
 * (name, version): what the offline store records data against.
 */
struct mlp_db;

enum mlp_fkind { MLP_FK_ENTITY = 0, MLP_FK_SOURCE, MLP_FK_VIEW,
	MLP_FK_SERVICE };
#define MLP_FK_COUNT 4

/* "entity", "source", "view", "service" (the catalog's and --kind's
 * names); the title is what messages say: "feature view". */
const char *mlp_fkind_name(enum mlp_fkind k);
const char *mlp_fkind_title(enum mlp_fkind k);
int mlp_fkind_parse(const char *s, enum mlp_fkind *k);

/* The canonical JSON of object i of kind in s (the caller frees it). */
char *mlp_fspec_json(const struct mlp_fspec *s, enum mlp_fkind kind,
    size_t i);

enum mlp_faction { MLP_FA_NONE = 0, MLP_FA_CREATE, MLP_FA_UPDATE,
	MLP_FA_DELETE };
/* "unchanged", "create", "update", "delete" */
const char *mlp_faction_name(enum mlp_faction a);

/* One object's change from the catalog to the files. */
struct mlp_fchange {
	enum mlp_fkind kind;
	char *name;
	enum mlp_faction action;
	int64_t from_version;	/* its version now, 0 when never recorded */
	int64_t version;	/* the version the change makes (from + 1) */
	char **fields;		/* update: the keys of the form that differ */
	size_t nfields;
	/* what in the change breaks data already recorded: a feature's
	 * type, an entity's join keys or key types, a view's entity */
	char **breaking;
	size_t nbreaking;
	char *spec;		/* the new form; NULL for a delete */
	struct mlp_fpos pos;	/* where the files define it ({NULL} delete) */
};

/* Changes in kind order (entity, source, view, service), then by name;
 * unchanged objects included (action MLP_FA_NONE). */
struct mlp_fplan {
	struct mlp_fchange *changes;
	size_t n;
	size_t ncreate, nupdate, ndelete, nunchanged, nbreaking;
};

/* Frees p and its changes; accepts NULL. */
void mlp_fplan_free(struct mlp_fplan *p);

/* What applying spec would do: every object spec defines is created or
 * updated (or left alone), every live object of the catalog it does not
 * define is deleted (as terraform and feast apply do). The caller frees
 * *out. Errors from the database; MLP_ECORRUPT for a recorded form that
 * does not parse. */
int mlp_fcatalog_plan(struct mlp_db *db, const struct mlp_fspec *spec,
    struct mlp_fplan **out, struct mlp_err *err);

/* Plans and records the plan in one BEGIN IMMEDIATE transaction, each
 * change a new version by user now (a plan without changes writes
 * nothing). A plan with breaking changes is
 * refused unless force is set: MLP_EFAIL naming the first, nothing
 * written, *out still set so the caller can list them all. *out is the
 * plan applied (or refused); the caller frees it. */
int mlp_fcatalog_apply(struct mlp_db *db, const struct mlp_fspec *spec,
    int force, const char *user, struct mlp_fplan **out,
    struct mlp_err *err);

/* The live objects of the catalog as a spec (each view's version set),
 * for the commands that work from what was applied; positions name the
 * files each version was applied from. The caller frees *out. An empty
 * catalog gives an empty spec. MLP_ECORRUPT for a form that does not
 * parse. */
int mlp_fcatalog_load(struct mlp_db *db, struct mlp_fspec **out,
    struct mlp_err *err);

/* An object of the catalog: spec is its form, NULL when deleted. */
struct mlp_fobject {
	enum mlp_fkind kind;
	char *name;
	int64_t version;
	char *spec;
	char *user;		/* who made the latest version */
	int64_t created, updated;	/* ms since the epoch */
};

/* The objects of kind (all kinds when kind < 0) by kind, then name; the
 * deleted ones too when deleted is set. The caller frees *out with
 * mlp_fobjects_free(), which accepts NULL. */
int mlp_fcatalog_list(struct mlp_db *db, int kind, int deleted,
    struct mlp_fobject **out, size_t *n, struct mlp_err *err);
void mlp_fobjects_free(struct mlp_fobject *o, size_t n);

/* One version of an object. */
struct mlp_fversion {
	int64_t version;
	enum mlp_faction action;
	char *spec;		/* NULL for a deletion */
	char *changed;		/* update: the fields, comma separated */
	int forced;		/* a breaking change applied with force */
	char *file;		/* where it was applied from; NULL for a delete */
	int line, col;
	char *user;
	int64_t ts;		/* ms since the epoch */
};

/* The versions of the object kind/name, oldest first. MLP_ENOTFOUND when
 * the catalog never had it. The caller frees *out with
 * mlp_fversions_free(), which accepts NULL. */
int mlp_fcatalog_history(struct mlp_db *db, enum mlp_fkind kind,
    const char *name, struct mlp_fversion **out, size_t *n,
    struct mlp_err *err);
void mlp_fversions_free(struct mlp_fversion *v, size_t n);

/* Appends the names of live objects of kind (all when kind < 0) that
 * start with prefix to out, sorted (completion). */
int mlp_fcatalog_names(struct mlp_db *db, int kind, const char *prefix,
    struct mlp_strv *out, struct mlp_err *err);

/*
 * ---- The offline store (segment.c, pit.c, offline.c) ----
 * Declarations for ingest, segments, the point-in-time join and
 * aggregations go here.
 */

/* Entity keys. The canonical key of a row is its join-key values in the
 * entity's order, joined by MLP_FKEY_SEP: an int as canonical decimal
 * ("-12", "0"; no '+', no leading zeros), a string as its UTF-8 bytes
 * (which may not hold MLP_FKEY_SEP). Its hash, mlp_fkey_hash, is a fixed
 * 64-bit function of those bytes: segments on disk are partitioned and
 * sorted by it, and the online stores use the same key and hash. */
#define MLP_FKEY_SEP 0x1f

/* Appends the canonical key of vals[0..n) to b. MLP_EINVAL for a null, a
 * float or bool value, or a string holding MLP_FKEY_SEP (err names which
 * value, by its index). */
int mlp_fkey_canon(const struct mlp_fval *vals, size_t n, struct mlp_buf *b,
    struct mlp_err *err);

/* The stable 64-bit hash of a canonical key p[0..n). */
uint64_t mlp_fkey_hash(const void *p, size_t n);

/* The partition of hash among 2^bits partitions: its top bits (0 when bits
 * is 0), so that partitions are ranges of the hash order and a partition
 * of 2^b splits into partitions of any 2^(b+k). */
static inline uint32_t
mlp_fkey_partition(uint64_t hash, unsigned bits)
{
	return bits ? (uint32_t)(hash >> (64 - bits)) : 0;
}

/*
 * The point-in-time rules, the one definition the offline join and the
 * online stores share. A feature row (event_ts, created_ts) of an entity
 * is seen by a request for that entity at time T when
 *	event_ts <= T, and created_ts <= T with filter_created (a row without
 *	a created time passes), and T - ttl <= event_ts when ttl > 0
 * (both ends inclusive; ttl 0 means no lower bound); of the rows seen, the
 * value comes from the greatest (event_ts, created_ts), and of rows equal
 * in both from the last ingested (the later batch; in one batch, the later
 * line). None seen: null. An aggregation window w covers (T - w, T]:
 * event_ts > T - w and event_ts <= T (created_ts <= T too with
 * filter_created); the TTL does not apply to windows.
 */

/* 1 when a row with event time ets and created time cts (MLP_TS_NONE for
 * none) may be picked at t: ets <= t and, with filter_created, cts <= t. */
int mlp_fpit_visible(int64_t ets, int64_t cts, int64_t t, int filter_created);

/* 1 when event time ets is within ttl of t (t - ttl <= ets), or ttl is 0. */
int mlp_fpit_fresh(int64_t ets, int64_t t, int64_t ttl);

/* 1 when a row (ets_a, cts_a) takes the place of a row (ets_b, cts_b)
 * ingested or pushed before it: (ets_a, cts_a) >= (ets_b, cts_b). */
int mlp_fpit_supersedes(int64_t ets_a, int64_t cts_a, int64_t ets_b,
    int64_t cts_b);

/* 1 when event time ets is inside the window w ending at t: t - w < ets
 * <= t. */
int mlp_fpit_in_window(int64_t ets, int64_t t, int64_t w);

/* Picks among n rows of one entity sorted by (ets, cts) ascending, equal
 * rows in arrival order (cts may be NULL: no created times): the index of
 * the row the rules above give at t, or -1 when none is seen. Rows of
 * several batches: pick in each, then keep the pick that supersedes. */
long mlp_fpit_pick(const int64_t *ets, const int64_t *cts, size_t n,
    int64_t t, int64_t ttl, int filter_created);

/* The range [*lo, *hi) of rows of window w ending at t among n sorted
 * event times. */
void mlp_fpit_window(const int64_t *ets, size_t n, int64_t t, int64_t w,
    size_t *lo, size_t *hi);

/*
 * Aggregations over the inputs of a window in (event_ts, created_ts,
 * arrival) order, the same code offline and online so both give the same
 * bits. Null inputs are skipped. count: the inputs (0 for none); sum: a
 * plain left-to-right double sum; avg: sum / count; min, max; last: the
 * last input; stddev: the sample standard deviation (n - 1 in the
 * denominator, by Welford's updates in order), null for fewer than 2
 * inputs. Every op but count is null without inputs, and a result that
 * is not finite (a sum past the doubles) is null too.
 */
struct mlp_fagg_acc {
	int64_t n;
	double sum, min, max, last, mean, m2;
};

void mlp_fagg_acc_init(struct mlp_fagg_acc *a);
/* Adds the next non-null input x. */
void mlp_fagg_acc_add(struct mlp_fagg_acc *a, double x);
/* The value of op over what was added, as a float (count as an int). */
void mlp_fagg_acc_value(const struct mlp_fagg_acc *a, enum mlp_aggop op,
    struct mlp_fval *out);
/* The type of op's result: MLP_FT_INT for count, else MLP_FT_FLOAT. */
enum mlp_ftype mlp_fagg_type(enum mlp_aggop op);
/* op over x[0..n), where bit i of nulls (u64 words; NULL: none) marks x[i]
 * null. */
void mlp_fagg_run(enum mlp_aggop op, const double *x, const uint64_t *nulls,
    size_t n, struct mlp_fval *out);

/*
 * The offline store. `ingest` reads a source's rows, type-checks them for
 * every feature view on that source and stores them, per view, as segments
 * (immutable columnar objects, one per non-empty partition of the key
 * hash) recorded as one batch; `dataset` joins a spine against them.
 */
struct mlp_db;
struct mlp_store;

/* Rows per partition an ingest aims at: P, the partition count, is the
 * least power of two with rows / P <= MLP_FPART_ROWS, at most
 * 2^MLP_FPART_MAX_BITS. */
#define MLP_FPART_ROWS (UINT64_C(1) << 19)
#define MLP_FPART_MAX_BITS 12

struct mlp_fingest_opts {
	const char *source;	/* the source's name */
	const char *file;	/* NULL: the source's path; "-": stdin */
	const char *root;	/* relative source paths start here (the
				 * directory holding .mlp); NULL: "." */
	const int64_t *versions;	/* per spec->views: the versions to
					 * record; NULL: each view's version
					 * (1 when it has none) */
	const char *user;	/* recorded with each batch */
	const char *origin;	/* recorded as where each batch came from
				 * ("push:VIEW"); NULL: the file as given */
	int nthreads;		/* parsing a large CSV file; 0: the online
				 * CPUs, at most 4 */
	int no_compact;		/* 1: no compaction after (mlp_fcompact) */
};

struct mlp_fingest_view {
	const char *view;	/* borrowed from the spec */
	int64_t version;
	int64_t id;		/* the batch recorded (unchanged: the batch
				 * that has these rows) */
	int unchanged;		/* the same rows were ingested before */
	uint64_t rows;
	unsigned partitions;	/* P */
	size_t segments;
	uint64_t bytes;		/* of its segments */
	int64_t min_ts, max_ts;	/* event times */
	char digest[65];	/* SHA-256 of its segment list, hex */
	int64_t compacted;	/* the batch the compaction after it made of
				 * the newest batches (this one too), 0: none */
	size_t merged;		/* batches that compaction merged */
};

struct mlp_fingest_result {
	char *path;		/* the file read, as given */
	uint64_t rows;
	struct mlp_fingest_view *views;
	size_t nviews;
	uint64_t objects_written, bytes_written;
	double read_s, order_s, write_s;	/* seconds reading, sorting,
						 * storing */
	char *compact_error;	/* the rows were recorded, but compacting
				 * after failed: why */
};

/* Ingests opts->source of spec (its path under root, or opts->file) for
 * every view of spec on that source: reads the CSV (or JSON lines, when
 * the source's format says so or the data starts with '{'), checks every
 * column a view needs (join keys of its entity, the timestamps in the
 * source's format, features by type, aggregation inputs as numbers; an
 * empty value is null, and a null key or event time is an error), and
 * only when the whole file is good writes the segments and records one
 * batch per view in one transaction. A view whose
 * rows (the same segments) were ingested before at the same version is
 * left as it was (unchanged: the batch holding them, after compaction
 * the one they were merged into). Then, unless opts->no_compact, each
 * view that got a batch is compacted by the size-tiered policy
 * (MLP_FCOMPACT_AUTO); a failure there leaves the ingest done and says
 * why in compact_error. *out, freed with mlp_fingest_result_free, says
 * what was done. MLP_ENOTFOUND (no such source, no file), MLP_EINVAL (no
 * view uses the source; bad content: "'trips.csv' line 12 column 3
 * ('fare'): 'abc' is not a float"), write errors. */
int mlp_fingest(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const struct mlp_fingest_opts *opts,
    struct mlp_fingest_result **out, struct mlp_err *err);
void mlp_fingest_result_free(struct mlp_fingest_result *r);

/* A batch of a view, as mlp feature show lists it. */
struct mlp_fbatch_info {
	int64_t id, version;
	char *origin;		/* the file ingested, "push:VIEW" or
				 * "compact:VIEW" */
	char *user;
	uint64_t rows, bytes;
	size_t segments;
	unsigned partitions;
	int64_t min_ts, max_ts;	/* event times, us */
	int64_t created;	/* ms */
	size_t replaces;	/* ingests and pushes whose rows it holds
				 * now (a compaction's) */
};

/* The batches of the newest ingested version of view, in the view's
 * order (a later one wins a tie), into *out[0..*n) (none: 0), freed
 * with mlp_fbatch_infos_free. Database errors. */
int mlp_fbatch_list(struct mlp_db *db, const char *view,
    struct mlp_fbatch_info **out, size_t *n, struct mlp_err *err);
void mlp_fbatch_infos_free(struct mlp_fbatch_info *b, size_t n);

/*
 * Compaction (compact.c). Every ingest and every offline push flush adds
 * a batch to a view; compaction merges batches, next to each other in the
 * view's order, into one that holds the same rows in the order the join
 * reads them (by event and created time, ties in batch order, then line
 * order), so every dataset, materialization and aggregation stays the
 * same to the bit. One transaction records the merged batch in the place
 * of the newest one merged and marks the merged ones replaced by it:
 * their rows stay in feature_ingest (an ingest of the same rows again
 * is still unchanged, and an old batch id can be followed to the batch
 * holding its rows now); their segments are left to mlp gc.
 *
 * After each batch an ingest or a push records, the view is compacted by
 * the size-tiered policy (mlp_fcompact_pick): from the newest batch back,
 * the next older one joins while it holds at most MLP_FCOMPACT_RATIO
 * times the rows of those taken, and at least MLP_FCOMPACT_MIN taken are
 * merged, so a view keeps a few batches per tripling of its rows and a
 * row is rewritten a few times per tripling, never the whole view per
 * push.
 */
#define MLP_FCOMPACT_MIN 8
#define MLP_FCOMPACT_RATIO 2
enum { MLP_FCOMPACT_ALL = 0, MLP_FCOMPACT_AUTO = 1 };

struct mlp_fcompact_view {
	const char *view;	/* borrowed */
	int64_t version;	/* the ingested version compacted */
	int64_t id;		/* the merged batch, 0: none made */
	size_t merged;		/* batches merged into it */
	size_t before, after;	/* the view's batches */
	uint64_t rows, bytes;	/* of the merged batch */
	unsigned partitions;
	size_t segments;
	uint64_t objects_written;
	int64_t min_ts, max_ts;	/* event times */
	char digest[65];
};

/* Of n batches with rows[0..n) in the view's order, the first of the
 * newest that the policy merges; n when none. */
size_t mlp_fcompact_pick(const uint64_t *rows, size_t n);

/* Compacts the batches of the newest ingested version of the view of
 * spec named name: all of them (MLP_FCOMPACT_ALL), or those
 * mlp_fcompact_pick picks (MLP_FCOMPACT_AUTO); fewer than two is nothing
 * to do (res->id 0). MLP_ENOTFOUND for an unknown view (with a
 * did-you-mean) or one without ingested data, MLP_ELOCKED when
 * another process changed the batches meanwhile (nothing recorded; try
 * again), MLP_EINVAL for batches of other columns, MLP_ECORRUPT, write
 * errors. */
int mlp_fcompact(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const char *name, int how,
    const char *user, struct mlp_fcompact_view *res, struct mlp_err *err);

/* Derived features are computed per output row after the join, from the
 * row's values of its view: called with the view, the derived feature's
 * index in it, the row's values of the view's features and aggregations
 * in spec order (features first, then each aggregation's outputs), and
 * out to fill. NULL: the view's own expressions (mlp_fderiver_*), which
 * is what every caller wants but a test. */
typedef int (*mlp_fderive_fn)(void *ud, const struct mlp_fview *view,
    size_t derived, const struct mlp_fval *inputs, struct mlp_fval *out,
    struct mlp_err *err);

struct mlp_fdataset_opts {
	const char *spine;	/* CSV path, "-": stdin */
	const char *ts_column;	/* NULL: "event_ts" */
	enum mlp_tsfmt tsfmt;
	const char *const *refs;	/* "VIEW:FEATURE" (services resolved
					 * by the caller) */
	size_t nrefs;
	int full_names;		/* output columns VIEW__FEATURE */
	int filter_created;	/* also created_ts <= T */
	int out_fd;		/* where the CSV goes */
	int nthreads;		/* joining and writing; 0: the online CPUs,
				 * at most 4 */
	mlp_fderive_fn derive;
	void *derive_ud;
};

struct mlp_fdataset_result {
	uint64_t rows;		/* spine rows = output rows */
	size_t nfeatures;
	unsigned partitions;
	uint64_t bytes;		/* of the output */
	char digest[65];	/* SHA-256 of the output, hex */
	double read_s, join_s, write_s;	/* seconds reading the spine,
					 * joining, writing */
};

/* Builds the point-in-time training set for the spine: its columns as
 * they are (each record verbatim), then one column per reference (its
 * feature name, VIEW__FEATURE with full_names), empty for null, floats
 * written so they read back to the same double; rows in spine order. Each
 * view is read from the batches of its newest ingested version. Errors:
 * MLP_EINVAL for a bad spine ("'spine.csv' has no column 'driver_id' (a
 * join key of entity 'driver')", a bad key or time with its line), an
 * unknown reference (with a did-you-mean), output names clashing;
 * MLP_ENOTFOUND when a view has no ingested data; MLP_ECORRUPT for a
 * damaged segment; write errors. */
int mlp_fdataset(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_fspec *spec, const struct mlp_fdataset_opts *opts,
    struct mlp_fdataset_result *res, struct mlp_err *err);

/*
 * ---- Materialize, get, push (online-rec.c, materialize.c, get.c,
 * push.c) ----
 * What goes into the online store and comes out of it.
 *
 * The online record of (feature view, entity key), one backend record
 * (mlp_online_put) under the view's name and the key "ENTITY:KEY" (the
 * entity's name, a colon and the canonical key, so that equal keys of two
 * entities stay apart): the view's features of its latest row (typed,
 * nulls kept) and, for a view with aggregations, the events of its
 * longest window (event and created time and the aggregation inputs), so
 * that a read at time T computes every window (T - w, T] with
 * mlp_fagg_acc_* over the same inputs in the same order as dataset does.
 * Derived features are computed when read, by the view's own compiled
 * expressions (mlp_fderiver_*). The record is binary with a version byte
 * and a fingerprint of the view's definition (its features' names and
 * types and its aggregation inputs); a record written for another
 * definition is an error that says to materialize again.
 *
 * The backend's (event_ts, created_ts) of a record order its writes: the
 * latest row's times when materialized; a push that changes a record
 * writes max((newest event), (the stored event time, the stored created
 * time + 1)), so every change of a record is newer than what it was read
 * from, and a change made by someone else in between (a write that
 * was not newer) is read and merged again.
 */
struct mlp_online;

/* Statuses of a value, as Feast's FieldStatus numbers them. */
enum mlp_fstatus {
	MLP_FSTATUS_INVALID = 0,
	MLP_FSTATUS_PRESENT = 1,
	MLP_FSTATUS_NULL_VALUE = 2,	/* the entity has the feature: null */
	MLP_FSTATUS_NOT_FOUND = 3,	/* no record, or no row at or
					 * before the time asked */
	MLP_FSTATUS_OUTSIDE_MAX_AGE = 4,	/* its row is older than the
						 * view's TTL: the value is
						 * null */
};

/* "PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE", "INVALID". */
const char *mlp_fstatus_name(int status);

/*
 * Materialize: each view's records from the offline store (the batches
 * of its newest ingested version, as dataset reads them). For every
 * entity, the latest row with start <= event_ts <= end (Feast's rule;
 * of rows equal in time the one dataset would pick) and, for a view with
 * aggregations, the events in (end - longest window, end]; written,
 * partition by partition, in batches through mlp_online_put, so that a
 * record already newer (a later push) is kept. A view is recorded as
 * materialized (migration 7: view, version, online store, start, end,
 * entities, who, when) only once all its records were written.
 */
struct mlp_fmat_opts {
	const char *const *views;	/* names; NULL: every view that has
					 * ingested data */
	size_t nviews;
	int64_t start;		/* MLP_TS_NONE: from the first row */
	int64_t end;		/* us */
	/* start each view from its last materialized end into this online
	 * store at its version; never materialized: end - ttl, or from the
	 * first row for a view without a TTL (start is ignored) */
	int incremental;
	const char *online;	/* the store's URI, as recorded */
	const char *user;
	/* called with the view, partitions done and their count */
	void (*progress)(void *ud, const char *view, uint64_t done,
	    uint64_t total);
	void *progress_ud;
};

struct mlp_fmat_view {
	const char *view;	/* borrowed from the spec */
	int64_t version;	/* the ingested version read */
	int64_t start, end;	/* start MLP_TS_NONE: from the first row */
	int skipped;		/* 1: no ingested data (only when no views
				 * were named); 2: already materialized to
				 * end (incremental) */
	uint64_t entities;	/* records put */
	uint64_t written;	/* of those, newer than the stored ones */
	uint64_t events;	/* aggregation events in the records */
	uint64_t rows;		/* offline rows read */
	double seconds;
};

struct mlp_fmat_result {
	struct mlp_fmat_view *views;
	size_t nviews;
};

/* Materializes opts->views of spec (all when none) into o. *out, freed
 * with mlp_fmat_result_free (accepts NULL), says what was done; it is set
 * on an error too, with the views done before it. MLP_ENOTFOUND for an
 * unknown view (with a did-you-mean) or a named view without ingested
 * data; MLP_EINVAL for start after end or a view whose segments lack a
 * column; MLP_ECORRUPT for a damaged segment; the online store's
 * errors. */
int mlp_fmaterialize(struct mlp_db *db, struct mlp_store *st,
    struct mlp_online *o, const struct mlp_fspec *spec,
    const struct mlp_fmat_opts *opts, struct mlp_fmat_result **out,
    struct mlp_err *err);
void mlp_fmat_result_free(struct mlp_fmat_result *r);

/*
 * Get: feature values of entities from the online store at a time. A plan
 * resolves references once (and compiles derived features); mlp_fget
 * reads each view's records for all entities in one backend call and
 * computes the values at req->at:
 * - a feature: its latest row's value when that row's event time is at
 *   most at, NOT_FOUND when there is none; OUTSIDE_MAX_AGE (null) when
 *   the row is older than at - ttl (mlp_fpit_visible, mlp_fpit_fresh);
 * - an aggregation: over the record's events in (at - w, at]
 *   (mlp_fpit_window), in order, by mlp_fagg_acc_*: exact for any at not
 *   before the record's newest event (older events than its longest
 *   window before that are not kept); PRESENT or NULL_VALUE (count 0 is
 *   PRESENT);
 * - a derived feature: its expression over the view's values above;
 *   PRESENT or NULL_VALUE;
 * - every feature of a view without a record for the entity: NOT_FOUND,
 *   with the value dataset gives an entity without rows (null; an
 *   aggregation over no events: count 0), so the vectors stay equal.
 * The event time given with a value is its row's (a feature), else the
 * newest event at or before at (MLP_TS_NONE: none).
 * A plan is read-only once made: several threads may use one, each with
 * its own struct mlp_online and result.
 */
struct mlp_fget_plan;

/* Plans refs[0..nrefs) ("VIEW:FEATURE"; a service's refs as
 * mlp_fspec_service gives them) against spec, which must outlive the
 * plan. The caller frees *out with mlp_fget_plan_free (accepts NULL).
 * MLP_EINVAL for a malformed reference or join keys of one name and two
 * types, MLP_ENOTFOUND for an unknown view or feature (with a
 * did-you-mean). */
int mlp_fget_prepare(const struct mlp_fspec *spec,
    const char *const *refs, size_t nrefs, struct mlp_fget_plan **out,
    struct mlp_err *err);
void mlp_fget_plan_free(struct mlp_fget_plan *p);

/* The join-key columns the plan needs, in the order of the first
 * reference that needs each (borrowed from the plan); returns how many. */
size_t mlp_fget_plan_keys(const struct mlp_fget_plan *p,
    const char *const **names, const enum mlp_ftype **types);

/* Reference i's output name: the feature's ("rating"), or with full
 * Feast's "VIEW__FEATURE"; its type (a derived feature's from its
 * expression). Borrowed from the plan. */
size_t mlp_fget_plan_nrefs(const struct mlp_fget_plan *p);
const char *mlp_fget_plan_name(const struct mlp_fget_plan *p, size_t i,
    int full);
enum mlp_ftype mlp_fget_plan_type(const struct mlp_fget_plan *p, size_t i);

struct mlp_fget_req {
	/* the entities, column by column as Feast's "entities": nkeys
	 * columns named by join key, each of n values (int keys as ints,
	 * string keys as strings) */
	const char *const *key_names;
	const struct mlp_fval *const *key_cols;
	size_t nkeys, n;
	int64_t at;		/* us: the time the values are for */
};

/* The answer: n * nrefs cells, row-major by entity (entity e, reference
 * r at e * nrefs + r). Zero it before the first use; it may be reused
 * for the next mlp_fget (its memory is kept). Strings are borrowed from
 * res and valid until the next mlp_fget with it or its release. */
struct mlp_fget_res {
	struct mlp_fval *values;
	uint8_t *status;	/* enum mlp_fstatus */
	int64_t *event_ts;	/* MLP_TS_NONE: none */
	size_t n, nrefs;
	/* private */
	size_t cap;
	struct mlp_buf strs;
	struct fget_scratch *scratch;
};

/* Fills res for req with one mlp_online_get per view of the plan.
 * MLP_EINVAL for a missing key column or a key of the wrong type (naming
 * it and the entity's index), MLP_ECORRUPT for a damaged record,
 * MLP_EFAIL for one written for another definition of its view (to be
 * materialized again), the store's errors. */
int mlp_fget(struct mlp_online *o, const struct mlp_fget_plan *p,
    const struct mlp_fget_req *req, struct mlp_fget_res *res,
    struct mlp_err *err);
void mlp_fget_res_release(struct mlp_fget_res *res);

/* Appends Feast's answer to /get-online-features for req and res to out:
 * {"metadata": {"feature_names": [...]}, "results": [{"values": [...],
 * "statuses": [...], "event_timestamps": [...]}, ...]}, the plan's join
 * keys first (their values as given, PRESENT, at the epoch), then each
 * reference (VIEW__FEATURE with full); results[i] belongs to
 * feature_names[i]; times ISO-8601, the epoch for none; floats the
 * shortest way that reads back to the same double. */
void mlp_fget_json(const struct mlp_fget_plan *p,
    const struct mlp_fget_req *req, const struct mlp_fget_res *res,
    int full, struct mlp_buf *out);

/*
 * Push: events into a feature view, as Feast's push does. An event is a
 * row of the view's source: its join keys, its event time (the source's
 * timestamp column, in its format), its created time when the source has
 * one, and the view's features and aggregated columns, checked as ingest
 * checks them (a missing or null value is null; keys and the event time
 * may not be). Online, an event becomes the record's latest row when it
 * is at least as new as the stored one (mlp_fpit_supersedes: as dataset
 * picks the later of equal rows) and joins the record's events in order,
 * the events older than the longest window before the newest one
 * dropped. Offline, a flush appends the events as one ingest batch of the
 * view (mlp_fingest of a JSON-lines file staged in tmpdir, recorded as
 * coming from "push:VIEW", then compacted by the size-tiered policy), so
 * dataset sees them.
 */
enum { MLP_FPUSH_ONLINE = 1, MLP_FPUSH_OFFLINE = 2 };

struct mlp_fpusher;

/* A pusher of events into view of spec (which must outlive it), to the
 * stores in to (MLP_FPUSH_*). The caller frees it with mlp_fpush_free.
 * MLP_ENOTFOUND for an unknown view (with a did-you-mean). */
int mlp_fpush_new(const struct mlp_fspec *spec, const char *view,
    unsigned to, struct mlp_fpusher **out, struct mlp_err *err);
void mlp_fpush_free(struct mlp_fpusher *p);

/* Adds the event of one JSON object text[0..n) (line lineno of the input
 * name, for messages) to the pending events. MLP_EINVAL naming the line
 * and column ("'events.jsonl' line 3 ('fare'): 'abc' is not a float"):
 * then nothing is added. */
int mlp_fpush_line(struct mlp_fpusher *p, const char *text, size_t n,
    const char *name, uint64_t lineno, struct mlp_err *err);

/* Adds n events given as columns (Feast's push "df"): names[0..ncols)
 * the source's columns, cols[c][0..n) their values. A value may be typed
 * (an int for a float is taken; an int or float time is in the source's
 * epoch unit, seconds for an ISO-8601 source) or a string, read as
 * ingest reads text; a null is null. Columns the view does not use are
 * ignored. All or nothing: MLP_EINVAL naming the column and row. */
int mlp_fpush_columns(struct mlp_fpusher *p, const char *const *names,
    const struct mlp_fval *const *cols, size_t ncols, size_t n,
    struct mlp_err *err);

/* Events waiting for mlp_fpush_flush, for the online and the offline
 * store. */
size_t mlp_fpush_pending(const struct mlp_fpusher *p, unsigned to);

struct mlp_fpush_stats {
	uint64_t events;	/* pushed to the online store */
	uint64_t records;	/* online records changed */
	uint64_t offline_events;	/* appended offline */
	int64_t batch;		/* the batch holding the last offline
				 * events (after a compaction, the merged
				 * one), 0: none */
	uint64_t compactions;	/* flushes followed by a compaction */
	uint64_t merged;	/* batches those merged */
	/* the first compaction that failed after a flush (the events were
	 * recorded): why; code 0 when none did */
	struct mlp_err compact_err;
};

/* The offline side's store and database, where a batch file is staged
 * (the repository's .mlp/tmp) and who pushes; needed with
 * MLP_FPUSH_OFFLINE. */
struct mlp_fpush_offline {
	struct mlp_db *db;
	struct mlp_store *st;
	const char *tmpdir;
	const char *user;
	int no_compact;		/* as mlp_fingest_opts's */
};

/* Writes the pending events of the stores in to (of those the pusher
 * was made for): offline first, as one batch through off, then online
 * through o (read, merge, write newer-only, again for records changed
 * meanwhile), so that a failed online write leaves what materialize can
 * redo. The events are kept for a store whose write failed. Adds to
 * *stats (may be NULL). */
int mlp_fpush_flush(struct mlp_fpusher *p, unsigned to,
    struct mlp_online *o, const struct mlp_fpush_offline *off,
    struct mlp_fpush_stats *stats, struct mlp_err *err);

/*
 * ---- The online store (online.c, online-sqlite.c, online-redis.c) ----
 * The latest record per (feature view, entity key), behind a backend the
 * URI picks: "sqlite:" (.mlp/online.db, the default), "sqlite:PATH",
 * "redis://[:PASSWORD@]HOST[:PORT][/DB]". A record's value is opaque
 * bytes here; the feature layer encodes it. Writes are conditional: a
 * record replaces the stored one only when it is newer by (event_ts,
 * created_ts), as Feast's stores do, so pushes and materializations may
 * arrive in any order.
 */
struct mlp_online;

struct mlp_online_key {
	const char *s;		/* the entity key's bytes (may hold NULs) */
	size_t n;
};

struct mlp_online_rec {
	const char *view;
	struct mlp_online_key key;
	int64_t event_ts, created_ts;	/* us; created MLP_TS_NONE: none */
	const void *value;	/* NULL in a get's answer: not found */
	size_t vlen;
	/* put: how long the entity's record is kept after the write (us; 0:
	 * for ever). Redis expires the entity's hash then; SQLite keeps it
	 * (a get reports it outside its age; materialize prunes). */
	int64_t ttl;
};

/* The known schemes, "sqlite, redis", for messages. */
const char *mlp_online_schemes(void);

/* The default URI when the config names none: "sqlite:". */
#define MLP_ONLINE_DEFAULT "sqlite:"

/* Opens the online store uri names; mlp_dir is the repository's .mlp (for
 * "sqlite:"). MLP_EINVAL for a URI of an unknown scheme (listing the known
 * ones) or a bad form, MLP_EFAIL when the store cannot be reached ("cannot
 * connect to Redis at 127.0.0.1:6390: Connection refused"). Close with
 * mlp_online_close. */
int mlp_online_open(struct mlp_online **out, const char *uri,
    const char *mlp_dir, struct mlp_err *err);

/* Writes the n records, each only where it is newer than the stored one
 * for its (view, key), in one transaction (SQLite) or pipelined batches
 * (Redis); *written (may be NULL) counts those that were newer. */
int mlp_online_put(struct mlp_online *o, const struct mlp_online_rec *recs,
    size_t n, size_t *written, struct mlp_err *err);

/* Reads view's records for n keys into out[0..n): key and view set, value
 * NULL when the store has none. Values stay valid until the next get or
 * the close. */
int mlp_online_get(struct mlp_online *o, const char *view,
    const struct mlp_online_key *keys, size_t n, struct mlp_online_rec *out,
    struct mlp_err *err);

/* The gets between these see one moment of the store (SQLite: one read
 * transaction, which also takes the file's locks once rather than per
 * get); nothing where the backend has no such thing (Redis). A get after
 * a failed begin reads as without it. */
int mlp_online_read_begin(struct mlp_online *o, struct mlp_err *err);
void mlp_online_read_end(struct mlp_online *o);

/* Closes the store; accepts NULL. */
void mlp_online_close(struct mlp_online *o);

#endif
