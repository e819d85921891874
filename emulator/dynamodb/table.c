/*
 * table.c — what every DynamoDB op needs of a table: its description, its
 * keys, reading and writing items with their secondary indexes kept in step,
 * and consumed-capacity arithmetic.
 *
 * The stored description is DescribeTable's TableDescription (without the
 * live ItemCount/TableSizeBytes) plus private members whose names start with
 * "_" (e.g. "_iid" on each index, "_ttl", "_tags", "_pitr" on the table):
 * DescribeTable strips them. Invariants:
 *   1. Every index object has a unique "_iid" > 0, never reused in the table.
 *   2. An item is in index I iff it has I's key attributes with their declared
 *      types (sparse indexes); then exactly one ddb_index_items row exists.
 */
#include "ddb.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "keycodec.h"

/* ---- request helpers --------------------------------------------------- */

int ddb_get_string(const cJSON *in, const char *key, const char **out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v))
        return hg_err_set(err, 400, "SerializationException", "%s must be a string", key);
    *out = v->valuestring;
    return 0;
}

int ddb_need_string(const cJSON *in, const char *key, const char **out, hg_err *err)
{
    if (ddb_get_string(in, key, out, err) != 0) return -1;
    if (!*out)
        return hg_err_validation(err, "1 validation error detected: Value null at '%c%s' failed to satisfy constraint: Member must not be null",
                                 key[0] | 0x20, key + 1);
    return 0;
}

int ddb_get_object(const cJSON *in, const char *key, cJSON **out, hg_err *err)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsObject(v))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: %s must be an object", key);
    *out = v;
    return 0;
}

int ddb_get_array(const cJSON *in, const char *key, cJSON **out, hg_err *err)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsArray(v))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: %s must be a list", key);
    *out = v;
    return 0;
}

int ddb_get_bool(const cJSON *in, const char *key, bool dflt, bool *out, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    *out = dflt;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsBool(v))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: %s must be a boolean", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

int ddb_get_int(const cJSON *in, const char *key, int64_t min, int64_t max, int64_t dflt,
                int64_t *out, bool *present, hg_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, key);
    *out = dflt;
    if (present) *present = false;
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
        return hg_err_set(err, 400, "SerializationException", "Unexpected value type in payload: %s must be an integer", key);
    if (v->valuedouble < (double)min || v->valuedouble > (double)max)
        return hg_err_validation(err, "1 validation error detected: Value '%.0f' at '%c%s' failed to satisfy constraint: "
                                 "Member must have value %s %lld",
                                 v->valuedouble, key[0] | 0x20, key + 1,
                                 v->valuedouble < (double)min ? "greater than or equal to" : "less than or equal to",
                                 (long long)(v->valuedouble < (double)min ? min : max));
    *out = (int64_t)v->valuedouble;
    if (present) *present = true;
    return 0;
}

int ddb_check_table_name(const char *name, const char *field, hg_err *err)
{
    size_t n = strlen(name);
    if (n < 3 || n > 255)
        return hg_err_validation(err, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "
                                 "Member must have length %s", name, field,
                                 n < 3 ? "greater than or equal to 3" : "less than or equal to 255");
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return hg_err_validation(err, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: "
                                     "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, field);
    }
    return 0;
}

/* ---- descriptions ------------------------------------------------------ */

static ddb_type key_type(const cJSON *desc, const char *attr)
{
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(desc, "AttributeDefinitions");
    const cJSON *d;
    cJSON_ArrayForEach(d, defs) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(d, "AttributeName");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "AttributeType");
        if (cJSON_IsString(n) && cJSON_IsString(t) && strcmp(n->valuestring, attr) == 0) {
            if (strcmp(t->valuestring, "S") == 0) return DDB_T_S;
            if (strcmp(t->valuestring, "N") == 0) return DDB_T_N;
            if (strcmp(t->valuestring, "B") == 0) return DDB_T_B;
        }
    }
    return DDB_T_INVALID;
}

static void read_key_schema(const cJSON *desc, const cJSON *schema, ddb_keydef *hash, ddb_keydef *range)
{
    const cJSON *k;
    hash->name = range->name = NULL;
    hash->type = range->type = DDB_T_INVALID;
    cJSON_ArrayForEach(k, schema) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(k, "AttributeName");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(k, "KeyType");
        if (!cJSON_IsString(n) || !cJSON_IsString(t)) continue;
        ddb_keydef *kd = strcmp(t->valuestring, "HASH") == 0 ? hash : range;
        kd->name = n->valuestring;
        kd->type = key_type(desc, n->valuestring);
    }
}

static int add_indexes(ddb_table *t, const char *member, bool local, int *cap)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(t->desc, member);
    cJSON *ix;
    cJSON_ArrayForEach(ix, list) {
        if (t->nindexes == *cap) {
            int n = *cap ? *cap * 2 : 4;
            ddb_index *p = realloc(t->indexes, (size_t)n * sizeof *p);
            if (!p) return -1;
            t->indexes = p;
            *cap = n;
        }
        ddb_index *d = &t->indexes[t->nindexes++];
        memset(d, 0, sizeof *d);
        d->desc = ix;
        d->local = local;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(ix, "IndexName");
        d->name = cJSON_IsString(name) ? name->valuestring : "";
        const cJSON *iid = cJSON_GetObjectItemCaseSensitive(ix, "_iid");
        d->iid = cJSON_IsNumber(iid) ? (int64_t)iid->valuedouble : 0;
        read_key_schema(t->desc, cJSON_GetObjectItemCaseSensitive(ix, "KeySchema"), &d->hash, &d->range);
        const cJSON *proj = cJSON_GetObjectItemCaseSensitive(ix, "Projection");
        const cJSON *pt = cJSON_GetObjectItemCaseSensitive(proj, "ProjectionType");
        d->proj = DDB_PROJ_ALL;
        if (cJSON_IsString(pt) && strcmp(pt->valuestring, "KEYS_ONLY") == 0) d->proj = DDB_PROJ_KEYS_ONLY;
        if (cJSON_IsString(pt) && strcmp(pt->valuestring, "INCLUDE") == 0) d->proj = DDB_PROJ_INCLUDE;
        d->nonkey = cJSON_GetObjectItemCaseSensitive(proj, "NonKeyAttributes");
    }
    return 0;
}

int ddb_table_from_desc(cJSON *desc, int64_t tid, ddb_table **out, hg_err *err)
{
    ddb_table *t = calloc(1, sizeof *t);
    if (!t) return hg_err_internal(err, "out of memory");
    t->refs = 1;
    t->tid = tid;
    t->desc = desc;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(desc, "TableName");
    t->name = cJSON_IsString(name) ? name->valuestring : "";
    read_key_schema(desc, cJSON_GetObjectItemCaseSensitive(desc, "KeySchema"), &t->hash, &t->range);
    int cap = 0;
    if (add_indexes(t, "LocalSecondaryIndexes", true, &cap) != 0 ||
        add_indexes(t, "GlobalSecondaryIndexes", false, &cap) != 0) {
        t->desc = NULL;
        ddb_table_free(t);
        return hg_err_internal(err, "out of memory");
    }
    *out = t;
    return 0;
}

void ddb_table_free(ddb_table *t)
{
    if (!t || --t->refs > 0) return;
    free(t->indexes);
    cJSON_Delete(t->desc);
    free(t);
}

/* Accept "name" or "arn:aws:dynamodb:REGION:ACCOUNT:table/name". */
static const char *name_of(const char *name_or_arn)
{
    if (strncmp(name_or_arn, "arn:", 4) != 0) return name_or_arn;
    const char *slash = strstr(name_or_arn, ":table/");
    return slash ? slash + 7 : name_or_arn;
}

/* The per-thread cache of data-plane table views. Invariants:
 *   1. Valid only while gen equals hg_store_schema_gen(); otherwise dropped whole.
 *   2. Each entry holds one reference on its table; callers hold their own.
 *   3. Only the owning thread touches it (pthread key, freed at thread exit). */
#define TABLE_CACHE 32
typedef struct table_cache {
    uint64_t gen;
    int next;                              /* round-robin victim */
    struct { char region[33]; ddb_table *t; } e[TABLE_CACHE];
} table_cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_drop(table_cache *c)
{
    for (int i = 0; i < TABLE_CACHE; i++) {
        ddb_table_free(c->e[i].t);
        c->e[i].t = NULL;
    }
}

static void cache_destroy(void *p)
{
    cache_drop(p);
    free(p);
}

static void cache_key_init(void) { pthread_key_create(&cache_key, cache_destroy); }

static table_cache *thread_cache(void)
{
    pthread_once(&cache_once, cache_key_init);
    table_cache *c = pthread_getspecific(cache_key);
    if (!c && (c = calloc(1, sizeof *c)) != NULL) pthread_setspecific(cache_key, c);
    if (c && c->gen != hg_store_schema_gen()) {
        cache_drop(c);
        c->gen = hg_store_schema_gen();
    }
    return c;
}

static ddb_table *cache_find(table_cache *c, const char *region, const char *name)
{
    for (int i = 0; c && i < TABLE_CACHE; i++)
        if (c->e[i].t && strcmp(c->e[i].t->name, name) == 0 && strcmp(c->e[i].region, region) == 0)
            return c->e[i].t;
    return NULL;
}

static void cache_put(table_cache *c, uint64_t gen, const char *region, ddb_table *t)
{
    /* a definition read under an older generation may already be stale */
    if (!c || gen != c->gen) return;
    int i = c->next;
    c->next = (c->next + 1) % TABLE_CACHE;
    ddb_table_free(c->e[i].t);
    snprintf(c->e[i].region, sizeof c->e[i].region, "%s", region);
    c->e[i].t = t;
    t->refs++;
    t->shared = true;
}

int ddb_table_open(ddb_ctx *ctx, const char *name, bool data_plane, ddb_table **out, hg_err *err)
{
    const char *plain = name_of(name);
    table_cache *cache = data_plane ? thread_cache() : NULL;
    uint64_t gen = cache ? cache->gen : 0;
    ddb_table *hit = cache_find(cache, ctx->region, plain);
    if (hit) {
        hit->refs++;
        *out = hit;
        return 0;
    }
    int64_t tid;
    char *text = NULL;
    int rc = ddb_store_table_find(ctx->store, ctx->region, plain, &tid, &text, err);
    if (rc < 0) return -1;
    if (rc == 1) {
        if (data_plane) return ddb_err_not_found(err, "Requested resource not found");
        return ddb_err_not_found(err, "Requested resource not found: Table: %s not found", plain);
    }
    cJSON *desc = cJSON_Parse(text);
    free(text);
    if (!desc) return hg_err_internal(err, "stored description of table %s is corrupt", plain);
    if (ddb_table_from_desc(desc, tid, out, err) != 0) { cJSON_Delete(desc); return -1; }
    cache_put(cache, gen, ctx->region, *out);
    return 0;
}

int ddb_table_save(ddb_ctx *ctx, ddb_table *t, hg_err *err)
{
    if (t->shared) return hg_err_internal(err, "table %s was opened read-only", t->name);
    char *text = cJSON_PrintUnformatted(t->desc);
    if (!text) return hg_err_internal(err, "out of memory");
    int rc = ddb_store_table_save(ctx->store, t->tid, text, err);
    cJSON_free(text);
    if (rc != 0) return -1;
    /* rebuild the view: index pointers borrow from desc, which may have changed shape */
    cJSON *desc = t->desc;
    ddb_table *fresh;
    if (ddb_table_from_desc(desc, t->tid, &fresh, err) != 0) return -1;
    free(t->indexes);
    fresh->refs = t->refs;
    *t = *fresh;
    free(fresh);
    return 0;
}

const ddb_index *ddb_table_index(const ddb_table *t, const char *name)
{
    for (int i = 0; i < t->nindexes; i++)
        if (strcmp(t->indexes[i].name, name) == 0) return &t->indexes[i];
    return NULL;
}

bool ddb_is_table_key(const ddb_table *t, const char *attr)
{
    return (t->hash.name && strcmp(t->hash.name, attr) == 0) ||
           (t->range.name && strcmp(t->range.name, attr) == 0);
}

/* ---- keys ---------------------------------------------------------------- */

void ddb_key_init(ddb_key *k)
{
    hg_buf_init(&k->hk, DDB_MAX_HASH_KEY + 64);
    hg_buf_init(&k->rk, DDB_MAX_RANGE_KEY + 64);
    k->hh = 0;
}

void ddb_key_release(ddb_key *k)
{
    hg_buf_release(&k->hk);
    hg_buf_release(&k->rk);
}

bool ddb_key_same_partition(const ddb_key *a, const ddb_key *b)
{
    return a->hk.len == b->hk.len && memcmp(hg_buf_cstr(&a->hk), hg_buf_cstr(&b->hk), a->hk.len) == 0;
}

bool ddb_key_equal(const ddb_key *a, const ddb_key *b)
{
    return ddb_key_same_partition(a, b) && a->rk.len == b->rk.len &&
           memcmp(hg_buf_cstr(&a->rk), hg_buf_cstr(&b->rk), a->rk.len) == 0;
}

/* Encode one key attribute of obj; `from_item` selects the item wording. */
static int encode_key_attr(const ddb_keydef *kd, const cJSON *obj, bool from_item, size_t max,
                           hg_buf *out, hg_err *err)
{
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(obj, kd->name);
    if (!av) {
        if (from_item)
            return hg_err_validation(err, "One or more parameter values were invalid: Missing the key %s in the item", kd->name);
        return hg_err_validation(err, "The provided key element does not match the schema");
    }
    ddb_type t = ddb_av_type(av);
    if (t != kd->type) {
        if (from_item)
            return hg_err_validation(err, "One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s",
                                     kd->name, ddb_type_name(kd->type), ddb_type_name(t));
        return hg_err_validation(err, "The provided key element does not match the schema");
    }
    const cJSON *p = ddb_av_payload(av);
    if (cJSON_IsString(p) && p->valuestring[0] == '\0')
        return hg_err_validation(err, "One or more parameter values are not valid. The AttributeValue for a key attribute "
                                 "cannot contain an empty %s value. Key: %s",
                                 t == DDB_T_B ? "binary" : "string", kd->name);
    hg_buf_reset(out);
    if (keycodec_encode(av, out, err) != 0) return -1;
    if (t != DDB_T_N && out->len > max)
        return hg_err_validation(err, "One or more parameter values were invalid: Size of %s key exceeded the maximum allowed size of %zu bytes",
                                 max == DDB_MAX_HASH_KEY ? "hashkey" : "rangekey", max);
    return 0;
}

static int key_from(const ddb_table *t, const cJSON *obj, bool from_item, ddb_key *out, hg_err *err)
{
    if (!cJSON_IsObject(obj)) return hg_err_validation(err, "The provided key element does not match the schema");
    if (encode_key_attr(&t->hash, obj, from_item, DDB_MAX_HASH_KEY, &out->hk, err) != 0) return -1;
    hg_buf_reset(&out->rk);
    if (t->range.name && encode_key_attr(&t->range, obj, from_item, DDB_MAX_RANGE_KEY, &out->rk, err) != 0) return -1;
    out->hh = keycodec_hash((const unsigned char *)hg_buf_cstr(&out->hk), out->hk.len);
    return 0;
}

int ddb_key_from_keyparam(const ddb_table *t, const cJSON *key, ddb_key *out, hg_err *err)
{
    if (key && cJSON_GetArraySize(key) != (t->range.name ? 2 : 1))
        return hg_err_validation(err, "The provided key element does not match the schema");
    return key_from(t, key, false, out, err);
}

int ddb_key_from_item(const ddb_table *t, const cJSON *item, ddb_key *out, hg_err *err)
{
    return key_from(t, item, true, out, err);
}

static void copy_attr(cJSON *dst, const cJSON *src, const char *name)
{
    if (!name || cJSON_GetObjectItemCaseSensitive(dst, name)) return;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, name);
    if (v) cJSON_AddItemToObject(dst, name, cJSON_Duplicate(v, 1));
}

cJSON *ddb_key_json(const ddb_table *t, const ddb_index *idx, const cJSON *item)
{
    cJSON *k = cJSON_CreateObject();
    if (!k) return NULL;
    copy_attr(k, item, t->hash.name);
    copy_attr(k, item, t->range.name);
    if (idx) {
        copy_attr(k, item, idx->hash.name);
        copy_attr(k, item, idx->range.name);
    }
    return k;
}

int ddb_index_key(const ddb_index *ix, const cJSON *item, hg_buf *ihk, hg_buf *irk, uint32_t *ihh, hg_err *err)
{
    const ddb_keydef *kds[2] = { &ix->hash, &ix->range };
    hg_buf *outs[2] = { ihk, irk };
    hg_buf_reset(irk);
    for (int i = 0; i < 2; i++) {
        if (!kds[i]->name) continue;
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(item, kds[i]->name);
        if (!av || ddb_av_type(av) != kds[i]->type) return 1;      /* sparse */
        hg_buf_reset(outs[i]);
        if (keycodec_encode(av, outs[i], err) != 0) return -1;
    }
    *ihh = keycodec_hash((const unsigned char *)hg_buf_cstr(ihk), ihk->len);
    return 0;
}

/* ---- items ----------------------------------------------------------------- */

int ddb_item_read(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, cJSON **item, hg_err *err)
{
    char *json = NULL;
    *item = NULL;
    int rc = ddb_store_item_get(ctx->store, t->tid, ddb_key_hk(key), ddb_key_rk(key), &json, err);
    if (rc != 0) return rc < 0 ? -1 : 0;
    *item = cJSON_Parse(json);
    free(json);
    if (!*item) return hg_err_internal(err, "stored item is corrupt");
    return 0;
}

int ddb_item_read_text(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, char **text, hg_err *err)
{
    *text = NULL;
    int rc = ddb_store_item_get(ctx->store, t->tid, ddb_key_hk(key), ddb_key_rk(key), text, err);
    return rc < 0 ? -1 : 0;
}

int ddb_item_insert(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, const cJSON *new_item, size_t size,
                    hg_err *err)
{
    if (t->nindexes) return hg_err_internal(err, "ddb_item_insert: table %s has indexes", t->name);
    char *json = ddb_item_print(new_item);
    if (!json) return hg_err_internal(err, "out of memory");
    int rc = ddb_store_item_insert(ctx->store, t->tid, ddb_key_hk(key), ddb_key_rk(key), key->hh, json, size, err);
    free(json);
    return rc;
}

int ddb_item_write(ddb_ctx *ctx, const ddb_table *t, const ddb_key *key, const cJSON *old_item,
                   const cJSON *new_item, size_t new_size, double *index_units, hg_err *err)
{
    ddb_blob hk = ddb_key_hk(key), rk = ddb_key_rk(key);
    if (old_item && t->nindexes && ddb_store_index_delete_item(ctx->store, t->tid, hk, rk, err) != 0) return -1;
    if (!new_item) {
        if (index_units) {
            hg_buf a, b; uint32_t h;
            hg_buf_init(&a, 0); hg_buf_init(&b, 0);
            for (int i = 0; old_item && i < t->nindexes; i++)
                if (ddb_index_key(&t->indexes[i], old_item, &a, &b, &h, NULL) == 0)
                    index_units[i] += ddb_write_units(ddb_item_size(old_item));
            hg_buf_release(&a); hg_buf_release(&b);
        }
        return ddb_store_item_delete(ctx->store, t->tid, hk, rk, err);
    }
    char *json = ddb_item_print(new_item);
    if (!json) return hg_err_internal(err, "out of memory");
    int rc = ddb_store_item_put(ctx->store, t->tid, hk, rk, key->hh, json, new_size, err);
    free(json);
    if (rc != 0) return -1;
    if (!t->nindexes) return 0;
    hg_buf ihk, irk;
    hg_buf_init(&ihk, 0);
    hg_buf_init(&irk, 0);
    for (int i = 0; i < t->nindexes && rc == 0; i++) {
        uint32_t ihh;
        int in = ddb_index_key(&t->indexes[i], new_item, &ihk, &irk, &ihh, err);
        if (in < 0) { rc = -1; break; }
        if (in == 0)
            rc = ddb_store_index_put(ctx->store, t->tid, t->indexes[i].iid,
                                     (ddb_blob){ (const unsigned char *)hg_buf_cstr(&ihk), ihk.len },
                                     (ddb_blob){ (const unsigned char *)hg_buf_cstr(&irk), irk.len }, ihh, hk, rk, err);
        if (index_units) {
            int was = old_item ? ddb_index_key(&t->indexes[i], old_item, &ihk, &irk, &ihh, NULL) == 0 : 0;
            /* entering or updated in the index: the new item's size; leaving it: the old one's */
            if (in == 0) index_units[i] += ddb_write_units(new_size);
            else if (was) index_units[i] += ddb_write_units(ddb_item_size(old_item));
        }
    }
    hg_buf_release(&ihk);
    hg_buf_release(&irk);
    return rc;
}

cJSON *ddb_index_project(const ddb_table *t, const ddb_index *ix, const cJSON *item)
{
    if (ix->proj == DDB_PROJ_ALL) return cJSON_Duplicate(item, 1);
    cJSON *out = ddb_key_json(t, ix, item);
    if (out && ix->proj == DDB_PROJ_INCLUDE) {
        const cJSON *n;
        cJSON_ArrayForEach(n, ix->nonkey)
            if (cJSON_IsString(n)) copy_attr(out, item, n->valuestring);
    }
    return out;
}

/* ---- consumed capacity ------------------------------------------------------ */

int ddb_cap_mode_parse(const cJSON *in, ddb_cap_mode *mode, hg_err *err)
{
    const char *s;
    *mode = DDB_CAP_NONE;
    if (ddb_get_string(in, "ReturnConsumedCapacity", &s, err) != 0) return -1;
    if (!s || strcmp(s, "NONE") == 0) return 0;
    if (strcmp(s, "TOTAL") == 0) { *mode = DDB_CAP_TOTAL; return 0; }
    if (strcmp(s, "INDEXES") == 0) { *mode = DDB_CAP_INDEXES; return 0; }
    return hg_err_validation(err, "1 validation error detected: Value '%s' at 'returnConsumedCapacity' failed to satisfy "
                             "constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]", s);
}

/* ---- item collection metrics ------------------------------------------------ */

int ddb_metrics_mode_parse(const cJSON *in, bool *size, hg_err *err)
{
    const char *s;
    *size = false;
    if (ddb_get_string(in, "ReturnItemCollectionMetrics", &s, err) != 0) return -1;
    if (!s || strcmp(s, "NONE") == 0) return 0;
    if (strcmp(s, "SIZE") == 0) { *size = true; return 0; }
    return hg_err_validation(err, "1 validation error detected: Value '%s' at 'returnItemCollectionMetrics' failed to "
                             "satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]", s);
}

bool ddb_table_has_lsi(const ddb_table *t)
{
    for (int i = 0; i < t->nindexes; i++)
        if (t->indexes[i].local) return true;
    return false;
}

cJSON *ddb_collection_metrics_json(const ddb_table *t, const cJSON *keyed)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *ck = cJSON_AddObjectToObject(m, "ItemCollectionKey");
    const cJSON *hv = cJSON_GetObjectItemCaseSensitive(keyed, t->hash.name);
    if (hv) cJSON_AddItemToObject(ck, t->hash.name, cJSON_Duplicate(hv, 1));
    cJSON *range = cJSON_AddArrayToObject(m, "SizeEstimateRangeGB");
    cJSON_AddItemToArray(range, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(range, cJSON_CreateNumber(1));
    return m;
}

double ddb_read_units(size_t bytes, bool consistent)
{
    double u = bytes == 0 ? 1 : ceil((double)bytes / 4096.0);
    return consistent ? u : u / 2;
}

double ddb_write_units(size_t bytes)
{
    return bytes == 0 ? 1 : ceil((double)bytes / 1024.0);
}

cJSON *ddb_capacity_json(const ddb_table *t, ddb_cap_mode mode, bool read, double table_units,
                         const double *index_units)
{
    if (mode == DDB_CAP_NONE) return NULL;
    double total = table_units;
    for (int i = 0; index_units && i < t->nindexes; i++) total += index_units[i];
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "TableName", t->name);
    cJSON_AddNumberToObject(c, "CapacityUnits", total);
    cJSON_AddNumberToObject(c, read ? "ReadCapacityUnits" : "WriteCapacityUnits", total);
    if (mode == DDB_CAP_INDEXES) {
        cJSON *tab = cJSON_AddObjectToObject(c, "Table");
        cJSON_AddNumberToObject(tab, "CapacityUnits", table_units);
        cJSON_AddNumberToObject(tab, read ? "ReadCapacityUnits" : "WriteCapacityUnits", table_units);
        cJSON *gsi = NULL, *lsi = NULL;
        for (int i = 0; index_units && i < t->nindexes; i++) {
            if (index_units[i] == 0) continue;
            cJSON **grp = t->indexes[i].local ? &lsi : &gsi;
            if (!*grp) *grp = cJSON_AddObjectToObject(c, t->indexes[i].local ? "LocalSecondaryIndexes" : "GlobalSecondaryIndexes");
            cJSON *o = cJSON_AddObjectToObject(*grp, t->indexes[i].name);
            cJSON_AddNumberToObject(o, "CapacityUnits", index_units[i]);
            cJSON_AddNumberToObject(o, read ? "ReadCapacityUnits" : "WriteCapacityUnits", index_units[i]);
        }
    }
    return c;
}
