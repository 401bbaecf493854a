/* Deploy targets: the backend table, matched by name. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

extern const struct mlp_deploy_target mlp_deploy_target_local;
extern const struct mlp_deploy_target mlp_deploy_target_kserve;
extern const struct mlp_deploy_target mlp_deploy_target_http;

const struct mlp_deploy_target *const mlp_deploy_targets[] = {
	&mlp_deploy_target_local,
	&mlp_deploy_target_kserve,
	&mlp_deploy_target_http,
	NULL,
};

/* A URL a remote target takes: http:// or https:// and more. */
static int
is_url(const char *name)
{
	return (strncmp(name, "http://", 7) == 0 && name[7]) ||
	    (strncmp(name, "https://", 8) == 0 && name[8]);
}

int
mlp_deploy_target_find(const char *name, const struct mlp_deploy_target **out,
    struct mlp_err *err)
{
	struct mlp_buf known = MLP_BUF_INIT;
	int rc;

	*out = NULL;
	for (size_t i = 0; mlp_deploy_targets[i]; i++) {
		if (mlp_deploy_targets[i]->remote ? is_url(name) :
		    strcmp(mlp_deploy_targets[i]->name, name) == 0) {
			*out = mlp_deploy_targets[i];
			mlp_buf_release(&known);
			return 0;
		}
		mlp_buf_addf(&known, "%s%s%s", i ? ", " : "",
		    mlp_deploy_targets[i]->name, mlp_deploy_targets[i]->remote ?
		    "HOST:PORT" : "");
	}
	if ((rc = mlp_check_utf8("target", name, err)) < 0)
		;
	else
		rc = mlp_err_set(err, MLP_EINVAL, "unknown target '%s' (known "
		    "targets: %s)", name, known.s);
	mlp_buf_release(&known);
	return rc;
}
