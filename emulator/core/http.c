/* http.c — hg_response helpers; see http.h. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

void hg_response_init(hg_response *resp)
{
    resp->status = 200;
    resp->content_type = "application/json";
    hg_buf_init(&resp->body, 0);
    resp->nheaders = 0;
}

void hg_response_release(hg_response *resp)
{
    hg_buf_release(&resp->body);
    for (int i = 0; i < resp->nheaders; i++) free(resp->headers[i].value);
    resp->nheaders = 0;
}

int hg_response_header(hg_response *resp, const char *name, const char *value)
{
    if (resp->nheaders >= HG_MAX_RESP_HEADERS) return -1;
    size_t n = strlen(value);
    char *v = malloc(n + 1);
    if (!v) return -1;
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (value[i] != '\r' && value[i] != '\n') v[j++] = value[i];
    v[j] = '\0';
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
