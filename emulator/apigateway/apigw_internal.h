/*
 * apigw_internal.h — the API Gateway (REST APIs, v1) service's internal header.
 *
 * Module map:
 *   service.c   the hg_apigateway_service: claims management requests
 *               (/restapis..., REST-JSON) and invocations (apigw_invocation_claims),
 *               dispatches management routes through a route table
 *   mgmt.c      RestApis, Resources, Methods, Integrations, method/integration responses
 *   deploy.c    Deployments (frozen snapshots) and Stages
 *   import.c    PutRestApi / ImportRestApi from OpenAPI 3 / Swagger 2 (JSON or YAML)
 *   invoke.c    the three invoke URL forms, matching against the deployed
 *               snapshot, Lambda proxy (AWS_PROXY) and MOCK integrations,
 *               permission check, the gateway access log
 *   event.c     the v1 proxy event;  mapper.c  the proxy response contract
 * Storage: store/apigw_store.{h,c}. Lambda is reached only through lambda.h.
 *
 * The seam between management and invocation is the deployment snapshot:
 * CreateDeployment freezes the API's resources exactly as
 * GetResources(embed=["methods"]) returns them — an array of Resource objects
 * {id, parentId, pathPart, path, resourceMethods: {METHOD: Method with its
 * methodIntegration (incl. integrationResponses) and methodResponses}} — and
 * invocations serve only that snapshot, so routes added after the last
 * deployment answer 403 until the API is redeployed, as on AWS.
 */
#ifndef APIGW_INTERNAL_H
#define APIGW_INTERNAL_H

#include <cjson/cJSON.h>
#include "hg_error.h"
#include "http.h"
#include "store.h"

/* What a stage serves. Returns 0 and fills *resources (the snapshot array,
 * new, caller frees) and *variables (the stage's variables object or NULL,
 * new, caller frees); 1 when the API or the stage does not exist; -1 on
 * error. *deployment_id receives the deployment's id (static storage of the
 * caller, >= 16 bytes). */
int apigw_stage_snapshot(hg_store *s, const char *region, const char *api_id, const char *stage,
                         cJSON **resources, cJSON **variables, char *deployment_id, hg_err *err);

/* invoke.c: is this request an invocation (any of the three URL forms)? */
int  apigw_invocation_claims(const hg_request *req);
/* invoke.c: serve an invocation; never fails (errors become AWS-shaped responses). */
void apigw_invoke(hg_request *req, hg_response *resp);

#endif
