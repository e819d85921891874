/*
 * router.c — the one place that decides which service answers a request.
 *
 * Order matters: core's own endpoints (/_hangar/...), then JSON-protocol
 * services by X-Amz-Target, then REST services by path. Each service's
 * claims() is cheap (a prefix compare) so asking them in turn costs little.
 */
#include "service.h"

#include <cjson/cJSON.h>
#include <string.h>
#include "auth.h"
#include "config.h"

extern const hg_service hg_apigateway_service;
extern const hg_service hg_dynamodb_service;
extern const hg_service hg_lambda_service;
extern const hg_service hg_logs_service;
extern const hg_service hg_iam_service;

/* API Gateway first: its Host-based invoke URLs ({id}.execute-api.localhost)
 * may carry any path, including ones other services would claim. */
const hg_service *const hg_services[] = {
    &hg_apigateway_service,
    &hg_dynamodb_service,
    &hg_logs_service,
    &hg_lambda_service,
    &hg_iam_service,
    NULL
};

static void json_error(hg_response *resp, int status, const char *type, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "__type", type);
    cJSON_AddStringToObject(o, "message", msg);
    char *s = cJSON_PrintUnformatted(o);
    hg_response_set(resp, status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
    cJSON_free(s);
    cJSON_Delete(o);
}

static void health(hg_request *req, hg_response *resp)
{
    req->service = "hangar";
    req->operation = "Health";
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "running");
    cJSON_AddStringToObject(o, "version", HANGAR_VERSION);
    cJSON_AddStringToObject(o, "persistence", hg_cfg.data_dir ? "sqlite-file" : "memory");
    cJSON *svc = cJSON_AddObjectToObject(o, "services");
    for (int i = 0; hg_services[i]; i++)
        cJSON_AddStringToObject(svc, hg_services[i]->name, hg_services[i]->state());
    char *s = cJSON_PrintUnformatted(o);
    hg_response_set(resp, 200, "application/json", s ? s : "{}", s ? strlen(s) : 2);
    cJSON_free(s);
    cJSON_Delete(o);
}

/* Copy untrusted text into a message: printable ASCII kept, every other
 * byte percent-encoded, so the JSON body stays valid UTF-8 and readable. */
static void sanitize(char *dst, size_t cap, const char *src, size_t max)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (size_t i = 0; src[i] && i < max && j + 4 < cap; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c >= 0x20 && c < 0x7f && c != '%') {
            dst[j++] = (char)c;
        } else {
            dst[j++] = '%';
            dst[j++] = hex[c >> 4];
            dst[j++] = hex[c & 15];
        }
    }
    dst[j] = '\0';
}

void hg_route(hg_request *req, hg_response *resp)
{
    if (strcmp(req->path, "/_hangar/health") == 0 || strcmp(req->path, "/_localstack/health") == 0) {
        if (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0) health(req, resp);
        else json_error(resp, 405, "MethodNotAllowed", "Use GET on /_hangar/health");
        return;
    }
    for (int i = 0; hg_services[i]; i++) {
        if (hg_services[i]->claims(req)) {
            const hg_service *svc = hg_services[i];
            req->service = svc->name;
            hg_err err;
            hg_err_clear(&err);
            if (hg_cfg.auth_enforce && !(svc->unsigned_ok && svc->unsigned_ok(req)) && hg_auth_check(req, &err) != 0) {
                req->operation = "-";
                if (svc->render_error) svc->render_error(req, resp, &err);
                else json_error(resp, err.status, err.code, err.message);
                return;
            }
            svc->handle(req, resp);
            return;
        }
    }
    req->service = "-";
    const char *target = hg_req_header(req, "X-Amz-Target");
    char shown[610], msg[700];
    if (target) {
        sanitize(shown, sizeof shown, target, 200);
        snprintf(msg, sizeof msg, "No service of this emulator handles the operation '%s'", shown);
        json_error(resp, 400, "UnknownOperationException", msg);
    } else {
        char method[40];
        sanitize(method, sizeof method, req->method, 10);
        sanitize(shown, sizeof shown, req->path, 200);
        snprintf(msg, sizeof msg, "No service of this emulator handles %s %s", method, shown);
        json_error(resp, 404, "NotFoundException", msg);
    }
}
