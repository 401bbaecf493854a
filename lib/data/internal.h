/* What the files of lib/data share (and the unit tests and fuzz target
 * reach into); callers use data.h only. */
#ifndef MLP_DATA_INTERNAL_H
#define MLP_DATA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "data.h"

/* Data smaller than this per thread is not split further. Tests and the
 * fuzz target lower it to split tiny files between threads. */
extern size_t data_min_chunk;

/* Bytes after the end of the data given to the parser that it may read:
 * the first must be NUL, the others anything. */
#define DATA_PAD 16

/* The longest value quoted in an error message, before "...". */
#define DATA_TEXT_MAX 60

/* Parses s[0..n) as pandas and numpy give it as a float32, that is
 * (float)strtod(s) for a decimal number, with spaces around it allowed;
 * NaN for a missing marker; infinities for [+-]inf or [+-]infinity in any
 * case. 0, or -1 when it is none of these. */
int data_parse_float(const char *s, size_t n, float *out);

/* 1 when s[0..n) is one of pandas' missing markers ("", NA, NaN, ...). */
int data_is_missing(const char *s, size_t n);

/* A set of distinct byte strings numbered from 0 in insertion order. */
struct data_strset {
	uint32_t *slot;		/* id + 1, 0 for an empty slot */
	size_t mask;		/* slots - 1 */
	struct data_str {
		uint64_t hash;
		size_t off, len;	/* in pool */
	} *str;
	size_t n, alloc;
	char *pool;
	size_t plen, palloc;
};

void data_strset_init(struct data_strset *set);
void data_strset_release(struct data_strset *set);
/* Empties the set, keeping its memory. */
void data_strset_reset(struct data_strset *set);
/* The id of s[0..n), added when new; -1 when the set is full (2^32 - 2
 * strings). */
int64_t data_strset_add(struct data_strset *set, const char *s, size_t n);
/* The id of s[0..n), or -1. */
int64_t data_strset_find(const struct data_strset *set, const char *s,
    size_t n);
/* The string of id (not NUL-terminated) and its length. */
const char *data_strset_get(const struct data_strset *set, size_t id,
    size_t *len);
/* Fills rank[id] with the position of each string in bytewise order. */
void data_strset_rank(const struct data_strset *set, uint32_t *rank);

/* Compares s[0..n) and t[0..m) bytewise, a shorter prefix first. */
int data_bytes_cmp(const char *s, size_t n, const char *t, size_t m);

/* The code of s[0..n) among n sorted levels (their lengths in len when
 * not NULL), or -1. */
int64_t data_level_find(char *const *levels, const size_t *len,
    size_t nlevels, const char *s, size_t n);

/* Deep copies of n column descriptions into dst. */
void data_copy_columns(struct mlp_column *dst, const struct mlp_column *src,
    size_t n);

/* What the record parser does with each field of a file column. */
enum data_kind {
	KIND_SKIP,		/* ignore it */
	KIND_NUM,		/* a float into cols[out] */
	KIND_CAT,		/* its id in sets[out], as uint32 bits
				 * (UINT32_MAX when missing) into cols[out] */
	KIND_MAP,		/* its code among levels, or NaN, into
				 * cols[out] */
	KIND_INFER,		/* nonnum[col] = 1 when it is not a number */
	KIND_NAME,		/* append it to names (the header) */
};

struct data_spec {
	enum data_kind kind;
	size_t out;
	/* KIND_MAP: the schema's levels, sorted, and their lengths */
	char *const *levels;
	const size_t *levlen;
	size_t nlevels;
};

/* How to parse records; read-only while threads parse. */
struct data_parser {
	char sep;
	unsigned char special[256];	/* bytes that end a plain field */
	size_t nfields;		/* fields a record must have; 0: the
				 * header, whose names go to names */
	struct data_spec *spec;	/* nfields of them */
	size_t nout;		/* output columns; 0: store nothing */
};

/* An error in a record, kept until the line its worker starts on is
 * known. */
enum { REC_EFIELDS = 1, REC_ENUMBER, REC_EQUOTE, REC_ELEVELS };
struct data_rec_err {
	int kind;
	uint64_t line;		/* '\n's from the worker's start to it */
	size_t col;		/* REC_ENUMBER, REC_ELEVELS: file column */
	size_t want, found;	/* REC_EFIELDS: fields expected and found */
	char text[DATA_TEXT_MAX + 4];	/* REC_ENUMBER: the value */
};

/* One thread's (or the stream's) parse state and output. */
struct data_worker {
	float **cols;		/* nout arrays of cap rows */
	size_t nrows, cap;
	struct data_strset *sets;	/* nout sets (KIND_CAT columns) */
	uint64_t lines;		/* line ends consumed */
	unsigned char *nonnum;	/* KIND_INFER: nfields flags */
	struct mlp_strv names;	/* KIND_NAME */
	struct mlp_buf scratch;	/* a quoted field, unescaped */
	struct data_rec_err err;
	/* the line (in lines) each row starts on, where it shifts: a mark
	 * per run of rows one line apart (worker-relative rows and lines) */
	struct mlp_line_mark *marks;
	size_t nmarks, amarks;
	/* the whole-file reader's chunk (csv.c) */
	const char *start, *limit, *stop;
	uint32_t **map;		/* per KIND_CAT column: set id -> code */
	size_t off;		/* the first row's index in the frame */
	int done;
};

/* Results of data_parse_record. */
enum { REC_ROW, REC_BLANK, REC_MORE, REC_ERR };

/* Sets up ps for separator sep ('\0' for ','); the caller fills nfields,
 * spec and nout. -1 for a separator that cannot work (a quote, a line
 * end, a character of numbers). */
int data_parser_init(struct data_parser *ps, char sep);

/* Parses one record at *pp of the data ending at end (followed by
 * DATA_PAD readable bytes, a NUL first), storing its fields as ps says in
 * row w->nrows of w, and advances *pp past its line end. REC_ROW
 * (w->nrows was incremented, a mark added when its line shifted),
 * REC_BLANK (an empty line), REC_MORE (the record runs past end and eof
 * is 0: nothing was consumed, no header name kept), REC_ERR (w->err says
 * what; *pp is left alone). Adds the line ends consumed ('\n', "\r\n" or
 * a lone '\r') to w->lines. *pp must be before end. */
int data_parse_record(const struct data_parser *ps, struct data_worker *w,
    const char **pp, const char *end, int eof);

/* Makes room in the nout columns of w for at least want rows. */
void data_worker_grow(struct data_worker *w, size_t nout, size_t want);

void data_worker_release(struct data_worker *w, size_t nout);

/* Formats re for the file src, whose worker started at line base (1-based)
 * into err, naming columns from names. Returns MLP_EINVAL. */
int data_rec_error(struct mlp_err *err, const char *src,
    char *const *names, const struct data_rec_err *re, uint64_t base);

/* The name of a source for messages: "stdin" for "-". */
const char *data_source_name(const char *path);

#endif
