/* libcurl, loaded on first use (lib/core/dl.h) and shared by the remotes
 * that speak HTTP (s3://, http(s)://). Callers include this instead of
 * <curl/curl.h> and call through mlp_curl after mlp_curl_load(). */
#ifndef MLP_STORE_CURL_H
#define MLP_STORE_CURL_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/core.h"
#include "../core/dl.h"

#ifndef MLP_LIBCURL_SONAME
#define MLP_LIBCURL_SONAME "libcurl.so.4"
#endif

#define MLP_CURL_FUNCS(X) \
	X(curl_global_init) \
	X(curl_easy_init) \
	X(curl_easy_cleanup) \
	X(curl_easy_reset) \
	X(curl_easy_setopt) \
	X(curl_easy_perform) \
	X(curl_easy_getinfo) \
	X(curl_easy_strerror) \
	X(curl_slist_append) \
	X(curl_slist_free_all)

struct mlp_curl_lib {
	MLP_CURL_FUNCS(MLP_DL_MEMBER)
};
extern struct mlp_curl_lib mlp_curl;

/* Loads libcurl and runs curl_global_init() once; safe from any thread.
 * MLP_EUNSUPPORTED when the library is missing. */
int mlp_curl_load(struct mlp_err *err);

/* A request's body and where its response goes. The body comes from in
 * (in_size bytes) or from data (len bytes); a successful response's body
 * is written to out_fd when it is not -1, else kept in out (a larger one
 * than MLP_CURL_MAX_BODY stops the transfer and sets too_large), as is an
 * error response's body (cut at that size), so an error page never lands
 * in a file. status is 0 while the response is a success, else its HTTP
 * code. */
#define MLP_CURL_MAX_BODY (64u << 20)
struct mlp_curl_io {
	FILE *in;
	const char *data;
	size_t len, off;
	uint64_t in_size;
	int out_fd;
	struct mlp_buf out;
	int write_failed;	/* errno of a failed write to out_fd */
	int too_large;		/* a success body over MLP_CURL_MAX_BODY */
	long status;
	const char *trace;	/* prefix of traced request headers */
};

/* Sets what every request of the HTTP remotes shares: no signals, a
 * 30 s connect timeout, failure of a transfer stalled under 1 KiB/s for a
 * minute; h's write, header and (for PUT) read callbacks on io; a
 * body-less request for HEAD; and with io->trace set, the request headers
 * printed to stderr. */
void mlp_curl_io_setup(CURL *h, struct mlp_curl_io *io, const char *method);

/* Easy handles kept for reuse, so that their connections stay open
 * between requests (keep-alive) across the transfer threads. */
#define MLP_CURL_POOL_MAX 1024
struct mlp_curl_pool {
	pthread_mutex_t lock;
	CURL *idle[MLP_CURL_POOL_MAX];
	size_t nidle;
};
void mlp_curl_pool_init(struct mlp_curl_pool *p);
/* Cleans up the idle handles. */
void mlp_curl_pool_release(struct mlp_curl_pool *p);
/* An idle handle, reset, or a new one; NULL when libcurl cannot make one. */
CURL *mlp_curl_pool_get(struct mlp_curl_pool *p);
/* Gives h back for reuse (cleaned up when the pool is full). */
void mlp_curl_pool_put(struct mlp_curl_pool *p, CURL *h);

#endif
