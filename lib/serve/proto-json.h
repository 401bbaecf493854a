/* A JSON scanner for request bodies on the hot path (lib/serve/proto*.c
 * only): one pass over the bytes into a flat array of tokens, no
 * allocation for a small body, strings and numbers converted only when
 * asked for. cJSON builds a tree of allocated nodes and parses every
 * number with strtod and localeconv: 5 us for a one-row OIP request,
 * where this takes a few hundred ns.
 *
 * The grammar is RFC 8259's, strictly (no leading zeros, "1." or "+1";
 * cJSON takes those), nesting at most SJ_MAX_DEPTH deep. A body must have
 * passed serve_check_body (UTF-8, no NUL). Numbers convert as strtod
 * does (Clinger's fast path, else strtod in the C locale), so they give
 * the doubles cJSON gives. */
#ifndef MLP_SERVE_PROTO_JSON_H
#define MLP_SERVE_PROTO_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"

enum sj_type { SJ_OBJ, SJ_ARR, SJ_STR, SJ_NUM, SJ_TRUE, SJ_FALSE, SJ_NULL };

#define SJ_MAX_DEPTH 64

/* A value. Children of a container follow it: an array's elements, an
 * object's key and value tokens in turn; skip is the index after the
 * value and everything in it, so the next sibling of token i is at
 * tok[i].skip. A string's bytes are those between its quotes. */
struct sj_tok {
	uint8_t type;
	uint8_t esc;		/* a string with backslash escapes */
	uint32_t start, len;	/* bytes in the text */
	uint32_t skip;
	uint32_t count;		/* elements, or members of an object */
};

#define SJ_STACK_TOKS 160

struct sj_doc {
	const char *text;
	size_t n;
	struct sj_tok *tok;
	size_t ntok, alloc;
	struct sj_tok first[SJ_STACK_TOKS];	/* tok while they fit */
};

/* Scans text[0..n) as one JSON value (white space around it allowed) into
 * d, which sj_release frees (also after a failure): 0, or 400 with err
 * saying where it stops being JSON ("request body: invalid JSON at line 2
 * column 5"); 413 for a body of 4 GiB or more. */
int sj_parse(struct sj_doc *d, const char *text, size_t n,
    struct mlp_err *err);
void sj_release(struct sj_doc *d);

/* 1 when string token i holds exactly the NUL-terminated s. */
int sj_str_is(const struct sj_doc *d, size_t i, const char *s);

/* The string token i unescaped into out (appended, NUL-terminated): 0,
 * or -1 when it holds a NUL (\u0000), which C strings cannot carry. */
int sj_str(const struct sj_doc *d, size_t i, struct mlp_buf *out);

/* The number token i as strtod reads it (an infinity past the range of a
 * double, as strtod's). */
double sj_num(const struct sj_doc *d, size_t i);

/* The number at p (before e) as a numeric column stores it, the float
 * nearest the double sj_num gives: the byte after it, or NULL when p does
 * not start an RFC 8259 number, or it has 64 characters or more (which
 * cJSON refuses) or is past the range of a double. What follows the
 * number is the caller's to check. */
const char *sj_float(const char *p, const char *e, float *out);

/* The rows of a large scoring request ([[0.5, -1.2e-05, null], ...]),
 * read from the text straight into columns, with no token per value
 * (SSSE3, or AVX-512 four values at once, where the processor has them,
 * checked at run time). */
struct sj_rows {
	size_t width;		/* the values of a row */
	float **col;		/* value k of row i into col[k][i]; col[k]
				 * NULL drops it */
	size_t cap;		/* the rows each col[k] has room for (> 0) */
	size_t n;		/* the rows read */
};

/* Reads the array of rows at *p (before e; JSON white space before it
 * allowed) into r, each value as a numeric column stores it: a number
 * as sj_float reads it, null NaN, true 1, false 0. Returns 0 with *p
 * after the array's ']'; 1 when r->cap rows are read and another follows
 * (*p at it: the caller makes room, col and cap, and calls again); -1
 * for anything else (a row of another width, a value of another kind,
 * what sj_float refuses, text that is not JSON), with no message: the
 * caller then reads the body another way, which names what is wrong. */
int sj_rows(const char **p, const char *e, struct sj_rows *r);

/* The line and column (1-based, in characters) of byte at of text. */
void sj_line_col(const char *text, size_t at, size_t *line, size_t *col);

#endif
