/*
 * apigw_common.c — the request shapes and identities the API Gateway
 * providers share; see apigw_common.h for who owns what.
 */
#include "apigw_common.h"

#include <stdlib.h>
#include <string.h>

int apigw_send(prov_ctx *ctx, const char *method, char *path, cJSON *body, cJSON **out, hg_err *err)
{
    int rc = prov_apigw(ctx, method, path, body, out, err);
    free(path);
    cJSON_Delete(body);
    return rc;
}

int apigw_get(prov_ctx *ctx, char *path, cJSON **out, hg_err *err)
{
    if (apigw_send(ctx, "GET", path, NULL, out, err) == 0) return 0;
    if (prov_not_found(err)) {
        hg_err_clear(err);
        return 1;
    }
    return -1;
}

int apigw_delete(prov_ctx *ctx, char *path, hg_err *err)
{
    return prov_gone_ok(apigw_send(ctx, "DELETE", path, NULL, NULL, err), err);
}

int apigw_create_replacing(prov_ctx *ctx, const char *method, char *path, cJSON *body, char *del_path,
                           cJSON **out, hg_err *err)
{
    char *again_path = path ? strdup(path) : NULL;
    cJSON *again_body = body ? cJSON_Duplicate(body, 1) : NULL;
    int rc = apigw_send(ctx, method, path, body, out, err);
    if (rc < 0 && del_path && again_path && strcmp(err->code, "ConflictException") == 0) {
        hg_err_clear(err);
        rc = apigw_delete(ctx, del_path, err);
        del_path = NULL;
        if (rc == 0) {
            rc = apigw_send(ctx, method, again_path, again_body, out, err);
            again_path = NULL;
            again_body = NULL;
        }
    }
    free(again_path);
    cJSON_Delete(again_body);
    free(del_path);
    return rc;
}

int apigw_patch_if_any(prov_ctx *ctx, char *path, cJSON *body, hg_err *err)
{
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(body, "patchOperations")) > 0)
        return apigw_send(ctx, "PATCH", path, body, NULL, err);
    free(path);
    cJSON_Delete(body);
    return 0;
}

void apigw_patch_map(cJSON *ops, const char *prefix, const cJSON *olds_map, const cJSON *news_map,
                     const char *add_op, const char *(*value)(const cJSON *v))
{
    for (const cJSON *v = olds_map ? olds_map->child : NULL; v; v = v->next)
        if (!cJSON_GetObjectItemCaseSensitive(news_map, v->string)) {
            char *p = prov_fmt("%s/%s", prefix, v->string);
            prov_patch(ops, "remove", p, NULL);
            free(p);
        }
    for (const cJSON *v = news_map ? news_map->child : NULL; v; v = v->next) {
        const cJSON *was = cJSON_GetObjectItemCaseSensitive(olds_map, v->string);
        if (was && cJSON_Compare(was, v, 1)) continue;
        char *p = prov_fmt("%s/%s", prefix, v->string);
        prov_patch(ops, was ? "replace" : add_op, p, value(prov_unwrap(v)));
        free(p);
    }
}

int apigw_check_api_resource(const cJSON *news, const char *type, hg_err *err)
{
    if (!prov_safe_segment(prov_ref_id(news, "restApi")))
        return hg_err_validation(err, "%s: property 'restApi' must be a RestApi id", type);
    if (!prov_safe_segment(prov_ref_id(news, "resourceId")))
        return hg_err_validation(err, "%s: property 'resourceId' must be a resource id", type);
    return 0;
}

int apigw_check_method_key(const cJSON *news, const char *type, hg_err *err)
{
    static const char *const methods[] = { "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", NULL };
    if (apigw_check_api_resource(news, type, err) < 0 || prov_check_string(news, "httpMethod", true, type, err) < 0 ||
        prov_check_enum(news, "httpMethod", methods, type, err) < 0)
        return -1;
    return 0;
}

bool apigw_valid_status(const char *s)
{
    return s && strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
           s[2] <= '9';
}

void apigw_body_maps(cJSON *b, const cJSON *in, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (prov_get(in, names[i])) cJSON_AddItemToObject(b, names[i], prov_outputs_base(prov_get(in, names[i])));
}

cJSON *apigw_keyed_outputs(const cJSON *in, const char *prefix, bool with_status)
{
    cJSON *o = prov_outputs_base(in);
    char *id = with_status ? prov_fmt("%s-%s-%s-%s-%s", prefix, prov_ref_id(in, "restApi"),
                                      prov_ref_id(in, "resourceId"), prov_str(in, "httpMethod"),
                                      prov_str(in, "statusCode"))
                           : prov_fmt("%s-%s-%s-%s", prefix, prov_ref_id(in, "restApi"),
                                      prov_ref_id(in, "resourceId"), prov_str(in, "httpMethod"));
    prov_set_str(o, "id", id);
    free(id);
    return o;
}

/* ---- objects written whole by one PUT ----------------------------------------- */

int apigw_put_create(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs,
                     hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    if (apigw_send(ctx, "PUT", k->path(in), k->body(in), NULL, err) < 0) return -1;
    *outputs = apigw_keyed_outputs(in, k->id_prefix, k->with_status);
    *id = strdup(prov_jstr(*outputs, "id"));
    return 0;
}

int apigw_put_read(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    int rc = apigw_get(ctx, k->path(in), NULL, err);
    if (rc == 0) *outputs = apigw_keyed_outputs(in, k->id_prefix, k->with_status);
    return rc;
}

int apigw_put_update(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *news, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    if (k->delete_before_put && apigw_delete(ctx, k->path(news), err) < 0) return -1;
    if (apigw_send(ctx, "PUT", k->path(news), k->body(news), NULL, err) < 0) return -1;
    *outputs = apigw_keyed_outputs(news, k->id_prefix, k->with_status);
    return 0;
}

int apigw_put_remove(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *in, hg_err *err)
{
    return apigw_delete(ctx, k->path(in), err);
}
