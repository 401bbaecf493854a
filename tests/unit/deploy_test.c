/* Unit tests of lib/deploy: state changes, the routes servers read, locks,
 * heartbeats and --wait, KServe rendering, on a real database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "registry/registry.h"
#include "tap.h"

static void
test_plan(void)
{
	struct mlp_deployment cur = { 0 }, next = { 0 };
	struct mlp_deploy_change c = { 0 };
	struct mlp_err err;
	int changed;

	c.name = "fraud";
	c.model = "fraud";
	c.version = 1;
	c.action = MLP_DEPLOY_CANARY;
	c.canary_pct = 10;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == MLP_ENOTFOUND,
	    "no canary without a deployment: %s", err.msg);
	c.action = MLP_DEPLOY_SET;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 &&
	    next.stable == 1 && !next.previous && changed &&
	    strcmp(next.target, "local") == 0, "a first deploy");
	cur = next;
	c.version = 2;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 &&
	    next.stable == 2 && next.previous == 1, "a second: previous 1");
	mlp_deployment_release(&cur);
	cur = next;
	c.action = MLP_DEPLOY_CANARY;
	c.version = 3;
	c.canary_pct = 100;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == MLP_EINVAL,
	    "a share of 100: %s", err.msg);
	c.canary_pct = 2.5;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 &&
	    next.stable == 2 && next.canary == 3 && next.canary_pct == 2.5 &&
	    next.previous == 1, "a canary: the stable stays");
	mlp_deployment_release(&cur);
	cur = next;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 && !changed,
	    "the same canary again changes nothing");
	mlp_deployment_release(&next);
	c.version = 2;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == MLP_EFAIL,
	    "the stable as canary: %s", err.msg);
	c.model = "other";
	c.version = 1;
	c.action = MLP_DEPLOY_SET;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == MLP_EFAIL,
	    "another model: %s", err.msg);
	c.model = "fraud";
	c.target = "kserve";
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == MLP_EINVAL,
	    "another target: %s", err.msg);
	c.target = NULL;
	c.action = MLP_DEPLOY_PROMOTE;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 &&
	    next.stable == 3 && next.previous == 2 && !next.canary,
	    "promote: canary to stable, previous the old stable");
	mlp_deployment_release(&next);
	c.action = MLP_DEPLOY_ROLLBACK;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 &&
	    next.stable == 2 && next.previous == 1 && !next.canary,
	    "rollback with a canary drops it");
	mlp_deployment_release(&cur);
	cur = next;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 &&
	    next.stable == 1 && next.previous == 2,
	    "rollback without: stable and previous swap");
	mlp_deployment_release(&next);
	cur.previous = 0;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == MLP_EFAIL,
	    "nothing to roll back to: %s", err.msg);
	c.action = MLP_DEPLOY_SET;
	c.version = 2;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 && !changed,
	    "deploying the stable again changes nothing");
	mlp_deployment_release(&next);
	c.action = MLP_DEPLOY_RM;
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == 0 &&
	    next.name && !next.stable, "rm leaves no version");
	mlp_deployment_release(&next);
	mlp_deployment_release(&cur);
	c.name = "a/b";
	ok(mlp_deploy_plan(&cur, &c, &next, &changed, &err) == MLP_EINVAL &&
	    strncmp(err.msg, "deployment name", 15) == 0, "name rules: %s",
	    err.msg);
}

static int
commit(struct mlp_db *db, enum mlp_deploy_action a, int64_t v, double pct,
    struct mlp_deployment *after, struct mlp_err *err)
{
	struct mlp_deploy_change c = { 0 };
	int changed;

	c.action = a;
	c.name = "fraud";
	c.model = "fraud";
	c.version = v;
	c.canary_pct = pct;
	c.user = "ann";
	return mlp_deploy_commit(db, &c, NULL, after, &changed, err);
}

static int64_t
routes_of(struct mlp_db *db, const char *target, struct mlp_deploy_route *r)
{
	struct mlp_deploy_route *v = NULL;
	struct mlp_err err;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	if (mlp_deploy_routes(db, target, &v, &n, &err) < 0)
		return -1;
	if (n) {
		*r = v[0];
		v[0].name = v[0].model = NULL;
	}
	mlp_deploy_routes_free(v, n);
	return (int64_t)n;
}

static void
test_db(void)
{
	char dir[] = "/tmp/mlp-deploy-test.XXXXXX", *path, *cmd;
	static const char *const oids[] = { "aa", "bb", "cc" };
	struct mlp_version_new vn = { 0 };
	struct mlp_deployment after = { 0 };
	struct mlp_deploy_route r;
	struct mlp_server_beat b = { 0 };
	struct mlp_server *sv = NULL;
	struct mlp_server_view view;
	struct mlp_deploy_event *ev = NULL;
	struct mlp_deploy_wait w;
	struct mlp_db *db;
	struct mlp_err err;
	char state[512];
	int64_t v;
	size_t n = 0;

	if (!mkdtemp(dir))
		return;
	path = xasprintf("%s/mlp.db", dir);
	ok(mlp_db_open(&db, path, 1, &err) == 0, "open");
	vn.name = "fraud";
	vn.size = 10;
	vn.source = "model/";
	vn.user = "ann";
	for (size_t i = 0; i < 3; i++) {
		vn.oid = oids[i];
		mlp_registry_create_version(db, &vn, &v, &err);
	}
	ok(commit(db, MLP_DEPLOY_SET, 1, 0, &after, &err) == MLP_ELOCKED,
	    "a change needs the lock: %s", err.msg);
	ok(mlp_deploy_lock(db, "fraud", "ann", NULL, &err) == 0, "lock");
	ok(mlp_deploy_lock(db, "fraud", "ann", NULL, &err) == 0,
	    "a lock this process holds is kept");
	ok(commit(db, MLP_DEPLOY_SET, 1, 0, &after, &err) == 0 &&
	    after.generation == 1, "deploy 1: generation 1");
	mlp_deployment_release(&after);
	ok(commit(db, MLP_DEPLOY_SET, 2, 0, NULL, &err) == 0, "deploy 2");
	ok(commit(db, MLP_DEPLOY_CANARY, 3, 12.5, &after, &err) == 0 &&
	    after.generation == 3, "canary 3 at 12.5%%");
	mlp_deployment_release(&after);
	ok(routes_of(db, "local", &r) == 1 && r.generation == 3 &&
	    r.stable == 2 && strcmp(r.stable_oid, "bb") == 0 &&
	    r.canary == 3 && strcmp(r.canary_oid, "cc") == 0 &&
	    r.canary_pct == 12.5 && strcmp(r.model, "fraud") == 0,
	    "the routes a server reads: versions, objects, share");
	free(r.name);
	free(r.model);
	ok(routes_of(db, "kserve", &r) == 0, "none for another target");
	ok(routes_of(db, NULL, &r) == 1, "all targets with NULL");
	free(r.name);
	free(r.model);

	/* a heartbeat, as lib/serve records it */
	b.url = "http://127.0.0.1:8080";
	b.deployments = 1;
	b.state = "{}";
	ok(mlp_deploy_beat(db, &b, &err) == 0 && b.id > 0, "first beat");
	ok(mlp_deploy_servers(db, 1, &sv, &n, &err) == 0 && n == 1 &&
	    sv[0].pid == getpid(), "a live server: this process");
	mlp_servers_free(sv, n);
	ok(mlp_deploy_wait(db, "fraud", 3, 3, 300, NULL, NULL, &w, &err) ==
	    MLP_EFAIL && w.failed && strstr(w.why, "timed out"),
	    "--wait times out: %s", w.why);
	free(w.why);
	snprintf(state, sizeof(state), "{\"routes\": {\"fraud\": "
	    "{\"generation\": 3, \"stable\": 2, \"canary\": 3, \"canary_pct\": "
	    "12.5}}, \"loaded\": {\"fraud\": [2, 3]}, \"requests\": {\"fraud\": "
	    "{\"2\": 1200, \"3\": 130}}}");
	b.state = state;
	ok(mlp_deploy_beat(db, &b, &err) == 0, "beat again");
	ok(mlp_deploy_wait(db, "fraud", 3, 3, 5000, NULL, NULL, &w, &err) ==
	    0 && w.servers == 1, "--wait: the server routes generation 3");
	free(w.why);
	mlp_server_view_parse(state, "fraud", &view);
	ok(view.routed && view.generation == 3 && view.stable == 2 &&
	    view.canary == 3 && view.canary_pct == 12.5 && view.nloaded == 2 &&
	    view.nrequests == 2 && view.request_counts[0] +
	    view.request_counts[1] == 1330 && !view.failed,
	    "a state read back");
	mlp_server_view_release(&view);
	mlp_server_view_parse("not json", "fraud", &view);
	ok(!view.routed && !view.failed, "a state that is not JSON is empty");
	mlp_server_view_release(&view);
	b.state = "{\"routes\": {}, \"failed\": {\"fraud\": {\"version\": 3, "
	    "\"generation\": 3, \"error\": \"out of memory\"}}}";
	ok(mlp_deploy_beat(db, &b, &err) == 0, "a beat saying it failed");
	ok(mlp_deploy_wait(db, "fraud", 3, 3, 5000, NULL, NULL, &w, &err) ==
	    MLP_EFAIL && w.failed && strstr(w.why, "out of memory"),
	    "--wait sees the failure: %s", w.why);
	free(w.why);
	ok(mlp_deploy_beat_end(db, b.id, &err) == 0, "beat end");
	ok(mlp_deploy_wait(db, "fraud", 3, 3, 5000, NULL, NULL, &w, &err) ==
	    0 && w.servers == 0, "no server: nothing to wait for");
	free(w.why);

	ok(commit(db, MLP_DEPLOY_RM, 0, 0, NULL, &err) == 0, "rm");
	ok(routes_of(db, NULL, &r) == 0, "no routes after rm");
	ok(commit(db, MLP_DEPLOY_SET, 1, 0, &after, &err) == 0 &&
	    after.generation == 5, "made again, it goes on from generation 4");
	mlp_deployment_release(&after);
	ok(mlp_deploy_history(db, "fraud", &ev, &n, &err) == 0 && n == 5 &&
	    strcmp(ev[2].action, "canary") == 0 &&
	    strcmp(ev[3].action, "rm") == 0 && ev[3].stable == 0 &&
	    strcmp(ev[4].user, "ann") == 0, "the history, rm included");
	mlp_deploy_events_free(ev, n);
	ok(mlp_deploy_unlock(db, "fraud", &err) == 0, "unlock");
	ok(commit(db, MLP_DEPLOY_SET, 2, 0, NULL, &err) == MLP_ELOCKED,
	    "no change once released");
	mlp_db_close(db);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	free(path);
}

static void
test_kserve(void)
{
	struct mlp_deployment d = { 0 };
	struct mlp_buf y = MLP_BUF_INIT;
	struct mlp_err err;

	d.name = "fraud";
	d.model = "fraud";
	d.target = "kserve";
	d.stable = 2;
	d.canary = 3;
	d.canary_pct = 10;
	d.generation = 4;
	d.config = "{\"kserve_version\": \"0.11\", \"mode\": \"serverless\", "
	    "\"storage\": {\"2\": \"s3://m/2\", \"3\": \"s3://m/3\"}}";
	ok(mlp_deploy_kserve_render(&d, &y, &err) == 0 &&
	    strstr(y.s, "    canaryTrafficPercent: 10\n") &&
	    strstr(y.s, "storageUri: \"s3://m/3\"") &&
	    strstr(y.s, "deploymentMode: Serverless\n"),
	    "0.11 serverless: canaryTrafficPercent and the canary's files");
	mlp_buf_reset(&y);
	d.config = "{\"kserve_version\": \"0.11\", \"mode\": \"raw\", "
	    "\"storage\": {\"2\": \"s3://m/2\", \"3\": \"s3://m/3\"}}";
	ok(mlp_deploy_kserve_render(&d, &y, &err) == MLP_EUNSUPPORTED &&
	    strstr(err.msg, "kserve#5335"), "0.11 raw: a canary is refused: "
	    "%s", err.msg);
	mlp_buf_reset(&y);
	d.config = "{\"kserve_version\": \"0.20\", \"mode\": \"raw\", "
	    "\"storage\": {\"2\": \"s3://m/2\", \"3\": \"s3://m/3\"}}";
	ok(mlp_deploy_kserve_render(&d, &y, &err) == 0 &&
	    strstr(y.s, "  canary:\n  - predictor:\n      name: v3\n") &&
	    strstr(y.s, "    trafficPercent: 10\n") &&
	    strstr(y.s, "deploymentMode: Standard\n"),
	    "0.20 raw: spec.canary");
	mlp_buf_reset(&y);
	d.canary_pct = 12.5;
	ok(mlp_deploy_kserve_render(&d, &y, &err) == MLP_EUNSUPPORTED,
	    "a share that is not whole: %s", err.msg);
	mlp_buf_reset(&y);
	d.canary = 0;
	d.config = "{\"kserve_version\": \"0.16\", \"storage\": {}}";
	ok(mlp_deploy_kserve_render(&d, &y, &err) == MLP_EINVAL,
	    "no storage URI: %s", err.msg);
	mlp_buf_release(&y);
}

int
main(void)
{
	test_plan();
	test_db();
	test_kserve();
	return tap_done();
}
