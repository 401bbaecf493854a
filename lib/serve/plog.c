/* The prediction log (--log-predictions DIR): a sampled record of each
 * request, JSON lines, written by a thread of its own so that the request
 * path only formats and queues; files rotate by size. A full queue drops
 * records (counted) rather than slow requests down. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Records waiting for the writer; beyond, records are dropped. */
#define QUEUE_MAX 8192

struct sv_plog {
	char *dir;
	uint64_t max_bytes;	/* a file is rotated past this */
	double sample;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	char **queue;		/* ring of QUEUE_MAX */
	size_t head, n;
	int stopping;
	uint64_t written, dropped;
	int fd;
	uint64_t size;
	unsigned seq;
	char *error;		/* the last write error, logged once */
};

/* Opens the next file: predictions-YYYYmmddTHHMMSSZ-N.jsonl. */
static int
open_next(struct sv_plog *pl)
{
	char stamp[32], *path;
	struct tm tm;
	time_t now = time(NULL);

	if (pl->fd >= 0)
		close(pl->fd);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	path = xasprintf("%s/predictions-%s-%u.jsonl", pl->dir, stamp,
	    pl->seq++);
	pl->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	pl->size = 0;
	if (pl->fd < 0 && !pl->error) {
		pl->error = xasprintf("cannot open '%s': %s", path,
		    strerror(errno));
		mlp_log(MLP_LOG_WARN, "prediction log: %s", pl->error);
	}
	free(path);
	return pl->fd < 0 ? -1 : 0;
}

static void
write_all(struct sv_plog *pl, const char *s, size_t n)
{
	if ((pl->fd < 0 || pl->size + n > pl->max_bytes) && open_next(pl) < 0)
		return;
	while (n) {
		ssize_t w = write(pl->fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!pl->error) {
				pl->error = xasprintf("cannot write in '%s': "
				    "%s", pl->dir, strerror(errno));
				mlp_log(MLP_LOG_WARN, "prediction log: %s",
				    pl->error);
			}
			return;
		}
		s += w;
		n -= (size_t)w;
		pl->size += (uint64_t)w;
	}
}

static void *
writer(void *arg)
{
	struct sv_plog *pl = arg;

	pthread_mutex_lock(&pl->lock);
	for (;;) {
		char *rec;

		while (!pl->n && !pl->stopping)
			pthread_cond_wait(&pl->wake, &pl->lock);
		if (!pl->n)
			break;
		rec = pl->queue[pl->head];
		pl->head = (pl->head + 1) % QUEUE_MAX;
		pl->n--;
		pthread_mutex_unlock(&pl->lock);
		write_all(pl, rec, strlen(rec));
		free(rec);
		pthread_mutex_lock(&pl->lock);
		pl->written++;
	}
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

int
sv_plog_open(struct sv_plog **out, const char *dir, double sample,
    uint64_t max_bytes, struct mlp_err *err)
{
	struct sv_plog *pl;
	struct stat sb;
	char *probe;
	int fd;

	*out = NULL;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s",
		    dir, strerror(errno));
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return mlp_err_set(err, MLP_EINVAL, "'%s' is not a directory",
		    dir);
	/* found out now, not at the first request */
	probe = xasprintf("%s/.mlp-probe-%d", dir, (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		free(probe);
		return mlp_err_set(err, MLP_EFAIL, "cannot write in '%s': %s",
		    dir, strerror(e));
	}
	close(fd);
	unlink(probe);
	free(probe);
	pl = xcalloc(1, sizeof(*pl));
	pl->dir = xstrdup(dir);
	pl->sample = sample;
	pl->max_bytes = max_bytes;
	pl->fd = -1;
	pl->queue = xcalloc(QUEUE_MAX, sizeof(*pl->queue));
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->wake, NULL);
	if (pthread_create(&pl->thread, NULL, writer, pl) != 0) {
		free(pl->queue);
		free(pl->dir);
		free(pl);
		return mlp_err_set(err, MLP_EFAIL, "cannot start the "
		    "prediction log's thread");
	}
	*out = pl;
	return 0;
}

void
sv_plog_close(struct sv_plog *pl)
{
	if (!pl)
		return;
	pthread_mutex_lock(&pl->lock);
	pl->stopping = 1;
	pthread_cond_signal(&pl->wake);
	pthread_mutex_unlock(&pl->lock);
	pthread_join(pl->thread, NULL);
	if (pl->fd >= 0)
		close(pl->fd);
	pthread_mutex_destroy(&pl->lock);
	pthread_cond_destroy(&pl->wake);
	free(pl->queue);
	free(pl->dir);
	free(pl->error);
	free(pl);
}

int
sv_plog_sampled(const struct sv_plog *pl, uint64_t random)
{
	return pl && (pl->sample >= 1 ||
	    (double)(random % 1000000) < pl->sample * 1e6);
}

void
sv_plog_put(struct sv_plog *pl, char *rec)
{
	pthread_mutex_lock(&pl->lock);
	if (pl->n == QUEUE_MAX) {
		pl->dropped++;
		pthread_mutex_unlock(&pl->lock);
		free(rec);
		return;
	}
	pl->queue[(pl->head + pl->n) % QUEUE_MAX] = rec;
	pl->n++;
	pthread_cond_signal(&pl->wake);
	pthread_mutex_unlock(&pl->lock);
}

void
sv_plog_stats(struct sv_plog *pl, uint64_t *written, uint64_t *dropped)
{
	*written = *dropped = 0;
	if (!pl)
		return;
	pthread_mutex_lock(&pl->lock);
	*written = pl->written;
	*dropped = pl->dropped;
	pthread_mutex_unlock(&pl->lock);
}
