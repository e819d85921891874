/*
 * import.c — ImportRestApi and PutRestApi: an OpenAPI 3 or Swagger 2
 * document (JSON or YAML) becomes resources, methods and integrations.
 *
 * YAML is read with libyaml's document API and turned into the same cJSON a
 * JSON document parses to (plain scalars become numbers/booleans/null as in
 * YAML 1.2's core schema), so one walker serves both. Paths become resources
 * (intermediate segments created), operations methods, and
 * x-amazon-apigateway-integration the integration with its responses.
 * Anything the walker cannot use is a warning; failOnWarnings turns warnings
 * into a BadRequestException.
 */
#include "apigw_mgmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "hg_json.h"
#include "hg_time.h"

#define MAX_DEPTH 64
#define MAX_WARNINGS 50

/* ---- YAML -> cJSON -------------------------------------------------------------------------- */

static cJSON *plain_scalar(const char *s, size_t len)
{
    if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
        return cJSON_CreateNull();
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0) return cJSON_CreateTrue();
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0) return cJSON_CreateFalse();
    char *end;
    double d = strtod(s, &end);
    int numeric = (s[0] >= '0' && s[0] <= '9') || ((s[0] == '-' || s[0] == '+' || s[0] == '.') && len > 1);
    if (numeric && end == s + len && !strchr(s, 'x') && !strchr(s, 'X') && !strpbrk(s, "nN"))
        return cJSON_CreateNumber(d);
    return cJSON_CreateString(s);
}

static cJSON *yaml_node_json(yaml_document_t *doc, yaml_node_t *node, int depth)
{
    if (!node || depth > MAX_DEPTH) return NULL;
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)node->data.scalar.value;
        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) return plain_scalar(s, node->data.scalar.length);
        return cJSON_CreateString(s);
    }
    case YAML_SEQUENCE_NODE: {
        cJSON *a = cJSON_CreateArray();
        for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
            cJSON *v = yaml_node_json(doc, yaml_document_get_node(doc, *it), depth + 1);
            if (!v) { cJSON_Delete(a); return NULL; }
            cJSON_AddItemToArray(a, v);
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        cJSON *o = cJSON_CreateObject();
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            if (!k || k->type != YAML_SCALAR_NODE) { cJSON_Delete(o); return NULL; }
            cJSON *v = yaml_node_json(doc, yaml_document_get_node(doc, p->value), depth + 1);
            if (!v) { cJSON_Delete(o); return NULL; }
            hg_json_set(o, (const char *)k->data.scalar.value, v);
        }
        return o;
    }
    default:
        return NULL;
    }
}

/* The document as JSON (new, caller frees), from JSON or YAML text. */
static cJSON *parse_document(const char *text, size_t len, hg_err *err)
{
    if (len == 0) { apigw_bad_request(err, "Invalid OpenAPI input: the request body is empty"); return NULL; }
    cJSON *j = cJSON_ParseWithLength(text, len);
    if (j) return j;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) { hg_err_internal(err, "out of memory"); return NULL; }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        apigw_bad_request(err, "Invalid OpenAPI input: the document is neither JSON nor YAML (%s at line %zu)",
                          parser.problem ? parser.problem : "syntax error", parser.problem_mark.line + 1);
        yaml_parser_delete(&parser);
        return NULL;
    }
    cJSON *out = yaml_node_json(&doc, yaml_document_get_root_node(&doc), 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (!out) apigw_bad_request(err, "Invalid OpenAPI input: the YAML document is empty, nested too deeply or has non-scalar keys");
    return out;
}

/* ---- the walker ----------------------------------------------------------------------------- */

typedef struct import_state {
    cJSON *warnings;        /* array of strings */
} import_state;

static void warn(import_state *st, const char *fmt, const char *a, const char *b)
{
    if (cJSON_GetArraySize(st->warnings) >= MAX_WARNINGS) return;
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, b);
    cJSON_AddItemToArray(st->warnings, cJSON_CreateString(msg));
}

static void upper(char *s) { for (; *s; s++) if (*s >= 'a' && *s <= 'z') *s = (char)(*s - 32); }

/* A copy of a string member, upper-cased (OpenAPI extensions write aws_proxy). */
static void set_upper(cJSON *o, const char *key, const cJSON *src)
{
    const char *v = hg_json_str(src, key);
    if (!v) return;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    upper(buf);
    hg_json_set(o, key, cJSON_CreateString(buf));
}

/* x-amazon-apigateway-integration -> a PutIntegration-shaped request. */
static cJSON *integration_request(const cJSON *x)
{
    cJSON *in = cJSON_CreateObject();
    set_upper(in, "type", x);
    set_upper(in, "httpMethod", x);
    set_upper(in, "passthroughBehavior", x);
    set_upper(in, "contentHandling", x);
    set_upper(in, "connectionType", x);
    const char *copy[] = { "uri", "credentials", "connectionId", "cacheNamespace", NULL };
    for (int i = 0; copy[i]; i++) {
        const char *v = hg_json_str(x, copy[i]);
        if (v) cJSON_AddStringToObject(in, copy[i], v);
    }
    const char *maps[] = { "requestTemplates", "requestParameters", "cacheKeyParameters", "tlsConfig", NULL };
    for (int i = 0; maps[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(x, maps[i]);
        if (v) cJSON_AddItemToObject(in, maps[i], cJSON_Duplicate(v, 1));
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(x, "timeoutInMillis");
    if (cJSON_IsNumber(t)) cJSON_AddNumberToObject(in, "timeoutInMillis", t->valuedouble);
    else if (cJSON_IsString(t)) cJSON_AddNumberToObject(in, "timeoutInMillis", strtod(t->valuestring, NULL));
    /* responses: {selectionPattern | "default": {statusCode, responseParameters, responseTemplates}} */
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(x, "responses"), *r;
    if (cJSON_IsObject(rs) && rs->child) {
        cJSON *ir = cJSON_AddObjectToObject(in, "integrationResponses");
        cJSON_ArrayForEach(r, rs) {
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(r, "statusCode");
            char code[16];
            if (cJSON_IsString(sc)) snprintf(code, sizeof code, "%s", sc->valuestring);
            else if (cJSON_IsNumber(sc)) snprintf(code, sizeof code, "%d", sc->valueint);
            else continue;
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "statusCode", code);
            if (strcmp(r->string, "default") != 0) cJSON_AddStringToObject(e, "selectionPattern", r->string);
            const char *rm[] = { "responseParameters", "responseTemplates", NULL };
            for (int i = 0; rm[i]; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, rm[i]);
                if (cJSON_IsObject(v)) cJSON_AddItemToObject(e, rm[i], cJSON_Duplicate(v, 1));
            }
            set_upper(e, "contentHandling", r);
            hg_json_set(ir, code, e);
        }
    }
    return in;
}

/* An operation object -> the stored Method (new), with its integration. */
static cJSON *method_from_operation(const char *http_method, const cJSON *op, const char *resource_id,
                                    const cJSON *path_params, import_state *st, const char *path, hg_err *err)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "authorizationType", "NONE");
    const char *opid = hg_json_str(op, "operationId");
    if (opid) cJSON_AddStringToObject(in, "operationName", opid);
    /* parameters (path-level then operation-level) -> requestParameters */
    cJSON *rp = cJSON_CreateObject();
    const cJSON *lists[2] = { path_params, cJSON_GetObjectItemCaseSensitive(op, "parameters") };
    for (int l = 0; l < 2; l++) {
        const cJSON *p;
        cJSON_ArrayForEach(p, lists[l]) {
            const char *where = hg_json_str(p, "in"), *name = hg_json_str(p, "name");
            if (!where || !name) continue;
            const char *kind = strcmp(where, "path") == 0 ? "path" : strcmp(where, "query") == 0 ? "querystring"
                             : strcmp(where, "header") == 0 ? "header" : NULL;
            if (!kind) continue;
            char key[512];
            snprintf(key, sizeof key, "method.request.%s.%s", kind, name);
            hg_json_set(rp, key, cJSON_CreateBool(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "required"))));
        }
    }
    if (rp->child) cJSON_AddItemToObject(in, "requestParameters", rp);
    else cJSON_Delete(rp);
    if (cJSON_GetObjectItemCaseSensitive(op, "security") || cJSON_GetObjectItemCaseSensitive(op, "x-amazon-apigateway-auth"))
        warn(st, "Security schemes are not imported for %s %s: the method's authorizationType is NONE", http_method, path);
    cJSON *m = apigw_method_new(http_method, in, err);
    cJSON_Delete(in);
    if (!m) return NULL;
    /* responses -> method responses */
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(op, "responses"), *r;
    cJSON_ArrayForEach(r, rs) {
        if (strlen(r->string) != 3 || r->string[0] < '1' || r->string[0] > '5') continue;
        cJSON *mr = cJSON_GetObjectItemCaseSensitive(m, "methodResponses");
        if (!mr) mr = cJSON_AddObjectToObject(m, "methodResponses");
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "statusCode", r->string);
        const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(r, "headers"), *h;
        if (hdrs && hdrs->child) {
            cJSON *params = cJSON_AddObjectToObject(e, "responseParameters");
            cJSON_ArrayForEach(h, hdrs) {
                char key[512];
                snprintf(key, sizeof key, "method.response.header.%s", h->string);
                cJSON_AddBoolToObject(params, key, 0);
            }
        }
        hg_json_set(mr, r->string, e);
    }
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(op, "x-amazon-apigateway-integration");
    if (!x) {
        warn(st, "No integration defined for method %s %s", http_method, path);
        return m;
    }
    if (!cJSON_IsObject(x)) {
        cJSON_Delete(m);
        apigw_bad_request(err, "Invalid OpenAPI input: x-amazon-apigateway-integration of %s %s must be an object",
                          http_method, path);
        return NULL;
    }
    cJSON *req = integration_request(x);
    cJSON *g = apigw_integration_new(resource_id, req, err);
    cJSON_Delete(req);
    if (!g) {
        char msg[HG_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->message);
        hg_err_clear(err);
        apigw_bad_request(err, "Errors found during import: Unable to put integration on '%s' for resource at path '%s': %.300s",
                          http_method, path, msg);
        cJSON_Delete(m);
        return NULL;
    }
    cJSON_AddItemToObject(m, "methodIntegration", g);
    return m;
}

static const struct { const char *key; const char *method; } OPERATIONS[] = {
    { "get", "GET" }, { "put", "PUT" }, { "post", "POST" }, { "delete", "DELETE" }, { "options", "OPTIONS" },
    { "head", "HEAD" }, { "patch", "PATCH" }, { "x-amazon-apigateway-any-method", "ANY" },
};

/* The resource for path, creating each missing segment. Borrowed from doc. */
static cJSON *resource_for_path(cJSON *doc, const char *root_id, const char *path, hg_err *err)
{
    if (path[0] != '/') {
        apigw_bad_request(err, "Invalid OpenAPI input: path '%s' must start with '/'", path);
        return NULL;
    }
    cJSON *cur = apigw_resource_find(doc, root_id);
    char seg[1025];
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        size_t n = strcspn(p, "/");
        if (n == 0) break;
        if (n >= sizeof seg) { apigw_bad_request(err, "Invalid OpenAPI input: path segment too long"); return NULL; }
        memcpy(seg, p, n);
        seg[n] = '\0';
        cur = apigw_resource_child(doc, hg_json_str(cur, "id"), seg, 0, err);
        if (!cur) {
            char msg[HG_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            hg_err_clear(err);
            apigw_bad_request(err, "Errors found during import: Unable to create resource at path '%s': %.300s", path, msg);
            return NULL;
        }
        p += n;
    }
    return cur;
}

/* Apply spec to doc (the API document). overwrite drops every resource but the root first. */
static int apply_spec(cJSON *doc, const cJSON *spec, int overwrite, import_state *st, hg_err *err)
{
    const char *oas = hg_json_str(spec, "openapi"), *swagger = hg_json_str(spec, "swagger");
    if (!cJSON_IsObject(spec) || (!(oas && oas[0] == '3') && !(swagger && strcmp(swagger, "2.0") == 0)))
        return apigw_bad_request(err, "Invalid OpenAPI input: the document must declare \"openapi\": \"3.x\" or "
                                      "\"swagger\": \"2.0\"");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(spec, "info");
    const cJSON *paths = cJSON_GetObjectItemCaseSensitive(spec, "paths");
    if (paths && !cJSON_IsObject(paths)) return apigw_bad_request(err, "Invalid OpenAPI input: 'paths' must be an object");
    cJSON *api = cJSON_GetObjectItemCaseSensitive(doc, "api");
    const char *title = hg_json_str(info, "title");
    if (title && *title) hg_json_set(api, "name", cJSON_CreateString(title));
    else if (!hg_json_str(api, "name")) return apigw_bad_request(err, "Invalid OpenAPI input: info.title is required (it names the API)");
    const char *desc = hg_json_str(info, "description");
    if (desc) hg_json_set(api, "description", cJSON_CreateString(desc));
    else if (overwrite) cJSON_DeleteItemFromObjectCaseSensitive(api, "description");
    const char *ver = hg_json_str(info, "version");
    if (ver) hg_json_set(api, "version", cJSON_CreateString(ver));
    const cJSON *bmt = cJSON_GetObjectItemCaseSensitive(spec, "x-amazon-apigateway-binary-media-types");
    if (cJSON_IsArray(bmt)) hg_json_set(api, "binaryMediaTypes", cJSON_Duplicate(bmt, 1));
    const char *ks = hg_json_str(spec, "x-amazon-apigateway-api-key-source");
    if (ks) hg_json_set(api, "apiKeySource", cJSON_CreateString(ks));

    const char *root_id = hg_json_str(api, "rootResourceId");
    if (overwrite) {
        cJSON *keep = cJSON_CreateArray(), *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "resources"))
            if (!hg_json_str(r, "parentId")) {
                cJSON *root = cJSON_Duplicate(r, 1);
                cJSON_DeleteItemFromObjectCaseSensitive(root, "resourceMethods");
                cJSON_AddItemToArray(keep, root);
            }
        hg_json_set(doc, "resources", keep);
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, paths) {
        if (!cJSON_IsObject(item)) return apigw_bad_request(err, "Invalid OpenAPI input: path item '%s' must be an object", item->string);
        cJSON *res = resource_for_path(doc, root_id, item->string, err);
        if (!res) return -1;
        const cJSON *path_params = cJSON_GetObjectItemCaseSensitive(item, "parameters");
        const cJSON *op;
        cJSON_ArrayForEach(op, item) {
            const char *method = NULL;
            for (size_t i = 0; i < sizeof OPERATIONS / sizeof OPERATIONS[0]; i++)
                if (strcmp(op->string, OPERATIONS[i].key) == 0) method = OPERATIONS[i].method;
            if (!method) {
                if (strcmp(op->string, "parameters") != 0 && strncmp(op->string, "x-", 2) != 0 &&
                    strcmp(op->string, "summary") != 0 && strcmp(op->string, "description") != 0 &&
                    strcmp(op->string, "servers") != 0)
                    warn(st, "Ignoring unsupported key '%s' of path '%s'", op->string, item->string);
                continue;
            }
            cJSON *m = method_from_operation(method, op, hg_json_str(res, "id"), path_params, st, item->string, err);
            if (!m) return -1;
            cJSON *ms = cJSON_GetObjectItemCaseSensitive(res, "resourceMethods");
            if (!ms) ms = cJSON_AddObjectToObject(res, "resourceMethods");
            hg_json_set(ms, method, m);
        }
    }
    return 0;
}

static int fail_on_warnings(apigw_ctx *c)
{
    const char *f = hg_req_query(c->req, "failonwarnings");
    return f && strcmp(f, "true") == 0;
}

/* Parse and apply the body to doc; on success c->out is the RestApi with warnings. */
static int import_into(apigw_ctx *c, cJSON *doc, const char *api_id, int overwrite, hg_err *err)
{
    cJSON *spec = parse_document(c->req->body, c->req->body_len, err);
    if (!spec) return -1;
    import_state st = { .warnings = cJSON_CreateArray() };
    int rc = apply_spec(doc, spec, overwrite, &st, err);
    cJSON_Delete(spec);
    if (rc == 0 && fail_on_warnings(c) && cJSON_GetArraySize(st.warnings) > 0) {
        const cJSON *w = cJSON_GetArrayItem(st.warnings, 0);
        rc = apigw_bad_request(err, "Warnings found during import: %s", w->valuestring);
    }
    if (rc == 0) rc = apigw_api_save(c, api_id, doc, err);
    if (rc != 0) { cJSON_Delete(st.warnings); return -1; }
    c->out = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "api"), 1);
    if (cJSON_GetArraySize(st.warnings) > 0) cJSON_AddItemToObject(c->out, "warnings", st.warnings);
    else cJSON_Delete(st.warnings);
    return 0;
}

int apigw_import_rest_api(apigw_ctx *c, hg_err *err)
{
    char id[12], root[12];
    apigw_random_id(id, 10);
    apigw_random_id(root, 10);
    cJSON *doc = cJSON_CreateObject();
    cJSON *api = cJSON_AddObjectToObject(doc, "api");
    cJSON_AddStringToObject(api, "id", id);
    cJSON_AddNumberToObject(api, "createdDate", (double)(long long)hg_time_epoch());
    cJSON_AddStringToObject(api, "apiKeySource", "HEADER");
    cJSON *ec = cJSON_AddObjectToObject(api, "endpointConfiguration");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(ec, "types"), cJSON_CreateString("EDGE"));
    cJSON_AddBoolToObject(api, "disableExecuteApiEndpoint", 0);
    cJSON_AddStringToObject(api, "rootResourceId", root);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "id", root);
    cJSON_AddStringToObject(r, "path", "/");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "resources"), r);
    int rc = import_into(c, doc, id, 1, err);
    cJSON_Delete(doc);
    return rc;
}

int apigw_put_rest_api(apigw_ctx *c, hg_err *err)
{
    const char *mode = hg_req_query(c->req, "mode");
    if (mode && strcmp(mode, "merge") != 0 && strcmp(mode, "overwrite") != 0)
        return apigw_bad_request(err, "Invalid mode specified: %s. Valid options are merge,overwrite", mode);
    cJSON *doc;
    if (apigw_api_load(c, c->params[0], &doc, err) != 0) return -1;
    int rc = import_into(c, doc, c->params[0], mode && strcmp(mode, "overwrite") == 0, err);
    cJSON_Delete(doc);
    return rc;
}
