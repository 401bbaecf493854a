/* Declarations shared by the deploy module's own files. */
#ifndef MLP_DEPLOY_INTERNAL_H
#define MLP_DEPLOY_INTERNAL_H

#include "deploy.h"

/* This process as a lock or a heartbeat records it: the host name, the
 * pid and its start time (mlp_proc_start). */
struct deploy_self {
	char host[256];
	int64_t pid;
	char start[128];
};
void deploy_self(struct deploy_self *me);

/* 1 when this process holds the lock of deployment name, 0 when not, or
 * a negative error. Inside the caller's transaction. */
int deploy_lock_mine(struct mlp_db *db, const char *name, struct mlp_err *err);

/* Sleeps ms milliseconds (less when a signal comes). */
void deploy_sleep_ms(int64_t ms);

#endif
