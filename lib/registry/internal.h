/* Declarations shared by the registry's own files. */
#ifndef MLP_REGISTRY_INTERNAL_H
#define MLP_REGISTRY_INTERNAL_H

#include "registry.h"

/* Inserts version vi->version of model (an id) with its tags and touches
 * the model's update time, inside the caller's transaction. Used by
 * mlp_registry_create_version (the next number) and by pulls and imports
 * (a given number). */
int registry_insert_version(struct mlp_db *db, int64_t model,
    const struct mlp_version_import *vi, struct mlp_err *err);

#endif
