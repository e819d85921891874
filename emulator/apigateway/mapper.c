/*
 * mapper.c — from an integration's answer to the client's HTTP response.
 *
 * Lambda proxy (AWS_PROXY): the function's result must be a JSON object
 * whose keys are among statusCode, headers, multiValueHeaders, body and
 * isBase64Encoded; anything else is a "Malformed Lambda proxy response" and
 * the client gets 502 {"message": "Internal server error"}, exactly as API
 * Gateway answers. A JSON null counts as the key being absent (what a
 * Python None or a Java null serialises to). Scalar header values (numbers,
 * booleans) are taken as their text, as AWS's deserializer coerces them.
 *
 * MOCK: the request template's {"statusCode": N} picks the integration
 * response; its literal responseParameters become headers and its response
 * template (returned as written: templates are not evaluated) the body.
 */
#include "apigw_invoke.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hg_crypto.h"

void apigw_error(hg_response *resp, int status, const char *error_type, const char *msg)
{
    hg_response_release(resp);
    hg_response_init(resp);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "message", msg);
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    if (s) hg_response_set(resp, status, "application/json", s, strlen(s));
    else hg_response_set(resp, status, "application/json", "{}", 2);
    cJSON_free(s);
    cJSON_Delete(o);
    if (error_type) hg_response_header(resp, "x-amzn-ErrorType", error_type);
}

static int fail(char *why, size_t cap, const char *fmt, const char *detail)
{
    snprintf(why, cap, fmt, detail);
    return -1;
}

/* Text of a scalar header value into buf; -1 for objects/arrays. */
static int scalar_text(const cJSON *v, char *buf, size_t cap, const char **out)
{
    if (cJSON_IsString(v)) { *out = v->valuestring; return 0; }
    if (cJSON_IsBool(v)) { *out = cJSON_IsTrue(v) ? "true" : "false"; return 0; }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d && d > -1e15 && d < 1e15) snprintf(buf, cap, "%lld", (long long)d);
        else snprintf(buf, cap, "%.17g", d);
        *out = buf;
        return 0;
    }
    return -1;
}

/* Headers the HTTP layer writes itself, whatever the function says. */
static int core_header(const char *name)
{
    return strcasecmp(name, "Content-Length") == 0 || strcasecmp(name, "Transfer-Encoding") == 0 ||
           strcasecmp(name, "Connection") == 0;
}

static int emit_header(hg_response *resp, const char *name, const char *value, int *have_ct)
{
    if (core_header(name)) return 0;
    if (strcasecmp(name, "Content-Type") == 0) {
        if (*have_ct) return 0;          /* one Content-Type: the first wins */
        *have_ct = 1;
        return hg_response_content_type_copy(resp, value);
    }
    return hg_response_header_copy(resp, name, value);
}

static int is_null_or_absent(const cJSON *v) { return !v || cJSON_IsNull(v); }

/* Is the pair (name, value) among multiValueHeaders' values for name? */
static int in_multi(const cJSON *multi, const char *name, const char *value)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, multi) {
        if (!m->string || strcasecmp(m->string, name) != 0) continue;
        const cJSON *v;
        cJSON_ArrayForEach(v, m) {
            char buf[40];
            const char *t;
            if (scalar_text(v, buf, sizeof buf, &t) == 0 && strcmp(t, value) == 0) return 1;
        }
    }
    return 0;
}

static int decode_base64(const char *in, hg_buf *out)
{
    size_t n = strlen(in);
    if (n % 4 != 0 || n > (size_t)INT32_MAX) return -1;
    if (n == 0) return 0;
    unsigned char *tmp = malloc(n / 4 * 3 + 1);
    if (!tmp) return -1;
    int len = hg_base64_decode(tmp, (const unsigned char *)in, (int)n);
    if (len < 0) { free(tmp); return -1; }
    if (n >= 1 && in[n - 1] == '=') len--;          /* EVP_DecodeBlock counts padding as zeros */
    if (n >= 2 && in[n - 2] == '=') len--;
    int rc = hg_buf_append(out, tmp, (size_t)len);
    free(tmp);
    return rc;
}

int apigw_map_proxy_response(const char *payload, size_t len, hg_response *resp, char *why, size_t why_cap)
{
    cJSON *r = payload ? cJSON_ParseWithLength(payload, len) : NULL;
    int rc = apigw_map_proxy_tree(r, resp, why, why_cap);
    cJSON_Delete(r);
    return rc;
}

int apigw_map_proxy_tree(const cJSON *r, hg_response *resp, char *why, size_t why_cap)
{
    static const char *const allowed[] = { "statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded" };
    int rc = -1;
    if (!cJSON_IsObject(r)) { fail(why, why_cap, "%s", "the result is not a JSON object"); goto out; }
    const cJSON *m;
    cJSON_ArrayForEach(m, r) {
        size_t i = 0;
        while (i < 5 && strcmp(m->string, allowed[i]) != 0) i++;
        if (i == 5) { fail(why, why_cap, "unknown key '%.100s' (allowed: statusCode, headers, multiValueHeaders, body, isBase64Encoded)", m->string); goto out; }
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(r, "statusCode");
    const cJSON *headers = cJSON_GetObjectItemCaseSensitive(r, "headers");
    const cJSON *multi = cJSON_GetObjectItemCaseSensitive(r, "multiValueHeaders");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(r, "body");
    const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(r, "isBase64Encoded");

    int code = 200;
    if (!is_null_or_absent(status)) {
        double d;
        if (cJSON_IsNumber(status)) d = status->valuedouble;
        else if (cJSON_IsString(status)) {
            const char *s = status->valuestring;
            char *end;
            if (!*s || !isdigit((unsigned char)*s)) { fail(why, why_cap, "statusCode '%.40s' is not a number", s); goto out; }
            d = strtod(s, &end);
            if (*end) { fail(why, why_cap, "statusCode '%.40s' is not a number", s); goto out; }
        } else { fail(why, why_cap, "%s", "statusCode is neither a number nor a numeric string"); goto out; }
        if (d != (double)(int)d || d < 100 || d > 599) { fail(why, why_cap, "%s", "statusCode is not an HTTP status (100-599)"); goto out; }
        code = (int)d;
    }
    if (!is_null_or_absent(headers)) {
        if (!cJSON_IsObject(headers)) { fail(why, why_cap, "%s", "headers is not an object"); goto out; }
        cJSON_ArrayForEach(m, headers) {
            char buf[40];
            const char *t;
            if (!cJSON_IsNull(m) && scalar_text(m, buf, sizeof buf, &t) != 0) { fail(why, why_cap, "header '%.100s' is not a string", m->string); goto out; }
        }
    }
    if (!is_null_or_absent(multi)) {
        if (!cJSON_IsObject(multi)) { fail(why, why_cap, "%s", "multiValueHeaders is not an object"); goto out; }
        cJSON_ArrayForEach(m, multi) {
            if (cJSON_IsNull(m)) continue;
            if (!cJSON_IsArray(m)) { fail(why, why_cap, "multiValueHeaders '%.100s' is not a list", m->string); goto out; }
            const cJSON *v;
            cJSON_ArrayForEach(v, m) {
                char buf[40];
                const char *t;
                if (scalar_text(v, buf, sizeof buf, &t) != 0) { fail(why, why_cap, "multiValueHeaders '%.100s' holds a value that is not a string", m->string); goto out; }
            }
        }
    }
    if (!is_null_or_absent(body) && !cJSON_IsString(body)) { fail(why, why_cap, "%s", "body is not a string"); goto out; }
    if (!is_null_or_absent(b64) && !cJSON_IsBool(b64)) { fail(why, why_cap, "%s", "isBase64Encoded is not a boolean"); goto out; }

    /* valid: write it. multiValueHeaders first, then headers' pairs not already there */
    resp->status = code;
    resp->content_type = "application/json";
    int have_ct = 0;
    if (cJSON_IsObject(multi)) cJSON_ArrayForEach(m, multi) {
        if (!cJSON_IsArray(m)) continue;
        const cJSON *v;
        cJSON_ArrayForEach(v, m) {
            char buf[40];
            const char *t;
            scalar_text(v, buf, sizeof buf, &t);
            if (emit_header(resp, m->string, t, &have_ct) != 0) { fail(why, why_cap, "header '%.100s' cannot be sent (bad name or too many headers)", m->string); goto out; }
        }
    }
    if (cJSON_IsObject(headers)) cJSON_ArrayForEach(m, headers) {
        char buf[40];
        const char *t;
        if (cJSON_IsNull(m) || scalar_text(m, buf, sizeof buf, &t) != 0) continue;
        if (in_multi(multi, m->string, t)) continue;
        if (emit_header(resp, m->string, t, &have_ct) != 0) { fail(why, why_cap, "header '%.100s' cannot be sent (bad name or too many headers)", m->string); goto out; }
    }
    hg_buf_reset(&resp->body);
    if (cJSON_IsString(body)) {
        if (cJSON_IsTrue(b64)) {
            if (decode_base64(body->valuestring, &resp->body) != 0) { fail(why, why_cap, "%s", "body is not valid base64 although isBase64Encoded is true"); goto out; }
        } else if (hg_buf_puts(&resp->body, body->valuestring) != 0) {
            fail(why, why_cap, "%s", "body too large");
            goto out;
        }
    }
    rc = 0;
out:
    return rc;
}

int apigw_map_plain_response(const hg_plain_response *r, hg_response *resp, char *why, size_t why_cap)
{
    /* what apigw_map_proxy_tree writes for the same result as a tree: it
     * passes every check there by construction (hg_plain.h) */
    resp->status = r->status_code ? r->status_code : 200;
    resp->content_type = "application/json";
    int have_ct = 0;
    for (int i = 0; i < r->nheaders; i++)
        if (emit_header(resp, r->header_name[i], r->header_value[i], &have_ct) != 0)
            return fail(why, why_cap, "header '%.100s' cannot be sent (bad name or too many headers)",
                        r->header_name[i]);
    hg_buf_reset(&resp->body);
    if (r->body && hg_buf_append(&resp->body, r->body, r->body_len) != 0)
        return fail(why, why_cap, "%s", "body too large");
    return 0;
}

static void take_plain(void *ctx, const hg_plain_response *r)
{
    apigw_plain_sink *ps = ctx;
    ps->rc = apigw_map_plain_response(r, ps->resp, ps->why, ps->why_cap);
}

void apigw_plain_sink_init(apigw_plain_sink *ps, hg_response *resp, char *why, size_t why_cap)
{
    ps->resp = resp;
    ps->why = why;
    ps->why_cap = why_cap;
    ps->rc = 0;
    ps->sink = (hg_plain_sink){ take_plain, ps, 0 };
}

/* ---- MOCK ------------------------------------------------------------------ */

/* The template for the request's Content-Type, else application/json, else the first. */
static const cJSON *pick_template(const cJSON *templates, const char *content_type)
{
    if (!cJSON_IsObject(templates) || !templates->child) return NULL;
    const cJSON *t;
    if (content_type) {
        size_t n = strcspn(content_type, "; ");
        cJSON_ArrayForEach(t, templates)
            if (strlen(t->string) == n && strncasecmp(t->string, content_type, n) == 0) return t;
    }
    t = cJSON_GetObjectItemCaseSensitive(templates, "application/json");
    return t ? t : templates->child;
}

/* "statusCode": N in a request template (VTL is not evaluated: the literal is read). */
static int template_status(const char *tpl)
{
    const char *p = tpl ? strstr(tpl, "statusCode") : NULL;
    if (!p) return 200;
    p += strlen("statusCode");
    while (*p == '"' || *p == '\'' || isspace((unsigned char)*p)) p++;
    if (*p != ':') return 200;
    p++;
    while (isspace((unsigned char)*p) || *p == '"' || *p == '\'') p++;
    int code = 0;
    for (int i = 0; i < 3 && isdigit((unsigned char)p[i]); i++) code = code * 10 + (p[i] - '0');
    return code >= 100 && code <= 599 ? code : 200;
}

/* Does the whole of text match the selectionPattern? Patterns are Java
 * regexes; POSIX ERE lacks the \\d \\w \\s shorthands, so they become classes. */
static int pattern_matches(const char *pattern, const char *text)
{
    size_t n = strlen(pattern);
    if (n > 4096) return 0;
    char *ere = malloc(n * 14 + 8);                 /* "[[:space:]]" is the longest expansion */
    if (!ere) return 0;
    size_t o = 0;
    ere[o++] = '^';
    ere[o++] = '(';
    for (size_t i = 0; i < n; i++) {
        const char *cls = NULL;
        if (pattern[i] == '\\' && i + 1 < n) {
            switch (pattern[i + 1]) {
            case 'd': cls = "[0-9]"; break;
            case 'D': cls = "[^0-9]"; break;
            case 'w': cls = "[A-Za-z0-9_]"; break;
            case 'W': cls = "[^A-Za-z0-9_]"; break;
            case 's': cls = "[[:space:]]"; break;
            case 'S': cls = "[^[:space:]]"; break;
            }
        }
        if (cls) {
            size_t k = strlen(cls);
            memcpy(ere + o, cls, k);
            o += k;
            i++;
        } else {
            ere[o++] = pattern[i];
        }
    }
    ere[o++] = ')';
    ere[o++] = '$';
    ere[o] = '\0';
    regex_t re;
    int ok = regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) == 0;
    free(ere);
    if (!ok) return 0;
    int m = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return m;
}

int apigw_mock_response(const cJSON *method, const hg_request *req, hg_response *resp, char *why, size_t why_cap)
{
    const cJSON *integ = cJSON_GetObjectItemCaseSensitive(method, "methodIntegration");
    const char *ct = hg_req_header(req, "Content-Type");
    const cJSON *tpl = pick_template(cJSON_GetObjectItemCaseSensitive(integ, "requestTemplates"), ct);
    int status = template_status(cJSON_IsString(tpl) ? tpl->valuestring : NULL);
    char status_text[8];
    snprintf(status_text, sizeof status_text, "%d", status);

    const cJSON *responses = cJSON_GetObjectItemCaseSensitive(integ, "integrationResponses");
    const cJSON *chosen = NULL, *fallback = NULL, *ir;
    cJSON_ArrayForEach(ir, responses) {
        const cJSON *sel = cJSON_GetObjectItemCaseSensitive(ir, "selectionPattern");
        if (!cJSON_IsString(sel) || !sel->valuestring[0]) { if (!fallback) fallback = ir; continue; }
        if (!chosen && pattern_matches(sel->valuestring, status_text)) chosen = ir;
    }
    if (!chosen) chosen = fallback;
    if (!chosen) {
        snprintf(why, why_cap, "Execution failed due to configuration error: No match for output mapping and "
                 "no default output mapping specified (MOCK status %d)", status);
        return -1;
    }
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(chosen, "statusCode");
    int code = cJSON_IsString(sc) ? atoi(sc->valuestring) : 200;
    resp->status = code >= 100 && code <= 599 ? code : 200;
    resp->content_type = "application/json";

    const cJSON *params = cJSON_GetObjectItemCaseSensitive(chosen, "responseParameters"), *p;
    static const char prefix[] = "method.response.header.";
    cJSON_ArrayForEach(p, params) {
        if (!cJSON_IsString(p) || strncmp(p->string, prefix, sizeof prefix - 1) != 0) continue;
        const char *v = p->valuestring;
        size_t n = strlen(v);
        if (n < 2 || v[0] != '\'' || v[n - 1] != '\'') continue;     /* only 'literals' have a value without a backend */
        char *lit = strndup(v + 1, n - 2);
        if (!lit) return snprintf(why, why_cap, "out of memory"), -1;
        const char *name = p->string + sizeof prefix - 1;
        int rc = strcasecmp(name, "Content-Type") == 0 ? hg_response_content_type_copy(resp, lit)
                                                       : hg_response_header_copy(resp, name, lit);
        free(lit);
        if (rc != 0) { snprintf(why, why_cap, "header '%.100s' cannot be sent", name); return -1; }
    }
    const cJSON *rt = pick_template(cJSON_GetObjectItemCaseSensitive(chosen, "responseTemplates"),
                                    hg_req_header(req, "Accept"));
    hg_buf_reset(&resp->body);
    if (cJSON_IsString(rt)) {
        if (resp->content_type && strcmp(resp->content_type, "application/json") == 0 && rt->string &&
            strcmp(rt->string, "application/json") != 0)
            hg_response_content_type_copy(resp, rt->string);
        if (hg_buf_puts(&resp->body, rt->valuestring) != 0) { snprintf(why, why_cap, "out of memory"); return -1; }
    }
    return 0;
}
