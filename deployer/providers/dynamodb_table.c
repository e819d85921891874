/*
 * dynamodb_table.c — aws:dynamodb:Table over DynamoDB's JSON 1.0 API.
 *
 * The key schema (hashKey, rangeKey), the name and the LSIs can only be set
 * at creation, so changing them replaces the table; billing, capacity,
 * GSIs, streams, deletion protection and the table class go through
 * UpdateTable, TTL through UpdateTimeToLive, point-in-time recovery through
 * UpdateContinuousBackups and tags through Tag/UntagResource. Create and
 * every UpdateTable wait until the table (and its indexes) are ACTIVE.
 */
#include "prov_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "aws:dynamodb:Table"
#define WAIT_POLLS 600          /* 600 x 100 ms: a minute for real AWS */

static const prov_prop props[] = {
    { "attributes", PROP_REQUIRED },
    { "billingMode", 0 },
    { "deletionProtectionEnabled", 0 },
    { "globalSecondaryIndexes", 0 },
    { "hashKey", PROP_REQUIRED | PROP_REPLACE },
    { "localSecondaryIndexes", PROP_REPLACE },
    { "name", PROP_REPLACE },
    { "pointInTimeRecovery", 0 },
    { "rangeKey", PROP_REPLACE },
    { "readCapacity", 0 },
    { "streamEnabled", 0 },
    { "streamViewType", 0 },
    { "tableClass", 0 },
    { "tags", 0 },
    { "ttl", 0 },
    { "writeCapacity", 0 },
    { NULL, 0 },
};

static int call(prov_ctx *ctx, const char *op, const cJSON *body, cJSON **out, hg_err *err)
{
    char target[64];
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    return aws_json_call(ctx->aws, "dynamodb", target, "1.0", body, out, err);
}

static bool has_attribute(const cJSON *attrs, const char *name)
{
    for (const cJSON *a = attrs ? attrs->child : NULL; a; a = a->next)
        if (cJSON_GetStringValue(prov_get(a, "name")) && strcmp(prov_str(a, "name"), name) == 0) return true;
    return false;
}

static int check_index(const cJSON *ix, const char *prop, const cJSON *attrs, bool global, hg_err *err)
{
    static const char *const projections[] = { "ALL", "KEYS_ONLY", "INCLUDE", NULL };
    char where[64];
    snprintf(where, sizeof where, T " %s", prop);
    if (!cJSON_IsObject(ix)) return hg_err_validation(err, "%s: every index must be an object", where);
    if (prov_check_string(ix, "name", true, where, err) < 0 ||
        prov_check_string(ix, "rangeKey", !global, where, err) < 0 ||
        prov_check_string(ix, "hashKey", global, where, err) < 0 ||
        prov_check_enum(ix, "projectionType", projections, where, err) < 0 ||
        prov_check_array(ix, "nonKeyAttributes", where, err) < 0 ||
        prov_check_number(ix, "readCapacity", false, 1, 1e12, where, err) < 0 ||
        prov_check_number(ix, "writeCapacity", false, 1, 1e12, where, err) < 0)
        return -1;
    if (!prov_str(ix, "projectionType")) return hg_err_validation(err, "%s: missing required property 'projectionType'", where);
    const char *keys[2] = { prov_str(ix, "hashKey"), prov_str(ix, "rangeKey") };
    for (int i = 0; i < 2; i++)
        if (keys[i] && !has_attribute(attrs, keys[i]))
            return hg_err_validation(err, "%s: index '%s' key '%s' is not among the table's attributes", where,
                                     prov_str(ix, "name"), keys[i]);
    return 0;
}

static int check(prov_ctx *ctx, const cJSON *olds, cJSON *news, hg_err *err)
{
    static const char *const billing[] = { "PROVISIONED", "PAY_PER_REQUEST", NULL };
    static const char *const views[] = { "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", NULL };
    static const char *const classes[] = { "STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL };
    static const char *const types[] = { "S", "N", "B", NULL };
    if (prov_autoname_prop(ctx, olds, news, "name", 255, T, err) < 0 ||
        prov_check_string(news, "hashKey", true, T, err) < 0 ||
        prov_check_string(news, "rangeKey", false, T, err) < 0 ||
        prov_check_array(news, "attributes", T, err) < 0 ||
        prov_check_enum(news, "billingMode", billing, T, err) < 0 ||
        prov_check_number(news, "readCapacity", false, 1, 1e12, T, err) < 0 ||
        prov_check_number(news, "writeCapacity", false, 1, 1e12, T, err) < 0 ||
        prov_check_array(news, "globalSecondaryIndexes", T, err) < 0 ||
        prov_check_array(news, "localSecondaryIndexes", T, err) < 0 ||
        prov_check_object(news, "ttl", T, err) < 0 ||
        prov_check_object(news, "pointInTimeRecovery", T, err) < 0 ||
        prov_check_bool(news, "streamEnabled", T, err) < 0 ||
        prov_check_enum(news, "streamViewType", views, T, err) < 0 ||
        prov_check_string_map(news, "tags", T, err) < 0 ||
        prov_check_bool(news, "deletionProtectionEnabled", T, err) < 0 ||
        prov_check_enum(news, "tableClass", classes, T, err) < 0)
        return -1;
    const cJSON *attrs = prov_get(news, "attributes");
    if (!attrs) return hg_err_validation(err, T ": missing required property 'attributes'");
    for (const cJSON *a = attrs->child; a; a = a->next) {
        if (!cJSON_IsObject(a) || prov_check_string(a, "name", true, T " attributes", err) < 0)
            return hg_err_set(err, 400, "ValidationException", T ": every attribute needs a 'name' and a 'type'");
        if (prov_check_enum(a, "type", types, T " attributes", err) < 0) return -1;
        if (!prov_str(a, "type"))
            return hg_err_validation(err, T ": attribute '%s' is missing its 'type' (S, N or B)", prov_str(a, "name"));
    }
    const char *hash = prov_str(news, "hashKey"), *range = prov_str(news, "rangeKey");
    if (!has_attribute(attrs, hash))
        return hg_err_validation(err, T ": hashKey '%s' must be one of the table's attributes", hash);
    if (range && !has_attribute(attrs, range))
        return hg_err_validation(err, T ": rangeKey '%s' must be one of the table's attributes", range);
    const char *mode = prov_str(news, "billingMode");
    if (!mode) {
        prov_set_str(news, "billingMode", "PROVISIONED");
        mode = "PROVISIONED";
    }
    if (strcmp(mode, "PROVISIONED") == 0 && (!prov_get(news, "readCapacity") || !prov_get(news, "writeCapacity")))
        return hg_err_validation(err, T ": billingMode PROVISIONED needs readCapacity and writeCapacity "
                                 "(or set billingMode: PAY_PER_REQUEST)");
    const cJSON *g = prov_get(news, "globalSecondaryIndexes"), *l = prov_get(news, "localSecondaryIndexes");
    for (const cJSON *ix = g ? g->child : NULL; ix; ix = ix->next)
        if (check_index(ix, "globalSecondaryIndexes", attrs, true, err) < 0) return -1;
    for (const cJSON *ix = l ? l->child : NULL; ix; ix = ix->next)
        if (check_index(ix, "localSecondaryIndexes", attrs, false, err) < 0) return -1;
    if (prov_bool(news, "streamEnabled", false) && !prov_str(news, "streamViewType"))
        return hg_err_validation(err, T ": streamEnabled needs streamViewType");
    const cJSON *ttl = prov_get(news, "ttl");
    if (ttl && prov_bool(ttl, "enabled", false) && !prov_str(ttl, "attributeName"))
        return hg_err_validation(err, T ": ttl.enabled needs ttl.attributeName");
    return 0;
}

/* ---- request pieces ------------------------------------------------------- */

static cJSON *key_schema(const char *hash, const char *range)
{
    cJSON *ks = cJSON_CreateArray();
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "AttributeName", hash);
    cJSON_AddStringToObject(h, "KeyType", "HASH");
    cJSON_AddItemToArray(ks, h);
    if (range) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "AttributeName", range);
        cJSON_AddStringToObject(r, "KeyType", "RANGE");
        cJSON_AddItemToArray(ks, r);
    }
    return ks;
}

static cJSON *throughput(const cJSON *in)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddNumberToObject(t, "ReadCapacityUnits", prov_num(in, "readCapacity", 1));
    cJSON_AddNumberToObject(t, "WriteCapacityUnits", prov_num(in, "writeCapacity", 1));
    return t;
}

static cJSON *index_spec(const cJSON *ix, const char *table_hash, bool provisioned)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "IndexName", prov_str(ix, "name"));
    const char *hash = prov_str(ix, "hashKey");
    cJSON_AddItemToObject(o, "KeySchema", key_schema(hash ? hash : table_hash, prov_str(ix, "rangeKey")));
    cJSON *p = cJSON_AddObjectToObject(o, "Projection");
    cJSON_AddStringToObject(p, "ProjectionType", prov_str(ix, "projectionType"));
    const cJSON *nk = prov_get(ix, "nonKeyAttributes");
    if (nk && cJSON_GetArraySize(nk) > 0) cJSON_AddItemToObject(p, "NonKeyAttributes", cJSON_Duplicate(nk, 1));
    if (provisioned) cJSON_AddItemToObject(o, "ProvisionedThroughput", throughput(ix));
    return o;
}

static bool provisioned(const cJSON *in)
{
    const char *m = prov_str(in, "billingMode");
    return !m || strcmp(m, "PROVISIONED") == 0;
}

static cJSON *attribute_definitions(const cJSON *in)
{
    cJSON *defs = cJSON_CreateArray();
    const cJSON *attrs = prov_get(in, "attributes");
    for (const cJSON *a = attrs ? attrs->child : NULL; a; a = a->next) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "AttributeName", prov_str(a, "name"));
        cJSON_AddStringToObject(d, "AttributeType", prov_str(a, "type"));
        cJSON_AddItemToArray(defs, d);
    }
    return defs;
}

static cJSON *name_body(const char *name)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "TableName", name);
    return b;
}

/* Poll DescribeTable until the table and its GSIs are ACTIVE; *table gets
 * the last description (new) when asked for. */
static int wait_active(prov_ctx *ctx, const char *name, cJSON **table, hg_err *err)
{
    cJSON *body = name_body(name);
    int rc = -1;
    for (int i = 0; i < WAIT_POLLS; i++) {
        cJSON *out = NULL;
        if (call(ctx, "DescribeTable", body, &out, err) < 0) break;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(out, "Table");
        bool active = strcmp(prov_jstr(t, "TableStatus"), "ACTIVE") == 0;
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(t, "GlobalSecondaryIndexes");
        for (const cJSON *ix = g ? g->child : NULL; ix; ix = ix->next)
            if (strcmp(prov_jstr(ix, "IndexStatus"), "ACTIVE") != 0) active = false;
        if (active) {
            if (table) *table = cJSON_DetachItemFromObjectCaseSensitive(out, "Table");
            cJSON_Delete(out);
            rc = 0;
            break;
        }
        cJSON_Delete(out);
        prov_sleep_ms(100);
    }
    if (rc < 0 && !hg_err_isset(err))
        hg_err_set(err, 504, "ResourceNotReady", "table %s did not become ACTIVE in time", name);
    cJSON_Delete(body);
    return rc;
}

static cJSON *outputs_from(const cJSON *inputs, const cJSON *table)
{
    cJSON *o = prov_outputs_base(inputs);
    const char *name = hg_json_str(table, "TableName");
    prov_set_str(o, "name", name);
    prov_set_str(o, "id", name);
    prov_set_str(o, "arn", hg_json_str(table, "TableArn"));
    prov_set_str(o, "streamArn", hg_json_str(table, "LatestStreamArn") ? hg_json_str(table, "LatestStreamArn") : "");
    prov_set_str(o, "streamLabel", hg_json_str(table, "LatestStreamLabel") ? hg_json_str(table, "LatestStreamLabel") : "");
    return o;
}

static int apply_ttl(prov_ctx *ctx, const char *name, const cJSON *ttl, bool was_enabled, const char *old_attr,
                     hg_err *err)
{
    bool enabled = prov_bool(ttl, "enabled", false);
    if (!enabled && !was_enabled) return 0;
    const char *attr = enabled ? prov_str(ttl, "attributeName") : old_attr;
    if (!attr) return 0;
    cJSON *b = name_body(name);
    cJSON *spec = cJSON_AddObjectToObject(b, "TimeToLiveSpecification");
    cJSON_AddStringToObject(spec, "AttributeName", attr);
    cJSON_AddBoolToObject(spec, "Enabled", enabled);
    int rc = call(ctx, "UpdateTimeToLive", b, NULL, err);
    cJSON_Delete(b);
    return rc;
}

static int apply_pitr(prov_ctx *ctx, const char *name, bool enabled, hg_err *err)
{
    cJSON *b = name_body(name);
    cJSON *spec = cJSON_AddObjectToObject(b, "PointInTimeRecoverySpecification");
    cJSON_AddBoolToObject(spec, "PointInTimeRecoveryEnabled", enabled);
    int rc = call(ctx, "UpdateContinuousBackups", b, NULL, err);
    cJSON_Delete(b);
    return rc;
}

static int create(prov_ctx *ctx, const cJSON *in, char **id, cJSON **outputs, hg_err *err)
{
    *id = NULL;
    *outputs = NULL;
    const char *name = prov_str(in, "name");
    cJSON *b = name_body(name);
    cJSON_AddItemToObject(b, "AttributeDefinitions", attribute_definitions(in));
    cJSON_AddItemToObject(b, "KeySchema", key_schema(prov_str(in, "hashKey"), prov_str(in, "rangeKey")));
    bool prov = provisioned(in);
    cJSON_AddStringToObject(b, "BillingMode", prov ? "PROVISIONED" : "PAY_PER_REQUEST");
    if (prov) cJSON_AddItemToObject(b, "ProvisionedThroughput", throughput(in));
    const char *hash = prov_str(in, "hashKey");
    const cJSON *g = prov_get(in, "globalSecondaryIndexes"), *l = prov_get(in, "localSecondaryIndexes");
    if (g && g->child) {
        cJSON *arr = cJSON_AddArrayToObject(b, "GlobalSecondaryIndexes");
        for (const cJSON *ix = g->child; ix; ix = ix->next) cJSON_AddItemToArray(arr, index_spec(ix, hash, prov));
    }
    if (l && l->child) {
        cJSON *arr = cJSON_AddArrayToObject(b, "LocalSecondaryIndexes");
        for (const cJSON *ix = l->child; ix; ix = ix->next) cJSON_AddItemToArray(arr, index_spec(ix, hash, false));
    }
    if (prov_bool(in, "streamEnabled", false)) {
        cJSON *s = cJSON_AddObjectToObject(b, "StreamSpecification");
        cJSON_AddBoolToObject(s, "StreamEnabled", 1);
        cJSON_AddStringToObject(s, "StreamViewType", prov_str(in, "streamViewType"));
    }
    cJSON *tags = prov_tags_list(prov_get(in, "tags"));
    if (tags) cJSON_AddItemToObject(b, "Tags", tags);
    if (prov_get(in, "deletionProtectionEnabled"))
        cJSON_AddBoolToObject(b, "DeletionProtectionEnabled", prov_bool(in, "deletionProtectionEnabled", false));
    if (prov_str(in, "tableClass")) cJSON_AddStringToObject(b, "TableClass", prov_str(in, "tableClass"));
    int rc = call(ctx, "CreateTable", b, NULL, err);
    cJSON_Delete(b);
    if (rc < 0) return -1;
    /* from here the table exists: report its id even if a later step fails,
     * so the engine records it and the next run converges */
    *id = strdup(name);
    cJSON *table = NULL;
    if (wait_active(ctx, name, &table, err) < 0) return -1;
    const cJSON *ttl = prov_get(in, "ttl");
    const cJSON *pitr = prov_get(in, "pointInTimeRecovery");
    rc = 0;
    if (ttl) rc = apply_ttl(ctx, name, ttl, false, NULL, err);
    if (rc == 0 && pitr && prov_bool(pitr, "enabled", false)) rc = apply_pitr(ctx, name, true, err);
    if (rc == 0) *outputs = outputs_from(in, table);
    cJSON_Delete(table);
    return rc;
}

static int read_table(prov_ctx *ctx, const char *id, const cJSON *in, cJSON **outputs, hg_err *err)
{
    *outputs = NULL;
    cJSON *b = name_body(id), *out = NULL;
    int rc = call(ctx, "DescribeTable", b, &out, err);
    cJSON_Delete(b);
    if (rc < 0) {
        if (prov_not_found(err)) { hg_err_clear(err); return 1; }
        return -1;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(out, "Table");
    if (strcmp(prov_jstr(t, "TableStatus"), "DELETING") == 0) { cJSON_Delete(out); return 1; }
    *outputs = outputs_from(in, t);
    cJSON_Delete(out);
    return 0;
}

static const cJSON *find_index(const cJSON *list, const char *name)
{
    for (const cJSON *ix = list ? list->child : NULL; ix; ix = ix->next)
        if (prov_str(ix, "name") && strcmp(prov_str(ix, "name"), name) == 0) return ix;
    return NULL;
}

/* One UpdateTable call, then wait for ACTIVE again. Takes b. */
static int update_table(prov_ctx *ctx, const char *name, cJSON *b, hg_err *err)
{
    int rc = call(ctx, "UpdateTable", b, NULL, err);
    cJSON_Delete(b);
    return rc < 0 ? -1 : wait_active(ctx, name, NULL, err);
}

static int update_gsis(prov_ctx *ctx, const char *name, const cJSON *olds, const cJSON *news, hg_err *err)
{
    const cJSON *og = prov_get(olds, "globalSecondaryIndexes"), *ng = prov_get(news, "globalSecondaryIndexes");
    bool prov = provisioned(news);
    const char *hash = prov_str(news, "hashKey");
    /* deletes (and changed key schemas: delete, then create again) */
    for (const cJSON *ix = og ? og->child : NULL; ix; ix = ix->next) {
        const cJSON *now = find_index(ng, prov_str(ix, "name"));
        bool rebuilt = now && (prov_changed(ix, now, "hashKey") || prov_changed(ix, now, "rangeKey") ||
                               prov_changed(ix, now, "projectionType") || prov_changed(ix, now, "nonKeyAttributes"));
        if (now && !rebuilt) continue;
        cJSON *b = name_body(name);
        cJSON *u = cJSON_AddArrayToObject(b, "GlobalSecondaryIndexUpdates");
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "Delete"), "IndexName", prov_str(ix, "name"));
        cJSON_AddItemToArray(u, d);
        if (update_table(ctx, name, b, err) < 0) return -1;
    }
    for (const cJSON *ix = ng ? ng->child : NULL; ix; ix = ix->next) {
        const cJSON *was = find_index(og, prov_str(ix, "name"));
        bool rebuilt = was && (prov_changed(ix, was, "hashKey") || prov_changed(ix, was, "rangeKey") ||
                               prov_changed(ix, was, "projectionType") || prov_changed(ix, was, "nonKeyAttributes"));
        cJSON *b = name_body(name);
        cJSON *u = cJSON_AddArrayToObject(b, "GlobalSecondaryIndexUpdates");
        cJSON *op = cJSON_CreateObject();
        if (!was || rebuilt) {
            cJSON_AddItemToObject(b, "AttributeDefinitions", attribute_definitions(news));
            cJSON_AddItemToObject(op, "Create", index_spec(ix, hash, prov));
        } else if (prov && (prov_changed(ix, was, "readCapacity") || prov_changed(ix, was, "writeCapacity"))) {
            cJSON *upd = cJSON_AddObjectToObject(op, "Update");
            cJSON_AddStringToObject(upd, "IndexName", prov_str(ix, "name"));
            cJSON_AddItemToObject(upd, "ProvisionedThroughput", throughput(ix));
        } else {
            cJSON_Delete(op);
            cJSON_Delete(b);
            continue;
        }
        cJSON_AddItemToArray(u, op);
        if (update_table(ctx, name, b, err) < 0) return -1;
    }
    return 0;
}

static int update_tags(prov_ctx *ctx, const char *arn, const cJSON *olds, const cJSON *news, hg_err *err)
{
    const cJSON *ot = prov_get(olds, "tags"), *nt = prov_get(news, "tags");
    cJSON *gone = cJSON_CreateArray();
    for (const cJSON *t = ot ? ot->child : NULL; t; t = t->next)
        if (!cJSON_GetObjectItemCaseSensitive(nt, t->string)) cJSON_AddItemToArray(gone, cJSON_CreateString(t->string));
    int rc = 0;
    if (cJSON_GetArraySize(gone) > 0) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "ResourceArn", arn);
        cJSON_AddItemToObject(b, "TagKeys", gone);
        gone = NULL;
        rc = call(ctx, "UntagResource", b, NULL, err);
        cJSON_Delete(b);
    }
    cJSON_Delete(gone);
    cJSON *list = prov_tags_list(nt);
    if (rc == 0 && list) {
        cJSON *b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "ResourceArn", arn);
        cJSON_AddItemToObject(b, "Tags", list);
        list = NULL;
        rc = call(ctx, "TagResource", b, NULL, err);
        cJSON_Delete(b);
    }
    cJSON_Delete(list);
    return rc;
}

static int update(prov_ctx *ctx, const char *id, const cJSON *olds, const cJSON *news, cJSON **outputs,
                  hg_err *err)
{
    *outputs = NULL;
    const char *name = id;
    bool prov = provisioned(news);
    /* billing mode, table capacity, streams, protection, class: one UpdateTable */
    cJSON *b = name_body(name);
    bool any = false;
    if (prov_changed(olds, news, "billingMode") || (prov && (prov_changed(olds, news, "readCapacity") ||
                                                             prov_changed(olds, news, "writeCapacity")))) {
        cJSON_AddStringToObject(b, "BillingMode", prov ? "PROVISIONED" : "PAY_PER_REQUEST");
        if (prov) cJSON_AddItemToObject(b, "ProvisionedThroughput", throughput(news));
        any = true;
    }
    if (prov_changed(olds, news, "streamEnabled") || prov_changed(olds, news, "streamViewType")) {
        bool on = prov_bool(news, "streamEnabled", false);
        cJSON *s = cJSON_AddObjectToObject(b, "StreamSpecification");
        cJSON_AddBoolToObject(s, "StreamEnabled", on);
        if (on) cJSON_AddStringToObject(s, "StreamViewType", prov_str(news, "streamViewType"));
        any = true;
    }
    if (prov_changed(olds, news, "deletionProtectionEnabled")) {
        cJSON_AddBoolToObject(b, "DeletionProtectionEnabled", prov_bool(news, "deletionProtectionEnabled", false));
        any = true;
    }
    if (prov_changed(olds, news, "tableClass") && prov_str(news, "tableClass")) {
        cJSON_AddStringToObject(b, "TableClass", prov_str(news, "tableClass"));
        any = true;
    }
    if (any) {
        if (update_table(ctx, name, b, err) < 0) return -1;
    } else {
        cJSON_Delete(b);
    }
    if (prov_changed(olds, news, "globalSecondaryIndexes") && update_gsis(ctx, name, olds, news, err) < 0) return -1;
    if (prov_changed(olds, news, "ttl")) {
        const cJSON *ot = prov_get(olds, "ttl");
        if (apply_ttl(ctx, name, prov_get(news, "ttl"), prov_bool(ot, "enabled", false),
                      prov_str(ot, "attributeName"), err) < 0)
            return -1;
    }
    if (prov_changed(olds, news, "pointInTimeRecovery") &&
        apply_pitr(ctx, name, prov_bool(prov_get(news, "pointInTimeRecovery"), "enabled", false), err) < 0)
        return -1;
    cJSON *table = NULL;
    if (wait_active(ctx, name, &table, err) < 0) return -1;
    int rc = 0;
    if (prov_changed(olds, news, "tags")) rc = update_tags(ctx, prov_jstr(table, "TableArn"), olds, news, err);
    if (rc == 0) *outputs = outputs_from(news, table);
    cJSON_Delete(table);
    return rc;
}

static int remove_table(prov_ctx *ctx, const char *id, const cJSON *in, hg_err *err)
{
    (void)in;
    cJSON *b = name_body(id);
    int rc = call(ctx, "DeleteTable", b, NULL, err);
    if (rc < 0 && prov_not_found(err)) {
        hg_err_clear(err);
        rc = 0;
    } else if (rc == 0) {
        /* wait until it is gone, so a replacement can reuse the name */
        for (int i = 0; i < WAIT_POLLS; i++) {
            hg_err e;
            hg_err_clear(&e);
            if (call(ctx, "DescribeTable", b, NULL, &e) < 0) break;
            prov_sleep_ms(100);
        }
    }
    cJSON_Delete(b);
    return rc;
}

const provider prov_dynamodb_table = {
    .type = "aws:dynamodb:Table",
    .props = props,
    .check = check,
    .create = create,
    .read = read_table,
    .update = update,
    .remove = remove_table,
};
