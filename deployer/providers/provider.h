/*
 * provider.h — one resource type per file behind one vtable.
 *
 * A provider turns inputs (the evaluated properties, named as @pulumi/aws
 * names them) into real AWS resources through aws.h, and back. The engine
 * decides what to do (create / update / replace / delete / same) from the
 * diff of old and new inputs and each property's rule; providers only act.
 *
 * Outputs are the inputs plus what AWS assigned, named as @pulumi/aws names
 * them (arn, name, invokeArn, rootResourceId, executionArn, invokeUrl, ...).
 * Ownership: inputs are borrowed; *outputs and *id are new (caller frees).
 */
#ifndef HG_PROVIDER_H
#define HG_PROVIDER_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "aws.h"
#include "hg_error.h"

typedef struct prov_ctx {
    aws_client *aws;
    const char *region;
    const char *account_id;      /* from STS GetCallerIdentity when available, else 000000000000 */
    const char *project, *stack;
    const char *logical_name;    /* the resource's name in the program */
    const char *project_dir;     /* for relative fn::fileArchive paths */
} prov_ctx;

enum {
    PROP_REPLACE   = 1 << 0,     /* a change forces replacement (e.g. Table hashKey) */
    PROP_REQUIRED  = 1 << 1,
    PROP_SECRET    = 1 << 2,
};

typedef struct prov_prop {
    const char *name;            /* input property, e.g. "hashKey" */
    unsigned    flags;
} prov_prop;

typedef struct provider {
    const char *type;            /* "aws:dynamodb:Table" */
    const prov_prop *props;      /* every input it accepts, terminated by {NULL, 0} */
    /* Validate and complete inputs in place: defaults, and auto-naming
     * (logical name + "-" + 7 hex) of the name property unless given — when
     * olds (the previous inputs) carry an auto-name, keep it. Unknown
     * properties are rejected by the engine from props before this. */
    int (*check)(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err);
    int (*create)(prov_ctx *ctx, const cJSON *inputs, char **id, cJSON **outputs, hg_err *err);
    /* Read back: 0 with *outputs, 1 when the resource no longer exists. */
    int (*read)(prov_ctx *ctx, const char *id, const cJSON *inputs, cJSON **outputs, hg_err *err);
    int (*update)(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news,
                  cJSON **outputs, hg_err *err);
    /* Deleting something already gone succeeds. */
    int (*remove)(prov_ctx *ctx, const char *id, const cJSON *inputs, hg_err *err);
} provider;

/* The provider table (providers/registry.c), sorted by type. */
const provider *prov_find(const char *type);
/* NULL-terminated list of supported types (for prog_load). */
const char *const *prov_types(void);

/* Shared helpers (providers/common.c). */
/* name + "-" + 7 random lowercase hex, as Pulumi auto-names. New string. */
char *prov_autoname(const char *logical);
/* Zip a folder deterministically (sorted entries, fixed timestamps and
 * permissions) so the same files always give the same bytes and CodeSha256.
 * *zip is malloc'd. */
int prov_zip_dir(const char *dir, void **zip, size_t *len, hg_err *err);

#endif
