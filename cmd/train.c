/* mlp train: built-in learners as tracked runs. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "store/store.h"
#include "track/track.h"
#include "train/runner.h"

enum {
	O_PARAM = 1, O_DATA, O_TARGET, O_VALID, O_VALID_FRACTION, O_ALGO,
	O_EXPERIMENT, O_NAME, O_FEATURES, O_CATEGORICAL, O_THREADS, O_SEED,
	O_OUTPUT, O_CKPT_EVERY, O_CKPT_SECONDS, O_CKPT_KEEP, O_REGISTER,
	O_ALIAS, O_CMD, O_SHELL, O_RESUME, O_BACKEND, O_SBATCH, O_RUN_ID,
	O_FOLLOW,
};

static const struct mlp_opt run_opts[] = {
	{ O_PARAM, 'p', "param", "PARAM=VALUE", "a learner parameter, "
	    "XGBoost's names too (repeat; wins over the spec's)" },
	{ O_DATA, 'd', "data", "FILE", "the training data (CSV)" },
	{ O_TARGET, 't', "target", "COL", "the column to predict" },
	{ O_VALID, 0, "valid", "FILE", "validation data (CSV)" },
	{ O_VALID_FRACTION, 0, "valid-fraction", "F", "hold out this "
	    "fraction of the rows for validation instead" },
	{ O_ALGO, 'a', "algo", "LEARNER", "gbdt (default), linear or "
	    "logistic" },
	{ O_EXPERIMENT, 'e', "experiment", "EXP", "the run's experiment "
	    "(created when new)" },
	{ O_NAME, 'n', "name", "NAME", "the run's name" },
	{ O_FEATURES, 0, "features", "COLS", "the feature columns, "
	    "comma-separated (default: all but the target)" },
	{ O_CATEGORICAL, 0, "categorical", "COLS", "columns to read as "
	    "categories, comma-separated" },
	{ O_THREADS, 'j', "threads", "N", "threads (default: the CPUs)" },
	{ O_SEED, 0, "seed", "N", "the seed of the validation split" },
	{ O_OUTPUT, 'o', "output", "NAME", "the model artifact's name "
	    "(default model)" },
	{ O_CKPT_EVERY, 0, "checkpoint-every", "N", "write a checkpoint "
	    "every N iterations" },
	{ O_CKPT_SECONDS, 0, "checkpoint-seconds", "S", "write a checkpoint "
	    "every S seconds" },
	{ O_CKPT_KEEP, 0, "checkpoint-keep", "K", "keep the last K "
	    "checkpoints (default 3)" },
	{ O_REGISTER, 'r', "register", "MODEL", "register the model under "
	    "this name when training succeeds" },
	{ O_ALIAS, 0, "alias", "ALIAS", "with --register: point this alias "
	    "at the new version (repeat)" },
	{ O_CMD, 'c', "cmd", "CMD", "run this external trainer instead "
	    "(metrics on MLP_TRACK_FD; -d, -t, -p as MLP_DATA, MLP_TARGET, "
	    "MLP_PARAM_*)" },
	{ O_SHELL, 0, "shell", NULL, "run --cmd through /bin/sh -c" },
	{ O_RESUME, 0, "resume", "RUN", "continue a killed or failed run "
	    "from its last checkpoint" },
	{ O_BACKEND, 'b', "backend", "BACKEND", "local (default) or slurm "
	    "(submit with sbatch)" },
	{ O_SBATCH, 0, "sbatch-arg", "ARG", "with --backend slurm: an sbatch "
	    "option such as --partition=gpu (repeat)" },
	{ O_RUN_ID, 0, "run-id", "RUN", "train a submitted run (what a Slurm "
	    "job runs)" },
	{ 0, 0, NULL, NULL, NULL },
};

static volatile int stop;

static void
on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

struct ui {
	struct mlp_ctx *ctx;
	double t0, last;
	int bar;		/* draw a progress bar (stderr is a terminal) */
};

static void
progress(void *ud, int iter, int total, const struct mlp_metric_val *m,
    size_t nm)
{
	struct ui *u = ud;
	double now = mlp_mono(), el = now - u->t0;
	char elapsed[32], eta[32];
	struct mlp_buf b = MLP_BUF_INIT;
	int width = 24, fill;

	if (u->ctx->quiet || (!u->bar && !u->ctx->verbose))
		return;
	if (u->bar && iter < total && now - u->last < 0.1)
		return;
	u->last = now;
	mlp_fmt_duration((int64_t)(el * 1000), elapsed, sizeof(elapsed));
	mlp_fmt_duration(iter ? (int64_t)(el / iter * (total - iter) * 1000) :
	    0, eta, sizeof(eta));
	if (u->bar) {
		fill = total > 0 ? (int)((int64_t)iter * width / total) : width;
		mlp_buf_addc(&b, '[');
		for (int i = 0; i < width; i++)
			mlp_buf_addc(&b, i < fill ? '#' : '.');
		mlp_buf_adds(&b, "] ");
	}
	mlp_buf_addf(&b, "%d/%d", iter, total);
	for (size_t i = 0; i < nm && i < 4; i++)
		mlp_buf_addf(&b, "  %s %.5g", m[i].name, m[i].value);
	mlp_buf_addf(&b, "  %s", elapsed);
	if (iter < total)
		mlp_buf_addf(&b, " eta %s", eta);
	if (u->bar)	/* cut to one line: a wrapped one cannot be redrawn */
		fprintf(stderr, "\r%.*s\033[K%s", mlp_term_width() - 1,
		    mlp_buf_str(&b), iter >= total ? "\n" : "");
	else
		fprintf(stderr, "%s\n", mlp_buf_str(&b));
	mlp_buf_release(&b);
}

static void
note(void *ud, const char *msg)
{
	struct ui *u = ud;

	if (u->bar && u->last > 0)
		fputc('\n', stderr);
	mlp_info(u->ctx, "%s", msg);
}

static int
parse_count(struct mlp_ctx *ctx, const char *opt, const char *s, long min,
    long max, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < min || v > max)
		return mlp_usage_error(ctx, "--%s '%s' is not a number from %ld "
		    "to %ld", opt, s, min, max);
	*out = v;
	return 0;
}

/* An integer from the config, left alone when unset; 2 (after saying
 * why) when it is not a number in [min, max]. */
static int
config_long(struct mlp_ctx *ctx, const char *key, long min, long max,
    long *out)
{
	struct mlp_err err;
	char *v = NULL, *end;
	long x;
	int rc;

	mlp_err_clear(&err);
	rc = mlp_config_get(ctx->repo, key, &v, &err);
	if (rc == MLP_ENOTFOUND)
		return 0;
	if (rc < 0)
		return mlp_fail(ctx, &err);
	x = strtol(v, &end, 10);
	if (end == v || *end || x < min || x > max) {
		rc = mlp_usage_error(ctx, "config %s: '%s' is not a number from "
		    "%ld to %ld", key, v, min, max);
		free(v);
		return rc;
	}
	free(v);
	*out = x;
	return 0;
}

static void
split_list(const char *s, struct mlp_strv *out)
{
	mlp_strv_release(out);
	while (*s) {
		size_t n = strcspn(s, ",");

		if (n)
			mlp_strv_push_owned(out, xstrndup(s, n));
		s += n;
		if (*s == ',')
			s++;
	}
}

static void
replace(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static void
print_result(struct mlp_ctx *ctx, const struct mlp_train_spec *s,
    const struct mlp_train_result *res)
{
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *m;
		char v[64];

		cJSON_AddStringToObject(o, "run_id", res->run_id);
		cJSON_AddStringToObject(o, "status", "FINISHED");
		cJSON_AddNumberToObject(o, "iterations", res->iterations);
		if (res->best_iteration &&
		    res->best_iteration < res->iterations)
			cJSON_AddNumberToObject(o, "best_iteration",
			    res->best_iteration);
		m = cJSON_AddObjectToObject(o, "metrics");
		for (size_t i = 0; i < res->nmetrics; i++)
			cJSON_AddNumberToObject(m, res->metric_names[i],
			    isfinite(res->metric_values[i]) ?
			    res->metric_values[i] : 0);
		cJSON_AddStringToObject(o, "artifact", res->artifact);
		if (res->version) {
			snprintf(v, sizeof(v), "%lld", (long long)res->version);
			cJSON_AddStringToObject(o, "model", s->register_name);
			cJSON_AddStringToObject(o, "version", v);
		}
		mlp_print_json(o);
		return;
	}
	if (!ctx->quiet) {
		struct mlp_buf b = MLP_BUF_INIT;

		for (size_t i = 0; i < res->nmetrics; i++)
			mlp_buf_addf(&b, "%s%s %.5g", i ? ", " : "",
			    res->metric_names[i], res->metric_values[i]);
		mlp_info(ctx, "run %.8s finished after %d %s", res->run_id,
		    res->iterations, mlp_plural(res->iterations, "iteration",
		    "iterations"));
		if (res->best_iteration &&
		    res->best_iteration < res->iterations)
			mlp_info(ctx, "early stopping kept iteration %d",
			    res->best_iteration);
		if (b.len)
			mlp_info(ctx, "%s", mlp_buf_str(&b));
		mlp_buf_release(&b);
	}
	printf("%s\n", res->artifact);
	if (res->version)
		printf("models:/%s/%lld\n", s->register_name,
		    (long long)res->version);
}

static int
train_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_train_spec s;
	struct mlp_params overrides = MLP_PARAMS_INIT;
	struct mlp_train_env env = { 0 };
	struct mlp_train_events ev = { 0 };
	struct mlp_train_result res = { 0 };
	struct mlp_strv aliases = MLP_STRV_INIT;
	struct sigaction sa, old_int, old_term;
	struct mlp_store *st;
	struct mlp_err err;
	struct ui u = { 0 };
	char *ckpt_root = NULL, *cmdline = NULL, *user = NULL;
	const char *cmd = NULL, *resume = NULL, *backend = "local";
	const char *run_id = NULL;
	struct mlp_strv sbatch = MLP_STRV_INIT;
	struct mlp_run_info ri = { 0 };
	long v;
	int r, rc = 0, have_alias = 0, shell = 0, child_status = 0;

	mlp_err_clear(&err);
	mlp_train_spec_init(&s);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		switch (r) {
		case O_PARAM:
			if (mlp_params_parse(&overrides, p.arg, &err) < 0) {
				rc = mlp_usage_error(ctx, "%s", err.msg);
				goto out;
			}
			break;
		case O_DATA:
			replace(&s.data, p.arg);
			break;
		case O_TARGET:
			replace(&s.target, p.arg);
			break;
		case O_VALID:
			replace(&s.valid, p.arg);
			break;
		case O_VALID_FRACTION: {
			char *end;
			double f = strtod(p.arg, &end);

			if (end == p.arg || *end || !(f > 0 && f < 1)) {
				rc = mlp_usage_error(ctx, "--valid-fraction '%s' "
				    "is not a number between 0 and 1", p.arg);
				goto out;
			}
			s.valid_fraction = f;
			break;
		}
		case O_ALGO:
			replace(&s.algo, p.arg);
			break;
		case O_EXPERIMENT:
			replace(&s.experiment, p.arg);
			break;
		case O_NAME:
			replace(&s.name, p.arg);
			break;
		case O_FEATURES:
			split_list(p.arg, &s.features);
			break;
		case O_CATEGORICAL:
			split_list(p.arg, &s.categorical);
			break;
		case O_THREADS:
			if ((rc = parse_count(ctx, "threads", p.arg, 0, 256,
			    &v)) != 0)
				goto out;
			s.threads = (int)v;
			break;
		case O_SEED:
			if ((rc = parse_count(ctx, "seed", p.arg, 0,
			    0x7fffffffL, &v)) != 0)
				goto out;
			s.seed = v;
			break;
		case O_OUTPUT:
			replace(&s.output, p.arg);
			break;
		case O_CKPT_EVERY:
			if ((rc = parse_count(ctx, "checkpoint-every", p.arg, 0,
			    1000000, &v)) != 0)
				goto out;
			s.ckpt_every = (int)v;
			break;
		case O_CKPT_SECONDS:
			if ((rc = parse_count(ctx, "checkpoint-seconds", p.arg,
			    0, 604800, &v)) != 0)
				goto out;
			s.ckpt_seconds = (int)v;
			break;
		case O_CKPT_KEEP:
			if ((rc = parse_count(ctx, "checkpoint-keep", p.arg, 1,
			    1000, &v)) != 0)
				goto out;
			s.ckpt_keep = (int)v;
			break;
		case O_REGISTER:
			replace(&s.register_name, p.arg);
			break;
		case O_ALIAS:
			mlp_strv_push(&aliases, p.arg);
			have_alias = 1;
			break;
		case O_CMD:
			cmd = p.arg;
			break;
		case O_SHELL:
			shell = 1;
			break;
		case O_RESUME:
			resume = p.arg;
			break;
		case O_BACKEND:
			if (strcmp(p.arg, "local") != 0 &&
			    strcmp(p.arg, "slurm") != 0) {
				rc = mlp_usage_error(ctx, "unknown backend '%s' "
				    "(valid: local, slurm)", p.arg);
				goto out;
			}
			backend = p.arg;
			break;
		case O_SBATCH:
			mlp_strv_push(&sbatch, p.arg);
			break;
		case O_RUN_ID:
			run_id = p.arg;
			break;
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if (p.npos > 1) {
		rc = mlp_usage_error(ctx, "one spec file at most");
		goto out;
	}
	if (p.npos == 1) {
		/* the file first, then the flags given win over it */
		struct mlp_train_spec f;

		mlp_train_spec_init(&f);
		if (mlp_train_spec_load(&f, p.pos[0], &err) < 0) {
			mlp_train_spec_release(&f);
			rc = mlp_fail(ctx, &err);
			goto out;
		}
#define TAKE(field) if (s.field) { free(f.field); f.field = s.field; \
	s.field = NULL; }
		TAKE(data) TAKE(target) TAKE(valid) TAKE(algo) TAKE(experiment)
		TAKE(name) TAKE(output) TAKE(register_name)
#undef TAKE
		if (s.valid_fraction > 0)
			f.valid_fraction = s.valid_fraction;
		if (s.valid)
			f.valid_fraction = 0;
		if (s.features.n)
			mlp_strv_release(&f.features), f.features = s.features,
			    s.features = (struct mlp_strv)MLP_STRV_INIT;
		if (s.categorical.n)
			mlp_strv_release(&f.categorical),
			    f.categorical = s.categorical,
			    s.categorical = (struct mlp_strv)MLP_STRV_INIT;
		if (s.threads)
			f.threads = s.threads;
		if (s.seed)
			f.seed = s.seed;
		if (s.ckpt_every)
			f.ckpt_every = s.ckpt_every;
		if (s.ckpt_seconds)
			f.ckpt_seconds = s.ckpt_seconds;
		if (s.ckpt_keep != 3)
			f.ckpt_keep = s.ckpt_keep;
		mlp_train_spec_release(&s);
		s = f;
	}
	for (size_t i = 0; i < overrides.n; i++)
		mlp_params_set(&s.params, overrides.key[i], overrides.val[i]);
	if (have_alias) {
		mlp_strv_release(&s.register_aliases);
		s.register_aliases = aliases;
		aliases = (struct mlp_strv)MLP_STRV_INIT;
		if (!s.register_name) {
			rc = mlp_usage_error(ctx, "--alias goes with --register "
			    "MODEL");
			goto out;
		}
	}
	/* checkpoints the spec and flags leave unset: the repository's
	 * train.checkpointEvery, train.checkpointSeconds, train.checkpointKeep */
	if (!resume && !run_id && !cmd && !s.ckpt_every && !s.ckpt_seconds) {
		long ce = 0, cs = 0;

		if ((rc = config_long(ctx, "train.checkpointEvery", 0, 1000000,
		    &ce)) != 0 || (rc = config_long(ctx,
		    "train.checkpointSeconds", 0, 604800, &cs)) != 0)
			goto out;
		s.ckpt_every = (int)ce;
		s.ckpt_seconds = (int)cs;
	}
	if (!resume && !run_id && s.ckpt_keep == 3) {
		long ck = 3;

		if ((rc = config_long(ctx, "train.checkpointKeep", 1, 1000,
		    &ck)) != 0)
			goto out;
		s.ckpt_keep = (int)ck;
	}
	if (resume && run_id) {
		rc = mlp_usage_error(ctx, "--resume and --run-id do not go "
		    "together");
		goto out;
	}
	if (run_id)
		resume = run_id;
	if (resume) {
		/* the run's own spec: nothing else may change */
		char *sp;

		if (p.npos || cmd || overrides.n || s.data || s.target) {
			rc = mlp_usage_error(ctx, "--%s RUN takes no spec, data "
			    "or parameters: the run's own are used", run_id ?
			    "run-id" : "resume");
			goto out;
		}
		if (mlp_track_run_resolve(ctx->db, resume, &ri, &err) < 0) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		if (strcmp(ri.status, "FINISHED") == 0) {
			rc = mlp_failf(ctx, 1, "run %.8s finished already",
			    ri.uuid);
			goto out;
		}
		/* a run whose process on this host is gone is KILLED now;
		 * one still running is not taken from its process */
		if (!run_id && strcmp(ri.status, "RUNNING") == 0) {
			struct mlp_run_info now = { 0 };
			char id[33];

			memcpy(id, ri.uuid, sizeof(id));
			if (mlp_track_reconcile(ctx->db, id, NULL, &err) < 0 ||
			    mlp_track_run_resolve(ctx->db, id, &now,
			    &err) < 0) {
				rc = mlp_fail(ctx, &err);
				goto out;
			}
			mlp_run_info_release(&ri);
			ri = now;
		}
		if (!run_id && strcmp(ri.status, "RUNNING") == 0) {
			rc = mlp_failf(ctx, 1, "run %.8s is still running",
			    ri.uuid);
			mlp_hint(ctx, "stop its mlp train first; if it ran on "
			    "another machine and is gone, end it with 'mlp "
			    "track end %.8s --status killed'", ri.uuid);
			goto out;
		}
		sp = xasprintf("%s/checkpoints/%s/spec.json", ctx->repo->dir,
		    ri.uuid);
		mlp_train_spec_release(&s);
		r = mlp_train_spec_read_json(&s, sp, &err);
		free(sp);
		if (r < 0) {
			rc = mlp_failf(ctx, 1, "run %.8s cannot be resumed: it "
			    "was not started by mlp train (%s)", ri.uuid,
			    err.msg);
			goto out;
		}
		env.run_id = ri.uuid;
		env.resume = 1;
		env.submitted = run_id != NULL;
		cmd = s.cmd;
		shell = s.shell;
	}
	if (sbatch.n && strcmp(backend, "slurm") != 0) {
		rc = mlp_usage_error(ctx, "--sbatch-arg goes with --backend "
		    "slurm");
		goto out;
	}
	if (cmd && !s.cmd) {
		s.cmd = xstrdup(cmd);
		s.shell = shell;
	}
	if (shell && !cmd) {
		rc = mlp_usage_error(ctx, "--shell goes with --cmd COMMAND");
		goto out;
	}
	/* everything that can be checked before a run exists: a mistake
	 * leaves no run behind */
	if ((cmd ? mlp_train_spec_check_cmd(&s, &err) :
	    mlp_train_prepare(&s, &err)) < 0) {
		rc = err.code == MLP_EINVAL ? mlp_usage_error(ctx, "%s",
		    err.msg) : mlp_failf(ctx, 1, "%s", err.msg);
		goto out;
	}
	if (!resume && mlp_train_check_start(ctx->db, &s, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (!cmd && strcmp(backend, "slurm") == 0 &&
	    mlp_train_check_header(&s, &err) < 0) {
		rc = mlp_failf(ctx, 1, "%s", err.msg);
		goto out;
	}
	if (cmd && !shell) {
		struct mlp_strv words = MLP_STRV_INIT;

		r = mlp_train_split_command(cmd, &words, &err);
		mlp_strv_release(&words);
		if (r < 0) {
			rc = mlp_usage_error(ctx, "--cmd: %s", err.msg);
			goto out;
		}
	}
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	ckpt_root = xasprintf("%s/checkpoints", ctx->repo->dir);
	cmdline = mlp_ctx_cmdline(ctx);
	user = mlp_track_user(ctx->repo);
	env.db = ctx->db;
	env.st = st;
	env.mlp_dir = ctx->repo->dir;
	env.ckpt_root = ckpt_root;
	env.cmdline = cmdline;
	env.user = user;
	u.ctx = ctx;
	u.t0 = mlp_mono();
	u.bar = ctx->color_err && !ctx->quiet;
	ev.progress = progress;
	ev.note = note;
	ev.ud = &u;
	ev.stop = &stop;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	if (strcmp(backend, "slurm") == 0) {
		char *self = realpath("/proc/self/exe", NULL), *job = NULL;

		r = mlp_slurm_submit(&env, &s, self ? self : "mlp",
		    ctx->repo->root, (const char *const *)sbatch.v, sbatch.n,
		    res.run_id, &job, &err);
		free(self);
		if (r < 0) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		if (ctx->json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "run_id", res.run_id);
			cJSON_AddStringToObject(o, "status", "SCHEDULED");
			cJSON_AddStringToObject(o, "job_id", job);
			mlp_print_json(o);
		} else {
			mlp_info(ctx, "submitted run %.8s as Slurm job %s; "
			    "follow it with: mlp train status %.8s", res.run_id,
			    job, res.run_id);
			printf("%s\n", res.run_id);
		}
		free(job);
		goto out;
	}
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	r = cmd ? mlp_train_exec(&env, &s, cmd, shell, &ev, &res,
	    &child_status, &err) : mlp_train_run(&env, &s, &ev, &res, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r < 0) {
		if (u.bar && u.last > 0)
			fputc('\n', stderr);
		/* the spec was checked: what fails now is the data (no run
		 * yet) or the run's, 1 either way */
		rc = !res.run_id[0] && err.code != MLP_EINVAL ?
		    mlp_fail(ctx, &err) : mlp_failf(ctx, 1, "%s", err.msg);
		if (res.run_id[0]) {
			struct mlp_run_info now = { 0 };
			struct mlp_err e2;

			/* as it was left: FAILED, KILLED, or as a cancel
			 * left a submitted run this job did not take up */
			mlp_err_clear(&e2);
			if (mlp_track_run_resolve(ctx->db, res.run_id, &now,
			    &e2) == 0)
				mlp_hint(ctx, "the run is %s (%s): mlp track "
				    "show %.8s", res.run_id, now.status,
				    res.run_id);
			mlp_run_info_release(&now);
		}
		if (r == MLP_EINTR)
			rc = 130;
		else if (child_status > 0 && child_status < 126)
			rc = child_status;	/* the trainer's own status */
		goto out;
	}
	if (cmd) {
		if (ctx->json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "run_id", res.run_id);
			cJSON_AddStringToObject(o, "status", "FINISHED");
			cJSON_AddStringToObject(o, "artifact", res.artifact);
			if (res.version) {
				char vb[32];

				snprintf(vb, sizeof(vb), "%lld",
				    (long long)res.version);
				cJSON_AddStringToObject(o, "model",
				    s.register_name);
				cJSON_AddStringToObject(o, "version", vb);
			}
			mlp_print_json(o);
		} else {
			mlp_info(ctx, "run %.8s finished", res.run_id);
			printf("runs:/%s\n", res.run_id);
			if (res.version)
				printf("models:/%s/%lld\n", s.register_name,
				    (long long)res.version);
		}
		goto out;
	}
	print_result(ctx, &s, &res);
out:
	mlp_train_result_release(&res);
	mlp_run_info_release(&ri);
	mlp_train_spec_release(&s);
	mlp_params_release(&overrides);
	mlp_strv_release(&aliases);
	mlp_strv_release(&sbatch);
	free(ckpt_root);
	free(cmdline);
	free(user);
	mlp_opt_release(&p);
	return rc;
}

/* status, logs, cancel: a Slurm run */

static const struct mlp_opt none_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

static const struct mlp_opt logs_opts[] = {
	{ O_FOLLOW, 'f', "follow", NULL, "keep printing what the job writes "
	    "until its run ends" },
	{ 0, 0, NULL, NULL, NULL },
};

/* Parses the verb's options (follow for logs) and resolves RUN; with
 * optional set, no RUN leaves ri->uuid empty. */
static int
slurm_verb(struct mlp_ctx *ctx, int argc, char **argv,
    struct mlp_run_info *ri, struct mlp_train_env *env, char **ckpt_root,
    int *follow, int optional)
{
	struct mlp_optparse p;
	struct mlp_err err;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_FOLLOW && follow) {
			*follow = 1;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos > 1 || (p.npos == 0 && !optional)) {
		rc = mlp_usage_error(ctx, optional ? "give at most one RUN" :
		    "give one RUN");
		goto out;
	}
	if (p.npos == 1 &&
	    mlp_track_run_resolve(ctx->db, p.pos[0], ri, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	*ckpt_root = xasprintf("%s/checkpoints", ctx->repo->dir);
	env->db = ctx->db;
	env->mlp_dir = ctx->repo->dir;
	env->ckpt_root = *ckpt_root;
out:
	mlp_opt_release(&p);
	return rc;
}

static int
collect_run(const struct mlp_run_info *ri, const struct mlp_value *cols,
    void *ud)
{
	(void)cols;
	mlp_strv_push(ud, ri->uuid);
	return 0;
}

/* status without RUN: every Slurm run not ended, each reconciled with its
 * job (as squeue lists the jobs). */
static int
slurm_runs(struct mlp_ctx *ctx, const struct mlp_train_env *env)
{
	static const char *const hdr[] = { "RUN", "STATUS", "JOB", "STATE" };
	struct mlp_search q = { .filter = "tags.`mlp.slurm.job_id` LIKE '%' "
	    "AND status IN ('SCHEDULED', 'RUNNING')", .limit = -1 };
	struct mlp_strv ids = MLP_STRV_INIT;
	struct mlp_table t;
	struct mlp_err err;
	cJSON *a = ctx->json ? cJSON_CreateArray() : NULL;
	int rc = 0;

	mlp_err_clear(&err);
	mlp_table_init(&t, 4, hdr);
	/* collected first: reconciling writes to the runs searched */
	if (mlp_track_search(ctx->db, &q, collect_run, &ids, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	for (size_t i = 0; i < ids.n; i++) {
		struct mlp_run_info now = { 0 };
		char *job = NULL, *state = NULL, id[9];

		if (mlp_slurm_status(env, ids.v[i], &job, &state, &err) < 0 ||
		    mlp_track_run_resolve(ctx->db, ids.v[i], &now, &err) < 0) {
			free(job);
			free(state);
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		if (a) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "run_id", ids.v[i]);
			cJSON_AddStringToObject(o, "status", now.status);
			cJSON_AddStringToObject(o, "job_id", job);
			cJSON_AddStringToObject(o, "job_state", state);
			cJSON_AddItemToArray(a, o);
		} else {
			const char *row[4] = { id, now.status, job, state };

			snprintf(id, sizeof(id), "%.8s", ids.v[i]);
			mlp_table_add(&t, row);
		}
		mlp_run_info_release(&now);
		free(job);
		free(state);
	}
	if (a) {
		mlp_print_json(a);
		a = NULL;
	} else if (t.nrows) {
		mlp_table_print(ctx, &t);
	}
out:
	cJSON_Delete(a);
	mlp_table_release(&t);
	mlp_strv_release(&ids);
	return rc;
}

static int
train_status(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_run_info ri = { 0 }, now = { 0 };
	struct mlp_train_env env = { 0 };
	struct mlp_err err;
	char *root = NULL, *job = NULL, *state = NULL;
	int rc;

	mlp_err_clear(&err);
	if ((rc = slurm_verb(ctx, argc, argv, &ri, &env, &root, NULL, 1)) != 0)
		goto out;
	/* runs whose mlp train died here are not RUNNING (best effort) */
	mlp_track_reconcile(ctx->db, ri.uuid[0] ? ri.uuid : NULL, NULL, &err);
	mlp_err_clear(&err);
	if (!ri.uuid[0]) {
		rc = slurm_runs(ctx, &env);
		goto out;
	}
	if (mlp_slurm_status(&env, ri.uuid, &job, &state, &err) < 0 ||
	    mlp_track_run_resolve(ctx->db, ri.uuid, &now, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "run_id", ri.uuid);
		cJSON_AddStringToObject(o, "status", now.status);
		cJSON_AddStringToObject(o, "job_id", job);
		cJSON_AddStringToObject(o, "job_state", state);
		mlp_print_json(o);
	} else {
		printf("run %.8s %s, Slurm job %s %s\n", ri.uuid, now.status,
		    job, state);
	}
out:
	mlp_run_info_release(&ri);
	mlp_run_info_release(&now);
	free(root);
	free(job);
	free(state);
	return rc;
}

/* Copies what fd has beyond what was read, to fp: 0, or -1 with errno
 * on a read error. */
static int
drain(int fd, FILE *fp)
{
	char buf[65536];
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		fwrite(buf, 1, (size_t)n, fp);
	}
	fflush(fp);
	return 0;
}

/* Copies artifact oid of the run to fp; a display, so not re-hashed. */
static int
copy_artifact(struct mlp_ctx *ctx, const char *hex, FILE *fp)
{
	struct mlp_store *st;
	struct mlp_oid oid;
	struct mlp_err err;
	uint64_t size;
	int fd, rc;

	mlp_err_clear(&err);
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		return rc;
	if (mlp_oid_parse(hex, &oid, &err) < 0 ||
	    mlp_store_open_object(st, &oid, &fd, &size, &err) < 0)
		return mlp_fail(ctx, &err);
	fflush(stdout);
	rc = drain(fd, fp) < 0 ? mlp_failf(ctx, 1, "cannot read object "
	    "%.12s: %s", hex, strerror(errno)) : 0;
	close(fd);
	return rc;
}

/* Who writes the files train logs follows: a Slurm job (env, reconciled
 * with the run now and then, so that a job that died outside mlp ends the
 * follow) or an mlp process here (exec_dir's pid file). */
struct writer {
	const struct mlp_train_env *env;
	const char *exec_dir;
};

/* Prints what the n (at most 2) files at paths hold, each to its stream,
 * and with follow what they gain until the run is no longer SCHEDULED or
 * RUNNING or its writer is gone; a file not there yet is opened when it
 * appears, and one removed stays readable once open. Returns whether any
 * file was found. */
static int
tail_files(struct mlp_ctx *ctx, const char *uuid, char *const *paths,
    FILE *const *fps, int n, int follow, const struct writer *w)
{
	struct mlp_err err;
	int fd[2] = { -1, -1 }, found = 0;

	mlp_err_clear(&err);
	for (unsigned tick = 1;; tick++) {
		struct mlp_run_info now = { 0 };
		int done, gone = 0;

		for (int i = 0; i < n; i++) {
			if (fd[i] < 0)
				fd[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
			found |= fd[i] >= 0;
			(void)drain(fd[i], fps[i]);
		}
		if (!follow)
			break;
		if (w->env && tick % 25 == 0) {
			char *job = NULL, *state = NULL;

			(void)mlp_slurm_status(w->env, uuid, &job, &state, &err);
			free(job);
			free(state);
		}
		if (w->exec_dir && tick % 5 == 0)
			gone = mlp_train_exec_gone(w->exec_dir);
		done = gone || mlp_track_run_resolve(ctx->db, uuid, &now,
		    &err) < 0 || (strcmp(now.status, "RUNNING") != 0 &&
		    strcmp(now.status, "SCHEDULED") != 0);
		mlp_run_info_release(&now);
		if (done) {
			for (int i = 0; i < n; i++)
				(void)drain(fd[i], fps[i]);
			if (gone)
				mlp_info(ctx, "the mlp process running run %.8s "
				    "is gone; the run stays RUNNING", uuid);
			break;
		}
		usleep(200000);
	}
	for (int i = 0; i < n; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return found;
}

/* An external trainer running here writes its output under the store's
 * tmp/ until it ends: print it (following it with follow). 1 when there
 * is no such output, else 0 or the exit status. */
static int
running_logs(struct mlp_ctx *ctx, const struct mlp_run_info *ri, int follow)
{
	FILE *const fps[2] = { stdout, stderr };
	struct writer w = { NULL, NULL };
	struct mlp_store *st;
	char *dir, *paths[2];
	int rc;

	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		return rc;
	dir = mlp_train_exec_dir(mlp_store_tmp_dir(st), ri->uuid);
	paths[0] = xasprintf("%s/stdout.txt", dir);
	paths[1] = xasprintf("%s/stderr.txt", dir);
	w.exec_dir = dir;
	rc = access(dir, F_OK) == 0 &&
	    tail_files(ctx, ri->uuid, paths, fps, 2, follow, &w) ? 0 : 1;
	free(paths[0]);
	free(paths[1]);
	free(dir);
	return rc;
}

/* A local run's output: what an external trainer wrote, kept as the
 * artifacts stdout.txt and stderr.txt when it ended, each to its stream,
 * or, while it runs, what it has written so far (followed with follow). */
static int
local_logs(struct mlp_ctx *ctx, const struct mlp_run_info *ri, int follow)
{
	struct mlp_artifact *a = NULL;
	struct mlp_err err;
	size_t n = 0, found = 0;
	int rc = 0;

	if (strcmp(ri->status, "RUNNING") == 0 &&
	    (rc = running_logs(ctx, ri, follow)) != 1)
		return rc;
	rc = 0;
	mlp_err_clear(&err);
	if (mlp_track_artifacts(ctx->db, ri->uuid, &a, &n, &err) < 0)
		return mlp_fail(ctx, &err);
	for (size_t i = 0; i < n && rc == 0; i++) {
		int out = strcmp(a[i].path, "stdout.txt") == 0;

		if (a[i].is_tree || (!out && strcmp(a[i].path, "stderr.txt")))
			continue;
		found++;
		rc = copy_artifact(ctx, a[i].oid, out ? stdout : stderr);
	}
	mlp_artifacts_free(a, n);
	if (rc == 0 && !found)
		rc = mlp_failf(ctx, 1, "run %.8s has no output to show (Slurm "
		    "jobs and external trainers keep theirs)", ri->uuid);
	return rc;
}

static int
train_logs(struct mlp_ctx *ctx, int argc, char **argv)
{
	FILE *const out[1] = { stdout };
	struct writer w = { NULL, NULL };
	struct mlp_run_info ri = { 0 };
	struct mlp_train_env env = { 0 };
	struct mlp_err err;
	char *root = NULL, *path = NULL;
	int rc, follow = 0;

	mlp_err_clear(&err);
	if ((rc = slurm_verb(ctx, argc, argv, &ri, &env, &root, &follow,
	    0)) != 0)
		goto out;
	if (mlp_slurm_log_path(&env, ri.uuid, &path, &err) < 0) {
		rc = err.code == MLP_EINVAL ? local_logs(ctx, &ri, follow) :
		    mlp_fail(ctx, &err);
		goto out;
	}
	/* the job's output file, once the job has started */
	w.env = &env;
	if (!tail_files(ctx, ri.uuid, &path, out, 1, follow, &w))
		rc = mlp_failf(ctx, 1, "the job of run %.8s has written nothing "
		    "yet", ri.uuid);
out:
	mlp_run_info_release(&ri);
	free(root);
	free(path);
	return rc;
}

static int
train_cancel(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_run_info ri = { 0 };
	struct mlp_train_env env = { 0 };
	struct mlp_err err;
	char *root = NULL;
	int rc;

	mlp_err_clear(&err);
	if ((rc = slurm_verb(ctx, argc, argv, &ri, &env, &root, NULL, 0)) != 0)
		goto out;
	if (mlp_slurm_cancel(&env, ri.uuid, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	mlp_info(ctx, "cancelled run %.8s", ri.uuid);
out:
	mlp_run_info_release(&ri);
	free(root);
	return rc;
}

static const struct mlp_verb verbs[] = {
	{ "run", train_run, run_opts, "[SPEC.yaml]",
	    "Train a built-in learner or a command as a tracked run" },
	{ "status", train_status, none_opts, "[RUN]",
	    "A Slurm run's status and its job's state (all unfinished "
	    "ones without RUN)" },
	{ "logs", train_logs, logs_opts, "RUN",
	    "Print a run's output: its Slurm job's, or an external "
	    "trainer's" },
	{ "cancel", train_cancel, none_opts, "RUN",
	    "Cancel a Slurm run's job; the run ends KILLED" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct mlp_command cmd_train = {
	.name = "train",
	.run = NULL,
	.setup = NEED_REPO,
	.summary = "Train models as tracked runs",
	.opts = NULL,
	.args = NULL,
	.verbs = verbs,
	.default_verb = "run",
};
