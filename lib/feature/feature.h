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
 * ---- Specs and the catalog (spec.c, catalog.c) ----
 * Declarations for loading specs and recording them go here.
 */

/*
 * ---- The offline store (segment.c, pit.c, offline.c) ----
 * Declarations for ingest, segments, the point-in-time join and
 * aggregations go here.
 */

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

/* Closes the store; accepts NULL. */
void mlp_online_close(struct mlp_online *o);

#endif
