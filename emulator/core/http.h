/*
 * http.h — the request and response every service sees.
 *
 * core/server.c builds an hg_request from libmicrohttpd's callbacks (headers
 * checked, body accumulated under its cap) and hands it to core/router.c,
 * which picks the service. A service fills the hg_response (status, headers,
 * body) or reports an hg_err; only core turns either into bytes on the wire.
 *
 * Ownership: the request and everything it points to belong to core and
 * live until the response is queued. The response owns its body buffer and
 * header values; services add to it with the functions below.
 */
#ifndef HG_HTTP_H
#define HG_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "hg_buf.h"
#include "hg_error.h"

#define HG_MAX_BODY        (16u * 1024 * 1024)   /* larger bodies get 413 before they are read */
#define HG_MAX_RESP_HEADERS 64   /* a proxied Lambda may set many (CORS, cookies) */

typedef struct hg_request hg_request;

/* Called once per header or query argument, duplicates included, in arrival
 * order; value is "" for a bare `?flag`. Both strings are borrowed. */
typedef void (*hg_kv_visit)(void *ctx, const char *name, const char *value);

struct hg_request {
    const char *method;         /* "GET", "POST", ... */
    const char *path;           /* URL path, without query */
    const char *body;           /* NUL-terminated; body_len excludes the NUL */
    size_t      body_len;
    char        region[33];     /* from the SigV4 credential scope, else --region */
    char        access_key[129];/* from the credential scope, "" when unsigned */
    char        signing_service[33]; /* service of the credential scope, "" when unsigned */
    char        request_id[40];
    const char *service;        /* set by the router, for the access log */
    const char *operation;      /* set by the service, for the access log */
    /* header and query lookup, bound by core to the connection */
    const char *(*header)(const hg_request *req, const char *name);
    const char *(*query)(const hg_request *req, const char *name);
    void       *conn;           /* core's connection handle; services don't touch it */
    /* enumeration, for services that must see every value (API Gateway's
     * proxy event); NULL when the request was not built by core */
    void (*each_header)(const hg_request *req, hg_kv_visit visit, void *ctx);
    void (*each_query)(const hg_request *req, hg_kv_visit visit, void *ctx);
    /* the client's address as text ("127.0.0.1"); 0, or -1 when unknown */
    int  (*peer_ip)(const hg_request *req, char *buf, size_t cap);
    /* the request target exactly as sent (path and query still
     * percent-encoded), for SigV4; NULL when the request was not built by core */
    const char *raw_uri;
    /* --auth enforce: the verified caller (core/auth.c), NULL otherwise */
    const struct iam_user *caller;
};

typedef struct hg_response {
    int    status;
    const char *content_type;   /* static string */
    hg_buf body;
    int    nheaders;
    struct { const char *name; char *value; } headers[HG_MAX_RESP_HEADERS];
    char  *owned_content_type;  /* heap copy behind content_type, or NULL */
} hg_response;

static inline const char *hg_req_header(const hg_request *r, const char *name)
{ return r->header(r, name); }
static inline const char *hg_req_query(const hg_request *r, const char *name)
{ return r->query ? r->query(r, name) : NULL; }

void hg_response_init(hg_response *resp);
void hg_response_release(hg_response *resp);
/* Add a header; name must be a static string. The value is copied with any
 * CR/LF stripped (header injection). Returns -1 when the table is full. */
int  hg_response_header(hg_response *resp, const char *name, const char *value);
/* Add a header whose name is not static (e.g. set by a Lambda behind API
 * Gateway): name and value are copied, CR/LF stripped from the value; a
 * name that is not an HTTP token is refused. Returns -1 when refused/full. */
int  hg_response_header_copy(hg_response *resp, const char *name, const char *value);
/* Make a copy of value the response's Content-Type (CR/LF stripped). */
int  hg_response_content_type_copy(hg_response *resp, const char *value);
/* Set status, content type and body (copied). */
int  hg_response_set(hg_response *resp, int status, const char *content_type,
                     const char *body, size_t len);

#endif
