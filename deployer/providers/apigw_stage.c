/*
 * apigw_stage.c — aws:apigateway:Stage: a named pointer at a deployment.
 * Moving it to a new deployment, its description and its variables change
 * in place (UpdateStage); a new restApi or stageName replaces it.
 * invokeUrl is "<endpoint>/restapis/<id>/<stage>/_user_request_", the form
 * that works against the endpoint itself.
 */
#include "apigw_common.h"

#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:Stage"

static const prov_prop props[] = {
    { "cacheClusterEnabled", 0 },
    { "cacheClusterSize", 0 },
    { "deployment", PROP_REQUIRED },
    { "description", 0 },
    { "documentationVersion", 0 },
    { "restApi", PROP_REQUIRED | PROP_REPLACE },
    { "stageName", PROP_REQUIRED | PROP_REPLACE },
    { "tags", 0 },
    { "variables", 0 },
    { "xrayTracingEnabled", 0 },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    if (!prov_safe_segment(prov_ref_id(news, "restApi")))
        return hg_err_validation(err, T ": property 'restApi' must be a RestApi id");
    if (!prov_safe_segment(prov_ref_id(news, "deployment")))
        return hg_err_validation(err, T ": property 'deployment' must be a Deployment id");
    if (prov_check_string(news, "stageName", true, T, err) < 0 ||
        prov_check_string(news, "description", false, T, err) < 0 ||
        prov_check_string_map(news, "variables", T, err) < 0 ||
        prov_check_string_map(news, "tags", T, err) < 0 ||
        prov_check_bool(news, "xrayTracingEnabled", T, err) < 0 ||
        prov_check_bool(news, "cacheClusterEnabled", T, err) < 0)
        return -1;
    if (!prov_safe_segment(prov_str(news, "stageName")))
        return hg_err_validation(err, T ": property 'stageName' may hold letters, digits, '-', '_' and '.' only");
    return 0;
}

static cJSON *outputs_of(prov_ctx *ctx, const cJSON *in)
{
    cJSON *o = prov_outputs_base(in);
    const char *api = prov_ref_id(in, "restApi"), *stage = prov_str(in, "stageName");
    char *id = prov_fmt("ags-%s-%s", api, stage);
    char *url = prov_fmt("%s/restapis/%s/%s/_user_request_", aws_client_endpoint(ctx->aws), api, stage);
    char *exec = prov_fmt("arn:aws:execute-api:%s:%s:%s/%s", prov_region(ctx), prov_account(ctx), api, stage);
    char *arn = prov_fmt("arn:aws:apigateway:%s::/restapis/%s/stages/%s", prov_region(ctx), api, stage);
    prov_set_str(o, "id", id);
    prov_set_str(o, "invokeUrl", url);
    prov_set_str(o, "executionArn", exec);
    prov_set_str(o, "arn", arn);
    prov_set_str(o, "deployment", prov_ref_id(in, "deployment"));
    prov_set_str(o, "restApi", api);
    free(id);
    free(url);
    free(exec);
    free(arn);
    return o;
}

static char *stage_path(const cJSON *in)
{
    return prov_fmt("/restapis/%s/stages/%s", prov_ref_id(in, "restApi"), prov_str(in, "stageName"));
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "stageName", prov_str(in, "stageName"));
    cJSON_AddStringToObject(b, "deploymentId", prov_ref_id(in, "deployment"));
    if (prov_str(in, "description")) cJSON_AddStringToObject(b, "description", prov_str(in, "description"));
    if (prov_get(in, "variables")) cJSON_AddItemToObject(b, "variables", prov_outputs_base(prov_get(in, "variables")));
    if (prov_get(in, "tags")) cJSON_AddItemToObject(b, "tags", prov_outputs_base(prov_get(in, "tags")));
    if (prov_get(in, "xrayTracingEnabled"))
        cJSON_AddBoolToObject(b, "tracingEnabled", prov_bool(in, "xrayTracingEnabled", false));
    if (apigw_create_replacing(ctx, "POST", prov_fmt("/restapis/%s/stages", prov_ref_id(in, "restApi")), b,
                               stage_path(in), NULL, err) < 0)
        return -1;
    *outputs = outputs_of(ctx, in);
    *id = strdup(prov_jstr(*outputs, "id"));
    return 0;
}

static int read_stage(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    (void)id;
    *outputs = NULL;
    cJSON *st = NULL;
    int rc = apigw_get(ctx, stage_path(in), &st, err);
    if (rc != 0) return rc;
    *outputs = outputs_of(ctx, in);
    /* what the stage points at now (drift shows as a deployment change) */
    if (hg_json_str(st, "deploymentId")) prov_set_str(*outputs, "deployment", hg_json_str(st, "deploymentId"));
    cJSON_Delete(st);
    return 0;
}

/* A stage variable's value as a patch value. */
static const char *string_text(const cJSON *v)
{
    return cJSON_GetStringValue(v);
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    (void)id;
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject();
    cJSON *ops = cJSON_AddArrayToObject(b, "patchOperations");
    if (prov_changed(olds, news, "deployment"))
        prov_patch(ops, "replace", "/deploymentId", prov_ref_id(news, "deployment"));
    if (prov_changed(olds, news, "description"))
        prov_patch(ops, "replace", "/description", prov_str(news, "description") ? prov_str(news, "description") : "");
    if (prov_changed(olds, news, "xrayTracingEnabled"))
        prov_patch(ops, "replace", "/tracingEnabled", prov_bool(news, "xrayTracingEnabled", false) ? "true" : "false");
    if (prov_changed(olds, news, "variables"))
        apigw_patch_map(ops, "/variables", prov_get(olds, "variables"), prov_get(news, "variables"), "replace",
                        string_text);
    int rc = apigw_patch_if_any(ctx, stage_path(news), b, err);
    if (rc == 0) *outputs = outputs_of(ctx, news);
    return rc;
}

static int remove_stage(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)id;
    return apigw_delete(ctx, stage_path(in), err);
}

const provider prov_apigw_stage = {
    .type = "aws:apigateway:Stage",
    .props = props,
    .check = check,
    .create = create,
    .read = read_stage,
    .update = update,
    .remove = remove_stage,
};
