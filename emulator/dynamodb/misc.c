/*
 * misc.c — the small control-plane operations: resource tags, continuous
 * backups (point-in-time recovery settings), DescribeLimits and
 * DescribeEndpoints.
 *
 * Tags are kept in the table description as "_tags": [{"Key", "Value"}] in
 * the order they were first set (a re-tag replaces the value in place). PITR
 * is "_pitr": {"Enabled", "Since" (epoch seconds), "RecoveryPeriodInDays"}.
 * Nothing is backed up: the settings are remembered and reported, so that
 * infrastructure code that turns PITR on sees what AWS would show.
 */
#include "ddb.h"
#include "hg_json.h"
#include "hg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAGS       50
#define MAX_ARN_LEN    1283
#define PITR_MAX_DAYS  35

/* ---- resources by ARN ---------------------------------------------------------- */

static int arn_not_found(const char *arn, hg_err *err)
{
    return ddb_err_not_found(err, "Requested resource not found: ResourcArn: %s not found", arn);
}

/* Open the table named by a ResourceArn "arn:aws:dynamodb:REGION:ACCOUNT:table/NAME"
 * of this region and account. *out is owned by the caller (ddb_table_free). */
static int open_by_arn(ddb_ctx *ctx, const char *arn, ddb_table **out, hg_err *err)
{
    size_t n = strlen(arn);
    if (n < 1 || n > MAX_ARN_LEN)
        return hg_err_validation(err, "1 validation error detected: Value '%s' at 'resourceArn' failed to satisfy "
                                 "constraint: Member must have length %s", arn,
                                 n < 1 ? "greater than or equal to 1" : "less than or equal to 1283");
    /* arn : partition : service : region : account : resource */
    const char *part[6];
    size_t len[6];
    const char *p = arn;
    for (int i = 0; i < 6; i++) {
        part[i] = p;
        const char *colon = i < 5 ? strchr(p, ':') : NULL;
        len[i] = colon ? (size_t)(colon - p) : strlen(p);
        if (i < 5 && !colon) goto malformed;
        p = colon ? colon + 1 : p + len[i];
    }
    if (len[0] != 3 || strncmp(part[0], "arn", 3) != 0 || len[1] == 0 ||
        len[2] != 8 || strncmp(part[2], "dynamodb", 8) != 0 || len[3] == 0 || len[4] == 0 ||
        strncmp(part[5], "table/", 6) != 0)
        goto malformed;
    const char *name = part[5] + 6;
    if (strchr(name, '/')) goto malformed;        /* index or stream ARNs carry no tags */
    if (len[3] != strlen(ctx->region) || strncmp(part[3], ctx->region, len[3]) != 0 ||
        len[4] != strlen(ctx->account) || strncmp(part[4], ctx->account, len[4]) != 0)
        return arn_not_found(arn, err);
    hg_err sub;
    hg_err_clear(&sub);
    if (ddb_check_table_name(name, "resourceArn", &sub) != 0) goto malformed;
    if (ddb_table_open(ctx, name, false, out, &sub) != 0) {
        if (strcmp(sub.code, "ResourceNotFoundException") == 0) return arn_not_found(arn, err);
        *err = sub;
        return -1;
    }
    return 0;
malformed:
    return hg_err_validation(err, "Invalid TableArn: Invalid ResourceArn provided as input %s", arn);
}

/* ---- tags ------------------------------------------------------------------------ */

/* desc's "_tags" array, made if missing; borrowed from desc. */
static cJSON *tag_list(cJSON *desc)
{
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(desc, "_tags");
    if (!cJSON_IsArray(tags)) {
        cJSON_DeleteItemFromObjectCaseSensitive(desc, "_tags");
        tags = cJSON_AddArrayToObject(desc, "_tags");
    }
    return tags;
}

/* The tag with key in tags (borrowed), or NULL. */
static cJSON *find_tag(cJSON *tags, const char *key)
{
    cJSON *t;
    cJSON_ArrayForEach(t, tags) {
        const char *k = hg_json_str(t, "Key");
        if (k && strcmp(k, key) == 0) return t;
    }
    return NULL;
}

/* One tag of TagResource's or CreateTable's Tags (i counts from 1, as AWS's
 * messages do); the one validation both operations use. */
int ddb_check_tag(const cJSON *t, int i, hg_err *err)
{
    if (!cJSON_IsObject(t))
        return hg_err_validation(err, "1 validation error detected: Value null at 'tags.%d.member' failed to satisfy "
                                 "constraint: Member must not be null", i);
    const char *k, *v;
    if (ddb_get_string(t, "Key", &k, err) != 0 || ddb_get_string(t, "Value", &v, err) != 0) return -1;
    if (!k || !v)
        return hg_err_validation(err, "1 validation error detected: Value null at 'tags.%d.member.%s' failed to satisfy "
                                 "constraint: Member must not be null", i, !k ? "key" : "value");
    size_t kl = strlen(k), vl = strlen(v);
    if (kl < 1 || kl > 128)
        return hg_err_validation(err, "1 validation error detected: Value '%s' at 'tags.%d.member.key' failed to satisfy "
                                 "constraint: Member must have length %s", k, i,
                                 kl < 1 ? "greater than or equal to 1" : "less than or equal to 128");
    if (vl > 256)
        return hg_err_validation(err, "1 validation error detected: Value '%s' at 'tags.%d.member.value' failed to "
                                 "satisfy constraint: Member must have length less than or equal to 256", v, i);
    if (strncmp(k, "aws:", 4) == 0)
        return hg_err_validation(err, "One or more parameter values were invalid: Tag keys starting with the reserved "
                                 "prefix 'aws:' cannot be set: %s", k);
    return 0;
}

/* TagResource and UntagResource: change the tag list of the table at arn
 * inside one write transaction; edit gets the list (owned by the table's
 * description) and the request's tags or keys. */
typedef int (*tag_edit)(cJSON *kept, const cJSON *arg, hg_err *err);

static int edit_tags(ddb_ctx *ctx, const char *arn, tag_edit edit, const cJSON *arg, hg_err *err)
{
    if (hg_store_begin_write(ctx->store, err) != 0) return -1;
    ddb_table *tab = NULL;
    if (open_by_arn(ctx, arn, &tab, err) != 0 || edit(tag_list(tab->desc), arg, err) != 0 ||
        ddb_table_save(ctx, tab, err) != 0 || hg_store_commit(ctx->store, err) != 0) {
        hg_store_rollback(ctx->store);
        ddb_table_free(tab);
        return -1;
    }
    ddb_table_free(tab);
    return 0;
}

static int add_tags(cJSON *kept, const cJSON *tags, hg_err *err)
{
    const cJSON *t;
    cJSON_ArrayForEach(t, tags) {
        const char *k = hg_json_str(t, "Key"), *v = hg_json_str(t, "Value");
        cJSON *have = find_tag(kept, k);
        if (have) {
            hg_json_set(have, "Value", cJSON_CreateString(v));
        } else {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "Key", k);
            cJSON_AddStringToObject(o, "Value", v);
            cJSON_AddItemToArray(kept, o);
        }
    }
    if (cJSON_GetArraySize(kept) > MAX_TAGS)
        return hg_err_validation(err, "One or more parameter values were invalid: The number of tags exceeds the limit "
                                 "of %d per resource", MAX_TAGS);
    return 0;
}

static int remove_tags(cJSON *kept, const cJSON *keys, hg_err *err)
{
    (void)err;
    const cJSON *k;
    cJSON_ArrayForEach(k, keys) {
        cJSON *have = find_tag(kept, k->valuestring);
        if (have) cJSON_Delete(cJSON_DetachItemViaPointer(kept, have));   /* absent keys are no error, as AWS */
    }
    return 0;
}

int ddb_op_tag_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    const char *arn;
    cJSON *tags;
    if (ddb_need_string(in, "ResourceArn", &arn, err) != 0 || ddb_get_array(in, "Tags", &tags, err) != 0) return -1;
    if (!tags)
        return hg_err_validation(err, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
                                 "Member must not be null");
    const cJSON *t;
    int i = 0;
    cJSON_ArrayForEach(t, tags)
        if (ddb_check_tag(t, ++i, err) != 0) return -1;

    return edit_tags(ctx, arn, add_tags, tags, err);
}

int ddb_op_untag_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)out;
    const char *arn;
    cJSON *keys;
    if (ddb_need_string(in, "ResourceArn", &arn, err) != 0 || ddb_get_array(in, "TagKeys", &keys, err) != 0) return -1;
    if (!keys)
        return hg_err_validation(err, "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
                                 "Member must not be null");
    const cJSON *k;
    int i = 0;
    cJSON_ArrayForEach(k, keys) {
        i++;
        if (!cJSON_IsString(k))
            return hg_err_validation(err, "1 validation error detected: Value null at 'tagKeys.%d.member' failed to satisfy "
                                     "constraint: Member must not be null", i);
        size_t kl = strlen(k->valuestring);
        if (kl < 1 || kl > 128)
            return hg_err_validation(err, "1 validation error detected: Value '%s' at 'tagKeys.%d.member' failed to satisfy "
                                     "constraint: Member must have length %s", k->valuestring, i,
                                     kl < 1 ? "greater than or equal to 1" : "less than or equal to 128");
    }

    return edit_tags(ctx, arn, remove_tags, keys, err);
}

int ddb_op_list_tags_of_resource(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *arn, *next;
    if (ddb_need_string(in, "ResourceArn", &arn, err) != 0 || ddb_get_string(in, "NextToken", &next, err) != 0) return -1;
    ddb_table *tab;
    if (open_by_arn(ctx, arn, &tab, err) != 0) return -1;
    /* at most 50 tags: always one page, so NextToken is never returned */
    cJSON *tags = cJSON_GetObjectItemCaseSensitive(tab->desc, "_tags");
    cJSON_AddItemToObject(out, "Tags", cJSON_IsArray(tags) ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    ddb_table_free(tab);
    return 0;
}

/* ---- continuous backups -------------------------------------------------------------- */

/* Continuous-backup ops say TableNotFoundException, not ResourceNotFound. */
static int open_for_backups(ddb_ctx *ctx, const char *name, ddb_table **out, hg_err *err)
{
    hg_err sub;
    hg_err_clear(&sub);
    if (ddb_table_open(ctx, name, false, out, &sub) == 0) return 0;
    if (strcmp(sub.code, "ResourceNotFoundException") == 0)
        return hg_err_set(err, 400, "TableNotFoundException", "Table not found: %s", name);
    *err = sub;
    return -1;
}

/* A new ContinuousBackupsDescription (caller frees). */
static cJSON *backups_json(const cJSON *desc)
{
    const cJSON *pitr = cJSON_GetObjectItemCaseSensitive(desc, "_pitr");
    bool on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pitr, "Enabled"));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "ContinuousBackupsStatus", "ENABLED");
    cJSON *p = cJSON_AddObjectToObject(d, "PointInTimeRecoveryDescription");
    cJSON_AddStringToObject(p, "PointInTimeRecoveryStatus", on ? "ENABLED" : "DISABLED");
    if (on) {
        const cJSON *days = cJSON_GetObjectItemCaseSensitive(pitr, "RecoveryPeriodInDays");
        double since = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(pitr, "Since"));
        double now = hg_time_epoch_ms();
        double window = (cJSON_IsNumber(days) ? days->valuedouble : PITR_MAX_DAYS) * 86400.0;
        double earliest = since > now - window ? since : now - window;
        /* AWS's latest restorable point trails the present by about five minutes */
        double latest = now - 300 > earliest ? now - 300 : earliest;
        cJSON_AddNumberToObject(p, "RecoveryPeriodInDays", cJSON_IsNumber(days) ? days->valuedouble : PITR_MAX_DAYS);
        cJSON_AddNumberToObject(p, "EarliestRestorableDateTime", earliest);
        cJSON_AddNumberToObject(p, "LatestRestorableDateTime", latest);
    }
    return d;
}

static int need_table_name(const cJSON *in, const char **name, hg_err *err)
{
    if (ddb_need_string(in, "TableName", name, err) != 0) return -1;
    if (strncmp(*name, "arn:", 4) != 0 && ddb_check_table_name(*name, "tableName", err) != 0) return -1;
    return 0;
}

int ddb_op_describe_continuous_backups(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name;
    ddb_table *t;
    if (need_table_name(in, &name, err) != 0 || open_for_backups(ctx, name, &t, err) != 0) return -1;
    cJSON_AddItemToObject(out, "ContinuousBackupsDescription", backups_json(t->desc));
    ddb_table_free(t);
    return 0;
}

int ddb_op_update_continuous_backups(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    const char *name;
    cJSON *spec;
    if (need_table_name(in, &name, err) != 0 || ddb_get_object(in, "PointInTimeRecoverySpecification", &spec, err) != 0)
        return -1;
    if (!spec)
        return hg_err_validation(err, "1 validation error detected: Value null at 'pointInTimeRecoverySpecification' "
                                 "failed to satisfy constraint: Member must not be null");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(spec, "PointInTimeRecoveryEnabled");
    if (!en || cJSON_IsNull(en))
        return hg_err_validation(err, "1 validation error detected: Value null at "
                                 "'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy "
                                 "constraint: Member must not be null");
    if (!cJSON_IsBool(en))
        return hg_err_set(err, 400, "SerializationException",
                          "Unexpected value type in payload: PointInTimeRecoveryEnabled must be a boolean");
    int64_t days;
    bool has_days;
    if (ddb_get_int(spec, "RecoveryPeriodInDays", 1, PITR_MAX_DAYS, PITR_MAX_DAYS, &days, &has_days, err) != 0) return -1;
    bool enable = cJSON_IsTrue(en);
    if (has_days && !enable)
        return hg_err_validation(err, "One or more parameter values were invalid: RecoveryPeriodInDays can only be "
                                 "specified when PointInTimeRecoveryEnabled is true");

    if (hg_store_begin_write(ctx->store, err) != 0) return -1;
    ddb_table *t = NULL;
    if (open_for_backups(ctx, name, &t, err) != 0) goto fail;
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(t->desc, "_pitr");
    bool was_on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cur, "Enabled"));
    cJSON *pitr = cJSON_CreateObject();
    cJSON_AddBoolToObject(pitr, "Enabled", enable);
    if (enable) {
        /* staying enabled keeps the recovery window's start */
        double since = was_on ? cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cur, "Since")) : hg_time_epoch_ms();
        cJSON_AddNumberToObject(pitr, "Since", since);
        cJSON_AddNumberToObject(pitr, "RecoveryPeriodInDays", (double)days);
    }
    hg_json_set(t->desc, "_pitr", pitr);
    if (ddb_table_save(ctx, t, err) != 0 || hg_store_commit(ctx->store, err) != 0) goto fail;
    cJSON_AddItemToObject(out, "ContinuousBackupsDescription", backups_json(t->desc));
    ddb_table_free(t);
    return 0;
fail:
    hg_store_rollback(ctx->store);
    ddb_table_free(t);
    return -1;
}

/* ---- limits and endpoints --------------------------------------------------------------- */

int ddb_op_describe_limits(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)ctx; (void)in; (void)err;
    /* the default quotas of a new AWS account */
    cJSON_AddNumberToObject(out, "AccountMaxReadCapacityUnits", 80000);
    cJSON_AddNumberToObject(out, "AccountMaxWriteCapacityUnits", 80000);
    cJSON_AddNumberToObject(out, "TableMaxReadCapacityUnits", 40000);
    cJSON_AddNumberToObject(out, "TableMaxWriteCapacityUnits", 40000);
    return 0;
}

int ddb_op_describe_endpoints(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    (void)in; (void)err;
    char addr[128];
    snprintf(addr, sizeof addr, "dynamodb.%s.amazonaws.com", ctx->region);
    cJSON *eps = cJSON_AddArrayToObject(out, "Endpoints");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "Address", addr);
    cJSON_AddNumberToObject(e, "CachePeriodInMinutes", 1440);
    cJSON_AddItemToArray(eps, e);
    return 0;
}
