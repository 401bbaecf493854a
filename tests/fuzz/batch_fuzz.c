/* libFuzzer target for the --batch reader (JSON lines and MLflow log-batch
 * bodies): every input is fed in two pieces into a real run and rolled
 * back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "track/track.h"

static struct mlp_db *db;
static char uuid[33];

static void
setup(void)
{
	char dir[] = "/tmp/mlp-batch-fuzz.XXXXXX", *path;
	struct mlp_run_start rs = { 0 };
	struct mlp_err err;

	if (!mkdtemp(dir))
		abort();
	path = xasprintf("%s/mlp.db", dir);
	if (mlp_db_open(&db, path, 1, &err) < 0)
		abort();
	rs.user = "fuzz";
	if (mlp_track_run_start(db, &rs, uuid, &err) < 0)
		abort();
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlp_batch_reader *br;
	struct mlp_logger *lg;
	struct mlp_err err;
	size_t half = size / 2;
	int rc;

	if (!db)
		setup();
	if (mlp_logger_begin(db, uuid, &lg, &err) < 0)
		abort();
	mlp_batch_new(&br, "fuzz");
	rc = mlp_batch_feed(br, lg, (const char *)data, half, 0, &err);
	if (rc == 0)
		rc = mlp_batch_feed(br, lg, (const char *)data + half,
		    size - half, 0, &err);
	if (rc == 0)
		rc = mlp_batch_feed(br, lg, "", 0, 1, &err);
	if (rc < 0 && (err.msg[0] == '\0' || strlen(err.msg) >= sizeof(err.msg)))
		abort();
	mlp_batch_free(br);
	mlp_logger_abort(lg);
	return 0;
}
