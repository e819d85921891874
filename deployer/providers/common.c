/*
 * common.c — helpers every provider shares: reading and checking inputs,
 * Pulumi-style auto-names, Lambda code archives zipped deterministically.
 *
 * Archives are written with libzip, made deterministic: entries in byte
 * order of their relative paths ('/' separated), every entry stored
 * (method 0, so the bytes don't depend on the zlib version) with the DOS
 * time of 1980-01-01 00:00 and external attributes of a 0644 regular file.
 * The same files therefore always give the same bytes, so the CodeSha256
 * AWS reports only changes when the code does.
 */
#include "prov_internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <zip.h>

#include "hg_buf.h"
#include "hg_json.h"
#include "program.h"

#define ZIP_MAX      (64u << 20)    /* Lambda takes 50 MB zipped directly; bound the walk anyway */
#define ZIP_ENTRIES  65535u         /* no zip64: the 16-bit entry count */
#define ZIP_DEPTH    32

static cJSON *unwrapped_copy(const cJSON *v);

/* ---- reading inputs ------------------------------------------------------- */

const cJSON *prov_unwrap(const cJSON *v)
{
    if (v && prov_sig_is(v, PROG_SIG_SECRET)) return cJSON_GetObjectItemCaseSensitive(v, "value");
    return v;
}

bool prov_sig_is(const cJSON *v, const char *sig)
{
    return cJSON_IsObject(v) &&
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, PROG_SIG_KEY)) &&
           strcmp(cJSON_GetObjectItemCaseSensitive(v, PROG_SIG_KEY)->valuestring, sig) == 0;
}

const cJSON *prov_get(const cJSON *in, const char *name)
{
    const cJSON *v = prov_unwrap(cJSON_GetObjectItemCaseSensitive(in, name));
    return v && !cJSON_IsNull(v) ? v : NULL;
}

const char *prov_str(const cJSON *in, const char *name)
{
    return cJSON_GetStringValue(prov_get(in, name));
}

const char *prov_jstr(const cJSON *o, const char *key)
{
    const char *s = hg_json_str(o, key);
    return s ? s : "";
}

const char *prov_account(const prov_ctx *ctx)
{
    return ctx && ctx->account_id && *ctx->account_id ? ctx->account_id : "000000000000";
}

const char *prov_region(const prov_ctx *ctx)
{
    if (ctx && ctx->region && *ctx->region) return ctx->region;
    if (ctx && ctx->aws) return aws_client_region(ctx->aws);
    return "us-east-1";
}

const char *prov_ref_id(const cJSON *in, const char *name)
{
    const cJSON *v = prov_get(in, name);
    if (cJSON_IsString(v)) return v->valuestring;
    return cJSON_GetStringValue(prov_unwrap(cJSON_GetObjectItemCaseSensitive(v, "id")));
}

const char *prov_role_name(const cJSON *in)
{
    const cJSON *v = prov_get(in, "role");
    const char *s = cJSON_IsString(v) ? v->valuestring : hg_json_str(v, "name");
    if (!s) s = prov_ref_id(in, "role");
    if (s && strncmp(s, "arn:", 4) == 0 && strrchr(s, '/')) s = strrchr(s, '/') + 1;
    return s;
}

void prov_patch(cJSON *ops, const char *op, const char *path, const char *value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "op", op);
    cJSON_AddStringToObject(o, "path", path);
    if (value) cJSON_AddStringToObject(o, "value", value);
    cJSON_AddItemToArray(ops, o);
}

char *prov_json_doc(const cJSON *in, const char *name)
{
    const cJSON *v = prov_get(in, name);
    if (!v) return NULL;
    if (cJSON_IsString(v)) return strdup(v->valuestring);
    cJSON *plain = unwrapped_copy(v);
    char *s = cJSON_PrintUnformatted(plain);
    cJSON_Delete(plain);
    return s;
}

bool prov_bool(const cJSON *in, const char *name, bool dflt)
{
    const cJSON *v = prov_get(in, name);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

double prov_num(const cJSON *in, const char *name, double dflt)
{
    const cJSON *v = prov_get(in, name);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

bool prov_changed(const cJSON *olds, const cJSON *news, const char *name)
{
    const cJSON *a = prov_get(olds, name), *b = prov_get(news, name);
    if (!a || !b) return a != b;
    return !cJSON_Compare(a, b, 1);
}

/* ---- check helpers -------------------------------------------------------- */

static int missing(const char *type, const char *name, hg_err *err)
{
    return hg_err_validation(err, "%s: missing required property '%s'", type, name);
}

static int wrong(const char *type, const char *name, const char *want, hg_err *err)
{
    return hg_err_validation(err, "%s: property '%s' must be %s", type, name, want);
}

int prov_check_string(const cJSON *in, const char *name, bool required, const char *type, hg_err *err)
{
    const cJSON *v = prov_get(in, name);
    if (!v) return required ? missing(type, name, err) : 0;
    if (!cJSON_IsString(v)) return wrong(type, name, "a string", err);
    if (required && !*v->valuestring) return wrong(type, name, "a non-empty string", err);
    return 0;
}

int prov_check_number(const cJSON *in, const char *name, bool required, double min, double max,
                      const char *type, hg_err *err)
{
    const cJSON *v = prov_get(in, name);
    if (!v) return required ? missing(type, name, err) : 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
        return wrong(type, name, "an integer", err);
    if (v->valuedouble < min || v->valuedouble > max)
        return hg_err_validation(err, "%s: property '%s' must be between %.0f and %.0f (got %.0f)", type, name,
                                 min, max, v->valuedouble);
    return 0;
}

int prov_check_bool(const cJSON *in, const char *name, const char *type, hg_err *err)
{
    const cJSON *v = prov_get(in, name);
    return !v || cJSON_IsBool(v) ? 0 : wrong(type, name, "a boolean", err);
}

int prov_check_object(const cJSON *in, const char *name, const char *type, hg_err *err)
{
    const cJSON *v = prov_get(in, name);
    return !v || cJSON_IsObject(v) ? 0 : wrong(type, name, "an object", err);
}

int prov_check_array(const cJSON *in, const char *name, const char *type, hg_err *err)
{
    const cJSON *v = prov_get(in, name);
    return !v || cJSON_IsArray(v) ? 0 : wrong(type, name, "a list", err);
}

int prov_check_string_map(const cJSON *in, const char *name, const char *type, hg_err *err)
{
    const cJSON *v = prov_get(in, name);
    if (!v) return 0;
    if (!cJSON_IsObject(v)) return wrong(type, name, "a map of strings", err);
    for (const cJSON *e = v->child; e; e = e->next)
        if (!cJSON_IsString(prov_unwrap(e)))
            return hg_err_validation(err, "%s: property '%s' must be a map of strings ('%s' is not a string)",
                                     type, name, e->string);
    return 0;
}

int prov_check_enum(const cJSON *in, const char *name, const char *const *allowed, const char *type,
                    hg_err *err)
{
    if (prov_check_string(in, name, false, type, err) < 0) return -1;
    const char *s = prov_str(in, name);
    /* an output not known until apply (preview) is checked then */
    if (!s || strcmp(s, PROG_UNKNOWN) == 0) return 0;
    hg_buf list;
    hg_buf_init(&list, 4096);
    for (int i = 0; allowed[i]; i++) {
        if (strcmp(s, allowed[i]) == 0) { hg_buf_release(&list); return 0; }
        hg_buf_printf(&list, "%s%s", i ? ", " : "", allowed[i]);
    }
    hg_err_validation(err, "%s: property '%s' must be one of [%s] (got '%s')", type, name, hg_buf_cstr(&list), s);
    hg_buf_release(&list);
    return -1;
}

/* Does s look like logical + "-" + 7 lowercase hex? */
static bool is_autoname_of(const char *s, const char *logical)
{
    size_t n = strlen(logical);
    if (strncmp(s, logical, n) != 0 || s[n] != '-' || strlen(s + n + 1) != 7) return false;
    for (const char *p = s + n + 1; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}

int prov_autoname_prop(prov_ctx *ctx, const cJSON *olds, cJSON *news, const char *prop, size_t maxlen,
                       const char *type, hg_err *err)
{
    if (prov_check_string(news, prop, false, type, err) < 0) return -1;
    const char *given = prov_str(news, prop);
    if (given) {
        if (!*given) return hg_err_validation(err, "%s: property '%s' must not be empty", type, prop);
        if (strlen(given) > maxlen)
            return hg_err_validation(err, "%s: property '%s' is longer than %zu characters: %s", type, prop, maxlen,
                                     given);
        return 0;
    }
    const char *logical = ctx && ctx->logical_name ? ctx->logical_name : "resource";
    const char *old = prov_str(olds, prop);
    char *name = old && is_autoname_of(old, logical) ? strdup(old) : prov_autoname(logical);
    if (!name) return hg_err_internal(err, "out of memory");
    if (strlen(name) > maxlen) {
        hg_err_validation(err, "%s: the auto-name '%s' is longer than %zu characters: give '%s' explicitly",
                          type, name, maxlen, prop);
        free(name);
        return -1;
    }
    prov_set_str(news, prop, name);
    free(name);
    return 0;
}

/* ---- outputs -------------------------------------------------------------- */

/* A deep copy with every secret wrapper replaced by its value. */
static cJSON *unwrapped_copy(const cJSON *v)
{
    v = prov_unwrap(v);
    if (!v) return cJSON_CreateNull();
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        cJSON *o = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
        for (const cJSON *e = v->child; e; e = e->next) {
            cJSON *c = unwrapped_copy(e);
            if (cJSON_IsObject(v)) cJSON_AddItemToObject(o, e->string, c);
            else cJSON_AddItemToArray(o, c);
        }
        return o;
    }
    return cJSON_Duplicate(v, 1);
}

cJSON *prov_outputs_base(const cJSON *inputs)
{
    return inputs ? unwrapped_copy(inputs) : cJSON_CreateObject();
}

void prov_set_str(cJSON *o, const char *key, const char *v)
{
    hg_json_set(o, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

void prov_set_num(cJSON *o, const char *key, double v)
{
    hg_json_set(o, key, cJSON_CreateNumber(v));
}

void prov_copy(cJSON *dst, const char *key, const cJSON *src, const char *from)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, from);
    if (!v) return;
    hg_json_set(dst, key, cJSON_Duplicate(v, 1));
}

/* ---- AWS ------------------------------------------------------------------ */

bool prov_not_found(const hg_err *err)
{
    return err->status == 404 || strstr(err->code, "NotFound") != NULL;
}

cJSON *prov_tags_list(const cJSON *tags)
{
    if (!cJSON_IsObject(tags) || !tags->child) return NULL;
    cJSON *list = cJSON_CreateArray();
    for (const cJSON *t = tags->child; t; t = t->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Key", t->string);
        const char *v = cJSON_GetStringValue(prov_unwrap(t));
        cJSON_AddStringToObject(e, "Value", v ? v : "");
        cJSON_AddItemToArray(list, e);
    }
    return list;
}

int prov_apigw(prov_ctx *ctx, const char *method, const char *path, const cJSON *body, cJSON **out, hg_err *err)
{
    if (!path) return hg_err_internal(err, "out of memory");
    return aws_rest_call(ctx->aws, "apigateway", method, path, NULL, body, out, err);
}

int prov_gone_ok(int rc, hg_err *err)
{
    if (rc < 0 && prov_not_found(err)) {
        hg_err_clear(err);
        return 0;
    }
    return rc;
}

bool prov_safe_segment(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              *s == '_' || *s == '.'))
            return false;
    return true;
}

char *prov_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

void prov_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

char *prov_autoname(const char *logical)
{
    unsigned char r[4];
    if (RAND_bytes(r, sizeof r) != 1) return NULL;
    return prov_fmt("%s-%02x%02x%02x%x", logical, r[0], r[1], r[2], r[3] & 15);
}

char *prov_base64(const void *data, size_t len)
{
    if (len > (size_t)INT32_MAX / 2) return NULL;
    size_t n = 4 * ((len + 2) / 3) + 1;
    char *out = malloc(n);
    if (!out) return NULL;
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

void prov_sha256_b64(const void *data, size_t len, char out[45])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    EVP_EncodeBlock((unsigned char *)out, md, sizeof md);
}

bool prov_iam_enabled(void)
{
    /* Real IAM calls, unless HANGAR_IAM=record: against an endpoint with no
     * IAM API, roles and policies are then only recorded, their outputs
     * derived as AWS shapes them. */
    const char *mode = getenv("HANGAR_IAM");
    return !(mode && strcmp(mode, "record") == 0);
}

char *prov_xml_text(const char *xml, const char *tag)
{
    char open[96], close[96];
    if (!xml || snprintf(open, sizeof open, "<%s>", tag) >= (int)sizeof open) return NULL;
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(xml, open);
    if (!a) return NULL;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b) return NULL;
    char *out = malloc((size_t)(b - a) + 1), *o = out;
    if (!out) return NULL;
    static const struct { const char *ent; char c; } ents[] = {
        { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' },
    };
    while (a < b) {
        size_t i, n = sizeof ents / sizeof ents[0];
        for (i = 0; i < n; i++) {
            size_t len = strlen(ents[i].ent);
            if ((size_t)(b - a) >= len && strncmp(a, ents[i].ent, len) == 0) {
                *o++ = ents[i].c;
                a += len;
                break;
            }
        }
        if (i == n) *o++ = *a++;
    }
    *o = '\0';
    return out;
}

/* ---- deterministic zip ---------------------------------------------------- */

typedef struct arc_entry {
    char *name;       /* relative path, '/' separated */
    unsigned char *data;
    size_t len;
} arc_entry;

typedef struct arc_list {
    arc_entry *v;
    size_t n, alloc, total;
} arc_list;

static void arc_list_release(arc_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].data);
    }
    free(l->v);
}

/* Takes ownership of name and data (frees them on failure). */
static int arc_add(arc_list *l, char *name, unsigned char *data, size_t len, hg_err *err)
{
    if (l->n >= ZIP_ENTRIES || len > ZIP_MAX || l->total + len > ZIP_MAX) {
        free(name);
        free(data);
        return hg_err_validation(err, "the code archive is too large (over %u bytes or %u files)", ZIP_MAX,
                                 ZIP_ENTRIES);
    }
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 16;
        arc_entry *nv = realloc(l->v, na * sizeof *nv);
        if (!nv) { free(name); free(data); return hg_err_internal(err, "out of memory"); }
        l->v = nv;
        l->alloc = na;
    }
    l->v[l->n++] = (arc_entry){ name, data, len };
    l->total += len;
    return 0;
}

static int read_file(const char *path, unsigned char **data, size_t *len, hg_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return hg_err_validation(err, "cannot read %s: %s", path, strerror(errno));
    hg_buf b;
    hg_buf_init(&b, ZIP_MAX);
    char chunk[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (hg_buf_append(&b, chunk, n) < 0) { rc = -1; break; }
    if (ferror(f) && rc == 0) rc = -2;
    fclose(f);
    if (rc < 0) {
        hg_buf_release(&b);
        return rc == -1 ? hg_err_validation(err, "%s is larger than %u bytes", path, ZIP_MAX)
                        : hg_err_validation(err, "cannot read %s", path);
    }
    *len = b.len;
    *data = b.data ? (unsigned char *)hg_buf_steal(&b) : calloc(1, 1);
    if (!*data) return hg_err_internal(err, "out of memory");
    return 0;
}

static int walk(arc_list *l, const char *dir, const char *rel, int depth, hg_err *err)
{
    if (depth > ZIP_DEPTH) return hg_err_validation(err, "%s: folders nest deeper than %d", dir, ZIP_DEPTH);
    DIR *d = opendir(dir);
    if (!d) return hg_err_validation(err, "cannot open folder %s: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *path = prov_fmt("%s/%s", dir, e->d_name);
        char *name = prov_fmt("%s%s%s", rel, *rel ? "/" : "", e->d_name);
        struct stat st;
        if (!path || !name) rc = hg_err_internal(err, "out of memory");
        else if (stat(path, &st) != 0) rc = 0;                      /* a dangling link: nothing to ship */
        else if (S_ISDIR(st.st_mode)) rc = walk(l, path, name, depth + 1, err);
        else if (S_ISREG(st.st_mode)) {
            unsigned char *data = NULL;
            size_t len = 0;
            rc = read_file(path, &data, &len, err);
            if (rc == 0) { rc = arc_add(l, name, data, len, err); name = NULL; }
        }
        free(path);
        free(name);
    }
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const arc_entry *)a)->name, ((const arc_entry *)b)->name);
}

#define DOS_TIME 0x0000u                        /* 00:00:00 */
#define DOS_DATE ((0u << 9) | (1u << 5) | 1u)   /* 1980-01-01 */
#define UNIX_FILE_0644 (0100644u << 16)

static int zip_fail(hg_err *err, zip_error_t *ze, const char *what)
{
    hg_err_internal(err, "cannot build the code archive (%s): %s", what, zip_error_strerror(ze));
    zip_error_fini(ze);
    return -1;
}

/* Write the sorted entries as a zip (stored) into memory, with libzip
 * writing into a buffer source that we keep and read back after close. */
static int zip_write(arc_list *l, void **zip, size_t *len, hg_err *err)
{
    qsort(l->v, l->n, sizeof *l->v, by_name);
    for (size_t i = 1; i < l->n; i++)
        if (strcmp(l->v[i - 1].name, l->v[i].name) == 0)
            return hg_err_validation(err, "the archive names '%s' twice", l->v[i].name);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *out = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (!out) return zip_fail(err, &ze, "buffer");
    zip_source_keep(out);                       /* survives zip_close, so we can read it */
    zip_t *za = zip_open_from_source(out, ZIP_TRUNCATE, &ze);
    if (!za) { zip_source_free(out); zip_source_free(out); return zip_fail(err, &ze, "open"); }
    for (size_t i = 0; i < l->n; i++) {
        const arc_entry *e = &l->v[i];
        /* the data stays owned by l until after zip_close, which reads it */
        zip_source_t *src = zip_source_buffer(za, e->data, e->len, 0);
        zip_int64_t idx = src ? zip_file_add(za, e->name, src, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0 || zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0) != 0 ||
            zip_file_set_dostime(za, (zip_uint64_t)idx, DOS_TIME, DOS_DATE, 0) != 0 ||
            zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, UNIX_FILE_0644) != 0) {
            if (idx < 0 && src) zip_source_free(src);
            hg_err_internal(err, "cannot add %s to the code archive: %s", e->name, zip_strerror(za));
            zip_discard(za);
            zip_source_free(out);
            return -1;
        }
    }
    if (zip_close(za) != 0) {
        hg_err_internal(err, "cannot write the code archive: %s", zip_strerror(za));
        zip_discard(za);
        zip_source_free(out);
        return -1;
    }
    int rc = -1;
    zip_stat_t zs;
    if (zip_source_stat(out, &zs) == 0 && (zs.valid & ZIP_STAT_SIZE) && zip_source_open(out) == 0) {
        size_t n = (size_t)zs.size;
        void *buf = malloc(n ? n : 1);
        if (buf && zip_source_read(out, buf, n) == (zip_int64_t)n) {
            *zip = buf;
            *len = n;
            rc = 0;
        } else {
            free(buf);
        }
        zip_source_close(out);
    }
    zip_source_free(out);
    return rc == 0 ? 0 : hg_err_internal(err, "cannot read back the code archive");
}

int prov_zip_dir(const char *dir, void **zip, size_t *len, hg_err *err)
{
    *zip = NULL;
    *len = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hg_err_validation(err, "archive path %s is not a folder", dir);
    arc_list l = { 0 };
    int rc = walk(&l, dir, "", 0, err);
    if (rc == 0) rc = zip_write(&l, zip, len, err);
    arc_list_release(&l);
    return rc;
}

static char *resolve_path(const prov_ctx *ctx, const char *path)
{
    if (path[0] == '/' || !ctx || !ctx->project_dir) return strdup(path);
    return prov_fmt("%s/%s", ctx->project_dir, path);
}

/* Add an asset or archive found under key name of an assetArchive. */
static int add_asset(const prov_ctx *ctx, arc_list *l, const char *name, const cJSON *v, hg_err *err)
{
    const char *text = hg_json_str(v, "text"), *path = hg_json_str(v, "path");
    if (prov_sig_is(v, PROG_SIG_ASSET) && text) {
        char *n = strdup(name), *d = strdup(text);
        if (!n || !d) { free(n); free(d); return hg_err_internal(err, "out of memory"); }
        return arc_add(l, n, (unsigned char *)d, strlen(text), err);
    }
    if (path) {
        char *full = resolve_path(ctx, path);
        if (!full) return hg_err_internal(err, "out of memory");
        struct stat st;
        int rc;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = walk(l, full, name, 0, err);
        } else {
            unsigned char *data = NULL;
            size_t len = 0;
            rc = read_file(full, &data, &len, err);
            if (rc == 0) {
                char *n = strdup(name);
                rc = n ? arc_add(l, n, data, len, err) : (free(data), hg_err_internal(err, "out of memory"));
            }
        }
        free(full);
        return rc;
    }
    return hg_err_validation(err, "assetArchive member '%s' is neither a text/path asset nor a path archive", name);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int prov_code_zip(const prov_ctx *ctx, const cJSON *value, void **zip, size_t *len, hg_err *err)
{
    *zip = NULL;
    *len = 0;
    value = prov_unwrap(value);
    const char *path = cJSON_IsString(value) ? value->valuestring : hg_json_str(value, "path");
    const cJSON *assets = cJSON_GetObjectItemCaseSensitive(value, "assets");
    if (path) {
        char *full = resolve_path(ctx, path);
        if (!full) return hg_err_internal(err, "out of memory");
        int rc;
        struct stat st;
        if (stat(full, &st) != 0) {
            rc = hg_err_validation(err, "code archive %s does not exist", full);
        } else if (S_ISDIR(st.st_mode)) {
            rc = prov_zip_dir(full, zip, len, err);
        } else if (ends_with(full, ".zip") || ends_with(full, ".jar")) {
            unsigned char *data = NULL;
            rc = read_file(full, &data, len, err);
            *zip = data;
        } else {
            rc = hg_err_validation(err, "code archive %s is neither a folder nor a .zip file", full);
        }
        free(full);
        return rc;
    }
    if (cJSON_IsObject(assets)) {
        arc_list l = { 0 };
        int rc = 0;
        for (const cJSON *a = assets->child; rc == 0 && a; a = a->next)
            rc = add_asset(ctx, &l, a->string, a, err);
        if (rc == 0) rc = zip_write(&l, zip, len, err);
        arc_list_release(&l);
        return rc;
    }
    return hg_err_validation(err, "property 'code' must be an archive (fn::fileArchive or fn::assetArchive) "
                             "or a path");
}
