/* A view's batches as dataset, materialize and compaction read them, and
 * the two merges over their segments: of keys, and of one key's rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "internal.h"

void
fbatches_release(struct fbatches *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		free(bs->b[i].segs);
	free(bs->b);
	memset(bs, 0, sizeof(*bs));
}

/* The segments of batch b, by partition. */
static int
load_segs(struct mlp_db *db, sqlite3_stmt *s, struct fbatch *b,
    struct mlp_err *err)
{
	int rc;

	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, b->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct fbatch_seg *g;

		b->segs = xrealloc(b->segs, (b->nsegs + 1) * sizeof(*b->segs));
		g = &b->segs[b->nsegs++];
		g->part = (uint32_t)sqlite3_column_int64(s, 0);
		g->rows = (uint64_t)sqlite3_column_int64(s, 2);
		if (mlp_oid_parse(mlp_db_text(s, 1), &g->oid, err) < 0) {
			mlp_err_prefix(err, "feature batch %lld",
			    (long long)b->id);
			err->code = MLP_ECORRUPT;
			return MLP_ECORRUPT;
		}
		if (g->part >> b->bits || (b->nsegs > 1 &&
		    g[-1].part >= g->part))
			return mlp_err_set(err, MLP_ECORRUPT, "feature batch "
			    "%lld has a segment of partition %u of %u",
			    (long long)b->id, g->part, 1u << b->bits);
	}
	return rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read feature segments");
}

int
fbatches_load(struct mlp_db *db, const char *view, struct fbatches *out,
    struct mlp_err *err)
{
	sqlite3_stmt *q = NULL, *s = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mlp_db_prepare(db, &q, "SELECT max(view_version) FROM "
	    "feature_ingest WHERE view = ?", err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, view, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL)
		out->version = sqlite3_column_int64(q, 0);
	else if (rc != SQLITE_ROW) {
		rc = mlp_db_error(db, err, "cannot read feature batches");
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	rc = 0;
	if (out->version == 0)
		goto out;
	if ((rc = mlp_db_prepare(db, &q, "SELECT id, bits, rows, digest, "
	    "coalesce(seq, id), min_event_ts, max_event_ts FROM feature_ingest "
	    "WHERE view = ? AND view_version = ? AND replaced_by IS NULL "
	    "ORDER BY coalesce(seq, id)", err)) < 0 ||
	    (rc = mlp_db_prepare(db, &s, "SELECT partition, oid, rows FROM "
	    "feature_segment WHERE ingest = ? ORDER BY partition", err)) < 0)
		goto out;
	sqlite3_bind_text(q, 1, view, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, out->version);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct fbatch *b;
		int bits = sqlite3_column_int(q, 1);

		out->b = xrealloc(out->b, (out->n + 1) * sizeof(*out->b));
		b = &out->b[out->n++];
		memset(b, 0, sizeof(*b));
		b->id = sqlite3_column_int64(q, 0);
		b->rows = (uint64_t)sqlite3_column_int64(q, 2);
		snprintf(b->digest, sizeof(b->digest), "%s", mlp_db_text(q, 3));
		b->seq = sqlite3_column_int64(q, 4);
		b->min_ts = sqlite3_column_int64(q, 5);
		b->max_ts = sqlite3_column_int64(q, 6);
		if (bits < 0 || bits > FSEG_MAX_BITS) {
			rc = mlp_err_set(err, MLP_ECORRUPT, "feature batch "
			    "%lld has %d partition bits", (long long)b->id, bits);
			goto out;
		}
		b->bits = (unsigned)bits;
		if (b->bits > out->bits)
			out->bits = b->bits;
		if ((rc = load_segs(db, s, b, err)) < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read feature batches");
out:
	sqlite3_finalize(q);
	sqlite3_finalize(s);
	if (rc < 0)
		fbatches_release(out);
	return rc;
}

long
fbatch_seg_of(const struct fbatch *b, unsigned bits, uint32_t part)
{
	uint32_t bp = part >> (bits - b->bits);
	size_t lo = 0, hi = b->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (b->segs[mid].part < bp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->nsegs && b->segs[lo].part == bp ? (long)lo : -1;
}

int
fbatch_open(const struct fbatch *b, long i, struct mlp_store *st,
    struct fseg *s, struct mlp_err *err)
{
	const struct fbatch_seg *g = &b->segs[i];
	int rc;

	if ((rc = fseg_open(s, st, &g->oid, err)) < 0)
		return rc;
	if (s->part_bits != b->bits || s->partition != g->part) {
		rc = mlp_err_set(err, MLP_ECORRUPT, "feature batch %lld: a "
		    "segment of partition %u/%u holds partition %u/%u",
		    (long long)b->id, g->part, 1u << b->bits, s->partition,
		    1u << s->part_bits);
		fseg_close(s);
	}
	return rc;
}

void
fseg_part_keys(const struct fseg *s, unsigned bits, uint32_t part,
    uint64_t *k, uint64_t *kend)
{
	uint64_t lo = 0, hi = s->nkeys;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (mlp_fkey_partition(s->key_hash[mid], bits) < part)
			lo = mid + 1;
		else
			hi = mid;
	}
	*k = lo;
	hi = s->nkeys;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (mlp_fkey_partition(s->key_hash[mid], bits) <= part)
			lo = mid + 1;
		else
			hi = mid;
	}
	*kend = lo;
}

void
mlp_fbatch_infos_free(struct mlp_fbatch_info *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(b[i].origin);
		free(b[i].user);
	}
	free(b);
}

int
mlp_fbatch_list(struct mlp_db *db, const char *view,
    struct mlp_fbatch_info **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *q = NULL;
	struct mlp_fbatch_info *v = NULL;
	size_t nv = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &q, "SELECT i.id, i.view_version, i.path, "
	    "i.user, i.rows, i.bits, i.min_event_ts, i.max_event_ts, "
	    "i.created, (SELECT count(*) FROM feature_segment s WHERE "
	    "s.ingest = i.id), (SELECT coalesce(sum(s.size), 0) FROM "
	    "feature_segment s WHERE s.ingest = i.id), (SELECT count(*) FROM "
	    "feature_ingest r WHERE r.replaced_by = i.id AND r.path <> "
	    "'compact:' || r.view) FROM feature_ingest "
	    "i WHERE i.view = ?1 AND i.view_version = (SELECT "
	    "max(view_version) FROM feature_ingest WHERE view = ?1) AND "
	    "i.replaced_by IS NULL ORDER BY coalesce(i.seq, i.id)", err)) < 0)
		return rc;
	sqlite3_bind_text(q, 1, view, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct mlp_fbatch_info *b;

		v = xrealloc(v, (nv + 1) * sizeof(*v));
		b = &v[nv++];
		memset(b, 0, sizeof(*b));
		b->id = sqlite3_column_int64(q, 0);
		b->version = sqlite3_column_int64(q, 1);
		b->origin = xstrdup(mlp_db_text(q, 2));
		b->user = xstrdup(mlp_db_text(q, 3));
		b->rows = (uint64_t)sqlite3_column_int64(q, 4);
		b->partitions = 1u << (sqlite3_column_int(q, 5) & 31);
		b->min_ts = sqlite3_column_int64(q, 6);
		b->max_ts = sqlite3_column_int64(q, 7);
		b->created = sqlite3_column_int64(q, 8);
		b->segments = (size_t)sqlite3_column_int64(q, 9);
		b->bytes = (uint64_t)sqlite3_column_int64(q, 10);
		b->replaces = (size_t)sqlite3_column_int64(q, 11);
	}
	if (rc != SQLITE_DONE) {
		rc = mlp_db_error(db, err, "cannot read feature batches");
		sqlite3_finalize(q);
		mlp_fbatch_infos_free(v, nv);
		return rc;
	}
	sqlite3_finalize(q);
	*out = v;
	*n = nv;
	return 0;
}

/* ---- the merge of keys ---- */

/* The key of source a against b's: <0, 0, >0. */
static int
keys_cmp(const struct fkeys_src *a, const struct fkeys_src *b)
{
	const struct fseg *x = a->seg, *y = b->seg;
	uint64_t hx = x->key_hash[a->k], hy = y->key_hash[b->k];
	size_t nx, ny;
	int c;

	if (hx != hy)
		return hx < hy ? -1 : 1;
	nx = (size_t)(x->key_off[a->k + 1] - x->key_off[a->k]);
	ny = (size_t)(y->key_off[b->k + 1] - y->key_off[b->k]);
	if ((c = memcmp(x->key_heap + x->key_off[a->k], y->key_heap +
	    y->key_off[b->k], nx < ny ? nx : ny)) != 0)
		return c;
	return nx < ny ? -1 : nx > ny;
}

/* The key of a against b's, then their sources. */
static int
src_cmp(const struct fkeys_src *a, const struct fkeys_src *b)
{
	int c = keys_cmp(a, b);

	if (c != 0)
		return c;
	return a->src < b->src ? -1 : a->src > b->src;
}

static void
kheap_down(struct fkeys *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, j = i;
		struct fkeys_src t;

		if (l < m->n && src_cmp(&m->s[l], &m->s[j]) < 0)
			j = l;
		if (r < m->n && src_cmp(&m->s[r], &m->s[j]) < 0)
			j = r;
		if (j == i)
			return;
		t = m->s[i];
		m->s[i] = m->s[j];
		m->s[j] = t;
		i = j;
	}
}

static void
kheap_up(struct fkeys *m, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct fkeys_src t;

		if (src_cmp(&m->s[i], &m->s[p]) >= 0)
			return;
		t = m->s[i];
		m->s[i] = m->s[p];
		m->s[p] = t;
		i = p;
	}
}

static void
kheap_pop(struct fkeys *m)
{
	m->s[0] = m->s[--m->n];
	kheap_down(m, 0);
}

void
fkeys_reset(struct fkeys *m)
{
	m->n = 0;
	m->ready = 0;
}

void
fkeys_release(struct fkeys *m)
{
	free(m->s);
	free(m->hold);
	free(m->idx);
	memset(m, 0, sizeof(*m));
}

void
fkeys_add(struct fkeys *m, const struct fseg *seg, uint64_t k, uint64_t kend,
    size_t src)
{
	if (k >= kend)
		return;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->s = xrealloc(m->s, m->cap * sizeof(*m->s));
		m->hold = xrealloc(m->hold, m->cap * sizeof(*m->hold));
		m->idx = xrealloc(m->idx, m->cap * sizeof(*m->idx));
	}
	m->s[m->n].seg = seg;
	m->s[m->n].k = k;
	m->s[m->n].kend = kend;
	m->s[m->n].src = src;
	m->n++;
	m->ready = 0;
}

/* Before the first key: up to FKEYS_SCAN sources are scanned in src
 * order, more are made a heap. */
static void
prepare(struct fkeys *m)
{
	m->heap = m->n > FKEYS_SCAN;
	if (m->heap) {
		for (size_t i = m->n / 2; i-- > 0;)
			kheap_down(m, i);
	} else {
		for (size_t i = 1; i < m->n; i++) {
			struct fkeys_src x = m->s[i];
			size_t j = i;

			for (; j > 0 && m->s[j - 1].src > x.src; j--)
				m->s[j] = m->s[j - 1];
			m->s[j] = x;
		}
	}
	m->ready = 1;
}

static void
set_run(struct frun *r, const struct fkeys_src *x)
{
	const struct fseg *s = x->seg;

	r->seg = s;
	r->k = x->k;
	r->a = s->key_start[x->k];
	r->n = s->key_start[x->k + 1] - r->a;
	r->src = x->src;
}

/* 1 when sources a and b are at equal keys. */
static int
same_key(const struct fkeys_src *a, const struct fkeys_src *b)
{
	const struct fseg *y = b->seg;

	return fseg_key_is(a->seg, a->k, y->key_hash[b->k], y->key_heap +
	    y->key_off[b->k], (size_t)(y->key_off[b->k + 1] -
	    y->key_off[b->k]));
}

/* Pops the sources at the least key into m->hold and runs, in source
 * order (the heap's order among equal keys); returns how many. */
static size_t
take_least(struct fkeys *m, struct frun *runs)
{
	size_t n = 0;

	while (m->n > 0 && (n == 0 || same_key(&m->s[0], &m->hold[0]))) {
		set_run(&runs[n], &m->s[0]);
		m->hold[n++] = m->s[0];
		kheap_pop(m);
	}
	return n;
}

/* Drops scanned source i, keeping the others in src order. */
static void
scan_drop(struct fkeys *m, size_t i)
{
	memmove(&m->s[i], &m->s[i + 1], (m->n - i - 1) * sizeof(*m->s));
	m->n--;
}

size_t
fkeys_next(struct fkeys *m, struct frun *runs)
{
	size_t n = 0;

	if (!m->ready)
		prepare(m);
	if (!m->heap) {
		size_t least = 0;

		/* the sources at the least key, in src order */
		for (size_t i = 0; i < m->n; i++) {
			if (n > 0) {
				int c = keys_cmp(&m->s[i], &m->s[least]);

				if (c > 0)
					continue;
				if (c < 0)
					n = 0;
			}
			if (n == 0)
				least = i;
			m->idx[n++] = i;
		}
		for (size_t j = 0; j < n; j++)
			set_run(&runs[j], &m->s[m->idx[j]]);
		for (size_t j = n; j-- > 0;)
			if (++m->s[m->idx[j]].k >= m->s[m->idx[j]].kend)
				scan_drop(m, m->idx[j]);
		return n;
	}
	n = take_least(m, runs);
	for (size_t i = 0; i < n; i++) {
		struct fkeys_src *h = &m->hold[i];

		if (++h->k < h->kend) {
			m->s[m->n] = *h;
			kheap_up(m, m->n++);
		}
	}
	return n;
}

size_t
fkeys_seek(struct fkeys *m, uint64_t hash, const char *key, size_t klen,
    struct frun *runs)
{
	size_t n = 0;

	if (!m->ready)
		prepare(m);
	if (!m->heap) {
		for (size_t i = 0; i < m->n;) {
			struct fkeys_src *x = &m->s[i];

			x->k = fseg_seek_key(x->seg, x->k, hash, key, klen);
			if (x->k >= x->kend) {
				scan_drop(m, i);
				continue;
			}
			if (fseg_key_is(x->seg, x->k, hash, key, klen))
				set_run(&runs[n++], x);
			i++;
		}
		return n;
	}
	/* sources before the key move up to it (or past it) */
	while (m->n > 0) {
		struct fkeys_src *x = &m->s[0];
		uint64_t k = fseg_seek_key(x->seg, x->k, hash, key, klen);

		if (k == x->k)
			break;
		if (k >= x->kend) {
			kheap_pop(m);
			continue;
		}
		x->k = k;
		kheap_down(m, 0);
	}
	if (m->n == 0 || !fseg_key_is(m->s[0].seg, m->s[0].k, hash, key, klen))
		return 0;
	n = take_least(m, runs);
	/* they stay at the key: the next seek moves them on */
	for (size_t i = 0; i < n; i++) {
		m->s[m->n] = m->hold[i];
		kheap_up(m, m->n++);
	}
	return n;
}

/* ---- the merge of one key's rows ---- */

static int
row_before(const struct frows_run *a, const struct frows_run *b)
{
	int64_t ea = a->seg->ets[a->pos], eb = b->seg->ets[b->pos];
	int64_t ca, cb;

	if (ea != eb)
		return ea < eb;
	ca = a->seg->cts ? a->seg->cts[a->pos] : MLP_TS_NONE;
	cb = b->seg->cts ? b->seg->cts[b->pos] : MLP_TS_NONE;
	if (ca != cb)
		return ca < cb;
	return a->src < b->src;
}

static void
rheap_down(struct frows *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, j = i;
		struct frows_run t;

		if (l < m->n && row_before(&m->r[l], &m->r[j]))
			j = l;
		if (r < m->n && row_before(&m->r[r], &m->r[j]))
			j = r;
		if (j == i)
			return;
		t = m->r[i];
		m->r[i] = m->r[j];
		m->r[j] = t;
		i = j;
	}
}

void
frows_reset(struct frows *m)
{
	m->n = 0;
}

void
frows_release(struct frows *m)
{
	free(m->r);
	memset(m, 0, sizeof(*m));
}

void
frows_add(struct frows *m, const struct fseg *seg, uint64_t pos, uint64_t end,
    size_t src, size_t run)
{
	size_t i;

	if (pos >= end)
		return;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->r = xrealloc(m->r, m->cap * sizeof(*m->r));
	}
	i = m->n++;
	m->r[i].seg = seg;
	m->r[i].pos = pos;
	m->r[i].end = end;
	m->r[i].src = src;
	m->r[i].run = run;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct frows_run t;

		if (!row_before(&m->r[i], &m->r[p]))
			break;
		t = m->r[i];
		m->r[i] = m->r[p];
		m->r[p] = t;
		i = p;
	}
}

int
frows_next(struct frows *m, size_t *run, uint64_t *row)
{
	struct frows_run *x;

	if (m->n == 0)
		return 0;
	x = &m->r[0];
	*run = x->run;
	*row = x->pos++;
	if (x->pos == x->end)
		m->r[0] = m->r[--m->n];
	if (m->n > 1)
		rheap_down(m, 0);
	return 1;
}
