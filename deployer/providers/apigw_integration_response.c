/*
 * apigw_integration_response.c — aws:apigateway:IntegrationResponse
 * (PutIntegrationResponse). Its identity is (restApi, resourceId,
 * httpMethod, statusCode): changing any replaces it; selectionPattern,
 * responseParameters, responseTemplates and contentHandling change in place
 * (PutIntegrationResponse again overwrites). The id is
 * "agir-<api>-<resource>-<METHOD>-<status>", as @pulumi/aws makes it.
 */
#include "prov_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:IntegrationResponse"

static const prov_prop props[] = {
    { "contentHandling", 0 },
    { "httpMethod", PROP_REQUIRED | PROP_REPLACE },
    { "resourceId", PROP_REQUIRED | PROP_REPLACE },
    { "responseParameters", 0 },
    { "responseTemplates", 0 },
    { "restApi", PROP_REQUIRED | PROP_REPLACE },
    { "selectionPattern", 0 },
    { "statusCode", PROP_REQUIRED | PROP_REPLACE },
    { NULL, 0 },
};

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
    static const char *const handling[] = { "CONVERT_TO_BINARY", "CONVERT_TO_TEXT", NULL };
    if (!prov_safe_segment(prov_ref_id(news, "restApi")))
        return hg_err_validation(err, T ": property 'restApi' must be a RestApi id");
    if (!prov_safe_segment(prov_ref_id(news, "resourceId")))
        return hg_err_validation(err, T ": property 'resourceId' must be a resource id");
    if (prov_check_string(news, "httpMethod", true, T, err) < 0 || prov_check_enum(news, "httpMethod", methods, T, err) < 0 ||
        prov_check_string(news, "statusCode", true, T, err) < 0 ||
        prov_check_string(news, "selectionPattern", false, T, err) < 0 ||
        prov_check_string_map(news, "responseParameters", T, err) < 0 ||
        prov_check_string_map(news, "responseTemplates", T, err) < 0 ||
        prov_check_enum(news, "contentHandling", handling, T, err) < 0)
        return -1;
    if (strcmp(prov_str(news, "statusCode"), PROG_UNKNOWN) != 0 && !valid_status(prov_str(news, "statusCode")))
        return hg_err_validation(err, T ": property 'statusCode' must be an HTTP status code like \"200\", not '%s'",
                                 prov_str(news, "statusCode"));
    return 0;
}

/* New string. */
static char *response_path(const cJSON *in)
{
    return prov_fmt("/restapis/%s/resources/%s/methods/%s/integration/responses/%s", prov_ref_id(in, "restApi"),
                    prov_ref_id(in, "resourceId"), prov_str(in, "httpMethod"), prov_str(in, "statusCode"));
}

/* New object: the inputs plus the id. */
static cJSON *outputs_of(const cJSON *in)
{
    cJSON *o = prov_outputs_base(in);
    char *id = prov_fmt("agir-%s-%s-%s-%s", prov_ref_id(in, "restApi"), prov_ref_id(in, "resourceId"),
                        prov_str(in, "httpMethod"), prov_str(in, "statusCode"));
    prov_set_str(o, "id", id);
    free(id);
    return o;
}

static int put(prov_ctx *ctx, const cJSON *in, hg_err *err)
{
    cJSON *b = cJSON_CreateObject();
    static const char *const strs[] = { "selectionPattern", "contentHandling", NULL };
    for (int i = 0; strs[i]; i++)
        if (prov_str(in, strs[i])) cJSON_AddStringToObject(b, strs[i], prov_str(in, strs[i]));
    static const char *const objs[] = { "responseParameters", "responseTemplates", NULL };
    for (int i = 0; objs[i]; i++)
        if (prov_get(in, objs[i])) cJSON_AddItemToObject(b, objs[i], prov_outputs_base(prov_get(in, objs[i])));
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

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    (void)id;
    (void)olds;
    *outputs = NULL;
    if (put(ctx, news, err) < 0) return -1;
    *outputs = outputs_of(news);
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

const provider prov_apigw_integration_response = {
    .type = T,
    .props = props,
    .check = check,
    .create = create,
    .read = read_response,
    .update = update,
    .remove = remove_response,
};
