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
 *   5. Legacy Expected/ConditionalOperator/AttributeUpdates have been
 *      rewritten in the request as expressions before anything is parsed,
 *      so apply knows only expressions.
 */
#include "ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The request members of each kind that hold expressions, for the "can
 * only be specified when using expressions" message. */
static const char *expr_members(ddb_write_kind kind)
{
    return kind == DDB_WRITE_UPDATE ? "UpdateExpression and ConditionExpression are null"
                                    : "ConditionExpression is null";
}

/* ---- legacy parameters -------------------------------------------------
 * Expected, ConditionalOperator and AttributeUpdates predate expressions.
 * They are translated into the equivalent ConditionExpression and
 * UpdateExpression, with private placeholders (#lgN, :lgN) written into the
 * request object itself: one evaluator then serves both forms, and the
 * expression env borrows from the request as it always does. */

typedef struct legacy_tx {
    hg_buf text;
    cJSON *names, *values;   /* owned until handed to the request */
    int n;                   /* placeholders made so far */
} legacy_tx;

static int lg_name(legacy_tx *tx, const char *attr)
{
    char ph[32];
    snprintf(ph, sizeof ph, "#lg%d", tx->n++);
    cJSON_AddStringToObject(tx->names, ph, attr);
    return hg_buf_puts(&tx->text, ph);
}

static int lg_value(legacy_tx *tx, const cJSON *av)
{
    char ph[32];
    snprintf(ph, sizeof ph, ":lg%d", tx->n++);
    cJSON_AddItemToObject(tx->values, ph, cJSON_Duplicate(av, 1));
    return hg_buf_puts(&tx->text, ph);
}

/* Legacy comparison operators: the expression each becomes ("%n" the
 * attribute, "%1".."%2" the values, "%*" all values comma-separated) and
 * how many values it takes (-1 = one or more). NOT_CONTAINS is false on a
 * missing attribute, NE true, as DynamoDB evaluates them. */
static const struct { const char *op, *form; int nargs; } legacy_ops[] = {
    { "EQ", "%n = %1", 1 },           { "NE", "%n <> %1", 1 },
    { "LT", "%n < %1", 1 },           { "LE", "%n <= %1", 1 },
    { "GT", "%n > %1", 1 },           { "GE", "%n >= %1", 1 },
    { "NULL", "attribute_not_exists(%n)", 0 },
    { "NOT_NULL", "attribute_exists(%n)", 0 },
    { "CONTAINS", "contains(%n, %1)", 1 },
    { "NOT_CONTAINS", "(attribute_exists(%n) AND NOT contains(%n, %1))", 1 },
    { "BEGINS_WITH", "begins_with(%n, %1)", 1 },
    { "IN", "%n IN (%*)", -1 },
    { "BETWEEN", "%n BETWEEN %1 AND %2", 2 },
};

static int lg_form(legacy_tx *tx, const char *form, const char *attr, const cJSON *args)
{
    for (const char *p = form; *p; p++) {
        if (*p != '%') { if (hg_buf_putc(&tx->text, *p) != 0) return -1; continue; }
        p++;
        if (*p == 'n') { if (lg_name(tx, attr) != 0) return -1; }
        else if (*p == '*') {
            for (const cJSON *a = args->child; a; a = a->next)
                if ((a != args->child && hg_buf_puts(&tx->text, ", ") != 0) || lg_value(tx, a) != 0) return -1;
        } else if (lg_value(tx, cJSON_GetArrayItem(args, *p - '1')) != 0) return -1;
    }
    return 0;
}

/* One Expected entry as a condition. */
static int lg_expected(legacy_tx *tx, const char *attr, const cJSON *cond, hg_err *err)
{
    if (!cJSON_IsObject(cond))
        return hg_err_set(err, 400, "SerializationException", "Expected.%s must be an object", attr);
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(cond, "ComparisonOperator");
    const cJSON *exists = cJSON_GetObjectItemCaseSensitive(cond, "Exists");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(cond, "Value");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(cond, "AttributeValueList");
    if (exists && cJSON_IsNull(exists)) exists = NULL;
    if (value && cJSON_IsNull(value)) value = NULL;
    if (list && cJSON_IsNull(list)) list = NULL;
    if (op && !cJSON_IsNull(op)) {
        if (!cJSON_IsString(op))
            return hg_err_set(err, 400, "SerializationException", "ComparisonOperator must be a string");
        if (exists)
            return hg_err_validation(err, "One or more parameter values were invalid: Exists and ComparisonOperator cannot "
                                     "be used together for Attribute: %s", attr);
        if (value && list)
            return hg_err_validation(err, "One or more parameter values were invalid: Value and AttributeValueList cannot "
                                     "be used together for Attribute: %s", attr);
        if (list && !cJSON_IsArray(list))
            return hg_err_set(err, 400, "SerializationException", "AttributeValueList must be a list");
        cJSON *args = list ? cJSON_Duplicate(list, 1) : cJSON_CreateArray();
        if (!args) return hg_err_internal(err, "out of memory");
        if (value) cJSON_AddItemToArray(args, cJSON_Duplicate(value, 1));
        int nargs = cJSON_GetArraySize(args), rc = -2;
        for (size_t i = 0; i < sizeof legacy_ops / sizeof legacy_ops[0]; i++) {
            if (strcmp(op->valuestring, legacy_ops[i].op) != 0) continue;
            if (legacy_ops[i].nargs >= 0 ? nargs != legacy_ops[i].nargs : nargs < 1)
                rc = hg_err_validation(err, "One or more parameter values were invalid: Invalid number of argument(s) "
                                       "for the %s ComparisonOperator", legacy_ops[i].op);
            else if (lg_form(tx, legacy_ops[i].form, attr, args) != 0)
                rc = hg_err_internal(err, "out of memory");
            else
                rc = 0;
            break;
        }
        cJSON_Delete(args);
        if (rc == -2)
            return hg_err_validation(err, "1 validation error detected: Value '%s' at 'expected.%s.member.comparisonOperator' "
                                     "failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, "
                                     "LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
                                     op->valuestring, attr);
        return rc;
    }
    if (list)
        return hg_err_validation(err, "One or more parameter values were invalid: AttributeValueList can only be used with "
                                 "a ComparisonOperator for Attribute: %s", attr);
    if (exists && !cJSON_IsBool(exists))
        return hg_err_set(err, 400, "SerializationException", "Exists must be a boolean");
    bool must_exist = !exists || cJSON_IsTrue(exists);
    if (must_exist && !value)
        return hg_err_validation(err, "One or more parameter values were invalid: Value must be provided when Exists is %s "
                                 "for Attribute: %s", exists ? "true" : "null", attr);
    if (!must_exist && value)
        return hg_err_validation(err, "One or more parameter values were invalid: Value cannot be used when Exists is false "
                                 "for Attribute: %s", attr);
    cJSON *args = cJSON_CreateArray();
    if (!args) return hg_err_internal(err, "out of memory");
    if (value) cJSON_AddItemToArray(args, cJSON_Duplicate(value, 1));
    int rc = lg_form(tx, must_exist ? "%n = %1" : "attribute_not_exists(%n)", attr, args);
    cJSON_Delete(args);
    return rc == 0 ? 0 : hg_err_internal(err, "out of memory");
}

static int lg_condition(legacy_tx *tx, const cJSON *expected, const cJSON *cop, hg_err *err)
{
    const char *joiner = " AND ";
    if (cop && !cJSON_IsNull(cop)) {
        if (!cJSON_IsString(cop))
            return hg_err_set(err, 400, "SerializationException", "ConditionalOperator must be a string");
        if (strcmp(cop->valuestring, "OR") == 0) joiner = " OR ";
        else if (strcmp(cop->valuestring, "AND") != 0)
            return hg_err_validation(err, "1 validation error detected: Value '%s' at 'conditionalOperator' failed to "
                                     "satisfy constraint: Member must satisfy enum value set: [OR, AND]", cop->valuestring);
    }
    if (!expected || cJSON_IsNull(expected)) return 0;
    if (!cJSON_IsObject(expected))
        return hg_err_set(err, 400, "SerializationException", "Expected must be a map");
    for (const cJSON *c = expected->child; c; c = c->next) {
        if (c != expected->child && hg_buf_puts(&tx->text, joiner) != 0) return hg_err_internal(err, "out of memory");
        if (lg_expected(tx, c->string, c, err) != 0) return -1;
    }
    return 0;
}

/* AttributeUpdates as SET/REMOVE/ADD/DELETE clauses. ADD of a list appends
 * (creating the list), as the legacy API did. */
static int lg_update(legacy_tx *tx, const cJSON *updates, hg_err *err)
{
    static const char *const clauses[] = { "SET ", "REMOVE ", "ADD ", "DELETE " };
    hg_buf parts[4];
    int rc = 0;
    if (!cJSON_IsObject(updates))
        return hg_err_set(err, 400, "SerializationException", "AttributeUpdates must be a map");
    for (int i = 0; i < 4; i++) hg_buf_init(&parts[i], 0);
    hg_buf saved = tx->text;                 /* each clause is built in its own buffer */
    for (const cJSON *u = updates->child; u && rc == 0; u = u->next) {
        const char *attr = u->string;
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(u, "Action");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(u, "Value");
        if (value && cJSON_IsNull(value)) value = NULL;
        const char *act = cJSON_IsString(action) ? action->valuestring : "PUT";
        ddb_type vt = value ? ddb_av_type(value) : DDB_T_INVALID;
        int which;
        const char *form;
        if (!value && strcmp(act, "DELETE") != 0) {
            rc = hg_err_validation(err, "One or more parameter values were invalid: Only DELETE action is allowed when "
                                   "no attribute value is specified");
            break;
        }
        if (strcmp(act, "PUT") == 0) { which = 0; form = "%n = %1"; }
        else if (strcmp(act, "DELETE") == 0) {
            if (!value) { which = 1; form = "%n"; }
            else if (vt == DDB_T_SS || vt == DDB_T_NS || vt == DDB_T_BS) { which = 3; form = "%n %1"; }
            else {
                rc = hg_err_validation(err, "One or more parameter values were invalid: DELETE action with value is not "
                                       "supported for the type %s", ddb_type_name(vt));
                break;
            }
        } else if (strcmp(act, "ADD") == 0) {
            if (vt == DDB_T_N || vt == DDB_T_SS || vt == DDB_T_NS || vt == DDB_T_BS) { which = 2; form = "%n %1"; }
            else if (vt == DDB_T_L) { which = 0; form = "%n = list_append(if_not_exists(%n, %2), %1)"; }
            else {
                rc = hg_err_validation(err, "One or more parameter values were invalid: ADD action is not supported for "
                                       "the type %s", ddb_type_name(vt));
                break;
            }
        } else {
            rc = hg_err_validation(err, "1 validation error detected: Value '%s' at 'attributeUpdates.%s.member.action' "
                                   "failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]",
                                   act, attr);
            break;
        }
        cJSON *args = cJSON_CreateArray();
        if (value) cJSON_AddItemToArray(args, cJSON_Duplicate(value, 1));
        cJSON *empty_list = cJSON_CreateObject();          /* %2 of the list ADD */
        cJSON_AddArrayToObject(empty_list, "L");
        cJSON_AddItemToArray(args, empty_list);
        tx->text = parts[which];
        if ((parts[which].len && hg_buf_puts(&tx->text, ", ") != 0) || lg_form(tx, form, attr, args) != 0)
            rc = hg_err_internal(err, "out of memory");
        parts[which] = tx->text;
        cJSON_Delete(args);
    }
    tx->text = saved;
    for (int i = 0; i < 4 && rc == 0; i++) {
        if (!parts[i].len) continue;
        if ((tx->text.len && hg_buf_putc(&tx->text, ' ') != 0) || hg_buf_puts(&tx->text, clauses[i]) != 0 ||
            hg_buf_append(&tx->text, parts[i].data, parts[i].len) != 0)
            rc = hg_err_internal(err, "out of memory");
    }
    for (int i = 0; i < 4; i++) hg_buf_release(&parts[i]);
    return rc;
}

/* Hand a translated expression to the request: text under `member`, the
 * placeholders merged into its (absent until now) names/values maps. */
static void lg_attach(cJSON *part, const char *member, legacy_tx *tx)
{
    cJSON_AddStringToObject(part, member, hg_buf_cstr(&tx->text));
    hg_buf_reset(&tx->text);
}

/* Translate the legacy members of part, if any, into expressions. Mixing
 * the two styles is refused with AWS's message. */
static int translate_legacy(ddb_write_kind kind, cJSON *part, hg_err *err)
{
    static const char *const legacy[] = { "AttributeUpdates", "Expected", "ConditionalOperator" };
    static const char *const modern[] = { "UpdateExpression", "ConditionExpression", "ExpressionAttributeNames",
                                          "ExpressionAttributeValues" };
    char have_legacy[128] = "", have_modern[128] = "";
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(part, legacy[i]);
        if (!v || cJSON_IsNull(v) || (i == 0 && kind != DDB_WRITE_UPDATE)) continue;
        snprintf(have_legacy + strlen(have_legacy), sizeof have_legacy - strlen(have_legacy), "%s%s",
                 have_legacy[0] ? ", " : "", legacy[i]);
    }
    if (!have_legacy[0]) return 0;
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(part, modern[i]);
        if (!v || cJSON_IsNull(v)) continue;
        snprintf(have_modern + strlen(have_modern), sizeof have_modern - strlen(have_modern), "%s%s",
                 have_modern[0] ? ", " : "", modern[i]);
    }
    if (have_modern[0])
        return hg_err_validation(err, "Can not use both expression and non-expression parameters in the same request: "
                                 "Non-expression parameters: {%s} Expression parameters: {%s}", have_legacy, have_modern);
    /* Names/values without an expression get their own message later. */
    for (int i = 2; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(part, modern[i]);
        if (v && !cJSON_IsNull(v)) return 0;
    }

    legacy_tx tx = { .n = 0 };
    hg_buf_init(&tx.text, 64 * 1024);
    tx.names = cJSON_CreateObject();
    tx.values = cJSON_CreateObject();
    int rc = tx.names && tx.values ? 0 : hg_err_internal(err, "out of memory");
    if (rc == 0)
        rc = lg_condition(&tx, cJSON_GetObjectItemCaseSensitive(part, "Expected"),
                          cJSON_GetObjectItemCaseSensitive(part, "ConditionalOperator"), err);
    if (rc == 0 && tx.text.len) lg_attach(part, "ConditionExpression", &tx);
    const cJSON *updates = cJSON_GetObjectItemCaseSensitive(part, "AttributeUpdates");
    if (rc == 0 && kind == DDB_WRITE_UPDATE && updates && !cJSON_IsNull(updates)) {
        rc = lg_update(&tx, updates, err);
        if (rc == 0 && tx.text.len) lg_attach(part, "UpdateExpression", &tx);
    }
    if (rc == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(part, "Expected");
        cJSON_DeleteItemFromObjectCaseSensitive(part, "ConditionalOperator");
        cJSON_DeleteItemFromObjectCaseSensitive(part, "AttributeUpdates");
        if (tx.names->child) { cJSON_AddItemToObject(part, "ExpressionAttributeNames", tx.names); tx.names = NULL; }
        if (tx.values->child) { cJSON_AddItemToObject(part, "ExpressionAttributeValues", tx.values); tx.values = NULL; }
    }
    cJSON_Delete(tx.names);
    cJSON_Delete(tx.values);
    hg_buf_release(&tx.text);
    return rc;
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
    if (translate_legacy(w->kind, part, err) != 0) return -1;
    if (ddb_get_object(part, "ExpressionAttributeNames", &names, err) != 0 ||
        ddb_get_object(part, "ExpressionAttributeValues", &values, err) != 0 ||
        ddb_get_string(part, "ConditionExpression", &cond, err) != 0)
        return -1;
    if (w->kind == DDB_WRITE_UPDATE && ddb_get_string(part, "UpdateExpression", &update, err) != 0)
        return -1;
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
    w->count_units = true;
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
        w->item_size = ddb_item_size(w->item);
        if (w->item_size > DDB_MAX_ITEM_SIZE)
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

/* UPDATE: the item as the update expression leaves it (a new object), or
 * NULL when a missing item stays missing. */
static int updated_item(const ddb_write *w, const cJSON *old, cJSON **out, hg_err *err)
{
    *out = NULL;
    /* An update that only takes things away (REMOVE, DELETE) does not bring
     * a missing item into being: DynamoDB creates items only from new data
     * (or from an update with no expression at all). */
    if (!old && w->update && ddb_expr_update_only_removes(w->update)) return 0;
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

/* The insert form of apply (ddb_write_is_insert): the store's "insert
 * unless present" is the condition and the write in one statement. */
static int apply_insert(ddb_ctx *ctx, ddb_write *w, cJSON **new_item, hg_err *err)
{
    int rc = ddb_item_insert(ctx, w->table, &w->key, w->item, w->item_size, err);
    if (rc < 0) return -1;
    if (rc == 1) return ddb_err_condition(err);
    w->table_units = ddb_write_units(w->item_size);
    if (new_item && !(*new_item = cJSON_Duplicate(w->item, 1))) return hg_err_internal(err, "out of memory");
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
    if (ddb_write_is_insert(w, old_item != NULL)) {
        w->blind = true;
        return apply_insert(ctx, w, new_item, err);
    }

    /* The old item is read to check a condition, to keep indexes, and to
     * hand back; a plain put needs none of that, and skipping the read
     * (a b-tree descent and a JSON parse) is a fifth of its cost. */
    w->blind = ddb_write_is_blind(w, old_item != NULL);
    if (!w->blind && ddb_item_read(ctx, w->table, &w->key, &old, err) != 0) return -1;

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
    size_t new_size = next == w->item && w->kind == DDB_WRITE_PUT ? w->item_size : next ? ddb_item_size(next) : 0;
    w->table_units = ddb_write_units(old_size > new_size ? old_size : new_size);

    if (w->kind != DDB_WRITE_CHECK && (old || next) &&
        ddb_item_write(ctx, w->table, &w->key, old, next, new_size, w->index_units, err) != 0)
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

bool ddb_write_is_blind(const ddb_write *w, bool wants_old)
{
    return w->kind == DDB_WRITE_PUT && !w->cond && !wants_old && !w->count_units && w->table->nindexes == 0;
}

bool ddb_write_is_insert(const ddb_write *w, bool wants_old)
{
    if (w->kind != DDB_WRITE_PUT || !w->cond || wants_old || w->return_old_on_fail || w->table->nindexes) return false;
    const char *attr = ddb_expr_absent_attr(w->cond);
    return attr && ddb_is_table_key(w->table, attr);
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
