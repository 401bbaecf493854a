/* A small persistent thread pool for the gbdt learner: every job runs one
 * function on all threads at once (the caller is thread 0) and returns when
 * all are done, so a training run starts its threads once, not per node. */
#include <pthread.h>
#include <stdlib.h>

#include "gbdt-internal.h"

struct gb_pool {
	int n;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t start, done;
	unsigned long gen;	/* bumped for every job */
	int pending;		/* workers still running the current job */
	int stop;
	gb_task_fn *fn;
	void *arg;
	/* gb_pool_barrier */
	pthread_mutex_t bmu;
	pthread_cond_t bcv;
	int bcount;
	unsigned long bgen;
};

struct worker {
	struct gb_pool *pool;
	int tid;
};

static void *
worker_main(void *vp)
{
	struct worker *w = vp;
	struct gb_pool *p = w->pool;
	int tid = w->tid;
	unsigned long seen = 0;

	free(w);
	for (;;) {
		gb_task_fn *fn;
		void *arg;

		pthread_mutex_lock(&p->mu);
		while (p->gen == seen && !p->stop)
			pthread_cond_wait(&p->start, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		seen = p->gen;
		fn = p->fn;
		arg = p->arg;
		pthread_mutex_unlock(&p->mu);

		fn(arg, tid, p->n);

		pthread_mutex_lock(&p->mu);
		if (--p->pending == 0)
			pthread_cond_signal(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
}

struct gb_pool *
gb_pool_new(int nthreads)
{
	struct gb_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->start, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_mutex_init(&p->bmu, NULL);
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
	if (p->n == 1) {
		fn(arg, 0, 1);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->arg = arg;
	p->pending = p->n - 1;
	p->gen++;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);

	fn(arg, 0, p->n);

	pthread_mutex_lock(&p->mu);
	while (p->pending > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void
gb_pool_barrier(struct gb_pool *p)
{
	unsigned long gen;

	if (p->n == 1)
		return;
	pthread_mutex_lock(&p->bmu);
	gen = p->bgen;
	if (++p->bcount == p->n) {
		p->bcount = 0;
		p->bgen++;
		pthread_cond_broadcast(&p->bcv);
	} else {
		while (p->bgen == gen)
			pthread_cond_wait(&p->bcv, &p->bmu);
	}
	pthread_mutex_unlock(&p->bmu);
}

void
gb_pool_free(struct gb_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->mu);
	for (int t = 1; t < p->n; t++)
		pthread_join(p->th[t], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->start);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->bmu);
	pthread_cond_destroy(&p->bcv);
	free(p->th);
	free(p);
}
