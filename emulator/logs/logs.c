/*
 * logs.c — CloudWatch Logs: the operations (an op table, sorted by name) and
 * logs_put, Lambda's cheap way in.
 *
 * Invariants:
 *   1. logs_put only copies the events into one heap block and links it on
 *      the queue (under queue_mutex); it never touches storage, so an
 *      invocation's tail costs a malloc and a memcpy.
 *   2. The queue is written by whoever holds flush_mutex — the writer thread
 *      every FLUSH_INTERVAL_MS, or an API request before it runs — in one
 *      write transaction per window of GROUP_WINDOW blocks, so a Logs API
 *      request waits for one window, not for a whole 50 ms batch. Within a
 *      window, blocks of one stream are appended together (one stream
 *      lookup, one summary update and one batch row per stream, not per
 *      invocation), in the order they were put, so within a stream events
 *      of the same millisecond keep the order logs_put saw them.
 *   3. If the writer is not running (tests, shutdown) or the queue has grown
 *      past QUEUE_MAX_BYTES, logs_put writes inline instead: memory stays bounded.
 *      The writer starts with the first logs_put after logs_start, not at
 *      start-up (its thread cost every start 0.2 ms).
 *   4. Paging tokens name a position (ts, eid) in a stream or group, so they
 *      stay valid while events are appended and a repeated token means "no more".
 *
 * Filter patterns supported (FilterLogEvents): terms separated by spaces,
 * each plain (must appear), "quoted phrase" (must appear as written), ?term
 * (at least one ?term must appear) or -term (must not appear); matching is
 * case-sensitive, on substrings. JSON ({ $.x = ... }), space-delimited ([a, b])
 * and %regex% patterns are refused with InvalidParameterException.
 */
#include "logs.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "config.h"
#include "hg_json.h"
#include "hg_log.h"
#include "hg_parse.h"
#include "logs_store.h"

#define FLUSH_INTERVAL_MS   50
#define QUEUE_MAX_BYTES     (32u * 1024 * 1024)
#define MAX_NAME            512
#define MAX_PUT_BYTES       1048576     /* PutLogEvents: sum of (message + 26) */
#define EVENT_OVERHEAD      26
#define MAX_SPAN_MS         (24LL * 3600 * 1000)
#define TOO_OLD_MS          (14LL * 24 * 3600 * 1000)
#define TOO_NEW_MS          (2LL * 3600 * 1000)
#define FILTER_SCAN_MAX     200000      /* rows one FilterLogEvents call examines before paging */
#define MAX_PATTERN_TERMS   64

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ================================ the queue ================================================ */

/* One logs_put call: header, then n events, then the strings they point at. */
typedef struct put_block {
    struct put_block *next;
    const char *region, *group, *stream;
    int n;
    int written;                /* write_blocks: already appended with an earlier block of its stream */
    size_t bytes;
    logs_store_event ev[];
} put_block;

static pthread_mutex_t queue_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  queue_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t flush_mutex = PTHREAD_MUTEX_INITIALIZER;
static put_block *queue_head, **queue_tail = &queue_head;
static size_t queue_bytes;
static int writer_running, writer_stop, writer_wanted;
static pthread_t writer;

/* Take the whole queue (caller owns the list). */
static put_block *queue_take(void)
{
    pthread_mutex_lock(&queue_mutex);
    put_block *b = queue_head;
    queue_head = NULL;
    queue_tail = &queue_head;
    queue_bytes = 0;
    pthread_mutex_unlock(&queue_mutex);
    return b;
}

static void blocks_free(put_block *b)
{
    while (b) {
        put_block *next = b->next;
        free(b);
        b = next;
    }
}

/* Find or create group and stream (inside a write transaction). */
static int ensure_stream(hg_store *s, const char *region, const char *group, const char *stream,
                         int64_t now, int64_t *sid, hg_err *err)
{
    int64_t gid;
    int rc = logs_store_group_find(s, region, group, &gid, err);
    if (rc < 0) return -1;
    if (rc == 1 && logs_store_group_create(s, region, group, now, "{}", &gid, err) < 0) return -1;
    rc = logs_store_stream_find(s, gid, stream, sid, err);
    if (rc < 0) return -1;
    if (rc == 1 && logs_store_stream_create(s, gid, stream, now, sid, err) < 0) return -1;
    return 0;
}

/* Blocks written per transaction: bounds the scan for blocks of the same
 * stream (window x streams in it) and how long the store is held. A
 * stream's events of a window become one batch row (logs_store.h), so the
 * window's cost is mostly its commit: at 32 blocks the writer spent 4 us
 * of CPU per gateway request, at 256 1.5 us (13 us with a row per event). */
#define GROUP_WINDOW 256

static int same_stream(const put_block *a, const put_block *b)
{
    return strcmp(a->stream, b->stream) == 0 && strcmp(a->group, b->group) == 0 &&
           strcmp(a->region, b->region) == 0;
}

/* Write the blocks, one transaction per window of GROUP_WINDOW blocks; frees
 * them. Caller holds flush_mutex. Each block's stream is looked up once per
 * window, and the window's events of that stream go in one append, in put
 * order. A failure drops the blocks not yet committed. */
static int write_blocks(put_block *list, hg_err *err)
{
    if (!list) return 0;
    int rc = -1;
    logs_store_event *evs = NULL;
    size_t cap = 0;
    hg_store *s = hg_store_get_logs(err);
    if (!s) goto out;
    int64_t now = now_ms();
    for (put_block *window = list; window; ) {
        if (window != list) sched_yield();   /* let a waiting request take the store first */
        if (hg_store_begin_write(s, err) != 0) goto out;
        put_block *end = window;
        for (int i = 0; end && i < GROUP_WINDOW; i++) end = end->next;
        for (put_block *b = window; b != end; b = b->next) {
            if (b->written) continue;
            size_t n = 0;
            for (put_block *o = b; o != end; o = o->next)
                if (!o->written && (o == b || same_stream(o, b))) n += (size_t)o->n;
            if (n > cap) {
                logs_store_event *more = realloc(evs, n * sizeof *evs);
                if (!more) { hg_err_internal(err, "out of memory"); hg_store_rollback(s); goto out; }
                evs = more;
                cap = n;
            }
            n = 0;
            for (put_block *o = b; o != end; o = o->next) {
                if (o->written || (o != b && !same_stream(o, b))) continue;
                memcpy(evs + n, o->ev, (size_t)o->n * sizeof *evs);
                n += (size_t)o->n;
                o->written = 1;
            }
            int64_t sid;
            if (n > INT32_MAX ||
                ensure_stream(s, b->region, b->group, b->stream, now, &sid, err) != 0 ||
                logs_store_append(s, sid, evs, (int)n, now, err) != 0) {
                if (!hg_err_isset(err)) hg_err_internal(err, "too many log events in one batch");
                hg_store_rollback(s);
                goto out;
            }
        }
        if (hg_store_commit(s, err) != 0) goto out;
        window = end;
    }
    rc = 0;
out:
    free(evs);
    blocks_free(list);
    return rc;
}

int logs_flush(hg_err *err)
{
    pthread_mutex_lock(&flush_mutex);
    int rc = write_blocks(queue_take(), err);
    pthread_mutex_unlock(&flush_mutex);
    return rc;
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "hg-logs-writer");
    pthread_mutex_lock(&queue_mutex);
    while (!writer_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += FLUSH_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&queue_cond, &queue_mutex, &until);
        if (!queue_head) continue;
        pthread_mutex_unlock(&queue_mutex);
        hg_err err;
        hg_err_clear(&err);
        if (logs_flush(&err) != 0) hg_log(HG_LOG_WARN, "logs: dropped queued events: %s", err.message);
        pthread_mutex_lock(&queue_mutex);
    }
    pthread_mutex_unlock(&queue_mutex);
    return NULL;
}

int logs_start(hg_err *err)
{
    (void)err;
    pthread_mutex_lock(&queue_mutex);
    writer_stop = 0;
    writer_wanted = !writer_running;
    pthread_mutex_unlock(&queue_mutex);
    return 0;
}

/* Under queue_mutex: start the writer if logs_start asked for it and it is
 * not running, one try; without it logs_put writes inline (invariant 3). */
static void writer_start_locked(void)
{
    if (!writer_wanted) return;
    writer_wanted = 0;
    if (pthread_create(&writer, NULL, writer_main, NULL) == 0) writer_running = 1;
    else hg_log(HG_LOG_WARN, "logs: cannot start the writer thread; events are written as they come");
}

void logs_stop(void)
{
    pthread_mutex_lock(&queue_mutex);
    int was = writer_running;
    writer_running = writer_wanted = 0;
    writer_stop = 1;
    pthread_cond_signal(&queue_cond);
    pthread_mutex_unlock(&queue_mutex);
    if (was) pthread_join(writer, NULL);
    hg_err err;
    hg_err_clear(&err);
    if (logs_flush(&err) != 0) hg_log(HG_LOG_WARN, "logs: dropped queued events at shutdown: %s", err.message);
}

int logs_put(const char *region, const char *group, const char *stream,
             const logs_event *events, int n, hg_err *err)
{
    if (n <= 0) return 0;
    size_t lr = strlen(region) + 1, lg = strlen(group) + 1, ls = strlen(stream) + 1;
    size_t size = sizeof(put_block) + (size_t)n * sizeof(logs_store_event) + lr + lg + ls;
    for (int i = 0; i < n; i++) {
        if (events[i].len > QUEUE_MAX_BYTES) return hg_err_internal(err, "log line too long");
        size += events[i].len;
    }
    put_block *b = malloc(size);
    if (!b) return hg_err_internal(err, "out of memory");
    char *p = (char *)&b->ev[n];
    b->next = NULL;
    b->n = n;
    b->written = 0;
    b->bytes = size;
    memcpy(p, region, lr); b->region = p; p += lr;
    memcpy(p, group, lg);  b->group = p;  p += lg;
    memcpy(p, stream, ls); b->stream = p; p += ls;
    for (int i = 0; i < n; i++) {
        if (events[i].len) memcpy(p, events[i].message, events[i].len);
        b->ev[i].ts = events[i].timestamp_ms;
        b->ev[i].msg = p;
        b->ev[i].len = events[i].len;
        p += events[i].len;
    }
    pthread_mutex_lock(&queue_mutex);
    writer_start_locked();
    int inline_write = !writer_running || queue_bytes + size > QUEUE_MAX_BYTES;
    *queue_tail = b;
    queue_tail = &b->next;
    queue_bytes += size;
    pthread_mutex_unlock(&queue_mutex);
    return inline_write ? logs_flush(err) : 0;
}

/* ================================ operations =============================================== */

typedef struct logs_ctx {
    hg_store *store;
    const char *region;
} logs_ctx;

typedef int (*logs_op_fn)(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err);
typedef struct logs_op { const char *name; logs_op_fn fn; int writes; } logs_op;

#define invalid(err, ...) hg_err_set((err), 400, "InvalidParameterException", __VA_ARGS__)
#define not_found(err, ...) hg_err_set((err), 400, "ResourceNotFoundException", __VA_ARGS__)
#define NO_GROUP  "The specified log group does not exist."
#define NO_STREAM "The specified log stream does not exist."

/* A string member: required (missing -> error) or optional (*out NULL). */
static int get_str(const cJSON *in, const char *key, int required, const char **out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required) return invalid(err, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", key);
        return 0;
    }
    if (!cJSON_IsString(v)) return hg_err_set(err, 400, "SerializationException", "%s must be a string", key);
    *out = v->valuestring;
    return 0;
}

/* An integer member in [min, max]; def when absent. */
static int get_int(const cJSON *in, const char *key, int64_t min, int64_t max, int64_t def,
                   int64_t *out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    *out = def;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v)) return hg_err_set(err, 400, "SerializationException", "%s must be a number", key);
    double d = v->valuedouble;
    if (d != d || d < (double)min || d > (double)max)
        return invalid(err, "1 validation error detected: Value '%.0f' at '%s' failed to satisfy constraint: "
                            "Member must have value between %" PRId64 " and %" PRId64, d, key, min, max);
    *out = (int64_t)d;
    return 0;
}

static int get_bool(const cJSON *in, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, key));
}

static int check_group_name(const char *name, hg_err *err)
{
    size_t n = strlen(name);
    if (n < 1 || n > MAX_NAME)
        return invalid(err, "1 validation error detected: Value '%.100s' at 'logGroupName' failed to satisfy "
                            "constraint: Member must have length between 1 and 512", name);
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == '_' || ch == '/' || ch == '#'))
            return invalid(err, "1 validation error detected: Value '%.100s' at 'logGroupName' failed to satisfy "
                                "constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name);
    }
    return 0;
}

static int check_stream_name(const char *name, hg_err *err)
{
    size_t n = strlen(name);
    if (n < 1 || n > MAX_NAME)
        return invalid(err, "1 validation error detected: Value '%.100s' at 'logStreamName' failed to satisfy "
                            "constraint: Member must have length between 1 and 512", name);
    if (strpbrk(name, ":*"))
        return invalid(err, "1 validation error detected: Value '%.100s' at 'logStreamName' failed to satisfy "
                            "constraint: Member must satisfy regular expression pattern: [^:*]*", name);
    return 0;
}

/* The group an op names: logGroupName, or logGroupIdentifier (a name or an
 * ARN) where the API allows it. 0 found, -1 with err (missing -> not found). */
static int resolve_group(logs_ctx *c, const cJSON *in, int allow_identifier, int64_t *gid, const char **name,
                         hg_err *err)
{
    const char *n, *id = NULL;
    if (get_str(in, "logGroupName", 0, &n, err) != 0) return -1;
    if (allow_identifier && get_str(in, "logGroupIdentifier", 0, &id, err) != 0) return -1;
    if (n && id) return invalid(err, "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
    char buf[MAX_NAME + 1];
    if (id) {
        const char *p = strstr(id, ":log-group:");
        if (strncmp(id, "arn:", 4) == 0 && p) {
            p += strlen(":log-group:");
            size_t len = strcspn(p, ":");
            if (len > MAX_NAME) return invalid(err, "Invalid logGroupIdentifier: name too long");
            memcpy(buf, p, len);
            buf[len] = '\0';
            n = buf;
        } else {
            n = id;
        }
    }
    if (!n) return invalid(err, "Either logGroupName or logGroupIdentifier must be specified.");
    int rc = logs_store_group_find(c->store, c->region, n, gid, err);
    if (rc < 0) return -1;
    if (rc == 1) return not_found(err, NO_GROUP);
    if (name) *name = n == buf ? NULL : n;
    return 0;
}

static int resolve_stream(logs_ctx *c, int64_t gid, const cJSON *in, int64_t *sid, hg_err *err)
{
    const char *n;
    if (get_str(in, "logStreamName", 1, &n, err) != 0) return -1;
    int rc = logs_store_stream_find(c->store, gid, n, sid, err);
    if (rc < 0) return -1;
    if (rc == 1) return not_found(err, NO_STREAM);
    return 0;
}

static void add_int(cJSON *o, const char *key, int64_t v) { cJSON_AddNumberToObject(o, key, (double)v); }

static void group_arn(char *buf, size_t n, const char *region, const char *name, int star)
{
    snprintf(buf, n, "arn:aws:logs:%s:%s:log-group:%s%s", region, hg_cfg.account_id, name, star ? ":*" : "");
}

/* ---- groups ------------------------------------------------------------------------------ */

/* tags: {"k":"v"} with string values; NULL -> "{}". Returns malloc'd text. */
static char *tags_text(const cJSON *tags, hg_err *err)
{
    if (tags && !cJSON_IsObject(tags)) { hg_err_set(err, 400, "SerializationException", "tags must be a map"); return NULL; }
    int count = 0;
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next, count++) {
        if (!cJSON_IsString(t)) { hg_err_set(err, 400, "SerializationException", "tag values must be strings"); return NULL; }
        if (strlen(t->string) < 1 || strlen(t->string) > 128 || strlen(t->valuestring) > 256) {
            invalid(err, "Tag keys must be 1 to 128 characters and values at most 256");
            return NULL;
        }
    }
    if (count > 50) { invalid(err, "A log group can have at most 50 tags"); return NULL; }
    char *s = tags ? cJSON_PrintUnformatted(tags) : strdup("{}");
    if (!s) hg_err_internal(err, "out of memory");
    return s;
}

static int op_create_log_group(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    const char *name;
    if (get_str(in, "logGroupName", 1, &name, err) != 0 || check_group_name(name, err) != 0) return -1;
    char *tags = tags_text(cJSON_GetObjectItemCaseSensitive(in, "tags"), err);
    if (!tags) return -1;
    int64_t gid;
    int rc = logs_store_group_create(c->store, c->region, name, now_ms(), tags, &gid, err);
    free(tags);
    if (rc < 0) return -1;
    if (rc == 1) return hg_err_set(err, 400, "ResourceAlreadyExistsException", "The specified log group already exists");
    return 0;
}

static int op_delete_log_group(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0) return -1;
    return logs_store_group_delete(c->store, gid, err);
}

typedef struct group_list {
    cJSON *arr;
    const char *region, *pattern;
    int limit, count;
    char *last;           /* name of the last group shown (malloc'd) */
    int more;
} group_list;

static int group_json(cJSON *o, const char *region, const logs_group_row *g)
{
    char arn[MAX_NAME + 128];
    cJSON_AddStringToObject(o, "logGroupName", g->name);
    add_int(o, "creationTime", g->created_ms);
    if (g->retention_days) add_int(o, "retentionInDays", g->retention_days);
    add_int(o, "metricFilterCount", 0);
    group_arn(arn, sizeof arn, region, g->name, 1);
    cJSON_AddStringToObject(o, "arn", arn);
    add_int(o, "storedBytes", g->stored_bytes);
    cJSON_AddStringToObject(o, "logGroupClass", "STANDARD");
    group_arn(arn, sizeof arn, region, g->name, 0);
    cJSON_AddStringToObject(o, "logGroupArn", arn);
    return 0;
}

static int contains_nocase(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

static int visit_group_list(void *ctx, const logs_group_row *g, hg_err *err)
{
    group_list *l = ctx;
    if (l->pattern && !contains_nocase(g->name, l->pattern)) return 0;
    if (l->count == l->limit) { l->more = 1; return 1; }
    cJSON *o = cJSON_CreateObject();
    if (!o) return hg_err_internal(err, "out of memory");
    cJSON_AddItemToArray(l->arr, o);
    group_json(o, l->region, g);
    free(l->last);
    l->last = strdup(g->name);
    if (!l->last) return hg_err_internal(err, "out of memory");
    l->count++;
    return 0;
}

static int op_describe_log_groups(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    const char *prefix, *pattern, *token;
    int64_t limit;
    if (get_str(in, "logGroupNamePrefix", 0, &prefix, err) != 0 ||
        get_str(in, "logGroupNamePattern", 0, &pattern, err) != 0 ||
        get_str(in, "nextToken", 0, &token, err) != 0 ||
        get_int(in, "limit", 1, 50, 50, &limit, err) != 0) return -1;
    if (prefix && pattern)
        return invalid(err, "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
    group_list l = { .arr = cJSON_AddArrayToObject(out, "logGroups"), .region = c->region,
                     .pattern = pattern, .limit = (int)limit };
    int rc = logs_store_group_list(c->store, c->region, prefix, token, visit_group_list, &l, err);
    if (rc == 0 && l.more) cJSON_AddStringToObject(out, "nextToken", l.last);
    free(l.last);
    return rc;
}

static const int retention_days[] = { 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
                                      1096, 1827, 2192, 2557, 2922, 3288, 3653 };

static int op_put_retention_policy(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid, days;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0) return -1;
    if (!cJSON_GetObjectItemCaseSensitive(in, "retentionInDays"))
        return invalid(err, "1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null");
    if (get_int(in, "retentionInDays", INT32_MIN, INT32_MAX, 0, &days, err) != 0) return -1;
    for (size_t i = 0; i < sizeof retention_days / sizeof retention_days[0]; i++)
        if (retention_days[i] == days) return logs_store_group_set_retention(c->store, gid, (int)days, err);
    return invalid(err, "1 validation error detected: Value '%" PRId64 "' at 'retentionInDays' failed to satisfy "
                        "constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, "
                        "365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", days);
}

static int op_delete_retention_policy(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0) return -1;
    return logs_store_group_set_retention(c->store, gid, 0, err);
}

/* ---- tags -------------------------------------------------------------------------------- */

static int visit_copy_tags(void *ctx, const logs_group_row *g, hg_err *err)
{
    cJSON **tags = ctx;
    *tags = cJSON_Parse(g->tags);
    if (!*tags) return hg_err_internal(err, "stored tags unreadable");
    return 0;
}

/* The group of a TagResource-style ARN, in the ARN's region. */
static int resolve_arn(logs_ctx *c, const cJSON *in, int64_t *gid, hg_err *err)
{
    const char *arn;
    if (get_str(in, "resourceArn", 1, &arn, err) != 0) return -1;
    char region[64], name[MAX_NAME + 1];
    const char *p = strncmp(arn, "arn:aws:logs:", 13) == 0 ? arn + 13 : NULL;
    const char *colon = p ? strchr(p, ':') : NULL;
    const char *lg = p ? strstr(p, ":log-group:") : NULL;
    if (!colon || !lg || (size_t)(colon - p) >= sizeof region)
        return invalid(err, "Invalid resourceArn: %.200s", arn);
    memcpy(region, p, (size_t)(colon - p));
    region[colon - p] = '\0';
    lg += strlen(":log-group:");
    size_t len = strcspn(lg, ":");
    if (len == 0 || len > MAX_NAME) return invalid(err, "Invalid resourceArn: %.200s", arn);
    memcpy(name, lg, len);
    name[len] = '\0';
    int rc = logs_store_group_find(c->store, region, name, gid, err);
    if (rc < 0) return -1;
    if (rc == 1) return not_found(err, NO_GROUP);
    return 0;
}

static int load_tags(logs_ctx *c, int64_t gid, cJSON **tags, hg_err *err)
{
    *tags = NULL;
    int rc = logs_store_group_get(c->store, gid, visit_copy_tags, tags, err);
    if (rc == 1) return not_found(err, NO_GROUP);
    return rc;
}

/* Merge add (a map) into the group's tags, and/or remove the keys in del. */
static int change_tags(logs_ctx *c, int64_t gid, const cJSON *add, const cJSON *del, hg_err *err)
{
    cJSON *tags;
    if (load_tags(c, gid, &tags, err) != 0) return -1;
    int rc = -1;
    char *text = NULL;
    if (add) {
        char *check = tags_text(add, err);   /* validates shape and sizes */
        if (!check) goto out;
        free(check);
        for (const cJSON *t = add->child; t; t = t->next)
            hg_json_set(tags, t->string, cJSON_CreateString(t->valuestring));
    }
    if (del) {
        if (!cJSON_IsArray(del)) { hg_err_set(err, 400, "SerializationException", "tag keys must be a list"); goto out; }
        for (const cJSON *k = del->child; k; k = k->next)
            if (cJSON_IsString(k)) cJSON_DeleteItemFromObjectCaseSensitive(tags, k->valuestring);
    }
    if (cJSON_GetArraySize(tags) > 50) { invalid(err, "A log group can have at most 50 tags"); goto out; }
    text = cJSON_PrintUnformatted(tags);
    if (!text) { hg_err_internal(err, "out of memory"); goto out; }
    rc = logs_store_group_set_tags(c->store, gid, text, err);
out:
    free(text);
    cJSON_Delete(tags);
    return rc;
}

static int op_tag_log_group(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(in, "tags");
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0) return -1;
    if (!tags) return invalid(err, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
    return change_tags(c, gid, tags, NULL, err);
}

static int op_untag_log_group(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0) return -1;
    return change_tags(c, gid, NULL, cJSON_GetObjectItemCaseSensitive(in, "tags"), err);
}

static int op_list_tags_log_group(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    int64_t gid;
    cJSON *tags;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0 || load_tags(c, gid, &tags, err) != 0) return -1;
    cJSON_AddItemToObject(out, "tags", tags);
    return 0;
}

static int op_tag_resource(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid;
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(in, "tags");
    if (resolve_arn(c, in, &gid, err) != 0) return -1;
    if (!tags) return invalid(err, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
    return change_tags(c, gid, tags, NULL, err);
}

static int op_untag_resource(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid;
    if (resolve_arn(c, in, &gid, err) != 0) return -1;
    return change_tags(c, gid, NULL, cJSON_GetObjectItemCaseSensitive(in, "tagKeys"), err);
}

static int op_list_tags_for_resource(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    int64_t gid;
    cJSON *tags;
    if (resolve_arn(c, in, &gid, err) != 0 || load_tags(c, gid, &tags, err) != 0) return -1;
    cJSON_AddItemToObject(out, "tags", tags);
    return 0;
}

/* ---- streams ----------------------------------------------------------------------------- */

static int op_create_log_stream(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid, sid;
    const char *name;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0) return -1;
    if (get_str(in, "logStreamName", 1, &name, err) != 0 || check_stream_name(name, err) != 0) return -1;
    int rc = logs_store_stream_create(c->store, gid, name, now_ms(), &sid, err);
    if (rc < 0) return -1;
    if (rc == 1) return hg_err_set(err, 400, "ResourceAlreadyExistsException", "The specified log stream already exists");
    return 0;
}

static int op_delete_log_stream(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    int64_t gid, sid;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0 || resolve_stream(c, gid, in, &sid, err) != 0) return -1;
    return logs_store_stream_delete(c->store, sid, err);
}

typedef struct stream_list {
    cJSON *arr;
    const char *region, *group;
    int limit, count, more;
    char *last;
} stream_list;

static int visit_stream_list(void *ctx, const logs_stream_row *r, hg_err *err)
{
    stream_list *l = ctx;
    if (l->count == l->limit) { l->more = 1; return 1; }
    cJSON *o = cJSON_CreateObject();
    if (!o) return hg_err_internal(err, "out of memory");
    cJSON_AddItemToArray(l->arr, o);
    cJSON_AddStringToObject(o, "logStreamName", r->name);
    add_int(o, "creationTime", r->created_ms);
    if (r->has_events) {
        add_int(o, "firstEventTimestamp", r->first_ts);
        add_int(o, "lastEventTimestamp", r->last_ts);
        add_int(o, "lastIngestionTime", r->last_ingest_ms);
    }
    char tok[32], arn[2 * MAX_NAME + 160];
    snprintf(tok, sizeof tok, "%" PRId64, r->seq + 1);
    cJSON_AddStringToObject(o, "uploadSequenceToken", tok);
    snprintf(arn, sizeof arn, "arn:aws:logs:%s:%s:log-group:%s:log-stream:%s", l->region, hg_cfg.account_id,
             l->group, r->name);
    cJSON_AddStringToObject(o, "arn", arn);
    add_int(o, "storedBytes", r->stored_bytes);
    free(l->last);
    l->last = strdup(r->name);
    if (!l->last) return hg_err_internal(err, "out of memory");
    l->count++;
    return 0;
}

static int visit_group_name(void *ctx, const logs_group_row *g, hg_err *err)
{
    char **name = ctx;
    *name = strdup(g->name);
    return *name ? 0 : hg_err_internal(err, "out of memory");
}

static int op_describe_log_streams(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    int64_t gid, limit, offset = 0;
    const char *order, *prefix, *token, *after = NULL;
    if (resolve_group(c, in, 1, &gid, NULL, err) != 0 ||
        get_str(in, "orderBy", 0, &order, err) != 0 ||
        get_str(in, "logStreamNamePrefix", 0, &prefix, err) != 0 ||
        get_str(in, "nextToken", 0, &token, err) != 0 ||
        get_int(in, "limit", 1, 50, 50, &limit, err) != 0) return -1;
    int by_last = 0;
    if (order && strcmp(order, "LastEventTime") == 0) by_last = 1;
    else if (order && strcmp(order, "LogStreamName") != 0)
        return invalid(err, "1 validation error detected: Value '%.50s' at 'orderBy' failed to satisfy constraint: "
                            "Member must satisfy enum value set: [LogStreamName, LastEventTime]", order);
    if (by_last && prefix) return invalid(err, "Cannot order by LastEventTime with a logStreamNamePrefix.");
    if (token) {
        uint64_t off;
        if (by_last && strncmp(token, "o/", 2) == 0 && hg_parse_u64z(token + 2, INT64_MAX, &off) == 0) offset = (int64_t)off;
        else if (!by_last && strncmp(token, "n/", 2) == 0) after = token + 2;
        else return invalid(err, "The specified nextToken is invalid.");
    }
    char *gname = NULL;
    if (logs_store_group_get(c->store, gid, visit_group_name, &gname, err) != 0) return -1;
    stream_list l = { .arr = cJSON_AddArrayToObject(out, "logStreams"), .region = c->region, .group = gname,
                      .limit = (int)limit };
    int rc = logs_store_stream_list(c->store, gid, by_last, get_bool(in, "descending"), prefix, after, offset,
                                    visit_stream_list, &l, err);
    if (rc == 0 && l.more) {
        if (by_last) {
            char t[40];
            snprintf(t, sizeof t, "o/%" PRId64, offset + l.count);
            cJSON_AddStringToObject(out, "nextToken", t);
        } else {
            size_t n = strlen(l.last) + 3;
            char *t = malloc(n);
            if (!t) rc = hg_err_internal(err, "out of memory");
            else {
                snprintf(t, n, "n/%s", l.last);
                cJSON_AddStringToObject(out, "nextToken", t);
                free(t);
            }
        }
    }
    free(l.last);
    free(gname);
    return rc;
}

/* ---- PutLogEvents ------------------------------------------------------------------------ */

static int visit_stream_seq(void *ctx, const logs_stream_row *r, hg_err *err)
{
    (void)err;
    *(int64_t *)ctx = r->seq;
    return 0;
}

static int op_put_log_events(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    int64_t gid, sid, retention = 0;
    if (resolve_group(c, in, 0, &gid, NULL, err) != 0 || resolve_stream(c, gid, in, &sid, err) != 0) return -1;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(in, "logEvents");
    if (!cJSON_IsArray(list))
        return invalid(err, "1 validation error detected: Value null at 'logEvents' failed to satisfy constraint: Member must not be null");
    int n = cJSON_GetArraySize(list);
    if (n < 1 || n > 10000)
        return invalid(err, "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: "
                            "Member must have length between 1 and 10000");
    logs_store_event *ev = calloc((size_t)n, sizeof *ev);
    if (!ev) return hg_err_internal(err, "out of memory");
    int rc = -1, i = 0, too_old_end = -1, too_new_start = -1, expired_end = -1;
    int64_t now = now_ms(), total = 0, prev = INT64_MIN, first = 0;
    (void)retention;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        const char *msg;
        int64_t ts;
        if (!cJSON_IsObject(e)) { hg_err_set(err, 400, "SerializationException", "logEvents must hold objects"); goto out; }
        if (get_str(e, "message", 1, &msg, err) != 0 || get_int(e, "timestamp", 0, INT64_MAX / 2, -1, &ts, err) != 0) goto out;
        if (ts < 0) { invalid(err, "1 validation error detected: Value null at 'logEvents.%d.member.timestamp' failed to satisfy constraint: Member must not be null", i + 1); goto out; }
        if (ts < prev) { invalid(err, "Log events in a single PutLogEvents request must be in chronological order."); goto out; }
        if (i == 0) first = ts;
        if (ts - first > MAX_SPAN_MS) { invalid(err, "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."); goto out; }
        prev = ts;
        ev[i].ts = ts;
        ev[i].msg = msg;
        ev[i].len = strlen(msg);
        total += (int64_t)ev[i].len + EVENT_OVERHEAD;
        if (ts < now - TOO_OLD_MS) too_old_end = i + 1;
        else if (ts > now + TOO_NEW_MS && too_new_start < 0) too_new_start = i;
    }
    if (total > MAX_PUT_BYTES) { invalid(err, "Upload too large: %" PRId64 " bytes exceeds limit of %d", total, MAX_PUT_BYTES); goto out; }
    /* AWS keeps the accepted middle and reports the rejected ends. */
    int lo = too_old_end > 0 ? too_old_end : 0, hi = too_new_start >= 0 ? too_new_start : n;
    (void)expired_end;
    if (hi > lo && logs_store_append(c->store, sid, ev + lo, hi - lo, now, err) != 0) goto out;
    int64_t seq = 0;
    if (logs_store_stream_get(c->store, sid, visit_stream_seq, &seq, err) < 0) goto out;
    char tok[32];
    snprintf(tok, sizeof tok, "%" PRId64, seq + 1);
    cJSON_AddStringToObject(out, "nextSequenceToken", tok);
    if (too_old_end > 0 || too_new_start >= 0) {
        cJSON *r = cJSON_AddObjectToObject(out, "rejectedLogEventsInfo");
        if (too_new_start >= 0) add_int(r, "tooNewLogEventStartIndex", too_new_start);
        if (too_old_end > 0) add_int(r, "tooOldLogEventEndIndex", too_old_end);
    }
    rc = 0;
out:
    free(ev);
    return rc;
}

/* ---- GetLogEvents ------------------------------------------------------------------------ */

/* Tokens: "f/" or "b/" then 19-digit ts and 19-digit eid (a position). */
static void make_pos_token(char *buf, size_t n, char dir, int64_t ts, int64_t eid)
{
    if (ts < 0) ts = 0;
    if (eid < 0) eid = 0;
    snprintf(buf, n, "%c/%019" PRId64 "%019" PRId64, dir, ts, eid);
}

static int parse_pos_token(const char *t, char *dir, int64_t *ts, int64_t *eid)
{
    uint64_t a, b;
    if (strlen(t) != 40 || t[1] != '/' || (t[0] != 'f' && t[0] != 'b' && t[0] != 'n')) return -1;
    if (hg_parse_u64(t + 2, 19, INT64_MAX, &a) != 0 || hg_parse_u64(t + 21, 19, INT64_MAX, &b) != 0) return -1;
    *dir = t[0];
    *ts = (int64_t)a;
    *eid = (int64_t)b;
    return 0;
}

typedef struct event_page {
    cJSON *arr;
    int limit, count;
    int64_t first_ts, first_eid, last_ts, last_eid;
} event_page;

static int visit_event_page(void *ctx, const logs_event_row *e, hg_err *err)
{
    event_page *p = ctx;
    cJSON *o = cJSON_CreateObject();
    if (!o) return hg_err_internal(err, "out of memory");
    cJSON_AddItemToArray(p->arr, o);
    add_int(o, "timestamp", e->ts);
    cJSON_AddStringToObject(o, "message", e->message);
    add_int(o, "ingestionTime", e->ingest_ms);
    if (p->count == 0) { p->first_ts = e->ts; p->first_eid = e->eid; }
    p->last_ts = e->ts;
    p->last_eid = e->eid;
    return ++p->count == p->limit ? 1 : 0;
}

static void reverse_array(cJSON *arr)
{
    cJSON *prev = NULL, *cur = arr->child;
    while (cur) {
        cJSON *next = cur->next;
        cur->next = prev;
        cur->prev = next;
        prev = cur;
        cur = next;
    }
    /* cJSON: child->prev points at the last element; last->next is NULL. */
    arr->child = prev;
    if (prev) {
        cJSON *last = prev;
        while (last->next) last = last->next;
        prev->prev = last;
    }
}

static int op_get_log_events(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    int64_t gid, sid, start, end, limit;
    const char *token;
    if (resolve_group(c, in, 1, &gid, NULL, err) != 0 || resolve_stream(c, gid, in, &sid, err) != 0 ||
        get_int(in, "startTime", 0, INT64_MAX / 2, -1, &start, err) != 0 ||
        get_int(in, "endTime", 0, INT64_MAX / 2, -1, &end, err) != 0 ||
        get_int(in, "limit", 1, 10000, 10000, &limit, err) != 0 ||
        get_str(in, "nextToken", 0, &token, err) != 0) return -1;
    logs_event_range r = { .gid = gid, .sid = sid, .lo_ts = INT64_MIN, .lo_eid = 0,
                           .hi_ts = INT64_MAX, .hi_eid = INT64_MAX };
    if (start >= 0) r.lo_ts = start;                      /* (start, 0): every event at start is after it */
    if (end >= 0) { r.hi_ts = end; r.hi_eid = 0; }        /* endTime is exclusive */
    char dir = 0;
    if (token) {
        int64_t ts, eid;
        if (parse_pos_token(token, &dir, &ts, &eid) != 0 || dir == 'n')
            return invalid(err, "The specified nextToken is invalid.");
        if (dir == 'f' && (ts > r.lo_ts || (ts == r.lo_ts && eid > r.lo_eid))) { r.lo_ts = ts; r.lo_eid = eid; }
        if (dir == 'b' && (ts < r.hi_ts || (ts == r.hi_ts && eid < r.hi_eid))) { r.hi_ts = ts; r.hi_eid = eid; }
    }
    r.descending = dir == 'b' || (!dir && !get_bool(in, "startFromHead"));
    event_page p = { .arr = cJSON_AddArrayToObject(out, "events"), .limit = (int)limit };
    if (logs_store_events(c->store, &r, visit_event_page, &p, err) != 0) return -1;
    if (r.descending) {
        reverse_array(p.arr);
        int64_t t = p.first_ts, e = p.first_eid;
        p.first_ts = p.last_ts; p.first_eid = p.last_eid;
        p.last_ts = t; p.last_eid = e;
    }
    char fwd[48], back[48];
    if (p.count) {
        make_pos_token(fwd, sizeof fwd, 'f', p.last_ts, p.last_eid);
        make_pos_token(back, sizeof back, 'b', p.first_ts, p.first_eid);
    } else {
        /* Nothing here: hand back the token given, so paging stops. */
        if (dir == 'f') snprintf(fwd, sizeof fwd, "%s", token);
        else make_pos_token(fwd, sizeof fwd, 'f', r.lo_ts, r.lo_eid);
        if (dir == 'b') snprintf(back, sizeof back, "%s", token);
        else make_pos_token(back, sizeof back, 'b', r.hi_ts, r.hi_eid);
    }
    cJSON_AddStringToObject(out, "nextForwardToken", fwd);
    cJSON_AddStringToObject(out, "nextBackwardToken", back);
    return 0;
}

/* ---- FilterLogEvents --------------------------------------------------------------------- */

typedef struct pattern_term { char kind; char *text; } pattern_term;   /* kind: '+', '?', '-' */
typedef struct pattern { pattern_term t[MAX_PATTERN_TERMS]; int n, nany; } pattern;

static void pattern_free(pattern *p)
{
    for (int i = 0; i < p->n; i++) free(p->t[i].text);
    p->n = 0;
}

static int pattern_parse(const char *s, pattern *p, hg_err *err)
{
    memset(p, 0, sizeof *p);
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '{' || *s == '[' || *s == '%')
        return invalid(err, "Invalid filter pattern: JSON, space-delimited and regular-expression patterns "
                            "are not supported by this emulator (use terms, \"phrases\", ?any and -exclude)");
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        char kind = '+';
        if (*s == '?' || *s == '-') kind = *s++;
        const char *b = s, *e;
        if (*s == '"') {
            b = ++s;
            while (*s && *s != '"') s++;
            if (!*s) { pattern_free(p); return invalid(err, "Invalid filter pattern: unterminated quoted phrase"); }
            e = s++;
        } else {
            while (*s && *s != ' ' && *s != '\t') s++;
            e = s;
        }
        if (e == b) continue;
        if (p->n == MAX_PATTERN_TERMS) { pattern_free(p); return invalid(err, "Invalid filter pattern: too many terms"); }
        p->t[p->n].kind = kind;
        p->t[p->n].text = strndup(b, (size_t)(e - b));
        if (!p->t[p->n].text) { pattern_free(p); return hg_err_internal(err, "out of memory"); }
        if (kind == '?') p->nany++;
        p->n++;
    }
    return 0;
}

static int pattern_match(const pattern *p, const char *msg)
{
    int any = 0;
    for (int i = 0; i < p->n; i++) {
        int has = strstr(msg, p->t[i].text) != NULL;
        if (p->t[i].kind == '+' && !has) return 0;
        if (p->t[i].kind == '-' && has) return 0;
        if (p->t[i].kind == '?' && has) any = 1;
    }
    return p->nany == 0 || any;
}

typedef struct filter_run {
    cJSON *arr;
    const pattern *pat;
    const int64_t *sids; int nsids;     /* NULL: every stream */
    int limit, count, more, scanned;
    int64_t last_ts, last_eid;          /* position reached */
} filter_run;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int visit_filter(void *ctx, const logs_event_row *e, hg_err *err)
{
    filter_run *f = ctx;
    if (f->scanned >= FILTER_SCAN_MAX) { f->more = 1; return 1; }   /* page here; resume at last_* */
    if (f->sids && !bsearch(&e->sid, f->sids, (size_t)f->nsids, sizeof *f->sids, cmp_i64)) goto skip;
    if (!pattern_match(f->pat, e->message)) goto skip;
    if (f->count == f->limit) { f->more = 1; return 1; }
    cJSON *o = cJSON_CreateObject();
    if (!o) return hg_err_internal(err, "out of memory");
    cJSON_AddItemToArray(f->arr, o);
    cJSON_AddStringToObject(o, "logStreamName", e->stream);
    add_int(o, "timestamp", e->ts);
    cJSON_AddStringToObject(o, "message", e->message);
    add_int(o, "ingestionTime", e->ingest_ms);
    char id[48];
    snprintf(id, sizeof id, "%019" PRId64 "%019" PRId64, e->ts, e->eid);
    cJSON_AddStringToObject(o, "eventId", id);
    f->count++;
skip:
    f->scanned++;
    f->last_ts = e->ts;
    f->last_eid = e->eid;
    return 0;
}

typedef struct stream_set {
    int64_t *sids; int n, cap;
    cJSON *searched;
} stream_set;

static int stream_set_add(stream_set *ss, int64_t sid, const char *name, hg_err *err)
{
    if (ss->n == ss->cap) {
        int cap = ss->cap ? ss->cap * 2 : 16;
        int64_t *p = realloc(ss->sids, (size_t)cap * sizeof *p);
        if (!p) return hg_err_internal(err, "out of memory");
        ss->sids = p;
        ss->cap = cap;
    }
    ss->sids[ss->n++] = sid;
    cJSON *o = cJSON_CreateObject();
    if (!o) return hg_err_internal(err, "out of memory");
    cJSON_AddItemToArray(ss->searched, o);
    cJSON_AddStringToObject(o, "logStreamName", name);
    cJSON_AddBoolToObject(o, "searchedCompletely", 1);
    return 0;
}

static int visit_stream_set(void *ctx, const logs_stream_row *r, hg_err *err)
{
    return stream_set_add(ctx, r->sid, r->name, err);
}

static int op_filter_log_events(logs_ctx *c, const cJSON *in, cJSON *out, hg_err *err)
{
    int64_t gid, start, end, limit;
    const char *prefix, *token, *fp;
    if (resolve_group(c, in, 1, &gid, NULL, err) != 0 ||
        get_int(in, "startTime", 0, INT64_MAX / 2, -1, &start, err) != 0 ||
        get_int(in, "endTime", 0, INT64_MAX / 2, -1, &end, err) != 0 ||
        get_int(in, "limit", 1, 10000, 10000, &limit, err) != 0 ||
        get_str(in, "logStreamNamePrefix", 0, &prefix, err) != 0 ||
        get_str(in, "filterPattern", 0, &fp, err) != 0 ||
        get_str(in, "nextToken", 0, &token, err) != 0) return -1;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(in, "logStreamNames");
    if (names && !cJSON_IsArray(names)) return hg_err_set(err, 400, "SerializationException", "logStreamNames must be a list");
    if (names && prefix)
        return invalid(err, "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
    if (start >= 0 && end >= 0 && end < start)
        return invalid(err, "endTime (%" PRId64 ") must not be before startTime (%" PRId64 ")", end, start);
    logs_event_range r = { .gid = gid, .lo_ts = INT64_MIN, .lo_eid = 0, .hi_ts = INT64_MAX, .hi_eid = INT64_MAX };
    if (start >= 0) r.lo_ts = start;
    if (end >= 0) r.hi_ts = end;                          /* endTime is inclusive here */
    if (token) {
        char dir;
        int64_t ts, eid;
        if (parse_pos_token(token, &dir, &ts, &eid) != 0 || dir != 'n')
            return invalid(err, "The specified nextToken is invalid.");
        if (ts > r.lo_ts || (ts == r.lo_ts && eid > r.lo_eid)) { r.lo_ts = ts; r.lo_eid = eid; }
    }
    pattern pat;
    if (pattern_parse(fp ? fp : "", &pat, err) != 0) return -1;
    stream_set ss = { .searched = cJSON_CreateArray() };
    int rc = -1;
    if (!ss.searched) { hg_err_internal(err, "out of memory"); goto out; }
    if (names) {
        for (const cJSON *n = names->child; n; n = n->next) {
            int64_t sid;
            if (!cJSON_IsString(n)) { hg_err_set(err, 400, "SerializationException", "logStreamNames must hold strings"); goto out; }
            int f = logs_store_stream_find(c->store, gid, n->valuestring, &sid, err);
            if (f < 0 || (f == 0 && stream_set_add(&ss, sid, n->valuestring, err) != 0)) goto out;
        }
    } else if (logs_store_stream_list(c->store, gid, 0, 0, prefix, NULL, 0, visit_stream_set, &ss, err) != 0) {
        goto out;
    }
    qsort(ss.sids, (size_t)ss.n, sizeof *ss.sids, cmp_i64);
    filter_run f = { .arr = cJSON_AddArrayToObject(out, "events"), .pat = &pat, .limit = (int)limit };
    if (names || prefix) {
        f.sids = ss.sids;
        f.nsids = ss.n;
        if (ss.n == 1) r.sid = ss.sids[0];      /* one stream: its own index */
    }
    if ((names || prefix) && ss.n == 0) {
        /* nothing to search */
    } else if (logs_store_events(c->store, &r, visit_filter, &f, err) != 0) {
        goto out;
    }
    cJSON_AddItemToObject(out, "searchedLogStreams", ss.searched);
    ss.searched = NULL;
    if (f.more) {
        char t[48];
        make_pos_token(t, sizeof t, 'n', f.last_ts, f.last_eid);
        cJSON_AddStringToObject(out, "nextToken", t);
    }
    rc = 0;
out:
    cJSON_Delete(ss.searched);
    free(ss.sids);
    pattern_free(&pat);
    return rc;
}

/* ---- the op table ------------------------------------------------------------------------ */

static const logs_op logs_ops[] = {
    { "CreateLogGroup", op_create_log_group, 1 },
    { "CreateLogStream", op_create_log_stream, 1 },
    { "DeleteLogGroup", op_delete_log_group, 1 },
    { "DeleteLogStream", op_delete_log_stream, 1 },
    { "DeleteRetentionPolicy", op_delete_retention_policy, 1 },
    { "DescribeLogGroups", op_describe_log_groups, 0 },
    { "DescribeLogStreams", op_describe_log_streams, 0 },
    { "FilterLogEvents", op_filter_log_events, 0 },
    { "GetLogEvents", op_get_log_events, 0 },
    { "ListTagsForResource", op_list_tags_for_resource, 0 },
    { "ListTagsLogGroup", op_list_tags_log_group, 0 },
    { "PutLogEvents", op_put_log_events, 1 },
    { "PutRetentionPolicy", op_put_retention_policy, 1 },
    { "TagLogGroup", op_tag_log_group, 1 },
    { "TagResource", op_tag_resource, 1 },
    { "UntagLogGroup", op_untag_log_group, 1 },
    { "UntagResource", op_untag_resource, 1 },
};

static int cmp_op(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const logs_op *)elem)->name);
}

int logs_call(const char *region, const char *operation, const cJSON *in, cJSON *out, hg_err *err)
{
    const logs_op *op = bsearch(operation, logs_ops, sizeof logs_ops / sizeof logs_ops[0], sizeof logs_ops[0], cmp_op);
    if (!op) return hg_err_set(err, 400, "UnknownOperationException", "Unknown operation: %.100s", operation);
    if (logs_flush(err) != 0) return -1;     /* reads see everything logs_put was given */
    logs_ctx c = { .region = region, .store = hg_store_get_logs(err) };
    if (!c.store) return -1;
    if ((op->writes ? hg_store_begin_write(c.store, err) : hg_store_begin_read(c.store, err)) != 0) return -1;
    if (op->fn(&c, in, out, err) != 0) {
        if (!hg_err_isset(err)) hg_err_internal(err, "%s failed without a reason", op->name);
        hg_store_rollback(c.store);
        return -1;
    }
    return hg_store_commit(c.store, err);
}
