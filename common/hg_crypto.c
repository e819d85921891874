/* hg_crypto.c — see hg_crypto.h. */
#include "hg_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <unistd.h>

#include "hg_dl.h"

#ifndef HG_CRYPTO_SONAME
#error "HG_CRYPTO_SONAME (libcrypto's soname) comes from CMakeLists.txt"
#endif

/* The libcrypto functions used, each typed as its header declares it. */
#define CRYPTO_FUNCTIONS(X) \
    X(SHA256) X(HMAC) X(EVP_sha256) X(EVP_EncodeBlock) X(EVP_DecodeBlock) X(OPENSSL_cleanse) X(CRYPTO_memcmp)

static struct {
#define FIELD(f) __typeof__(f) *f;
    CRYPTO_FUNCTIONS(FIELD)
#undef FIELD
} api;

static const hg_dl_sym syms[] = {
#define SYM(f) { #f, (void **)&api.f },
    CRYPTO_FUNCTIONS(SYM)
#undef SYM
};
static hg_dl_lib libcrypto = HG_DL_LIB(HG_CRYPTO_SONAME, syms);

/* Every wrapper goes through here: once loaded, one atomic load. */
static void need(void)
{
    if (hg_dl_load(&libcrypto, NULL) == 0) return;
    fprintf(stderr, "hangar: %s\n", libcrypto.err.message);
    _exit(127);
}

void hg_sha256(const void *p, size_t n, unsigned char md[HG_SHA256_LEN])
{
    need();
    api.SHA256(p, n, md);
}

void hg_hmac_sha256(const void *key, size_t klen, const void *p, size_t n, unsigned char md[HG_SHA256_LEN])
{
    need();
    unsigned int mdlen = HG_SHA256_LEN;
    api.HMAC(api.EVP_sha256(), key, (int)klen, p, n, md, &mdlen);
}

int hg_base64_encode(unsigned char *out, const unsigned char *in, int n)
{
    need();
    return api.EVP_EncodeBlock(out, in, n);
}

int hg_base64_decode(unsigned char *out, const unsigned char *in, int n)
{
    need();
    return api.EVP_DecodeBlock(out, in, n);
}

void hg_cleanse(void *p, size_t n)
{
    need();
    api.OPENSSL_cleanse(p, n);
}

int hg_secret_cmp(const void *a, const void *b, size_t n)
{
    need();
    return api.CRYPTO_memcmp(a, b, n);
}
