/*
 * exec.c — one stack's run: lock, read the state, plan, then apply the plan
 * on a pool of worker threads.
 *
 * Scheduling: a node runs as soon as every node it waits for is DONE; a
 * node waiting on a FAILED or SKIPPED node is SKIPPED (a failed step stops
 * its dependents, independent branches finish). A step refused for lack of
 * permission stops the whole run instead: no further step starts (steps in
 * flight finish), since the caller's policy will refuse its siblings too and
 * the user must fix the policy first. Program nodes wait for
 * their dependencies; deletes wait for every program node and for the
 * deletes that depend on them, so removal runs in reverse order.
 *
 * Invariants:
 *   1. r->mu guards the nodes' status, the evaluation environment, the
 *      report and the summary; provider calls run without it.
 *   2. Each step writes the state right after AWS confirmed it (a create is
 *      first recorded as pending), so a kill leaves state matching AWS.
 *   3. A create-before-delete replacement first copies the old resource's
 *      row to "<urn>#replaced"; that row is an ordinary resource no longer
 *      in the program, so its deletion is retried by the next run if this
 *      one dies (or a step fails) before removing it.
 *   4. As in Pulumi, the old half of such a replacement is deleted only
 *      after every program step has run, so dependents are first updated
 *      to the new half (a Stage moves to the new Deployment before the old
 *      Deployment, which AWS refuses to delete while a stage uses it, goes).
 */
#include "eng_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hg_json.h"
#include "hg_time.h"

#define REPLACED_SUFFIX "#replaced"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char **dep_urns(eng_run_ctx *r, const eng_node *n, int *count)
{
    *count = 0;
    if (!n->pr || n->pr->ndeps == 0) return NULL;
    char **v = calloc((size_t)n->pr->ndeps, sizeof *v);
    for (int w = 0; v && w < n->nwaits; w++) {
        const eng_node *d = &r->nodes[n->waits[w]];
        if (d->prov) v[(*count)++] = d->urn;   /* stack references are not resources of the state */
    }
    return v;
}

/* Record a program node's resource (borrowed strings; one transaction). */
static int record(eng_run_ctx *r, const eng_node *n, const char *urn, const char *id, const cJSON *inputs,
                  const cJSON *outputs, bool pending, hg_err *err)
{
    state_res row = {0};
    row.urn = (char *)urn;
    row.type = (char *)(n->pr ? n->pr->type : n->old->type);
    row.name = (char *)(n->pr ? n->pr->name : n->old->name);
    row.id = (char *)id;
    row.inputs = (cJSON *)inputs;
    row.outputs = (cJSON *)outputs;
    row.deps = dep_urns(r, n, &row.ndeps);
    row.protect = n->pr && n->pr->protect;
    row.retain_on_delete = n->pr && n->pr->retain_on_delete;
    row.pending = pending;
    int rc = state_res_put(r->db, r->key, &row, err);
    free(row.deps);
    return rc;
}

static int do_create(eng_run_ctx *r, eng_node *n, prov_ctx *ctx, const cJSON *inputs, char **id, cJSON **outputs,
                     hg_err *err)
{
    if (record(r, n, n->urn, NULL, inputs, NULL, true, err) < 0) return -1;
    int rc = n->prov->create(ctx, inputs, id, outputs, err);
    if (rc < 0 && !*id) {
        hg_err ignored = {0};
        state_res_delete(r->db, r->key, n->urn, &ignored);   /* nothing was made */
        return -1;
    }
    /* a partial failure still made the resource: record it so the next run converges */
    hg_err e2 = {0};
    cJSON *empty = NULL;
    if (!*outputs) *outputs = empty = cJSON_CreateObject();
    if (record(r, n, n->urn, *id, inputs, *outputs, false, rc < 0 ? &e2 : err) < 0 && rc == 0) return -1;
    (void)empty;
    return rc;
}

static int remove_old(eng_run_ctx *r, const state_res *old, const provider *pv, const char *urn, hg_err *err)
{
    if (!old->retain_on_delete && pv && old->id) {
        eng_node tmp = {.old = old};
        prov_ctx ctx;
        eng_prov_ctx(r, &tmp, &ctx);
        if (pv->remove(&ctx, old->id, old->inputs, err) < 0) return -1;
    }
    return state_res_delete(r->db, r->key, urn, err);
}

/* Run one program node; *op is what happened. */
static int run_program_node(eng_run_ctx *r, eng_node *n, eng_op *op, hg_err *err)
{
    *op = OP_SAME;
    if (n->op == OP_READ) { *op = OP_READ; return 0; }
    bool skip = n->op == OP_SAME && r->o->targets && !n->old;
    if (skip) return 0;

    /* evaluate for real, now that every dependency has its outputs */
    pthread_mutex_lock(&r->mu);
    const char *unused_account = r->account_id;
    (void)unused_account;
    cJSON *planned = n->inputs ? cJSON_Duplicate(n->inputs, 1) : NULL;
    eng_node live = *n;
    live.inputs = NULL;
    memset(&live.diff, 0, sizeof live.diff);
    int rc = eng_plan_resource(r, &live, &r->env, (n->op == OP_CREATE || n->op == OP_REPLACE) ? planned : NULL,
                               err);
    pthread_mutex_unlock(&r->mu);
    cJSON_Delete(planned);
    if (rc < 0) { eng_diff_release(&live.diff); cJSON_Delete(live.inputs); return -1; }
    /* --target: untargeted resources keep their recorded state */
    if (r->o->targets && n->op == OP_SAME && n->old) live.op = OP_SAME;

    eng_diff_release(&n->diff);
    n->diff = live.diff;
    cJSON_Delete(n->inputs);
    n->inputs = live.inputs;
    n->user_named = live.user_named;
    *op = live.op;

    prov_ctx ctx;
    eng_prov_ctx(r, n, &ctx);
    char *id = NULL;
    cJSON *outputs = NULL;
    switch (live.op) {
    case OP_CREATE:
        rc = do_create(r, n, &ctx, n->inputs, &id, &outputs, err);
        break;
    case OP_UPDATE:
        rc = n->prov->update(&ctx, n->old->id, n->old->inputs, n->inputs, &outputs, err);
        if (rc == 0) rc = record(r, n, n->urn, n->old->id, n->inputs, outputs, false, err);
        id = strdup(n->old->id);
        break;
    case OP_REPLACE: {
        const char *on = hg_json_str(n->old->inputs, "name"), *nn = hg_json_str(n->inputs, "name");
        bool dbr = n->pr->delete_before_replace || (on && nn && !strcmp(on, nn));
        if (dbr) {
            rc = remove_old(r, n->old, n->prov, n->urn, err);
            if (rc == 0) rc = do_create(r, n, &ctx, n->inputs, &id, &outputs, err);
        } else {
            char *rurn = NULL;
            rc = asprintf(&rurn, "%s%s", n->urn, REPLACED_SUFFIX) < 0 ? hg_err_internal(err, "out of memory") : 0;
            if (rc == 0) {
                state_res copy = *n->old;
                copy.urn = rurn;
                copy.pending = false;
                rc = state_res_put(r->db, r->key, &copy, err);
            }
            if (rc == 0) rc = do_create(r, n, &ctx, n->inputs, &id, &outputs, err);
            if (rc == 0) n->old_half_left = true;     /* removed by delete_old_halves */
            free(rurn);
        }
        break;
    }
    default: {
        /* same: keep what AWS has; rewrite the row only if options changed */
        id = strdup(n->old->id ? n->old->id : "");
        outputs = cJSON_Duplicate(n->old->outputs, 1);
        int nd = 0;
        char **deps = dep_urns(r, n, &nd);
        bool differ = n->old->protect != n->pr->protect || n->old->retain_on_delete != n->pr->retain_on_delete ||
                      nd != n->old->ndeps;
        for (int i = 0; !differ && i < nd; i++) differ = strcmp(deps[i], n->old->deps[i]) != 0;
        free(deps);
        if (differ && !r->o->targets) rc = record(r, n, n->urn, n->old->id, n->old->inputs, outputs, false, err);
        break;
    }
    }
    if (rc == 0) {
        pthread_mutex_lock(&r->mu);
        cJSON *view = outputs;
        cJSON *v = cJSON_IsObject(view) ? cJSON_Duplicate(view, 1) : cJSON_CreateObject();
        if (id && !cJSON_GetObjectItemCaseSensitive(v, "id")) cJSON_AddStringToObject(v, "id", id);
        hg_json_set(v, "urn", cJSON_CreateString(n->urn));
        hg_json_set(r->res_outputs, n->pr->name, v);
        pthread_mutex_unlock(&r->mu);
    }
    free(id);
    cJSON_Delete(outputs);
    return rc;
}

static int run_node(eng_run_ctx *r, eng_node *n, eng_op *op, hg_err *err)
{
    if (n->op == OP_DELETE) {
        *op = OP_DELETE;
        return remove_old(r, n->old, n->prov, n->old->urn, err);
    }
    return run_program_node(r, n, op, err);
}

/* ---- the scheduler ---------------------------------------------------------------- */

static bool is_terminal(int st) { return st == NODE_DONE || st == NODE_FAILED || st == NODE_SKIPPED; }

/* Pick a ready node (mu held): -1 when none is ready now, -2 when all are finished. */
static int pick(eng_run_ctx *r)
{
    bool programs_pending = false, any_open = false;
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].op != OP_DELETE && !is_terminal(r->nodes[i].status)) programs_pending = true;
    for (int i = 0; i < r->nnodes; i++) {
        eng_node *n = &r->nodes[i];
        if (n->status != NODE_WAIT) { if (n->status == NODE_RUNNING) any_open = true; continue; }
        any_open = true;
        if (n->op == OP_DELETE && programs_pending) continue;
        bool ready = true, blocked = false;
        for (int w = 0; w < n->nwaits; w++) {
            int st = r->nodes[n->waits[w]].status;
            if (st == NODE_FAILED || st == NODE_SKIPPED) blocked = true;
            else if (st != NODE_DONE) ready = false;
        }
        if (blocked) {
            n->status = NODE_SKIPPED;
            r->sum->failed++;
            return pick(r);
        }
        if (ready) return i;
    }
    return any_open ? -1 : -2;
}

/* AWS's codes for a call the caller's policies refuse (IAM's Query
 * services say AccessDenied, the JSON and REST ones AccessDeniedException). */
static bool is_denial(const hg_err *e)
{
    return strcmp(e->code, "AccessDeniedException") == 0 || strcmp(e->code, "AccessDenied") == 0 ||
           strcmp(e->code, "UnauthorizedOperation") == 0;
}

/* After a denial (mu held): every step not yet started is SKIPPED. */
static void stop_waiting(eng_run_ctx *r)
{
    for (int i = 0; i < r->nnodes; i++)
        if (r->nodes[i].status == NODE_WAIT) {
            r->nodes[i].status = NODE_SKIPPED;
            r->sum->failed++;
        }
}

static void *worker(void *arg)
{
    eng_run_ctx *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        int i = pick(r);
        if (i == -2) break;
        if (i == -1) { pthread_cond_wait(&r->cv, &r->mu); continue; }
        eng_node *n = &r->nodes[i];
        n->status = NODE_RUNNING;
        bool quiet = n->op == OP_SAME || n->op == OP_READ;
        pthread_mutex_unlock(&r->mu);

        double t = now_s();
        hg_err e = {0};
        eng_op op = n->op;
        int rc = run_node(r, n, &op, &e);
        double secs = now_s() - t;

        pthread_mutex_lock(&r->mu);
        n->done_op = op;
        n->seconds = secs;
        if (rc < 0) {
            n->status = NODE_FAILED;
            r->failures++;
            r->sum->failed++;
            if (!hg_err_isset(&r->first_err)) r->first_err = e;
            rep_step_error(r, n, &e);
            if (is_denial(&e)) stop_waiting(r);
        } else {
            n->status = NODE_DONE;
            switch (op) {
            case OP_CREATE: r->sum->create++; break;
            case OP_UPDATE: r->sum->update++; break;
            case OP_REPLACE: r->sum->replace++; break;
            case OP_DELETE: r->sum->remove++; break;
            default: r->sum->same++; break;
            }
            if (op != OP_SAME && op != OP_READ) r->sum->changed = true;
            if (!(quiet && (op == OP_SAME || op == OP_READ))) rep_step(r, n, op, true, secs);
        }
        pthread_cond_broadcast(&r->cv);
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* After every step: delete the old halves of create-before-delete
 * replacements, last program node first (reverse dependency order). Skipped
 * when a step failed: a dependent may still point at an old half; the
 * "#replaced" rows make the next run delete them. */
static void delete_old_halves(eng_run_ctx *r)
{
    if (r->failures) return;
    for (int i = r->nnodes - 1; i >= 0; i--) {
        eng_node *n = &r->nodes[i];
        if (!n->old_half_left || n->status != NODE_DONE) continue;
        char *rurn = NULL;
        hg_err e = {0};
        if (asprintf(&rurn, "%s%s", n->urn, REPLACED_SUFFIX) < 0) rurn = NULL;
        if (!rurn) hg_err_internal(&e, "out of memory");
        if (rurn && remove_old(r, n->old, n->prov, rurn, &e) == 0) n->old_half_left = false;
        free(rurn);
        if (n->old_half_left) {
            n->status = NODE_FAILED;
            r->failures++;
            r->sum->failed++;
            if (r->sum->replace > 0) r->sum->replace--;
            if (!hg_err_isset(&r->first_err)) r->first_err = e;
            rep_step_error(r, n, &e);
        }
    }
}

int eng_apply(eng_run_ctx *r, hg_err *err)
{
    int nthreads = r->o->parallel > 0 ? r->o->parallel : 8;
    if (nthreads > 64) nthreads = 64;
    if (nthreads > r->nnodes) nthreads = r->nnodes;
    if (nthreads == 0) return 0;
    /* resolve the account before the workers need it, but only if something will change */
    bool changes = false;
    for (int i = 0; i < r->nnodes; i++) changes |= r->nodes[i].op != OP_SAME && r->nodes[i].op != OP_READ;
    if (changes) {
        cJSON *who = NULL;
        hg_err ignored = {0};
        if (eng_invoke(r, "aws:index:getCallerIdentity", NULL, &who, &ignored) == 0) cJSON_Delete(who);
    }
    pthread_t th[64];
    int started = 0;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&th[i], NULL, worker, r) == 0) started++;
    if (started == 0) worker(r);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    delete_old_halves(r);
    if (r->failures) {
        const hg_err *e = &r->first_err;
        return hg_err_set(err, e->status ? e->status : 500, e->code[0] ? e->code : "UpdateFailed",
                          "%d step%s failed; the first: %s%s%s", r->failures, r->failures == 1 ? "" : "s",
                          e->code, e->code[0] ? ": " : "", e->message);
    }
    return 0;
}

/* ---- eng_run ---------------------------------------------------------------------- */

static int load_project_name(const char *dir, char **name, hg_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/Pulumi.yaml", dir);
    prog_node *root = NULL;
    if (prog_yaml_load(path, &root, err) < 0) return -1;
    const prog_node *n = prog_map_get(root, "name");
    if (!n || n->kind != PN_SCALAR) {
        prog_node_free(root);
        return hg_err_validation(err, "%s: the project has no `name`", path);
    }
    *name = strdup(n->scalar);
    prog_node_free(root);
    return 0;
}

static void run_release(eng_run_ctx *r)
{
    for (int i = 0; i < r->nnodes; i++) {
        free(r->nodes[i].urn);
        cJSON_Delete(r->nodes[i].inputs);
        eng_diff_release(&r->nodes[i].diff);
        free(r->nodes[i].waits);
    }
    free(r->nodes);
    prog_env_release(&r->env);
    prog_env_release(&r->penv);
    cJSON_Delete(r->res_outputs);
    cJSON_Delete(r->plan_outputs);
    free(r->account_id);
    state_stack_free(r->old);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

int eng_run(state_db *db, aws_client *aws, const eng_opts *o, eng_summary *sum, hg_err *err)
{
    eng_run_ctx r;
    memset(&r, 0, sizeof r);
    memset(sum, 0, sizeof *sum);
    r.db = db; r.aws = aws; r.o = o; r.sum = sum;
    r.t0 = now_s();
    r.org = o->org ? o->org : "organization";
    r.stack = o->stack ? o->stack : "dev";
    r.region = aws ? aws_client_region(aws) : "us-east-1";
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    r.res_outputs = cJSON_CreateObject();
    r.plan_outputs = cJSON_CreateObject();
    const char *dir = o->dir ? o->dir : ".";
    char *pname = NULL;
    int ret = -1;
    bool locked = false;

    hg_err lerr = {0};
    if (prog_load(dir, r.stack, prov_types(), &r.p, &lerr) < 0) {
        /* destroy and refresh need only the project's name, never the program */
        if (o->mode != ENG_DESTROY && o->mode != ENG_REFRESH) { *err = lerr; goto out; }
        if (load_project_name(dir, &pname, err) < 0) goto out;
        r.project = pname;
    } else {
        r.project = r.p->name;
    }
    r.env = (prog_env){.project = r.p, .organization = r.org, .resources = r.res_outputs,
                       .invoke = eng_invoke, .invoke_ud = &r, .preview = false};
    r.penv = r.env;
    r.penv.resources = r.plan_outputs;
    r.penv.preview = true;

    rep_begin(&r);
    if (o->mode != ENG_PREVIEW) {
        if (state_lock(db, r.org, r.project, r.stack, err) < 0) goto out;
        locked = true;
    }
    int rc = state_stack_get(db, r.org, r.project, r.stack, &r.old, err);
    if (rc < 0) goto out;
    if (rc == 1) {
        if (o->mode == ENG_UP) {
            if (state_stack_create(db, r.org, r.project, r.stack, err) < 0 ||
                state_stack_get(db, r.org, r.project, r.stack, &r.old, err) != 0)
                goto out;
        } else if (o->mode == ENG_PREVIEW) {
            r.old = calloc(1, sizeof *r.old);
            r.old->org = strdup(r.org); r.old->project = strdup(r.project); r.old->stack = strdup(r.stack);
        } else {
            hg_err_set(err, 404, "StackNotFound", "no stack named '%s/%s/%s'", r.org, r.project, r.stack);
            goto out;
        }
    }
    r.key = r.old;

    if (o->mode == ENG_UP || o->mode == ENG_DESTROY)
        if (eng_reconcile_pending(&r, err) < 0) goto out;
    if (o->mode == ENG_REFRESH || (o->refresh && o->mode != ENG_PREVIEW)) {
        if (eng_refresh_state(&r, o->mode == ENG_REFRESH, err) < 0) goto out;
        if (o->mode == ENG_REFRESH) {
            sum->changed = sum->remove || sum->update;
            ret = 0;
            goto out;
        }
    }
    if (eng_plan(&r, err) < 0) goto out;

    if (o->mode == ENG_PREVIEW) {
        for (int i = 0; i < r.nnodes; i++) {
            const eng_node *n = &r.nodes[i];
            switch (n->op) {
            case OP_CREATE: sum->create++; break;
            case OP_UPDATE: sum->update++; break;
            case OP_REPLACE: sum->replace++; break;
            case OP_DELETE: sum->remove++; break;
            default: sum->same++; break;
            }
            if (n->op != OP_SAME && n->op != OP_READ) {
                sum->changed = true;
                rep_step(&r, n, n->op, false, 0);
            }
        }
        cJSON *outs = NULL;
        hg_err oe = {0};
        if (r.p && prog_eval_outputs(&r.penv, &outs, &oe) == 0) rep_outputs(&r, outs);
        cJSON_Delete(outs);
        ret = 0;
        goto out;
    }

    if (eng_apply(&r, err) < 0) goto out;

    cJSON *outs = NULL;
    if (o->mode == ENG_UP) {
        if (prog_eval_outputs(&r.env, &outs, err) < 0) goto out;
    } else {
        outs = cJSON_CreateObject();
    }
    if (state_stack_set_outputs(db, r.key, outs, o->mode == ENG_UP ? o->fingerprint : NULL, err) < 0) {
        cJSON_Delete(outs);
        goto out;
    }
    if (o->mode == ENG_UP) rep_outputs(&r, outs);
    cJSON_Delete(outs);
    ret = 0;
out:
    sum->seconds = now_s() - r.t0;
    if (r.project) rep_summary(&r);
    if (locked) state_unlock(db, r.org, r.project, r.stack);
    run_release(&r);
    prog_project_free(r.p);
    free(pname);
    return ret;
}
