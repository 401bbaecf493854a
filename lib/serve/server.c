/* The HTTP server: libmicrohttpd (loaded on first use) with a thread pool
 * on epoll, the endpoints of the three protocols, canary routing, and the
 * main thread's loop that follows deployments, records heartbeats and
 * drains on stop. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "../core/dl.h"
#include "../deploy/deploy.h"
#include "../registry/registry.h"
#include "internal.h"
#include "proto.h"

#ifndef MLP_LIBMICROHTTPD_SONAME
#define MLP_LIBMICROHTTPD_SONAME "libmicrohttpd.so.12"
#endif

#define MHD_FUNCS(X) X(MHD_start_daemon) X(MHD_stop_daemon) \
	X(MHD_add_connection) \
	X(MHD_lookup_connection_value) X(MHD_create_response_from_buffer) \
	X(MHD_create_response_from_buffer_with_free_callback) \
	X(MHD_add_response_header) X(MHD_queue_response) \
	X(MHD_destroy_response)
static struct { MHD_FUNCS(MLP_DL_MEMBER) } mhd;
#define SYM(fn) { #fn, (void **)&mhd.fn },
static const struct mlp_dl_sym mhd_syms[] = { MHD_FUNCS(SYM) };

/* Requests of fewer rows are scored row by row (mlp_model_predict_row,
 * the same bits): the batch predictor walks whole vectors of rows (16
 * with AVX-512, 8 with AVX2), each taking about three rows' time, and
 * from 4 rows on it is the faster (tests/perf/walk_bench). */
#define FEW_ROWS 4

/* The header that makes a canary choice sticky. */
#define ROUTING_KEY "X-MLP-Routing-Key"

/* Set by mlp_serve_stop (a signal handler); the main loop polls the pipe. */
static volatile sig_atomic_t stop_requested;
static int stop_pipe[2] = { -1, -1 };

void
mlp_serve_stop(void)
{
	int saved = errno;

	stop_requested = 1;
	if (stop_pipe[1] >= 0)
		(void)!write(stop_pipe[1], "x", 1);
	errno = saved;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- routing tables ---- */

struct sv_table *
sv_table_get(struct server *s)
{
	struct sv_table *t;

	pthread_mutex_lock(&s->table_lock);
	t = s->table;
	atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&s->table_lock);
	return t;
}

static void
table_set(struct server *s, struct sv_table *t)
{
	struct sv_table *old;

	pthread_mutex_lock(&s->table_lock);
	old = s->table;
	s->table = t;
	pthread_mutex_unlock(&s->table_lock);
	sv_table_release(old);
}

static int
route_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sv_route *)a)->name,
	    ((const struct sv_route *)b)->name);
}

static void
table_sort(struct sv_table *t)
{
	if (t->n)	/* routes is NULL without any */
		qsort(t->routes, t->n, sizeof(*t->routes), route_cmp);
	t->deflt = t->n == 1 ? &t->routes[0] : NULL;
}

/* ---- responses ---- */

void
reply_error(struct reply *r, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->code = code;
	mlp_buf_reset(&r->body);
	/* /invocations answers as MLflow's scoring server does */
	if (r->proto == SV_MLFLOW)
		serve_encode_mlflow_error(&r->body, code == 404 ?
		    "RESOURCE_DOES_NOT_EXIST" : code == 503 ?
		    "TEMPORARILY_UNAVAILABLE" : code >= 500 ?
		    "INTERNAL_ERROR" : "BAD_REQUEST", msg);
	else
		serve_encode_error(&r->body, msg);
}

static enum MHD_Result
send_reply(struct server *s, struct MHD_Connection *conn, struct reply *r,
    double t0)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = r->body.len;
	char *body = mlp_buf_detach(&r->body);

	resp = mhd.MHD_create_response_from_buffer_with_free_callback(len, body,
	    free);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	mhd.MHD_add_response_header(resp, "Content-Type",
	    r->content_type ? r->content_type : "application/json");
	/* OIP says it in the body; V1's and MLflow's bodies cannot */
	if (r->version && r->proto != SV_OIP) {
		mhd.MHD_add_response_header(resp, "X-MLP-Model",
		    r->version->model);
		mhd.MHD_add_response_header(resp, "X-MLP-Model-Version",
		    r->version->label);
	}
	if (r->allow)
		mhd.MHD_add_response_header(resp, "Allow", r->allow);
	if (r->authenticate)
		mhd.MHD_add_response_header(resp, "WWW-Authenticate",
		    r->authenticate);
	ret = mhd.MHD_queue_response(conn, (unsigned)r->code, resp);
	mhd.MHD_destroy_response(resp);
	sv_metrics_request(s->metrics, r->model,
	    r->version ? r->version->label : NULL, r->proto, r->code,
	    now_s() - t0);
	return ret;
}

const char *
sv_header(struct MHD_Connection *conn, const char *name)
{
	return mhd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* ---- prediction ---- */

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* A thread's own generator for canary choices without a routing key. */
static uint64_t
rand_next(void)
{
	static _Thread_local uint64_t x;

	if (!x)
		x = ((uint64_t)time(NULL) << 20) ^ (uint64_t)pthread_self() ^
		    0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* The version of route rt that answers: the one asked for, or the canary
 * for its share of requests (by the routing key's hash when there is
 * one), else the stable. NULL when the version asked for is not served. */
static struct sv_version *
pick(const struct sv_route *rt, const char *want, size_t wn,
    const char *key)
{
	if (want) {
		if (rt->stable && strlen(rt->stable->label) == wn &&
		    memcmp(rt->stable->label, want, wn) == 0)
			return rt->stable;
		if (rt->canary && strlen(rt->canary->label) == wn &&
		    memcmp(rt->canary->label, want, wn) == 0)
			return rt->canary;
		return NULL;
	}
	if (rt->canary && rt->canary_pct > 0) {
		uint64_t u = (key ? fnv1a(key) : rand_next()) % 10000;

		if ((double)u < rt->canary_pct * 100)
			return rt->canary;
	}
	return rt->stable;
}

/* Looks up route name[0..nn) and the version to answer with, filling
 * r->model/version, and takes a reference to its model. 0, or an error
 * reply already made. */
static int
resolve(struct server *s, struct MHD_Connection *conn, const char *name,
    size_t nn, const char *want, size_t wn, struct reply *r,
    struct sv_table **tp, struct sv_loaded **lp)
{
	const struct sv_route *rt;
	struct sv_version *v;
	struct mlp_err err;
	const char *key;

	*tp = sv_table_get(s);
	if (!(rt = sv_table_find(*tp, name, nn))) {
		reply_error(r, 404, "model '%.*s' is not served",
		    (int)(nn > 200 ? 200 : nn), name);
		return -1;
	}
	snprintf(r->name, sizeof(r->name), "%s", rt->name);
	r->model = r->name;
	key = mhd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    ROUTING_KEY);
	if (!(v = pick(rt, want, wn, key))) {
		reply_error(r, 404, "model '%s' has no version '%.*s' served",
		    rt->name, (int)(wn > 40 ? 40 : wn), want);
		return -1;
	}
	r->version = v;
	if (sv_acquire(s->cache, v, lp, &err) < 0) {
		reply_error(r, 503, "model '%s' version %s is not available: "
		    "%s", rt->name, v->label, err.msg);
		return -1;
	}
	return 0;
}

/* The prediction log's record of a request: when, which request, model
 * and version, the inputs as a dataframe_split, the predictions, how long
 * it took (from its headers to its answer, without sending it). */
static char *
plog_record(struct server *s, const struct reply *r,
    const struct serve_req *req, const struct mlp_model *m,
    const double *pred)
{
	static const char *const protos[] = { "v2", "v1", "mlflow", "other" };
	struct mlp_buf b = MLP_BUF_INIT;
	char ts[48], num[MLP_PRED_CHARS];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	mlp_buf_addf(&b, "{\"time\":\"%s.%03ldZ\",\"request_id\":", ts,
	    now.tv_nsec / 1000000);
	if (req->id)
		mlp_buf_json_str(&b, req->id);
	else
		mlp_buf_addf(&b, "\"%llu\"", (unsigned long long)
		    atomic_fetch_add(&s->seq, 1));
	mlp_buf_adds(&b, ",\"model\":");
	mlp_buf_json_str(&b, r->name);
	mlp_buf_adds(&b, ",\"version\":");
	mlp_buf_json_str(&b, r->version->label);
	mlp_buf_addf(&b, ",\"protocol\":\"%s\",\"latency_ms\":%.3f,"
	    "\"inputs\":{\"columns\":[", protos[r->proto],
	    (now_s() - r->t0) * 1000);
	for (size_t j = 0; j < m->nfeat; j++) {
		mlp_buf_adds(&b, j ? "," : "");
		mlp_buf_json_str(&b, m->feat[j].name);
	}
	mlp_buf_adds(&b, "],\"data\":[");
	for (size_t i = 0; i < req->nrows; i++) {
		mlp_buf_adds(&b, i ? ",[" : "[");
		for (size_t j = 0; j < m->nfeat; j++) {
			const struct mlp_column *c = &m->feat[j];
			float v = req->frame->cols[j][i];

			mlp_buf_adds(&b, j ? "," : "");
			if (c->type == MLP_COL_CAT && v >= 0 &&
			    (size_t)v < c->nlevels)
				mlp_buf_json_str(&b, c->levels[(size_t)v]);
			else
				mlp_buf_add(&b, num, mlp_pred_format(v, 1,
				    num));
		}
		mlp_buf_addc(&b, ']');
	}
	mlp_buf_adds(&b, "]},\"predictions\":[");
	mlp_pred_append(&b, m, pred, req->nrows, 1, 1);
	mlp_buf_adds(&b, "]}\n");
	return mlp_buf_detach(&b);
}

static void
infer(struct server *s, struct MHD_Connection *conn, enum sv_proto proto,
    const char *name, size_t nn, const char *want, size_t wn,
    const struct mlp_buf *body, struct reply *r)
{
	struct serve_req req = { 0 };
	struct sv_table *t = NULL;
	struct sv_loaded *l = NULL;
	struct mlp_err err = { 0 };
	const struct mlp_model *m;
	double *pred = NULL;
	int code;

	if (resolve(s, conn, name, nn, want, wn, r, &t, &l) < 0)
		goto out;
	m = l->m;
	/* a model trained on feature-store features, asked by entity key */
	if (m->fstore && (code = sv_features_rows(s, conn, proto, m, body,
	    &req, r)) != 1) {
		if (code)
			goto out;
	} else if (proto == SV_OIP)
		code = serve_decode_oip(body->s, body->len, m, &req, &err);
	else if (proto == SV_V1)
		code = serve_decode_v1(body->s, body->len, m, &req, &err);
	else
		code = serve_decode_mlflow(body->s, body->len,
		    mhd.MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "Content-Type"), m, &req, &err);
	if (code) {
		reply_error(r, code, "%s", err.msg);
		goto out;
	}
	pred = xmalloc((req.nrows ? req.nrows : 1) * (size_t)m->nout *
	    sizeof(*pred));
	if (req.nrows < FEW_ROWS) {
		/* a vector of rows costs more than these rows */
		float stackx[256], *x = m->nfeat <= 256 ? stackx :
		    xmalloc(m->nfeat * sizeof(*x));

		for (size_t i = 0; i < req.nrows; i++) {
			for (size_t j = 0; j < m->nfeat; j++)
				x[j] = req.frame->cols[j][i];
			mlp_model_predict_row(m, x, pred + i * (size_t)m->nout);
		}
		if (x != stackx)
			free(x);
	} else if (mlp_model_predict(m, (const float *const *)req.frame->cols,
	    req.nrows, pred, 1, &err) < 0) {
		reply_error(r, 500, "%s", err.msg);
		goto out;
	}
	r->code = 200;
	if (proto == SV_OIP)
		serve_encode_oip(&r->body, r->model, r->version->label, &req, m,
		    pred);
	else
		serve_encode_predictions(&r->body, m, pred, req.nrows);
	atomic_fetch_add(&((struct sv_version *)r->version)->requests, 1);
	if (sv_plog_sampled(s->plog, rand_next()))
		sv_plog_put(s->plog, plog_record(s, r, &req, m, pred));
out:
	free(pred);
	serve_req_release(&req);
	sv_release(l);
	sv_table_release(t);
}

/* GET /v2/models/NAME[/versions/V] (metadata) and its /ready: a model
 * is ready when it is loaded or loads now. */
static void
model_info(struct server *s, struct MHD_Connection *conn, const char *name,
    size_t nn, const char *want, size_t wn, int ready, struct reply *r)
{
	struct sv_table *t = NULL;
	struct sv_loaded *l = NULL;
	const struct sv_route *rt;
	const char *versions[2];
	size_t nv = 0;
	int ok = resolve(s, conn, name, nn, want, wn, r, &t, &l) == 0;

	if (ready && (ok || r->code == 503)) {
		cJSON *o = cJSON_CreateObject();
		char *txt;

		cJSON_AddStringToObject(o, "name", r->name);
		cJSON_AddBoolToObject(o, "ready", ok);
		txt = cJSON_PrintUnformatted(o);
		mlp_buf_reset(&r->body);
		mlp_buf_adds(&r->body, txt);
		r->code = ok ? 200 : 503;
		free(txt);
		cJSON_Delete(o);
	} else if (ok) {
		rt = sv_table_find(t, name, nn);
		if (want)
			versions[nv++] = r->version->label;
		else {
			versions[nv++] = rt->stable->label;
			if (rt->canary)
				versions[nv++] = rt->canary->label;
		}
		r->code = 200;
		serve_encode_oip_model(&r->body, rt->name, versions, nv, l->m);
	}
	sv_release(l);
	sv_table_release(t);
}

/* ---- the request handler ---- */

struct request {
	struct mlp_buf body;
	double t0;
	int too_big;
	int has_body;
};

int
sv_is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

const char *
sv_after(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(url, prefix, n) == 0 ? url + n : NULL;
}

static void
simple(struct reply *r, int code, const char *json)
{
	r->code = code;
	mlp_buf_adds(&r->body, json);
}

void
sv_method_not_allowed(struct reply *r, const char *allow, const char *method)
{
	r->allow = allow;
	reply_error(r, 405, "method %s is not allowed here (allowed: %s)",
	    method, allow);
}

/* /v2/models/NAME[/versions/V][/ready|/infer] */
static void
v2_models(struct server *s, struct MHD_Connection *conn, const char *rest,
    const char *method, const struct mlp_buf *body, struct reply *r)
{
	const char *name = rest, *slash = strchr(rest, '/');
	const char *want = NULL, *tail;
	size_t nn = slash ? (size_t)(slash - rest) : strlen(rest), wn = 0;
	int post = sv_is(method, "POST");

	r->proto = SV_OIP;
	tail = slash ? slash : "";
	if (sv_after(tail, "/versions/")) {
		want = tail + 10;
		tail = strchr(want, '/');
		wn = tail ? (size_t)(tail - want) : strlen(want);
		tail = tail ? tail : "";
		if (!wn) {
			reply_error(r, 404, "no version given after /versions/");
			return;
		}
	}
	if (!nn) {
		reply_error(r, 404, "no model name given after /v2/models/");
		return;
	}
	if (sv_is(tail, "/infer")) {
		if (!post)
			sv_method_not_allowed(r, "POST", method);
		else
			infer(s, conn, SV_OIP, name, nn, want, wn, body, r);
	} else if (sv_is(tail, "/ready") || sv_is(tail, "")) {
		if (post)
			sv_method_not_allowed(r, "GET", method);
		else
			model_info(s, conn, name, nn, want, wn, *tail != '\0',
			    r);
	} else
		reply_error(r, 404, "no such endpoint: %.200s", tail);
}

static void
route(struct server *s, struct MHD_Connection *conn, const char *url,
    const char *method, const struct mlp_buf *body, struct reply *r)
{
	const char *rest;
	int get = sv_is(method, "GET") || sv_is(method, "HEAD");
	int post = sv_is(method, "POST");

	if (sv_admin_route(s, conn, url, method, body, r) ||
	    sv_features_route(s, conn, url, method, body, r))
		return;
	if (!get && !post) {
		sv_method_not_allowed(r, "GET, HEAD, POST", method);
		return;
	}
	if ((rest = sv_after(url, "/v2/models/"))) {
		v2_models(s, conn, rest, method, body, r);
		return;
	}
	if ((rest = sv_after(url, "/v1/models/"))) {
		const char *colon = strrchr(rest, ':');

		r->proto = SV_V1;
		if (colon && sv_is(colon, ":predict")) {
			if (!post)
				sv_method_not_allowed(r, "POST", method);
			else
				infer(s, conn, SV_V1, rest,
				    (size_t)(colon - rest), NULL, 0, body, r);
			return;
		}
		if (post) {
			sv_method_not_allowed(r, "GET", method);
			return;
		}
		{
			struct sv_table *t = sv_table_get(s);
			const struct sv_route *rt = sv_table_find(t, rest,
			    strlen(rest));

			if (!rt)
				reply_error(r, 404, "model '%.200s' is not "
				    "served", rest);
			else {
				cJSON *o = cJSON_CreateObject();
				char *txt;

				cJSON_AddStringToObject(o, "name", rt->name);
				cJSON_AddBoolToObject(o, "ready",
				    atomic_load(&s->ready));
				txt = cJSON_PrintUnformatted(o);
				simple(r, 200, txt);
				free(txt);
				cJSON_Delete(o);
			}
			sv_table_release(t);
		}
		return;
	}
	if (sv_is(url, "/invocations")) {
		const char *name = mhd.MHD_lookup_connection_value(conn,
		    MHD_GET_ARGUMENT_KIND, "model");
		struct sv_table *t;

		r->proto = SV_MLFLOW;
		if (!post) {
			sv_method_not_allowed(r, "POST", method);
			return;
		}
		if (!name) {
			t = sv_table_get(s);
			name = t->deflt ? t->deflt->name : NULL;
			if (!name) {
				reply_error(r, 400, "more than one model is "
				    "served: name one with ?model=NAME");
				sv_table_release(t);
				return;
			}
			/* the name lives in the table: infer takes its own
			 * reference, this one keeps name alive until then */
			infer(s, conn, SV_MLFLOW, name, strlen(name), NULL, 0,
			    body, r);
			sv_table_release(t);
			return;
		}
		infer(s, conn, SV_MLFLOW, name, strlen(name), NULL, 0, body,
		    r);
		return;
	}
	r->proto = SV_OTHER;
	if (post) {
		if (sv_is(url, "/v2") || sv_is(url, "/v2/health/live") ||
		    sv_is(url, "/v2/health/ready") || sv_is(url, "/ping") ||
		    sv_is(url, "/health") || sv_is(url, "/version") ||
		    sv_is(url, "/metrics"))
			sv_method_not_allowed(r, "GET, HEAD", method);
		else
			reply_error(r, 404, "no such endpoint: %.200s", url);
		return;
	}
	if (sv_is(url, "/v2")) {
		mlp_buf_addf(&r->body, "{\"name\":\"mlp\",\"version\":\"%s\","
		    "\"extensions\":[%s]}", MLP_VERSION, s->admin ?
		    "\"model_repository\"" : "");
		r->code = 200;
	} else if (sv_is(url, "/v2/health/live"))
		simple(r, 200, "{\"live\":true}");
	else if (sv_is(url, "/v2/health/ready"))
		simple(r, atomic_load(&s->ready) ? 200 : 503,
		    atomic_load(&s->ready) ? "{\"ready\":true}" :
		    "{\"ready\":false}");
	else if (sv_is(url, "/ping") || sv_is(url, "/health"))
		simple(r, atomic_load(&s->ready) ? 200 : 503, "\n");
	else if (sv_is(url, "/version")) {
		r->content_type = "text/plain; charset=utf-8";
		simple(r, 200, MLP_VERSION);
	} else if (sv_is(url, "/metrics")) {
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		r->code = 200;
		sv_metrics_render(s->metrics, s->cache, s->plog, &r->body);
	} else
		reply_error(r, 404, "no such endpoint: %.200s", url);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;
	struct reply r = { .code = 500 };
	enum MHD_Result ret;
	double t0;

	/* the first call has the headers; a response queued before the
	 * next would close the connection */
	if (!rq) {
		t0 = now_s();
		atomic_fetch_add(&s->inflight, 1);
		rq = xcalloc(1, sizeof(*rq));
		rq->t0 = t0;
		*con_cls = rq;
		rq->has_body = sv_is(method, "POST") || sv_is(method, "PUT") ||
		    sv_is(method, "PATCH");
		if (rq->has_body) {
			const char *cl = mhd.MHD_lookup_connection_value(conn,
			    MHD_HEADER_KIND, "Content-Length");
			unsigned long long len = 0;

			/* strtoull, not sscanf (0.6% of a one-row request's
			 * time); libmicrohttpd has checked the digits, and a
			 * value past 64 bits reads as the largest, over any
			 * limit */
			if (cl) {
				char *end;

				len = strtoull(cl, &end, 10);
				if (end == cl)
					len = 0;
			}
			if (len > s->o->max_body) {
				r.proto = SV_OTHER;
				reply_error(&r, 413, "request body of %llu "
				    "bytes is over the limit of %zu (--max-"
				    "body)", len, s->o->max_body);
				return send_reply(s, conn, &r, t0);
			}
			/* one buffer for the body rather than a copy at each
			 * doubling; not more than a MiB before the bytes
			 * come, so that slow clients cannot reserve much */
			if (len)
				mlp_buf_grow(&rq->body, len < (1 << 20) ?
				    (size_t)len + 1 : (size_t)1 << 20);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_big && rq->body.len + *upload_size <=
		    s->o->max_body)
			mlp_buf_add(&rq->body, upload, *upload_size);
		else
			rq->too_big = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	r.t0 = rq->t0;
	if (rq->too_big) {
		r.proto = SV_OTHER;
		reply_error(&r, 413, "request body is over the limit of %zu "
		    "bytes (--max-body)", s->o->max_body);
	} else if (rq->has_body) {
		mlp_buf_addc(&rq->body, '\0');
		rq->body.len--;
		route(s, conn, url, method, &rq->body, &r);
	} else
		route(s, conn, url, method, NULL, &r);
	ret = send_reply(s, conn, &r, rq->t0);
	mlp_buf_release(&rq->body);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode why)
{
	struct server *s = cls;
	struct request *rq = *con_cls;

	if (!rq)
		return;
	atomic_fetch_sub(&s->inflight, 1);
	mlp_buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	mlp_log(MLP_LOG_DEBUG, "http: %s", msg);
}

/* ---- what to serve ---- */

/* The name a -m URI serves under by default: the model's, or the file's
 * without its directory and extension. */
static char *
default_name(const char *uri)
{
	const char *base = strrchr(uri, '/');
	char *name, *dot;

	base = base && base[1] ? base + 1 : uri;
	name = xstrdup(base);
	if ((dot = strrchr(name, '.')) && dot != name)
		*dot = '\0';
	return name;
}

static int
add_fixed(struct server *s, struct mlp_db *db, struct mlp_store *st,
    const struct mlp_serve_model *sm, struct sv_route *rt,
    struct mlp_err *err)
{
	char *name = NULL;
	int rc = 0;

	if (strncmp(sm->uri, "models:/", 8) == 0) {
		struct mlp_model_uri u = { 0 };
		struct mlp_model_version *mv = NULL;
		char *key;

		if (!db)
			return mlp_err_set(err, MLP_ENOREPO, "'%s' needs a "
			    "repository (no .mlp/ found)", sm->uri);
		if ((rc = mlp_model_uri_parse(sm->uri, &u, err)) < 0 ||
		    (rc = mlp_registry_resolve(db, &u, &mv, err)) < 0) {
			mlp_model_uri_release(&u);
			return rc;
		}
		key = xasprintf("%s/%lld", mv->name, (long long)mv->version);
		rt->stable = sv_cache_version(s->cache, key, mv->name,
		    mv->version, NULL, mv->oid, mv->is_tree);
		name = xstrdup(sm->name ? sm->name : mv->name);
		free(key);
		mlp_model_version_free(mv);
		mlp_model_uri_release(&u);
	} else if (strncmp(sm->uri, "runs:/", 6) == 0) {
		struct mlp_source src = { 0 };

		if (!db)
			return mlp_err_set(err, MLP_ENOREPO, "'%s' needs a "
			    "repository (no .mlp/ found)", sm->uri);
		if ((rc = mlp_registry_source(db, st, sm->uri, &src, err)) < 0)
			return rc;
		name = sm->name ? xstrdup(sm->name) : default_name(sm->uri);
		rt->stable = sv_cache_version(s->cache, sm->uri, name, 1, NULL,
		    src.oid, src.is_tree);
		mlp_source_release(&src);
	} else {
		char *path = NULL;

		if ((rc = mlp_file_uri(sm->uri, &path, err)) < 0)
			return rc;
		name = sm->name ? xstrdup(sm->name) : default_name(sm->uri);
		rt->stable = sv_cache_version(s->cache, path ? path : sm->uri,
		    name, 1, path ? path : sm->uri, NULL, 0);
		free(path);
	}
	if ((rc = mlp_registry_check_name(name, err)) < 0) {
		mlp_err_prefix(err, "-m %s", sm->uri);
		free(name);
		return rc;
	}
	rt->name = name;
	rt->model = xstrdup(rt->stable->model);
	return 0;
}

/* Deployment failures of the current generations, for heartbeats. */
struct failure {
	char *name;
	int64_t version, generation;
	char *error;
};

struct follow {
	struct server *s;
	struct mlp_db *db;
	int64_t data_version;
	struct failure *failed;
	size_t nfailed, afailed;
	struct mlp_server_beat beat;
	int can_beat;
};

static struct failure *
failure_find(struct follow *f, const char *name)
{
	for (size_t i = 0; i < f->nfailed; i++)
		if (strcmp(f->failed[i].name, name) == 0)
			return &f->failed[i];
	return NULL;
}

static void
failure_set(struct follow *f, const char *name, int64_t version,
    int64_t generation, const char *error)
{
	struct failure *x = failure_find(f, name);

	if (!x) {
		mlp_grow(&f->failed, &f->afailed, f->nfailed + 1,
		    sizeof(*f->failed));
		x = &f->failed[f->nfailed++];
		x->name = xstrdup(name);
		x->error = NULL;
	}
	x->version = version;
	x->generation = generation;
	free(x->error);
	x->error = xstrdup(error);
}

static void
failures_free(struct follow *f)
{
	for (size_t i = 0; i < f->nfailed; i++) {
		free(f->failed[i].name);
		free(f->failed[i].error);
	}
	free(f->failed);
}

static struct sv_version *
route_version(struct server *s, const struct mlp_deploy_route *d,
    int64_t number, const char *oid, int is_tree)
{
	char *key = xasprintf("%s/%lld", d->model, (long long)number);
	struct sv_version *v = sv_cache_version(s->cache, key, d->model,
	    number, NULL, oid, is_tree);

	free(key);
	return v;
}

/* Loads v now (a changed deployment switches only to a loaded version). */
static int
preload(struct server *s, struct sv_version *v, struct mlp_err *err)
{
	struct sv_loaded *l;
	int rc;

	if ((rc = sv_acquire(s->cache, v, &l, err)) == 0)
		sv_release(l);
	return rc;
}

/* Reads the deployments and publishes a new table when they changed
 * (1; 0 when nothing did). first: the start, when nothing is loaded until
 * asked for. */
static int
refresh(struct follow *f, int first, struct mlp_err *err)
{
	struct server *s = f->s;
	struct mlp_deploy_route *d = NULL;
	struct sv_table *cur = first ? NULL : sv_table_get(s), *t;
	size_t n = 0, changed = 0, failed = 0;
	int rc;

	if ((rc = mlp_deploy_routes(f->db, "local", &d, &n, err)) < 0) {
		sv_table_release(cur);
		return rc;
	}
	t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	t->routes = n ? xcalloc(n, sizeof(*t->routes)) : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct sv_route *old = cur ? sv_table_find(cur,
		    d[i].name, strlen(d[i].name)) : NULL;
		struct sv_route *rt = &t->routes[t->n];
		struct failure *fl = failure_find(f, d[i].name);
		struct mlp_err lerr;

		if (old && old->generation == d[i].generation) {
			*rt = *old;
			rt->name = xstrdup(old->name);
			rt->model = xstrdup(old->model);
			t->n++;
			continue;
		}
		rt->name = xstrdup(d[i].name);
		rt->model = xstrdup(d[i].model);
		rt->generation = d[i].generation;
		rt->stable = route_version(s, &d[i], d[i].stable,
		    d[i].stable_oid, d[i].stable_is_tree);
		rt->canary = d[i].canary ? route_version(s, &d[i],
		    d[i].canary, d[i].canary_oid, d[i].canary_is_tree) : NULL;
		rt->canary_pct = rt->canary ? d[i].canary_pct : 0;
		t->n++;
		if (first)
			continue;
		/* a generation that failed to load stays failed: it is not
		 * tried again at every change of the database */
		if (fl && fl->generation == d[i].generation) {
			rc = -1;
			snprintf(lerr.msg, sizeof(lerr.msg), "%s", fl->error);
		} else if ((rc = preload(s, rt->stable, &lerr)) == 0 &&
		    rt->canary)
			rc = preload(s, rt->canary, &lerr);
		if (rc < 0) {
			int64_t bad = rt->canary && sv_cache_resident(s->cache,
			    rt->stable) ? rt->canary->number :
			    rt->stable->number;

			if (!fl || fl->generation != d[i].generation)
				failed++;
			failure_set(f, rt->name, bad, d[i].generation,
			    lerr.msg);
			mlp_log(MLP_LOG_WARN, "deployment '%s': not switching "
			    "to version %lld: %s", rt->name, (long long)bad,
			    lerr.msg);
			free(rt->name);
			free(rt->model);
			t->n--;
			if (old) {
				*rt = *old;
				rt->name = xstrdup(old->name);
				rt->model = xstrdup(old->model);
				t->n++;
			}
			continue;
		}
		changed++;
		mlp_log(MLP_LOG_INFO, "deployment '%s': serving version %lld%s",
		    rt->name, (long long)rt->stable->number, rt->canary ?
		    " with a canary" : "");
	}
	if (cur && cur->n != t->n)
		changed++;
	table_sort(t);
	if (first || changed) {
		if (!first)
			sv_metrics_swap(s->metrics);
		table_set(s, t);
	} else
		sv_table_release(t);
	sv_table_release(cur);
	mlp_deploy_routes_free(d, n);
	return changed || failed;
}

static int64_t
data_version(struct mlp_db *db)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA data_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The heartbeat's state (lib/deploy/deploy.h). */
static char *
beat_state(struct follow *f)
{
	struct server *s = f->s;
	struct sv_table *t = sv_table_get(s);
	cJSON *o = cJSON_CreateObject();
	cJSON *routes = cJSON_AddObjectToObject(o, "routes");
	cJSON *failed = cJSON_AddObjectToObject(o, "failed");
	cJSON *loaded = cJSON_AddObjectToObject(o, "loaded");
	cJSON *requests = cJSON_AddObjectToObject(o, "requests");
	char *txt;

	for (size_t i = 0; i < t->n; i++) {
		const struct sv_route *rt = &t->routes[i];
		cJSON *r = cJSON_AddObjectToObject(routes, rt->name);
		cJSON *l = cJSON_AddArrayToObject(loaded, rt->name);
		cJSON *q = cJSON_AddObjectToObject(requests, rt->name);
		const struct sv_version *vs[2] = { rt->stable, rt->canary };

		cJSON_AddNumberToObject(r, "generation",
		    (double)rt->generation);
		cJSON_AddNumberToObject(r, "stable",
		    (double)rt->stable->number);
		if (rt->canary) {
			cJSON_AddNumberToObject(r, "canary",
			    (double)rt->canary->number);
			cJSON_AddNumberToObject(r, "canary_pct",
			    rt->canary_pct);
		}
		for (int k = 0; k < 2; k++) {
			if (!vs[k])
				continue;
			if (sv_cache_resident(s->cache, vs[k]))
				cJSON_AddItemToArray(l, cJSON_CreateNumber(
				    (double)vs[k]->number));
			cJSON_AddNumberToObject(q, vs[k]->label,
			    (double)atomic_load(&((struct sv_version *)
			    vs[k])->requests));
		}
	}
	for (size_t i = 0; i < f->nfailed; i++) {
		cJSON *x = cJSON_AddObjectToObject(failed, f->failed[i].name);

		cJSON_AddNumberToObject(x, "version",
		    (double)f->failed[i].version);
		cJSON_AddNumberToObject(x, "generation",
		    (double)f->failed[i].generation);
		cJSON_AddStringToObject(x, "error", f->failed[i].error);
	}
	sv_table_release(t);
	txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return txt;
}

static void
beat(struct follow *f)
{
	struct mlp_err err;
	char *state;

	if (!f->can_beat)
		return;
	state = beat_state(f);
	f->beat.state = state;
	if (mlp_deploy_beat(f->db, &f->beat, &err) < 0)
		mlp_log(MLP_LOG_WARN, "cannot record the heartbeat: %s",
		    err.msg);
	free(state);
	f->beat.state = NULL;
}

/* ---- start and stop ---- */

/* The listening socket on --host and --port, non-blocking, with the
 * port it got (--port 0 asks the system for one). */
static int
listen_on(const struct mlp_serve_opts *o, int *lfd, int *port,
    struct mlp_err *err)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ps[16];
	int gai, fd, one = 1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%d", o->port);
	if ((gai = getaddrinfo(o->host, ps, &hints, &res)) != 0)
		return mlp_err_set(err, MLP_EINVAL, "cannot resolve host "
		    "'%s': %s", o->host, gai_strerror(gai));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd >= 0) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (res->ai_family == AF_INET6)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one));
	}
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return mlp_err_set(err, MLP_EFAIL, "cannot listen on %s port "
		    "%d: %s", o->host, o->port, strerror(e));
	}
	freeaddrinfo(res);
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	*lfd = fd;
	return 0;
}

/* The server accepts connections itself (accept.c) and hands each to
 * one of two libmicrohttpd daemons, which spread them over their workers
 * in turn (by descriptor): workers accepting on a shared socket would
 * each keep the connections of a burst they win, and a client's 64
 * connections opened at once could all land on one worker and leave the
 * other cores idle. A connection whose first request announces a body
 * over BIG_BODY goes to the daemon whose connections have BIG_POOL bytes
 * (reads of half that), while fewer than BIG_CONNS are there; the others
 * have SMALL_POOL, so that 10,000 idle connections take under 200 MiB
 * (libmicrohttpd zeroes the whole of a connection's memory between
 * requests, so all of it stays resident). A 270 KB body, read 8 KiB at a
 * time, cost 168 us of kernel time a request, 82 us read 32 KiB at a
 * time. */
#define SMALL_POOL ((size_t)16384)
#define BIG_POOL ((size_t)65536)
#define BIG_BODY ((size_t)16384)
#define BIG_CONNS 256

struct daemons {
	struct MHD_Daemon *small, *big;
	size_t max_body;
	atomic_int big_conns;
};

static void
on_big_connection(void *cls, struct MHD_Connection *conn, void **socket_cls,
    enum MHD_ConnectionNotificationCode toe)
{
	struct daemons *ds = cls;

	atomic_fetch_add(&ds->big_conns,
	    toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void
hand(void *ud, int fd, const struct sockaddr *sa, socklen_t len, size_t body)
{
	struct daemons *ds = ud;
	struct MHD_Daemon *d = ds->small;

	if (body > BIG_BODY && body <= ds->max_body &&
	    atomic_load(&ds->big_conns) < BIG_CONNS)
		d = ds->big;
	/* closes fd when it cannot take it */
	(void)mhd.MHD_add_connection(d, fd, sa, len);
}

static struct MHD_Daemon *
start_daemon(struct server *s, struct daemons *ds, unsigned threads,
    unsigned limit, size_t pool)
{
	return mhd.MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ITC | MHD_USE_ERROR_LOG |
	    MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
	    on_request, s,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, pool == BIG_POOL ?
	    on_big_connection : NULL, ds,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->o->timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
	    MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
	    MHD_OPTION_END);
}

/* As many descriptors as the hard limit allows: each connection is one. */
static unsigned
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1000;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 + 64)
		return 65536;
	return rl.rlim_cur > 128 ? (unsigned)rl.rlim_cur - 64 : 64;
}

int
mlp_serve_run(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_serve_opts *o, struct mlp_err *err)
{
	struct server s = { .o = o };
	struct follow f = { .s = &s, .db = db };
	struct daemons ds = { .max_body = o->max_body };
	struct sv_acceptor *acc = NULL;
	int lfd = -1, port = o->port;
	unsigned threads = o->threads > 0 ? (unsigned)o->threads :
	    (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	int follow_deployments = o->nmodels == 0;
	double last_beat = 0, stop_at;
	int rc;

	if ((rc = mlp_dl_load("libmicrohttpd", MLP_LIBMICROHTTPD_SONAME,
	    mhd_syms, sizeof(mhd_syms) / sizeof(*mhd_syms), err)) < 0)
		return rc;
	if (follow_deployments && !db)
		return mlp_err_set(err, MLP_ENOREPO, "nothing to serve: no -m "
		    "MODEL and no repository (no .mlp/ found)");
	s.cache = sv_cache_new(st, o->memory_budget);
	s.metrics = sv_metrics_new();
	pthread_mutex_init(&s.table_lock, NULL);
	if ((rc = sv_admin_open(&s, db, err)) < 0)
		goto out;
	if (db && (rc = sv_features_open(&s, db, o->online, err)) < 0)
		goto out;

	if (db)
		f.data_version = data_version(db);
	if (follow_deployments) {
		if ((rc = refresh(&f, 1, err)) < 0)
			goto out;
	} else {
		struct sv_table *t = xcalloc(1, sizeof(*t));

		atomic_init(&t->refs, 1);
		t->routes = xcalloc(o->nmodels, sizeof(*t->routes));
		s.table = t;
		for (size_t i = 0; i < o->nmodels; i++) {
			if ((rc = add_fixed(&s, db, st, &o->models[i],
			    &t->routes[t->n], err)) < 0)
				goto out;
			t->n++;
			for (size_t j = 0; j + 1 < t->n; j++)
				if (strcmp(t->routes[j].name,
				    t->routes[t->n - 1].name) == 0) {
					rc = mlp_err_set(err, MLP_EINVAL, "two "
					    "models are served as '%s': name "
					    "one with -m URI=NAME",
					    t->routes[j].name);
					goto out;
				}
			/* a model given on the command line is checked now */
			if ((rc = preload(&s, t->routes[t->n - 1].stable,
			    err)) < 0)
				goto out;
		}
		table_sort(t);
	}
	for (size_t i = 0; i < o->npins; i++) {
		const struct sv_route *rt = sv_table_find(s.table, o->pins[i],
		    strlen(o->pins[i]));

		if (!rt) {
			rc = mlp_err_set(err, MLP_EINVAL, "--pin '%s': no such "
			    "model or deployment is served", o->pins[i]);
			goto out;
		}
		if ((rc = sv_pin(s.cache, rt->stable, err)) < 0 ||
		    (rt->canary && (rc = sv_pin(s.cache, rt->canary,
		    err)) < 0))
			goto out;
	}

	if (o->log_dir && (rc = sv_plog_open(&s.plog, o->log_dir,
	    o->log_sample, o->log_max_bytes, err)) < 0) {
		mlp_err_prefix(err, "--log-predictions");
		goto out;
	}
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot make a pipe: %s",
		    strerror(errno));
		goto out;
	}
	if (stop_requested)
		goto out;
	if ((rc = listen_on(o, &lfd, &port, err)) < 0)
		goto out;
	{
		unsigned limit = raise_nofile();

		errno = 0;
		if ((ds.small = start_daemon(&s, &ds, threads, limit,
		    SMALL_POOL)) != NULL &&
		    !(ds.big = start_daemon(&s, &ds, threads, limit,
		    BIG_POOL))) {
			mhd.MHD_stop_daemon(ds.small);
			ds.small = NULL;
		}
	}
	if (!ds.small) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot serve on %s port %d: "
		    "%s", o->host, port, errno ? strerror(errno) :
		    "libmicrohttpd refused to start");
		goto out;
	}
	if ((rc = sv_accept_start(&acc, lfd, (unsigned)o->timeout_s, hand,
	    &ds, err)) < 0) {
		mhd.MHD_stop_daemon(ds.big);
		mhd.MHD_stop_daemon(ds.small);
		goto out;
	}
	{
		char *url = xasprintf(strchr(o->host, ':') ? "http://[%s]:%d" :
		    "http://%s:%d", o->host, port);

		atomic_store(&s.ready, 1);
		f.beat.url = url;
		f.beat.deployments = follow_deployments;
		f.beat.started = mlp_now_ms();
		f.can_beat = db && !mlp_db_readonly(db);
		beat(&f);
		if (o->ready)
			o->ready(url, o->ud);
		while (!stop_requested) {
			struct pollfd p = { .fd = stop_pipe[0],
			    .events = POLLIN };
			double now;

			(void)poll(&p, 1, 100);
			if (stop_requested)
				break;
			if (db) {
				int64_t dv = data_version(db);

				if (dv != f.data_version) {
					struct mlp_err rerr;

					f.data_version = dv;
					sv_features_reload(&s, db);
					rc = follow_deployments ?
					    refresh(&f, 0, &rerr) : 0;
					if (rc < 0)
						mlp_log(MLP_LOG_WARN, "cannot "
						    "read the deployments: %s",
						    rerr.msg);
					/* deploy --wait learns of it now */
					else if (rc > 0)
						last_beat = 0;
				}
			}
			now = now_s();
			if (now - last_beat >= 1.0) {
				beat(&f);
				last_beat = now;
			}
		}
		/* drain: no new connections; requests in flight finish */
		atomic_store(&s.ready, 0);
		{
			sv_accept_stop(acc);
			close(lfd);
			lfd = -1;
			stop_at = now_s() + o->timeout_s;
			while (atomic_load(&s.inflight) > 0 && now_s() < stop_at)
				usleep(10000);
			if (atomic_load(&s.inflight) > 0)
				mlp_log(MLP_LOG_WARN, "stopping with %d "
				    "requests unfinished after %d s",
				    atomic_load(&s.inflight), o->timeout_s);
			mhd.MHD_stop_daemon(ds.big);
			mhd.MHD_stop_daemon(ds.small);
		}
		if (f.can_beat && f.beat.id) {
			struct mlp_err berr;

			(void)mlp_deploy_beat_end(db, f.beat.id, &berr);
		}
		free(url);
	}
	rc = 0;
out:
	if (lfd >= 0)
		close(lfd);
	if (stop_pipe[0] >= 0) {
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		stop_pipe[0] = stop_pipe[1] = -1;
	}
	failures_free(&f);
	sv_plog_close(s.plog);
	sv_admin_close(s.admin);
	sv_features_close(&s);
	sv_table_release(s.table);
	sv_cache_free(s.cache);
	sv_metrics_free(s.metrics);
	pthread_mutex_destroy(&s.table_lock);
	return rc;
}
