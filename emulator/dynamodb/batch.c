/*
 * batch.c — BatchWriteItem and BatchGetItem.
 *
 * Both ops validate the whole request before touching an item, so a bad
 * part fails the call with nothing done, and then run inside one store
 * transaction: a batch write is applied atomically (AWS does not promise
 * that, but nothing is lost by giving it), a batch get reads one snapshot.
 * Writes go through the write engine (write.c), so a batch Put behaves
 * exactly like PutItem without a condition.
 *
 * Invariants:
 *   1. A request never holds two writes (or two gets) of one key in one
 *      table: "Provided list of item keys contains duplicates".
 *   2. UnprocessedItems / UnprocessedKeys are always present. Writes are
 *      never left unprocessed (we have no throughput limits); gets are when
 *      the response would pass BATCH_GET_MAX_BYTES, as AWS does.
 *   3. The first `nprepared` entries of a batch's write array have been
 *      through ddb_write_prepare (failed or not) and are released; the rest
 *      are zero.
 */
#include "ddb.h"

#include <stdlib.h>
#include <string.h>

/* AWS's limits: 25 write requests, 100 keys, 16 MB of items per response. */
#define BATCH_WRITE_MAX 25
#define BATCH_GET_MAX 100
#define BATCH_GET_MAX_BYTES ((size_t)16 * 1024 * 1024)

/* RequestItems: a non-empty object, required. */
static int need_request_items(const cJSON *in, cJSON **items, hg_err *err)
{
    if (ddb_get_object(in, "RequestItems", items, err) != 0) return -1;
    if (!*items)
        return hg_err_validation(err, "1 validation error detected: Value null at 'requestItems' failed to satisfy "
                                 "constraint: Member must not be null");
    if (!(*items)->child)
        return hg_err_validation(err, "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 1");
    for (const cJSON *t = (*items)->child; t; t = t->next)
        if (ddb_check_table_name(t->string, "requestItems", err) != 0) return -1;
    return 0;
}

/* ======================================================================
 * BatchWriteItem
 * ==================================================================== */

/* One write of the batch, with what ItemCollectionMetrics needs. */
typedef struct batch_write {
    ddb_write    w;
    const char  *table_name;   /* as requested; borrowed from the request */
    const cJSON *key_source;   /* the Item or the Key: holds the partition key; borrowed */
    cJSON       *part;         /* owned: {"Item"|"Key": reference to the request's member}, what prepare sees */
} batch_write;

static void batch_write_release(batch_write *bw)
{
    ddb_write_release(&bw->w);
    cJSON_Delete(bw->part);     /* after the write: w.item points into it */
}

/* Check the shape and count of RequestItems before anything is prepared:
 * AWS's constraint errors come before table lookups. */
static int count_write_requests(const cJSON *items, int *total, hg_err *err)
{
    *total = 0;
    for (const cJSON *t = items->child; t; t = t->next) {
        if (!cJSON_IsArray(t))
            return hg_err_set(err, 400, "SerializationException",
                              "Unexpected value type in payload: RequestItems values must be lists");
        int n = cJSON_GetArraySize(t);
        if (n < 1 || n > BATCH_WRITE_MAX)
            return hg_err_validation(err, "1 validation error detected: Value '{%s=[%d requests]}' at 'requestItems' "
                                     "failed to satisfy constraint: Map value must satisfy constraint: [Member must "
                                     "have length less than or equal to %d, Member must have length greater than or "
                                     "equal to 1]", t->string, n, BATCH_WRITE_MAX);
        *total += n;
    }
    if (*total > BATCH_WRITE_MAX)
        return hg_err_validation(err, "Too many items requested for the BatchWriteItem call");
    return 0;
}

/* Prepare one WriteRequest {PutRequest:{Item}} | {DeleteRequest:{Key}}. */
static int prepare_write_request(ddb_ctx *ctx, const char *table_name, cJSON *req, batch_write *bw, hg_err *err)
{
    cJSON *put, *del;
    if (!cJSON_IsObject(req))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: WriteRequest must be an object");
    if (ddb_get_object(req, "PutRequest", &put, err) != 0 || ddb_get_object(req, "DeleteRequest", &del, err) != 0)
        return -1;
    if ((put != NULL) == (del != NULL))
        return hg_err_validation(err, "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest");
    bw->table_name = table_name;
    /* AWS reads only Item / Key here and ignores any other member; the write
     * engine would honour a stray ConditionExpression, Expected or
     * ReturnValuesOnConditionCheckFailure, so it is shown the one member. */
    const char *member = put ? "Item" : "Key";
    cJSON *v = cJSON_GetObjectItemCaseSensitive(put ? put : del, member);
    bw->part = cJSON_CreateObject();
    if (!bw->part || (v && !cJSON_AddItemReferenceToObject(bw->part, member, v)))
        return hg_err_internal(err, "out of memory");
    if (ddb_write_prepare(ctx, put ? DDB_WRITE_PUT : DDB_WRITE_DELETE, bw->part, table_name, &bw->w, err) != 0)
        return -1;
    bw->key_source = bw->w.item;
    return 0;
}

/* ConsumedCapacity: one entry per table, in request order. */
static cJSON *write_capacity(const batch_write *bws, int n, ddb_cap_mode mode)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; list && i < n; i++) {
        bool first = true;
        for (int j = 0; j < i && first; j++)
            if (bws[j].w.table->tid == bws[i].w.table->tid) first = false;
        if (!first) continue;
        const ddb_table *t = bws[i].w.table;
        double table_units = 0;
        double *index_units = calloc((size_t)t->nindexes + 1, sizeof *index_units);
        if (!index_units) { cJSON_Delete(list); return NULL; }
        for (int j = i; j < n; j++) {
            if (bws[j].w.table->tid != t->tid) continue;
            table_units += bws[j].w.table_units;
            for (int k = 0; k < t->nindexes && bws[j].w.index_units; k++) index_units[k] += bws[j].w.index_units[k];
        }
        cJSON_AddItemToArray(list, ddb_capacity_json(t, mode, false, table_units, index_units));
        free(index_units);
    }
    return list;
}

/* ItemCollectionMetrics: for tables with a local secondary index, one entry
 * per item collection (partition key) written. */
static cJSON *write_metrics(const batch_write *bws, int n)
{
    cJSON *all = cJSON_CreateObject();
    for (int i = 0; all && i < n; i++) {
        const ddb_table *t = bws[i].w.table;
        if (!ddb_table_has_lsi(t)) continue;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = bws[j].w.table->tid == t->tid && ddb_key_same_partition(&bws[j].w.key, &bws[i].w.key);
        if (seen) continue;
        cJSON *list = cJSON_GetObjectItemCaseSensitive(all, bws[i].table_name);
        if (!list) list = cJSON_AddArrayToObject(all, bws[i].table_name);
        cJSON_AddItemToArray(list, ddb_collection_metrics_json(t, bws[i].key_source));
    }
    return all;
}

int ddb_op_batch_write_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    ddb_cap_mode cap;
    bool metrics;
    cJSON *items;
    int total, nprepared = 0, rc = -1;
    if (ddb_cap_mode_parse(in, &cap, err) != 0 || ddb_metrics_mode_parse(in, &metrics, err) != 0 ||
        need_request_items(in, &items, err) != 0 || count_write_requests(items, &total, err) != 0)
        return -1;

    batch_write *bws = calloc((size_t)total, sizeof *bws);
    if (!bws) return hg_err_internal(err, "out of memory");

    /* 1. validate and prepare every request; nothing is read yet */
    for (cJSON *t = items->child; t; t = t->next) {
        cJSON *req;
        cJSON_ArrayForEach(req, t) {
            batch_write *bw = &bws[nprepared++];   /* released even if prepare fails */
            if (prepare_write_request(ctx, t->string, req, bw, err) != 0) goto done;
            for (int j = 0; j < nprepared - 1; j++)
                if (bws[j].w.table->tid == bw->w.table->tid && ddb_key_equal(&bws[j].w.key, &bw->w.key)) {
                    hg_err_validation(err, "Provided list of item keys contains duplicates");
                    goto done;
                }
        }
    }

    /* 2. apply all in one write transaction (old items are read only where
     *    a condition, an index or the ConsumedCapacity needs them) */
    for (int i = 0; i < nprepared; i++) bws[i].w.count_units = cap != DDB_CAP_NONE;
    if (hg_store_begin_write(ctx->store, err) != 0) goto done;
    for (int i = 0; i < nprepared; i++)
        if (ddb_write_apply(ctx, &bws[i].w, NULL, NULL, err) != 0) {
            hg_store_rollback(ctx->store);
            goto done;
        }
    if (hg_store_commit(ctx->store, err) != 0) { hg_store_rollback(ctx->store); goto done; }

    /* 3. the response */
    cJSON_AddObjectToObject(out, "UnprocessedItems");
    if (cap != DDB_CAP_NONE) {
        cJSON *c = write_capacity(bws, nprepared, cap);
        if (c) cJSON_AddItemToObject(out, "ConsumedCapacity", c);
    }
    if (metrics) {
        cJSON *m = write_metrics(bws, nprepared);
        if (m) cJSON_AddItemToObject(out, "ItemCollectionMetrics", m);
    }
    rc = 0;
done:
    for (int i = 0; i < nprepared; i++) batch_write_release(&bws[i]);
    free(bws);
    return rc;
}

/* ======================================================================
 * BatchGetItem
 * ==================================================================== */

/* One table's KeysAndAttributes, validated. */
typedef struct batch_get {
    const char   *name;        /* as requested (name or ARN); borrowed */
    cJSON        *req;         /* the KeysAndAttributes object; borrowed */
    cJSON        *keys;        /* its Keys array; borrowed */
    ddb_table    *table;       /* owned */
    ddb_key      *enc;         /* owned: nkeys encoded keys */
    int           nkeys;
    bool          consistent;
    bool          env_ready;
    ddb_expr_env  env;
    ddb_expr     *proj;        /* ProjectionExpression, owned, or NULL */
    const cJSON  *attrs;       /* AttributesToGet, borrowed, or NULL */
    double        units;
} batch_get;

static void batch_get_release(batch_get *g)
{
    for (int i = 0; g->enc && i < g->nkeys; i++) ddb_key_release(&g->enc[i]);
    free(g->enc);
    ddb_expr_free(g->proj);
    if (g->env_ready) ddb_expr_env_release(&g->env);
    ddb_table_free(g->table);
}

/* Shape checks (Keys present, 1..100 each, 100 in all) for every table,
 * before any table is opened. */
static int count_get_keys(const cJSON *items, int *total, hg_err *err)
{
    *total = 0;
    for (const cJSON *t = items->child; t; t = t->next) {
        cJSON *keys;
        if (!cJSON_IsObject(t))
            return hg_err_set(err, 400, "SerializationException",
                              "Unexpected value type in payload: RequestItems values must be objects");
        if (ddb_get_array(t, "Keys", &keys, err) != 0) return -1;
        if (!keys)
            return hg_err_validation(err, "1 validation error detected: Value null at 'requestItems.%s.member.keys' "
                                     "failed to satisfy constraint: Member must not be null", t->string);
        int n = cJSON_GetArraySize(keys);
        if (n < 1 || n > BATCH_GET_MAX)
            return hg_err_validation(err, "1 validation error detected: Value '[%d keys]' at 'requestItems.%s.member.keys' "
                                     "failed to satisfy constraint: Member must have length %s", n, t->string,
                                     n < 1 ? "greater than or equal to 1" : "less than or equal to 100");
        *total += n;
    }
    if (*total > BATCH_GET_MAX)
        return hg_err_validation(err, "Too many items requested for the BatchGetItem call");
    return 0;
}

/* ProjectionExpression + ExpressionAttributeNames, or AttributesToGet. */
static int prepare_projection(batch_get *g, hg_err *err)
{
    const char *pe;
    cJSON *names, *atg;
    if (ddb_get_string(g->req, "ProjectionExpression", &pe, err) != 0 ||
        ddb_get_object(g->req, "ExpressionAttributeNames", &names, err) != 0 ||
        ddb_get_array(g->req, "AttributesToGet", &atg, err) != 0)
        return -1;
    if (pe && atg)
        return hg_err_validation(err, "Can not use both expression and non-expression parameters in the same request: "
                                 "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}");
    if (names && !pe)
        return hg_err_validation(err, "ExpressionAttributeNames can only be specified when using expressions");
    if (atg) {
        int n = cJSON_GetArraySize(atg);
        if (n < 1 || n > 255)
            return hg_err_validation(err, "1 validation error detected: Value '[%d names]' at 'requestItems.%s.member.attributesToGet' "
                                     "failed to satisfy constraint: Member must have length %s", n, g->name,
                                     n < 1 ? "greater than or equal to 1" : "less than or equal to 255");
        for (const cJSON *a = atg->child; a; a = a->next) {
            if (!cJSON_IsString(a))
                return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: AttributesToGet must hold strings");
            for (const cJSON *b = atg->child; b != a; b = b->next)
                if (strcmp(a->valuestring, b->valuestring) == 0)
                    return hg_err_validation(err, "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                                             a->valuestring);
        }
        g->attrs = atg;
    }
    if (!pe) return 0;
    if (ddb_expr_env_init(&g->env, names, NULL, err) != 0) { ddb_expr_env_release(&g->env); return -1; }
    g->env_ready = true;
    if (ddb_expr_parse(&g->env, DDB_EXPR_PROJECTION, pe, &g->proj, err) != 0) return -1;
    return ddb_expr_env_check_unused(&g->env, err);
}

static int prepare_get(ddb_ctx *ctx, batch_get *g, hg_err *err)
{
    if (ddb_get_bool(g->req, "ConsistentRead", false, &g->consistent, err) != 0 ||
        prepare_projection(g, err) != 0)
        return -1;
    if (ddb_table_open(ctx, g->name, true, &g->table, err) != 0) return -1;
    g->nkeys = cJSON_GetArraySize(g->keys);
    g->enc = calloc((size_t)g->nkeys, sizeof *g->enc);
    if (!g->enc) { g->nkeys = 0; return hg_err_internal(err, "out of memory"); }
    for (int i = 0; i < g->nkeys; i++) ddb_key_init(&g->enc[i]);
    int i = 0;
    cJSON *key;
    cJSON_ArrayForEach(key, g->keys) {
        if (!cJSON_IsObject(key))
            return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: a key must be a map");
        for (cJSON *av = key->child; av; av = av->next)
            if (ddb_av_validate(av, av->string, err) != 0) return -1;
        if (ddb_key_from_keyparam(g->table, key, &g->enc[i], err) != 0) return -1;
        for (int j = 0; j < i; j++)
            if (ddb_key_equal(&g->enc[j], &g->enc[i]))
                return hg_err_validation(err, "Provided list of item keys contains duplicates");
        i++;
    }
    return 0;
}

/* A new object: item as the request asked to see it. */
static cJSON *project(const batch_get *g, const cJSON *item)
{
    if (g->proj) return ddb_expr_project(g->proj, item);
    if (!g->attrs) return cJSON_Duplicate(item, 1);
    cJSON *o = cJSON_CreateObject();
    for (const cJSON *a = g->attrs->child; o && a; a = a->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, a->valuestring);
        if (v) cJSON_AddItemToObject(o, a->valuestring, cJSON_Duplicate(v, 1));
    }
    return o;
}

/* UnprocessedKeys[g->name]: the keys from `from` on, with the table's other
 * parameters as sent, so the client can resend the object as it is. */
static void add_unprocessed(cJSON *unprocessed, const batch_get *g, int from)
{
    cJSON *o = cJSON_Duplicate(g->req, 1);
    if (!o) return;
    cJSON *keys = cJSON_CreateArray();
    int i = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, g->keys)
        if (i++ >= from) cJSON_AddItemToArray(keys, cJSON_Duplicate(k, 1));
    cJSON_ReplaceItemInObjectCaseSensitive(o, "Keys", keys);
    cJSON_AddItemToObject(unprocessed, g->name, o);
}

/* Read every key inside one read transaction, filling Responses and, past
 * the response size limit, UnprocessedKeys. */
static int read_all(ddb_ctx *ctx, batch_get *gs, int ntables, cJSON *responses, cJSON *unprocessed, hg_err *err)
{
    size_t bytes = 0;
    bool full = false;
    if (hg_store_begin_read(ctx->store, err) != 0) return -1;
    for (int t = 0; t < ntables; t++) {
        batch_get *g = &gs[t];
        cJSON *list = cJSON_AddArrayToObject(responses, g->name);
        for (int i = 0; i < g->nkeys; i++) {
            if (full) { add_unprocessed(unprocessed, g, i); break; }
            cJSON *item;
            if (ddb_item_read(ctx, g->table, &g->enc[i], &item, err) != 0) { hg_store_rollback(ctx->store); return -1; }
            size_t size = item ? ddb_item_size(item) : 0;
            if (item && bytes + size > BATCH_GET_MAX_BYTES) {
                cJSON_Delete(item);
                full = true;
                add_unprocessed(unprocessed, g, i);
                break;
            }
            bytes += size;
            g->units += ddb_read_units(size, g->consistent);
            if (item) {
                cJSON *shown = project(g, item);
                cJSON_Delete(item);
                if (!shown) { hg_store_rollback(ctx->store); return hg_err_internal(err, "out of memory"); }
                cJSON_AddItemToArray(list, shown);
            }
        }
    }
    if (hg_store_commit(ctx->store, err) != 0) { hg_store_rollback(ctx->store); return -1; }
    return 0;
}

int ddb_op_batch_get_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    ddb_cap_mode cap;
    cJSON *items;
    int total, ntables = 0, rc = -1;
    if (ddb_cap_mode_parse(in, &cap, err) != 0 || need_request_items(in, &items, err) != 0 ||
        count_get_keys(items, &total, err) != 0)
        return -1;
    int n = cJSON_GetArraySize(items);
    batch_get *gs = calloc((size_t)n, sizeof *gs);
    if (!gs) return hg_err_internal(err, "out of memory");

    for (cJSON *t = items->child; t; t = t->next) {
        batch_get *g = &gs[ntables++];
        g->name = t->string;
        g->req = t;
        g->keys = cJSON_GetObjectItemCaseSensitive(t, "Keys");
        if (prepare_get(ctx, g, err) != 0) goto done;
    }

    cJSON *responses = cJSON_AddObjectToObject(out, "Responses");
    cJSON *unprocessed = cJSON_AddObjectToObject(out, "UnprocessedKeys");
    if (!responses || !unprocessed) { hg_err_internal(err, "out of memory"); goto done; }
    if (read_all(ctx, gs, ntables, responses, unprocessed, err) != 0) goto done;

    if (cap != DDB_CAP_NONE) {
        cJSON *list = cJSON_AddArrayToObject(out, "ConsumedCapacity");
        for (int i = 0; list && i < ntables; i++)
            cJSON_AddItemToArray(list, ddb_capacity_json(gs[i].table, cap, true, gs[i].units, NULL));
    }
    rc = 0;
done:
    for (int i = 0; i < ntables; i++) batch_get_release(&gs[i]);
    free(gs);
    return rc;
}
