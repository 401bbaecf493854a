/* Tabular data: a fast CSV reader into column frames, and dataset digests.
 *
 * A frame is column-major: cols[j][i] is column j of row i, a float (the
 * precision learners and XGBoost work in). Missing values are NaN. A
 * categorical column holds the code of its level (0 .. nlevels-1, levels
 * sorted bytewise, so codes do not depend on row order or on how the file
 * was split between threads); its level strings are kept in the frame.
 *
 * Types when reading for training (no schema given): a column is numeric
 * when every non-missing value in the first rows sampled (the first 64 KiB
 * of data, at least 1000 rows when the file has them) parses as a number,
 * else categorical; a later value that does not parse in a numeric column
 * is an error naming file, line and column, with the column's name. Listed
 * columns (opts.categorical) are categorical whatever they hold.
 * Missing: an empty field, NA, N/A, NaN, nan, null, NULL (as pandas);
 * "inf"/"Infinity" parse as infinities (learners reject them in a target).
 *
 * Reading for prediction (a schema given): the columns named by the schema
 * are taken by name from the header (others ignored; a missing one is an
 * error naming it), numeric ones must parse, categorical ones map through
 * the schema's levels and an unseen level becomes missing. Such a read
 * streams: frames of at most a chunk of rows at a time, in constant memory.
 *
 * The CSV dialect is RFC 4180 as pandas reads it: a header line, comma
 * separated (opts.sep), fields optionally double-quoted with "" for a
 * quote, quoted fields may hold separators and newlines, LF, CRLF or CR
 * (classic Mac) line ends, a final line with or without its newline, a
 * UTF-8 BOM skipped. Every row must have as many fields as the header
 * (else an error naming the line and both counts). Blank lines are
 * skipped. Errors name lines of the file (1-based, the header is line 1
 * when nothing precedes it), never row numbers. */
#ifndef MLP_DATA_H
#define MLP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

enum mlp_col_type {
	MLP_COL_NUM = 0,	/* float values */
	MLP_COL_CAT = 1,	/* level codes as floats */
};

/* The name, type and (categorical) levels of one column. */
struct mlp_column {
	char *name;
	enum mlp_col_type type;
	char **levels;		/* sorted bytewise; NULL for numeric */
	size_t nlevels;
};

/* Where rows came from: from row `row` on, row r is on line
 * line + (r - row) of the file, up to the next mark. */
struct mlp_line_mark {
	size_t row;
	uint64_t line;
};

struct mlp_frame {
	size_t nrows, ncols;
	struct mlp_column *col;	/* ncols descriptions */
	float **cols;		/* ncols arrays of nrows values */
	/* the lines of the rows (a mark where blank lines or records of
	 * several lines shift them), NULL when not read from a file */
	struct mlp_line_mark *marks;
	size_t nmarks;
	/* SHA-256 of the file's bytes, as 64 hex digits, "" when the frame
	 * did not come from one whole file (a streamed chunk) */
	char digest[65];
	char *source;		/* the path read, for messages */
};

/* Frees the frame and everything in it; accepts NULL. */
void mlp_frame_free(struct mlp_frame *f);

/* The index of the column named name, or -1. */
int mlp_frame_find(const struct mlp_frame *f, const char *name);

/* The file line (1-based) row of f was read from, 0 when not known. */
uint64_t mlp_frame_line(const struct mlp_frame *f, size_t row);

/* The same from n marks sorted by row (rows gathered from several
 * frames); 0 when n is 0. */
uint64_t mlp_marks_line(const struct mlp_line_mark *marks, size_t n,
    size_t row);

struct mlp_csv_opts {
	char sep;			/* 0 for ',' */
	int nthreads;			/* 0 for the online CPUs */
	const char *const *categorical;	/* names forced categorical, NULL-ended */
};

/* Reads the whole CSV file at path ("-" for stdin) into a new frame, with
 * the file's digest computed in the same pass; uses nthreads threads for
 * parsing. This is the reader of training sets, whose names and levels
 * end up in models and JSON output: a column name or a categorical level
 * that is not valid UTF-8 is refused, naming line and column. The caller
 * frees *out with mlp_frame_free(). Errors: MLP_ENOTFOUND (no file),
 * MLP_EINVAL for bad content, with a message such as
 * "'train.csv' line 812 column 4 ('age'): 'abc' is not a number" or
 * "'train.csv' line 812: expected 29 fields, found 28" or
 * "'train.csv' is empty" (no header) / "'train.csv' has no rows";
 * MLP_EUNSUPPORTED for data that begins with '{' or '[' (JSON). */
int mlp_csv_read(const char *path, const struct mlp_csv_opts *opts,
    struct mlp_frame **out, struct mlp_err *err);

/* A streaming reader for a known schema (prediction). */
struct mlp_csv_stream;

/* Opens path ("-" for stdin) and matches its header against the ncols
 * columns of schema (by name; MLP_EINVAL "'x.csv' has no column 'age'").
 * The header may be of any length and arrive in reads of any size.
 * MLP_EUNSUPPORTED when the data begins with '{' or '[' (JSON, not CSV).
 * The caller closes it with mlp_csv_stream_close(). */
int mlp_csv_stream_open(struct mlp_csv_stream **out, const char *path,
    const struct mlp_column *schema, size_t ncols,
    const struct mlp_csv_opts *opts, struct mlp_err *err);

/* Reads up to max_rows rows into *frame (allocated on the first call and
 * reused: its columns are the schema's, in schema order; its marks give
 * the lines of its rows). Sets *nrows to the rows read, 0 at the end of
 * the file. mlp_csv_stream_line() gives the line of the chunk's first
 * row. Errors as mlp_csv_read(). */
int mlp_csv_stream_next(struct mlp_csv_stream *s, size_t max_rows,
    struct mlp_frame **frame, size_t *nrows, struct mlp_err *err);

/* Reads the whole CSV text[0..n) (an HTTP request's body; it need not
 * end in a NUL) into a new frame of the ncols schema columns, as
 * mlp_csv_stream_open and mlp_csv_stream_next read a file: columns by
 * name from the header, others ignored. name stands for the file in
 * messages ("'request' line 3: expected 28 fields, found 27"). The
 * caller frees *out with mlp_frame_free(). Errors as
 * mlp_csv_stream_next(), MLP_EUNSUPPORTED for JSON. */
int mlp_csv_read_mem(const char *text, size_t n, const char *name,
    const struct mlp_column *schema, size_t ncols,
    const struct mlp_csv_opts *opts, struct mlp_frame **out,
    struct mlp_err *err);

/* Reads the header of the CSV file at path and appends its column names
 * to names: what a check needs before the data is read (not for "-",
 * whose data it would consume). Errors as mlp_csv_stream_open(). */
int mlp_csv_header(const char *path, const struct mlp_csv_opts *opts,
    struct mlp_strv *names, struct mlp_err *err);

/* The file line number of the first row of the last chunk read. */
uint64_t mlp_csv_stream_line(const struct mlp_csv_stream *s);

void mlp_csv_stream_close(struct mlp_csv_stream *s);

/* Rows for prediction from MLflow's JSON scoring input, text[0..n), into
 * a new frame of the ncols schema columns (in schema order; *out freed by
 * the caller). The document is an object with exactly one of
 *   "dataframe_split": {"columns": [...], "data": [[...], ...]} (pandas'
 *       split orient; without "columns" the rows are in schema order)
 *   "dataframe_records": [{"col": value, ...}, ...]
 *   "instances": rows as objects or lists (schema order), or single values
 *       for a one-column schema
 *   "inputs": the same, or columns {"col": [values], ...}
 * and other keys ("params") ignored. Values as the CSV reader takes them:
 * numbers, or strings it would parse, for numeric columns (booleans are
 * 1 and 0); level strings for categorical ones (an unseen level, and
 * null anywhere, is missing). Columns are found by name; a missing one,
 * a row of the wrong length or a value that is not a number is MLP_EINVAL
 * naming name and where ("dataframe_split.data[3][2] ('age')"); with name
 * NULL the message names only where. Text after the document, other than
 * white space, is invalid JSON. */
int mlp_json_frame(const char *text, size_t n, const char *name,
    const struct mlp_column *schema, size_t ncols, struct mlp_frame **out,
    struct mlp_err *err);

/* The same from a document already parsed (the server's KServe V1
 * decoder checks its keys first). */
struct cJSON;
int mlp_json_frame_doc(const struct cJSON *doc, const char *name,
    const struct mlp_column *schema, size_t ncols, struct mlp_frame **out,
    struct mlp_err *err);

/* The double strtod gives for s[0..n), which the caller has checked is a
 * decimal number ([-]digits[.digits][(e|E)[+-]digits], as JSON writes
 * them), in the C locale whatever the program's: Clinger's fast path
 * (one exact operation) for up to 19 digits, a mantissa up to 2^53 and a
 * power of ten up to 22, strtod itself otherwise. */
double mlp_decimal_value(const char *s, size_t n);

/* Converts the text s[0..n) as the readers for prediction convert a CSV
 * field of column c: for a numeric column a number (spaces around it
 * allowed, infinities as "inf") or NaN for a missing marker ("", NA,
 * NaN, null, ...), -1 for text that is neither; for a categorical column
 * its level's code, NaN for a missing marker or a level the column does
 * not have (always 0). */
int mlp_column_value(const struct mlp_column *c, const char *s, size_t n,
    float *out);

/* YAML documents mlp reads from users (training specs, MLmodel files,
 * feature specs), with limits: libyaml's scanner takes time quadratic in
 * the nesting depth (100,000 levels of '[' took 50 s), and a spec or an
 * MLmodel is a few KiB, so a document may be at most MLP_YAML_MAX_BYTES
 * and nest at most MLP_YAML_MAX_DEPTH levels, checked before it is
 * built. */
#define MLP_YAML_MAX_BYTES ((size_t)4 << 20)
#define MLP_YAML_MAX_DEPTH 64

struct yaml_document_s;		/* libyaml's yaml_document_t */

/* Parses the YAML text[0..len) (path names it in messages) into *doc,
 * which the caller deletes with yaml_document_delete() (an empty text
 * gives a document without a root node). MLP_EINVAL naming path and line
 * for: more than MLP_YAML_MAX_BYTES, nesting deeper than
 * MLP_YAML_MAX_DEPTH, more than one document, a key repeated in a mapping
 * ("'spec.yaml' line 7: duplicate key 'data' (first at line 3)"), a
 * syntax error. On failure *doc needs no deleting. */
int mlp_yaml_parse(const char *path, const char *text, size_t len,
    struct yaml_document_s *doc, struct mlp_err *err);

/* Reads the file at path and parses it as mlp_yaml_parse() does; also
 * MLP_ENOTFOUND and MLP_EFAIL from reading it. */
int mlp_yaml_load(const char *path, struct yaml_document_s *doc,
    struct mlp_err *err);

/* The SHA-256 of the file at path as 64 hex digits (a dataset digest for a
 * file read another way). */
int mlp_data_digest(const char *path, char out[65], struct mlp_err *err);

#endif
