/* test_store_pagecache.c — SQLite's page cache as the store installs it
 * (emulator/store/pagecache.c), in both its kinds: pages by number for an
 * in-memory database, and for a file the default cache that skips
 * truncates which would drop nothing. The file cache must skip (that is its
 * point); neither may keep a page that a rollback of a transaction that
 * grew the database, a savepoint rolled back or a VACUUM that shrinks it
 * should drop. Each of those is checked by the cache's own page count
 * (pages left behind would stay counted), integrity_check, and the rows.
 * The in-memory cache must also survive running out of memory for its
 * index: statements fail with SQLITE_NOMEM, nothing committed is lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

static sqlite3 *db;

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int64_t scalar(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW) fail_msg("%s: no row", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Pages the cache holds (an in-memory database: every page it has). */
static int cache_bytes(void)
{
    int cur = 0, hi = 0;
    sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_USED, &cur, &hi, 0);
    return cur;
}

static void assert_intact(int64_t rows)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    assert_int_equal(scalar("SELECT count(*) FROM t"), rows);
}

/* n rows of size bytes with random keys "<prefix>NNNNNNNNN", in
 * transactions of `per` rows (per 0: inside the caller's transaction).
 * Leaf splits in key order park pages above the database while siblings
 * are reordered. */
static void insert_random(char prefix, int n, int per, int size, unsigned *seed)
{
    sqlite3_stmt *st;
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO t VALUES(?, zeroblob(%d))", size);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (int i = 0; i < n; i++) {
        if (per && i % per == 0) exec("BEGIN");
        *seed = *seed * 1103515245u + 12345u;
        char key[16];
        snprintf(key, sizeof key, "%c%09u", prefix, *seed % 1000000000u);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
        if (per && (i % per == per - 1 || i == n - 1)) exec("COMMIT");
    }
    sqlite3_finalize(st);
}

static void open_db(const char *path)
{
    if (hg_pagecache_install() != 0) fail_msg("the page cache could not be installed");
    if (sqlite3_open(path, &db) != SQLITE_OK) fail_msg("open %s", path);
    exec("CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID");
}

static int setup_memory(void **state)
{
    (void)state;
    open_db(":memory:");
    return 0;
}

/* A file holds the database, and the cache (as large as the store's) all
 * of it, so page counts compare as in memory. */
static char dir[] = "/tmp/hg-pagecache-XXXXXX";
static char file[sizeof dir + 8];

static int setup_file(void **state)
{
    (void)state;
    if (!mkdtemp(dir)) fail_msg("mkdtemp");
    snprintf(file, sizeof file, "%s/t.db", dir);
    open_db(file);
    exec("PRAGMA synchronous=OFF; PRAGMA cache_size=-65536");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sqlite3_close(db);
    db = NULL;
    if (file[0]) {
        unlink(file);
        char journal[sizeof file + 8];
        snprintf(journal, sizeof journal, "%s-journal", file);
        unlink(journal);
        rmdir(dir);
        file[0] = 0;
    }
    return 0;
}

static void commits_skip_empty_truncates(void **state)
{
    (void)state;
    unsigned seed = 1;
    unsigned long long before = hg_pagecache_skipped();
    insert_random('k', 20000, 10, 60, &seed);
    int64_t rows = scalar("SELECT count(*) FROM t");
    assert_true(rows > 19000);
    /* about one truncate per commit, and nearly all of them drop nothing */
    assert_true(hg_pagecache_skipped() - before >= 1900);
    assert_intact(rows);
}

static void rollback_drops_the_pages_it_added(void **state)
{
    (void)state;
    int64_t rows = scalar("SELECT count(*) FROM t");
    int pages_before = (int)scalar("PRAGMA page_count");
    int cache_before = cache_bytes();
    unsigned seed = 77;
    exec("BEGIN");
    insert_random('r', 3000, 0, 3000, &seed);
    assert_true(scalar("PRAGMA page_count") > pages_before + 2000);
    assert_true(cache_bytes() > cache_before + 2000 * 4096);
    exec("ROLLBACK");
    /* The ~2,300 pages the transaction added are gone from the cache. */
    assert_int_equal(scalar("PRAGMA page_count"), pages_before);
    assert_true(cache_bytes() < cache_before + 64 * 4096);
    assert_intact(rows);
    /* and the database grows over the same page numbers cleanly */
    seed = 5;
    insert_random('k', 2000, 100, 500, &seed);
    assert_intact(scalar("SELECT count(*) FROM t"));
}

static void savepoint_rollback_and_vacuum(void **state)
{
    (void)state;
    int64_t rows = scalar("SELECT count(*) FROM t");
    exec("BEGIN");
    exec("SAVEPOINT s");
    unsigned seed = 9;
    insert_random('s', 1000, 0, 2000, &seed);
    exec("ROLLBACK TO s");
    exec("RELEASE s");
    exec("COMMIT");
    assert_intact(rows);

    /* Half the rows go; VACUUM rebuilds smaller and the cache follows. */
    exec("DELETE FROM t WHERE k < 'k5'");
    int64_t left = scalar("SELECT count(*) FROM t");
    assert_true(left < rows);
    int cache_before = cache_bytes();
    int pages_before = (int)scalar("PRAGMA page_count");
    exec("VACUUM");
    int pages_after = (int)scalar("PRAGMA page_count");
    assert_true(pages_after < pages_before);
    assert_true(cache_bytes() < cache_before - (pages_before - pages_after) / 2 * 4096);
    assert_intact(left);
}

/* With the cache's index refused, a transaction that needs pages in a span
 * of page numbers not yet indexed fails with SQLITE_NOMEM; rows committed
 * before stay, the database stays whole, and it grows again once memory is
 * back. Page splits made meanwhile may move pages to a number without a
 * span (the pending-byte page), which the cache must still find. */
static void out_of_memory_for_the_index_loses_nothing(void **state)
{
    (void)state;
    int64_t rows = scalar("SELECT count(*) FROM t");
    int64_t pages = scalar("PRAGMA page_count");
    unsigned long long refused = hg_pagecache_spans_refused();
    hg_pagecache_refuse_spans(true);
    /* Each transaction adds about 40 pages: the database soon needs page
     * numbers in a span it does not have. */
    unsigned seed = 31;
    int failed = 0, committed = 0;
    for (int i = 0; i < 200 && !failed; i++) {
        exec("BEGIN");
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO t VALUES(?, zeroblob(900))", -1, &st, NULL),
                         SQLITE_OK);
        for (int j = 0; j < 150; j++) {
            seed = seed * 1103515245u + 12345u;
            char key[16];
            snprintf(key, sizeof key, "m%09u", seed % 1000000000u);
            sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
            int rc = sqlite3_step(st);
            sqlite3_reset(st);
            if (rc == SQLITE_DONE) continue;
            assert_int_equal(rc, SQLITE_NOMEM);
            failed = 1;
            break;
        }
        sqlite3_finalize(st);
        if (failed) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);    /* may be rolled back already */
        } else {
            exec("COMMIT");
            committed++;
        }
    }
    hg_pagecache_refuse_spans(false);
    assert_true(failed);
    assert_true(hg_pagecache_spans_refused() > refused);
    int64_t now = scalar("SELECT count(*) FROM t");
    assert_true(now >= rows + committed * 140);
    assert_true(scalar("PRAGMA page_count") < pages + 4096);
    assert_intact(now);
    /* Memory back: the database grows past where it stopped. */
    insert_random('n', 3000, 100, 900, &seed);
    assert_true(scalar("PRAGMA page_count") > 1100);
    assert_intact(scalar("SELECT count(*) FROM t"));
}

int main(void)
{
    const struct CMUnitTest in_memory[] = {
        cmocka_unit_test(rollback_drops_the_pages_it_added),
        cmocka_unit_test(savepoint_rollback_and_vacuum),
    };
    /* on a new database: no span made yet beyond the first */
    const struct CMUnitTest out_of_memory[] = {
        cmocka_unit_test(out_of_memory_for_the_index_loses_nothing),
    };
    const struct CMUnitTest in_a_file[] = {
        cmocka_unit_test(commits_skip_empty_truncates),
        cmocka_unit_test(rollback_drops_the_pages_it_added),
        cmocka_unit_test(savepoint_rollback_and_vacuum),
    };
    int failed = cmocka_run_group_tests_name("in memory", in_memory, setup_memory, teardown);
    failed += cmocka_run_group_tests_name("in memory, out of memory", out_of_memory, setup_memory, teardown);
    return failed + cmocka_run_group_tests_name("in a file", in_a_file, setup_file, teardown);
}
