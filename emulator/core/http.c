/* http.c — hg_response helpers; see http.h. */
#include "http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void hg_response_init(hg_response *resp)
{
    resp->status = 200;
    resp->content_type = "application/json";
    hg_buf_init(&resp->body, 0);
    resp->nheaders = 0;
    resp->owned_content_type = NULL;
}

void hg_response_release(hg_response *resp)
{
    hg_buf_release(&resp->body);
    for (int i = 0; i < resp->nheaders; i++) free(resp->headers[i].value);   /* a copied name too */
    resp->nheaders = 0;
    if (resp->owned_content_type && resp->content_type == resp->owned_content_type)
        resp->content_type = "application/json";
    free(resp->owned_content_type);
    resp->owned_content_type = NULL;
}

/* RFC 9110 token characters: what a header name may be made of. A table,
 * as the check runs on every header a Lambda behind API Gateway returns. */
static int is_token(const char *s)
{
    static const unsigned char separator[256] = {
        ['"'] = 1, ['('] = 1, [')'] = 1, [','] = 1, ['/'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1,
        ['>'] = 1, ['?'] = 1, ['@'] = 1, ['['] = 1, ['\\'] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1,
    };
    if (!*s) return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || separator[c]) return 0;
    }
    return 1;
}

/* value without CR and LF in a new block; with tail, the block is
 * "value\0tail\0" (one free for both). */
static char *copy_without_crlf(const char *value, const char *tail)
{
    size_t n = strlen(value), t = tail ? strlen(tail) + 1 : 0;
    if (n > SIZE_MAX - t - 1) return NULL;
    char *v = malloc(n + 1 + t);
    if (!v) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (value[i] != '\r' && value[i] != '\n') v[j++] = value[i];
    v[j] = '\0';
    if (tail) memcpy(v + j + 1, tail, t);
    return v;
}

int hg_response_header_copy(hg_response *resp, const char *name, const char *value)
{
    if (resp->nheaders >= HG_MAX_RESP_HEADERS || !is_token(name)) return -1;
    char *v = copy_without_crlf(value, name);        /* freeing the value frees the name too */
    if (!v) return -1;
    resp->headers[resp->nheaders].name = v + strlen(v) + 1;
    resp->headers[resp->nheaders].value = v;
    resp->nheaders++;
    return 0;
}

int hg_response_content_type_copy(hg_response *resp, const char *value)
{
    char *v = copy_without_crlf(value, NULL);
    if (!v) return -1;
    free(resp->owned_content_type);
    resp->owned_content_type = v;
    resp->content_type = v;
    return 0;
}

int hg_response_header(hg_response *resp, const char *name, const char *value)
{
    if (resp->nheaders >= HG_MAX_RESP_HEADERS) return -1;
    char *v = copy_without_crlf(value, NULL);
    if (!v) return -1;
    resp->headers[resp->nheaders].name = name;
    resp->headers[resp->nheaders].value = v;
    resp->nheaders++;
    return 0;
}

int hg_response_set(hg_response *resp, int status, const char *content_type,
                    const char *body, size_t len)
{
    resp->status = status;
    resp->content_type = content_type;
    hg_buf_reset(&resp->body);
    return hg_buf_append(&resp->body, body, len);
}
