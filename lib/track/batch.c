/* Batch logging input: JSON lines and MLflow log-batch bodies, streamed. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "track.h"

struct mlp_batch_reader {
	char *name;		/* for messages: a file name or "stdin" */
	struct mlp_buf buf;	/* unconsumed input */
	size_t scan;		/* bytes of buf already scanned */
	int64_t line;		/* line number at buf's start */
	int64_t scan_line;	/* line number at buf + scan */
	int64_t rec_line;	/* line where the current record starts */
	size_t rec_start;	/* offset of the record's '{' */
	int depth, in_str, esc;
};

int
mlp_batch_new(struct mlp_batch_reader **out, const char *name)
{
	struct mlp_batch_reader *br = xcalloc(1, sizeof(*br));

	br->name = xstrdup(name);
	br->line = br->scan_line = 1;
	*out = br;
	return 0;
}

void
mlp_batch_free(struct mlp_batch_reader *br)
{
	if (!br)
		return;
	mlp_buf_release(&br->buf);
	free(br->name);
	free(br);
}

static int
rec_error(struct mlp_batch_reader *br, struct mlp_err *err, int code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
rec_error(struct mlp_batch_reader *br, struct mlp_err *err, int code,
    const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mlp_err_set(err, code, "'%s' line %lld: %s", br->name,
	    (long long)br->rec_line, msg);
}

static const char *
json_str(const cJSON *o, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A value as text: strings as they are, numbers the way they read back. */
static int
value_text(const cJSON *v, char *tmp, size_t n, const char **out)
{
	if (cJSON_IsString(v)) {
		*out = v->valuestring;
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		mlp_fmt_double(v->valuedouble, tmp, n);
		*out = tmp;
		return 0;
	}
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v) ? "true" : "false";
		return 0;
	}
	return -1;
}

static int
int_field(const cJSON *o, const char *field, int64_t dflt, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, field);

	if (!v || cJSON_IsNull(v)) {
		*out = dflt;
		return 0;
	}
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
	    fabs(v->valuedouble) < 9.2e18) {
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v) && mlp_parse_int64(v->valuestring, out) == 0)
		return 0;
	return -1;
}

static int
log_metric(struct mlp_batch_reader *br, struct mlp_logger *lg,
    const cJSON *o, const char *keyfield, struct mlp_err *err)
{
	const char *key = json_str(o, keyfield);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");
	double value = 0;
	int64_t step, ts;
	int rc = 0;

	if (!key)
		return rec_error(br, err, MLP_EINVAL, "metric needs a \"%s\" "
		    "string", keyfield);
	if (cJSON_IsNumber(v))
		value = v->valuedouble;
	else if (!cJSON_IsString(v) ||
	    (rc = mlp_parse_double(v->valuestring, &value)) == -1)
		return rec_error(br, err, MLP_EINVAL, "metric '%s': \"value\" "
		    "must be a number", key);
	/* a JSON number has no inf: one that reads as inf overflowed */
	if ((cJSON_IsNumber(v) && isinf(value)) || rc == -2)
		return rec_error(br, err, MLP_EINVAL, "metric '%s': \"value\" "
		    "is out of range for a 64-bit float (write \"inf\" for "
		    "infinity)", key);
	if (int_field(o, "step", 0, &step) < 0)
		return rec_error(br, err, MLP_EINVAL, "metric '%s': \"step\" "
		    "must be an integer", key);
	if (int_field(o, "timestamp", 0, &ts) < 0)
		return rec_error(br, err, MLP_EINVAL, "metric '%s': "
		    "\"timestamp\" must be an integer (ms)", key);
	if ((rc = mlp_logger_metric(lg, key, value, step, ts, err)) < 0)
		return rec_error(br, err, rc, "%s", err->msg);
	return 0;
}

static int
log_kv(struct mlp_batch_reader *br, struct mlp_logger *lg, const cJSON *o,
    const char *keyfield, int is_param, struct mlp_err *err)
{
	const char *key = json_str(o, keyfield), *value;
	char tmp[64];
	int rc;

	if (!key)
		return rec_error(br, err, MLP_EINVAL, "%s needs a \"%s\" string",
		    is_param ? "param" : "tag", keyfield);
	if (value_text(cJSON_GetObjectItemCaseSensitive(o, "value"), tmp,
	    sizeof(tmp), &value) < 0)
		return rec_error(br, err, MLP_EINVAL, "%s '%s': \"value\" must "
		    "be a string or a number", is_param ? "param" : "tag", key);
	rc = is_param ? mlp_logger_param(lg, key, value, err) :
	    mlp_logger_tag(lg, key, value, err);
	if (rc < 0)
		return rec_error(br, err, rc, "%s", err->msg);
	return 0;
}

/* One entry of an MLflow log-inputs body, {"dataset": {"name", "digest",
 * "source", ...}, "tags": [{"key": "mlflow.data.context", ...}]}, as the
 * tags mlp.dataset.CONTEXT.name|digest|source that mlp train writes (and
 * the datasets.* filters read). Without a context the context is
 * "input". */
static int
log_dataset(struct mlp_batch_reader *br, struct mlp_logger *lg,
    const cJSON *it, struct mlp_err *err)
{
	static const char *const fields[] = { "name", "digest", "source" };
	const cJSON *ds = cJSON_GetObjectItemCaseSensitive(it, "dataset");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(it, "tags");
	const cJSON *t;
	const char *context = "input";
	int rc;

	if (!cJSON_IsObject(ds))
		return rec_error(br, err, MLP_EINVAL, "\"datasets\" entry needs "
		    "a \"dataset\" object");
	if (tags && !cJSON_IsArray(tags))
		return rec_error(br, err, MLP_EINVAL, "dataset \"tags\" must be "
		    "an array");
	cJSON_ArrayForEach(t, tags) {
		const char *k = json_str(t, "key"), *v = json_str(t, "value");

		if (k && v && strcmp(k, "mlflow.data.context") == 0)
			context = v;
	}
	if (!*context || strchr(context, '.') || strlen(context) > 64)
		return rec_error(br, err, MLP_EINVAL, "dataset context '%.64s' "
		    "must be 1 to 64 characters without '.'", context);
	for (int f = 0; f < 3; f++) {
		const char *v = json_str(ds, fields[f]);
		char key[128];

		if (!v && f < 2)
			return rec_error(br, err, MLP_EINVAL, "dataset needs a "
			    "\"%s\" string", fields[f]);
		if (!v)
			continue;
		snprintf(key, sizeof(key), "mlp.dataset.%s.%s", context,
		    fields[f]);
		if ((rc = mlp_logger_tag(lg, key, v, err)) < 0)
			return rec_error(br, err, rc, "%s", err->msg);
	}
	return 0;
}

/* An MLflow log-batch body, {"run_id", "metrics", "params", "tags"}, or
 * log-inputs body, {"run_id", "datasets"}. */
static int
log_mlflow_body(struct mlp_batch_reader *br, struct mlp_logger *lg,
    const cJSON *o, const char *uuid, struct mlp_err *err)
{
	static const char *const lists[] = { "metrics", "params", "tags",
		"datasets" };
	const char *run = json_str(o, "run_id");
	int rc;

	if (run && strcmp(run, uuid) != 0)
		return rec_error(br, err, MLP_EINVAL, "\"run_id\" '%s' is not "
		    "the run being logged to (%s)", run, uuid);
	for (int l = 0; l < 4; l++) {
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, lists[l]);
		const cJSON *it;

		if (!arr)
			continue;
		if (!cJSON_IsArray(arr))
			return rec_error(br, err, MLP_EINVAL, "\"%s\" must be an "
			    "array", lists[l]);
		cJSON_ArrayForEach(it, arr) {
			if (!cJSON_IsObject(it))
				return rec_error(br, err, MLP_EINVAL, "\"%s\" "
				    "holds a non-object", lists[l]);
			rc = l == 0 ? log_metric(br, lg, it, "key", err) :
			    l == 3 ? log_dataset(br, lg, it, err) :
			    log_kv(br, lg, it, "key", l == 1, err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int
log_record(struct mlp_batch_reader *br, struct mlp_logger *lg,
    const char *text, size_t len, const char *uuid, struct mlp_err *err)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	int rc;

	if (!o)
		return rec_error(br, err, MLP_EINVAL, "invalid JSON");
	if (cJSON_GetObjectItemCaseSensitive(o, "metric"))
		rc = log_metric(br, lg, o, "metric", err);
	else if (cJSON_GetObjectItemCaseSensitive(o, "param"))
		rc = log_kv(br, lg, o, "param", 1, err);
	else if (cJSON_GetObjectItemCaseSensitive(o, "tag"))
		rc = log_kv(br, lg, o, "tag", 0, err);
	else if (cJSON_GetObjectItemCaseSensitive(o, "metrics") ||
	    cJSON_GetObjectItemCaseSensitive(o, "params") ||
	    cJSON_GetObjectItemCaseSensitive(o, "tags") ||
	    cJSON_GetObjectItemCaseSensitive(o, "datasets") ||
	    cJSON_GetObjectItemCaseSensitive(o, "run_id"))
		rc = log_mlflow_body(br, lg, o, uuid, err);
	else
		rc = rec_error(br, err, MLP_EINVAL, "expected a \"metric\", "
		    "\"param\" or \"tag\" record, or an MLflow log-batch or "
		    "log-inputs body");
	cJSON_Delete(o);
	return rc;
}

int
mlp_batch_feed(struct mlp_batch_reader *br, struct mlp_logger *lg,
    const char *data, size_t n, int eof, struct mlp_err *err)
{
	struct mlp_buf *b = &br->buf;
	const char *uuid;
	size_t consumed = 0;
	int rc = 0;

	mlp_buf_add(b, data, n);
	uuid = mlp_logger_uuid(lg);
	/* Find where each top-level object ends by counting brackets outside
	 * strings, then parse it once: linear in the input whatever the
	 * layout. */
	for (size_t i = br->scan; i < b->len; i++) {
		char c = b->s[i];

		if (br->depth == 0) {
			if (c == '\n') {
				br->scan_line++;
				consumed = i + 1;
				continue;
			}
			if (isspace((unsigned char)c)) {
				continue;
			}
			br->rec_line = br->scan_line;
			if (c != '{') {
				rc = rec_error(br, err, MLP_EINVAL,
				    "expected a JSON object, found '%c'",
				    isprint((unsigned char)c) ? c : '?');
				goto out;
			}
			br->rec_start = i;
			br->depth = 1;
			br->in_str = br->esc = 0;
			continue;
		}
		if (c == '\n')
			br->scan_line++;
		if (br->in_str) {
			if (br->esc)
				br->esc = 0;
			else if (c == '\\')
				br->esc = 1;
			else if (c == '"')
				br->in_str = 0;
			continue;
		}
		if (c == '"') {
			br->in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++br->depth > 64) {
				rc = rec_error(br, err, MLP_EINVAL,
				    "nested too deeply");
				goto out;
			}
		} else if ((c == '}' || c == ']') && --br->depth == 0) {
			if ((rc = log_record(br, lg, b->s + br->rec_start,
			    i + 1 - br->rec_start, uuid, err)) < 0)
				goto out;
			consumed = i + 1;
		}
	}
	if (eof && br->depth > 0) {
		rc = rec_error(br, err, MLP_EINVAL, "unexpected end of input "
		    "inside a JSON object");
		goto out;
	}
	if (br->depth > 0 && b->len - br->rec_start > MLP_BATCH_MAX_RECORD) {
		rc = rec_error(br, err, MLP_EINVAL, "a JSON object larger than "
		    "%d MiB", MLP_BATCH_MAX_RECORD >> 20);
		goto out;
	}
out:
	/* keep only the unfinished record */
	if (br->depth == 0)
		consumed = b->len;
	else if (consumed > br->rec_start)
		consumed = br->rec_start;
	memmove(b->s, b->s + consumed, b->len - consumed);
	b->len -= consumed;
	if (b->s)
		b->s[b->len] = '\0';
	br->scan = b->len;
	if (br->depth > 0)
		br->rec_start -= consumed;
	return rc;
}
