/*
 * hg_dl.h — a shared library opened when first needed instead of at exec.
 *
 * Why: on a cold start the dynamic loader's work is a large share of the
 * emulator's time to healthy. OpenSSL's libcrypto alone (pulled in again by
 * libzip) adds ~21,000 relocations and 130 page faults, about 3 ms of the
 * ~22 ms measured on a 2-vCPU VM, for a few hashes and base64 that most
 * requests never need. A library loaded here stays loaded for the process.
 */
#ifndef HG_DL_H
#define HG_DL_H

#include <stddef.h>

#include "hg_error.h"

/* One symbol to look up and the function pointer it fills. */
typedef struct hg_dl_sym {
    const char *name;
    void **slot;
} hg_dl_sym;

/* dlopen(soname) and fill every slot, or fill none: returns 0, or -1 with
 * err (500) naming the library and what the loader said. Not thread-safe
 * by itself: callers run it under pthread_once. */
int hg_dl_open(const char *soname, const hg_dl_sym *syms, size_t n, hg_err *err);

#endif
