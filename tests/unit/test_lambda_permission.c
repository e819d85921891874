/* lambda_permission_check, the seam API Gateway uses: a function's stored
 * resource policy (as AddPermission writes it) decides, with IAM's
 * wildcards in ArnLike and the SourceAccount condition. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "lambda_internal.h"
#include "lambda_store.h"

#define ARN "arn:aws:lambda:us-east-1:000000000000:function:f"
#define API "arn:aws:execute-api:us-east-1:000000000000:abc123"

static int setup(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    snprintf(hg_cfg.account_id, sizeof hg_cfg.account_id, "000000000000");
    if (hg_store_init(NULL, &err) != 0) return -1;
    hg_store *s = hg_store_get(&err);
    const char *config = "{\"FunctionName\":\"f\",\"FunctionArn\":\"" ARN "\"}";
    const char *priv =
        "{\"code\":{\"kind\":\"zip\"},\"policy\":{\"Version\":\"2012-10-17\",\"Id\":\"default\",\"Statement\":["
        "{\"Sid\":\"gw\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"apigateway.amazonaws.com\"},"
        "\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"" ARN "\","
        "\"Condition\":{\"ArnLike\":{\"AWS:SourceArn\":\"" API "/*/GET/notes\"}}},"
        "{\"Sid\":\"sns\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sns.amazonaws.com\"},"
        "\"Action\":\"lambda:*\",\"Resource\":\"" ARN "\","
        "\"Condition\":{\"StringEquals\":{\"AWS:SourceAccount\":\"111122223333\"}}}]}}";
    const char *bare = "{\"FunctionName\":\"g\",\"FunctionArn\":\"arn:aws:lambda:us-east-1:000000000000:function:g\"}";
    if (!s || lambda_store_create(s, "us-east-1", "f", config, priv, NULL, 0, &err) != 0) return -1;
    if (lambda_store_create(s, "us-east-1", "g", bare, "{}", NULL, 0, &err) != 0) return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hg_store_shutdown();
    return 0;
}

static int check(const char *fn, const char *principal, const char *source, char *why)
{
    hg_err err;
    hg_err_clear(&err);
    return lambda_permission_check("us-east-1", fn, principal, source, why, 256, &err);
}

static void matching_statement_allows(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(check("f", "apigateway.amazonaws.com", API "/prod/GET/notes", why), 0);
    assert_int_equal(check(ARN, "apigateway.amazonaws.com", API "/dev/GET/notes", why), 0);
    assert_int_equal(check("f", "sns.amazonaws.com", "arn:aws:sns:us-east-1:111122223333:topic", why), 0);
}

static void anything_else_is_refused_with_a_reason(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(check("f", "apigateway.amazonaws.com", API "/prod/POST/notes", why), 1);
    assert_non_null(strstr(why, "lambda:InvokeFunction"));
    assert_int_equal(check("f", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:000000000000:other/prod/GET/notes", why), 1);
    assert_int_equal(check("f", "s3.amazonaws.com", API "/prod/GET/notes", why), 1);
    assert_int_equal(check("f", "sns.amazonaws.com", "arn:aws:sns:us-east-1:999999999999:topic", why), 1);
    assert_int_equal(check("g", "apigateway.amazonaws.com", API "/prod/GET/notes", why), 1);
}

static void missing_function_is_an_error(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    char why[64];
    assert_int_equal(lambda_permission_check("us-east-1", "nope", "apigateway.amazonaws.com", NULL, why, sizeof why, &err), -1);
    assert_int_equal(err.status, 404);
    assert_string_equal(err.code, "ResourceNotFoundException");
}

static const char *policy_with(const char *source_pattern, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "{\"code\":{\"kind\":\"zip\"},\"policy\":{\"Version\":\"2012-10-17\",\"Statement\":["
             "{\"Sid\":\"gw\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"apigateway.amazonaws.com\"},"
             "\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:us-east-1:000000000000:function:h\","
             "\"Condition\":{\"ArnLike\":{\"AWS:SourceArn\":\"%s\"}}}]}}", source_pattern);
    return buf;
}

/* The decision is remembered per record: a changed policy (what
 * RemovePermission or AddPermission store) is obeyed on the very next
 * check, both ways. */
static void a_changed_policy_is_obeyed_at_once(void **state)
{
    (void)state;
    hg_err err;
    hg_err_clear(&err);
    hg_store *s = hg_store_get(&err);
    const char *config = "{\"FunctionName\":\"h\",\"FunctionArn\":\"arn:aws:lambda:us-east-1:000000000000:function:h\"}";
    char priv[1024], why[256];
    assert_int_equal(lambda_store_create(s, "us-east-1", "h", config, policy_with(API "/*/GET/notes", priv, sizeof priv),
                                         NULL, 0, &err), 0);
    lambda_fn_changed();
    for (int i = 0; i < 3; i++)        /* the second and third come from the memo */
        assert_int_equal(check("h", "apigateway.amazonaws.com", API "/prod/GET/notes", why), 0);

    /* RemovePermission: the statement goes */
    assert_int_equal(lambda_store_update(s, "us-east-1", "h", config, "{\"code\":{\"kind\":\"zip\"}}", 0, NULL, 0, &err), 0);
    lambda_fn_changed();
    assert_int_equal(check("h", "apigateway.amazonaws.com", API "/prod/GET/notes", why), 1);
    assert_non_null(strstr(why, "no statement allowing"));

    /* AddPermission with a narrower source: the old grant is not kept */
    assert_int_equal(lambda_store_update(s, "us-east-1", "h", config, policy_with(API "/dev/GET/notes", priv, sizeof priv),
                                         0, NULL, 0, &err), 0);
    lambda_fn_changed();
    assert_int_equal(check("h", "apigateway.amazonaws.com", API "/prod/GET/notes", why), 1);
    assert_int_equal(check("h", "apigateway.amazonaws.com", API "/dev/GET/notes", why), 0);
    assert_int_equal(check("h", "apigateway.amazonaws.com", API "/dev/GET/notes", why), 0);
    /* a grant for one principal is not one for another */
    assert_int_equal(check("h", "sns.amazonaws.com", API "/dev/GET/notes", why), 1);
}

/* More allowed sources than the memo holds: each is still allowed, and
 * refusals are never remembered as grants. */
static void the_memo_is_bounded_and_exact(void **state)
{
    (void)state;
    char why[256], source[256];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 20; i++) {
            snprintf(source, sizeof source, API "/stage%d/GET/notes", i);
            assert_int_equal(check("f", "apigateway.amazonaws.com", source, why), 0);
            snprintf(source, sizeof source, API "/stage%d/GET/notesx", i);
            assert_int_equal(check("f", "apigateway.amazonaws.com", source, why), 1);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matching_statement_allows),
        cmocka_unit_test(anything_else_is_refused_with_a_reason),
        cmocka_unit_test(missing_function_is_an_error),
        cmocka_unit_test(a_changed_policy_is_obeyed_at_once),
        cmocka_unit_test(the_memo_is_bounded_and_exact),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
