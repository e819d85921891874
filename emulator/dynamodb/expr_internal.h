/*
 * expr_internal.h — the pieces the expression files share: tokens (expr_lex.c),
 * the AST (expr_parse.c builds it), document paths, and the helpers the
 * evaluator (expr_eval.c) and the update applier (expr_update.c) use.
 *
 * Invariants of a parsed ddb_expr:
 *   1. Every path element name is owned by the path (resolved from #names).
 *   2. Every DN_VALUE points into the env's values object (borrowed).
 *   3. Every node was type-checked at parse time: function arity is right,
 *      functions that need a document path have one, and DN_FUNC nodes that
 *      yield booleans appear only where a condition is expected.
 */
#ifndef DDB_EXPR_INTERNAL_H
#define DDB_EXPR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "expr.h"
#include "hg_error.h"

/* Limits, each with its reason. */
#define DDB_EXPR_MAX_LEN       4096  /* AWS: expression strings are at most 4 KB */
#define DDB_EXPR_MAX_OPERATORS 300   /* AWS: at most 300 operators/functions */
#define DDB_EXPR_MAX_IN        100   /* AWS: IN takes at most 100 operands */
#define DDB_EXPR_MAX_DEPTH     64    /* ours: bounds recursion on hostile nesting */
#define DDB_EXPR_MAX_PATH      64    /* path elements; items nest at most 32 deep */

/* ---- Lexer (expr_lex.c) ---------------------------------------------------- */

typedef enum ddb_tok_type {
    TK_EOF = 0,
    TK_IDENT,      /* [A-Za-z_][A-Za-z0-9_]*: names, keywords, function names */
    TK_NAME_REF,   /* #name */
    TK_VALUE_REF,  /* :value */
    TK_INT,        /* [0-9]+, only meaningful inside [ ] */
    TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_COMMA, TK_DOT,
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_PLUS, TK_MINUS,
    TK_BAD         /* any other character (one UTF-8 sequence) */
} ddb_tok_type;

typedef struct ddb_tok {
    ddb_tok_type type;
    size_t start, len;     /* byte span in the expression text */
} ddb_tok;

typedef struct ddb_lexer {
    const char *text;
    size_t len, pos;
} ddb_lexer;

void ddb_lex_init(ddb_lexer *lx, const char *text, size_t len);
/* The next token; never fails (unknown characters become TK_BAD). */
ddb_tok ddb_lex_next(ddb_lexer *lx);
/* Case-insensitive match of an identifier token against a keyword. */
bool ddb_tok_is_kw(const ddb_lexer *lx, const ddb_tok *t, const char *kw);

/* ---- Reserved words (expr_reserved.c) ------------------------------------- */

bool ddb_expr_is_reserved(const char *p, size_t n);
size_t ddb_expr_reserved_count(void);
const char *ddb_expr_reserved_word(size_t i);

/* ---- Paths ------------------------------------------------------------------ */

typedef struct ddb_path_elem {
    char  *name;     /* owned; NULL for a list index */
    size_t index;
} ddb_path_elem;

typedef struct ddb_path {
    ddb_path_elem *elems;   /* owned */
    int n;
} ddb_path;

void ddb_path_release(ddb_path *p);
/* Find the AV a path designates in item (an object of AVs); NULL if absent. */
const cJSON *ddb_path_get(const cJSON *item, const ddb_path *p);
/* Render "[a, b, [1]]" as AWS does in overlap messages. */
void ddb_path_render(const ddb_path *p, char *buf, size_t cap);

/* ---- AST ------------------------------------------------------------------- */

typedef enum ddb_func {
    DF_NONE = 0,
    DF_ATTRIBUTE_EXISTS, DF_ATTRIBUTE_NOT_EXISTS, DF_ATTRIBUTE_TYPE,
    DF_BEGINS_WITH, DF_CONTAINS, DF_SIZE, DF_IF_NOT_EXISTS, DF_LIST_APPEND
} ddb_func;

typedef enum ddb_node_kind {
    DN_PATH, DN_VALUE, DN_FUNC,
    DN_CMP,        /* op is TK_EQ .. TK_GE */
    DN_BETWEEN, DN_IN, DN_AND, DN_OR, DN_NOT,
    DN_PLUS, DN_MINUS
} ddb_node_kind;

typedef struct ddb_node {
    ddb_node_kind kind;
    ddb_tok_type  op;          /* DN_CMP */
    ddb_func      func;        /* DN_FUNC */
    ddb_path      path;        /* DN_PATH */
    const cJSON  *value;       /* DN_VALUE, borrowed from the env */
    struct ddb_node **args;    /* owned */
    int nargs;
} ddb_node;

void ddb_node_free(ddb_node *n);

typedef enum ddb_clause { DU_SET, DU_REMOVE, DU_ADD, DU_DELETE } ddb_clause;

typedef struct ddb_update_action {
    ddb_clause clause;
    ddb_path   path;
    ddb_node  *value;      /* SET: value tree; ADD/DELETE: DN_VALUE; REMOVE: NULL */
} ddb_update_action;

struct ddb_expr {
    ddb_expr_kind kind;
    ddb_node *root;                 /* CONDITION, FILTER, KEY */
    ddb_update_action *actions;     /* UPDATE */
    int nactions;
    ddb_path *paths;                /* PROJECTION */
    int npaths;
    const char **roots;             /* distinct first elements, borrowed from paths/actions */
    int nroots;
};

/* ---- Evaluation helpers (expr_eval.c) -------------------------------------- */

/* The operand value of n against item: a path lookup, a value, or size()
 * (which needs storage: *tmp receives a new cJSON the caller frees).
 * NULL when the operand is absent or size() does not apply. */
const cJSON *ddb_operand(const ddb_node *n, const cJSON *item, cJSON **tmp);

/* Validate the shape of a KEY expression (used at parse time too). */
int ddb_keycond_extract(const ddb_node *root, ddb_keycond *out, hg_err *err);

#endif
