/*
 * hg_dl.h — a shared library opened when first needed instead of at exec.
 *
 * Why: on a cold start the dynamic loader's work is a large share of the
 * emulator's time to healthy. OpenSSL's libcrypto alone (pulled in again by
 * libzip) adds ~21,000 relocations and 130 page faults, about 3 ms of the
 * ~22 ms measured on a 2-vCPU VM, for a few hashes and base64 that most
 * requests never need. A library loaded here stays loaded for the process.
 *
 * A user declares its functions as typed pointers, one hg_dl_sym per
 * pointer, and one hg_dl_lib (HG_DL_LIB) that hg_dl_load opens once.
 */
#ifndef HG_DL_H
#define HG_DL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "hg_error.h"

/* One symbol to look up and the function pointer it fills. */
typedef struct hg_dl_sym {
    const char *name;
    void **slot;
} hg_dl_sym;

typedef struct hg_dl_lib {
    const char *soname;
    const hg_dl_sym *syms;
    size_t nsyms;
    pthread_mutex_t mutex;    /* held by the one load */
    atomic_int state;         /* 0 not tried, 1 loaded, -1 failed (error in err) */
    hg_err err;
} hg_dl_lib;

#define HG_DL_LIB(soname, syms) \
    { (soname), (syms), sizeof(syms) / sizeof((syms)[0]), PTHREAD_MUTEX_INITIALIZER, 0, { 0 } }

/* Open lib and fill every slot, or none, the first time; later calls return
 * what that one did: 0, or -1 with err (500) naming the library and what the
 * loader said. Thread-safe; once loaded, one atomic load. */
int hg_dl_load(hg_dl_lib *lib, hg_err *err);

#endif
