/* apigw_store.c — API Gateway's SQL; see apigw_store.h for the model. */
#include "apigw_store.h"

#include <stdlib.h>
#include <string.h>

static void bind4(sqlite3_stmt *st, const char *region, const char *api_id, const char *kind, const char *id)
{
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, api_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
}

int apigw_store_get(hg_store *s, const char *region, const char *api_id, const char *kind,
                    const char *id, char **doc, char **aux, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "SELECT doc, aux FROM apigw_objects WHERE region=? AND api_id=? AND kind=? AND id=?", err);
    if (!st) return -1;
    bind4(st, region, api_id, kind, id);
    if (doc) *doc = NULL;
    if (aux) *aux = NULL;
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        ret = 0;
        if (doc && !(*doc = hg_store_column_dup(st, 0))) ret = hg_err_internal(err, "out of memory");
        if (ret == 0 && aux && sqlite3_column_type(st, 1) != SQLITE_NULL && !(*aux = hg_store_column_dup(st, 1)))
            ret = hg_err_internal(err, "out of memory");
        if (ret != 0 && doc) { free(*doc); *doc = NULL; }
    } else if (rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "find API Gateway object");
    }
    hg_store_done(st);
    return ret;
}

int apigw_store_get_unless(hg_store *s, const char *region, const char *api_id, const char *kind,
                           const char *id, const char *have_doc, char **doc, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "SELECT doc FROM apigw_objects WHERE region=? AND api_id=? AND kind=? AND id=?", err);
    if (!st) return -1;
    bind4(st, region, api_id, kind, id);
    *doc = NULL;
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        if (have_doc && hg_store_column_is(st, 0, have_doc)) ret = 2;
        else if (!(*doc = hg_store_column_dup(st, 0))) ret = hg_err_internal(err, "out of memory");
        else ret = 0;
    } else if (rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "find API Gateway object");
    }
    hg_store_done(st);
    return ret;
}

int apigw_store_get_member(hg_store *s, const char *region, const char *api_id, const char *kind,
                           const char *id, const char *path, char **out, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "SELECT json_extract(doc, ?5) FROM apigw_objects WHERE region=?1 AND api_id=?2 AND kind=?3 AND id=?4", err);
    if (!st) return -1;
    bind4(st, region, api_id, kind, id);
    sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
    *out = NULL;
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        ret = 0;
        if (sqlite3_column_type(st, 0) != SQLITE_NULL && !(*out = hg_store_column_dup(st, 0)))
            ret = hg_err_internal(err, "out of memory");
    } else if (rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "read API Gateway object");
    }
    hg_store_done(st);
    return ret;
}

int apigw_store_put(hg_store *s, const char *region, const char *api_id, const char *kind,
                    const char *id, const char *doc, const char *aux, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "INSERT OR REPLACE INTO apigw_objects(region, api_id, kind, id, doc, aux) VALUES(?,?,?,?,?,?)", err);
    if (!st) return -1;
    bind4(st, region, api_id, kind, id);
    sqlite3_bind_text(st, 5, doc, -1, SQLITE_STATIC);
    if (aux) sqlite3_bind_text(st, 6, aux, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 6);
    int rc = sqlite3_step(st);
    hg_store_done(st);
    return rc == SQLITE_DONE ? 0 : hg_store_fail(s, err, "save API Gateway object");
}

int apigw_store_delete(hg_store *s, const char *region, const char *api_id, const char *kind,
                       const char *id, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "DELETE FROM apigw_objects WHERE region=? AND api_id=? AND kind=? AND id=?", err);
    if (!st) return -1;
    bind4(st, region, api_id, kind, id);
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, "delete API Gateway object");
    return hg_store_changes(s) == 0 ? 1 : 0;
}

int apigw_store_delete_api(hg_store *s, const char *region, const char *api_id, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM apigw_objects WHERE region=? AND api_id=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, api_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, "delete REST API");
    return hg_store_changes(s) == 0 ? 1 : 0;
}

int apigw_store_list(hg_store *s, const char *region, const char *api_id, const char *kind,
                     char ***docs, int *count, hg_err *err)
{
    *docs = NULL;
    *count = 0;
    sqlite3_stmt *st = hg_store_stmt(s, api_id
        ? "SELECT doc FROM apigw_objects WHERE region=? AND kind=? AND api_id=? ORDER BY id"
        : "SELECT doc FROM apigw_objects WHERE region=? AND kind=? ORDER BY id", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    if (api_id) sqlite3_bind_text(st, 3, api_id, -1, SQLITE_STATIC);
    char **out = NULL;
    int n = 0, cap = 0, rc, ret = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int ncap = cap ? cap * 2 : 16;
            char **grown = realloc(out, (size_t)ncap * sizeof *grown);
            if (!grown) { ret = hg_err_internal(err, "out of memory"); break; }
            out = grown;
            cap = ncap;
        }
        if (!(out[n] = hg_store_column_dup(st, 0))) { ret = hg_err_internal(err, "out of memory"); break; }
        n++;
    }
    if (ret == 0 && rc != SQLITE_DONE) ret = hg_store_fail(s, err, "list API Gateway objects");
    hg_store_done(st);
    if (ret != 0) { apigw_store_list_free(out, n); return -1; }
    *docs = out;
    *count = n;
    return 0;
}

void apigw_store_list_free(char **docs, int count)
{
    for (int i = 0; i < count; i++) free(docs[i]);
    free(docs);
}
