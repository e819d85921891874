/* hg_dl.c — see hg_dl.h. */
#include "hg_dl.h"

#include <dlfcn.h>

/* dlopen and fill every slot, or fill none. Never closed once loaded: the
 * slots point into it for the life of the process. */
static int open_lib(hg_dl_lib *lib)
{
    void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) return hg_err_internal(&lib->err, "cannot load %s: %s", lib->soname, dlerror());
    for (size_t i = 0; i < lib->nsyms; i++) {
        void *f = dlsym(h, lib->syms[i].name);
        if (!f) {
            for (size_t j = 0; j < i; j++) *lib->syms[j].slot = NULL;
            dlclose(h);
            return hg_err_internal(&lib->err, "cannot load %s: no symbol %s", lib->soname, lib->syms[i].name);
        }
        *lib->syms[i].slot = f;
    }
    return 0;
}

int hg_dl_load(hg_dl_lib *lib, hg_err *err)
{
    int state = atomic_load_explicit(&lib->state, memory_order_acquire);
    if (state == 0) {
        pthread_mutex_lock(&lib->mutex);
        state = atomic_load_explicit(&lib->state, memory_order_relaxed);
        if (state == 0) {
            hg_err_clear(&lib->err);
            state = open_lib(lib) == 0 ? 1 : -1;
            atomic_store_explicit(&lib->state, state, memory_order_release);
        }
        pthread_mutex_unlock(&lib->mutex);
    }
    if (state == 1) return 0;
    if (err) *err = lib->err;
    return -1;
}
