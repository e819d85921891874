/* server.c — libmicrohttpd glue; the thread model is in server.h. */
#include "server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include "acceptor.h"
#include "config.h"
#include "hg_log.h"
#include "hg_parse.h"
#include "hg_sigv4.h"
#include "hg_uuid.h"
#include "http.h"
#include "offload.h"
#include "service.h"
#include "store.h"

struct hg_server {
    hg_acceptor *acceptor;
};

/* Per-request state, owned by libmicrohttpd's *req_cls. */
typedef struct conn_state {
    hg_buf body;
    int    too_large;
    int    started;          /* the first, headers-only call has been seen */
    char  *raw_uri;          /* the request target as sent (URI log callback), for SigV4 */
    struct timespec start;
    struct moved *moved;     /* while the request is on the slow lane, and until its answer is sent */
} conn_state;

/* One header or query argument of a moved request (value NULL for a bare
 * `?flag`, as libmicrohttpd has it). */
typedef struct moved_value {
    enum MHD_ValueKind kind;
    const char *key, *value;
} moved_value;

/* A request moved to the slow lane (offload.h), allocated only then: the
 * lane owns req and resp from the suspend until it resumes the connection;
 * then the worker sends resp. libmicrohttpd does not promise that another
 * thread may read a suspended connection, so everything req needs from it
 * (headers, query arguments, method, path, target, peer address) is copied
 * into this one block before the suspend, and the lane calls nothing of
 * libmicrohttpd's but MHD_resume_connection, which it does promise. */
typedef struct moved {
    struct MHD_Connection *conn;
    hg_request req;
    hg_response resp;
    int nvalues;
    moved_value *values;        /* in arrival order; they and their strings follow in the block */
    int has_peer;
    char peer[64];
} moved;

static void moved_free(conn_state *st)
{
    if (!st->moved) return;
    hg_response_release(&st->moved->resp);
    free(st->moved);
    st->moved = NULL;
}

/* libmicrohttpd hands us the request target before it unescapes it; SigV4
 * signs the escaped form, so keep it. The state made here becomes *req_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls; (void)conn;
    conn_state *st = calloc(1, sizeof *st);
    if (st && uri) st->raw_uri = strdup(uri);
    return st;
}

static const char *conn_header(const hg_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, name);
}

static const char *conn_query(const hg_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct visit_ctx { hg_kv_visit visit; void *ctx; } visit_ctx;

static enum MHD_Result visit_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    visit_ctx *v = cls;
    if (key) v->visit(v->ctx, key, value ? value : "");
    return MHD_YES;
}

static void conn_each_header(const hg_request *req, hg_kv_visit visit, void *ctx)
{
    visit_ctx v = { visit, ctx };
    MHD_get_connection_values((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, visit_one, &v);
}

static void conn_each_query(const hg_request *req, hg_kv_visit visit, void *ctx)
{
    visit_ctx v = { visit, ctx };
    MHD_get_connection_values((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND, visit_one, &v);
}

static int conn_peer_ip(const hg_request *req, char *buf, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info((struct MHD_Connection *)req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr || cap == 0) return -1;
    socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in);
    if (getnameinfo(ci->client_addr, len, buf, (socklen_t)cap, NULL, 0, NI_NUMERICHOST) != 0) return -1;
    return 0;
}

/* ---- a moved request's copy (see struct moved) ---- */

static const char *moved_lookup(const hg_request *req, enum MHD_ValueKind kind, const char *name)
{
    const moved *m = req->conn;
    for (int i = 0; i < m->nvalues; i++)         /* as libmicrohttpd looks up: first match, any case */
        if (m->values[i].kind == kind && strcasecmp(m->values[i].key, name) == 0) return m->values[i].value;
    return NULL;
}

static const char *moved_header(const hg_request *req, const char *name)
{
    return moved_lookup(req, MHD_HEADER_KIND, name);
}

static const char *moved_query(const hg_request *req, const char *name)
{
    return moved_lookup(req, MHD_GET_ARGUMENT_KIND, name);
}

static void moved_each(const hg_request *req, enum MHD_ValueKind kind, hg_kv_visit visit, void *ctx)
{
    const moved *m = req->conn;
    for (int i = 0; i < m->nvalues; i++) {
        const moved_value *v = &m->values[i];
        if (v->kind == kind) visit(ctx, v->key, v->value ? v->value : "");
    }
}

static void moved_each_header(const hg_request *req, hg_kv_visit visit, void *ctx)
{
    moved_each(req, MHD_HEADER_KIND, visit, ctx);
}

static void moved_each_query(const hg_request *req, hg_kv_visit visit, void *ctx)
{
    moved_each(req, MHD_GET_ARGUMENT_KIND, visit, ctx);
}

static int moved_peer_ip(const hg_request *req, char *buf, size_t cap)
{
    const moved *m = req->conn;
    if (!m->has_peer || cap == 0) return -1;
    snprintf(buf, cap, "%s", m->peer);
    return 0;
}

/* Sizing pass, then copying pass, over the connection's values. */
typedef struct moved_fill {
    int n, cap;                 /* values seen; room for (copying pass) */
    size_t bytes;               /* string bytes (sizing pass) */
    moved *m;                   /* NULL in the sizing pass */
    char *at, *end;             /* where the next string goes (copying pass) */
} moved_fill;

static char *moved_copy(moved_fill *f, const char *text)
{
    if (!text) return NULL;
    size_t n = strlen(text) + 1;
    if (!f->m) {
        f->bytes += n;
        return NULL;
    }
    if (n > (size_t)(f->end - f->at)) return "";  /* cannot happen: the worker holds the connection */
    char *copy = memcpy(f->at, text, n);
    f->at += n;
    return copy;
}

static enum MHD_Result moved_fill_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    moved_fill *f = cls;
    if (!key) return MHD_YES;
    if (f->m) {
        if (f->n >= f->cap) return MHD_NO;
        moved_value *v = &f->m->values[f->n];
        v->kind = kind;
        v->key = moved_copy(f, key);
        v->value = moved_copy(f, value);
    } else {
        moved_copy(f, key);
        moved_copy(f, value);
    }
    f->n++;
    return MHD_YES;
}

/* req, as the worker built it, copied off conn (NULL when out of memory). */
static moved *moved_new(struct MHD_Connection *conn, const hg_request *req)
{
    const enum MHD_ValueKind kinds = MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND;
    moved_fill f = { 0 };
    MHD_get_connection_values(conn, kinds, moved_fill_one, &f);
    moved_copy(&f, req->method);
    moved_copy(&f, req->path);
    moved_copy(&f, req->raw_uri);
    int n = f.n;
    if ((size_t)n > (SIZE_MAX - sizeof(moved) - f.bytes) / sizeof(moved_value)) return NULL;
    moved *m = malloc(sizeof *m + (size_t)n * sizeof(moved_value) + f.bytes);
    if (!m) return NULL;
    m->conn = conn;
    m->values = (moved_value *)(m + 1);
    size_t bytes = f.bytes;
    f = (moved_fill){ .cap = n, .m = m, .at = (char *)(m->values + n) };
    f.end = f.at + bytes;
    MHD_get_connection_values(conn, kinds, moved_fill_one, &f);
    m->nvalues = f.n;
    m->req = *req;
    m->req.method = moved_copy(&f, req->method);
    m->req.path = moved_copy(&f, req->path);
    m->req.raw_uri = moved_copy(&f, req->raw_uri);
    m->req.header = moved_header;
    m->req.query = moved_query;
    m->req.each_header = moved_each_header;
    m->req.each_query = moved_each_query;
    m->req.peer_ip = moved_peer_ip;
    m->req.conn = m;
    m->has_peer = conn_peer_ip(req, m->peer, sizeof m->peer) == 0;
    hg_response_init(&m->resp);
    return m;
}

static enum MHD_Result queue(struct MHD_Connection *conn, hg_response *resp, const char *request_id)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(resp->body.len, resp->body.data ? resp->body.data : (void *)"",
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", resp->content_type);
    MHD_add_response_header(r, "x-amzn-RequestId", request_id);
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static double elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static enum MHD_Result too_large(struct MHD_Connection *conn, const char *method, const char *url,
                                 const struct timespec *start)
{
    char id[40];
    hg_uuid4(id);
    hg_response resp;
    hg_response_init(&resp);
    char msg[200];
    int n = snprintf(msg, sizeof msg,
                     "{\"__type\":\"RequestEntityTooLargeException\",\"message\":\"Request body exceeds the maximum of %u bytes\"}",
                     HG_MAX_BODY);
    hg_response_set(&resp, 413, "application/json", msg, (size_t)n);
    enum MHD_Result ret = queue(conn, &resp, id);
    hg_response_release(&resp);
    hg_log(HG_LOG_INFO, "%s %s - - 413 %.3fms", method, url, elapsed_ms(start));
    return ret;
}

static void release_store(const hg_request *req)
{
    int leaked = hg_store_release_all(NULL);
    if (leaked)
        hg_log(HG_LOG_ERROR, "bug: %s %s left the store held %d time(s); released", req->method, req->path, leaked);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const hg_request *req, hg_response *resp,
                                     const struct timespec *start)
{
    enum MHD_Result ret = queue(conn, resp, req->request_id);
    if (hg_log_enabled(HG_LOG_INFO))
        hg_log(HG_LOG_INFO, "%s %s %s %s %d %.3fms", req->method, req->path, req->service ? req->service : "-",
               req->operation ? req->operation : "-", resp->status, elapsed_ms(start));
    return ret;
}

/* Route req on this worker: marked busy for the acceptor meanwhile (a long
 * handler: new clients go to other workers), the store released after. */
static void route_on_worker(hg_request *req, hg_response *resp)
{
    hg_acceptor_busy(1);
    hg_route(req, resp);
    hg_acceptor_busy(0);
    release_store(req);
}

/* On a slow-lane thread: the request again, from the top, free to block.
 * The connection is suspended meanwhile, so its headers and body stay put;
 * once it is resumed, m is the worker's again (and may be freed at once). */
static void run_moved(void *arg)
{
    moved *m = arg;
    hg_route(&m->req, &m->resp);
    release_store(&m->req);
    MHD_resume_connection(m->conn);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)cls; (void)version;
    conn_state *st = *req_cls;

    if (!st || !st->started) {                   /* first call: headers only */
        if (!st && !(st = calloc(1, sizeof *st))) return MHD_NO;
        st->started = 1;
        hg_buf_init(&st->body, HG_MAX_BODY);
        clock_gettime(CLOCK_MONOTONIC, &st->start);
        *req_cls = st;
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        uint64_t len;
        if (cl && (hg_parse_u64z(cl, UINT64_MAX, &len) != 0 || len > HG_MAX_BODY)) {
            st->too_large = 1;
            return too_large(conn, method, url, &st->start);
        }
        return MHD_YES;
    }
    if (st->moved) {                             /* resumed: the slow lane's answer */
        enum MHD_Result ret = send_response(conn, &st->moved->req, &st->moved->resp, &st->start);
        moved_free(st);
        return ret;
    }
    if (*upload_data_size) {                     /* body bytes */
        if (!st->too_large && hg_buf_append(&st->body, upload_data, *upload_data_size) != 0)
            st->too_large = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->too_large) return too_large(conn, method, url, &st->start);

    hg_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.body = hg_buf_cstr(&st->body);
    req.body_len = st->body.len;
    req.header = conn_header;
    req.query = conn_query;
    req.each_header = conn_each_header;
    req.each_query = conn_each_query;
    req.peer_ip = conn_peer_ip;
    req.conn = conn;
    req.raw_uri = st->raw_uri;
    hg_uuid4(req.request_id);

    hg_sigv4_cred cred;
    const char *auth = conn_header(&req, "Authorization");
    const char *qcred = conn_query(&req, "X-Amz-Credential");
    if ((auth && hg_sigv4_parse_credential(auth, 0, &cred) == 0) ||
        (qcred && hg_sigv4_parse_credential(qcred, 1, &cred) == 0)) {
        memcpy(req.region, cred.region, sizeof req.region);
        memcpy(req.access_key, cred.access_key, sizeof req.access_key);
        memcpy(req.signing_service, cred.service, sizeof req.signing_service);
    } else {
        memcpy(req.region, hg_cfg.region, sizeof req.region);
    }

    hg_response resp;
    hg_response_init(&resp);
    hg_offload_enter();
    route_on_worker(&req, &resp);
    bool move = hg_offload_leave();
    moved *m = move ? moved_new(conn, &req) : NULL;
    if (m) {                                     /* it would block: run it again where it may */
        hg_response_release(&resp);
        st->moved = m;
        MHD_suspend_connection(conn);
        if (hg_offload_submit(run_moved, m) != 0) {                 /* refused: block here after all */
            route_on_worker(&m->req, &m->resp);
            MHD_resume_connection(conn);
        }
        return MHD_YES;
    }
    if (move) {                                  /* no memory to move it: block here after all */
        hg_response_release(&resp);
        hg_response_init(&resp);
        route_on_worker(&req, &resp);
    }
    enum MHD_Result ret = send_response(conn, &req, &resp, &st->start);
    hg_response_release(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)conn; (void)toe;
    conn_state *st = *req_cls;
    if (!st) return;
    moved_free(st);                   /* closed before the slow lane's answer went out */
    hg_buf_release(&st->body);
    free(st->raw_uri);
    free(st);
    *req_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    if (!hg_log_enabled(HG_LOG_DEBUG)) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    hg_log(HG_LOG_DEBUG, "microhttpd: %s", line);
}

/* One worker's daemon (acceptor.h): every worker serves every service. */
static struct MHD_Daemon *start_worker(void *ctx, unsigned i, unsigned extra_flags,
                                       MHD_NotifyConnectionCallback notify, void *notify_cls,
                                       unsigned conn_limit)
{
    (void)ctx; (void)i;
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
        extra_flags, 0,
        NULL, NULL, on_request, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, notify, notify_cls,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, hg_cfg.conn_timeout_s,
        /* libmicrohttpd zeroes a connection's pool between requests: 16 KB
         * holds any AWS client's headers and halves that cost vs the 32 KB default */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, conn_limit,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_END);
}

int hg_server_start(hg_server **out, unsigned *bound_port, hg_err *err)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICHOST | AI_PASSIVE };
    struct addrinfo *ai = NULL;
    char port[8];
    snprintf(port, sizeof port, "%u", hg_cfg.port);
    int gai = getaddrinfo(hg_cfg.host, port, &hints, &ai);
    if (gai != 0) {
        hints.ai_flags = AI_PASSIVE;             /* allow a name such as "localhost" */
        gai = getaddrinfo(hg_cfg.host, port, &hints, &ai);
    }
    if (gai != 0 || !ai)
        return hg_err_set(err, 1, "BadHost", "cannot resolve --host %s: %s", hg_cfg.host, gai_strerror(gai));

    hg_server *srv = calloc(1, sizeof *srv);
    if (!srv) { freeaddrinfo(ai); return hg_err_internal(err, "out of memory"); }
    hg_offload_start();
    char why[160];
    /* 4096 open connections in all, like libmicrohttpd's pool had */
    int rc = hg_acceptor_start(ai->ai_addr, ai->ai_addrlen, hg_cfg.threads, 1, 4096 / hg_cfg.threads + 1,
                               start_worker, NULL, &srv->acceptor, why, sizeof why);
    freeaddrinfo(ai);
    if (rc != 0) {
        free(srv);
        return hg_err_set(err, 1, "ListenFailed", "cannot listen on %s:%u (%s)", hg_cfg.host, hg_cfg.port, why);
    }
    *bound_port = hg_acceptor_port(srv->acceptor);
    *out = srv;
    return 0;
}

void hg_server_stop(hg_server *srv)
{
    if (!srv) return;
    hg_offload_stop();                /* its jobs resume connections: the daemons must still run */
    hg_acceptor_stop(srv->acceptor);
    free(srv);
}
