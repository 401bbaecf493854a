/* The Redis online store (hiredis, loaded on first use): a hash per entity
 * key, "mlp:KEY", holding for each view its value under the view's name
 * and its (event_ts, created_ts) under "_ts:VIEW", as Feast's Redis store
 * keeps "_ts:<view>". A Lua script writes a batch, each record only when
 * newer than the stored one, and keeps the hash until the longest TTL of
 * its views has passed since the last write; reads are pipelined HMGETs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis.h>

#include "core/dl.h"
#include "online.h"

#ifndef MLP_LIBHIREDIS_SONAME
#define MLP_LIBHIREDIS_SONAME "libhiredis.so.0.14"
#endif

#define REDIS_FUNCS(X) X(redisConnectWithTimeout) X(redisSetTimeout) \
	X(redisFree) X(redisCommandArgv) X(redisAppendCommandArgv) \
	X(redisGetReply) X(freeReplyObject)
static struct { REDIS_FUNCS(MLP_DL_MEMBER) } rl;
#define SYM(fn) { #fn, (void **)&rl.fn },
static const struct mlp_dl_sym redis_syms[] = { REDIS_FUNCS(SYM) };

/* Records per script call, and commands in flight on the connection. */
#define PUT_BATCH 256
#define GET_PIPELINE 512

/* A batch of one view's records with one TTL. KEYS: the hashes; ARGV: the
 * view, the TTL in ms (0: keep for ever), then two per record: the
 * 32-character time (which orders as bytes do) and the value. PTTL first
 * tells a new hash (-2: nothing to compare with), one kept for ever (-1)
 * and the time one has left, so a record costs three calls when new. */
static const char put_script[] =
    "local view, ttl = ARGV[1], tonumber(ARGV[2])\n"
    "local tsf = '_ts:' .. view\n"
    "local n = 0\n"
    "for i = 1, #KEYS do\n"
    "  local k, ts = KEYS[i], ARGV[2 * i + 1]\n"
    "  local left = redis.call('PTTL', k)\n"
    "  local cur = false\n"
    "  if left ~= -2 then cur = redis.call('HGET', k, tsf) end\n"
    "  if not cur or cur < ts then\n"
    "    redis.call('HSET', k, view, ARGV[2 * i + 2], tsf, ts)\n"
    "    if ttl == 0 then\n"
    "      if left >= 0 then redis.call('PERSIST', k) end\n"
    "    elseif left == -2 or (left >= 0 and left < ttl) then\n"
    "      redis.call('PEXPIRE', k, ttl)\n"
    "    end\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "return n\n";

struct rs {
	struct mlp_online base;
	redisContext *c;
	char addr[300];		/* host:port, for messages */
	char sha[41];		/* the loaded script's */
};

static void
rs_close(struct mlp_online *o)
{
	struct rs *r = (struct rs *)o;

	if (r->c)
		rl.redisFree(r->c);
	free(r);
}

/* The error of a failed call on the connection, or of a reply. */
static int
rs_fail(struct rs *r, redisReply *rep, const char *what,
    struct mlp_err *err)
{
	int rc;

	if (!r->c)
		rc = mlp_err_set(err, MLP_EFAIL, "Redis at %s: %s: the "
		    "connection was lost", r->addr, what);
	else if (rep && rep->type == REDIS_REPLY_ERROR)
		rc = mlp_err_set(err, MLP_EFAIL, "Redis at %s: %s: %s",
		    r->addr, what, rep->str);
	else
		rc = mlp_err_set(err, MLP_EFAIL, "Redis at %s: %s: %s",
		    r->addr, what, r->c->err ? r->c->errstr :
		    "unexpected reply");
	if (rep)
		rl.freeReplyObject(rep);
	return rc;
}

/* One command, its reply checked against type (-1: any but an error). */
static int
rs_cmd(struct rs *r, int argc, const char **argv, const size_t *len,
    int type, redisReply **out, struct mlp_err *err)
{
	redisReply *rep = rl.redisCommandArgv(r->c, argc, argv, len);

	if (!rep || rep->type == REDIS_REPLY_ERROR ||
	    (type >= 0 && rep->type != type))
		return rs_fail(r, rep, argv[0], err);
	if (out)
		*out = rep;
	else
		rl.freeReplyObject(rep);
	return 0;
}

/* redis://[:PASSWORD@]HOST[:PORT][/DB] */
static int
parse_uri(const char *uri, char *host, size_t hsz, int *port, int *db,
    char *pass, size_t psz, struct mlp_err *err)
{
	const char *p = uri + strlen("redis:"), *at, *end;
	char *x;
	long v;

	if (strncmp(p, "//", 2) != 0)
		goto bad;
	p += 2;
	*port = 6379;
	*db = 0;
	*pass = '\0';
	end = p + strcspn(p, "/");
	at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *pw = colon ? colon + 1 : p;

		if ((size_t)(at - pw) >= psz)
			goto bad;
		memcpy(pass, pw, (size_t)(at - pw));
		pass[at - pw] = '\0';
		p = at + 1;
	}
	if (p == end)
		goto bad;
	{
		const char *colon = memchr(p, ':', (size_t)(end - p));
		const char *hend = colon ? colon : end;

		if ((size_t)(hend - p) >= hsz || hend == p)
			goto bad;
		memcpy(host, p, (size_t)(hend - p));
		host[hend - p] = '\0';
		if (colon) {
			char num[8];

			if ((size_t)(end - colon - 1) >= sizeof(num) ||
			    end == colon + 1)
				goto bad;
			memcpy(num, colon + 1, (size_t)(end - colon - 1));
			num[end - colon - 1] = '\0';
			errno = 0;
			v = strtol(num, &x, 10);
			if (*x || v < 1 || v > 65535)
				goto bad;
			*port = (int)v;
		}
	}
	if (*end == '/' && end[1]) {
		errno = 0;
		v = strtol(end + 1, &x, 10);
		if (*x || v < 0 || v > 1000000 || end[1] == '-' ||
		    end[1] == '+')
			goto bad;
		*db = (int)v;
	}
	return 0;
bad:
	return mlp_err_set(err, MLP_EINVAL, "online store '%s': expected "
	    "redis://[:PASSWORD@]HOST[:PORT][/DB]", uri);
}

static int
rs_open(struct mlp_online **out, const char *uri, const char *mlp_dir,
    struct mlp_err *err)
{
	char host[256], pass[256], dbs[16];
	struct timeval tv = { 2, 0 }, cmd_tv = { 30, 0 };
	struct rs *r;
	redisReply *rep = NULL;
	int port = 6379, db = 0, rc;

	if ((rc = parse_uri(uri, host, sizeof(host), &port, &db, pass,
	    sizeof(pass), err)) < 0)
		return rc;
	if ((rc = mlp_dl_load("libhiredis", MLP_LIBHIREDIS_SONAME,
	    redis_syms, sizeof(redis_syms) / sizeof(redis_syms[0]), err)) < 0)
		return rc;
	r = xcalloc(1, sizeof(*r));
	snprintf(r->addr, sizeof(r->addr), "%s:%d", host, port);
	r->c = rl.redisConnectWithTimeout(host, port, tv);
	if (!r->c || r->c->err) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot connect to Redis at "
		    "%s: %s", r->addr, r->c ? r->c->errstr : "out of memory");
		goto fail;
	}
	rl.redisSetTimeout(r->c, cmd_tv);
	if (*pass) {
		const char *argv[] = { "AUTH", pass };

		if ((rc = rs_cmd(r, 2, argv, NULL, -1, NULL, err)) < 0)
			goto fail;
	}
	if (db) {
		const char *argv[] = { "SELECT", dbs };

		snprintf(dbs, sizeof(dbs), "%d", db);
		if ((rc = rs_cmd(r, 2, argv, NULL, -1, NULL, err)) < 0)
			goto fail;
	}
	{
		const char *argv[] = { "SCRIPT", "LOAD", put_script };

		if ((rc = rs_cmd(r, 3, argv, NULL, REDIS_REPLY_STRING, &rep,
		    err)) < 0)
			goto fail;
		snprintf(r->sha, sizeof(r->sha), "%s", rep->str);
		rl.freeReplyObject(rep);
	}
	*out = &r->base;
	return 0;
fail:
	rs_close(&r->base);
	return rc;
}

/* The hash of an entity key: "mlp:" and the key's bytes. */
static void
hash_name(struct mlp_buf *b, const struct mlp_online_key *k)
{
	mlp_buf_reset(b);
	mlp_buf_adds(b, "mlp:");
	mlp_buf_add(b, k->s, k->n);
}

/* A record's TTL in ms as the script takes it (0: keep for ever). */
static long long
ttl_ms(const struct mlp_online_rec *x)
{
	return x->ttl > 0 ? (x->ttl + 999) / 1000 : 0;
}

static int
rs_put(struct mlp_online *o, const struct mlp_online_rec *recs, size_t n,
    size_t *written, struct mlp_err *err)
{
	struct rs *r = (struct rs *)o;
	size_t cap = 5 + 3 * PUT_BATCH, sent = 0, got = 0;
	const char **argv = xmalloc(cap * sizeof(*argv));
	size_t *len = xmalloc(cap * sizeof(*len));
	struct mlp_buf names = MLP_BUF_INIT, nums = MLP_BUF_INIT;
	size_t *noff = xmalloc(PUT_BATCH * 2 * sizeof(*noff));
	int rc = 0;

	if (!r->c) {
		free(argv);
		free(len);
		free(noff);
		return mlp_err_set(err, MLP_EFAIL, "Redis at %s: the "
		    "connection was lost", r->addr);
	}
	/* a script call per run of one view's records with one TTL, several
	 * in flight, replies read as they come so that neither side's
	 * buffers grow without bound */
	for (size_t i = 0, m; i < n && rc == 0; i += m) {
		const struct mlp_online_rec *x0 = &recs[i];
		char nk[24], ttl[24];
		int argc = 0;

		for (m = 1; m < PUT_BATCH && i + m < n &&
		    strcmp(recs[i + m].view, x0->view) == 0 &&
		    ttl_ms(&recs[i + m]) == ttl_ms(x0); m++)
			;
		mlp_buf_reset(&names);
		mlp_buf_reset(&nums);
		for (size_t j = 0; j < m; j++) {
			const struct mlp_online_rec *x = &recs[i + j];
			char ts[33];

			noff[2 * j] = names.len;
			mlp_buf_adds(&names, "mlp:");
			mlp_buf_add(&names, x->key.s, x->key.n);
			noff[2 * j + 1] = nums.len;
			mlp_online_ts_text(x->event_ts, x->created_ts, ts);
			mlp_buf_add(&nums, ts, 32);
		}
		snprintf(nk, sizeof(nk), "%zu", m);
		snprintf(ttl, sizeof(ttl), "%lld", ttl_ms(x0));
		argv[argc] = "EVALSHA", len[argc++] = 7;
		argv[argc] = r->sha, len[argc++] = 40;
		argv[argc] = nk, len[argc++] = strlen(nk);
		for (size_t j = 0; j < m; j++) {
			size_t end = j + 1 < m ? noff[2 * (j + 1)] : names.len;

			argv[argc] = names.s + noff[2 * j];
			len[argc++] = end - noff[2 * j];
		}
		argv[argc] = x0->view, len[argc++] = strlen(x0->view);
		argv[argc] = ttl, len[argc++] = strlen(ttl);
		for (size_t j = 0; j < m; j++) {
			const struct mlp_online_rec *x = &recs[i + j];

			argv[argc] = nums.s + noff[2 * j + 1];
			len[argc++] = 32;
			argv[argc] = x->value ? x->value : "";
			len[argc++] = x->vlen;
		}
		/* hiredis copies the arguments into its output buffer */
		if (rl.redisAppendCommandArgv(r->c, argc, argv, len) != 0) {
			rc = rs_fail(r, NULL, "EVALSHA", err);
			break;
		}
		sent++;
		while (rc == 0 && (sent - got >= 8 || i + m >= n) &&
		    got < sent) {
			void *rep = NULL;

			if (rl.redisGetReply(r->c, &rep) != 0 || !rep ||
			    ((redisReply *)rep)->type != REDIS_REPLY_INTEGER)
				rc = rs_fail(r, rep, "EVALSHA", err);
			else {
				*written += (size_t)((redisReply *)rep)->integer;
				rl.freeReplyObject(rep);
			}
			got++;
		}
	}
	if (rc < 0) {
		/* replies may still be due: the connection is out of step */
		rl.redisFree(r->c);
		r->c = NULL;
	}
	mlp_buf_release(&names);
	mlp_buf_release(&nums);
	free(noff);
	free(argv);
	free(len);
	return rc;
}

static int
rs_get(struct mlp_online *o, const char *view,
    const struct mlp_online_key *keys, size_t n, struct mlp_online_rec *out,
    struct mlp_err *err)
{
	struct rs *r = (struct rs *)o;
	struct mlp_buf name = MLP_BUF_INIT, tsf = MLP_BUF_INIT;
	size_t *at = xmalloc(n * sizeof(*at)), sent = 0, got = 0;
	int rc = 0;

	if (!r->c) {
		free(at);
		return mlp_err_set(err, MLP_EFAIL, "Redis at %s: the "
		    "connection was lost", r->addr);
	}
	mlp_buf_grow(&o->arena, 1);
	mlp_buf_adds(&tsf, "_ts:");
	mlp_buf_adds(&tsf, view);
	while (rc == 0 && got < n) {
		/* keep up to GET_PIPELINE requests in flight */
		while (sent < n && sent - got < GET_PIPELINE) {
			const char *argv[4];
			size_t len[4];

			hash_name(&name, &keys[sent]);
			argv[0] = "HMGET", len[0] = 5;
			argv[1] = name.s, len[1] = name.len;
			argv[2] = view, len[2] = strlen(view);
			argv[3] = tsf.s, len[3] = tsf.len;
			if (rl.redisAppendCommandArgv(r->c, 4, argv, len) != 0) {
				rc = rs_fail(r, NULL, "HMGET", err);
				goto out;
			}
			sent++;
		}
		{
			void *v = NULL;
			redisReply *rep;

			if (rl.redisGetReply(r->c, &v) != 0 || !v ||
			    ((redisReply *)v)->type != REDIS_REPLY_ARRAY ||
			    ((redisReply *)v)->elements != 2) {
				rc = rs_fail(r, v, "HMGET", err);
				goto out;
			}
			rep = v;
			at[got] = SIZE_MAX;
			if (rep->element[0]->type == REDIS_REPLY_STRING &&
			    rep->element[1]->type == REDIS_REPLY_STRING) {
				if (mlp_online_ts_parse(rep->element[1]->str,
				    rep->element[1]->len, &out[got].event_ts,
				    &out[got].created_ts) < 0) {
					rl.freeReplyObject(rep);
					rc = mlp_err_set(err, MLP_ECORRUPT,
					    "Redis at %s: field '%s' of a hash "
					    "is not a time mlp wrote", r->addr,
					    tsf.s);
					goto out;
				}
				at[got] = o->arena.len;
				out[got].vlen = rep->element[0]->len;
				mlp_buf_add(&o->arena, rep->element[0]->str,
				    rep->element[0]->len);
			}
			rl.freeReplyObject(rep);
			got++;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (at[i] != SIZE_MAX)
			out[i].value = o->arena.s + at[i];
out:
	if (rc < 0) {
		/* the connection is out of step: drop it */
		rl.redisFree(r->c);
		r->c = NULL;
	}
	free(at);
	mlp_buf_release(&name);
	mlp_buf_release(&tsf);
	return rc;
}

const struct mlp_online_backend mlp_online_redis = {
	.scheme = "redis",
	.open = rs_open,
	.put = rs_put,
	.get = rs_get,
	.close = rs_close,
};
