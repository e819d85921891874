/*
 * write.c — the single-item write engine: one Put, Update, Delete or
 * ConditionCheck, validated once (prepare) and executed inside the caller's
 * write transaction (apply). PutItem/UpdateItem/DeleteItem, BatchWriteItem
 * and TransactWriteItems all come through here, so a condition, an update or
 * an index entry behaves the same whichever operation carried it.
 *
 * Invariants of a prepared ddb_write:
 *   1. w->table is open and owned; w->key holds the item's primary key,
 *      already validated against the schema (types, emptiness, sizes).
 *   2. w->item borrows from the request: for PUT the new item (validated,
 *      numbers canonical, size <= 400 KB); for UPDATE/DELETE/CHECK the Key
 *      parameter, so UPDATE can build a fresh item from it.
 *   3. Every expression parsed, every #name/:value used, and no update
 *      target is a key attribute.
 *   4. ddb_write_release is safe after any prepare, failed or not.
 */
#include "ddb.h"

#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"

/* The request members of each kind that hold expressions, for the "can
 * only be specified when using expressions" message. */
static const char *expr_members(ddb_write_kind kind)
{
    return kind == DDB_WRITE_UPDATE ? "UpdateExpression and ConditionExpression are null"
                                    : "ConditionExpression is null";
}

/* Legacy (pre-expression) parameters. They are rejected with a message that
 * names the expression to use instead: this emulator speaks expressions. */
static int reject_legacy(const cJSON *part, bool has_expr, hg_err *err)
{
    static const struct { const char *member, *instead; } legacy[] = {
        { "Expected",            "ConditionExpression" },
        { "ConditionalOperator", "ConditionExpression" },
        { "AttributeUpdates",    "UpdateExpression" },
    };
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(part, legacy[i].member);
        if (!v || cJSON_IsNull(v)) continue;
        if (has_expr)
            return hg_err_validation(err, "Can not use both expression and non-expression parameters in the same request: "
                                     "Non-expression parameters: {%s} Expression parameters: {%s}",
                                     legacy[i].member, legacy[i].instead);
        return hg_err_validation(err, "The legacy parameter %s is not supported by this emulator; use %s instead",
                                 legacy[i].member, legacy[i].instead);
    }
    return 0;
}

/* A required map member: AWS's "Value null at 'item'" when absent. */
static int need_object(const cJSON *in, const char *key, cJSON **out, hg_err *err)
{
    if (ddb_get_object(in, key, out, err) != 0) return -1;
    if (!*out)
        return hg_err_validation(err, "1 validation error detected: Value null at '%c%s' failed to satisfy constraint: "
                                 "Member must not be null", key[0] | 0x20, key + 1);
    return 0;
}

static int parse_expressions(ddb_write *w, cJSON *part, hg_err *err)
{
    cJSON *names, *values;
    const char *cond = NULL, *update = NULL;
    if (ddb_get_object(part, "ExpressionAttributeNames", &names, err) != 0 ||
        ddb_get_object(part, "ExpressionAttributeValues", &values, err) != 0 ||
        ddb_get_string(part, "ConditionExpression", &cond, err) != 0)
        return -1;
    if (w->kind == DDB_WRITE_UPDATE && ddb_get_string(part, "UpdateExpression", &update, err) != 0)
        return -1;
    if (reject_legacy(part, cond || update, err) != 0) return -1;
    if (w->kind == DDB_WRITE_CHECK && !cond)
        return hg_err_validation(err, "1 validation error detected: Value null at 'conditionExpression' failed to satisfy "
                                 "constraint: Member must not be null");
    if (!cond && !update) {
        if (names)
            return hg_err_validation(err, "ExpressionAttributeNames can only be specified when using expressions");
        if (values)
            return hg_err_validation(err, "ExpressionAttributeValues can only be specified when using expressions: %s",
                                     expr_members(w->kind));
    }
    if (ddb_expr_env_init(&w->env, names, values, err) != 0) return -1;
    /* AWS reports the update expression's problems before the condition's. */
    if (update && ddb_expr_parse(&w->env, DDB_EXPR_UPDATE, update, &w->update, err) != 0) return -1;
    if (cond && ddb_expr_parse(&w->env, DDB_EXPR_CONDITION, cond, &w->cond, err) != 0) return -1;
    return ddb_expr_env_check_unused(&w->env, err);
}

static int parse_return_on_fail(ddb_write *w, const cJSON *part, hg_err *err)
{
    const char *s;
    if (ddb_get_string(part, "ReturnValuesOnConditionCheckFailure", &s, err) != 0) return -1;
    if (!s || strcmp(s, "NONE") == 0) return 0;
    if (strcmp(s, "ALL_OLD") == 0) { w->return_old_on_fail = true; return 0; }
    return hg_err_validation(err, "1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' "
                             "failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", s);
}

int ddb_write_prepare(ddb_ctx *ctx, ddb_write_kind kind, cJSON *part, const char *table_name,
                      ddb_write *w, hg_err *err)
{
    memset(w, 0, sizeof *w);
    w->kind = kind;
    ddb_key_init(&w->key);
    if (!cJSON_IsObject(part))
        return hg_err_validation(err, "The write request must be an object");

    if (!table_name) {
        if (ddb_need_string(part, "TableName", &table_name, err) != 0) return -1;
        if (ddb_check_table_name(table_name, "tableName", err) != 0) return -1;
    }
    if (parse_return_on_fail(w, part, err) != 0) return -1;

    /* The values themselves first: AWS rejects a bad AttributeValue before
     * it looks at expressions or at the table. */
    if (kind == DDB_WRITE_PUT) {
        if (need_object(part, "Item", &w->item, err) != 0) return -1;
        if (ddb_item_validate(w->item, err) != 0) return -1;
        if (ddb_item_size(w->item) > DDB_MAX_ITEM_SIZE)
            return hg_err_validation(err, "Item size has exceeded the maximum allowed size");
    } else {
        if (need_object(part, "Key", &w->item, err) != 0) return -1;
        if (ddb_item_validate(w->item, err) != 0) return -1;
    }
    if (parse_expressions(w, part, err) != 0) return -1;

    if (ddb_table_open(ctx, table_name, true, &w->table, err) != 0) return -1;
    if (kind == DDB_WRITE_PUT) {
        if (ddb_key_from_item(w->table, w->item, &w->key, err) != 0) return -1;
    } else {
        if (ddb_key_from_keyparam(w->table, w->item, &w->key, err) != 0) return -1;
    }
    if (w->update) {
        const char **targets;
        int n = ddb_expr_update_targets(w->update, &targets);
        for (int i = 0; i < n; i++)
            if (ddb_is_table_key(w->table, targets[i]))
                return hg_err_validation(err, "One or more parameter values were invalid: Cannot update attribute %s. "
                                         "This attribute is part of the key", targets[i]);
    }
    w->index_units = calloc((size_t)w->table->nindexes + 1, sizeof *w->index_units);
    if (!w->index_units) return hg_err_internal(err, "out of memory");
    return 0;
}

/* An update that only takes things away (REMOVE, DELETE) does not bring a
 * missing item into being: DynamoDB creates items only from new data (or
 * from an update with no expression at all). */
static bool only_removes(const ddb_expr *update)
{
    if (!update) return false;
    for (int i = 0; i < update->nactions; i++)
        if (update->actions[i].clause == DU_SET || update->actions[i].clause == DU_ADD) return false;
    return true;
}

/* UPDATE: the item as the update expression leaves it (a new object), or
 * NULL when a missing item stays missing. */
static int updated_item(const ddb_write *w, const cJSON *old, cJSON **out, hg_err *err)
{
    *out = NULL;
    if (!old && only_removes(w->update)) return 0;
    cJSON *item = old ? cJSON_Duplicate(old, 1) : cJSON_Duplicate(w->item, 1);
    if (!item) return hg_err_internal(err, "out of memory");
    if (w->update && ddb_expr_apply_update(w->update, item, err) != 0) {
        cJSON_Delete(item);
        return -1;
    }
    if (ddb_item_size(item) > DDB_MAX_ITEM_SIZE) {
        cJSON_Delete(item);
        return hg_err_validation(err, "Item size to update has exceeded the maximum allowed size");
    }
    *out = item;
    return 0;
}

int ddb_write_apply(ddb_ctx *ctx, ddb_write *w, cJSON **old_item, cJSON **new_item, hg_err *err)
{
    cJSON *old = NULL, *made = NULL;   /* made: an UPDATE's new item (owned here) */
    const cJSON *next = NULL;          /* what gets written: borrowed or `made` */
    int rc = -1;
    if (old_item) *old_item = NULL;
    if (new_item) *new_item = NULL;
    for (int i = 0; i < w->table->nindexes; i++) w->index_units[i] = 0;
    w->table_units = 0;

    if (ddb_item_read(ctx, w->table, &w->key, &old, err) != 0) return -1;

    if (w->cond) {
        bool holds;
        if (ddb_expr_eval(w->cond, old, &holds, err) != 0) goto done;
        if (!holds) {
            if (w->return_old_on_fail && old) {
                if (!ctx->err_extra) ctx->err_extra = cJSON_CreateObject();
                if (ctx->err_extra) {
                    cJSON_DeleteItemFromObjectCaseSensitive(ctx->err_extra, "Item");
                    cJSON_AddItemToObject(ctx->err_extra, "Item", old);
                    old = NULL;                 /* now owned by err_extra */
                }
            }
            ddb_err_condition(err);
            goto done;
        }
    }

    switch (w->kind) {
    case DDB_WRITE_PUT:    next = w->item; break;
    case DDB_WRITE_UPDATE:
        if (updated_item(w, old, &made, err) != 0) goto done;
        next = made;
        break;
    case DDB_WRITE_DELETE: next = NULL; break;
    case DDB_WRITE_CHECK:  break;
    }

    /* Writes cost the larger of the old and new item, per started KB;
     * a ConditionCheck is charged as the write it guards would be. */
    size_t old_size = old ? ddb_item_size(old) : 0;
    size_t new_size = next ? ddb_item_size(next) : 0;
    w->table_units = ddb_write_units(old_size > new_size ? old_size : new_size);

    if (w->kind != DDB_WRITE_CHECK && (old || next) &&
        ddb_item_write(ctx, w->table, &w->key, old, next, w->index_units, err) != 0)
        goto done;

    if (new_item && w->kind != DDB_WRITE_DELETE) {
        if (w->kind == DDB_WRITE_CHECK) {
            *new_item = old ? cJSON_Duplicate(old, 1) : NULL;
        } else if (made) {
            *new_item = made;
            made = NULL;
        } else {
            *new_item = cJSON_Duplicate(next, 1);
        }
    }
    if (old_item) { *old_item = old; old = NULL; }
    rc = 0;
done:
    cJSON_Delete(old);
    cJSON_Delete(made);
    return rc;
}

void ddb_write_release(ddb_write *w)
{
    if (!w) return;
    ddb_expr_free(w->cond);
    ddb_expr_free(w->update);
    ddb_expr_env_release(&w->env);
    ddb_key_release(&w->key);
    ddb_table_free(w->table);
    free(w->index_units);
    w->cond = w->update = NULL;
    w->table = NULL;
    w->index_units = NULL;
}
