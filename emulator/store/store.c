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
#include <unistd.h>
#include "hg_log.h"

struct hg_store {
    sqlite3 *db;
    int in_write;                 /* holds the write mutex */
    int in_txn;
    int schema_dirty;             /* this transaction changed a table definition */
    /* Prepared statements by SQL text. Grows, never evicts: a statement may
     * be in use by an open cursor, and the services build a bounded number
     * of query shapes, so the cache stays small. */
    struct cached_stmt { char *sql; sqlite3_stmt *st; } *cache;
    int ncache, acache;
    hg_store *next;               /* registry, for shutdown */
};

static char db_path[PATH_MAX];
static char tmp_dir[PATH_MAX];      /* non-empty when in memory mode */
static char location[PATH_MAX + 64];
static int persistent;
static pthread_mutex_t write_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t registry_mutex = PTHREAD_MUTEX_INITIALIZER;
static hg_store *registry;
static _Thread_local hg_store *tls_store;
static _Atomic uint64_t schema_gen = 1;

uint64_t hg_store_schema_gen(void) { return schema_gen; }

void hg_store_schema_changed(hg_store *s)
{
    schema_gen++;
    s->schema_dirty = 1;
}

/* Schema migrations: entry i moves the database from user_version i to i+1.
 * Append only; never edit a released step. */
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
};

int hg_store_fail(hg_store *s, hg_err *err, const char *what)
{
    return hg_err_internal(err, "storage error (%s): %s", what, s && s->db ? sqlite3_errmsg(s->db) : "no database");
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

static int open_conn(sqlite3 **out, hg_err *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        hg_err_internal(err, "cannot open %s: %s", db_path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 10000);
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA temp_store=MEMORY;"
             "PRAGMA cache_size=-8000;",
             persistent ? "NORMAL" : "OFF");
    if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) { hg_err_internal(err, "cannot open %s: %s", db_path, sqlite3_errmsg(db)); sqlite3_close(db); return -1; }
    *out = db;
    return 0;
}

static int migrate(sqlite3 *db, hg_err *err)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    int target = (int)(sizeof migrations / sizeof migrations[0]);
    if (version > target)
        return hg_err_internal(err, "database schema version %d is newer than this emulator (%d)", version, target);
    for (int v = version; v < target; v++) {
        char bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version=%d;", v + 1);
        if (exec(db, "BEGIN IMMEDIATE", err) != 0) return -1;
        if (exec(db, migrations[v], err) != 0 || exec(db, bump, err) != 0) {
            exec(db, "ROLLBACK", NULL);
            return -1;
        }
        if (exec(db, "COMMIT", err) != 0) return -1;
    }
    return 0;
}

int hg_store_init(const char *data_dir, hg_err *err)
{
    /* Connections are never shared between threads (invariant 2), and the
     * allocator statistics would take a global mutex on every malloc. */
    sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (data_dir) {
        if (mkdir(data_dir, 0755) != 0 && errno != EEXIST)
            return hg_err_internal(err, "cannot create --data directory %s: %s", data_dir, strerror(errno));
        if ((size_t)snprintf(db_path, sizeof db_path, "%s/hangar.db", data_dir) >= sizeof db_path)
            return hg_err_internal(err, "--data path too long");
        persistent = 1;
        snprintf(location, sizeof location, "persistent, SQLite file %s", db_path);
    } else {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        snprintf(tmp_dir, sizeof tmp_dir, "%s/hangar-XXXXXX", base);
        if (!mkdtemp(tmp_dir)) return hg_err_internal(err, "cannot create a temporary directory in %s", base);
        if ((size_t)snprintf(db_path, sizeof db_path, "%s/hangar.db", tmp_dir) >= sizeof db_path)
            return hg_err_internal(err, "temporary path too long");
        persistent = 0;
        snprintf(location, sizeof location, "in memory (not persisted; use --data DIR to keep state)");
    }
    hg_store *s = hg_store_get(err);
    if (!s) return -1;
    return migrate(s->db, err);
}

const char *hg_store_location(void) { return location; }

hg_store *hg_store_get(hg_err *err)
{
    if (tls_store) return tls_store;
    hg_store *s = calloc(1, sizeof *s);
    if (!s) { hg_err_internal(err, "out of memory"); return NULL; }
    if (open_conn(&s->db, err) != 0) { free(s); return NULL; }
    pthread_mutex_lock(&registry_mutex);
    s->next = registry;
    registry = s;
    pthread_mutex_unlock(&registry_mutex);
    tls_store = s;
    return s;
}

static void close_conn(hg_store *s)
{
    for (int i = 0; i < s->ncache; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache[i].sql);
    }
    free(s->cache);
    sqlite3_close(s->db);
    free(s);
}

void hg_store_shutdown(void)
{
    pthread_mutex_lock(&registry_mutex);
    hg_store *s = registry;
    registry = NULL;
    pthread_mutex_unlock(&registry_mutex);
    while (s) {
        hg_store *next = s->next;
        close_conn(s);
        s = next;
    }
    tls_store = NULL;
    if (tmp_dir[0]) {
        const char *suffixes[] = { "", "-wal", "-shm" };
        for (int i = 0; i < 3; i++) {
            char p[PATH_MAX + 8];
            snprintf(p, sizeof p, "%s%s", db_path, suffixes[i]);
            unlink(p);
        }
        rmdir(tmp_dir);
        tmp_dir[0] = '\0';
    }
}

sqlite3 *hg_store_db(hg_store *s) { return s->db; }

sqlite3_stmt *hg_store_stmt(hg_store *s, const char *sql, hg_err *err)
{
    for (int i = 0; i < s->ncache; i++)
        if (strcmp(s->cache[i].sql, sql) == 0) return s->cache[i].st;
    if (s->ncache == s->acache) {
        int n = s->acache ? s->acache * 2 : 32;
        struct cached_stmt *c = realloc(s->cache, (size_t)n * sizeof *c);
        if (!c) { hg_err_internal(err, "out of memory"); return NULL; }
        s->cache = c;
        s->acache = n;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        hg_store_fail(s, err, "prepare");
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) { sqlite3_finalize(st); hg_err_internal(err, "out of memory"); return NULL; }
    s->cache[s->ncache].sql = copy;
    s->cache[s->ncache].st = st;
    s->ncache++;
    return st;
}

void hg_store_done(sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

int hg_store_begin_read(hg_store *s, hg_err *err)
{
    if (exec(s->db, "BEGIN", err) != 0) return -1;
    s->in_txn = 1;
    return 0;
}

int hg_store_begin_write(hg_store *s, hg_err *err)
{
    pthread_mutex_lock(&write_mutex);
    s->in_write = 1;
    if (exec(s->db, "BEGIN IMMEDIATE", err) != 0) {
        s->in_write = 0;
        pthread_mutex_unlock(&write_mutex);
        return -1;
    }
    s->in_txn = 1;
    return 0;
}

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
    if (s->in_write) {
        s->in_write = 0;
        pthread_mutex_unlock(&write_mutex);
    }
}

int hg_store_commit(hg_store *s, hg_err *err)
{
    int rc = exec(s->db, "COMMIT", err);
    if (rc != 0) exec(s->db, "ROLLBACK", NULL);
    end_txn(s);
    return rc;
}

void hg_store_rollback(hg_store *s)
{
    if (!s->in_txn) return;
    exec(s->db, "ROLLBACK", NULL);
    end_txn(s);
}
