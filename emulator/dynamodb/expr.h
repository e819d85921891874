/*
 * expr.h — DynamoDB's expression languages: ConditionExpression and
 * FilterExpression, KeyConditionExpression, ProjectionExpression and
 * UpdateExpression, with a real lexer and recursive-descent parser
 * (expr_lex.c, expr_parse.c) and an evaluator (expr_eval.c).
 *
 * Life of an expression in one request:
 *   ddb_expr_env_init(&env, names, values)       names/values borrowed from the request
 *   ddb_expr_parse(&env, KIND, text, &e, err)    one per expression in the request;
 *                                                records which #names/:values it used
 *   ddb_expr_env_check_unused(&env, err)         after all parses: AWS rejects unused ones
 *   ... evaluate e against items ...
 *   ddb_expr_free(e); ddb_expr_env_release(&env)
 *
 * Parse errors are ValidationException with AWS's wording, e.g.
 *   "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"a = = b\""
 *   "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"
 *   "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
 *   "Value provided in ExpressionAttributeNames unused in expressions: keys: {#n}"
 *   "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"
 *   "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"
 *
 * Ownership: a ddb_expr owns its AST; values it references from the env are
 * borrowed, so the env's cJSON must outlive evaluation. Results that are new
 * cJSON (projections) are owned by the caller.
 */
#ifndef DDB_EXPR_H
#define DDB_EXPR_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "hg_error.h"

typedef enum ddb_expr_kind {
    DDB_EXPR_CONDITION,   /* ConditionExpression */
    DDB_EXPR_FILTER,      /* FilterExpression (same grammar, other name in messages) */
    DDB_EXPR_KEY,         /* KeyConditionExpression */
    DDB_EXPR_PROJECTION,  /* ProjectionExpression */
    DDB_EXPR_UPDATE       /* UpdateExpression */
} ddb_expr_kind;

/* The ExpressionAttributeNames/Values of one request and which were used. */
typedef struct ddb_expr_env {
    const cJSON *names;      /* object "#n" -> "name", or NULL; borrowed */
    const cJSON *values;     /* object ":v" -> AV, or NULL; borrowed */
    unsigned char *names_used;   /* one flag per member of names (owned) */
    unsigned char *values_used;  /* one flag per member of values (owned) */
    int nnames, nvalues;
} ddb_expr_env;

typedef struct ddb_expr ddb_expr;

/* names/values may be NULL (absent in the request). Validation that they are
 * objects, non-empty when present ("ExpressionAttributeNames must not be
 * empty"), and that each value is a valid AV is done here.
 * Returns -1 with a ValidationException on bad input. */
int  ddb_expr_env_init(ddb_expr_env *env, const cJSON *names, const cJSON *values, hg_err *err);
void ddb_expr_env_release(ddb_expr_env *env);
int  ddb_expr_env_check_unused(const ddb_expr_env *env, hg_err *err);

/* Parse text as an expression of the given kind. On success *out is a new
 * expression (free with ddb_expr_free). Empty text is an error
 * ("Invalid UpdateExpression: The expression can not be empty;"). */
int  ddb_expr_parse(ddb_expr_env *env, ddb_expr_kind kind, const char *text,
                    ddb_expr **out, hg_err *err);
void ddb_expr_free(ddb_expr *e);

/* ---- Condition / Filter ------------------------------------------------- */

/* Evaluate a CONDITION or FILTER expression against item (NULL = no item, as
 * for a PutItem on a new key: every path is absent). Type mismatches make a
 * comparison false, as in DynamoDB; only things AWS rejects at run time fail
 * (e.g. size() of an unsupported type is just false). */
int ddb_expr_eval(const ddb_expr *e, const cJSON *item, bool *result, hg_err *err);

/* ---- Update -------------------------------------------------------------- */

/* Apply an UPDATE expression to *item in place (item is an object of AVs;
 * a missing item must be passed as an empty object). All operands are
 * evaluated against the item as it was before the update, as AWS does.
 * Errors as AWS words them, e.g.
 *   "The provided expression refers to an attribute that does not exist in the item"
 *   "An operand in the update expression has an incorrect data type"
 *   "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
 * The resulting item is validated/canonicalised (numbers exact via number.h;
 * empty sets after DELETE remove the attribute). */
int ddb_expr_apply_update(const ddb_expr *e, cJSON *item, hg_err *err);

/* The top-level attribute names an UPDATE expression writes (SET, REMOVE,
 * ADD, DELETE targets' first path element), for key-attribute checks
 * ("Cannot update attribute id. This attribute is part of the key") and for
 * ReturnValues UPDATED_OLD/UPDATED_NEW. Returns the count; names[i] are
 * borrowed from e and valid while e lives. */
int ddb_expr_update_targets(const ddb_expr *e, const char ***names);

/* ---- Projection ---------------------------------------------------------- */

/* A new item holding only the projected paths of item (nested maps/lists
 * kept as paths, list elements compacted as AWS does). Caller owns result. */
cJSON *ddb_expr_project(const ddb_expr *e, const cJSON *item);

/* The top-level attribute names a projection touches (for index projection
 * checks and "fetch" decisions). Same ownership as update_targets. */
int ddb_expr_projection_roots(const ddb_expr *e, const char ***names);

/* The parts of item that an UPDATE expression wrote, nested paths kept as
 * paths (ReturnValues UPDATED_OLD/UPDATED_NEW). New object, or NULL. */
cJSON *ddb_expr_project_updated(const ddb_expr *e, const cJSON *item);

/* An UPDATE made only of REMOVE/DELETE clauses (which never create an item). */
bool ddb_expr_update_only_removes(const ddb_expr *e);

/* The distinct top-level attribute names any expression refers to (paths
 * named in a condition/filter/key condition, projected or written paths).
 * Same ownership as update_targets. */
int ddb_expr_roots(const ddb_expr *e, const char ***names);

/* The attribute a condition is exactly `attribute_not_exists(name)` of (a
 * top-level name, nothing else in the expression), else NULL. Borrowed
 * from e. */
const char *ddb_expr_absent_attr(const ddb_expr *e);

/* ---- Key condition ------------------------------------------------------- */

typedef enum ddb_key_op {
    DDB_KEY_NONE = 0, DDB_KEY_EQ, DDB_KEY_LT, DDB_KEY_LE, DDB_KEY_GT, DDB_KEY_GE,
    DDB_KEY_BETWEEN, DDB_KEY_BEGINS_WITH
} ddb_key_op;

/* The shape of a KEY expression: `hash = :v [AND range-condition]` (either
 * order). Names are resolved (#n replaced), values borrowed from the env.
 * Shape errors use AWS's words ("Invalid KeyConditionExpression: ..."); the
 * match against the table's key schema is done by the Query operation. */
typedef struct ddb_keycond {
    const char  *hash_name;
    const cJSON *hash_value;
    const char  *range_name;     /* NULL when there is no range condition */
    ddb_key_op   range_op;
    const cJSON *range_v1, *range_v2;   /* v2 only for BETWEEN */
} ddb_keycond;

int ddb_expr_keycond(const ddb_expr *e, ddb_keycond *out, hg_err *err);

#endif
