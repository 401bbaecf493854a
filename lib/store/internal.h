/* What the files of lib/store share; callers use store.h only. */
#ifndef MLP_STORE_INTERNAL_H
#define MLP_STORE_INTERNAL_H

#include <sys/stat.h>

#include <openssl/evp.h>

#include "../db/db.h"
#include "store.h"
#include "remote.h"

/* Files smaller than this are read into memory and written buffered;
 * larger ones go through the pipeline (stream.c). */
#define STORE_SMALL (1u << 20)
/* The pipeline's chunk size and number of chunks in flight. */
#define STORE_CHUNK (8u << 20)
#define STORE_NBUF 4
/* Alignment of buffers, offsets and lengths for O_DIRECT. */
#define STORE_ALIGN 4096u
/* A stat cache entry is trusted only when the file last changed this long
 * before the entry was recorded (timestamps may be coarse). */
#define STORE_RACY_NS (2 * 1000000000LL)

enum store_link { LINK_REFLINK, LINK_HARDLINK, LINK_COPY };

struct cache_entry {
	char *path;
	struct stat sb;
	struct mlp_oid oid;
	int64_t recorded_ns;
};

struct mlp_store {
	char *dir, *objects, *tmp;
	enum store_link links[3];
	size_t nlinks;
	struct mlp_db *db;
	mlp_store_progress_fn progress;
	void *progress_ud;
	uint64_t done, total;		/* progress of the current call */
	unsigned char *bufs[STORE_NBUF];	/* the pipeline's, on first use */
	struct cache_entry *pending;	/* stat cache rows not yet written */
	size_t npending, apending;
	unsigned tmp_seq;
	sqlite3_stmt *lookup;		/* the stat cache query, prepared once */
	int lock_fd;			/* objects/, flock()ed shared or
					 * exclusive (gc) */
};


/* Nanoseconds since the epoch, from the clock file timestamps use. */
int64_t store_now_ns(void);

/* Reports progress after n more bytes of the current call. */
void store_progress(struct mlp_store *st, uint64_t n);

/* Copies in to out (when out >= 0) and hashes what was read, in one pass
 * with a reader and a writer thread (stream.c). direct: out was opened with
 * O_DIRECT; it is turned off for an unaligned tail or when refused. *bytes
 * gets the number of bytes read. Messages name in_name or out_name. */
int store_stream(struct mlp_store *st, int in, const char *in_name, int out,
    const char *out_name, int direct, struct mlp_oid *oid, uint64_t *bytes,
    struct mlp_err *err);

/* Hashes everything from the start of fd (store_stream without output, or
 * a plain loop for small files). */
int store_hash_fd(struct mlp_store *st, int fd, const char *name,
    uint64_t size, struct mlp_oid *oid, uint64_t *bytes, struct mlp_err *err);

/* Writes n bytes at the current offset, retrying short writes. */
int store_write_all(int fd, const void *p, size_t n, const char *name,
    struct mlp_err *err);

/* Stores the regular file open as fd (object.c). When expect is not NULL
 * the file must be that inode. cache_path, when not NULL, is the file's
 * stat cache key: an entry is queued when the file did not change while it
 * was read. *size (when not NULL) gets the object's size. name is used in
 * messages. */
int store_put_fd(struct mlp_store *st, int fd, const struct stat *expect,
    const char *name, const char *cache_path, struct mlp_oid *out,
    uint64_t *size, struct mlp_put_stats *stats, struct mlp_err *err);

/* 1 when the stat cache vouches that the file at path with stat sb holds
 * the existing object *out, else 0. */
int store_cache_lookup(struct mlp_store *st, const char *path,
    const struct stat *sb, struct mlp_oid *out);

/* Counts a cache hit for a file of stat sb in progress and stats. */
void store_count_hit(struct mlp_store *st, const struct stat *sb,
    struct mlp_put_stats *stats);

/* Starts the progress of a call that will process total bytes. */
void store_progress_begin(struct mlp_store *st, uint64_t total);

/* Writes the pending stat cache rows, warning through mlp_log when the
 * database refuses (the cache is an optimisation, never a failure). */
void store_cache_flush(struct mlp_store *st);

/* Opens the object read-only; MLP_ENOTFOUND when missing. */
int store_open_object(struct mlp_store *st, const struct mlp_oid *oid,
    int *fd, struct stat *sb, struct mlp_err *err);

/* Sets err to MLP_ECORRUPT for an object whose content hashes to found. */
int store_corrupt(struct mlp_err *err, const struct mlp_oid *oid,
    const struct mlp_oid *found);

/* The S3 backend's pure parts (remote-s3.c), for unit tests. SigV4's URI
 * encoding: unreserved bytes as they are, '/' too when keep_slash, the
 * rest %XX (uppercase). */
void s3_uri_encode(struct mlp_buf *b, const char *s, int keep_slash);
/* A ListObjectsV2 query for prefix, continuing after token (NULL for the
 * first page), its parameters sorted by name. */
void s3_list_query(struct mlp_buf *q, const char *token, const char *prefix);
/* Calls fn for every <Contents> of a ListObjectsV2 page whose key starts
 * with prefix (with the prefix cut off, entities decoded); sets
 * *truncated and token (the next continuation token) when the page says
 * there is more. Returns fn's first non-zero value, else 0. */
int s3_parse_list(const char *xml, const char *prefix, mlp_remote_list_fn fn,
    void *ud, struct mlp_buf *token, int *truncated);

/* syncfs() of the file system holding dir: data and metadata of every file
 * written there, in one journal commit. 0, or MLP_EFAIL naming dir. */
int store_sync_fs(const char *dir, struct mlp_err *err);

/* The largest tree object read whole. */
#define STORE_TREE_MAX ((size_t)1 << 30)
/* Parses the tree object oid read into buf (which it frees); the error
 * names the tree when it is malformed. */
int store_tree_parse(char *buf, size_t len, const struct mlp_oid *oid,
    struct mlp_tree *out, struct mlp_err *err);

#endif
