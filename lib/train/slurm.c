/* The Slurm training backend: sbatch, squeue/scontrol, scancel. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../track/track.h"
#include "internal.h"
#include "runner.h"

extern char **environ;

/* Runs argv (a Slurm client) and keeps its stdout; its stderr goes into
 * the error message when it fails. */
static int
capture(char *const *argv, struct mlp_buf *out, struct mlp_err *err)
{
	posix_spawn_file_actions_t fa;
	int po[2], pe[2], status = 0, rc = 0;
	struct mlp_buf errb = MLP_BUF_INIT;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot make a pipe: %s",
		    strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		return mlp_err_set(err, MLP_EUNSUPPORTED, "cannot run '%s': %s "
		    "(is Slurm installed?)", argv[0], strerror(rc));
	}
	for (int fd = po[0], i = 0; i < 2; fd = pe[0], i++) {
		char buf[4096];
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0 ||
		    (n < 0 && errno == EINTR))
			if (n > 0)
				mlp_buf_add(i ? &errb : out, buf, (size_t)n);
		close(fd);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		while (errb.len && (errb.s[errb.len - 1] == '\n'))
			errb.s[--errb.len] = '\0';
		rc = mlp_err_set(err, MLP_EFAIL, "%s failed: %s", argv[0],
		    errb.len ? errb.s : "no message");
	}
	mlp_buf_release(&errb);
	return rc;
}

static void
chomp(struct mlp_buf *b)
{
	while (b->len && (b->s[b->len - 1] == '\n' || b->s[b->len - 1] == ' '))
		b->s[--b->len] = '\0';
}

static int
set_tag(const struct mlp_train_env *env, const char *uuid, const char *k,
    const char *v, struct mlp_err *err)
{
	struct mlp_logger *lg = NULL;
	int rc;

	if ((rc = mlp_logger_begin(env->db, uuid, &lg, err)) < 0)
		return rc;
	if ((rc = mlp_logger_tag(lg, k, v, err)) < 0) {
		mlp_logger_abort(lg);
		return rc;
	}
	return mlp_logger_commit(lg, err);
}

/* The quoting a shell reads back as the word itself. */
static void
sh_quote(struct mlp_buf *b, const char *s)
{
	mlp_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			mlp_buf_adds(b, "'\\''");
		else
			mlp_buf_addc(b, *s);
	}
	mlp_buf_addc(b, '\'');
}

int
mlp_slurm_submit(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const char *mlp_path, const char *root,
    const char *const *sbatch_args, size_t nargs, char run_id[33],
    char **job_id, struct mlp_err *err)
{
	struct mlp_buf wrap = MLP_BUF_INIT, out = MLP_BUF_INIT;
	struct mlp_strv argv = MLP_STRV_INIT;
	char *dir = NULL, *spec = NULL, *name = NULL, *outfile = NULL;
	int rc;

	*job_id = NULL;
	if ((rc = train_check_register(s, err)) < 0)
		return rc;
	if ((rc = train_start_run(env, s, run_id, err)) < 0)
		return rc;
	dir = xasprintf("%s/%s", env->ckpt_root, run_id);
	spec = xasprintf("%s/spec.json", dir);
	if ((mkdir(env->ckpt_root, 0777) < 0 && errno != EEXIST) ||
	    (mkdir(dir, 0777) < 0 && errno != EEXIST)) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s", dir,
		    strerror(errno));
		goto out;
	}
	if ((rc = mlp_train_spec_write_json(s, spec, err)) < 0)
		goto out;
	if (s->path && (rc = train_store_artifact(env, run_id, s->path,
	    "spec.yaml", err)) < 0)
		goto out;
	if ((rc = mlp_track_run_end(env->db, run_id, "SCHEDULED", 0,
	    err)) < 0)
		goto out;
	/* the job: this mlp, this repository, this run */
	mlp_buf_adds(&wrap, "exec ");
	sh_quote(&wrap, mlp_path);
	mlp_buf_adds(&wrap, " -C ");
	sh_quote(&wrap, root);
	mlp_buf_addf(&wrap, " train --run-id %s", run_id);
	name = xasprintf("--job-name=mlp-%.8s", run_id);
	outfile = xasprintf("--output=%s/slurm-%%j.out", dir);
	mlp_strv_push(&argv, "sbatch");
	mlp_strv_push(&argv, "--parsable");
	mlp_strv_push(&argv, name);
	mlp_strv_push(&argv, outfile);
	for (size_t i = 0; i < nargs; i++)
		mlp_strv_push(&argv, sbatch_args[i]);
	mlp_strv_push(&argv, "--wrap");
	mlp_strv_push(&argv, mlp_buf_str(&wrap));
	if ((rc = capture(argv.v, &out, err)) < 0)
		goto out;
	chomp(&out);
	/* --parsable: "JOBID" or "JOBID;CLUSTER" */
	out.len = strcspn(mlp_buf_str(&out), ";");
	if (out.len == 0 || strspn(out.s, "0123456789") != out.len) {
		rc = mlp_err_set(err, MLP_EFAIL, "sbatch printed no job id");
		goto out;
	}
	out.s[out.len] = '\0';
	if ((rc = set_tag(env, run_id, "mlp.slurm.job_id", out.s, err)) < 0)
		goto out;
	*job_id = mlp_buf_detach(&out);
out:
	if (rc < 0 && run_id[0])
		train_fail_run(env, run_id, rc, err);
	mlp_buf_release(&wrap);
	mlp_buf_release(&out);
	mlp_strv_release(&argv);
	free(dir);
	free(spec);
	free(name);
	free(outfile);
	return rc;
}

/* The run's job id (from its tag) and status. */
static int
run_job(const struct mlp_train_env *env, const char *run_id, char **job_id,
    char **status, struct mlp_err *err)
{
	struct mlp_run *r = NULL;
	int rc;

	*job_id = NULL;
	if ((rc = mlp_track_run_get(env->db, run_id, &r, err)) < 0)
		return rc;
	for (size_t i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i].key, "mlp.slurm.job_id") == 0)
			*job_id = xstrdup(r->tags[i].value);
	if (status)
		*status = xstrdup(r->info.status);
	if (!*job_id)
		rc = mlp_err_set(err, MLP_EINVAL, "run %.8s was not submitted "
		    "to Slurm", run_id);
	mlp_run_free(r);
	if (rc < 0 && status) {
		free(*status);
		*status = NULL;
	}
	return rc;
}

static int
job_state(const char *job_id, char **state, struct mlp_err *err)
{
	char *sq[] = { "squeue", "-h", "-o", "%T", "-j", (char *)job_id, NULL };
	char *sc[] = { "scontrol", "-o", "show", "job", (char *)job_id, NULL };
	struct mlp_buf out = MLP_BUF_INIT;
	struct mlp_err e;
	int rc;

	mlp_err_clear(&e);
	/* squeue knows queued and running jobs; scontrol remembers ended
	 * ones for MinJobAge (300 s by default) */
	if (capture(sq, &out, &e) == 0) {
		chomp(&out);
		if (out.len) {
			*state = mlp_buf_detach(&out);
			return 0;
		}
	}
	mlp_buf_reset(&out);
	if ((rc = capture(sc, &out, &e)) == 0) {
		const char *p = strstr(mlp_buf_str(&out), "JobState=");

		if (p) {
			p += 9;
			*state = xstrndup(p, strcspn(p, " \n"));
			mlp_buf_release(&out);
			return 0;
		}
	} else if (rc == MLP_EUNSUPPORTED) {
		mlp_buf_release(&out);
		*err = e;
		return rc;
	}
	mlp_buf_release(&out);
	*state = xstrdup("UNKNOWN");
	return 0;
}

int
mlp_slurm_status(const struct mlp_train_env *env, const char *run_id,
    char **job_id, char **state, struct mlp_err *err)
{
	char *status = NULL;
	const char *end = NULL;
	int rc;

	*state = NULL;
	if ((rc = run_job(env, run_id, job_id, &status, err)) < 0)
		return rc;
	if ((rc = job_state(*job_id, state, err)) < 0)
		goto out;
	/* a job that ended without its run ending: the run follows */
	if (strcmp(status, "RUNNING") == 0 || strcmp(status, "SCHEDULED") == 0) {
		const char *st = *state;

		if (strcmp(st, "CANCELLED") == 0 || strcmp(st, "PREEMPTED") == 0)
			end = "KILLED";
		else if (strcmp(st, "FAILED") == 0 || strcmp(st, "TIMEOUT") == 0 ||
		    strcmp(st, "NODE_FAIL") == 0 ||
		    strcmp(st, "OUT_OF_MEMORY") == 0 ||
		    strcmp(st, "BOOT_FAIL") == 0 ||
		    strcmp(st, "DEADLINE") == 0 ||
		    strcmp(st, "COMPLETED") == 0)
			end = "FAILED";
	}
	/* a read-only repository is still read: the run follows later */
	if (end && !mlp_db_readonly(env->db))
		rc = mlp_track_run_end(env->db, run_id, end, 0, err);
out:
	free(status);
	return rc;
}

int
mlp_slurm_cancel(const struct mlp_train_env *env, const char *run_id,
    struct mlp_err *err)
{
	struct mlp_buf out = MLP_BUF_INIT;
	char *job_id = NULL;
	int rc;

	if ((rc = run_job(env, run_id, &job_id, NULL, err)) < 0)
		return rc;
	/* a job cancelled whose run cannot then end KILLED would leave the
	 * run RUNNING */
	if (mlp_db_readonly(env->db)) {
		rc = mlp_err_set(err, env->db->readonly_code, "cannot cancel "
		    "run %.8s: %s", run_id, mlp_db_readonly(env->db));
		goto out;
	}
	{
		char *argv[] = { "scancel", job_id, NULL };

		rc = capture(argv, &out, err);
	}
	if (rc == 0)
		rc = mlp_track_run_end(env->db, run_id, "KILLED", 0, err);
out:
	mlp_buf_release(&out);
	free(job_id);
	return rc;
}

int
mlp_slurm_log_path(const struct mlp_train_env *env, const char *run_id,
    char **path, struct mlp_err *err)
{
	char *job_id = NULL;
	int rc;

	*path = NULL;
	if ((rc = run_job(env, run_id, &job_id, NULL, err)) < 0)
		return rc;
	*path = xasprintf("%s/%s/slurm-%s.out", env->ckpt_root, run_id, job_id);
	free(job_id);
	return 0;
}
