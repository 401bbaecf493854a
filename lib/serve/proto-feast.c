/* Feast's feature server protocol (feast serve, port 6566): the body of
 * POST /get-online-features decoded; lib/feature's mlp_fget_json writes
 * the answer (the CLI's get --json gives the same). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto.h"

void
serve_feast_get_release(struct serve_feast_get *g)
{
	for (size_t i = 0; i < g->nrefs; i++)
		free(g->refs[i]);
	free(g->refs);
	free(g->service);
	for (size_t i = 0; i < g->nkeys; i++) {
		free(g->key_names[i]);
		free(g->key_cols[i]);
	}
	free(g->key_names);
	free(g->key_cols);
	mlp_buf_release(&g->strings);
	memset(g, 0, sizeof(*g));
}

/* An entity key value: an integer or a string (Feast's ValueType of a
 * join key); strings go to g->strings, offsets fixed up at the end. */
static int
key_value(struct serve_feast_get *g, const cJSON *v, const char *key,
    size_t i, struct mlp_fval *out, struct mlp_err *err)
{
	memset(out, 0, sizeof(*out));
	if (cJSON_IsString(v)) {
		out->type = MLP_FT_STRING;
		out->v.str.n = strlen(v->valuestring);
		/* the offset now, a pointer once the buffer stops moving */
		out->v.str.s = (const char *)(uintptr_t)g->strings.len;
		mlp_buf_add(&g->strings, v->valuestring, out->v.str.n + 1);
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
		    d == (double)(int64_t)d) {
			out->type = MLP_FT_INT;
			out->v.i = (int64_t)d;
			return 0;
		}
	}
	if (cJSON_IsNull(v))
		return mlp_err_set(err, MLP_EINVAL, "entities.%s[%zu]: null: "
		    "an entity needs its key", key, i), 400;
	return mlp_err_set(err, MLP_EINVAL, "entities.%s[%zu]: expected an "
	    "integer or a string", key, i), 400;
}

int
serve_decode_feast_get(const char *body, size_t n,
    struct serve_feast_get *g, struct mlp_err *err)
{
	cJSON *doc = NULL;
	const cJSON *ents, *feats, *svc, *full, *it;
	int rc;

	memset(g, 0, sizeof(*g));
	if ((rc = serve_check_body(body, n, err)) != 0 ||
	    (rc = serve_json_parse(body, n, &doc, err)) != 0)
		return rc;
	rc = 400;
	if (!cJSON_IsObject(doc)) {
		mlp_err_set(err, MLP_EINVAL, "expected an object {\"entities\": "
		    "..., \"features\": [...] or \"feature_service\": ...}");
		goto out;
	}
	cJSON_ArrayForEach(it, doc) {
		if (strcmp(it->string, "entities") != 0 &&
		    strcmp(it->string, "features") != 0 &&
		    strcmp(it->string, "feature_service") != 0 &&
		    strcmp(it->string, "full_feature_names") != 0) {
			mlp_err_set(err, MLP_EINVAL, "unknown field '%.60s' "
			    "(the fields are entities, features, "
			    "feature_service, full_feature_names)",
			    it->string);
			goto out;
		}
	}
	ents = cJSON_GetObjectItemCaseSensitive(doc, "entities");
	feats = cJSON_GetObjectItemCaseSensitive(doc, "features");
	svc = cJSON_GetObjectItemCaseSensitive(doc, "feature_service");
	full = cJSON_GetObjectItemCaseSensitive(doc, "full_feature_names");
	if (!cJSON_IsObject(ents) || !ents->child) {
		mlp_err_set(err, MLP_EINVAL, "entities: expected an object of "
		    "join keys to lists of values ({\"driver_id\": [1001]})");
		goto out;
	}
	if (!!feats == !!svc) {
		mlp_err_set(err, MLP_EINVAL, "give exactly one of features "
		    "(a list of \"VIEW:FEATURE\") and feature_service");
		goto out;
	}
	if (full && !cJSON_IsBool(full)) {
		mlp_err_set(err, MLP_EINVAL, "full_feature_names: expected "
		    "true or false");
		goto out;
	}
	g->full_names = cJSON_IsTrue(full);
	if (svc) {
		if (!cJSON_IsString(svc) || !*svc->valuestring) {
			mlp_err_set(err, MLP_EINVAL, "feature_service: expected "
			    "a service's name");
			goto out;
		}
		g->service = xstrdup(svc->valuestring);
	} else {
		size_t k = 0;

		if (!cJSON_IsArray(feats) || cJSON_GetArraySize(feats) == 0) {
			mlp_err_set(err, MLP_EINVAL, "features: expected a "
			    "list of \"VIEW:FEATURE\"");
			goto out;
		}
		g->refs = xcalloc((size_t)cJSON_GetArraySize(feats),
		    sizeof(*g->refs));
		cJSON_ArrayForEach(it, feats) {
			if (!cJSON_IsString(it) || !strchr(it->valuestring,
			    ':')) {
				mlp_err_set(err, MLP_EINVAL, "features[%zu]: "
				    "expected \"VIEW:FEATURE\"", k);
				goto out;
			}
			g->refs[g->nrefs++] = xstrdup(it->valuestring);
			k++;
		}
	}
	g->nkeys = (size_t)cJSON_GetArraySize(ents);
	g->key_names = xcalloc(g->nkeys, sizeof(*g->key_names));
	g->key_cols = xcalloc(g->nkeys, sizeof(*g->key_cols));
	{
		size_t k = 0;

		cJSON_ArrayForEach(it, ents) {
			size_t i = 0, len;
			const cJSON *v;

			g->key_names[k] = xstrdup(it->string);
			if (!cJSON_IsArray(it) || (len = (size_t)
			    cJSON_GetArraySize(it)) == 0) {
				mlp_err_set(err, MLP_EINVAL, "entities.%.60s: "
				    "expected a non-empty list of values",
				    it->string);
				goto out;
			}
			if (k == 0)
				g->n = len;
			else if (len != g->n) {
				mlp_err_set(err, MLP_EINVAL, "entities.%.60s: "
				    "%zu values where entities.%.60s has %zu",
				    it->string, len, g->key_names[0], g->n);
				goto out;
			}
			if (len > SERVE_MAX_ROWS) {
				mlp_err_set(err, MLP_EINVAL, "entities: more "
				    "than %zu", (size_t)SERVE_MAX_ROWS);
				rc = 413;
				goto out;
			}
			g->key_cols[k] = xcalloc(len, sizeof(struct mlp_fval));
			cJSON_ArrayForEach(v, it) {
				if (key_value(g, v, it->string, i,
				    &g->key_cols[k][i], err) != 0)
					goto out;
				i++;
			}
			k++;
		}
	}
	for (size_t k = 0; k < g->nkeys; k++)
		for (size_t i = 0; i < g->n; i++)
			if (g->key_cols[k][i].type == MLP_FT_STRING)
				g->key_cols[k][i].v.str.s = g->strings.s +
				    (uintptr_t)g->key_cols[k][i].v.str.s;
	rc = 0;
out:
	cJSON_Delete(doc);
	if (rc != 0)
		serve_feast_get_release(g);
	return rc;
}
