/*
 * expr_eval.c — evaluating conditions and filters against an item, building
 * projections, and reading the shape of a key condition.
 *
 * DynamoDB's rule for conditions is that a comparison whose operands are
 * absent or of different types is simply false (only `<>` is true then),
 * never an error; functions that do not apply to a type are false too. The
 * parser has already rejected everything AWS rejects up front, so evaluation
 * cannot fail except for memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"
#include "attr.h"
#include "number.h"

/* ---- Paths ------------------------------------------------------------------ */

const cJSON *ddb_path_get(const cJSON *item, const ddb_path *p)
{
    if (!item || p->n == 0 || !p->elems[0].name)
        return NULL;
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(item, p->elems[0].name);
    for (int i = 1; av && i < p->n; i++) {
        const ddb_path_elem *e = &p->elems[i];
        ddb_type t = ddb_av_type(av);
        if (e->name) {
            av = t == DDB_T_M ? cJSON_GetObjectItemCaseSensitive(ddb_av_payload(av), e->name) : NULL;
        } else {
            const cJSON *arr = t == DDB_T_L ? ddb_av_payload(av) : NULL;
            av = arr && e->index < (size_t)cJSON_GetArraySize(arr)
                 ? cJSON_GetArrayItem(arr, (int)e->index) : NULL;
        }
    }
    return av;
}

/* ---- Operands ------------------------------------------------------------------ */

/* size(): S by UTF-8 bytes, B by decoded bytes, sets/lists/maps by count;
 * other types have no size (the comparison using it is false). */
static cJSON *size_of(const cJSON *av)
{
    const cJSON *pl = ddb_av_payload(av);
    size_t n;
    switch (ddb_av_type(av)) {
    case DDB_T_S:
        n = strlen(pl->valuestring);   /* DynamoDB measures strings in UTF-8 bytes */
        break;
    case DDB_T_B: {
        unsigned char *b = ddb_b64_decode(pl->valuestring, &n);
        if (!b)
            return NULL;
        free(b);
        break;
    }
    case DDB_T_SS: case DDB_T_NS: case DDB_T_BS: case DDB_T_L: case DDB_T_M:
        n = (size_t)cJSON_GetArraySize(pl);
        break;
    default:
        return NULL;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%zu", n);
    cJSON *r = cJSON_CreateObject();
    if (r && !cJSON_AddStringToObject(r, "N", buf)) {
        cJSON_Delete(r);
        r = NULL;
    }
    return r;
}

const cJSON *ddb_operand(const ddb_node *n, const cJSON *item, cJSON **tmp)
{
    *tmp = NULL;
    switch (n->kind) {
    case DN_VALUE:
        return n->value;
    case DN_PATH:
        return ddb_path_get(item, &n->path);
    case DN_FUNC:
        if (n->func == DF_SIZE) {
            const cJSON *av = ddb_operand(n->args[0], item, tmp);
            cJSON *inner = *tmp;
            *tmp = av ? size_of(av) : NULL;
            cJSON_Delete(inner);
            return *tmp;
        }
        return NULL;
    default:
        return NULL;
    }
}

/* ---- Functions -------------------------------------------------------------------- */

static bool bytes_of(const cJSON *av, unsigned char **buf, size_t *len)
{
    const cJSON *pl = ddb_av_payload(av);
    if (ddb_av_type(av) == DDB_T_S) {
        *len = strlen(pl->valuestring);
        *buf = (unsigned char *)strdup(pl->valuestring);
    } else {
        *buf = ddb_b64_decode(pl->valuestring, len);
    }
    return *buf != NULL;
}

typedef bool (*bytes_test)(const unsigned char *x, size_t nx, const unsigned char *y, size_t ny);

/* test on the bytes of a and b; false when either cannot be had. */
static bool test_bytes(const cJSON *a, const cJSON *b, bytes_test test)
{
    unsigned char *x, *y;
    size_t nx, ny;
    bool r = false;
    if (bytes_of(a, &x, &nx)) {
        if (bytes_of(b, &y, &ny)) {
            r = test(x, nx, y, ny);
            free(y);
        }
        free(x);
    }
    return r;
}

static bool is_prefix(const unsigned char *x, size_t nx, const unsigned char *y, size_t ny)
{
    return ny <= nx && memcmp(x, y, ny) == 0;
}

static bool is_infix(const unsigned char *x, size_t nx, const unsigned char *y, size_t ny)
{
    return ny == 0 || (ny <= nx && memmem(x, nx, y, ny) != NULL);
}

static bool begins_with(const cJSON *a, const cJSON *b)
{
    ddb_type ta = ddb_av_type(a), tb = ddb_av_type(b);
    if (ta != tb || (ta != DDB_T_S && ta != DDB_T_B))
        return false;
    return test_bytes(a, b, is_prefix);
}

/* Does set element text `elem` (of a set of type st) equal scalar av? */
static bool set_elem_equal(ddb_type st, const char *elem, const cJSON *av)
{
    ddb_type want = st == DDB_T_SS ? DDB_T_S : st == DDB_T_NS ? DDB_T_N : DDB_T_B;
    if (ddb_av_type(av) != want)
        return false;
    cJSON *tmp = cJSON_CreateObject();
    if (!tmp || !cJSON_AddStringToObject(tmp, ddb_type_name(want), elem)) {
        cJSON_Delete(tmp);
        return false;
    }
    bool eq = ddb_av_equal(tmp, av);
    cJSON_Delete(tmp);
    return eq;
}

static bool contains(const cJSON *a, const cJSON *b)
{
    ddb_type ta = ddb_av_type(a);
    const cJSON *pl = ddb_av_payload(a), *c;
    switch (ta) {
    case DDB_T_S:
        if (ddb_av_type(b) != DDB_T_S)
            return false;
        return strstr(pl->valuestring, ddb_av_payload(b)->valuestring) != NULL;
    case DDB_T_B:
        if (ddb_av_type(b) != DDB_T_B)
            return false;
        return test_bytes(a, b, is_infix);
    case DDB_T_SS: case DDB_T_NS: case DDB_T_BS:
        cJSON_ArrayForEach(c, pl)
            if (cJSON_IsString(c) && set_elem_equal(ta, c->valuestring, b))
                return true;
        return false;
    case DDB_T_L:
        cJSON_ArrayForEach(c, pl)
            if (ddb_av_equal(c, b))
                return true;
        return false;
    default:
        return false;
    }
}

/* ---- Conditions ---------------------------------------------------------------------- */

static bool compare(ddb_tok_type op, const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return op == TK_NE;
    if (op == TK_EQ)
        return ddb_av_equal(a, b);
    if (op == TK_NE)
        return !ddb_av_equal(a, b);
    int c;
    if (ddb_av_compare(a, b, &c) < 0)
        return false;
    switch (op) {
    case TK_LT: return c < 0;
    case TK_LE: return c <= 0;
    case TK_GT: return c > 0;
    case TK_GE: return c >= 0;
    default:    return false;
    }
}

static bool eval_node(const ddb_node *n, const cJSON *item)
{
    cJSON *t1 = NULL, *t2 = NULL, *t3 = NULL;
    const cJSON *a, *b, *c;
    bool r = false;

    switch (n->kind) {
    case DN_AND:
        return eval_node(n->args[0], item) && eval_node(n->args[1], item);
    case DN_OR:
        return eval_node(n->args[0], item) || eval_node(n->args[1], item);
    case DN_NOT:
        return !eval_node(n->args[0], item);
    case DN_CMP:
        a = ddb_operand(n->args[0], item, &t1);
        b = ddb_operand(n->args[1], item, &t2);
        r = compare(n->op, a, b);
        break;
    case DN_BETWEEN: {
        int lo, hi;
        a = ddb_operand(n->args[0], item, &t1);
        b = ddb_operand(n->args[1], item, &t2);
        c = ddb_operand(n->args[2], item, &t3);
        r = a && b && c && ddb_av_compare(a, b, &lo) == 0 && ddb_av_compare(a, c, &hi) == 0 &&
            lo >= 0 && hi <= 0;
        break;
    }
    case DN_IN:
        a = ddb_operand(n->args[0], item, &t1);
        for (int i = 1; a && !r && i < n->nargs; i++) {
            b = ddb_operand(n->args[i], item, &t2);
            r = b && ddb_av_equal(a, b);
            cJSON_Delete(t2);
            t2 = NULL;
        }
        break;
    case DN_FUNC:
        switch (n->func) {
        case DF_ATTRIBUTE_EXISTS:
            return ddb_path_get(item, &n->args[0]->path) != NULL;
        case DF_ATTRIBUTE_NOT_EXISTS:
            return ddb_path_get(item, &n->args[0]->path) == NULL;
        case DF_ATTRIBUTE_TYPE:
            a = ddb_operand(n->args[0], item, &t1);
            b = ddb_operand(n->args[1], item, &t2);
            r = a && b && ddb_av_type(b) == DDB_T_S &&
                strcmp(ddb_type_name(ddb_av_type(a)), ddb_av_payload(b)->valuestring) == 0;
            break;
        case DF_BEGINS_WITH:
            a = ddb_operand(n->args[0], item, &t1);
            b = ddb_operand(n->args[1], item, &t2);
            r = a && b && begins_with(a, b);
            break;
        case DF_CONTAINS:
            a = ddb_operand(n->args[0], item, &t1);
            b = ddb_operand(n->args[1], item, &t2);
            r = a && b && contains(a, b);
            break;
        default:
            break;
        }
        break;
    default:
        break;
    }
    cJSON_Delete(t1);
    cJSON_Delete(t2);
    cJSON_Delete(t3);
    return r;
}

int ddb_expr_eval(const ddb_expr *e, const cJSON *item, bool *result, hg_err *err)
{
    if (!e || !e->root)
        return hg_err_internal(err, "ddb_expr_eval: not a condition expression");
    *result = eval_node(e->root, item);
    return 0;
}

/* ---- Projection ------------------------------------------------------------------------ */

/* Where each projected list element came from, so elements of one list stay
 * in their original order however the paths were listed. */
typedef struct elem_tag {
    const cJSON *arr;
    size_t index;
    cJSON *elem;
} elem_tag;

typedef struct tags {
    elem_tag *v;
    int n;
} tags;

/* The element tagged with index in arr (borrowed), or NULL. */
static cJSON *tag_find(const tags *t, const cJSON *arr, size_t index)
{
    for (int i = 0; i < t->n; i++)
        if (t->v[i].arr == arr && t->v[i].index == index)
            return t->v[i].elem;
    return NULL;
}

/* Insert elem into arr at its place by original index; arr takes elem. */
static bool tag_insert(tags *t, cJSON *arr, size_t index, cJSON *elem)
{
    elem_tag *v = realloc(t->v, sizeof *v * (size_t)(t->n + 1));
    if (!v) {
        cJSON_Delete(elem);
        return false;
    }
    t->v = v;
    int pos = 0;
    for (int i = 0; i < t->n; i++)
        if (t->v[i].arr == arr && t->v[i].index < index)
            pos++;
    t->v[t->n].arr = arr;
    t->v[t->n].index = index;
    t->v[t->n].elem = elem;
    t->n++;
    if (pos >= cJSON_GetArraySize(arr))
        return cJSON_AddItemToArray(arr, elem);
    return cJSON_InsertItemInArray(arr, pos, elem);
}

/* A new empty M or L value (caller frees), or NULL. */
static cJSON *empty_container(ddb_type t)
{
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return NULL;
    cJSON *inner = t == DDB_T_M ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!inner || !cJSON_AddItemToObject(c, t == DDB_T_M ? "M" : "L", inner)) {
        cJSON_Delete(inner);
        cJSON_Delete(c);
        return NULL;
    }
    return c;
}

/* Copy the value at path p of item into out, creating the maps and lists
 * along the way. */
static bool project_path(const cJSON *item, const ddb_path *p, cJSON *out, tags *t)
{
    const cJSON *value = ddb_path_get(item, p);
    if (!value)
        return true;
    cJSON *cur = out;       /* an object of name -> AV, or an L payload array */
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(item, p->elems[0].name);
    for (int i = 0; i < p->n; i++) {
        const ddb_path_elem *e = &p->elems[i];
        bool last = i == p->n - 1;
        cJSON *next = e->name ? cJSON_GetObjectItemCaseSensitive(cur, e->name)
                              : tag_find(t, cur, e->index);
        if (!next) {
            next = last ? cJSON_Duplicate(value, 1) : empty_container(ddb_av_type(src));
            if (!next)
                return false;
            if (e->name) {
                if (!cJSON_AddItemToObject(cur, e->name, next)) {
                    cJSON_Delete(next);
                    return false;
                }
            } else if (!tag_insert(t, cur, e->index, next)) {
                return false;
            }
        }
        if (last)
            break;
        cur = (cJSON *)ddb_av_payload(next);
        const ddb_path_elem *ne = &p->elems[i + 1];
        const cJSON *spl = ddb_av_payload(src);
        src = ne->name ? cJSON_GetObjectItemCaseSensitive(spl, ne->name)
                       : cJSON_GetArrayItem(spl, (int)ne->index);
        if (!cur || !src)
            return false;
    }
    return true;
}

cJSON *ddb_expr_project(const ddb_expr *e, const cJSON *item)
{
    cJSON *out = cJSON_CreateObject();
    tags t = { NULL, 0 };
    if (!out)
        return NULL;
    for (int i = 0; e && i < e->npaths; i++) {
        if (!project_path(item, &e->paths[i], out, &t)) {
            cJSON_Delete(out);
            out = NULL;
            break;
        }
    }
    free(t.v);
    return out;
}

/* ---- Key conditions ------------------------------------------------------------------------ */

static const char *func_name(ddb_func f)
{
    switch (f) {
    case DF_ATTRIBUTE_EXISTS:     return "attribute_exists";
    case DF_ATTRIBUTE_NOT_EXISTS: return "attribute_not_exists";
    case DF_ATTRIBUTE_TYPE:       return "attribute_type";
    case DF_CONTAINS:             return "contains";
    case DF_SIZE:                 return "size";
    default:                      return "function";
    }
}

/* Record one `key op value` condition in kc. The first equality seen is the
 * hash candidate; the Query op matches names against the schema and swaps
 * when the range condition is the equality one. */
static int key_condition(const ddb_node *n, ddb_key_op op, ddb_keycond *kc, hg_err *err)
{
    const ddb_node *attr = NULL;
    int attr_ix = -1;
    for (int i = 0; i < n->nargs; i++) {
        const ddb_node *a = n->args[i];
        if (a->kind == DN_PATH) {
            if (attr)
                return hg_err_validation(err, "Invalid condition in KeyConditionExpression: "
                                         "Multiple attribute names used in one condition");
            if (a->path.n > 1)
                return hg_err_validation(err, "KeyConditionExpressions cannot have conditions on nested attributes");
            attr = a;
            attr_ix = i;
        } else if (a->kind == DN_FUNC) {
            return hg_err_validation(err, "KeyConditionExpressions cannot contain nested operations");
        }
    }
    if (!attr)
        return hg_err_validation(err, "Invalid condition in KeyConditionExpression: No key attribute specified");
    if ((op == DDB_KEY_BETWEEN || op == DDB_KEY_BEGINS_WITH) && attr_ix != 0)
        return hg_err_validation(err, "Invalid condition in KeyConditionExpression: %s operator must "
                                 "have the key attribute as its first operand",
                                 op == DDB_KEY_BETWEEN ? "BETWEEN" : "begins_with");
    /* `:v < k` is `k > :v`. */
    if (attr_ix == 1) {
        switch (op) {
        case DDB_KEY_LT: op = DDB_KEY_GT; break;
        case DDB_KEY_LE: op = DDB_KEY_GE; break;
        case DDB_KEY_GT: op = DDB_KEY_LT; break;
        case DDB_KEY_GE: op = DDB_KEY_LE; break;
        default: break;
        }
    }
    const char *name = attr->path.elems[0].name;
    const cJSON *v1 = n->args[attr_ix == 0 ? 1 : 0]->value;
    const cJSON *v2 = n->nargs > 2 ? n->args[2]->value : NULL;
    if ((kc->hash_name && strcmp(kc->hash_name, name) == 0) ||
        (kc->range_name && strcmp(kc->range_name, name) == 0))
        return hg_err_validation(err, "KeyConditionExpressions must only contain one condition per key");
    if (op == DDB_KEY_EQ && !kc->hash_name) {
        kc->hash_name = name;
        kc->hash_value = v1;
        return 0;
    }
    if (kc->range_name)
        return hg_err_validation(err, "KeyConditionExpressions must only contain one condition per key");
    kc->range_name = name;
    kc->range_op = op;
    kc->range_v1 = v1;
    kc->range_v2 = v2;
    return 0;
}

static int key_part(const ddb_node *n, ddb_keycond *kc, hg_err *err)
{
    switch (n->kind) {
    case DN_AND:
        if (key_part(n->args[0], kc, err) < 0)
            return -1;
        return key_part(n->args[1], kc, err);
    case DN_OR:
        return hg_err_validation(err, "Invalid operator used in KeyConditionExpression: OR");
    case DN_NOT:
        return hg_err_validation(err, "Invalid operator used in KeyConditionExpression: NOT");
    case DN_IN:
        return hg_err_validation(err, "Invalid operator used in KeyConditionExpression: IN");
    case DN_CMP: {
        ddb_key_op op;
        switch (n->op) {
        case TK_EQ: op = DDB_KEY_EQ; break;
        case TK_LT: op = DDB_KEY_LT; break;
        case TK_LE: op = DDB_KEY_LE; break;
        case TK_GT: op = DDB_KEY_GT; break;
        case TK_GE: op = DDB_KEY_GE; break;
        default:
            return hg_err_validation(err, "Invalid operator used in KeyConditionExpression: <>");
        }
        return key_condition(n, op, kc, err);
    }
    case DN_BETWEEN:
        return key_condition(n, DDB_KEY_BETWEEN, kc, err);
    case DN_FUNC:
        if (n->func == DF_BEGINS_WITH)
            return key_condition(n, DDB_KEY_BEGINS_WITH, kc, err);
        if (n->func == DF_SIZE)
            return hg_err_validation(err, "KeyConditionExpressions cannot contain nested operations");
        return hg_err_validation(err, "Invalid operator used in KeyConditionExpression: %s", func_name(n->func));
    default:
        return hg_err_validation(err, "Invalid KeyConditionExpression: Syntax error; key condition is not a condition");
    }
}

int ddb_keycond_extract(const ddb_node *root, ddb_keycond *out, hg_err *err)
{
    memset(out, 0, sizeof *out);
    if (key_part(root, out, err) < 0)
        return -1;
    if (!out->hash_name) {
        /* `k < :v` alone: there is no equality to serve as the hash key. */
        return hg_err_validation(err, "Query condition missed key schema element");
    }
    return 0;
}

int ddb_expr_keycond(const ddb_expr *e, ddb_keycond *out, hg_err *err)
{
    if (!e || e->kind != DDB_EXPR_KEY || !e->root)
        return hg_err_internal(err, "ddb_expr_keycond: not a key condition expression");
    return ddb_keycond_extract(e->root, out, err);
}
