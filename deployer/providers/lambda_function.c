/*
 * lambda_function.c — aws:lambda:Function over Lambda's REST API.
 *
 * The code is a zip made deterministically from the program's archive, so
 * its sha256 only moves when the files do: update sends UpdateFunctionCode
 * only when that hash differs from the deployed CodeSha256, and
 * UpdateFunctionConfiguration only when a configuration input changed.
 * A new name replaces the function.
 */
#include "prov_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:lambda:Function"
#define FN_PATH "/2015-03-31/functions"

static const prov_prop props[] = {
    { "architectures", 0 },
    { "code", 0 },
    { "description", 0 },
    { "environment", 0 },
    { "handler", 0 },
    { "memorySize", 0 },
    { "name", PROP_REPLACE },
    { "publish", 0 },
    { "role", PROP_REQUIRED },
    { "runtime", 0 },
    { "sourceCodeHash", 0 },
    { "tags", 0 },
    { "timeout", 0 },
    { NULL, 0 },
};

static int zip_code(prov_ctx *ctx, const cJSON *in, char **b64, char sha[45], hg_err *err);

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    if (prov_autoname_prop(ctx, olds, news, "name", 64, T, err) < 0 ||
        prov_check_string(news, "role", true, T, err) < 0 ||
        prov_check_string(news, "runtime", false, T, err) < 0 ||
        prov_check_string(news, "handler", false, T, err) < 0 ||
        prov_check_string(news, "description", false, T, err) < 0 ||
        prov_check_number(news, "timeout", false, 1, 900, T, err) < 0 ||
        prov_check_number(news, "memorySize", false, 128, 10240, T, err) < 0 ||
        prov_check_object(news, "environment", T, err) < 0 ||
        prov_check_string_map(news, "tags", T, err) < 0 ||
        prov_check_bool(news, "publish", T, err) < 0 ||
        prov_check_array(news, "architectures", T, err) < 0)
        return -1;
    const cJSON *env = prov_get(news, "environment");
    if (env && prov_check_string_map(env, "variables", T " environment", err) < 0) return -1;
    const cJSON *code = prov_get(news, "code");
    if (!code) return hg_err_validation(err, T ": missing required property 'code' (fn::fileArchive of a folder)");
    if (!cJSON_IsString(code) && !prov_sig_is(code, PROG_SIG_ARCHIVE))
        return hg_err_validation(err, T ": property 'code' must be an archive (fn::fileArchive or fn::assetArchive)");
    const cJSON *arch = prov_get(news, "architectures");
    for (const cJSON *a = arch ? arch->child : NULL; a; a = a->next)
        if (!cJSON_IsString(a) || (strcmp(a->valuestring, "x86_64") != 0 && strcmp(a->valuestring, "arm64") != 0))
            return hg_err_validation(err, T ": property 'architectures' must list x86_64 or arm64");
    /* The archive's inputs are only its path, so edited files would look
     * unchanged to the differ: as @pulumi/aws does, sourceCodeHash (unless
     * the program sets it) is the hash of the code, and an edit becomes an
     * update. An archive that cannot be zipped yet is left for create to report. */
    if (!prov_get(news, "sourceCodeHash") && !prog_has_unknown(code)) {
        char *b64 = NULL, sha[45];
        hg_err ignored = {0};
        if (zip_code(ctx, news, &b64, sha, &ignored) == 0) prov_set_str(news, "sourceCodeHash", sha);
        free(b64);
    }
    return 0;
}

static char *fn_path(const char *name, const char *suffix)
{
    char *enc = aws_url_encode(name);
    char *p = enc ? prov_fmt(FN_PATH "/%s%s", enc, suffix) : NULL;
    free(enc);
    return p;
}

/* The configuration members shared by Create and UpdateFunctionConfiguration. */
static void add_config(cJSON *b, const cJSON *in)
{
    cJSON_AddStringToObject(b, "Role", prov_str(in, "role"));
    if (prov_str(in, "runtime")) cJSON_AddStringToObject(b, "Runtime", prov_str(in, "runtime"));
    if (prov_str(in, "handler")) cJSON_AddStringToObject(b, "Handler", prov_str(in, "handler"));
    cJSON_AddStringToObject(b, "Description", prov_str(in, "description") ? prov_str(in, "description") : "");
    cJSON_AddNumberToObject(b, "Timeout", prov_num(in, "timeout", 3));
    cJSON_AddNumberToObject(b, "MemorySize", prov_num(in, "memorySize", 128));
    const cJSON *vars = prov_get(prov_get(in, "environment"), "variables");
    cJSON *env = cJSON_AddObjectToObject(b, "Environment");
    cJSON *v = cJSON_AddObjectToObject(env, "Variables");
    for (const cJSON *e = vars ? vars->child : NULL; e; e = e->next) {
        const char *s = cJSON_GetStringValue(prov_unwrap(e));
        cJSON_AddStringToObject(v, e->string, s ? s : "");
    }
}

/* Outputs from a FunctionConfiguration. */
static cJSON *outputs_from(prov_ctx *ctx, const cJSON *in, const cJSON *conf)
{
    cJSON *o = prov_outputs_base(in);
    const char *arn = prov_jstr(conf, "FunctionArn"), *version = prov_jstr(conf, "Version");
    prov_set_str(o, "arn", arn);
    prov_set_str(o, "name", prov_jstr(conf, "FunctionName"));
    prov_set_str(o, "id", prov_jstr(conf, "FunctionName"));
    char *invoke = prov_fmt("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations",
                            prov_region(ctx), arn);
    char *qualified = prov_fmt("%s:%s", arn, version);
    prov_set_str(o, "invokeArn", invoke);
    prov_set_str(o, "qualifiedArn", qualified);
    char *qinvoke = prov_fmt("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations",
                             prov_region(ctx), qualified ? qualified : "");
    prov_set_str(o, "qualifiedInvokeArn", qinvoke);
    free(invoke);
    free(qualified);
    free(qinvoke);
    prov_set_str(o, "version", version);
    prov_set_str(o, "sourceCodeHash", prov_jstr(conf, "CodeSha256"));
    prov_set_str(o, "codeSha256", prov_jstr(conf, "CodeSha256"));
    prov_set_num(o, "sourceCodeSize", cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(conf, "CodeSize"))
                                          ? cJSON_GetObjectItemCaseSensitive(conf, "CodeSize")->valuedouble : 0);
    prov_set_str(o, "lastModified", prov_jstr(conf, "LastModified"));
    if (!prov_get(in, "runtime")) prov_copy(o, "runtime", conf, "Runtime");
    if (!prov_get(in, "handler")) prov_copy(o, "handler", conf, "Handler");
    if (!prov_get(in, "timeout")) prov_copy(o, "timeout", conf, "Timeout");
    if (!prov_get(in, "memorySize")) prov_copy(o, "memorySize", conf, "MemorySize");
    return o;
}

static int get_config(prov_ctx *ctx, const char *name, cJSON **conf, hg_err *err)
{
    char *path = fn_path(name, "");
    if (!path) return hg_err_internal(err, "out of memory");
    cJSON *out = NULL;
    int rc = aws_rest_call(ctx->aws, "lambda", "GET", path, NULL, NULL, &out, err);
    free(path);
    if (rc < 0) return -1;
    *conf = cJSON_DetachItemFromObjectCaseSensitive(out, "Configuration");
    cJSON_Delete(out);
    if (!*conf) return hg_err_set(err, 502, "InvalidResponse", "GetFunction %s: no Configuration", name);
    return 0;
}

static int zip_code(prov_ctx *ctx, const cJSON *in, char **b64, char sha[45], hg_err *err)
{
    void *zip = NULL;
    size_t len = 0;
    if (prov_code_zip(ctx, prov_get(in, "code"), &zip, &len, err) < 0) return -1;
    prov_sha256_b64(zip, len, sha);
    *b64 = prov_base64(zip, len);
    free(zip);
    return *b64 ? 0 : hg_err_internal(err, "out of memory");
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    char *b64 = NULL, sha[45];
    if (zip_code(ctx, in, &b64, sha, err) < 0) return -1;
    const char *name = prov_str(in, "name");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "FunctionName", name);
    add_config(b, in);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(b, "Code"), "ZipFile", b64);
    free(b64);
    cJSON_AddBoolToObject(b, "Publish", prov_bool(in, "publish", false));
    cJSON_AddStringToObject(b, "PackageType", "Zip");
    const cJSON *arch = prov_get(in, "architectures");
    if (arch) cJSON_AddItemToObject(b, "Architectures", cJSON_Duplicate(arch, 1));
    const cJSON *tags = prov_get(in, "tags");
    if (tags && tags->child) cJSON_AddItemToObject(b, "Tags", prov_outputs_base(tags));
    cJSON *conf = NULL;
    int rc = aws_rest_call(ctx->aws, "lambda", "POST", FN_PATH, NULL, b, &conf, err);
    cJSON_Delete(b);
    if (rc < 0) return -1;
    *id = strdup(name);
    *outputs = outputs_from(ctx, in, conf);
    cJSON_Delete(conf);
    return *id && *outputs ? 0 : hg_err_internal(err, "out of memory");
}

static int read_fn(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    cJSON *conf = NULL;
    if (get_config(ctx, id, &conf, err) < 0) {
        if (prov_not_found(err)) { hg_err_clear(err); return 1; }
        return -1;
    }
    *outputs = outputs_from(ctx, in, conf);
    cJSON_Delete(conf);
    return 0;
}

static bool config_changed(const cJSON *olds, const cJSON *news)
{
    static const char *const names[] = { "role", "runtime", "handler", "description", "timeout", "memorySize",
                                         "environment", NULL };
    for (int i = 0; names[i]; i++)
        if (prov_changed(olds, news, names[i])) return true;
    return false;
}

static int update_tags(prov_ctx *ctx, const char *arn, const cJSON *olds, const cJSON *news, hg_err *err)
{
    char *enc = aws_url_encode(arn);
    char *path = enc ? prov_fmt("/2017-03-31/tags/%s", enc) : NULL;
    free(enc);
    if (!path) return hg_err_internal(err, "out of memory");
    const cJSON *ot = prov_get(olds, "tags"), *nt = prov_get(news, "tags");
    int rc = 0;
    char *query = NULL;
    for (const cJSON *t = ot ? ot->child : NULL; t; t = t->next) {
        if (cJSON_GetObjectItemCaseSensitive(nt, t->string)) continue;
        char *k = aws_url_encode(t->string);
        char *q = k ? prov_fmt("%s%stagKeys=%s", query ? query : "", query ? "&" : "", k) : NULL;
        free(k);
        free(query);
        query = q;
        if (!query) { free(path); return hg_err_internal(err, "out of memory"); }
    }
    if (query) rc = aws_rest_call(ctx->aws, "lambda", "DELETE", path, query, NULL, NULL, err);
    free(query);
    if (rc == 0 && nt && nt->child) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddItemToObject(b, "Tags", prov_outputs_base(nt));
        rc = aws_rest_call(ctx->aws, "lambda", "POST", path, NULL, b, NULL, err);
        cJSON_Delete(b);
    }
    free(path);
    return rc;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    *outputs = NULL;
    cJSON *conf = NULL;
    if (get_config(ctx, id, &conf, err) < 0) return -1;
    char *b64 = NULL, sha[45];
    int rc = zip_code(ctx, news, &b64, sha, err);
    if (rc == 0 && strcmp(sha, prov_jstr(conf, "CodeSha256")) != 0) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "ZipFile", b64);
        cJSON_AddBoolToObject(b, "Publish", prov_bool(news, "publish", false));
        const cJSON *arch = prov_get(news, "architectures");
        if (arch) cJSON_AddItemToObject(b, "Architectures", cJSON_Duplicate(arch, 1));
        char *path = fn_path(id, "/code");
        rc = path ? aws_rest_call(ctx->aws, "lambda", "PUT", path, NULL, b, NULL, err)
                  : hg_err_internal(err, "out of memory");
        free(path);
        cJSON_Delete(b);
    }
    free(b64);
    if (rc == 0 && config_changed(olds, news)) {
        cJSON *b = cJSON_CreateObject();
        add_config(b, news);
        char *path = fn_path(id, "/configuration");
        rc = path ? aws_rest_call(ctx->aws, "lambda", "PUT", path, NULL, b, NULL, err)
                  : hg_err_internal(err, "out of memory");
        free(path);
        cJSON_Delete(b);
    }
    if (rc == 0 && prov_changed(olds, news, "tags"))
        rc = update_tags(ctx, prov_jstr(conf, "FunctionArn"), olds, news, err);
    cJSON_Delete(conf);
    conf = NULL;
    if (rc == 0) rc = get_config(ctx, id, &conf, err);
    if (rc == 0) *outputs = outputs_from(ctx, news, conf);
    cJSON_Delete(conf);
    return rc;
}

static int remove_fn(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)in;
    char *path = fn_path(id, "");
    if (!path) return hg_err_internal(err, "out of memory");
    int rc = aws_rest_call(ctx->aws, "lambda", "DELETE", path, NULL, NULL, NULL, err);
    free(path);
    if (rc < 0 && prov_not_found(err)) {
        hg_err_clear(err);
        rc = 0;
    }
    return rc;
}

const provider prov_lambda_function = {
    .type = "aws:lambda:Function",
    .props = props,
    .check = check,
    .create = create,
    .read = read_fn,
    .update = update,
    .remove = remove_fn,
};
