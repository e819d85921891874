/*
 * plan.c — from a program and the state to a list of steps, before anything
 * is touched.
 *
 * Every resource of the program is evaluated in dependency order with
 * preview semantics (outputs of what is not created yet are unknown),
 * checked against its provider's property list (an unknown property names
 * the file, line and property), completed by the provider's check
 * (defaults, auto-names) and diffed against its last recorded inputs.
 * Resources in the state but no longer in the program become deletes.
 * Everything that can refuse the run refuses here: unknown properties,
 * evaluation errors, a StackReference to a stack that does not exist, a
 * protected resource that would be deleted or replaced.
 *
 * Stack references are read from this same state database (the referenced
 * stack's outputs); they are not recorded as resources of their own.
 */
#include "eng_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hg_json.h"

#define STACK_REF_TYPE "pulumi:pulumi:StackReference"
#define DEFAULT_ACCOUNT "000000000000"

static char *make_urn(const char *stack, const char *project, const char *type, const char *name)
{
    char *u = NULL;
    if (asprintf(&u, "urn:pulumi:%s::%s::%s::%s", stack, project, type, name) < 0) return NULL;
    return u;
}

static const state_res *old_by_urn(const state_stack *s, const char *urn)
{
    for (int i = 0; s && i < s->nres; i++)
        if (!strcmp(s->res[i].urn, urn)) return &s->res[i];
    return NULL;
}

static int node_by_name(const eng_run_ctx *r, const char *name)
{
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].pr && !strcmp(r->nodes[i].pr->name, name)) return i;
    return -1;
}

/* ---- account and region (fn::invoke, provider context) ---------------------------- */

/* The text between <tag> and </tag> in xml (new), or NULL. */
static char *xml_field(const char *xml, const char *tag)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = xml ? strstr(xml, open) : NULL;
    if (!a) return NULL;
    a += strlen(open);
    const char *b = strstr(a, close);
    return b ? strndup(a, (size_t)(b - a)) : NULL;
}

/* STS GetCallerIdentity once per run; an endpoint without STS (the
 * emulator today) gives the account every local tool assumes. */
static const char *account_id(eng_run_ctx *r, char **arn, char **user)
{
    if (!r->account_id) {
        char *xml = NULL;
        hg_err e = {0};
        const char *params[] = { NULL };
        if (r->aws && aws_query_call(r->aws, "sts", "GetCallerIdentity", "2011-06-15", params, &xml, &e) == 0)
            r->account_id = xml_field(xml, "Account");
        if (arn) *arn = xml_field(xml, "Arn");
        if (user) *user = xml_field(xml, "UserId");
        free(xml);
        if (!r->account_id) r->account_id = strdup(DEFAULT_ACCOUNT);
    }
    return r->account_id;
}

int eng_invoke(void *ud, const char *token, const cJSON *args, cJSON **out, hg_err *err)
{
    eng_run_ctx *r = ud;
    (void)args;
    *out = NULL;
    if (!strcmp(token, "aws:index:getCallerIdentity") ||
        !strcmp(token, "aws:index/getCallerIdentity:getCallerIdentity")) {
        char *arn = NULL, *user = NULL;
        const char *acct = account_id(r, &arn, &user);
        cJSON *o = cJSON_CreateObject();
        char buf[128];
        snprintf(buf, sizeof buf, "arn:aws:iam::%s:root", acct);
        cJSON_AddStringToObject(o, "accountId", acct);
        cJSON_AddStringToObject(o, "arn", arn ? arn : buf);
        cJSON_AddStringToObject(o, "userId", user ? user : acct);
        cJSON_AddStringToObject(o, "id", acct);
        free(arn); free(user);
        *out = o;
        return 0;
    }
    if (!strcmp(token, "aws:index:getRegion") || !strcmp(token, "aws:index/getRegion:getRegion")) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", r->region);
        cJSON_AddStringToObject(o, "id", r->region);
        cJSON_AddStringToObject(o, "region", r->region);
        cJSON_AddStringToObject(o, "endpoint", r->aws ? aws_client_endpoint(r->aws) : "");
        *out = o;
        return 0;
    }
    return hg_err_validation(err, "fn::invoke: unsupported function '%s' (supported: aws:index:getCallerIdentity, "
                                  "aws:index:getRegion)", token);
}

void eng_prov_ctx(eng_run_ctx *r, const eng_node *n, prov_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->aws = r->aws;
    ctx->region = r->region;
    ctx->account_id = r->account_id ? r->account_id : DEFAULT_ACCOUNT;
    ctx->project = r->project;
    ctx->stack = r->stack;
    ctx->logical_name = n && n->pr ? n->pr->name : n && n->old ? n->old->name : "";
    ctx->project_dir = r->p ? r->p->dir : r->o->dir;
}

/* ---- stack references ------------------------------------------------------------ */

/* Read "org/project/stack" (or "project/stack", or "stack") from the state. */
static int read_stack_ref(eng_run_ctx *r, const char *name, cJSON **val, hg_err *err)
{
    char org[256], proj[256], stk[256];
    const char *a = strchr(name, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    if (b && !strchr(b + 1, '/')) {
        snprintf(org, sizeof org, "%.*s", (int)(a - name), name);
        snprintf(proj, sizeof proj, "%.*s", (int)(b - a - 1), a + 1);
        snprintf(stk, sizeof stk, "%s", b + 1);
    } else if (a && !b) {
        snprintf(org, sizeof org, "%s", r->org);
        snprintf(proj, sizeof proj, "%.*s", (int)(a - name), name);
        snprintf(stk, sizeof stk, "%s", a + 1);
    } else if (!a && *name) {
        snprintf(org, sizeof org, "%s", r->org);
        snprintf(proj, sizeof proj, "%s", r->project);
        snprintf(stk, sizeof stk, "%s", name);
    } else {
        return hg_err_validation(err, "stack reference name '%s' is not of the form <org>/<project>/<stack>", name);
    }
    state_stack *s = NULL;
    int rc = state_stack_get(r->db, org, proj, stk, &s, err);
    if (rc < 0) return -1;
    if (rc == 1 || !s->updated) {
        state_stack_free(s);
        return hg_err_set(err, 404, "StackNotFound",
                          "stack reference: the stack '%s/%s/%s' does not exist (deploy it first with "
                          "`hangar up --stack %s` in the %s project)", org, proj, stk, stk, proj);
    }
    char full[800];
    snprintf(full, sizeof full, "%s/%s/%s", org, proj, stk);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "id", full);
    cJSON_AddStringToObject(v, "name", full);
    cJSON_AddItemToObject(v, "outputs", cJSON_Duplicate(s->outputs, 1));
    cJSON_AddItemToObject(v, "secretOutputNames", cJSON_CreateArray());
    state_stack_free(s);
    *val = v;
    return 0;
}

/* ---- one resource ---------------------------------------------------------------- */

/* Where a property sits in the program, for "file:line:col" messages. */
static void prop_pos(const prog_resource *pr, const char *key, char *out, size_t n)
{
    const prog_node *at = pr->node;
    const prog_node *props = pr->properties;
    for (int i = 0; props && props->kind == PN_MAP && i < props->n; i++)
        if (!strcmp(props->keys[i], key)) at = props->items[i];
    snprintf(out, n, "%s:%d:%d", at && at->file ? at->file : "Pulumi.yaml", at ? at->line : 0, at ? at->col : 0);
}

static int check_props(const eng_node *n, const cJSON *inputs, hg_err *err)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, inputs) {
        if (eng_prop_find(n->prov->props, v->string)) continue;
        char pos[512];
        prop_pos(n->pr, v->string, pos, sizeof pos);
        const char *hint = NULL;
        for (const prov_prop *p = n->prov->props; p->name; p++)
            if (!strcasecmp(p->name, v->string)) hint = p->name;
        if (hint)
            return hg_err_validation(err, "%s: resource '%s' (%s) has no property '%s'; did you mean '%s'?", pos,
                                     n->pr->name, n->pr->type, v->string, hint);
        return hg_err_validation(err, "%s: resource '%s' (%s) has no property '%s'", pos, n->pr->name,
                                 n->pr->type, v->string);
    }
    for (const prov_prop *p = n->prov->props; p->name; p++)
        if ((p->flags & PROP_REQUIRED) && !cJSON_GetObjectItemCaseSensitive(inputs, p->name)) {
            char pos[512];
            prop_pos(n->pr, "", pos, sizeof pos);
            return hg_err_validation(err, "%s: resource '%s' (%s) is missing the required property '%s'", pos,
                                     n->pr->name, n->pr->type, p->name);
        }
    return 0;
}

static cJSON *with_id(const cJSON *outputs, const char *id, const char *urn)
{
    cJSON *o = outputs && cJSON_IsObject(outputs) ? cJSON_Duplicate(outputs, 1) : cJSON_CreateObject();
    if (id && !cJSON_GetObjectItemCaseSensitive(o, "id")) cJSON_AddStringToObject(o, "id", id);
    if (urn) hg_json_set(o, "urn", cJSON_CreateString(urn));
    return o;
}

/* What a later resource sees of this one during preview. */
static cJSON *planned_view(const eng_node *n)
{
    if (n->op == OP_SAME) return with_id(n->old->outputs, n->old->id, n->urn);
    if (n->op == OP_UPDATE) {
        cJSON *o = with_id(n->old->outputs, n->old->id, n->urn);
        const cJSON *v;
        cJSON_ArrayForEach(v, n->inputs) hg_json_set(o, v->string, cJSON_Duplicate(v, 1));
        return o;
    }
    return cJSON_CreateString(PROG_UNKNOWN);
}

/* Evaluate, check and diff one program resource (plan time). */
int eng_plan_resource(eng_run_ctx *r, eng_node *n, prog_env *env, const cJSON *planned, hg_err *err)
{
    const prog_resource *pr = n->pr;
    cJSON *inputs = NULL;
    prov_ctx ctx;
    eng_prov_ctx(r, n, &ctx);
    if (prog_eval_inputs(env, pr, &inputs, err) < 0) return -1;
    if (check_props(n, inputs, err) < 0) goto fail;
    n->user_named = cJSON_GetObjectItemCaseSensitive(inputs, "name") != NULL;
    cJSON *fresh = cJSON_Duplicate(inputs, 1);
    /* at apply, the planned inputs keep the auto-name chosen at plan time */
    const cJSON *olds = planned ? planned : n->old ? n->old->inputs : NULL;
    if (n->prov->check && n->prov->check(&ctx, olds, inputs, err) < 0) { cJSON_Delete(fresh); goto fail; }
    eng_diff_release(&n->diff);
    if (eng_diff_compute(n->old ? n->old->inputs : NULL, inputs, n->prov->props, pr->ignore_changes,
                         pr->nignore_changes, pr->replace_on_changes, pr->nreplace_on_changes, &n->diff, err) < 0) {
        cJSON_Delete(fresh);
        goto fail;
    }
    if (n->diff.op == OP_REPLACE && !n->user_named && !planned) {
        /* a replacement gets a new auto-name, so both halves can exist at once */
        cJSON_Delete(inputs);
        inputs = fresh; fresh = NULL;
        if (n->prov->check && n->prov->check(&ctx, NULL, inputs, err) < 0) goto fail;
        eng_diff_release(&n->diff);
        if (eng_diff_compute(n->old->inputs, inputs, n->prov->props, pr->ignore_changes, pr->nignore_changes,
                             pr->replace_on_changes, pr->nreplace_on_changes, &n->diff, err) < 0)
            goto fail;
    }
    cJSON_Delete(fresh);
    n->op = n->diff.op;
    cJSON_Delete(n->inputs);
    n->inputs = inputs;
    return 0;
fail:
    cJSON_Delete(inputs);
    return -1;
}

static int add_node(eng_run_ctx *r, eng_node **out)
{
    eng_node *nn = realloc(r->nodes, (size_t)(r->nnodes + 1) * sizeof *nn);
    if (!nn) return -1;
    r->nodes = nn;
    *out = &r->nodes[r->nnodes++];
    memset(*out, 0, sizeof **out);
    return 0;
}

static bool targeted(const eng_run_ctx *r, const char *urn)
{
    if (!r->o->targets) return true;
    for (int i = 0; r->o->targets[i]; i++)
        if (!strcmp(r->o->targets[i], urn)) return true;
    return false;
}

static int protect_error(const char *urn, const char *what, hg_err *err)
{
    return hg_err_set(err, 409, "ResourceProtected",
                      "resource '%s' cannot be %s because it is protected; to unprotect it, remove the "
                      "`protect` option from the resource in the program and run `hangar up`", urn, what);
}

/* Deletes wait for every other delete that depends on them (reverse order). */
static void delete_waits(eng_run_ctx *r)
{
    for (int i = 0; i < r->nnodes; i++) {
        eng_node *d = &r->nodes[i];
        if (d->op != OP_DELETE || !d->old) continue;
        for (int j = 0; j < r->nnodes; j++) {
            const eng_node *e = &r->nodes[j];
            if (j == i || e->op != OP_DELETE || !e->old) continue;
            for (int k = 0; k < e->old->ndeps; k++)
                if (!strcmp(e->old->deps[k], d->old->urn)) {
                    int *w = realloc(d->waits, (size_t)(d->nwaits + 1) * sizeof *w);
                    if (w) { d->waits = w; d->waits[d->nwaits++] = j; }
                    break;
                }
        }
    }
}

static int plan_delete(eng_run_ctx *r, const state_res *old, hg_err *err)
{
    if (!targeted(r, old->urn) && r->o->mode != ENG_DESTROY) return 0;
    if (r->o->mode == ENG_DESTROY && !targeted(r, old->urn)) return 0;
    if (old->protect) return protect_error(old->urn, "deleted", err);
    eng_node *n;
    if (add_node(r, &n) < 0) return hg_err_internal(err, "out of memory");
    n->urn = strdup(old->urn);
    n->old = old;
    n->op = OP_DELETE;
    n->prov = prov_find(old->type);
    return 0;
}

int eng_plan(eng_run_ctx *r, hg_err *err)
{
    const state_stack *s = r->old;
    if (r->o->mode == ENG_DESTROY || !r->p) {
        for (int i = 0; s && i < s->nres; i++)
            if (plan_delete(r, &s->res[i], err) < 0) return -1;
        delete_waits(r);
        return 0;
    }
    prog_project *p = r->p;
    for (int i = 0; i < p->nresources; i++) {
        const prog_resource *pr = &p->resources[i];
        eng_node *n;
        if (add_node(r, &n) < 0) return hg_err_internal(err, "out of memory");
        n->pr = pr;
        n->urn = make_urn(r->stack, r->project, pr->type, pr->name);
        if (!n->urn) return hg_err_internal(err, "out of memory");
        for (int d = 0; d < pr->ndeps; d++) {
            int j = node_by_name(r, pr->deps[d]);
            if (j < 0) continue;
            int *w = realloc(n->waits, (size_t)(n->nwaits + 1) * sizeof *w);
            if (!w) return hg_err_internal(err, "out of memory");
            n->waits = w;
            n->waits[n->nwaits++] = j;
        }
        if (!strcmp(pr->type, STACK_REF_TYPE)) {
            n->op = OP_READ;
            cJSON *name = NULL, *val = NULL;
            const prog_node *nn = pr->properties ? prog_map_get(pr->properties, "name") : NULL;
            if (pr->stack_reference) name = cJSON_CreateString(pr->stack_reference);
            else if (nn && prog_eval(&r->penv, nn, &name, err) < 0) return -1;
            if (!cJSON_IsString(name)) {
                cJSON_Delete(name);
                char pos[512];
                prop_pos(pr, "name", pos, sizeof pos);
                return hg_err_validation(err, "%s: stack reference '%s' needs a string `name: <org>/<project>/<stack>`",
                                         pos, pr->name);
            }
            int rc = read_stack_ref(r, name->valuestring, &val, err);
            cJSON_Delete(name);
            if (rc < 0) return -1;
            hg_json_set(r->plan_outputs, pr->name, cJSON_Duplicate(val, 1));
            hg_json_set(r->res_outputs, pr->name, val);
            continue;
        }
        n->prov = prov_find(pr->type);
        if (!n->prov) return hg_err_validation(err, "resource '%s' has unsupported type '%s'", pr->name, pr->type);
        n->old = old_by_urn(s, n->urn);
        if (n->old && n->old->pending) n->old = NULL;
        if (eng_plan_resource(r, n, &r->penv, NULL, err) < 0) return -1;
        if (!targeted(r, n->urn)) {
            /* --target: everything else stays as recorded */
            if (!n->old) {
                n->op = OP_SAME;
                hg_json_set(r->plan_outputs, pr->name, cJSON_CreateString(PROG_UNKNOWN));
                continue;
            }
            n->op = OP_SAME;
        }
        if (n->op == OP_REPLACE && pr->protect)
            return protect_error(n->urn, "replaced", err);
        hg_json_set(r->plan_outputs, pr->name, planned_view(n));
    }
    /* what the program no longer has (and old halves of interrupted replacements) */
    for (int i = 0; s && i < s->nres; i++) {
        const state_res *old = &s->res[i];
        if (old->pending) continue;
        bool kept = false;
        for (int j = 0; j < r->nnodes && !kept; j++)
            kept = r->nodes[j].pr && !strcmp(r->nodes[j].urn, old->urn);
        if (!kept && plan_delete(r, old, err) < 0) return -1;
    }
    delete_waits(r);
    return 0;
}

/* ---- pending creates and refresh -------------------------------------------------------- */

/* A create recorded as pending was interrupted between the API call and the
 * record. Read it back by the name it was given: adopt it when it exists,
 * forget it when it does not, so the plan neither orphans nor duplicates. */
int eng_reconcile_pending(eng_run_ctx *r, hg_err *err)
{
    for (int i = 0; r->old && i < r->old->nres; i++) {
        state_res *res = &r->old->res[i];
        if (!res->pending) continue;
        const provider *pv = prov_find(res->type);
        const char *name = hg_json_str(res->inputs, "name");
        cJSON *outputs = NULL;
        int rc = 1;
        if (pv && pv->read && (res->id || name)) {
            eng_node tmp = {.old = res};
            prov_ctx ctx;
            eng_prov_ctx(r, &tmp, &ctx);
            hg_err e = {0};
            rc = pv->read(&ctx, res->id ? res->id : name, res->inputs, &outputs, &e);
            if (rc < 0) rc = 1;   /* unreadable: treat as never created */
        }
        if (rc == 0) {
            const char *oid = hg_json_str(outputs, "id");
            char *id = strdup(res->id ? res->id : oid ? oid : name);
            free(res->id);
            res->id = id;
            cJSON_Delete(res->outputs);
            res->outputs = outputs;
            res->pending = false;
            if (state_res_put(r->db, r->key, res, err) < 0) return -1;
        } else {
            if (state_res_delete(r->db, r->key, res->urn, err) < 0) return -1;
            free(res->urn);
            res->urn = strdup("");   /* no longer matches any program resource */
            res->pending = true;
        }
    }
    return 0;
}

/* Read every recorded resource back: vanished ones leave the state (so the
 * plan recreates them), others get their current outputs. */
int eng_refresh_state(eng_run_ctx *r, bool report, hg_err *err)
{
    for (int i = 0; r->old && i < r->old->nres; i++) {
        state_res *res = &r->old->res[i];
        const provider *pv = prov_find(res->type);
        if (res->pending || !res->id || !pv || !pv->read) continue;
        eng_node tmp = {.old = res};
        prov_ctx ctx;
        eng_prov_ctx(r, &tmp, &ctx);
        cJSON *outputs = NULL;
        int rc = pv->read(&ctx, res->id, res->inputs, &outputs, err);
        if (rc < 0) return -1;
        if (rc == 1) {
            if (state_res_delete(r->db, r->key, res->urn, err) < 0) return -1;
            if (report) rep_refresh(r, res->urn, res->type, true);
            else if (r->sum) r->sum->changed = true;
            res->pending = true;   /* gone: the plan treats it as new */
            if (report && r->sum) r->sum->remove++;
            continue;
        }
        bool changed = !cJSON_Compare(outputs, res->outputs, 1);
        cJSON_Delete(res->outputs);
        res->outputs = outputs;
        if (changed) {
            if (state_res_put(r->db, r->key, res, err) < 0) return -1;
            if (report) { rep_refresh(r, res->urn, res->type, false); if (r->sum) r->sum->update++; }
        } else if (report && r->sum) {
            r->sum->same++;
        }
    }
    return 0;
}
