/* lambda_store.c — Lambda's SQL; see lambda_store.h for the model. */
#include "lambda_store.h"

#include <stdlib.h>
#include <string.h>

/* Run a statement expected to produce no rows; 1 when it changed nothing. */
static int run(hg_store *s, sqlite3_stmt *st, hg_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    hg_store_done(st);
    if (rc != SQLITE_DONE) return hg_store_fail(s, err, what);
    return hg_store_changes(s) == 0 ? 1 : 0;
}

static void bind_code(sqlite3_stmt *st, int i, const void *code, size_t len)
{
    if (code) sqlite3_bind_blob64(st, i, code, len, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

int lambda_store_get(hg_store *s, const char *region, const char *name,
                     char **config, char **priv, hg_err *err)
{
    return lambda_store_get_unless(s, region, name, NULL, NULL, config, priv, err);
}

int lambda_store_get_unless(hg_store *s, const char *region, const char *name,
                            const char *have_config, const char *have_priv,
                            char **config, char **priv, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT config, priv FROM lambda_functions WHERE region=? AND name=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret = 1;
    if (config) *config = NULL;
    if (priv) *priv = NULL;
    if (rc == SQLITE_ROW && have_config && have_priv && hg_store_column_is(st, 0, have_config) && hg_store_column_is(st, 1, have_priv)) {
        ret = 2;
    } else if (rc == SQLITE_ROW) {
        ret = 0;
        if (config && !(*config = hg_store_column_dup(st, 0))) ret = hg_err_internal(err, "out of memory");
        if (ret == 0 && priv && !(*priv = hg_store_column_dup(st, 1))) ret = hg_err_internal(err, "out of memory");
        if (ret != 0 && config) { free(*config); *config = NULL; }
    } else if (rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "find function");
    }
    hg_store_done(st);
    return ret;
}

int lambda_store_in_transaction(hg_store *s)
{
    return hg_store_in_txn(s);
}

int lambda_store_create(hg_store *s, const char *region, const char *name, const char *config,
                        const char *priv, const void *code, size_t code_len, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s,
        "INSERT OR IGNORE INTO lambda_functions(region, name, config, priv, code) VALUES(?,?,?,?,?)", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, config, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, priv, -1, SQLITE_STATIC);
    bind_code(st, 5, code, code_len);
    return run(s, st, err, "create function");
}

int lambda_store_update(hg_store *s, const char *region, const char *name, const char *config,
                        const char *priv, int set_code, const void *code, size_t code_len, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, set_code
        ? "UPDATE lambda_functions SET config=?, priv=?, code=? WHERE region=? AND name=?"
        : "UPDATE lambda_functions SET config=?, priv=? WHERE region=? AND name=?", err);
    if (!st) return -1;
    int i = 1;
    sqlite3_bind_text(st, i++, config, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i++, priv, -1, SQLITE_STATIC);
    if (set_code) bind_code(st, i++, code, code_len);
    sqlite3_bind_text(st, i++, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i, name, -1, SQLITE_STATIC);
    return run(s, st, err, "update function");
}

int lambda_store_delete(hg_store *s, const char *region, const char *name, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "DELETE FROM lambda_functions WHERE region=? AND name=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    return run(s, st, err, "delete function");
}

int lambda_store_code(hg_store *s, const char *region, const char *name,
                      void **code, size_t *len, hg_err *err)
{
    sqlite3_stmt *st = hg_store_stmt(s, "SELECT code FROM lambda_functions WHERE region=? AND name=?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    *code = NULL;
    *len = 0;
    int rc = sqlite3_step(st), ret = 1;
    if (rc == SQLITE_ROW) {
        ret = 0;
        if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
            const void *p = sqlite3_column_blob(st, 0);
            int n = sqlite3_column_bytes(st, 0);
            void *copy = malloc(n > 0 ? (size_t)n : 1);
            if (!copy) ret = hg_err_internal(err, "out of memory");
            else {
                if (n > 0) memcpy(copy, p, (size_t)n);
                *code = copy;
                *len = (size_t)n;
            }
        }
    } else if (rc != SQLITE_DONE) {
        ret = hg_store_fail(s, err, "read function code");
    }
    hg_store_done(st);
    return ret;
}

void lambda_store_list_free(char **configs, int count)
{
    if (!configs) return;
    for (int i = 0; i < count; i++) free(configs[i]);
    free(configs);
}

int lambda_store_list(hg_store *s, const char *region, const char *after, int limit,
                      char ***configs, int *count, hg_err *err)
{
    *configs = NULL;
    *count = 0;
    sqlite3_stmt *st = hg_store_stmt(s,
        "SELECT config FROM lambda_functions WHERE region=? AND name>? ORDER BY name LIMIT ?", err);
    if (!st) return -1;
    sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    char **out = NULL;
    int n = 0, cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int ncap = cap ? cap * 2 : 16;
            char **grown = realloc(out, (size_t)ncap * sizeof *grown);
            if (!grown) goto oom;
            out = grown;
            cap = ncap;
        }
        if (!(out[n] = hg_store_column_dup(st, 0))) goto oom;
        n++;
    }
    hg_store_done(st);
    if (rc != SQLITE_DONE) {
        lambda_store_list_free(out, n);
        return hg_store_fail(s, err, "list functions");
    }
    *configs = out;
    *count = n;
    return 0;
oom:
    hg_store_done(st);
    lambda_store_list_free(out, n);
    return hg_err_internal(err, "out of memory");
}
