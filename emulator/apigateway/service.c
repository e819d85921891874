/*
 * service.c — the API Gateway service: claims invocations (invoke.c decides
 * which requests those are) and the REST-JSON management API under
 * /restapis, and dispatches management requests through one route table.
 *
 * Every route has the same shape: a method, a path pattern whose {}
 * segments become ctx.params, the operation, its success status and whether
 * it writes. Writing operations run inside one store write transaction that
 * is committed only when the operation succeeds, so a failed call changes
 * nothing. Errors go out as API Gateway sends them: the status, an
 * x-amzn-ErrorType header and {"message": "..."}.
 */
#include "apigw_internal.h"
#include "apigw_mgmt.h"
#include "apigw_invoke.h"

#include <string.h>
#include "hg_json.h"
#include "auth.h"
#include "config.h"
#include "service.h"

#define RAW_BODY 2      /* flag: the body is a document (OpenAPI), not JSON input */

typedef struct apigw_route {
    const char *method;
    const char *pattern;      /* after /restapis; "{}" matches one segment */
    const char *name;         /* operation name, for the access log */
    apigw_op_fn fn;
    int status;
    int flags;                /* 1 = writes, RAW_BODY */
} apigw_route;

#define RES "/{}/resources/{}"
#define MTH RES "/methods/{}"
static const apigw_route routes[] = {
    { "GET",    "",                         "GetRestApis",               apigw_get_rest_apis, 200, 0 },
    { "POST",   "",                         "CreateRestApi",             apigw_create_rest_api, 201, 1 },
    { "GET",    "/{}",                      "GetRestApi",                apigw_get_rest_api, 200, 0 },
    { "PATCH",  "/{}",                      "UpdateRestApi",             apigw_update_rest_api, 200, 1 },
    { "PUT",    "/{}",                      "PutRestApi",                apigw_put_rest_api, 200, 1 | RAW_BODY },
    { "DELETE", "/{}",                      "DeleteRestApi",             apigw_delete_rest_api, 202, 1 },
    { "GET",    "/{}/resources",            "GetResources",              apigw_get_resources, 200, 0 },
    { "GET",    RES,                        "GetResource",               apigw_get_resource, 200, 0 },
    { "POST",   RES,                        "CreateResource",            apigw_create_resource, 201, 1 },
    { "PATCH",  RES,                        "UpdateResource",            apigw_update_resource, 200, 1 },
    { "DELETE", RES,                        "DeleteResource",            apigw_delete_resource, 202, 1 },
    { "PUT",    MTH,                        "PutMethod",                 apigw_put_method, 201, 1 },
    { "GET",    MTH,                        "GetMethod",                 apigw_get_method, 200, 0 },
    { "PATCH",  MTH,                        "UpdateMethod",              apigw_update_method, 200, 1 },
    { "DELETE", MTH,                        "DeleteMethod",              apigw_delete_method, 204, 1 },
    { "PUT",    MTH "/responses/{}",        "PutMethodResponse",         apigw_put_method_response, 201, 1 },
    { "GET",    MTH "/responses/{}",        "GetMethodResponse",         apigw_get_method_response, 200, 0 },
    { "DELETE", MTH "/responses/{}",        "DeleteMethodResponse",      apigw_delete_method_response, 204, 1 },
    { "PUT",    MTH "/integration",         "PutIntegration",            apigw_put_integration, 201, 1 },
    { "GET",    MTH "/integration",         "GetIntegration",            apigw_get_integration, 200, 0 },
    { "PATCH",  MTH "/integration",         "UpdateIntegration",         apigw_update_integration, 200, 1 },
    { "DELETE", MTH "/integration",         "DeleteIntegration",         apigw_delete_integration, 204, 1 },
    { "PUT",    MTH "/integration/responses/{}", "PutIntegrationResponse", apigw_put_integration_response, 201, 1 },
    { "GET",    MTH "/integration/responses/{}", "GetIntegrationResponse", apigw_get_integration_response, 200, 0 },
    { "DELETE", MTH "/integration/responses/{}", "DeleteIntegrationResponse", apigw_delete_integration_response, 204, 1 },
    { "POST",   "/{}/deployments",          "CreateDeployment",          apigw_create_deployment, 201, 1 },
    { "GET",    "/{}/deployments",          "GetDeployments",            apigw_get_deployments, 200, 0 },
    { "GET",    "/{}/deployments/{}",       "GetDeployment",             apigw_get_deployment, 200, 0 },
    { "DELETE", "/{}/deployments/{}",       "DeleteDeployment",          apigw_delete_deployment, 202, 1 },
    { "POST",   "/{}/stages",               "CreateStage",               apigw_create_stage, 201, 1 },
    { "GET",    "/{}/stages",               "GetStages",                 apigw_get_stages, 200, 0 },
    { "GET",    "/{}/stages/{}",            "GetStage",                  apigw_get_stage, 200, 0 },
    { "PATCH",  "/{}/stages/{}",            "UpdateStage",               apigw_update_stage, 200, 1 },
    { "DELETE", "/{}/stages/{}",            "DeleteStage",               apigw_delete_stage, 202, 1 },
};
#undef RES
#undef MTH

/* ImportRestApi shares CreateRestApi's method and path; ?mode=import tells them apart. */
static const apigw_route import_route =
    { "POST", "", "ImportRestApi", apigw_import_rest_api, 201, 1 | RAW_BODY };

static int is_management_path(const char *path)
{
    return strcmp(path, "/restapis") == 0 || strncmp(path, "/restapis/", 10) == 0;
}

static int claims(const hg_request *req)
{
    return apigw_invocation_claims(req) || is_management_path(req->path);
}

/* Does path (after /restapis) match pattern? Fills params with borrowed
 * pointers into segs, a copy of path split in place. */
static int match(const char *pattern, char *segs[], int nsegs, const char *params[])
{
    int i = 0, np = 0;
    const char *p = pattern;
    while (*p) {
        p++;                                          /* the '/' */
        size_t len = strcspn(p, "/");
        if (i >= nsegs) return 0;
        if (len == 2 && p[0] == '{' && p[1] == '}') {
            if (np >= APIGW_MAX_PARAMS) return 0;
            params[np++] = segs[i];
        } else if (strlen(segs[i]) != len || strncmp(segs[i], p, len) != 0) {
            return 0;
        }
        i++;
        p += len;
    }
    return i == nsegs;
}

static void write_json(hg_response *resp, int status, const cJSON *body)
{
    char *s = body ? cJSON_PrintUnformatted(body) : NULL;
    if (body && !s) {
        static const char oom[] = "{\"message\":\"out of memory\"}";
        hg_response_set(resp, 500, "application/json", oom, sizeof oom - 1);
        hg_response_header(resp, "x-amzn-ErrorType", "InternalServerError");
        return;
    }
    hg_response_set(resp, status, "application/json", s ? s : "", s ? strlen(s) : 0);
    cJSON_free(s);
}

static void write_error(hg_response *resp, const hg_err *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "message", err->message);
    write_json(resp, err->status, o);
    cJSON_Delete(o);
    hg_response_header(resp, "x-amzn-ErrorType", err->code);
}

static int run(const apigw_route *r, apigw_ctx *c, hg_err *err)
{
    if (!(r->flags & RAW_BODY)) {
        c->in = hg_json_parse_body(c->req->body, c->req->body_len);
        if (!c->in || !cJSON_IsObject(c->in))
            return apigw_bad_request(err, "Invalid request body: expected a JSON object");
    }
    if (!(c->store = hg_store_get(err))) return -1;
    if ((r->flags & 1) && hg_store_begin_write(c->store, err) != 0) return -1;
    if (r->fn(c, err) != 0) {
        if (!hg_err_isset(err)) hg_err_internal(err, "%s failed without a reason", r->name);
        hg_store_rollback(c->store);
        return -1;
    }
    if ((r->flags & 1) && hg_store_commit(c->store, err) != 0) return -1;
    return 0;
}

static void handle_management(hg_request *req, hg_response *resp)
{
    hg_err err;
    hg_err_clear(&err);
    char path[2048];
    const char *rest = req->path + 9;                  /* after "/restapis" */
    if (strlen(rest) >= sizeof path) {
        req->operation = "-";
        apigw_bad_request(&err, "Request path too long");
        write_error(resp, &err);
        return;
    }
    strcpy(path, rest);
    size_t plen = strlen(path);
    if (plen > 0 && path[plen - 1] == '/') path[plen - 1] = '\0';   /* tolerate a trailing slash */
    char *segs[16];
    int nsegs = 0;
    for (char *p = path; *p == '/' && nsegs < 16; ) {
        *p++ = '\0';
        segs[nsegs++] = p;
        p += strcspn(p, "/");
    }
    apigw_ctx c;
    memset(&c, 0, sizeof c);
    c.req = req;
    c.region = req->region;
    c.account = hg_cfg.account_id;
    const apigw_route *r = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].method, req->method) == 0 && match(routes[i].pattern, segs, nsegs, c.params)) {
            r = &routes[i];
            break;
        }
    }
    if (r && r->fn == apigw_create_rest_api) {
        const char *mode = hg_req_query(req, "mode");
        if (mode && strcmp(mode, "import") == 0) r = &import_route;
    }
    if (!r) {
        req->operation = "-";
        apigw_not_found(&err, "Unknown operation: %.10s %.200s", req->method, req->path);
        write_error(resp, &err);
        return;
    }
    req->operation = r->name;
    c.status = r->status;
    char action[32], arn[2200];         /* apigateway:<METHOD> on the resource path, as AWS names it */
    snprintf(action, sizeof action, "apigateway:%.10s", req->method);
    snprintf(arn, sizeof arn, "arn:aws:apigateway:%s::%.2100s", req->region, req->path);
    if (hg_authorize(req, action, arn, &err) != 0) write_error(resp, &err);
    else if (run(r, &c, &err) != 0) write_error(resp, &err);
    else write_json(resp, c.status, c.out);
    /* committed or rolled back by now: invocations read the stages afresh */
    if (strcmp(req->method, "GET") != 0) apigw_objects_changed();
    cJSON_Delete(c.in);
    cJSON_Delete(c.out);
}

static void handle(hg_request *req, hg_response *resp)
{
    if (apigw_invocation_claims(req)) {
        req->operation = "Invoke";
        apigw_invoke(req, resp);
        return;
    }
    handle_management(req, resp);
}

static void render_error(hg_request *req, hg_response *resp, const hg_err *err)
{
    (void)req;
    write_error(resp, err);
}

/* invocations are answered as the method's authorization says, not by SigV4 */
static int unsigned_ok(const hg_request *req) { return apigw_invocation_claims(req); }

static int init(hg_err *err) { (void)err; return 0; }
static void shutdown_(void) {}
static const char *state(void) { return "running"; }

const hg_service hg_apigateway_service = {
    .name = "apigateway", .init = init, .shutdown = shutdown_, .claims = claims, .handle = handle, .state = state,
    .render_error = render_error, .unsigned_ok = unsigned_ok,
};
