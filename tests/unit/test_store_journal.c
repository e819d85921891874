/* test_store_journal.c — in memory mode a run of writes taken with
 * hg_store_stmt_unjournaled goes without SQLite's rollback journal, and
 * every transaction and every other write has it back (emulator/store,
 * store.h invariant 6). The journal is what undoes a rolled-back
 * transaction, so each test that turns it off then checks that a
 * rollback still undoes everything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store.h"

static hg_store *s;

static int open_store(const char *dir)
{
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(dir, &err) != 0) return -1;
    s = hg_store_get_logs(&err);
    if (!s) return -1;
    sqlite3_stmt *st = hg_store_stmt(s, "CREATE TABLE IF NOT EXISTS t(k INTEGER PRIMARY KEY, v TEXT NOT NULL)", &err);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    hg_store_done(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    return open_store(NULL);
}

static int teardown(void **state)
{
    (void)state;
    hg_store_release_all(NULL);
    hg_store_shutdown();
    return 0;
}

/* The journal mode as SQLite reports it, asked on the store's connection
 * directly: through hg_store_stmt the question (a PRAGMA, which SQLite
 * counts as a write) would itself turn the journal on. */
static const char *journal_mode(void)
{
    static char mode[16];
    hg_err err;
    hg_err_clear(&err);
    sqlite3_stmt *any = hg_store_stmt(s, "SELECT 1", &err);
    assert_non_null(any);
    sqlite3 *conn = sqlite3_db_handle(any);
    hg_store_done(any);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(conn, "PRAGMA main.journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return mode;
}

static void put(int k, int unjournaled)
{
    hg_err err;
    hg_err_clear(&err);
    const char *sql = "INSERT OR REPLACE INTO t(k, v) VALUES(?, 'x')";
    sqlite3_stmt *st = unjournaled ? hg_store_stmt_unjournaled(s, sql, &err) : hg_store_stmt(s, sql, &err);
    assert_non_null(st);
    sqlite3_bind_int(st, 1, k);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    hg_store_done(st);
}

static int64_t rows(void)
{
    hg_err err;
    hg_err_clear(&err);
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT count(*) FROM t", &err);
    assert_non_null(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    hg_store_done(st);
    return n;
}

/* Eight unjournaled writes in a row turn the journal off (the switch costs
 * about what the journal costs one write, so not sooner). */
static void turn_off(int first_key)
{
    for (int i = 0; i < 7; i++) {
        put(first_key + i, 1);
        assert_string_equal(journal_mode(), "memory");
    }
    put(first_key + 7, 1);
    assert_string_equal(journal_mode(), "off");
}

static void a_run_of_unjournaled_writes_turns_the_journal_off(void **state)
{
    (void)state;
    assert_string_equal(journal_mode(), "memory");
    turn_off(1);
    put(9, 1);                               /* and it stays off */
    assert_string_equal(journal_mode(), "off");
    assert_int_equal(rows(), 9);
}

static void a_transaction_after_them_still_rolls_back(void **state)
{
    (void)state;
    turn_off(1);
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hg_store_begin_write(s, &err), 0);
    assert_string_equal(journal_mode(), "memory");
    put(100, 0);
    put(101, 1);                             /* inside a transaction: journaled like the rest */
    put(1, 0);
    hg_store_rollback(s);
    assert_int_equal(rows(), 8);
    hg_err_clear(&err);
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT count(*) FROM t WHERE k >= 100", &err);
    assert_non_null(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    hg_store_done(st);
}

static void any_other_write_turns_it_back_on_and_starts_the_count_again(void **state)
{
    (void)state;
    turn_off(1);
    hg_err err;
    hg_err_clear(&err);
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM t WHERE k > 4", &err);
    assert_non_null(st);
    assert_string_equal(journal_mode(), "memory");
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    hg_store_done(st);
    assert_int_equal(rows(), 4);
    turn_off(20);                            /* eight more before it goes off again */
}

static void a_write_in_a_read_transaction_is_refused_while_it_is_off(void **state)
{
    (void)state;
    turn_off(1);
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hg_store_begin_read(s, &err), 0);
    assert_int_equal(rows(), 8);             /* reads are fine */
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM t", &err);
    assert_null(st);
    assert_non_null(strstr(err.message, "read transaction"));
    hg_err_clear(&err);
    assert_null(hg_store_stmt_unjournaled(s, "INSERT OR REPLACE INTO t(k, v) VALUES(50, 'x')", &err));
    hg_store_rollback(s);
    assert_int_equal(rows(), 8);
}

/* With --data the journal is WAL's and never changes. */
static void a_persistent_store_keeps_its_wal(void **state)
{
    (void)state;
    teardown(NULL);
    char dir[] = "/tmp/hg-journal-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(open_store(dir), 0);
    for (int i = 0; i < 12; i++) put(i, 1);
    assert_string_equal(journal_mode(), "wal");
    assert_int_equal(rows(), 12);
    teardown(NULL);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(open_store(NULL), 0);   /* for the group's teardown */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_run_of_unjournaled_writes_turns_the_journal_off, setup, teardown),
        cmocka_unit_test_setup_teardown(a_transaction_after_them_still_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(any_other_write_turns_it_back_on_and_starts_the_count_again, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_write_in_a_read_transaction_is_refused_while_it_is_off, setup, teardown),
        cmocka_unit_test_setup_teardown(a_persistent_store_keeps_its_wal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
