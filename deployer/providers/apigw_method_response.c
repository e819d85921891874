/*
 * apigw_method_response.c — aws:apigateway:MethodResponse
 * (PutMethodResponse). Its identity is (restApi, resourceId, httpMethod,
 * statusCode): changing any replaces it. responseParameters (header name ->
 * required?) and responseModels change in place: the response is deleted
 * and put again, since API Gateway refuses a second PutMethodResponse for
 * the same status code. The id is "agmr-<api>-<resource>-<METHOD>-<status>",
 * as @pulumi/aws makes it.
 */
#include "apigw_common.h"

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

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    if (apigw_check_method_key(news, T, err) < 0 ||
        prov_check_string(news, "statusCode", true, T, err) < 0 ||
        prov_check_object(news, "responseParameters", T, err) < 0 ||
        prov_check_string_map(news, "responseModels", T, err) < 0)
        return -1;
    if (strcmp(prov_str(news, "statusCode"), PROG_UNKNOWN) != 0 && !apigw_valid_status(prov_str(news, "statusCode")))
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

/* The PUT body (new). */
static cJSON *put_body(const cJSON *in)
{
    cJSON *b = cJSON_CreateObject();
    static const char *const objs[] = { "responseParameters", "responseModels", NULL };
    apigw_body_maps(b, in, objs);
    return b;
}

static const apigw_put_kind kind = {
    .path = response_path, .body = put_body, .id_prefix = "agmr", .with_status = true, .delete_before_put = true,
};

APIGW_PUT_OPERATIONS(kind)

const provider prov_apigw_method_response = {
    .type = T,
    .props = props,
    .check = check,
    .create = put_create,
    .read = put_read,
    .update = put_update,
    .remove = put_remove,
};
