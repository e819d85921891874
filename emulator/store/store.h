/*
 * store.h — SQLite storage: the only module that speaks SQL.
 *
 * Invariants:
 *   1. One database for the whole process: DIR/hangar.db with --data, else a
 *      private file on tmpfs (/dev/shm, or $TMPDIR) removed at exit — state
 *      then lives in memory, yet every connection shares it with the same
 *      WAL semantics as the persistent mode, so there is one code path.
 *   2. One connection per thread (thread-local, opened on first use, closed
 *      by hg_store_shutdown). A connection is never used by two threads.
 *   3. Journal mode WAL: readers never wait for writers.
 *   4. Writers hold the process-wide write mutex from hg_store_begin_write to
 *      commit/rollback, and inside it BEGIN IMMEDIATE, so a read-check-write
 *      sequence is atomic and writers never spin on SQLITE_BUSY.
 *   5. synchronous=NORMAL with --data: a write acknowledged to a client has
 *      been committed to the WAL file, which survives kill -9 of the process.
 *
 * Service-specific SQL lives beside this file (ddb_store.c for DynamoDB),
 * behind functions that speak in keys and JSON, never in SQL.
 */
#ifndef HG_STORE_H
#define HG_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include "hg_error.h"

typedef struct hg_store hg_store;

/* Open (creating and migrating) the database. data_dir NULL = in memory.
 * Call once before threads start. */
int  hg_store_init(const char *data_dir, hg_err *err);
void hg_store_shutdown(void);
/* A short description of where state lives, for the start-up line. */
const char *hg_store_location(void);

/* This thread's connection, opened on first use; NULL (with err) on failure. */
hg_store *hg_store_get(hg_err *err);

/* Transactions. A read transaction gives a consistent snapshot for
 * multi-statement reads (Query pages, BatchGet, TransactGet). */
int  hg_store_begin_read(hg_store *s, hg_err *err);
int  hg_store_begin_write(hg_store *s, hg_err *err);
int  hg_store_commit(hg_store *s, hg_err *err);
void hg_store_rollback(hg_store *s);   /* safe to call when no transaction is open */

/* Schema generation: a counter bumped whenever any table definition changes
 * (and again when the changing transaction ends), so per-thread caches of
 * table definitions know when to drop what they hold. */
uint64_t hg_store_schema_gen(void);

/* ---- for the store module's own files only ------------------------------------------------- */
/* A cached prepared statement for sql (reset, bindings cleared). Borrowed:
 * hand it back with hg_store_done(). */
sqlite3_stmt *hg_store_stmt(hg_store *s, const char *sql, hg_err *err);
void hg_store_done(sqlite3_stmt *st);
sqlite3 *hg_store_db(hg_store *s);
/* Record that this transaction changed a table definition. */
void hg_store_schema_changed(hg_store *s);
/* Turn the last SQLite error into an InternalServerError. */
int hg_store_fail(hg_store *s, hg_err *err, const char *what);

#endif
