/* test_store_schema.c — a new database gets the schema the migrations end
 * at in one step (emulator/store/store.c, main_schema and logs_schema); one
 * that already holds a table gets the migrations one by one. The schema is
 * written out twice, so this checks that both roads give the same tables,
 * columns, keys and indexes, for hangar.db and for logs.db. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hg_buf.h"
#include "store.h"

static const char *const files[] = { "hangar.db", "logs.db" };

/* Every table's columns (with type, NOT NULL, default and key position),
 * every index's name, uniqueness, origin and columns, one line each and
 * sorted; "road" is left out (the table that sends a database the long way). */
static const char shape_sql[] =
    "SELECT 'column ' || m.name || '.' || c.name || ' ' || c.type || ' notnull=' || c.\"notnull\""
    "  || ' default=' || ifnull(c.dflt_value, '-') || ' pk=' || c.pk || ' hidden=' || c.hidden AS line"
    "  FROM sqlite_schema m, pragma_table_xinfo(m.name) c WHERE m.type = 'table' AND m.name != 'road'"
    " UNION ALL "
    "SELECT 'index ' || m.name || ' ' || i.name || ' unique=' || i.\"unique\" || ' origin=' || i.origin"
    "  || ' partial=' || i.partial || ' ' || x.seqno || ':' || ifnull(x.name, '<rowid>') || ' desc=' || x.\"desc\""
    "  || ' coll=' || x.coll || ' key=' || x.key"
    "  FROM sqlite_schema m, pragma_index_list(m.name) i, pragma_index_xinfo(i.name) x"
    "  WHERE m.type = 'table' AND m.name != 'road'"
    " UNION ALL "
    "SELECT 'kind ' || type || ' ' || name FROM sqlite_schema WHERE name != 'road'"
    " UNION ALL "
    "SELECT 'version ' || user_version FROM pragma_user_version"
    " ORDER BY 1";

static void shape_of(const char *dir, const char *file, hg_buf *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, shape_sql, -1, &st, NULL), SQLITE_OK);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        assert_int_equal(hg_buf_puts(out, (const char *)sqlite3_column_text(st, 0)), 0);
        assert_int_equal(hg_buf_putc(out, '\n'), 0);
    }
    assert_int_equal(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void open_and_close(const char *dir)
{
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(dir, &err) != 0) fail_msg("store init: %s", err.message);
    hg_store_release_all(NULL);
    hg_store_shutdown();
}

/* A database file at version 0 that holds one table of its own. */
static void plant_road(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE road(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void rmtree(const char *dir)
{
    char path[4096];
    static const char *const leftovers[] = { "hangar.db", "hangar.db-wal", "hangar.db-shm",
                                             "logs.db", "logs.db-wal", "logs.db-shm" };
    for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, leftovers[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* The CREATE statement SQLite keeps for table name in dir's hangar.db. */
static const char *schema_sql(const char *dir, const char *name)
{
    static char sql[4096];
    char path[4096];
    snprintf(path, sizeof path, "%s/hangar.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE name = ?1", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(sql, sizeof sql, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return sql;
}

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static void both_roads_give_one_schema(void **state)
{
    (void)state;
    char fresh[] = "/tmp/hangar-schema-fresh-XXXXXX", history[] = "/tmp/hangar-schema-history-XXXXXX";
    assert_non_null(mkdtemp(fresh));
    assert_non_null(mkdtemp(history));
    for (size_t i = 0; i < 2; i++) plant_road(history, files[i]);
    open_and_close(fresh);
    open_and_close(history);
    for (size_t i = 0; i < 2; i++) {
        hg_buf a, b;
        hg_buf_init(&a, 1 << 20);
        hg_buf_init(&b, 1 << 20);
        shape_of(fresh, files[i], &a);
        shape_of(history, files[i], &b);
        assert_true(a.len > 200);                               /* the query saw the schema */
        assert_non_null(strstr(hg_buf_cstr(&a), "version "));
        if (strcmp(hg_buf_cstr(&a), hg_buf_cstr(&b)) != 0)
            fail_msg("%s: one step gives\n%s\nthe migrations give\n%s", files[i], hg_buf_cstr(&a), hg_buf_cstr(&b));
        hg_buf_release(&a);
        hg_buf_release(&b);
    }
    /* each road was taken: only the migrations rename ddb_items into place,
     * and SQLite then stores its name quoted */
    assert_true(starts_with(schema_sql(fresh, "ddb_items"), "CREATE TABLE ddb_items("));
    assert_true(starts_with(schema_sql(history, "ddb_items"), "CREATE TABLE \"ddb_items\"("));
    rmtree(fresh);
    rmtree(history);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_roads_give_one_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
