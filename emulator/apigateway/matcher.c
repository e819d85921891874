/*
 * matcher.c — which invoke URL a request uses, and which deployed resource
 * and method answer it, the way API Gateway REST APIs choose.
 *
 * The snapshot is the array GetResources(embed=methods) returns; it is small
 * (tens of resources), so children are found by scanning for parentId rather
 * than building an index per request.
 *
 * Invariants:
 *   1. Path segments are the non-empty pieces between '/', so "/a//b/" and
 *      "/a/b" reach the same resource (API Gateway ignores a trailing slash).
 *   2. At each segment the candidates are tried literal first, then {param},
 *      then {proxy+}; a branch that fails deeper lets the next one try.
 *   3. {proxy+} takes the rest of the path as received (one segment or more,
 *      without the leading slash); it has no children.
 *   4. The path arrives URL-decoded (libmicrohttpd unescapes it), so
 *      parameters are decoded as AWS hands them to the integration.
 */
#include "apigw_invoke.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- the three URL forms ---------------------------------------------------- */

/* Copy the segment at *p (up to '/' or end) into out; advance *p past it. */
static int take_segment(const char **p, char *out, size_t cap)
{
    const char *s = *p, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n >= cap) return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    *p = s + n;
    return 0;
}

static int valid_api_id(const char *id)
{
    if (!*id) return 0;
    for (; *id; id++)
        if (!isalnum((unsigned char)*id)) return 0;
    return 1;
}

/* "/{stage}{rest}" -> stage, rest (borrowed). */
static int stage_and_rest(const char *p, apigw_target *t)
{
    t->stage[0] = '\0';
    if (*p == '/') p++;
    if (take_segment(&p, t->stage, sizeof t->stage) != 0) return 0;
    t->path = p;
    return 1;
}

int apigw_parse_target(const char *path, const char *host, apigw_target *t)
{
    static const char restapis[] = "/restapis/", aws[] = "/_aws/execute-api/";
    memset(t, 0, sizeof *t);
    t->path = "";
    if (strncmp(path, restapis, sizeof restapis - 1) == 0) {
        const char *p = path + sizeof restapis - 1;
        char marker[16];
        if (take_segment(&p, t->api_id, sizeof t->api_id) != 0 || *p != '/') return 0;
        p++;
        if (take_segment(&p, t->stage, sizeof t->stage) != 0 || *p != '/') return 0;
        p++;
        /* only /_user_request_ makes it an invocation: the rest is the management API */
        if (take_segment(&p, marker, sizeof marker) != 0 || strcmp(marker, "_user_request_") != 0)
            return 0;
        t->path = p;
        return valid_api_id(t->api_id);
    }
    if (strncmp(path, aws, sizeof aws - 1) == 0) {
        const char *p = path + sizeof aws - 1;
        if (take_segment(&p, t->api_id, sizeof t->api_id) != 0) return 0;
        return stage_and_rest(p, t) && valid_api_id(t->api_id);
    }
    if (host) {
        const char *dot = strchr(host, '.');
        static const char ea[] = ".execute-api";
        if (!dot || (size_t)(dot - host) >= sizeof t->api_id) return 0;
        if (strncmp(dot, ea, sizeof ea - 1) != 0) return 0;
        char after = dot[sizeof ea - 1];
        if (after != '.' && after != ':' && after != '\0') return 0;
        memcpy(t->api_id, host, (size_t)(dot - host));
        t->api_id[dot - host] = '\0';
        for (char *c = t->api_id; *c; c++) *c = (char)tolower((unsigned char)*c);
        return stage_and_rest(path, t) && valid_api_id(t->api_id);
    }
    return 0;
}

/* ---- resource matching -------------------------------------------------------- */

typedef struct span { const char *s; size_t n; } span;

/* One resource of a snapshot, its members read once (NULL when absent or
 * not a string), so matching walks C structs instead of looking members up
 * in cJSON objects for every resource at every depth. */
typedef struct route_node {
    const cJSON *resource;
    const char  *id, *parent, *part;
    size_t       part_len;
    int          kind;                /* enum part_kind */
} route_node;

struct apigw_routes {
    const cJSON *root;                /* the first resource whose path is "/", or NULL */
    int          n;
    route_node   node[];              /* in snapshot order */
};

typedef struct walk {
    const apigw_routes *routes;
    const char  *path;
    span  seg[APIGW_MAX_SEGMENTS];
    int   nseg;
    span  name[APIGW_MAX_SEGMENTS], value[APIGW_MAX_SEGMENTS];  /* binding at depth i, name.s NULL if none */
    const char *proxy_name; size_t proxy_name_len; const char *proxy_value; int proxy_depth;
} walk;

enum part_kind { PART_LITERAL, PART_PARAM, PART_PROXY };

static enum part_kind kind_of(const char *pp, size_t n)
{
    if (n >= 2 && pp[0] == '{' && pp[n - 1] == '}')
        return (n >= 3 && pp[n - 2] == '+') ? PART_PROXY : PART_PARAM;
    return PART_LITERAL;
}

static const char *string_member(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

apigw_routes *apigw_routes_new(const cJSON *resources)
{
    int n = cJSON_GetArraySize(resources);
    apigw_routes *rt = malloc(sizeof *rt + (size_t)n * sizeof rt->node[0]);
    if (!rt) return NULL;
    rt->root = NULL;
    rt->n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, resources) {
        if (rt->n == n) break;
        route_node *nd = &rt->node[rt->n++];
        nd->resource = r;
        nd->id = string_member(r, "id");
        nd->parent = string_member(r, "parentId");
        nd->part = string_member(r, "pathPart");
        nd->part_len = nd->part ? strlen(nd->part) : 0;
        nd->kind = nd->part ? kind_of(nd->part, nd->part_len) : PART_LITERAL;
        const char *path = string_member(r, "path");
        if (!rt->root && path && strcmp(path, "/") == 0) rt->root = r;
    }
    return rt;
}

void apigw_routes_free(apigw_routes *routes) { free(routes); }

static const cJSON *descend(walk *w, const char *node_id, int depth);

static const cJSON *try_kind(walk *w, const char *node_id, int depth, enum part_kind want)
{
    for (int i = 0; i < w->routes->n; i++) {
        const route_node *nd = &w->routes->node[i];
        if (!nd->parent || !nd->part || !nd->id) continue;
        if (strcmp(nd->parent, node_id) != 0) continue;
        if (nd->kind != (int)want) continue;
        const char *pp = nd->part;
        size_t n = nd->part_len;
        const span *seg = &w->seg[depth];
        if (want == PART_LITERAL) {
            if (n != seg->n || memcmp(pp, seg->s, n) != 0) continue;
            w->name[depth].s = NULL;
            const cJSON *found = descend(w, nd->id, depth + 1);
            if (found) return found;
        } else if (want == PART_PARAM) {
            w->name[depth] = (span){ pp + 1, n - 2 };
            w->value[depth] = *seg;
            const cJSON *found = descend(w, nd->id, depth + 1);
            if (found) return found;
            w->name[depth].s = NULL;
        } else {
            w->proxy_name = pp + 1;
            w->proxy_name_len = n - 3;
            w->proxy_value = seg->s;
            w->proxy_depth = depth;
            return nd->resource;
        }
    }
    return NULL;
}

static const cJSON *find_by_id(const apigw_routes *routes, const char *id)
{
    for (int i = 0; i < routes->n; i++)
        if (routes->node[i].id && strcmp(routes->node[i].id, id) == 0) return routes->node[i].resource;
    return NULL;
}

static const cJSON *descend(walk *w, const char *node_id, int depth)
{
    if (depth == w->nseg) return find_by_id(w->routes, node_id);
    const cJSON *found;
    if ((found = try_kind(w, node_id, depth, PART_LITERAL))) return found;
    if ((found = try_kind(w, node_id, depth, PART_PARAM))) return found;
    return try_kind(w, node_id, depth, PART_PROXY);
}

static int add_param(cJSON *o, const char *name, size_t nlen, const char *value, size_t vlen)
{
    char key[256];
    if (nlen >= sizeof key) nlen = sizeof key - 1;
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    cJSON *v = cJSON_CreateString("");
    if (!v) return -1;
    char *copy = cJSON_malloc(vlen + 1);
    if (!copy) { cJSON_Delete(v); return -1; }
    memcpy(copy, value, vlen);
    copy[vlen] = '\0';
    cJSON_free(v->valuestring);
    v->valuestring = copy;
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);   /* a repeated name: the deeper one wins */
    cJSON_AddItemToObject(o, key, v);
    return 0;
}

int apigw_match_route(const cJSON *resources, const char *method, const char *path, apigw_match *m)
{
    memset(m, 0, sizeof *m);
    apigw_routes *routes = apigw_routes_new(resources);
    if (!routes) return -1;
    int rc = apigw_match_routes(routes, method, path, m);
    apigw_routes_free(routes);
    return rc;
}

int apigw_match_routes(const apigw_routes *routes, const char *method, const char *path, apigw_match *m)
{
    memset(m, 0, sizeof *m);
    /* On the stack, and only the head initialized: a 6 KB calloc per
     * request was 4 % of a gateway GET (zeroing and malloc consolidation).
     * descend() sets name[d] at every depth it visits. */
    walk wk;
    walk *w = &wk;
    w->nseg = 0;
    w->proxy_name = w->proxy_value = NULL;
    w->proxy_name_len = 0;
    w->routes = routes;
    w->path = path;
    w->proxy_depth = -1;
    for (const char *p = path; *p;) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (w->nseg == APIGW_MAX_SEGMENTS) return 1;
        w->seg[w->nseg++] = (span){ p, n };
        p += n;
    }
    const cJSON *root = routes->root;
    const cJSON *root_id = root ? cJSON_GetObjectItemCaseSensitive(root, "id") : NULL;
    const cJSON *res = cJSON_IsString(root_id) ? descend(w, root_id->valuestring, 0) : NULL;
    if (!res) return 1;

    int bound_to = w->proxy_depth >= 0 ? w->proxy_depth : w->nseg;
    int any = w->proxy_depth >= 0;
    for (int i = 0; i < bound_to; i++) any |= w->name[i].s != NULL;
    if (any) {
        m->path_params = cJSON_CreateObject();
        if (!m->path_params) return -1;
        for (int i = 0; i < bound_to; i++)
            if (w->name[i].s && add_param(m->path_params, w->name[i].s, w->name[i].n,
                                          w->value[i].s, w->value[i].n) != 0) goto oom;
        if (w->proxy_depth >= 0 &&
            add_param(m->path_params, w->proxy_name, w->proxy_name_len, w->proxy_value,
                      strlen(w->proxy_value)) != 0) goto oom;
    }
    m->resource = res;
    const cJSON *methods = cJSON_GetObjectItemCaseSensitive(res, "resourceMethods");
    const cJSON *meth = cJSON_GetObjectItemCaseSensitive(methods, method);
    if (!meth) meth = cJSON_GetObjectItemCaseSensitive(methods, "ANY");
    if (!meth) { apigw_match_release(m); m->resource = res; return 2; }
    m->method = meth;
    return 0;
oom:
    apigw_match_release(m);
    return -1;
}

void apigw_match_release(apigw_match *m)
{
    cJSON_Delete(m->path_params);
    m->path_params = NULL;
}
