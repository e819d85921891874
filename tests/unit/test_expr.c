/*
 * test_expr.c — DynamoDB expression languages: lexer, parser errors with
 * AWS's wording, condition evaluation, updates, projections, key conditions,
 * reserved words and hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "expr_internal.h"
#include "attr.h"

/* ---- Helpers ------------------------------------------------------------------ */

typedef struct ctx {
    cJSON *names, *values;
    ddb_expr_env env;
    ddb_expr *e;
    hg_err err;
} ctx;

/* Parse text with names/values given as JSON text (NULL = absent). */
static int parse(ctx *c, ddb_expr_kind kind, const char *text, const char *names, const char *values)
{
    memset(c, 0, sizeof *c);
    c->names = names ? cJSON_Parse(names) : NULL;
    c->values = values ? cJSON_Parse(values) : NULL;
    if (names)
        assert_non_null(c->names);
    if (values)
        assert_non_null(c->values);
    if (ddb_expr_env_init(&c->env, c->names, c->values, &c->err) < 0)
        return -1;
    return ddb_expr_parse(&c->env, kind, text, &c->e, &c->err);
}

static void done(ctx *c)
{
    ddb_expr_free(c->e);
    ddb_expr_env_release(&c->env);
    cJSON_Delete(c->names);
    cJSON_Delete(c->values);
}

/* Expect a parse failure whose message is exactly msg. */
static void parse_fails(ddb_expr_kind kind, const char *text, const char *names, const char *values,
                        const char *msg)
{
    ctx c;
    int rc = parse(&c, kind, text, names, values);
    if (rc == 0)
        fail_msg("expected failure for '%s'", text);
    assert_string_equal(c.err.code, "ValidationException");
    if (strcmp(c.err.message, msg) != 0)
        fail_msg("for '%s'\n got: %s\nwant: %s", text, c.err.message, msg);
    assert_null(c.e);
    done(&c);
}

static void parse_fails_with(ddb_expr_kind kind, const char *text, const char *names, const char *values,
                             const char *part)
{
    ctx c;
    int rc = parse(&c, kind, text, names, values);
    if (rc == 0)
        fail_msg("expected failure for '%.60s'", text);
    if (!strstr(c.err.message, part))
        fail_msg("for '%.60s'\n got: %s\nwant part: %s", text, c.err.message, part);
    done(&c);
}

/* Evaluate a condition on an item (JSON text, NULL = no item). */
static bool cond(const char *text, const char *item, const char *names, const char *values)
{
    ctx c;
    if (parse(&c, DDB_EXPR_CONDITION, text, names, values) < 0)
        fail_msg("parse '%s': %s", text, c.err.message);
    cJSON *it = item ? cJSON_Parse(item) : NULL;
    bool r = false;
    assert_int_equal(ddb_expr_eval(c.e, it, &r, &c.err), 0);
    cJSON_Delete(it);
    done(&c);
    return r;
}

/* Apply an update to item JSON; returns the canonical JSON text of the
 * result (caller frees) or NULL with *msg filled on failure. */
static char *update(const char *text, const char *item, const char *names, const char *values, char *msg)
{
    ctx c;
    if (parse(&c, DDB_EXPR_UPDATE, text, names, values) < 0)
        fail_msg("parse '%s': %s", text, c.err.message);
    cJSON *it = cJSON_Parse(item);
    assert_non_null(it);
    char *out = NULL;
    if (ddb_expr_apply_update(c.e, it, &c.err) == 0)
        out = cJSON_PrintUnformatted(it);
    else if (msg)
        strcpy(msg, c.err.message);
    cJSON_Delete(it);
    done(&c);
    return out;
}

static void update_is(const char *text, const char *item, const char *names, const char *values,
                      const char *want)
{
    char msg[HG_ERR_MSG_MAX] = "";
    char *got = update(text, item, names, values, msg);
    if (!got)
        fail_msg("update '%s' failed: %s", text, msg);
    cJSON *a = cJSON_Parse(got), *b = cJSON_Parse(want);
    assert_non_null(b);
    if (!cJSON_Compare(a, b, 1))
        fail_msg("update '%s'\n got: %s\nwant: %s", text, got, want);
    cJSON_Delete(a);
    cJSON_Delete(b);
    free(got);
}

static void update_fails(const char *text, const char *item, const char *names, const char *values,
                         const char *want)
{
    char msg[HG_ERR_MSG_MAX] = "";
    char *got = update(text, item, names, values, msg);
    if (got)
        fail_msg("update '%s' should fail, got %s", text, got);
    if (strcmp(msg, want) != 0)
        fail_msg("update '%s'\n got: %s\nwant: %s", text, msg, want);
}

static const char *ITEM =
    "{\"id\":{\"S\":\"k1\"},\"n\":{\"N\":\"5\"},\"s\":{\"S\":\"hello\"},\"b\":{\"B\":\"AQID\"},"
    "\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2.5\"]},\"bs\":{\"BS\":[\"AQ==\"]},"
    "\"l\":{\"L\":[{\"S\":\"x\"},{\"N\":\"2\"},{\"M\":{\"c\":{\"S\":\"deep\"}}}]},"
    "\"m\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"L\":[{\"N\":\"10\"},{\"N\":\"20\"}]}}},"
    "\"t\":{\"BOOL\":true},\"z\":{\"NULL\":true}}";

/* ---- Lexer and reserved words ---------------------------------------------------- */

static void test_lexer_tokens(void **state)
{
    (void)state;
    const char *s = "a.#b[12] <> :v <= >= < > = ( ) , + - $";
    ddb_tok_type want[] = { TK_IDENT, TK_DOT, TK_NAME_REF, TK_LBRACK, TK_INT, TK_RBRACK, TK_NE,
        TK_VALUE_REF, TK_LE, TK_GE, TK_LT, TK_GT, TK_EQ, TK_LPAREN, TK_RPAREN, TK_COMMA,
        TK_PLUS, TK_MINUS, TK_BAD, TK_EOF };
    ddb_lexer lx;
    ddb_lex_init(&lx, s, strlen(s));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        assert_int_equal(ddb_lex_next(&lx).type, want[i]);
    assert_int_equal(ddb_lex_next(&lx).type, TK_EOF);

    ddb_lex_init(&lx, "# :", 3);
    assert_int_equal(ddb_lex_next(&lx).type, TK_BAD);
    assert_int_equal(ddb_lex_next(&lx).type, TK_BAD);
}

static void test_reserved_words(void **state)
{
    (void)state;
    assert_int_equal(ddb_expr_reserved_count(), 573);
    for (size_t i = 1; i < ddb_expr_reserved_count(); i++)
        assert_true(strcmp(ddb_expr_reserved_word(i - 1), ddb_expr_reserved_word(i)) < 0);
    assert_true(ddb_expr_is_reserved("name", 4));
    assert_true(ddb_expr_is_reserved("Status", 6));
    assert_true(ddb_expr_is_reserved("ZONE", 4));
    assert_true(ddb_expr_is_reserved("abort", 5));
    assert_false(ddb_expr_is_reserved("names2", 6));
    assert_false(ddb_expr_is_reserved("id", 2));
    assert_false(ddb_expr_is_reserved("", 0));

    parse_fails(DDB_EXPR_CONDITION, "name = :v", NULL, "{\":v\":{\"S\":\"x\"}}",
                "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name");
    parse_fails(DDB_EXPR_UPDATE, "SET a.Status = :v", NULL, "{\":v\":{\"S\":\"x\"}}",
                "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Status");
    parse_fails(DDB_EXPR_PROJECTION, "a, size", NULL, NULL,
                "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: size");
    ctx c;
    assert_int_equal(parse(&c, DDB_EXPR_CONDITION, "#n = :v", "{\"#n\":\"name\"}", "{\":v\":{\"S\":\"x\"}}"), 0);
    done(&c);
}

/* ---- Parse errors ---------------------------------------------------------------- */

static const char *V1 = "{\":v\":{\"S\":\"x\"}}";

static void test_syntax_errors(void **state)
{
    (void)state;
    parse_fails(DDB_EXPR_CONDITION, "a = = :v", NULL, V1,
                "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= =\"");
    parse_fails(DDB_EXPR_CONDITION, "foo", NULL, NULL,
                "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"foo\"");
    parse_fails(DDB_EXPR_KEY, ":v a", NULL, V1,
                "Invalid KeyConditionExpression: Syntax error; token: \"a\", near: \":v a\"");
    parse_fails(DDB_EXPR_UPDATE, "SET a = :v 1", NULL, V1,
                "Invalid UpdateExpression: Syntax error; token: \"1\", near: \":v 1\"");
    parse_fails(DDB_EXPR_FILTER, "a = :v AND", NULL, V1,
                "Invalid FilterExpression: Syntax error; token: \"<EOF>\", near: \"AND\"");
    parse_fails(DDB_EXPR_CONDITION, "a $ :v", NULL, V1,
                "Invalid ConditionExpression: Syntax error; token: \"$\", near: \"a $\"");
    parse_fails(DDB_EXPR_PROJECTION, "a, , b", NULL, NULL,
                "Invalid ProjectionExpression: Syntax error; token: \",\", near: \", ,\"");
    parse_fails_with(DDB_EXPR_CONDITION, "(a = :v", NULL, V1, "token: \"<EOF>\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a[x] = :v", NULL, V1, "token: \"x\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a. = :v", NULL, V1, "token: \"=\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a = :v OR AND b = :v", NULL, V1, "token: \"AND\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a BETWEEN :v :v", NULL, V1, "Syntax error");
    parse_fails_with(DDB_EXPR_CONDITION, "a IN :v", NULL, V1, "Syntax error");
    parse_fails_with(DDB_EXPR_UPDATE, "SET a = :v + :v + :v", NULL, V1, "token: \"+\"");
    parse_fails_with(DDB_EXPR_UPDATE, "a = :v", NULL, V1, "token: \"a\"");
    parse_fails_with(DDB_EXPR_UPDATE, "ADD a", NULL, V1, "token: \"<EOF>\"");
    parse_fails_with(DDB_EXPR_UPDATE, "SET a = :v b = :v", NULL, V1, "token: \"b\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a = :v + :v", NULL, V1, "token: \"+\"");
    /* Syntax beats semantics: the undefined :nope is not what gets reported. */
    parse_fails_with(DDB_EXPR_CONDITION, "a = :nope = ", NULL, V1, "Syntax error");
}

static void test_empty_and_size(void **state)
{
    (void)state;
    parse_fails(DDB_EXPR_UPDATE, "", NULL, NULL, "Invalid UpdateExpression: The expression can not be empty;");
    parse_fails(DDB_EXPR_CONDITION, "   ", NULL, NULL, "Invalid ConditionExpression: The expression can not be empty;");
    parse_fails(DDB_EXPR_PROJECTION, "", NULL, NULL, "Invalid ProjectionExpression: The expression can not be empty;");
    char *big = malloc(5000);
    memset(big, 'a', 4097);
    big[4097] = '\0';
    parse_fails(DDB_EXPR_CONDITION, big, NULL, NULL,
                "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size;");
    free(big);
}

static void test_undefined_and_unused(void **state)
{
    (void)state;
    parse_fails(DDB_EXPR_CONDITION, "a = :v", NULL, NULL,
                "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v");
    parse_fails(DDB_EXPR_PROJECTION, "#x", "{\"#y\":\"y\"}", NULL,
                "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x");
    parse_fails(DDB_EXPR_KEY, "id = :v", NULL, "{\":w\":{\"S\":\"x\"}}",
                "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v");

    ctx c;
    assert_int_equal(parse(&c, DDB_EXPR_CONDITION, "#a = :a", "{\"#a\":\"a\",\"#b\":\"b\"}",
                           "{\":a\":{\"S\":\"1\"},\":b\":{\"S\":\"2\"},\":c\":{\"N\":\"3\"}}"), 0);
    assert_int_equal(ddb_expr_env_check_unused(&c.env, &c.err), -1);
    assert_string_equal(c.err.message, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}");
    done(&c);

    assert_int_equal(parse(&c, DDB_EXPR_CONDITION, "a = :a", NULL,
                           "{\":a\":{\"S\":\"1\"},\":b\":{\"S\":\"2\"},\":c\":{\"N\":\"3\"}}"), 0);
    assert_int_equal(ddb_expr_env_check_unused(&c.env, &c.err), -1);
    assert_string_equal(c.err.message, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b, :c}");
    done(&c);

    /* Two expressions of one request share the env: both uses count. */
    assert_int_equal(parse(&c, DDB_EXPR_CONDITION, "a = :a", NULL, "{\":a\":{\"S\":\"1\"},\":b\":{\"S\":\"2\"}}"), 0);
    ddb_expr *e2;
    assert_int_equal(ddb_expr_parse(&c.env, DDB_EXPR_UPDATE, "SET b = :b", &e2, &c.err), 0);
    assert_int_equal(ddb_expr_env_check_unused(&c.env, &c.err), 0);
    ddb_expr_free(e2);
    done(&c);

    /* The env itself. */
    parse_fails(DDB_EXPR_CONDITION, "a = :a", "{}", NULL, "ExpressionAttributeNames must not be empty");
    parse_fails(DDB_EXPR_CONDITION, "a = :a", NULL, "{}", "ExpressionAttributeValues must not be empty");
    parse_fails_with(DDB_EXPR_CONDITION, "a = :a", NULL, "{\"a\":{\"S\":\"1\"}}", "invalid key");
    parse_fails_with(DDB_EXPR_CONDITION, "a = :a", NULL, "{\":a\":{\"N\":\"x1\"}}", "numeric");
}

static void test_function_errors(void **state)
{
    (void)state;
    parse_fails(DDB_EXPR_CONDITION, "foo(a)", NULL, NULL,
                "Invalid ConditionExpression: Invalid function name; function: foo");
    parse_fails(DDB_EXPR_CONDITION, "attribute_exists(a, b)", NULL, NULL,
                "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2");
    parse_fails(DDB_EXPR_CONDITION, "begins_with(a)", NULL, NULL,
                "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1");
    parse_fails(DDB_EXPR_CONDITION, "attribute_exists(:v)", NULL, V1,
                "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists");
    parse_fails(DDB_EXPR_CONDITION, "size(:v) > :v", NULL, V1,
                "Invalid ConditionExpression: Operator or function requires a document path; operator or function: size");
    parse_fails(DDB_EXPR_CONDITION, "size(a)", NULL, NULL,
                "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size");
    parse_fails(DDB_EXPR_CONDITION, "attribute_exists(a) = :v", NULL, V1,
                "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists");
    parse_fails(DDB_EXPR_CONDITION, "attribute_type(a, :t)", NULL, "{\":t\":{\"S\":\"X\"}}",
                "Invalid ConditionExpression: Invalid attribute type name found; type: X, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
    parse_fails(DDB_EXPR_CONDITION, "attribute_type(a, :t)", NULL, "{\":t\":{\"N\":\"1\"}}",
                "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N");
    parse_fails(DDB_EXPR_CONDITION, "begins_with(a, :t)", NULL, "{\":t\":{\"N\":\"1\"}}",
                "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N");
    parse_fails(DDB_EXPR_CONDITION, "if_not_exists(a, :v) = :v", NULL, V1,
                "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists");
    parse_fails(DDB_EXPR_UPDATE, "SET a = size(b)", NULL, NULL,
                "Invalid UpdateExpression: The function is not allowed in an update expression; function: size");
    parse_fails(DDB_EXPR_UPDATE, "SET a = bar(b)", NULL, NULL,
                "Invalid UpdateExpression: Invalid function name; function: bar");
    parse_fails(DDB_EXPR_UPDATE, "SET a = if_not_exists(:v, b)", NULL, V1,
                "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists");
    parse_fails(DDB_EXPR_UPDATE, "SET a = list_append(:v, b)", NULL, V1,
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S");
    parse_fails(DDB_EXPR_UPDATE, "SET a = b + :v", NULL, V1,
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S");
    parse_fails(DDB_EXPR_CONDITION, "a = a", NULL, NULL,
                "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]");
}

static void test_between_errors(void **state)
{
    (void)state;
    parse_fails(DDB_EXPR_CONDITION, "a BETWEEN :hi AND :lo", NULL, "{\":hi\":{\"N\":\"5\"},\":lo\":{\"N\":\"1\"}}",
                "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}");
    parse_fails(DDB_EXPR_CONDITION, "a BETWEEN :a AND :b", NULL, "{\":a\":{\"N\":\"5\"},\":b\":{\"S\":\"x\"}}",
                "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {S:x}");
    /* IN: up to 100 operands. */
    char buf[2048] = "a IN (";
    for (int i = 0; i < 101; i++)
        strcat(buf, i ? ", :v" : ":v");
    strcat(buf, ")");
    parse_fails(DDB_EXPR_CONDITION, buf, NULL, V1,
                "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101");
    buf[strlen(buf) - 5] = ')';
    buf[strlen(buf) - 4] = '\0';
    ctx c;
    assert_int_equal(parse(&c, DDB_EXPR_CONDITION, buf, NULL, V1), 0);
    done(&c);
}

static void test_update_parse_errors(void **state)
{
    (void)state;
    parse_fails(DDB_EXPR_UPDATE, "SET a = :v SET b = :v", NULL, V1,
                "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;");
    parse_fails(DDB_EXPR_UPDATE, "REMOVE a remove b", NULL, NULL,
                "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;");
    parse_fails(DDB_EXPR_UPDATE, "SET a = :v, a.b = :v", NULL, V1,
                "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]");
    parse_fails(DDB_EXPR_UPDATE, "SET a = :v REMOVE a", NULL, V1,
                "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]");
    parse_fails(DDB_EXPR_UPDATE, "SET a[1] = :v REMOVE a.b", NULL, V1,
                "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]");
    parse_fails(DDB_EXPR_UPDATE, "ADD a :v", NULL, V1,
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING");
    parse_fails(DDB_EXPR_UPDATE, "DELETE a :n", NULL, "{\":n\":{\"N\":\"1\"}}",
                "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER");
    parse_fails(DDB_EXPR_UPDATE, "SET a = :nope", NULL, NULL,
                "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :nope");
    parse_fails(DDB_EXPR_PROJECTION, "a.b, a", NULL, NULL,
                "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]");

    ctx c;
    assert_int_equal(parse(&c, DDB_EXPR_UPDATE, "delete ss :s set #x = :v, y = :v add n :n remove q, r[2]",
                           "{\"#x\":\"x\"}", "{\":s\":{\"SS\":[\"a\"]},\":v\":{\"S\":\"v\"},\":n\":{\"N\":\"1\"}}"), 0);
    const char **names;
    int n = ddb_expr_update_targets(c.e, &names);
    assert_int_equal(n, 6);
    assert_string_equal(names[0], "ss");
    assert_string_equal(names[1], "x");
    assert_string_equal(names[5], "r");
    done(&c);
}

/* ---- Evaluation -------------------------------------------------------------------- */

static void test_comparisons(void **state)
{
    (void)state;
    const char *v = "{\":five\":{\"N\":\"5.0\"},\":six\":{\"N\":\"6\"},\":s\":{\"S\":\"hello\"},"
                    "\":t\":{\"S\":\"help\"},\":b\":{\"B\":\"AQID\"},\":ss\":{\"SS\":[\"b\",\"a\"]}}";
    assert_true(cond("n = :five", ITEM, NULL, v));
    assert_false(cond("n <> :five", ITEM, NULL, v));
    assert_true(cond("n < :six", ITEM, NULL, v));
    assert_true(cond("n <= :five", ITEM, NULL, v));
    assert_false(cond("n > :five", ITEM, NULL, v));
    assert_true(cond("n >= :five", ITEM, NULL, v));
    assert_true(cond(":six > n", ITEM, NULL, v));
    assert_true(cond("s < :t", ITEM, NULL, v));
    assert_true(cond("b = :b", ITEM, NULL, v));
    assert_true(cond("ss = :ss", ITEM, NULL, v));
    /* Different types: false, not an error; <> is true. */
    assert_false(cond("n = :s", ITEM, NULL, v));
    assert_false(cond("n < :s", ITEM, NULL, v));
    assert_true(cond("n <> :s", ITEM, NULL, v));
    /* Absent attributes. */
    assert_false(cond("absent = :s", ITEM, NULL, v));
    assert_true(cond("absent <> :s", ITEM, NULL, v));
    assert_false(cond("n = :five", NULL, NULL, v));
    /* < on sets is false. */
    assert_false(cond("ss < :ss", ITEM, NULL, v));
    /* Nested paths. */
    const char *v2 = "{\":d\":{\"S\":\"deep\"},\":20\":{\"N\":\"20\"},\":x\":{\"S\":\"x\"}}";
    assert_true(cond("l[2].c = :d", ITEM, NULL, v2));
    assert_true(cond("m.b[1] = :20", ITEM, NULL, v2));
    assert_true(cond("#m.#b[1] = :20", ITEM, "{\"#m\":\"m\",\"#b\":\"b\"}", v2));
    assert_true(cond("l[0] = :x", ITEM, NULL, v2));
    assert_false(cond("l[9] = :x", ITEM, NULL, v2));
    assert_false(cond("m.b.c = :x", ITEM, NULL, v2));
    assert_false(cond("s[0] = :x", ITEM, NULL, v2));
}

static void test_between_in(void **state)
{
    (void)state;
    const char *v = "{\":1\":{\"N\":\"1\"},\":5\":{\"N\":\"5\"},\":9\":{\"N\":\"9\"},\":a\":{\"S\":\"a\"},\":z\":{\"S\":\"z\"}}";
    assert_true(cond("n BETWEEN :1 AND :9", ITEM, NULL, v));
    assert_true(cond("n BETWEEN :5 AND :5", ITEM, NULL, v));
    assert_false(cond("n between :1 and :1", ITEM, NULL, v));
    assert_true(cond("s BETWEEN :a AND :z", ITEM, NULL, v));
    assert_false(cond("n BETWEEN :a AND :z", ITEM, NULL, v));
    assert_true(cond("n IN (:1, :5)", ITEM, NULL, v));
    assert_true(cond("n in (:5)", ITEM, NULL, v));
    assert_false(cond("n IN (:1, :9)", ITEM, NULL, v));
    assert_false(cond("absent IN (:1, :9)", ITEM, NULL, v));
}

static void test_logic_and_precedence(void **state)
{
    (void)state;
    const char *v = "{\":1\":{\"N\":\"1\"},\":5\":{\"N\":\"5\"}}";
    /* AND binds tighter than OR: T OR (F AND F) = T. */
    assert_true(cond("n = :5 OR n = :1 AND n = :1", ITEM, NULL, v));
    assert_false(cond("(n = :5 OR n = :1) AND n = :1", ITEM, NULL, v));
    /* NOT binds tighter than AND: (NOT F) AND T. */
    assert_true(cond("NOT n = :1 AND n = :5", ITEM, NULL, v));
    assert_false(cond("NOT (n = :1 OR n = :5)", ITEM, NULL, v));
    assert_true(cond("not not n = :5", ITEM, NULL, v));
    assert_true(cond("((n = :5))", ITEM, NULL, v));
    assert_true(cond("(n) = :5", ITEM, NULL, v));
    assert_true(cond("(size(s)) = :5", ITEM, NULL, v));
    assert_true(cond("attribute_exists(n) AnD NOT attribute_exists(absent)", ITEM, NULL, NULL));
}

static void test_functions(void **state)
{
    (void)state;
    const char *v = "{\":he\":{\"S\":\"he\"},\":lo\":{\"S\":\"llo\"},\":a\":{\"S\":\"a\"},\":q\":{\"S\":\"q\"},"
                    "\":n1\":{\"N\":\"1.0\"},\":n2\":{\"N\":\"2\"},\":x\":{\"S\":\"x\"},\":b1\":{\"B\":\"AQ==\"},"
                    "\":S\":{\"S\":\"S\"},\":M\":{\"S\":\"M\"},\":NULL\":{\"S\":\"NULL\"},\":5\":{\"N\":\"5\"},"
                    "\":3\":{\"N\":\"3\"},\":2\":{\"N\":\"2\"},\":0\":{\"N\":\"0\"},\":1\":{\"N\":\"1\"}}";
    assert_true(cond("attribute_exists(s)", ITEM, NULL, v));
    assert_false(cond("attribute_exists(nope)", ITEM, NULL, v));
    assert_true(cond("attribute_not_exists(nope)", ITEM, NULL, v));
    assert_true(cond("attribute_not_exists(id)", NULL, NULL, v));
    assert_true(cond("attribute_exists(m.b[0])", ITEM, NULL, v));
    assert_true(cond("attribute_type(s, :S)", ITEM, NULL, v));
    assert_true(cond("attribute_type(m, :M)", ITEM, NULL, v));
    assert_true(cond("attribute_type(z, :NULL)", ITEM, NULL, v));
    assert_false(cond("attribute_type(s, :M)", ITEM, NULL, v));
    assert_true(cond("begins_with(s, :he)", ITEM, NULL, v));
    assert_false(cond("begins_with(s, :lo)", ITEM, NULL, v));
    assert_true(cond("begins_with(b, :b1)", ITEM, NULL, v));
    assert_false(cond("begins_with(n, :he)", ITEM, NULL, v));
    assert_true(cond("contains(s, :lo)", ITEM, NULL, v));
    assert_false(cond("contains(s, :q)", ITEM, NULL, v));
    assert_true(cond("contains(ss, :a)", ITEM, NULL, v));
    assert_false(cond("contains(ss, :q)", ITEM, NULL, v));
    assert_true(cond("contains(ns, :n1)", ITEM, NULL, v));
    assert_false(cond("contains(ns, :n2)", ITEM, NULL, v));
    assert_true(cond("contains(bs, :b1)", ITEM, NULL, v));
    assert_true(cond("contains(l, :x)", ITEM, NULL, v));
    assert_true(cond("contains(l, :n2)", ITEM, NULL, v));
    assert_false(cond("contains(l, :q)", ITEM, NULL, v));
    assert_true(cond("size(s) = :5", ITEM, NULL, v));
    assert_true(cond("size(b) = :3", ITEM, NULL, v));
    assert_true(cond("size(ss) = :2", ITEM, NULL, v));
    assert_true(cond("size(l) = :3", ITEM, NULL, v));
    assert_true(cond("size(m) = :2", ITEM, NULL, v));
    assert_true(cond("size(m.b) > :1", ITEM, NULL, v));
    assert_false(cond("size(n) = :1", ITEM, NULL, v));
    assert_false(cond("size(nope) >= :0", ITEM, NULL, v));
    assert_true(cond(":5 = size(s)", ITEM, NULL, v));
    assert_true(cond("size(s) BETWEEN :1 AND :5", ITEM, NULL, v));
}

/* ---- Updates ------------------------------------------------------------------------ */

static void test_update_set(void **state)
{
    (void)state;
    const char *v = "{\":v\":{\"S\":\"new\"},\":one\":{\"N\":\"1\"},\":l\":{\"L\":[{\"N\":\"3\"}]}}";
    update_is("SET a = :v", "{}", NULL, v, "{\"a\":{\"S\":\"new\"}}");
    update_is("SET n = n + :one", "{\"n\":{\"N\":\"5\"}}", NULL, v, "{\"n\":{\"N\":\"6\"}}");
    update_is("SET n = :one - n", "{\"n\":{\"N\":\"5\"}}", NULL, v, "{\"n\":{\"N\":\"-4\"}}");
    update_is("SET n = if_not_exists(n, :one)", "{}", NULL, v, "{\"n\":{\"N\":\"1\"}}");
    update_is("SET n = if_not_exists(n, :one) + :one", "{\"n\":{\"N\":\"7\"}}", NULL, v, "{\"n\":{\"N\":\"8\"}}");
    update_is("SET l = list_append(l, :l)", "{\"l\":{\"L\":[{\"N\":\"1\"}]}}", NULL, v,
              "{\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"3\"}]}}");
    update_is("SET l = list_append(:l, l)", "{\"l\":{\"L\":[{\"N\":\"1\"}]}}", NULL, v,
              "{\"l\":{\"L\":[{\"N\":\"3\"},{\"N\":\"1\"}]}}");
    /* Nested set, list index replace and append beyond the end. */
    update_is("SET m.x = :v, l[0] = :v, l[9] = :one", "{\"m\":{\"M\":{}},\"l\":{\"L\":[{\"N\":\"1\"}]}}", NULL, v,
              "{\"m\":{\"M\":{\"x\":{\"S\":\"new\"}}},\"l\":{\"L\":[{\"S\":\"new\"},{\"N\":\"1\"}]}}");
    /* Right-hand sides see the item before the update: a swap. */
    update_is("SET a = b, b = a", "{\"a\":{\"N\":\"1\"},\"b\":{\"N\":\"2\"}}", NULL, NULL,
              "{\"a\":{\"N\":\"2\"},\"b\":{\"N\":\"1\"}}");
    update_is("SET #a = :v", "{}", "{\"#a\":\"name\"}", v, "{\"name\":{\"S\":\"new\"}}");

    /* Exact decimals: ten times 0.1 is 1. */
    char *item = strdup("{\"n\":{\"N\":\"0\"}}");
    for (int i = 0; i < 10; i++) {
        char *next = update("SET n = n + :p", item, NULL, "{\":p\":{\"N\":\"0.1\"}}", NULL);
        assert_non_null(next);
        free(item);
        item = next;
    }
    assert_string_equal(item, "{\"n\":{\"N\":\"1\"}}");
    free(item);

    update_fails("SET a = b", "{}", NULL, NULL,
                 "The provided expression refers to an attribute that does not exist in the item");
    update_fails("SET a = b + :one", "{\"b\":{\"S\":\"x\"}}", NULL, v,
                 "An operand in the update expression has an incorrect data type");
    update_fails("SET a = list_append(b, :l)", "{\"b\":{\"S\":\"x\"}}", NULL, v,
                 "An operand in the update expression has an incorrect data type");
    update_fails("SET m.x.y = :v", "{\"m\":{\"M\":{}}}", NULL, v,
                 "The document path provided in the update expression is invalid for update");
    update_fails("SET m[0] = :v", "{\"m\":{\"M\":{}}}", NULL, v,
                 "The document path provided in the update expression is invalid for update");
}

static void test_update_remove(void **state)
{
    (void)state;
    const char *it = "{\"a\":{\"S\":\"x\"},\"l\":{\"L\":[{\"N\":\"0\"},{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"}]},"
                     "\"m\":{\"M\":{\"k\":{\"N\":\"1\"},\"j\":{\"N\":\"2\"}}}}";
    update_is("REMOVE a, m.k", it, NULL, NULL,
              "{\"l\":{\"L\":[{\"N\":\"0\"},{\"N\":\"1\"},{\"N\":\"2\"},{\"N\":\"3\"}]},\"m\":{\"M\":{\"j\":{\"N\":\"2\"}}}}");
    /* Indexes refer to the original list. */
    update_is("REMOVE l[1], l[2]", it, NULL, NULL,
              "{\"a\":{\"S\":\"x\"},\"l\":{\"L\":[{\"N\":\"0\"},{\"N\":\"3\"}]},\"m\":{\"M\":{\"k\":{\"N\":\"1\"},\"j\":{\"N\":\"2\"}}}}");
    update_is("REMOVE l[0], l[3]", it, NULL, NULL,
              "{\"a\":{\"S\":\"x\"},\"l\":{\"L\":[{\"N\":\"1\"},{\"N\":\"2\"}]},\"m\":{\"M\":{\"k\":{\"N\":\"1\"},\"j\":{\"N\":\"2\"}}}}");
    update_is("REMOVE nope, l[9]", "{\"l\":{\"L\":[]}}", NULL, NULL, "{\"l\":{\"L\":[]}}");
    update_fails("REMOVE nope.x", "{}", NULL, NULL,
                 "The document path provided in the update expression is invalid for update");
}

static void test_update_add_delete(void **state)
{
    (void)state;
    const char *v = "{\":n\":{\"N\":\"2.5\"},\":ss\":{\"SS\":[\"b\",\"c\"]},\":ns\":{\"NS\":[\"1\",\"3\"]},"
                    "\":all\":{\"SS\":[\"a\",\"b\"]},\":bs\":{\"BS\":[\"AQ==\"]}}";
    update_is("ADD n :n", "{}", NULL, v, "{\"n\":{\"N\":\"2.5\"}}");
    update_is("ADD n :n", "{\"n\":{\"N\":\"1\"}}", NULL, v, "{\"n\":{\"N\":\"3.5\"}}");
    update_is("ADD s :ss", "{\"s\":{\"SS\":[\"a\",\"b\"]}}", NULL, v, "{\"s\":{\"SS\":[\"a\",\"b\",\"c\"]}}");
    update_is("ADD s :ns", "{\"s\":{\"NS\":[\"1.0\",\"2\"]}}", NULL, v, "{\"s\":{\"NS\":[\"1.0\",\"2\",\"3\"]}}");
    update_is("ADD m.s :ss", "{\"m\":{\"M\":{}}}", NULL, v, "{\"m\":{\"M\":{\"s\":{\"SS\":[\"b\",\"c\"]}}}}");
    update_is("DELETE s :ss", "{\"s\":{\"SS\":[\"a\",\"b\"]}}", NULL, v, "{\"s\":{\"SS\":[\"a\"]}}");
    update_is("DELETE s :all", "{\"s\":{\"SS\":[\"a\",\"b\"]},\"k\":{\"S\":\"x\"}}", NULL, v, "{\"k\":{\"S\":\"x\"}}");
    update_is("DELETE s :ss", "{}", NULL, v, "{}");
    update_is("DELETE s :bs", "{\"s\":{\"BS\":[\"AQ==\",\"Ag==\"]}}", NULL, v, "{\"s\":{\"BS\":[\"Ag==\"]}}");
    update_fails("ADD s :ss", "{\"s\":{\"NS\":[\"1\"]}}", NULL, v,
                 "An operand in the update expression has an incorrect data type");
    update_fails("ADD s :n", "{\"s\":{\"S\":\"x\"}}", NULL, v,
                 "An operand in the update expression has an incorrect data type");
    update_fails("DELETE s :ss", "{\"s\":{\"S\":\"x\"}}", NULL, v,
                 "An operand in the update expression has an incorrect data type");
    /* All clauses together; a failure leaves the item untouched. */
    update_is("SET a = :n REMOVE r ADD c :n DELETE s :ss", "{\"r\":{\"S\":\"x\"},\"s\":{\"SS\":[\"a\",\"c\"]}}",
              NULL, v, "{\"s\":{\"SS\":[\"a\"]},\"a\":{\"N\":\"2.5\"},\"c\":{\"N\":\"2.5\"}}");
}

static void test_update_atomic(void **state)
{
    (void)state;
    ctx c;
    assert_int_equal(parse(&c, DDB_EXPR_UPDATE, "SET a = :v, b = nope", NULL, V1), 0);
    cJSON *it = cJSON_Parse("{\"k\":{\"S\":\"1\"}}");
    assert_int_equal(ddb_expr_apply_update(c.e, it, &c.err), -1);
    char *s = cJSON_PrintUnformatted(it);
    assert_string_equal(s, "{\"k\":{\"S\":\"1\"}}");
    free(s);
    cJSON_Delete(it);
    done(&c);
}

/* ---- Projection ----------------------------------------------------------------------- */

static void project_is(const char *text, const char *names, const char *want)
{
    ctx c;
    if (parse(&c, DDB_EXPR_PROJECTION, text, names, NULL) < 0)
        fail_msg("parse '%s': %s", text, c.err.message);
    cJSON *it = cJSON_Parse(ITEM), *w = cJSON_Parse(want);
    cJSON *got = ddb_expr_project(c.e, it);
    assert_non_null(got);
    if (!cJSON_Compare(got, w, 1)) {
        char *g = cJSON_PrintUnformatted(got);
        fail_msg("project '%s'\n got: %s\nwant: %s", text, g, want);
    }
    cJSON_Delete(got);
    cJSON_Delete(w);
    cJSON_Delete(it);
    done(&c);
}

static void test_projection(void **state)
{
    (void)state;
    project_is("id, n", NULL, "{\"id\":{\"S\":\"k1\"},\"n\":{\"N\":\"5\"}}");
    project_is("nope", NULL, "{}");
    project_is("m.a", NULL, "{\"m\":{\"M\":{\"a\":{\"N\":\"1\"}}}}");
    project_is("m.b[1], m.a", NULL, "{\"m\":{\"M\":{\"b\":{\"L\":[{\"N\":\"20\"}]},\"a\":{\"N\":\"1\"}}}}");
    /* Elements of one list are compacted in original order. */
    project_is("l[2].c, l[0]", NULL, "{\"l\":{\"L\":[{\"S\":\"x\"},{\"M\":{\"c\":{\"S\":\"deep\"}}}]}}");
    project_is("l[7], #s", "{\"#s\":\"s\"}", "{\"s\":{\"S\":\"hello\"}}");

    ctx c;
    assert_int_equal(parse(&c, DDB_EXPR_PROJECTION, "m.a, m.b, id", NULL, NULL), 0);
    const char **roots;
    assert_int_equal(ddb_expr_projection_roots(c.e, &roots), 2);
    assert_string_equal(roots[0], "m");
    assert_string_equal(roots[1], "id");
    done(&c);
}

/* ---- Key conditions -------------------------------------------------------------------- */

static void test_keycond(void **state)
{
    (void)state;
    const char *v = "{\":h\":{\"S\":\"h\"},\":a\":{\"N\":\"1\"},\":b\":{\"N\":\"2\"}}";
    ctx c;
    ddb_keycond kc;
    assert_int_equal(parse(&c, DDB_EXPR_KEY, "id = :h AND sk BETWEEN :a AND :b", NULL, v), 0);
    assert_int_equal(ddb_expr_keycond(c.e, &kc, &c.err), 0);
    assert_string_equal(kc.hash_name, "id");
    assert_string_equal(ddb_av_payload(kc.hash_value)->valuestring, "h");
    assert_string_equal(kc.range_name, "sk");
    assert_int_equal(kc.range_op, DDB_KEY_BETWEEN);
    assert_non_null(kc.range_v2);
    done(&c);

    assert_int_equal(parse(&c, DDB_EXPR_KEY, ":a < #s AND #i = :h", "{\"#s\":\"sk\",\"#i\":\"id\"}", v), 0);
    assert_int_equal(ddb_expr_keycond(c.e, &kc, &c.err), 0);
    assert_string_equal(kc.hash_name, "id");
    assert_string_equal(kc.range_name, "sk");
    assert_int_equal(kc.range_op, DDB_KEY_GT);
    done(&c);

    assert_int_equal(parse(&c, DDB_EXPR_KEY, "id = :h and begins_with(sk, :h)", NULL, v), 0);
    assert_int_equal(ddb_expr_keycond(c.e, &kc, &c.err), 0);
    assert_int_equal(kc.range_op, DDB_KEY_BEGINS_WITH);
    done(&c);

    assert_int_equal(parse(&c, DDB_EXPR_KEY, "id = :h", NULL, "{\":h\":{\"S\":\"h\"}}"), 0);
    assert_int_equal(ddb_expr_keycond(c.e, &kc, &c.err), 0);
    assert_null(kc.range_name);
    done(&c);

    parse_fails(DDB_EXPR_KEY, "id = :h OR sk = :a", NULL, v, "Invalid operator used in KeyConditionExpression: OR");
    parse_fails(DDB_EXPR_KEY, "NOT id = :h", NULL, "{\":h\":{\"S\":\"h\"}}", "Invalid operator used in KeyConditionExpression: NOT");
    parse_fails(DDB_EXPR_KEY, "id IN (:h)", NULL, "{\":h\":{\"S\":\"h\"}}", "Invalid operator used in KeyConditionExpression: IN");
    parse_fails(DDB_EXPR_KEY, "id <> :h", NULL, "{\":h\":{\"S\":\"h\"}}", "Invalid operator used in KeyConditionExpression: <>");
    parse_fails(DDB_EXPR_KEY, "id = :h AND contains(sk, :a)", NULL, v,
                "Invalid operator used in KeyConditionExpression: contains");
    parse_fails(DDB_EXPR_KEY, "id = :h AND id = :h", NULL, "{\":h\":{\"S\":\"h\"}}",
                "KeyConditionExpressions must only contain one condition per key");
    parse_fails(DDB_EXPR_KEY, "id.x = :h", NULL, "{\":h\":{\"S\":\"h\"}}",
                "KeyConditionExpressions cannot have conditions on nested attributes");
    parse_fails(DDB_EXPR_KEY, "id = :h AND a = :a AND b = :b", NULL, v,
                "KeyConditionExpressions must only contain one condition per key");
}

/* ---- Hostile input ----------------------------------------------------------------------- */

static void test_hostile(void **state)
{
    (void)state;
    char buf[4200];
    /* Deep parentheses: refused by the depth guard, never a crash. */
    memset(buf, '(', 4000);
    buf[4000] = '\0';
    parse_fails_with(DDB_EXPR_CONDITION, buf, NULL, NULL, "Invalid ConditionExpression:");
    parse_fails_with(DDB_EXPR_UPDATE, "SET a = ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((b", NULL, NULL,
                     "Invalid UpdateExpression:");
    /* Deep NOT chain. */
    buf[0] = '\0';
    for (int i = 0; i < 900; i++)
        strcat(buf, "NOT ");
    strcat(buf, "a = :v");
    parse_fails_with(DDB_EXPR_CONDITION, buf, NULL, V1, "Invalid ConditionExpression:");
    /* Too many operators (each "a = :v AND" is two). */
    buf[0] = '\0';
    for (int i = 0; i < 160; i++)
        strcat(buf, "a = :v AND ");
    strcat(buf, "a = :v");
    parse_fails_with(DDB_EXPR_CONDITION, buf, NULL, V1, "too many operators");
    /* 10k characters: the size limit. */
    char *big = malloc(10001);
    for (int i = 0; i < 10000; i++)
        big[i] = "a.b["[i % 4];
    big[10000] = '\0';
    parse_fails(DDB_EXPR_PROJECTION, big, NULL, NULL,
                "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;");
    free(big);
    /* Unterminated paths and brackets. */
    parse_fails_with(DDB_EXPR_CONDITION, "a.b[", NULL, NULL, "token: \"<EOF>\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a.b[1", NULL, NULL, "token: \"<EOF>\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a.", NULL, NULL, "token: \"<EOF>\"");
    parse_fails_with(DDB_EXPR_PROJECTION, "a[99999999999999999999]", NULL, NULL, "Syntax error");
    parse_fails_with(DDB_EXPR_CONDITION, "#", NULL, NULL, "token: \"#\"");
    parse_fails_with(DDB_EXPR_CONDITION, "a = :", NULL, NULL, "token: \":\"");
    parse_fails_with(DDB_EXPR_CONDITION, "\xc3\xa9 = :v", NULL, V1, "token: \"\xc3\xa9\"");
    /* A long path. */
    buf[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(buf, i ? ".a" : "a");
    parse_fails_with(DDB_EXPR_PROJECTION, buf, NULL, NULL, "Invalid ProjectionExpression:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_tokens),
        cmocka_unit_test(test_reserved_words),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_empty_and_size),
        cmocka_unit_test(test_undefined_and_unused),
        cmocka_unit_test(test_function_errors),
        cmocka_unit_test(test_between_errors),
        cmocka_unit_test(test_update_parse_errors),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_between_in),
        cmocka_unit_test(test_logic_and_precedence),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_update_set),
        cmocka_unit_test(test_update_remove),
        cmocka_unit_test(test_update_add_delete),
        cmocka_unit_test(test_update_atomic),
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_keycond),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
