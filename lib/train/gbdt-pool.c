/* A small persistent thread pool for the gbdt learner: every job runs one
 * function on all threads at once (the caller is thread 0) and returns when
 * all are done, so a training run starts its threads once, not per node.
 * Most jobs are lists of items that threads take one at a time, so that a
 * thread the kernel leaves waiting (the cores are shared) holds up one item,
 * not a fixed share of the work.
 * Jobs follow each other closely (dozens per tree), so a thread spins a
 * little before it sleeps, waiting for the next job or for the others. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "gbdt-internal.h"

/* About 20-50 microseconds of polling. */
#define SPIN 2000

struct gb_pool {
	int n;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t start, done;
	atomic_ulong gen;	/* bumped for every job */
	atomic_int pending;	/* workers still running the current job */
	int sleepers;		/* workers waiting on start (under mu) */
	int waiting;		/* the caller waits on done (under mu) */
	int stop;
	gb_task_fn *fn;
	void *arg;
	/* gb_pool_barrier */
	atomic_int bcount;
	atomic_ulong bgen;
	int bsleepers;
	pthread_cond_t bcv;
};

struct worker {
	struct gb_pool *pool;
	int tid;
};

static void
relax(void)
{
#ifdef __SSE2__
	_mm_pause();
#endif
}

static void *
worker_main(void *vp)
{
	struct worker *w = vp;
	struct gb_pool *p = w->pool;
	int tid = w->tid;
	unsigned long seen = 0;

	free(w);
	for (;;) {
		int spin;

		for (spin = 0; spin < SPIN; spin++) {
			if (atomic_load_explicit(&p->gen,
			    memory_order_acquire) != seen)
				break;
			relax();
		}
		if (spin == SPIN) {
			pthread_mutex_lock(&p->mu);
			p->sleepers++;
			while (atomic_load(&p->gen) == seen && !p->stop)
				pthread_cond_wait(&p->start, &p->mu);
			p->sleepers--;
			pthread_mutex_unlock(&p->mu);
		}
		if (p->stop)
			return NULL;
		seen = atomic_load_explicit(&p->gen, memory_order_acquire);

		p->fn(p->arg, tid, p->n);

		if (atomic_fetch_sub_explicit(&p->pending, 1,
		    memory_order_acq_rel) == 1) {
			pthread_mutex_lock(&p->mu);
			if (p->waiting)
				pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

struct gb_pool *
gb_pool_new(int nthreads)
{
	struct gb_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->start, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_cond_init(&p->bcv, NULL);
	p->th = xcalloc((size_t)(nthreads > 1 ? nthreads : 1), sizeof(*p->th));
	p->n = 1;
	for (int t = 1; t < nthreads; t++) {
		struct worker *w = xmalloc(sizeof(*w));

		w->pool = p;
		w->tid = t;
		if (pthread_create(&p->th[t], NULL, worker_main, w) != 0) {
			free(w);
			break;	/* run with the threads we have */
		}
		p->n++;
	}
	return p;
}

int
gb_pool_size(const struct gb_pool *p)
{
	return p->n;
}

void
gb_pool_run(struct gb_pool *p, gb_task_fn *fn, void *arg)
{
	int spin;

	if (p->n == 1) {
		fn(arg, 0, 1);
		return;
	}
	p->fn = fn;
	p->arg = arg;
	atomic_store(&p->pending, p->n - 1);
	pthread_mutex_lock(&p->mu);
	atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
	if (p->sleepers)
		pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);

	fn(arg, 0, p->n);

	for (spin = 0; spin < SPIN; spin++) {
		if (atomic_load_explicit(&p->pending,
		    memory_order_acquire) == 0)
			return;
		relax();
	}
	pthread_mutex_lock(&p->mu);
	p->waiting = 1;
	while (atomic_load(&p->pending) > 0)
		pthread_cond_wait(&p->done, &p->mu);
	p->waiting = 0;
	pthread_mutex_unlock(&p->mu);
}

struct each {
	gb_item_fn *fn;
	void *arg;
	size_t n;
	atomic_size_t next;
};

static void
each_task(void *arg, int tid, int nthreads)
{
	struct each *e = arg;
	size_t i;

	while ((i = atomic_fetch_add_explicit(&e->next, 1,
	    memory_order_relaxed)) < e->n)
		e->fn(e->arg, i, tid);
}

void
gb_pool_each(struct gb_pool *p, size_t n, gb_item_fn *fn, void *arg)
{
	struct each e;

	e.fn = fn;
	e.arg = arg;
	e.n = n;
	atomic_init(&e.next, 0);
	if (n == 1 || p->n == 1) {
		for (size_t i = 0; i < n; i++)
			fn(arg, i, 0);
		return;
	}
	if (n > 0)
		gb_pool_run(p, each_task, &e);
}

void
gb_pool_barrier(struct gb_pool *p)
{
	unsigned long gen;
	int spin;

	if (p->n == 1)
		return;
	gen = atomic_load(&p->bgen);
	if (atomic_fetch_add(&p->bcount, 1) == p->n - 1) {
		atomic_store(&p->bcount, 0);
		pthread_mutex_lock(&p->mu);
		atomic_fetch_add(&p->bgen, 1);
		if (p->bsleepers)
			pthread_cond_broadcast(&p->bcv);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	for (spin = 0; spin < SPIN; spin++) {
		if (atomic_load(&p->bgen) != gen)
			return;
		relax();
	}
	pthread_mutex_lock(&p->mu);
	p->bsleepers++;
	while (atomic_load(&p->bgen) == gen)
		pthread_cond_wait(&p->bcv, &p->mu);
	p->bsleepers--;
	pthread_mutex_unlock(&p->mu);
}

void
gb_pool_free(struct gb_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	atomic_fetch_add(&p->gen, 1);
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);
	for (int t = 1; t < p->n; t++)
		pthread_join(p->th[t], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->start);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->bcv);
	free(p->th);
	free(p);
}
