/* libFuzzer target for MLflow's JSON scoring input (mlp_json_frame): any
 * input is either refused with a message or gives a frame of the schema's
 * columns whose categorical codes are levels. fuzz: max_len=4096 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *levels[] = { "a", "b", "c" };
	static const struct mlp_column schema[] = {
		{ "x", MLP_COL_NUM, NULL, 0 },
		{ "c", MLP_COL_CAT, levels, 3 },
	};
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	char *text = malloc(size + 1);

	memcpy(text, data, size);
	text[size] = '\0';
	mlp_err_clear(&err);
	if (mlp_json_frame(text, size, "fuzz", schema, 2, &f, &err) < 0) {
		if (f || err.msg[0] == '\0')
			abort();
	} else {
		if (!f || f->ncols != 2 || strcmp(f->col[1].name, "c"))
			abort();
		for (size_t i = 0; i < f->nrows; i++) {
			float v = f->cols[1][i];

			if (!isnan(v) && (v < 0 || v > 2 || v != floorf(v)))
				abort();
		}
	}
	mlp_frame_free(f);
	free(text);
	return 0;
}
