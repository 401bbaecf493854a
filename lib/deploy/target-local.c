/* The local target: mlp serve processes on this repository read the
 * deployment table, so a committed change is all it takes. */
#include <stdlib.h>

#include "internal.h"

static int
local_configure(const struct mlp_deploy_target_opts *o,
    const struct mlp_deployment *next, char **config, struct mlp_err *err)
{
	const char *opt = o->output ? "-o" : o->kserve_version ?
	    "--kserve-version" : o->kserve_mode ? "--kserve-mode" :
	    o->storage_uri ? "--storage-uri" : NULL;

	*config = NULL;
	if (opt)
		return mlp_err_set(err, MLP_EINVAL, "%s is for target kserve, "
		    "not local (whose servers read the repository)", opt);
	*config = xstrdup(next->config ? next->config : "{}");
	return 0;
}

static int
local_apply(const struct mlp_deploy_target_opts *o,
    const struct mlp_deployment *next, char **note, struct mlp_err *err)
{
	*note = NULL;
	return 0;
}

const struct mlp_deploy_target mlp_deploy_target_local = {
	.name = "local",
	.summary = "mlp serve processes on this repository",
	.waits = 1,
	.configure = local_configure,
	.apply = local_apply,
};
