/*
 * acceptor.h — one listening socket feeding N libmicrohttpd daemons of one
 * internal thread each; every new connection goes to the daemon that holds
 * the fewest open connections (ties in turn), passing over a daemon stuck in
 * one long request. A standby daemon, started the first time every regular
 * one is stuck, takes new connections only while they are.
 *
 * Why not libmicrohttpd's own thread pool: its workers all poll the one
 * listening socket and whichever wakes first accepts, so a burst of connects
 * lands unevenly (seen with wrk's 32: 4 and 28, 8 and 22, 17 and 13 in five
 * starts). The busier worker then queues most requests while the other idles,
 * which sets throughput and tail latency by luck of the draw.
 *
 * Why half the CPUs, plus a standby: the clients of a local emulator (test
 * suites, SDKs, a load generator) run on the same machine and need about as
 * much CPU per request as the server, and the store serializes statements
 * anyway, so a worker per CPU only adds preemption and lock handoffs. On 2
 * CPUs with wrk's 32 connections (fresh server per run, 3 pairs): one
 * worker served the gateway's GET at the same rate as two (about 36,000
 * req/s) with p99 1.66-1.92 ms against 3.27-3.66 ms, and its POST with p99
 * 2.59-3.58 ms against 4.38-5.13 ms. (Run 0814 had kept two, when a POST
 * cost more than twice the CPU it does now and one worker could not reach
 * 10,000 req/s.) The standby is there so that a worker stuck in a request
 * that cannot move (a Lambda run that wrote, then loops) does not hold up
 * every client that connects meanwhile. It starts when first needed:
 * started with the others, it added 0.09-0.55 ms to the median start-up
 * (three rounds of 30-40 interleaved starts, medians of 15-18 ms).
 *
 * Threads: one blocking accept loop, plus each daemon's polling thread.
 * Ownership: an accepted socket belongs to the daemon once handed over
 * (MHD_add_connection closes it itself if it cannot take it).
 * The socket is SO_REUSEADDR only, not SO_REUSEPORT: a second server on a
 * busy port fails to start instead of silently splitting the connections.
 *
 * Also built into bench/ceiling.c, so the ceiling keeps the same HTTP set-up.
 */
#ifndef HG_ACCEPTOR_H
#define HG_ACCEPTOR_H

#include <stddef.h>
#include <sys/socket.h>
#include <microhttpd.h>

typedef struct hg_acceptor hg_acceptor;

/* Starts worker i's daemon with the caller's handler and options, plus what
 * the acceptor needs: extra_flags (MHD_USE_NO_LISTEN_SOCKET, and MHD_USE_ITC,
 * which MHD_add_connection needs to wake the worker) ORed into the flags,
 * MHD_OPTION_NOTIFY_CONNECTION with notify and notify_cls, and
 * MHD_OPTION_CONNECTION_LIMIT with conn_limit (above the acceptor's own
 * limit, so the daemon never drops a connection it was handed: one dropped
 * before it started would never be counted back). NULL on failure. */
typedef struct MHD_Daemon *(*hg_acceptor_daemon_fn)(void *ctx, unsigned i, unsigned extra_flags,
                                                   MHD_NotifyConnectionCallback notify, void *notify_cls,
                                                   unsigned conn_limit);

/* The default number of regular workers on a machine with ncpu CPUs: half
 * of them, at least 1 and at most 64 (see Why above). */
unsigned hg_acceptor_default_workers(long ncpu);

/* Binds and listens on addr (port 0: any free port), starts `workers`
 * regular daemons (indices 0 to workers - 1) through start, then the accept
 * loop. Up to `standby` more daemons are started by the accept loop through
 * start (so start must be callable from that thread), each the first time
 * every regular and started standby one is stuck; one that cannot start
 * leaves the connection to the least loaded of those running. A connection
 * that finds every worker holding per_worker is closed at once. On failure
 * returns -1 with a sentence in why (the system's reason for a failed
 * bind). */
int  hg_acceptor_start(const struct sockaddr *addr, socklen_t addrlen, unsigned workers,
                       unsigned standby, unsigned per_worker, hg_acceptor_daemon_fn start, void *ctx,
                       hg_acceptor **out, char *why, size_t whylen);
unsigned hg_acceptor_port(const hg_acceptor *a);
/* Called by a worker's handler as it begins (busy != 0) and ends a request.
 * A worker inside one request for longer than 50 ms is stalled, and gets no
 * new connection while another is not: a Lambda handler that loops until its
 * timeout holds up only the clients already on its worker, not those that
 * connect meanwhile. Does nothing on a thread that is not a worker's. */
void hg_acceptor_busy(int busy);
/* Daemons running: the regular ones, plus each standby started so far. */
unsigned hg_acceptor_started(const hg_acceptor *a);
/* Open connections held by worker i (regular, then standby), as the
 * acceptor counts them. */
unsigned hg_acceptor_load(const hg_acceptor *a, unsigned i);
/* Stops accepting, then stops every daemon (closing their connections). */
void hg_acceptor_stop(hg_acceptor *a);

#endif
