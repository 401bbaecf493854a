/* Unit tests for MLflow's JSON scoring input (mlp_json_frame): the four
 * formats give the same frame, values convert as CSV's do, and bad input
 * is refused with a message naming where. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "tap.h"

static char lv_a[] = "a", lv_b[] = "b", lv_c[] = "c";
static char *levels[] = { lv_a, lv_b, lv_c };
static char name_x[] = "x", name_c[] = "c";
static const struct mlp_column schema[] = {
	{ name_x, MLP_COL_NUM, NULL, 0 },
	{ name_c, MLP_COL_CAT, levels, 3 },
};

/* The frame as text: "x,c;x,c;..." with NaN as "-". */
static char *
render(const struct mlp_frame *f)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (size_t i = 0; i < f->nrows; i++) {
		for (size_t j = 0; j < f->ncols; j++) {
			float v = f->cols[j][i];

			if (isnan(v))
				mlp_buf_addf(&b, "%s-", j ? "," : "");
			else
				mlp_buf_addf(&b, "%s%g", j ? "," : "", v);
		}
		mlp_buf_addc(&b, ';');
	}
	mlp_buf_addc(&b, '\0');
	return mlp_buf_detach(&b);
}

static void
good(const char *json, const char *want)
{
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	rc = mlp_json_frame(json, strlen(json), "in.json", schema, 2, &f, &err);
	is_int(rc, 0, "reads %s", json);
	if (rc < 0) {
		printf("#   %s\n", err.msg);
		return;
	}
	char *got = render(f);

	is_str(got, want, "rows of %s", json);
	is_str(f->col[1].name, "c", "the schema's columns, in order");
	ok(f->col[1].nlevels == 3, "with the levels");
	free(got);
	mlp_frame_free(f);
}

static void
bad(const char *json, const char *want)
{
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	char *one = xstrdup(json);	/* the input on one line, for TAP */
	int rc;

	for (char *p = one; *p; p++)
		if (*p == '\n')
			*p = ' ';
	mlp_err_clear(&err);
	rc = mlp_json_frame(json, strlen(json), "in.json", schema, 2, &f, &err);
	is_int(rc, MLP_EINVAL, "refuses %s", one);
	ok(f == NULL, "no frame for %s", one);
	is_str(err.msg, want, "message for %s", one);
	free(one);
}

int
main(void)
{
	const char *same = "1.5,1;-,-;3,0;";

	good("{\"dataframe_split\": {\"columns\": [\"c\", \"x\", \"y\"], "
	    "\"index\": [0, 1, 2], \"data\": [[\"b\", 1.5, 9], [null, null, 9], "
	    "[\"a\", 3, 9]]}}", same);
	good("{\"dataframe_split\": {\"data\": [[1.5, \"b\"], [null, \"z\"], "
	    "[3, \"a\"]]}}", same);
	good("{\"dataframe_records\": [{\"x\": 1.5, \"c\": \"b\"}, {}, "
	    "{\"c\": \"a\", \"x\": 3, \"other\": [1]}]}", same);
	good("{\"instances\": [{\"x\": 1.5, \"c\": \"b\"}, {\"x\": null}, "
	    "{\"x\": 3, \"c\": \"a\"}]}", same);
	good("{\"instances\": [[1.5, \"b\"], [null, null], [3, \"a\"]]}",
	    same);
	good("{\"inputs\": {\"x\": [1.5, null, 3], \"c\": [\"b\", \"q\", "
	    "\"a\"]}, \"params\": {\"k\": 1}}", same);
	good("{\"inputs\": [[1.5, \"b\"], [\"NaN\", \"\"], [\"3\", \"a\"]]}",
	    same);
	/* numbers as strings, booleans, a level given as a number */
	good("{\"instances\": [[\" 2.5 \", \"c\"], [true, 1], [false, "
	    "\"NA\"], [\"inf\", \"a\"]]}", "2.5,2;1,-;0,-;inf,0;");
	good("{\"dataframe_records\": []}", "");
	good("{\"inputs\": {\"x\": [], \"c\": []}}", "");

	bad("[1]", "'in.json': expected an object with one of "
	    "dataframe_split, dataframe_records, instances or inputs");
	bad("{\"columns\": [\"x\"], \"data\": [[1]]}", "'in.json': "
	    "{\"columns\", \"data\"} is MLflow 1.x's format: wrap it as "
	    "{\"dataframe_split\": {\"columns\": ..., \"data\": ...}}");
	bad("{\"rows\": []}", "'in.json': expected one of dataframe_split, "
	    "dataframe_records, instances or inputs");
	bad("{\"instances\": [], \"inputs\": []}", "'in.json': both instances "
	    "and inputs: give exactly one");
	bad("{\"dataframe_split\": {\"columns\": [\"x\"], \"data\": [[1]]}}",
	    "'in.json': dataframe_split.columns has no 'c'");
	bad("{\"dataframe_split\": {\"columns\": [\"x\", \"c\"], \"data\": "
	    "[[1, \"a\"], [2]]}}", "'in.json': dataframe_split.data[1]: "
	    "expected a list of 2 values");
	bad("{\"dataframe_split\": {\"columns\": [\"c\", \"x\"], \"data\": "
	    "[[\"a\", \"abc\"]]}}", "'in.json': dataframe_split.data[0][1] "
	    "('x'): \"abc\" is not a number");
	bad("{\"dataframe_split\": [1]}", "'in.json': dataframe_split must "
	    "be an object with \"columns\" and \"data\"");
	bad("{\"dataframe_records\": [[1, \"a\"]]}", "'in.json': "
	    "dataframe_records must be a list of objects");
	bad("{\"dataframe_records\": [{\"x\": 1}]}", "'in.json': "
	    "dataframe_records: no record has the column 'c'");
	bad("{\"instances\": [{\"x\": 1, \"c\": \"a\"}, [1, \"a\"]]}",
	    "'in.json': instances[1]: expected an object of column values");
	bad("{\"instances\": [1, 2]}", "'in.json': instances: expected rows "
	    "(lists or objects); single values fit a model of one column, "
	    "this one has 2");
	bad("{\"instances\": {\"x\": 1}}", "'in.json': instances must be a "
	    "list of rows");
	bad("{\"inputs\": {\"x\": [1, 2], \"c\": [\"a\"]}}", "'in.json': "
	    "inputs.c has 1 values, inputs.x 2");
	bad("{\"inputs\": {\"x\": [{\"y\": 1}], \"c\": [\"a\"]}}",
	    "'in.json': inputs.x[0] ('x'): {\"y\":1} is not a number");
	bad("{\"inputs\": {\"x\": [1], \"c\": [[\"a\"]]}}", "'in.json': "
	    "inputs.c[0] ('c'): [\"a\"] is not a value");
	bad("{\"inputs\": {\"x\": [1]}}", "'in.json': inputs has no column "
	    "'c'");
	bad("{\"instances\": [\n[1, \"a\"],\n[2, ]]}", "'in.json': invalid "
	    "JSON at line 3");
	return tap_done();
}
