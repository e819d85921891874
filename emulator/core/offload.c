/* offload.c — the slow lane; see offload.h for why and the invariants. */
#include "offload.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "hg_log.h"

typedef struct job {
    hg_offload_fn fn;
    void *arg;
    struct job *next;
} job;

static pthread_mutex_t lane_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lane_cond = PTHREAD_COND_INITIALIZER;
static job *queue_head, **queue_tail = &queue_head;
static pthread_t threads[OFFLOAD_MAX_THREADS];
static int nthreads, nidle, nqueued;    /* nidle: threads waiting for a job */
static atomic_bool stopping;
static atomic_ulong jobs_run;

/* Per thread: inside a request on a worker, asked to move. */
static _Thread_local bool in_request, asked;

void hg_offload_enter(void)
{
    in_request = true;
    asked = false;
}

bool hg_offload_leave(void)
{
    bool was = asked;
    in_request = asked = false;
    return was;
}

bool hg_offload_possible(void)
{
    return in_request && !atomic_load_explicit(&stopping, memory_order_relaxed);
}

/* Not hg_offload_possible(): a stop that began since the caller asked it
 * must not turn the ask into an error for the client; the server then runs
 * the request on the worker after all (hg_offload_submit refuses). */
void hg_offload_ask(void)
{
    if (in_request) asked = true;
}

bool hg_offload_asked(void) { return asked; }

unsigned long hg_offload_jobs_run(void) { return atomic_load(&jobs_run); }

/* Run jobs until stopped with nothing queued: what was queued before the
 * stop still runs (each job ends by resuming its connection). */
static void *lane_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "hg-offload");
    pthread_mutex_lock(&lane_mutex);
    for (;;) {
        job *j = queue_head;
        if (!j) {
            if (atomic_load(&stopping)) break;
            nidle++;
            pthread_cond_wait(&lane_cond, &lane_mutex);
            nidle--;
            continue;
        }
        if (!(queue_head = j->next)) queue_tail = &queue_head;
        nqueued--;
        pthread_mutex_unlock(&lane_mutex);
        j->fn(j->arg);
        free(j);
        atomic_fetch_add(&jobs_run, 1);
        pthread_mutex_lock(&lane_mutex);
    }
    pthread_mutex_unlock(&lane_mutex);
    return NULL;
}

int hg_offload_submit(hg_offload_fn fn, void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j) return -1;
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&lane_mutex);
    if (atomic_load(&stopping)) {
        pthread_mutex_unlock(&lane_mutex);
        free(j);
        return -1;
    }
    /* More jobs waiting than threads waiting for one (a thread signalled
     * but not yet awake still counts as waiting, and its job as queued, so
     * a burst is not mistaken for idle capacity): one more, up to the bound. */
    if (nqueued + 1 > nidle && nthreads < OFFLOAD_MAX_THREADS) {
        if (pthread_create(&threads[nthreads], NULL, lane_main, NULL) == 0) {
            nthreads++;
        } else if (nthreads == 0) {
            pthread_mutex_unlock(&lane_mutex);
            free(j);
            hg_log(HG_LOG_WARN, "offload: cannot start a slow-lane thread; the request runs on its worker");
            return -1;
        }
    }
    *queue_tail = j;
    queue_tail = &j->next;
    nqueued++;
    pthread_cond_signal(&lane_cond);
    pthread_mutex_unlock(&lane_mutex);
    return 0;
}

void hg_offload_start(void)
{
    atomic_store(&stopping, false);
}

void hg_offload_stop(void)
{
    pthread_mutex_lock(&lane_mutex);
    atomic_store(&stopping, true);
    pthread_cond_broadcast(&lane_cond);
    int n = nthreads;
    pthread_mutex_unlock(&lane_mutex);
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    pthread_mutex_lock(&lane_mutex);
    nthreads = nidle = nqueued = 0;
    pthread_mutex_unlock(&lane_mutex);
}
