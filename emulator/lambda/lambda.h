/*
 * lambda.h — Lambda's public in-process API, for other services (API
 * Gateway's proxy integration). Invokes go through the same path as the
 * HTTP Invoke operation: pool, sandbox, timeout, memory cap, logs.
 */
#ifndef HG_LAMBDA_H
#define HG_LAMBDA_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "hg_error.h"
#include "hg_json.h"
#include "hg_plain.h"

typedef struct lambda_invoke_result {
    int    status;            /* 200 RequestResponse, 202 Event, 204 DryRun */
    char  *payload;           /* malloc'd JSON (may be NULL for 202/204, or when tree is set) */
    cJSON *tree;              /* lambda_invoke_event only: a successful result as a tree instead of
                                 text, when it is made of scalars and flat objects (owned) */
    bool   taken;             /* lambda_invoke_event with a sink: the sink took the result (payload
                                 and tree NULL) */
    size_t payload_len;
    bool   function_error;    /* X-Amz-Function-Error: Unhandled */
    char  *log_tail;          /* malloc'd base64 of the last 4 KB of the log, when asked; else NULL */
} lambda_invoke_result;

/* function: name, ARN or partial ARN (a ":qualifier" suffix allowed);
 * invocation_type: "RequestResponse" (default when NULL), "Event", "DryRun".
 * Errors (err set, -1): ResourceNotFoundException, InvalidRequestContentException,
 * RequestEntityTooLargeException, TooManyRequestsException, ... */
int  lambda_invoke(const char *region, const char *function, const char *invocation_type,
                   const char *payload, size_t len, bool log_tail,
                   lambda_invoke_result *out, hg_err *err);
/* The same, stopping the handler after max_seconds when that is shorter
 * than the function's own Timeout (API Gateway's integration timeout:
 * the client gets its 504 on time instead of waiting for the function). */
int  lambda_invoke_within(const char *region, const char *function, const char *invocation_type,
                          const char *payload, size_t len, bool log_tail, double max_seconds,
                          lambda_invoke_result *out, hg_err *err);
/* A RequestResponse invoke of an event the caller writes (API Gateway's
 * proxy event): event->write builds it straight into the handler's Lua,
 * without a tree or JSON text in between, and may be stopped midway (see
 * hg_jw). The caller answers for its size (the 6 MB request limit is
 * checked on text only). A plain proxy response (hg_plain.h) goes to sink when
 * one is given (out->taken; the sink's max_size is capped at the 6 MB
 * response limit); any other result shaped like a proxy response comes
 * back as a tree, in out->tree (payload NULL); the 6 MB response limit
 * still holds exactly. */
int  lambda_invoke_event(const char *region, const char *function, const hg_jw_source *event,
                         double max_seconds, const hg_plain_sink *sink, lambda_invoke_result *out,
                         hg_err *err);
void lambda_invoke_result_release(lambda_invoke_result *r);

/* Does the function's resource policy (AddPermission statements) let
 * principal (e.g. "apigateway.amazonaws.com") invoke it from source_arn
 * (e.g. arn:aws:execute-api:us-east-1:000000000000:abc123defg/prod/GET/notes)?
 * Statements' Resource/Condition wildcards (ArnLike) are honoured.
 * 0 = allowed; 1 = not allowed, with why[] saying which permission is
 * missing; -1 = error (e.g. ResourceNotFoundException). */
int  lambda_permission_check(const char *region, const char *function, const char *principal,
                             const char *source_arn, char *why, size_t why_cap, hg_err *err);

#endif
