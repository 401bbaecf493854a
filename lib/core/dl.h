/* Loading a shared library on first use. mlp links only what every command
 * needs; a heavy library (libgit2, libcrypto, ...) that a few commands use
 * is opened when first called, so `mlp --version` starts as fast as
 * `git --version`. A module lists the functions it uses in an X-macro and
 * gets a table of pointers with the exact types of the library's own
 * declarations:
 *
 *	#define MY_FUNCS(X) X(EVP_sha256) X(EVP_DigestUpdate)
 *	struct my_lib { MY_FUNCS(MLP_DL_MEMBER) };
 *	static struct my_lib lib;
 *	#define SYM(fn) { #fn, (void **)&lib.fn },
 *	static const struct mlp_dl_sym syms[] = { MY_FUNCS(SYM) };
 *	mlp_dl_load("libcrypto", SONAME, syms, N, err);
 */
#ifndef MLP_CORE_DL_H
#define MLP_CORE_DL_H

#include <stddef.h>

#include "core.h"

struct mlp_dl_sym {
	const char *name;
	void **slot;
};

#define MLP_DL_MEMBER(fn) __typeof__(fn) *fn;

/* Opens soname and fills every slot; what names the library in messages.
 * MLP_EUNSUPPORTED when the library or a symbol is missing. Safe to call
 * again after success (returns 0 at once). */
int mlp_dl_load(const char *what, const char *soname,
    const struct mlp_dl_sym *syms, size_t n, struct mlp_err *err);

#endif
