/*
 * apigw_method.c — aws:apigateway:Method (PutMethod / UpdateMethod). Its
 * identity is (restApi, resourceId, httpMethod): changing any replaces it;
 * authorization, apiKeyRequired and the rest change in place with PATCH.
 * The id is "agm-<api>-<resource>-<METHOD>", as @pulumi/aws makes it.
 */
#include "apigw_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:Method"

static const prov_prop props[] = {
    { "apiKeyRequired", 0 },
    { "authorization", PROP_REQUIRED },
    { "authorizationScopes", 0 },
    { "authorizerId", 0 },
    { "httpMethod", PROP_REQUIRED | PROP_REPLACE },
    { "operationName", 0 },
    { "requestModels", 0 },
    { "requestParameters", 0 },
    { "requestValidatorId", 0 },
    { "resourceId", PROP_REQUIRED | PROP_REPLACE },
    { "restApi", PROP_REQUIRED | PROP_REPLACE },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    if (apigw_check_method_key(news, T, err) < 0 ||
        prov_check_string(news, "authorization", true, T, err) < 0 ||
        prov_check_bool(news, "apiKeyRequired", T, err) < 0 ||
        prov_check_string(news, "authorizerId", false, T, err) < 0 ||
        prov_check_string(news, "operationName", false, T, err) < 0 ||
        prov_check_object(news, "requestParameters", T, err) < 0 ||
        prov_check_string_map(news, "requestModels", T, err) < 0)
        return -1;
    const cJSON *rp = prov_get(news, "requestParameters");
    for (const cJSON *p = rp ? rp->child : NULL; p; p = p->next)
        if (!cJSON_IsBool(prov_unwrap(p)))
            return hg_err_validation(err, T ": requestParameters['%s'] must be true or false (required)", p->string);
    return 0;
}

static char *method_path(const cJSON *in)
{
    return prov_fmt("/restapis/%s/resources/%s/methods/%s", prov_ref_id(in, "restApi"), prov_ref_id(in, "resourceId"),
                    prov_str(in, "httpMethod"));
}

static cJSON *outputs_of(const cJSON *in)
{
    return apigw_keyed_outputs(in, "agm", false);
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "authorizationType", prov_str(in, "authorization"));
    cJSON_AddBoolToObject(b, "apiKeyRequired", prov_bool(in, "apiKeyRequired", false));
    static const char *const opt[][2] = { { "authorizerId", "authorizerId" }, { "operationName", "operationName" },
                                          { "requestValidatorId", "requestValidatorId" } };
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if (prov_str(in, opt[i][0])) cJSON_AddStringToObject(b, opt[i][1], prov_str(in, opt[i][0]));
    if (prov_get(in, "requestParameters")) cJSON_AddItemToObject(b, "requestParameters", prov_outputs_base(prov_get(in, "requestParameters")));
    if (prov_get(in, "requestModels")) cJSON_AddItemToObject(b, "requestModels", prov_outputs_base(prov_get(in, "requestModels")));
    if (prov_get(in, "authorizationScopes")) cJSON_AddItemToObject(b, "authorizationScopes", prov_outputs_base(prov_get(in, "authorizationScopes")));
    if (apigw_create_replacing(ctx, "PUT", method_path(in), b, method_path(in), NULL, err) < 0) return -1;
    *outputs = outputs_of(in);
    *id = strdup(prov_jstr(*outputs, "id"));
    return 0;
}

static int read_method(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    (void)id;
    *outputs = NULL;
    int rc = apigw_get(ctx, method_path(in), NULL, err);
    if (rc == 0) *outputs = outputs_of(in);
    return rc;
}

/* A requestParameters value (required?) as a patch value. */
static const char *bool_text(const cJSON *v)
{
    return cJSON_IsTrue(v) ? "true" : "false";
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    (void)id;
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject();
    cJSON *ops = cJSON_AddArrayToObject(b, "patchOperations");
    if (prov_changed(olds, news, "authorization"))
        prov_patch(ops, "replace", "/authorizationType", prov_str(news, "authorization"));
    if (prov_changed(olds, news, "apiKeyRequired"))
        prov_patch(ops, "replace", "/apiKeyRequired", prov_bool(news, "apiKeyRequired", false) ? "true" : "false");
    static const char *const strs[] = { "authorizerId", "operationName", "requestValidatorId", NULL };
    for (int i = 0; strs[i]; i++) {
        if (!prov_changed(olds, news, strs[i])) continue;
        char p[64];
        snprintf(p, sizeof p, "/%s", strs[i]);
        prov_patch(ops, "replace", p, prov_str(news, strs[i]) ? prov_str(news, strs[i]) : "");
    }
    if (prov_changed(olds, news, "requestParameters"))
        apigw_patch_map(ops, "/requestParameters", prov_get(olds, "requestParameters"),
                        prov_get(news, "requestParameters"), "add", bool_text);
    int rc = apigw_patch_if_any(ctx, method_path(news), b, err);
    if (rc == 0) *outputs = outputs_of(news);
    return rc;
}

static int remove_method(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)id;
    return apigw_delete(ctx, method_path(in), err);
}

const provider prov_apigw_method = {
    .type = "aws:apigateway:Method",
    .props = props,
    .check = check,
    .create = create,
    .read = read_method,
    .update = update,
    .remove = remove_method,
};
