/* Unit tests of the online store's backends: newer-only writes, reads of
 * many keys, URI errors, an unreachable Redis; the Redis backend against a
 * real redis-server on 127.0.0.1 when the machine has one. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "feature/feature.h"
#include "feature/online.h"
#include "tap.h"

static char tmpdir[] = "/tmp/mlp-online-test.XXXXXX";

static struct mlp_online_rec
rec(const char *view, const char *key, int64_t ev, int64_t cr,
    const char *value)
{
	struct mlp_online_rec r = { 0 };

	r.view = view;
	r.key.s = key;
	r.key.n = strlen(key);
	r.event_ts = ev;
	r.created_ts = cr;
	r.value = value;
	r.vlen = strlen(value);
	r.ttl = 3600 * MLP_US_PER_SEC;
	return r;
}

/* The same checks for any backend. */
static void
exercise(const char *uri)
{
	struct mlp_online *o = NULL;
	struct mlp_online_rec recs[4], got[4];
	struct mlp_online_key keys[4];
	struct mlp_err err;
	size_t w = 0;
	char big[3000];

	if (mlp_online_open(&o, uri, tmpdir, &err) < 0) {
		ok(0, "%s: open: %s", uri, err.msg);
		return;
	}
	recs[0] = rec("trips", "1001", 100, MLP_TS_NONE, "a");
	recs[1] = rec("trips", "1002", 100, 5, "b");
	recs[2] = rec("profile", "1001", 50, MLP_TS_NONE, "");
	recs[3] = rec("trips", "10\0003", 7, 7, "nul key");
	recs[3].key.n = 5;
	ok(mlp_online_put(o, recs, 4, &w, &err) == 0 && w == 4,
	    "%s: four records written (%zu)", uri, w);
	/* older, equal, tie broken by created time, newer */
	recs[0] = rec("trips", "1001", 99, MLP_TS_NONE, "older");
	recs[1] = rec("trips", "1002", 100, 5, "same");
	recs[2] = rec("trips", "1002", 100, 6, "created later");
	ok(mlp_online_put(o, recs, 3, &w, &err) == 0 && w == 1,
	    "%s: only the newer of three is written (%zu)", uri, w);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	recs[0] = rec("trips", "1001", 101, MLP_TS_NONE, big);
	ok(mlp_online_put(o, recs, 1, &w, &err) == 0 && w == 1,
	    "%s: a newer event time wins", uri);
	keys[0] = (struct mlp_online_key){ "1001", 4 };
	keys[1] = (struct mlp_online_key){ "1002", 4 };
	keys[2] = (struct mlp_online_key){ "nope", 4 };
	keys[3] = (struct mlp_online_key){ "10\0003", 5 };
	ok(mlp_online_get(o, "trips", keys, 4, got, &err) == 0, "%s: get",
	    uri);
	ok(got[0].value && got[0].vlen == strlen(big) &&
	    memcmp(got[0].value, big, got[0].vlen) == 0 &&
	    got[0].event_ts == 101 && got[0].created_ts == MLP_TS_NONE,
	    "%s: 1001's latest value and times", uri);
	ok(got[1].value && got[1].vlen == 13 &&
	    memcmp(got[1].value, "created later", 13) == 0 &&
	    got[1].created_ts == 6, "%s: 1002's tie went to the later "
	    "created time", uri);
	ok(got[2].value == NULL, "%s: a missing key is not found", uri);
	ok(got[3].value && got[3].vlen == 7, "%s: keys may hold NULs", uri);
	ok(mlp_online_get(o, "profile", keys, 2, got, &err) == 0 &&
	    got[0].value && got[0].vlen == 0 && got[1].value == NULL,
	    "%s: an empty value is found; views are apart", uri);
	mlp_online_close(o);
}

static pid_t
start_redis(int port)
{
	char ports[16];
	pid_t pid;

	if (access("/usr/bin/redis-server", X_OK) != 0)
		return -1;
	snprintf(ports, sizeof(ports), "%d", port);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", 1);

		dup2(fd, 1);
		dup2(fd, 2);
		execl("/usr/bin/redis-server", "redis-server", "--port", ports,
		    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		    "--dir", tmpdir, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int
main(void)
{
	struct mlp_online *o = NULL;
	struct mlp_err err;
	char uri[256], *cmd;
	int port = 20000 + (int)(getpid() % 20000);
	pid_t redis;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	exercise("sqlite:");
	snprintf(uri, sizeof(uri), "sqlite:%s/other.db", tmpdir);
	exercise(uri);
	ok(mlp_online_open(&o, "dynamodb://x", tmpdir, &err) == MLP_EINVAL &&
	    strstr(err.msg, "unknown scheme (known: sqlite, redis)"),
	    "an unknown scheme: %s", err.msg);
	ok(mlp_online_open(&o, "redis://host:99999", tmpdir, &err) ==
	    MLP_EINVAL && strstr(err.msg, "expected redis://"),
	    "a bad port: %s", err.msg);
	ok(mlp_online_open(&o, "redis:host", tmpdir, &err) == MLP_EINVAL,
	    "no //: %s", err.msg);
	ok(mlp_online_open(&o, "sqlite:", NULL, &err) == MLP_EINVAL,
	    "sqlite: outside a repository: %s", err.msg);
	/* a port nothing listens on: the port of a server just stopped */
	redis = start_redis(port);
	snprintf(uri, sizeof(uri), "redis://127.0.0.1:%d/2", port);
	if (redis < 0) {
		printf("ok %d # skip no redis-server\n", ++tap_n);
	} else {
		for (int i = 0; i < 100; i++) {
			if (mlp_online_open(&o, uri, tmpdir, &err) == 0)
				break;
			usleep(50000);
		}
		mlp_online_close(o);
		exercise(uri);
		kill(redis, SIGTERM);
		waitpid(redis, NULL, 0);
	}
	ok(mlp_online_open(&o, uri, tmpdir, &err) == MLP_EFAIL &&
	    strstr(err.msg, "cannot connect to Redis at 127.0.0.1:") &&
	    strstr(err.msg, "refused"), "Redis unreachable: %s", err.msg);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
	return tap_done();
}
