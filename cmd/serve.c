/* mlp serve: the prediction server (lib/serve). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "model/model.h"
#include "serve/serve.h"

enum { O_HOST = 1, O_PORT, O_MODEL, O_THREADS, O_MAX_BODY, O_TIMEOUT,
	O_BUDGET, O_PIN, O_LOG, O_SAMPLE, O_LOG_SIZE, O_TOKEN_FILE, O_ONLINE };

static const struct mlp_opt opts[] = {
	{ O_HOST, 0, "host", "HOST", "the address to listen on (default "
	    "127.0.0.1: this machine only)" },
	{ O_PORT, 'p', "port", "PORT", "the port (default 8080; 0: any free "
	    "port)" },
	{ O_MODEL, 'm', "model", "SOURCE", "serve this model (a path, runs:/ "
	    "or models:/ URI; SOURCE=NAME serves it as NAME); repeatable "
	    "(default: the repository's deployments)" },
	{ O_THREADS, 0, "threads", "N", "worker threads (default: the CPUs)" },
	{ O_MAX_BODY, 0, "max-body", "SIZE", "the largest request body "
	    "(default 64M)" },
	{ O_TIMEOUT, 0, "timeout", "S", "close connections idle this long, "
	    "and wait at most this long for requests on stop (default 30)" },
	{ O_BUDGET, 0, "memory-budget", "SIZE", "memory for loaded models; "
	    "the least recently used are unloaded beyond it (default: no "
	    "limit)" },
	{ O_PIN, 0, "pin", "DEPLOYMENT", "load this deployment (or -m model) "
	    "at start and never unload it; repeatable" },
	{ O_LOG, 0, "log-predictions", "DIR", "write a record of each request "
	    "(inputs, predictions, version, latency) to JSON-lines files in "
	    "DIR" },
	{ O_SAMPLE, 0, "sample", "F", "with --log-predictions: the share of "
	    "requests logged, 0 to 1 (default 1)" },
	{ O_LOG_SIZE, 0, "log-max-size", "SIZE", "with --log-predictions: "
	    "start a new file past this size (default 64M)" },
	{ O_TOKEN_FILE, 0, "token-file", "FILE", "open the admin API (what "
	    "mlp deploy --target http://HOST:PORT calls) to requests "
	    "carrying the token on FILE's first line" },
	{ O_ONLINE, 0, "online", "ONLINE", "the feature store's online store "
	    "(default: the config's feature.onlineStore, else sqlite:)" },
	{ 0, 0, NULL, NULL, NULL },
};

/* "64M", "512k", "2G", "1000": bytes (binary multiples). */
static int
parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v, mul = 1;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ULL << 10; end++; break;
	case 'm': case 'M': mul = 1ULL << 20; end++; break;
	case 'g': case 'G': mul = 1ULL << 30; end++; break;
	case 't': case 'T': mul = 1ULL << 40; end++; break;
	}
	if (*end == 'i' && mul > 1)
		end++;
	if ((*end == 'b' || *end == 'B') && end[1] == '\0')
		end++;
	if (*end || v > SIZE_MAX / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* The admin token: FILE's first line (without its line end), at least
 * MLP_SERVE_TOKEN_MIN visible ASCII bytes, from a file only its owner may
 * read or write, as ssh asks of a private key: the token decides what the
 * server serves. The caller frees *out (after wiping it). */
static int
read_token(struct mlp_ctx *ctx, const char *file, char **out)
{
	char buf[MLP_SERVE_TOKEN_MAX + 2];
	struct stat sb;
	size_t n = 0;
	ssize_t got;
	int fd, rc = 0;

	*out = NULL;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return mlp_failf(ctx, 1, "--token-file '%s': %s", file,
		    strerror(errno));
	if (fstat(fd, &sb) < 0) {
		rc = mlp_failf(ctx, 1, "--token-file '%s': %s", file,
		    strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		rc = mlp_failf(ctx, 1, "--token-file '%s': a directory", file);
		goto out;
	}
	if (S_ISREG(sb.st_mode) && (sb.st_mode & 077)) {
		rc = mlp_failf(ctx, 1, "--token-file '%s': group or others may "
		    "read or write it (mode %04o): the token gives control of "
		    "what this server serves", file,
		    (unsigned)(sb.st_mode & 07777));
		mlp_hint(ctx, "chmod 600 '%s'", file);
		goto out;
	}
	while (n < sizeof(buf) - 1 && (got = read(fd, buf + n,
	    sizeof(buf) - 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = mlp_failf(ctx, 1, "--token-file '%s': %s", file,
			    strerror(errno));
			goto out;
		}
		n += (size_t)got;
		if (memchr(buf, '\n', n))
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	n = strlen(buf);
	if (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	if (n < MLP_SERVE_TOKEN_MIN || n > MLP_SERVE_TOKEN_MAX) {
		rc = mlp_failf(ctx, 1, "--token-file '%s': the token on its "
		    "first line is %s%zu bytes: it must be %d to %d", file,
		    n > MLP_SERVE_TOKEN_MAX ? "over " : "", n,
		    MLP_SERVE_TOKEN_MIN, MLP_SERVE_TOKEN_MAX);
		mlp_hint(ctx, "make one with: openssl rand -hex 32 > '%s'",
		    file);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] <= 0x20 ||
		    (unsigned char)buf[i] >= 0x7f) {
			rc = mlp_failf(ctx, 1, "--token-file '%s': the token "
			    "holds a space, a control character or a byte "
			    "that is not ASCII (at byte %zu)", file, i + 1);
			goto out;
		}
	*out = xstrdup(buf);
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

static void
on_stop(int sig)
{
	mlp_serve_stop();
}

static void
on_ready(const char *url, void *ud)
{
	struct mlp_ctx *ctx = ud;

	if (ctx->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "url", url);
		cJSON_AddNumberToObject(o, "pid", (double)getpid());
		mlp_print_json(o);
	} else if (!ctx->quiet)
		fprintf(stderr, "mlp serve: listening on %s\n", url);
	fflush(stdout);
}

static int
serve_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_serve_opts o = {
		.host = "127.0.0.1", .port = 8080, .max_body = 64 << 20,
		.timeout_s = 30, .log_sample = 1, .log_max_bytes = 64 << 20,
	};
	int sample_given = 0, size_given = 0;
	struct mlp_serve_model *models = NULL;
	const char **pins = NULL, *token_file = NULL, *online = NULL;
	char *token = NULL, *online_cfg = NULL;
	size_t nmodels = 0, amodels = 0, npins = 0, apins = 0;
	struct mlp_store *st = NULL;
	struct mlp_err err;
	struct sigaction sa, old_int, old_term;
	long v;
	int r, rc = 0;

	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		switch (r) {
		case O_HOST:
			o.host = p.arg;
			break;
		case O_PORT:
			if (parse_int(p.arg, 0, 65535, &v) < 0) {
				rc = mlp_usage_error(ctx, "--port '%s': not a "
				    "port (0 to 65535)", p.arg);
				goto out;
			}
			o.port = (int)v;
			break;
		case O_MODEL: {
			char *eq = strrchr(p.arg, '=');

			mlp_grow(&models, &amodels, nmodels + 1,
			    sizeof(*models));
			models[nmodels].uri = p.arg;
			models[nmodels].name = NULL;
			if (eq) {
				if (!eq[1]) {
					rc = mlp_usage_error(ctx, "-m '%s': no "
					    "name after '='", p.arg);
					goto out;
				}
				*eq = '\0';
				models[nmodels].name = eq + 1;
			}
			nmodels++;
			break;
		}
		case O_THREADS:
			if (parse_int(p.arg, 1, 1024, &v) < 0) {
				rc = mlp_usage_error(ctx, "--threads '%s': not "
				    "a number from 1 to 1024", p.arg);
				goto out;
			}
			o.threads = (int)v;
			break;
		case O_MAX_BODY:
			if (parse_size(p.arg, &o.max_body) < 0 ||
			    o.max_body == 0) {
				rc = mlp_usage_error(ctx, "--max-body '%s': "
				    "not a size (such as 1000, 64K, 16M)",
				    p.arg);
				goto out;
			}
			break;
		case O_TIMEOUT:
			if (parse_int(p.arg, 1, 86400, &v) < 0) {
				rc = mlp_usage_error(ctx, "--timeout '%s': not "
				    "a number of seconds from 1 to 86400",
				    p.arg);
				goto out;
			}
			o.timeout_s = (int)v;
			break;
		case O_BUDGET:
			if (parse_size(p.arg, &o.memory_budget) < 0 ||
			    o.memory_budget == 0) {
				rc = mlp_usage_error(ctx, "--memory-budget "
				    "'%s': not a size (such as 512M, 2G)",
				    p.arg);
				goto out;
			}
			break;
		case O_LOG:
			o.log_dir = p.arg;
			break;
		case O_SAMPLE: {
			char *end;

			errno = 0;
			o.log_sample = strtod(p.arg, &end);
			if (errno || end == p.arg || *end ||
			    !(o.log_sample > 0 && o.log_sample <= 1)) {
				rc = mlp_usage_error(ctx, "--sample '%s': not "
				    "a share above 0 and at most 1", p.arg);
				goto out;
			}
			sample_given = 1;
			break;
		}
		case O_LOG_SIZE: {
			size_t sz;

			if (parse_size(p.arg, &sz) < 0 || sz < 4096) {
				rc = mlp_usage_error(ctx, "--log-max-size "
				    "'%s': not a size of at least 4K", p.arg);
				goto out;
			}
			o.log_max_bytes = sz;
			size_given = 1;
			break;
		}
		case O_PIN:
			mlp_grow(&pins, &apins, npins + 1, sizeof(*pins));
			pins[npins++] = p.arg;
			break;
		case O_TOKEN_FILE:
			token_file = p.arg;
			break;
		case O_ONLINE:
			online = p.arg;
			break;
		default:
			rc = OPT_EXIT(r);
			goto out;
		}
	}
	if ((sample_given || size_given) && !o.log_dir) {
		rc = mlp_usage_error(ctx, "%s needs --log-predictions DIR",
		    sample_given ? "--sample" : "--log-max-size");
		goto out;
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s' (models "
		    "are given with -m)", p.pos[0]);
		goto out;
	}
	if (token_file && (rc = read_token(ctx, token_file, &token)) != 0)
		goto out;
	/* a walker named wrongly is refused, not ignored */
	if (mlp_model_isa_set(getenv("MLP_PREDICT_ISA"), &err) < 0) {
		rc = mlp_failf(ctx, 1, "MLP_PREDICT_ISA: %s", err.msg);
		mlp_hint(ctx, "unset it for the best the processor has");
		goto out;
	}
	if (ctx->repo) {
		if (!ctx->db && mlp_repo_open_db(ctx->repo, &ctx->db,
		    &err) < 0) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
		if ((rc = mlp_ctx_store(ctx, &st)) != 0)
			goto out;
		if (!online && mlp_config_get(ctx->repo, "feature.onlineStore",
		    &online_cfg, NULL) == 0 && online_cfg && *online_cfg)
			online = online_cfg;
	} else if (!nmodels) {
		rc = mlp_failf(ctx, 1, "nothing to serve: not in an mlp "
		    "repository, and no -m MODEL given");
		mlp_hint(ctx, "serve a model file with 'mlp serve -m "
		    "model.json', or run it where 'mlp deploy' deployed");
		goto out;
	}
	o.models = models;
	o.nmodels = nmodels;
	o.pins = pins;
	o.npins = npins;
	o.token = token;
	o.online = online;
	o.ready = on_ready;
	o.ud = ctx;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	signal(SIGPIPE, SIG_IGN);
	r = mlp_serve_run(ctx->db, st, &o, &err);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r < 0) {
		/* what cannot be served is a failure (1), not a usage error */
		rc = err.code == MLP_ENOREPO ? mlp_fail(ctx, &err) :
		    mlp_failf(ctx, 1, "%s", err.msg);
		if (err.code == MLP_EUNSUPPORTED)
			mlp_hint(ctx, "install libmicrohttpd: apt-get install "
			    "libmicrohttpd12");
		goto out;
	}
	if (!ctx->quiet && !ctx->json)
		fprintf(stderr, "mlp serve: stopped\n");
out:
	if (token)
		explicit_bzero(token, strlen(token));
	free(token);
	free(online_cfg);
	free(models);
	free(pins);
	mlp_opt_release(&p);
	return rc;
}

const struct mlp_command cmd_serve = {
	.name = "serve",
	.run = serve_run,
	.setup = OPT_REPO,
	.summary = "Serve predictions over HTTP",
	.opts = opts,
	.args = "",
	.verbs = NULL,
	.default_verb = NULL,
};
