/*
 * query.c — Query and Scan: ordered reads of a table or a secondary index,
 * one page per request, with DynamoDB's paging, filtering and projection.
 *
 * Both operations share one request shape (read_req) and one page loop; they
 * differ only in how the store range is built: Query pins a partition and
 * bounds the sort key from the KeyConditionExpression, Scan walks partitions
 * in hash order, optionally restricted to one parallel Segment's hash band.
 *
 * Page rules, as DynamoDB applies them:
 *   1. Limit counts items *read* (evaluated), before the FilterExpression.
 *   2. A page also ends once the items read total 1 MB (by ddb_item_size);
 *      the item that crosses the line is part of the page.
 *   3. LastEvaluatedKey is returned whenever the page ended by rule 1 or 2,
 *      even if nothing is left; the next page is then empty and has none.
 *   4. Count = items that passed the filter; ScannedCount = items read.
 *   5. Items read from an index are the index's projection of the base item
 *      (KEYS_ONLY/INCLUDE/ALL) unless an LSI must "fetch" the base item
 *      (Select ALL_ATTRIBUTES, or a filter/projection naming attributes the
 *      index does not hold).
 * A page is read inside one read transaction, so it is a consistent snapshot.
 */
#include "ddb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keycodec.h"

#define PAGE_BYTES (1024 * 1024)   /* DynamoDB's 1 MB page size */

typedef enum select_mode { SEL_NONE, SEL_ALL, SEL_PROJECTED, SEL_SPECIFIC, SEL_COUNT } select_mode;

/* Everything one Query or Scan request needs, validated. */
typedef struct read_req {
    bool              is_query;
    ddb_table        *t;          /* owned */
    const ddb_index  *ix;         /* borrowed from t; NULL = the base table */
    const ddb_keydef *hash, *range;   /* the key schema being read (table's or index's) */
    ddb_expr_env      env;
    bool              env_ready;
    ddb_expr         *key, *filter, *proj;   /* owned, each may be NULL */
    bool              key_missed;  /* the key condition has no equality at all */
    const cJSON      *attrs;       /* AttributesToGet (array of strings), borrowed */
    const cJSON      *keyconds;    /* legacy KeyConditions (object), borrowed */
    cJSON            *esk;         /* ExclusiveStartKey, borrowed */
    select_mode       sel;
    bool              fetch;       /* LSI: read the base item, not the index projection */
    int64_t           limit;       /* 0 = none */
    bool              consistent;
    ddb_cap_mode      cap;
    ddb_range         r;
    /* Encodings the range points into; owned. */
    hg_buf            hk, lo, hi, a_hk, a_rk, a_ihk, a_irk;
} read_req;

static void req_init(read_req *rq, bool is_query)
{
    memset(rq, 0, sizeof *rq);
    rq->is_query = is_query;
    hg_buf *bufs[] = { &rq->hk, &rq->lo, &rq->hi, &rq->a_hk, &rq->a_rk, &rq->a_ihk, &rq->a_irk };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        hg_buf_init(bufs[i], DDB_MAX_HASH_KEY + 64);
}

static void req_release(read_req *rq)
{
    ddb_expr_free(rq->key);
    ddb_expr_free(rq->filter);
    ddb_expr_free(rq->proj);
    if (rq->env_ready) ddb_expr_env_release(&rq->env);
    ddb_table_free(rq->t);
    hg_buf *bufs[] = { &rq->hk, &rq->lo, &rq->hi, &rq->a_hk, &rq->a_rk, &rq->a_ihk, &rq->a_irk };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        hg_buf_release(bufs[i]);
}

static ddb_blob blob_of(const hg_buf *b)
{
    return (ddb_blob){ (const unsigned char *)hg_buf_cstr(b), b->len };
}

/* SQLite's BLOB order: memcmp over the common length, then shorter first. */
static int blob_cmp(const hg_buf *a, const hg_buf *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(hg_buf_cstr(a), hg_buf_cstr(b), n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

/* ---- the attributes a filter names ---------------------------------------- */

/* Does the expression name attr at its top level? */
static bool names_attr(const ddb_expr *e, const char *attr)
{
    const char **roots;
    int n = ddb_expr_roots(e, &roots);
    for (int i = 0; i < n; i++)
        if (strcmp(roots[i], attr) == 0) return true;
    return false;
}

/* Does the index hold attr (key attributes always; others by projection)? */
static bool index_holds(const ddb_table *t, const ddb_index *ix, const char *attr)
{
    if (ix->proj == DDB_PROJ_ALL || ddb_is_table_key(t, attr)) return true;
    if ((ix->hash.name && strcmp(ix->hash.name, attr) == 0) ||
        (ix->range.name && strcmp(ix->range.name, attr) == 0))
        return true;
    const cJSON *n;
    if (ix->proj == DDB_PROJ_INCLUDE)
        cJSON_ArrayForEach(n, ix->nonkey)
            if (cJSON_IsString(n) && strcmp(n->valuestring, attr) == 0) return true;
    return false;
}

/* ---- request parsing -------------------------------------------------------- */

static const char *const select_names[] = {
    [SEL_ALL] = "ALL_ATTRIBUTES", [SEL_PROJECTED] = "ALL_PROJECTED_ATTRIBUTES",
    [SEL_SPECIFIC] = "SPECIFIC_ATTRIBUTES", [SEL_COUNT] = "COUNT",
};

static int parse_select(const cJSON *in, select_mode *sel, hg_err *err)
{
    const char *s;
    *sel = SEL_NONE;
    if (ddb_get_string(in, "Select", &s, err) != 0) return -1;
    if (!s) return 0;
    for (int i = SEL_ALL; i <= SEL_COUNT; i++)
        if (strcmp(s, select_names[i]) == 0) { *sel = (select_mode)i; return 0; }
    return hg_err_validation(err, "1 validation error detected: Value '%.100s' at 'select' failed to satisfy constraint: "
                             "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", s);
}

/* The legacy (pre-expression) parameters: refuse mixing them with expressions
 * as AWS does, and say plainly which ones this emulator does not evaluate.
 * KeyConditions mixes only with KeyConditionExpression: AWS lets it stand
 * beside a FilterExpression or ProjectionExpression. */
static int check_legacy(const cJSON *in, bool is_query, const char *kce, const char *fe, const char *pe,
                        hg_err *err)
{
    static const char *const legacy[] = { "AttributesToGet", "KeyConditions", "QueryFilter", "ScanFilter",
                                          "ConditionalOperator" };
    char non[160] = "", expr[160] = "";
    size_t nl = 0, el = 0;
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, legacy[i]);
        if (!v || cJSON_IsNull(v)) continue;
        if (!is_query && (i == 1 || i == 2)) continue;
        if (i == 1 && !kce) continue;
        if (is_query && i == 3) continue;
        nl += (size_t)snprintf(non + nl, sizeof non - nl, "%s%s", nl ? ", " : "", legacy[i]);
    }
    const char *exprs[] = { pe ? "ProjectionExpression" : NULL, fe ? "FilterExpression" : NULL,
                            kce ? "KeyConditionExpression" : NULL };
    for (size_t i = 0; i < 3; i++)
        if (exprs[i]) el += (size_t)snprintf(expr + el, sizeof expr - el, "%s%s", el ? ", " : "", exprs[i]);
    if (nl && el)
        return hg_err_validation(err, "Can not use both expression and non-expression parameters in the same request: "
                                 "Non-expression parameters: {%s} Expression parameters: {%s}", non, expr);
    const char *unsupported[] = { "QueryFilter", "ScanFilter", "ConditionalOperator" };
    for (size_t i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, unsupported[i]);
        if (v && !cJSON_IsNull(v))
            return hg_err_validation(err, "The legacy parameter %s is not supported by this emulator; use FilterExpression",
                                     unsupported[i]);
    }
    return 0;
}

/* Legacy KeyConditions: {attr: {ComparisonOperator, AttributeValueList}}. */
static const struct { const char *name; ddb_key_op op; int nvalues; } legacy_ops[] = {
    { "EQ", DDB_KEY_EQ, 1 }, { "LT", DDB_KEY_LT, 1 }, { "LE", DDB_KEY_LE, 1 }, { "GT", DDB_KEY_GT, 1 },
    { "GE", DDB_KEY_GE, 1 }, { "BEGINS_WITH", DDB_KEY_BEGINS_WITH, 1 }, { "BETWEEN", DDB_KEY_BETWEEN, 2 },
    /* valid operators that cannot select a key range */
    { "NE", DDB_KEY_NONE, 1 }, { "CONTAINS", DDB_KEY_NONE, 1 }, { "NOT_CONTAINS", DDB_KEY_NONE, 1 },
    { "NULL", DDB_KEY_NONE, 0 }, { "NOT_NULL", DDB_KEY_NONE, 0 }, { "IN", DDB_KEY_NONE, -1 },
};

static int legacy_op(const cJSON *cond, int *which)
{
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(cond, "ComparisonOperator");
    for (size_t i = 0; cJSON_IsString(op) && i < sizeof legacy_ops / sizeof legacy_ops[0]; i++)
        if (strcmp(op->valuestring, legacy_ops[i].name) == 0) { *which = (int)i; return 0; }
    return -1;
}

static int validate_keyconds(const cJSON *kcs, hg_err *err)
{
    int n = cJSON_GetArraySize(kcs);
    cJSON *c;
    cJSON_ArrayForEach(c, kcs) {
        int w;
        if (!cJSON_IsObject(c))
            return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: KeyConditions.%s must be an object", c->string);
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(c, "ComparisonOperator");
        if (!op || cJSON_IsNull(op))
            return hg_err_validation(err, "1 validation error detected: Value null at 'keyConditions.%s.member.comparisonOperator' "
                                     "failed to satisfy constraint: Member must not be null", c->string);
        if (legacy_op(c, &w) != 0)
            return hg_err_validation(err, "1 validation error detected: Value '%.64s' at 'keyConditions.%s.member.comparisonOperator' "
                                     "failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, "
                                     "NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]",
                                     cJSON_IsString(op) ? op->valuestring : "?", c->string);
        cJSON *list = cJSON_GetObjectItemCaseSensitive(c, "AttributeValueList");
        if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list))
            return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: AttributeValueList must be a list");
        cJSON *v;
        cJSON_ArrayForEach(v, list)
            if (ddb_av_validate(v, c->string, err) != 0) return -1;
        int nv = cJSON_GetArraySize(list), want = legacy_ops[w].nvalues;
        if (want >= 0 ? nv != want : nv < 1)
            return hg_err_validation(err, "One or more parameter values were invalid: Invalid number of argument(s) for the %s "
                                     "ComparisonOperator", legacy_ops[w].name);
        if (legacy_ops[w].op == DDB_KEY_BETWEEN) {
            int cmp;
            if (ddb_av_compare(cJSON_GetArrayItem(list, 0), cJSON_GetArrayItem(list, 1), &cmp) == 0 && cmp > 0)
                return hg_err_validation(err, "The BETWEEN condition was provided a range where the lower bound is greater "
                                         "than the upper bound");
        }
    }
    if (n != 1 && n != 2) return hg_err_validation(err, "Conditions can be of length 1 or 2 only");
    return 0;
}

/* The ddb_keycond of legacy KeyConditions (values borrowed from kcs). */
static int keycond_from_legacy(const cJSON *kcs, const char *hash_name, ddb_keycond *kc, hg_err *err)
{
    memset(kc, 0, sizeof *kc);
    const cJSON *c;
    cJSON_ArrayForEach(c, kcs) {
        int w = 0;
        legacy_op(c, &w);   /* validated already */
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(c, "AttributeValueList");
        if (legacy_ops[w].op == DDB_KEY_NONE)
            return hg_err_validation(err, "Attempted conditional constraint is not an indexable operation");
        if (strcmp(c->string, hash_name) == 0) {
            if (legacy_ops[w].op != DDB_KEY_EQ) return hg_err_validation(err, "Query key condition not supported");
            kc->hash_name = c->string;
            kc->hash_value = cJSON_GetArrayItem(list, 0);
        } else {
            kc->range_name = c->string;
            kc->range_op = legacy_ops[w].op;
            kc->range_v1 = cJSON_GetArrayItem(list, 0);
            kc->range_v2 = cJSON_GetArrayItem(list, 1);
        }
    }
    if (!kc->hash_name) return hg_err_validation(err, "Query condition missed key schema element: %s", hash_name);
    return 0;
}

static int parse_attrs_to_get(const cJSON *in, const cJSON **attrs, hg_err *err)
{
    cJSON *a;
    *attrs = NULL;
    if (ddb_get_array(in, "AttributesToGet", &a, err) != 0) return -1;
    if (!a) return 0;
    int n = cJSON_GetArraySize(a);
    if (n < 1 || n > 255)
        return hg_err_validation(err, "1 validation error detected: Value at 'attributesToGet' failed to satisfy constraint: "
                                 "Member must have length %s", n < 1 ? "greater than or equal to 1" : "less than or equal to 255");
    const cJSON *x, *y;
    cJSON_ArrayForEach(x, a) {
        if (!cJSON_IsString(x))
            return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: AttributesToGet must be a list of strings");
        for (y = a->child; y != x; y = y->next)
            if (strcmp(y->valuestring, x->valuestring) == 0)
                return hg_err_validation(err, "One or more parameter values were invalid: Duplicate value in attribute name: %s",
                                         x->valuestring);
    }
    *attrs = a;
    return 0;
}

/* The parameters both operations share, their expressions, the table and index. */
static int parse_common(ddb_ctx *ctx, cJSON *in, read_req *rq, hg_err *err)
{
    const char *table, *index, *kce = NULL, *fe, *pe;
    cJSON *names, *values;
    if (ddb_need_string(in, "TableName", &table, err) != 0) return -1;
    if (strncmp(table, "arn:", 4) != 0 && ddb_check_table_name(table, "tableName", err) != 0) return -1;
    if (ddb_get_string(in, "IndexName", &index, err) != 0) return -1;
    if (index && ddb_check_table_name(index, "indexName", err) != 0) return -1;
    if (parse_select(in, &rq->sel, err) != 0) return -1;
    if (ddb_get_int(in, "Limit", 1, (int64_t)1 << 53, 0, &rq->limit, NULL, err) != 0) return -1;
    if (ddb_get_bool(in, "ConsistentRead", false, &rq->consistent, err) != 0) return -1;
    if (ddb_cap_mode_parse(in, &rq->cap, err) != 0) return -1;
    if (ddb_get_object(in, "ExclusiveStartKey", &rq->esk, err) != 0) return -1;
    if (parse_attrs_to_get(in, &rq->attrs, err) != 0) return -1;
    if (rq->is_query && ddb_get_string(in, "KeyConditionExpression", &kce, err) != 0) return -1;
    if (ddb_get_string(in, "FilterExpression", &fe, err) != 0) return -1;
    if (ddb_get_string(in, "ProjectionExpression", &pe, err) != 0) return -1;
    if (ddb_get_object(in, "ExpressionAttributeNames", &names, err) != 0) return -1;
    if (ddb_get_object(in, "ExpressionAttributeValues", &values, err) != 0) return -1;

    if (rq->is_query) {
        cJSON *kcs;
        if (ddb_get_object(in, "KeyConditions", &kcs, err) != 0) return -1;
        rq->keyconds = kcs;
    }
    if (check_legacy(in, rq->is_query, kce, fe, pe, err) != 0) return -1;
    if (rq->keyconds && !kce && validate_keyconds(rq->keyconds, err) != 0) return -1;
    if (rq->is_query && !kce && !rq->keyconds)
        return hg_err_validation(err, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
    if (names && !kce && !fe && !pe)
        return hg_err_validation(err, "ExpressionAttributeNames can only be specified when using expressions");
    if (values && !kce && !fe)
        return hg_err_validation(err, "ExpressionAttributeValues can only be specified when using expressions: %s",
                                 rq->is_query ? "KeyConditionExpression and FilterExpression are null" : "FilterExpression is null");

    if (ddb_expr_env_init(&rq->env, names, values, err) != 0) return -1;
    rq->env_ready = true;
    if (kce) {
        hg_err kerr;
        hg_err_clear(&kerr);
        if (ddb_expr_parse(&rq->env, DDB_EXPR_KEY, kce, &rq->key, &kerr) != 0) {
            /* "k < :v" alone: AWS names the missing hash key, which needs the table. */
            if (strcmp(kerr.message, "Query condition missed key schema element") != 0) {
                *err = kerr;
                return -1;
            }
            rq->key_missed = true;
        }
    }
    if (fe && ddb_expr_parse(&rq->env, DDB_EXPR_FILTER, fe, &rq->filter, err) != 0) return -1;
    if (pe && ddb_expr_parse(&rq->env, DDB_EXPR_PROJECTION, pe, &rq->proj, err) != 0) return -1;
    if (!rq->key_missed && ddb_expr_env_check_unused(&rq->env, err) != 0) return -1;

    if (ddb_table_open(ctx, table, true, &rq->t, err) != 0) return -1;
    rq->hash = &rq->t->hash;
    rq->range = &rq->t->range;
    if (index) {
        rq->ix = ddb_table_index(rq->t, index);
        if (!rq->ix) return hg_err_validation(err, "The table does not have the specified index: %s", index);
        if (!rq->ix->local && rq->consistent)
            return hg_err_validation(err, "Consistent reads are not supported on global secondary indexes");
        rq->hash = &rq->ix->hash;
        rq->range = &rq->ix->range;
    }

    /* Select, as AWS validates it. */
    bool has_proj = rq->proj || rq->attrs;
    if (rq->sel == SEL_SPECIFIC && !has_proj)
        return hg_err_validation(err, "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES "
                                 "requires AttributesToGet or ProjectionExpression");
    if (has_proj && rq->sel != SEL_NONE && rq->sel != SEL_SPECIFIC)
        return hg_err_validation(err, "Cannot specify the %s when choosing to get %s",
                                 rq->proj ? "ProjectionExpression" : "AttributesToGet",
                                 rq->sel == SEL_COUNT ? "only the Count" : select_names[rq->sel]);
    if (rq->sel == SEL_PROJECTED && !rq->ix)
        return hg_err_validation(err, "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES "
                                 "is supported only when reading a secondary index (IndexName)");
    if (rq->sel == SEL_ALL && rq->ix && !rq->ix->local && rq->ix->proj != DDB_PROJ_ALL)
        return hg_err_validation(err, "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
                                 "supported for global secondary index %s because its projection type is not ALL",
                                 rq->ix->name);
    if (rq->sel == SEL_NONE)
        rq->sel = has_proj ? SEL_SPECIFIC : rq->ix ? SEL_PROJECTED : SEL_ALL;

    /* An LSI answers from the base table what it does not hold itself. */
    if (rq->ix && rq->ix->local && rq->ix->proj != DDB_PROJ_ALL) {
        if (rq->sel == SEL_ALL) rq->fetch = true;
        const ddb_expr *named[2] = { rq->filter, rq->proj };
        for (int k = 0; k < 2; k++) {
            const char **roots;
            int n = named[k] ? ddb_expr_roots(named[k], &roots) : 0;
            for (int i = 0; i < n; i++)
                if (!index_holds(rq->t, rq->ix, roots[i])) rq->fetch = true;
        }
        const cJSON *a;
        cJSON_ArrayForEach(a, rq->attrs)
            if (!index_holds(rq->t, rq->ix, a->valuestring)) rq->fetch = true;
    }

    rq->r.tid = rq->t->tid;
    rq->r.iid = rq->ix ? rq->ix->iid : 0;
    return 0;
}

/* ---- ExclusiveStartKey ---------------------------------------------------------- */

static int bad_start_key(hg_err *err)
{
    return hg_err_validation(err, "The provided starting key is invalid: The provided key element does not match the schema");
}

static int encode_start_attr(const cJSON *esk, const ddb_keydef *kd, hg_buf *out, hg_err *err)
{
    hg_buf_reset(out);
    if (!kd->name) return 0;
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(esk, kd->name);
    if (!av || ddb_av_type(av) != kd->type) return bad_start_key(err);
    const cJSON *p = ddb_av_payload(av);
    if (cJSON_IsString(p) && p->valuestring[0] == '\0') return bad_start_key(err);
    return keycodec_encode(av, out, err);
}

/* The key attributes a start key must carry: the table's, plus the index's. */
static int start_key_size(const read_req *rq)
{
    const char *names[4] = { rq->t->hash.name, rq->t->range.name,
                             rq->ix ? rq->ix->hash.name : NULL, rq->ix ? rq->ix->range.name : NULL };
    int n = 0;
    for (int i = 0; i < 4; i++) {
        if (!names[i]) continue;
        bool dup = false;
        for (int j = 0; j < i; j++)
            if (names[j] && strcmp(names[j], names[i]) == 0) dup = true;
        n += !dup;
    }
    return n;
}

static int decode_start_key(read_req *rq, hg_err *err)
{
    if (!rq->esk) return 0;
    cJSON *m;
    cJSON_ArrayForEach(m, rq->esk) {
        hg_err verr;
        hg_err_clear(&verr);
        if (ddb_av_validate(m, m->string, &verr) != 0)
            return hg_err_validation(err, "The provided starting key is invalid: %s", verr.message);
    }
    if (cJSON_GetArraySize(rq->esk) != start_key_size(rq)) return bad_start_key(err);
    if (encode_start_attr(rq->esk, &rq->t->hash, &rq->a_hk, err) != 0 ||
        encode_start_attr(rq->esk, &rq->t->range, &rq->a_rk, err) != 0)
        return -1;
    if (rq->ix && (encode_start_attr(rq->esk, &rq->ix->hash, &rq->a_ihk, err) != 0 ||
                   encode_start_attr(rq->esk, &rq->ix->range, &rq->a_irk, err) != 0))
        return -1;
    rq->r.has_after = 1;
    rq->r.after_hk = blob_of(&rq->a_hk);
    rq->r.after_rk = blob_of(&rq->a_rk);
    rq->r.after_ihk = blob_of(&rq->a_ihk);
    rq->r.after_irk = blob_of(&rq->a_irk);
    const hg_buf *part = rq->ix ? &rq->a_ihk : &rq->a_hk;
    rq->r.after_hh = keycodec_hash((const unsigned char *)hg_buf_cstr(part), part->len);

    if (rq->is_query) {
        /* The start key must lie inside what the key condition selects. */
        const hg_buf *sk = rq->ix ? &rq->a_irk : &rq->a_rk;
        if (blob_cmp(part, &rq->hk) != 0)
            return hg_err_validation(err, "The provided starting key is outside query boundaries based on provided conditions");
        int lo = rq->r.has_lo ? blob_cmp(sk, &rq->lo) : 1;
        int hi = rq->r.has_hi ? blob_cmp(sk, &rq->hi) : -1;
        if (lo < 0 || (lo == 0 && !rq->r.lo_incl) || hi > 0 || (hi == 0 && !rq->r.hi_incl))
            return hg_err_validation(err, "The provided starting key does not match the range key predicate");
    }
    return 0;
}

/* ---- the key condition -------------------------------------------------------------- */

static int mismatch(hg_err *err)
{
    return hg_err_validation(err, "One or more parameter values were invalid: Condition parameter type does not match schema type");
}

static int encode_key_value(const ddb_keydef *kd, const cJSON *av, hg_buf *out, hg_err *err)
{
    if (ddb_av_type(av) != kd->type) return mismatch(err);
    const cJSON *p = ddb_av_payload(av);
    if (cJSON_IsString(p) && p->valuestring[0] == '\0')
        return hg_err_validation(err, "One or more parameter values are not valid. The AttributeValue for a key attribute "
                                 "cannot contain an empty %s value. Key: %s",
                                 kd->type == DDB_T_B ? "binary" : "string", kd->name);
    hg_buf_reset(out);
    return keycodec_encode(av, out, err);
}

/* Match the key condition against the key schema being read and turn it
 * into the range's partition and sort-key bounds. */
static int key_range(read_req *rq, hg_err *err)
{
    const char *H = rq->hash->name, *R = rq->range->name;
    if (rq->key_missed)
        return hg_err_validation(err, "Query condition missed key schema element: %s", H);
    ddb_keycond kc;
    if (rq->key ? ddb_expr_keycond(rq->key, &kc, err) != 0
                : keycond_from_legacy(rq->keyconds, H, &kc, err) != 0)
        return -1;
    /* "sk = :a AND pk = :b": the extractor took the first equality as the hash. */
    if (strcmp(kc.hash_name, H) != 0 && kc.range_name && strcmp(kc.range_name, H) == 0 && kc.range_op == DDB_KEY_EQ) {
        const char *n = kc.hash_name;
        const cJSON *v = kc.hash_value;
        kc.hash_name = kc.range_name;
        kc.hash_value = kc.range_v1;
        kc.range_name = n;
        kc.range_v1 = v;
    }
    if (strcmp(kc.hash_name, H) != 0) {
        if (kc.range_name && strcmp(kc.range_name, H) == 0)
            return hg_err_validation(err, "Query key condition not supported");
        return hg_err_validation(err, "Query condition missed key schema element: %s", H);
    }
    if (kc.range_name && (!R || strcmp(kc.range_name, R) != 0)) {
        if (!R) return hg_err_validation(err, "Query key condition not supported");
        return hg_err_validation(err, "Query condition missed key schema element: %s", R);
    }
    if (encode_key_value(rq->hash, kc.hash_value, &rq->hk, err) != 0) return -1;
    rq->r.has_hk = 1;
    rq->r.hk = blob_of(&rq->hk);
    if (!kc.range_name) return 0;

    if (kc.range_op == DDB_KEY_BEGINS_WITH && rq->range->type == DDB_T_N)
        return hg_err_validation(err, "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
                                 "operator or function: begins_with, operand type: N");
    hg_buf *first = (kc.range_op == DDB_KEY_LT || kc.range_op == DDB_KEY_LE) ? &rq->hi : &rq->lo;
    if (encode_key_value(rq->range, kc.range_v1, first, err) != 0) return -1;
    switch (kc.range_op) {
    case DDB_KEY_EQ:
        if (hg_buf_append(&rq->hi, hg_buf_cstr(&rq->lo), rq->lo.len) != 0) return hg_err_internal(err, "out of memory");
        rq->r.has_lo = rq->r.lo_incl = rq->r.has_hi = rq->r.hi_incl = 1;
        break;
    case DDB_KEY_LT: rq->r.has_hi = 1; rq->r.hi_incl = 0; break;
    case DDB_KEY_LE: rq->r.has_hi = 1; rq->r.hi_incl = 1; break;
    case DDB_KEY_GT: rq->r.has_lo = 1; rq->r.lo_incl = 0; break;
    case DDB_KEY_GE: rq->r.has_lo = 1; rq->r.lo_incl = 1; break;
    case DDB_KEY_BETWEEN:
        if (encode_key_value(rq->range, kc.range_v2, &rq->hi, err) != 0) return -1;
        rq->r.has_lo = rq->r.lo_incl = rq->r.has_hi = rq->r.hi_incl = 1;
        break;
    case DDB_KEY_BEGINS_WITH: {
        rq->r.has_lo = rq->r.lo_incl = 1;
        hg_buf_reset(&rq->hi);
        int rc = keycodec_prefix_successor((const unsigned char *)hg_buf_cstr(&rq->lo), rq->lo.len, &rq->hi);
        if (rc < 0) return hg_err_internal(err, "begins_with bound too long");
        if (rc == 0) { rq->r.has_hi = 1; rq->r.hi_incl = 0; }
        break;
    }
    default:
        return hg_err_validation(err, "Query key condition not supported");
    }
    rq->r.lo = blob_of(&rq->lo);
    rq->r.hi = blob_of(&rq->hi);
    return 0;
}

/* A Query filter may not name the key attributes being queried. */
static int check_filter_keys(const read_req *rq, hg_err *err)
{
    if (!rq->filter) return 0;
    const char *keys[2] = { rq->hash->name, rq->range->name };
    for (int i = 0; i < 2; i++)
        if (keys[i] && names_attr(rq->filter, keys[i]))
            return hg_err_validation(err, "Filter Expression can only contain non-primary key attributes: "
                                     "Primary key attribute: %s", keys[i]);
    return 0;
}

/* ---- the page loop ---------------------------------------------------------------------- */

/* What the client sees of one item that passed the filter. New object. */
static cJSON *output_item(const read_req *rq, const cJSON *view)
{
    if (rq->proj) return ddb_expr_project(rq->proj, view);
    if (rq->attrs) {
        cJSON *o = cJSON_CreateObject();
        const cJSON *a;
        cJSON_ArrayForEach(a, rq->attrs) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(view, a->valuestring);
            if (o && v) cJSON_AddItemToObject(o, a->valuestring, cJSON_Duplicate(v, 1));
        }
        return o;
    }
    return cJSON_Duplicate(view, 1);
}

static int read_page(ddb_ctx *ctx, read_req *rq, cJSON *out, hg_err *err)
{
    cJSON *items = rq->sel == SEL_COUNT ? NULL : cJSON_CreateArray();
    cJSON *last = NULL;   /* the last item read, for LastEvaluatedKey */
    int64_t count = 0, scanned = 0;
    size_t bytes = 0;
    bool stopped = false;
    int rc = -1;
    ddb_cursor *cur = NULL;
    if (rq->sel != SEL_COUNT && !items) return hg_err_internal(err, "out of memory");
    if (hg_store_begin_read(ctx->store, err) != 0) goto done;
    if (ddb_store_cursor_open(ctx->store, &rq->r, &cur, err) != 0) goto done;
    for (;;) {
        const char *json;
        size_t len;
        int got = ddb_store_cursor_next(cur, &json, &len, err);
        if (got < 0) goto done;
        if (got == 0) break;
        cJSON *item = cJSON_ParseWithLength(json, len);
        if (!item) { hg_err_internal(err, "stored item is corrupt"); goto done; }
        cJSON_Delete(last);
        last = item;
        cJSON *projected = rq->ix && !rq->fetch ? ddb_index_project(rq->t, rq->ix, item) : NULL;
        const cJSON *view = projected ? projected : item;
        scanned++;
        bytes += ddb_item_size(view);
        bool keep = true;
        if (rq->filter && ddb_expr_eval(rq->filter, view, &keep, err) != 0) { cJSON_Delete(projected); goto done; }
        if (keep) {
            count++;
            if (items) {
                cJSON *o = output_item(rq, view);
                if (!o) { cJSON_Delete(projected); hg_err_internal(err, "out of memory"); goto done; }
                cJSON_AddItemToArray(items, o);
            }
        }
        cJSON_Delete(projected);
        if ((rq->limit && scanned >= rq->limit) || bytes >= PAGE_BYTES) { stopped = true; break; }
    }
    ddb_store_cursor_close(cur);
    cur = NULL;
    if (hg_store_commit(ctx->store, err) != 0) goto done;

    if (items) { cJSON_AddItemToObject(out, "Items", items); items = NULL; }
    cJSON_AddNumberToObject(out, "Count", (double)count);
    cJSON_AddNumberToObject(out, "ScannedCount", (double)scanned);
    if (stopped && last) {
        cJSON *lek = ddb_key_json(rq->t, rq->ix, last);
        if (!lek) { hg_err_internal(err, "out of memory"); goto done; }
        cJSON_AddItemToObject(out, "LastEvaluatedKey", lek);
    }
    if (rq->cap != DDB_CAP_NONE) {
        double units = ddb_read_units(bytes, rq->consistent);
        double *index_units = NULL;
        if (rq->ix) {
            index_units = calloc((size_t)rq->t->nindexes, sizeof *index_units);
            if (!index_units) { hg_err_internal(err, "out of memory"); goto done; }
            index_units[rq->ix - rq->t->indexes] = units;
        }
        cJSON *c = ddb_capacity_json(rq->t, rq->cap, true, rq->ix ? 0 : units, index_units);
        free(index_units);
        if (c) cJSON_AddItemToObject(out, "ConsumedCapacity", c);
    }
    rc = 0;
done:
    ddb_store_cursor_close(cur);
    if (rc != 0) hg_store_rollback(ctx->store);
    cJSON_Delete(last);
    cJSON_Delete(items);
    return rc;
}

/* ---- the operations ------------------------------------------------------------------------ */

int ddb_op_query(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    read_req rq;
    req_init(&rq, true);
    bool forward;
    int rc = -1;
    if (ddb_get_bool(in, "ScanIndexForward", true, &forward, err) != 0) goto done;
    if (parse_common(ctx, in, &rq, err) != 0) goto done;
    rq.r.backward = !forward;
    if (key_range(&rq, err) != 0) goto done;
    if (check_filter_keys(&rq, err) != 0) goto done;
    if (decode_start_key(&rq, err) != 0) goto done;
    rc = read_page(ctx, &rq, out, err);
done:
    req_release(&rq);
    return rc;
}

int ddb_op_scan(ddb_ctx *ctx, cJSON *in, cJSON *out, hg_err *err)
{
    read_req rq;
    req_init(&rq, false);
    int64_t segment, total;
    bool has_segment, has_total;
    int rc = -1;
    if (ddb_get_int(in, "Segment", 0, 999999, 0, &segment, &has_segment, err) != 0) goto done;
    if (ddb_get_int(in, "TotalSegments", 1, 1000000, 1, &total, &has_total, err) != 0) goto done;
    if (has_segment && !has_total) {
        hg_err_validation(err, "The TotalSegments parameter is required but was not present in the request when Segment parameter is present");
        goto done;
    }
    if (has_total && !has_segment) {
        hg_err_validation(err, "The Segment parameter is required but was not present in the request when parameter TotalSegments is present");
        goto done;
    }
    if (has_segment && segment >= total) {
        hg_err_validation(err, "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                          "Segment: %lld is not less than TotalSegments: %lld", (long long)segment, (long long)total);
        goto done;
    }
    if (parse_common(ctx, in, &rq, err) != 0) goto done;
    if (has_total && total > 1) {
        /* Segment s owns the hash band [s*2^32/T, (s+1)*2^32/T - 1]. */
        rq.r.has_hh = 1;
        rq.r.hh_lo = (uint32_t)(((uint64_t)segment << 32) / (uint64_t)total);
        rq.r.hh_hi = (uint32_t)((((uint64_t)segment + 1) << 32) / (uint64_t)total - 1);
    }
    if (decode_start_key(&rq, err) != 0) goto done;
    rc = read_page(ctx, &rq, out, err);
done:
    req_release(&rq);
    return rc;
}
