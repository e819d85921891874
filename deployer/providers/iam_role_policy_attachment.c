/*
 * iam_role_policy_attachment.c — aws:iam:RolePolicyAttachment: a managed
 * policy attached to a role; both inputs replace. AttachRolePolicy /
 * ListAttachedRolePolicies / DetachRolePolicy against the emulator's IAM
 * (only recorded when prov_iam_enabled() is false). The id is
 * "<role>-<7 hex>", as @pulumi/aws makes it.
 */
#include "prov_internal.h"

#include <stdlib.h>
#include <string.h>

#define T "aws:iam:RolePolicyAttachment"

static const prov_prop props[] = {
    { "policyArn", PROP_REQUIRED | PROP_REPLACE },
    { "role", PROP_REQUIRED | PROP_REPLACE },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    (void)ctx;
    (void)olds;
    if (!prov_role_name(news) || !*prov_role_name(news))
        return hg_err_validation(err, T ": missing required property 'role'");
    if (prov_check_string(news, "policyArn", true, T, err) < 0) return -1;
    if (strncmp(prov_str(news, "policyArn"), "arn:", 4) != 0)
        return hg_err_validation(err, T ": property 'policyArn' must be an ARN (got %s)", prov_str(news, "policyArn"));
    return 0;
}

static int call(prov_ctx *ctx, const char *action, const cJSON *in, hg_err *err)
{
    if (!prov_iam_enabled()) return 0;
    const char *params[] = { "RoleName", prov_role_name(in), "PolicyArn", prov_str(in, "policyArn"), NULL };
    char *xml = NULL;
    int rc = aws_query_call(ctx->aws, "iam", action, "2010-05-08", params, &xml, err);
    free(xml);
    return rc;
}

/* The outputs of an attachment: inputs, id and the role's name. */
static cJSON *outputs_of(const char *id, const cJSON *in)
{
    cJSON *o = prov_outputs_base(in);
    prov_set_str(o, "id", id);
    prov_set_str(o, "role", prov_role_name(in));
    return o;
}

/* Is the policy still attached? ListAttachedRolePolicies names each
 * attached ARN in a <PolicyArn> element; a gone role means not attached.
 * 0 attached, 1 not, -1 error. */
static int attached(prov_ctx *ctx, const cJSON *in, hg_err *err)
{
    const char *params[] = { "RoleName", prov_role_name(in), "MaxItems", "1000", NULL };
    char *xml = NULL;
    if (aws_query_call(ctx->aws, "iam", "ListAttachedRolePolicies", "2010-05-08", params, &xml, err) < 0) {
        if (prov_not_found(err) || strcmp(err->code, "NoSuchEntity") == 0) {
            hg_err_clear(err);
            return 1;
        }
        return -1;
    }
    char *want = prov_fmt("<PolicyArn>%s</PolicyArn>", prov_str(in, "policyArn"));
    int rc = want && strstr(xml, want) ? 0 : 1;
    free(want);
    free(xml);
    return rc;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    if (call(ctx, "AttachRolePolicy", in, err) < 0) return -1;
    *id = prov_autoname(prov_role_name(in));
    if (!*id) return hg_err_internal(err, "out of memory");
    *outputs = outputs_of(*id, in);
    return 0;
}

static int read_att(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    if (prov_iam_enabled()) {
        int rc = attached(ctx, in, err);
        if (rc != 0) return rc;
    }
    *outputs = outputs_of(id, in);
    return 0;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    /* both inputs replace: nothing to change in IAM */
    (void)ctx;
    (void)olds;
    (void)err;
    *outputs = outputs_of(id, news);
    return 0;
}

static int remove_att(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)id;
    int rc = call(ctx, "DetachRolePolicy", in, err);
    if (rc < 0 && strcmp(err->code, "NoSuchEntity") == 0) { hg_err_clear(err); rc = 0; }
    return prov_gone_ok(rc, err);
}

const provider prov_iam_role_policy_attachment = {
    .type = "aws:iam:RolePolicyAttachment",
    .props = props,
    .check = check,
    .create = create,
    .read = read_att,
    .update = update,
    .remove = remove_att,
};
