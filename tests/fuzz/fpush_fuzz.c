/* libFuzzer target for what the online feature store reads from outside:
 * an input starting with a 0 byte is the rest taken as an online record
 * (lib/feature/online-rec.c: every length checked), anything else as
 * JSON lines pushed into a view (mlp_fpush_line: types, keys, times).
 * Each line or record is taken or refused with a message; nothing is
 * written anywhere (fuzz: max_len=4096). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feature/fonline.h"

static const char yaml[] =
    "entities:\n"
    "  - {name: pair, join_keys: [city, driver_id], types: [string, int]}\n"
    "sources:\n"
    "  - {name: ev, path: ev.jsonl, timestamp: ts, created_timestamp: cts,"
    " timestamp_format: epoch_ms}\n"
    "feature_views:\n"
    "  - name: v\n"
    "    entity: pair\n"
    "    source: ev\n"
    "    ttl: 1d\n"
    "    features: [{name: x, type: float}, {name: n, type: int},\n"
    "               {name: s, type: string}, {name: b, type: bool}]\n"
    "    aggregations: [{column: x, op: sum, windows: [1h, 1d]},\n"
    "                   {column: y, op: stddev, windows: [1h]}]\n"
    "    derived: [{name: z, expr: \"coalesce(x, 0) + n\"}]\n";

static struct mlp_fspec *spec;
static struct frec_schema sc;

static void
setup(void)
{
	char tmpl[] = "/tmp/mlp-fpush-fuzz.XXXXXX";
	const char *paths[1];
	struct mlp_err err;
	char *p;
	FILE *f;

	if (access("/dev/shm", W_OK) == 0)
		memcpy(tmpl, "/dev/shm", 8);
	if (!mkdtemp(tmpl))
		abort();
	p = xasprintf("%s/features.yaml", tmpl);
	if (!(f = fopen(p, "w")) || fwrite(yaml, 1, sizeof(yaml) - 1, f) !=
	    sizeof(yaml) - 1 || fclose(f) != 0)
		abort();
	paths[0] = p;
	if (mlp_fspec_load(paths, 1, tmpl, &spec, &err) < 0 ||
	    frec_schema_init(&sc, mlp_fspec_view(spec, "v"), &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		abort();
	}
	unlink(p);
	rmdir(tmpl);
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlp_fpusher *p = NULL;
	struct mlp_err err;
	const char *s = (const char *)data;

	if (!spec)
		setup();
	mlp_err_clear(&err);
	if (size && data[0] == 0) {
		struct frec r;

		frec_init(&r);
		if (frec_decode(&sc, data + 1, size - 1, &r, &err) < 0 &&
		    err.msg[0] == '\0')
			abort();
		frec_release(&r);
		return 0;
	}
	if (mlp_fpush_new(spec, "v", MLP_FPUSH_ONLINE | MLP_FPUSH_OFFLINE, &p,
	    &err) < 0)
		abort();
	for (size_t at = 0, line = 1; at < size; line++) {
		const char *nl = memchr(s + at, '\n', size - at);
		size_t n = nl ? (size_t)(nl - (s + at)) : size - at;

		mlp_err_clear(&err);
		if (mlp_fpush_line(p, s + at, n, "in", line, &err) < 0 &&
		    err.msg[0] == '\0')
			abort();
		at += n + 1;
	}
	mlp_fpush_free(p);
	return 0;
}
