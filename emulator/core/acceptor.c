/* acceptor.c — balanced hand-off of accepted connections; see acceptor.h. */
#include "acceptor.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "offload.h"               /* HG_WORKER_STALL_MS */

typedef struct worker {
    struct MHD_Daemon *daemon;
    _Atomic unsigned load;        /* handed over and not yet closed */
    _Atomic long long busy_since; /* ms (monotonic, + 1) its handler began; 0 when not in one */
} worker;

struct hg_acceptor {
    int fd;
    unsigned port;
    _Atomic unsigned n;           /* daemons started: the regular ones, then standby as needed */
    unsigned regular;             /* how many workers are regular */
    unsigned total;               /* regular plus standby: the length of workers */
    unsigned per_worker;          /* connections a worker may hold */
    hg_acceptor_daemon_fn start;  /* how a daemon is started, kept for the standby */
    void *ctx;
    unsigned next;                /* where the search for the least loaded starts */
    worker *workers;
    pthread_t thread;
    int running;                  /* thread was started (joined by stop) */
    atomic_bool stopping;
};

/* The worker whose thread this is, for hg_acceptor_busy: set when the
 * worker starts a connection, which it does in its own thread. */
static _Thread_local worker *this_worker;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;   /* never 0 */
}

/* A connection's close gives its slot back. Connections are counted when
 * handed over, so STARTED only tells the worker's thread who it is. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)conn; (void)socket_ctx;
    worker *w = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) this_worker = w;
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED) atomic_fetch_sub(&w->load, 1);
}

void hg_acceptor_busy(int busy)
{
    if (this_worker) atomic_store_explicit(&this_worker->busy_since, busy ? now_ms() : 0, memory_order_relaxed);
}

static bool stalled(const worker *w, long long now)
{
    long long since = atomic_load_explicit(&w->busy_since, memory_order_relaxed);
    return since != 0 && now - since > HG_WORKER_STALL_MS;
}

unsigned hg_acceptor_default_workers(long ncpu)
{
    return ncpu < 2 ? 1 : ncpu > 128 ? 64 : (unsigned)(ncpu / 2);
}

#define NO_WORKER UINT_MAX

/* The worker with the fewest connections in workers [from, to), skipping
 * stalled ones if skip_stalled, searching from a->next so that equal loads
 * (a burst of connects) alternate; NO_WORKER when there is none. */
static unsigned fewest(hg_acceptor *a, unsigned from, unsigned to, bool skip_stalled, long long now)
{
    unsigned best = NO_WORKER, best_load = 0, span = to - from;
    for (unsigned k = 0; k < span; k++) {
        unsigned i = from + (a->next + k) % span;
        if (skip_stalled && stalled(&a->workers[i], now)) continue;
        unsigned l = atomic_load(&a->workers[i].load);
        if (best == NO_WORKER || l < best_load) { best = i; best_load = l; }
        if (best_load == 0) break;
    }
    return best;
}

/* Starts the next daemon (a regular one at start-up, a standby later);
 * false with errno set when it cannot. */
static bool start_daemon(hg_acceptor *a)
{
    unsigned i = a->n;
    worker *w = &a->workers[i];
    errno = 0;
    /* the slack covers a close the acceptor has counted back (CLOSED)
     * while the daemon still counts it */
    w->daemon = a->start(a->ctx, i, MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC, on_connection, w,
                         a->per_worker + 16);
    if (!w->daemon) return false;
    atomic_store(&a->n, i + 1);
    return true;
}

/* The regular worker with the fewest connections among those not stalled;
 * when every one is, a standby not stalled, started now if none is; when
 * all are (or a standby cannot start), the fewest of all. */
static worker *least_loaded(hg_acceptor *a)
{
    long long now = now_ms();
    unsigned n = a->n;
    unsigned best = fewest(a, 0, a->regular, true, now);
    if (best == NO_WORKER && n > a->regular) best = fewest(a, a->regular, n, true, now);
    if (best == NO_WORKER && n < a->total && start_daemon(a)) best = n++;
    if (best == NO_WORKER) best = fewest(a, 0, n, false, now);
    a->next = best + 1;
    return &a->workers[best];
}

static void *accept_loop(void *arg)
{
    hg_acceptor *a = arg;
    pthread_setname_np(pthread_self(), "hg-acceptor");   /* names show in top -H, gdb and /proc */
    while (!atomic_load(&a->stopping)) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = accept4(a->fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (atomic_load(&a->stopping)) break;   /* stop shut the socket down */
            if (errno == EINTR || errno == ECONNABORTED) continue;
            /* out of descriptors or memory (EMFILE, ENOBUFS...) or a network
             * error on the pending connection: wait for connections to close
             * instead of spinning on a socket that stays readable */
            nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
            continue;
        }
        worker *w = least_loaded(a);
        if (atomic_load(&w->load) >= a->per_worker) {   /* every worker is full */
            close(fd);
            continue;
        }
        atomic_fetch_add(&w->load, 1);
        if (MHD_add_connection(w->daemon, fd, (struct sockaddr *)&peer, len) != MHD_YES)
            atomic_fetch_sub(&w->load, 1);      /* the daemon closed fd */
    }
    return NULL;
}

static int fail(hg_acceptor *a, char *why, size_t whylen, const char *what, int err)
{
    snprintf(why, whylen, "%s: %s", what, strerror(err));
    hg_acceptor_stop(a);
    return -1;
}

int hg_acceptor_start(const struct sockaddr *addr, socklen_t addrlen, unsigned workers,
                      unsigned standby, unsigned per_worker, hg_acceptor_daemon_fn start, void *ctx,
                      hg_acceptor **out, char *why, size_t whylen)
{
    *out = NULL;
    hg_acceptor *a = calloc(1, sizeof *a);
    worker *ws = workers ? calloc((size_t)workers + standby, sizeof *ws) : NULL;
    if (!a || !ws) {
        free(a); free(ws);
        snprintf(why, whylen, "%s", workers ? "out of memory" : "no worker threads");
        return -1;
    }
    a->workers = ws;
    a->regular = workers;
    a->total = workers + standby;
    a->per_worker = per_worker;
    a->start = start;
    a->ctx = ctx;
    a->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (a->fd < 0) return fail(a, why, whylen, "socket", errno);
    int one = 1;
    if (setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        return fail(a, why, whylen, "SO_REUSEADDR", errno);
    if (addr->sa_family == AF_INET6)            /* the address asked for, not also its IPv4 twin */
        (void)setsockopt(a->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(a->fd, addr, addrlen) != 0) return fail(a, why, whylen, "bind", errno);
    if (listen(a->fd, SOMAXCONN) != 0) return fail(a, why, whylen, "listen", errno);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(a->fd, (struct sockaddr *)&bound, &blen) != 0)
        return fail(a, why, whylen, "getsockname", errno);
    a->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&bound)->sin_port);

    while (a->n < workers)             /* a standby starts when first needed (least_loaded) */
        if (!start_daemon(a)) return fail(a, why, whylen, "starting a worker", errno ? errno : ENOMEM);
    int rc = pthread_create(&a->thread, NULL, accept_loop, a);
    if (rc != 0) return fail(a, why, whylen, "starting the accept thread", rc);
    a->running = 1;
    *out = a;
    return 0;
}

unsigned hg_acceptor_port(const hg_acceptor *a) { return a->port; }

unsigned hg_acceptor_load(const hg_acceptor *a, unsigned i)
{
    return i < a->n ? atomic_load(&a->workers[i].load) : 0;
}

unsigned hg_acceptor_started(const hg_acceptor *a) { return a->n; }

void hg_acceptor_stop(hg_acceptor *a)
{
    if (!a) return;
    atomic_store(&a->stopping, true);
    if (a->fd >= 0) shutdown(a->fd, SHUT_RDWR);   /* wakes the blocked accept4 */
    if (a->running) pthread_join(a->thread, NULL);
    if (a->fd >= 0) close(a->fd);
    for (unsigned i = 0; i < a->n; i++) MHD_stop_daemon(a->workers[i].daemon);
    free(a->workers);
    free(a);
}
