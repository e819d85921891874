/*
 * iam.h — who is calling and what they may do: the identities of the
 * --iam file, IAM policy evaluation, the roles Lambda functions run as, and
 * the IAM/STS service (iam_service.c) that manages those roles.
 *
 * Identities are loaded once before the server starts and are read-only
 * after, so every thread reads them without a lock. Roles live in the store
 * (iam_store.c), so the IAM API and Lua handlers see the same ones.
 */
#ifndef HG_IAM_H
#define HG_IAM_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "hg_error.h"

/* ---- identities (identity.c) ---------------------------------------------------------------- */

typedef struct iam_user {
    char   *name;
    char   *arn;          /* arn:aws:iam::<account>:user/<name> */
    char   *user_id;      /* "AIDA" + 17 characters derived from the ARN, as AWS shapes it */
    cJSON  *policies;     /* array of policy documents; owned by the loaded set */
} iam_user;

/* Load the --iam FILE: {"users":[{"name","accessKeys":[{"accessKeyId","secretAccessKey"}],
 * "policies":[<policy document>...]}]}. account goes into the ARNs. Every
 * problem is named (file, user, field) in err. Call once before threads start. */
int  iam_identity_load(const char *path, const char *account, hg_err *err);
/* Same, from text already read (for tests). */
int  iam_identity_load_text(const char *text, const char *account, hg_err *err);
void iam_identity_free(void);
/* The user holding access_key, with its secret; NULL when unknown. Borrowed. */
const iam_user *iam_identity_find(const char *access_key, const char **secret);

/* ---- policy evaluation (policy.c) ----------------------------------------------------------- */

/* The request's context, for Condition keys and ${...} policy variables.
 * Any field may be NULL (the key is then absent from the request). */
typedef struct iam_context {
    const char *username;        /* aws:username */
    const char *userid;          /* aws:userid */
    const char *principal_arn;   /* aws:PrincipalArn */
    const char *account;         /* aws:PrincipalAccount */
    const char *region;          /* aws:RequestedRegion */
    const char *source_ip;       /* aws:SourceIp */
} iam_context;

typedef enum iam_decision {
    IAM_IMPLICIT_DENY = 0,       /* no statement allows: "because no identity-based policy allows" */
    IAM_ALLOW,
    IAM_EXPLICIT_DENY,           /* a Deny statement matched: it wins over every Allow */
} iam_decision;

/* Evaluate action (e.g. "dynamodb:PutItem") on resource (an ARN, or "*")
 * against every statement of every document in policies (a cJSON array of
 * documents, or one document). */
iam_decision iam_evaluate(const cJSON *policies, const char *action, const char *resource,
                          const iam_context *ctx);

/* Is doc a policy document IAM would accept? identity: Resource/NotResource
 * required and Principal refused. Fills err as IAM's MalformedPolicyDocument. */
int iam_policy_validate(const cJSON *doc, int identity, hg_err *err);

/* ---- roles, for Lambda execution (iam_role.c) ---------------------------------------------- */

/* May a function running as role_arn perform action on resource? 0 when
 * allowed; else -1 with AccessDeniedException naming the assumed-role ARN,
 * the action and the resource. function names the session (for the ARN). */
int iam_role_authorize(const char *role_arn, const char *function, const char *action,
                       const char *resource, const char *region, hg_err *err);

/* The managed policies AWS defines that we know: the document of arn, or
 * NULL. Borrowed, static. */
const char *iam_managed_policy(const char *arn);

#endif
