/* The s3:// remote: s3://BUCKET[/PREFIX] through libcurl (loaded on first
 * use) with AWS Signature V4 (CURLOPT_AWS_SIGV4). Credentials come from
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; the
 * region from remote.NAME.region, AWS_REGION or AWS_DEFAULT_REGION
 * (default us-east-1); a custom endpoint (MinIO, s3rver, ...) from
 * remote.NAME.endpoint or AWS_ENDPOINT_URL, addressed path-style.
 *
 * libcurl 7.88 signs what it is given: the caller sends
 * x-amz-content-sha256 itself (an object's id is the SHA-256 of its
 * content, so S3 checks every upload against its name) and puts query
 * parameters in sorted order, encoded as SigV4 wants.
 *
 * Existence checks are batched: one ListObjectsV2 per objects/ab/ prefix
 * (run in parallel) instead of a HEAD per object, or parallel HEADs for a
 * few objects. Transfers run on the shared pool of threads, each with its
 * own easy handle kept for the next request (connection reuse).
 *
 * MLP_S3_TRACE=1 prints each request's headers to stderr. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curl.h"
#include "remote.h"
#include "internal.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct mlp_remote_conn {
	char *base;		/* https://bucket.s3.region.amazonaws.com or
				 * ENDPOINT/bucket */
	char *prefix;		/* "" or "some/prefix/" */
	char *sigv4;		/* aws:amz:REGION:s3 */
	char *userpwd;		/* KEY:SECRET */
	char *token;		/* session token header, or NULL */
	int jobs, batch, trace;
	struct mlp_curl_pool pool;
};

static int
s3_check(const char *url, struct mlp_err *err)
{
	const char *b = url + 5;
	size_t n = strcspn(b, "/");

	if (strncmp(url, "s3://", 5) != 0 || n < 3 || n > 63)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)b[i]) && !isdigit((unsigned char)b[i])
		    && b[i] != '-' && b[i] != '.')
			goto bad;
	return 0;
bad:
	return mlp_err_set(err, MLP_EINVAL, "'%.200s' is not an s3:// URL "
	    "(s3://BUCKET/PREFIX, a bucket name of 3-63 lowercase letters, "
	    "digits, '-' and '.')", url);
}

static void
s3_close(struct mlp_remote_conn *c)
{
	if (!c)
		return;
	mlp_curl_pool_release(&c->pool);
	free(c->base);
	free(c->prefix);
	free(c->sigv4);
	free(c->userpwd);
	free(c->token);
	free(c);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int
s3_open(struct mlp_remote_conn **out, const struct mlp_remote_cfg *cfg,
    struct mlp_err *err)
{
	struct mlp_remote_conn *c;
	const char *bucket = cfg->url + 5, *slash = strchr(bucket, '/');
	const char *region = cfg->region ? cfg->region : env("AWS_REGION");
	const char *endpoint = cfg->endpoint ? cfg->endpoint :
	    env("AWS_ENDPOINT_URL");
	const char *key = env("AWS_ACCESS_KEY_ID");
	const char *secret = env("AWS_SECRET_ACCESS_KEY");
	char *b;
	int rc;

	if (!region)
		region = env("AWS_DEFAULT_REGION");
	if (!region)
		region = "us-east-1";
	if (!key || !secret)
		return mlp_err_set(err, MLP_EINVAL, "no credentials: set "
		    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	if ((rc = mlp_curl_load(err)) < 0)
		return rc;
	c = xcalloc(1, sizeof(*c));
	mlp_curl_pool_init(&c->pool);
	b = slash ? xstrndup(bucket, (size_t)(slash - bucket)) :
	    xstrdup(bucket);
	if (endpoint) {
		size_t n = strlen(endpoint);

		while (n && endpoint[n - 1] == '/')
			n--;
		c->base = xasprintf("%.*s/%s", (int)n, endpoint, b);
	} else {
		c->base = xasprintf("https://%s.s3.%s.amazonaws.com", b, region);
	}
	free(b);
	if (slash) {
		struct mlp_buf p = MLP_BUF_INIT;
		const char *s = slash;

		while (*s == '/')
			s++;
		mlp_buf_adds(&p, s);
		while (p.len && p.s[p.len - 1] == '/')
			p.s[--p.len] = '\0';
		if (p.len)
			mlp_buf_addc(&p, '/');
		c->prefix = p.len ? mlp_buf_detach(&p) : xstrdup("");
		mlp_buf_release(&p);
	} else {
		c->prefix = xstrdup("");
	}
	c->sigv4 = xasprintf("aws:amz:%s:s3", region);
	c->userpwd = xasprintf("%s:%s", key, secret);
	if (env("AWS_SESSION_TOKEN"))
		c->token = xasprintf("x-amz-security-token: %s",
		    env("AWS_SESSION_TOKEN"));
	c->jobs = cfg->jobs > 0 ? cfg->jobs : MLP_REMOTE_JOBS;
	c->batch = cfg->batch;
	c->trace = env("MLP_S3_TRACE") != NULL;
	*out = c;
	return 0;
}

void
s3_uri_encode(struct mlp_buf *b, const char *s, int keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ||
		    *p == '~' || (keep_slash && *p == '/'))
			mlp_buf_addc(b, (char)*p);
		else
			mlp_buf_addf(b, "%%%02X", *p);
	}
}

/* A request. */
struct req {
	const char *method;	/* GET, PUT, HEAD */
	const char *key;	/* under the prefix; NULL for the bucket */
	const char *query;	/* encoded and sorted, or NULL */
	const char *sha;	/* x-amz-content-sha256 */
	struct mlp_curl_io io;	/* body and response */
};

/* The message in an S3 error body: <Code> and <Message>. */
static void
xml_text(const char *xml, const char *tag, char *out, size_t n)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	out[0] = '\0';
	if ((a = strstr(xml, open)) && (b = strstr(a, close)))
		snprintf(out, n, "%.*s", (int)(b - a - strlen(open)),
		    a + strlen(open));
}

static int
perform(struct mlp_remote_conn *c, struct req *r, struct mlp_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct mlp_buf url = MLP_BUF_INIT;
	char sha[128];
	CURL *h;
	CURLcode cc;
	long code = 0;
	int rc = 0;

	if (!(h = mlp_curl_pool_get(&c->pool)))
		return mlp_err_set(err, MLP_EFAIL, "cannot start a libcurl "
		    "request");
	mlp_buf_adds(&url, c->base);
	mlp_buf_addc(&url, '/');
	if (r->key) {
		struct mlp_buf k = MLP_BUF_INIT;

		mlp_buf_adds(&k, c->prefix);
		mlp_buf_adds(&k, r->key);
		s3_uri_encode(&url, k.s, 1);
		mlp_buf_release(&k);
	}
	if (r->query) {
		mlp_buf_addc(&url, '?');
		mlp_buf_adds(&url, r->query);
	}
	snprintf(sha, sizeof(sha), "x-amz-content-sha256: %s",
	    r->sha ? r->sha : EMPTY_SHA256);
	hdrs = (mlp_curl.curl_slist_append)(hdrs, sha);
	if (c->token)
		hdrs = (mlp_curl.curl_slist_append)(hdrs, c->token);
	r->io.status = 0;
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_URL, url.s);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_AWS_SIGV4, c->sigv4);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_USERPWD, c->userpwd);
	(mlp_curl.curl_easy_setopt)(h, CURLOPT_HTTPHEADER, hdrs);
	r->io.trace = c->trace ? "s3" : NULL;
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
		    (mlp_curl.curl_easy_strerror)(cc));
	} else if (code == 404) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "%s %s: not found",
		    r->method, url.s);
	} else if (code < 200 || code >= 300) {
		char ecode[128], msg[256];

		mlp_buf_grow(&r->io.out, 0);
		xml_text(r->io.out.s, "Code", ecode, sizeof(ecode));
		xml_text(r->io.out.s, "Message", msg, sizeof(msg));
		rc = mlp_err_set(err, code == 403 ? MLP_EINVAL : MLP_EFAIL,
		    "%s %s: HTTP %ld%s%s%s%s", r->method, url.s, code,
		    *ecode ? " " : "", ecode, *msg ? ": " : "", msg);
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

/* Listing. */

static void
xml_unescape(struct mlp_buf *b, const char *s, size_t n)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};

	for (size_t i = 0; i < n; i++) {
		int done = 0;

		if (s[i] == '&')
			for (size_t e = 0; e < 5 && !done; e++) {
				size_t l = strlen(ents[e].ent);

				if (i + l <= n && strncmp(s + i, ents[e].ent, l)
				    == 0) {
					mlp_buf_addc(b, ents[e].c);
					i += l - 1;
					done = 1;
				}
			}
		if (!done)
			mlp_buf_addc(b, s[i]);
	}
}

void
s3_list_query(struct mlp_buf *q, const char *token, const char *prefix)
{
	/* sorted by name, as SigV4's canonical query wants and curl 7.88
	 * does not do for us */
	if (token) {
		mlp_buf_adds(q, "continuation-token=");
		s3_uri_encode(q, token, 0);
		mlp_buf_addc(q, '&');
	}
	mlp_buf_adds(q, "list-type=2&prefix=");
	s3_uri_encode(q, prefix, 0);
}

int
s3_parse_list(const char *xml, const char *prefix, mlp_remote_list_fn fn,
    void *ud, struct mlp_buf *token, int *truncated)
{
	size_t plen = strlen(prefix);
	const char *p = xml, *t, *te;
	int rc = 0;

	while (rc == 0 && (p = strstr(p, "<Contents>"))) {
		const char *end = strstr(p, "</Contents>");
		const char *k = strstr(p, "<Key>"), *ke;
		const char *sz = strstr(p, "<Size>");
		struct mlp_buf key = MLP_BUF_INIT;

		if (!end || !k || k > end || !(ke = strstr(k, "</Key>")) ||
		    ke > end)
			break;
		xml_unescape(&key, k + 5, (size_t)(ke - k - 5));
		if (key.len >= plen && strncmp(key.s, prefix, plen) == 0)
			rc = fn(key.s + plen, sz && sz < end ?
			    strtoull(sz + 6, NULL, 10) : 0, ud);
		mlp_buf_release(&key);
		p = end;
	}
	mlp_buf_reset(token);
	*truncated = strstr(xml, "<IsTruncated>true</IsTruncated>") != NULL;
	if (*truncated) {
		t = strstr(xml, "<NextContinuationToken>");
		te = t ? strstr(t, "</NextContinuationToken>") : NULL;
		if (!t || !te || te == t + 23)
			*truncated = 0;	/* no token: stop rather than loop */
		else
			xml_unescape(token, t + 23, (size_t)(te - t - 23));
	}
	return rc;
}

/* Calls fn for every key under prefix (relative to the remote's prefix),
 * one ListObjectsV2 page at a time. */
static int
list_keys(struct mlp_remote_conn *c, const char *prefix,
    mlp_remote_list_fn fn, void *ud, struct mlp_err *err)
{
	struct mlp_buf token = MLP_BUF_INIT, full = MLP_BUF_INIT;
	int rc = 0, more = 1;

	mlp_buf_adds(&full, c->prefix);
	mlp_buf_adds(&full, prefix);
	while (more && rc == 0) {
		struct mlp_buf q = MLP_BUF_INIT;
		struct req r;

		s3_list_query(&q, token.len ? token.s : NULL, full.s);
		req_init(&r, "GET", NULL);
		r.query = q.s;
		rc = perform(c, &r, err);
		mlp_buf_release(&q);
		if (rc < 0) {
			mlp_buf_release(&r.io.out);
			break;
		}
		mlp_buf_grow(&r.io.out, 0);
		rc = s3_parse_list(r.io.out.s, c->prefix, fn, ud, &token, &more);
		mlp_buf_release(&r.io.out);
	}
	mlp_buf_release(&token);
	mlp_buf_release(&full);
	return rc;
}

static int
s3_list(struct mlp_remote_conn *c, const char *prefix, mlp_remote_list_fn fn,
    void *ud, struct mlp_err *err)
{
	return list_keys(c, prefix, fn, ud, err);
}

/* Existence. */

struct has_job {
	struct mlp_remote_conn *c;
	const struct mlp_oid *oids;
	unsigned char *have;
	size_t *order;		/* indices sorted by id */
	size_t n;
	unsigned char bytes[256];	/* the distinct first bytes */
	size_t nbytes;
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

static const struct has_job *sort_job;

static int
cmp_index(const void *a, const void *b)
{
	return mlp_oid_cmp(&sort_job->oids[*(const size_t *)a],
	    &sort_job->oids[*(const size_t *)b]);
}

static int
mark_key(const char *key, uint64_t size, void *ud)
{
	struct has_job *j = ud;
	char hex[MLP_OID_HEXSZ + 1];
	struct mlp_oid oid;
	size_t lo = 0, hi = j->n;

	if (strlen(key) != MLP_REMOTE_KEYSZ - 1 || key[10] != '/')
		return 0;
	memcpy(hex, key + 8, 2);
	memcpy(hex + 2, key + 11, MLP_OID_HEXSZ - 2);
	hex[MLP_OID_HEXSZ] = '\0';
	if (mlp_oid_parse(hex, &oid, NULL) < 0)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = mlp_oid_cmp(&j->oids[j->order[mid]], &oid);

		if (c == 0) {
			/* duplicates in the input sit together */
			for (size_t k = mid; k < j->n && mlp_oid_cmp(
			    &j->oids[j->order[k]], &oid) == 0; k++)
				j->have[j->order[k]] = 1;
			for (size_t k = mid; k-- > 0 && mlp_oid_cmp(
			    &j->oids[j->order[k]], &oid) == 0;)
				j->have[j->order[k]] = 1;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
list_one(void *ud, size_t i, struct mlp_err *err)
{
	struct has_job *j = ud;
	char prefix[16];

	snprintf(prefix, sizeof(prefix), "objects/%02x/", j->bytes[i]);
	return list_keys(j->c, prefix, mark_key, j, err);
}

static int
s3_has_many(struct mlp_remote_conn *c, const struct mlp_oid *oids, size_t n,
    unsigned char *have, struct mlp_err *err)
{
	struct has_job j;
	unsigned char seen[256] = { 0 };
	int rc;

	memset(&j, 0, sizeof(j));
	j.c = c;
	j.oids = oids;
	j.have = have;
	j.n = n;
	/* a few objects: a HEAD each is cheaper than listing prefixes */
	if (!c->batch || n <= 64)
		return mlp_remote_parallel(c->batch ? c->jobs : 1, n, head_one,
		    &j, err);
	j.order = xmalloc(n * sizeof(*j.order));
	for (size_t i = 0; i < n; i++) {
		j.order[i] = i;
		if (!seen[oids[i].hash[0]]) {
			seen[oids[i].hash[0]] = 1;
			j.bytes[j.nbytes++] = oids[i].hash[0];
		}
	}
	sort_job = &j;
	qsort(j.order, n, sizeof(*j.order), cmp_index);
	sort_job = NULL;
	rc = mlp_remote_parallel(c->jobs, j.nbytes, list_one, &j, err);
	free(j.order);
	return rc;
}

/* Objects and documents. */

static int
s3_put_object(struct mlp_remote_conn *c, const struct mlp_oid *oid,
    const char *path, uint64_t size, struct mlp_err *err)
{
	char key[MLP_REMOTE_KEYSZ], hex[MLP_OID_HEXSZ + 1];
	struct req r;
	int rc;

	mlp_remote_object_key(oid, key);
	mlp_oid_fmt(oid, hex);
	req_init(&r, "PUT", key);
	/* the object's id is its SHA-256: S3 refuses a body that differs */
	r.sha = hex;
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
s3_get_object(struct mlp_remote_conn *c, const struct mlp_oid *oid, int fd,
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
s3_put_doc(struct mlp_remote_conn *c, const char *key, const char *data,
    size_t n, struct mlp_err *err)
{
	char hex[MLP_OID_HEXSZ + 1];
	struct mlp_oid sha;
	struct req r;
	int rc;

	if ((rc = mlp_oid_hash(data, n, &sha, err)) < 0)
		return rc;
	mlp_oid_fmt(&sha, hex);
	req_init(&r, "PUT", key);
	r.sha = hex;
	r.io.data = data;
	r.io.len = n;
	rc = perform(c, &r, err);
	mlp_buf_release(&r.io.out);
	return rc;
}

static int
s3_get_doc(struct mlp_remote_conn *c, const char *key, char **out, size_t *n,
    struct mlp_err *err)
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

const struct mlp_remote_backend mlp_remote_s3 = {
	.scheme = "s3",
	.check = s3_check,
	.open = s3_open,
	.has_many = s3_has_many,
	.put_object = s3_put_object,
	.get_object = s3_get_object,
	.put_doc = s3_put_doc,
	.get_doc = s3_get_doc,
	.list = s3_list,
	.close = s3_close,
};
