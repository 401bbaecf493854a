/* libcurl, loaded on first use (lib/core/dl.h) and shared by the remotes
 * that speak HTTP (s3://, http(s)://). Callers include this instead of
 * <curl/curl.h> and call through mlp_curl after mlp_curl_load(). */
#ifndef MLP_STORE_CURL_H
#define MLP_STORE_CURL_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

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

#endif
