/* The http:// target: a remote mlp serve started with --token-file, through
 * its admin API (mlp-serve(1)) over libcurl, loaded on first use
 * (lib/store/curl.h). A version goes up as an export (PUT /mlp/v1/models),
 * a change as a POST to /mlp/v1/deployments/NAME; status, history and
 * --wait read GET /mlp/v1/deployments[/NAME[/history]]. The JSON those
 * endpoints answer with is written here too (mlp_deploy_json and the
 * others), for lib/serve, so that one file holds both sides of it.
 * MLP_HTTP_TRACE=1 prints each request's headers (the token masked). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../registry/registry.h"
#include "../store/curl.h"
#include "../store/store.h"
#include "internal.h"

struct mlp_deploy_remote {
	char *base;		/* the URL without a trailing '/' */
	char *auth;		/* "Authorization: Bearer ...", or NULL */
	CURL *h;
	long status;		/* the last answer's HTTP status, or 0 */
	int trace;
};

/* ---- the table's row ---- */

static int
http_configure(const struct mlp_deploy_target_opts *o,
    const struct mlp_deployment *next, char **config, struct mlp_err *err)
{
	const char *opt = o->output ? "-o" : o->kserve_version ?
	    "--kserve-version" : o->kserve_mode ? "--kserve-mode" :
	    o->storage_uri ? "--storage-uri" : NULL;

	*config = NULL;
	if (opt)
		return mlp_err_set(err, MLP_EINVAL, "%s is for target kserve, "
		    "not %s (a remote mlp serve, which is sent the version "
		    "itself)", opt, next && next->target ? next->target :
		    "http://");
	*config = xstrdup("{}");
	return 0;
}

/* Nothing to do here: the change is made on the server (mlp deploy calls
 * mlp_deploy_remote_change, as .remote says). */
static int
http_apply(const struct mlp_deploy_target_opts *o,
    const struct mlp_deployment *next, char **note, struct mlp_err *err)
{
	*note = NULL;
	return 0;
}

const struct mlp_deploy_target mlp_deploy_target_http = {
	.name = "http://",
	.summary = "a remote mlp serve started with --token-file (its admin "
	    "API)",
	.waits = 1,
	.remote = 1,
	.configure = http_configure,
	.apply = http_apply,
};

/* ---- JSON: what the admin API answers ---- */

static void
add_version(cJSON *o, const char *key, int64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, (double)v);
	else
		cJSON_AddNullToObject(o, key);
}

cJSON *
mlp_deploy_json(const struct mlp_deployment *d)
{
	cJSON *o = cJSON_CreateObject(), *cfg;

	cJSON_AddStringToObject(o, "name", d->name ? d->name : "");
	cJSON_AddStringToObject(o, "model", d->model ? d->model : "");
	cJSON_AddStringToObject(o, "target", d->target ? d->target : "");
	add_version(o, "stable", d->stable);
	add_version(o, "canary", d->canary);
	cJSON_AddNumberToObject(o, "canary_pct", d->canary ? d->canary_pct :
	    0);
	add_version(o, "previous", d->previous);
	cJSON_AddNumberToObject(o, "generation", (double)d->generation);
	cfg = cJSON_Parse(d->config ? d->config : "{}");
	if (!cJSON_IsObject(cfg)) {
		cJSON_Delete(cfg);
		cfg = cJSON_CreateObject();
	}
	cJSON_AddItemToObject(o, "config", cfg);
	cJSON_AddNumberToObject(o, "created", (double)d->created);
	cJSON_AddNumberToObject(o, "updated", (double)d->updated);
	cJSON_AddStringToObject(o, "updated_by", d->updated_by ?
	    d->updated_by : "");
	return o;
}

/* What a server's view says of d, as mlp deploy status shows it. */
static const char *
view_state(const struct mlp_server_view *v, const struct mlp_deployment *d)
{
	if (v->routed && v->generation >= d->generation)
		return "ready";
	if (v->failed && v->failed_generation >= d->generation)
		return "failed";
	return v->routed ? "behind" : "loading";
}

cJSON *
mlp_deploy_server_json(const struct mlp_server *s,
    const struct mlp_deployment *d)
{
	cJSON *o = cJSON_CreateObject(), *x;
	struct mlp_server_view v;

	mlp_server_view_parse(s->state, d->name, &v);
	cJSON_AddNumberToObject(o, "id", (double)s->id);
	cJSON_AddStringToObject(o, "url", s->url);
	cJSON_AddStringToObject(o, "host", s->host);
	cJSON_AddNumberToObject(o, "pid", (double)s->pid);
	cJSON_AddNumberToObject(o, "started", (double)s->started);
	cJSON_AddNumberToObject(o, "seen", (double)s->seen);
	cJSON_AddStringToObject(o, "state", view_state(&v, d));
	if (v.routed) {
		x = cJSON_AddObjectToObject(o, "routes");
		cJSON_AddNumberToObject(x, "generation", (double)v.generation);
		add_version(x, "stable", v.stable);
		add_version(x, "canary", v.canary);
		cJSON_AddNumberToObject(x, "canary_pct", v.canary ?
		    v.canary_pct : 0);
	} else {
		cJSON_AddNullToObject(o, "routes");
	}
	x = cJSON_AddArrayToObject(o, "loaded");
	for (size_t i = 0; i < v.nloaded; i++)
		cJSON_AddItemToArray(x, cJSON_CreateNumber((double)v.loaded[i]));
	if (v.failed) {
		x = cJSON_AddObjectToObject(o, "failed");
		cJSON_AddNumberToObject(x, "version", (double)v.failed_version);
		cJSON_AddNumberToObject(x, "generation",
		    (double)v.failed_generation);
		cJSON_AddStringToObject(x, "error", v.error);
	} else {
		cJSON_AddNullToObject(o, "failed");
	}
	x = cJSON_AddObjectToObject(o, "requests");
	for (size_t i = 0; i < v.nrequests; i++) {
		char k[32];

		snprintf(k, sizeof(k), "%lld", (long long)v.request_versions[i]);
		cJSON_AddNumberToObject(x, k, (double)v.request_counts[i]);
	}
	mlp_server_view_release(&v);
	return o;
}

cJSON *
mlp_deploy_event_json(const struct mlp_deploy_event *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "id", (double)e->id);
	cJSON_AddStringToObject(o, "deployment", e->deployment);
	cJSON_AddStringToObject(o, "action", e->action);
	cJSON_AddStringToObject(o, "model", e->model);
	cJSON_AddStringToObject(o, "target", e->target);
	cJSON_AddNumberToObject(o, "generation", (double)e->generation);
	add_version(o, "stable", e->stable);
	add_version(o, "canary", e->canary);
	cJSON_AddNumberToObject(o, "canary_pct", e->canary ? e->canary_pct :
	    0);
	add_version(o, "previous", e->previous);
	cJSON_AddStringToObject(o, "user", e->user);
	cJSON_AddStringToObject(o, "host", e->host);
	cJSON_AddNumberToObject(o, "timestamp", (double)e->ts);
	cJSON_AddStringToObject(o, "detail", e->detail);
	return o;
}

/* ---- JSON: reading it back ---- */

/* A whole number, or 0 when absent, null or not one. */
static int64_t
jint(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) ||
	    fabs(j->valuedouble) > 9007199254740992.0)
		return 0;
	return (int64_t)j->valuedouble;
}

static double
jnum(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(j) && isfinite(j->valuedouble) ?
	    j->valuedouble : 0;
}

static char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return xstrdup(cJSON_IsString(j) ? j->valuestring : "");
}

static int
bad_answer(const struct mlp_deploy_remote *r, const char *what,
    struct mlp_err *err)
{
	return mlp_err_set(err, MLP_EFAIL, "target %s: unexpected answer to "
	    "%s (is it mlp serve?)", r->base, what);
}

/* A deployment from the admin API's JSON; its target is the URL. */
static int
deployment_read(const struct mlp_deploy_remote *r, const cJSON *o,
    struct mlp_deployment *d, struct mlp_err *err)
{
	const cJSON *cfg;

	memset(d, 0, sizeof(*d));
	if (!cJSON_IsObject(o) || !cJSON_IsString(
	    cJSON_GetObjectItemCaseSensitive(o, "name")))
		return bad_answer(r, "a deployment request", err);
	d->name = jstr(o, "name");
	d->model = jstr(o, "model");
	d->target = xstrdup(r->base);
	d->stable = jint(o, "stable");
	d->canary = jint(o, "canary");
	d->canary_pct = jnum(o, "canary_pct");
	d->previous = jint(o, "previous");
	d->generation = jint(o, "generation");
	cfg = cJSON_GetObjectItemCaseSensitive(o, "config");
	d->config = cJSON_IsObject(cfg) ? cJSON_PrintUnformatted(cfg) :
	    xstrdup("{}");
	d->created = jint(o, "created");
	d->updated = jint(o, "updated");
	d->updated_by = jstr(o, "updated_by");
	return 0;
}

/* The servers of status answers, each with a heartbeat state rebuilt from
 * what it serves of every deployment read (mlp_server_view_parse reads
 * it as it reads a heartbeat's). */
struct servers {
	struct mlp_server *v;
	cJSON **state;
	size_t n, alloc, salloc;
};

static void
state_put(cJSON *state, const char *section, const char *name,
    const cJSON *item)
{
	cJSON *sec = cJSON_GetObjectItemCaseSensitive(state, section);

	if (!sec)
		sec = cJSON_AddObjectToObject(state, section);
	if (item && !cJSON_IsNull(item))
		cJSON_AddItemToObject(sec, name, cJSON_Duplicate(item, 1));
}

static void
servers_add(struct servers *a, const char *name, const cJSON *list)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, list) {
		int64_t id = jint(s, "id");
		size_t i;

		if (!cJSON_IsObject(s))
			continue;
		for (i = 0; i < a->n; i++)
			if (a->v[i].id == id)
				break;
		if (i == a->n) {
			struct mlp_server *sv;

			mlp_grow(&a->v, &a->alloc, a->n + 1, sizeof(*a->v));
			mlp_grow(&a->state, &a->salloc, a->n + 1,
			    sizeof(*a->state));
			sv = &a->v[a->n];
			memset(sv, 0, sizeof(*sv));
			sv->id = id;
			sv->host = jstr(s, "host");
			sv->url = jstr(s, "url");
			sv->pid = jint(s, "pid");
			sv->deployments = 1;
			sv->started = jint(s, "started");
			sv->seen = jint(s, "seen");
			a->state[a->n++] = cJSON_CreateObject();
		}
		state_put(a->state[i], "routes", name,
		    cJSON_GetObjectItemCaseSensitive(s, "routes"));
		state_put(a->state[i], "failed", name,
		    cJSON_GetObjectItemCaseSensitive(s, "failed"));
		state_put(a->state[i], "loaded", name,
		    cJSON_GetObjectItemCaseSensitive(s, "loaded"));
		state_put(a->state[i], "requests", name,
		    cJSON_GetObjectItemCaseSensitive(s, "requests"));
	}
}

/* Hands the servers over (or frees them when out is NULL). */
static void
servers_done(struct servers *a, struct mlp_server **out, size_t *n)
{
	for (size_t i = 0; i < a->n; i++) {
		a->v[i].state = cJSON_PrintUnformatted(a->state[i]);
		cJSON_Delete(a->state[i]);
	}
	free(a->state);
	if (out) {
		*out = a->v;
		*n = a->n;
	} else {
		mlp_servers_free(a->v, a->n);
	}
	memset(a, 0, sizeof(*a));
}

/* ---- requests ---- */

static int
check_url(const char *url, struct mlp_err *err)
{
	const char *host = strncmp(url, "http://", 7) == 0 ? url + 7 :
	    strncmp(url, "https://", 8) == 0 ? url + 8 : NULL;
	size_t hn = host ? strcspn(host, "/") : 0;

	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			hn = 0;
	if (!host || hn == 0 || memchr(host, '@', hn) || strpbrk(url, "?#"))
		return mlp_err_set(err, MLP_EINVAL, "target '%.200s' is not an "
		    "http:// URL (http://HOST:PORT of an mlp serve; no user, "
		    "query or fragment)", url);
	return 0;
}

int
mlp_deploy_remote_open(struct mlp_deploy_remote **out, const char *url,
    const char *token, struct mlp_err *err)
{
	struct mlp_deploy_remote *r;
	size_t n = strlen(url);
	int rc;

	*out = NULL;
	if ((rc = mlp_check_utf8("target", url, err)) < 0 ||
	    (rc = check_url(url, err)) < 0)
		return rc;
	if (token && *token) {
		for (const char *p = token; *p; p++)
			if ((unsigned char)*p <= 0x20 || *p == 0x7f)
				return mlp_err_set(err, MLP_EINVAL, "the deploy "
				    "token holds a space or a control "
				    "character");
	}
	if ((rc = mlp_curl_load(err)) < 0)
		return rc;
	r = xcalloc(1, sizeof(*r));
	while (n > 0 && url[n - 1] == '/')
		n--;
	r->base = xstrndup(url, n);
	if (token && *token)
		r->auth = xasprintf("Authorization: Bearer %s", token);
	r->trace = getenv("MLP_HTTP_TRACE") != NULL;
	if (!(r->h = (mlp_curl.curl_easy_init)())) {
		mlp_deploy_remote_free(r);
		return mlp_err_set(err, MLP_EFAIL, "cannot start a libcurl "
		    "request");
	}
	*out = r;
	return 0;
}

void
mlp_deploy_remote_free(struct mlp_deploy_remote *r)
{
	if (!r)
		return;
	if (r->h)
		(mlp_curl.curl_easy_cleanup)(r->h);
	free(r->base);
	free(r->auth);
	free(r);
}

const char *
mlp_deploy_remote_url(const struct mlp_deploy_remote *r)
{
	return r->base;
}

long
mlp_deploy_remote_status(const struct mlp_deploy_remote *r)
{
	return r->status;
}

/* One request and its answer. */
struct call {
	const char *method;	/* GET, POST, PUT */
	const char *path;	/* after the base: "/mlp/v1/..." */
	const char *type;	/* the body's Content-Type */
	const char *user;	/* X-MLP-User */
	struct mlp_curl_io io;	/* body and answer */
	cJSON *json;		/* a success's answer, parsed (NULL: empty) */
	cJSON *error;		/* an error's answer, when JSON */
};

static void
call_init(struct call *c, const char *method, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->method = method;
	c->path = path;
	c->io.out_fd = -1;
}

static void
call_release(struct call *c)
{
	mlp_buf_release(&c->io.out);
	cJSON_Delete(c->json);
	cJSON_Delete(c->error);
}

static int
on_trace(CURL *h, curl_infotype type, char *data, size_t n, void *ud)
{
	(void)h;
	(void)ud;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	/* the token stays out of logs */
	for (size_t i = 0; i < n;) {
		size_t e = i;

		while (e < n && data[e] != '\n')
			e++;
		if (e - i > 14 && strncasecmp(data + i, "Authorization:",
		    14) == 0)
			fprintf(stderr, "http> Authorization: Bearer ***\n");
		else
			fprintf(stderr, "http> %.*s\n", (int)(e - i), data + i);
		i = e + 1;
	}
	return 0;
}

/* Percent-encodes a path segment (a deployment name). */
static void
segment(struct mlp_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~')
			mlp_buf_addc(b, (char)*p);
		else
			mlp_buf_addf(b, "%%%02X", *p);
	}
}

/* The server's reason: its {"error": ...}, else the start of the body. */
static void
reason(const struct call *c, char *out, size_t n)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(c->error, "error");
	const char *s = c->io.out.s ? c->io.out.s : "";
	size_t len;

	if (cJSON_IsString(e)) {
		snprintf(out, n, "%s", e->valuestring);
	} else {
		len = strcspn(s, "\r\n");
		snprintf(out, n, "%.*s", (int)(len > 200 ? 200 : len), s);
	}
	/* one line, whatever the server sent */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static int
perform(struct mlp_deploy_remote *r, struct call *c, struct mlp_err *err)
{
	struct curl_slist *hdrs = NULL;
	char ebuf[CURL_ERROR_SIZE], why[400], *url, *h;
	CURLcode cc;
	long code = 0;
	int rc = 0;

	url = xasprintf("%s%s", r->base, c->path);
	if (r->auth)
		hdrs = (mlp_curl.curl_slist_append)(hdrs, r->auth);
	hdrs = (mlp_curl.curl_slist_append)(hdrs, "Expect:");
	hdrs = (mlp_curl.curl_slist_append)(hdrs, "Accept: application/json");
	if (c->type) {
		h = xasprintf("Content-Type: %s", c->type);
		hdrs = (mlp_curl.curl_slist_append)(hdrs, h);
		free(h);
	}
	if (c->user && *c->user) {
		h = xasprintf("X-MLP-User: %s", c->user);
		hdrs = (mlp_curl.curl_slist_append)(hdrs, h);
		free(h);
	}
	(mlp_curl.curl_easy_reset)(r->h);
	ebuf[0] = '\0';
	(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_URL, url);
	(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_HTTPHEADER, hdrs);
	(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_ERRORBUFFER, ebuf);
	mlp_curl_io_setup(r->h, &c->io, c->method);
	if (r->trace) {
		(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_VERBOSE, 1L);
		(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_DEBUGFUNCTION,
		    on_trace);
	}
	if (strcmp(c->method, "POST") == 0) {
		(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_POST, 1L);
		(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_POSTFIELDS,
		    c->io.data ? c->io.data : "");
		(mlp_curl.curl_easy_setopt)(r->h, CURLOPT_POSTFIELDSIZE,
		    (long)c->io.len);
	}
	c->io.status = 0;
	cc = (mlp_curl.curl_easy_perform)(r->h);
	(mlp_curl.curl_easy_getinfo)(r->h, CURLINFO_RESPONSE_CODE, &code);
	r->status = code;
	/* an answer before the upload ended (413) is the answer */
	if (cc != CURLE_OK && code < 300) {
		rc = mlp_err_set(err, MLP_EFAIL, "target %s: cannot reach mlp "
		    "serve: %s", r->base, ebuf[0] ? ebuf :
		    (mlp_curl.curl_easy_strerror)(cc));
		goto out;
	}
	if (code >= 200 && code < 300) {
		if (c->io.out.len && !(c->json = cJSON_ParseWithLength(
		    c->io.out.s, c->io.out.len))) {
			snprintf(why, sizeof(why), "%s %s", c->method, c->path);
			rc = bad_answer(r, why, err);
		}
		goto out;
	}
	c->error = c->io.out.len ? cJSON_ParseWithLength(c->io.out.s,
	    c->io.out.len) : NULL;
	reason(c, why, sizeof(why));
	if (!why[0])
		snprintf(why, sizeof(why), "HTTP %ld", code);
	switch (code) {
	case 401:
		rc = mlp_err_set(err, MLP_EFAIL, "target %s: the server asks "
		    "for a token (HTTP 401): %s", r->base, why);
		break;
	case 403:
		rc = mlp_err_set(err, MLP_EFAIL, "target %s: the token was "
		    "refused (HTTP 403): %s", r->base, why);
		break;
	case 404:
		rc = mlp_err_set(err, MLP_ENOTFOUND, "target %s: %s", r->base,
		    why);
		break;
	case 409:
		rc = mlp_err_set(err, strcmp(c->method, "PUT") == 0 ?
		    MLP_EEXISTS : MLP_EFAIL, "target %s: %s", r->base, why);
		break;
	case 423:
		rc = mlp_err_set(err, MLP_ELOCKED, "target %s: %s", r->base,
		    why);
		break;
	default:
		rc = mlp_err_set(err, MLP_EFAIL, "target %s: %s%s", r->base,
		    why, code >= 500 && !strstr(why, "HTTP") ? " (HTTP 5xx)" :
		    "");
		break;
	}
out:
	(mlp_curl.curl_slist_free_all)(hdrs);
	free(url);
	return rc;
}

/* ---- what mlp deploy calls ---- */

int
mlp_deploy_remote_push(struct mlp_deploy_remote *r, struct mlp_store *st,
    const struct mlp_model_version *mv, const char *user, int *created,
    struct mlp_err *err)
{
	char *tmp = xasprintf("%s/deploy-XXXXXX", mlp_store_tmp_dir(st));
	const cJSON *j;
	struct call c;
	FILE *in = NULL;
	off_t size;
	int fd, rc;

	*created = 0;
	call_init(&c, "PUT", "/mlp/v1/models");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		rc = mlp_err_write(err, errno, 1, "cannot create '%s'", tmp);
		goto out;
	}
	/* the export lives as long as the descriptor */
	unlink(tmp);
	if ((rc = mlp_registry_export(st, mv, "the upload", fd,
	    MLP_ARCHIVE_GZIP, NULL, NULL, NULL, err)) < 0)
		goto out;
	if ((size = lseek(fd, 0, SEEK_END)) < 0 ||
	    lseek(fd, 0, SEEK_SET) < 0 || !(in = fdopen(fd, "rb"))) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot read the export of "
		    "models:/%s/%lld: %s", mv->name, (long long)mv->version,
		    strerror(errno));
		goto out;
	}
	fd = -1;
	c.type = "application/gzip";
	c.user = user;
	c.io.in = in;
	c.io.in_size = (uint64_t)size;
	if ((rc = perform(r, &c, err)) < 0)
		goto out;
	j = cJSON_GetObjectItemCaseSensitive(c.json, "created");
	if (!cJSON_IsObject(c.json) || jint(c.json, "version") !=
	    mv->version) {
		rc = bad_answer(r, "PUT /mlp/v1/models", err);
		goto out;
	}
	*created = cJSON_IsTrue(j);
out:
	if (in)
		fclose(in);
	if (fd >= 0)
		close(fd);
	free(tmp);
	call_release(&c);
	return rc;
}

static char *
deployment_path(const char *name, const char *tail)
{
	struct mlp_buf b = MLP_BUF_INIT;

	mlp_buf_adds(&b, "/mlp/v1/deployments/");
	segment(&b, name);
	mlp_buf_adds(&b, tail);
	return mlp_buf_detach(&b);
}

int
mlp_deploy_remote_change(struct mlp_deploy_remote *r,
    const struct mlp_deploy_change *c, struct mlp_deploy_holder *holder,
    struct mlp_deployment *after, int *changed, struct mlp_err *err)
{
	char *path = deployment_path(c->name, ""), *body, host[256];
	cJSON *o = cJSON_CreateObject();
	struct call call;
	int rc;

	memset(after, 0, sizeof(*after));
	*changed = 0;
	if (holder)
		memset(holder, 0, sizeof(*holder));
	if (mlp_hostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	cJSON_AddStringToObject(o, "action", mlp_deploy_action_name(
	    c->action));
	if (c->action == MLP_DEPLOY_SET || c->action == MLP_DEPLOY_CANARY) {
		cJSON_AddStringToObject(o, "model", c->model);
		cJSON_AddNumberToObject(o, "version", (double)c->version);
	}
	if (c->action == MLP_DEPLOY_CANARY)
		cJSON_AddNumberToObject(o, "canary_pct", c->canary_pct);
	if (c->action == MLP_DEPLOY_AUTO_ROLLBACK)
		cJSON_AddNumberToObject(o, "generation",
		    (double)c->undo_generation);
	cJSON_AddStringToObject(o, "user", c->user ? c->user : "");
	cJSON_AddStringToObject(o, "host", c->host ? c->host : host);
	if (c->detail)
		cJSON_AddStringToObject(o, "detail", c->detail);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	call_init(&call, "POST", path);
	call.type = "application/json";
	call.io.data = body;
	call.io.len = strlen(body);
	if ((rc = perform(r, &call, err)) < 0) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(call.error,
		    "holder");

		if (rc == MLP_ELOCKED && holder && cJSON_IsObject(h)) {
			char *s = jstr(h, "user");

			snprintf(holder->user, sizeof(holder->user), "%s", s);
			free(s);
			s = jstr(h, "host");
			snprintf(holder->host, sizeof(holder->host), "%s", s);
			free(s);
			holder->pid = jint(h, "pid");
			holder->since = jint(h, "since");
		}
		goto out;
	}
	if ((rc = deployment_read(r, call.json, after, err)) < 0)
		goto out;
	*changed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(call.json,
	    "changed"));
out:
	call_release(&call);
	free(body);
	free(path);
	return rc;
}

int
mlp_deploy_remote_get(struct mlp_deploy_remote *r, const char *name,
    struct mlp_deployment *out, struct mlp_server **sv, size_t *nsv,
    struct mlp_err *err)
{
	char *path = deployment_path(name, "");
	struct servers a = { 0 };
	struct mlp_deployment d;
	struct call c;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (sv) {
		*sv = NULL;
		*nsv = 0;
	}
	call_init(&c, "GET", path);
	if ((rc = perform(r, &c, err)) < 0 ||
	    (rc = deployment_read(r, c.json, &d, err)) < 0)
		goto out;
	servers_add(&a, d.name, cJSON_GetObjectItemCaseSensitive(c.json,
	    "servers"));
	servers_done(&a, sv, nsv);
	if (out)
		*out = d;
	else
		mlp_deployment_release(&d);
out:
	call_release(&c);
	free(path);
	return rc;
}

int
mlp_deploy_remote_list(struct mlp_deploy_remote *r,
    struct mlp_deployment **out, size_t *n, struct mlp_server **sv,
    size_t *nsv, struct mlp_err *err)
{
	struct servers a = { 0 };
	const cJSON *e;
	struct call c;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	call_init(&c, "GET", "/mlp/v1/deployments");
	if ((rc = perform(r, &c, err)) < 0)
		goto out;
	if (!cJSON_IsArray(c.json)) {
		rc = bad_answer(r, "GET /mlp/v1/deployments", err);
		goto out;
	}
	cJSON_ArrayForEach(e, c.json) {
		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		if ((rc = deployment_read(r, e, &(*out)[*n], err)) < 0)
			break;
		servers_add(&a, (*out)[*n].name,
		    cJSON_GetObjectItemCaseSensitive(e, "servers"));
		(*n)++;
	}
out:
	if (rc < 0) {
		mlp_deployments_free(*out, *n);
		*out = NULL;
		*n = 0;
		servers_done(&a, NULL, NULL);
	} else {
		servers_done(&a, sv, nsv);
	}
	call_release(&c);
	return rc;
}

int
mlp_deploy_remote_history(struct mlp_deploy_remote *r, const char *name,
    struct mlp_deploy_event **out, size_t *n, struct mlp_err *err)
{
	char *path = deployment_path(name, "/history");
	const cJSON *e;
	struct call c;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	call_init(&c, "GET", path);
	if ((rc = perform(r, &c, err)) < 0)
		goto out;
	if (!cJSON_IsArray(c.json)) {
		rc = bad_answer(r, "GET /mlp/v1/deployments/NAME/history", err);
		goto out;
	}
	cJSON_ArrayForEach(e, c.json) {
		struct mlp_deploy_event *ev;

		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		ev = &(*out)[(*n)++];
		ev->id = jint(e, "id");
		ev->deployment = jstr(e, "deployment");
		ev->action = jstr(e, "action");
		ev->target = jstr(e, "target");
		ev->model = jstr(e, "model");
		ev->generation = jint(e, "generation");
		ev->stable = jint(e, "stable");
		ev->canary = jint(e, "canary");
		ev->previous = jint(e, "previous");
		ev->canary_pct = jnum(e, "canary_pct");
		ev->user = jstr(e, "user");
		ev->host = jstr(e, "host");
		ev->detail = jstr(e, "detail");
		ev->ts = jint(e, "timestamp");
	}
out:
	call_release(&c);
	free(path);
	return rc;
}

struct wait_ud {
	struct mlp_deploy_remote *r;
	const char *name;
};

static int
remote_servers(void *ud, struct mlp_server **out, size_t *n,
    struct mlp_err *err)
{
	struct wait_ud *w = ud;

	return mlp_deploy_remote_get(w->r, w->name, NULL, out, n, err);
}

int
mlp_deploy_remote_wait(struct mlp_deploy_remote *r, const char *name,
    int64_t generation, int64_t version, int64_t timeout_ms,
    int (*stop)(void *), void *ud, struct mlp_deploy_wait *w,
    struct mlp_err *err)
{
	struct wait_ud wu = { r, name };

	return deploy_wait(remote_servers, &wu, name, generation, version,
	    timeout_ms, stop, ud, w, err);
}
