/* libFuzzer target for the --batch reader (JSON lines and MLflow log-batch
 * bodies): every input is fed in two pieces into a real run and rolled
 * back; whatever it wrote must be valid UTF-8 (the rule for stored
 * text), which is checked before the rollback. */
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

/* Aborts when a key or value the batch wrote is not valid UTF-8. */
static void
check_stored(void)
{
	static const char *const sql[] = {
		"SELECT key || value FROM param",
		"SELECT key || value FROM tag",
		"SELECT name FROM metric_key",
	};

	for (size_t i = 0; i < sizeof(sql) / sizeof(*sql); i++) {
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(db->h, sql[i], -1, &st, NULL) != SQLITE_OK)
			abort();
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(st, 0);
			int n = sqlite3_column_bytes(st, 0);

			if (t && mlp_utf8_invalid(t, (size_t)n) >= 0)
				abort();
		}
		sqlite3_finalize(st);
	}
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
	check_stored();
	mlp_batch_free(br);
	mlp_logger_abort(lg);
	return 0;
}
