/*
 * transact.c — TransactWriteItems and TransactGetItems.
 *
 * A write transaction is prepared whole (every part validated, every
 * expression parsed, every table opened) before the store is touched, then
 * applied part by part inside ONE store write transaction. Parts never share
 * an item, so applying part i cannot change what part j's condition sees;
 * that lets us apply in order and still evaluate every condition, which is
 * what CancellationReasons reports. If any part fails its condition (or an
 * update fails at run time) the store transaction is rolled back, so the
 * caller sees all or nothing.
 *
 * Invariants:
 *   1. No two parts of one request name the same item (table and key):
 *      "Transaction request cannot include multiple operations on one item".
 *   2. CancellationReasons has one entry per part, in request order.
 *   3. A ClientRequestToken is remembered only for a transaction that
 *      committed, with the SHA-256 of its canonical TransactItems and its
 *      response, in the same store transaction as the writes: a replay
 *      within TOKEN_WINDOW_S returns that response and writes nothing.
 *   4. The first `nparts` entries of the write array have been through
 *      ddb_write_prepare (failed or not) and are released; the rest are zero.
 */
#include "ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hg_crypto.h"
#include "hg_hex.h"

/* AWS's limits: 100 parts per transaction; tokens 1..36 chars, kept 10 min. */
#define TRANSACT_MAX 100
#define TOKEN_MAX_LEN 36
#define TOKEN_WINDOW_S 600.0

static bool same_item(const ddb_table *ta, const ddb_key *a, const ddb_table *tb, const ddb_key *b)
{
    return ta->tid == tb->tid && ddb_key_equal(a, b);
}

/* TransactItems: required, 1..TRANSACT_MAX entries. */
static int need_transact_items(const cJSON *in, cJSON **items, hg_err *err)
{
    if (ddb_get_array(in, "TransactItems", items, err) != 0) return -1;
    if (!*items)
        return hg_err_validation(err, "1 validation error detected: Value null at 'transactItems' failed to satisfy "
                                 "constraint: Member must not be null");
    int n = cJSON_GetArraySize(*items);
    if (n < 1 || n > TRANSACT_MAX)
        return hg_err_validation(err, "1 validation error detected: Value '[%d items]' at 'transactItems' failed to "
                                 "satisfy constraint: Member must have length %s %d", n,
                                 n < 1 ? "greater than or equal to" : "less than or equal to", n < 1 ? 1 : TRANSACT_MAX);
    return 0;
}

/* ConsumedCapacity: one entry per table in order of first use. Transactions
 * cost twice the units of the plain operation. units/index_units are per
 * part (index_units[i] may be NULL). */
static cJSON *capacity_list(ddb_table *const *tables, const double *units, double *const *index_units, int n,
                            ddb_cap_mode mode, bool read)
{
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; list && i < n; i++) {
        bool first = true;
        for (int j = 0; j < i && first; j++)
            if (tables[j]->tid == tables[i]->tid) first = false;
        if (!first) continue;
        const ddb_table *t = tables[i];
        double table_units = 0;
        double *iu = calloc((size_t)t->nindexes + 1, sizeof *iu);
        if (!iu) { cJSON_Delete(list); return NULL; }
        for (int j = i; j < n; j++) {
            if (tables[j]->tid != t->tid) continue;
            table_units += 2 * units[j];
            for (int k = 0; index_units && index_units[j] && k < t->nindexes; k++) iu[k] += 2 * index_units[j][k];
        }
        cJSON_AddItemToArray(list, ddb_capacity_json(t, mode, read, table_units, iu));
        free(iu);
    }
    return list;
}

/* ======================================================================
 * TransactWriteItems
 * ==================================================================== */

typedef struct part_kind { const char *member; ddb_write_kind kind; } part_kind;
static const part_kind part_kinds[] = {
    { "ConditionCheck", DDB_WRITE_CHECK },
    { "Put",            DDB_WRITE_PUT },
    { "Delete",         DDB_WRITE_DELETE },
    { "Update",         DDB_WRITE_UPDATE },
};

/* Prepare one TransactWriteItem: exactly one of the four members. */
static int prepare_part(ddb_ctx *ctx, cJSON *entry, ddb_write *w, hg_err *err)
{
    cJSON *part = NULL;
    ddb_write_kind kind = DDB_WRITE_PUT;
    int found = 0;
    if (!cJSON_IsObject(entry))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: TransactWriteItem must be an object");
    for (size_t i = 0; i < sizeof part_kinds / sizeof part_kinds[0]; i++) {
        cJSON *p;
        if (ddb_get_object(entry, part_kinds[i].member, &p, err) != 0) return -1;
        if (p) { part = p; kind = part_kinds[i].kind; found++; }
    }
    if (found != 1)
        return hg_err_validation(err, "TransactItems can only contain one of Check, Put, Update or Delete");
    return ddb_write_prepare(ctx, kind, part, NULL, w, err);
}

/* Sort every object's members by name, recursively, so the same request
 * sent with its members in another order has the same digest. */
static int by_name(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

static int sort_members(cJSON *node)
{
    int n = 0;
    for (cJSON *c = node->child; c; c = c->next) {
        if (sort_members(c) != 0) return -1;
        n++;
    }
    if (!cJSON_IsObject(node) || n < 2) return 0;
    cJSON **v = malloc((size_t)n * sizeof *v);
    if (!v) return -1;
    int i = 0;
    for (cJSON *c = node->child; c; c = c->next) v[i++] = c;
    qsort(v, (size_t)n, sizeof *v, by_name);
    for (i = 0; i < n; i++) {
        v[i]->next = i + 1 < n ? v[i + 1] : NULL;
        v[i]->prev = i > 0 ? v[i - 1] : v[n - 1];   /* cJSON: the head's prev is the tail */
    }
    node->child = v[0];
    free(v);
    return 0;
}

/* The request's identity for ClientRequestToken: SHA-256 (hex) of the
 * canonical TransactItems (members sorted; numbers already canonical after
 * prepare). ReturnConsumedCapacity is not part of it: AWS lets a retry ask
 * for a different capacity report. */
static int request_digest(const cJSON *items, char hex[65], hg_err *err)
{
    cJSON *copy = cJSON_Duplicate(items, 1);
    if (!copy || sort_members(copy) != 0) { cJSON_Delete(copy); return hg_err_internal(err, "out of memory"); }
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    if (!text) return hg_err_internal(err, "out of memory");
    unsigned char md[HG_SHA256_LEN];
    hg_sha256(text, strlen(text), md);
    cJSON_free(text);
    hg_hex(md, sizeof md, hex);
    return 0;
}

/* ItemCollectionMetrics for tables with a local secondary index: one entry
 * per partition key written (ConditionChecks write nothing). */
static cJSON *collection_metrics(const ddb_write *ws, int n)
{
    cJSON *all = cJSON_CreateObject();
    for (int i = 0; all && i < n; i++) {
        const ddb_table *t = ws[i].table;
        if (!ddb_table_has_lsi(t) || ws[i].kind == DDB_WRITE_CHECK) continue;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = ws[j].kind != DDB_WRITE_CHECK && ws[j].table->tid == t->tid &&
                   ddb_key_same_partition(&ws[j].key, &ws[i].key);
        if (seen) continue;
        cJSON *list = cJSON_GetObjectItemCaseSensitive(all, t->name);
        if (!list) list = cJSON_AddArrayToObject(all, t->name);
        cJSON_AddItemToArray(list, ddb_collection_metrics_json(t, ws[i].item));
    }
    return all;
}

/* Apply every part, filling reasons (one per part). Returns 0 with
 * *cancelled set when a condition or run-time validation failed, -1 on an
 * error that is not the request's fault (the caller fails the call). */
static int apply_parts(ddb_ctx *ctx, ddb_write *ws, int n, cJSON *reasons, bool *cancelled, hg_err *err)
{
    *cancelled = false;
    for (int i = 0; i < n; i++) {
        hg_err e;
        hg_err_clear(&e);
        cJSON *saved_extra = ctx->err_extra;   /* apply may put {"Item":...} here */
        ctx->err_extra = NULL;
        int rc = ddb_write_apply(ctx, &ws[i], NULL, NULL, &e);
        cJSON *extra = ctx->err_extra;
        ctx->err_extra = saved_extra;
        cJSON *r = cJSON_CreateObject();
        if (!r) { cJSON_Delete(extra); return hg_err_internal(err, "out of memory"); }
        cJSON_AddItemToArray(reasons, r);
        if (rc == 0) {
            cJSON_AddStringToObject(r, "Code", "None");
        } else if (strcmp(e.code, "ConditionalCheckFailedException") == 0) {
            cJSON_AddStringToObject(r, "Code", "ConditionalCheckFailed");
            cJSON_AddStringToObject(r, "Message", e.message);
            cJSON *item = cJSON_DetachItemFromObjectCaseSensitive(extra, "Item");
            if (item) cJSON_AddItemToObject(r, "Item", item);
            *cancelled = true;
        } else if (strcmp(e.code, "ValidationException") == 0) {
            cJSON_AddStringToObject(r, "Code", "ValidationError");
            cJSON_AddStringToObject(r, "Message", e.message);
            *cancelled = true;
        } else {
            cJSON_Delete(extra);
            *err = e;
            return -1;
        }
        cJSON_Delete(extra);
    }
    return 0;
}

/* TransactionCanceledException with reasons (moved into ctx->err_extra). */
static int fail_cancelled(ddb_ctx *ctx, cJSON *reasons, hg_err *err)
{
    hg_buf msg;
    hg_buf_init(&msg, 0);
    hg_buf_puts(&msg, "Transaction cancelled, please refer cancellation reasons for specific reasons [");
    const cJSON *r;
    bool first = true;
    cJSON_ArrayForEach(r, reasons) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(r, "Code");
        if (!first) hg_buf_puts(&msg, ", ");
        hg_buf_puts(&msg, cJSON_IsString(code) ? code->valuestring : "None");
        first = false;
    }
    hg_buf_puts(&msg, "]");   /* hg_err keeps HG_ERR_MSG_MAX bytes: a long list is cut there, CancellationReasons stay whole */
    hg_err_set(err, 400, "TransactionCanceledException", "%s", hg_buf_cstr(&msg));
    hg_buf_release(&msg);
    if (!ctx->err_extra) ctx->err_extra = cJSON_CreateObject();
    if (ctx->err_extra) {
        cJSON_DeleteItemFromObjectCaseSensitive(ctx->err_extra, "CancellationReasons");
        cJSON_AddItemToObject(ctx->err_extra, "CancellationReasons", reasons);
    } else {
        cJSON_Delete(reasons);
    }
    return -1;
}

/* Replay of a remembered token: copy the stored response into out. */
static int replay(const char *stored, cJSON *out, hg_err *err)
{
    cJSON *r = cJSON_Parse(stored);
    if (!r) return hg_err_internal(err, "stored transaction response is corrupt");
    cJSON *m;
    while ((m = r->child) != NULL) {
        cJSON_DetachItemViaPointer(r, m);
        cJSON_AddItemToObject(out, m->string, m);
    }
    cJSON_Delete(r);
    return 0;
}

/* Inside the open write transaction: 1 = the token was seen with this very
 * request (out filled from its response), 0 = new token, -1 = error
 * (IdempotentParameterMismatchException when the request differs). */
static int check_token(ddb_ctx *ctx, const char *token, const char *digest, cJSON *out, hg_err *err)
{
    char *seen_digest = NULL, *response = NULL;
    int rc = ddb_store_token_get(ctx->store, ctx->region, token, TOKEN_WINDOW_S, &seen_digest, &response, err);
    if (rc != 0) return rc < 0 ? -1 : 0;
    if (strcmp(seen_digest, digest) != 0)
        rc = hg_err_set(err, 400, "IdempotentParameterMismatchException",
                        "The request uses the same client token as a previous, but non-identical request");
    else
        rc = replay(response, out, err) == 0 ? 1 : -1;
    free(seen_digest);
    free(response);
    return rc;
}

static int remember_token(ddb_ctx *ctx, const char *token, const char *digest, const cJSON *out, hg_err *err)
{
    char *text = cJSON_PrintUnformatted(out);
    if (!text) return hg_err_internal(err, "out of memory");
    int rc = ddb_store_token_put(ctx->store, ctx->region, token, digest, text, err);
    cJSON_free(text);
    return rc;
}

int ddb_op_transact_write_items(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    ddb_cap_mode cap;
    const char *metrics_mode, *token;
    cJSON *items, *reasons = NULL;
    ddb_write *ws = NULL;
    int nparts = 0, rc = -1;
    char digest[65] = "";

    if (ddb_cap_mode_parse(in, &cap, err) != 0 ||
        ddb_get_string(in, "ReturnItemCollectionMetrics", &metrics_mode, err) != 0 ||
        ddb_get_string(in, "ClientRequestToken", &token, err) != 0)
        return -1;
    if (metrics_mode && strcmp(metrics_mode, "SIZE") != 0 && strcmp(metrics_mode, "NONE") != 0)
        return hg_err_validation(err, "1 validation error detected: Value '%s' at 'returnItemCollectionMetrics' failed to "
                                 "satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]", metrics_mode);
    if (token && (token[0] == '\0' || strlen(token) > TOKEN_MAX_LEN))
        return hg_err_validation(err, "1 validation error detected: Value '%.64s' at 'clientRequestToken' failed to satisfy "
                                 "constraint: Member must have length %s", token,
                                 token[0] ? "less than or equal to 36" : "greater than or equal to 1");
    if (need_transact_items(in, &items, err) != 0) return -1;

    int n = cJSON_GetArraySize(items);
    ws = calloc((size_t)n, sizeof *ws);
    if (!ws) return hg_err_internal(err, "out of memory");

    /* 1. validate and prepare every part; nothing is read yet */
    cJSON *entry;
    cJSON_ArrayForEach(entry, items) {
        ddb_write *w = &ws[nparts++];             /* released even if prepare fails */
        if (prepare_part(ctx, entry, w, err) != 0) goto done;
        for (int j = 0; j < nparts - 1; j++)
            if (same_item(ws[j].table, &ws[j].key, w->table, &w->key)) {
                hg_err_validation(err, "Transaction request cannot include multiple operations on one item");
                goto done;
            }
    }
    if (token && request_digest(items, digest, err) != 0) goto done;

    /* 2. one write transaction: token check, every part, token record */
    if (hg_store_begin_write(ctx->store, err) != 0) goto done;
    if (token) {
        int seen = check_token(ctx, token, digest, out, err);
        if (seen != 0) {
            if (seen > 0 && hg_store_commit(ctx->store, err) == 0) rc = 0;
            hg_store_rollback(ctx->store);
            goto done;
        }
    }
    reasons = cJSON_CreateArray();
    bool cancelled;
    if (!reasons) { hg_err_internal(err, "out of memory"); hg_store_rollback(ctx->store); goto done; }
    if (apply_parts(ctx, ws, nparts, reasons, &cancelled, err) != 0) { hg_store_rollback(ctx->store); goto done; }
    if (cancelled) {
        hg_store_rollback(ctx->store);
        fail_cancelled(ctx, reasons, err);
        reasons = NULL;
        goto done;
    }

    /* 3. the response (remembered with the token before commit) */
    if (cap != DDB_CAP_NONE) {
        ddb_table **tables = calloc((size_t)nparts, sizeof *tables);
        double *units = calloc((size_t)nparts, sizeof *units);
        double **iu = calloc((size_t)nparts, sizeof *iu);
        cJSON *list = NULL;
        if (tables && units && iu) {
            for (int i = 0; i < nparts; i++) { tables[i] = ws[i].table; units[i] = ws[i].table_units; iu[i] = ws[i].index_units; }
            list = capacity_list(tables, units, iu, nparts, cap, false);
        }
        free(tables); free(units); free(iu);
        if (!list) { hg_err_internal(err, "out of memory"); hg_store_rollback(ctx->store); goto done; }
        cJSON_AddItemToObject(out, "ConsumedCapacity", list);
    }
    if (metrics_mode && strcmp(metrics_mode, "SIZE") == 0) {
        cJSON *m = collection_metrics(ws, nparts);
        if (m) cJSON_AddItemToObject(out, "ItemCollectionMetrics", m);
    }
    if (token && remember_token(ctx, token, digest, out, err) != 0) { hg_store_rollback(ctx->store); goto done; }
    if (hg_store_commit(ctx->store, err) != 0) { hg_store_rollback(ctx->store); goto done; }
    rc = 0;
done:
    cJSON_Delete(reasons);
    for (int i = 0; i < nparts; i++) ddb_write_release(&ws[i]);
    free(ws);
    return rc;
}

/* ======================================================================
 * TransactGetItems
 * ==================================================================== */

typedef struct get_part {
    ddb_table    *table;       /* owned */
    ddb_key       key;
    bool          env_ready;
    ddb_expr_env  env;
    ddb_expr     *proj;        /* owned or NULL */
    double        units;
} get_part;

static void get_part_release(get_part *g)
{
    ddb_expr_free(g->proj);
    if (g->env_ready) ddb_expr_env_release(&g->env);
    ddb_key_release(&g->key);
    ddb_table_free(g->table);
}

/* Validate one {Get:{TableName, Key, ProjectionExpression, ExpressionAttributeNames}}
 * (index i, 1-based in messages as AWS counts). */
static int prepare_get(ddb_ctx *ctx, cJSON *entry, int i, get_part *g, hg_err *err)
{
    cJSON *get, *key, *names;
    const char *table_name, *pe;
    if (!cJSON_IsObject(entry))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: TransactGetItem must be an object");
    if (ddb_get_object(entry, "Get", &get, err) != 0) return -1;
    if (!get)
        return hg_err_validation(err, "1 validation error detected: Value null at 'transactItems.%d.member.get' failed to "
                                 "satisfy constraint: Member must not be null", i);
    if (ddb_get_string(get, "TableName", &table_name, err) != 0 || ddb_get_object(get, "Key", &key, err) != 0 ||
        ddb_get_string(get, "ProjectionExpression", &pe, err) != 0 ||
        ddb_get_object(get, "ExpressionAttributeNames", &names, err) != 0)
        return -1;
    if (!table_name)
        return hg_err_validation(err, "1 validation error detected: Value null at 'transactItems.%d.member.get.tableName' "
                                 "failed to satisfy constraint: Member must not be null", i);
    if (!key)
        return hg_err_validation(err, "1 validation error detected: Value null at 'transactItems.%d.member.get.key' "
                                 "failed to satisfy constraint: Member must not be null", i);
    if (ddb_check_table_name(table_name, "tableName", err) != 0) return -1;
    for (cJSON *av = key->child; av; av = av->next)
        if (ddb_av_validate(av, av->string, err) != 0) return -1;
    if (names && !pe)
        return hg_err_validation(err, "ExpressionAttributeNames can only be specified when using expressions");
    if (pe) {
        if (ddb_expr_env_init(&g->env, names, NULL, err) != 0) { ddb_expr_env_release(&g->env); return -1; }
        g->env_ready = true;
        if (ddb_expr_parse(&g->env, DDB_EXPR_PROJECTION, pe, &g->proj, err) != 0 ||
            ddb_expr_env_check_unused(&g->env, err) != 0)
            return -1;
    }
    if (ddb_table_open(ctx, table_name, true, &g->table, err) != 0) return -1;
    return ddb_key_from_keyparam(g->table, key, &g->key, err);
}

int ddb_op_transact_get_items(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    ddb_cap_mode cap;
    cJSON *items;
    int nparts = 0, rc = -1;
    if (ddb_cap_mode_parse(in, &cap, err) != 0 || need_transact_items(in, &items, err) != 0) return -1;
    int n = cJSON_GetArraySize(items);
    get_part *gs = calloc((size_t)n, sizeof *gs);
    if (!gs) return hg_err_internal(err, "out of memory");

    cJSON *entry;
    cJSON_ArrayForEach(entry, items) {
        get_part *g = &gs[nparts++];
        ddb_key_init(&g->key);
        if (prepare_get(ctx, entry, nparts, g, err) != 0) goto done;
        for (int j = 0; j < nparts - 1; j++)
            if (same_item(gs[j].table, &gs[j].key, g->table, &g->key)) {
                hg_err_validation(err, "Transaction request cannot include multiple operations on one item");
                goto done;
            }
    }

    cJSON *responses = cJSON_AddArrayToObject(out, "Responses");
    if (!responses) { hg_err_internal(err, "out of memory"); goto done; }
    if (hg_store_begin_read(ctx->store, err) != 0) goto done;
    for (int i = 0; i < nparts; i++) {
        cJSON *item;
        if (ddb_item_read(ctx, gs[i].table, &gs[i].key, &item, err) != 0) { hg_store_rollback(ctx->store); goto done; }
        gs[i].units = ddb_read_units(item ? ddb_item_size(item) : 0, true);
        cJSON *r = cJSON_CreateObject();
        if (r && item) {
            cJSON *shown = gs[i].proj ? ddb_expr_project(gs[i].proj, item) : item;
            if (shown) cJSON_AddItemToObject(r, "Item", shown);
            if (shown == item) item = NULL;
        }
        cJSON_Delete(item);
        if (!r) { hg_store_rollback(ctx->store); hg_err_internal(err, "out of memory"); goto done; }
        cJSON_AddItemToArray(responses, r);
    }
    if (hg_store_commit(ctx->store, err) != 0) { hg_store_rollback(ctx->store); goto done; }

    if (cap != DDB_CAP_NONE) {
        ddb_table **tables = calloc((size_t)nparts, sizeof *tables);
        double *units = calloc((size_t)nparts, sizeof *units);
        cJSON *list = NULL;
        if (tables && units) {
            for (int i = 0; i < nparts; i++) { tables[i] = gs[i].table; units[i] = gs[i].units; }
            list = capacity_list(tables, units, NULL, nparts, cap, true);
        }
        free(tables); free(units);
        if (!list) { hg_err_internal(err, "out of memory"); goto done; }
        cJSON_AddItemToObject(out, "ConsumedCapacity", list);
    }
    rc = 0;
done:
    for (int i = 0; i < nparts; i++) get_part_release(&gs[i]);
    free(gs);
    return rc;
}
