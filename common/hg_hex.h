/*
 * hg_hex.h — bytes as lower-case hexadecimal, the form AWS prints digests
 * (SigV4 signatures, SHA-256 tokens) and random ids in.
 */
#ifndef HG_HEX_H
#define HG_HEX_H

#include <stddef.h>

/* Writes the 2 * n hex digits of bytes[0..n) and a NUL: out holds 2 * n + 1. */
void hg_hex(const void *bytes, size_t n, char *out);

#endif
