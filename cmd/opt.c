/* Option parsing and usage text, both driven by the mlp_opt tables. */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

const struct mlp_opt mlp_global_opts[] = {
	{ OPT_HELP, 'h', "help", NULL, "show this help" },
	{ OPT_JSON, 0, "json", NULL, "print data as JSON" },
	{ OPT_QUIET, 'q', "quiet", NULL, "print only data and errors" },
	{ OPT_VERBOSE, 'v', "verbose", NULL, "print more detail" },
	{ OPT_NO_COLOR, 0, "no-color", NULL, "never use colour" },
	{ 0, 0, NULL, NULL, NULL },
};

void
mlp_opt_init(struct mlp_optparse *p, struct mlp_ctx *ctx, int argc,
    char **argv)
{
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->opts = ctx->verb ? ctx->verb->opts : ctx->command->opts;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
	p->usage_verb = ctx->cmd;
	p->usage_args = ctx->verb ? ctx->verb->args : ctx->command->args;
	p->summary = ctx->verb ? ctx->verb->summary : ctx->command->summary;
	p->pos = xcalloc((size_t)argc + 1, sizeof(*p->pos));
}

void
mlp_opt_release(struct mlp_optparse *p)
{
	free(p->pos);
	p->pos = NULL;
}

static const struct mlp_opt *
find_long(const struct mlp_opt *opts, const char *name, size_t len)
{
	for (; opts && opts->id; opts++)
		if (opts->lng && strlen(opts->lng) == len &&
		    strncmp(opts->lng, name, len) == 0)
			return opts;
	return NULL;
}

static const struct mlp_opt *
find_short(const struct mlp_opt *opts, char c)
{
	for (; opts && opts->id; opts++)
		if (opts->shrt == c)
			return opts;
	return NULL;
}

/* Handles a global option; 1 if it was one, -2 for -h. */
static int
global_opt(struct mlp_optparse *p, int id)
{
	struct mlp_ctx *ctx = p->ctx;

	switch (id) {
	case OPT_HELP:
		mlp_usage(stdout, p->usage_verb, p->opts, p->usage_args,
		    p->summary);
		return -2;
	case OPT_JSON:
		ctx->json = 1;
		return 1;
	case OPT_QUIET:
		ctx->quiet = 1;
		return 1;
	case OPT_VERBOSE:
		ctx->verbose++;
		return 1;
	case OPT_NO_COLOR:
		ctx->color = ctx->color_err = 0;
		return 1;
	}
	return 0;
}

const char *
mlp_opt_peek(struct mlp_optparse *p)
{
	return p->i < p->argc ? p->argv[p->i] : NULL;
}

void
mlp_opt_skip(struct mlp_optparse *p)
{
	if (p->i < p->argc)
		p->i++;
}

/* The next option of p's table (or a global one), its value in p->arg:
 * 1 with *op set, 0 when the options end (positionals are in p->pos), -1
 * after a usage error, which is printed unless quiet. */
static int
next_opt(struct mlp_optparse *p, const struct mlp_opt **op, int quiet)
{
	const struct mlp_opt *o;

	for (;;) {
		if (p->shortp && *p->shortp) {
			char c = *p->shortp++;

			o = find_short(p->opts, c);
			if (!o)
				o = find_short(mlp_global_opts, c);
			if (!o) {
				if (!quiet)
					mlp_usage_error(p->ctx, "unknown option "
					    "'-%c'", c);
				p->shortp = NULL;
				return -1;
			}
			if (o->arg) {
				if (*p->shortp) {
					p->arg = p->shortp;
				} else if (p->i < p->argc) {
					p->arg = p->argv[p->i++];
				} else {
					if (!quiet)
						mlp_usage_error(p->ctx, "option "
						    "'-%c' needs a value (%s)",
						    c, o->arg);
					return -1;
				}
				p->shortp = NULL;
			} else {
				p->arg = NULL;
			}
			*op = o;
			return 1;
		}
		p->shortp = NULL;
		if (p->i >= p->argc)
			return 0;
		{
			char *a = p->argv[p->i++];

			if (strcmp(a, "--") == 0) {
				while (p->i < p->argc)
					p->pos[p->npos++] = p->argv[p->i++];
				return 0;
			}
			if (a[0] == '-' && a[1] == '-') {
				const char *name = a + 2, *eq = strchr(name, '=');
				size_t len = eq ? (size_t)(eq - name) : strlen(name);

				o = find_long(p->opts, name, len);
				if (!o)
					o = find_long(mlp_global_opts, name, len);
				if (!o) {
					if (!quiet)
						mlp_usage_error(p->ctx, "unknown "
						    "option '--%.*s'", (int)len,
						    name);
					return -1;
				}
				if (o->arg) {
					if (eq) {
						p->arg = eq + 1;
					} else if (p->i < p->argc) {
						p->arg = p->argv[p->i++];
					} else {
						if (!quiet)
							mlp_usage_error(p->ctx,
							    "option '--%s' needs "
							    "a value (%s)", o->lng,
							    o->arg);
						return -1;
					}
				} else if (eq) {
					if (!quiet)
						mlp_usage_error(p->ctx, "option "
						    "'--%s' takes no value",
						    o->lng);
					return -1;
				} else {
					p->arg = NULL;
				}
				*op = o;
				return 1;
			}
			/* "-" alone is a positional (stdin); so is a negative
			 * number */
			if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
				p->shortp = a + 1;
				continue;
			}
			p->pos[p->npos++] = a;
		}
	}
}

int
mlp_opt_next(struct mlp_optparse *p)
{
	const struct mlp_opt *o;
	int r;

	while ((r = next_opt(p, &o, 0)) == 1) {
		if ((r = global_opt(p, o->id)) == 1)
			continue;
		if (r < 0)
			return r;
		return o->id;
	}
	return r;
}

int
mlp_opt_scan(const struct mlp_opt *opts, int argc, char **argv, int *at)
{
	struct mlp_optparse p;
	const struct mlp_opt *o;
	int r, found = 0;

	memset(&p, 0, sizeof(p));
	p.opts = opts;
	p.argc = argc;
	p.argv = argv;
	p.i = 1;
	p.pos = xcalloc((size_t)argc + 1, sizeof(*p.pos));
	for (;;) {
		int i = p.i, fresh = !p.shortp || !*p.shortp;

		r = next_opt(&p, &o, 1);
		if (r == 0)
			break;
		if (r == 1 && o->id == OPT_HELP) {
			found = OPT_HELP;
			break;
		}
		/* a whole "-C" or "-CDIR" the table does not know */
		if (r < 0 && fresh && i < argc &&
		    strncmp(argv[i], "-C", 2) == 0) {
			*at = i;
			found = OPT_CHDIR;
			break;
		}
	}
	free(p.pos);
	return found;
}

static void
opt_line(FILE *fp, const struct mlp_opt *o)
{
	char left[96];
	int n;

	if (o->shrt && o->lng)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->shrt, o->lng);
	else if (o->shrt)
		n = snprintf(left, sizeof(left), "-%c", o->shrt);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->lng);
	if (o->arg && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
	fprintf(fp, "  %-28s %s\n", left, o->help);
}

void
mlp_usage(FILE *fp, const char *cmdname, const struct mlp_opt *opts,
    const char *args, const char *summary)
{
	fprintf(fp, "usage: mlp %s%s%s%s\n", cmdname,
	    opts && opts->id ? " [options]" : "", args && *args ? " " : "",
	    args ? args : "");
	if (summary)
		fprintf(fp, "\n%s\n", summary);
	if (opts && opts->id) {
		fprintf(fp, "\noptions:\n");
		for (const struct mlp_opt *o = opts; o->id; o++)
			opt_line(fp, o);
	}
	fprintf(fp, "\nglobal options:\n");
	for (const struct mlp_opt *o = mlp_global_opts; o->id; o++)
		opt_line(fp, o);
}
