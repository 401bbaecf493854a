/* Deploy targets: the backend table, matched by name. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

extern const struct mlp_deploy_target mlp_deploy_target_local;
extern const struct mlp_deploy_target mlp_deploy_target_kserve;

const struct mlp_deploy_target *const mlp_deploy_targets[] = {
	&mlp_deploy_target_local,
	&mlp_deploy_target_kserve,
	NULL,
};

int
mlp_deploy_target_find(const char *name, const struct mlp_deploy_target **out,
    struct mlp_err *err)
{
	struct mlp_buf known = MLP_BUF_INIT;
	int rc;

	*out = NULL;
	for (size_t i = 0; mlp_deploy_targets[i]; i++) {
		if (strcmp(mlp_deploy_targets[i]->name, name) == 0) {
			*out = mlp_deploy_targets[i];
			mlp_buf_release(&known);
			return 0;
		}
		mlp_buf_addf(&known, "%s%s", i ? ", " : "",
		    mlp_deploy_targets[i]->name);
	}
	if ((rc = mlp_check_utf8("target", name, err)) < 0)
		;
	else if (strncmp(name, "http://", 7) == 0 ||
	    strncmp(name, "https://", 8) == 0)
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "target '%s' is not "
		    "supported yet (a remote mlp serve); known targets: %s",
		    name, known.s);
	else
		rc = mlp_err_set(err, MLP_EINVAL, "unknown target '%s' (known "
		    "targets: %s)", name, known.s);
	mlp_buf_release(&known);
	return rc;
}
