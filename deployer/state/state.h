/*
 * state.h — the deployer's state: SQLite at $HANGAR_HOME/state.db (default
 * ~/.hangar/state.db), one set of rows per stack "org/project/stack".
 *
 * Invariants:
 *   1. A resource row is written right after the step that made it true
 *      (create/update/replace) and removed right after its deletion, each in
 *      its own transaction, so a crash or kill leaves state that matches
 *      what exists, and the next `up` converges without orphans or duplicates.
 *      A create is first recorded as "pending" (type, name, inputs) before
 *      the API call, so a kill between the call and the record can be
 *      reconciled by reading back.
 *   2. One writer per stack: the lock row names pid, host and start time;
 *      a second `up` fails at once naming the holder; a lock whose pid is dead
 *      on this host is reported stale and can be cleared (stack unlock).
 * Ownership: returned structures are new; free with the matching _free.
 */
#ifndef HG_STATE_H
#define HG_STATE_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "hg_error.h"

typedef struct state_db state_db;

typedef struct state_res {
    char  *urn;        /* urn:pulumi:<stack>::<project>::<type>::<name> */
    char  *type, *name, *id;     /* id NULL while pending */
    cJSON *inputs, *outputs;
    char **deps; int ndeps;      /* URNs */
    bool   protect, retain_on_delete, pending;
} state_res;

typedef struct state_stack {
    char  *org, *project, *stack;
    state_res *res; int nres;
    cJSON *outputs;              /* stack outputs object */
    char  *fingerprint;          /* what --all compares to skip unchanged stacks (NULL if never deployed) */
    double updated;              /* epoch seconds of the last successful update */
} state_stack;

/* Open (creating) the state database; home NULL = $HANGAR_HOME or ~/.hangar. */
int  state_open(const char *home, state_db **out, hg_err *err);
void state_close(state_db *db);

/* 0 found, 1 no such stack. */
int  state_stack_get(state_db *db, const char *org, const char *project, const char *stack,
                     state_stack **out, hg_err *err);
int  state_stack_create(state_db *db, const char *org, const char *project, const char *stack, hg_err *err);
int  state_stack_remove(state_db *db, const char *org, const char *project, const char *stack, hg_err *err);
/* "org/project/stack" names, sorted. */
int  state_stack_list(state_db *db, char ***names, int *n, hg_err *err);
void state_stack_free(state_stack *s);

/* Per-step writes (each its own transaction; see invariant 1). */
int  state_res_put(state_db *db, const state_stack *s, const state_res *r, hg_err *err);
int  state_res_delete(state_db *db, const state_stack *s, const char *urn, hg_err *err);
int  state_stack_set_outputs(state_db *db, const state_stack *s, const cJSON *outputs,
                             const char *fingerprint, hg_err *err);

/* Locks (invariant 2). */
int  state_lock(state_db *db, const char *org, const char *project, const char *stack, hg_err *err);
void state_unlock(state_db *db, const char *org, const char *project, const char *stack);
/* Clear a lock: refuses a live holder unless force. */
int  state_force_unlock(state_db *db, const char *org, const char *project, const char *stack,
                        bool force, hg_err *err);

/* Secrets (see state.c): reads decrypt by default; off, they keep the
 * checkpoint form {sig, "ciphertext"} (what `stack ls`/`output` without
 * --show-secrets need: no passphrase asked). */
void state_set_reveal(state_db *db, bool reveal);
/* Decrypt, in place, every encrypted secret in v with the stack's key. */
int  state_unseal(state_db *db, const char *org, const char *project, const char *stack, cJSON *v, hg_err *err);

/* Pulumi v3 checkpoint JSON ({"version":3,"checkpoint":{"stack":...,"latest":{"manifest":...,
 * "resources":[{urn,custom,id,type,inputs,outputs,dependencies,protect}],"secrets_providers":...}}}).
 * Secrets stay encrypted in an export; an import keeps its secrets_providers salt. */
int  state_export(state_db *db, const char *org, const char *project, const char *stack, cJSON **out, hg_err *err);
int  state_import(state_db *db, const char *org, const char *project, const char *stack, const cJSON *checkpoint, hg_err *err);

#endif
