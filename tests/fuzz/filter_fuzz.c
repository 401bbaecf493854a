/* libFuzzer target for the run search language: parses any input as a
 * filter and as a field name, and compiles what parses to SQL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "track/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlp_filter *f = NULL;
	struct mlp_field field;
	struct mlp_buf sql = MLP_BUF_INIT;
	struct mlp_sqlargs args = MLP_SQLARGS_INIT;
	struct mlp_err err;
	char *s = xmalloc(size + 1);
	size_t n = 0;

	memcpy(s, data, size);
	s[size] = '\0';
	if (mlp_filter_parse(s, &f, &err) == 0) {
		mlp_filter_sql(f, &sql, &args, &err);
		/* every placeholder has its value */
		for (const char *p = mlp_buf_str(&sql); *p; p++)
			n += *p == '?';
		if (n != args.n)
			abort();
	} else if (err.code != MLP_ESYNTAX || err.pos < 0 ||
	    (size_t)err.pos > strlen(s) + 1) {
		abort();
	}
	mlp_filter_free(f);
	mlp_buf_release(&sql);
	mlp_sqlargs_release(&args);

	if (mlp_field_parse(s, &field, &err) == 0) {
		mlp_field_sql(&field, &sql, &args);
		mlp_field_release(&field);
	} else if (err.code != MLP_ESYNTAX || field.key != NULL) {
		abort();
	}
	mlp_buf_release(&sql);
	mlp_sqlargs_release(&args);
	free(s);
	return 0;
}
