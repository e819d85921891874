/*
 * service.c — DynamoDB's JSON 1.0 protocol: X-Amz-Target -> op, the request
 * body parsed once (cJSON's nesting limit bounds recursion), the op run, and
 * the result or error written back with x-amz-crc32 as the SDKs check it.
 */
#include "ddb.h"

#include <string.h>
#include "hg_json.h"
#include "hg_parse.h"
#include <zlib.h>
#include "auth.h"
#include "config.h"
#include "service.h"

#define TARGET_PREFIX "DynamoDB_20120810."
#define ERROR_NS "com.amazonaws.dynamodb.v20120810#"

/* Ours: an X-Amz-Target of DynamoDB's, or a POST to / signed for dynamodb
 * that names no target (answered UnknownOperationException, as AWS does). */
static int claims(const hg_request *req)
{
    const char *t = hg_req_header(req, "X-Amz-Target");
    if (t) return strncmp(t, TARGET_PREFIX, sizeof TARGET_PREFIX - 1) == 0;
    return strcmp(req->path, "/") == 0 && strcmp(req->signing_service, "dynamodb") == 0;
}

static void write_body(hg_response *resp, int status, cJSON *body)
{
    char *s;
    if (cJSON_IsObject(body) && !body->child) {  /* "{}", the answer to most writes, needs no printing */
        hg_response_set(resp, status, "application/x-amz-json-1.0", "{}", 2);
    } else if ((s = cJSON_PrintUnformatted(body)) != NULL) {
        hg_response_set(resp, status, "application/x-amz-json-1.0", s, strlen(s));
        cJSON_free(s);
    } else {
        static const char oom[] = "{\"__type\":\"" ERROR_NS "InternalServerError\",\"message\":\"out of memory\"}";
        hg_response_set(resp, 500, "application/x-amz-json-1.0", oom, sizeof oom - 1);
    }
    /* the body's CRC-32 in decimal, as DynamoDB sends it */
    char crc[21];
    *hg_put_u64(crc, crc32(0L, (const Bytef *)hg_buf_cstr(&resp->body), (uInt)resp->body.len)) = '\0';
    hg_response_header(resp, "x-amz-crc32", crc);
}

static void write_error(hg_response *resp, const hg_err *err, cJSON *extra)
{
    cJSON *o = cJSON_CreateObject();
    char type[HG_ERR_CODE_MAX + 64];
    snprintf(type, sizeof type, ERROR_NS "%s", err->code);
    cJSON_AddStringToObject(o, "__type", type);
    cJSON_AddStringToObject(o, "message", err->message);
    if (extra) {
        cJSON *m;
        while ((m = extra->child) != NULL) {
            cJSON_DetachItemViaPointer(extra, m);
            cJSON_AddItemToObject(o, m->string, m);   /* cJSON keeps m->string */
        }
    }
    write_body(resp, err->status, o);
    cJSON_Delete(o);
}

static int run_op(const char *region, const ddb_op *op, cJSON *in, cJSON **out, cJSON **extra, hg_err *err)
{
    ddb_ctx ctx = { .region = region, .account = hg_cfg.account_id, .err_extra = NULL };
    *out = NULL;
    *extra = NULL;
    ctx.store = hg_store_get(err);
    if (!ctx.store) return -1;
    cJSON *o = cJSON_CreateObject();
    if (!o) return hg_err_internal(err, "out of memory");
    if (op->fn(&ctx, in, o, err) != 0) {
        if (!hg_err_isset(err)) hg_err_internal(err, "%s failed without a reason", op->name);
        hg_store_rollback(ctx.store);            /* an op that failed mid-write leaves nothing */
        cJSON_Delete(o);
        *extra = ctx.err_extra;
        return -1;
    }
    cJSON_Delete(ctx.err_extra);
    *out = o;
    return 0;
}

int ddb_call(const char *region, const char *operation, cJSON *in, cJSON **out,
             cJSON **extra, hg_err *err)
{
    const ddb_op *op = ddb_op_find(operation);
    *out = NULL;
    *extra = NULL;
    if (!op) return hg_err_set(err, 400, "UnknownOperationException", "Unknown operation: %s", operation);
    return run_op(region, op, in, out, extra, err);
}

/* --auth enforce: dynamodb:<Op> on every table the request names (TableName,
 * the keys of RequestItems, each TransactItems entry) or on its ResourceArn,
 * or "*" when it names none. */
static int authorize(const hg_request *req, const ddb_op *op, const cJSON *in, hg_err *err)
{
    if (!hg_cfg.auth_enforce) return 0;
    char action[96], arn[512];
    snprintf(action, sizeof action, "dynamodb:%s", op->name);
    const char *tables[128];
    int n = 0;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(in, "TableName");
    if (cJSON_IsString(t)) tables[n++] = t->valuestring;
    const cJSON *e, *ri = cJSON_GetObjectItemCaseSensitive(in, "RequestItems");
    if (cJSON_IsObject(ri)) cJSON_ArrayForEach(e, ri) if (n < 128 && e->string) tables[n++] = e->string;
    const cJSON *ti = cJSON_GetObjectItemCaseSensitive(in, "TransactItems");
    if (cJSON_IsArray(ti)) cJSON_ArrayForEach(e, ti) {
        t = e->child ? cJSON_GetObjectItemCaseSensitive(e->child, "TableName") : NULL;
        if (n < 128 && cJSON_IsString(t)) tables[n++] = t->valuestring;
    }
    /* TagResource, UntagResource, ListTagsOfResource name the table by its ARN */
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(in, "ResourceArn");
    if (n == 0 && cJSON_IsString(ra)) return hg_authorize(req, action, ra->valuestring, err);
    if (n == 0) return hg_authorize(req, action, "*", err);
    for (int i = 0; i < n; i++) {
        snprintf(arn, sizeof arn, "arn:aws:dynamodb:%s:%s:table/%.255s", req->region, hg_cfg.account_id, tables[i]);
        if (hg_authorize(req, action, arn, err) != 0) return -1;
    }
    return 0;
}

static void handle(hg_request *req, hg_response *resp)
{
    hg_err err;
    hg_err_clear(&err);
    const char *target = hg_req_header(req, "X-Amz-Target");
    target = target ? target + sizeof TARGET_PREFIX - 1 : "";
    const ddb_op *op = ddb_op_find(target);
    if (!op) {
        req->operation = "-";
        if (*target) hg_err_set(&err, 400, "UnknownOperationException", "Unknown operation: %.100s", target);
        else hg_err_set(&err, 400, "UnknownOperationException", "Missing X-Amz-Target header: no operation named");
        write_error(resp, &err, NULL);
        return;
    }
    req->operation = op->name;
    if (strcmp(req->method, "POST") != 0) {
        hg_err_set(&err, 400, "SerializationException", "DynamoDB operations must be sent with POST");
        write_error(resp, &err, NULL);
        return;
    }
    /* body is NUL-terminated (http.h): parsing through the NUL rejects trailing garbage */
    cJSON *in = hg_json_parse_body(req->body, req->body_len);
    if (!in || !cJSON_IsObject(in)) {
        hg_err_set(&err, 400, "SerializationException",
                   in ? "Start of structure or map expected: the request body must be a JSON object"
                      : "Unable to parse the request body as JSON (malformed or nested too deeply)");
        cJSON_Delete(in);
        write_error(resp, &err, NULL);
        return;
    }
    cJSON *out, *extra;
    if (authorize(req, op, in, &err) != 0) {
        write_error(resp, &err, NULL);
    } else if (run_op(req->region, op, in, &out, &extra, &err) != 0) {
        write_error(resp, &err, extra);
        cJSON_Delete(extra);
    } else {
        write_body(resp, 200, out);
        cJSON_Delete(out);
    }
    cJSON_Delete(in);
}

static void render_error(hg_request *req, hg_response *resp, const hg_err *err)
{
    (void)req;
    write_error(resp, err, NULL);
}

static int init(hg_err *err) { return ddb_ttl_start(hg_cfg.ttl_interval, err); }
static void shutdown_(void) { ddb_ttl_stop(); }
static const char *state(void) { return "running"; }

const hg_service hg_dynamodb_service = {
    .name = "dynamodb",
    .init = init,
    .shutdown = shutdown_,
    .claims = claims,
    .handle = handle,
    .state = state,
    .render_error = render_error,
};
