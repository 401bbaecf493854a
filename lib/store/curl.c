/* libcurl, loaded on first use: see curl.h. */
#include <pthread.h>

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
