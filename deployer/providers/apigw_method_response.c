/*
 * apigw_method_response.c — aws:apigateway:MethodResponse
 * (PutMethodResponse). Its identity is (restApi, resourceId, httpMethod,
 * statusCode): changing any replaces it. responseParameters (header name ->
 * required?) and responseModels change in place: the response is deleted
 * and put again, since API Gateway refuses a second PutMethodResponse for
 * the same status code. The id is "agmr-<api>-<resource>-<METHOD>-<status>",
 * as @pulumi/aws makes it.
 */
#include "prov_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:MethodResponse"

static const prov_prop props[] = {
    { "httpMethod", PROP_REQUIRED | PROP_REPLACE },
    { "resourceId", PROP_REQUIRED | PROP_REPLACE },
    { "responseModels", 0 },
    { "responseParameters", 0 },
    { "restApi", PROP_REQUIRED | PROP_REPLACE },
    { "statusCode", PROP_REQUIRED | PROP_REPLACE },
    { NULL, 0 },
};

/* "200": three digits, 1xx..5xx, as API Gateway accepts. */
static bool valid_status(const char *s)
{
    return s && strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
           s[2] <= '9';
}

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    static const char *const methods[] = { "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", NULL };
    if (!prov_safe_segment(prov_ref_id(news, "restApi")))
        return hg_err_validation(err, T ": property 'restApi' must be a RestApi id");
    if (!prov_safe_segment(prov_ref_id(news, "resourceId")))
        return hg_err_validation(err, T ": property 'resourceId' must be a resource id");
    if (prov_check_string(news, "httpMethod", true, T, err) < 0 || prov_check_enum(news, "httpMethod", methods, T, err) < 0 ||
        prov_check_string(news, "statusCode", true, T, err) < 0 ||
        prov_check_object(news, "responseParameters", T, err) < 0 ||
        prov_check_string_map(news, "responseModels", T, err) < 0)
        return -1;
    if (strcmp(prov_str(news, "statusCode"), PROG_UNKNOWN) != 0 && !valid_status(prov_str(news, "statusCode")))
        return hg_err_validation(err, T ": property 'statusCode' must be an HTTP status code like \"200\", not '%s'",
                                 prov_str(news, "statusCode"));
    const cJSON *rp = prov_get(news, "responseParameters");
    for (const cJSON *p = rp ? rp->child : NULL; p; p = p->next)
        if (!cJSON_IsBool(prov_unwrap(p)))
            return hg_err_validation(err, T ": responseParameters['%s'] must be true or false (required)", p->string);
    return 0;
}

/* New string. */
static char *response_path(const cJSON *in)
{
    return prov_fmt("/restapis/%s/resources/%s/methods/%s/responses/%s", prov_ref_id(in, "restApi"),
                    prov_ref_id(in, "resourceId"), prov_str(in, "httpMethod"), prov_str(in, "statusCode"));
}

/* New object: the inputs plus the id. */
static cJSON *outputs_of(const cJSON *in)
{
    cJSON *o = prov_outputs_base(in);
    char *id = prov_fmt("agmr-%s-%s-%s-%s", prov_ref_id(in, "restApi"), prov_ref_id(in, "resourceId"),
                        prov_str(in, "httpMethod"), prov_str(in, "statusCode"));
    prov_set_str(o, "id", id);
    free(id);
    return o;
}

static int put(prov_ctx *ctx, const cJSON *in, hg_err *err)
{
    cJSON *b = cJSON_CreateObject();
    if (prov_get(in, "responseParameters"))
        cJSON_AddItemToObject(b, "responseParameters", prov_outputs_base(prov_get(in, "responseParameters")));
    if (prov_get(in, "responseModels"))
        cJSON_AddItemToObject(b, "responseModels", prov_outputs_base(prov_get(in, "responseModels")));
    char *path = response_path(in);
    int rc = prov_apigw(ctx, "PUT", path, b, NULL, err);
    free(path);
    cJSON_Delete(b);
    return rc;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    if (put(ctx, in, err) < 0) return -1;
    *outputs = outputs_of(in);
    *id = strdup(prov_jstr(*outputs, "id"));
    return 0;
}

static int read_response(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    (void)id;
    *outputs = NULL;
    char *path = response_path(in);
    int rc = prov_apigw(ctx, "GET", path, NULL, NULL, err);
    free(path);
    if (rc < 0) {
        if (prov_not_found(err)) { hg_err_clear(err); return 1; }
        return -1;
    }
    *outputs = outputs_of(in);
    return 0;
}

static int remove_response(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)id;
    char *path = response_path(in);
    int rc = prov_apigw(ctx, "DELETE", path, NULL, NULL, err);
    free(path);
    return prov_gone_ok(rc, err);
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    (void)olds;
    *outputs = NULL;
    if (remove_response(ctx, id, news, err) < 0 || put(ctx, news, err) < 0) return -1;
    *outputs = outputs_of(news);
    return 0;
}

const provider prov_apigw_method_response = {
    .type = T,
    .props = props,
    .check = check,
    .create = create,
    .read = read_response,
    .update = update,
    .remove = remove_response,
};
