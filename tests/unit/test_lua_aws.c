/* test_lua_aws.c — the aws module: AttributeValue helpers both ways, and aws.dynamodb
 * operations in-process against a temporary store (round trip, error shape). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <stdbool.h>

#include "dynamodb.h"
#include "hlua.h"
#include "store.h"

static char tmpdir[256];

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An env whose handler runs `body` (json and aws.dynamodb at hand); *b is
 * its bundle, freed by the caller after the env. */
static hlua_env *env_with_body(const char *body, hlua_bundle **b)
{
    char path[300];
    snprintf(path, sizeof path, "%s/h.lua", tmpdir);
    FILE *f = fopen(path, "w");
    fprintf(f, "local json = require 'json'\nlocal ddb = require('aws').dynamodb\n"
               "return { handler = function(event, context)\n%s\nend }\n", body);
    fclose(f);
    hg_err err;
    hg_err_clear(&err);
    if (hlua_bundle_from_dir(tmpdir, b, &err) != 0) fail_msg("bundle: %s", err.message);
    hlua_env_config cfg = { .function_name = "fn", .function_arn = "arn", .region = "us-east-1",
                            .handler = "h.handler", .memory_limit = 64u << 20, .memory_mb = 64,
                            .bundle = *b, .init_timeout_s = 5 };
    hlua_env *env;
    char *init_error;
    if (hlua_env_new(&cfg, NULL, &env, &init_error, &err) != 0) fail_msg("init: %s", init_error);
    return env;
}

/* Run `body` as a handler's body (its return value is the result) and return the result JSON. */
static char *run_handler(const char *body, hlua_status want)
{
    hlua_bundle *b;
    hlua_env *env = env_with_body(body, &b);
    hg_err err;
    hg_err_clear(&err);
    hlua_invocation inv = { .request_id = "r", .deadline = mono() + 10, .timeout_s = 10 };
    hlua_result r;
    if (hlua_env_invoke(env, &inv, &r, &err) != 0) fail_msg("invoke: %s", err.message);
    if (r.status != want) fail_msg("status %d, want %d: %s", (int)r.status, (int)want, r.payload);
    hlua_env_free(env);
    hlua_bundle_free(b);
    return r.payload;
}

/* Run `body` with hlua_invocation.abandon_at set `abandon_after` s ahead:
 * its status, how long it took, and whether its env could run again. */
static hlua_status run_abandonable(const char *body, double abandon_after, double timeout, double *took,
                                   bool *reusable)
{
    hlua_bundle *b;
    hlua_env *env = env_with_body(body, &b);
    hg_err err;
    hg_err_clear(&err);
    double t0 = mono();
    hlua_invocation inv = { .request_id = "r", .deadline = t0 + timeout, .timeout_s = timeout,
                            .abandon_at = t0 + abandon_after };
    hlua_result r;
    if (hlua_env_invoke(env, &inv, &r, &err) != 0) fail_msg("invoke: %s", err.message);
    *took = mono() - t0;
    *reusable = hlua_env_reusable(env);
    hlua_result_release(&r);
    hlua_env_free(env);
    hlua_bundle_free(b);
    return r.status;
}

/* abandon_at stops a run that is still going and has changed nothing
 * outside its env (the caller then runs it again elsewhere, unseen): reads
 * may have been made, run twice they look like one. Once a call that
 * changes something reached a service, the run is its own and goes on to
 * its deadline. */
static void only_an_unseen_run_is_abandoned(void **state)
{
    (void)state;
    double took;
    bool reusable;
    assert_int_equal(run_abandonable("while true do end", 0.05, 5, &took, &reusable), HLUA_ABANDONED);
    assert_true(took < 2.5);                     /* long before its 5 s deadline */
    assert_false(reusable);                      /* stopped mid-run: thrown away */
    assert_int_equal(run_abandonable("assert(ddb.scan{ TableName = 'notes' })\n"
                                     "assert(ddb.GetItem{ TableName = 'notes', Key = { id = { S = 'x' } } })\n"
                                     "while true do end", 0.05, 5, &took, &reusable), HLUA_ABANDONED);
    assert_true(took < 2.5);
    assert_int_equal(run_abandonable("assert(ddb.put_item{ TableName = 'notes', Item = { id = { S = 'seen' } } })\n"
                                     "while true do end", 0.05, 0.3, &took, &reusable), HLUA_TIMEOUT);
    assert_true(took >= 0.3);
    assert_int_equal(run_abandonable("return 1", 0.05, 5, &took, &reusable), HLUA_OK);
    assert_true(reusable);
}

static void expect_json(const char *got, const char *want)
{
    cJSON *a = cJSON_Parse(got), *b = cJSON_Parse(want);
    if (!a || !b || !cJSON_Compare(a, b, 1)) fail_msg("got %s\nwant %s", got, want);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hlua-aws-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    hg_err err;
    hg_err_clear(&err);
    if (hg_store_init(NULL, &err) != 0) fail_msg("store init: %s", err.message);
    cJSON *in = cJSON_Parse("{\"TableName\":\"notes\",\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"}],"
                            "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"}],"
                            "\"BillingMode\":\"PAY_PER_REQUEST\"}");
    cJSON *out = NULL, *extra = NULL;
    if (ddb_call("us-east-1", "CreateTable", in, &out, &extra, &err) != 0) fail_msg("create: %s", err.message);
    cJSON_Delete(in);
    cJSON_Delete(out);
    cJSON_Delete(extra);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hg_store_shutdown();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void to_attr_values(void **state)
{
    (void)state;
    char *out = run_handler(
        "return { s = ddb.to_attr('x'), i = ddb.to_attr(42), big = ddb.to_attr(math.maxinteger),\n"
        "  f = ddb.to_attr(0.1), neg = ddb.to_attr(-2.5), t = ddb.to_attr(true), n = ddb.to_attr(json.null),\n"
        "  l = ddb.to_attr({1, 'a'}), el = ddb.to_attr(json.array()), m = ddb.to_attr({k = {z = false}}),\n"
        "  em = ddb.to_attr({}), ss = ddb.to_attr(ddb.set('SS', {'a', 'b'})), ns = ddb.to_attr(ddb.set('NS', {1, '2.50'})),\n"
        "  b = ddb.to_attr(ddb.binary('hi')), bs = ddb.to_attr(ddb.set('BS', {'a', ddb.binary('b')})) }",
        HLUA_OK);
    expect_json(out,
        "{\"s\":{\"S\":\"x\"},\"i\":{\"N\":\"42\"},\"big\":{\"N\":\"9223372036854775807\"},\"f\":{\"N\":\"0.1\"},"
        "\"neg\":{\"N\":\"-2.5\"},\"t\":{\"BOOL\":true},\"n\":{\"NULL\":true},"
        "\"l\":{\"L\":[{\"N\":\"1\"},{\"S\":\"a\"}]},\"el\":{\"L\":[]},\"m\":{\"M\":{\"k\":{\"M\":{\"z\":{\"BOOL\":false}}}}},"
        "\"em\":{\"M\":{}},\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2.50\"]},\"b\":{\"B\":\"aGk=\"},"
        "\"bs\":{\"BS\":[\"YQ==\",\"Yg==\"]}}");
    free(out);
}

static void from_attr_values(void **state)
{
    (void)state;
    char *out = run_handler(
        "local r = {}\n"
        "r.s = ddb.from_attr({S = 'x'}) == 'x'\n"
        "r.i = math.type(ddb.from_attr({N = '42'})) == 'integer' and ddb.from_attr({N = '42'}) == 42\n"
        "r.f = ddb.from_attr({N = '2.5'}) == 2.5\n"
        "r.huge = math.type(ddb.from_attr({N = '123456789012345678901234567890'})) == 'float'\n"
        "r.bool = ddb.from_attr({BOOL = false}) == false\n"
        "r.null = ddb.from_attr({NULL = true}) == json.null\n"
        "local l = ddb.from_attr({L = {{S = 'a'}, {N = '1'}}})\n"
        "r.l = l[1] == 'a' and l[2] == 1 and json.is_array(l)\n"
        "r.el = json.encode(ddb.from_attr({L = json.array()})) == '[]'\n"
        "local m = ddb.from_attr({M = {k = {M = {z = {BOOL = true}}}}})\n"
        "r.m = m.k.z == true and json.encode(ddb.from_attr({M = {}})) == '{}'\n"
        "local b = ddb.from_attr({B = 'aGk='})\n"
        "r.b = b.data == 'hi'\n"
        "local ss = ddb.from_attr({SS = {'a', 'b'}})\n"
        "r.ss = ss.kind == 'SS' and ss.values[2] == 'b'\n"
        "local ns = ddb.from_attr({NS = {'1', '2.5'}})\n"
        "r.ns = ns.kind == 'NS' and ns.values[1] == 1 and ns.values[2] == 2.5\n"
        "r.bs = ddb.from_attr({BS = {'YQ=='}}).values[1] == 'a'\n"
        "local item = {id = 'n1', n = 7, tags = ddb.set('SS', {'x'}), body = {text = 'hey', list = {1, 2}}, gone = json.null}\n"
        "local back = ddb.from_item(ddb.to_item(item))\n"
        "r.item = back.id == 'n1' and back.n == 7 and back.tags.values[1] == 'x' and back.body.text == 'hey'\n"
        "  and back.body.list[2] == 2 and back.gone == json.null\n"
        "r.nil_item = ddb.from_item(nil) == nil\n"
        "r.bad = not pcall(ddb.to_attr, print) and not pcall(ddb.from_attr, {Q = 1}) and not pcall(ddb.to_attr, 0/0)\n"
        "return r", HLUA_OK);
    cJSON *o = cJSON_Parse(out);
    assert_int_equal(cJSON_GetArraySize(o), 16);
    for (cJSON *c = o->child; c; c = c->next)
        if (!cJSON_IsTrue(c)) fail_msg("check %s failed: %s", c->string, out);
    cJSON_Delete(o);
    free(out);
}

static void dynamodb_round_trip(void **state)
{
    (void)state;
    char *out = run_handler(
        "local r, err = ddb.put_item{ TableName = 'notes', Item = ddb.to_item{ id = 'n1', text = 'hello', n = 3, l = json.array() } }\n"
        "assert(r, err and err.message)\n"
        "local got = assert(ddb.get_item{ TableName = 'notes', Key = { id = { S = 'n1' } } })\n"
        "local upd = assert(ddb.UpdateItem{ TableName = 'notes', Key = { id = { S = 'n1' } },\n"
        "  UpdateExpression = 'SET n = n + :one', ExpressionAttributeValues = { [':one'] = { N = '1' } },\n"
        "  ReturnValues = 'ALL_NEW' })\n"
        "local q = assert(ddb.scan{ TableName = 'notes' })\n"
        "return { item = ddb.from_item(got.Item), n = ddb.from_attr(upd.Attributes.n), count = q.Count,\n"
        "         raw = got.Item.text, empty_list = got.Item.l }", HLUA_OK);
    expect_json(out, "{\"item\":{\"id\":\"n1\",\"text\":\"hello\",\"n\":3,\"l\":[]},\"n\":4,\"count\":1,"
                     "\"raw\":{\"S\":\"hello\"},\"empty_list\":{\"L\":[]}}");
    free(out);
    /* the item really is in the store: read it from C too */
    cJSON *in = cJSON_Parse("{\"TableName\":\"notes\",\"Key\":{\"id\":{\"S\":\"n1\"}}}"), *res, *extra;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(ddb_call("us-east-1", "GetItem", in, &res, &extra, &err), 0);
    char *text = cJSON_PrintUnformatted(res);
    assert_non_null(strstr(text, "\"hello\""));
    free(text);
    cJSON_Delete(res);
    cJSON_Delete(in);
}

static void dynamodb_errors(void **state)
{
    (void)state;
    char *out = run_handler(
        "local r, err = ddb.get_item{ TableName = 'missing', Key = { id = { S = 'x' } } }\n"
        "local r2, err2 = ddb.put_item{ TableName = 'notes', Item = { id = { S = 'c1' } } }\n"
        "local r3, err3 = ddb.put_item{ TableName = 'notes', Item = { id = { S = 'c1' } },\n"
        "  ConditionExpression = 'attribute_not_exists(id)', ReturnValuesOnConditionCheckFailure = 'ALL_OLD' }\n"
        "local r4, err4 = ddb.no_such_operation{}\n"
        "return { r = r == nil, code = err.code, message = err.message, status = err.status,\n"
        "         code3 = err3.code, old = err3.Item, code4 = err4.code, unknown_field = ddb['bad__name'] == nil }",
        HLUA_OK);
    cJSON *o = cJSON_Parse(out);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "r")));
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, "ResourceNotFoundException");
    assert_non_null(strstr(cJSON_GetObjectItem(o, "message")->valuestring, "not found"));
    assert_int_equal(cJSON_GetObjectItem(o, "status")->valueint, 400);
    assert_string_equal(cJSON_GetObjectItem(o, "code3")->valuestring, "ConditionalCheckFailedException");
    char *old = cJSON_PrintUnformatted(cJSON_GetObjectItem(o, "old"));
    assert_string_equal(old, "{\"id\":{\"S\":\"c1\"}}");
    free(old);
    assert_string_equal(cJSON_GetObjectItem(o, "code4")->valuestring, "UnknownOperationException");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "unknown_field")));
    cJSON_Delete(o);
    free(out);
    /* a request that is not a table of named parameters is a Lua error */
    out = run_handler("ddb.put_item('x')", HLUA_ERROR);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(to_attr_values),
        cmocka_unit_test(from_attr_values),
        cmocka_unit_test(dynamodb_round_trip),
        cmocka_unit_test(dynamodb_errors),
        cmocka_unit_test(only_an_unseen_run_is_abandoned),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
