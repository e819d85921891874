/*
 * expr_update.c — applying an UpdateExpression to an item.
 *
 * AWS evaluates every operand against the item as it was before the update,
 * so the work happens in three steps on a private copy:
 *   1. compute every SET value and every ADD/DELETE result from the original;
 *   2. write them into the copy (list indexes past the end append);
 *   3. REMOVE, highest list index first, so several indexes of one list all
 *      refer to the original positions.
 * Only when every step succeeded does the copy replace the item's contents,
 * so a failed update leaves the item exactly as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"
#include "attr.h"
#include "number.h"

#define MSG_NO_ATTR   "The provided expression refers to an attribute that does not exist in the item"
#define MSG_BAD_TYPE  "An operand in the update expression has an incorrect data type"
#define MSG_BAD_PATH  "The document path provided in the update expression is invalid for update"

/* A new AV {type: payload} that takes payload (caller frees), or NULL with payload freed. */
static cJSON *av_new(const char *type, cJSON *payload)
{
    cJSON *av = cJSON_CreateObject();
    if (!av || !payload || !cJSON_AddItemToObject(av, type, payload)) {
        cJSON_Delete(av);
        cJSON_Delete(payload);
        return NULL;
    }
    return av;
}

static int oom(hg_err *err) { return hg_err_internal(err, "out of memory"); }

/* A deep copy of v (caller frees), or NULL with err set. */
static cJSON *dup_av(const cJSON *v, hg_err *err)
{
    cJSON *r = cJSON_Duplicate(v, 1);
    if (!r)
        oom(err);
    return r;
}

/* a + b or a - b on two N values; a new AV or NULL with err set. */
static cJSON *arith(const cJSON *a, const cJSON *b, bool minus, hg_err *err)
{
    if (ddb_av_type(a) != DDB_T_N || ddb_av_type(b) != DDB_T_N) {
        hg_err_validation(err, MSG_BAD_TYPE);
        return NULL;
    }
    const char *sa = ddb_av_payload(a)->valuestring, *sb = ddb_av_payload(b)->valuestring;
    ddb_num x, y, r;
    char buf[DDB_NUM_TEXT_MAX];
    if (ddb_num_parse(sa, strlen(sa), &x, err) < 0 || ddb_num_parse(sb, strlen(sb), &y, err) < 0)
        return NULL;
    if ((minus ? ddb_num_sub(&x, &y, &r, err) : ddb_num_add(&x, &y, &r, err)) < 0)
        return NULL;
    if (ddb_num_format(&r, buf, sizeof buf) < 0) {
        hg_err_internal(err, "number formatting failed");
        return NULL;
    }
    cJSON *av = av_new("N", cJSON_CreateString(buf));
    if (!av)
        oom(err);
    return av;
}

/* The value of a SET right-hand side against the original item; new AV. */
static cJSON *set_value(const ddb_node *n, const cJSON *orig, hg_err *err)
{
    const cJSON *v;
    cJSON *a, *b, *r;
    switch (n->kind) {
    case DN_VALUE:
    case DN_PATH:
        v = n->kind == DN_VALUE ? n->value : ddb_path_get(orig, &n->path);
        if (!v) {
            hg_err_validation(err, MSG_NO_ATTR);
            return NULL;
        }
        r = cJSON_Duplicate(v, 1);
        if (!r)
            oom(err);
        return r;
    case DN_PLUS:
    case DN_MINUS:
        a = set_value(n->args[0], orig, err);
        b = a ? set_value(n->args[1], orig, err) : NULL;
        r = a && b ? arith(a, b, n->kind == DN_MINUS, err) : NULL;
        cJSON_Delete(a);
        cJSON_Delete(b);
        return r;
    case DN_FUNC:
        if (n->func == DF_IF_NOT_EXISTS) {
            v = ddb_path_get(orig, &n->args[0]->path);
            if (v) {
                r = cJSON_Duplicate(v, 1);
                if (!r)
                    oom(err);
                return r;
            }
            return set_value(n->args[1], orig, err);
        }
        if (n->func == DF_LIST_APPEND) {
            a = set_value(n->args[0], orig, err);
            b = a ? set_value(n->args[1], orig, err) : NULL;
            if (!a || !b) {
                cJSON_Delete(a);
                cJSON_Delete(b);
                return NULL;
            }
            if (ddb_av_type(a) != DDB_T_L || ddb_av_type(b) != DDB_T_L) {
                cJSON_Delete(a);
                cJSON_Delete(b);
                hg_err_validation(err, MSG_BAD_TYPE);
                return NULL;
            }
            cJSON *la = cJSON_GetObjectItemCaseSensitive(a, "L");
            cJSON *lb = cJSON_GetObjectItemCaseSensitive(b, "L");
            while (lb->child) {
                cJSON *c = cJSON_DetachItemViaPointer(lb, lb->child);
                cJSON_AddItemToArray(la, c);
            }
            cJSON_Delete(b);
            return a;
        }
        break;
    default:
        break;
    }
    hg_err_validation(err, MSG_BAD_TYPE);
    return NULL;
}

/* ---- Sets ------------------------------------------------------------------ */

static bool set_has(ddb_type st, const cJSON *arr, const char *elem)
{
    const cJSON *c;
    ddb_type et = st == DDB_T_SS ? DDB_T_S : st == DDB_T_NS ? DDB_T_N : DDB_T_B;
    cJSON *x = av_new(ddb_type_name(et), cJSON_CreateString(elem));
    bool found = false;
    if (!x)
        return false;
    cJSON_ArrayForEach(c, arr) {
        cJSON *y = av_new(ddb_type_name(et), cJSON_CreateString(c->valuestring));
        found = y && ddb_av_equal(x, y);
        cJSON_Delete(y);
        if (found)
            break;
    }
    cJSON_Delete(x);
    return found;
}

static bool is_set(ddb_type t) { return t == DDB_T_SS || t == DDB_T_NS || t == DDB_T_BS; }

/* ADD: number sum or set union; a new AV. cur may be NULL (absent). */
static cJSON *add_value(const cJSON *cur, const cJSON *val, hg_err *err)
{
    ddb_type tv = ddb_av_type(val);
    if (!cur)
        return dup_av(val, err);
    ddb_type tc = ddb_av_type(cur);
    if (tc == DDB_T_N && tv == DDB_T_N)
        return arith(cur, val, false, err);
    if (!is_set(tc) || tc != tv) {
        hg_err_validation(err, MSG_BAD_TYPE);
        return NULL;
    }
    cJSON *r = dup_av(cur, err);
    if (!r)
        return NULL;
    cJSON *arr = (cJSON *)ddb_av_payload(r);
    const cJSON *c;
    cJSON_ArrayForEach(c, ddb_av_payload(val)) {
        if (!set_has(tc, arr, c->valuestring))
            cJSON_AddItemToArray(arr, cJSON_CreateString(c->valuestring));
    }
    return r;
}

/* DELETE: set difference; a new AV, or NULL with *gone when nothing is left
 * (or nothing was there). */
static cJSON *delete_value(const cJSON *cur, const cJSON *val, bool *gone, hg_err *err)
{
    *gone = false;
    if (!cur) {
        *gone = true;
        return NULL;
    }
    ddb_type tc = ddb_av_type(cur);
    if (!is_set(tc) || tc != ddb_av_type(val)) {
        hg_err_validation(err, MSG_BAD_TYPE);
        return NULL;
    }
    cJSON *r = dup_av(cur, err);
    if (!r)
        return NULL;
    cJSON *arr = (cJSON *)ddb_av_payload(r);
    const cJSON *rm = ddb_av_payload(val);
    cJSON *c = arr->child;
    while (c) {
        cJSON *next = c->next;
        if (set_has(tc, rm, c->valuestring))
            cJSON_Delete(cJSON_DetachItemViaPointer(arr, c));
        c = next;
    }
    if (!arr->child) {
        cJSON_Delete(r);
        *gone = true;
        return NULL;
    }
    return r;
}

/* ---- Writing into the copy ---------------------------------------------------- */

/* The container (object of AVs, or L array) holding the last element of p. */
static cJSON *parent_of(cJSON *item, const ddb_path *p, hg_err *err)
{
    cJSON *cur = item;
    for (int i = 0; i < p->n - 1; i++) {
        const ddb_path_elem *e = &p->elems[i];
        cJSON *av = e->name ? cJSON_GetObjectItemCaseSensitive(cur, e->name)
                            : (e->index < (size_t)cJSON_GetArraySize(cur)
                               ? cJSON_GetArrayItem(cur, (int)e->index) : NULL);
        const ddb_path_elem *ne = &p->elems[i + 1];
        ddb_type want = ne->name ? DDB_T_M : DDB_T_L;
        if (!av || ddb_av_type(av) != want) {
            hg_err_validation(err, MSG_BAD_PATH);
            return NULL;
        }
        cur = (cJSON *)ddb_av_payload(av);
    }
    return cur;
}

/* Put v (taken) at p; a list index past the end appends. */
static int put_at(cJSON *item, const ddb_path *p, cJSON *v, hg_err *err)
{
    cJSON *parent = parent_of(item, p, err);
    if (!parent) {
        cJSON_Delete(v);
        return -1;
    }
    const ddb_path_elem *e = &p->elems[p->n - 1];
    if (e->name) {
        if (cJSON_GetObjectItemCaseSensitive(parent, e->name))
            cJSON_ReplaceItemInObjectCaseSensitive(parent, e->name, v);
        else
            cJSON_AddItemToObject(parent, e->name, v);
    } else if (e->index < (size_t)cJSON_GetArraySize(parent)) {
        cJSON_ReplaceItemInArray(parent, (int)e->index, v);
    } else {
        cJSON_AddItemToArray(parent, v);
    }
    return 0;
}

static int remove_at(cJSON *item, const ddb_path *p, hg_err *err)
{
    cJSON *parent = parent_of(item, p, err);
    if (!parent)
        return -1;
    const ddb_path_elem *e = &p->elems[p->n - 1];
    if (e->name)
        cJSON_DeleteItemFromObjectCaseSensitive(parent, e->name);
    else if (e->index < (size_t)cJSON_GetArraySize(parent))
        cJSON_DeleteItemFromArray(parent, (int)e->index);
    return 0;
}

/* REMOVE order: later list positions first, so earlier ones keep meaning
 * what they meant in the original list. */
static int remove_order(const void *x, const void *y)
{
    const ddb_update_action *a = *(const ddb_update_action *const *)x;
    const ddb_update_action *b = *(const ddb_update_action *const *)y;
    const ddb_path_elem *ea = &a->path.elems[a->path.n - 1];
    const ddb_path_elem *eb = &b->path.elems[b->path.n - 1];
    if (!ea->name && !eb->name && ea->index != eb->index)
        return ea->index > eb->index ? -1 : 1;
    return 0;
}

int ddb_expr_apply_update(const ddb_expr *e, cJSON *item, hg_err *err)
{
    if (!e || e->kind != DDB_EXPR_UPDATE)
        return hg_err_internal(err, "ddb_expr_apply_update: not an update expression");

    int n = e->nactions, rc = 0, nremove = 0;
    cJSON **vals = calloc((size_t)n + 1, sizeof *vals);
    bool *drop = calloc((size_t)n + 1, sizeof *drop);
    const ddb_update_action **removes = calloc((size_t)n + 1, sizeof *removes);
    cJSON *work = cJSON_Duplicate(item, 1);
    if (!vals || !drop || !removes || !work) {
        rc = oom(err);
        goto done;
    }

    /* 1. Everything computed from the original item. */
    for (int i = 0; i < n && rc == 0; i++) {
        const ddb_update_action *a = &e->actions[i];
        const cJSON *cur;
        switch (a->clause) {
        case DU_SET:
            vals[i] = set_value(a->value, item, err);
            rc = vals[i] ? 0 : -1;
            break;
        case DU_ADD:
            cur = ddb_path_get(item, &a->path);
            vals[i] = add_value(cur, a->value->value, err);
            rc = vals[i] ? 0 : -1;
            break;
        case DU_DELETE:
            cur = ddb_path_get(item, &a->path);
            vals[i] = delete_value(cur, a->value->value, &drop[i], err);
            rc = vals[i] || drop[i] ? 0 : -1;
            break;
        case DU_REMOVE:
            removes[nremove++] = a;
            break;
        }
    }

    /* 2. Writes. An absent DELETE target stays absent (no parent check). */
    for (int i = 0; i < n && rc == 0; i++) {
        const ddb_update_action *a = &e->actions[i];
        if (a->clause == DU_REMOVE)
            continue;
        if (drop[i]) {
            if (ddb_path_get(work, &a->path))
                rc = remove_at(work, &a->path, err);
            continue;
        }
        rc = put_at(work, &a->path, vals[i], err);
        vals[i] = NULL;         /* taken by put_at */
    }

    /* 3. Removals. */
    if (rc == 0 && nremove > 1)
        qsort(removes, (size_t)nremove, sizeof *removes, remove_order);
    for (int i = 0; i < nremove && rc == 0; i++)
        rc = remove_at(work, &removes[i]->path, err);

    /* Commit: the item takes the copy's members. */
    if (rc == 0) {
        while (item->child)
            cJSON_Delete(cJSON_DetachItemViaPointer(item, item->child));
        while (work->child) {
            cJSON *c = cJSON_DetachItemViaPointer(work, work->child);
            cJSON_AddItemToObject(item, c->string, c);
        }
    }

done:
    for (int i = 0; vals && i < n; i++)
        cJSON_Delete(vals[i]);
    free(vals);
    free(drop);
    free(removes);
    cJSON_Delete(work);
    return rc;
}
