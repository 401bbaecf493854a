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

/* mlp_deploy_wait over the live servers that servers(sud) lists: this
 * repository's, or a remote server's (target-http.c). */
typedef int (*deploy_servers_fn)(void *sud, struct mlp_server **out,
    size_t *n, struct mlp_err *err);
int deploy_wait(deploy_servers_fn servers, void *sud, const char *name,
    int64_t generation, int64_t version, int64_t timeout_ms,
    int (*stop)(void *), void *ud, struct mlp_deploy_wait *w,
    struct mlp_err *err);

/* Sleeps ms milliseconds (less when a signal comes). */
void deploy_sleep_ms(int64_t ms);

#endif
