/* logs_store.c — CloudWatch Logs' SQL; see logs_store.h for the model. */
#include "logs_store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Run a statement expected to produce no rows. Hands st back. */
static int run(hg_store *s, sqlite3_stmt *st, hg_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, what);
    return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* Look up one id by (key, text); 0 found, 1 missing. */
static int find_id(hg_store *s, const char *sql, int64_t key, const char *region, const char *name,
                   int64_t *id, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, sql, err);
    if (!st) return -1;
    if (region) sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    else sqlite3_bind_int64(st, 1, key);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    hg_store_done(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc == SQLITE_DONE) return 1;
    return hg_store_fail(s, err, "find");
}

/* ---- groups ------------------------------------------------------------------------------ */

int logs_store_group_create(hg_store *s, const char *region, const char *name, int64_t created_ms,
                            const char *tags, int64_t *gid, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "INSERT OR IGNORE INTO logs_groups(region, name, created, retention, tags)"
                                        " VALUES(?,?,?,0,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, created_ms);
    sqlite3_bind_text(st, 4, tags ? tags : "{}", -1, SQLITE_STATIC);
    if (run(s, st, err, "create log group") != 0) return -1;
    if (hg_store_changes(s) == 0) return 1;
    *gid = hg_store_last_rowid(s);
    return 0;
}

int logs_store_group_find(hg_store *s, const char *region, const char *name, int64_t *gid, hg_err *err)
{
    return find_id(s, "SELECT gid FROM logs_groups WHERE region=? AND name=?", 0, region, name, gid, err);
}

#define GROUP_COLS "g.gid, g.name, g.created, g.retention, g.tags," \
    " (SELECT coalesce(sum(bytes), 0) FROM logs_streams s WHERE s.gid = g.gid)"

static void group_row(sqlite3_stmt *st, logs_group_row *g)
{
    g->gid = sqlite3_column_int64(st, 0);
    g->name = col_text(st, 1);
    g->created_ms = sqlite3_column_int64(st, 2);
    g->retention_days = sqlite3_column_int(st, 3);
    g->tags = col_text(st, 4);
    g->stored_bytes = sqlite3_column_int64(st, 5);
}

/* Step st, visiting each row; hands st back. */
static int visit_groups(hg_store *s, sqlite3_stmt *st, logs_group_visit fn, void *ctx, hg_err *err, int *seen)
{
    int rc, vr = 0;
    *seen = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        logs_group_row g;
        group_row(st, &g);
        (*seen)++;
        if ((vr = fn(ctx, &g, err)) != 0) break;
    }
    hg_store_done(st);
    if (vr < 0) return -1;
    if (vr == 0 && rc != SQLITE_DONE) return hg_store_fail(s, err, "read log groups");
    return 0;
}

int logs_store_group_get(hg_store *s, int64_t gid, logs_group_visit fn, void *ctx, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT " GROUP_COLS " FROM logs_groups g WHERE g.gid=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, gid);
    int seen;
    if (visit_groups(s, st, fn, ctx, err, &seen) != 0) return -1;
    return seen ? 0 : 1;
}

int logs_store_group_list(hg_store *s, const char *region, const char *prefix, const char *after,
                          logs_group_visit fn, void *ctx, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT " GROUP_COLS " FROM logs_groups g WHERE g.region=?1"
                                        " AND (?2 IS NULL OR substr(g.name, 1, length(?2)) = ?2)"
                                        " AND (?3 IS NULL OR g.name > ?3) ORDER BY g.name", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    if (prefix) sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
    if (after) sqlite3_bind_text(st, 3, after, -1, SQLITE_STATIC);
    int seen;
    return visit_groups(s, st, fn, ctx, err, &seen);
}

int logs_store_group_delete(hg_store *s, int64_t gid, hg_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM logs_batches WHERE gid=?",
        "DELETE FROM logs_streams WHERE gid=?",
        "DELETE FROM logs_groups WHERE gid=?",
    };
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st = hg_store_stmt(s, sql[i], err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, gid);
        if (run(s, st, err, "delete log group") != 0) return -1;
    }
    return 0;
}

int logs_store_group_set_retention(hg_store *s, int64_t gid, int days, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "UPDATE logs_groups SET retention=? WHERE gid=?", err);
    if (!st) return -1;
    sqlite3_bind_int(st, 1, days);
    sqlite3_bind_int64(st, 2, gid);
    return run(s, st, err, "set retention");
}

int logs_store_group_set_tags(hg_store *s, int64_t gid, const char *tags, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "UPDATE logs_groups SET tags=? WHERE gid=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, tags, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, gid);
    return run(s, st, err, "set tags");
}

/* ---- streams ----------------------------------------------------------------------------- */

int logs_store_stream_create(hg_store *s, int64_t gid, const char *name, int64_t created_ms,
                             int64_t *sid, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "INSERT OR IGNORE INTO logs_streams(gid, name, created, bytes, seq)"
                                        " VALUES(?,?,?,0,0)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, gid);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, created_ms);
    if (run(s, st, err, "create log stream") != 0) return -1;
    if (hg_store_changes(s) == 0) return 1;
    *sid = hg_store_last_rowid(s);
    return 0;
}

int logs_store_stream_find(hg_store *s, int64_t gid, const char *name, int64_t *sid, hg_err *err)
{
    return find_id(s, "SELECT sid FROM logs_streams WHERE gid=? AND name=?", gid, NULL, name, sid, err);
}

#define STREAM_COLS "sid, name, created, first_ts, last_ts, last_ingest, bytes, seq"

static int visit_streams(hg_store *s, sqlite3_stmt *st, logs_stream_visit fn, void *ctx, hg_err *err, int *seen)
{
    int rc, vr = 0;
    *seen = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        logs_stream_row r = {
            .sid = sqlite3_column_int64(st, 0),
            .name = col_text(st, 1),
            .created_ms = sqlite3_column_int64(st, 2),
            .has_events = sqlite3_column_type(st, 3) != SQLITE_NULL,
            .first_ts = sqlite3_column_int64(st, 3),
            .last_ts = sqlite3_column_int64(st, 4),
            .last_ingest_ms = sqlite3_column_int64(st, 5),
            .stored_bytes = sqlite3_column_int64(st, 6),
            .seq = sqlite3_column_int64(st, 7),
        };
        (*seen)++;
        if ((vr = fn(ctx, &r, err)) != 0) break;
    }
    hg_store_done(st);
    if (vr < 0) return -1;
    if (vr == 0 && rc != SQLITE_DONE) return hg_store_fail(s, err, "read log streams");
    return 0;
}

int logs_store_stream_get(hg_store *s, int64_t sid, logs_stream_visit fn, void *ctx, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT " STREAM_COLS " FROM logs_streams WHERE sid=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, sid);
    int seen;
    if (visit_streams(s, st, fn, ctx, err, &seen) != 0) return -1;
    return seen ? 0 : 1;
}

int logs_store_stream_delete(hg_store *s, int64_t sid, hg_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM logs_batches WHERE sid=?",
        "DELETE FROM logs_streams WHERE sid=?",
    };
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = hg_store_stmt(s, sql[i], err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, sid);
        if (run(s, st, err, "delete log stream") != 0) return -1;
    }
    return 0;
}

int logs_store_stream_list(hg_store *s, int64_t gid, int by_last_event, int descending,
                           const char *prefix, const char *after, int64_t offset,
                           logs_stream_visit fn, void *ctx, hg_err *err)
{
#define PREFIX_CLAUSE " AND (?2 IS NULL OR substr(name, 1, length(?2)) = ?2)"
    static const char *const sql[2][2] = {
        { "SELECT " STREAM_COLS " FROM logs_streams WHERE gid=?1" PREFIX_CLAUSE
          " AND (?3 IS NULL OR name > ?3) ORDER BY name",
          "SELECT " STREAM_COLS " FROM logs_streams WHERE gid=?1" PREFIX_CLAUSE
          " AND (?3 IS NULL OR name < ?3) ORDER BY name DESC" },
        { "SELECT " STREAM_COLS " FROM logs_streams WHERE gid=?1" PREFIX_CLAUSE
          " ORDER BY coalesce(last_ts, -1), name LIMIT -1 OFFSET ?4",
          "SELECT " STREAM_COLS " FROM logs_streams WHERE gid=?1" PREFIX_CLAUSE
          " ORDER BY coalesce(last_ts, -1) DESC, name DESC LIMIT -1 OFFSET ?4" },
    };
#undef PREFIX_CLAUSE
    sqlite3_stmt *st = hg_store_stmt(s, sql[by_last_event ? 1 : 0][descending ? 1 : 0], err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, gid);
    if (prefix) sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
    if (by_last_event) sqlite3_bind_int64(st, 4, offset);
    else if (after) sqlite3_bind_text(st, 3, after, -1, SQLITE_STATIC);
    int seen;
    return visit_streams(s, st, fn, ctx, err, &seen);
}

/* ---- batches ----------------------------------------------------------------------------- */

/* A batch's data: its events in (ts, put) order, each as its timestamp
 * (8 bytes) and length (4 bytes), little-endian, then the message and a
 * NUL. A batch of one event is its message alone, at lo_ts: what migration
 * 2 made of every event stored before batches. A batch of more events is
 * stored deflated when that is smaller (raw: its size before, 0 when stored
 * as is): Lambda's START/END/REPORT lines differ only in ids and figures
 * and shrink about sixfold, and they were most of what an emulator in
 * memory kept per invocation (300 of its 350 bytes). */
#define RECORD_HEAD 12
#define PACK_MIN    256         /* smaller batches are stored as they are */

_Static_assert(LOGS_BATCH_MAX_EVENTS <= (1 << LOGS_EID_SHIFT), "a batch's indexes must fit below the shift");

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* An event's place in put order, sorted by time. */
typedef struct ordered { int64_t ts; int i; } ordered;

static int ordered_cmp(const void *a, const void *b)
{
    const ordered *x = a, *y = b;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* The deflater, kept from batch to batch: a fresh one per batch
 * (compress2) allocated its 270 KB of state above malloc's mmap threshold,
 * and its munmap shot down the TLBs of every worker, a quarter of Lambda
 * Invoke's throughput. Only insert_batch uses it, always inside a write
 * transaction on the logs store, whose mutex serializes it. It lives as
 * long as the process: the deflate state and room for the largest batch
 * deflated so far (LOGS_BATCH_MAX_BYTES bounds a batch of several events). */
static struct { z_stream z; int ready; unsigned char *out; size_t cap; } packer;

/* data deflated into *packed (borrowed from packer, valid until the next
 * batch) when that saves space; else *packed is NULL and the batch is
 * stored as it is. */
static void pack(hg_store *s, const unsigned char *data, size_t size, const unsigned char **packed,
                 size_t *packed_len)
{
    *packed = NULL;
    if (size < PACK_MIN || !hg_store_in_txn(s)) return;
    if (!packer.ready) {
        if (deflateInit(&packer.z, Z_BEST_SPEED) != Z_OK) return;
        packer.ready = 1;
    } else if (deflateReset(&packer.z) != Z_OK) {
        return;
    }
    size_t bound = deflateBound(&packer.z, (uLong)size);
    if (bound > packer.cap) {
        unsigned char *more = realloc(packer.out, bound);
        if (!more) return;                   /* out of memory: stored as is */
        packer.out = more;
        packer.cap = bound;
    }
    packer.z.next_in = (unsigned char *)data;
    packer.z.avail_in = (uInt)size;
    packer.z.next_out = packer.out;
    packer.z.avail_out = (uInt)bound;
    if (deflate(&packer.z, Z_FINISH) != Z_STREAM_END || bound - packer.z.avail_out >= size) return;
    *packed = packer.out;
    *packed_len = bound - packer.z.avail_out;
}

/* Insert one batch of the k events at o (in order). */
static int insert_batch(hg_store *s, int64_t gid, int64_t sid, const logs_store_event *ev, const ordered *o,
                        int k, size_t size, int64_t ingest_ms, hg_err *err)
{
    unsigned char *data = NULL;
    const unsigned char *packed = NULL;
    size_t packed_len = 0;
    if (k > 1) {
        if (size > INT32_MAX || !(data = malloc(size))) return hg_err_internal(err, "out of memory");
        unsigned char *p = data;
        for (int j = 0; j < k; j++) {
            const logs_store_event *e = &ev[o[j].i];
            put_le(p, (uint64_t)e->ts, 8);
            put_le(p + 8, (uint64_t)e->len, 4);
            if (e->len) memcpy(p + RECORD_HEAD, e->msg, e->len);
            p[RECORD_HEAD + e->len] = 0;
            p += RECORD_HEAD + e->len + 1;
        }
        pack(s, data, size, &packed, &packed_len);
    } else if (ev[o[0].i].len > INT32_MAX) {
        return hg_err_internal(err, "log event too large");
    }
    sqlite3_stmt *st = hg_store_stmt(s, "INSERT INTO logs_batches(gid, sid, lo_ts, hi_ts, n, ingest, data, raw)"
                                        " VALUES(?,?,?,?,?,?,?,?)", err);
    if (!st) { free(data); return -1; }
    sqlite3_bind_int64(st, 1, gid);
    sqlite3_bind_int64(st, 2, sid);
    sqlite3_bind_int64(st, 3, o[0].ts);
    sqlite3_bind_int64(st, 4, o[k - 1].ts);
    sqlite3_bind_int(st, 5, k);
    sqlite3_bind_int64(st, 6, ingest_ms);
    if (packed) sqlite3_bind_blob(st, 7, packed, (int)packed_len, SQLITE_STATIC);
    else if (data) sqlite3_bind_blob(st, 7, data, (int)size, SQLITE_STATIC);
    else sqlite3_bind_blob(st, 7, ev[o[0].i].len ? ev[o[0].i].msg : "", (int)ev[o[0].i].len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, packed ? (int64_t)size : 0);
    int rc = run(s, st, err, "append log events");
    free(data);
    return rc;
}

int logs_store_append(hg_store *s, int64_t sid, const logs_store_event *ev, int n,
                      int64_t ingest_ms, hg_err *err)
{
    if (n <= 0) return 0;
    /* the stream's group once, not a lookup per event (a batch holds many) */
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT gid FROM logs_streams WHERE sid=?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, sid);
    int found = sqlite3_step(st);
    int64_t gid = found == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    hg_store_done(st);
    if (found == SQLITE_DONE) return 0;              /* no such stream: nothing to append to */
    if (found != SQLITE_ROW) return hg_store_fail(s, err, "find log stream");

    /* Time order within a batch (events that share a timestamp keep the
     * order given) is what lets a read merge batches without sorting them. */
    ordered *o = malloc((size_t)n * sizeof *o);
    if (!o) return hg_err_internal(err, "out of memory");
    int sorted = 1;
    for (int i = 0; i < n; i++) {
        o[i] = (ordered){ ev[i].ts, i };
        if (i > 0 && ev[i].ts < ev[i - 1].ts) sorted = 0;
    }
    if (!sorted) qsort(o, (size_t)n, sizeof *o, ordered_cmp);

    int64_t bytes = 0, span = 0;
    for (int i = 0; i < n;) {
        int k = 0;
        size_t size = 0;
        while (i + k < n && k < LOGS_BATCH_MAX_EVENTS) {
            size_t rec = RECORD_HEAD + ev[o[i + k].i].len + 1;
            if (k > 0 && size + rec > LOGS_BATCH_MAX_BYTES) break;
            size += rec;
            bytes += (int64_t)ev[o[i + k].i].len;
            k++;
        }
        if (insert_batch(s, gid, sid, ev, o + i, k, size, ingest_ms, err) != 0) { free(o); return -1; }
        if (o[i + k - 1].ts - o[i].ts > span) span = o[i + k - 1].ts - o[i].ts;
        i += k;
    }
    int64_t lo = o[0].ts, hi = o[n - 1].ts;
    free(o);
    st = hg_store_stmt(s, "UPDATE logs_streams SET first_ts = min(coalesce(first_ts, ?2), ?2),"
                          " last_ts = max(coalesce(last_ts, ?3), ?3), last_ingest = ?4,"
                          " bytes = bytes + ?5, seq = seq + 1, span = max(span, ?6) WHERE sid=?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_int64(st, 2, lo);
    sqlite3_bind_int64(st, 3, hi);
    sqlite3_bind_int64(st, 4, ingest_ms);
    sqlite3_bind_int64(st, 5, bytes);
    sqlite3_bind_int64(st, 6, span);
    return run(s, st, err, "update log stream");
}

/* ---- events ------------------------------------------------------------------------------ */

/* A batch read into memory while its events wait in the merge; freed when
 * the last of them has been visited. */
typedef struct loaded_batch {
    int64_t sid, ingest_ms;
    int     left;               /* events still waiting */
    const char *stream;         /* points into the same block */
    char    data[];             /* the blob, then a NUL, then the stream's name */
} loaded_batch;

typedef struct waiting { int64_t ts, eid; const char *msg; size_t len; loaded_batch *b; } waiting;

/* A heap of waiting events: the next in the range's order on top. */
typedef struct merge {
    waiting *w;
    size_t   n, cap;
    int      descending;
} merge;

static int before(const merge *m, const waiting *a, const waiting *b)
{
    int lt = a->ts != b->ts ? a->ts < b->ts : a->eid < b->eid;
    return m->descending ? !lt : lt;
}

static int merge_push(merge *m, waiting w, hg_err *err)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        waiting *more = realloc(m->w, cap * sizeof *more);
        if (!more) return hg_err_internal(err, "out of memory");
        m->w = more;
        m->cap = cap;
    }
    size_t i = m->n++;
    while (i > 0 && before(m, &w, &m->w[(i - 1) / 2])) {
        m->w[i] = m->w[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    m->w[i] = w;
    return 0;
}

static waiting merge_pop(merge *m)
{
    waiting top = m->w[0], last = m->w[--m->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->n) break;
        if (c + 1 < m->n && before(m, &m->w[c + 1], &m->w[c])) c++;
        if (!before(m, &m->w[c], &last)) break;
        m->w[i] = m->w[c];
        i = c;
    }
    if (m->n) m->w[i] = last;
    return top;
}

static void batch_drop(loaded_batch *b)
{
    if (--b->left == 0) free(b);
}

static int in_range(const logs_event_range *r, int64_t ts, int64_t eid)
{
    return (ts > r->lo_ts || (ts == r->lo_ts && eid > r->lo_eid)) &&
           (ts < r->hi_ts || (ts == r->hi_ts && eid < r->hi_eid));
}

/* Read the batch under st into memory and put its events within r on the heap. */
static int load_batch(merge *m, sqlite3_stmt *st, const logs_event_range *r, hg_err *err)
{
    int64_t bid = sqlite3_column_int64(st, 0), lo = sqlite3_column_int64(st, 2), hi = sqlite3_column_int64(st, 3);
    int64_t n = sqlite3_column_int64(st, 4);
    const unsigned char *blob = sqlite3_column_blob(st, 6);
    size_t stored = (size_t)sqlite3_column_bytes(st, 6);
    const char *name = col_text(st, 7);
    size_t nlen = strlen(name);
    int64_t raw = sqlite3_column_int64(st, 8);
    if (n < 1 || n > LOGS_BATCH_MAX_EVENTS || bid < 0 || bid > (INT64_MAX >> LOGS_EID_SHIFT) ||
        raw < 0 || raw > INT32_MAX || (raw > 0 && n == 1))
        return hg_err_internal(err, "stored log batch %" PRId64 " is corrupt", bid);
    size_t blen = raw > 0 ? (size_t)raw : stored;
    loaded_batch *b = malloc(sizeof *b + blen + 1 + nlen + 1);
    if (!b) return hg_err_internal(err, "out of memory");
    b->sid = sqlite3_column_int64(st, 1);
    b->ingest_ms = sqlite3_column_int64(st, 5);
    b->left = 1;                            /* ours, until the events are on the heap */
    if (raw > 0) {
        uLongf got = (uLongf)blen;
        if (!blob || uncompress((unsigned char *)b->data, &got, blob, (uLong)stored) != Z_OK || got != blen)
            goto corrupt;
    } else if (blen) {
        memcpy(b->data, blob, blen);
    }
    b->data[blen] = 0;
    memcpy(b->data + blen + 1, name, nlen + 1);
    b->stream = b->data + blen + 1;

    int64_t base = bid << LOGS_EID_SHIFT;
    if (n == 1) {
        if (in_range(r, lo, base)) {
            if (merge_push(m, (waiting){ lo, base, b->data, blen, b }, err) != 0) { batch_drop(b); return -1; }
            b->left++;
        }
        batch_drop(b);
        return 0;
    }
    const unsigned char *p = (const unsigned char *)b->data, *end = p + blen;
    for (int64_t i = 0; i < n; i++) {
        if ((size_t)(end - p) < RECORD_HEAD + 1) goto corrupt;
        int64_t ts = (int64_t)get_le(p, 8);
        size_t len = (size_t)get_le(p + 8, 4);
        if (len > (size_t)(end - p) - RECORD_HEAD - 1 || p[RECORD_HEAD + len] != 0 || ts < lo || ts > hi)
            goto corrupt;
        if (in_range(r, ts, base + i)) {
            if (merge_push(m, (waiting){ ts, base + i, (const char *)p + RECORD_HEAD, len, b }, err) != 0) {
                batch_drop(b);      /* what was pushed holds its own count: the caller drains the heap */
                return -1;
            }
            b->left++;
        }
        p += RECORD_HEAD + len + 1;
    }
    if (p != end) goto corrupt;
    batch_drop(b);
    return 0;
corrupt:
    /* its events already on the heap are never visited: an error stops the
     * read, and the heap is drained without visiting */
    batch_drop(b);
    return hg_err_internal(err, "stored log batch %" PRId64 " is corrupt", bid);
}

/* Visit the next waiting event. */
static int merge_visit(merge *m, logs_event_visit fn, void *ctx, hg_err *err)
{
    waiting w = merge_pop(m);
    logs_event_row e = {
        .eid = w.eid, .sid = w.b->sid, .ts = w.ts, .ingest_ms = w.b->ingest_ms,
        .message = w.msg, .len = w.len, .stream = w.b->stream,
    };
    int vr = fn(ctx, &e, err);
    batch_drop(w.b);
    return vr;
}

/* The widest batch of the stream, or of the group's streams (ms). */
static int batch_span(hg_store *s, const logs_event_range *r, int64_t *span, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, r->sid > 0 ? "SELECT span FROM logs_streams WHERE sid=?1"
                                                   : "SELECT coalesce(max(span), 0) FROM logs_streams WHERE gid=?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, r->sid > 0 ? r->sid : r->gid);
    int rc = sqlite3_step(st);
    *span = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    hg_store_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return hg_store_fail(s, err, "read log streams");
    if (*span < 0) *span = 0;
    return 0;
}

static int64_t sat_add(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }
static int64_t sat_sub(int64_t a, int64_t b) { return a < INT64_MIN + b ? INT64_MIN : a - b; }

/* Batches come in order of their first event (last, descending); every
 * event waiting on the heap that comes before the next batch's first
 * (after its last) is final and visited. The span bounds how far before
 * the range a batch holding events within it can start, so the index
 * seek starts near the range instead of at the stream's beginning. */
int logs_store_events(hg_store *s, const logs_event_range *r, logs_event_visit fn, void *ctx, hg_err *err)
{
#define BATCH_SQL(idx, who, cond, order) \
    "SELECT b.bid, b.sid, b.lo_ts, b.hi_ts, b.n, b.ingest, b.data, s.name, b.raw" \
    " FROM logs_batches b INDEXED BY " idx " JOIN logs_streams s ON s.sid = b.sid" \
    " WHERE b." who " = ?1 AND " cond " ORDER BY " order
#define UP   "b.lo_ts >= ?2 AND b.lo_ts <= ?3 AND b.hi_ts >= ?4"
#define DOWN "b.hi_ts <= ?2 AND b.hi_ts >= ?3 AND b.lo_ts <= ?4"
    static const char *const sql[2][2] = {
        { BATCH_SQL("logs_batches_group_up", "gid", UP, "b.lo_ts"),
          BATCH_SQL("logs_batches_group_down", "gid", DOWN, "b.hi_ts DESC") },
        { BATCH_SQL("logs_batches_stream_up", "sid", UP, "b.lo_ts"),
          BATCH_SQL("logs_batches_stream_down", "sid", DOWN, "b.hi_ts DESC") },
    };
#undef UP
#undef DOWN
#undef BATCH_SQL
    int64_t span;
    if (batch_span(s, r, &span, err) != 0) return -1;
    sqlite3_stmt *st = hg_store_stmt(s, sql[r->sid > 0][r->descending ? 1 : 0], err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, r->sid > 0 ? r->sid : r->gid);
    if (r->descending) {
        sqlite3_bind_int64(st, 2, sat_add(r->hi_ts, span));
        sqlite3_bind_int64(st, 3, r->lo_ts);
        sqlite3_bind_int64(st, 4, r->hi_ts);
    } else {
        sqlite3_bind_int64(st, 2, sat_sub(r->lo_ts, span));
        sqlite3_bind_int64(st, 3, r->hi_ts);
        sqlite3_bind_int64(st, 4, r->lo_ts);
    }
    merge m = { .descending = r->descending };
    int rc = SQLITE_DONE, vr = 0;
    while (vr == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t edge = sqlite3_column_int64(st, r->descending ? 3 : 2);
        while (vr == 0 && m.n && (r->descending ? m.w[0].ts > edge : m.w[0].ts < edge))
            vr = merge_visit(&m, fn, ctx, err);
        if (vr == 0 && load_batch(&m, st, r, err) != 0) vr = -1;
    }
    hg_store_done(st);
    if (vr == 0 && rc != SQLITE_DONE) vr = hg_store_fail(s, err, "read log events");
    while (vr == 0 && m.n) vr = merge_visit(&m, fn, ctx, err);
    while (m.n) batch_drop(merge_pop(&m).b);
    free(m.w);
    return vr < 0 ? -1 : 0;
}
