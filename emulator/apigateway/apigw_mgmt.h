/*
 * apigw_mgmt.h — what service.c, mgmt.c, deploy.c and import.c share: the
 * context every management operation runs in, the operations of the route
 * table, and helpers on the stored API document.
 *
 * The API document (kind "api" in apigw_store) is
 *   {"api": RestApi, "resources": [Resource, ...]}
 * where each Resource is stored exactly as GetResources(embed=methods)
 * shows it: {id, parentId, pathPart, path, resourceMethods: {METHOD: Method
 * with methodResponses and methodIntegration (with integrationResponses)}},
 * root first, every parent before its children.
 */
#ifndef APIGW_MGMT_H
#define APIGW_MGMT_H

#include <cjson/cJSON.h>
#include "apigw_store.h"
#include "hg_error.h"
#include "http.h"

#define APIGW_MAX_PARAMS 4

typedef struct apigw_ctx {
    hg_request *req;
    hg_store   *store;
    const char *region;
    const char *account;
    const char *params[APIGW_MAX_PARAMS]; /* {} segments of the route, in order; borrowed */
    cJSON      *in;       /* JSON body (an object; empty when none), NULL for raw-body ops; borrowed */
    cJSON      *out;      /* response body set by the op (the ctx owns it); NULL = none */
    int         status;   /* the route's success status, the op may change it */
} apigw_ctx;

typedef int (*apigw_op_fn)(apigw_ctx *c, hg_err *err);

#define apigw_not_found(err, ...)   hg_err_set((err), 404, "NotFoundException", __VA_ARGS__)
#define apigw_bad_request(err, ...) hg_err_set((err), 400, "BadRequestException", __VA_ARGS__)
#define apigw_conflict(err, ...)    hg_err_set((err), 409, "ConflictException", __VA_ARGS__)

/* ---- mgmt.c: helpers ------------------------------------------------------------------------ */
/* n random lowercase alphanumerics and a NUL into out (>= n + 1 bytes). */
void apigw_random_id(char *out, int n);
/* Load the API document (new, caller frees); NotFoundException when missing. */
int  apigw_api_load(apigw_ctx *c, const char *api_id, cJSON **doc, hg_err *err);
int  apigw_api_save(apigw_ctx *c, const char *api_id, const cJSON *doc, hg_err *err);
/* The resource of doc with this id, or NULL. Borrowed from doc. */
cJSON *apigw_resource_find(cJSON *doc, const char *id);
/* The child of parent_id named path_part, creating it (validated as
 * CreateResource validates) when absent. Borrowed from doc. */
cJSON *apigw_resource_child(cJSON *doc, const char *parent_id, const char *path_part,
                            int must_be_new, hg_err *err);
/* Apply PutMethod's / PutIntegration's rules to a request-shaped object and
 * build the stored Method / Integration (new, caller frees) — import reuses them. */
cJSON *apigw_method_new(const char *http_method, const cJSON *in, hg_err *err);
cJSON *apigw_integration_new(const char *resource_id, const cJSON *in, hg_err *err);
/* Resources as GetResources shows them (methods embedded or as {} keys). New. */
cJSON *apigw_resources_view(const cJSON *doc, int embed_methods);
/* Paging by position (an index) and limit, as the list operations accept them. */
int  apigw_page_args(apigw_ctx *c, int *start, int *limit, hg_err *err);
/* Does any method exist on the API? */
int  apigw_api_has_methods(const cJSON *doc);
/* The value of a patch operation as a string (NULL when absent). */
const char *apigw_patch_value(const cJSON *op);

/* ---- the operations (route table in service.c) ---------------------------------------------- */
int apigw_create_rest_api(apigw_ctx *c, hg_err *err);
int apigw_get_rest_apis(apigw_ctx *c, hg_err *err);
int apigw_get_rest_api(apigw_ctx *c, hg_err *err);
int apigw_update_rest_api(apigw_ctx *c, hg_err *err);
int apigw_delete_rest_api(apigw_ctx *c, hg_err *err);
int apigw_get_resources(apigw_ctx *c, hg_err *err);
int apigw_get_resource(apigw_ctx *c, hg_err *err);
int apigw_create_resource(apigw_ctx *c, hg_err *err);
int apigw_update_resource(apigw_ctx *c, hg_err *err);
int apigw_delete_resource(apigw_ctx *c, hg_err *err);
int apigw_put_method(apigw_ctx *c, hg_err *err);
int apigw_get_method(apigw_ctx *c, hg_err *err);
int apigw_update_method(apigw_ctx *c, hg_err *err);
int apigw_delete_method(apigw_ctx *c, hg_err *err);
int apigw_put_integration(apigw_ctx *c, hg_err *err);
int apigw_get_integration(apigw_ctx *c, hg_err *err);
int apigw_update_integration(apigw_ctx *c, hg_err *err);
int apigw_delete_integration(apigw_ctx *c, hg_err *err);
int apigw_put_method_response(apigw_ctx *c, hg_err *err);
int apigw_get_method_response(apigw_ctx *c, hg_err *err);
int apigw_delete_method_response(apigw_ctx *c, hg_err *err);
int apigw_put_integration_response(apigw_ctx *c, hg_err *err);
int apigw_get_integration_response(apigw_ctx *c, hg_err *err);
int apigw_delete_integration_response(apigw_ctx *c, hg_err *err);
/* deploy.c */
int apigw_create_deployment(apigw_ctx *c, hg_err *err);
int apigw_get_deployments(apigw_ctx *c, hg_err *err);
int apigw_get_deployment(apigw_ctx *c, hg_err *err);
int apigw_delete_deployment(apigw_ctx *c, hg_err *err);
int apigw_create_stage(apigw_ctx *c, hg_err *err);
int apigw_get_stage(apigw_ctx *c, hg_err *err);
int apigw_get_stages(apigw_ctx *c, hg_err *err);
int apigw_update_stage(apigw_ctx *c, hg_err *err);
int apigw_delete_stage(apigw_ctx *c, hg_err *err);
/* import.c */
int apigw_import_rest_api(apigw_ctx *c, hg_err *err);
int apigw_put_rest_api(apigw_ctx *c, hg_err *err);

#endif
