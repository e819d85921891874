/*
 * diff.c — the differ: old inputs against new inputs, property by property.
 *
 * Pure (no I/O, no provider calls) so it can be tested alone. Rules, in the
 * order they apply:
 *   1. ignoreChanges paths take their old value back into the new inputs
 *      (or are removed when the old inputs had none), so they never diff;
 *   2. a top-level property differs when its values are not deeply equal; a
 *      value holding an unknown always differs (it may change at apply);
 *   3. a difference forces replacement when the property is PROP_REPLACE, or
 *      when a replaceOnChanges path ("*" for any) sees a different value.
 */
#include "eng_internal.h"

#include <stdlib.h>
#include <string.h>

const char *eng_op_name(eng_op op)
{
    switch (op) {
    case OP_SAME: return "same";
    case OP_CREATE: return "create";
    case OP_UPDATE: return "update";
    case OP_REPLACE: return "replace";
    case OP_DELETE: return "delete";
    case OP_READ: return "read";
    }
    return "?";
}

bool eng_value_equal(const cJSON *a, const cJSON *b)
{
    if (!a || !b) return a == b;
    if (prog_has_unknown(a) || prog_has_unknown(b)) return false;
    return cJSON_Compare(a, b, 1);
}

const prov_prop *eng_prop_find(const prov_prop *props, const char *name)
{
    for (const prov_prop *p = props; p && p->name; p++)
        if (!strcmp(p->name, name)) return p;
    return NULL;
}

/* ---- property paths: a.b[0]["c.d"] ------------------------------------------------- */

typedef struct seg { char key[256]; int index; bool is_index; } seg;

/* Split a path into segments; -1 when malformed. */
static int path_split(const char *path, seg *segs, int max)
{
    int n = 0;
    const char *p = path;
    while (*p) {
        if (n == max) return -1;
        seg *s = &segs[n];
        memset(s, 0, sizeof *s);
        if (*p == '.') { p++; continue; }
        if (*p == '[') {
            p++;
            if (*p == '"') {
                const char *q = strchr(p + 1, '"');
                if (!q || q[1] != ']' || (size_t)(q - p - 1) >= sizeof s->key) return -1;
                memcpy(s->key, p + 1, (size_t)(q - p - 1));
                p = q + 2;
            } else {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || *end != ']' || v < 0 || v > 1000000) return -1;
                s->is_index = true; s->index = (int)v;
                p = end + 1;
            }
        } else {
            size_t k = strcspn(p, ".[");
            if (k == 0 || k >= sizeof s->key) return -1;
            memcpy(s->key, p, k);
            p += k;
        }
        n++;
    }
    return n;
}

static cJSON *seg_child(const cJSON *v, const seg *s)
{
    if (s->is_index) return cJSON_IsArray(v) ? cJSON_GetArrayItem(v, s->index) : NULL;
    return cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, s->key) : NULL;
}

const cJSON *eng_path_get(const cJSON *v, const char *path)
{
    seg segs[16];
    int n = path_split(path, segs, 16);
    if (n <= 0) return NULL;
    for (int i = 0; i < n && v; i++) v = seg_child(v, &segs[i]);
    return v;
}

/* Put old's value at path back into news (removing it when old has none). */
static void path_restore(const cJSON *olds, cJSON *news, const char *path)
{
    seg segs[16];
    int n = path_split(path, segs, 16);
    if (n <= 0) return;
    cJSON *parent = news;
    for (int i = 0; i < n - 1 && parent; i++) parent = seg_child(parent, &segs[i]);
    if (!parent) return;   /* the new inputs have no container there: nothing to ignore */
    const cJSON *oldv = eng_path_get(olds, path);
    const seg *last = &segs[n - 1];
    if (last->is_index) {
        if (!cJSON_IsArray(parent) || last->index >= cJSON_GetArraySize(parent)) return;
        if (oldv) cJSON_ReplaceItemInArray(parent, last->index, cJSON_Duplicate(oldv, 1));
        else cJSON_DeleteItemFromArray(parent, last->index);
    } else if (cJSON_IsObject(parent)) {
        cJSON_DeleteItemFromObjectCaseSensitive(parent, last->key);
        if (oldv) cJSON_AddItemToObject(parent, last->key, cJSON_Duplicate(oldv, 1));
    }
}

static void add_unique(cJSON **arr, const char *s)
{
    if (!*arr) *arr = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, *arr)
        if (!strcmp(e->valuestring, s)) return;
    cJSON_AddItemToArray(*arr, cJSON_CreateString(s));
}

static void note_change(eng_diff *d, const prov_prop *props, const char *key)
{
    add_unique(&d->changed, key);
    const prov_prop *pp = eng_prop_find(props, key);
    if (pp && (pp->flags & PROP_REPLACE)) add_unique(&d->replace_by, key);
}

int eng_diff_compute(const cJSON *olds, cJSON *news, const prov_prop *props,
                     char *const *ignore, int nignore, char *const *replace_on, int nreplace_on,
                     eng_diff *d, hg_err *err)
{
    memset(d, 0, sizeof *d);
    if (!cJSON_IsObject(news)) return hg_err_validation(err, "resource inputs must be an object");
    if (!olds) { d->op = OP_CREATE; return 0; }
    for (int i = 0; i < nignore; i++) {
        if (!strcmp(ignore[i], "*")) {   /* ignore everything: keep the old inputs whole */
            cJSON *c = news->child;
            while (c) { cJSON *nx = c->next; cJSON_DeleteItemFromObjectCaseSensitive(news, c->string); c = nx; }
            const cJSON *o;
            cJSON_ArrayForEach(o, olds) cJSON_AddItemToObject(news, o->string, cJSON_Duplicate(o, 1));
            continue;
        }
        path_restore(olds, news, ignore[i]);
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, news)
        if (!eng_value_equal(cJSON_GetObjectItemCaseSensitive(olds, v->string), v))
            note_change(d, props, v->string);
    cJSON_ArrayForEach(v, olds)
        if (!cJSON_GetObjectItemCaseSensitive(news, v->string)) note_change(d, props, v->string);
    for (int i = 0; i < nreplace_on && d->changed; i++) {
        if (!strcmp(replace_on[i], "*")) {
            cJSON_ArrayForEach(v, d->changed) add_unique(&d->replace_by, v->valuestring);
            continue;
        }
        if (!eng_value_equal(eng_path_get(olds, replace_on[i]), eng_path_get(news, replace_on[i])) &&
            (eng_path_get(olds, replace_on[i]) || eng_path_get(news, replace_on[i])))
            add_unique(&d->replace_by, replace_on[i]);
    }
    d->op = d->replace_by ? OP_REPLACE : d->changed ? OP_UPDATE : OP_SAME;
    return 0;
}

void eng_diff_release(eng_diff *d)
{
    if (!d) return;
    cJSON_Delete(d->changed);
    cJSON_Delete(d->replace_by);
    d->changed = d->replace_by = NULL;
}
