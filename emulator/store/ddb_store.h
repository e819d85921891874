/*
 * ddb_store.h — DynamoDB's storage, in keys and JSON (the SQL is in ddb_store.c).
 *
 * A table is a row of ddb_tables (region, name, and its description as JSON
 * text, owned by the dynamodb module) with a numeric tid; items are rows of
 * ddb_items keyed by (tid, hh, hk, rk) — hh the partition hash of hk, the
 * rest keycodec encodings, so key order is scan order — holding the item as
 * JSON text; secondary indexes are rows of ddb_index_items (tid, iid, ihk,
 * irk, hk, rk) pointing back at the item. The dynamodb module decides what
 * goes into an index; this module only stores and orders.
 *
 * Returned strings are malloc'd unless said otherwise: caller frees.
 * "Missing" is not an error: lookups return 1 for not found, 0 for found.
 */
#ifndef DDB_STORE_H
#define DDB_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "store.h"

typedef struct ddb_blob { const unsigned char *p; size_t n; } ddb_blob;

/* ---- tables ---------------------------------------------------------- */
/* Insert a new table; 1 if (region, name) exists already. */
int ddb_store_table_create(hg_store *s, const char *region, const char *name, const char *desc,
                           int64_t *tid, hg_err *err);
/* Find a table: 0 found (*desc malloc'd, may pass NULL), 1 missing. */
int ddb_store_table_find(hg_store *s, const char *region, const char *name, int64_t *tid,
                         char **desc, hg_err *err);
int ddb_store_table_save(hg_store *s, int64_t tid, const char *desc, hg_err *err);
/* Remove the table, its items and index entries. */
int ddb_store_table_drop(hg_store *s, int64_t tid, hg_err *err);
/* Names in region after `after` (NULL = from the start), ascending, at most
 * limit. *names is a malloc'd array of malloc'd strings; free with
 * ddb_store_names_free. */
int ddb_store_table_names(hg_store *s, const char *region, const char *after, int limit,
                          char ***names, int *count, hg_err *err);
void ddb_store_names_free(char **names, int count);
/* Every table in every region (for the TTL sweeper): parallel arrays. */
int ddb_store_table_all(hg_store *s, int64_t **tids, char ***regions, char ***names, int *count, hg_err *err);
/* Item count and total stored size of a table (or of an index when iid > 0). */
int ddb_store_table_stats(hg_store *s, int64_t tid, int64_t iid, int64_t *items, int64_t *bytes, hg_err *err);

/* ---- items ----------------------------------------------------------- */
/* 0 found (*json malloc'd), 1 missing. */
int ddb_store_item_get(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, char **json, hg_err *err);
/* Insert or replace. size is the item's DynamoDB size (for stats). */
int ddb_store_item_put(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, uint32_t hh,
                       const char *json, size_t size, hg_err *err);
/* Insert only when no item has this key: 0 inserted, 1 one was already
 * there (nothing written), -1 error. One statement, so the check and the
 * write are atomic without a transaction. */
int ddb_store_item_insert(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, uint32_t hh,
                          const char *json, size_t size, hg_err *err);
int ddb_store_item_delete(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, hg_err *err);

/* ---- secondary-index entries ------------------------------------------ */
int ddb_store_index_put(hg_store *s, int64_t tid, int64_t iid, ddb_blob ihk, ddb_blob irk, uint32_t ihh,
                        ddb_blob hk, ddb_blob rk, hg_err *err);
/* Remove every index entry of the base item (hk, rk), all indexes. */
int ddb_store_index_delete_item(hg_store *s, int64_t tid, ddb_blob hk, ddb_blob rk, hg_err *err);
/* Remove all entries of one index (DeleteTable's GSI deletion). */
int ddb_store_index_drop(hg_store *s, int64_t tid, int64_t iid, hg_err *err);

/* ---- ordered reads: Query and Scan ------------------------------------ */
/* What to read. iid 0 = the base table, else a secondary index.
 * Query: has_hk with the partition; optional bounds on the sort key.
 * Scan: no hk; optional hash range [hh_lo, hh_hi] for parallel segments.
 * Resume: has_after = continue strictly after this position, which is
 * (hk, rk) on the base table and (ihk, irk, hk, rk) on an index (for a scan
 * the position's hash is needed too: after_hh). Order: Query by sort key
 * (then base key on indexes), backward if asked; Scan by (hash, key). */
typedef struct ddb_range {
    int64_t  tid, iid;
    int      has_hk;   ddb_blob hk;
    int      has_lo, lo_incl; ddb_blob lo;
    int      has_hi, hi_incl; ddb_blob hi;
    int      backward;
    int      has_hh;   uint32_t hh_lo, hh_hi;
    int      has_after;
    uint32_t after_hh;
    ddb_blob after_ihk, after_irk;   /* index position (iid > 0) */
    ddb_blob after_hk, after_rk;     /* base position */
} ddb_range;

typedef struct ddb_cursor ddb_cursor;
int  ddb_store_cursor_open(hg_store *s, const ddb_range *r, ddb_cursor **out, hg_err *err);
/* 1 = a row (*json borrowed, valid until the next call), 0 = done. */
int  ddb_store_cursor_next(ddb_cursor *c, const char **json, size_t *len, hg_err *err);
void ddb_store_cursor_close(ddb_cursor *c);

/* ---- idempotency tokens (TransactWriteItems ClientRequestToken) ------- */
/* 0 found (*digest, *response malloc'd), 1 missing. Tokens older than
 * max_age_s are treated as missing and purged. */
int ddb_store_token_get(hg_store *s, const char *region, const char *token, double max_age_s,
                        char **digest, char **response, hg_err *err);
int ddb_store_token_put(hg_store *s, const char *region, const char *token, const char *digest,
                        const char *response, hg_err *err);

#endif
