/* iam_store.c — IAM's SQL; see iam_store.h for the model. */
#include "iam_store.h"

#include <stdlib.h>
#include <string.h>

int iam_store_role_get(hg_store *s, const char *name, char **doc, hg_err *err)
{
    *doc = NULL;
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT doc FROM iam_roles WHERE name=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        *doc = strdup(t ? (const char *)t : "{}");
    }
    hg_store_done(st);
    if (rc == SQLITE_DONE) return 1;
    if (rc != SQLITE_ROW) return hg_store_fail(s, err, "get role");
    return *doc ? 0 : hg_err_internal(err, "out of memory");
}

int iam_store_role_put(hg_store *s, const char *name, const char *doc, int create, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, create ? "INSERT OR IGNORE INTO iam_roles(name, doc) VALUES(?,?)"
                                               : "INSERT OR REPLACE INTO iam_roles(name, doc) VALUES(?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, doc, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, "put role");
    return create && hg_store_changes(s) == 0 ? 1 : 0;
}

int iam_store_role_delete(hg_store *s, const char *name, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM iam_roles WHERE name=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, "delete role");
    return hg_store_changes(s) == 0 ? 1 : 0;
}

int iam_store_role_each(hg_store *s, int (*visit)(void *ctx, const char *doc), void *ctx, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT doc FROM iam_roles ORDER BY name", err);
    if (!st) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        if (visit(ctx, t ? (const char *)t : "{}")) { rc = SQLITE_DONE; break; }
    }
    hg_store_done(st);
    return rc == SQLITE_DONE ? 0 : hg_store_fail(s, err, "list roles");
}
