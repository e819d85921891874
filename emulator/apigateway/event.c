/*
 * event.c — the Lambda proxy event of a REST API (payload format 1.0), with
 * every key AWS sends even when it has nothing to say: empty maps are JSON
 * null (not {}), a missing body is null, identity fields AWS leaves unset
 * are null. Handlers written against AWS read keys without guards; so must
 * they here.
 */
#include "apigw_invoke.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

/* The event lives only while the request is served: its literal keys and
 * the strings it takes from the call (request, resource, names) go in as
 * references, not copies; a malloc and a free fewer for each. Only text
 * made here (times, ids, base64) and the request's header and query pairs
 * are copied. */
static void put(cJSON *o, const char *literal_key, cJSON *item)
{
    if (item && !cJSON_AddItemToObjectCS(o, literal_key, item)) cJSON_Delete(item);
}

static void put_ref(cJSON *o, const char *literal_key, const char *borrowed)
{
    put(o, literal_key, cJSON_CreateStringReference(borrowed));
}

static void put_copy(cJSON *o, const char *literal_key, const char *text)
{
    put(o, literal_key, cJSON_CreateString(text));
}

void apigw_request_time(double t, char out[32])
{
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(out, 32, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon % 12],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool apigw_valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n;
        unsigned min;
        if (c == 0) return false;
        if (c < 0x80) { p++; continue; }
        else if ((c & 0xE0) == 0xC0) { n = 1; c &= 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { n = 2; c &= 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { n = 3; c &= 0x07; min = 0x10000; }
        else return false;
        if ((size_t)(end - p) <= n) return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80) return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
        p += n + 1;
    }
    return true;
}

/* Compare the type/subtype of a Content-Type (parameters and case ignored)
 * with a pattern that may be "type/ *" or "* / *" (no spaces). */
static bool type_matches(const char *ct, size_t ctlen, const char *pat)
{
    const char *slash = memchr(ct, '/', ctlen);
    const char *pslash = strchr(pat, '/');
    if (!slash || !pslash) return false;
    size_t tlen = (size_t)(slash - ct), ptlen = (size_t)(pslash - pat);
    const char *sub = slash + 1, *psub = pslash + 1;
    size_t slen = ctlen - tlen - 1;
    bool type_ok = (ptlen == 1 && pat[0] == '*') || (ptlen == tlen && strncasecmp(ct, pat, tlen) == 0);
    bool sub_ok = strcmp(psub, "*") == 0 || (strlen(psub) == slen && strncasecmp(sub, psub, slen) == 0);
    return type_ok && sub_ok;
}

bool apigw_is_binary_type(const char *content_type, const cJSON *binary_media_types)
{
    if (!content_type || !cJSON_IsArray(binary_media_types)) return false;
    while (*content_type == ' ') content_type++;
    size_t n = strcspn(content_type, "; ");
    const cJSON *t;
    cJSON_ArrayForEach(t, binary_media_types)
        if (cJSON_IsString(t) && type_matches(content_type, n, t->valuestring)) return true;
    return false;
}

/* ---- headers and query: single-value (last wins) and multi-value maps ------ */

typedef struct two_maps { cJSON *single, *multi; int failed; } two_maps;

static void collect(void *ctx, const char *name, const char *value)
{
    two_maps *m = ctx;
    if (m->failed) return;
    cJSON *v = cJSON_CreateString(value);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(m->multi, name);
    if (!list) {
        list = cJSON_CreateArray();
        if (!list || !cJSON_AddItemToObject(m->multi, name, list)) { cJSON_Delete(list); list = NULL; }
    }
    cJSON *v2 = cJSON_CreateString(value);
    if (!v || !v2 || !list || !cJSON_AddItemToArray(list, v2)) {
        cJSON_Delete(v);
        cJSON_Delete(v2);
        m->failed = 1;
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(m->single, name)) cJSON_ReplaceItemInObjectCaseSensitive(m->single, name, v);
    else cJSON_AddItemToObject(m->single, name, v);
}

/* Add key -> o, or null when o is NULL or empty (AWS's shape); takes o. */
static void add_map_or_null(cJSON *event, const char *literal_key, cJSON *o)
{
    if (!o || !o->child) {
        cJSON_Delete(o);
        put(event, literal_key, cJSON_CreateNull());
    } else {
        put(event, literal_key, o);
    }
}

static int add_pair(cJSON *event, const char *single_key, const char *multi_key,
                    void (*each)(const hg_request *, hg_kv_visit, void *), const hg_request *req)
{
    two_maps m = { cJSON_CreateObject(), cJSON_CreateObject(), 0 };
    if (!m.single || !m.multi) m.failed = 1;
    else if (each) each(req, collect, &m);
    if (m.failed) { cJSON_Delete(m.single); cJSON_Delete(m.multi); return -1; }
    add_map_or_null(event, single_key, m.single);
    add_map_or_null(event, multi_key, m.multi);
    return 0;
}

static cJSON *dup_or_null(const cJSON *o)
{
    if (!cJSON_IsObject(o) || !o->child) return cJSON_CreateNull();
    return cJSON_Duplicate(o, 1);
}

static const char *str_member(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static cJSON *identity(const apigw_call *c)
{
    static const char *const unset[] = { "cognitoIdentityPoolId", "accountId", "cognitoIdentityId",
        "caller", "principalOrgId", "accessKey", "cognitoAuthenticationType",
        "cognitoAuthenticationProvider", "userArn", "user" };
    cJSON *id = cJSON_CreateObject();
    if (!id) return NULL;
    for (size_t i = 0; i < sizeof unset / sizeof unset[0]; i++) put(id, unset[i], cJSON_CreateNull());
    if (c->iam_access_key) {
        /* what API Gateway fills for a SigV4-signed call to an AWS_IAM method */
        cJSON_ReplaceItemInObjectCaseSensitive(id, "accountId", cJSON_CreateString(c->account));
        cJSON_ReplaceItemInObjectCaseSensitive(id, "caller", cJSON_CreateString(c->iam_user_id));
        cJSON_ReplaceItemInObjectCaseSensitive(id, "accessKey", cJSON_CreateString(c->iam_access_key));
        cJSON_ReplaceItemInObjectCaseSensitive(id, "userArn", cJSON_CreateString(c->iam_user_arn));
        cJSON_ReplaceItemInObjectCaseSensitive(id, "user", cJSON_CreateString(c->iam_user_id));
    }
    char ip[64] = "127.0.0.1";
    if (c->req->peer_ip && c->req->peer_ip(c->req, ip, sizeof ip) != 0) strcpy(ip, "127.0.0.1");
    put_copy(id, "sourceIp", ip);
    const char *ua = hg_req_header(c->req, "User-Agent");
    put(id, "userAgent", ua ? cJSON_CreateString(ua) : cJSON_CreateNull());
    return id;
}

static cJSON *request_context(const apigw_call *c)
{
    cJSON *rc = cJSON_CreateObject();
    if (!rc) return NULL;
    const char *resource_path = str_member(c->resource, "path", "/");
    char time_text[32];
    apigw_request_time(c->now, time_text);
    const char *rest = c->path[0] ? c->path : "/";
    size_t sp_len = 1 + strlen(c->stage) + strlen(rest) + 1;
    char *stage_path = malloc(sp_len);
    if (!stage_path) { cJSON_Delete(rc); return NULL; }
    snprintf(stage_path, sp_len, "/%s%s", c->stage, rest);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%.*s", (int)strcspn(c->domain_name, ".:"), c->domain_name);
    /* AWS's extended id is a short opaque token; derive one from the request id */
    char ext[24];
    const char *rid = c->req->request_id;
    size_t j = 0;
    for (size_t i = 0; rid[i] && j < 16; i++)
        if (rid[i] != '-') ext[j++] = (char)toupper((unsigned char)rid[i]);
    ext[j] = '\0';

    put_ref(rc, "resourceId", str_member(c->resource, "id", ""));
    put_ref(rc, "resourcePath", resource_path);
    put_ref(rc, "httpMethod", c->req->method);
    put_copy(rc, "extendedRequestId", ext);
    put_copy(rc, "requestTime", time_text);
    put_copy(rc, "path", stage_path);
    free(stage_path);
    put_ref(rc, "accountId", c->account);
    put_ref(rc, "protocol", "HTTP/1.1");
    put_ref(rc, "stage", c->stage);
    put_copy(rc, "domainPrefix", prefix);
    put(rc, "requestTimeEpoch", cJSON_CreateNumber(floor(c->now * 1000.0)));
    put_ref(rc, "requestId", c->req->request_id);
    put(rc, "identity", identity(c));
    put_ref(rc, "domainName", c->domain_name);
    put_ref(rc, "apiId", c->api_id);
    return rc;
}

/* body: null when empty; base64 when binary by type or not UTF-8 text. */
static int add_body(cJSON *event, const apigw_call *c)
{
    const hg_request *req = c->req;
    if (req->body_len == 0) {
        put(event, "body", cJSON_CreateNull());
        put(event, "isBase64Encoded", cJSON_CreateFalse());
        return 0;
    }
    bool binary = apigw_is_binary_type(hg_req_header(req, "Content-Type"), c->binary_media_types) ||
                  !apigw_valid_utf8(req->body, req->body_len);
    if (!binary) {
        put_ref(event, "body", req->body);
        put(event, "isBase64Encoded", cJSON_CreateFalse());
        return 0;
    }
    if (req->body_len > (SIZE_MAX - 8) / 4 * 3) return -1;
    size_t cap = (req->body_len + 2) / 3 * 4 + 1;
    char *b64 = malloc(cap);
    if (!b64) return -1;
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)req->body, (int)req->body_len);
    put_copy(event, "body", b64);
    free(b64);
    put(event, "isBase64Encoded", cJSON_CreateTrue());
    return 0;
}

cJSON *apigw_event_new(const apigw_call *c)
{
    cJSON *e = cJSON_CreateObject();
    if (!e) return NULL;
    put_ref(e, "resource", str_member(c->resource, "path", "/"));
    put_ref(e, "path", c->path[0] ? c->path : "/");
    put_ref(e, "httpMethod", c->req->method);
    if (add_pair(e, "headers", "multiValueHeaders", c->req->each_header, c->req) != 0 ||
        add_pair(e, "queryStringParameters", "multiValueQueryStringParameters", c->req->each_query, c->req) != 0)
        goto oom;
    put(e, "pathParameters", dup_or_null(c->path_params));
    put(e, "stageVariables", dup_or_null(c->stage_variables));
    cJSON *rc = request_context(c);
    if (!rc) goto oom;
    put(e, "requestContext", rc);
    if (add_body(e, c) != 0) goto oom;
    return e;
oom:
    cJSON_Delete(e);
    return NULL;
}
