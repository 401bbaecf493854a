/* What lib/track's files share beyond track.h. */
#ifndef MLP_TRACK_INTERNAL_H
#define MLP_TRACK_INTERNAL_H

#include "track.h"

/* Records the calling process as the one running run (row id): the tags
 * mlp.source.host, mlp.source.pid and mlp.source.pid.start. Call inside a
 * transaction. Nothing is recorded where the process cannot be identified
 * (no /proc). */
int track_own_run(struct mlp_db *db, int64_t run, struct mlp_err *err);

#endif
