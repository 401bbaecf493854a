/* Segments of the offline store: canonical entity keys and their hash, and
 * the columnar segment format (internal.h), written in one buffer and read
 * back by mmap after checking every size and offset. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* ---- keys ---- */

static inline uint64_t
rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static inline uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* A full avalanche of 64 bits (multiply and xor-shift rounds). */
static inline uint64_t
fmix(uint64_t x)
{
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	return x;
}

/* Never change this function: segments on disk are partitioned and sorted
 * by it (tests/unit/segment_test.c pins some values). */
uint64_t
mlp_fkey_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^
	    ((uint64_t)n * UINT64_C(0xff51afd7ed558ccd));
	uint64_t w = 0;

	for (; n >= 8; s += 8, n -= 8)
		h = rotl((h ^ fmix(rd64(s))) * UINT64_C(0xc4ceb9fe1a85ec53), 29);
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)s[i] << (8 * i);
	h ^= fmix(w ^ UINT64_C(0x2545f4914f6cdd1d));
	return fmix(h);
}

int
mlp_fkey_canon(const struct mlp_fval *vals, size_t n, struct mlp_buf *b,
    struct mlp_err *err)
{
	char num[24];

	for (size_t i = 0; i < n; i++) {
		const struct mlp_fval *v = &vals[i];

		if (i > 0)
			mlp_buf_addc(b, MLP_FKEY_SEP);
		if (v->null)
			return mlp_err_set(err, MLP_EINVAL, "key value %zu is "
			    "null", i + 1);
		switch (v->type) {
		case MLP_FT_INT:
			mlp_buf_add(b, num, fnum_fmt_int(v->v.i, num));
			break;
		case MLP_FT_STRING:
			if (v->v.str.n && memchr(v->v.str.s, MLP_FKEY_SEP,
			    v->v.str.n))
				return mlp_err_set(err, MLP_EINVAL, "key value "
				    "%zu holds the byte 0x1f", i + 1);
			if (v->v.str.n)
				mlp_buf_add(b, v->v.str.s, v->v.str.n);
			break;
		default:
			return mlp_err_set(err, MLP_EINVAL, "key value %zu is a "
			    "%s: keys are int or string", i + 1,
			    mlp_ftype_name(v->type));
		}
	}
	return 0;
}

/* ---- writing ---- */

static size_t
round8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* off += n, 8-aligned; 0, or -1 when it would pass max. */
static int
take(uint64_t *off, uint64_t n, uint64_t *at)
{
	const uint64_t max = UINT64_C(1) << 46;

	if (n > max || *off > max)
		return -1;
	*at = *off;
	*off = round8(*off + n);
	return 0;
}

static size_t
value_size(enum mlp_ftype t)
{
	return t == MLP_FT_BOOL ? 1 : 8;
}

static void
wr32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void
wr64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

int
fseg_w_init(struct fseg_w *w, const struct fseg_spec *sp, struct mlp_err *err)
{
	uint64_t off = FSEG_HDR, at_hash = 0, at_start = 0, at_koff = 0,
	    at_heap = 0, at_ets = 0, at_cts = 0, at_desc = 0, at_names = 0,
	    names_len = 0;
	uint64_t (*at)[4];	/* values, nulls, heap, name */
	unsigned char *h;
	int bad = 0;

	memset(w, 0, sizeof(*w));
	if (sp->ncols > FSEG_MAX_COLS || sp->part_bits > FSEG_MAX_BITS ||
	    (sp->part_bits < 32 && sp->partition >> sp->part_bits) ||
	    sp->nkeys > sp->nrows || (sp->nrows && !sp->nkeys))
		return mlp_err_set(err, MLP_EINVAL, "segment of %llu rows, "
		    "%llu keys, %zu columns is out of bounds",
		    (unsigned long long)sp->nrows,
		    (unsigned long long)sp->nkeys, sp->ncols);
	at = xcalloc(sp->ncols ? sp->ncols : 1, sizeof(*at));
	bad |= take(&off, sp->nkeys * 8, &at_hash);
	bad |= take(&off, (sp->nkeys + 1) * 8, &at_start);
	bad |= take(&off, (sp->nkeys + 1) * 8, &at_koff);
	bad |= take(&off, sp->key_heap_len, &at_heap);
	bad |= take(&off, sp->nrows * 8, &at_ets);
	if (sp->has_cts)
		bad |= take(&off, sp->nrows * 8, &at_cts);
	bad |= take(&off, sp->ncols * FSEG_DESC, &at_desc);
	for (size_t j = 0; j < sp->ncols; j++)
		names_len += strlen(sp->names[j]);
	bad |= take(&off, names_len, &at_names);
	for (size_t j = 0; j < sp->ncols; j++) {
		if (sp->types[j] == MLP_FT_STRING) {
			bad |= take(&off, (sp->nrows + 1) * 8, &at[j][0]);
			bad |= take(&off, sp->heap_len[j], &at[j][2]);
		} else {
			bad |= take(&off, sp->nrows * value_size(sp->types[j]),
			    &at[j][0]);
		}
		bad |= take(&off, (sp->nrows + 63) / 64 * 8, &at[j][1]);
	}
	if (bad || off > SIZE_MAX / 2) {
		free(at);
		return mlp_err_set(err, MLP_EINVAL, "segment of %llu rows is "
		    "too large", (unsigned long long)sp->nrows);
	}
	w->size = off;
	w->buf = xcalloc(1, w->size);
	w->ncols = sp->ncols;
	w->cols = xcalloc(sp->ncols ? sp->ncols : 1, sizeof(*w->cols));
	h = w->buf;
	memcpy(h, FSEG_MAGIC, 8);
	wr32(h + 8, FSEG_VERSION);
	wr32(h + 12, sp->has_cts ? FSEG_HAS_CTS : 0);
	wr64(h + 16, w->size);
	wr64(h + 24, sp->nrows);
	wr64(h + 32, sp->nkeys);
	wr32(h + 40, (uint32_t)sp->ncols);
	wr32(h + 44, sp->part_bits);
	wr32(h + 48, sp->partition);
	wr64(h + 72, at_hash);
	wr64(h + 80, at_start);
	wr64(h + 88, at_koff);
	wr64(h + 96, at_heap);
	wr64(h + 104, sp->key_heap_len);
	wr64(h + 112, at_ets);
	wr64(h + 120, at_cts);
	wr64(h + 128, at_desc);
	wr64(h + 136, at_names);
	wr64(h + 144, names_len);
	w->key_hash = (uint64_t *)(h + at_hash);
	w->key_start = (uint64_t *)(h + at_start);
	w->key_off = (uint64_t *)(h + at_koff);
	w->key_heap = (char *)(h + at_heap);
	w->ets = (int64_t *)(h + at_ets);
	w->cts = sp->has_cts ? (int64_t *)(h + at_cts) : NULL;
	names_len = 0;
	for (size_t j = 0; j < sp->ncols; j++) {
		unsigned char *d = h + at_desc + j * FSEG_DESC;
		size_t nl = strlen(sp->names[j]);

		memcpy(h + at_names + names_len, sp->names[j], nl);
		wr32(d, (uint32_t)sp->types[j]);
		wr32(d + 4, (uint32_t)nl);
		wr64(d + 8, names_len);
		wr64(d + 16, at[j][0]);
		wr64(d + 24, at[j][1]);
		if (sp->types[j] == MLP_FT_STRING) {
			wr64(d + 32, at[j][2]);
			wr64(d + 40, sp->heap_len[j]);
			w->cols[j].str_off = (uint64_t *)(h + at[j][0]);
			w->cols[j].heap = (char *)(h + at[j][2]);
		} else {
			w->cols[j].values = h + at[j][0];
		}
		w->cols[j].nulls = (uint64_t *)(h + at[j][1]);
		names_len += nl;
	}
	free(at);
	return 0;
}

static uint64_t
rdh64(const unsigned char *h, size_t at)
{
	return rd64(h + at);
}

static uint32_t
rdh32(const unsigned char *h, size_t at)
{
	uint32_t v;

	memcpy(&v, h + at, 4);
	return le32toh(v);
}

void
fseg_w_finish(struct fseg_w *w)
{
	unsigned char *h = w->buf;
	uint64_t nrows = rdh64(h, 24), desc = rdh64(h, 128);
	int64_t lo = 0, hi = 0;

	for (uint64_t i = 0; i < nrows; i++) {
		if (i == 0 || w->ets[i] < lo)
			lo = w->ets[i];
		if (i == 0 || w->ets[i] > hi)
			hi = w->ets[i];
	}
	wr64(h + 56, (uint64_t)lo);
	wr64(h + 64, (uint64_t)hi);
	for (size_t j = 0; j < w->ncols; j++) {
		uint32_t flags = 0;

		for (uint64_t k = 0; k < (nrows + 63) / 64; k++)
			if (w->cols[j].nulls[k]) {
				flags = FSEG_COL_NULLS;
				break;
			}
		wr32(h + desc + j * FSEG_DESC + 48, flags);
	}
}

void
fseg_w_release(struct fseg_w *w)
{
	free(w->buf);
	free(w->cols);
	memset(w, 0, sizeof(*w));
}

/* ---- reading ---- */

/* An array of n elements of size sz at offset off must lie in the file. */
static int
span(const struct fseg *s, uint64_t off, uint64_t n, uint64_t sz)
{
	if (off < FSEG_HDR || off % 8 || off > s->size)
		return -1;
	if (n > (s->size - off) / (sz ? sz : 1))
		return -1;
	return 0;
}

static int
bad(struct mlp_err *err, const struct fseg *s, const char *what)
{
	return mlp_err_set(err, MLP_ECORRUPT, "%s is damaged: %s", s->name,
	    what);
}

static int
check_keys(const struct fseg *s, struct mlp_err *err)
{
	if (s->key_start[0] != 0 || s->key_start[s->nkeys] != s->nrows)
		return bad(err, s, "key rows do not cover the rows");
	if (s->key_off[0] != 0)
		return bad(err, s, "key offsets");
	for (uint64_t k = 0; k < s->nkeys; k++) {
		uint64_t a = s->key_start[k], b = s->key_start[k + 1];
		uint64_t ko = s->key_off[k], ke = s->key_off[k + 1];
		const char *key = s->key_heap + ko;
		size_t kl;

		if (b <= a || b > s->nrows)
			return bad(err, s, "key rows out of order");
		/* the key heap's length was checked against the file */
		if (ke < ko || ke > s->key_off[s->nkeys])
			return bad(err, s, "key offsets out of order");
		kl = (size_t)(ke - ko);
		if (mlp_fkey_hash(key, kl) != s->key_hash[k])
			return bad(err, s, "a key does not match its hash");
		if (mlp_fkey_partition(s->key_hash[k], s->part_bits) !=
		    s->partition)
			return bad(err, s, "a key outside its partition");
		if (k > 0) {
			uint64_t pk = s->key_off[k - 1];
			size_t pl = (size_t)(ko - pk), m = pl < kl ? pl : kl;
			int c = s->key_hash[k - 1] < s->key_hash[k] ? -1 :
			    s->key_hash[k - 1] > s->key_hash[k] ? 1 : 0;

			if (c == 0 && (c = memcmp(s->key_heap + pk, key, m)) == 0)
				c = pl < kl ? -1 : pl > kl ? 1 : 0;
			if (c >= 0)
				return bad(err, s, "keys out of order");
		}
		for (uint64_t i = a + 1; i < b; i++)
			if (s->ets[i] < s->ets[i - 1] || (s->cts &&
			    s->ets[i] == s->ets[i - 1] &&
			    s->cts[i] < s->cts[i - 1]))
				return bad(err, s, "rows out of time order");
	}
	return 0;
}

static int
check_cols(struct fseg *s, uint64_t desc, uint64_t names, uint64_t names_len,
    struct mlp_err *err)
{
	const unsigned char *h = s->base;

	if (span(s, desc, s->ncols, FSEG_DESC) < 0 || (names_len &&
	    span(s, names, names_len, 1) < 0))
		return bad(err, s, "column table outside the file");
	s->cols = xcalloc(s->ncols ? s->ncols : 1, sizeof(*s->cols));
	for (uint32_t j = 0; j < s->ncols; j++) {
		const unsigned char *d = h + desc + (uint64_t)j * FSEG_DESC;
		struct fseg_col *c = &s->cols[j];
		uint32_t type = rdh32(d, 0), nl = rdh32(d, 4);
		uint64_t no = rdh64(d, 8), vo = rdh64(d, 16), bo = rdh64(d, 24);

		if (type > MLP_FT_BOOL)
			return bad(err, s, "unknown column type");
		if (no > names_len || nl > names_len - no || nl == 0)
			return bad(err, s, "column name outside the file");
		c->type = (enum mlp_ftype)type;
		c->name = (const char *)h + names + no;
		c->name_len = nl;
		c->has_nulls = rdh32(d, 48) & FSEG_COL_NULLS;
		if (span(s, bo, (s->nrows + 63) / 64, 8) < 0)
			return bad(err, s, "null bitmap outside the file");
		c->nulls = (const uint64_t *)(h + bo);
		if (c->type == MLP_FT_STRING) {
			const uint64_t *so;

			c->heap_len = rdh64(d, 40);
			if (span(s, vo, s->nrows + 1, 8) < 0 ||
			    (c->heap_len && span(s, rdh64(d, 32), c->heap_len,
			    1) < 0))
				return bad(err, s, "string column outside the "
				    "file");
			c->heap = (const char *)h + rdh64(d, 32);
			so = (const uint64_t *)(h + vo);
			if (so[0] != 0 || so[s->nrows] > c->heap_len)
				return bad(err, s, "string offsets");
			for (uint64_t i = 0; i < s->nrows; i++)
				if (so[i + 1] < so[i])
					return bad(err, s, "string offsets out "
					    "of order");
		} else if (span(s, vo, s->nrows, value_size(c->type)) < 0) {
			return bad(err, s, "column outside the file");
		}
		c->values = h + vo;
	}
	return 0;
}

int
fseg_open_mem(struct fseg *s, const void *buf, size_t n, const char *name,
    struct mlp_err *err)
{
	const unsigned char *h = buf;
	uint64_t a_hash, a_start, a_koff, a_heap, heap_len, a_ets, a_cts;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->base = h;
	s->size = n;
	if (n < FSEG_HDR || memcmp(h, FSEG_MAGIC, 8) != 0)
		return bad(err, s, "not a feature segment");
	if (rdh32(h, 8) != FSEG_VERSION)
		return mlp_err_set(err, MLP_ECORRUPT, "%s has format version "
		    "%u, not %d", s->name, rdh32(h, 8), FSEG_VERSION);
	if (rdh64(h, 16) != n)
		return bad(err, s, "its size is not the size it records");
	s->flags = rdh32(h, 12);
	s->nrows = rdh64(h, 24);
	s->nkeys = rdh64(h, 32);
	s->ncols = rdh32(h, 40);
	s->part_bits = rdh32(h, 44);
	s->partition = rdh32(h, 48);
	s->min_ets = (int64_t)rdh64(h, 56);
	s->max_ets = (int64_t)rdh64(h, 64);
	a_hash = rdh64(h, 72);
	a_start = rdh64(h, 80);
	a_koff = rdh64(h, 88);
	a_heap = rdh64(h, 96);
	heap_len = rdh64(h, 104);
	a_ets = rdh64(h, 112);
	a_cts = rdh64(h, 120);
	if (s->ncols > FSEG_MAX_COLS || s->part_bits > FSEG_MAX_BITS ||
	    (s->partition >> s->part_bits) != 0 || s->nkeys > s->nrows ||
	    (s->nrows && !s->nkeys))
		return bad(err, s, "header out of bounds");
	if (span(s, a_hash, s->nkeys, 8) < 0 ||
	    span(s, a_start, s->nkeys + 1, 8) < 0 ||
	    span(s, a_koff, s->nkeys + 1, 8) < 0 ||
	    (heap_len && span(s, a_heap, heap_len, 1) < 0) ||
	    span(s, a_ets, s->nrows, 8) < 0 ||
	    ((s->flags & FSEG_HAS_CTS) && span(s, a_cts, s->nrows, 8) < 0))
		return bad(err, s, "an array outside the file");
	s->key_hash = (const uint64_t *)(h + a_hash);
	s->key_start = (const uint64_t *)(h + a_start);
	s->key_off = (const uint64_t *)(h + a_koff);
	s->key_heap = (const char *)h + a_heap;
	s->ets = (const int64_t *)(h + a_ets);
	s->cts = (s->flags & FSEG_HAS_CTS) ? (const int64_t *)(h + a_cts) :
	    NULL;
	if (s->key_off[s->nkeys] > heap_len)
		return bad(err, s, "key heap");
	if ((rc = check_keys(s, err)) < 0 ||
	    (rc = check_cols(s, rdh64(h, 128), rdh64(h, 136), rdh64(h, 144),
	    err)) < 0) {
		free(s->cols);
		s->cols = NULL;
		return rc;
	}
	return 0;
}

int
fseg_open(struct fseg *s, struct mlp_store *st, const struct mlp_oid *oid,
    struct mlp_err *err)
{
	char hex[MLP_OID_HEXSZ + 1], name[80];
	uint64_t size;
	void *map;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	mlp_oid_fmt(oid, hex);
	snprintf(name, sizeof(name), "segment %.12s", hex);
	if ((rc = mlp_store_open_object(st, oid, &fd, &size, err)) < 0)
		return rc;
	if (size < FSEG_HDR || size > SIZE_MAX / 2) {
		close(fd);
		return mlp_err_set(err, MLP_ECORRUPT, "%s is damaged: not a "
		    "feature segment", name);
	}
	map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
	    fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return mlp_err_set(err, MLP_EFAIL, "cannot map %s: %s", name,
		    strerror(errno));
	if ((rc = fseg_open_mem(s, map, (size_t)size, name, err)) < 0) {
		munmap(map, (size_t)size);
		return rc;
	}
	s->map = map;
	return 0;
}

void
fseg_close(struct fseg *s)
{
	if (s->map)
		munmap(s->map, s->size);
	free(s->cols);
	memset(s, 0, sizeof(*s));
}

int
fseg_col_find(const struct fseg *s, const char *name)
{
	size_t n = strlen(name);

	for (uint32_t j = 0; j < s->ncols; j++)
		if (s->cols[j].name_len == n &&
		    memcmp(s->cols[j].name, name, n) == 0)
			return (int)j;
	return -1;
}

/* (hash, key) of key index k against (hash, key): <0, 0, >0. */
static int
key_cmp(const struct fseg *s, uint64_t k, uint64_t hash, const char *key,
    size_t klen)
{
	const char *kk;
	size_t kl, m;
	int c;

	if (s->key_hash[k] != hash)
		return s->key_hash[k] < hash ? -1 : 1;
	kk = s->key_heap + s->key_off[k];
	kl = (size_t)(s->key_off[k + 1] - s->key_off[k]);
	m = kl < klen ? kl : klen;
	if ((c = memcmp(kk, key, m)) != 0)
		return c;
	return kl < klen ? -1 : kl > klen ? 1 : 0;
}

int
fseg_key_is(const struct fseg *s, uint64_t k, uint64_t hash, const char *key,
    size_t klen)
{
	return k < s->nkeys && key_cmp(s, k, hash, key, klen) == 0;
}

uint64_t
fseg_seek_key(const struct fseg *s, uint64_t from, uint64_t hash,
    const char *key, size_t klen)
{
	uint64_t lo = from, hi, step = 1;

	if (lo >= s->nkeys || key_cmp(s, lo, hash, key, klen) >= 0)
		return lo;
	/* gallop: key_cmp(lo) < 0 holds */
	for (;;) {
		hi = lo + step;
		if (hi >= s->nkeys) {
			hi = s->nkeys;
			break;
		}
		if (key_cmp(s, hi, hash, key, klen) >= 0)
			break;
		lo = hi;
		step *= 2;
	}
	/* key_cmp(lo) < 0, key_cmp(hi) >= 0 or hi = nkeys */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (key_cmp(s, mid, hash, key, klen) < 0)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}
