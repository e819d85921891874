/*
 * ddb.h — the DynamoDB service's internal umbrella header.
 *
 * Module map (one file per op group):
 *   service.c   JSON 1.0 protocol glue: X-Amz-Target -> op, error bodies, crc32
 *   ops.c       the op table (sorted by name; a unit test checks it)
 *   table.c     table descriptions, key extraction, item read/write with
 *               index maintenance, consumed-capacity arithmetic
 *   write.c     the single-item write engine (conditions, updates, upkeep)
 *   tables.c    CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable
 *   items.c     PutItem, GetItem, UpdateItem, DeleteItem
 *   query.c     Query, Scan
 *   batch.c     BatchGetItem, BatchWriteItem
 *   transact.c  TransactWriteItems, TransactGetItems
 *   ttl.c       Update/DescribeTimeToLive and the expiry sweeper
 *   misc.c      tags, continuous backups, DescribeLimits, DescribeEndpoints
 *   number.c attr.c expr_*.c   the value model and expression languages
 *
 * Every op has the signature ddb_op_fn: it reads the request object `in`
 * (which it may canonicalise in place), fills the response object `out`, or
 * fails with an hg_err (code = the AWS error name). Errors that carry more
 * than a message (ConditionalCheckFailed's Item, TransactionCanceled's
 * CancellationReasons) put the extra members into ctx->err_extra.
 * Ops are reachable from HTTP (service.c) and in-process (ddb_call), with the
 * same validation.
 */
#ifndef DDB_H
#define DDB_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "attr.h"
#include "ddb_store.h"
#include "hg_buf.h"
#include "hg_error.h"

typedef struct ddb_ctx {
    const char *region;     /* borrowed */
    const char *account;    /* borrowed */
    hg_store   *store;      /* this thread's connection */
    cJSON      *err_extra;  /* NULL, or an object merged into the error body (owned by the caller of the op) */
} ddb_ctx;

typedef int (*ddb_op_fn)(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);

typedef struct ddb_op {
    const char *name;       /* "PutItem" */
    ddb_op_fn   fn;
    bool        reads_only; /* changes nothing stored: running it twice looks like once */
} ddb_op;

extern const ddb_op ddb_ops[];
extern const int ddb_nops;
const ddb_op *ddb_op_find(const char *name);

/* ddb_call, the in-process entry, is declared in the public dynamodb.h. */
#include "dynamodb.h"

/* Error helpers: the codes DynamoDB uses. */
#define ddb_err_not_found(err, ...) hg_err_set((err), 400, "ResourceNotFoundException", __VA_ARGS__)
#define ddb_err_in_use(err, ...)    hg_err_set((err), 400, "ResourceInUseException", __VA_ARGS__)
#define ddb_err_condition(err)      hg_err_set((err), 400, "ConditionalCheckFailedException", "The conditional request failed")

/* ---- request field helpers (service-level type checks) ---------------- */
/* Optional string member: NULL if absent; SerializationException if not a string. */
int ddb_get_string(const cJSON *in, const char *key, const char **out, hg_err *err);
/* Required string member: ValidationException naming it if absent/empty. */
int ddb_need_string(const cJSON *in, const char *key, const char **out, hg_err *err);
/* Optional object / array / bool / integer members, with type checks. */
int ddb_get_object(const cJSON *in, const char *key, cJSON **out, hg_err *err);
int ddb_get_array(const cJSON *in, const char *key, cJSON **out, hg_err *err);
int ddb_get_bool(const cJSON *in, const char *key, bool dflt, bool *out, hg_err *err);
int ddb_get_int(const cJSON *in, const char *key, int64_t min, int64_t max, int64_t dflt,
                int64_t *out, bool *present, hg_err *err);
/* Table name rules: 3..255 chars of [a-zA-Z0-9_.-]. Also accepts a table ARN
 * of this region/account (DynamoDB allows ARNs in TableName). */
int ddb_check_table_name(const char *name, const char *field, hg_err *err);

/* ---- tables --------------------------------------------------------------- */

typedef struct ddb_keydef {
    const char *name;        /* NULL when absent (no sort key); borrowed from desc */
    ddb_type    type;        /* DDB_T_S, DDB_T_N or DDB_T_B */
} ddb_keydef;

typedef enum ddb_proj { DDB_PROJ_ALL, DDB_PROJ_KEYS_ONLY, DDB_PROJ_INCLUDE } ddb_proj;

typedef struct ddb_index {
    const char *name;        /* borrowed from desc */
    int64_t     iid;         /* stable id within the table, > 0 */
    bool        local;       /* LSI (true) or GSI */
    ddb_keydef  hash, range;
    ddb_proj    proj;
    const cJSON *nonkey;     /* INCLUDE's NonKeyAttributes (array of strings), borrowed */
    cJSON       *desc;       /* the index's object inside the table desc, borrowed */
} ddb_index;

typedef struct ddb_table {
    int64_t     tid;
    const char *name;        /* borrowed from desc */
    ddb_keydef  hash, range;
    ddb_index  *indexes;     /* owned array */
    int         nindexes;
    cJSON      *desc;        /* owned: the stored TableDescription (plus private "_" members) */
    int         refs;        /* holders: the caller, and the thread's cache when cached */
    bool        shared;      /* from the cache: read-only, never saved */
} ddb_table;

/* Load a table by name (or ARN). Missing -> ResourceNotFoundException
 * "Requested resource not found: Table: <name> not found" (DescribeTable
 * wording) or "Requested resource not found" (data-plane wording) as
 * selected by data_plane. Release with ddb_table_free.
 * data_plane opens come from a per-thread cache (invalidated by the store's
 * schema generation) and are read-only: never change their desc or save
 * them. Control-plane opens (data_plane false) are private copies that may
 * be changed and saved. */
int  ddb_table_open(ddb_ctx *ctx, const char *name, bool data_plane, ddb_table **out, hg_err *err);
/* Build the ddb_table view of a description; takes ownership of desc on success. */
int  ddb_table_from_desc(cJSON *desc, int64_t tid, ddb_table **out, hg_err *err);
void ddb_table_free(ddb_table *t);
/* Persist t->desc (after the caller changed it) and rebuild the view. */
int  ddb_table_save(ddb_ctx *ctx, ddb_table *t, hg_err *err);
const ddb_index *ddb_table_index(const ddb_table *t, const char *name);
/* Is attr one of the table's key attributes (or, with idx, the index's)? */
bool ddb_is_table_key(const ddb_table *t, const char *attr);

/* ---- keys ----------------------------------------------------------------- */

typedef struct ddb_key {
    hg_buf   hk, rk;         /* keycodec encodings; rk empty without a sort key */
    uint32_t hh;             /* keycodec_hash(hk) */
} ddb_key;

void ddb_key_init(ddb_key *k);
void ddb_key_release(ddb_key *k);
/* Same partition key / same whole primary key (of one table's keys). */
bool ddb_key_same_partition(const ddb_key *a, const ddb_key *b);
bool ddb_key_equal(const ddb_key *a, const ddb_key *b);
static inline ddb_blob ddb_key_hk(const ddb_key *k) { return (ddb_blob){ (const unsigned char *)k->hk.data, k->hk.len }; }
static inline ddb_blob ddb_key_rk(const ddb_key *k) { return (ddb_blob){ (const unsigned char *)k->rk.data, k->rk.len }; }

/* From a Key parameter (exactly the key attributes): errors "The provided key
 * element does not match the schema". */
int ddb_key_from_keyparam(const ddb_table *t, const cJSON *key, ddb_key *out, hg_err *err);
/* From an item: errors "One or more parameter values were invalid: Missing
 * the key id in the item", "... Type mismatch for key id expected: S actual: N",
 * empty key values, key sizes. */
int ddb_key_from_item(const ddb_table *t, const cJSON *item, ddb_key *out, hg_err *err);
/* A new object with just the table's key attributes of item (and, when idx is
 * given, the index's key attributes too) — for LastEvaluatedKey. */
cJSON *ddb_key_json(const ddb_table *t, const ddb_index *idx, const cJSON *item);
/* Encode an index key of item: 0 = item is in the index (ihk/irk/ihh set),
 * 1 = not in it (sparse: a key attribute missing or of another type). */
int ddb_index_key(const ddb_index *ix, const cJSON *item, hg_buf *ihk, hg_buf *irk, uint32_t *ihh, hg_err *err);

/* ---- items ---------------------------------------------------------------- */

/* Read the item at key: *item is a new object (caller frees) or NULL if missing. */
int ddb_item_read(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, cJSON **item, hg_err *err);
/* The item as stored: JSON text exactly as a write printed it (caller
 * frees), or NULL when there is none. For answers that show it whole. */
int ddb_item_read_text(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, char **text, hg_err *err);
/* Write new_item (size: its ddb_item_size) at key only if no item is there:
 * 0 written, 1 one was (nothing changed), -1 error. Tables without
 * secondary indexes only (an index entry would need the write's own
 * transaction). */
int ddb_item_insert(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, const cJSON *new_item, size_t size,
                    hg_err *err);
/* Write the item at key (new_item NULL = delete), keeping every secondary
 * index in step. old_item is what is there now (NULL if nothing);
 * new_size is ddb_item_size(new_item), which every caller has already. Call
 * inside hg_store_begin_write. If index_units is non-NULL (t->nindexes
 * entries) the write units each index consumed are added to it. */
int ddb_item_write(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, const cJSON *old_item,
                   const cJSON *new_item, size_t new_size, double *index_units, hg_err *err);
/* Project an item for an index (KEYS_ONLY/INCLUDE/ALL). New object. */
cJSON *ddb_index_project(const ddb_table *t, const ddb_index *ix, const cJSON *item);

/* ---- consumed capacity ---------------------------------------------------- */

typedef enum ddb_cap_mode { DDB_CAP_NONE, DDB_CAP_TOTAL, DDB_CAP_INDEXES } ddb_cap_mode;
int    ddb_cap_mode_parse(const cJSON *in, ddb_cap_mode *mode, hg_err *err);
double ddb_read_units(size_t bytes, bool consistent);   /* ceil(bytes/4KB), halved if eventual */
double ddb_write_units(size_t bytes);                   /* ceil(bytes/1KB), at least 1 */
/* The ConsumedCapacity object for mode (NULL for NONE). index_units may be
 * NULL or hold t->nindexes entries; units of the table itself in table_units. */
cJSON *ddb_capacity_json(const ddb_table *t, ddb_cap_mode mode, bool read, double table_units,
                         const double *index_units);

/* ---- item collection metrics ----------------------------------------------
 * Item collections exist only on tables with a local secondary index. We
 * keep no per-collection size, so every estimate is AWS's smallest range. */

/* ReturnItemCollectionMetrics: *size is true for SIZE, false for NONE or absent. */
int    ddb_metrics_mode_parse(const cJSON *in, bool *size, hg_err *err);
bool   ddb_table_has_lsi(const ddb_table *t);
/* One ItemCollectionMetrics entry for the collection of keyed's partition key
 * (keyed: an item or a Key holding t's hash attribute):
 * {"ItemCollectionKey": {hash: value}, "SizeEstimateRangeGB": [0, 1]}.
 * New object, caller frees. */
cJSON *ddb_collection_metrics_json(const ddb_table *t, const cJSON *keyed);

/* ---- the single-item write engine (write.c) ------------------------------
 * PutItem, UpdateItem, DeleteItem, BatchWriteItem and TransactWriteItems all
 * write through this, so validation, conditions, index upkeep and
 * ReturnValues behave the same everywhere.
 *   prepare: validate one request part and parse its expressions (reads only
 *            the table description; touches no items);
 *   apply:   inside hg_store_begin_write: read the current item, evaluate the
 *            condition (ConditionalCheckFailedException on false), compute
 *            and write the new item;
 *   release: free everything prepare made. */
#include "expr.h"

typedef enum ddb_write_kind {
    DDB_WRITE_PUT, DDB_WRITE_UPDATE, DDB_WRITE_DELETE, DDB_WRITE_CHECK   /* CHECK = ConditionCheck */
} ddb_write_kind;

typedef struct ddb_write {
    ddb_write_kind kind;
    ddb_table   *table;        /* owned */
    ddb_key      key;
    cJSON       *item;         /* borrowed from the request: PUT's new item; for UPDATE/DELETE/CHECK the Key */
    size_t       item_size;    /* PUT: ddb_item_size(item), taken once by prepare */
    ddb_expr_env env;
    ddb_expr    *cond;         /* ConditionExpression or NULL */
    ddb_expr    *update;       /* UPDATE: UpdateExpression (NULL = only ensure the item exists) */
    bool         return_old_on_fail;   /* ReturnValuesOnConditionCheckFailure = ALL_OLD */
    bool         count_units;  /* table_units must count the old item too (true after prepare;
                                  callers that report no ConsumedCapacity clear it) */
    bool         blind;        /* set by apply: a PUT that never read the old item (blind or insert) */
    double      *index_units;  /* owned, table->nindexes entries */
    double       table_units;  /* write units consumed on the table by apply */
} ddb_write;

/* `part` is the request object for the operation (PutItem's whole request,
 * or one Put/Update/Delete/ConditionCheck member of TransactItems, or one
 * PutRequest/DeleteRequest of a batch — with table_name given separately
 * when the part carries none: pass NULL to read part's "TableName"). */
int  ddb_write_prepare(ddb_ctx *ctx, ddb_write_kind kind, cJSON *part, const char *table_name,
                       ddb_write *w, hg_err *err);
/* *old_item / *new_item (either may be NULL to not ask) receive new objects,
 * or NULL when there was no item / the item was deleted. On a failed
 * condition with return_old_on_fail, ctx->err_extra gets {"Item": old}.
 * A PUT with no condition on a table without indexes, whose old item
 * nobody asked for and whose units nobody counts, does not read the old
 * item (ddb_write_is_blind). */
int  ddb_write_apply(ddb_ctx *ctx, ddb_write *w, cJSON **old_item, cJSON **new_item, hg_err *err);
void ddb_write_release(ddb_write *w);
/* True when apply would not read the old item: the write is then one
 * statement, atomic without a transaction of its own. */
bool ddb_write_is_blind(const ddb_write *w, bool wants_old);
/* True when the write is a PUT whose whole condition is attribute_not_exists
 * of a key attribute, on a table without indexes, with no old item wanted
 * (ReturnValues, ReturnValuesOnConditionCheckFailure): every item with this
 * key holds its key attributes, so the condition holds exactly when there is
 * no item, and apply writes with one "insert unless present" statement,
 * without reading the old item. Atomic without a transaction of its own. */
bool ddb_write_is_insert(const ddb_write *w, bool wants_old);

/* ---- the TTL sweeper (ttl.c) -------------------------------------------- */
int  ddb_ttl_start(double interval_s, hg_err *err);
void ddb_ttl_stop(void);

/* ---- the operations (one group per file, see the module map) ---------- */
/* tables.c */
int ddb_op_create_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_describe_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_list_tables(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_update_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_delete_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
/* items.c */
int ddb_op_put_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_get_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_update_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_delete_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
/* query.c */
int ddb_op_query(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_scan(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
/* batch.c */
int ddb_op_batch_get_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_batch_write_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
/* transact.c */
int ddb_op_transact_write_items(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_transact_get_items(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
/* ttl.c */
int ddb_op_update_time_to_live(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_describe_time_to_live(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
/* misc.c */
/* One tag {Key, Value} (i from 1, for the message): lengths, and no 'aws:' key. */
int ddb_check_tag(const cJSON *t, int i, hg_err *err);
int ddb_op_tag_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_untag_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_list_tags_of_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_describe_continuous_backups(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_update_continuous_backups(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_describe_limits(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);
int ddb_op_describe_endpoints(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err);

#endif
