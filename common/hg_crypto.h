/*
 * hg_crypto.h — the pieces of OpenSSL's libcrypto both programs use:
 * SHA-256, HMAC-SHA-256, base64, wiping a secret and comparing one in
 * constant time. Each behaves as the libcrypto function it names.
 *
 * libcrypto is loaded on first use (hg_dl.h says why). The emulator calls
 * hg_crypto_load as soon as it listens, so a missing library is reported at
 * start-up and the load overlaps the first requests; anywhere else the
 * first call loads it. A call that cannot load it ends the process with
 * the loader's message: libcrypto is a dependency like any DT_NEEDED one,
 * only noticed later.
 */
#ifndef HG_CRYPTO_H
#define HG_CRYPTO_H

#include <stddef.h>

#include "hg_error.h"

#define HG_SHA256_LEN 32

/* Load libcrypto if not yet loaded: 0, or -1 with err naming the problem. */
int hg_crypto_load(hg_err *err);

void hg_sha256(const void *p, size_t n, unsigned char md[HG_SHA256_LEN]);
void hg_hmac_sha256(const void *key, size_t klen, const void *p, size_t n, unsigned char md[HG_SHA256_LEN]);

/* EVP_EncodeBlock: the base64 of in[0..n) and a NUL into out (room for
 * 4 * ((n + 2) / 3) + 1); returns the length without the NUL. */
int hg_base64_encode(unsigned char *out, const unsigned char *in, int n);
/* EVP_DecodeBlock: decodes in[0..n) (n a multiple of 4) into out (room for
 * n / 4 * 3); returns the bytes written, pad positions counted as zeros, or
 * -1 when in is not base64. */
int hg_base64_decode(unsigned char *out, const unsigned char *in, int n);

/* OPENSSL_cleanse: zero p[0..n) in a way the compiler cannot drop. */
void hg_cleanse(void *p, size_t n);
/* CRYPTO_memcmp: 0 when equal, in time that depends only on n. */
int hg_secret_cmp(const void *a, const void *b, size_t n);

#endif
