/* logs_store.c — CloudWatch Logs' SQL; see logs_store.h for the model. */
#include "logs_store.h"

#include <string.h>

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
        "DELETE FROM logs_events WHERE gid=?",
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
        "DELETE FROM logs_events WHERE sid=?",
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

/* INSERTs of 1..APPEND_ROWS events: ?1 gid, ?2 sid, ?3 ingest; row r's ts and msg are ?(4+2r), ?(5+2r). */
#define APPEND_ROWS 8
#define APPEND_HEAD "INSERT INTO logs_events(gid, sid, ts, ingest, msg) VALUES "
#define APPEND_ROW(ts, msg) "(?1, ?2, ?" #ts ", ?3, ?" #msg ")"
#define APPEND_1 APPEND_HEAD APPEND_ROW(4, 5)
#define APPEND_2 APPEND_1 "," APPEND_ROW(6, 7)
#define APPEND_3 APPEND_2 "," APPEND_ROW(8, 9)
#define APPEND_4 APPEND_3 "," APPEND_ROW(10, 11)
#define APPEND_5 APPEND_4 "," APPEND_ROW(12, 13)
#define APPEND_6 APPEND_5 "," APPEND_ROW(14, 15)
#define APPEND_7 APPEND_6 "," APPEND_ROW(16, 17)
#define APPEND_8 APPEND_7 "," APPEND_ROW(18, 19)
static const char *const append_sql[APPEND_ROWS] = {
    APPEND_1, APPEND_2, APPEND_3, APPEND_4, APPEND_5, APPEND_6, APPEND_7, APPEND_8,
};

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
    /* Up to APPEND_ROWS rows per statement: one invocation's START, output,
     * END and REPORT lines go in one step instead of one each. Rows are
     * inserted in VALUES order, so eids keep the events' order. */
    int64_t lo = ev[0].ts, hi = ev[0].ts, bytes = 0;
    for (int i = 0; i < n;) {
        int k = n - i < APPEND_ROWS ? n - i : APPEND_ROWS;
        st = hg_store_stmt(s, append_sql[k - 1], err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, gid);
        sqlite3_bind_int64(st, 2, sid);
        sqlite3_bind_int64(st, 3, ingest_ms);
        for (int r = 0; r < k; r++, i++) {
            sqlite3_bind_int64(st, 4 + 2 * r, ev[i].ts);
            sqlite3_bind_text(st, 5 + 2 * r, ev[i].len ? ev[i].msg : "", (int)ev[i].len, SQLITE_STATIC);
            if (ev[i].ts < lo) lo = ev[i].ts;
            if (ev[i].ts > hi) hi = ev[i].ts;
            bytes += (int64_t)ev[i].len;
        }
        int rc = sqlite3_step(st);
        hg_store_done(st);
        if (rc != SQLITE_DONE) return hg_store_fail(s, err, "append log events");
    }
    st = hg_store_stmt(s, "UPDATE logs_streams SET first_ts = min(coalesce(first_ts, ?2), ?2),"
                          " last_ts = max(coalesce(last_ts, ?3), ?3), last_ingest = ?4,"
                          " bytes = bytes + ?5, seq = seq + 1 WHERE sid=?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_int64(st, 2, lo);
    sqlite3_bind_int64(st, 3, hi);
    sqlite3_bind_int64(st, 4, ingest_ms);
    sqlite3_bind_int64(st, 5, bytes);
    return run(s, st, err, "update log stream");
}

/* ---- events ------------------------------------------------------------------------------ */

int logs_store_events(hg_store *s, const logs_event_range *r, logs_event_visit fn, void *ctx, hg_err *err)
{
#define EVENT_SQL(who, order) \
    "SELECT e.eid, e.sid, e.ts, e.ingest, e.msg, s.name FROM logs_events e JOIN logs_streams s ON s.sid = e.sid" \
    " WHERE e." who " = ?1 AND (e.ts, e.eid) > (?2, ?3) AND (e.ts, e.eid) < (?4, ?5)" \
    " ORDER BY e.ts " order ", e.eid " order
    static const char *const sql[2][2] = {
        { EVENT_SQL("gid", "ASC"), EVENT_SQL("gid", "DESC") },
        { EVENT_SQL("sid", "ASC"), EVENT_SQL("sid", "DESC") },
    };
#undef EVENT_SQL
    sqlite3_stmt *st = hg_store_stmt(s, sql[r->sid > 0][r->descending ? 1 : 0], err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, r->sid > 0 ? r->sid : r->gid);
    sqlite3_bind_int64(st, 2, r->lo_ts);
    sqlite3_bind_int64(st, 3, r->lo_eid);
    sqlite3_bind_int64(st, 4, r->hi_ts);
    sqlite3_bind_int64(st, 5, r->hi_eid);
    int rc, vr = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        logs_event_row e = {
            .eid = sqlite3_column_int64(st, 0),
            .sid = sqlite3_column_int64(st, 1),
            .ts = sqlite3_column_int64(st, 2),
            .ingest_ms = sqlite3_column_int64(st, 3),
            .message = col_text(st, 4),
            .len = (size_t)sqlite3_column_bytes(st, 4),
            .stream = col_text(st, 5),
        };
        if ((vr = fn(ctx, &e, err)) != 0) break;
    }
    hg_store_done(st);
    if (vr < 0) return -1;
    if (vr == 0 && rc != SQLITE_DONE) return hg_store_fail(s, err, "read log events");
    return 0;
}
