/*
 * apigw_rest_api.c — aws:apigateway:RestApi. A `body` (an OpenAPI document
 * as a string) is put with PutRestApi mode=overwrite after creation and on
 * every change, as @pulumi/aws does; the rest updates in place with PATCH
 * operations.
 */
#include "prov_internal.h"
#include "hg_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:RestApi"

static const prov_prop props[] = {
    { "apiKeySource", 0 },
    { "binaryMediaTypes", 0 },
    { "body", 0 },
    { "description", 0 },
    { "disableExecuteApiEndpoint", 0 },
    { "endpointConfiguration", 0 },
    { "minimumCompressionSize", 0 },
    { "name", 0 },
    { "policy", 0 },
    { "putRestApiMode", 0 },
    { "tags", 0 },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    static const char *const sources[] = { "HEADER", "AUTHORIZER", NULL };
    static const char *const modes[] = { "overwrite", "merge", NULL };
    if (prov_autoname_prop(ctx, olds, news, "name", 1024, T, err) < 0 ||
        prov_check_string(news, "description", false, T, err) < 0 ||
        prov_check_enum(news, "apiKeySource", sources, T, err) < 0 ||
        prov_check_enum(news, "putRestApiMode", modes, T, err) < 0 ||
        prov_check_array(news, "binaryMediaTypes", T, err) < 0 ||
        prov_check_object(news, "endpointConfiguration", T, err) < 0 ||
        prov_check_number(news, "minimumCompressionSize", false, -1, 10485760, T, err) < 0 ||
        prov_check_bool(news, "disableExecuteApiEndpoint", T, err) < 0 ||
        prov_check_string_map(news, "tags", T, err) < 0)
        return -1;
    const cJSON *body = prov_get(news, "body");
    if (body && !cJSON_IsString(body) && !cJSON_IsObject(body))
        return hg_err_validation(err, T ": property 'body' must be an OpenAPI document (a string)");
    const cJSON *policy = prov_get(news, "policy");
    if (policy && !cJSON_IsString(policy) && !cJSON_IsObject(policy))
        return hg_err_validation(err, T ": property 'policy' must be a JSON policy document");
    return 0;
}

static char *api_path(const char *id, const char *suffix)
{
    char *enc = aws_url_encode(id);
    char *p = enc ? prov_fmt("/restapis/%s%s", enc, suffix) : NULL;
    free(enc);
    return p;
}

static cJSON *outputs_from(prov_ctx *ctx, const cJSON *in, const cJSON *api)
{
    cJSON *o = prov_outputs_base(in);
    const char *id = prov_jstr(api, "id");
    prov_set_str(o, "id", id);
    prov_set_str(o, "name", prov_jstr(api, "name"));
    prov_set_str(o, "rootResourceId", prov_jstr(api, "rootResourceId"));
    char *exec = prov_fmt("arn:aws:execute-api:%s:%s:%s", prov_region(ctx), prov_account(ctx), id);
    char *arn = prov_fmt("arn:aws:apigateway:%s::/restapis/%s", prov_region(ctx), id);
    prov_set_str(o, "executionArn", exec);
    prov_set_str(o, "arn", arn);
    free(exec);
    free(arn);
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(api, "createdDate");
    if (cJSON_IsNumber(created)) prov_set_num(o, "createdDate", created->valuedouble);
    else if (cJSON_IsString(created)) prov_set_str(o, "createdDate", created->valuestring);
    return o;
}

static int get_api(prov_ctx *ctx, const char *id, cJSON **api, hg_err *err)
{
    char *path = api_path(id, "");
    int rc = path ? aws_rest_call(ctx->aws, "apigateway", "GET", path, NULL, NULL, api, err)
                  : hg_err_internal(err, "out of memory");
    free(path);
    return rc;
}

static int put_body(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    char *doc = prov_json_doc(in, "body");
    if (!doc) return 0;
    char *path = api_path(id, "");
    char query[64];
    snprintf(query, sizeof query, "mode=%s", prov_str(in, "putRestApiMode") ? prov_str(in, "putRestApiMode")
                                                                             : "overwrite");
    int rc = path ? aws_rest_raw_call(ctx->aws, "apigateway", "PUT", path, query, doc, strlen(doc),
                                      "application/json", NULL, err)
                  : hg_err_internal(err, "out of memory");
    free(path);
    free(doc);
    return rc;
}

static int find_api_named(prov_ctx *ctx, const char *name, cJSON **found, hg_err *err);

/* CreateRestApi, which the client never sends twice (each call makes a new
 * API). When its answer was lost after sending (AWS_OUTCOME_UNKNOWN) the API
 * may exist: look for the name we gave it, and post again only when the
 * list says it is not there, so a lost answer never leaves two APIs. */
static int post_api(prov_ctx *ctx, const cJSON *b, const char *name, cJSON **api, hg_err *err)
{
    for (int tries = 0;; tries++) {
        if (aws_rest_call(ctx->aws, "apigateway", "POST", "/restapis", NULL, b, api, err) == 0) return 0;
        if (strcmp(err->code, AWS_OUTCOME_UNKNOWN) != 0 || !name || tries >= 2) return -1;
        hg_err lost = *err;
        hg_err_clear(err);
        cJSON *found = NULL;
        if (find_api_named(ctx, name, &found, err) < 0) {
            hg_err_clear(err);
            hg_err_set(err, lost.status, lost.code, "%s (and the REST API list to check for it: unreadable)",
                       lost.message);
            return -1;
        }
        if (found) { *api = found; return 0; }
    }
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "name", prov_str(in, "name"));
    if (prov_str(in, "description")) cJSON_AddStringToObject(b, "description", prov_str(in, "description"));
    if (prov_str(in, "apiKeySource")) cJSON_AddStringToObject(b, "apiKeySource", prov_str(in, "apiKeySource"));
    const cJSON *bmt = prov_get(in, "binaryMediaTypes"), *ec = prov_get(in, "endpointConfiguration");
    if (bmt) cJSON_AddItemToObject(b, "binaryMediaTypes", cJSON_Duplicate(bmt, 1));
    if (ec) cJSON_AddItemToObject(b, "endpointConfiguration", prov_outputs_base(ec));
    if (prov_get(in, "minimumCompressionSize"))
        cJSON_AddNumberToObject(b, "minimumCompressionSize", prov_num(in, "minimumCompressionSize", -1));
    if (prov_get(in, "disableExecuteApiEndpoint"))
        cJSON_AddBoolToObject(b, "disableExecuteApiEndpoint", prov_bool(in, "disableExecuteApiEndpoint", false));
    char *policy = prov_json_doc(in, "policy");
    if (policy) cJSON_AddStringToObject(b, "policy", policy);
    free(policy);
    const cJSON *tags = prov_get(in, "tags");
    if (tags && tags->child) cJSON_AddItemToObject(b, "tags", prov_outputs_base(tags));
    cJSON *api = NULL;
    int rc = post_api(ctx, b, prov_str(in, "name"), &api, err);
    cJSON_Delete(b);
    if (rc < 0) return -1;
    *id = strdup(prov_jstr(api, "id"));
    if (prov_get(in, "body")) {
        rc = put_body(ctx, *id, in, err);
        cJSON_Delete(api);
        api = NULL;
        if (rc == 0) rc = get_api(ctx, *id, &api, err);
    }
    if (rc == 0) *outputs = outputs_from(ctx, in, api);
    cJSON_Delete(api);
    return rc;
}

/* The API named name: 0 with *found (new object) or NULL when there is
 * none, -1 when the list cannot be read. An API's id is AWS's, so an API
 * whose creation we cannot confirm is found by the name we gave it. */
static int find_api_named(prov_ctx *ctx, const char *name, cJSON **found, hg_err *err)
{
    *found = NULL;
    cJSON *list = NULL;
    if (aws_rest_call(ctx->aws, "apigateway", "GET", "/restapis", "limit=500", NULL, &list, err) != 0) return -1;
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(list, "item")) {
        const char *n = hg_json_str(a, "name");
        if (n && strcmp(n, name) == 0) { *found = cJSON_Duplicate(a, 1); break; }
    }
    cJSON_Delete(list);
    return 0;
}

/* For a create the engine recorded as pending and then lost (killed
 * between CreateRestApi's answer and the state write): the API, or NULL. */
static cJSON *api_by_name(prov_ctx *ctx, const char *name)
{
    cJSON *found = NULL;
    hg_err e;
    hg_err_clear(&e);
    find_api_named(ctx, name, &found, &e);
    return found;
}

static int read_api(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    cJSON *api = NULL;
    const char *name = prov_str(in, "name");
    if (get_api(ctx, id, &api, err) < 0) {
        if (!prov_not_found(err)) return -1;
        hg_err_clear(err);
        /* id is our own name only when the engine reconciles a lost create */
        if (!name || strcmp(id, name) != 0 || !(api = api_by_name(ctx, name))) return 1;
    }
    *outputs = outputs_from(ctx, in, api);
    cJSON_Delete(api);
    return 0;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    *outputs = NULL;
    int rc = 0;
    if (prov_changed(olds, news, "body")) rc = put_body(ctx, id, news, err);
    cJSON *ops = cJSON_CreateArray();
    static const char *const strs[] = { "name", "description", "apiKeySource", NULL };
    for (int i = 0; strs[i]; i++) {
        if (!prov_changed(olds, news, strs[i])) continue;
        char path[64];
        snprintf(path, sizeof path, "/%s", strs[i]);
        prov_patch(ops, "replace", path, prov_str(news, strs[i]) ? prov_str(news, strs[i]) : "");
    }
    if (prov_changed(olds, news, "policy")) {
        char *doc = prov_json_doc(news, "policy");
        prov_patch(ops, "replace", "/policy", doc ? doc : "");
        free(doc);
    }
    if (prov_changed(olds, news, "minimumCompressionSize")) {
        char num[32] = "";
        if (prov_get(news, "minimumCompressionSize"))
            snprintf(num, sizeof num, "%.0f", prov_num(news, "minimumCompressionSize", -1));
        prov_patch(ops, "replace", "/minimumCompressionSize", num);
    }
    if (prov_changed(olds, news, "binaryMediaTypes")) {
        const cJSON *ob = prov_get(olds, "binaryMediaTypes"), *nb = prov_get(news, "binaryMediaTypes");
        /* JSON-pointer escaping: '/' in "image/png" becomes "~1" */
        for (int pass = 0; pass < 2; pass++) {
            const cJSON *from = pass ? nb : ob, *other = pass ? ob : nb;
            for (const cJSON *t = from ? from->child : NULL; t; t = t->next) {
                bool in_other = false;
                for (const cJSON *u = other ? other->child : NULL; u; u = u->next)
                    if (cJSON_Compare(t, u, 1)) in_other = true;
                if (in_other || !cJSON_IsString(t)) continue;
                char path[512] = "/binaryMediaTypes/";
                size_t k = strlen(path);
                for (const char *c = t->valuestring; *c && k + 3 < sizeof path; c++) {
                    if (*c == '/') { path[k++] = '~'; path[k++] = '1'; }
                    else if (*c == '~') { path[k++] = '~'; path[k++] = '0'; }
                    else path[k++] = *c;
                }
                path[k] = '\0';
                prov_patch(ops, pass ? "add" : "remove", path, NULL);
            }
        }
    }
    if (rc == 0 && cJSON_GetArraySize(ops) > 0) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddItemToObject(b, "patchOperations", ops);
        ops = NULL;
        char *path = api_path(id, "");
        rc = path ? aws_rest_call(ctx->aws, "apigateway", "PATCH", path, NULL, b, NULL, err)
                  : hg_err_internal(err, "out of memory");
        free(path);
        cJSON_Delete(b);
    }
    cJSON_Delete(ops);
    cJSON *api = NULL;
    if (rc == 0) rc = get_api(ctx, id, &api, err);
    if (rc == 0) *outputs = outputs_from(ctx, news, api);
    cJSON_Delete(api);
    return rc;
}

static int remove_api(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)in;
    char *path = api_path(id, "");
    int rc = path ? aws_rest_call(ctx->aws, "apigateway", "DELETE", path, NULL, NULL, NULL, err)
                  : hg_err_internal(err, "out of memory");
    free(path);
    if (rc < 0 && prov_not_found(err)) {
        hg_err_clear(err);
        rc = 0;
    }
    return rc;
}

const provider prov_apigw_rest_api = {
    .type = "aws:apigateway:RestApi",
    .props = props,
    .check = check,
    .create = create,
    .read = read_api,
    .update = update,
    .remove = remove_api,
};
