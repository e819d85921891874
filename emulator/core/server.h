/*
 * server.h — the HTTP core: libmicrohttpd glue.
 *
 * Threads (the decision, written down):
 *   - libmicrohttpd runs an internal thread pool of hg_cfg.threads workers
 *     (MHD_OPTION_THREAD_POOL_SIZE); each connection is served start to end
 *     by one worker, and every request is handled synchronously on it.
 *   - Per worker thread: one SQLite connection (store/store.c, thread-local),
 *     and later one set of Lua states. Nothing per-request is shared.
 *   - Shared: the SQLite database in WAL mode, so readers never block and
 *     never take a lock of ours; writers serialise on one process-wide write
 *     mutex held only for the span of a BEGIN IMMEDIATE..COMMIT, which makes
 *     every conditional write (read, check, write) atomic.
 *   - Configuration (hg_cfg) is written before the pool starts, read-only after.
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
