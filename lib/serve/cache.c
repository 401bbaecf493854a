/* The model cache: versions load on first use within a memory budget, the
 * least recently used unpinned ones are evicted, and concurrent first
 * requests for one version load it once. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/registry.h"
#include "internal.h"

struct sv_cache {
	pthread_mutex_t lock;
	pthread_cond_t loaded_cond;	/* a load finished */
	pthread_mutex_t store_lock;	/* the store is not thread-safe */
	struct mlp_store *st;
	size_t budget, bytes;
	uint64_t clock, nloaded, loads, evictions;
	struct sv_version *versions;
};

struct sv_cache *
sv_cache_new(struct mlp_store *st, size_t budget)
{
	struct sv_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->store_lock, NULL);
	pthread_cond_init(&c->loaded_cond, NULL);
	c->st = st;
	c->budget = budget;
	return c;
}

static void
loaded_free(struct sv_loaded *l)
{
	mlp_model_free(l->m);
	free(l);
}

void
sv_release(struct sv_loaded *l)
{
	if (l && atomic_fetch_sub(&l->refs, 1) == 1)
		loaded_free(l);
}

void
sv_cache_free(struct sv_cache *c)
{
	struct sv_version *v, *next;

	if (!c)
		return;
	for (v = c->versions; v; v = next) {
		next = v->next;
		sv_release(v->loaded);
		free(v->key);
		free(v->model);
		free(v->label);
		free(v->path);
		free(v->error);
		free(v);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->store_lock);
	pthread_cond_destroy(&c->loaded_cond);
	free(c);
}

struct sv_version *
sv_cache_version(struct sv_cache *c, const char *key, const char *model,
    int64_t number, const char *path, const char *oid, int is_tree)
{
	struct sv_version *v;

	pthread_mutex_lock(&c->lock);
	for (v = c->versions; v; v = v->next)
		if (strcmp(v->key, key) == 0)
			goto out;
	v = xcalloc(1, sizeof(*v));
	v->key = xstrdup(key);
	v->model = xstrdup(model);
	v->number = number;
	v->label = xasprintf("%lld", (long long)number);
	v->path = path ? xstrdup(path) : NULL;
	if (oid)
		snprintf(v->oid, sizeof(v->oid), "%s", oid);
	v->is_tree = is_tree;
	v->next = c->versions;
	c->versions = v;
out:
	pthread_mutex_unlock(&c->lock);
	return v;
}

/* Drops resident models, least recently used first, until the budget
 * holds or only pinned ones and keep are left. Called locked. */
static void
evict(struct sv_cache *c, const struct sv_version *keep)
{
	while (c->budget && c->bytes > c->budget) {
		struct sv_version *v, *lru = NULL;

		for (v = c->versions; v; v = v->next)
			if (v->state == SV_READY && !v->pinned && v != keep &&
			    (!lru || v->last_used < lru->last_used))
				lru = v;
		if (!lru)
			return;
		c->bytes -= lru->loaded->bytes;
		c->nloaded--;
		c->evictions++;
		sv_release(lru->loaded);
		lru->loaded = NULL;
		lru->state = SV_UNLOADED;
	}
}

/* Loads v's model outside the cache's lock. */
static int
load(struct sv_cache *c, struct sv_version *v, struct mlp_model **out,
    struct mlp_err *err)
{
	int rc;

	if (v->path)
		return mlp_model_load(v->path, out, err);
	if (!c->st)
		return mlp_err_set(err, MLP_ENOREPO, "'%s' needs a repository",
		    v->key);
	pthread_mutex_lock(&c->store_lock);
	rc = mlp_registry_load_object(c->st, v->oid, v->is_tree, out, err);
	pthread_mutex_unlock(&c->store_lock);
	if (rc < 0)
		mlp_err_prefix(err, "models:/%s", v->key);
	return rc;
}

int
sv_acquire(struct sv_cache *c, struct sv_version *v, struct sv_loaded **out,
    struct mlp_err *err)
{
	struct mlp_model *m = NULL;
	struct sv_loaded *l;
	int rc;

	pthread_mutex_lock(&c->lock);
	while (v->state == SV_LOADING)
		pthread_cond_wait(&c->loaded_cond, &c->lock);
	if (v->state == SV_READY) {
		v->last_used = ++c->clock;
		l = v->loaded;
		atomic_fetch_add(&l->refs, 1);
		pthread_mutex_unlock(&c->lock);
		*out = l;
		return 0;
	}
	/* UNLOADED or FAILED: this caller loads (a failed load is tried
	 * again by the next request: the cause may have been passing) */
	v->state = SV_LOADING;
	pthread_mutex_unlock(&c->lock);

	rc = load(c, v, &m, err);
	/* the batch tables now, not in the first request (they are counted
	 * in l->bytes either way) */
	if (rc == 0)
		mlp_model_prepare(m);
	/* parsing took many times the model's size; give it back, so that
	 * a server's memory is what its models take */
	malloc_trim(0);

	pthread_mutex_lock(&c->lock);
	free(v->error);
	v->error = NULL;
	if (rc < 0) {
		v->state = SV_FAILED;
		v->error = xstrdup(err->msg);
		*out = NULL;
	} else {
		l = xcalloc(1, sizeof(*l));
		l->m = m;
		l->bytes = mlp_model_bytes(m);
		atomic_init(&l->refs, 2);	/* the cache's and ours */
		v->loaded = l;
		v->state = SV_READY;
		v->last_used = ++c->clock;
		c->bytes += l->bytes;
		c->nloaded++;
		c->loads++;
		evict(c, v);
		*out = l;
	}
	pthread_cond_broadcast(&c->loaded_cond);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int
sv_pin(struct sv_cache *c, struct sv_version *v, struct mlp_err *err)
{
	struct sv_loaded *l;
	int rc;

	pthread_mutex_lock(&c->lock);
	v->pinned = 1;
	pthread_mutex_unlock(&c->lock);
	if ((rc = sv_acquire(c, v, &l, err)) == 0)
		sv_release(l);
	return rc;
}

int
sv_cache_unload(struct sv_cache *c, struct sv_version *v)
{
	int was;

	pthread_mutex_lock(&c->lock);
	while (v->state == SV_LOADING)
		pthread_cond_wait(&c->loaded_cond, &c->lock);
	v->pinned = 0;
	was = v->state == SV_READY;
	if (was) {
		c->bytes -= v->loaded->bytes;
		c->nloaded--;
		sv_release(v->loaded);
		v->loaded = NULL;
		v->state = SV_UNLOADED;
	}
	pthread_mutex_unlock(&c->lock);
	return was;
}

enum sv_state
sv_cache_state(struct sv_cache *c, const struct sv_version *v, char *why,
    size_t n)
{
	enum sv_state state;

	pthread_mutex_lock(&c->lock);
	state = v->state;
	if (why && n)
		snprintf(why, n, "%s", state == SV_FAILED && v->error ?
		    v->error : "");
	pthread_mutex_unlock(&c->lock);
	return state;
}

void
sv_cache_stats(struct sv_cache *c, uint64_t *loaded, uint64_t *bytes,
    uint64_t *loads, uint64_t *evictions)
{
	pthread_mutex_lock(&c->lock);
	*loaded = c->nloaded;
	*bytes = c->bytes;
	*loads = c->loads;
	*evictions = c->evictions;
	pthread_mutex_unlock(&c->lock);
}

int
sv_cache_resident(struct sv_cache *c, const struct sv_version *v)
{
	int r;

	pthread_mutex_lock(&c->lock);
	r = v->state == SV_READY;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void
sv_table_release(struct sv_table *t)
{
	if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->routes[i].name);
		free(t->routes[i].model);
	}
	free(t->routes);
	free(t);
}

const struct sv_route *
sv_table_find(const struct sv_table *t, const char *name, size_t n)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *s = t->routes[mid].name;
		int cmp = strncmp(s, name, n);

		if (cmp == 0 && s[n])
			cmp = 1;
		if (cmp == 0)
			return &t->routes[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
