/* The kserve target: renders a KServe InferenceService (v1beta1) for the
 * KServe version the user names, to a file or through kubectl apply.
 *
 * The canary goes where the mode honours it: spec.predictor.
 * canaryTrafficPercent in Serverless (Knative) mode, which splits traffic
 * between the revision being rolled out and the last ready one;
 * spec.canary[] in RawDeployment (Standard) mode from KServe 0.20. Before
 * 0.20, RawDeployment mode ignores canaryTrafficPercent without a word
 * (kserve#5335): a canary there is refused, never silently dropped. From
 * KServe 0.16 the modes are spelled Knative and Standard. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "internal.h"

extern char **environ;

/* The oldest KServe with spec.predictor.model (modelFormat, storageUri). */
#define KS_MIN_MINOR 8
/* Where the mode names changed, and raw mode took a canary. */
#define KS_NEW_NAMES 16
#define KS_RAW_CANARY 20

struct ks {
	int major, minor;
	char version[32];
	int raw;		/* RawDeployment/Standard, else Serverless */
	cJSON *storage;		/* version -> storage URI (borrowed) */
};

/* "0.11", "v0.11" or "0.11.2": 0, or MLP_EINVAL. */
static int
parse_version(const char *s, struct ks *k, struct mlp_err *err)
{
	const char *p = s + (s[0] == 'v' || s[0] == 'V');
	char *end;
	long maj, min;

	errno = 0;
	maj = isdigit((unsigned char)*p) ? strtol(p, &end, 10) : -1;
	if (maj < 0 || *end != '.' || !isdigit((unsigned char)end[1]))
		goto bad;
	min = strtol(end + 1, &end, 10);
	if (*end == '.') {
		if (!isdigit((unsigned char)end[1]))
			goto bad;
		strtol(end + 1, &end, 10);
	}
	if (*end || errno || maj > 99 || min > 999)
		goto bad;
	k->major = (int)maj;
	k->minor = (int)min;
	snprintf(k->version, sizeof(k->version), "%d.%d", k->major, k->minor);
	if (k->major == 0 && k->minor < KS_MIN_MINOR)
		return mlp_err_set(err, MLP_EUNSUPPORTED, "KServe %s is not "
		    "supported: the InferenceService mlp renders needs KServe "
		    "0.%d or later (spec.predictor.model)", s, KS_MIN_MINOR);
	return 0;
bad:
	return mlp_err_set(err, MLP_EINVAL, "--kserve-version '%s': expected "
	    "a KServe version such as 0.11 or 0.15.2", s);
}

/* Whether this version is at least 0.minor (any 1.x is). */
static int
at_least(const struct ks *k, int minor)
{
	return k->major > 0 || k->minor >= minor;
}

static int
parse_mode(const char *s, int *raw, struct mlp_err *err)
{
	static const char *const serverless[] = { "serverless", "knative",
		NULL };
	static const char *const raws[] = { "raw", "rawdeployment",
		"standard", NULL };

	for (size_t i = 0; serverless[i]; i++)
		if (strcasecmp(s, serverless[i]) == 0) {
			*raw = 0;
			return 0;
		}
	for (size_t i = 0; raws[i]; i++)
		if (strcasecmp(s, raws[i]) == 0) {
			*raw = 1;
			return 0;
		}
	return mlp_err_set(err, MLP_EINVAL, "--kserve-mode '%s': expected "
	    "serverless (Knative) or raw (RawDeployment, Standard)", s);
}

/* The mode's name as this KServe version spells it. */
static const char *
mode_name(const struct ks *k)
{
	if (at_least(k, KS_NEW_NAMES))
		return k->raw ? "Standard" : "Knative";
	return k->raw ? "RawDeployment" : "Serverless";
}

/* An InferenceService's name is a DNS-1035 label. */
static int
check_isvc_name(const char *name, struct mlp_err *err)
{
	size_t n = strlen(name);
	int ok = n > 0 && n <= 63 && name[0] >= 'a' && name[0] <= 'z' &&
	    name[n - 1] != '-';

	for (size_t i = 0; ok && i < n; i++)
		ok = (name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-';
	if (!ok)
		return mlp_err_set(err, MLP_EINVAL, "deployment name '%s' "
		    "cannot name an InferenceService: target kserve needs "
		    "lowercase letters, digits and '-', starting with a letter, "
		    "at most 63 (give one with --name)", name);
	return 0;
}

/* The settings of d's config, into k; doc is the parsed config (the
 * caller deletes it). */
static int
read_config(const struct mlp_deployment *d, cJSON **doc, struct ks *k,
    struct mlp_err *err)
{
	cJSON *v, *m;

	memset(k, 0, sizeof(*k));
	*doc = cJSON_Parse(d->config ? d->config : "{}");
	if (!cJSON_IsObject(*doc)) {
		cJSON_Delete(*doc);
		*doc = cJSON_CreateObject();
	}
	v = cJSON_GetObjectItemCaseSensitive(*doc, "kserve_version");
	m = cJSON_GetObjectItemCaseSensitive(*doc, "mode");
	k->storage = cJSON_GetObjectItemCaseSensitive(*doc, "storage");
	if (!cJSON_IsObject(k->storage)) {
		cJSON_DeleteItemFromObjectCaseSensitive(*doc, "storage");
		k->storage = cJSON_AddObjectToObject(*doc, "storage");
	}
	if (cJSON_IsString(v)) {
		int rc = parse_version(v->valuestring, k, err);

		if (rc < 0)
			return rc;
	}
	if (cJSON_IsString(m))
		return parse_mode(m->valuestring, &k->raw, err);
	return 0;
}

static const char *
storage_of(const struct ks *k, int64_t version)
{
	char key[32];
	cJSON *u;

	snprintf(key, sizeof(key), "%lld", (long long)version);
	u = cJSON_GetObjectItemCaseSensitive(k->storage, key);
	return cJSON_IsString(u) ? u->valuestring : NULL;
}

/* Whether an executable name is in a directory of PATH. */
static int
on_path(const char *name)
{
	const char *path = getenv("PATH");

	for (const char *p = path ? path : ""; *p;) {
		size_t n = strcspn(p, ":");
		char *f = xasprintf("%.*s/%s", (int)n, n ? p : ".", name);
		int ok = access(f, X_OK) == 0;

		free(f);
		if (ok)
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

/* Checks that state d can be rendered: a name KServe takes, a canary the
 * mode honours, the storage URIs it needs. */
static int
check_state(const struct mlp_deployment *d, const struct ks *k,
    struct mlp_err *err)
{
	int64_t need[2] = { 0, 0 };
	int rc;

	if ((rc = check_isvc_name(d->name, err)) < 0)
		return rc;
	if (d->canary) {
		if (d->canary_pct != floor(d->canary_pct))
			return mlp_err_set(err, MLP_EUNSUPPORTED, "KServe takes "
			    "a whole percentage: a canary of %g%% cannot be "
			    "honoured (give --canary %g or %g)", d->canary_pct,
			    floor(d->canary_pct), ceil(d->canary_pct));
		if (k->raw && !at_least(k, KS_RAW_CANARY))
			return mlp_err_set(err, MLP_EUNSUPPORTED, "KServe %s in "
			    "%s mode ignores canaryTrafficPercent (kserve#5335): "
			    "a canary cannot be honoured there; use "
			    "--kserve-mode serverless, or KServe 0.%d or later "
			    "(spec.canary)", k->version, mode_name(k),
			    KS_RAW_CANARY);
	}
	/* Serverless rolls the canary out beside the last ready revision:
	 * only the canary's files are named */
	if (d->canary && !k->raw) {
		need[0] = d->canary;
	} else {
		need[0] = d->stable;
		need[1] = d->canary;
	}
	for (size_t i = 0; i < 2; i++)
		if (need[i] && !storage_of(k, need[i]))
			return mlp_err_set(err, MLP_EINVAL, "target kserve needs "
			    "--storage-uri: no storage URI is recorded for "
			    "models:/%s/%lld (where the cluster finds its "
			    "files)", d->model, (long long)need[i]);
	return 0;
}

static int
kserve_configure(const struct mlp_deploy_target_opts *o,
    const struct mlp_deployment *next, char **config, struct mlp_err *err)
{
	cJSON *doc = NULL;
	struct ks k;
	int rc;

	*config = NULL;
	if ((rc = read_config(next, &doc, &k, err)) < 0)
		goto out;
	if (o->kserve_version) {
		if ((rc = mlp_check_utf8("--kserve-version", o->kserve_version,
		    err)) < 0 ||
		    (rc = parse_version(o->kserve_version, &k, err)) < 0)
			goto out;
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "kserve_version");
		cJSON_AddStringToObject(doc, "kserve_version", k.version);
	}
	if (!k.version[0]) {
		rc = mlp_err_set(err, MLP_EINVAL, "target kserve needs "
		    "--kserve-version: the KServe version of the cluster "
		    "(e.g. 0.11)");
		goto out;
	}
	if (o->kserve_mode) {
		if ((rc = mlp_check_utf8("--kserve-mode", o->kserve_mode,
		    err)) < 0 ||
		    (rc = parse_mode(o->kserve_mode, &k.raw, err)) < 0)
			goto out;
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "mode");
		cJSON_AddStringToObject(doc, "mode", k.raw ? "raw" :
		    "serverless");
	} else if (!cJSON_GetObjectItemCaseSensitive(doc, "mode")) {
		/* Serverless: KServe's default deployment mode in every
		 * release's inferenceservice-config */
		cJSON_AddStringToObject(doc, "mode", "serverless");
	}
	if (o->storage_uri) {
		int64_t v = next->canary ? next->canary : next->stable;
		char key[32];

		if ((rc = mlp_check_utf8("--storage-uri", o->storage_uri,
		    err)) < 0)
			goto out;
		if (!strstr(o->storage_uri, "://") ||
		    strpbrk(o->storage_uri, " \t\r\n") ||
		    o->storage_uri[0] == ':') {
			rc = mlp_err_set(err, MLP_EINVAL, "--storage-uri '%s' is "
			    "not a URI (s3://..., gs://..., pvc://..., "
			    "https://...)", o->storage_uri);
			goto out;
		}
		if (!v) {
			rc = mlp_err_set(err, MLP_EINVAL, "--storage-uri names "
			    "the files of a version being deployed");
			goto out;
		}
		snprintf(key, sizeof(key), "%lld", (long long)v);
		cJSON_DeleteItemFromObjectCaseSensitive(k.storage, key);
		cJSON_AddStringToObject(k.storage, key, o->storage_uri);
	}
	if (next->stable && (rc = check_state(next, &k, err)) < 0)
		goto out;
	if (next->stable && !o->output && !on_path("kubectl")) {
		rc = mlp_err_set(err, MLP_EINVAL, "target kserve writes the "
		    "InferenceService to -o FILE, or applies it with kubectl, "
		    "which is not on PATH");
		goto out;
	}
	*config = cJSON_PrintUnformatted(doc);
	if (!*config)
		rc = mlp_err_set(err, MLP_EFAIL, "out of memory");
out:
	cJSON_Delete(doc);
	return rc;
}

/* A YAML double-quoted scalar (JSON's escapes are YAML's). */
static void
yaml_str(struct mlp_buf *b, const char *s)
{
	cJSON *j = cJSON_CreateString(s);
	char *t = cJSON_PrintUnformatted(j);

	mlp_buf_adds(b, t ? t : "\"\"");
	free(t);
	cJSON_Delete(j);
}

/* spec.predictor's model, at indent spaces. */
static void
model_yaml(struct mlp_buf *b, int indent, const char *uri)
{
	mlp_buf_addf(b, "%*smodel:\n", indent, "");
	mlp_buf_addf(b, "%*smodelFormat:\n", indent + 2, "");
	mlp_buf_addf(b, "%*sname: mlp\n", indent + 4, "");
	mlp_buf_addf(b, "%*sprotocolVersion: v2\n", indent + 2, "");
	mlp_buf_addf(b, "%*sstorageUri: ", indent + 2, "");
	yaml_str(b, uri);
	mlp_buf_addc(b, '\n');
}

int
mlp_deploy_kserve_render(const struct mlp_deployment *d, struct mlp_buf *out,
    struct mlp_err *err)
{
	cJSON *doc = NULL;
	struct ks k;
	int rc;

	if ((rc = read_config(d, &doc, &k, err)) < 0)
		goto out;
	if (!k.version[0]) {
		rc = mlp_err_set(err, MLP_EINVAL, "deployment '%s' records no "
		    "KServe version", d->name);
		goto out;
	}
	if ((rc = check_state(d, &k, err)) < 0)
		goto out;
	mlp_buf_addf(out, "# mlp deploy: deployment %s, generation %lld: "
	    "models:/%s/%lld", d->name, (long long)d->generation, d->model,
	    (long long)d->stable);
	if (d->canary)
		mlp_buf_addf(out, ", canary models:/%s/%lld at %g%%", d->model,
		    (long long)d->canary, d->canary_pct);
	mlp_buf_addf(out, "\n# KServe %s, %s mode\n", k.version, mode_name(&k));
	mlp_buf_adds(out, "apiVersion: serving.kserve.io/v1beta1\n"
	    "kind: InferenceService\n"
	    "metadata:\n");
	mlp_buf_addf(out, "  name: %s\n", d->name);
	mlp_buf_adds(out, "  annotations:\n");
	mlp_buf_addf(out, "    serving.kserve.io/deploymentMode: %s\n",
	    mode_name(&k));
	mlp_buf_adds(out, "spec:\n  predictor:\n");
	if (k.raw && at_least(&k, KS_RAW_CANARY)) {
		/* each version is a Deployment NAME-vN-predictor: promoting
		 * names the canary's the stable one, with no restart */
		mlp_buf_addf(out, "    name: v%lld\n", (long long)d->stable);
		model_yaml(out, 4, storage_of(&k, d->stable));
		if (d->canary) {
			mlp_buf_adds(out, "  canary:\n  - predictor:\n");
			mlp_buf_addf(out, "      name: v%lld\n",
			    (long long)d->canary);
			model_yaml(out, 6, storage_of(&k, d->canary));
			mlp_buf_addf(out, "    trafficPercent: %lld\n",
			    (long long)d->canary_pct);
		}
	} else if (d->canary) {
		mlp_buf_addf(out, "    canaryTrafficPercent: %lld\n",
		    (long long)d->canary_pct);
		model_yaml(out, 4, storage_of(&k, d->canary));
	} else {
		model_yaml(out, 4, storage_of(&k, d->stable));
	}
out:
	cJSON_Delete(doc);
	return rc;
}

/* Runs kubectl apply -f - with yaml on its input; its output in *note. */
static int
kubectl_apply(const char *yaml, char **note, struct mlp_err *err)
{
	char *argv[] = { "kubectl", "apply", "-f", "-", NULL };
	posix_spawn_file_actions_t fa;
	struct mlp_buf out = MLP_BUF_INIT;
	int pi[2], po[2], status = 0, rc;
	size_t len = strlen(yaml), off = 0;
	void (*old_pipe)(int);
	pid_t pid;

	if (pipe2(pi, O_CLOEXEC) < 0)
		return mlp_err_set(err, MLP_EFAIL, "cannot make a pipe: %s",
		    strerror(errno));
	if (pipe2(po, O_CLOEXEC) < 0) {
		close(pi[0]);
		close(pi[1]);
		return mlp_err_set(err, MLP_EFAIL, "cannot make a pipe: %s",
		    strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pi[0], 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, po[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pi[0]);
	close(po[1]);
	if (rc != 0) {
		close(pi[1]);
		close(po[0]);
		return mlp_err_set(err, MLP_EFAIL, "cannot run kubectl: %s",
		    strerror(rc));
	}
	/* the manifest is small: written whole before the output is read */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		ssize_t n = write(pi[1], yaml + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(pi[1]);
	signal(SIGPIPE, old_pipe);
	for (;;) {
		char buf[4096];
		ssize_t n = read(po[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		mlp_buf_add(&out, buf, (size_t)n);
	}
	close(po[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	while (out.len && (out.s[out.len - 1] == '\n' ||
	    out.s[out.len - 1] == ' '))
		out.s[--out.len] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rc = mlp_err_set(err, MLP_EFAIL, "kubectl apply failed: %s",
		    out.len ? out.s : "no message");
	else
		*note = mlp_buf_detach(&out);
	mlp_buf_release(&out);
	return rc;
}

static int
kserve_apply(const struct mlp_deploy_target_opts *o,
    const struct mlp_deployment *next, char **note, struct mlp_err *err)
{
	struct mlp_buf yaml = MLP_BUF_INIT;
	int rc;

	*note = NULL;
	if (!next->stable) {
		/* removing from the cluster is left to the user: mlp may
		 * only have written files (-o) for a GitOps flow */
		*note = xasprintf("the InferenceService '%s' stays in the "
		    "cluster: remove it with 'kubectl delete inferenceservice "
		    "%s'", next->name, next->name);
		return 0;
	}
	if ((rc = mlp_deploy_kserve_render(next, &yaml, err)) < 0)
		goto out;
	if (o->output) {
		if ((rc = mlp_write_file(o->output, yaml.s, yaml.len, err)) == 0)
			*note = xasprintf("wrote the InferenceService '%s' to "
			    "%s", next->name, o->output);
	} else {
		rc = kubectl_apply(yaml.s, note, err);
	}
out:
	mlp_buf_release(&yaml);
	return rc;
}

const struct mlp_deploy_target mlp_deploy_target_kserve = {
	.name = "kserve",
	.summary = "a KServe InferenceService (to -o FILE, or kubectl apply)",
	.waits = 0,
	.configure = kserve_configure,
	.apply = kserve_apply,
};
