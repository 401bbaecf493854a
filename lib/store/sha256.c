/* SHA-256 from libcrypto, loaded on first use, and object id helpers. */
#include <string.h>

#include "../core/dl.h"
#include "internal.h"

#ifndef MLP_LIBCRYPTO_SONAME
#define MLP_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

#define CRYPTO_FUNCS(X) \
	X(EVP_MD_fetch) \
	X(EVP_MD_CTX_new) \
	X(EVP_MD_CTX_free) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) \
	X(EVP_DigestFinal_ex)

static struct {
	CRYPTO_FUNCS(MLP_DL_MEMBER)
} crypto;

/* fetched once: EVP_sha256() would look the implementation up on every
 * init */
static EVP_MD *sha256_md;

static int
load(struct mlp_err *err)
{
#define SYM(fn) { #fn, (void **)&crypto.fn },
	static const struct mlp_dl_sym syms[] = { CRYPTO_FUNCS(SYM) };
#undef SYM
	int rc;

	if (sha256_md)
		return 0;
	if ((rc = mlp_dl_load("libcrypto", MLP_LIBCRYPTO_SONAME, syms,
	    sizeof(syms) / sizeof(*syms), err)) < 0)
		return rc;
	sha256_md = crypto.EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!sha256_md)
		return mlp_err_set(err, MLP_EUNSUPPORTED,
		    "libcrypto has no SHA-256 implementation");
	return 0;
}

int
mlp_sha256_begin(struct mlp_sha256 *h, struct mlp_err *err)
{
	int rc;

	h->ctx = NULL;
	if ((rc = load(err)) < 0)
		return rc;
	h->ctx = crypto.EVP_MD_CTX_new();
	if (!h->ctx || crypto.EVP_DigestInit_ex(h->ctx, sha256_md, NULL) != 1) {
		mlp_sha256_abort(h);
		return mlp_err_set(err, MLP_EFAIL, "cannot start SHA-256");
	}
	return 0;
}

void
mlp_sha256_update(struct mlp_sha256 *h, const void *p, size_t n)
{
	/* cannot fail for SHA-256 with a valid context */
	if (n > 0)
		crypto.EVP_DigestUpdate(h->ctx, p, n);
}

void
mlp_sha256_end(struct mlp_sha256 *h, struct mlp_oid *out)
{
	unsigned int len = 0;

	crypto.EVP_DigestFinal_ex(h->ctx, out->hash, &len);
	mlp_sha256_abort(h);
}

void
mlp_sha256_abort(struct mlp_sha256 *h)
{
	if (h->ctx)
		crypto.EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int
mlp_oid_hash(const void *buf, size_t n, struct mlp_oid *out,
    struct mlp_err *err)
{
	struct mlp_sha256 h;
	int rc;

	if ((rc = mlp_sha256_begin(&h, err)) < 0)
		return rc;
	mlp_sha256_update(&h, buf, n);
	mlp_sha256_end(&h, out);
	return 0;
}

void
mlp_oid_fmt(const struct mlp_oid *oid, char out[MLP_OID_HEXSZ + 1])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < MLP_OID_RAWSZ; i++) {
		out[2 * i] = hex[oid->hash[i] >> 4];
		out[2 * i + 1] = hex[oid->hash[i] & 15];
	}
	out[MLP_OID_HEXSZ] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mlp_oid_parse(const char *hex, struct mlp_oid *out, struct mlp_err *err)
{
	for (int i = 0; i < MLP_OID_RAWSZ; i++) {
		int hi = hexval(hex[2 * i]);
		int lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return mlp_err_set(err, MLP_EINVAL, "'%.80s' is not an "
			    "object id (64 hex digits)", hex);
		out->hash[i] = (unsigned char)(hi << 4 | lo);
	}
	if (hex[MLP_OID_HEXSZ] != '\0')
		return mlp_err_set(err, MLP_EINVAL, "'%.80s' is not an object "
		    "id (64 hex digits)", hex);
	return 0;
}

int
mlp_oid_cmp(const struct mlp_oid *a, const struct mlp_oid *b)
{
	return memcmp(a->hash, b->hash, MLP_OID_RAWSZ);
}
