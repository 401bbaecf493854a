/* The http:// and https:// remotes: a plain web server that takes PUT
 * (nginx with dav_methods PUT, Apache mod_dav, ...) through libcurl
 * (loaded on first use, shared with s3:// through curl.h). The layout is
 * file://'s under the URL's path: objects/ab/cdef..., models/NAME/N.json,
 * models/NAME/aliases.json.
 *
 * Every object is one PUT of the whole file: a server that writes to a
 * temporary file and renames (nginx does) never shows a partial object,
 * and a PUT of a name that is there already is harmless, as an object's
 * content is its name. Existence is a HEAD per object, many at once;
 * downloads are re-hashed on receipt by remote.c.
 *
 * Listing: HTTP has no portable one, so list() is MLP_EUNSUPPORTED. Pulling
 * models:/NAME/VERSION and models:/NAME@ALIAS reads documents by name and
 * works; `mlp pull` with no URI, models:/NAME, models:/NAME/latest and
 * `mlp remote status` need a listing and say so.
 *
 * Options (remote.NAME.*): sslVerify (default true), caInfo (a CA file),
 * user and password (basic auth), token (a bearer token; else
 * MLP_REMOTE_TOKEN). MLP_HTTP_TRACE=1 prints each request's headers. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curl.h"
#include "remote.h"


struct mlp_remote_conn {
	char *base;		/* the URL without a trailing '/' */
	char *auth;		/* "Authorization: Bearer ...", or NULL */
	char *user, *password, *ca_info;
	int verify, jobs, batch, trace;
	struct mlp_curl_pool pool;
};

static int
check_scheme(const char *url, const char *scheme, struct mlp_err *err)
{
	size_t n = strlen(scheme);
	const char *host = url + n + 3;
	size_t hn = strcspn(host, "/?#");

	if (strncmp(url, scheme, n) != 0 || strncmp(url + n, "://", 3) != 0 ||
	    hn == 0 || strpbrk(host, "?#") || strchr(host, ' ') ||
	    memchr(host, '@', hn))
		return mlp_err_set(err, MLP_EINVAL, "'%.200s' is not an %s:// "
		    "URL (%s://HOST[:PORT]/PREFIX, no user, query or "
		    "fragment: set remote.NAME.user)", url, scheme, scheme);
	return 0;
}

static int
http_check(const char *url, struct mlp_err *err)
{
	return check_scheme(url, "http", err);
}

static int
https_check(const char *url, struct mlp_err *err)
{
	return check_scheme(url, "https", err);
}

static void
web_close(struct mlp_remote_conn *c)
{
	if (!c)
		return;
	mlp_curl_pool_release(&c->pool);
	free(c->base);
	free(c->auth);
	free(c->user);
	free(c->password);
	free(c->ca_info);
	free(c);
}

static int
is_false(const char *v)
{
	return v && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "no") == 0 || strcmp(v, "off") == 0);
}

static int
web_open(struct mlp_remote_conn **out, const struct mlp_remote_cfg *cfg,
    struct mlp_err *err)
{
	struct mlp_remote_conn *c;
	const char *token = cfg->token ? cfg->token : getenv("MLP_REMOTE_TOKEN");
	size_t n = strlen(cfg->url);
	int rc;

	if ((rc = mlp_curl_load(err)) < 0)
		return rc;
	c = xcalloc(1, sizeof(*c));
	mlp_curl_pool_init(&c->pool);
	while (n && cfg->url[n - 1] == '/')
		n--;
	c->base = xstrndup(cfg->url, n);
	if (token && *token)
		c->auth = xasprintf("Authorization: Bearer %s", token);
	if (cfg->user)
		c->user = xstrdup(cfg->user);
	if (cfg->password)
		c->password = xstrdup(cfg->password);
	if (cfg->ca_info)
		c->ca_info = xstrdup(cfg->ca_info);
	c->verify = !is_false(cfg->ssl_verify);
	c->jobs = cfg->jobs > 0 ? cfg->jobs : MLP_REMOTE_JOBS;
	c->batch = cfg->batch;
	c->trace = getenv("MLP_HTTP_TRACE") != NULL;
	*out = c;
	return 0;
}

/* A request. */
struct req {
	const char *method;	/* GET, PUT, HEAD */
	const char *key;
	struct mlp_curl_io io;	/* body and response */
};

/* Percent-encodes a key, keeping '/' and the unreserved bytes. */
static void
key_encode(struct mlp_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ||
		    *p == '~' || *p == '/')
			mlp_buf_addc(b, (char)*p);
		else
			mlp_buf_addf(b, "%%%02X", *p);
	}
}

static int
perform(struct mlp_remote_conn *c, struct req *r, struct mlp_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct mlp_buf url = MLP_BUF_INIT;
	char ebuf[CURL_ERROR_SIZE];
	CURL *h;
	CURLcode cc;
	long code = 0;
	int rc = 0;

	if (!(h = mlp_curl_pool_get(&c->pool)))
		return mlp_err_set(err, MLP_EFAIL, "cannot start a libcurl "
		    "request");
	mlp_buf_adds(&url, c->base);
	mlp_buf_addc(&url, '/');
	key_encode(&url, r->key);
	if (c->auth)
		hdrs = (mlp_curl.curl_slist_append)(hdrs, c->auth);
	/* no "Expect: 100-continue" round trip before each upload */
	hdrs = (mlp_curl.curl_slist_append)(hdrs, "Expect:");
	ebuf[0] = '\0';
	r->io.status = 0;
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_URL, url.s);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_HTTPHEADER, hdrs);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_ERRORBUFFER, ebuf);
	if (!c->verify) {
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_SSL_VERIFYPEER, 0L);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca_info)
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_CAINFO, c->ca_info);
	if (c->user) {
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_HTTPAUTH,
		    (long)CURLAUTH_BASIC);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_USERNAME, c->user);
		(mlp_curl.curl_easy_setopt)(h, CURLOPT_PASSWORD,
		    c->password ? c->password : "");
	}
	r->io.trace = c->trace ? "http" : NULL;
	mlp_curl_io_setup(h, &r->io, r->method);
	cc = (mlp_curl.curl_easy_perform)(h);
	(mlp_curl.curl_easy_getinfo)(h, CURLINFO_RESPONSE_CODE, &code);
	r->io.status = code;
	if (r->io.write_failed) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot write a download: %s",
		    strerror(r->io.write_failed));
	} else if (r->io.too_large) {
		rc = mlp_err_set(err, MLP_ECORRUPT, "%s %s: the response is "
		    "larger than %u MiB", r->method, url.s,
		    MLP_CURL_MAX_BODY >> 20);
	} else if (cc != CURLE_OK) {
		rc = mlp_err_set(err, MLP_EFAIL, "%s %s: %s", r->method, url.s,
		    ebuf[0] ? ebuf : (mlp_curl.curl_easy_strerror)(cc));
	} else if (code == 404) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "%s %s: not found",
		    r->method, url.s);
	} else if (code < 200 || code >= 300) {
		rc = mlp_err_set(err, code == 401 || code == 403 ? MLP_EINVAL :
		    MLP_EFAIL, "%s %s: HTTP %ld", r->method, url.s, code);
	}
	(mlp_curl.curl_slist_free_all)(hdrs);
	mlp_buf_release(&url);
	mlp_curl_pool_put(&c->pool, h);
	return rc;
}

static void
req_init(struct req *r, const char *method, const char *key)
{
	memset(r, 0, sizeof(*r));
	r->method = method;
	r->key = key;
	r->io.out_fd = -1;
}

/* Existence: a HEAD per object. */

struct has_job {
	struct mlp_remote_conn *c;
	const struct mlp_oid *oids;
	unsigned char *have;
};

static int
head_one(void *ud, size_t i, struct mlp_err *err)
{
	struct has_job *j = ud;
	char key[MLP_REMOTE_KEYSZ];
	struct req r;
	int rc;

	mlp_remote_object_key(&j->oids[i], key);
	req_init(&r, "HEAD", key);
	rc = perform(j->c, &r, err);
	mlp_buf_release(&r.io.out);
	if (rc == MLP_ENOTFOUND) {
		mlp_err_clear(err);
		return 0;
	}
	if (rc == 0)
		j->have[i] = 1;
	return rc;
}

static int
web_has_many(struct mlp_remote_conn *c, const struct mlp_oid *oids, size_t n,
    unsigned char *have, struct mlp_err *err)
{
	struct has_job j = { c, oids, have };

	return mlp_remote_parallel(c->batch ? c->jobs : 1, n, head_one, &j,
	    err);
}

/* Objects and documents. */

static int
web_put_object(struct mlp_remote_conn *c, const struct mlp_oid *oid,
    const char *path, uint64_t size, struct mlp_err *err)
{
	char key[MLP_REMOTE_KEYSZ];
	struct req r;
	int rc;

	mlp_remote_object_key(oid, key);
	req_init(&r, "PUT", key);
	r.io.in_size = size;
	if (!(r.io.in = fopen(path, "rbe")))
		return mlp_err_set(err, MLP_EFAIL, "cannot open '%s': %s", path,
		    strerror(errno));
	rc = perform(c, &r, err);
	fclose(r.io.in);
	mlp_buf_release(&r.io.out);
	return rc;
}

static int
web_get_object(struct mlp_remote_conn *c, const struct mlp_oid *oid, int fd,
    struct mlp_err *err)
{
	char key[MLP_REMOTE_KEYSZ];
	struct req r;
	int rc;

	mlp_remote_object_key(oid, key);
	req_init(&r, "GET", key);
	r.io.out_fd = fd;
	rc = perform(c, &r, err);
	mlp_buf_release(&r.io.out);
	return rc;
}

static int
web_put_doc(struct mlp_remote_conn *c, const char *key, const char *data,
    size_t n, struct mlp_err *err)
{
	struct req r;
	int rc;

	req_init(&r, "PUT", key);
	r.io.data = data;
	r.io.len = n;
	rc = perform(c, &r, err);
	mlp_buf_release(&r.io.out);
	return rc;
}

static int
web_get_doc(struct mlp_remote_conn *c, const char *key, char **out,
    size_t *n, struct mlp_err *err)
{
	struct req r;
	int rc;

	*out = NULL;
	req_init(&r, "GET", key);
	if ((rc = perform(c, &r, err)) < 0) {
		mlp_buf_release(&r.io.out);
		return rc;
	}
	mlp_buf_grow(&r.io.out, 0);
	if (n)
		*n = r.io.out.len;
	*out = mlp_buf_detach(&r.io.out);
	return 0;
}

static int
web_list(struct mlp_remote_conn *c, const char *prefix, mlp_remote_list_fn fn,
    void *ud, struct mlp_err *err)
{
	(void)fn;
	(void)ud;
	return mlp_err_set(err, MLP_EUNSUPPORTED, "%s cannot list '%s': an "
	    "HTTP remote has no listing; pull models:/NAME/VERSION or "
	    "models:/NAME@ALIAS", c->base, prefix);
}

const struct mlp_remote_backend mlp_remote_http = {
	.scheme = "http",
	.check = http_check,
	.open = web_open,
	.has_many = web_has_many,
	.put_object = web_put_object,
	.get_object = web_get_object,
	.put_doc = web_put_doc,
	.get_doc = web_get_doc,
	.list = web_list,
	.close = web_close,
};

const struct mlp_remote_backend mlp_remote_https = {
	.scheme = "https",
	.check = https_check,
	.open = web_open,
	.has_many = web_has_many,
	.put_object = web_put_object,
	.get_object = web_get_object,
	.put_doc = web_put_doc,
	.get_doc = web_get_doc,
	.list = web_list,
	.close = web_close,
};
