/*
 * hg_json.c — see hg_json.h.
 */
#include "hg_json.h"

const char *hg_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void hg_json_set(cJSON *o, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else
        cJSON_AddItemToObject(o, key, v);
}

cJSON *hg_json_parse_body(const char *body, size_t len)
{
    if (len == 0) return cJSON_CreateObject();
    /* len + 1 takes the NUL in, so require_null_terminated rejects any
     * byte after the value */
    return cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1);
}

/* ---- hg_jw ----------------------------------------------------------------- */

void hg_jw_cjson(hg_jw *w, const char *key, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        w->ops->string(w, key, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        w->ops->number(w, key, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        w->ops->boolean(w, key, cJSON_IsTrue(v));
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        bool array = cJSON_IsArray(v);
        w->ops->open(w, key, array, cJSON_GetArraySize(v));
        for (const cJSON *c = v->child; c; c = c->next) hg_jw_cjson(w, array ? NULL : c->string, c);
        w->ops->close(w);
    } else {
        w->ops->null(w, key);               /* null, and raw text this writer cannot vouch for */
    }
}

/* The tree writer: containers still open are open[0..depth); after a
 * failure it only keeps count of nesting, so close stays balanced. */
typedef struct tree_jw {
    hg_jw w;
    cJSON *root;
    cJSON *open[HG_JW_MAX_DEPTH];
    int depth, lost_depth;
    bool failed;
} tree_jw;

/* Attach v (NULL: it could not be made) where the writer stands. */
static bool tree_attach(tree_jw *t, const char *key, cJSON *v)
{
    bool ok = v && !t->failed;
    if (ok && t->depth == 0) {
        ok = !t->root;                      /* one value only */
        if (ok) t->root = v;
    } else if (ok) {
        cJSON *parent = t->open[t->depth - 1];
        ok = cJSON_IsArray(parent) ? !key && cJSON_AddItemToArray(parent, v)
                                   : key && cJSON_AddItemToObject(parent, key, v);
    }
    if (!ok) {
        cJSON_Delete(v);
        t->failed = true;
    }
    return ok;
}

static void tree_open(hg_jw *w, const char *key, bool array, int size_hint)
{
    (void)size_hint;
    tree_jw *t = (tree_jw *)w;
    if (t->failed || t->depth == HG_JW_MAX_DEPTH) {
        t->failed = true;
        t->lost_depth++;
        return;
    }
    cJSON *c = array ? cJSON_CreateArray() : cJSON_CreateObject();
    if (tree_attach(t, key, c)) t->open[t->depth++] = c;
    else t->lost_depth++;
}

static void tree_close(hg_jw *w)
{
    tree_jw *t = (tree_jw *)w;
    if (t->lost_depth) t->lost_depth--;
    else if (t->depth) t->depth--;
    else t->failed = true;                  /* a close without its open */
}

static void tree_string(hg_jw *w, const char *key, const char *s) { tree_attach((tree_jw *)w, key, cJSON_CreateString(s)); }
static void tree_number(hg_jw *w, const char *key, double v) { tree_attach((tree_jw *)w, key, cJSON_CreateNumber(v)); }
static void tree_boolean(hg_jw *w, const char *key, bool v) { tree_attach((tree_jw *)w, key, cJSON_CreateBool(v)); }
static void tree_null(hg_jw *w, const char *key) { tree_attach((tree_jw *)w, key, cJSON_CreateNull()); }

static const hg_jw_ops tree_ops = { tree_open, tree_close, tree_string, tree_number, tree_boolean, tree_null };

cJSON *hg_jw_build_tree(const hg_jw_source *src)
{
    tree_jw t = { .w = { &tree_ops } };
    src->write(&t.w, src->ctx);
    if (t.failed || t.depth || t.lost_depth || !t.root) {
        cJSON_Delete(t.root);
        return NULL;
    }
    return t.root;
}
