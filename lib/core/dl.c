/* Opening a shared library on first use (see dl.h). */
#include <dlfcn.h>

#include "dl.h"

int
mlp_dl_load(const char *what, const char *soname,
    const struct mlp_dl_sym *syms, size_t n, struct mlp_err *err)
{
	void *h;

	if (n > 0 && *syms[0].slot)
		return 0;
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return mlp_err_set(err, MLP_EUNSUPPORTED, "cannot load %s: %s",
		    what, dlerror());
	for (size_t i = 0; i < n; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			for (size_t j = 0; j < i; j++)
				*syms[j].slot = NULL;
			return mlp_err_set(err, MLP_EUNSUPPORTED, "cannot load "
			    "%s: '%s' is missing from %s", what, syms[i].name,
			    soname);
		}
	}
	return 0;
}
