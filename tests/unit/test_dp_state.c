/* Unit tests for the deployer's state (deployer/state/state.c): stack and
 * resource round trips, per-step writes and deletes, order, pending rows,
 * locks (a live holder refuses, a dead one is stale), export/import shape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "state.h"

static char home[64];

static state_db *open_fresh(void)
{
    snprintf(home, sizeof home, "/tmp/hg-dp-state-XXXXXX");
    assert_non_null(mkdtemp(home));
    state_db *db = NULL;
    hg_err err = {0};
    assert_int_equal(state_open(home, &db, &err), 0);
    return db;
}

static void cleanup(state_db *db)
{
    state_close(db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", home);
    assert_int_equal(system(cmd), 0);
}

static state_res res(const char *name, const char *id, const char *inputs, char **deps, int ndeps)
{
    static char urns[8][128];
    static int k;
    char *urn = urns[k++ % 8];
    snprintf(urn, 128, "urn:pulumi:dev::core::aws:dynamodb:Table::%s", name);
    state_res r = {0};
    r.urn = urn;
    r.type = "aws:dynamodb:Table";
    r.name = (char *)name;
    r.id = (char *)id;
    r.inputs = cJSON_Parse(inputs);
    r.outputs = cJSON_Parse("{\"arn\":\"x\"}");
    r.deps = deps;
    r.ndeps = ndeps;
    return r;
}

static void put(state_db *db, state_stack *key, state_res r)
{
    hg_err err = {0};
    assert_int_equal(state_res_put(db, key, &r, &err), 0);
    cJSON_Delete(r.inputs);
    cJSON_Delete(r.outputs);
}

static void test_stack_round_trip(void **st)
{
    (void)st;
    state_db *db = open_fresh();
    hg_err err = {0};
    state_stack *s = NULL;
    assert_int_equal(state_stack_get(db, "organization", "core", "dev", &s, &err), 1);
    assert_int_equal(state_stack_create(db, "organization", "core", "dev", &err), 0);
    assert_int_equal(state_stack_create(db, "organization", "core", "dev", &err), 0);   /* idempotent */
    assert_int_equal(state_stack_create(db, "organization", "api", "dev", &err), 0);
    assert_int_equal(state_stack_get(db, "organization", "core", "dev", &s, &err), 0);
    assert_int_equal(s->nres, 0);
    assert_null(s->fingerprint);
    assert_true(s->updated == 0);

    char *deps[] = { "urn:pulumi:dev::core::aws:dynamodb:Table::a" };
    put(db, s, res("a", "a-1234567", "{\"hashKey\":\"id\"}", NULL, 0));
    put(db, s, res("b", "b-1234567", "{\"hashKey\":\"pk\"}", deps, 1));
    /* rewriting a row keeps its place */
    put(db, s, res("a", "a-1234567", "{\"hashKey\":\"id\",\"billingMode\":\"X\"}", NULL, 0));
    cJSON *outs = cJSON_Parse("{\"tableName\":\"a-1234567\"}");
    assert_int_equal(state_stack_set_outputs(db, s, outs, "fp1", &err), 0);
    cJSON_Delete(outs);
    state_stack_free(s);

    assert_int_equal(state_stack_get(db, "organization", "core", "dev", &s, &err), 0);
    assert_int_equal(s->nres, 2);
    assert_string_equal(s->res[0].name, "a");
    assert_string_equal(s->res[1].name, "b");
    assert_string_equal(cJSON_GetObjectItem(s->res[0].inputs, "billingMode")->valuestring, "X");
    assert_int_equal(s->res[1].ndeps, 1);
    assert_string_equal(s->res[1].deps[0], deps[0]);
    assert_string_equal(s->fingerprint, "fp1");
    assert_true(s->updated > 0);
    assert_string_equal(cJSON_GetObjectItem(s->outputs, "tableName")->valuestring, "a-1234567");

    assert_int_equal(state_res_delete(db, s, s->res[0].urn, &err), 0);
    state_stack_free(s);
    assert_int_equal(state_stack_get(db, "organization", "core", "dev", &s, &err), 0);
    assert_int_equal(s->nres, 1);
    state_stack_free(s);

    char **names; int n;
    assert_int_equal(state_stack_list(db, &names, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "organization/api/dev");
    assert_string_equal(names[1], "organization/core/dev");
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);

    assert_int_equal(state_stack_remove(db, "organization", "core", "dev", &err), 0);
    assert_int_equal(state_stack_get(db, "organization", "core", "dev", &s, &err), 1);
    assert_int_equal(state_stack_remove(db, "organization", "core", "dev", &err), -1);
    cleanup(db);
}

static void test_pending_row_survives_reopen(void **st)
{
    (void)st;
    state_db *db = open_fresh();
    hg_err err = {0};
    state_stack key = {.org = "organization", .project = "core", .stack = "dev"};
    assert_int_equal(state_stack_create(db, "organization", "core", "dev", &err), 0);
    state_res r = res("p", NULL, "{\"name\":\"p-abcdef0\"}", NULL, 0);
    r.pending = true;
    put(db, &key, r);
    state_close(db);   /* as a kill would leave it */
    assert_int_equal(state_open(home, &db, &err), 0);
    state_stack *s;
    assert_int_equal(state_stack_get(db, "organization", "core", "dev", &s, &err), 0);
    assert_int_equal(s->nres, 1);
    assert_true(s->res[0].pending);
    assert_null(s->res[0].id);
    state_stack_free(s);
    cleanup(db);
}

static void insert_lock(long pid, const char *host)
{
    char path[128];
    snprintf(path, sizeof path, "%s/state.db", home);
    sqlite3 *q;
    assert_int_equal(sqlite3_open(path, &q), SQLITE_OK);
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO locks VALUES('organization','core','dev',%ld,'%s',1700000000)", pid, host);
    assert_int_equal(sqlite3_exec(q, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(q);
}

static void test_locks(void **st)
{
    (void)st;
    state_db *db = open_fresh();
    hg_err err = {0};
    char host[256];
    gethostname(host, sizeof host);

    assert_int_equal(state_lock(db, "organization", "core", "dev", &err), 0);
    /* a second holder (this pid is alive) is refused at once, named */
    hg_err e2 = {0};
    assert_int_equal(state_lock(db, "organization", "core", "dev", &e2), -1);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    assert_non_null(strstr(e2.message, pid));
    assert_non_null(strstr(e2.message, host));
    assert_string_equal(e2.code, "StackLocked");
    /* another stack is independent */
    assert_int_equal(state_lock(db, "organization", "core", "prod", &err), 0);
    state_unlock(db, "organization", "core", "prod");
    /* unlock without force refuses a live holder */
    hg_err e3 = {0};
    assert_int_equal(state_force_unlock(db, "organization", "core", "dev", false, &e3), -1);
    assert_non_null(strstr(e3.message, "still running"));
    state_unlock(db, "organization", "core", "dev");
    hg_err e4 = {0};
    assert_int_equal(state_force_unlock(db, "organization", "core", "dev", false, &e4), -1);
    assert_string_equal(e4.code, "NotLocked");

    /* a dead holder on this host is stale: unlock clears it, and lock takes over */
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    insert_lock((long)child, host);
    assert_int_equal(state_force_unlock(db, "organization", "core", "dev", false, &err), 0);
    insert_lock((long)child, host);
    assert_int_equal(state_lock(db, "organization", "core", "dev", &err), 0);
    state_unlock(db, "organization", "core", "dev");
    /* a holder on another host cannot be judged: refused, clearable with force */
    insert_lock(1, "some-other-host");
    hg_err e5 = {0};
    assert_int_equal(state_lock(db, "organization", "core", "dev", &e5), -1);
    assert_non_null(strstr(e5.message, "some-other-host"));
    assert_int_equal(state_force_unlock(db, "organization", "core", "dev", false, &e5), -1);
    assert_int_equal(state_force_unlock(db, "organization", "core", "dev", true, &err), 0);
    cleanup(db);
}

static void test_export_import(void **st)
{
    (void)st;
    state_db *db = open_fresh();
    hg_err err = {0};
    state_stack key = {.org = "organization", .project = "core", .stack = "dev"};
    assert_int_equal(state_stack_create(db, "organization", "core", "dev", &err), 0);
    char *deps[] = { "urn:pulumi:dev::core::aws:dynamodb:Table::a" };
    put(db, &key, res("a", "a-1", "{\"hashKey\":\"id\"}", NULL, 0));
    state_res b = res("b", "b-1", "{\"hashKey\":\"pk\"}", deps, 1);
    b.protect = true;
    put(db, &key, b);
    cJSON *outs = cJSON_Parse("{\"x\":1}");
    assert_int_equal(state_stack_set_outputs(db, &key, outs, NULL, &err), 0);
    cJSON_Delete(outs);

    cJSON *doc;
    assert_int_equal(state_export(db, "organization", "core", "dev", &doc, &err), 0);
    assert_int_equal(cJSON_GetObjectItem(doc, "version")->valueint, 3);
    cJSON *cp = cJSON_GetObjectItem(doc, "checkpoint");
    assert_string_equal(cJSON_GetObjectItem(cp, "stack")->valuestring, "organization/core/dev");
    cJSON *latest = cJSON_GetObjectItem(cp, "latest");
    assert_non_null(cJSON_GetObjectItem(latest, "manifest"));
    cJSON *arr = cJSON_GetObjectItem(latest, "resources");
    assert_int_equal(cJSON_GetArraySize(arr), 3);
    cJSON *root = cJSON_GetArrayItem(arr, 0), *rb = cJSON_GetArrayItem(arr, 2);
    assert_string_equal(cJSON_GetObjectItem(root, "type")->valuestring, "pulumi:pulumi:Stack");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "outputs"), "x")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItem(rb, "urn")->valuestring, "urn:pulumi:dev::core::aws:dynamodb:Table::b");
    assert_string_equal(cJSON_GetObjectItem(rb, "id")->valuestring, "b-1");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rb, "custom")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rb, "protect")));
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(rb, "dependencies"), 0)->valuestring, deps[0]);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rb, "inputs"), "hashKey")->valuestring, "pk");

    /* import into another stack gives the same rows */
    assert_int_equal(state_import(db, "organization", "core", "prod", doc, &err), 0);
    state_stack *s;
    assert_int_equal(state_stack_get(db, "organization", "core", "prod", &s, &err), 0);
    assert_int_equal(s->nres, 2);
    assert_string_equal(s->res[1].name, "b");
    assert_true(s->res[1].protect);
    assert_int_equal(cJSON_GetObjectItem(s->outputs, "x")->valueint, 1);
    state_stack_free(s);
    cJSON_Delete(doc);

    cJSON *bad = cJSON_Parse("{\"version\":3}");
    hg_err e2 = {0};
    assert_int_equal(state_import(db, "organization", "core", "prod", bad, &e2), -1);
    cJSON_Delete(bad);
    hg_err e3 = {0};
    assert_int_equal(state_export(db, "organization", "core", "nope", &doc, &e3), -1);
    assert_string_equal(e3.code, "StackNotFound");
    cleanup(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_round_trip),
        cmocka_unit_test(test_pending_row_survives_reopen),
        cmocka_unit_test(test_locks),
        cmocka_unit_test(test_export_import),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
