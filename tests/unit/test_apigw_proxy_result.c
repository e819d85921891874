/* test_apigw_proxy_result.c — a handler's proxy result mapped straight from
 * its Lua table (hg_plain_sink + apigw_plain_sink) answers exactly as the
 * result printed to JSON and mapped by apigw_map_proxy_response does: same
 * status, headers in the same order, body, and for a malformed result the
 * same "why". Plain shapes must take the direct path; every other shape
 * (numbers or nulls as header values, multiValueHeaders, base64, bad types,
 * non-UTF-8, NULs, cyclic or deep tables, results near or past 6 MB) must
 * leave it and reach the tree or text mapper unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "apigw_invoke.h"
#include "hlua.h"

#define MAX_RESPONSE (6 * 1024 * 1024)

static char tmpdir[256];
static hlua_bundle *bundle;
static hlua_env *env;

static const char handler_lua[] =
    "local M = {}\n"
    "local function many(n) local h = {} for i = 1, n do h['X-H' .. i] = tostring(i) end return h end\n"
    "local results = {\n"
    "  plain = function() return { statusCode = 201, headers = { ['X-A'] = 'a', ['Content-Type'] = 'text/plain' },\n"
    "                              body = 'say \"hi\"\\n', isBase64Encoded = false } end,\n"
    "  nostatus = function() return { body = 'x' } end,\n"
    "  empty = function() return {} end,\n"
    "  emptyheaders = function() return { statusCode = 204, headers = {} } end,\n"
    "  twocts = function() return { headers = { ['content-type'] = 'a/b', ['Content-Type'] = 'c/d' } } end,\n"
    "  corehdr = function() return { headers = { ['Content-Length'] = '5', Connection = 'close', ['X-B'] = 'b\\r\\nX: y' } } end,\n"
    "  ctl = function() return { statusCode = 200, body = 'a\\1\\2\\tb\\\\' } end,\n"
    "  utf8 = function() return { statusCode = 200, body = 'h\\u{e9}llo \\u{1F600}' } end,\n"
    "  badname = function() return { headers = { ['bad name'] = 'x' } } end,\n"
    "  full = function() return { headers = many(32) } end,\n"
    "  manyheaders = function() return { headers = many(40) } end,\n"
    "  mb1 = function() return { body = string.rep('a', 1000000) } end,\n"
    "  mb2 = function() return { body = string.rep('a', 2000000) } end,\n"
    "  big = function() return { body = string.rep('a', 6 * 1024 * 1024) } end,\n"
    "  strstatus = function() return { statusCode = '202' } end,\n"
    "  floatstatus = function() return { statusCode = 200.0 } end,\n"
    "  badstatus = function() return { statusCode = 700 } end,\n"
    "  wordstatus = function() return { statusCode = 'abc' } end,\n"
    "  boolstatus = function() return { statusCode = true } end,\n"
    "  headersstr = function() return { headers = 'x' } end,\n"
    "  headersarr = function() return { headers = json.array({}) } end,\n"
    "  headerslist = function() return { headers = { 'a', 'b' } } end,\n"
    "  numheader = function() return { headers = { ['X-N'] = 7, ['X-F'] = 1.5, ['X-T'] = true } } end,\n"
    "  nullheader = function() return { headers = { ['X-Null'] = json.null, ['X-A'] = 'a' } } end,\n"
    "  tableheader = function() return { headers = { ['X-T'] = {} } } end,\n"
    "  multi = function() return { multiValueHeaders = { ['X-M'] = { 'a', 'b' } }, headers = { ['X-M'] = 'a', ['X-O'] = 'o' } } end,\n"
    "  badmulti = function() return { multiValueHeaders = { ['X-M'] = 'a' } } end,\n"
    "  b64 = function() return { isBase64Encoded = true, body = 'aGk=' } end,\n"
    "  badb64 = function() return { isBase64Encoded = true, body = '!!!' } end,\n"
    "  strb64 = function() return { isBase64Encoded = 'no', body = 'x' } end,\n"
    "  numbody = function() return { body = 5 } end,\n"
    "  tablebody = function() return { body = {} } end,\n"
    "  nullbody = function() return { body = json.null, statusCode = json.null } end,\n"
    "  unknownkey = function() return { statusCode = 200, extra = 1 } end,\n"
    "  numkey = function() return { [1] = 'x', statusCode = 200 } end,\n"
    "  nonutf8 = function() return { body = 'a\\255\\254z' } end,\n"
    "  nul = function() return { body = 'a\\0b' } end,\n"
    "  nulheader = function() return { headers = { ['X-Z'] = 'a\\0b' } } end,\n"
    "  cyclic = function() local t = { statusCode = 200 } t.headers = t return t end,\n"
    "  deep = function() local t = {} local c = t for i = 1, 300 do c.headers = {} c = c.headers end return t end,\n"
    "  notatable = function() return 'hello' end,\n"
    "  arrayresult = function() return { 1, 2 } end,\n"
    "  markedarray = function() return json.array({}) end,\n"
    "}\n"
    "function M.handler(event) return results[event.mode]() end\n"
    "return M\n";

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/apigw-result-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/h.lua", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(handler_lua, f);
    fclose(f);
    hg_err err;
    hg_err_clear(&err);
    if (hlua_bundle_from_dir(tmpdir, &bundle, &err) != 0) return -1;
    hlua_env_config cfg = {
        .function_name = "fn", .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:fn",
        .function_version = "$LATEST", .region = "us-east-1", .log_group = "/aws/lambda/fn",
        .log_stream = "s", .handler = "h.handler", .memory_limit = 256u << 20, .memory_mb = 256,
        .bundle = bundle, .init_timeout_s = 30,
    };
    char *init_error = NULL;
    if (hlua_env_new(&cfg, NULL, &env, &init_error, &err) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hlua_env_free(env);
    hlua_bundle_free(bundle);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* One way of answering: the status of the invoke, and when it succeeded
 * the mapping's rc, why and the response. */
typedef struct answer {
    hlua_status status;
    char       *error;          /* the error payload when status != HLUA_OK */
    bool        taken, tree;
    size_t      size;
    int         rc;
    char        why[512];
    hg_response resp;
} answer;

/* The handler (mode) once; direct: with the sink and the tree, as API
 * Gateway asks; else as text, the reference. A fresh env may be needed
 * after a limit: this one never hits one. */
static void run(const char *mode, bool direct, answer *a)
{
    memset(a, 0, sizeof *a);
    hg_response_init(&a->resp);
    char event[128];
    snprintf(event, sizeof event, "{\"mode\":\"%s\"}", mode);
    apigw_plain_sink plain;
    apigw_plain_sink_init(&plain, &a->resp, a->why, sizeof a->why);
    plain.sink.max_size = MAX_RESPONSE;
    hlua_invocation inv = {
        .request_id = "req", .payload = event, .payload_len = strlen(event), .deadline = mono() + 60,
        .timeout_s = 60, .result_tree = direct, .sink = direct ? &plain.sink : NULL,
    };
    hlua_result r;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(hlua_env_invoke(env, &inv, &r, &err), 0);
    a->status = r.status;
    a->taken = r.taken;
    a->tree = r.tree != NULL;
    a->size = r.payload_len;
    if (r.status != HLUA_OK) {
        a->error = r.payload;
        r.payload = NULL;
    } else if (r.taken) {
        a->rc = plain.rc;
    } else if (r.tree) {
        a->rc = apigw_map_proxy_tree(r.tree, &a->resp, a->why, sizeof a->why);
    } else {
        a->rc = apigw_map_proxy_response(r.payload, r.payload_len, &a->resp, a->why, sizeof a->why);
    }
    hlua_result_release(&r);
}

static void release(answer *a)
{
    free(a->error);
    hg_response_release(&a->resp);
}

/* Both ways answer alike; the direct one took the result iff expected. */
static void same_answer(const char *mode, bool expect_taken)
{
    answer ref, got;
    run(mode, false, &ref);
    run(mode, true, &got);
    if (got.taken != expect_taken) fail_msg("%s: taken %d, expected %d", mode, got.taken, expect_taken);
    assert_int_equal(got.status, ref.status);
    if (ref.status != HLUA_OK) {
        assert_string_equal(got.error, ref.error);
    } else {
        if (got.rc != ref.rc) fail_msg("%s: rc %d (%s), text path %d (%s)", mode, got.rc, got.why, ref.rc, ref.why);
        if (ref.rc != 0) {
            assert_string_equal(got.why, ref.why);
        } else {
            if (got.taken) assert_true(got.size <= MAX_RESPONSE);
            else if (!got.tree) assert_int_equal(got.size, ref.size);
            assert_int_equal(got.resp.status, ref.resp.status);
            assert_string_equal(got.resp.content_type, ref.resp.content_type);
            assert_int_equal(got.resp.nheaders, ref.resp.nheaders);
            for (int i = 0; i < ref.resp.nheaders; i++) {
                assert_string_equal(got.resp.headers[i].name, ref.resp.headers[i].name);
                assert_string_equal(got.resp.headers[i].value, ref.resp.headers[i].value);
            }
            assert_int_equal(got.resp.body.len, ref.resp.body.len);
            assert_memory_equal(hg_buf_cstr(&got.resp.body), hg_buf_cstr(&ref.resp.body), ref.resp.body.len);
        }
    }
    release(&ref);
    release(&got);
}

static void plain_results_are_mapped_in_place(void **state)
{
    (void)state;
    static const char *const modes[] = { "plain", "nostatus", "empty", "emptyheaders", "twocts", "corehdr",
                                         "ctl", "utf8", "full", "mb1" };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) same_answer(modes[i], true);

    answer a;
    run("plain", true, &a);
    assert_int_equal(a.resp.status, 201);
    assert_string_equal(a.resp.content_type, "text/plain");
    assert_string_equal(hg_buf_cstr(&a.resp.body), "say \"hi\"\n");
    release(&a);
}

/* A header the HTTP layer cannot send fails the same way on both paths. */
static void an_unsendable_header_gives_the_same_502_reason(void **state)
{
    (void)state;
    same_answer("badname", true);
    answer a;
    run("badname", true, &a);
    assert_int_equal(a.rc, -1);
    assert_string_equal(a.why, "header 'bad name' cannot be sent (bad name or too many headers)");
    release(&a);
}

static void other_shapes_keep_their_path_and_their_messages(void **state)
{
    (void)state;
    static const char *const modes[] = {
        "manyheaders", "strstatus", "floatstatus", "badstatus", "wordstatus", "boolstatus", "headersstr",
        "headersarr", "headerslist", "numheader", "nullheader", "tableheader", "multi", "badmulti", "b64",
        "badb64", "strb64", "numbody", "tablebody", "nullbody", "unknownkey", "numkey", "nonutf8", "nul",
        "nulheader", "cyclic", "deep", "notatable", "arrayresult", "markedarray",
    };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) same_answer(modes[i], false);

    /* and the reasons are the mapper's */
    answer a;
    run("unknownkey", true, &a);
    assert_int_equal(a.rc, -1);
    assert_non_null(strstr(a.why, "unknown key 'extra'"));
    release(&a);
    run("badstatus", true, &a);
    assert_string_equal(a.why, "statusCode is not an HTTP status (100-599)");
    release(&a);
    run("badb64", true, &a);
    assert_string_equal(a.why, "body is not valid base64 although isBase64Encoded is true");
    release(&a);
}

/* The in-place path counts a bound of the JSON text; one that could pass
 * Lambda's 6 MB goes the exact way instead. */
static void results_near_the_limit_are_counted_exactly(void **state)
{
    (void)state;
    same_answer("mb2", false);
    answer a;
    run("big", true, &a);
    assert_false(a.taken);
    assert_true(a.size > MAX_RESPONSE);      /* the caller refuses it, as before */
    release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_results_are_mapped_in_place),
        cmocka_unit_test(an_unsendable_header_gives_the_same_502_reason),
        cmocka_unit_test(other_shapes_keep_their_path_and_their_messages),
        cmocka_unit_test(results_near_the_limit_are_counted_exactly),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
