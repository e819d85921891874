/* hg_parse.c — see hg_parse.h. */
#include "hg_parse.h"

#include <string.h>

int hg_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    if (!s || len == 0) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10) return -1;       /* v*10+d would pass max */
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int hg_parse_u64z(const char *s, uint64_t max, uint64_t *out)
{
    return s ? hg_parse_u64(s, strlen(s), max, out) : -1;
}

int hg_parse_seconds(const char *s, double max, double *out)
{
    if (!s || !*s) return -1;
    double v = 0, scale = 0;
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '.' && scale == 0) { scale = 1; continue; }
        if (*p < '0' || *p > '9') return -1;
        digits++;
        if (scale == 0) v = v * 10 + (*p - '0');
        else { scale /= 10; v += (*p - '0') * scale; }
        if (digits > 15 || v > max) return -1;
    }
    if (digits == 0) return -1;
    *out = v;
    return 0;
}

char *hg_put_u64(char *p, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = digits[--n];
    return p;
}
