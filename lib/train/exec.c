/* External trainers: any command as a tracked run, with a line protocol
 * on an inherited pipe for its metrics, params and tags. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../data/data.h"
#include "../store/store.h"
#include "../track/track.h"
#include "internal.h"
#include "runner.h"

extern char **environ;

int
mlp_train_split_command(const char *cmd, struct mlp_strv *out,
    struct mlp_err *err)
{
	struct mlp_buf w = MLP_BUF_INIT;
	const char *p = cmd;
	int in_word = 0;

	for (;;) {
		char c = *p;

		if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
			if (in_word) {
				mlp_strv_push(out, mlp_buf_str(&w));
				mlp_buf_reset(&w);
				in_word = 0;
			}
			if (c == '\0')
				break;
			p++;
			continue;
		}
		in_word = 1;
		if (c == '\'') {
			const char *e = strchr(p + 1, '\'');

			if (!e)
				goto unterminated;
			mlp_buf_add(&w, p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\' ||
				    p[1] == '$' || p[1] == '`'))
					p++;
				mlp_buf_addc(&w, *p);
			}
			if (*p != '"')
				goto unterminated;
			p++;
		} else if (c == '\\' && p[1]) {
			mlp_buf_addc(&w, p[1]);
			p += 2;
		} else {
			mlp_buf_addc(&w, c);
			p++;
		}
	}
	mlp_buf_release(&w);
	if (out->n == 0)
		return mlp_err_set(err, MLP_EINVAL, "the command is empty");
	return 0;
unterminated:
	mlp_buf_release(&w);
	return mlp_err_set(err, MLP_EINVAL, "unterminated quote in '%s'", cmd);
}

/* The records read from the child, not yet written. */
struct pending {
	struct mlp_logger *lg;
	size_t n;
	double since;
	uint64_t line;		/* lines read on the track fd */
	struct mlp_buf part;	/* a line not yet ended */
	int skipping;		/* dropping the rest of a line too long */
	size_t scanned;		/* bytes of part known to hold no newline */
};

static int
flush(const struct mlp_train_env *env, const char *uuid, struct pending *pd,
    struct mlp_err *err)
{
	int rc = 0;

	if (pd->lg) {
		rc = mlp_logger_commit(pd->lg, err);
		pd->lg = NULL;
	}
	pd->n = 0;
	pd->since = mlp_mono();
	(void)env;
	(void)uuid;
	return rc;
}

/* One protocol line. A bad line is reported and skipped: a trainer's
 * typo must not kill an hour of training. */
static int
record(const struct mlp_train_env *env, const char *uuid,
    const struct mlp_train_events *ev, struct pending *pd, char *line,
    struct mlp_err *err)
{
	char *kind, *name, *rest, *end;
	struct mlp_err e;
	int rc;

	pd->line++;
	line[strcspn(line, "\r")] = '\0';
	kind = strtok_r(line, " \t", &rest);
	if (!kind)
		return 0;
	name = strtok_r(NULL, " \t", &rest);
	while (rest && (*rest == ' ' || *rest == '\t'))
		rest++;
	if (!name || !rest || !*rest) {
		train_note(ev, "MLP_TRACK_FD line %llu: expected KIND NAME VALUE",
		    (unsigned long long)pd->line);
		return 0;
	}
	if (!pd->lg && (rc = mlp_logger_begin(env->db, uuid, &pd->lg,
	    err)) < 0)
		return rc;
	mlp_err_clear(&e);
	if (strcmp(kind, "metric") == 0) {
		char *v = strtok_r(NULL, " \t", &rest), *s;
		double value;
		long long step = 0;

		value = strtod(v, &end);
		if (end == v || *end) {
			train_note(ev, "MLP_TRACK_FD line %llu: metric '%.64s': '%.64s' "
			    "is not a number", (unsigned long long)pd->line, name,
			    v);
			return 0;
		}
		if ((s = strtok_r(NULL, " \t", &rest))) {
			step = strtoll(s, &end, 10);
			if (end == s || *end) {
				train_note(ev, "MLP_TRACK_FD line %llu: metric '%.64s': "
				    "step '%.64s' is not an integer",
				    (unsigned long long)pd->line, name, s);
				return 0;
			}
		}
		if (strtok_r(NULL, " \t", &rest)) {
			train_note(ev, "MLP_TRACK_FD line %llu: metric '%.64s': "
			    "expected NAME VALUE [STEP], found more",
			    (unsigned long long)pd->line, name);
			return 0;
		}
		rc = mlp_logger_metric(pd->lg, name, value, step, 0, &e);
	} else if (strcmp(kind, "param") == 0) {
		rc = mlp_logger_param(pd->lg, name, rest, &e);
	} else if (strcmp(kind, "tag") == 0) {
		rc = mlp_logger_tag(pd->lg, name, rest, &e);
	} else {
		train_note(ev, "MLP_TRACK_FD line %llu: unknown kind '%.64s' (metric, "
		    "param, tag)", (unsigned long long)pd->line, kind);
		return 0;
	}
	if (rc < 0) {
		/* the logger's transaction is still usable for a rejected
		 * key or value: report it and go on */
		train_note(ev, "MLP_TRACK_FD line %llu: %s",
		    (unsigned long long)pd->line, e.msg);
		return 0;
	}
	pd->n++;
	return 0;
}

/* The longest protocol line; the rest of a longer one is dropped. */
#define MAX_LINE (1 << 20)

/* Records every complete line of what the trainer wrote, keeping a partial
 * last line for the next call (all of it at eof). Linear in the input. */
static int
feed(const struct mlp_train_env *env, const char *uuid,
    const struct mlp_train_events *ev, struct pending *pd, const char *buf,
    size_t n, int eof, struct mlp_err *err)
{
	size_t at = 0;
	int rc = 0;

	mlp_buf_add(&pd->part, buf, n);
	while (rc == 0 && at < pd->part.len) {
		char *s = pd->part.s + at;
		size_t left = pd->part.len - at;
		/* the kept partial line was searched already */
		size_t from = at == 0 ? pd->scanned : 0;
		char *nl = memchr(s + from, '\n', left - from);
		size_t len = nl ? (size_t)(nl - s) : left;

		if (!nl && !eof && !pd->skipping && left <= MAX_LINE)
			break;
		/* too long, whether its end has come or not */
		if (!pd->skipping && len > MAX_LINE) {
			train_note(ev, "MLP_TRACK_FD line %llu: longer than 1 MiB, "
			    "dropped", (unsigned long long)pd->line + 1);
			pd->skipping = 1;
		}
		if (pd->skipping) {
			/* the rest of a dropped line */
			at += len + (nl != NULL);
			if (nl) {
				pd->skipping = 0;
				pd->line++;
			}
			continue;
		}
		s[len] = '\0';
		rc = record(env, uuid, ev, pd, s, err);
		at += len + (nl != NULL);
	}
	memmove(pd->part.s, pd->part.s + at, pd->part.len - at);
	pd->part.len -= at;
	pd->part.s[pd->part.len] = '\0';
	/* what is left is a line without its end, unless an error cut the
	 * loop short */
	pd->scanned = rc == 0 ? pd->part.len : 0;
	if (rc < 0)
		return rc;
	if (pd->n >= 1000 || (pd->n && mlp_mono() - pd->since >= 0.5) || eof)
		rc = flush(env, uuid, pd, err);
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Everything in dir, stored as artifacts by their names. */
static int
collect(const struct mlp_train_env *env, const char *uuid, const char *dir,
    struct mlp_err *err)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!dh)
		return 0;
	while (rc == 0 && (de = readdir(dh))) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		rc = train_store_artifact(env, uuid, p, de->d_name, err);
		free(p);
	}
	closedir(dh);
	return rc;
}

/* The environment variable that carries parameter key: MLP_PARAM_ and
 * the key in capitals, other characters than letters and digits as '_'
 * (max_depth: MLP_PARAM_MAX_DEPTH). The caller frees it. */
static char *
param_var(const char *key)
{
	char *v = xasprintf("MLP_PARAM_%s", key);

	for (char *p = v + 10; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p)
		    : '_';
	return v;
}

/* What the spec gives the trainer: its data, target and parameters. */
static void
child_inputs(const struct mlp_train_spec *s)
{
	if (s->data)
		setenv("MLP_DATA", s->data, 1);
	if (s->valid)
		setenv("MLP_VALID", s->valid, 1);
	if (s->target)
		setenv("MLP_TARGET", s->target, 1);
	for (size_t i = 0; i < s->params.n; i++) {
		char *v = param_var(s->params.key[i]);

		setenv(v, s->params.val[i], 1);
		free(v);
	}
}

static void
child(const struct mlp_strv *argv, const char *cmd, int shell, int out_w,
    int err_w, int track_w, const char *uuid, const char *mlp_dir,
    const char *art, const struct mlp_train_spec *s)
{
	char fdnum[16];

	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		_exit(127);
	/* fd 3, as sh can only redirect to single-digit descriptors */
	if (track_w != 3 && dup2(track_w, 3) < 0)
		_exit(127);
	fcntl(3, F_SETFD, 0);
	track_w = 3;
	snprintf(fdnum, sizeof(fdnum), "%d", track_w);
	setenv("MLP_RUN_ID", uuid, 1);
	setenv("MLP_DIR", mlp_dir, 1);
	setenv("MLP_ARTIFACT_DIR", art, 1);
	setenv("MLP_TRACK_FD", fdnum, 1);
	child_inputs(s);
	if (shell)
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	else
		execvp(argv->v[0], argv->v);
	fprintf(stderr, "mlp: train: cannot run '%s': %s\n",
	    shell ? "/bin/sh" : argv->v[0], strerror(errno));
	_exit(127);
}

/* The trainer's inputs as the run's: -p parameters and the target as
 * params, the data as the run's datasets (as a built-in learner records
 * them). */
static int
log_inputs(const struct mlp_train_env *env, const struct mlp_train_spec *s,
    const char *uuid, struct mlp_err *err)
{
	const char *file[2] = { s->data, s->valid }, *ctx[2] = { "train",
	    "valid" };
	struct mlp_logger *lg = NULL;
	int rc;

	if (!s->params.n && !s->target && !s->data && !s->valid)
		return 0;
	if ((rc = mlp_logger_begin(env->db, uuid, &lg, err)) < 0)
		return rc;
	for (size_t i = 0; i < s->params.n && rc == 0; i++)
		rc = mlp_logger_param(lg, s->params.key[i], s->params.val[i],
		    err);
	if (rc == 0 && s->target)
		rc = mlp_logger_param(lg, "target", s->target, err);
	for (int i = 0; i < 2 && rc == 0; i++) {
		const char *slash;
		char key[64], digest[65];

		if (!file[i])
			continue;
		slash = strrchr(file[i], '/');
		snprintf(key, sizeof(key), "mlp.dataset.%s.source", ctx[i]);
		rc = mlp_logger_tag(lg, key, file[i], err);
		snprintf(key, sizeof(key), "mlp.dataset.%s.name", ctx[i]);
		if (rc == 0)
			rc = mlp_logger_tag(lg, key, strcmp(file[i], "-") == 0 ?
			    "stdin" : slash && slash[1] ? slash + 1 : file[i],
			    err);
		/* standard input is the trainer's to read */
		if (rc == 0 && strcmp(file[i], "-") != 0 &&
		    (rc = mlp_data_digest(file[i], digest, err)) == 0) {
			snprintf(key, sizeof(key), "mlp.dataset.%s.digest",
			    ctx[i]);
			rc = mlp_logger_tag(lg, key, digest, err);
		}
	}
	if (rc < 0) {
		mlp_logger_abort(lg);
		return rc;
	}
	return mlp_logger_commit(lg, err);
}

int
mlp_train_exec(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const char *cmd, int shell,
    const struct mlp_train_events *ev, struct mlp_train_result *out,
    int *child_status, struct mlp_err *err)
{
	struct mlp_strv argv = MLP_STRV_INIT;
	struct pending pd = { 0 };
	char uuid[33], *base = NULL, *art = NULL, *logs[2] = { NULL, NULL };
	char *mlp_dir = NULL;
	int pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, ptrack[2] = { -1, -1 };
	int logfd[2] = { -1, -1 }, rc, wstatus = 0, started = 0;
	int killed = 0;
	double kill_at = 0;
	pid_t pid = -1;

	memset(out, 0, sizeof(*out));
	*child_status = 0;
	if (!shell && (rc = mlp_train_split_command(cmd, &argv, err)) < 0)
		return rc;
	if ((rc = train_check_register(s, err)) < 0)
		goto out;
	if (env->run_id) {
		/* a submitted run, now on its node */
		snprintf(uuid, sizeof(uuid), "%s", env->run_id);
		rc = env->submitted ? mlp_track_run_take(env->db, uuid, err) :
		    mlp_track_run_end(env->db, uuid, "RUNNING", 0, err);
	} else {
		rc = train_start_run(env, s, uuid, err);
	}
	if (rc < 0)
		goto out;
	started = 1;
	memcpy(out->run_id, uuid, sizeof(uuid));
	if ((rc = log_inputs(env, s, uuid, err)) < 0)
		goto out;
	base = mlp_train_exec_dir(mlp_store_tmp_dir(env->st), uuid);
	art = xasprintf("%s/artifacts", base);
	logs[0] = xasprintf("%s/stdout.txt", base);
	logs[1] = xasprintf("%s/stderr.txt", base);
	mlp_dir = xstrdup(env->mlp_dir);
	mlp_remove_tree(base, NULL);
	if (mkdir(base, 0777) < 0 || mkdir(art, 0777) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s", art,
		    strerror(errno));
		goto out;
	}
	{
		/* who writes the output, for `mlp train logs -f` */
		char host[256] = "", *who = xasprintf("%s/pid", base), *line;

		(void)gethostname(host, sizeof(host) - 1);
		line = xasprintf("%s %ld\n", host, (long)getpid());
		rc = mlp_write_file(who, line, strlen(line), err);
		free(line);
		free(who);
		if (rc < 0)
			goto out;
	}
	for (int i = 0; i < 2; i++)
		if ((logfd[i] = open(logs[i], O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0644)) < 0) {
			rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': "
			    "%s", logs[i], strerror(errno));
			goto out;
		}
	if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0 ||
	    pipe2(ptrack, O_CLOEXEC) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot make a pipe: %s",
		    strerror(errno));
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot fork: %s",
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(&argv, cmd, shell, pout[1], perr[1], ptrack[1], uuid,
		    mlp_dir, art, s);
	setpgid(pid, pid);	/* also in the child: whichever runs first */
	close(pout[1]);
	close(perr[1]);
	close(ptrack[1]);
	pout[1] = perr[1] = ptrack[1] = -1;
	pd.since = mlp_mono();
	rc = 0;
	{
		int fds[3] = { pout[0], perr[0], ptrack[0] };
		int open_fds = 3;
		char buf[65536];

		while (open_fds > 0) {
			struct pollfd pfd[3];
			int np = 0, map[3];

			for (int i = 0; i < 3; i++)
				if (fds[i] >= 0) {
					pfd[np].fd = fds[i];
					pfd[np].events = POLLIN;
					map[np++] = i;
				}
			if (poll(pfd, (nfds_t)np, 200) < 0 && errno != EINTR) {
				rc = mlp_err_set(err, MLP_EFAIL, "poll: %s",
				    strerror(errno));
				break;
			}
			if (ev && ev->stop && *ev->stop && !killed) {
				kill(-pid, SIGTERM);
				killed = 1;
				kill_at = mlp_mono() + 5;
			}
			if (killed && mlp_mono() > kill_at)
				kill(-pid, SIGKILL);
			for (int k = 0; k < np; k++) {
				int i = map[k];
				ssize_t got;

				if (!(pfd[k].revents & (POLLIN | POLLHUP |
				    POLLERR)))
					continue;
				got = read(fds[i], buf, sizeof(buf));
				if (got < 0 && errno == EINTR)
					continue;
				if (got <= 0) {
					if (i == 2 && rc == 0)
						rc = feed(env, uuid, ev, &pd, "",
						    0, 1, err);
					close(fds[i]);
					fds[i] = -1;
					if (i == 0)
						pout[0] = -1;
					else if (i == 1)
						perr[0] = -1;
					else
						ptrack[0] = -1;
					open_fds--;
					continue;
				}
				if (i < 2) {
					write_all(i == 0 ? 1 : 2, buf,
					    (size_t)got);
					write_all(logfd[i], buf, (size_t)got);
				} else if (rc == 0) {
					rc = feed(env, uuid, ev, &pd, buf,
					    (size_t)got, 0, err);
				}
			}
			if (rc == 0 && pd.n && mlp_mono() - pd.since >= 0.5)
				rc = flush(env, uuid, &pd, err);
			if (rc < 0 && !killed) {
				kill(-pid, SIGTERM);
				killed = 1;
				kill_at = mlp_mono() + 5;
			}
		}
	}
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
		if (ev && ev->stop && *ev->stop && !killed) {
			kill(-pid, SIGTERM);
			killed = 1;
		}
	}
	pid = -1;
	if (rc == 0 && pd.lg)
		rc = flush(env, uuid, &pd, err);
	*child_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
	    WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : 1;
	/* what the trainer made is kept whatever its fate */
	for (int i = 0; i < 2; i++) {
		close(logfd[i]);
		logfd[i] = -1;
	}
	if (rc == 0)
		rc = collect(env, uuid, art, err);
	if (rc == 0)
		rc = train_store_artifact(env, uuid, logs[0], "stdout.txt", err);
	if (rc == 0)
		rc = train_store_artifact(env, uuid, logs[1], "stderr.txt", err);
	if (rc < 0)
		goto out;
	/* stopped: also when the signal reached the trainer (scancel
	 * signals the whole job) before this process acted on it */
	if (*child_status != 0 && ev && ev->stop && *ev->stop) {
		rc = mlp_err_set(err, MLP_EINTR, "interrupted: the command was "
		    "stopped");
		goto out;
	}
	if (*child_status != 0) {
		rc = WIFSIGNALED(wstatus) ?
		    mlp_err_set(err, MLP_EFAIL, "the command was killed by "
		    "signal %d", WTERMSIG(wstatus)) :
		    mlp_err_set(err, MLP_EFAIL, "the command exited with "
		    "status %d", *child_status);
		goto out;
	}
	out->artifact = xasprintf("runs:/%s/%s", uuid,
	    s->output ? s->output : "model");
	if ((rc = mlp_track_run_end(env->db, uuid, "FINISHED", 0, err)) < 0)
		goto out;
	started = 0;
	train_finished(env, uuid);
	if (s->register_name) {
		char *model = xasprintf("%s/%s", art, s->output ? s->output :
		    "model");
		struct stat sb;

		if (lstat(model, &sb) < 0)
			rc = mlp_err_set(err, MLP_ENOTFOUND, "cannot register: "
			    "the command left no '%s' in MLP_ARTIFACT_DIR",
			    s->output ? s->output : "model");
		else
			rc = train_register(env, s, out, err);
		free(model);
	}
out:
	if (pid > 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (pd.lg)
		mlp_logger_abort(pd.lg);
	mlp_buf_release(&pd.part);
	if (rc < 0 && started)
		train_fail_run(env, uuid, rc, err);
	for (int i = 0; i < 2; i++) {
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
		if (ptrack[i] >= 0)
			close(ptrack[i]);
		if (logfd[i] >= 0)
			close(logfd[i]);
	}
	if (base)
		mlp_remove_tree(base, NULL);
	free(base);
	free(art);
	free(logs[0]);
	free(logs[1]);
	free(mlp_dir);
	mlp_strv_release(&argv);
	return rc;
}

char *
mlp_train_exec_dir(const char *tmp_dir, const char *run_id)
{
	return xasprintf("%s/exec-%s", tmp_dir, run_id);
}

int
mlp_train_exec_gone(const char *dir)
{
	char *path = xasprintf("%s/pid", dir), *text = NULL, host[256] = "";
	char who[256];
	size_t len;
	long pid;
	int gone = 0;

	if (mlp_read_file(path, 4096, &text, &len, NULL) == 0 &&
	    sscanf(text, "%255s %ld", who, &pid) == 2 && pid > 0 &&
	    gethostname(host, sizeof(host) - 1) == 0 &&
	    strcmp(who, host) == 0)
		gone = kill((pid_t)pid, 0) < 0 && errno == ESRCH;
	free(text);
	free(path);
	return gone;
}
