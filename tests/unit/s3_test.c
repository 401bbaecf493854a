/* Unit tests for the S3 backend's pure parts: SigV4 URI encoding, the
 * sorted ListObjectsV2 query, and the listing parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "tap.h"

static void
test_encode(void)
{
	struct mlp_buf b = MLP_BUF_INIT;

	s3_uri_encode(&b, "AZaz09-_.~", 0);
	is_str(b.s, "AZaz09-_.~", "unreserved bytes stay");
	mlp_buf_reset(&b);
	s3_uri_encode(&b, "a b/c+d=e&f%g*h", 0);
	is_str(b.s, "a%20b%2Fc%2Bd%3De%26f%25g%2Ah",
	    "space is %%20 (not +), the rest uppercase %%XX");
	mlp_buf_reset(&b);
	s3_uri_encode(&b, "pre/fix/objects/ab/cd", 1);
	is_str(b.s, "pre/fix/objects/ab/cd", "'/' kept in a path");
	mlp_buf_reset(&b);
	s3_uri_encode(&b, "models/caf\xc3\xa9/1.json", 1);
	is_str(b.s, "models/caf%C3%A9/1.json", "UTF-8 byte by byte");
	mlp_buf_release(&b);
}

static void
test_query(void)
{
	struct mlp_buf q = MLP_BUF_INIT;

	s3_list_query(&q, NULL, "team a/objects/ab/");
	is_str(q.s, "list-type=2&prefix=team%20a%2Fobjects%2Fab%2F",
	    "first page: sorted, the prefix fully encoded");
	mlp_buf_reset(&q);
	s3_list_query(&q, "1/x+y==", "p/");
	is_str(q.s, "continuation-token=1%2Fx%2By%3D%3D&list-type=2&prefix=p%2F",
	    "a continuation token sorts first and is encoded");
	mlp_buf_release(&q);
}

struct seen {
	struct mlp_buf keys;
	unsigned long long total;
	int n, stop_at;
};

static int
collect(const char *key, uint64_t size, void *ud)
{
	struct seen *s = ud;

	mlp_buf_addf(&s->keys, "%s%s=%llu", s->n ? "," : "", key,
	    (unsigned long long)size);
	s->total += size;
	return ++s->n == s->stop_at ? 7 : 0;
}

static void
test_parse(void)
{
	static const char page[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Name>b</Name><Prefix>p/objects/</Prefix><KeyCount>3</KeyCount>"
	    "<IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>tok&amp;en==</NextContinuationToken>"
	    "<Contents><Key>p/objects/ab/cd</Key><LastModified>x</LastModified>"
	    "<ETag>&quot;e&quot;</ETag><Size>12</Size></Contents>"
	    "<Contents><Key>p/models/a&amp;b/1.json</Key><Size>3</Size>"
	    "</Contents>"
	    "<Contents><Key>other/objects/ef</Key><Size>5</Size></Contents>"
	    "<Contents><Key>p/objects/no-size</Key></Contents>"
	    "</ListBucketResult>";
	static const char last[] =
	    "<ListBucketResult><IsTruncated>false</IsTruncated>"
	    "<Contents><Key>p/x</Key><Size>1</Size></Contents>"
	    "</ListBucketResult>";
	static const char broken[] =
	    "<ListBucketResult><IsTruncated>true</IsTruncated>"
	    "<Contents><Key>p/x</Key><Size>1</Size></Contents>"
	    "<Contents><Key>p/cut";
	struct seen s = { MLP_BUF_INIT, 0, 0, 0 };
	struct mlp_buf token = MLP_BUF_INIT;
	int more = -1;

	ok(s3_parse_list(page, "p/", collect, &s, &token, &more) == 0,
	    "a page parses");
	is_str(s.keys.s, "objects/ab/cd=12,models/a&b/1.json=3,"
	    "objects/no-size=0",
	    "keys under the prefix, prefix cut, entities decoded");
	is_int(more, 1, "truncated");
	is_str(mlp_buf_str(&token), "tok&en==", "the continuation token, decoded");

	mlp_buf_reset(&s.keys);
	s.n = 0;
	ok(s3_parse_list(last, "p/", collect, &s, &token, &more) == 0 &&
	    more == 0 && token.len == 0, "the last page: no more, no token");

	mlp_buf_reset(&s.keys);
	s.n = 0;
	ok(s3_parse_list(broken, "p/", collect, &s, &token, &more) == 0,
	    "a cut-off page does not fail the parser");
	is_str(s.keys.s, "x=1", "only whole entries are reported");
	is_int(more, 0, "truncated without a token stops instead of looping");

	mlp_buf_reset(&s.keys);
	s.n = 0;
	s.stop_at = 1;
	is_int(s3_parse_list(page, "p/", collect, &s, &token, &more), 7,
	    "the callback's value stops the walk");
	is_int(s.n, 1, "after the first entry");

	mlp_buf_reset(&s.keys);
	s.n = 0;
	s.stop_at = 0;
	ok(s3_parse_list("", "p/", collect, &s, &token, &more) == 0 &&
	    s.n == 0 && more == 0, "an empty body lists nothing");
	mlp_buf_release(&s.keys);
	mlp_buf_release(&token);
}

int
main(void)
{
	test_encode();
	test_query();
	test_parse();
	return tap_done();
}
