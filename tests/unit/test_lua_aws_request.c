/* test_lua_aws_request.c — aws.dynamodb's one-walk conversion of a request
 * table to cJSON (hlua_aws_request_json in aws.c) against hlua_to_json, whose
 * result it must equal byte for byte whenever it answers, and which it must
 * leave every value it cannot convert to (NULL, Lua stack as it was). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lua5.4/lualib.h>

#include "lua_internal.h"

/* aws.c: not in a header, the emulator calls it only from there. */
cJSON *hlua_aws_request_json(lua_State *L, int idx);

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "json", hlua_open_json, 1);
    lua_pop(L, 1);
    luaL_requiref(L, "aws", hlua_open_aws, 1);
    lua_pop(L, 1);
    return L;
}

/* Evaluate `expr` (a Lua expression) and convert its value both ways.
 * want_fast: the one-walk conversion must answer (else it must give up). */
static void check(lua_State *L, const char *expr, bool want_fast)
{
    char code[2048];
    snprintf(code, sizeof code,
             "local json = require 'json'; local ddb = require('aws').dynamodb; return %s", expr);
    if (luaL_dostring(L, code) != LUA_OK) fail_msg("%s: %s", expr, lua_tostring(L, -1));
    int top = lua_gettop(L);
    cJSON *fast = hlua_aws_request_json(L, -1);
    assert_int_equal(lua_gettop(L), top);
    char msg[256];
    cJSON *slow = hlua_to_json(L, -1, HLUA_EVENT_MAX_DEPTH, msg, sizeof msg);
    if (want_fast && !fast) fail_msg("%s: the one-walk conversion gave up", expr);
    if (!want_fast && fast) fail_msg("%s: converted, but should go the general way", expr);
    if (fast) {
        assert_non_null(slow);
        char *a = cJSON_PrintUnformatted(fast), *b = cJSON_PrintUnformatted(slow);
        if (strcmp(a, b) != 0) fail_msg("%s:\n one walk %s\n hlua_to_json %s", expr, a, b);
        /* Same node types too (a raw numeral and a number print alike). */
        assert_true(cJSON_Compare(fast, slow, 1));
        cJSON_free(a);
        cJSON_free(b);
    }
    cJSON_Delete(fast);
    cJSON_Delete(slow);
    lua_settop(L, 0);
}

static void same_as_hlua_to_json(void **state)
{
    (void)state;
    lua_State *L = new_state();
    /* The notes create request, as create.lua sends it. */
    check(L, "{ TableName = 'notes', Item = { id = { S = 'a-b' }, title = { S = 't\\0x\"\\n' },"
             " version = { N = '1' } }, ConditionExpression = 'attribute_not_exists(#id)',"
             " ExpressionAttributeNames = { ['#id'] = 'id' } }", true);
    /* What ddb.to_item makes: marked objects and arrays, sets, binary. */
    check(L, "{ TableName = 't', Item = ddb.to_item{ s = 'x', n = 3, f = 0.5, b = true, z = json.null,"
             " l = { 1, 'two', { k = false } }, el = json.array(), m = { deep = { deeper = {} } },"
             " ss = ddb.set('SS', { 'a', 'b' }), bin = ddb.binary('\\1\\2') } }", true);
    /* Numbers: int32 bounds, beyond (raw numerals), floats. */
    check(L, "{ a = 2147483647, b = -2147483648, c = 2147483648, d = -2147483649, e = math.maxinteger,"
             " f = math.mininteger, g = 1.5, h = -0.0, i = 1e300, j = 2^53 }", true);
    /* Unmarked sequences are arrays, marked empty tables keep their mark. */
    check(L, "{ RequestItems = { t = { { PutRequest = { Item = { k = { S = 'v' } } } }, { x = 1 } } },"
             " a = json.array(), o = json.object(), nested = { { { 1 } } } }", true);
    check(L, "json.object{}", true);
    check(L, "json.array{ 1, 2 }", true);
    check(L, "{ [1] = 'a', [2] = 'b', [3] = 'c' }", true);

    /* Given up, for hlua_to_json to decide (and word any error): */
    check(L, "{}", false);                                   /* {} may be meant as a list */
    check(L, "{ a = {} }", false);
    check(L, "{ a = 1, [1] = 'x' }", false);                 /* a number key in an object */
    check(L, "{ [2] = 'x', [3] = 'y' }", false);             /* not 1..n */
    check(L, "{ [1] = 'x', [1.5] = 'y' }", false);
    check(L, "{ a = print }", false);                        /* refused by both */
    check(L, "{ a = 0/0 }", false);
    check(L, "{ a = 1/0 }", false);
    check(L, "{ [true] = 1 }", false);
    check(L, "setmetatable({ a = 1 }, {})", false);          /* a metatable that is no mark */
    check(L, "json.array{ 1, nil, 3 }", false);              /* a hole: null by the general way */
    /* Nesting past FAST_MAX_DEPTH (40), well within hlua_to_json's. */
    check(L, "(function() local t = { v = 1 } for _ = 1, 60 do t = { a = t } end return t end)()", false);
    check(L, "(function() local t = { v = 1 } for _ = 1, 30 do t = { a = t } end return t end)()", true);
    lua_close(L);
}

/* Out of memory at any point of the walk gives up cleanly (no leak, the
 * stack as it was): the Lua state's own allocator is left alone, cJSON's
 * is made to fail at the Nth allocation. */
static int fail_at, allocs;

static void *failing_malloc(size_t n)
{
    if (++allocs == fail_at) return NULL;
    return malloc(n);
}

static void out_of_memory_gives_up(void **state)
{
    (void)state;
    lua_State *L = new_state();
    const char *code = "local json = require 'json'; return { TableName = 't', Item = { k = { S = 'v' },"
                       " l = { L = { { N = '1' }, { S = 'x' } } }, n = { N = 3000000000 } },"
                       " Names = { ['#a'] = 'a' } }";
    cJSON_Hooks hooks = { failing_malloc, free };
    cJSON_InitHooks(&hooks);
    for (fail_at = 1; ; fail_at++) {
        allocs = 0;
        if (luaL_dostring(L, code) != LUA_OK) fail_msg("%s", lua_tostring(L, -1));
        int top = lua_gettop(L);
        cJSON *v = hlua_aws_request_json(L, -1);
        assert_int_equal(lua_gettop(L), top);
        lua_settop(L, 0);
        if (v) {
            cJSON_Delete(v);
            break;
        }
        assert_true(fail_at < 1000);
    }
    assert_true(fail_at > 10);
    cJSON_InitHooks(NULL);
    lua_close(L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_as_hlua_to_json),
        cmocka_unit_test(out_of_memory_gives_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
