/*
 * logs_store.h — CloudWatch Logs' storage, in groups, streams and events
 * (the SQL is in logs_store.c).
 *
 * Model:
 *   1. A log group is a row (gid, region, name) with its creation time,
 *      retention (0 = never expire) and tags (a JSON object as text).
 *   2. A stream is a row (sid, gid, name) carrying the summaries
 *      DescribeLogStreams reports (first/last event time, last ingestion,
 *      bytes), kept up to date by logs_store_append in the same transaction.
 *   3. Events are stored in batches: one row (bid, gid, sid, lo_ts, hi_ts,
 *      n, ingest, data, raw) per append of up to LOGS_BATCH_MAX_EVENTS events
 *      of one stream, in time order (the logs writer appends a stream's
 *      events of a whole write window at once: one row instead of a row per
 *      event); data is deflated when that saves space (raw > 0).
 *      An event's eid is bid << LOGS_EID_SHIFT | its index in the batch, so
 *      eid grows with every append and (ts, eid) is a total order within a
 *      stream and within a group (interleaved), and is the position paging
 *      tokens name. Reads merge overlapping batches by (ts, eid).
 *
 * Readers visit rows through callbacks: strings handed to a visitor are
 * borrowed and valid only during the call; a visitor returns 0 to go on,
 * 1 to stop, -1 (with err set) to fail. A visitor must not call back into
 * this module (its statement is still stepping).
 * "Missing" is not an error: lookups return 1 for not found, 0 for found.
 */
#ifndef LOGS_STORE_H
#define LOGS_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "store.h"

typedef struct logs_group_row {
    int64_t     gid;
    const char *name;
    int64_t     created_ms;
    int         retention_days;   /* 0 = none */
    const char *tags;             /* JSON object text */
    int64_t     stored_bytes;
} logs_group_row;

typedef struct logs_stream_row {
    int64_t     sid;
    const char *name;
    int64_t     created_ms;
    int         has_events;
    int64_t     first_ts, last_ts, last_ingest_ms;
    int64_t     stored_bytes;
    int64_t     seq;              /* appends so far: the upload sequence token */
} logs_stream_row;

typedef struct logs_event_row {
    int64_t     eid, sid, ts, ingest_ms;
    const char *message;
    size_t      len;
    const char *stream;           /* the stream's name */
} logs_event_row;

typedef int (*logs_group_visit)(void *ctx, const logs_group_row *g, hg_err *err);
typedef int (*logs_stream_visit)(void *ctx, const logs_stream_row *s, hg_err *err);
typedef int (*logs_event_visit)(void *ctx, const logs_event_row *e, hg_err *err);

#define LOGS_BATCH_MAX_EVENTS  4096
#define LOGS_BATCH_MAX_BYTES   (1024 * 1024)    /* a larger event goes alone */
#define LOGS_EID_SHIFT         16

/* One event to append (borrowed). */
typedef struct logs_store_event { int64_t ts; const char *msg; size_t len; } logs_store_event;

/* ---- groups ------------------------------------------------------------------------------ */
/* 0 created, 1 exists already. tags: JSON object text ("{}" for none). */
int logs_store_group_create(hg_store *s, const char *region, const char *name, int64_t created_ms,
                            const char *tags, int64_t *gid, hg_err *err);
int logs_store_group_find(hg_store *s, const char *region, const char *name, int64_t *gid, hg_err *err);
/* Visit one group's row (0 found, 1 missing). */
int logs_store_group_get(hg_store *s, int64_t gid, logs_group_visit fn, void *ctx, hg_err *err);
/* Remove the group, its streams and their events. */
int logs_store_group_delete(hg_store *s, int64_t gid, hg_err *err);
/* Groups of region in name order, strictly after `after` (NULL = from the
 * start), whose name starts with prefix (NULL = any). */
int logs_store_group_list(hg_store *s, const char *region, const char *prefix, const char *after,
                          logs_group_visit fn, void *ctx, hg_err *err);
int logs_store_group_set_retention(hg_store *s, int64_t gid, int days, hg_err *err);
int logs_store_group_set_tags(hg_store *s, int64_t gid, const char *tags, hg_err *err);

/* ---- streams ----------------------------------------------------------------------------- */
/* 0 created, 1 exists already. */
int logs_store_stream_create(hg_store *s, int64_t gid, const char *name, int64_t created_ms,
                             int64_t *sid, hg_err *err);
int logs_store_stream_find(hg_store *s, int64_t gid, const char *name, int64_t *sid, hg_err *err);
int logs_store_stream_get(hg_store *s, int64_t sid, logs_stream_visit fn, void *ctx, hg_err *err);
int logs_store_stream_delete(hg_store *s, int64_t sid, hg_err *err);
/* Streams of a group. by_last_event = 0: name order, strictly after `after`
 * (NULL = from the start; before it when descending), with an optional
 * prefix. by_last_event = 1: ordered by last event time (streams without
 * events count as oldest), then name; skipping `offset` rows. */
int logs_store_stream_list(hg_store *s, int64_t gid, int by_last_event, int descending,
                           const char *prefix, const char *after, int64_t offset,
                           logs_stream_visit fn, void *ctx, hg_err *err);

/* Append events to a stream, updating its summaries: ordered by time, ties
 * in the order given. Runs inside the caller's write transaction. */
int logs_store_append(hg_store *s, int64_t sid, const logs_store_event *ev, int n,
                      int64_t ingest_ms, hg_err *err);

/* ---- events ------------------------------------------------------------------------------ */
/* Events of one stream (sid > 0) or of a whole group interleaved (sid 0),
 * strictly between the positions lo and hi in (ts, eid) order, ascending or
 * descending. */
typedef struct logs_event_range {
    int64_t gid, sid;
    int64_t lo_ts, lo_eid;     /* exclusive lower bound */
    int64_t hi_ts, hi_eid;     /* exclusive upper bound */
    int     descending;
} logs_event_range;
int logs_store_events(hg_store *s, const logs_event_range *r, logs_event_visit fn, void *ctx, hg_err *err);

#endif
