/* libFuzzer target: the JSON <-> Lua bridge, through the public runtime API.
 * One sandboxed env runs a handler that json.decode()s the input text and
 * json.encode()s the result back (and returns it), so both directions and
 * the event/result conversion run on every input. Inputs that are valid JSON
 * also go in as the event itself. The env is rebuilt when it stops being
 * reusable (memory cap or deadline hit). */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hlua.h"

static hlua_bundle *bundle;
static hlua_env *env;

static const char HANDLER[] =
    "local json = require('json')\n"
    "return {handler = function(event)\n"
    "  if type(event) == 'table' and type(event.text) == 'string' then\n"
    "    local ok, v = pcall(json.decode, event.text)\n"
    "    if ok then local ok2, s = pcall(json.encode, v) return ok2 and s or false end\n"
    "    return 'bad'\n"
    "  end\n"
    "  return event\n"
    "end}\n";

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static hlua_env *make_env(void)
{
    hlua_env_config cfg = {
        .function_name = "fz", .function_arn = "arn:aws:lambda:us-east-1:000000000000:function:fz",
        .function_version = "$LATEST", .region = "us-east-1", .log_group = "/aws/lambda/fz",
        .log_stream = "2026/01/01/[$LATEST]fz", .handler = "index.handler", .memory_limit = 64u << 20,
        .memory_mb = 64, .bundle = bundle, .init_timeout_s = 5,
    };
    hlua_env *e = NULL;
    char *init_error = NULL;
    hg_err err;
    hg_err_clear(&err);
    if (hlua_env_new(&cfg, NULL, &e, &init_error, &err) != 0) {
        fprintf(stderr, "fuzz_lua_json: env: %s %s\n", err.message, init_error ? init_error : "");
        abort();
    }
    free(init_error);
    return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    char dir[64], path[96];
    snprintf(dir, sizeof dir, "/tmp/hangar-fuzz-lua-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(path, sizeof path, "%s/index.lua", dir);
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fputs(HANDLER, f);
    fclose(f);
    hg_err err;
    hg_err_clear(&err);
    if (hlua_bundle_from_dir(dir, &bundle, &err) != 0) abort();
    /* the folder stays: a folder bundle may read its files when a module loads */
    env = make_env();
    return 0;
}

static void run(const char *event, size_t len)
{
    hlua_invocation inv = { .request_id = "fz", .payload = event, .payload_len = len,
                            .deadline = mono() + 5, .timeout_s = 5, .log = NULL };
    hlua_result r;
    hg_err err;
    hg_err_clear(&err);
    if (hlua_env_invoke(env, &inv, &r, &err) == 0) hlua_result_release(&r);
    if (!hlua_env_reusable(env)) {
        hlua_env_free(env);
        env = make_env();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024) return 0;
    /* the input as the text of a JSON string member: {"text": "<input>"} */
    cJSON *ev = cJSON_CreateObject();
    char *copy = malloc(size + 1);
    if (!ev || !copy) { cJSON_Delete(ev); free(copy); return 0; }
    memcpy(copy, data, size);
    copy[size] = '\0';
    cJSON_AddStringToObject(ev, "text", copy);
    char *text = cJSON_PrintUnformatted(ev);
    if (text) run(text, strlen(text));
    free(text);
    cJSON_Delete(ev);
    /* and the input itself as the event when it is JSON */
    cJSON *direct = cJSON_ParseWithLength(copy, size);
    if (direct) {
        char *t = cJSON_PrintUnformatted(direct);
        if (t) run(t, strlen(t));
        free(t);
        cJSON_Delete(direct);
    }
    free(copy);
    return 0;
}
