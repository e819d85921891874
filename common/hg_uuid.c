/* hg_uuid.c — see hg_uuid.h. */
#include "hg_uuid.h"
#include "hg_hex.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

void hg_random_bytes(void *out, size_t n)
{
    static _Thread_local uint64_t s[2];
    if (s[0] == 0 && s[1] == 0) {
        if (getrandom(s, sizeof s, 0) != (ssize_t)sizeof s || (s[0] == 0 && s[1] == 0)) {
            s[0] = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&s;
            s[1] = 0x9E3779B97F4A7C15ULL;
        }
    }
    unsigned char *p = out;
    while (n > 0) {                     /* xorshift128+ */
        uint64_t x = s[0], y = s[1];
        s[0] = y;
        x ^= x << 23;
        s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
        uint64_t r = s[1] + y;
        size_t k = n < 8 ? n : 8;
        memcpy(p, &r, k);
        p += k;
        n -= k;
    }
}

void hg_uuid4(char out[HG_UUID_LEN + 1])
{
    unsigned char b[16];
    hg_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    /* 8-4-4-4-12 digits; each group's NUL is overwritten by the next dash
     * (on every request: no printf) */
    static const unsigned char group[] = { 4, 2, 2, 2, 6 };
    const unsigned char *q = b;
    char *p = out;
    for (size_t g = 0; g < sizeof group; g++) {
        if (g) *p++ = '-';
        hg_hex(q, group[g], p);
        q += group[g];
        p += 2 * group[g];
    }
}
