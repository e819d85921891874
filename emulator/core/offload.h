/*
 * offload.h — the slow lane: threads that may block for as long as a
 * request takes, so that a worker never does.
 *
 * Why: a worker serves every connection it holds from one thread (server.h),
 * so a Lambda handler that runs for seconds (a loop stopped by its Timeout, a
 * heavy cold start) made every other request on that worker wait, including
 * those on connections an SDK keeps open. The acceptor only steers new
 * connections away from a stuck worker; it cannot move open ones.
 *
 * How a request moves: code about to block (lambda/invoke.c, before a handler
 * that is not known to be quick, or when a quick one ran 50 ms without
 * being seen) asks hg_offload_possible(); on a worker inside a request that
 * is true, and the code calls hg_offload_ask() and returns an error at once.
 * The server sees the ask when hg_route returns, drops the response that
 * was made, suspends the connection and runs the whole request again on a
 * slow-lane thread (hg_offload_submit), where hg_offload_possible() is
 * false, so it blocks there; the response is sent when the connection is
 * resumed.
 *
 * Invariants:
 *   1. A request asks to move only while nothing it did can be seen: before
 *      its handler starts, or after stopping a handler that made no aws.*
 *      call that changes anything (reads may run twice unseen), its log
 *      unshipped and its environment thrown away, as AWS may throw any
 *      away. Running it again is then invisible.
 *   2. Slow-lane threads start on demand, at most OFFLOAD_MAX_THREADS; a
 *      job that finds them all busy waits in the queue (FIFO), holding up
 *      no worker. Idle RSS is unchanged until the first job.
 *   3. hg_offload_stop refuses new jobs (hg_offload_possible() turns false:
 *      requests then block their worker as before), runs what is queued,
 *      and joins every thread; the server calls it while the daemons still
 *      run, since a job ends by resuming its connection.
 */
#ifndef HG_OFFLOAD_H
#define HG_OFFLOAD_H

#include <stdbool.h>

#define OFFLOAD_MAX_THREADS 64

/* A worker held this long by one request is stuck: the acceptor sends new
 * connections elsewhere, and a Lambda run that quick so far is stopped and
 * moved (lambda/invoke.c). */
#define HG_WORKER_STALL_MS 50

typedef void (*hg_offload_fn)(void *arg);

/* Worker side, around one request: enter before routing it, leave after;
 * leave returns true when the request asked to move (and forgets the ask). */
void hg_offload_enter(void);
bool hg_offload_leave(void);

/* May the current request move? False off a worker, and once the slow lane
 * is stopping. */
bool hg_offload_possible(void);
/* Ask to move (after hg_offload_possible() said yes; ignored off a worker). */
void hg_offload_ask(void);
/* Has the current request asked? (A caller unwinding quietly checks it.) */
bool hg_offload_asked(void);

/* Run fn(arg) on a slow-lane thread. 0 when queued; -1 when refused
 * (stopping, or no thread could be started): the caller runs it itself. */
int  hg_offload_submit(hg_offload_fn fn, void *arg);
/* Jobs run so far, for tests. */
unsigned long hg_offload_jobs_run(void);
/* The server's start and stop (invariant 3); a stopped lane can start again. */
void hg_offload_start(void);
void hg_offload_stop(void);

#endif
