/*
 * deploy.c — Deployments and Stages, and the snapshot seam invocations read.
 *
 * A deployment freezes the API's resources as GetResources(embed=methods)
 * shows them (the row's aux column); a stage points at one deployment. An
 * invocation therefore serves what was deployed, never the live API, and a
 * route added later answers 403 until the API is redeployed, as on AWS.
 *
 * Invocations read a stage through apigw_stage_acquire: a per-thread parse
 * reused, without touching storage, until a management request may have
 * changed something (see stage_rec below).
 */
#include "apigw_internal.h"
#include "apigw_invoke.h"
#include "apigw_mgmt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hg_json.h"
#include "hg_time.h"

static double now_s(void) { return (double)(long long)hg_time_epoch(); }

static int valid_stage_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* Load a row of kind under params[0] as JSON (new); 1 when missing. */
static int load_obj(apigw_ctx *c, const char *kind, const char *id, cJSON **obj, hg_err *err)
{
    char *text = NULL;
    *obj = NULL;
    int rc = apigw_store_get(c->store, c->region, c->params[0], kind, id, &text, NULL, err);
    if (rc != 0) return rc;
    *obj = cJSON_Parse(text);
    free(text);
    return *obj ? 0 : hg_err_internal(err, "stored %s %s is not valid JSON", kind, id);
}

static int save_obj(apigw_ctx *c, const char *kind, const char *id, const cJSON *obj, const char *aux, hg_err *err)
{
    char *text = cJSON_PrintUnformatted(obj);
    if (!text) return hg_err_internal(err, "out of memory");
    int rc = apigw_store_put(c->store, c->region, c->params[0], kind, id, text, aux, err);
    cJSON_free(text);
    return rc;
}

/* The API must exist before anything under it is touched. */
static int api_exists(apigw_ctx *c, hg_err *err)
{
    int rc = apigw_store_get(c->store, c->region, c->params[0], "api", c->params[0], NULL, NULL, err);
    if (rc < 0) return -1;
    return rc == 1 ? apigw_not_found(err, "Invalid API identifier specified %s:%s", c->account, c->params[0]) : 0;
}

static int copy_string_map(cJSON *out, const char *key, const cJSON *in, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsObject(v)) return apigw_bad_request(err, "Invalid value for %s: expected a map of strings", key);
    const cJSON *e;
    cJSON_ArrayForEach(e, v)
        if (!cJSON_IsString(e)) return apigw_bad_request(err, "Invalid value for %s.%s: expected a string", key, e->string);
    hg_json_set(out, key, cJSON_Duplicate(v, 1));
    return 0;
}

static cJSON *new_stage(const char *name, const char *deployment_id, const char *description)
{
    cJSON *st = cJSON_CreateObject();
    double now = now_s();
    cJSON_AddStringToObject(st, "deploymentId", deployment_id);
    cJSON_AddStringToObject(st, "stageName", name);
    if (description) cJSON_AddStringToObject(st, "description", description);
    cJSON_AddBoolToObject(st, "cacheClusterEnabled", 0);
    cJSON_AddStringToObject(st, "cacheClusterStatus", "NOT_AVAILABLE");
    cJSON_AddObjectToObject(st, "methodSettings");
    cJSON_AddBoolToObject(st, "tracingEnabled", 0);
    cJSON_AddNumberToObject(st, "createdDate", now);
    cJSON_AddNumberToObject(st, "lastUpdatedDate", now);
    return st;
}

/* ---- Deployments ---------------------------------------------------------------------------- */

/* Every method must have an integration before it can be deployed. */
static int check_deployable(const cJSON *doc, hg_err *err)
{
    if (!apigw_api_has_methods(doc)) return apigw_bad_request(err, "The REST API doesn't contain any methods");
    const cJSON *r, *m;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "resources"))
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(r, "resourceMethods"))
            if (!cJSON_GetObjectItemCaseSensitive(m, "methodIntegration"))
                return apigw_bad_request(err, "No integration defined for method");
    return 0;
}

int apigw_create_deployment(apigw_ctx *c, hg_err *err)
{
    cJSON *doc;
    if (apigw_api_load(c, c->params[0], &doc, err) != 0) return -1;
    const char *stage_name = hg_json_str(c->in, "stageName");
    if (stage_name && !valid_stage_name(stage_name)) {
        cJSON_Delete(doc);
        return apigw_bad_request(err, "Stage name only allows a-zA-Z0-9_-");
    }
    if (check_deployable(doc, err) != 0) { cJSON_Delete(doc); return -1; }
    cJSON *snapshot = apigw_resources_view(doc, 1);
    cJSON_Delete(doc);
    char *snap_text = snapshot ? cJSON_PrintUnformatted(snapshot) : NULL;
    cJSON_Delete(snapshot);
    if (!snap_text) return hg_err_internal(err, "out of memory");

    char id[12];
    apigw_random_id(id, 6);
    cJSON *dep = cJSON_CreateObject();
    cJSON_AddStringToObject(dep, "id", id);
    const char *desc = hg_json_str(c->in, "description");
    if (desc) cJSON_AddStringToObject(dep, "description", desc);
    cJSON_AddNumberToObject(dep, "createdDate", now_s());
    int rc = save_obj(c, "deployment", id, dep, snap_text, err);
    cJSON_free(snap_text);

    if (rc == 0 && stage_name && *stage_name) {
        /* CreateDeployment with a stage name creates the stage or moves it here */
        cJSON *st = NULL;
        int found = load_obj(c, "stage", stage_name, &st, err);
        if (found < 0) rc = -1;
        else {
            if (found == 1) st = new_stage(stage_name, id, hg_json_str(c->in, "stageDescription"));
            hg_json_set(st, "deploymentId", cJSON_CreateString(id));
            hg_json_set(st, "lastUpdatedDate", cJSON_CreateNumber(now_s()));
            const cJSON *vars = cJSON_GetObjectItemCaseSensitive(c->in, "variables");
            if (vars && copy_string_map(st, "variables", c->in, err) != 0) rc = -1;
            const cJSON *tr = cJSON_GetObjectItemCaseSensitive(c->in, "tracingEnabled");
            if (cJSON_IsBool(tr)) hg_json_set(st, "tracingEnabled", cJSON_CreateBool(cJSON_IsTrue(tr)));
            if (rc == 0) rc = save_obj(c, "stage", stage_name, st, NULL, err);
            cJSON_Delete(st);
        }
    }
    if (rc != 0) { cJSON_Delete(dep); return -1; }
    c->out = dep;
    return 0;
}

int apigw_get_deployments(apigw_ctx *c, hg_err *err)
{
    int start, limit, n;
    char **docs;
    if (apigw_page_args(c, &start, &limit, err) != 0 || api_exists(c, err) != 0) return -1;
    if (apigw_store_list(c->store, c->region, c->params[0], "deployment", &docs, &n, err) != 0) return -1;
    c->out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(c->out, "item");   /* the wire name of "items" */
    for (int i = start; i < n && i < start + limit; i++) {
        cJSON *d = cJSON_Parse(docs[i]);
        if (d) cJSON_AddItemToArray(items, d);
    }
    if (start + limit < n) {
        char pos[24];
        snprintf(pos, sizeof pos, "%d", start + limit);
        cJSON_AddStringToObject(c->out, "position", pos);
    }
    apigw_store_list_free(docs, n);
    return 0;
}

/* apiSummary: {path: {METHOD: {authorizationType, apiKeyRequired}}} from a snapshot. */
static cJSON *api_summary(const cJSON *snapshot)
{
    cJSON *sum = cJSON_CreateObject();
    const cJSON *r, *m;
    cJSON_ArrayForEach(r, snapshot) {
        const cJSON *ms = cJSON_GetObjectItemCaseSensitive(r, "resourceMethods");
        if (!ms || !ms->child) continue;
        cJSON *p = cJSON_AddObjectToObject(sum, hg_json_str(r, "path"));
        cJSON_ArrayForEach(m, ms) {
            cJSON *e = cJSON_AddObjectToObject(p, m->string);
            const char *auth = hg_json_str(m, "authorizationType");
            cJSON_AddStringToObject(e, "authorizationType", auth ? auth : "NONE");
            cJSON_AddBoolToObject(e, "apiKeyRequired", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "apiKeyRequired")));
        }
    }
    return sum;
}

int apigw_get_deployment(apigw_ctx *c, hg_err *err)
{
    if (api_exists(c, err) != 0) return -1;
    char *doc = NULL, *aux = NULL;
    int rc = apigw_store_get(c->store, c->region, c->params[0], "deployment", c->params[1], &doc, &aux, err);
    if (rc < 0) return -1;
    if (rc == 1) return apigw_not_found(err, "Invalid Deployment identifier specified");
    c->out = cJSON_Parse(doc);
    const char *embed = hg_req_query(c->req, "embed");
    if (c->out && embed && strstr(embed, "apiSummary") && aux) {
        cJSON *snap = cJSON_Parse(aux);
        cJSON_AddItemToObject(c->out, "apiSummary", api_summary(snap));
        cJSON_Delete(snap);
    }
    free(doc);
    free(aux);
    return c->out ? 0 : hg_err_internal(err, "stored deployment is not valid JSON");
}

/* The stages of the API (new array). */
static int list_stages(apigw_ctx *c, cJSON **out, hg_err *err)
{
    char **docs;
    int n;
    if (apigw_store_list(c->store, c->region, c->params[0], "stage", &docs, &n, err) != 0) return -1;
    *out = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *s = cJSON_Parse(docs[i]);
        if (s) cJSON_AddItemToArray(*out, s);
    }
    apigw_store_list_free(docs, n);
    return 0;
}

int apigw_delete_deployment(apigw_ctx *c, hg_err *err)
{
    if (api_exists(c, err) != 0) return -1;
    int rc = apigw_store_get(c->store, c->region, c->params[0], "deployment", c->params[1], NULL, NULL, err);
    if (rc < 0) return -1;
    if (rc == 1) return apigw_not_found(err, "Invalid Deployment identifier specified");
    cJSON *stages, *s;
    if (list_stages(c, &stages, err) != 0) return -1;
    cJSON_ArrayForEach(s, stages) {
        const char *dep = hg_json_str(s, "deploymentId");
        if (dep && strcmp(dep, c->params[1]) == 0) {
            cJSON_Delete(stages);
            return apigw_bad_request(err, "Active stages pointing to this deployment must be moved or deleted");
        }
    }
    cJSON_Delete(stages);
    return apigw_store_delete(c->store, c->region, c->params[0], "deployment", c->params[1], err) < 0 ? -1 : 0;
}

/* ---- Stages --------------------------------------------------------------------------------- */

static int deployment_exists(apigw_ctx *c, const char *id, hg_err *err)
{
    int rc = apigw_store_get(c->store, c->region, c->params[0], "deployment", id, NULL, NULL, err);
    if (rc < 0) return -1;
    return rc == 1 ? apigw_not_found(err, "Invalid Deployment identifier specified") : 0;
}

int apigw_create_stage(apigw_ctx *c, hg_err *err)
{
    if (api_exists(c, err) != 0) return -1;
    const char *name = hg_json_str(c->in, "stageName");
    const char *dep = hg_json_str(c->in, "deploymentId");
    if (!name || !valid_stage_name(name)) return apigw_bad_request(err, "Stage name only allows a-zA-Z0-9_-");
    if (!dep || !*dep) return apigw_bad_request(err, "Invalid Deployment identifier specified: deploymentId is required");
    if (deployment_exists(c, dep, err) != 0) return -1;
    int rc = apigw_store_get(c->store, c->region, c->params[0], "stage", name, NULL, NULL, err);
    if (rc < 0) return -1;
    if (rc == 0) return apigw_conflict(err, "Stage already exists");
    cJSON *st = new_stage(name, dep, hg_json_str(c->in, "description"));
    const cJSON *b;
    if (cJSON_IsBool(b = cJSON_GetObjectItemCaseSensitive(c->in, "cacheClusterEnabled")))
        hg_json_set(st, "cacheClusterEnabled", cJSON_CreateBool(cJSON_IsTrue(b)));
    if (cJSON_IsBool(b = cJSON_GetObjectItemCaseSensitive(c->in, "tracingEnabled")))
        hg_json_set(st, "tracingEnabled", cJSON_CreateBool(cJSON_IsTrue(b)));
    const char *size = hg_json_str(c->in, "cacheClusterSize");
    if (size) cJSON_AddStringToObject(st, "cacheClusterSize", size);
    const char *docv = hg_json_str(c->in, "documentationVersion");
    if (docv) cJSON_AddStringToObject(st, "documentationVersion", docv);
    if (copy_string_map(st, "variables", c->in, err) != 0 || copy_string_map(st, "tags", c->in, err) != 0 ||
        save_obj(c, "stage", name, st, NULL, err) != 0) {
        cJSON_Delete(st);
        return -1;
    }
    c->out = st;
    return 0;
}

static int load_stage(apigw_ctx *c, cJSON **st, hg_err *err)
{
    if (api_exists(c, err) != 0) return -1;
    int rc = load_obj(c, "stage", c->params[1], st, err);
    if (rc < 0) return -1;
    return rc == 1 ? apigw_not_found(err, "Invalid Stage identifier specified") : 0;
}

int apigw_get_stage(apigw_ctx *c, hg_err *err)
{
    return load_stage(c, &c->out, err);
}

int apigw_get_stages(apigw_ctx *c, hg_err *err)
{
    if (api_exists(c, err) != 0) return -1;
    cJSON *all;
    if (list_stages(c, &all, err) != 0) return -1;
    const char *dep = hg_req_query(c->req, "deploymentId");
    if (dep && *dep) {
        cJSON *s = all->child;
        while (s) {
            cJSON *next = s->next;
            const char *d = hg_json_str(s, "deploymentId");
            if (!d || strcmp(d, dep) != 0) cJSON_Delete(cJSON_DetachItemViaPointer(all, s));
            s = next;
        }
    }
    c->out = cJSON_CreateObject();
    cJSON_AddItemToObject(c->out, "item", all);   /* Stages is {"item": [...]} in the model */
    return 0;
}

/* Method settings paths: /{resource path, ~1-escaped}/{METHOD}/{group}/{setting}. */
static const struct { const char *path; const char *key; int kind; } METHOD_SETTINGS[] = {
    { "metrics/enabled", "metricsEnabled", 'b' },
    { "logging/loglevel", "loggingLevel", 's' },
    { "logging/dataTrace", "dataTraceEnabled", 'b' },
    { "throttling/burstLimit", "throttlingBurstLimit", 'i' },
    { "throttling/rateLimit", "throttlingRateLimit", 'n' },
    { "caching/enabled", "cachingEnabled", 'b' },
    { "caching/ttlInSeconds", "cacheTtlInSeconds", 'i' },
    { "caching/dataEncrypted", "cacheDataEncrypted", 'b' },
    { "caching/requireAuthorizationForCacheControl", "requireAuthorizationForCacheControl", 'b' },
    { "caching/unauthorizedCacheControlHeaderStrategy", "unauthorizedCacheControlHeaderStrategy", 's' },
};

static int patch_method_setting(cJSON *st, const char *op, const char *path, const char *value, hg_err *err)
{
    /* path = /<resource>/<METHOD>/<group>/<name>; the key is "<resource>/<METHOD>" */
    const char *p = path + 1;
    const char *s1 = strchr(p, '/');
    const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
    if (!s2) return hg_err_set(err, 400, "BadRequestException", "Invalid patch path '%s' specified for op '%s'", path, op);
    for (size_t i = 0; i < sizeof METHOD_SETTINGS / sizeof METHOD_SETTINGS[0]; i++) {
        if (strcmp(s2 + 1, METHOD_SETTINGS[i].path) != 0) continue;
        char key[512];
        size_t n = 0;
        for (const char *q = p; q < s2 && n + 1 < sizeof key; q++) {
            if (q[0] == '~' && q[1] == '1') { key[n++] = '/'; q++; }
            else key[n++] = *q;
        }
        key[n] = '\0';
        cJSON *ms = cJSON_GetObjectItemCaseSensitive(st, "methodSettings");
        if (!ms) ms = cJSON_AddObjectToObject(st, "methodSettings");
        cJSON *entry = cJSON_GetObjectItemCaseSensitive(ms, key);
        if (!entry) entry = cJSON_AddObjectToObject(ms, key);
        if (strcmp(op, "remove") == 0) {
            cJSON_DeleteItemFromObjectCaseSensitive(entry, METHOD_SETTINGS[i].key);
            return 0;
        }
        if (!value) return apigw_bad_request(err, "Invalid patch operation: %s needs a value", path);
        cJSON *v;
        switch (METHOD_SETTINGS[i].kind) {
        case 'b': v = cJSON_CreateBool(strcmp(value, "true") == 0); break;
        case 's': v = cJSON_CreateString(value); break;
        default: {
            char *end;
            double d = strtod(value, &end);
            if (end == value || *end) return apigw_bad_request(err, "Invalid value for %s: %s", path, value);
            v = cJSON_CreateNumber(d);
        }
        }
        hg_json_set(entry, METHOD_SETTINGS[i].key, v);
        return 0;
    }
    return apigw_bad_request(err, "Invalid patch path '%s' specified for op '%s'", path, op);
}

int apigw_update_stage(apigw_ctx *c, hg_err *err)
{
    cJSON *st;
    if (load_stage(c, &st, err) != 0) return -1;
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(c->in, "patchOperations"), *p;
    int rc = 0;
    cJSON_ArrayForEach(p, ops) {
        const char *op = hg_json_str(p, "op"), *path = hg_json_str(p, "path");
        const char *value = apigw_patch_value(p);
        if (!op || !path) { rc = apigw_bad_request(err, "Each patch operation needs an op and a path"); break; }
        int remove = strcmp(op, "remove") == 0;
        if (!remove && strcmp(op, "replace") != 0 && strcmp(op, "add") != 0) {
            rc = apigw_bad_request(err, "Invalid patch operation specified. Must be one of: [add, remove, replace]");
            break;
        }
        if (strncmp(path, "/variables/", 11) == 0 && path[11]) {
            cJSON *vars = cJSON_GetObjectItemCaseSensitive(st, "variables");
            if (remove) {
                cJSON_DeleteItemFromObjectCaseSensitive(vars, path + 11);
                if (vars && !vars->child) cJSON_DeleteItemFromObjectCaseSensitive(st, "variables");
            } else {
                if (!vars) vars = cJSON_AddObjectToObject(st, "variables");
                hg_json_set(vars, path + 11, cJSON_CreateString(value ? value : ""));
            }
        } else if (strcmp(path, "/deploymentId") == 0) {
            if (remove || !value) { rc = apigw_bad_request(err, "Invalid patch operation: deploymentId cannot be removed"); break; }
            if ((rc = deployment_exists(c, value, err)) != 0) break;
            hg_json_set(st, "deploymentId", cJSON_CreateString(value));
        } else if (strcmp(path, "/description") == 0 || strcmp(path, "/cacheClusterSize") == 0 ||
                   strcmp(path, "/documentationVersion") == 0 || strcmp(path, "/clientCertificateId") == 0 ||
                   strcmp(path, "/webAclArn") == 0) {
            if (remove || !value) cJSON_DeleteItemFromObjectCaseSensitive(st, path + 1);
            else hg_json_set(st, path + 1, cJSON_CreateString(value));
        } else if (strcmp(path, "/cacheClusterEnabled") == 0 || strcmp(path, "/tracingEnabled") == 0) {
            if (!value || (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)) {
                rc = apigw_bad_request(err, "Invalid value for %s: must be true or false", path + 1);
                break;
            }
            hg_json_set(st, path + 1, cJSON_CreateBool(strcmp(value, "true") == 0));
            if (strcmp(path, "/cacheClusterEnabled") == 0)
                hg_json_set(st, "cacheClusterStatus", cJSON_CreateString(strcmp(value, "true") == 0 ? "AVAILABLE" : "NOT_AVAILABLE"));
        } else if (strncmp(path, "/accessLogSettings/", 19) == 0) {
            cJSON *als = cJSON_GetObjectItemCaseSensitive(st, "accessLogSettings");
            if (!als) als = cJSON_AddObjectToObject(st, "accessLogSettings");
            const char *key = path + 19;
            if (strcmp(key, "destinationArn") != 0 && strcmp(key, "format") != 0) {
                rc = apigw_bad_request(err, "Invalid patch path '%s' specified for op '%s'", path, op);
                break;
            }
            if (remove || !value) cJSON_DeleteItemFromObjectCaseSensitive(als, key);
            else hg_json_set(als, key, cJSON_CreateString(value));
        } else if (strcmp(path, "/accessLogSettings") == 0 && remove) {
            cJSON_DeleteItemFromObjectCaseSensitive(st, "accessLogSettings");
        } else if (strchr(path + 1, '/')) {
            if ((rc = patch_method_setting(st, op, path, value, err)) != 0) break;
        } else {
            rc = apigw_bad_request(err, "Invalid patch path '%s' specified for op '%s'", path, op);
            break;
        }
    }
    if (rc == 0) {
        hg_json_set(st, "lastUpdatedDate", cJSON_CreateNumber(now_s()));
        rc = save_obj(c, "stage", c->params[1], st, NULL, err);
    }
    if (rc != 0) { cJSON_Delete(st); return -1; }
    c->out = st;
    return 0;
}

int apigw_delete_stage(apigw_ctx *c, hg_err *err)
{
    if (api_exists(c, err) != 0) return -1;
    int rc = apigw_store_delete(c->store, c->region, c->params[0], "stage", c->params[1], err);
    if (rc < 0) return -1;
    return rc == 1 ? apigw_not_found(err, "Invalid Stage identifier specified") : 0;
}

/* ---- the seam ------------------------------------------------------------------------------- */

int apigw_stage_snapshot(hg_store *s, const char *region, const char *api_id, const char *stage,
                         cJSON **resources, cJSON **variables, char *deployment_id, hg_err *err)
{
    *resources = NULL;
    *variables = NULL;
    char *stage_text = NULL, *snap = NULL;
    int rc = apigw_store_get(s, region, api_id, "stage", stage, &stage_text, NULL, err);
    if (rc != 0) return rc;
    cJSON *st = cJSON_Parse(stage_text);
    free(stage_text);
    const char *dep = hg_json_str(st, "deploymentId");
    if (!dep) { cJSON_Delete(st); return hg_err_internal(err, "stored stage %s has no deployment", stage); }
    snprintf(deployment_id, 16, "%s", dep);
    rc = apigw_store_get(s, region, api_id, "deployment", dep, NULL, &snap, err);
    if (rc != 0 || !snap) {
        cJSON_Delete(st);
        free(snap);
        return rc < 0 ? -1 : 1;
    }
    *resources = cJSON_Parse(snap);
    free(snap);
    if (!*resources) { cJSON_Delete(st); return hg_err_internal(err, "stored snapshot of deployment %s is not valid JSON", deployment_id); }
    cJSON *vars = cJSON_GetObjectItemCaseSensitive(st, "variables");
    if (vars && vars->child) *variables = cJSON_DetachItemViaPointer(st, vars);
    cJSON_Delete(st);
    return 0;
}

/* ---- the shared, per-thread stage views ------------------------------------------------------ */

/* Invariants:
 *   1. A stage_rec is filled once and never changed; holders only read it.
 *   2. refs counts apigw_stage_acquire callers not yet released, plus one
 *      while a thread cache keeps it (atomic: a holder may outlive the entry).
 *   3. objects_gen changes after every management request that may have
 *      written (service.c calls apigw_objects_changed once the request's
 *      transaction has ended, before the client has its answer). A cache
 *      entry remembers the generation read before its record was built and
 *      is used without reading storage while objects_gen still equals it:
 *      no stored stage, deployment or API has changed since, so the record
 *      is exactly what a read would give. (A write that lands between the
 *      generation read and the build only makes the entry look stale.)
 *   4. A cache belongs to one thread (pthread key, freed at thread exit). */
typedef struct stage_rec {
    apigw_stage_view view;            /* first: release finds the record from the view */
    _Atomic int refs;
    char deployment[64];
    cJSON *resources, *variables;     /* owned; view borrows them */
    cJSON *binary_media_types;        /* owned: the API's, or NULL */
    apigw_routes *routes;             /* owned, borrows resources: made once, not per request */
} stage_rec;

static _Atomic unsigned long long objects_gen = 1;

void apigw_objects_changed(void) { atomic_fetch_add(&objects_gen, 1); }

static void stage_unref(stage_rec *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1) return;
    apigw_routes_free(r->routes);
    cJSON_Delete(r->resources);
    cJSON_Delete(r->variables);
    cJSON_Delete(r->binary_media_types);
    free(r);
}

void apigw_stage_release(const apigw_stage_view *view)
{
    if (view) stage_unref((stage_rec *)(void *)(uintptr_t)view);
}

#define STAGE_CACHE 16
typedef struct stage_cache {
    int next;                         /* round-robin victim */
    struct { char region[33]; char api_id[64]; char stage[129]; unsigned long long gen; stage_rec *rec; } e[STAGE_CACHE];
} stage_cache;

static pthread_key_t stage_key;
static pthread_once_t stage_once = PTHREAD_ONCE_INIT;

static void stage_cache_destroy(void *p)
{
    stage_cache *c = p;
    for (int i = 0; i < STAGE_CACHE; i++) stage_unref(c->e[i].rec);
    free(c);
}

static void stage_key_init(void) { pthread_key_create(&stage_key, stage_cache_destroy); }

static stage_cache *thread_stage_cache(void)
{
    pthread_once(&stage_once, stage_key_init);
    stage_cache *c = pthread_getspecific(stage_key);
    if (!c && (c = calloc(1, sizeof *c)) != NULL && pthread_setspecific(stage_key, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

/* The API's binaryMediaTypes (new array), or NULL when it has none. Only
 * that member is read: the API's document holds every resource and method. */
static int read_binary_media_types(hg_store *s, const char *region, const char *api_id, cJSON **out, hg_err *err)
{
    char *text = NULL;
    *out = NULL;
    int rc = apigw_store_get_member(s, region, api_id, "api", api_id, "$.api.binaryMediaTypes", &text, err);
    if (rc != 0) return rc;
    cJSON *types = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (cJSON_IsArray(types) && types->child) *out = types;
    else cJSON_Delete(types);
    return 0;
}

int apigw_stage_acquire(hg_store *s, const char *region, const char *api_id, const char *stage,
                        const apigw_stage_view **view, hg_err *err)
{
    *view = NULL;
    unsigned long long gen = atomic_load(&objects_gen);   /* before any read (invariant 3) */
    stage_cache *c = thread_stage_cache();
    int slot = -1;
    for (int i = 0; c && i < STAGE_CACHE && slot < 0; i++)
        if (c->e[i].rec && strcmp(c->e[i].stage, stage) == 0 && strcmp(c->e[i].api_id, api_id) == 0 &&
            strcmp(c->e[i].region, region) == 0) slot = i;
    if (slot >= 0 && c->e[slot].gen == gen) {
        stage_rec *hit = c->e[slot].rec;
        atomic_fetch_add(&hit->refs, 1);
        *view = &hit->view;
        return 0;
    }
    /* Changed or new: the stage, its deployment's snapshot, the API's binary types. */
    char *text = NULL, *snap = NULL;
    cJSON *st = NULL;
    int rc = apigw_store_get(s, region, api_id, "stage", stage, &text, NULL, err);
    if (rc != 0) return rc;
    stage_rec *r = calloc(1, sizeof *r);
    st = cJSON_Parse(text);
    free(text);
    const char *dep = hg_json_str(st, "deploymentId");
    if (!r || !dep) {
        rc = r ? hg_err_internal(err, "stored stage %s has no deployment", stage) : hg_err_internal(err, "out of memory");
        goto fail;
    }
    atomic_init(&r->refs, 1);
    snprintf(r->deployment, sizeof r->deployment, "%s", dep);
    rc = apigw_store_get(s, region, api_id, "deployment", dep, NULL, &snap, err);
    if (rc != 0 || !snap) {
        rc = rc < 0 ? -1 : 1;
        goto fail;
    }
    if (!(r->resources = cJSON_Parse(snap))) {
        rc = hg_err_internal(err, "stored snapshot of deployment %s is not valid JSON", r->deployment);
        goto fail;
    }
    free(snap);
    snap = NULL;
    if ((rc = read_binary_media_types(s, region, api_id, &r->binary_media_types, err)) != 0) {
        rc = rc < 0 ? -1 : 1;
        goto fail;
    }
    cJSON *vars = cJSON_GetObjectItemCaseSensitive(st, "variables");
    if (vars && vars->child) r->variables = cJSON_DetachItemViaPointer(st, vars);
    cJSON_Delete(st);
    r->view.resources = r->resources;
    r->view.variables = r->variables;
    r->view.binary_media_types = r->binary_media_types;
    r->view.deployment_id = r->deployment;
    r->view.routes = r->routes = apigw_routes_new(r->resources);   /* NULL: matched from resources */
    if (c) {                          /* the cache takes its own reference */
        if (slot < 0) {
            slot = c->next;
            c->next = (c->next + 1) % STAGE_CACHE;
        }
        stage_unref(c->e[slot].rec);
        snprintf(c->e[slot].region, sizeof c->e[slot].region, "%s", region);
        snprintf(c->e[slot].api_id, sizeof c->e[slot].api_id, "%s", api_id);
        snprintf(c->e[slot].stage, sizeof c->e[slot].stage, "%s", stage);
        c->e[slot].gen = gen;
        atomic_fetch_add(&r->refs, 1);
        c->e[slot].rec = r;
    }
    *view = &r->view;
    return 0;
fail:
    cJSON_Delete(st);
    free(snap);
    if (r) {
        cJSON_Delete(r->resources);
        cJSON_Delete(r->binary_media_types);
        free(r);
    }
    return rc;
}
