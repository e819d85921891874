/*
 * iam_role.c — aws:iam:Role: CreateRole / GetRole / UpdateAssumeRolePolicy /
 * DeleteRole against the emulator's IAM. Inputs are checked (the trust
 * policy must be JSON), the name is auto-named, and the outputs (arn,
 * uniqueId, name, id) come from IAM's own response. With HANGAR_IAM=record (prov_iam_enabled()
 * false), roles are only recorded and the outputs derived as AWS shapes them.
 */
#include "prov_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#define T "aws:iam:Role"

static const prov_prop props[] = {
    { "assumeRolePolicy", PROP_REQUIRED },
    { "description", 0 },
    { "forceDetachPolicies", 0 },
    { "inlinePolicies", 0 },
    { "managedPolicyArns", 0 },
    { "maxSessionDuration", 0 },
    { "name", PROP_REPLACE },
    { "path", PROP_REPLACE },
    { "permissionsBoundary", 0 },
    { "tags", 0 },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    if (prov_autoname_prop(ctx, olds, news, "name", 64, T, err) < 0 ||
        prov_check_string(news, "description", false, T, err) < 0 ||
        prov_check_string(news, "path", false, T, err) < 0 ||
        prov_check_number(news, "maxSessionDuration", false, 3600, 43200, T, err) < 0 ||
        prov_check_array(news, "managedPolicyArns", T, err) < 0 ||
        prov_check_array(news, "inlinePolicies", T, err) < 0 ||
        prov_check_bool(news, "forceDetachPolicies", T, err) < 0 ||
        prov_check_string_map(news, "tags", T, err) < 0)
        return -1;
    const cJSON *doc = prov_get(news, "assumeRolePolicy");
    if (!doc) return hg_err_validation(err, T ": missing required property 'assumeRolePolicy'");
    if (prog_has_unknown(doc)) {
        /* not known until apply (a preview): checked then */
    } else if (cJSON_IsString(doc)) {
        cJSON *parsed = cJSON_Parse(doc->valuestring);
        bool ok = cJSON_IsObject(parsed);
        cJSON_Delete(parsed);
        if (!ok) return hg_err_validation(err, T ": property 'assumeRolePolicy' is not a JSON policy document");
    } else if (!cJSON_IsObject(doc)) {
        return hg_err_validation(err, T ": property 'assumeRolePolicy' must be a JSON policy document");
    }
    const char *path = prov_str(news, "path");
    if (path && (path[0] != '/' || path[strlen(path) - 1] != '/'))
        return hg_err_validation(err, T ": property 'path' must begin and end with '/' (got %s)", path);
    if (!path) prov_set_str(news, "path", "/");
    return 0;
}

/* Outputs: inputs plus what IAM assigned, read from the CreateRole/GetRole
 * response (xml). Without one (IAM calls off) the ARN and id are derived the
 * way AWS shapes them, so references still resolve. */
static cJSON *outputs_of(prov_ctx *ctx, const cJSON *in, const char *xml)
{
    cJSON *o = prov_outputs_base(in);
    char *name = prov_xml_text(xml, "RoleName");
    char *arn = prov_xml_text(xml, "Arn");
    char *unique = prov_xml_text(xml, "RoleId");
    if (!name) name = strdup(prov_str(in, "name"));
    if (!arn) {
        const char *path = prov_str(in, "path") ? prov_str(in, "path") : "/";
        arn = prov_fmt("arn:aws:iam::%s:role%s%s", prov_account(ctx), path, name ? name : "");
    }
    if (!unique && arn) {
        /* a stable unique id from the ARN: "AROA" + 17 characters, as AWS shapes it */
        unsigned char md[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)arn, strlen(arn), md);
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        unique = malloc(22);
        if (unique) {
            memcpy(unique, "AROA", 4);
            for (int i = 0; i < 17; i++) unique[4 + i] = alphabet[md[i] & 31];
            unique[21] = '\0';
        }
    }
    prov_set_str(o, "arn", arn);
    prov_set_str(o, "id", name);
    prov_set_str(o, "name", name);
    prov_set_str(o, "uniqueId", unique);
    char *doc = prov_json_doc(in, "assumeRolePolicy");
    prov_set_str(o, "assumeRolePolicy", doc);
    free(doc);
    free(arn);
    free(name);
    free(unique);
    return o;
}

/* GetRole: 0 with *xml (new), 1 when the role is gone, -1 on error. */
static int get_role(prov_ctx *ctx, const char *name, char **xml, hg_err *err)
{
    const char *params[] = { "RoleName", name, NULL };
    if (aws_query_call(ctx->aws, "iam", "GetRole", "2010-05-08", params, xml, err) == 0) return 0;
    if (prov_not_found(err) || strcmp(err->code, "NoSuchEntity") == 0) {
        hg_err_clear(err);
        return 1;
    }
    return -1;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    char *xml = NULL;
    if (prov_iam_enabled()) {
        char *doc = prov_json_doc(in, "assumeRolePolicy");
        const char *params[] = { "RoleName", prov_str(in, "name"), "AssumeRolePolicyDocument", doc,
                                 "Path", prov_str(in, "path"),
                                 prov_str(in, "description") ? "Description" : NULL, prov_str(in, "description"),
                                 NULL };
        int rc = aws_query_call(ctx->aws, "iam", "CreateRole", "2010-05-08", params, &xml, err);
        free(doc);
        if (rc < 0) return -1;
    }
    *outputs = outputs_of(ctx, in, xml);
    free(xml);
    *id = strdup(prov_jstr(*outputs, "id"));
    if (!*id) return hg_err_internal(err, "out of memory");
    return 0;
}

static int read_role(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    char *xml = NULL;
    if (prov_iam_enabled()) {
        int rc = get_role(ctx, id, &xml, err);
        if (rc != 0) return rc;
    }
    *outputs = outputs_of(ctx, in, xml);
    free(xml);
    return 0;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    *outputs = NULL;
    char *xml = NULL;
    if (prov_iam_enabled()) {
        if (prov_changed(olds, news, "assumeRolePolicy")) {
            char *doc = prov_json_doc(news, "assumeRolePolicy");
            const char *params[] = { "RoleName", id, "PolicyDocument", doc, NULL };
            int rc = aws_query_call(ctx->aws, "iam", "UpdateAssumeRolePolicy", "2010-05-08", params, &xml, err);
            free(doc);
            free(xml);
            xml = NULL;
            if (rc < 0) return -1;
        }
        int rc = get_role(ctx, id, &xml, err);
        if (rc < 0) return -1;
        if (rc == 1) return hg_err_set(err, 404, "NoSuchEntity", T ": role %s no longer exists", id);
    }
    *outputs = outputs_of(ctx, news, xml);
    free(xml);
    return 0;
}

static int remove_role(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)in;
    if (!prov_iam_enabled()) return 0;
    const char *params[] = { "RoleName", id, NULL };
    char *xml = NULL;
    int rc = aws_query_call(ctx->aws, "iam", "DeleteRole", "2010-05-08", params, &xml, err);
    free(xml);
    if (rc < 0 && strcmp(err->code, "NoSuchEntity") == 0) { hg_err_clear(err); rc = 0; }
    return prov_gone_ok(rc, err);
}

const provider prov_iam_role = {
    .type = "aws:iam:Role",
    .props = props,
    .check = check,
    .create = create,
    .read = read_role,
    .update = update,
    .remove = remove_role,
};
