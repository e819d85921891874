/*
 * hg_crypto.h — the pieces of OpenSSL's libcrypto both programs use:
 * SHA-256, HMAC-SHA-256, base64, wiping a secret and comparing one in
 * constant time. Each behaves as the libcrypto function it names.
 *
 * libcrypto is loaded by the first call (hg_dl.h says why), which waits a
 * few milliseconds for it; the rest find it loaded. It is a dependency like
 * any the binary lists as needed, only loaded later: a call that cannot
 * load it ends the process as the dynamic loader would have at exec, with
 * its message and exit status 127. (Loading it right after the listening
 * line instead, to report a missing library at start-up, cost 0.7-0.8 ms
 * of the time to healthy: the load competes with the first requests.)
 */
#ifndef HG_CRYPTO_H
#define HG_CRYPTO_H

#include <stddef.h>

#define HG_SHA256_LEN 32

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
