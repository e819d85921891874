/* hg_sigv4.c — see hg_sigv4.h. */
#include "hg_sigv4.h"

#include <ctype.h>
#include <string.h>

/* Copy s[0..n) into dst[cap] if it fits and every byte passes ok(). */
static int take(char *dst, size_t cap, const char *s, size_t n, int (*ok)(int))
{
    if (n == 0 || n >= cap) return -1;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i])) return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int key_char(int c) { return isalnum(c) || c == '_' || c == '-'; }
static int region_char(int c) { return islower(c) || isdigit(c) || c == '-'; }
static int digit_char(int c) { return isdigit(c); }

int hg_sigv4_parse_credential(const char *value, int is_query, hg_sigv4_cred *out)
{
    if (!value) return -1;
    const char *p = value;
    if (!is_query) {
        static const char scheme[] = "AWS4-HMAC-SHA256";
        if (strncmp(p, scheme, sizeof scheme - 1) != 0) return -1;
        p = strstr(p, "Credential=");
        if (!p) return -1;
        p += strlen("Credential=");
    }
    /* AK/DATE/REGION/SERVICE/aws4_request, terminated by ',' ' ' or NUL */
    const char *end = p + strcspn(p, ", ");
    const char *parts[5];
    size_t lens[5];
    int n = 0;
    const char *s = p;
    while (n < 5) {
        /* the fifth part runs to the end: "aws4_request/x" must not pass */
        const char *slash = n < 4 ? memchr(s, '/', (size_t)(end - s)) : NULL;
        const char *stop = slash ? slash : end;
        parts[n] = s;
        lens[n] = (size_t)(stop - s);
        n++;
        if (!slash) break;
        s = slash + 1;
    }
    if (n != 5 || lens[4] != strlen("aws4_request") || strncmp(parts[4], "aws4_request", lens[4]) != 0)
        return -1;
    if (take(out->access_key, sizeof out->access_key, parts[0], lens[0], key_char) ||
        take(out->date, sizeof out->date, parts[1], lens[1], digit_char) ||
        take(out->region, sizeof out->region, parts[2], lens[2], region_char) ||
        take(out->service, sizeof out->service, parts[3], lens[3], region_char))
        return -1;
    return 0;
}
