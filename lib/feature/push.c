/* mlp feature push and the feature server's /push: events checked as
 * ingest checks a source's rows, merged into the online records (read,
 * merge in order, write newer-only, again when someone else wrote
 * first) and appended to the offline store as ingest batches. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fonline.h"
#include "internal.h"

/* Keys read and written at once, and rounds of merging again. */
#define PUSH_KEYS 4096
#define PUSH_ROUNDS 16
#define STR_MAX ((size_t)(1 << 24) - 1)

/* A pending event: its key in keys, its features at feat * nfeat in
 * vals (strings as offsets in heap, in soff), its inputs at x * nin. */
struct pev {
	int64_t ets, cts;
	size_t koff, klen;
};

struct mlp_fpusher {
	const struct mlp_fspec *spec;
	const struct mlp_fview *view;
	const struct mlp_fentity *ent;
	const struct mlp_fsource *src;
	struct frec_schema sc;
	unsigned to;
	/* online */
	struct pev *ev;
	size_t nev, aev;
	struct mlp_buf keys, heap;
	struct mlp_fval *vals;
	size_t *soff;
	double *x;
	uint8_t *xnull;
	/* offline: JSON lines */
	struct mlp_buf lines;
	size_t nlines;
	/* one event being read */
	struct mlp_fval *kv, *fv;
	char (*knum)[24];	/* int keys given for string keys, as text */
	double *ex;
	uint8_t *exnull;
	struct mlp_buf canon, tmp;
};

void
mlp_fpush_free(struct mlp_fpusher *p)
{
	if (!p)
		return;
	frec_schema_release(&p->sc);
	free(p->ev);
	mlp_buf_release(&p->keys);
	mlp_buf_release(&p->heap);
	free(p->vals);
	free(p->soff);
	free(p->x);
	free(p->xnull);
	mlp_buf_release(&p->lines);
	free(p->kv);
	free(p->knum);
	free(p->fv);
	free(p->ex);
	free(p->exnull);
	mlp_buf_release(&p->canon);
	mlp_buf_release(&p->tmp);
	free(p);
}

int
mlp_fpush_new(const struct mlp_fspec *spec, const char *view, unsigned to,
    struct mlp_fpusher **out, struct mlp_err *err)
{
	struct mlp_fpusher *p;
	const struct mlp_fview *v;
	int rc;

	*out = NULL;
	if ((rc = fonline_view(spec, view, &v, err)) < 0)
		return rc;
	p = xcalloc(1, sizeof(*p));
	p->spec = spec;
	p->view = v;
	p->to = to;
	if (!(p->ent = mlp_fspec_entity(spec, v->entity)) ||
	    !(p->src = mlp_fspec_source(spec, v->source))) {
		mlp_fpush_free(p);
		return mlp_err_set(err, MLP_EINVAL, "feature view '%s' names "
		    "an unknown entity or source", v->name);
	}
	if (p->ent->nkeys == 0 || p->ent->nkeys > 64) {
		mlp_fpush_free(p);
		return mlp_err_set(err, MLP_EUNSUPPORTED, "entity '%s' has %zu "
		    "join keys (1 to 64 work)", p->ent->name, p->ent->nkeys);
	}
	if ((rc = frec_schema_init(&p->sc, v, err)) < 0) {
		mlp_fpush_free(p);
		return rc;
	}
	p->kv = xcalloc(p->ent->nkeys, sizeof(*p->kv));
	p->knum = xcalloc(p->ent->nkeys, sizeof(*p->knum));
	p->fv = xcalloc(p->sc.nfeat + 1, sizeof(*p->fv));
	p->ex = xcalloc(p->sc.nin + 1, sizeof(*p->ex));
	p->exnull = xcalloc(p->sc.nin + 1, 1);
	*out = p;
	return 0;
}

size_t
mlp_fpush_pending(const struct mlp_fpusher *p, unsigned to)
{
	size_t n = 0;

	if ((to & MLP_FPUSH_ONLINE) && (p->to & MLP_FPUSH_ONLINE))
		n += p->nev;
	if ((to & MLP_FPUSH_OFFLINE) && (p->to & MLP_FPUSH_OFFLINE))
		n += p->nlines;
	return n;
}

/* ---- one event ---- */

/* A value of the input: text as ingest reads a field (null when absent
 * or empty), or a typed value. */
struct pcell {
	const char *s;
	size_t n;
	const struct mlp_fval *v;	/* NULL: the text */
};

/* Where an event came from, for messages: "'f.jsonl' line 3" or "row
 * 3". */
static int
bad(struct mlp_err *err, const char *where, const char *col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
bad(struct mlp_err *err, const char *where, const char *col,
    const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return mlp_err_set(err, MLP_EINVAL, "%s ('%s'): %s", where, col, what);
}

static const char *
article(enum mlp_ftype t)
{
	return t == MLP_FT_INT ? "an int" : t == MLP_FT_FLOAT ? "a float" :
	    t == MLP_FT_BOOL ? "a bool" : "a string";
}

/* A value for a message, cut and made printable. */
static const char *
shown(struct mlp_fpusher *p, const char *s, size_t n)
{
	mlp_buf_reset(&p->tmp);
	mlp_buf_add(&p->tmp, s, n > 60 ? 60 : n);
	if (n > 60)
		mlp_buf_adds(&p->tmp, "...");
	for (size_t i = 0; i < p->tmp.len; i++)
		if ((unsigned char)p->tmp.s[i] < 0x20)
			p->tmp.s[i] = '?';
	if (mlp_utf8_invalid(p->tmp.s, p->tmp.len) >= 0)
		return "(not UTF-8)";
	return mlp_buf_str(&p->tmp);
}

/* Text as ingest's take_value reads it, into *out of type t. */
static int
from_text(struct mlp_fpusher *p, const char *s, size_t n, enum mlp_ftype t,
    struct mlp_fval *out, const char *where, const char *col,
    struct mlp_err *err)
{
	memset(out, 0, sizeof(*out));
	out->type = t;
	if (n == 0) {
		out->null = 1;
		return 0;
	}
	switch (t) {
	case MLP_FT_FLOAT:
		if (fnum_parse_double(s, n, &out->v.f) == 0)
			return 0;
		break;
	case MLP_FT_INT:
		if (fnum_parse_int(s, n, &out->v.i) == 0)
			return 0;
		break;
	case MLP_FT_BOOL:
		if (fnum_parse_bool(s, n, &out->v.b) == 0)
			return 0;
		break;
	case MLP_FT_STRING:
		if (mlp_utf8_invalid(s, n) >= 0)
			return bad(err, where, col, "not valid UTF-8");
		if (n > STR_MAX)
			return bad(err, where, col, "a string of %zu bytes is "
			    "too long", n);
		out->v.str.s = s;
		out->v.str.n = n;
		return 0;
	}
	return bad(err, where, col, "'%s' is not %s", shown(p, s, n),
	    article(t));
}

/* A cell into *out of type t: text as ingest reads it; a typed value of
 * that type, an int for a float, an integral float for an int, 0 or 1
 * for a bool. */
static int
take(struct mlp_fpusher *p, const struct pcell *c, enum mlp_ftype t,
    struct mlp_fval *out, const char *where, const char *col,
    struct mlp_err *err)
{
	const struct mlp_fval *v = c->v;

	if (!v || (v->type == MLP_FT_STRING && !v->null))
		return from_text(p, v ? v->v.str.s : c->s, v ? v->v.str.n :
		    c->n, t, out, where, col, err);
	memset(out, 0, sizeof(*out));
	out->type = t;
	if (v->null) {
		out->null = 1;
		return 0;
	}
	if (v->type == t && (t != MLP_FT_FLOAT || isfinite(v->v.f))) {
		*out = *v;
		return 0;
	}
	if (t == MLP_FT_FLOAT && v->type == MLP_FT_INT) {
		out->v.f = (double)v->v.i;
		return 0;
	}
	if (t == MLP_FT_INT && v->type == MLP_FT_FLOAT &&
	    v->v.f == trunc(v->v.f) && fabs(v->v.f) < 9.2e18) {
		out->v.i = (int64_t)v->v.f;
		return 0;
	}
	if (t == MLP_FT_BOOL && v->type == MLP_FT_INT && (v->v.i == 0 ||
	    v->v.i == 1)) {
		out->v.b = (int)v->v.i;
		return 0;
	}
	return bad(err, where, col, "%s value, not %s", article(v->type),
	    article(t));
}

/* A time cell in the source's format into *us. */
static int
take_ts(struct mlp_fpusher *p, const struct pcell *c, int64_t *us,
    const char *where, const char *col, struct mlp_err *err)
{
	const struct mlp_fval *v = c->v;
	enum mlp_tsfmt fmt = p->src->tsfmt;
	int64_t unit = fmt == MLP_TSFMT_EPOCH_MS ? 1000 : MLP_US_PER_SEC;
	const char *s = c->s;
	size_t n = c->n;

	if (v && !v->null && v->type == MLP_FT_INT) {
		if (__builtin_mul_overflow(v->v.i, unit, us))
			return bad(err, where, col, "a time out of range");
		return 0;
	}
	if (v && !v->null && v->type == MLP_FT_FLOAT) {
		double d = v->v.f * (double)unit;

		if (!isfinite(d) || fabs(d) > 9.2e18)
			return bad(err, where, col, "a time out of range");
		*us = (int64_t)d;
		return 0;
	}
	if (v && !v->null && v->type != MLP_FT_STRING)
		return bad(err, where, col, "%s, not a time",
		    article(v->type));
	if (v) {
		s = v->null ? "" : v->v.str.s;
		n = v->null ? 0 : v->v.str.n;
	}
	if (n == 0)
		return bad(err, where, col, "an empty timestamp");
	if (mlp_ts_parse(s, n, fmt, us) < 0)
		return bad(err, where, col, "'%s' is not an %s timestamp",
		    shown(p, s, n), mlp_tsfmt_name(fmt));
	return 0;
}

/* Writes us in fmt, as the source writes times. */
static void
ts_text(int64_t us, enum mlp_tsfmt fmt, char out[48])
{
	int64_t unit = fmt == MLP_TSFMT_EPOCH_MS ? 1000 : MLP_US_PER_SEC;
	uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
	uint64_t whole = a / (uint64_t)unit, frac = a % (uint64_t)unit;

	if (fmt == MLP_TSFMT_ISO8601) {
		mlp_ts_format(us, out);
		return;
	}
	if (frac)
		snprintf(out, 48, "%s%llu.%0*llu", us < 0 ? "-" : "",
		    (unsigned long long)whole, fmt == MLP_TSFMT_EPOCH_MS ? 3 :
		    6, (unsigned long long)frac);
	else
		snprintf(out, 48, "%s%llu", us < 0 ? "-" : "",
		    (unsigned long long)whole);
}

/* A typed value as text ingest reads back to the same value. */
static cJSON *
text_json(const struct mlp_fval *v)
{
	char num[40];
	cJSON *j;
	char *t;

	if (v->null)
		return cJSON_CreateNull();
	switch (v->type) {
	case MLP_FT_FLOAT:
		num[fnum_fmt_double(v->v.f, num)] = '\0';
		return cJSON_CreateString(num);
	case MLP_FT_INT:
		num[fnum_fmt_int(v->v.i, num)] = '\0';
		return cJSON_CreateString(num);
	case MLP_FT_BOOL:
		return cJSON_CreateString(v->v.b ? "true" : "false");
	case MLP_FT_STRING:
		t = xstrndup(v->v.str.s, v->v.str.n);
		j = cJSON_CreateString(t);
		free(t);
		return j;
	}
	return cJSON_CreateNull();
}

/* The column of the event a feature or input i (features first) is. */
static const char *
col_name(const struct mlp_fpusher *p, size_t i)
{
	return i < p->sc.nfeat ? p->view->features[i].name :
	    p->sc.in_names[i - p->sc.nfeat];
}

typedef int (*cell_fn)(void *ud, const char *col, struct pcell *out,
    struct mlp_err *err);

/* Reads one event through get into the pending events; nothing is added
 * on an error. */
static int
add_event(struct mlp_fpusher *p, cell_fn get, void *ud, const char *where,
    struct mlp_err *err)
{
	const struct mlp_fentity *e = p->ent;
	const struct mlp_fsource *src = p->src;
	struct pcell c;
	int64_t ets, cts = MLP_TS_NONE;
	size_t heap0 = p->heap.len;
	int rc;

	if ((rc = get(ud, src->timestamp, &c, err)) < 0 ||
	    (rc = take_ts(p, &c, &ets, where, src->timestamp, err)) < 0)
		return rc;
	if (src->created_timestamp && ((rc = get(ud, src->created_timestamp,
	    &c, err)) < 0 || (rc = take_ts(p, &c, &cts, where,
	    src->created_timestamp, err)) < 0))
		return rc;
	for (size_t k = 0; k < e->nkeys; k++) {
		struct mlp_fval *kv = &p->kv[k];

		if ((rc = get(ud, e->join_keys[k], &c, err)) < 0)
			return rc;
		if (e->key_types[k] == MLP_FT_STRING && c.v && !c.v->null &&
		    c.v->type == MLP_FT_INT) {
			/* as a JSON number for a string key reads */
			kv->type = MLP_FT_STRING;
			kv->null = 0;
			kv->v.str.n = fnum_fmt_int(c.v->v.i, p->knum[k]);
			kv->v.str.s = p->knum[k];
		} else if ((rc = take(p, &c, e->key_types[k], kv, where,
		    e->join_keys[k], err)) < 0) {
			goto fail;
		} else if (kv->null) {
			rc = bad(err, where, e->join_keys[k], "an empty join "
			    "key");
			goto fail;
		} else if (kv->type == MLP_FT_STRING &&
		    memchr(kv->v.str.s, MLP_FKEY_SEP, kv->v.str.n)) {
			rc = bad(err, where, e->join_keys[k], "a key holding "
			    "the byte 0x1f");
			goto fail;
		}
	}
	for (size_t i = 0; i < p->sc.nfeat + p->sc.nin; i++) {
		const char *name = col_name(p, i);
		enum mlp_ftype t = i < p->sc.nfeat ?
		    p->view->features[i].type : p->sc.in_types[i - p->sc.nfeat];
		struct mlp_fval v;

		if ((rc = get(ud, name, &c, err)) < 0 ||
		    (rc = take(p, &c, t, &v, where, name, err)) < 0)
			goto fail;
		if (i < p->sc.nfeat) {
			p->fv[i] = v;
		} else {
			size_t k = i - p->sc.nfeat;

			p->exnull[k] = (uint8_t)v.null;
			p->ex[k] = v.null ? 0.0 : t == MLP_FT_FLOAT ? v.v.f :
			    t == MLP_FT_INT ? (double)v.v.i : v.v.b ? 1.0 :
			    0.0;
		}
	}
	mlp_buf_reset(&p->canon);
	if ((rc = mlp_fkey_canon(p->kv, e->nkeys, &p->canon, err)) < 0)
		goto fail;
	/* online: the typed event */
	if (p->to & MLP_FPUSH_ONLINE) {
		struct pev *ev;
		size_t nf = p->sc.nfeat, nin = p->sc.nin;

		if (p->nev == p->aev) {
			p->aev = p->aev ? p->aev * 2 : 256;
			p->ev = xrealloc(p->ev, p->aev * sizeof(*p->ev));
			p->vals = xrealloc(p->vals, p->aev * (nf + 1) *
			    sizeof(*p->vals));
			p->soff = xrealloc(p->soff, p->aev * (nf + 1) *
			    sizeof(*p->soff));
			p->x = xrealloc(p->x, p->aev * (nin + 1) *
			    sizeof(*p->x));
			p->xnull = xrealloc(p->xnull, p->aev * (nin + 1));
		}
		ev = &p->ev[p->nev];
		ev->ets = ets;
		ev->cts = cts;
		ev->koff = p->keys.len;
		ev->klen = p->canon.len;
		mlp_buf_add(&p->keys, p->canon.s, p->canon.len);
		for (size_t i = 0; i < nf; i++) {
			struct mlp_fval *v = &p->vals[p->nev * nf + i];

			*v = p->fv[i];
			p->soff[p->nev * nf + i] = p->heap.len;
			if (!v->null && v->type == MLP_FT_STRING) {
				mlp_buf_add(&p->heap, v->v.str.s, v->v.str.n);
				v->v.str.s = NULL;
			}
		}
		memcpy(p->x + p->nev * nin, p->ex, nin * sizeof(*p->x));
		memcpy(p->xnull + p->nev * nin, p->exnull, nin);
		p->nev++;
	}
	/* offline: the event as a line ingest reads back to the same */
	if (p->to & MLP_FPUSH_OFFLINE) {
		cJSON *o = cJSON_CreateObject();
		char t[48];

		ts_text(ets, src->tsfmt, t);
		cJSON_AddStringToObject(o, src->timestamp, t);
		if (src->created_timestamp) {
			ts_text(cts, src->tsfmt, t);
			cJSON_AddStringToObject(o, src->created_timestamp, t);
		}
		for (size_t k = 0; k < e->nkeys; k++)
			if (!cJSON_GetObjectItemCaseSensitive(o,
			    e->join_keys[k]))
				cJSON_AddItemToObject(o, e->join_keys[k],
				    text_json(&p->kv[k]));
		for (size_t i = 0; i < p->sc.nfeat; i++)
			if (!cJSON_GetObjectItemCaseSensitive(o, col_name(p,
			    i)))
				cJSON_AddItemToObject(o, col_name(p, i),
				    text_json(&p->fv[i]));
		for (size_t k = 0; k < p->sc.nin; k++) {
			struct mlp_fval v = { .type = MLP_FT_FLOAT,
				.null = p->exnull[k], .v.f = p->ex[k] };

			if (cJSON_GetObjectItemCaseSensitive(o,
			    p->sc.in_names[k]))
				continue;
			if (p->sc.in_types[k] == MLP_FT_INT) {
				v.type = MLP_FT_INT;
				v.v.i = (int64_t)p->ex[k];
			} else if (p->sc.in_types[k] == MLP_FT_BOOL) {
				v.type = MLP_FT_BOOL;
				v.v.b = p->ex[k] != 0.0;
			}
			cJSON_AddItemToObject(o, p->sc.in_names[k],
			    text_json(&v));
		}
		/* {"k": v, "k": v}: ingest finds a JSON line's fields with
		 * its CSV scanner, which takes ,"k" for a quoted field */
		mlp_buf_addc(&p->lines, '{');
		for (cJSON *it = o->child; it; it = it->next) {
			cJSON *name = cJSON_CreateString(it->string);
			char *k = cJSON_PrintUnformatted(name);
			char *val = cJSON_PrintUnformatted(it);

			mlp_buf_addf(&p->lines, "%s%s: %s", it == o->child ? "" :
			    ", ", k, val);
			free(k);
			free(val);
			cJSON_Delete(name);
		}
		mlp_buf_adds(&p->lines, "}\n");
		p->nlines++;
		cJSON_Delete(o);
	}
	/* only strings of events kept stay in the heap */
	if (!(p->to & MLP_FPUSH_ONLINE))
		p->heap.len = heap0;
	return 0;
fail:
	p->heap.len = heap0;
	return rc;
}

/* ---- JSON lines ---- */

struct jl {
	const cJSON *doc;
	struct mlp_buf *b;
	size_t cap;
	const char *where;
};

/* A JSON value as a field's text, as ingest's json_text has it: a
 * string's own bytes, a number's or bool's text in j->b, which was sized
 * for every column so that no text moves. */
static int
json_cell(void *ud, const char *col, struct pcell *out, struct mlp_err *err)
{
	struct jl *j = ud;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j->doc, col);
	char num[40];
	size_t at = j->b->len, n;

	out->v = NULL;
	out->s = "";
	out->n = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v)) {
		out->s = v->valuestring;
		out->n = strlen(v->valuestring);
		return 0;
	}
	if (cJSON_IsBool(v)) {
		n = (size_t)snprintf(num, sizeof(num), "%s", cJSON_IsTrue(v) ?
		    "true" : "false");
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (!isfinite(d))
			return bad(err, j->where, col, "a number out of range");
		if (d == trunc(d) && fabs(d) < 9007199254740992.0)
			n = fnum_fmt_int((int64_t)d, num);
		else
			n = fnum_fmt_double(d, num);
	} else {
		return bad(err, j->where, col, "an %s, not a value",
		    cJSON_IsArray(v) ? "array" : "object");
	}
	if (j->b->len + n > j->cap)
		return mlp_err_set(err, MLP_EFAIL, "%s: too many fields",
		    j->where);
	mlp_buf_add(j->b, num, n);
	out->s = j->b->s + at;
	out->n = n;
	return 0;
}

int
mlp_fpush_line(struct mlp_fpusher *p, const char *text, size_t n,
    const char *name, uint64_t lineno, struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	char where[256];
	struct jl j;
	cJSON *doc;
	int rc;

	snprintf(where, sizeof(where), "'%s' line %llu", name,
	    (unsigned long long)lineno);
	if (mlp_utf8_invalid(text, n) >= 0)
		return mlp_err_set(err, MLP_EINVAL, "%s: not valid UTF-8",
		    where);
	if (!(doc = cJSON_ParseWithLength(text, n)) || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return mlp_err_set(err, MLP_EINVAL, "%s: not a JSON object",
		    where);
	}
	/* each column is read once, a number's text is at most 32 bytes */
	j.cap = 40 * (p->sc.nfeat + p->sc.nin + p->ent->nkeys + 2);
	mlp_buf_grow(&b, j.cap + 1);
	j.doc = doc;
	j.b = &b;
	j.where = where;
	rc = add_event(p, json_cell, &j, where, err);
	cJSON_Delete(doc);
	mlp_buf_release(&b);
	return rc;
}

/* ---- columns ---- */

struct cols {
	const char *const *names;
	const struct mlp_fval *const *cols;
	size_t ncols, row;
};

static int
col_cell(void *ud, const char *col, struct pcell *out, struct mlp_err *err)
{
	struct cols *c = ud;
	static const struct mlp_fval null = { .null = 1 };

	out->s = "";
	out->n = 0;
	out->v = &null;
	for (size_t i = 0; i < c->ncols; i++)
		if (strcmp(c->names[i], col) == 0) {
			out->v = &c->cols[i][c->row];
			break;
		}
	return 0;
}

int
mlp_fpush_columns(struct mlp_fpusher *p, const char *const *names,
    const struct mlp_fval *const *cols, size_t ncols, size_t n,
    struct mlp_err *err)
{
	size_t nev = p->nev, nlines = p->nlines, keys = p->keys.len,
	    heap = p->heap.len, lines = p->lines.len;
	struct cols c = { names, cols, ncols, 0 };
	int rc = 0;

	for (size_t i = 0; i < ncols; i++)
		if ((rc = mlp_check_utf8("column name", names[i], err)) < 0)
			return rc;
	for (c.row = 0; c.row < n && rc == 0; c.row++) {
		char where[64];

		snprintf(where, sizeof(where), "row %zu", c.row + 1);
		rc = add_event(p, col_cell, &c, where, err);
	}
	if (rc < 0) {
		/* all or nothing */
		p->nev = nev;
		p->nlines = nlines;
		p->keys.len = keys;
		p->heap.len = heap;
		p->lines.len = lines;
	}
	return rc;
}

/* ---- online ---- */

struct group {
	size_t first, n;	/* in order[] */
	int64_t ets, cts;	/* the version written */
	int done;
};

struct oflush {
	struct mlp_fpusher *p;
	size_t *order;		/* events by (key, arrival) */
	struct group *g;
	size_t ng;
	struct frec rec;
	struct mlp_buf kbuf, vbuf;
	struct mlp_online_key *keys;
	struct mlp_online_rec *recs, *got;
	size_t *gi;		/* per key read: its group */
};

static int
ev_cmp(const void *a, const void *b, void *arg)
{
	const struct mlp_fpusher *p = arg;
	const struct pev *x = &p->ev[*(const size_t *)a];
	const struct pev *y = &p->ev[*(const size_t *)b];
	size_t m = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(p->keys.s + x->koff, p->keys.s + y->koff, m);

	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int
newer(int64_t e1, int64_t c1, int64_t e2, int64_t c2)
{
	return e1 > e2 || (e1 == e2 && c1 > c2);
}

/* Merges group g's events into r (decoded from the store, or empty when
 * stored is NULL); 1 when r changed, and the version to write. */
static int
merge(struct oflush *f, struct group *g, const struct mlp_online_rec *stored)
{
	struct mlp_fpusher *p = f->p;
	struct frec *r = &f->rec;
	int changed = 0;

	for (size_t j = 0; j < g->n; j++) {
		size_t e = f->order[g->first + j];
		const struct pev *ev = &p->ev[e];
		size_t nf = p->sc.nfeat;

		if (!r->has_row || mlp_fpit_supersedes(ev->ets, ev->cts,
		    r->row_ets, r->row_cts)) {
			r->has_row = 1;
			r->row_ets = ev->ets;
			r->row_cts = ev->cts;
			for (size_t i = 0; i < nf; i++) {
				struct mlp_fval *v = &r->row[i];

				*v = p->vals[e * nf + i];
				if (!v->null && v->type == MLP_FT_STRING)
					v->v.str.s = p->heap.s +
					    p->soff[e * nf + i];
			}
			changed = 1;
		}
		if (p->sc.longest > 0 && (r->horizon == MLP_TS_NONE ||
		    ev->ets > r->horizon)) {
			frec_insert(r, &p->sc, ev->ets, ev->cts,
			    p->x + e * p->sc.nin, p->xnull + e * p->sc.nin);
			changed = 1;
		}
	}
	if (!changed)
		return 0;
	if (p->sc.longest > 0 && r->nev) {
		int64_t h;

		if (!__builtin_sub_overflow(r->ets[r->nev - 1],
		    p->sc.longest, &h) && (r->horizon == MLP_TS_NONE ||
		    h > r->horizon))
			r->horizon = h;
		frec_prune(r, &p->sc);
	}
	g->ets = r->row_ets;
	g->cts = r->row_cts;
	if (stored && !newer(g->ets, g->cts, stored->event_ts,
	    stored->created_ts)) {
		/* newer than what it was read from, whatever the events */
		g->ets = stored->event_ts;
		g->cts = stored->created_ts == INT64_MAX ? INT64_MAX :
		    stored->created_ts + 1;
	}
	return 1;
}

/* Reads, merges and writes the groups not done among gs[0..n). */
static int
round_groups(struct oflush *f, struct mlp_online *o, size_t *gs, size_t n,
    struct mlp_fpush_stats *stats, struct mlp_err *err)
{
	struct mlp_fpusher *p = f->p;
	size_t nput = 0, w = 0, *voff = NULL, *koff;
	int rc;

	mlp_buf_reset(&f->kbuf);
	koff = xcalloc(n + 1, sizeof(*koff));
	for (size_t i = 0; i < n; i++) {
		const struct pev *ev = &p->ev[f->order[f->g[gs[i]].first]];

		koff[i] = f->kbuf.len;
		fonline_key(&f->kbuf, p->ent->name, p->keys.s + ev->koff,
		    ev->klen);
		f->keys[i].n = f->kbuf.len - koff[i];
	}
	for (size_t i = 0; i < n; i++)
		f->keys[i].s = f->kbuf.s + koff[i];
	if ((rc = mlp_online_get(o, p->view->name, f->keys, n, f->got,
	    err)) < 0)
		goto out;
	mlp_buf_reset(&f->vbuf);
	voff = xcalloc(n + 1, sizeof(*voff));
	for (size_t i = 0; i < n; i++) {
		struct group *g = &f->g[gs[i]];
		struct mlp_online_rec *r;

		if (f->got[i].value) {
			if ((rc = frec_decode(&p->sc, f->got[i].value,
			    f->got[i].vlen, &f->rec, err)) < 0)
				goto out;
		} else {
			frec_reset(&f->rec, &p->sc);
		}
		if (!merge(f, g, f->got[i].value ? &f->got[i] : NULL)) {
			g->done = 1;
			continue;
		}
		r = &f->recs[nput];
		memset(r, 0, sizeof(*r));
		r->view = p->view->name;
		r->key = f->keys[i];
		r->event_ts = g->ets;
		r->created_ts = g->cts;
		r->ttl = fonline_keep(&p->sc);
		voff[nput] = f->vbuf.len;
		frec_encode(&p->sc, &f->rec, &f->vbuf);
		r->vlen = f->vbuf.len - voff[nput];
		f->gi[nput++] = gs[i];
	}
	for (size_t i = 0; i < nput; i++)
		f->recs[i].value = f->vbuf.s + voff[i];
	if (nput && (rc = mlp_online_put(o, f->recs, nput, &w, err)) < 0)
		goto out;
	if (w == nput) {
		for (size_t i = 0; i < nput; i++)
			f->g[f->gi[i]].done = 1;
	} else {
		/* some were not newer: those whose stored version is not
		 * the one written were changed meanwhile; read them again */
		struct mlp_online_key *k = xcalloc(nput + 1, sizeof(*k));

		for (size_t i = 0; i < nput; i++)
			k[i] = f->recs[i].key;
		rc = mlp_online_get(o, p->view->name, k, nput, f->got, err);
		for (size_t i = 0; i < nput && rc == 0; i++)
			if (f->got[i].value && f->got[i].event_ts ==
			    f->g[f->gi[i]].ets && f->got[i].created_ts ==
			    f->g[f->gi[i]].cts)
				f->g[f->gi[i]].done = 1;
		free(k);
		if (rc < 0)
			goto out;
	}
	if (stats)
		for (size_t i = 0; i < nput; i++)
			stats->records += f->g[f->gi[i]].done;
out:
	free(koff);
	free(voff);
	return rc;
}

static int
flush_online(struct mlp_fpusher *p, struct mlp_online *o,
    struct mlp_fpush_stats *stats, struct mlp_err *err)
{
	struct oflush f;
	size_t *gs;
	int rc = 0;

	memset(&f, 0, sizeof(f));
	frec_init(&f.rec);
	f.p = p;
	f.order = xcalloc(p->nev + 1, sizeof(*f.order));
	for (size_t i = 0; i < p->nev; i++)
		f.order[i] = i;
	qsort_r(f.order, p->nev, sizeof(*f.order), ev_cmp, p);
	f.g = xcalloc(p->nev + 1, sizeof(*f.g));
	for (size_t i = 0; i < p->nev; i++) {
		const struct pev *a = &p->ev[f.order[i]];

		if (i > 0) {
			const struct pev *b = &p->ev[f.order[i - 1]];

			if (a->klen == b->klen && memcmp(p->keys.s + a->koff,
			    p->keys.s + b->koff, a->klen) == 0) {
				f.g[f.ng - 1].n++;
				continue;
			}
		}
		f.g[f.ng].first = i;
		f.g[f.ng++].n = 1;
	}
	f.keys = xcalloc(PUSH_KEYS, sizeof(*f.keys));
	f.recs = xcalloc(PUSH_KEYS, sizeof(*f.recs));
	f.got = xcalloc(PUSH_KEYS, sizeof(*f.got));
	f.gi = xcalloc(PUSH_KEYS, sizeof(*f.gi));
	gs = xcalloc(PUSH_KEYS, sizeof(*gs));
	for (size_t a = 0; a < f.ng && rc == 0; a += PUSH_KEYS) {
		size_t b = a + PUSH_KEYS < f.ng ? a + PUSH_KEYS : f.ng;

		for (int round = 0; rc == 0; round++) {
			size_t n = 0;

			for (size_t i = a; i < b; i++)
				if (!f.g[i].done)
					gs[n++] = i;
			if (!n)
				break;
			if (round == PUSH_ROUNDS) {
				rc = mlp_err_set(err, MLP_ELOCKED, "online "
				    "records of feature view '%s' kept "
				    "changing while they were merged",
				    p->view->name);
				break;
			}
			rc = round_groups(&f, o, gs, n, stats, err);
		}
	}
	if (rc == 0 && stats)
		stats->events += p->nev;
	free(gs);
	free(f.order);
	free(f.g);
	free(f.keys);
	free(f.recs);
	free(f.got);
	free(f.gi);
	frec_release(&f.rec);
	mlp_buf_release(&f.kbuf);
	mlp_buf_release(&f.vbuf);
	return rc;
}

/* ---- offline ---- */

static int
flush_offline(struct mlp_fpusher *p, const struct mlp_fpush_offline *off,
    struct mlp_fpush_stats *stats, struct mlp_err *err)
{
	struct mlp_fspec one = *p->spec;
	struct mlp_fingest_opts io = { 0 };
	struct mlp_fingest_result *res = NULL;
	char *path, *origin = xasprintf("push:%s", p->view->name);
	int fd, rc = 0;

	if (!off || !off->db || !off->st || !off->tmpdir)
		return mlp_err_set(err, MLP_EINVAL, "a push to the offline "
		    "store needs a repository");
	path = xasprintf("%s/push-%s-XXXXXX.jsonl", off->tmpdir,
	    p->view->name);
	if ((fd = mkstemps(path, 6)) < 0) {
		rc = mlp_err_write(err, errno, 1, "cannot stage pushed events "
		    "in '%s'", off->tmpdir);
		free(path);
		free(origin);
		return rc;
	}
	for (size_t done = 0; done < p->lines.len;) {
		ssize_t w = write(fd, p->lines.s + done, p->lines.len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = mlp_err_write(err, errno, 1, "cannot write '%s'",
			    path);
			break;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = mlp_err_write(err, errno, 1, "cannot write '%s'", path);
	if (rc == 0) {
		/* the view alone: the other views of its source get nothing */
		one.views = (struct mlp_fview *)p->view;
		one.nviews = 1;
		io.source = p->view->source;
		io.file = path;
		io.origin = origin;
		io.user = off->user;
		io.no_compact = off->no_compact;
		io.nthreads = 1;
		if ((rc = mlp_fingest(off->db, off->st, &one, &io, &res,
		    err)) < 0)
			mlp_err_prefix(err, "the offline store");
	}
	if (rc == 0 && stats) {
		stats->offline_events += p->nlines;
		if (res->nviews) {
			stats->batch = res->views[0].id;
			if (res->views[0].compacted) {
				stats->compactions++;
				stats->merged += res->views[0].merged;
				stats->batch = res->views[0].compacted;
			}
		}
		if (res->compact_error && !stats->compact_err.code)
			mlp_err_set(&stats->compact_err, MLP_EFAIL, "%s",
			    res->compact_error);
	}
	mlp_fingest_result_free(res);
	unlink(path);
	free(path);
	free(origin);
	return rc;
}

int
mlp_fpush_flush(struct mlp_fpusher *p, unsigned to, struct mlp_online *o,
    const struct mlp_fpush_offline *off, struct mlp_fpush_stats *stats,
    struct mlp_err *err)
{
	int rc;

	to &= p->to;
	/* offline first: the offline store is what materialize rebuilds
	 * the online one from, should the online write fail */
	if ((to & MLP_FPUSH_OFFLINE) && p->nlines) {
		if ((rc = flush_offline(p, off, stats, err)) < 0)
			return rc;
		p->nlines = 0;
		mlp_buf_reset(&p->lines);
	}
	if ((to & MLP_FPUSH_ONLINE) && p->nev) {
		if (!o)
			return mlp_err_set(err, MLP_EINVAL, "a push to the "
			    "online store needs one");
		if ((rc = flush_online(p, o, stats, err)) < 0)
			return rc;
		p->nev = 0;
		mlp_buf_reset(&p->keys);
		mlp_buf_reset(&p->heap);
	}
	return 0;
}
