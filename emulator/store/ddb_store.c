/* ddb_store.c — DynamoDB's SQL; see ddb_store.h for the model. */
#include "ddb_store.h"
#include "hg_time.h"
#include "keycodec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The partition hash items are keyed by (see migration 6 in store.c). */
static int64_t hash_of(ddb_blob hk)
{
    return keycodec_hash(hk.n ? (const unsigned char *)hk.p : (const unsigned char *)"", hk.n);
}

static void bind_blob(sqlite3_stmt *st, int i, ddb_blob b)
{
    /* a zero-length blob must still bind as a blob, not NULL */
    sqlite3_bind_blob(st, i, b.n ? (const void *)b.p : (const void *)"", (int)b.n, SQLITE_STATIC);
}

/* Run a statement expected to produce no rows. Hands st back. */
static int run(hg_store *s, sqlite3_stmt *st, hg_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, what);
    return 0;
}

/* ---- tables ---------------------------------------------------------- */

int ddb_store_table_create(hg_store *s, const char *region, const char *name, const char *desc,
                           int64_t *tid, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "INSERT OR IGNORE INTO ddb_tables(region, name, desc) VALUES(?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, desc, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, "create table");
    if (hg_store_changes(s) == 0) return 1;
    *tid = hg_store_last_rowid(s);
    hg_store_schema_changed(s);
    return 0;
}

int ddb_store_table_find(hg_store *s, const char *region, const char *name, int64_t *tid,
                         char **desc, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT tid, desc FROM ddb_tables WHERE region=? AND name=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        if (tid) *tid = sqlite3_column_int64(st, 0);
        ret = 0;
        if (desc && !(*desc = hg_store_column_dup(st, 1))) ret = hg_err_internal(err, "out of memory");
    } else if (rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "find table");
    }
    hg_store_done(st);
    return ret;
}

int ddb_store_table_save(hg_store *s, int64_t tid, const char *desc, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "UPDATE ddb_tables SET desc=? WHERE tid=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, desc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, tid);
    hg_store_schema_changed(s);
    return run(s, st, err, "save table");
}

int ddb_store_table_drop(hg_store *s, int64_t tid, hg_err *err)
{
    static const char *const sql[] = {
        "DELETE FROM ddb_index_items WHERE tid=?",
        "DELETE FROM ddb_items WHERE tid=?",
        "DELETE FROM ddb_tables WHERE tid=?",
    };
    hg_store_schema_changed(s);
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
        sqlite3_stmt *st = hg_store_stmt(s, sql[i], err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, tid);
        if (run(s, st, err, "drop table") != 0) return -1;
    }
    return 0;
}

void ddb_store_names_free(char **names, int count)
{
    if (!names) return;
    for (int i = 0; i < count; i++) free(names[i]);
    free(names);
}

int ddb_store_table_names(hg_store *s, const char *region, const char *after, int limit,
                          char ***names, int *count, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT name FROM ddb_tables WHERE region=? AND name>? ORDER BY name LIMIT ?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    char **v = NULL;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char **nv = realloc(v, (size_t)(n + 1) * sizeof *v);
        char *name = hg_store_column_dup(st, 0);
        if (!nv || !name) { free(name); if (nv) v = nv; hg_store_done(st); ddb_store_names_free(v, n); return hg_err_internal(err, "out of memory"); }
        v = nv;
        v[n++] = name;
    }
    hg_store_done(st);
    if (rc != SQLITE_DONE) { ddb_store_names_free(v, n); return hg_store_fail(s, err, "list tables"); }
    *names = v;
    *count = n;
    return 0;
}

int ddb_store_table_all(hg_store *s, int64_t **tids, char ***regions, char ***names, int *count, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT tid, region, name FROM ddb_tables ORDER BY tid", err);
    if (!st) return -1;
    int64_t *t = NULL;
    char **r = NULL, **nm = NULL;
    int n = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *nt = realloc(t, (size_t)(n + 1) * sizeof *t);
        if (nt) t = nt;
        char **nr = realloc(r, (size_t)(n + 1) * sizeof *r);
        if (nr) r = nr;
        char **nn = realloc(nm, (size_t)(n + 1) * sizeof *nm);
        if (nn) nm = nn;
        if (!nt || !nr || !nn) { rc = SQLITE_NOMEM; break; }
        t[n] = sqlite3_column_int64(st, 0);
        r[n] = hg_store_column_dup(st, 1);
        nm[n] = hg_store_column_dup(st, 2);
        n++;
    }
    hg_store_done(st);
    if (rc != SQLITE_DONE) {
        free(t); ddb_store_names_free(r, n); ddb_store_names_free(nm, n);
        return hg_store_fail(s, err, "list all tables");
    }
    *tids = t; *regions = r; *names = nm; *count = n;
    return 0;
}

int ddb_store_table_stats(hg_store *s, int64_t tid, int64_t iid, int64_t *items, int64_t *bytes, hg_err *err)
{
    const char *sql = iid == 0
        ? "SELECT count(*), coalesce(sum(size),0) FROM ddb_items WHERE tid=?1"
        : "SELECT count(*), coalesce(sum(i.size),0) FROM ddb_index_items x JOIN ddb_items i"
          " ON i.tid=x.tid AND i.hh=hg_hh(x.hk) AND i.hk=x.hk AND i.rk=x.rk WHERE x.tid=?1 AND x.iid=?2";
    sqlite3_stmt *st = hg_store_stmt(s, sql, err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, tid);
    if (iid) sqlite3_bind_int64(st, 2, iid);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *items = sqlite3_column_int64(st, 0);
        *bytes = sqlite3_column_int64(st, 1);
    }
    hg_store_done(st);
    return rc == SQLITE_ROW ? 0 : hg_store_fail(s, err, "table stats");
}

/* ---- items ----------------------------------------------------------- */

int ddb_store_item_get(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, char **json, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT item FROM ddb_items WHERE tid=? AND hh=? AND hk=? AND rk=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, tid);
    sqlite3_bind_int64(st, 2, hash_of(hk));
    bind_blob(st, 3, hk);
    bind_blob(st, 4, rk);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        ret = 0;
        if (!(*json = hg_store_column_dup(st, 0))) ret = hg_err_internal(err, "out of memory");
    } else if (rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "get item");
    }
    hg_store_done(st);
    return ret;
}

/* Write the item row with sql (INSERT OR REPLACE / OR IGNORE): one row,
 * and no constraint left that could fail it halfway, so outside a
 * transaction it needs no rollback journal (store.h, invariant 6). */
static int write_item(hg_store *s, const char *sql, int64_t tid, ddb_blob hk, ddb_blob rk, uint32_t hh,
                      const char *json, size_t size, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt_unjournaled(s, sql, err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, tid);
    bind_blob(st, 2, hk);
    bind_blob(st, 3, rk);
    sqlite3_bind_int64(st, 4, hh);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)size);
    sqlite3_bind_text(st, 6, json, -1, SQLITE_STATIC);
    return run(s, st, err, "write item");
}

int ddb_store_item_put(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, uint32_t hh,
                       const char *json, size_t size, hg_err *err)
{
    return write_item(s, "INSERT OR REPLACE INTO ddb_items(tid, hk, rk, hh, size, item) VALUES(?,?,?,?,?,?)",
                      tid, hk, rk, hh, json, size, err);
}

int ddb_store_item_insert(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, uint32_t hh,
                          const char *json, size_t size, hg_err *err)
{
    if (write_item(s, "INSERT OR IGNORE INTO ddb_items(tid, hk, rk, hh, size, item) VALUES(?,?,?,?,?,?)",
                   tid, hk, rk, hh, json, size, err) != 0) return -1;
    return hg_store_changes(s) == 0 ? 1 : 0;
}

int ddb_store_item_delete(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM ddb_items WHERE tid=? AND hh=? AND hk=? AND rk=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, tid);
    sqlite3_bind_int64(st, 2, hash_of(hk));
    bind_blob(st, 3, hk);
    bind_blob(st, 4, rk);
    return run(s, st, err, "delete item");
}

/* ---- index entries ----------------------------------------------------- */

int ddb_store_index_put(hg_store *s, int64_t tid, int64_t iid, ddb_blob ihk, ddb_blob irk, uint32_t ihh,
                        ddb_blob hk, ddb_blob rk, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "INSERT OR REPLACE INTO ddb_index_items(tid, iid, ihk, irk, ihh, hk, rk) VALUES(?,?,?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, tid);
    sqlite3_bind_int64(st, 2, iid);
    bind_blob(st, 3, ihk);
    bind_blob(st, 4, irk);
    sqlite3_bind_int64(st, 5, ihh);
    bind_blob(st, 6, hk);
    bind_blob(st, 7, rk);
    return run(s, st, err, "put index entry");
}

int ddb_store_index_delete_item(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM ddb_index_items WHERE tid=? AND hk=? AND rk=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, tid);
    bind_blob(st, 2, hk);
    bind_blob(st, 3, rk);
    return run(s, st, err, "delete index entries");
}

int ddb_store_index_drop(hg_store *s, int64_t tid, int64_t iid, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM ddb_index_items WHERE tid=? AND iid=?", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, tid);
    sqlite3_bind_int64(st, 2, iid);
    return run(s, st, err, "drop index");
}

/* ---- cursors ---------------------------------------------------------- */

struct ddb_cursor {
    hg_store *s;
    sqlite3_stmt *st;
};

/* The SQL of a range is built from its shape only (which parts are present),
 * so the statement cache holds one statement per shape. Parameters are bound
 * by name, in the same order the clauses are added. */
int ddb_store_cursor_open(hg_store *s, const ddb_range *r, ddb_cursor **out, hg_err *err)
{
    char sql[1024];
    int idx = r->iid != 0;
    const char *k = idx ? "x.irk" : "i.rk";
    const char *dir = r->backward ? "DESC" : "ASC";
    int n;
    if (idx)
        n = snprintf(sql, sizeof sql,
                     "SELECT i.item FROM ddb_index_items x JOIN ddb_items i"
                     " ON i.tid=x.tid AND i.hh=hg_hh(x.hk) AND i.hk=x.hk AND i.rk=x.rk"
                     " WHERE x.tid=:tid AND x.iid=:iid");
    else
        n = snprintf(sql, sizeof sql, "SELECT i.item FROM ddb_items i WHERE i.tid=:tid");
    char *p = sql + n;
    size_t left = sizeof sql - (size_t)n;
#define ADD(...) do { int m_ = snprintf(p, left, __VA_ARGS__); p += m_; left -= (size_t)m_; } while (0)
    if (r->has_hk) ADD(idx ? " AND x.ihk=:hk" : " AND i.hh=:hkh AND i.hk=:hk");
    if (r->has_lo) ADD(" AND %s %s :lo", k, r->lo_incl ? ">=" : ">");
    if (r->has_hi) ADD(" AND %s %s :hi", k, r->hi_incl ? "<=" : "<");
    if (r->has_hh) ADD(" AND %s BETWEEN :hhlo AND :hhhi", idx ? "x.ihh" : "i.hh");
    const char *cmp = r->backward ? "<" : ">";
    if (r->has_hk) {
        /* Query: order by sort key, then (index) base key */
        if (r->has_after) {
            if (idx) ADD(" AND (x.irk, x.hk, x.rk) %s (:airk, :ahk, :ark)", cmp);
            else ADD(" AND i.rk %s :ark", cmp);
        }
        if (idx) ADD(" ORDER BY x.irk %s, x.hk %s, x.rk %s", dir, dir, dir);
        else ADD(" ORDER BY i.rk %s", dir);
    } else {
        /* Scan: order by partition hash, then key */
        if (r->has_after) {
            if (idx) ADD(" AND (x.ihh, x.ihk, x.irk, x.hk, x.rk) > (:ahh, :aihk, :airk, :ahk, :ark)");
            else ADD(" AND (i.hh, i.hk, i.rk) > (:ahh, :ahk, :ark)");
        }
        if (idx) ADD(" ORDER BY x.ihh, x.ihk, x.irk, x.hk, x.rk");
        else ADD(" ORDER BY i.hh, i.hk, i.rk");
    }
#undef ADD
    sqlite3_stmt *st = hg_store_stmt(s, sql, err);
    if (!st) return -1;
#define BIND_BLOB(name, b) do { int i_ = sqlite3_bind_parameter_index(st, name); if (i_) bind_blob(st, i_, b); } while (0)
#define BIND_INT(name, v)  do { int i_ = sqlite3_bind_parameter_index(st, name); if (i_) sqlite3_bind_int64(st, i_, v); } while (0)
    BIND_INT(":tid", r->tid);
    BIND_INT(":iid", r->iid);
    BIND_BLOB(":hk", r->hk);
    BIND_INT(":hkh", r->has_hk ? hash_of(r->hk) : 0);
    BIND_BLOB(":lo", r->lo);
    BIND_BLOB(":hi", r->hi);
    BIND_INT(":hhlo", r->hh_lo);
    BIND_INT(":hhhi", r->hh_hi);
    BIND_INT(":ahh", r->after_hh);
    BIND_BLOB(":aihk", r->after_ihk);
    BIND_BLOB(":airk", r->after_irk);
    BIND_BLOB(":ahk", r->after_hk);
    BIND_BLOB(":ark", r->after_rk);
#undef BIND_BLOB
#undef BIND_INT
    ddb_cursor *c = malloc(sizeof *c);
    if (!c) { hg_store_done(st); return hg_err_internal(err, "out of memory"); }
    c->s = s;
    c->st = st;
    *out = c;
    return 0;
}

int ddb_store_cursor_next(ddb_cursor *c, const char **json, size_t *len, hg_err *err)
{
    int rc = sqlite3_step(c->st);
    if (rc == SQLITE_ROW) {
        *json = (const char *)sqlite3_column_text(c->st, 0);
        *len = (size_t)sqlite3_column_bytes(c->st, 0);
        return 1;
    }
    if (rc == SQLITE_DONE) return 0;
    return hg_store_fail(c->s, err, "read items");
}

void ddb_store_cursor_close(ddb_cursor *c)
{
    if (!c) return;
    hg_store_done(c->st);
    free(c);
}

/* ---- idempotency tokens ----------------------------------------------- */

int ddb_store_token_get(hg_store *s, const char *region, const char *token, double max_age_s,
                        char **digest, char **response, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT digest, response, created FROM ddb_tokens WHERE region=? AND token=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW && hg_time_epoch() - sqlite3_column_double(st, 2) <= max_age_s) {
        *digest = hg_store_column_dup(st, 0);
        *response = hg_store_column_dup(st, 1);
        ret = 0;
        if (!*digest || !*response) {
            free(*digest); free(*response);
            ret = hg_err_internal(err, "out of memory");
        }
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "get token");
    }
    hg_store_done(st);
    return ret;
}

int ddb_store_token_put(hg_store *s, const char *region, const char *token, const char *digest,
                        const char *response, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "INSERT OR REPLACE INTO ddb_tokens(region, token, digest, response, created) VALUES(?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, token, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, response, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, hg_time_epoch());
    return run(s, st, err, "put token");
}
