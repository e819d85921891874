/*
 * hg_uuid.h — version 4 UUIDs, the shape of AWS request ids.
 *
 * They name requests and invocations; nothing depends on them being
 * unguessable, so they come from a per-thread xorshift128+ seeded once
 * from getrandom, not a syscall per id.
 */
#ifndef HG_UUID_H
#define HG_UUID_H

#define HG_UUID_LEN 36

/* Writes "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" and a NUL into out. */
void hg_uuid4(char out[HG_UUID_LEN + 1]);

#endif
