/* store.c — connections, transactions, schema; see store.h for invariants. */
#include "store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "hg_log.h"
#include "keycodec.h"

/* A database and its one connection, serialized by its mutex (see
 * store.h, invariant 2). Its page cache is never invalidated by another
 * connection's commit and no file lock is taken per transaction, which is
 * what per-thread WAL connections spent most of a write on. */
typedef struct store_db {
    const char *file;             /* in the --data directory */
    const char *const *migrations;
    int nmigrations;
    const char *schema;           /* where the migrations end, for a database with no table yet */
    sqlite3 *conn;
    pthread_mutex_t mutex;
    /* Prepared statements by SQL text. Grows, never evicts: a statement may
     * be in use by an open cursor, and the services build a bounded number
     * of query shapes, so the cache stays small. seen: the text's address
     * when it was prepared — nearly every caller passes a string literal,
     * so the address finds it without comparing texts that share long
     * prefixes (that strcmp scan was 3 % of a gateway POST's time). */
    struct cached_stmt { char *sql; const char *seen; sqlite3_stmt *st; } *cache;
    int ncache, acache;
    int unjournaled;              /* in memory: journal_mode OFF (see set_journal) */
    int streak;                   /* unjournaled writes since the last journaled one */
} store_db;

/* Per-thread handle on one database: how deep this thread holds its
 * connection, its transaction, and what the last statement it handed back
 * left behind (read after the connection may already serve another thread). */
struct hg_store {
    store_db *db;
    int holds;                    /* db->mutex held while > 0 */
    int in_txn;
    int schema_dirty;             /* this transaction changed a table definition */
    int64_t changes, last_rowid;
    char last_error[256];
    hg_store *next;               /* registry, for shutdown */
};

static char data_path[PATH_MAX];
static char location[PATH_MAX + 64];
static int persistent;
static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static hg_store *registry;
static _Atomic uint64_t schema_gen = 1;

uint64_t hg_store_schema_gen(void) { return schema_gen; }

void hg_store_schema_changed(hg_store *s)
{
    schema_gen++;
    s->schema_dirty = 1;
}

static void hold(hg_store *s)
{
    if (s->holds++ == 0) pthread_mutex_lock(&s->db->mutex);
}

static void release(hg_store *s)
{
    if (s->holds > 0 && --s->holds == 0) pthread_mutex_unlock(&s->db->mutex);
}

/* Schema migrations: entry i moves the database from user_version i to i+1.
 * Append only; never edit a released step. A new step changes main_schema
 * below the same way. */
static const char *const migrations[] = {
    /* 1: DynamoDB tables, items and secondary-index entries.
     *   ddb_items: hk/rk are keycodec encodings (rk empty when the table has
     *   no sort key), hh the partition hash that orders scans and segments.
     *   ddb_index_items: one row per item present in a GSI/LSI (sparse), with
     *   the index key (ihk, irk) and the base key to join back to the item. */
    "CREATE TABLE ddb_tables(tid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  desc TEXT NOT NULL, UNIQUE(region, name));"
    "CREATE TABLE ddb_items(tid INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,"
    "  hh INTEGER NOT NULL, size INTEGER NOT NULL, item TEXT NOT NULL,"
    "  PRIMARY KEY(tid, hk, rk)) WITHOUT ROWID;"
    "CREATE INDEX ddb_items_scan ON ddb_items(tid, hh, hk, rk);"
    "CREATE TABLE ddb_index_items(tid INTEGER NOT NULL, iid INTEGER NOT NULL,"
    "  ihk BLOB NOT NULL, irk BLOB NOT NULL, ihh INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,"
    "  PRIMARY KEY(tid, iid, ihk, irk, hk, rk)) WITHOUT ROWID;"
    "CREATE INDEX ddb_index_items_scan ON ddb_index_items(tid, iid, ihh, ihk, irk, hk, rk);"
    "CREATE INDEX ddb_index_items_base ON ddb_index_items(tid, hk, rk);"
    "CREATE TABLE ddb_tokens(region TEXT NOT NULL, token TEXT NOT NULL, digest TEXT NOT NULL,"
    "  response TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY(region, token));",
    /* 2: Lambda functions: FunctionConfiguration and private state as JSON
     *   (owned by the lambda module), the zip bytes (NULL for hot-reload
     *   folders). A rowid table, so the large code blob stays off the key b-tree. */
    "CREATE TABLE lambda_functions(fid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  config TEXT NOT NULL, priv TEXT NOT NULL, code BLOB, UNIQUE(region, name));",
    /* 3: CloudWatch Logs groups, streams (with the summaries DescribeLogStreams
     *   shows) and events. eid orders events that share a timestamp; the
     *   (sid, ts) and (gid, ts) indexes (eid rides along as the rowid) serve
     *   GetLogEvents and interleaved FilterLogEvents in (ts, eid) order. */
    "CREATE TABLE logs_groups(gid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  created INTEGER NOT NULL, retention INTEGER NOT NULL, tags TEXT NOT NULL, UNIQUE(region, name));"
    "CREATE TABLE logs_streams(sid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, name TEXT NOT NULL,"
    "  created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER,"
    "  bytes INTEGER NOT NULL, seq INTEGER NOT NULL, UNIQUE(gid, name));"
    "CREATE TABLE logs_events(eid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, sid INTEGER NOT NULL,"
    "  ts INTEGER NOT NULL, ingest INTEGER NOT NULL, msg TEXT NOT NULL);"
    "CREATE INDEX logs_events_stream ON logs_events(sid, ts);"
    "CREATE INDEX logs_events_group ON logs_events(gid, ts);",
    /* 4: API Gateway REST APIs as JSON documents: kind 'api' (the RestApi with
     *   its resources, methods and integrations), 'deployment' (aux = the frozen
     *   snapshot invocations serve) and 'stage', all keyed under their API. */
    "CREATE TABLE apigw_objects(region TEXT NOT NULL, api_id TEXT NOT NULL, kind TEXT NOT NULL,"
    "  id TEXT NOT NULL, doc TEXT NOT NULL, aux TEXT, PRIMARY KEY(region, api_id, kind, id));",
    /* 5: IAM roles (global, not regional) as JSON documents: the Role as
     *   GetRole returns it, plus its inline policies and attached policy ARNs. */
    "CREATE TABLE iam_roles(name TEXT PRIMARY KEY COLLATE NOCASE, doc TEXT NOT NULL);",
    /* 6: ddb_items keyed by (tid, hh, hk, rk). hh is a function of hk, so the
     *   key stays unique, and the key order is the scan order: the separate
     *   scan index (a second b-tree insert on every write, ~4 us of SQLite's
     *   ~12 us per PutItem) goes away. */
    "CREATE TABLE ddb_items_v6(tid INTEGER NOT NULL, hh INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,"
    "  size INTEGER NOT NULL, item TEXT NOT NULL, PRIMARY KEY(tid, hh, hk, rk)) WITHOUT ROWID;"
    "INSERT INTO ddb_items_v6(tid, hh, hk, rk, size, item) SELECT tid, hh, hk, rk, size, item FROM ddb_items;"
    "DROP TABLE ddb_items;"
    "ALTER TABLE ddb_items_v6 RENAME TO ddb_items;",
    /* 7: CloudWatch Logs moved to their own database (logs_migrations, which
     *   copied any events of an older file before this step runs). */
    "DROP TABLE IF EXISTS logs_events; DROP TABLE IF EXISTS logs_streams; DROP TABLE IF EXISTS logs_groups;",
};

/* Where the migrations above end, for a database with no table yet: one
 * step instead of the history, which on a new in-memory database took
 * 1.7 ms of the emulator's start-up (step 6 alone, a table rebuilt and
 * renamed, 0.8 ms). Written out twice, so test_store_schema checks that
 * both roads give the same tables, columns and indexes: change the two
 * together. */
static const char main_schema[] =
    "CREATE TABLE ddb_tables(tid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  desc TEXT NOT NULL, UNIQUE(region, name));"
    "CREATE TABLE ddb_index_items(tid INTEGER NOT NULL, iid INTEGER NOT NULL,"
    "  ihk BLOB NOT NULL, irk BLOB NOT NULL, ihh INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,"
    "  PRIMARY KEY(tid, iid, ihk, irk, hk, rk)) WITHOUT ROWID;"
    "CREATE INDEX ddb_index_items_scan ON ddb_index_items(tid, iid, ihh, ihk, irk, hk, rk);"
    "CREATE INDEX ddb_index_items_base ON ddb_index_items(tid, hk, rk);"
    "CREATE TABLE ddb_tokens(region TEXT NOT NULL, token TEXT NOT NULL, digest TEXT NOT NULL,"
    "  response TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY(region, token));"
    "CREATE TABLE lambda_functions(fid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  config TEXT NOT NULL, priv TEXT NOT NULL, code BLOB, UNIQUE(region, name));"
    "CREATE TABLE apigw_objects(region TEXT NOT NULL, api_id TEXT NOT NULL, kind TEXT NOT NULL,"
    "  id TEXT NOT NULL, doc TEXT NOT NULL, aux TEXT, PRIMARY KEY(region, api_id, kind, id));"
    "CREATE TABLE iam_roles(name TEXT PRIMARY KEY COLLATE NOCASE, doc TEXT NOT NULL);"
    "CREATE TABLE ddb_items(tid INTEGER NOT NULL, hh INTEGER NOT NULL, hk BLOB NOT NULL, rk BLOB NOT NULL,"
    "  size INTEGER NOT NULL, item TEXT NOT NULL, PRIMARY KEY(tid, hh, hk, rk)) WITHOUT ROWID;";

/* The CloudWatch Logs database (DIR/logs.db, or a second in-memory one):
 * a Lambda invocation writes three log events, and on the service
 * database's connection those writes held DynamoDB requests up (a gateway
 * GET spent a third of its time on them). Own connection, own mutex.
 * LOGS_SCHEMA_V1 is the first version (one row per event; migration 2
 * packs them): copy_old_logs builds it before the migrations run. */
#define LOGS_SCHEMA_V1 \
    "CREATE TABLE logs_groups(gid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL," \
    "  created INTEGER NOT NULL, retention INTEGER NOT NULL, tags TEXT NOT NULL, UNIQUE(region, name));" \
    "CREATE TABLE logs_streams(sid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, name TEXT NOT NULL," \
    "  created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER," \
    "  bytes INTEGER NOT NULL, seq INTEGER NOT NULL, UNIQUE(gid, name));" \
    "CREATE TABLE logs_events(eid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, sid INTEGER NOT NULL," \
    "  ts INTEGER NOT NULL, ingest INTEGER NOT NULL, msg TEXT NOT NULL);" \
    "CREATE INDEX logs_events_stream ON logs_events(sid, ts);" \
    "CREATE INDEX logs_events_group ON logs_events(gid, ts);"
static const char *const logs_migrations[] = {
    /* 1: the schema; a --data directory from before brings its events along
     *   (copy_old_logs, run first). */
    LOGS_SCHEMA_V1,
    /* 2: events packed into batches (see logs_store.h): an invocation's
     *   three events were three rows and six b-tree inserts, a tenth of a
     *   gateway request's CPU; a batch is one row per stream per write
     *   window. An event of before becomes a batch of one (its message
     *   alone), in eid order. span: the widest batch of the stream (ms),
     *   so a read can seek by time. */
    "CREATE TABLE logs_batches(bid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, sid INTEGER NOT NULL,"
    "  lo_ts INTEGER NOT NULL, hi_ts INTEGER NOT NULL, n INTEGER NOT NULL, ingest INTEGER NOT NULL,"
    "  data BLOB NOT NULL);"
    "INSERT INTO logs_batches(bid, gid, sid, lo_ts, hi_ts, n, ingest, data)"
    "  SELECT eid, gid, sid, ts, ts, 1, ingest, CAST(msg AS BLOB) FROM logs_events ORDER BY eid;"
    "DROP TABLE logs_events;"
    "ALTER TABLE logs_streams ADD COLUMN span INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX logs_batches_stream_up ON logs_batches(sid, lo_ts, hi_ts);"
    "CREATE INDEX logs_batches_stream_down ON logs_batches(sid, hi_ts, lo_ts);"
    "CREATE INDEX logs_batches_group_up ON logs_batches(gid, lo_ts, hi_ts);"
    "CREATE INDEX logs_batches_group_down ON logs_batches(gid, hi_ts, lo_ts);",
    /* 3: raw: a batch's size before it was deflated, 0 when stored as it
     *   is (logs_store.c); every batch of before is stored as it is. */
    "ALTER TABLE logs_batches ADD COLUMN raw INTEGER NOT NULL DEFAULT 0;",
};

/* Where logs_migrations end (see main_schema); a new step changes it too. */
static const char logs_schema[] =
    "CREATE TABLE logs_groups(gid INTEGER PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL,"
    "  created INTEGER NOT NULL, retention INTEGER NOT NULL, tags TEXT NOT NULL, UNIQUE(region, name));"
    "CREATE TABLE logs_streams(sid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, name TEXT NOT NULL,"
    "  created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER,"
    "  bytes INTEGER NOT NULL, seq INTEGER NOT NULL, span INTEGER NOT NULL DEFAULT 0, UNIQUE(gid, name));"
    "CREATE TABLE logs_batches(bid INTEGER PRIMARY KEY, gid INTEGER NOT NULL, sid INTEGER NOT NULL,"
    "  lo_ts INTEGER NOT NULL, hi_ts INTEGER NOT NULL, n INTEGER NOT NULL, ingest INTEGER NOT NULL,"
    "  data BLOB NOT NULL, raw INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX logs_batches_stream_up ON logs_batches(sid, lo_ts, hi_ts);"
    "CREATE INDEX logs_batches_stream_down ON logs_batches(sid, hi_ts, lo_ts);"
    "CREATE INDEX logs_batches_group_up ON logs_batches(gid, lo_ts, hi_ts);"
    "CREATE INDEX logs_batches_group_down ON logs_batches(gid, hi_ts, lo_ts);";

static store_db main_db = { "hangar.db", migrations, (int)(sizeof migrations / sizeof migrations[0]), main_schema,
                            NULL, PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0 };
static store_db logs_db = { "logs.db", logs_migrations, (int)(sizeof logs_migrations / sizeof logs_migrations[0]),
                            logs_schema, NULL, PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0, 0, 0 };
static _Thread_local hg_store *tls_main, *tls_logs;

/* In memory, the logs database is made by its first user, not at start:
 * making it cost 0.5-0.6 ms of the ~11 ms from spawn to listening
 * (interleaved starts on a 2-vCPU VM), for a database only Lambda runs and
 * the Logs API use. With --data it opens at start, since its first step may copy events
 * out of hangar.db before that one's step 7 drops them. logs_ready is set
 * once logs_db.conn is open and migrated (under logs_open_mutex). */
static pthread_mutex_t logs_open_mutex = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool logs_ready;

int hg_store_fail(hg_store *s, hg_err *err, const char *what)
{
    /* Once the statement is handed back the connection may serve another
     * thread: the message hg_store_done saved is this thread's. */
    const char *msg = !s || !s->db->conn ? "no database" : s->holds == 0 ? s->last_error : sqlite3_errmsg(s->db->conn);
    return hg_err_internal(err, "storage error (%s): %s", what, msg[0] ? msg : "unknown error");
}

char *hg_store_column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    char *p = malloc((size_t)n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, t, (size_t)n);
    p[n] = '\0';
    return p;
}

int hg_store_column_is(sqlite3_stmt *st, int col, const char *have)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    return t && strlen(have) == n && memcmp(t, have, n) == 0;
}

static int exec(sqlite3 *db, const char *sql, hg_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        hg_err_internal(err, "storage error: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void sql_hh(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *p = sqlite3_value_blob(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    sqlite3_result_int64(ctx, keycodec_hash(p ? p : (const unsigned char *)"", (size_t)n));
}

/* d's file in the --data directory. */
static void db_file(const store_db *d, char out[PATH_MAX + 16])
{
    snprintf(out, PATH_MAX + 16, "%s/%s", data_path, d->file);
}

/* Open d->conn. */
static int open_conn(store_db *d, hg_err *err)
{
    sqlite3 *db = NULL;
    /* In memory mode the database is SQLite's own in-memory one: nothing
     * touches a file, and it vanishes with the process. */
    char file[PATH_MAX + 16];
    db_file(d, file);
    const char *path = persistent ? file : ":memory:";
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        hg_err_internal(err, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 10000);
    /* hg_hh(hk): the partition hash the DynamoDB store keys items by, for
     * joins from index entries (which keep hk, not its hash). */
    if (sqlite3_create_function_v2(db, "hg_hh", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                   NULL, sql_hh, NULL, NULL, NULL) != SQLITE_OK) {
        hg_err_internal(err, "cannot open %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    const char *pragmas = persistent
        ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
          "PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;"
        : "PRAGMA temp_store=MEMORY;";
    if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        hg_err_internal(err, "cannot open %s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    d->conn = db;
    return 0;
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    return version;
}

/* 1 when db holds no table, index, view or trigger yet. */
static int has_no_schema(sqlite3 *db)
{
    sqlite3_stmt *st;
    int empty = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
        empty = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
    }
    return empty;
}

/* Bring d's database to its last migration, each step in its own
 * transaction; a database with no schema yet gets d->schema in one. */
static int migrate(store_db *d, hg_err *err)
{
    sqlite3 *db = d->conn;
    int target = d->nmigrations;
    int version = user_version(db);
    if (version > target)
        return hg_err_internal(err, "database schema version %d is newer than this emulator (%d)", version, target);
    while (version < target) {
        if (exec(db, "BEGIN IMMEDIATE", err) != 0) return -1;
        int to = version == 0 && has_no_schema(db) ? target : version + 1;
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", to);
        if (exec(db, to == version + 1 ? d->migrations[version] : d->schema, err) != 0 || exec(db, bump, err) != 0) {
            exec(db, "ROLLBACK", NULL);
            return -1;
        }
        if (exec(db, "COMMIT", err) != 0) return -1;
        version = to;
    }
    return 0;
}

/* A --data directory from before logs.db (hangar.db at versions 3..6 holds
 * the events): make the logs schema and copy them in one transaction, so a
 * crash leaves either nothing done or everything. */
static int copy_old_logs(sqlite3 *logs, hg_err *err)
{
    char main_file[PATH_MAX + 16];
    db_file(&main_db, main_file);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(logs, "ATTACH DATABASE ?1 AS old", -1, &st, NULL) != SQLITE_OK)
        return hg_err_internal(err, "storage error: %s", sqlite3_errmsg(logs));
    sqlite3_bind_text(st, 1, main_file, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return hg_err_internal(err, "storage error: %s", sqlite3_errmsg(logs));
    int ok = exec(logs, "BEGIN IMMEDIATE", err) == 0;
    if (ok && (exec(logs, LOGS_SCHEMA_V1
                   "INSERT INTO main.logs_groups(gid, region, name, created, retention, tags)"
                   "  SELECT gid, region, name, created, retention, tags FROM old.logs_groups;"
                   "INSERT INTO main.logs_streams(sid, gid, name, created, first_ts, last_ts, last_ingest, bytes, seq)"
                   "  SELECT sid, gid, name, created, first_ts, last_ts, last_ingest, bytes, seq FROM old.logs_streams;"
                   "INSERT INTO main.logs_events(eid, gid, sid, ts, ingest, msg)"
                   "  SELECT eid, gid, sid, ts, ingest, msg FROM old.logs_events;"
                   "PRAGMA main.user_version=1;", err) != 0 ||
               exec(logs, "COMMIT", err) != 0)) {
        exec(logs, "ROLLBACK", NULL);
        ok = 0;
    }
    exec(logs, "DETACH DATABASE old", NULL);
    return ok ? 0 : -1;
}

static void close_db(store_db *d)
{
    for (int i = 0; i < d->ncache; i++) {
        sqlite3_finalize(d->cache[i].st);
        free(d->cache[i].sql);
    }
    free(d->cache);
    d->cache = NULL;
    d->ncache = d->acache = 0;
    if (d->conn) sqlite3_close(d->conn);
    d->conn = NULL;
    d->unjournaled = d->streak = 0;
}

int hg_store_init(const char *data_dir, hg_err *err)
{
    /* A connection is only ever used under its mutex, and the allocator
     * statistics would take a global mutex on every malloc. */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* Without it every commit after a b-tree split walks the whole cache,
     * which in memory mode is the whole database (pagecache.c). Too late
     * only when SQLite already runs in this process (some unit tests). */
    hg_pagecache_install();
    if (data_dir) {
        if (mkdir(data_dir, 0755) != 0 && errno != EEXIST)
            return hg_err_internal(err, "cannot create --data directory %s: %s", data_dir, strerror(errno));
        if ((size_t)snprintf(data_path, sizeof data_path, "%s", data_dir) >= sizeof data_path - 16)
            return hg_err_internal(err, "--data path too long");
        persistent = 1;
        snprintf(location, sizeof location, "persistent, SQLite files %s/%s and %s", data_path, main_db.file,
                 logs_db.file);
    } else {
        persistent = 0;
        snprintf(location, sizeof location, "in memory (not persisted; use --data DIR to keep state)");
    }
    if (open_conn(&main_db, err) != 0) return -1;
    if (!persistent) {
        int rc = migrate(&main_db, err);
        if (rc != 0) close_db(&main_db);
        return rc;
    }
    if (open_conn(&logs_db, err) != 0) { close_db(&main_db); return -1; }
    /* Logs first: their step 1 may copy events out of hangar.db, whose
     * step 7 then drops them there. */
    int main_version = user_version(main_db.conn);
    int rc = user_version(logs_db.conn) == 0 && main_version >= 3 && main_version <= 6
        ? copy_old_logs(logs_db.conn, err) : 0;
    if (rc == 0) rc = migrate(&logs_db, err);
    if (rc == 0) rc = migrate(&main_db, err);
    if (rc != 0) {
        close_db(&logs_db);
        close_db(&main_db);
        return -1;
    }
    atomic_store_explicit(&logs_ready, true, memory_order_release);
    return 0;
}

/* The in-memory logs database, made the first time it is asked for. */
static int open_logs(hg_err *err)
{
    if (atomic_load_explicit(&logs_ready, memory_order_acquire)) return 0;
    pthread_mutex_lock(&logs_open_mutex);
    int rc = 0;
    if (!atomic_load_explicit(&logs_ready, memory_order_relaxed)) {
        if (!main_db.conn) rc = hg_err_internal(err, "storage is not open");
        else if ((rc = open_conn(&logs_db, err)) == 0 && (rc = migrate(&logs_db, err)) != 0) close_db(&logs_db);
        if (rc == 0) atomic_store_explicit(&logs_ready, true, memory_order_release);
    }
    pthread_mutex_unlock(&logs_open_mutex);
    return rc;
}

bool hg_store_logs_opened(void) { return atomic_load_explicit(&logs_ready, memory_order_acquire); }

const char *hg_store_location(void) { return location; }

static hg_store *handle_of(store_db *d, hg_store **tls, hg_err *err)
{
    if (*tls) return *tls;
    if (!d->conn) { hg_err_internal(err, "storage is not open"); return NULL; }
    hg_store *s = calloc(1, sizeof *s);
    if (!s) { hg_err_internal(err, "out of memory"); return NULL; }
    s->db = d;
    pthread_mutex_lock(&registry_mutex);
    s->next = registry;
    registry = s;
    pthread_mutex_unlock(&registry_mutex);
    *tls = s;
    return s;
}

hg_store *hg_store_get(hg_err *err) { return handle_of(&main_db, &tls_main, err); }

hg_store *hg_store_get_logs(hg_err *err)
{
    if (!tls_logs && open_logs(err) != 0) return NULL;
    return handle_of(&logs_db, &tls_logs, err);
}

void hg_store_shutdown(void)
{
    pthread_mutex_lock(&registry_mutex);
    hg_store *s = registry;
    registry = NULL;
    pthread_mutex_unlock(&registry_mutex);
    while (s) {
        hg_store *next = s->next;
        free(s);
        s = next;
    }
    tls_main = tls_logs = NULL;
    pthread_mutex_lock(&logs_open_mutex);
    close_db(&logs_db);
    atomic_store_explicit(&logs_ready, false, memory_order_relaxed);
    pthread_mutex_unlock(&logs_open_mutex);
    close_db(&main_db);
}

int64_t hg_store_changes(hg_store *s) { return s->holds > 0 ? sqlite3_changes(s->db->conn) : s->changes; }

int64_t hg_store_last_rowid(hg_store *s)
{
    return s->holds > 0 ? sqlite3_last_insert_rowid(s->db->conn) : s->last_rowid;
}

int hg_store_in_txn(hg_store *s) { return s->in_txn; }

static sqlite3_stmt *cached(store_db *d, const char *sql, hg_err *err)
{
    /* the same address may hold another text by now (a caller's buffer):
     * the text still decides */
    for (int i = 0; i < d->ncache; i++)
        if (d->cache[i].seen == sql && strcmp(d->cache[i].sql, sql) == 0) return d->cache[i].st;
    for (int i = 0; i < d->ncache; i++)
        if (strcmp(d->cache[i].sql, sql) == 0) return d->cache[i].st;
    if (d->ncache == d->acache) {
        int n = d->acache ? d->acache * 2 : 32;
        struct cached_stmt *c = realloc(d->cache, (size_t)n * sizeof *c);
        if (!c) { hg_err_internal(err, "out of memory"); return NULL; }
        d->cache = c;
        d->acache = n;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(d->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        hg_err_internal(err, "storage error (prepare): %s", sqlite3_errmsg(d->conn));
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) { sqlite3_finalize(st); hg_err_internal(err, "out of memory"); return NULL; }
    d->cache[d->ncache].sql = copy;
    d->cache[d->ncache].seen = sql;
    d->cache[d->ncache].st = st;
    d->ncache++;
    return st;
}

/* In memory mode the rollback journal (MEMORY) is turned off for a run
 * of writes that never need undoing (hg_store_stmt_unjournaled) and back
 * on before any other write or transaction (store.h, invariant 6). Each
 * switch prepares its PRAGMA again (SQLite does so every time one runs),
 * which costs about what the journal costs one write: so it goes off only
 * after UNJOURNALED_STREAK such writes in a row, and a mix of writes that
 * alternates stays journaled rather than switching twice per pair.
 * SQLite changes the mode only outside a transaction and answers with
 * the mode in force, which is checked: a refusal must not go unnoticed. */
#define UNJOURNALED_STREAK 8

static int set_journal(store_db *d, int off, hg_err *err)
{
    if (!off) d->streak = 0;
    if (d->unjournaled == off) return 0;
    sqlite3_stmt *st = cached(d, off ? "PRAGMA main.journal_mode=OFF" : "PRAGMA main.journal_mode=MEMORY", err);
    if (!st) return -1;
    const char *mode = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int done = mode && strcmp(mode, off ? "off" : "memory") == 0;
    sqlite3_reset(st);
    if (!done) {
        if (err) hg_err_internal(err, "storage error: cannot turn the rollback journal %s", off ? "off" : "on");
        return -1;
    }
    d->unjournaled = off;
    return 0;
}

sqlite3_stmt *hg_store_stmt(hg_store *s, const char *sql, hg_err *err)
{
    hold(s);
    sqlite3_stmt *st = cached(s->db, sql, err);
    if (st && !persistent && !sqlite3_stmt_readonly(st)) {
        /* only a read transaction can be open with the journal off:
         * begin turned it on for a write one */
        if (s->in_txn && s->db->unjournaled) {
            hg_err_internal(err, "storage error: a write inside a read transaction");
            st = NULL;
        } else if (set_journal(s->db, 0, err) != 0) {
            st = NULL;
        }
    }
    if (!st) release(s);
    return st;
}

sqlite3_stmt *hg_store_stmt_unjournaled(hg_store *s, const char *sql, hg_err *err)
{
    /* inside a transaction it runs as the transaction's other writes do */
    if (persistent || s->in_txn) return hg_store_stmt(s, sql, err);
    hold(s);
    sqlite3_stmt *st = cached(s->db, sql, err);
    if (!st) {
        release(s);
        return NULL;
    }
    store_db *d = s->db;
    if (!d->unjournaled && ++d->streak >= UNJOURNALED_STREAK) {
        d->streak = UNJOURNALED_STREAK;
        set_journal(d, 1, NULL);   /* if it will not turn off, the write runs journaled */
    }
    return st;
}

void hg_store_done(sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3 *conn = sqlite3_db_handle(st);
    hg_store *s = conn == main_db.conn ? tls_main : tls_logs;   /* main's is set before any thread runs */
    int rc = sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!s) return;
    s->changes = sqlite3_changes(conn);
    s->last_rowid = sqlite3_last_insert_rowid(conn);
    if (rc != SQLITE_OK) snprintf(s->last_error, sizeof s->last_error, "%s", sqlite3_errmsg(conn));
    else s->last_error[0] = '\0';
    release(s);
}

/* BEGIN/COMMIT/ROLLBACK as cached statements: they run on every request. */
static int run_control(hg_store *s, const char *sql, hg_err *err)
{
    sqlite3_stmt *st = cached(s->db, sql, err);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        snprintf(s->last_error, sizeof s->last_error, "%s", sqlite3_errmsg(s->db->conn));
        if (err) hg_err_internal(err, "storage error: %s", s->last_error);
        return -1;
    }
    return 0;
}

static int begin(hg_store *s, const char *sql, int writes, hg_err *err)
{
    hold(s);
    if ((writes && set_journal(s->db, 0, err) != 0) || run_control(s, sql, err) != 0) {
        release(s);
        return -1;
    }
    s->in_txn = 1;
    return 0;
}

int hg_store_begin_read(hg_store *s, hg_err *err) { return begin(s, "BEGIN", 0, err); }

int hg_store_begin_write(hg_store *s, hg_err *err) { return begin(s, "BEGIN IMMEDIATE", 1, err); }

static void end_txn(hg_store *s)
{
    s->in_txn = 0;
    /* Bump again once the change is visible (or undone): a reader that
     * cached the old definition between the first bump and the commit
     * must not keep it. */
    if (s->schema_dirty) {
        s->schema_dirty = 0;
        schema_gen++;
    }
    release(s);
}

int hg_store_commit(hg_store *s, hg_err *err)
{
    if (!s->in_txn) return 0;
    int rc = run_control(s, "COMMIT", err);
    if (rc != 0 && !sqlite3_get_autocommit(s->db->conn)) run_control(s, "ROLLBACK", NULL);
    end_txn(s);
    return rc;
}

void hg_store_rollback(hg_store *s)
{
    if (!s->in_txn) return;
    if (!sqlite3_get_autocommit(s->db->conn)) run_control(s, "ROLLBACK", NULL);
    end_txn(s);
}

static int release_one(hg_store *s)
{
    if (!s || (s->holds == 0 && !s->in_txn)) return 0;
    int leaked = s->holds;
    if (s->in_txn) hg_store_rollback(s);
    if (s->holds > 0) {
        s->holds = 0;
        pthread_mutex_unlock(&s->db->mutex);
    }
    return leaked;
}

int hg_store_release_all(hg_store *s)
{
    if (s) return release_one(s);
    return release_one(tls_main) + release_one(tls_logs);
}
