/*
 * registry.c — the provider table: one row per resource type, sorted by
 * type so prov_find is a binary search (a unit test checks the order and
 * that every type is unique). To add a type: write providers/<type>.c with
 * a `const provider prov_<name>`, declare it in prov_internal.h, add a row.
 */
#include "prov_internal.h"

#include <stdlib.h>
#include <string.h>

static const provider *const providers[] = {
    &prov_apigw_deployment,          /* aws:apigateway:Deployment */
    &prov_apigw_integration,         /* aws:apigateway:Integration */
    &prov_apigw_integration_response,/* aws:apigateway:IntegrationResponse */
    &prov_apigw_method,              /* aws:apigateway:Method */
    &prov_apigw_method_response,     /* aws:apigateway:MethodResponse */
    &prov_apigw_resource,            /* aws:apigateway:Resource */
    &prov_apigw_rest_api,            /* aws:apigateway:RestApi */
    &prov_apigw_stage,               /* aws:apigateway:Stage */
    &prov_dynamodb_table,            /* aws:dynamodb:Table */
    &prov_iam_role,                  /* aws:iam:Role */
    &prov_iam_role_policy,           /* aws:iam:RolePolicy */
    &prov_iam_role_policy_attachment,/* aws:iam:RolePolicyAttachment */
    &prov_lambda_function,           /* aws:lambda:Function */
    &prov_lambda_permission,         /* aws:lambda:Permission */
};

#define NPROVIDERS (sizeof providers / sizeof providers[0])

static const char *const type_names[NPROVIDERS + 1] = {
    "aws:apigateway:Deployment", "aws:apigateway:Integration", "aws:apigateway:IntegrationResponse",
    "aws:apigateway:Method", "aws:apigateway:MethodResponse", "aws:apigateway:Resource", "aws:apigateway:RestApi",
    "aws:apigateway:Stage",
    "aws:dynamodb:Table", "aws:iam:Role", "aws:iam:RolePolicy", "aws:iam:RolePolicyAttachment",
    "aws:lambda:Function", "aws:lambda:Permission", NULL,
};

const provider *prov_find(const char *type)
{
    size_t lo = 0, hi = NPROVIDERS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(type, providers[mid]->type);
        if (c == 0) return providers[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

const char *const *prov_types(void)
{
    return type_names;
}
