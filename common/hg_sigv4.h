/*
 * hg_sigv4.h — reading AWS Signature Version 4 credentials off a request.
 * This issue only needs the credential scope (access key, date, region,
 * service) to place a request in a region; verification comes later.
 */
#ifndef HG_SIGV4_H
#define HG_SIGV4_H

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

#endif
