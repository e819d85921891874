/*
 * store.h — SQLite storage: the only module that speaks SQL.
 *
 * Invariants:
 *   1. Two databases for the whole process: the services' (DIR/hangar.db)
 *      and CloudWatch Logs' (DIR/logs.db) with --data, else two of SQLite's
 *      own in-memory databases, gone with the process. Logs have their own
 *      so that writing every invocation's log lines never holds up a request.
 *   2. One connection per database, serialized by its mutex. A thread
 *      holds it from hg_store_stmt to hg_store_done and from begin to
 *      commit/rollback (nesting counts per thread, so a thread may take
 *      statements inside its own transaction). SQL runs for microseconds;
 *      parsing, expressions and JSON run outside the mutex, in parallel.
 *      One connection means a warm page cache that no other connection's
 *      commit invalidates, and no file lock per transaction.
 *   3. Holding a connection is never combined with waiting for another
 *      thread: a thread in a transaction or between stmt and done does not
 *      block on anything but SQLite (and, holding the services' database,
 *      on the logs' one — never the other way round).
 *   4. A write transaction is BEGIN IMMEDIATE under that mutex, so a
 *      read-check-write sequence is atomic.
 *   5. With --data: journal mode WAL, synchronous=NORMAL: a write
 *      acknowledged to a client has been committed to the WAL file, which
 *      survives kill -9 of the process.
 *   6. In memory, every transaction and every write runs with SQLite's
 *      rollback journal, except a statement taken with
 *      hg_store_stmt_unjournaled outside a transaction: such a statement
 *      has nothing to undo, and without the journal's copy of each page
 *      it changes a plain PutItem runs 13-16 % faster. The journal goes off after
 *      eight of them in a row and back on before any other write or any
 *      transaction (store.c, set_journal).
 *
 * Service-specific SQL lives beside this file (ddb_store.c for DynamoDB),
 * behind functions that speak in keys and JSON, never in SQL.
 */
#ifndef HG_STORE_H
#define HG_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
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

/* This thread's handle on the services' database / the logs' database,
 * made on first use; NULL (with err) on failure. In memory the logs
 * database itself is made by the first hg_store_get_logs (store.c says
 * why); hg_store_logs_opened tells whether it has been, for tests. */
hg_store *hg_store_get(hg_err *err);
hg_store *hg_store_get_logs(hg_err *err);
bool hg_store_logs_opened(void);

/* Transactions. A read transaction gives a consistent snapshot for
 * multi-statement reads (Query pages, BatchGet, TransactGet). */
int  hg_store_begin_read(hg_store *s, hg_err *err);
int  hg_store_begin_write(hg_store *s, hg_err *err);
int  hg_store_commit(hg_store *s, hg_err *err);
void hg_store_rollback(hg_store *s);   /* safe to call when no transaction is open */

/* After a request: give back whatever this thread still holds (NULL = both
 * of this thread's handles). Returns how many holds were leaked — a bug in the
 * caller, which the server logs. */
int hg_store_release_all(hg_store *s);

/* Schema generation: a counter bumped whenever any table definition changes
 * (and again when the changing transaction ends), so per-thread caches of
 * table definitions know when to drop what they hold. */
uint64_t hg_store_schema_gen(void);

/* ---- for the store module's own files only ------------------------------------------------- */
/* A cached prepared statement for sql (reset, bindings cleared). Borrowed:
 * hand it back with hg_store_done(). */
sqlite3_stmt *hg_store_stmt(hg_store *s, const char *sql, hg_err *err);
/* The same, for a write of at most one row that can fail only before it
 * changes anything (a constraint): SQLite cannot undo an unjournaled one
 * halfway, so one that runs out of memory in the middle of a b-tree
 * change is the one case left in which it may stay half made. */
sqlite3_stmt *hg_store_stmt_unjournaled(hg_store *s, const char *sql, hg_err *err);
void hg_store_done(sqlite3_stmt *st);
/* What the last statement this thread handed back changed / inserted. */
int64_t hg_store_changes(hg_store *s);
int64_t hg_store_last_rowid(hg_store *s);
int  hg_store_in_txn(hg_store *s);
/* Record that this transaction changed a table definition. */
void hg_store_schema_changed(hg_store *s);
/* Turn the last SQLite error into an InternalServerError. */
int hg_store_fail(hg_store *s, hg_err *err, const char *what);
/* Text column col of st's current row: a malloc'd copy (caller frees; NULL
 * when out of memory), or whether it is exactly `have`. */
char *hg_store_column_dup(sqlite3_stmt *st, int col);
int  hg_store_column_is(sqlite3_stmt *st, int col, const char *have);

/* pagecache.c: SQLite's page cache: pages by number for in-memory
 * databases, the default cache without the truncates that would drop
 * nothing for files (see there). Install before SQLite initializes; -1 if
 * it is too late. For tests: hg_pagecache_skipped counts the truncates the
 * file cache saved; hg_pagecache_refuse_spans(true) makes the in-memory
 * cache's index allocations fail, as when memory runs out, and
 * hg_pagecache_spans_refused counts them. */
int hg_pagecache_install(void);
unsigned long long hg_pagecache_skipped(void);
void hg_pagecache_refuse_spans(bool on);
unsigned long long hg_pagecache_spans_refused(void);

#endif
