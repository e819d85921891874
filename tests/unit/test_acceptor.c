/* acceptor: every new connection goes to the worker daemon holding the
 * fewest, a closed connection frees its worker's slot, a worker stuck in a
 * long request gets no new connection, a standby worker gets connections
 * only while every regular one is stuck, a connection beyond every worker's
 * limit is closed without costing a slot, and a busy port is refused rather
 * than shared. Each worker answers with its own index, so the client sees
 * where every connection landed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "valgrind_budget.h"

#define WORKERS 2
#define CONNS   32
static _Atomic int slow_worker = -1;   /* the worker that took GET /slow */
static double slow_s = 1.5;            /* how long it keeps that worker (more under valgrind) */

static enum MHD_Result answer_index(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version, const char *upload_data,
                                    size_t *upload_data_size, void **req_cls)
{
    (void)method; (void)version; (void)upload_data; (void)upload_data_size;
    static int seen;
    if (!*req_cls) { *req_cls = &seen; return MHD_YES; }
    if (strcmp(url, "/slow") == 0) {             /* as the emulator's handlers are marked */
        hg_acceptor_busy(1);
        slow_worker = (int)(uintptr_t)cls;
        nanosleep(&(struct timespec){ .tv_sec = (time_t)slow_s,
                                      .tv_nsec = (long)((slow_s - (double)(time_t)slow_s) * 1e9) }, NULL);
        hg_acceptor_busy(0);
    }
    static const char digits[] = "0123456789";
    struct MHD_Response *r = MHD_create_response_from_buffer(1, (void *)&digits[(uintptr_t)cls % 10],
                                                             MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *start_worker(void *ctx, unsigned i, unsigned extra_flags,
                                       MHD_NotifyConnectionCallback notify, void *notify_cls,
                                       unsigned conn_limit)
{
    (void)ctx;
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | extra_flags, 0,
                            NULL, NULL, answer_index, (void *)(uintptr_t)i,
                            MHD_OPTION_NOTIFY_CONNECTION, notify, notify_cls,
                            MHD_OPTION_CONNECTION_LIMIT, conn_limit,
                            MHD_OPTION_END);
}

static struct sockaddr_in loopback(unsigned port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int dial(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(port);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); fd = -1; }
    return fd;
}

static int send_get(int fd, const char *path)
{
    char req[128];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path);
    return write(fd, req, (size_t)n) == n ? 0 : -1;
}

/* The answer to the request last sent on fd: the index of the worker that
 * answered, or -1. */
static int answer(int fd)
{
    char buf[1024];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0) return -1;
        len += (size_t)n;
        buf[len] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        if (end && end[4]) return end[4] - '0';
        if (len == sizeof buf - 1) return -1;
    }
}

/* One keep-alive request on fd; the index of the worker that answered, or -1. */
static int ask(int fd)
{
    return send_get(fd, "/") == 0 ? answer(fd) : -1;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static hg_acceptor *start_with(unsigned workers, unsigned standby, unsigned per_worker)
{
    struct sockaddr_in a = loopback(0);
    hg_acceptor *acc = NULL;
    char why[160];
    if (hg_acceptor_start((struct sockaddr *)&a, sizeof a, workers, standby, per_worker, start_worker, NULL,
                          &acc, why, sizeof why) != 0)
        print_message("acceptor: %s\n", why);
    return acc;
}

static hg_acceptor *start(unsigned per_worker)
{
    return start_with(WORKERS, 0, per_worker);
}

/* Sends GET /slow on a new connection and waits until its worker has been
 * in it past the 50 ms mark; returns the connection. */
static int stall_a_worker(unsigned port)
{
    slow_worker = -1;
    slow_s = under_valgrind() ? 6.0 : 1.5;
    int slow = dial(port);
    assert_true(slow >= 0);
    assert_int_equal(send_get(slow, "/slow"), 0);
    for (int tries = 0; slow_worker < 0 && tries < 500; tries++)
        nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000 * 1000 }, NULL);
    assert_true(slow_worker >= 0);
    nanosleep(&(struct timespec){ .tv_nsec = 200 * 1000 * 1000 }, NULL);   /* past the 50 ms mark */
    return slow;
}

static void connections_are_balanced_and_slots_come_back(void **state)
{
    (void)state;
    hg_acceptor *acc = start(64);
    assert_non_null(acc);
    unsigned port = hg_acceptor_port(acc);
    assert_true(port > 0);

    /* a burst of connects, as a load generator opens them, before any request */
    int fds[CONNS], served_by[CONNS], per_worker[WORKERS] = { 0 };
    for (int i = 0; i < CONNS; i++) {
        fds[i] = dial(port);
        assert_true(fds[i] >= 0);
    }
    for (int i = 0; i < CONNS; i++) {
        served_by[i] = ask(fds[i]);
        assert_in_range(served_by[i], 0, WORKERS - 1);
        per_worker[served_by[i]]++;
    }
    assert_int_equal(per_worker[0], CONNS / WORKERS);
    assert_int_equal(per_worker[1], CONNS / WORKERS);
    assert_int_equal(hg_acceptor_load(acc, 0), CONNS / WORKERS);
    assert_int_equal(hg_acceptor_load(acc, 1), CONNS / WORKERS);
    /* a connection keeps its worker */
    for (int i = 0; i < CONNS; i++) assert_int_equal(ask(fds[i]), served_by[i]);

    /* worker 0's clients leave: its slots come back once it sees them close */
    for (int i = 0; i < CONNS; i++)
        if (served_by[i] == 0) { close(fds[i]); fds[i] = -1; }
    for (int tries = 0; hg_acceptor_load(acc, 0) > 0 && tries < 500; tries++)
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    assert_int_equal(hg_acceptor_load(acc, 0), 0);
    assert_int_equal(hg_acceptor_load(acc, 1), CONNS / WORKERS);
    /* so the next connections all go to it, until it catches up */
    int fresh[CONNS / WORKERS];
    for (int i = 0; i < CONNS / WORKERS; i++) {
        fresh[i] = dial(port);
        assert_true(fresh[i] >= 0);
        assert_int_equal(ask(fresh[i]), 0);
    }
    for (int i = 0; i < CONNS / WORKERS; i++) close(fresh[i]);
    for (int i = 0; i < CONNS; i++)
        if (fds[i] >= 0) close(fds[i]);
    hg_acceptor_stop(acc);
}

/* while one worker sits in a long request, every client that connects meanwhile
 * goes to the other and is answered at once, even when the balance of open
 * connections would send every second one to the stuck worker */
static void a_stuck_worker_gets_no_new_connections(void **state)
{
    (void)state;
    hg_acceptor *acc = start(64);
    assert_non_null(acc);
    unsigned port = hg_acceptor_port(acc);
    int slow = stall_a_worker(port);

    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = dial(port);
        assert_true(fds[i] >= 0);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 4; i++) assert_int_equal(ask(fds[i]), 1 - slow_worker);
    assert_true(seconds_since(&t0) < slow_s / 2);     /* behind it they would wait ~slow_s */
    assert_int_equal(hg_acceptor_load(acc, (unsigned)slow_worker), 1);

    /* once it is done, it is a worker like any other: the next goes to it */
    assert_int_equal(answer(slow), slow_worker);
    int after = dial(port);
    assert_true(after >= 0);
    assert_int_equal(ask(after), slow_worker);
    close(after);
    for (int i = 0; i < 4; i++) close(fds[i]);
    close(slow);
    hg_acceptor_stop(acc);
}

/* one regular worker and a standby: a burst of connects all go to the
 * regular one, and the standby is not even started; while the regular one
 * sits in a long request, the standby starts and the clients that connect
 * meanwhile go to it and are answered at once; once the regular one is
 * done, new connections go to it again */
static void a_standby_takes_connections_only_while_every_worker_is_stuck(void **state)
{
    (void)state;
    hg_acceptor *acc = start_with(1, 1, 64);
    assert_non_null(acc);
    unsigned port = hg_acceptor_port(acc);
    int fds[8];
    for (int i = 0; i < 8; i++) {
        fds[i] = dial(port);
        assert_true(fds[i] >= 0);
    }
    for (int i = 0; i < 8; i++) assert_int_equal(ask(fds[i]), 0);
    assert_int_equal(hg_acceptor_load(acc, 0), 8);
    assert_int_equal(hg_acceptor_started(acc), 1);

    int slow = stall_a_worker(port);
    assert_int_equal(slow_worker, 0);
    int during[3];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 3; i++) {
        during[i] = dial(port);
        assert_true(during[i] >= 0);
        assert_int_equal(ask(during[i]), 1);
    }
    assert_true(seconds_since(&t0) < slow_s / 2);     /* behind it they would wait ~slow_s */
    assert_int_equal(hg_acceptor_started(acc), 2);
    assert_int_equal(hg_acceptor_load(acc, 1), 3);

    assert_int_equal(answer(slow), 0);
    int after = dial(port);
    assert_true(after >= 0);
    assert_int_equal(ask(after), 0);                  /* the standby holds fewer, but is standby */
    assert_int_equal(hg_acceptor_load(acc, 0), 10);
    close(after);
    close(slow);
    for (int i = 0; i < 3; i++) close(during[i]);
    for (int i = 0; i < 8; i++) close(fds[i]);
    hg_acceptor_stop(acc);
}

/* half the CPUs, at least 1 and at most 64 */
static void the_default_is_half_the_cpus(void **state)
{
    (void)state;
    assert_int_equal(hg_acceptor_default_workers(-1), 1);    /* sysconf failed */
    assert_int_equal(hg_acceptor_default_workers(1), 1);
    assert_int_equal(hg_acceptor_default_workers(2), 1);
    assert_int_equal(hg_acceptor_default_workers(3), 1);
    assert_int_equal(hg_acceptor_default_workers(4), 2);
    assert_int_equal(hg_acceptor_default_workers(16), 8);
    assert_int_equal(hg_acceptor_default_workers(128), 64);
    assert_int_equal(hg_acceptor_default_workers(512), 64);
}

/* with every worker full, a new connection is closed unanswered; the slot
 * count stays right, so once a client leaves the next one is served */
static void beyond_the_limit_is_closed_and_costs_nothing(void **state)
{
    (void)state;
    hg_acceptor *acc = start(2);
    assert_non_null(acc);
    unsigned port = hg_acceptor_port(acc);
    int fds[2 * WORKERS];
    for (int i = 0; i < 2 * WORKERS; i++) {
        fds[i] = dial(port);
        assert_true(fds[i] >= 0);
        assert_in_range(ask(fds[i]), 0, WORKERS - 1);
    }
    for (int round = 0; round < 3; round++) {
        int extra = dial(port);                 /* connect succeeds: the kernel accepts it */
        assert_true(extra >= 0);
        assert_int_equal(ask(extra), -1);       /* then the acceptor closes it */
        close(extra);
    }
    assert_int_equal(hg_acceptor_load(acc, 0), 2);
    assert_int_equal(hg_acceptor_load(acc, 1), 2);
    close(fds[0]);
    for (int tries = 0; hg_acceptor_load(acc, 0) + hg_acceptor_load(acc, 1) > 3 && tries < 500; tries++)
        nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    int again = dial(port);
    assert_true(again >= 0);
    assert_in_range(ask(again), 0, WORKERS - 1);
    close(again);
    for (int i = 1; i < 2 * WORKERS; i++) close(fds[i]);
    hg_acceptor_stop(acc);
}

static void a_busy_port_is_refused_not_shared(void **state)
{
    (void)state;
    hg_acceptor *first = start(64);
    assert_non_null(first);
    struct sockaddr_in a = loopback(hg_acceptor_port(first));
    hg_acceptor *second = NULL;
    char why[160] = "";
    assert_int_equal(hg_acceptor_start((struct sockaddr *)&a, sizeof a, WORKERS, 0, 64, start_worker, NULL,
                                       &second, why, sizeof why), -1);
    assert_null(second);
    assert_non_null(strstr(why, "bind"));
    assert_non_null(strstr(why, "in use"));
    /* the first still answers */
    int fd = dial(hg_acceptor_port(first));
    assert_true(fd >= 0);
    assert_in_range(ask(fd), 0, WORKERS - 1);
    close(fd);
    hg_acceptor_stop(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(connections_are_balanced_and_slots_come_back),
        cmocka_unit_test(a_stuck_worker_gets_no_new_connections),
        cmocka_unit_test(a_standby_takes_connections_only_while_every_worker_is_stuck),
        cmocka_unit_test(the_default_is_half_the_cpus),
        cmocka_unit_test(beyond_the_limit_is_closed_and_costs_nothing),
        cmocka_unit_test(a_busy_port_is_refused_not_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
