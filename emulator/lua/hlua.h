/*
 * hlua.h — the Lua 5.4 runtime that runs Lambda handlers in-process.
 *
 * An hlua_env is one Lambda execution environment: a sandboxed lua_State
 * with the function's handler module loaded (its module-level code has run
 * once), reused warm across invocations by the Lambda pool. An env is used
 * by one thread at a time (the pool guarantees it); nothing in it is shared.
 *
 * Sandbox (what a handler sees): the base library without dofile/loadfile
 * and with load() restricted to text chunks; string, table, math, utf8,
 * coroutine; os.time/clock/date/getenv only (getenv sees the function's own
 * variables plus the AWS_* ones Lambda sets); require() resolving only
 * inside the function's bundle; print and context.log writing to the
 * invocation's log; the modules `json` and `aws` (aws.dynamodb: every
 * DynamoDB operation, in-process, plus AttributeValue helpers). No io, no
 * debug, no package.loadlib, no C modules, no binary chunks.
 *
 * Limits: a capped allocator (the function's MemorySize) makes an
 * allocation past the cap a Lua memory error for that invocation; a count
 * hook stops a handler that runs past its deadline. After either, the env
 * reports itself not reusable and the pool discards it.
 *
 * Ownership: bundles are created and freed by the caller and must outlive
 * every env made from them; results own their payload (hlua_result_release).
 */
#ifndef HLUA_H
#define HLUA_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "hg_buf.h"
#include "hg_error.h"
#include "hg_json.h"
#include "hg_plain.h"

/* ---- bundles: where a function's code comes from ---------------------- */

typedef struct hlua_bundle hlua_bundle;

/* From a zip archive in memory (unpacked with libzip into memory; the
 * caller's buffer is not kept). Bad archive → InvalidParameterValueException
 * "Could not unzip uploaded file. Please check your file, then try to upload again." */
int  hlua_bundle_from_zip(const void *zip, size_t len, hlua_bundle **out, hg_err *err);
/* From a folder on disk (hot reload): files are read on demand, so edits
 * show on the next load. Paths never escape the folder. */
int  hlua_bundle_from_dir(const char *dir, hlua_bundle **out, hg_err *err);
void hlua_bundle_free(hlua_bundle *b);
/* Read a file of the bundle: 0 found (*data malloc'd, NUL-terminated, caller
 * frees), 1 missing, -1 error. path is relative, '/'-separated. */
int  hlua_bundle_read(const hlua_bundle *b, const char *path, char **data, size_t *len, hg_err *err);
/* A fingerprint of a dir bundle's current contents (names, sizes, mtimes)
 * so the pool can tell that a hot-reload folder changed; 0 for zip bundles. */
unsigned long long hlua_bundle_fingerprint(const hlua_bundle *b);

/* ---- environments --------------------------------------------------------- */

typedef struct hlua_env_config {
    const char *function_name;
    const char *function_arn;
    const char *function_version;   /* "$LATEST" */
    const char *region;
    const char *log_group;          /* /aws/lambda/<name> */
    const char *log_stream;         /* 2026/11/28/[$LATEST]<hex> */
    const char *handler;            /* "file.fn" or "dir/file.fn" */
    size_t      memory_limit;       /* bytes (MemorySize MB) */
    int         memory_mb;
    const cJSON *env_vars;          /* Environment.Variables object, or NULL; copied */
    const hlua_bundle *bundle;      /* borrowed; must outlive the env */
    double      init_timeout_s;     /* module-level code's deadline */
    const char *role_arn;           /* the function's execution role (Role), or NULL;
                                       copied. With --auth enforce, aws.dynamodb calls
                                       are authorized against it (iam_role_authorize). */
} hlua_env_config;

typedef struct hlua_env hlua_env;

/* Create an env and run the handler module's top-level code. Failures are
 * reported the way Lambda reports them, as an error payload in *init_error
 * (new malloc'd JSON {"errorMessage","errorType"} e.g. errorType
 * "Runtime.ImportModuleError" / "Runtime.HandlerNotFound"), with 1
 * returned; -1 only for internal failures (err set). Log output of the init
 * goes to log (may be NULL). */
int  hlua_env_new(const hlua_env_config *cfg, hg_buf *log, hlua_env **out, char **init_error, hg_err *err);
void hlua_env_free(hlua_env *env);
/* False after a timeout or memory error: the pool must discard it. */
bool hlua_env_reusable(const hlua_env *env);

typedef enum hlua_status {
    HLUA_OK = 0,      /* payload = the handler's return value as JSON ("null" for nil) */
    HLUA_ERROR,       /* payload = {"errorMessage","errorType","stackTrace":[...]} */
    HLUA_TIMEOUT,     /* payload = {"errorMessage":"<date> <reqid> Task timed out after N.NN seconds","errorType":"Sandbox.Timedout"} */
    HLUA_OOM,         /* payload = {"errorMessage":"...memory...","errorType":"Runtime.OutOfMemory"} */
    HLUA_ABANDONED    /* stopped at hlua_invocation.abandon_at before it did anything seen outside
                         its env; payload = a placeholder, the env is not reusable */
} hlua_status;

/* A result of the Lambda proxy response's plainest shape (hg_plain.h) goes
 * to hlua_invocation.sink, seen in place in the handler's Lua. */
typedef struct hlua_invocation {
    const char *request_id;
    const char *payload;            /* the event, JSON text (already validated) */
    size_t      payload_len;
    const hg_jw_source *event;      /* or the event, written straight into Lua (used instead
                                       of payload when set): no text to print and parse again */
    double      deadline;           /* CLOCK_MONOTONIC seconds at which it times out */
    double      abandon_at;         /* 0, or CLOCK_MONOTONIC seconds at which a handler that is still
                                       running and has made no aws.* call that changes anything is
                                       stopped unseen (HLUA_ABANDONED), so its caller can run it again
                                       elsewhere */
    double      timeout_s;          /* the function's Timeout, for the message */
    hg_buf     *log;                /* print / context.log lines are appended (capped buffer) */
    bool        result_tree;        /* the caller takes a result of scalars and flat objects as a
                                       tree (hlua_result.tree) instead of JSON text */
    const hg_plain_sink *sink;      /* or NULL: tried before the tree */
} hlua_invocation;

typedef struct hlua_result {
    hlua_status status;
    char   *payload;                /* malloc'd JSON text, or NULL when tree is set */
    cJSON  *tree;                   /* HLUA_OK with result_tree: the result itself (owned) */
    bool    taken;                  /* HLUA_OK: the sink took the result (no payload, no tree) */
    size_t  payload_len;            /* the text's length (for a tree: what the text would be;
                                       taken: at most the sink's max_size) */
    size_t  peak_memory;            /* bytes, for REPORT's Max Memory Used */
} hlua_result;

/* Run handler(event, context). Returns 0 with *out filled (its status says
 * how the handler ended), -1 on internal failure (err set). */
int  hlua_env_invoke(hlua_env *env, const hlua_invocation *inv, hlua_result *out, hg_err *err);
void hlua_result_release(hlua_result *r);

#endif
