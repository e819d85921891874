/* test_lua_runtime.c — Lua environments end to end: bundles from a folder and from an
 * in-memory zip, handler results and errors, warm state, the deadline and the memory cap
 * (also when a handler tries to pcall its way past them), and sandbox escapes refused. */
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
#include <zip.h>

#include "hlua.h"
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
    for (char *p = path + strlen(tmpdir) + 1; *p; p++)
        if (*p == '/') { *p = '\0'; mkdir(path, 0700); *p = '/'; }
    FILE *f = fopen(path, "w");
    if (!f) fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* A zip of (name, text) pairs, built with libzip, returned as bytes (caller frees). */
static void *make_zip(const char *const *files, size_t n, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bundle.zip", tmpdir);
    int zerr;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(z, files[2 * i + 1], strlen(files[2 * i + 1]), 0);
        assert_true(zip_file_add(z, files[2 * i], src, ZIP_FL_OVERWRITE) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(*len);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    unlink(path);
    return buf;
}

static hlua_bundle *dir_bundle(void)
{
    hlua_bundle *b;
    hg_err err;
    hg_err_clear(&err);
    if (hlua_bundle_from_dir(tmpdir, &b, &err) != 0) fail_msg("dir bundle: %s", err.message);
    return b;
}

static hlua_env_config config(const hlua_bundle *b, const char *handler, cJSON *vars)
{
    hlua_env_config cfg = {
        .function_name = "fn", .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:fn",
        .function_version = "$LATEST", .region = "us-east-1", .log_group = "/aws/lambda/fn",
        .log_stream = "2026/01/01/[$LATEST]abc", .handler = handler, .memory_limit = 64u << 20,
        .memory_mb = 64, .env_vars = vars, .bundle = b, .init_timeout_s = budget(2),
    };
    return cfg;
}

static hlua_env *env_new(const hlua_bundle *b, const char *handler)
{
    hlua_env_config cfg = config(b, handler, NULL);
    hlua_env *env;
    char *init_error;
    hg_err err;
    hg_err_clear(&err);
    int rc = hlua_env_new(&cfg, NULL, &env, &init_error, &err);
    if (rc != 0) fail_msg("env_new %s: rc %d %s %s", handler, rc, err.message, init_error ? init_error : "");
    return env;
}

/* Invoke with a handler timeout that must fire; returns the status, payload in
 * *payload (caller frees). */
static hlua_status invoke_deadline(hlua_env *env, const char *event, double timeout, char **payload, hg_buf *log)
{
    hlua_invocation inv = { .request_id = "req-1", .payload = event, .payload_len = event ? strlen(event) : 0,
                            .deadline = mono() + timeout, .timeout_s = timeout, .log = log };
    hlua_result r;
    hg_err err;
    hg_err_clear(&err);
    if (hlua_env_invoke(env, &inv, &r, &err) != 0) fail_msg("invoke: %s", err.message);
    *payload = r.payload;
    return r.status;
}

/* Invoke where the timeout is only a budget against a hang: it grows under valgrind. */
static hlua_status invoke(hlua_env *env, const char *event, double timeout, char **payload, hg_buf *log)
{
    return invoke_deadline(env, event, budget(timeout), payload, log);
}

static void expect_in(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle)) fail_msg("'%s' not in '%s'", needle, hay ? hay : "(null)");
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hlua-test-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- tests ----------------------------------------------------------------------- */

static void zip_handler_and_context(void **state)
{
    (void)state;
    const char *files[] = {
        "index.lua",
        "local util = require 'lib.util'\n"
        "local M = {}\n"
        "function M.handler(event, context)\n"
        "  return { got = event.x, list = event.list, id = context.aws_request_id,\n"
        "           fn = context.function_name, mem = context.memory_limit_in_mb,\n"
        "           arn = context.invoked_function_arn, version = context.function_version,\n"
        "           group = context.log_group_name, stream = context.log_stream_name,\n"
        "           left = context.get_remaining_time_in_millis() > 0, twice = util.twice(21) }\n"
        "end\n"
        "return M\n",
        "lib/util.lua", "return { twice = function(n) return n * 2 end }\n",
    };
    size_t len;
    void *zip = make_zip(files, 2, &len);
    hlua_bundle *b;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hlua_bundle_from_zip(zip, len, &b, &err), 0);
    free(zip);
    assert_int_equal(hlua_bundle_fingerprint(b), 0);
    hlua_env *env = env_new(b, "index.handler");
    char *out;
    assert_int_equal(invoke(env, "{\"x\":\"hi\",\"list\":[]}", 3, &out, NULL), HLUA_OK);
    cJSON *o = cJSON_Parse(out);
    assert_string_equal(cJSON_GetObjectItem(o, "got")->valuestring, "hi");
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(o, "list")));      /* [] stays an array */
    assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, "req-1");
    assert_string_equal(cJSON_GetObjectItem(o, "fn")->valuestring, "fn");
    assert_string_equal(cJSON_GetObjectItem(o, "mem")->valuestring, "64");
    assert_string_equal(cJSON_GetObjectItem(o, "version")->valuestring, "$LATEST");
    assert_string_equal(cJSON_GetObjectItem(o, "group")->valuestring, "/aws/lambda/fn");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "left")));
    assert_int_equal(cJSON_GetObjectItem(o, "twice")->valueint, 42);
    cJSON_Delete(o);
    free(out);
    /* nil result is JSON null; an empty event is {} */
    hlua_env_free(env);
    hlua_bundle_free(b);
}

static void bad_zips(void **state)
{
    (void)state;
    hlua_bundle *b;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hlua_bundle_from_zip("not a zip at all", 16, &b, &err), -1);
    assert_string_equal(err.code, "InvalidParameterValueException");
    assert_string_equal(err.message,
                        "Could not unzip uploaded file. Please check your file, then try to upload again.");
    const char *evil[] = { "../escape.lua", "return 1" };
    size_t len;
    void *zip = make_zip(evil, 1, &len);
    hg_err_clear(&err);
    assert_int_equal(hlua_bundle_from_zip(zip, len, &b, &err), -1);
    expect_in(err.message, "unsafe path");
    free(zip);
    const char *abs[] = { "/etc/x.lua", "return 1" };
    zip = make_zip(abs, 1, &len);
    hg_err_clear(&err);
    assert_int_equal(hlua_bundle_from_zip(zip, len, &b, &err), -1);
    free(zip);
}

static void dir_bundle_nested_handler_and_warm_state(void **state)
{
    (void)state;
    write_file("notes/create.lua",
               "local shared = require 'shared'\n"
               "local count = 0\n"
               "return { handler = function(e) count = count + 1; return { n = count, s = shared.name } end }\n");
    write_file("shared/init.lua", "return { name = 'shared' }\n");
    hlua_bundle *b = dir_bundle();
    hlua_env *env = env_new(b, "notes/create.handler");
    for (int i = 1; i <= 3; i++) {
        char *out, want[64];
        assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_OK);
        snprintf(want, sizeof want, "\"n\":%d", i);
        expect_in(out, want);                   /* module state persists while warm */
        expect_in(out, "\"s\":\"shared\"");
        free(out);
    }
    assert_true(hlua_env_reusable(env));
    hlua_env_free(env);
    hlua_bundle_free(b);
}

static void hot_reload_fingerprint(void **state)
{
    (void)state;
    write_file("hot.lua", "return { handler = function() return 'v1' end }\n");
    hlua_bundle *b = dir_bundle();
    unsigned long long fp1 = hlua_bundle_fingerprint(b);
    assert_true(fp1 != 0);
    assert_true(hlua_bundle_fingerprint(b) == fp1);
    hlua_env *env = env_new(b, "hot.handler");
    char *out;
    assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_OK);
    assert_string_equal(out, "\"v1\"");
    free(out);
    hlua_env_free(env);
    write_file("hot.lua", "return { handler = function() return 'version2' end }\n");
    assert_true(hlua_bundle_fingerprint(b) != fp1);
    env = env_new(b, "hot.handler");
    assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_OK);
    assert_string_equal(out, "\"version2\"");
    free(out);
    hlua_env_free(env);
    hlua_bundle_free(b);
}

static void handler_errors(void **state)
{
    (void)state;
    write_file("err.lua",
               "local function deep() error('boom') end\n"
               "return { plain = function() deep() end,\n"
               "         typed = function() error({ errorType = 'MyError', errorMessage = 'bad input' }) end,\n"
               "         fnres = function() return print end,\n"
               "         echo = function(e) return e end }\n");
    hlua_bundle *b = dir_bundle();
    hlua_env *env = env_new(b, "err.plain");
    char *out;
    assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_ERROR);
    cJSON *o = cJSON_Parse(out);
    expect_in(cJSON_GetObjectItem(o, "errorMessage")->valuestring, "err.lua:1: boom");
    assert_string_equal(cJSON_GetObjectItem(o, "errorType")->valuestring, "Error");
    cJSON *st = cJSON_GetObjectItem(o, "stackTrace");
    assert_true(cJSON_IsArray(st) && cJSON_GetArraySize(st) > 0);
    cJSON_Delete(o);
    free(out);
    assert_true(hlua_env_reusable(env));       /* a handler error does not end the env */
    hlua_env_free(env);

    env = env_new(b, "err.typed");
    assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_ERROR);
    expect_in(out, "\"errorType\":\"MyError\"");
    expect_in(out, "\"errorMessage\":\"bad input\"");
    free(out);
    hlua_env_free(env);

    env = env_new(b, "err.fnres");
    assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_ERROR);
    expect_in(out, "Runtime.MarshalError");
    free(out);
    hlua_env_free(env);

    env = env_new(b, "err.echo");
    const char *ev = "{\"a\":[1,{\"b\":null}],\"e\":{},\"l\":[],\"s\":\"\\u00e9\"}";
    assert_int_equal(invoke(env, ev, 3, &out, NULL), HLUA_OK);
    cJSON *x = cJSON_Parse(ev), *y = cJSON_Parse(out);
    assert_true(cJSON_Compare(x, y, 1));
    cJSON_Delete(x);
    cJSON_Delete(y);
    free(out);
    hlua_env_free(env);
    hlua_bundle_free(b);
}

static void expect_init_error(const hlua_bundle *b, const char *handler, const char *type, const char *msg)
{
    hlua_env_config cfg = config(b, handler, NULL);
    hlua_env *env;
    char *init_error;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hlua_env_new(&cfg, NULL, &env, &init_error, &err), 1);
    assert_null(env);
    expect_in(init_error, type);
    expect_in(init_error, msg);
    free(init_error);
}

static void init_errors(void **state)
{
    (void)state;
    write_file("good.lua", "return { handler = function() end }\n");
    write_file("raises.lua", "error('init failed here')\n");
    write_file("syntax.lua", "return {\n");
    write_file("glob.lua", "function handler() return 'global' end\n");
    hlua_bundle *b = dir_bundle();
    expect_init_error(b, "missing.handler", "Runtime.ImportModuleError", "Cannot find module 'missing'");
    expect_init_error(b, "good.nope", "Runtime.HandlerNotFound", "good.nope is undefined or not exported");
    expect_init_error(b, "raises.handler", "Runtime.ImportModuleError", "init failed here");
    expect_init_error(b, "syntax.handler", "Runtime.ImportModuleError", "syntax.lua");
    expect_init_error(b, "nodot", "Runtime.MalformedHandlerName", "nodot");
    expect_init_error(b, "../x.handler", "Runtime.ImportModuleError", "Cannot find module");
    hlua_env *env = env_new(b, "glob.handler");     /* a global function is found too */
    char *out;
    assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_OK);
    assert_string_equal(out, "\"global\"");
    free(out);
    hlua_env_free(env);
    hlua_bundle_free(b);
}

static void expect_timeout(const hlua_bundle *b, const char *handler)
{
    hlua_env *env = env_new(b, handler);
    char *out;
    double t0 = mono();
    assert_int_equal(invoke_deadline(env, NULL, 0.2, &out, NULL), HLUA_TIMEOUT);
    double took = mono() - t0;
    if (took > budget(1.5)) fail_msg("%s: stopped after %.2f s", handler, took);
    expect_in(out, "\"errorType\":\"Sandbox.Timedout\"");
    expect_in(out, "req-1 Task timed out after 0.20 seconds");
    free(out);
    assert_false(hlua_env_reusable(env));
    hlua_env_free(env);
}

static void timeouts(void **state)
{
    (void)state;
    write_file("spin.lua",
               "return {\n"
               " plain = function() while true do end end,\n"
               " caught = function() while true do pcall(function() while true do end end) end end,\n"
               " once = function() pcall(function() while true do end end) return 'escaped' end,\n"
               " xp = function() while true do xpcall(function() while true do end end, function() while true do end end) end end,\n"
               " gc = function() while true do pcall(setmetatable, {}, { __gc = function() while true do end end }) collectgarbage() end end,\n"
               " yields = function() local c = coroutine.wrap(function() xpcall(function() coroutine.yield(7) end, print) return 8 end) return c() + c() end,\n"
               " co = function() local c = coroutine.wrap(function() while true do end end) while true do pcall(c) end end,\n"
               " quick = function() return 'fine' end }\n");
    hlua_bundle *b = dir_bundle();
    expect_timeout(b, "spin.plain");
    expect_timeout(b, "spin.caught");
    expect_timeout(b, "spin.once");
    expect_timeout(b, "spin.xp");
    expect_timeout(b, "spin.co");
    expect_timeout(b, "spin.gc");
    /* the function stays usable: a fresh env of it runs */
    hlua_env *env = env_new(b, "spin.quick");
    char *out;
    assert_int_equal(invoke(env, NULL, 1, &out, NULL), HLUA_OK);
    free(out);
    hlua_env_free(env);
    /* the guarded xpcall still lets a coroutine yield through it */
    env = env_new(b, "spin.yields");
    assert_int_equal(invoke(env, NULL, 1, &out, NULL), HLUA_OK);
    assert_string_equal(out, "15");
    free(out);
    hlua_env_free(env);
    hlua_bundle_free(b);
}

static void memory_cap(void **state)
{
    (void)state;
    write_file("bomb.lua",
               "return {\n"
               " plain = function() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end end,\n"
               " caught = function() local keep = {} for j = 1, 1e9 do pcall(function() for i = 1, 1e9 do keep[#keep+1] = ('y'):rep(1000) .. i end end) end return 'escaped' end,\n"
               " big = function() return #('z'):rep(1 << 30) end,\n"
               " garbage = function() for i = 1, 200000 do local s = ('g'):rep(1000) .. i end return 'ok' end }\n");
    hlua_bundle *b = dir_bundle();
    const char *bombs[] = { "bomb.plain", "bomb.caught", "bomb.big" };
    for (size_t i = 0; i < 3; i++) {
        hlua_env *env = env_new(b, bombs[i]);
        char *out;
        hlua_status st = invoke(env, NULL, 20, &out, NULL);
        if (st != HLUA_OOM) fail_msg("%s: status %d %s", bombs[i], (int)st, out);
        expect_in(out, "Runtime.OutOfMemory");
        free(out);
        assert_false(hlua_env_reusable(env));
        hlua_env_free(env);
    }
    /* lots of garbage (200 MB over time) under a 64 MB cap is fine: the GC keeps up */
    hlua_env *env = env_new(b, "bomb.garbage");
    char *out;
    assert_int_equal(invoke(env, NULL, 20, &out, NULL), HLUA_OK);
    free(out);
    assert_true(hlua_env_reusable(env));
    hlua_env_free(env);
    hlua_bundle_free(b);
}

static void sandbox_escapes_refused(void **state)
{
    (void)state;
    write_file("box.lua",
               "local function fails(f, ...) local ok = pcall(f, ...) return not ok end\n"
               "return { handler = function()\n"
               "  local r = {}\n"
               "  r.io = io == nil\n"
               "  r.debug = debug == nil\n"
               "  r.execute = os.execute == nil and os.remove == nil and os.rename == nil and os.exit == nil and os.tmpname == nil\n"
               "  r.dofile = dofile == nil and loadfile == nil\n"
               "  r.loadlib = package.loadlib == nil and package.searchers == nil and package.cpath == nil\n"
               "  r.dump = string.dump == nil\n"
               "  local f, e = load('\\27Lua\\84\\0', 'x', 'b')\n"
               "  r.binary = f == nil and tostring(e):find('binary') ~= nil\n"
               "  r.text_load = load('return 1 + 1')() == 2\n"
               "  r.req_parent = fails(require, '../secret')\n"
               "  r.req_abs = fails(require, '/etc/passwd')\n"
               "  r.req_link = fails(require, 'link')\n"
               "  r.req_io = fails(require, 'io') and fails(require, 'debug')\n"
               "  r.os_mod = require('os').execute == nil\n"
               "  r.path = os.getenv('PATH') == nil and os.getenv('HOME') == nil and os.getenv('USER') == nil\n"
               "  r.region = os.getenv('AWS_REGION') == 'us-east-1' and os.getenv('AWS_LAMBDA_FUNCTION_NAME') == 'fn'\n"
               "  r.own = os.getenv('MY_VAR') == 'mine' and os.getenv('AWS_EXECUTION_ENV') == 'AWS_Lambda_lua5.4'\n"
               "  r.handler_var = os.getenv('_HANDLER') == 'box.handler' and os.getenv('AWS_LAMBDA_FUNCTION_MEMORY_SIZE') == '64'\n"
               "  r.time = type(os.time()) == 'number' and type(os.clock()) == 'number' and type(os.date()) == 'string'\n"
               "  r.libs = string.rep ~= nil and table.concat ~= nil and math.floor ~= nil and utf8.char ~= nil and coroutine.wrap ~= nil\n"
               "  r.json = require('json').encode({1}) == '[1]' and require('aws').dynamodb ~= nil and require('aws.dynamodb') ~= nil\n"
               "  return r\n"
               "end }\n");
    char target[300], link[300];
    snprintf(target, sizeof target, "%s/../outside-%d.lua", tmpdir, (int)getpid());
    FILE *f = fopen(target, "w");
    fputs("return 'leaked'\n", f);
    fclose(f);
    snprintf(link, sizeof link, "%s/link.lua", tmpdir);
    assert_int_equal(symlink(target, link), 0);
    hlua_bundle *b = dir_bundle();
    cJSON *vars = cJSON_Parse("{\"MY_VAR\":\"mine\"}");
    hlua_env_config cfg = config(b, "box.handler", vars);
    hlua_env *env;
    char *init_error;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hlua_env_new(&cfg, NULL, &env, &init_error, &err), 0);
    cJSON_Delete(vars);                          /* copied by the env */
    char *out;
    assert_int_equal(invoke(env, NULL, 3, &out, NULL), HLUA_OK);
    cJSON *o = cJSON_Parse(out);
    for (cJSON *c = o->child; c; c = c->next)
        if (!cJSON_IsTrue(c)) fail_msg("sandbox check %s failed: %s", c->string, out);
    assert_true(cJSON_GetArraySize(o) >= 20);
    cJSON_Delete(o);
    free(out);
    hlua_env_free(env);
    hlua_bundle_free(b);
    unlink(link);
    unlink(target);
    /* reading through the bundle API directly refuses the same escapes */
    b = dir_bundle();
    char *data;
    size_t len;
    assert_int_equal(hlua_bundle_read(b, "../x.lua", &data, &len, &err), 1);
    assert_int_equal(hlua_bundle_read(b, "/etc/passwd", &data, &len, &err), 1);
    hlua_bundle_free(b);
}

static void print_goes_to_the_log(void **state)
{
    (void)state;
    write_file("logger.lua",
               "print('module loaded')\n"
               "return { handler = function(e, ctx) print('a', 1, nil, true) ctx.log('via context') return 1 end }\n");
    hlua_bundle *b = dir_bundle();
    hlua_env_config cfg = config(b, "logger.handler", NULL);
    hg_buf initlog, log;
    hg_buf_init(&initlog, 1024);
    hg_buf_init(&log, 1024);
    hlua_env *env;
    char *init_error;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hlua_env_new(&cfg, &initlog, &env, &init_error, &err), 0);
    assert_string_equal(hg_buf_cstr(&initlog), "module loaded\n");
    char *out;
    assert_int_equal(invoke(env, NULL, 3, &out, &log), HLUA_OK);
    assert_string_equal(hg_buf_cstr(&log), "a\t1\tnil\ttrue\nvia context\n");
    free(out);
    /* a capped log keeps its head and never fails the invocation */
    hg_buf small;
    hg_buf_init(&small, 5);
    assert_int_equal(invoke(env, NULL, 3, &out, &small), HLUA_OK);
    assert_string_equal(hg_buf_cstr(&small), "a\t1\tn");
    free(out);
    hg_buf_release(&small);
    hg_buf_release(&log);
    hg_buf_release(&initlog);
    hlua_env_free(env);
    hlua_bundle_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(zip_handler_and_context, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_zips, setup, teardown),
        cmocka_unit_test_setup_teardown(dir_bundle_nested_handler_and_warm_state, setup, teardown),
        cmocka_unit_test_setup_teardown(hot_reload_fingerprint, setup, teardown),
        cmocka_unit_test_setup_teardown(handler_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(init_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(memory_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(sandbox_escapes_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(print_goes_to_the_log, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
