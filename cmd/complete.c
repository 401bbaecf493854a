/* mlp __complete WORD...: completion candidates for the shell scripts in
 * completions/, from the command table and the repository's database.
 * Prints one candidate a line ("value" or "value<TAB>description"); the
 * line ":files" asks the shell to complete file names instead. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/registry.h"
#include "track/track.h"
#include "cmd.h"
#include "train/train.h"

int mlp_complete_main(struct mlp_ctx *ctx, int argc, char **argv);

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
add(struct mlp_strv *out, const char *prefix, const char *s)
{
	if (starts(s, prefix))
		mlp_strv_push(out, s);
}

static void
db_names(struct mlp_ctx *ctx, enum mlp_names what, const char *prefix,
    const char *before, const char *after, struct mlp_strv *out)
{
	struct mlp_strv names = MLP_STRV_INIT;
	struct mlp_err err;

	if (!ctx->db)
		return;
	mlp_err_clear(&err);
	if (mlp_track_names(ctx->db, what, prefix, &names, &err) == 0)
		for (size_t i = 0; i < names.n; i++)
			mlp_strv_push_owned(out, xasprintf("%s%s%s", before,
			    names.v[i], after));
	mlp_strv_release(&names);
}

/* A key as the filter grammar takes it: bare when it can be, else in
 * backticks (metrics.`val loss`). */
static char *
field_key(const char *key)
{
	int bare = (key[0] >= 'a' && key[0] <= 'z') ||
	    (key[0] >= 'A' && key[0] <= 'Z') || key[0] == '_';

	for (const char *p = key; *p && bare; p++)
		bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("_.:/-", *p);
	return bare ? xstrdup(key) : xasprintf("`%s`", key);
}

/* metrics.KEY, params.KEY, tags.KEY and attributes, for filters, order-by
 * and columns, and datasets.* for filters: completes the identifier at the
 * end of word. */
static void
field_names(struct mlp_ctx *ctx, const char *word, int filter,
    struct mlp_strv *out)
{
	static const char *const attrs[] = { "run_id", "run_name", "status",
		"user_id", "start_time", "end_time", "experiment_id",
		"lifecycle_stage", "metrics.", "params.", "tags.", NULL };
	static const char *const datasets[] = { "datasets.name",
		"datasets.digest", "datasets.context", NULL };
	static const struct {
		const char *prefix;
		enum mlp_names names;
	} kinds[] = {
		{ "metrics.", MLP_NAMES_METRICS },
		{ "params.", MLP_NAMES_PARAMS },
		{ "tags.", MLP_NAMES_TAGS },
	};
	const char *start = word + strlen(word);
	char *lead;

	while (start > word && !strchr(" (,", start[-1]))
		start--;
	lead = xstrndup(word, (size_t)(start - word));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
		if (!starts(start, kinds[k].prefix))
			continue;
		struct mlp_strv keys = MLP_STRV_INIT;
		const char *typed = start + strlen(kinds[k].prefix);

		/* a key being typed in backticks is matched without them */
		db_names(ctx, kinds[k].names, typed[0] == '`' ? typed + 1 :
		    typed, "", "", &keys);
		for (size_t i = 0; i < keys.n; i++) {
			char *q = field_key(keys.v[i]);

			mlp_strv_push_owned(out, xasprintf("%s%s%s", lead,
			    kinds[k].prefix, q));
			free(q);
		}
		mlp_strv_release(&keys);
		free(lead);
		return;
	}
	if (!strchr(start, '.'))
		for (size_t i = 0; attrs[i]; i++)
			if (starts(attrs[i], start))
				mlp_strv_push_owned(out, xasprintf("%s%s", lead,
				    attrs[i]));
	for (size_t i = 0; filter && datasets[i]; i++)
		if (starts(datasets[i], start))
			mlp_strv_push_owned(out, xasprintf("%s%s", lead,
			    datasets[i]));
	free(lead);
}

static void
model_names(struct mlp_ctx *ctx, const char *model, const char *prefix,
    const char *before, struct mlp_strv *out)
{
	struct mlp_strv names = MLP_STRV_INIT;
	struct mlp_err err;

	if (!ctx->db)
		return;
	mlp_err_clear(&err);
	if (mlp_registry_names(ctx->db, model, prefix, &names, &err) == 0)
		for (size_t i = 0; i < names.n; i++)
			mlp_strv_push_owned(out, xasprintf("%s%s", before,
			    names.v[i]));
	mlp_strv_release(&names);
}

/* models:/NAME, then models:/NAME/VERSION or models:/NAME@ALIAS. */
static void
model_uris(struct mlp_ctx *ctx, const char *word, struct mlp_strv *out)
{
	const char *rest, *sep;

	if (!starts("models:/", word) && !starts(word, "models:/"))
		return;
	if (strlen(word) < 8) {
		mlp_strv_push(out, "models:/");
		return;
	}
	rest = word + 8;
	sep = strpbrk(rest, "/@");
	if (!sep) {
		struct mlp_strv names = MLP_STRV_INIT;

		model_names(ctx, NULL, rest, "", &names);
		for (size_t i = 0; i < names.n; i++) {
			mlp_strv_push_owned(out, xasprintf("models:/%s/",
			    names.v[i]));
			mlp_strv_push_owned(out, xasprintf("models:/%s@",
			    names.v[i]));
		}
		mlp_strv_release(&names);
		return;
	}
	{
		char *model = xstrndup(rest, (size_t)(sep - rest));
		char *before = xstrndup(word, (size_t)(sep + 1 - word));
		struct mlp_strv names = MLP_STRV_INIT;

		model_names(ctx, model, sep + 1, "", &names);
		for (size_t i = 0; i < names.n; i++) {
			int is_version = names.v[i][0] >= '0' &&
			    names.v[i][0] <= '9';

			/* versions after '/', aliases after '@' */
			if ((*sep == '/') == is_version)
				mlp_strv_push_owned(out, xasprintf("%s%s",
				    before, names.v[i]));
		}
		if (*sep == '/' && starts("latest", sep + 1))
			mlp_strv_push_owned(out, xasprintf("%slatest", before));
		mlp_strv_release(&names);
		free(model);
		free(before);
	}
}

static int
add_remote(const char *key, const char *value, void *ud)
{
	struct mlp_strv *names = ud;
	size_t len = strlen(key);

	/* remote.NAME.url */
	if (strncmp(key, "remote.", 7) == 0 && len > 11 &&
	    strcmp(key + len - 4, ".url") == 0)
		mlp_strv_push_owned(names, xstrndup(key + 7, len - 11));
	return 0;
}

static void
remote_names(struct mlp_ctx *ctx, const char *prefix, struct mlp_strv *out)
{
	struct mlp_strv names = MLP_STRV_INIT;
	struct mlp_err err;

	mlp_err_clear(&err);
	if (mlp_config_list(ctx->repo, NULL, add_remote, &names, &err) == 0)
		for (size_t i = 0; i < names.n; i++)
			add(out, prefix, names.v[i]);
	mlp_strv_release(&names);
}

static void
mlp_complete_arg(struct mlp_ctx *ctx, const char *argname,
    const char *prefix, struct mlp_strv *out)
{
	char name[64];
	size_t len = strcspn(argname, "=[. ");
	/* restore takes what was deleted */
	int deleted = ctx->verb && strstr(ctx->verb->name, "restore");

	if (len >= sizeof(name))
		return;
	/* a choice written "A|B|C" */
	if (strchr(argname, '|') && !strpbrk(argname, "=[. ")) {
		for (const char *a = argname; *a;) {
			size_t n = strcspn(a, "|");
			char *w = xstrndup(a, n);

			add(out, prefix, w);
			free(w);
			a += n + (a[n] == '|');
		}
		return;
	}
	memcpy(name, argname, len);
	name[len] = '\0';
	if (strcmp(name, "RUN") == 0) {
		db_names(ctx, deleted ? MLP_NAMES_DELETED_RUNS : MLP_NAMES_RUNS,
		    prefix, "", "", out);
	} else if (strcmp(name, "EXP") == 0) {
		db_names(ctx, deleted ? MLP_NAMES_DELETED_EXPERIMENTS :
		    MLP_NAMES_EXPERIMENTS, prefix, "", "", out);
	} else if (strcmp(name, "PARAM") == 0 && ctx->command &&
	    strcmp(ctx->command->name, "train") == 0) {
		/* the learners' parameters, each once */
		for (size_t i = 0; mlp_learners[i]; i++)
			for (size_t j = 0; j < mlp_learners[i]->nparams; j++) {
				char *w = xasprintf("%s=",
				    mlp_learners[i]->params[j].name);
				int dup = 0;

				for (size_t k = 0; k < out->n && !dup; k++)
					dup = strcmp(out->v[k], w) == 0;
				if (!dup && starts(w, prefix))
					mlp_strv_push(out, w);
				free(w);
			}
	} else if (strcmp(name, "LEARNER") == 0) {
		for (size_t i = 0; mlp_learners[i]; i++)
			add(out, prefix, mlp_learners[i]->name);
	} else if (strcmp(name, "FLAVOR") == 0) {
		add(out, prefix, "xgboost");
	} else if (strcmp(name, "BACKEND") == 0) {
		add(out, prefix, "local");
		add(out, prefix, "slurm");
	} else if (strcmp(name, "SPEC") == 0) {
		mlp_strv_push(out, ":files");
	} else if (strcmp(name, "METRIC") == 0 || strcmp(name, "PARAM") == 0 ||
	    strcmp(name, "TAG") == 0) {
		enum mlp_names w = name[0] == 'M' ? MLP_NAMES_METRICS :
		    name[0] == 'P' ? MLP_NAMES_PARAMS : MLP_NAMES_TAGS;

		/* KEY=VALUE forms complete the key and the "=" */
		db_names(ctx, w, prefix, "", argname[len] == '=' ? "=" : "",
		    out);
	} else if (strcmp(name, "EXPR") == 0 || strcmp(name, "FIELD") == 0 ||
	    strcmp(name, "LIST") == 0) {
		field_names(ctx, prefix, strcmp(name, "EXPR") == 0, out);
	} else if (strcmp(name, "MODEL") == 0) {
		model_names(ctx, NULL, prefix, "", out);
	} else if (strcmp(name, "URI") == 0 || strcmp(name, "SOURCE") == 0) {
		model_uris(ctx, prefix, out);
		if (strcmp(name, "SOURCE") == 0 && !starts(prefix, "models:/"))
			mlp_strv_push(out, ":files");
	} else if (strcmp(name, "REMOTE") == 0) {
		remote_names(ctx, prefix, out);
	} else if (strcmp(name, "STATUS") == 0) {
		add(out, prefix, "finished");
		add(out, prefix, "failed");
		add(out, prefix, "killed");
	} else if (strcmp(name, "FILE") == 0 || strcmp(name, "DIR") == 0) {
		mlp_strv_push(out, ":files");
	} else if (strcmp(name, "COMMAND") == 0) {
		for (size_t i = 0; mlp_commands[i]; i++)
			add(out, prefix, mlp_commands[i]->name);
	}
}

/* 1 when word is a verb of c (or the first word of a two-word one) */
static int
find_verb(const struct mlp_command *c, const char *word)
{
	for (const struct mlp_verb *v = c->verbs; v->name; v++) {
		size_t len = strcspn(v->name, " ");

		if (strncmp(v->name, word, len) == 0 && word[len] == '\0')
			return 1;
	}
	return 0;
}

static const struct mlp_opt *
find_opt(const struct mlp_opt *opts, const char *word)
{
	for (int pass = 0; pass < 2; pass++)
		for (const struct mlp_opt *o = pass ? mlp_global_opts : opts;
		    o && o->id; o++) {
			if (word[0] == '-' && word[1] == '-' && o->lng &&
			    strcmp(word + 2, o->lng) == 0)
				return o;
			if (word[0] == '-' && word[1] && !word[2] &&
			    o->shrt == word[1])
				return o;
		}
	return NULL;
}

static void
complete_opts(const struct mlp_opt *opts, const char *word,
    struct mlp_strv *out)
{
	for (int pass = 0; pass < 2; pass++)
		for (const struct mlp_opt *o = pass ? mlp_global_opts : opts;
		    o && o->id; o++) {
			if (!o->lng)
				continue;
			char *s = xasprintf("--%s\t%s", o->lng, o->help);

			if (starts(s, word))
				mlp_strv_push_owned(out, s);
			else
				free(s);
		}
}

/* --OPT=VALUE: the option's values, each as the whole word. */
static void
complete_opt_value(struct mlp_ctx *ctx, const struct mlp_opt *opts,
    const char *word, struct mlp_strv *out)
{
	const char *eq = strchr(word, '=');
	char *name = xstrndup(word, (size_t)(eq - word));
	const struct mlp_opt *o = find_opt(opts, name);
	struct mlp_strv vals = MLP_STRV_INIT;

	if (o && o->arg)
		mlp_complete_arg(ctx, o->arg, eq + 1, &vals);
	for (size_t i = 0; i < vals.n; i++)
		if (vals.v[i][0] == ':')	/* :files, for the shell */
			mlp_strv_push(out, vals.v[i]);
		else
			mlp_strv_push_owned(out, xasprintf("%s=%s", name,
			    vals.v[i]));
	mlp_strv_release(&vals);
	free(name);
}

/* The name of the n-th positional argument in a synopsis such as
 * "RUN METRIC" or "RUN..." (the last repeats). */
static void
positional_name(const char *args, int n, char *out, size_t size)
{
	const char *s = args ? args : "", *last = NULL;
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; *s; i++) {
		while (*s == ' ' || *s == '[')
			s++;
		if (!*s)
			break;
		len = strcspn(s, " ]");
		last = s;
		if (i == n)
			break;
		s += len;
		while (*s == ']' || *s == ' ')
			s++;
		if (!*s && !(len > 3 && strncmp(last + len - 3, "...", 3) == 0))
			last = NULL;
	}
	if (last && len < size) {
		memcpy(out, last, len);
		out[len] = '\0';
	}
}

static void
complete_words(struct mlp_ctx *ctx, int argc, char **argv,
    struct mlp_strv *out)
{
	const char *word = argc ? argv[argc - 1] : "";
	const struct mlp_command *c = NULL;
	const struct mlp_opt *opts = NULL;
	const char *args = NULL;
	int i = 0, npos = 0;
	char name[64];

	if (argc == 0) {
		static char empty[] = "";
		static char *one[] = { empty, NULL };

		argc = 1;
		argv = one;
	}
	/* global options before the command */
	for (; i < argc - 1 && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "-C") == 0 && ++i == argc - 1) {
			mlp_strv_push(out, ":files");
			return;
		}
	if (i == argc - 1) {
		if (word[0] == '-') {
			complete_opts(NULL, word, out);
			add(out, word, "--version");
			add(out, word, "-C");
			return;
		}
		for (size_t k = 0; mlp_commands[k]; k++) {
			char *s = xasprintf("%s\t%s", mlp_commands[k]->name,
			    mlp_commands[k]->summary);

			if (starts(s, word))
				mlp_strv_push_owned(out, s);
			else
				free(s);
		}
		return;
	}
	c = mlp_command_find(argv[i++]);
	if (!c)
		return;
	ctx->command = c;
	opts = c->opts;
	args = c->args;
	if (c->verbs) {
		const struct mlp_verb *v, *dv = NULL;
		const char *prev = NULL;

		for (v = c->verbs; c->default_verb && v->name; v++)
			if (strcmp(v->name, c->default_verb) == 0)
				dv = v;
		/* `mlp register PATH -n ...`: the default verb's options and
		 * arguments when the word is not a verb */
		if (dv && (argv[i][0] == '-' || (i < argc - 1 &&
		    !find_verb(c, argv[i])))) {
			ctx->verb = dv;
			opts = dv->opts;
			args = dv->args;
			goto words;
		}
		if (i == argc - 1) {
			for (v = c->verbs; v->name; v++) {
				size_t len = strcspn(v->name, " ");
				char *s;

				if (prev && strncmp(prev, v->name, len) == 0 &&
				    (prev[len] == ' ' || prev[len] == '\0'))
					continue;
				prev = v->name;
				s = v->name[len] ? xstrndup(v->name, len) :
				    xasprintf("%s\t%s", v->name, v->summary);
				if (starts(s, word))
					mlp_strv_push_owned(out, s);
				else
					free(s);
			}
			return;
		}
		for (v = c->verbs; v->name; v++) {
			size_t len = strcspn(v->name, " ");

			if (strncmp(v->name, argv[i], len) != 0 ||
			    argv[i][len] != '\0')
				continue;
			if (!v->name[len])
				break;
			/* a two-word verb: complete or match the second */
			if (i + 1 == argc - 1) {
				char *s = xasprintf("%s\t%s", v->name + len + 1,
				    v->summary);

				if (starts(s, word))
					mlp_strv_push_owned(out, s);
				else
					free(s);
				continue;
			}
			if (strcmp(v->name + len + 1, argv[i + 1]) == 0) {
				i++;
				break;
			}
		}
		if (!v->name || i == argc - 1)
			return;
		ctx->verb = v;
		opts = v->opts;
		args = v->args;
		i++;
	}
words:
	/* options and positionals of the command or verb */
	for (; i < argc - 1; i++) {
		const struct mlp_opt *o = find_opt(opts, argv[i]);

		if (o && o->arg) {
			if (i + 1 == argc - 1) {
				mlp_complete_arg(ctx, o->arg, word, out);
				return;
			}
			i++;
		} else if (!o && argv[i][0] != '-') {
			npos++;
		}
	}
	if (word[0] == '-' && word[1] == '-' && strchr(word, '=')) {
		complete_opt_value(ctx, opts, word, out);
		return;
	}
	if (word[0] == '-') {
		complete_opts(opts, word, out);
		return;
	}
	positional_name(args, npos, name, sizeof(name));
	if (name[0])
		mlp_complete_arg(ctx, name, word, out);
}

int
mlp_complete_main(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_strv out = MLP_STRV_INIT;
	struct mlp_err err;

	mlp_err_clear(&err);
	/* -C DIR before the command moves us, as it will when the command
	 * runs; the database is optional: outside a repository there are
	 * still commands and options to offer */
	for (int i = 0; i + 1 < argc - 1 && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "-C") == 0 && chdir(argv[++i]) < 0)
			break;
	if (mlp_repo_discover(&ctx->repo, ".", getenv("MLP_DIR"), &err) == 0)
		mlp_repo_open_db(ctx->repo, &ctx->db, &err);
	complete_words(ctx, argc, argv, &out);
	for (size_t i = 0; i < out.n; i++)
		printf("%s\n", out.v[i]);
	mlp_strv_release(&out);
	mlp_db_close(ctx->db);
	mlp_repo_free(ctx->repo);
	ctx->db = NULL;
	ctx->repo = NULL;
	return 0;
}
