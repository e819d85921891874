/* test_ddb_query.c — Query and Scan through ddb_call against a temporary
 * store: key-condition ranges, DynamoDB's page rules, index projections,
 * parallel segments and the validation AWS does. Tables and items are seeded
 * directly (store + ddb_item_write), so these tests need only query.c. */
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

/* Create a table from a TableDescription-like JSON text. */
static void make_table(const char *name, const char *desc)
{
    ddb_ctx ctx = ctx_get();
    hg_err err;
    hg_err_clear(&err);
    int64_t tid;
    if (ddb_store_table_create(ctx.store, REGION, name, desc, &tid, &err) != 0)
        fail_msg("create %s: %s", name, err.message);
}

static void put(const char *table, const char *item_text)
{
    ddb_ctx ctx = ctx_get();
    hg_err err;
    hg_err_clear(&err);
    ddb_table *t;
    cJSON *item = J(item_text);
    ddb_key key;
    ddb_key_init(&key);
    cJSON *old = NULL;
    if (ddb_table_open(&ctx, table, true, &t, &err) != 0) fail_msg("open: %s", err.message);
    if (ddb_item_validate(item, &err) != 0 || ddb_key_from_item(t, item, &key, &err) != 0 ||
        hg_store_begin_write(ctx.store, &err) != 0 || ddb_item_read(&ctx, t, &key, &old, &err) != 0 ||
        ddb_item_write(&ctx, t, &key, old, item, ddb_item_size(item), NULL, &err) != 0 || hg_store_commit(ctx.store, &err) != 0)
        fail_msg("put %s: %s", item_text, err.message);
    cJSON_Delete(old);
    cJSON_Delete(item);
    ddb_key_release(&key);
    ddb_table_free(t);
}

/* Run op on the request text; returns the response (caller frees) or NULL with *err set. */
static cJSON *call(const char *op, cJSON *in, hg_err *err)
{
    cJSON *out = NULL, *extra = NULL;
    hg_err_clear(err);
    int rc = ddb_call(REGION, op, in, &out, &extra, err);
    cJSON_Delete(extra);
    cJSON_Delete(in);
    return rc == 0 ? out : NULL;
}

static cJSON *ok(const char *op, const char *text)
{
    hg_err err;
    cJSON *out = call(op, J(text), &err);
    if (!out) fail_msg("%s %s failed: %s: %s", op, text, err.code, err.message);
    return out;
}

static void expect_error(const char *op, const char *text, const char *words)
{
    hg_err err;
    cJSON *out = call(op, J(text), &err);
    if (out) {
        char *s = cJSON_PrintUnformatted(out);
        fail_msg("%s %s succeeded: %s", op, text, s);
    }
    if (strcmp(err.code, "ValidationException") != 0) fail_msg("%s: code %s: %s", text, err.code, err.message);
    if (!strstr(err.message, words)) fail_msg("%s: message \"%s\" lacks \"%s\"", text, err.message, words);
}

static int num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v)) fail_msg("no number %s", k);
    return (int)v->valuedouble;
}

/* The values of attribute attr (type t) of the response's Items, joined by ','. */
static void joined(const cJSON *out, const char *attr, const char *t, char *buf, size_t cap)
{
    const cJSON *it;
    size_t n = 0;
    buf[0] = '\0';
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(out, "Items")) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, attr), t);
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", cJSON_IsString(v) ? v->valuestring : "?");
    }
}

static void assert_items(const cJSON *out, const char *attr, const char *t, const char *want)
{
    char buf[4096];
    joined(out, attr, t, buf, sizeof buf);
    if (strcmp(buf, want) != 0) fail_msg("items %s: got [%s], want [%s]", attr, buf, want);
}

/* ---- fixtures --------------------------------------------------------- */

static const char *const NUMS[] = { "-100", "-10", "-1.5", "0", "1", "1.5", "2", "10", "100", "1000" };

static int setup(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(NULL, &err) != 0) fail_msg("store init: %s", err.message);
    make_table("nums", "{\"TableName\":\"nums\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
               "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}]}");
    for (int i = 0; i < 10; i++) {
        char item[256];
        snprintf(item, sizeof item, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"%s\"},\"odd\":{\"BOOL\":%s},\"i\":{\"N\":\"%d\"}}",
                 NUMS[i], i % 2 ? "true" : "false", i);
        put("nums", item);
    }
    put("nums", "{\"pk\":{\"S\":\"other\"},\"sk\":{\"N\":\"5\"}}");

    make_table("strs", "{\"TableName\":\"strs\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
               "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"}]}");
    const char *strs[] = { "b", "ab", "a", "abc", "B", "A" };
    for (size_t i = 0; i < 6; i++) {
        char item[128];
        snprintf(item, sizeof item, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"%s\"}}", strs[i]);
        put("strs", item);
    }

    /* pk S, sk S; GSI gAll (g S, gn N, ALL), gKeys (g, KEYS_ONLY), gInc (g, gn, INCLUDE inc);
     * LSI lKeys (pk, ln N, KEYS_ONLY), lAll (pk, ln, ALL). Item 3 lacks g/gn (sparse). */
    make_table("idx", "{\"TableName\":\"idx\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
               "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"S\"},"
               "{\"AttributeName\":\"g\",\"AttributeType\":\"S\"},{\"AttributeName\":\"gn\",\"AttributeType\":\"N\"},"
               "{\"AttributeName\":\"ln\",\"AttributeType\":\"N\"}],"
               "\"GlobalSecondaryIndexes\":["
               "{\"IndexName\":\"gAll\",\"_iid\":1,\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"gn\",\"KeyType\":\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}},"
               "{\"IndexName\":\"gKeys\",\"_iid\":2,\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"}],"
               "\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}},"
               "{\"IndexName\":\"gInc\",\"_iid\":3,\"KeySchema\":[{\"AttributeName\":\"g\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"gn\",\"KeyType\":\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"INCLUDE\","
               "\"NonKeyAttributes\":[\"inc\"]}}],"
               "\"LocalSecondaryIndexes\":["
               "{\"IndexName\":\"lKeys\",\"_iid\":4,\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"ln\",\"KeyType\":\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}},"
               "{\"IndexName\":\"lAll\",\"_iid\":5,\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"ln\",\"KeyType\":\"RANGE\"}],\"Projection\":{\"ProjectionType\":\"ALL\"}}]}");
    for (int i = 0; i < 6; i++) {
        char item[512];
        if (i == 3)
            snprintf(item, sizeof item, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"s%d\"},\"ln\":{\"N\":\"%d\"},"
                     "\"inc\":{\"S\":\"inc%d\"},\"exc\":{\"S\":\"exc%d\"}}", i, 10 - i, i, i);
        else
            snprintf(item, sizeof item, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"s%d\"},\"ln\":{\"N\":\"%d\"},"
                     "\"inc\":{\"S\":\"inc%d\"},\"exc\":{\"S\":\"exc%d\"},\"g\":{\"S\":\"G\"},\"gn\":{\"N\":\"%d\"}}",
                     i, 10 - i, i, i, i * 10);
        put("idx", item);
    }

    make_table("hashonly", "{\"TableName\":\"hashonly\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"}],"
               "\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"}]}");
    for (int i = 0; i < 60; i++) {
        char item[128];
        snprintf(item, sizeof item, "{\"pk\":{\"S\":\"item-%d\"},\"n\":{\"N\":\"%d\"}}", i, i);
        put("hashonly", item);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hg_store_shutdown();
    return 0;
}

#define NUMQ(extra) "{\"TableName\":\"nums\",\"KeyConditionExpression\":\"pk = :p" extra

/* ---- key conditions and order ------------------------------------------------ */

static void numeric_order_and_conditions(void **state)
{
    (void)state;
    cJSON *o = ok("Query", NUMQ("\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"));
    assert_items(o, "sk", "N", "-100,-10,-1.5,0,1,1.5,2,10,100,1000");
    assert_int_equal(num(o, "Count"), 10);
    assert_int_equal(num(o, "ScannedCount"), 10);
    assert_null(cJSON_GetObjectItem(o, "LastEvaluatedKey"));
    cJSON_Delete(o);
    o = ok("Query", NUMQ("\",\"ScanIndexForward\":false,\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"));
    assert_items(o, "sk", "N", "1000,100,10,2,1.5,1,0,-1.5,-10,-100");
    cJSON_Delete(o);

    struct { const char *cond, *vals, *want; } cases[] = {
        { " AND sk = :v", "\":v\":{\"N\":\"1e1\"}", "10" },
        { " AND sk < :v", "\":v\":{\"N\":\"1\"}", "-100,-10,-1.5,0" },
        { " AND sk <= :v", "\":v\":{\"N\":\"1\"}", "-100,-10,-1.5,0,1" },
        { " AND sk > :v", "\":v\":{\"N\":\"2\"}", "10,100,1000" },
        { " AND sk >= :v", "\":v\":{\"N\":\"2\"}", "2,10,100,1000" },
        { " AND :v < sk", "\":v\":{\"N\":\"2\"}", "10,100,1000" },
        { " AND sk BETWEEN :v AND :w", "\":v\":{\"N\":\"-2\"},\":w\":{\"N\":\"2\"}", "-1.5,0,1,1.5,2" },
        { " AND sk BETWEEN :v AND :w", "\":v\":{\"N\":\"3\"},\":w\":{\"N\":\"9\"}", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char req[512];
        snprintf(req, sizeof req, NUMQ("%s\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},%s}}"),
                 cases[i].cond, cases[i].vals);
        o = ok("Query", req);
        assert_items(o, "sk", "N", cases[i].want);
        cJSON_Delete(o);
    }
    /* Equality on the sort key written first. */
    o = ok("Query", "{\"TableName\":\"nums\",\"KeyConditionExpression\":\"sk = :v AND pk = :p\","
           "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":v\":{\"N\":\"2\"}}}");
    assert_items(o, "sk", "N", "2");
    cJSON_Delete(o);
    o = ok("Query", NUMQ("\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"nobody\"}}}"));
    assert_int_equal(num(o, "Count"), 0);
    cJSON_Delete(o);
}

static void string_begins_with(void **state)
{
    (void)state;
    cJSON *o = ok("Query", "{\"TableName\":\"strs\",\"KeyConditionExpression\":\"pk = :p\","
                  "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}");
    assert_items(o, "sk", "S", "A,B,a,ab,abc,b");
    cJSON_Delete(o);
    o = ok("Query", "{\"TableName\":\"strs\",\"KeyConditionExpression\":\"pk = :p AND begins_with(sk, :v)\","
           "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"a\"}}}");
    assert_items(o, "sk", "S", "a,ab,abc");
    cJSON_Delete(o);
    o = ok("Query", "{\"TableName\":\"strs\",\"KeyConditionExpression\":\"pk = :p AND begins_with(sk, :v)\","
           "\"ScanIndexForward\":false,\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"ab\"}}}");
    assert_items(o, "sk", "S", "abc,ab");
    cJSON_Delete(o);
}

static void legacy_key_conditions(void **state)
{
    (void)state;
    cJSON *o = ok("Query", "{\"TableName\":\"nums\",\"KeyConditions\":{"
                  "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]},"
                  "\"sk\":{\"ComparisonOperator\":\"BETWEEN\",\"AttributeValueList\":[{\"N\":\"-2\"},{\"N\":\"2\"}]}},"
                  "\"AttributesToGet\":[\"sk\"]}");
    assert_items(o, "sk", "N", "-1.5,0,1,1.5,2");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "Items"), 0)), 1);
    cJSON_Delete(o);
    /* KeyConditions may stand beside a FilterExpression. */
    o = ok("Query", "{\"TableName\":\"nums\",\"KeyConditions\":{"
           "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]}},"
           "\"FilterExpression\":\"odd = :t\",\"ExpressionAttributeValues\":{\":t\":{\"BOOL\":true}}}");
    assert_items(o, "sk", "N", "-10,0,1.5,10,1000");
    cJSON_Delete(o);
    expect_error("Query", "{\"TableName\":\"nums\",\"KeyConditions\":{"
                 "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]},"
                 "\"sk\":{\"ComparisonOperator\":\"NE\",\"AttributeValueList\":[{\"N\":\"1\"}]}}}",
                 "Attempted conditional constraint is not an indexable operation");
    expect_error("Query", "{\"TableName\":\"nums\",\"KeyConditions\":{"
                 "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[]}}}",
                 "Invalid number of argument(s) for the EQ ComparisonOperator");
    expect_error("Query", "{\"TableName\":\"nums\",\"KeyConditions\":{"
                 "\"sk\":{\"ComparisonOperator\":\"GT\",\"AttributeValueList\":[{\"N\":\"1\"}]}}}",
                 "Query condition missed key schema element: pk");
    expect_error("Query", "{\"TableName\":\"nums\",\"KeyConditionExpression\":\"pk = :p\","
                 "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}},\"KeyConditions\":{"
                 "\"pk\":{\"ComparisonOperator\":\"EQ\",\"AttributeValueList\":[{\"S\":\"p\"}]}}}",
                 "Non-expression parameters: {KeyConditions}");
}

/* ---- Limit, filter, pages ----------------------------------------------------- */

static void limit_counts_before_filter(void **state)
{
    (void)state;
    cJSON *o = ok("Query", NUMQ("\",\"Limit\":4,\"FilterExpression\":\"odd = :t\","
                                "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":t\":{\"BOOL\":true}}}"));
    assert_int_equal(num(o, "ScannedCount"), 4);
    assert_int_equal(num(o, "Count"), 2);
    assert_items(o, "sk", "N", "-10,0");
    char *lek = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "LastEvaluatedKey"));
    assert_string_equal(lek, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"0\"}}");
    cJSON_Delete(o);
    char req[512];
    snprintf(req, sizeof req, NUMQ("\",\"Limit\":4,\"FilterExpression\":\"odd = :t\",\"ExclusiveStartKey\":%s,"
                                   "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":t\":{\"BOOL\":true}}}"), lek);
    free(lek);
    o = ok("Query", req);
    assert_items(o, "sk", "N", "1.5,10");
    cJSON_Delete(o);
}

/* Follow LastEvaluatedKey; returns the joined sort keys and the page count. */
static int follow(const char *op, const char *base_fmt, const char *attr, const char *t, char *all, size_t cap)
{
    char *lek = NULL;
    int pages = 0;
    size_t n = 0;
    all[0] = '\0';
    for (;;) {
        char req[1024], esk[512] = "";
        if (lek) snprintf(esk, sizeof esk, ",\"ExclusiveStartKey\":%s", lek);
        snprintf(req, sizeof req, base_fmt, esk);
        free(lek);
        lek = NULL;
        cJSON *o = ok(op, req);
        char buf[2048];
        joined(o, attr, t, buf, sizeof buf);
        if (buf[0]) n += (size_t)snprintf(all + n, cap - n, "%s%s", n ? "," : "", buf);
        pages++;
        cJSON *k = cJSON_GetObjectItem(o, "LastEvaluatedKey");
        if (k) lek = cJSON_PrintUnformatted(k);
        cJSON_Delete(o);
        if (!lek || pages > 1000) break;
    }
    free(lek);
    return pages;
}

static void pagination(void **state)
{
    (void)state;
    char all[4096];
    int pages = follow("Query", NUMQ("\",\"Limit\":3%s,\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                       "sk", "N", all, sizeof all);
    assert_string_equal(all, "-100,-10,-1.5,0,1,1.5,2,10,100,1000");
    assert_int_equal(pages, 4);
    pages = follow("Query", NUMQ("\",\"Limit\":3,\"ScanIndexForward\":false%s,"
                                "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                   "sk", "N", all, sizeof all);
    assert_string_equal(all, "1000,100,10,2,1.5,1,0,-1.5,-10,-100");
    /* Limit reached exactly at the last item: a LastEvaluatedKey, then an empty last page. */
    pages = follow("Query", NUMQ("\",\"Limit\":5%s,\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                   "sk", "N", all, sizeof all);
    assert_int_equal(pages, 3);
    assert_string_equal(all, "-100,-10,-1.5,0,1,1.5,2,10,100,1000");
}

static void one_megabyte_pages(void **state)
{
    (void)state;
    make_table("big", "{\"TableName\":\"big\",\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
               "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],\"AttributeDefinitions\":["
               "{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}]}");
    size_t blob = 100 * 1024;
    char *item = malloc(blob + 256);
    for (int i = 0; i < 30; i++) {
        int n = snprintf(item, 256, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"N\":\"%d\"},\"v\":{\"S\":\"", i);
        memset(item + n, 'x', blob);
        strcpy(item + n + blob, "\"}}");
        put("big", item);
    }
    free(item);
    cJSON *o = ok("Query", "{\"TableName\":\"big\",\"KeyConditionExpression\":\"pk = :p\","
                  "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}");
    assert_non_null(cJSON_GetObjectItem(o, "LastEvaluatedKey"));
    int c = num(o, "Count");
    assert_true(c >= 9 && c <= 11);
    cJSON_Delete(o);
    o = ok("Scan", "{\"TableName\":\"big\",\"Select\":\"COUNT\"}");
    assert_non_null(cJSON_GetObjectItem(o, "LastEvaluatedKey"));
    assert_null(cJSON_GetObjectItem(o, "Items"));
    assert_true(num(o, "Count") < 30);
    cJSON_Delete(o);
    char all[4096];
    int pages = follow("Scan", "{\"TableName\":\"big\",\"ProjectionExpression\":\"sk\"%s}", "sk", "N", all, sizeof all);
    assert_true(pages >= 3 && pages <= 4);
    /* Scan order is by partition hash; one partition here, so sort-key order. */
    char want[4096];
    size_t n = 0;
    for (int i = 0; i < 30; i++) n += (size_t)snprintf(want + n, sizeof want - n, "%s%d", i ? "," : "", i);
    assert_string_equal(all, want);
}

/* ---- Select, projection, capacity -------------------------------------------------- */

static void select_and_projection(void **state)
{
    (void)state;
    cJSON *o = ok("Query", NUMQ("\",\"Select\":\"COUNT\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"));
    assert_null(cJSON_GetObjectItem(o, "Items"));
    assert_int_equal(num(o, "Count"), 10);
    cJSON_Delete(o);
    o = ok("Query", NUMQ("\",\"ProjectionExpression\":\"#i\",\"ExpressionAttributeNames\":{\"#i\":\"i\"},"
                         "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"));
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "Items"), 0);
    assert_int_equal(cJSON_GetArraySize(first), 1);
    assert_non_null(cJSON_GetObjectItem(first, "i"));
    cJSON_Delete(o);
    /* AWS takes AttributesToGet only without expressions (a Query's key condition is one). */
    expect_error("Query", NUMQ("\",\"AttributesToGet\":[\"sk\"],\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                 "Non-expression parameters: {AttributesToGet} Expression parameters: {KeyConditionExpression}");
    o = ok("Scan", "{\"TableName\":\"nums\",\"AttributesToGet\":[\"sk\",\"odd\"]}");
    const cJSON *it;
    int with_odd = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "Items")) {
        with_odd += cJSON_GetObjectItem(it, "odd") != NULL;
        assert_int_equal(cJSON_GetArraySize(it), cJSON_GetObjectItem(it, "odd") ? 2 : 1);
    }
    assert_int_equal(with_odd, 10);
    cJSON_Delete(o);
    o = ok("Query", NUMQ("\",\"ReturnConsumedCapacity\":\"TOTAL\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"));
    const cJSON *cc = cJSON_GetObjectItem(o, "ConsumedCapacity");
    assert_non_null(cc);
    assert_true(cJSON_GetObjectItem(cc, "CapacityUnits")->valuedouble == 0.5);
    cJSON_Delete(o);
}

/* ---- secondary indexes ------------------------------------------------------------------ */

#define GQ(index, extra) "{\"TableName\":\"idx\",\"IndexName\":\"" index "\",\"KeyConditionExpression\":\"g = :g\"," \
    "\"ExpressionAttributeValues\":{\":g\":{\"S\":\"G\"}}" extra "}"

static void gsi_queries(void **state)
{
    (void)state;
    cJSON *o = ok("Query", GQ("gAll", ""));
    assert_items(o, "sk", "S", "s0,s1,s2,s4,s5");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "Items"), 0)), 7);
    cJSON_Delete(o);
    o = ok("Query", GQ("gAll", ",\"ScanIndexForward\":false,\"Limit\":2"));
    assert_items(o, "sk", "S", "s5,s4");
    char *lek = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "LastEvaluatedKey"));
    assert_string_equal(lek, "{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"s4\"},\"g\":{\"S\":\"G\"},\"gn\":{\"N\":\"40\"}}");
    cJSON_Delete(o);
    char req[1024];
    snprintf(req, sizeof req, GQ("gAll", ",\"ScanIndexForward\":false,\"ExclusiveStartKey\":%s"), lek);
    free(lek);
    o = ok("Query", req);
    assert_items(o, "sk", "S", "s2,s1,s0");
    cJSON_Delete(o);

    o = ok("Query", GQ("gKeys", ""));
    assert_int_equal(num(o, "Count"), 5);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "Items")) assert_int_equal(cJSON_GetArraySize(it), 3);
    cJSON_Delete(o);
    char all[1024];
    follow("Scan", "{\"TableName\":\"idx\",\"IndexName\":\"gKeys\",\"Limit\":2%s}", "sk", "S", all, sizeof all);
    assert_int_equal((int)strlen(all), (int)strlen("s0,s1,s2,s4,s5"));

    o = ok("Query", GQ("gInc", ",\"Select\":\"ALL_PROJECTED_ATTRIBUTES\""));
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "Items")) {
        assert_int_equal(cJSON_GetArraySize(it), 5);
        assert_non_null(cJSON_GetObjectItem(it, "inc"));
    }
    cJSON_Delete(o);
    /* Query index filter on a non-key attribute, and key attribute filter rejected. */
    o = ok("Query", "{\"TableName\":\"idx\",\"IndexName\":\"gAll\",\"KeyConditionExpression\":\"g = :g AND gn > :n\","
           "\"FilterExpression\":\"inc <> :x\",\"ExpressionAttributeValues\":{\":g\":{\"S\":\"G\"},\":n\":{\"N\":\"5\"},"
           "\":x\":{\"S\":\"inc2\"}}}");
    assert_items(o, "sk", "S", "s1,s4,s5");
    assert_int_equal(num(o, "ScannedCount"), 4);
    cJSON_Delete(o);
    expect_error("Query", GQ("gAll", ",\"FilterExpression\":\"gn > :g\""), "Primary key attribute: gn");
    expect_error("Query", GQ("gKeys", ",\"Select\":\"ALL_ATTRIBUTES\""), "ALL_ATTRIBUTES");
    expect_error("Query", GQ("gAll", ",\"ConsistentRead\":true"), "Consistent reads are not supported on global secondary indexes");
    expect_error("Scan", "{\"TableName\":\"idx\",\"IndexName\":\"gAll\",\"ConsistentRead\":true}",
                 "Consistent reads are not supported on global secondary indexes");
    expect_error("Query", GQ("nope", ""), "The table does not have the specified index: nope");
    /* An index start key needs the index key attributes too. */
    expect_error("Query", GQ("gAll", ",\"ExclusiveStartKey\":{\"pk\":{\"S\":\"p\"},\"sk\":{\"S\":\"s1\"}}"),
                 "The provided starting key is invalid");
}

static void lsi_queries(void **state)
{
    (void)state;
    cJSON *o = ok("Query", "{\"TableName\":\"idx\",\"IndexName\":\"lAll\",\"KeyConditionExpression\":\"pk = :p\","
                  "\"ConsistentRead\":true,\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}");
    assert_items(o, "sk", "S", "s5,s4,s3,s2,s1,s0");
    cJSON_Delete(o);
    o = ok("Query", "{\"TableName\":\"idx\",\"IndexName\":\"lKeys\",\"KeyConditionExpression\":\"pk = :p AND ln BETWEEN :a AND :b\","
           "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":a\":{\"N\":\"6\"},\":b\":{\"N\":\"8\"}}}");
    assert_items(o, "sk", "S", "s4,s3,s2");
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(o, "Items")) assert_int_equal(cJSON_GetArraySize(it), 3);
    cJSON_Delete(o);
    /* ALL_ATTRIBUTES on a KEYS_ONLY LSI fetches the base item. */
    o = ok("Query", "{\"TableName\":\"idx\",\"IndexName\":\"lKeys\",\"KeyConditionExpression\":\"pk = :p\","
           "\"Select\":\"ALL_ATTRIBUTES\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}");
    assert_non_null(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "Items"), 0), "exc"));
    cJSON_Delete(o);
}

/* ---- parallel scan ------------------------------------------------------------------------- */

static void parallel_scan(void **state)
{
    (void)state;
    int seen[60] = { 0 };
    for (int total = 1; total <= 8; total += 3) {
        memset(seen, 0, sizeof seen);
        for (int seg = 0; seg < total; seg++) {
            char fmt[256], all[4096];
            snprintf(fmt, sizeof fmt, "{\"TableName\":\"hashonly\",\"Segment\":%d,\"TotalSegments\":%d,\"Limit\":7%%s}", seg, total);
            follow("Scan", fmt, "n", "N", all, sizeof all);
            for (char *p = all; *p;) {
                int v = atoi(p);
                assert_true(v >= 0 && v < 60);
                seen[v]++;
                p = strchr(p, ',');
                if (!p) break;
                p++;
            }
        }
        for (int i = 0; i < 60; i++)
            if (seen[i] != 1) fail_msg("TotalSegments %d: item %d seen %d times", total, i, seen[i]);
    }
}

/* ---- validation ------------------------------------------------------------------------------- */

static void errors(void **state)
{
    (void)state;
    expect_error("Query", "{\"TableName\":\"nums\",\"KeyConditionExpression\":\"sk = :v\","
                 "\"ExpressionAttributeValues\":{\":v\":{\"N\":\"1\"}}}", "Query condition missed key schema element: pk");
    expect_error("Query", "{\"TableName\":\"nums\",\"KeyConditionExpression\":\"pk > :p\","
                 "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}", "Query condition missed key schema element: pk");
    expect_error("Query", NUMQ(" AND odd = :v\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":v\":{\"BOOL\":true}}}"),
                 "Query condition missed key schema element: sk");
    expect_error("Query", NUMQ(" AND sk > :v\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":v\":{\"S\":\"1\"}}}"),
                 "Condition parameter type does not match schema type");
    expect_error("Query", NUMQ("\",\"ExpressionAttributeValues\":{\":p\":{\"N\":\"1\"}}}"),
                 "Condition parameter type does not match schema type");
    expect_error("Query", NUMQ(" AND begins_with(sk, :v)\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":v\":{\"N\":\"1\"}}}"),
                 "begins_with");
    expect_error("Query", NUMQ("\",\"FilterExpression\":\"sk > :v\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":v\":{\"N\":\"1\"}}}"),
                 "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk");
    expect_error("Query", NUMQ("\",\"ExclusiveStartKey\":{\"pk\":{\"S\":\"p\"}},\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                 "The provided starting key is invalid");
    expect_error("Query", NUMQ("\",\"ExclusiveStartKey\":{\"pk\":{\"S\":\"q\"},\"sk\":{\"N\":\"1\"}},"
                               "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"), "outside query boundaries");
    expect_error("Query", NUMQ("\",\"Select\":\"ALL_PROJECTED_ATTRIBUTES\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                 "ALL_PROJECTED_ATTRIBUTES");
    expect_error("Query", NUMQ("\",\"Select\":\"ALL_ATTRIBUTES\",\"ProjectionExpression\":\"i\","
                               "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                 "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES");
    expect_error("Query", NUMQ("\",\"Select\":\"SPECIFIC_ATTRIBUTES\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                 "SPECIFIC_ATTRIBUTES");
    expect_error("Query", NUMQ("\",\"Select\":\"BOGUS\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"),
                 "Member must satisfy enum value set");
    expect_error("Query", NUMQ("\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"},\":unused\":{\"S\":\"x\"}}}"),
                 "unused in expressions");
    expect_error("Query", "{\"TableName\":\"nums\"}", "KeyConditionExpression");
    expect_error("Scan", "{\"TableName\":\"nums\",\"Limit\":0}", "limit");
    expect_error("Scan", "{\"TableName\":\"nums\",\"Segment\":3,\"TotalSegments\":3}",
                 "Segment: 3 is not less than TotalSegments: 3");
    expect_error("Scan", "{\"TableName\":\"nums\",\"Segment\":0}", "TotalSegments parameter is required");
    expect_error("Scan", "{\"TableName\":\"nums\",\"TotalSegments\":2}", "Segment parameter is required");
    expect_error("Scan", "{\"TableName\":\"nums\",\"ProjectionExpression\":\"i\",\"AttributesToGet\":[\"i\"]}",
                 "Can not use both expression and non-expression parameters");
    hg_err err;
    cJSON *out = call("Query", J("{\"TableName\":\"missing\",\"KeyConditionExpression\":\"pk = :p\","
                                 "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p\"}}}"), &err);
    assert_null(out);
    assert_string_equal(err.code, "ResourceNotFoundException");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numeric_order_and_conditions),
        cmocka_unit_test(string_begins_with),
        cmocka_unit_test(legacy_key_conditions),
        cmocka_unit_test(limit_counts_before_filter),
        cmocka_unit_test(pagination),
        cmocka_unit_test(select_and_projection),
        cmocka_unit_test(gsi_queries),
        cmocka_unit_test(lsi_queries),
        cmocka_unit_test(parallel_scan),
        cmocka_unit_test(errors),
        cmocka_unit_test(one_megabyte_pages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
