/* The online record of (feature view, entity key): its schema, its binary
 * form (fonline.h lays it out) and the edits push makes to it. */
#include <stdlib.h>
#include <string.h>

#include "fonline.h"

const char *
mlp_fstatus_name(int status)
{
	switch (status) {
	case MLP_FSTATUS_PRESENT:
		return "PRESENT";
	case MLP_FSTATUS_NULL_VALUE:
		return "NULL_VALUE";
	case MLP_FSTATUS_NOT_FOUND:
		return "NOT_FOUND";
	case MLP_FSTATUS_OUTSIDE_MAX_AGE:
		return "OUTSIDE_MAX_AGE";
	default:
		return "INVALID";
	}
}

int
frec_schema_init(struct frec_schema *s, const struct mlp_fview *v,
    struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;

	memset(s, 0, sizeof(*s));
	s->view = v;
	s->nfeat = v->nfeatures;
	s->in_names = xcalloc(v->naggs + 1, sizeof(*s->in_names));
	s->in_types = xcalloc(v->naggs + 1, sizeof(*s->in_types));
	s->agg_in = xcalloc(v->naggs + 1, sizeof(*s->agg_in));
	for (size_t a = 0; a < v->naggs; a++) {
		const struct mlp_fagg *g = &v->aggs[a];
		size_t k = 0;

		while (k < s->nin && strcmp(s->in_names[k], g->column) != 0)
			k++;
		if (k == s->nin) {
			s->in_names[k] = g->column;
			s->in_types[k] = MLP_FT_FLOAT;
			for (size_t j = 0; j < v->nfeatures; j++)
				if (strcmp(v->features[j].name, g->column) == 0)
					s->in_types[k] = v->features[j].type;
			s->nin++;
		}
		s->agg_in[a] = k;
		for (size_t w = 0; w < g->nwindows; w++)
			if (g->windows[w] > s->longest)
				s->longest = g->windows[w];
	}
	if (s->nfeat > 65535 || s->nin > 65535) {
		frec_schema_release(s);
		return mlp_err_set(err, MLP_EUNSUPPORTED, "feature view '%s' "
		    "has too many features for the online store", v->name);
	}
	/* what a record's values mean: names and types in order */
	for (size_t i = 0; i < s->nfeat; i++)
		mlp_buf_addf(&b, "f %s %s\n", v->features[i].name,
		    mlp_ftype_name(v->features[i].type));
	for (size_t k = 0; k < s->nin; k++)
		mlp_buf_addf(&b, "a %s\n", s->in_names[k]);
	s->fp = mlp_fkey_hash(b.s ? b.s : "", b.len);
	mlp_buf_release(&b);
	return 0;
}

void
frec_schema_release(struct frec_schema *s)
{
	free(s->in_names);
	free(s->in_types);
	free(s->agg_in);
	memset(s, 0, sizeof(*s));
}

int64_t
fonline_keep(const struct frec_schema *s)
{
	int64_t ttl = s->view->ttl;

	if (ttl <= 0)
		return 0;
	return s->longest > ttl ? s->longest : ttl;
}

void
fonline_key(struct mlp_buf *b, const char *entity, const char *key,
    size_t n)
{
	mlp_buf_adds(b, entity);
	mlp_buf_addc(b, ':');
	mlp_buf_add(b, key, n);
}

void
frec_init(struct frec *r)
{
	memset(r, 0, sizeof(*r));
	r->horizon = MLP_TS_NONE;
}

void
frec_release(struct frec *r)
{
	free(r->row);
	free(r->ets);
	free(r->cts);
	free(r->x);
	free(r->xnull);
	frec_init(r);
}

void
frec_reset(struct frec *r, const struct frec_schema *s)
{
	if (r->arow < s->nfeat + 1) {
		r->arow = s->nfeat + 1;
		r->row = xrealloc(r->row, r->arow * sizeof(*r->row));
	}
	memset(r->row, 0, (s->nfeat + 1) * sizeof(*r->row));
	for (size_t i = 0; i < s->nfeat; i++) {
		r->row[i].type = s->view->features[i].type;
		r->row[i].null = 1;
	}
	r->has_row = 0;
	r->row_ets = r->row_cts = MLP_TS_NONE;
	r->horizon = MLP_TS_NONE;
	r->nev = 0;
}

void
frec_reserve(struct frec *r, const struct frec_schema *s, size_t n)
{
	size_t nin = s->nin ? s->nin : 1;

	if (n <= r->aev)
		return;
	if (n < r->aev * 2)
		n = r->aev * 2;
	if (n < 16)
		n = 16;
	r->ets = xrealloc(r->ets, n * sizeof(*r->ets));
	r->cts = xrealloc(r->cts, n * sizeof(*r->cts));
	r->x = xrealloc(r->x, n * nin * sizeof(*r->x));
	r->xnull = xrealloc(r->xnull, n * nin);
	r->aev = n;
}

/* ---- bytes ---- */

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
add64(struct mlp_buf *b, uint64_t v)
{
	unsigned char t[8];

	put64(t, v);
	mlp_buf_add(b, t, 8);
}

void
frec_encode(const struct frec_schema *s, const struct frec *r,
    struct mlp_buf *out)
{
	unsigned char h[FREC_HDR] = { 0 };
	size_t nb, start;

	h[0] = FREC_VERSION;
	h[1] = r->has_row ? FREC_ROW : 0;
	put16(h + 2, (uint16_t)s->nfeat);
	put16(h + 4, (uint16_t)s->nin);
	put64(h + 8, s->fp);
	put64(h + 16, (uint64_t)r->horizon);
	put32(h + 24, (uint32_t)r->nev);
	mlp_buf_add(out, h, sizeof(h));
	if (r->has_row) {
		add64(out, (uint64_t)r->row_ets);
		add64(out, (uint64_t)r->row_cts);
		nb = (s->nfeat + 7) / 8;
		start = out->len;
		mlp_buf_grow(out, nb);
		memset(out->s + start, 0, nb);
		out->len += nb;
		for (size_t i = 0; i < s->nfeat; i++) {
			const struct mlp_fval *v = &r->row[i];
			unsigned char t[8];

			if (v->null) {
				out->s[start + i / 8] = (char)(out->s[start +
				    i / 8] | 1 << (i % 8));
				continue;
			}
			switch (s->view->features[i].type) {
			case MLP_FT_FLOAT:
				memcpy(t, &v->v.f, 8);
				mlp_buf_add(out, t, 8);
				break;
			case MLP_FT_INT:
				add64(out, (uint64_t)v->v.i);
				break;
			case MLP_FT_BOOL:
				mlp_buf_addc(out, v->v.b ? 1 : 0);
				break;
			case MLP_FT_STRING:
				put32(t, (uint32_t)v->v.str.n);
				mlp_buf_add(out, t, 4);
				mlp_buf_add(out, v->v.str.s, v->v.str.n);
				break;
			}
		}
	}
	for (size_t e = 0; e < r->nev; e++)
		add64(out, (uint64_t)r->ets[e]);
	for (size_t e = 0; e < r->nev; e++)
		add64(out, (uint64_t)r->cts[e]);
	nb = (r->nev * s->nin + 7) / 8;
	start = out->len;
	mlp_buf_grow(out, nb + r->nev * s->nin * 8);
	memset(out->s + start, 0, nb);
	for (size_t i = 0; i < r->nev * s->nin; i++)
		if (r->xnull[i])
			out->s[start + i / 8] = (char)(out->s[start + i / 8] |
			    1 << (i % 8));
	out->len += nb;
	for (size_t i = 0; i < r->nev * s->nin; i++) {
		double d = r->xnull[i] ? 0.0 : r->x[i];

		memcpy(out->s + out->len, &d, 8);
		out->len += 8;
	}
}

static int
damaged(const struct frec_schema *s, struct mlp_err *err, const char *why)
{
	return mlp_err_set(err, MLP_ECORRUPT, "an online record of feature "
	    "view '%s' is damaged: %s", s->view->name, why);
}

int
frec_decode(const struct frec_schema *s, const void *buf, size_t n,
    struct frec *r, struct mlp_err *err)
{
	const unsigned char *p = buf, *end = p + n;
	size_t nev, nb, nx;
	unsigned flags;

	frec_reset(r, s);
	if (n < FREC_HDR)
		return damaged(s, err, "too short");
	if (p[0] != FREC_VERSION)
		return damaged(s, err, "an unknown version");
	if (get64(p + 8) != s->fp || get16(p + 2) != s->nfeat ||
	    get16(p + 4) != s->nin)
		return mlp_err_set(err, MLP_EFAIL, "an online record of "
		    "feature view '%s' was written for another definition of "
		    "the view", s->view->name);
	if ((p[1] & ~FREC_ROW) || get16(p + 6) || get32(p + 28))
		return damaged(s, err, "unknown flags");
	flags = p[1];
	r->horizon = (int64_t)get64(p + 16);
	nev = get32(p + 24);
	if (nev > FREC_MAX_EVENTS)
		return damaged(s, err, "too many events");
	p += FREC_HDR;
	if (flags & FREC_ROW) {
		const unsigned char *nulls;

		nb = (s->nfeat + 7) / 8;
		if ((size_t)(end - p) < 16 + nb)
			return damaged(s, err, "a short row");
		r->has_row = 1;
		r->row_ets = (int64_t)get64(p);
		r->row_cts = (int64_t)get64(p + 8);
		nulls = p + 16;
		p += 16 + nb;
		for (size_t i = 0; i < s->nfeat; i++) {
			struct mlp_fval *v = &r->row[i];

			if (nulls[i / 8] >> (i % 8) & 1)
				continue;
			v->null = 0;
			switch (v->type) {
			case MLP_FT_FLOAT:
				if (end - p < 8)
					return damaged(s, err, "a short row");
				memcpy(&v->v.f, p, 8);
				p += 8;
				break;
			case MLP_FT_INT:
				if (end - p < 8)
					return damaged(s, err, "a short row");
				v->v.i = (int64_t)get64(p);
				p += 8;
				break;
			case MLP_FT_BOOL:
				if (end - p < 1 || *p > 1)
					return damaged(s, err, "a bad bool");
				v->v.b = *p++;
				break;
			case MLP_FT_STRING: {
				uint32_t len;

				if (end - p < 4)
					return damaged(s, err, "a short row");
				len = get32(p);
				p += 4;
				if ((size_t)(end - p) < len)
					return damaged(s, err, "a short string");
				v->v.str.s = (const char *)p;
				v->v.str.n = len;
				p += len;
				break;
			}
			}
		}
	}
	nx = nev * s->nin;
	nb = (nx + 7) / 8;
	if ((size_t)(end - p) != nev * 16 + nb + nx * 8)
		return damaged(s, err, "events of the wrong length");
	frec_reserve(r, s, nev);
	r->nev = nev;
	for (size_t e = 0; e < nev; e++) {
		r->ets[e] = (int64_t)get64(p + 8 * e);
		r->cts[e] = (int64_t)get64(p + 8 * (nev + e));
		if (e && (r->ets[e] < r->ets[e - 1] || (r->ets[e] ==
		    r->ets[e - 1] && r->cts[e] < r->cts[e - 1])))
			return damaged(s, err, "events out of order");
	}
	p += 16 * nev;
	for (size_t i = 0; i < nx; i++)
		r->xnull[i] = p[i / 8] >> (i % 8) & 1;
	p += nb;
	if (nx)
		memcpy(r->x, p, nx * 8);
	return 0;
}

/* ---- edits ---- */

void
frec_insert(struct frec *r, const struct frec_schema *s, int64_t ets,
    int64_t cts, const double *x, const uint8_t *xnull)
{
	size_t at = r->nev, k = s->nin;

	frec_reserve(r, s, r->nev + 1);
	/* after every event not later: arrival order among equals */
	while (at > 0 && (r->ets[at - 1] > ets || (r->ets[at - 1] == ets &&
	    r->cts[at - 1] > cts)))
		at--;
	memmove(r->ets + at + 1, r->ets + at, (r->nev - at) * 8);
	memmove(r->cts + at + 1, r->cts + at, (r->nev - at) * 8);
	memmove(r->x + (at + 1) * k, r->x + at * k, (r->nev - at) * k * 8);
	memmove(r->xnull + (at + 1) * k, r->xnull + at * k, (r->nev - at) * k);
	r->ets[at] = ets;
	r->cts[at] = cts;
	for (size_t j = 0; j < k; j++) {
		r->xnull[at * k + j] = xnull[j];
		r->x[at * k + j] = xnull[j] ? 0.0 : x[j];
	}
	r->nev++;
}

void
frec_prune(struct frec *r, const struct frec_schema *s)
{
	size_t k = s->nin, d = 0;

	if (r->horizon == MLP_TS_NONE)
		return;
	while (d < r->nev && r->ets[d] <= r->horizon)
		d++;
	if (!d)
		return;
	memmove(r->ets, r->ets + d, (r->nev - d) * 8);
	memmove(r->cts, r->cts + d, (r->nev - d) * 8);
	memmove(r->x, r->x + d * k, (r->nev - d) * k * 8);
	memmove(r->xnull, r->xnull + d * k, (r->nev - d) * k);
	r->nev -= d;
}

int
fonline_view(const struct mlp_fspec *s, const char *name,
    const struct mlp_fview **out, struct mlp_err *err)
{
	const char *best = NULL;
	size_t bd = 3, n = strlen(name);

	if ((*out = mlp_fspec_view(s, name)))
		return 0;
	for (size_t i = 0; i < s->nviews; i++) {
		size_t d = mlp_edit_distance(name, n, s->views[i].name,
		    strlen(s->views[i].name));

		if (d < bd && d < n) {
			bd = d;
			best = s->views[i].name;
		}
	}
	return mlp_err_set(err, MLP_ENOTFOUND, "no feature view '%.80s'%s%s%s",
	    name, best ? " (did you mean '" : "", best ? best : "",
	    best ? "'?)" : "");
}
