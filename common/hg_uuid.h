/*
 * hg_uuid.h — version 4 UUIDs, the shape of AWS request ids, and the random
 * bytes behind them and every other generated name (log streams, API ids).
 *
 * They name requests, invocations and resources; nothing depends on them
 * being unguessable, so they come from a per-thread xorshift128+ seeded
 * once from getrandom, not a syscall per id. Never use them for secrets.
 */
#ifndef HG_UUID_H
#define HG_UUID_H

#include <stddef.h>

#define HG_UUID_LEN 36

/* Writes "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" and a NUL into out. */
void hg_uuid4(char out[HG_UUID_LEN + 1]);

/* Fills out with n bytes from this thread's generator. */
void hg_random_bytes(void *out, size_t n);

#endif
