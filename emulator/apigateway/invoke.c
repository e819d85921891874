/*
 * invoke.c — serving a deployed REST API: find what the stage serves, match
 * the route, run the integration, answer as API Gateway answers.
 *
 * Decisions (AWS does not show an emulator's corner cases; these follow what
 * a client of AWS sees):
 *   1. Unknown API id or stage: 403 {"message":"Forbidden"} — what AWS answers
 *      for a stage that does not exist on a real API host. A known stage
 *      without the resource or method: 403 "Missing Authentication Token"
 *      with x-amzn-ErrorType MissingAuthenticationTokenException.
 *   2. Only the stage's deployment snapshot is served (apigw_stage_acquire),
 *      so a route added after the last CreateDeployment answers 403.
 *   3. AWS_PROXY: the function's resource policy must let
 *      apigateway.amazonaws.com invoke it from
 *      arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{resource path};
 *      without it, 500 and a warn line naming the permission and the
 *      `aws lambda add-permission` that grants it.
 *   4. Integration timeout: the function is invoked with the integration's
 *      timeoutInMillis (default 29 s) as an upper bound on its run
 *      (lambda_invoke_within), so a call that reaches it is stopped and the
 *      client gets 504 {"message":"Endpoint request timed out"} on time, as
 *      on AWS. (AWS would let the function run on; ours stops it there.)
 *   5. HTTP, HTTP_PROXY and AWS (non-proxy) integrations are not served
 *      (the emulator makes no outbound calls): 500 and a log line saying so.
 *   6. Every request gets one "apigateway" log line: API id, stage, method,
 *      resource path, status, latency.
 *   7. A method with authorizationType AWS_IAM wants a SigV4 signature for
 *      service execute-api (header or presigned form): none → 403 "Missing
 *      Authentication Token"; with --auth off any well-formed one passes (as
 *      every other service accepts any signature then); with --auth enforce
 *      it is verified (core/auth.c) and the caller needs execute-api:Invoke on
 *      arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path as
 *      requested}, else 403 {"Message":"User: ... is not authorized to
 *      perform: execute-api:Invoke on resource: ..."} as AWS answers.
 */
#include "apigw_internal.h"
#include "apigw_invoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "apigw_store.h"
#include "auth.h"
#include "config.h"
#include "hg_sigv4.h"
#include "hg_log.h"
#include "iam.h"
#include "lambda.h"
#include "offload.h"

#define INTERNAL_ERROR "Internal server error"

int apigw_invocation_claims(const hg_request *req)
{
    apigw_target t;
    return apigw_parse_target(req->path, hg_req_header(req, "Host"), &t);
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double epoch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void internal_error(hg_response *resp, int status)
{
    apigw_error(resp, status, "InternalServerErrorException", INTERNAL_ERROR);
}

/* The function named by an AWS_PROXY uri
 * (arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{fn}/invocations),
 * with ${stageVariables.x} substituted. 0, or -1 with why[]. */
static int function_of(const char *uri, const cJSON *vars, char *out, size_t cap, char *why, size_t why_cap)
{
    static const char fn_marker[] = "/functions/", inv_marker[] = "/invocations";
    const char *s = uri ? strstr(uri, fn_marker) : NULL;
    const char *e = s ? strstr(s + sizeof fn_marker - 1, inv_marker) : NULL;
    if (!s || !e) {
        snprintf(why, why_cap, "integration uri '%.300s' names no Lambda function "
                 "(expected .../functions/<function arn>/invocations)", uri ? uri : "");
        return -1;
    }
    s += sizeof fn_marker - 1;
    size_t o = 0;
    static const char sv[] = "${stageVariables.";
    while (s < e) {
        if (*s == '$' && strncmp(s, sv, sizeof sv - 1) == 0) {     /* strncmp per character cost 2k a request */
            const char *name = s + sizeof sv - 1, *close = memchr(name, '}', (size_t)(e - name));
            if (!close) break;
            char key[129];
            snprintf(key, sizeof key, "%.*s", (int)(close - name), name);
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(vars, key);
            if (!cJSON_IsString(v)) {
                snprintf(why, why_cap, "integration uri uses stage variable '%s', which the stage does not define", key);
                return -1;
            }
            size_t n = strlen(v->valuestring);
            if (o + n >= cap) break;
            memcpy(out + o, v->valuestring, n);
            o += n;
            s = close + 1;
            continue;
        }
        if (o + 1 >= cap) break;
        out[o++] = *s++;
    }
    if (s < e) { snprintf(why, why_cap, "integration uri '%.300s' has a malformed function name", uri); return -1; }
    out[o] = '\0';
    return 0;
}

typedef struct invocation {
    hg_request    *req;
    hg_store      *store;
    apigw_target   t;
    const char    *region;
    const char    *path;            /* after the stage, "/" when empty */
    const cJSON   *resource, *method;
    cJSON         *path_params;     /* borrowed from the match */
    const cJSON   *stage_vars;      /* borrowed */
    const cJSON   *binary_types;    /* borrowed: the API's binaryMediaTypes or NULL */
    char           iam_key[129];    /* an AWS_IAM method's signing access key, else "" */
    char           why[1024];
} invocation;

static const char *resource_path(const invocation *iv)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(iv->resource, "path");
    return cJSON_IsString(p) ? p->valuestring : "/";
}

/* The parts one after another into out (cap > 0), cut at cap - 1 bytes as
 * snprintf would cut them. */
static void join_capped(char *out, size_t cap, const char *const *parts, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(parts[i]);
        if (len > cap - 1 - o) len = cap - 1 - o;
        memcpy(out + o, parts[i], len);
        o += len;
    }
    out[o] = '\0';
}

static void lambda_proxy(invocation *iv, const cJSON *integ, hg_response *resp)
{
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(integ, "uri");
    char fn[512];
    if (function_of(cJSON_IsString(uri) ? uri->valuestring : NULL, iv->stage_vars, fn, sizeof fn,
                    iv->why, sizeof iv->why) != 0) {
        hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Execution failed due to configuration error: %s",
               iv->t.api_id, iv->t.stage, iv->req->method, resource_path(iv), iv->why);
        internal_error(resp, 500);
        return;
    }
    /* the function lives in the region its ARN names, else the API's */
    char fn_region[33];
    const char *region_of_fn = iv->region;
    size_t region_len = strlen(iv->region);
    if (strncmp(fn, "arn:", 4) == 0) {
        const char *p = fn;
        for (int i = 0; i < 3 && p; i++) { p = strchr(p, ':'); if (p) p++; }
        const char *colon = p ? strchr(p, ':') : NULL;
        if (colon && colon != p) {
            region_of_fn = p;
            region_len = (size_t)(colon - p);
        }
    }
    if (region_len >= sizeof fn_region) region_len = sizeof fn_region - 1;   /* as %.*s into 33 bytes cut it */
    memcpy(fn_region, region_of_fn, region_len);
    fn_region[region_len] = '\0';

    /* built by hand: snprintf was a tenth of the gateway's own work per request */
    const char *rpath = resource_path(iv);
    char source_arn[1024];
    const char *const arn_parts[] = { "arn:aws:execute-api:", iv->region, ":", hg_cfg.account_id, ":",
                                      iv->t.api_id, "/", iv->t.stage, "/", iv->req->method, "/",
                                      rpath[0] == '/' ? rpath + 1 : rpath };
    join_capped(source_arn, sizeof source_arn, arn_parts, sizeof arn_parts / sizeof *arn_parts);
    hg_err err = {0};
    int allowed = lambda_permission_check(fn_region, fn, "apigateway.amazonaws.com", source_arn,
                                          iv->why, sizeof iv->why, &err);
    if (allowed != 0) {
        if (allowed < 0)
            hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Execution failed due to configuration error: "
                   "cannot invoke Lambda function %s: %s: %s", iv->t.api_id, iv->t.stage, iv->req->method,
                   rpath, fn, err.code, err.message);
        else
            hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Execution failed due to configuration error: "
                   "Invalid permissions on Lambda function %s: %s. Principal apigateway.amazonaws.com may not "
                   "invoke it from %s. Fix: aws lambda add-permission --function-name %s --statement-id "
                   "apigateway-%s --action lambda:InvokeFunction --principal apigateway.amazonaws.com "
                   "--source-arn '%s'", iv->t.api_id, iv->t.stage, iv->req->method, rpath, fn, iv->why,
                   source_arn, fn, iv->t.api_id, source_arn);
        internal_error(resp, 500);
        return;
    }

    const char *host = hg_req_header(iv->req, "Host");
    apigw_call call = {
        .req = iv->req, .api_id = iv->t.api_id, .stage = iv->t.stage, .path = iv->path,
        .resource = iv->resource, .path_params = iv->path_params, .stage_variables = iv->stage_vars,
        .binary_media_types = iv->binary_types, .account = hg_cfg.account_id, .region = iv->region,
        .domain_name = host ? host : "localhost", .now = epoch_now(),
    };
    if (iv->iam_key[0]) {
        call.iam_access_key = iv->iam_key;
        hg_auth_caller(iv->req, &call.iam_user_arn, &call.iam_user_id);
    }
    if (apigw_event_prepare(&call) != 0) {
        internal_error(resp, 500);
        return;
    }
    /* The event is written straight into the handler's Lua; only a body
     * that could bring it near Lambda's 6 MB request limit goes as text,
     * where that limit is checked exactly. */
    hg_jw_source event = { apigw_event_write, &call };
    char *payload = NULL;
    if (iv->req->body_len > APIGW_TREE_EVENT_MAX_BODY) {
        cJSON *tree = hg_jw_build_tree(&event);
        payload = tree ? cJSON_PrintUnformatted(tree) : NULL;
        cJSON_Delete(tree);
        if (!payload) {
            apigw_event_release(&call);
            internal_error(resp, 500);
            return;
        }
    }

    const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(integ, "timeoutInMillis");
    double timeout_ms = cJSON_IsNumber(tmo) && tmo->valuedouble > 0 ? tmo->valuedouble : APIGW_DEFAULT_TIMEOUT_MS;
    lambda_invoke_result res = {0};
    apigw_plain_sink plain;                           /* the common result: mapped while Lua holds it */
    apigw_plain_sink_init(&plain, resp, iv->why, sizeof iv->why);
    double t0 = mono_ms();
    int rc = payload ? lambda_invoke_within(fn_region, fn, "RequestResponse", payload, strlen(payload), false,
                                            timeout_ms / 1000.0, &res, &err)
                     : lambda_invoke_event(fn_region, fn, &event, timeout_ms / 1000.0, &plain.sink, &res, &err);
    double took = mono_ms() - t0;
    cJSON_free(payload);
    apigw_event_release(&call);
    if (rc != 0 && hg_offload_asked()) {    /* it runs again off the worker (core/offload.h): say nothing */
        lambda_invoke_result_release(&res);
        return;
    }

    /* the handler is stopped at the integration's timeout (lambda_invoke_within),
     * so the client has its answer on time */
    if (took >= timeout_ms) {
        hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Execution failed due to a timeout error: "
               "function %s ran %.0f ms, the integration allows %.0f ms", iv->t.api_id, iv->t.stage,
               iv->req->method, rpath, fn, took, timeout_ms);
        apigw_error(resp, 504, NULL, "Endpoint request timed out");
    } else if (rc != 0) {
        hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Lambda invocation failed: %s: %s", iv->t.api_id,
               iv->t.stage, iv->req->method, rpath, err.code, err.message);
        internal_error(resp, err.status == 429 ? 502 : 500);
    } else if (res.function_error) {
        hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Lambda function %s failed: %.500s", iv->t.api_id,
               iv->t.stage, iv->req->method, rpath, fn, res.payload ? res.payload : "");
        internal_error(resp, 502);
    } else if ((res.taken  ? plain.rc
                : res.tree ? apigw_map_proxy_tree(res.tree, resp, iv->why, sizeof iv->why)
                           : apigw_map_proxy_response(res.payload, res.payload_len, resp, iv->why, sizeof iv->why)) != 0) {
        hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Execution failed due to configuration error: "
               "Malformed Lambda proxy response: %s", iv->t.api_id, iv->t.stage, iv->req->method, rpath, iv->why);
        internal_error(resp, 502);
    }
    lambda_invoke_result_release(&res);
}

/* Decision 7: may this request reach an AWS_IAM method? 1 = go on; 0 = resp
 * holds API Gateway's 403. */
static int iam_authorized(invocation *iv, hg_response *resp)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(iv->method, "authorizationType");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "AWS_IAM") != 0) return 1;
    hg_request *req = iv->req;
    const char *header = hg_req_header(req, "Authorization");
    const char *query_cred = header ? NULL : hg_req_query(req, "X-Amz-Credential");
    if (!header && !query_cred) {
        apigw_error(resp, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        return 0;
    }
    hg_sigv4_cred cred;
    int well_formed = hg_sigv4_parse_credential(header ? header : query_cred, !header, &cred) == 0 &&
                      (header ? strstr(header, "SignedHeaders=") && strstr(header, "Signature=")
                              : hg_req_query(req, "X-Amz-Signature") && hg_req_query(req, "X-Amz-SignedHeaders"));
    if (!well_formed) {
        apigw_error(resp, 403, "IncompleteSignatureException",
                    "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters "
                    "in the form AWS4-HMAC-SHA256 Credential=.../<date>/<region>/execute-api/aws4_request, "
                    "SignedHeaders=..., Signature=...");
        return 0;
    }
    if (strcmp(cred.service, "execute-api") != 0) {
        apigw_error(resp, 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'execute-api'. ");
        return 0;
    }
    snprintf(iv->iam_key, sizeof iv->iam_key, "%s", cred.access_key);
    if (!hg_cfg.auth_enforce) return 1;

    hg_err err = {0};
    if (hg_auth_check(req, &err) != 0) {
        int missing = strcmp(err.code, "MissingAuthenticationTokenException") == 0;
        apigw_error(resp, 403, err.code, missing ? "Missing Authentication Token" : err.message);
        return 0;
    }
    /* the resource names the path as requested, so a policy can grant notes/ and what is below it */
    char arn[1200];
    snprintf(arn, sizeof arn, "arn:aws:execute-api:%s:%s:%s/%s/%s/%s", iv->region, hg_cfg.account_id,
             iv->t.api_id, iv->t.stage, req->method, iv->path[0] == '/' ? iv->path + 1 : iv->path);
    if (hg_authorize(req, "execute-api:Invoke", arn, &err) == 0) return 1;
    char msg[2048];
    snprintf(msg, sizeof msg, "User: %s is not authorized to perform: execute-api:Invoke on resource: %s%s",
             req->caller ? req->caller->arn : "anonymous", arn,
             strstr(err.message, "explicit deny") ? " with an explicit deny" : "");
    hg_response_release(resp);
    hg_response_init(resp);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Message", msg);     /* sic: AWS capitalises it for IAM denials */
    char *body = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (body) hg_response_set(resp, 403, "application/json", body, strlen(body));
    else hg_response_set(resp, 403, "application/json", "{}", 2);
    cJSON_free(body);
    hg_response_header(resp, "x-amzn-ErrorType", "AccessDeniedException");
    return 0;
}

static void serve(invocation *iv, hg_response *resp)
{
    const cJSON *integ = cJSON_GetObjectItemCaseSensitive(iv->method, "methodIntegration");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(integ, "type");
    const char *kind = cJSON_IsString(type) ? type->valuestring : "";
    if (strcmp(kind, "AWS_PROXY") == 0) {
        lambda_proxy(iv, integ, resp);
    } else if (strcmp(kind, "MOCK") == 0) {
        if (apigw_mock_response(iv->method, iv->req, resp, iv->why, sizeof iv->why) != 0) {
            hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: %s", iv->t.api_id, iv->t.stage, iv->req->method,
                   resource_path(iv), iv->why);
            internal_error(resp, 500);
        }
    } else {
        hg_log(HG_LOG_WARN, "apigateway %s/%s %s %s: Execution failed due to configuration error: %s",
               iv->t.api_id, iv->t.stage, iv->req->method, resource_path(iv),
               !*kind ? "the method has no integration"
                      : "only AWS_PROXY (Lambda proxy) and MOCK integrations are served by this emulator "
                        "(it makes no outbound HTTP calls)");
        internal_error(resp, 500);
    }
}

void apigw_invoke(hg_request *req, hg_response *resp)
{
    double t0 = mono_ms();
    req->operation = "Invoke";
    invocation iv;
    memset(&iv, 0, sizeof iv);
    iv.req = req;
    iv.region = req->region[0] ? req->region : hg_cfg.region;
    apigw_parse_target(req->path, hg_req_header(req, "Host"), &iv.t);
    iv.path = iv.t.path[0] ? iv.t.path : "/";
    const char *route = "-";

    hg_err err = {0};
    const apigw_stage_view *view = NULL;
    int rc = -1;
    iv.store = hg_store_get(&err);
    if (iv.store && iv.t.stage[0])
        rc = apigw_stage_acquire(iv.store, iv.region, iv.t.api_id, iv.t.stage, &view, &err);
    else if (iv.store)
        rc = 1;
    if (rc < 0) {
        hg_log(HG_LOG_ERROR, "apigateway %s/%s: cannot read the stage: %s", iv.t.api_id, iv.t.stage, err.message);
        internal_error(resp, 500);
    } else if (rc == 1) {
        apigw_error(resp, 403, "ForbiddenException", "Forbidden");
    } else {
        iv.stage_vars = view->variables;
        iv.binary_types = view->binary_media_types;
        apigw_match m;
        int mr = view->routes ? apigw_match_routes(view->routes, req->method, iv.path, &m)
                              : apigw_match_route(view->resources, req->method, iv.path, &m);
        if (mr < 0) {
            internal_error(resp, 500);
        } else if (mr > 0) {
            apigw_error(resp, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        } else {
            iv.resource = m.resource;
            iv.method = m.method;
            iv.path_params = m.path_params;
            if (iam_authorized(&iv, resp)) serve(&iv, resp);
            route = resource_path(&iv);
            apigw_match_release(&m);
        }
    }
    if (!hg_offload_asked())          /* else it is logged when it runs again (core/offload.h) */
        hg_log(HG_LOG_INFO, "apigateway api=%s stage=%s %s %s route=%s -> %d %.3fms", iv.t.api_id,
               iv.t.stage[0] ? iv.t.stage : "-", req->method, iv.path, route, resp->status, mono_ms() - t0);
    /* route borrowed from the view: logged above, before it goes */
    apigw_stage_release(view);
}
