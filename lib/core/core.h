/* Core helpers shared by every module: errors, buffers, allocation, ids, time. */
#ifndef MLP_CORE_H
#define MLP_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MLP_VERSION "0.1.0"

/* Error codes: 0 is success, failures are negative. A distinct code exists
 * only where a caller branches on it. */
enum {
	MLP_OK = 0,
	MLP_EFAIL = -1,		/* generic failure */
	MLP_ENOTFOUND = -2,	/* the named thing does not exist */
	MLP_EEXISTS = -3,	/* it exists already */
	MLP_EINVAL = -4,	/* invalid input (usage-level: exit 2) */
	MLP_EAMBIGUOUS = -5,	/* a prefix matches several things */
	MLP_ELOCKED = -6,	/* a lock is held by someone else */
	MLP_EUNSUPPORTED = -7,	/* recognised but not supported */
	MLP_ENOREPO = -8,	/* no .mlp/ found */
	MLP_ECORRUPT = -9,	/* data on disk is damaged or not ours */
	MLP_ESYNTAX = -10,	/* a parse error; err->pos holds the column */
	MLP_EINTR = -11,	/* stopped by the user (Ctrl-C) */
	MLP_EREADONLY = -12,	/* the repository cannot be written */
	MLP_ENOSPACE = -13,	/* the disk (or the user's quota) is full */
};

struct mlp_err {
	int code;
	int pos;		/* byte offset for MLP_ESYNTAX, else -1 */
	char msg[512];
};

/* Sets err (when not NULL) to code and a printf-style message; returns code. */
int mlp_err_set(struct mlp_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Puts "fmt: " in front of the message already in err; returns err->code. */
int mlp_err_prefix(struct mlp_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Clears err to success. */
void mlp_err_clear(struct mlp_err *err);

/* Sets err for a write that failed with errno e, as "WHAT: strerror(e)"
 * with WHAT from fmt: ENOSPC and EDQUOT give MLP_ENOSPACE and "disk is
 * full: " in front; when in_repo is set (the file is inside .mlp/), EROFS,
 * EACCES and EPERM give MLP_EREADONLY and "repository is read-only: " in
 * front; anything else MLP_EFAIL. Returns the code. */
int mlp_err_write(struct mlp_err *err, int e, int in_repo, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/* Allocation that aborts on out-of-memory, so call sites stay short. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows an array *p holding *alloc elements of size sz to at least need. */
void mlp_grow(void *pp, size_t *alloc, size_t need, size_t sz);

/* A growable byte buffer, always NUL-terminated. */
struct mlp_buf {
	char *s;
	size_t len, alloc;
};
#define MLP_BUF_INIT { NULL, 0, 0 }

void mlp_buf_init(struct mlp_buf *b);
void mlp_buf_release(struct mlp_buf *b);
void mlp_buf_reset(struct mlp_buf *b);
void mlp_buf_grow(struct mlp_buf *b, size_t extra);
void mlp_buf_add(struct mlp_buf *b, const void *data, size_t n);
void mlp_buf_adds(struct mlp_buf *b, const char *s);
void mlp_buf_addc(struct mlp_buf *b, char c);
void mlp_buf_addf(struct mlp_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mlp_buf_vaddf(struct mlp_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends s as a JSON string, quoted and escaped; a byte that is not
 * valid UTF-8 (a message cut short, say) becomes U+FFFD. */
void mlp_buf_json_str(struct mlp_buf *b, const char *s);
/* The same of s[0..n), which may hold NUL bytes (as \u0000). */
void mlp_buf_json_strn(struct mlp_buf *b, const char *s, size_t n);
/* Hands the string over to the caller, who frees it; b is left empty. */
char *mlp_buf_detach(struct mlp_buf *b);
/* Returns a pointer to the contents, "" when empty (never NULL). */
const char *mlp_buf_str(const struct mlp_buf *b);

/* A list of owned strings. */
struct mlp_strv {
	char **v;
	size_t n, alloc;
};
#define MLP_STRV_INIT { NULL, 0, 0 }
void mlp_strv_push(struct mlp_strv *sv, const char *s);
void mlp_strv_push_owned(struct mlp_strv *sv, char *s);
void mlp_strv_release(struct mlp_strv *sv);

/* Milliseconds since the epoch (wall clock). */
int64_t mlp_now_ms(void);
/* Monotonic seconds, for measuring durations. */
double mlp_mono(void);
/* Formats ms since the epoch as local "YYYY-MM-DD HH:MM:SS" into out. */
void mlp_fmt_time(int64_t ms, char *out, size_t n);
/* Formats a duration in ms as "1h02m", "3m04s", "5.2s", "120ms". */
void mlp_fmt_duration(int64_t ms, char *out, size_t n);

/* Removes path and, when it is a directory, everything below it (no
 * symlink is followed). A missing path is not an error. */
int mlp_remove_tree(const char *path, struct mlp_err *err);

/* Creates a new file beside path, named path.tmp-XXXXXXXXXXXX, for writing
 * (mode 0666 less the umask), to be renamed over path when complete. Returns
 * the descriptor and *tmp (the caller frees it), or MLP_EFAIL. */
int mlp_create_beside(const char *path, char **tmp, struct mlp_err *err);

/* Opens path to write new content into: a new or regular file through
 * mlp_create_beside (*tmp set: rename it over path once complete, unlink it
 * on failure), anything else (a symlink such as /dev/stdout, a FIFO, a
 * device) in place, truncated (*tmp NULL), as renaming over it would
 * replace it. Returns the descriptor or MLP_EFAIL. */
int mlp_output_open(const char *path, char **tmp, struct mlp_err *err);

/* Writes buf as the whole content of path through mlp_output_open: a
 * failure leaves a regular file as it was. 0 or MLP_EFAIL. */
int mlp_write_file(const char *path, const void *buf, size_t n,
    struct mlp_err *err);

/* A local file URI as MLflow accepts for a model source: for
 * "file:///PATH" or "file://localhost/PATH" sets *path to PATH with %XX
 * escapes decoded (the caller frees it) and returns 1; returns 0 for
 * anything else; MLP_EINVAL for a file URI naming another host, a bad
 * escape or an escaped NUL. */
int mlp_file_uri(const char *s, char **path, struct mlp_err *err);

/* Reads the whole file at path ("-" for standard input) into *out,
 * NUL-terminated (the caller frees it), its length in *len. MLP_ENOTFOUND,
 * MLP_EINVAL for a directory or a file over max bytes, MLP_EFAIL. */
int mlp_read_file(const char *path, size_t max, char **out, size_t *len,
    struct mlp_err *err);

/* 1 when s ends with suffix and has something before it, else 0. */
int mlp_ends_with(const char *s, const char *suffix);

/* Fills out with n random bytes from the kernel; 0 or MLP_EFAIL. */
int mlp_random(void *out, size_t n, struct mlp_err *err);
/* Writes a new random 32-hex-digit id and a NUL into out[33]. */
int mlp_new_id(char out[33], struct mlp_err *err);

/* Strict number parsing: the whole string must be consumed. 0 or -1;
 * mlp_parse_double gives -2 for a literal too large for a double (1e400:
 * out of range, not inf) and takes subnormals (1e-320). */
int mlp_parse_double(const char *s, double *out);
int mlp_parse_int64(const char *s, int64_t *out);
/* Parses an age: "30d", "12h", "90m", "45s", "500ms", "2w", plain seconds,
 * git's "2.weeks.ago" / "3.days" forms, or "now" (0). 0 or -1. */
int mlp_parse_age_ms(const char *s, int64_t *ms);

/* The edit distance (insertions, deletions, substitutions) of a[0..na)
 * and b[0..nb), ignoring ASCII case, for "did you mean"; SIZE_MAX when
 * either is 64 bytes or longer (names only). */
size_t mlp_edit_distance(const char *a, size_t na, const char *b, size_t nb);

/* Text mlp stores and prints must be valid UTF-8 (JSON output carries it
 * as is). Returns the byte offset of the first invalid sequence in s[0..n),
 * or -1 when all of it is valid. Overlong forms, surrogates and code points
 * past U+10FFFF are invalid, as RFC 3629 says. */
long mlp_utf8_invalid(const char *s, size_t n);
/* The rule applied: MLP_EINVAL with "WHAT 'S' is not valid UTF-8" (S cut
 * and escaped) when s is not valid UTF-8, else 0. what names the field:
 * "run name", "param 'lr'". */
int mlp_check_utf8(const char *what, const char *s, struct mlp_err *err);

/* Formats a double the shortest way that reads back exactly ("nan", "inf");
 * a whole number below 1e16 as an integer ("1796293731560", not
 * "1.79629373156e+12"). */
void mlp_fmt_double(double v, char *out, size_t n);

/* Processes, told apart from later ones that reuse their pid (track's
 * killed runs, deploy's locks, the servers' heartbeats). mlp_proc_start
 * writes what identifies process pid, its start time in clock ticks since
 * boot and the boot's id, into out: 0, or -1 when there is no such
 * process to read. mlp_proc_alive says whether the process recorded as
 * pid_s with start time start lives (1) or not (0); a pid it cannot judge
 * (not a number, hidden by hidepid) counts as alive. mlp_hostname: the
 * host name, 0 or -1. */
int mlp_proc_start(pid_t pid, char *out, size_t n);
int mlp_proc_alive(const char *pid_s, const char *start);
int mlp_hostname(char *out, size_t n);

/* Logging to stderr through a callback that cmd/ installs. */
enum mlp_log_level { MLP_LOG_ERROR, MLP_LOG_WARN, MLP_LOG_INFO, MLP_LOG_DEBUG };
typedef void (*mlp_log_fn)(enum mlp_log_level, const char *msg, void *ud);
void mlp_log_set(mlp_log_fn fn, void *ud);
void mlp_log(enum mlp_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
