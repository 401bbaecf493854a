/* mlp __complete WORD...: completion candidates for the shell scripts in
 * completions/, from the command table and the repository's database.
 * Prints one candidate a line ("value" or "value<TAB>description"); the
 * line ":files" asks the shell to complete file names as well. A candidate
 * is always something the command accepts: the synopsis' placeholders
 * (MODEL, URI, KEY=VALUE...) name what to offer and are never offered. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "feature/feature.h"
#include "registry/registry.h"
#include "track/track.h"
#include "cmd.h"
#include "train/runner.h"
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

/* What the words before the one being completed said, for candidates
 * that depend on them: the model named, the learner chosen... */
struct comp {
	struct mlp_ctx *ctx;
	const char *model;	/* a MODEL given (option or positional) */
	char *model_buf;	/* the model of a models:/ URI given */
	const char *learner;	/* a LEARNER given (train --algo) */
	const char *spec;	/* a SPEC file given (train) */
	const char *command;	/* a COMMAND given (help) */
	const char *key;	/* a config KEY given */
	int global;		/* config --global */
	char **pos;		/* positionals before the word */
	int npos;
};

/* Appends s with suffix put in front of its description ("a<TAB>b"). */
static void
push_with(struct mlp_strv *out, const char *before, const char *s,
    const char *suffix)
{
	size_t n = strcspn(s, "\t");

	mlp_strv_push_owned(out, xasprintf("%s%.*s%s%s", before, (int)n, s,
	    suffix, s + n));
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

/* A model's versions (versions set) or aliases, from mlp_registry_names,
 * which lists both. */
static void
model_versions(struct mlp_ctx *ctx, const char *model, const char *prefix,
    int versions, struct mlp_strv *out)
{
	struct mlp_strv names = MLP_STRV_INIT;

	if (!model)
		return;
	model_names(ctx, model, prefix, "", &names);
	for (size_t i = 0; i < names.n; i++)
		if ((names.v[i][0] >= '0' && names.v[i][0] <= '9') == versions)
			mlp_strv_push(out, names.v[i]);
	mlp_strv_release(&names);
}

/* models:/NAME/ for every model while the word is still shorter than
 * "models:/"; then models:/NAME/ and models:/NAME@; then a version (or
 * latest) after the '/' or an alias after the '@'. */
static void
model_uris(struct mlp_ctx *ctx, const char *word, struct mlp_strv *out)
{
	const char *rest, *sep;

	if (!starts("models:/", word) && !starts(word, "models:/"))
		return;
	if (strlen(word) < 8) {
		struct mlp_strv names = MLP_STRV_INIT;

		model_names(ctx, NULL, "", "", &names);
		for (size_t i = 0; i < names.n; i++)
			mlp_strv_push_owned(out, xasprintf("models:/%s/",
			    names.v[i]));
		mlp_strv_release(&names);
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

		/* versions after '/', aliases after '@' */
		model_versions(ctx, model, sep + 1, *sep == '/', &names);
		for (size_t i = 0; i < names.n; i++)
			mlp_strv_push_owned(out, xasprintf("%s%s", before,
			    names.v[i]));
		if (*sep == '/' && starts("latest", sep + 1))
			mlp_strv_push_owned(out, xasprintf("%slatest", before));
		mlp_strv_release(&names);
		free(model);
		free(before);
	}
}

/* runs:/ while the word is shorter; then runs:/RUN/ for each run; then
 * runs:/RUN/PATH for the run's artifacts. */
static void
run_uris(struct mlp_ctx *ctx, const char *word, struct mlp_strv *out)
{
	const char *rest, *sep;

	if (!starts("runs:/", word) && !starts(word, "runs:/"))
		return;
	if (strlen(word) < 6) {
		mlp_strv_push(out, "runs:/");
		return;
	}
	rest = word + 6;
	sep = strchr(rest, '/');
	if (!sep) {
		struct mlp_strv runs = MLP_STRV_INIT;

		db_names(ctx, MLP_NAMES_RUNS, rest, "", "", &runs);
		for (size_t i = 0; i < runs.n; i++)
			push_with(out, "runs:/", runs.v[i], "/");
		mlp_strv_release(&runs);
		return;
	}
	if (ctx->db) {
		char *ref = xstrndup(rest, (size_t)(sep - rest));
		struct mlp_run_info ri = { 0 };
		struct mlp_artifact *arts = NULL;
		struct mlp_err err;
		size_t n = 0;

		mlp_err_clear(&err);
		if (mlp_track_run_resolve(ctx->db, ref, &ri, &err) == 0 &&
		    mlp_track_artifacts(ctx->db, ri.uuid, &arts, &n,
		    &err) == 0)
			for (size_t i = 0; i < n; i++)
				if (starts(arts[i].path, sep + 1))
					mlp_strv_push_owned(out, xasprintf(
					    "runs:/%s/%s", ref, arts[i].path));
		mlp_artifacts_free(arts, n);
		mlp_run_info_release(&ri);
		free(ref);
	}
}

static int
add_remote(const char *key, const char *value, void *ud)
{
	struct mlp_strv *names = ud;
	size_t len = strlen(key);

	(void)value;
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

/* The configuration keys mlp reads (remote.NAME.* per remote). */
static const struct {
	const char *key, *help;
} config_keys[] = {
	{ "user.name", "your name, recorded in runs and registry events" },
	{ "store.link", "how files enter the store: reflink, hardlink, copy" },
	{ "train.checkpointEvery", "write a checkpoint every N iterations" },
	{ "train.checkpointSeconds", "write a checkpoint every S seconds" },
	{ "train.checkpointKeep", "checkpoints kept per run" },
	{ "feature.onlineStore", "the online feature store: sqlite:[PATH] "
	    "or redis://HOST[:PORT][/DB]" },
	{ "feature.autoCompact", "compact a view's batches after an ingest "
	    "or a push (true, false)" },
};
static const char *const remote_keys[] = { "url", "jobs", "batch",
	"endpoint", "region", "sslVerify", "caInfo", "user", "password",
	"token", NULL };

static int
add_key(const char *key, const char *value, void *ud)
{
	(void)value;
	mlp_strv_push(ud, key);
	return 0;
}

/* Appends key when it starts with word (keys ignore case, as in git) and
 * is not there yet; a three-part key the word has not reached the last
 * part of comes as its "section.subsection." */
static void
add_config_key(struct mlp_strv *out, const char *word, const char *key,
    const char *help)
{
	const char *dot = strchr(key, '.'), *last = strrchr(key, '.');
	char *s;

	if (strncasecmp(key, word, strlen(word)) != 0 &&
	    strncasecmp(word, key, strlen(key)) != 0)
		return;
	if (dot != last && strncasecmp(word, key, (size_t)(last + 1 - key)))
		s = xstrndup(key, (size_t)(last + 1 - key));
	else
		s = help ? xasprintf("%s\t%s", key, help) : xstrdup(key);
	if (strncasecmp(s, word, strlen(word)) != 0) {
		free(s);
		return;
	}
	for (size_t i = 0; i < out->n; i++)
		if (strncasecmp(out->v[i], s, strcspn(s, "\t")) == 0 &&
		    strcspn(out->v[i], "\t") == strcspn(s, "\t")) {
			free(s);
			return;
		}
	mlp_strv_push_owned(out, s);
}

/* config KEY: the keys mlp reads and the keys already set. */
static void
config_key_names(struct comp *cc, const char *word, struct mlp_strv *out)
{
	struct mlp_strv set = MLP_STRV_INIT, remotes = MLP_STRV_INIT;
	struct mlp_err err;

	mlp_err_clear(&err);
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(*config_keys); i++)
		add_config_key(out, word, config_keys[i].key,
		    config_keys[i].help);
	remote_names(cc->ctx, "", &remotes);
	for (size_t i = 0; i < remotes.n; i++)
		for (size_t k = 0; remote_keys[k]; k++) {
			char *key = xasprintf("remote.%s.%s", remotes.v[i],
			    remote_keys[k]);

			add_config_key(out, word, key, NULL);
			free(key);
		}
	if (mlp_config_list(cc->global ? NULL : cc->ctx->repo, NULL, add_key,
	    &set, &err) == 0)
		for (size_t i = 0; i < set.n; i++)
			add_config_key(out, word, set.v[i], NULL);
	mlp_strv_release(&set);
	mlp_strv_release(&remotes);
}

/* The learner train will use: --algo, else the spec's, else the
 * default (the first in the table). */
static const struct mlp_learner *
chosen_learner(struct comp *cc)
{
	const struct mlp_learner *l = NULL;

	if (cc->learner)
		return mlp_learner_find(cc->learner);
	if (cc->spec) {
		struct mlp_train_spec s;
		struct mlp_err err;

		mlp_err_clear(&err);
		mlp_train_spec_init(&s);
		/* a spec that cannot be read yet leaves the default */
		l = mlp_train_spec_load(&s, cc->spec, &err) == 0 && s.algo ?
		    mlp_learner_find(s.algo) : mlp_learners[0];
		mlp_train_spec_release(&s);
		return l;
	}
	return mlp_learners[0];
}

/* train -p: the chosen learner's parameters as "NAME=", and after the
 * "=" an enum's choices. */
static void
learner_params(struct comp *cc, const char *word, struct mlp_strv *out)
{
	const struct mlp_learner *l = chosen_learner(cc);
	const char *eq = strchr(word, '=');

	for (size_t j = 0; l && j < l->nparams; j++) {
		const struct mlp_param_def *d = &l->params[j];
		size_t n = strlen(d->name);

		if (!eq) {
			if (starts(d->name, word))
				mlp_strv_push_owned(out, d->help ?
				    xasprintf("%s=\t%s", d->name, d->help) :
				    xasprintf("%s=", d->name));
			continue;
		}
		if ((size_t)(eq - word) != n || strncmp(word, d->name, n) != 0 ||
		    !d->choices || (d->type != MLP_PARAM_ENUM &&
		    d->type != MLP_PARAM_LIST))
			continue;
		for (const char *c = d->choices; *c;) {
			size_t len = strcspn(c, ",");
			char *w = xasprintf("%s=%.*s", d->name, (int)len, c);

			add(out, word, w);
			free(w);
			c += len + (c[len] == ',');
		}
	}
}

/* The catalog's objects of kind (all when kind < 0), each once, with
 * what it is. */
static void
feature_names(struct mlp_ctx *ctx, int kind, const char *word,
    struct mlp_strv *out)
{
	struct mlp_fobject *obj = NULL;
	struct mlp_err err;
	size_t n = 0;

	if (!ctx->db)
		return;
	mlp_err_clear(&err);
	if (mlp_fcatalog_list(ctx->db, kind, 0, &obj, &n, &err) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		int seen = 0;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(obj[j].name, obj[i].name) == 0;
		if (!seen && starts(obj[i].name, word))
			mlp_strv_push_owned(out, xasprintf("%s\t%s",
			    obj[i].name, mlp_fkind_title(obj[i].kind)));
	}
	mlp_fobjects_free(obj, n);
}

/* The join keys of the catalog's entities, each once, with a "=". */
static void
join_keys(struct mlp_ctx *ctx, const char *word, struct mlp_strv *out)
{
	struct mlp_fspec *s = NULL;
	struct mlp_strv seen = MLP_STRV_INIT;
	struct mlp_err err;

	mlp_err_clear(&err);
	if (!ctx->db || mlp_fcatalog_load(ctx->db, &s, &err) < 0)
		return;
	for (size_t i = 0; i < s->nentities; i++)
		for (size_t k = 0; k < s->entities[i].nkeys; k++) {
			const char *key = s->entities[i].join_keys[k];
			size_t j = 0;

			while (j < seen.n && strcmp(seen.v[j], key) != 0)
				j++;
			if (j < seen.n || !starts(key, word))
				continue;
			mlp_strv_push(&seen, key);
			mlp_strv_push_owned(out, xasprintf("%s=", key));
		}
	mlp_strv_release(&seen);
	mlp_fspec_free(s);
}

/* Feature references, VIEW:FEATURE, in a comma-separated list: "VIEW:"
 * for each view until the word has a ':', then the view's features. */
static void
feature_refs(struct mlp_ctx *ctx, const char *word, struct mlp_strv *out)
{
	const char *start = strrchr(word, ',') ? strrchr(word, ',') + 1 : word;
	char *lead = xstrndup(word, (size_t)(start - word));
	const char *colon = strchr(start, ':');
	struct mlp_fspec *s = NULL;
	struct mlp_err err;

	mlp_err_clear(&err);
	if (!ctx->db || mlp_fcatalog_load(ctx->db, &s, &err) < 0) {
		free(lead);
		return;
	}
	for (size_t i = 0; i < s->nviews; i++) {
		const struct mlp_fview *v = &s->views[i];
		size_t len = strlen(v->name);

		if (!colon) {
			if (starts(v->name, start))
				mlp_strv_push_owned(out, xasprintf("%s%s:",
				    lead, v->name));
			continue;
		}
		if ((size_t)(colon - start) != len ||
		    strncmp(start, v->name, len) != 0)
			continue;
		for (size_t j = 0; j < mlp_fview_noutputs(v); j++) {
			struct mlp_foutput o;

			mlp_fview_output(v, j, &o);
			if (starts(o.name, colon + 1))
				mlp_strv_push_owned(out, xasprintf("%s%s:%s",
				    lead, v->name, o.name));
		}
	}
	mlp_fspec_free(s);
	free(lead);
}

static void complete_verbs(const struct mlp_command *c, const char *group,
    const char *word, struct mlp_strv *out);

/* Whether a choice's alternative is a placeholder (MODEL), not a word. */
static int
placeholder(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			return 0;
	return n > 0;
}

/* Appends the candidates for an argument named argname (RUN, EXP,
 * METRIC, "A|B"...) that start with word. */
static void
complete_arg(struct comp *cc, const char *argname, const char *word,
    struct mlp_strv *out)
{
	struct mlp_ctx *ctx = cc->ctx;
	const char *cmd = ctx->command ? ctx->command->name : "";
	char name[64];
	size_t len = strcspn(argname, "=[., ");
	/* restore takes what was deleted */
	int deleted = ctx->verb && strstr(ctx->verb->name, "restore");

	if (len >= sizeof(name))
		return;
	/* a choice: "csv|json" offers its words, "MODEL|URI" what each
	 * placeholder names ("FILE|DIR..." too) */
	if (strchr(argname, '|') && (!strpbrk(argname, "=[. ") ||
	    (mlp_ends_with(argname, "...") &&
	    strpbrk(argname, "=[. ") == argname + strlen(argname) - 3))) {
		const char *end = argname + strlen(argname) -
		    (mlp_ends_with(argname, "...") ? 3 : 0);

		for (const char *a = argname; a < end;) {
			size_t n = strcspn(a, "|");
			char *w;

			if (n > (size_t)(end - a))
				n = (size_t)(end - a);
			w = xstrndup(a, n);

			if (placeholder(w, n))
				complete_arg(cc, w, word, out);
			else
				add(out, word, w);
			free(w);
			a += n + (a[n] == '|');
		}
		return;
	}
	memcpy(name, argname, len);
	name[len] = '\0';
	if (strcmp(name, "RUN") == 0) {
		db_names(ctx, deleted ? MLP_NAMES_DELETED_RUNS : MLP_NAMES_RUNS,
		    word, "", "", out);
	} else if (strcmp(name, "EXP") == 0) {
		db_names(ctx, deleted ? MLP_NAMES_DELETED_EXPERIMENTS :
		    MLP_NAMES_EXPERIMENTS, word, "", "", out);
	} else if (strcmp(name, "PARAM") == 0 && strcmp(cmd, "train") == 0) {
		learner_params(cc, word, out);
	} else if (strcmp(name, "LEARNER") == 0) {
		for (size_t i = 0; mlp_learners[i]; i++)
			add(out, word, mlp_learners[i]->name);
	} else if (strcmp(name, "FLAVOR") == 0) {
		add(out, word, "xgboost");
	} else if (strcmp(name, "BACKEND") == 0) {
		add(out, word, "local");
		add(out, word, "slurm");
	} else if (strcmp(name, "METRIC") == 0 || strcmp(name, "PARAM") == 0 ||
	    strcmp(name, "TAG") == 0) {
		enum mlp_names w = name[0] == 'M' ? MLP_NAMES_METRICS :
		    name[0] == 'P' ? MLP_NAMES_PARAMS : MLP_NAMES_TAGS;

		/* KEY=VALUE forms complete the key and the "=" */
		db_names(ctx, w, word, "", argname[len] == '=' ? "=" : "", out);
	} else if (strcmp(name, "EXPR") == 0 || strcmp(name, "FIELD") == 0 ||
	    strcmp(name, "LIST") == 0) {
		field_names(ctx, word, strcmp(name, "EXPR") == 0, out);
	} else if (strcmp(name, "MODEL") == 0) {
		model_names(ctx, NULL, word, "", out);
	} else if (strcmp(name, "ALIAS") == 0) {
		model_versions(ctx, cc->model, word, 0, out);
	} else if (strcmp(name, "VERSION") == 0) {
		model_versions(ctx, cc->model, word, 1, out);
	} else if (strcmp(name, "STAGE") == 0) {
		static const char *const stages[] = { "none", "staging",
			"production", "archived", NULL };

		for (size_t i = 0; stages[i]; i++)
			add(out, word, stages[i]);
	} else if (strcmp(name, "URI") == 0) {
		model_uris(ctx, word, out);
	} else if (strcmp(name, "SOURCE") == 0 && strcmp(cmd, "feature") == 0) {
		feature_names(ctx, MLP_FK_SOURCE, word, out);
	} else if (strcmp(name, "SOURCE") == 0) {
		/* a model source: models:/, runs:/ or a path */
		model_uris(ctx, word, out);
		run_uris(ctx, word, out);
		if (!starts(word, "models:/") && !starts(word, "runs:/"))
			mlp_strv_push(out, ":files");
	} else if (strcmp(name, "NAME") == 0 && strcmp(cmd, "feature") == 0) {
		feature_names(ctx, -1, word, out);
	} else if (strcmp(name, "VIEW") == 0) {
		feature_names(ctx, MLP_FK_VIEW, word, out);
	} else if (strcmp(name, "SERVICE") == 0) {
		feature_names(ctx, MLP_FK_SERVICE, word, out);
	} else if (strcmp(name, "REF") == 0) {
		feature_refs(ctx, word, out);
	} else if (strcmp(name, "ONLINE") == 0) {
		add(out, word, "sqlite:");
		add(out, word, "redis://");
	} else if (strcmp(name, "KEY") == 0 && argname[len] == '=' &&
	    strcmp(cmd, "feature") == 0) {
		join_keys(ctx, word, out);
	} else if (strcmp(name, "KIND") == 0) {
		for (int k = 0; k < MLP_FK_COUNT; k++)
			add(out, word, mlp_fkind_name(k));
	} else if (strcmp(name, "DEPLOYMENT") == 0 && ctx->db) {
		struct mlp_err err;

		/* history also knows the deployments removed */
		mlp_err_clear(&err);
		mlp_deploy_names(ctx->db, word, ctx->verb &&
		    strcmp(ctx->verb->name, "history") == 0, out, &err);
	} else if (strcmp(name, "TARGET") == 0) {
		for (size_t i = 0; mlp_deploy_targets[i]; i++)
			if (starts(mlp_deploy_targets[i]->name, word))
				mlp_strv_push_owned(out, xasprintf("%s\t%s",
				    mlp_deploy_targets[i]->name,
				    mlp_deploy_targets[i]->summary));
	} else if (strcmp(name, "REMOTE") == 0) {
		remote_names(ctx, word, out);
	} else if (strcmp(name, "URL") == 0) {
		add(out, word, "file://");
		add(out, word, "s3://");
		add(out, word, "https://");
		add(out, word, "http://");
	} else if (strcmp(name, "STATUS") == 0) {
		add(out, word, "finished");
		add(out, word, "failed");
		add(out, word, "killed");
	} else if (strcmp(name, "FILE") == 0 || strcmp(name, "DIR") == 0 ||
	    strcmp(name, "SPEC") == 0 || strcmp(name, "PATH") == 0) {
		/* once, for "FILE|DIR" too */
		size_t i = 0;

		while (i < out->n && strcmp(out->v[i], ":files") != 0)
			i++;
		if (i == out->n)
			mlp_strv_push(out, ":files");
	} else if (strcmp(name, "COMMAND") == 0) {
		for (size_t i = 0; mlp_commands[i]; i++) {
			char *s = xasprintf("%s\t%s", mlp_commands[i]->name,
			    mlp_commands[i]->summary);

			if (starts(s, word))
				mlp_strv_push_owned(out, s);
			else
				free(s);
		}
	} else if (strcmp(name, "VERB") == 0 && cc->command) {
		const struct mlp_command *c = mlp_command_find(cc->command);

		/* the verb's first word, or after it a group's second */
		if (c && c->verbs)
			complete_verbs(c, cc->npos > 1 ? cc->pos[1] : NULL,
			    word, out);
	} else if (strcmp(name, "KEY") == 0 && !argname[len] &&
	    strcmp(cmd, "config") == 0) {
		config_key_names(cc, word, out);
	} else if (strcmp(name, "VALUE") == 0 && cc->key &&
	    strcasecmp(cc->key, "store.link") == 0) {
		add(out, word, "reflink");
		add(out, word, "hardlink");
		add(out, word, "copy");
	}
}

/* The verbs of c for the word being typed: a one-word verb with its
 * summary, the first word of a two-word group once. After group, a
 * group's first word, its second words. */
static void
complete_verbs(const struct mlp_command *c, const char *group,
    const char *word, struct mlp_strv *out)
{
	const char *prev = NULL;

	for (const struct mlp_verb *v = c->verbs; v->name; v++) {
		size_t len = strcspn(v->name, " ");
		char *s;

		if (group) {
			if (!v->name[len] || strncmp(v->name, group, len) != 0 ||
			    group[len])
				continue;
			s = xasprintf("%s\t%s", v->name + len + 1, v->summary);
		} else {
			if (prev && strncmp(prev, v->name, len) == 0 &&
			    (prev[len] == ' ' || prev[len] == '\0'))
				continue;
			prev = v->name;
			s = v->name[len] ? xstrndup(v->name, len) :
			    xasprintf("%s\t%s", v->name, v->summary);
		}
		if (starts(s, word))
			mlp_strv_push_owned(out, s);
		else
			free(s);
	}
}

/* 1 when word is the first word of a two-word verb of c and no one-word
 * verb has that name ("track experiment") */
static int
group_only(const struct mlp_command *c, const char *word)
{
	int group = 0;

	for (const struct mlp_verb *v = c->verbs; v->name; v++) {
		size_t len = strcspn(v->name, " ");

		if (strncmp(v->name, word, len) != 0 || word[len] != '\0')
			continue;
		if (!v->name[len])
			return 0;
		group = 1;
	}
	return group;
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
complete_opt_value(struct comp *cc, const struct mlp_opt *opts,
    const char *word, struct mlp_strv *out)
{
	const char *eq = strchr(word, '=');
	char *name = xstrndup(word, (size_t)(eq - word));
	const struct mlp_opt *o = find_opt(opts, name);
	struct mlp_strv vals = MLP_STRV_INIT;

	if (o && o->arg)
		complete_arg(cc, o->arg, eq + 1, &vals);
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

/* Notes what a value given for an argument named argname says. */
static void
note_value(struct comp *cc, const char *argname, const char *value)
{
	size_t len = strcspn(argname, "=[. |");

	if (strncmp(argname, "MODEL", len) == 0 && len == 5) {
		/* MODEL, or MODEL|URI given a models:/ URI */
		if (starts(value, "models:/")) {
			free(cc->model_buf);
			cc->model_buf = xstrndup(value + 8,
			    strcspn(value + 8, "/@"));
			cc->model = cc->model_buf;
		} else {
			cc->model = value;
		}
	} else if (strncmp(argname, "LEARNER", len) == 0 && len == 7) {
		cc->learner = value;
	} else if (strncmp(argname, "SPEC", len) == 0 && len == 4) {
		cc->spec = value;
	} else if (strncmp(argname, "COMMAND", len) == 0 && len == 7) {
		cc->command = value;
	} else if (strncmp(argname, "KEY", len) == 0 && len == 3) {
		cc->key = value;
	}
}

static void
complete_words(struct comp *cc, int argc, char **argv, struct mlp_strv *out)
{
	struct mlp_ctx *ctx = cc->ctx;
	const char *word = argc ? argv[argc - 1] : "";
	const struct mlp_command *c = NULL;
	const struct mlp_opt *opts = NULL;
	const char *args = NULL;
	int i = 0, dashdash = 0;
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
		complete_arg(cc, "COMMAND", word, out);
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
		int used = 0;

		for (v = c->verbs; c->default_verb && v->name; v++)
			if (strcmp(v->name, c->default_verb) == 0)
				dv = v;
		if (i == argc - 1 && !(dv && word[0] == '-')) {
			complete_verbs(c, NULL, word, out);
			/* and what the default verb takes first, once the
			 * word has begun ("register models:/f") */
			if (dv && word[0]) {
				ctx->verb = dv;
				positional_name(dv->args, 0, name, sizeof(name));
				if (name[0])
					complete_arg(cc, name, word, out);
			}
			return;
		}
		if (i + 1 == argc - 1 && group_only(c, argv[i])) {
			complete_verbs(c, argv[i], word, out);
			return;
		}
		v = mlp_verb_find(c, argc - 1 - i, argv + i, &used);
		/* `mlp register PATH -n ...`: the default verb's options and
		 * arguments when the word is not a verb */
		if (!v)
			v = dv;
		if (!v)
			return;
		ctx->verb = v;
		opts = v->opts;
		args = v->args;
		i += used;
	}
	/* options and positionals of the command or verb */
	cc->pos = xcalloc((size_t)argc + 1, sizeof(*cc->pos));
	for (; i < argc - 1; i++) {
		const struct mlp_opt *o = dashdash ? NULL :
		    find_opt(opts, argv[i]);

		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = 1;
		} else if (o && o->arg) {
			if (i + 1 == argc - 1) {
				complete_arg(cc, o->arg, word, out);
				return;
			}
			note_value(cc, o->arg, argv[++i]);
		} else if (o) {
			if (o->lng && strcmp(o->lng, "global") == 0)
				cc->global = 1;
		} else if (dashdash || argv[i][0] != '-') {
			positional_name(args, cc->npos, name, sizeof(name));
			note_value(cc, name, argv[i]);
			cc->pos[cc->npos++] = argv[i];
		} else if (argv[i][1] == '-' && strchr(argv[i], '=')) {
			/* --OPT=VALUE */
			char *n = xstrndup(argv[i], strcspn(argv[i], "="));

			o = find_opt(opts, n);
			if (o && o->arg)
				note_value(cc, o->arg, strchr(argv[i], '=') + 1);
			free(n);
		}
	}
	if (!dashdash && word[0] == '-' && word[1] == '-' &&
	    strchr(word, '=')) {
		complete_opt_value(cc, opts, word, out);
		return;
	}
	if (!dashdash && word[0] == '-') {
		complete_opts(opts, word, out);
		return;
	}
	positional_name(args, cc->npos, name, sizeof(name));
	/* a verb may be two words: "help track experiment create" */
	if (!name[0] && cc->npos > 0) {
		positional_name(args, cc->npos - 1, name, sizeof(name));
		if (strcmp(name, "VERB") != 0 || cc->npos != 2 ||
		    !c || !mlp_command_find(cc->pos[0]))
			name[0] = '\0';
	}
	if (name[0])
		complete_arg(cc, name, word, out);
}

int
mlp_complete_main(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_strv out = MLP_STRV_INIT;
	struct comp cc = { .ctx = ctx };
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
	complete_words(&cc, argc, argv, &out);
	for (size_t i = 0; i < out.n; i++)
		printf("%s\n", out.v[i]);
	mlp_strv_release(&out);
	free(cc.pos);
	free(cc.model_buf);
	mlp_db_close(ctx->db);
	mlp_repo_free(ctx->repo);
	ctx->db = NULL;
	ctx->repo = NULL;
	return 0;
}
