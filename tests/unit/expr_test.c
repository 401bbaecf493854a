/* Unit tests for the feature expression language (lib/feature/expr.c):
 * every operator and function, nulls, types, errors with their columns,
 * limits, and the canonical text. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "feature/feature.h"

static const struct mlp_expr_var vars[] = {
	{ "rating", 0, MLP_FT_FLOAT },
	{ "trips", 1, MLP_FT_INT },
	{ "city", 2, MLP_FT_STRING },
	{ "active", 3, MLP_FT_BOOL },
	{ "avg fare", 4, MLP_FT_FLOAT },
	{ "n", 5, MLP_FT_INT },
	{ "x", 6, MLP_FT_FLOAT },
	{ "name", 7, MLP_FT_STRING },
	{ "and", 8, MLP_FT_INT },
	{ "Fare_Total", 9, MLP_FT_FLOAT },
};
static const struct mlp_expr_env env = { vars, sizeof(vars) / sizeof(vars[0]) };
#define NSLOTS 10

static struct mlp_fval row[NSLOTS], nulls[NSLOTS];

static void
set_row(void)
{
	for (int i = 0; i < NSLOTS; i++) {
		row[i].type = vars[i].type;
		row[i].null = 0;
		nulls[i].type = vars[i].type;
		nulls[i].null = 1;
	}
	row[0].v.f = 4.5;
	row[1].v.i = 10;
	row[2].v.str.s = "Paris";
	row[2].v.str.n = 5;
	row[3].v.b = 1;
	row[4].v.f = 12.25;
	row[5].v.i = -3;
	row[6].v.f = 0;
	row[7].v.str.s = "";
	row[7].v.str.n = 0;
	row[8].v.i = 7;
	row[9].v.f = 100;
}

/* The value as "TYPE:VALUE" or "TYPE:null"; floats with 17 digits. */
static const char *
show(const struct mlp_fval *v)
{
	static char bufs[4][256];
	static int k;
	char *b = bufs[k++ % 4];
	const char *t = mlp_ftype_name(v->type);

	if (v->null)
		snprintf(b, 256, "%s:null", t);
	else if (v->type == MLP_FT_FLOAT)
		snprintf(b, 256, "float:%.17g", v->v.f);
	else if (v->type == MLP_FT_INT)
		snprintf(b, 256, "int:%lld", (long long)v->v.i);
	else if (v->type == MLP_FT_BOOL)
		snprintf(b, 256, "bool:%s", v->v.b ? "true" : "false");
	else
		snprintf(b, 256, "string:%.*s", (int)v->v.str.n, v->v.str.s);
	return b;
}

/* Compiles and evaluates text over slots; the error message on failure. */
static const char *
ev_on(const char *text, const struct mlp_fval *slots)
{
	static char msg[600];
	struct mlp_expr *e = NULL;
	struct mlp_err err;
	struct mlp_fval out;
	const char *r;

	if (mlp_expr_compile(text, &env, &e, &err) < 0) {
		snprintf(msg, sizeof(msg), "error: %s", err.msg);
		return msg;
	}
	if (mlp_expr_eval(e, slots, &out) < 0) {
		mlp_expr_free(e);
		return "eval failed";
	}
	if (out.type != mlp_expr_type(e)) {
		mlp_expr_free(e);
		return "type differs from mlp_expr_type";
	}
	r = show(&out);
	mlp_expr_free(e);
	return r;
}

/* text for a test's description: one line, at most 60 bytes. */
static const char *
line(const char *s)
{
	static char bufs[4][64];
	static int k;
	char *b = bufs[k++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s", s);
	for (char *p = b; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '.';
	return b;
}

#define EV(text, want) is_str(ev_on(text, row), want, "%s", line(text))
#define EVN(text, want) is_str(ev_on(text, nulls), want, "%s (nulls)", \
	line(text))

/* The error compiling text: "POS: MESSAGE", or "ok". */
static const char *
err_of(const char *text)
{
	static char msg[700];
	struct mlp_expr *e = NULL;
	struct mlp_err err;
	int rc = mlp_expr_compile(text, &env, &e, &err);

	if (rc == 0) {
		mlp_expr_free(e);
		return "ok";
	}
	if (rc != MLP_ESYNTAX)
		snprintf(msg, sizeof(msg), "rc %d: %s", rc, err.msg);
	else
		snprintf(msg, sizeof(msg), "%d: %s", err.pos, err.msg);
	return msg;
}

#define ERR(text, want) is_str(err_of(text), want, "error: %s", line(text))

/* The canonical text of text, or the error. */
static const char *
canon(const char *text)
{
	static char out[4096];
	struct mlp_expr *e = NULL, *e2 = NULL;
	struct mlp_err err;

	if (mlp_expr_compile(text, &env, &e, &err) < 0) {
		snprintf(out, sizeof(out), "error: %s", err.msg);
		return out;
	}
	snprintf(out, sizeof(out), "%s", mlp_expr_text(e));
	/* the canonical text compiles and prints as itself */
	if (mlp_expr_compile(out, &env, &e2, &err) < 0 ||
	    strcmp(mlp_expr_text(e2), out) != 0)
		snprintf(out, sizeof(out), "not stable: %s", mlp_expr_text(e));
	mlp_expr_free(e);
	mlp_expr_free(e2);
	return out;
}

#define CANON(text, want) is_str(canon(text), want, "canonical: %s", \
	line(text))

static void
test_literals(void)
{
	EV("12", "int:12");
	EV("0", "int:0");
	EV("1.5", "float:1.5");
	EV(".5", "float:0.5");
	EV("5.", "float:5");
	EV("1e3", "float:1000");
	EV("2.5E-3", "float:0.0025000000000000001");
	EV("'it''s'", "string:it's");
	EV("\"say \"\"hi\"\"\"", "string:say \"hi\"");
	EV("''", "string:");
	EV("'é ü'", "string:é ü");
	EV("true", "bool:true");
	EV("FALSE", "bool:false");
	EV("True", "bool:true");
	EV("null", "float:null");
	EV("NULL", "float:null");
	EV("9223372036854775807", "int:9223372036854775807");
	EV("9223372036854775808", "float:9.2233720368547758e+18");
	EV("-9223372036854775807 - 1", "int:-9223372036854775808");
	EV("1e-400", "float:0");
	ERR("1e400", "0: column 1: number '1e400' is out of range");
	ERR("12abc", "0: column 1: invalid number '12abc'");
	ERR("1.2.3", "0: column 1: invalid number '1.2.3'");
	ERR("1e", "0: column 1: invalid number '1e'");
}

static void
test_arithmetic(void)
{
	EV("trips + 2", "int:12");
	EV("trips - 12", "int:-2");
	EV("trips * n", "int:-30");
	EV("trips % 4", "int:2");
	EV("n % 2", "int:-1");		/* the sign of the dividend, as C, SQL */
	EV("trips / 4", "float:2.5");	/* / always gives a float */
	EV("trips / 5", "float:2");
	EV("rating * 2", "float:9");
	EV("rating + trips", "float:14.5");
	EV("trips - rating", "float:5.5");
	EV("rating % 2", "float:0.5");
	EV("-rating % 2", "float:-0.5");
	EV("rating / 2", "float:2.25");
	EV("1 + 2 * 3", "int:7");
	EV("(1 + 2) * 3", "int:9");
	EV("10 - 4 - 3", "int:3");
	EV("10 - (4 - 3)", "int:9");
	EV("2 * 3 % 4", "int:2");
	EV("-trips", "int:-10");
	EV("- -trips", "int:10");
	EV("+trips", "int:10");
	EV("-(-(rating))", "float:4.5");
	EV("`avg fare` * 2", "float:24.5");
	EV("`and` + 1", "int:8");
	EV("Fare_Total / 4", "float:25");
	/* an int operand made a float, before or after a constant */
	EV("trips * 2.5", "float:25");
	EV("2.5 * trips", "float:25");
	EV("trips - 0.5", "float:9.5");
	EV("0.5 - trips", "float:-9.5");
	EV("trips / 2", "float:5");
	EV("2 / trips", "float:0.20000000000000001");
	EV("trips + rating * 2", "float:19");
	EV("if(active, trips, 2.5)", "float:10");
	EV("if(not active, trips, 2.5)", "float:2.5");
	EV("if(active, 2.5, trips)", "float:2.5");
	EV("coalesce(trips, 2.5)", "float:10");
	EVN("coalesce(trips, 2.5)", "float:2.5");
	EV("min(trips, 2.5)", "float:2.5");
	EV("max(trips, 2.5)", "float:10");
	EV("min(2.5, trips)", "float:2.5");
	/* division by zero is null, for ints and floats */
	EV("trips / 0", "float:null");
	EV("trips % 0", "int:null");
	EV("rating / 0.0", "float:null");
	EV("rating / x", "float:null");
	EV("rating % x", "float:null");
	EV("rating % 0", "float:null");
	EV("0 / 0", "float:null");
	/* int overflow is null, never a wrap */
	EV("9223372036854775807 + 1", "int:null");
	EV("-9223372036854775807 - 2", "int:null");
	EV("trips * 9223372036854775807", "int:null");
	EV("n * 3074457345618258602", "int:-9223372036854775806");
	EV("n * 3074457345618258603", "int:null");
	EV("-(-9223372036854775807 - 1)", "int:null");
	EV("(-9223372036854775807 - 1) % -1", "int:0");
	EV("(-9223372036854775807 - 1) / -1", "float:9.2233720368547758e+18");
	/* no NaN or infinity leaves the evaluator */
	EV("1e308 * 10", "float:null");
	EV("-1e308 * 10", "float:null");
	EV("1e308 + 1e308", "float:null");
	EV("1e308 / 1e-308", "float:null");
	EV("1e-320 / 1e10", "float:0");
	EV("rating * 1e308", "float:null");
}

static void
test_comparisons(void)
{
	EV("rating > 4", "bool:true");
	EV("rating >= 4.5", "bool:true");
	EV("rating < 4.5", "bool:false");
	EV("rating <= 4", "bool:false");
	EV("rating = 4.5", "bool:true");
	EV("rating == 4.5", "bool:true");
	EV("rating != 4.5", "bool:false");
	EV("rating <> 4", "bool:true");
	EV("trips = 10.0", "bool:true");
	EV("trips < 10.5", "bool:true");
	EV("10.5 > trips", "bool:true");
	EV("-0.0 = 0", "bool:true");
	/* int against float exactly: 2^53 + 1 is no double */
	EV("9007199254740993 > 9007199254740992.0", "bool:true");
	EV("9007199254740992.0 < 9007199254740993", "bool:true");
	EV("9007199254740993 = 9007199254740992.0", "bool:false");
	EV("9223372036854775807 < 9223372036854775808.0", "bool:true");
	EV("-9223372036854775807 - 1 = -9223372036854775808.0", "bool:true");
	EV("-9223372036854775807 - 1 > -1e19", "bool:true");
	EV("3 < 3.5 and -3 > -3.5 and -3 < -2.5", "bool:true");
	/* strings bytewise, bools false < true */
	EV("city = 'Paris'", "bool:true");
	EV("city < 'paris'", "bool:true");
	EV("'abc' < 'abd'", "bool:true");
	EV("'ab' > 'a'", "bool:true");
	EV("'' < 'a'", "bool:true");
	EV("name = ''", "bool:true");
	EV("'é' > 'z'", "bool:true");
	EV("false < true", "bool:true");
	EV("active = true", "bool:true");
	EV("active != false", "bool:true");
	EV("(1 < 2) = true", "bool:true");
	ERR("city = 1", "5: column 6: cannot compare string and int");
	ERR("rating > city", "7: column 8: cannot compare float and string");
	ERR("active > 0", "7: column 8: cannot compare bool and int");
	ERR("1 < 2 < 3", "6: column 7: comparisons do not chain (write "
	    "'a < b and b < c')");
	ERR("1 = 2 != true", "6: column 7: comparisons do not chain (write "
	    "'a < b and b < c')");
}

static void
test_logic(void)
{
	EV("true and true", "bool:true");
	EV("true and false", "bool:false");
	EV("false or true", "bool:true");
	EV("false or false", "bool:false");
	EV("not true", "bool:false");
	EV("not not true", "bool:true");
	EV("NOT active", "bool:false");
	EV("active AND rating > 4", "bool:true");
	/* three-valued, as SQL */
	EV("true and null", "bool:null");
	EV("null and true", "bool:null");
	EV("false and null", "bool:false");
	EV("null and false", "bool:false");
	EV("true or null", "bool:true");
	EV("null or true", "bool:true");
	EV("false or null", "bool:null");
	EV("null or null", "bool:null");
	EV("not null", "bool:null");
	EVN("active and false", "bool:false");
	EVN("active or true", "bool:true");
	EVN("active and true", "bool:null");
	EVN("not active", "bool:null");
	EVN("rating > 1 or true", "bool:true");
	/* or is looser than and; not looser than a comparison */
	EV("true or true and false", "bool:true");
	EV("(true or true) and false", "bool:false");
	EV("not rating > 5", "bool:true");
	EV("not 1 = 2 and false", "bool:false");
	EV("active = (not active)", "bool:false");
	ERR("active = not active", "9: column 10: 'not' needs parentheses "
	    "here: (not ...)");
	ERR("trips and true", "0: column 1: 'and' needs a bool, found int");
	ERR("true or city", "8: column 9: 'or' needs a bool, found string");
	ERR("not rating", "4: column 5: 'not' needs a bool, found float");
	ERR("active && true", "7: column 8: unexpected '&' (write 'and')");
	ERR("active || true", "7: column 8: unexpected '|' (write 'or')");
	ERR("!active", "0: column 1: unexpected '!' (write 'not')");
}

static void
test_nulls(void)
{
	EVN("rating", "float:null");
	EVN("rating * 2", "float:null");
	EVN("trips + 1", "int:null");
	EVN("city", "string:null");
	EVN("rating = 1", "bool:null");
	EVN("city = 'x'", "bool:null");
	EVN("-rating", "float:null");
	EVN("trips / 2", "float:null");
	EV("rating + null", "float:null");
	EV("trips + null", "int:null");
	EV("null * 2", "int:null");
	EV("null / 2", "float:null");
	EV("null = null", "bool:null");
	EV("rating = null", "bool:null");
	EV("city != null", "bool:null");
	EV("-null", "float:null");
	EV("null + null", "float:null");
	EV("if(active, null, null)", "float:null");
	EV("if(active, null, 1)", "int:null");
	EV("if(active, null, 'a')", "string:null");
	/* a float holding NaN or an infinity is null */
	{
		struct mlp_fval r[NSLOTS];

		memcpy(r, row, sizeof(r));
		r[0].v.f = NAN;
		is_str(ev_on("rating", r), "float:null", "NaN slot is null");
		is_str(ev_on("is_null(rating)", r), "bool:true",
		    "NaN slot is_null");
		r[0].v.f = INFINITY;
		is_str(ev_on("rating * 0", r), "float:null", "inf slot is null");
		r[0].v.f = -INFINITY;
		is_str(ev_on("coalesce(rating, 1.5)", r), "float:1.5",
		    "-inf slot is null");
	}
}

static void
test_functions(void)
{
	EV("log(1)", "float:0");
	EV("log(rating) = log(4.5)", "bool:true");
	EV("exp(0)", "float:1");
	EV("exp(log(4.0))", "float:4");
	EV("log1p(0)", "float:0");
	EV("log1p(-0.5) < 0", "bool:true");
	EV("sqrt(16)", "float:4");
	EV("sqrt(0)", "float:0");
	/* outside their domain: null, as SQLite */
	EV("log(0)", "float:null");
	EV("log(-1)", "float:null");
	EV("log(x)", "float:null");
	EV("log1p(-1)", "float:null");
	EV("log1p(-2)", "float:null");
	EV("sqrt(-1)", "float:null");
	EV("exp(1000)", "float:null");
	EV("exp(-1000)", "float:0");
	EV("exp(709) > 0", "bool:true");
	EVN("log(rating)", "float:null");
	EVN("exp(trips)", "float:null");
	/* abs keeps int for int */
	EV("abs(n)", "int:3");
	EV("abs(-2.5)", "float:2.5");
	EV("abs(trips)", "int:10");
	EV("abs(-9223372036854775807 - 1)", "int:null");
	EV("abs(null)", "float:null");
	EVN("abs(n)", "int:null");
	/* min and max: null when any argument is */
	EV("min(3, 1, 2)", "int:1");
	EV("max(3, 1, 2)", "int:3");
	EV("max(1, 2.5)", "float:2.5");
	EV("min(trips, rating)", "float:4.5");
	EV("max(trips, rating, 11)", "float:11");
	EV("min('b', 'a', 'c')", "string:a");
	EV("max(city, 'Berlin')", "string:Paris");
	EV("max(false, true)", "bool:true");
	EV("min(false, true)", "bool:false");
	EV("min(rating, null)", "float:null");
	EV("max(null, 1, 2)", "int:null");
	EVN("max(rating, 1)", "float:null");
	ERR("min(1, 'a')", "7: column 8: 'min' cannot mix int and string");
	ERR("max(active, 1)", "12: column 13: 'max' cannot mix bool and int");
	/* clip = min(max(x, lo), hi) */
	EV("clip(15, 0, 10)", "int:10");
	EV("clip(-1, 0, 10)", "int:0");
	EV("clip(5, 0, 10)", "int:5");
	EV("clip(5, 10, 0)", "int:0");	/* lo > hi gives hi, as numpy */
	EV("clip(rating, 0, 1)", "float:1");
	EV("clip(trips, 0, 2.5)", "float:2.5");
	EV("clip(trips, 0.5, 20)", "float:10");
	EVN("clip(rating, 0, 1)", "float:null");
	EV("clip(rating, null, 1)", "float:null");
	ERR("clip(city, 0, 1)", "5: column 6: 'clip' needs a number, found "
	    "string");
	ERR("clip(1, 0, 'a')", "11: column 12: 'clip' needs a number, found "
	    "string");
	/* coalesce: the first non-null */
	EV("coalesce(rating, 0)", "float:4.5");
	EVN("coalesce(rating, 0)", "float:0");
	EVN("coalesce(trips, n, 7)", "int:7");
	EV("coalesce(null, null, 3)", "int:3");
	EV("coalesce(null, null)", "float:null");
	EVN("coalesce(city, 'unknown')", "string:unknown");
	EV("coalesce(city, 'unknown')", "string:Paris");
	ERR("coalesce(city, 1)", "15: column 16: 'coalesce' cannot mix string "
	    "and int");
	/* if: a null condition takes the else branch, as SQL's CASE */
	EV("if(active, 1, 2)", "int:1");
	EV("if(not active, 1, 2)", "int:2");
	EV("if(null, 1, 2)", "int:2");
	EVN("if(active, 1, 2)", "int:2");
	EVN("if(rating > 4, 'good', 'bad')", "string:bad");
	EV("if(rating > 4, 'good', 'bad')", "string:good");
	EV("if(active, 1, 2.5)", "float:1");
	EV("if(false, trips, rating)", "float:4.5");
	EV("if(active, trips, rating)", "float:10");
	ERR("if(trips, 1, 2)", "3: column 4: the condition of 'if' needs a "
	    "bool, found int");
	ERR("if(active, 1, 'a')", "14: column 15: 'if' cannot mix int and "
	    "string");
	/* is_null is never null */
	EV("is_null(rating)", "bool:false");
	EVN("is_null(rating)", "bool:true");
	EVN("is_null(city)", "bool:true");
	EV("is_null(null)", "bool:true");
	EV("is_null(1 / 0)", "bool:true");
	EV("IS_NULL(name)", "bool:false");
	/* function names are case-insensitive */
	EV("LOG(1) + Sqrt(4)", "float:2");
}

static void
test_bucket(void)
{
	static const struct {
		double x;
		const char *want;
	} cases[] = {
		{ -1, "int:0" }, { 0, "int:1" }, { 5, "int:1" },
		{ 9.999, "int:1" }, { 10, "int:2" }, { 19.5, "int:2" },
		{ 20, "int:3" }, { 1e9, "int:3" }, { -0.0, "int:1" },
	};
	struct mlp_fval r[NSLOTS];

	memcpy(r, row, sizeof(r));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r[6].v.f = cases[i].x;
		is_str(ev_on("bucket(x, 0, 10, 20)", r), cases[i].want,
		    "bucket(%g, 0, 10, 20)", cases[i].x);
	}
	/* an int x against float edges and the other way round, exactly */
	EV("bucket(trips, 9.5, 10, 10.5)", "int:2");
	EV("bucket(trips, 10.0)", "int:1");
	EV("bucket(trips, 10.000001)", "int:0");
	EV("bucket(rating, 4, 5)", "int:1");
	EV("bucket(9007199254740993, 9007199254740992.0)", "int:1");
	EV("bucket(9007199254740992.0, 9007199254740993)", "int:0");
	EV("bucket(n, -10, -3, 0)", "int:2");
	EV("bucket(n, -1e3, -2.5)", "int:1");
	EV("bucket(n, 2 * 2)", "int:0");
	EV("bucket(null, 1)", "int:null");
	EVN("bucket(rating, 1, 2)", "int:null");
	EVN("bucket(trips, 1)", "int:null");
	ERR("bucket(rating, 1, trips)", "18: column 19: the edges of 'bucket' "
	    "must be constant numbers");
	ERR("bucket(rating, 1, 'a')", "18: column 19: the edges of 'bucket' "
	    "must be constant numbers");
	ERR("bucket(rating, 1, null)", "18: column 19: the edges of 'bucket' "
	    "must be constant numbers");
	ERR("bucket(rating, 2, 1)", "18: column 19: the edges of 'bucket' "
	    "must be ascending");
	ERR("bucket(rating, 1, 1.0)", "18: column 19: the edges of 'bucket' "
	    "must be ascending");
	ERR("bucket(city, 1)", "7: column 8: 'bucket' needs a number, found "
	    "string");
	ERR("bucket(rating)", "0: column 1: 'bucket' needs at least 2 "
	    "arguments, found 1");
}

static void
test_types(void)
{
	static const struct {
		const char *text;
		enum mlp_ftype want;
	} cases[] = {
		{ "rating * 2", MLP_FT_FLOAT }, { "trips * 2", MLP_FT_INT },
		{ "trips / 2", MLP_FT_FLOAT }, { "city", MLP_FT_STRING },
		{ "trips > 1", MLP_FT_BOOL }, { "null", MLP_FT_FLOAT },
		{ "bucket(rating, 1)", MLP_FT_INT },
		{ "coalesce(trips, rating)", MLP_FT_FLOAT },
		{ "if(active, city, null)", MLP_FT_STRING },
		{ "abs(n)", MLP_FT_INT }, { "is_null(city)", MLP_FT_BOOL },
	};
	struct mlp_err err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mlp_expr *e = NULL;

		if (mlp_expr_compile(cases[i].text, &env, &e, &err) < 0) {
			ok(0, "type of %s: %s", cases[i].text, err.msg);
			continue;
		}
		is_int(mlp_expr_type(e), cases[i].want, "type of %s",
		    cases[i].text);
		mlp_expr_free(e);
	}
	ERR("city + 1.5", "5: column 6: cannot add string and float");
	ERR("1 - active", "2: column 3: cannot subtract int and bool");
	ERR("city * 2", "5: column 6: cannot multiply string and int");
	ERR("rating / 'a'", "7: column 8: cannot divide float and string");
	ERR("active % 2", "7: column 8: cannot take the remainder of bool and "
	    "int");
	ERR("city + city", "5: column 6: cannot add string and string");
	ERR("-city", "0: column 1: cannot negate string");
	ERR("+active", "0: column 1: cannot apply unary '+' to bool");
	ERR("log(city)", "4: column 5: 'log' needs a number, found string");
	ERR("sqrt(active)", "5: column 6: 'sqrt' needs a number, found bool");
	ERR("abs('x')", "4: column 5: 'abs' needs a number, found string");
}

static void
test_errors(void)
{
	ERR("", "0: column 1: empty expression");
	ERR("   ", "0: column 1: empty expression");
	ERR("rating +", "8: column 9: expected an operand");
	ERR("rating + )", "9: column 10: expected an operand, found ')'");
	ERR("(rating", "7: column 8: expected ')' to close the '(' at "
	    "column 1");
	ERR("((rating) * 2", "13: column 14: expected ')' to close the '(' "
	    "at column 1");
	ERR("rating 2", "7: column 8: unexpected '2' after the expression");
	ERR("rating)", "6: column 7: unexpected ')' after the expression");
	ERR("rating is null", "7: column 8: unexpected 'is' (write "
	    "is_null(x))");
	ERR("clip(rating, 0, 1", "17: column 18: expected ')' after the "
	    "arguments of 'clip'");
	ERR("clip(rating, 0, 1 2", "18: column 19: expected ')' after the "
	    "arguments of 'clip', found '2'");
	ERR("clip(rating 0, 1)", "12: column 13: expected ',' or ')' after "
	    "the arguments of 'clip', found '0'");
	ERR("min(1, 2", "8: column 9: expected ',' or ')' after the arguments "
	    "of 'min'");
	ERR("clip(rating, 0)", "0: column 1: 'clip' needs 3 arguments, found "
	    "2");
	ERR("log()", "0: column 1: 'log' needs 1 argument, found 0");
	ERR("log(1, 2)", "7: column 8: too many arguments to 'log' (it takes "
	    "1)");
	ERR("min(1)", "0: column 1: 'min' needs at least 2 arguments, found "
	    "1");
	ERR("log(,)", "4: column 5: expected an operand, found ','");
	ERR("'abc", "0: column 1: unterminated string");
	ERR("rating + \"x", "9: column 10: unterminated string");
	ERR("`avg fare * 2", "0: column 1: unterminated quoted name");
	ERR("`` + 1", "0: column 1: empty quoted name");
	ERR("rating @ 2", "7: column 8: unexpected character '@'");
	ERR("rating . 2", "7: column 8: unexpected character '.'");
	ERR("rating ≥ 2", "7: column 8: unexpected character '≥'");
	ERR("rating\x01", "6: column 7: unexpected byte 0x01");
	ERR("and", "0: column 1: expected an operand, found 'and'");
	ERR("rating and", "10: column 11: expected an operand");
	/* columns count characters, lines when there are several */
	ERR("'é' + 1", "5: column 5: cannot add string and int");
	ERR("'日本' = 1 + 'x'", "13: column 10: cannot add int and string");
	ERR("rating +\n  @", "11: line 2, column 3: unexpected character '@'");
	ERR("1 +\n\n  city", "2: column 3: cannot add int and string");
	ERR("rating + '\xff'", "10: column 11: expression is not valid UTF-8");
	ERR("'\xc3\x28'", "1: column 2: expression is not valid UTF-8");
}

static void
test_names(void)
{
	ERR("ratng * 2", "0: column 1: unknown feature 'ratng' (did you mean "
	    "'rating'?)");
	ERR("rating * trps", "9: column 10: unknown feature 'trps' (did you "
	    "mean 'trips'?)");
	ERR("Rating", "0: column 1: unknown feature 'Rating' (did you mean "
	    "'rating'?)");
	ERR("fare_total", "0: column 1: unknown feature 'fare_total' (did you "
	    "mean 'Fare_Total'?)");
	ERR("`avg  fare`", "0: column 1: unknown feature 'avg  fare' (did you "
	    "mean 'avg fare'?)");
	ERR("nul", "0: column 1: unknown feature 'nul' (did you mean "
	    "'null'?)");
	ERR("tru", "0: column 1: unknown feature 'tru' (did you mean "
	    "'true'?)");
	ERR("velocity", "0: column 1: unknown feature 'velocity'");
	ERR("log + 1", "0: column 1: unknown feature 'log' ('log' is a "
	    "function: write log(...))");
	ERR("lgo(rating)", "0: column 1: unknown function 'lgo' (did you mean "
	    "'log'?)");
	ERR("frobnicate(rating)", "0: column 1: unknown function 'frobnicate' "
	    "(the functions are abs, bucket, clip, coalesce, exp, if, "
	    "is_null, log, log1p, max, min and sqrt)");
	ERR("rating(1)", "0: column 1: unknown function 'rating' (the "
	    "functions are abs, bucket, clip, coalesce, exp, if, is_null, "
	    "log, log1p, max, min and sqrt)");
	ERR("`rating`(1)", "8: column 9: unexpected '(' after the "
	    "expression");
	EV("`rating`", "float:4.5");
	EV("`avg fare` > rating", "bool:true");
	/* a feature may have a function's name when it is not called */
	{
		static const struct mlp_expr_var v2[] = {
			{ "log", 0, MLP_FT_FLOAT },
			{ "a`b", 1, MLP_FT_INT },
			{ "not", 2, MLP_FT_BOOL },
		};
		static const struct mlp_expr_env env2 = { v2, 3 };
		struct mlp_fval s[3];
		struct mlp_expr *e = NULL;
		struct mlp_err err;
		struct mlp_fval out;

		memset(s, 0, sizeof(s));
		s[0].type = MLP_FT_FLOAT;
		s[0].v.f = 2.718281828459045;
		s[1].type = MLP_FT_INT;
		s[1].v.i = 3;
		s[2].type = MLP_FT_BOOL;
		s[2].v.b = 5;	/* any non-zero is true */
		ok(mlp_expr_compile("if(`not`, log(log) + `a``b`, 0)", &env2,
		    &e, &err) == 0, "names like functions and keywords");
		if (e) {
			is_str(mlp_expr_text(e), "if(`not`, log(log) + `a``b`, "
			    "0)", "their canonical text");
			ok(mlp_expr_eval(e, s, &out) == 0 && !out.null &&
			    out.type == MLP_FT_FLOAT && out.v.f == 4,
			    "their value");
		}
		mlp_expr_free(e);
	}
}

static void
test_canonical(void)
{
	CANON("rating*2", "rating * 2");
	CANON("  rating   *   2  ", "rating * 2");
	CANON("((rating)) * (2)", "rating * 2");
	CANON("(rating + 1) * 2", "(rating + 1) * 2");
	CANON("rating + (1 * 2)", "rating + 1 * 2");
	CANON("(rating + 1) + 2", "rating + 1 + 2");
	CANON("rating + (1 + 2)", "rating + (1 + 2)");
	CANON("rating - (1 - 2)", "rating - (1 - 2)");
	CANON("rating / (2 * 3)", "rating / (2 * 3)");
	CANON("rating == 2 AND trips <> 3 OR NOT active",
	    "rating = 2 and trips != 3 or not active");
	CANON("(a_and_b_or)", "error: column 2: unknown feature 'a_and_b_or'");
	CANON("a OR (b AND c)", "error: column 1: unknown feature 'a'");
	CANON("active or (active and active)", "active or active and active");
	CANON("(active or active) and active",
	    "(active or active) and active");
	CANON("active and (active and active)",
	    "active and (active and active)");
	CANON("not (active and active)", "not (active and active)");
	CANON("(not active) and active", "not active and active");
	CANON("not (rating = 1)", "not rating = 1");
	CANON("(not active) = active", "(not active) = active");
	CANON("active = (not active)", "active = (not active)");
	CANON("(1 < 2) = true", "(1 < 2) = true");
	CANON("true = (1 < 2)", "true = (1 < 2)");
	CANON("-(-rating)", "- -rating");
	CANON("- - rating", "- -rating");
	CANON("-(rating + 1)", "-(rating + 1)");
	CANON("+rating", "rating");
	CANON("+(rating + 1) * 2", "(rating + 1) * 2");
	CANON("-2 * 3", "-2 * 3");
	CANON("1e3 + 1.50 + .5 + 5. + 0012", "1000.0 + 1.5 + 0.5 + 5.0 + 12");
	CANON("1e20 + 2.5e-7", "1e+20 + 2.5e-07");
	CANON("9223372036854775808", "9.223372036854776e+18");
	CANON("\"it's\" < 'x'", "'it''s' < 'x'");
	CANON("\"say \"\"hi\"\"\"", "'say \"hi\"'");
	CANON("`rating` + `avg fare` + `and`", "rating + `avg fare` + `and`");
	CANON("TRUE or False or NULL is null",
	    "error: column 23: unexpected 'is' (write is_null(x))");
	CANON("TRUE or False or is_null(NULL)",
	    "true or false or is_null(null)");
	CANON("IF(active,1,2)+LOG( rating )+Clip(1,2,3)",
	    "if(active, 1, 2) + log(rating) + clip(1, 2, 3)");
	CANON("bucket(rating, -1, 0, 1e3)", "bucket(rating, -1, 0, 1000.0)");
	CANON("coalesce(rating,(1))", "coalesce(rating, 1)");
	CANON("if((active),(rating+1),(2))", "if(active, rating + 1, 2)");
	CANON("rating\n*\t2", "rating * 2");
}

static void
test_limits(void)
{
	struct mlp_buf b = MLP_BUF_INIT;

	/* 256 levels of parentheses, calls and prefix operators at most */
	for (int i = 0; i < 256; i++)
		mlp_buf_addc(&b, '(');
	mlp_buf_adds(&b, "rating");
	for (int i = 0; i < 256; i++)
		mlp_buf_addc(&b, ')');
	is_str(ev_on(mlp_buf_str(&b), row), "float:4.5", "256 parentheses");
	mlp_buf_reset(&b);
	for (int i = 0; i < 257; i++)
		mlp_buf_addc(&b, '(');
	mlp_buf_adds(&b, "rating");
	for (int i = 0; i < 257; i++)
		mlp_buf_addc(&b, ')');
	is_str(err_of(mlp_buf_str(&b)), "256: column 257: expression nested "
	    "too deeply (over 256 levels)", "257 parentheses");
	mlp_buf_reset(&b);
	for (int i = 0; i < 257; i++)
		mlp_buf_adds(&b, "-");
	mlp_buf_adds(&b, "rating");
	is_str(err_of(mlp_buf_str(&b)), "256: column 257: expression nested "
	    "too deeply (over 256 levels)", "257 minus signs");
	mlp_buf_reset(&b);
	for (int i = 0; i < 100000; i++)
		mlp_buf_adds(&b, "not ");
	mlp_buf_adds(&b, "active");
	is_str(err_of(mlp_buf_str(&b)), "0: column 1: expression is too long "
	    "(over 65536 bytes)", "too long");
	mlp_buf_reset(&b);
	for (int i = 0; i < 256; i++)
		mlp_buf_adds(&b, "abs(");
	mlp_buf_adds(&b, "n");
	for (int i = 0; i < 256; i++)
		mlp_buf_addc(&b, ')');
	is_str(ev_on(mlp_buf_str(&b), row), "int:3", "256 nested calls");
	/* a long flat sum is no nesting */
	mlp_buf_reset(&b);
	mlp_buf_adds(&b, "trips");
	for (int i = 0; i < 10000; i++)
		mlp_buf_adds(&b, "+1");
	is_str(ev_on(mlp_buf_str(&b), row), "int:10010", "10000 additions");
	/* right-nested pending values stay within the stack */
	mlp_buf_reset(&b);
	for (int i = 0; i < 255; i++)
		mlp_buf_adds(&b, "trips+(");
	mlp_buf_adds(&b, "trips");
	for (int i = 0; i < 255; i++)
		mlp_buf_addc(&b, ')');
	is_str(ev_on(mlp_buf_str(&b), row), "int:2560", "255 right-nested sums");
	mlp_buf_reset(&b);
	for (int i = 0; i < 120; i++)
		mlp_buf_adds(&b, "if(active,trips,trips or active and "
		    "trips=trips+trips*(");
	is_str(err_of(mlp_buf_str(&b)), "4025: column 4026: expression too "
	    "complex (over 512 values pending at once)", "stack limit");
	mlp_buf_reset(&b);
	for (int i = 0; i < 200; i++)
		mlp_buf_adds(&b, "if(active,trips*2,trips*2+trips*2*if(");
	is_str(err_of(mlp_buf_str(&b)), "4731: column 4732: expression too "
	    "complex (over 512 values pending at once)",
	    "stack limit, constants taken into instructions");
	mlp_buf_release(&b);
}

static void
test_api(void)
{
	struct mlp_expr *e = NULL;
	struct mlp_err err;
	struct mlp_fval out, r[NSLOTS];
	const size_t *slots;
	size_t n;
	static const struct mlp_expr_var bad[] = {
		{ "x", 0, (enum mlp_ftype)9 },
	};
	static const struct mlp_expr_env bad_env = { bad, 1 };

	ok(mlp_expr_compile("rating * trips + rating + `avg fare`", &env, &e,
	    &err) == 0, "compile");
	n = mlp_expr_slots_used(e, &slots);
	ok(n == 3 && slots[0] == 0 && slots[1] == 1 && slots[2] == 4,
	    "slots used: 0, 1, 4");
	mlp_expr_free(e);
	ok(mlp_expr_compile("1 + 2 * 3", &env, &e, &err) == 0 &&
	    mlp_expr_slots_used(e, &slots) == 0, "constants use no slot");
	ok(mlp_expr_eval(e, NULL, &out) == 0 && out.v.i == 7,
	    "constants need no slots");
	mlp_expr_free(e);

	/* a string result borrows from the row */
	ok(mlp_expr_compile("coalesce(city, 'x')", &env, &e, &err) == 0,
	    "compile a string");
	ok(mlp_expr_eval(e, row, &out) == 0 && out.v.str.s == row[2].v.str.s,
	    "a string borrows from its slot");
	mlp_expr_free(e);

	/* a slot of another type than declared */
	memcpy(r, row, sizeof(r));
	r[0].type = MLP_FT_INT;
	ok(mlp_expr_compile("rating * 2", &env, &e, &err) == 0, "compile");
	is_int(mlp_expr_eval(e, r, &out), MLP_EINVAL, "slot of the wrong type");
	r[0].null = 1;
	is_int(mlp_expr_eval(e, r, &out), 0, "a null slot may have any type");
	ok(out.null && out.type == MLP_FT_FLOAT, "and is null");
	mlp_expr_free(e);

	is_int(mlp_expr_compile("x", &bad_env, &e, &err), MLP_EINVAL,
	    "bad env entry");
	ok(e == NULL, "nothing compiled");
	is_int(mlp_expr_compile("rating", NULL, &e, &err), MLP_ESYNTAX,
	    "no env");
	mlp_expr_free(NULL);
}

int
main(void)
{
	set_row();
	test_literals();
	test_arithmetic();
	test_comparisons();
	test_logic();
	test_nulls();
	test_functions();
	test_bucket();
	test_types();
	test_errors();
	test_names();
	test_canonical();
	test_limits();
	test_api();
	return tap_done();
}
