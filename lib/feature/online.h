/* The online store's backends (lib/feature/online-*.c): the table
 * lib/feature/online.c picks from by URI scheme. A backend is one file and
 * one row in that table. */
#ifndef MLP_FEATURE_ONLINE_H
#define MLP_FEATURE_ONLINE_H

#include "feature.h"

struct mlp_online_backend {
	const char *scheme;	/* "sqlite", "redis" */
	/* Opens the store uri names (mlp_dir: the repository's .mlp, for
	 * defaults); *out is the backend's own struct, which begins with a
	 * struct mlp_online. */
	int (*open)(struct mlp_online **out, const char *uri,
	    const char *mlp_dir, struct mlp_err *err);
	int (*put)(struct mlp_online *o, const struct mlp_online_rec *recs,
	    size_t n, size_t *written, struct mlp_err *err);
	int (*get)(struct mlp_online *o, const char *view,
	    const struct mlp_online_key *keys, size_t n,
	    struct mlp_online_rec *out, struct mlp_err *err);
	/* optional: mlp_online_read_begin and _end */
	int (*read_begin)(struct mlp_online *o, struct mlp_err *err);
	void (*read_end)(struct mlp_online *o);
	void (*close)(struct mlp_online *o);	/* accepts a half-open one */
};

struct mlp_online {
	const struct mlp_online_backend *be;
	char *uri;		/* as given, for messages */
	struct mlp_buf arena;	/* the values the last get returned */
};

extern const struct mlp_online_backend mlp_online_sqlite;
extern const struct mlp_online_backend mlp_online_redis;

/* The 32 characters that order (event_ts, created_ts) as bytes compare:
 * both offset by 2^63, in hex. */
void mlp_online_ts_text(int64_t event_ts, int64_t created_ts, char out[33]);
/* Reads them back: 0, or -1 when text is not 32 such characters. */
int mlp_online_ts_parse(const char *text, size_t n, int64_t *event_ts,
    int64_t *created_ts);

#endif
