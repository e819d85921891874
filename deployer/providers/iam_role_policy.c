/*
 * iam_role_policy.c — aws:iam:RolePolicy: an inline policy of a role, id
 * "<role>:<name>": PutRolePolicy / GetRolePolicy / DeleteRolePolicy against
 * the emulator's IAM (only recorded when prov_iam_enabled() is false).
 */
#include "prov_internal.h"

#include <stdlib.h>
#include <string.h>

#define T "aws:iam:RolePolicy"

static const prov_prop props[] = {
    { "name", PROP_REPLACE },
    { "policy", PROP_REQUIRED },
    { "role", PROP_REQUIRED | PROP_REPLACE },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    if (prov_autoname_prop(ctx, olds, news, "name", 128, T, err) < 0) return -1;
    if (!prov_role_name(news) || !*prov_role_name(news))
        return hg_err_validation(err, T ": missing required property 'role'");
    const cJSON *doc = prov_get(news, "policy");
    if (!doc) return hg_err_validation(err, T ": missing required property 'policy'");
    if (prog_has_unknown(doc)) {
        /* not known until apply (a preview): checked then */
    } else if (cJSON_IsString(doc)) {
        cJSON *parsed = cJSON_Parse(doc->valuestring);
        bool ok = cJSON_IsObject(parsed);
        cJSON_Delete(parsed);
        if (!ok) return hg_err_validation(err, T ": property 'policy' is not a JSON policy document");
    } else if (!cJSON_IsObject(doc)) {
        return hg_err_validation(err, T ": property 'policy' must be a JSON policy document");
    }
    return 0;
}

static cJSON *outputs_of(const cJSON *in)
{
    cJSON *o = prov_outputs_base(in);
    char *id = prov_fmt("%s:%s", prov_role_name(in), prov_str(in, "name"));
    char *doc = prov_json_doc(in, "policy");
    prov_set_str(o, "id", id);
    prov_set_str(o, "role", prov_role_name(in));
    prov_set_str(o, "policy", doc);
    free(id);
    free(doc);
    return o;
}

static int put(prov_ctx *ctx, const cJSON *in, hg_err *err)
{
    if (!prov_iam_enabled()) return 0;
    char *doc = prov_json_doc(in, "policy");
    const char *params[] = { "RoleName", prov_role_name(in), "PolicyName", prov_str(in, "name"),
                             "PolicyDocument", doc, NULL };
    char *xml = NULL;
    int rc = aws_query_call(ctx->aws, "iam", "PutRolePolicy", "2010-05-08", params, &xml, err);
    free(doc);
    free(xml);
    return rc;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    if (put(ctx, in, err) < 0) return -1;
    *outputs = outputs_of(in);
    *id = strdup(prov_jstr(*outputs, "id"));
    return 0;
}

/* GetRolePolicy: 1 when the policy (or its role) is gone. */
static int read_policy(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    (void)id;
    *outputs = NULL;
    if (prov_iam_enabled()) {
        const char *params[] = { "RoleName", prov_role_name(in), "PolicyName", prov_str(in, "name"), NULL };
        char *xml = NULL;
        int rc = aws_query_call(ctx->aws, "iam", "GetRolePolicy", "2010-05-08", params, &xml, err);
        free(xml);
        if (rc < 0) {
            if (prov_not_found(err) || strcmp(err->code, "NoSuchEntity") == 0) {
                hg_err_clear(err);
                return 1;
            }
            return -1;
        }
    }
    *outputs = outputs_of(in);
    return 0;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    (void)id;
    (void)olds;
    *outputs = NULL;
    if (put(ctx, news, err) < 0) return -1;
    *outputs = outputs_of(news);
    return 0;
}

static int remove_policy(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)id;
    if (!prov_iam_enabled()) return 0;
    const char *params[] = { "RoleName", prov_role_name(in), "PolicyName", prov_str(in, "name"), NULL };
    char *xml = NULL;
    int rc = aws_query_call(ctx->aws, "iam", "DeleteRolePolicy", "2010-05-08", params, &xml, err);
    free(xml);
    if (rc < 0 && strcmp(err->code, "NoSuchEntity") == 0) { hg_err_clear(err); rc = 0; }
    return prov_gone_ok(rc, err);
}

const provider prov_iam_role_policy = {
    .type = "aws:iam:RolePolicy",
    .props = props,
    .check = check,
    .create = create,
    .read = read_policy,
    .update = update,
    .remove = remove_policy,
};
