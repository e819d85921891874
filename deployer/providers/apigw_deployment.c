/*
 * apigw_deployment.c — aws:apigateway:Deployment: a frozen snapshot of a
 * REST API. `triggers` is a map whose any change replaces the deployment
 * (a new snapshot), as @pulumi/aws documents; only the description changes
 * in place. invokeUrl uses the endpoint's own invoke form so it works
 * against the emulator.
 */
#include "apigw_common.h"

#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:Deployment"

static const prov_prop props[] = {
    { "description", 0 },
    { "restApi", PROP_REQUIRED | PROP_REPLACE },
    { "stageDescription", PROP_REPLACE },
    { "stageName", PROP_REPLACE },
    { "triggers", PROP_REPLACE },
    { "variables", PROP_REPLACE },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    if (!prov_safe_segment(prov_ref_id(news, "restApi")))
        return hg_err_validation(err, T ": property 'restApi' must be a RestApi id");
    if (prov_check_string(news, "description", false, T, err) < 0 ||
        prov_check_string(news, "stageName", false, T, err) < 0 ||
        prov_check_string(news, "stageDescription", false, T, err) < 0 ||
        prov_check_string_map(news, "triggers", T, err) < 0 ||
        prov_check_string_map(news, "variables", T, err) < 0)
        return -1;
    const char *stage = prov_str(news, "stageName");
    if (stage && *stage && !prov_safe_segment(stage))
        return hg_err_validation(err, T ": property 'stageName' may hold letters, digits, '-', '_' and '.' only");
    return 0;
}

static cJSON *outputs_from(prov_ctx *ctx, const cJSON *in, const cJSON *dep)
{
    cJSON *o = prov_outputs_base(in);
    const char *api = prov_ref_id(in, "restApi");
    const char *stage = prov_str(in, "stageName") ? prov_str(in, "stageName") : "";
    prov_set_str(o, "id", prov_jstr(dep, "id"));
    char *url = prov_fmt("%s/restapis/%s/%s/_user_request_", aws_client_endpoint(ctx->aws), api, stage);
    char *exec = prov_fmt("arn:aws:execute-api:%s:%s:%s/%s", prov_region(ctx), prov_account(ctx), api, stage);
    prov_set_str(o, "invokeUrl", url);
    prov_set_str(o, "executionArn", exec);
    free(url);
    free(exec);
    prov_copy(o, "createdDate", dep, "createdDate");
    return o;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject(), *dep = NULL;
    if (prov_str(in, "description")) cJSON_AddStringToObject(b, "description", prov_str(in, "description"));
    const char *stage = prov_str(in, "stageName");
    if (stage && *stage) {
        cJSON_AddStringToObject(b, "stageName", stage);
        if (prov_str(in, "stageDescription"))
            cJSON_AddStringToObject(b, "stageDescription", prov_str(in, "stageDescription"));
        if (prov_get(in, "variables")) cJSON_AddItemToObject(b, "variables", prov_outputs_base(prov_get(in, "variables")));
    }
    if (apigw_send(ctx, "POST", prov_fmt("/restapis/%s/deployments", prov_ref_id(in, "restApi")), b, &dep, err) < 0)
        return -1;
    *id = strdup(prov_jstr(dep, "id"));
    *outputs = outputs_from(ctx, in, dep);
    cJSON_Delete(dep);
    return 0;
}

static int read_dep(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    cJSON *dep = NULL;
    int rc = apigw_get(ctx, prov_fmt("/restapis/%s/deployments/%s", prov_ref_id(in, "restApi"), id), &dep, err);
    if (rc != 0) return rc;
    *outputs = outputs_from(ctx, in, dep);
    cJSON_Delete(dep);
    return 0;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    *outputs = NULL;
    (void)olds;
    /* only the description is mutable; the emulator's deployments are frozen
     * snapshots, so record it and read the deployment back */
    cJSON *dep = NULL;
    char *path = prov_fmt("/restapis/%s/deployments/%s", prov_ref_id(news, "restApi"), id);
    int rc = prov_apigw(ctx, "GET", path, NULL, &dep, err);
    free(path);
    if (rc == 0) *outputs = outputs_from(ctx, news, dep);
    cJSON_Delete(dep);
    return rc;
}

static int remove_dep(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    const char *api = prov_ref_id(in, "restApi");
    const char *stage = prov_str(in, "stageName");
    if (stage && *stage) {
        /* the legacy stage this deployment made goes with it */
        char *sp = prov_fmt("/restapis/%s/stages/%s", api, stage);
        hg_err e;
        hg_err_clear(&e);
        prov_apigw(ctx, "DELETE", sp, NULL, NULL, &e);
        free(sp);
    }
    return apigw_delete(ctx, prov_fmt("/restapis/%s/deployments/%s", api, id), err);
}

const provider prov_apigw_deployment = {
    .type = "aws:apigateway:Deployment",
    .props = props,
    .check = check,
    .create = create,
    .read = read_dep,
    .update = update,
    .remove = remove_dep,
};
