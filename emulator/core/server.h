/*
 * server.h — the HTTP core: libmicrohttpd glue.
 *
 * Threads (the decision, written down):
 *   - hg_cfg.threads workers (default half the CPUs), each a libmicrohttpd
 *     daemon with one internal polling thread, fed by one accept thread
 *     (acceptor.h) that hands every new connection to the worker holding
 *     the fewest, passing over one stuck for over 50 ms in a request (a
 *     Lambda handler running long), and to a standby worker, started then,
 *     when every one is. A
 *     connection is served start to end by its worker, and every request is
 *     handled synchronously on it, between hg_acceptor_busy(1) and (0) —
 *     except one that asks to move (a Lambda handler not known to be quick):
 *     its connection is suspended and the request runs again, from the top,
 *     on a slow-lane thread (offload.h), which resumes it with the answer.
 *     The lane runs on a copy of the request taken before the suspend and
 *     calls nothing of libmicrohttpd's but MHD_resume_connection.
 *   - Shared between workers: the store's connections, one per database,
 *     each serialized by its mutex for the span of a statement or a write
 *     transaction (store.h, invariant 2), and the warm Lambda environments
 *     (lambda_pool.h), which go back to the worker that ran them last.
 *   - Configuration (hg_cfg) is written before the workers start, read-only after.
 *
 * Request state hangs off libmicrohttpd's *req_cls: created on the first,
 * headers-only call (where a Content-Length over HG_MAX_BODY is answered 413
 * without reading the body), filled by upload calls, used on the final call,
 * and freed only in the completion callback.
 */
#ifndef HG_SERVER_H
#define HG_SERVER_H

#include "hg_error.h"

typedef struct hg_server hg_server;

/* Start listening per hg_cfg. On success *bound_port is the actual port. */
int  hg_server_start(hg_server **out, unsigned *bound_port, hg_err *err);
void hg_server_stop(hg_server *srv);

#endif
