/* What materialize, get and push share: the online record of (view,
 * entity key), its binary form, and the backend key. Callers use
 * feature.h. */
#ifndef MLP_FEATURE_FONLINE_H
#define MLP_FEATURE_FONLINE_H

#include <stddef.h>
#include <stdint.h>

#include "feature.h"

/*
 * A record's bytes, little-endian, version FREC_VERSION:
 *
 *	 0  u8  version            1  u8  flags (FREC_ROW: a latest row)
 *	 2  u16 features           4  u16 aggregation inputs   6  u16 0
 *	 8  u64 the view's fingerprint (frec_schema)
 *	16  i64 horizon: every event later than it is held (MLP_TS_NONE:
 *	        every event since the first)
 *	24  u32 events            28  u32 0
 *	32  with FREC_ROW: i64 event time, i64 created time, a null bit per
 *	    feature ((features + 7) / 8 bytes, bit set = null), then each
 *	    feature that is not null: a float's or int's 8 bytes, a bool's
 *	    byte (0 or 1), a string's u32 length and bytes
 *	    then i64 event times [events], i64 created times [events], a
 *	    null bit per input of each event ((events * inputs + 7) / 8
 *	    bytes, event-major), f64 inputs [events * inputs] (0 when null)
 *
 * Events are in (event time, created time, arrival) order: the order
 * dataset merges a view's rows in.
 */
#define FREC_VERSION 1
#define FREC_HDR 32
#define FREC_ROW 1u
#define FREC_MAX_EVENTS (UINT32_C(1) << 28)

/* What the records of a view hold. */
struct frec_schema {
	const struct mlp_fview *view;
	size_t nfeat;		/* view->nfeatures */
	size_t nin;		/* distinct aggregated columns */
	const char **in_names;	/* borrowed from the view */
	enum mlp_ftype *in_types;	/* as ingest stores them: the
					 * feature's type, else float */
	size_t *agg_in;		/* per aggregation of the view: its input */
	int64_t longest;	/* the longest window; 0: no aggregations */
	uint64_t fp;
};

/* The schema of v's records. MLP_EUNSUPPORTED for a view of more than
 * 65535 features or inputs. */
int frec_schema_init(struct frec_schema *s, const struct mlp_fview *v,
    struct mlp_err *err);
void frec_schema_release(struct frec_schema *s);

/* A record in memory. Arrays are owned and kept by frec_release only;
 * a decoded row's strings point into the bytes decoded. */
struct frec {
	int has_row;
	int64_t row_ets, row_cts;
	struct mlp_fval *row;	/* nfeat */
	int64_t horizon;
	size_t nev, aev;
	int64_t *ets, *cts;	/* nev */
	double *x;		/* nev * nin, event-major */
	uint8_t *xnull;		/* nev * nin: 1 = null */
	size_t arow;
};

void frec_init(struct frec *r);
void frec_release(struct frec *r);
/* Empties r (no row, no events, horizon none), keeping its memory; sizes
 * the row for s. */
void frec_reset(struct frec *r, const struct frec_schema *s);
/* Room for n events. */
void frec_reserve(struct frec *r, const struct frec_schema *s, size_t n);

/* Decodes p[0..n) into r. MLP_ECORRUPT for bytes that are not a record of
 * this version (every length checked), or of another fingerprint ("was
 * written for another definition of view 'x'"). */
int frec_decode(const struct frec_schema *s, const void *p, size_t n,
    struct frec *r, struct mlp_err *err);

/* Appends r's bytes to out. */
void frec_encode(const struct frec_schema *s, const struct frec *r,
    struct mlp_buf *out);

/* Inserts an event after every event not later than it by (event time,
 * created time); its inputs x[0..nin), null where xnull[k] is set. */
void frec_insert(struct frec *r, const struct frec_schema *s, int64_t ets,
    int64_t cts, const double *x, const uint8_t *xnull);

/* Drops the events at or before r->horizon. */
void frec_prune(struct frec *r, const struct frec_schema *s);

/* The backend key of an entity: "ENTITY:" and its canonical key. */
void fonline_key(struct mlp_buf *b, const char *entity, const char *key,
    size_t n);

/* How long the backend keeps a view's record after a write (us; 0: for
 * ever): its TTL, or its longest window when that is longer. */
int64_t fonline_keep(const struct frec_schema *s);

/* The view of s named name into *out; MLP_ENOTFOUND with a did-you-mean
 * ("no feature view 'driver_trip' (did you mean 'driver_trips'?)"). */
int fonline_view(const struct mlp_fspec *s, const char *name,
    const struct mlp_fview **out, struct mlp_err *err);

#endif
