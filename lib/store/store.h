/* The content-addressed object store: immutable blobs under .mlp/objects/,
 * named by the SHA-256 of their content as git names its objects
 * (objects/ab/cdef..., the first two hex digits as directory), and trees,
 * which record a directory's regular files as a manifest that is itself an
 * object.
 *
 * Writing follows the durability rules of DESIGN.md: data goes to a file in
 * .mlp/tmp/ while it is hashed, is fsynced, and is renamed to its final name,
 * and the objects/ab directory is fsynced; a crash leaves a stray temporary
 * file (gc removes it) or a complete object, never a partial object under
 * its final name. Object files are read-only (0444).
 *
 * A tree manifest has one line per regular file, sorted bytewise by path:
 *
 *	MODE SIZE OID PATH\n
 *
 * MODE is 644 or 755 (the owner's executable bit), SIZE is decimal without
 * leading zeros, OID is 64 lowercase hex digits, PATH is relative with '/'
 * separators and runs to the end of the line: it may hold any byte but NUL
 * and newline (spaces included; nothing is quoted), has no empty, "." or ".."
 * component and no leading or trailing '/'. A path never names both a file
 * and a directory. An empty directory is the empty manifest (whose id is the
 * empty blob's); empty subdirectories are not recorded. Nothing in the
 * manifest says it is a tree: the caller records which ids are trees (the
 * artifact and model_version rows do).
 *
 * Trees hold regular files only: storing a directory that contains a
 * symbolic link, a FIFO, a socket or a device fails with an error naming it
 * (MLP_EUNSUPPORTED), before any object is written. A symbolic link given as
 * the top-level path itself is followed.
 *
 * SHA-256 comes from libcrypto, loaded on first use (lib/core/dl.h): a store
 * call that hashes may fail with MLP_EUNSUPPORTED when libcrypto is missing.
 *
 * A struct mlp_store is used by one thread at a time. */
#ifndef MLP_STORE_H
#define MLP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "../db/db.h"

/* Object ids. */

#define MLP_OID_RAWSZ 32
#define MLP_OID_HEXSZ 64

struct mlp_oid {
	unsigned char hash[MLP_OID_RAWSZ];
};

/* Writes the 64 lowercase hex digits of oid and a NUL into out. */
void mlp_oid_fmt(const struct mlp_oid *oid, char out[MLP_OID_HEXSZ + 1]);

/* Parses exactly 64 hex digits (either case); 0 or MLP_EINVAL (err names
 * the text). err may be NULL. */
int mlp_oid_parse(const char *hex, struct mlp_oid *out, struct mlp_err *err);

/* memcmp-style comparison of two ids. */
int mlp_oid_cmp(const struct mlp_oid *a, const struct mlp_oid *b);

/* SHA-256 through libcrypto (loaded on first use), for anything that
 * digests a stream: objects here, dataset fingerprints in lib/data. begin
 * gives MLP_EUNSUPPORTED when libcrypto cannot be loaded; end writes the
 * digest and frees the context; abort frees it without one and is safe
 * after end or a failed begin. */
struct mlp_sha256 {
	struct evp_md_ctx_st *ctx;
};
int mlp_sha256_begin(struct mlp_sha256 *h, struct mlp_err *err);
void mlp_sha256_update(struct mlp_sha256 *h, const void *p, size_t n);
void mlp_sha256_end(struct mlp_sha256 *h, struct mlp_oid *out);
void mlp_sha256_abort(struct mlp_sha256 *h);

/* The id n bytes would have as an object (their SHA-256), without storing
 * them. MLP_EUNSUPPORTED when libcrypto cannot be loaded. */
int mlp_oid_hash(const void *buf, size_t n, struct mlp_oid *out,
    struct mlp_err *err);

/* The store. */

struct mlp_store;

/* What a put did; the put functions add to it (callers zero it first), so
 * one struct can sum several puts. */
struct mlp_put_stats {
	uint64_t files;			/* regular files visited */
	uint64_t bytes;			/* their total size */
	uint64_t bytes_hashed;		/* bytes read and hashed */
	uint64_t bytes_written;		/* bytes of new objects (tree manifests
					 * included) */
	uint64_t objects_written;	/* new objects created */
	uint64_t cache_hits;		/* files whose id came from the stat
					 * cache, without reading them */
};

/* Called by puts, verifies and checkouts after each chunk of data (about
 * every 8 MiB, and once per file): done and total are bytes of the current
 * call (for a tree: of all its files). Runs on the calling thread. */
typedef void (*mlp_store_progress_fn)(uint64_t done, uint64_t total,
    void *ud);

/* Opens the object store of the repository whose .mlp directory is mlp_dir,
 * creating objects/ and tmp/ when missing. link_policy is the value of
 * store.link: a comma-separated preference list of checkout methods from
 * "reflink", "hardlink" and "copy" (NULL or "" = "reflink,copy"); an unknown
 * word is MLP_EINVAL listing the known ones. cache_db, when not NULL, holds
 * the stat cache (table stat_cache) and must outlive the store; NULL turns
 * the cache off. MLP_ENOTFOUND when mlp_dir does not exist. The caller frees
 * *out with mlp_store_free(). */
int mlp_store_open(struct mlp_store **out, const char *mlp_dir,
    const char *link_policy, struct mlp_db *cache_db, struct mlp_err *err);

/* While open, a store holds a shared lock on objects/ (flock): commands
 * that write and reference objects may run together, gc may not. This
 * trades the shared lock for an exclusive one, waiting up to wait_ms
 * (MLP_ELOCKED when others keep it). */
int mlp_store_lock_exclusive(struct mlp_store *st, int wait_ms,
    struct mlp_err *err);

/* Frees the store (not the database) and its lock; accepts NULL. */
void mlp_store_free(struct mlp_store *st);

/* Installs (or, with fn NULL, removes) the progress callback. */
void mlp_store_set_progress(struct mlp_store *st, mlp_store_progress_fn fn,
    void *ud);

/* The directories, absolute as given to mlp_store_open (borrowed). Files in
 * tmp/ are staging files of puts and checkouts in progress; one older than
 * any running command is debris of a crash that gc may remove. */
const char *mlp_store_objects_dir(const struct mlp_store *st);
const char *mlp_store_tmp_dir(const struct mlp_store *st);

/* The path the object oid has or would have (the caller frees it). */
char *mlp_store_object_path(const struct mlp_store *st,
    const struct mlp_oid *oid);

/* 1 when the object exists, else 0. */
int mlp_store_has(struct mlp_store *st, const struct mlp_oid *oid);

/* Stores the regular file at path (symbolic links are followed) in one pass:
 * read, hashed and written to tmp/ together, then renamed into place. Files
 * of 1 MiB and more are written with O_DIRECT on a second thread, and read
 * on a third, while the caller's thread hashes; smaller ones are read into
 * memory, and are not written at all when the object exists. With a stat
 * cache, a file whose device, inode, size, mtime and ctime match an entry
 * recorded more than 2 s after its last change (the racy-git rule), and whose
 * object exists with that size, is not read at all; after hashing, an entry
 * is recorded (in a transaction of its own, or in the caller's when
 * cache_db->in_tx is set) when the file did not change while it was read.
 * stats may be NULL. MLP_EINVAL when path is not a regular file,
 * MLP_ENOTFOUND when it does not exist, MLP_EFAIL on an I/O error. */
int mlp_store_put_file(struct mlp_store *st, const char *path,
    struct mlp_oid *out, struct mlp_put_stats *stats, struct mlp_err *err);

/* Stores n bytes from buf as an object (nothing is written when it exists).
 * Counts bytes_written and objects_written in stats when not NULL. */
int mlp_store_put_buf(struct mlp_store *st, const void *buf, size_t n,
    struct mlp_oid *out, struct mlp_put_stats *stats, struct mlp_err *err);

/* Stores path: a regular file as by mlp_store_put_file (*is_tree = 0), or
 * a directory as a tree (*is_tree = 1): every regular file beneath it is
 * stored and the manifest is stored last, so a tree object never names a
 * missing object. The directory is walked first; a path holding a newline
 * or not valid UTF-8 (MLP_EINVAL), a symbolic link or another special file
 * (MLP_EUNSUPPORTED) is refused before anything is written, naming the
 * path. A file replaced
 * during the walk is MLP_EFAIL. Stat cache entries are recorded in one
 * transaction at the end (also after a failure, for the files stored).
 * is_tree and stats may be NULL. */
int mlp_store_put_path(struct mlp_store *st, const char *path,
    struct mlp_oid *out, int *is_tree, struct mlp_put_stats *stats,
    struct mlp_err *err);

/* Opens the object for reading: *fd (the caller closes it) and *size. The
 * content is not verified. MLP_ENOTFOUND when the object does not exist. */
int mlp_store_open_object(struct mlp_store *st, const struct mlp_oid *oid,
    int *fd, uint64_t *size, struct mlp_err *err);

/* Reads a whole object of at most max bytes into *out (NUL-terminated, the
 * caller frees it; *len when not NULL gets the size) and checks its hash.
 * MLP_ENOTFOUND, MLP_EINVAL when larger than max, MLP_ECORRUPT on a hash
 * mismatch (naming the id and the hash found). */
int mlp_store_read_object(struct mlp_store *st, const struct mlp_oid *oid,
    size_t max, char **out, size_t *len, struct mlp_err *err);

/* Re-hashes the object. MLP_ENOTFOUND when it is missing, MLP_ECORRUPT
 * naming the id and the hash found when its content does not match. */
int mlp_store_verify(struct mlp_store *st, const struct mlp_oid *oid,
    struct mlp_err *err);

/* Resolves a unique prefix of 4 to 64 hex digits (either case) to an
 * existing object. MLP_EINVAL for text that is not such a prefix,
 * MLP_ENOTFOUND when no object matches, MLP_EAMBIGUOUS when several do (the
 * message lists up to five candidates). */
int mlp_store_resolve(struct mlp_store *st, const char *hex_prefix,
    struct mlp_oid *out, struct mlp_err *err);

/* Calls fn for every object file, in id order, with its id and path. Files
 * in objects/ whose names are not object ids are skipped. A non-zero return
 * from fn stops the walk and is returned; otherwise 0, or MLP_EFAIL when a
 * directory cannot be read. */
typedef int (*mlp_store_object_fn)(const struct mlp_oid *oid,
    const char *path, void *ud);
int mlp_store_foreach(struct mlp_store *st, mlp_store_object_fn fn, void *ud,
    struct mlp_err *err);

/* Trees. */

struct mlp_tree_entry {
	char *path;		/* relative, '/'-separated (owned) */
	unsigned mode;		/* 0644 or 0755 */
	uint64_t size;
	struct mlp_oid oid;
};

struct mlp_tree {
	struct mlp_tree_entry *v;	/* sorted by path once parsed or
					 * stored */
	size_t n, alloc;
};
#define MLP_TREE_INIT { NULL, 0, 0 }

void mlp_tree_init(struct mlp_tree *t);
/* Frees the entries and their paths; t can be reused after. */
void mlp_tree_release(struct mlp_tree *t);
/* Appends an entry (path is copied); mode is 0644 or 0755. Checked when the
 * tree is formatted or stored. */
void mlp_tree_add(struct mlp_tree *t, const char *path, unsigned mode,
    uint64_t size, const struct mlp_oid *oid);

/* Parses a manifest strictly (format above: sorted, no duplicates, valid
 * paths and fields) into out, which must be empty. MLP_ECORRUPT with the
 * line number and what is wrong; out is released on failure. */
int mlp_tree_parse(const char *buf, size_t n, struct mlp_tree *out,
    struct mlp_err *err);

/* MLP_EINVAL ("the path '...' is not valid UTF-8") when a path of t is not
 * valid UTF-8: the manifest format allows such bytes, but mlp stores only
 * text, so trees from outside (imports, pulls) are checked with this. */
int mlp_tree_check_utf8(const struct mlp_tree *t, struct mlp_err *err);

/* Sorts t and appends its canonical manifest to b. MLP_EINVAL naming the
 * path for an invalid path or mode, a duplicate, or a path that is both a
 * file and a directory. */
int mlp_tree_format(struct mlp_tree *t, struct mlp_buf *b,
    struct mlp_err *err);

/* Stores t's manifest (sorting t) and returns its id; the objects it names
 * are not checked. Errors as mlp_tree_format and mlp_store_put_buf. */
int mlp_store_put_tree(struct mlp_store *st, struct mlp_tree *t,
    struct mlp_oid *out, struct mlp_put_stats *stats, struct mlp_err *err);

/* Reads and parses the tree oid into out (empty; the caller releases it).
 * MLP_ENOTFOUND, or MLP_ECORRUPT naming the object when its hash or its
 * manifest is wrong. */
int mlp_store_read_tree(struct mlp_store *st, const struct mlp_oid *oid,
    struct mlp_tree *out, struct mlp_err *err);

/* Staging: objects that arrive piece by piece from outside (the entries
 * of an archive being imported) are written to files in tmp/ while they
 * are hashed, and become objects only when the caller commits them, all
 * together, after checking the whole: content that does not hash to the
 * id it claims never appears in objects/, and a stage freed without a
 * commit leaves nothing behind. */
struct mlp_store_stage;

/* A new, empty stage of st (which must outlive it). */
struct mlp_store_stage *mlp_store_stage_new(struct mlp_store *st);

/* Starts the next object. want, when not NULL, is the id it must have;
 * when the store holds that object already, what is written is only
 * hashed. An object left unfinished is dropped. */
int mlp_store_stage_begin(struct mlp_store_stage *sg,
    const struct mlp_oid *want, struct mlp_err *err);

/* Hashes n more bytes of the object and writes them to its file. */
int mlp_store_stage_write(struct mlp_store_stage *sg, const void *p,
    size_t n, struct mlp_err *err);

/* Ends the object: *got gets its id. MLP_ECORRUPT ("content hashes to
 * GOT not WANT") when it is not the id begin wanted; its file is removed
 * then. Otherwise the file waits for the commit (unless the store holds
 * the object already). */
int mlp_store_stage_end(struct mlp_store_stage *sg, struct mlp_oid *got,
    struct mlp_err *err);

/* Reads and parses the tree oid from the stage, or from the store when it
 * was not staged (as mlp_store_read_tree). */
int mlp_store_stage_read_tree(struct mlp_store_stage *sg,
    const struct mlp_oid *oid, struct mlp_tree *out, struct mlp_err *err);

/* Makes the staged objects durable (one syncfs), renames each into place
 * and syncs again, so the objects exist when this returns. Counts
 * objects_written and bytes_written in stats when not NULL. On failure the
 * objects not yet renamed stay staged (freeing the stage removes them). */
int mlp_store_stage_commit(struct mlp_store_stage *sg,
    struct mlp_put_stats *stats, struct mlp_err *err);

/* Removes every file of the stage not committed and frees it; accepts
 * NULL. */
void mlp_store_stage_free(struct mlp_store_stage *sg);

/* Checkout. */

/* Writes the object oid to dest: a file (mode 0644) when is_tree is 0,
 * else a directory holding the tree's files with their modes (dest and
 * subdirectories are created as needed; files already there that the tree
 * does not name are left alone). Each file is written under a temporary
 * name beside its destination and renamed into place (not fsynced: a
 * checkout can be redone from the store), trying the store's link policy in
 * order:
 *   reflink   a copy-on-write clone (ioctl FICLONE), then the clone is
 *             re-hashed; unsupported filesystems fall through;
 *   hardlink  the object is re-hashed, then linked: the file shares the
 *             object's inode and is read-only (0444). Not used for mode 755
 *             entries (the object's mode cannot change) nor across
 *             filesystems; those fall through;
 *   copy      the object is copied and hashed in the same pass;
 * and copy when every method in the list fell through. Existing files are
 * refused (MLP_EEXISTS, naming the first, before anything is written) unless
 * overwrite is set; existing directories in the way and symbolic links in
 * the destination's subdirectories are refused always. A damaged object is
 * MLP_ECORRUPT naming it, and leaves no file for it (files already checked
 * out by the same call stay). A tree whose paths would escape dest cannot
 * be parsed (MLP_ECORRUPT). */
int mlp_store_checkout(struct mlp_store *st, const struct mlp_oid *oid,
    int is_tree, const char *dest, int overwrite, struct mlp_err *err);

/* Checks the object out as *dir/name for reading, into a new directory
 * tmp/PREFIX-XXXXXX, or in $TMPDIR (default /tmp) when the repository is
 * read-only or its disk full, so that reading still works. The caller
 * removes *dir (mlp_remove_tree) and frees it; NULL on failure. Errors as
 * mlp_store_checkout, and MLP_EREADONLY or MLP_ENOSPACE. */
int mlp_store_checkout_scratch(struct mlp_store *st,
    const struct mlp_oid *oid, int is_tree, const char *prefix,
    const char *name, char **dir, struct mlp_err *err);

#endif
