/* What the files of lib/feature share: the segment format, the CSV scanner
 * and the point-in-time join of one partition. Callers use feature.h. */
#ifndef MLP_FEATURE_INTERNAL_H
#define MLP_FEATURE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../store/store.h"
#include "feature.h"

/*
 * Segments (segment.c). A segment is one immutable object holding the rows
 * of one feature view's ingest that fall in one partition of the key hash
 * (partition = the hash's top part_bits bits), sorted by (key hash, key
 * bytes, event_ts, created_ts, input order). Little-endian; every array
 * starts at an offset that is a multiple of 8:
 *
 *	header (FSEG_HDR bytes):
 *	  0  magic "MLPFSEG\0"      8  u32 version (1)   12 u32 flags
 *	 16  u64 file size         24  u64 nrows        32  u64 nkeys
 *	 40  u32 ncols             44  u32 part_bits    48  u32 partition
 *	 52  u32 reserved (0)      56  i64 min event_ts 64  i64 max event_ts
 *	 72  u64 offsets of: key_hash, key_start, key_off, key_heap
 *	104  u64 key heap length
 *	112  u64 offsets of: event_ts, created_ts (0: none), column descriptors,
 *	     column names; 144 u64 names length
 *	key_hash   u64[nkeys]      one per distinct key, ascending
 *	key_start  u64[nkeys + 1]  the key's first row; key_start[nkeys] = nrows
 *	key_off    u64[nkeys + 1]  the key's canonical bytes in key_heap
 *	event_ts   i64[nrows], created_ts i64[nrows] (when flags has
 *	           FSEG_HAS_CTS)
 *	descriptors, FSEG_DESC bytes each: u32 type, u32 name length,
 *	           u64 name offset (in the names), u64 values, u64 nulls (a
 *	           bitmap of nrows bits in u64 words, bit set = null), u64 heap,
 *	           u64 heap length, u32 flags (FSEG_COL_NULLS: some null),
 *	           u32 reserved
 *	values     double / int64 / uint8 (bool, 0 or 1) [nrows], or for
 *	           strings u64 offsets[nrows + 1] into the column's heap
 *
 * Within one key, rows are in (event_ts, created_ts) order, and rows equal
 * in both keep the order they had in the input.
 */
#define FSEG_MAGIC "MLPFSEG"
#define FSEG_VERSION 1
#define FSEG_HDR 152
#define FSEG_DESC 56
#define FSEG_HAS_CTS 1u
#define FSEG_COL_NULLS 1u
#define FSEG_MAX_COLS 4096
#define FSEG_MAX_BITS 16

struct fseg_col {
	const char *name;	/* in the mapping, not NUL-terminated */
	size_t name_len;
	enum mlp_ftype type;
	const void *values;
	const uint64_t *nulls;
	int has_nulls;
	const char *heap;
	uint64_t heap_len;
};

/* Value i of a numeric column as an aggregation reads it (bools 0 or 1);
 * the one conversion the offline join and materialize share. */
static inline double
fseg_num_at(const struct fseg_col *c, uint64_t i)
{
	switch (c->type) {
	case MLP_FT_FLOAT:
		return ((const double *)c->values)[i];
	case MLP_FT_INT:
		return (double)((const int64_t *)c->values)[i];
	case MLP_FT_BOOL:
		return ((const uint8_t *)c->values)[i] ? 1.0 : 0.0;
	default:
		return 0;
	}
}

/* An open segment: a validated mapping (or a caller's buffer). */
struct fseg {
	void *map;		/* munmap'ed by fseg_close; NULL: borrowed */
	size_t size;
	const unsigned char *base;
	uint64_t nrows, nkeys;
	uint32_t ncols, part_bits, partition, flags;
	int64_t min_ets, max_ets;
	const uint64_t *key_hash, *key_start, *key_off;
	const char *key_heap;
	const int64_t *ets, *cts;	/* cts NULL without created times */
	struct fseg_col *cols;
	char name[80];		/* "segment 3f2a..." for messages */
};

/* What a new segment holds; the caller then fills the arrays of the
 * fseg_w that fseg_w_init lays out. */
struct fseg_spec {
	uint32_t part_bits, partition;
	uint64_t nrows, nkeys, key_heap_len;
	int has_cts;
	size_t ncols;
	const char *const *names;
	const enum mlp_ftype *types;
	const uint64_t *heap_len;	/* per column; strings only (may be
					 * NULL without string columns) */
};

struct fseg_wcol {
	void *values;		/* double, int64_t, uint8_t */
	uint64_t *str_off;	/* strings: nrows + 1 offsets */
	char *heap;
	uint64_t *nulls;	/* zeroed: set bits for nulls */
};

struct fseg_w {
	unsigned char *buf;	/* the whole segment; the caller frees it */
	size_t size;
	uint64_t *key_hash, *key_start, *key_off;
	char *key_heap;
	int64_t *ets, *cts;
	struct fseg_wcol *cols;	/* freed by fseg_w_release */
	size_t ncols;
};

/* Lays a segment out for sp in one zeroed buffer: EINVAL when sp is out of
 * the format's bounds. */
int fseg_w_init(struct fseg_w *w, const struct fseg_spec *sp,
    struct mlp_err *err);
/* Writes the header's derived fields (min and max event_ts, column null
 * flags) once the arrays are filled. */
void fseg_w_finish(struct fseg_w *w);
/* Frees the buffer and the column table. */
void fseg_w_release(struct fseg_w *w);

/* Validates buf[0..n) as a segment and fills s with pointers into it (the
 * caller keeps buf alive). MLP_ECORRUPT naming name for anything wrong. */
int fseg_open_mem(struct fseg *s, const void *buf, size_t n,
    const char *name, struct mlp_err *err);
/* Maps object oid of st and validates it. MLP_ENOTFOUND, MLP_ECORRUPT. */
int fseg_open(struct fseg *s, struct mlp_store *st, const struct mlp_oid *oid,
    struct mlp_err *err);
/* Unmaps (or forgets) s; accepts a zeroed or closed one. */
void fseg_close(struct fseg *s);
/* Index of the column named name, or -1. */
int fseg_col_find(const struct fseg *s, const char *name);

static inline int
fseg_is_null(const uint64_t *bits, uint64_t i)
{
	return bits && (bits[i >> 6] >> (i & 63)) & 1;
}

static inline void
fseg_set_null(uint64_t *bits, uint64_t i)
{
	bits[i >> 6] |= UINT64_C(1) << (i & 63);
}

/* The first key index k >= from with (key_hash[k], key bytes) >= (hash,
 * key), by galloping from from; s->nkeys when none. */
uint64_t fseg_seek_key(const struct fseg *s, uint64_t from, uint64_t hash,
    const char *key, size_t klen);

/* 1 when key index k is (hash, key). */
int fseg_key_is(const struct fseg *s, uint64_t k, uint64_t hash,
    const char *key, size_t klen);

/*
 * A view's batches (batch.c): the live batches of its newest ingested
 * version in the view's order (a later batch wins a tie), read alike by
 * dataset, materialize and compaction, and the merges over their
 * segments, any number of them.
 */
struct mlp_db;

struct fbatch {
	int64_t id, seq;
	unsigned bits;
	uint64_t rows;
	int64_t min_ts, max_ts;	/* event times */
	char digest[65];
	struct fbatch_seg {
		uint32_t part;
		uint64_t rows;
		struct mlp_oid oid;
	} *segs;		/* by part */
	size_t nsegs;
};

struct fbatches {
	int64_t version;	/* the newest ingested; 0: none */
	struct fbatch *b;
	size_t n;
	unsigned bits;		/* the most of the batches' */
};

/* Reads view's batches into out (released with fbatches_release, also
 * on an error). MLP_ECORRUPT for a damaged record, database errors. */
int fbatches_load(struct mlp_db *db, const char *view, struct fbatches *out,
    struct mlp_err *err);
void fbatches_release(struct fbatches *bs);

/* The index of b's segment holding partition part of 2^bits (bits at
 * least b's), or -1 when it has none. */
long fbatch_seg_of(const struct fbatch *b, unsigned bits, uint32_t part);

/* Opens segment i of b into s, checking it holds its partition.
 * MLP_ECORRUPT, MLP_ENOTFOUND. */
int fbatch_open(const struct fbatch *b, long i, struct mlp_store *st,
    struct fseg *s, struct mlp_err *err);

/* The keys [*k, *kend) of s in partition part of 2^bits. */
void fseg_part_keys(const struct fseg *s, unsigned bits, uint32_t part,
    uint64_t *k, uint64_t *kend);

/* One segment's rows of one key, [a, a + n), the key being its key k;
 * src is the caller's index of its batch: the greater wins a tie. */
struct frun {
	const struct fseg *seg;
	uint64_t k, a, n;
	size_t src;
};

/* The merge of segments' keys in (hash, key) order. Up to FKEYS_SCAN
 * segments are scanned, as the join did when it took at most 64 (for a
 * key that most segments hold, a scan is the cheaper); more are a heap
 * by (next key, src), so that a key costs the log of the segments, not
 * their number. Zeroed is empty. */
#define FKEYS_SCAN 64

struct fkeys_src {
	const struct fseg *seg;
	uint64_t k, kend;
	size_t src;
};

struct fkeys {
	struct fkeys_src *s, *hold;
	size_t *idx;
	size_t n, cap;
	int ready, heap;
};

/* Adds the keys [k, kend) of seg, of batch src. */
void fkeys_add(struct fkeys *m, const struct fseg *seg, uint64_t k,
    uint64_t kend, size_t src);
/* The runs of the next key in src order into runs (room for every
 * segment added); how many, 0 at the end. */
size_t fkeys_next(struct fkeys *m, struct frun *runs);
/* The runs of key (hash, key) in src order, after every key before it
 * is passed; keys are sought in ascending order. 0: none has it. */
size_t fkeys_seek(struct fkeys *m, uint64_t hash, const char *key,
    size_t klen, struct frun *runs);
void fkeys_reset(struct fkeys *m);
void fkeys_release(struct fkeys *m);

/* The merge of one key's runs' rows in (event_ts, created_ts, src, row)
 * order: the order a view's rows are read in, and a merged batch's. */
struct frows_run {
	const struct fseg *seg;
	uint64_t pos, end;
	size_t src, run;
};

struct frows {
	struct frows_run *r;
	size_t n, cap;
};

/* Adds rows [pos, end) of seg (of batch src), known as run. */
void frows_add(struct frows *m, const struct fseg *seg, uint64_t pos,
    uint64_t end, size_t src, size_t run);
/* The next row: 1 with its run and index in its segment, 0 at the end. */
int frows_next(struct frows *m, size_t *run, uint64_t *row);
void frows_reset(struct frows *m);
void frows_release(struct frows *m);

/*
 * CSV records (csv.c): RFC 4180 as lib/data reads it (a header, fields
 * optionally quoted with "" for a quote, LF, CRLF or CR line ends, a
 * final line with or without its end, blank lines skipped, a UTF-8 BOM
 * skipped), but every field as bytes: the feature store reads keys,
 * strings and exact doubles, not lib/data's floats.
 */
struct fcsv_field {
	const char *p;
	size_t n;
};

struct fcsv {
	const char *name;	/* the file, for messages */
	int fd;			/* -1: the whole text is in buf */
	int own_fd;
	char *buf;
	size_t len, pos, alloc;
	int eof, started;
	int range;		/* reading [off, end) of fd with pread */
	uint64_t off, end;
	int saw_quote;		/* a record held a '"' */
	uint64_t line;		/* line of the next record (1-based) */
	/* the record read by fcsv_next: valid until the next call */
	struct fcsv_field *f;
	size_t nf, af;
	const char *rec;	/* its text, without the line end */
	size_t rec_len;
	uint64_t rec_line;
	struct mlp_buf scratch;	/* quoted fields, unescaped */
	size_t *qoff;		/* per field: offset in scratch + 1, or 0 */
	size_t aq;
};

/* The size of the first read (tests lower it). */
extern size_t fcsv_chunk;

/* Opens path ("-": standard input) to be read in chunks. */
int fcsv_open(struct fcsv *c, const char *path, const char *name,
    struct mlp_err *err);
/* Reads the bytes [start, end) of fd (not closed by fcsv_close), which
 * begin a record, with pread: lines are counted from line. */
void fcsv_open_range(struct fcsv *c, int fd, uint64_t start, uint64_t end,
    uint64_t line, const char *name);
/* The offset in the file (or standard input) of the next record. */
uint64_t fcsv_offset(const struct fcsv *c);
/* Reads text[0..n) (which must stay alive; records point into it). */
void fcsv_open_mem(struct fcsv *c, const char *text, size_t n,
    const char *name);
/* The next record into c->f[0..nf): 1, 0 at the end, or MLP_EINVAL naming
 * the file and line (an unterminated quote, text after a closing quote). */
int fcsv_next(struct fcsv *c, struct mlp_err *err);
/* The next line as it is, in rec and rec_len (no CSV quoting: JSON
 * lines), its number in rec_line: 1, 0 at the end, or an error. */
int fcsv_next_line(struct fcsv *c, struct mlp_err *err);
void fcsv_close(struct fcsv *c);
/* The first byte of the data that is not a blank or a line end (reading
 * the first chunk), 0 when there is none, or an error. */
int fcsv_peek(struct fcsv *c, struct mlp_err *err);
/* Appends s[0..n) to b as a CSV field (quoted when it needs to be). */
void fcsv_add_field(struct mlp_buf *b, const char *s, size_t n);

/*
 * Number text (numfmt.c).
 */
/* Writes v (finite) the shortest way Python's repr would, or a form of at
 * most 17 significant digits that reads back to v: "0.1", "3.0",
 * "1e-05", "1.5e+16". Returns the length (at most 32; out needs 32). */
size_t fnum_fmt_double(double v, char *out);
/* Writes an int64 in decimal; returns the length (out needs 24). */
size_t fnum_fmt_int(int64_t v, char *out);
/* Parses s[0..n) as a finite decimal double ([+-]digits[.digits][e[+-]
 * digits], or .5): 0 or -1. */
int fnum_parse_double(const char *s, size_t n, double *out);
/* Parses s[0..n) as a canonical-or-not decimal int64 ([+-]digits): 0 or
 * -1 (also on overflow). */
int fnum_parse_int(const char *s, size_t n, int64_t *out);
/* Parses "true"/"false" (any case) and "1"/"0": 0 or -1. */
int fnum_parse_bool(const char *s, size_t n, int *out);

/* Rows per partition an ingest aims at (MLP_FPART_ROWS; tests lower it
 * to make many partitions of few rows), and rows per chunk of dataset's
 * output (tests lower it to make many chunks). */
extern uint64_t fingest_part_rows;
/* The partition bits of a batch of this many rows (by fingest_part_rows). */
unsigned fingest_bits(uint64_t rows);
extern size_t fdataset_chunk_rows;
/* CSV files of this many bytes and more are read on several threads
 * (tests lower it). */
extern uint64_t fingest_par_min;

/*
 * The join of one partition (pit.c).
 */

/* One spine row of a partition, for one entity: its key and time and the
 * output row it fills. Sorted by (hash, key bytes) before the join. */
struct fpit_row {
	uint64_t hash;
	const char *key;
	uint32_t klen;
	uint32_t row;		/* output row */
	int64_t t;
};

/* The joined values, row-major so that one spine row's values share a
 * cache line: row r is cells[r * stride ..]: nmask words holding one
 * presence byte per column (1: it has a value; bytes, so that filling a
 * row is stores only), then one 8-byte cell per column (a double's bits,
 * an int64, a bool 0 or 1, or a string: the heap it is in << 56 | its
 * offset there, where a u32 length precedes its bytes). Threads filling
 * rows of their own each append strings to a heap of their own. */
struct fpit_table {
	uint64_t *cells;
	size_t stride, nmask;
	struct mlp_buf *heaps;
	unsigned heap;		/* the heap fpit_add_string appends to */
};

static inline uint64_t *
fpit_cell(const struct fpit_table *t, size_t row, size_t col)
{
	return &t->cells[row * t->stride + t->nmask + col];
}

static inline void
fpit_set(const struct fpit_table *t, size_t row, size_t col)
{
	((uint8_t *)&t->cells[row * t->stride])[col] = 1;
}

static inline int
fpit_has(const struct fpit_table *t, size_t row, size_t col)
{
	return ((const uint8_t *)&t->cells[row * t->stride])[col];
}

/* Appends a string to the table's heap; returns its cell. */
uint64_t fpit_add_string(const struct fpit_table *t, const char *s,
    uint32_t n);
/* The string of cell c. */
static inline const char *
fpit_string(const struct fpit_table *t, uint64_t c, uint32_t *n)
{
	const char *p = t->heaps[c >> 56].s + (c & ((UINT64_C(1) << 56) - 1));

	memcpy(n, p, 4);
	return p + 4;
}

/* An output column (one requested feature of a view). */
enum fpit_kind { FPIT_FEATURE, FPIT_AGG };

struct fpit_out {
	enum fpit_kind kind;
	const char *column;	/* its segment column (feature or input) */
	enum mlp_ftype type;	/* the output's type */
	enum mlp_aggop op;
	int64_t window;
	size_t col;		/* its column in the table */
};

struct fpit_view {
	int64_t ttl;
	int filter_created;
	struct fpit_out *outs;
	size_t nouts;
};

/* Joins rows[0..n) (one entity's rows of one partition, sorted by
 * fpit_row_cmp) against segs[0..nsegs) (the view's batches in ingest
 * order, each holding the partition's rows or more), filling the outputs of
 * v for each row into tab. A column missing from a segment or of another
 * type is MLP_EINVAL naming it. */
int fpit_join(const struct fpit_view *v, const struct fpit_table *tab,
    struct fseg *const *segs, size_t nsegs, const struct fpit_row *rows,
    size_t n, struct mlp_err *err);

/* Orders fpit_rows by (hash, key bytes). */
int fpit_row_cmp(const void *a, const void *b);

#endif
