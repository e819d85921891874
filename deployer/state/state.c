/*
 * state.c — the deployer's state in SQLite (see state.h for the invariants).
 *
 * Schema (one database for every stack; WAL so readers never block the
 * writer and a kill loses at most the transaction in flight):
 *   stacks(id, org, project, stack, outputs, fingerprint, updated, secrets_salt)
 *   resources(stack_id, urn, type, name, id, inputs, outputs, deps, protect,
 *             retain, pending)  — rowid keeps the order rows were first written
 *   locks(org, project, stack, pid, host, started)
 *
 * Secrets: every Pulumi secret in inputs, outputs and stack outputs is
 * written in its checkpoint form {sig, "ciphertext": "v1:..."}, encrypted
 * with the passphrase provider (secrets.h) under the stack's salt, which is
 * kept in secrets_salt (as Pulumi keeps it in the deployment's
 * secrets_providers) so any stack can be read back, e.g. through a stack
 * reference, with only the passphrase. The salt is taken from the stack's
 * Pulumi.<stack>.yaml (created there on first use) the first time a secret
 * is written. An output whose same-named input holds a secret is stored as a
 * secret too, as Pulumi's engine does. Reads decrypt unless the caller
 * turned that off (state_set_reveal), so the engine sees plain values.
 *
 * Threads: the engine's workers write steps in parallel through one
 * connection; `mu` serialises them so one step's transaction never swallows
 * another's statements. Other processes are kept apart by SQLite's own
 * locking with a busy timeout.
 */
#include "state.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "hg_time.h"
#include "program.h"      /* the checkpoint signature of secrets */
#include "secrets.h"

struct state_db {
    sqlite3 *sql;
    pthread_mutex_t mu;
    bool reveal;          /* state_stack_get decrypts secrets (default) */
};

static const char SCHEMA[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS stacks("
    "  id INTEGER PRIMARY KEY, org TEXT NOT NULL, project TEXT NOT NULL, stack TEXT NOT NULL,"
    "  outputs TEXT, fingerprint TEXT, updated REAL NOT NULL DEFAULT 0,"
    "  UNIQUE(org, project, stack));"
    "CREATE TABLE IF NOT EXISTS resources("
    "  stack_id INTEGER NOT NULL REFERENCES stacks(id) ON DELETE CASCADE,"
    "  urn TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, id TEXT,"
    "  inputs TEXT, outputs TEXT, deps TEXT, protect INTEGER NOT NULL DEFAULT 0,"
    "  retain INTEGER NOT NULL DEFAULT 0, pending INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE(stack_id, urn));"
    "CREATE TABLE IF NOT EXISTS locks("
    "  org TEXT NOT NULL, project TEXT NOT NULL, stack TEXT NOT NULL,"
    "  pid INTEGER NOT NULL, host TEXT NOT NULL, started REAL NOT NULL,"
    "  PRIMARY KEY(org, project, stack));";

static int sql_fail(state_db *db, hg_err *err, const char *what)
{
    return hg_err_set(err, 500, "StateError", "state database: %s: %s", what, sqlite3_errmsg(db->sql));
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0700) < 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST) return -1;
    return 0;
}

int state_open(const char *home, state_db **out, hg_err *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    *out = NULL;
    if (!home || !*home) home = getenv("HANGAR_HOME");
    if (home && *home) {
        snprintf(dir, sizeof dir, "%s", home);
    } else {
        const char *h = getenv("HOME");
        if (!h || !*h) return hg_err_set(err, 500, "StateError", "neither HANGAR_HOME nor HOME is set");
        snprintf(dir, sizeof dir, "%s/.hangar", h);
    }
    if (mkdir_p(dir) < 0)
        return hg_err_set(err, 500, "StateError", "cannot create %s: %s", dir, strerror(errno));
    if (snprintf(path, sizeof path, "%s/state.db", dir) >= (int)sizeof path)
        return hg_err_set(err, 500, "StateError", "state path too long");

    state_db *db = calloc(1, sizeof *db);
    if (!db) return hg_err_internal(err, "out of memory");
    pthread_mutex_init(&db->mu, NULL);
    if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        hg_err_set(err, 500, "StateError", "cannot open %s: %s", path,
                   db->sql ? sqlite3_errmsg(db->sql) : "out of memory");
        state_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db->sql, 5000);
    if (sqlite3_exec(db->sql, "PRAGMA foreign_keys=ON;", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db->sql, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
        sql_fail(db, err, "creating the schema");
        state_close(db);
        return -1;
    }
    /* databases made before secrets were encrypted lack the salt column */
    sqlite3_stmt *probe = NULL;
    bool has_salt = false;
    if (sqlite3_prepare_v2(db->sql, "SELECT 1 FROM pragma_table_info('stacks') WHERE name='secrets_salt'", -1,
                           &probe, NULL) == SQLITE_OK)
        has_salt = sqlite3_step(probe) == SQLITE_ROW;
    sqlite3_finalize(probe);
    if (!has_salt && sqlite3_exec(db->sql, "ALTER TABLE stacks ADD COLUMN secrets_salt TEXT", NULL, NULL, NULL) !=
                         SQLITE_OK) {
        sql_fail(db, err, "adding the secrets_salt column");
        state_close(db);
        return -1;
    }
    db->reveal = true;
    *out = db;
    return 0;
}

void state_set_reveal(state_db *db, bool reveal)
{
    db->reveal = reveal;
}

/* ---- secrets ------------------------------------------------------------------- */

/* The stack's recorded salt (new string) or NULL. */
static char *salt_of(state_db *db, const char *org, const char *project, const char *stack)
{
    pthread_mutex_lock(&db->mu);
    sqlite3_stmt *st;
    char *salt = NULL;
    if (sqlite3_prepare_v2(db->sql, "SELECT secrets_salt FROM stacks WHERE org=? AND project=? AND stack=?", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            salt = strdup((const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&db->mu);
    return salt;
}

static int record_salt(state_db *db, const char *org, const char *project, const char *stack, const char *salt,
                       hg_err *err)
{
    pthread_mutex_lock(&db->mu);
    sqlite3_stmt *st;
    int ret = 0;
    if (sqlite3_prepare_v2(db->sql, "UPDATE stacks SET secrets_salt=? WHERE org=? AND project=? AND stack=? "
                           "AND secrets_salt IS NULL", -1, &st, NULL) != SQLITE_OK) {
        ret = sql_fail(db, err, "recording the secrets salt");
    } else {
        sqlite3_bind_text(st, 1, salt, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, org, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, project, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, stack, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) ret = sql_fail(db, err, "recording the secrets salt");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&db->mu);
    return ret;
}

/* The crypter for a stack's secrets: its recorded salt, else its stack
 * file's (made there when create), recorded for next time. Not under mu. */
static int stack_crypter(state_db *db, const char *org, const char *project, const char *stack, bool create,
                         const secrets_crypter **c, hg_err *err)
{
    char *salt = salt_of(db, org, project, stack);
    if (salt) {
        int rc = secrets_for_salt(salt, c, err);
        free(salt);
        return rc;
    }
    char *file = secrets_registered_file(project, stack);
    if (!file)
        return hg_err_set(err, 400, "SecretsError", "stack '%s/%s/%s' holds secrets but has no encryption salt "
                          "(run hangar in the project's folder so Pulumi.%s.yaml can provide one)",
                          org, project, stack, stack);
    int rc = secrets_for_stack_file(file, create, c, &salt, err);
    free(file);
    if (rc == 0) rc = record_salt(db, org, project, stack, salt, err);
    free(salt);
    return rc;
}

static bool holds_secret(const cJSON *v)
{
    return secrets_has_plain(v) || secrets_has_sealed(v);
}

/* Outputs to store: a copy where each top-level output whose same-named
 * input holds a secret is itself a secret, then sealed. New object. */
static cJSON *sealed_outputs(const secrets_crypter *c, const cJSON *inputs, const cJSON *outputs, hg_err *err)
{
    cJSON *o = cJSON_Duplicate(outputs, 1);
    if (!o) return NULL;
    for (cJSON *e = o->child; e && cJSON_IsObject(o); e = e->next) {
        if (prog_is_sig(e, PROG_SIG_SECRET) || !e->string) continue;
        if (!holds_secret(cJSON_GetObjectItemCaseSensitive(inputs, e->string))) continue;
        cJSON *w = cJSON_CreateObject(), *inner = cJSON_Duplicate(e, 1);
        if (!w || !inner) { cJSON_Delete(w); cJSON_Delete(inner); continue; }
        cJSON_AddStringToObject(w, PROG_SIG_KEY, PROG_SIG_SECRET);
        cJSON_AddItemToObject(w, "value", inner);
        if (!(w->string = strdup(e->string))) { cJSON_Delete(w); continue; }   /* ViaPointer keeps no key */
        cJSON_ReplaceItemViaPointer(o, e, w);
        e = w;
    }
    if (secrets_seal(c, o, err) < 0) { cJSON_Delete(o); return NULL; }
    return o;
}

/* Decrypt every secret of a stack read from the database. */
static int reveal_stack(state_db *db, state_stack *s, hg_err *err)
{
    bool any = secrets_has_sealed(s->outputs);
    for (int i = 0; i < s->nres && !any; i++)
        any = secrets_has_sealed(s->res[i].inputs) || secrets_has_sealed(s->res[i].outputs);
    if (!any) return 0;
    const secrets_crypter *c;
    if (stack_crypter(db, s->org, s->project, s->stack, false, &c, err) < 0) return -1;
    if (secrets_unseal(c, s->outputs, err) < 0) return -1;
    for (int i = 0; i < s->nres; i++)
        if (secrets_unseal(c, s->res[i].inputs, err) < 0 || secrets_unseal(c, s->res[i].outputs, err) < 0)
            return -1;
    return 0;
}

int state_unseal(state_db *db, const char *org, const char *project, const char *stack, cJSON *v, hg_err *err)
{
    if (!secrets_has_sealed(v)) return 0;
    const secrets_crypter *c;
    if (stack_crypter(db, org, project, stack, false, &c, err) < 0) return -1;
    return secrets_unseal(c, v, err);
}

void state_close(state_db *db)
{
    if (!db) return;
    sqlite3_close(db->sql);
    pthread_mutex_destroy(&db->mu);
    free(db);
}

/* ---- reading ------------------------------------------------------------------- */

static cJSON *parse_or_null(const unsigned char *text)
{
    return text ? cJSON_Parse((const char *)text) : NULL;
}

static void res_release(state_res *r)
{
    free(r->urn); free(r->type); free(r->name); free(r->id);
    cJSON_Delete(r->inputs); cJSON_Delete(r->outputs);
    for (int i = 0; i < r->ndeps; i++) free(r->deps[i]);
    free(r->deps);
}

void state_stack_free(state_stack *s)
{
    if (!s) return;
    for (int i = 0; i < s->nres; i++) res_release(&s->res[i]);
    free(s->res);
    free(s->org); free(s->project); free(s->stack);
    cJSON_Delete(s->outputs);
    free(s->fingerprint);
    free(s);
}

/* The row id of a stack, 0 when absent, -1 on error. Caller holds mu. */
static sqlite3_int64 stack_id(state_db *db, const char *org, const char *project, const char *stack, hg_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "SELECT id FROM stacks WHERE org=? AND project=? AND stack=?", -1, &st,
                           NULL) != SQLITE_OK)
        return sql_fail(db, err, "looking up a stack");
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
    sqlite3_int64 id = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE) id = sql_fail(db, err, "looking up a stack");
    sqlite3_finalize(st);
    return id;
}

static int load_resources(state_db *db, sqlite3_int64 sid, state_stack *s, hg_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql,
                           "SELECT urn,type,name,id,inputs,outputs,deps,protect,retain,pending FROM resources "
                           "WHERE stack_id=? ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, "reading resources");
    sqlite3_bind_int64(st, 1, sid);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->nres == cap) {
            int ncap = cap ? cap * 2 : 8;
            state_res *n = realloc(s->res, (size_t)ncap * sizeof *n);
            if (!n) { sqlite3_finalize(st); return hg_err_internal(err, "out of memory"); }
            s->res = n; cap = ncap;
        }
        state_res *r = &s->res[s->nres++];
        memset(r, 0, sizeof *r);
        r->urn = dup_or_null((const char *)sqlite3_column_text(st, 0));
        r->type = dup_or_null((const char *)sqlite3_column_text(st, 1));
        r->name = dup_or_null((const char *)sqlite3_column_text(st, 2));
        r->id = dup_or_null((const char *)sqlite3_column_text(st, 3));
        r->inputs = parse_or_null(sqlite3_column_text(st, 4));
        r->outputs = parse_or_null(sqlite3_column_text(st, 5));
        cJSON *deps = parse_or_null(sqlite3_column_text(st, 6));
        int nd = cJSON_GetArraySize(deps);
        if (nd > 0) {
            r->deps = calloc((size_t)nd, sizeof *r->deps);
            const cJSON *d;
            cJSON_ArrayForEach(d, deps)
                if (r->deps && cJSON_IsString(d)) r->deps[r->ndeps++] = strdup(d->valuestring);
        }
        cJSON_Delete(deps);
        r->protect = sqlite3_column_int(st, 7) != 0;
        r->retain_on_delete = sqlite3_column_int(st, 8) != 0;
        r->pending = sqlite3_column_int(st, 9) != 0;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(db, err, "reading resources");
    return 0;
}

static int stack_get(state_db *db, const char *org, const char *project, const char *stack, bool reveal,
                     state_stack **out, hg_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&db->mu);
    int ret = -1;
    sqlite3_stmt *st = NULL;
    state_stack *s = NULL;
    if (sqlite3_prepare_v2(db->sql, "SELECT id,outputs,fingerprint,updated FROM stacks "
                           "WHERE org=? AND project=? AND stack=?", -1, &st, NULL) != SQLITE_OK) {
        sql_fail(db, err, "reading a stack");
        goto done;
    }
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) { ret = 1; goto done; }
    if (rc != SQLITE_ROW) { sql_fail(db, err, "reading a stack"); goto done; }
    s = calloc(1, sizeof *s);
    if (!s) { hg_err_internal(err, "out of memory"); goto done; }
    s->org = strdup(org); s->project = strdup(project); s->stack = strdup(stack);
    sqlite3_int64 sid = sqlite3_column_int64(st, 0);
    s->outputs = parse_or_null(sqlite3_column_text(st, 1));
    if (!s->outputs) s->outputs = cJSON_CreateObject();
    s->fingerprint = dup_or_null((const char *)sqlite3_column_text(st, 2));
    s->updated = sqlite3_column_double(st, 3);
    if (load_resources(db, sid, s, err) < 0) goto done;
    ret = 0;
done:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->mu);
    if (ret == 0 && reveal && reveal_stack(db, s, err) < 0) ret = -1;
    if (ret == 0) { *out = s; s = NULL; }
    state_stack_free(s);
    return ret;
}

int state_stack_get(state_db *db, const char *org, const char *project, const char *stack,
                    state_stack **out, hg_err *err)
{
    return stack_get(db, org, project, stack, db->reveal, out, err);
}

int state_stack_create(state_db *db, const char *org, const char *project, const char *stack, hg_err *err)
{
    pthread_mutex_lock(&db->mu);
    sqlite3_stmt *st;
    int ret = 0;
    if (sqlite3_prepare_v2(db->sql, "INSERT OR IGNORE INTO stacks(org,project,stack,outputs) VALUES(?,?,?,'{}')",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = sql_fail(db, err, "creating a stack");
    } else {
        sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) ret = sql_fail(db, err, "creating a stack");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&db->mu);
    return ret;
}

int state_stack_remove(state_db *db, const char *org, const char *project, const char *stack, hg_err *err)
{
    pthread_mutex_lock(&db->mu);
    int ret = 0;
    sqlite3_int64 sid = stack_id(db, org, project, stack, err);
    if (sid < 0) { ret = -1; goto done; }
    if (sid == 0) {
        ret = hg_err_set(err, 404, "StackNotFound", "no stack named '%s/%s/%s'", org, project, stack);
        goto done;
    }
    char sql[160];
    snprintf(sql, sizeof sql, "BEGIN; DELETE FROM resources WHERE stack_id=%lld; DELETE FROM stacks WHERE id=%lld; COMMIT;",
             (long long)sid, (long long)sid);
    if (sqlite3_exec(db->sql, sql, NULL, NULL, NULL) != SQLITE_OK) {
        ret = sql_fail(db, err, "removing a stack");
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    }
done:
    pthread_mutex_unlock(&db->mu);
    return ret;
}

int state_stack_list(state_db *db, char ***names, int *n, hg_err *err)
{
    *names = NULL; *n = 0;
    pthread_mutex_lock(&db->mu);
    sqlite3_stmt *st;
    int ret = 0, cap = 0;
    if (sqlite3_prepare_v2(db->sql, "SELECT org||'/'||project||'/'||stack AS q FROM stacks ORDER BY q", -1, &st,
                           NULL) != SQLITE_OK) {
        ret = sql_fail(db, err, "listing stacks");
        goto done;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            int ncap = cap ? cap * 2 : 8;
            char **nn = realloc(*names, (size_t)ncap * sizeof *nn);
            if (!nn) { rc = SQLITE_NOMEM; break; }
            *names = nn; cap = ncap;
        }
        (*names)[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
    }
    if (rc != SQLITE_DONE) ret = sql_fail(db, err, "listing stacks");
    sqlite3_finalize(st);
done:
    pthread_mutex_unlock(&db->mu);
    return ret;
}

/* ---- per-step writes ------------------------------------------------------------------- */

static char *json_text(const cJSON *v)
{
    return v ? cJSON_PrintUnformatted(v) : NULL;
}

static void bind_owned_text(sqlite3_stmt *st, int i, char *text)
{
    if (text) sqlite3_bind_text(st, i, text, -1, free);
    else sqlite3_bind_null(st, i);
}

int state_res_put(state_db *db, const state_stack *s, const state_res *r, hg_err *err)
{
    cJSON *sealed_in = NULL, *sealed_out = NULL;
    if (holds_secret(r->inputs) || secrets_has_plain(r->outputs)) {
        const secrets_crypter *c;
        if (stack_crypter(db, s->org, s->project, s->stack, true, &c, err) < 0) return -1;
        sealed_in = r->inputs ? cJSON_Duplicate(r->inputs, 1) : cJSON_CreateNull();
        if (!sealed_in || secrets_seal(c, sealed_in, err) < 0 ||
            (r->outputs && !(sealed_out = sealed_outputs(c, r->inputs, r->outputs, err)))) {
            cJSON_Delete(sealed_in);
            cJSON_Delete(sealed_out);
            return hg_err_isset(err) ? -1 : hg_err_internal(err, "out of memory");
        }
    }
    pthread_mutex_lock(&db->mu);
    int ret = 0;
    sqlite3_stmt *st = NULL;
    sqlite3_int64 sid = stack_id(db, s->org, s->project, s->stack, err);
    if (sid <= 0) {
        ret = sid < 0 ? -1 : hg_err_set(err, 404, "StackNotFound", "no stack named '%s/%s/%s'", s->org,
                                        s->project, s->stack);
        goto done;
    }
    if (sqlite3_prepare_v2(db->sql,
                           "INSERT INTO resources(stack_id,urn,type,name,id,inputs,outputs,deps,protect,retain,pending)"
                           " VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(stack_id,urn) DO UPDATE SET"
                           " type=excluded.type, name=excluded.name, id=excluded.id, inputs=excluded.inputs,"
                           " outputs=excluded.outputs, deps=excluded.deps, protect=excluded.protect,"
                           " retain=excluded.retain, pending=excluded.pending", -1, &st, NULL) != SQLITE_OK) {
        ret = sql_fail(db, err, "writing a resource");
        goto done;
    }
    cJSON *deps = cJSON_CreateArray();
    for (int i = 0; i < r->ndeps; i++) cJSON_AddItemToArray(deps, cJSON_CreateString(r->deps[i]));
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_text(st, 2, r->urn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->type ? r->type : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->name ? r->name : "", -1, SQLITE_STATIC);
    if (r->id) sqlite3_bind_text(st, 5, r->id, -1, SQLITE_STATIC); else sqlite3_bind_null(st, 5);
    bind_owned_text(st, 6, json_text(sealed_in ? (r->inputs ? sealed_in : NULL) : r->inputs));
    bind_owned_text(st, 7, json_text(sealed_in ? sealed_out : r->outputs));
    bind_owned_text(st, 8, json_text(deps));
    cJSON_Delete(deps);
    sqlite3_bind_int(st, 9, r->protect);
    sqlite3_bind_int(st, 10, r->retain_on_delete);
    sqlite3_bind_int(st, 11, r->pending);
    if (sqlite3_step(st) != SQLITE_DONE) ret = sql_fail(db, err, "writing a resource");
done:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->mu);
    cJSON_Delete(sealed_in);
    cJSON_Delete(sealed_out);
    return ret;
}

int state_res_delete(state_db *db, const state_stack *s, const char *urn, hg_err *err)
{
    pthread_mutex_lock(&db->mu);
    int ret = 0;
    sqlite3_stmt *st = NULL;
    sqlite3_int64 sid = stack_id(db, s->org, s->project, s->stack, err);
    if (sid <= 0) { ret = sid < 0 ? -1 : 0; goto done; }
    if (sqlite3_prepare_v2(db->sql, "DELETE FROM resources WHERE stack_id=? AND urn=?", -1, &st, NULL) != SQLITE_OK) {
        ret = sql_fail(db, err, "deleting a resource");
        goto done;
    }
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_text(st, 2, urn, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) ret = sql_fail(db, err, "deleting a resource");
done:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->mu);
    return ret;
}

int state_stack_set_outputs(state_db *db, const state_stack *s, const cJSON *outputs,
                            const char *fingerprint, hg_err *err)
{
    cJSON *sealed = NULL;
    if (secrets_has_plain(outputs)) {
        const secrets_crypter *c;
        if (stack_crypter(db, s->org, s->project, s->stack, true, &c, err) < 0) return -1;
        if (!(sealed = cJSON_Duplicate(outputs, 1))) return hg_err_internal(err, "out of memory");
        if (secrets_seal(c, sealed, err) < 0) { cJSON_Delete(sealed); return -1; }
        outputs = sealed;
    }
    pthread_mutex_lock(&db->mu);
    sqlite3_stmt *st;
    int ret = 0;
    if (sqlite3_prepare_v2(db->sql, "UPDATE stacks SET outputs=?, fingerprint=?, updated=? "
                           "WHERE org=? AND project=? AND stack=?", -1, &st, NULL) != SQLITE_OK) {
        ret = sql_fail(db, err, "writing stack outputs");
    } else {
        bind_owned_text(st, 1, json_text(outputs));
        if (fingerprint) sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
        else sqlite3_bind_null(st, 2);
        sqlite3_bind_double(st, 3, hg_time_epoch_ms());
        sqlite3_bind_text(st, 4, s->org, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, s->project, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, s->stack, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) ret = sql_fail(db, err, "writing stack outputs");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&db->mu);
    cJSON_Delete(sealed);
    return ret;
}

/* ---- locks ------------------------------------------------------------------- */

static void this_host(char *host, size_t n)
{
    if (gethostname(host, n) < 0) snprintf(host, n, "localhost");
    host[n - 1] = 0;
}

static bool pid_alive(long pid)
{
    if (pid <= 0) return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static void format_time(double t, char *out, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct lock_row { bool found; long pid; char host[256]; double started; } lock_row;

static int lock_read(state_db *db, const char *org, const char *project, const char *stack, lock_row *row,
                     hg_err *err)
{
    sqlite3_stmt *st;
    memset(row, 0, sizeof *row);
    if (sqlite3_prepare_v2(db->sql, "SELECT pid,host,started FROM locks WHERE org=? AND project=? AND stack=?",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, "reading a lock");
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row->found = true;
        row->pid = (long)sqlite3_column_int64(st, 0);
        snprintf(row->host, sizeof row->host, "%s", (const char *)sqlite3_column_text(st, 1));
        row->started = sqlite3_column_double(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_fail(db, err, "reading a lock");
    return 0;
}

static int lock_delete(state_db *db, const char *org, const char *project, const char *stack)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "DELETE FROM locks WHERE org=? AND project=? AND stack=?", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* A lock whose holder is a dead process on this host protects nothing: a
 * kill -9 during `up` must not stop the next `up` from converging. It is
 * cleared here with a warning on stderr; a live or remote holder refuses. */
int state_lock(state_db *db, const char *org, const char *project, const char *stack, hg_err *err)
{
    char host[256];
    this_host(host, sizeof host);
    pthread_mutex_lock(&db->mu);
    int ret = -1;
    if (sqlite3_exec(db->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        sql_fail(db, err, "locking the stack");
        goto out;
    }
    lock_row row;
    if (lock_read(db, org, project, stack, &row, err) < 0) goto rollback;
    if (row.found) {
        char when[32];
        format_time(row.started, when, sizeof when);
        if (strcmp(row.host, host) != 0 || pid_alive(row.pid)) {
            hg_err_set(err, 409, "StackLocked",
                       "the stack '%s/%s/%s' is locked by another update: pid %ld on host %s, started %s; "
                       "if that process is gone, run `hangar stack unlock --stack %s --force`",
                       org, project, stack, row.pid, row.host, when, stack);
            goto rollback;
        }
        fprintf(stderr, "warning: clearing a stale lock on '%s/%s/%s' left by pid %ld (no longer running), "
                "started %s\n", org, project, stack, row.pid, when);
        if (lock_delete(db, org, project, stack) < 0) { sql_fail(db, err, "clearing a stale lock"); goto rollback; }
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "INSERT INTO locks(org,project,stack,pid,host,started) VALUES(?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        sql_fail(db, err, "locking the stack");
        goto rollback;
    }
    sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
    sqlite3_bind_text(st, 5, host, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 6, hg_time_epoch_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { sql_fail(db, err, "locking the stack"); goto rollback; }
    if (sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sql_fail(db, err, "locking the stack");
        goto rollback;
    }
    ret = 0;
    goto out;
rollback:
    sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
out:
    pthread_mutex_unlock(&db->mu);
    return ret;
}

void state_unlock(state_db *db, const char *org, const char *project, const char *stack)
{
    pthread_mutex_lock(&db->mu);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->sql, "DELETE FROM locks WHERE org=? AND project=? AND stack=? AND pid=?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, stack, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&db->mu);
}

int state_force_unlock(state_db *db, const char *org, const char *project, const char *stack, bool force,
                       hg_err *err)
{
    char host[256];
    this_host(host, sizeof host);
    pthread_mutex_lock(&db->mu);
    int ret = -1;
    lock_row row;
    if (lock_read(db, org, project, stack, &row, err) < 0) goto out;
    if (!row.found) {
        ret = hg_err_set(err, 404, "NotLocked", "the stack '%s/%s/%s' is not locked", org, project, stack);
        goto out;
    }
    bool stale = strcmp(row.host, host) == 0 && !pid_alive(row.pid);
    if (!stale && !force) {
        char when[32];
        format_time(row.started, when, sizeof when);
        ret = hg_err_set(err, 409, "StackLocked",
                         "the stack '%s/%s/%s' is locked by pid %ld on host %s (started %s), which %s; "
                         "pass --force to clear it anyway", org, project, stack, row.pid, row.host, when,
                         strcmp(row.host, host) ? "runs on another host" : "is still running");
        goto out;
    }
    if (lock_delete(db, org, project, stack) < 0) { sql_fail(db, err, "clearing a lock"); goto out; }
    ret = 0;
out:
    pthread_mutex_unlock(&db->mu);
    return ret;
}

/* ---- export / import ------------------------------------------------------------------- */

static char *stack_urn(const char *project, const char *stack)
{
    size_t n = strlen(project) * 2 + strlen(stack) * 2 + 64;
    char *u = malloc(n);
    if (u) snprintf(u, n, "urn:pulumi:%s::%s::pulumi:pulumi:Stack::%s-%s", stack, project, project, stack);
    return u;
}

int state_export(state_db *db, const char *org, const char *project, const char *stack, cJSON **out, hg_err *err)
{
    *out = NULL;
    state_stack *s;
    int rc = stack_get(db, org, project, stack, false, &s, err);   /* secrets stay encrypted */
    if (rc < 0) return -1;
    if (rc == 1) return hg_err_set(err, 404, "StackNotFound", "no stack named '%s/%s/%s'", org, project, stack);

    char when[32], qname[512];
    format_time(s->updated ? s->updated : hg_time_epoch(), when, sizeof when);
    snprintf(qname, sizeof qname, "%s/%s/%s", org, project, stack);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "version", 3);
    cJSON *cp = cJSON_AddObjectToObject(doc, "checkpoint");
    cJSON_AddStringToObject(cp, "stack", qname);
    cJSON *latest = cJSON_AddObjectToObject(cp, "latest");
    cJSON *man = cJSON_AddObjectToObject(latest, "manifest");
    cJSON_AddStringToObject(man, "time", when);
    cJSON_AddStringToObject(man, "magic", "");
    cJSON_AddStringToObject(man, "version", "hangar " HANGAR_VERSION);
    char *salt = salt_of(db, org, project, stack);
    if (salt) {   /* as Pulumi's deployment records its secrets provider */
        cJSON *sp = cJSON_AddObjectToObject(latest, "secrets_providers");
        cJSON_AddStringToObject(sp, "type", "passphrase");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(sp, "state"), "salt", salt);
        free(salt);
    }
    cJSON *arr = cJSON_AddArrayToObject(latest, "resources");

    /* Pulumi keeps stack outputs on the root pulumi:pulumi:Stack resource. */
    char *surn = stack_urn(project, stack);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "urn", surn ? surn : "");
    cJSON_AddBoolToObject(root, "custom", 0);
    cJSON_AddStringToObject(root, "type", "pulumi:pulumi:Stack");
    cJSON_AddItemToObject(root, "outputs", cJSON_Duplicate(s->outputs, 1));
    cJSON_AddItemToArray(arr, root);
    for (int i = 0; i < s->nres; i++) {
        const state_res *r = &s->res[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "urn", r->urn);
        cJSON_AddBoolToObject(o, "custom", 1);
        if (r->id) cJSON_AddStringToObject(o, "id", r->id);
        cJSON_AddStringToObject(o, "type", r->type);
        cJSON_AddItemToObject(o, "inputs", r->inputs ? cJSON_Duplicate(r->inputs, 1) : cJSON_CreateObject());
        cJSON_AddItemToObject(o, "outputs", r->outputs ? cJSON_Duplicate(r->outputs, 1) : cJSON_CreateObject());
        if (surn) cJSON_AddStringToObject(o, "parent", surn);
        cJSON *deps = cJSON_AddArrayToObject(o, "dependencies");
        for (int d = 0; d < r->ndeps; d++) cJSON_AddItemToArray(deps, cJSON_CreateString(r->deps[d]));
        if (r->protect) cJSON_AddBoolToObject(o, "protect", 1);
        if (r->retain_on_delete) cJSON_AddBoolToObject(o, "retainOnDelete", 1);
        if (r->pending) cJSON_AddBoolToObject(o, "pending", 1);
        cJSON_AddItemToArray(arr, o);
    }
    free(surn);
    state_stack_free(s);
    *out = doc;
    return 0;
}

/* The name part of a URN (after the last "::"). */
static const char *urn_name(const char *urn)
{
    const char *p = urn, *q;
    while ((q = strstr(p, "::"))) p = q + 2;
    return p;
}

int state_import(state_db *db, const char *org, const char *project, const char *stack, const cJSON *checkpoint,
                 hg_err *err)
{
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(checkpoint, "checkpoint");
    const cJSON *latest = cJSON_GetObjectItemCaseSensitive(cp, "latest");
    if (!latest) latest = cJSON_GetObjectItemCaseSensitive(checkpoint, "deployment"); /* `pulumi stack export` */
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(latest, "resources");
    if (!cJSON_IsArray(arr))
        return hg_err_validation(err, "not a Pulumi v3 checkpoint: expected checkpoint.latest.resources "
                                      "(or deployment.resources)");
    /* Check everything before touching the stack. */
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        const cJSON *urn = cJSON_GetObjectItemCaseSensitive(o, "urn");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
        if (!cJSON_IsString(urn) || !cJSON_IsString(type))
            return hg_err_validation(err, "checkpoint resource without a string urn and type");
    }
    state_stack key = {.org = (char *)org, .project = (char *)project, .stack = (char *)stack};
    state_stack *old;
    int rc = stack_get(db, org, project, stack, false, &old, err);
    if (rc < 0) return -1;
    state_stack_free(old);
    if (rc == 0 && state_stack_remove(db, org, project, stack, err) < 0) return -1;
    if (state_stack_create(db, org, project, stack, err) < 0) return -1;
    /* encrypted values keep the salt they were made under */
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(latest, "secrets_providers");
    const cJSON *salt = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sp, "state"), "salt");
    const char *sp_type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(sp, "type"));
    if (cJSON_IsString(salt) && sp_type && !strcmp(sp_type, "passphrase") &&
        record_salt(db, org, project, stack, salt->valuestring, err) < 0)
        return -1;
    const cJSON *outputs = NULL;
    cJSON_ArrayForEach(o, arr) {
        const char *type = cJSON_GetObjectItemCaseSensitive(o, "type")->valuestring;
        if (!strcmp(type, "pulumi:pulumi:Stack")) {
            outputs = cJSON_GetObjectItemCaseSensitive(o, "outputs");
            continue;
        }
        if (!strncmp(type, "pulumi:providers:", 17)) continue;   /* default providers are implicit here */
        state_res r = {0};
        r.urn = cJSON_GetObjectItemCaseSensitive(o, "urn")->valuestring;
        r.type = (char *)type;
        r.name = (char *)urn_name(r.urn);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        r.id = cJSON_IsString(id) ? id->valuestring : NULL;
        r.inputs = cJSON_GetObjectItemCaseSensitive(o, "inputs");
        r.outputs = cJSON_GetObjectItemCaseSensitive(o, "outputs");
        const cJSON *deps = cJSON_GetObjectItemCaseSensitive(o, "dependencies"), *d;
        char *dv[256];
        cJSON_ArrayForEach(d, deps)
            if (cJSON_IsString(d) && r.ndeps < 256) dv[r.ndeps++] = d->valuestring;
        r.deps = dv;
        r.protect = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "protect"));
        r.retain_on_delete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "retainOnDelete"));
        r.pending = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "pending"));
        if (state_res_put(db, &key, &r, err) < 0) return -1;
    }
    cJSON *empty = cJSON_CreateObject();
    rc = state_stack_set_outputs(db, &key, cJSON_IsObject(outputs) ? outputs : empty, NULL, err);
    cJSON_Delete(empty);
    return rc;
}
