/* libFuzzer target for YAML input: every input is parsed by the guarded
 * loader (lib/data/yaml.c: size and nesting limits, repeated keys), read as
 * a training spec, and the spec read back from the JSON it writes. Each
 * either fails with a message or succeeds; a spec that loads survives its
 * JSON round trip, its paths made absolute (fuzz: max_len=4096). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "data/data.h"
#include "train/runner.h"

static char *dir, *in_path, *out_path;

static void
cleanup(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

static void
setup(void)
{
	char tmpl[] = "/tmp/mlp-spec-fuzz.XXXXXX";

	if (access("/dev/shm", W_OK) == 0)
		memcpy(tmpl, "/dev/shm", 8);
	if (!mkdtemp(tmpl))
		abort();
	dir = xstrdup(tmpl);
	in_path = xasprintf("%s/spec.yaml", dir);
	out_path = xasprintf("%s/spec.json", dir);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlp_train_spec s, back;
	yaml_document_t doc;
	struct mlp_err err;
	FILE *fp;
	int rc;

	if (!dir)
		setup();
	mlp_err_clear(&err);
	rc = mlp_yaml_parse("in.yaml", (const char *)data, size, &doc, &err);
	if (rc == 0)
		yaml_document_delete(&doc);
	else if (err.msg[0] == '\0')
		abort();

	if (!(fp = fopen(in_path, "w")) || fwrite(data, 1, size, fp) != size ||
	    fclose(fp) != 0)
		abort();
	mlp_train_spec_init(&s);
	mlp_err_clear(&err);
	rc = mlp_train_spec_load(&s, in_path, &err);
	if (rc < 0 && err.msg[0] == '\0')
		abort();
	if (rc == 0) {
		if (mlp_train_spec_write_json(&s, out_path, &err) < 0)
			abort();
		mlp_train_spec_init(&back);
		if (mlp_train_spec_read_json(&back, out_path, &err) < 0)
			abort();
		/* the fields a run is resumed with come back as written
		 * (paths come back absolute, so only that they do) */
		if (s.params.n != back.params.n || !s.data != !back.data ||
		    (s.target && (!back.target ||
		    strcmp(s.target, back.target))))
			abort();
		mlp_train_spec_release(&back);
	}
	mlp_train_spec_release(&s);
	return 0;
}
