/* Loading a model from any model source (path, runs:/, models:/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"
#include "../store/store.h"
#include "registry.h"

int
mlp_registry_load_model(struct mlp_db *db, struct mlp_store *st,
    const char *source, struct mlp_model **out, struct mlp_err *err)
{
	struct mlp_source src = { 0 };
	int rc;

	*out = NULL;
	if (strncmp(source, "runs:/", 6) != 0 &&
	    strncmp(source, "models:/", 8) != 0) {
		char *path = NULL;

		if ((rc = mlp_file_uri(source, &path, err)) >= 0)
			rc = mlp_model_load(path ? path : source, out, err);
		free(path);
		return rc;
	}
	if (!db || !st)
		return mlp_err_set(err, MLP_ENOREPO, "'%s' needs a repository "
		    "(no .mlp/ found)", source);
	if ((rc = mlp_registry_source(db, st, source, &src, err)) < 0)
		return rc;
	rc = mlp_registry_load_object(st, src.oid, src.is_tree, out, err);
	if (rc < 0)
		mlp_err_prefix(err, "%s", source);
	mlp_source_release(&src);
	return rc;
}

int
mlp_registry_load_object(struct mlp_store *st, const char *oid_hex,
    int is_tree, struct mlp_model **out, struct mlp_err *err)
{
	struct mlp_oid oid;
	char *dir = NULL, *dest = NULL;
	int rc;

	*out = NULL;
	/* a single file keeps its own name's meaning: an XGBoost JSON or a
	 * model.json is recognised by content */
	if ((rc = mlp_oid_parse(oid_hex, &oid, err)) < 0 ||
	    (rc = mlp_store_checkout_scratch(st, &oid, is_tree, "load",
	    is_tree ? "model" : "model.json", &dir, err)) < 0)
		goto out;
	dest = xasprintf("%s/%s", dir, is_tree ? "model" : "model.json");
	if ((rc = mlp_model_load(dest, out, err)) < 0) {
		/* name the files as they are in the model, not where they
		 * were checked out */
		size_t n = strlen(dir);
		char *at;

		while (err && (at = strstr(err->msg, dir)) && at[n] == '/')
			memmove(at, at + n + 1, strlen(at + n + 1) + 1);
	}
out:
	if (dir && dir[0])
		mlp_remove_tree(dir, NULL);
	free(dir);
	free(dest);
	return rc;
}

int
mlp_registry_import_flavor(struct mlp_store *st, const char *path,
    const char *flavor, char **dir, struct mlp_err *err)
{
	struct mlp_model_meta meta = { 0 };
	struct mlp_model *m = NULL;
	char *base = NULL, *local = NULL;
	int rc;

	*dir = NULL;
	if (strcmp(flavor, "xgboost") != 0)
		return mlp_err_set(err, MLP_EINVAL, "unknown flavor '%s' "
		    "(valid: xgboost)", flavor);
	if ((rc = mlp_file_uri(path, &local, err)) < 0)
		return rc;
	if (local)
		path = local;
	/* converted and checked before anything is stored */
	if ((rc = mlp_model_import_xgboost(path, &m, err)) < 0)
		goto out;
	base = xasprintf("%s/flavor-XXXXXX", mlp_store_tmp_dir(st));
	if (!mkdtemp(base)) {
		rc = mlp_err_set(err, MLP_EFAIL, "cannot create '%s': %s", base,
		    strerror(errno));
		goto out;
	}
	*dir = xasprintf("%s/model", base);
	meta.artifact_path = "model";
	meta.xgboost_file = path;
	if ((rc = mlp_model_write_dir(m, &meta, *dir, err)) < 0) {
		mlp_remove_tree(base, NULL);
		free(*dir);
		*dir = NULL;
	}
out:
	free(base);
	free(local);
	mlp_model_free(m);
	return rc;
}
