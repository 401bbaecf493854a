/* Unit tests of lib/feature/time.c: timestamps, durations, type names. */
#include <string.h>

#include "feature/feature.h"
#include "tap.h"

static int64_t
ts(const char *s, enum mlp_tsfmt f)
{
	int64_t us;

	return mlp_ts_parse(s, strlen(s), f, &us) == 0 ? us : -42;
}

static void
test_parse(void)
{
	char out[48];

	is_int(ts("1970-01-01T00:00:00Z", MLP_TSFMT_ISO8601), 0, "the epoch");
	is_int(ts("2021-04-12T10:59:42Z", MLP_TSFMT_ISO8601),
	    INT64_C(1618225182000000), "a Z time");
	is_int(ts("2021-04-12T10:59:42", MLP_TSFMT_ISO8601),
	    INT64_C(1618225182000000), "naive is UTC");
	is_int(ts("2021-04-12 12:59:42+02:00", MLP_TSFMT_ISO8601),
	    INT64_C(1618225182000000), "a space and an offset");
	is_int(ts("2021-04-12T05:59:42-0500", MLP_TSFMT_ISO8601),
	    INT64_C(1618225182000000), "an offset without a colon");
	is_int(ts("2021-04-12T10:59:42.1234567Z", MLP_TSFMT_ISO8601),
	    INT64_C(1618225182123456), "fraction truncated to microseconds");
	is_int(ts("2021-04-12", MLP_TSFMT_ISO8601),
	    INT64_C(1618185600000000), "a date is midnight UTC");
	is_int(ts("1969-12-31T23:59:59.5Z", MLP_TSFMT_ISO8601), -500000,
	    "before the epoch");
	is_int(ts("2024-02-29T00:00:00Z", MLP_TSFMT_ISO8601),
	    INT64_C(1709164800000000), "a leap day");
	is_int(ts("2023-02-29", MLP_TSFMT_ISO8601), -42, "not a leap year");
	is_int(ts("2021-13-01", MLP_TSFMT_ISO8601), -42, "month 13");
	is_int(ts("2021-04-12T24:00:00Z", MLP_TSFMT_ISO8601), -42, "hour 24");
	is_int(ts("2021-04-12T10:59:42Zx", MLP_TSFMT_ISO8601), -42,
	    "trailing text");
	is_int(ts("", MLP_TSFMT_ISO8601), -42, "empty");
	is_int(ts("1618225182", MLP_TSFMT_ISO8601), -42,
	    "epoch digits are not ISO");
	is_int(ts("1618225182", MLP_TSFMT_EPOCH_S), INT64_C(1618225182000000),
	    "epoch seconds");
	is_int(ts("1618225182.25", MLP_TSFMT_EPOCH_S),
	    INT64_C(1618225182250000), "epoch seconds with a fraction");
	is_int(ts("1618225182123", MLP_TSFMT_EPOCH_MS),
	    INT64_C(1618225182123000), "epoch milliseconds");
	is_int(ts("12a", MLP_TSFMT_EPOCH_S), -42, "not a number");
	is_int(ts("99999999999999999999", MLP_TSFMT_EPOCH_S), -42, "too big");
	mlp_ts_format(INT64_C(1618225182000000), out);
	is_str(out, "2021-04-12T10:59:42Z", "format");
	mlp_ts_format(INT64_C(1618225182000001), out);
	is_str(out, "2021-04-12T10:59:42.000001Z", "format with micros");
	mlp_ts_format(-500000, out);
	is_str(out, "1969-12-31T23:59:59.500000Z", "format before the epoch");
}

static void
test_duration(void)
{
	int64_t us;
	char out[48];

	ok(mlp_duration_parse("7d", &us) == 0 &&
	    us == 7 * 86400 * MLP_US_PER_SEC, "7d");
	ok(mlp_duration_parse("90m", &us) == 0 &&
	    us == 5400 * MLP_US_PER_SEC, "90m");
	ok(mlp_duration_parse("0", &us) == 0 && us == 0, "0");
	ok(mlp_duration_parse("0d", &us) < 0, "0d is refused");
	ok(mlp_duration_parse("7", &us) < 0, "no unit");
	ok(mlp_duration_parse("d", &us) < 0, "no number");
	ok(mlp_duration_parse("7dd", &us) < 0, "two units");
	ok(mlp_duration_parse("-1d", &us) < 0, "negative");
	ok(mlp_duration_parse("1y", &us) < 0, "unknown unit");
	mlp_duration_format(7 * 86400 * MLP_US_PER_SEC, out);
	is_str(out, "1w", "7d formats as 1w");
	mlp_duration_format(5400 * MLP_US_PER_SEC, out);
	is_str(out, "90m", "90m");
}

static void
test_names(void)
{
	enum mlp_ftype t;
	enum mlp_aggop op;
	enum mlp_tsfmt f;

	ok(mlp_ftype_parse("float32", &t) == 0 && t == MLP_FT_FLOAT, "float32");
	ok(mlp_ftype_parse("text", &t) < 0, "unknown type");
	is_str(mlp_ftype_name(MLP_FT_INT), "int", "int's name");
	ok(mlp_aggop_parse("stddev", &op) == 0 && op == MLP_AGG_STDDEV,
	    "stddev");
	ok(mlp_aggop_parse("median", &op) < 0, "unknown op");
	ok(mlp_tsfmt_parse("epoch_ms", &f) == 0 && f == MLP_TSFMT_EPOCH_MS,
	    "epoch_ms");
	is_str(mlp_tsfmt_name(MLP_TSFMT_ISO8601), "iso8601", "iso8601");
}

int
main(void)
{
	test_parse();
	test_duration();
	test_names();
	return tap_done();
}
