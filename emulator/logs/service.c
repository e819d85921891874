/*
 * service.c — CloudWatch Logs' JSON 1.1 protocol: X-Amz-Target
 * "Logs_20140328.<Op>" -> logs_call, errors as {"__type","message"} with the
 * op's status. The writer thread behind logs_put lives from init to shutdown.
 */
#include "logs.h"

#include <stdio.h>
#include <string.h>
#include "hg_json.h"
#include "auth.h"
#include "config.h"
#include "service.h"

#define TARGET_PREFIX "Logs_20140328."
#define CONTENT_TYPE  "application/x-amz-json-1.1"

static int claims(const hg_request *req)
{
    const char *t = hg_req_header(req, "X-Amz-Target");
    return t && strncmp(t, TARGET_PREFIX, sizeof TARGET_PREFIX - 1) == 0;
}

static void write_json(hg_response *resp, int status, const cJSON *body)
{
    char *s = cJSON_PrintUnformatted(body);
    if (!s) {
        static const char oom[] = "{\"__type\":\"ServiceUnavailableException\",\"message\":\"out of memory\"}";
        hg_response_set(resp, 500, CONTENT_TYPE, oom, sizeof oom - 1);
        return;
    }
    hg_response_set(resp, status, CONTENT_TYPE, s, strlen(s));
    cJSON_free(s);
}

static void write_error(hg_response *resp, const hg_err *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "__type", err->code);
    cJSON_AddStringToObject(o, "message", err->message);
    write_json(resp, err->status ? err->status : 500, o);
    cJSON_Delete(o);
}

static void handle(hg_request *req, hg_response *resp)
{
    hg_err err;
    hg_err_clear(&err);
    const char *op = hg_req_header(req, "X-Amz-Target") + sizeof TARGET_PREFIX - 1;
    req->operation = "-";
    if (strcmp(req->method, "POST") != 0) {
        hg_err_set(&err, 400, "SerializationException", "CloudWatch Logs operations must be sent with POST");
        write_error(resp, &err);
        return;
    }
    cJSON *in = hg_json_parse_body(req->body, req->body_len);
    if (!in || !cJSON_IsObject(in)) {
        hg_err_set(&err, 400, "SerializationException",
                   in ? "Start of structure or map expected: the request body must be a JSON object"
                      : "Unable to parse the request body as JSON (malformed or nested too deeply)");
        cJSON_Delete(in);
        write_error(resp, &err);
        return;
    }
    cJSON *out = cJSON_CreateObject();
    if (!out) hg_err_set(&err, 500, "ServiceUnavailableException", "out of memory");
    if (out && hg_cfg.auth_enforce) {          /* logs:<Op> on the log group it names, else "*" */
        char action[96], arn[640];
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(in, "logGroupName");
        snprintf(action, sizeof action, "logs:%.80s", op);
        if (cJSON_IsString(g))
            snprintf(arn, sizeof arn, "arn:aws:logs:%s:%s:log-group:%.512s", req->region, hg_cfg.account_id, g->valuestring);
        else
            strcpy(arn, "*");
        if (hg_authorize(req, action, arn, &err) != 0) {
            req->operation = op;
            write_error(resp, &err);
            cJSON_Delete(out);
            cJSON_Delete(in);
            return;
        }
    }
    if (out && logs_call(req->region, op, in, out, &err) == 0) {
        req->operation = op;     /* points into the request's own header: lives as long */
        write_json(resp, 200, out);
    } else {
        if (strcmp(err.code, "UnknownOperationException") != 0) req->operation = op;
        write_error(resp, &err);
    }
    cJSON_Delete(out);
    cJSON_Delete(in);
}

static void render_error(hg_request *req, hg_response *resp, const hg_err *err)
{
    (void)req;
    write_error(resp, err);
}

static int init(hg_err *err) { return logs_start(err); }
static void shutdown_(void) { logs_stop(); }
static const char *state(void) { return "running"; }

const hg_service hg_logs_service = {
    .name = "logs", .init = init, .shutdown = shutdown_, .claims = claims, .handle = handle, .state = state,
    .render_error = render_error,
};
