/*
 * apigw_invoke.h — the pieces of an API Gateway invocation, apart so unit
 * tests can drive each one with hand-built snapshots and requests:
 *
 *   matcher.c  which invoke URL form a request uses (API id, stage, path)
 *              and which deployed resource + method serves it
 *   event.c    the Lambda proxy (v1, REST API) event
 *   mapper.c   the Lambda proxy response contract, and MOCK integrations
 *   invoke.c   the glue: snapshot, permission check, lambda_invoke, errors,
 *              the gateway access log
 *
 * Everything here borrows its inputs; returned cJSON is new and the caller
 * frees it.
 */
#ifndef APIGW_INVOKE_H
#define APIGW_INVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "hg_error.h"
#include "hg_json.h"
#include "hg_plain.h"
#include "http.h"
#include "store.h"

#define APIGW_MAX_SEGMENTS 128       /* deeper paths match nothing */
#define APIGW_DEFAULT_TIMEOUT_MS 29000
/* Bodies up to this size reach Lambda as a written event: even base64'd (4/3)
 * with the largest headers the server accepts, the event stays under
 * Lambda's 6 MB request limit. Larger ones go as text, checked exactly. */
#define APIGW_TREE_EVENT_MAX_BODY (4 * 1024 * 1024)

/* ---- deploy.c: what a stage serves, shared ----------------------------------- */

/* A stage's snapshot as apigw_stage_snapshot gives it, with the API's
 * binaryMediaTypes, but read-only and shared: the parse is kept per thread
 * and reused without reading storage until apigw_objects_changed says a
 * management request may have changed something. Returns 0 with *view
 * (release it with apigw_stage_release); 1 when the API or stage does not
 * exist; -1 on error. */
typedef struct apigw_stage_view {
    const cJSON *resources;    /* the snapshot array */
    const cJSON *variables;    /* the stage's variables object, or NULL */
    const cJSON *binary_media_types;   /* the API's binaryMediaTypes array, or NULL */
    const char  *deployment_id;
    const struct apigw_routes *routes;   /* resources read for matching, or NULL (out of memory) */
} apigw_stage_view;
int  apigw_stage_acquire(hg_store *s, const char *region, const char *api_id, const char *stage,
                         const apigw_stage_view **view, hg_err *err);
void apigw_stage_release(const apigw_stage_view *view);   /* NULL is a no-op */
/* A management request may have written API Gateway objects: every
 * thread's stage views are read again. Called by service.c after any
 * request that is not a GET, once its transaction has ended. */
void apigw_objects_changed(void);

/* ---- matcher.c ------------------------------------------------------------ */

/* Where an invoke URL points. path borrows from the request path: the part
 * after the stage, "" or starting with '/'. */
typedef struct apigw_target {
    char        api_id[64];
    char        stage[129];
    const char *path;
} apigw_target;

/* Parse the three invoke URL forms:
 *   /restapis/{id}/{stage}/_user_request_/{path}
 *   /_aws/execute-api/{id}/{stage}/{path}
 *   Host {id}.execute-api.<anything>  with path /{stage}/{path}
 * host may be NULL. Returns 1 and fills t when the request is an invocation
 * (t->stage may be "" when the URL names none), else 0. */
int apigw_parse_target(const char *path, const char *host, apigw_target *t);

typedef struct apigw_match {
    const cJSON *resource;     /* borrowed from the snapshot */
    const cJSON *method;       /* borrowed: the Method object serving the request */
    cJSON       *path_params;  /* new object, or NULL when the resource has no {param} */
} apigw_match;

/* Match method + path (as received, "" meaning "/") against a snapshot
 * (array of Resource objects). Per segment a literal child beats {param},
 * which beats {proxy+} (greedy, one segment or more); when a branch fails
 * deeper, the next candidate is tried. On the resource found, the exact
 * method beats ANY. Returns 0 matched (release with apigw_match_release),
 * 1 no resource, 2 resource without the method; -1 out of memory. */
int  apigw_match_route(const cJSON *resources, const char *method, const char *path, apigw_match *m);
void apigw_match_release(apigw_match *m);

/* The same match over a snapshot read once into C (made once per stage
 * view: see apigw_stage_view.routes). routes borrows from resources, which
 * must outlive it and not change. new: NULL on out of memory. */
typedef struct apigw_routes apigw_routes;
apigw_routes *apigw_routes_new(const cJSON *resources);
void apigw_routes_free(apigw_routes *routes);      /* NULL is a no-op */
int  apigw_match_routes(const apigw_routes *routes, const char *method, const char *path, apigw_match *m);

/* ---- event.c -------------------------------------------------------------- */

/* A header or query argument of the request (both borrowed from it). */
typedef struct apigw_kv { const char *name, *value; } apigw_kv;

/* What the event needs made before it is written: a writer may leave
 * apigw_event_write by a longjmp (Lua's out of memory), so writing itself
 * allocates nothing. Filled by apigw_event_prepare, freed by
 * apigw_event_release. */
typedef struct apigw_event_parts {
    apigw_kv *headers, *query;      /* in arrival order, duplicates included */
    size_t    nheaders, nquery;
    char     *stage_path;           /* "/{stage}{path}" */
    char     *body_b64;             /* a binary body as base64; NULL when it goes as text */
} apigw_event_parts;

/* Everything about one invocation that the proxy event shows. */
typedef struct apigw_call {
    const hg_request *req;          /* method, headers, query, body, peer */
    const char  *api_id, *stage;
    const char  *path;              /* after the stage: "/notes/1" ("/" when empty) */
    const cJSON *resource;          /* matched Resource: id, path */
    const cJSON *path_params;       /* object or NULL */
    const cJSON *stage_variables;   /* object or NULL */
    const cJSON *binary_media_types;/* array of strings or NULL */
    const char  *account, *region;
    const char  *domain_name;       /* Host header, or "localhost" */
    double       now;               /* epoch seconds */
    /* An AWS_IAM method's signer (else NULL): the access key of the
     * signature, and the caller's ARN and principal id. */
    const char  *iam_access_key, *iam_user_arn, *iam_user_id;
    apigw_event_parts parts;
} apigw_call;

/* The v1 proxy event, written straight into what the handler reads (no
 * tree in between): prepare, write (an hg_jw_source's write, ctx the call)
 * any number of times, release. Writing borrows strings from c (the
 * request, its body, the resource, the names). prepare: 0, or -1 on out
 * of memory (nothing to release). */
int  apigw_event_prepare(apigw_call *c);
void apigw_event_write(hg_jw *w, const void *call);
void apigw_event_release(apigw_call *c);
/* The same event as a cJSON tree (prepared, written and released here).
 * NULL on out of memory. It borrows nothing: delete it when done. */
cJSON *apigw_event_new(const apigw_call *c);

/* "28/Nov/2026:08:00:00 +0000" for epoch seconds t. */
void apigw_request_time(double t, char out[32]);
/* Does content_type (parameters ignored) match one of the binary media
 * types ("image/png", "image/ *", "* / *" without the spaces)? */
bool apigw_is_binary_type(const char *content_type, const cJSON *binary_media_types);
/* Is s[0..len) valid UTF-8 without NUL bytes? */
bool apigw_valid_utf8(const char *s, size_t len);

/* ---- mapper.c ------------------------------------------------------------- */

/* Map a Lambda proxy result onto resp (initialised by the caller). Returns 0;
 * -1 when the result breaks the contract, with why[] saying how — the
 * caller answers 502 and resp must be reset. */
int apigw_map_proxy_response(const char *payload, size_t len, hg_response *resp,
                             char *why, size_t why_cap);
/* The same for a result the function handed back as a tree (borrowed). */
int apigw_map_proxy_tree(const cJSON *result, hg_response *resp, char *why, size_t why_cap);

/* The same for a plain result seen in place in the handler's Lua
 * (hg_plain_response: valid by construction, so only sending a header or
 * the body can fail, with the tree mapper's words). */
int apigw_map_plain_response(const hg_plain_response *r, hg_response *resp, char *why, size_t why_cap);

/* A sink (lambda_invoke_event) that maps a plain result onto resp while the
 * handler's Lua still holds it: no tree, no text. rc is the mapping's
 * result once the invoke says the result was taken. */
typedef struct apigw_plain_sink {
    hg_plain_sink sink;
    hg_response *resp;
    char        *why;
    size_t       why_cap;
    int          rc;
} apigw_plain_sink;
void apigw_plain_sink_init(apigw_plain_sink *ps, hg_response *resp, char *why, size_t why_cap);

/* Serve a MOCK integration: the request template's statusCode selects the
 * integration response (selectionPattern, else the default), which gives
 * status, headers (responseParameters 'literals') and body (responseTemplates).
 * Returns 0; -1 with why[] when the integration cannot answer (caller: 500). */
int apigw_mock_response(const cJSON *method, const hg_request *req, hg_response *resp,
                        char *why, size_t why_cap);

/* Set an API Gateway-shaped error: {"message": msg} and x-amzn-ErrorType. */
void apigw_error(hg_response *resp, int status, const char *error_type, const char *msg);

#endif
