/* mlp remote, mlp push, mlp pull: remotes in the config (remote.NAME.url,
 * as git) and moving model versions to and from them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "store/remote.h"
#include "store/store.h"
#include "cmd.h"

enum { O_JOBS = 1, O_PRUNE };

static const struct mlp_opt none_opts[] = {
	{ 0, 0, NULL, NULL, NULL },
};

static int
check_remote_name(struct mlp_ctx *ctx, const char *name)
{
	if (!*name || *name == '.' || *name == '-')
		goto bad;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			goto bad;
	return 0;
bad:
	return mlp_usage_error(ctx, "'%s' is not a remote name (letters, "
	    "digits, '-', '_' and '.')", name);
}

/* Prints a failure of a transfer with the remote called name. Damage the
 * remote holds (MLP_ECORRUPT; lib/ names the remote in such messages) is
 * not this repository's: 'mlp fsck' would find nothing here. */
static int
remote_fail(struct mlp_ctx *ctx, const struct mlp_err *err, const char *name,
    const struct mlp_remote *r)
{
	int code;

	if (err->code != MLP_ECORRUPT || !strstr(err->msg, "remote") ||
	    strstr(err->msg, "mlp.db"))
		return mlp_fail(ctx, err);
	code = mlp_failf(ctx, 1, "%s", err->msg);
	mlp_hint(ctx, "the damage is on remote '%s' (%s), not in this "
	    "repository: remove what is damaged there and push it again from "
	    "a repository that holds it intact", name, mlp_remote_url(r));
	return code;
}

/* Remote names from the config, in the order found. */
struct names {
	struct mlp_strv names, urls;
	const char *only;	/* rm: the keys of this remote */
	struct mlp_strv keys;
};

static int
collect(const char *key, const char *value, void *ud)
{
	struct names *n = ud;
	size_t len = strlen(key);
	const char *name = key + 7;

	if (strncmp(key, "remote.", 7) != 0)
		return 0;
	if (n->only) {
		size_t nl = strlen(n->only);

		if (strncmp(name, n->only, nl) == 0 && name[nl] == '.')
			mlp_strv_push(&n->keys, key);
		return 0;
	}
	if (len < 11 || strcmp(key + len - 4, ".url") != 0)
		return 0;
	for (size_t i = 0; i < n->names.n; i++)
		if (strlen(n->names.v[i]) == len - 11 &&
		    strncmp(n->names.v[i], name, len - 11) == 0) {
			free(n->urls.v[i]);
			n->urls.v[i] = xstrdup(value);
			return 0;
		}
	mlp_strv_push_owned(&n->names,
	    xstrndup(name, len - 11));
	mlp_strv_push(&n->urls, value);
	return 0;
}

static void
names_release(struct names *n)
{
	mlp_strv_release(&n->names);
	mlp_strv_release(&n->urls);
	mlp_strv_release(&n->keys);
}

static int
list_remotes(struct mlp_ctx *ctx, struct names *n)
{
	struct mlp_err err;

	mlp_err_clear(&err);
	memset(n, 0, sizeof(*n));
	if (mlp_config_list(ctx->repo, NULL, collect, n, &err) < 0)
		return mlp_fail(ctx, &err);
	return 0;
}

static char *
cfg_get(struct mlp_ctx *ctx, const char *name, const char *what)
{
	char *key = xasprintf("remote.%s.%s", name, what), *v = NULL;

	if (mlp_config_get(ctx->repo, key, &v, NULL) < 0)
		v = NULL;
	free(key);
	return v;
}

static void
progress(uint64_t done, uint64_t total, void *ud)
{
	mlp_progress(ud, "objects", done, total);
}

/* Opens the remote called name, or with name NULL the only one, or
 * origin; create: a push, which may make a new file:// remote. Returns 0
 * or the exit code after printing why. */
static int
open_remote(struct mlp_ctx *ctx, const char *name, int jobs, int create,
    struct mlp_remote **out, char **chosen)
{
	struct mlp_remote_cfg cfg;
	struct mlp_err err;
	struct names n;
	char *url = NULL, *endpoint = NULL, *region = NULL, *j = NULL;
	char *batch = NULL, *http[5] = { NULL };
	int rc;

	mlp_err_clear(&err);
	*out = NULL;
	*chosen = NULL;
	if ((rc = list_remotes(ctx, &n)) != 0)
		return rc;
	if (!name) {
		for (size_t i = 0; i < n.names.n; i++)
			if (strcmp(n.names.v[i], "origin") == 0)
				name = "origin";
		if (!name && n.names.n == 1)
			name = n.names.v[0];
		if (!name && n.names.n == 0) {
			rc = mlp_failf(ctx, 1, "no remotes are "
			    "configured");
			mlp_hint(ctx, "add one with 'mlp remote add origin "
			    "URL'");
		} else if (!name) {
			rc = mlp_failf(ctx, 2, "there are %zu remotes "
			    "and none is called origin: name one", n.names.n);
		}
	} else if ((rc = check_remote_name(ctx, name)) != 0) {
		goto out;
	}
	if (rc)
		goto out;
	*chosen = xstrdup(name);
	if (!(url = cfg_get(ctx, name, "url"))) {
		rc = mlp_failf(ctx, 1, "no remote named '%s'", name);
		if (n.names.n)
			mlp_hint(ctx, "'mlp remote list' shows the %zu "
			    "configured", n.names.n);
		goto out;
	}
	endpoint = cfg_get(ctx, name, "endpoint");
	region = cfg_get(ctx, name, "region");
	j = cfg_get(ctx, name, "jobs");
	batch = cfg_get(ctx, name, "batch");
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = name;
	cfg.url = url;
	cfg.endpoint = endpoint;
	cfg.region = region;
	cfg.ssl_verify = http[0] = cfg_get(ctx, name, "sslVerify");
	cfg.ca_info = http[1] = cfg_get(ctx, name, "caInfo");
	cfg.user = http[2] = cfg_get(ctx, name, "user");
	cfg.password = http[3] = cfg_get(ctx, name, "password");
	cfg.token = http[4] = cfg_get(ctx, name, "token");
	cfg.jobs = jobs > 0 ? jobs : j ? atoi(j) : 0;
	cfg.batch = !(batch && (strcmp(batch, "false") == 0 ||
	    strcmp(batch, "0") == 0 || strcmp(batch, "no") == 0 ||
	    strcmp(batch, "off") == 0));
	cfg.create = create;
	if (mlp_remote_open(out, &cfg, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		if (err.code == MLP_ENOTFOUND)
			mlp_hint(ctx, "check the URL ('mlp remote list'); the "
			    "first 'mlp push' to a new path creates the remote");
		goto out;
	}
	mlp_remote_set_progress(*out, progress, ctx);
out:
	free(url);
	free(endpoint);
	free(region);
	free(j);
	free(batch);
	for (size_t i = 0; i < 5; i++)
		free(http[i]);
	names_release(&n);
	if (rc) {
		free(*chosen);
		*chosen = NULL;
	}
	return rc;
}

/* mlp remote add NAME URL */
static int
remote_add(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_err err;
	char *path = NULL, *key = NULL, *url = NULL;
	int r, rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos != 2) {
		rc = mlp_usage_error(ctx, p.npos < 2 ? "missing NAME URL" :
		    "too many arguments (expected NAME URL)");
		goto out;
	}
	if ((rc = check_remote_name(ctx, p.pos[0])) != 0)
		goto out;
	if (mlp_remote_check_url(p.pos[1], &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if ((url = cfg_get(ctx, p.pos[0], "url"))) {
		rc = mlp_failf(ctx, 1, "remote '%s' exists already "
		    "(%s)", p.pos[0], url);
		mlp_hint(ctx, "remove it first with 'mlp remote rm %s'",
		    p.pos[0]);
		goto out;
	}
	path = mlp_repo_path(ctx->repo, "config");
	key = xasprintf("remote.%s.url", p.pos[0]);
	if (mlp_config_set(path, key, p.pos[1], &err) < 0)
		rc = mlp_fail(ctx, &err);
out:
	free(url);
	free(path);
	free(key);
	mlp_opt_release(&p);
	return rc;
}

/* mlp remote rm NAME */
static int
remote_rm(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_err err;
	struct names n;
	char *path = NULL;
	int r, rc = 0;

	mlp_err_clear(&err);
	memset(&n, 0, sizeof(n));
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos != 1) {
		rc = mlp_usage_error(ctx, p.npos < 1 ? "missing NAME" :
		    "too many arguments (expected NAME)");
		goto out;
	}
	path = mlp_repo_path(ctx->repo, "config");
	n.only = p.pos[0];
	if (mlp_config_list(ctx->repo, path, collect, &n, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (n.keys.n == 0) {
		rc = mlp_failf(ctx, 1, "no remote named '%s'",
		    p.pos[0]);
		goto out;
	}
	for (size_t i = 0; i < n.keys.n; i++)
		if (mlp_config_unset(path, n.keys.v[i], &err) < 0 &&
		    err.code != MLP_ENOTFOUND) {
			rc = mlp_fail(ctx, &err);
			goto out;
		}
out:
	names_release(&n);
	free(path);
	mlp_opt_release(&p);
	return rc;
}

/* mlp remote list */
static int
remote_list(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct names n;
	int r, rc = 0;

	memset(&n, 0, sizeof(n));
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos) {
		rc = mlp_usage_error(ctx, "unexpected argument '%s'", p.pos[0]);
		goto out;
	}
	if ((rc = list_remotes(ctx, &n)) != 0)
		goto out;
	if (ctx->json) {
		cJSON *arr = cJSON_CreateArray();

		for (size_t i = 0; i < n.names.n; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", n.names.v[i]);
			cJSON_AddStringToObject(o, "url", n.urls.v[i]);
			cJSON_AddItemToArray(arr, o);
		}
		mlp_print_json(arr);
	} else {
		for (size_t i = 0; i < n.names.n; i++)
			printf("%s\t%s\n", n.names.v[i], n.urls.v[i]);
	}
out:
	names_release(&n);
	mlp_opt_release(&p);
	return rc;
}

static cJSON *
strv_json(const struct mlp_strv *sv)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < sv->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(sv->v[i]));
	return arr;
}

/* mlp remote status [REMOTE] */
static int
remote_status(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_remote_status s;
	struct mlp_remote *rem = NULL;
	struct mlp_store *st;
	struct mlp_err err;
	char *name = NULL;
	int r, rc = 0;

	mlp_err_clear(&err);
	memset(&s, 0, sizeof(s));
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		rc = OPT_EXIT(r);
		goto out;
	}
	if (p.npos > 1) {
		rc = mlp_usage_error(ctx, "too many arguments (expected "
		    "[REMOTE])");
		goto out;
	}
	if ((rc = mlp_ctx_store(ctx, &st)) != 0 ||
	    (rc = open_remote(ctx, p.npos ? p.pos[0] : NULL, 0, 0, &rem,
	    &name)) != 0)
		goto out;
	if (mlp_registry_remote_status(ctx->db, st, rem, &s, &err) < 0) {
		rc = remote_fail(ctx, &err, name, rem);
		goto out;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *h = cJSON_CreateObject(),
		    *t = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "remote", name);
		cJSON_AddStringToObject(o, "url", mlp_remote_url(rem));
		cJSON_AddNumberToObject(h, "objects", (double)s.objects_here);
		cJSON_AddNumberToObject(h, "bytes", (double)s.bytes_here);
		cJSON_AddItemToObject(h, "versions", strv_json(&s.versions_here));
		cJSON_AddNumberToObject(t, "objects", (double)s.objects_there);
		cJSON_AddNumberToObject(t, "bytes", (double)s.bytes_there);
		cJSON_AddItemToObject(t, "versions",
		    strv_json(&s.versions_there));
		cJSON_AddItemToObject(o, "only_here", h);
		cJSON_AddItemToObject(o, "only_there", t);
		mlp_print_json(o);
	} else {
		char b1[32], b2[32];

		mlp_fmt_bytes(s.bytes_here, b1, sizeof(b1));
		mlp_fmt_bytes(s.bytes_there, b2, sizeof(b2));
		printf("remote %s (%s)\n", name, mlp_remote_url(rem));
		printf("only here:  %llu object%s (%s), %zu version%s\n",
		    (unsigned long long)s.objects_here,
		    mlp_plural_s(s.objects_here), b1, s.versions_here.n,
		    mlp_plural_s(s.versions_here.n));
		for (size_t i = 0; i < s.versions_here.n; i++)
			printf("  %s\n", s.versions_here.v[i]);
		printf("only there: %llu object%s (%s), %zu version%s\n",
		    (unsigned long long)s.objects_there,
		    mlp_plural_s(s.objects_there), b2, s.versions_there.n,
		    mlp_plural_s(s.versions_there.n));
		for (size_t i = 0; i < s.versions_there.n; i++)
			printf("  %s\n", s.versions_there.v[i]);
		if (!s.objects_here && !s.objects_there &&
		    !s.versions_here.n && !s.versions_there.n)
			mlp_info(ctx, "up to date");
	}
out:
	mlp_remote_status_release(&s);
	mlp_remote_close(rem);
	free(name);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_verb remote_verbs[] = {
	{ "add", remote_add, none_opts, "NAME URL",
	    "Add a remote: file:///path, s3://bucket/prefix or "
	    "https://host/prefix" },
	{ "rm", remote_rm, none_opts, "REMOTE",
	    "Remove a remote and its settings" },
	{ "list", remote_list, none_opts, "",
	    "List the remotes and their URLs" },
	{ "status", remote_status, none_opts, "[REMOTE]",
	    "What each side lacks: objects and model versions" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct mlp_command cmd_remote = {
	.name = "remote",
	.run = NULL,
	.setup = NEED_REPO,
	.summary = "Manage remotes: copies of the store elsewhere",
	.opts = NULL,
	.args = NULL,
	.verbs = remote_verbs,
	.default_verb = NULL,
};

/* mlp push / mlp pull */

static const struct mlp_opt sync_opts[] = {
	{ O_JOBS, 'j', "jobs", "N", "transfers at once (default "
	    "remote.NAME.jobs or 16)" },
	{ O_PRUNE, 0, "prune", NULL, "also remove the aliases the other side "
	    "no longer has" },
	{ 0, 0, NULL, NULL, NULL },
};

static int
sync_run(struct mlp_ctx *ctx, int argc, char **argv, int push)
{
	struct mlp_optparse p;
	struct mlp_sync_stats s;
	struct mlp_remote *rem = NULL;
	struct mlp_store *st;
	struct mlp_err err;
	char *name = NULL, *user = NULL, *chosen = NULL;
	char *const *uris;
	size_t nuris;
	int64_t jobs = 0;
	unsigned flags = 0;
	int r, rc = 0;

	mlp_err_clear(&err);
	memset(&s, 0, sizeof(s));
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		if (r == O_PRUNE) {
			flags |= MLP_SYNC_PRUNE;
			continue;
		}
		if (r == O_JOBS) {
			if (mlp_parse_int64(p.arg, &jobs) < 0 || jobs < 1 ||
			    jobs > 1024) {
				rc = mlp_usage_error(ctx, "--jobs '%s' is not a "
				    "number from 1 to 1024", p.arg);
				goto out;
			}
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	uris = p.pos;
	nuris = (size_t)p.npos;
	if (nuris && strncmp(uris[0], "models:", 7) != 0) {
		name = uris[0];
		uris++;
		nuris--;
	}
	for (size_t i = 0; i < nuris; i++)
		if (strncmp(uris[i], "models:/", 8) != 0) {
			rc = mlp_usage_error(ctx, "'%s' is not a models:/ URI",
			    uris[i]);
			goto out;
		}
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		goto out;
	if ((rc = open_remote(ctx, name, (int)jobs, push, &rem, &chosen)) != 0)
		goto out;
	user = mlp_track_user(ctx->repo);
	/* conflicts (MLP_EEXISTS) leave the rest transferred: report both */
	if ((push ? mlp_registry_push(ctx->db, st, rem, uris, nuris, flags, &s,
	    &err) : mlp_registry_pull(ctx->db, st, rem, uris, nuris, flags,
	    user, &s, &err)) < 0 && err.code != MLP_EEXISTS) {
		rc = remote_fail(ctx, &err, chosen, rem);
		goto out;
	}
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *ca;

		cJSON_AddNumberToObject(o, "versions", (double)s.versions);
		cJSON_AddNumberToObject(o, "versions_skipped",
		    (double)s.versions_skipped);
		cJSON_AddNumberToObject(o, "objects", (double)s.objects);
		cJSON_AddNumberToObject(o, "bytes", (double)s.bytes);
		cJSON_AddNumberToObject(o, "objects_skipped",
		    (double)s.objects_skipped);
		cJSON_AddNumberToObject(o, "aliases", (double)s.aliases);
		cJSON_AddNumberToObject(o, "aliases_removed",
		    (double)s.aliases_removed);
		ca = cJSON_AddArrayToObject(o, "conflicts");
		for (size_t i = 0; i < s.nconflicts; i++) {
			cJSON *c = cJSON_CreateObject();

			cJSON_AddStringToObject(c, "name", s.conflicts[i].name);
			cJSON_AddNumberToObject(c, "version",
			    (double)s.conflicts[i].version);
			cJSON_AddStringToObject(c, "here", s.conflicts[i].here);
			cJSON_AddStringToObject(c, "there",
			    s.conflicts[i].there);
			cJSON_AddItemToArray(ca, c);
		}
		mlp_print_json(o);
	} else {
		char b[32];

		mlp_fmt_bytes(s.bytes, b, sizeof(b));
		mlp_info(ctx, "%s %llu version%s (%llu up to date), %llu "
		    "object%s (%s; %llu already there), %llu alias%s",
		    push ? "pushed" : "pulled", (unsigned long long)s.versions,
		    mlp_plural_s(s.versions), (unsigned long long)s.versions_skipped,
		    (unsigned long long)s.objects, mlp_plural_s(s.objects), b,
		    (unsigned long long)s.objects_skipped,
		    (unsigned long long)s.aliases, s.aliases == 1 ? "" : "es");
		if (s.aliases_removed)
			mlp_info(ctx, "removed %llu alias%s %s",
			    (unsigned long long)s.aliases_removed,
			    s.aliases_removed == 1 ? "" : "es",
			    push ? "from the remote" : "here");
	}
	if (s.nconflicts) {
		const struct mlp_sync_conflict *c = &s.conflicts[0];

		/* diagnostics, also with --json (whose document lists them) */
		for (size_t i = 0; i < s.nconflicts; i++)
			fprintf(stderr, "conflict: %s/%lld differs on both sides "
			    "(here %.12s, on the remote %.12s)\n",
			    s.conflicts[i].name,
			    (long long)s.conflicts[i].version,
			    s.conflicts[i].here, s.conflicts[i].there);
		rc = mlp_failf(ctx, 1, "%s", err.msg);
		if (push)
			mlp_hint(ctx, "versions keep their numbers on both sides: "
			    "register the local one again as the next version "
			    "('mlp register models:/%s/%lld -n %s') and push "
			    "that", c->name, (long long)c->version, c->name);
		else
			mlp_hint(ctx, "versions keep their numbers on both sides: "
			    "the local models:/%s/%lld stays; to keep both, pull "
			    "into another repository and move the remote's "
			    "version here with 'mlp register export' and 'mlp "
			    "register import -n MODEL'", c->name,
			    (long long)c->version);
	}
out:
	mlp_sync_stats_release(&s);
	mlp_remote_close(rem);
	free(chosen);
	free(user);
	mlp_opt_release(&p);
	return rc;
}

static int
push_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	return sync_run(ctx, argc, argv, 1);
}

static int
pull_run(struct mlp_ctx *ctx, int argc, char **argv)
{
	return sync_run(ctx, argc, argv, 0);
}

const struct mlp_command cmd_push = {
	.name = "push",
	.run = push_run,
	.setup = NEED_REPO,
	.summary = "Send model versions and their objects to a remote",
	.opts = sync_opts,
	.args = "[REMOTE] [URI...]",
};

const struct mlp_command cmd_pull = {
	.name = "pull",
	.run = pull_run,
	.setup = NEED_REPO,
	.summary = "Fetch model versions and their objects from a remote",
	.opts = sync_opts,
	.args = "[REMOTE] [URI...]",
};
