/* Remotes: copies of the object store elsewhere, with small metadata
 * documents beside the objects (as git's remotes, DVC's remotes).
 *
 * A remote is named by a URL whose scheme picks a backend from a static
 * table (file://, s3://, http(s)://; an unknown scheme is MLP_EINVAL listing the known
 * ones). Every backend has the same layout under its root:
 *
 *	objects/ab/cdef...	an object, named by its SHA-256 as in the
 *				local store (first two hex digits, then 62)
 *	models/NAME/N.json	the metadata of model version N (lib/registry)
 *	models/NAME/aliases.json
 *
 * Objects are immutable, so an object that exists on one side is never
 * sent again: existence is checked first, in batches (a stat per object
 * for file://, one listing per objects/ab/ prefix or parallel HEADs for
 * s3://), and transfers run many at once on a pool of threads. A partial
 * object never appears under its final name: uploads go to a temporary
 * name and are renamed (file://) or are one PUT (s3://); downloads go to
 * .mlp/tmp/, are re-hashed, synced and renamed into the local store, so an
 * object whose content does not match its name is refused (MLP_ECORRUPT)
 * and never stored. An interrupted transfer is resumed by running it again.
 *
 * Heavy libraries (libcurl) are loaded on first use (lib/core/dl.h). */
#ifndef MLP_STORE_REMOTE_H
#define MLP_STORE_REMOTE_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#include "../core/core.h"
#include "store.h"

/* What opening a remote needs, from the config section remote.NAME. */
struct mlp_remote_cfg {
	const char *name;	/* for messages */
	const char *url;
	const char *endpoint;	/* s3: a custom endpoint URL (path-style) */
	const char *region;	/* s3 */
	/* http(s): "false" turns off certificate checks; a CA file; basic
	 * auth; a bearer token (else MLP_REMOTE_TOKEN). NULL when unset. */
	const char *ssl_verify, *ca_info, *user, *password, *token;
	int jobs;		/* transfers at once; <= 0 for the default */
	int batch;		/* 0: check existence one object at a time
				 * (for comparisons); else batched */
	int create;		/* a push: file:// may create a remote where
				 * nothing is (or an empty directory); else
				 * a path that is not a remote is refused */
};

#define MLP_REMOTE_JOBS 16

struct mlp_remote;

/* The known schemes, comma-separated ("file, s3"), for messages. */
const char *mlp_remote_schemes(void);

/* Checks that url is one line of valid UTF-8 without control characters,
 * has a known scheme and the form its backend wants, without opening
 * anything. MLP_EINVAL naming what is wrong (the known schemes for an
 * unknown one). */
int mlp_remote_check_url(const char *url, struct mlp_err *err);

/* Opens the remote; the caller closes it with mlp_remote_close().
 * MLP_ENOTFOUND ("'URL' is not an mlp remote: why") when a file:// URL
 * names no remote and cfg->create is not set, or names something else
 * (a file, a directory with other content) whatever cfg->create says. */
int mlp_remote_open(struct mlp_remote **out, const struct mlp_remote_cfg *cfg,
    struct mlp_err *err);
void mlp_remote_close(struct mlp_remote *r);

/* The URL the remote was opened with (borrowed). */
const char *mlp_remote_url(const struct mlp_remote *r);

/* Sets have[i] to 1 when the remote holds oids[i], else 0, in batches. */
int mlp_remote_has(struct mlp_remote *r, const struct mlp_oid *oids,
    size_t n, unsigned char *have, struct mlp_err *err);

/* What a transfer did (added to; callers zero it). */
struct mlp_xfer_stats {
	uint64_t objects, bytes;	/* transferred */
	uint64_t skipped;		/* already on the other side */
};

/* Called after each object transferred, from a worker thread, under a
 * lock: done and total objects of the current call. */
typedef void (*mlp_remote_progress_fn)(uint64_t done, uint64_t total,
    void *ud);
void mlp_remote_set_progress(struct mlp_remote *r, mlp_remote_progress_fn fn,
    void *ud);

/* Uploads the local objects oids[0..n) (which the caller found missing
 * there), many at once. The first failure stops the rest and is returned;
 * the objects already uploaded stay. */
int mlp_remote_push_objects(struct mlp_remote *r, struct mlp_store *st,
    const struct mlp_oid *oids, size_t n, struct mlp_xfer_stats *stats,
    struct mlp_err *err);

/* Downloads oids[0..n) into the local store, many at once: each into
 * .mlp/tmp, re-hashed (MLP_ECORRUPT naming the object and the hash found
 * when it does not match: the file is removed), synced and renamed into
 * place. Objects the store has already are skipped. */
int mlp_remote_pull_objects(struct mlp_remote *r, struct mlp_store *st,
    const struct mlp_oid *oids, size_t n, struct mlp_xfer_stats *stats,
    struct mlp_err *err);

/* Downloads one object of at most max bytes into memory and checks its
 * hash, without storing it (a tree manifest is read before its entries are
 * fetched and stored after them); the download goes through st's tmp/.
 * MLP_ENOTFOUND, MLP_ECORRUPT, MLP_EINVAL when larger than max. */
int mlp_remote_read_object(struct mlp_remote *r, struct mlp_store *st,
    const struct mlp_oid *oid, size_t max, char **out, size_t *len, struct mlp_err *err);

/* Metadata documents: small files under the root, named by relative keys
 * ("models/fraud/3.json"). put replaces atomically; get gives
 * MLP_ENOTFOUND when absent and MLP_ECORRUPT when larger than
 * MLP_REMOTE_MAX_DOC (*out is NUL-terminated; the caller frees it). */
#define MLP_REMOTE_MAX_DOC (64u << 20)
int mlp_remote_put_doc(struct mlp_remote *r, const char *key,
    const char *data, size_t n, struct mlp_err *err);
int mlp_remote_get_doc(struct mlp_remote *r, const char *key, char **out,
    size_t *n, struct mlp_err *err);

/* Calls fn for every key under prefix ("models/", "objects/") with its
 * size, in no particular order. A non-zero return from fn stops the walk
 * and is returned. */
typedef int (*mlp_remote_list_fn)(const char *key, uint64_t size, void *ud);
int mlp_remote_list(struct mlp_remote *r, const char *prefix,
    mlp_remote_list_fn fn, void *ud, struct mlp_err *err);

/* Backends: one file each (remote-SCHEME.c), one row in the table of
 * remote.c. A backend's connection is its own struct; put_object and
 * get_object are called from several threads at once. */

struct mlp_remote_conn;

struct mlp_remote_backend {
	const char *scheme;	/* "file", "s3" */
	/* checks the URL's form; MLP_EINVAL saying what is wrong */
	int (*check)(const char *url, struct mlp_err *err);
	int (*open)(struct mlp_remote_conn **out,
	    const struct mlp_remote_cfg *cfg, struct mlp_err *err);
	/* have[i] = 1 when oids[i] is there (batched as the backend can) */
	int (*has_many)(struct mlp_remote_conn *c, const struct mlp_oid *oids,
	    size_t n, unsigned char *have, struct mlp_err *err);
	/* uploads the local object file path of size bytes */
	int (*put_object)(struct mlp_remote_conn *c, const struct mlp_oid *oid,
	    const char *path, uint64_t size, struct mlp_err *err);
	/* writes the object's content to fd (MLP_ENOTFOUND when absent) */
	int (*get_object)(struct mlp_remote_conn *c, const struct mlp_oid *oid,
	    int fd, struct mlp_err *err);
	int (*put_doc)(struct mlp_remote_conn *c, const char *key,
	    const char *data, size_t n, struct mlp_err *err);
	int (*get_doc)(struct mlp_remote_conn *c, const char *key, char **out,
	    size_t *n, struct mlp_err *err);
	int (*list)(struct mlp_remote_conn *c, const char *prefix,
	    mlp_remote_list_fn fn, void *ud, struct mlp_err *err);
	/* makes the objects put so far durable and visible (NULL: each put
	 * is already); called after every batch of puts */
	int (*flush)(struct mlp_remote_conn *c, struct mlp_err *err);
	/* drops puts not flushed (after a failure); may be NULL */
	void (*discard)(struct mlp_remote_conn *c);
	void (*close)(struct mlp_remote_conn *c);	/* accepts NULL */
};

extern const struct mlp_remote_backend mlp_remote_file;
extern const struct mlp_remote_backend mlp_remote_s3;
extern const struct mlp_remote_backend mlp_remote_http;
extern const struct mlp_remote_backend mlp_remote_https;

/* For backends: runs fn(ud, i) for i in [0, n) on up to jobs threads;
 * the first failure stops the rest and is returned in err. */
typedef int (*mlp_remote_job_fn)(void *ud, size_t i, struct mlp_err *err);
int mlp_remote_parallel(int jobs, size_t n, mlp_remote_job_fn fn, void *ud,
    struct mlp_err *err);

/* Complete temporary files waiting to become objects. Syncing each small
 * file on its own costs a journal commit per object; instead a batch is
 * written, made durable with one syncfs(), then renamed into place and
 * the directories synced, so a crash still leaves only temporary files or
 * whole objects. */
struct mlp_renames {
	pthread_mutex_t lock;
	char **tmp, **dest;
	size_t n, alloc;
};
void mlp_renames_init(struct mlp_renames *rn);
/* Queues tmp (complete, not synced) to become dest; takes both strings. */
void mlp_renames_add(struct mlp_renames *rn, char *tmp, char *dest);
/* syncfs() on the filesystem of sync_dir (which must be the one the files
 * and their destinations are on), renames every queued file (creating
 * dest directories), then syncfs() again for the renames. On failure the
 * files not yet renamed are removed. */
int mlp_renames_commit(struct mlp_renames *rn, const char *sync_dir,
    struct mlp_err *err);
/* Removes the queued temporary files. */
void mlp_renames_discard(struct mlp_renames *rn);
void mlp_renames_release(struct mlp_renames *rn);

/* The key of an object: "objects/ab/cdef..." (MLP_OID_HEXSZ + 10 bytes). */
#define MLP_REMOTE_KEYSZ (MLP_OID_HEXSZ + 10)
void mlp_remote_object_key(const struct mlp_oid *oid,
    char out[MLP_REMOTE_KEYSZ]);

#endif
