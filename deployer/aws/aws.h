/*
 * aws.h — the deployer's AWS client: libcurl with CURLOPT_AWS_SIGV4 signing,
 * retries with backoff for transient failures, and error decoding into an
 * hg_err (code = the AWS error name, message = AWS's message).
 *
 * The deployer never links emulator code: everything goes over HTTP, so it
 * works against any AWS-compatible endpoint.
 *
 * Threads: an aws_client is shared by the engine's worker threads; each
 * thread uses its own CURL easy handle (created on first use), so calls may
 * run in parallel without locking.
 */
#ifndef HG_AWS_H
#define HG_AWS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "hg_error.h"

typedef struct aws_client aws_client;

typedef struct aws_config {
    const char *endpoint;        /* e.g. http://127.0.0.1:4566 (copied) */
    const char *region;          /* e.g. us-east-1 (copied) */
    const char *access_key;      /* default "test" */
    const char *secret_key;      /* default "test" */
    const char *session_token;   /* NULL if none */
    int         max_retries;     /* transient failures (5xx, throttling, connection): default 4 */
} aws_config;

/* Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, else
 * the shared credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
 * profile AWS_PROFILE or "default"), else test/test. Fills cfg's key members
 * with static or process-lifetime strings. */
void aws_config_credentials(aws_config *cfg);

aws_client *aws_client_new(const aws_config *cfg, hg_err *err);
void        aws_client_free(aws_client *c);
const char *aws_client_region(const aws_client *c);
const char *aws_client_endpoint(const aws_client *c);

/* The error code of a call that is not safe to repeat (a create whose
 * object AWS names, such as CreateRestApi) when its answer was lost after
 * the request may have arrived: it may or may not have happened, and the
 * caller finds out by reading back (err->status 503). */
#define AWS_OUTCOME_UNKNOWN "RequestOutcomeUnknown"

/* JSON protocols (DynamoDB 1.0, Logs 1.1, ...): POST / with X-Amz-Target.
 * On success *out is the parsed response object (new; caller frees).
 * On failure err carries the HTTP status, AWS code and message. */
int aws_json_call(aws_client *c, const char *service, const char *target, const char *json_version,
                  const cJSON *body, cJSON **out, hg_err *err);

/* REST-JSON protocols (Lambda, API Gateway): method + path (already
 * URL-encoded) + optional query, JSON body (NULL = none). 404s and other
 * errors come back as hg_err (err->status is the HTTP status). *out may be
 * NULL for empty bodies (204). */
int aws_rest_call(aws_client *c, const char *service, const char *method, const char *path,
                  const char *query, const cJSON *body, cJSON **out, hg_err *err);

/* The same with a raw body (e.g. PutRestApi's OpenAPI document): body may be
 * NULL (no body); content_type is sent with a body. */
int aws_rest_raw_call(aws_client *c, const char *service, const char *method, const char *path,
                      const char *query, const char *body, size_t body_len, const char *content_type,
                      cJSON **out, hg_err *err);

/* Query protocol (IAM, STS): Action + form parameters; the XML response is
 * returned as text (new; caller frees) for the caller to pick fields from. */
int aws_query_call(aws_client *c, const char *service, const char *action, const char *version,
                   const char *const *params /* name, value, ..., NULL */, char **xml, hg_err *err);

/* Percent-encode one path segment (RFC 3986 unreserved kept). New string. */
char *aws_url_encode(const char *s);

#endif
