/*
 * graph.c — the resource graph of a program, checked before anything runs.
 *
 * For every resource: its type must be one the providers support (or a
 * StackReference); its options are parsed; every ${...} in its properties
 * and options names something in scope (a resource, a variable, a config
 * key, pulumi.*), and each resource it names — directly, through variables,
 * or by dependsOn — becomes a dependency. Resources are then ordered so
 * dependencies come first; a cycle is reported as "a -> b -> a".
 *
 * Invariants:
 *   1. p->resources is in topological order; r->deps lists every resource
 *      r needs (names, no duplicates), r->depends_on the explicit ones.
 *   2. Nothing here evaluates resource outputs: options that are
 *      expressions are evaluated with config and variables only, and must
 *      not depend on a resource output.
 */
#include "prog_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hg_buf.h"
#include "hg_log.h"

#define STACK_REF_TYPE "pulumi:pulumi:StackReference"

int prog_resource_index(const prog_project *p, const char *name)
{
    const prog_node *rs = p->resources_node;
    if (!rs || rs->kind != PN_MAP || !name) return -1;
    for (int i = 0; i < rs->n; i++)
        if (strcmp(rs->keys[i], name) == 0) return i;
    return -1;
}

const prog_node *prog_variable_node(const prog_project *p, const char *name)
{
    return p->variables ? prog_map_get(p->variables, name) : NULL;
}

const cJSON *prog_config_lookup(const prog_project *p, const char *name)
{
    if (!p->config || !name) return NULL;
    if (strchr(name, ':')) return cJSON_GetObjectItemCaseSensitive(p->config, name);
    char buf[512];
    if ((size_t)snprintf(buf, sizeof buf, "%s:%s", p->name, name) >= sizeof buf) return NULL;
    return cJSON_GetObjectItemCaseSensitive(p->config, buf);
}

/* ---- reference collection ------------------------------------------------ */

typedef struct graph {
    prog_project *p;
    int nres, nvars;
    bool *need;                   /* nres x nres: need[i*nres+j] = resource i needs j */
    bool *var_need;               /* nvars x nres */
    unsigned char *var_state;     /* 0 unvisited, 1 in progress, 2 done */
    int *var_path; int var_depth; /* DFS path, for the cycle message */
} graph;

typedef struct collect {
    graph *g;
    bool *need;                   /* the row being filled */
    const prog_node *at;          /* the scalar being scanned (position) */
    const char *what;             /* "resource 'api'", "variable 'x'", "output 'url'" */
    hg_err *err;                  /* where reference errors go (already positioned) */
} collect;

static int var_index(const prog_project *p, const char *name)
{
    const prog_node *v = p->variables;
    if (!v || v->kind != PN_MAP) return -1;
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], name) == 0) return i;
    return -1;
}

static int walk(collect *c, const prog_node *n, hg_err *err);

/* The resources a variable needs, computed once (with cycle detection). */
static int visit_var(graph *g, int vi, const prog_node *at, hg_err *err)
{
    if (g->var_state[vi] == 2) return 0;
    const prog_node *vars = g->p->variables;
    if (g->var_state[vi] == 1) {
        hg_buf b;
        hg_buf_init(&b, 4096);
        int start = 0;
        while (start < g->var_depth && g->var_path[start] != vi) start++;
        for (int i = start; i < g->var_depth; i++) hg_buf_printf(&b, "%s -> ", vars->keys[g->var_path[i]]);
        hg_buf_puts(&b, vars->keys[vi]);
        int rc = prog_err_at(err, at, "variable cycle: %s", hg_buf_cstr(&b));
        hg_buf_release(&b);
        return rc;
    }
    g->var_state[vi] = 1;
    g->var_path[g->var_depth++] = vi;
    char what[300];
    snprintf(what, sizeof what, "variable '%.256s'", vars->keys[vi]);
    collect c = { g, g->var_need + (size_t)vi * (size_t)(g->nres ? g->nres : 1), NULL, what, err };
    int rc = walk(&c, vars->items[vi], err);
    g->var_depth--;
    g->var_state[vi] = 2;
    return rc;
}

static int on_ref(void *ud, const prog_ref *ref, hg_err *scan_err)
{
    collect *c = ud;
    hg_err *err = c->err;
    (void)scan_err;
    graph *g = c->g;
    int ri = prog_resource_index(g->p, ref->root);
    if (ri >= 0) { if (c->need) c->need[ri] = true; return 0; }
    int vi = var_index(g->p, ref->root);
    if (vi >= 0) {
        if (visit_var(g, vi, c->at, err) < 0) return -1;
        for (int j = 0; c->need && j < g->nres; j++)
            if (g->var_need[(size_t)vi * (size_t)g->nres + (size_t)j]) c->need[j] = true;
        return 0;
    }
    if (!strcmp(ref->root, "pulumi")) {
        static const char *const known[] = { "stack", "project", "organization", "cwd", NULL };
        if (ref->nsteps < 1 || ref->steps[0].kind != PS_PROP)
            return prog_err_at(err, c->at, "%s: ${pulumi} needs a property (stack, project, organization, cwd)", c->what);
        for (int i = 0; known[i]; i++)
            if (!strcmp(ref->steps[0].name, known[i])) return 0;
        return prog_err_at(err, c->at, "%s refers to unknown property 'pulumi.%s' (stack, project, organization, cwd)",
                           c->what, ref->steps[0].name);
    }
    if (prog_config_lookup(g->p, ref->root) || !strcmp(ref->root, "aws:region")) return 0;
    if (strchr(ref->root, ':')) {
        const char *base = strrchr(g->p->stack_file, '/');
        return prog_err_at(err, c->at, "%s refers to configuration '%s', which is not set (add it to %s)",
                           c->what, ref->root, base ? base + 1 : g->p->stack_file);
    }
    return prog_err_at(err, c->at, "%s refers to undefined resource '%s'", c->what, ref->root);
}

static int walk(collect *c, const prog_node *n, hg_err *err)
{
    if (!n) return 0;
    if (n->kind == PN_SCALAR) {
        if (!strchr(n->scalar, '$')) return 0;
        const prog_node *saved = c->at;
        c->at = n;
        hg_err *saved_err = c->err;
        c->err = err;
        hg_err local;
        hg_err_clear(&local);
        int rc = prog_scan_refs(n->scalar, on_ref, c, &local);
        c->at = saved;
        c->err = saved_err;
        if (rc < 0 && !hg_err_isset(err))     /* a syntax error: give it a position */
            return prog_err_at(err, n, "%s: %s", c->what, local.message);
        return rc;
    }
    for (int i = 0; i < n->n; i++)
        if (walk(c, n->items[i], err) < 0) return -1;
    return 0;
}

/* ---- options --------------------------------------------------------------- */

static int push_str(char ***arr, int *n, const char *s, hg_err *err)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp((*arr)[i], s)) return 0;
    char **a = realloc(*arr, ((size_t)*n + 1) * sizeof *a);
    if (!a) return hg_err_internal(err, "out of memory");
    *arr = a;
    if (!(a[*n] = strdup(s))) return hg_err_internal(err, "out of memory");
    (*n)++;
    return 0;
}

/* Evaluate an option value with config and variables only (invariant 2). */
static int eval_option(prog_project *p, const prog_resource *r, const char *opt, const prog_node *n,
                       cJSON **out, hg_err *err)
{
    prog_env env = { .project = p, .organization = NULL, .preview = true };
    int rc = prog_eval(&env, n, out, err);
    prog_env_release(&env);
    if (rc < 0) return -1;
    if (prog_has_unknown(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return prog_err_at(err, n, "resource '%s': option %s must be known before deployment "
                           "(it may not depend on a resource's outputs)", r->name, opt);
    }
    return 0;
}

static int bool_option(prog_project *p, prog_resource *r, const char *opt, const prog_node *n, bool *out, hg_err *err)
{
    cJSON *v;
    if (eval_option(p, r, opt, n, &v, err) < 0) return -1;
    const cJSON *inner = v;
    if (prog_is_sig(v, PROG_SIG_SECRET)) inner = cJSON_GetObjectItemCaseSensitive(v, "value");
    /* config without a schema is text: "true" and "false" count */
    bool ok = cJSON_IsBool(inner) ||
              (cJSON_IsString(inner) && (!strcmp(inner->valuestring, "true") || !strcmp(inner->valuestring, "false")));
    if (ok) *out = cJSON_IsBool(inner) ? cJSON_IsTrue(inner) : !strcmp(inner->valuestring, "true");
    cJSON_Delete(v);
    return ok ? 0 : prog_err_at(err, n, "resource '%s': option %s must be true or false", r->name, opt);
}

static int list_option(prog_project *p, prog_resource *r, const char *opt, const prog_node *n,
                       char ***arr, int *cnt, hg_err *err)
{
    cJSON *v;
    if (eval_option(p, r, opt, n, &v, err) < 0) return -1;
    int rc = 0;
    if (cJSON_IsString(v)) {
        rc = push_str(arr, cnt, v->valuestring, err);
    } else if (cJSON_IsArray(v)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (!cJSON_IsString(e)) { rc = prog_err_at(err, n, "resource '%s': option %s must be a list of property paths", r->name, opt); break; }
            if ((rc = push_str(arr, cnt, e->valuestring, err)) < 0) break;
        }
    } else {
        rc = prog_err_at(err, n, "resource '%s': option %s must be a list of property paths", r->name, opt);
    }
    cJSON_Delete(v);
    return rc;
}

/* dependsOn: a list of ${resource}. */
static int depends_on_option(prog_project *p, prog_resource *r, const prog_node *n, hg_err *err)
{
    const prog_node *one[1] = { n };
    const prog_node *const *items = n->kind == PN_SEQ ? (const prog_node *const *)n->items : one;
    int cnt = n->kind == PN_SEQ ? n->n : 1;
    for (int i = 0; i < cnt; i++) {
        const prog_node *e = items[i];
        const char *s = e->kind == PN_SCALAR ? e->scalar : NULL;
        size_t len = s ? strlen(s) : 0;
        if (!s || len < 4 || strncmp(s, "${", 2) != 0 || s[len - 1] != '}')
            return prog_err_at(err, e, "resource '%s': dependsOn entries must be resource references like ${name}", r->name);
        prog_ref ref;
        hg_err local;
        hg_err_clear(&local);
        if (prog_ref_parse(s + 2, len - 3, &ref, &local) < 0)
            return prog_err_at(err, e, "resource '%s': %s", r->name, local.message);
        int ri = prog_resource_index(p, ref.root);
        int rc = 0;
        if (ri < 0)
            rc = prog_err_at(err, e, "resource '%s' depends on undefined resource '%s'", r->name, ref.root);
        else if (ref.nsteps)
            rc = prog_err_at(err, e, "resource '%s': dependsOn names a resource (${%s}), not a property", r->name, ref.root);
        else
            rc = push_str(&r->depends_on, &r->ndepends_on, ref.root, err);
        prog_ref_release(&ref);
        if (rc < 0) return -1;
    }
    return 0;
}

static int parse_options(prog_project *p, prog_resource *r, hg_err *err)
{
    const prog_node *o = r->options;
    if (!o) return 0;
    if (o->kind != PN_MAP) return prog_err_at(err, o, "resource '%s': options must be a map", r->name);
    for (int i = 0; i < o->n; i++) {
        const char *k = o->keys[i];
        const prog_node *v = o->items[i];
        int rc = 0;
        if (!strcmp(k, "dependsOn")) rc = depends_on_option(p, r, v, err);
        else if (!strcmp(k, "protect")) rc = bool_option(p, r, k, v, &r->protect, err);
        else if (!strcmp(k, "retainOnDelete")) rc = bool_option(p, r, k, v, &r->retain_on_delete, err);
        else if (!strcmp(k, "deleteBeforeReplace")) rc = bool_option(p, r, k, v, &r->delete_before_replace, err);
        else if (!strcmp(k, "ignoreChanges")) rc = list_option(p, r, k, v, &r->ignore_changes, &r->nignore_changes, err);
        else if (!strcmp(k, "replaceOnChanges")) rc = list_option(p, r, k, v, &r->replace_on_changes, &r->nreplace_on_changes, err);
        else if (!strcmp(k, "provider") || !strcmp(k, "providers") || !strcmp(k, "parent") ||
                 !strcmp(k, "version") || !strcmp(k, "aliases") || !strcmp(k, "customTimeouts") ||
                 !strcmp(k, "additionalSecretOutputs") || !strcmp(k, "pluginDownloadURL") ||
                 !strcmp(k, "deletedWith") || !strcmp(k, "import"))
            hg_log(HG_LOG_WARN, "%s:%d:%d: resource '%s': option '%s' is accepted and ignored by hangar",
                   v->file, v->line, v->col, r->name, k);
        else
            rc = prog_err_at(err, v, "resource '%s' has unknown option '%s'", r->name, k);
        if (rc < 0) return -1;
    }
    return 0;
}

/* ---- types ------------------------------------------------------------------ */

/* "aws:dynamodb/table:Table" -> "aws:dynamodb:Table", in place (shorter). */
static void normalize_type(char *t)
{
    char *c1 = strchr(t, ':');
    char *slash = c1 ? strchr(c1, '/') : NULL;
    char *c2 = slash ? strchr(slash, ':') : NULL;
    if (c1 && slash && c2) memmove(slash, c2, strlen(c2) + 1);
}

static int check_type(const prog_resource *r, const prog_node *tn, const char *const *types, hg_err *err)
{
    if (!strcmp(r->type, STACK_REF_TYPE) || !types) return 0;
    for (int i = 0; types[i]; i++)
        if (!strcmp(types[i], r->type)) return 0;
    hg_buf b;
    hg_buf_init(&b, 4096);
    for (int i = 0; types[i]; i++) hg_buf_printf(&b, "%s%s", i ? ", " : "", types[i]);
    hg_buf_printf(&b, "%s%s", types[0] ? ", " : "", STACK_REF_TYPE);
    int rc = prog_err_at(err, tn, "resource '%s' has unknown type '%s'; supported types: %s",
                         r->name, r->type, hg_buf_cstr(&b));
    hg_buf_release(&b);
    return rc;
}

/* ---- ordering ---------------------------------------------------------------- */

typedef struct order {
    graph *g;
    prog_resource *src;           /* in program order */
    unsigned char *state;
    int *path; int depth;
    int *out; int nout;
} order;

static int visit_res(order *o, int i, hg_err *err)
{
    if (o->state[i] == 2) return 0;
    int n = o->g->nres;
    if (o->state[i] == 1) {
        hg_buf b;
        hg_buf_init(&b, 4096);
        int start = 0;
        while (start < o->depth && o->path[start] != i) start++;
        for (int k = start; k < o->depth; k++) hg_buf_printf(&b, "%s -> ", o->src[o->path[k]].name);
        hg_buf_puts(&b, o->src[i].name);
        int rc = prog_err_at(err, o->src[i].node, "dependency cycle: %s", hg_buf_cstr(&b));
        hg_buf_release(&b);
        return rc;
    }
    o->state[i] = 1;
    o->path[o->depth++] = i;
    for (int j = 0; j < n; j++)
        if (o->g->need[(size_t)i * (size_t)n + (size_t)j] && visit_res(o, j, err) < 0) return -1;
    o->depth--;
    o->state[i] = 2;
    o->out[o->nout++] = i;
    return 0;
}

static void resources_free(prog_resource *rs, int n)
{
    for (int i = 0; i < n; i++) {
        prog_resource *r = &rs[i];
        for (int j = 0; j < r->ndepends_on; j++) free(r->depends_on[j]);
        for (int j = 0; j < r->ndeps; j++) free(r->deps[j]);
        for (int j = 0; j < r->nignore_changes; j++) free(r->ignore_changes[j]);
        for (int j = 0; j < r->nreplace_on_changes; j++) free(r->replace_on_changes[j]);
        free(r->depends_on); free(r->deps); free(r->ignore_changes); free(r->replace_on_changes);
    }
    free(rs);
}

static int build_resource(graph *g, prog_resource *r, int i, const char *const *types, hg_err *err)
{
    prog_project *p = g->p;
    const prog_node *rs = p->resources_node;
    const prog_node *node = rs->items[i];
    r->name = rs->keys[i];
    r->node = node;
    if (node->kind != PN_MAP) return prog_err_at(err, node, "resource '%s' must be a map with a type", r->name);
    for (int k = 0; k < node->n; k++) {
        const char *key = node->keys[k];
        if (!strcmp(key, "get"))
            return prog_err_at(err, node->items[k], "resource '%s': 'get' (reading existing resources) is not supported", r->name);
        if (strcmp(key, "type") && strcmp(key, "properties") && strcmp(key, "options") &&
            strcmp(key, "defaultProvider") && strcmp(key, "description"))
            return prog_err_at(err, node->items[k], "resource '%s' has unknown field '%s' (type, properties, options)",
                               r->name, key);
    }
    const prog_node *tn = prog_map_get(node, "type");
    if (!tn || tn->kind != PN_SCALAR || !*tn->scalar)
        return prog_err_at(err, tn ? tn : node, "resource '%s' has no type", r->name);
    normalize_type(tn->scalar);      /* the node is the project's; shortening in place is safe */
    r->type = tn->scalar;
    if (check_type(r, tn, types, err) < 0) return -1;
    r->properties = prog_map_get(node, "properties");
    r->options = prog_map_get(node, "options");
    if (r->properties && r->properties->kind != PN_MAP)
        return prog_err_at(err, r->properties, "resource '%s': properties must be a map", r->name);
    if (parse_options(p, r, err) < 0) return -1;
    if (!strcmp(r->type, STACK_REF_TYPE)) {
        const prog_node *name = r->properties ? prog_map_get(r->properties, "name") : NULL;
        if (!name) return prog_err_at(err, node, "stack reference '%s' has no 'name' property (org/project/stack)", r->name);
        if (name->kind == PN_SCALAR && !strchr(name->scalar, '$')) r->stack_reference = name->scalar;
    }
    char what[300];
    snprintf(what, sizeof what, "resource '%.256s'", r->name);
    bool *row = g->need + (size_t)i * (size_t)g->nres;
    collect c = { g, row, NULL, what, err };
    if (walk(&c, r->properties, err) < 0 || walk(&c, r->options, err) < 0) return -1;
    for (int k = 0; k < r->ndepends_on; k++) row[prog_resource_index(p, r->depends_on[k])] = true;
    if (row[i]) return prog_err_at(err, node, "dependency cycle: %s -> %s", r->name, r->name);
    return 0;
}

int prog_graph_build(prog_project *p, const char *const *types, hg_err *err)
{
    const prog_node *rs = p->resources_node, *vars = p->variables;
    if (rs && rs->kind != PN_MAP) return prog_err_at(err, rs, "resources must be a map of name: {type, properties}");
    if (vars && vars->kind != PN_MAP) return prog_err_at(err, vars, "variables must be a map");
    if (p->outputs && p->outputs->kind != PN_MAP) return prog_err_at(err, p->outputs, "outputs must be a map");
    graph g = { .p = p, .nres = rs ? rs->n : 0, .nvars = vars ? vars->n : 0 };
    for (int i = 0; i < g.nvars; i++)
        if (prog_resource_index(p, vars->keys[i]) >= 0)
            return prog_err_at(err, vars->items[i], "'%s' is both a variable and a resource", vars->keys[i]);
    size_t nr = (size_t)(g.nres ? g.nres : 1), nv = (size_t)(g.nvars ? g.nvars : 1);
    g.need = calloc(nr * nr, 1);
    g.var_need = calloc(nv * nr, 1);
    g.var_state = calloc(nv, 1);
    g.var_path = calloc(nv, sizeof *g.var_path);
    prog_resource *src = calloc(nr, sizeof *src);
    order o = { &g, src, calloc(nr, 1), calloc(nr, sizeof(int)), 0, calloc(nr, sizeof(int)), 0 };
    int rc = -1;
    if (!g.need || !g.var_need || !g.var_state || !g.var_path || !src || !o.state || !o.path || !o.out) {
        hg_err_internal(err, "out of memory");
        goto done;
    }
    /* variables first, so a variable cycle is reported even when unused */
    for (int i = 0; i < g.nvars; i++)
        if (visit_var(&g, i, vars->items[i], err) < 0) goto done;
    for (int i = 0; i < g.nres; i++)
        if (build_resource(&g, &src[i], i, types, err) < 0) goto done;
    if (p->outputs) {
        for (int i = 0; i < p->outputs->n; i++) {
            char what[300];
            snprintf(what, sizeof what, "output '%.256s'", p->outputs->keys[i]);
            collect c = { &g, NULL, NULL, what, err };
            if (walk(&c, p->outputs->items[i], err) < 0) goto done;
        }
    }
    for (int i = 0; i < g.nres; i++)
        if (visit_res(&o, i, err) < 0) goto done;
    /* invariant 1: deps as names, then the resources in order */
    for (int i = 0; i < g.nres; i++)
        for (int j = 0; j < g.nres; j++)
            if (g.need[(size_t)i * (size_t)g.nres + (size_t)j] &&
                push_str(&src[i].deps, &src[i].ndeps, src[j].name, err) < 0) goto done;
    prog_resource *ordered = calloc(nr, sizeof *ordered);
    if (!ordered) { hg_err_internal(err, "out of memory"); goto done; }
    for (int k = 0; k < o.nout; k++) ordered[k] = src[o.out[k]];
    free(src);
    src = NULL;
    p->resources = ordered;
    p->nresources = g.nres;
    rc = 0;
done:
    if (src) resources_free(src, g.nres);
    free(g.need); free(g.var_need); free(g.var_state); free(g.var_path);
    free(o.state); free(o.path); free(o.out);
    return rc;
}

/* ---- stack references ------------------------------------------------------- */

int prog_stack_references(prog_project *p, char ***names, int *n, hg_err *err)
{
    *names = NULL;
    *n = 0;
    prog_env env = { .project = p, .preview = true };
    int rc = 0;
    for (int i = 0; i < p->nresources && rc == 0; i++) {
        const prog_resource *r = &p->resources[i];
        if (strcmp(r->type, STACK_REF_TYPE) != 0) continue;
        const prog_node *nn = prog_map_get(r->properties, "name");
        cJSON *v = NULL;
        if ((rc = prog_eval(&env, nn, &v, err)) < 0) break;
        const cJSON *s = prog_is_sig(v, PROG_SIG_SECRET) ? cJSON_GetObjectItemCaseSensitive(v, "value") : v;
        if (!cJSON_IsString(s) || prog_has_unknown(v) || !*s->valuestring) {
            rc = prog_err_at(err, nn, "stack reference '%s': the stack name must be known before deployment "
                             "(build it from config, not from resource outputs)", r->name);
        } else {
            /* org/project/stack; "project/stack" and "stack" are completed as Pulumi does */
            const char *name = s->valuestring;
            const char *org = env.organization ? env.organization : "organization";
            int slashes = 0;
            for (const char *c = name; *c; c++) slashes += *c == '/';
            char *full = NULL;
            int len = slashes == 2 ? asprintf(&full, "%s", name)
                    : slashes == 1 ? asprintf(&full, "%s/%s", org, name)
                    : slashes == 0 ? asprintf(&full, "%s/%s/%s", org, p->name, name) : -2;
            if (len == -2) {
                rc = prog_err_at(err, nn, "stack reference '%s': '%s' is not a stack name (org/project/stack)", r->name, name);
            } else if (len < 0) {
                rc = hg_err_internal(err, "out of memory");
            } else {
                char **a = realloc(*names, ((size_t)*n + 1) * sizeof *a);
                if (!a) { free(full); rc = hg_err_internal(err, "out of memory"); }
                else { *names = a; a[(*n)++] = full; }
            }
        }
        cJSON_Delete(v);
    }
    prog_env_release(&env);
    if (rc < 0) {
        for (int i = 0; i < *n; i++) free((*names)[i]);
        free(*names);
        *names = NULL;
        *n = 0;
    }
    return rc;
}
