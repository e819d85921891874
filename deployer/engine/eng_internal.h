/*
 * eng_internal.h — the engine's pieces, shared by plan.c (evaluate, check,
 * diff), exec.c (the parallel apply), diff.c (the pure differ) and report.c
 * (what the user sees). Not a public interface: commands use engine.h.
 */
#ifndef HG_ENG_INTERNAL_H
#define HG_ENG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "engine.h"
#include "hg_error.h"
#include "program.h"
#include "provider.h"
#include "state.h"

typedef enum eng_op { OP_SAME, OP_CREATE, OP_UPDATE, OP_REPLACE, OP_DELETE, OP_READ } eng_op;

/* ---- diff.c: old inputs vs new inputs, no I/O ---------------------------------- */

typedef struct eng_diff {
    eng_op op;          /* OP_CREATE (no olds), OP_SAME, OP_UPDATE or OP_REPLACE */
    cJSON *changed;     /* array of top-level property names that differ (new; NULL when none) */
    cJSON *replace_by;  /* array of the changed paths that force replacement (new; NULL when none) */
} eng_diff;

/* Decide what a resource needs. news is modified in place: ignoreChanges
 * paths take their old values back (or vanish when they had none). A
 * property whose new value holds an unknown counts as changed. Replacement
 * comes from props flagged PROP_REPLACE and from replaceOnChanges paths
 * ("*" = any change). Release d with eng_diff_release. */
int  eng_diff_compute(const cJSON *olds, cJSON *news, const prov_prop *props,
                      char *const *ignore, int nignore, char *const *replace_on, int nreplace_on,
                      eng_diff *d, hg_err *err);
void eng_diff_release(eng_diff *d);
/* Deep equality where an unknown is never equal to anything. */
bool eng_value_equal(const cJSON *a, const cJSON *b);
/* The value at a Pulumi property path ("a.b[0][\"c\"]"), borrowed; NULL when absent. */
const cJSON *eng_path_get(const cJSON *v, const char *path);
/* Is name one of props? Unknown property names are refused by the engine. */
const prov_prop *eng_prop_find(const prov_prop *props, const char *name);
const char *eng_op_name(eng_op op);

/* ---- one run ------------------------------------------------------------------- */

enum { NODE_WAIT, NODE_RUNNING, NODE_DONE, NODE_FAILED, NODE_SKIPPED };

typedef struct eng_node {
    const prog_resource *pr;    /* NULL for a delete of something no longer in the program */
    const provider *prov;       /* NULL for StackReferences */
    char *urn;
    const state_res *old;       /* borrowed from run->old, NULL when new */
    eng_op op;                  /* planned */
    cJSON *inputs;              /* planned inputs (may hold unknowns in preview) */
    eng_diff diff;
    bool user_named;            /* the program gave the name property */
    int *waits; int nwaits;     /* node indices this one waits for */
    /* execution */
    int status;
    eng_op done_op;             /* what actually happened */
    double seconds;
    bool old_half_left;         /* a create-before-delete replacement whose old half ("<urn>#replaced")
                                   is deleted after every program step, once dependents moved off it */
} eng_node;

typedef struct eng_run_ctx {
    state_db *db;
    aws_client *aws;
    const eng_opts *o;
    prog_project *p;            /* NULL for destroy without a loadable program */
    const char *org, *project, *stack;
    state_stack *old;           /* the stack's state before the run (owned) */
    state_stack *key;           /* org/project/stack for per-step writes (borrows old's strings) */
    eng_node *nodes; int nnodes;
    prog_env env;               /* apply-time evaluation (under mu) */
    prog_env penv;              /* plan-time evaluation (preview: unknowns allowed) */
    cJSON *res_outputs;         /* name -> outputs for env (owned) */
    cJSON *plan_outputs;        /* name -> outputs for penv (owned) */
    char *account_id;           /* resolved lazily; "000000000000" when STS is absent */
    const char *region;
    pthread_mutex_t mu;         /* env, nodes' status, report, summary */
    pthread_cond_t cv;
    eng_summary *sum;
    int failures;
    hg_err first_err;           /* the first failed step's error */
    double t0;
} eng_run_ctx;

/* plan.c */
int  eng_plan(eng_run_ctx *r, hg_err *err);
/* Evaluate, check and diff one program resource into n->inputs/diff/op;
 * planned (apply time) = the plan's inputs, whose auto-name is kept. */
int  eng_plan_resource(eng_run_ctx *r, eng_node *n, prog_env *env, const cJSON *planned, hg_err *err);
int  eng_invoke(void *ud, const char *token, const cJSON *args, cJSON **out, hg_err *err);
void eng_prov_ctx(eng_run_ctx *r, const eng_node *n, prov_ctx *ctx);
int  eng_refresh_state(eng_run_ctx *r, bool report, hg_err *err);
int  eng_reconcile_pending(eng_run_ctx *r, hg_err *err);
/* exec.c */
int  eng_apply(eng_run_ctx *r, hg_err *err);
/* report.c (callers hold r->mu when workers are running) */
void rep_begin(eng_run_ctx *r);
void rep_step(eng_run_ctx *r, const eng_node *n, eng_op op, bool done, double seconds);
void rep_step_error(eng_run_ctx *r, const eng_node *n, const hg_err *e);
void rep_refresh(eng_run_ctx *r, const char *urn, const char *type, bool gone);
void rep_outputs(eng_run_ctx *r, const cJSON *outputs);
void rep_summary(eng_run_ctx *r);

#endif
