/*
 * ttl.c — Time to Live: UpdateTimeToLive / DescribeTimeToLive and the
 * background sweeper that deletes expired items.
 *
 * The setting lives in the table description as "_ttl": {"AttributeName":
 * name, "Enabled": true}; a table without it (or with Enabled false) has TTL
 * disabled. Changes take effect at once (AWS takes up to an hour; a client
 * waiting for ENABLED sees it immediately).
 *
 * The sweeper, as AWS documents it, deletes an item when its TTL attribute is
 * a top-level Number holding epoch seconds that lie in the past but not more
 * than five years in the past; anything else (a string, a missing attribute,
 * an ancient date) is left alone.
 *
 * Invariants:
 *   1. At most one sweeper thread; `sweeper` is guarded by sweeper.mu.
 *   2. The thread uses only its own SQLite connection (hg_store_get in the
 *      thread), and never holds the write lock across a table scan: it
 *      collects candidates with a read, then deletes them in transactions of
 *      at most SWEEP_BATCH items, re-reading each item inside the write
 *      transaction so a concurrent update that extended the TTL wins.
 *   3. ddb_ttl_stop wakes the thread through the condition variable and
 *      joins it; between batches the thread checks for the stop request, so
 *      shutdown never waits for a whole sweep.
 */
#include "ddb.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hg_json.h"
#include "hg_log.h"
#include "hg_time.h"

#define SWEEP_BATCH   100                        /* deletes per write transaction */
#define SWEEP_COLLECT 1000                       /* candidates gathered per scan */
#define SWEEP_PASSES  50                         /* scans per table per sweep, at most */
#define TTL_MAX_AGE_S (5.0 * 365.25 * 86400.0)   /* older expiry dates are ignored */

/* ---- the setting ----------------------------------------------------------- */

/* The enabled TTL attribute of a description, or NULL. Borrowed from desc. */
static const char *ttl_attribute(const cJSON *desc)
{
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(desc, "_ttl");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ttl, "AttributeName");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ttl, "Enabled")) || !cJSON_IsString(name)) return NULL;
    return name->valuestring;
}

int ddb_op_update_time_to_live(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name, *attr;
    cJSON *spec;
    if (ddb_need_string(in, "TableName", &name, err) != 0) return -1;
    if (strncmp(name, "arn:", 4) != 0 && ddb_check_table_name(name, "tableName", err) != 0) return -1;
    if (ddb_get_object(in, "TimeToLiveSpecification", &spec, err) != 0) return -1;
    if (!spec)
        return hg_err_validation(err, "1 validation error detected: Value null at 'timeToLiveSpecification' failed to "
                                 "satisfy constraint: Member must not be null");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(spec, "Enabled");
    if (!en || cJSON_IsNull(en))
        return hg_err_validation(err, "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed "
                                 "to satisfy constraint: Member must not be null");
    if (!cJSON_IsBool(en))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: Enabled must be a boolean");
    if (ddb_get_string(spec, "AttributeName", &attr, err) != 0) return -1;
    if (!attr)
        return hg_err_validation(err, "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' "
                                 "failed to satisfy constraint: Member must not be null");
    size_t n = strlen(attr);
    if (n < 1 || n > 255)
        return hg_err_validation(err, "1 validation error detected: Value '%s' at 'timeToLiveSpecification.attributeName' "
                                 "failed to satisfy constraint: Member must have length %s", attr,
                                 n < 1 ? "greater than or equal to 1" : "less than or equal to 255");
    bool enable = cJSON_IsTrue(en);

    if (hg_store_begin_write(ctx->store, err) != 0) return -1;
    ddb_table *t = NULL;
    if (ddb_table_open(ctx, name, false, &t, err) != 0) goto fail;
    const char *cur = ttl_attribute(t->desc);
    if (enable && cur) {
        hg_err_validation(err, "TimeToLive is already enabled");
        goto fail;
    }
    if (!enable && !cur) {
        hg_err_validation(err, "TimeToLive is already disabled");
        goto fail;
    }
    if (!enable && strcmp(cur, attr) != 0) {
        hg_err_validation(err, "TimeToLive is active on a different AttributeName: current AttributeName is %s", cur);
        goto fail;
    }
    cJSON *ttl = cJSON_CreateObject();
    cJSON_AddStringToObject(ttl, "AttributeName", attr);
    cJSON_AddBoolToObject(ttl, "Enabled", enable);
    hg_json_set(t->desc, "_ttl", ttl);
    if (ddb_table_save(ctx, t, err) != 0 || hg_store_commit(ctx->store, err) != 0) goto fail;
    ddb_table_free(t);
    cJSON *r = cJSON_AddObjectToObject(out, "TimeToLiveSpecification");
    cJSON_AddBoolToObject(r, "Enabled", enable);
    cJSON_AddStringToObject(r, "AttributeName", attr);
    return 0;
fail:
    hg_store_rollback(ctx->store);
    ddb_table_free(t);
    return -1;
}

int ddb_op_describe_time_to_live(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name;
    if (ddb_need_string(in, "TableName", &name, err) != 0) return -1;
    if (strncmp(name, "arn:", 4) != 0 && ddb_check_table_name(name, "tableName", err) != 0) return -1;
    ddb_table *t;
    if (ddb_table_open(ctx, name, false, &t, err) != 0) return -1;
    const char *attr = ttl_attribute(t->desc);
    cJSON *d = cJSON_AddObjectToObject(out, "TimeToLiveDescription");
    cJSON_AddStringToObject(d, "TimeToLiveStatus", attr ? "ENABLED" : "DISABLED");
    if (attr) cJSON_AddStringToObject(d, "AttributeName", attr);
    ddb_table_free(t);
    return 0;
}

/* ---- the sweeper ---------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    pthread_t       thread;
    bool            running;   /* a thread exists and must be joined */
    bool            stop;      /* ddb_ttl_stop asked it to leave */
    double          interval;
} sweeper = { .mu = PTHREAD_MUTEX_INITIALIZER };

static bool stopping(void)
{
    pthread_mutex_lock(&sweeper.mu);
    bool s = sweeper.stop;
    pthread_mutex_unlock(&sweeper.mu);
    return s;
}

/* Is item past its expiry (attribute attr) at time now? */
static bool expired(const cJSON *item, const char *attr, double now)
{
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(item, attr);
    if (!av || ddb_av_type(av) != DDB_T_N) return false;
    const cJSON *num = ddb_av_payload(av);
    if (!cJSON_IsString(num)) return false;
    /* the stored number is canonical (validated on write); strtod saturates
     * to +-HUGE_VAL for the widest ones, which compare correctly below */
    char *end;
    errno = 0;
    double when = strtod(num->valuestring, &end);
    if (end == num->valuestring) return false;
    return when <= now && when >= now - TTL_MAX_AGE_S;
}

/* Gather up to SWEEP_COLLECT expired items of the table (new array, caller frees). */
static int collect_expired(ddb_ctx *ctx, int64_t tid, const char *attr, double now, cJSON **out, hg_err *err)
{
    ddb_range r;
    memset(&r, 0, sizeof r);
    r.tid = tid;
    ddb_cursor *c;
    if (hg_store_begin_read(ctx->store, err) != 0) return -1;
    if (ddb_store_cursor_open(ctx->store, &r, &c, err) != 0) { hg_store_rollback(ctx->store); return -1; }
    cJSON *found = cJSON_CreateArray();
    const char *json;
    size_t len;
    int rc;
    while (cJSON_GetArraySize(found) < SWEEP_COLLECT && (rc = ddb_store_cursor_next(c, &json, &len, err)) == 1) {
        cJSON *item = cJSON_ParseWithLength(json, len);
        if (item && expired(item, attr, now)) cJSON_AddItemToArray(found, item);
        else cJSON_Delete(item);
    }
    ddb_store_cursor_close(c);
    hg_store_rollback(ctx->store);          /* a read transaction: nothing to keep */
    if (rc < 0) { cJSON_Delete(found); return -1; }
    *out = found;
    return 0;
}

/* Delete the candidates in batches. Each batch re-opens the table (indexes
 * or the TTL setting may have changed) and re-reads each item. */
static int delete_expired(ddb_ctx *ctx, const char *name, int64_t tid, cJSON *cands, double now, int *deleted, hg_err *err)
{
    cJSON *next = cands->child;
    while (next) {
        if (stopping()) return 0;
        if (hg_store_begin_write(ctx->store, err) != 0) return -1;
        ddb_table *t = NULL;
        int rc = ddb_table_open(ctx, name, false, &t, err);
        const char *attr = rc == 0 ? ttl_attribute(t->desc) : NULL;
        if (rc != 0 || t->tid != tid || !attr) {        /* dropped, re-created or TTL turned off */
            ddb_table_free(t);
            hg_store_rollback(ctx->store);
            if (rc != 0 && strcmp(err->code, "ResourceNotFoundException") == 0) { hg_err_clear(err); return 0; }
            return rc != 0 ? -1 : 0;
        }
        ddb_key key;
        ddb_key_init(&key);
        for (int i = 0; next && i < SWEEP_BATCH && rc == 0; i++, next = next->next) {
            cJSON *cur = NULL;
            if (ddb_key_from_item(t, next, &key, err) != 0) { hg_err_clear(err); continue; }
            rc = ddb_item_read(ctx, t, &key, &cur, err);
            if (rc == 0 && cur && expired(cur, attr, now)) {
                rc = ddb_item_write(ctx, t, &key, cur, NULL, 0, NULL, err);
                if (rc == 0) (*deleted)++;
            }
            cJSON_Delete(cur);
        }
        ddb_key_release(&key);
        ddb_table_free(t);
        if (rc == 0) rc = hg_store_commit(ctx->store, err);
        if (rc != 0) { hg_store_rollback(ctx->store); return -1; }
    }
    return 0;
}

static void sweep_table(hg_store *s, int64_t tid, const char *region, const char *name)
{
    ddb_ctx ctx = { .region = region, .account = "", .store = s, .err_extra = NULL };
    hg_err err;
    hg_err_clear(&err);
    for (int pass = 0; pass < SWEEP_PASSES && !stopping(); pass++) {
        ddb_table *t = NULL;
        if (ddb_table_open(&ctx, name, false, &t, &err) != 0) return;   /* dropped meanwhile */
        char *attr = NULL;
        if (t->tid == tid && ttl_attribute(t->desc)) attr = strdup(ttl_attribute(t->desc));
        ddb_table_free(t);
        if (!attr) return;
        double now = hg_time_epoch();
        cJSON *cands = NULL;
        int deleted = 0, n = 0;
        int rc = collect_expired(&ctx, tid, attr, now, &cands, &err);
        free(attr);
        if (rc == 0) {
            n = cJSON_GetArraySize(cands);
            rc = delete_expired(&ctx, name, tid, cands, now, &deleted, &err);
        }
        cJSON_Delete(cands);
        if (rc != 0) {
            hg_log(HG_LOG_WARN, "ttl: sweeping %s/%s failed: %s: %s", region, name, err.code, err.message);
            return;
        }
        if (deleted) hg_log(HG_LOG_DEBUG, "ttl: %s/%s: %d expired items deleted", region, name, deleted);
        if (n < SWEEP_COLLECT || deleted == 0) return;                  /* nothing more to find */
    }
}

static void sweep_all(void)
{
    hg_err err;
    hg_err_clear(&err);
    hg_store *s = hg_store_get(&err);
    if (!s) {
        hg_log(HG_LOG_WARN, "ttl: no store connection: %s", err.message);
        return;
    }
    int64_t *tids = NULL;
    char **regions = NULL, **names = NULL;
    int count = 0;
    if (ddb_store_table_all(s, &tids, &regions, &names, &count, &err) != 0) {
        hg_log(HG_LOG_WARN, "ttl: listing tables failed: %s", err.message);
        return;
    }
    for (int i = 0; i < count && !stopping(); i++) sweep_table(s, tids[i], regions[i], names[i]);
    free(tids);
    ddb_store_names_free(regions, count);
    ddb_store_names_free(names, count);
}

static void *sweeper_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "hg-ddb-ttl");
    pthread_mutex_lock(&sweeper.mu);
    while (!sweeper.stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        double secs = floor(sweeper.interval);
        until.tv_sec += (time_t)secs;
        until.tv_nsec += (long)((sweeper.interval - secs) * 1e9);
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        int rc = 0;
        while (!sweeper.stop && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&sweeper.cv, &sweeper.mu, &until);
        if (sweeper.stop) break;
        pthread_mutex_unlock(&sweeper.mu);
        sweep_all();
        pthread_mutex_lock(&sweeper.mu);
    }
    pthread_mutex_unlock(&sweeper.mu);
    return NULL;
}

int ddb_ttl_start(double interval_s, hg_err *err)
{
    if (!(interval_s > 0)) return hg_err_internal(err, "TTL sweep interval must be positive");
    pthread_mutex_lock(&sweeper.mu);
    if (sweeper.running) { pthread_mutex_unlock(&sweeper.mu); return 0; }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* wall-clock jumps must not stall sweeps */
    int rc = pthread_cond_init(&sweeper.cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0) {
        pthread_mutex_unlock(&sweeper.mu);
        return hg_err_internal(err, "TTL sweeper: cannot create condition variable: %s", strerror(rc));
    }
    sweeper.interval = interval_s;
    sweeper.stop = false;
    rc = pthread_create(&sweeper.thread, NULL, sweeper_main, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&sweeper.cv);
        pthread_mutex_unlock(&sweeper.mu);
        return hg_err_internal(err, "TTL sweeper: cannot start thread: %s", strerror(rc));
    }
    sweeper.running = true;
    pthread_mutex_unlock(&sweeper.mu);
    return 0;
}

void ddb_ttl_stop(void)
{
    pthread_mutex_lock(&sweeper.mu);
    if (!sweeper.running) { pthread_mutex_unlock(&sweeper.mu); return; }
    sweeper.stop = true;
    pthread_cond_signal(&sweeper.cv);
    pthread_mutex_unlock(&sweeper.mu);
    pthread_join(sweeper.thread, NULL);
    pthread_mutex_lock(&sweeper.mu);
    sweeper.running = false;
    pthread_cond_destroy(&sweeper.cv);
    pthread_mutex_unlock(&sweeper.mu);
}
