/*
 * service.c — Lambda's REST-JSON glue.
 *
 * The route table below is the whole surface: method + path pattern ->
 * handler. One matcher walks the path segment by segment, URL-decoding the
 * {FunctionName} / {StatementId} / {ARN} segments into fixed buffers with
 * their lengths checked; then the JSON body (every route but Invoke, whose
 * body is the raw payload) is parsed once, and the handler runs. Errors are
 * rendered in one place, the way Lambda sends them: the status, header
 * x-amzn-ErrorType: <Code> (where botocore's rest-json parser reads the code)
 * and body {"Type":"User"|"Service","message":...}.
 */
#include "lambda_internal.h"

#include <stdio.h>
#include <string.h>
#include "hg_json.h"
#include "auth.h"
#include "config.h"
#include "service.h"

enum route_param { P_NONE, P_FUNCTION, P_STATEMENT, P_ARN };

typedef struct lambda_route {
    const char *method;
    const char *pattern;        /* literal segments and {Param} segments */
    const char *operation;      /* for the access log */
    lambda_route_fn fn;
    int raw_body;               /* the body is the payload, not a JSON request */
} lambda_route;

static const lambda_route routes[] = {
    { "POST",   "/2015-03-31/functions",                               "CreateFunction",              lambda_op_create_function, 0 },
    { "GET",    "/2015-03-31/functions/",                              "ListFunctions",               lambda_op_list_functions, 0 },
    { "GET",    "/2015-03-31/functions",                               "ListFunctions",               lambda_op_list_functions, 0 },
    { "GET",    "/2015-03-31/functions/{FunctionName}",                "GetFunction",                 lambda_op_get_function, 0 },
    { "DELETE", "/2015-03-31/functions/{FunctionName}",                "DeleteFunction",              lambda_op_delete_function, 0 },
    { "GET",    "/2015-03-31/functions/{FunctionName}/configuration",  "GetFunctionConfiguration",    lambda_op_get_function_configuration, 0 },
    { "PUT",    "/2015-03-31/functions/{FunctionName}/configuration",  "UpdateFunctionConfiguration", lambda_op_update_function_configuration, 0 },
    { "PUT",    "/2015-03-31/functions/{FunctionName}/code",           "UpdateFunctionCode",          lambda_op_update_function_code, 0 },
    { "POST",   "/2015-03-31/functions/{FunctionName}/invocations",    "Invoke",                      lambda_op_invoke, 1 },
    { "POST",   "/2015-03-31/functions/{FunctionName}/policy",         "AddPermission",               lambda_op_add_permission, 0 },
    { "GET",    "/2015-03-31/functions/{FunctionName}/policy",         "GetPolicy",                   lambda_op_get_policy, 0 },
    { "DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission",      lambda_op_remove_permission, 0 },
    { "POST",   "/2017-03-31/tags/{ARN}",                              "TagResource",                 lambda_op_tag_resource, 0 },
    { "GET",    "/2017-03-31/tags/{ARN}",                              "ListTags",                    lambda_op_list_tags, 0 },
    { "DELETE", "/2017-03-31/tags/{ARN}",                              "UntagResource",               lambda_op_untag_resource, 0 },
    { "PUT",    "/2017-10-31/functions/{FunctionName}/concurrency",    "PutFunctionConcurrency",      lambda_op_put_function_concurrency, 0 },
    { "DELETE", "/2017-10-31/functions/{FunctionName}/concurrency",    "DeleteFunctionConcurrency",   lambda_op_delete_function_concurrency, 0 },
    { "GET",    "/2019-09-30/functions/{FunctionName}/concurrency",    "GetFunctionConcurrency",      lambda_op_get_function_concurrency, 0 },
};

static const char *const prefixes[] = {
    "/2015-03-31/functions", "/2017-03-31/tags/", "/2017-10-31/functions/", "/2019-09-30/functions/",
};

static int claims(const hg_request *req)
{
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(req->path, prefixes[i], n) != 0) continue;
        /* "/2015-03-31/functions" must end there or go on with '/' */
        if (prefixes[i][n - 1] == '/' || req->path[n] == '\0' || req->path[n] == '/') return 1;
    }
    return 0;
}

int lambda_reply_json(hg_response *resp, int status, const cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    if (!s) return -1;
    int rc = hg_response_set(resp, status, "application/json", s, strlen(s));
    cJSON_free(s);
    return rc;
}

static void write_error(hg_response *resp, const hg_err *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Type", err->status >= 500 ? "Service" : "User");
    cJSON_AddStringToObject(o, "message", err->message);
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    if (s) {
        hg_response_set(resp, err->status, "application/json", s, strlen(s));
        hg_response_header(resp, "x-amzn-ErrorType", err->code);
    } else {
        static const char oom[] = "{\"Type\":\"Service\",\"message\":\"out of memory\"}";
        hg_response_set(resp, 500, "application/json", oom, sizeof oom - 1);
        hg_response_header(resp, "x-amzn-ErrorType", "ServiceException");
    }
    cJSON_free(s);
    cJSON_Delete(o);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* URL-decode the n bytes at src into out (cap bytes with the NUL). -1 when
 * it does not fit, has a bad escape, or decodes to a NUL. */
static int url_decode(const char *src, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)src[i];
        if (c == '%') {
            if (i + 2 >= n) return -1;
            int h = hexval((unsigned char)src[i + 1]), l = hexval((unsigned char)src[i + 2]);
            if (h < 0 || l < 0) return -1;
            c = h * 16 + l;
            i += 2;
            if (c == 0) return -1;
        }
        if (o + 1 >= cap) return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* 1 when path matches pattern (parameters decoded into r), 0 when it does
 * not, -1 when it matches but a parameter is malformed or too long (err set). */
static int match(const char *pattern, const char *path, lambda_req *r, hg_err *err)
{
    const char *p = pattern, *q = path;
    while (*p && *q) {
        if (*p != '{') {
            if (*p != *q) return 0;
            p++, q++;
            continue;
        }
        const char *pend = strchr(p, '}');
        const char *qend = strchr(q, '/');
        size_t qn = qend ? (size_t)(qend - q) : strlen(q);
        if (qn == 0) return 0;
        char *dst;
        size_t cap;
        const char *what;
        if (strncmp(p, "{FunctionName}", 14) == 0)     { dst = r->function; cap = sizeof r->function; what = "functionName"; }
        else if (strncmp(p, "{StatementId}", 13) == 0) { dst = r->statement_id; cap = sizeof r->statement_id; what = "statementId"; }
        else                                           { dst = r->arn; cap = sizeof r->arn; what = "resource"; }
        if (url_decode(q, qn, dst, cap) != 0)
            return hg_err_validation(err, "1 validation error detected: Value at '%s' failed to satisfy constraint: "
                                     "Member must have length less than or equal to %zu and be validly URL-encoded",
                                     what, cap - 1);
        p = pend + 1;
        q += qn;
    }
    return *p == '\0' && *q == '\0';
}

/* --auth enforce: lambda:<Operation> (Invoke is lambda:InvokeFunction) on
 * the function's ARN, the tagged resource's, or "*" for ListFunctions. */
static int authorize(const hg_request *req, const lambda_route *route, const lambda_req *r, hg_err *err)
{
    if (!hg_cfg.auth_enforce) return 0;
    char action[96], arn[512];
    snprintf(action, sizeof action, "lambda:%s",
             strcmp(route->operation, "Invoke") == 0 ? "InvokeFunction" : route->operation);
    if (r->function[0] && strncmp(r->function, "arn:", 4) == 0)
        snprintf(arn, sizeof arn, "%s", r->function);
    else if (r->function[0])
        snprintf(arn, sizeof arn, "arn:aws:lambda:%s:%s:function:%s", r->region, r->account, r->function);
    else if (r->arn[0])
        snprintf(arn, sizeof arn, "%s", r->arn);
    else
        strcpy(arn, "*");
    return hg_authorize(req, action, arn, err);
}

static void handle(hg_request *req, hg_response *resp)
{
    hg_err err;
    hg_err_clear(&err);
    lambda_req r;
    memset(&r, 0, sizeof r);
    r.http = req;
    r.region = req->region[0] ? req->region : hg_cfg.region;
    r.account = hg_cfg.account_id;
    const lambda_route *route = NULL;
    int path_known = 0;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int m = match(routes[i].pattern, req->path, &r, &err);
        if (m < 0) { req->operation = routes[i].operation; write_error(resp, &err); return; }
        if (m == 0) continue;
        path_known = 1;
        if (strcmp(routes[i].method, req->method) == 0) { route = &routes[i]; break; }
    }
    if (!route) {
        req->operation = "-";
        if (path_known)
            hg_err_set(&err, 405, "MethodNotAllowedException", "Lambda has no operation for %.10s on %.200s",
                       req->method, req->path);
        else
            hg_err_set(&err, 404, "UnknownOperationException", "Lambda has no operation at %.10s %.200s",
                       req->method, req->path);
        write_error(resp, &err);
        return;
    }
    req->operation = route->operation;
    if (authorize(req, route, &r, &err) != 0) { write_error(resp, &err); return; }
    r.qualifier = hg_req_query(req, "Qualifier");
    if (!route->raw_body && req->body_len > 0) {
        r.body = hg_json_parse_body(req->body, req->body_len);
        if (!cJSON_IsObject(r.body)) {
            hg_err_set(&err, 400, "InvalidRequestContentException", r.body
                       ? "Could not parse request body into json: the request body must be a JSON object"
                       : "Could not parse request body into json: malformed JSON or nested too deeply");
            cJSON_Delete(r.body);
            write_error(resp, &err);
            return;
        }
    }
    if (route->fn(&r, resp, &err) != 0) {
        if (!hg_err_isset(&err)) hg_err_internal(&err, "%s failed without a reason", route->operation);
        /* a handler may have half-filled resp before failing */
        hg_response_release(resp);
        hg_response_init(resp);
        write_error(resp, &err);
    }
    /* committed or rolled back by now: loads read the records afresh */
    if (strcmp(route->method, "GET") != 0 && route->fn != lambda_op_invoke) lambda_fn_changed();
    cJSON_Delete(r.body);
}

static void render_error(hg_request *req, hg_response *resp, const hg_err *err)
{
    (void)req;
    write_error(resp, err);
}

static int init(hg_err *err)
{
    if (lambda_pool_init(err) != 0) return -1;
    if (lambda_async_init(err) != 0) { lambda_pool_shutdown(); return -1; }
    return 0;
}

static void shutdown_(void)
{
    lambda_async_shutdown();   /* queued Event invokes drain into the pool first */
    lambda_pool_shutdown();
}

static const char *state(void) { return "running"; }

const hg_service hg_lambda_service = {
    .name = "lambda", .init = init, .shutdown = shutdown_, .claims = claims, .handle = handle, .state = state,
    .render_error = render_error,
};
