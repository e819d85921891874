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

#include "hg_crypto.h"

void apigw_request_time(double t, char out[32])
{
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    /* the text changes once a second: gmtime_r and snprintf ran for every
     * request, so each thread keeps the last second's */
    static _Thread_local time_t last_secs = -1;
    static _Thread_local char last_text[32];
    time_t secs = (time_t)t;
    if (secs != last_secs) {
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(last_text, sizeof last_text, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
                 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        last_secs = secs;
    }
    memcpy(out, last_text, 32);
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

/* ---- made before writing ------------------------------------------------- */

typedef struct kv_list { apigw_kv *v; size_t n, cap; bool failed; } kv_list;

static void collect(void *ctx, const char *name, const char *value)
{
    kv_list *l = ctx;
    if (l->failed) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        apigw_kv *more = realloc(l->v, cap * sizeof *more);
        if (!more) { l->failed = true; return; }
        l->v = more;
        l->cap = cap;
    }
    l->v[l->n++] = (apigw_kv){ name, value };
}

static int collect_all(void (*each)(const hg_request *, hg_kv_visit, void *), const hg_request *req,
                       apigw_kv **out, size_t *n)
{
    kv_list l = { 0 };
    if (each) each(req, collect, &l);
    *out = l.v;
    *n = l.n;
    return l.failed ? -1 : 0;
}

void apigw_event_release(apigw_call *c)
{
    free(c->parts.headers);
    free(c->parts.query);
    free(c->parts.stage_path);
    free(c->parts.body_b64);
    memset(&c->parts, 0, sizeof c->parts);
}

int apigw_event_prepare(apigw_call *c)
{
    apigw_event_parts *p = &c->parts;
    memset(p, 0, sizeof *p);
    const hg_request *req = c->req;
    if (collect_all(req->each_header, req, &p->headers, &p->nheaders) != 0 ||
        collect_all(req->each_query, req, &p->query, &p->nquery) != 0)
        goto oom;
    const char *rest = c->path[0] ? c->path : "/";
    size_t stage_len = strlen(c->stage), rest_len = strlen(rest);
    if (!(p->stage_path = malloc(1 + stage_len + rest_len + 1))) goto oom;
    p->stage_path[0] = '/';                          /* "/{stage}{path}" */
    memcpy(p->stage_path + 1, c->stage, stage_len);
    memcpy(p->stage_path + 1 + stage_len, rest, rest_len + 1);
    /* body: base64 when binary by type or not UTF-8 text */
    if (req->body_len && (apigw_is_binary_type(hg_req_header(req, "Content-Type"), c->binary_media_types) ||
                          !apigw_valid_utf8(req->body, req->body_len))) {
        if (req->body_len > (SIZE_MAX - 8) / 4 * 3) goto oom;
        if (!(p->body_b64 = malloc((req->body_len + 2) / 3 * 4 + 1))) goto oom;
        hg_base64_encode((unsigned char *)p->body_b64, (const unsigned char *)req->body, (int)req->body_len);
    }
    return 0;
oom:
    apigw_event_release(c);
    return -1;
}

/* ---- writing --------------------------------------------------------------- */

static void string_or_null(hg_jw *w, const char *key, const char *s)
{
    if (s) w->ops->string(w, key, s);
    else w->ops->null(w, key);
}

static bool same_name(const apigw_kv *a, const apigw_kv *b) { return strcmp(a->name, b->name) == 0; }

/* single_key: each name once, its last value; multi_key: each name once
 * with all its values in order. Both are null when there is nothing (AWS's
 * shape, not {}). */
static void write_pairs(hg_jw *w, const char *single_key, const char *multi_key, const apigw_kv *kv, size_t n)
{
    const hg_jw_ops *o = w->ops;
    for (int multi = 0; multi < 2; multi++) {
        const char *key = multi ? multi_key : single_key;
        if (n == 0) { o->null(w, key); continue; }
        o->open(w, key, false, (int)(n < 64 ? n : 64));
        for (size_t i = 0; i < n; i++) {
            size_t seen = 0;
            while (seen < i && !same_name(&kv[seen], &kv[i])) seen++;
            if (seen < i) continue;                  /* written with its first occurrence */
            if (!multi) {
                size_t last = i;
                for (size_t j = i + 1; j < n; j++) if (same_name(&kv[j], &kv[i])) last = j;
                o->string(w, kv[i].name, kv[last].value);
                continue;
            }
            o->open(w, kv[i].name, true, 1);
            for (size_t j = i; j < n; j++) if (same_name(&kv[j], &kv[i])) o->string(w, NULL, kv[j].value);
            o->close(w);
        }
        o->close(w);
    }
}

/* An object of the call (path parameters, stage variables), or null when empty. */
static void write_map(hg_jw *w, const char *key, const cJSON *o)
{
    if (cJSON_IsObject(o) && o->child) hg_jw_cjson(w, key, o);
    else w->ops->null(w, key);
}

static const char *str_member(const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* Unset fields are null, as AWS sends them; an AWS_IAM method's signer
 * fills what API Gateway fills for a SigV4-signed call. */
static void write_identity(hg_jw *w, const apigw_call *c)
{
    const hg_jw_ops *o = w->ops;
    const char *key = c->iam_access_key;
    char ip[64] = "127.0.0.1";
    if (c->req->peer_ip && c->req->peer_ip(c->req, ip, sizeof ip) != 0) strcpy(ip, "127.0.0.1");
    o->open(w, "identity", false, 12);
    o->null(w, "cognitoIdentityPoolId");
    string_or_null(w, "accountId", key ? c->account : NULL);
    o->null(w, "cognitoIdentityId");
    string_or_null(w, "caller", key ? c->iam_user_id : NULL);
    o->string(w, "sourceIp", ip);
    o->null(w, "principalOrgId");
    string_or_null(w, "accessKey", key);
    o->null(w, "cognitoAuthenticationType");
    o->null(w, "cognitoAuthenticationProvider");
    string_or_null(w, "userArn", key ? c->iam_user_arn : NULL);
    string_or_null(w, "userAgent", hg_req_header(c->req, "User-Agent"));
    string_or_null(w, "user", key ? c->iam_user_id : NULL);
    o->close(w);
}

static void write_request_context(hg_jw *w, const apigw_call *c)
{
    const hg_jw_ops *o = w->ops;
    char time_text[32];
    apigw_request_time(c->now, time_text);
    char prefix[64];
    size_t prefix_len = strcspn(c->domain_name, ".:");
    if (prefix_len >= sizeof prefix) prefix_len = sizeof prefix - 1;
    memcpy(prefix, c->domain_name, prefix_len);
    prefix[prefix_len] = '\0';
    /* AWS's extended id is a short opaque token; derive one from the request id */
    char ext[24];
    const char *rid = c->req->request_id;
    size_t j = 0;
    for (size_t i = 0; rid[i] && j < 16; i++)
        if (rid[i] != '-') ext[j++] = (char)toupper((unsigned char)rid[i]);
    ext[j] = '\0';

    o->open(w, "requestContext", false, 16);
    o->string(w, "resourceId", str_member(c->resource, "id", ""));
    o->string(w, "resourcePath", str_member(c->resource, "path", "/"));
    o->string(w, "httpMethod", c->req->method);
    o->string(w, "extendedRequestId", ext);
    o->string(w, "requestTime", time_text);
    o->string(w, "path", c->parts.stage_path);
    o->string(w, "accountId", c->account);
    o->string(w, "protocol", "HTTP/1.1");
    o->string(w, "stage", c->stage);
    o->string(w, "domainPrefix", prefix);
    o->number(w, "requestTimeEpoch", floor(c->now * 1000.0));
    o->string(w, "requestId", c->req->request_id);
    write_identity(w, c);
    o->string(w, "domainName", c->domain_name);
    o->string(w, "apiId", c->api_id);
    o->close(w);
}

void apigw_event_write(hg_jw *w, const void *call)
{
    const apigw_call *c = call;
    const hg_jw_ops *o = w->ops;
    const hg_request *req = c->req;
    o->open(w, NULL, false, 12);
    o->string(w, "resource", str_member(c->resource, "path", "/"));
    o->string(w, "path", c->path[0] ? c->path : "/");
    o->string(w, "httpMethod", req->method);
    write_pairs(w, "headers", "multiValueHeaders", c->parts.headers, c->parts.nheaders);
    write_pairs(w, "queryStringParameters", "multiValueQueryStringParameters", c->parts.query, c->parts.nquery);
    write_map(w, "pathParameters", c->path_params);
    write_map(w, "stageVariables", c->stage_variables);
    write_request_context(w, c);
    /* body: null when empty; base64 when prepare found it binary */
    if (req->body_len == 0) o->null(w, "body");
    else o->string(w, "body", c->parts.body_b64 ? c->parts.body_b64 : req->body);
    o->boolean(w, "isBase64Encoded", req->body_len && c->parts.body_b64);
    o->close(w);
}

cJSON *apigw_event_new(const apigw_call *c)
{
    apigw_call own = *c;
    if (apigw_event_prepare(&own) != 0) return NULL;
    cJSON *e = hg_jw_build_tree(&(hg_jw_source){ apigw_event_write, &own });
    apigw_event_release(&own);
    return e;
}
