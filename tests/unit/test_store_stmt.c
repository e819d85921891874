/* test_store_stmt.c — the store's cache of prepared statements
 * (emulator/store/store.c): found by the address of the SQL text first,
 * but the text decides: a buffer that held one statement's text and now
 * holds another's gets the other statement; the same text at another
 * address gets the statement already prepared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "store.h"

static hg_store *s;

static int setup(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(NULL, &err) != 0) return -1;
    s = hg_store_get_logs(&err);
    return s ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hg_store_release_all(NULL);
    hg_store_shutdown();
    return 0;
}

/* Run sql (one row, one integer) and return the value and the statement. */
static int64_t value_of(const char *sql, sqlite3_stmt **used)
{
    hg_err err;
    hg_err_clear(&err);
    sqlite3_stmt *st = hg_store_stmt(s, sql, &err);
    assert_non_null(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    hg_store_done(st);
    if (used) *used = st;
    return v;
}

static void the_text_decides(void **state)
{
    (void)state;
    char buf[64];
    sqlite3_stmt *a, *b, *again;
    snprintf(buf, sizeof buf, "SELECT %d", 1);
    assert_int_equal(value_of(buf, &a), 1);
    snprintf(buf, sizeof buf, "SELECT %d", 2);            /* same address, other text */
    assert_int_equal(value_of(buf, &b), 2);
    assert_ptr_not_equal(a, b);
    char other[64];
    snprintf(other, sizeof other, "SELECT %d", 1);        /* same text, other address */
    assert_int_equal(value_of(other, &again), 1);
    assert_ptr_equal(again, a);
    assert_int_equal(value_of("SELECT 1", &again), 1);    /* and from a literal */
    assert_ptr_equal(again, a);
    assert_int_equal(value_of("SELECT 1", &again), 1);    /* which is then found by its address */
    assert_ptr_equal(again, a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_text_decides),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
