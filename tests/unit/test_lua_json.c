/* test_lua_json.c — the json module and the cJSON <-> Lua bridge: round trips, arrays vs
 * objects, null, numbers, escapes, the depth bound, invalid JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lua5.4/lualib.h>

#include "jw_sample.h"
#include "lua_internal.h"

static lua_State *new_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "json", hlua_open_json, 1);
    lua_pop(L, 1);
    return L;
}

/* Run a chunk that checks itself with assert(). */
static void run(lua_State *L, const char *code)
{
    if (luaL_dostring(L, code) != LUA_OK) fail_msg("%s\n-- failed: %s", code, lua_tostring(L, -1));
    lua_settop(L, 0);
}

/* The chunk must raise an error whose message contains want. */
static void run_fails(lua_State *L, const char *code, const char *want)
{
    if (luaL_dostring(L, code) == LUA_OK) fail_msg("%s\n-- should have failed", code);
    const char *msg = lua_tostring(L, -1);
    if (!msg || !strstr(msg, want)) fail_msg("%s\n-- error '%s', want '%s'", code, msg ? msg : "?", want);
    lua_settop(L, 0);
}

/* decode then encode must give JSON equal (as values) to the input. */
static void round_trip(lua_State *L, const char *text)
{
    lua_getglobal(L, "json");
    lua_getfield(L, -1, "encode");
    lua_getfield(L, -2, "decode");
    lua_pushstring(L, text);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) fail_msg("decode %s: %s", text, lua_tostring(L, -1));
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) fail_msg("encode %s: %s", text, lua_tostring(L, -1));
    const char *got = lua_tostring(L, -1);
    cJSON *a = cJSON_Parse(text), *b = cJSON_Parse(got);
    if (!a || !b || !cJSON_Compare(a, b, 1)) fail_msg("round trip of %s gave %s", text, got);
    cJSON_Delete(a);
    cJSON_Delete(b);
    lua_settop(L, 0);
}

static void round_trips(void **state)
{
    (void)state;
    lua_State *L = new_state();
    const char *docs[] = {
        "{}", "[]", "null", "true", "false", "0", "-7", "1.5", "\"x\"", "[[]]", "[{}]", "{\"a\":[]}",
        "{\"a\":{}}", "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\",\"d\":true}", "[null,null,1]",
        "{\"1\":\"one\",\"2\":\"two\"}", "[1,\"a\",[2,[3,[4]]]]", "\"\\u00e9\\u4e2d\"", "1e+300",
        "9007199254740992", "-0.000123", "{\"nested\":{\"deeper\":{\"list\":[{\"k\":\"v\"}]}}}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) round_trip(L, docs[i]);
    lua_close(L);
}

static void arrays_and_objects(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run(L, "assert(json.encode({}) == '{}')");
    run(L, "assert(json.encode(json.array()) == '[]')");
    run(L, "assert(json.encode(json.object{}) == '{}')");
    run(L, "assert(json.encode({1,2,3}) == '[1,2,3]')");
    run(L, "assert(json.encode({'a'}) == '[\"a\"]')");
    run(L, "assert(json.encode({x=1}) == '{\"x\":1}')");
    /* a hole makes an object, keyed by the numbers' text */
    run(L, "local d = json.decode(json.encode({1, nil, 3})); assert(d['1'] == 1 and d['3'] == 3)");
    run(L, "local t = json.decode('[]'); t[1] = 5; assert(json.encode(t) == '[5]')");
    run(L, "local t = json.decode('{}'); assert(json.encode(t) == '{}'); t.a = 1; assert(json.encode(t) == '{\"a\":1}')");
    run(L, "local t = json.decode('[1,2]'); assert(getmetatable(t) == json.array_mt)");
    run(L, "local t = json.decode('{\"a\":1}'); assert(getmetatable(t) == json.object_mt)");
    run(L, "assert(json.is_array(json.decode('[]')) and not json.is_array(json.decode('{}')))");
    run(L, "assert(json.is_array({1,2}) and not json.is_array({}) and not json.is_array({a=1}))");
    /* a marked object with integer keys still encodes as an object */
    run(L, "assert(json.encode(json.object{10}) == '{\"1\":10}')");
    lua_close(L);
}

static void null_sentinel(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run(L, "assert(json.decode('null') == json.null)");
    run(L, "assert(json.decode('{\"a\":null}').a == json.null)");
    run(L, "assert(json.encode({a=json.null}) == '{\"a\":null}')");
    run(L, "assert(json.encode(json.null) == 'null')");
    run(L, "assert(json.encode(nil) == 'null')");
    run(L, "local t = json.decode('[null,2]'); assert(#t == 2 and t[1] == json.null)");
    lua_close(L);
}

static void numbers(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run(L, "assert(json.encode(3) == '3')");
    run(L, "assert(json.encode(-42) == '-42')");
    run(L, "assert(json.encode(math.maxinteger) == '9223372036854775807')");
    run(L, "assert(json.encode(math.mininteger) == '-9223372036854775808')");
    run(L, "assert(json.encode(5000000000) == '5000000000')");
    run(L, "assert(json.encode(0.1) == '0.1')");
    run(L, "assert(json.decode(json.encode(1/3)) == 1/3)");
    run(L, "assert(math.type(json.decode('5')) == 'integer')");
    run(L, "assert(math.type(json.decode('1.5')) == 'float')");
    run(L, "assert(math.type(json.decode('1e20')) == 'float')");
    run_fails(L, "json.encode(1/0)", "NaN or infinity");
    run_fails(L, "json.encode({x = 0/0})", "NaN or infinity");
    lua_close(L);
}

static void escapes(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run(L, "assert(json.encode('a\"b\\\\c') == '\"a\\\\\"b\\\\\\\\c\"')");
    run(L, "assert(json.encode('line\\nnext\\ttab') == '\"line\\\\nnext\\\\ttab\"')");
    run(L, "assert(json.encode('\\1') == '\"\\\\u0001\"')");
    run(L, "assert(json.encode('\\u{e9}\\u{4e2d}') == '\"\\u{e9}\\u{4e2d}\"')");   /* UTF-8 passes through */
    run(L, "assert(json.decode('\"\\\\u00e9\"') == '\\u{e9}')");
    run(L, "assert(json.decode('\"\\\\ud83d\\\\ude00\"') == '\\u{1F600}')");     /* surrogate pair */
    run(L, "assert(json.decode(json.encode('\\0x')) ~= nil)");
    lua_close(L);
}

static void depth_bound(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run(L, "local t = {} local c = t for i = 1, 199 do c[1] = {} c = c[1] end assert(json.encode(t))");
    run_fails(L, "local t = {} local c = t for i = 1, 300 do c[1] = {} c = c[1] end json.encode(t)", "nested");
    run_fails(L, "local t = {} t.self = t json.encode(t)", "nested");
    /* the path of tables being written outgrows its first 32 places */
    run(L, "local t = {} local c = t for i = 1, 40 do c.k = {} c = c.k end "
           "assert(json.encode(t) == ('{\"k\":'):rep(40) .. '{}' .. ('}'):rep(40))");
    run_fails(L, "local t = {} local c = t for i = 1, 40 do c.k = {} c = c.k end c.k = t json.encode(t)",
              "a cycle");
    run_fails(L, "local t = {} local c = t for i = 1, 10 do c.k = {} c = c.k end c.k = c json.encode(t)",
              "a cycle");
    run(L, "local t = {} local c = t for i = 1, 150 do c[1] = {} c = c[1] end "
           "assert(json.encode(t) == ('['):rep(150) .. '{}' .. (']'):rep(150))");
    run(L, "assert(json.decode(('['):rep(200) .. (']'):rep(200)))");
    run_fails(L, "json.decode(('['):rep(201) .. (']'):rep(201))", "nesting deeper than 200");
    run_fails(L, "json.decode(('['):rep(5000) .. (']'):rep(5000))", "invalid JSON");
    lua_close(L);
}

static void invalid_json(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run_fails(L, "json.decode('{')", "json.decode: invalid JSON");
    run_fails(L, "json.decode('')", "invalid JSON");
    run_fails(L, "json.decode('{\"a\":}')", "invalid JSON");
    run_fails(L, "json.decode('[1,2] x')", "unexpected text after");
    run_fails(L, "json.decode(\"{'a':1}\")", "invalid JSON");
    run_fails(L, "json.encode(print)", "cannot encode a function");
    run_fails(L, "json.encode({[true] = 1})", "table key of type boolean");
    run_fails(L, "json.encode(coroutine.create(print))", "cannot encode a thread");
    run(L, "assert(json.decode('  [1]  ')[1] == 1)");
    lua_close(L);
}

/* The C bridge: Lua -> cJSON never raises and keeps integers exact. */
static void c_bridge(void **state)
{
    (void)state;
    lua_State *L = new_state();
    run(L, "T = {a = {1, 2, json.null}, b = json.array(), c = math.maxinteger, d = 'x', e = 2.5}");
    lua_getglobal(L, "T");
    char msg[200];
    cJSON *v = hlua_to_json(L, -1, HLUA_JSON_MAX_DEPTH, msg, sizeof msg);
    assert_non_null(v);
    char *text = cJSON_PrintUnformatted(v);
    cJSON *want = cJSON_Parse("{\"a\":[1,2,null],\"b\":[],\"c\":9223372036854775807,\"d\":\"x\",\"e\":2.5}");
    assert_non_null(strstr(text, "9223372036854775807"));
    cJSON *back = cJSON_Parse(text);
    assert_true(cJSON_Compare(back, want, 1));
    cJSON_Delete(back);
    cJSON_Delete(want);
    /* and back into Lua under protection */
    assert_int_equal(hlua_push_json(L, v, HLUA_JSON_MAX_DEPTH), LUA_OK);
    lua_setglobal(L, "U");
    run(L, "assert(U.d == 'x' and U.a[3] == json.null and #U.b == 0 and json.is_array(U.b))");
    free(text);
    cJSON_Delete(v);
    /* Raw nodes: a long numeral stays a number; raw JSON text (a stored
     * DynamoDB item GetItem passes through unparsed) becomes tables. */
    v = cJSON_CreateObject();
    cJSON_AddItemToObject(v, "n", cJSON_CreateRaw("9223372036854775807"));
    cJSON_AddItemToObject(v, "Item", cJSON_CreateRaw("{\"id\":{\"S\":\"a\\u00e9\"},\"l\":{\"L\":[]},\"ok\":{\"BOOL\":true}}"));
    assert_int_equal(hlua_push_json(L, v, HLUA_JSON_MAX_DEPTH), LUA_OK);
    lua_setglobal(L, "R");
    run(L, "assert(R.n == math.maxinteger and R.Item.id.S == 'a\\u{e9}' and R.Item.ok.BOOL == true)");
    run(L, "assert(json.is_array(R.Item.l.L) and json.encode(R.Item.l) == '{\"L\":[]}')");
    cJSON_Delete(v);
    /* Unmarked tables: an array exactly when the keys are 1..n; any other
     * key, met first or last, makes an object keyed by the numbers' text. */
    static const struct { const char *lua, *json; } shapes[] = {
        { "return {1, 2, x = 3}", "{\"1\":1,\"2\":2,\"x\":3}" },
        { "return {x = 3, [1] = 1}", "{\"1\":1,\"x\":3}" },
        { "return {[1] = 1, [3] = 3}", "{\"1\":1,\"3\":3}" },
        { "return {[0] = 'z', 'a'}", "{\"0\":\"z\",\"1\":\"a\"}" },
        { "return {[-1] = 1}", "{\"-1\":1}" },
        { "local t = {}; for i = 1, 40 do t[i] = i end; t[41] = 41; return t", NULL },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        lua_settop(L, 0);
        assert_int_equal(luaL_dostring(L, shapes[i].lua), LUA_OK);
        v = hlua_to_json(L, -1, HLUA_JSON_MAX_DEPTH, msg, sizeof msg);
        assert_non_null(v);
        if (shapes[i].json) {
            cJSON *w = cJSON_Parse(shapes[i].json);
            assert_true(cJSON_Compare(v, w, 1));
            cJSON_Delete(w);
        } else {
            assert_true(cJSON_IsArray(v));
            assert_int_equal(cJSON_GetArraySize(v), 41);
        }
        cJSON_Delete(v);
    }
    lua_settop(L, 0);
    lua_pushcfunction(L, luaopen_base);
    v = hlua_to_json(L, -1, HLUA_JSON_MAX_DEPTH, msg, sizeof msg);
    assert_null(v);
    assert_non_null(strstr(msg, "function"));
    lua_close(L);
}

/* ---- hg_jw into Lua: what API Gateway's event takes ------------------------- */

static void write_open_only(hg_jw *w, const void *ctx) { (void)ctx; w->ops->open(w, NULL, false, 0); }
static void write_deep(hg_jw *w, const void *ctx)
{
    int levels = *(const int *)ctx;
    for (int i = 0; i < levels; i++) w->ops->open(w, NULL, true, 1);
    for (int i = 0; i < levels; i++) w->ops->close(w);
}

static void write_two_values(hg_jw *w, const void *ctx)
{
    (void)ctx;
    w->ops->string(w, NULL, "a");
    w->ops->string(w, NULL, "b");
}

static int push_source(lua_State *L)
{
    hlua_push_written(L, lua_touserdata(L, 1));
    return 1;
}

/* Push src's value under protection: its status (the value or the error on top). */
static int push_protected_source(lua_State *L, const hg_jw_source *src)
{
    lua_pushcfunction(L, push_source);
    lua_pushlightuserdata(L, (void *)src);
    return lua_pcall(L, 1, 1, 0);
}

static void written_values(void **state)
{
    (void)state;
    lua_State *L = new_state();
    assert_int_equal(push_protected_source(L, &(hg_jw_source){ write_sample, NULL }), LUA_OK);
    lua_setglobal(L, "W");
    /* the same value the tree writer makes, as JSON */
    run(L, "W_TEXT = json.encode(W)");
    lua_getglobal(L, "W_TEXT");
    cJSON *got = cJSON_Parse(lua_tostring(L, -1)), *want = cJSON_Parse(JW_SAMPLE_TEXT);
    assert_true(got && want && cJSON_Compare(got, want, 1));
    cJSON_Delete(got);
    cJSON_Delete(want);
    lua_settop(L, 0);
    run(L, "assert(W.s == 'a\"b' and math.type(W.n) == 'integer' and W.n == 1795852800123 and W.f == 2.5)");
    run(L, "assert(W.z == json.null and W.l[1] == true and W.l[2] == json.null and #W.l == 3)");
    run(L, "assert(json.is_array(W.l) and json.is_array(W.e) and json.encode(W.e) == '[]')");
    run(L, "assert(json.encode(W.l[3]) == '{}' and not json.is_array(W.l[3]))");
    /* broken producers raise instead of leaving half a value */
    assert_int_equal(push_protected_source(L, &(hg_jw_source){ write_open_only, NULL }), LUA_ERRRUN);
    assert_non_null(strstr(lua_tostring(L, -1), "left 1 open"));
    lua_settop(L, 0);
    assert_int_equal(push_protected_source(L, &(hg_jw_source){ write_two_values, NULL }), LUA_ERRRUN);
    assert_non_null(strstr(lua_tostring(L, -1), "left 0 open"));
    lua_settop(L, 0);
    /* the writer's marks are json.array / json.object themselves */
    assert_int_equal(push_protected_source(L, &(hg_jw_source){ write_sample, NULL }), LUA_OK);
    lua_setglobal(L, "W");
    run(L, "assert(getmetatable(W) == getmetatable(json.object({})) and getmetatable(W.l) == getmetatable(json.array({})))");
    lua_settop(L, 0);
    int levels = 32;
    assert_int_equal(push_protected_source(L, &(hg_jw_source){ write_deep, &levels }), LUA_OK);
    lua_settop(L, 0);
    levels = 33;
    assert_int_equal(push_protected_source(L, &(hg_jw_source){ write_deep, &levels }), LUA_ERRRUN);
    assert_non_null(strstr(lua_tostring(L, -1), "deeper than 32"));
    lua_close(L);
}

/* An allocator that refuses every allocation once its budget is spent. */
typedef struct budget { long left; } budget;

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    budget *b = ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    if (b->left <= 0) return NULL;
    b->left--;
    return realloc(ptr, nsize);
}

/* Out of memory at every point of writing: each time a memory error comes
 * back (under valgrind and ASan: without a leak or a bad access), the state
 * stays usable, and with enough memory the value is whole. */
static void written_values_out_of_memory(void **state)
{
    (void)state;
    bool whole = false;
    for (long allowed = 0; allowed < 200 && !whole; allowed++) {
        budget b = { 1000000 };
        lua_State *L = lua_newstate(budget_alloc, &b);
        assert_non_null(L);
        luaL_openlibs(L);
        luaL_requiref(L, "json", hlua_open_json, 1);
        lua_pop(L, 1);
        lua_gc(L, LUA_GCSTOP);                    /* no collection frees room mid-way */
        b.left = allowed;
        int st = push_protected_source(L, &(hg_jw_source){ write_sample, NULL });
        b.left = 1000000;
        if (st == LUA_OK) {
            lua_setglobal(L, "W");
            run(L, "assert(json.encode(W.l) == '[true,null,{}]' and W.z == json.null)");
            whole = true;
        } else {
            assert_int_equal(st, LUA_ERRMEM);
            run(L, "assert(json.encode({1}) == '[1]')");
        }
        lua_close(L);
    }
    assert_true(whole);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),   cmocka_unit_test(arrays_and_objects), cmocka_unit_test(null_sentinel),
        cmocka_unit_test(numbers),       cmocka_unit_test(escapes),            cmocka_unit_test(depth_bound),
        cmocka_unit_test(invalid_json),  cmocka_unit_test(c_bridge),           cmocka_unit_test(written_values),
        cmocka_unit_test(written_values_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
