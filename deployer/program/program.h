/*
 * program.h — Pulumi YAML programs: loading, configuration, expressions.
 *
 * Files read (the real Pulumi formats): Pulumi.yaml (name, runtime: yaml,
 * description, config, variables, resources, outputs; `main:` or a Main.yaml
 * beside it may hold the program), and Pulumi.<stack>.yaml (config:
 * "<project>:<key>" and other namespaces such as "aws:region").
 *
 * Values are cJSON, with Pulumi's checkpoint conventions for special values
 * so that state exports as a Pulumi v3 checkpoint unchanged:
 *   unknown (not known until apply): the string PROG_UNKNOWN
 *   secret:  {"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","value":V}
 *   asset:   {"4dabf18193072939515e22adb298388d":"c44067f5952c0a294b673a41bacd8c17","path"|"text":...}
 *   archive: {"4dabf18193072939515e22adb298388d":"0def7320c3a5731c473e5ecbe6d01bc7","path"|"assets":...}
 *
 * Errors name the file, line and the offending name:
 *   "Pulumi.yaml:14:7: resource 'api' refers to undefined resource 'tabel'".
 * Ownership: prog_project_free frees a project and every node in it.
 */
#ifndef HG_PROGRAM_H
#define HG_PROGRAM_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "hg_error.h"

#define PROG_UNKNOWN "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
#define PROG_SIG_KEY "4dabf18193072939515e22adb298388d"
#define PROG_SIG_SECRET "1b47061264138c4ac30d75fd1eb44270"
#define PROG_SIG_ASSET "c44067f5952c0a294b673a41bacd8c17"
#define PROG_SIG_ARCHIVE "0def7320c3a5731c473e5ecbe6d01bc7"

/* ---- YAML with positions -------------------------------------------------- */

typedef enum prog_node_kind { PN_SCALAR, PN_SEQ, PN_MAP } prog_node_kind;

typedef struct prog_node {
    prog_node_kind kind;
    const char *file;             /* borrowed from the project */
    int line, col;                /* 1-based */
    char *scalar;                 /* PN_SCALAR: text */
    bool quoted;                  /* PN_SCALAR: was quoted (a string, never a number/bool) */
    int n;                        /* PN_SEQ/PN_MAP: items */
    struct prog_node **items;     /* PN_SEQ: values; PN_MAP: values */
    char **keys;                  /* PN_MAP: keys */
} prog_node;

/* Parse a YAML file into nodes; syntax errors carry file:line:col. */
int  prog_yaml_load(const char *path, prog_node **out, hg_err *err);
void prog_node_free(prog_node *n);
const prog_node *prog_map_get(const prog_node *map, const char *key);
/* A plain (untyped) conversion of a node to cJSON: scalars become numbers,
 * bools, null or strings as YAML's core schema says (quoted stay strings). */
cJSON *prog_node_to_json(const prog_node *n);

/* ---- projects --------------------------------------------------------------- */

typedef struct prog_resource {
    const char *name;             /* logical name (key under resources:) */
    const char *type;             /* "aws:dynamodb:Table", "pulumi:pulumi:StackReference" */
    const prog_node *node;        /* the resource's map (for positions) */
    const prog_node *properties;  /* may be NULL */
    const prog_node *options;     /* may be NULL */
    /* resolved options */
    char **depends_on;  int ndepends_on;     /* explicit dependsOn */
    char **deps;        int ndeps;           /* every resource it needs: references + dependsOn */
    bool protect, retain_on_delete, delete_before_replace;
    char **ignore_changes; int nignore_changes;
    char **replace_on_changes; int nreplace_on_changes;
    const char *stack_reference;  /* StackReference: the literal name if constant, else NULL */
} prog_resource;

typedef struct prog_project {
    char *dir;                    /* the project folder (absolute) */
    char *file;                   /* path of Pulumi.yaml */
    char *name, *description;
    char *stack;                  /* the stack being loaded */
    char *stack_file;             /* path of Pulumi.<stack>.yaml (may not exist) */
    prog_node *root;              /* Pulumi.yaml (owned) */
    prog_node *main_root;         /* Main.yaml when used (owned), else NULL */
    prog_node *stack_root;        /* Pulumi.<stack>.yaml (owned), or NULL */
    const prog_node *config_schema, *variables, *resources_node, *outputs;
    prog_resource *resources; int nresources;   /* in topological order (dependencies first) */
    cJSON *config;                /* resolved config: {"<project>:key": value, "aws:region": ...} (owned) */
} prog_project;

/* Load the project in dir for stack: parse files, resolve config (types,
 * defaults, required keys — a missing one names the key and the file to put
 * it in), find every resource's dependencies from its references and
 * dependsOn, order them, and reject unknown resource types (types is the
 * NULL-terminated list the providers support plus StackReference), unknown
 * references and cycles — all before anything is touched. */
int  prog_load(const char *dir, const char *stack, const char *const *types, prog_project **out, hg_err *err);
void prog_project_free(prog_project *p);
/* Names of the stack references a project makes (resolved names like
 * "organization/core-infrastructure/dev"), for --all ordering. New array of
 * new strings; *n set. Unresolvable (computed) names are an error. */
int  prog_stack_references(prog_project *p, char ***names, int *n, hg_err *err);

/* ---- evaluation ----------------------------------------------------------- */

typedef struct prog_env prog_env;
/* Resolve fn::invoke (aws:index:getCallerIdentity, aws:index:getRegion, ...). */
typedef int (*prog_invoke_fn)(void *ud, const char *token, const cJSON *args, cJSON **out, hg_err *err);

struct prog_env {
    prog_project *project;
    const char   *organization;   /* default "organization" */
    cJSON        *resources;      /* name -> outputs object ({"id":..., ...}); borrowed; PROG_UNKNOWN allowed */
    cJSON        *variables;      /* evaluated variables cache (owned by the env; init NULL) */
    prog_invoke_fn invoke; void *invoke_ud;
    bool          preview;        /* unknowns allowed (outputs of resources not yet created) */
};

/* Evaluate a node: ${...} interpolation (${res.prop}, ${res.prop[0]["k"]},
 * ${variable}, ${config key}, ${aws:region}, ${pulumi.stack|project|organization|cwd},
 * $$ escaping; a whole-string ${...} keeps its type), and the built-ins
 * fn::join, fn::split, fn::select, fn::toJSON, fn::toBase64, fn::fromBase64,
 * fn::readFile, fn::fileArchive, fn::fileAsset, fn::stringAsset,
 * fn::assetArchive, fn::secret, fn::invoke. New value in *out. */
int  prog_eval(prog_env *env, const prog_node *n, cJSON **out, hg_err *err);
/* Evaluate a resource's properties into an inputs object (new). */
int  prog_eval_inputs(prog_env *env, const prog_resource *r, cJSON **out, hg_err *err);
/* Evaluate the outputs: section (new object). */
int  prog_eval_outputs(prog_env *env, cJSON **out, hg_err *err);
void prog_env_release(prog_env *env);

/* Does v contain an unknown anywhere? Is v a secret/asset/archive? */
bool prog_has_unknown(const cJSON *v);
bool prog_is_sig(const cJSON *v, const char *sig);

#endif
