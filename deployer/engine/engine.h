/*
 * engine.h — from a program and the state to a plan, and from a plan to AWS.
 *
 *   plan:    evaluate the program in dependency order (unknowns allowed in
 *            preview), check each resource's inputs with its provider, diff
 *            against the state: same / create / update / replace / delete,
 *            with property-level diffs (replace when a PROP_REPLACE property or
 *            a replaceOnChanges path changed; ignoreChanges paths keep their
 *            old values; deleteBeforeReplace orders a replacement's halves);
 *   apply:   run the steps on up to `parallel` worker threads, each step as
 *            soon as its dependencies are done; deletes in reverse dependency
 *            order; write state after every step (state.h invariant 1); a
 *            failed step stops its dependents, independent branches finish,
 *            except that a step refused for lack of permission (AccessDenied)
 *            stops the whole run: no further step starts, steps in flight
 *            finish (exec.c); either way the run ends non-zero naming the AWS
 *            error code and message;
 *            `protect` blocks deletion/replacement with a clear message;
 *   report:  Pulumi-style lines (+ create, ~ update, +- replace, - delete),
 *            a "Resources:" summary and the duration; or JSON events.
 */
#ifndef HG_ENGINE_H
#define HG_ENGINE_H

#include <stdbool.h>
#include <stdio.h>
#include "aws.h"
#include "hg_error.h"
#include "program.h"
#include "state.h"

typedef enum eng_mode { ENG_UP, ENG_PREVIEW, ENG_DESTROY, ENG_REFRESH } eng_mode;

typedef struct eng_opts {
    eng_mode    mode;
    const char *dir;             /* project folder (-C/--cwd), default "." */
    const char *stack;           /* --stack, default from HANGAR_STACK / the only stack / "dev" */
    const char *org;             /* default "organization" */
    bool        refresh;         /* up --refresh: read back first, recreate what vanished */
    bool        json;            /* --json: machine-readable events on out */
    bool        show_secrets;    /* --show-secrets: secret outputs print their plaintext, not [secret] */
    int         parallel;        /* default 8 */
    const char *const *targets;  /* --target URNs (NULL-terminated) or NULL */
    FILE       *out;             /* where the report goes */
    const char *fingerprint;     /* recorded with the outputs after a successful up (for --all); NULL = none */
} eng_opts;

typedef struct eng_summary {
    int create, update, replace, remove, same, failed;
    double seconds;
    bool changed;                /* anything other than same */
} eng_summary;

/* Run one stack. Returns 0 on success, -1 with err set (and a partial
 * summary) otherwise. Takes and releases the stack's lock. */
int eng_run(state_db *db, aws_client *aws, const eng_opts *o, eng_summary *sum, hg_err *err);

/* Run every project below root (--all): order by stack references,
 * independent stacks in parallel, unchanged ones skipped, dependents of a
 * changed output re-run; destroy in reverse. */
int eng_run_all(state_db *db, aws_client *aws, const char *root, const eng_opts *o, hg_err *err);

#endif
