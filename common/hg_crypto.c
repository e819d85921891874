/* hg_crypto.c — see hg_crypto.h. */
#include "hg_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
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

static pthread_once_t once = PTHREAD_ONCE_INIT;
static hg_err load_err;
static int loaded;

static void load(void)
{
    static const hg_dl_sym syms[] = {
#define SYM(f) { #f, (void **)&api.f },
        CRYPTO_FUNCTIONS(SYM)
#undef SYM
    };
    hg_err_clear(&load_err);
    loaded = hg_dl_open(HG_CRYPTO_SONAME, syms, sizeof syms / sizeof syms[0], &load_err) == 0;
}

/* Every wrapper goes through here: once loaded, one pthread_once check. */
static void need(void)
{
    pthread_once(&once, load);
    if (loaded) return;
    fprintf(stderr, "hangar: %s\n", load_err.message);
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
