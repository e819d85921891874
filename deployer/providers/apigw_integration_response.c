/*
 * apigw_integration_response.c — aws:apigateway:IntegrationResponse
 * (PutIntegrationResponse). Its identity is (restApi, resourceId,
 * httpMethod, statusCode): changing any replaces it; selectionPattern,
 * responseParameters, responseTemplates and contentHandling change in place
 * (PutIntegrationResponse again overwrites). The id is
 * "agir-<api>-<resource>-<METHOD>-<status>", as @pulumi/aws makes it.
 */
#include "apigw_common.h"

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

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    static const char *const handling[] = { "CONVERT_TO_BINARY", "CONVERT_TO_TEXT", NULL };
    if (apigw_check_method_key(news, T, err) < 0 ||
        prov_check_string(news, "statusCode", true, T, err) < 0 ||
        prov_check_string(news, "selectionPattern", false, T, err) < 0 ||
        prov_check_string_map(news, "responseParameters", T, err) < 0 ||
        prov_check_string_map(news, "responseTemplates", T, err) < 0 ||
        prov_check_enum(news, "contentHandling", handling, T, err) < 0)
        return -1;
    if (strcmp(prov_str(news, "statusCode"), PROG_UNKNOWN) != 0 && !apigw_valid_status(prov_str(news, "statusCode")))
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

/* The PUT body (new). */
static cJSON *put_body(const cJSON *in)
{
    cJSON *b = cJSON_CreateObject();
    static const char *const strs[] = { "selectionPattern", "contentHandling", NULL };
    for (int i = 0; strs[i]; i++)
        if (prov_str(in, strs[i])) cJSON_AddStringToObject(b, strs[i], prov_str(in, strs[i]));
    static const char *const objs[] = { "responseParameters", "responseTemplates", NULL };
    apigw_body_maps(b, in, objs);
    return b;
}

static const apigw_put_kind kind = {
    .path = response_path, .body = put_body, .id_prefix = "agir", .with_status = true, .delete_before_put = false,
};

APIGW_PUT_OPERATIONS(kind)

const provider prov_apigw_integration_response = {
    .type = T,
    .props = props,
    .check = check,
    .create = put_create,
    .read = put_read,
    .update = put_update,
    .remove = put_remove,
};
