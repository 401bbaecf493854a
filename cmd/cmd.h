/* The command line: the context every command receives, the option and
 * sub-verb tables, and output helpers (tables, CSV, JSON, colour). */
#ifndef MLP_CMD_H
#define MLP_CMD_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/core.h"
#include "db/db.h"
#include "repo/repo.h"

/* What the dispatcher sets up before a command runs (as git's RUN_SETUP). */
enum {
	NO_REPO = 0,	/* works anywhere */
	NEED_REPO = 1,	/* finds .mlp/ and opens the database */
	OPT_REPO = 2,	/* uses a repository when there is one */
};

struct mlp_ctx {
	const char *cmd;	/* "track runs", for messages */
	const struct mlp_command *command;	/* being run */
	const struct mlp_verb *verb;		/* being run, or NULL */
	int json, quiet, verbose, color, color_err;
	const char *chdir;	/* -C */
	struct mlp_repo *repo;
	struct mlp_db *db;
	struct mlp_store *store;	/* opened by mlp_ctx_store() */
	int argc;		/* the whole command line, for the record */
	char **argv;
};

/* One option. id 0 ends a table. arg is the value's name shown in help
 * (NULL for a flag); its name also picks what completion offers: RUN, EXP,
 * METRIC, PARAM, TAG, KEY=VALUE forms, FILE, DIR. */
struct mlp_opt {
	int id;
	char shrt;
	const char *lng;
	const char *arg;
	const char *help;
};

/* A sub-verb of a command (`mlp track runs`). args is the synopsis of its
 * positional arguments ("RUN METRIC", "[RUN]", "RUN..."); completion reads
 * the names from it. */
struct mlp_verb {
	const char *name;	/* "runs", or two words: "experiment create" */
	int (*fn)(struct mlp_ctx *ctx, int argc, char **argv);
	const struct mlp_opt *opts;
	const char *args;
	const char *summary;
};

/* A top-level command, defined by cmd/NAME.c as cmd_NAME. A command has
 * either verbs or its own run function with opts and args. */
struct mlp_command {
	const char *name;
	int (*run)(struct mlp_ctx *ctx, int argc, char **argv);
	int setup;
	const char *summary;
	const struct mlp_opt *opts;
	const char *args;
	const struct mlp_verb *verbs;
	/* with verbs: the verb run when the first argument is not one
	 * (`mlp register PATH -n NAME` is `mlp register create ...`) */
	const char *default_verb;
};

/* The table built from commands.def. */
extern const struct mlp_command *const mlp_commands[];
const struct mlp_command *mlp_command_find(const char *name);
/* The verb of c that words[0] names, or words[0] and words[1] for a
 * two-word verb (which wins over a one-word verb of the same first word:
 * "alias rm" over "alias"); *used says how many words named it. NULL when
 * no verb matches. */
const struct mlp_verb *mlp_verb_find(const struct mlp_command *c, int n,
    char **words, int *used);
/* Options every command accepts (--json, -q, -v, --no-color, -h). */
extern const struct mlp_opt mlp_global_opts[];

/* Option parsing. Options and positionals may be mixed; "--" ends options.
 * Global options are accepted after the command too. */
enum { OPT_HELP = 1000, OPT_JSON, OPT_QUIET, OPT_VERBOSE, OPT_NO_COLOR,
	OPT_CHDIR, OPT_VERSION };
struct mlp_optparse {
	struct mlp_ctx *ctx;
	const struct mlp_opt *opts;
	int argc, i;
	char **argv;
	const char *shortp;	/* inside a group of short options */
	const char *arg;	/* the current option's value */
	char **pos;		/* positional arguments, in order */
	int npos;
	const char *usage_verb;	/* for -h: "track runs" */
	const char *usage_args;
	const char *summary;
};

/* Starts parsing with the options, synopsis and summary of the verb (or
 * command) being run, from the tables. */
void mlp_opt_init(struct mlp_optparse *p, struct mlp_ctx *ctx, int argc,
    char **argv);
/* Next option id; 0 when done (positionals in p->pos), -1 after printing a
 * usage error (the command exits 2). -h prints usage and returns -2 (exit
 * 0). Global options are handled inside and skipped. */
int mlp_opt_next(struct mlp_optparse *p);
void mlp_opt_release(struct mlp_optparse *p);
/* Peeks at the next raw argument without consuming it (NULL at the end). */
const char *mlp_opt_peek(struct mlp_optparse *p);
void mlp_opt_skip(struct mlp_optparse *p);
/* Looks through argv[1..] as mlp_opt_next would parse it with opts (option
 * values skipped, "--" ends the options), printing nothing: OPT_HELP when
 * -h or --help comes first, OPT_CHDIR when a "-C" opts does not know comes
 * first (its index in *at), else 0. The dispatcher answers -h with this
 * before any setup. */
int mlp_opt_scan(const struct mlp_opt *opts, int argc, char **argv, int *at);
/* The exit code for a -1/-2 from mlp_opt_next. */
#define OPT_EXIT(r) ((r) == -2 ? 0 : 2)

/* Usage text for a command or verb, to the given stream. */
void mlp_usage(FILE *fp, const char *cmdname, const struct mlp_opt *opts,
    const char *args, const char *summary);

/* Errors: "mlp: CMD: MSG" (and "hint: ..."), returning the exit code: 2
 * for invalid input and syntax errors, else 1. */
int mlp_fail(struct mlp_ctx *ctx, const struct mlp_err *err);
int mlp_failf(struct mlp_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void mlp_hint(struct mlp_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error: message, then "see 'mlp CMD -h'"; returns 2. */
int mlp_usage_error(struct mlp_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints a note to stderr unless -q. */
void mlp_info(struct mlp_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Output. */
const char *mlp_color(struct mlp_ctx *ctx, const char *code);	/* "" off */
#define C_RESET "0"
#define C_BOLD "1"
#define C_DIM "2"
#define C_RED "31"
#define C_GREEN "32"
#define C_YELLOW "33"
#define C_BLUE "34"
#define C_CYAN "36"

/* Prints a JSON document (compact, one line) and frees it. */
void mlp_print_json(cJSON *doc);

/* A text table: header cells, then rows; printed with aligned columns.
 * Cells are copied. A column is right-aligned when right[i] is set. */
struct mlp_table {
	size_t ncols, nrows;
	char **cells;		/* (nrows + 1) * ncols, row 0 is the header */
	size_t alloc;
	int *right;
	const char **color;	/* per-cell colour code or NULL */
};
void mlp_table_init(struct mlp_table *t, size_t ncols, const char *const *hdr);
/* Cells are shown on one line each: mlp_table_add() escapes newlines,
 * tabs and other control characters as \n, \t, \xNN (JSON and CSV keep
 * the real text). */
void mlp_table_add(struct mlp_table *t, const char *const *row);
void mlp_table_set_color(struct mlp_table *t, size_t row, size_t col,
    const char *code);
void mlp_table_print(struct mlp_ctx *ctx, struct mlp_table *t);
void mlp_table_release(struct mlp_table *t);

/* Text as a terminal line shows it: control characters escaped as the
 * table does (newline as \n, tab as \t, others \xNN or \u00NN). The
 * caller frees it. */
char *mlp_display(const char *s);

/* one or many after a count: "1 run", "2 runs". */
const char *mlp_plural(int64_t n, const char *one, const char *many);
/* The ending of a regular plural: "s", or "" when n is 1 ("%d object%s"). */
const char *mlp_plural_s(uint64_t n);

/* Writes one CSV field (RFC 4180 quoting) followed by sep. */
void mlp_csv_field(FILE *fp, const char *s, char sep);

/* The repository's object store, opened on first use with the store.link
 * policy from the config, and a progress bar on a terminal. Returns 0, or
 * the exit code after printing why. */
int mlp_ctx_store(struct mlp_ctx *ctx, struct mlp_store **out);

/* The width of the terminal on stderr (TIOCGWINSZ), else $COLUMNS, else
 * 80: a progress line longer than this would wrap. */
int mlp_term_width(void);

/* A progress line on stderr when it is a terminal and not -q: "what  45%
 * 450.0 MiB / 1.0 GiB", cut to the terminal's width; done == total ends
 * the line. */
void mlp_progress(struct mlp_ctx *ctx, const char *what, uint64_t done,
    uint64_t total);

/* The whole command line as a shell would read it back (arguments with
 * special characters single-quoted), for the record; the caller frees it. */
char *mlp_ctx_cmdline(const struct mlp_ctx *ctx);

/* Formats a byte count: "512 B", "1.5 KiB", "3.2 GiB". */
void mlp_fmt_bytes(uint64_t n, char *out, size_t size);

/* Per-command entry points. */
#define MLP_CMD(name, setup, summary) \
	extern const struct mlp_command cmd_##name;
#include "commands.def"
#undef MLP_CMD

#endif
