/* The online store: the backend table and what every backend shares. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "online.h"

static const struct mlp_online_backend *const backends[] = {
	&mlp_online_sqlite,
	&mlp_online_redis,
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

const char *
mlp_online_schemes(void)
{
	return "sqlite, redis";
}

int
mlp_online_open(struct mlp_online **out, const char *uri,
    const char *mlp_dir, struct mlp_err *err)
{
	size_t n = strcspn(uri, ":");
	int rc;

	*out = NULL;
	if ((rc = mlp_check_utf8("online store URI", uri, err)) < 0)
		return rc;
	if (strpbrk(uri, "\n\r\t") != NULL)
		return mlp_err_set(err, MLP_EINVAL, "online store URI: not "
		    "one line of text");
	for (size_t i = 0; uri[n] == ':' && i < NBACKENDS; i++) {
		if (strlen(backends[i]->scheme) != n ||
		    strncmp(uri, backends[i]->scheme, n) != 0)
			continue;
		if ((rc = backends[i]->open(out, uri, mlp_dir, err)) < 0)
			return rc;
		(*out)->be = backends[i];
		(*out)->uri = xstrdup(uri);
		mlp_buf_init(&(*out)->arena);
		return 0;
	}
	return mlp_err_set(err, MLP_EINVAL, "online store '%s': unknown "
	    "scheme (known: %s)", uri, mlp_online_schemes());
}

int
mlp_online_put(struct mlp_online *o, const struct mlp_online_rec *recs,
    size_t n, size_t *written, struct mlp_err *err)
{
	size_t w = 0;
	int rc;

	rc = n ? o->be->put(o, recs, n, &w, err) : 0;
	if (written)
		*written = w;
	if (rc < 0)
		mlp_err_prefix(err, "online store '%s'", o->uri);
	return rc;
}

int
mlp_online_get(struct mlp_online *o, const char *view,
    const struct mlp_online_key *keys, size_t n, struct mlp_online_rec *out,
    struct mlp_err *err)
{
	int rc;

	mlp_buf_reset(&o->arena);
	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i].view = view;
		out[i].key = keys[i];
		out[i].created_ts = MLP_TS_NONE;
	}
	if (n && (rc = o->be->get(o, view, keys, n, out, err)) < 0)
		return mlp_err_prefix(err, "online store '%s'", o->uri);
	return 0;
}

int
mlp_online_read_begin(struct mlp_online *o, struct mlp_err *err)
{
	if (o->be->read_begin && o->be->read_begin(o, err) < 0)
		return mlp_err_prefix(err, "online store '%s'", o->uri);
	return 0;
}

void
mlp_online_read_end(struct mlp_online *o)
{
	if (o->be->read_end)
		o->be->read_end(o);
}

void
mlp_online_close(struct mlp_online *o)
{
	char *uri;

	if (!o)
		return;
	uri = o->uri;
	mlp_buf_release(&o->arena);
	o->be->close(o);
	free(uri);
}

void
mlp_online_ts_text(int64_t event_ts, int64_t created_ts, char out[33])
{
	snprintf(out, 33, "%016" PRIx64 "%016" PRIx64,
	    (uint64_t)event_ts ^ (UINT64_C(1) << 63),
	    (uint64_t)created_ts ^ (UINT64_C(1) << 63));
}

static int
hex16(const char *s, uint64_t *v)
{
	*v = 0;
	for (int i = 0; i < 16; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
		    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		*v = *v << 4 | (uint64_t)d;
	}
	return 0;
}

int
mlp_online_ts_parse(const char *text, size_t n, int64_t *event_ts,
    int64_t *created_ts)
{
	uint64_t e, c;

	if (n != 32 || hex16(text, &e) < 0 || hex16(text + 16, &c) < 0)
		return -1;
	*event_ts = (int64_t)(e ^ (UINT64_C(1) << 63));
	*created_ts = (int64_t)(c ^ (UINT64_C(1) << 63));
	return 0;
}
