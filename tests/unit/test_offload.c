/* offload: the slow lane's rules (who may ask to move) and its
 * threads (started on demand, a stop that runs what is queued first). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "offload.h"

static void only_a_request_on_a_worker_may_move(void **state)
{
    (void)state;
    hg_offload_start();
    assert_false(hg_offload_possible());         /* not inside a request: tests, async threads */
    hg_offload_ask();
    assert_false(hg_offload_asked());

    hg_offload_enter();
    assert_true(hg_offload_possible());
    assert_false(hg_offload_asked());
    hg_offload_ask();
    assert_true(hg_offload_asked());
    assert_true(hg_offload_leave());
    assert_false(hg_offload_leave());             /* the ask is forgotten */
    assert_false(hg_offload_possible());
}

/* Jobs that can only finish together: each waits (5 s at most, so a
 * failure cannot hang the test) until all three have started. */
static pthread_mutex_t meet_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t meet_cond = PTHREAD_COND_INITIALIZER;
static int arrived;

typedef struct together {
    pthread_t ran_on;
    atomic_int met;
} together;

static void wait_for_the_others(void *arg)
{
    together *t = arg;
    t->ran_on = pthread_self();
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&meet_mutex);
    arrived++;
    pthread_cond_broadcast(&meet_cond);
    while (arrived < 3 && pthread_cond_timedwait(&meet_cond, &meet_mutex, &until) == 0) {}
    atomic_store(&t->met, arrived >= 3);
    pthread_mutex_unlock(&meet_mutex);
}

static void quick(void *arg) { (void)arg; }

/* Two threads sit idle when three jobs come at once: an idle thread already
 * signalled for one job but not yet awake must not count as free for the
 * next, or the third job would queue behind two that wait for it. */
static void a_burst_gets_a_thread_per_job(void **state)
{
    (void)state;
    hg_offload_start();
    unsigned long before = hg_offload_jobs_run();
    assert_int_equal(hg_offload_submit(wait_for_the_others, &(together){0}), 0);   /* warm-up: */
    assert_int_equal(hg_offload_submit(quick, NULL), 0);                            /* two threads */
    pthread_mutex_lock(&meet_mutex);
    arrived = 3;                                  /* let the first warm-up job through */
    pthread_cond_broadcast(&meet_cond);
    pthread_mutex_unlock(&meet_mutex);
    while (hg_offload_jobs_run() < before + 2) usleep(1000);
    usleep(50000);                                /* both back to waiting */
    pthread_mutex_lock(&meet_mutex);
    arrived = 0;
    pthread_mutex_unlock(&meet_mutex);

    together t[3];
    for (int i = 0; i < 3; i++) {
        atomic_init(&t[i].met, 0);
        assert_int_equal(hg_offload_submit(wait_for_the_others, &t[i]), 0);
    }
    hg_offload_stop();                            /* runs them all, then joins */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(atomic_load(&t[i].met), 1);
        assert_false(pthread_equal(t[i].ran_on, pthread_self()));
    }
}

static atomic_int counted;

static void count_slowly(void *arg)
{
    (void)arg;
    usleep(20000);
    atomic_fetch_add(&counted, 1);
}

static void stop_runs_the_queue_then_refuses(void **state)
{
    (void)state;
    hg_offload_start();
    atomic_store(&counted, 0);
    for (int i = 0; i < 100; i++)                 /* more than OFFLOAD_MAX_THREADS: some queue */
        assert_int_equal(hg_offload_submit(count_slowly, NULL), 0);
    hg_offload_stop();
    assert_int_equal(atomic_load(&counted), 100); /* every queued job ran before stop returned */
    assert_int_equal(hg_offload_submit(count_slowly, NULL), -1);
    hg_offload_enter();
    assert_false(hg_offload_possible());          /* stopping: requests block their worker */
    hg_offload_leave();
    hg_offload_start();                           /* and it starts again */
    assert_int_equal(hg_offload_submit(count_slowly, NULL), 0);
    hg_offload_stop();
    assert_int_equal(atomic_load(&counted), 101);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_a_request_on_a_worker_may_move),
        cmocka_unit_test(a_burst_gets_a_thread_per_job),
        cmocka_unit_test(stop_runs_the_queue_then_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
