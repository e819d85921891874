/* lambda_pool: warm environments are reused, and a worker thread gets back
 * the environment it ran last (an env hopping between threads has its Lua
 * heap freed across malloc arenas, which serialises the workers). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambda_pool.h"

static char tmpdir[64];
static lambda_fn fn, other, third;    /* each test its own function's pool */

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hg-pool-test-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/index.lua", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs("return { handler = function() return 1 end }\n", f);
    fclose(f);
    memset(&fn, 0, sizeof fn);
    snprintf(fn.region, sizeof fn.region, "us-east-1");
    fn.name = "pooled";
    fn.arn = "arn:aws:lambda:us-east-1:000000000000:function:pooled";
    fn.handler = "index.handler";
    fn.revision_id = "r1";
    fn.memory_mb = 128;
    fn.timeout_s = 3;
    fn.reserved_concurrency = -1;
    fn.hot_dir = tmpdir;
    other = fn;
    other.name = "other";
    other.arn = "arn:aws:lambda:us-east-1:000000000000:function:other";
    third = fn;
    third.name = "third";
    third.arn = "arn:aws:lambda:us-east-1:000000000000:function:third";
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lambda_pool_shutdown();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Lease f's env (may_move: as a worker would): 0 with *l, or 2 (moved, *l
 * NULL); anything else fails the test. */
static int try_lease(const lambda_fn *f, bool may_move, lambda_lease **l)
{
    hg_buf log;
    hg_buf_init(&log, 64);
    hg_err err;
    hg_err_clear(&err);
    char *init_error = NULL;
    *l = NULL;
    int rc = lambda_pool_lease(NULL, f, &log, may_move, l, &init_error, &err);
    hg_buf_release(&log);
    if (rc != 0 && !(rc == 2 && may_move)) fail_msg("lease: rc %d: %s %s", rc, err.message, init_error ? init_error : "");
    if (rc == 2) assert_null(*l);
    return rc;
}

static lambda_lease *lease(const lambda_fn *f)
{
    lambda_lease *l;
    try_lease(f, false, &l);
    return l;
}

/* Two workers each hold an env at once and hand them back in turn, so the
 * second worker's env is on top of the idle list; then the first worker
 * leases again, then the second. Each must get its own env back (taking
 * the top one would give the first worker the second's env). */
typedef struct worker {
    pthread_barrier_t *step;
    int first;                     /* returns and leases again before the other */
    hlua_env *env, *again;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    lambda_lease *l = lease(&fn);
    w->env = lambda_lease_env(l);
    pthread_barrier_wait(w->step);           /* both hold an env */
    if (w->first) lambda_pool_return(l);
    pthread_barrier_wait(w->step);
    if (!w->first) lambda_pool_return(l);
    pthread_barrier_wait(w->step);           /* both idle, the second worker's on top */
    if (w->first) l = lease(&fn);
    pthread_barrier_wait(w->step);
    if (!w->first) l = lease(&fn);
    w->again = lambda_lease_env(l);
    pthread_barrier_wait(w->step);           /* both leased again */
    lambda_pool_return(l);
    return NULL;
}

static void each_worker_gets_its_own_env_back(void **state)
{
    (void)state;
    pthread_barrier_t step;
    pthread_barrier_init(&step, NULL, 2);
    worker a = { &step, 1, NULL, NULL }, b = { &step, 0, NULL, NULL };
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, worker_main, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, worker_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&step);
    assert_non_null(a.env);
    assert_non_null(b.env);
    assert_ptr_not_equal(a.env, b.env);
    assert_ptr_equal(a.again, a.env);
    assert_ptr_equal(b.again, b.env);
}

/* A thread that ran none of the idle envs takes the most recently returned
 * one, warm (no init again). */
static void *stranger_main(void *arg)
{
    lambda_lease *l = lease(&other);
    hlua_env **got = arg;
    got[0] = lambda_lease_env(l);
    got[1] = lambda_lease_init_ms(l) == 0 ? got[0] : NULL;
    lambda_pool_return(l);
    return NULL;
}

static void a_stranger_takes_the_newest_warm_env(void **state)
{
    (void)state;
    lambda_lease *one = lease(&other), *two = lease(&other);
    hlua_env *newest = lambda_lease_env(two);
    assert_ptr_not_equal(lambda_lease_env(one), newest);
    lambda_pool_return(one);
    lambda_pool_return(two);
    hlua_env *got[2] = { NULL, NULL };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stranger_main, got), 0);
    pthread_join(t, NULL);
    assert_ptr_equal(got[0], newest);
    assert_ptr_equal(got[1], newest);        /* warm: no init time */
}

/* Invariant 7: an invocation that may move off its worker is told to (2)
 * on a cold start, and while the function's recent runs were slow; it is
 * leased when a warm env waits and the runs were quick. */
static void only_a_quick_warm_function_stays_on_its_worker(void **state)
{
    (void)state;
    lambda_lease *l;
    assert_int_equal(try_lease(&third, true, &l), 2);          /* never run: a cold start */
    l = lease(&third);                                       /* the lane would lease it so */
    lambda_lease_ran(l, 3000);                               /* and it looped for 3 s */
    lambda_pool_return(l);
    assert_int_equal(try_lease(&third, true, &l), 2);          /* warm, but slow */
    /* quick runs bring it back: 3000 ms decays by a tenth per run */
    int runs = 0;
    while (try_lease(&third, true, &l) == 2) {
        assert_true(++runs < 60);
        l = lease(&third);
        lambda_lease_ran(l, 0.2);
        lambda_pool_return(l);
    }
    assert_true(runs > 40);                                  /* 3000 * 0.9^n < 20 from n = 48 */
    assert_non_null(l);
    lambda_lease_ran(l, 0.2);
    lambda_pool_return(l);
    assert_int_equal(try_lease(&third, true, &l), 0);          /* still quick */
    lambda_pool_return(l);                                   /* not run: counts for nothing */
    /* every warm env busy: the next one would be a cold start, so it moves */
    lambda_lease *held;
    assert_int_equal(try_lease(&third, true, &held), 0);
    assert_int_equal(try_lease(&third, true, &l), 2);
    lambda_pool_return(held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_worker_gets_its_own_env_back),
        cmocka_unit_test(a_stranger_takes_the_newest_warm_env),
        cmocka_unit_test(only_a_quick_warm_function_stays_on_its_worker),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
