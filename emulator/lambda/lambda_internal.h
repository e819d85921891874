/*
 * lambda_internal.h — the Lambda service's internal umbrella header.
 *
 * Module map:
 *   service.c    REST-JSON glue: the route table (method + path pattern ->
 *                handler), path parameters, error rendering
 *                (x-amzn-ErrorType + {"Type":"User","message":...})
 *   function.c   function records: load/parse/name resolution (below)
 *   functions.c  control plane: Create/Get/List/Update/Delete, permissions
 *                (AddPermission/RemovePermission/GetPolicy), tags, concurrency
 *   invoke.c     Invoke (RequestResponse / Event / DryRun), lambda_invoke(),
 *                the async queue with retries, START/END/REPORT log lines
 *   pool.c       execution environments per function (hlua_env), warm reuse,
 *                bounded by reserved concurrency, idle reclaim
 * Storage is store/lambda_store.{h,c}; the Lua runtime is lua/hlua.h; logs
 * go to the CloudWatch Logs service through logs/logs.h.
 */
#ifndef LAMBDA_INTERNAL_H
#define LAMBDA_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "hg_error.h"
#include "http.h"
#include "lambda.h"
#include "store.h"

#define LAMBDA_MAX_PAYLOAD (6 * 1024 * 1024)   /* synchronous request and response */
#define LAMBDA_MAX_ASYNC_PAYLOAD (256 * 1024)  /* Event invocations */
#define LAMBDA_RUNTIME "lua5.4"

/* ---- function records (function.c) -------------------------------------- */

/* A function as stored: the public FunctionConfiguration (exactly what
 * GetFunctionConfiguration returns) plus private state. Values below are
 * borrowed views into config/priv. */
typedef struct lambda_fn {
    char        region[33];
    cJSON      *config;        /* owned: FunctionConfiguration */
    cJSON      *priv;          /* owned: {"code":{"kind":"zip"|"dir","dir":...}, "policy":{...},
                                  "tags":{...}, "reservedConcurrency":N} */
    const char *name, *arn, *handler, *revision_id, *code_sha256;
    double      timeout_s;     /* Timeout */
    int         memory_mb;     /* MemorySize */
    const cJSON *env_vars;     /* Environment.Variables or NULL */
    int         reserved_concurrency;   /* -1 when unset */
    const char *hot_dir;       /* folder for hot-reload functions, else NULL */
} lambda_fn;

/* Split a FunctionName parameter (name, "account:function:name", full ARN,
 * each optionally ":qualifier") into name and qualifier ("" if none).
 * InvalidParameterValueException / ValidationException on malformed input. */
int  lambda_parse_name(const char *in, char name[65], char qualifier[129], hg_err *err);
/* Load by FunctionName parameter: ResourceNotFoundException (404)
 * "Function not found: arn:aws:lambda:<region>:<account>:function:<name>" if missing. */
int  lambda_fn_load(hg_store *s, const char *region, const char *function, lambda_fn **out, hg_err *err);
void lambda_fn_free(lambda_fn *f);
/* A memo of permission decisions kept with the record, so a policy is
 * evaluated once per (principal, source ARN) and not per request: any
 * change of the stored policy makes a new record, which starts empty.
 * Thread-safe, bounded (the oldest grant goes). Only grants are kept. */
bool lambda_fn_granted(lambda_fn *f, const char *principal, const char *source_arn);
void lambda_fn_grant(lambda_fn *f, const char *principal, const char *source_arn);
/* A request may have changed function records: loads read storage again.
 * service.c calls it after every request but reads and invokes, once the
 * request's transaction has ended. */
void lambda_fn_changed(void);
/* The zip bytes of a zip-packaged function (malloc'd, caller frees). */
int  lambda_fn_code(hg_store *s, const lambda_fn *f, void **zip, size_t *len, hg_err *err);
/* arn:aws:lambda:<region>:<account>:function:<name> into buf. */
void lambda_fn_arn(const char *region, const char *name, char *buf, size_t cap);

/* ---- REST routes (service.c) ---------------------------------------------- */

typedef struct lambda_req {
    hg_request *http;
    const char *region;
    const char *account;
    char  function[256];       /* {FunctionName}, URL-decoded */
    char  statement_id[129];   /* {StatementId} */
    char  arn[512];            /* {ARN} of the tags routes */
    const char *qualifier;     /* ?Qualifier= or NULL */
    cJSON *body;               /* parsed JSON body, or NULL (Invoke reads http->body raw) */
} lambda_req;

typedef int (*lambda_route_fn)(lambda_req *r, hg_response *resp, hg_err *err);

/* A success body: JSON text of o (not consumed) with the given status. */
int lambda_reply_json(hg_response *resp, int status, const cJSON *o);

/* functions.c */
int lambda_op_create_function(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_get_function(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_get_function_configuration(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_list_functions(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_update_function_code(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_update_function_configuration(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_delete_function(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_add_permission(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_remove_permission(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_get_policy(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_tag_resource(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_list_tags(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_untag_resource(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_put_function_concurrency(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_get_function_concurrency(lambda_req *r, hg_response *resp, hg_err *err);
int lambda_op_delete_function_concurrency(lambda_req *r, hg_response *resp, hg_err *err);
/* invoke.c */
int lambda_op_invoke(lambda_req *r, hg_response *resp, hg_err *err);

/* ---- execution environments (pool.c) -------------------------------------- */

int  lambda_pool_init(hg_err *err);     /* starts the reaper of idle environments */
void lambda_pool_shutdown(void);        /* frees every environment */
/* Drop every environment of a function (its code or configuration changed,
 * or it was deleted); those in use are freed when returned. */
void lambda_pool_forget(const char *region, const char *name);

/* ---- the async queue (invoke.c) ------------------------------------------- */
int  lambda_async_init(hg_err *err);
void lambda_async_shutdown(void);

#endif
