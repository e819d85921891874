/*
 * iam_store.h — IAM roles in SQLite, one JSON document per role:
 *   {"Role": {RoleName, Path, Arn, RoleId, CreateDate, AssumeRolePolicyDocument,
 *             Description, MaxSessionDuration},
 *    "Inline": {"<policy name>": <document>}, "Attached": ["<policy arn>", ...]}
 * Role names are unique without regard to case, as IAM's are.
 */
#ifndef HG_IAM_STORE_H
#define HG_IAM_STORE_H

#include "store.h"

/* The role's document (caller frees with free()); 1 when there is none. */
int iam_store_role_get(hg_store *s, const char *name, char **doc, hg_err *err);
/* Insert (create: 1 when the name is taken) or replace the document. */
int iam_store_role_put(hg_store *s, const char *name, const char *doc, int create, hg_err *err);
/* 1 when there was no such role. */
int iam_store_role_delete(hg_store *s, const char *name, hg_err *err);
/* Call visit with each role's document, in name order; visit returns nonzero to stop. */
int iam_store_role_each(hg_store *s, int (*visit)(void *ctx, const char *doc), void *ctx, hg_err *err);

#endif
