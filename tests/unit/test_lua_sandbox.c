/* test_lua_sandbox.c — the Lua runtime's defences: the sandbox's own pattern matcher
 * (compared with the stock string library on many cases, then shown to meet the deadline),
 * the JSON codec on the invoke path (exact int64, floats, NUL, surrogates), a memory bomb
 * that pcall/coroutines cannot swallow, C-level loops that still time out, and the
 * hardening list: crafted load envs, string metatables per env, collectgarbage abuse,
 * deep recursion through every C boundary, coroutine bombs, cyclic results. */
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
#include <lua5.4/lualib.h>

#include "lua_internal.h"
#include "valgrind_budget.h"

static char tmpdir[256];

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    FILE *f = fopen(path, "w");
    if (!f) fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hlua-sandbox-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* One env over the folder, handler "<module>.handler", mb MB of memory. */
static hlua_env *env_for(hlua_bundle **b, const char *module, int mb)
{
    hg_err err;
    hg_err_clear(&err);
    if (hlua_bundle_from_dir(tmpdir, b, &err) != 0) fail_msg("bundle: %s", err.message);
    char handler[128];
    snprintf(handler, sizeof handler, "%s.handler", module);
    hlua_env_config cfg = {
        .function_name = "fn", .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:fn",
        .function_version = "$LATEST", .region = "us-east-1", .log_group = "/aws/lambda/fn",
        .log_stream = "s", .handler = handler, .memory_limit = (size_t)mb << 20, .memory_mb = mb,
        .bundle = *b, .init_timeout_s = budget(2),
    };
    hlua_env *env;
    char *init_error = NULL;
    if (hlua_env_new(&cfg, NULL, &env, &init_error, &err) != 0)
        fail_msg("env %s: %s %s", module, err.message, init_error ? init_error : "");
    return env;
}

/* Invoke with event text and a handler timeout that must fire; the payload is returned
 * (caller frees), *took the seconds. */
static hlua_status invoke_deadline(hlua_env *env, const char *event, size_t len, double timeout, char **payload,
                                   double *took)
{
    hlua_invocation inv = { .request_id = "req", .payload = event, .payload_len = len,
                            .deadline = mono() + timeout, .timeout_s = timeout };
    hlua_result r;
    hg_err err;
    hg_err_clear(&err);
    double start = mono();
    if (hlua_env_invoke(env, &inv, &r, &err) != 0) fail_msg("invoke: %s", err.message);
    if (took) *took = mono() - start;
    *payload = r.payload;
    return r.status;
}

/* Invoke where the timeout is only a budget against a hang: it grows under valgrind. */
static hlua_status invoke(hlua_env *env, const char *event, size_t len, double timeout, char **payload, double *took)
{
    return invoke_deadline(env, event, len, budget(timeout), payload, took);
}

/* Deploy `src` as module m, invoke once with event, check status and that the payload
 * contains want (if given). */
static void expect_run(const char *m, const char *src, const char *event, double timeout, int mb,
                       hlua_status want_status, const char *want)
{
    char file[80];
    snprintf(file, sizeof file, "%s.lua", m);
    write_file(file, src);
    hlua_bundle *b;
    hlua_env *env = env_for(&b, m, mb);
    char *out;
    double took;
    /* a timeout the test expects must fire as given; any other is a budget */
    if (want_status != HLUA_TIMEOUT) timeout = budget(timeout);
    hlua_status st = invoke_deadline(env, event, event ? strlen(event) : 0, timeout, &out, &took);
    if (st != want_status) fail_msg("%s: status %d (want %d): %s", m, (int)st, (int)want_status, out);
    if (want && !strstr(out, want)) fail_msg("%s: '%s' not in %s", m, want, out);
    if (took > timeout + budget(1.5)) fail_msg("%s: took %.2fs with a %.2fs timeout", m, took, timeout);
    free(out);
    if (st == HLUA_TIMEOUT || st == HLUA_OOM) assert_false(hlua_env_reusable(env));
    double start = mono();
    hlua_env_free(env);
    if (mono() - start > budget(1.0)) fail_msg("%s: freeing the env took %.2fs", m, mono() - start);
    hlua_bundle_free(b);
}

/* ---- the pattern matcher against the stock one ------------------------------------- */

static const char *const pattern_cases[] = {
    /* subject, pattern */
    "hello world", "o w",       "hello world", "(o)(r)",     "hello world", "^hello",
    "hello world", "^world",    "hello world", "world$",     "hello world", "l+",
    "hello world", "l*",        "hello world", "l-o",        "hello world", "x?h",
    "hello world", "%a+",       "hello world", "%A",         "  trim  ", "^%s*(.-)%s*$",
    "key = value", "(%w+)%s*=%s*(%w+)", "2024-01-31", "(%d+)-(%d+)-(%d+)", "THE (quick) fox", "%f[%a]%a+",
    "THE (quick) fox", "%b()",  "x = [[a]] [b]", "%b[]",     "abc", "()b()",
    "aaa", "a-",                "aaa", "a-$",                "abcabc", "(abc)%1",
    "hello", "[aeiou]",         "hello", "[^aeiou]+",        "a-b", "[a%-]+",
    "a]b", "[]]",               "a^b", "[%^]",               "x.y", "%.",
    "tab\there", "%c",          "MiXeD", "%u%l",             "0x1F", "%x+",
    "a,b;c", "%p",              "line1\nline2", "[^\n]+",     "", "",
    "", "^$",                   "abc", "",                   "abc", ".-",
    "a.b", "a.b",               "hello", "l",                "\0a\0b", "%z",
    "\xe4\xb8\xad", "[\x80-\xff]+", "abc", "[a-c]+$",         "A1_b", "[%w_]+",
    "frontier THE end", "%f[%u]%u+%f[%U]", "aaa", "^(a*)$",  "ab", "(a)(b)(c?)",
};

/* Runs f(s, p, ...) for the stock and the sandbox version, comparing all results. */
static void compare(lua_State *L, const char *fn, const char *s, size_t sl, const char *p, const char *extra)
{
    char code[1024];
    snprintf(code, sizeof code,
             "local s, p = ... "
             "local function pack(ok, ...) return {ok = ok, n = select('#', ...), ...} end "
             "local a = pack(pcall(STOCK.%s, s, p %s)) "
             "local b = pack(pcall(MINE.%s, s, p %s)) "
             "if a.ok ~= b.ok or a.n ~= b.n then return false, 'ok/n ' .. tostring(a[1]) .. ' vs ' .. tostring(b[1]) end "
             "for i = 1, a.n do if a[i] ~= b[i] and a.ok then return false, i .. ': ' .. tostring(a[i]) .. ' vs ' .. tostring(b[i]) end end "
             "if not a.ok and a[1]:gsub('^.-: ', '') ~= b[1]:gsub('^.-: ', '') then return false, 'msg ' .. a[1] .. ' vs ' .. b[1] end "
             "return true",
             fn, extra, fn, extra);
    if (luaL_loadstring(L, code) != LUA_OK) fail_msg("load: %s", lua_tostring(L, -1));
    lua_pushlstring(L, s, sl);
    lua_pushstring(L, p);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) fail_msg("%s: %s", fn, lua_tostring(L, -1));
    if (!lua_toboolean(L, -2)) fail_msg("%s(%s, %s%s): %s", fn, s, p, extra, lua_tostring(L, -1));
    lua_settop(L, 0);
}

static lua_State *pattern_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "string");
    lua_setglobal(L, "STOCK");
    lua_newtable(L);
    hlua_open_patterns(L, -1);
    lua_setglobal(L, "MINE");
    return L;
}

static void patterns_match_stock(void **state)
{
    (void)state;
    lua_State *L = pattern_state();
    static const char *const extras[] = { "", ", 1", ", 3", ", -2", ", 100", ", 1, true" };
    size_t n = sizeof pattern_cases / sizeof pattern_cases[0];
    for (size_t i = 0; i < n; i += 2) {
        const char *s = pattern_cases[i], *p = pattern_cases[i + 1];
        size_t sl = strcmp(p, "%z") == 0 ? 4 : strlen(s);     /* the one subject with NULs inside */
        for (size_t x = 0; x < sizeof extras / sizeof extras[0]; x++) {
            compare(L, "find", s, sl, p, extras[x]);
            if (x < 5) compare(L, "match", s, sl, p, extras[x]);
        }
        compare(L, "gsub", s, sl, p, ", '<%0>'");
        compare(L, "gsub", s, sl, p, ", '%1'");
        compare(L, "gsub", s, sl, p, ", '%%', 1");
        compare(L, "gsub", s, sl, p, ", function(a, b) return b and (a .. b) or a:upper() end");
        compare(L, "gsub", s, sl, p, ", {hello = 'HI', l = false, o = 0}");
        compare(L, "rep", s, sl, "3", "");
        compare(L, "rep", s, sl, "2", ", '--'");
    }
    /* gmatch: every result of a whole iteration, with init */
    const char *gm =
        "for _, c in ipairs{{'hello world from lua', '%a+'}, {'k=v, a=b', '(%w+)=(%w+)'}, {'abc', ''},"
        "                   {'aaa', 'a*'}, {'x1y22z333', '%d+'}, {'abc', '()'}, {'^a^', '^a'}} do "
        "  for _, init in ipairs{1, 2, -3, 50} do "
        "    local a, b = {}, {} "
        "    for x, y in STOCK.gmatch(c[1], c[2], init) do a[#a+1] = tostring(x) .. '|' .. tostring(y) end "
        "    for x, y in MINE.gmatch(c[1], c[2], init) do b[#b+1] = tostring(x) .. '|' .. tostring(y) end "
        "    assert(table.concat(a, ',') == table.concat(b, ','), c[2] .. ': ' .. table.concat(a, ',') .. ' vs ' .. table.concat(b, ',')) "
        "  end "
        "end";
    if (luaL_dostring(L, gm) != LUA_OK) fail_msg("gmatch: %s", lua_tostring(L, -1));
    if (luaL_dostring(L, "for _, c in ipairs{{'ab', 0}, {'ab', -1}, {'', 5}, {'', 5, ''}, {'x', 1, ','}, {'xy', 7, 'sep'}, {'', 3, ','}} do "
                         "assert(STOCK.rep(table.unpack(c)) == MINE.rep(table.unpack(c))) end "
                         "assert(not pcall(MINE.rep, 'x', 1 << 40)) "
                         "assert(#MINE.rep('abc', 100000, '-') == 399999)") != LUA_OK)
        fail_msg("rep: %s", lua_tostring(L, -1));
    /* malformed patterns fail the same way */
    static const char *const bad[] = { "%", "[a", "[", "(()", "%b", "%bx", "%f", "%fa", "(a)%2", "%1", "a)", "[%" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        compare(L, "find", "some (text) here", 16, bad[i], "");
        compare(L, "gsub", "some (text) here", 16, bad[i], ", 'x'");
    }
    /* bad replacements */
    compare(L, "gsub", "abc", 3, "b", ", '%2'");
    compare(L, "gsub", "abc", 3, "b", ", '%x'");
    compare(L, "gsub", "abc", 3, "b", ", function() return {} end");
    compare(L, "gsub", "abc", 3, "(b)", ", {b = true}");
    compare(L, "gsub", "abc", 3, "()", ", '%1'");
    lua_close(L);
}

/* ---- runaway C work stops at the deadline ---------------------------------------- */

static void c_loops_meet_the_deadline(void **state)
{
    (void)state;
    expect_run("backtrack", "return {handler = function() return string.find(('a'):rep(40), ('a*'):rep(40) .. 'b') end}",
               NULL, 0.5, 64, HLUA_TIMEOUT, "Sandbox.Timedout");
    expect_run("quadratic", "return {handler = function() return string.find(('a'):rep(1e5), '.-b') end}",
               NULL, 0.5, 64, HLUA_TIMEOUT, "Task timed out after 0.50 seconds");
    expect_run("gsubspin", "return {handler = function() return (('a'):rep(1e5)):gsub('.-b', 'x') end}",
               NULL, 0.5, 64, HLUA_TIMEOUT, NULL);
    expect_run("gmatchspin", "return {handler = function() for x in (('a'):rep(1e5)):gmatch('.-b') do end end}",
               NULL, 0.5, 64, HLUA_TIMEOUT, NULL);
    expect_run("matchspin", "return {handler = function() return (('a'):rep(30)):match(('(a*)'):rep(30) .. '$b') end}",
               NULL, 0.5, 64, HLUA_TIMEOUT, NULL);
    /* caught by pcall: still the timeout */
    expect_run("pcallspin",
               "return {handler = function() while true do pcall(string.find, ('a'):rep(1e5), '.-b') end end}",
               NULL, 0.5, 64, HLUA_TIMEOUT, NULL);
    /* a huge sort without a Lua comparator gets one, so the hook sees it */
    expect_run("sortspin",
               "return {handler = function() local t = {} for i = 1, 2e6 do t[i] = (i * 7919) % 1000003 end "
               "for r = 1, 100 do table.sort(t) table.sort(t, function(a, b) return a > b end) end end}",
               NULL, 0.5, 256, HLUA_TIMEOUT, NULL);
    /* a small sort still works, with and without comparator */
    expect_run("sortok",
               "return {handler = function() local t = {3, 1, 2} table.sort(t) local u = {3, 1, 2} "
               "table.sort(u, function(a, b) return a > b end) return {t, u} end}",
               NULL, 2, 64, HLUA_OK, "[[1,2,3],[3,2,1]]");
    /* a huge event decodes under the deadline check; a huge result encodes under it */
    expect_run("bigresult",
               "return {handler = function() local t = {} for i = 1, 3e5 do t[i] = {i, 'x'} end "
               "while true do local ok = pcall(require('json').encode, t) end end}",
               NULL, 0.5, 256, HLUA_TIMEOUT, NULL);
    /* string.format refuses the widths that would make it spin */
    expect_run("fmt", "return {handler = function() return select(2, pcall(string.format, '%99999d', 1)) end}",
               NULL, 2, 64, HLUA_OK, "invalid conversion");
}

/* ---- JSON on the invoke path ------------------------------------------------------ */

static void json_invoke_path_is_exact(void **state)
{
    (void)state;
    write_file("echo.lua",
               "return {handler = function(e) return {e = e, big = math.type(e.big), seven = math.type(e.seven),"
               " huge = math.type(e.huge), nul = #e.nul, pair = e.pair, lone = e.lone, min = e.min} end}");
    hlua_bundle *b;
    hlua_env *env = env_for(&b, "echo", 64);
    const char ev[] = "{\"big\":9007199254740993,\"seven\":7.0,\"huge\":123456789012345678901234567890,"
                      "\"nul\":\"a\\u0000b\",\"pair\":\"\\ud83d\\ude00\",\"lone\":\"\\ud800x\","
                      "\"min\":-9223372036854775808}";
    char *out;
    assert_int_equal(invoke(env, ev, sizeof ev - 1, 2, &out, NULL), HLUA_OK);
    const char *want[] = { "\"big\":9007199254740993", "\"seven\":7.0", "\"big\":\"integer\"", "\"seven\":\"float\"",
                           "\"huge\":\"float\"", "\"nul\":3", "a\\u0000b", "\"pair\":\"\xf0\x9f\x98\x80\"",
                           "\"lone\":\"\xef\xbf\xbdx\"", "\"min\":-9223372036854775808" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(out, want[i])) fail_msg("'%s' not in %s", want[i], out);
    free(out);
    /* invalid events are an unmarshal error naming the position; the env stays usable */
    const char *bad[] = { "{\"a\":", "[1,]", "{\"a\" 1}", "\"\\x\"", "01", "[1] x", "\"a\001\"", "tru" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(invoke(env, bad[i], strlen(bad[i]), 2, &out, NULL), HLUA_ERROR);
        if (!strstr(out, "Runtime.UnmarshalError") || !strstr(out, "at character")) fail_msg("%s -> %s", bad[i], out);
        free(out);
    }
    /* a payload that is not NUL-terminated is read only to its length */
    const char cut[] = "[12345]999";
    assert_int_equal(invoke(env, cut, 7, 2, &out, NULL), HLUA_ERROR);   /* `e.big` of an array: an error */
    free(out);
    assert_true(hlua_env_reusable(env));
    hlua_env_free(env);
    hlua_bundle_free(b);
    /* results: invalid UTF-8 is replaced, control characters escaped, floats stay floats */
    expect_run("res", "return {handler = function() return {s = 'ok\\255\\0\\31', f = 2^53, g = 0.1, n = -0.0} end}",
               NULL, 2, 64, HLUA_OK, "\"ok\\ufffd\\u0000\\u001f\"");
    expect_run("res2", "return {handler = function() return {f = 2^53} end}", NULL, 2, 64, HLUA_OK, "9007199254740992.0");
    expect_run("cycle", "return {handler = function() local t = {} t.t = t return t end}", NULL, 2, 64, HLUA_ERROR,
               "Runtime.MarshalError");
    expect_run("cycle2", "return {handler = function() local t = {} t.t = t return t end}", NULL, 2, 64, HLUA_ERROR,
               "a cycle");
}

/* ---- memory ------------------------------------------------------------------------- */

static void memory_bombs_are_not_swallowed(void **state)
{
    (void)state;
    const char *bombs[] = {
        /* the pcall'd bomb the black-box suite uses */
        "return {handler = function() for r = 1, 3 do pcall(function() local t = {} "
        "for i = 1, 1e9 do t[i] = ('x'):rep(1000000) .. i end end) end return 'swallowed' end}",
        /* inside coroutine.resume */
        "return {handler = function() for r = 1, 3 do coroutine.resume(coroutine.create(function() local t = {} "
        "for i = 1, 1e9 do t[i] = ('x'):rep(100000) .. i end end)) end return 'swallowed' end}",
        /* inside coroutine.wrap under pcall */
        "return {handler = function() for r = 1, 3 do pcall(coroutine.wrap(function() local t = {} "
        "for i = 1, 1e9 do t[i] = {i, i, i, i} end end)) end return 'swallowed' end}",
        /* xpcall with a handler that ignores everything */
        "return {handler = function() for r = 1, 3 do xpcall(function() local t = {} "
        "for i = 1, 1e9 do t[#t + 1] = table.concat({'x', i, ('y'):rep(5000)}) end end, function() return 'fine' end) end "
        "return 'swallowed' end}",
        /* the GC stopped: the cap still holds */
        "return {handler = function() collectgarbage('stop') local t = {} for i = 1, 1e9 do t[i] = ('z'):rep(1000) .. i end end}",
        /* a million coroutines */
        "return {handler = function() local t = {} for i = 1, 1e8 do t[i] = coroutine.create(print) end end}",
    };
    for (size_t i = 0; i < sizeof bombs / sizeof bombs[0]; i++) {
        char m[16];
        snprintf(m, sizeof m, "bomb%zu", i);
        expect_run(m, bombs[i], NULL, 20, 32, HLUA_OOM, "Runtime.OutOfMemory");
    }
    /* churning garbage near the cap is fine: 20 MB live in a 32 MB cap, 400 MB of garbage */
    expect_run("churn",
               "return {handler = function() local keep = {} for i = 1, 20 do keep[i] = ('k'):rep(1 << 20) .. i end "
               "for i = 1, 4000 do local s = ('g'):rep(100000) .. i local t = {s, s} end "
               "collectgarbage('step', 1 << 30) collectgarbage('generational') collectgarbage('incremental') "
               "return #keep end}",
               NULL, 20, 32, HLUA_OK, "20");
}

/* ---- the hardening list --------------------------------------------------------------- */

static void hardening(void **state)
{
    (void)state;
    /* load with a crafted env sees only that env; binary chunks stay refused */
    expect_run("loadenv",
               "return {handler = function() "
               "local f = load('return io, os, debug, require, string', 'x', 't', {}) "
               "local a, b, c, d, e = f() "
               "local g = load('return getmetatable(\"\").__index.dump', 'y', 't', {getmetatable = getmetatable}) "
               "local h = load('x = 1 return _ENV', 'z', 'bt', setmetatable({}, {__index = _G})) "
               "return {a == nil and b == nil and c == nil and d == nil and e == nil, g() == nil, h().x == 1, "
               "load('\\27Lua', 'w', 'b') == nil} end}",
               NULL, 2, 64, HLUA_OK, "[true,true,true,true]");
    /* a string metatable change stays in its env */
    write_file("meta_a.lua", "return {handler = function() getmetatable('').__index.shout = function(s) return s:upper() end "
                             "getmetatable('').__add = function() return 'added' end return ('x'):shout() end}");
    write_file("meta_b.lua", "return {handler = function() return {('x').shout == nil, pcall(function() return 'a' + {} end) == false} end}");
    hlua_bundle *b1, *b2;
    hlua_env *a = env_for(&b1, "meta_a", 64), *bb = env_for(&b2, "meta_b", 64);
    char *out;
    assert_int_equal(invoke(a, NULL, 0, 2, &out, NULL), HLUA_OK);
    assert_string_equal(out, "\"X\"");
    free(out);
    assert_int_equal(invoke(bb, NULL, 0, 2, &out, NULL), HLUA_OK);
    assert_string_equal(out, "[true,true]");
    free(out);
    hlua_env_free(a);
    hlua_env_free(bb);
    hlua_bundle_free(b1);
    hlua_bundle_free(b2);
    /* deep recursion is a Lua error (never a crash), through every C boundary */
    const char *recursions[] = {
        "local function f() return f() + 1 end return f()",
        "return setmetatable({}, {__index = function(t, k) return t[k] end}).x",
        "local function g(s) return (s:gsub('.', g)) end return g('ab')",
        "local function c(a, b) table.sort({3, 2, 1}, c) return a < b end table.sort({3, 2, 1}, c)",
        "local t t = setmetatable({}, {__tostring = function() return tostring(t) end}) return tostring(t)",
        "local function w() return coroutine.wrap(w)() end return w()",
        "local function p() return pcall(p) end return p()",
        "local t t = setmetatable({}, {__concat = function(a, b) return a .. b end}) return t .. 'x'",
        "local function r() return select(2, coroutine.resume(coroutine.create(r))) end return r()",
        "local function m(s) return s:match('(.)', 1) and m(s) end return m('x')",
    };
    for (size_t i = 0; i < sizeof recursions / sizeof recursions[0]; i++) {
        char src[600], m[16];
        snprintf(src, sizeof src, "return {handler = function() %s end}", recursions[i]);
        snprintf(m, sizeof m, "rec%zu", i);
        write_file("x.lua", "");
        char file[32];
        snprintf(file, sizeof file, "%s.lua", m);
        write_file(file, src);
        hlua_bundle *b;
        hlua_env *env = env_for(&b, m, 64);
        hlua_status st = invoke(env, NULL, 0, 5, &out, NULL);
        if (st != HLUA_ERROR && st != HLUA_OK && st != HLUA_OOM)
            fail_msg("%s: status %d %s", recursions[i], (int)st, out);
        if (st == HLUA_ERROR && !strstr(out, "stack overflow") && !strstr(out, "C stack") && !strstr(out, "error in error"))
            fail_msg("%s: %s", recursions[i], out);
        free(out);
        hlua_env_free(env);
        hlua_bundle_free(b);
    }
    /* coroutine.wrap and resume still behave as in stock Lua */
    expect_run("coro",
               "return {handler = function() local gen = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) "
               "local co = coroutine.create(function(x) coroutine.yield(x) error('boom') end) "
               "local r = {gen(1), gen(5)} local ok1, v1 = coroutine.resume(co, 7) local ok2, e2 = coroutine.resume(co) "
               "local ok3, e3 = coroutine.resume(co) local ok4, e4 = pcall(gen) "
               "return {r, ok1, v1, ok2, e2:match('boom') ~= nil, ok3, e3, ok4, e4:match('dead') ~= nil, coroutine.status(co)} end}",
               NULL, 2, 64, HLUA_OK, "[[2,10],true,7,false,true,false,\"cannot resume dead coroutine\",false,true,\"dead\"]");
    /* __gc is accepted but finalizers never run (Lua would run them with hooks off) */
    expect_run("gc",
               "return {handler = function() local ran = false local mt = {__gc = function() ran = true end} "
               "for i = 1, 100 do setmetatable({}, mt) end collectgarbage() collectgarbage() "
               "local t = setmetatable({}, {}) getmetatable(t).__gc = function() while true do end end "
               "t = nil collectgarbage() return {ran, getmetatable(setmetatable({}, mt)) == mt, mt.__gc ~= nil} end}",
               NULL, 2, 64, HLUA_OK, "[false,true,true]");
    expect_run("gcspin",
               "return {handler = function() setmetatable({}, {__gc = function() while true do end end}) "
               "collectgarbage('collect') return 'finalizer returned' end}",
               NULL, 2, 64, HLUA_OK, "finalizer returned");
    /* an error object with a spinning __tostring still ends at the deadline */
    expect_run("tostr",
               "return {handler = function() error(setmetatable({}, {__tostring = function() while true do end end})) end}",
               NULL, 0.5, 64, HLUA_TIMEOUT, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patterns_match_stock),
        cmocka_unit_test_setup_teardown(c_loops_meet_the_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(json_invoke_path_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(memory_bombs_are_not_swallowed, setup, teardown),
        cmocka_unit_test_setup_teardown(hardening, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
