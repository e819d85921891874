/*
 * invoke.c — Invoke: the REST route, lambda_invoke() for other services, and
 * the queue that runs Event invocations later with AWS's two retries.
 *
 * One invocation (run_once): lease an env from the pool (cold start or
 * warm), run handler(event, context) with the function's deadline, give the
 * env back, and write the log as Lambda does — the init output, START, the
 * handler's lines, END, REPORT (+ Init Duration on a cold start) — to
 * /aws/lambda/<name>, in the env's stream. Nothing is locked while Lua runs.
 *
 * The Event queue: a bounded list of copied payloads served by
 * ASYNC_WORKERS threads. An attempt that ends in a function error (or is
 * throttled) is queued again after hg_cfg.lambda_retry_s, then 2x that;
 * after the third attempt the event is dropped, as AWS does without a
 * destination. Invariants: queue fields are guarded by async_mutex; a
 * queued item is owned by the queue until a worker takes it; the workers
 * start with the first Event after lambda_async_init, not at start-up
 * (their threads cost every start 0.4 ms, Event invocations or not).
 */
#include "lambda_internal.h"
#include "lambda_pool.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "config.h"
#include "hg_crypto.h"
#include "hg_log.h"
#include "hg_parse.h"
#include "hg_uuid.h"
#include "hlua.h"
#include "logs.h"
#include "offload.h"

#define LOG_CAP (1024 * 1024)       /* one invocation's log; later lines are dropped */
#define LOG_TAIL 4096               /* X-Amz-Log-Result: the last 4 KB */
#define ASYNC_QUEUE_MAX 1000        /* queued Event invocations */
#define ASYNC_WORKERS 2
#define ASYNC_ATTEMPTS 3            /* the first try and AWS's two retries */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t epoch_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 2024-05-01T12:34:56.789Z */
static void rfc3339_now(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/* ---- logs --------------------------------------------------------------- */

/* Send the invocation's log text, one event per line, to the function's group. */
static void ship_log(const lambda_fn *f, const char *stream, const hg_buf *log)
{
    const char *p = hg_buf_cstr(log), *end = p + log->len;
    int n = 0;
    for (const char *q = p; q < end; q++)
        if (*q == '\n') n++;
    if (log->len && end[-1] != '\n') n++;
    if (n == 0) return;
    logs_event *ev = calloc((size_t)n, sizeof *ev);
    if (!ev) return;
    int64_t ts = epoch_ms();
    int i = 0;
    while (p < end && i < n) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        ev[i].timestamp_ms = ts;
        ev[i].message = p;
        ev[i].len = len;
        i++;
        p += len + (nl ? 1 : 0);
    }
    char group[128];
    static const char group_prefix[] = "/aws/lambda/";
    size_t name_len = strlen(f->name);
    if (name_len > sizeof group - sizeof group_prefix) name_len = sizeof group - sizeof group_prefix;
    memcpy(group, group_prefix, sizeof group_prefix - 1);
    memcpy(group + sizeof group_prefix - 1, f->name, name_len);
    group[sizeof group_prefix - 1 + name_len] = '\0';
    hg_err err = {0};
    if (logs_put(f->region, group, stream, ev, i, &err) != 0)
        hg_log(HG_LOG_WARN, "lambda %s: log lines lost: %s", f->name, err.message);
    free(ev);
}

/* The base64 of the last LOG_TAIL bytes of the log (malloc'd). */
static char *log_tail_b64(const hg_buf *log)
{
    size_t n = log->len > LOG_TAIL ? LOG_TAIL : log->len;
    const unsigned char *p = (const unsigned char *)hg_buf_cstr(log) + (log->len - n);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out) return NULL;
    hg_base64_encode((unsigned char *)out, p, (int)n);   /* writes the NUL */
    return out;
}

/* head + request id + tail as one line, whole or not at all (as
 * hg_buf_printf writes), without a printf for what has no format. */
static void log_line(hg_buf *log, const char *head, const char *request_id, const char *tail)
{
    char line[128];
    size_t h = strlen(head), r = strlen(request_id), t = strlen(tail);
    if (h + r + t > sizeof line) {
        hg_buf_printf(log, "%s%s%s", head, request_id, tail);
        return;
    }
    memcpy(line, head, h);
    memcpy(line + h, request_id, r);
    memcpy(line + h + r, tail, t);
    hg_buf_append(log, line, h + r + t);
}

/* ---- one invocation ----------------------------------------------------- */

/* The REPORT line's pieces, written without printf: its floating-point
 * path was 2 % of a gateway request. Each returns the end of what it wrote. */
static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Milliseconds with two decimals, like "%.2f" (halves round up: a timing). */
static char *put_ms(char *p, double ms)
{
    unsigned long long c = (unsigned long long)((ms >= 0 ? ms < 1e15 ? ms : 1e15 : 0) * 100.0 + 0.5);
    p = hg_put_u64(p, c / 100);
    *p++ = '.';
    *p++ = (char)('0' + c / 10 % 10);
    *p++ = (char)('0' + c % 10);
    return p;
}

typedef struct run_result {
    char  *payload;            /* malloc'd JSON, or NULL with tree or taken */
    cJSON *tree;               /* the result as a tree, when asked for and so shaped */
    bool   taken;              /* the caller's sink took the result */
    size_t payload_len;
    bool   function_error;
} run_result;

static char *dup_text(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    if (len) *len = n;
    return d;
}

/* Ask the server to run this request again off its worker (core/offload.h):
 * before a function not known to be quick starts, or once a quick one has
 * run HG_WORKER_STALL_MS there without an aws.* call that changes anything,
 * so the worker's other clients wait no longer than the acceptor lets new
 * ones. The error is what the client would see if it did not (it does,
 * hg_offload_ask). */
static int move_off_worker(hg_err *err)
{
    hg_offload_ask();
    return hg_err_set(err, 503, "ServiceException", "the invocation moves off its worker");
}

/* Run f once with payload (valid JSON text). 0 with *out filled (a function
 * error is a success of the invoke), -1 with err (throttled, internal). */
static int run_once(hg_store *s, const lambda_fn *f, const char *request_id, const hg_jw_source *event,
                    const char *payload, size_t len, double max_s, bool want_tree, const hg_plain_sink *sink,
                    hg_buf *log, run_result *out, hg_err *err)
{
    memset(out, 0, sizeof *out);
    lambda_lease *lease = NULL;
    char *init_error = NULL;
    bool may_move = hg_offload_possible();
    int rc = lambda_pool_lease(s, f, log, may_move, &lease, &init_error, err);
    if (rc == 2) return move_off_worker(err);   /* not known to be quick: nothing done yet */
    if (rc < 0) return -1;

    double t0 = mono_now();
    log_line(log, "START RequestId: ", request_id, " Version: $LATEST\n");
    hlua_result res = {0};
    /* Room kept for what the runtime writes after the handler (the error or
     * timeout line, END, REPORT), even when the handler filled the log. */
    size_t room = 2048 + (init_error ? strlen(init_error) : 0);
    if (rc == 1) {                    /* init failed: the error is the answer */
        if (log->cap) log->cap += room;
        hg_buf_printf(log, "%s\n", init_error);
        out->payload = init_error;
        out->payload_len = strlen(init_error);
        out->function_error = true;
        init_error = NULL;
    } else {
        /* the caller's limit (API Gateway's integration timeout) may be shorter */
        double limit = max_s > 0 && max_s < f->timeout_s ? max_s : f->timeout_s;
        /* the sink never sees a result past Lambda's response limit */
        hg_plain_sink capped;
        if (sink) {
            capped = *sink;
            if (!capped.max_size || capped.max_size > LAMBDA_MAX_PAYLOAD) capped.max_size = LAMBDA_MAX_PAYLOAD;
        }
        hlua_invocation inv = {
            .request_id = request_id, .payload = payload, .payload_len = len, .event = event,
            .deadline = t0 + limit, .timeout_s = limit, .log = log, .result_tree = want_tree,
            .sink = sink ? &capped : NULL,
            /* on a worker, a quick function that is not quick this time is
             * stopped while nothing it did was seen, and moves */
            .abandon_at = may_move ? t0 + HG_WORKER_STALL_MS / 1000.0 : 0,
        };
        if (hlua_env_invoke(lambda_lease_env(lease), &inv, &res, err) != 0) {
            lambda_pool_return(lease);
            return -1;
        }
        if (res.status == HLUA_ABANDONED) {   /* its env goes (not reusable); its log was never shipped */
            lambda_lease_ran(lease, (mono_now() - t0) * 1000.0);
            lambda_pool_return(lease);
            hlua_result_release(&res);
            return move_off_worker(err);
        }
        if (log->cap) log->cap += room;
        char when[32];
        if (res.status != HLUA_OK) rfc3339_now(when);   /* only failures print it */
        if (res.status == HLUA_TIMEOUT)
            hg_buf_printf(log, "%s %s Task timed out after %.2f seconds\n", when, request_id, limit);
        else if (res.status != HLUA_OK)   /* the error as the runtimes log it */
            hg_buf_printf(log, "%s\t%s\tERROR\tInvoke Error \t%.*s\n", when, request_id,
                          (int)(res.payload_len > 2048 ? 2048 : res.payload_len), res.payload ? res.payload : "");
        if (res.status == HLUA_OK && res.payload_len > LAMBDA_MAX_PAYLOAD) {
            hlua_result_release(&res);
            out->payload = dup_text("{\"errorMessage\":\"Response payload size exceeded maximum allowed "
                                    "payload size (6291556 bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}",
                                    &out->payload_len);
            out->function_error = true;
        } else {
            out->payload = res.payload;
            out->tree = res.tree;
            out->taken = res.taken;
            out->payload_len = res.payload_len;
            out->function_error = res.status != HLUA_OK;
            res.payload = NULL;
            res.tree = NULL;
        }
    }
    double ms = (mono_now() - t0) * 1000.0;
    double init_ms = lambda_lease_init_ms(lease);
    size_t peak_mb = (res.peak_memory + 1024 * 1024 - 1) / (1024 * 1024);
    if (peak_mb < 1) peak_mb = 1;
    log_line(log, "END RequestId: ", request_id, "\n");
    char report[400], *p = report;        /* every part bounded: ids 36, numbers 20 digits */
    p = put_str(p, "REPORT RequestId: ");
    p = put_str(p, request_id);
    p = put_str(p, "\tDuration: ");
    p = put_ms(p, ms);
    p = put_str(p, " ms\tBilled Duration: ");
    p = hg_put_u64(p, (unsigned long long)ceil(ms < 1 ? 1 : ms > 1e15 ? 1e15 : ms));
    p = put_str(p, " ms\tMemory Size: ");
    p = hg_put_u64(p, (unsigned long long)(f->memory_mb > 0 ? f->memory_mb : 0));
    p = put_str(p, " MB\tMax Memory Used: ");
    p = hg_put_u64(p, peak_mb);
    p = put_str(p, " MB");
    if (init_ms > 0) {
        p = put_str(p, "\tInit Duration: ");
        p = put_ms(p, init_ms);
        p = put_str(p, " ms");
    }
    hg_buf_append(log, report, (size_t)(p - report));
    if (res.status == HLUA_TIMEOUT) hg_buf_puts(log, "\tStatus: timeout");
    else if (res.status == HLUA_OOM) hg_buf_puts(log, "\tStatus: error\tError Type: Runtime.OutOfMemory");
    hg_buf_puts(log, "\n");
    ship_log(f, lambda_lease_stream(lease), log);
    lambda_lease_ran(lease, ms);
    lambda_pool_return(lease);
    hlua_result_release(&res);
    if (!out->payload && !out->tree && !out->taken) return hg_err_internal(err, "out of memory");
    return 0;
}

/* ---- checks shared by every invocation type ---------------------------- */

typedef enum { INV_SYNC, INV_EVENT, INV_DRYRUN } inv_type;

static int parse_type(const char *t, inv_type *out, hg_err *err)
{
    if (!t || !*t || strcmp(t, "RequestResponse") == 0) *out = INV_SYNC;
    else if (strcmp(t, "Event") == 0) *out = INV_EVENT;
    else if (strcmp(t, "DryRun") == 0) *out = INV_DRYRUN;
    else return hg_err_set(err, 400, "InvalidParameterValueException",
                           "1 validation error detected: Value '%.64s' at 'invocationType' failed to satisfy "
                           "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", t);
    return 0;
}

/* A strict RFC 8259 scan of one JSON value at *p (< end), allocating
 * nothing. 1 when valid (*p moved past it); 0 when it cannot vouch for the
 * text — invalid, a u escape, deep nesting, numbers longer than cJSON's
 * 63-character buffer, bytes cJSON treats loosely —
 * and the caller asks cJSON. It accepts only texts cJSON also accepts. */
#define SCAN_DEPTH 256
static int scan_value(const char **p, const char *end, int depth);

static void scan_space(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')) (*p)++;
}

static int scan_string(const char **p, const char *end)
{
    const char *q = *p + 1;            /* past the opening quote */
    while (q < end) {
        unsigned char c = (unsigned char)*q;
        if (c == '"') { *p = q + 1; return 1; }
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (q + 1 >= end || !strchr("\"\\/bfnrt", q[1]) || q[1] == '\0') return 0;   /* a u escape: cJSON decides */
            q += 2;
            continue;
        }
        q++;
    }
    return 0;
}

static int scan_number(const char **p, const char *end)
{
    const char *q = *p, *start = *p;
    if (q < end && *q == '-') q++;
    if (q >= end) return 0;
    if (*q == '0') q++;
    else if (*q >= '1' && *q <= '9') while (q < end && *q >= '0' && *q <= '9') q++;
    else return 0;
    if (q < end && *q == '.') {
        q++;
        if (q >= end || *q < '0' || *q > '9') return 0;
        while (q < end && *q >= '0' && *q <= '9') q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-')) q++;
        if (q >= end || *q < '0' || *q > '9') return 0;
        while (q < end && *q >= '0' && *q <= '9') q++;
    }
    if (q - start > 63) return 0;      /* cJSON reads at most 63 characters of a number */
    *p = q;
    return 1;
}

static int scan_word(const char **p, const char *end, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(end - *p) < n || memcmp(*p, w, n) != 0) return 0;
    *p += n;
    return 1;
}

static int scan_value(const char **p, const char *end, int depth)
{
    scan_space(p, end);
    if (*p >= end) return 0;
    switch (**p) {
    case '"': return scan_string(p, end);
    case 't': return scan_word(p, end, "true");
    case 'f': return scan_word(p, end, "false");
    case 'n': return scan_word(p, end, "null");
    case '{': case '[': {
        char close = **p == '{' ? '}' : ']';
        if (depth >= SCAN_DEPTH) return 0;
        (*p)++;
        scan_space(p, end);
        if (*p < end && **p == close) { (*p)++; return 1; }
        for (;;) {
            if (close == '}') {
                scan_space(p, end);
                if (*p >= end || **p != '"' || !scan_string(p, end)) return 0;
                scan_space(p, end);
                if (*p >= end || **p != ':') return 0;
                (*p)++;
            }
            if (!scan_value(p, end, depth + 1)) return 0;
            scan_space(p, end);
            if (*p >= end) return 0;
            if (**p == close) { (*p)++; return 1; }
            if (**p != ',') return 0;
            (*p)++;
        }
    }
    default: return scan_number(p, end);
    }
}

/* The payload must be JSON; an empty one is delivered as {} (what the
 * runtimes hand a handler invoked without a payload). Well-formed payloads
 * (nearly all) pass the allocation-free scan; cJSON judges the rest and
 * words the error. */
static int check_payload(const char *payload, size_t len, hg_err *err)
{
    if (len == 0) return 0;
    const char *p = payload, *stop = payload + len;
    if (scan_value(&p, stop, 0)) {
        scan_space(&p, stop);
        if (p == stop) return 0;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(payload, len, &end, 0);
    if (!j) {
        size_t at = end && end >= payload ? (size_t)(end - payload) : 0;
        return hg_err_set(err, 400, "InvalidRequestContentException",
                          "Could not parse request body into json: Could not parse payload into json: "
                          "Unexpected character at offset %zu", at);
    }
    /* trailing non-space text after the value is not JSON either */
    while (end && (size_t)(end - payload) < len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) end++;
    cJSON_Delete(j);
    if (end && (size_t)(end - payload) < len)
        return hg_err_set(err, 400, "InvalidRequestContentException",
                          "Could not parse request body into json: Could not parse payload into json: "
                          "Unexpected content after the JSON value at offset %zu", (size_t)(end - payload));
    return 0;
}

/* ---- the Event queue ---------------------------------------------------- */

typedef struct async_item {
    char region[33];
    char name[65];
    char *payload;             /* owned */
    size_t len;
    int attempt;               /* attempts made so far */
    char request_id[HG_UUID_LEN + 1];       /* kept across retries, as AWS does */
    double due;                /* CLOCK_MONOTONIC seconds */
    struct async_item *next;
} async_item;

static pthread_mutex_t async_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t async_cond = PTHREAD_COND_INITIALIZER;
static async_item *async_head;
static int async_count, async_stop, async_nthreads, async_wanted;
static pthread_t async_threads[ASYNC_WORKERS];

static void async_item_free(async_item *it)
{
    if (it) free(it->payload);
    free(it);
}

static void *async_main(void *arg);

/* Under async_mutex: the workers, if lambda_async_init asked for them and
 * none runs yet; -1 when not even one could start. */
static int async_start_locked(void)
{
    if (!async_wanted || async_nthreads > 0) return 0;
    while (async_nthreads < ASYNC_WORKERS &&
           pthread_create(&async_threads[async_nthreads], NULL, async_main, NULL) == 0)
        async_nthreads++;
    if (async_nthreads == 0) return -1;
    async_wanted = 0;
    return 0;
}

/* Queue it (ownership passes to the queue) or refuse when full. */
static int async_push(async_item *it, hg_err *err)
{
    pthread_mutex_lock(&async_mutex);
    if (async_stop || async_count >= ASYNC_QUEUE_MAX) {
        pthread_mutex_unlock(&async_mutex);
        return hg_err_set(err, 429, "TooManyRequestsException", "Rate Exceeded.");
    }
    if (async_start_locked() != 0) {
        pthread_mutex_unlock(&async_mutex);
        return hg_err_internal(err, "cannot start the Lambda event queue");
    }
    it->next = async_head;
    async_head = it;
    async_count++;
    pthread_cond_signal(&async_cond);
    pthread_mutex_unlock(&async_mutex);
    return 0;
}

/* One attempt of a queued event; requeue it on failure while attempts remain. */
static void async_run(async_item *it)
{
    hg_err err = {0};
    hg_store *s = hg_store_get(&err);
    lambda_fn *f = NULL;
    if (!s || lambda_fn_load(s, it->region, it->name, &f, &err) != 0) {
        hg_log(HG_LOG_INFO, "lambda %s: queued event dropped: %s", it->name, err.message);
        async_item_free(it);
        return;
    }
    hg_buf log;
    hg_buf_init(&log, LOG_CAP);
    run_result rr;
    int failed;
    if (run_once(s, f, it->request_id, NULL, it->len ? it->payload : "{}", it->len ? it->len : 2, 0, false, NULL, &log,
                 &rr, &err) != 0) {
        failed = 1;
        hg_log(HG_LOG_INFO, "lambda %s: event attempt %d failed: %s", it->name, it->attempt + 1, err.message);
    } else {
        failed = rr.function_error;
        free(rr.payload);
    }
    hg_buf_release(&log);
    lambda_fn_free(f);
    it->attempt++;
    if (failed && it->attempt < ASYNC_ATTEMPTS) {
        double delay = hg_cfg.lambda_retry_s * (it->attempt == 1 ? 1 : 2);
        it->due = mono_now() + delay;
        hg_err perr = {0};
        if (async_push(it, &perr) != 0) {
            hg_log(HG_LOG_WARN, "lambda %s: retry of a queued event dropped: %s", it->name, perr.message);
            async_item_free(it);
        }
        return;
    }
    if (failed) hg_log(HG_LOG_INFO, "lambda %s: event dropped after %d attempts", it->name, it->attempt);
    async_item_free(it);
}

static void *async_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "hg-lambda-event");
    pthread_mutex_lock(&async_mutex);
    while (!async_stop) {
        /* the earliest due item; wait until it is due or a new one comes */
        async_item **best = NULL;
        for (async_item **pp = &async_head; *pp; pp = &(*pp)->next)
            if (!best || (*pp)->due < (*best)->due) best = pp;
        double now = mono_now();
        if (best && (*best)->due <= now) {
            async_item *it = *best;
            *best = it->next;
            async_count--;
            pthread_mutex_unlock(&async_mutex);
            async_run(it);
            pthread_mutex_lock(&async_mutex);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double wait = best ? (*best)->due - now : 3600;
        double wake = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + wait;
        ts.tv_sec = (time_t)wake;
        ts.tv_nsec = (long)((wake - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&async_cond, &async_mutex, &ts);
    }
    pthread_mutex_unlock(&async_mutex);
    return NULL;
}

int lambda_async_init(hg_err *err)
{
    (void)err;
    pthread_mutex_lock(&async_mutex);
    async_stop = 0;
    async_wanted = 1;
    pthread_mutex_unlock(&async_mutex);
    return 0;
}

/* Stop the workers (an attempt under way finishes first) and drop what is
 * still queued, saying so. */
void lambda_async_shutdown(void)
{
    pthread_mutex_lock(&async_mutex);
    async_stop = 1;
    async_wanted = 0;
    pthread_cond_broadcast(&async_cond);
    pthread_mutex_unlock(&async_mutex);
    for (int i = 0; i < async_nthreads; i++) pthread_join(async_threads[i], NULL);
    async_nthreads = 0;
    pthread_mutex_lock(&async_mutex);
    async_item *it = async_head;
    int n = async_count;
    async_head = NULL;
    async_count = 0;
    pthread_mutex_unlock(&async_mutex);
    if (n) hg_log(HG_LOG_WARN, "lambda: %d queued Event invocation(s) dropped at shutdown", n);
    while (it) {
        async_item *next = it->next;
        async_item_free(it);
        it = next;
    }
}

/* ---- lambda_invoke ------------------------------------------------------ */

/* payload is JSON text, or event (when not NULL) the event written straight
 * into the handler's Lua (RequestResponse only; payload is then ignored),
 * whose plain result goes to sink when one is given. */
static int invoke(const char *region, const char *function, const char *invocation_type,
                  const char *request_id, const hg_jw_source *event, const hg_plain_sink *sink,
                  const char *payload, size_t len, bool want_tail, double max_s, lambda_invoke_result *out,
                  hg_err *err)
{
    memset(out, 0, sizeof *out);
    inv_type type;
    if (parse_type(invocation_type, &type, err) != 0) return -1;
    size_t limit = type == INV_EVENT ? LAMBDA_MAX_ASYNC_PAYLOAD : LAMBDA_MAX_PAYLOAD;
    if (len > limit)
        return hg_err_set(err, 413, "RequestEntityTooLargeException",
                          "Request must be smaller than %zu bytes for the InvokeFunction operation", limit);
    hg_store *s = hg_store_get(err);
    if (!s) return -1;
    lambda_fn *f = NULL;
    if (lambda_fn_load(s, region, function, &f, err) != 0) return -1;   /* only $LATEST exists */
    int rc = -1;
    if (event) {                       /* a written event is JSON by construction */
        payload = "{}";
        len = 2;
    } else if (check_payload(payload, len, err) != 0) {
        goto done;
    }
    if (type == INV_DRYRUN) {
        out->status = 204;
        rc = 0;
        goto done;
    }
    if (type == INV_EVENT) {
        async_item *it = calloc(1, sizeof *it);
        if (!it || !(it->payload = malloc(len + 1))) {
            free(it);
            hg_err_internal(err, "out of memory");
            goto done;
        }
        memcpy(it->payload, payload, len);
        it->payload[len] = '\0';
        it->len = len;
        snprintf(it->region, sizeof it->region, "%s", f->region);
        snprintf(it->name, sizeof it->name, "%s", f->name);
        it->due = mono_now();
        snprintf(it->request_id, sizeof it->request_id, "%s", request_id);
        if (async_push(it, err) != 0) {
            async_item_free(it);
            goto done;
        }
        out->status = 202;
        rc = 0;
        goto done;
    }
    if (f->reserved_concurrency == 0) {
        hg_err_set(err, 429, "TooManyRequestsException", "Rate Exceeded.");
        goto done;
    }

    hg_buf log;
    hg_buf_init(&log, LOG_CAP);
    run_result rr;
    if (run_once(s, f, request_id, event, len ? payload : "{}", len ? len : 2, max_s, event != NULL,
                 event ? sink : NULL, &log, &rr, err) == 0) {
        out->status = 200;
        out->payload = rr.payload;
        out->tree = rr.tree;
        out->taken = rr.taken;
        out->payload_len = rr.payload_len;
        out->function_error = rr.function_error;
        if (want_tail) out->log_tail = log_tail_b64(&log);
        rc = 0;
    }
    hg_buf_release(&log);
done:
    lambda_fn_free(f);
    return rc;
}

int lambda_invoke_within(const char *region, const char *function, const char *invocation_type,
                         const char *payload, size_t len, bool log_tail, double max_seconds,
                         lambda_invoke_result *out, hg_err *err)
{
    char request_id[HG_UUID_LEN + 1];
    hg_uuid4(request_id);
    return invoke(region, function, invocation_type, request_id, NULL, NULL, payload ? payload : "",
                  payload ? len : 0, log_tail, max_seconds, out, err);
}

int lambda_invoke_event(const char *region, const char *function, const hg_jw_source *event, double max_seconds,
                        const hg_plain_sink *sink, lambda_invoke_result *out, hg_err *err)
{
    if (!event) return lambda_invoke_within(region, function, "RequestResponse", NULL, 0, false, max_seconds, out, err);
    char request_id[HG_UUID_LEN + 1];
    hg_uuid4(request_id);
    return invoke(region, function, "RequestResponse", request_id, event, sink, NULL, 0, false, max_seconds, out, err);
}

int lambda_invoke(const char *region, const char *function, const char *invocation_type,
                  const char *payload, size_t len, bool log_tail,
                  lambda_invoke_result *out, hg_err *err)
{
    return lambda_invoke_within(region, function, invocation_type, payload, len, log_tail, 0, out, err);
}

void lambda_invoke_result_release(lambda_invoke_result *r)
{
    if (!r) return;
    free(r->payload);
    free(r->log_tail);
    cJSON_Delete(r->tree);
    r->payload = r->log_tail = NULL;
    r->tree = NULL;
}

/* ---- the REST route: POST /2015-03-31/functions/{FunctionName}/invocations */

/* TooManyRequestsException carries a Reason AWS clients read. */
static void reply_throttled(hg_response *resp, const hg_err *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Type", "User");
    cJSON_AddStringToObject(o, "message", err->message);
    cJSON_AddStringToObject(o, "Reason", "ReservedFunctionConcurrentInvocationLimitExceeded");
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (s) hg_response_set(resp, 429, "application/json", s, strlen(s));
    free(s);
    hg_response_header(resp, "x-amzn-ErrorType", "TooManyRequestsException");
    hg_response_header(resp, "Retry-After", "1");
}

int lambda_op_invoke(lambda_req *r, hg_response *resp, hg_err *err)
{
    /* The qualifier may come in the name ("fn:$LATEST") or as ?Qualifier=. */
    char function[512];
    const char *q = r->qualifier;
    if (q && *q) {
        char name[65], inq[129];
        if (lambda_parse_name(r->function, name, inq, err) != 0) return -1;
        if (inq[0] && strcmp(inq, q) != 0)
            return hg_err_set(err, 400, "InvalidParameterValueException",
                              "The derived qualifier from the function name does not match the specified qualifier.");
        snprintf(function, sizeof function, "%s%s%s", r->function, inq[0] ? "" : ":", inq[0] ? "" : q);
    } else {
        snprintf(function, sizeof function, "%s", r->function);
    }
    const char *type = hg_req_header(r->http, "X-Amz-Invocation-Type");
    const char *log_type = hg_req_header(r->http, "X-Amz-Log-Type");
    bool tail = log_type && strcmp(log_type, "Tail") == 0;

    lambda_invoke_result res;
    if (invoke(r->region, function, type, r->http->request_id, NULL, NULL, r->http->body ? r->http->body : "",
               r->http->body ? r->http->body_len : 0, tail, 0, &res, err) != 0) {
        if (err->status == 429) {
            reply_throttled(resp, err);
            return 0;
        }
        return -1;
    }
    if (res.status == 200) {
        hg_response_set(resp, 200, "application/json", res.payload, res.payload_len);
        hg_response_header(resp, "X-Amz-Executed-Version", "$LATEST");
        if (res.function_error) hg_response_header(resp, "X-Amz-Function-Error", "Unhandled");
        if (res.log_tail) hg_response_header(resp, "X-Amz-Log-Result", res.log_tail);
    } else {
        hg_response_set(resp, res.status, "application/json", "", 0);
    }
    lambda_invoke_result_release(&res);
    return 0;
}
