/* libFuzzer target: DynamoDB's expression lexer, parser and evaluator. The
 * first byte picks the expression kind, the rest is the expression text,
 * parsed against fixed ExpressionAttributeNames/Values and, when it parses,
 * evaluated/applied/projected on a fixed item. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"

static cJSON *names, *values, *item;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    names = cJSON_Parse("{\"#n\":\"a\",\"#m\":\"b\",\"#k\":\"pk\",\"#l\":\"l\"}");
    values = cJSON_Parse("{\":v\":{\"S\":\"x\"},\":n\":{\"N\":\"1\"},\":l\":{\"L\":[{\"N\":\"2\"}]},"
                         "\":s\":{\"SS\":[\"a\",\"b\"]},\":m\":{\"M\":{\"q\":{\"BOOL\":true}}},\":b\":{\"B\":\"AA==\"}}");
    item = cJSON_Parse("{\"pk\":{\"S\":\"k\"},\"a\":{\"S\":\"xyz\"},\"b\":{\"N\":\"5\"},"
                       "\"l\":{\"L\":[{\"N\":\"1\"},{\"M\":{\"c\":{\"S\":\"d\"}}}]},"
                       "\"s\":{\"SS\":[\"a\"]},\"m\":{\"M\":{\"x\":{\"NULL\":true}}}}");
    return names && values && item ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const ddb_expr_kind kinds[] = { DDB_EXPR_CONDITION, DDB_EXPR_FILTER, DDB_EXPR_KEY,
                                           DDB_EXPR_PROJECTION, DDB_EXPR_UPDATE };
    ddb_expr_kind kind = kinds[data[0] % 5];
    char *text = malloc(size);                 /* NUL-terminated copy of the rest */
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    ddb_expr_env env;
    hg_err err;
    hg_err_clear(&err);
    if (ddb_expr_env_init(&env, names, values, &err) != 0) abort();
    ddb_expr *e = NULL;
    if (ddb_expr_parse(&env, kind, text, &e, &err) == 0) {
        hg_err_clear(&err);
        (void)ddb_expr_env_check_unused(&env, &err);
        hg_err_clear(&err);
        bool result;
        const char **roots = NULL;
        switch (kind) {
        case DDB_EXPR_CONDITION:
        case DDB_EXPR_FILTER:
            (void)ddb_expr_eval(e, item, &result, &err);
            hg_err_clear(&err);
            (void)ddb_expr_eval(e, NULL, &result, &err);
            break;
        case DDB_EXPR_KEY: {
            ddb_keycond kc;
            (void)ddb_expr_keycond(e, &kc, &err);
            break;
        }
        case DDB_EXPR_PROJECTION: {
            cJSON_Delete(ddb_expr_project(e, item));
            (void)ddb_expr_projection_roots(e, &roots);   /* borrowed from e */
            break;
        }
        case DDB_EXPR_UPDATE: {
            cJSON *copy = cJSON_Duplicate(item, 1);
            if (copy && ddb_expr_apply_update(e, copy, &err) == 0)
                cJSON_Delete(ddb_expr_project_updated(e, copy));
            cJSON_Delete(copy);
            (void)ddb_expr_update_targets(e, &roots);
            (void)ddb_expr_update_only_removes(e);
            break;
        }
        }
        (void)ddb_expr_roots(e, &roots);
        ddb_expr_free(e);
    }
    ddb_expr_env_release(&env);
    free(text);
    return 0;
}
