/*
 * hg_sigv4.h — AWS Signature Version 4: reading the credential scope off a
 * request, and verifying a signature in either form AWS accepts:
 *   - header:  Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...
 *   - query:   ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...&X-Amz-Date=...
 *              &X-Amz-Expires=...&X-Amz-SignedHeaders=...&X-Amz-Signature=...  (presigned URL)
 *
 * The canonical request is built as every non-S3 service builds it: the
 * path as sent, dot segments and repeated slashes removed, then URI-encoded
 * once more (so a '%3A' on the wire is signed as '%253A', the "double
 * encoding" botocore applies); the query re-encoded and sorted by key then
 * value; the signed headers trimmed, inner runs of spaces collapsed and
 * repeated headers joined with ','; the payload hash from
 * x-amz-content-sha256 when sent, else the SHA-256 of the body. Clients that
 * sign the path without the second encoding (curl before 8.x) are accepted
 * too: both spellings come from the same secret, so neither is weaker.
 *
 * Nothing here allocates beyond the hg_buf the caller passes; every length
 * read from the request is checked against the fixed fields below.
 */
#ifndef HG_SIGV4_H
#define HG_SIGV4_H

#include <stddef.h>
#include <time.h>
#include "hg_buf.h"

#define HG_SIGV4_MAX_SKEW 900            /* seconds: AWS's 15-minute clock skew */
#define HG_SIGV4_MAX_EXPIRES 604800      /* seconds: a presigned URL lives at most 7 days */

typedef struct hg_sigv4_cred {
    char access_key[129];
    char date[9];          /* YYYYMMDD */
    char region[33];
    char service[33];
} hg_sigv4_cred;

/* Parse an `Authorization: AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request, ...`
 * header, or (with is_query) the value of a presigned URL's X-Amz-Credential.
 * Returns 0 when a well-formed credential scope was found, -1 otherwise.
 * Every field is length-checked and restricted to the characters AWS uses. */
int hg_sigv4_parse_credential(const char *value, int is_query, hg_sigv4_cred *out);

/* One request header as received (any case; duplicates allowed). Borrowed. */
typedef struct hg_sigv4_kv { const char *name; const char *value; } hg_sigv4_kv;

/* What verification needs of a request. Every pointer is borrowed. */
typedef struct hg_sigv4_msg {
    const char *method;
    const char *raw_path;         /* as sent, still percent-encoded, without the query */
    size_t      raw_path_len;
    const char *raw_query;        /* after '?', as sent; "" or NULL when none */
    const hg_sigv4_kv *headers;
    size_t      nheaders;
    const char *body;
    size_t      body_len;
} hg_sigv4_msg;

typedef enum hg_sigv4_status {
    HG_SIGV4_OK = 0,
    HG_SIGV4_MISSING,     /* neither an Authorization header nor X-Amz-Algorithm */
    HG_SIGV4_INCOMPLETE,  /* one of them, but a part is missing or malformed */
    HG_SIGV4_MISMATCH,    /* the signature is not the one the secret gives */
    HG_SIGV4_EXPIRED,     /* outside the clock skew, or past X-Amz-Expires */
} hg_sigv4_status;

/* The signature's parameters, read by hg_sigv4_parse. */
typedef struct hg_sigv4_auth {
    int           is_query;           /* presigned URL form */
    hg_sigv4_cred cred;
    char          amz_date[17];       /* YYYYMMDDTHHMMSSZ (from X-Amz-Date or Date) */
    char          signed_headers[1024];/* "host;x-amz-date", lower case, as sent */
    char          signature[65];      /* 64 lower-case hex digits */
    long          expires;            /* query form: X-Amz-Expires; else -1 */
} hg_sigv4_auth;

/* Read the signature's parameters off m. On failure returns MISSING or
 * INCOMPLETE and writes AWS's wording of the problem into why. */
hg_sigv4_status hg_sigv4_parse(const hg_sigv4_msg *m, hg_sigv4_auth *out, char *why, size_t why_cap);

/* Check a parsed signature against secret at time now. Returns OK, EXPIRED
 * or MISMATCH (why says which and, for EXPIRED, the times, as AWS does). */
hg_sigv4_status hg_sigv4_verify(const hg_sigv4_msg *m, const hg_sigv4_auth *a, const char *secret,
                                time_t now, char *why, size_t why_cap);

/* The pieces, public for tests and for clients that sign. */
/* Canonical request of m under a (double_encode: the second URI encoding of
 * the path). Appends to out; returns -1 when it does not fit or a signed
 * header is absent. */
int  hg_sigv4_canonical_request(const hg_sigv4_msg *m, const hg_sigv4_auth *a, int double_encode, hg_buf *out);
/* "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of canonical>", into out. */
int  hg_sigv4_string_to_sign(const hg_sigv4_auth *a, const char *canonical, size_t len, hg_buf *out);
/* hex HMAC-SHA256 of sts under the key derived from secret and a's scope. */
void hg_sigv4_signature(const char *secret, const hg_sigv4_cred *scope, const char *sts, size_t len,
                        char hex[65]);

#endif
