/* main(): global options, the command table, dispatch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "cmd.h"

#define MLP_CMD(name, setup, summary) &cmd_##name,
const struct mlp_command *const mlp_commands[] = {
#include "commands.def"
	NULL,
};
#undef MLP_CMD

int mlp_complete_main(struct mlp_ctx *ctx, int argc, char **argv);
void mlp_help_all(FILE *fp);
void mlp_help_command(FILE *fp, const struct mlp_command *c);

const struct mlp_command *
mlp_command_find(const char *name)
{
	for (size_t i = 0; mlp_commands[i]; i++)
		if (strcmp(mlp_commands[i]->name, name) == 0)
			return mlp_commands[i];
	return NULL;
}

/* Lists the names close to word, as git does. */
static void
did_you_mean(const char *word, const char *const *names, size_t n)
{
	const char *close[64];
	size_t nclose = 0;

	/* names that start with word first; else those a typo away */
	for (size_t i = 0; i < n && nclose < 64; i++)
		if (strlen(word) >= 2 &&
		    strncmp(names[i], word, strlen(word)) == 0)
			close[nclose++] = names[i];
	if (nclose == 0) {
		/* the nearest ones, as git lists its best candidates */
		size_t best = 3;

		for (size_t i = 0; i < n; i++) {
			size_t d = mlp_edit_distance(word, strlen(word),
			    names[i], strlen(names[i]));

			if (d < best) {
				best = d;
				nclose = 0;
			}
			if (d == best && nclose < 64)
				close[nclose++] = names[i];
		}
	}
	if (nclose == 0)
		return;
	fprintf(stderr, "\nThe most similar %s\n", nclose == 1 ?
	    "command is" : "commands are");
	for (size_t i = 0; i < nclose; i++)
		fprintf(stderr, "\t%s\n", close[i]);
}

static int
run_external(struct mlp_ctx *ctx, const char *name, int argc, char **argv)
{
	char *prog = xasprintf("mlp-%s", name);
	char **args = xcalloc((size_t)argc + 1, sizeof(*args));
	const char *names[64];
	size_t n = 0;

	args[0] = prog;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	fflush(stdout);
	execvp(prog, args);
	if (errno != ENOENT) {
		mlp_failf(ctx, 1, "cannot run '%s': %s", prog, strerror(errno));
		free(args);
		free(prog);
		return 1;
	}
	free(args);
	free(prog);
	mlp_failf(ctx, 2, "'%s' is not an mlp command; see 'mlp help'", name);
	for (size_t i = 0; mlp_commands[i] && n < 64; i++)
		names[n++] = mlp_commands[i]->name;
	did_you_mean(name, names, n);
	return 2;
}

const struct mlp_verb *
mlp_verb_find(const struct mlp_command *c, int n, char **words, int *used)
{
	const struct mlp_verb *v, *one = NULL;

	*used = 0;
	if (!c->verbs || n < 1)
		return NULL;
	for (v = c->verbs; v->name; v++) {
		const char *sp = strchr(v->name, ' ');

		if (!sp && strcmp(v->name, words[0]) == 0)
			one = v;
		if (sp && n > 1 &&
		    strncmp(v->name, words[0], (size_t)(sp - v->name)) == 0 &&
		    words[0][sp - v->name] == '\0' &&
		    strcmp(sp + 1, words[1]) == 0) {
			*used = 2;
			return v;
		}
	}
	if (one)
		*used = 1;
	return one;
}

/* "mlp track -C DIR runs": -C is a global option, given before the
 * command; says so with the command line meant. argv is the whole command
 * line and argv[at] the -C. */
static int
chdir_misplaced(struct mlp_ctx *ctx, int argc, char **argv, int at)
{
	struct mlp_ctx line = { 0 };
	const char *dir = argv[at][2] ? argv[at] + 2 :
	    at + 1 < argc ? argv[at + 1] : "DIR";
	char *s;
	int n = 0;

	line.argv = xcalloc((size_t)argc + 3, sizeof(*line.argv));
	line.argv[n++] = "mlp";
	line.argv[n++] = "-C";
	line.argv[n++] = (char *)dir;
	for (int i = 1; i < argc; i++) {
		if (i == at)
			i += !argv[at][2];
		else
			line.argv[n++] = argv[i];
	}
	line.argc = n;
	s = mlp_ctx_cmdline(&line);
	mlp_failf(ctx, 2, "-C goes before the command: %s", s);
	free(s);
	free(line.argv);
	return 2;
}

static int
setup_repo(struct mlp_ctx *ctx, const struct mlp_command *c)
{
	struct mlp_err err;
	int rc;

	if (c->setup == NO_REPO)
		return 0;
	mlp_err_clear(&err);
	rc = mlp_repo_discover(&ctx->repo, ".", getenv("MLP_DIR"), &err);
	if (rc == MLP_ENOREPO && c->setup == OPT_REPO)
		return 0;
	if (rc < 0 || (c->setup == NEED_REPO &&
	    (rc = mlp_repo_open_db(ctx->repo, &ctx->db, &err)) < 0)) {
		mlp_fail(ctx, &err);
		return -1;
	}
	return 0;
}

/* mlp COMMAND [VERB] ARGS: resolves the verb (two words, or the default
 * verb), answers -h/--help from the tables before any setup (git's rule:
 * help works anywhere, and no command body runs for it), sets up the
 * repository as the command asks and runs it. argv[0] is the command. */
static int
dispatch(struct mlp_ctx *ctx, const struct mlp_command *c, int argc,
    char **argv, int cmd_at)
{
	const struct mlp_verb *v = NULL;
	const struct mlp_opt *opts = c->opts;
	const char *args = c->args, *summary = c->summary;
	char *full = NULL;
	int words = 0, at = 0, rc;

	if (c->verbs) {
		if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0) {
			mlp_help_command(argc < 2 ? stderr : stdout, c);
			return argc < 2 ? 2 : 0;
		}
		if (strncmp(argv[1], "-C", 2) == 0)
			return chdir_misplaced(ctx, ctx->argc, ctx->argv,
			    cmd_at + 1);
		v = mlp_verb_find(c, argc - 1, argv + 1, &words);
		if (!v && c->default_verb) {
			for (v = c->verbs; v->name; v++)
				if (strcmp(v->name, c->default_verb) == 0)
					break;
			words = 0;
		}
		if (!v || !v->name) {
			const char *names[64], *prev = NULL;
			size_t n = 0;

			mlp_usage_error(ctx, "unknown verb '%s'", argv[1]);
			for (v = c->verbs; v->name && n < 64; v++) {
				size_t len = strcspn(v->name, " ");

				if (prev && strncmp(prev, v->name, len) == 0)
					continue;
				names[n++] = prev = v->name;
			}
			did_you_mean(argv[1], names, n);
			return 2;
		}
		full = xasprintf("%s %s", c->name, v->name);
		ctx->verb = v;
		opts = v->opts;
		args = v->args;
		summary = v->summary;
		argc -= words;
		argv += words;
	}
	/* setup's errors name the command, the verb's the verb */
	switch (mlp_opt_scan(opts, argc, argv, &at)) {
	case OPT_HELP:
		mlp_usage(stdout, full ? full : c->name, opts, args, summary);
		rc = 0;
		break;
	case OPT_CHDIR:
		ctx->cmd = full ? full : c->name;
		rc = chdir_misplaced(ctx, ctx->argc, ctx->argv,
		    cmd_at + words + at);
		break;
	default:
		if (setup_repo(ctx, c) < 0) {
			rc = 1;
			break;
		}
		ctx->cmd = full ? full : c->name;
		rc = v ? v->fn(ctx, argc, argv) : c->run(ctx, argc, argv);
	}
	ctx->cmd = c->name;
	ctx->verb = NULL;
	free(full);
	return rc;
}

static int
use_color(int fd)
{
	const char *term = getenv("TERM");

	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		return 0;
	return isatty(fd) && term && strcmp(term, "dumb") != 0;
}

static int
finish_output(struct mlp_ctx *ctx, int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			mlp_failf(ctx, 1, "cannot write output: %s",
			    strerror(errno));
		return rc ? rc : 1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct mlp_ctx ctx = { 0 };
	const struct mlp_command *c;
	int i, rc;

	ctx.argc = argc;
	ctx.argv = argv;
	ctx.cmd = "";
	ctx.color = use_color(1);
	ctx.color_err = use_color(2);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--version") == 0) {
			printf("mlp version %s\n", MLP_VERSION);
			return finish_output(&ctx, 0);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			mlp_help_all(stdout);
			return finish_output(&ctx, 0);
		} else if (strcmp(a, "-C") == 0 || strncmp(a, "-C", 2) == 0) {
			const char *dir = a[2] ? a + 2 : argv[++i];

			if (!dir)
				return mlp_usage_error(&ctx, "-C needs a "
				    "directory");
			if (chdir(dir) < 0)
				return mlp_failf(&ctx, 1, "cannot change to "
				    "'%s': %s", dir, strerror(errno));
		} else if (strcmp(a, "--json") == 0) {
			ctx.json = 1;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			ctx.quiet = 1;
		} else if (strcmp(a, "-v") == 0 ||
		    strcmp(a, "--verbose") == 0) {
			ctx.verbose++;
		} else if (strcmp(a, "--no-color") == 0) {
			ctx.color = ctx.color_err = 0;
		} else {
			return mlp_usage_error(&ctx, "unknown option '%s'", a);
		}
	}
	if (i >= argc) {
		mlp_help_all(stderr);
		return 2;
	}
	if (strcmp(argv[i], "__complete") == 0)
		return finish_output(&ctx,
		    mlp_complete_main(&ctx, argc - i - 1, argv + i + 1));
	c = mlp_command_find(argv[i]);
	if (!c)
		return run_external(&ctx, argv[i], argc - i, argv + i);
	ctx.cmd = c->name;
	ctx.command = c;
	rc = dispatch(&ctx, c, argc - i, argv + i, i);
	mlp_store_free(ctx.store);
	mlp_db_close(ctx.db);
	mlp_repo_free(ctx.repo);
	return finish_output(&ctx, rc);
}
