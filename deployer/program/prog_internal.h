/*
 * prog_internal.h — what the files of deployer/program/ share and nobody
 * else needs: limits, the reference scanner the graph and the evaluator both
 * use, and the graph pass project.c runs after config is resolved.
 */
#ifndef HG_PROG_INTERNAL_H
#define HG_PROG_INTERNAL_H

#include <stddef.h>
#include "program.h"

/* Limits, each with its reason. */
#define PROG_YAML_MAX_BYTES  (8u << 20)   /* a program is text a person wrote */
#define PROG_YAML_MAX_DEPTH  64           /* nesting beyond this is a mistake or an attack */
#define PROG_YAML_MAX_NODES  200000       /* bounds alias expansion ("billion laughs") */
#define PROG_READFILE_MAX    (16u << 20)  /* fn::readFile result kept in memory */
#define PROG_EXPR_MAX_STEPS  64           /* accessors in one ${...} */

/* One parsed ${...} reference: root name and the accessors after it. */
typedef enum prog_step_kind { PS_PROP, PS_INDEX, PS_KEY } prog_step_kind;
typedef struct prog_step {
    prog_step_kind kind;
    char *name;        /* PS_PROP / PS_KEY (owned) */
    long  index;       /* PS_INDEX */
} prog_step;
typedef struct prog_ref {
    char *root;                       /* owned; "pulumi", "res", "aws:region" */
    prog_step steps[PROG_EXPR_MAX_STEPS];
    int nsteps;
} prog_ref;

void prog_ref_release(prog_ref *r);
/* Parse the text between "${" and "}" (len bytes). On error fills err with
 * a message without position (the caller prefixes file:line:col). */
int  prog_ref_parse(const char *s, size_t len, prog_ref *out, hg_err *err);

/* Walk the interpolations of a string: calls fn for every ${...} with its
 * parsed reference; stops at the first callback returning -1. $$ escapes.
 * Unterminated "${" is an error. */
typedef int (*prog_ref_fn)(void *ud, const prog_ref *ref, hg_err *err);
int  prog_scan_refs(const char *s, prog_ref_fn fn, void *ud, hg_err *err);

/* "file:line:col: " prefix for messages about node n (empty if n is NULL). */
int  prog_err_at(hg_err *err, const prog_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* graph.c: parse options, find dependencies, order resources, check types
 * and references. Fills p->resources (in topological order). */
int  prog_graph_build(prog_project *p, const char *const *types, hg_err *err);
/* The names in scope for a project (is this root a resource / variable?). */
int  prog_resource_index(const prog_project *p, const char *name);
const prog_node *prog_variable_node(const prog_project *p, const char *name);
/* The config value a root name refers to (borrowed from p->config), or NULL. */
const cJSON *prog_config_lookup(const prog_project *p, const char *name);

/* Base64 (standard alphabet, padded). New strings; NULL on bad input. */
char *prog_b64_encode(const unsigned char *p, size_t n);
unsigned char *prog_b64_decode(const char *s, size_t *n);

#endif
