/*
 * items.c — PutItem, GetItem, UpdateItem, DeleteItem.
 *
 * The three writes are thin: request-level options (ReturnValues,
 * ReturnConsumedCapacity, ReturnItemCollectionMetrics) are parsed here, the
 * item work is the write engine's (write.c), run inside one write
 * transaction so read-check-write is atomic against every other writer.
 * GetItem is a single-statement read and needs no transaction.
 */
#include "ddb.h"

#include <stdlib.h>
#include <string.h>

typedef enum return_values {
    RV_NONE, RV_ALL_OLD, RV_UPDATED_OLD, RV_ALL_NEW, RV_UPDATED_NEW
} return_values;

static const char *const rv_names[] = { "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW" };

/* ReturnValues: first the enum every op shares, then the values this op
 * allows (allowed is a bit mask of 1 << return_values). */
static int parse_return_values(const cJSON *in, unsigned allowed, return_values *rv, hg_err *err)
{
    const char *s;
    *rv = RV_NONE;
    if (ddb_get_string(in, "ReturnValues", &s, err) != 0) return -1;
    if (!s) return 0;
    for (int i = 0; i < (int)(sizeof rv_names / sizeof rv_names[0]); i++) {
        if (strcmp(s, rv_names[i]) != 0) continue;
        if (!(allowed & (1u << i)))
            return hg_err_validation(err, "Return values set to invalid value");
        *rv = (return_values)i;
        return 0;
    }
    return hg_err_validation(err, "1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: "
                             "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", s);
}

/* AWS adds ItemCollectionMetrics only where an item collection exists. */
static void add_collection_metrics(cJSON *out, const ddb_table *t, const cJSON *keyed)
{
    if (!ddb_table_has_lsi(t) || !cJSON_GetObjectItemCaseSensitive(keyed, t->hash.name)) return;
    cJSON_AddItemToObject(out, "ItemCollectionMetrics", ddb_collection_metrics_json(t, keyed));
}

/* "Attributes" is present only when there is something to return. */
static void add_attributes(cJSON *out, cJSON *attrs)
{
    if (attrs && attrs->child) cJSON_AddItemToObject(out, "Attributes", attrs);
    else cJSON_Delete(attrs);
}

/* The shared body of the three writes: prepare, apply in a transaction,
 * then fill out the response. */
static int run_write(ddb_ctx *ctx, ddb_write_kind kind, cJSON *in, unsigned allowed_rv,
                     cJSON *out, hg_err *err)
{
    return_values rv;
    ddb_cap_mode cap;
    bool metrics;
    if (parse_return_values(in, allowed_rv, &rv, err) != 0 ||
        ddb_cap_mode_parse(in, &cap, err) != 0 ||
        ddb_metrics_mode_parse(in, &metrics, err) != 0)
        return -1;

    ddb_write w;
    cJSON *old = NULL, *neu = NULL;
    int rc = -1;
    /* Ask only for what the response carries: a plain PutItem then skips
     * reading the old item, and being one statement needs no transaction
     * of its own to be atomic; so does a put only if absent (insert). */
    cJSON **want_old = rv == RV_ALL_OLD || rv == RV_UPDATED_OLD ? &old : NULL;
    cJSON **want_new = rv == RV_ALL_NEW || rv == RV_UPDATED_NEW ? &neu : NULL;
    if (ddb_write_prepare(ctx, kind, in, NULL, &w, err) != 0) goto done;
    w.count_units = cap != DDB_CAP_NONE;
    bool txn = !ddb_write_is_blind(&w, want_old != NULL) && !ddb_write_is_insert(&w, want_old != NULL);
    if (txn && hg_store_begin_write(ctx->store, err) != 0) goto done;
    if (ddb_write_apply(ctx, &w, want_old, want_new, err) != 0 || hg_store_commit(ctx->store, err) != 0) {
        hg_store_rollback(ctx->store);
        goto done;
    }

    switch (rv) {
    case RV_NONE: break;
    case RV_ALL_OLD:     add_attributes(out, old); old = NULL; break;
    case RV_ALL_NEW:     add_attributes(out, neu); neu = NULL; break;
    case RV_UPDATED_OLD: add_attributes(out, ddb_expr_project_updated(w.update, old)); break;
    case RV_UPDATED_NEW: add_attributes(out, ddb_expr_project_updated(w.update, neu)); break;
    }
    cJSON *cc = ddb_capacity_json(w.table, cap, false, w.table_units, w.index_units);
    if (cc) cJSON_AddItemToObject(out, "ConsumedCapacity", cc);
    if (metrics) add_collection_metrics(out, w.table, w.item);
    rc = 0;
done:
    cJSON_Delete(old);
    cJSON_Delete(neu);
    ddb_write_release(&w);
    return rc;
}

int ddb_op_put_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    return run_write(ctx, DDB_WRITE_PUT, in, 1u << RV_NONE | 1u << RV_ALL_OLD, out, err);
}

int ddb_op_update_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    return run_write(ctx, DDB_WRITE_UPDATE, in,
                     1u << RV_NONE | 1u << RV_ALL_OLD | 1u << RV_UPDATED_OLD | 1u << RV_ALL_NEW | 1u << RV_UPDATED_NEW,
                     out, err);
}

int ddb_op_delete_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    return run_write(ctx, DDB_WRITE_DELETE, in, 1u << RV_NONE | 1u << RV_ALL_OLD, out, err);
}

/* ---- GetItem --------------------------------------------------------------- */

/* Legacy AttributesToGet: top-level names, distinct, at least one. */
static int check_attributes_to_get(const cJSON *list, hg_err *err)
{
    int n = cJSON_GetArraySize(list);
    if (n < 1)
        return hg_err_validation(err, "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 1");
    for (const cJSON *a = list->child; a; a = a->next) {
        if (!cJSON_IsString(a))
            return hg_err_set(err, 400, "SerializationException", "AttributesToGet must be a list of strings");
        for (const cJSON *b = list->child; b != a; b = b->next)
            if (strcmp(a->valuestring, b->valuestring) == 0)
                return hg_err_validation(err, "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                                         a->valuestring);
    }
    return 0;
}

/* A new object with the named attributes of item (caller frees). */
static cJSON *pick_attributes(const cJSON *item, const cJSON *names)
{
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *n = names->child; out && n; n = n->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, n->valuestring);
        if (v) cJSON_AddItemToObject(out, n->valuestring, cJSON_Duplicate(v, 1));
    }
    return out;
}

int ddb_op_get_item(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name, *proj_text;
    cJSON *key, *names, *to_get;
    bool consistent;
    ddb_cap_mode cap;
    if (ddb_need_string(in, "TableName", &name, err) != 0 ||
        ddb_check_table_name(name, "tableName", err) != 0 ||
        ddb_get_object(in, "Key", &key, err) != 0 ||
        ddb_get_bool(in, "ConsistentRead", false, &consistent, err) != 0 ||
        ddb_cap_mode_parse(in, &cap, err) != 0 ||
        ddb_get_string(in, "ProjectionExpression", &proj_text, err) != 0 ||
        ddb_get_object(in, "ExpressionAttributeNames", &names, err) != 0 ||
        ddb_get_array(in, "AttributesToGet", &to_get, err) != 0)
        return -1;
    if (!key)
        return hg_err_validation(err, "1 validation error detected: Value null at 'key' failed to satisfy constraint: "
                                 "Member must not be null");
    if (ddb_item_validate(key, err) != 0) return -1;
    if (to_get && proj_text)
        return hg_err_validation(err, "Can not use both expression and non-expression parameters in the same request: "
                                 "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}");
    if (to_get && check_attributes_to_get(to_get, err) != 0) return -1;
    if (names && !proj_text)
        return hg_err_validation(err, "ExpressionAttributeNames can only be specified when using expressions");

    ddb_expr_env env;
    ddb_expr *proj = NULL;
    ddb_table *t = NULL;
    ddb_key k;
    cJSON *item = NULL;
    int rc = -1;
    ddb_key_init(&k);
    memset(&env, 0, sizeof env);
    if (ddb_expr_env_init(&env, names, NULL, err) != 0) goto done;
    if (proj_text && ddb_expr_parse(&env, DDB_EXPR_PROJECTION, proj_text, &proj, err) != 0) goto done;
    if (ddb_expr_env_check_unused(&env, err) != 0) goto done;

    if (ddb_table_open(ctx, name, true, &t, err) != 0) goto done;
    if (ddb_key_from_keyparam(t, key, &k, err) != 0) goto done;
    if (!proj && !to_get && cap == DDB_CAP_NONE) {
        /* The whole item and nothing else: the stored text goes out as it
         * is (a raw node), not parsed only to be printed again. */
        char *text;
        if (ddb_item_read_text(ctx, t, &k, &text, err) != 0) goto done;
        if (text) {
            cJSON *raw = cJSON_CreateRaw(text);
            free(text);
            if (!raw) { hg_err_internal(err, "out of memory"); goto done; }
            cJSON_AddItemToObject(out, "Item", raw);
        }
        rc = 0;
        goto done;
    }
    if (ddb_item_read(ctx, t, &k, &item, err) != 0) goto done;

    /* A read is charged on the whole item, whatever the projection keeps. */
    double units = ddb_read_units(item ? ddb_item_size(item) : 0, consistent);
    if (item) {
        cJSON *shown = item;
        if (proj) shown = ddb_expr_project(proj, item);
        else if (to_get) shown = pick_attributes(item, to_get);
        if (!shown) { hg_err_internal(err, "out of memory"); goto done; }
        if (shown != item) { cJSON_Delete(item); item = NULL; }
        else item = NULL;
        cJSON_AddItemToObject(out, "Item", shown);
    }
    cJSON *cc = ddb_capacity_json(t, cap, true, units, NULL);
    if (cc) cJSON_AddItemToObject(out, "ConsumedCapacity", cc);
    rc = 0;
done:
    cJSON_Delete(item);
    ddb_expr_free(proj);
    ddb_expr_env_release(&env);
    ddb_key_release(&k);
    ddb_table_free(t);
    return rc;
}
