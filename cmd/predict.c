/* mlp predict: score a CSV file with a model, streaming. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "data/data.h"
#include "model/model.h"
#include "registry/registry.h"

enum { O_INPUT = 1, O_OUTPUT, O_THREADS, O_ROWS, O_TYPE };

static const struct mlp_opt opts[] = {
	{ O_INPUT, 'i', "input", "FILE", "the rows to score, CSV with a "
	    "header or MLflow's JSON (default: standard input)" },
	{ O_TYPE, 't', "content-type", "csv|json", "the input's format "
	    "(default: json for a FILE.json, else csv)" },
	{ O_OUTPUT, 'o', "output", "FILE", "where predictions go (default: "
	    "standard output)" },
	{ O_THREADS, 'j', "threads", "N", "threads (default: the CPUs)" },
	{ O_ROWS, 0, "chunk-rows", "N", "rows read and scored at a time "
	    "(default 65536; fewer when they would take over 64 MiB)" },
	{ 0, 0, NULL, NULL, NULL },
};

/* The output's column names: one per model output. */
static void
header(FILE *fp, const struct mlp_model *m)
{
	if (m->nout == 1) {
		fputs(m->objective == MLP_OBJ_SOFTMAX ? "class\n" :
		    "prediction\n", fp);
		return;
	}
	for (int k = 0; k < m->nout; k++)
		fprintf(fp, "%sprob_%d", k ? "," : "", k);
	fputc('\n', fp);
}

/* Rows as CSV lines, or as the elements of MLflow's {"predictions": [...]}
 * (a number per row, or a list of class probabilities): the text
 * mlp_pred_append makes, which mlp serve answers too, written a slice of
 * rows at a time through buf. */
static void
write_rows(FILE *fp, const struct mlp_model *m, const double *pred,
    size_t n, int json, int *first, struct mlp_buf *buf)
{
	size_t slice = 4096;

	for (size_t i = 0; i < n; i += slice) {
		size_t k = n - i < slice ? n - i : slice;

		mlp_buf_reset(buf);
		mlp_pred_append(buf, m, pred + i * (size_t)m->nout, k, json,
		    *first);
		*first = 0;
		fwrite(buf->s, 1, buf->len, fp);
	}
}

/* The largest JSON input, read whole. */
#define MAX_JSON ((size_t)1 << 30)

/* The input and output values of a chunk stay under this, whatever the
 * model's features and classes: fewer rows for wide models. */
#define CHUNK_BYTES ((size_t)64 << 20)

/* The next chunk of at most max rows (*got, 0 at the end) as columns in
 * *cols: from the CSV stream, or from the whole JSON frame's row done on
 * (view holds its column pointers). */
static int
next_rows(struct mlp_csv_stream *cs, struct mlp_frame **chunk,
    const struct mlp_frame *whole, const float **view, uint64_t done,
    size_t max, const float *const **cols, size_t *got, struct mlp_err *err)
{
	int rc;

	if (cs) {
		if ((rc = mlp_csv_stream_next(cs, max, chunk, got, err)) == 0 &&
		    *got)
			*cols = (const float *const *)(*chunk)->cols;
		return rc;
	}
	*got = whole->nrows - done < max ? whole->nrows - done : max;
	for (size_t j = 0; j < whole->ncols; j++)
		view[j] = whole->cols[j] + done;
	*cols = view;
	return 0;
}

/* The temporary output (-o FILE) while it is written: a signal that ends
 * predict removes it, and predict then dies of that signal (the shell
 * sees 130 for Ctrl-C), so nothing is left beside FILE. */
static char *volatile tmp_out;

static void
on_signal(int sig)
{
	char *t = tmp_out;

	if (t)
		unlink(t);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define NSTOP (sizeof(stop_signals) / sizeof(*stop_signals))

/* Blocks (block set) or unblocks the signals that end predict, so that
 * the temporary output and tmp_out change together. */
static void
hold_signals(int block)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NSTOP; i++)
		sigaddset(&set, stop_signals[i]);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* -o FILE: see mlp_output_open; a failure leaves a regular FILE as it was. */
static int
open_output(struct mlp_ctx *ctx, const char *path, FILE **out, char **tmp)
{
	struct mlp_err err;
	int fd;

	mlp_err_clear(&err);
	hold_signals(1);
	fd = mlp_output_open(path, tmp, &err);
	tmp_out = *tmp;
	hold_signals(0);
	if (fd < 0)
		return mlp_fail(ctx, &err);
	if (!(*out = fdopen(fd, "w"))) {
		int rc = mlp_failf(ctx, 1, "cannot write '%s': %s", path,
		    strerror(errno));

		*out = stdout;
		close(fd);
		hold_signals(1);
		if (*tmp)
			unlink(*tmp);
		tmp_out = NULL;
		hold_signals(0);
		free(*tmp);
		*tmp = NULL;
		return rc;
	}
	return 0;
}

static int
predict_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_model *m = NULL;
	struct mlp_csv_stream *cs = NULL;
	struct mlp_frame *chunk = NULL, *whole = NULL;
	struct mlp_buf text_out = MLP_BUF_INIT;
	const float **view = NULL;
	const float *const *cols = NULL;
	struct mlp_csv_opts co = { 0 };
	struct mlp_store *st = NULL;
	struct mlp_err err;
	const char *in = "-", *outp = NULL, *type = NULL;
	char *tmp = NULL, *text = NULL;
	size_t textlen;
	FILE *out = stdout;
	double *pred = NULL;
	long threads = 0, rows = 65536;
	uint64_t total = 0;
	size_t got;
	int r, rc = 0, first = 1, json, handlers = 0, type_given;
	struct sigaction old_sa[NSTOP];

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		char *end;

		switch (r) {
		case O_INPUT:
			in = p.arg;
			break;
		case O_OUTPUT:
			outp = p.arg;
			break;
		case O_TYPE:
			if (strcmp(p.arg, "csv") && strcmp(p.arg, "json")) {
				rc = mlp_usage_error(ctx, "--content-type '%s': "
				    "expected csv or json", p.arg);
				goto out;
			}
			type = p.arg;
			break;
		case O_THREADS:
		case O_ROWS: {
			long v = strtol(p.arg, &end, 10);
			long max = r == O_THREADS ? 256 : 16777216;

			if (end == p.arg || *end || v < (r == O_ROWS) ||
			    v > max) {
				rc = mlp_usage_error(ctx, "--%s '%s' is not a "
				    "number from %d to %ld", r == O_THREADS ?
				    "threads" : "chunk-rows", p.arg, r == O_ROWS,
				    max);
				goto out;
			}
			*(r == O_THREADS ? &threads : &rows) = v;
			break;
		}
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if (p.npos != 1) {
		rc = mlp_usage_error(ctx, "give one MODEL (a path, runs:/ or "
		    "models:/ URI)");
		goto out;
	}
	if (ctx->repo && (strncmp(p.pos[0], "runs:/", 6) == 0 ||
	    strncmp(p.pos[0], "models:/", 8) == 0)) {
		/* a URI needs the repository's database and store; a path
		 * works anywhere */
		if (!ctx->db && mlp_repo_open_db(ctx->repo, &ctx->db,
		    &err) < 0) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		if ((rc = mlp_ctx_store(ctx, &st)) != 0)
			goto out;
	}
	/* a walker named wrongly is refused, not ignored */
	if (mlp_model_isa_set(getenv("MLP_PREDICT_ISA"), &err) < 0) {
		rc = mlp_failf(ctx, 1, "MLP_PREDICT_ISA: %s", err.msg);
		mlp_hint(ctx, "unset it for the best the processor has");
		goto out;
	}
	/* bad files are failures (1), not usage errors */
	if (mlp_registry_load_model(ctx->db, st, p.pos[0], &m, &err) < 0) {
		rc = err.code == MLP_ENOREPO ? mlp_fail(ctx, &err) :
		    mlp_failf(ctx, 1, "%s", err.msg);
		goto out;
	}
	{
		size_t row = m->nfeat * sizeof(float) + (size_t)m->nout *
		    sizeof(double), fit = CHUNK_BYTES / (row ? row : 1);

		if ((size_t)rows > fit)
			rows = fit ? (long)fit : 1;
	}
	co.nthreads = (int)threads;
	type_given = type != NULL;
	if (!type)
		type = mlp_ends_with(in, ".json") ? "json" : "csv";
	/* JSON is read whole (MLflow's formats are not streams); CSV
	 * streams in chunks */
	if (strcmp(type, "json") == 0 ?
	    mlp_read_file(in, MAX_JSON, &text, &textlen, &err) < 0 ||
	    mlp_json_frame(text, textlen, strcmp(in, "-") ? in : "stdin",
	    m->feat, m->nfeat, &whole, &err) < 0 :
	    mlp_csv_stream_open(&cs, in, m->feat, m->nfeat, &co, &err) < 0) {
		rc = mlp_failf(ctx, 1, "%s", err.msg);
		if (err.code == MLP_EUNSUPPORTED && !type_given)
			mlp_hint(ctx, "for MLflow's JSON scoring input, give "
			    "-t json");
		goto out;
	}
	free(text);
	text = NULL;
	if (outp) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < NSTOP; i++)
			sigaction(stop_signals[i], &sa, &old_sa[i]);
		handlers = 1;
		if ((rc = open_output(ctx, outp, &out, &tmp)) != 0)
			goto out;
	}
	/* MLflow's response for --json or an output named FILE.json */
	json = ctx->json || (outp && mlp_ends_with(outp, ".json"));
	if (json)
		fputs("{\"predictions\":[", out);
	else
		header(out, m);
	pred = xmalloc((size_t)rows * (size_t)m->nout * sizeof(double));
	view = xcalloc(m->nfeat + 1, sizeof(*view));
	while ((r = next_rows(cs, &chunk, whole, view, total, (size_t)rows,
	    &cols, &got, &err)) == 0 && got > 0) {
		if ((r = mlp_model_predict(m, cols, got, pred, (int)threads,
		    &err)) < 0)
			break;
		write_rows(out, m, pred, got, json, &first, &text_out);
		total += got;
	}
	if (r < 0) {
		rc = mlp_failf(ctx, 1, "%s", err.msg);
		goto out;
	}
	if (json)
		fputs("]}\n", out);
	if (fflush(out) != 0 || ferror(out)) {
		rc = mlp_failf(ctx, 1, "cannot write %s: %s", outp ? outp :
		    "the predictions", strerror(errno));
		goto out;
	}
	if (tmp) {
		/* durable, closed (whatever fsync said), then in place */
		int e = fsync(fileno(out)) < 0 ? errno : 0;

		if (fclose(out) != 0 && !e)
			e = errno;
		out = stdout;
		hold_signals(1);
		if (!e && rename(tmp, outp) < 0)
			e = errno;
		if (!e)
			tmp_out = NULL;	/* renamed: nothing to remove */
		hold_signals(0);
		if (e) {
			rc = mlp_failf(ctx, 1, "cannot write '%s': %s", outp,
			    strerror(e));
			goto out;
		}
	}
	if (ctx->verbose)
		mlp_info(ctx, "scored %llu %s", (unsigned long long)total,
		    mlp_plural((int64_t)total, "row", "rows"));
out:
	if (out != stdout && fclose(out) != 0 && rc == 0)
		rc = mlp_failf(ctx, 1, "cannot write '%s': %s", outp,
		    strerror(errno));
	hold_signals(1);
	if (tmp && rc != 0)
		unlink(tmp);
	tmp_out = NULL;
	hold_signals(0);
	if (handlers)
		for (size_t i = 0; i < NSTOP; i++)
			sigaction(stop_signals[i], &old_sa[i], NULL);
	free(tmp);
	free(pred);
	mlp_buf_release(&text_out);
	free(text);
	free(view);
	mlp_frame_free(chunk);
	mlp_frame_free(whole);
	mlp_csv_stream_close(cs);
	mlp_model_free(m);
	mlp_opt_release(&p);
	return rc;
}

const struct mlp_command cmd_predict = {
	.name = "predict",
	.run = predict_run,
	.setup = OPT_REPO,
	.summary = "Score rows with a model",
	.opts = opts,
	.args = "SOURCE",
	.verbs = NULL,
	.default_verb = NULL,
};
