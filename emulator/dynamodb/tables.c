/*
 * tables.c — the table lifecycle: CreateTable, DescribeTable, ListTables,
 * UpdateTable, DeleteTable.
 *
 * Requests are validated in the order DynamoDB reports problems: first the
 * shape of each member ("1 validation error detected: ..."), then the rules
 * that tie members together ("One or more parameter values were invalid:
 * ..."). Descriptions are built fresh from the validated members, never
 * copied from the request, so nothing a client sends beyond the model ends
 * up in the store.
 *
 * Invariants of the stored description (see table.c for the common ones):
 *   1. Tables are usable at once: TableStatus and every IndexStatus are ACTIVE
 *      (DeleteTable's response alone says DELETING, as AWS's does).
 *   2. "_nextIid" is greater than every "_iid" ever given in the table, so a
 *      deleted index's id is never reused and stale entries cannot resurface.
 *   3. AttributeDefinitions lists exactly the attributes used by the table's
 *      and its indexes' key schemas (UpdateTable prunes the rest, as AWS).
 *   4. ItemCount / TableSizeBytes / IndexSizeBytes are computed when the
 *      description is shown, never trusted from the store.
 */
#include "ddb.h"
#include "hg_json.h"
#include "hg_time.h"
#include "hg_uuid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_GSIS 20
#define MAX_LSIS 5
#define MAX_PROJECTED 100          /* NonKeyAttributes summed over all indexes */
#define MAX_CAPACITY 1000000000000LL
#define MAX_TAGS 50

/* ---- small helpers -------------------------------------------------------- */

static int null_member(hg_err *err, const char *path)
{
    return hg_err_validation(err, "1 validation error detected: Value null at '%s' failed to satisfy constraint: "
                             "Member must not be null", path);
}

static int bad_enum(hg_err *err, const char *value, const char *path, const char *set)
{
    return hg_err_validation(err, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "
                             "Member must satisfy enum value set: [%s]", value, path, set);
}

static bool in_set(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0) return true;
    return false;
}

/* "a, b, c" from the string member `key` of every object in arr, bounded. */
static void join_names(const cJSON *arr, const char *key, char *buf, size_t cap)
{
    size_t n = 0;
    const cJSON *e;
    buf[0] = '\0';
    cJSON_ArrayForEach(e, arr) {
        const char *s = key ? hg_json_str(e, key) : (cJSON_IsString(e) ? e->valuestring : NULL);
        if (!s) continue;
        int m = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", s);
        if (m < 0 || (size_t)m >= cap - n) { buf[cap - 1] = '\0'; return; }
        n += (size_t)m;
    }
}

/* Names in requests are the table's name or, where DynamoDB allows it, its ARN. */
static int check_name_or_arn(const char *name, const char *path, hg_err *err)
{
    if (strncmp(name, "arn:", 4) == 0) return 0;   /* ddb_table_open resolves it */
    return ddb_check_table_name(name, path, err);
}

static void table_arn(const ddb_ctx *ctx, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "arn:aws:dynamodb:%s:%s:table/%s", ctx->region, ctx->account, name);
}

/* ---- member validation ------------------------------------------------------ */

/* AttributeDefinitions: a list of {AttributeName, AttributeType in S/N/B}, no
 * name twice. Returns a new clean array (caller frees) in *out. */
static int parse_attr_defs(const cJSON *defs, cJSON **out, hg_err *err)
{
    static const char *const types[] = { "B", "N", "S", NULL };
    char path[96];
    int i = 0;
    const cJSON *d;
    cJSON *clean = cJSON_CreateArray();
    if (!clean) return hg_err_internal(err, "out of memory");
    cJSON_ArrayForEach(d, defs) {
        i++;
        if (!cJSON_IsObject(d)) {
            snprintf(path, sizeof path, "attributeDefinitions.%d.member", i);
            cJSON_Delete(clean);
            return null_member(err, path);
        }
        const char *n, *t;
        if (ddb_get_string(d, "AttributeName", &n, err) != 0 || ddb_get_string(d, "AttributeType", &t, err) != 0) {
            cJSON_Delete(clean);
            return -1;
        }
        if (!n || !t) {
            snprintf(path, sizeof path, "attributeDefinitions.%d.member.%s", i, !n ? "attributeName" : "attributeType");
            cJSON_Delete(clean);
            return null_member(err, path);
        }
        if (!in_set(t, types)) {
            snprintf(path, sizeof path, "attributeDefinitions.%d.member.attributeType", i);
            cJSON_Delete(clean);
            return bad_enum(err, t, path, "B, N, S");
        }
        size_t nl = strlen(n);
        if (nl < 1 || nl > 255) {
            cJSON_Delete(clean);
            return hg_err_validation(err, "1 validation error detected: Value '%s' at 'attributeDefinitions.%d.member.attributeName' "
                                     "failed to satisfy constraint: Member must have length %s", n, i,
                                     nl < 1 ? "greater than or equal to 1" : "less than or equal to 255");
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, clean) {
            if (strcmp(hg_json_str(e, "AttributeName"), n) == 0) {
                cJSON_Delete(clean);
                return hg_err_validation(err, "One or more parameter values were invalid: Duplicate AttributeName in "
                                         "AttributeDefinitions: %s", n);
            }
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "AttributeName", n);
        cJSON_AddStringToObject(o, "AttributeType", t);
        cJSON_AddItemToArray(clean, o);
    }
    *out = clean;
    return 0;
}

static const char *def_type(const cJSON *defs, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, defs) {
        const char *n = hg_json_str(d, "AttributeName");
        if (n && strcmp(n, name) == 0) return hg_json_str(d, "AttributeType");
    }
    return NULL;
}

typedef struct keyspec {
    const char *hash, *range;      /* borrowed from the request; range NULL if absent */
} keyspec;

/* A KeySchema (table's or an index's): shape, definitions, then HASH-then-RANGE.
 * path is the member's path ("keySchema", "globalSecondaryIndexes.1.member.keySchema"). */
static int parse_key_schema(const cJSON *schema, const char *path, const cJSON *defs, keyspec *ks, hg_err *err)
{
    static const char *const kinds[] = { "HASH", "RANGE", NULL };
    char p[160];
    int n = cJSON_GetArraySize(schema);
    if (n < 1 || n > 2)
        return hg_err_validation(err, "1 validation error detected: Value '[%d elements]' at '%s' failed to satisfy constraint: "
                                 "Member must have length %s", n, path,
                                 n < 1 ? "greater than or equal to 1" : "less than or equal to 2");
    const char *names[2] = { NULL, NULL }, *types[2] = { NULL, NULL };
    for (int i = 0; i < n; i++) {
        const cJSON *e = cJSON_GetArrayItem(schema, i);
        if (!cJSON_IsObject(e)) {
            snprintf(p, sizeof p, "%s.%d.member", path, i + 1);
            return null_member(err, p);
        }
        if (ddb_get_string(e, "AttributeName", &names[i], err) != 0 || ddb_get_string(e, "KeyType", &types[i], err) != 0)
            return -1;
        if (!names[i] || !types[i]) {
            snprintf(p, sizeof p, "%s.%d.member.%s", path, i + 1, !names[i] ? "attributeName" : "keyType");
            return null_member(err, p);
        }
        if (!in_set(types[i], kinds)) {
            snprintf(p, sizeof p, "%s.%d.member.keyType", path, i + 1);
            return bad_enum(err, types[i], p, "HASH, RANGE");
        }
        size_t nl = strlen(names[i]);
        if (nl < 1 || nl > 255)
            return hg_err_validation(err, "1 validation error detected: Value '%s' at '%s.%d.member.attributeName' failed to "
                                     "satisfy constraint: Member must have length %s", names[i], path, i + 1,
                                     nl < 1 ? "greater than or equal to 1" : "less than or equal to 255");
    }
    for (int i = 0; i < n; i++) {
        if (!def_type(defs, names[i])) {
            char keys[600], dnames[1200];
            join_names(schema, "AttributeName", keys, sizeof keys);
            join_names(defs, "AttributeName", dnames, sizeof dnames);
            return hg_err_validation(err, "One or more parameter values were invalid: Some index key attributes are not "
                                     "defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", keys, dnames);
        }
    }
    if (n == 2 && strcmp(names[0], names[1]) == 0)
        return hg_err_validation(err, "Both the Hash Key and the Range Key element in the KeySchema have the same name");
    if (strcmp(types[0], "HASH") != 0)
        return hg_err_validation(err, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
    if (n == 2 && strcmp(types[1], "RANGE") != 0)
        return hg_err_validation(err, "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    ks->hash = names[0];
    ks->range = n == 2 ? names[1] : NULL;
    return 0;
}

/* A new KeySchema array (caller frees). */
static cJSON *key_schema_json(const keyspec *ks)
{
    cJSON *a = cJSON_CreateArray();
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "AttributeName", ks->hash);
    cJSON_AddStringToObject(h, "KeyType", "HASH");
    cJSON_AddItemToArray(a, h);
    if (ks->range) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "AttributeName", ks->range);
        cJSON_AddStringToObject(r, "KeyType", "RANGE");
        cJSON_AddItemToArray(a, r);
    }
    return a;
}

/* ProvisionedThroughput {ReadCapacityUnits, WriteCapacityUnits}: both >= 1. */
static int parse_throughput(const cJSON *pt, const char *what, int64_t *rcu, int64_t *wcu, hg_err *err)
{
    bool hr, hw;
    if (ddb_get_int(pt, "ReadCapacityUnits", 1, INT64_MAX / 2, 0, rcu, &hr, err) != 0 ||
        ddb_get_int(pt, "WriteCapacityUnits", 1, INT64_MAX / 2, 0, wcu, &hw, err) != 0)
        return -1;
    if (!hr || !hw)
        return hg_err_validation(err, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits "
                                 "must both be specified %s%s", what ? "for index: " : "when BillingMode is PROVISIONED",
                                 what ? what : "");
    if (*rcu > MAX_CAPACITY)
        return hg_err_validation(err, "Given value %lld for ReadCapacityUnits is out of bounds", (long long)*rcu);
    if (*wcu > MAX_CAPACITY)
        return hg_err_validation(err, "Given value %lld for WriteCapacityUnits is out of bounds", (long long)*wcu);
    return 0;
}

/* A new ProvisionedThroughput object (caller frees). */
static cJSON *throughput_json(int64_t rcu, int64_t wcu)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "NumberOfDecreasesToday", 0);
    cJSON_AddNumberToObject(o, "ReadCapacityUnits", (double)rcu);
    cJSON_AddNumberToObject(o, "WriteCapacityUnits", (double)wcu);
    return o;
}

/* Projection: a new clean object in *out. *nprojected += NonKeyAttributes. */
static int parse_projection(const cJSON *ix, const char *path, cJSON **out, int *nprojected, hg_err *err)
{
    static const char *const kinds[] = { "ALL", "INCLUDE", "KEYS_ONLY", NULL };
    char p[200];
    cJSON *proj;
    if (ddb_get_object(ix, "Projection", &proj, err) != 0) return -1;
    if (!proj) {
        snprintf(p, sizeof p, "%s.projection", path);
        return null_member(err, p);
    }
    const char *pt;
    cJSON *nka;
    if (ddb_get_string(proj, "ProjectionType", &pt, err) != 0 || ddb_get_array(proj, "NonKeyAttributes", &nka, err) != 0)
        return -1;
    if (pt && !in_set(pt, kinds)) {
        snprintf(p, sizeof p, "%s.projection.projectionType", path);
        return bad_enum(err, pt, p, "ALL, INCLUDE, KEYS_ONLY");
    }
    if (nka) {
        int n = cJSON_GetArraySize(nka);
        if (n < 1 || n > 20)
            return hg_err_validation(err, "1 validation error detected: Value '[%d elements]' at '%s.projection.nonKeyAttributes' "
                                     "failed to satisfy constraint: Member must have length %s", n, path,
                                     n < 1 ? "greater than or equal to 1" : "less than or equal to 20");
        const cJSON *a;
        cJSON_ArrayForEach(a, nka) {
            if (!cJSON_IsString(a) || a->valuestring[0] == '\0' || strlen(a->valuestring) > 255)
                return hg_err_validation(err, "One or more parameter values were invalid: NonKeyAttributes of %s must be "
                                         "non-empty strings of at most 255 characters", path);
        }
    }
    if (!pt) return hg_err_validation(err, "One or more parameter values were invalid: Unknown ProjectionType: null");
    if (nka && strcmp(pt, "INCLUDE") != 0)
        return hg_err_validation(err, "One or more parameter values were invalid: ProjectionType is %s, but "
                                 "NonKeyAttributes is specified", pt);
    if (!nka && strcmp(pt, "INCLUDE") == 0)
        return hg_err_validation(err, "One or more parameter values were invalid: NonKeyAttributes must be specified "
                                 "when ProjectionType is INCLUDE");
    if (nka) {
        *nprojected += cJSON_GetArraySize(nka);
        if (*nprojected > MAX_PROJECTED)
            return hg_err_validation(err, "One or more parameter values were invalid: Number of projected attributes in "
                                     "all indexes exceeds limit of %d", MAX_PROJECTED);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "ProjectionType", pt);
    if (nka) cJSON_AddItemToObject(o, "NonKeyAttributes", cJSON_Duplicate(nka, 1));
    *out = o;
    return 0;
}

typedef struct index_rules {
    const cJSON *defs;          /* the attribute definitions in force */
    const keyspec *table;       /* the table's key schema */
    bool pay_per_request;
    const char *arn;            /* the table's ARN */
    int nprojected;             /* running total over the request */
} index_rules;

/* One GSI or LSI of a request: a new index description (without _iid) in *out. */
static int parse_index(const cJSON *ix, const char *path, bool global, index_rules *r, cJSON **out, hg_err *err)
{
    char p[160];
    if (!cJSON_IsObject(ix)) return null_member(err, path);
    const char *name;
    cJSON *schema;
    if (ddb_get_string(ix, "IndexName", &name, err) != 0 || ddb_get_array(ix, "KeySchema", &schema, err) != 0) return -1;
    snprintf(p, sizeof p, "%s.indexName", path);
    if (!name) return null_member(err, p);
    if (ddb_check_table_name(name, p, err) != 0) return -1;
    snprintf(p, sizeof p, "%s.keySchema", path);
    if (!schema) return null_member(err, p);
    keyspec ks;
    if (parse_key_schema(schema, p, r->defs, &ks, err) != 0) return -1;
    if (!global) {
        if (!ks.range)
            return hg_err_validation(err, "One or more parameter values were invalid: Index KeySchema does not have a range "
                                     "key for index: %s", name);
        if (strcmp(ks.hash, r->table->hash) != 0)
            return hg_err_validation(err, "One or more parameter values were invalid: Index KeySchema does not have the same "
                                     "leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s",
                                     name, ks.hash, r->table->hash);
    }
    cJSON *proj = NULL;
    if (parse_projection(ix, path, &proj, &r->nprojected, err) != 0) return -1;
    int64_t rcu = 0, wcu = 0;
    if (global) {
        cJSON *pt;
        if (ddb_get_object(ix, "ProvisionedThroughput", &pt, err) != 0) { cJSON_Delete(proj); return -1; }
        if (pt && r->pay_per_request) {
            cJSON_Delete(proj);
            return hg_err_validation(err, "One or more parameter values were invalid: ProvisionedThroughput should not be "
                                     "specified for index: %s when BillingMode is PAY_PER_REQUEST", name);
        }
        if (!pt && !r->pay_per_request) {
            cJSON_Delete(proj);
            return hg_err_validation(err, "One or more parameter values were invalid: ProvisionedThroughput must be "
                                     "specified for index: %s", name);
        }
        if (pt && parse_throughput(pt, name, &rcu, &wcu, err) != 0) { cJSON_Delete(proj); return -1; }
    }
    cJSON *o = cJSON_CreateObject();
    char arn[700];
    snprintf(arn, sizeof arn, "%s/index/%s", r->arn, name);
    cJSON_AddStringToObject(o, "IndexName", name);
    cJSON_AddItemToObject(o, "KeySchema", key_schema_json(&ks));
    cJSON_AddItemToObject(o, "Projection", proj);
    if (global) {
        cJSON_AddStringToObject(o, "IndexStatus", "ACTIVE");
        cJSON_AddItemToObject(o, "ProvisionedThroughput", throughput_json(rcu, wcu));
    }
    cJSON_AddNumberToObject(o, "IndexSizeBytes", 0);
    cJSON_AddNumberToObject(o, "ItemCount", 0);
    cJSON_AddStringToObject(o, "IndexArn", arn);
    *out = o;
    return 0;
}

static bool has_index_named(const cJSON *desc, const char *name)
{
    static const char *const lists[] = { "GlobalSecondaryIndexes", "LocalSecondaryIndexes" };
    for (int l = 0; l < 2; l++) {
        const cJSON *ix;
        cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(desc, lists[l])) {
            const char *n = hg_json_str(ix, "IndexName");
            if (n && strcmp(n, name) == 0) return true;
        }
    }
    return false;
}

static void give_iid(cJSON *desc, cJSON *ix)
{
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(desc, "_nextIid");
    double id = cJSON_IsNumber(next) ? next->valuedouble : 1;
    cJSON_AddNumberToObject(ix, "_iid", id);
    hg_json_set(desc, "_nextIid", cJSON_CreateNumber(id + 1));
}

/* CreateTable's Tags [{Key, Value}]: each tag as TagResource checks it
 * (misc.c's ddb_check_tag, so "aws:" keys are refused by both), then the count. */
static int check_tags(const cJSON *tags, hg_err *err)
{
    const cJSON *t;
    int n = 0;
    cJSON_ArrayForEach(t, tags)
        if (ddb_check_tag(t, ++n, err) != 0) return -1;
    if (n > MAX_TAGS)
        return hg_err_validation(err, "One or more parameter values were invalid: The number of tags exceeds the limit of %d",
                                 MAX_TAGS);
    return 0;
}

/* StreamSpecification: {StreamEnabled, StreamViewType}. Sets the stream
 * members of desc (LatestStreamArn/Label when enabling). */
static int apply_stream_spec(const ddb_ctx *ctx, cJSON *desc, const cJSON *spec, bool updating, hg_err *err)
{
    static const char *const views[] = { "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY", NULL };
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(spec, "StreamEnabled");
    const char *view;
    if (!en) return null_member(err, "streamSpecification.streamEnabled");
    if (!cJSON_IsBool(en))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: StreamEnabled must be a boolean");
    if (ddb_get_string(spec, "StreamViewType", &view, err) != 0) return -1;
    if (view && !in_set(view, views))
        return bad_enum(err, view, "streamSpecification.streamViewType", "NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES, KEYS_ONLY");
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(desc, "StreamSpecification");
    bool was_on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cur, "StreamEnabled"));
    if (cJSON_IsTrue(en)) {
        if (!view)
            return hg_err_validation(err, "One or more parameter values were invalid: StreamViewType must be specified when "
                                     "StreamEnabled is true");
        if (updating && was_on)
            return hg_err_validation(err, "Table already has an enabled stream: %s",
                                     hg_json_str(desc, "LatestStreamArn") ? hg_json_str(desc, "LatestStreamArn") : "");
        cJSON *s = cJSON_CreateObject();
        cJSON_AddBoolToObject(s, "StreamEnabled", 1);
        cJSON_AddStringToObject(s, "StreamViewType", view);
        hg_json_set(desc, "StreamSpecification", s);
        char label[40], arn[800], tarn[600];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(label, sizeof label, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(fmod(hg_time_epoch_ms(), 1.0) * 1000));
        table_arn(ctx, hg_json_str(desc, "TableName"), tarn, sizeof tarn);
        snprintf(arn, sizeof arn, "%s/stream/%s", tarn, label);
        hg_json_set(desc, "LatestStreamLabel", cJSON_CreateString(label));
        hg_json_set(desc, "LatestStreamArn", cJSON_CreateString(arn));
    } else {
        if (view)
            return hg_err_validation(err, "One or more parameter values were invalid: StreamViewType cannot be specified "
                                     "when StreamEnabled is false");
        if (updating && !was_on)
            return hg_err_validation(err, "Table already has streams disabled");
        cJSON_DeleteItemFromObjectCaseSensitive(desc, "StreamSpecification");
        cJSON_DeleteItemFromObjectCaseSensitive(desc, "LatestStreamLabel");
        cJSON_DeleteItemFromObjectCaseSensitive(desc, "LatestStreamArn");
    }
    return 0;
}

/* SSESpecification {Enabled, SSEType, KMSMasterKeyId} -> SSEDescription. */
static int apply_sse_spec(const ddb_ctx *ctx, cJSON *desc, const cJSON *spec, hg_err *err)
{
    static const char *const kinds[] = { "AES256", "KMS", NULL };
    bool enabled;
    const char *type, *key;
    if (ddb_get_bool(spec, "Enabled", true, &enabled, err) != 0 || ddb_get_string(spec, "SSEType", &type, err) != 0 ||
        ddb_get_string(spec, "KMSMasterKeyId", &key, err) != 0)
        return -1;
    if (type && !in_set(type, kinds)) return bad_enum(err, type, "sSESpecification.sSEType", "AES256, KMS");
    if (!enabled) {
        /* SSE off means "owned by AWS": DescribeTable shows no SSEDescription */
        cJSON_DeleteItemFromObjectCaseSensitive(desc, "SSEDescription");
        return 0;
    }
    cJSON *d = cJSON_CreateObject();
    char arn[600];
    cJSON_AddStringToObject(d, "Status", "ENABLED");
    cJSON_AddStringToObject(d, "SSEType", "KMS");
    if (key && strncmp(key, "arn:", 4) == 0)
        snprintf(arn, sizeof arn, "%s", key);
    else
        snprintf(arn, sizeof arn, "arn:aws:kms:%s:%s:key/%s", ctx->region, ctx->account,
                 key ? key : "00000000-0000-4000-8000-000000000000");
    cJSON_AddStringToObject(d, "KMSMasterKeyArn", arn);
    hg_json_set(desc, "SSEDescription", d);
    return 0;
}

static int check_table_class(const char *cls, hg_err *err)
{
    static const char *const classes[] = { "STANDARD", "STANDARD_INFREQUENT_ACCESS", NULL };
    if (cls && !in_set(cls, classes)) return bad_enum(err, cls, "tableClass", "STANDARD, STANDARD_INFREQUENT_ACCESS");
    return 0;
}

static void set_table_class(cJSON *desc, const char *cls)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "TableClass", cls);
    cJSON_AddNumberToObject(s, "LastUpdateDateTime", hg_time_epoch_ms());
    hg_json_set(desc, "TableClassSummary", s);
}

static int parse_billing(const cJSON *in, const char **mode, hg_err *err)
{
    static const char *const modes[] = { "PROVISIONED", "PAY_PER_REQUEST", NULL };
    if (ddb_get_string(in, "BillingMode", mode, err) != 0) return -1;
    if (*mode && !in_set(*mode, modes)) return bad_enum(err, *mode, "billingMode", "PROVISIONED, PAY_PER_REQUEST");
    return 0;
}

static void set_billing_summary(cJSON *desc, bool ppr)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "BillingMode", ppr ? "PAY_PER_REQUEST" : "PROVISIONED");
    if (ppr) cJSON_AddNumberToObject(s, "LastUpdateToPayPerRequestDateTime", hg_time_epoch_ms());
    hg_json_set(desc, "BillingModeSummary", s);
}

static bool desc_is_ppr(const cJSON *desc)
{
    const char *m = hg_json_str(cJSON_GetObjectItemCaseSensitive(desc, "BillingModeSummary"), "BillingMode");
    return m && strcmp(m, "PAY_PER_REQUEST") == 0;
}

/* ---- showing a description -------------------------------------------------- */

static void strip_private(cJSON *o)
{
    cJSON *m = o ? o->child : NULL;
    while (m) {
        cJSON *next = m->next;
        if (cJSON_IsObject(o) && m->string && m->string[0] == '_')
            cJSON_Delete(cJSON_DetachItemViaPointer(o, m));
        else if (cJSON_IsObject(m) || cJSON_IsArray(m))
            strip_private(m);
        m = next;
    }
}

/* The description as DescribeTable shows it: a new object (caller frees),
 * private members gone, counts and sizes live from the store. */
static cJSON *render_desc(ddb_ctx *ctx, const ddb_table *t, hg_err *err)
{
    int64_t items = 0, bytes = 0;
    if (ddb_store_table_stats(ctx->store, t->tid, 0, &items, &bytes, err) != 0) return NULL;
    cJSON *d = cJSON_Duplicate(t->desc, 1);
    if (!d) { hg_err_internal(err, "out of memory"); return NULL; }
    hg_json_set(d, "ItemCount", cJSON_CreateNumber((double)items));
    hg_json_set(d, "TableSizeBytes", cJSON_CreateNumber((double)bytes));
    static const char *const lists[] = { "GlobalSecondaryIndexes", "LocalSecondaryIndexes" };
    for (int l = 0; l < 2; l++) {
        cJSON *ix;
        cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(d, lists[l])) {
            const cJSON *iid = cJSON_GetObjectItemCaseSensitive(ix, "_iid");
            int64_t n = 0, b = 0;
            if (cJSON_IsNumber(iid) &&
                ddb_store_table_stats(ctx->store, t->tid, (int64_t)iid->valuedouble, &n, &b, err) != 0) {
                cJSON_Delete(d);
                return NULL;
            }
            hg_json_set(ix, "IndexSizeBytes", cJSON_CreateNumber((double)b));
            hg_json_set(ix, "ItemCount", cJSON_CreateNumber((double)n));
        }
    }
    strip_private(d);
    return d;
}

/* ---- CreateTable ---------------------------------------------------------------- */

/* Build a validated description for the request; *out is new (caller frees). */
static int build_create_desc(ddb_ctx *ctx, const cJSON *in, cJSON **out, hg_err *err)
{
    const char *name, *billing, *cls;
    cJSON *defs_in, *schema, *pt, *lsis, *gsis, *tags, *stream, *sse;
    bool protect;
    if (ddb_need_string(in, "TableName", &name, err) != 0) return -1;
    if (ddb_check_table_name(name, "tableName", err) != 0) return -1;
    if (ddb_get_array(in, "AttributeDefinitions", &defs_in, err) != 0 || ddb_get_array(in, "KeySchema", &schema, err) != 0 ||
        ddb_get_object(in, "ProvisionedThroughput", &pt, err) != 0 ||
        ddb_get_array(in, "LocalSecondaryIndexes", &lsis, err) != 0 ||
        ddb_get_array(in, "GlobalSecondaryIndexes", &gsis, err) != 0 || ddb_get_array(in, "Tags", &tags, err) != 0 ||
        ddb_get_object(in, "StreamSpecification", &stream, err) != 0 ||
        ddb_get_object(in, "SSESpecification", &sse, err) != 0 ||
        ddb_get_string(in, "TableClass", &cls, err) != 0 ||
        ddb_get_bool(in, "DeletionProtectionEnabled", false, &protect, err) != 0)
        return -1;
    if (!defs_in) return null_member(err, "attributeDefinitions");
    if (!schema) return null_member(err, "keySchema");
    if (parse_billing(in, &billing, err) != 0 || check_table_class(cls, err) != 0) return -1;
    bool ppr = billing && strcmp(billing, "PAY_PER_REQUEST") == 0;
    int64_t rcu = 0, wcu = 0;
    if (ppr && pt)
        return hg_err_validation(err, "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                                 "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    if (!ppr) {
        if (!pt)
            return hg_err_validation(err, "One or more parameter values were invalid: ReadCapacityUnits and "
                                     "WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
        if (parse_throughput(pt, NULL, &rcu, &wcu, err) != 0) return -1;
    }

    cJSON *defs = NULL;
    if (parse_attr_defs(defs_in, &defs, err) != 0) return -1;
    cJSON *desc = cJSON_CreateObject();
    cJSON_AddItemToObject(desc, "AttributeDefinitions", defs);   /* desc owns defs from here */
    keyspec ks;
    if (parse_key_schema(schema, "keySchema", defs, &ks, err) != 0) goto fail;
    if (!lsis && !gsis && cJSON_GetArraySize(schema) != cJSON_GetArraySize(defs)) {
        hg_err_validation(err, "One or more parameter values were invalid: Number of attributes in KeySchema does not "
                          "exactly match number of attributes defined in AttributeDefinitions");
        goto fail;
    }

    char arn[600];
    table_arn(ctx, name, arn, sizeof arn);
    double now = hg_time_epoch_ms();
    char id[HG_UUID_LEN + 1];
    hg_uuid4(id);
    cJSON_AddStringToObject(desc, "TableName", name);
    cJSON_AddItemToObject(desc, "KeySchema", key_schema_json(&ks));
    cJSON_AddStringToObject(desc, "TableStatus", "ACTIVE");
    cJSON_AddNumberToObject(desc, "CreationDateTime", now);
    cJSON_AddItemToObject(desc, "ProvisionedThroughput", throughput_json(rcu, wcu));
    cJSON_AddNumberToObject(desc, "TableSizeBytes", 0);
    cJSON_AddNumberToObject(desc, "ItemCount", 0);
    cJSON_AddStringToObject(desc, "TableArn", arn);
    cJSON_AddStringToObject(desc, "TableId", id);
    if (ppr) set_billing_summary(desc, true);   /* AWS omits the summary for tables born PROVISIONED */
    cJSON_AddNumberToObject(desc, "_nextIid", 1);

    index_rules rules = { .defs = defs, .table = &ks, .pay_per_request = ppr, .arn = arn };
    static const struct { const char *member, *path; bool global; int max; } groups[] = {
        { "LocalSecondaryIndexes", "localSecondaryIndexes", false, MAX_LSIS },
        { "GlobalSecondaryIndexes", "globalSecondaryIndexes", true, MAX_GSIS },
    };
    for (int g = 0; g < 2; g++) {
        const cJSON *list = g == 0 ? lsis : gsis;
        if (!list) continue;
        if (cJSON_GetArraySize(list) == 0) {
            hg_err_validation(err, "One or more parameter values were invalid: List of %s is empty", groups[g].member);
            goto fail;
        }
        if (!groups[g].global && !ks.range) {
            hg_err_validation(err, "One or more parameter values were invalid: Table KeySchema does not have a range key, "
                              "which is required when specifying a LocalSecondaryIndex");
            goto fail;
        }
        if (cJSON_GetArraySize(list) > groups[g].max) {
            if (groups[g].global)
                hg_err_validation(err, "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds "
                                  "the per-table limit of %d", MAX_GSIS);
            else
                hg_err_validation(err, "One or more parameter values were invalid: Number of LocalSecondaryIndexes "
                                  "exceeds per-table limit of %d", MAX_LSIS);
            goto fail;
        }
        cJSON *arr = cJSON_AddArrayToObject(desc, groups[g].member);
        const cJSON *ix;
        int i = 0;
        cJSON_ArrayForEach(ix, list) {
            char path[96];
            snprintf(path, sizeof path, "%s.%d.member", groups[g].path, ++i);
            cJSON *o = NULL;
            if (parse_index(ix, path, groups[g].global, &rules, &o, err) != 0) goto fail;
            const char *iname = hg_json_str(o, "IndexName");
            if (has_index_named(desc, iname)) {
                hg_err_validation(err, "One or more parameter values were invalid: Duplicate index name: %s", iname);
                cJSON_Delete(o);
                goto fail;
            }
            give_iid(desc, o);
            cJSON_AddItemToArray(arr, o);
        }
    }

    /* every definition must be some key's */
    const cJSON *d;
    cJSON_ArrayForEach(d, defs) {
        const char *an = hg_json_str(d, "AttributeName");
        bool used = strcmp(an, ks.hash) == 0 || (ks.range && strcmp(an, ks.range) == 0);
        static const char *const lists[] = { "GlobalSecondaryIndexes", "LocalSecondaryIndexes" };
        for (int l = 0; l < 2 && !used; l++) {
            const cJSON *ix, *k;
            cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(desc, lists[l]))
                cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(ix, "KeySchema"))
                    if (strcmp(hg_json_str(k, "AttributeName"), an) == 0) used = true;
        }
        if (!used) {
            char all[1200];
            join_names(defs, "AttributeName", all, sizeof all);
            hg_err_validation(err, "One or more parameter values were invalid: Some AttributeDefinitions are not used. "
                              "AttributeDefinitions: [%s], unused: [%s]", all, an);
            goto fail;
        }
    }

    if (tags) {
        if (check_tags(tags, err) != 0) goto fail;
        cJSON *kept = cJSON_AddArrayToObject(desc, "_tags");
        const cJSON *t;
        cJSON_ArrayForEach(t, tags) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "Key", hg_json_str(t, "Key"));
            cJSON_AddStringToObject(o, "Value", hg_json_str(t, "Value"));
            /* a later duplicate key wins, as in TagResource */
            cJSON *e = kept->child;
            while (e) {
                cJSON *next = e->next;
                if (strcmp(hg_json_str(e, "Key"), hg_json_str(o, "Key")) == 0) cJSON_Delete(cJSON_DetachItemViaPointer(kept, e));
                e = next;
            }
            cJSON_AddItemToArray(kept, o);
        }
    }
    if (stream && apply_stream_spec(ctx, desc, stream, false, err) != 0) goto fail;
    if (sse && apply_sse_spec(ctx, desc, sse, err) != 0) goto fail;
    if (cls) set_table_class(desc, cls);
    cJSON_AddBoolToObject(desc, "DeletionProtectionEnabled", protect);
    *out = desc;
    return 0;
fail:
    cJSON_Delete(desc);
    return -1;
}

int ddb_op_create_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    cJSON *desc = NULL;
    if (build_create_desc(ctx, in, &desc, err) != 0) return -1;
    const char *name = hg_json_str(desc, "TableName");
    char *text = cJSON_PrintUnformatted(desc);
    if (!text) { cJSON_Delete(desc); return hg_err_internal(err, "out of memory"); }
    int64_t tid;
    int rc = hg_store_begin_write(ctx->store, err);
    if (rc == 0) {
        rc = ddb_store_table_create(ctx->store, ctx->region, name, text, &tid, err);
        if (rc == 1) rc = ddb_err_in_use(err, "Table already exists: %s", name);
        if (rc == 0) rc = hg_store_commit(ctx->store, err);
        if (rc != 0) hg_store_rollback(ctx->store);
    }
    cJSON_free(text);
    if (rc != 0) { cJSON_Delete(desc); return -1; }
    strip_private(desc);               /* a new table is empty: the stored zeros are the truth */
    cJSON_AddItemToObject(out, "TableDescription", desc);
    return 0;
}

/* ---- DescribeTable / ListTables --------------------------------------------------- */

int ddb_op_describe_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name;
    if (ddb_need_string(in, "TableName", &name, err) != 0 || check_name_or_arn(name, "tableName", err) != 0) return -1;
    if (hg_store_begin_read(ctx->store, err) != 0) return -1;
    ddb_table *t = NULL;
    cJSON *d = NULL;
    if (ddb_table_open(ctx, name, false, &t, err) == 0) d = render_desc(ctx, t, err);
    ddb_table_free(t);
    if (!d) { hg_store_rollback(ctx->store); return -1; }
    if (hg_store_commit(ctx->store, err) != 0) { cJSON_Delete(d); return -1; }
    cJSON_AddItemToObject(out, "Table", d);
    return 0;
}

int ddb_op_list_tables(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *start;
    int64_t limit;
    if (ddb_get_string(in, "ExclusiveStartTableName", &start, err) != 0 ||
        ddb_get_int(in, "Limit", 1, 100, 100, &limit, NULL, err) != 0)
        return -1;
    if (start && ddb_check_table_name(start, "exclusiveStartTableName", err) != 0) return -1;
    char **names = NULL;
    int count = 0;
    /* one more than asked tells whether another page exists */
    if (ddb_store_table_names(ctx->store, ctx->region, start, (int)limit + 1, &names, &count, err) != 0) return -1;
    cJSON *arr = cJSON_AddArrayToObject(out, "TableNames");
    int shown = count > (int)limit ? (int)limit : count;
    for (int i = 0; i < shown; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
    if (count > (int)limit) cJSON_AddStringToObject(out, "LastEvaluatedTableName", names[shown - 1]);
    ddb_store_names_free(names, count);
    return 0;
}

/* ---- UpdateTable -------------------------------------------------------------------- */

/* Entries of GlobalSecondaryIndexUpdates, checked for shape before anything is touched. */
static int check_gsi_updates(const cJSON *updates, hg_err *err)
{
    const cJSON *u, *v;
    int i = 0;
    cJSON_ArrayForEach(u, updates) {
        i++;
        if (!cJSON_IsObject(u)) {
            char p[64];
            snprintf(p, sizeof p, "globalSecondaryIndexUpdates.%d.member", i);
            return null_member(err, p);
        }
        int kinds = 0;
        const char *name = NULL;
        static const char *const acts[] = { "Create", "Update", "Delete" };
        for (int a = 0; a < 3; a++) {
            cJSON *o;
            if (ddb_get_object(u, acts[a], &o, err) != 0) return -1;
            if (o) { kinds++; name = hg_json_str(o, "IndexName"); }
        }
        if (kinds != 1)
            return hg_err_validation(err, "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, "
                                     "GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null");
        if (!name) {
            char p[96];
            snprintf(p, sizeof p, "globalSecondaryIndexUpdates.%d.member.indexName", i);
            return null_member(err, p);
        }
        int j = 0;
        cJSON_ArrayForEach(v, updates) {
            if (++j >= i) break;
            for (int a = 0; a < 3; a++) {
                const char *other = hg_json_str(cJSON_GetObjectItemCaseSensitive(v, acts[a]), "IndexName");
                if (other && strcmp(other, name) == 0)
                    return hg_err_validation(err, "One or more parameter values were invalid: Only one global secondary index "
                                             "update per index is allowed simultaneously. Index: %s", name);
            }
        }
    }
    return 0;
}

/* The GSI object named name in desc (borrowed), or NULL. */
static cJSON *find_gsi(cJSON *desc, const char *name)
{
    cJSON *ix;
    cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(desc, "GlobalSecondaryIndexes")) {
        const char *n = hg_json_str(ix, "IndexName");
        if (n && strcmp(n, name) == 0) return ix;
    }
    return NULL;
}

/* Keep only definitions some key schema uses (invariant 3). */
static void prune_defs(cJSON *desc)
{
    cJSON *defs = cJSON_GetObjectItemCaseSensitive(desc, "AttributeDefinitions");
    cJSON *d = defs ? defs->child : NULL;
    while (d) {
        cJSON *next = d->next;
        const char *an = hg_json_str(d, "AttributeName");
        bool used = false;
        const cJSON *k;
        cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(desc, "KeySchema"))
            if (strcmp(hg_json_str(k, "AttributeName"), an) == 0) used = true;
        static const char *const lists[] = { "GlobalSecondaryIndexes", "LocalSecondaryIndexes" };
        for (int l = 0; l < 2 && !used; l++) {
            const cJSON *ix;
            cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(desc, lists[l]))
                cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(ix, "KeySchema"))
                    if (strcmp(hg_json_str(k, "AttributeName"), an) == 0) used = true;
        }
        if (!used) cJSON_Delete(cJSON_DetachItemViaPointer(defs, d));
        d = next;
    }
}

/* Fill a new index from the items already in the table. */
static int backfill_index(ddb_ctx *ctx, const ddb_table *t, const ddb_index *ix, hg_err *err)
{
    ddb_range r;
    memset(&r, 0, sizeof r);
    r.tid = t->tid;
    ddb_cursor *c;
    if (ddb_store_cursor_open(ctx->store, &r, &c, err) != 0) return -1;
    ddb_key key;
    hg_buf ihk, irk;
    ddb_key_init(&key);
    hg_buf_init(&ihk, 0);
    hg_buf_init(&irk, 0);
    const char *json;
    size_t len;
    int rc, ret = 0;
    while ((rc = ddb_store_cursor_next(c, &json, &len, err)) == 1) {
        cJSON *item = cJSON_ParseWithLength(json, len);
        if (!item) { ret = hg_err_internal(err, "stored item is corrupt"); break; }
        uint32_t ihh;
        int in = ddb_key_from_item(t, item, &key, err) != 0 ? -1 : ddb_index_key(ix, item, &ihk, &irk, &ihh, err);
        if (in == 0)
            in = ddb_store_index_put(ctx->store, t->tid, ix->iid,
                                     (ddb_blob){ (const unsigned char *)hg_buf_cstr(&ihk), ihk.len },
                                     (ddb_blob){ (const unsigned char *)hg_buf_cstr(&irk), irk.len }, ihh,
                                     ddb_key_hk(&key), ddb_key_rk(&key), err);
        cJSON_Delete(item);
        if (in < 0) { ret = -1; break; }
    }
    if (rc < 0) ret = -1;
    ddb_store_cursor_close(c);
    ddb_key_release(&key);
    hg_buf_release(&ihk);
    hg_buf_release(&irk);
    return ret;
}

/* The changes of one UpdateTable request, applied to t->desc. new_iids
 * receives the ids of created indexes (to backfill after the save). */
static int apply_update(ddb_ctx *ctx, ddb_table *t, const cJSON *in, int64_t *new_iids, int *nnew, hg_err *err)
{
    cJSON *desc = t->desc;
    const char *billing, *cls;
    cJSON *pt, *defs_in, *updates, *stream, *sse;
    if (parse_billing(in, &billing, err) != 0 || ddb_get_object(in, "ProvisionedThroughput", &pt, err) != 0 ||
        ddb_get_array(in, "AttributeDefinitions", &defs_in, err) != 0 ||
        ddb_get_array(in, "GlobalSecondaryIndexUpdates", &updates, err) != 0 ||
        ddb_get_object(in, "StreamSpecification", &stream, err) != 0 ||
        ddb_get_object(in, "SSESpecification", &sse, err) != 0 || ddb_get_string(in, "TableClass", &cls, err) != 0)
        return -1;

    bool was_ppr = desc_is_ppr(desc);
    bool ppr = billing ? strcmp(billing, "PAY_PER_REQUEST") == 0 : was_ppr;
    if (billing && ppr != was_ppr) set_billing_summary(desc, ppr);
    else if (billing && !ppr && !cJSON_GetObjectItemCaseSensitive(desc, "BillingModeSummary"))
        set_billing_summary(desc, false);

    /* table throughput */
    if (pt && ppr)
        return hg_err_validation(err, "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                                 "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    if (!pt && !ppr && was_ppr)
        return hg_err_validation(err, "One or more parameter values were invalid: ProvisionedThroughput must be specified "
                                 "when BillingMode is PROVISIONED");
    int64_t rcu = 0, wcu = 0;
    if (pt) {
        if (parse_throughput(pt, NULL, &rcu, &wcu, err) != 0) return -1;
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(desc, "ProvisionedThroughput");
        double cr = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cur, "ReadCapacityUnits"));
        double cw = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cur, "WriteCapacityUnits"));
        if (!was_ppr && cr == (double)rcu && cw == (double)wcu && !updates && !billing && !stream && !sse && !cls)
            return hg_err_validation(err, "The provisioned throughput for the table will not change. The requested value "
                                     "equals the current value. Current ReadCapacityUnits provisioned for the table: %.0f. "
                                     "Requested ReadCapacityUnits: %lld. Current WriteCapacityUnits provisioned for the "
                                     "table: %.0f. Requested WriteCapacityUnits: %lld. Refer to the Amazon DynamoDB "
                                     "Developer Guide for current limits and how to request higher limits.",
                                     cr, (long long)rcu, cw, (long long)wcu);
        cJSON *np = throughput_json(rcu, wcu);
        double decreases = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cur, "NumberOfDecreasesToday"));
        if (isnan(decreases)) decreases = 0;
        if (!was_ppr && (rcu < cr || wcu < cw)) {
            decreases += 1;
            cJSON_AddNumberToObject(np, "LastDecreaseDateTime", hg_time_epoch_ms());
        } else if (!was_ppr && (rcu > cr || wcu > cw)) {
            cJSON_AddNumberToObject(np, "LastIncreaseDateTime", hg_time_epoch_ms());
        }
        cJSON_ReplaceItemInObjectCaseSensitive(np, "NumberOfDecreasesToday", cJSON_CreateNumber(decreases));
        hg_json_set(desc, "ProvisionedThroughput", np);
    } else if (ppr && !was_ppr) {
        hg_json_set(desc, "ProvisionedThroughput", throughput_json(0, 0));
    }
    /* GSIs follow the billing mode: on-demand shows 0/0; switching to
     * PROVISIONED gives them the table's units unless an Update says otherwise */
    if (billing && ppr != was_ppr) {
        cJSON *ix;
        cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(desc, "GlobalSecondaryIndexes"))
            hg_json_set(ix, "ProvisionedThroughput", throughput_json(ppr ? 0 : rcu, ppr ? 0 : wcu));
    }

    /* attribute definitions: merged with the current ones, same names same types */
    if (defs_in) {
        cJSON *given = NULL;
        if (parse_attr_defs(defs_in, &given, err) != 0) return -1;
        cJSON *defs = cJSON_GetObjectItemCaseSensitive(desc, "AttributeDefinitions");
        cJSON *d;
        while ((d = given->child) != NULL) {
            cJSON_DetachItemViaPointer(given, d);
            const char *an = hg_json_str(d, "AttributeName"), *at = hg_json_str(d, "AttributeType");
            const char *cur = def_type(defs, an);
            if (cur && strcmp(cur, at) != 0) {
                hg_err_validation(err, "One or more parameter values were invalid: Attribute %s is already defined with "
                                  "type %s and cannot be redefined as %s", an, cur, at);
                cJSON_Delete(d);
                cJSON_Delete(given);
                return -1;
            }
            if (cur) cJSON_Delete(d);
            else cJSON_AddItemToArray(defs, d);
        }
        cJSON_Delete(given);
    }

    /* index updates */
    if (updates && check_gsi_updates(updates, err) != 0) return -1;
    char arn[600];
    table_arn(ctx, t->name, arn, sizeof arn);
    keyspec tks = { t->hash.name, t->range.name };
    index_rules rules = { .defs = cJSON_GetObjectItemCaseSensitive(desc, "AttributeDefinitions"), .table = &tks,
                          .pay_per_request = ppr, .arn = arn };
    /* projected attributes already spent by existing indexes */
    static const char *const lists[] = { "GlobalSecondaryIndexes", "LocalSecondaryIndexes" };
    for (int l = 0; l < 2; l++) {
        const cJSON *ix;
        cJSON_ArrayForEach(ix, cJSON_GetObjectItemCaseSensitive(desc, lists[l]))
            rules.nprojected += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(ix, "Projection"), "NonKeyAttributes"));
    }
    const cJSON *u;
    int i = 0;
    cJSON_ArrayForEach(u, updates) {
        i++;
        cJSON *create = cJSON_GetObjectItemCaseSensitive(u, "Create");
        cJSON *upd = cJSON_GetObjectItemCaseSensitive(u, "Update");
        cJSON *del = cJSON_GetObjectItemCaseSensitive(u, "Delete");
        if (create) {
            char path[96];
            snprintf(path, sizeof path, "globalSecondaryIndexUpdates.%d.member.create", i);
            cJSON *o = NULL;
            if (parse_index(create, path, true, &rules, &o, err) != 0) return -1;
            const char *iname = hg_json_str(o, "IndexName");
            if (has_index_named(desc, iname)) {
                hg_err_validation(err, "One or more parameter values were invalid: Attempting to create an index which "
                                  "already exists: %s", iname);
                cJSON_Delete(o);
                return -1;
            }
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(desc, "GlobalSecondaryIndexes");
            if (!arr) arr = cJSON_AddArrayToObject(desc, "GlobalSecondaryIndexes");
            if (cJSON_GetArraySize(arr) >= MAX_GSIS) {
                cJSON_Delete(o);
                return hg_err_set(err, 400, "LimitExceededException", "Subscriber limit exceeded: the table has the maximum "
                                  "of %d global secondary indexes", MAX_GSIS);
            }
            give_iid(desc, o);
            new_iids[(*nnew)++] = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "_iid"));
            cJSON_AddItemToArray(arr, o);
        } else if (upd) {
            const char *iname = hg_json_str(upd, "IndexName");
            cJSON *ix = find_gsi(desc, iname);
            if (!ix) return ddb_err_not_found(err, "Requested resource not found: Index: %s not found", iname);
            cJSON *ipt;
            if (ddb_get_object(upd, "ProvisionedThroughput", &ipt, err) != 0) return -1;
            if (ipt && ppr)
                return hg_err_validation(err, "One or more parameter values were invalid: ProvisionedThroughput should not "
                                         "be specified for index: %s when BillingMode is PAY_PER_REQUEST", iname);
            if (ipt) {
                int64_t r, w;
                if (parse_throughput(ipt, iname, &r, &w, err) != 0) return -1;
                hg_json_set(ix, "ProvisionedThroughput", throughput_json(r, w));
            }
        } else if (del) {
            const char *iname = hg_json_str(del, "IndexName");
            cJSON *ix = find_gsi(desc, iname);
            if (!ix) return ddb_err_not_found(err, "Requested resource not found: Index: %s not found", iname);
            int64_t iid = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ix, "_iid"));
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(desc, "GlobalSecondaryIndexes");
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, ix));
            if (cJSON_GetArraySize(arr) == 0) cJSON_DeleteItemFromObjectCaseSensitive(desc, "GlobalSecondaryIndexes");
            if (iid > 0 && ddb_store_index_drop(ctx->store, t->tid, iid, err) != 0) return -1;
        }
    }
    prune_defs(desc);
    if (defs_in) {
        /* a definition the request gave must serve some index key */
        const cJSON *d;
        cJSON_ArrayForEach(d, defs_in) {
            const char *an = hg_json_str(d, "AttributeName");
            if (an && !def_type(cJSON_GetObjectItemCaseSensitive(desc, "AttributeDefinitions"), an))
                return hg_err_validation(err, "One or more parameter values were invalid: Some AttributeDefinitions are not "
                                         "used. Unused: [%s]", an);
        }
    }

    if (stream && apply_stream_spec(ctx, desc, stream, true, err) != 0) return -1;
    if (sse && apply_sse_spec(ctx, desc, sse, err) != 0) return -1;
    if (check_table_class(cls, err) != 0) return -1;
    if (cls) set_table_class(desc, cls);
    const cJSON *prot = cJSON_GetObjectItemCaseSensitive(in, "DeletionProtectionEnabled");
    if (prot && !cJSON_IsNull(prot)) {
        if (!cJSON_IsBool(prot))
            return hg_err_set(err, 400, "SerializationException",
                              "Unexpected value type in payload: DeletionProtectionEnabled must be a boolean");
        hg_json_set(desc, "DeletionProtectionEnabled", cJSON_CreateBool(cJSON_IsTrue(prot)));
    }
    return 0;
}

int ddb_op_update_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name;
    if (ddb_need_string(in, "TableName", &name, err) != 0 || check_name_or_arn(name, "tableName", err) != 0) return -1;
    static const char *const members[] = {
        "ProvisionedThroughput", "BillingMode", "GlobalSecondaryIndexUpdates", "StreamSpecification",
        "SSESpecification", "TableClass", "DeletionProtectionEnabled", "ReplicaUpdates", "OnDemandThroughput",
        "WarmThroughput", NULL
    };
    bool any = false;
    for (int i = 0; members[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, members[i]);
        if (v && !cJSON_IsNull(v) && !(cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0)) any = true;
    }
    if (!any)
        return hg_err_validation(err, "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                                 "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
    const cJSON *replicas = cJSON_GetObjectItemCaseSensitive(in, "ReplicaUpdates");
    if (replicas && !cJSON_IsNull(replicas))
        return hg_err_validation(err, "ReplicaUpdates (global tables) are not supported by this emulator");

    if (hg_store_begin_write(ctx->store, err) != 0) return -1;
    ddb_table *t = NULL;
    int64_t new_iids[MAX_GSIS + 1];
    int nnew = 0;
    cJSON *d = NULL;
    if (ddb_table_open(ctx, name, false, &t, err) != 0) goto fail;
    const cJSON *updates = cJSON_GetObjectItemCaseSensitive(in, "GlobalSecondaryIndexUpdates");
    if (cJSON_GetArraySize(updates) > MAX_GSIS) {
        hg_err_set(err, 400, "LimitExceededException", "Subscriber limit exceeded: too many global secondary index "
                   "updates in one request");
        goto fail;
    }
    if (apply_update(ctx, t, in, new_iids, &nnew, err) != 0) goto fail;
    if (ddb_table_save(ctx, t, err) != 0) goto fail;
    for (int i = 0; i < nnew; i++) {
        for (int j = 0; j < t->nindexes; j++)
            if (t->indexes[j].iid == new_iids[i] && backfill_index(ctx, t, &t->indexes[j], err) != 0) goto fail;
    }
    d = render_desc(ctx, t, err);
    if (!d) goto fail;
    if (hg_store_commit(ctx->store, err) != 0) goto fail;
    ddb_table_free(t);
    cJSON_AddItemToObject(out, "TableDescription", d);
    return 0;
fail:
    hg_store_rollback(ctx->store);
    cJSON_Delete(d);
    ddb_table_free(t);
    return -1;
}

/* ---- DeleteTable ------------------------------------------------------------------------ */

int ddb_op_delete_table(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name;
    if (ddb_need_string(in, "TableName", &name, err) != 0 || check_name_or_arn(name, "tableName", err) != 0) return -1;
    if (hg_store_begin_write(ctx->store, err) != 0) return -1;
    ddb_table *t = NULL;
    cJSON *d = NULL;
    if (ddb_table_open(ctx, name, false, &t, err) != 0) goto fail;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t->desc, "DeletionProtectionEnabled"))) {
        hg_err_validation(err, "Resource cannot be deleted as it is currently protected against deletion. Disable "
                          "deletion protection first.");
        goto fail;
    }
    d = render_desc(ctx, t, err);
    if (!d) goto fail;
    hg_json_set(d, "TableStatus", cJSON_CreateString("DELETING"));
    if (ddb_store_table_drop(ctx->store, t->tid, err) != 0) goto fail;
    if (hg_store_commit(ctx->store, err) != 0) goto fail;
    ddb_table_free(t);
    cJSON_AddItemToObject(out, "TableDescription", d);
    return 0;
fail:
    hg_store_rollback(ctx->store);
    cJSON_Delete(d);
    ddb_table_free(t);
    return -1;
}
