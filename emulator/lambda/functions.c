/*
 * functions.c — Lambda's control plane: Create/Get/List/Update/Delete,
 * permissions (AddPermission/RemovePermission/GetPolicy), tags, reserved
 * concurrency.
 *
 * Invariants:
 *   1. The stored FunctionConfiguration is exactly what
 *      GetFunctionConfiguration returns; every change to it (code,
 *      configuration, policy) gets a new RevisionId, and code or
 *      configuration changes a new LastModified.
 *   2. A change that reads before it writes (RevisionId preconditions,
 *      statement ids, tag limits) runs inside one store write transaction,
 *      so two clients cannot both pass the same check.
 *   3. Once a change that affects invocation (code, configuration, deletion)
 *      is committed, the function's warm environments are forgotten, so the
 *      next invoke runs the new code under the new settings.
 *   4. Validation runs before anything is stored, in the order AWS reports:
 *      shape constraints (ValidationException, "1 validation error
 *      detected: ...") before semantic ones (InvalidParameterValueException).
 *
 * Code: Code.ZipFile is unpacked once with hlua_bundle_from_zip only to
 * refuse a bad archive at upload time; the zip bytes are stored and the
 * invoke path unpacks them again. CodeSha256 is base64(SHA-256(zip)),
 * CodeSize the zip's length. Hot reload (Code.S3Bucket "hot-reload",
 * S3Key an absolute folder, as LocalStack users know it) stores only the
 * folder; its CodeSha256 is base64(SHA-256(folder path)) — stable while the
 * folder is the same one, since its contents change under us by design —
 * and CodeSize is 0.
 */
#include "lambda_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "auth.h"
#include "hg_crypto.h"
#include "hg_json.h"
#include "hg_uuid.h"
#include "hlua.h"
#include "lambda_store.h"

#define HOT_RELOAD_BUCKET "hot-reload"
#define ENV_VARS_MAX      4096    /* Environment.Variables, measured as JSON text */
#define MAX_TAGS          50
#define MAX_LIST_ITEMS    10000
#define DEFAULT_LIST_ITEMS 50
#define MAX_ZIP_BYTES     (50u * 1024 * 1024)   /* direct upload limit */
#define ROLE_PATTERN      "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"

/* ---- small helpers ----------------------------------------------------- */

static int invalid_param(hg_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid_param(hg_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = hg_err_setv(err, 400, "InvalidParameterValueException", fmt, ap);
    va_end(ap);
    return rc;
}

static int fn_not_found(const char *region, const char *name, const char *qualifier, hg_err *err)
{
    char arn[256];
    lambda_fn_arn(region, name, arn, sizeof arn);
    return hg_err_set(err, 404, "ResourceNotFoundException", "Function not found: %s%s%s",
                      arn, qualifier && *qualifier ? ":" : "", qualifier ? qualifier : "");
}

/* "2026-11-28T08:00:00.000+0000", as Lambda writes LastModified. */
static void now_iso(char buf[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, 32, "%.19s.%03d+0000", base, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void sha256_b64(const void *p, size_t n, char out[45])
{
    unsigned char d[HG_SHA256_LEN];
    hg_sha256(p, n, d);
    hg_base64_encode((unsigned char *)out, d, sizeof d);
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Strict base64 (padding required). *out malloc'd, caller frees. */
static int b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
    if (n % 4 != 0) return -1;
    unsigned char *buf = malloc(n / 4 * 3 + 1);
    if (!buf) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            int c = (unsigned char)s[i + (size_t)k];
            if (c == '=' && i + 4 == n && k >= 2) { v[k] = 0; pad++; continue; }
            if (pad || (v[k] = b64val(c)) < 0) { free(buf); return -1; }
        }
        unsigned x = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        buf[o++] = (unsigned char)(x >> 16);
        if (pad < 2) buf[o++] = (unsigned char)(x >> 8);
        if (pad < 1) buf[o++] = (unsigned char)x;
    }
    *out = buf;
    *outlen = o;
    return 0;
}

static int name_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int all_chars(const char *s, int (*ok)(int))
{
    for (; *s; s++)
        if (!ok((unsigned char)*s)) return 0;
    return 1;
}

static int digit(int c) { return c >= '0' && c <= '9'; }
static int role_char(int c) { return name_char(c) || (c && strchr("+=,.@/", c)); }
static int env_key_char(int c) { return name_char(c) && c != '-'; }
static int not_space(int c) { return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v'; }

/* arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+ */
static int role_ok(const char *r)
{
    if (strncmp(r, "arn:", 4) != 0) return 0;
    r += 4;
    if (strncmp(r, "aws", 3) == 0) {
        r += 3;
        while ((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z') || *r == '-') r++;
    }
    if (strncmp(r, ":iam::", 6) != 0) return 0;
    r += 6;
    for (int i = 0; i < 12; i++, r++)
        if (!digit((unsigned char)*r)) return 0;
    if (strncmp(r, ":role", 5) != 0) return 0;
    r += 5;
    if (*r == '/') r++;
    return *r && all_chars(r, role_char);
}

static int validation(hg_err *err, const char *value, const char *field, const char *constraint)
{
    return hg_err_validation(err, "1 validation error detected: Value '%.300s' at '%s' failed to satisfy "
                             "constraint: %s", value, field, constraint);
}

/* A member that must be a string when present: 0 absent, 1 present, -1 wrong type. */
static int opt_str(const cJSON *body, const char *key, const char **out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v))
        return hg_err_set(err, 400, "InvalidRequestContentException",
                          "Could not parse request body into json: %s must be a string", key);
    *out = v->valuestring;
    return 1;
}

/* A member that must be an integer when present: 0 absent, 1 present, -1 wrong type. */
static int opt_int(const cJSON *body, const char *key, long long *out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
        v->valuedouble > 1e15 || v->valuedouble < -1e15)
        return hg_err_set(err, 400, "InvalidRequestContentException",
                          "Could not parse request body into json: %s must be an integer", key);
    *out = (long long)v->valuedouble;
    return 1;
}

static int opt_bool(const cJSON *body, const char *key, int *out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsBool(v))
        return hg_err_set(err, 400, "InvalidRequestContentException",
                          "Could not parse request body into json: %s must be a boolean", key);
    *out = cJSON_IsTrue(v);
    return 1;
}

/* A map of string to string (Tags, Environment.Variables); NULL when absent. */
static int opt_string_map(const cJSON *body, const char *key, const cJSON **out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsObject(v))
        return hg_err_set(err, 400, "InvalidRequestContentException",
                          "Could not parse request body into json: %s must be a map of strings", key);
    for (const cJSON *m = v->child; m; m = m->next)
        if (!cJSON_IsString(m))
            return hg_err_set(err, 400, "InvalidRequestContentException",
                              "Could not parse request body into json: %s.%.100s must be a string", key, m->string);
    *out = v;
    return 1;
}

static cJSON *dup(const cJSON *v) { return cJSON_Duplicate(v, 1); }

static int reply_empty(hg_response *resp, int status)
{
    return hg_response_set(resp, status, "application/json", "", 0);
}

static int reply(hg_response *resp, int status, const cJSON *o, hg_err *err)
{
    if (lambda_reply_json(resp, status, o) != 0) return hg_err_internal(err, "out of memory");
    return 0;
}

/* ---- configuration: validate a request's settings into a config ------- */

/* A request that hands Lambda a role is a second request to IAM: the
 * caller must also be allowed iam:PassRole on that role's ARN, or anyone
 * allowed lambda:CreateFunction could run code with any role's rights.
 * Asked after the shape checks (the Role is then a valid role ARN) and
 * before anything is stored. With --auth off hg_authorize always allows. */
static int authorize_pass_role(const lambda_req *r, const cJSON *body, hg_err *err)
{
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(body, "Role");
    if (!cJSON_IsString(role)) return 0;   /* no role handed over: nothing to pass */
    return hg_authorize(r->http, "iam:PassRole", role->valuestring, err);
}

/* The runtime-independent settings shared by Create and
 * UpdateFunctionConfiguration: validated in full first, then applied, so a
 * failure leaves config untouched. */
static int apply_settings(cJSON *config, const cJSON *body, int creating, hg_err *err)
{
    const char *role = NULL, *handler = NULL, *runtime = NULL, *desc = NULL, *pkg = NULL;
    long long timeout = 0, memory = 0;
    int has_role = opt_str(body, "Role", &role, err);
    int has_handler = opt_str(body, "Handler", &handler, err);
    int has_runtime = opt_str(body, "Runtime", &runtime, err);
    int has_desc = opt_str(body, "Description", &desc, err);
    int has_pkg = creating ? opt_str(body, "PackageType", &pkg, err) : 0;
    int has_timeout = opt_int(body, "Timeout", &timeout, err);
    int has_memory = opt_int(body, "MemorySize", &memory, err);
    if (hg_err_isset(err)) return -1;

    /* shape constraints first (ValidationException) */
    if (creating && !has_role)
        return hg_err_validation(err, "1 validation error detected: Value null at 'role' failed to satisfy "
                                 "constraint: Member must not be null");
    if (has_role && !role_ok(role))
        return validation(err, role, "role", "Member must satisfy regular expression pattern: " ROLE_PATTERN);
    if (has_handler && strlen(handler) > 128)
        return validation(err, handler, "handler", "Member must have length less than or equal to 128");
    if (has_handler && (!*handler || !all_chars(handler, not_space)))
        return validation(err, handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+");
    if (has_desc && strlen(desc) > 256)
        return validation(err, desc, "description", "Member must have length less than or equal to 256");
    char num[32];
    if (has_timeout && (timeout < 1 || timeout > 900)) {
        snprintf(num, sizeof num, "%lld", timeout);
        return validation(err, num, "timeout", timeout < 1 ? "Member must have value greater than or equal to 1"
                                                           : "Member must have value less than or equal to 900");
    }
    if (has_memory && (memory < 128 || memory > 10240)) {
        snprintf(num, sizeof num, "%lld", memory);
        return validation(err, num, "memorySize", memory < 128 ? "Member must have value greater than or equal to 128"
                                                               : "Member must have value less than or equal to 10240");
    }
    if (has_pkg && strcmp(pkg, "Zip") != 0 && strcmp(pkg, "Image") != 0)
        return validation(err, pkg, "packageType", "Member must satisfy enum value set: [Zip, Image]");

    const cJSON *env = cJSON_GetObjectItemCaseSensitive(body, "Environment");
    const cJSON *vars = NULL;
    if (env && !cJSON_IsNull(env)) {
        if (!cJSON_IsObject(env))
            return hg_err_set(err, 400, "InvalidRequestContentException",
                              "Could not parse request body into json: Environment must be an object");
        if (opt_string_map(env, "Variables", &vars, err) < 0) return -1;
        for (const cJSON *v = vars ? vars->child : NULL; v; v = v->next) {
            size_t kl = strlen(v->string);
            if (kl < 2 || !(((v->string[0] | 32) >= 'a') && ((v->string[0] | 32) <= 'z')) ||
                !all_chars(v->string, env_key_char))
                return validation(err, v->string, "environment.variables",
                                  "Map keys must satisfy constraint: [Member must satisfy regular expression "
                                  "pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
        }
    }
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(body, "Architectures");
    if (arch && !cJSON_IsNull(arch)) {
        if (!cJSON_IsArray(arch))
            return hg_err_set(err, 400, "InvalidRequestContentException",
                              "Could not parse request body into json: Architectures must be a list");
        int n = cJSON_GetArraySize(arch);
        if (n != 1)
            return validation(err, n ? "[...]" : "[]", "architectures",
                              n ? "Member must have length less than or equal to 1"
                                : "Member must have length greater than or equal to 1");
        const char *a = cJSON_GetStringValue(arch->child);
        if (!a || (strcmp(a, "x86_64") != 0 && strcmp(a, "arm64") != 0))
            return validation(err, a ? a : "?", "architectures",
                              "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
    }

    /* then what Lambda itself refuses (InvalidParameterValueException) */
    if (has_pkg && strcmp(pkg, "Zip") != 0)
        return invalid_param(err, "PackageType %s is not supported: this emulator runs Zip packages of runtime "
                             LAMBDA_RUNTIME " only", pkg);
    if (creating && !has_runtime)
        return invalid_param(err, "Runtime is required for .zip file packages. Supported runtimes: [" LAMBDA_RUNTIME "]");
    if (has_runtime && strcmp(runtime, LAMBDA_RUNTIME) != 0)
        return invalid_param(err, "Value %.100s at 'runtime' failed to satisfy constraint: Member must satisfy enum "
                             "value set: [" LAMBDA_RUNTIME "] (the only runtime this emulator supports)", runtime);
    if (creating && !has_handler)
        return invalid_param(err, "Handler is required for .zip file packages: give file.function "
                             "(for example index.handler)");
    if (vars) {
        static const char *const reserved[] = {
            "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
            "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
            "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
        };
        for (const cJSON *v = vars->child; v; v = v->next)
            for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
                if (strcmp(v->string, reserved[i]) == 0)
                    return invalid_param(err, "Lambda was unable to configure your environment variables because "
                                         "the environment variables you have provided contains reserved keys that "
                                         "are currently not supported for modification. Reserved keys used in this "
                                         "request: %s", reserved[i]);
        char *text = cJSON_PrintUnformatted(vars);
        if (!text) return hg_err_internal(err, "out of memory");
        size_t tl = strlen(text);
        if (tl > ENV_VARS_MAX) {
            invalid_param(err, "Lambda was unable to configure your environment variables because the environment "
                          "variables you have provided exceeded the 4KB limit. String measured: %.3000s", text);
            cJSON_free(text);
            return -1;
        }
        cJSON_free(text);
    }

    /* all valid: apply */
    if (has_role) hg_json_set(config, "Role", cJSON_CreateString(role));
    if (has_handler) hg_json_set(config, "Handler", cJSON_CreateString(handler));
    if (has_desc) hg_json_set(config, "Description", cJSON_CreateString(desc));
    if (has_timeout) hg_json_set(config, "Timeout", cJSON_CreateNumber((double)timeout));
    if (has_memory) hg_json_set(config, "MemorySize", cJSON_CreateNumber((double)memory));
    if (env && !cJSON_IsNull(env)) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddItemToObject(e, "Variables", vars ? dup(vars) : cJSON_CreateObject());
        hg_json_set(config, "Environment", e);
    }
    if (arch && !cJSON_IsNull(arch)) hg_json_set(config, "Architectures", dup(arch));
    return 0;
}

/* ---- code: ZipFile or a hot-reload folder ------------------------------- */

typedef struct code_upload {
    unsigned char *zip;        /* owned; NULL for a folder */
    size_t zip_len;
    char  *dir;                /* owned; NULL for a zip */
    char   sha[45];
} code_upload;

static void code_release(code_upload *c)
{
    free(c->zip);
    free(c->dir);
    memset(c, 0, sizeof *c);
}

/* Read the code source from o (CreateFunction's Code, or UpdateFunctionCode's body). */
static int read_code(const cJSON *o, code_upload *c, hg_err *err)
{
    const char *zipb64, *bucket, *key, *image;
    memset(c, 0, sizeof *c);
    int has_zip = opt_str(o, "ZipFile", &zipb64, err);
    int has_bucket = opt_str(o, "S3Bucket", &bucket, err);
    int has_key = opt_str(o, "S3Key", &key, err);
    int has_image = opt_str(o, "ImageUri", &image, err);
    if (hg_err_isset(err)) return -1;
    if (has_image)
        return invalid_param(err, "Container images (ImageUri) are not supported: upload Code.ZipFile, or use "
                             "S3Bucket \"" HOT_RELOAD_BUCKET "\" with S3Key an absolute folder");
    if (has_zip && (has_bucket || has_key))
        return invalid_param(err, "Please do not provide other FunctionCode parameters when providing a ZipFile.");
    if (has_zip) {
        size_t n = strlen(zipb64);
        if (n / 4 * 3 > MAX_ZIP_BYTES)
            return hg_err_set(err, 413, "RequestEntityTooLargeException",
                              "Zipped deployment package is larger than the %u-byte limit of a direct upload",
                              MAX_ZIP_BYTES);
        if (b64_decode(zipb64, n, &c->zip, &c->zip_len) != 0)
            return invalid_param(err, "Could not decode ZipFile: it must be the zip archive in base64");
        hlua_bundle *b = NULL;
        if (hlua_bundle_from_zip(c->zip, c->zip_len, &b, err) != 0) {
            if (!hg_err_isset(err))
                invalid_param(err, "Could not unzip uploaded file. Please check your file, then try to upload again.");
            code_release(c);
            return -1;
        }
        hlua_bundle_free(b);
        sha256_b64(c->zip, c->zip_len, c->sha);
        return 0;
    }
    if (has_bucket || has_key) {
        if (!has_bucket || strcmp(bucket, HOT_RELOAD_BUCKET) != 0)
            return invalid_param(err, "Code from S3 bucket '%.100s' is not supported: upload Code.ZipFile, or use "
                                 "S3Bucket \"" HOT_RELOAD_BUCKET "\" with S3Key an absolute folder for hot reload",
                                 has_bucket ? bucket : "");
        if (!has_key || key[0] != '/')
            return invalid_param(err, "Hot reload needs S3Key to be an absolute folder path (S3Bucket \""
                                 HOT_RELOAD_BUCKET "\"), got '%.300s'", has_key ? key : "");
        if (strlen(key) > 4096) return invalid_param(err, "Hot-reload folder path is too long");
        struct stat st;
        if (stat(key, &st) != 0 || !S_ISDIR(st.st_mode))
            return invalid_param(err, "Hot-reload folder '%.300s' does not exist or is not a directory", key);
        if (!(c->dir = strdup(key))) return hg_err_internal(err, "out of memory");
        sha256_b64(key, strlen(key), c->sha);
        return 0;
    }
    return invalid_param(err, "Please provide a source for function code: Code.ZipFile, or S3Bucket \""
                         HOT_RELOAD_BUCKET "\" with S3Key an absolute folder");
}

/* Record code c in config (CodeSha256, CodeSize) and priv ("code"). */
static void apply_code(cJSON *config, cJSON *priv, const code_upload *c)
{
    hg_json_set(config, "CodeSha256", cJSON_CreateString(c->sha));
    hg_json_set(config, "CodeSize", cJSON_CreateNumber((double)c->zip_len));
    cJSON *code = cJSON_CreateObject();
    cJSON_AddStringToObject(code, "kind", c->dir ? "dir" : "zip");
    if (c->dir) cJSON_AddStringToObject(code, "dir", c->dir);
    hg_json_set(priv, "code", code);
}

/* A change was made: new RevisionId, and LastModified when it affects the function itself. */
static void touch(cJSON *config, int modified)
{
    char id[HG_UUID_LEN + 1];
    hg_uuid4(id);
    hg_json_set(config, "RevisionId", cJSON_CreateString(id));
    if (modified) {
        char now[32];
        now_iso(now);
        hg_json_set(config, "LastModified", cJSON_CreateString(now));
    }
}

/* ---- load / save ------------------------------------------------------- */

/* Load r->function honouring ?Qualifier= (only $LATEST exists). */
static int load(hg_store *s, lambda_req *r, lambda_fn **f, hg_err *err)
{
    if (r->qualifier && *r->qualifier && strcmp(r->qualifier, "$LATEST") != 0) {
        char name[65], qual[129];
        if (lambda_parse_name(r->function, name, qual, err) != 0) return -1;
        return fn_not_found(r->region, name, r->qualifier, err);
    }
    return lambda_fn_load(s, r->region, r->function, f, err);
}

/* Open a write transaction and load the function (invariant 2). On failure
 * nothing is left open. */
static int begin_change(lambda_req *r, hg_store **s, lambda_fn **f, hg_err *err)
{
    *f = NULL;
    if (!(*s = hg_store_get(err))) return -1;
    if (hg_store_begin_write(*s, err) != 0) return -1;
    if (load(*s, r, f, err) != 0) {
        hg_store_rollback(*s);
        return -1;
    }
    return 0;
}

static int check_revision(const lambda_fn *f, const char *given, hg_err *err)
{
    if (!given || !f->revision_id || strcmp(given, f->revision_id) == 0) return 0;
    return hg_err_set(err, 412, "PreconditionFailedException",
                      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias "
                      "API to retrieve the latest Revision Id");
}

/* Write f back (and the code when set_code) and commit; always ends the
 * transaction. */
static int commit_change(hg_store *s, lambda_fn *f, int set_code, const code_upload *c, hg_err *err)
{
    char *config = cJSON_PrintUnformatted(f->config);
    char *priv = cJSON_PrintUnformatted(f->priv);
    int rc = -1;
    if (!config || !priv) hg_err_internal(err, "out of memory");
    else {
        char name[65];
        snprintf(name, sizeof name, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f->config, "FunctionName")));
        rc = lambda_store_update(s, f->region, name, config, priv, set_code,
                                 c ? c->zip : NULL, c ? c->zip_len : 0, err);
        if (rc == 1) rc = fn_not_found(f->region, name, "", err);
    }
    cJSON_free(config);
    cJSON_free(priv);
    if (rc != 0) { hg_store_rollback(s); return -1; }
    return hg_store_commit(s, err);
}

static const char *fn_name(const lambda_fn *f)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f->config, "FunctionName"));
}

/* ---- Create / Get / List / Delete ---------------------------------------- */

static int validate_tags(const cJSON *tags, int existing, hg_err *err)
{
    int n = 0;
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
        n++;
        size_t kl = strlen(t->string), vl = strlen(t->valuestring);
        if (kl < 1 || kl > 128)
            return invalid_param(err, "Tag key '%.200s' must be 1 to 128 characters long", t->string);
        if (vl > 256)
            return invalid_param(err, "Tag value of key '%.128s' must be at most 256 characters long", t->string);
        if (strncmp(t->string, "aws:", 4) == 0)
            return invalid_param(err, "Tag key '%.128s': the prefix aws: is reserved for AWS use", t->string);
    }
    if (n + existing > MAX_TAGS)
        return invalid_param(err, "Number of tags exceeds resource tag limit (%d).", MAX_TAGS);
    return 0;
}

int lambda_op_create_function(lambda_req *r, hg_response *resp, hg_err *err)
{
    const cJSON *body = r->body;
    const char *name;
    if (opt_str(body, "FunctionName", &name, err) < 0) return -1;
    if (!name)
        return hg_err_validation(err, "1 validation error detected: Value null at 'functionName' failed to satisfy "
                                 "constraint: Member must not be null");
    if (!*name || strlen(name) > 64)
        return validation(err, name, "functionName", *name ? "Member must have length less than or equal to 64"
                                                           : "Member must have length greater than or equal to 1");
    if (!all_chars(name, name_char))
        return validation(err, name, "functionName",
                          "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
                          "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
                          "(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
    char arn[256], now[32];
    lambda_fn_arn(r->region, name, arn, sizeof arn);
    now_iso(now);

    cJSON *config = cJSON_CreateObject(), *priv = cJSON_CreateObject();
    code_upload code = {0};
    int rc = -1;
    char *config_text = NULL, *priv_text = NULL;
    if (!config || !priv) { hg_err_internal(err, "out of memory"); goto out; }
    cJSON_AddStringToObject(config, "FunctionName", name);
    cJSON_AddStringToObject(config, "FunctionArn", arn);
    cJSON_AddStringToObject(config, "Runtime", LAMBDA_RUNTIME);
    cJSON_AddStringToObject(config, "Role", "");
    cJSON_AddStringToObject(config, "Handler", "");
    cJSON_AddNumberToObject(config, "CodeSize", 0);
    cJSON_AddStringToObject(config, "Description", "");
    cJSON_AddNumberToObject(config, "Timeout", 3);
    cJSON_AddNumberToObject(config, "MemorySize", 128);
    cJSON_AddStringToObject(config, "LastModified", now);
    cJSON_AddStringToObject(config, "CodeSha256", "");
    cJSON_AddStringToObject(config, "Version", "$LATEST");
    hg_json_set(config, "Environment", cJSON_Parse("{\"Variables\":{}}"));
    hg_json_set(config, "TracingConfig", cJSON_Parse("{\"Mode\":\"PassThrough\"}"));
    cJSON_AddStringToObject(config, "RevisionId", "");
    cJSON_AddStringToObject(config, "State", "Active");
    cJSON_AddStringToObject(config, "LastUpdateStatus", "Successful");
    cJSON_AddStringToObject(config, "PackageType", "Zip");
    hg_json_set(config, "Architectures", cJSON_Parse("[\"x86_64\"]"));
    hg_json_set(config, "EphemeralStorage", cJSON_Parse("{\"Size\":512}"));
    hg_json_set(config, "SnapStart", cJSON_Parse("{\"ApplyOn\":\"None\",\"OptimizationStatus\":\"Off\"}"));
    cJSON *logging = cJSON_AddObjectToObject(config, "LoggingConfig");
    cJSON_AddStringToObject(logging, "LogFormat", "Text");
    char group[128];
    snprintf(group, sizeof group, "/aws/lambda/%s", name);
    cJSON_AddStringToObject(logging, "LogGroup", group);

    if (apply_settings(config, body, 1, err) != 0 || authorize_pass_role(r, body, err) != 0) goto out;
    const cJSON *tags;
    if (opt_string_map(body, "Tags", &tags, err) < 0 || validate_tags(tags, 0, err) != 0) goto out;
    int publish = 0;
    if (opt_bool(body, "Publish", &publish, err) < 0) goto out;   /* accepted; only $LATEST exists */
    const cJSON *code_in = cJSON_GetObjectItemCaseSensitive(body, "Code");
    if (!cJSON_IsObject(code_in)) {
        hg_err_validation(err, "1 validation error detected: Value null at 'code' failed to satisfy constraint: "
                          "Member must not be null");
        goto out;
    }
    if (read_code(code_in, &code, err) != 0) goto out;
    apply_code(config, priv, &code);
    touch(config, 0);
    cJSON_AddItemToObject(priv, "tags", tags ? dup(tags) : cJSON_CreateObject());

    config_text = cJSON_PrintUnformatted(config);
    priv_text = cJSON_PrintUnformatted(priv);
    if (!config_text || !priv_text) { hg_err_internal(err, "out of memory"); goto out; }
    hg_store *s = hg_store_get(err);
    if (!s || hg_store_begin_write(s, err) != 0) goto out;
    int made = lambda_store_create(s, r->region, name, config_text, priv_text, code.zip, code.zip_len, err);
    if (made != 0) {
        hg_store_rollback(s);
        if (made == 1) hg_err_set(err, 409, "ResourceConflictException", "Function already exist: %s", name);
        goto out;
    }
    if (hg_store_commit(s, err) != 0) goto out;
    /* a function of this name deleted and re-created must not reuse old environments */
    lambda_pool_forget(r->region, name);
    rc = reply(resp, 201, config, err);
out:
    cJSON_free(config_text);
    cJSON_free(priv_text);
    code_release(&code);
    cJSON_Delete(config);
    cJSON_Delete(priv);
    return rc;
}

int lambda_op_get_function_configuration(lambda_req *r, hg_response *resp, hg_err *err)
{
    hg_store *s = hg_store_get(err);
    lambda_fn *f = NULL;
    if (!s || load(s, r, &f, err) != 0) return -1;
    int rc = reply(resp, 200, f->config, err);
    lambda_fn_free(f);
    return rc;
}

int lambda_op_get_function(lambda_req *r, hg_response *resp, hg_err *err)
{
    hg_store *s = hg_store_get(err);
    lambda_fn *f = NULL;
    if (!s || load(s, r, &f, err) != 0) return -1;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "Configuration", dup(f->config));
    cJSON *code = cJSON_AddObjectToObject(o, "Code");
    if (f->hot_dir) {
        /* LocalStack's users see the folder; there is no package to download */
        cJSON_AddStringToObject(code, "RepositoryType", "S3");
        cJSON_AddStringToObject(code, "Location", f->hot_dir);
    } else {
        const char *host = hg_req_header(r->http, "Host");
        char loc[512];
        snprintf(loc, sizeof loc, "http://%.200s/_hangar/lambda/%s/%s/code.zip",
                 host ? host : "localhost", r->region, fn_name(f));
        cJSON_AddStringToObject(code, "RepositoryType", "S3");
        cJSON_AddStringToObject(code, "Location", loc);
    }
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(f->priv, "tags");
    if (cJSON_IsObject(tags) && tags->child) cJSON_AddItemToObject(o, "Tags", dup(tags));
    if (f->reserved_concurrency >= 0) {
        cJSON *c = cJSON_AddObjectToObject(o, "Concurrency");
        cJSON_AddNumberToObject(c, "ReservedConcurrentExecutions", f->reserved_concurrency);
    }
    int rc = reply(resp, 200, o, err);
    cJSON_Delete(o);
    lambda_fn_free(f);
    return rc;
}

/* A bounded decimal query parameter: digits only, value in [lo, hi]. */
static int query_int(const char *text, const char *field, long lo, long hi, long *out, hg_err *err)
{
    long v = 0;
    size_t n = strlen(text);
    int ok = n > 0 && n <= 9;
    for (size_t i = 0; ok && i < n; i++) {
        if (!digit((unsigned char)text[i])) ok = 0;
        else v = v * 10 + (text[i] - '0');
    }
    if (!ok)
        return hg_err_set(err, 400, "InvalidParameterValueException", "%s must be an integer, got '%.50s'", field, text);
    if (v < lo || v > hi) {
        char num[24];
        snprintf(num, sizeof num, "%ld", v);
        char c[96];
        snprintf(c, sizeof c, "Member must have value %s %ld", v < lo ? "greater than or equal to" : "less than or equal to",
                 v < lo ? lo : hi);
        return validation(err, num, field, c);
    }
    *out = v;
    return 0;
}

int lambda_op_list_functions(lambda_req *r, hg_response *resp, hg_err *err)
{
    long limit = DEFAULT_LIST_ITEMS;
    const char *max = hg_req_query(r->http, "MaxItems");
    if (max && query_int(max, "maxItems", 1, MAX_LIST_ITEMS, &limit, err) != 0) return -1;
    const char *marker = hg_req_query(r->http, "Marker");
    const char *version = hg_req_query(r->http, "FunctionVersion");
    if (version && strcmp(version, "ALL") != 0)
        return validation(err, version, "functionVersion", "Member must satisfy enum value set: [ALL]");
    /* The marker is the last name of the previous page; anything else is not ours. */
    if (marker && (!*marker || strlen(marker) > 64 || !all_chars(marker, name_char)))
        return invalid_param(err, "Invalid marker: %.100s", marker);
    hg_store *s = hg_store_get(err);
    if (!s) return -1;
    char **configs = NULL;
    int n = 0;
    if (lambda_store_list(s, r->region, marker, (int)limit + 1, &configs, &n, err) != 0) return -1;
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "Functions");
    int shown = n > limit ? (int)limit : n;
    const char *last = NULL;
    for (int i = 0; i < shown; i++) {
        cJSON *c = cJSON_Parse(configs[i]);
        if (!c) continue;
        cJSON_AddItemToArray(arr, c);
        last = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "FunctionName"));
    }
    if (n > limit && last) cJSON_AddStringToObject(o, "NextMarker", last);
    int rc = reply(resp, 200, o, err);
    cJSON_Delete(o);
    lambda_store_list_free(configs, n);
    return rc;
}

int lambda_op_delete_function(lambda_req *r, hg_response *resp, hg_err *err)
{
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    char name[65];
    snprintf(name, sizeof name, "%s", fn_name(f));
    int rc = lambda_store_delete(s, r->region, name, err);
    lambda_fn_free(f);
    if (rc != 0) {
        hg_store_rollback(s);
        return rc == 1 ? fn_not_found(r->region, name, "", err) : -1;
    }
    if (hg_store_commit(s, err) != 0) return -1;
    lambda_pool_forget(r->region, name);
    return reply_empty(resp, 204);
}

/* ---- Update ---------------------------------------------------------------- */

int lambda_op_update_function_code(lambda_req *r, hg_response *resp, hg_err *err)
{
    const cJSON *body = r->body;
    const char *revision;
    int dry_run = 0, publish = 0;
    if (opt_str(body, "RevisionId", &revision, err) < 0 || opt_bool(body, "DryRun", &dry_run, err) < 0 ||
        opt_bool(body, "Publish", &publish, err) < 0)
        return -1;
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(body, "Architectures");
    code_upload code;
    if (read_code(body, &code, err) != 0) return -1;
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) { code_release(&code); return -1; }
    int rc = -1;
    if (check_revision(f, revision, err) != 0) { hg_store_rollback(s); goto out; }
    if (arch && !cJSON_IsNull(arch)) {
        cJSON *tmp = cJSON_CreateObject();
        cJSON_AddItemToObject(tmp, "Architectures", dup(arch));
        rc = apply_settings(f->config, tmp, 0, err);
        cJSON_Delete(tmp);
        if (rc != 0) { hg_store_rollback(s); goto out; }
        rc = -1;
    }
    apply_code(f->config, f->priv, &code);
    if (dry_run) {            /* validated, nothing changes */
        hg_store_rollback(s);
        rc = reply(resp, 200, f->config, err);
        goto out;
    }
    touch(f->config, 1);
    char name[65];
    snprintf(name, sizeof name, "%s", fn_name(f));
    if (commit_change(s, f, 1, &code, err) != 0) goto out;
    lambda_pool_forget(r->region, name);
    rc = reply(resp, 200, f->config, err);
out:
    lambda_fn_free(f);
    code_release(&code);
    return rc;
}

int lambda_op_update_function_configuration(lambda_req *r, hg_response *resp, hg_err *err)
{
    const cJSON *body = r->body;
    const char *revision;
    if (opt_str(body, "RevisionId", &revision, err) < 0) return -1;
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    int rc = -1;
    if (check_revision(f, revision, err) != 0 || apply_settings(f->config, body, 0, err) != 0 ||
        authorize_pass_role(r, body, err) != 0) {
        hg_store_rollback(s);
        goto out;
    }
    touch(f->config, 1);
    char name[65];
    snprintf(name, sizeof name, "%s", fn_name(f));
    if (commit_change(s, f, 0, NULL, err) != 0) goto out;
    lambda_pool_forget(r->region, name);
    rc = reply(resp, 200, f->config, err);
out:
    lambda_fn_free(f);
    return rc;
}

/* ---- permissions -------------------------------------------------------- */

static int is_account(const char *p)
{
    return strlen(p) == 12 && all_chars(p, digit);
}

/* The statement AddPermission stores, in IAM's policy grammar. */
static cJSON *make_statement(const char *sid, const char *action, const char *principal, const char *resource,
                             const cJSON *body)
{
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "Sid", sid);
    cJSON_AddStringToObject(st, "Effect", "Allow");
    if (strcmp(principal, "*") == 0) {
        cJSON_AddStringToObject(st, "Principal", "*");
    } else {
        cJSON *p = cJSON_AddObjectToObject(st, "Principal");
        if (is_account(principal)) {
            char arn[64];
            snprintf(arn, sizeof arn, "arn:aws:iam::%s:root", principal);
            cJSON_AddStringToObject(p, "AWS", arn);
        } else if (strncmp(principal, "arn:", 4) == 0) {
            cJSON_AddStringToObject(p, "AWS", principal);
        } else {
            cJSON_AddStringToObject(p, "Service", principal);
        }
    }
    cJSON_AddStringToObject(st, "Action", action);
    cJSON_AddStringToObject(st, "Resource", resource);
    cJSON *cond = cJSON_CreateObject();
    const char *v;
    cJSON *eq = NULL;
    if ((v = hg_json_str(body, "SourceAccount"))) {
        eq = cJSON_AddObjectToObject(cond, "StringEquals");
        cJSON_AddStringToObject(eq, "AWS:SourceAccount", v);
    }
    if ((v = hg_json_str(body, "PrincipalOrgID"))) {
        if (!eq) eq = cJSON_AddObjectToObject(cond, "StringEquals");
        cJSON_AddStringToObject(eq, "aws:PrincipalOrgID", v);
    }
    if ((v = hg_json_str(body, "FunctionUrlAuthType"))) {
        if (!eq) eq = cJSON_AddObjectToObject(cond, "StringEquals");
        cJSON_AddStringToObject(eq, "lambda:FunctionUrlAuthType", v);
    }
    if ((v = hg_json_str(body, "EventSourceToken"))) {
        if (!eq) eq = cJSON_AddObjectToObject(cond, "StringEquals");
        cJSON_AddStringToObject(eq, "lambda:EventSourceToken", v);
    }
    if ((v = hg_json_str(body, "SourceArn"))) {
        cJSON *like = cJSON_AddObjectToObject(cond, "ArnLike");
        cJSON_AddStringToObject(like, "AWS:SourceArn", v);
    }
    if (cond->child) cJSON_AddItemToObject(st, "Condition", cond);
    else cJSON_Delete(cond);
    return st;
}

static int action_ok(const char *a)
{
    if (strcmp(a, "*") == 0 || strcmp(a, "lambda:*") == 0) return 1;
    if (strncmp(a, "lambda:", 7) != 0 || !a[7]) return 0;
    for (const char *p = a + 7; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) return 0;
    return 1;
}

int lambda_op_add_permission(lambda_req *r, hg_response *resp, hg_err *err)
{
    const cJSON *body = r->body;
    const char *sid, *action, *principal, *revision, *source_arn, *source_account, *auth, *org, *token;
    opt_str(body, "StatementId", &sid, err);
    opt_str(body, "Action", &action, err);
    opt_str(body, "Principal", &principal, err);
    opt_str(body, "RevisionId", &revision, err);
    opt_str(body, "SourceArn", &source_arn, err);
    opt_str(body, "SourceAccount", &source_account, err);
    opt_str(body, "FunctionUrlAuthType", &auth, err);
    opt_str(body, "PrincipalOrgID", &org, err);
    opt_str(body, "EventSourceToken", &token, err);
    if (hg_err_isset(err)) return -1;
    if (!sid) return hg_err_validation(err, "1 validation error detected: Value null at 'statementId' failed to "
                                       "satisfy constraint: Member must not be null");
    if (!action) return hg_err_validation(err, "1 validation error detected: Value null at 'action' failed to "
                                          "satisfy constraint: Member must not be null");
    if (!principal) return hg_err_validation(err, "1 validation error detected: Value null at 'principal' failed "
                                             "to satisfy constraint: Member must not be null");
    if (!*sid || strlen(sid) > 100)
        return validation(err, sid, "statementId", *sid ? "Member must have length less than or equal to 100"
                                                        : "Member must have length greater than or equal to 1");
    if (!all_chars(sid, name_char))
        return validation(err, sid, "statementId", "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)");
    if (!action_ok(action))
        return validation(err, action, "action",
                          "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])");
    if (!*principal || !all_chars(principal, not_space))
        return validation(err, principal, "principal", "Member must satisfy regular expression pattern: [^\\s]+");
    if (source_account && !is_account(source_account))
        return validation(err, source_account, "sourceAccount", "Member must satisfy regular expression pattern: \\d{12}");
    if (auth && strcmp(auth, "NONE") != 0 && strcmp(auth, "AWS_IAM") != 0)
        return validation(err, auth, "functionUrlAuthType", "Member must satisfy enum value set: [NONE, AWS_IAM]");
    if (source_arn && strncmp(source_arn, "arn:", 4) != 0)
        return validation(err, source_arn, "sourceArn", "Member must satisfy regular expression pattern: "
                          "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)");

    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    int rc = -1;
    cJSON *statement = NULL;
    if (check_revision(f, revision, err) != 0) { hg_store_rollback(s); goto out; }
    cJSON *policy = cJSON_GetObjectItemCaseSensitive(f->priv, "policy");
    if (!cJSON_IsObject(policy)) {
        policy = cJSON_CreateObject();
        cJSON_AddStringToObject(policy, "Version", "2012-10-17");
        cJSON_AddStringToObject(policy, "Id", "default");
        cJSON_AddArrayToObject(policy, "Statement");
        hg_json_set(f->priv, "policy", policy);
    }
    cJSON *list = cJSON_GetObjectItemCaseSensitive(policy, "Statement");
    for (cJSON *st = list ? list->child : NULL; st; st = st->next) {
        const char *have = hg_json_str(st, "Sid");
        if (have && strcmp(have, sid) == 0) {
            hg_err_set(err, 409, "ResourceConflictException", "The statement id (%s) provided already exists. Please "
                       "provide a new statement id, or remove the existing statement.", sid);
            hg_store_rollback(s);
            goto out;
        }
    }
    statement = make_statement(sid, action, principal, f->arn, body);
    cJSON_AddItemToArray(list, dup(statement));
    touch(f->config, 0);
    if (commit_change(s, f, 0, NULL, err) != 0) goto out;
    char *text = cJSON_PrintUnformatted(statement);
    if (!text) { hg_err_internal(err, "out of memory"); goto out; }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Statement", text);
    cJSON_free(text);
    rc = reply(resp, 201, o, err);
    cJSON_Delete(o);
out:
    cJSON_Delete(statement);
    lambda_fn_free(f);
    return rc;
}

int lambda_op_remove_permission(lambda_req *r, hg_response *resp, hg_err *err)
{
    const char *revision = hg_req_query(r->http, "RevisionId");
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    int rc = -1;
    if (check_revision(f, revision, err) != 0) { hg_store_rollback(s); goto out; }
    cJSON *policy = cJSON_GetObjectItemCaseSensitive(f->priv, "policy");
    cJSON *list = cJSON_GetObjectItemCaseSensitive(policy, "Statement");
    cJSON *found = NULL;
    for (cJSON *st = list ? list->child : NULL; st && !found; st = st->next) {
        const char *have = hg_json_str(st, "Sid");
        if (have && strcmp(have, r->statement_id) == 0) found = st;
    }
    if (!found) {
        hg_err_set(err, 404, "ResourceNotFoundException", "Statement %s is not found in resource policy.", r->statement_id);
        hg_store_rollback(s);
        goto out;
    }
    cJSON_Delete(cJSON_DetachItemViaPointer(list, found));
    if (!list->child) cJSON_DeleteItemFromObjectCaseSensitive(f->priv, "policy");
    touch(f->config, 0);
    if (commit_change(s, f, 0, NULL, err) != 0) goto out;
    rc = reply_empty(resp, 204);
out:
    lambda_fn_free(f);
    return rc;
}

int lambda_op_get_policy(lambda_req *r, hg_response *resp, hg_err *err)
{
    hg_store *s = hg_store_get(err);
    lambda_fn *f = NULL;
    if (!s || load(s, r, &f, err) != 0) return -1;
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(f->priv, "policy");
    int rc = -1;
    if (!cJSON_IsObject(policy)) {
        hg_err_set(err, 404, "ResourceNotFoundException", "The resource you requested does not exist.");
    } else {
        char *text = cJSON_PrintUnformatted(policy);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "Policy", text ? text : "{}");
        cJSON_AddStringToObject(o, "RevisionId", f->revision_id ? f->revision_id : "");
        cJSON_free(text);
        rc = reply(resp, 200, o, err);
        cJSON_Delete(o);
    }
    lambda_fn_free(f);
    return rc;
}

/* ---- tags --------------------------------------------------------------- */

/* Tags address a function by ARN; a qualified ARN names a version, which
 * cannot carry tags. */
static int tags_target(lambda_req *r, hg_err *err)
{
    if (strncmp(r->arn, "arn:", 4) != 0)
        return validation(err, r->arn, "resource", "Member must satisfy regular expression pattern: "
                          "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)");
    char name[65], qual[129];
    if (lambda_parse_name(r->arn, name, qual, err) != 0) return -1;
    if (*qual) return invalid_param(err, "Tags are not supported on function versions or aliases: %.300s", r->arn);
    size_t n = strlen(r->arn);          /* <= 170: lambda_parse_name checked */
    if (n >= sizeof r->function) return invalid_param(err, "Resource ARN is too long");
    memcpy(r->function, r->arn, n + 1);
    return 0;
}

int lambda_op_tag_resource(lambda_req *r, hg_response *resp, hg_err *err)
{
    if (tags_target(r, err) != 0) return -1;
    const cJSON *tags;
    if (opt_string_map(r->body, "Tags", &tags, err) < 0) return -1;
    if (!tags) return hg_err_validation(err, "1 validation error detected: Value null at 'tags' failed to satisfy "
                                        "constraint: Member must not be null");
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    int rc = -1;
    cJSON *have = cJSON_GetObjectItemCaseSensitive(f->priv, "tags");
    if (!cJSON_IsObject(have)) {
        have = cJSON_CreateObject();
        hg_json_set(f->priv, "tags", have);
    }
    int existing = 0;   /* tags not being overwritten */
    for (const cJSON *t = have->child; t; t = t->next)
        if (!cJSON_GetObjectItemCaseSensitive(tags, t->string)) existing++;
    if (validate_tags(tags, existing, err) != 0) { hg_store_rollback(s); goto out; }
    for (const cJSON *t = tags->child; t; t = t->next) hg_json_set(have, t->string, cJSON_CreateString(t->valuestring));
    if (commit_change(s, f, 0, NULL, err) != 0) goto out;
    rc = reply_empty(resp, 204);
out:
    lambda_fn_free(f);
    return rc;
}

int lambda_op_list_tags(lambda_req *r, hg_response *resp, hg_err *err)
{
    if (tags_target(r, err) != 0) return -1;
    hg_store *s = hg_store_get(err);
    lambda_fn *f = NULL;
    if (!s || load(s, r, &f, err) != 0) return -1;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(f->priv, "tags");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "Tags", cJSON_IsObject(tags) ? dup(tags) : cJSON_CreateObject());
    int rc = reply(resp, 200, o, err);
    cJSON_Delete(o);
    lambda_fn_free(f);
    return rc;
}

typedef struct untag_ctx { cJSON *tags; int count; } untag_ctx;

static void untag_one(void *ctx, const char *name, const char *value)
{
    untag_ctx *u = ctx;
    if (strcmp(name, "tagKeys") != 0) return;
    u->count++;
    if (u->tags) cJSON_DeleteItemFromObjectCaseSensitive(u->tags, value);
}

int lambda_op_untag_resource(lambda_req *r, hg_response *resp, hg_err *err)
{
    if (tags_target(r, err) != 0) return -1;
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    int rc = -1;
    untag_ctx u = { cJSON_GetObjectItemCaseSensitive(f->priv, "tags"), 0 };
    if (r->http->each_query) {
        r->http->each_query(r->http, untag_one, &u);
    } else {                             /* a request not built by core: one key at most */
        const char *k = hg_req_query(r->http, "tagKeys");
        if (k) untag_one(&u, "tagKeys", k);
    }
    if (u.count == 0) {
        hg_store_rollback(s);
        hg_err_validation(err, "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
                          "Member must not be null");
        goto out;
    }
    if (commit_change(s, f, 0, NULL, err) != 0) goto out;
    rc = reply_empty(resp, 204);
out:
    lambda_fn_free(f);
    return rc;
}

/* ---- reserved concurrency ------------------------------------------------ */

int lambda_op_put_function_concurrency(lambda_req *r, hg_response *resp, hg_err *err)
{
    long long n = 0;
    int has = opt_int(r->body, "ReservedConcurrentExecutions", &n, err);
    if (has < 0) return -1;
    if (!has)
        return hg_err_validation(err, "1 validation error detected: Value null at 'reservedConcurrentExecutions' "
                                 "failed to satisfy constraint: Member must not be null");
    char num[32];
    snprintf(num, sizeof num, "%lld", n);
    if (n < 0)
        return validation(err, num, "reservedConcurrentExecutions", "Member must have value greater than or equal to 0");
    if (n > 1000)
        return invalid_param(err, "Specified ReservedConcurrentExecutions for function decreases account's "
                             "UnreservedConcurrentExecution below its minimum value of [0]: at most 1000 can be "
                             "reserved, got %lld.", n);
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    int rc = -1;
    hg_json_set(f->priv, "reservedConcurrency", cJSON_CreateNumber((double)n));
    char name[65];
    snprintf(name, sizeof name, "%s", fn_name(f));
    if (commit_change(s, f, 0, NULL, err) != 0) goto out;
    lambda_pool_forget(r->region, name);   /* the pool's bound changed */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "ReservedConcurrentExecutions", (double)n);
    rc = reply(resp, 200, o, err);
    cJSON_Delete(o);
out:
    lambda_fn_free(f);
    return rc;
}

int lambda_op_get_function_concurrency(lambda_req *r, hg_response *resp, hg_err *err)
{
    hg_store *s = hg_store_get(err);
    lambda_fn *f = NULL;
    if (!s || load(s, r, &f, err) != 0) return -1;
    cJSON *o = cJSON_CreateObject();
    if (f->reserved_concurrency >= 0)
        cJSON_AddNumberToObject(o, "ReservedConcurrentExecutions", f->reserved_concurrency);
    int rc = reply(resp, 200, o, err);
    cJSON_Delete(o);
    lambda_fn_free(f);
    return rc;
}

int lambda_op_delete_function_concurrency(lambda_req *r, hg_response *resp, hg_err *err)
{
    hg_store *s;
    lambda_fn *f;
    if (begin_change(r, &s, &f, err) != 0) return -1;
    int rc = -1;
    cJSON_DeleteItemFromObjectCaseSensitive(f->priv, "reservedConcurrency");
    char name[65];
    snprintf(name, sizeof name, "%s", fn_name(f));
    if (commit_change(s, f, 0, NULL, err) != 0) goto out;
    lambda_pool_forget(r->region, name);
    rc = reply_empty(resp, 204);
out:
    lambda_fn_free(f);
    return rc;
}

