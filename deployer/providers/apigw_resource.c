/*
 * apigw_resource.c — aws:apigateway:Resource: one path segment of a REST
 * API. A new restApi replaces it; parentId and pathPart change in place
 * (UpdateResource), as in @pulumi/aws.
 */
#include "apigw_common.h"

#include <stdlib.h>
#include <string.h>

#define T "aws:apigateway:Resource"

static const prov_prop props[] = {
    { "parentId", PROP_REQUIRED },
    { "pathPart", PROP_REQUIRED },
    { "restApi", PROP_REQUIRED | PROP_REPLACE },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    if (!prov_safe_segment(prov_ref_id(news, "restApi")))
        return hg_err_validation(err, T ": property 'restApi' must be a RestApi id");
    if (prov_check_string(news, "parentId", true, T, err) < 0 || prov_check_string(news, "pathPart", true, T, err) < 0)
        return -1;
    if (!prov_safe_segment(prov_str(news, "parentId")))
        return hg_err_validation(err, T ": property 'parentId' must be a resource id");
    if (strchr(prov_str(news, "pathPart"), '/'))
        return hg_err_validation(err, T ": property 'pathPart' is one path segment (no '/'): %s", prov_str(news, "pathPart"));
    return 0;
}

static cJSON *outputs_from(const cJSON *in, const cJSON *res)
{
    cJSON *o = prov_outputs_base(in);
    prov_set_str(o, "id", prov_jstr(res, "id"));
    prov_set_str(o, "path", prov_jstr(res, "path"));
    return o;
}

/* The path of the existing child of parentId named pathPart (new string),
 * or NULL: what a killed run may have created without recording it. */
static char *existing_child(prov_ctx *ctx, const cJSON *in)
{
    cJSON *list = NULL;
    hg_err e;
    hg_err_clear(&e);
    const char *api = prov_ref_id(in, "restApi");
    if (apigw_get(ctx, prov_fmt("/restapis/%s/resources?limit=500", api), &list, &e) != 0) return NULL;
    char *found = NULL;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(list, "item")) {
        const char *pid = prov_jstr(r, "parentId"), *part = prov_jstr(r, "pathPart"), *rid = prov_jstr(r, "id");
        if (pid && part && rid && strcmp(pid, prov_str(in, "parentId")) == 0 && strcmp(part, prov_str(in, "pathPart")) == 0) {
            found = prov_fmt("/restapis/%s/resources/%s", api, rid);
            break;
        }
    }
    cJSON_Delete(list);
    return found;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject(), *res = NULL;
    cJSON_AddStringToObject(b, "pathPart", prov_str(in, "pathPart"));
    char *path = prov_fmt("/restapis/%s/resources/%s", prov_ref_id(in, "restApi"), prov_str(in, "parentId"));
    char *again = strdup(path);
    cJSON *again_body = cJSON_Duplicate(b, 1);
    int rc = apigw_send(ctx, "POST", path, b, &res, err);
    char *old = rc < 0 && strcmp(err->code, "ConflictException") == 0 ? existing_child(ctx, in) : NULL;
    if (old) {
        /* as apigw_create_replacing: replace what a killed run left unrecorded */
        hg_err_clear(err);
        rc = apigw_delete(ctx, old, err);
        if (rc == 0) {
            rc = apigw_send(ctx, "POST", again, again_body, &res, err);
            again = NULL;
            again_body = NULL;
        }
    }
    free(again);
    cJSON_Delete(again_body);
    if (rc < 0) return -1;
    *id = strdup(prov_jstr(res, "id"));
    *outputs = outputs_from(in, res);
    cJSON_Delete(res);
    return 0;
}

static int read_res(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    cJSON *res = NULL;
    int rc = apigw_get(ctx, prov_fmt("/restapis/%s/resources/%s", prov_ref_id(in, "restApi"), id), &res, err);
    if (rc != 0) return rc;
    *outputs = outputs_from(in, res);
    cJSON_Delete(res);
    return 0;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    *outputs = NULL;
    cJSON *b = cJSON_CreateObject();
    cJSON *ops = cJSON_AddArrayToObject(b, "patchOperations");
    if (prov_changed(olds, news, "parentId")) prov_patch(ops, "replace", "/parentId", prov_str(news, "parentId"));
    if (prov_changed(olds, news, "pathPart")) prov_patch(ops, "replace", "/pathPart", prov_str(news, "pathPart"));
    char *path = prov_fmt("/restapis/%s/resources/%s", prov_ref_id(news, "restApi"), id);
    cJSON *res = NULL;
    int rc = prov_apigw(ctx, cJSON_GetArraySize(ops) ? "PATCH" : "GET", path, cJSON_GetArraySize(ops) ? b : NULL,
                        &res, err);
    free(path);
    cJSON_Delete(b);
    if (rc == 0) *outputs = outputs_from(news, res);
    cJSON_Delete(res);
    return rc;
}

static int remove_res(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    return apigw_delete(ctx, prov_fmt("/restapis/%s/resources/%s", prov_ref_id(in, "restApi"), id), err);
}

const provider prov_apigw_resource = {
    .type = "aws:apigateway:Resource",
    .props = props,
    .check = check,
    .create = create,
    .read = read_res,
    .update = update,
    .remove = remove_res,
};
