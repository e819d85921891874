/* test_ddb_write.c — the write engine (write.c) by itself, as BatchWriteItem
 * and TransactWriteItems drive it: prepare with and without a TableName in
 * the part, apply inside a caller's transaction, ConditionCheck, the old
 * item on a failed condition, index units, legacy parameters becoming
 * expressions, and the put-if-absent insert form. Tables are created directly in a temporary store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ddb.h"
#include "store.h"

#define REGION "us-east-1"

static cJSON *J(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j) fail_msg("bad JSON in test: %s", text);
    return j;
}

static ddb_ctx ctx_get(void)
{
    hg_err err;
    hg_err_clear(&err);
    ddb_ctx ctx = { .region = REGION, .account = "000000000000" };
    ctx.store = hg_store_get(&err);
    if (!ctx.store) fail_msg("store: %s", err.message);
    return ctx;
}

static int setup(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(NULL, &err) != 0) fail_msg("store init: %s", err.message);
    ddb_ctx ctx = ctx_get();
    int64_t tid;
    if (ddb_store_table_create(ctx.store, REGION, "wtab",
            "{\"TableName\":\"wtab\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
            "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
            "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"}],"
            "\"GlobalSecondaryIndexes\":[{\"IndexName\":\"byG\",\"_iid\":1,"
            "\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
            "\"Projection\":{\"ProjectionType\":\"ALL\"}}]}", &tid, &err) != 0)
        fail_msg("create: %s", err.message);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hg_store_shutdown();
    return 0;
}

/* Prepare and apply one part in its own transaction. Returns the status;
 * the part is consumed; old_out and new_out as ddb_write_apply fills them. */
static int run(ddb_ctx *ctx, ddb_write_kind kind, const char *part_text, const char *table,
               cJSON **old_out, cJSON **new_out, ddb_write *keep, hg_err *err)
{
    cJSON *part = J(part_text);
    ddb_write w;
    hg_err_clear(err);
    int rc = ddb_write_prepare(ctx, kind, part, table, &w, err);
    if (rc == 0) {
        if (hg_store_begin_write(ctx->store, err) != 0) fail_msg("begin: %s", err->message);
        rc = ddb_write_apply(ctx, &w, old_out, new_out, err);
        if (rc == 0) { if (hg_store_commit(ctx->store, err) != 0) fail_msg("commit: %s", err->message); }
        else hg_store_rollback(ctx->store);
    }
    if (keep) *keep = w;
    else ddb_write_release(&w);
    cJSON_Delete(part);
    return rc;
}

static void assert_json(const cJSON *got, const char *want_text)
{
    cJSON *want = J(want_text);
    if (!cJSON_Compare(got, want, 1)) {
        char *g = got ? cJSON_PrintUnformatted(got) : NULL;
        fail_msg("got %s, want %s", g ? g : "NULL", want_text);
    }
    cJSON_Delete(want);
}

static void put_update_delete(void **state)
{
    (void)state;
    ddb_ctx ctx = ctx_get();
    hg_err err;
    cJSON *old, *neu;
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.50\"}}}",
                         NULL, &old, &neu, NULL, &err), 0);
    assert_null(old);
    assert_json(neu, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.5\"}}");
    cJSON_Delete(neu);

    /* Batch style: the table comes separately, the part has none. */
    assert_int_equal(run(&ctx, DDB_WRITE_UPDATE, "{\"Key\":{\"pk\":{\"S\":\"a\"}},\"UpdateExpression\":\"ADD n :d\","
                         "\"ExpressionAttributeValues\":{\":d\":{\"N\":\"0.5\"}}}", "wtab", &old, &neu, NULL, &err), 0);
    assert_json(old, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.5\"}}");
    assert_json(neu, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"2\"}}");
    cJSON_Delete(old);
    cJSON_Delete(neu);

    assert_int_equal(run(&ctx, DDB_WRITE_DELETE, "{\"Key\":{\"pk\":{\"S\":\"a\"}}}", "wtab", &old, &neu, NULL, &err), 0);
    assert_json(old, "{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"2\"}}");
    assert_null(neu);
    cJSON_Delete(old);
    /* Deleting nothing succeeds and costs one unit. */
    ddb_write w;
    assert_int_equal(run(&ctx, DDB_WRITE_DELETE, "{\"Key\":{\"pk\":{\"S\":\"a\"}}}", "wtab", NULL, NULL, &w, &err), 0);
    assert_true(w.table_units == 1.0);
    ddb_write_release(&w);
}

static void condition_check_and_failures(void **state)
{
    (void)state;
    ddb_ctx ctx = ctx_get();
    hg_err err;
    ddb_write w;
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"c\"},\"v\":{\"N\":\"1\"}}}",
                         NULL, NULL, NULL, NULL, &err), 0);

    /* ConditionCheck: nothing written, units charged on the item it guards. */
    assert_int_equal(run(&ctx, DDB_WRITE_CHECK, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"c\"}},"
                         "\"ConditionExpression\":\"v = :one\",\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}",
                         NULL, NULL, NULL, &w, &err), 0);
    assert_true(w.table_units == 1.0);
    ddb_write_release(&w);
    assert_int_equal(run(&ctx, DDB_WRITE_CHECK, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"c\"}}}",
                         NULL, NULL, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.message, "conditionExpression"));

    /* A failed condition with ALL_OLD leaves the old item in err_extra. */
    assert_int_equal(run(&ctx, DDB_WRITE_DELETE, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"c\"}},"
                         "\"ConditionExpression\":\"attribute_not_exists(v)\","
                         "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}", NULL, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.code, "ConditionalCheckFailedException");
    assert_string_equal(err.message, "The conditional request failed");
    assert_non_null(ctx.err_extra);
    assert_json(cJSON_GetObjectItemCaseSensitive(ctx.err_extra, "Item"), "{\"pk\":{\"S\":\"c\"},\"v\":{\"N\":\"1\"}}");
    cJSON_Delete(ctx.err_extra);
    ctx.err_extra = NULL;

    /* Without it, or with no item there, nothing extra. */
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"none\"}},"
                         "\"ConditionExpression\":\"attribute_exists(pk)\","
                         "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}", NULL, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.code, "ConditionalCheckFailedException");
    assert_null(ctx.err_extra);
}

static void validation(void **state)
{
    (void)state;
    ddb_ctx ctx = ctx_get();
    hg_err err;
    static const struct { ddb_write_kind kind; const char *part, *words; } cases[] = {
        { DDB_WRITE_PUT, "{\"Item\":{\"pk\":{\"S\":\"x\"}}}", "Value null at 'tableName'" },
        { DDB_WRITE_PUT, "{\"TableName\":\"wtab\"}", "Value null at 'item'" },
        { DDB_WRITE_UPDATE, "{\"TableName\":\"wtab\"}", "Value null at 'key'" },
        { DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"N\":\"1\"}}}", "Type mismatch for key pk" },
        { DDB_WRITE_UPDATE, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"x\"}},\"UpdateExpression\":\"SET pk = :v\","
          "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"y\"}}}", "Cannot update attribute pk. This attribute is part of the key" },
        { DDB_WRITE_DELETE, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"x\"}},\"ExpressionAttributeValues\":{\":v\":{\"S\":\"y\"}}}",
          "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null" },
        { DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"x\"}},\"ConditionExpression\":\"a = :v\","
          "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"y\"},\":w\":{\"S\":\"z\"}}}", "unused in expressions: keys: {:w}" },
        { DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"x\"}},\"ReturnValuesOnConditionCheckFailure\":\"ALL\"}",
          "enum value set: [ALL_OLD, NONE]" },
        { DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"x\"}},\"ConditionExpression\":\"attribute_exists(pk)\","
          "\"Expected\":{\"pk\":{\"Exists\":false}}}", "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (run(&ctx, cases[i].kind, cases[i].part, NULL, NULL, NULL, NULL, &err) == 0)
            fail_msg("case %zu succeeded: %s", i, cases[i].part);
        if (!strstr(err.message, cases[i].words))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, cases[i].words);
    }
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, "{\"TableName\":\"nope\",\"Item\":{\"pk\":{\"S\":\"x\"}}}",
                         NULL, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.code, "ResourceNotFoundException");
}

static void index_units(void **state)
{
    (void)state;
    ddb_ctx ctx = ctx_get();
    hg_err err;
    ddb_write w;
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"i\"},\"g\":{\"S\":\"x\"}}}",
                         NULL, NULL, NULL, &w, &err), 0);
    assert_true(w.table_units == 1.0 && w.index_units[0] == 1.0);
    ddb_write_release(&w);
    /* Leaving the index is a write to it too; a put without the index key is not. */
    assert_int_equal(run(&ctx, DDB_WRITE_UPDATE, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"i\"}},\"UpdateExpression\":\"REMOVE g\"}",
                         NULL, NULL, NULL, &w, &err), 0);
    assert_true(w.index_units[0] == 1.0);
    ddb_write_release(&w);
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"i\"}}}",
                         NULL, NULL, NULL, &w, &err), 0);
    assert_true(w.index_units[0] == 0.0);
    ddb_write_release(&w);
}

static void legacy_becomes_expressions(void **state)
{
    (void)state;
    ddb_ctx ctx = ctx_get();
    hg_err err;
    cJSON *neu;
    assert_int_equal(run(&ctx, DDB_WRITE_UPDATE, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"l\"}},"
                         "\"Expected\":{\"pk\":{\"Exists\":false}},"
                         "\"AttributeUpdates\":{\"a\":{\"Value\":{\"S\":\"x\"}},\"n\":{\"Action\":\"ADD\",\"Value\":{\"N\":\"2\"}},"
                         "\"gone\":{\"Action\":\"DELETE\"}}}", NULL, NULL, &neu, NULL, &err), 0);
    assert_json(neu, "{\"pk\":{\"S\":\"l\"},\"a\":{\"S\":\"x\"},\"n\":{\"N\":\"2\"}}");
    cJSON_Delete(neu);
    /* Now it exists: the same Expected fails. */
    assert_int_equal(run(&ctx, DDB_WRITE_UPDATE, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"l\"}},"
                         "\"Expected\":{\"pk\":{\"Exists\":false}}}", NULL, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.code, "ConditionalCheckFailedException");
    /* OR of two comparisons, one of them true. */
    assert_int_equal(run(&ctx, DDB_WRITE_DELETE, "{\"TableName\":\"wtab\",\"Key\":{\"pk\":{\"S\":\"l\"}},\"ConditionalOperator\":\"OR\","
                         "\"Expected\":{\"n\":{\"ComparisonOperator\":\"LT\",\"AttributeValueList\":[{\"N\":\"1\"}]},"
                         "\"a\":{\"ComparisonOperator\":\"BEGINS_WITH\",\"AttributeValueList\":[{\"S\":\"x\"}]}}}",
                         NULL, NULL, NULL, NULL, &err), 0);
}

/* A put that nobody needs the old item of does not read it; everything that
 * does need it (a condition, an index to keep, the old item or the units
 * asked for) still reads it — and units then count the larger item. */
static void plain_put_skips_the_old_item(void **state)
{
    (void)state;
    ddb_ctx ctx = ctx_get();
    hg_err err;
    int64_t tid;
    hg_err_clear(&err);
    if (ddb_store_table_create(ctx.store, REGION, "plain",
            "{\"TableName\":\"plain\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
            "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}", &tid, &err) != 0)
        fail_msg("create: %s", err.message);
    char big[4200];
    snprintf(big, sizeof big, "{\"TableName\":\"plain\",\"Item\":{\"pk\":{\"S\":\"b\"},\"s\":{\"S\":\"%03000d\"}}}", 7);
    const char *small = "{\"TableName\":\"plain\",\"Item\":{\"pk\":{\"S\":\"b\"},\"n\":{\"N\":\"1\"}}}";
    ddb_write w;
    cJSON *old;

    /* Nothing wanted: blind, and the small item replaces the big one. */
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, big, NULL, NULL, NULL, NULL, &err), 0);
    cJSON *part = J(small);
    assert_int_equal(ddb_write_prepare(&ctx, DDB_WRITE_PUT, part, NULL, &w, &err), 0);
    assert_true(w.count_units);                       /* the default counts them */
    w.count_units = false;
    assert_true(ddb_write_is_blind(&w, false));
    assert_false(ddb_write_is_blind(&w, true));
    assert_int_equal(ddb_write_apply(&ctx, &w, NULL, NULL, &err), 0);   /* no transaction: one statement */
    assert_true(w.blind);
    ddb_write_release(&w);
    cJSON_Delete(part);
    ddb_key key;
    ddb_key_init(&key);
    ddb_table *t;
    assert_int_equal(ddb_table_open(&ctx, "plain", true, &t, &err), 0);
    cJSON *k = J("{\"pk\":{\"S\":\"b\"}}");
    assert_int_equal(ddb_key_from_keyparam(t, k, &key, &err), 0);
    cJSON *now;
    assert_int_equal(ddb_item_read(&ctx, t, &key, &now, &err), 0);
    assert_json(now, "{\"pk\":{\"S\":\"b\"},\"n\":{\"N\":\"1\"}}");
    cJSON_Delete(now);
    cJSON_Delete(k);
    ddb_key_release(&key);
    ddb_table_free(t);

    /* Units counted: the old (3 KB) item is read and charged. */
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, big, NULL, NULL, NULL, NULL, &err), 0);
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, small, NULL, NULL, NULL, &w, &err), 0);
    assert_false(w.blind);
    assert_true(w.table_units == 3.0);
    ddb_write_release(&w);

    /* The old item asked for: read and handed back. */
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, small, NULL, &old, NULL, &w, &err), 0);
    assert_false(w.blind);
    assert_json(old, "{\"pk\":{\"S\":\"b\"},\"n\":{\"N\":\"1\"}}");
    cJSON_Delete(old);
    ddb_write_release(&w);

    /* A condition needs the old item: attribute_not_exists fails on it. */
    part = J("{\"TableName\":\"plain\",\"Item\":{\"pk\":{\"S\":\"b\"}},"
             "\"ConditionExpression\":\"attribute_not_exists(pk)\"}");
    assert_int_equal(ddb_write_prepare(&ctx, DDB_WRITE_PUT, part, NULL, &w, &err), 0);
    w.count_units = false;
    assert_false(ddb_write_is_blind(&w, false));
    ddb_write_release(&w);
    cJSON_Delete(part);

    /* A table with an index keeps its entries from the old item. */
    part = J("{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"b\"}}}");
    assert_int_equal(ddb_write_prepare(&ctx, DDB_WRITE_PUT, part, NULL, &w, &err), 0);
    w.count_units = false;
    assert_false(ddb_write_is_blind(&w, false));
    ddb_write_release(&w);
    cJSON_Delete(part);
}

/* prepare part; is it the insert form (no old item wanted)? */
static bool is_insert(ddb_ctx *ctx, const char *part_text)
{
    hg_err err;
    hg_err_clear(&err);
    cJSON *part = J(part_text);
    ddb_write w;
    if (ddb_write_prepare(ctx, DDB_WRITE_PUT, part, NULL, &w, &err) != 0) fail_msg("prepare: %s", err.message);
    bool insert = ddb_write_is_insert(&w, false);
    if (insert && ddb_write_is_insert(&w, true)) fail_msg("insert form although the old item is wanted");
    ddb_write_release(&w);
    cJSON_Delete(part);
    return insert;
}

static void assert_stored(ddb_ctx *ctx, const char *table, const char *key_text, const char *want)
{
    hg_err err;
    hg_err_clear(&err);
    ddb_table *t;
    ddb_key key;
    ddb_key_init(&key);
    assert_int_equal(ddb_table_open(ctx, table, true, &t, &err), 0);
    cJSON *k = J(key_text), *now;
    assert_int_equal(ddb_key_from_keyparam(t, k, &key, &err), 0);
    assert_int_equal(ddb_item_read(ctx, t, &key, &now, &err), 0);
    assert_json(now, want);
    cJSON_Delete(now);
    cJSON_Delete(k);
    ddb_key_release(&key);
    ddb_table_free(t);
}

/* attribute_not_exists(<key attribute>) holds exactly when no item has the
 * key: such a put is one "insert unless present" statement, with no read
 * and no transaction of its own, and answers as the read-check-write did. */
static void put_if_absent_is_one_insert(void **state)
{
    (void)state;
    ddb_ctx ctx = ctx_get();
    hg_err err;
    int64_t tid;
    hg_err_clear(&err);
    if (ddb_store_table_create(ctx.store, REGION, "absent",
            "{\"TableName\":\"absent\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
            "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
            "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
            "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}]}", &tid, &err) != 0)
        fail_msg("create: %s", err.message);
#define ITEM(extra) "{\"TableName\":\"absent\",\"Item\":{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"" extra "\"}}"
    const char *first = ITEM("first") ",\"ConditionExpression\":\"attribute_not_exists(#k)\","
                        "\"ExpressionAttributeNames\":{\"#k\":\"pk\"}}";
    const char *second = ITEM("second") ",\"ConditionExpression\":\"attribute_not_exists(sk)\"}";
    const char *key = "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"}}";

    /* The shapes that are the insert form: the hash or the range key, by name or #name. */
    assert_true(is_insert(&ctx, first));
    assert_true(is_insert(&ctx, second));
    /* And those that are not: another attribute, a nested path, more than
     * the one function, the old item wanted on failure, a table with an index. */
    assert_false(is_insert(&ctx, ITEM("x") ",\"ConditionExpression\":\"attribute_not_exists(v)\"}"));
    assert_false(is_insert(&ctx, ITEM("x") ",\"ConditionExpression\":\"attribute_not_exists(pk.x)\"}"));
    assert_false(is_insert(&ctx, ITEM("x") ",\"ConditionExpression\":\"attribute_not_exists(pk[0])\"}"));
    assert_false(is_insert(&ctx, ITEM("x") ",\"ConditionExpression\":\"attribute_not_exists(pk) AND attribute_not_exists(sk)\"}"));
    assert_false(is_insert(&ctx, ITEM("x") ",\"ConditionExpression\":\"NOT attribute_exists(pk)\"}"));
    assert_false(is_insert(&ctx, ITEM("x") ",\"ConditionExpression\":\"attribute_exists(pk)\"}"));
    assert_false(is_insert(&ctx, ITEM("x") ",\"ConditionExpression\":\"attribute_not_exists(pk)\","
                                     "\"ReturnValuesOnConditionCheckFailure\":\"ALL_OLD\"}"));
    assert_false(is_insert(&ctx, "{\"TableName\":\"wtab\",\"Item\":{\"pk\":{\"S\":\"a\"}},"
                                 "\"ConditionExpression\":\"attribute_not_exists(pk)\"}"));

    /* Absent: written without a transaction, charged for the new item
     * (its size taken once, by prepare). */
    cJSON *part = J(first);
    ddb_write w;
    assert_int_equal(ddb_write_prepare(&ctx, DDB_WRITE_PUT, part, NULL, &w, &err), 0);
    assert_true(w.item_size > 0 && w.item_size == ddb_item_size(w.item));
    assert_int_equal(ddb_write_apply(&ctx, &w, NULL, NULL, &err), 0);
    assert_true(w.blind);
    assert_true(w.table_units == 1.0);
    ddb_write_release(&w);
    cJSON_Delete(part);
    assert_stored(&ctx, "absent", key, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"first\"}}");

    /* Present: the condition fails as before and nothing changes. */
    part = J(second);
    assert_int_equal(ddb_write_prepare(&ctx, DDB_WRITE_PUT, part, NULL, &w, &err), 0);
    assert_int_equal(ddb_write_apply(&ctx, &w, NULL, NULL, &err), -1);
    assert_string_equal(err.code, "ConditionalCheckFailedException");
    assert_string_equal(err.message, "The conditional request failed");
    assert_true(w.table_units == 0.0);
    ddb_write_release(&w);
    cJSON_Delete(part);
    assert_stored(&ctx, "absent", key, "{\"pk\":{\"S\":\"a\"},\"sk\":{\"N\":\"1\"},\"v\":{\"S\":\"first\"}}");

    /* Inside a caller's transaction (TransactWriteItems): the same answers,
     * and a rollback takes the insert back. */
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, second, NULL, NULL, NULL, NULL, &err), -1);
    assert_string_equal(err.code, "ConditionalCheckFailedException");
    part = J("{\"TableName\":\"absent\",\"Item\":{\"pk\":{\"S\":\"b\"},\"sk\":{\"N\":\"2\"}},"
             "\"ConditionExpression\":\"attribute_not_exists(pk)\"}");
    assert_int_equal(ddb_write_prepare(&ctx, DDB_WRITE_PUT, part, NULL, &w, &err), 0);
    assert_int_equal(hg_store_begin_write(ctx.store, &err), 0);
    assert_int_equal(ddb_write_apply(&ctx, &w, NULL, NULL, &err), 0);
    hg_store_rollback(ctx.store);
    ddb_write_release(&w);
    cJSON_Delete(part);
    assert_int_equal(run(&ctx, DDB_WRITE_PUT, "{\"TableName\":\"absent\",\"Item\":{\"pk\":{\"S\":\"b\"},\"sk\":{\"N\":\"2\"}},"
                         "\"ConditionExpression\":\"attribute_not_exists(pk)\"}", NULL, NULL, NULL, NULL, &err), 0);
#undef ITEM
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_update_delete),
        cmocka_unit_test(condition_check_and_failures),
        cmocka_unit_test(validation),
        cmocka_unit_test(index_units),
        cmocka_unit_test(legacy_becomes_expressions),
        cmocka_unit_test(plain_put_skips_the_old_item),
        cmocka_unit_test(put_if_absent_is_one_insert),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
