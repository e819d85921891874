/* hg_sigv4.c — see hg_sigv4.h. */
#include "hg_sigv4.h"
#include "hg_crypto.h"
#include "hg_hex.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- verification --------------------------------------------------------- */

#define CR_CAP (256u * 1024)     /* a canonical request larger than this is refused */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int unreserved(int c) { return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~'; }

/* Append s[0..n) URI-encoded as SigV4 wants (RFC 3986 unreserved kept,
 * upper-case hex); keep_slash leaves '/' alone (paths). */
static int put_encoded(hg_buf *out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            if (hg_buf_putc(out, (char)c) != 0) return -1;
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            if (hg_buf_append(out, e, 3) != 0) return -1;
        }
    }
    return 0;
}

/* Percent-decode s[0..n) into out; a bad escape is kept literally, as AWS does. */
static int put_decoded(hg_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            c = hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]);
            i += 2;
        }
        if (hg_buf_putc(out, (char)c) != 0) return -1;
    }
    return 0;
}

/* The path with "." and ".." segments and empty segments removed, keeping
 * a leading and (when anything is left) a trailing slash. */
static int normalize_path(const char *p, size_t n, hg_buf *out)
{
    if (n == 0) return hg_buf_putc(out, '/');
    size_t stack[256];          /* offsets into out where each kept segment starts */
    int depth = 0;
    if (hg_buf_putc(out, '/') != 0) return -1;
    size_t i = 0;
    while (i < n) {
        while (i < n && p[i] == '/') i++;
        size_t s = i;
        while (i < n && p[i] != '/') i++;
        size_t len = i - s;
        if (len == 0 || (len == 1 && p[s] == '.')) continue;
        if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
            if (depth > 0) out->len = stack[--depth];
            continue;
        }
        if (depth == (int)(sizeof stack / sizeof stack[0])) return -1;
        stack[depth++] = out->len;
        if (out->len > 1 && hg_buf_putc(out, '/') != 0) return -1;
        if (hg_buf_append(out, p + s, len) != 0) return -1;
    }
    if (p[n - 1] == '/' && out->len > 1 && hg_buf_putc(out, '/') != 0) return -1;
    if (out->data) out->data[out->len] = '\0';
    return 0;
}

typedef struct qparam { const char *k; size_t kn; const char *v; size_t vn; } qparam;

#define MAX_QPARAMS 128

/* Split a raw query into params (borrowed slices). -1 when there are too many. */
static int split_query(const char *q, qparam *ps, int *np)
{
    *np = 0;
    if (!q) return 0;
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n > 0) {
            if (*np == MAX_QPARAMS) return -1;
            const char *eq = memchr(q, '=', n);
            qparam *p = &ps[(*np)++];
            p->k = q;
            p->kn = eq ? (size_t)(eq - q) : n;
            p->v = eq ? eq + 1 : q + n;
            p->vn = eq ? n - p->kn - 1 : 0;
        }
        q += n;
        if (*q == '&') q++;
    }
    return 0;
}

/* Decoded value of the first query param named name (case-sensitive, as AWS). */
static int query_value(const char *raw_query, const char *name, char *out, size_t cap)
{
    qparam ps[MAX_QPARAMS];
    int np;
    if (split_query(raw_query, ps, &np) != 0) return -1;
    for (int i = 0; i < np; i++) {
        if (ps[i].kn != strlen(name) || strncmp(ps[i].k, name, ps[i].kn) != 0) continue;
        hg_buf b;
        hg_buf_init(&b, cap - 1);
        int rc = put_decoded(&b, ps[i].v, ps[i].vn);
        if (rc == 0) snprintf(out, cap, "%s", hg_buf_cstr(&b));
        hg_buf_release(&b);
        return rc;
    }
    return -1;
}

static const char *header(const hg_sigv4_msg *m, const char *name)
{
    for (size_t i = 0; i < m->nheaders; i++)
        if (strcasecmp(m->headers[i].name, name) == 0) return m->headers[i].value;
    return NULL;
}

typedef struct enc_param { hg_buf k, v; } enc_param;

static int cmp_param(const void *a, const void *b)
{
    const enc_param *x = a, *y = b;
    int c = strcmp(hg_buf_cstr(&x->k), hg_buf_cstr(&y->k));
    return c ? c : strcmp(hg_buf_cstr(&x->v), hg_buf_cstr(&y->v));
}

/* Each param decoded then encoded again (so either spelling signs the same),
 * sorted by key then value; X-Amz-Signature left out of a presigned URL's. */
static int canonical_query(const char *raw_query, int is_query, hg_buf *out)
{
    qparam ps[MAX_QPARAMS];
    int np;
    if (split_query(raw_query, ps, &np) != 0) return -1;
    enc_param *e = calloc((size_t)np + 1, sizeof *e);
    if (!e) return -1;
    int ne = 0, rc = 0;
    hg_buf tmp;
    hg_buf_init(&tmp, CR_CAP);
    for (int i = 0; i < np && rc == 0; i++) {
        if (is_query && ps[i].kn == 15 && strncmp(ps[i].k, "X-Amz-Signature", 15) == 0) continue;
        enc_param *p = &e[ne++];
        hg_buf_init(&p->k, CR_CAP);
        hg_buf_init(&p->v, CR_CAP);
        hg_buf_reset(&tmp);
        rc |= put_decoded(&tmp, ps[i].k, ps[i].kn);
        rc |= put_encoded(&p->k, hg_buf_cstr(&tmp), tmp.len, 0);
        hg_buf_reset(&tmp);
        rc |= put_decoded(&tmp, ps[i].v, ps[i].vn);
        rc |= put_encoded(&p->v, hg_buf_cstr(&tmp), tmp.len, 0);
        rc |= hg_buf_putc(&p->k, '\0');          /* make cstr valid even when empty */
        p->k.len--;
        rc |= hg_buf_putc(&p->v, '\0');
        p->v.len--;
    }
    if (rc == 0) qsort(e, (size_t)ne, sizeof *e, cmp_param);
    for (int i = 0; i < ne; i++) {
        if (rc == 0 && i > 0) rc |= hg_buf_putc(out, '&');
        if (rc == 0) rc |= hg_buf_append(out, e[i].k.data, e[i].k.len);
        if (rc == 0) rc |= hg_buf_putc(out, '=');
        if (rc == 0) rc |= hg_buf_append(out, e[i].v.data, e[i].v.len);
        hg_buf_release(&e[i].k);
        hg_buf_release(&e[i].v);
    }
    hg_buf_release(&tmp);
    free(e);
    return rc ? -1 : 0;
}

/* Append a header value trimmed, inner runs of spaces collapsed to one. */
static int put_trimmed(hg_buf *out, const char *v)
{
    while (*v == ' ' || *v == '\t') v++;
    int space = 0;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t') { space = 1; continue; }
        if (space && hg_buf_putc(out, ' ') != 0) return -1;
        space = 0;
        if (hg_buf_putc(out, *v) != 0) return -1;
    }
    return 0;
}

static void sha256_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[HG_SHA256_LEN];
    hg_sha256(p, n, md);
    hg_hex(md, sizeof md, hex);
}

int hg_sigv4_canonical_request(const hg_sigv4_msg *m, const hg_sigv4_auth *a, int double_encode, hg_buf *out)
{
    if (hg_buf_puts(out, m->method) != 0 || hg_buf_putc(out, '\n') != 0) return -1;
    hg_buf path;
    hg_buf_init(&path, CR_CAP);
    int rc = normalize_path(m->raw_path ? m->raw_path : "/", m->raw_path ? m->raw_path_len : 1, &path);
    if (rc == 0) rc = double_encode ? put_encoded(out, path.data, path.len, 1)
                                    : hg_buf_append(out, path.data, path.len);
    hg_buf_release(&path);
    if (rc != 0 || hg_buf_putc(out, '\n') != 0) return -1;
    if (canonical_query(m->raw_query, a->is_query, out) != 0 || hg_buf_putc(out, '\n') != 0) return -1;
    /* signed headers: each name, then every value it was sent with */
    const char *sh = a->signed_headers;
    while (*sh) {
        size_t n = strcspn(sh, ";");
        int found = 0;
        if (hg_buf_append(out, sh, n) != 0 || hg_buf_putc(out, ':') != 0) return -1;
        for (size_t i = 0; i < m->nheaders; i++) {
            if (strlen(m->headers[i].name) != n || strncasecmp(m->headers[i].name, sh, n) != 0) continue;
            if (found++ && hg_buf_putc(out, ',') != 0) return -1;
            if (put_trimmed(out, m->headers[i].value) != 0) return -1;
        }
        if (!found) return -1;
        if (hg_buf_putc(out, '\n') != 0) return -1;
        sh += n;
        if (*sh == ';') sh++;
    }
    if (hg_buf_putc(out, '\n') != 0 || hg_buf_puts(out, a->signed_headers) != 0 || hg_buf_putc(out, '\n') != 0)
        return -1;
    const char *declared = header(m, "x-amz-content-sha256");
    char hex[65];
    if (declared) return hg_buf_puts(out, declared);
    sha256_hex(m->body ? m->body : "", m->body_len, hex);
    return hg_buf_puts(out, hex);
}

int hg_sigv4_string_to_sign(const hg_sigv4_auth *a, const char *canonical, size_t len, hg_buf *out)
{
    char hex[65];
    sha256_hex(canonical, len, hex);
    return hg_buf_printf(out, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", a->amz_date, a->cred.date,
                         a->cred.region, a->cred.service, hex);
}

void hg_sigv4_signature(const char *secret, const hg_sigv4_cred *scope, const char *sts, size_t len,
                        char hex[65])
{
    char k0[200];
    int kn = snprintf(k0, sizeof k0, "AWS4%s", secret);
    if (kn < 0 || (size_t)kn >= sizeof k0) kn = (int)sizeof k0 - 1;   /* secrets are 40 chars; never here */
    unsigned char k[32];
    hg_hmac_sha256(k0, (size_t)kn, scope->date, strlen(scope->date), k);
    hg_hmac_sha256(k, 32, scope->region, strlen(scope->region), k);
    hg_hmac_sha256(k, 32, scope->service, strlen(scope->service), k);
    hg_hmac_sha256(k, 32, "aws4_request", 12, k);
    unsigned char sig[32];
    hg_hmac_sha256(k, 32, sts, len, sig);
    hg_hex(sig, sizeof sig, hex);
    hg_cleanse(k, sizeof k);
    hg_cleanse(k0, sizeof k0);
}

static int why(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why(char *buf, size_t cap, const char *fmt, ...)
{
    if (buf && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, cap, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* "20150830T123600Z" -> time; -1 when malformed. */
static int parse_amz_date(const char *s, time_t *out)
{
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
    for (int i = 0; i < 15; i++)
        if (i != 8 && !isdigit((unsigned char)s[i])) return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
    tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
    tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
    tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
    tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
    tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    *out = timegm(&tm);
    return 0;
}

static void format_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Find "Name=" in an Authorization header's comma-separated list; copy its value. */
static int auth_param(const char *auth, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = auth + strlen("AWS4-HMAC-SHA256");
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ",");
        if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vn = n - nl - 1;
            while (vn > 0 && p[nl + vn] == ' ') vn--;        /* trailing blanks */
            if (vn == 0 || vn >= cap) return -1;
            memcpy(out, p + nl + 1, vn);
            out[vn] = '\0';
            return 0;
        }
        p += n;
    }
    return -1;
}

static int valid_signed_headers(const char *s)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == ';' || *p == '_'))
            return 0;
    /* host must be signed, as AWS insists */
    for (const char *p = s; *p; ) {
        size_t n = strcspn(p, ";");
        if (n == 4 && strncmp(p, "host", 4) == 0) return 1;
        p += n;
        if (*p) p++;
    }
    return 0;
}

static int valid_signature(const char *s)
{
    if (strlen(s) != 64) return 0;
    for (const char *p = s; *p; p++)
        if (!isxdigit((unsigned char)*p)) return 0;
    return 1;
}

hg_sigv4_status hg_sigv4_parse(const hg_sigv4_msg *m, hg_sigv4_auth *a, char *w, size_t wcap)
{
    memset(a, 0, sizeof *a);
    a->expires = -1;
    const char *auth = header(m, "Authorization");
    char alg[32];
    int has_query = query_value(m->raw_query, "X-Amz-Algorithm", alg, sizeof alg) == 0;
    if (!auth && !has_query)
        return why(w, wcap, "Request is missing Authentication Token"), HG_SIGV4_MISSING;
    if (auth) {
        if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0)
            return why(w, wcap, "Authorization header requires the AWS4-HMAC-SHA256 algorithm"), HG_SIGV4_INCOMPLETE;
        char cred[400];
        int missing_cred = auth_param(auth, "Credential", cred, sizeof cred) != 0;
        int missing_sh = auth_param(auth, "SignedHeaders", a->signed_headers, sizeof a->signed_headers) != 0;
        int missing_sig = auth_param(auth, "Signature", a->signature, sizeof a->signature) != 0;
        if (missing_cred || missing_sh || missing_sig) {
            why(w, wcap, "%s%s%sAuthorization=%.200s", missing_cred ? "Authorization header requires 'Credential' parameter. " : "",
                missing_sig ? "Authorization header requires 'Signature' parameter. " : "",
                missing_sh ? "Authorization header requires 'SignedHeaders' parameter. " : "", auth);
            return HG_SIGV4_INCOMPLETE;
        }
        if (hg_sigv4_parse_credential(cred, 1, &a->cred) != 0)
            return why(w, wcap, "Credential should be scoped to a valid region, not a malformed scope: '%.200s'", cred),
                   HG_SIGV4_INCOMPLETE;
    } else {
        a->is_query = 1;
        char cred[400], exp[24];
        if (strcmp(alg, "AWS4-HMAC-SHA256") != 0)
            return why(w, wcap, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""), HG_SIGV4_INCOMPLETE;
        int bad = 0;
        const char *what = "";
        if (query_value(m->raw_query, "X-Amz-Credential", cred, sizeof cred) != 0) bad = 1, what = "X-Amz-Credential";
        else if (query_value(m->raw_query, "X-Amz-SignedHeaders", a->signed_headers, sizeof a->signed_headers) != 0)
            bad = 1, what = "X-Amz-SignedHeaders";
        else if (query_value(m->raw_query, "X-Amz-Signature", a->signature, sizeof a->signature) != 0)
            bad = 1, what = "X-Amz-Signature";
        else if (query_value(m->raw_query, "X-Amz-Date", a->amz_date, sizeof a->amz_date) != 0)
            bad = 1, what = "X-Amz-Date";
        if (bad)
            return why(w, wcap, "AWS query-string parameters must include '%s'. Re-examine the query-string parameters.",
                       what), HG_SIGV4_INCOMPLETE;
        if (hg_sigv4_parse_credential(cred, 1, &a->cred) != 0)
            return why(w, wcap, "Credential should be scoped to a valid region, not a malformed scope: '%.200s'", cred),
                   HG_SIGV4_INCOMPLETE;
        if (query_value(m->raw_query, "X-Amz-Expires", exp, sizeof exp) == 0) {
            char *end;
            long e = strtol(exp, &end, 10);
            if (*end || end == exp || e < 0 || e > HG_SIGV4_MAX_EXPIRES)
                return why(w, wcap, "X-Amz-Expires must be between 0 and %d seconds", HG_SIGV4_MAX_EXPIRES),
                       HG_SIGV4_INCOMPLETE;
            a->expires = e;
        } else {
            a->expires = HG_SIGV4_MAX_EXPIRES;
        }
    }
    if (!valid_signed_headers(a->signed_headers))
        return why(w, wcap, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
               HG_SIGV4_INCOMPLETE;
    if (!valid_signature(a->signature))
        return why(w, wcap, "The signature must be 64 hexadecimal digits"), HG_SIGV4_INCOMPLETE;
    for (char *p = a->signature; *p; p++) *p = (char)tolower((unsigned char)*p);
    if (!a->is_query) {
        const char *d = header(m, "X-Amz-Date");
        time_t t;
        if (d) {
            if (strlen(d) >= sizeof a->amz_date) return why(w, wcap, "Date must be in ISO-8601 'basic format'. Got '%.40s'. See http://en.wikipedia.org/wiki/ISO_8601", d), HG_SIGV4_INCOMPLETE;
            strcpy(a->amz_date, d);
        } else if ((d = header(m, "Date")) != NULL) {
            struct tm tm;
            memset(&tm, 0, sizeof tm);
            const char *end = strptime(d, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            if (!end || *end) return why(w, wcap, "Date must be in RFC 1123 format. Got '%.40s'", d), HG_SIGV4_INCOMPLETE;
            format_amz_date(timegm(&tm), a->amz_date);
        } else {
            return why(w, wcap, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                       "Authorization=%.200s", auth), HG_SIGV4_INCOMPLETE;
        }
        if (parse_amz_date(a->amz_date, &t) != 0)
            return why(w, wcap, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601",
                       a->amz_date), HG_SIGV4_INCOMPLETE;
    } else {
        time_t t;
        if (parse_amz_date(a->amz_date, &t) != 0)
            return why(w, wcap, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""),
                   HG_SIGV4_INCOMPLETE;
    }
    return HG_SIGV4_OK;
}

static const char mismatch_msg[] =
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

hg_sigv4_status hg_sigv4_verify(const hg_sigv4_msg *m, const hg_sigv4_auth *a, const char *secret,
                                time_t now, char *w, size_t wcap)
{
    time_t t;
    if (parse_amz_date(a->amz_date, &t) != 0)
        return why(w, wcap, "Date must be in ISO-8601 'basic format'"), HG_SIGV4_MISMATCH;
    char d_req[17], d_lim[17], d_now[17];
    format_amz_date(now, d_now);
    if (a->is_query) {
        if (now > t + a->expires) {
            format_amz_date(t, d_req);
            format_amz_date(t + a->expires, d_lim);
            return why(w, wcap, "Signature expired: %s is now earlier than %s (%s + %ld sec.)", d_lim, d_now, d_req,
                       a->expires), HG_SIGV4_EXPIRED;
        }
        if (t > now + HG_SIGV4_MAX_SKEW) {
            format_amz_date(now + HG_SIGV4_MAX_SKEW, d_lim);
            return why(w, wcap, "Signature not yet current: %s is still later than %s (%s + 15 min.)", a->amz_date,
                       d_lim, d_now), HG_SIGV4_EXPIRED;
        }
    } else if (t < now - HG_SIGV4_MAX_SKEW) {
        format_amz_date(now - HG_SIGV4_MAX_SKEW, d_lim);
        return why(w, wcap, "Signature expired: %s is now earlier than %s (%s - 15 min.)", a->amz_date, d_lim, d_now),
               HG_SIGV4_EXPIRED;
    } else if (t > now + HG_SIGV4_MAX_SKEW) {
        format_amz_date(now + HG_SIGV4_MAX_SKEW, d_lim);
        return why(w, wcap, "Signature not yet current: %s is still later than %s (%s + 15 min.)", a->amz_date,
                   d_lim, d_now), HG_SIGV4_EXPIRED;
    }
    if (strncmp(a->amz_date, a->cred.date, 8) != 0)
        return why(w, wcap, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                   "'%s' != '%.8s', from '%s'.", a->cred.date, a->amz_date, a->amz_date), HG_SIGV4_MISMATCH;
    /* a declared payload hash must be the body's, or the body could be swapped under a valid signature */
    const char *declared = header(m, "x-amz-content-sha256");
    if (declared && strcmp(declared, "UNSIGNED-PAYLOAD") != 0) {
        char hex[65];
        sha256_hex(m->body ? m->body : "", m->body_len, hex);
        if (strcasecmp(declared, hex) != 0)
            return why(w, wcap, "The provided 'x-amz-content-sha256' header does not match what was computed."),
                   HG_SIGV4_MISMATCH;
    }
    for (int enc = 1; enc >= 0; enc--) {
        hg_buf cr, sts;
        hg_buf_init(&cr, CR_CAP);
        hg_buf_init(&sts, 1024);
        char sig[65] = "";
        int ok = hg_sigv4_canonical_request(m, a, enc, &cr) == 0 &&
                 hg_sigv4_string_to_sign(a, hg_buf_cstr(&cr), cr.len, &sts) == 0;
        if (ok) hg_sigv4_signature(secret, &a->cred, hg_buf_cstr(&sts), sts.len, sig);
        hg_buf_release(&cr);
        hg_buf_release(&sts);
        if (ok && hg_secret_cmp(sig, a->signature, 64) == 0) return HG_SIGV4_OK;
    }
    why(w, wcap, "%s", mismatch_msg);
    return HG_SIGV4_MISMATCH;
}
