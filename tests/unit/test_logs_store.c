/* test_logs_store.c — CloudWatch Logs' events stored in batches
 * (emulator/store/logs_store.c): a read must give every event within its
 * range exactly once in (ts, eid) order, ascending or descending, for a
 * stream and for a group whose streams' batches overlap in time; paging by
 * the last position seen must walk the same sequence one event at a time,
 * also inside a batch; batches start or end outside the range yet hold
 * events within it; a large append splits into several batches; a batch
 * of Lambda-like lines is stored deflated and reads back the same; a
 * corrupt batch, plain or deflated, is an error, not a crash. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "logs_store.h"

static hg_store *s;
static int64_t gid, s1, s2;

static int64_t new_stream(const char *name)
{
    hg_err err;
    hg_err_clear(&err);
    int64_t sid = 0;
    assert_int_equal(logs_store_stream_create(s, gid, name, 1, &sid, &err), 0);
    return sid;
}

static void append(int64_t sid, const logs_store_event *ev, int n)
{
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hg_store_begin_write(s, &err), 0);
    assert_int_equal(logs_store_append(s, sid, ev, n, 7, &err), 0);
    assert_int_equal(hg_store_commit(s, &err), 0);
}

/* What a read saw: "ts:message" lines, and each event's position. */
typedef struct seen {
    char text[1024];
    int count, stop_after;
    int64_t ts[64], eid[64];
} seen;

static int record(void *ctx, const logs_event_row *e, hg_err *err)
{
    (void)err;
    seen *v = ctx;
    size_t used = strlen(v->text);
    snprintf(v->text + used, sizeof v->text - used, "%s%lld:%s", used ? " " : "", (long long)e->ts, e->message);
    assert_int_equal(strlen(e->message), e->len);
    assert_int_equal(e->ingest_ms, 7);
    if (v->count < 64) { v->ts[v->count] = e->ts; v->eid[v->count] = e->eid; }
    v->count++;
    return v->stop_after && v->count == v->stop_after ? 1 : 0;
}

static logs_event_range everything(int64_t sid, int descending)
{
    return (logs_event_range){ .gid = gid, .sid = sid, .lo_ts = INT64_MIN, .lo_eid = 0,
                               .hi_ts = INT64_MAX, .hi_eid = INT64_MAX, .descending = descending };
}

static const char *read_range(const logs_event_range *r, seen *v)
{
    hg_err err;
    hg_err_clear(&err);
    memset(v, 0, sizeof *v);
    assert_int_equal(logs_store_events(s, r, record, v, &err), 0);
    return v->text;
}

static int setup(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(NULL, &err) != 0) return -1;
    s = hg_store_get_logs(&err);
    if (!s || logs_store_group_create(s, "us-east-1", "/g", 1, "{}", &gid, &err) != 0) return -1;
    s1 = new_stream("s1");
    s2 = new_stream("s2");
    /* s1: a batch in order, then one given out of order (sorted when
     * stored) that starts before and interleaves with the first; s2's
     * batch overlaps both. Ties at 300 keep append order. */
    append(s1, (logs_store_event[]){ { 100, "a0", 2 }, { 300, "a1", 2 }, { 300, "a2", 2 } }, 3);
    append(s1, (logs_store_event[]){ { 200, "b0", 2 }, { 300, "b1", 2 }, { 50, "b-early", 7 } }, 3);
    append(s2, (logs_store_event[]){ { 150, "c0", 2 }, { 300, "c1", 2 } }, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hg_store_release_all(NULL);
    hg_store_shutdown();
    return 0;
}

#define S1_UP    "50:b-early 100:a0 200:b0 300:a1 300:a2 300:b1"
#define S1_DOWN  "300:b1 300:a2 300:a1 200:b0 100:a0 50:b-early"
#define G_UP     "50:b-early 100:a0 150:c0 200:b0 300:a1 300:a2 300:b1 300:c1"
#define G_DOWN   "300:c1 300:b1 300:a2 300:a1 200:b0 150:c0 100:a0 50:b-early"

static void merged_in_order(void **state)
{
    (void)state;
    seen v;
    logs_event_range r = everything(s1, 0);
    assert_string_equal(read_range(&r, &v), S1_UP);
    r = everything(s1, 1);
    assert_string_equal(read_range(&r, &v), S1_DOWN);
    r = everything(0, 0);
    assert_string_equal(read_range(&r, &v), G_UP);
    r = everything(0, 1);
    assert_string_equal(read_range(&r, &v), G_DOWN);
    r = everything(s2, 0);
    assert_string_equal(read_range(&r, &v), "150:c0 300:c1");
}

/* One event per read, each starting after the position the last ended at. */
static void paged_one_at_a_time(void **state)
{
    (void)state;
    static const struct { int64_t sid; int descending; const char *want; } walks[] = {
        { 1, 0, S1_UP }, { 1, 1, S1_DOWN }, { 0, 0, G_UP }, { 0, 1, G_DOWN },
    };
    for (size_t w = 0; w < sizeof walks / sizeof walks[0]; w++) {
        logs_event_range r = everything(walks[w].sid ? s1 : 0, walks[w].descending);
        char all[4096] = "";
        for (int step = 0; step < 20; step++) {
            seen v;
            memset(&v, 0, sizeof v);
            v.stop_after = 1;
            hg_err err;
            hg_err_clear(&err);
            assert_int_equal(logs_store_events(s, &r, record, &v, &err), 0);
            if (v.count == 0) break;
            size_t used = strlen(all);
            snprintf(all + used, sizeof all - used, "%s%s", used ? " " : "", v.text);
            if (walks[w].descending) { r.hi_ts = v.ts[0]; r.hi_eid = v.eid[0]; }
            else { r.lo_ts = v.ts[0]; r.lo_eid = v.eid[0]; }
        }
        assert_string_equal(all, walks[w].want);
    }
}

/* A batch that starts before the range (ends after it, descending) still
 * gives its events within the range; time bounds cut inside batches. */
static void ranges_cut_batches(void **state)
{
    (void)state;
    int64_t sw = new_stream("wide");
    append(sw, (logs_store_event[]){ { 1000, "w0", 2 }, { 5000, "w1", 2 } }, 2);
    append(sw, (logs_store_event[]){ { 2000, "x", 1 } }, 1);
    seen v;
    logs_event_range r = everything(sw, 0);
    r.lo_ts = 3000;
    assert_string_equal(read_range(&r, &v), "5000:w1");
    r = everything(sw, 1);
    r.hi_ts = 1500;
    r.hi_eid = 0;
    assert_string_equal(read_range(&r, &v), "1000:w0");
    r = everything(sw, 0);
    r.lo_ts = 1000;          /* (1000, 0) exclusive: the event at 1000 has a larger eid */
    r.hi_ts = 5000;
    r.hi_eid = 0;
    assert_string_equal(read_range(&r, &v), "1000:w0 2000:x");
    r = everything(sw, 1);
    assert_string_equal(read_range(&r, &v), "5000:w1 2000:x 1000:w0");
}

/* sql (with stream sid as ?1) stepped once, which must give want
 * (SQLITE_ROW: the caller reads the row); the caller hands the statement
 * back with hg_store_done. */
static sqlite3_stmt *stepped(int64_t sid, const char *sql, int want)
{
    hg_err err;
    hg_err_clear(&err);
    sqlite3_stmt *st = hg_store_stmt(s, sql, &err);
    assert_non_null(st);
    sqlite3_bind_int64(st, 1, sid);
    assert_int_equal(sqlite3_step(st), want);
    return st;
}

static int64_t count_batches(int64_t sid)
{
    sqlite3_stmt *st = stepped(sid, "SELECT count(*) FROM logs_batches WHERE sid=?1", SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    hg_store_done(st);
    return n;
}

static int count_in_order(void *ctx, const logs_event_row *e, hg_err *err)
{
    (void)err;
    int64_t *c = ctx;              /* c[0] count, c[1] last eid, c[2] last ts */
    if (c[0] > 0) {
        assert_true(e->eid > c[1]);
        assert_true(e->ts >= c[2]);
    }
    char want[32];
    snprintf(want, sizeof want, "e%lld", (long long)c[0]);
    assert_string_equal(e->message, want);
    c[0]++;
    c[1] = e->eid;
    c[2] = e->ts;
    return 0;
}

static void large_append_splits(void **state)
{
    (void)state;
    int64_t big = new_stream("big");
    int n = LOGS_BATCH_MAX_EVENTS + 10;
    logs_store_event *ev = calloc((size_t)n, sizeof *ev);
    char (*msg)[16] = calloc((size_t)n, sizeof *msg);
    assert_non_null(ev);
    assert_non_null(msg);
    for (int i = 0; i < n; i++) {
        snprintf(msg[i], sizeof msg[i], "e%d", i);
        ev[i] = (logs_store_event){ 10000 + i / 3, msg[i], strlen(msg[i]) };
    }
    append(big, ev, n);
    assert_int_equal(count_batches(big), 2);
    int64_t c[3] = { 0, 0, 0 };
    hg_err err;
    hg_err_clear(&err);
    logs_event_range r = everything(big, 0);
    assert_int_equal(logs_store_events(s, &r, count_in_order, c, &err), 0);
    assert_int_equal(c[0], n);
    free(ev);
    free(msg);
}

static int fail_visit(void *ctx, const logs_event_row *e, hg_err *err)
{
    (void)ctx;
    (void)e;
    return hg_err_internal(err, "visitor says no");
}

/* Stopping or failing midway leaves nothing behind (ASan and valgrind
 * see the batches still waiting in the merge being freed). */
static void stop_and_fail_midway(void **state)
{
    (void)state;
    seen v;
    memset(&v, 0, sizeof v);
    v.stop_after = 3;
    hg_err err;
    hg_err_clear(&err);
    logs_event_range r = everything(0, 0);
    assert_int_equal(logs_store_events(s, &r, record, &v, &err), 0);
    assert_string_equal(v.text, "50:b-early 100:a0 150:c0");
    assert_int_equal(logs_store_events(s, &r, fail_visit, NULL, &err), -1);
    assert_string_equal(err.message, "visitor says no");
}

/* Run sql, an UPDATE of stream sid's batches (?1), to damage what is stored. */
static void damage_batches(int64_t sid, const char *sql)
{
    hg_store_done(stepped(sid, sql, SQLITE_DONE));
}

static void corrupt_batch_is_an_error(void **state)
{
    (void)state;
    int64_t bad = new_stream("bad");
    append(bad, (logs_store_event[]){ { 1, "one", 3 }, { 2, "two", 3 } }, 2);
    hg_err err;
    hg_err_clear(&err);
    /* a record whose length runs past the end */
    damage_batches(bad, "UPDATE logs_batches SET data = x'0100000000000000ff00000041' WHERE sid=?1");
    seen v;
    memset(&v, 0, sizeof v);
    logs_event_range r = everything(bad, 0);
    assert_int_equal(logs_store_events(s, &r, record, &v, &err), -1);
    assert_non_null(strstr(err.message, "corrupt"));
    assert_int_equal(v.count, 0);
    /* other streams are unharmed */
    r = everything(s1, 0);
    assert_string_equal(read_range(&r, &v), S1_UP);
    assert_int_equal(logs_store_stream_delete(s, bad, &err), 0);
}

/* Each event as it was appended (the batch keeps their order: one
 * timestamp per invocation, three events each). */
typedef struct replay { int i; const logs_store_event *ev; } replay;

static int same_as_appended(void *ctx, const logs_event_row *e, hg_err *err)
{
    (void)err;
    replay *cur = ctx;
    const logs_store_event *want = &cur->ev[cur->i];
    assert_int_equal(e->ts, want->ts);
    assert_int_equal(e->len, want->len);
    assert_memory_equal(e->message, want->msg, want->len);
    cur->i++;
    return 0;
}

/* The stored size and raw size of the stream's one batch. */
static void batch_sizes(int64_t sid, int64_t *stored, int64_t *raw)
{
    sqlite3_stmt *st = stepped(sid, "SELECT length(data), raw FROM logs_batches WHERE sid=?1", SQLITE_ROW);
    *stored = sqlite3_column_int64(st, 0);
    *raw = sqlite3_column_int64(st, 1);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    hg_store_done(st);
}

/* 40 invocations' START/END/REPORT lines: one batch, deflated to under a
 * third of its size, read back event for event. */
static void lambda_lines_are_deflated(void **state)
{
    (void)state;
    int64_t lam = new_stream("2026/11/29/[$LATEST]0123456789abcdef");
    enum { N = 120 };
    logs_store_event ev[N];
    char msg[N][160];
    size_t raw_want = 0;
    for (int i = 0; i < N; i++) {
        int inv = i / 3;
        char id[40];
        snprintf(id, sizeof id, "%08x-1f2e-4d3c-8b7a-%012x", inv * 2654435761u, inv * 40503u);
        if (i % 3 == 0) snprintf(msg[i], sizeof msg[i], "START RequestId: %s Version: $LATEST\n", id);
        else if (i % 3 == 1) snprintf(msg[i], sizeof msg[i], "END RequestId: %s\n", id);
        else snprintf(msg[i], sizeof msg[i], "REPORT RequestId: %s\tDuration: 0.%02d ms\tBilled Duration: 1 ms"
                      "\tMemory Size: 128 MB\tMax Memory Used: 1 MB\t\n", id, inv % 100);
        ev[i] = (logs_store_event){ 20000 + inv, msg[i], strlen(msg[i]) };
        raw_want += 12 + ev[i].len + 1;
    }
    append(lam, ev, N);
    int64_t stored, raw;
    batch_sizes(lam, &stored, &raw);
    assert_int_equal(raw, (int64_t)raw_want);
    assert_true(stored * 3 < raw);

    /* every event back, in order, byte for byte */
    hg_err err;
    hg_err_clear(&err);
    logs_event_range r = everything(lam, 0);
    replay cur = { 0, ev };
    assert_int_equal(logs_store_events(s, &r, same_as_appended, &cur, &err), 0);
    assert_int_equal(cur.i, N);

    /* a deflated batch whose bytes are damaged is an error, not a crash */
    damage_batches(lam, "UPDATE logs_batches SET data = substr(data, 1, length(data) / 2) WHERE sid=?1");
    cur.i = 0;
    assert_int_equal(logs_store_events(s, &r, same_as_appended, &cur, &err), -1);
    assert_non_null(strstr(err.message, "corrupt"));
    assert_int_equal(cur.i, 0);
    assert_int_equal(logs_store_stream_delete(s, lam, &err), 0);
}

/* ---- the logs database is made by its first user (store.c) ---- */

static void *first_user(void *arg)
{
    hg_err err;
    hg_err_clear(&err);
    hg_store *h = hg_store_get_logs(&err);
    int64_t g = 0;
    if (h && logs_store_group_create(h, "us-east-1", (const char *)arg, 1, "{}", &g, &err) != 0) g = 0;
    hg_store_release_all(NULL);
    return (void *)(intptr_t)g;
}

/* In memory: not at start; two threads that want it at once get the one
 * database, each its own handle; and again after a restart of the store. */
static void in_memory_made_by_its_first_user(void **state)
{
    (void)state;
    for (int round = 0; round < 2; round++) {
        hg_err err;
        hg_err_clear(&err);
        assert_int_equal(hg_store_init(NULL, &err), 0);
        assert_false(hg_store_logs_opened());
        pthread_t a, b;
        assert_int_equal(pthread_create(&a, NULL, first_user, "/a"), 0);
        assert_int_equal(pthread_create(&b, NULL, first_user, "/b"), 0);
        void *ga, *gb;
        pthread_join(a, &ga);
        pthread_join(b, &gb);
        assert_true(hg_store_logs_opened());
        /* both groups are in the one database: gids 1 and 2 */
        assert_true((ga == (void *)1 && gb == (void *)2) || (ga == (void *)2 && gb == (void *)1));
        hg_store_release_all(NULL);
        hg_store_shutdown();
        assert_false(hg_store_logs_opened());
    }
}

/* With --data it opens at start (its first step may copy old events). */
static void with_data_opened_at_start(void **state)
{
    (void)state;
    char dir[] = "/tmp/hg-logs-lazy-XXXXXX";
    assert_non_null(mkdtemp(dir));
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hg_store_init(dir, &err), 0);
    assert_true(hg_store_logs_opened());
    hg_store_shutdown();
    char path[sizeof dir + 16];
    const char *files[] = { "hangar.db", "logs.db", "hangar.db-wal", "hangar.db-shm", "logs.db-wal", "logs.db-shm" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (i < 2) assert_int_equal(access(path, F_OK), 0);
        unlink(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest lazy[] = {
        cmocka_unit_test(in_memory_made_by_its_first_user),
        cmocka_unit_test(with_data_opened_at_start),
    };
    if (cmocka_run_group_tests_name("the logs database", lazy, NULL, NULL) != 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(merged_in_order),
        cmocka_unit_test(paged_one_at_a_time),
        cmocka_unit_test(ranges_cut_batches),
        cmocka_unit_test(large_append_splits),
        cmocka_unit_test(stop_and_fail_midway),
        cmocka_unit_test(corrupt_batch_is_an_error),
        cmocka_unit_test(lambda_lines_are_deflated),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
