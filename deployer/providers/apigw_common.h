/*
 * apigw_common.h — what the API Gateway providers (apigw_*.c) share beyond
 * prov_internal.h: the REST call shapes every one of them repeats (GET that
 * reads "not found" as gone, DELETE that counts it as done, PATCH only when
 * there is something to patch), the identity of the method-level resources
 * (restApi + resourceId + httpMethod [+ statusCode]) and the patch operations
 * that turn one string map into another.
 *
 * Ownership: every `char *path` argument is a heap string (prov_fmt or a
 * provider's path function) that the call takes and frees; a `cJSON *body`
 * argument is taken and deleted likewise. So a provider writes
 * apigw_get(ctx, method_path(in), NULL, err) with nothing left to free.
 */
#ifndef HG_APIGW_COMMON_H
#define HG_APIGW_COMMON_H

#include <stdbool.h>
#include "prov_internal.h"

/* One API Gateway call; takes path and body (NULL: none). *out as prov_apigw. */
int apigw_send(prov_ctx *ctx, const char *method, char *path, cJSON *body, cJSON **out, hg_err *err);
/* GET path: 0 found (*out the response when out is non-NULL), 1 gone (err
 * cleared), -1 failed — what a provider's read returns. */
int apigw_get(prov_ctx *ctx, char *path, cJSON **out, hg_err *err);
/* DELETE path; "not found" counts as done. */
int apigw_delete(prov_ctx *ctx, char *path, hg_err *err);
/* A create (method + path + body). If the API answers ConflictException, the
 * object already exists though the state has no record of it — what a run
 * killed between the API's answer and its state write leaves behind — so
 * delete what is at del_path and send the create once more: the rerun
 * converges instead of failing. Takes path, body and del_path. */
int apigw_create_replacing(prov_ctx *ctx, const char *method, char *path, cJSON *body, char *del_path,
                           cJSON **out, hg_err *err);
/* PATCH path with body {"patchOperations":[...]} when it has any, else
 * nothing and 0. */
int apigw_patch_if_any(prov_ctx *ctx, char *path, cJSON *body, hg_err *err);

/* Patch operations that turn string map olds_map into news_map under prefix
 * ("/variables"): remove for a key gone, add_op ("add" or "replace") for a
 * new key, replace for a changed one; value renders a (secret-unwrapped)
 * map value as the patch's string. Either map may be NULL. */
void apigw_patch_map(cJSON *ops, const char *prefix, const cJSON *olds_map, const cJSON *news_map,
                     const char *add_op, const char *(*value)(const cJSON *v));

/* check: restApi and resourceId are ids (safe path segments); type names the
 * resource type in the message. */
int apigw_check_api_resource(const cJSON *news, const char *type, hg_err *err);
/* check: the above, and httpMethod is required and one of ANY, DELETE, GET,
 * HEAD, OPTIONS, PATCH, POST, PUT (Method, MethodResponse,
 * IntegrationResponse). */
int apigw_check_method_key(const cJSON *news, const char *type, hg_err *err);
/* "200": three digits, 1xx..5xx, as API Gateway accepts. */
bool apigw_valid_status(const char *s);
/* A copy of the inputs (new) with the id @pulumi/aws gives method-level
 * resources: "<prefix>-<api>-<resource>-<METHOD>", plus "-<status>" when
 * with_status. */
cJSON *apigw_keyed_outputs(const cJSON *in, const char *prefix, bool with_status);
/* Copy each named map-valued input that is set (names ends with NULL) into
 * the PUT body b, resolved from outputs to plain values. */
void apigw_body_maps(cJSON *b, const cJSON *in, const char *const *names);

/* A method-level object that one PUT writes whole and that has no id of
 * its own (Integration, IntegrationResponse, MethodResponse): the four
 * provider operations are the same but for these. */
typedef struct apigw_put_kind {
    char  *(*path)(const cJSON *in);   /* its URL path (new string) */
    cJSON *(*body)(const cJSON *in);   /* its PUT body (new object) */
    const char *id_prefix;             /* "agi": the id apigw_keyed_outputs gives */
    bool with_status;
    bool delete_before_put;            /* an update deletes first (a PUT would not replace it) */
} apigw_put_kind;

int apigw_put_create(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs,
                     hg_err *err);
int apigw_put_read(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *in, cJSON **outputs, hg_err *err);
int apigw_put_update(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *news, cJSON **outputs, hg_err *err);
int apigw_put_remove(const apigw_put_kind *k, prov_ctx *ctx, const cJSON *in, hg_err *err);

/* The provider operations of a put kind: defines static put_create,
 * put_read, put_update and put_remove with the vtable's signatures, each
 * passing &K (a static apigw_put_kind) on. The id is not read: the object
 * is found by its inputs, and an update writes the new inputs whole. */
#define APIGW_PUT_OPERATIONS(K)                                                                            \
    static int put_create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)        \
    {                                                                                                      \
        return apigw_put_create(&(K), ctx, in, id, outputs, err);                                         \
    }                                                                                                      \
    static int put_read(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)     \
    {                                                                                                      \
        (void)id;                                                                                          \
        return apigw_put_read(&(K), ctx, in, outputs, err);                                               \
    }                                                                                                      \
    static int put_update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news,            \
                          cJSON **outputs, hg_err *err)                                                    \
    {                                                                                                      \
        (void)id;                                                                                          \
        (void)olds;                                                                                        \
        return apigw_put_update(&(K), ctx, news, outputs, err);                                           \
    }                                                                                                      \
    static int put_remove(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)                    \
    {                                                                                                      \
        (void)id;                                                                                          \
        return apigw_put_remove(&(K), ctx, in, err);                                                      \
    }

#endif
