/* mlp help [COMMAND [VERB]] and mlp version. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cmd.h"

void mlp_help_all(FILE *fp);
void mlp_help_command(FILE *fp, const struct mlp_command *c);

void
mlp_help_all(FILE *fp)
{
	fprintf(fp, "usage: mlp [-C DIR] [--json] [-q] [-v] [--no-color] "
	    "[--version] COMMAND [ARGS]\n\n"
	    "mlp covers the machine-learning lifecycle from a terminal.\n\n"
	    "commands:\n");
	for (size_t i = 0; mlp_commands[i]; i++)
		fprintf(fp, "  %-10s %s\n", mlp_commands[i]->name,
		    mlp_commands[i]->summary);
	fprintf(fp, "\nA name that is not built in runs 'mlp-NAME' from PATH.\n"
	    "See 'mlp help COMMAND' or 'mlp COMMAND -h' for a command.\n");
}

void
mlp_help_command(FILE *fp, const struct mlp_command *c)
{
	const struct mlp_verb *dv = NULL;

	if (!c->verbs) {
		mlp_usage(fp, c->name, c->opts, c->args, c->summary);
		return;
	}
	for (const struct mlp_verb *v = c->verbs; c->default_verb && v->name;
	    v++)
		if (strcmp(v->name, c->default_verb) == 0)
			dv = v;
	fprintf(fp, "usage: mlp %s VERB [options] [ARGS]\n", c->name);
	if (dv)
		fprintf(fp, "   or: mlp %s%s%s%s\n", c->name,
		    dv->opts && dv->opts->id ? " [options]" : "",
		    dv->args && *dv->args ? " " : "", dv->args ? dv->args : "");
	fprintf(fp, "\n%s\n\nverbs:\n", c->summary);
	for (const struct mlp_verb *v = c->verbs; v->name; v++)
		fprintf(fp, "  %-20s %s\n", v->name, v->summary);
	fputc('\n', fp);
	if (dv)
		fprintf(fp, "'%s' is the default verb: 'mlp %s ARGS' runs "
		    "'mlp %s %s ARGS'.\n", dv->name, c->name, c->name,
		    dv->name);
	fprintf(fp, "See 'mlp %s VERB -h' for a verb's options.\n", c->name);
}

/* The man page when one is installed and a person is reading. */
static int
try_man(const char *page)
{
	pid_t pid;
	int status;

	if (!isatty(1))
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execlp("man", "man", "-w", page, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	fflush(stdout);
	execlp("man", "man", page, (char *)NULL);
	return -1;
}

static const struct mlp_opt help_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

static int
help_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	const struct mlp_command *c;
	int r;

	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r < 0) {
			mlp_opt_release(&p);
			return OPT_EXIT(r);
		}
	}
	if (p.npos == 0) {
		mlp_opt_release(&p);
		if (try_man("mlp") < 0)
			mlp_help_all(stdout);
		return 0;
	}
	c = mlp_command_find(p.pos[0]);
	if (!c) {
		r = mlp_usage_error(ctx, "no command '%s'", p.pos[0]);
		mlp_opt_release(&p);
		return r;
	}
	if (p.npos > 1) {
		const struct mlp_verb *v;
		int used;
		char *name;

		v = mlp_verb_find(c, p.npos - 1, p.pos + 1, &used);
		if (!v) {
			r = mlp_failf(ctx, 2, c->verbs ? "'%s' has no verb "
			    "'%s'" : "'%s' has no verbs, so no '%s'", c->name,
			    p.pos[1]);
			mlp_hint(ctx, "see 'mlp help %s'", c->name);
			mlp_opt_release(&p);
			return r;
		}
		if (p.npos - 1 > used) {
			r = mlp_usage_error(ctx, "unexpected argument '%s'",
			    p.pos[1 + used]);
			mlp_opt_release(&p);
			return r;
		}
		name = xasprintf("%s %s", c->name, v->name);
		mlp_usage(stdout, name, v->opts, v->args, v->summary);
		free(name);
		mlp_opt_release(&p);
		return 0;
	}
	{
		char *page = xasprintf("mlp-%s", c->name);

		if (try_man(page) < 0)
			mlp_help_command(stdout, c);
		free(page);
	}
	mlp_opt_release(&p);
	return 0;
}

const struct mlp_command cmd_help = {
	.name = "help",
	.run = help_run,
	.setup = NO_REPO,
	.summary = "Show help for mlp or a command",
	.opts = help_opts,
	.args = "[COMMAND [VERB]]",
};

static int
version_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	int r;

	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r < 0) {
			mlp_opt_release(&p);
			return OPT_EXIT(r);
		}
	}
	if (p.npos > 0) {
		r = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		mlp_opt_release(&p);
		return r;
	}
	mlp_opt_release(&p);
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "version", MLP_VERSION);
		cJSON_AddNumberToObject(o, "schema", mlp_db_schema_version());
		cJSON_AddStringToObject(o, "sqlite", sqlite3_libversion());
		mlp_print_json(o);
	} else {
		printf("mlp version %s\n", MLP_VERSION);
		if (ctx->verbose)
			printf("schema %d, sqlite %s\n",
			    mlp_db_schema_version(), sqlite3_libversion());
	}
	return 0;
}

const struct mlp_command cmd_version = {
	.name = "version",
	.run = version_run,
	.setup = NO_REPO,
	.summary = "Print the mlp version",
	.opts = help_opts,
	.args = NULL,
};
