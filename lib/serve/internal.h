/* What the server's files share: model versions and their cache, routing
 * tables, metrics. */
#ifndef MLP_SERVE_INTERNAL_H
#define MLP_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../model/model.h"
#include "serve.h"

/* A loaded model, immutable and reference-counted: the cache holds one
 * reference while it is resident, each request one while it predicts, so
 * an eviction or a swap frees it only after the last request is done. */
struct sv_loaded {
	atomic_int refs;
	struct mlp_model *m;
	size_t bytes;
};

enum sv_state { SV_UNLOADED, SV_LOADING, SV_READY, SV_FAILED };

/* A model version the server knows: from a -m argument or a deployment.
 * It lives as long as the server; its model is loaded and evicted. */
struct sv_version {
	char *key;		/* "MODEL/VERSION" or the path */
	char *model;		/* the model's name, for labels */
	char *label;		/* the version as a string: "3" */
	int64_t number;
	char *path;		/* a file or directory, or NULL */
	char oid[65];		/* else the stored object or tree */
	int is_tree;
	/* guarded by the cache's lock */
	enum sv_state state;
	struct sv_loaded *loaded;
	int pinned;
	uint64_t last_used;
	char *error;		/* why the last load failed */
	struct sv_version *next;	/* the cache's list */
	atomic_uint_fast64_t requests;	/* answered, for heartbeats */
};

/* One name the server answers to: a deployment or a -m model. */
struct sv_route {
	char *name;
	char *model;
	int64_t generation;
	struct sv_version *stable, *canary;
	double canary_pct;
};

/* The routing table: immutable once published, swapped whole. */
struct sv_table {
	atomic_int refs;
	size_t n;
	struct sv_route *routes;	/* sorted by name */
	const struct sv_route *deflt;	/* /invocations without ?model= */
};

struct sv_cache;

struct sv_cache *sv_cache_new(struct mlp_store *st, size_t budget);
void sv_cache_free(struct sv_cache *c);
/* The version known by key, created from the arguments when new. */
struct sv_version *sv_cache_version(struct sv_cache *c, const char *key,
    const char *model, int64_t number, const char *path, const char *oid,
    int is_tree);
/* A reference to v's model, loading it first when needed (one load for
 * concurrent callers; others wait), evicting the least recently used
 * unpinned models beyond the budget. MLP_E* with the load's error. */
int sv_acquire(struct sv_cache *c, struct sv_version *v,
    struct sv_loaded **out, struct mlp_err *err);
void sv_release(struct sv_loaded *l);
/* Marks v pinned and loads it. */
int sv_pin(struct sv_cache *c, struct sv_version *v, struct mlp_err *err);
/* Models resident, their bytes, loads, evictions. */
void sv_cache_stats(struct sv_cache *c, uint64_t *loaded, uint64_t *bytes,
    uint64_t *loads, uint64_t *evictions);
/* Whether v is resident (for heartbeats). */
int sv_cache_resident(struct sv_cache *c, const struct sv_version *v);
/* Unpins v and drops its model from memory (after a load in progress);
 * requests holding it finish on it, and the next one loads it again. 1
 * when it was resident. */
int sv_cache_unload(struct sv_cache *c, struct sv_version *v);
/* v's state and, when it is SV_FAILED, why (into why[0..n)). */
enum sv_state sv_cache_state(struct sv_cache *c, const struct sv_version *v,
    char *why, size_t n);

void sv_table_release(struct sv_table *t);
/* The route named name[0..n), or NULL. */
const struct sv_route *sv_table_find(const struct sv_table *t,
    const char *name, size_t n);

/* Metrics (Prometheus text format 0.0.4). */
enum sv_proto { SV_OIP, SV_V1, SV_MLFLOW, SV_OTHER, SV_NPROTO };
struct sv_metrics;
struct sv_metrics *sv_metrics_new(void);
void sv_metrics_free(struct sv_metrics *mt);
void sv_metrics_request(struct sv_metrics *mt, const char *model,
    const char *version, enum sv_proto proto, int code, double seconds);
void sv_metrics_swap(struct sv_metrics *mt);
struct sv_plog;
void sv_metrics_render(struct sv_metrics *mt, struct sv_cache *c,
    struct sv_plog *plog, struct mlp_buf *out);

/* The acceptor (accept.c): a thread that accepts connections on a
 * listening socket, waits for each one's first bytes (a connection that
 * sends none within timeout_s is closed; 0: no limit), and hands it to
 * hand with the Content-Length its first request announces (0 when none
 * is seen). The server gives a connection that sends large bodies a
 * larger read buffer: libmicrohttpd reads into a fixed part of each
 * connection's memory, which must stay small for thousands of idle
 * connections to fit, and a 270 KB body read 8 KiB at a time spent as
 * much time in the kernel as in decoding it. */
typedef void sv_hand_fn(void *ud, int fd, const struct sockaddr *sa,
    socklen_t len, size_t body);
struct sv_acceptor;
int sv_accept_start(struct sv_acceptor **out, int lfd, unsigned timeout_s,
    sv_hand_fn *hand, void *ud, struct mlp_err *err);
/* Stops accepting (the listening socket stays open, the caller's), hands
 * on the connections whose first bytes have come, closes the others,
 * frees a. Accepts NULL. */
void sv_accept_stop(struct sv_acceptor *a);
/* The Content-Length among the n first bytes of a request at p, or 0. */
size_t sv_peek_body_length(const char *p, size_t n);

/* The prediction log (plog.c): records queued by request threads, written
 * by its own thread to DIR/predictions-TIME-N.jsonl, a new file past
 * max_bytes. */
struct sv_plog;
int sv_plog_open(struct sv_plog **out, const char *dir, double sample,
    uint64_t max_bytes, struct mlp_err *err);
/* Writes what is queued, then stops; accepts NULL. */
void sv_plog_close(struct sv_plog *pl);
/* Whether a request with this random number is logged (pl may be NULL). */
int sv_plog_sampled(const struct sv_plog *pl, uint64_t random);
/* Queues rec (a line, taken over); dropped when the queue is full. */
void sv_plog_put(struct sv_plog *pl, char *rec);
void sv_plog_stats(struct sv_plog *pl, uint64_t *written, uint64_t *dropped);

/* The running server, shared by the request threads. */
struct server {
	const struct mlp_serve_opts *o;
	struct sv_cache *cache;
	struct sv_metrics *metrics;
	pthread_mutex_t table_lock;
	struct sv_table *table;
	atomic_int ready;	/* 0 until pins are loaded; 0 again in drain */
	atomic_int inflight;	/* requests between headers and completion */
	atomic_uint_fast64_t seq;	/* request ids */
	struct sv_plog *plog;	/* NULL without --log-predictions */
	struct sv_admin *admin;	/* the admin API; NULL without a token */
	struct sv_features *features;	/* the feature store; NULL without
					 * a repository */
};

/* A response being made. */
struct reply {
	int code;
	struct mlp_buf body;
	const char *content_type;	/* default application/json */
	const struct sv_version *version;	/* what answered, or NULL */
	const char *model;		/* the route's name, for metrics */
	char name[256];			/* its copy, as the table goes */
	const char *allow;		/* for a 405 */
	const char *authenticate;	/* WWW-Authenticate, for a 401 */
	enum sv_proto proto;
	double t0;			/* when the headers came */
};

/* Makes r an error: code and {"error": "..."}. */
void reply_error(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The routing table in use, with a reference the caller drops with
 * sv_table_release(). */
struct sv_table *sv_table_get(struct server *s);

/* URL and method helpers the endpoints share: sv_is says whether a and b
 * are equal; sv_after gives url after prefix when it starts with it, else
 * NULL; sv_method_not_allowed makes r a 405 with its Allow header. */
int sv_is(const char *a, const char *b);
const char *sv_after(const char *url, const char *prefix);
void sv_method_not_allowed(struct reply *r, const char *allow,
    const char *method);

struct MHD_Connection;
/* A request header's value (name matched ignoring case), or NULL. */
const char *sv_header(struct MHD_Connection *conn, const char *name);

/* The feature store (features.c). sv_features_open reads the catalog of
 * db (whose directory is the repository's .mlp) and names the online
 * store (uri; NULL: sqlite:); sv_features_reload reads the catalog again
 * after the database changed (the main thread; a catalog that cannot be
 * read keeps the one before); sv_features_close frees it all. */
struct sv_features;
struct mlp_db;
struct serve_req;
struct mlp_model;
int sv_features_open(struct server *s, struct mlp_db *db, const char *uri,
    struct mlp_err *err);
void sv_features_reload(struct server *s, struct mlp_db *db);
void sv_features_close(struct server *s);

/* POST /get-online-features and POST /push (Feast's feature server): 1
 * when url is one of them (r made), else 0. */
int sv_features_route(struct server *s, struct MHD_Connection *conn,
    const char *url, const char *method, const struct mlp_buf *body,
    struct reply *r);

/* For a model trained on feature-store features: when the body names its
 * join keys (and none of its inputs) in the form of proto, fetches the
 * features of those entities from the online store (at now, or the
 * X-MLP-Feature-Time header's ISO-8601 time) into out, as a decoder
 * would fill it: 0; 1 when the body is not such a request (decode it as
 * usual); else the HTTP status, with r made the error. */
int sv_features_rows(struct server *s, struct MHD_Connection *conn,
    enum sv_proto proto, const struct mlp_model *m,
    const struct mlp_buf *body, struct serve_req *out, struct reply *r);

/* The admin API (admin.c): answers r and returns 1 when url is one of its
 * endpoints, else 0. body is NULL for a request without one. Without a
 * token (s->admin NULL) its endpoints answer 404. */
int sv_admin_route(struct server *s, struct MHD_Connection *conn,
    const char *url, const char *method, const struct mlp_buf *body,
    struct reply *r);
/* Sets s->admin up when s->o->token is set, for the repository whose
 * database is db (NULL: none; its .mlp directory is the database's).
 * Called before the request threads start. MLP_EINVAL for a token that
 * is not one. */
int sv_admin_open(struct server *s, struct mlp_db *db, struct mlp_err *err);
void sv_admin_close(struct sv_admin *a);

#endif
