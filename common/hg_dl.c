/* hg_dl.c — see hg_dl.h. */
#include "hg_dl.h"

#include <dlfcn.h>

int hg_dl_open(const char *soname, const hg_dl_sym *syms, size_t n, hg_err *err)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) return hg_err_internal(err, "cannot load %s: %s", soname, dlerror());
    for (size_t i = 0; i < n; i++) {
        void *f = dlsym(h, syms[i].name);
        if (!f) {
            for (size_t j = 0; j < i; j++) *syms[j].slot = NULL;
            dlclose(h);
            return hg_err_internal(err, "cannot load %s: no symbol %s", soname, syms[i].name);
        }
        *syms[i].slot = f;
    }
    return 0;   /* never closed: the slots point into it for the life of the process */
}
