/*
 * mgmt.c — RestApis, Resources, Methods, Integrations and their responses.
 *
 * Each operation loads the API document (one row, see apigw_mgmt.h), edits
 * it as cJSON and saves it inside the write transaction service.c opened,
 * so concurrent edits of one API serialize and a failed edit leaves nothing.
 * Validation follows AWS's order and words where they are known.
 */
#include "apigw_mgmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hg_uuid.h"
#include "hg_json.h"
#include "hg_parse.h"
#include "hg_time.h"

#define DEFAULT_LIMIT 25
#define MAX_LIMIT 500
#define TIMEOUT_MIN_MS 50
#define TIMEOUT_MAX_MS 29000

/* ---- helpers -------------------------------------------------------------------------------- */

void apigw_random_id(char *out, int n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[32];
    if (n > 32) n = 32;
    hg_random_bytes(r, (size_t)n);
    for (int i = 0; i < n; i++) out[i] = alphabet[r[i] % 36];
    out[n] = '\0';
}

int apigw_api_load(apigw_ctx *c, const char *api_id, cJSON **doc, hg_err *err)
{
    char *text = NULL;
    *doc = NULL;
    int rc = apigw_store_get(c->store, c->region, api_id, "api", api_id, &text, NULL, err);
    if (rc < 0) return -1;
    if (rc == 1) return apigw_not_found(err, "Invalid API identifier specified %s:%s", c->account, api_id);
    *doc = cJSON_Parse(text);
    free(text);
    if (!*doc) return hg_err_internal(err, "stored REST API %s is not valid JSON", api_id);
    return 0;
}

int apigw_api_save(apigw_ctx *c, const char *api_id, const cJSON *doc, hg_err *err)
{
    char *text = cJSON_PrintUnformatted(doc);
    if (!text) return hg_err_internal(err, "out of memory");
    int rc = apigw_store_put(c->store, c->region, api_id, "api", api_id, text, NULL, err);
    cJSON_free(text);
    return rc;
}

static cJSON *resources_of(cJSON *doc) { return cJSON_GetObjectItemCaseSensitive(doc, "resources"); }

cJSON *apigw_resource_find(cJSON *doc, const char *id)
{
    cJSON *r;
    cJSON_ArrayForEach(r, resources_of(doc)) {
        const char *rid = hg_json_str(r, "id");
        if (rid && strcmp(rid, id) == 0) return r;
    }
    return NULL;
}

static int is_greedy(const char *part)
{
    size_t n = strlen(part);
    return n >= 3 && part[0] == '{' && part[n - 2] == '+' && part[n - 1] == '}';
}

static int is_variable(const char *part) { return part[0] == '{'; }

/* AWS: letters, digits, ._- and :, or a whole-segment {name} / {name+}. */
static int valid_path_part(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 1024) return 0;
    size_t from = 0, to = n;
    if (p[0] == '{') {
        if (p[n - 1] != '}') return 0;
        from = 1;
        to = n - 1;
        if (to > from && p[to - 1] == '+') to--;
        if (to == from) return 0;
    }
    for (size_t i = from; i < to; i++) {
        char ch = p[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-' || ch == ':' || (from == 0 && (ch == '@' || ch == '~'));
        if (!ok) return 0;
    }
    return 1;
}

cJSON *apigw_resource_child(cJSON *doc, const char *parent_id, const char *path_part,
                            int must_be_new, hg_err *err)
{
    cJSON *parent = apigw_resource_find(doc, parent_id);
    if (!parent) { apigw_not_found(err, "Invalid Resource identifier specified"); return NULL; }
    if (!valid_path_part(path_part)) {
        apigw_bad_request(err, "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
                               "and the end and an optional plus sign before the closing brace.");
        return NULL;
    }
    const char *ppath = hg_json_str(parent, "path");
    const char *ppart = hg_json_str(parent, "pathPart");
    if (ppart && is_greedy(ppart)) {
        apigw_bad_request(err, "Cannot create a child of a resource with a greedy path variable: %s", ppart);
        return NULL;
    }
    cJSON *r;
    cJSON_ArrayForEach(r, resources_of(doc)) {
        const char *pid = hg_json_str(r, "parentId");
        if (!pid || strcmp(pid, parent_id) != 0) continue;
        const char *part = hg_json_str(r, "pathPart");
        if (part && strcmp(part, path_part) == 0) {
            if (!must_be_new) return r;
            apigw_conflict(err, "Another resource with the same parent already has this name: %s", path_part);
            return NULL;
        }
        if (part && is_variable(part) && is_variable(path_part)) {
            apigw_bad_request(err, "A sibling (%s) of this resource already has a variable path part -- only one is allowed",
                              part);
            return NULL;
        }
    }
    char id[8], path[4096];
    apigw_random_id(id, 6);
    int n = snprintf(path, sizeof path, "%s%s%s", ppath ? ppath : "/",
                     ppath && strcmp(ppath, "/") != 0 ? "/" : "", path_part);
    if (n < 0 || (size_t)n >= sizeof path) { apigw_bad_request(err, "Resource path too long"); return NULL; }
    cJSON *res = cJSON_CreateObject();
    if (!res) { hg_err_internal(err, "out of memory"); return NULL; }
    cJSON_AddStringToObject(res, "id", id);
    cJSON_AddStringToObject(res, "parentId", parent_id);
    cJSON_AddStringToObject(res, "pathPart", path_part);
    cJSON_AddStringToObject(res, "path", path);
    cJSON_AddItemToArray(resources_of(doc), res);
    return res;
}

cJSON *apigw_resources_view(const cJSON *doc, int embed_methods)
{
    cJSON *src = cJSON_GetObjectItemCaseSensitive(doc, "resources");
    cJSON *out = embed_methods ? cJSON_Duplicate(src, 1) : cJSON_CreateArray();
    if (!out || embed_methods) return out;
    const cJSON *r;
    cJSON_ArrayForEach(r, src) {
        cJSON *copy = cJSON_CreateObject();
        const cJSON *f;
        cJSON_ArrayForEach(f, r) {
            if (strcmp(f->string, "resourceMethods") != 0) {
                cJSON_AddItemToObject(copy, f->string, cJSON_Duplicate(f, 1));
                continue;
            }
            /* without embed AWS lists the methods by name only */
            cJSON *names = cJSON_AddObjectToObject(copy, "resourceMethods");
            const cJSON *m;
            cJSON_ArrayForEach(m, f) cJSON_AddObjectToObject(names, m->string);
        }
        cJSON_AddItemToArray(out, copy);
    }
    return out;
}

int apigw_api_has_methods(const cJSON *doc)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "resources")) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "resourceMethods");
        if (m && m->child) return 1;
    }
    return 0;
}

int apigw_page_args(apigw_ctx *c, int *start, int *limit, hg_err *err)
{
    const char *pos = hg_req_query(c->req, "position");
    const char *lim = hg_req_query(c->req, "limit");
    uint64_t v;
    *start = 0;
    *limit = DEFAULT_LIMIT;
    if (lim) {
        if (hg_parse_u64z(lim, 1000000, &v) != 0 || v < 1 || v > MAX_LIMIT)
            return apigw_bad_request(err, "Invalid limit: must be between 1 and %d", MAX_LIMIT);
        *limit = (int)v;
    }
    if (pos && *pos) {
        if (hg_parse_u64z(pos, 100000000, &v) != 0) return apigw_bad_request(err, "Invalid position specified");
        *start = (int)v;
    }
    return 0;
}

/* Fill out {"items": [...], "position"?} with the page [start, start+limit) of all (taken). */
static void page_into(cJSON *out, cJSON *all, int start, int limit)
{
    cJSON *items = cJSON_AddArrayToObject(out, "item");   /* the wire name of "items" */
    int n = cJSON_GetArraySize(all), i = 0;
    cJSON *e;
    while ((e = all->child) != NULL) {
        cJSON_DetachItemViaPointer(all, e);
        if (i >= start && i < start + limit) cJSON_AddItemToArray(items, e);
        else cJSON_Delete(e);
        i++;
    }
    if (start + limit < n) {
        char pos[24];
        snprintf(pos, sizeof pos, "%d", start + limit);
        cJSON_AddStringToObject(out, "position", pos);
    }
    cJSON_Delete(all);
}

const char *apigw_patch_value(const cJSON *op)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, "value");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Copy member key of in into out when present and of the given cJSON type. */
static int copy_member(cJSON *out, const cJSON *in, const char *key, int type, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    if (!v || cJSON_IsNull(v)) return 0;
    int ok = type == cJSON_True ? cJSON_IsBool(v) : (v->type & 0xFF) == type;
    if (!ok) return apigw_bad_request(err, "Invalid value for %s", key);
    cJSON_AddItemToObject(out, key, cJSON_Duplicate(v, 1));
    return 0;
}

static int one_of(const char *v, const char *const *set)
{
    for (int i = 0; set[i]; i++)
        if (strcmp(v, set[i]) == 0) return 1;
    return 0;
}

/* ---- RestApis ------------------------------------------------------------------------------- */

static const char *const ENDPOINT_TYPES[] = { "EDGE", "REGIONAL", "PRIVATE", NULL };
static const char *const KEY_SOURCES[] = { "HEADER", "AUTHORIZER", NULL };

int apigw_create_rest_api(apigw_ctx *c, hg_err *err)
{
    const char *name = hg_json_str(c->in, "name");
    if (!name || !*name) return apigw_bad_request(err, "Invalid REST API name specified: name must be non-empty");
    const char *src = hg_json_str(c->in, "cloneFrom");
    cJSON *clone = NULL;
    if (src && apigw_api_load(c, src, &clone, err) != 0) return -1;

    cJSON *doc = cJSON_CreateObject();
    cJSON *api = cJSON_AddObjectToObject(doc, "api");
    char id[12], root[12];
    apigw_random_id(id, 10);
    apigw_random_id(root, 10);
    cJSON_AddStringToObject(api, "id", id);
    cJSON_AddStringToObject(api, "name", name);
    int rc = 0;
    rc |= copy_member(api, c->in, "description", cJSON_String, err);
    cJSON_AddNumberToObject(api, "createdDate", (double)(long long)hg_time_epoch());
    rc |= copy_member(api, c->in, "version", cJSON_String, err);
    rc |= copy_member(api, c->in, "binaryMediaTypes", cJSON_Array, err);
    rc |= copy_member(api, c->in, "minimumCompressionSize", cJSON_Number, err);
    const char *ks = hg_json_str(c->in, "apiKeySource");
    if (ks && !one_of(ks, KEY_SOURCES)) rc = apigw_bad_request(err, "Invalid API Key Source specified: %s", ks);
    cJSON_AddStringToObject(api, "apiKeySource", ks ? ks : "HEADER");
    const cJSON *ec = cJSON_GetObjectItemCaseSensitive(c->in, "endpointConfiguration");
    const cJSON *types = cJSON_GetObjectItemCaseSensitive(ec, "types");
    if (ec && !cJSON_IsNull(ec) && !cJSON_IsObject(ec))
        rc = apigw_bad_request(err, "Invalid endpointConfiguration: expected an object with a types list");
    else if (types && !cJSON_IsNull(types) && !cJSON_IsArray(types))
        rc = apigw_bad_request(err, "Invalid endpointConfiguration: types must be a list");
    if (cJSON_IsArray(types) && cJSON_GetArraySize(types) > 0) {
        const cJSON *t;
        cJSON_ArrayForEach(t, types)
            if (!cJSON_IsString(t) || !one_of(t->valuestring, ENDPOINT_TYPES))
                rc = apigw_bad_request(err, "Invalid endpoint type specified");
        cJSON_AddItemToObject(api, "endpointConfiguration", cJSON_Duplicate(ec, 1));
    } else {
        cJSON *e = cJSON_AddObjectToObject(api, "endpointConfiguration");
        cJSON *t = cJSON_AddArrayToObject(e, "types");
        cJSON_AddItemToArray(t, cJSON_CreateString("EDGE"));
    }
    rc |= copy_member(api, c->in, "policy", cJSON_String, err);
    rc |= copy_member(api, c->in, "tags", cJSON_Object, err);
    const cJSON *dis = cJSON_GetObjectItemCaseSensitive(c->in, "disableExecuteApiEndpoint");
    if (dis && !cJSON_IsNull(dis) && !cJSON_IsBool(dis))
        rc = apigw_bad_request(err, "Invalid disableExecuteApiEndpoint: expected a boolean");
    cJSON_AddBoolToObject(api, "disableExecuteApiEndpoint", cJSON_IsTrue(dis));
    cJSON_AddStringToObject(api, "rootResourceId", root);

    cJSON *resources = cJSON_AddArrayToObject(doc, "resources");
    if (clone) {
        /* the copy keeps the structure under fresh ids, its root under ours */
        cJSON *cres = cJSON_GetObjectItemCaseSensitive(clone, "resources");
        cJSON *r;
        cJSON_ArrayForEach(r, cres) {
            const char *pid = hg_json_str(r, "parentId");
            if (!pid) {
                cJSON *nr = cJSON_Duplicate(r, 1);
                hg_json_set(nr, "id", cJSON_CreateString(root));
                cJSON_AddItemToArray(resources, nr);
                hg_json_set(r, "newId", cJSON_CreateString(root));
                continue;
            }
            cJSON *parent = apigw_resource_find(clone, pid);
            char nid[8];
            apigw_random_id(nid, 6);
            cJSON *nr = cJSON_Duplicate(r, 1);
            hg_json_set(nr, "id", cJSON_CreateString(nid));
            hg_json_set(nr, "parentId", cJSON_CreateString(parent ? hg_json_str(parent, "newId") : root));
            cJSON_AddItemToArray(resources, nr);
            hg_json_set(r, "newId", cJSON_CreateString(nid));
        }
        cJSON_Delete(clone);
    } else {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "id", root);
        cJSON_AddStringToObject(r, "path", "/");
        cJSON_AddItemToArray(resources, r);
    }
    if (rc != 0 || apigw_api_save(c, id, doc, err) != 0) { cJSON_Delete(doc); return -1; }
    c->out = cJSON_DetachItemFromObjectCaseSensitive(doc, "api");
    cJSON_Delete(doc);
    return 0;
}

int apigw_get_rest_apis(apigw_ctx *c, hg_err *err)
{
    int start, limit, n;
    char **docs;
    if (apigw_page_args(c, &start, &limit, err) != 0) return -1;
    if (apigw_store_list(c->store, c->region, NULL, "api", &docs, &n, err) != 0) return -1;
    cJSON *all = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *d = cJSON_Parse(docs[i]);
        cJSON *api = d ? cJSON_DetachItemFromObjectCaseSensitive(d, "api") : NULL;
        if (api) cJSON_AddItemToArray(all, api);
        cJSON_Delete(d);
    }
    apigw_store_list_free(docs, n);
    c->out = cJSON_CreateObject();
    page_into(c->out, all, start, limit);
    return 0;
}

int apigw_get_rest_api(apigw_ctx *c, hg_err *err)
{
    cJSON *doc;
    if (apigw_api_load(c, c->params[0], &doc, err) != 0) return -1;
    c->out = cJSON_DetachItemFromObjectCaseSensitive(doc, "api");
    cJSON_Delete(doc);
    return 0;
}

/* "~1" -> "/", "~0" -> "~" (JSON pointer escapes in patch paths) into out. */
static void unescape_pointer(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (; *in && o + 1 < cap; in++) {
        if (in[0] == '~' && in[1] == '1') { out[o++] = '/'; in++; }
        else if (in[0] == '~' && in[1] == '0') { out[o++] = '~'; in++; }
        else out[o++] = *in;
    }
    out[o] = '\0';
}

static int patch_string(cJSON *obj, const char *key, const char *op, const char *value)
{
    if (strcmp(op, "remove") == 0 || !value) cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    else hg_json_set(obj, key, cJSON_CreateString(value));
    return 0;
}

static int invalid_patch(hg_err *err, const char *op, const char *path)
{
    return apigw_bad_request(err, "Invalid patch path  '%s' specified for op '%s'. Please choose supported operations",
                             path, op);
}

static int patch_rest_api(cJSON *api, const char *op, const char *path, const char *value, hg_err *err)
{
    if (strcmp(path, "/name") == 0) {
        if (strcmp(op, "replace") != 0 || !value || !*value) return invalid_patch(err, op, path);
        return patch_string(api, "name", op, value);
    }
    if (strcmp(path, "/description") == 0 || strcmp(path, "/version") == 0 || strcmp(path, "/policy") == 0)
        return patch_string(api, path + 1, op, value);
    if (strcmp(path, "/apiKeySource") == 0) {
        if (!value || !one_of(value, KEY_SOURCES)) return apigw_bad_request(err, "Invalid API Key Source specified");
        return patch_string(api, "apiKeySource", "replace", value);
    }
    if (strcmp(path, "/minimumCompressionSize") == 0) {
        uint64_t v;
        if (strcmp(op, "remove") == 0 || !value || !*value) {
            cJSON_DeleteItemFromObjectCaseSensitive(api, "minimumCompressionSize");
            return 0;
        }
        if (hg_parse_u64z(value, 10485760, &v) != 0)
            return apigw_bad_request(err, "Invalid minimum compression size, must be between 0 and 10485760");
        hg_json_set(api, "minimumCompressionSize", cJSON_CreateNumber((double)v));
        return 0;
    }
    if (strcmp(path, "/disableExecuteApiEndpoint") == 0) {
        if (!value || (strcmp(value, "true") != 0 && strcmp(value, "false") != 0))
            return apigw_bad_request(err, "Invalid value for disableExecuteApiEndpoint: must be true or false");
        hg_json_set(api, "disableExecuteApiEndpoint", cJSON_CreateBool(strcmp(value, "true") == 0));
        return 0;
    }
    if (strncmp(path, "/binaryMediaTypes/", 18) == 0) {
        char type[256];
        unescape_pointer(path + 18, type, sizeof type);
        cJSON *list = cJSON_GetObjectItemCaseSensitive(api, "binaryMediaTypes");
        if (!list) list = cJSON_AddArrayToObject(api, "binaryMediaTypes");
        int idx = 0, found = -1;
        cJSON *t;
        cJSON_ArrayForEach(t, list) {
            if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0) found = idx;
            idx++;
        }
        if (strcmp(op, "remove") == 0) {
            if (found >= 0) cJSON_DeleteItemFromArray(list, found);
        } else if (strcmp(op, "add") == 0) {
            if (found < 0) cJSON_AddItemToArray(list, cJSON_CreateString(type));
        } else if (strcmp(op, "replace") == 0) {
            if (!value) return apigw_bad_request(err, "Invalid patch operation: replace needs a value");
            if (found >= 0) cJSON_ReplaceItemInArray(list, found, cJSON_CreateString(value));
            else cJSON_AddItemToArray(list, cJSON_CreateString(value));
        } else {
            return invalid_patch(err, op, path);
        }
        if (cJSON_GetArraySize(list) == 0) cJSON_DeleteItemFromObjectCaseSensitive(api, "binaryMediaTypes");
        return 0;
    }
    if (strncmp(path, "/endpointConfiguration/types", 28) == 0) {
        if (strcmp(op, "replace") != 0 || !value || !one_of(value, ENDPOINT_TYPES))
            return apigw_bad_request(err, "Invalid endpoint configuration: replace /endpointConfiguration/types/<type> "
                                          "with one of EDGE, REGIONAL, PRIVATE");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "types", cJSON_CreateArray());
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(e, "types"), cJSON_CreateString(value));
        hg_json_set(api, "endpointConfiguration", e);
        return 0;
    }
    return invalid_patch(err, op, path);
}

/* Run fn for each entry of patchOperations, with the op checked. */
typedef int (*patch_fn)(cJSON *target, const char *op, const char *path, const char *value, hg_err *err);
static int apply_patches(const cJSON *in, cJSON *target, patch_fn fn, hg_err *err)
{
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(in, "patchOperations");
    if (ops && !cJSON_IsArray(ops)) return apigw_bad_request(err, "patchOperations must be a list");
    const cJSON *p;
    cJSON_ArrayForEach(p, ops) {
        const char *op = hg_json_str(p, "op"), *path = hg_json_str(p, "path");
        if (!op || !path) return apigw_bad_request(err, "Each patch operation needs an op and a path");
        if (strcmp(op, "add") != 0 && strcmp(op, "remove") != 0 && strcmp(op, "replace") != 0 &&
            strcmp(op, "move") != 0 && strcmp(op, "copy") != 0 && strcmp(op, "test") != 0)
            return apigw_bad_request(err, "Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'move'|'copy'|'test'");
        if (strcmp(op, "move") == 0 || strcmp(op, "copy") == 0 || strcmp(op, "test") == 0)
            return invalid_patch(err, op, path);
        if (fn(target, op, path, apigw_patch_value(p), err) != 0) return -1;
    }
    return 0;
}

int apigw_update_rest_api(apigw_ctx *c, hg_err *err)
{
    cJSON *doc;
    if (apigw_api_load(c, c->params[0], &doc, err) != 0) return -1;
    cJSON *api = cJSON_GetObjectItemCaseSensitive(doc, "api");
    if (apply_patches(c->in, api, patch_rest_api, err) != 0 || apigw_api_save(c, c->params[0], doc, err) != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    c->out = cJSON_DetachItemViaPointer(doc, api);
    cJSON_Delete(doc);
    return 0;
}

int apigw_delete_rest_api(apigw_ctx *c, hg_err *err)
{
    int rc = apigw_store_delete_api(c->store, c->region, c->params[0], err);
    if (rc < 0) return -1;
    if (rc == 1) return apigw_not_found(err, "Invalid API identifier specified %s:%s", c->account, c->params[0]);
    return 0;
}

/* ---- Resources ------------------------------------------------------------------------------ */

static int embeds_methods(apigw_ctx *c)
{
    const char *e = hg_req_query(c->req, "embed");
    return e && strstr(e, "methods") != NULL;
}

int apigw_get_resources(apigw_ctx *c, hg_err *err)
{
    int start, limit;
    cJSON *doc;
    if (apigw_page_args(c, &start, &limit, err) != 0) return -1;
    if (apigw_api_load(c, c->params[0], &doc, err) != 0) return -1;
    cJSON *all = apigw_resources_view(doc, embeds_methods(c));
    cJSON_Delete(doc);
    if (!all) return hg_err_internal(err, "out of memory");
    c->out = cJSON_CreateObject();
    page_into(c->out, all, start, limit);
    return 0;
}

/* Load the API and find resource params[1] in it (*res borrowed from *doc). */
static int load_resource(apigw_ctx *c, cJSON **doc, cJSON **res, hg_err *err)
{
    if (apigw_api_load(c, c->params[0], doc, err) != 0) return -1;
    *res = apigw_resource_find(*doc, c->params[1]);
    if (!*res) {
        cJSON_Delete(*doc);
        *doc = NULL;
        return apigw_not_found(err, "Invalid Resource identifier specified");
    }
    return 0;
}

int apigw_get_resource(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *res;
    if (load_resource(c, &doc, &res, err) != 0) return -1;
    cJSON *view = apigw_resources_view(doc, embeds_methods(c));
    cJSON *r;
    cJSON_ArrayForEach(r, view)
        if (strcmp(hg_json_str(r, "id"), c->params[1]) == 0) break;
    c->out = r ? cJSON_DetachItemViaPointer(view, r) : NULL;
    cJSON_Delete(view);
    cJSON_Delete(doc);
    return c->out ? 0 : hg_err_internal(err, "out of memory");
}

int apigw_create_resource(apigw_ctx *c, hg_err *err)
{
    const char *part = hg_json_str(c->in, "pathPart");
    if (!part) return apigw_bad_request(err, "Invalid Resource path part specified: pathPart is required");
    cJSON *doc;
    if (apigw_api_load(c, c->params[0], &doc, err) != 0) return -1;
    cJSON *res = apigw_resource_child(doc, c->params[1], part, 1, err);
    if (!res || apigw_api_save(c, c->params[0], doc, err) != 0) { cJSON_Delete(doc); return -1; }
    c->out = cJSON_Duplicate(res, 1);
    cJSON_Delete(doc);
    return 0;
}

/* Recompute the path of every descendant of parent (after a rename). */
static void repath_children(cJSON *doc, const cJSON *parent)
{
    const char *pid = hg_json_str(parent, "id"), *ppath = hg_json_str(parent, "path");
    cJSON *r;
    cJSON_ArrayForEach(r, resources_of(doc)) {
        const char *rp = hg_json_str(r, "parentId");
        if (!rp || strcmp(rp, pid) != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s%s%s", ppath, strcmp(ppath, "/") ? "/" : "", hg_json_str(r, "pathPart"));
        hg_json_set(r, "path", cJSON_CreateString(path));
        repath_children(doc, r);
    }
}

static int patch_resource(cJSON *res, const char *op, const char *path, const char *value, hg_err *err)
{
    if (strcmp(path, "/pathPart") != 0 || strcmp(op, "replace") != 0 || !value) return invalid_patch(err, op, path);
    if (!valid_path_part(value))
        return apigw_bad_request(err, "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
                                      "and the end and an optional plus sign before the closing brace.");
    if (!hg_json_str(res, "parentId")) return apigw_bad_request(err, "Cannot rename the root resource");
    hg_json_set(res, "pathPart", cJSON_CreateString(value));
    return 0;
}

int apigw_update_resource(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *res;
    if (load_resource(c, &doc, &res, err) != 0) return -1;
    if (apply_patches(c->in, res, patch_resource, err) != 0) { cJSON_Delete(doc); return -1; }
    cJSON *parent = apigw_resource_find(doc, hg_json_str(res, "parentId"));
    const char *ppath = parent ? hg_json_str(parent, "path") : "/";
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", ppath, strcmp(ppath, "/") ? "/" : "", hg_json_str(res, "pathPart"));
    hg_json_set(res, "path", cJSON_CreateString(path));
    repath_children(doc, res);
    if (apigw_api_save(c, c->params[0], doc, err) != 0) { cJSON_Delete(doc); return -1; }
    c->out = cJSON_Duplicate(res, 1);
    cJSON_Delete(doc);
    return 0;
}

/* Is r a descendant of (or equal to) the resource with id top? */
static int under(cJSON *doc, cJSON *r, const char *top)
{
    for (int depth = 0; r && depth < 1000; depth++) {
        if (strcmp(hg_json_str(r, "id"), top) == 0) return 1;
        const char *pid = hg_json_str(r, "parentId");
        r = pid ? apigw_resource_find(doc, pid) : NULL;
    }
    return 0;
}

int apigw_delete_resource(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *res;
    if (load_resource(c, &doc, &res, err) != 0) return -1;
    if (!hg_json_str(res, "parentId")) {
        cJSON_Delete(doc);
        return apigw_bad_request(err, "Cannot delete root resource");
    }
    /* mark, then drop: a child may come before a sibling subtree in the array */
    cJSON *list = resources_of(doc), *r = list->child;
    cJSON *keep = cJSON_CreateArray();
    while (r) {
        cJSON *next = r->next;
        if (!under(doc, r, c->params[1])) cJSON_AddItemToArray(keep, cJSON_Duplicate(r, 1));
        r = next;
    }
    hg_json_set(doc, "resources", keep);
    int rc = apigw_api_save(c, c->params[0], doc, err);
    cJSON_Delete(doc);
    return rc;
}

/* ---- Methods -------------------------------------------------------------------------------- */

static const char *const HTTP_METHODS[] = { "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY", NULL };
static const char *const AUTH_TYPES[] = { "NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS", NULL };

cJSON *apigw_method_new(const char *http_method, const cJSON *in, hg_err *err)
{
    if (!one_of(http_method, HTTP_METHODS)) {
        apigw_bad_request(err, "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY");
        return NULL;
    }
    const char *auth = hg_json_str(in, "authorizationType");
    if (!auth || !one_of(auth, AUTH_TYPES)) {
        apigw_bad_request(err, "Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS");
        return NULL;
    }
    if ((strcmp(auth, "CUSTOM") == 0 || strcmp(auth, "COGNITO_USER_POOLS") == 0) && !hg_json_str(in, "authorizerId")) {
        apigw_bad_request(err, "Invalid authorizer ID specified: %s authorization needs an authorizerId", auth);
        return NULL;
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "httpMethod", http_method);
    cJSON_AddStringToObject(m, "authorizationType", auth);
    int rc = copy_member(m, in, "authorizerId", cJSON_String, err);
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(in, "apiKeyRequired");
    cJSON_AddBoolToObject(m, "apiKeyRequired", cJSON_IsTrue(key));
    rc |= copy_member(m, in, "requestValidatorId", cJSON_String, err);
    rc |= copy_member(m, in, "operationName", cJSON_String, err);
    rc |= copy_member(m, in, "requestParameters", cJSON_Object, err);
    rc |= copy_member(m, in, "requestModels", cJSON_Object, err);
    rc |= copy_member(m, in, "authorizationScopes", cJSON_Array, err);
    if (rc != 0) { cJSON_Delete(m); return NULL; }
    return m;
}

/* Load the API, the resource params[1] and its method params[2] (NULL with
 * "Invalid Method identifier specified" when absent). */
static int load_method(apigw_ctx *c, cJSON **doc, cJSON **method, hg_err *err)
{
    cJSON *res;
    if (load_resource(c, doc, &res, err) != 0) return -1;
    cJSON *ms = cJSON_GetObjectItemCaseSensitive(res, "resourceMethods");
    *method = cJSON_GetObjectItemCaseSensitive(ms, c->params[2]);
    if (!*method) {
        cJSON_Delete(*doc);
        *doc = NULL;
        return apigw_not_found(err, "Invalid Method identifier specified");
    }
    return 0;
}

int apigw_put_method(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *res;
    if (load_resource(c, &doc, &res, err) != 0) return -1;
    cJSON *ms = cJSON_GetObjectItemCaseSensitive(res, "resourceMethods");
    if (ms && cJSON_GetObjectItemCaseSensitive(ms, c->params[2])) {
        cJSON_Delete(doc);
        return apigw_conflict(err, "Method already exists for this resource");
    }
    cJSON *m = apigw_method_new(c->params[2], c->in, err);
    if (!m) { cJSON_Delete(doc); return -1; }
    if (!ms) ms = cJSON_AddObjectToObject(res, "resourceMethods");
    cJSON_AddItemToObject(ms, c->params[2], m);
    if (apigw_api_save(c, c->params[0], doc, err) != 0) { cJSON_Delete(doc); return -1; }
    c->out = cJSON_Duplicate(m, 1);
    cJSON_Delete(doc);
    return 0;
}

int apigw_get_method(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *m;
    if (load_method(c, &doc, &m, err) != 0) return -1;
    c->out = cJSON_Duplicate(m, 1);
    cJSON_Delete(doc);
    return 0;
}

static int patch_method(cJSON *m, const char *op, const char *path, const char *value, hg_err *err)
{
    if (strcmp(path, "/authorizationType") == 0) {
        if (!value || !one_of(value, AUTH_TYPES)) return apigw_bad_request(err, "Invalid authorization type specified");
        return patch_string(m, "authorizationType", "replace", value);
    }
    if (strcmp(path, "/apiKeyRequired") == 0) {
        hg_json_set(m, "apiKeyRequired", cJSON_CreateBool(value && strcmp(value, "true") == 0));
        return 0;
    }
    if (strcmp(path, "/authorizerId") == 0 || strcmp(path, "/operationName") == 0 ||
        strcmp(path, "/requestValidatorId") == 0)
        return patch_string(m, path + 1, op, value);
    if (strncmp(path, "/requestParameters/", 19) == 0) {
        cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "requestParameters");
        if (!p) p = cJSON_AddObjectToObject(m, "requestParameters");
        if (strcmp(op, "remove") == 0) cJSON_DeleteItemFromObjectCaseSensitive(p, path + 19);
        else hg_json_set(p, path + 19, cJSON_CreateBool(value && strcmp(value, "true") == 0));
        return 0;
    }
    return invalid_patch(err, op, path);
}

int apigw_update_method(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *m;
    if (load_method(c, &doc, &m, err) != 0) return -1;
    if (apply_patches(c->in, m, patch_method, err) != 0 || apigw_api_save(c, c->params[0], doc, err) != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    c->out = cJSON_Duplicate(m, 1);
    cJSON_Delete(doc);
    return 0;
}

int apigw_delete_method(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *m;
    if (load_method(c, &doc, &m, err) != 0) return -1;
    cJSON *res = apigw_resource_find(doc, c->params[1]);
    cJSON *ms = cJSON_GetObjectItemCaseSensitive(res, "resourceMethods");
    cJSON_DeleteItemFromObjectCaseSensitive(ms, c->params[2]);
    if (!ms->child) cJSON_DeleteItemFromObjectCaseSensitive(res, "resourceMethods");
    int rc = apigw_api_save(c, c->params[0], doc, err);
    cJSON_Delete(doc);
    return rc;
}

/* ---- Integrations --------------------------------------------------------------------------- */

static const char *const INTEGRATION_TYPES[] = { "AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK", NULL };
static const char *const PASSTHROUGH[] = { "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER", NULL };

static int valid_integration_uri(const char *type, const char *uri)
{
    if (strcmp(type, "HTTP") == 0 || strcmp(type, "HTTP_PROXY") == 0)
        return strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0;
    /* AWS / AWS_PROXY: an API Gateway service ARN; for Lambda
     * arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations */
    if (strncmp(uri, "arn:", 4) != 0 || !strstr(uri, ":apigateway:")) return 0;
    const char *lam = strstr(uri, ":lambda:path/");
    if (lam) {
        const char *fn = strstr(lam, "/functions/");
        size_t n = strlen(uri);
        return fn && n > 12 && strcmp(uri + n - 12, "/invocations") == 0;
    }
    return strstr(uri, ":path/") || strstr(uri, ":action/");
}

cJSON *apigw_integration_new(const char *resource_id, const cJSON *in, hg_err *err)
{
    const char *type = hg_json_str(in, "type");
    if (!type || !one_of(type, INTEGRATION_TYPES)) {
        apigw_bad_request(err, "Invalid integration type specified. Valid options are AWS,AWS_PROXY,HTTP,HTTP_PROXY,MOCK");
        return NULL;
    }
    const char *method = hg_json_str(in, "httpMethod");
    const char *uri = hg_json_str(in, "uri");
    int is_mock = strcmp(type, "MOCK") == 0;
    if (!is_mock) {
        if (!method || !*method) { apigw_bad_request(err, "Enumeration value for HttpMethod must be non-empty"); return NULL; }
        if (!one_of(method, HTTP_METHODS)) {
            apigw_bad_request(err, "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY");
            return NULL;
        }
        if (!uri || !*uri) {
            apigw_bad_request(err, strncmp(type, "HTTP", 4) == 0 ? "Invalid HTTP endpoint specified for URI"
                                                                 : "Invalid integration URI specified");
            return NULL;
        }
        if (!valid_integration_uri(type, uri)) {
            apigw_bad_request(err, strncmp(type, "HTTP", 4) == 0 ? "Invalid HTTP endpoint specified for URI"
                                                                 : "Invalid integration URI specified");
            return NULL;
        }
    }
    const char *pass = hg_json_str(in, "passthroughBehavior");
    if (pass && !one_of(pass, PASSTHROUGH)) {
        apigw_bad_request(err, "Invalid passthrough behavior specified: %s. Valid options are WHEN_NO_MATCH,WHEN_NO_TEMPLATES,NEVER", pass);
        return NULL;
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(in, "timeoutInMillis");
    double timeout = TIMEOUT_MAX_MS;
    if (to && !cJSON_IsNull(to)) {
        if (!cJSON_IsNumber(to) || to->valuedouble < TIMEOUT_MIN_MS || to->valuedouble > TIMEOUT_MAX_MS ||
            to->valuedouble != (double)(long)to->valuedouble) {
            apigw_bad_request(err, "Timeout should be between %d ms and %d ms", TIMEOUT_MIN_MS, TIMEOUT_MAX_MS);
            return NULL;
        }
        timeout = to->valuedouble;
    }
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "type", type);
    if (method && *method) cJSON_AddStringToObject(g, "httpMethod", method);
    if (uri && *uri) cJSON_AddStringToObject(g, "uri", uri);
    int rc = 0;
    rc |= copy_member(g, in, "connectionType", cJSON_String, err);
    rc |= copy_member(g, in, "connectionId", cJSON_String, err);
    rc |= copy_member(g, in, "credentials", cJSON_String, err);
    rc |= copy_member(g, in, "requestParameters", cJSON_Object, err);
    rc |= copy_member(g, in, "requestTemplates", cJSON_Object, err);
    cJSON_AddStringToObject(g, "passthroughBehavior", pass ? pass : "WHEN_NO_MATCH");
    rc |= copy_member(g, in, "contentHandling", cJSON_String, err);
    cJSON_AddNumberToObject(g, "timeoutInMillis", timeout);
    const char *ns = hg_json_str(in, "cacheNamespace");
    cJSON_AddStringToObject(g, "cacheNamespace", ns ? ns : resource_id);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(in, "cacheKeyParameters");
    cJSON_AddItemToObject(g, "cacheKeyParameters", cJSON_IsArray(keys) ? cJSON_Duplicate(keys, 1) : cJSON_CreateArray());
    rc |= copy_member(g, in, "tlsConfig", cJSON_Object, err);
    rc |= copy_member(g, in, "integrationResponses", cJSON_Object, err);
    if (rc != 0) { cJSON_Delete(g); return NULL; }
    return g;
}

int apigw_put_integration(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *m;
    if (load_method(c, &doc, &m, err) != 0) return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(c->in, "integrationResponses");   /* not part of the request */
    cJSON *g = apigw_integration_new(c->params[1], c->in, err);
    if (!g) { cJSON_Delete(doc); return -1; }
    hg_json_set(m, "methodIntegration", g);
    if (apigw_api_save(c, c->params[0], doc, err) != 0) { cJSON_Delete(doc); return -1; }
    c->out = cJSON_Duplicate(g, 1);
    cJSON_Delete(doc);
    return 0;
}

/* Load down to the method's integration (NotFound as AWS words it). */
static int load_integration(apigw_ctx *c, cJSON **doc, cJSON **integ, hg_err *err)
{
    cJSON *m;
    if (load_method(c, doc, &m, err) != 0) return -1;
    *integ = cJSON_GetObjectItemCaseSensitive(m, "methodIntegration");
    if (!*integ) {
        cJSON_Delete(*doc);
        *doc = NULL;
        return apigw_not_found(err, "Invalid Integration identifier specified");
    }
    return 0;
}

int apigw_get_integration(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *g;
    if (load_integration(c, &doc, &g, err) != 0) return -1;
    c->out = cJSON_Duplicate(g, 1);
    cJSON_Delete(doc);
    return 0;
}

static int patch_integration(cJSON *g, const char *op, const char *path, const char *value, hg_err *err)
{
    if (strcmp(path, "/uri") == 0 || strcmp(path, "/httpMethod") == 0 || strcmp(path, "/credentials") == 0 ||
        strcmp(path, "/contentHandling") == 0 || strcmp(path, "/connectionId") == 0 ||
        strcmp(path, "/connectionType") == 0)
        return patch_string(g, path + 1, op, value);
    if (strcmp(path, "/passthroughBehavior") == 0) {
        if (!value || !one_of(value, PASSTHROUGH)) return apigw_bad_request(err, "Invalid passthrough behavior specified");
        return patch_string(g, "passthroughBehavior", "replace", value);
    }
    if (strcmp(path, "/timeoutInMillis") == 0) {
        uint64_t v;
        if (!value || hg_parse_u64z(value, 1000000, &v) != 0 || v < TIMEOUT_MIN_MS || v > TIMEOUT_MAX_MS)
            return apigw_bad_request(err, "Timeout should be between %d ms and %d ms", TIMEOUT_MIN_MS, TIMEOUT_MAX_MS);
        hg_json_set(g, "timeoutInMillis", cJSON_CreateNumber((double)v));
        return 0;
    }
    const char *maps[] = { "/requestTemplates/", "/requestParameters/", NULL };
    for (int i = 0; maps[i]; i++) {
        size_t n = strlen(maps[i]);
        if (strncmp(path, maps[i], n) != 0) continue;
        char key[64], name[512];
        snprintf(key, sizeof key, "%.*s", (int)(n - 2), maps[i] + 1);
        unescape_pointer(path + n, name, sizeof name);
        cJSON *map = cJSON_GetObjectItemCaseSensitive(g, key);
        if (!map) map = cJSON_AddObjectToObject(g, key);
        if (strcmp(op, "remove") == 0) cJSON_DeleteItemFromObjectCaseSensitive(map, name);
        else hg_json_set(map, name, cJSON_CreateString(value ? value : ""));
        return 0;
    }
    return invalid_patch(err, op, path);
}

int apigw_update_integration(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *g;
    if (load_integration(c, &doc, &g, err) != 0) return -1;
    if (apply_patches(c->in, g, patch_integration, err) != 0 || apigw_api_save(c, c->params[0], doc, err) != 0) {
        cJSON_Delete(doc);
        return -1;
    }
    c->out = cJSON_Duplicate(g, 1);
    cJSON_Delete(doc);
    return 0;
}

int apigw_delete_integration(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *g;
    if (load_integration(c, &doc, &g, err) != 0) return -1;
    cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
        apigw_resource_find(doc, c->params[1]), "resourceMethods"), c->params[2]);
    cJSON_DeleteItemFromObjectCaseSensitive(m, "methodIntegration");
    int rc = apigw_api_save(c, c->params[0], doc, err);
    cJSON_Delete(doc);
    return rc;
}

/* ---- Method and integration responses ------------------------------------------------------- */

static int valid_status(const char *s)
{
    return strlen(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9';
}

/* The response map key of owner (methodResponses / integrationResponses). */
static int put_response(apigw_ctx *c, cJSON *doc, cJSON *owner, const char *map_key, int conflict_if_exists,
                        const char *const *fields, const int *types, hg_err *err)
{
    if (!valid_status(c->params[3])) return apigw_bad_request(err, "Invalid status code specified: %s", c->params[3]);
    cJSON *map = cJSON_GetObjectItemCaseSensitive(owner, map_key);
    if (!map) map = cJSON_AddObjectToObject(owner, map_key);
    if (conflict_if_exists && cJSON_GetObjectItemCaseSensitive(map, c->params[3]))
        return apigw_conflict(err, "Response already exists for this resource");
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "statusCode", c->params[3]);
    for (int i = 0; fields[i]; i++)
        if (copy_member(r, c->in, fields[i], types[i], err) != 0) { cJSON_Delete(r); return -1; }
    hg_json_set(map, c->params[3], r);
    if (apigw_api_save(c, c->params[0], doc, err) != 0) return -1;
    c->out = cJSON_Duplicate(r, 1);
    return 0;
}

static int get_response(apigw_ctx *c, cJSON *owner, const char *map_key, hg_err *err)
{
    cJSON *r = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(owner, map_key), c->params[3]);
    if (!r) return apigw_not_found(err, "Invalid Response status code specified");
    c->out = cJSON_Duplicate(r, 1);
    return 0;
}

static int delete_response(apigw_ctx *c, cJSON *doc, cJSON *owner, const char *map_key, hg_err *err)
{
    cJSON *map = cJSON_GetObjectItemCaseSensitive(owner, map_key);
    if (!cJSON_GetObjectItemCaseSensitive(map, c->params[3]))
        return apigw_not_found(err, "Invalid Response status code specified");
    cJSON_DeleteItemFromObjectCaseSensitive(map, c->params[3]);
    if (!map->child) cJSON_DeleteItemFromObjectCaseSensitive(owner, map_key);
    return apigw_api_save(c, c->params[0], doc, err);
}

static const char *const METHOD_RESPONSE_FIELDS[] = { "responseParameters", "responseModels", NULL };
static const int METHOD_RESPONSE_TYPES[] = { cJSON_Object, cJSON_Object };
static const char *const INTEGRATION_RESPONSE_FIELDS[] =
    { "selectionPattern", "responseParameters", "responseTemplates", "contentHandling", NULL };
static const int INTEGRATION_RESPONSE_TYPES[] = { cJSON_String, cJSON_Object, cJSON_Object, cJSON_String };

int apigw_put_method_response(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *m;
    if (load_method(c, &doc, &m, err) != 0) return -1;
    int rc = put_response(c, doc, m, "methodResponses", 1, METHOD_RESPONSE_FIELDS, METHOD_RESPONSE_TYPES, err);
    cJSON_Delete(doc);
    return rc;
}

int apigw_get_method_response(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *m;
    if (load_method(c, &doc, &m, err) != 0) return -1;
    int rc = get_response(c, m, "methodResponses", err);
    cJSON_Delete(doc);
    return rc;
}

int apigw_delete_method_response(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *m;
    if (load_method(c, &doc, &m, err) != 0) return -1;
    int rc = delete_response(c, doc, m, "methodResponses", err);
    cJSON_Delete(doc);
    return rc;
}

int apigw_put_integration_response(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *g;
    if (load_integration(c, &doc, &g, err) != 0) return -1;
    int rc = put_response(c, doc, g, "integrationResponses", 0, INTEGRATION_RESPONSE_FIELDS,
                          INTEGRATION_RESPONSE_TYPES, err);
    cJSON_Delete(doc);
    return rc;
}

int apigw_get_integration_response(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *g;
    if (load_integration(c, &doc, &g, err) != 0) return -1;
    int rc = get_response(c, g, "integrationResponses", err);
    cJSON_Delete(doc);
    return rc;
}

int apigw_delete_integration_response(apigw_ctx *c, hg_err *err)
{
    cJSON *doc, *g;
    if (load_integration(c, &doc, &g, err) != 0) return -1;
    int rc = delete_response(c, doc, g, "integrationResponses", err);
    cJSON_Delete(doc);
    return rc;
}
