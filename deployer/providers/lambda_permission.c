/*
 * lambda_permission.c — aws:lambda:Permission: one statement of a function's
 * resource policy (AddPermission / GetPolicy / RemovePermission). Every
 * input change replaces the statement, as in @pulumi/aws; the id is the
 * statement id (auto-named like any Pulumi name unless given).
 */
#include "prov_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:lambda:Permission"

static const prov_prop props[] = {
    { "action", PROP_REQUIRED | PROP_REPLACE },
    { "eventSourceToken", PROP_REPLACE },
    { "function", PROP_REQUIRED | PROP_REPLACE },
    { "principal", PROP_REQUIRED | PROP_REPLACE },
    { "principalOrgId", PROP_REPLACE },
    { "qualifier", PROP_REPLACE },
    { "sourceAccount", PROP_REPLACE },
    { "sourceArn", PROP_REPLACE },
    { "statementId", PROP_REPLACE },
    { NULL, 0 },
};

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    if (prov_check_string(news, "action", true, T, err) < 0 ||
        prov_check_string(news, "principal", true, T, err) < 0 ||
        prov_check_string(news, "sourceArn", false, T, err) < 0 ||
        prov_check_string(news, "sourceAccount", false, T, err) < 0 ||
        prov_check_string(news, "qualifier", false, T, err) < 0 ||
        prov_check_string(news, "eventSourceToken", false, T, err) < 0 ||
        prov_check_string(news, "principalOrgId", false, T, err) < 0 ||
        prov_autoname_prop(ctx, olds, news, "statementId", 100, T, err) < 0)
        return -1;
    if (!prov_ref_id(news, "function"))
        return hg_err_validation(err, T ": missing required property 'function' (a function name or ARN)");
    return 0;
}

/* The function's name or ARN: a string, or a Function's outputs (its arn). */
static const char *function_of(const cJSON *in)
{
    const cJSON *v = prov_get(in, "function");
    if (cJSON_IsString(v)) return v->valuestring;
    const char *arn = cJSON_GetStringValue(prov_unwrap(cJSON_GetObjectItemCaseSensitive(v, "arn")));
    return arn ? arn : prov_ref_id(in, "function");
}

static char *policy_path(const cJSON *in, const char *sid)
{
    char *fn = aws_url_encode(function_of(in));
    char *s = sid ? aws_url_encode(sid) : NULL;
    char *p = fn && (!sid || s) ? prov_fmt("/2015-03-31/functions/%s/policy%s%s", fn, sid ? "/" : "", sid ? s : "")
                                : NULL;
    free(fn);
    free(s);
    return p;
}

static char *qualifier_query(const cJSON *in)
{
    const char *q = prov_str(in, "qualifier");
    if (!q) return NULL;
    char *enc = aws_url_encode(q);
    char *s = enc ? prov_fmt("Qualifier=%s", enc) : NULL;
    free(enc);
    return s;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    const char *sid = prov_str(in, "statementId");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "StatementId", sid);
    cJSON_AddStringToObject(b, "Action", prov_str(in, "action"));
    cJSON_AddStringToObject(b, "Principal", prov_str(in, "principal"));
    static const char *const opt[][2] = { { "sourceArn", "SourceArn" }, { "sourceAccount", "SourceAccount" },
                                          { "eventSourceToken", "EventSourceToken" },
                                          { "principalOrgId", "PrincipalOrgID" } };
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if (prov_str(in, opt[i][0])) cJSON_AddStringToObject(b, opt[i][1], prov_str(in, opt[i][0]));
    char *path = policy_path(in, NULL), *query = qualifier_query(in);
    int rc = path ? aws_rest_call(ctx->aws, "lambda", "POST", path, query, b, NULL, err)
                  : hg_err_internal(err, "out of memory");
    free(path);
    free(query);
    cJSON_Delete(b);
    if (rc < 0) return -1;
    *id = strdup(sid);
    *outputs = prov_outputs_base(in);
    prov_set_str(*outputs, "id", sid);
    return *id ? 0 : hg_err_internal(err, "out of memory");
}

static int read_perm(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    char *path = policy_path(in, NULL), *query = qualifier_query(in);
    cJSON *out = NULL;
    int rc = path ? aws_rest_call(ctx->aws, "lambda", "GET", path, query, NULL, &out, err)
                  : hg_err_internal(err, "out of memory");
    free(path);
    free(query);
    if (rc < 0) {
        if (prov_not_found(err)) { hg_err_clear(err); return 1; }
        return -1;
    }
    cJSON *policy = cJSON_Parse(prov_jstr(out, "Policy"));
    cJSON_Delete(out);
    const cJSON *stmts = cJSON_GetObjectItemCaseSensitive(policy, "Statement");
    bool found = false;
    for (const cJSON *s = stmts ? stmts->child : NULL; s; s = s->next)
        if (strcmp(prov_jstr(s, "Sid"), id) == 0) found = true;
    cJSON_Delete(policy);
    if (!found) return 1;
    *outputs = prov_outputs_base(in);
    prov_set_str(*outputs, "id", id);
    return 0;
}

/* Every input replaces, so the engine never asks for an in-place change of
 * what AWS holds; refresh the outputs only. */
static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    (void)ctx;
    (void)olds;
    (void)err;
    *outputs = prov_outputs_base(news);
    prov_set_str(*outputs, "id", id);
    return 0;
}

static int remove_perm(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    char *path = policy_path(in, id), *query = qualifier_query(in);
    int rc = path ? aws_rest_call(ctx->aws, "lambda", "DELETE", path, query, NULL, NULL, err)
                  : hg_err_internal(err, "out of memory");
    free(path);
    free(query);
    if (rc < 0 && prov_not_found(err)) {
        hg_err_clear(err);
        rc = 0;
    }
    return rc;
}

const provider prov_lambda_permission = {
    .type = "aws:lambda:Permission",
    .props = props,
    .check = check,
    .create = create,
    .read = read_perm,
    .update = update,
    .remove = remove_perm,
};
