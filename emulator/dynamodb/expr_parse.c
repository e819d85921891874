/*
 * expr_parse.c — recursive-descent parsers for DynamoDB's expression
 * languages, and the request-level env of #names and :values.
 *
 * AWS reports a syntax error before any semantic one, and among semantic
 * errors it has a fixed preference (an undefined :value beats a bad operand
 * type, and so on). So the parser stops at the first syntax error, but only
 * *records* semantic problems by category while it goes on; after a clean
 * parse the first recorded problem of the highest-ranked category is the one
 * reported.
 *
 * Invariants while parsing:
 *   1. p->tok is the current (not yet consumed) token, p->prev the last one
 *      consumed; both index the original text, for "near:" quotes.
 *   2. A parse function returns a new node it owns the caller, or NULL after
 *      recording a failure (p->failed) — nothing half-built is left behind.
 *   3. The one place that backtracks ("(" opening either a condition or an
 *      operand) saves and restores the lexer, the deferred errors and the
 *      operator count; a failed attempt leaves no trace except, when both
 *      attempts fail, the furthest syntax error wins, as in a PEG parser.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"
#include "attr.h"

/* Semantic problem categories, in the order AWS prefers them for
 * condition-like expressions; updates use update_rank below. */
enum {
    CAT_UNKNOWN_FUNC, CAT_MISUSED_FUNC, CAT_RESERVED, CAT_SECTION,
    CAT_ATTR_NAME, CAT_ATTR_VAL, CAT_OPERAND_COUNT, CAT_DISTINCT,
    CAT_OVERLAP, CAT_CONFLICT, CAT_OPERAND_TYPE, CAT_FUNCTION, NCAT
};

static const int update_rank[NCAT] = {
    CAT_RESERVED, CAT_UNKNOWN_FUNC, CAT_MISUSED_FUNC, CAT_SECTION,
    CAT_ATTR_NAME, CAT_ATTR_VAL, CAT_OVERLAP, CAT_CONFLICT,
    CAT_OPERAND_TYPE, CAT_OPERAND_COUNT, CAT_FUNCTION, CAT_DISTINCT
};

typedef struct syntax_fail {
    bool set;
    ddb_tok tok, prev;
    bool has_prev;
} syntax_fail;

typedef struct parser {
    ddb_expr_env *env;
    ddb_expr_kind kind;
    ddb_lexer lx;
    ddb_tok tok, prev;
    bool has_prev;
    int depth, noperators;
    bool failed;            /* a syntax error or limit stopped the parse */
    syntax_fail fail;       /* the furthest syntax error seen */
    char limit_msg[256];    /* a limit error (beats syntax), or "" */
    char *defer[NCAT];      /* first message per category, owned */
    unsigned defer_seq[NCAT];
    unsigned seq;
} parser;

typedef struct save_point {
    ddb_lexer lx;
    ddb_tok tok, prev;
    bool has_prev;
    int noperators;
    unsigned seq;
    syntax_fail fail;
} save_point;

static const char *kind_label(ddb_expr_kind k)
{
    switch (k) {
    case DDB_EXPR_CONDITION:  return "ConditionExpression";
    case DDB_EXPR_FILTER:     return "FilterExpression";
    case DDB_EXPR_KEY:        return "KeyConditionExpression";
    case DDB_EXPR_PROJECTION: return "ProjectionExpression";
    case DDB_EXPR_UPDATE:     return "UpdateExpression";
    }
    return "Expression";
}

/* ---- Tokens ------------------------------------------------------------- */

static void advance(parser *p)
{
    p->prev = p->tok;
    p->has_prev = true;
    p->tok = ddb_lex_next(&p->lx);
}

static ddb_tok peek(const parser *p)
{
    ddb_lexer copy = p->lx;
    return ddb_lex_next(&copy);
}

static bool is_kw(const parser *p, const char *kw)
{
    return ddb_tok_is_kw(&p->lx, &p->tok, kw);
}

/* Record a syntax error at the current token; the furthest one is kept. */
static void *syntax_error(parser *p)
{
    if (!p->fail.set || p->tok.start >= p->fail.tok.start) {
        p->fail.set = true;
        p->fail.tok = p->tok;
        p->fail.prev = p->prev;
        p->fail.has_prev = p->has_prev;
    }
    p->failed = true;
    return NULL;
}

static void *limit_error(parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void *limit_error(parser *p, const char *fmt, ...)
{
    if (!p->limit_msg[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->limit_msg, sizeof p->limit_msg, fmt, ap);
        va_end(ap);
    }
    p->failed = true;
    return NULL;
}

static bool expect(parser *p, ddb_tok_type t)
{
    if (p->tok.type != t) {
        syntax_error(p);
        return false;
    }
    advance(p);
    return true;
}

/* Count one operator or function against AWS's limit of 300. */
static bool count_operator(parser *p)
{
    if (++p->noperators > DDB_EXPR_MAX_OPERATORS) {
        limit_error(p, "The expression contains too many operators; operator count: %d, maximum: %d",
                    p->noperators, DDB_EXPR_MAX_OPERATORS);
        return false;
    }
    return true;
}

static bool enter(parser *p)
{
    if (++p->depth > DDB_EXPR_MAX_DEPTH) {
        limit_error(p, "The expression is nested too deeply; maximum nesting depth: %d",
                    DDB_EXPR_MAX_DEPTH);
        return false;
    }
    return true;
}

static void leave(parser *p) { p->depth--; }

/* ---- Deferred semantic errors -------------------------------------------- */

static void defer(parser *p, int cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void defer(parser *p, int cat, const char *fmt, ...)
{
    if (p->defer[cat])
        return;
    char buf[HG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    p->defer[cat] = strdup(buf);
    p->defer_seq[cat] = ++p->seq;
}

static void save(const parser *p, save_point *s)
{
    s->lx = p->lx;
    s->tok = p->tok;
    s->prev = p->prev;
    s->has_prev = p->has_prev;
    s->noperators = p->noperators;
    s->seq = p->seq;
    s->fail = p->fail;
}

/* Roll back to s, forgetting deferred errors recorded since. The syntax
 * failure of the abandoned attempt stays in p->fail (furthest wins). */
static void restore(parser *p, const save_point *s)
{
    p->lx = s->lx;
    p->tok = s->tok;
    p->prev = s->prev;
    p->has_prev = s->has_prev;
    p->noperators = s->noperators;
    for (int c = 0; c < NCAT; c++) {
        if (p->defer[c] && p->defer_seq[c] > s->seq) {
            free(p->defer[c]);
            p->defer[c] = NULL;
        }
    }
    p->failed = false;
}

/* ---- Env ------------------------------------------------------------------ */

/* Member `key` (len bytes) of obj and its position, or NULL. */
static const cJSON *find_member(const cJSON *obj, const char *key, size_t len, int *idx)
{
    int i = 0;
    for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next, i++) {
        if (c->string && strlen(c->string) == len && memcmp(c->string, key, len) == 0) {
            *idx = i;
            return c;
        }
    }
    return NULL;
}

int ddb_expr_env_init(ddb_expr_env *env, const cJSON *names, const cJSON *values, hg_err *err)
{
    memset(env, 0, sizeof *env);
    if (names) {
        if (!cJSON_IsObject(names))
            return hg_err_validation(err, "ExpressionAttributeNames must be a map");
        if (!names->child)
            return hg_err_validation(err, "ExpressionAttributeNames must not be empty");
        for (const cJSON *c = names->child; c; c = c->next) {
            if (!c->string || c->string[0] != '#' || !c->string[1])
                return hg_err_validation(err,
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"%.200s\"",
                    c->string ? c->string : "");
            if (!cJSON_IsString(c) || !c->valuestring[0])
                return hg_err_validation(err,
                    "ExpressionAttributeNames contains invalid value: Empty attribute name; key: \"%.200s\"",
                    c->string);
            env->nnames++;
        }
    }
    if (values) {
        if (!cJSON_IsObject(values))
            return hg_err_validation(err, "ExpressionAttributeValues must be a map");
        if (!values->child)
            return hg_err_validation(err, "ExpressionAttributeValues must not be empty");
        for (cJSON *c = values->child; c; c = c->next) {
            if (!c->string || c->string[0] != ':' || !c->string[1])
                return hg_err_validation(err,
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"%.200s\"",
                    c->string ? c->string : "");
            /* The request owns these values; canonicalising its numbers in
             * place is what every other AV of the request gets too. */
            if (ddb_av_validate(c, c->string, err) < 0)
                return -1;
            env->nvalues++;
        }
    }
    env->names = names;
    env->values = values;
    /* one flag per member; none to allocate for the usual request, which
     * has neither (find_member finds nothing in a NULL map) */
    env->names_used = env->nnames ? calloc((size_t)env->nnames, 1) : NULL;
    env->values_used = env->nvalues ? calloc((size_t)env->nvalues, 1) : NULL;
    if ((env->nnames && !env->names_used) || (env->nvalues && !env->values_used)) {
        ddb_expr_env_release(env);
        return hg_err_internal(err, "out of memory");
    }
    return 0;
}

void ddb_expr_env_release(ddb_expr_env *env)
{
    if (!env)
        return;
    free(env->names_used);
    free(env->values_used);
    env->names_used = env->values_used = NULL;
}

static int unused_list(const cJSON *obj, const unsigned char *used, const char *what, hg_err *err)
{
    char buf[HG_ERR_MSG_MAX];
    size_t n = 0;
    int i = 0;
    bool any = false;
    for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next, i++) {
        if (used[i])
            continue;
        int w = snprintf(buf + n, sizeof buf - n, "%s%s", any ? ", " : "", c->string);
        if (w < 0 || (size_t)w >= sizeof buf - n) {
            n = sizeof buf - 1;
            break;
        }
        n += (size_t)w;
        any = true;
    }
    if (!any)
        return 0;
    buf[n] = '\0';
    return hg_err_validation(err, "Value provided in %s unused in expressions: keys: {%s}", what, buf);
}

int ddb_expr_env_check_unused(const ddb_expr_env *env, hg_err *err)
{
    if (unused_list(env->names, env->names_used, "ExpressionAttributeNames", err) < 0)
        return -1;
    return unused_list(env->values, env->values_used, "ExpressionAttributeValues", err);
}

/* ---- Nodes and paths -------------------------------------------------------- */

void ddb_path_release(ddb_path *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        free(p->elems[i].name);
    free(p->elems);
    p->elems = NULL;
    p->n = 0;
}

void ddb_node_free(ddb_node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nargs; i++)
        ddb_node_free(n->args[i]);
    free(n->args);
    ddb_path_release(&n->path);
    free(n);
}

/* A new node (free with ddb_node_free), or NULL with the parser's error set. */
static ddb_node *node_new(parser *p, ddb_node_kind kind)
{
    ddb_node *n = calloc(1, sizeof *n);
    if (!n)
        limit_error(p, "out of memory");
    else
        n->kind = kind;
    return n;
}

static bool node_push(parser *p, ddb_node *n, ddb_node *arg)
{
    ddb_node **a = realloc(n->args, sizeof *a * (size_t)(n->nargs + 1));
    if (!a) {
        ddb_node_free(arg);
        limit_error(p, "out of memory");
        return false;
    }
    n->args = a;
    n->args[n->nargs++] = arg;
    return true;
}

static bool path_push(parser *p, ddb_path *path, char *name, size_t index)
{
    if (path->n >= DDB_EXPR_MAX_PATH) {
        free(name);
        limit_error(p, "The document path has too many nesting levels; maximum: %d", DDB_EXPR_MAX_PATH);
        return false;
    }
    ddb_path_elem *e = realloc(path->elems, sizeof *e * (size_t)(path->n + 1));
    if (!e) {
        free(name);
        limit_error(p, "out of memory");
        return false;
    }
    path->elems = e;
    path->elems[path->n].name = name;
    path->elems[path->n].index = index;
    path->n++;
    return true;
}

void ddb_path_render(const ddb_path *p, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (int i = -1; i <= p->n && n < cap; i++) {
        int w;
        if (i == -1)
            w = snprintf(buf + n, cap - n, "[");
        else if (i == p->n)
            w = snprintf(buf + n, cap - n, "]");
        else if (p->elems[i].name)
            w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", p->elems[i].name);
        else
            w = snprintf(buf + n, cap - n, "%s[%zu]", i ? ", " : "", p->elems[i].index);
        if (w < 0)
            return;
        n += (size_t)w;
    }
}

/* ---- Static typing of operands (for parse-time checks) -------------------- */

/* The type an operand is known to have before evaluation, or NULL. */
static const char *static_type(const ddb_node *n)
{
    if (n->kind == DN_VALUE)
        return n->value ? ddb_type_name(ddb_av_type(n->value)) : NULL;
    if (n->kind == DN_FUNC && n->func == DF_SIZE)
        return "N";
    if (n->kind == DN_PLUS || n->kind == DN_MINUS)
        return "N";
    if (n->kind == DN_FUNC && n->func == DF_LIST_APPEND)
        return "L";
    return NULL;
}

static bool is_bool_func(const ddb_node *n)
{
    return n->kind == DN_FUNC && n->func != DF_SIZE &&
           n->func != DF_IF_NOT_EXISTS && n->func != DF_LIST_APPEND;
}

static bool path_equal(const ddb_path *a, const ddb_path *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++) {
        const ddb_path_elem *x = &a->elems[i], *y = &b->elems[i];
        if ((x->name == NULL) != (y->name == NULL))
            return false;
        if (x->name ? strcmp(x->name, y->name) != 0 : x->index != y->index)
            return false;
    }
    return true;
}

static void check_distinct(parser *p, const char *op, ddb_node *a, ddb_node *b)
{
    if (a->kind == DN_PATH && b->kind == DN_PATH && path_equal(&a->path, &b->path)) {
        char buf[512];
        ddb_path_render(&a->path, buf, sizeof buf);
        defer(p, CAT_DISTINCT, "The first operand must be distinct from the remaining operands for this "
              "operator or function; operator: %s, first operand: %s", op, buf);
    }
}

/* Boolean functions may not be operands of comparisons; size() may not
 * stand alone as a condition. */
static void check_operand_use(parser *p, const ddb_node *n)
{
    static const char *names[] = { "", "attribute_exists", "attribute_not_exists",
        "attribute_type", "begins_with", "contains", "size", "if_not_exists", "list_append" };
    if (is_bool_func(n))
        defer(p, CAT_MISUSED_FUNC,
              "The function is not allowed to be used this way in an expression; function: %s",
              names[n->func]);
}

/* ---- Functions ------------------------------------------------------------- */

typedef struct func_def {
    const char *name;
    ddb_func func;
    int nargs;
    bool in_update;      /* allowed in UpdateExpression (else in conditions) */
} func_def;

static const func_def functions[] = {
    { "attribute_exists",     DF_ATTRIBUTE_EXISTS,     1, false },
    { "attribute_not_exists", DF_ATTRIBUTE_NOT_EXISTS, 1, false },
    { "attribute_type",       DF_ATTRIBUTE_TYPE,       2, false },
    { "begins_with",          DF_BEGINS_WITH,          2, false },
    { "contains",             DF_CONTAINS,             2, false },
    { "size",                 DF_SIZE,                 1, false },
    { "if_not_exists",        DF_IF_NOT_EXISTS,        2, true  },
    { "list_append",          DF_LIST_APPEND,          2, true  },
};

static void check_function(parser *p, const func_def *f, ddb_node *n)
{
    bool update = p->kind == DDB_EXPR_UPDATE;
    if (f->in_update != update) {
        defer(p, CAT_UNKNOWN_FUNC, "The function is not allowed in %s expression; function: %s",
              update ? "an update" : "a condition", f->name);
        return;
    }
    if (n->nargs != f->nargs) {
        defer(p, CAT_OPERAND_COUNT, "Incorrect number of operands for operator or function; "
              "operator or function: %s, number of operands: %d", f->name, n->nargs);
        return;
    }
    for (int i = 0; i < n->nargs; i++)
        check_operand_use(p, n->args[i]);
    if (n->nargs == 2)
        check_distinct(p, f->name, n->args[0], n->args[1]);

    const char *t;
    switch (f->func) {
    case DF_ATTRIBUTE_EXISTS: case DF_ATTRIBUTE_NOT_EXISTS: case DF_IF_NOT_EXISTS: case DF_SIZE:
        if (n->args[0]->kind != DN_PATH)
            defer(p, CAT_FUNCTION, "Operator or function requires a document path; "
                  "operator or function: %s", f->name);
        break;
    case DF_BEGINS_WITH:
        for (int i = 0; i < 2; i++) {
            t = static_type(n->args[i]);
            if (t && strcmp(t, "S") != 0 && strcmp(t, "B") != 0) {
                defer(p, CAT_FUNCTION, "Incorrect operand type for operator or function; "
                      "operator or function: %s, operand type: %s", f->name, t);
                break;
            }
        }
        break;
    case DF_ATTRIBUTE_TYPE:
        t = static_type(n->args[1]);
        if (!t || strcmp(t, "S") != 0) {
            defer(p, CAT_FUNCTION, "Incorrect operand type for operator or function; "
                  "operator or function: %s, operand type: %s", f->name,
                  t ? t : "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        } else {
            static const char *types[] = { "S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M" };
            const char *want = ddb_av_payload(n->args[1]->value)->valuestring;
            bool ok = false;
            for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
                ok |= strcmp(types[i], want) == 0;
            if (!ok)
                defer(p, CAT_FUNCTION, "Invalid attribute type name found; type: %.100s, "
                      "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}", want);
        }
        break;
    case DF_LIST_APPEND:
        for (int i = 0; i < 2; i++) {
            t = static_type(n->args[i]);
            if (t && strcmp(t, "L") != 0) {
                defer(p, CAT_FUNCTION, "Incorrect operand type for operator or function; "
                      "operator or function: %s, operand type: %s", f->name, t);
                break;
            }
        }
        break;
    default:
        break;
    }
}

/* ---- Operands --------------------------------------------------------------- */

static bool is_language_keyword(const parser *p)
{
    static const char *cond_kw[] = { "AND", "OR", "NOT", "BETWEEN", "IN" };
    static const char *upd_kw[] = { "SET", "REMOVE", "ADD", "DELETE" };
    const char **kw = p->kind == DDB_EXPR_UPDATE ? upd_kw : cond_kw;
    size_t n = p->kind == DDB_EXPR_UPDATE ? 4 : 5;
    for (size_t i = 0; i < n; i++)
        if (is_kw(p, kw[i]))
            return true;
    return false;
}

/* One path element name: an identifier (not reserved) or a #name. Returns a
 * new string, or NULL on failure. Placeholder/reserved problems are deferred
 * and the element keeps its raw text so the parse can go on. */
static char *parse_path_name(parser *p)
{
    const char *s = p->lx.text + p->tok.start;
    size_t n = p->tok.len;
    char *name;

    if (p->tok.type == TK_IDENT && !is_language_keyword(p)) {
        if (ddb_expr_is_reserved(s, n))
            defer(p, CAT_RESERVED, "Attribute name is a reserved keyword; reserved keyword: %.*s",
                  (int)(n > 200 ? 200 : n), s);
        name = strndup(s, n);
    } else if (p->tok.type == TK_NAME_REF) {
        int idx;
        const cJSON *m = find_member(p->env->names, s, n, &idx);
        if (!m) {
            defer(p, CAT_ATTR_NAME, "An expression attribute name used in the document path is "
                  "not defined; attribute name: %.*s", (int)(n > 200 ? 200 : n), s);
            name = strndup(s, n);
        } else {
            p->env->names_used[idx] = 1;
            name = strdup(m->valuestring);
        }
    } else {
        return syntax_error(p);
    }
    if (!name)
        return limit_error(p, "out of memory");
    advance(p);
    return name;
}

static bool parse_path_into(parser *p, ddb_path *path)
{
    char *name = parse_path_name(p);
    if (!name || !path_push(p, path, name, 0))
        return false;
    for (;;) {
        if (p->tok.type == TK_DOT) {
            advance(p);
            name = parse_path_name(p);
            if (!name || !path_push(p, path, name, 0))
                return false;
        } else if (p->tok.type == TK_LBRACK) {
            advance(p);
            if (p->tok.type != TK_INT)
                return syntax_error(p), false;
            /* Bounded parse: indexes beyond a list's 400 KB reach are
             * pointless, and this keeps the arithmetic from overflowing. */
            size_t v = 0;
            for (size_t i = 0; i < p->tok.len; i++) {
                v = v * 10 + (size_t)(p->lx.text[p->tok.start + i] - '0');
                if (v > 100000000)
                    return syntax_error(p), false;
            }
            advance(p);
            if (!expect(p, TK_RBRACK) || !path_push(p, path, NULL, v))
                return false;
        } else {
            return true;
        }
    }
}

static ddb_node *parse_path(parser *p)
{
    ddb_node *n = node_new(p, DN_PATH);
    if (!n)
        return NULL;
    if (!parse_path_into(p, &n->path)) {
        ddb_node_free(n);
        return NULL;
    }
    return n;
}

static ddb_node *parse_operand(parser *p);

/* operand, ... ')' — the arguments of a function or an IN list, appended to
 * n. On failure n keeps what was parsed; the caller frees it. */
static bool parse_operand_list(parser *p, ddb_node *n)
{
    for (;;) {
        ddb_node *arg = parse_operand(p);
        if (!arg || !node_push(p, n, arg))
            return false;
        if (p->tok.type != TK_COMMA)
            break;
        advance(p);
    }
    return expect(p, TK_RPAREN);
}

static ddb_node *parse_function(parser *p)
{
    const char *s = p->lx.text + p->tok.start;
    size_t len = p->tok.len;
    const func_def *f = NULL;
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
        if (strlen(functions[i].name) == len && memcmp(functions[i].name, s, len) == 0)
            f = &functions[i];
    if (!f)
        defer(p, CAT_UNKNOWN_FUNC, "Invalid function name; function: %.*s",
              (int)(len > 200 ? 200 : len), s);
    if (!count_operator(p))
        return NULL;
    advance(p);                 /* name */
    advance(p);                 /* ( */
    ddb_node *n = node_new(p, DN_FUNC);
    if (!n)
        return NULL;
    n->func = f ? f->func : DF_NONE;
    if (!parse_operand_list(p, n)) {
        ddb_node_free(n);
        return NULL;
    }
    if (f)
        check_function(p, f, n);
    return n;
}

/* operand := '(' operand ')' | :value | path | name '(' operand, ... ')' */
static ddb_node *parse_operand(parser *p)
{
    ddb_node *n = NULL;
    if (!enter(p))
        return NULL;
    switch (p->tok.type) {
    case TK_LPAREN:
        advance(p);
        n = parse_operand(p);
        if (n && !expect(p, TK_RPAREN)) {
            ddb_node_free(n);
            n = NULL;
        }
        break;
    case TK_VALUE_REF: {
        const char *s = p->lx.text + p->tok.start;
        int idx;
        const cJSON *v = find_member(p->env->values, s, p->tok.len, &idx);
        if (!v)
            defer(p, p->kind == DDB_EXPR_UPDATE ? CAT_ATTR_VAL : CAT_ATTR_NAME,
                  "An expression attribute value used in expression is not defined; "
                  "attribute value: %.*s", (int)(p->tok.len > 200 ? 200 : p->tok.len), s);
        else
            p->env->values_used[idx] = 1;
        n = node_new(p, DN_VALUE);
        if (n) {
            /* An undefined value is reported before evaluation can happen;
             * a NULL-typed stand-in keeps the tree well-formed meanwhile. */
            n->value = v;
            advance(p);
        }
        break;
    }
    case TK_IDENT:
        if (peek(p).type == TK_LPAREN && !is_language_keyword(p)) {
            n = parse_function(p);
            break;
        }
        /* fall through */
    case TK_NAME_REF:
        n = parse_path(p);
        break;
    default:
        syntax_error(p);
        break;
    }
    leave(p);
    return n;
}

/* ---- Conditions -------------------------------------------------------------- */

static bool is_comparator(ddb_tok_type t)
{
    return t == TK_EQ || t == TK_NE || t == TK_LT || t == TK_LE || t == TK_GT || t == TK_GE;
}

static const char *cmp_text(ddb_tok_type t)
{
    switch (t) {
    case TK_EQ: return "=";
    case TK_NE: return "<>";
    case TK_LT: return "<";
    case TK_LE: return "<=";
    case TK_GT: return ">";
    case TK_GE: return ">=";
    default:    return "?";
    }
}

static ddb_node *make2(parser *p, ddb_node_kind kind, ddb_node *a, ddb_node *b)
{
    ddb_node *n = node_new(p, kind);
    if (!n) {
        ddb_node_free(a);
        ddb_node_free(b);
        return NULL;
    }
    if (!node_push(p, n, a)) {
        ddb_node_free(b);
        ddb_node_free(n);
        return NULL;
    }
    if (b && !node_push(p, n, b)) {
        ddb_node_free(n);
        return NULL;
    }
    return n;
}

static void check_between(parser *p, const ddb_node *lo, const ddb_node *hi)
{
    if (lo->kind != DN_VALUE || hi->kind != DN_VALUE || !lo->value || !hi->value)
        return;
    const char *t1 = ddb_type_name(ddb_av_type(lo->value));
    const char *t2 = ddb_type_name(ddb_av_type(hi->value));
    const cJSON *v1 = ddb_av_payload(lo->value), *v2 = ddb_av_payload(hi->value);
    const char *s1 = cJSON_IsString(v1) ? v1->valuestring : "";
    const char *s2 = cJSON_IsString(v2) ? v2->valuestring : "";
    int c;
    if (strcmp(t1, t2) != 0)
        defer(p, CAT_FUNCTION, "The BETWEEN operator requires same data type for lower and upper "
              "bounds; lower bound operand: AttributeValue: {%s:%.100s}, upper bound operand: "
              "AttributeValue: {%s:%.100s}", t1, s1, t2, s2);
    else if (ddb_av_compare(lo->value, hi->value, &c) == 0 && c > 0)
        defer(p, CAT_FUNCTION, "The BETWEEN operator requires upper bound to be greater than or "
              "equal to lower bound; lower bound operand: AttributeValue: {%s:%.100s}, upper bound "
              "operand: AttributeValue: {%s:%.100s}", t1, s1, t2, s2);
}

static ddb_node *parse_or(parser *p);

/* comparison := operand (cmp operand | BETWEEN operand AND operand |
 *                        IN '(' operand, ... ')') | boolean-function */
static ddb_node *parse_comparison(parser *p)
{
    ddb_node *left = parse_operand(p), *n;
    if (!left)
        return NULL;

    if (is_comparator(p->tok.type)) {
        ddb_tok_type op = p->tok.type;
        if (!count_operator(p)) {
            ddb_node_free(left);
            return NULL;
        }
        advance(p);
        ddb_node *right = parse_operand(p);
        if (!right) {
            ddb_node_free(left);
            return NULL;
        }
        check_operand_use(p, left);
        check_operand_use(p, right);
        check_distinct(p, cmp_text(op), left, right);
        n = make2(p, DN_CMP, left, right);
        if (n)
            n->op = op;
        return n;
    }
    if (is_kw(p, "BETWEEN")) {
        if (!count_operator(p)) {
            ddb_node_free(left);
            return NULL;
        }
        advance(p);
        n = make2(p, DN_BETWEEN, left, NULL);
        if (!n)
            return NULL;
        ddb_node *lo = parse_operand(p);
        if (!lo || !node_push(p, n, lo)) {
            ddb_node_free(n);
            return NULL;
        }
        if (!is_kw(p, "AND")) {
            ddb_node_free(n);
            return syntax_error(p);
        }
        advance(p);
        ddb_node *hi = parse_operand(p);
        if (!hi || !node_push(p, n, hi)) {
            ddb_node_free(n);
            return NULL;
        }
        for (int i = 0; i < 3; i++)
            check_operand_use(p, n->args[i]);
        check_between(p, lo, hi);
        return n;
    }
    if (is_kw(p, "IN")) {
        if (!count_operator(p)) {
            ddb_node_free(left);
            return NULL;
        }
        advance(p);
        n = make2(p, DN_IN, left, NULL);
        if (!n)
            return NULL;
        if (!expect(p, TK_LPAREN)) {
            ddb_node_free(n);
            return NULL;
        }
        if (!parse_operand_list(p, n)) {
            ddb_node_free(n);
            return NULL;
        }
        for (int i = 0; i < n->nargs; i++)
            check_operand_use(p, n->args[i]);
        if (n->nargs - 1 > DDB_EXPR_MAX_IN)
            defer(p, CAT_FUNCTION, "The IN operator is provided with too many operands; "
                  "number of operands: %d", n->nargs - 1);
        return n;
    }
    if (left->kind == DN_FUNC) {
        if (left->func == DF_SIZE)
            defer(p, CAT_MISUSED_FUNC, "The function is not allowed to be used this way in an "
                  "expression; function: size");
        return left;
    }
    ddb_node_free(left);
    return syntax_error(p);
}

/* primary := '(' or ')' | comparison. A '(' may also open a parenthesised
 * operand, "(a) = :v": try the condition first, and fall back to the
 * operand reading when the parenthesis is followed by a comparator. */
static ddb_node *parse_primary(parser *p)
{
    if (p->tok.type != TK_LPAREN)
        return parse_comparison(p);

    save_point sp;
    save(p, &sp);
    advance(p);
    ddb_node *inner = parse_or(p);
    if (inner && p->tok.type == TK_RPAREN) {
        advance(p);
        if (!is_comparator(p->tok.type) && !is_kw(p, "BETWEEN") && !is_kw(p, "IN"))
            return inner;
    } else if (!inner && p->limit_msg[0]) {
        return NULL;            /* limits are final, no second reading */
    }
    ddb_node_free(inner);
    if (!p->failed)
        syntax_error(p);        /* remember where the first reading stopped */
    syntax_fail first = p->fail;
    restore(p, &sp);
    p->fail = sp.fail;
    ddb_node *n = parse_comparison(p);
    if (!n) {
        /* Both readings failed: report the one that got further. */
        if (first.set && (!p->fail.set || first.tok.start > p->fail.tok.start))
            p->fail = first;
    }
    return n;
}

/* not := NOT not | primary */
static ddb_node *parse_not(parser *p)
{
    if (!enter(p))
        return NULL;
    ddb_node *n;
    if (is_kw(p, "NOT")) {
        if (!count_operator(p)) {
            leave(p);
            return NULL;
        }
        advance(p);
        ddb_node *child = parse_not(p);
        /* A bare size() child was already flagged by parse_comparison. */
        n = child ? make2(p, DN_NOT, child, NULL) : NULL;
    } else {
        n = parse_primary(p);
    }
    leave(p);
    return n;
}

static ddb_node *parse_and(parser *p)
{
    ddb_node *left = parse_not(p);
    while (left && is_kw(p, "AND")) {
        if (!count_operator(p)) {
            ddb_node_free(left);
            return NULL;
        }
        advance(p);
        ddb_node *right = parse_not(p);
        if (!right) {
            ddb_node_free(left);
            return NULL;
        }
        left = make2(p, DN_AND, left, right);
    }
    return left;
}

static ddb_node *parse_or(parser *p)
{
    if (!enter(p))
        return NULL;
    ddb_node *left = parse_and(p);
    while (left && is_kw(p, "OR")) {
        if (!count_operator(p)) {
            ddb_node_free(left);
            left = NULL;
            break;
        }
        advance(p);
        ddb_node *right = parse_and(p);
        if (!right) {
            ddb_node_free(left);
            left = NULL;
            break;
        }
        left = make2(p, DN_OR, left, right);
    }
    leave(p);
    return left;
}

/* ---- Update ------------------------------------------------------------------ */

static ddb_node *parse_set_value(parser *p);

/* set-operand := '(' set-value ')' | operand */
static ddb_node *parse_set_operand(parser *p)
{
    if (p->tok.type != TK_LPAREN)
        return parse_operand(p);
    if (!enter(p))
        return NULL;
    advance(p);
    ddb_node *n = parse_set_value(p);
    if (n && !expect(p, TK_RPAREN)) {
        ddb_node_free(n);
        n = NULL;
    }
    leave(p);
    return n;
}

static void check_arith(parser *p, const char *op, ddb_node *n)
{
    for (int i = 0; i < 2; i++) {
        const char *t = static_type(n->args[i]);
        if (t && strcmp(t, "N") != 0) {
            defer(p, CAT_FUNCTION, "Incorrect operand type for operator or function; "
                  "operator or function: %s, operand type: %s", op, t);
            return;
        }
    }
}

/* set-value := set-operand [('+' | '-') set-operand]; AWS allows one
 * arithmetic operator per value, so "(a + b) + c" is a syntax error. */
static ddb_node *parse_set_value(parser *p)
{
    ddb_node *left = parse_set_operand(p);
    if (!left)
        return NULL;
    if (p->tok.type != TK_PLUS && p->tok.type != TK_MINUS)
        return left;
    if (left->kind == DN_PLUS || left->kind == DN_MINUS) {
        ddb_node_free(left);
        return syntax_error(p);
    }
    ddb_node_kind kind = p->tok.type == TK_PLUS ? DN_PLUS : DN_MINUS;
    if (!count_operator(p)) {
        ddb_node_free(left);
        return NULL;
    }
    advance(p);
    ddb_node *right = parse_set_operand(p);
    if (!right) {
        ddb_node_free(left);
        return NULL;
    }
    if (right->kind == DN_PLUS || right->kind == DN_MINUS) {
        ddb_node_free(left);
        ddb_node_free(right);
        return syntax_error(p);
    }
    ddb_node *n = make2(p, kind, left, right);
    if (n) {
        check_operand_use(p, left);
        check_operand_use(p, right);
        check_arith(p, kind == DN_PLUS ? "+" : "-", n);
    }
    return n;
}

static const char *update_type_word(ddb_type t)
{
    switch (t) {
    case DDB_T_S:    return "STRING";
    case DDB_T_N:    return "NUMBER";
    case DDB_T_B:    return "BINARY";
    case DDB_T_NULL: return "NULL";
    case DDB_T_BOOL: return "BOOLEAN";
    case DDB_T_L:    return "LIST";
    case DDB_T_M:    return "MAP";
    default:         return NULL;     /* sets are fine for ADD and DELETE */
    }
}

static bool push_action(parser *p, ddb_expr *e, ddb_clause clause, ddb_path *path, ddb_node *value)
{
    ddb_update_action *a = realloc(e->actions, sizeof *a * (size_t)(e->nactions + 1));
    if (!a) {
        ddb_path_release(path);
        ddb_node_free(value);
        limit_error(p, "out of memory");
        return false;
    }
    e->actions = a;
    e->actions[e->nactions].clause = clause;
    e->actions[e->nactions].path = *path;
    e->actions[e->nactions].value = value;
    e->nactions++;
    return true;
}

static bool parse_action(parser *p, ddb_expr *e, ddb_clause clause)
{
    ddb_path path = { NULL, 0 };
    ddb_node *value = NULL;
    if (!parse_path_into(p, &path)) {
        ddb_path_release(&path);
        return false;
    }
    switch (clause) {
    case DU_SET:
        if (!expect(p, TK_EQ))
            break;
        value = parse_set_value(p);
        if (value) {
            check_operand_use(p, value);
            return push_action(p, e, clause, &path, value);
        }
        break;
    case DU_REMOVE:
        return push_action(p, e, clause, &path, NULL);
    case DU_ADD:
    case DU_DELETE:
        if (p->tok.type != TK_VALUE_REF) {
            syntax_error(p);
            break;
        }
        value = parse_operand(p);
        if (!value)
            break;
        if (value->value) {
            const char *w = update_type_word(ddb_av_type(value->value));
            if (w && !(clause == DU_ADD && ddb_av_type(value->value) == DDB_T_N))
                defer(p, CAT_OPERAND_TYPE, "Incorrect operand type for operator or function; "
                      "operator: %s, operand type: %s", clause == DU_ADD ? "ADD" : "DELETE", w);
        }
        return push_action(p, e, clause, &path, value);
    }
    ddb_path_release(&path);
    return false;
}

static bool parse_update(parser *p, ddb_expr *e)
{
    static const char *clause_kw[] = { "SET", "REMOVE", "ADD", "DELETE" };
    bool seen[4] = { false, false, false, false };

    while (p->tok.type != TK_EOF) {
        int c = -1;
        for (int i = 0; i < 4; i++)
            if (is_kw(p, clause_kw[i]))
                c = i;
        if (c < 0)
            return syntax_error(p), false;
        if (seen[c])
            defer(p, CAT_SECTION, "The \"%s\" section can only be used once in an update expression;",
                  clause_kw[c]);
        seen[c] = true;
        advance(p);
        for (;;) {
            if (!parse_action(p, e, (ddb_clause)c))
                return false;
            if (p->tok.type != TK_COMMA)
                break;
            advance(p);
        }
    }
    return true;
}

/* ---- Overlap checks (update targets, projections) ---------------------------- */

static void check_overlaps(parser *p, const ddb_path **paths, int n)
{
    for (int j = 1; j < n; j++) {
        for (int i = 0; i < j; i++) {
            const ddb_path *a = paths[i], *b = paths[j];
            int k, m = a->n < b->n ? a->n : b->n;
            bool differ = false, conflict = false;
            for (k = 0; k < m; k++) {
                const ddb_path_elem *x = &a->elems[k], *y = &b->elems[k];
                if ((x->name == NULL) != (y->name == NULL)) {
                    conflict = true;
                    break;
                }
                if (x->name ? strcmp(x->name, y->name) != 0 : x->index != y->index) {
                    differ = true;
                    break;
                }
            }
            if (differ)
                continue;
            char s1[512], s2[512];
            ddb_path_render(a, s1, sizeof s1);
            ddb_path_render(b, s2, sizeof s2);
            if (conflict)
                defer(p, CAT_CONFLICT, "Two document paths conflict with each other; must remove or "
                      "rewrite one of these paths; path one: %s, path two: %s", s1, s2);
            else
                defer(p, CAT_OVERLAP, "Two document paths overlap with each other; must remove or "
                      "rewrite one of these paths; path one: %s, path two: %s", s1, s2);
        }
    }
}

/* ---- Projection ---------------------------------------------------------------- */

static bool parse_projection(parser *p, ddb_expr *e)
{
    for (;;) {
        ddb_path path = { NULL, 0 };
        if (!parse_path_into(p, &path)) {
            ddb_path_release(&path);
            return false;
        }
        ddb_path *a = realloc(e->paths, sizeof *a * (size_t)(e->npaths + 1));
        if (!a) {
            ddb_path_release(&path);
            limit_error(p, "out of memory");
            return false;
        }
        e->paths = a;
        e->paths[e->npaths++] = path;
        if (p->tok.type != TK_COMMA)
            break;
        advance(p);
    }
    if (p->tok.type != TK_EOF)
        return syntax_error(p), false;
    return true;
}

/* ---- Roots ------------------------------------------------------------------------ */

static bool add_root(ddb_expr *e, const char *name)
{
    for (int i = 0; i < e->nroots; i++)
        if (strcmp(e->roots[i], name) == 0)
            return true;
    const char **r = realloc(e->roots, sizeof *r * (size_t)(e->nroots + 1));
    if (!r)
        return false;
    e->roots = r;
    e->roots[e->nroots++] = name;
    return true;
}

static bool collect_roots(ddb_expr *e, const ddb_node *n)
{
    if (n->kind == DN_PATH && n->path.n > 0 && n->path.elems[0].name && !add_root(e, n->path.elems[0].name))
        return false;
    for (int i = 0; i < n->nargs; i++)
        if (!collect_roots(e, n->args[i])) return false;
    return true;
}

/* ---- Entry points ------------------------------------------------------------------ */

void ddb_expr_free(ddb_expr *e)
{
    if (!e)
        return;
    ddb_node_free(e->root);
    for (int i = 0; i < e->nactions; i++) {
        ddb_path_release(&e->actions[i].path);
        ddb_node_free(e->actions[i].value);
    }
    free(e->actions);
    for (int i = 0; i < e->npaths; i++)
        ddb_path_release(&e->paths[i]);
    free(e->paths);
    free(e->roots);
    free(e);
}

static void report_syntax(const parser *p, const char *label, hg_err *err)
{
    const char *text = p->lx.text;
    ddb_tok t = p->fail.tok;
    size_t from = p->fail.has_prev ? p->fail.prev.start : t.start;
    size_t to = t.type == TK_EOF ? (p->fail.has_prev ? p->fail.prev.start + p->fail.prev.len : t.start)
                                 : t.start + t.len;
    int tl = (int)(t.len > 200 ? 200 : t.len);
    int nl = (int)(to - from > 400 ? 400 : to - from);
    if (t.type == TK_EOF)
        hg_err_validation(err, "Invalid %s: Syntax error; token: \"<EOF>\", near: \"%.*s\"",
                          label, nl, text + from);
    else
        hg_err_validation(err, "Invalid %s: Syntax error; token: \"%.*s\", near: \"%.*s\"",
                          label, tl, text + t.start, nl, text + from);
}

int ddb_expr_parse(ddb_expr_env *env, ddb_expr_kind kind, const char *text,
                   ddb_expr **out, hg_err *err)
{
    const char *label = kind_label(kind);
    size_t len = text ? strlen(text) : 0;
    *out = NULL;

    if (len > DDB_EXPR_MAX_LEN)
        return hg_err_validation(err, "Invalid %s: Expression size has exceeded the maximum allowed size;", label);

    parser p;
    memset(&p, 0, sizeof p);
    p.env = env;
    p.kind = kind;
    ddb_lex_init(&p.lx, text ? text : "", len);
    p.tok = ddb_lex_next(&p.lx);
    if (p.tok.type == TK_EOF)
        return hg_err_validation(err, "Invalid %s: The expression can not be empty;", label);

    ddb_expr *e = calloc(1, sizeof *e);
    if (!e)
        return hg_err_internal(err, "out of memory");
    e->kind = kind;

    bool ok;
    switch (kind) {
    case DDB_EXPR_UPDATE:
        ok = parse_update(&p, e);
        break;
    case DDB_EXPR_PROJECTION:
        ok = parse_projection(&p, e);
        break;
    default:
        e->root = parse_or(&p);
        ok = e->root != NULL;
        if (ok && p.tok.type != TK_EOF)
            ok = syntax_error(&p) != NULL;
        break;
    }

    int rc = 0;
    if (!ok) {
        if (p.limit_msg[0])
            hg_err_validation(err, "Invalid %s: %s", label, p.limit_msg);
        else
            report_syntax(&p, label, err);
        rc = -1;
    }

    /* Overlaps among written or projected paths, and the roots. */
    if (rc == 0 && (kind == DDB_EXPR_UPDATE || kind == DDB_EXPR_PROJECTION)) {
        int n = kind == DDB_EXPR_UPDATE ? e->nactions : e->npaths;
        const ddb_path **paths = malloc(sizeof *paths * (size_t)(n ? n : 1));
        if (!paths) {
            rc = hg_err_internal(err, "out of memory");
        } else {
            for (int i = 0; i < n; i++) {
                paths[i] = kind == DDB_EXPR_UPDATE ? &e->actions[i].path : &e->paths[i];
                if (!add_root(e, paths[i]->elems[0].name))
                    rc = hg_err_internal(err, "out of memory");
            }
            check_overlaps(&p, paths, n);
            free(paths);
        }
    }

    /* Conditions, filters and key conditions: the roots of every path named. */
    if (rc == 0 && e->root && !collect_roots(e, e->root))
        rc = hg_err_internal(err, "out of memory");

    /* The highest-ranked deferred problem, if any. */
    if (rc == 0) {
        for (int r = 0; r < NCAT; r++) {
            int c = kind == DDB_EXPR_UPDATE ? update_rank[r] : r;
            if (p.defer[c]) {
                rc = hg_err_validation(err, "Invalid %s: %s", label, p.defer[c]);
                break;
            }
        }
    }
    for (int c = 0; c < NCAT; c++)
        free(p.defer[c]);

    if (rc == 0 && kind == DDB_EXPR_KEY) {
        ddb_keycond kc;
        rc = ddb_keycond_extract(e->root, &kc, err);
    }
    if (rc < 0) {
        ddb_expr_free(e);
        return -1;
    }
    *out = e;
    return 0;
}

int ddb_expr_update_targets(const ddb_expr *e, const char ***names)
{
    *names = e->roots;
    return e->kind == DDB_EXPR_UPDATE ? e->nroots : 0;
}

int ddb_expr_projection_roots(const ddb_expr *e, const char ***names)
{
    *names = e->roots;
    return e->kind == DDB_EXPR_PROJECTION ? e->nroots : 0;
}

int ddb_expr_roots(const ddb_expr *e, const char ***names)
{
    *names = e->roots;
    return e->nroots;
}

const char *ddb_expr_absent_attr(const ddb_expr *e)
{
    const ddb_node *n = e && e->kind == DDB_EXPR_CONDITION ? e->root : NULL;
    if (!n || n->kind != DN_FUNC || n->func != DF_ATTRIBUTE_NOT_EXISTS || n->nargs != 1) return NULL;
    const ddb_node *p = n->args[0];
    return p->kind == DN_PATH && p->path.n == 1 ? p->path.elems[0].name : NULL;
}

bool ddb_expr_update_only_removes(const ddb_expr *e)
{
    if (e->kind != DDB_EXPR_UPDATE) return false;
    for (int i = 0; i < e->nactions; i++)
        if (e->actions[i].clause == DU_SET || e->actions[i].clause == DU_ADD) return false;
    return true;
}

cJSON *ddb_expr_project_updated(const ddb_expr *e, const cJSON *item)
{
    if (!e || e->kind != DDB_EXPR_UPDATE || !item || e->nactions == 0) return NULL;
    /* a projection over the update's target paths; the view borrows them */
    ddb_path *paths = malloc(sizeof *paths * (size_t)e->nactions);
    if (!paths) return NULL;
    for (int i = 0; i < e->nactions; i++) paths[i] = e->actions[i].path;
    ddb_expr view = { .kind = DDB_EXPR_PROJECTION, .paths = paths, .npaths = e->nactions };
    cJSON *parts = ddb_expr_project(&view, item);
    free(paths);
    return parts;
}
