/* libcurl, loaded on first use: see curl.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "curl.h"

struct mlp_curl_lib mlp_curl;

int
mlp_curl_load(struct mlp_err *err)
{
#define SYM(fn) { #fn, (void **)&mlp_curl.fn },
	static const struct mlp_dl_sym syms[] = { MLP_CURL_FUNCS(SYM) };
#undef SYM
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	static int inited;
	int rc;

	pthread_mutex_lock(&once);
	rc = mlp_dl_load("libcurl", MLP_LIBCURL_SONAME, syms,
	    sizeof(syms) / sizeof(*syms), err);
	if (rc == 0 && !inited) {
		if ((mlp_curl.curl_global_init)(CURL_GLOBAL_DEFAULT) !=
		    CURLE_OK)
			rc = mlp_err_set(err, MLP_EFAIL, "cannot initialise "
			    "libcurl");
		else
			inited = 1;
	}
	pthread_mutex_unlock(&once);
	return rc;
}

static size_t
on_write(char *p, size_t size, size_t n, void *ud)
{
	struct mlp_curl_io *io = ud;
	size_t len = size * n;

	if (io->out_fd >= 0 && io->status == 0) {
		for (size_t off = 0; off < len;) {
			ssize_t w = write(io->out_fd, p + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				io->write_failed = errno;
				return 0;
			}
			off += (size_t)w;
		}
		return len;
	}
	if (io->out.len + len > MLP_CURL_MAX_BODY) {
		if (io->status == 0) {
			io->too_large = 1;
			return 0;
		}
		len = io->out.len < MLP_CURL_MAX_BODY ?
		    MLP_CURL_MAX_BODY - io->out.len : 0;
		mlp_buf_add(&io->out, p, len);
		return size * n;
	}
	mlp_buf_add(&io->out, p, len);
	return len;
}

/* Notes an error status before the body arrives (see mlp_curl_io). */
static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct mlp_curl_io *io = ud;
	int code;

	if (size * n > 9 && strncmp(p, "HTTP/", 5) == 0 &&
	    sscanf(p, "HTTP/%*s %d", &code) == 1)
		io->status = code >= 200 && code < 300 ? 0 : code;
	return size * n;
}

static size_t
on_read(char *p, size_t size, size_t n, void *ud)
{
	struct mlp_curl_io *io = ud;
	size_t want = size * n;

	if (io->in)
		return fread(p, 1, want, io->in);
	if (want > io->len - io->off)
		want = io->len - io->off;
	memcpy(p, io->data + io->off, want);
	io->off += want;
	return want;
}

static int
on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *ud)
{
	struct mlp_curl_io *io = ud;

	(void)h;
	if (type == CURLINFO_HEADER_OUT)
		fprintf(stderr, "%s> %.*s", io->trace, (int)n, data);
	return 0;
}

void
mlp_curl_io_setup(CURL *h, struct mlp_curl_io *io, const char *method)
{
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_NOSIGNAL, 1L);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer (under 1 KiB/s for a minute) fails */
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_LOW_SPEED_TIME, 60L);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_WRITEFUNCTION, on_write);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_WRITEDATA, io);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_HEADERFUNCTION, on_header);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_HEADERDATA, io);
	if (io->trace) {
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_VERBOSE, 1L);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_DEBUGFUNCTION, on_debug);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_DEBUGDATA, io);
	}
	if (strcmp(method, "PUT") == 0) {
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_UPLOAD, 1L);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_READFUNCTION, on_read);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_READDATA, io);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)(io->in ? io->in_size : io->len));
	} else if (strcmp(method, "HEAD") == 0) {
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_NOBODY, 1L);
	}
}

void
mlp_curl_pool_init(struct mlp_curl_pool *p)
{
	pthread_mutex_init(&p->lock, NULL);
	p->nidle = 0;
}

void
mlp_curl_pool_release(struct mlp_curl_pool *p)
{
	for (size_t i = 0; i < p->nidle; i++)
		(mlp_curl.curl_easy_cleanup)(p->idle[i]);
	p->nidle = 0;
	pthread_mutex_destroy(&p->lock);
}

CURL *
mlp_curl_pool_get(struct mlp_curl_pool *p)
{
	CURL *h = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->nidle)
		h = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	if (h)
		(mlp_curl.curl_easy_reset)(h);
	else
		h = (mlp_curl.curl_easy_init)();
	return h;
}

void
mlp_curl_pool_put(struct mlp_curl_pool *p, CURL *h)
{
	pthread_mutex_lock(&p->lock);
	if (p->nidle < MLP_CURL_POOL_MAX) {
		p->idle[p->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (h)
		(mlp_curl.curl_easy_cleanup)(h);
}
