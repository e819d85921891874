/*
 * apigw_integration.c — aws:apigateway:Integration (PutIntegration). Its
 * identity is (restApi, resourceId, httpMethod): changing any replaces it;
 * every other change is a PutIntegration again, which overwrites the
 * integration in place. The id is "agi-<api>-<resource>-<METHOD>".
 */
#include "apigw_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:Integration"

static const prov_prop props[] = {
    { "cacheKeyParameters", 0 },
    { "cacheNamespace", 0 },
    { "connectionId", 0 },
    { "connectionType", 0 },
    { "contentHandling", 0 },
    { "credentials", 0 },
    { "httpMethod", PROP_REQUIRED | PROP_REPLACE },
    { "integrationHttpMethod", 0 },
    { "passthroughBehavior", 0 },
    { "requestParameters", 0 },
    { "requestTemplates", 0 },
    { "resourceId", PROP_REQUIRED | PROP_REPLACE },
    { "restApi", PROP_REQUIRED | PROP_REPLACE },
    { "timeoutMilliseconds", 0 },
    { "type", PROP_REQUIRED },
    { "uri", 0 },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    static const char *const types[] = { "AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK", NULL };
    static const char *const passthrough[] = { "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER", NULL };
    static const char *const handling[] = { "CONVERT_TO_BINARY", "CONVERT_TO_TEXT", NULL };
    static const char *const connections[] = { "INTERNET", "VPC_LINK", NULL };
    if (apigw_check_api_resource(news, T, err) < 0) return -1;
    if (prov_check_string(news, "httpMethod", true, T, err) < 0 ||
        !prov_safe_segment(prov_str(news, "httpMethod")) ||
        prov_check_string(news, "type", true, T, err) < 0 || prov_check_enum(news, "type", types, T, err) < 0 ||
        prov_check_string(news, "integrationHttpMethod", false, T, err) < 0 ||
        prov_check_string(news, "uri", false, T, err) < 0 ||
        prov_check_string_map(news, "requestTemplates", T, err) < 0 ||
        prov_check_string_map(news, "requestParameters", T, err) < 0 ||
        prov_check_enum(news, "passthroughBehavior", passthrough, T, err) < 0 ||
        prov_check_enum(news, "contentHandling", handling, T, err) < 0 ||
        prov_check_enum(news, "connectionType", connections, T, err) < 0 ||
        prov_check_number(news, "timeoutMilliseconds", false, 50, 29000, T, err) < 0 ||
        prov_check_array(news, "cacheKeyParameters", T, err) < 0)
        return hg_err_isset(err) ? -1 : hg_err_validation(err, T ": property 'httpMethod' must be an HTTP method");
    const char *type = prov_str(news, "type");
    if (strcmp(type, "MOCK") != 0 && !prov_str(news, "uri"))
        return hg_err_validation(err, T ": type %s needs property 'uri'", type);
    if (strcmp(type, "MOCK") != 0 && !prov_str(news, "integrationHttpMethod"))
        return hg_err_validation(err, T ": type %s needs property 'integrationHttpMethod'", type);
    if (!prov_get(news, "timeoutMilliseconds")) prov_set_num(news, "timeoutMilliseconds", 29000);
    if (!prov_get(news, "passthroughBehavior")) prov_set_str(news, "passthroughBehavior", "WHEN_NO_MATCH");
    return 0;
}

static char *integration_path(const cJSON *in)
{
    return prov_fmt("/restapis/%s/resources/%s/methods/%s/integration", prov_ref_id(in, "restApi"),
                    prov_ref_id(in, "resourceId"), prov_str(in, "httpMethod"));
}

/* The PUT body (new). */
static cJSON *put_body(const cJSON *in)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", prov_str(in, "type"));
    static const char *const strs[][2] = {
        { "integrationHttpMethod", "httpMethod" }, { "uri", "uri" }, { "passthroughBehavior", "passthroughBehavior" },
        { "contentHandling", "contentHandling" }, { "credentials", "credentials" }, { "cacheNamespace", "cacheNamespace" },
        { "connectionType", "connectionType" }, { "connectionId", "connectionId" },
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (prov_str(in, strs[i][0])) cJSON_AddStringToObject(b, strs[i][1], prov_str(in, strs[i][0]));
    if (prov_get(in, "timeoutMilliseconds"))
        cJSON_AddNumberToObject(b, "timeoutInMillis", prov_num(in, "timeoutMilliseconds", 29000));
    static const char *const objs[] = { "requestTemplates", "requestParameters", "cacheKeyParameters", NULL };
    apigw_body_maps(b, in, objs);
    return b;
}

static const apigw_put_kind kind = {
    .path = integration_path, .body = put_body, .id_prefix = "agi", .with_status = false, .delete_before_put = false,
};

APIGW_PUT_OPERATIONS(kind)

const provider prov_apigw_integration = {
    .type = "aws:apigateway:Integration",
    .props = props,
    .check = check,
    .create = put_create,
    .read = put_read,
    .update = put_update,
    .remove = put_remove,
};
